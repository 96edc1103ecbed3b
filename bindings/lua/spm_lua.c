/*
 * The Lua 5.4 module `spm`: libspm for Lua.
 *
 *   local spm = require "spm"
 *   local db <close> = assert(spm.open{ path = "crm.db", actor = 7 })
 *   local rec = assert(db:new("customer", { name = "Acme" }))
 *   assert(rec:save())
 *
 * Conventions (CONVENTIONS.md, Bindings):
 * - one metatable per handle type (db, record, batch, query, iter), each with
 *   __gc and __close; a handle starts closed and is only marked open once the
 *   C handle exists, so a failed constructor leaves nothing to free twice;
 * - failures return nil, message, code (code is one of spm.E*); wrong
 *   argument types raise, as in the standard library;
 * - every Lua callback runs under lua_pcall, with its arguments built inside
 *   the protected call, so no Lua error ever unwinds through libspm frames;
 *   an error stops the C operation (SPM_EUSER) and comes back as nil, msg;
 *   a callback that returns spm.STOP stops it without an error;
 * - a child handle keeps its db alive (user value 1), and closing the db
 *   frees its children first (the C API requires it);
 * - money is never a float: integers in minor units plus a currency, or
 *   text parsed by libspm ("12.50 EUR").
 */
#include "spm_lua.h"

#include <stdlib.h>
#include <string.h>

/* spm.STOP: a unique light userdata. */
static const char stop_key = 0;
#define STOP ((void *)&stop_key)

/* ------------------------------------------------------------ results */

int lspm_push_fail(lua_State *L, int rc)
{
	const char *msg = spm_error_message();

	lua_pushnil(L);
	lua_pushstring(L, msg[0] ? msg : spm_result_name(rc));
	lua_pushinteger(L, rc);
	return 3;
}

int lspm_push_fail_msg(lua_State *L, int rc, const char *msg)
{
	lua_pushnil(L);
	lua_pushstring(L, msg);
	lua_pushinteger(L, rc);
	return 3;
}

/* Enters a call that may run callbacks; returns the state to restore. */
lua_State *lspm_enter(ldb *d, lua_State *L)
{
	lua_State *saved = d->L;

	d->L = L;
	return saved;
}

/* Leaves a call: pushes nil, msg, code and returns 3 when a callback failed
 * or rc is an error; returns 0 on success. A requested stop is success. */
int lspm_leave(lua_State *L, ldb *d, lua_State *saved, int rc)
{
	int stopped = d->stopped;

	d->L = saved;
	d->stopped = 0;
	lua_rawgetp(L, LUA_REGISTRYINDEX, d);
	if (lua_toboolean(L, -1)) {
		lua_pushboolean(L, 0);
		lua_rawsetp(L, LUA_REGISTRYINDEX, d);
		lua_pushnil(L);
		lua_insert(L, -2);
		if (!lua_isstring(L, -1)) {
			lua_pop(L, 1);
			lua_pushliteral(L, "a callback raised a non-string error");
		}
		lua_pushinteger(L, SPM_EUSER);
		return 3;
	}
	lua_pop(L, 1);
	if (rc == SPM_EUSER && stopped)
		return 0;
	return rc < 0 ? lspm_push_fail(L, rc) : 0;
}

/* ------------------------------------------------------------ callbacks */

/* One callback invocation: push builds the Lua arguments (inside the
 * protected call), the result is read back in protected mode too. */
struct cbcall {
	int (*push)(lua_State *L, struct cbcall *c);
	const void *item;
	int want_int;       /* the clock: the result must be an integer */
	int64_t result;
	int stop;
};

static int protected_cb(lua_State *L)
{
	struct cbcall *c = lua_touserdata(L, 2);
	int n;

	lua_remove(L, 2);                   /* fn [extra] */
	n = c->push ? c->push(L, c) : 0;    /* fn [extra] args… */
	if (lua_gettop(L) - n == 2)
		lua_remove(L, 2);           /* the extra value was for push() */
	lua_call(L, n, 1);
	if (c->want_int) {
		int ok;
		lua_Integer v = lua_tointegerx(L, -1, &ok);
		if (!ok || lua_type(L, -1) != LUA_TNUMBER)
			return luaL_error(L, "the clock must return integer seconds");
		c->result = v;
	} else {
		c->stop = lua_touserdata(L, -1) == STOP;
	}
	return 0;
}

/* Runs a Lua callback for libspm. fn is a registry reference (ref > 0) or
 * an absolute stack index of d->L (ref == 0, idx); extra_idx is a stack
 * value handed to push() as argument 2 (0: none). Returns 0, or SPM_EUSER
 * after an error (kept in the registry slot) or a stop. */
static int run_cb(ldb *d, int ref, int idx, int extra_idx, struct cbcall *c)
{
	lua_State *L = d->L;
	int status;

	if (L == NULL)
		return SPM_EUSER;
	lua_rawgetp(L, LUA_REGISTRYINDEX, d);
	status = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (status)  /* an earlier callback of this call failed */
		return SPM_EUSER;
	if (!lua_checkstack(L, 5))
		return SPM_ENOMEM;
	lua_pushcfunction(L, protected_cb);
	if (ref > 0)
		lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	else
		lua_pushvalue(L, idx);
	lua_pushlightuserdata(L, c);
	if (extra_idx)
		lua_pushvalue(L, extra_idx);
	status = lua_pcall(L, extra_idx ? 3 : 2, 0, 0);
	if (status != LUA_OK) {
		lua_rawsetp(L, LUA_REGISTRYINDEX, d);  /* existing key: no allocation */
		return SPM_EUSER;
	}
	if (c->stop) {
		d->stopped = 1;
		return SPM_EUSER;
	}
	return 0;
}

static spm_time clock_cb(void *payload)
{
	ldb *d = payload;
	struct cbcall c = { NULL, NULL, 1, 0, 0 };

	if (run_cb(d, d->clock_ref, 0, 0, &c) != 0)
		return 0;
	return c.result;
}

/* ------------------------------------------------------------ handles */

ldb *lspm_check_db(lua_State *L, int i)
{
	return luaL_checkudata(L, i, DB_MT);
}

ldb *lspm_open_db(lua_State *L, int i)
{
	ldb *d = lspm_check_db(L, i);

	if (d->db == NULL)
		luaL_error(L, "attempt to use a closed spm db");
	return d;
}

static const char *child_mt(enum child_type t)
{
	static const char *const names[] = { RECORD_MT, BATCH_MT, QUERY_MT, ITER_MT };
	return names[t];
}

static void child_free(struct child *c)
{
	void *h = c->h;

	if (c->d != NULL) {
		c->prev->next = c->next;
		c->next->prev = c->prev;
		c->prev = c->next = c;
	}
	c->h = NULL;
	c->d = NULL;
	if (h == NULL)
		return;
	switch (c->type) {
	case CHILD_RECORD: spm_record_free(h); break;
	case CHILD_BATCH: spm_batch_free(h); break;
	case CHILD_QUERY: spm_query_free(h); break;
	case CHILD_ITER: spm_record_iter_free(h); break;
	}
}

/* A new closed child userdata of db at index dbidx, on top of the stack. */
struct child *lspm_child_new(lua_State *L, int dbidx, enum child_type type)
{
	struct child *c = lua_newuserdatauv(L, sizeof(*c), 1);

	c->prev = c->next = c;
	c->d = NULL;
	c->h = NULL;
	c->type = type;
	luaL_setmetatable(L, child_mt(type));
	lua_pushvalue(L, dbidx);
	lua_setiuservalue(L, -2, 1);
	return c;
}

/* Marks a child open with its C handle (after the C call succeeded). */
void lspm_child_adopt(ldb *d, struct child *c, void *h)
{
	c->h = h;
	c->d = d;
	c->next = d->children.next;
	c->prev = &d->children;
	d->children.next->prev = c;
	d->children.next = c;
}

