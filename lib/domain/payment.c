/* Payments (回款) reconciled against a contract's installments: the named
 * installment first, then the oldest due; partial payments; an excess is
 * refused or held as credit, as the contract says. Overdue installments
 * raise an event from tick, once each. */
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_due(const void *a, const void *b)
{
	const spm_record *x = *(spm_record *const *)a, *y = *(spm_record *const *)b;
	int64_t dx = spm__fld_num(x, "due_on"), dy = spm__fld_num(y, "due_on");

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return spm__fld_num(x, "number") < spm__fld_num(y, "number") ? -1 : 1;
}

static int installments(struct spm__page *page, spm_db *db, int64_t contract)
{
	spm_kind *k = spm__kind_find(db, "installment", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, "contract_id"), SPM_CMP_EQ, contract,
			       NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	int rc = spm__scan_page(db, page, k, &scan);

	if (rc == SPM_OK && page->n)
		qsort(page->recs, page->n, sizeof(*page->recs), by_due);
	return rc;
}

static int append(char **buf, size_t *len, spm_db *db, int64_t id, int64_t amount)
{
	char item[48];
	int n = snprintf(item, sizeof(item), "%s%" PRId64 ":%" PRId64, *len ? "," : "", id, amount);
	char *p = spm__realloc(db, *buf, *len + (size_t)n + 1);

	if (p == NULL)
		return spm__error_oom();
	memcpy(p + *len, item, (size_t)n + 1);
	*buf = p;
	*len += (size_t)n;
	return SPM_OK;
}

/* Splits the payment over the plan into "id:amount,…" and the excess. */
static int allocate(struct spm__txn *t, const spm_record *c, spm_record *pay)
{
	struct spm__page plan = { NULL, 0, 0 };
	int64_t left = spm__fld_num(pay, "amount"), first = spm__fld_num(pay, "installment_id");
	int64_t sum = 0, outstanding = 0;
	const char *cur = spm__collab_currency(c, "amount");
	char *alloc = NULL, a[80], b[80];
	size_t len = 0;
	int found = first == 0, rc = installments(&plan, t->db, c->id);

	for (size_t i = 0; rc == SPM_OK && i < plan.n; i++) {
		sum += spm__fld_num(plan.recs[i], "amount");
		outstanding += spm__fld_num(plan.recs[i], "amount") - spm__fld_num(plan.recs[i], "paid");
		found |= plan.recs[i]->id == first;
	}
	if (rc == SPM_OK && plan.n == 0)
		rc = spm__error_set(SPM_EINVAL, "contract %" PRId64 " has no payment plan", c->id);
	else if (rc == SPM_OK && sum != spm__fld_num(c, "amount"))
		rc = spm__error_set(SPM_EINVAL, "the payment plan of contract %" PRId64 " sums to "
				    "%s, not the contract amount %s; set the plan again", c->id,
				    spm__collab_money_text(a, sizeof(a), sum, cur),
				    spm__collab_money_text(b, sizeof(b), spm__fld_num(c, "amount"), cur));
	else if (rc == SPM_OK && !found)
		rc = spm__error_set(SPM_EINVAL, "payment.installment_id: installment %" PRId64
				    " is not in contract %" PRId64, first, c->id);
	for (int pass = 0; rc == SPM_OK && pass < 2; pass++)
		for (size_t i = 0; rc == SPM_OK && left > 0 && i < plan.n; i++) {
			const spm_record *in = plan.recs[i];
			int64_t open = spm__fld_num(in, "amount") - spm__fld_num(in, "paid");
			int64_t take = open < left ? open : left;

			if ((pass == 0) != (in->id == first) || take <= 0)
				continue;
			rc = append(&alloc, &len, t->db, in->id, take);
			left -= take;
		}
	if (rc == SPM_OK && left > 0 && spm__fld_is(spm__fld_text(c, "overpayment"), "refuse"))
		rc = spm__error_set(SPM_EINVAL, "a payment of %s exceeds the %s outstanding on "
				    "contract %" PRId64 " (its overpayment policy is refuse)",
				    spm__collab_money_text(a, sizeof(a), spm__fld_num(pay, "amount"), cur),
				    spm__collab_money_text(b, sizeof(b), outstanding, cur), c->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(pay, "allocation", alloc ? alloc : "");
	if (rc == SPM_OK)
		rc = spm__collab_put_money(pay, "credit", left, cur);
	spm__free(t->db, alloc);
	spm__page_clear(t->db, &plan);
	return rc;
}

static int create(struct spm__txn *t, spm_record *after)
{
	spm_record *c = NULL, *opp = NULL;
	const char *cur, *pcur = spm__collab_currency(after, "amount");
	int64_t owner;
	int rc = spm__collab_get(&c, t->db, "contract", spm__fld_num(after, "contract_id"));

	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "payment.contract_id: contract %" PRId64
				      " does not exist", spm__fld_num(after, "contract_id"));
	if (rc != SPM_OK)
		return rc;
	cur = spm__collab_currency(c, "amount");
	owner = spm__fld_num(c, "owner_id");
	if (spm__fld_num(after, "amount") <= 0)
		rc = spm__error_set(SPM_EINVAL, "payment.amount must be > 0");
	else if (strcmp(pcur, cur) != 0)
		rc = spm__error_set(SPM_ECURRENCY, "payment in %s for contract %" PRId64 " in %s",
				    pcur, c->id, cur);
	else if (!spm__fld_is(spm__fld_text(c, "status"), "active"))
		rc = spm__error_set(SPM_EINVAL, "contract %" PRId64 " is %s and takes no payments",
				    c->id, spm__fld_text(c, "status"));
	if (rc == SPM_OK) {
		rc = spm__collab_get(&opp, t->db, "opportunity", spm__fld_num(c, "opportunity_id"));
		if (rc == SPM_OK && spm__fld_has(opp, "owner_id"))
			owner = spm__fld_num(opp, "owner_id");  /* the deal's owner now */
		if (rc == SPM_ENOTFOUND)
			rc = SPM_OK;
	}
	if (rc == SPM_OK)
		rc = allocate(t, c, after);
	if (rc == SPM_OK && spm__fld_has(c, "customer_id"))
		rc = spm__fld_put_num(after, "customer_id", spm__fld_num(c, "customer_id"));
	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "opportunity_id", spm__fld_num(c, "opportunity_id"));
	if (rc == SPM_OK && owner)
		rc = spm__fld_put_num(after, "owner_id", owner);
	spm_record_free(opp);
	spm_record_free(c);
	return rc;
}

