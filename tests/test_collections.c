/* Contracts and collections (回款): payment plans that sum exactly, payments
 * reconciled against installments (partial, over-payment refused or held as
 * credit), overdue installments raised once from tick, refunds and
 * complaints. */
#include "collab_helpers.h"

TestSuite(collections, .init = org_setup, .fini = org_teardown);

/* A contract of 100.00 CNY on a won deal of An's customer. */
static int64_t contract(const char *overpayment)
{
	char o[24];

	snprintf(o, sizeof(o), "%lld", (long long)deal(1, U_AN, "won"));
	return ADD("contract", "opportunity_id", o, "amount", "100.00 CNY", "overpayment",
		   overpayment);
}

static void plan3(int64_t c)
{
	int64_t parts[3];
	spm_date due[3];

	cr_assert_eq(spm_installment_split(parts, 10000, 3), SPM_OK);
	spm_date_parse(&due[0], "2026-03-10");
	spm_date_parse(&due[1], "2026-04-10");
	spm_date_parse(&due[2], "2026-05-10");
	cr_assert_eq(spm_contract_set_plan(db, c, parts, due, 3), SPM_OK, "%s", spm_error_message());
}

static int pay(int64_t c, const char *amount, int64_t installment)
{
	spm_record *r;
	int rc;

	cr_assert_eq(spm_record_new(&r, db, "payment"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "contract_id", c), SPM_OK);
	if (installment)
		cr_assert_eq(spm_record_set_int(r, "installment_id", installment), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "amount", amount), SPM_OK);
	cr_assert_eq(spm_record_set_time(r, "received_at", T0), SPM_OK);
	rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

Test(collections, split_gives_the_leftover_units_to_the_first_installments)
{
	int64_t p[4];

	cr_assert_eq(spm_installment_split(p, 10000, 3), SPM_OK);
	cr_assert_eq(p[0], 3334);
	cr_assert_eq(p[1], 3333);
	cr_assert_eq(p[2], 3333);
	cr_assert_eq(spm_installment_split(p, 10, 4), SPM_OK);
	cr_assert(p[0] == 3 && p[1] == 3 && p[2] == 2 && p[3] == 2);
	cr_assert_eq(spm_installment_split(p, INT64_MAX, 2), SPM_OK);
	cr_assert_eq(p[0], INT64_MAX / 2 + 1);
	cr_assert_eq(p[1], INT64_MAX / 2);
	cr_assert_eq(spm_installment_split(p, 3, 4), SPM_EINVAL);
	cr_assert_eq(spm_installment_split(p, 0, 1), SPM_EINVAL);
	cr_assert_eq(spm_installment_split(p, -5, 1), SPM_EINVAL);
	cr_assert_eq(spm_installment_split(p, 5, 0), SPM_EINVAL);
	cr_assert_eq(spm_installment_split(NULL, 5, 1), SPM_EINVAL);
}

Test(collections, only_a_won_deal_carries_a_contract)
{
	spm_record *r;
	char o[24];

	snprintf(o, sizeof(o), "%lld", (long long)deal(1, U_AN, "open"));
	cr_assert_eq(spm_record_new(&r, db, "contract"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "opportunity_id", o), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "amount", "100.00 CNY"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "is not won"));
	cr_assert_eq(spm_record_set_int(r, "opportunity_id", 99), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	spm_record_free(r);
	cr_assert_eq(count_records(db, "contract"), 0);
	cr_assert_str_eq(field_of("contract", contract("refuse"), "owner_id"), "2");
	cr_assert_str_eq(field_of("contract", 1, "customer_id"), "1");
	cr_assert_str_eq(field_of("contract", 1, "status"), "active");
	cr_assert_str_eq(field_of("contract", 1, "paid"), "0.00 CNY");
}

