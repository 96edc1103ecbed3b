#include "core/txn.h"
#include "core/audit_link.h"
#include "analytics/cache.h"
#include "core/kinds.h"
#include "core/store.h"
#include "events/events_internal.h"
#include "domain/org.h"

#include <string.h>

int spm__read_begin(spm_db *db)
{
	int rc = spm__handle_enter(db);

	if (rc != SPM_OK || db->in_txn)
		return rc;
	rc = db->ops->begin(db->store, 0);
	if (rc == SPM_OK)
		db->in_txn = 1;
	else
		spm__handle_leave(db);
	return rc;
}

void spm__read_end(spm_db *db)
{
	if (db->in_txn == 1) {
		db->ops->rollback(db->store);
		db->in_txn = 0;
		spm__handle_leave(db);
	}
}

int spm__txn_begin(struct spm__txn *t, spm_db *db)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->db = db;
	rc = spm__db_check_writable(db);
	if (rc == SPM_OK)
		rc = spm__handle_enter(db);
	if (rc != SPM_OK)
		return rc;
	if (db->in_txn)
		return spm__error_set(SPM_EBUSY, "a transaction is already open on this handle");
	rc = db->ops->begin(db->store, SPM_STORAGE_WRITE);
	if (rc != SPM_OK) {
		spm__handle_leave(db);
		return rc;
	}
	db->in_txn = 2;
	rc = spm__registry_refresh(db);
	/* The actor first: one who may do nothing (not a user, inactive, no
	 * role) gets SPM_EPERM before any record is looked at, so a refusal
	 * never tells whether a record exists. */
	if (rc == SPM_OK && db->actor != 0) {
		struct spm__scope *scope;

		rc = spm__txn_scope(&scope, t);
	}
	if (rc == SPM_OK)
		rc = db->ops->next_id(db->store, &t->seq, SPM__COUNTER_SEQ);
	if (rc != SPM_OK) {
		spm__txn_abort(t);
		return rc;
	}
	t->at = spm_db_now(db);
	spm__acache_txn_begin(db);
	return SPM_OK;
}

int spm__txn_scope(struct spm__scope **out, struct spm__txn *t)
{
	int rc;

	if (t->scope == NULL) {
		t->scope = spm__calloc(t->db, 1, sizeof(*t->scope));
		if (t->scope == NULL)
			return spm__error_oom();
		rc = spm__scope_load(t->scope, t->db);
		if (rc != SPM_OK) {
			spm__free(t->db, t->scope);
			t->scope = NULL;
			return rc;
		}
	}
	*out = t->scope;
	return SPM_OK;
}

static void free_events(struct spm__txn *t)
{
	if (t->hook.release)
		t->hook.release(t);
	memset(&t->hook, 0, sizeof(t->hook));
	if (t->scope) {
		spm__scope_free(t->db, t->scope);
		spm__free(t->db, t->scope);
		t->scope = NULL;
	}
	for (size_t i = 0; i < t->nev; i++)
		spm__free(t->db, t->ev[i].payload);
	spm__free(t->db, t->ev);
	t->ev = NULL;
	t->nev = t->cap = 0;
}

void spm__txn_abort(struct spm__txn *t)
{
	spm_db *db = t->db;

	if (db == NULL)
		return;
	if (db->in_txn) {
		db->ops->rollback(db->store);
		db->in_txn = 0;
		spm__handle_leave(db);
	}
	spm__acache_txn_end(db, 0, t->seq);
	free_events(t);
	t->db = NULL;
}

