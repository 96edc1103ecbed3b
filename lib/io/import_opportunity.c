/* spm_opp_import(): read the three files, check every row (nothing is
 * written while a row is unchecked), then write the good ones in one
 * transaction; and the report's accessors. The rules are in
 * docs/import-opportunities.md. */
#include "io/import_opportunity.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_KEY_FIELD "external_id"

int spm_opp_import_options_init(spm_opp_import_options *opts, unsigned int version)
{
	static const spm_opp_import_options defaults = SPM_OPP_IMPORT_OPTIONS_INIT;

	SPM__CHECK_ARG(opts);
	if (version < 1 || version > SPM_OPP_IMPORT_OPTIONS_VERSION)
		return spm__error_set(SPM_EVERSION, "unknown spm_opp_import_options version %u",
				      version);
	*opts = defaults;
	return SPM_OK;
}

static int field_of_opportunity(const spm_field_info *f, void *payload)
{
	const char **wanted = payload;

	if (*wanted && strcmp(f->name, *wanted) == 0)
		*wanted = NULL;  /* found */
	return SPM_OK;
}

/* The mapping of each file: headers given once, targets that exist. */
static int check_mappings(spm_db *db, const spm_opp_import_options *o)
{
	for (int file = 0; file < SPM__OPP_FILES; file++) {
		const char *const *map = o->mapping[file];

		if (o->nmapping[file] > 0 && map == NULL)
			return spm__error_set(SPM_EINVAL, "nmapping[%d] is %zu but mapping[%d] is "
					      "NULL", file, o->nmapping[file], file);
		for (size_t k = 0; map && k < o->nmapping[file]; k++) {
			const char *h = map[2 * k], *target = map[2 * k + 1];
			int rc;

			if (h == NULL || h[0] == '\0')
				return spm__error_set(SPM_EINVAL, "mapping %d, pair %zu has no "
						      "header", file, k + 1);
			for (size_t j = 0; j < k; j++)
				if (strcmp(map[2 * j], h) == 0)
					return spm__error_set(SPM_EINVAL, "mapping %d names header "
							      "\"%s\" twice", file, h);
			if (target == NULL || spm__opp_role(file, target) >= 0)
				continue;
			if (file != SPM_OPP_FILE_OPPORTUNITIES)
				return spm__error_set(SPM_ENOTFOUND, "mapping %d gives header \"%s\" "
						      "to '%s', which is not a column of that "
						      "file", file, h, target);
			rc = spm_field_foreach(db, "opportunity", field_of_opportunity, &target);
			if (rc != SPM_OK)
				return rc;
			if (target != NULL)
				return spm__error_set(SPM_ENOTFOUND, "the mapping gives header "
						      "\"%s\" to opportunity.%s, which does not "
						      "exist", h, target);
		}
	}
	return SPM_OK;
}

static int check_options(const spm_opp_import_options *o)
{
	if (o->version < 1 || o->version > SPM_OPP_IMPORT_OPTIONS_VERSION)
		return spm__error_set(SPM_EVERSION, "unknown spm_opp_import_options version %u",
				      (unsigned)o->version);
	if (o->pipeline_id <= 0)
		return spm__error_set(SPM_EINVAL, "an opportunity import needs a pipeline "
				      "(pipeline_id)");
	if (o->mode != SPM_CSV_ALL_OR_NOTHING && o->mode != SPM_CSV_SKIP_BAD_ROWS)
		return spm__error_set(SPM_EINVAL, "unknown import mode %d", (int)o->mode);
	if (o->flags & ~(SPM_OPP_IMPORT_CREATE_STAGES | SPM_OPP_IMPORT_LENIENT_REFS))
		return spm__error_set(SPM_EINVAL, "unknown import flags 0x%x", o->flags);
	if (o->date_order != SPM_OPP_DATES_ISO && o->date_order != SPM_OPP_DATES_MDY &&
	    o->date_order != SPM_OPP_DATES_DMY)
		return spm__error_set(SPM_EINVAL, "unknown date order %d", (int)o->date_order);
	if (o->currency && !spm_currency_valid(o->currency))
		return spm__error_set(SPM_EINVAL, "unknown default currency '%s'", o->currency);
	return SPM_OK;
}

static int set_message(spm_opp_import_report *r, int status, const char *fmt, ...)
	SPM__PRINTF(3, 4);

static int set_message(spm_opp_import_report *r, int status, const char *fmt, ...)
{
	char buf[512];
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
	return spm__error_set(status, "%s", buf);
}

static int by_file_line(const void *a, const void *b)
{
	const struct spm__opp_problem *x = a, *y = b;

	if (x->file != y->file)
		return (x->file > y->file) - (x->file < y->file);
	if (x->line != y->line)
		return (x->line > y->line) - (x->line < y->line);
	return (x->order > y->order) - (x->order < y->order);
}

