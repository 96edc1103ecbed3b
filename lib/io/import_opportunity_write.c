/* Writing a checked import in one transaction: created stages, then each
 * opportunity (matched by external id), its stage history merged with what
 * is stored, and its line items. */
#include "spm/org.h"
#include "io/import_opportunity.h"
#include "core/write.h"
#include "core/kinds.h"
#include "domain/org.h"
#include "domain/pipeline.h"

#include <stdlib.h>
#include <string.h>

#define F_OPP SPM_OPP_FILE_OPPORTUNITIES
#define F_HIS SPM_OPP_FILE_HISTORY
#define F_ITEM SPM_OPP_FILE_LINE_ITEMS

static void count(struct spm__opp_plan *p, int file, int what)
{
	p->report->count[file][what]++;
}

/* Saves rec; *stored_id its id; counts created / updated / unchanged. */
static int save(struct spm__txn *t, struct spm__opp_plan *p, int file, const spm_record *rec,
		int64_t *stored_id)
{
	spm_record *stored = NULL;
	int rc = spm__write_save(t, rec, &stored);

	if (rc != SPM_OK)
		return rc;
	if (stored_id)
		*stored_id = stored->id;
	count(p, file, rec->id == 0 ? SPM_OPP_COUNT_CREATED : stored->seq == t->seq ?
	      SPM_OPP_COUNT_UPDATED : SPM_OPP_COUNT_UNCHANGED);
	spm_record_free(stored);
	return SPM_OK;
}

static int write_stages(struct spm__txn *t, struct spm__opp_plan *p)
{
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < p->nstages; i++) {
		struct spm__opp_stage *s = &p->stages[i];
		spm_record *rec = NULL;
		spm_record *stored = NULL;

		if (!s->create)
			continue;
		rc = spm_record_new(&rec, p->db, "stage");
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "pipeline_id", p->opts->pipeline_id);
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "name", s->name);
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "position", s->position);
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "outcome", s->outcome);
		if (rc == SPM_OK && s->probability >= 0)
			rc = spm_record_set_int(rec, "probability", s->probability);
		if (rc == SPM_OK && s->forecast)
			rc = spm_record_set_text(rec, "forecast_category", s->forecast);
		if (rc == SPM_OK)
			rc = spm__write_save(t, rec, &stored);
		if (rc == SPM_OK) {
			s->id = stored->id;
			p->report->stages_created++;
		}
		spm_record_free(stored);
		spm_record_free(rec);
	}
	return rc;
}

static int write_opp(struct spm__txn *t, struct spm__opp_plan *p, struct spm__opp_plan_opp *o)
{
	const struct spm__opp_stage *s = &p->stages[o->stage];
	spm_record *rec = o->rec;
	int closed = strcmp(s->outcome, "open") != 0;
	int rc;

	rec->id = o->existing;
	rec->seq = 0;  /* the import wins over what is stored: no compare-and-set */
	rc = spm_record_set_int(rec, "stage_id", s->id);
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "status", s->outcome);
	if (rc == SPM_OK)
		rc = closed ? spm_record_set_time(rec, "closed_at", o->close_time)
			    : spm_record_set_null(rec, "closed_at");
	if (rc == SPM_OK && o->has_opened)
		rc = spm_record_set_time(rec, "opened_at", o->opened_at);
	if (rc == SPM_OK && o->existing) {
		/* A stored deal with line items: they make its amount. */
		int64_t sum;
		char cur[4];
		size_t n = 0;

		rc = spm__opp_line_items_sum(&sum, cur, &n, t, o->existing);
		if (rc == SPM_OK && n)
			rc = spm_record_set_money(rec, "amount", sum, cur);
	}
	return rc == SPM_OK ? save(t, p, F_OPP, rec, &o->id) : rc;
}

/* One history entry: a stored row or a row of the file. */
struct entry {
	spm_time at;
	int64_t to;
	spm_record *stored;
	const struct spm__opp_plan_hist *h;
};

static int by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	if (!x->h || !y->h)
		return (x->h != NULL) - (y->h != NULL);
	return (x->h->row->line > y->h->row->line) - (x->h->row->line < y->h->row->line);
}

