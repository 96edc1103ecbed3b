/* Progress of targets: actuals attributed to users and to the team each
 * owner belonged to on the record's date, rolled up the team tree; targets
 * of nodes without their own record rolled up from their children (a
 * member's target counted in each team for the days spent there);
 * expected-to-date by the period's weighting; pace, projection, gap,
 * weighted pipeline and coverage. */
#include "domain/target.h"
#include "domain/record_fields.h"
#include "domain/org.h"
#include "analytics/decompose.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <stdlib.h>
#include <string.h>

enum { W_DAYS, W_WORKING, W_SEASON };

struct pnode {
	int64_t ref;
	int has;             /* a target record of its own */
	int64_t target_id;
	int64_t value;       /* own value, or rolled up */
	int64_t att, pipe;
	int weighting;
	int in_tree, depth;  /* teams */
};

struct prog {
	spm_db *db;
	const spm_record *root;
	struct spm__tperiod per;
	struct spm__metric m;
	struct spm__org_snap org;
	struct spm__workcal wc;
	int root_is_team;
	int64_t root_ref;
	struct pnode *teams;      /* parallel to org.team */
	struct pnode *users;      /* sorted by ref */
	size_t nusers;
	spm_date as_of;
};

static int weighting_of(const spm_record *t)
{
	const char *w = spm__fld_text(t, "weighting");

	return spm__fld_is(w, "working_days") ? W_WORKING : spm__fld_is(w, "seasonality") ? W_SEASON
											   : W_DAYS;
}

