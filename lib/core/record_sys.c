/* The record functions of sys/storage.h: backends build records field by
 * field and read them back by index. Loaded values are checked as strictly as
 * values set through the public API, so corrupt storage is reported, not
 * passed on. */
#include "core/record_internal.h"
#include "core/utf8.h"

#include <string.h>

int spm_record_alloc(spm_record **out, spm_db *db, const spm_kind *kind, int64_t id,
		     int64_t seq, int deleted)
{
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	rc = spm__record_make(out, db, (spm_kind *)kind);
	if (rc == SPM_OK) {
		(*out)->id = id;
		(*out)->seq = seq;
		(*out)->deleted = deleted != 0;
	}
	return rc;
}

int spm__record_int_valid(const spm_record *rec, size_t i, int64_t v)
{
	char buf[32];

	switch (rec->kind->fields[i].type) {
	case SPM_FIELD_BOOLEAN:
		return v == 0 || v == 1;
	case SPM_FIELD_DATE:
		/* spm_date is 32 bits: a wider value must not be truncated into range. */
		return v >= INT32_MIN && v <= INT32_MAX &&
		       spm_date_to_ymd(NULL, NULL, NULL, (spm_date)v) == SPM_OK;
	case SPM_FIELD_TIME:
		return spm__format_time(buf, sizeof(buf), v) == SPM_OK;
	default:
		return 1;
	}
}

static int core_field(spm_record *rec, size_t i, int want_text, int want_money)
{
	spm_field_type t;

	if (rec == NULL || i >= rec->kind->ncore)
		return spm__error_set(SPM_EINVAL, "no core field %zu", i);
	t = rec->kind->fields[i].type;
	if ((t == SPM_FIELD_TEXT || t == SPM_FIELD_ENUM) != want_text ||
	    (t == SPM_FIELD_MONEY) != want_money)
		return spm__error_set(SPM_ECORRUPT, "%s.%s: stored value of the wrong type",
				      rec->kind->name, rec->kind->fields[i].name);
	return SPM_OK;
}

int spm_record_load_int(spm_record *rec, size_t field, int64_t value)
{
	int rc = core_field(rec, field, 0, 0);

	if (rc != SPM_OK)
		return rc;
	if (!spm__record_int_valid(rec, field, value))
		return spm__error_set(SPM_ECORRUPT, "%s %lld: %s: stored %s %lld is out of range",
				      rec->kind->name, (long long)rec->id,
				      rec->kind->fields[field].name,
				      spm_field_type_name(rec->kind->fields[field].type),
				      (long long)value);
	rc = spm__record_put_int(rec, field, value);
	rec->v[field].dirty = 0;
	return rc;
}

int spm_record_load_text(spm_record *rec, size_t field, const char *text, size_t len)
{
	int rc = core_field(rec, field, 1, 0);

	if (rc != SPM_OK)
		return rc;
	if (text == NULL || !spm__utf8_valid(text, len))
		return spm__error_set(SPM_ECORRUPT, "%s.%s: stored text is not UTF-8",
				      rec->kind->name, rec->kind->fields[field].name);
	rc = spm__record_put_text(rec, field, text, len);
	if (rc == SPM_OK)
		rec->v[field].dirty = 0;
	return rc;
}

int spm_record_load_money(spm_record *rec, size_t field, int64_t minor, const char *currency)
{
	int rc = core_field(rec, field, 0, 1);

	if (rc != SPM_OK)
		return rc;
	if (currency == NULL || !spm_currency_valid(currency))
		return spm__error_set(SPM_ECORRUPT, "%s.%s: stored currency is invalid",
				      rec->kind->name, rec->kind->fields[field].name);
	rc = spm__record_put_money(rec, field, minor, currency);
	rec->v[field].dirty = 0;
	return rc;
}

const spm_kind *spm_record_kind_of(const spm_record *rec)
{
	return rec ? rec->kind : NULL;
}

static const struct spm__value *value_at(const spm_record *rec, size_t field)
{
	if (rec == NULL || field >= rec->nvalues || !rec->v[field].has)
		return NULL;
	return &rec->v[field];
}

int spm_record_value_null(const spm_record *rec, size_t field)
{
	return value_at(rec, field) == NULL;
}

int64_t spm_record_value_int(const spm_record *rec, size_t field)
{
	const struct spm__value *v = value_at(rec, field);

	return v ? v->i : 0;
}

const char *spm_record_value_text(const spm_record *rec, size_t field, size_t *len)
{
	const struct spm__value *v = value_at(rec, field);

	if (len)
		*len = v && v->s ? v->len : 0;
	return v ? v->s : NULL;
}

const char *spm_record_value_currency(const spm_record *rec, size_t field)
{
	const struct spm__value *v = value_at(rec, field);

	return v && v->cur[0] ? v->cur : NULL;
}