struct child *lspm_check_child(lua_State *L, int i, enum child_type type)
{
	struct child *c = luaL_checkudata(L, i, child_mt(type));

	if (c->h == NULL)
		luaL_error(L, "attempt to use a closed %s", child_mt(type));
	return c;
}

/* Pushes the db userdata of the child at index i. */
static void push_child_db(lua_State *L, int i)
{
	lua_getiuservalue(L, i, 1);
}

int lspm_child_close(lua_State *L)
{
	child_free(lua_touserdata(L, 1));
	return 0;
}

int lspm_child_is_closed(lua_State *L)
{
	struct child *c = lua_touserdata(L, 1);

	luaL_argcheck(L, c != NULL, 1, "handle expected");
	lua_pushboolean(L, c->h == NULL);
	return 1;
}

static void db_free(lua_State *L, ldb *d)
{
	struct listener *l, *next;

	if (d->db == NULL)
		return;
	while (d->children.next != &d->children)
		child_free(d->children.next);
	spm_db_close(d->db);
	d->db = NULL;
	for (l = d->listeners; l != NULL; l = next) {
		next = l->next;
		luaL_unref(L, LUA_REGISTRYINDEX, l->fnref);
		free(l);
	}
	d->listeners = NULL;
	luaL_unref(L, LUA_REGISTRYINDEX, d->clock_ref);
	d->clock_ref = LUA_NOREF;
	lua_pushnil(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, d);
}

/* ------------------------------------------------------------ arguments */

/* A string argument without NUL bytes; NULL (after pushing nil, msg, code)
 * when it has one. */
const char *lspm_check_cstr(lua_State *L, int i, const char *what)
{
	size_t len;
	const char *s = luaL_checklstring(L, i, &len);

	if (strlen(s) != len) {
		lspm_push_fail_msg(L, SPM_EINVAL, lua_pushfstring(L, "%s contains a NUL byte", what));
		lua_remove(L, -4);
		return NULL;
	}
	return s;
}

const char *lspm_opt_cstr(lua_State *L, int i, const char *what)
{
	return lua_isnoneornil(L, i) ? NULL : lspm_check_cstr(L, i, what);
}

/* An integer argument: floats (even 1.0) are refused, so money never is one. */
int lspm_check_int(lua_State *L, int i, lua_Integer *out)
{
	if (!lua_isinteger(L, i)) {
		if (lua_type(L, i) == LUA_TNUMBER) {
			lspm_push_fail_msg(L, SPM_EINVAL,
				      "floats are refused: use integers (money in minor units)");
			return 0;
		}
		luaL_typeerror(L, i, "integer");
	}
	*out = lua_tointeger(L, i);
	return 1;
}

int lspm_opt_int(lua_State *L, int i, lua_Integer def, lua_Integer *out)
{
	if (lua_isnoneornil(L, i)) {
		*out = def;
		return 1;
	}
	return lspm_check_int(L, i, out);
}

static int opt_size(lua_State *L, int i, size_t *out)
{
	lua_Integer v;

	if (!lspm_opt_int(L, i, 0, &v))
		return 0;
	if (v < 0) {
		lspm_push_fail_msg(L, SPM_EINVAL, "a limit is not negative");
		return 0;
	}
	*out = (size_t)v;
	return 1;
}

int lspm_push_ok(lua_State *L)
{
	lua_pushboolean(L, 1);
	return 1;
}

/* ------------------------------------------------------------ module functions */

static int l_version(lua_State *L)
{
	int major, minor, patch;

	spm_version(&major, &minor, &patch);
	lua_pushstring(L, spm_version_string());
	lua_pushinteger(L, major);
	lua_pushinteger(L, minor);
	lua_pushinteger(L, patch);
	return 4;
}

static int l_schema_version_supported(lua_State *L)
{
	lua_pushinteger(L, spm_schema_version_supported());
	return 1;
}

static int l_result_name(lua_State *L)
{
	lua_pushstring(L, spm_result_name((int)luaL_checkinteger(L, 1)));
	return 1;
}

static int l_money_parse(lua_State *L)
{
	const char *text = lspm_check_cstr(L, 1, "text");
	const char *cur;
	int64_t out;
	int rc;

	if (text == NULL)
		return 3;
	cur = lspm_check_cstr(L, 2, "currency");
	if (cur == NULL)
		return 3;
	rc = spm_money_parse(&out, text, cur);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushinteger(L, out);
	return 1;
}

static int l_money_format(lua_State *L)
{
	char buf[SPM_MONEY_FORMAT_MAX];
	lua_Integer amount;
	const char *cur;
	int rc;

	if (!lspm_check_int(L, 1, &amount))
		return 3;
	cur = lspm_check_cstr(L, 2, "currency");
	if (cur == NULL)
		return 3;
	rc = spm_money_format(buf, sizeof(buf), amount, cur);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushstring(L, buf);
	return 1;
}

static int l_money_split(lua_State *L)
{
	lua_Integer amount;
	lua_Integer n;
	int64_t *w;
	int rc;

	if (!lspm_check_int(L, 1, &amount))
		return 3;
	luaL_checktype(L, 2, LUA_TTABLE);
	n = luaL_len(L, 2);
	if (n <= 0)
		return lspm_push_fail_msg(L, SPM_EINVAL, "money_split needs at least one weight");
	w = lua_newuserdatauv(L, (size_t)n * sizeof(*w), 0);  /* freed by the GC */
	for (lua_Integer i = 1; i <= n; i++) {
		int isint;
		lua_geti(L, 2, i);
		w[i - 1] = lua_tointegerx(L, -1, &isint);
		if (!isint || !lua_isinteger(L, -1))
			return lspm_push_fail_msg(L, SPM_EINVAL, "weights are integers");
		lua_pop(L, 1);
	}
	rc = spm_money_split(w, amount, w, (size_t)n);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_createtable(L, (int)n, 0);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_pushinteger(L, w[i - 1]);
		lua_rawseti(L, -2, i);
	}
	return 1;
}

static int l_date_parse(lua_State *L)
{
	const char *text = lspm_check_cstr(L, 1, "text");
	spm_date d;
	int rc;

	if (text == NULL)
		return 3;
	rc = spm_date_parse(&d, text);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushinteger(L, d);
	return 1;
}

static int l_date_format(lua_State *L)
{
	char buf[SPM_DATE_FORMAT_MAX];
	lua_Integer d;
	int rc;

	if (!lspm_check_int(L, 1, &d))
		return 3;
	if (d < INT32_MIN || d > INT32_MAX)
		return lspm_push_fail_msg(L, SPM_ERANGE, "date out of range");
	rc = spm_date_format(buf, sizeof(buf), (spm_date)d);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushstring(L, buf);
	return 1;
}

/* spm.open(path) or spm.open{ path=, actor=, clock=, readonly=, create=,
 * busy_timeout_ms= } */
