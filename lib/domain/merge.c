/* Merging two leads or two customers: the survivor takes the other's values
 * where it has none, every follow-up, contact, opportunity and ownership
 * history row moves over, and the other is deleted — one transaction, each
 * step audited and evented. */
#include "domain/customer.h"
#include "domain/ownership.h"
#include "core/kinds.h"
#include "core/write.h"

#include <stdio.h>
#include <string.h>

/* Children that point at a lead or a customer. */
static const struct { const char *parent, *kind, *field; } children[] = {
	{ "lead", "activity", "lead_id" },
	{ "customer", "activity", "customer_id" },
	{ "customer", "contact", "customer_id" },
	{ "lead", "opportunity", "lead_id" },
	{ "customer", "opportunity", "customer_id" },
};

static int move_children(struct spm__txn *t, const char *parent, int64_t from, int64_t to)
{
	int rc = SPM_OK;

	for (size_t c = 0; rc == SPM_OK && c < sizeof(children) / sizeof(children[0]); c++) {
		spm_kind *kind;
		spm_scan_cond cond;
		spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
		struct spm__page page = { NULL, 0, 0 };
		size_t field;

		if (strcmp(children[c].parent, parent) != 0)
			continue;
		kind = spm__kind_find(t->db, children[c].kind, 0);
		if (kind == NULL)  /* opportunities: a database not yet at version 4 */
			continue;
		field = (size_t)spm__core_index(kind, children[c].field);
		cond = (spm_scan_cond){ field, SPM_CMP_EQ, from, NULL };
		rc = spm__scan_page(t->db, &page, kind, &scan);
		for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
			spm_record *stored = NULL;
			rc = spm__record_put_int(page.recs[i], field, to);
			if (rc == SPM_OK)
				rc = spm__write_save(t, page.recs[i], &stored);
			spm_record_free(stored);
		}
		spm__page_clear(t->db, &page);
	}
	return rc;
}

static int merge_in_txn(struct spm__txn *t, spm_kind *kind, int64_t keep, int64_t drop)
{
	spm_record *survivor = NULL, *other = NULL, *stored = NULL;
	char payload[96], from[24];
	int rc = t->db->ops->get(t->db->store, &survivor, kind, keep);

	if (rc == SPM_OK)
		rc = t->db->ops->get(t->db->store, &other, kind, drop);
	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", kind->name,
				    (long long)(survivor ? drop : keep));
	/* fill the survivor's gaps; keys and bookkeeping are recomputed */
	for (size_t i = 0; rc == SPM_OK && i < kind->nfields; i++) {
		if ((kind->fields[i].flags & SPM_FIELD_READONLY) || kind->fields[i].dropped)
			continue;
		if ((i >= survivor->nvalues || !survivor->v[i].has) && i < other->nvalues &&
		    other->v[i].has)
			rc = spm__record_copy_value(survivor, i, other);
	}
	if (rc == SPM_OK)
		rc = spm__write_save(t, survivor, &stored);
	if (rc == SPM_OK)
		rc = move_children(t, kind->name, drop, keep);
	if (rc == SPM_OK)
		rc = spm__ownership_move(t, kind->name, drop, keep);
	if (rc == SPM_OK)
		rc = spm__write_delete(t, kind, drop);
	snprintf(from, sizeof(from), "%lld", (long long)drop);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_UPDATE, kind->name, keep, "merged_from", NULL, from);
	snprintf(payload, sizeof(payload), "{\"from\":%lld}", (long long)drop);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_RECORD_MERGED, kind->name, keep, payload);
	spm_record_free(stored);
	spm_record_free(other);
	spm_record_free(survivor);
	return rc;
}

int spm_record_merge(spm_db *db, const char *kind, int64_t survivor, int64_t other)
{
	struct spm__txn t;
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	rc = spm__kind_lookup(&k, db, kind);
	if (rc == SPM_OK && strcmp(kind, "lead") != 0 && strcmp(kind, "customer") != 0)
		rc = spm__error_set(SPM_EINVAL, "only leads and customers are merged");
	if (rc == SPM_OK && survivor == other)
		rc = spm__error_set(SPM_EINVAL, "a record is not merged into itself");
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	t.owner_via = "merge";
	rc = merge_in_txn(&t, k, survivor, other);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
