/* Writing records: create, update (a compare-and-set on the change
 * sequence), delete, each with its audit entries and events in the same
 * transaction. Batches and idempotency keys are in batch.c. */
#include "core/write.h"
#include "core/kinds.h"
#include "core/store.h"
#include "domain/org.h"
#include "domain/ownership.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int has_value(const spm_record *rec, size_t i)
{
	return i < rec->nvalues && rec->v[i].has;
}

/* A required field needs a value on create, and an update may not clear
 * it; a record stored before its custom field became required keeps
 * being updatable without one (schema.h). */
static int check_required(const spm_record *rec, const spm_record *before)
{
	const spm_kind *kind = rec->kind;

	for (size_t i = 0; i < kind->nfields; i++) {
		const struct spm__field *f = &kind->fields[i];
		if ((f->flags & SPM_FIELD_REQUIRED) && !f->dropped && !has_value(rec, i) &&
		    (before == NULL || has_value(before, i)))
			return spm__error_set(SPM_EINVAL, "%s.%s is required", kind->name, f->name);
	}
	return SPM_OK;
}

/* The actor's scope and the kind's own rules. */
static int domain_checks(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const spm_record *rec = after ? after : before;
	int rc = spm__scope_check_write(t, before, after);

	if (rc == SPM_OK && rec->kind->def && rec->kind->def->validate)
		rc = rec->kind->def->validate(t, before, after);
	return rc;
}

static int stamp(spm_record *rec, const char *field, spm_time at)
{
	long i = spm__core_index(rec->kind, field);

	if (i < 0 || rec->kind->fields[i].type != SPM_FIELD_TIME)
		return SPM_OK;
	return spm__record_put_int(rec, (size_t)i, at);
}

/* Adds one changed field to the change's "changes" object. */
static int note_change(struct spm__txn *t, json_t *changes, const spm_record *before,
		       const spm_record *after, size_t i)
{
	char *old_text = NULL, *new_text = NULL;
	const char *name = after->kind->fields[i].name;
	int rc = SPM_OK;

	if (before)
		rc = spm__record_render(&old_text, before, i);
	if (rc == SPM_OK)
		rc = spm__record_render(&new_text, after, i);
	if (rc == SPM_OK) {
		json_t *pair = json_pack("{s:s?,s:s?}", "old", old_text, "new", new_text);
		if (pair == NULL || json_object_set_new(changes, name, pair) != 0)
			rc = spm__error_oom();
	}
	spm__free(t->db, old_text);
	spm__free(t->db, new_text);
	return rc;
}

/* The change's audit row and its event {"changes":…}: the same JSON text,
 * made once (an audit row per field was most of a write's cost). */
