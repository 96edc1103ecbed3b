/* Ownership history: every change of owner of a lead, customer or
 * opportunity — whatever made it (claim, release, assignment, hand-over,
 * reclaim, merge, conversion, a plain save) — becomes an ownership_change
 * row in the same transaction. The rows are written here only, so the
 * history cannot be edited through the record API. */
#include "domain/ownership.h"
#include "core/store.h"
#include "core/kinds.h"
#include "core/txn.h"
#include "domain/record_fields.h"
#include "spm/customer.h"

#include <string.h>

static int tracked(const char *kind)
{
	return strcmp(kind, "lead") == 0 || strcmp(kind, "customer") == 0 ||
	       strcmp(kind, "opportunity") == 0;
}

static int put_opt_int(spm_record *rec, const char *name, int has, int64_t v)
{
	if (!has)
		return SPM_OK;
	return spm__record_put_int(rec, (size_t)spm__fld_idx(rec, name), v);
}

int spm__ownership_note(struct spm__txn *t, const spm_record *before, const spm_record *after)
{
	const char *field = after->kind->def->owner_field;
	spm_kind *kind;
	spm_record *row = NULL;
	int had, has, rc;
	int64_t from, to;

	if (!tracked(after->kind->name))
		return SPM_OK;
	had = before && spm__fld_has(before, field);
	has = spm__fld_has(after, field);
	from = had ? spm__fld_num(before, field) : 0;
	to = has ? spm__fld_num(after, field) : 0;
	if (had == has && from == to)
		return SPM_OK;
	kind = spm__kind_find(t->db, "ownership_change", 0);
	if (kind == NULL)  /* a database not yet at version 4 keeps no history */
		return SPM_OK;
	rc = spm__record_make(&row, t->db, kind);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(row, "kind", after->kind->name);
	if (rc == SPM_OK)
		rc = put_opt_int(row, "entity_id", 1, after->id);
	if (rc == SPM_OK)
		rc = put_opt_int(row, "from_owner", had, from);
	if (rc == SPM_OK)
		rc = put_opt_int(row, "to_owner", has, to);
	if (rc == SPM_OK)
		rc = put_opt_int(row, "at", 1, t->at);
	if (rc == SPM_OK)
		rc = put_opt_int(row, "actor", 1, t->db->actor);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(row, "via", t->owner_via ? t->owner_via
							       : before ? "save" : "create");
	if (rc == SPM_OK && t->owner_reason)
		rc = spm__fld_put_text(row, "reason", t->owner_reason);
	if (rc == SPM_OK)
		rc = spm__txn_put_system(t, row);
	spm_record_free(row);
	return rc;
}

int spm__ownership_move(struct spm__txn *t, const char *kind_name, int64_t from, int64_t to)
{
	spm_kind *kind = spm__kind_find(t->db, "ownership_change", 0);
	spm_scan_cond cond[2];
	spm_scan scan = { SPM_SCAN_VERSION, cond, 2, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	if (kind == NULL)
		return SPM_OK;
	cond[0] = (spm_scan_cond){ (size_t)spm__core_index(kind, "entity_id"), SPM_CMP_EQ, from, NULL };
	cond[1] = (spm_scan_cond){ (size_t)spm__core_index(kind, "kind"), SPM_CMP_EQ, 0, kind_name };
	rc = spm__scan_page(t->db, &page, kind, &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		rc = spm__record_put_int(page.recs[i], (size_t)spm__core_index(kind, "entity_id"), to);
		page.recs[i]->seq = t->seq;
		if (rc == SPM_OK)
			rc = spm__store_put(t->db, page.recs[i]);
	}
	spm__page_clear(t->db, &page);
	return rc;
}

int spm__ownership_change_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	(void)t;
	(void)before;
	(void)after;
	return spm__error_set(SPM_EPERM, "ownership_change rows are kept by the library and "
			      "cannot be written");
}

int spm_ownership_history(spm_db *db, const char *kind, int64_t id, spm_record_cb cb,
			  void *payload)
{
	spm_record *rec = NULL;
	spm_query *q = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	SPM__CHECK_ARG(cb);
	if (!tracked(kind))
		return spm__error_set(SPM_EINVAL, "ownership history is kept for leads, customers "
				      "and opportunities, not '%s'", kind);
	/* out of scope looks like missing, as everywhere */
	rc = spm_record_get(&rec, db, kind, id);
	spm_record_free(rec);
	if (rc == SPM_OK)
		rc = spm_query_new(&q, db, "ownership_change");
	if (rc == SPM_OK)
		rc = spm_query_where_text(q, "kind", SPM_CMP_EQ, kind);
	if (rc == SPM_OK)
		rc = spm_query_where_int(q, "entity_id", SPM_CMP_EQ, id);
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, cb, payload);
	spm_query_free(q);
	return rc;
}