static int l_open(lua_State *L)
{
	spm_db_options opts;
	lua_Integer actor = 0, timeout = 5000;
	const char *path = ":memory:";
	int readonly = 0, create = 1;
	lua_State *saved;
	ldb *d;
	int rc, n;

	spm_db_options_init(&opts, SPM_DB_OPTIONS_VERSION);
	if (lua_istable(L, 1)) {
		lua_settop(L, 1);
		lua_getfield(L, 1, "path");         /* 2 */
		lua_getfield(L, 1, "actor");        /* 3 */
		lua_getfield(L, 1, "clock");        /* 4 */
		lua_getfield(L, 1, "readonly");     /* 5 */
		lua_getfield(L, 1, "create");       /* 6 */
		lua_getfield(L, 1, "busy_timeout_ms"); /* 7 */
		if (!lua_isnil(L, 2) && (path = lspm_check_cstr(L, 2, "path")) == NULL)
			return 3;
		if (!lspm_opt_int(L, 3, 0, &actor) || !lspm_opt_int(L, 7, 5000, &timeout))
			return 3;
		if (!lua_isnil(L, 4))
			luaL_checktype(L, 4, LUA_TFUNCTION);
		readonly = lua_toboolean(L, 5);
		create = lua_isnil(L, 6) || lua_toboolean(L, 6);
	} else {
		if (!lua_isnoneornil(L, 1) && (path = lspm_check_cstr(L, 1, "path")) == NULL)
			return 3;
		lua_settop(L, 1);
		lua_settop(L, 7);
	}
	if (timeout < INT32_MIN || timeout > INT32_MAX)
		return lspm_push_fail_msg(L, SPM_EINVAL, "busy_timeout_ms out of range");

	d = lua_newuserdatauv(L, sizeof(*d), 0);  /* 8 */
	memset(d, 0, sizeof(*d));
	d->children.prev = d->children.next = &d->children;
	d->clock_ref = LUA_NOREF;
	luaL_setmetatable(L, DB_MT);
	lua_pushboolean(L, 0);
	lua_rawsetp(L, LUA_REGISTRYINDEX, d);  /* the pending-error slot */
	if (!lua_isnil(L, 4)) {
		lua_pushvalue(L, 4);
		d->clock_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		opts.clock = clock_cb;
		opts.clock_payload = d;
	}
	opts.path = path;
	opts.actor = actor;
	opts.busy_timeout_ms = (int)timeout;
	opts.flags = (create ? SPM_OPEN_CREATE : 0u) | (readonly ? SPM_OPEN_READONLY : 0u);
	saved = lspm_enter(d, L);
	rc = spm_db_open(&d->db, &opts);
	n = lspm_leave(L, d, saved, rc);
	if (n != 0) {
		spm_db_close(d->db);
		d->db = NULL;
		luaL_unref(L, LUA_REGISTRYINDEX, d->clock_ref);
		d->clock_ref = LUA_NOREF;
		lua_pushnil(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, d);
		return n;
	}
	lua_pushvalue(L, 8);
	return 1;
}

/* ------------------------------------------------------------ db methods */

static int db_close(lua_State *L)
{
	db_free(L, lspm_check_db(L, 1));
	return 0;
}

static int db_is_closed(lua_State *L)
{
	lua_pushboolean(L, lspm_check_db(L, 1)->db == NULL);
	return 1;
}

static int db_tostring(lua_State *L)
{
	ldb *d = lspm_check_db(L, 1);

	if (d->db == NULL)
		lua_pushliteral(L, "spm.db (closed)");
	else
		lua_pushfstring(L, "spm.db (%p)", (void *)d->db);
	return 1;
}

static int db_actor(lua_State *L)
{
	lua_pushinteger(L, spm_db_actor(lspm_open_db(L, 1)->db));
	return 1;
}

static int db_set_actor(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer actor;
	int rc;

	if (!lspm_check_int(L, 2, &actor))
		return 3;
	rc = spm_db_set_actor(d->db, actor);
	return rc != SPM_OK ? lspm_push_fail(L, rc) : lspm_push_ok(L);
}

static int db_now(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_State *saved = lspm_enter(d, L);
	spm_time t = spm_db_now(d->db);
	int n = lspm_leave(L, d, saved, SPM_OK);

	if (n)
		return n;
	lua_pushinteger(L, t);
	return 1;
}

static int db_schema_version(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	int v, rc = spm_db_schema_version(&v, d->db);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushinteger(L, v);
	return 1;
}

static int db_tick(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer now;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &now))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_db_tick(d->db, now));
	return n ? n : lspm_push_ok(L);
}

/* db:scope() -> "own" | "team" | "all" */
static int db_scope(lua_State *L)
{
	static const char *const names[] = { "?", "own", "team", "all" };
	ldb *d = lspm_open_db(L, 1);
	spm_scope scope;
	int rc = spm_org_scope(&scope, d->db);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushstring(L, names[scope >= 1 && scope <= 3 ? scope : 0]);
	return 1;
}

/* db:can(action) -> boolean */
static int db_can(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *action = lspm_check_cstr(L, 2, "action");
	int can, rc;

	if (action == NULL)
		return 3;
	rc = spm_org_can(&can, d->db, action);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushboolean(L, can);
	return 1;
}

/* db:claim_lead(id) -> true | nil, msg, code */
static int db_claim_lead(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer id;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_lead_claim(d->db, id));
	return n ? n : lspm_push_ok(L);
}

/* db:assign_pool() -> number of leads assigned | nil, msg, code */
static int db_assign_pool(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	size_t n = 0;
	lua_State *saved = lspm_enter(d, L);
	int k = lspm_leave(L, d, saved, spm_lead_assign_pool(&n, d->db));

	if (k)
		return k;
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

/* db:release_lead(id, reason) -> true | nil, msg, code */
static int db_release_lead(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer id;
	const char *reason;
	lua_State *saved;
	int n;

	if (!lspm_check_int(L, 2, &id))
		return 3;
	reason = lspm_check_cstr(L, 3, "reason");
	if (reason == NULL)
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_lead_release(d->db, id, reason));
	return n ? n : lspm_push_ok(L);
}

/* db:field_add(kind, name, type, { choices = {…}, label =, required =,
 * indexed =, max_length = }) */
static int db_field_add(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	spm_field_options opts;
	spm_field_type type;
	const char *kind, *name, *tname;
	const char **choices = NULL;
	lua_State *saved;
	int rc, n;

	if ((kind = lspm_check_cstr(L, 2, "kind")) == NULL || (name = lspm_check_cstr(L, 3, "name")) == NULL ||
	    (tname = lspm_check_cstr(L, 4, "type")) == NULL)
		return 3;
	rc = spm_field_type_parse(&type, tname);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	spm_field_options_init(&opts, SPM_FIELD_OPTIONS_VERSION);
	if (!lua_isnoneornil(L, 5)) {
		lua_Integer maxlen;
		luaL_checktype(L, 5, LUA_TTABLE);
		lua_settop(L, 5);
		lua_getfield(L, 5, "required");   /* 6 */
		lua_getfield(L, 5, "indexed");    /* 7 */
		lua_getfield(L, 5, "label");      /* 8 */
		lua_getfield(L, 5, "max_length"); /* 9 */
		lua_getfield(L, 5, "choices");    /* 10 */
		opts.flags = (lua_toboolean(L, 6) ? SPM_FIELD_REQUIRED : 0u) |
			     (lua_toboolean(L, 7) ? SPM_FIELD_INDEXED : 0u);
		if (!lua_isnil(L, 8) && (opts.label = lspm_check_cstr(L, 8, "label")) == NULL)
			return 3;
		if (!lspm_opt_int(L, 9, 0, &maxlen))
			return 3;
		if (maxlen < 0)
			return lspm_push_fail_msg(L, SPM_EINVAL, "max_length is not negative");
		opts.max_length = (size_t)maxlen;
		if (!lua_isnil(L, 10)) {
			lua_Integer nc;
			luaL_checktype(L, 10, LUA_TTABLE);
			nc = luaL_len(L, 10);
			if (nc > 0) {
				choices = lua_newuserdatauv(L, (size_t)nc * sizeof(*choices), 0);
				for (lua_Integer i = 1; i <= nc; i++) {
					lua_geti(L, 10, i);
					if ((choices[i - 1] = lspm_check_cstr(L, -1, "a choice")) == NULL)
						return 3;
					lua_pop(L, 1);  /* still referenced by the table */
				}
				opts.choices = choices;
				opts.nchoices = (size_t)nc;
			}
		}
	}
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_field_add(d->db, kind, name, type, &opts));
	return n ? n : lspm_push_ok(L);
}

static int db_field_drop(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind, *name;
	lua_State *saved;
	int n;

	if ((kind = lspm_check_cstr(L, 2, "kind")) == NULL || (name = lspm_check_cstr(L, 3, "name")) == NULL)
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_field_drop(d->db, kind, name));
	return n ? n : lspm_push_ok(L);
}