int spm__txn_commit(struct spm__txn *t)
{
	spm_db *db = t->db;
	spm_event *evs = NULL;
	int rc = t->hook.finish ? t->hook.finish(t) : SPM_OK;

	if (rc == SPM_OK)
		rc = db->ops->commit(db->store);
	if (rc != SPM_OK) {
		spm__txn_abort(t);
		return rc;
	}
	db->in_txn = 0;
	spm__handle_leave(db);
	t->committed = 1;
	spm__acache_txn_end(db, 1, t->seq);
	if (t->hook.committed)
		t->hook.committed(t);
	if (t->nev > 0 && db->nlisteners > 0) {
		evs = spm__calloc(db, t->nev, sizeof(*evs));
		if (evs == NULL) {
			free_events(t);
			t->db = NULL;
			return spm__error_set(SPM_ENOMEM, "committed, but out of memory "
					      "before calling the listeners");
		}
		for (size_t i = 0; i < t->nev; i++) {
			evs[i].version = SPM_EVENT_VERSION;
			evs[i].seq = t->ev[i].seq;
			evs[i].change_seq = t->seq;
			evs[i].at = t->at;
			evs[i].actor = db->actor;
			evs[i].type = t->ev[i].type;
			evs[i].kind = t->ev[i].kind;
			evs[i].entity_id = t->ev[i].entity_id;
			evs[i].payload = t->ev[i].payload;
		}
		rc = spm__listeners_dispatch(db, evs, t->nev);
		spm__free(db, evs);
	}
	free_events(t);
	t->db = NULL;
	return rc;
}

int spm__txn_put_system(struct spm__txn *t, spm_record *rec)
{
	int rc = t->db->ops->next_id(t->db->store, &rec->id, rec->kind->name);

	if (rc != SPM_OK)
		return rc;
	rec->seq = t->seq;
	return spm__store_insert(t->db, rec);
}

static int put_text_or_null(spm_record *rec, size_t i, const char *s)
{
	if (s == NULL)
		return SPM_OK;
	return spm__record_put_text(rec, i, s, strlen(s));
}

/* An audit row with what every entry carries: change, time, actor, op, record. */
static int audit_row(spm_record **out, struct spm__txn *t, int op, const char *kind,
		     int64_t entity_id)
{
	spm_record *rec;
	int rc = spm__record_make(&rec, t->db, spm__kind_find(t->db, SPM__KIND_AUDIT, 1));

	*out = NULL;
	if (rc != SPM_OK)
		return rc;
	rc = spm__record_put_int(rec, SPM__AUDIT_SEQ, t->seq);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__AUDIT_AT, t->at);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__AUDIT_ACTOR, t->db->actor);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__AUDIT_OP, op);
	if (rc == SPM_OK)
		rc = put_text_or_null(rec, SPM__AUDIT_KIND, kind);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__AUDIT_ENTITY, entity_id);
	if (rc != SPM_OK) {
		spm_record_free(rec);
		return rc;
	}
	*out = rec;
	return SPM_OK;
}

/* Stores an audit row (its id set) linked into the hash chain. */
static int insert_linked(struct spm__txn *t, spm_record *rec)
{
	unsigned char hash[32];
	int rc;

	rec->seq = t->seq;
	rc = spm__audit_link(t, rec, hash);
	if (rc == SPM_OK)
		rc = spm__store_insert(t->db, rec);
	if (rc == SPM_OK)
		spm__audit_linked(t, rec, hash);
	return rc;
}

int spm__txn_audit(struct spm__txn *t, int op, const char *kind, int64_t entity_id,
		   const char *field, const char *old_value, const char *new_value)
{
	spm_record *rec;
	int rc = audit_row(&rec, t, op, kind, entity_id);

	if (rc != SPM_OK)
		return rc;
	rc = put_text_or_null(rec, SPM__AUDIT_FIELD, field);
	if (rc == SPM_OK)
		rc = put_text_or_null(rec, SPM__AUDIT_OLD, old_value);
	if (rc == SPM_OK)
		rc = put_text_or_null(rec, SPM__AUDIT_NEW, new_value);
	if (rc == SPM_OK)
		rc = t->db->ops->next_id(t->db->store, &rec->id, SPM__KIND_AUDIT);
	if (rc == SPM_OK)
		rc = insert_linked(t, rec);
	spm_record_free(rec);
	return rc;
}

