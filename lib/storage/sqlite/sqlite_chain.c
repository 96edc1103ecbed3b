/* The audit log of schema version 7 in SQLite: the upgrade computes the hash
 * chain over the rows an older version wrote (in id order, inside the
 * upgrade transaction), then creates the triggers that refuse UPDATE and
 * DELETE of audit rows. The hash itself is the core's (lib/core/audit_hash.c):
 * this file only reads rows as records and writes the hashes back. */
#include "storage/sqlite/sqlite_internal.h"
#include "core/audit_hash.h"
#include "core/kinds.h"

#include <string.h>

#define PAGE 256

/* One page of rows, hashed in id order, waiting to be written back. */
struct chain_page {
	unsigned char prev[SPM__SHA256_SIZE];
	int64_t ids[PAGE];
	char hex[PAGE][SPM__AUDIT_HEX_LEN + 1];
	size_t n;
};

static int chain_row(spm_record *rec, void *payload)
{
	struct chain_page *p = payload;
	unsigned char h[SPM__SHA256_SIZE];

	spm__audit_hash(h, p->prev, rec);
	memcpy(p->prev, h, sizeof(h));
	p->ids[p->n] = spm_record_id(rec);
	spm__audit_hex(p->hex[p->n++], h);
	spm_record_free(rec);
	return 0;
}

static const spm_kind *audit_kind(spm__sqlite *s)
{
	size_t n = spm_schema_kind_count(s->db);

	for (size_t i = 0; i < n; i++)
		if (strcmp(spm_kind_name(spm_schema_kind_at(s->db, i)), SPM__KIND_AUDIT) == 0)
			return spm_schema_kind_at(s->db, i);
	return NULL;
}

static int write_hashes(spm__sqlite *s, sqlite3_stmt *st, const struct chain_page *p)
{
	for (size_t i = 0; i < p->n; i++) {
		int rc;

		sqlite3_bind_text(st, 1, p->hex[i], SPM__AUDIT_HEX_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, p->ids[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return spm__sqlite_fail(s, rc, "hash audit row", SPM__KIND_AUDIT);
	}
	return SPM_OK;
}

/* Hashes every stored row (tombstones too: the chain covers what is stored). */
static int spm__sqlite_audit_rechain(spm__sqlite *s)
{
	const spm_kind *kind = audit_kind(s);
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, PAGE, SPM_SCAN_DELETED, NULL, 0 };
	struct chain_page *p;
	sqlite3_stmt *st = NULL;
	int rc;

	if (kind == NULL)
		return spm_storage_error(SPM_ECORRUPT, "sqlite: no audit kind to chain");
	p = spm_storage_malloc(s->db, sizeof(*p));
	if (p == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory chaining the audit log");
	memset(p, 0, sizeof(*p));
	rc = spm__sqlite_prepare(s, &st, "UPDATE \"" SPM__KIND_AUDIT "\" SET \"hash\" = ?1 "
				 "WHERE \"id\" = ?2", 0, "prepare chain", SPM__KIND_AUDIT);
	do {
		p->n = 0;
		if (rc == SPM_OK)
			rc = spm__sqlite_scan(s, kind, &scan, chain_row, p);
		if (rc == SPM_OK)
			rc = write_hashes(s, st, p);
		if (p->n > 0)
			scan.after_id = p->ids[p->n - 1];
	} while (rc == SPM_OK && p->n == PAGE);
	sqlite3_finalize(st);
	spm_storage_free(s->db, p);
	return rc;
}

/* RAISE(ABORT) fails the statement with SQLITE_CONSTRAINT and keeps the
 * transaction; the library never updates or deletes an audit row. */
static int spm__sqlite_audit_triggers(spm__sqlite *s)
{
	int rc = spm__sqlite_exec(s,
		"CREATE TRIGGER \"" SPM__KIND_AUDIT ":no_update\" BEFORE UPDATE ON \""
		SPM__KIND_AUDIT "\" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
		"create trigger", SPM__KIND_AUDIT);

	if (rc == SPM_OK)
		rc = spm__sqlite_exec(s,
			"CREATE TRIGGER \"" SPM__KIND_AUDIT ":no_delete\" BEFORE DELETE ON \""
			SPM__KIND_AUDIT "\" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); "
			"END", "create trigger", SPM__KIND_AUDIT);
	return rc;
}

int spm__sqlite_audit_chain(spm__sqlite *s, int from, int to)
{
	int rc = SPM_OK;

	if (from >= SPM__AUDIT_CHAIN_SINCE || to < SPM__AUDIT_CHAIN_SINCE)
		return SPM_OK;
	if (from > 0)
		rc = spm__sqlite_audit_rechain(s);
	if (rc == SPM_OK)
		rc = spm__sqlite_audit_triggers(s);
	return rc;
}