/* Collecting into a Lua table from C callbacks: the table is built inside
 * a protected call per item (run_cb), so allocation errors stay in Lua. */
static int push_field(lua_State *L, struct cbcall *c)
{
	const spm_field_info *f = c->item;

	lua_newtable(L);
	lua_pushstring(L, f->kind);
	lua_setfield(L, -2, "kind");
	lua_pushstring(L, f->name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, spm_field_type_name(f->type));
	lua_setfield(L, -2, "type");
	lua_pushboolean(L, (f->flags & SPM_FIELD_CUSTOM) != 0);
	lua_setfield(L, -2, "custom");
	lua_pushboolean(L, (f->flags & SPM_FIELD_REQUIRED) != 0);
	lua_setfield(L, -2, "required");
	lua_pushboolean(L, (f->flags & SPM_FIELD_INDEXED) != 0);
	lua_setfield(L, -2, "indexed");
	lua_pushboolean(L, (f->flags & SPM_FIELD_READONLY) != 0);
	lua_setfield(L, -2, "readonly");
	if (f->label) {
		lua_pushstring(L, f->label);
		lua_setfield(L, -2, "label");
	}
	lua_pushinteger(L, (lua_Integer)f->max_length);
	lua_setfield(L, -2, "max_length");
	if (f->choices) {
		lua_createtable(L, (int)f->nchoices, 0);
		for (size_t i = 0; i < f->nchoices; i++) {
			lua_pushstring(L, f->choices[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "choices");
	}
	return 1;
}

static int push_kind(lua_State *L, struct cbcall *c)
{
	lua_pushstring(L, c->item);
	return 1;
}

static const char *const audit_ops[] = { "?", "create", "update", "delete", "schema" };

static int push_audit(lua_State *L, struct cbcall *c)
{
	const spm_audit_entry *e = c->item;

	lua_newtable(L);
	lua_pushinteger(L, e->id);
	lua_setfield(L, -2, "id");
	lua_pushinteger(L, e->change_seq);
	lua_setfield(L, -2, "change_seq");
	lua_pushinteger(L, e->at);
	lua_setfield(L, -2, "at");
	lua_pushinteger(L, e->actor);
	lua_setfield(L, -2, "actor");
	lua_pushstring(L, e->op >= 1 && e->op <= 4 ? audit_ops[e->op] : audit_ops[0]);
	lua_setfield(L, -2, "op");
	lua_pushstring(L, e->kind);
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, e->entity_id);
	lua_setfield(L, -2, "entity_id");
	lua_pushstring(L, e->field);
	lua_setfield(L, -2, "field");
	lua_pushstring(L, e->old_value);
	lua_setfield(L, -2, "old_value");
	lua_pushstring(L, e->new_value);
	lua_setfield(L, -2, "new_value");
	return 1;
}

static int push_event(lua_State *L, struct cbcall *c)
{
	const spm_event *e = c->item;
	const char *type = spm_event_type_name(e->type);

	lua_newtable(L);
	lua_pushinteger(L, e->seq);
	lua_setfield(L, -2, "seq");
	lua_pushinteger(L, e->change_seq);
	lua_setfield(L, -2, "change_seq");
	lua_pushinteger(L, e->at);
	lua_setfield(L, -2, "at");
	lua_pushinteger(L, e->actor);
	lua_setfield(L, -2, "actor");
	if (type)
		lua_pushstring(L, type);
	else
		lua_pushinteger(L, e->type);
	lua_setfield(L, -2, "type");
	lua_pushstring(L, e->kind);
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, e->entity_id);
	lua_setfield(L, -2, "entity_id");
	lua_pushstring(L, e->payload);
	lua_setfield(L, -2, "payload");
	return 1;
}

/* The collecting callback: appends push()'s value to the table at stack
 * index `list` through a small Lua-side function. */
static int append_cb(lua_State *L)
{
	/* upvalue 1: the list; argument 1: the item */
	lua_seti(L, lua_upvalueindex(1), luaL_len(L, lua_upvalueindex(1)) + 1);
	return 0;
}

struct collect {
	ldb *d;
	int fnidx;  /* absolute index of the appending closure */
	int (*push)(lua_State *L, struct cbcall *c);
};

static int collect_one(struct collect *k, const void *item)
{
	struct cbcall c = { k->push, item, 0, 0, 0 };
	return run_cb(k->d, 0, k->fnidx, 0, &c);
}

static int collect_field(const spm_field_info *f, void *payload) { return collect_one(payload, f); }
static int collect_kind(const char *kind, void *payload) { return collect_one(payload, kind); }
static int collect_audit(const spm_audit_entry *e, void *payload) { return collect_one(payload, e); }
static int collect_event(const spm_event *e, void *payload) { return collect_one(payload, e); }

/* Pushes a new list and the closure that appends to it; fills k. */
static void collect_begin(lua_State *L, ldb *d, struct collect *k,
			  int (*push)(lua_State *L, struct cbcall *c))
{
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, append_cb, 1);
	k->d = d;
	k->fnidx = lua_gettop(L);
	k->push = push;
}

/* After the C call: the list, or nil, msg, code. */
static int collect_end(lua_State *L, ldb *d, lua_State *saved, int rc, struct collect *k)
{
	int n = lspm_leave(L, d, saved, rc);

	if (n)
		return n;
	lua_pushvalue(L, k->fnidx - 1);
	return 1;
}

static int db_fields(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_opt_cstr(L, 2, "kind");
	struct collect k;
	lua_State *saved;

	if (kind == NULL && !lua_isnoneornil(L, 2))
		return 3;
	collect_begin(L, d, &k, push_field);
	saved = lspm_enter(d, L);
	return collect_end(L, d, saved, spm_field_foreach(d->db, kind, collect_field, &k), &k);
}

static int db_kinds(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	struct collect k;
	lua_State *saved;

	collect_begin(L, d, &k, push_kind);
	saved = lspm_enter(d, L);
	return collect_end(L, d, saved, spm_kind_foreach(d->db, collect_kind, &k), &k);
}

static int db_audit(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_opt_cstr(L, 2, "kind");
	lua_Integer id;
	struct collect k;
	lua_State *saved;

	if (kind == NULL && !lua_isnoneornil(L, 2))
		return 3;
	if (!lspm_opt_int(L, 3, 0, &id))
		return 3;
	lua_settop(L, 3);
	collect_begin(L, d, &k, push_audit);
	saved = lspm_enter(d, L);
	return collect_end(L, d, saved, spm_audit_foreach(d->db, kind, id, collect_audit, &k), &k);
}

static int db_outbox(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer after;
	size_t limit;
	struct collect k;
	lua_State *saved;

	if (!lspm_opt_int(L, 2, 0, &after) || !opt_size(L, 3, &limit))
		return 3;
	lua_settop(L, 3);
	collect_begin(L, d, &k, push_event);
	saved = lspm_enter(d, L);
	return collect_end(L, d, saved,
			   spm_outbox_foreach(d->db, after, limit, collect_event, &k), &k);
}

static int db_outbox_last(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	int64_t last;
	int rc = spm_outbox_last(&last, d->db);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushinteger(L, last);
	return 1;
}

static int db_consumer_position(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *name = lspm_check_cstr(L, 2, "consumer name");
	int64_t pos;
	int rc;

	if (name == NULL)
		return 3;
	rc = spm_consumer_position(&pos, d->db, name);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushinteger(L, pos);
	return 1;
}

static int db_consumer_ack(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *name = lspm_check_cstr(L, 2, "consumer name");
	lua_Integer seq;
	lua_State *saved;
	int n;

	if (name == NULL || !lspm_check_int(L, 3, &seq))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_consumer_ack(d->db, name, seq));
	return n ? n : lspm_push_ok(L);
}

