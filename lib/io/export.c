/* CSV export: a header row, then one row per record a query yields, rendered
 * as spm_record_get_as_text() does and neutralised by the CSV writer. */
#include "spm/csv.h"
#include "io/csv.h"
#include "core/db_internal.h"

#include <string.h>

struct field {
	char *name;
	spm_field_type type;
};

struct export {
	spm_db *db;
	struct field *fields;
	size_t nfields;
	const char *wanted;   /* while looking one field up: its name */
	int found;
};

static int add_field(struct export *ex, const spm_field_info *f)
{
	struct field *grown = spm__realloc(ex->db, ex->fields, (ex->nfields + 1) * sizeof(*grown));

	if (grown == NULL)
		return spm__error_oom();
	ex->fields = grown;
	grown[ex->nfields].name = spm__strdup(ex->db, f->name);
	if (grown[ex->nfields].name == NULL)
		return spm__error_oom();
	grown[ex->nfields].type = f->type;
	ex->nfields++;
	return SPM_OK;
}

static int every_field(const spm_field_info *f, void *payload)
{
	return add_field(payload, f);
}

static int one_field(const spm_field_info *f, void *payload)
{
	struct export *ex = payload;

	if (strcmp(f->name, ex->wanted) != 0)
		return SPM_OK;
	ex->found = 1;
	return add_field(ex, f);
}

static int choose_fields(struct export *ex, const char *kind, const char *const *fields,
			 size_t nfields)
{
	int rc;

	if (fields == NULL)
		return spm_field_foreach(ex->db, kind, every_field, ex);
	for (size_t i = 0; i < nfields; i++) {
		if (fields[i] == NULL)
			return spm__error_set(SPM_EINVAL, "export: field name %zu is NULL", i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(fields[j], fields[i]) == 0)
				return spm__error_set(SPM_EINVAL, "export: field %s is named twice",
						      fields[i]);
		ex->wanted = fields[i];
		ex->found = 0;
		rc = spm_field_foreach(ex->db, kind, one_field, ex);
		if (rc != SPM_OK)
			return rc;
		if (!ex->found)
			return spm__error_set(SPM_ENOTFOUND, "%s has no field '%s'", kind, fields[i]);
	}
	return SPM_OK;
}

static int write_header(struct export *ex, spm__csv_writer *w, spm__csv_field *cells)
{
	for (size_t i = 0; i < ex->nfields; i++) {
		cells[i].ptr = ex->fields[i].name;
		cells[i].len = strlen(ex->fields[i].name);
		cells[i].flags = 0;
	}
	return spm__csv_writer_row(w, cells, ex->nfields);
}

/* texts[i] holds a copy of each value: get_as_text's result lives only until
 * the next call on the record. */
static int write_record(struct export *ex, spm__csv_writer *w, spm__csv_field *cells,
			char **texts, const spm_record *rec)
{
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < ex->nfields; i++) {
		const char *text = NULL;

		rc = spm_record_get_as_text(&text, rec, ex->fields[i].name);
		if (rc == SPM_OK && text) {
			texts[i] = spm__strdup(ex->db, text);
			if (texts[i] == NULL)
				rc = spm__error_oom();
		}
		cells[i].ptr = texts[i];
		cells[i].len = texts[i] ? strlen(texts[i]) : 0;
		cells[i].flags = ex->fields[i].type == SPM_FIELD_INTEGER ||
				 ex->fields[i].type == SPM_FIELD_MONEY ? SPM__CSV_NUMERIC : 0;
	}
	if (rc == SPM_OK)
		rc = spm__csv_writer_row(w, cells, ex->nfields);
	for (size_t i = 0; i < ex->nfields; i++) {
		spm__free(ex->db, texts[i]);
		texts[i] = NULL;
	}
	return rc;
}

int spm_csv_export(spm_db *db, const char *kind, spm_query *q, const char *const *fields,
		   size_t nfields, spm_csv_write_cb write, void *payload)
{
	struct export ex;
	spm__csv_writer w;
	spm__csv_field *cells = NULL;
	char **texts = NULL;
	spm_record_iter *it = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	SPM__CHECK_ARG(q);
	SPM__CHECK_ARG(write);
	if (fields != NULL && nfields == 0)
		return spm__error_set(SPM_EINVAL, "export: fields given but nfields is 0");
	memset(&ex, 0, sizeof(ex));
	ex.db = db;
	rc = choose_fields(&ex, kind, fields, nfields);
	if (rc == SPM_OK && ex.nfields == 0)
		rc = spm__error_set(SPM_EINVAL, "export: %s has no fields", kind);
	if (rc == SPM_OK) {
		cells = spm__calloc(db, ex.nfields, sizeof(*cells));
		texts = spm__calloc(db, ex.nfields, sizeof(*texts));
		if (cells == NULL || texts == NULL)
			rc = spm__error_oom();
	}
	if (rc == SPM_OK)
		rc = spm_record_iter_new(&it, q);
	if (rc == SPM_OK) {
		spm__csv_writer_init(&w, 0, write, payload);
		rc = write_header(&ex, &w, cells);
	}
	while (rc == SPM_OK) {
		const spm_record *rec;

		rc = spm_record_iter_next(&rec, it);
		if (rc == SPM_ITEROVER) {
			rc = SPM_OK;
			break;
		}
		if (rc == SPM_OK && strcmp(spm_record_kind(rec), kind) != 0)
			rc = spm__error_set(SPM_EINVAL, "export: the query is over %s, not %s",
					    spm_record_kind(rec), kind);
		if (rc == SPM_OK && !spm_record_is_deleted(rec))
			rc = write_record(&ex, &w, cells, texts, rec);
	}
	spm_record_iter_free(it);
	for (size_t i = 0; i < ex.nfields; i++)
		spm__free(db, ex.fields[i].name);
	spm__free(db, ex.fields);
	spm__free(db, cells);
	spm__free(db, texts);
	return rc;
}
