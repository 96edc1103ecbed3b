/* Quotes: versions, exact totals, what is editable, and the discount that
 * needs approval before the quote can be sent. */
#include "collab_helpers.h"

TestSuite(quote, .init = org_setup, .fini = org_teardown);

static int64_t quote_for(int64_t opp)
{
	char o[24];

	snprintf(o, sizeof(o), "%lld", (long long)opp);
	return ADD("quote", "opportunity_id", o);
}

static int64_t line(int64_t quote, const char *qty, const char *price, const char *bp)
{
	char q[24];

	snprintf(q, sizeof(q), "%lld", (long long)quote);
	return ADD("quote_line", "quote_id", q, "product", "Widget", "quantity", qty, "unit_price",
		   price, "discount_bp", bp);
}

static int add_line(int64_t quote, const char *qty, const char *price, const char *bp)
{
	spm_record *r;
	char q[24];
	int rc;

	snprintf(q, sizeof(q), "%lld", (long long)quote);
	cr_assert_eq(spm_record_new(&r, db, "quote_line"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "quote_id", q), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "product", "Widget"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "quantity", qty), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "unit_price", price), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "discount_bp", bp), SPM_OK);
	rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

Test(quote, totals_are_exact_with_half_even_rounding)
{
	int64_t q = quote_for(deal(1, U_AN, "open"));

	line(q, "3", "33.33 CNY", "0");        /* 99.99 */
	line(q, "1", "0.05 CNY", "5000");      /* 0.025 → 0.02 */
	cr_assert_eq(update("quote", q, "discount_bp", "1250"), SPM_OK); /* 12.50125 → 12.50 */
	cr_assert_str_eq(field_of("quote", q, "list_total"), "100.04 CNY");
	cr_assert_str_eq(field_of("quote", q, "subtotal"), "100.01 CNY");
	cr_assert_str_eq(field_of("quote", q, "discount"), "12.50 CNY");
	cr_assert_str_eq(field_of("quote", q, "total"), "87.51 CNY");
	/* (100.04 − 87.51) / 100.04 = 12.5249…%, floored to basis points */
	cr_assert_str_eq(field_of("quote", q, "effective_discount_bp"), "1252");
	cr_assert_str_eq(field_of("quote", q, "status"), "draft");
	cr_assert_str_eq(field_of("quote", q, "version"), "1");
	cr_assert_str_eq(field_of("quote", q, "latest"), "true");
}

Test(quote, deleting_a_line_recomputes_the_totals)
{
	int64_t q = quote_for(deal(1, U_AN, "open"));
	int64_t l1 = line(q, "2", "10.00 CNY", "0");

	line(q, "1", "5.00 CNY", "0");
	cr_assert_str_eq(field_of("quote", q, "total"), "25.00 CNY");
	cr_assert_eq(spm_record_delete(db, "quote_line", l1), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field_of("quote", q, "total"), "5.00 CNY");
	cr_assert_str_eq(field_of("quote_line", l1 + 1, "amount"), "5.00 CNY");
}

Test(quote, a_new_version_copies_the_previous_and_only_the_latest_is_editable)
{
	int64_t opp = deal(1, U_AN, "open"), q1 = quote_for(opp), q2 = 0;

	line(q1, "4", "25.00 CNY", "1000");
	cr_assert_eq(update("quote", q1, "note", "first"), SPM_OK);
	cr_assert_eq(spm_quote_revise(&q2, db, q1), SPM_OK, "%s", spm_error_message());
	cr_assert_neq(q2, 0);
	cr_assert_str_eq(field_of("quote", q2, "version"), "2");
	cr_assert_eq(atoll(field_of("quote", q2, "previous_id")), q1);
	cr_assert_str_eq(field_of("quote", q2, "latest"), "true");
	cr_assert_str_eq(field_of("quote", q1, "latest"), "false");
	cr_assert_str_eq(field_of("quote", q2, "note"), "first");
	cr_assert_str_eq(field_of("quote", q2, "total"), "90.00 CNY");
	cr_assert_eq(count_records(db, "quote_line"), 2);
	/* the old version is frozen */
	cr_assert_eq(update("quote", q1, "note", "again"), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "only the latest version is editable"));
	cr_assert_eq(add_line(q1, "1", "1.00 CNY", "0"), SPM_EINVAL);
	cr_assert_eq(spm_quote_revise(NULL, db, q1), SPM_EINVAL);
	/* creating a quote directly also makes the next version */
	cr_assert_eq(quote_for(opp), q2 + 1);
	cr_assert_str_eq(field_of("quote", q2 + 1, "version"), "3");
	cr_assert_str_eq(field_of("quote", q2 + 1, "total"), "90.00 CNY");
	cr_assert_str_eq(field_of("quote", q2, "latest"), "false");
}