static int db_consumer_poll(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *name = lspm_check_cstr(L, 2, "consumer name");
	size_t limit;
	struct collect k;
	lua_State *saved;

	if (name == NULL || !opt_size(L, 3, &limit))
		return 3;
	lua_settop(L, 3);
	collect_begin(L, d, &k, push_event);
	saved = lspm_enter(d, L);
	return collect_end(L, d, saved,
			   spm_consumer_poll(d->db, name, limit, collect_event, &k), &k);
}

static int listener_cb(const spm_event *e, void *payload)
{
	struct listener *l = payload;
	struct cbcall c = { push_event, e, 0, 0, 0 };

	return run_cb(l->d, l->fnref, 0, 0, &c);
}

/* Event type names or numbers to a mask; 0 (after pushing nil, msg, code)
 * for an unknown name. */
static uint64_t event_mask(lua_State *L, int i, int *ok)
{
	uint64_t mask = 0;
	lua_Integer n;

	*ok = 1;
	if (lua_isnoneornil(L, i))
		return SPM_EVENT_MASK_ALL;
	if (lua_isstring(L, i) && !lua_isnumber(L, i)) {
		lua_createtable(L, 1, 0);
		lua_pushvalue(L, i);
		lua_rawseti(L, -2, 1);
		lua_replace(L, i);
	}
	luaL_checktype(L, i, LUA_TTABLE);
	n = luaL_len(L, i);
	for (lua_Integer k = 1; k <= n; k++) {
		int type = 0;
		lua_geti(L, i, k);
		if (lua_isinteger(L, -1)) {
			type = (int)lua_tointeger(L, -1);
		} else if (lua_type(L, -1) == LUA_TSTRING) {
			const char *s = lua_tostring(L, -1);
			for (int t = 1; t < 64; t++) {
				const char *name = spm_event_type_name(t);
				if (name && strcmp(name, s) == 0) {
					type = t;
					break;
				}
			}
		}
		if (type < 1 || type > 63 || spm_event_type_name(type) == NULL) {
			const char *s = luaL_tolstring(L, -1, NULL);
			lspm_push_fail_msg(L, SPM_EINVAL,
				      lua_pushfstring(L, "unknown event type '%s'", s));
			*ok = 0;
			return 0;
		}
		mask |= SPM_EVENT_MASK(type);
		lua_pop(L, 1);
	}
	return mask;
}

/* db:listen(fn [, types]) -> id: fn(event) after each commit. */
static int db_listen(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	struct listener *l;
	uint64_t mask;
	int ok, rc;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	mask = event_mask(L, 3, &ok);
	if (!ok)
		return 3;
	l = malloc(sizeof(*l));
	if (l == NULL)
		return lspm_push_fail_msg(L, SPM_ENOMEM, "out of memory");
	lua_pushvalue(L, 2);
	l->fnref = luaL_ref(L, LUA_REGISTRYINDEX);
	l->d = d;
	rc = spm_listener_add(&l->id, d->db, mask, listener_cb, l);
	if (rc != SPM_OK) {
		luaL_unref(L, LUA_REGISTRYINDEX, l->fnref);
		free(l);
		return lspm_push_fail(L, rc);
	}
	l->next = d->listeners;
	d->listeners = l;
	lua_pushinteger(L, l->id);
	return 1;
}

static int db_unlisten(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);
	struct listener **p;
	int rc = spm_listener_remove(d->db, (int)id);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	for (p = &d->listeners; *p; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct listener *l = *p;
			*p = l->next;
			luaL_unref(L, LUA_REGISTRYINDEX, l->fnref);
			free(l);
			break;
		}
	}
	return lspm_push_ok(L);
}

/* ------------------------------------------------------------ records */

static int record_set_value(lua_State *L, struct child *c, const char *field, int vi, int curi);

/* Sets every key of the table at index ti on the record at index ri. */
static int record_set_table(lua_State *L, int ri, int ti)
{
	struct child *c = lspm_check_child(L, ri, CHILD_RECORD);

	lua_pushnil(L);
	while (lua_next(L, ti) != 0) {
		int top = lua_gettop(L), n;
		const char *field;
		if (lua_type(L, -2) != LUA_TSTRING)
			return lspm_push_fail_msg(L, SPM_EINVAL, "field names are strings");
		field = lua_tostring(L, -2);
		n = record_set_value(L, c, field, top, 0);
		if (n)
			return n;
		lua_settop(L, top - 1);
	}
	return 0;
}

static int db_new(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	struct child *c;
	spm_record *rec;
	int rc, n;

	if (kind == NULL)
		return 3;
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	c = lspm_child_new(L, 1, CHILD_RECORD);  /* 4 */
	rc = spm_record_new(&rec, d->db, kind);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lspm_child_adopt(d, c, rec);
	if (!lua_isnil(L, 3)) {
		n = record_set_table(L, 4, 3);
		if (n) {
			child_free(c);
			return n;
		}
	}
	lua_settop(L, 4);
	return 1;
}

static int db_get(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	lua_Integer id;
	struct child *c;
	spm_record *rec;
	int rc;

	if (kind == NULL || !lspm_check_int(L, 3, &id))
		return 3;
	c = lspm_child_new(L, 1, CHILD_RECORD);
	rc = spm_record_get(&rec, d->db, kind, id);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lspm_child_adopt(d, c, rec);
	return 1;
}

static int db_delete(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	lua_Integer id;
	lua_State *saved;
	int n;

	if (kind == NULL || !lspm_check_int(L, 3, &id))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_record_delete(d->db, kind, id));
	return n ? n : lspm_push_ok(L);
}

struct type_lookup {
	const char *name;
	spm_field_type type;
};

static int find_type(const spm_field_info *f, void *payload)
{
	struct type_lookup *t = payload;

	if (strcmp(f->name, t->name) == 0) {
		t->type = f->type;
		return 1;
	}
	return 0;
}

/* The type of a record's field; 0 when the kind has no such field. */
static spm_field_type field_type(struct child *c, const char *field)
{
	struct type_lookup t = { field, (spm_field_type)0 };

	spm_field_foreach(c->d->db, spm_record_kind(c->h), find_type, &t);
	return t.type;
}

static int record_set_value(lua_State *L, struct child *c, const char *field, int vi, int curi)
{
	spm_record *rec = c->h;
	spm_field_type t;
	int rc, isnull;

	if (lua_isnil(L, vi))
		return (rc = spm_record_set_null(rec, field)) ? lspm_push_fail(L, rc) : 0;
	t = field_type(c, field);
	if (t == 0)  /* unknown field: let the library say so */
		return lspm_push_fail(L, spm_record_is_null(&isnull, rec, field));
	switch (lua_type(L, vi)) {
	case LUA_TBOOLEAN:
		rc = spm_record_set_bool(rec, field, lua_toboolean(L, vi));
		break;
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, vi, &len);
		if (strlen(s) != len)
			return lspm_push_fail_msg(L, SPM_EINVAL,
					     lua_pushfstring(L, "%s: a NUL byte in the value", field));
		rc = spm_record_set_from_text(rec, field, s);
		break;
	}
	case LUA_TNUMBER: {
		lua_Integer v;
		if (!lua_isinteger(L, vi))
			return lspm_push_fail_msg(L, SPM_EINVAL, lua_pushfstring(L,
				"%s: floats are refused (money is integer minor units, or text)",
				field));
		v = lua_tointeger(L, vi);
		if (t == SPM_FIELD_MONEY) {
			const char *cur = curi ? lua_tostring(L, curi) : NULL;
			if (cur == NULL)
				return lspm_push_fail_msg(L, SPM_EINVAL, lua_pushfstring(L,
					"%s is money: give a currency (rec:set(f, 1250, \"EUR\")) "
					"or text (\"12.50 EUR\")", field));
			rc = spm_record_set_money(rec, field, v, cur);
		} else if (t == SPM_FIELD_DATE) {
			if (v < INT32_MIN || v > INT32_MAX)
				return lspm_push_fail_msg(L, SPM_ERANGE, "date out of range");
			rc = spm_record_set_date(rec, field, (spm_date)v);
		} else if (t == SPM_FIELD_TIME) {
			rc = spm_record_set_time(rec, field, v);
		} else {
			rc = spm_record_set_int(rec, field, v);
		}
		break;
	}
	default:
		return lspm_push_fail_msg(L, SPM_EINVAL,
				     lua_pushfstring(L, "%s: cannot store a %s", field,
						     luaL_typename(L, vi)));
	}
	return rc != SPM_OK ? lspm_push_fail(L, rc) : 0;
}

