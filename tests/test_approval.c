/* Approvals: flows with conditions and ordered steps (a user, the owner's
 * manager, a role; any or all), submit → approve / reject, resubmit, and
 * the guarded action (sending a discounted quote) only once approved. */
#include "collab_helpers.h"

TestSuite(approval, .init = org_setup, .fini = org_teardown);

static int64_t flow(const char *steps)
{
	return ADD("approval_flow", "name", "Big discount", "action", "quote_discount", "kind",
		   "quote", "condition", "effective_discount_bp > 1500", "steps", steps);
}

/* An's quote of 10 × 100.00 CNY at the given line discount. */
static int64_t quote_with(const char *bp, int64_t owner)
{
	char o[24], q[24];
	int64_t opp = deal(owner == U_BO ? 2 : 1, owner, "open"), id;

	snprintf(o, sizeof(o), "%lld", (long long)opp);
	id = ADD("quote", "opportunity_id", o);
	snprintf(q, sizeof(q), "%lld", (long long)id);
	ADD("quote_line", "quote_id", q, "product", "Widget", "quantity", "10", "unit_price",
	    "100.00 CNY", "discount_bp", bp);
	return id;
}

static int send_as(int64_t user, int64_t quote, int64_t *req)
{
	as(user);
	return spm_quote_send(req, db, quote);
}

Test(approval, a_discount_below_the_threshold_needs_no_approval)
{
	int64_t q = quote_with("1500", U_AN), req = -1;

	flow("manager");
	cr_assert_eq(send_as(U_AN, q, &req), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(req, 0);
	cr_assert_str_eq(field_of("quote", q, "status"), "sent");
	cr_assert_eq(count_records(db, "approval_request"), 0);
}

Test(approval, a_discount_above_the_threshold_waits_for_the_managers_approval)
{
	int64_t q = quote_with("2000", U_AN), req = 0, again = 0;
	struct seen s;

	flow("manager");
	cr_assert_eq(send_as(U_AN, q, &req), SPM_EAPPROVAL);
	cr_assert(strstr(spm_error_message(), "quote_discount on quote"));
	cr_assert(strstr(spm_error_message(), "is pending"));
	cr_assert_gt(req, 0);
	cr_assert_str_eq(field_of("quote", q, "status"), "draft");
	cr_assert_str_eq(field_of("approval_request", req, "status"), "pending");
	cr_assert_str_eq(field_of("approval_request", req, "approvers"), "any:4");
	cr_assert_str_eq(field_of("approval_request", req, "submitted_by"), "2");
	cr_assert_str_eq(field_of("approval_request", req, "owner_id"), "2");
	s = events_of(SPM_EVENT_APPROVAL_SUBMITTED);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.entity, req);
	cr_assert(strstr(s.payload, "\"approvers\":[4]"), "%s", s.payload);
	/* asking again finds the pending request; saving status by hand is guarded too */
	cr_assert_eq(send_as(U_AN, q, &again), SPM_EAPPROVAL);
	cr_assert_eq(again, req);
	cr_assert_eq(count_records(db, "approval_request"), 1);
	cr_assert_eq(update("quote", q, "status", "sent"), SPM_EAPPROVAL);
	/* only the step's approver decides */
	as(U_BO);
	cr_assert_eq(spm_approval_approve(db, req, "ok"), SPM_EPERM);
	as(U_MO);
	cr_assert_eq(spm_approval_approve(db, req, "fine by me"), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field_of("approval_request", req, "status"), "approved");
	cr_assert_str_eq(field_of("approval_request", req, "decided_at"), "2026-03-01T09:00:00Z");
	cr_assert_eq(events_of(SPM_EVENT_APPROVAL_APPROVED).n, 1);
	cr_assert_str_eq(field_of("approval_vote", 1, "decision"), "approve");
	cr_assert_str_eq(field_of("approval_vote", 1, "comment"), "fine by me");
	cr_assert_str_eq(audit_of("approval_request", req, "status"), ">pending;pending>approved;");
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_EINVAL);  /* not pending */
	cr_assert_eq(send_as(U_AN, q, &again), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(again, 0);
	cr_assert_str_eq(field_of("quote", q, "status"), "sent");
}