int spm__txn_audit_changes(struct spm__txn *t, int op, const char *kind, int64_t entity_id,
			   const char *changes, size_t n)
{
	spm_record *rec;
	int64_t first = 0, id;
	int rc = audit_row(&rec, t, op, kind, entity_id);

	if (rc != SPM_OK)
		return rc;
	rc = put_text_or_null(rec, SPM__AUDIT_CHANGES, changes);
	/* Ids come from memory inside a write transaction (one counter read
	 * per transaction), so reserving n of them is cheap. */
	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		rc = t->db->ops->next_id(t->db->store, &id, SPM__KIND_AUDIT);
		if (rc == SPM_OK && i == 0)
			first = id;
		else if (rc == SPM_OK && id != first + (int64_t)i)
			rc = spm__error_set(SPM_ESTORAGE, "audit ids are not consecutive");
	}
	if (rc == SPM_OK) {
		rec->id = first;
		rc = insert_linked(t, rec);
	}
	spm_record_free(rec);
	return rc;
}

int spm__txn_event(struct spm__txn *t, int type, const char *kind, int64_t entity_id,
		   const char *payload)
{
	struct spm__pending_event *pe;
	spm_record *rec;
	int rc;

	if (payload == NULL)
		payload = "{}";
	if (t->nev == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4;
		pe = spm__realloc(t->db, t->ev, cap * sizeof(*pe));
		if (pe == NULL)
			return spm__error_oom();
		t->ev = pe;
		t->cap = cap;
	}
	rc = spm__record_make(&rec, t->db, spm__kind_find(t->db, SPM__KIND_EVENT, 1));
	if (rc != SPM_OK)
		return rc;
	rc = spm__record_put_int(rec, SPM__EVENT_SEQ, t->seq);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__EVENT_AT, t->at);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__EVENT_ACTOR, t->db->actor);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__EVENT_TYPE, type);
	if (rc == SPM_OK)
		rc = put_text_or_null(rec, SPM__EVENT_KIND, kind);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__EVENT_ENTITY, entity_id);
	if (rc == SPM_OK)
		rc = put_text_or_null(rec, SPM__EVENT_PAYLOAD, payload);
	if (rc == SPM_OK)
		rc = spm__txn_put_system(t, rec);
	if (rc == SPM_OK) {
		pe = &t->ev[t->nev];
		pe->payload = spm__strdup(t->db, payload);
		if (pe->payload == NULL) {
			rc = spm__error_oom();
		} else {
			pe->seq = rec->id;
			pe->type = type;
			pe->kind = kind;
			pe->entity_id = entity_id;
			t->nev++;
		}
	}
	spm_record_free(rec);
	return rc;
}

static int page_add(spm_record *rec, void *payload)
{
	struct spm__page *page = payload;

	if (page->n == page->cap) {
		size_t cap = page->cap ? page->cap * 2 : 64;
		spm_record **recs = spm__realloc(rec->db, page->recs, cap * sizeof(*recs));
		if (recs == NULL) {
			spm_record_free(rec);
			return spm__error_oom();
		}
		page->recs = recs;
		page->cap = cap;
	}
	page->recs[page->n++] = rec;
	return 0;
}

int spm__scan_page(spm_db *db, struct spm__page *page, const spm_kind *kind,
		   const spm_scan *scan)
{
	int opened = !db->in_txn;
	int rc = spm__read_begin(db);

	if (rc != SPM_OK)
		return rc;
	rc = db->ops->scan(db->store, kind, scan, page_add, page);
	if (opened)
		spm__read_end(db);
	return rc;
}

void spm__page_clear(spm_db *db, struct spm__page *page)
{
	for (size_t i = 0; i < page->n; i++)
		spm_record_free(page->recs[i]);
	spm__free(db, page->recs);
	memset(page, 0, sizeof(*page));
}