int spm__payment_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	static const char *const fixed[] = { "contract_id", "installment_id", "amount",
					     "received_at" };

	if (after == NULL)
		return spm__error_set(SPM_EPERM, "payments are kept as recorded; record a "
				      "credit_note for a refund");
	if (before == NULL)
		return create(t, after);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (spm__collab_changed(before, after, fixed[i]))
			return spm__error_set(SPM_EINVAL, "payment.%s cannot change: payments are "
					      "kept as recorded", fixed[i]);
	return SPM_OK;
}

static const char *const paid_fields[] = { "paid", "status", NULL };
static const char *const credit_fields[] = { "paid", "credit", NULL };

/* Adds amount to one installment's paid. */
static int pay_installment(struct spm__txn *t, int64_t id, int64_t amount)
{
	spm_record *in = NULL, *old = NULL, *stored = NULL;
	int64_t paid;
	int rc = spm__collab_get(&in, t->db, "installment", id);

	paid = rc == SPM_OK ? spm__fld_num(in, "paid") + amount : 0;
	if (rc == SPM_OK)
		rc = spm__record_copy(&old, in);
	if (rc == SPM_OK)
		rc = spm__collab_put_money(in, "paid", paid, spm__collab_currency(in, "amount"));
	if (rc == SPM_OK)
		rc = spm__fld_put_text(in, "status",
				       paid >= spm__fld_num(in, "amount") ? "paid" : "partial");
	if (rc == SPM_OK)
		rc = spm__write_save(t, in, &stored);
	if (rc == SPM_OK)
		rc = spm__collab_audit(t, old, stored, paid_fields);
	spm_record_free(stored);
	spm_record_free(old);
	spm_record_free(in);
	return rc;
}

