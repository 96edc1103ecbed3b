/* Records as JSON: the custom-field column the backends store, and
 * spm_record_to_json(). One encoding serves both: text and enums as strings,
 * integers and times as numbers, dates as "YYYY-MM-DD", booleans as
 * true/false, money as {"minor": n, "currency": "EUR"}. */
#include "core/record_internal.h"
#include "core/utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The JSON of field i in *out: SPM_OK, or the date's own error (a date the
 * calendar cannot write), or SPM_ENOMEM. */
static int encode_value(json_t **out, const spm_record *rec, size_t i)
{
	const struct spm__value *v = &rec->v[i];
	char buf[SPM_DATE_FORMAT_MAX];
	int rc;

	*out = NULL;
	switch (rec->kind->fields[i].type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		*out = json_stringn(v->s, v->len);
		break;
	case SPM_FIELD_INTEGER:
	case SPM_FIELD_TIME:
		*out = json_integer(v->i);
		break;
	case SPM_FIELD_BOOLEAN:
		*out = json_boolean(v->i);
		break;
	case SPM_FIELD_DATE:
		rc = spm_date_format(buf, sizeof(buf), (spm_date)v->i);
		if (rc != SPM_OK)
			return spm__error_set(rc, "%s.%s: date %lld is outside the years 1..9999",
					      rec->kind->name, rec->kind->fields[i].name,
					      (long long)v->i);
		*out = json_string(buf);
		break;
	case SPM_FIELD_MONEY:
		*out = json_pack("{sIss}", "minor", (json_int_t)v->i, "currency", v->cur);
		break;
	}
	return *out ? SPM_OK : spm__error_oom();
}

/* Adds fields [from, to) that have a value to obj. */
static int encode_fields(json_t *obj, const spm_record *rec, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < rec->nvalues; i++) {
		json_t *jv;
		int rc;

		if (!rec->v[i].has || rec->kind->fields[i].dropped)
			continue;
		rc = encode_value(&jv, rec, i);
		if (rc != SPM_OK)
			return rc;
		if (json_object_set_new(obj, rec->kind->fields[i].name, jv) != 0)
			return spm__error_oom();
	}
	return SPM_OK;
}

/* Hands a jansson string over to the handle's allocator. */
static int take_dump(spm_db *db, char **out, size_t *out_len, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t len;

	json_decref(obj);
	if (text == NULL)
		return spm__error_oom();
	len = strlen(text);
	*out = spm__strndup(db, text, len);
	free(text);
	if (*out == NULL)
		return spm__error_oom();
	if (out_len)
		*out_len = len;
	return SPM_OK;
}

int spm_record_custom_json(char **out, size_t *out_len, const spm_record *rec)
{
	json_t *obj;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	if (out_len)
		*out_len = 0;
	SPM__CHECK_ARG(rec);
	obj = json_object();
	if (obj == NULL)
		return spm__error_oom();
	rc = encode_fields(obj, rec, rec->kind->ncore, rec->kind->nfields);
	if (rc != SPM_OK || json_object_size(obj) == 0) {
		json_decref(obj);
		return rc;
	}
	return take_dump(rec->db, out, out_len, obj);
}

static int corrupt(const spm_record *rec, const char *name)
{
	return spm__error_set(SPM_ECORRUPT, "%s.%s: stored custom value does not match its type",
			      rec->kind->name, name);
}

static int decode_value(spm_record *rec, size_t i, json_t *jv)
{
	const struct spm__field *f = &rec->kind->fields[i];
	spm_date d;
	json_int_t minor;
	const char *cur;

	switch (f->type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		if (!json_is_string(jv) || !spm__field_choice_ok(f, json_string_value(jv)))
			return corrupt(rec, f->name);
		return spm__record_put_text(rec, i, json_string_value(jv), json_string_length(jv));
	case SPM_FIELD_INTEGER:
	case SPM_FIELD_TIME:
		if (!json_is_integer(jv) || !spm__record_int_valid(rec, i, json_integer_value(jv)))
			return corrupt(rec, f->name);
		return spm__record_put_int(rec, i, json_integer_value(jv));
	case SPM_FIELD_BOOLEAN:
		if (!json_is_boolean(jv))
			return corrupt(rec, f->name);
		return spm__record_put_int(rec, i, json_is_true(jv));
	case SPM_FIELD_DATE:
		if (!json_is_string(jv) || spm_date_parse(&d, json_string_value(jv)) != SPM_OK)
			return corrupt(rec, f->name);
		return spm__record_put_int(rec, i, d);
	case SPM_FIELD_MONEY:
		if (json_unpack(jv, "{s:I,s:s!}", "minor", &minor, "currency", &cur) != 0 ||
		    !spm_currency_valid(cur))
			return corrupt(rec, f->name);
		return spm__record_put_money(rec, i, minor, cur);
	}
	return corrupt(rec, f->name);
}

int spm_record_load_custom(spm_record *rec, const char *json, size_t len)
{
	json_error_t err;
	json_t *obj, *jv;
	const char *key;
	int rc = SPM_OK;

	SPM__CHECK_ARG(rec);
	SPM__CHECK_ARG(json);
	obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		return spm__error_set(SPM_ECORRUPT, "%s %lld: custom fields are not a JSON object",
				      rec->kind->name, (long long)rec->id);
	}
	rc = spm__record_fit(rec);
	json_object_foreach(obj, key, jv) {
		long i;

		if (rc != SPM_OK)
			break;
		i = spm__field_index(rec->kind, key);
		if (i < (long)rec->kind->ncore)
			continue;  /* unknown (dropped meanwhile, or not loaded yet) */
		rc = decode_value(rec, (size_t)i, jv);
		if (rc == SPM_OK)
			rec->v[i].dirty = 0;
	}
	json_decref(obj);
	return rc;
}

int spm_record_to_json(const char **out, const spm_record *rec)
{
	json_t *obj, *fields;
	char *text;
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(rec);
	fields = json_object();
	obj = json_pack("{sssIsI}", "kind", rec->kind->name, "id", (json_int_t)rec->id,
			"seq", (json_int_t)rec->seq);
	if (fields == NULL || obj == NULL) {
		json_decref(fields);
		json_decref(obj);
		return spm__error_oom();
	}
	if (json_object_set_new(obj, "fields", fields) != 0) {
		json_decref(obj);
		return spm__error_oom();
	}
	rc = encode_fields(fields, rec, 0, rec->kind->nfields);
	if (rc != SPM_OK) {
		json_decref(obj);
		return rc;
	}
	rc = take_dump(rec->db, &text, NULL, obj);
	if (rc != SPM_OK)
		return rc;
	spm__record_set_scratch(rec, text);
	*out = text;
	return SPM_OK;
}
