/* Checking the rows of spm_opp_import() before anything is written: stage
 * names against the pipeline, external ids against the key tables, amounts,
 * dates; then each opportunity's current stage from its history. */
#include "io/import_opportunity.h"
#include "domain/pipeline.h"
#include "spm/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F_OPP SPM_OPP_FILE_OPPORTUNITIES
#define F_HIS SPM_OPP_FILE_HISTORY
#define F_ITEM SPM_OPP_FILE_LINE_ITEMS

/* ---- stages ---- */

static int add_stage(struct spm__opp_plan *p, int64_t id, const char *name, const char *outcome)
{
	struct spm__opp_stage *grown = spm__realloc(p->db, p->stages,
						    (p->nstages + 1) * sizeof(*grown));
	struct spm__opp_stage *s;

	if (grown == NULL)
		return spm__error_oom();
	p->stages = grown;
	s = &p->stages[p->nstages];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->probability = -1;
	s->order = p->nstages;
	s->name = spm__strdup(p->db, name);
	if (s->name == NULL)
		return spm__error_oom();
	snprintf(s->outcome, sizeof(s->outcome), "%s", outcome ? outcome : "open");
	p->nstages++;
	return SPM_OK;
}

static int collect_stage(const spm_record *rec, void *payload)
{
	struct spm__opp_plan *p = payload;
	const char *name = NULL, *outcome = NULL;
	int64_t position = 0;
	int rc = spm_record_get_text(&name, rec, "name");

	if (rc == SPM_OK && spm_record_get_text(&outcome, rec, "outcome") != SPM_OK)
		outcome = NULL;
	if (rc == SPM_OK && spm_record_get_int(&position, rec, "position") == SPM_OK &&
	    position > p->last_position)
		p->last_position = position;
	return rc == SPM_OK ? add_stage(p, spm_record_id(rec), name, outcome) : rc;
}

static int load_stages(struct spm__opp_plan *p)
{
	spm_query *q = NULL;
	int rc = spm_query_new(&q, p->db, "stage");

	if (rc == SPM_OK)
		rc = spm_query_where_int(q, "pipeline_id", SPM_CMP_EQ, p->opts->pipeline_id);
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, collect_stage, p);
	spm_query_free(q);
	return rc;
}

static int contains_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++) {
		size_t k = 0;

		while (k < n && s[k] && (s[k] | 0x20) == w[k])
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

/* Salesforce's forecast category names → libspm's. */
static const char *forecast_of(const char *text)
{
	static const char *const names[][2] = {
		{ "Pipeline", "pipeline" }, { "pipeline", "pipeline" },
		{ "Best Case", "best_case" }, { "BestCase", "best_case" },
		{ "best_case", "best_case" }, { "Commit", "commit" }, { "commit", "commit" },
		{ "Forecast", "commit" }, { "Closed", "closed" }, { "closed", "closed" },
		{ "Omitted", "omitted" }, { "omitted", "omitted" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], text) == 0)
			return names[i][1];
	return NULL;
}

/* Whether kind.field refuses value as the write will (too long, say): the
 * checks must say what the write does, so that the dry run and the import
 * agree. The refusal's message stays the last error. */
static int text_refused(int *refused, spm_db *db, const char *kind, const char *field,
			const char *value)
{
	spm_record *rec = NULL;
	int rc = spm_record_new(&rec, db, kind);

	if (rc != SPM_OK)
		return rc;
	rc = spm_record_set_text(rec, field, value);
	spm_record_free(rec);
	*refused = rc != SPM_OK;
	return rc == SPM_ENOMEM ? rc : SPM_OK;
}

/* A cell kept as text in kind.field: a bad row when the field refuses it. */
static int check_text(struct spm__opp_plan *p, int *bad, int file, const struct spm__opp_row *row,
		      int role, const char *kind, const char *field)
{
	int refused = 0;
	int rc = text_refused(&refused, p->db, kind, field, row->cell[role]);

	if (rc != SPM_OK || !refused)
		return rc;
	*bad = 1;
	return spm__opp_problem(p->report, file, row->line, p->files[file].role_header[role], 0,
				"%s", spm_error_message());
}