int spm__payment_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *p = spm__fld_text(after, "allocation");
	const char *cur = spm__collab_currency(after, "amount");
	int64_t credit = spm__fld_num(after, "credit"), amount = spm__fld_num(after, "amount");
	spm_record *c = NULL, *old = NULL, *stored = NULL;
	json_t *payload;
	char *text;
	int rc = SPM_OK;

	if (before)
		return SPM_OK;
	while (rc == SPM_OK && p && *p) {
		char *end;
		long long id = strtoll(p, &end, 10), part = end[0] == ':' ? strtoll(end + 1, &end, 10) : 0;

		rc = pay_installment(t, (int64_t)id, (int64_t)part);
		p = *end == ',' ? end + 1 : end;
	}
	if (rc == SPM_OK)
		rc = spm__collab_get(&c, t->db, "contract", spm__fld_num(after, "contract_id"));
	if (rc == SPM_OK)
		rc = spm__record_copy(&old, c);
	if (rc == SPM_OK)
		rc = spm__collab_put_money(c, "paid", spm__fld_num(c, "paid") + amount - credit, cur);
	if (rc == SPM_OK)
		rc = spm__collab_put_money(c, "credit", spm__fld_num(c, "credit") + credit, cur);
	if (rc == SPM_OK && spm__fld_num(c, "paid") >= spm__fld_num(c, "amount"))
		rc = spm__fld_put_text(c, "status", "completed");
	if (rc == SPM_OK)
		rc = spm__write_save(t, c, &stored);
	if (rc == SPM_OK)
		rc = spm__collab_audit(t, old, stored, credit_fields);
	payload = json_pack("{s:I,s:I,s:I,s:I,s:s}", "contract_id",
			    (json_int_t)spm__fld_num(after, "contract_id"), "owner_id",
			    (json_int_t)spm__fld_num(after, "owner_id"), "amount", (json_int_t)amount,
			    "credit", (json_int_t)credit, "currency", cur);
	text = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(payload);
	if (rc == SPM_OK && text == NULL)
		rc = spm__error_oom();
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_PAYMENT_RECEIVED, "payment", after->id, text);
	free(text);
	spm_record_free(stored);
	spm_record_free(old);
	spm_record_free(c);
	return rc;
}

/* tick: one event per installment past due and not fully paid. */
static int overdue(struct spm__txn *t, spm_record *in, const spm_record *c)
{
	spm_record *stored = NULL;
	char payload[256], due[16];
	const char *cur = spm__collab_currency(in, "amount");
	int rc;

	spm_date_format(due, sizeof(due), (spm_date)spm__fld_num(in, "due_on"));
	snprintf(payload, sizeof(payload), "{\"contract_id\":%" PRId64 ",\"due_on\":\"%s\","
		 "\"outstanding\":%" PRId64 ",\"currency\":\"%s\",\"owner_id\":%" PRId64 "}",
		 spm__fld_num(in, "contract_id"), due,
		 spm__fld_num(in, "amount") - spm__fld_num(in, "paid"), cur ? cur : "",
		 c ? spm__fld_num(c, "owner_id") : 0);
	rc = spm__txn_event(t, SPM_EVENT_INSTALLMENT_OVERDUE, "installment", in->id, payload);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(in, "overdue_raised", 1);
	if (rc == SPM_OK)
		rc = spm__write_save(t, in, &stored);
	spm_record_free(stored);
	return rc;
}

int spm__installment_overdue_run(spm_db *db, spm_time now)
{
	spm_kind *k = spm__kind_find(db, "installment", 0);
	spm_date today;
	spm_scan_cond conds[2] = { { 0, SPM_CMP_LT, 0, NULL }, { 0, SPM_CMP_NE, 0, "paid" } };
	spm_scan scan = { SPM_SCAN_VERSION, conds, 2, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	struct spm__txn t;
	int rc;

	if (k == NULL || spm_date_from_time(&today, now) != SPM_OK)
		return SPM_OK;
	conds[0].field = (size_t)spm__core_index(k, "due_on");
	conds[0].ivalue = today;
	conds[1].field = (size_t)spm__core_index(k, "status");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	t.at = now;
	rc = spm__scan_page(db, &page, k, &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		spm_record *in = page.recs[i], *c = NULL;
		if (spm__fld_num(in, "overdue_raised") ||
		    spm__fld_num(in, "paid") >= spm__fld_num(in, "amount"))
			continue;
		rc = spm__collab_get(&c, db, "contract", spm__fld_num(in, "contract_id"));
		if (rc == SPM_ENOTFOUND)
			rc = SPM_OK;
		if (rc == SPM_OK && (c == NULL || spm__fld_is(spm__fld_text(c, "status"), "active")))
			rc = overdue(&t, in, c);
		spm_record_free(c);
	}
	spm__page_clear(db, &page);
	if (rc != SPM_OK || t.nev == 0) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
