/* Batches: all or nothing, idempotency keys, expiry of keys by tick. */
#include "helpers.h"

static spm_db *db;
static char path[256];

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(batch, .init = setup, .fini = teardown);

static spm_batch *three_customers(void)
{
	spm_batch *b;

	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	for (int i = 0; i < 3; i++) {
		spm_record *r;
		char name[16];
		snprintf(name, sizeof(name), "c%d", i);
		cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
		cr_assert_eq(spm_record_set_text(r, "name", name), SPM_OK);
		cr_assert_eq(spm_batch_save(b, r), SPM_OK);
		spm_record_free(r);
	}
	return b;
}

Test(batch, commits_every_write_in_one_change)
{
	spm_batch *b = three_customers();
	int64_t id;
	spm_record *r;
	int64_t seq1, seq3;

	cr_assert_eq(spm_batch_count(b), 3);
	cr_assert_eq(spm_batch_id(&id, b, 0), SPM_EINVAL);
	cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK);
	cr_assert_eq(spm_batch_replayed(b), 0);
	cr_assert_eq(spm_batch_id(&id, b, 2), SPM_OK);
	cr_assert_eq(id, 3);
	cr_assert_eq(spm_batch_id(&id, b, 3), SPM_ERANGE);
	cr_assert_eq(spm_record_get(&r, db, "customer", 1), SPM_OK);
	seq1 = spm_record_seq(r);
	spm_record_free(r);
	cr_assert_eq(spm_record_get(&r, db, "customer", 3), SPM_OK);
	seq3 = spm_record_seq(r);
	spm_record_free(r);
	cr_assert_eq(seq1, seq3);
	cr_assert_eq(count_events(db), 3);
	spm_batch_free(b);
}

Test(batch, one_bad_write_stores_nothing)
{
	spm_batch *b = three_customers();
	spm_record *bad;

	cr_assert_eq(spm_record_new(&bad, db, "customer"), SPM_OK);  /* no name */
	cr_assert_eq(spm_batch_save(b, bad), SPM_OK);
	cr_assert_eq(spm_batch_delete(b, "customer", 99), SPM_OK);
	cr_assert_eq(spm_batch_delete(b, "planet", 1), SPM_ENOTFOUND);
	cr_assert_eq(spm_batch_commit(b, "k1"), SPM_EINVAL);
	cr_assert_eq(count_records(db, "customer"), 0);
	cr_assert_eq(count_audit(db), 0);
	cr_assert_eq(count_events(db), 0);
	spm_record_free(bad);
	spm_batch_free(b);
}

Test(batch, same_key_replays_without_applying_twice)
{
	spm_batch *b = three_customers();
	spm_batch *again = three_customers();
	int64_t a, c;

	cr_assert_eq(spm_batch_commit(b, "import-2026-03-01"), SPM_OK);
	cr_assert_eq(spm_batch_commit(again, "import-2026-03-01"), SPM_OK);
	cr_assert_eq(spm_batch_replayed(again), 1);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(spm_batch_id(&a, b, i), SPM_OK);
		cr_assert_eq(spm_batch_id(&c, again, i), SPM_OK);
		cr_assert_eq(a, c);
	}
	cr_assert_eq(count_records(db, "customer"), 3);
	cr_assert_eq(count_events(db), 3);
	spm_batch_free(b);
	spm_batch_free(again);
}

Test(batch, same_key_with_other_content_is_a_conflict)
{
	spm_batch *b = three_customers();
	spm_batch *other;
	spm_record *r;

	cr_assert_eq(spm_batch_commit(b, "k"), SPM_OK);
	cr_assert_eq(spm_batch_new(&other, db), SPM_OK);
	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "different"), SPM_OK);
	cr_assert_eq(spm_batch_save(other, r), SPM_OK);
	cr_assert_eq(spm_batch_commit(other, "k"), SPM_ECONFLICT);
	cr_assert_str_eq(spm_error_message(), "the idempotency key was used for a different batch");
	cr_assert_eq(count_records(db, "customer"), 3);
	cr_assert_eq(spm_batch_commit(other, ""), SPM_EINVAL);
	spm_record_free(r);
	spm_batch_free(b);
	spm_batch_free(other);
}

Test(batch, keys_survive_reopen_and_expire_after_a_day_by_tick)
{
	spm_batch *b = three_customers();

	cr_assert_eq(spm_batch_commit(b, "k"), SPM_OK);
	spm_batch_free(b);
	spm_db_close(db);
	db = open_db(path);
	b = three_customers();
	cr_assert_eq(spm_batch_commit(b, "k"), SPM_OK);
	cr_assert_eq(spm_batch_replayed(b), 1);
	cr_assert_eq(spm_db_tick(db, T0 + 24 * 3600 - 1), SPM_OK);
	cr_assert_eq(spm_batch_commit(b, "k"), SPM_OK);
	cr_assert_eq(spm_batch_replayed(b), 1, "expired a second too early");
	cr_assert_eq(spm_db_tick(db, T0 + 24 * 3600 + 1), SPM_OK);
	cr_assert_eq(spm_batch_commit(b, "k"), SPM_OK);
	cr_assert_eq(spm_batch_replayed(b), 0);
	cr_assert_eq(count_records(db, "customer"), 6);
	spm_batch_free(b);
}

Test(batch, updates_and_deletes_in_a_batch)
{
	int64_t a = make_customer(db, "A");
	int64_t c = make_customer(db, "C");
	spm_batch *b;
	spm_record *r;
	const char *s;

	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	cr_assert_eq(spm_record_get(&r, db, "customer", a), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "A2"), SPM_OK);
	cr_assert_eq(spm_batch_save(b, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(spm_batch_delete(b, "customer", c), SPM_OK);
	cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK);
	spm_batch_free(b);
	cr_assert_eq(spm_record_get(&r, db, "customer", a), SPM_OK);
	cr_assert_eq(spm_record_get_text(&s, r, "name"), SPM_OK);
	cr_assert_str_eq(s, "A2");
	spm_record_free(r);
	cr_assert_eq(count_records(db, "customer"), 1);
}
