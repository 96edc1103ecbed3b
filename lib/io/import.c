/* CSV import: header → fields, each row → a record checked cell by cell,
 * the good ones saved in one batch. The rules are in include/spm/csv.h. */
#include "spm/csv.h"
#include "io/csv.h"
#include "core/db_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct field {
	char *name;
	spm_field_type type;
	unsigned flags;
};

struct report_error {
	size_t line;
	char *column;   /* NULL: the whole row */
	char *message;
};

struct spm_csv_report {
	spm_db *db;
	size_t rows;
	size_t bad;
	struct report_error *errors;
	size_t nerrors;
	size_t cap_errors;
	int64_t *ids;
	size_t *id_lines;
	size_t nids;
	int status;
	int replayed;
	char *message;  /* "" or why nothing was stored */
};

/* A CSV column: the field it fills, or -1 when ignored. */
struct column {
	char *header;
	long field;
};

struct import {
	spm_db *db;
	const char *kind;
	const spm_csv_import_options *opts;
	spm_csv_report *report;
	struct field *fields;
	size_t nfields;
	struct column *columns;
	size_t ncolumns;
	int header_done;
	int header_bad;
	int fatal;
	int oom;
	spm_batch *batch;
	size_t *lines;      /* line of each row in the batch */
	size_t nlines;
	size_t cap_lines;
};

int spm_csv_import_options_init(spm_csv_import_options *opts, unsigned int version)
{
	static const spm_csv_import_options defaults = SPM_CSV_IMPORT_OPTIONS_INIT;

	SPM__CHECK_ARG(opts);
	if (version < 1 || version > SPM_CSV_IMPORT_OPTIONS_VERSION)
		return spm__error_set(SPM_EVERSION, "unknown spm_csv_import_options version %u",
				      version);
	*opts = defaults;
	return SPM_OK;
}

static int collect_field(const spm_field_info *f, void *payload)
{
	struct import *im = payload;
	struct field *grown = spm__realloc(im->db, im->fields, (im->nfields + 1) * sizeof(*grown));

	if (grown == NULL)
		return spm__error_oom();
	im->fields = grown;
	grown[im->nfields].name = spm__strdup(im->db, f->name);
	if (grown[im->nfields].name == NULL)
		return spm__error_oom();
	grown[im->nfields].type = f->type;
	grown[im->nfields].flags = f->flags;
	im->nfields++;
	return SPM_OK;
}

