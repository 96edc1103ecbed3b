/* Records: every field type through storage, validation, updates as
 * compare-and-set, deletes with tombstones, queries and iteration. */
#include "helpers.h"

static spm_db *db;
static char path[256];

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_field_add(db, "customer", "score", SPM_FIELD_INTEGER, NULL), SPM_OK);
	cr_assert_eq(spm_field_add(db, "customer", "limit_amt", SPM_FIELD_MONEY, NULL), SPM_OK);
	cr_assert_eq(spm_field_add(db, "customer", "since", SPM_FIELD_DATE, NULL), SPM_OK);
	cr_assert_eq(spm_field_add(db, "customer", "vip", SPM_FIELD_BOOLEAN, NULL), SPM_OK);
	cr_assert_eq(spm_field_add(db, "customer", "seen_at", SPM_FIELD_TIME, NULL), SPM_OK);
	cr_assert_eq(spm_field_add(db, "customer", "note", SPM_FIELD_TEXT, NULL), SPM_OK);
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(records, .init = setup, .fini = teardown);

Test(records, every_field_type_round_trips_through_storage)
{
	spm_record *r, *back;
	const char *s, *cur;
	int64_t n;
	spm_date d;
	int b;
	spm_time t;

	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "北京 Acme \"quoted\" 'x'"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_id", 17), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "score", INT64_MIN), SPM_OK);
	cr_assert_eq(spm_record_set_money(r, "limit_amt", INT64_MAX, "KWD"), SPM_OK);
	cr_assert_eq(spm_record_set_date(r, "since", 20513), SPM_OK);
	cr_assert_eq(spm_record_set_bool(r, "vip", 5), SPM_OK);
	cr_assert_eq(spm_record_set_time(r, "seen_at", T0 + 59), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_id(r), 1);
	cr_assert_gt(spm_record_seq(r), 0);

	cr_assert_eq(spm_record_get(&back, db, "customer", 1), SPM_OK);
	cr_assert_eq(spm_record_get_text(&s, back, "name"), SPM_OK);
	cr_assert_str_eq(s, "北京 Acme \"quoted\" 'x'");
	cr_assert_eq(spm_record_get_int(&n, back, "owner_id"), SPM_OK);
	cr_assert_eq(n, 17);
	cr_assert_eq(spm_record_get_int(&n, back, "score"), SPM_OK);
	cr_assert_eq(n, INT64_MIN);
	cr_assert_eq(spm_record_get_money(&n, &cur, back, "limit_amt"), SPM_OK);
	cr_assert_eq(n, INT64_MAX);
	cr_assert_str_eq(cur, "KWD");
	cr_assert_eq(spm_record_get_date(&d, back, "since"), SPM_OK);
	cr_assert_eq(d, 20513);
	cr_assert_eq(spm_record_get_bool(&b, back, "vip"), SPM_OK);
	cr_assert_eq(b, 1);
	cr_assert_eq(spm_record_get_time(&t, back, "seen_at"), SPM_OK);
	cr_assert_eq(t, T0 + 59);
	cr_assert_eq(spm_record_get_time(&t, back, "created_at"), SPM_OK);
	cr_assert_eq(t, T0);
	cr_assert_eq(spm_record_is_null(&b, back, "note"), SPM_OK);
	cr_assert_eq(b, 1);
	cr_assert_eq(spm_record_get_text(&s, back, "note"), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "customer.note has no value");
	cr_assert_eq(spm_record_get_as_text(&s, back, "limit_amt"), SPM_OK);
	cr_assert_str_eq(s, "9223372036854775.807 KWD");
	cr_assert_eq(spm_record_get_as_text(&s, back, "since"), SPM_OK);
	cr_assert_str_eq(s, "2026-03-01");
	cr_assert_eq(spm_record_get_as_text(&s, back, "seen_at"), SPM_OK);
	cr_assert_str_eq(s, "2026-03-01T09:00:59Z");
	cr_assert_eq(spm_record_get_as_text(&s, back, "note"), SPM_OK);
	cr_assert_null(s);
	cr_assert_eq(spm_record_to_json(&s, back), SPM_OK);
	cr_assert_str_eq(s, "{\"kind\":\"customer\",\"id\":1,\"seq\":7,\"fields\":{"
			 "\"name\":\"北京 Acme \\\"quoted\\\" 'x'\",\"owner_id\":17,"
			 "\"created_at\":1772355600,\"updated_at\":1772355600,"
			 "\"company_key\":\"北京acmequotedx\","
			 "\"score\":-9223372036854775808,"
			 "\"limit_amt\":{\"minor\":9223372036854775807,\"currency\":\"KWD\"},"
			 "\"since\":\"2026-03-01\",\"vip\":true,\"seen_at\":1772355659}}");
	spm_record_free(back);
	spm_record_free(r);
}

