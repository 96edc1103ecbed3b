/* Reading the audit trail.
 *
 * Since schema version 5 a record change is one stored row whose "changes"
 * column holds every changed field; it is read back as one entry per field,
 * numbered from the row's id on (the ids it reserved), exactly as the rows
 * of one field each that version 4 wrote and that are still read as they are. */
#include "core/kinds.h"
#include "core/txn.h"
#include "domain/org.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#define PAGE 256

/* Every entry the library writes names a kind: a row without one is damaged
 * (and the kind is never NULL for the callback). */
static int to_entry(spm_audit_entry *e, const spm_record *rec)
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
	if (e->kind == NULL)
		return spm__error_set(SPM_ECORRUPT, "audit entry %lld: no kind", (long long)e->id);
	return SPM_OK;
}

/* The last entity looked at: entries come in runs of one record. */
struct seen_cache {
	const char *kind;
	int64_t id;
	int seen;
};

/* Entries of a record are seen with the record; schema entries by everyone;
 * entries of deleted records only with scope all. */
static int entry_visible(int *out, const struct spm__scope *s, spm_db *db,
			 const spm_audit_entry *e, struct seen_cache *cache)
{
	spm_kind *kind;
	spm_record *rec = NULL;
	int rc;

	*out = 1;
	if (e->entity_id == 0 || e->kind == NULL)
		return SPM_OK;
	if (cache->kind && strcmp(cache->kind, e->kind) == 0 && cache->id == e->entity_id) {
		*out = cache->seen;
		return SPM_OK;
	}
	kind = spm__kind_find(db, e->kind, 0);
	rc = kind ? spm__read_begin(db) : SPM_OK;
	if (kind && rc == SPM_OK) {
		rc = db->ops->get(db->store, &rec, kind, e->entity_id);
		if (rc == SPM_OK)
			rc = spm__scope_sees(out, s, db, rec);
		else if (rc == SPM_ENOTFOUND)
			rc = SPM_OK, *out = 0;
		spm_record_free(rec);
		spm__read_end(db);
	}
	cache->kind = kind ? kind->name : NULL;
	cache->id = e->entity_id;
	cache->seen = *out;
	return rc;
}

/* Calls cb for each field of a row with "changes" (schema 5), or for the
 * row itself (a row of one field, a delete or a schema change). */
static int emit_row(spm_audit_entry *e, const spm_record *rec, spm_audit_cb cb, void *payload)
{
	const char *text = spm_record_value_text(rec, SPM__AUDIT_CHANGES, NULL);
	json_t *changes, *pair;
	const char *name;
	int64_t first = e->id;
	uint64_t i = 0;
	int rc = SPM_OK;

	if (text == NULL)
		return cb(e, payload);
	changes = json_loads(text, 0, NULL);
	if (!json_is_object(changes)) {
		json_decref(changes);
		return spm__error_set(SPM_ECORRUPT, "audit entry %lld: changes are not a JSON object",
				      (long long)first);
	}
	/* The row reserved one id per field: they cannot run past the last id. */
	if (json_object_size(changes) > 1 && first > 0 &&
	    (uint64_t)(json_object_size(changes) - 1) > (uint64_t)(INT64_MAX - first)) {
		json_decref(changes);
		return spm__error_set(SPM_ECORRUPT, "audit entry %lld: more changes than ids",
				      (long long)first);
	}
	json_object_foreach(changes, name, pair) {
		json_t *o = json_object_get(pair, "old"), *n = json_object_get(pair, "new");
		if (!json_is_object(pair) || (o && !json_is_string(o) && !json_is_null(o)) ||
		    (n && !json_is_string(n) && !json_is_null(n))) {
			rc = spm__error_set(SPM_ECORRUPT, "audit entry %lld: change of %s is malformed",
					    (long long)first, name);
			break;
		}
		/* Numbered from the row's id, not stepped past the last one. */
		e->id = (int64_t)((uint64_t)first + i++);
		e->field = name;
		e->old_value = json_string_value(o);
		e->new_value = json_string_value(n);
		rc = cb(e, payload);
		if (rc != 0)
			break;
	}
	json_decref(changes);
	return rc;
}

int spm_audit_foreach(spm_db *db, const char *kind, int64_t entity_id, spm_audit_cb cb,
		      void *payload)
{
	spm_scan_cond conds[2];
	spm_scan scan = { SPM_SCAN_VERSION, conds, 0, 0, 0, PAGE, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	struct spm__scope scope;
	struct seen_cache cache = { NULL, 0, 0 };
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
	rc = spm__scope_load(&scope, db);
	if (rc != SPM_OK)
		return rc;
	do {
		rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_AUDIT, 1), &scan);
		got = page.n;
		for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
			spm_audit_entry e;
			int seen = 1;

			rc = to_entry(&e, page.recs[i]);
			scan.after_id = e.id;
			if (rc == SPM_OK && scope.mode != SPM_SCOPE_ALL)
				rc = entry_visible(&seen, &scope, db, &e, &cache);
			if (rc == SPM_OK && seen)
				rc = emit_row(&e, page.recs[i], cb, payload);
		}
		spm__page_clear(db, &page);
	} while (rc == SPM_OK && got == PAGE);
	spm__scope_free(db, &scope);
	return rc;
}
