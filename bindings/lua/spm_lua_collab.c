/* Lua: quotes, payment plans, comments and approvals (include/spm/collab.h).
 * A call that needs an approval fails with nil, message, spm.EAPPROVAL and
 * the pending request's id as a fourth value. */
#include "spm_lua.h"

/* Runs a libspm call that may call back into Lua (the clock, listeners):
 * returns 3 when it failed (nil, message and code pushed), else 0. */
#define CALL(d, L, rc, expr) \
	(saved_ = lspm_enter((d), (L)), (rc) = (expr), lspm_leave((L), (d), saved_, (rc)))

/* The results of a call that returns an id; EAPPROVAL and EEXISTS add the
 * id they name as a fourth result. */
static int id_result(lua_State *L, int failed, int rc, int64_t id)
{
	if (failed && (rc == SPM_EAPPROVAL || rc == SPM_EEXISTS)) {
		lua_pushinteger(L, id);
		return 4;
	}
	if (failed)
		return failed;
	lua_pushinteger(L, id);
	return 1;
}

static int db_quote_revise(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	lua_Integer quote;
	int64_t out = 0;
	int rc, failed;

	if (!lspm_check_int(L, 2, &quote))
		return 3;
	failed = CALL(d, L, rc, spm_quote_revise(&out, d->db, quote));
	return id_result(L, failed, rc, out);
}

/* db:quote_send(q): true, or nil, message, code[, request]. */
static int db_quote_send(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	lua_Integer quote;
	int64_t request = 0;
	int rc, failed;

	if (!lspm_check_int(L, 2, &quote))
		return 3;
	failed = CALL(d, L, rc, spm_quote_send(&request, d->db, quote));
	if (failed)
		return id_result(L, failed, rc, request);
	return lspm_push_ok(L);
}

/* db:contract_set_plan(c, { { "2026-03-10", 3334 }, ... }): due date text
 * and minor units per installment. */
static int db_contract_set_plan(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	lua_Integer contract;
	int64_t *amounts;
	spm_date *due;
	size_t n;
	int rc, failed;

	if (!lspm_check_int(L, 2, &contract))
		return 3;
	if (!lua_istable(L, 3))
		return lspm_push_fail_msg(L, SPM_EINVAL, "plan must be a table of { due, amount }");
	n = (size_t)lua_rawlen(L, 3);
	amounts = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*amounts), 0);
	due = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*due), 0);
	for (size_t i = 0; i < n; i++) {
		const char *text;
		int isnum = 0, ok;

		if (lua_rawgeti(L, 3, (lua_Integer)i + 1) != LUA_TTABLE)
			return lspm_push_fail_msg(L, SPM_EINVAL, "each installment is { due, amount }");
		lua_rawgeti(L, -1, 1);
		text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		ok = text && spm_date_parse(&due[i], text) == SPM_OK;
		lua_pop(L, 1);
		lua_rawgeti(L, -1, 2);
		amounts[i] = lua_tointegerx(L, -1, &isnum);
		lua_pop(L, 2);
		if (!ok)
			return lspm_push_fail_msg(L, SPM_EINVAL, "an installment's due date must be "
						  "YYYY-MM-DD");
		if (!isnum)
			return lspm_push_fail_msg(L, SPM_EINVAL, "an installment's amount must be an "
						  "integer of minor units");
	}
	failed = CALL(d, L, rc, spm_contract_set_plan(d->db, contract, amounts, due, n));
	return failed ? failed : lspm_push_ok(L);
}

static int db_comment_add(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	const char *kind = lspm_check_cstr(L, 2, "kind"), *text;
	lua_Integer id;
	int64_t out = 0;
	int rc, failed;

	if (kind == NULL || !lspm_check_int(L, 3, &id))
		return 3;
	text = lspm_check_cstr(L, 4, "text");
	if (text == NULL)
		return 3;
	failed = CALL(d, L, rc, spm_comment_add(&out, d->db, kind, id, text));
	return id_result(L, failed, rc, out);
}

/* db:approval_submit(action, kind, id[, detail]): the request's id, or
 * nil, message, spm.EEXISTS, the pending one's id. */
static int db_approval_submit(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	const char *action = lspm_check_cstr(L, 2, "action");
	const char *kind = action ? lspm_check_cstr(L, 3, "kind") : NULL;
	const char *detail;
	lua_Integer id;
	int64_t out = 0;
	int rc, failed;

	if (kind == NULL || !lspm_check_int(L, 4, &id))
		return 3;
	detail = lspm_opt_cstr(L, 5, "detail");
	if (detail == NULL && !lua_isnoneornil(L, 5))
		return 3;
	failed = CALL(d, L, rc, spm_approval_submit(&out, d->db, action, kind, id, detail));
	return id_result(L, failed, rc, out);
}

static int vote(lua_State *L, int (*fn)(spm_db *, int64_t, const char *))
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	lua_Integer request;
	const char *comment;
	int rc, failed;

	if (!lspm_check_int(L, 2, &request))
		return 3;
	comment = lspm_opt_cstr(L, 3, "comment");
	if (comment == NULL && !lua_isnoneornil(L, 3))
		return 3;
	failed = CALL(d, L, rc, fn(d->db, request, comment));
	return failed ? failed : lspm_push_ok(L);
}

static int db_approval_approve(lua_State *L)
{
	return vote(L, spm_approval_approve);
}

static int db_approval_reject(lua_State *L)
{
	return vote(L, spm_approval_reject);
}

static int db_approval_cancel(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved_;
	lua_Integer request;
	int rc, failed;

	if (!lspm_check_int(L, 2, &request))
		return 3;
	failed = CALL(d, L, rc, spm_approval_cancel(d->db, request));
	return failed ? failed : lspm_push_ok(L);
}

/* db:installment_split(amount, n): a table of n minor-unit amounts that
 * sum to amount exactly. */
static int db_installment_split(lua_State *L)
{
	lua_Integer amount, n;
	int64_t *out;
	int rc;

	lspm_open_db(L, 1);
	if (!lspm_check_int(L, 2, &amount) || !lspm_check_int(L, 3, &n))
		return 3;
	if (n < 1 || n > 1000)
		return lspm_push_fail_msg(L, SPM_EINVAL, "installments: n must be 1..1000");
	out = lua_newuserdatauv(L, (size_t)n * sizeof(*out), 0);
	rc = spm_installment_split(out, amount, (size_t)n);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_createtable(L, (int)n, 0);
	for (lua_Integer i = 0; i < n; i++) {
		lua_pushinteger(L, out[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static const luaL_Reg methods[] = {
	{ "quote_revise", db_quote_revise },
	{ "quote_send", db_quote_send },
	{ "installment_split", db_installment_split },
	{ "contract_set_plan", db_contract_set_plan },
	{ "comment_add", db_comment_add },
	{ "approval_submit", db_approval_submit },
	{ "approval_approve", db_approval_approve },
	{ "approval_reject", db_approval_reject },
	{ "approval_cancel", db_approval_cancel },
	{ NULL, NULL }
};

void lspm_open_collab(lua_State *L)
{
	lspm_add_db_methods(L, methods);
}
