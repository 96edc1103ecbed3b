/* Batches: many writes in one transaction, optionally under an idempotency
 * key. The key, a hash of the batch's content and the ids it produced are
 * stored in the same transaction, so a retry after an ambiguous failure finds
 * them and does not apply the batch twice. */
#include "core/write.h"
#include "core/store.h"
#include "core/kinds.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define IDEM_KEY_MAX 255
#define IDEM_TTL (24 * 3600)

struct batch_op {
	spm_record *rec;    /* a save; NULL for a delete */
	spm_kind *kind;
	int64_t id;
};

struct spm_batch {
	spm_db *db;
	struct batch_op *ops;
	size_t n;
	size_t cap;
	int64_t *ids;       /* after a commit */
	int replayed;
};

int spm_batch_new(spm_batch **out, spm_db *db)
{
	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	*out = spm__calloc(db, 1, sizeof(**out));
	if (*out == NULL)
		return spm__error_oom();
	(*out)->db = db;
	return SPM_OK;
}

static void forget_result(spm_batch *b)
{
	spm__free(b->db, b->ids);
	b->ids = NULL;
	b->replayed = 0;
}

void spm_batch_free(spm_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		spm_record_free(b->ops[i].rec);
	spm__free(b->db, b->ops);
	forget_result(b);
	spm__free(b->db, b);
}

static struct batch_op *push(spm_batch *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct batch_op *ops = spm__realloc(b->db, b->ops, cap * sizeof(*ops));
		if (ops == NULL)
			return NULL;
		b->ops = ops;
		b->cap = cap;
	}
	forget_result(b);
	return &b->ops[b->n];
}

int spm_batch_save(spm_batch *b, const spm_record *rec)
{
	struct batch_op *op;
	int rc;

	SPM__CHECK_ARG(b);
	SPM__CHECK_ARG(rec);
	if (rec->db != b->db)
		return spm__error_set(SPM_EINVAL, "the record belongs to another handle");
	op = push(b);
	if (op == NULL)
		return spm__error_oom();
	rc = spm__record_copy(&op->rec, rec);
	if (rc != SPM_OK)
		return rc;
	op->kind = rec->kind;
	op->id = rec->id;
	b->n++;
	return SPM_OK;
}

int spm_batch_delete(spm_batch *b, const char *kind, int64_t id)
{
	struct batch_op *op;
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(b);
	SPM__CHECK_ARG(kind);
	rc = spm__kind_lookup(&k, b->db, kind);
	if (rc != SPM_OK)
		return rc;
	op = push(b);
	if (op == NULL)
		return spm__error_oom();
	op->rec = NULL;
	op->kind = k;
	op->id = id;
	b->n++;
	return SPM_OK;
}

size_t spm_batch_count(const spm_batch *b)
{
	return b ? b->n : 0;
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* A hash of what the batch writes: a key reused for other content is a
 * caller's bug, reported as a conflict rather than silently replayed. */
static int content_hash(int64_t *out, const spm_batch *b)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < b->n; i++) {
		const struct batch_op *op = &b->ops[i];
		h = fnv(h, op->kind->name, strlen(op->kind->name) + 1);
		h = fnv(h, &op->id, sizeof(op->id));
		h = fnv(h, op->rec ? "s" : "d", 1);
		for (size_t f = 0; op->rec && f < op->rec->nvalues; f++) {
			char *text = NULL;
			int rc;

			if (!op->rec->v[f].dirty)
				continue;
			rc = spm__record_render(&text, op->rec, f);
			if (rc != SPM_OK)
				return rc;
			h = fnv(h, op->kind->fields[f].name, strlen(op->kind->fields[f].name) + 1);
			h = text ? fnv(h, text, strlen(text) + 1) : fnv(h, "", 1);
			spm__free(b->db, text);
		}
	}
	*out = (int64_t)(h >> 1);
	return SPM_OK;
}

static int find_key(spm_record **out, spm_db *db, const char *key)
{
	spm_kind *kind = spm__kind_find(db, SPM__KIND_IDEM, 1);
	spm_scan_cond cond = { SPM__IDEM_KEY, SPM_CMP_EQ, 0, key };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(db, &page, kind, &scan);

	*out = NULL;
	if (rc == SPM_OK && page.n == 1) {
		*out = page.recs[0];
		page.n = 0;
	}
	spm__page_clear(db, &page);
	return rc;
}