Test(records, values_are_validated_and_the_record_is_unchanged_on_error)
{
	spm_record *r;
	char big[300];
	const char *s;

	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "bad \xff byte"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.name: invalid UTF-8");
	cr_assert_eq(spm_record_set_text(r, "name", "\xc0\xaf"), SPM_EINVAL);        /* overlong */
	cr_assert_eq(spm_record_set_text(r, "name", "\xed\xa0\x80"), SPM_EINVAL);    /* surrogate */
	cr_assert_eq(spm_record_set_text(r, "name", "\xf4\x90\x80\x80"), SPM_EINVAL); /* > U+10FFFF */
	cr_assert_eq(spm_record_set_text(r, "name", "\xe4\xb8"), SPM_EINVAL);        /* truncated */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(spm_record_set_text(r, "name", big), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.name: 299 bytes, longer than 200");
	cr_assert_eq(spm_record_get_text(&s, r, "name"), SPM_OK);
	cr_assert_str_eq(s, "Acme");
	cr_assert_eq(spm_record_set_int(r, "name", 5), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.name is of type text");
	cr_assert_eq(spm_record_set_text(r, "nope", "x"), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "customer has no field 'nope'");
	cr_assert_eq(spm_record_set_time(r, "created_at", 5), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.created_at is maintained by the library");
	cr_assert_eq(spm_record_set_money(r, "limit_amt", 100, "usd"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_money(r, "limit_amt", 100, "XYZ"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_money(r, "limit_amt", 100, NULL), SPM_EINVAL);
	cr_assert_eq(spm_record_set_date(r, "since", 5000000), SPM_ERANGE);
	cr_assert_eq(spm_record_is_null(NULL, r, "since"), SPM_EINVAL);
	spm_record_free(r);
}

Test(records, set_from_text_parses_strictly_by_type)
{
	spm_record *r;
	const char *s;
	int64_t n;

	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "score", "-42"), SPM_OK);
	cr_assert_eq(spm_record_get_int(&n, r, "score"), SPM_OK);
	cr_assert_eq(n, -42);
	cr_assert_eq(spm_record_set_from_text(r, "score", "4x"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "score", ""), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "score", "9223372036854775808"), SPM_EOVERFLOW);
	cr_assert_eq(spm_record_set_from_text(r, "score", "-9223372036854775808"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "limit_amt", "12.50 EUR"), SPM_OK);
	cr_assert_eq(spm_record_get_money(&n, &s, r, "limit_amt"), SPM_OK);
	cr_assert_eq(n, 1250);
	cr_assert_str_eq(s, "EUR");
	cr_assert_eq(spm_record_set_from_text(r, "limit_amt", "1.001 EUR"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "limit_amt", "12.50"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "limit_amt", "1e3 EUR"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "since", "2024-02-29"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "since", "2023-02-29"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "vip", "true"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "vip", "yes"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "seen_at", "2026-03-01T09:00:59Z"), SPM_OK);
	cr_assert_eq(spm_record_get_int(&n, r, "seen_at"), SPM_EINVAL);
	cr_assert_eq(spm_record_get_time(&n, r, "seen_at"), SPM_OK);
	cr_assert_eq(n, T0 + 59);
	cr_assert_eq(spm_record_set_from_text(r, "seen_at", "2026-03-01T24:00:00Z"), SPM_EINVAL);
	cr_assert_eq(spm_record_set_from_text(r, "seen_at", "12345"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "note", NULL), SPM_OK);
	spm_record_free(r);
}

Test(records, required_field_missing_is_refused_and_nothing_is_written)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_id", 3), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.name is required");
	cr_assert_eq(spm_record_id(r), 0);
	cr_assert_eq(count_records(db, "customer"), 0);
	cr_assert_eq(count_audit(db), 6);   /* the six field definitions only */
	cr_assert_eq(count_events(db), 6);
	spm_record_free(r);
}

