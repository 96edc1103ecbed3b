/* Result sets: typed cells under named columns, getters, and export to CSV
 * and JSON streamed to a callback or written to a file. */
#include "analytics/result.h"
#include "io/csv.h"
#include "spm/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int spm__result_new(spm_result **out, spm_db *db, size_t ncols)
{
	spm_result *r = spm__calloc(db, 1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return spm__error_oom();
	r->db = db;
	r->ncols = ncols;
	r->names = spm__calloc(db, ncols, sizeof(*r->names));
	r->types = spm__calloc(db, ncols, sizeof(*r->types));
	if (r->names == NULL || r->types == NULL) {
		spm_result_free(r);
		return spm__error_oom();
	}
	*out = r;
	return SPM_OK;
}

int spm__result_col(spm_result *r, size_t col, const char *name, int type)
{
	r->names[col] = spm__strdup(r->db, name);
	r->types[col] = type;
	return r->names[col] ? SPM_OK : spm__error_oom();
}

int spm__result_row(size_t *out, spm_result *r)
{
	if (r->nrows == r->rcap) {
		size_t cap = r->rcap ? r->rcap * 2 : 16;
		struct spm__rcell *p = spm__realloc(r->db, r->cells,
						    cap * r->ncols * sizeof(*p));
		if (p == NULL)
			return spm__error_oom();
		r->cells = p;
		r->rcap = cap;
	}
	for (size_t c = 0; c < r->ncols; c++) {
		struct spm__rcell *cell = &r->cells[r->nrows * r->ncols + c];
		memset(cell, 0, sizeof(*cell));
		cell->null = 1;
	}
	*out = r->nrows++;
	return SPM_OK;
}

void spm__result_int(spm_result *r, size_t row, size_t col, int64_t v)
{
	struct spm__rcell *cell = &r->cells[row * r->ncols + col];

	cell->v = v;
	cell->null = 0;
}

void spm__result_money(spm_result *r, size_t row, size_t col, int64_t v, const char *cur)
{
	struct spm__rcell *cell = &r->cells[row * r->ncols + col];

	cell->v = v;
	memcpy(cell->cur, cur, 3);
	cell->cur[3] = '\0';
	cell->null = 0;
}

int spm__result_text(spm_result *r, size_t row, size_t col, const char *s)
{
	struct spm__rcell *cell = &r->cells[row * r->ncols + col];

	if (s == NULL)
		return SPM_OK;
	cell->text = spm__strdup(r->db, s);
	if (cell->text == NULL)
		return spm__error_oom();
	cell->null = 0;
	return SPM_OK;
}

void spm__result_ids(spm_result *r, size_t *off, int64_t *ids)
{
	r->drill = 1;
	r->idoff = off;
	r->ids = ids;
}

void spm_result_free(spm_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		spm__free(r->db, r->cells[i].text);
	for (size_t c = 0; r->names && c < r->ncols; c++)
		spm__free(r->db, r->names[c]);
	spm__free(r->db, r->names);
	spm__free(r->db, r->types);
	spm__free(r->db, r->cells);
	spm__free(r->db, r->idoff);
	spm__free(r->db, r->ids);
	spm__free(r->db, r);
}

size_t spm_result_column_count(const spm_result *r)
{
	return r ? r->ncols : 0;
}

size_t spm_result_row_count(const spm_result *r)
{
	return r ? r->nrows : 0;
}

const char *spm_result_column_name(const spm_result *r, size_t col)
{
	return r && col < r->ncols ? r->names[col] : NULL;
}

spm_column_type spm_result_column_type(const spm_result *r, size_t col)
{
	return r && col < r->ncols ? (spm_column_type)r->types[col] : (spm_column_type)0;
}

int spm_result_column_index(size_t *out, const spm_result *r, const char *name)
{
	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(name);
	for (size_t c = 0; c < r->ncols; c++)
		if (strcmp(r->names[c], name) == 0) {
			*out = c;
			return SPM_OK;
		}
	return spm__error_set(SPM_ENOTFOUND, "no column '%.64s'", name);
}

int spm_result_is_null(const spm_result *r, size_t row, size_t col)
{
	return r == NULL || row >= r->nrows || col >= r->ncols || r->cells[row * r->ncols + col].null;
}

static int cell_of(const struct spm__rcell **out, const spm_result *r, size_t row, size_t col,
		   int want)
{
	int type;

	SPM__CHECK_ARG(r);
	if (row >= r->nrows || col >= r->ncols)
		return spm__error_set(SPM_ERANGE, "no cell (%zu, %zu) in a result of %zu x %zu",
				      row, col, r->nrows, r->ncols);
	type = r->types[col];
	if ((want == 0 && (type == SPM_COLUMN_TEXT || type == SPM_COLUMN_MONEY)) ||
	    (want != 0 && type != want))
		return spm__error_set(SPM_EINVAL, "column '%s' has another type", r->names[col]);
	*out = &r->cells[row * r->ncols + col];
	if ((*out)->null)
		return spm__error_set(SPM_ENOTFOUND, "the cell (%zu, '%s') is empty", row,
				      r->names[col]);
	return SPM_OK;
}

int spm_result_int(int64_t *out, const spm_result *r, size_t row, size_t col)
{
	const struct spm__rcell *c;
	int rc;

	SPM__CHECK_ARG(out);
	rc = cell_of(&c, r, row, col, 0);
	if (rc == SPM_OK)
		*out = c->v;
	return rc;
}

int spm_result_money(int64_t *out_minor, const char **out_currency, const spm_result *r,
		     size_t row, size_t col)
{
	const struct spm__rcell *c;
	int rc;

	SPM__CHECK_ARG(out_minor);
	rc = cell_of(&c, r, row, col, SPM_COLUMN_MONEY);
	if (rc == SPM_OK) {
		*out_minor = c->v;
		if (out_currency)
			*out_currency = c->cur;
	}
	return rc;
}

int spm_result_text(const char **out, const spm_result *r, size_t row, size_t col)
{
	const struct spm__rcell *c;
	int rc;

	SPM__CHECK_ARG(out);
	rc = cell_of(&c, r, row, col, SPM_COLUMN_TEXT);
	if (rc == SPM_OK)
		*out = c->text;
	return rc;
}

int spm_result_row_ids(const int64_t **out_ids, size_t *out_count, const spm_result *r,
		       size_t row)
{
	SPM__CHECK_ARG(out_ids);
	SPM__CHECK_ARG(out_count);
	SPM__CHECK_ARG(r);
	if (row >= r->nrows)
		return spm__error_set(SPM_ERANGE, "no row %zu in a result of %zu rows", row,
				      r->nrows);
	if (!r->drill)
		return spm__error_set(SPM_EINVAL, "the query ran without \"drill\": true");
	*out_count = r->idoff[row + 1] - r->idoff[row];
	*out_ids = *out_count ? r->ids + r->idoff[row] : NULL;
	return SPM_OK;
}

/* A ratio in ppm as a decimal with six places: 666667 -> "0.666667". */
static void format_ppm(char *buf, size_t size, int64_t ppm)
{
	uint64_t a = ppm < 0 ? (uint64_t)0 - (uint64_t)ppm : (uint64_t)ppm;

	snprintf(buf, size, "%s%" PRIu64 ".%06" PRIu64, ppm < 0 ? "-" : "", a / 1000000,
		 a % 1000000);
}

/* A cell as text for CSV or JSON; *numeric tells JSON to leave it unquoted. */
static int cell_text(char *buf, size_t size, const spm_result *r, size_t row, size_t col,
		     int json, int *numeric)
{
	const struct spm__rcell *c = &r->cells[row * r->ncols + col];

	*numeric = 1;
	buf[0] = '\0';
	if (c->null) {
		if (json)
			snprintf(buf, size, "null");
		return SPM_OK;
	}
	switch (r->types[col]) {
	case SPM_COLUMN_INTEGER:
		snprintf(buf, size, "%" PRId64, c->v);
		return SPM_OK;
	case SPM_COLUMN_RATIO:
		if (json)
			snprintf(buf, size, "{\"ppm\":%" PRId64 "}", c->v);
		else
			format_ppm(buf, size, c->v);
		return SPM_OK;
	case SPM_COLUMN_MONEY:
		if (json) {
			snprintf(buf, size, "{\"minor\":%" PRId64 ",\"currency\":\"%s\"}", c->v,
				 c->cur);
			return SPM_OK;
		}
		*numeric = 0;
		{
			int rc = spm_money_format(buf, size, c->v, c->cur);
			size_t len = strlen(buf);
			if (rc == SPM_OK)
				snprintf(buf + len, size - len, " %s", c->cur);
			return rc;
		}
	case SPM_COLUMN_DATE:
		*numeric = 0;
		return spm_date_format(buf, size, (spm_date)c->v);
	default:
		*numeric = 0;
		return SPM_OK;
	}
}

int spm_result_csv(const spm_result *r, spm_write_cb cb, void *payload)
{
	spm__csv_writer w;
	spm__csv_field *cells;
	char(*bufs)[64];
	int rc = SPM_OK;

	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(cb);
	if (r->ncols == 0)
		return SPM_OK;
	cells = spm__calloc(r->db, r->ncols, sizeof(*cells));
	bufs = spm__calloc(r->db, r->ncols, sizeof(*bufs));
	if (cells == NULL || bufs == NULL) {
		spm__free(r->db, cells);
		spm__free(r->db, bufs);
		return spm__error_oom();
	}
	spm__csv_writer_init(&w, SPM__CSV_WRITE_LF, cb, payload);
	for (size_t c = 0; c < r->ncols; c++)
		cells[c] = (spm__csv_field){ r->names[c], strlen(r->names[c]), 0 };
	rc = spm__csv_writer_row(&w, cells, r->ncols);
	for (size_t row = 0; rc == SPM_OK && row < r->nrows; row++) {
		for (size_t c = 0; rc == SPM_OK && c < r->ncols; c++) {
			const struct spm__rcell *cell = &r->cells[row * r->ncols + c];
			int numeric;
			if (r->types[c] == SPM_COLUMN_TEXT) {
				const char *t = cell->null ? "" : cell->text;
				cells[c] = (spm__csv_field){ t, strlen(t), 0 };
				continue;
			}
			rc = cell_text(bufs[c], sizeof(bufs[c]), r, row, c, 0, &numeric);
			cells[c] = (spm__csv_field){ bufs[c], strlen(bufs[c]),
						     numeric ? SPM__CSV_NUMERIC : 0 };
		}
		if (rc == SPM_OK)
			rc = spm__csv_writer_row(&w, cells, r->ncols);
	}
	spm__free(r->db, cells);
	spm__free(r->db, bufs);
	return rc;
}

/* Writes s as a JSON string (UTF-8 kept, control characters escaped). */
static int json_string(const char *s, spm_write_cb cb, void *payload)
{
	const char *run = s;
	int rc = cb("\"", 1, payload);

	for (; rc == 0 && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		if (s > run && (rc = cb(run, (size_t)(s - run), payload)) != 0)
			return rc;
		if (ch == '"' || ch == '\\')
			snprintf(esc, sizeof(esc), "\\%c", ch);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
		rc = cb(esc, strlen(esc), payload);
		run = s + 1;
	}
	if (rc == 0 && s > run)
		rc = cb(run, (size_t)(s - run), payload);
	return rc ? rc : cb("\"", 1, payload);
}

int spm_result_json(const spm_result *r, spm_write_cb cb, void *payload)
{
	char buf[96];
	int rc;

	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(cb);
	rc = cb("[", 1, payload);
	for (size_t row = 0; rc == 0 && row < r->nrows; row++) {
		rc = cb(row ? ",\n{" : "\n{", row ? 3 : 2, payload);
		for (size_t c = 0; rc == 0 && c < r->ncols; c++) {
			const struct spm__rcell *cell = &r->cells[row * r->ncols + c];
			int numeric;
			if (c && (rc = cb(",", 1, payload)) != 0)
				break;
			if ((rc = json_string(r->names[c], cb, payload)) ||
			    (rc = cb(":", 1, payload)))
				break;
			if (r->types[c] == SPM_COLUMN_TEXT && !cell->null) {
				rc = json_string(cell->text, cb, payload);
				continue;
			}
			rc = cell_text(buf, sizeof(buf), r, row, c, 1, &numeric);
			if (rc == SPM_OK)
				rc = numeric ? cb(buf, strlen(buf), payload) :
					json_string(buf, cb, payload);
		}
		if (rc == 0)
			rc = cb("}", 1, payload);
	}
	if (rc == 0)
		rc = cb(r->nrows ? "\n]\n" : "]\n", r->nrows ? 3 : 2, payload);
	return rc;
}

static int to_file(const char *data, size_t len, void *payload)
{
	return fwrite(data, 1, len, payload) == len ? 0 :
		spm__error_set(SPM_ESTORAGE, "cannot write the file: %s", strerror(errno));
}

int spm_result_write_file(const spm_result *r, const char *path, const char *format)
{
	FILE *f;
	int rc, csv;

	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(path);
	SPM__CHECK_ARG(format);
	csv = strcmp(format, "csv") == 0;
	if (!csv && strcmp(format, "json") != 0)
		return spm__error_set(SPM_EINVAL, "unknown format '%.16s' (csv or json)", format);
	f = fopen(path, "wb");
	if (f == NULL)
		return spm__error_set(SPM_ESTORAGE, "cannot open %s: %s", path, strerror(errno));
	rc = csv ? spm_result_csv(r, to_file, f) : spm_result_json(r, to_file, f);
	if (fclose(f) != 0 && rc == SPM_OK)
		rc = spm__error_set(SPM_ESTORAGE, "cannot write %s: %s", path, strerror(errno));
	return rc;
}
