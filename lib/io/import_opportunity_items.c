/* The line items of spm_opp_import() checked as the write will compute
 * them: each deal's items in one currency and with a sum that fits, the
 * stored items a re-import keeps included. An item the write would refuse
 * is a bad row here, so the dry run says what the import does and the
 * skip-bad mode skips the item instead of failing the whole import. */
#include "io/import_opportunity.h"
#include "core/kinds.h"
#include "core/txn.h"
#include "spm/money.h"

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

int spm__opp_check_item_sums(struct spm__opp_plan *p)
{
	struct spm__opp_groups g = { NULL, NULL };
	int rc = spm__opp_group(p, &g, F_ITEM);

	for (size_t o = 0; rc == SPM_OK && o < p->files[SPM_OPP_FILE_OPPORTUNITIES].nrows; o++) {
		struct deal_sum d = { 0, "", 0 };
		struct spm__page stored = { NULL, 0, 0 };

		if (g.start[o] == g.start[o + 1])
			continue;
		if (p->opps[o].existing)
			rc = start_stored(p, &d, &stored, p->opps[o].existing);
		for (size_t k = g.start[o]; rc == SPM_OK && k < g.start[o + 1]; k++) {
			struct spm__opp_plan_item *it = &p->items[g.idx[k]];
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
		spm__page_clear(p->db, &stored);
	}
	spm__opp_groups_clear(p->db, &g);
	return rc;
}
