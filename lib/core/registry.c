/* The schema registry: static kinds (kinds.c) plus custom fields. */
#include "core/registry.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <jansson.h>
#include <limits.h>
#include <string.h>

static void free_custom(spm_db *db, struct spm__field *f)
{
	spm__free(db, (char *)f->name);
	for (size_t i = 0; i < f->nchoices; i++)
		spm__free(db, f->choices[i]);
	spm__free(db, f->choices);
	spm__free(db, f->label);
}

void spm__registry_free(spm_db *db)
{
	for (size_t k = 0; k < db->nkinds; k++) {
		spm_kind *kind = db->kinds[k];
		if (kind == NULL)
			continue;
		for (size_t i = kind->ncore; i < kind->nfields; i++)
			free_custom(db, &kind->fields[i]);
		spm__free(db, kind->fields);
		spm__free(db, kind);
	}
	spm__free(db, db->kinds);
	db->kinds = NULL;
	db->nkinds = 0;
}

int spm__registry_init(spm_db *db)
{
	db->kinds = spm__calloc(db, spm__kind_def_count, sizeof(*db->kinds));
	if (db->kinds == NULL)
		return spm__error_oom();
	db->nkinds = spm__kind_def_count;
	for (size_t k = 0; k < spm__kind_def_count; k++) {
		const struct spm__kind_def *def = &spm__kind_defs[k];
		spm_kind *kind = spm__calloc(db, 1, sizeof(*kind));

		if (kind == NULL)
			return spm__error_oom();
		db->kinds[k] = kind;
		kind->fields = spm__calloc(db, def->nfields, sizeof(*kind->fields));
		if (kind->fields == NULL)
			return spm__error_oom();
		kind->def = def;
		kind->name = def->name;
		kind->since = def->since;
		kind->flags = def->flags;
		kind->ncore = kind->nfields = kind->cap = def->nfields;
		for (size_t i = 0; i < def->nfields; i++) {
			struct spm__field *f = &kind->fields[i];
			f->name = def->fields[i].name;
			f->type = def->fields[i].type;
			f->flags = def->fields[i].flags;
			f->since = def->fields[i].since;
			f->max_length = def->fields[i].max_length ? def->fields[i].max_length
								  : SPM_TEXT_MAX;
		}
	}
	return SPM_OK;
}

spm_kind *spm__kind_find(spm_db *db, const char *name, int with_system)
{
	for (size_t k = 0; k < db->nkinds; k++) {
		spm_kind *kind = db->kinds[k];
		if (strcmp(kind->name, name) == 0) {
			if (!with_system && (kind->flags & SPM_KIND_SYSTEM))
				return NULL;
			if (kind->since > db->schema_version)
				return NULL;
			return kind;
		}
	}
	return NULL;
}

int spm__kind_lookup(spm_kind **out, spm_db *db, const char *name)
{
	*out = spm__kind_find(db, name, 0);
	if (*out == NULL)
		return spm__error_set(SPM_ENOTFOUND, "no entity kind '%s'", name);
	return SPM_OK;
}

long spm__field_index(const spm_kind *kind, const char *name)
{
	for (size_t i = 0; i < kind->nfields; i++)
		if (!kind->fields[i].dropped && strcmp(kind->fields[i].name, name) == 0)
			return (long)i;
	return -1;
}

long spm__core_index(const spm_kind *kind, const char *name)
{
	long i = spm__field_index(kind, name);

	return i >= 0 && (size_t)i < kind->ncore ? i : -1;
}

int spm__field_lookup(size_t *out, spm_db *db, spm_kind *kind, const char *name)
{
	long i = spm__field_index(kind, name);
	int rc;

	if (i < 0) {
		/* perhaps defined by another handle since we last looked */
		rc = spm__registry_refresh(db);
		if (rc != SPM_OK)
			return rc;
		i = spm__field_index(kind, name);
	}
	if (i < 0)
		return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", kind->name, name);
	*out = (size_t)i;
	return SPM_OK;
}

