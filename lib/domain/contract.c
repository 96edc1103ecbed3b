/* Contracts of won deals and their payment plans: installments that sum
 * exactly to the contract amount, written only by spm_contract_set_plan(). */
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <string.h>

#define MAX_INSTALLMENTS 1000

static int one_of(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

static int create(struct spm__txn *t, spm_record *after)
{
	spm_record *opp = NULL;
	const char *cur = spm__collab_currency(after, "amount");
	int rc = spm__collab_get(&opp, t->db, "opportunity", spm__fld_num(after, "opportunity_id"));

	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "contract.opportunity_id: opportunity %" PRId64
				      " does not exist", spm__fld_num(after, "opportunity_id"));
	if (rc == SPM_OK && !spm__fld_is(spm__fld_text(opp, "status"), "won"))
		rc = spm__error_set(SPM_EINVAL, "opportunity %" PRId64 " is not won; only a won "
				    "deal carries a contract", opp->id);
	if (rc == SPM_OK && spm__fld_has(opp, "customer_id"))
		rc = spm__fld_put_num(after, "customer_id", spm__fld_num(opp, "customer_id"));
	if (rc == SPM_OK && spm__fld_has(opp, "owner_id"))
		rc = spm__fld_put_num(after, "owner_id", spm__fld_num(opp, "owner_id"));
	if (rc == SPM_OK)
		rc = spm__collab_put_money(after, "paid", 0, cur);
	if (rc == SPM_OK)
		rc = spm__collab_put_money(after, "credit", 0, cur);
	spm_record_free(opp);
	return rc;
}

int spm__contract_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	static const char *const statuses[] = { "active", "completed", "cancelled" };
	static const char *const policies[] = { "refuse", "credit" };
	int rc = SPM_OK;

	if (after == NULL) {
		if (spm__fld_num(before, "paid") > 0 || spm__fld_num(before, "credit") > 0)
			return spm__error_set(SPM_EPERM, "contract %" PRId64 " has payments; cancel "
					      "it instead", before->id);
		return SPM_OK;
	}
	if (spm__fld_num(after, "amount") <= 0)
		return spm__error_set(SPM_EINVAL, "contract.amount must be > 0");
	if (!spm__fld_has(after, "status"))
		rc = spm__fld_put_text(after, "status", "active");
	if (rc == SPM_OK && !spm__fld_has(after, "overpayment"))
		rc = spm__fld_put_text(after, "overpayment", "refuse");
	if (rc == SPM_OK && !one_of(spm__fld_text(after, "status"), statuses, 3))
		return spm__error_set(SPM_EINVAL, "contract.status must be active, completed or "
				      "cancelled");
	if (rc == SPM_OK && !one_of(spm__fld_text(after, "overpayment"), policies, 2))
		return spm__error_set(SPM_EINVAL, "contract.overpayment must be refuse or credit");
	if (rc == SPM_OK && before == NULL)
		return create(t, after);
	if (rc == SPM_OK && spm__collab_changed(before, after, "opportunity_id"))
		return spm__error_set(SPM_EINVAL, "contract %" PRId64 " cannot move to another "
				      "opportunity", after->id);
	if (rc == SPM_OK && spm__collab_changed(before, after, "amount") &&
	    (spm__fld_num(before, "paid") > 0 || spm__fld_num(before, "credit") > 0))
		return spm__error_set(SPM_EINVAL, "contract %" PRId64 " has payments; its amount "
				      "can no longer change", after->id);
	return rc;
}

int spm__installment_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	(void)t;
	if (after == NULL && spm__fld_num(before, "paid") > 0)
		return spm__error_set(SPM_EPERM, "installment %" PRId64 " has payments", before->id);
	return SPM_OK;
}

int spm_installment_split(int64_t *out_amounts, int64_t amount, size_t n)
{
	SPM__CHECK_ARG(out_amounts);
	if (n == 0 || n > MAX_INSTALLMENTS)
		return spm__error_set(SPM_EINVAL, "installments: n must be 1..%d", MAX_INSTALLMENTS);
	if (amount <= 0 || (uint64_t)amount < n)
		return spm__error_set(SPM_EINVAL, "installments: the amount must be > 0 and at "
				      "least one minor unit per installment");
	for (size_t i = 0; i < n; i++)
		out_amounts[i] = 1;
	return spm_money_split(out_amounts, amount, out_amounts, n);
}