static int emit(struct spm__txn *t, int type, int op, const spm_record *rec, json_t *changes)
{
	static const char head[] = "{\"changes\":";
	size_t n = json_object_size(changes), len;
	char *text = json_dumps(changes, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *payload = NULL;
	int rc = SPM_OK;

	if (text == NULL)
		return spm__error_oom();
	if (n > 0)
		rc = spm__txn_audit_changes(t, op, rec->kind->name, rec->id, text, n);
	len = strlen(text);
	if (rc == SPM_OK) {
		payload = spm__malloc(t->db, sizeof(head) - 1 + len + sizeof("}"));
		if (payload == NULL)
			rc = spm__error_oom();
	}
	if (rc == SPM_OK) {
		memcpy(payload, head, sizeof(head) - 1);
		memcpy(payload + sizeof(head) - 1, text, len);
		memcpy(payload + sizeof(head) - 1 + len, "}", sizeof("}"));
		rc = spm__txn_event(t, type, rec->kind->name, rec->id, payload);
	}
	spm__free(t->db, payload);
	free(text);
	return rc;
}

static void swap_contents(spm_record *a, spm_record *b)
{
	spm_record tmp = *a;

	a->id = b->id;
	a->seq = b->seq;
	a->nvalues = b->nvalues;
	a->v = b->v;
	b->id = tmp.id;
	b->seq = tmp.seq;
	b->nvalues = tmp.nvalues;
	b->v = tmp.v;
}

static int insert(struct spm__txn *t, spm_record *stored, json_t *changes)
{
	spm_db *db = t->db;
	/* A create's domain rules may say how its owner came about (assignment
	 * on create): for this record only. */
	const char *via = t->owner_via, *reason = t->owner_reason;
	int rc = check_required(stored, NULL);

	if (rc == SPM_OK)
		rc = stamp(stored, SPM__CREATED_AT, t->at);
	if (rc == SPM_OK)
		rc = stamp(stored, SPM__UPDATED_AT, t->at);
	if (rc == SPM_OK)
		rc = db->ops->next_id(db->store, &stored->id, stored->kind->name);
	if (rc == SPM_OK)
		rc = domain_checks(t, NULL, stored);
	if (t->merged) {
		spm_record *survivor = t->merged;

		t->merged = NULL;
		if (rc == SPM_OK)  /* the caller gets the survivor; nothing new is stored */
			swap_contents(stored, survivor);
		spm_record_free(survivor);
		t->owner_via = via;
		t->owner_reason = reason;
		return rc;
	}
	stored->seq = t->seq;
	if (rc == SPM_OK)
		rc = spm__store_insert(db, stored);
	if (rc == SPM_OK && stored->kind->def->after_write)
		rc = stored->kind->def->after_write(t, NULL, stored);
	if (rc == SPM_OK && stored->kind->def->owner_field)
		rc = spm__ownership_note(t, NULL, stored);
	t->owner_via = via;
	t->owner_reason = reason;
	for (size_t i = 0; rc == SPM_OK && i < stored->nvalues; i++)
		if (stored->v[i].has && !stored->kind->fields[i].dropped &&
		    !(stored->kind->fields[i].flags & SPM_FIELD_READONLY))
			rc = note_change(t, changes, NULL, stored, i);
	if (rc == SPM_OK)
		rc = emit(t, SPM_EVENT_RECORD_CREATED, SPM_AUDIT_CREATE, stored, changes);
	if (rc == SPM_OK && t->hook.after_create)
		rc = t->hook.after_create(t, stored);
	return rc;
}

static int update(struct spm__txn *t, const spm_record *rec, spm_record **out, json_t *changes)
{
	spm_db *db = t->db;
	spm_record *before = NULL, *after = NULL;
	size_t nchanged = 0;
	int rc = db->ops->get(db->store, &before, rec->kind, rec->id);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", rec->kind->name,
				    (long long)rec->id);
	if (rc == SPM_OK)  /* out of scope looks like missing, before any other check */
		rc = spm__scope_check_write(t, before, NULL);
	if (rc == SPM_OK && rec->seq != 0 && before->seq != rec->seq)
		rc = spm__error_set(SPM_ECONFLICT, "%s %lld changed since it was read "
				    "(seq %lld, now %lld)", rec->kind->name, (long long)rec->id,
				    (long long)rec->seq, (long long)before->seq);
	if (rc == SPM_OK)
		rc = spm__record_copy(&after, before);
	for (size_t i = 0; rc == SPM_OK && i < rec->nvalues; i++) {
		if (!rec->v[i].dirty || rec->kind->fields[i].dropped)
			continue;
		rc = spm__record_copy_value(after, i, rec);
		nchanged += !spm__value_equal(&after->v[i], &before->v[i]);
	}
	if (rc == SPM_OK && nchanged > 0) {
		rc = check_required(after, before);
		if (rc == SPM_OK)
			rc = domain_checks(t, before, after);
		if (rc == SPM_OK)
			rc = stamp(after, SPM__UPDATED_AT, t->at);
		after->seq = t->seq;
		/* only the changed columns: an unchanged indexed column costs
		 * no index write */
		if (rc == SPM_OK)
			rc = spm__store_update(db, after, before);
		if (rc == SPM_OK && after->kind->def->after_write)
			rc = after->kind->def->after_write(t, before, after);
		if (rc == SPM_OK && after->kind->def->owner_field)
			rc = spm__ownership_note(t, before, after);
		for (size_t i = 0; rc == SPM_OK && i < after->nvalues; i++)
			if (!(after->kind->fields[i].flags & SPM_FIELD_READONLY) &&
			    !spm__value_equal(&after->v[i], &before->v[i]))
				rc = note_change(t, changes, before, after, i);
		if (rc == SPM_OK)
			rc = emit(t, SPM_EVENT_RECORD_UPDATED, SPM_AUDIT_UPDATE, after, changes);
	}
	spm_record_free(before);
	*out = after;
	return rc;
}

