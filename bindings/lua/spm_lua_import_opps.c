/* db:import_opps() and db:export_opps(): opportunities, stage history and
 * line items from CSV (a Salesforce export by default) and back. */
#include "spm_lua.h"

#include <stdlib.h>
#include <string.h>

static const char *const file_names[] = { "opportunities", "history", "line_items" };
static const char *const count_names[] = { "rows", "bad", "created", "updated", "unchanged" };

/* opts.<name> as a string (borrowed from the table at index t), or NULL. */
static const char *opt_string(lua_State *L, int t, const char *name)
{
	const char *s;

	lua_getfield(L, t, name);
	s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (!lua_isnil(L, -1) && s == NULL)
		luaL_error(L, "option %s must be a string", name);
	lua_pop(L, 1);  /* the table keeps the string alive */
	return s;
}

static int opt_flag(lua_State *L, int t, const char *name)
{
	int on;

	lua_getfield(L, t, name);
	on = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return on;
}

/* opts.mappings[file] = { [header] = target or false }: a flat array in a
 * userdata left on the stack (collected with it). */
static void read_mapping(lua_State *L, int t, int file, spm_opp_import_options *o)
{
	const char **pairs;
	size_t n = 0, k = 0;
	int m;

	lua_getfield(L, t, "mappings");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	luaL_checktype(L, -1, LUA_TTABLE);
	lua_getfield(L, -1, file_names[file]);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 2);
		return;
	}
	luaL_checktype(L, -1, LUA_TTABLE);
	m = lua_gettop(L);
	for (lua_pushnil(L); lua_next(L, m); lua_pop(L, 1))
		n++;
	pairs = lua_newuserdatauv(L, (2 * n + 1) * sizeof(*pairs), 0);
	lua_insert(L, m - 1);  /* below the two tables, so that it outlives them on the stack */
	for (lua_pushnil(L); lua_next(L, m + 1); lua_pop(L, 1)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "mappings.%s: headers must be strings", file_names[file]);
		if (lua_type(L, -1) != LUA_TSTRING && !(lua_isboolean(L, -1) && !lua_toboolean(L, -1)))
			luaL_error(L, "mappings.%s: a target is a string or false", file_names[file]);
		pairs[2 * k] = lua_tostring(L, -2);
		pairs[2 * k + 1] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		k++;
	}
	lua_pop(L, 2);
	o->mapping[file] = pairs;
	o->nmapping[file] = n;
}

/* Reads the options table at t into o; 0 (after pushing nil, msg, code) when bad. */
static int read_options(lua_State *L, int t, spm_opp_import_options *o)
{
	const char *dates;
	lua_Integer pipeline;

	luaL_checktype(L, t, LUA_TTABLE);
	lua_getfield(L, t, "pipeline");
	if (!lspm_check_int(L, lua_gettop(L), &pipeline))
		return 0;
	lua_pop(L, 1);
	o->pipeline_id = pipeline;
	o->currency = opt_string(L, t, "currency");
	dates = opt_string(L, t, "dates");
	if (dates == NULL || strcmp(dates, "iso") == 0)
		o->date_order = SPM_OPP_DATES_ISO;
	else if (strcmp(dates, "mdy") == 0)
		o->date_order = SPM_OPP_DATES_MDY;
	else if (strcmp(dates, "dmy") == 0)
		o->date_order = SPM_OPP_DATES_DMY;
	else {
		lspm_push_fail_msg(L, SPM_EINVAL, "dates is \"iso\", \"mdy\" or \"dmy\"");
		return 0;
	}
	o->flags = (opt_flag(L, t, "create_stages") ? SPM_OPP_IMPORT_CREATE_STAGES : 0) |
		   (opt_flag(L, t, "lenient") ? SPM_OPP_IMPORT_LENIENT_REFS : 0);
	o->dry_run = opt_flag(L, t, "dry_run");
	o->mode = opt_flag(L, t, "skip_bad_rows") ? SPM_CSV_SKIP_BAD_ROWS : SPM_CSV_ALL_OR_NOTHING;
	o->external_id_field = opt_string(L, t, "external_id_field");
	o->customer_key_field = opt_string(L, t, "customer_key_field");
	o->user_key_field = opt_string(L, t, "user_key_field");
	for (int f = 0; f < 3; f++)
		read_mapping(L, t, f, o);
	return 1;
}

