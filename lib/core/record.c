/* Records: construction, the library's own unchecked setters, comparison,
 * copying and rendering values as text. The checked public setters are in
 * record_access.c, JSON in record_json.c. */
#include "core/record_internal.h"
#include "core/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int spm__record_make(spm_record **out, spm_db *db, spm_kind *kind)
{
	spm_record *rec = spm__calloc(db, 1, sizeof(*rec));

	*out = NULL;
	if (rec == NULL)
		return spm__error_oom();
	rec->db = db;
	rec->kind = kind;
	if (spm__record_fit(rec) != SPM_OK) {
		spm__free(db, rec);
		return SPM_ENOMEM;
	}
	*out = rec;
	return SPM_OK;
}

int spm__record_fit(spm_record *rec)
{
	size_t n = rec->kind->nfields;
	struct spm__value *v;

	if (rec->nvalues >= n && rec->v != NULL)
		return SPM_OK;
	v = spm__realloc(rec->db, rec->v, (n ? n : 1) * sizeof(*v));
	if (v == NULL)
		return spm__error_oom();
	memset(v + rec->nvalues, 0, (n - rec->nvalues) * sizeof(*v));
	rec->v = v;
	rec->nvalues = n;
	return SPM_OK;
}

static void value_reset(spm_db *db, struct spm__value *v)
{
	spm__free(db, v->s);
	memset(v, 0, sizeof(*v));
}

void spm_record_free(spm_record *rec)
{
	spm_db *db;

	if (rec == NULL)
		return;
	db = rec->db;
	for (size_t i = 0; i < rec->nvalues; i++)
		spm__free(db, rec->v[i].s);
	spm__free(db, rec->v);
	spm__free(db, rec->scratch);
	spm__free(db, rec);
}

static int fit_index(spm_record *rec, size_t i)
{
	if (i < rec->nvalues)
		return SPM_OK;
	if (i >= rec->kind->nfields)
		return spm__error_set(SPM_EINVAL, "field index %zu out of range", i);
	return spm__record_fit(rec);
}

int spm__record_put_int(spm_record *rec, size_t i, int64_t value)
{
	int rc = fit_index(rec, i);

	if (rc != SPM_OK)
		return rc;
	value_reset(rec->db, &rec->v[i]);
	rec->v[i].i = value;
	rec->v[i].has = 1;
	rec->v[i].dirty = 1;
	return SPM_OK;
}

int spm__record_put_text(spm_record *rec, size_t i, const char *s, size_t len)
{
	char *copy;
	int rc = fit_index(rec, i);

	if (rc != SPM_OK)
		return rc;
	copy = spm__strndup(rec->db, s, len);
	if (copy == NULL)
		return spm__error_oom();
	value_reset(rec->db, &rec->v[i]);
	rec->v[i].s = copy;
	rec->v[i].len = len;
	rec->v[i].has = 1;
	rec->v[i].dirty = 1;
	return SPM_OK;
}

int spm__record_put_money(spm_record *rec, size_t i, int64_t minor, const char *currency)
{
	int rc = fit_index(rec, i);

	if (rc != SPM_OK)
		return rc;
	value_reset(rec->db, &rec->v[i]);
	rec->v[i].i = minor;
	memcpy(rec->v[i].cur, currency, 3);
	rec->v[i].cur[3] = '\0';
	rec->v[i].has = 1;
	rec->v[i].dirty = 1;
	return SPM_OK;
}

void spm__record_put_null(spm_record *rec, size_t i)
{
	if (fit_index(rec, i) != SPM_OK)
		return;
	value_reset(rec->db, &rec->v[i]);
	rec->v[i].dirty = 1;
}

int spm__value_equal(const struct spm__value *a, const struct spm__value *b)
{
	if (!a->has || !b->has)
		return a->has == b->has;
	if (a->s || b->s)
		return a->s && b->s && a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	return a->i == b->i && memcmp(a->cur, b->cur, 4) == 0;
}

int spm__record_copy_value(spm_record *rec, size_t i, const spm_record *src)
{
	const struct spm__value *v;

	if (i >= src->nvalues || !src->v[i].has) {
		spm__record_put_null(rec, i);
		return SPM_OK;
	}
	v = &src->v[i];
	if (v->s)
		return spm__record_put_text(rec, i, v->s, v->len);
	if (v->cur[0])
		return spm__record_put_money(rec, i, v->i, v->cur);
	return spm__record_put_int(rec, i, v->i);
}

void spm__record_clear_dirty(spm_record *rec)
{
	for (size_t i = 0; i < rec->nvalues; i++)
		rec->v[i].dirty = 0;
}

int spm__record_copy(spm_record **out, const spm_record *rec)
{
	spm_record *copy;
	int rc = spm__record_make(&copy, rec->db, rec->kind);

	if (rc != SPM_OK)
		return rc;
	copy->id = rec->id;
	copy->seq = rec->seq;
	copy->deleted = rec->deleted;
	for (size_t i = 0; i < rec->nvalues && rc == SPM_OK; i++) {
		rc = spm__record_copy_value(copy, i, rec);
		copy->v[i].dirty = rec->v[i].dirty;
	}
	if (rc != SPM_OK) {
		spm_record_free(copy);
		return rc;
	}
	*out = copy;
	return SPM_OK;
}

int spm__format_time(char *buf, size_t size, spm_time t)
{
	spm_date d;
	int y, m, day;
	int64_t secs;

	if (spm_date_from_time(&d, t) != SPM_OK || spm_date_to_ymd(&y, &m, &day, d) != SPM_OK)
		return spm__error_set(SPM_ERANGE, "time %" PRId64 " is out of range", t);
	secs = t - (int64_t)d * 86400;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, day,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return SPM_OK;
}

int spm__record_render(char **out, const spm_record *rec, size_t i)
{
	const struct spm__value *v;
	char buf[64];
	int rc = SPM_OK;

	*out = NULL;
	if (i >= rec->nvalues || !rec->v[i].has)
		return SPM_OK;
	v = &rec->v[i];
	switch (rec->kind->fields[i].type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		*out = spm__strndup(rec->db, v->s, v->len);
		return *out ? SPM_OK : spm__error_oom();
	case SPM_FIELD_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		break;
	case SPM_FIELD_MONEY:
		rc = spm_money_format(buf, sizeof(buf) - 4, v->i, v->cur);
		if (rc == SPM_OK) {
			strcat(buf, " ");
			strcat(buf, v->cur);
		}
		break;
	case SPM_FIELD_DATE:
		rc = spm_date_format(buf, sizeof(buf), (spm_date)v->i);
		break;
	case SPM_FIELD_BOOLEAN:
		strcpy(buf, v->i ? "true" : "false");
		break;
	case SPM_FIELD_TIME:
		rc = spm__format_time(buf, sizeof(buf), v->i);
		break;
	}
	if (rc != SPM_OK)
		return rc;
	*out = spm__strdup(rec->db, buf);
	return *out ? SPM_OK : spm__error_oom();
}

void spm__record_set_scratch(const spm_record *rec, char *text)
{
	spm_record *mut = (spm_record *)rec;

	spm__free(mut->db, mut->scratch);
	mut->scratch = text;
}