/* A stage to be created takes its name as the write will. */
static int check_new_stage_name(struct spm__opp_plan *p, int *bad, int file,
				const struct spm__opp_row *row, const char *name)
{
	const struct spm__opp_file *f = &p->files[file];
	int refused = 0;
	int rc = text_refused(&refused, p->db, "stage", "name", name);

	if (rc != SPM_OK || !refused)
		return rc;
	*bad = 1;
	return spm__opp_problem(p->report, file, row->line, f->role_header[file == F_OPP ?
				OPP_STAGE : HIS_STAGE], 0, "stage '%s' cannot be created: %s",
				name, spm_error_message());
}

/* The stage a row names; *bad when unknown (and not to be created). */
static int resolve_stage(struct spm__opp_plan *p, long *out, int *bad, int file,
			 const struct spm__opp_row *row, const char *name, const char *prob,
			 const char *forecast, int prob_role, int forecast_role)
{
	const struct spm__opp_file *f = &p->files[file];
	struct spm__opp_stage *s;
	int64_t v;
	int rc;

	for (size_t i = 0; i < p->nstages; i++) {
		if (strcmp(p->stages[i].name, name) == 0) {
			*out = (long)i;
			s = &p->stages[i];
			goto created;
		}
	}
	if (!(p->opts->flags & SPM_OPP_IMPORT_CREATE_STAGES)) {
		*bad = 1;
		return spm__opp_problem(p->report, file, row->line, f->role_header[file == F_OPP ?
					OPP_STAGE : HIS_STAGE], 0, "stage '%s' is not in pipeline "
					"%lld", name, (long long)p->opts->pipeline_id);
	}
	rc = check_new_stage_name(p, bad, file, row, name);
	if (rc != SPM_OK || *bad)
		return rc;
	rc = add_stage(p, 0, name, contains_word(name, "won") ? "won" :
		       contains_word(name, "lost") ? "lost" : "open");
	if (rc != SPM_OK)
		return rc;
	*out = (long)(p->nstages - 1);
	s = &p->stages[p->nstages - 1];
	s->create = 1;
created:
	if (!s->create)
		return SPM_OK;
	/* a created stage takes the first probability and category given for it */
	if (prob && s->probability < 0) {
		if (spm__opp_parse_fixed(&v, prob, 2) != SPM_OK || v < 0 || v > 10000 || v % 100) {
			*bad = 1;
			return spm__opp_problem(p->report, file, row->line, f->role_header[prob_role],
						0, "probability '%s' is not a whole number 0..100",
						prob);
		}
		s->probability = v / 100;
	}
	if (forecast && s->forecast == NULL) {
		const char *cat = forecast_of(forecast);

		if (cat == NULL) {
			*bad = 1;
			return spm__opp_problem(p->report, file, row->line,
						f->role_header[forecast_role], 0, "forecast category "
						"'%s' is not Pipeline, Best Case, Commit, Closed or "
						"Omitted", forecast);
		}
		s->forecast = spm__strdup(p->db, cat);
		if (s->forecast == NULL)
			return spm__error_oom();
	}
	return SPM_OK;
}

/* ---- external ids ---- */

static int resolve_key(struct spm__opp_plan *p, int64_t *out, int *bad, int file,
		       const struct spm__opp_row *row, int role, const spm__opp_keys *keys,
		       const char *kind, const char *field)
{
	const char *header = p->files[file].role_header[role];
	const char *key = row->cell[role];
	size_t n = 0;
	int64_t id = spm__opp_keys_find(keys, key, &n);

	*out = 0;
	if (n == 1) {
		*out = id;
		return SPM_OK;
	}
	if (n > 1) {
		*bad = 1;
		return spm__opp_problem(p->report, file, row->line, header, 0, "'%s' matches %zu "
					"%ss by %s", key, n, kind, field);
	}
	if (p->opts->flags & SPM_OPP_IMPORT_LENIENT_REFS)
		return spm__opp_problem(p->report, file, row->line, header, 1, "no %s has %s '%s': "
					"left empty", kind, field, key);
	*bad = 1;
	return spm__opp_problem(p->report, file, row->line, header, 0, "no %s has %s '%s'", kind,
				field, key);
}

