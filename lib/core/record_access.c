/* The public, checked record API: every value is validated against its
 * field's type before it is stored in the record, and the record is
 * unchanged when validation fails. */
#include "core/record_internal.h"
#include "core/utf8.h"

#include <string.h>

static int field_for_write(size_t *out, spm_record *rec, const char *field,
			   spm_field_type t1, spm_field_type t2)
{
	const struct spm__field *f;
	int rc;

	SPM__CHECK_ARG(rec);
	SPM__CHECK_ARG(field);
	rc = spm__field_lookup(out, rec->db, rec->kind, field);
	if (rc != SPM_OK)
		return rc;
	f = &rec->kind->fields[*out];
	if (f->flags & SPM_FIELD_READONLY)
		return spm__error_set(SPM_EINVAL, "%s.%s is maintained by the library",
				      rec->kind->name, field);
	if (t1 && f->type != t1 && f->type != t2)
		return spm__error_set(SPM_EINVAL, "%s.%s is of type %s", rec->kind->name, field,
				      spm_field_type_name(f->type));
	return spm__record_fit(rec);
}

static int check_text(const spm_kind *kind, const struct spm__field *f, const char *value)
{
	size_t len = strlen(value);

	if (!spm__utf8_valid(value, len))
		return spm__error_set(SPM_EINVAL, "%s.%s: invalid UTF-8", kind->name, f->name);
	if (len > f->max_length)
		return spm__error_set(SPM_EINVAL, "%s.%s: %zu bytes, longer than %zu",
				      kind->name, f->name, len, f->max_length);
	if (!spm__field_choice_ok(f, value))
		return spm__error_set(SPM_EINVAL, "%s.%s: '%s' is not one of its choices",
				      kind->name, f->name, value);
	return SPM_OK;
}

int spm__field_choice_ok(const struct spm__field *f, const char *value)
{
	if (f->type != SPM_FIELD_ENUM)
		return 1;
	for (size_t i = 0; i < f->nchoices; i++)
		if (strcmp(f->choices[i], value) == 0)
			return 1;
	return 0;
}

int spm_record_set_text(spm_record *rec, const char *field, const char *value)
{
	size_t i;
	int rc = field_for_write(&i, rec, field, SPM_FIELD_TEXT, SPM_FIELD_ENUM);

	if (rc != SPM_OK)
		return rc;
	if (value == NULL) {
		spm__record_put_null(rec, i);
		return SPM_OK;
	}
	rc = check_text(rec->kind, &rec->kind->fields[i], value);
	if (rc != SPM_OK)
		return rc;
	return spm__record_put_text(rec, i, value, strlen(value));
}

int spm_record_set_int(spm_record *rec, const char *field, int64_t value)
{
	size_t i;
	int rc = field_for_write(&i, rec, field, SPM_FIELD_INTEGER, SPM_FIELD_INTEGER);

	return rc != SPM_OK ? rc : spm__record_put_int(rec, i, value);
}

int spm_record_set_money(spm_record *rec, const char *field, int64_t minor, const char *currency)
{
	size_t i;
	int rc = field_for_write(&i, rec, field, SPM_FIELD_MONEY, SPM_FIELD_MONEY);

	if (rc != SPM_OK)
		return rc;
	if (currency == NULL || !spm_currency_valid(currency))
		return spm__error_set(SPM_EINVAL, "%s.%s: unknown currency '%s'", rec->kind->name,
				      field, currency ? currency : "(null)");
	return spm__record_put_money(rec, i, minor, currency);
}

int spm_record_set_date(spm_record *rec, const char *field, spm_date value)
{
	size_t i;
	int rc = field_for_write(&i, rec, field, SPM_FIELD_DATE, SPM_FIELD_DATE);

	if (rc != SPM_OK)
		return rc;
	rc = spm_date_to_ymd(NULL, NULL, NULL, value);
	if (rc != SPM_OK)
		return rc;
	return spm__record_put_int(rec, i, value);
}

int spm_record_set_bool(spm_record *rec, const char *field, int value)
{
	size_t i;
	int rc = field_for_write(&i, rec, field, SPM_FIELD_BOOLEAN, SPM_FIELD_BOOLEAN);

	return rc != SPM_OK ? rc : spm__record_put_int(rec, i, value != 0);
}

int spm_record_set_time(spm_record *rec, const char *field, spm_time value)
{
	size_t i;
	char buf[32];
	int rc = field_for_write(&i, rec, field, SPM_FIELD_TIME, SPM_FIELD_TIME);

	if (rc != SPM_OK)
		return rc;
	rc = spm__format_time(buf, sizeof(buf), value);  /* range check */
	return rc != SPM_OK ? rc : spm__record_put_int(rec, i, value);
}