Test(collections, a_plan_must_sum_exactly_to_the_contract_amount)
{
	int64_t c = contract("refuse");
	int64_t amounts[2] = { 5000, 4999 }, zero[2] = { 10000, 0 };
	spm_date due[2], back[2];

	spm_date_parse(&due[0], "2026-03-10");
	spm_date_parse(&due[1], "2026-04-10");
	back[0] = due[1];
	back[1] = due[0];
	cr_assert_eq(spm_contract_set_plan(db, c, amounts, due, 2), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "the installments sum to 99.99 CNY, the contract "
			 "amount is 100.00 CNY");
	amounts[1] = 5000;
	cr_assert_eq(spm_contract_set_plan(db, c, amounts, back, 2), SPM_EINVAL);
	cr_assert_eq(spm_contract_set_plan(db, c, zero, due, 2), SPM_EINVAL);
	cr_assert_eq(spm_contract_set_plan(db, c, amounts, due, 0), SPM_EINVAL);
	cr_assert_eq(spm_contract_set_plan(db, 99, amounts, due, 2), SPM_ENOTFOUND);
	cr_assert_eq(spm_contract_set_plan(db, c, NULL, due, 2), SPM_EINVAL);
	cr_assert_eq(count_records(db, "installment"), 0);
	cr_assert_eq(pay(c, "10.00 CNY", 0), SPM_EINVAL);  /* no plan yet */
	cr_assert_eq(spm_contract_set_plan(db, c, amounts, due, 2), SPM_OK);
	plan3(c);  /* replaces the plan while nothing is paid */
	cr_assert_eq(count_records(db, "installment"), 3);
	/* ids 1 and 2 went with the first plan */
	cr_assert_str_eq(audit_of("installment", 3, "amount"), ">33.34 CNY;");
	cr_assert_str_eq(audit_of("installment", 5, "amount"), ">33.33 CNY;");
	cr_assert_str_eq(field_of("installment", 4, "number"), "2");
	cr_assert_str_eq(field_of("installment", 4, "due_on"), "2026-04-10");
	cr_assert_str_eq(field_of("installment", 4, "status"), "open");
}

Test(collections, partial_payments_fill_the_oldest_installments_first)
{
	int64_t c = contract("refuse");
	struct seen s;

	plan3(c);  /* installments 1, 2, 3: 33.34, 33.33, 33.33 */
	cr_assert_eq(pay(c, "50.00 CNY", 0), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field_of("installment", 1, "paid"), "33.34 CNY");
	cr_assert_str_eq(field_of("installment", 1, "status"), "paid");
	cr_assert_str_eq(field_of("installment", 2, "paid"), "16.66 CNY");
	cr_assert_str_eq(field_of("installment", 2, "status"), "partial");
	cr_assert_str_eq(field_of("installment", 3, "status"), "open");
	cr_assert_str_eq(field_of("payment", 1, "allocation"), "1:3334,2:1666");
	cr_assert_str_eq(field_of("payment", 1, "owner_id"), "2");
	cr_assert_str_eq(field_of("payment", 1, "customer_id"), "1");
	cr_assert_str_eq(field_of("payment", 1, "opportunity_id"), "1");
	cr_assert_str_eq(field_of("payment", 1, "credit"), "0.00 CNY");
	cr_assert_str_eq(field_of("contract", c, "paid"), "50.00 CNY");
	cr_assert_str_eq(audit_of("installment", 2, "paid"), "0.00 CNY>16.66 CNY;");
	s = events_of(SPM_EVENT_PAYMENT_RECEIVED);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.payload, "{\"contract_id\":1,\"owner_id\":2,\"amount\":5000,"
			 "\"credit\":0,\"currency\":\"CNY\"}");
	/* a payment naming an installment goes there first */
	cr_assert_eq(pay(c, "10.00 CNY", 3), SPM_OK);
	cr_assert_str_eq(field_of("installment", 3, "paid"), "10.00 CNY");
	cr_assert_str_eq(field_of("installment", 2, "paid"), "16.66 CNY");
	cr_assert_eq(pay(c, "40.00 CNY", 0), SPM_OK);
	cr_assert_str_eq(field_of("contract", c, "paid"), "100.00 CNY");
	cr_assert_str_eq(field_of("contract", c, "status"), "completed");
	cr_assert_str_eq(field_of("installment", 3, "status"), "paid");
	cr_assert_eq(pay(c, "0.01 CNY", 0), SPM_EINVAL);  /* a completed contract takes no more */
}

