/* Defining and dropping custom fields, each in one audited transaction. */
#include "core/txn.h"
#include "core/store.h"
#include "core/kinds.h"
#include "core/utf8.h"
#include "domain/org.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHOICES 256
#define MAX_CHOICE_LEN 200
#define MAX_LABEL_LEN 200

static int require_schema_action(struct spm__txn *t, const char *what)
{
	struct spm__scope *s;
	int rc = spm__txn_scope(&s, t);

	return rc == SPM_OK ? spm__scope_require(s, SPM_ACTION_SCHEMA, what) : rc;
}

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > SPM_FIELD_NAME_MAX || name[0] < 'a' || name[0] > 'z')
		goto bad;
	for (size_t i = 1; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			goto bad;
	}
	return SPM_OK;
bad:
	return spm__error_set(SPM_EINVAL, "field name must match [a-z][a-z0-9_]{0,62}");
}

static int check_choices(const spm_field_options *o)
{
	if (o->nchoices == 0 || o->nchoices > MAX_CHOICES || o->choices == NULL)
		return spm__error_set(SPM_EINVAL, "an enum field needs 1..%d choices", MAX_CHOICES);
	for (size_t i = 0; i < o->nchoices; i++) {
		const char *c = o->choices[i];
		size_t len = c ? strlen(c) : 0;

		if (len == 0 || len > MAX_CHOICE_LEN || !spm__utf8_valid(c, len))
			return spm__error_set(SPM_EINVAL, "enum choice %zu must be 1..%d bytes "
					      "of UTF-8", i + 1, MAX_CHOICE_LEN);
		for (size_t j = 0; j < i; j++)
			if (strcmp(o->choices[j], c) == 0)
				return spm__error_set(SPM_EINVAL, "enum choice '%s' is repeated", c);
	}
	return SPM_OK;
}

static int check_options(spm_field_type type, const spm_field_options *o)
{
	int rc;

	if (o->version < 1 || o->version > SPM_FIELD_OPTIONS_VERSION)
		return spm__error_set(SPM_EVERSION, "unknown spm_field_options version %u",
				      (unsigned)o->version);
	if (spm_field_type_name(type) == NULL)
		return spm__error_set(SPM_EINVAL, "unknown field type %d", (int)type);
	if (o->flags & ~(unsigned)SPM_FIELD_REQUIRED)
		return spm__error_set(SPM_EINVAL, "custom fields take only SPM_FIELD_REQUIRED");
	if (type == SPM_FIELD_ENUM) {
		rc = check_choices(o);
		if (rc != SPM_OK)
			return rc;
	} else if (o->nchoices || o->choices) {
		return spm__error_set(SPM_EINVAL, "only enum fields have choices");
	}
	if (o->max_length > SPM_TEXT_MAX || (o->max_length && type != SPM_FIELD_TEXT))
		return spm__error_set(SPM_EINVAL, "max_length is for text fields, at most %d",
				      SPM_TEXT_MAX);
	if (o->label && (strlen(o->label) > MAX_LABEL_LEN ||
			 !spm__utf8_valid(o->label, strlen(o->label))))
		return spm__error_set(SPM_EINVAL, "label must be at most %d bytes of UTF-8",
				      MAX_LABEL_LEN);
	return SPM_OK;
}

static int choices_json(spm_db *db, char **out, const spm_field_options *o)
{
	json_t *arr = json_array();
	char *text;

	*out = NULL;
	if (arr == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < o->nchoices; i++)
		if (json_array_append_new(arr, json_string(o->choices[i])) != 0)
			goto oom;
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (text == NULL)
		return spm__error_oom();
	*out = spm__strdup(db, text);
	free(text);
	return *out ? SPM_OK : spm__error_oom();
oom:
	json_decref(arr);
	return spm__error_oom();
}

static int field_record(spm_record **out, spm_db *db, spm_kind *kind, const char *name,
			spm_field_type type, const spm_field_options *o)
{
	spm_record *rec;
	char *choices = NULL;
	int rc = spm__record_make(&rec, db, spm__kind_find(db, SPM__KIND_FIELD, 1));

	if (rc != SPM_OK)
		return rc;
	rc = spm__record_put_text(rec, SPM__FIELD_KIND, kind->name, strlen(kind->name));
	if (rc == SPM_OK)
		rc = spm__record_put_text(rec, SPM__FIELD_NAME, name, strlen(name));
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__FIELD_TYPE, type);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__FIELD_FLAGS, o->flags);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__FIELD_MAXLEN,
					 o->max_length ? (int64_t)o->max_length : SPM_TEXT_MAX);
	if (rc == SPM_OK && o->label)
		rc = spm__record_put_text(rec, SPM__FIELD_LABEL, o->label, strlen(o->label));
	if (rc == SPM_OK && type == SPM_FIELD_ENUM)
		rc = choices_json(db, &choices, o);
	if (rc == SPM_OK && choices)
		rc = spm__record_put_text(rec, SPM__FIELD_CHOICES, choices, strlen(choices));
	spm__free(db, choices);
	if (rc != SPM_OK) {
		spm_record_free(rec);
		return rc;
	}
	*out = rec;
	return SPM_OK;
}