Test(records, update_writes_only_changed_fields_and_audits_old_and_new)
{
	spm_record *r;
	int64_t id = make_customer(db, "Acme");
	int64_t first_seq;
	const char *s;

	cr_assert_eq(spm_record_get(&r, db, "customer", id), SPM_OK);
	first_seq = spm_record_seq(r);
	test_clock_now = T0 + 3600;
	cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);  /* same value */
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	cr_assert_eq(spm_record_seq(r), first_seq, "an unchanged save wrote");
	cr_assert_eq(spm_record_set_text(r, "name", "Acme Ltd"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "score", 9), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	cr_assert_gt(spm_record_seq(r), first_seq);
	cr_assert_eq(spm_record_get_as_text(&s, r, "updated_at"), SPM_OK);
	cr_assert_str_eq(s, "2026-03-01T10:00:00Z");
	cr_assert_eq(spm_record_get_as_text(&s, r, "created_at"), SPM_OK);
	cr_assert_str_eq(s, "2026-03-01T09:00:00Z");
	test_clock_now = T0;
	spm_record_free(r);
}

Test(records, stale_update_is_a_conflict_and_changes_nothing)
{
	spm_record *a, *b;
	int64_t id = make_customer(db, "Acme");
	const char *s;

	cr_assert_eq(spm_record_get(&a, db, "customer", id), SPM_OK);
	cr_assert_eq(spm_record_get(&b, db, "customer", id), SPM_OK);
	cr_assert_eq(spm_record_set_text(a, "name", "First"), SPM_OK);
	cr_assert_eq(spm_record_save(db, a), SPM_OK);
	cr_assert_eq(spm_record_set_text(b, "name", "Second"), SPM_OK);
	cr_assert_eq(spm_record_save(db, b), SPM_ECONFLICT);
	spm_record_free(b);
	cr_assert_eq(spm_record_get(&b, db, "customer", id), SPM_OK);
	cr_assert_eq(spm_record_get_text(&s, b, "name"), SPM_OK);
	cr_assert_str_eq(s, "First");
	spm_record_free(a);
	spm_record_free(b);
}

Test(records, delete_leaves_a_tombstone_seen_by_changed_since)
{
	spm_query *q;
	spm_record_iter *it;
	const spm_record *r;
	spm_record *got;
	int64_t a = make_customer(db, "A");
	int64_t b = make_customer(db, "B");
	int64_t seq_before;

	cr_assert_eq(spm_record_get(&got, db, "customer", b), SPM_OK);
	seq_before = spm_record_seq(got);
	spm_record_free(got);
	cr_assert_eq(spm_record_delete(db, "customer", a), SPM_OK);
	cr_assert_eq(spm_record_get(&got, db, "customer", a), SPM_ENOTFOUND);
	cr_assert_null(got);
	cr_assert_eq(spm_record_delete(db, "customer", a), SPM_ENOTFOUND);
	cr_assert_eq(count_records(db, "customer"), 1);

	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_changed_since(q, seq_before), SPM_OK);
	cr_assert_eq(spm_record_iter_new(&it, q), SPM_OK);
	cr_assert_eq(spm_record_iter_next(&r, it), SPM_OK);
	cr_assert_eq(spm_record_id(r), a);
	cr_assert_eq(spm_record_is_deleted(r), 1);
	cr_assert_eq(spm_record_iter_next(&r, it), SPM_ITEROVER);
	cr_assert_null(r);
	spm_record_iter_free(it);
	spm_query_free(q);
}

Test(records, queries_filter_on_indexed_fields)
{
	spm_query *q;
	spm_record_iter *it;
	const spm_record *r;
	int64_t ids[5];
	int n = 0;

	for (int i = 0; i < 5; i++) {
		spm_record *c;
		cr_assert_eq(spm_record_new(&c, db, "customer"), SPM_OK);
		cr_assert_eq(spm_record_set_text(c, "name", i % 2 ? "odd" : "even"), SPM_OK);
		cr_assert_eq(spm_record_set_int(c, "owner_id", i), SPM_OK);
		cr_assert_eq(spm_record_save(db, c), SPM_OK);
		ids[i] = spm_record_id(c);
		spm_record_free(c);
	}
	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_where_int(q, "owner_id", SPM_CMP_GE, 1), SPM_OK);
	cr_assert_eq(spm_query_where_text(q, "name", SPM_CMP_EQ, "odd"), SPM_OK);
	cr_assert_eq(spm_query_where_int(q, "score", SPM_CMP_EQ, 1), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.score is not indexed");
	cr_assert_eq(spm_query_where_text(q, "owner_id", SPM_CMP_EQ, "x"), SPM_EINVAL);
	cr_assert_eq(spm_query_where_int(q, "nope", SPM_CMP_EQ, 1), SPM_ENOTFOUND);
	cr_assert_eq(spm_query_where_int(q, "owner_id", (spm_compare)99, 1), SPM_EINVAL);
	cr_assert_eq(spm_record_iter_new(&it, q), SPM_OK);
	while (spm_record_iter_next(&r, it) == SPM_OK) {
		cr_assert_eq(spm_record_id(r), ids[n * 2 + 1]);
		n++;
	}
	cr_assert_eq(n, 2);
	spm_record_iter_free(it);
	spm_query_free(q);

	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_where_int(q, "owner_id", SPM_CMP_NE, 2), SPM_OK);
	cr_assert_eq(spm_query_limit(q, 3), SPM_OK);
	n = 0;
	cr_assert_eq(spm_query_foreach(q, count_record_cb, &n), SPM_OK);
	cr_assert_eq(n, 3);
	spm_query_free(q);
	cr_assert_eq(spm_query_new(&q, db, "_audit"), SPM_ENOTFOUND);
	cr_assert_null(q);
}