int spm__write_save(struct spm__txn *t, const spm_record *rec, spm_record **out)
{
	json_t *changes = json_object();
	int rc;

	*out = NULL;
	if (changes == NULL)
		return spm__error_oom();
	if (rec->deleted) {
		rc = spm__error_set(SPM_EINVAL, "a deleted record cannot be saved");
	} else if (rec->id == 0) {
		rc = spm__record_copy(out, rec);
		if (rc == SPM_OK)
			rc = insert(t, *out, changes);
	} else {
		rc = update(t, rec, out, changes);
	}
	json_decref(changes);
	if (rc != SPM_OK) {
		spm_record_free(*out);
		*out = NULL;
	}
	return rc;
}

int spm__write_delete(struct spm__txn *t, spm_kind *kind, int64_t id)
{
	spm_db *db = t->db;
	spm_record *stored = NULL;
	json_t *changes;
	int rc = db->ops->get(db->store, &stored, kind, id);

	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", kind->name,
				      (long long)id);
	if (rc == SPM_OK)
		rc = domain_checks(t, stored, NULL);
	if (rc != SPM_OK) {
		spm_record_free(stored);
		return rc;
	}
	rc = spm__store_remove(db, kind, id, t->seq);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_DELETE, kind->name, id, NULL, NULL, NULL);
	changes = json_object();
	if (rc == SPM_OK && changes == NULL)
		rc = spm__error_oom();
	if (rc == SPM_OK)
		rc = emit(t, SPM_EVENT_RECORD_DELETED, SPM_AUDIT_DELETE, stored, changes);
	json_decref(changes);
	spm_record_free(stored);
	return rc;
}

/* Makes rec the stored version (after a successful commit). */
static void adopt(spm_record *rec, spm_record *stored)
{
	spm_db *db = rec->db;

	for (size_t i = 0; i < rec->nvalues; i++)
		spm__free(db, rec->v[i].s);
	spm__free(db, rec->v);
	rec->v = stored->v;
	rec->nvalues = stored->nvalues;
	rec->id = stored->id;
	rec->seq = stored->seq;
	stored->v = NULL;
	stored->nvalues = 0;
	spm__record_clear_dirty(rec);
	spm_record_free(stored);
}

int spm_record_save(spm_db *db, spm_record *rec)
{
	struct spm__txn t;
	spm_record *stored = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(rec);
	if (rec->db != db)
		return spm__error_set(SPM_EINVAL, "the record belongs to another handle");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = spm__write_save(&t, rec, &stored);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	if (t.nev == 0) {
		/* nothing changed: nothing to commit */
		spm__txn_abort(&t);
		adopt(rec, stored);
		return SPM_OK;
	}
	rc = spm__txn_commit(&t);
	if (t.committed)
		adopt(rec, stored);
	else
		spm_record_free(stored);
	return rc;
}

int spm_record_delete(spm_db *db, const char *kind, int64_t id)
{
	struct spm__txn t;
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	rc = spm__kind_lookup(&k, db, kind);
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = spm__write_delete(&t, k, id);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
