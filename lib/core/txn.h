/* A write transaction: one change sequence, its audit entries and its outbox
 * events, committed together; listeners run after the commit. */
#ifndef SPM_CORE_TXN_H
#define SPM_CORE_TXN_H

#include "core/record_internal.h"

struct spm__scope;

struct spm__pending_event {
	int64_t seq;
	int type;
	const char *kind;   /* static kind name */
	int64_t entity_id;
	char *payload;
};

struct spm__txn {
	spm_db *db;
	int64_t seq;        /* the change sequence of this transaction */
	spm_time at;
	struct spm__pending_event *ev;
	size_t nev;
	size_t cap;
	int committed;      /* set once the commit succeeded */
	struct spm__scope *scope;  /* the actor's scope, loaded on first use */
	/* The newest audit row as this transaction left it (the hash chain,
	 * lib/core/audit_link.c): read from storage before the first row. */
	int chain_loaded;
	int64_t chain_id;
	unsigned char chain_hash[32];
	unsigned int domain_flags; /* SPM__TXN_* bits a domain call sets around
				    * the writes it makes itself */
	/* How owner changes written now came about, for the ownership history
	 * (lib/domain/ownership.c): "claim", "handover"…; NULL means "save". */
	const char *owner_via;
	const char *owner_reason;
	/* Set by a create's domain rules when the record was merged into a
	 * stored one instead (dedupe policy merge): the survivor as stored. */
	struct spm_record *merged;
	/* Work a domain rule keeps for the rest of the transaction (lead
	 * assignment on create, lib/domain/assign_create.c): after_create runs
	 * after each created record's change event, finish just before COMMIT
	 * (its error rolls back), committed after a successful COMMIT, release
	 * at the end either way. */
	struct spm__txn_hook {
		int (*after_create)(struct spm__txn *t, const struct spm_record *rec);
		int (*finish)(struct spm__txn *t);
		void (*committed)(struct spm__txn *t);
		void (*release)(struct spm__txn *t);
		void *payload;
	} hook;
};

/* The actor's scope for this transaction (lib/domain/org.h). */
int spm__txn_scope(struct spm__scope **out, struct spm__txn *t);

/* Starts a write transaction and refreshes the schema registry. */
int spm__txn_begin(struct spm__txn *t, spm_db *db);
/* Commits, then runs the listeners: returns SPM_OK, a commit error (the
 * transaction is rolled back), or the first listener's non-zero value. */
int spm__txn_commit(struct spm__txn *t);
/* Rolls back and frees; safe after a failed commit. */
void spm__txn_abort(struct spm__txn *t);

int spm__txn_audit(struct spm__txn *t, int op, const char *kind, int64_t entity_id,
		   const char *field, const char *old_value, const char *new_value);
/* One audit row for the n changed fields of a record change: changes is
 * the JSON object {"field":{"old":…,"new":…},…} (lib/events/audit.c reads it
 * back as n entries). The row takes n consecutive entry ids, so entries keep
 * the numbers they had when each field had a row of its own. */
int spm__txn_audit_changes(struct spm__txn *t, int op, const char *kind, int64_t entity_id,
			   const char *changes, size_t n);
/* payload is copied; NULL means "{}". */
int spm__txn_event(struct spm__txn *t, int type, const char *kind, int64_t entity_id,
		   const char *payload);
/* Stores a record of a system kind with a new id and this change sequence. */
int spm__txn_put_system(struct spm__txn *t, spm_record *rec);

/* A read transaction around a few storage calls (never across a callback). */
int spm__read_begin(spm_db *db);
void spm__read_end(spm_db *db);

/* Scans a kind into an array of records (caller frees each and the array). */
struct spm__page {
	spm_record **recs;
	size_t n;
	size_t cap;
};
int spm__scan_page(spm_db *db, struct spm__page *page, const spm_kind *kind,
		   const spm_scan *scan);
void spm__page_clear(spm_db *db, struct spm__page *page);

#endif