static int stop_at_two(const spm_record *rec, void *payload)
{
	(void)rec;
	return ++*(int *)payload == 2 ? 77 : 0;
}

static int write_inside(const spm_record *rec, void *payload)
{
	(void)payload;
	/* no transaction is held across the callback: writing works */
	cr_assert_eq(spm_record_delete(db, "customer", spm_record_id(rec)), SPM_OK);
	return 0;
}

Test(records, foreach_pages_and_callbacks_may_stop_or_write)
{
	spm_query *q;
	int n = 0;

	for (int i = 0; i < 600; i++)
		make_customer(db, "bulk");
	cr_assert_eq(count_records(db, "customer"), 600);
	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_foreach(q, stop_at_two, &n), 77);
	cr_assert_eq(n, 2);
	cr_assert_eq(spm_query_foreach(q, write_inside, NULL), SPM_OK);
	spm_query_free(q);
	cr_assert_eq(count_records(db, "customer"), 0);
}

Test(records, changed_since_pages_rows_sharing_a_sequence)
{
	spm_batch *b;
	spm_query *q;
	int n = 0;

	/* 600 rows in one transaction share one change sequence */
	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	for (int i = 0; i < 600; i++) {
		spm_record *r;
		cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
		cr_assert_eq(spm_record_set_text(r, "name", "same-seq"), SPM_OK);
		cr_assert_eq(spm_batch_save(b, r), SPM_OK);
		spm_record_free(r);
	}
	cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK);
	spm_batch_free(b);
	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_changed_since(q, 0), SPM_OK);
	cr_assert_eq(spm_query_foreach(q, count_record_cb, &n), SPM_OK);
	cr_assert_eq(n, 600);
	cr_assert_eq(spm_query_changed_since(q, -1), SPM_EINVAL);
	spm_query_free(q);
}

Test(records, records_survive_reopen)
{
	spm_record *r;
	const char *s;
	int64_t id = make_customer(db, "Persisted");

	spm_db_close(db);
	db = open_db(path);
	cr_assert_eq(spm_record_get(&r, db, "customer", id), SPM_OK);
	cr_assert_eq(spm_record_get_text(&s, r, "name"), SPM_OK);
	cr_assert_str_eq(s, "Persisted");
	spm_record_free(r);
}

Test(records, dup_copies_and_unknown_kind_is_not_found)
{
	spm_record *r, *copy;
	const char *s;

	cr_assert_eq(spm_record_new(&r, db, "invoice"), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "no entity kind 'invoice'");
	cr_assert_eq(spm_record_new(&r, db, "_field"), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_new(&r, db, "contact"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "email", "a@b.c"), SPM_OK);
	cr_assert_eq(spm_record_dup(&copy, r), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "email", "z@b.c"), SPM_OK);
	cr_assert_eq(spm_record_get_text(&s, copy, "email"), SPM_OK);
	cr_assert_str_eq(s, "a@b.c");
	cr_assert_str_eq(spm_record_kind(copy), "contact");
	spm_record_free(r);
	spm_record_free(copy);
}

Test(records, field_type_is_reported_by_name)
{
	spm_record *r;
	spm_field_type t;

	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_field_type(&t, r, "limit_amt"), SPM_OK);
	cr_assert_eq(t, SPM_FIELD_MONEY);
	cr_assert_eq(spm_record_field_type(&t, r, "created_at"), SPM_OK);
	cr_assert_eq(t, SPM_FIELD_TIME);
	cr_assert_eq(spm_record_field_type(&t, r, "nope"), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_field_type(NULL, r, "name"), SPM_EINVAL);
	spm_record_free(r);
}