Test(collections, an_over_payment_is_refused_by_default)
{
	int64_t c = contract("refuse");

	plan3(c);
	cr_assert_eq(pay(c, "60.00 CNY", 0), SPM_OK);
	cr_assert_eq(pay(c, "40.01 CNY", 0), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "a payment of 40.01 CNY exceeds the 40.00 CNY "
			 "outstanding on contract 1 (its overpayment policy is refuse)");
	cr_assert_eq(count_records(db, "payment"), 1);
	cr_assert_str_eq(field_of("contract", c, "paid"), "60.00 CNY");
	cr_assert_eq(events_of(SPM_EVENT_PAYMENT_RECEIVED).n, 1);
}

Test(collections, an_over_payment_is_held_as_credit_when_configured)
{
	int64_t c = contract("credit");

	plan3(c);
	cr_assert_eq(pay(c, "120.00 CNY", 0), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field_of("payment", 1, "credit"), "20.00 CNY");
	cr_assert_str_eq(field_of("payment", 1, "allocation"), "1:3334,2:3333,3:3333");
	cr_assert_str_eq(field_of("contract", c, "paid"), "100.00 CNY");
	cr_assert_str_eq(field_of("contract", c, "credit"), "20.00 CNY");
	cr_assert_str_eq(field_of("contract", c, "status"), "completed");
	cr_assert_str_eq(audit_of("contract", c, "credit"), "0.00 CNY>20.00 CNY;");
}

Test(collections, bad_payments_are_refused_and_payments_are_kept)
{
	int64_t c = contract("refuse");

	plan3(c);
	cr_assert_eq(pay(c, "0.00 CNY", 0), SPM_EINVAL);
	cr_assert_eq(pay(c, "-1.00 CNY", 0), SPM_EINVAL);
	cr_assert_eq(pay(c, "1.00 USD", 0), SPM_ECURRENCY);
	cr_assert_eq(pay(c, "1.00 CNY", 99), SPM_EINVAL);
	cr_assert_eq(pay(99, "1.00 CNY", 0), SPM_ENOTFOUND);
	cr_assert_eq(count_records(db, "payment"), 0);
	cr_assert_eq(pay(c, "1.00 CNY", 0), SPM_OK);
	cr_assert_eq(update("payment", 1, "amount", "2.00 CNY"), SPM_EINVAL);
	cr_assert_eq(update("payment", 1, "reference", "bank 42"), SPM_OK);
	cr_assert_eq(spm_record_delete(db, "payment", 1), SPM_EPERM);
	cr_assert_eq(spm_record_delete(db, "installment", 1), SPM_EPERM);  /* paid */
	cr_assert_eq(spm_record_delete(db, "contract", c), SPM_EPERM);
	cr_assert_eq(spm_contract_set_plan(db, c, (int64_t[]){ 10000 }, (spm_date[]){ 20600 }, 1),
		     SPM_EINVAL);
	cr_assert_eq(update("contract", c, "amount", "200.00 CNY"), SPM_EINVAL);
}

Test(collections, a_broken_plan_refuses_payments)
{
	int64_t c = contract("refuse");

	plan3(c);
	cr_assert_eq(spm_record_delete(db, "installment", 3), SPM_OK);  /* unpaid: allowed */
	cr_assert_eq(pay(c, "1.00 CNY", 0), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "sums to 66.67 CNY, not the contract amount"));
}

