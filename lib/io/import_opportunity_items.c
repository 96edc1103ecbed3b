/* The line items of spm_opp_import() checked as the write will compute
 * them: each deal's items in one currency and with a sum that fits, the
 * stored items a re-import keeps included. An item the write would refuse
 * is a bad row here, so the dry run says what the import does and the
 * skip-bad mode skips the item instead of failing the whole import. */
#include "io/import_opportunity.h"
#include "core/kinds.h"
#include "core/txn.h"
#include "spm/money.h"

#include <stdlib.h>
#include <string.h>

#define F_ITEM SPM_OPP_FILE_LINE_ITEMS

int64_t spm__opp_int_or(const spm_record *rec, const char *field, int64_t none)
{
	int64_t v;
	int null = 1;

	if (spm_record_is_null(&null, rec, field) != SPM_OK || null ||
	    spm_record_get_int(&v, rec, field) != SPM_OK)
		return none;
	return v;
}

int spm__opp_scan_children(spm_db *db, struct spm__page *page, const char *kind_name,
			   int64_t opp_id)
{
	spm_kind *kind = spm__kind_find(db, kind_name, 0);
	spm_scan_cond cond = { 0, SPM_CMP_EQ, opp_id, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };

	cond.field = (size_t)spm__core_index(kind, "opportunity_id");
	return spm__scan_page(db, page, kind, &scan);
}

int spm__opp_item_same(const spm_record *rec, const struct spm__opp_plan_item *it)
{
	const char *product = NULL, *cur = NULL;
	int64_t price = 0;

	if (spm_record_get_text(&product, rec, "product") != SPM_OK || product == NULL ||
	    strcmp(product, it->row->cell[ITEM_PRODUCT]) != 0)
		return 0;
	if (spm_record_get_money(&price, &cur, rec, "unit_price") != SPM_OK || cur == NULL ||
	    price != it->unit_price || strcmp(cur, it->currency) != 0)
		return 0;
	return spm__opp_int_or(rec, "quantity", -1) == it->quantity &&
	       spm__opp_int_or(rec, "discount_bp", -1) == (it->has_discount ? it->discount_bp : -1);
}

/* The running sum of one deal's items. */
struct deal_sum {
	int64_t sum;
	char cur[4];
	int has;
};

static int add(struct spm__opp_plan *p, struct deal_sum *d, struct spm__opp_plan_item *it)
{
	const struct spm__opp_file *f = &p->files[F_ITEM];
	const char *deal = p->opps[it->opp].row->cell[OPP_ID];

	if (d->has && strcmp(d->cur, it->currency) != 0) {
		it->bad = 1;
		return spm__opp_problem(p->report, F_ITEM, it->row->line, f->role_header[ITEM_CURRENCY],
					0, "in %s, but the other line items of opportunity '%s' are "
					"in %s", it->currency, deal, d->cur);
	}
	if (spm_money_add(&d->sum, d->sum, it->net) != SPM_OK) {
		it->bad = 1;
		return spm__opp_problem(p->report, F_ITEM, it->row->line,
					f->role_header[ITEM_UNIT_PRICE], 0, "the line items of "
					"opportunity '%s' sum beyond the largest amount", deal);
	}
	memcpy(d->cur, it->currency, 4);
	d->has = 1;
	return SPM_OK;
}

/* The stored items of a deal the import updates: they stay, so they count;
 * a file item equal to one of them is that item, not a new one. */
static int start_stored(struct spm__opp_plan *p, struct deal_sum *d, struct spm__page *page,
			int64_t deal)
{
	int rc = spm__opp_scan_children(p->db, page, "line_item", deal);

	for (size_t i = 0; rc == SPM_OK && i < page->n; i++) {
		const char *cur = NULL;
		int64_t amount = 0;

		if (spm_record_get_money(&amount, &cur, page->recs[i], "amount") != SPM_OK ||
		    cur == NULL)
			continue;
		/* stored items passed the same checks: one currency, a sum that fits */
		if (spm_money_add(&d->sum, d->sum, amount) != SPM_OK)
			return spm__error_set(SPM_ECORRUPT, "the line items of opportunity %lld "
					      "overflow", (long long)deal);
		memcpy(d->cur, cur, 4);
		d->has = 1;
	}
	return rc;
}

static int by_opp_line(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

int spm__opp_check_item_sums(struct spm__opp_plan *p)
{
	size_t nitems = p->files[F_ITEM].nrows, n = 0;
	size_t *order = spm__calloc(p->db, nitems * 2 + 1, sizeof(*order));  /* (opp, index) */
	int rc = SPM_OK;

	if (order == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < nitems; i++) {
		if (p->items[i].bad)
			continue;
		order[2 * n] = p->items[i].opp;
		order[2 * n + 1] = i;  /* rows are in line order */
		n++;
	}
	if (n > 1)
		qsort(order, n, 2 * sizeof(*order), by_opp_line);
	for (size_t k = 0; rc == SPM_OK && k < n;) {
		size_t opp = order[2 * k];
		struct deal_sum d = { 0, "", 0 };
		struct spm__page stored = { NULL, 0, 0 };

		if (p->opps[opp].existing)
			rc = start_stored(p, &d, &stored, p->opps[opp].existing);
		for (; rc == SPM_OK && k < n && order[2 * k] == opp; k++) {
			struct spm__opp_plan_item *it = &p->items[order[2 * k + 1]];
			size_t s = 0;

			while (s < stored.n && (stored.recs[s] == NULL ||
						!spm__opp_item_same(stored.recs[s], it)))
				s++;
			if (s < stored.n) {  /* matched once, as the write matches */
				spm_record_free(stored.recs[s]);
				stored.recs[s] = NULL;
				continue;
			}
			rc = add(p, &d, it);
		}
		for (; k < n && order[2 * k] == opp; k++)
			;
		spm__page_clear(p->db, &stored);
	}
	spm__free(p->db, order);
	return rc;
}