/* Appends the custom field stored in a "_field" record. */
static int add_from_record(spm_db *db, const spm_record *rec)
{
	const char *kind_name = spm_record_value_text(rec, SPM__FIELD_KIND, NULL);
	int64_t type = spm_record_value_int(rec, SPM__FIELD_TYPE);
	spm_kind *kind;
	struct spm__field f;
	json_t *choices = NULL;
	const char *text;
	int rc = SPM_OK;

	/* spm_field_add() stores all three: a row without them is damaged. */
	if (kind_name == NULL || spm_record_value_text(rec, SPM__FIELD_NAME, NULL) == NULL ||
	    type < INT_MIN || type > INT_MAX || spm_field_type_name((spm_field_type)type) == NULL)
		return spm__error_set(SPM_ECORRUPT, "custom field definition %lld: no kind, no "
				      "name or an unknown type", (long long)rec->id);
	kind = spm__kind_find(db, kind_name, 0);
	if (kind == NULL)
		return SPM_OK;  /* a kind of a newer library; not ours to use */
	memset(&f, 0, sizeof(f));
	f.def_id = rec->id;
	f.type = (spm_field_type)spm_record_value_int(rec, SPM__FIELD_TYPE);
	f.flags = (unsigned int)spm_record_value_int(rec, SPM__FIELD_FLAGS) | SPM_FIELD_CUSTOM;
	f.max_length = (size_t)spm_record_value_int(rec, SPM__FIELD_MAXLEN);
	f.name = spm__strdup(db, spm_record_value_text(rec, SPM__FIELD_NAME, NULL));
	text = spm_record_value_text(rec, SPM__FIELD_LABEL, NULL);
	if (text)
		f.label = spm__strdup(db, text);
	if (f.name == NULL || (text && f.label == NULL))
		rc = spm__error_oom();
	text = spm_record_value_text(rec, SPM__FIELD_CHOICES, NULL);
	if (rc == SPM_OK && text) {
		choices = json_loads(text, 0, NULL);
		f.nchoices = json_array_size(choices);
		f.choices = spm__calloc(db, f.nchoices ? f.nchoices : 1, sizeof(char *));
		if (f.choices == NULL)
			rc = spm__error_oom();
		for (size_t i = 0; rc == SPM_OK && i < f.nchoices; i++) {
			const char *c = json_string_value(json_array_get(choices, i));
			f.choices[i] = c ? spm__strdup(db, c) : NULL;
			if (f.choices[i] == NULL)
				rc = c ? spm__error_oom() : spm__error_set(SPM_ECORRUPT, "bad choices");
		}
		json_decref(choices);
	}
	if (rc == SPM_OK && kind->nfields == kind->cap) {
		size_t cap = kind->cap * 2 + 4;
		struct spm__field *fields = spm__realloc(db, kind->fields, cap * sizeof(*fields));
		if (fields == NULL) {
			rc = spm__error_oom();
		} else {
			kind->fields = fields;
			kind->cap = cap;
		}
	}
	if (rc != SPM_OK) {
		free_custom(db, &f);
		return rc;
	}
	kind->fields[kind->nfields++] = f;
	return SPM_OK;
}

static struct spm__field *find_def(spm_db *db, int64_t def_id)
{
	for (size_t k = 0; k < db->nkinds; k++) {
		spm_kind *kind = db->kinds[k];
		for (size_t i = kind->ncore; i < kind->nfields; i++)
			if (kind->fields[i].def_id == def_id)
				return &kind->fields[i];
	}
	return NULL;
}

int spm__registry_refresh(spm_db *db)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, SPM_SCAN_BY_SEQ | SPM_SCAN_DELETED, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	if (db->registry_depth > 0)
		return SPM_OK;  /* never move fields under a running spm_field_foreach */
	scan.after_seq = db->fields_seen_seq;
	rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_FIELD, 1), &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		spm_record *rec = page.recs[i];
		struct spm__field *f = find_def(db, rec->id);

		if (rec->deleted) {
			if (f)
				f->dropped = 1;
		} else if (f == NULL) {
			rc = add_from_record(db, rec);
		}
		if (rc == SPM_OK)
			db->fields_seen_seq = rec->seq;
	}
	spm__page_clear(db, &page);
	return rc;
}

int spm_kind_foreach(spm_db *db, spm_kind_cb cb, void *payload)
{
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	for (size_t k = 0; k < db->nkinds; k++) {
		const spm_kind *kind = db->kinds[k];
		int rc;

		if ((kind->flags & SPM_KIND_SYSTEM) || kind->since > db->schema_version)
			continue;
		rc = cb(kind->name, payload);
		if (rc != 0)
			return rc;
	}
	return SPM_OK;
}