static int put_history(struct spm__txn *t, struct spm__opp_plan *p, const struct entry *e,
		       int64_t opp_id, const struct entry *prev)
{
	const struct spm__opp_plan_hist *h = e->h;
	spm_record *rec = NULL;
	int rc;

	if (e->stored) {
		/* a stored row: only its link to the previous one can change */
		if (spm__opp_int_or(e->stored, "from_stage_id", -1) == (prev ? prev->to : -1) &&
		    spm__opp_int_or(e->stored, "seconds_in_from", -1) == (prev ? e->at - prev->at : -1))
			return SPM_OK;
		rc = spm_record_dup(&rec, e->stored);
		if (rc == SPM_OK)
			rc = prev ? spm_record_set_int(rec, "from_stage_id", prev->to)
				  : spm_record_set_null(rec, "from_stage_id");
		if (rc == SPM_OK)
			rc = prev ? spm_record_set_int(rec, "seconds_in_from", e->at - prev->at)
				  : spm_record_set_null(rec, "seconds_in_from");
		if (rc == SPM_OK)
			rc = save(t, p, F_HIS, rec, NULL);
		spm_record_free(rec);
		return rc;
	}
	rc = spm_record_new(&rec, p->db, "stage_history");
	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "opportunity_id", opp_id);
	if (rc == SPM_OK && prev)
		rc = spm_record_set_int(rec, "from_stage_id", prev->to);
	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "to_stage_id", e->to);
	if (rc == SPM_OK)
		rc = spm_record_set_time(rec, "at", e->at);
	if (rc == SPM_OK && h->actor)
		rc = spm_record_set_int(rec, "actor", h->actor);
	if (rc == SPM_OK && prev)
		rc = spm_record_set_int(rec, "seconds_in_from", e->at - prev->at);
	if (rc == SPM_OK && h->has_amount)
		rc = spm_record_set_money(rec, "amount", h->amount, h->currency);
	if (rc == SPM_OK)
		rc = save(t, p, F_HIS, rec, NULL);
	spm_record_free(rec);
	return rc;
}

/* The history of one opportunity: the file's rows hist[0..n) merged with
 * the stored ones (same time and stage: already there). */
static int write_history(struct spm__txn *t, struct spm__opp_plan *p,
			 const struct spm__opp_plan_opp *o, const size_t *hist, size_t n)
{
	struct spm__page page = { NULL, 0, 0 };
	struct entry *e;
	size_t ne = 0;
	int rc = SPM_OK;

	if (o->existing)
		rc = spm__opp_scan_children(t->db, &page, "stage_history", o->id);
	if (rc != SPM_OK)
		return rc;
	e = spm__calloc(p->db, page.n + n, sizeof(*e));
	if (e == NULL) {
		spm__page_clear(p->db, &page);
		return spm__error_oom();
	}
	for (size_t i = 0; i < page.n; i++) {
		spm_time at = 0;

		spm_record_get_time(&at, page.recs[i], "at");
		e[ne].at = at;
		e[ne].to = spm__opp_int_or(page.recs[i], "to_stage_id", 0);
		e[ne].stored = page.recs[i];
		ne++;
	}
	for (size_t i = 0; i < n; i++) {
		const struct spm__opp_plan_hist *h = &p->hists[hist[i]];
		int64_t to = p->stages[h->stage].id;
		size_t k = 0;

		while (k < page.n && !(e[k].at == h->at && e[k].to == to))
			k++;
		if (k < page.n) {
			count(p, F_HIS, SPM_OPP_COUNT_UNCHANGED);
			continue;
		}
		e[ne].at = h->at;
		e[ne].to = to;
		e[ne].h = h;
		ne++;
	}
	if (ne > 1)
		qsort(e, ne, sizeof(*e), by_time);
	for (size_t i = 0; rc == SPM_OK && i < ne; i++)
		rc = put_history(t, p, &e[i], o->id, i ? &e[i - 1] : NULL);
	spm__free(p->db, e);
	spm__page_clear(p->db, &page);
	return rc;
}

static int write_items(struct spm__txn *t, struct spm__opp_plan *p,
		       const struct spm__opp_plan_opp *o, const size_t *items, size_t n)
{
	struct spm__page page = { NULL, 0, 0 };
	int rc = SPM_OK;

	if (o->existing)
		rc = spm__opp_scan_children(t->db, &page, "line_item", o->id);
	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		const struct spm__opp_plan_item *it = &p->items[items[i]];
		spm_record *rec = NULL;
		size_t k = 0;

		while (k < page.n && (page.recs[k] == NULL || !spm__opp_item_same(page.recs[k], it)))
			k++;
		if (k < page.n) {  /* already there: matched once */
			spm_record_free(page.recs[k]);
			page.recs[k] = NULL;
			count(p, F_ITEM, SPM_OPP_COUNT_UNCHANGED);
			continue;
		}
		rc = spm_record_new(&rec, p->db, "line_item");
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "opportunity_id", o->id);
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "product", it->row->cell[ITEM_PRODUCT]);
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "quantity", it->quantity);
		if (rc == SPM_OK)
			rc = spm_record_set_money(rec, "unit_price", it->unit_price, it->currency);
		if (rc == SPM_OK && it->has_discount)
			rc = spm_record_set_int(rec, "discount_bp", it->discount_bp);
		if (rc == SPM_OK)
			rc = save(t, p, F_ITEM, rec, NULL);
		spm_record_free(rec);
	}
	spm__page_clear(p->db, &page);
	return rc;
}

struct keyed {
	size_t opp;
	spm_time at;
	size_t line;
	size_t idx;
};

static int by_opp_at_line(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->opp != y->opp)
		return (x->opp > y->opp) - (x->opp < y->opp);
	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	return (x->line > y->line) - (x->line < y->line);
}