/* rec:set(field, value [, currency]) or rec:set{ field = value, … } */
static int rec_set(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	const char *field;
	int n;

	if (lua_istable(L, 2)) {
		n = record_set_table(L, 1, 2);
	} else {
		if ((field = lspm_check_cstr(L, 2, "field")) == NULL)
			return 3;
		luaL_checkany(L, 3);
		if (!lua_isnoneornil(L, 4))
			luaL_checktype(L, 4, LUA_TSTRING);
		n = record_set_value(L, c, field, 3, lua_isnoneornil(L, 4) ? 0 : 4);
	}
	if (n)
		return n;
	lua_settop(L, 1);
	return 1;
}

/* rec:set_text(field, text): parsed by the field's type; nil clears. */
static int rec_set_text(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	const char *field = lspm_check_cstr(L, 2, "field");
	const char *text = lspm_opt_cstr(L, 3, "text");
	int rc;

	if (field == NULL || (text == NULL && !lua_isnoneornil(L, 3)))
		return 3;
	rc = spm_record_set_from_text(c->h, field, text);
	return rc != SPM_OK ? lspm_push_fail(L, rc) : lspm_push_ok(L);
}

/* Pushes the value of a field (nil when it has none); returns the number
 * of values pushed (money: minor, currency), or -rc on error. */
static int push_value(lua_State *L, struct child *c, const char *field)
{
	spm_record *rec = c->h;
	spm_field_type t;
	int isnull, rc = spm_record_is_null(&isnull, rec, field);

	if (rc != SPM_OK)
		return rc;
	if (isnull) {
		lua_pushnil(L);
		return 1;
	}
	t = field_type(c, field);
	switch (t) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM: {
		const char *s;
		if ((rc = spm_record_get_text(&s, rec, field)) != SPM_OK)
			return rc;
		lua_pushstring(L, s);
		return 1;
	}
	case SPM_FIELD_MONEY: {
		int64_t minor;
		const char *cur;
		if ((rc = spm_record_get_money(&minor, &cur, rec, field)) != SPM_OK)
			return rc;
		lua_pushinteger(L, minor);
		lua_pushstring(L, cur);
		return 2;
	}
	case SPM_FIELD_DATE: {
		const char *s;
		if ((rc = spm_record_get_as_text(&s, rec, field)) != SPM_OK)
			return rc;
		lua_pushstring(L, s);
		return 1;
	}
	case SPM_FIELD_BOOLEAN: {
		int b;
		if ((rc = spm_record_get_bool(&b, rec, field)) != SPM_OK)
			return rc;
		lua_pushboolean(L, b);
		return 1;
	}
	case SPM_FIELD_TIME: {
		spm_time v;
		if ((rc = spm_record_get_time(&v, rec, field)) != SPM_OK)
			return rc;
		lua_pushinteger(L, v);
		return 1;
	}
	default: {
		int64_t v;
		if ((rc = spm_record_get_int(&v, rec, field)) != SPM_OK)
			return rc;
		lua_pushinteger(L, v);
		return 1;
	}
	}
}

/* rec:get(field): text, integer, boolean, "YYYY-MM-DD", or minor, currency. */
static int rec_get(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	const char *field = lspm_check_cstr(L, 2, "field");
	int n;

	if (field == NULL)
		return 3;
	n = push_value(L, c, field);
	return n > 0 ? n : lspm_push_fail(L, n);
}

static int rec_get_text(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	const char *field = lspm_check_cstr(L, 2, "field");
	const char *s;
	int rc;

	if (field == NULL)
		return 3;
	rc = spm_record_get_as_text(&s, c->h, field);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushstring(L, s);
	return 1;
}

static int rec_kind(lua_State *L)
{
	lua_pushstring(L, spm_record_kind(lspm_check_child(L, 1, CHILD_RECORD)->h));
	return 1;
}

static int rec_id(lua_State *L)
{
	lua_pushinteger(L, spm_record_id(lspm_check_child(L, 1, CHILD_RECORD)->h));
	return 1;
}

static int rec_seq(lua_State *L)
{
	lua_pushinteger(L, spm_record_seq(lspm_check_child(L, 1, CHILD_RECORD)->h));
	return 1;
}

static int rec_deleted(lua_State *L)
{
	lua_pushboolean(L, spm_record_is_deleted(lspm_check_child(L, 1, CHILD_RECORD)->h));
	return 1;
}

static int rec_to_json(lua_State *L)
{
	const char *json;
	int rc = spm_record_to_json(&json, lspm_check_child(L, 1, CHILD_RECORD)->h);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_pushstring(L, json);
	return 1;
}

static int push_field_name(lua_State *L, struct cbcall *c)
{
	lua_pushstring(L, ((const spm_field_info *)c->item)->name);
	return 1;
}

/* rec:to_table() -> { kind =, id =, seq =, fields = { name = value, … } };
 * money as { minor =, currency = }. */
static int rec_to_table(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	struct collect k;
	lua_State *saved;
	int n, names;

	lua_settop(L, 1);
	push_child_db(L, 1);  /* 2: keeps the db alive while collecting */
	collect_begin(L, c->d, &k, push_field_name);
	saved = lspm_enter(c->d, L);
	n = collect_end(L, c->d, saved,
			spm_field_foreach(c->d->db, spm_record_kind(c->h), collect_field, &k), &k);
	if (n != 1)
		return n;
	names = lua_gettop(L);
	lua_createtable(L, 0, 4);
	lua_pushstring(L, spm_record_kind(c->h));
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, spm_record_id(c->h));
	lua_setfield(L, -2, "id");
	lua_pushinteger(L, spm_record_seq(c->h));
	lua_setfield(L, -2, "seq");
	lua_newtable(L);
	for (lua_Integer i = 1, count = luaL_len(L, names); i <= count; i++) {
		const char *name;
		lua_geti(L, names, i);
		name = lua_tostring(L, -1);
		n = push_value(L, c, name);
		if (n < 0)
			return lspm_push_fail(L, n);
		if (n == 2) {
			lua_createtable(L, 0, 2);
			lua_insert(L, -3);
			lua_setfield(L, -3, "currency");
			lua_setfield(L, -2, "minor");
		}
		lua_setfield(L, -3, name);
		lua_pop(L, 1);
	}
	lua_setfield(L, -2, "fields");
	return 1;
}

static int rec_save(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	ldb *d = c->d;
	lua_State *saved = lspm_enter(d, L);
	int n = lspm_leave(L, d, saved, spm_record_save(d->db, c->h));

	if (n)
		return n;
	lua_settop(L, 1);
	return 1;
}

static int rec_delete(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	ldb *d = c->d;
	lua_State *saved = lspm_enter(d, L);
	int n = lspm_leave(L, d, saved,
		      spm_record_delete(d->db, spm_record_kind(c->h), spm_record_id(c->h)));

	return n ? n : lspm_push_ok(L);
}

/* A new record userdata holding a copy of rec, for the db at index dbidx. */
static int push_record_copy(lua_State *L, ldb *d, int dbidx, const spm_record *rec)
{
	struct child *c = lspm_child_new(L, dbidx, CHILD_RECORD);
	spm_record *copy;
	int rc = spm_record_dup(&copy, rec);

	if (rc != SPM_OK)
		return rc;
	lspm_child_adopt(d, c, copy);
	return SPM_OK;
}