Test(collections, an_overdue_installment_raises_one_event)
{
	int64_t c = contract("refuse");
	spm_time day = 86400;
	struct seen s;

	plan3(c);
	cr_assert_eq(spm_db_tick(db, T0 + 9 * day), SPM_OK);  /* 2026-03-10: due, not late */
	cr_assert_eq(events_of(SPM_EVENT_INSTALLMENT_OVERDUE).n, 0);
	cr_assert_eq(spm_db_tick(db, T0 + 10 * day), SPM_OK);
	s = events_of(SPM_EVENT_INSTALLMENT_OVERDUE);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.entity, 1);
	cr_assert_str_eq(s.payload, "{\"contract_id\":1,\"due_on\":\"2026-03-10\","
			 "\"outstanding\":3334,\"currency\":\"CNY\",\"owner_id\":2}");
	cr_assert_eq(spm_db_tick(db, T0 + 11 * day), SPM_OK);
	cr_assert_eq(events_of(SPM_EVENT_INSTALLMENT_OVERDUE).n, 1);
	/* the second installment is paid before it is late: no event */
	cr_assert_eq(pay(c, "66.67 CNY", 0), SPM_OK);
	cr_assert_eq(spm_db_tick(db, T0 + 45 * day), SPM_OK);
	cr_assert_eq(events_of(SPM_EVENT_INSTALLMENT_OVERDUE).n, 1);
	/* the 66.67 paid installments 1 and 2; the third is late */
	cr_assert_str_eq(field_of("installment", 3, "status"), "open");
	cr_assert_eq(spm_db_tick(db, T0 + 75 * day), SPM_OK);
	s = events_of(SPM_EVENT_INSTALLMENT_OVERDUE);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.entity, 3);
	cr_assert(strstr(s.payload, "\"outstanding\":3333,"), "%s", s.payload);
}

Test(collections, a_partly_paid_overdue_installment_reports_what_is_left)
{
	int64_t c = contract("refuse");
	struct seen s;

	plan3(c);
	cr_assert_eq(pay(c, "10.00 CNY", 0), SPM_OK);
	cr_assert_eq(spm_db_tick(db, T0 + 10 * 86400), SPM_OK);
	s = events_of(SPM_EVENT_INSTALLMENT_OVERDUE);
	cr_assert_eq(s.n, 1);
	cr_assert(strstr(s.payload, "\"outstanding\":2334,"), "%s", s.payload);
	cr_assert_str_eq(field_of("installment", 1, "overdue_raised"), "true");
}

Test(collections, refunds_and_complaints_are_recorded_against_customer_and_deal)
{
	int64_t c = contract("refuse"), other = deal(2, U_BO, "won");
	char o[24];
	spm_record *r;
	struct seen s;

	(void)c;
	ADD("credit_note", "customer_id", "1", "opportunity_id", "1", "contract_id", "1", "amount",
	    "30.00 CNY", "reason", "returned goods", "at", "2026-03-02T00:00:00Z");
	cr_assert_str_eq(field_of("credit_note", 1, "owner_id"), "2");
	s = events_of(SPM_EVENT_REFUND_RECORDED);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.payload, "{\"customer_id\":1,\"opportunity_id\":1,\"owner_id\":2,"
			 "\"amount\":3000,\"currency\":\"CNY\"}");
	cr_assert_eq(update("credit_note", 1, "amount", "1.00 CNY"), SPM_EINVAL);
	cr_assert_eq(update("credit_note", 1, "reason", "returned goods (2 of 3)"), SPM_OK);
	cr_assert_eq(spm_record_delete(db, "credit_note", 1), SPM_EPERM);
	snprintf(o, sizeof(o), "%lld", (long long)other);
	cr_assert_eq(spm_record_new(&r, db, "credit_note"), SPM_OK);
	spm_record_set_int(r, "customer_id", 1);
	spm_record_set_from_text(r, "opportunity_id", o);  /* Bo's deal of another customer */
	spm_record_set_from_text(r, "amount", "1.00 CNY");
	spm_record_set_text(r, "reason", "x");
	spm_record_set_time(r, "at", T0);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_int(r, "opportunity_id", 1), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "amount", "0.00 CNY"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	spm_record_free(r);
	cr_assert_eq(count_records(db, "credit_note"), 1);

	ADD("complaint", "customer_id", "1", "opportunity_id", "1", "category", "delivery",
	    "severity", "high", "content", "late", "at", "2026-03-03T00:00:00Z");
	cr_assert_str_eq(field_of("complaint", 1, "status"), "open");
	cr_assert_str_eq(field_of("complaint", 1, "owner_id"), "2");
	s = events_of(SPM_EVENT_COMPLAINT_RECORDED);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.payload, "{\"customer_id\":1,\"opportunity_id\":1,\"owner_id\":2,"
			 "\"category\":\"delivery\",\"severity\":\"high\"}");
	cr_assert_eq(update("complaint", 1, "severity", "urgent"), SPM_EINVAL);
	cr_assert_eq(update("complaint", 1, "status", "lost"), SPM_EINVAL);
	cr_assert_eq(update("complaint", 1, "status", "resolved"), SPM_OK);
	cr_assert_eq(events_of(SPM_EVENT_COMPLAINT_RECORDED).n, 1);
}

