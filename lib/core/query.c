/* Queries over the records of one kind, read in pages so that no transaction
 * stays open while the caller's code runs. */
#include "core/txn.h"
#include "domain/org.h"

#include <string.h>

#define MAX_CONDS 16
#define PAGE_SIZE 256

struct spm_query {
	spm_db *db;
	spm_kind *kind;
	spm_scan_cond conds[MAX_CONDS];
	char *texts[MAX_CONDS];
	size_t nconds;
	int64_t since;      /* -1: not a changed-since query */
	size_t limit;
};

struct spm_record_iter {
	spm_db *db;
	spm_query q;        /* a copy; the texts are owned by the iterator */
	struct spm__page page;
	size_t pos;
	size_t delivered;
	spm_scan scan;
	struct spm__scope scope;  /* what the actor may see, fixed at the start */
	int done;
};

int spm_query_new(spm_query **out, spm_db *db, const char *kind)
{
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	rc = spm__kind_lookup(&k, db, kind);
	if (rc != SPM_OK)
		return rc;
	*out = spm__calloc(db, 1, sizeof(**out));
	if (*out == NULL)
		return spm__error_oom();
	(*out)->db = db;
	(*out)->kind = k;
	(*out)->since = -1;
	return SPM_OK;
}

void spm_query_free(spm_query *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->nconds; i++)
		spm__free(q->db, q->texts[i]);
	spm__free(q->db, q);
}

static int add_cond(spm_query *q, const char *field, spm_compare cmp, int text, size_t *out)
{
	long i;
	spm_field_type t;

	SPM__CHECK_ARG(q);
	SPM__CHECK_ARG(field);
	if (cmp < SPM_CMP_EQ || cmp > SPM_CMP_GE)
		return spm__error_set(SPM_EINVAL, "unknown comparison %d", (int)cmp);
	if (q->nconds == MAX_CONDS)
		return spm__error_set(SPM_EINVAL, "a query has at most %d conditions", MAX_CONDS);
	i = spm__field_index(q->kind, field);
	if (i < 0)
		return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", q->kind->name, field);
	if ((size_t)i >= q->kind->ncore || !(q->kind->fields[i].flags & SPM_FIELD_INDEXED))
		return spm__error_set(SPM_EINVAL, "%s.%s is not indexed", q->kind->name, field);
	t = q->kind->fields[i].type;
	if ((t == SPM_FIELD_TEXT || t == SPM_FIELD_ENUM) != text || t == SPM_FIELD_MONEY)
		return spm__error_set(SPM_EINVAL, "%s.%s is of type %s", q->kind->name, field,
				      spm_field_type_name(t));
	*out = q->nconds;
	q->conds[q->nconds].field = (size_t)i;
	q->conds[q->nconds].cmp = cmp;
	return SPM_OK;
}

int spm_query_where_int(spm_query *q, const char *field, spm_compare cmp, int64_t value)
{
	size_t n;
	int rc = add_cond(q, field, cmp, 0, &n);

	if (rc != SPM_OK)
		return rc;
	q->conds[n].ivalue = value;
	q->conds[n].svalue = NULL;
	q->texts[n] = NULL;
	q->nconds++;
	return SPM_OK;
}

int spm_query_where_text(spm_query *q, const char *field, spm_compare cmp, const char *value)
{
	size_t n;
	int rc;

	SPM__CHECK_ARG(value);
	rc = add_cond(q, field, cmp, 1, &n);
	if (rc != SPM_OK)
		return rc;
	q->texts[n] = spm__strdup(q->db, value);
	if (q->texts[n] == NULL)
		return spm__error_oom();
	q->conds[n].svalue = q->texts[n];
	q->conds[n].ivalue = 0;
	q->nconds++;
	return SPM_OK;
}

int spm_query_changed_since(spm_query *q, int64_t seq)
{
	SPM__CHECK_ARG(q);
	if (seq < 0)
		return spm__error_set(SPM_EINVAL, "a change sequence is not negative");
	q->since = seq;
	return SPM_OK;
}

int spm_query_limit(spm_query *q, size_t limit)
{
	SPM__CHECK_ARG(q);
	q->limit = limit;
	return SPM_OK;
}

/* Drops the records of the page the actor may not see. */
static int filter_page(spm_record_iter *it)
{
	size_t kept = 0;
	int rc = SPM_OK;

	for (size_t i = 0; i < it->page.n; i++) {
		int seen = 1;

		if (rc == SPM_OK && it->scope.mode != SPM_SCOPE_ALL)
			rc = spm__scope_sees(&seen, &it->scope, it->db, it->page.recs[i]);
		if (rc == SPM_OK && seen)
			it->page.recs[kept++] = it->page.recs[i];
		else
			spm_record_free(it->page.recs[i]);
	}
	it->page.n = kept;
	return rc;
}

/* Fetches the next page of visible records. Changed-since queries page by
 * (seq, id): one transaction may write several rows with the same sequence. */