static int rec_dup(lua_State *L)
{
	struct child *c = lspm_check_child(L, 1, CHILD_RECORD);
	int rc;

	push_child_db(L, 1);
	rc = push_record_copy(L, c->d, lua_gettop(L), c->h);
	return rc != SPM_OK ? lspm_push_fail(L, rc) : 1;
}

static int rec_tostring(lua_State *L)
{
	struct child *c = luaL_checkudata(L, 1, RECORD_MT);

	if (c->h == NULL)
		lua_pushliteral(L, "spm.record (closed)");
	else
		lua_pushfstring(L, "spm.record %s %I seq %I", spm_record_kind(c->h),
				(lua_Integer)spm_record_id(c->h), (lua_Integer)spm_record_seq(c->h));
	return 1;
}

/* ------------------------------------------------------------ batches */

static int db_batch(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	struct child *c = lspm_child_new(L, 1, CHILD_BATCH);
	spm_batch *b;
	int rc = spm_batch_new(&b, d->db);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lspm_child_adopt(d, c, b);
	return 1;
}

static int batch_save(lua_State *L)
{
	struct child *b = lspm_check_child(L, 1, CHILD_BATCH);
	struct child *r = lspm_check_child(L, 2, CHILD_RECORD);
	int rc = spm_batch_save(b->h, r->h);

	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_settop(L, 1);
	return 1;
}

static int batch_delete(lua_State *L)
{
	struct child *b = lspm_check_child(L, 1, CHILD_BATCH);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	lua_Integer id;
	int rc;

	if (kind == NULL || !lspm_check_int(L, 3, &id))
		return 3;
	rc = spm_batch_delete(b->h, kind, id);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_settop(L, 1);
	return 1;
}

static int batch_count(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)spm_batch_count(lspm_check_child(L, 1, CHILD_BATCH)->h));
	return 1;
}