int spm__opp_group(struct spm__opp_plan *p, struct spm__opp_groups *g, int file)
{
	size_t nopps = p->files[F_OPP].nrows, nrows = p->files[file].nrows, n = 0, k = 0;
	struct keyed *keys = spm__calloc(p->db, nrows + 1, sizeof(*keys));

	g->idx = spm__calloc(p->db, nrows + 1, sizeof(*g->idx));
	g->start = spm__calloc(p->db, nopps + 1, sizeof(*g->start));
	if (keys == NULL || g->idx == NULL || g->start == NULL) {
		spm__free(p->db, keys);
		return spm__error_oom();
	}
	for (size_t i = 0; i < nrows; i++) {
		int bad = file == F_HIS ? p->hists[i].bad : p->items[i].bad;

		if (bad)
			continue;
		keys[n].opp = file == F_HIS ? p->hists[i].opp : p->items[i].opp;
		keys[n].at = file == F_HIS ? p->hists[i].at : 0;
		keys[n].line = file == F_HIS ? p->hists[i].row->line : p->items[i].row->line;
		keys[n].idx = i;
		n++;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), by_opp_at_line);
	for (size_t o = 0; o < nopps; o++) {
		g->start[o] = k;
		while (k < n && keys[k].opp == o) {
			g->idx[k] = keys[k].idx;
			k++;
		}
	}
	g->start[nopps] = k;
	spm__free(p->db, keys);
	return SPM_OK;
}

void spm__opp_groups_clear(spm_db *db, struct spm__opp_groups *g)
{
	spm__free(db, g->idx);
	spm__free(db, g->start);
}

/* The report's id table, filled before the commit: once it succeeded,
 * nothing may fail. */
static int prepare_ids(struct spm__opp_plan *p)
{
	spm_opp_import_report *r = p->report;
	size_t n = 0;

	for (size_t i = 0; i < p->files[F_OPP].nrows; i++)
		n += !p->opps[i].bad;
	if (n == 0)
		return SPM_OK;
	r->ext_ids = spm__calloc(r->db, n, sizeof(*r->ext_ids));
	r->ids = spm__calloc(r->db, n, sizeof(*r->ids));
	if (r->ext_ids == NULL || r->ids == NULL)
		return spm__error_oom();
	r->nids_cap = n;
	for (size_t i = 0, k = 0; i < p->files[F_OPP].nrows; i++) {
		if (p->opps[i].bad)
			continue;
		r->ext_ids[k] = spm__strdup(r->db, p->opps[i].row->cell[OPP_ID]);
		if (r->ext_ids[k] == NULL)
			return spm__error_oom();
		k++;
	}
	return SPM_OK;
}

static void forget_ids(spm_opp_import_report *r)
{
	for (size_t i = 0; r->ext_ids && i < r->nids_cap; i++)
		spm__free(r->db, r->ext_ids[i]);
	spm__free(r->db, r->ext_ids);
	spm__free(r->db, r->ids);
	r->ext_ids = NULL;
	r->ids = NULL;
	r->nids_cap = 0;
}

int spm__opp_plan_write(struct spm__opp_plan *p)
{
	struct spm__opp_groups hist = { NULL, NULL }, items = { NULL, NULL };
	struct spm__scope *scope = NULL;
	struct spm__txn t;
	int rc = spm__opp_group(p, &hist, F_HIS);

	if (rc == SPM_OK)
		rc = spm__opp_group(p, &items, F_ITEM);
	if (rc == SPM_OK)
		rc = prepare_ids(p);
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, p->db);
	if (rc != SPM_OK) {
		forget_ids(p->report);
		spm__opp_groups_clear(p->db, &hist);
		spm__opp_groups_clear(p->db, &items);
		return rc;
	}
	rc = spm__txn_scope(&scope, &t);
	if (rc == SPM_OK)
		rc = spm__scope_require(scope, SPM_ACTION_IMPORT, "import opportunities");
	if (rc == SPM_OK)
		rc = write_stages(&t, p);
	for (size_t i = 0; rc == SPM_OK && i < p->files[F_OPP].nrows; i++) {
		struct spm__opp_plan_opp *o = &p->opps[i];

		if (o->bad)
			continue;
		rc = write_opp(&t, p, o);
		if (rc == SPM_OK)
			rc = write_history(&t, p, o, hist.idx + hist.start[i],
					   hist.start[i + 1] - hist.start[i]);
		if (rc == SPM_OK)
			rc = write_items(&t, p, o, items.idx + items.start[i],
					 items.start[i + 1] - items.start[i]);
	}
	spm__opp_groups_clear(p->db, &hist);
	spm__opp_groups_clear(p->db, &items);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		forget_ids(p->report);
		return rc;
	}
	rc = spm__txn_commit(&t);
	if (rc != SPM_OK && !t.committed) {
		forget_ids(p->report);
		return rc;
	}
	for (size_t i = 0; i < p->files[F_OPP].nrows; i++)
		if (!p->opps[i].bad)
			p->report->ids[p->report->nids++] = p->opps[i].id;
	return rc;
}
