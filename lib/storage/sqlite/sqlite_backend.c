/* The SQLite backend: opening a connection, its pragmas, transactions, the
 * ops table, and the helpers the other files of the backend share.
 *
 * The backend never calls sqlite3_config() or any other process-wide SQLite
 * function: the host may use SQLite itself, and tests install their own
 * allocator and VFS. Everything is per connection.
 */
#include "storage/sqlite/sqlite_image.h"
#include "storage/sqlite/sqlite_internal.h"
#include "storage/storage_internal.h"

#include <string.h>
#include <time.h>

/* A new WAL file raced by several first openers makes PRAGMA journal_mode=WAL
 * fail with SQLITE_BUSY without consulting the busy handler (the mode change
 * needs an exclusive lock). Retrying briefly resolves it (TESTING.md §C). */
#define SPM__SQLITE_WAL_ATTEMPTS 100
#define SPM__SQLITE_WAL_PAUSE_NS 10000000L

/* ---- SQL text buffer ------------------------------------------------- */

void spm__sqlite_buf_init(spm__sqlite_buf *buf, spm_db *db)
{
	memset(buf, 0, sizeof(*buf));
	buf->db = db;
}

static int spm__sqlite_buf_reserve(spm__sqlite_buf *buf, size_t more)
{
	size_t cap;
	char *ptr;

	if (buf->failed)
		return 0;
	if (buf->len + more + 1 <= buf->cap)
		return 1;
	cap = buf->cap ? buf->cap : 256;
	while (cap < buf->len + more + 1)
		cap *= 2;
	/* The handle's allocator has no realloc for backends: copy over. */
	ptr = spm_storage_malloc(buf->db, cap);
	if (ptr == NULL) {
		buf->failed = 1;
		return 0;
	}
	if (buf->ptr != NULL)
		memcpy(ptr, buf->ptr, buf->len + 1);
	else
		ptr[0] = '\0';
	spm_storage_free(buf->db, buf->ptr);
	buf->ptr = ptr;
	buf->cap = cap;
	return 1;
}

void spm__sqlite_buf_add(spm__sqlite_buf *buf, const char *text)
{
	size_t n = strlen(text);

	if (!spm__sqlite_buf_reserve(buf, n))
		return;
	memcpy(buf->ptr + buf->len, text, n + 1);
	buf->len += n;
}

void spm__sqlite_buf_ident(spm__sqlite_buf *buf, const char *name)
{
	spm__sqlite_buf_add(buf, "\"");
	spm__sqlite_buf_add(buf, name);
	spm__sqlite_buf_add(buf, "\"");
}

void spm__sqlite_buf_currency_ident(spm__sqlite_buf *buf, const char *name)
{
	spm__sqlite_buf_add(buf, "\"");
	spm__sqlite_buf_add(buf, name);
	spm__sqlite_buf_add(buf, "_currency\"");
}

int spm__sqlite_buf_status(const spm__sqlite_buf *buf)
{
	if (buf->failed)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory building a statement");
	return SPM_OK;
}

void spm__sqlite_buf_free(spm__sqlite_buf *buf)
{
	spm_storage_free(buf->db, buf->ptr);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
}

/* ---- errors and statements ------------------------------------------- */

static int spm__sqlite_status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SPM_EBUSY;
	case SQLITE_NOMEM:
		return SPM_ENOMEM;
	case SQLITE_CONSTRAINT:
		/* The backend declares no constraint a valid write can break
		 * except by racing another writer. */
		return SPM_ECONFLICT;
	case SQLITE_READONLY:
		return SPM_EPERM;
	default:
		return SPM_ESTORAGE;
	}
}

