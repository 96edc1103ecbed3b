/* What comes after a sale and counts against it: refunds (credit notes) and
 * customer complaints, recorded against the customer and the deal. Each
 * raises an event; the deal's owner is kept for clawbacks and alerts. */
#include "domain/collab.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Checks the customer, and that the deal (and contract) belong to it; sets
 * owner_id to the deal's owner, else the customer's. */
static int check_links(struct spm__txn *t, spm_record *after)
{
	const char *kind = after->kind->name;
	int64_t customer = spm__fld_num(after, "customer_id");
	spm_record *cust = NULL, *opp = NULL, *c = NULL;
	int64_t owner = 0;
	int rc = spm__collab_get(&cust, t->db, "customer", customer);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "%s.customer_id: customer %" PRId64 " does not "
				    "exist", kind, customer);
	if (rc == SPM_OK)
		owner = spm__fld_num(cust, "owner_id");
	if (rc == SPM_OK && spm__fld_has(after, "opportunity_id")) {
		rc = spm__collab_get(&opp, t->db, "opportunity", spm__fld_num(after, "opportunity_id"));
		if (rc == SPM_ENOTFOUND)
			rc = spm__error_set(SPM_ENOTFOUND, "%s.opportunity_id: opportunity %" PRId64
					    " does not exist", kind,
					    spm__fld_num(after, "opportunity_id"));
		else if (rc == SPM_OK && spm__fld_num(opp, "customer_id") != customer)
			rc = spm__error_set(SPM_EINVAL, "%s: opportunity %" PRId64 " is not a deal "
					    "of customer %" PRId64, kind, opp->id, customer);
		if (rc == SPM_OK && spm__fld_has(opp, "owner_id"))
			owner = spm__fld_num(opp, "owner_id");
	}
	if (rc == SPM_OK && spm__fld_has(after, "contract_id")) {
		rc = spm__collab_get(&c, t->db, "contract", spm__fld_num(after, "contract_id"));
		if (rc == SPM_ENOTFOUND)
			rc = spm__error_set(SPM_ENOTFOUND, "%s.contract_id: contract %" PRId64
					    " does not exist", kind, spm__fld_num(after, "contract_id"));
		else if (rc == SPM_OK && (spm__fld_num(c, "customer_id") != customer ||
					  (opp && spm__fld_num(c, "opportunity_id") != opp->id)))
			rc = spm__error_set(SPM_EINVAL, "%s: contract %" PRId64 " belongs to another "
					    "customer or deal", kind, c->id);
	}
	if (rc == SPM_OK && owner)
		rc = spm__fld_put_num(after, "owner_id", owner);
	spm_record_free(c);
	spm_record_free(opp);
	spm_record_free(cust);
	return rc;
}

static int raise(struct spm__txn *t, int type, const spm_record *rec, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc = text ? spm__txn_event(t, type, rec->kind->name, rec->id, text) : spm__error_oom();

	json_decref(payload);
	free(text);
	return rc;
}

int spm__credit_note_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	static const char *const fixed[] = { "customer_id", "opportunity_id", "contract_id",
					     "amount", "at" };

	if (after == NULL)
		return spm__error_set(SPM_EPERM, "credit notes are kept as issued; issue another");
	if (before) {
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (spm__collab_changed(before, after, fixed[i]))
				return spm__error_set(SPM_EINVAL, "credit_note.%s cannot change: "
						      "credit notes are kept as issued", fixed[i]);
		return SPM_OK;
	}
	if (spm__fld_num(after, "amount") <= 0)
		return spm__error_set(SPM_EINVAL, "credit_note.amount must be > 0");
	return check_links(t, after);
}

int spm__credit_note_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	if (before)
		return SPM_OK;
	return raise(t, SPM_EVENT_REFUND_RECORDED, after,
		     json_pack("{s:I,s:I,s:I,s:I,s:s}", "customer_id",
			       (json_int_t)spm__fld_num(after, "customer_id"), "opportunity_id",
			       (json_int_t)spm__fld_num(after, "opportunity_id"), "owner_id",
			       (json_int_t)spm__fld_num(after, "owner_id"), "amount",
			       (json_int_t)spm__fld_num(after, "amount"), "currency",
			       spm__collab_currency(after, "amount")));
}

static int one_of(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

int spm__complaint_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	static const char *const severities[] = { "low", "medium", "high", "critical" };
	static const char *const statuses[] = { "open", "resolved", "closed" };
	int rc = SPM_OK;

	if (after == NULL)
		return SPM_OK;
	if (!one_of(spm__fld_text(after, "severity"), severities, 4))
		return spm__error_set(SPM_EINVAL, "complaint.severity must be low, medium, high or "
				      "critical");
	if (!spm__fld_has(after, "status"))
		rc = spm__fld_put_text(after, "status", "open");
	if (rc == SPM_OK && !one_of(spm__fld_text(after, "status"), statuses, 3))
		return spm__error_set(SPM_EINVAL, "complaint.status must be open, resolved or closed");
	if (rc == SPM_OK && (before == NULL || spm__collab_changed(before, after, "customer_id") ||
			     spm__collab_changed(before, after, "opportunity_id")))
		rc = check_links(t, after);
	return rc;
}

int spm__complaint_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	if (before)
		return SPM_OK;
	return raise(t, SPM_EVENT_COMPLAINT_RECORDED, after,
		     json_pack("{s:I,s:I,s:I,s:s,s:s}", "customer_id",
			       (json_int_t)spm__fld_num(after, "customer_id"), "opportunity_id",
			       (json_int_t)spm__fld_num(after, "opportunity_id"), "owner_id",
			       (json_int_t)spm__fld_num(after, "owner_id"), "category",
			       spm__fld_text(after, "category"), "severity",
			       spm__fld_text(after, "severity")));
}