/* The report as a table: counts, stages_created, problems, ids, message. */
static void push_report(lua_State *L, const spm_opp_import_report *r)
{
	size_t nstored = 0;

	lua_createtable(L, 0, 6);
	lua_createtable(L, 0, 3);
	for (int f = 0; f < 3; f++) {
		lua_createtable(L, 0, 5);
		for (int k = 0; k < 5; k++) {
			lua_pushinteger(L, (lua_Integer)spm_opp_import_report_count(r, f, k));
			lua_setfield(L, -2, count_names[k]);
		}
		lua_setfield(L, -2, file_names[f]);
	}
	lua_setfield(L, -2, "counts");
	lua_pushinteger(L, (lua_Integer)spm_opp_import_report_stages_created(r));
	lua_setfield(L, -2, "stages_created");
	lua_createtable(L, (int)spm_opp_import_report_problems(r), 0);
	for (size_t i = 0; i < spm_opp_import_report_problems(r); i++) {
		const char *msg, *column;
		spm_opp_import_file file;
		size_t line;
		int warning;

		spm_opp_import_report_problem(&msg, &file, &line, &column, &warning, r, i);
		lua_createtable(L, 0, 5);
		lua_pushstring(L, file_names[file]);
		lua_setfield(L, -2, "file");
		lua_pushinteger(L, (lua_Integer)line);
		lua_setfield(L, -2, "line");
		lua_pushstring(L, column);  /* nil for the whole row */
		lua_setfield(L, -2, "column");
		lua_pushstring(L, msg);
		lua_setfield(L, -2, "message");
		lua_pushboolean(L, warning);
		lua_setfield(L, -2, "warning");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "problems");
	for (int k = SPM_OPP_COUNT_CREATED; k <= SPM_OPP_COUNT_UNCHANGED; k++)
		nstored += spm_opp_import_report_count(r, SPM_OPP_FILE_OPPORTUNITIES, k);
	lua_createtable(L, 0, (int)nstored);
	for (size_t i = 0; i < nstored; i++) {
		const char *ext;
		int64_t id;

		if (spm_opp_import_report_stored(&ext, &id, r, i) != SPM_OK)
			break;
		lua_pushinteger(L, id);
		lua_setfield(L, -2, ext);
	}
	lua_setfield(L, -2, "ids");
	lua_pushstring(L, spm_opp_import_report_message(r));
	lua_setfield(L, -2, "message");
}

/* db:import_opps(opportunities_csv, opts) → report | nil, msg, code, report.
 * opts: pipeline (required), history, line_items, currency, dates, create_stages,
 * lenient, dry_run, skip_bad_rows, mappings, *_key_field, external_id_field. */
static int db_import_opps(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_opp_import_options o = SPM_OPP_IMPORT_OPTIONS_INIT;
	spm_opp_import_report *r = NULL;
	size_t len[3] = { 0, 0, 0 };
	const char *data[3];
	lua_State *saved;
	int rc, n;

	data[0] = luaL_checklstring(L, 2, &len[0]);
	if (!read_options(L, 3, &o))
		return 3;
	lua_getfield(L, 3, "history");
	data[1] = lua_isnil(L, -1) ? NULL : luaL_checklstring(L, -1, &len[1]);
	lua_getfield(L, 3, "line_items");
	data[2] = lua_isnil(L, -1) ? NULL : luaL_checklstring(L, -1, &len[2]);
	saved = lspm_enter(d, L);
	rc = spm_opp_import(&r, d->db, data[0], len[0], data[1], len[1], data[2], len[2], &o);
	if (r == NULL)
		return lspm_leave(L, d, saved, rc);
	n = lspm_leave(L, d, saved, rc);
	push_report(L, r);
	spm_opp_import_report_free(r);
	return n ? 4 : 1;  /* on failure: nil, msg, code, then the report */
}

/* The export gathers in C memory: a Lua buffer could raise across libspm's frames. */
struct out {
	char *data;
	size_t len;
	size_t cap;
};

static int append_chunk(const char *data, size_t len, void *payload)
{
	struct out *o = payload;

	if (o->len + len > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4096;
		char *grown;

		while (cap < o->len + len)
			cap *= 2;
		grown = realloc(o->data, cap);
		if (grown == NULL)
			return SPM_ENOMEM;
		o->data = grown;
		o->cap = cap;
	}
	memcpy(o->data + o->len, data, len);
	o->len += len;
	return 0;
}

/* db:export_opps(pipeline, "opportunities" | "history") → csv | nil, msg, code */
static int db_export_opps(lua_State *L)
{
	static const char *const which[] = { "opportunities", "history", NULL };
	ldb *d = lspm_open_db(L, 1);
	struct out out = { NULL, 0, 0 };
	lua_Integer pipeline;
	int file, rc;

	if (!lspm_check_int(L, 2, &pipeline))
		return 3;
	file = luaL_checkoption(L, 3, "opportunities", which);
	rc = spm_opp_export(d->db, pipeline, (spm_opp_import_file)file, NULL, append_chunk, &out);
	if (rc == SPM_OK)
		lua_pushlstring(L, out.data ? out.data : "", out.len);
	free(out.data);
	return rc == SPM_OK ? 1 : lspm_push_fail(L, rc);
}

void lspm_open_import_opps(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "import_opps", db_import_opps },
		{ "export_opps", db_export_opps },
		{ NULL, NULL },
	};

	lspm_add_db_methods(L, methods);
}
