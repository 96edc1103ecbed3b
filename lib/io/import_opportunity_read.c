/* Reading one input file of spm_opp_import(): the header is resolved to
 * roles (or, in the opportunity file, to fields), each data row keeps its
 * cells by role; checking the values comes later, when all files are read. */
#include "io/import_opportunity.h"
#include "io/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const file_names[SPM__OPP_FILES] = {
	"opportunities", "history", "line items"
};

int spm__opp_problem(spm_opp_import_report *r, int file, size_t line, const char *column,
		     int warning, const char *fmt, ...)
{
	struct spm__opp_problem *p;
	char buf[1024];
	va_list ap;

	if (r->nproblems == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct spm__opp_problem *grown = spm__realloc(r->db, r->problems,
							      cap * sizeof(*grown));

		if (grown == NULL)
			return spm__error_oom();
		r->problems = grown;
		r->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p = &r->problems[r->nproblems];
	p->file = file;
	p->line = line;
	p->warning = warning;
	p->order = r->nproblems;
	p->column = column ? spm__strdup(r->db, column) : NULL;
	p->message = spm__strdup(r->db, buf);
	if (p->message == NULL || (column && p->column == NULL)) {
		spm__free(r->db, p->column);
		spm__free(r->db, p->message);
		return spm__error_oom();
	}
	r->nproblems++;
	return SPM_OK;
}

struct reader {
	struct spm__opp_file *f;
	spm_opp_import_report *r;
	int file;
	const spm_opp_import_options *opts;
	int header_done;
	long *column_role;   /* per CSV column: a role, -2 - k for extra field k, -1 ignored */
	size_t ncolumns;
	char **headers;
};

/* The target of a header: from the mapping, or the Salesforce headers. */
static const char *target_of(const struct reader *rd, const char *header, int *listed)
{
	const char *const *map = rd->opts->mapping[rd->file];
	size_t n = rd->opts->nmapping[rd->file];

	if (map == NULL) {
		map = spm__opp_layouts[rd->file].sfdc;
		n = spm__opp_layouts[rd->file].nsfdc;
	}
	*listed = 0;
	for (size_t k = 0; k < n; k++) {
		if (strcmp(map[2 * k], header) == 0) {
			*listed = 1;
			return map[2 * k + 1];
		}
	}
	return NULL;
}

static int add_extra(struct reader *rd, const char *header, const char *field)
{
	struct spm__opp_file *f = rd->f;
	spm_db *db = rd->r->db;
	char **names = spm__realloc(db, f->extra_fields, (f->nextra + 1) * sizeof(*names));

	if (names == NULL)
		return spm__error_oom();
	f->extra_fields = names;
	names = spm__realloc(db, f->extra_headers, (f->nextra + 1) * sizeof(*names));
	if (names == NULL)
		return spm__error_oom();
	f->extra_headers = names;
	f->extra_fields[f->nextra] = spm__strdup(db, field);
	f->extra_headers[f->nextra] = spm__strdup(db, header);
	f->nextra++;
	if (f->extra_fields[f->nextra - 1] == NULL || f->extra_headers[f->nextra - 1] == NULL)
		return spm__error_oom();
	return SPM_OK;
}

static int read_header(struct reader *rd, const spm__csv_row *row)
{
	const struct spm__opp_layout *l = &spm__opp_layouts[rd->file];
	spm_db *db = rd->r->db;
	int seen[SPM__OPP_MAX_ROLES] = { 0 };
	int rc = SPM_OK;

	rd->column_role = spm__calloc(db, row->nfields, sizeof(*rd->column_role));
	rd->headers = spm__calloc(db, row->nfields, sizeof(*rd->headers));
	if (rd->column_role == NULL || rd->headers == NULL)
		return spm__error_oom();
	rd->ncolumns = row->nfields;
	for (size_t c = 0; rc == SPM_OK && c < row->nfields; c++) {
		const char *h = row->fields[c].ptr, *target;
		int listed;
		long role;

		rd->column_role[c] = -1;
		rd->headers[c] = spm__strdup(db, h);
		if (rd->headers[c] == NULL)
			return spm__error_oom();
		target = target_of(rd, h, &listed);
		if (target == NULL)
			continue;  /* exports carry many columns: the others are ignored */
		for (size_t d = 0; d < c; d++) {
			if (strcmp(rd->headers[d], h) == 0) {
				rd->f->header_bad = 1;
				rc = spm__opp_problem(rd->r, rd->file, row->line, h, 0, "header "
						      "\"%s\" appears twice (columns %zu and %zu)",
						      h, d + 1, c + 1);
			}
		}
		role = spm__opp_role(rd->file, target);
		if (rc != SPM_OK || rd->f->header_bad)
			continue;
		if (role < 0) {  /* a field of the opportunity, checked by the caller */
			rd->column_role[c] = -2 - (long)rd->f->nextra;
			rc = add_extra(rd, h, target);
			continue;
		}
		if (seen[role]) {
			rd->f->header_bad = 1;
			rc = spm__opp_problem(rd->r, rd->file, row->line, h, 0, "two columns give "
					      "%s", target);
			continue;
		}
		seen[role] = 1;
		rd->column_role[c] = role;
		rd->f->role_header[role] = spm__strdup(db, h);
		if (rd->f->role_header[role] == NULL)
			return spm__error_oom();
	}
	for (size_t i = 0; rc == SPM_OK && i < l->nrequired; i++) {
		if (seen[i])
			continue;
		rd->f->header_bad = 1;
		rc = spm__opp_problem(rd->r, rd->file, row->line, NULL, 0, "the %s file has no "
				      "column for %s", file_names[rd->file], l->roles[i]);
	}
	return rc;
}

static int push_row(struct reader *rd, const spm__csv_row *row)
{
	struct spm__opp_file *f = rd->f;
	spm_db *db = rd->r->db;
	struct spm__opp_row *out;

	if (f->nrows == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct spm__opp_row *grown = spm__realloc(db, f->rows, cap * sizeof(*grown));

		if (grown == NULL)
			return spm__error_oom();
		f->rows = grown;
		f->cap = cap;
	}
	out = &f->rows[f->nrows++];
	memset(out, 0, sizeof(*out));
	out->line = (size_t)row->line;
	out->bad = row->error != SPM_OK;
	if (out->bad)
		return spm__opp_problem(rd->r, rd->file, out->line, NULL, 0, "%s", row->message);
	if (f->nextra) {
		out->extra = spm__calloc(db, f->nextra, sizeof(*out->extra));
		if (out->extra == NULL)
			return spm__error_oom();
	}
	for (size_t c = 0; c < row->nfields && c < rd->ncolumns; c++) {
		long role = rd->column_role[c];
		char **slot;

		if (role == -1 || row->fields[c].len == 0)
			continue;
		slot = role >= 0 ? &out->cell[role] : &out->extra[-2 - role];
		*slot = spm__strdup(db, row->fields[c].ptr);
		if (*slot == NULL)
			return spm__error_oom();
	}
	return SPM_OK;
}

static int on_row(const spm__csv_row *row, void *payload)
{
	struct reader *rd = payload;
	int rc;

	if (row->fatal)
		rd->f->fatal = 1;
	if (!rd->header_done) {
		rd->header_done = 1;
		if (row->error) {
			rd->f->header_bad = 1;
			rc = spm__opp_problem(rd->r, rd->file, (size_t)row->line, NULL, 0, "%s",
					      row->message);
			return rc != SPM_OK ? rc : row->error;
		}
		rc = read_header(rd, row);
		return rc != SPM_OK ? rc : rd->f->header_bad ? SPM_EINVAL : SPM_OK;
	}
	rc = push_row(rd, row);
	if (rc != SPM_OK)
		return rc;
	return row->fatal ? row->error : SPM_OK;
}

int spm__opp_read_file(struct spm__opp_file *f, spm_opp_import_report *r, int file,
		       const char *data, size_t len, const spm_opp_import_options *opts)
{
	spm__csv_options ro;
	struct reader rd;
	int rc;

	memset(&rd, 0, sizeof(rd));
	rd.f = f;
	rd.r = r;
	rd.file = file;
	rd.opts = opts;
	spm__csv_import_options(&ro, r->db, opts->max_rows, opts->max_bytes);
	rc = spm__csv_parse(data ? data : "", len, &ro, on_row, &rd);
	if (rc == SPM_OK && !rd.header_done) {
		f->header_bad = 1;
		rc = spm__opp_problem(r, file, 1, NULL, 0, "the %s file has no header row",
				      file_names[file]);
	}
	for (size_t c = 0; c < rd.ncolumns; c++)
		spm__free(r->db, rd.headers[c]);
	spm__free(r->db, rd.headers);
	spm__free(r->db, rd.column_role);
	if (rc == SPM_EINVAL && f->header_bad)
		return SPM_OK;  /* in the report */
	if (rc != SPM_OK && rc != SPM_ENOMEM)
		f->fatal = 1;
	return rc == SPM_ENOMEM ? rc : SPM_OK;
}

void spm__opp_file_clear(spm_db *db, struct spm__opp_file *f)
{
	for (size_t i = 0; i < f->nrows; i++) {
		for (size_t k = 0; k < SPM__OPP_MAX_ROLES; k++)
			spm__free(db, f->rows[i].cell[k]);
		for (size_t k = 0; f->rows[i].extra && k < f->nextra; k++)
			spm__free(db, f->rows[i].extra[k]);
		spm__free(db, f->rows[i].extra);
	}
	spm__free(db, f->rows);
	for (size_t k = 0; k < f->nextra; k++) {
		spm__free(db, f->extra_fields[k]);
		spm__free(db, f->extra_headers[k]);
	}
	spm__free(db, f->extra_fields);
	spm__free(db, f->extra_headers);
	for (size_t k = 0; k < SPM__OPP_MAX_ROLES; k++)
		spm__free(db, f->role_header[k]);
	memset(f, 0, sizeof(*f));
}
