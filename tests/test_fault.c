/* Fault injection (TESTING.md §A): fail the Nth allocation, or the Nth
 * storage call, for N = 1, 2, 3 … until the scenario runs without reaching
 * the fault. Each time: the failing call returns a documented error, the
 * handle stays usable (the step is retried without faults), nothing leaks,
 * and after a clean reopen every write is complete or absent. */
#include "helpers.h"
#include "faulty_store.h"

struct run {
	struct counting_alloc alloc;
	const char *path;
	spm_db *db;
	int use_wrap;
	int failures;
};

static int open_step(struct run *r)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	o.path = r->path;
	o.clock = test_clock;
	o.actor = 2;
	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = &r->alloc;
	if (r->use_wrap)
		o.storage_wrap = fault_wrap;
	return spm_db_open(&r->db, &o);
}

static int field_step(struct run *r)
{
	int rc = spm_field_add(r->db, "customer", "tier", SPM_FIELD_INTEGER, NULL);

	return rc == SPM_EEXISTS ? SPM_OK : rc;  /* a retry after a lost ack */
}

static int batch_step(struct run *r)
{
	spm_batch *b;
	int rc = spm_batch_new(&b, r->db);

	for (int i = 0; rc == SPM_OK && i < 3; i++) {
		spm_record *rec;
		rc = spm_record_new(&rec, r->db, "customer");
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "name", i == 0 ? "A" : i == 1 ? "B" : "C");
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "tier", i);
		if (rc == SPM_OK)
			rc = spm_batch_save(b, rec);
		spm_record_free(rec);
	}
	if (rc == SPM_OK)
		rc = spm_batch_commit(b, "batch-1");
	spm_batch_free(b);
	return rc;
}

static int update_step(struct run *r)
{
	spm_record *rec;
	int rc = spm_record_get(&rec, r->db, "customer", 1);

	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "tier", 9);
	if (rc == SPM_OK)
		rc = spm_record_save(r->db, rec);
	spm_record_free(rec);
	return rc;
}

static int scan_step(struct run *r)
{
	spm_query *q;
	int n = 0;
	int rc = spm_query_new(&q, r->db, "customer");

	if (rc == SPM_OK)
		rc = spm_query_foreach(q, count_record_cb, &n);
	spm_query_free(q);
	if (rc == SPM_OK && n != 3)
		cr_assert_fail("scan saw %d customers", n);
	return rc;
}

static int outbox_step(struct run *r)
{
	int n = 0;
	int rc = spm_outbox_foreach(r->db, 0, 0, count_event_cb, &n);

	if (rc == SPM_OK && n != 5)
		cr_assert_fail("outbox has %d events", n);
	return rc;
}

static int ack_step(struct run *r)
{
	return spm_consumer_ack(r->db, "mailer", 5);
}

static int (*const steps[])(struct run *) = {
	open_step, field_step, batch_step, update_step, scan_step, outbox_step, ack_step,
};

static void no_faults(void)
{
	fault_plan.fail_at = 0;
	fault_plan.ambiguous_commit = 0;
}

static void run_scenario(struct run *r)
{
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		int rc = steps[s](r);

		if (rc == SPM_OK)
			continue;
		cr_assert(rc == SPM_ENOMEM || rc == SPM_ESTORAGE,
			  "step %zu returned %s: %s", s, spm_result_name(rc), spm_error_message());
		cr_assert_neq(spm_error_message()[0], '\0');
		r->failures++;
		r->alloc.fail_at = 0;
		no_faults();
		rc = steps[s](r);  /* the handle is still usable */
		cr_assert_eq(rc, SPM_OK, "retry of step %zu: %s", s, spm_error_message());
	}
	spm_db_close(r->db);
	r->db = NULL;
	cr_assert_eq(r->alloc.live, 0, "%ld allocations leaked", r->alloc.live);
}

/* Every batch complete or absent; audit and outbox match the data. */
static void check_consistent(const char *path)
{
	spm_db *db = open_db(path);
	int64_t pos, tier;
	spm_record *rec;

	cr_assert_eq(count_records(db, "customer"), 3);
	cr_assert_eq(count_audit(db), 1 + 3 * 2 + 1);
	cr_assert_eq(count_events(db), 5);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_consumer_position(&pos, db, "mailer"), SPM_OK);
	cr_assert_eq(pos, 5);
	cr_assert_eq(spm_record_get(&rec, db, "customer", 1), SPM_OK);
	cr_assert_eq(spm_record_get_int(&tier, rec, "tier"), SPM_OK);
	cr_assert_eq(tier, 9);
	spm_record_free(rec);
	spm_db_close(db);
}

static long fault_loop(int persistent, int by_storage)
{
	long n;

	for (n = 1;; n++) {
		struct run r;
		char path[256];

		memset(&r, 0, sizeof(r));
		temp_db_path(path, sizeof(path));
		r.path = path;
		r.use_wrap = 1;
		fault_plan.calls = 0;
		fault_plan.fail_at = by_storage ? n : 0;
		fault_plan.persistent = persistent;
		if (!by_storage) {
			r.alloc.fail_at = n;
			r.alloc.persistent = persistent;
		}
		run_scenario(&r);
		check_consistent(path);
		if (by_storage ? fault_plan.calls < n : r.alloc.calls < n)
			break;  /* the fault was not reached: every point is covered */
	}
	return n;
}

Test(fault, every_allocation_failure_once)
{
	long n = fault_loop(0, 0);

	cr_assert_gt(n, 200, "only %ld allocation points", n);
}

Test(fault, every_allocation_failure_persistent)
{
	long n = fault_loop(1, 0);

	cr_assert_gt(n, 200, "only %ld allocation points", n);
}

Test(fault, every_storage_call_failure_once)
{
	long n = fault_loop(0, 1);

	cr_assert_gt(n, 30, "only %ld storage points", n);
}

Test(fault, every_storage_call_failure_persistent)
{
	long n = fault_loop(1, 1);

	cr_assert_gt(n, 30, "only %ld storage points", n);
}

Test(fault, ambiguous_commit_of_a_keyed_batch_is_safe_to_retry)
{
	struct run r;
	char path[256];

	memset(&r, 0, sizeof(r));
	temp_db_path(path, sizeof(path));
	r.path = path;
	r.use_wrap = 1;
	no_faults();
	cr_assert_eq(open_step(&r), SPM_OK);
	cr_assert_eq(field_step(&r), SPM_OK);
	fault_plan.ambiguous_commit = 1;
	cr_assert_eq(batch_step(&r), SPM_ESTORAGE);
	cr_assert_str_eq(spm_error_message(), "connection lost during commit");
	cr_assert_eq(count_records(r.db, "customer"), 3, "the commit did happen");
	cr_assert_eq(batch_step(&r), SPM_OK);
	cr_assert_eq(count_records(r.db, "customer"), 3);
	cr_assert_eq(count_events(r.db), 4);
	spm_db_close(r.db);
}
