/* The Lua methods of targets (include/spm/target.h):
 *   db:target_split(total, {w...}) -> {parts...}
 *   db:target_decompose(id, plan) -> {parts...}, imbalance
 *       plan = { method = "headcount", reason = "...", child_period = "month",
 *                weights = {...}, ramp_ppm = {...}, keep_total = bool, dry_run = bool }
 *   db:target_decompose_tree(id, plan) -> {parts of every level...}, decomposed
 *   db:target_progress(id, date) -> {figures}
 *   db:target_progress_all(id, date) -> { {figures}, ... }
 *   db:target_progress_csv(id, date) -> text
 *   db:target_export_json() -> text;  db:target_import_json(text, reason) -> count
 *   db:target_plan_from_json(text) -> plan table (as target_decompose takes)
 * Dates are "YYYY-MM-DD" text or day numbers (spm.date_parse). Results are
 * collected in C first and turned into tables afterwards, so no Lua error can
 * unwind through libspm's frames. Failures return nil, message, code. */
#include "spm_lua.h"

#include <stdlib.h>
#include <string.h>

static const char *const methods[] = { "equal_days", "equal_periods", "working_days",
	"seasonality", "last_year", "equal_members", "weights", "headcount", "last_period",
	"manual", NULL };
static const char *const periods[] = { "week", "month", "quarter", "year", NULL };

static int arg_date(lua_State *L, int i, spm_date *out)
{
	int rc;

	if (lua_type(L, i) == LUA_TSTRING) {
		rc = spm_date_parse(out, lua_tostring(L, i));
		if (rc != SPM_OK) {
			lspm_push_fail(L, rc);
			return 0;
		}
		return 1;
	}
	if (!lua_isinteger(L, i)) {
		lspm_push_fail_msg(L, SPM_EINVAL, "a date (\"YYYY-MM-DD\" or a day number) is needed");
		return 0;
	}
	*out = (spm_date)lua_tointeger(L, i);
	return 1;
}

