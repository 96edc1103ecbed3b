/* Reading the audit trail. */
#include "core/kinds.h"
#include "core/txn.h"

#include <string.h>

#define PAGE 256

static void to_entry(spm_audit_entry *e, const spm_record *rec)
{
	memset(e, 0, sizeof(*e));
	e->version = SPM_AUDIT_ENTRY_VERSION;
	e->id = rec->id;
	e->change_seq = spm_record_value_int(rec, SPM__AUDIT_SEQ);
	e->at = spm_record_value_int(rec, SPM__AUDIT_AT);
	e->actor = spm_record_value_int(rec, SPM__AUDIT_ACTOR);
	e->op = (int)spm_record_value_int(rec, SPM__AUDIT_OP);
	e->kind = spm_record_value_text(rec, SPM__AUDIT_KIND, NULL);
	e->entity_id = spm_record_value_int(rec, SPM__AUDIT_ENTITY);
	e->field = spm_record_value_text(rec, SPM__AUDIT_FIELD, NULL);
	e->old_value = spm_record_value_text(rec, SPM__AUDIT_OLD, NULL);
	e->new_value = spm_record_value_text(rec, SPM__AUDIT_NEW, NULL);
}

int spm_audit_foreach(spm_db *db, const char *kind, int64_t entity_id, spm_audit_cb cb,
		      void *payload)
{
	spm_scan_cond conds[2];
	spm_scan scan = { SPM_SCAN_VERSION, conds, 0, 0, 0, PAGE, 0 };
	struct spm__page page = { NULL, 0, 0 };
	spm_kind *k;
	size_t got;
	int rc = SPM_OK;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	if (kind) {
		rc = spm__kind_lookup(&k, db, kind);
		if (rc != SPM_OK)
			return rc;
		conds[scan.nconds++] = (spm_scan_cond){ SPM__AUDIT_KIND, SPM_CMP_EQ, 0, kind };
		if (entity_id)
			conds[scan.nconds++] = (spm_scan_cond){ SPM__AUDIT_ENTITY, SPM_CMP_EQ,
								entity_id, NULL };
	}
	do {
		rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_AUDIT, 1), &scan);
		got = page.n;
		for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
			spm_audit_entry e;
			to_entry(&e, page.recs[i]);
			scan.after_id = e.id;
			rc = cb(&e, payload);
		}
		spm__page_clear(db, &page);
	} while (rc == SPM_OK && got == PAGE);
	return rc;
}