Test(approval, an_all_step_needs_every_approver_and_steps_run_in_order)
{
	int64_t q = quote_with("3000", U_AN), req = 0, again = 0;
	struct seen s;

	flow("role:director/all; user:1");
	cr_assert_eq(send_as(U_AN, q, &req), SPM_EAPPROVAL);
	cr_assert_str_eq(field_of("approval_request", req, "approvers"), "all:5,6;any:1");
	as(U_ADA);  /* step 2's approver cannot act on step 1 */
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_EPERM);
	as(U_DI);
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_OK);
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_EEXISTS);
	cr_assert_str_eq(field_of("approval_request", req, "step"), "0");
	cr_assert_eq(send_as(U_AN, q, &again), SPM_EAPPROVAL);
	cr_assert_eq(again, req);
	as(U_DAN);
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_OK);
	cr_assert_str_eq(field_of("approval_request", req, "step"), "1");
	cr_assert_str_eq(field_of("approval_request", req, "status"), "pending");
	s = events_of(SPM_EVENT_APPROVAL_STEP);
	cr_assert_eq(s.n, 2);
	cr_assert(strstr(s.payload, "\"approvers\":[1]"), "%s", s.payload);
	cr_assert_eq(send_as(U_AN, q, NULL), SPM_EAPPROVAL);
	as(U_ADA);
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_OK);
	cr_assert_str_eq(field_of("approval_request", req, "status"), "approved");
	cr_assert_str_eq(audit_of("approval_request", req, "step"), "0>1;");
	cr_assert_eq(send_as(U_AN, q, NULL), SPM_OK);
}

Test(approval, a_rejection_stops_it_and_a_resubmission_starts_over)
{
	int64_t q = quote_with("2000", U_AN), first = 0, second = 0, dup = 0;
	struct seen s;

	flow("manager");
	cr_assert_eq(send_as(U_AN, q, &first), SPM_EAPPROVAL);
	as(U_MO);
	cr_assert_eq(spm_approval_reject(db, first, "too deep"), SPM_OK);
	cr_assert_str_eq(field_of("approval_request", first, "status"), "rejected");
	cr_assert_str_eq(field_of("approval_request", first, "comment"), "too deep");
	s = events_of(SPM_EVENT_APPROVAL_REJECTED);
	cr_assert_eq(s.n, 1);
	cr_assert(strstr(s.payload, "\"comment\":\"too deep\""), "%s", s.payload);
	cr_assert_eq(spm_approval_approve(db, first, NULL), SPM_EINVAL);
	cr_assert_str_eq(field_of("quote", q, "status"), "draft");
	/* resubmit: a new request */
	as(U_AN);
	cr_assert_eq(spm_approval_submit(&second, db, "quote_discount", "quote", q, NULL), SPM_OK,
		     "%s", spm_error_message());
	cr_assert_neq(second, first);
	cr_assert_eq(spm_approval_submit(&dup, db, "quote_discount", "quote", q, NULL), SPM_EEXISTS);
	cr_assert_eq(dup, second);
	as(U_MO);
	cr_assert_eq(spm_approval_approve(db, second, NULL), SPM_OK);
	cr_assert_eq(send_as(U_AN, q, NULL), SPM_OK);
}

Test(approval, a_change_after_submitting_needs_a_new_approval)
{
	int64_t q = quote_with("2000", U_AN), first = 0, second = 0;
	struct seen s;

	flow("manager");
	cr_assert_eq(send_as(U_AN, q, &first), SPM_EAPPROVAL);
	cr_assert_eq(update("quote", q, "discount_bp", "500"), SPM_OK);
	as(U_MO);
	cr_assert_eq(spm_approval_approve(db, first, NULL), SPM_ECONFLICT);
	cr_assert_eq(send_as(U_AN, q, &second), SPM_EAPPROVAL);
	cr_assert_neq(second, first);
	cr_assert_str_eq(field_of("approval_request", first, "status"), "cancelled");
	s = events_of(SPM_EVENT_APPROVAL_CANCELLED);
	cr_assert_eq(s.n, 1);
	cr_assert(strstr(s.payload, "superseded"));
	/* approved, then changed: the approval no longer counts */
	as(U_MO);
	cr_assert_eq(spm_approval_approve(db, second, NULL), SPM_OK);
	as(U_AN);
	cr_assert_eq(update("quote", q, "note", "changed"), SPM_OK);
	cr_assert_eq(send_as(U_AN, q, NULL), SPM_EAPPROVAL);
	cr_assert_eq(count_records(db, "approval_request"), 3);
}

Test(approval, only_the_submitter_cancels)
{
	int64_t q = quote_with("2000", U_AN), req = 0;

	flow("manager");
	cr_assert_eq(send_as(U_AN, q, &req), SPM_EAPPROVAL);
	as(U_BO);
	cr_assert_eq(spm_approval_cancel(db, req), SPM_EPERM);
	as(U_AN);
	cr_assert_eq(spm_approval_cancel(db, req), SPM_OK);
	cr_assert_str_eq(field_of("approval_request", req, "status"), "cancelled");
	cr_assert_eq(spm_approval_cancel(db, req), SPM_EINVAL);
	cr_assert_eq(spm_approval_cancel(db, 999), SPM_ENOTFOUND);
	as(U_MO);
	cr_assert_eq(spm_approval_approve(db, req, NULL), SPM_EINVAL);
}