/* ---- cells ---- */

/* A problem from the last error, about one role's column. */
static int cell_problem(struct spm__opp_plan *p, int *bad, int file,
			const struct spm__opp_row *row, int role)
{
	const char *header = p->files[file].role_header[role];

	*bad = 1;
	return spm__opp_problem(p->report, file, row->line, header, 0, "%s: %s",
				header ? header : spm__opp_layouts[file].roles[role],
				spm_error_message());
}

static int required_cells(struct spm__opp_plan *p, int *bad, int file,
			  const struct spm__opp_row *row)
{
	const struct spm__opp_layout *l = &spm__opp_layouts[file];

	for (size_t i = 0; i < l->nrequired; i++) {
		if (row->cell[i])
			continue;
		*bad = 1;
		return spm__opp_problem(p->report, file, row->line, p->files[file].role_header[i], 0,
					"%s is empty", p->files[file].role_header[i]);
	}
	return SPM_OK;
}

static int check_money(struct spm__opp_plan *p, int *bad, int64_t *amount, char cur[4], int file,
		       const struct spm__opp_row *row, int role, int currency_role,
		       const char *fallback)
{
	if (spm__opp_parse_money(amount, cur, row->cell[role], row->cell[currency_role],
				 fallback) == SPM_OK)
		return SPM_OK;
	return cell_problem(p, bad, file, row, role);
}

/* ---- opportunities ---- */

struct ref {
	const char *key;
	size_t line;
	size_t idx;
};