static long user_idx(const struct prog *p, int64_t ref)
{
	size_t lo = 0, hi = p->nusers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->users[mid].ref == ref)
			return (long)mid;
		if (p->users[mid].ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int by_ref(const void *a, const void *b)
{
	const struct pnode *x = a, *y = b;

	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* Teams under the root and users who belonged to one of them in the period. */
static int build_nodes(struct prog *p)
{
	const struct spm__org_snap *s = &p->org;
	size_t n = 0;

	p->teams = spm__calloc(p->db, s->nteams + 1, sizeof(*p->teams));
	p->users = spm__calloc(p->db, s->nmem + 1, sizeof(*p->users));
	if (!p->teams || !p->users)
		return spm__error_oom();
	for (size_t i = 0; i < s->nteams; i++) {
		p->teams[i].ref = s->team[i];
		p->teams[i].in_tree = p->root_is_team && spm__org_snap_under(s, s->team[i], p->root_ref);
		for (int64_t t = s->team[i]; p->teams[i].in_tree && t != p->root_ref;) {
			long k = spm__org_snap_team(s, t);

			p->teams[i].depth++;
			t = k >= 0 ? s->parent[k] : p->root_ref;
		}
	}
	if (!p->root_is_team) {
		p->users[0].ref = p->root_ref;
		p->nusers = 1;
		return SPM_OK;
	}
	for (size_t i = 0; i < s->nmem; i++) {
		const struct spm__tmember *mb = &s->mem[i];
		long k = spm__org_snap_team(s, mb->team);

		if (k < 0 || !p->teams[k].in_tree || mb->from > p->per.end ||
		    (mb->to != SPM_DATE_NONE && mb->to < p->per.start))
			continue;
		if (n == 0 || p->users[n - 1].ref != mb->user)  /* memberships sorted by user */
			p->users[n++].ref = mb->user;
	}
	p->nusers = n;
	qsort(p->users, n, sizeof(*p->users), by_ref);
	return SPM_OK;
}

static int same_metric(const spm_record *a, const spm_record *b)
{
	static const char *const texts[] = { "metric", "activity_type", "period_kind" };
	static const char *const nums[] = { "metric_id", "fy_start_month", "week_start_day" };

	for (size_t i = 0; i < 3; i++) {
		const char *x = spm__fld_text(a, texts[i]), *y = spm__fld_text(b, texts[i]);

		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
			return 0;
	}
	for (size_t i = 0; i < 3; i++) {
		int64_t x = spm__fld_num(a, nums[i]), y = spm__fld_num(b, nums[i]);

		if (i > 0) {  /* calendar fields default to 1 */
			x = x ? x : 1;
			y = y ? y : 1;
		}
		if (x != y)
			return 0;
	}
	return 1;
}

static int take_target(spm_record *rec, void *payload)
{
	struct prog *p = payload;
	struct pnode *node = NULL;
	int64_t ref = spm__fld_num(rec, "owner_ref");

	if (same_metric(rec, p->root)) {
		if (spm__fld_is(spm__fld_text(rec, "owner_kind"), "team")) {
			long k = spm__org_snap_team(&p->org, ref);

			if (k >= 0 && p->teams[k].in_tree)
				node = &p->teams[k];
		} else {
			long k = user_idx(p, ref);

			if (k >= 0)
				node = &p->users[k];
		}
	}
	if (rec->id == p->root->id)
		node = p->root_is_team ? &p->teams[spm__org_snap_team(&p->org, ref)]
				       : &p->users[0];
	if (node && (!node->has || rec->id == p->root->id)) {
		node->has = 1;
		node->target_id = rec->id;
		node->value = spm__fld_num(rec, "value");
		node->weighting = weighting_of(rec);
	}
	spm_record_free(rec);
	return SPM_OK;
}

static int load_targets(struct prog *p)
{
	spm_kind *k = spm__kind_find(p->db, "target", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, "period_start"), SPM_CMP_EQ,
			       p->per.start, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	int opened = !p->db->in_txn;
	int rc = spm__read_begin(p->db);

	if (rc == SPM_OK)
		rc = p->db->ops->scan(p->db->store, k, &scan, take_target, p);
	if (opened)
		spm__read_end(p->db);
	return rc;
}

/* A record's value goes to its owner and to the owner's team that day. */
static int credit(struct prog *p, int64_t user, spm_date on, int64_t v, int pipe)
{
	long u = user_idx(p, user);
	int64_t team = p->root_is_team ? spm__org_snap_team_of(&p->org, user, on) : 0;
	long k = team ? spm__org_snap_team(&p->org, team) : -1;
	int64_t *a = NULL, *b = NULL;

	if (u >= 0)
		a = pipe ? &p->users[u].pipe : &p->users[u].att;
	if (k >= 0 && p->teams[k].in_tree)
		b = pipe ? &p->teams[k].pipe : &p->teams[k].att;
	if ((a && __builtin_add_overflow(*a, v, a)) || (b && __builtin_add_overflow(*b, v, b)))
		return spm__error_set(SPM_EOVERFLOW, "target: the actuals overflow");
	return SPM_OK;
}

static int on_actual(int64_t user, spm_date on, int64_t v, void *payload)
{
	return credit(payload, user, on, v, 0);
}

static int on_pipe(int64_t user, spm_date on, int64_t v, void *payload)
{
	return credit(payload, user, on, v, 1);
}

struct ordered { int depth; size_t idx; };

/* Deepest teams first, so each adds into a parent not yet added up. */
static int by_depth_desc(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Each member's own target, split over the teams of the tree by the days
 * spent in each (the days elsewhere are not the tree's). */
static int member_shares(struct prog *p)
{
	const struct spm__org_snap *s = &p->org;
	int64_t days = (int64_t)p->per.end - p->per.start + 1;
	int rc = SPM_OK;

	for (size_t u = 0; rc == SPM_OK && u < p->nusers; u++) {
		int64_t w[64], part[64];
		long team[64];
		struct spm__lr_slot slot[64];
		size_t n = 0;
		int64_t in = 0;

		size_t lo = 0, hi = s->nmem;

		if (p->users[u].value == 0)
			continue;
		while (lo < hi) {  /* the user's first membership: they are sorted by user */
			size_t mid = lo + (hi - lo) / 2;

			if (s->mem[mid].user < p->users[u].ref)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < s->nmem && n < 63; i++) {
			const struct spm__tmember *mb = &s->mem[i];
			spm_date a = mb->from > p->per.start ? mb->from : p->per.start;
			spm_date b = mb->to == SPM_DATE_NONE || mb->to > p->per.end ? p->per.end : mb->to;
			long k;

			if (mb->user != p->users[u].ref)
				break;
			if (a > b)
				continue;
			k = spm__org_snap_team(s, mb->team);
			if (k < 0 || !p->teams[k].in_tree)
				continue;
			team[n] = k;
			w[n++] = (int64_t)b - a + 1;
			in += (int64_t)b - a + 1;
		}
		if (n == 0)
			continue;
		team[n] = -1;
		w[n++] = days - in > 0 ? days - in : 0;
		rc = spm__split_exact(part, p->users[u].value, w, n, slot);
		for (size_t i = 0; rc == SPM_OK && i < n; i++)
			if (team[i] >= 0 && !p->teams[team[i]].has &&
			    __builtin_add_overflow(p->teams[team[i]].value, part[i],
						   &p->teams[team[i]].value))
				rc = spm__error_set(SPM_EOVERFLOW, "target: the roll-up overflows");
	}
	return rc;
}

/* Rolls actuals, pipeline and (for teams without a record) targets up. */
static int roll_up(struct prog *p)
{
	const struct spm__org_snap *s = &p->org;
	struct ordered *order = spm__malloc(p->db, (s->nteams + 1) * sizeof(*order));
	size_t n = 0;
	int rc;

	if (order == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < s->nteams; i++)
		if (p->teams[i].in_tree)
			order[n++] = (struct ordered){ p->teams[i].depth, i };
	qsort(order, n, sizeof(*order), by_depth_desc);
	for (size_t i = 0; i < s->nteams; i++)
		if (p->teams[i].in_tree && !p->teams[i].has)
			p->teams[i].value = 0;
	rc = member_shares(p);
	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		struct pnode *t = &p->teams[order[i].idx];
		long k = t->ref == p->root_ref ? -1 : spm__org_snap_team(s, s->parent[order[i].idx]);
		struct pnode *up = k >= 0 ? &p->teams[k] : NULL;

		if (up && (__builtin_add_overflow(up->att, t->att, &up->att) ||
			   __builtin_add_overflow(up->pipe, t->pipe, &up->pipe) ||
			   (!up->has && __builtin_add_overflow(up->value, t->value, &up->value))))
			rc = spm__error_set(SPM_EOVERFLOW, "target: the roll-up overflows");
	}
	spm__free(p->db, order);
	return rc;
}

struct season { spm_date as_of; int64_t full, sum; int rc; };

static int season_child(spm_record *rec, void *payload)
{
	struct season *s = payload;
	struct spm__tperiod per;

	if (spm__fld_is(spm__fld_text(rec, "axis"), "time") &&
	    spm__target_period(&per, rec) == SPM_OK) {
		int64_t v = spm__fld_num(rec, "value"), part = 0;

		if (s->as_of >= per.end)
			part = v;
		else if (s->as_of >= per.start && s->rc == SPM_OK)
			s->rc = spm__scale(&part, v, (int64_t)s->as_of - per.start + 1,
					   (int64_t)per.end - per.start + 1);
		s->full += part;
		s->sum += v;
	}
	spm_record_free(rec);
	return SPM_OK;
}

/* The share of the period passed by as_of, as elapsed / total weight. */
static int period_weights(struct prog *p, const struct pnode *node, int64_t *ew, int64_t *tw)
{
	spm_date a = p->per.start, b = p->per.end, d = p->as_of;
	int w = node->has ? node->weighting : weighting_of(p->root);

	if (d < a) {
		*ew = 0;
		*tw = 1;
		return SPM_OK;
	}
	if (d > b)
		d = b;
	if (w == W_SEASON && node->has) {
		spm_kind *k = spm__kind_find(p->db, "target", 0);
		spm_scan_cond cond = { (size_t)spm__core_index(k, "parent_id"), SPM_CMP_EQ,
				       node->target_id, NULL };
		spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
		struct season s = { d, 0, 0, SPM_OK };
		int opened = !p->db->in_txn;
		int rc = spm__read_begin(p->db);

		if (rc == SPM_OK)
			rc = p->db->ops->scan(p->db->store, k, &scan, season_child, &s);
		if (opened)
			spm__read_end(p->db);
		if (rc != SPM_OK || s.rc != SPM_OK)
			return rc != SPM_OK ? rc : s.rc;
		if (s.sum > 0) {
			*ew = s.full;
			*tw = s.sum;
			return SPM_OK;
		}
	}
	if (w == W_WORKING) {
		*tw = spm__working_days(a, b, p->wc.off, p->wc.noff, p->wc.on, p->wc.non);
		*ew = spm__working_days(a, d, p->wc.off, p->wc.noff, p->wc.on, p->wc.non);
		if (*tw > 0)
			return SPM_OK;
	}
	*tw = (int64_t)b - a + 1;  /* calendar days: also the fallback */
	*ew = (int64_t)d - a + 1;
	return SPM_OK;
}

static int figures(struct prog *p, const struct pnode *node, const char *kind,
		   spm_target_progress *out)
{
	int64_t ew = 0, tw = 1;
	int rc = period_weights(p, node, &ew, &tw);

	memset(out, 0, sizeof(*out));
	out->version = SPM_TARGET_PROGRESS_VERSION;
	out->target_id = node->has ? node->target_id : 0;
	out->owner_kind = kind;
	out->owner_ref = node->ref;
	out->period_start = p->per.start;
	out->period_end = p->per.end;
	out->target = node->value;
	out->attained = node->att;
	out->pipeline = node->pipe;
	if (p->m.money)
		memcpy(out->currency, p->m.currency, sizeof(out->currency));
	if (rc == SPM_OK)
		rc = spm__ratio_ppm(&out->attainment_ppm, node->att, node->value);
	if (rc == SPM_OK)
		rc = spm__ratio_ppm(&out->elapsed_ppm, ew, tw);
	if (rc == SPM_OK)
		rc = spm__scale(&out->expected, node->value, ew, tw);
	if (rc == SPM_OK)
		rc = spm__ratio_ppm(&out->pace_ppm, node->att, out->expected);
	if (rc == SPM_OK && ew > 0)
		rc = spm__scale(&out->projection, node->att, tw, ew);
	out->gap = 0;
	if (rc == SPM_OK && node->value > node->att)
		rc = spm_money_sub(&out->gap, node->value, node->att);  /* may overflow */
	if (rc == SPM_OK && out->gap > 0)
		rc = spm__ratio_ppm(&out->coverage_ppm, node->pipe, out->gap);
	else
		out->coverage_ppm = SPM_PPM;
	return rc;
}

static void prog_free(struct prog *p)
{
	spm__metric_free(p->db, &p->m);
	spm__org_snap_free(p->db, &p->org);
	spm__workcal_free(p->db, &p->wc);
	spm__free(p->db, p->teams);
	spm__free(p->db, p->users);
}

/* Progress shows figures of other people's records: the actor must see
 * every owner of the node (a rep their own, a manager their subtree), else
 * the target looks missing. */
static int check_scope(struct prog *p)
{
	struct spm__scope s;
	int rc = spm__scope_load(&s, p->db), ok = 1;

	for (size_t i = 0; rc == SPM_OK && i < p->nusers; i++)
		ok &= spm__scope_may_own(&s, p->users[i].ref);
	if (rc == SPM_OK && s.mode != SPM_SCOPE_ALL && !ok)
		rc = spm__error_set(SPM_ENOTFOUND, "target %lld does not exist",
				    (long long)p->root->id);
	spm__scope_free(p->db, &s);
	return rc;
}

static int prog_run(struct prog *p, spm_db *db, const spm_record *root, spm_date as_of)
{
	spm_date to;
	int rc;

	memset(p, 0, sizeof(*p));
	p->db = db;
	p->root = root;
	p->as_of = as_of;
	p->root_ref = spm__fld_num(root, "owner_ref");
	p->root_is_team = spm__fld_is(spm__fld_text(root, "owner_kind"), "team");
	rc = spm__target_period(&p->per, root);
	if (rc == SPM_OK)
		rc = spm__metric_load(&p->m, db, root);
	if (rc == SPM_OK)
		rc = spm__org_snap_load(&p->org, db, 0);
	if (rc == SPM_OK)
		rc = spm__workcal_load(&p->wc, db);
	if (rc == SPM_OK && p->root_is_team && spm__org_snap_team(&p->org, p->root_ref) < 0)
		rc = spm__error_set(SPM_EINVAL, "target %lld: team %lld does not exist",
				    (long long)root->id, (long long)p->root_ref);
	if (rc == SPM_OK)
		rc = build_nodes(p);
	if (rc == SPM_OK)
		rc = check_scope(p);
	if (rc == SPM_OK)
		rc = load_targets(p);
	to = as_of < p->per.end ? as_of : p->per.end;
	if (rc == SPM_OK && to >= p->per.start)
		rc = spm__metric_scan(db, &p->m, p->per.start, to, on_actual, p);
	if (rc == SPM_OK)
		rc = spm__pipeline_scan(db, &p->m, p->per.start, p->per.end, on_pipe, p);
	if (rc == SPM_OK && p->root_is_team)
		rc = roll_up(p);
	return rc;
}

int spm__progress_compute(spm_db *db, const spm_record *target, spm_date as_of,
			  spm_target_progress *out)
{
	struct prog p;
	int rc = prog_run(&p, db, target, as_of);

	if (rc == SPM_OK)
		rc = p.root_is_team
			     ? figures(&p, &p.teams[spm__org_snap_team(&p.org, p.root_ref)], "team", out)
			     : figures(&p, &p.users[0], "user", out);
	prog_free(&p);
	return rc;
}

static int check_out(spm_target_progress *out)
{
	if (out == NULL)
		return spm__error_set(SPM_EINVAL, "progress: out is NULL");
	if (out->version != SPM_TARGET_PROGRESS_VERSION)
		return spm__error_set(SPM_EVERSION, "progress: unknown version %u",
				      (unsigned)out->version);
	return SPM_OK;
}

int spm_target_progress_get(spm_target_progress *out, spm_db *db, int64_t target, spm_date as_of)
{
	spm_record *rec = NULL;
	spm_target_progress res;
	int rc = check_out(out);

	SPM__CHECK_ARG(db);
	if (rc == SPM_OK)
		rc = spm__target_read(&rec, db, target);
	if (rc == SPM_OK)
		rc = spm__progress_compute(db, rec, as_of, &res);
	if (rc == SPM_OK)
		*out = res;
	spm_record_free(rec);
	return rc;
}

int spm_target_progress_foreach(spm_db *db, int64_t target, spm_date as_of,
				spm_target_progress_cb cb, void *payload)
{
	spm_record *rec = NULL;
	spm_target_progress res;
	struct prog p;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	rc = spm__target_read(&rec, db, target);
	if (rc != SPM_OK)
		return rc;
	rc = prog_run(&p, db, rec, as_of);
	if (rc == SPM_OK && p.root_is_team) {
		long r = spm__org_snap_team(&p.org, p.root_ref);

		rc = figures(&p, &p.teams[r], "team", &res);
		if (rc == SPM_OK)
			rc = cb(&res, payload);
		for (size_t i = 0; rc == SPM_OK && i < p.org.nteams; i++)
			if (p.teams[i].in_tree && (long)i != r) {
				rc = figures(&p, &p.teams[i], "team", &res);
				if (rc == SPM_OK)
					rc = cb(&res, payload);
			}
	}
	for (size_t i = 0; rc == SPM_OK && i < p.nusers; i++) {
		rc = figures(&p, &p.users[i], "user", &res);
		if (rc == SPM_OK)
			rc = cb(&res, payload);
	}
	prog_free(&p);
	spm_record_free(rec);
	return rc;
}

/* Many targets at once (the tick's warnings): each gets the figures
 * spm__progress_compute gives it as the root of its own progress, but the
 * org and the calendar are read once and the actuals once per group of
 * targets with the same metric and period. As its own root a target's
 * figures need only its own value and weighting and its node's actuals; a
 * team's actuals are those of the teams under it, the same whatever the
 * root above it, so one roll-up over every team serves the whole group. */

/* The fields that make two targets share their actuals. */
static int group_cmp(const spm_record *a, const spm_record *b)
{
	static const char *const texts[] = { "metric", "activity_type", "period_kind", "currency" };
	static const char *const nums[] = { "period_start", "metric_id", "fy_start_month",
					    "week_start_day" };

	for (size_t i = 0; i < 4; i++) {
		const char *x = spm__fld_text(a, texts[i]), *y = spm__fld_text(b, texts[i]);
		int c = (x == NULL) != (y == NULL) ? (x == NULL ? -1 : 1) : x ? strcmp(x, y) : 0;

		if (c != 0)
			return c;
	}
	for (size_t i = 0; i < 4; i++) {
		int64_t x = spm__fld_num(a, nums[i]), y = spm__fld_num(b, nums[i]);

		if (i > 1) {  /* calendar fields default to 1 */
			x = x ? x : 1;
			y = y ? y : 1;
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

struct many_item { const spm_record *t; size_t at; };

static int by_group(const void *a, const void *b)
{
	const struct many_item *x = a, *y = b;
	int c = group_cmp(x->t, y->t);

	return c ? c : x->at < y->at ? -1 : x->at > y->at;
}

static int is_team_target(const spm_record *t)
{
	return spm__fld_is(spm__fld_text(t, "owner_kind"), "team");
}

/* Every team in the tree, depth counted from the top of its chain; users:
 * the owners of the group's user targets. */
static int group_nodes(struct prog *p, const struct many_item *it, size_t n)
{
	const struct spm__org_snap *s = &p->org;
	size_t nu = 0;

	p->teams = spm__calloc(p->db, s->nteams + 1, sizeof(*p->teams));
	p->users = spm__calloc(p->db, n + 1, sizeof(*p->users));
	if (!p->teams || !p->users)
		return spm__error_oom();
	for (size_t i = 0; i < s->nteams; i++) {
		long k = (long)i;

		p->teams[i].ref = s->team[i];
		p->teams[i].in_tree = 1;
		for (size_t depth = 0; depth <= s->nteams && s->parent[k]; depth++) {
			k = spm__org_snap_team(s, s->parent[k]);
			if (k < 0)
				break;
			p->teams[i].depth++;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!is_team_target(it[i].t))
			p->users[nu++].ref = spm__fld_num(it[i].t, "owner_ref");
	qsort(p->users, nu, sizeof(*p->users), by_ref);
	p->nusers = 0;
	for (size_t i = 0; i < nu; i++)  /* unique */
		if (p->nusers == 0 || p->users[p->nusers - 1].ref != p->users[i].ref)
			p->users[p->nusers++] = p->users[i];
	return SPM_OK;
}

/* Actuals and pipeline of every team, rolled up the whole tree. */
static int group_roll_up(struct prog *p)
{
	const struct spm__org_snap *s = &p->org;
	struct ordered *order = spm__malloc(p->db, (s->nteams + 1) * sizeof(*order));
	int rc = SPM_OK;

	if (order == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < s->nteams; i++)
		order[i] = (struct ordered){ p->teams[i].depth, i };
	qsort(order, s->nteams, sizeof(*order), by_depth_desc);
	for (size_t i = 0; rc == SPM_OK && i < s->nteams; i++) {
		const struct pnode *t = &p->teams[order[i].idx];
		int64_t parent = s->parent[order[i].idx];
		long k = parent ? spm__org_snap_team(s, parent) : -1;
		struct pnode *up = k >= 0 ? &p->teams[k] : NULL;

		if (up && (__builtin_add_overflow(up->att, t->att, &up->att) ||
			   __builtin_add_overflow(up->pipe, t->pipe, &up->pipe)))
			rc = spm__error_set(SPM_EOVERFLOW, "target: the roll-up overflows");
	}
	spm__free(p->db, order);
	return rc;
}

static int group_run(struct prog *p, const struct many_item *it, size_t n, spm_date as_of,
		     spm_target_progress *out)
{
	const spm_record *first = it[0].t;
	spm_date to;
	int rc;

	p->root = first;
	p->as_of = as_of;
	p->root_is_team = 1;  /* teams are credited; users only for their targets */
	rc = spm__target_period(&p->per, first);
	if (rc == SPM_OK)
		rc = spm__metric_load(&p->m, p->db, first);
	for (size_t i = 0; rc == SPM_OK && i < n; i++)
		if (is_team_target(it[i].t) &&
		    spm__org_snap_team(&p->org, spm__fld_num(it[i].t, "owner_ref")) < 0)
			rc = spm__error_set(SPM_EINVAL, "target %lld: team %lld does not exist",
					    (long long)it[i].t->id,
					    (long long)spm__fld_num(it[i].t, "owner_ref"));
	if (rc == SPM_OK)
		rc = group_nodes(p, it, n);
	to = as_of < p->per.end ? as_of : p->per.end;
	if (rc == SPM_OK && to >= p->per.start)
		rc = spm__metric_scan(p->db, &p->m, p->per.start, to, on_actual, p);
	if (rc == SPM_OK)
		rc = spm__pipeline_scan(p->db, &p->m, p->per.start, p->per.end, on_pipe, p);
	if (rc == SPM_OK)
		rc = group_roll_up(p);
	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		const spm_record *t = it[i].t;
		int64_t ref = spm__fld_num(t, "owner_ref");
		int team = is_team_target(t);
		struct pnode node = team ? p->teams[spm__org_snap_team(&p->org, ref)]
					 : p->users[user_idx(p, ref)];

		node.has = 1;
		node.target_id = t->id;
		node.value = spm__fld_num(t, "value");
		node.weighting = weighting_of(t);
		rc = figures(p, &node, team ? "team" : "user", &out[it[i].at]);
	}
	return rc;
}

int spm__progress_many(spm_db *db, const spm_record *const *targets, size_t n, spm_date as_of,
		       spm_target_progress *out)
{
	struct many_item *it;
	struct spm__org_snap org;
	struct spm__workcal wc;
	struct spm__scope scope;
	int rc;

	if (n == 0)
		return SPM_OK;
	rc = spm__scope_load(&scope, db);
	if (rc != SPM_OK)
		return rc;
	if (scope.mode != SPM_SCOPE_ALL) {
		/* each target is checked against what the actor sees, one by one */
		spm__scope_free(db, &scope);
		for (size_t i = 0; rc == SPM_OK && i < n; i++)
			rc = spm__progress_compute(db, targets[i], as_of, &out[i]);
		return rc;
	}
	spm__scope_free(db, &scope);
	it = spm__malloc(db, n * sizeof(*it));
	if (it == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < n; i++)
		it[i] = (struct many_item){ targets[i], i };
	qsort(it, n, sizeof(*it), by_group);
	memset(&wc, 0, sizeof(wc));
	rc = spm__org_snap_load(&org, db, 0);
	if (rc == SPM_OK)
		rc = spm__workcal_load(&wc, db);
	for (size_t a = 0, b; rc == SPM_OK && a < n; a = b) {
		struct prog p;

		for (b = a + 1; b < n && group_cmp(it[a].t, it[b].t) == 0; b++)
			;
		memset(&p, 0, sizeof(p));
		p.db = db;
		p.org = org;
		p.wc = wc;
		rc = group_run(&p, it + a, b - a, as_of, out);
		spm__metric_free(db, &p.m);
		spm__free(db, p.teams);
		spm__free(db, p.users);
	}
	spm__org_snap_free(db, &org);  /* both are empty after a failed load */
	spm__workcal_free(db, &wc);
	spm__free(db, it);
	return rc;
}
