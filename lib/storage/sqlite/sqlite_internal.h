/* Shared between the files of the SQLite backend; nothing here leaves it.
 *
 * sqlite_backend.c  open, pragmas, transactions, the ops table, helpers
 * sqlite_schema.c   DDL from the kind registry; schema_version and upgrade
 * sqlite_rows.c     get, put, insert, remove, scan and count
 * sqlite_update.c   update of the changed columns only
 * sqlite_counters.c next_id: counters kept in memory during a write transaction
 * sqlite_chain.c    the audit chain and triggers of schema version 7
 */
#ifndef SPM_STORAGE_SQLITE_INTERNAL_H
#define SPM_STORAGE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "spm/error.h"
#include "spm/sys/storage.h"

/* Scan statements differ by their conditions and flags; each kind keeps the
 * last few shapes prepared, which covers the handful a caller repeats. */
#define SPM__SQLITE_SCAN_SLOTS 8

/* Updates differ by the columns they set (sqlite_update.c): the few sets a
 * kind's writers repeat stay prepared. */
#define SPM__SQLITE_UPDATE_SLOTS 8

/* The backend-private table of named counters (next_id). Kind names are
 * [a-z_][a-z0-9_]*, so a name with ':' never collides with a kind (nor with
 * the indexes, named "seq:<kind>" and "idx:<kind>:<field>"). */
#define SPM__SQLITE_COUNTERS "spm:counters"

/* Prepared statements of one kind, built on first use. */
typedef struct spm__sqlite_kind {
	const spm_kind *kind;
	sqlite3_stmt *get;
	sqlite3_stmt *put;        /* INSERT of a new id */
	sqlite3_stmt *update;     /* UPDATE of an existing row */
	sqlite3_stmt *remove;
	sqlite3_stmt *scan[SPM__SQLITE_SCAN_SLOTS];
	unsigned int scan_victim; /* next slot to replace, round robin */
	sqlite3_stmt *set[SPM__SQLITE_UPDATE_SLOTS];   /* UPDATE of some columns */
	uint64_t set_mask[SPM__SQLITE_UPDATE_SLOTS];   /* which: bit i core field i,
							  bit 63 the custom values */
	unsigned int set_victim;
} spm__sqlite_kind;

/* A named counter as seen by the open write transaction (sqlite_counters.c). */
typedef struct spm__sqlite_counter {
	char *name;
	int64_t stored;           /* the value in the table when loaded */
	int64_t value;            /* the last value handed out */
	int loaded;               /* read in the open write transaction */
} spm__sqlite_counter;

typedef struct spm__sqlite {
	spm_db *db;
	sqlite3 *conn;
	int readonly;
	int txn_write;            /* the open transaction was begun for writing */
	int rollback_pending;     /* a ROLLBACK failed: the next begin finishes it */
	int version;              /* the stored schema version, as last read or written */
	sqlite3_stmt *begin_read;
	sqlite3_stmt *begin_write;
	sqlite3_stmt *commit;
	sqlite3_stmt *rollback;
	sqlite3_stmt *user_version;
	sqlite3_stmt *counter_get;
	sqlite3_stmt *counter_put;
	spm__sqlite_counter *counters;
	size_t ncounters;
	size_t counters_cap;
	spm__sqlite_kind **kinds; /* one allocation each: entries never move */
	size_t nkinds;
	size_t kinds_cap;
} spm__sqlite;

/* A growing SQL text in the handle's memory. Errors are sticky (like
 * sqlite3_str), so builders append freely and check once at the end. */
typedef struct spm__sqlite_buf {
	spm_db *db;
	char *ptr;
	size_t len;
	size_t cap;
	int failed;
} spm__sqlite_buf;

void spm__sqlite_buf_init(spm__sqlite_buf *buf, spm_db *db);
void spm__sqlite_buf_add(spm__sqlite_buf *buf, const char *text);
/* Appends name as a quoted identifier; names are checked beforehand
 * (spm__sqlite_kind_check), so no quote can occur inside. */