int spm__sqlite_fail(spm__sqlite *s, int rc, const char *what, const char *object)
{
	const char *msg;

	/* The connection's message describes its last error; when rc comes
	 * from elsewhere (or there is no connection), describe rc itself. */
	if (s != NULL && s->conn != NULL && (sqlite3_errcode(s->conn) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(s->conn);
	else
		msg = sqlite3_errstr(rc);
	return spm_storage_error(spm__sqlite_status_of(rc), "sqlite: %s%s%s (%s)", what,
				 object ? " " : "", object ? object : "", msg);
}

int spm__sqlite_prepare(spm__sqlite *s, sqlite3_stmt **out, const char *sql, int persistent,
			const char *what, const char *object)
{
	int rc;

	rc = sqlite3_prepare_v3(s->conn, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
				out, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*out);
		*out = NULL;
		return spm__sqlite_fail(s, rc, what, object);
	}
	return SPM_OK;
}

int spm__sqlite_exec(spm__sqlite *s, const char *sql, const char *what, const char *object)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = spm__sqlite_prepare(s, &stmt, sql, 0, what, object);
	if (rc != SPM_OK)
		return rc;
	do
		rc = sqlite3_step(stmt);
	while (rc == SQLITE_ROW);
	if (rc != SQLITE_DONE) {
		rc = spm__sqlite_fail(s, rc, what, object);
		sqlite3_finalize(stmt);
		return rc;
	}
	sqlite3_finalize(stmt);
	return SPM_OK;
}

/* Runs a cached statement without results, preparing it on first use. */
static int spm__sqlite_run_cached(spm__sqlite *s, sqlite3_stmt **slot, const char *sql,
				  const char *what)
{
	int rc;

	if (*slot == NULL) {
		rc = spm__sqlite_prepare(s, slot, sql, 1, what, NULL);
		if (rc != SPM_OK)
			return rc;
	}
	rc = sqlite3_step(*slot);
	sqlite3_reset(*slot);
	if (rc != SQLITE_DONE)
		return spm__sqlite_fail(s, rc, what, NULL);
	return SPM_OK;
}

/* ---- transactions ---------------------------------------------------- */

int spm__sqlite_begin(void *self, unsigned int flags)
{
	spm__sqlite *s = self;
	int write = (flags & SPM_STORAGE_WRITE) != 0;
	int rc;

	/* A transaction whose ROLLBACK failed (out of memory preparing it)
	 * is over for the caller but still open in SQLite: end it first. */
	if (s->rollback_pending) {
		rc = spm__sqlite_rollback(s);
		if (rc != SPM_OK && s->rollback_pending)
			return rc;
	}
	if (!sqlite3_get_autocommit(s->conn))
		return spm_storage_error(SPM_EINVAL, "sqlite: begin: a transaction is already open");
	if (write && s->readonly)
		return spm_storage_error(SPM_EPERM, "sqlite: begin: the database is open read-only");
	/* Writers take the write lock up front so that the busy timeout
	 * applies; a deferred transaction that upgrades later gets SQLITE_BUSY
	 * at once instead of waiting (TESTING.md §C). */
	if (write)
		rc = spm__sqlite_run_cached(s, &s->begin_write, "BEGIN IMMEDIATE", "begin write");
	else
		rc = spm__sqlite_run_cached(s, &s->begin_read, "BEGIN", "begin read");
	if (rc == SPM_OK)
		s->txn_write = write;
	spm__sqlite_counters_forget(s);
	return rc;
}

int spm__sqlite_commit(void *self)
{
	spm__sqlite *s = self;
	int rc;

	if (sqlite3_get_autocommit(s->conn))
		return spm_storage_error(SPM_EINVAL,
					 "sqlite: commit: no transaction is open (an error may have "
					 "rolled it back)");
	/* On failure the transaction may still be open: the core rolls back
	 * (which also discards the counters in memory). */
	rc = s->txn_write ? spm__sqlite_counters_flush(s) : SPM_OK;
	if (rc == SPM_OK)
		rc = spm__sqlite_run_cached(s, &s->commit, "COMMIT", "commit");
	if (rc == SPM_OK) {
		s->txn_write = 0;
		spm__sqlite_counters_forget(s);
	}
	return rc;
}