/* Reads the integers of the table at index i into a new array (caller frees). */
static int int_list(lua_State *L, int i, int64_t **out, size_t *n, const char *what)
{
	size_t len = lua_istable(L, i) ? (size_t)luaL_len(L, i) : 0;

	*out = NULL;
	*n = 0;
	if (!lua_istable(L, i) && !lua_isnil(L, i)) {
		lspm_push_fail_msg(L, SPM_EINVAL, what);
		return 0;
	}
	*out = calloc(len + 1, sizeof(int64_t));
	if (*out == NULL) {
		lspm_push_fail(L, SPM_ENOMEM);
		return 0;
	}
	for (size_t k = 0; k < len; k++) {
		lua_geti(L, i, (lua_Integer)k + 1);
		if (!lua_isinteger(L, -1)) {
			lua_pop(L, 1);
			free(*out);
			*out = NULL;
			lspm_push_fail_msg(L, SPM_EINVAL, what);
			return 0;
		}
		(*out)[k] = lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	*n = len;
	return 1;
}

static int pick(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int t_split(lua_State *L)
{
	lua_Integer total;
	int64_t *w, *out;
	size_t n;
	int rc;

	lspm_open_db(L, 1);
	if (!lspm_check_int(L, 2, &total) ||
	    !int_list(L, 3, &w, &n, "weights must be a list of integers"))
		return 3;
	out = calloc(n + 1, sizeof(int64_t));
	rc = out ? spm_target_split(out, total, w, n) : SPM_ENOMEM;
	free(w);
	if (rc != SPM_OK) {
		free(out);
		return lspm_push_fail(L, rc);
	}
	lua_createtable(L, (int)n, 0);
	for (size_t k = 0; k < n; k++) {
		lua_pushinteger(L, out[k]);
		lua_seti(L, -2, (lua_Integer)k + 1);
	}
	free(out);
	return 1;
}

struct part { int64_t id, ref, weight, value; spm_date start; char kind[8]; };
struct parts { struct part *p; size_t n, cap; };

static int add_part(const spm_target_part *p, void *payload)
{
	struct parts *ps = payload;

	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct part *np = realloc(ps->p, cap * sizeof(*np));

		if (np == NULL)
			return SPM_ENOMEM;
		ps->p = np;
		ps->cap = cap;
	}
	ps->p[ps->n] = (struct part){ p->target_id, p->owner_ref, p->weight, p->value,
				      p->period_start, "" };
	strncpy(ps->p[ps->n].kind, p->owner_kind, sizeof(ps->p[0].kind) - 1);
	ps->n++;
	return 0;
}

static void push_date(lua_State *L, spm_date d)
{
	char buf[SPM_DATE_FORMAT_MAX];

	if (spm_date_format(buf, sizeof(buf), d) == SPM_OK)
		lua_pushstring(L, buf);
	else
		lua_pushnil(L);
}

static void set_int(lua_State *L, const char *k, int64_t v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

/* target_decompose, or with tree set target_decompose_tree (whose second
 * result is the count of decomposed targets instead of the imbalance). */
static int decompose(lua_State *L, int tree)
{
	ldb *d = lspm_open_db(L, 1);
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps = { NULL, 0, 0 };
	int64_t *w = NULL, *ramp = NULL, imbalance = 0;
	const char *reason;
	lua_Integer id;
	int m, per, rc;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	if (!lua_istable(L, 3))
		return lspm_push_fail_msg(L, SPM_EINVAL, "plan must be a table");
	lua_getfield(L, 3, "method");
	m = pick(methods, lua_tostring(L, -1));
	lua_getfield(L, 3, "child_period");
	per = lua_isnil(L, -1) ? 1 : pick(periods, lua_tostring(L, -1));
	lua_getfield(L, 3, "reason");
	reason = lua_tostring(L, -1);
	lua_getfield(L, 3, "keep_total");
	plan.keep_total = lua_toboolean(L, -1);
	lua_getfield(L, 3, "dry_run");
	plan.dry_run = lua_toboolean(L, -1);
	lua_getfield(L, 3, "weights");
	lua_getfield(L, 3, "ramp_ppm");
	if (m < 0 || per < 0)
		return lspm_push_fail_msg(L, SPM_EINVAL, m < 0 ? "plan.method: unknown method"
							 : "plan.child_period: week, month, quarter or year");
	if (!int_list(L, -2, &w, &plan.nweights, "plan.weights must be a list of integers"))
		return 3;
	if (!int_list(L, -1, &ramp, &plan.nramp, "plan.ramp_ppm must be a list of integers")) {
		free(w);
		return 3;
	}
	plan.method = m + 1;
	plan.child_period = (spm_period_kind)(per + SPM_PERIOD_WEEK);
	plan.weights = w;
	plan.ramp_ppm = ramp;
	if (tree) {
		size_t decomposed = 0;

		rc = spm_target_decompose_tree(&decomposed, d->db, id, &plan, reason ? reason : "",
					       add_part, &ps);
		imbalance = (int64_t)decomposed;
	} else {
		rc = spm_target_decompose(&imbalance, d->db, id, &plan, reason ? reason : "",
					  add_part, &ps);
	}
	free(w);
	free(ramp);
	if (rc != SPM_OK) {
		free(ps.p);
		return lspm_push_fail(L, rc);
	}
	lua_createtable(L, (int)ps.n, 0);
	for (size_t k = 0; k < ps.n; k++) {
		lua_createtable(L, 0, 6);
		set_int(L, "target_id", ps.p[k].id);
		lua_pushstring(L, ps.p[k].kind);
		lua_setfield(L, -2, "owner_kind");
		set_int(L, "owner_ref", ps.p[k].ref);
		push_date(L, ps.p[k].start);
		lua_setfield(L, -2, "period_start");
		set_int(L, "weight", ps.p[k].weight);
		set_int(L, "value", ps.p[k].value);
		lua_seti(L, -2, (lua_Integer)k + 1);
	}
	free(ps.p);
	lua_pushinteger(L, imbalance);
	return 2;
}

static int t_decompose(lua_State *L)
{
	return decompose(L, 0);
}

static int t_decompose_tree(lua_State *L)
{
	return decompose(L, 1);
}

static void push_progress(lua_State *L, const spm_target_progress *p)
{
	lua_createtable(L, 0, 16);
	set_int(L, "target_id", p->target_id);
	lua_pushstring(L, p->owner_kind);
	lua_setfield(L, -2, "owner_kind");
	set_int(L, "owner_ref", p->owner_ref);
	push_date(L, p->period_start);
	lua_setfield(L, -2, "period_start");
	push_date(L, p->period_end);
	lua_setfield(L, -2, "period_end");
	set_int(L, "target", p->target);
	set_int(L, "attained", p->attained);
	set_int(L, "attainment_ppm", p->attainment_ppm);
	set_int(L, "elapsed_ppm", p->elapsed_ppm);
	set_int(L, "expected", p->expected);
	set_int(L, "pace_ppm", p->pace_ppm);
	set_int(L, "projection", p->projection);
	set_int(L, "gap", p->gap);
	set_int(L, "pipeline", p->pipeline);
	set_int(L, "coverage_ppm", p->coverage_ppm);
	if (p->currency[0]) {
		lua_pushstring(L, p->currency);
		lua_setfield(L, -2, "currency");
	}
}

static int t_progress(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };
	lua_Integer id;
	spm_date on;
	int rc;

	if (!lspm_check_int(L, 2, &id) || !arg_date(L, 3, &on))
		return 3;
	rc = spm_target_progress_get(&p, d->db, id, on);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	push_progress(L, &p);
	return 1;
}

struct many { spm_target_progress *p; size_t n, cap; };

static int add_progress(const spm_target_progress *p, void *payload)
{
	struct many *m = payload;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		spm_target_progress *np = realloc(m->p, cap * sizeof(*np));

		if (np == NULL)
			return SPM_ENOMEM;
		m->p = np;
		m->cap = cap;
	}
	m->p[m->n++] = *p;  /* owner_kind is static text */
	return 0;
}