Test(quote, status_moves_and_only_a_draft_is_editable)
{
	int64_t q = quote_for(deal(1, U_AN, "open")), req = -1;

	cr_assert_eq(spm_quote_send(&req, db, q), SPM_EINVAL);  /* no lines */
	cr_assert(strstr(spm_error_message(), "no lines"));
	line(q, "1", "10.00 CNY", "0");
	cr_assert_eq(update("quote", q, "status", "accepted"), SPM_EINVAL);
	cr_assert_eq(spm_quote_send(&req, db, q), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(req, 0);
	cr_assert_str_eq(field_of("quote", q, "status"), "sent");
	cr_assert_str_eq(field_of("quote", q, "sent_at"), "2026-03-01T09:00:00Z");
	cr_assert_eq(update("quote", q, "discount_bp", "100"), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "only a draft is editable"));
	cr_assert_eq(update("quote", q, "status", "draft"), SPM_EINVAL);
	cr_assert_eq(update("quote", q, "status", "accepted"), SPM_OK);
	cr_assert_eq(update("quote", q, "status", "rejected"), SPM_EINVAL);
}

Test(quote, bad_input_is_refused_and_changes_nothing)
{
	int64_t opp = deal(1, U_AN, "open"), q = quote_for(opp);
	char o[24];
	spm_record *r;

	snprintf(o, sizeof(o), "%lld", (long long)opp);
	line(q, "1", "10.00 CNY", "0");
	cr_assert_eq(update("quote", q, "discount_bp", "10001"), SPM_EINVAL);
	cr_assert_eq(update("quote", q, "discount_bp", "-1"), SPM_EINVAL);
	cr_assert_eq(add_line(q, "0", "1.00 CNY", "0"), SPM_EINVAL);
	cr_assert_eq(add_line(q, "1", "-1.00 CNY", "0"), SPM_EINVAL);
	cr_assert_eq(add_line(q, "1", "1.00 CNY", "20000"), SPM_EINVAL);
	cr_assert_eq(add_line(q, "1", "1.00 USD", "0"), SPM_ECURRENCY);
	cr_assert_eq(add_line(q, "9223372036854775807", "1.00 CNY", "0"), SPM_EOVERFLOW);
	cr_assert_eq(add_line(999, "1", "1.00 CNY", "0"), SPM_ENOTFOUND);
	cr_assert_eq(count_records(db, "quote_line"), 1);
	cr_assert_str_eq(field_of("quote", q, "total"), "10.00 CNY");
	cr_assert_eq(spm_record_delete(db, "quote", q), SPM_EPERM);
	cr_assert_eq(spm_record_new(&r, db, "quote"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "opportunity_id", 999), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_set_from_text(r, "opportunity_id", o), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "status", "sent"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_int(r, "version", 7), SPM_EINVAL);  /* the library's */
	spm_record_free(r);
	cr_assert_eq(spm_quote_send(NULL, db, 999), SPM_ENOTFOUND);
	cr_assert_eq(spm_quote_revise(NULL, NULL, q), SPM_EINVAL);
}

Test(quote, a_rep_sees_only_quotes_of_deals_they_may_see)
{
	int64_t mine = quote_for(deal(1, U_AN, "open")), theirs = quote_for(deal(2, U_BO, "open"));

	line(mine, "1", "1.00 CNY", "0");
	line(theirs, "1", "1.00 CNY", "0");
	cr_assert_eq(count_as(U_AN, "quote"), 1);
	cr_assert_eq(count_as(U_AN, "quote_line"), 1);
	cr_assert_eq(count_as(U_MO, "quote"), 2);
	as(U_AN);
	cr_assert_eq(spm_quote_send(NULL, db, theirs), SPM_ENOTFOUND);
	cr_assert_eq(spm_quote_revise(NULL, db, theirs), SPM_ENOTFOUND);
	cr_assert_eq(add_line(theirs, "1", "1.00 CNY", "0"), SPM_ENOTFOUND);
	cr_assert_eq(spm_quote_send(NULL, db, mine), SPM_OK);
}
