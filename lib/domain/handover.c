/* Hand-over: when a rep leaves, every open lead, every customer and every
 * open opportunity they own moves to another user or to the pool, in one
 * transaction, each move audited, evented and kept in the ownership history
 * like any owner change. */
#include "domain/org.h"
#include "core/kinds.h"
#include "core/write.h"
#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

#define REASON_MAX 500

/* Leads not converted or disqualified; opportunities with status open;
 * every customer. */
static int moves(const spm_record *rec)
{
	long i = spm__core_index(rec->kind, "status");
	const char *status = i >= 0 ? spm_record_value_text(rec, (size_t)i, NULL) : NULL;

	if (strcmp(rec->kind->name, "opportunity") == 0)
		return status && strcmp(status, "open") == 0;
	if (strcmp(rec->kind->name, "lead") == 0)
		return !status || (strcmp(status, "converted") != 0 &&
				   strcmp(status, "disqualified") != 0);
	return 1;
}

/* Moves the records of one kind owned by from; counts them in *moved. */
static int move_kind(struct spm__txn *t, const char *kind_name, int64_t from, int64_t to,
		     const char *reason, size_t *moved)
{
	spm_kind *kind = spm__kind_find(t->db, kind_name, 0);
	size_t owner;
	long why;
	spm_scan_cond cond;
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	if (kind == NULL)  /* opportunities: a database not yet at version 4 */
		return SPM_OK;
	owner = (size_t)spm__core_index(kind, "owner_id");
	why = spm__core_index(kind, "release_reason");
	cond = (spm_scan_cond){ owner, SPM_CMP_EQ, from, NULL };
	rc = spm__scan_page(t->db, &page, kind, &scan);
	t->owner_via = "handover";
	t->owner_reason = reason;
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		spm_record *rec = page.recs[i], *stored = NULL;

		if (!moves(rec))
			continue;
		if (to)
			rc = spm__record_put_int(rec, owner, to);
		else
			spm__record_put_null(rec, owner);
		if (rc == SPM_OK && why >= 0 && !to)
			rc = spm__record_put_text(rec, (size_t)why, reason, strlen(reason));
		if (rc == SPM_OK)
			rc = spm__write_save(t, rec, &stored);
		spm_record_free(stored);
		if (rc == SPM_OK)
			(*moved)++;
	}
	t->owner_via = t->owner_reason = NULL;
	spm__page_clear(t->db, &page);
	return rc;
}

static int check_users(struct spm__txn *t, int64_t from, int64_t to)
{
	spm_kind *users = spm__kind_find(t->db, "user", 0);
	spm_record *rec = NULL;
	int rc;

	if (from <= 0 || to < 0 || from == to)
		return spm__error_set(SPM_EINVAL, "a hand-over goes from one user to another user "
				      "or to the pool (0)");
	rc = t->db->ops->get(t->db->store, &rec, users, from);
	spm_record_free(rec);
	if (rc == SPM_OK && to) {
		rec = NULL;
		rc = t->db->ops->get(t->db->store, &rec, users, to);
		spm_record_free(rec);
		if (rc == SPM_ENOTFOUND)
			return spm__error_set(SPM_ENOTFOUND, "user %lld does not exist", (long long)to);
	}
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "user %lld does not exist", (long long)from);
	return rc;
}

int spm_org_handover(size_t *out_moved, spm_db *db, int64_t from, int64_t to, const char *reason)
{
	struct spm__txn t;
	char payload[96];
	size_t moved = 0, len;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(reason);
	len = strlen(reason);
	if (len == 0 || len > REASON_MAX || !spm__utf8_valid(reason, len))
		return spm__error_set(SPM_EINVAL, "a hand-over reason is 1..%d bytes of UTF-8",
				      REASON_MAX);
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = check_users(&t, from, to);
	if (rc == SPM_OK)
		rc = move_kind(&t, "lead", from, to, reason, &moved);
	if (rc == SPM_OK)
		rc = move_kind(&t, "customer", from, to, reason, &moved);
	if (rc == SPM_OK)
		rc = move_kind(&t, "opportunity", from, to, reason, &moved);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	if (out_moved)
		*out_moved = moved;
	if (moved == 0) {
		spm__txn_abort(&t);
		return SPM_OK;
	}
	snprintf(payload, sizeof(payload), "{\"to\":%lld,\"moved\":%zu}", (long long)to, moved);
	rc = spm__txn_event(&t, SPM_EVENT_HANDOVER, "user", from, payload);
	if (rc == SPM_OK)
		rc = spm__txn_audit(&t, SPM_AUDIT_UPDATE, "user", from, "handover", NULL, reason);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