static long find_field(const struct import *im, const char *name)
{
	for (size_t i = 0; i < im->nfields; i++)
		if (strcmp(im->fields[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Adds an error to the report; SPM_ENOMEM when it cannot. */
static int add_error(struct import *im, size_t line, const char *column, const char *fmt, ...)
	SPM__PRINTF(4, 5);

static int add_error(struct import *im, size_t line, const char *column, const char *fmt, ...)
{
	spm_csv_report *r = im->report;
	struct report_error *e;
	va_list ap;
	char buf[1024];

	if (r->nerrors == r->cap_errors) {
		size_t cap = r->cap_errors ? r->cap_errors * 2 : 8;
		struct report_error *grown = spm__realloc(im->db, r->errors, cap * sizeof(*grown));

		if (grown == NULL)
			return spm__error_oom();
		r->errors = grown;
		r->cap_errors = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e = &r->errors[r->nerrors];
	e->line = line;
	e->column = column ? spm__strdup(im->db, column) : NULL;
	e->message = spm__strdup(im->db, buf);
	if (e->message == NULL || (column && e->column == NULL)) {
		spm__free(im->db, e->column);
		spm__free(im->db, e->message);
		return spm__error_oom();
	}
	r->nerrors++;
	return SPM_OK;
}

static const char *mapped_field(const struct import *im, const char *header, int *mapped)
{
	const spm_csv_import_options *o = im->opts;

	*mapped = 0;
	if (o->mapping == NULL)
		return header;
	for (size_t k = 0; k < o->nmapping; k++) {
		if (strcmp(o->mapping[2 * k], header) == 0) {
			*mapped = 1;
			return o->mapping[2 * k + 1];
		}
	}
	return NULL;
}

/* Resolves the header row; every problem becomes an error on line 1. */
static int read_header(struct import *im, const spm__csv_row *row)
{
	const spm_csv_import_options *o = im->opts;
	int rc = SPM_OK;

	im->columns = spm__calloc(im->db, row->nfields, sizeof(*im->columns));
	if (im->columns == NULL)
		return spm__error_oom();
	im->ncolumns = row->nfields;
	for (size_t c = 0; rc == SPM_OK && c < row->nfields; c++) {
		const char *h = row->fields[c].ptr;
		const char *name;
		int mapped, dup = 0;
		long f;

		im->columns[c].field = -1;
		im->columns[c].header = spm__strdup(im->db, h);
		if (im->columns[c].header == NULL)
			return spm__error_oom();
		if (h[0] == '\0') {
			im->header_bad = 1;
			rc = add_error(im, row->line, NULL, "column %zu has an empty header", c + 1);
			continue;
		}
		for (size_t d = 0; d < c; d++) {
			if (strcmp(im->columns[d].header, h) == 0) {
				im->header_bad = dup = 1;
				rc = add_error(im, row->line, h, "header \"%s\" appears twice "
					       "(columns %zu and %zu)", h, d + 1, c + 1);
				break;
			}
		}
		if (rc != SPM_OK || dup)
			continue;
		name = mapped_field(im, h, &mapped);
		if (name == NULL && mapped)
			continue;  /* mapped to nothing: ignored on purpose */
		f = name ? find_field(im, name) : -1;
		if (f < 0) {
			if (o->flags & SPM_CSV_IGNORE_UNMAPPED)
				continue;
			im->header_bad = 1;
			if (o->mapping)
				rc = add_error(im, row->line, h, "header \"%s\" is not in the "
					       "column mapping", h);
			else
				rc = add_error(im, row->line, h, "header \"%s\" is not a field "
					       "of %s", h, im->kind);
			continue;
		}
		if (im->fields[f].flags & SPM_FIELD_READONLY) {
			if (o->flags & SPM_CSV_IGNORE_READONLY)
				continue;
			im->header_bad = 1;
			rc = add_error(im, row->line, h, "header \"%s\": %s.%s is read-only", h,
				       im->kind, im->fields[f].name);
			continue;
		}
		for (size_t d = 0; d < c; d++) {
			if (im->columns[d].field == f) {
				im->header_bad = 1;
				rc = add_error(im, row->line, h, "headers \"%s\" and \"%s\" both "
					       "give %s.%s", im->columns[d].header, h, im->kind,
					       im->fields[f].name);
				break;
			}
		}
		im->columns[c].field = f;
	}
	for (size_t k = 0; rc == SPM_OK && o->mapping && k < o->nmapping; k++) {
		size_t c = 0;

		while (c < im->ncolumns && strcmp(im->columns[c].header, o->mapping[2 * k]) != 0)
			c++;
		if (c == im->ncolumns) {
			im->header_bad = 1;
			rc = add_error(im, row->line, o->mapping[2 * k], "the mapping names header "
				       "\"%s\", which the CSV does not have", o->mapping[2 * k]);
		}
	}
	for (size_t f = 0; rc == SPM_OK && !im->header_bad && f < im->nfields; f++) {
		size_t c = 0;

		if (!(im->fields[f].flags & SPM_FIELD_REQUIRED))
			continue;
		while (c < im->ncolumns && im->columns[c].field != (long)f)
			c++;
		if (c == im->ncolumns) {
			im->header_bad = 1;
			rc = add_error(im, row->line, NULL, "%s.%s is required and no column "
				       "gives it", im->kind, im->fields[f].name);
		}
	}
	return rc;
}

static int formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@';
}

/* Builds the record of one data row; a problem becomes the row's error. */
static int read_row(struct import *im, const spm__csv_row *row, int *bad)
{
	spm_record *rec = NULL;
	int rc = spm_record_new(&rec, im->db, im->kind);

	*bad = 0;
	for (size_t c = 0; rc == SPM_OK && c < row->nfields; c++) {
		const struct column *col = &im->columns[c];
		const char *text = row->fields[c].ptr;
		const struct field *f;

		if (col->field < 0 || text[0] == '\0')
			continue;
		f = &im->fields[col->field];
		if ((f->type == SPM_FIELD_INTEGER || f->type == SPM_FIELD_MONEY) &&
		    text[0] == '\'' && formula_start(text[1]))
			text++;
		rc = spm_record_set_from_text(rec, f->name, text);
		if (rc == SPM_ENOMEM)
			break;
		if (rc != SPM_OK) {
			*bad = 1;
			rc = add_error(im, row->line, col->header, "%s: %s", col->header,
				       spm_error_message());
			goto out;
		}
	}
	for (size_t c = 0; rc == SPM_OK && c < im->ncolumns; c++) {
		const struct column *col = &im->columns[c];
		int null = 0;

		if (col->field < 0 || !(im->fields[col->field].flags & SPM_FIELD_REQUIRED))
			continue;
		rc = spm_record_is_null(&null, rec, im->fields[col->field].name);
		if (rc == SPM_OK && null) {
			*bad = 1;
			rc = add_error(im, row->line, col->header, "%s: %s.%s is required",
				       col->header, im->kind, im->fields[col->field].name);
			goto out;
		}
	}
	if (rc == SPM_OK && !im->opts->dry_run)
		rc = spm_batch_save(im->batch, rec);
	if (rc == SPM_OK && !im->opts->dry_run) {
		if (im->nlines == im->cap_lines) {
			size_t cap = im->cap_lines ? im->cap_lines * 2 : 64;
			size_t *grown = spm__realloc(im->db, im->lines, cap * sizeof(*grown));

			if (grown == NULL) {
				rc = spm__error_oom();
				goto out;
			}
			im->lines = grown;
			im->cap_lines = cap;
		}
		im->lines[im->nlines++] = row->line;
	}
out:
	spm_record_free(rec);
	return rc;
}

static int on_row(const spm__csv_row *row, void *payload)
{
	struct import *im = payload;
	int rc, bad = 0;

	if (row->fatal)
		im->fatal = 1;
	if (!im->header_done) {
		im->header_done = 1;
		if (row->error) {  /* the reader makes it fatal */
			rc = add_error(im, row->line, NULL, "%s", row->message);
			return rc != SPM_OK ? rc : row->error;
		}
		rc = read_header(im, row);
		if (rc != SPM_OK)
			return rc;
		return im->header_bad ? SPM_EINVAL : SPM_OK;
	}
	im->report->rows++;
	if (row->error) {
		im->report->bad++;
		rc = add_error(im, row->line, NULL, "%s", row->message);
		if (rc != SPM_OK)
			return rc;
		/* end of input: the reader returns the row's code */
		return row->fatal ? row->error : SPM_OK;
	}
	rc = read_row(im, row, &bad);
	im->report->bad += (size_t)bad;
	return rc;
}

static int set_message(spm_csv_report *r, int status, const char *fmt, ...) SPM__PRINTF(3, 4);

static int set_message(spm_csv_report *r, int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	char *copy;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	copy = spm__strdup(r->db, buf);
	if (copy == NULL)
		return spm__error_oom();
	spm__free(r->db, r->message);
	r->message = copy;
	r->status = status;
	return spm__error_set(status, "%s", buf);
}

static int check_options(const spm_csv_import_options *o)
{
	if (o->version < 1 || o->version > SPM_CSV_IMPORT_OPTIONS_VERSION)
		return spm__error_set(SPM_EVERSION, "unknown spm_csv_import_options version %u",
				      (unsigned)o->version);
	if (o->mode != SPM_CSV_ALL_OR_NOTHING && o->mode != SPM_CSV_SKIP_BAD_ROWS)
		return spm__error_set(SPM_EINVAL, "unknown import mode %d", (int)o->mode);
	if (o->flags & ~(SPM_CSV_IGNORE_UNMAPPED | SPM_CSV_IGNORE_READONLY))
		return spm__error_set(SPM_EINVAL, "unknown import flags 0x%x", o->flags);
	if (o->nmapping > 0 && o->mapping == NULL)
		return spm__error_set(SPM_EINVAL, "nmapping is %zu but mapping is NULL",
				      o->nmapping);
	return SPM_OK;
}

/* The mapping itself: headers given, unique, fields that exist. */
static int check_mapping(const struct import *im)
{
	const spm_csv_import_options *o = im->opts;

	for (size_t k = 0; o->mapping && k < o->nmapping; k++) {
		const char *h = o->mapping[2 * k], *f = o->mapping[2 * k + 1];

		if (h == NULL || h[0] == '\0')
			return spm__error_set(SPM_EINVAL, "mapping pair %zu has no header", k + 1);
		for (size_t j = 0; j < k; j++)
			if (strcmp(o->mapping[2 * j], h) == 0)
				return spm__error_set(SPM_EINVAL, "the mapping names header \"%s\" "
						      "twice", h);
		if (f != NULL && find_field(im, f) < 0)
			return spm__error_set(SPM_ENOTFOUND, "the mapping gives header \"%s\" "
					      "to %s.%s, which does not exist", h, im->kind, f);
	}
	return SPM_OK;
}

static void import_clear(struct import *im)
{
	for (size_t i = 0; i < im->nfields; i++)
		spm__free(im->db, im->fields[i].name);
	spm__free(im->db, im->fields);
	for (size_t c = 0; c < im->ncolumns; c++)
		spm__free(im->db, im->columns[c].header);
	spm__free(im->db, im->columns);
	spm__free(im->db, im->lines);
	spm_batch_free(im->batch);
}

/* After reading: store the good rows, or say why not. */
static int finish(struct import *im, int rc)
{
	spm_csv_report *r = im->report;
	const spm_csv_import_options *o = im->opts;
	char why[512];
	int committed;
	size_t n;

	if (rc == SPM_ENOMEM)
		return rc;
	if (im->header_bad)
		return set_message(r, SPM_EINVAL, "the header row is refused (%zu problem%s): "
				   "nothing stored", r->nerrors, r->nerrors == 1 ? "" : "s");
	if (rc != SPM_OK || im->fatal)
		return set_message(r, rc != SPM_OK ? rc : SPM_EINVAL, "line %zu ends the input "
				   "in error: nothing stored",
				   r->nerrors ? r->errors[r->nerrors - 1].line : (size_t)1);
	if (!im->header_done)
		return set_message(r, SPM_EINVAL, "the CSV has no header row: nothing stored");
	if (r->bad > 0 && o->mode == SPM_CSV_ALL_OR_NOTHING)
		return set_message(r, SPM_EINVAL, "%zu of %zu rows are bad: nothing stored",
				   r->bad, r->rows);
	if (o->dry_run)
		return SPM_OK;
	n = spm_batch_count(im->batch);
	if (n == 0)
		return SPM_OK;
	/* before the commit: once it succeeded, nothing may fail */
	r->ids = spm__calloc(im->db, n, sizeof(*r->ids));
	r->id_lines = spm__calloc(im->db, n, sizeof(*r->id_lines));
	if (r->ids == NULL || r->id_lines == NULL)
		return spm__error_oom();
	spm_error_clear();  /* so that a listener's value is not given a stale message */
	committed = spm_batch_commit(im->batch, o->idempotency_key);
	if (committed != SPM_OK) {
		snprintf(why, sizeof(why), "%s", spm_error_message());
		/* a listener's value comes back after the batch committed */
		if (spm_batch_id(&r->ids[0], im->batch, 0) != SPM_OK)
			return set_message(r, committed, "the commit failed, nothing stored: %s",
					   why);
	}
	for (size_t i = 0; i < n; i++) {
		rc = spm_batch_id(&r->ids[i], im->batch, i);
		if (rc != SPM_OK)
			return rc;
		r->id_lines[i] = im->lines[i];
	}
	r->nids = n;
	r->replayed = spm_batch_replayed(im->batch);
	if (committed != SPM_OK)
		return set_message(r, committed, "stored, but a listener returned %d%s%s",
				   committed, why[0] ? ": " : "", why);
	return SPM_OK;
}

int spm_csv_import(spm_csv_report **out_report, spm_db *db, const char *kind,
		   const char *data, size_t len, const spm_csv_import_options *opts)
{
	static const spm_csv_import_options defaults = SPM_CSV_IMPORT_OPTIONS_INIT;
	spm__csv_options ro;
	struct import im;
	int rc;

	SPM__CHECK_ARG(out_report);
	*out_report = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	if (data == NULL && len > 0)
		return spm__error_arg(__func__, "data");
	if (opts == NULL)
		opts = &defaults;
	rc = check_options(opts);
	if (rc != SPM_OK)
		return rc;

	memset(&im, 0, sizeof(im));
	im.db = db;
	im.kind = kind;
	im.opts = opts;
	rc = spm_field_foreach(db, kind, collect_field, &im);
	if (rc == SPM_OK)
		rc = check_mapping(&im);
	if (rc == SPM_OK && !opts->dry_run)
		rc = spm_batch_new(&im.batch, db);
	if (rc == SPM_OK) {
		im.report = spm__calloc(db, 1, sizeof(*im.report));
		if (im.report == NULL)
			rc = spm__error_oom();
	}
	if (rc != SPM_OK) {
		import_clear(&im);
		return rc;
	}
	im.report->db = db;

	spm__csv_import_options(&ro, db, opts->max_rows, opts->max_bytes);
	rc = spm__csv_parse(data ? data : "", len, &ro, on_row, &im);
	rc = finish(&im, rc);
	import_clear(&im);
	if (rc == SPM_ENOMEM) {
		spm_csv_report_free(im.report);
		return rc;
	}
	im.report->status = rc;
	*out_report = im.report;
	return rc;
}

void spm_csv_report_free(spm_csv_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nerrors; i++) {
		spm__free(r->db, r->errors[i].column);
		spm__free(r->db, r->errors[i].message);
	}
	spm__free(r->db, r->errors);
	spm__free(r->db, r->ids);
	spm__free(r->db, r->id_lines);
	spm__free(r->db, r->message);
	spm__free(r->db, r);
}

size_t spm_csv_report_rows(const spm_csv_report *r)
{
	return r ? r->rows : 0;
}

size_t spm_csv_report_stored(const spm_csv_report *r)
{
	return r ? r->nids : 0;
}

size_t spm_csv_report_bad(const spm_csv_report *r)
{
	return r ? r->bad : 0;
}

size_t spm_csv_report_errors(const spm_csv_report *r)
{
	return r ? r->nerrors : 0;
}

int spm_csv_report_error(const char **msg, size_t *line, const char **column,
			 const spm_csv_report *r, size_t i)
{
	SPM__CHECK_ARG(r);
	if (i >= r->nerrors)
		return spm__error_set(SPM_ERANGE, "the report has %zu errors", r->nerrors);
	if (msg)
		*msg = r->errors[i].message;
	if (line)
		*line = r->errors[i].line;
	if (column)
		*column = r->errors[i].column;
	return SPM_OK;
}

int spm_csv_report_id(int64_t *out_id, size_t *out_line, const spm_csv_report *r, size_t i)
{
	SPM__CHECK_ARG(out_id);
	SPM__CHECK_ARG(r);
	if (i >= r->nids)
		return spm__error_set(SPM_ERANGE, "the report has %zu stored records", r->nids);
	*out_id = r->ids[i];
	if (out_line)
		*out_line = r->id_lines[i];
	return SPM_OK;
}

const char *spm_csv_report_message(const spm_csv_report *r)
{
	return r && r->message ? r->message : "";
}

int spm_csv_report_status(const spm_csv_report *r)
{
	return r ? r->status : SPM_EINVAL;
}

int spm_csv_report_replayed(const spm_csv_report *r)
{
	return r ? r->replayed : 0;
}