static int report_fields(spm_db *db, const spm_kind *kind, spm_field_cb cb, void *payload)
{
	for (size_t i = 0; i < kind->nfields; i++) {
		const struct spm__field *f = &kind->fields[i];
		spm_field_info info;
		int rc;

		if (f->dropped || f->since > db->schema_version)
			continue;
		info.version = SPM_FIELD_INFO_VERSION;
		info.kind = kind->name;
		info.name = f->name;
		info.type = f->type;
		info.flags = f->flags;
		info.choices = (const char *const *)f->choices;
		info.nchoices = f->nchoices;
		info.label = f->label;
		info.max_length = f->max_length;
		rc = cb(&info, payload);
		if (rc != 0)
			return rc;
	}
	return SPM_OK;
}

int spm_field_foreach(spm_db *db, const char *kind, spm_field_cb cb, void *payload)
{
	spm_kind *k = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	if (kind) {
		rc = spm__kind_lookup(&k, db, kind);
		if (rc != SPM_OK)
			return rc;
	}
	rc = spm__registry_refresh(db);
	if (rc != SPM_OK)
		return rc;
	db->registry_depth++;
	for (size_t i = 0; rc == SPM_OK && i < db->nkinds; i++) {
		spm_kind *each = db->kinds[i];
		if ((k && each != k) || (each->flags & SPM_KIND_SYSTEM) ||
		    each->since > db->schema_version)
			continue;
		rc = report_fields(db, each, cb, payload);
	}
	db->registry_depth--;
	return rc;
}

static const char *const type_names[] = {
	NULL, "text", "integer", "money", "date", "boolean", "enum", "time"
};

const char *spm_field_type_name(spm_field_type type)
{
	if ((int)type < 1 || (int)type > SPM_FIELD_TIME)
		return NULL;
	return type_names[type];
}

int spm_field_type_parse(spm_field_type *out, const char *name)
{
	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(name);
	for (int t = 1; t <= SPM_FIELD_TIME; t++) {
		if (strcmp(type_names[t], name) == 0) {
			*out = (spm_field_type)t;
			return SPM_OK;
		}
	}
	return spm__error_set(SPM_EINVAL, "unknown field type '%s' (text, integer, money, "
			      "date, boolean, enum, time)", name);
}

int spm_field_options_init(spm_field_options *opts, unsigned int version)
{
	static const spm_field_options defaults = SPM_FIELD_OPTIONS_INIT;

	SPM__CHECK_ARG(opts);
	if (version < 1 || version > SPM_FIELD_OPTIONS_VERSION)
		return spm__error_set(SPM_EVERSION, "unknown spm_field_options version %u", version);
	*opts = defaults;
	return SPM_OK;
}

/* sys/storage.h introspection */

size_t spm_schema_kind_count(spm_db *db)
{
	return db ? db->nkinds : 0;
}

const spm_kind *spm_schema_kind_at(spm_db *db, size_t i)
{
	return db && i < db->nkinds ? db->kinds[i] : NULL;
}

const char *spm_kind_name(const spm_kind *kind)
{
	return kind ? kind->name : NULL;
}

int spm_kind_since(const spm_kind *kind)
{
	return kind ? kind->since : 0;
}

unsigned int spm_kind_flags(const spm_kind *kind)
{
	return kind ? kind->flags : 0;
}

size_t spm_kind_core_count(const spm_kind *kind)
{
	return kind ? kind->ncore : 0;
}

const char *spm_kind_field_name(const spm_kind *kind, size_t i)
{
	return kind && i < kind->ncore ? kind->fields[i].name : NULL;
}

spm_field_type spm_kind_field_type(const spm_kind *kind, size_t i)
{
	return kind && i < kind->ncore ? kind->fields[i].type : (spm_field_type)0;
}

unsigned int spm_kind_field_flags(const spm_kind *kind, size_t i)
{
	return kind && i < kind->ncore ? kind->fields[i].flags : 0;
}

int spm_kind_field_since(const spm_kind *kind, size_t i)
{
	return kind && i < kind->ncore ? kind->fields[i].since : 0;
}
