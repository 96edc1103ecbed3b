/* Checking the audit log's hash chain (lib/core/audit_hash.c): the head to
 * keep outside the database, and the walk that recomputes every hash from
 * the first row, a page at a time. Both need an actor who sees everything:
 * the chain covers every record's history. */
#include "core/audit_link.h"
#include "core/kinds.h"
#include "core/txn.h"
#include "domain/org.h"

#include <string.h>

#define PAGE 256

static const unsigned char zero[SPM__SHA256_SIZE];

int spm_audit_head(spm_audit_anchor *out, spm_db *db)
{
	int hashed = 0, rc;

	SPM__CHECK_ARG(out);
	memset(out, 0, sizeof(*out));
	out->version = SPM_AUDIT_ANCHOR_VERSION;
	SPM__CHECK_ARG(db);
	rc = spm__scope_require_all(db, "check the audit log");
	if (rc == SPM_OK)
		rc = spm__read_begin(db);
	if (rc != SPM_OK)
		return rc;
	rc = spm__audit_newest(&out->id, out->hash, &hashed, db);
	spm__read_end(db);
	if (rc == SPM_OK && out->id > 0 && !hashed)
		rc = spm__error_set(SPM_ECORRUPT, "audit entry %lld has no valid hash",
				    (long long)out->id);
	if (rc != SPM_OK) {
		out->id = 0;
		memset(out->hash, 0, sizeof(out->hash));
	}
	return rc;
}

/* The walk: prev is the hash of the last row checked. */
struct walk {
	unsigned char prev[SPM__SHA256_SIZE];
	const spm_audit_anchor *anchor;
	int anchor_seen;
};

static int check_row(struct walk *w, const spm_record *rec)
{
	unsigned char want[SPM__SHA256_SIZE], stored[SPM__SHA256_SIZE];
	int64_t id = spm_record_id(rec);

	spm__audit_hash(want, w->prev, rec);
	if (!spm__audit_stored_hash(stored, rec) || memcmp(stored, want, sizeof(want)) != 0)
		return spm__error_set(SPM_ECORRUPT, "audit entry %lld: hash does not match",
				      (long long)id);
	if (w->anchor && w->anchor->id == id) {
		if (memcmp(w->anchor->hash, want, sizeof(want)) != 0)
			return spm__error_set(SPM_ECORRUPT, "audit entry %lld does not match the "
					      "anchor", (long long)id);
		w->anchor_seen = 1;
	}
	memcpy(w->prev, want, sizeof(want));
	return SPM_OK;
}

static int check_anchor(const spm_audit_anchor *a)
{
	if (a == NULL)
		return SPM_OK;
	if (a->version != SPM_AUDIT_ANCHOR_VERSION)
		return spm__error_set(SPM_EVERSION, "spm_audit_anchor version %u is not known to "
				      "this library (newest %d)", (unsigned)a->version,
				      SPM_AUDIT_ANCHOR_VERSION);
	if (a->id < 0)
		return spm__error_set(SPM_EINVAL, "an anchor's id is not negative");
	if (a->id == 0 && memcmp(a->hash, zero, sizeof(zero)) != 0)
		return spm__error_set(SPM_EINVAL, "the anchor of an empty log (id 0) has the "
				      "zero hash");
	return SPM_OK;
}

int spm_audit_verify(spm_db *db, const spm_audit_anchor *anchor)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, PAGE, SPM_SCAN_DELETED, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	struct walk w;
	size_t got;
	int rc;

	SPM__CHECK_ARG(db);
	rc = check_anchor(anchor);
	if (rc == SPM_OK)
		rc = spm__scope_require_all(db, "check the audit log");
	if (rc != SPM_OK)
		return rc;
	memset(&w, 0, sizeof(w));
	w.anchor = anchor;
	w.anchor_seen = anchor == NULL || anchor->id == 0;
	do {
		rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_AUDIT, 1), &scan);
		got = page.n;
		for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
			rc = check_row(&w, page.recs[i]);
			scan.after_id = spm_record_id(page.recs[i]);
		}
		spm__page_clear(db, &page);
	} while (rc == SPM_OK && got == PAGE);
	if (rc == SPM_OK && !w.anchor_seen)
		rc = spm__error_set(SPM_ECORRUPT, "audit entry %lld (the anchor) is missing",
				    (long long)anchor->id);
	return rc;
}