Test(collections, a_rep_sees_only_the_collections_of_deals_they_may_see)
{
	int64_t mine = contract("refuse");
	char o[24];

	plan3(mine);
	snprintf(o, sizeof(o), "%lld", (long long)deal(2, U_BO, "won"));
	ADD("contract", "opportunity_id", o, "amount", "5.00 CNY");
	cr_assert_eq(pay(mine, "1.00 CNY", 0), SPM_OK);
	ADD("complaint", "customer_id", "2", "category", "service", "severity", "low", "at",
	    "2026-03-03T00:00:00Z");
	cr_assert_eq(count_as(U_AN, "contract"), 1);
	cr_assert_eq(count_as(U_BO, "contract"), 1);
	cr_assert_eq(count_as(U_AN, "installment"), 3);
	cr_assert_eq(count_as(U_BO, "installment"), 0);
	cr_assert_eq(count_as(U_AN, "payment"), 1);
	cr_assert_eq(count_as(U_BO, "payment"), 0);
	cr_assert_eq(count_as(U_AN, "complaint"), 0);
	cr_assert_eq(count_as(U_BO, "complaint"), 1);
	cr_assert_eq(count_as(U_MO, "contract"), 2);
	as(U_BO);
	cr_assert_eq(pay(mine, "1.00 CNY", 0), SPM_ENOTFOUND);
	cr_assert_eq(spm_contract_set_plan(db, mine, (int64_t[]){ 10000 }, (spm_date[]){ 20600 }, 1),
		     SPM_ENOTFOUND);
}

Test(collections, the_customer_360_sums_contracts_and_collections)
{
	int64_t c = contract("refuse");
	spm_customer_view *v = NULL;
	const char *json;

	plan3(c);
	cr_assert_eq(pay(c, "50.00 CNY", 0), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(pay(c, "0.25 CNY", 0), SPM_OK);
	as(U_AN);
	cr_assert_eq(spm_customer_360(&v, db, 1), SPM_OK, "%s", spm_error_message());
	json = spm_customer_view_json(v);
	cr_assert(strstr(json, "\"contract_totals\":{\"CNY\":10000}"), "%s", json);
	cr_assert(strstr(json, "\"collection_totals\":{\"CNY\":5025}"), "%s", json);
	cr_assert(strstr(json, "\"contracts\":[{\"kind\":\"contract\",\"id\":1,"), "%s", json);
	spm_customer_view_free(v);
	/* Bo's customer has none */
	as(U_BO);
	cr_assert_eq(spm_customer_360(&v, db, 2), SPM_OK);
	json = spm_customer_view_json(v);
	cr_assert(strstr(json, "\"contracts\":[],\"contract_totals\":{}"), "%s", json);
	cr_assert(strstr(json, "\"collection_totals\":{}"), "%s", json);
	spm_customer_view_free(v);
}
