/* Lua: leads and customers beyond the core methods — merge, conversion
 * (with an opportunity), hand-over, seeded assignment, ownership history,
 * tags and the customer-360 view (include/spm/customer.h, lead.h, org.h). */
#include "spm_lua.h"

#include <string.h>

/* "12.50 CNY" → minor units and currency (currency points into a copy in buf). */
static int parse_amount(lua_State *L, const char *text, int64_t *minor, char *cur, size_t size)
{
	const char *space = strrchr(text, ' ');
	char number[64];
	size_t n;

	if (space == NULL || (size_t)(space - text) >= sizeof(number) ||
	    strlen(space + 1) >= size)
		return lspm_push_fail_msg(L, SPM_EINVAL, "amount is text like '12.50 CNY'");
	n = (size_t)(space - text);
	memcpy(number, text, n);
	number[n] = '\0';
	strcpy(cur, space + 1);
	if (spm_money_parse(minor, number, cur) != SPM_OK)
		return lspm_push_fail(L, spm_error_code());
	return 0;
}

static int opt_field_int(lua_State *L, int t, const char *name, int64_t *out)
{
	lua_getfield(L, t, name);
	if (!lua_isnil(L, -1)) {
		*out = (int64_t)lua_tointeger(L, -1);
		if (!lua_isinteger(L, -1)) {
			lua_pop(L, 1);
			lua_pushnil(L);
			lua_pushfstring(L, "%s must be an integer", name);
			lua_pushinteger(L, SPM_EINVAL);
			return 3;
		}
	}
	lua_pop(L, 1);
	return 0;
}

/* db:convert_lead(id [, { pipeline =, stage =, name =, amount = "12.50 CNY" }])
 * -> customer, contact (0: none), opportunity (0: none) | nil, msg, code */
static int db_convert_lead(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_lead_convert_options o = SPM_LEAD_CONVERT_OPTIONS_INIT;
	int64_t customer = 0, contact = 0, opportunity = 0;
	char currency[8];
	lua_Integer id;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	if (lua_istable(L, 3)) {
		if ((n = opt_field_int(L, 3, "pipeline", &o.pipeline_id)) != 0 ||
		    (n = opt_field_int(L, 3, "stage", &o.stage_id)) != 0)
			return n;
		lua_getfield(L, 3, "name");
		o.opportunity_name = lua_tostring(L, -1);  /* stays on the stack */
		lua_getfield(L, 3, "amount");
		if (lua_type(L, -1) == LUA_TSTRING) {
			n = parse_amount(L, lua_tostring(L, -1), &o.amount_minor, currency,
					 sizeof(currency));
			if (n)
				return n;
			o.amount_currency = currency;
		} else if (!lua_isnil(L, -1)) {
			return lspm_push_fail_msg(L, SPM_EINVAL, "amount is text like '12.50 CNY'");
		}
	} else if (!lua_isnoneornil(L, 3)) {
		return lspm_push_fail_msg(L, SPM_EINVAL, "options are a table");
	}
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved,
		       spm_lead_convert2(&customer, &contact, &opportunity, d->db, id, &o));
	if (n)
		return n;
	lua_pushinteger(L, customer);
	lua_pushinteger(L, contact);
	lua_pushinteger(L, opportunity);
	return 3;
}

/* db:merge(kind, survivor, other) -> true | nil, msg, code */
static int db_merge(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	lua_Integer keep, drop;
	lua_State *saved;
	int n;

	if (kind == NULL || !lspm_check_int(L, 3, &keep) || !lspm_check_int(L, 4, &drop))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_record_merge(d->db, kind, keep, drop));
	return n ? n : lspm_push_ok(L);
}

