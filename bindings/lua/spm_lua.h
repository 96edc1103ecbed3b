/* Shared by the files of the Lua module: the handle types and the argument
 * and result helpers of spm_lua.c. Each area of libspm (pipelines, targets,
 * reports, ...) adds its db methods from its own file through
 * lspm_add_db_methods(), called from luaopen_spm(). */
#ifndef SPM_LUA_H
#define SPM_LUA_H

#include <lauxlib.h>
#include <lua.h>

#include <spm/spm.h>

#define DB_MT "spm.db"
#define RECORD_MT "spm.record"
#define BATCH_MT "spm.batch"
#define QUERY_MT "spm.query"
#define ITER_MT "spm.iter"

typedef struct ldb ldb;

enum child_type { CHILD_RECORD, CHILD_BATCH, CHILD_QUERY, CHILD_ITER };

/* The userdata of a record, batch, query or iterator. */
struct child {
	struct child *prev, *next; /* in the db's list of open children */
	ldb *d;                    /* NULL once closed */
	void *h;                   /* the C handle; NULL once closed */
	enum child_type type;
};

/* A listener's payload for libspm; lives until removed or the db closes. */
struct listener {
	struct listener *next;
	ldb *d;
	int id;
	int fnref;
};

/* The userdata of a db. The registry slot keyed by this pointer holds a
 * pending callback error (false when none); it is created at open, so
 * storing an error later needs no allocation. */
struct ldb {
	spm_db *db;
	lua_State *L;            /* the state running the current call, for callbacks */
	struct child children;   /* list sentinel */
	struct listener *listeners;
	int clock_ref;
	int stopped;             /* a callback returned spm.STOP */
};

/* Results: nil, message, code (pushes 3 values, returns 3); true (returns 1). */
int lspm_push_fail(lua_State *L, int rc);
int lspm_push_fail_msg(lua_State *L, int rc, const char *msg);
int lspm_push_ok(lua_State *L);

/* Around a call that may run Lua callbacks: lspm_leave() returns 3 (after
 * pushing nil, msg, code) when the call or a callback failed, else 0. */
lua_State *lspm_enter(ldb *d, lua_State *L);
int lspm_leave(lua_State *L, ldb *d, lua_State *saved, int rc);

/* Handles. lspm_open_db() raises on a closed db. */
ldb *lspm_check_db(lua_State *L, int i);
ldb *lspm_open_db(lua_State *L, int i);
struct child *lspm_child_new(lua_State *L, int dbidx, enum child_type type);
void lspm_child_adopt(ldb *d, struct child *c, void *h);
struct child *lspm_check_child(lua_State *L, int i, enum child_type type);
int lspm_child_close(lua_State *L);
int lspm_child_is_closed(lua_State *L);

/* Arguments: NULL or 0 after pushing nil, msg, code (the caller returns 3). */
const char *lspm_check_cstr(lua_State *L, int i, const char *what);
const char *lspm_opt_cstr(lua_State *L, int i, const char *what);
int lspm_check_int(lua_State *L, int i, lua_Integer *out);
int lspm_opt_int(lua_State *L, int i, lua_Integer def, lua_Integer *out);

/* Adds methods to the db metatable (call from luaopen_spm only). */
void lspm_add_db_methods(lua_State *L, const luaL_Reg *methods);

/* Each area's db methods (spm_lua_<area>.c). */
void lspm_open_pipeline(lua_State *L);
/* spm_lua_import_opps.c: db:import_opps(), db:export_opps() */
void lspm_open_import_opps(lua_State *L);
void lspm_open_customers(lua_State *L);
void lspm_open_csv(lua_State *L);
/* Each area's methods (spm_lua_<area>.c). */
void lspm_open_collab(lua_State *L);
void lspm_open_targets(lua_State *L);
/* Each area's methods (one file each). */
void lspm_open_report(lua_State *L);
/* spm_lua_audit.c: db:audit_head(), db:audit_verify() */
void lspm_open_audit(lua_State *L);

#endif