static int t_progress_all(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	struct many m = { NULL, 0, 0 };
	lua_Integer id;
	spm_date on;
	int rc;

	if (!lspm_check_int(L, 2, &id) || !arg_date(L, 3, &on))
		return 3;
	rc = spm_target_progress_foreach(d->db, id, on, add_progress, &m);
	if (rc != SPM_OK) {
		free(m.p);
		return lspm_push_fail(L, rc);
	}
	lua_createtable(L, (int)m.n, 0);
	for (size_t k = 0; k < m.n; k++) {
		push_progress(L, &m.p[k]);
		lua_seti(L, -2, (lua_Integer)k + 1);
	}
	free(m.p);
	return 1;
}

struct text { char *s; size_t n, cap; };

static int add_text(const char *data, size_t len, void *payload)
{
	struct text *t = payload;

	if (t->n + len + 1 > t->cap) {
		size_t cap = (t->n + len + 1) * 2;
		char *s = realloc(t->s, cap);

		if (s == NULL)
			return SPM_ENOMEM;
		t->s = s;
		t->cap = cap;
	}
	memcpy(t->s + t->n, data, len);
	t->n += len;
	return 0;
}

static int push_text(lua_State *L, struct text *t, int rc)
{
	if (rc != SPM_OK) {
		free(t->s);
		return lspm_push_fail(L, rc);
	}
	lua_pushlstring(L, t->s ? t->s : "", t->n);
	free(t->s);
	return 1;
}

static int t_progress_csv(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	struct text t = { NULL, 0, 0 };
	lua_Integer id;
	spm_date on;

	if (!lspm_check_int(L, 2, &id) || !arg_date(L, 3, &on))
		return 3;
	return push_text(L, &t, spm_target_progress_csv(d->db, id, on, add_text, &t));
}

static int t_export_json(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	struct text t = { NULL, 0, 0 };

	return push_text(L, &t, spm_target_export_json(d->db, add_text, &t));
}

static int t_import_json(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *json = lspm_check_cstr(L, 2, "json");
	const char *reason = json ? lspm_check_cstr(L, 3, "reason") : NULL;
	size_t n = 0;
	int rc;

	if (json == NULL || reason == NULL)
		return 3;
	rc = spm_target_import_json(&n, d->db, json, reason);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

static int t_plan_from_json(lua_State *L)
{
	const char *json = lspm_check_cstr(L, 2, "json");
	int64_t w[256], r[64];
	spm_target_plan plan;
	int rc;

	lspm_open_db(L, 1);
	if (json == NULL)
		return 3;
	rc = spm_target_plan_from_json(&plan, w, 256, r, 64, json);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_createtable(L, 0, 6);
	lua_pushstring(L, methods[plan.method - 1]);
	lua_setfield(L, -2, "method");
	lua_pushstring(L, periods[plan.child_period - SPM_PERIOD_WEEK]);
	lua_setfield(L, -2, "child_period");
	lua_createtable(L, (int)plan.nweights, 0);
	for (size_t k = 0; k < plan.nweights; k++) {
		lua_pushinteger(L, w[k]);
		lua_seti(L, -2, (lua_Integer)k + 1);
	}
	lua_setfield(L, -2, "weights");
	lua_createtable(L, (int)plan.nramp, 0);
	for (size_t k = 0; k < plan.nramp; k++) {
		lua_pushinteger(L, r[k]);
		lua_seti(L, -2, (lua_Integer)k + 1);
	}
	lua_setfield(L, -2, "ramp_ppm");
	lua_pushboolean(L, plan.keep_total);
	lua_setfield(L, -2, "keep_total");
	lua_pushboolean(L, plan.dry_run);
	lua_setfield(L, -2, "dry_run");
	return 1;
}

static const luaL_Reg target_methods[] = {
	{ "target_split", t_split },
	{ "target_decompose", t_decompose },
	{ "target_decompose_tree", t_decompose_tree },
	{ "target_progress", t_progress },
	{ "target_progress_all", t_progress_all },
	{ "target_progress_csv", t_progress_csv },
	{ "target_export_json", t_export_json },
	{ "target_import_json", t_import_json },
	{ "target_plan_from_json", t_plan_from_json },
	{ NULL, NULL }
};

void lspm_open_targets(lua_State *L)
{
	lspm_add_db_methods(L, target_methods);
}