/* db:handover(from, to (0: the pool), reason) -> moved | nil, msg, code */
static int db_handover(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer from, to;
	const char *reason;
	size_t moved = 0;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &from) || !lspm_check_int(L, 3, &to))
		return 3;
	reason = lspm_check_cstr(L, 4, "reason");
	if (reason == NULL)
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_org_handover(&moved, d->db, from, to, reason));
	if (n)
		return n;
	lua_pushinteger(L, (lua_Integer)moved);
	return 1;
}

/* db:assign_pool_seeded(seed) -> assigned | nil, msg, code */
static int db_assign_pool_seeded(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_lead_assign_options o = SPM_LEAD_ASSIGN_OPTIONS_INIT;
	lua_Integer seed;
	size_t assigned = 0;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &seed))
		return 3;
	o.seed = (uint64_t)seed;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_lead_assign_pool2(&assigned, d->db, &o));
	if (n)
		return n;
	lua_pushinteger(L, (lua_Integer)assigned);
	return 1;
}

/* Appends a history row as a table to the array at the top of the stack. */
static int push_history_row(const spm_record *rec, void *payload)
{
	static const char *const ints[] = { "entity_id", "from_owner", "to_owner", "at", "actor" };
	static const char *const texts[] = { "kind", "via", "reason" };
	lua_State *L = payload;

	lua_createtable(L, 0, 8);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		int64_t v;
		int null = 1;
		spm_record_is_null(&null, rec, ints[i]);
		if (null)
			continue;
		if (strcmp(ints[i], "at") == 0)
			spm_record_get_time(&v, rec, ints[i]);
		else
			spm_record_get_int(&v, rec, ints[i]);
		lua_pushinteger(L, v);
		lua_setfield(L, -2, ints[i]);
	}
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *s = NULL;
		spm_record_get_text(&s, rec, texts[i]);
		if (s == NULL)
			continue;
		lua_pushstring(L, s);
		lua_setfield(L, -2, texts[i]);
	}
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	return 0;
}

/* db:ownership_history(kind, id) -> { {via=, from_owner=, to_owner=, at=,
 * actor=, reason=, kind=, entity_id=}, … } | nil, msg, code */
static int db_ownership_history(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	lua_Integer id;
	lua_State *saved;
	int n;

	if (kind == NULL || !lspm_check_int(L, 3, &id))
		return 3;
	lua_newtable(L);
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_ownership_history(d->db, kind, id, push_history_row, L));
	return n ? n : 1;
}

static int push_id(const spm_record *rec, void *payload)
{
	lua_State *L = payload;

	lua_pushinteger(L, spm_record_id(rec));
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	return 0;
}

/* db:customers_tagged(tag) -> { id, … } | nil, msg, code */
static int db_customers_tagged(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *tag = lspm_check_cstr(L, 2, "tag");
	lua_State *saved;
	int n;

	if (tag == NULL)
		return 3;
	lua_newtable(L);
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_customer_foreach_tagged(d->db, tag, push_id, L));
	return n ? n : 1;
}

/* db:customer_360(id) -> JSON text, open, won, lost | nil, msg, code */
static int db_customer_360(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_customer_view *v = NULL;
	size_t open = 0, won = 0, lost = 0;
	lua_Integer id;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_customer_360(&v, d->db, id));
	if (n)
		return n;
	spm_customer_view_opportunities(&open, &won, &lost, v);
	lua_pushstring(L, spm_customer_view_json(v));
	spm_customer_view_free(v);
	lua_pushinteger(L, (lua_Integer)open);
	lua_pushinteger(L, (lua_Integer)won);
	lua_pushinteger(L, (lua_Integer)lost);
	return 4;
}

void lspm_open_customers(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "convert_lead", db_convert_lead },
		{ "merge", db_merge },
		{ "handover", db_handover },
		{ "assign_pool_seeded", db_assign_pool_seeded },
		{ "ownership_history", db_ownership_history },
		{ "customers_tagged", db_customers_tagged },
		{ "customer_360", db_customer_360 },
		{ NULL, NULL },
	};

	lspm_add_db_methods(L, methods);
}
