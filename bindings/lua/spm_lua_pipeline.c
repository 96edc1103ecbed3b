/* The pipeline area of the Lua module: db:load_pipeline(),
 * db:export_pipeline(), db:move_opportunity(), db:check_gate(). */
#include "spm_lua.h"

/* Pushes a list of {name=, rule=, why=} tables and frees the report. */
static void push_report(lua_State *L, spm_gate_report *r)
{
	size_t n = spm_gate_report_count(r);

	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const char *name, *rule, *why;
		spm_gate_report_item(&name, &rule, &why, r, i);
		lua_createtable(L, 0, 3);
		lua_pushstring(L, name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, rule);
		lua_setfield(L, -2, "rule");
		lua_pushstring(L, why);
		lua_setfield(L, -2, "why");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	spm_gate_report_free(r);
}

/* db:load_pipeline(json) -> id | nil, msg, code */
static int db_load_pipeline(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *json = lspm_check_cstr(L, 2, "document");
	int64_t id = 0;
	lua_State *saved;
	int n;

	if (json == NULL)
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_pipeline_load(&id, d->db, json));
	if (n)
		return n;
	lua_pushinteger(L, id);
	return 1;
}

static int add_piece(const char *data, size_t len, void *payload)
{
	luaL_addlstring(payload, data, len);
	return 0;
}

/* db:export_pipeline(id) -> json | nil, msg, code */
static int db_export_pipeline(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer id;
	luaL_Buffer b;
	int rc;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	luaL_buffinit(L, &b);
	rc = spm_pipeline_export(d->db, id, add_piece, &b);
	luaL_pushresult(&b);
	if (rc != SPM_OK) {
		lua_pop(L, 1);
		return lspm_push_fail(L, rc);
	}
	return 1;
}

/* db:move_opportunity(id, stage [, override_reason]) -> list of the
 * overridden criteria (empty when none) | nil, msg, code, list of unmet
 * criteria (SPM_EGATE) */
static int db_move_opportunity(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer id, stage;
	spm_gate_report *unmet = NULL;
	const char *reason;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &id) || !lspm_check_int(L, 3, &stage))
		return 3;
	reason = lspm_opt_cstr(L, 4, "override reason");
	if (reason == NULL && !lua_isnoneornil(L, 4))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_opportunity_move(&unmet, d->db, id, stage, reason));
	if (n) {
		push_report(L, unmet);
		return n + 1;
	}
	push_report(L, unmet);
	return 1;
}

/* db:check_gate(id) -> list of unmet criteria | nil, msg, code */
static int db_check_gate(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_gate_report *unmet = NULL;
	lua_Integer id;
	int rc;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	rc = spm_opportunity_check_gate(&unmet, d->db, id);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	push_report(L, unmet);
	return 1;
}

void lspm_open_pipeline(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "load_pipeline", db_load_pipeline },
		{ "export_pipeline", db_export_pipeline },
		{ "move_opportunity", db_move_opportunity },
		{ "check_gate", db_check_gate },
		{ NULL, NULL },
	};

	lspm_add_db_methods(L, methods);
}
