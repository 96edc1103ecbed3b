/* Out of memory, and a failed storage call, at every point of a batch that
 * assigns leads on create (pool_policy.assign_on_create): each attempt
 * returns SPM_OK or the injected error, leaks nothing, and leaves the data
 * whole — no lead, no history, no claim, round-robin pointer unmoved — until
 * one completes with every lead assigned as without faults. */
#include "helpers.h"
#include "faulty_store.h"

static struct counting_alloc alloc;
static spm_db *db;
static char path[256];

static void setup(void)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	memset(&alloc, 0, sizeof(alloc));
	/* storage calls fail from the Nth on; opening never fails */
	memset(&fault_plan, 0, sizeof(fault_plan));
	fault_plan.persistent = 1;
	fault_plan.spare_schema = 1;
	temp_db_path(path, sizeof(path));
	o.path = path;
	o.clock = test_clock;
	o.actor = 0;
	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = &alloc;
	o.storage_wrap = fault_wrap;
	cr_assert_eq(spm_db_open(&db, &o), SPM_OK, "%s", spm_error_message());
	ADD("role", "name", "rep", "scope", "1");
	ADD("user", "name", "An", "role_id", "1", "active", "true");
	ADD("user", "name", "Bo", "role_id", "1", "active", "true");
	ADD("assignment_rule", "position", "1", "name", "east", "method", "territory",
	    "territory_field", "region", "territory_map", "华东=1");
	ADD("assignment_rule", "position", "2", "name", "rr", "method", "round_robin",
	    "users", "1,2");
	ADD("pool_policy", "max_open", "2", "assign_on_create", "true", "assign_seed", "5");
}

static void teardown(void)
{
	spm_db_close(db);
	cr_assert_eq(alloc.live, 0, "%ld blocks leaked", alloc.live);
}

TestSuite(lead_fault, .init = setup, .fini = teardown);

/* Five leads, the first in 华东. */
static int create_five(void)
{
	spm_batch *b;
	int rc = spm_batch_new(&b, db);

	for (int i = 0; rc == SPM_OK && i < 5; i++) {
		spm_record *r;
		rc = spm_record_new(&r, db, "lead");
		if (rc == SPM_OK)
			rc = spm_record_set_text(r, "company", "X");
		if (rc == SPM_OK && i == 0)
			rc = spm_record_set_text(r, "region", "华东");
		if (rc == SPM_OK)
			rc = spm_batch_save(b, r);
		spm_record_free(r);
	}
	if (rc == SPM_OK)
		rc = spm_batch_commit(b, NULL);
	spm_batch_free(b);
	return rc;
}

static int count_of(const char *kind)
{
	long fail_at = fault_plan.fail_at, calls = alloc.fail_at;
	int n;

	fault_plan.fail_at = 0;
	alloc.fail_at = 0;
	n = count_records(db, kind);
	fault_plan.fail_at = fail_at;
	alloc.fail_at = calls;
	return n;
}

static const char *text_of(const char *kind, int64_t id, const char *name)
{
	static char buf[256];
	const char *s;
	spm_record *r;

	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_get_as_text(&s, r, name), SPM_OK);
	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	spm_record_free(r);
	return buf;
}

/* Nothing of a failed batch is left. */
static void assert_unchanged(long at)
{
	cr_assert_eq(count_of("lead"), 0, "fault at %ld", at);
	cr_assert_eq(count_of("ownership_change"), 0, "fault at %ld", at);
	cr_assert_str_eq(text_of("assignment_rule", 2, "rr_pointer"), "(null)", "fault at %ld", at);
}

/* Lead 1 goes to user 1 by territory; the round robin then gives 1, 2, and
 * (1 being full) 2 again; both are full for the fifth, which stays in the
 * pool. */
static void assert_assigned(void)
{
	static const char *const owners[] = { "1", "1", "2", "2", "(null)" };

	for (int i = 0; i < 5; i++)
		cr_assert_str_eq(text_of("lead", i + 1, "owner_id"), owners[i], "lead %d", i + 1);
	cr_assert_str_eq(text_of("lead", 2, "assignment_reason"),
			 "rule 2 round_robin: user 1, turn 1 of 2");
	cr_assert_str_eq(text_of("lead", 4, "assignment_reason"),
			 "rule 2 round_robin: user 2, turn 2 of 2 (earlier turns unavailable)");
	cr_assert_eq(count_of("ownership_change"), 4);
	cr_assert_str_eq(text_of("assignment_rule", 2, "rr_pointer"), "2");
}

Test(lead_fault, every_allocation_failure_of_a_batch_assigning_on_create)
{
	long at;

	for (at = 1;; at++) {
		int rc;
		alloc.calls = 0;
		alloc.fail_at = at;
		rc = create_five();
		alloc.fail_at = 0;
		cr_assert(rc == SPM_OK || rc == SPM_ENOMEM, "fail at %ld: %s: %s", at,
			  spm_result_name(rc), spm_error_message());
		if (rc == SPM_OK) {
			cr_assert_lt(alloc.calls, at, "fail at %ld: the failure was hidden", at);
			break;
		}
		assert_unchanged(at);
	}
	cr_assert_gt(at, 100, "only %ld allocation points", at);
	assert_assigned();
}

Test(lead_fault, every_storage_failure_of_a_batch_assigning_on_create)
{
	long at;

	for (at = 1;; at++) {
		int rc;
		fault_plan.calls = 0;
		fault_plan.fail_at = at;
		rc = create_five();
		fault_plan.fail_at = 0;
		cr_assert(rc == SPM_OK || rc == SPM_ESTORAGE, "fail at %ld: %s: %s", at,
			  spm_result_name(rc), spm_error_message());
		if (rc == SPM_OK) {
			cr_assert_lt(fault_plan.calls, at, "fail at %ld: the failure was hidden", at);
			break;
		}
		assert_unchanged(at);
	}
	cr_assert_gt(at, 20, "only %ld storage points", at);
	assert_assigned();
}