Test(approval, requests_and_votes_are_written_only_by_the_library)
{
	int64_t q = quote_with("2000", U_AN), req = 0;
	spm_record *r;

	flow("manager");
	cr_assert_eq(send_as(U_AN, q, &req), SPM_EAPPROVAL);
	as(U_ADA);
	cr_assert_eq(spm_record_delete(db, "approval_request", req), SPM_EPERM);
	cr_assert_eq(spm_record_new(&r, db, "approval_request"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "status", "approved"), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "maintained by the library"));
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	spm_record_free(r);
	cr_assert_eq(count_records(db, "approval_request"), 1);
}

Test(approval, flows_are_checked_when_written)
{
	spm_record *r;
	const struct { const char *steps, *cond, *kind, *action; } bad[] = {
		{ "boss", NULL, "quote", "quote_discount" },
		{ "manager/most", NULL, "quote", "quote_discount" },
		{ "user:", NULL, "quote", "quote_discount" },
		{ "user:2,x", NULL, "quote", "quote_discount" },
		{ "", NULL, "quote", "quote_discount" },
		{ "manager", "discount_bp + 1", "quote", "quote_discount" },
		{ "manager", "nope > 1", "quote", "quote_discount" },
		{ "manager", NULL, "nokind", "quote_discount" },
		{ "manager", NULL, "quote", "Bad Action" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(spm_record_new(&r, db, "approval_flow"), SPM_OK);
		spm_record_set_text(r, "name", "f");
		spm_record_set_text(r, "action", bad[i].action);
		spm_record_set_text(r, "kind", bad[i].kind);
		spm_record_set_text(r, "steps", bad[i].steps);
		if (bad[i].cond)
			spm_record_set_text(r, "condition", bad[i].cond);
		cr_assert_eq(spm_record_save(db, r), SPM_EINVAL, "case %zu", i);
		spm_record_free(r);
	}
	cr_assert_eq(count_records(db, "approval_flow"), 0);
	as(U_AN);  /* flows need the schema action */
	cr_assert_eq(spm_record_new(&r, db, "approval_flow"), SPM_OK);
	spm_record_set_text(r, "name", "f");
	spm_record_set_text(r, "action", "quote_discount");
	spm_record_set_text(r, "kind", "quote");
	spm_record_set_text(r, "steps", "manager");
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	spm_record_free(r);
}

Test(approval, a_step_without_an_approver_refuses_to_submit)
{
	int64_t q = quote_with("2000", U_ADA), req = -1;  /* Ada is in no team */

	flow("manager");
	cr_assert_eq(send_as(U_ADA, q, &req), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "has no manager"), "%s", spm_error_message());
	cr_assert_eq(req, 0);
	cr_assert_eq(count_records(db, "approval_request"), 0);
	cr_assert_eq(spm_approval_submit(NULL, db, "other_action", "quote", q, NULL), SPM_ENOTFOUND);
	cr_assert_eq(spm_approval_submit(NULL, db, "quote_discount", "quote", 999, NULL),
		     SPM_ENOTFOUND);
}

Test(approval, an_inactive_flow_or_an_unmet_condition_does_not_guard)
{
	int64_t q = quote_with("2000", U_AN), f = flow("manager");

	cr_assert_eq(update("approval_flow", f, "active", "false"), SPM_OK);
	cr_assert_eq(send_as(U_AN, q, NULL), SPM_OK, "%s", spm_error_message());
}

Test(approval, requests_are_seen_with_their_record_and_any_named_approver_decides)
{
	int64_t q = quote_with("2000", U_AN), req = 0;

	flow("user:3");  /* Bo approves, though he may not see An's deal */
	cr_assert_eq(send_as(U_AN, q, &req), SPM_EAPPROVAL);
	cr_assert_eq(count_as(U_AN, "approval_request"), 1);
	cr_assert_eq(count_as(U_MO, "approval_request"), 1);
	cr_assert_eq(count_as(U_BO, "approval_request"), 0);
	as(U_BO);
	cr_assert_eq(spm_approval_approve(db, req, "ok"), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(count_as(U_BO, "approval_vote"), 0);
	cr_assert_eq(count_as(U_AN, "approval_vote"), 1);
	cr_assert_str_eq(field_of("approval_vote", 1, "user_id"), "3");
	cr_assert_eq(send_as(U_AN, q, NULL), SPM_OK);
}