static int replay(spm_batch *b, const spm_record *stored, int64_t hash)
{
	const char *ids = spm_record_value_text(stored, SPM__IDEM_IDS, NULL);
	json_t *arr;
	int rc = SPM_OK;

	if (spm_record_value_int(stored, SPM__IDEM_HASH) != hash)
		return spm__error_set(SPM_ECONFLICT, "the idempotency key was used for a "
				      "different batch");
	arr = json_loads(ids ? ids : "[]", 0, NULL);
	if (json_array_size(arr) != b->n) {
		rc = spm__error_set(SPM_ECORRUPT, "stored idempotency result does not match");
	} else {
		for (size_t i = 0; i < b->n; i++)
			b->ids[i] = json_integer_value(json_array_get(arr, i));
		b->replayed = 1;
	}
	json_decref(arr);
	return rc;
}

static int store_key(struct spm__txn *t, const spm_batch *b, const char *key, int64_t hash)
{
	spm_record *rec;
	json_t *arr = json_array();
	char *text = NULL;
	int rc = spm__record_make(&rec, t->db, spm__kind_find(t->db, SPM__KIND_IDEM, 1));

	for (size_t i = 0; arr && i < b->n; i++)
		if (json_array_append_new(arr, json_integer(b->ids[i])) != 0)
			rc = spm__error_oom();
	if (arr)
		text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (rc == SPM_OK && text == NULL)
		rc = spm__error_oom();
	if (rc == SPM_OK)
		rc = spm__record_put_text(rec, SPM__IDEM_KEY, key, strlen(key));
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__IDEM_HASH, hash);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__IDEM_AT, t->at);
	if (rc == SPM_OK)
		rc = spm__record_put_text(rec, SPM__IDEM_IDS, text, strlen(text));
	if (rc == SPM_OK)
		rc = spm__txn_put_system(t, rec);
	free(text);
	if (rec)
		spm_record_free(rec);
	return rc;
}

static int apply(struct spm__txn *t, spm_batch *b)
{
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < b->n; i++) {
		struct batch_op *op = &b->ops[i];
		if (op->rec) {
			spm_record *stored = NULL;
			rc = spm__write_save(t, op->rec, &stored);
			if (rc == SPM_OK)
				b->ids[i] = stored->id;
			spm_record_free(stored);
		} else {
			rc = spm__write_delete(t, op->kind, op->id);
			b->ids[i] = op->id;
		}
	}
	return rc;
}

static int check_key(const char *key)
{
	size_t len;

	if (key == NULL)
		return SPM_OK;
	len = strlen(key);
	if (len == 0 || len > IDEM_KEY_MAX)
		return spm__error_set(SPM_EINVAL, "an idempotency key has 1..%d bytes", IDEM_KEY_MAX);
	return SPM_OK;
}

int spm_batch_commit(spm_batch *b, const char *key)
{
	struct spm__txn t;
	spm_record *seen = NULL;
	int64_t hash = 0;
	int rc;

	SPM__CHECK_ARG(b);
	rc = check_key(key);
	if (rc != SPM_OK)
		return rc;
	forget_result(b);
	b->ids = spm__calloc(b->db, b->n ? b->n : 1, sizeof(*b->ids));
	if (b->ids == NULL)
		return spm__error_oom();
	if (key)
		rc = content_hash(&hash, b);
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, b->db);
	if (rc != SPM_OK)
		goto fail;
	if (key)
		rc = find_key(&seen, b->db, key);
	if (rc == SPM_OK && seen) {
		rc = replay(b, seen, hash);
		spm_record_free(seen);
		spm__txn_abort(&t);
		if (rc != SPM_OK)
			goto fail;
		return SPM_OK;
	}
	if (rc == SPM_OK)
		rc = apply(&t, b);
	if (rc == SPM_OK && key)
		rc = store_key(&t, b, key, hash);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		goto fail;
	}
	rc = spm__txn_commit(&t);
	if (t.committed)
		return rc;
fail:
	forget_result(b);
	return rc;
}

int spm_batch_id(int64_t *out, const spm_batch *b, size_t i)
{
	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(b);
	if (b->ids == NULL)
		return spm__error_set(SPM_EINVAL, "the batch has not been committed");
	if (i >= b->n)
		return spm__error_set(SPM_ERANGE, "the batch has %zu writes", b->n);
	*out = b->ids[i];
	return SPM_OK;
}

int spm_batch_replayed(const spm_batch *b)
{
	return b ? b->replayed : 0;
}

/* tick job: forget keys older than their time to live. */
int spm__idem_expire(spm_db *db, spm_time now)
{
	spm_kind *kind = spm__kind_find(db, SPM__KIND_IDEM, 1);
	spm_scan_cond cond = { SPM__IDEM_AT, SPM_CMP_LT, now - IDEM_TTL, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	struct spm__txn t;
	int rc = spm__txn_begin(&t, db);

	if (rc != SPM_OK)
		return rc;
	rc = spm__scan_page(db, &page, kind, &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
		rc = spm__store_remove(db, kind, page.recs[i]->id, t.seq);
	spm__page_clear(db, &page);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