static int push_batch_ids(lua_State *L, struct child *b)
{
	size_t n = spm_batch_count(b->h);

	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		int64_t id;
		int rc = spm_batch_id(&id, b->h, i);
		if (rc != SPM_OK)
			return lspm_push_fail(L, rc);
		lua_pushinteger(L, id);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static int batch_ids(lua_State *L)
{
	return push_batch_ids(L, lspm_check_child(L, 1, CHILD_BATCH));
}

/* batch:commit([key]) -> ids, replayed */
static int batch_commit(lua_State *L)
{
	struct child *b = lspm_check_child(L, 1, CHILD_BATCH);
	const char *key = lspm_opt_cstr(L, 2, "key");
	ldb *d = b->d;
	lua_State *saved;
	int n;

	if (key == NULL && !lua_isnoneornil(L, 2))
		return 3;
	saved = lspm_enter(d, L);
	n = lspm_leave(L, d, saved, spm_batch_commit(b->h, key));
	if (n)
		return n;
	n = push_batch_ids(L, b);
	if (n != 1)
		return n;
	lua_pushboolean(L, spm_batch_replayed(b->h));
	return 2;
}

static int batch_replayed(lua_State *L)
{
	lua_pushboolean(L, spm_batch_replayed(lspm_check_child(L, 1, CHILD_BATCH)->h));
	return 1;
}

/* ------------------------------------------------------------ queries */

static int db_query(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *kind = lspm_check_cstr(L, 2, "kind");
	struct child *c;
	spm_query *q;
	int rc;

	if (kind == NULL)
		return 3;
	c = lspm_child_new(L, 1, CHILD_QUERY);
	rc = spm_query_new(&q, d->db, kind);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lspm_child_adopt(d, c, q);
	return 1;
}

static const struct { const char *op; spm_compare cmp; } compares[] = {
	{ "=", SPM_CMP_EQ }, { "==", SPM_CMP_EQ }, { "~=", SPM_CMP_NE }, { "!=", SPM_CMP_NE },
	{ "<", SPM_CMP_LT }, { "<=", SPM_CMP_LE }, { ">", SPM_CMP_GT }, { ">=", SPM_CMP_GE },
};

/* q:where(field, op, value) -> q */
static int query_where(lua_State *L)
{
	struct child *q = lspm_check_child(L, 1, CHILD_QUERY);
	const char *field = lspm_check_cstr(L, 2, "field");
	const char *op = luaL_checkstring(L, 3);
	spm_compare cmp = (spm_compare)0;
	int rc;

	if (field == NULL)
		return 3;
	for (size_t i = 0; i < sizeof(compares) / sizeof(compares[0]); i++)
		if (strcmp(compares[i].op, op) == 0)
			cmp = compares[i].cmp;
	if (cmp == 0)
		return lspm_push_fail_msg(L, SPM_EINVAL,
				     lua_pushfstring(L, "unknown comparison '%s'", op));
	switch (lua_type(L, 4)) {
	case LUA_TSTRING: {
		const char *v = lspm_check_cstr(L, 4, "value");
		if (v == NULL)
			return 3;
		rc = spm_query_where_text(q->h, field, cmp, v);
		break;
	}
	case LUA_TBOOLEAN:
		rc = spm_query_where_int(q->h, field, cmp, lua_toboolean(L, 4));
		break;
	default: {
		lua_Integer v;
		if (!lspm_check_int(L, 4, &v))
			return 3;
		rc = spm_query_where_int(q->h, field, cmp, v);
	}
	}
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_settop(L, 1);
	return 1;
}

static int query_since(lua_State *L)
{
	struct child *q = lspm_check_child(L, 1, CHILD_QUERY);
	lua_Integer seq;
	int rc;

	if (!lspm_check_int(L, 2, &seq))
		return 3;
	rc = spm_query_changed_since(q->h, seq);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_settop(L, 1);
	return 1;
}

static int query_limit(lua_State *L)
{
	struct child *q = lspm_check_child(L, 1, CHILD_QUERY);
	size_t n;
	int rc;

	if (!opt_size(L, 2, &n))
		return 3;
	rc = spm_query_limit(q->h, n);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lua_settop(L, 1);
	return 1;
}

/* q:iter() -> an iterator handle (it:next()). */
static int query_iter(lua_State *L)
{
	struct child *q = lspm_check_child(L, 1, CHILD_QUERY);
	struct child *it;
	spm_record_iter *h;
	int rc;

	push_child_db(L, 1);  /* 2 */
	it = lspm_child_new(L, 2, CHILD_ITER);
	rc = spm_record_iter_new(&h, q->h);
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	lspm_child_adopt(q->d, it, h);
	return 1;
}

/* it:next() -> record; nil at the end; nil, msg, code on error. */
static int iter_next(lua_State *L)
{
	struct child *it = luaL_checkudata(L, 1, ITER_MT);
	const spm_record *rec;
	ldb *d = it->d;
	int rc;

	if (it->h == NULL) {
		lua_pushnil(L);
		return 1;
	}
	rc = spm_record_iter_next(&rec, it->h);
	if (rc == SPM_ITEROVER) {
		child_free(it);
		lua_pushnil(L);
		return 1;
	}
	if (rc != SPM_OK)
		return lspm_push_fail(L, rc);
	push_child_db(L, 1);
	rc = push_record_copy(L, d, lua_gettop(L), rec);
	return rc != SPM_OK ? lspm_push_fail(L, rc) : 1;
}

/* The generic-for step of q:records(): raises on an error, since a nil
 * would end the loop silently. */
static int records_step(lua_State *L)
{
	int n;

	lua_settop(L, 1);
	n = iter_next(L);
	if (n == 3) {
		lua_pop(L, 1);  /* the code; the message is below it */
		return lua_error(L);
	}
	return n;
}

/* for rec in q:records() do … end (the iterator is closed on break). */
static int query_records(lua_State *L)
{
	int n = query_iter(L);

	if (n != 1)
		return n;
	lua_pushcfunction(L, records_step);
	lua_insert(L, -2);
	lua_pushnil(L);
	lua_pushvalue(L, -2);
	return 4;
}

struct foreach_state {
	ldb *d;
	int fnidx;
	int dbidx;
};

static int push_foreach_record(lua_State *L, struct cbcall *c)
{
	const spm_record *rec = c->item;
	int rc;

	/* argument 2 of the protected call is the db userdata */
	rc = push_record_copy(L, lua_touserdata(L, 2), 2, rec);
	if (rc != SPM_OK)
		return luaL_error(L, "%s", spm_error_message());
	return 1;
}

static int foreach_cb(const spm_record *rec, void *payload)
{
	struct foreach_state *s = payload;
	struct cbcall c = { push_foreach_record, rec, 0, 0, 0 };

	return run_cb(s->d, 0, s->fnidx, s->dbidx, &c);
}

/* q:foreach(fn): fn(record) per match; return spm.STOP to stop. */
static int query_foreach(lua_State *L)
{
	struct child *q = lspm_check_child(L, 1, CHILD_QUERY);
	struct foreach_state s;
	lua_State *saved;
	int n;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_settop(L, 2);
	push_child_db(L, 1);  /* 3 */
	s.d = q->d;
	s.fnidx = 2;
	s.dbidx = 3;
	saved = lspm_enter(s.d, L);
	n = lspm_leave(L, s.d, saved, spm_query_foreach(q->h, foreach_cb, &s));
	return n ? n : lspm_push_ok(L);
}

/* ------------------------------------------------------------ registration */

static const luaL_Reg db_methods[] = {
	{ "close", db_close },
	{ "is_closed", db_is_closed },
	{ "actor", db_actor },
	{ "set_actor", db_set_actor },
	{ "now", db_now },
	{ "schema_version", db_schema_version },
	{ "tick", db_tick },
	{ "scope", db_scope },
	{ "can", db_can },
	{ "claim_lead", db_claim_lead },
	{ "release_lead", db_release_lead },
	{ "assign_pool", db_assign_pool },
	{ "field_add", db_field_add },
	{ "field_drop", db_field_drop },
	{ "fields", db_fields },
	{ "kinds", db_kinds },
	{ "new", db_new },
	{ "get", db_get },
	{ "delete", db_delete },
	{ "query", db_query },
	{ "batch", db_batch },
	{ "audit", db_audit },
	{ "listen", db_listen },
	{ "unlisten", db_unlisten },
	{ "outbox", db_outbox },
	{ "outbox_last", db_outbox_last },
	{ "consumer_position", db_consumer_position },
	{ "consumer_ack", db_consumer_ack },
	{ "consumer_poll", db_consumer_poll },
	{ NULL, NULL }
};

static const luaL_Reg record_methods[] = {
	{ "kind", rec_kind },
	{ "id", rec_id },
	{ "seq", rec_seq },
	{ "deleted", rec_deleted },
	{ "get", rec_get },
	{ "get_text", rec_get_text },
	{ "set", rec_set },
	{ "set_text", rec_set_text },
	{ "to_json", rec_to_json },
	{ "to_table", rec_to_table },
	{ "save", rec_save },
	{ "delete", rec_delete },
	{ "dup", rec_dup },
	{ "close", lspm_child_close },
	{ "is_closed", lspm_child_is_closed },
	{ NULL, NULL }
};

static const luaL_Reg batch_methods[] = {
	{ "save", batch_save },
	{ "delete", batch_delete },
	{ "count", batch_count },
	{ "commit", batch_commit },
	{ "ids", batch_ids },
	{ "replayed", batch_replayed },
	{ "close", lspm_child_close },
	{ "is_closed", lspm_child_is_closed },
	{ NULL, NULL }
};

static const luaL_Reg query_methods[] = {
	{ "where", query_where },
	{ "since", query_since },
	{ "limit", query_limit },
	{ "iter", query_iter },
	{ "records", query_records },
	{ "foreach", query_foreach },
	{ "close", lspm_child_close },
	{ "is_closed", lspm_child_is_closed },
	{ NULL, NULL }
};

static const luaL_Reg iter_methods[] = {
	{ "next", iter_next },
	{ "close", lspm_child_close },
	{ "is_closed", lspm_child_is_closed },
	{ NULL, NULL }
};

static int db_gc(lua_State *L)
{
	db_free(L, lua_touserdata(L, 1));
	return 0;
}

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods,
		      lua_CFunction gc, lua_CFunction tostring)
{
	luaL_newmetatable(L, name);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__close");
	if (tostring) {
		lua_pushcfunction(L, tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pushstring(L, name);
	lua_setfield(L, -2, "__name");
	lua_pop(L, 1);
}

void lspm_add_db_methods(lua_State *L, const luaL_Reg *methods)
{
	luaL_getmetatable(L, DB_MT);
	lua_getfield(L, -1, "__index");
	luaL_setfuncs(L, methods, 0);
	lua_pop(L, 2);
}

static const luaL_Reg module_functions[] = {
	{ "open", l_open },
	{ "version", l_version },
	{ "schema_version_supported", l_schema_version_supported },
	{ "result_name", l_result_name },
	{ "money_parse", l_money_parse },
	{ "money_format", l_money_format },
	{ "money_split", l_money_split },
	{ "date_parse", l_date_parse },
	{ "date_format", l_date_format },
	{ NULL, NULL }
};

static const struct { const char *name; int code; } codes[] = {
	{ "OK", SPM_OK }, { "ERROR", SPM_ERROR }, { "EINVAL", SPM_EINVAL },
	{ "ENOMEM", SPM_ENOMEM }, { "ENOTFOUND", SPM_ENOTFOUND }, { "EEXISTS", SPM_EEXISTS },
	{ "ESTORAGE", SPM_ESTORAGE }, { "EBUSY", SPM_EBUSY }, { "EPERM", SPM_EPERM },
	{ "ECONFLICT", SPM_ECONFLICT }, { "EVERSION", SPM_EVERSION },
	{ "EOVERFLOW", SPM_EOVERFLOW }, { "ERANGE", SPM_ERANGE },
	{ "ECURRENCY", SPM_ECURRENCY }, { "EUSER", SPM_EUSER }, { "ECORRUPT", SPM_ECORRUPT },
	{ "ELIMIT", SPM_ELIMIT }, { "EGATE", SPM_EGATE },
	{ "ELIMIT", SPM_ELIMIT }, { "EAPPROVAL", SPM_EAPPROVAL },
	{ "ITEROVER", SPM_ITEROVER },
};

/* The only exported symbol (the module builds with hidden visibility). */
__attribute__((visibility("default"))) LUAMOD_API int luaopen_spm(lua_State *L);

int luaopen_spm(lua_State *L)
{
	luaL_checkversion(L);
	new_class(L, DB_MT, db_methods, db_gc, db_tostring);
	new_class(L, RECORD_MT, record_methods, lspm_child_close, rec_tostring);
	new_class(L, BATCH_MT, batch_methods, lspm_child_close, NULL);
	new_class(L, QUERY_MT, query_methods, lspm_child_close, NULL);
	new_class(L, ITER_MT, iter_methods, lspm_child_close, NULL);
	/* A batch knows its size with #. */
	luaL_getmetatable(L, BATCH_MT);
	lua_pushcfunction(L, batch_count);
	lua_setfield(L, -2, "__len");
	lua_pop(L, 1);
	/* Each area's db methods, from its own file (spm_lua.h). */
	lspm_open_pipeline(L);
	lspm_open_import_opps(L);
	lspm_open_customers(L);
	lspm_open_csv(L);
	lspm_open_collab(L);
	lspm_open_targets(L);
	lspm_open_report(L);
	lspm_open_audit(L);

	luaL_newlib(L, module_functions);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		lua_pushinteger(L, codes[i].code);
		lua_setfield(L, -2, codes[i].name);
	}
	lua_pushlightuserdata(L, STOP);
	lua_setfield(L, -2, "STOP");
	lua_pushstring(L, spm_version_string());
	lua_setfield(L, -2, "_VERSION");
	return 1;
}