static int check_plan(const spm_record *c, const int64_t *amounts, const spm_date *due, size_t n)
{
	int64_t sum = 0;
	char a[80], b[80];
	const char *cur = spm__collab_currency(c, "amount");
	int y, m, d;

	if (n == 0 || n > MAX_INSTALLMENTS)
		return spm__error_set(SPM_EINVAL, "a payment plan has 1..%d installments",
				      MAX_INSTALLMENTS);
	if (spm__fld_num(c, "paid") > 0 || spm__fld_num(c, "credit") > 0)
		return spm__error_set(SPM_EINVAL, "contract %" PRId64 " has payments; its plan can "
				      "no longer change", c->id);
	if (!spm__fld_is(spm__fld_text(c, "status"), "active"))
		return spm__error_set(SPM_EINVAL, "contract %" PRId64 " is %s", c->id,
				      spm__fld_text(c, "status"));
	for (size_t i = 0; i < n; i++) {
		if (amounts[i] <= 0)
			return spm__error_set(SPM_EINVAL, "installment %zu: the amount must be > 0",
					      i + 1);
		if (spm_date_to_ymd(&y, &m, &d, due[i]) != SPM_OK)
			return spm__error_set(SPM_EINVAL, "installment %zu: the due date is out of "
					      "range", i + 1);
		if (i && due[i] < due[i - 1])
			return spm__error_set(SPM_EINVAL, "installment %zu is due before "
					      "installment %zu", i + 1, i);
		if (spm_money_add(&sum, sum, amounts[i]) != SPM_OK)
			return spm__error_set(SPM_EOVERFLOW, "the installments' sum overflows");
	}
	if (sum != spm__fld_num(c, "amount"))
		return spm__error_set(SPM_EINVAL, "the installments sum to %s, the contract amount "
				      "is %s", spm__collab_money_text(a, sizeof(a), sum, cur),
				      spm__collab_money_text(b, sizeof(b), spm__fld_num(c, "amount"),
							     cur));
	return SPM_OK;
}

static const char *const plan_fields[] = { "number", "due_on", "amount", NULL };

static int plan_in_txn(struct spm__txn *t, int64_t contract, const int64_t *amounts,
		       const spm_date *due, size_t n)
{
	spm_kind *kind = spm__kind_find(t->db, "installment", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(kind, "contract_id"), SPM_CMP_EQ, contract,
			       NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page old = { NULL, 0, 0 };
	struct spm__scope *s;
	spm_record *c = NULL;
	int seen = 0, rc = spm__collab_get(&c, t->db, "contract", contract);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, c);
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !seen))
		rc = spm__error_set(SPM_ENOTFOUND, "contract %" PRId64 " does not exist", contract);
	if (rc == SPM_OK)
		rc = check_plan(c, amounts, due, n);
	if (rc == SPM_OK)
		rc = spm__scan_page(t->db, &old, kind, &scan);
	for (size_t i = 0; rc == SPM_OK && i < old.n; i++)
		rc = spm__write_delete(t, kind, old.recs[i]->id);
	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		spm_record *inst = NULL, *stored = NULL;
		const char *cur = spm__collab_currency(c, "amount");

		rc = spm__record_make(&inst, t->db, kind);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(inst, "contract_id", contract);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(inst, "number", (int64_t)i + 1);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(inst, "due_on", due[i]);
		if (rc == SPM_OK)
			rc = spm__collab_put_money(inst, "amount", amounts[i], cur);
		if (rc == SPM_OK)
			rc = spm__collab_put_money(inst, "paid", 0, cur);
		if (rc == SPM_OK)
			rc = spm__fld_put_text(inst, "status", "open");
		if (rc == SPM_OK)
			rc = spm__write_save(t, inst, &stored);
		if (rc == SPM_OK)  /* read-only fields are not audited by the write itself */
			rc = spm__collab_audit(t, NULL, stored, plan_fields);
		spm_record_free(stored);
		spm_record_free(inst);
	}
	spm__page_clear(t->db, &old);
	spm_record_free(c);
	return rc;
}

int spm_contract_set_plan(spm_db *db, int64_t contract, const int64_t *amounts,
			  const spm_date *due, size_t n)
{
	struct spm__txn t;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(amounts);
	SPM__CHECK_ARG(due);
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = plan_in_txn(&t, contract, amounts, due, n);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