int spm__sqlite_rollback(void *self)
{
	spm__sqlite *s = self;
	int rc;

	spm__sqlite_counters_forget(s);
	/* After SQLITE_FULL, IOERR, BUSY or NOMEM SQLite may have rolled the
	 * transaction back on its own; ROLLBACK would then fail. */
	if (sqlite3_get_autocommit(s->conn)) {
		s->txn_write = 0;
		s->rollback_pending = 0;
		return SPM_OK;
	}
	rc = spm__sqlite_run_cached(s, &s->rollback, "ROLLBACK", "rollback");
	if (rc == SPM_OK || sqlite3_get_autocommit(s->conn)) {
		s->txn_write = 0;
		s->rollback_pending = 0;
		return rc;
	}
	/* Still open (ROLLBACK could not be prepared or re-prepared): the
	 * caller treats the transaction as ended, so the next begin ends it. */
	s->rollback_pending = 1;
	return rc;
}

/* ---- open and close -------------------------------------------------- */

static void spm__sqlite_pause(void)
{
	struct timespec ts = { 0, SPM__SQLITE_WAL_PAUSE_NS };

	nanosleep(&ts, NULL);
}

/* Runs "PRAGMA journal_mode=WAL" once; *busy tells whether to retry. */
static int spm__sqlite_wal_once(spm__sqlite *s, int *busy)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	*busy = 0;
	rc = spm__sqlite_prepare(s, &stmt, "PRAGMA journal_mode=WAL", 0, "set journal_mode",
				 NULL);
	if (rc != SPM_OK) {
		*busy = rc == SPM_EBUSY;
		return rc;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		/* A VFS without shared memory answers with another mode; the
		 * database still works with a rollback journal, so that is
		 * accepted (tests assert WAL on real files). */
		sqlite3_finalize(stmt);
		return SPM_OK;
	}
	*busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
	rc = spm__sqlite_fail(s, rc, "set journal_mode", NULL);
	sqlite3_finalize(stmt);
	return rc;
}

static int spm__sqlite_wal(spm__sqlite *s)
{
	int attempt, busy, rc;

	for (attempt = 1;; attempt++) {
		rc = spm__sqlite_wal_once(s, &busy);
		if (rc == SPM_OK || !busy || attempt == SPM__SQLITE_WAL_ATTEMPTS)
			return rc;
		spm__sqlite_pause();
	}
}

/* In-memory and temporary databases have no file name and no WAL. */
static int spm__sqlite_is_memory(spm__sqlite *s)
{
	const char *name = sqlite3_db_filename(s->conn, "main");

	return name == NULL || name[0] == '\0';
}

static int spm__sqlite_pragmas(spm__sqlite *s, int busy_timeout_ms)
{
	int rc;

	rc = sqlite3_busy_timeout(s->conn, busy_timeout_ms > 0 ? busy_timeout_ms : 0);
	if (rc != SQLITE_OK)
		return spm__sqlite_fail(s, rc, "set busy_timeout", NULL);
	/* A read-only connection cannot switch the journal mode; WAL is a
	 * property of the file, set by the first writer. */
	if (!s->readonly && !spm__sqlite_is_memory(s)) {
		rc = spm__sqlite_wal(s);
		if (rc != SPM_OK)
			return rc;
	}
	/* NORMAL in WAL mode: a commit survives an application crash, and the
	 * file stays consistent on power loss, but the last commits before a
	 * power loss may be lost. FULL would sync the WAL on every commit. */
	rc = spm__sqlite_exec(s, "PRAGMA synchronous=NORMAL", "set synchronous", NULL);
	if (rc != SPM_OK)
		return rc;
	/* Statement journals and temporary indexes in memory: each write's
	 * statements otherwise journal to files in /var/tmp (about a third of
	 * the write path's time, bench/leads_bench.c). */
	rc = spm__sqlite_exec(s, "PRAGMA temp_store=MEMORY", "set temp_store", NULL);
	if (rc != SPM_OK)
		return rc;
	/* Up to 64 MiB of page cache (allocated as used): with SQLite's 2 MiB
	 * default, index pages of a table past ~100,000 rows were re-read from
	 * the OS on every write (leads_bench: +30% inserts at 50,000 leads). */
	rc = spm__sqlite_exec(s, "PRAGMA cache_size=-65536", "set cache_size", NULL);
	if (rc != SPM_OK)
		return rc;
	return spm__sqlite_exec(s, "PRAGMA foreign_keys=ON", "set foreign_keys", NULL);
}