static int by_key_line(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* The opportunity of the file with this external id, or -1. */
static long find_opp(const struct ref *refs, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(refs[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(refs[lo].key, key) == 0 ? (long)refs[lo].idx : -1;
}

static int set_text_cell(struct spm__opp_plan *p, int *bad, spm_record *rec, const char *field,
			 const struct spm__opp_row *row, int role)
{
	int rc = row->cell[role] ? spm_record_set_text(rec, field, row->cell[role]) : SPM_OK;

	if (rc == SPM_OK || rc == SPM_ENOMEM)
		return rc;
	return cell_problem(p, bad, F_OPP, row, role);
}

static int check_opp(struct spm__opp_plan *p, struct spm__opp_plan_opp *o)
{
	const struct spm__opp_row *row = o->row;
	const struct spm__opp_file *f = &p->files[F_OPP];
	spm_opp_import_report *r = p->report;
	int64_t v;
	spm_time t;
	spm_date d;
	char cur[4];
	size_t n;
	int rc, has_time;

	rc = required_cells(p, &o->bad, F_OPP, row);
	if (rc != SPM_OK || o->bad)
		return rc;
	rc = spm_record_new(&o->rec, p->db, "opportunity");
	if (rc == SPM_OK)
		rc = spm_record_set_int(o->rec, "pipeline_id", p->opts->pipeline_id);
	if (rc == SPM_OK && p->ext_field_exists)
		rc = set_text_cell(p, &o->bad, o->rec, p->ext_field, row, OPP_ID);
	if (rc == SPM_OK && !o->bad) {
		o->existing = spm__opp_keys_find(&p->opp_keys, row->cell[OPP_ID], &n);
		if (n > 1) {
			o->bad = 1;
			rc = spm__opp_problem(r, F_OPP, row->line, f->role_header[OPP_ID], 0, "'%s' "
					      "matches %zu stored opportunities by %s",
					      row->cell[OPP_ID], n, p->ext_field);
		}
	}
	/* A file without a name column (many CRMs export only a deal number)
	 * names each deal by its id; a name column with an empty cell is bad. */
	if (rc == SPM_OK && !o->bad && f->role_header[OPP_NAME] == NULL)
		rc = set_text_cell(p, &o->bad, o->rec, "name", row, OPP_ID);
	else if (rc == SPM_OK && !o->bad && row->cell[OPP_NAME] == NULL) {
		o->bad = 1;
		rc = spm__opp_problem(r, F_OPP, row->line, f->role_header[OPP_NAME], 0, "%s is empty",
				      f->role_header[OPP_NAME]);
	} else if (rc == SPM_OK && !o->bad)
		rc = set_text_cell(p, &o->bad, o->rec, "name", row, OPP_NAME);
	if (rc == SPM_OK && !o->bad)
		rc = resolve_stage(p, &o->file_stage, &o->bad, F_OPP, row, row->cell[OPP_STAGE],
				   row->cell[OPP_PROBABILITY], row->cell[OPP_FORECAST],
				   OPP_PROBABILITY, OPP_FORECAST);
	if (rc == SPM_OK && !o->bad && row->cell[OPP_ACCOUNT]) {
		rc = resolve_key(p, &v, &o->bad, F_OPP, row, OPP_ACCOUNT, &p->customer_keys,
				 "customer", p->customer_field);
		if (rc == SPM_OK && v)
			rc = spm_record_set_int(o->rec, "customer_id", v);
	}
	if (rc == SPM_OK && !o->bad && row->cell[OPP_CUSTOMER_ID]) {
		if (spm__opp_parse_fixed(&v, row->cell[OPP_CUSTOMER_ID], 0) != SPM_OK || v <= 0)
			rc = spm__opp_problem(r, F_OPP, row->line, f->role_header[OPP_CUSTOMER_ID],
					      0, "'%s' is not a customer id",
					      row->cell[OPP_CUSTOMER_ID]), o->bad = 1;
		else
			rc = spm_record_set_int(o->rec, "customer_id", v);
	}
	if (rc == SPM_OK && !o->bad && row->cell[OPP_OWNER]) {
		rc = resolve_key(p, &v, &o->bad, F_OPP, row, OPP_OWNER, &p->user_keys, "user",
				 p->user_field);
		if (rc == SPM_OK && v)
			rc = spm_record_set_int(o->rec, "owner_id", v);
	}
	if (rc == SPM_OK && !o->bad && row->cell[OPP_OWNER_ID]) {
		if (spm__opp_parse_fixed(&v, row->cell[OPP_OWNER_ID], 0) != SPM_OK || v <= 0)
			rc = spm__opp_problem(r, F_OPP, row->line, f->role_header[OPP_OWNER_ID], 0,
					      "'%s' is not a user id", row->cell[OPP_OWNER_ID]),
			o->bad = 1;
		else
			rc = spm_record_set_int(o->rec, "owner_id", v);
	}
	if (rc == SPM_OK && !o->bad && row->cell[OPP_AMOUNT]) {
		rc = check_money(p, &o->bad, &v, cur, F_OPP, row, OPP_AMOUNT, OPP_CURRENCY,
				 p->opts->currency);
		if (rc == SPM_OK && !o->bad)
			rc = spm_record_set_money(o->rec, "amount", v, cur);
	}
	if (rc == SPM_OK && !o->bad && row->cell[OPP_CLOSE_DATE]) {
		if (spm__opp_parse_when(&t, &has_time, row->cell[OPP_CLOSE_DATE],
					p->opts->date_order) != SPM_OK)
			rc = cell_problem(p, &o->bad, F_OPP, row, OPP_CLOSE_DATE);
		else if (has_time)
			rc = spm__opp_problem(r, F_OPP, row->line, f->role_header[OPP_CLOSE_DATE], 0,
					      "'%s' has a time; a close date is a date",
					      row->cell[OPP_CLOSE_DATE]), o->bad = 1;
		else if ((rc = spm_date_from_time(&d, t)) == SPM_OK)
			rc = spm_record_set_date(o->rec, "expected_close", d);
		o->close_time = t;
		o->has_close = 1;
	}
	if (rc == SPM_OK && !o->bad && row->cell[OPP_CREATED]) {
		if (spm__opp_parse_when(&o->opened_at, &has_time, row->cell[OPP_CREATED],
					p->opts->date_order) != SPM_OK)
			rc = cell_problem(p, &o->bad, F_OPP, row, OPP_CREATED);
		o->has_opened = 1;
	}
	if (rc == SPM_OK && !o->bad)
		rc = set_text_cell(p, &o->bad, o->rec, "source", row, OPP_SOURCE);
	if (rc == SPM_OK && !o->bad)
		rc = set_text_cell(p, &o->bad, o->rec, "lost_reason", row, OPP_LOST_REASON);
	for (size_t k = 0; rc == SPM_OK && !o->bad && k < f->nextra; k++) {
		if (row->extra[k] == NULL)
			continue;
		rc = spm_record_set_from_text(o->rec, f->extra_fields[k], row->extra[k]);
		if (rc == SPM_OK || rc == SPM_ENOMEM)
			continue;
		o->bad = 1;
		rc = spm__opp_problem(r, F_OPP, row->line, f->extra_headers[k], 0, "%s: %s",
				      f->extra_headers[k], spm_error_message());
	}
	return rc == SPM_ENOMEM || rc == SPM_OK ? rc : SPM_OK;
}

/* ---- history and line items ---- */

/* The row's opportunity in the file; *bad when there is none. */
static int row_opp(struct spm__opp_plan *p, size_t *out, int *bad, int file,
		   const struct spm__opp_row *row, const struct ref *refs, size_t nrefs)
{
	const char *key = row->cell[0];  /* "opportunity" is role 0 of both files */
	long i = find_opp(refs, nrefs, key);

	if (i >= 0) {
		*out = (size_t)i;
		return SPM_OK;
	}
	*bad = 1;
	return spm__opp_problem(p->report, file, row->line, p->files[file].role_header[0], 0,
				"opportunity '%s' is not in the opportunities file", key);
}

static int check_hist(struct spm__opp_plan *p, struct spm__opp_plan_hist *h,
		      const struct ref *refs, size_t nrefs)
{
	const struct spm__opp_row *row = h->row;
	const char *fallback;
	int rc, has_time;

	h->stage = -1;
	rc = required_cells(p, &h->bad, F_HIS, row);
	if (rc == SPM_OK && !h->bad)
		rc = row_opp(p, &h->opp, &h->bad, F_HIS, row, refs, nrefs);
	if (rc == SPM_OK && !h->bad)
		rc = resolve_stage(p, &h->stage, &h->bad, F_HIS, row, row->cell[HIS_STAGE],
				   row->cell[HIS_PROBABILITY], row->cell[HIS_FORECAST],
				   HIS_PROBABILITY, HIS_FORECAST);
	if (rc == SPM_OK && !h->bad &&
	    spm__opp_parse_when(&h->at, &has_time, row->cell[HIS_AT], p->opts->date_order) != SPM_OK)
		rc = cell_problem(p, &h->bad, F_HIS, row, HIS_AT);
	if (rc == SPM_OK && !h->bad && row->cell[HIS_AMOUNT]) {
		/* without a currency of its own, the opportunity's */
		fallback = p->opps[h->opp].row->cell[OPP_CURRENCY];
		rc = check_money(p, &h->bad, &h->amount, h->currency, F_HIS, row, HIS_AMOUNT,
				 HIS_CURRENCY, fallback ? fallback : p->opts->currency);
		h->has_amount = 1;
	}
	if (rc == SPM_OK && !h->bad && row->cell[HIS_ACTOR])
		rc = resolve_key(p, &h->actor, &h->bad, F_HIS, row, HIS_ACTOR, &p->user_keys, "user",
				 p->user_field);
	return rc == SPM_ENOMEM || rc == SPM_OK ? rc : SPM_OK;
}

static int check_item(struct spm__opp_plan *p, struct spm__opp_plan_item *it,
		      const struct ref *refs, size_t nrefs)
{
	const struct spm__opp_row *row = it->row;
	const struct spm__opp_file *f = &p->files[F_ITEM];
	const char *fallback;
	int64_t v;
	int rc;

	rc = required_cells(p, &it->bad, F_ITEM, row);
	if (rc == SPM_OK && !it->bad)
		rc = row_opp(p, &it->opp, &it->bad, F_ITEM, row, refs, nrefs);
	if (rc == SPM_OK && !it->bad)
		rc = check_text(p, &it->bad, F_ITEM, row, ITEM_PRODUCT, "line_item", "product");
	if (rc == SPM_OK && !it->bad) {
		/* exports write quantities as 1.00: whole numbers only */
		if (spm__opp_parse_fixed(&v, row->cell[ITEM_QUANTITY], 2) != SPM_OK || v <= 0 ||
		    v % 100)
			rc = spm__opp_problem(p->report, F_ITEM, row->line,
					      f->role_header[ITEM_QUANTITY], 0, "quantity '%s' is "
					      "not a whole number above 0", row->cell[ITEM_QUANTITY]),
			it->bad = 1;
		it->quantity = v / 100;
	}
	if (rc == SPM_OK && !it->bad) {
		fallback = p->opps[it->opp].row->cell[OPP_CURRENCY];
		rc = check_money(p, &it->bad, &it->unit_price, it->currency, F_ITEM, row,
				 ITEM_UNIT_PRICE, ITEM_CURRENCY, fallback ? fallback : p->opts->currency);
	}
	if (rc == SPM_OK && !it->bad && row->cell[ITEM_DISCOUNT]) {
		if (spm__opp_parse_fixed(&v, row->cell[ITEM_DISCOUNT], 2) != SPM_OK || v < 0 ||
		    v > 10000)
			rc = spm__opp_problem(p->report, F_ITEM, row->line,
					      f->role_header[ITEM_DISCOUNT], 0, "discount '%s' is not "
					      "a percentage 0..100 with at most 2 decimals",
					      row->cell[ITEM_DISCOUNT]), it->bad = 1;
		it->discount_bp = v;  /* 12.5 % is 1250 basis points */
		it->has_discount = 1;
	}
	if (rc == SPM_OK && !it->bad && row->cell[ITEM_DISCOUNT_BP]) {
		if (spm__opp_parse_fixed(&v, row->cell[ITEM_DISCOUNT_BP], 0) != SPM_OK || v < 0 ||
		    v > 10000)
			rc = spm__opp_problem(p->report, F_ITEM, row->line,
					      f->role_header[ITEM_DISCOUNT_BP], 0, "discount '%s' is "
					      "not 0..10000 basis points",
					      row->cell[ITEM_DISCOUNT_BP]), it->bad = 1;
		it->discount_bp = v;
		it->has_discount = 1;
	}
	if (rc == SPM_OK && !it->bad &&
	    spm__line_item_net(&it->net, it->quantity, it->unit_price, it->discount_bp) != SPM_OK)
		rc = spm__opp_problem(p->report, F_ITEM, row->line, f->role_header[ITEM_UNIT_PRICE],
				      0, "%s", spm_error_message()), it->bad = 1;
	return rc == SPM_ENOMEM || rc == SPM_OK ? rc : SPM_OK;
}

/* ---- the current stage of each opportunity ---- */

struct hist_order {
	size_t opp;
	spm_time at;
	size_t line;
	size_t idx;
};

static int by_opp_time(const void *a, const void *b)
{
	const struct hist_order *x = a, *y = b;

	if (x->opp != y->opp)
		return (x->opp > y->opp) - (x->opp < y->opp);
	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	return (x->line > y->line) - (x->line < y->line);
}

/* Sets each opportunity's stage from its last history row (a differing
 * StageName is a warning), its opened_at from the first when CreatedDate is
 * missing, and refuses a won/lost opportunity with no time to close it. */
static int derive(struct spm__opp_plan *p)
{
	const struct spm__opp_file *hf = &p->files[F_HIS];
	struct hist_order *order = NULL;
	size_t n = 0;
	int rc = SPM_OK;

	if (hf->nrows) {
		order = spm__calloc(p->db, hf->nrows, sizeof(*order));
		if (order == NULL)
			return spm__error_oom();
	}
	for (size_t i = 0; i < hf->nrows; i++) {
		const struct spm__opp_plan_hist *h = &p->hists[i];

		if (h->bad || p->opps[h->opp].bad)
			continue;
		order[n].opp = h->opp;
		order[n].at = h->at;
		order[n].line = h->row->line;
		order[n].idx = i;
		n++;
	}
	if (n > 1)
		qsort(order, n, sizeof(*order), by_opp_time);
	for (size_t i = 0; i < p->files[F_OPP].nrows; i++)
		p->opps[i].stage = p->opps[i].file_stage;
	for (size_t i = 0; i < n; i++) {
		struct spm__opp_plan_opp *o = &p->opps[order[i].opp];
		const struct spm__opp_plan_hist *h = &p->hists[order[i].idx];

		if (i == 0 || order[i - 1].opp != order[i].opp) {
			if (!o->has_opened) {
				o->opened_at = h->at;
				o->has_opened = 1;
			}
		}
		if (i + 1 < n && order[i + 1].opp == order[i].opp)
			continue;
		o->stage = h->stage;  /* the last row */
		o->close_time = h->at;
		o->has_close = 2;     /* 2: from the history */
		if (h->stage != o->file_stage)
			rc = spm__opp_problem(p->report, F_OPP, o->row->line,
					      p->files[F_OPP].role_header[OPP_STAGE], 1,
					      "%s '%s' differs from the last history row (line %zu, "
					      "'%s'): the history wins",
					      p->files[F_OPP].role_header[OPP_STAGE],
					      p->stages[o->file_stage].name, h->row->line,
					      p->stages[h->stage].name);
		if (rc != SPM_OK)
			break;
	}
	spm__free(p->db, order);
	for (size_t i = 0; rc == SPM_OK && i < p->files[F_OPP].nrows; i++) {
		struct spm__opp_plan_opp *o = &p->opps[i];

		if (o->bad || strcmp(p->stages[o->stage].outcome, "open") == 0 || o->has_close)
			continue;
		o->bad = 1;
		rc = spm__opp_problem(p->report, F_OPP, o->row->line, NULL, 0, "a %s opportunity "
				      "needs a close date or history to say when it closed",
				      p->stages[o->stage].outcome);
	}
	return rc;
}

/* History rows and line items of a bad opportunity are bad too. */
static int propagate(struct spm__opp_plan *p, int file, size_t i)
{
	int *bad = file == F_HIS ? &p->hists[i].bad : &p->items[i].bad;
	size_t opp = file == F_HIS ? p->hists[i].opp : p->items[i].opp;
	const struct spm__opp_row *row = file == F_HIS ? p->hists[i].row : p->items[i].row;

	if (*bad || !p->opps[opp].bad)
		return SPM_OK;
	*bad = 1;
	return spm__opp_problem(p->report, file, row->line, NULL, 0, "its opportunity (line %zu) "
				"is bad", p->opps[opp].row->line);
}

/* ---- positions of created stages: open ones by probability, then won, then lost ---- */

static int stage_rank(const struct spm__opp_stage *s)
{
	return strcmp(s->outcome, "won") == 0 ? 1 : strcmp(s->outcome, "lost") == 0 ? 2 : 0;
}

/* A stage named only by bad rows is not created. */
static void drop_unused_stages(struct spm__opp_plan *p)
{
	for (size_t i = 0; i < p->nstages; i++)
		p->stages[i].create = p->stages[i].create ? -1 : 0;
	for (size_t i = 0; i < p->files[F_OPP].nrows; i++) {
		const struct spm__opp_plan_opp *o = &p->opps[i];

		if (!o->bad && p->stages[o->file_stage].create)
			p->stages[o->file_stage].create = 1;
		if (!o->bad && p->stages[o->stage].create)
			p->stages[o->stage].create = 1;
	}
	for (size_t i = 0; i < p->files[F_HIS].nrows; i++)
		if (!p->hists[i].bad && p->stages[p->hists[i].stage].create)
			p->stages[p->hists[i].stage].create = 1;
	for (size_t i = 0; i < p->nstages; i++)
		if (p->stages[i].create < 0)
			p->stages[i].create = 0;
}

static void place_created_stages(struct spm__opp_plan *p)
{
	int64_t next = p->last_position;

	drop_unused_stages(p);
	for (;;) {
		struct spm__opp_stage *best = NULL;

		for (size_t i = 0; i < p->nstages; i++) {
			struct spm__opp_stage *s = &p->stages[i];

			if (!s->create || s->position)
				continue;
			if (best == NULL || stage_rank(s) < stage_rank(best) ||
			    (stage_rank(s) == stage_rank(best) &&
			     (s->probability < best->probability ||
			      (s->probability == best->probability && s->order < best->order))))
				best = s;
		}
		if (best == NULL)
			return;
		best->position = ++next;
	}
}

int spm__opp_plan_check(struct spm__opp_plan *p)
{
	struct spm__opp_file *of = &p->files[F_OPP], *hf = &p->files[F_HIS], *itf = &p->files[F_ITEM];
	struct ref *refs = NULL;
	size_t nrefs = 0;
	int rc = load_stages(p);

	if (rc == SPM_OK && of->nrows) {
		p->opps = spm__calloc(p->db, of->nrows, sizeof(*p->opps));
		refs = spm__calloc(p->db, of->nrows, sizeof(*refs));
		if (p->opps == NULL || refs == NULL)
			rc = spm__error_oom();
	}
	if (rc == SPM_OK && hf->nrows) {
		p->hists = spm__calloc(p->db, hf->nrows, sizeof(*p->hists));
		if (p->hists == NULL)
			rc = spm__error_oom();
	}
	if (rc == SPM_OK && itf->nrows) {
		p->items = spm__calloc(p->db, itf->nrows, sizeof(*p->items));
		if (p->items == NULL)
			rc = spm__error_oom();
	}
	for (size_t i = 0; rc == SPM_OK && i < of->nrows; i++) {
		p->opps[i].row = &of->rows[i];
		p->opps[i].bad = of->rows[i].bad;
		if (!p->opps[i].bad)
			rc = check_opp(p, &p->opps[i]);
		if (rc == SPM_OK && of->rows[i].cell[OPP_ID]) {
			refs[nrefs].key = of->rows[i].cell[OPP_ID];
			refs[nrefs].line = of->rows[i].line;
			refs[nrefs].idx = i;
			nrefs++;
		}
	}
	if (rc == SPM_OK && nrefs > 1)
		qsort(refs, nrefs, sizeof(*refs), by_key_line);
	for (size_t i = 1; rc == SPM_OK && i < nrefs; i++) {
		struct spm__opp_plan_opp *o = &p->opps[refs[i].idx];
		size_t j = i;

		while (j > 0 && strcmp(refs[j - 1].key, refs[i].key) == 0)
			j--;
		if (j == i)
			continue;
		o->bad = 1;
		rc = spm__opp_problem(p->report, F_OPP, o->row->line, of->role_header[OPP_ID], 0,
				      "Id '%s' appears again (first on line %zu)", refs[i].key,
				      refs[j].line);
	}
	for (size_t i = 0; rc == SPM_OK && i < hf->nrows; i++) {
		p->hists[i].row = &hf->rows[i];
		p->hists[i].bad = hf->rows[i].bad;
		if (!p->hists[i].bad)
			rc = check_hist(p, &p->hists[i], refs, nrefs);
	}
	for (size_t i = 0; rc == SPM_OK && i < itf->nrows; i++) {
		p->items[i].row = &itf->rows[i];
		p->items[i].bad = itf->rows[i].bad;
		if (!p->items[i].bad)
			rc = check_item(p, &p->items[i], refs, nrefs);
	}
	spm__free(p->db, refs);
	if (rc == SPM_OK)
		rc = derive(p);
	for (size_t i = 0; rc == SPM_OK && i < hf->nrows; i++)
		rc = propagate(p, F_HIS, i);
	for (size_t i = 0; rc == SPM_OK && i < itf->nrows; i++)
		rc = propagate(p, F_ITEM, i);
	if (rc == SPM_OK)
		rc = spm__opp_check_item_sums(p);
	if (rc == SPM_OK)
		place_created_stages(p);
	return rc;
}