void spm__sqlite_buf_ident(spm__sqlite_buf *buf, const char *name);
/* Appends "<name>_currency" quoted: the currency column of a money field. */
void spm__sqlite_buf_currency_ident(spm__sqlite_buf *buf, const char *name);
/* SPM_OK, or SPM_ENOMEM with the message set. */
int spm__sqlite_buf_status(const spm__sqlite_buf *buf);
void spm__sqlite_buf_free(spm__sqlite_buf *buf);

/* Maps an SQLite result code to a status and raises it with
 * "sqlite: <what> <object> (<sqlite message>)"; object may be NULL. */
int spm__sqlite_fail(spm__sqlite *s, int rc, const char *what, const char *object);

/* Prepares sql into *out; persistent statements are kept for the handle's
 * life (SQLITE_PREPARE_PERSISTENT). */
int spm__sqlite_prepare(spm__sqlite *s, sqlite3_stmt **out, const char *sql, int persistent,
			const char *what, const char *object);

/* Runs one statement that returns no rows. */
int spm__sqlite_exec(spm__sqlite *s, const char *sql, const char *what, const char *object);

/* Transactions (sqlite_backend.c), also used by upgrade. */
int spm__sqlite_begin(void *self, unsigned int flags);
int spm__sqlite_commit(void *self);
int spm__sqlite_rollback(void *self);

/* Checks that the kind's names can be used as SQL identifiers as they are
 * ([a-z_][a-z0-9_]*) and that no column name is used twice or clashes with the
 * backend's own columns (id, seq, deleted, custom). SPM_OK or SPM_ECORRUPT. */
int spm__sqlite_kind_check(const spm_kind *kind);

/* Schema ops (sqlite_schema.c). */
int spm__sqlite_schema_version(void *self, int *out);
int spm__sqlite_upgrade(void *self, int from, int to);
/* The audit chain and its triggers, when an upgrade crosses version 7
 * (sqlite_chain.c); inside the upgrade's transaction. */
int spm__sqlite_audit_chain(spm__sqlite *s, int from, int to);

/* Row ops (sqlite_rows.c). */
int spm__sqlite_get(void *self, spm_record **out, const spm_kind *kind, int64_t id);
int spm__sqlite_put(void *self, const spm_record *rec);
int spm__sqlite_insert(void *self, const spm_record *rec);
int spm__sqlite_count(void *self, int64_t *out, const spm_kind *kind, const spm_scan *scan);
/* sqlite_update.c */
int spm__sqlite_update(void *self, const spm_record *rec, const unsigned char *changed,
		       size_t nchanged);

/* Shared by the row files (sqlite_rows.c). */
/* The cache entry of kind, made (and the kind's names checked) on first use. */
int spm__sqlite_kind_cache(spm__sqlite_kind **out, spm__sqlite *s, const spm_kind *kind);
/* Prepares the statement built in buf into *slot (kept when persistent),
 * consuming buf. */
int spm__sqlite_prepare_buf(spm__sqlite *s, sqlite3_stmt **slot, spm__sqlite_buf *buf,
			    int persistent, const char *what, const spm_kind *kind);
/* The core fields the stored schema has (a prefix of the kind's). */
size_t spm__sqlite_ncols(const spm__sqlite *s, const spm_kind *kind);
/* Binds core field i of rec from parameter *param on (two for money);
 * advances *param. Texts are borrowed: reset the statement before rec changes. */
int spm__sqlite_bind_field(sqlite3_stmt *st, int *param, const spm_record *rec,
			   const spm_kind *kind, size_t i);
int spm__sqlite_remove(void *self, const spm_kind *kind, int64_t id, int64_t seq);
int spm__sqlite_scan(void *self, const spm_kind *kind, const spm_scan *scan, spm_scan_cb cb,
		     void *payload);

/* Counters (sqlite_counters.c). */
int spm__sqlite_next_id(void *self, int64_t *out, const char *counter);
/* Writes back the counters the open write transaction moved; before COMMIT. */
int spm__sqlite_counters_flush(spm__sqlite *s);
/* Discards the values in memory: at the end of every transaction. */
void spm__sqlite_counters_forget(spm__sqlite *s);
void spm__sqlite_counters_free(spm__sqlite *s);
/* Finalizes the statements of a kind cache entry and frees it; NULL is fine. */
void spm__sqlite_kind_release(spm__sqlite *s, spm__sqlite_kind *k);

#endif