static void spm__sqlite_free(void *self)
{
	spm__sqlite *s = self;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nkinds; i++)
		spm__sqlite_kind_release(s, s->kinds[i]);
	spm_storage_free(s->db, s->kinds);
	sqlite3_finalize(s->begin_read);
	sqlite3_finalize(s->begin_write);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->user_version);
	spm__sqlite_counters_free(s);
	/* close_v2 rolls back an open transaction and never fails for
	 * unfinalized statements (there are none left). */
	sqlite3_close_v2(s->conn);
	spm_storage_free(s->db, s);
}

static const spm_storage_ops spm__sqlite_ops = {
	SPM_STORAGE_OPS_VERSION,
	spm__sqlite_schema_version,
	spm__sqlite_upgrade,
	spm__sqlite_begin,
	spm__sqlite_commit,
	spm__sqlite_rollback,
	spm__sqlite_get,
	spm__sqlite_put,
	spm__sqlite_remove,
	spm__sqlite_scan,
	spm__sqlite_next_id,
	spm__sqlite_free,
	spm__sqlite_count,
	spm__sqlite_insert,
	spm__sqlite_update,
};

static int spm__sqlite_connect(spm__sqlite *s, const char *path, unsigned int flags)
{
	int oflags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	int rc;

	/* NOMUTEX: one handle is used by one thread at a time (the threading
	 * statement), so SQLite's per-connection mutex buys nothing. */
	if (flags & SPM_OPEN_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else if (flags & SPM_OPEN_CREATE)
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	rc = sqlite3_open_v2(path, &s->conn, oflags, NULL);
	if (rc != SQLITE_OK) {
		/* The connection, when there is one, holds the message. */
		if (s->conn == NULL)
			return spm__sqlite_fail(s, rc, "open", path);
		rc = spm__sqlite_fail(s, rc, "open", path);
		sqlite3_close_v2(s->conn);
		s->conn = NULL;
		return rc;
	}
	/* A "file:…?mode=ro" URI makes a read-only connection too. */
	s->readonly = sqlite3_db_readonly(s->conn, "main") == 1;
	return SPM_OK;
}

int spm__storage_sqlite_new(const spm_storage_ops **ops, void **self, spm_db *db,
			    const char *path, unsigned int flags, int busy_timeout_ms,
			    int create_version)
{
	spm__sqlite *s;
	int rc;

	if (ops == NULL || self == NULL || db == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: open: NULL argument");
	*ops = NULL;
	*self = NULL;
	if (path == NULL)
		path = ":memory:";
	s = spm_storage_malloc(db, sizeof(*s));
	if (s == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory opening %s", path);
	memset(s, 0, sizeof(*s));
	s->db = db;
	/* A brand-new database from the schema image when it can be; the
	 * upgrade then finds it at create_version and does nothing. */
	if ((flags & SPM_OPEN_CREATE) && !(flags & SPM_OPEN_READONLY))
		spm__sqlite_image_create_file(path, create_version);
	rc = spm__sqlite_connect(s, path, flags);
	if (rc == SPM_OK && !s->readonly && strcmp(path, ":memory:") == 0)
		spm__sqlite_image_load_memory(s->conn, create_version);
	if (rc == SPM_OK)
		rc = spm__sqlite_pragmas(s, busy_timeout_ms);
	if (rc != SPM_OK) {
		spm__sqlite_free(s);
		return rc;
	}
	*ops = &spm__sqlite_ops;
	*self = s;
	return SPM_OK;
}
