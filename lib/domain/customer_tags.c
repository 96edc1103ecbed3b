/* Customer tags: the "tags" field holds a normalized comma-separated list
 * (each tag trimmed, duplicates and empty items dropped, order kept), so a
 * tag is found by splitting, whatever spacing the writer used. */
#include "domain/customer.h"
#include "domain/record_fields.h"
#include "core/utf8.h"

#include <string.h>

#define TAG_MAX 50
#define TAGS_MAX 50

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len && is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_space((*s)[*len - 1]))
		(*len)--;
}

/* 1 when the list (normalized, comma-separated) holds the tag. */
static int has_tag(const char *list, size_t list_len, const char *tag, size_t len)
{
	const char *p = list, *end = list + list_len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (n == len && memcmp(p, tag, len) == 0)
			return 1;
		p += n + 1;
	}
	return 0;
}

int spm__customer_tags_normalize(spm_record *after)
{
	const char *in = spm__fld_text(after, "tags"), *p;
	char out[TAGS_MAX * (TAG_MAX + 1)];
	size_t used = 0, count = 0;

	if (in == NULL)
		return SPM_OK;
	for (p = in; *p;) {
		const char *comma = strchr(p, ',');
		const char *tag = p;
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		p += len + (comma != NULL);
		trim(&tag, &len);
		if (len == 0 || has_tag(out, used, tag, len))
			continue;
		if (len > TAG_MAX)
			return spm__error_set(SPM_EINVAL, "customer.tags: a tag is at most %d bytes "
					      "('%.*s…')", TAG_MAX, 20, tag);
		if (++count > TAGS_MAX)
			return spm__error_set(SPM_EINVAL, "customer.tags: at most %d tags", TAGS_MAX);
		if (used)
			out[used++] = ',';
		memcpy(out + used, tag, len);
		used += len;
	}
	if (used == 0) {
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "tags"));
		return SPM_OK;
	}
	if (strlen(in) == used && memcmp(in, out, used) == 0)
		return SPM_OK;
	return spm__record_put_text(after, (size_t)spm__fld_idx(after, "tags"), out, used);
}

struct tagged {
	const char *tag;
	size_t len;
	spm_record_cb cb;
	void *payload;
};

static int visit(const spm_record *rec, void *payload)
{
	struct tagged *w = payload;
	const char *list = spm__fld_text(rec, "tags");

	if (list == NULL || !has_tag(list, strlen(list), w->tag, w->len))
		return 0;
	return w->cb(rec, w->payload);
}

int spm_customer_foreach_tagged(spm_db *db, const char *tag, spm_record_cb cb, void *payload)
{
	struct tagged w;
	spm_query *q = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(tag);
	SPM__CHECK_ARG(cb);
	w.tag = tag;
	w.len = strlen(tag);
	trim(&w.tag, &w.len);
	if (w.len == 0 || w.len > TAG_MAX || memchr(w.tag, ',', w.len) ||
	    !spm__utf8_valid(w.tag, w.len))
		return spm__error_set(SPM_EINVAL, "a tag is 1..%d bytes of UTF-8 without a comma",
				      TAG_MAX);
	w.cb = cb;
	w.payload = payload;
	rc = spm_query_new(&q, db, "customer");
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, visit, &w);
	spm_query_free(q);
	return rc;
}