int spm_record_set_null(spm_record *rec, const char *field)
{
	size_t i;
	int rc = field_for_write(&i, rec, field, 0, 0);

	if (rc == SPM_OK)
		spm__record_put_null(rec, i);
	return rc;
}

int spm__parse_int(int64_t *out, const char *text)
{
	const char *p = text;
	int neg = 0;
	uint64_t acc = 0, limit;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p == '\0')
		return spm__error_set(SPM_EINVAL, "'%s' is not an integer", text);
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return spm__error_set(SPM_EINVAL, "'%s' is not an integer", text);
		if (acc > (limit - (uint64_t)(*p - '0')) / 10)
			return spm__error_set(SPM_EOVERFLOW, "'%s' is out of the integer range", text);
		acc = acc * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return SPM_OK;
}

/* "YYYY-MM-DDTHH:MM:SSZ" or integer seconds. */
static int parse_time(spm_time *out, const char *text)
{
	char date[11];
	spm_date d;
	spm_time t;
	int hh, mm, ss;
	size_t len = strlen(text);

	if (len != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z')
		return spm__parse_int(out, text);
	memcpy(date, text, 10);
	date[10] = '\0';
	for (size_t k = 11; k < 19; k++)
		if (k != 13 && k != 16 && (text[k] < '0' || text[k] > '9'))
			return spm__error_set(SPM_EINVAL, "'%s' is not a time", text);
	hh = (text[11] - '0') * 10 + (text[12] - '0');
	mm = (text[14] - '0') * 10 + (text[15] - '0');
	ss = (text[17] - '0') * 10 + (text[18] - '0');
	if (hh > 23 || mm > 59 || ss > 59)
		return spm__error_set(SPM_EINVAL, "'%s' is not a time", text);
	if (spm_date_parse(&d, date) != SPM_OK || spm_date_to_time(&t, d) != SPM_OK)
		return spm__error_set(SPM_EINVAL, "'%s' is not a time", text);
	*out = t + hh * 3600 + mm * 60 + ss;
	return SPM_OK;
}

static int set_money_text(spm_record *rec, const char *field, const char *text)
{
	const char *sp = strrchr(text, ' ');
	char amount[64];
	int64_t minor;
	int rc;

	if (sp == NULL || (size_t)(sp - text) >= sizeof(amount) || strlen(sp + 1) != 3)
		return spm__error_set(SPM_EINVAL, "'%s' is not money (like \"12.50 EUR\")", text);
	memcpy(amount, text, (size_t)(sp - text));
	amount[sp - text] = '\0';
	rc = spm_money_parse(&minor, amount, sp + 1);
	return rc != SPM_OK ? rc : spm_record_set_money(rec, field, minor, sp + 1);
}

int spm_record_set_from_text(spm_record *rec, const char *field, const char *text)
{
	size_t i;
	int64_t n;
	spm_date d;
	int rc = field_for_write(&i, rec, field, 0, 0);

	if (rc != SPM_OK)
		return rc;
	if (text == NULL) {
		spm__record_put_null(rec, i);
		return SPM_OK;
	}
	switch (rec->kind->fields[i].type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		return spm_record_set_text(rec, field, text);
	case SPM_FIELD_INTEGER:
		rc = spm__parse_int(&n, text);
		return rc != SPM_OK ? rc : spm_record_set_int(rec, field, n);
	case SPM_FIELD_MONEY:
		return set_money_text(rec, field, text);
	case SPM_FIELD_DATE:
		rc = spm_date_parse(&d, text);
		return rc != SPM_OK ? rc : spm_record_set_date(rec, field, d);
	case SPM_FIELD_BOOLEAN:
		if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
			return spm_record_set_bool(rec, field, text[0] == 't');
		return spm__error_set(SPM_EINVAL, "'%s' is not a boolean (true or false)", text);
	case SPM_FIELD_TIME:
		rc = parse_time(&n, text);
		return rc != SPM_OK ? rc : spm_record_set_time(rec, field, n);
	}
	return spm__error_set(SPM_ECORRUPT, "field of unknown type");
}

static int field_for_read(const struct spm__value **out, const spm_record *rec,
			  const char *field, spm_field_type t1, spm_field_type t2)
{
	long i;
	const struct spm__field *f;

	SPM__CHECK_ARG(rec);
	SPM__CHECK_ARG(field);
	i = spm__field_index(rec->kind, field);
	if (i < 0)
		return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", rec->kind->name, field);
	f = &rec->kind->fields[i];
	if (t1 && f->type != t1 && f->type != t2)
		return spm__error_set(SPM_EINVAL, "%s.%s is of type %s", rec->kind->name, field,
				      spm_field_type_name(f->type));
	if ((size_t)i >= rec->nvalues || !rec->v[i].has)
		return spm__error_set(SPM_ENOTFOUND, "%s.%s has no value", rec->kind->name, field);
	*out = &rec->v[i];
	return SPM_OK;
}

int spm_record_is_null(int *out, const spm_record *rec, const char *field)
{
	const struct spm__value *v;
	int rc;

	SPM__CHECK_ARG(out);
	rc = field_for_read(&v, rec, field, 0, 0);
	if (rc == SPM_ENOTFOUND && spm__field_index(rec->kind, field) >= 0) {
		*out = 1;
		return SPM_OK;
	}
	if (rc == SPM_OK)
		*out = 0;
	return rc;
}

int spm_record_get_text(const char **out, const spm_record *rec, const char *field)
{
	const struct spm__value *v;
	int rc;

	SPM__CHECK_ARG(out);
	rc = field_for_read(&v, rec, field, SPM_FIELD_TEXT, SPM_FIELD_ENUM);
	if (rc == SPM_OK)
		*out = v->s;
	return rc;
}

static int get_int(int64_t *out, const spm_record *rec, const char *field, spm_field_type t)
{
	const struct spm__value *v;
	int rc;

	SPM__CHECK_ARG(out);
	rc = field_for_read(&v, rec, field, t, t);
	if (rc == SPM_OK)
		*out = v->i;
	return rc;
}

int spm_record_get_int(int64_t *out, const spm_record *rec, const char *field)
{
	return get_int(out, rec, field, SPM_FIELD_INTEGER);
}

int spm_record_get_money(int64_t *out_minor, const char **out_currency, const spm_record *rec,
			 const char *field)
{
	const struct spm__value *v;
	int rc;

	SPM__CHECK_ARG(out_minor);
	rc = field_for_read(&v, rec, field, SPM_FIELD_MONEY, SPM_FIELD_MONEY);
	if (rc == SPM_OK) {
		*out_minor = v->i;
		if (out_currency)
			*out_currency = v->cur;
	}
	return rc;
}

int spm_record_get_date(spm_date *out, const spm_record *rec, const char *field)
{
	int64_t v = 0;
	int rc;

	SPM__CHECK_ARG(out);
	rc = get_int(&v, rec, field, SPM_FIELD_DATE);
	if (rc == SPM_OK)
		*out = (spm_date)v;
	return rc;
}

int spm_record_get_bool(int *out, const spm_record *rec, const char *field)
{
	int64_t v = 0;
	int rc;

	SPM__CHECK_ARG(out);
	rc = get_int(&v, rec, field, SPM_FIELD_BOOLEAN);
	if (rc == SPM_OK)
		*out = (int)v;
	return rc;
}

int spm_record_get_time(spm_time *out, const spm_record *rec, const char *field)
{
	return get_int(out, rec, field, SPM_FIELD_TIME);
}

int spm_record_get_as_text(const char **out, const spm_record *rec, const char *field)
{
	long i;
	char *text;
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(rec);
	SPM__CHECK_ARG(field);
	i = spm__field_index(rec->kind, field);
	if (i < 0)
		return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", rec->kind->name, field);
	rc = spm__record_render(&text, rec, (size_t)i);
	if (rc != SPM_OK)
		return rc;
	spm__record_set_scratch(rec, text);
	*out = text;
	return SPM_OK;
}

int spm_record_field_type(spm_field_type *out, const spm_record *rec, const char *field)
{
	long i;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(rec);
	SPM__CHECK_ARG(field);
	i = spm__field_index(rec->kind, field);
	if (i < 0)
		return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", rec->kind->name, field);
	*out = rec->kind->fields[i].type;
	return SPM_OK;
}

const char *spm_record_kind(const spm_record *rec)
{
	return rec ? rec->kind->name : NULL;
}

int64_t spm_record_id(const spm_record *rec)
{
	return rec ? rec->id : 0;
}

int64_t spm_record_seq(const spm_record *rec)
{
	return rec ? rec->seq : 0;
}

int spm_record_is_deleted(const spm_record *rec)
{
	return rec ? rec->deleted : 0;
}

int spm_record_new(spm_record **out, spm_db *db, const char *kind)
{
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	rc = spm__kind_lookup(&k, db, kind);
	return rc != SPM_OK ? rc : spm__record_make(out, db, k);
}

int spm_record_dup(spm_record **out, const spm_record *rec)
{
	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(rec);
	return spm__record_copy(out, rec);
}
