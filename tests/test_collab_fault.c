/* Out of memory at every allocation of the collaboration operations: each
 * call returns OK (or its documented outcome) or SPM_ENOMEM, leaks nothing,
 * and leaves the data whole (a payment is applied entirely or not at all). */
#include "collab_helpers.h"

static struct counting_alloc alloc;

static void counted_setup(void)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	memset(&alloc, 0, sizeof(alloc));
	temp_db_path(path, sizeof(path));
	test_clock_now = T0;
	o.path = path;
	o.clock = test_clock;
	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = &alloc;
	cr_assert_eq(spm_db_open(&db, &o), SPM_OK, "%s", spm_error_message());
	org_populate();
}

static void counted_teardown(void)
{
	spm_db_close(db);
	cr_assert_eq(alloc.live, 0, "%ld blocks leaked", alloc.live);
}

TestSuite(collab_fault, .init = counted_setup, .fini = counted_teardown);

/* Runs op with the Nth allocation failing, N = 1, 2, … until it completes
 * without reaching the fault (an OK that hid a failed allocation is a bug).
 * op returns its rc; ok is the outcome that means done. Leaks show in the
 * teardown: every block is back once the handle is closed (the storage keeps
 * statement caches until then). */
static long every_failure(int (*op)(void), int ok, int (*unchanged)(void))
{
	long at;

	for (at = 1;; at++) {
		int rc;

		alloc.calls = 0;
		alloc.fail_at = at;
		rc = op();
		alloc.fail_at = 0;
		cr_assert(rc == ok || rc == SPM_ENOMEM, "fail at %ld: %s: %s", at, spm_result_name(rc),
			  spm_error_message());
		if (rc == ok) {
			cr_assert_lt(alloc.calls, at, "fail at %ld: the failure was hidden", at);
			break;
		}
		cr_assert(unchanged(), "fail at %ld: a failed call changed the data", at);
	}
	return at;
}

static int64_t quote_id, request_id, contract_id;

static int send_quote(void)
{
	as(U_AN);
	return spm_quote_send(&request_id, db, quote_id);
}

static int no_request(void)
{
	return count_as(0, "approval_request") == 0;
}

static int no_request_sent(void)
{
	return strcmp(field_of("quote", quote_id, "status"), "draft") == 0;
}

static int approve(void)
{
	as(U_MO);
	return spm_approval_approve(db, request_id, "ok");
}

static int still_pending(void)
{
	return strcmp(field_of("approval_request", request_id, "status"), "pending") == 0;
}

static int pay(void)
{
	spm_record *r = NULL;
	int rc;

	as(0);
	rc = spm_record_new(&r, db, "payment");
	if (rc == SPM_OK)
		rc = spm_record_set_int(r, "contract_id", contract_id);
	if (rc == SPM_OK)
		rc = spm_record_set_from_text(r, "amount", "50.00 CNY");
	if (rc == SPM_OK)
		rc = spm_record_set_time(r, "received_at", T0);
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

static int nothing_paid(void)
{
	return count_as(0, "payment") == 0 &&
	       strcmp(field_of("installment", 2, "paid"), "0.00 CNY") == 0 &&
	       strcmp(field_of("contract", contract_id, "paid"), "0.00 CNY") == 0;
}

static int comment(void)
{
	as(U_AN);
	return spm_comment_add(NULL, db, "customer", 1, "@[4] and @[Bo], see");
}

static int no_comment(void)
{
	return count_as(0, "comment") == 0;
}

static int tick(void)
{
	as(0);
	return spm_db_tick(db, T0 + 41 * 86400);  /* installment 2 (2026-04-10) is late */
}

/* Each tick job is its own transaction: a failed tick may have run some;
 * none may raise twice on the retry. */
static int raised_at_most_once(void)
{
	return events_of(SPM_EVENT_INSTALLMENT_OVERDUE).n <= 1 &&
	       events_of(SPM_EVENT_TASK_OVERDUE).n <= 1;
}

Test(collab_fault, quote_approval_payment_and_comment)
{
	int64_t parts[3];
	spm_date due[3] = { 20522, 20553, 20583 };

	ADD("approval_flow", "name", "f", "action", "quote_discount", "kind", "quote", "condition",
	    "effective_discount_bp > 1500", "steps", "manager");
	ADD("opportunity", "name", "Deal", "pipeline_id", "1", "customer_id", "1", "owner_id", "2",
	    "stage_id", "2", "status", "won");
	quote_id = ADD("quote", "opportunity_id", "1");
	ADD("quote_line", "quote_id", "1", "product", "W", "quantity", "10", "unit_price",
	    "100.00 CNY", "discount_bp", "2000");
	contract_id = ADD("contract", "opportunity_id", "1", "amount", "100.00 CNY");
	cr_assert_eq(spm_installment_split(parts, 10000, 3), SPM_OK);
	cr_assert_eq(spm_contract_set_plan(db, contract_id, parts, due, 3), SPM_OK);

	cr_assert_gt(every_failure(send_quote, SPM_EAPPROVAL, no_request), 20);
	cr_assert_gt(every_failure(approve, SPM_OK, still_pending), 20);
	cr_assert_str_eq(field_of("approval_request", request_id, "status"), "approved");
	cr_assert_gt(every_failure(send_quote, SPM_OK, no_request_sent), 10);
	cr_assert_gt(every_failure(pay, SPM_OK, nothing_paid), 20);
	cr_assert_str_eq(field_of("installment", 2, "paid"), "16.66 CNY");
	cr_assert_gt(every_failure(comment, SPM_OK, no_comment), 10);
	cr_assert_str_eq(field_of("comment", 1, "mentions"), "3,4");
	ADD("task", "title", "Call", "assignee_id", "2", "due_at", "2026-03-02T00:00:00Z");
	cr_assert_gt(every_failure(tick, SPM_OK, raised_at_most_once), 10);
	cr_assert_eq(events_of(SPM_EVENT_INSTALLMENT_OVERDUE).n, 1);
	cr_assert_eq(events_of(SPM_EVENT_TASK_OVERDUE).n, 1);
}