static void count_rows(struct spm__opp_plan *p)
{
	for (int file = 0; file < SPM__OPP_FILES; file++) {
		size_t n = p->files[file].nrows, bad = 0;

		for (size_t i = 0; i < n; i++)
			bad += file == SPM_OPP_FILE_OPPORTUNITIES ? p->opps && p->opps[i].bad :
			       file == SPM_OPP_FILE_HISTORY ? p->hists && p->hists[i].bad :
			       p->items && p->items[i].bad;
		p->report->count[file][SPM_OPP_COUNT_ROWS] = n;
		p->report->count[file][SPM_OPP_COUNT_BAD] = bad;
	}
}

static void forget_writes(spm_opp_import_report *r)
{
	for (int file = 0; file < SPM__OPP_FILES; file++)
		for (int k = SPM_OPP_COUNT_CREATED; k <= SPM_OPP_COUNT_UNCHANGED; k++)
			r->count[file][k] = 0;
	r->stages_created = 0;
}

/* Reads and checks; then stores, or says why not. */
static int run(struct spm__opp_plan *p, const char *const data[SPM__OPP_FILES],
	       const size_t len[SPM__OPP_FILES])
{
	spm_opp_import_report *r = p->report;
	const spm_opp_import_options *o = p->opts;
	size_t bad = 0;
	int rc = SPM_OK, refused = 0, fatal = 0;

	for (int file = 0; rc == SPM_OK && file < SPM__OPP_FILES; file++) {
		if (data[file] == NULL && file != SPM_OPP_FILE_OPPORTUNITIES)
			continue;
		rc = spm__opp_read_file(&p->files[file], r, file, data[file], len[file], o);
		refused |= p->files[file].header_bad;
		fatal |= p->files[file].fatal;
	}
	if (rc != SPM_OK)
		return rc;
	if (refused)
		return set_message(r, SPM_EINVAL, "a header row is refused: nothing stored");
	if (fatal)
		return set_message(r, SPM_EINVAL, "an input ends in error: nothing stored");
	rc = spm__opp_plan_check(p);
	count_rows(p);
	if (rc != SPM_OK)
		return rc;
	for (int file = 0; file < SPM__OPP_FILES; file++)
		bad += r->count[file][SPM_OPP_COUNT_BAD];
	if (bad && o->mode == SPM_CSV_ALL_OR_NOTHING)
		return set_message(r, SPM_EINVAL, "%zu bad row%s: nothing stored", bad,
				   bad == 1 ? "" : "s");
	if (o->dry_run)
		return SPM_OK;
	rc = spm__opp_plan_write(p);
	if (rc != SPM_OK && r->nids == 0) {
		char why[400];

		forget_writes(r);
		snprintf(why, sizeof(why), "%s", spm_error_message());
		return set_message(r, rc, "nothing stored: %s", why);
	}
	return rc;
}

/* The opportunity text field keeping source ids; added when missing. */
static int ensure_external_id(struct spm__opp_plan *p)
{
	int rc = spm__opp_field_exists(&p->ext_field_exists, p->db, "opportunity", p->ext_field);

	if (rc != SPM_OK || p->ext_field_exists || p->opts->dry_run)
		return rc;
	rc = spm_field_add(p->db, "opportunity", p->ext_field, SPM_FIELD_TEXT, NULL);
	p->ext_field_exists = rc == SPM_OK;
	return rc;
}

void spm__opp_plan_clear(struct spm__opp_plan *p)
{
	for (int file = 0; file < SPM__OPP_FILES; file++)
		spm__opp_file_clear(p->db, &p->files[file]);
	for (size_t i = 0; i < p->nstages; i++) {
		spm__free(p->db, p->stages[i].name);
		spm__free(p->db, p->stages[i].forecast);
	}
	spm__free(p->db, p->stages);
	spm__opp_keys_clear(&p->opp_keys);
	spm__opp_keys_clear(&p->customer_keys);
	spm__opp_keys_clear(&p->user_keys);
	spm__free(p->db, p->hists);
	spm__free(p->db, p->items);
}