static int field_event_payload(char **out, spm_db *db, const char *kind, const char *name,
			       spm_field_type type)
{
	json_t *obj = json_pack("{ssssss}", "kind", kind, "name", name, "type",
				spm_field_type_name(type));
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(obj);
	*out = text ? spm__strdup(db, text) : NULL;
	free(text);
	return *out ? SPM_OK : spm__error_oom();
}

static int add_in_txn(struct spm__txn *t, spm_kind *kind, const char *name,
		      spm_field_type type, const spm_field_options *o)
{
	spm_record *rec = NULL;
	char *payload = NULL;
	int rc;

	if (spm__field_index(kind, name) >= 0)
		return spm__error_set(SPM_EEXISTS, "%s already has a field '%s'", kind->name, name);
	rc = field_record(&rec, t->db, kind, name, type, o);
	if (rc == SPM_OK)
		rc = spm__txn_put_system(t, rec);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_SCHEMA, kind->name, 0, name, NULL,
				    spm_field_type_name(type));
	if (rc == SPM_OK)
		rc = field_event_payload(&payload, t->db, kind->name, name, type);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_FIELD_ADDED, kind->name, 0, payload);
	spm__free(t->db, payload);
	spm_record_free(rec);
	return rc;
}

int spm_field_add(spm_db *db, const char *kind, const char *name, spm_field_type type,
		  const spm_field_options *opts)
{
	static const spm_field_options defaults = SPM_FIELD_OPTIONS_INIT;
	struct spm__txn t;
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	SPM__CHECK_ARG(name);
	if (opts == NULL)
		opts = &defaults;
	rc = spm__kind_lookup(&k, db, kind);
	if (rc == SPM_OK)
		rc = check_name(name);
	if (rc == SPM_OK)
		rc = check_options(type, opts);
	if (rc == SPM_OK && db->registry_depth > 0)
		rc = spm__error_set(SPM_EBUSY, "fields cannot change inside spm_field_foreach");
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = require_schema_action(&t, "define fields");
	if (rc == SPM_OK)
		rc = add_in_txn(&t, k, name, type, opts);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	rc = spm__txn_commit(&t);
	if (rc == SPM_OK || db->in_txn == 0)
		spm__registry_refresh(db);
	return rc;
}

/* Rewrites, page by page, every record of the kind that has a value for
 * field i, without it; the rows take this transaction's change sequence. */
static int purge_values(struct spm__txn *t, spm_kind *kind, size_t i)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 256, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	size_t got;
	int rc;

	do {
		rc = spm__scan_page(t->db, &page, kind, &scan);
		got = page.n;
		for (size_t r = 0; rc == SPM_OK && r < page.n; r++) {
			spm_record *rec = page.recs[r];
			scan.after_id = rec->id;
			if (i >= rec->nvalues || !rec->v[i].has)
				continue;
			spm__record_put_null(rec, i);
			rec->seq = t->seq;
			rc = spm__store_put(t->db, rec);
		}
		spm__page_clear(t->db, &page);
	} while (rc == SPM_OK && got == scan.limit);
	return rc;
}

static int drop_in_txn(struct spm__txn *t, spm_kind *kind, const char *name)
{
	long i = spm__field_index(kind, name);
	const struct spm__field *f;
	char *payload = NULL;
	int rc;

	if (i < 0)
		return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", kind->name, name);
	f = &kind->fields[i];
	if (!(f->flags & SPM_FIELD_CUSTOM))
		return spm__error_set(SPM_EPERM, "%s.%s is a core field and cannot be dropped",
				      kind->name, name);
	rc = purge_values(t, kind, (size_t)i);
	if (rc == SPM_OK)
		rc = spm__store_remove(t->db, spm__kind_find(t->db, SPM__KIND_FIELD, 1),
				       f->def_id, t->seq);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_SCHEMA, kind->name, 0, name,
				    spm_field_type_name(f->type), NULL);
	if (rc == SPM_OK)
		rc = field_event_payload(&payload, t->db, kind->name, name, f->type);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_FIELD_DROPPED, kind->name, 0, payload);
	spm__free(t->db, payload);
	return rc;
}

int spm_field_drop(spm_db *db, const char *kind, const char *name)
{
	struct spm__txn t;
	spm_kind *k;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	SPM__CHECK_ARG(name);
	rc = spm__kind_lookup(&k, db, kind);
	if (rc == SPM_OK && db->registry_depth > 0)
		rc = spm__error_set(SPM_EBUSY, "fields cannot change inside spm_field_foreach");
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = require_schema_action(&t, "drop fields");
	if (rc == SPM_OK)
		rc = drop_in_txn(&t, k, name);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	rc = spm__txn_commit(&t);
	if (rc == SPM_OK || db->in_txn == 0)
		spm__registry_refresh(db);
	return rc;
}
