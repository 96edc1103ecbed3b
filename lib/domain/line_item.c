/* Line items: quantity × unit price less a discount in basis points,
 * exact to the minor unit, and the deal's amount as the sum of its items. */
#include "domain/pipeline.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <string.h>

/* The sum of a deal's line items, leaving out the item skip (0: none). */
static int sum_items(int64_t *sum, char cur[4], size_t *n, struct spm__txn *t, int64_t deal,
		     int64_t skip)
{
	spm_kind *k = spm__kind_find(t->db, "line_item", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, "opportunity_id"), SPM_CMP_EQ, deal, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	size_t amount = (size_t)spm__core_index(k, "amount");
	int rc = spm__scan_page(t->db, &page, k, &scan);

	*sum = 0;
	*n = 0;
	cur[0] = '\0';
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		const struct spm__value *v = &page.recs[i]->v[amount];
		if (page.recs[i]->id == skip || !v->has)
			continue;
		if (*n && strcmp(cur, v->cur) != 0)
			rc = spm__error_set(SPM_ECURRENCY, "opportunity %lld has line items in %s and "
					    "%s", (long long)deal, cur, v->cur);
		else if (spm_money_add(sum, *sum, v->i) != SPM_OK)
			rc = spm__error_set(SPM_EOVERFLOW, "opportunity %lld: the sum of its line "
					    "items overflows", (long long)deal);
		memcpy(cur, v->cur, 4);
		++*n;
	}
	spm__page_clear(t->db, &page);
	return rc;
}

int spm__opp_line_items_sum(int64_t *sum, char cur[4], size_t *n, struct spm__txn *t,
			    int64_t deal)
{
	return sum_items(sum, cur, n, t, deal, 0);
}

/* Writes the sum of the deal's items as its amount. */
static int update_deal(struct spm__txn *t, int64_t deal, int64_t skip)
{
	spm_record *opp = NULL, *stored = NULL;
	char cur[4];
	size_t n;
	int64_t sum;
	int rc = sum_items(&sum, cur, &n, t, deal, skip);

	if (rc != SPM_OK || n == 0)
		return rc;
	rc = t->db->ops->get(t->db->store, &opp, spm__kind_find(t->db, "opportunity", 0), deal);
	if (rc == SPM_OK)
		rc = spm__record_put_money(opp, (size_t)spm__fld_idx(opp, "amount"), sum, cur);
	if (rc == SPM_OK) {
		unsigned int flags = t->domain_flags;
		t->domain_flags |= SPM__TXN_LINE_ITEMS;
		rc = spm__write_save(t, opp, &stored);
		t->domain_flags = flags;
	}
	spm_record_free(stored);
	spm_record_free(opp);
	return rc;
}

int spm__line_item_net(int64_t *out, int64_t qty, int64_t price, int64_t disc_bp)
{
	int64_t gross;

	if (qty <= 0)
		return spm__error_set(SPM_EINVAL, "line_item.quantity: must be at least 1, not %lld",
				      (long long)qty);
	if (price < 0)
		return spm__error_set(SPM_EINVAL, "line_item.unit_price: must not be negative");
	if (disc_bp < 0 || disc_bp > 10000)
		return spm__error_set(SPM_EINVAL, "line_item.discount_bp: must be 0..10000 (basis "
				      "points), not %lld", (long long)disc_bp);
	if (spm_money_mul(&gross, price, qty) != SPM_OK ||
	    spm_money_mul_ratio(out, gross, 10000 - disc_bp, 10000, SPM_ROUND_HALF_EVEN) != SPM_OK)
		return spm__error_set(SPM_EOVERFLOW, "line_item.amount: quantity × unit_price "
				      "overflows");
	return SPM_OK;
}

static int compute(spm_record *item)
{
	size_t ip = (size_t)spm__fld_idx(item, "unit_price");
	int64_t net;
	int rc = spm__line_item_net(&net, spm__fld_num(item, "quantity"), item->v[ip].i,
				    spm__fld_num(item, "discount_bp"));

	if (rc != SPM_OK)
		return rc;
	return spm__record_put_money(item, (size_t)spm__fld_idx(item, "amount"), net,
				     item->v[ip].cur);
}

int spm__line_item_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	char cur[4];
	size_t n;
	int64_t sum;
	int rc;

	if (after == NULL)  /* the item goes: the deal keeps the sum of the others */
		return update_deal(t, spm__fld_num(before, "opportunity_id"), before->id);
	if (before && spm__fld_num(before, "opportunity_id") != spm__fld_num(after, "opportunity_id"))
		return spm__error_set(SPM_EINVAL, "line_item.opportunity_id cannot change");
	rc = spm__org_validate_parent(t, before, after);
	if (rc == SPM_OK)
		rc = compute(after);
	if (rc == SPM_OK)
		rc = sum_items(&sum, cur, &n, t, spm__fld_num(after, "opportunity_id"), after->id);
	if (rc == SPM_OK && n && strcmp(cur, after->v[spm__fld_idx(after, "amount")].cur) != 0)
		rc = spm__error_set(SPM_ECURRENCY, "line_item.unit_price: in %s, but the other line "
				    "items of opportunity %lld are in %s",
				    after->v[spm__fld_idx(after, "amount")].cur,
				    (long long)spm__fld_num(after, "opportunity_id"), cur);
	return rc;
}

int spm__line_item_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	(void)before;
	return update_deal(t, spm__fld_num(after, "opportunity_id"), 0);
}
