/* Lua: CSV import and export (include/spm/csv.h; docs/csv.md). */
#include "spm_lua.h"

#include <string.h>

#define MAX_MAPPING 256

/* The report as a table: rows, stored, bad, message, replayed, errors =
 * { {line=, column=, message=}, … }, ids = { id, … }. */
static void push_report(lua_State *L, const spm_csv_report *r)
{
	lua_createtable(L, 0, 7);
	lua_pushinteger(L, (lua_Integer)spm_csv_report_rows(r));
	lua_setfield(L, -2, "rows");
	lua_pushinteger(L, (lua_Integer)spm_csv_report_stored(r));
	lua_setfield(L, -2, "stored");
	lua_pushinteger(L, (lua_Integer)spm_csv_report_bad(r));
	lua_setfield(L, -2, "bad");
	lua_pushstring(L, spm_csv_report_message(r));
	lua_setfield(L, -2, "message");
	lua_pushboolean(L, spm_csv_report_replayed(r));
	lua_setfield(L, -2, "replayed");
	lua_newtable(L);
	for (size_t i = 0; i < spm_csv_report_errors(r); i++) {
		const char *msg = NULL, *column = NULL;
		size_t line = 0;

		spm_csv_report_error(&msg, &line, &column, r, i);
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, (lua_Integer)line);
		lua_setfield(L, -2, "line");
		if (column) {
			lua_pushstring(L, column);
			lua_setfield(L, -2, "column");
		}
		lua_pushstring(L, msg);
		lua_setfield(L, -2, "message");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "errors");
	lua_newtable(L);
	for (size_t i = 0; i < spm_csv_report_stored(r); i++) {
		int64_t id = 0;

		spm_csv_report_id(&id, NULL, r, i);
		lua_pushinteger(L, id);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "ids");
}

static int bool_field(lua_State *L, int t, const char *name)
{
	int v;

	lua_getfield(L, t, name);
	v = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return v;
}

/* Reads the options table at index t into o; the strings stay on the stack
 * (borrowed from the table). Returns 0, or 3 after pushing nil, msg, code. */
static int read_options(lua_State *L, int t, spm_csv_import_options *o, const char **mapping)
{
	const char *mode;

	lua_getfield(L, t, "mode");
	mode = lua_tostring(L, -1);
	lua_pop(L, 1);
	if (mode && strcmp(mode, "skip_bad_rows") == 0)
		o->mode = SPM_CSV_SKIP_BAD_ROWS;
	else if (mode && strcmp(mode, "all_or_nothing") != 0)
		return lspm_push_fail_msg(L, SPM_EINVAL, "mode is all_or_nothing or skip_bad_rows");
	o->dry_run = bool_field(L, t, "dry_run");
	o->flags = (bool_field(L, t, "ignore_unmapped") ? SPM_CSV_IGNORE_UNMAPPED : 0) |
		   (bool_field(L, t, "ignore_readonly") ? SPM_CSV_IGNORE_READONLY : 0);
	lua_getfield(L, t, "idempotency_key");
	o->idempotency_key = lua_tostring(L, -1);
	lua_pop(L, 1);  /* the table keeps the string alive */
	lua_getfield(L, t, "max_rows");
	o->max_rows = lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0 ? (uint64_t)lua_tointeger(L, -1) : 0;
	lua_pop(L, 1);
	lua_getfield(L, t, "mapping");
	if (lua_istable(L, -1)) {
		size_t n = 0;

		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (n == 2 * MAX_MAPPING || lua_type(L, -2) != LUA_TSTRING ||
			    (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TBOOLEAN)) {
				lua_pop(L, 3);
				return lspm_push_fail_msg(L, SPM_EINVAL, "mapping is { header = field "
							  "name or false (ignored) }");
			}
			mapping[n++] = lua_tostring(L, -2);
			mapping[n++] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			lua_pop(L, 1);
		}
		o->mapping = mapping;
		o->nmapping = n / 2;
	}
	lua_pop(L, 1);
	return 0;
}

/* db:import_csv(kind, text [, options]) -> report | nil, msg, code, report */
static int db_import_csv(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_csv_import_options o = SPM_CSV_IMPORT_OPTIONS_INIT;
	const char *mapping[2 * MAX_MAPPING];
	const char *kind = lspm_check_cstr(L, 2, "kind");
	spm_csv_report *r = NULL;
	const char *data;
	size_t len;
	lua_State *saved;
	int n, rc;

	if (kind == NULL)
		return 3;
	data = luaL_checklstring(L, 3, &len);
	if (lua_istable(L, 4) && (n = read_options(L, 4, &o, mapping)) != 0)
		return n;
	saved = lspm_enter(d, L);
	rc = spm_csv_import(&r, d->db, kind, data, len, &o);
	n = lspm_leave(L, d, saved, rc);
	if (r) {
		push_report(L, r);
		spm_csv_report_free(r);
	}
	if (n)
		return r ? n + 1 : n;
	return 1;
}

static int collect(const char *data, size_t len, void *payload)
{
	luaL_addlstring(payload, data, len);
	return 0;
}

/* db:export_csv(kind [, query [, { field, … }]]) -> text | nil, msg, code */
static int db_export_csv(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	const char *fields[256];
	size_t nfields = 0;
	spm_query *q = NULL, *own = NULL;
	luaL_Buffer b;
	lua_State *saved;
	int n, rc = SPM_OK;

	if (kind == NULL)
		return 3;
	if (!lua_isnoneornil(L, 3))
		q = lspm_check_child(L, 3, CHILD_QUERY)->h;
	if (lua_istable(L, 4)) {
		nfields = (size_t)lua_rawlen(L, 4);
		if (nfields > sizeof(fields) / sizeof(fields[0]))
			return lspm_push_fail_msg(L, SPM_EINVAL, "at most 256 fields");
		for (size_t i = 0; i < nfields; i++) {
			lua_rawgeti(L, 4, (lua_Integer)i + 1);
			fields[i] = lua_tostring(L, -1);
			lua_pop(L, 1);  /* the table keeps it alive */
			if (fields[i] == NULL)
				return lspm_push_fail_msg(L, SPM_EINVAL, "field names are strings");
		}
	}
	if (q == NULL)
		rc = spm_query_new(&own, d->db, kind);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	luaL_buffinit(L, &b);
	saved = lspm_enter(d, L);
	rc = spm_csv_export(d->db, kind, q ? q : own, lua_istable(L, 4) ? fields : NULL, nfields,
			    collect, &b);
	spm_query_free(own);
	n = lspm_leave(L, d, saved, rc);
	if (n)
		return n;
	luaL_pushresult(&b);
	return 1;
}

void lspm_open_csv(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "import_csv", db_import_csv },
		{ "export_csv", db_export_csv },
		{ NULL, NULL },
	};

	lspm_add_db_methods(L, methods);
}