static int next_page(spm_record_iter *it)
{
	size_t want = PAGE_SIZE, got;
	int rc;

	do {
		spm__page_clear(it->db, &it->page);
		it->pos = 0;
		if (it->q.limit && it->q.limit - it->delivered < want)
			want = it->q.limit - it->delivered;
		if (want == 0) {
			it->done = 1;
			return SPM_OK;
		}
		it->scan.limit = want;
		rc = spm__read_begin(it->db);
		if (rc == SPM_OK)
			rc = spm__scan_page(it->db, &it->page, it->q.kind, &it->scan);
		got = it->page.n;
		if (rc == SPM_OK && got > 0) {
			const spm_record *last = it->page.recs[got - 1];
			it->scan.after_id = last->id;
			if (it->q.since >= 0)
				it->scan.after_seq = last->seq;
		}
		if (rc == SPM_OK)
			rc = filter_page(it);
		spm__read_end(it->db);
		if (rc != SPM_OK)
			return rc;
		if (got < want)
			it->done = 1;
	} while (it->page.n == 0 && !it->done);
	return SPM_OK;
}

int spm_record_iter_new(spm_record_iter **out, spm_query *q)
{
	spm_record_iter *it;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(q);
	it = spm__calloc(q->db, 1, sizeof(*it));
	if (it == NULL)
		return spm__error_oom();
	it->db = q->db;
	it->q = *q;
	for (size_t i = 0; i < q->nconds; i++) {
		it->q.texts[i] = NULL;
		if (q->texts[i]) {
			it->q.texts[i] = spm__strdup(q->db, q->texts[i]);
			if (it->q.texts[i] == NULL) {
				it->q.nconds = i;
				spm_record_iter_free(it);
				return spm__error_oom();
			}
			it->q.conds[i].svalue = it->q.texts[i];
		}
	}
	if (spm__scope_load(&it->scope, q->db) != SPM_OK) {
		int code = spm_error_code();
		spm_record_iter_free(it);
		return code;
	}
	it->scan.version = SPM_SCAN_VERSION;
	it->scan.conds = it->q.conds;
	it->scan.nconds = it->q.nconds;
	if (q->since >= 0) {
		it->scan.after_seq = q->since;
		it->scan.flags = SPM_SCAN_BY_SEQ | SPM_SCAN_DELETED;
	}
	*out = it;
	return SPM_OK;
}

int spm_record_iter_next(const spm_record **out, spm_record_iter *it)
{
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(it);
	if (it->pos == it->page.n) {
		if (it->done)
			return SPM_ITEROVER;
		rc = next_page(it);
		if (rc != SPM_OK)
			return rc;
		if (it->page.n == 0)
			return SPM_ITEROVER;
	}
	*out = it->page.recs[it->pos++];
	it->delivered++;
	return SPM_OK;
}

void spm_record_iter_free(spm_record_iter *it)
{
	if (it == NULL)
		return;
	spm__page_clear(it->db, &it->page);
	spm__scope_free(it->db, &it->scope);
	for (size_t i = 0; i < it->q.nconds; i++)
		spm__free(it->db, it->q.texts[i]);
	spm__free(it->db, it);
}

int spm_query_foreach(spm_query *q, spm_record_cb cb, void *payload)
{
	spm_record_iter *it;
	const spm_record *rec;
	int rc;

	SPM__CHECK_ARG(cb);
	rc = spm_record_iter_new(&it, q);
	if (rc != SPM_OK)
		return rc;
	while ((rc = spm_record_iter_next(&rec, it)) == SPM_OK) {
		rc = cb(rec, payload);
		if (rc != 0)
			break;
	}
	spm_record_iter_free(it);
	return rc == SPM_ITEROVER ? SPM_OK : rc;
}

int spm_record_get(spm_record **out, spm_db *db, const char *kind, int64_t id)
{
	struct spm__scope s;
	spm_kind *k;
	int seen = 1;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	rc = spm__kind_lookup(&k, db, kind);
	if (rc != SPM_OK)
		return rc;
	rc = spm__read_begin(db);
	if (rc != SPM_OK)
		return rc;
	/* The actor first: one who may read nothing (not a user, inactive, no
	 * role) gets SPM_EPERM whether or not the record exists. */
	rc = spm__scope_load(&s, db);
	if (rc == SPM_OK) {
		rc = db->ops->get(db->store, out, k, id);
		if (rc == SPM_OK)
			rc = spm__scope_sees(&seen, &s, db, *out);
		if (rc == SPM_OK && !seen)
			rc = SPM_ENOTFOUND;  /* out of scope is indistinguishable from missing */
		if (rc != SPM_OK) {
			spm_record_free(*out);
			*out = NULL;
		}
		spm__scope_free(db, &s);
	}
	spm__read_end(db);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", kind, (long long)id);
	return rc;
}