int spm_opp_import(spm_opp_import_report **out_report, spm_db *db,
		   const char *opportunities, size_t opportunities_len,
		   const char *history, size_t history_len,
		   const char *line_items, size_t line_items_len,
		   const spm_opp_import_options *opts)
{
	const char *data[SPM__OPP_FILES] = { opportunities, history, line_items };
	const size_t len[SPM__OPP_FILES] = { opportunities_len, history_len, line_items_len };
	struct spm__opp_plan p;
	spm_record *pipeline = NULL;
	size_t nopps;
	int rc;

	SPM__CHECK_ARG(out_report);
	*out_report = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(opts);
	for (int file = 0; file < SPM__OPP_FILES; file++)
		if (data[file] == NULL && len[file] > 0)
			return spm__error_set(SPM_EINVAL, "spm_opp_import: file %d is NULL with "
					      "%zu bytes", file, len[file]);
	if (opportunities == NULL)
		return spm__error_arg(__func__, "opportunities");
	rc = check_options(opts);
	if (rc == SPM_OK)
		rc = check_mappings(db, opts);
	if (rc == SPM_OK) {
		rc = spm_record_get(&pipeline, db, "pipeline", opts->pipeline_id);
		spm_record_free(pipeline);
		if (rc == SPM_ENOTFOUND)
			rc = spm__error_set(SPM_ENOTFOUND, "pipeline %lld does not exist",
					    (long long)opts->pipeline_id);
	}
	if (rc != SPM_OK)
		return rc;

	memset(&p, 0, sizeof(p));
	p.db = db;
	p.opts = opts;
	p.ext_field = opts->external_id_field ? opts->external_id_field : DEFAULT_KEY_FIELD;
	p.customer_field = opts->customer_key_field ? opts->customer_key_field : DEFAULT_KEY_FIELD;
	p.user_field = opts->user_key_field ? opts->user_key_field : DEFAULT_KEY_FIELD;
	p.report = spm__calloc(db, 1, sizeof(*p.report));
	if (p.report == NULL)
		return spm__error_oom();
	p.report->db = db;
	rc = ensure_external_id(&p);
	if (rc == SPM_OK)
		rc = spm__opp_keys_load(&p.opp_keys, db, "opportunity", p.ext_field);
	if (rc == SPM_OK)
		rc = spm__opp_keys_load(&p.customer_keys, db, "customer", p.customer_field);
	if (rc == SPM_OK)
		rc = spm__opp_keys_load(&p.user_keys, db, "user", p.user_field);
	if (rc == SPM_OK)
		rc = run(&p, data, len);
	nopps = p.files[SPM_OPP_FILE_OPPORTUNITIES].nrows;
	for (size_t i = 0; p.opps && i < nopps; i++)
		spm_record_free(p.opps[i].rec);
	spm__free(db, p.opps);
	spm__opp_plan_clear(&p);
	if (rc == SPM_ENOMEM || (rc != SPM_OK && p.report->nproblems == 0 &&
				 p.report->message == NULL)) {
		/* nothing was examined (an error before reading): no report */
		int keep = rc;
		const char *msg = spm_error_message();
		char why[400];

		snprintf(why, sizeof(why), "%s", msg);
		spm_opp_import_report_free(p.report);
		return spm__error_set(keep, "%s", why);
	}
	if (p.report->nproblems > 1)
		qsort(p.report->problems, p.report->nproblems, sizeof(*p.report->problems),
		      by_file_line);
	p.report->status = rc;
	*out_report = p.report;
	return rc;
}

void spm_opp_import_report_free(spm_opp_import_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nproblems; i++) {
		spm__free(r->db, r->problems[i].column);
		spm__free(r->db, r->problems[i].message);
	}
	spm__free(r->db, r->problems);
	for (size_t i = 0; i < r->nids_cap; i++)
		spm__free(r->db, r->ext_ids[i]);
	spm__free(r->db, r->ext_ids);
	spm__free(r->db, r->ids);
	spm__free(r->db, r->message);
	spm__free(r->db, r);
}

size_t spm_opp_import_report_count(const spm_opp_import_report *r, spm_opp_import_file file,
				   spm_opp_import_count what)
{
	if (r == NULL || (int)file < 0 || (int)file >= SPM__OPP_FILES || (int)what < 0 ||
	    (int)what > SPM_OPP_COUNT_UNCHANGED)
		return 0;
	return r->count[file][what];
}

size_t spm_opp_import_report_stages_created(const spm_opp_import_report *r)
{
	return r ? r->stages_created : 0;
}

size_t spm_opp_import_report_problems(const spm_opp_import_report *r)
{
	return r ? r->nproblems : 0;
}

int spm_opp_import_report_problem(const char **msg, spm_opp_import_file *file, size_t *line,
				  const char **column, int *warning,
				  const spm_opp_import_report *r, size_t i)
{
	const struct spm__opp_problem *p;

	SPM__CHECK_ARG(r);
	if (i >= r->nproblems)
		return spm__error_set(SPM_ERANGE, "the report has %zu problems", r->nproblems);
	p = &r->problems[i];
	if (msg)
		*msg = p->message;
	if (file)
		*file = (spm_opp_import_file)p->file;
	if (line)
		*line = p->line;
	if (column)
		*column = p->column;
	if (warning)
		*warning = p->warning;
	return SPM_OK;
}

int spm_opp_import_report_id(int64_t *out_id, const spm_opp_import_report *r,
			     const char *external_id)
{
	SPM__CHECK_ARG(out_id);
	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(external_id);
	for (size_t i = 0; i < r->nids; i++) {
		if (strcmp(r->ext_ids[i], external_id) == 0) {
			*out_id = r->ids[i];
			return SPM_OK;
		}
	}
	return spm__error_set(SPM_ENOTFOUND, "no opportunity '%s' was stored by this import",
			      external_id);
}

int spm_opp_import_report_stored(const char **external_id, int64_t *id,
				 const spm_opp_import_report *r, size_t i)
{
	SPM__CHECK_ARG(r);
	if (i >= r->nids)
		return spm__error_set(SPM_ERANGE, "the import stored %zu opportunities", r->nids);
	if (external_id)
		*external_id = r->ext_ids[i];
	if (id)
		*id = r->ids[i];
	return SPM_OK;
}

const char *spm_opp_import_report_message(const spm_opp_import_report *r)
{
	return r && r->message ? r->message : "";
}

int spm_opp_import_report_status(const spm_opp_import_report *r)
{
	return r ? r->status : SPM_EINVAL;
}
