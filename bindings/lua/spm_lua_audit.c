/* Lua: the audit log's hash chain (include/spm/audit.h). Hashes travel as
 * 64 lower-case hex digits, as the CLI prints them. */
#include "spm_lua.h"

#include <stdio.h>
#include <string.h>

static void to_hex(char out[65], const unsigned char h[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int from_hex(unsigned char out[32], const char *text, size_t len)
{
	if (len != 64)
		return 0;
	for (size_t i = 0; i < 64; i++) {
		char c = text[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return 0;
		out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] | v : v << 4);
	}
	return 1;
}

/* db:audit_head() -> id, hash (hex) | nil, msg, code */
static int db_audit_head(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_audit_anchor a;
	char hex[65];
	int rc = spm_audit_head(&a, d->db);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	to_hex(hex, a.hash);
	lua_pushinteger(L, (lua_Integer)a.id);
	lua_pushstring(L, hex);
	return 2;
}

/* db:audit_verify([id, hash (hex)]) -> true | nil, msg, code */
static int db_audit_verify(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_audit_anchor a = SPM_AUDIT_ANCHOR_INIT;
	const char *hex;
	lua_Integer id;
	size_t len = 0;

	if (lua_isnoneornil(L, 2))
		return spm_audit_verify(d->db, NULL) == SPM_OK ? lspm_push_ok(L)
							       : lspm_push_fail(L, spm_error_code());
	if (!lspm_check_int(L, 2, &id))
		return 3;
	hex = lua_type(L, 3) == LUA_TSTRING ? lua_tolstring(L, 3, &len) : NULL;
	if (hex == NULL || !from_hex(a.hash, hex, len))
		return lspm_push_fail_msg(L, SPM_EINVAL, "an anchor's hash is 64 hex digits");
	a.id = (int64_t)id;
	if (spm_audit_verify(d->db, &a) != SPM_OK)
		return lspm_push_fail(L, spm_error_code());
	return lspm_push_ok(L);
}

static const luaL_Reg audit_methods[] = {
	{ "audit_head", db_audit_head },
	{ "audit_verify", db_audit_verify },
	{ NULL, NULL },
};

void lspm_open_audit(lua_State *L)
{
	lspm_add_db_methods(L, audit_methods);
}
