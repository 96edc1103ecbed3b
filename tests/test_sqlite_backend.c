/* The SQLite storage backend, driven through its ops table on a test handle
 * whose registry holds probe kinds (every field type, a money core field,
 * fields added by a later schema version), and through the public API on
 * real files. Files are inspected with SQLite directly. */
#include <criterion/criterion.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spm/spm.h"
#include "spm/sys/storage.h"
#include "core/record_internal.h"
#include "storage/storage_internal.h"
#include "storage/sqlite/sqlite_internal.h"

/* ---- probe kinds ----------------------------------------------------- */

enum { F_T, F_N, F_AMOUNT, F_D, F_B, F_E, F_AT, F_LATE, F_NOTE, F_BONUS };
#define PROBE_CORE 8
#define PROBE_ALL 10

static struct spm__field probe_fields[PROBE_ALL] = {
	{ .name = "t", .type = SPM_FIELD_TEXT, .flags = SPM_FIELD_INDEXED, .since = 1,
	  .max_length = SPM_TEXT_MAX },
	{ .name = "n", .type = SPM_FIELD_INTEGER, .flags = SPM_FIELD_INDEXED, .since = 1 },
	{ .name = "amount", .type = SPM_FIELD_MONEY, .flags = SPM_FIELD_INDEXED, .since = 1 },
	{ .name = "d", .type = SPM_FIELD_DATE, .since = 1 },
	{ .name = "b", .type = SPM_FIELD_BOOLEAN, .flags = SPM_FIELD_INDEXED, .since = 1 },
	{ .name = "e", .type = SPM_FIELD_ENUM, .since = 1, .max_length = SPM_TEXT_MAX },
	{ .name = "at", .type = SPM_FIELD_TIME, .since = 1 },
	/* added by schema version 2: ALTER TABLE on upgrade 1 -> 2 */
	{ .name = "late", .type = SPM_FIELD_MONEY, .flags = SPM_FIELD_INDEXED, .since = 2 },
	/* custom fields, stored as JSON in the "custom" column */
	{ .name = "note", .type = SPM_FIELD_TEXT, .flags = SPM_FIELD_CUSTOM, .since = 1,
	  .max_length = SPM_TEXT_MAX },
	{ .name = "bonus", .type = SPM_FIELD_MONEY, .flags = SPM_FIELD_CUSTOM, .since = 1 },
};

static struct spm__field newer_fields[] = {
	{ .name = "x", .type = SPM_FIELD_INTEGER, .flags = SPM_FIELD_INDEXED, .since = 2 },
};

static spm_kind probe_kind = { .name = "probe", .since = 1, .ncore = PROBE_CORE,
			       .fields = probe_fields, .nfields = PROBE_ALL, .cap = PROBE_ALL };
static spm_kind newer_kind = { .name = "newer", .since = 2, .ncore = 1,
			       .fields = newer_fields, .nfields = 1, .cap = 1 };
static spm_kind *probe_kinds[] = { &probe_kind, &newer_kind };

/* ---- fixture --------------------------------------------------------- */

static char tmpdir[64];
static char dbpath[128];

/* A test handle: the real allocator and record code over the probe registry. */
static struct spm_db fake;
static const spm_storage_ops *ops;
static void *self;

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/spm-sqlite-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", tmpdir);
}

static void remove_tmpdir(void)
{
	static const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	if (tmpdir[0] == '\0')
		return;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

static void setup(void)
{
	make_tmpdir();
	memset(&fake, 0, sizeof(fake));
	fake.kinds = probe_kinds;
	fake.nkinds = 2;
	fake.schema_version = 2;
}

static void teardown(void)
{
	remove_tmpdir();
}

static int open_backend(const char *path, unsigned int flags, int timeout_ms)
{
	return spm__storage_sqlite_new(&ops, &self, &fake, path, flags, timeout_ms, 0);
}

/* Opens dbpath at schema version 2. */
static void open_probe(void)
{
	cr_assert_eq(open_backend(dbpath, SPM_OPEN_CREATE, 1000), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_OK, "%s", spm_error_message());
}

/* Frees the backend and checks that nothing it allocated stays live. */
static void close_probe(void)
{
	ops->free(self);
	self = NULL;
	cr_assert_eq(fake.live_allocs, 0, "%zu allocations leaked", fake.live_allocs);
}

static sqlite3 *conn_of(void)
{
	return ((spm__sqlite *)self)->conn;
}

/* One integer from a query on db (a second connection or the backend's). */
static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text from a query, copied into buf. */
static const char *query_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;
	const unsigned char *t;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
	t = sqlite3_column_text(st, 0);
	snprintf(buf, size, "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(st);
	return buf;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		     SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
}

static spm_record *new_probe(int64_t id, int64_t seq)
{
	spm_record *rec = NULL;

	cr_assert_eq(spm_record_alloc(&rec, &fake, &probe_kind, id, seq, 0), SPM_OK);
	return rec;
}

/* Stores a probe with n and t set (t NULL: no value). */
static void put_nt(int64_t id, int64_t seq, int64_t n, const char *t)
{
	spm_record *rec = new_probe(id, seq);

	cr_assert_eq(spm__record_put_int(rec, F_N, n), SPM_OK);
	if (t != NULL)
		cr_assert_eq(spm__record_put_text(rec, F_T, t, strlen(t)), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK, "%s", spm_error_message());
	spm_record_free(rec);
}

/* Collects the ids (and seqs, deleted flags) a scan hands over. */
struct seen {
	int64_t id[64];
	int64_t seq[64];
	int deleted[64];
	size_t n;
	int stop_after;   /* return 42 after this many records (0: never) */
};

static int collect(spm_record *rec, void *payload)
{
	struct seen *s = payload;

	cr_assert_lt(s->n, 64);
	s->id[s->n] = spm_record_id(rec);
	s->seq[s->n] = spm_record_seq(rec);
	s->deleted[s->n] = spm_record_is_deleted(rec);
	s->n++;
	spm_record_free(rec);
	return s->stop_after && s->n == (size_t)s->stop_after ? 42 : 0;
}

static struct seen scan_ids(const spm_scan_cond *conds, size_t nconds, int64_t after_id,
			    int64_t after_seq, size_t limit, unsigned int flags)
{
	spm_scan scan = { SPM_SCAN_VERSION, conds, nconds, after_id, after_seq, limit, flags, NULL, 0 };
	struct seen s;

	memset(&s, 0, sizeof(s));
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_OK, "%s",
		     spm_error_message());
	return s;
}

static void assert_ids(const struct seen *s, const int64_t *want, size_t n)
{
	size_t i;

	cr_assert_eq(s->n, n, "got %zu records, want %zu", s->n, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(s->id[i], want[i], "record %zu: id %lld, want %lld", i,
			     (long long)s->id[i], (long long)want[i]);
}

/* No statement of the backend is left running (scans always reset). */
static void assert_no_busy_statement(void)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(conn_of(), st)) != NULL)
		cr_assert(!sqlite3_stmt_busy(st), "statement left running: %s", sqlite3_sql(st));
}

TestSuite(sqlite_rows, .init = setup, .fini = teardown);
TestSuite(sqlite_scan, .init = setup, .fini = teardown);
TestSuite(sqlite_txn, .init = setup, .fini = teardown);
TestSuite(sqlite_schema, .init = setup, .fini = teardown);
TestSuite(sqlite_open, .init = setup, .fini = teardown);

/* ---- rows ------------------------------------------------------------ */

Test(sqlite_rows, every_field_type_round_trips)
{
	spm_record *rec, *got = NULL;
	const char *text;
	size_t len;

	open_probe();
	rec = new_probe(7, 3);
	cr_assert_eq(spm__record_put_text(rec, F_T, "Zürich \xe5\x8c\x97", 11), SPM_OK);
	cr_assert_eq(spm__record_put_int(rec, F_N, INT64_MIN), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, INT64_MAX, "JPY"), SPM_OK);
	cr_assert_eq(spm__record_put_int(rec, F_D, 19000), SPM_OK);
	cr_assert_eq(spm__record_put_int(rec, F_B, 1), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_E, "won", 3), SPM_OK);
	cr_assert_eq(spm__record_put_int(rec, F_AT, 1700000000), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_LATE, -125, "EUR"), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_NOTE, "a \"quoted\" note", 15), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_BONUS, 5000, "USD"), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK, "%s", spm_error_message());
	spm_record_free(rec);

	cr_assert_eq(ops->get(self, &got, &probe_kind, 7), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_id(got), 7);
	cr_assert_eq(spm_record_seq(got), 3);
	cr_assert_eq(spm_record_is_deleted(got), 0);
	text = spm_record_value_text(got, F_T, &len);
	cr_assert_eq(len, 11);
	cr_assert_eq(memcmp(text, "Zürich \xe5\x8c\x97", 11), 0);
	cr_assert_eq(spm_record_value_int(got, F_N), INT64_MIN);
	cr_assert_eq(spm_record_value_int(got, F_AMOUNT), INT64_MAX);
	cr_assert_str_eq(spm_record_value_currency(got, F_AMOUNT), "JPY");
	cr_assert_eq(spm_record_value_int(got, F_D), 19000);
	cr_assert_eq(spm_record_value_int(got, F_B), 1);
	cr_assert_str_eq(spm_record_value_text(got, F_E, NULL), "won");
	cr_assert_eq(spm_record_value_int(got, F_AT), 1700000000);
	cr_assert_eq(spm_record_value_int(got, F_LATE), -125);
	cr_assert_str_eq(spm_record_value_currency(got, F_LATE), "EUR");
	cr_assert_eq(got->nvalues, PROBE_ALL);
	cr_assert(got->v[F_NOTE].has);
	cr_assert_str_eq(got->v[F_NOTE].s, "a \"quoted\" note");
	cr_assert(got->v[F_BONUS].has);
	cr_assert_eq(got->v[F_BONUS].i, 5000);
	cr_assert_str_eq(got->v[F_BONUS].cur, "USD");
	spm_record_free(got);
	close_probe();
}

/* A date the calendar cannot write (only damage makes one: setters and loads
 * refuse it) is reported as such, not as running out of memory. */
Test(sqlite_rows, a_date_outside_the_calendar_is_a_range_error_in_json)
{
	spm_record *rec = new_probe(7, 3);
	const char *json = "unset";

	cr_assert_eq(spm__record_put_int(rec, F_D, 3000000), SPM_OK);
	cr_assert_eq(spm_record_to_json(&json, rec), SPM_ERANGE);
	cr_assert_str_eq(spm_error_message(), "probe.d: date 3000000 is outside the years 1..9999");
	cr_assert_eq(spm__record_put_int(rec, F_D, 19000), SPM_OK);
	cr_assert_eq(spm_record_to_json(&json, rec), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(json, "{\"kind\":\"probe\",\"id\":7,\"seq\":3,\"fields\":{\"d\":\"2022-01-08\"}}");
	spm_record_free(rec);
}

Test(sqlite_rows, money_is_stored_as_amount_and_currency_columns)
{
	spm_record *rec;

	open_probe();
	rec = new_probe(1, 1);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, 1999, "EUR"), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK);
	spm_record_free(rec);
	cr_assert_eq(query_int(conn_of(), "SELECT amount FROM probe WHERE id = 1"), 1999);
	cr_assert_eq(query_int(conn_of(), "SELECT amount_currency = 'EUR' FROM probe WHERE id = 1"),
		     1);
	cr_assert_eq(query_int(conn_of(), "SELECT typeof(amount) = 'integer' FROM probe"), 1);
	close_probe();
}

Test(sqlite_rows, nulls_round_trip_as_nulls)
{
	spm_record *rec, *got = NULL;
	size_t i;

	open_probe();
	rec = new_probe(2, 1);
	cr_assert_eq(ops->put(self, rec), SPM_OK, "%s", spm_error_message());
	spm_record_free(rec);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe WHERE id = 2 AND t IS NULL "
					   "AND n IS NULL AND amount IS NULL AND amount_currency "
					   "IS NULL AND custom IS NULL"), 1);
	cr_assert_eq(ops->get(self, &got, &probe_kind, 2), SPM_OK);
	for (i = 0; i < PROBE_CORE; i++)
		cr_assert(spm_record_value_null(got, i), "field %zu", i);
	cr_assert(!got->v[F_NOTE].has && !got->v[F_BONUS].has);
	spm_record_free(got);
	close_probe();
}

Test(sqlite_rows, put_replaces_the_whole_row)
{
	spm_record *got = NULL;

	open_probe();
	put_nt(3, 1, 10, "first");
	put_nt(3, 2, 20, NULL);
	cr_assert_eq(ops->get(self, &got, &probe_kind, 3), SPM_OK);
	cr_assert_eq(spm_record_seq(got), 2);
	cr_assert_eq(spm_record_value_int(got, F_N), 20);
	cr_assert(spm_record_value_null(got, F_T));
	spm_record_free(got);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe"), 1);
	close_probe();
}

Test(sqlite_rows, get_missing_is_notfound)
{
	spm_record *got = (spm_record *)&got;

	open_probe();
	cr_assert_eq(ops->get(self, &got, &probe_kind, 99), SPM_ENOTFOUND);
	cr_assert_null(got);
	cr_assert_eq(spm_error_code(), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "sqlite: get probe 99: no such record");
	close_probe();
}

Test(sqlite_rows, remove_leaves_a_tombstone_with_id_and_seq_only)
{
	spm_record *rec, *got = NULL;

	open_probe();
	rec = new_probe(4, 1);
	cr_assert_eq(spm__record_put_text(rec, F_T, "x", 1), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, 5, "EUR"), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_NOTE, "n", 1), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK);
	spm_record_free(rec);

	cr_assert_eq(ops->remove(self, &probe_kind, 4, 9), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ops->get(self, &got, &probe_kind, 4), SPM_ENOTFOUND);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe WHERE id = 4 AND seq = 9 "
					   "AND deleted = 1 AND t IS NULL AND amount IS NULL AND "
					   "amount_currency IS NULL AND custom IS NULL"), 1);
	cr_assert_eq(ops->remove(self, &probe_kind, 4, 10), SPM_ENOTFOUND);
	cr_assert_eq(ops->remove(self, &probe_kind, 5, 10), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "sqlite: remove probe 5: no such record");
	/* the failed removes did not touch the tombstone */
	cr_assert_eq(query_int(conn_of(), "SELECT seq FROM probe WHERE id = 4"), 9);
	close_probe();
}

Test(sqlite_rows, put_revives_a_tombstone)
{
	spm_record *got = NULL;

	open_probe();
	put_nt(5, 1, 1, "a");
	cr_assert_eq(ops->remove(self, &probe_kind, 5, 2), SPM_OK);
	put_nt(5, 3, 2, "b");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 5), SPM_OK);
	cr_assert_eq(spm_record_seq(got), 3);
	spm_record_free(got);
	close_probe();
}

Test(sqlite_rows, put_without_id_is_einval)
{
	spm_record *rec;

	open_probe();
	rec = new_probe(0, 1);
	cr_assert_eq(ops->put(self, rec), SPM_EINVAL);
	spm_record_free(rec);
	close_probe();
}

Test(sqlite_rows, value_of_the_wrong_type_is_ecorrupt)
{
	spm_record *got = (spm_record *)&got;

	open_probe();
	put_nt(6, 1, 1, "a");
	raw_exec(conn_of(), "UPDATE probe SET n = 'not a number' WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT);
	cr_assert_null(got);
	cr_assert_str_eq(spm_error_message(), "sqlite: probe.n: stored value has the wrong type");
	raw_exec(conn_of(), "UPDATE probe SET n = 1, amount = 5 WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT, "amount without currency");
	raw_exec(conn_of(), "UPDATE probe SET amount = NULL, b = 2 WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT, "boolean 2");
	raw_exec(conn_of(), "UPDATE probe SET b = NULL, custom = '[1]' WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT, "custom not an object");
	close_probe();
}

/* A date or time the setters refuse is refused when read back too: a date
 * wider than 32 bits is not truncated into range. */
Test(sqlite_rows, date_or_time_out_of_range_is_ecorrupt)
{
	spm_record *got = (spm_record *)&got;
	spm_date d;

	open_probe();
	put_nt(6, 1, 1, "a");
	raw_exec(conn_of(), "UPDATE probe SET d = 2147483647 WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT);
	cr_assert_null(got);
	cr_assert_str_eq(spm_error_message(), "probe 6: d: stored date 2147483647 is out of range");
	raw_exec(conn_of(), "UPDATE probe SET d = 4294967296 WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT, "date beyond 32 bits");
	raw_exec(conn_of(), "UPDATE probe SET d = NULL, at = -9223372036854775808 WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_ECORRUPT);
	cr_assert_str_eq(spm_error_message(),
			 "probe 6: at: stored time -9223372036854775808 is out of range");
	raw_exec(conn_of(), "UPDATE probe SET d = 20000, at = 1772355600 WHERE id = 6");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 6), SPM_OK);
	cr_assert_eq(spm_record_get_date(&d, got, "d"), SPM_OK);
	cr_assert_eq(d, 20000);
	spm_record_free(got);
	close_probe();
}

/* ---- scan ------------------------------------------------------------ */

/* ids 1..5 with n = id and t = "a".."e"; id 6 has no n and no t. */
static void put_five(void)
{
	static const char *t[] = { "a", "b", "c", "d", "e" };
	spm_record *rec;
	int64_t i;

	for (i = 1; i <= 5; i++)
		put_nt(i, 10 + i, i, t[i - 1]);
	rec = new_probe(6, 16);
	cr_assert_eq(ops->put(self, rec), SPM_OK);
	spm_record_free(rec);
}

Test(sqlite_scan, each_integer_comparison)
{
	static const int64_t eq[] = { 3 }, ne[] = { 1, 2, 4, 5 }, lt[] = { 1, 2 },
			     le[] = { 1, 2, 3 }, gt[] = { 4, 5 }, ge[] = { 3, 4, 5 };
	spm_scan_cond c = { F_N, SPM_CMP_EQ, 3, NULL };
	struct seen s;

	open_probe();
	put_five();
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, eq, 1);
	c.cmp = SPM_CMP_NE; /* a field without a value matches no comparison */
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, ne, 4);
	c.cmp = SPM_CMP_LT;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, lt, 2);
	c.cmp = SPM_CMP_LE;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, le, 3);
	c.cmp = SPM_CMP_GT;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, gt, 2);
	c.cmp = SPM_CMP_GE;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, ge, 3);
	assert_no_busy_statement();
	close_probe();
}

Test(sqlite_scan, each_text_comparison)
{
	static const int64_t eq[] = { 2 }, ne[] = { 1, 3, 4, 5 }, lt[] = { 1 },
			     le[] = { 1, 2 }, gt[] = { 3, 4, 5 }, ge[] = { 2, 3, 4, 5 };
	spm_scan_cond c = { F_T, SPM_CMP_EQ, 0, "b" };
	struct seen s;

	open_probe();
	put_five();
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, eq, 1);
	c.cmp = SPM_CMP_NE;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, ne, 4);
	c.cmp = SPM_CMP_LT;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, lt, 1);
	c.cmp = SPM_CMP_LE;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, le, 2);
	c.cmp = SPM_CMP_GT;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, gt, 3);
	c.cmp = SPM_CMP_GE;
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, ge, 4);
	close_probe();
}

Test(sqlite_scan, conditions_are_anded_and_values_are_bound)
{
	static const int64_t both[] = { 4 };
	spm_scan_cond c[2] = { { F_N, SPM_CMP_GT, 2, NULL }, { F_T, SPM_CMP_EQ, 0, "d" } };
	spm_scan_cond inject = { F_T, SPM_CMP_EQ, 0, "x' OR 1=1 --" };
	struct seen s;

	open_probe();
	put_five();
	s = scan_ids(c, 2, 0, 0, 0, 0);
	assert_ids(&s, both, 1);
	s = scan_ids(&inject, 1, 0, 0, 0, 0);
	cr_assert_eq(s.n, 0);
	close_probe();
}

Test(sqlite_scan, money_condition_compares_the_amount)
{
	static const int64_t want[] = { 2 };
	spm_scan_cond c = { F_AMOUNT, SPM_CMP_GE, 100, NULL };
	spm_record *rec;
	struct seen s;

	open_probe();
	rec = new_probe(1, 1);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, 99, "EUR"), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK);
	spm_record_free(rec);
	rec = new_probe(2, 2);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, 100, "EUR"), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK);
	spm_record_free(rec);
	s = scan_ids(&c, 1, 0, 0, 0, 0);
	assert_ids(&s, want, 1);
	close_probe();
}

Test(sqlite_scan, after_id_pages_through_everything_in_id_order)
{
	int64_t after = 0, all[6];
	size_t total = 0, pages = 0, i;
	struct seen s;

	open_probe();
	put_five();
	do {
		s = scan_ids(NULL, 0, after, 0, 4, 0);
		for (i = 0; i < s.n; i++)
			all[total++] = s.id[i];
		if (s.n > 0)
			after = s.id[s.n - 1];
		pages++;
	} while (s.n == 4);
	cr_assert_eq(pages, 2);
	cr_assert_eq(total, 6);
	for (i = 0; i < 6; i++)
		cr_assert_eq(all[i], (int64_t)i + 1);
	close_probe();
}

Test(sqlite_scan, limit_caps_the_count)
{
	static const int64_t want[] = { 1, 2 };
	struct seen s;

	open_probe();
	put_five();
	s = scan_ids(NULL, 0, 0, 0, 2, 0);
	assert_ids(&s, want, 2);
	s = scan_ids(NULL, 0, 0, 0, 0, 0);
	cr_assert_eq(s.n, 6, "limit 0 is no limit");
	close_probe();
}

Test(sqlite_scan, after_seq_catches_up_in_change_order_with_tombstones)
{
	struct seen s;

	open_probe();
	put_five();                   /* seqs 11..16 */
	put_nt(2, 17, 20, "b2");      /* id 2 changed again */
	cr_assert_eq(ops->remove(self, &probe_kind, 4, 18), SPM_OK);

	s = scan_ids(NULL, 0, 0, 15, 0, SPM_SCAN_BY_SEQ | SPM_SCAN_DELETED);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.id[0], 6);
	cr_assert_eq(s.seq[0], 16);
	cr_assert_eq(s.id[1], 2);
	cr_assert_eq(s.seq[1], 17);
	cr_assert_eq(s.id[2], 4);
	cr_assert_eq(s.seq[2], 18);
	cr_assert_eq(s.deleted[2], 1);
	cr_assert_eq(s.deleted[1], 0);

	s = scan_ids(NULL, 0, 0, 15, 0, SPM_SCAN_BY_SEQ);
	cr_assert_eq(s.n, 2, "without SPM_SCAN_DELETED the tombstone is left out");
	s = scan_ids(NULL, 0, 0, 0, 0, 0);
	cr_assert_eq(s.n, 5);
	close_probe();
}

Test(sqlite_scan, rows_sharing_a_seq_come_in_id_order)
{
	static const int64_t want[] = { 1, 2, 3 };
	struct seen s;

	open_probe();
	put_nt(3, 5, 0, NULL);
	put_nt(1, 5, 0, NULL);
	put_nt(2, 5, 0, NULL);
	s = scan_ids(NULL, 0, 0, 0, 0, SPM_SCAN_BY_SEQ);
	assert_ids(&s, want, 3);
	close_probe();
}

Test(sqlite_scan, change_order_pages_by_seq_and_id)
{
	static const int64_t first[] = { 4, 1 }, second[] = { 2, 3 }, third[] = { 5 };
	struct seen s;

	open_probe();
	put_nt(5, 8, 0, NULL);
	put_nt(3, 7, 0, NULL);
	put_nt(1, 7, 0, NULL);
	put_nt(2, 7, 0, NULL);
	put_nt(4, 6, 0, NULL);
	/* after_id 0: every row with a seq above after_seq */
	s = scan_ids(NULL, 0, 0, 5, 2, SPM_SCAN_BY_SEQ);
	assert_ids(&s, first, 2);
	/* the page ended inside seq 7: continue after (7, 1) */
	s = scan_ids(NULL, 0, s.id[1], s.seq[1], 2, SPM_SCAN_BY_SEQ);
	assert_ids(&s, second, 2);
	s = scan_ids(NULL, 0, s.id[1], s.seq[1], 2, SPM_SCAN_BY_SEQ);
	assert_ids(&s, third, 1);
	s = scan_ids(NULL, 0, 0, 7, 0, SPM_SCAN_BY_SEQ);
	assert_ids(&s, third, 1);
	close_probe();
}

Test(sqlite_scan, desc_reverses_the_order)
{
	static const int64_t by_id[] = { 6, 5 }, by_seq[] = { 2, 6, 5 };
	struct seen s;

	open_probe();
	put_five();                /* seqs 11..16 */
	put_nt(2, 17, 2, "b");
	s = scan_ids(NULL, 0, 0, 0, 2, SPM_SCAN_DESC);
	assert_ids(&s, by_id, 2);
	s = scan_ids(NULL, 0, 0, 14, 0, SPM_SCAN_BY_SEQ | SPM_SCAN_DESC);
	assert_ids(&s, by_seq, 3);
	close_probe();
}

Test(sqlite_scan, callback_value_stops_and_statement_is_reset)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct seen s;

	open_probe();
	put_five();
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), 42);
	cr_assert_eq(s.n, 2);
	assert_no_busy_statement();
	/* no read snapshot left open: a write transaction starts */
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->commit(self), SPM_OK);
	close_probe();
}

/* A callback that runs the same scan again while the outer one is running. */
static int nested(spm_record *rec, void *payload)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct seen inner;
	int *calls = payload;

	spm_record_free(rec);
	memset(&inner, 0, sizeof(inner));
	(*calls)++;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &inner), SPM_OK);
	cr_assert_eq(inner.n, 6);
	return 0;
}

Test(sqlite_scan, a_callback_may_scan_the_same_kind_again)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	int calls = 0;

	open_probe();
	put_five();
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, nested, &calls), SPM_OK);
	cr_assert_eq(calls, 6);
	assert_no_busy_statement();
	close_probe();
}

Test(sqlite_scan, many_shapes_reuse_the_statement_slots)
{
	spm_scan_cond c = { F_N, SPM_CMP_EQ, 3, NULL };
	struct seen s;
	int round, cmp;

	open_probe();
	put_five();
	for (round = 0; round < 2; round++) {
		for (cmp = SPM_CMP_EQ; cmp <= SPM_CMP_GE; cmp++) {
			c.cmp = (spm_compare)cmp;
			s = scan_ids(&c, 1, 0, 0, 0, 0);
			cr_assert_gt(s.n, 0);
		}
	}
	close_probe();
}

Test(sqlite_scan, bad_requests_are_refused)
{
	spm_scan_cond c = { PROBE_CORE, SPM_CMP_EQ, 1, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &c, 1, 0, 0, 0, 0, NULL, 0 };
	struct seen s;

	open_probe();
	memset(&s, 0, sizeof(s));
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EINVAL,
		     "a custom field is not a column");
	c.field = F_N;
	c.cmp = (spm_compare)7;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EINVAL);
	c.field = F_T;
	c.cmp = SPM_CMP_EQ;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EINVAL,
		     "text condition without a value");
	c.svalue = "x";
	scan.flags = 0x80;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EINVAL, "unknown flag");
	scan.flags = 0;
	scan.version = 0;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EVERSION);
	cr_assert_eq(s.n, 0);
	close_probe();
}

/* ---- projections (spm_scan version 2) -------------------------------- */

static int keep_first(spm_record *rec, void *payload)
{
	spm_record **out = payload;

	cr_assert_null(*out, "one row expected");
	*out = rec;
	return 0;
}

/* Stores row 7 with every field set and scans it back with the projection. */
static spm_record *scan_projected(const size_t *fields, size_t nfields, unsigned int flags)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, flags, fields, nfields };
	spm_record *rec = new_probe(7, 3), *got = NULL;

	cr_assert_eq(spm__record_put_text(rec, F_T, "seven", 5), SPM_OK);
	cr_assert_eq(spm__record_put_int(rec, F_N, 42), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, -1250, "EUR"), SPM_OK);
	cr_assert_eq(spm__record_put_int(rec, F_AT, 1700000000), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_LATE, 99, "JPY"), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_NOTE, "a note", 6), SPM_OK);
	cr_assert_eq(ops->put(self, rec), SPM_OK, "%s", spm_error_message());
	spm_record_free(rec);
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, keep_first, &got), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_not_null(got);
	cr_assert_eq(spm_record_id(got), 7);
	cr_assert_eq(spm_record_seq(got), 3);
	return got;
}

Test(sqlite_scan, a_projection_reads_only_the_fields_asked_for)
{
	size_t some[] = { F_AMOUNT, F_N, F_LATE };
	spm_record *got;

	open_probe();
	got = scan_projected(some, 3, 0);
	/* in any order, money with its currency; the rest absent */
	cr_assert_eq(spm_record_value_int(got, F_N), 42);
	cr_assert_eq(spm_record_value_int(got, F_AMOUNT), -1250);
	cr_assert_str_eq(spm_record_value_currency(got, F_AMOUNT), "EUR");
	cr_assert_eq(spm_record_value_int(got, F_LATE), 99);
	cr_assert_str_eq(spm_record_value_currency(got, F_LATE), "JPY");
	cr_assert(!got->v[F_T].has);
	cr_assert(!got->v[F_AT].has);
	cr_assert(!got->v[F_NOTE].has, "custom fields only with SPM_SCAN_CUSTOM");
	spm_record_free(got);
	close_probe();
}

Test(sqlite_scan, a_projection_with_the_custom_flag_reads_custom_fields)
{
	size_t one[] = { F_T };
	spm_record *got;

	open_probe();
	got = scan_projected(one, 1, SPM_SCAN_CUSTOM);
	cr_assert_str_eq(spm_record_value_text(got, F_T, NULL), "seven");
	cr_assert(got->v[F_NOTE].has);
	cr_assert_str_eq(got->v[F_NOTE].s, "a note");
	cr_assert(!got->v[F_N].has);
	spm_record_free(got);
	close_probe();
}

Test(sqlite_scan, no_fields_or_version_1_read_whole_rows)
{
	size_t one[] = { F_T };
	spm_scan v1 = { 1, NULL, 0, 0, 0, 0, 0, one, 1 };
	spm_record *got = NULL;

	open_probe();
	/* an empty projection (fields NULL) is the whole row */
	got = scan_projected(NULL, 0, 0);
	cr_assert_eq(spm_record_value_int(got, F_N), 42);
	cr_assert_str_eq(got->v[F_NOTE].s, "a note");
	spm_record_free(got);
	/* a version 1 request has no fields member: it is not read */
	got = NULL;
	cr_assert_eq(ops->scan(self, &probe_kind, &v1, keep_first, &got), SPM_OK);
	cr_assert_eq(spm_record_value_int(got, F_N), 42);
	cr_assert_str_eq(got->v[F_NOTE].s, "a note");
	spm_record_free(got);
	close_probe();
}

Test(sqlite_scan, a_bad_projection_is_refused)
{
	size_t custom[] = { F_N, F_NOTE };
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 1 };
	struct seen s;

	open_probe();
	put_five();
	memset(&s, 0, sizeof(s));
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "sqlite: scan probe: fields is NULL");
	scan.fields = custom;
	scan.nfields = 2;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "sqlite: scan probe: field 1 is not a core field");
	cr_assert_eq(s.n, 0);
	/* the same projection without the custom field pages like a whole scan */
	scan.nfields = 1;
	scan.limit = 2;
	scan.after_id = 2;
	cr_assert_eq(ops->scan(self, &probe_kind, &scan, collect, &s), SPM_OK);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.id[0], 3);
	cr_assert_eq(s.id[1], 4);
	close_probe();
}

/* ---- count, insert, update (ops version 2) --------------------------- */

static int64_t count_of(const spm_scan_cond *conds, size_t nconds, int64_t after_id,
			int64_t after_seq)
{
	spm_scan scan = { SPM_SCAN_VERSION, conds, nconds, after_id, after_seq, 0, 0, NULL, 0 };
	int64_t n = -1;

	cr_assert_eq(ops->count(self, &n, &probe_kind, &scan), SPM_OK, "%s", spm_error_message());
	/* the same as a scan in id order */
	cr_assert_eq(n, (int64_t)scan_ids(conds, nconds, after_id, after_seq, 0, 0).n);
	return n;
}

Test(sqlite_scan, count_is_what_a_scan_returns)
{
	spm_scan_cond ge = { F_N, SPM_CMP_GE, 3, NULL }, ne = { F_T, SPM_CMP_NE, 0, "c" };
	spm_scan_cond both[2] = { { F_N, SPM_CMP_GE, 2, NULL }, { F_T, SPM_CMP_NE, 0, "d" } };
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, SPM_SCAN_DELETED, NULL, 0 };
	int64_t n = 7;

	open_probe();
	put_five();
	cr_assert_eq(ops->remove(self, &probe_kind, 4, 20), SPM_OK);
	cr_assert_eq(count_of(NULL, 0, 0, 0), 5);       /* 1 2 3 5 6 */
	cr_assert_eq(count_of(&ge, 1, 0, 0), 2);        /* 3 5 */
	cr_assert_eq(count_of(&ne, 1, 0, 0), 3);        /* 1 2 5: 6 has no t */
	cr_assert_eq(count_of(both, 2, 0, 0), 3);       /* 2 3 5 */
	cr_assert_eq(count_of(NULL, 0, 3, 0), 2);       /* 5 6 */
	cr_assert_eq(count_of(&ge, 1, 0, 13), 1);       /* 5 (seq 15) */
	/* with SPM_SCAN_DELETED the tombstone of 4 counts too, as a scan with it */
	cr_assert_eq(ops->count(self, &n, &probe_kind, &all), SPM_OK);
	cr_assert_eq(n, 6);
	cr_assert_eq(scan_ids(NULL, 0, 0, 0, 0, SPM_SCAN_DELETED).n, 6);
	all.after_seq = 15;                              /* 6 (seq 16), 4 (seq 20) */
	cr_assert_eq(ops->count(self, &n, &probe_kind, &all), SPM_OK);
	cr_assert_eq(n, 2);
	all.conds = &ge;                                 /* a tombstone meets none */
	all.nconds = 1;
	all.after_seq = 0;
	cr_assert_eq(ops->count(self, &n, &probe_kind, &all), SPM_OK);
	cr_assert_eq(n, 2);
	assert_no_busy_statement();
	close_probe();
}

Test(sqlite_rows, insert_stores_a_new_id_and_refuses_a_taken_one)
{
	spm_record *rec, *got = NULL;

	open_probe();
	put_nt(2, 1, 1, "a");
	cr_assert_eq(ops->remove(self, &probe_kind, 2, 2), SPM_OK);
	rec = new_probe(3, 4);
	cr_assert_eq(spm__record_put_int(rec, F_N, 30), SPM_OK);
	cr_assert_eq(ops->insert(self, rec), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ops->insert(self, rec), SPM_ECONFLICT);
	spm_record_free(rec);
	rec = new_probe(2, 5);  /* the id of a tombstone is taken too */
	cr_assert_eq(ops->insert(self, rec), SPM_ECONFLICT);
	spm_record_free(rec);
	rec = new_probe(0, 5);
	cr_assert_eq(ops->insert(self, rec), SPM_EINVAL);
	spm_record_free(rec);
	cr_assert_eq(ops->get(self, &got, &probe_kind, 3), SPM_OK);
	cr_assert_eq(spm_record_value_int(got, F_N), 30);
	cr_assert_eq(spm_record_seq(got), 4);
	spm_record_free(got);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe"), 2);
	close_probe();
}

Test(sqlite_rows, update_writes_the_marked_values_only)
{
	unsigned char changed[PROBE_ALL] = { 0 };
	spm_record *rec, *got = NULL;
	char buf[64];

	open_probe();
	rec = new_probe(3, 1);
	cr_assert_eq(spm__record_put_int(rec, F_N, 10), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_T, "first", 5), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, 500, "EUR"), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_NOTE, "old", 3), SPM_OK);
	cr_assert_eq(ops->insert(self, rec), SPM_OK);
	spm_record_free(rec);
	/* a record that differs everywhere; only n is marked */
	rec = new_probe(3, 5);
	cr_assert_eq(spm__record_put_int(rec, F_N, 20), SPM_OK);
	cr_assert_eq(spm__record_put_money(rec, F_AMOUNT, 7, "JPY"), SPM_OK);
	cr_assert_eq(spm__record_put_text(rec, F_NOTE, "new", 3), SPM_OK);
	changed[F_N] = 1;
	cr_assert_eq(ops->update(self, rec, changed, PROBE_ALL), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe WHERE id = 3 AND seq = 5 AND "
					   "n = 20 AND t = 'first' AND amount = 500 AND "
					   "amount_currency = 'EUR'"), 1);
	cr_assert_str_eq(query_text(conn_of(), "SELECT custom FROM probe", buf, sizeof(buf)),
			 "{\"note\":\"old\"}");
	/* t (to no value), the money pair and a custom value */
	changed[F_T] = changed[F_AMOUNT] = changed[F_NOTE] = 1;
	cr_assert_eq(ops->update(self, rec, changed, F_NOTE + 1), SPM_OK);
	cr_assert_eq(ops->get(self, &got, &probe_kind, 3), SPM_OK);
	cr_assert(spm_record_value_null(got, F_T));
	cr_assert_eq(spm_record_value_int(got, F_AMOUNT), 7);
	cr_assert_str_eq(spm_record_value_currency(got, F_AMOUNT), "JPY");
	cr_assert_str_eq(spm_record_value_text(got, F_NOTE, NULL), "new");
	spm_record_free(got);
	/* nothing marked still writes the change sequence */
	cr_assert_eq(ops->update(self, rec, NULL, 0), SPM_OK);
	spm_record_free(rec);
	/* missing and deleted records are not found and not created */
	rec = new_probe(9, 6);
	cr_assert_eq(ops->update(self, rec, changed, PROBE_ALL), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "sqlite: update probe 9: no such record");
	spm_record_free(rec);
	cr_assert_eq(ops->remove(self, &probe_kind, 3, 7), SPM_OK);
	rec = new_probe(3, 8);
	cr_assert_eq(ops->update(self, rec, changed, PROBE_ALL), SPM_ENOTFOUND);
	spm_record_free(rec);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe WHERE deleted = 0"), 0);
	assert_no_busy_statement();
	close_probe();
}

Test(sqlite_rows, update_sets_beyond_the_kept_statements_stay_exact)
{
	unsigned char changed[PROBE_ALL];
	spm_record *rec;

	open_probe();
	put_nt(1, 1, 0, "a");
	/* 12 different column sets through 8 kept statements, twice */
	for (int round = 0; round < 24; round++) {
		int k = round % 12;
		memset(changed, 0, sizeof(changed));
		changed[F_N] = 1;
		if (k & 1)
			changed[F_D] = 1;
		if (k & 2)
			changed[F_B] = 1;
		if (k & 4)
			changed[F_AT] = 1;
		if (k >= 8)
			changed[F_E] = 1;
		rec = new_probe(1, 2 + round);
		cr_assert_eq(spm__record_put_int(rec, F_N, round), SPM_OK);
		cr_assert_eq(spm__record_put_int(rec, F_D, round), SPM_OK);
		cr_assert_eq(ops->update(self, rec, changed, PROBE_ALL), SPM_OK);
		spm_record_free(rec);
		cr_assert_eq(query_int(conn_of(), "SELECT n FROM probe WHERE id = 1"), round);
		cr_assert_eq(query_int(conn_of(), "SELECT seq FROM probe WHERE id = 1"), 2 + round);
		cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe WHERE t = 'a'"), 1);
	}
	close_probe();
}

/* ---- transactions and counters --------------------------------------- */

Test(sqlite_txn, next_id_counts_per_counter_inside_write_transactions)
{
	int64_t v = -1;

	open_probe();
	cr_assert_eq(ops->next_id(self, &v, "a"), SPM_EINVAL, "outside a transaction");
	cr_assert_eq(v, 0);
	cr_assert_eq(ops->begin(self, 0), SPM_OK);
	cr_assert_eq(ops->next_id(self, &v, "a"), SPM_EINVAL, "inside a read transaction");
	cr_assert_eq(ops->rollback(self), SPM_OK);

	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->next_id(self, &v, "a"), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(v, 1);
	cr_assert_eq(ops->next_id(self, &v, "a"), SPM_OK);
	cr_assert_eq(v, 2);
	cr_assert_eq(ops->next_id(self, &v, "b"), SPM_OK);
	cr_assert_eq(v, 1);
	cr_assert_eq(ops->commit(self), SPM_OK);

	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->next_id(self, &v, "a"), SPM_OK);
	cr_assert_eq(v, 3);
	cr_assert_eq(ops->rollback(self), SPM_OK);
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->next_id(self, &v, "a"), SPM_OK);
	cr_assert_eq(v, 3, "a rolled back increment is not kept");
	cr_assert_eq(ops->commit(self), SPM_OK);
	close_probe();
}

Test(sqlite_txn, next_id_overflow_is_reported)
{
	int64_t v = -1;

	open_probe();
	raw_exec(conn_of(), "INSERT INTO \"spm:counters\" VALUES ('big', 9223372036854775807)");
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->next_id(self, &v, "big"), SPM_EOVERFLOW);
	cr_assert_eq(v, 0);
	cr_assert_eq(ops->rollback(self), SPM_OK);
	close_probe();
}

Test(sqlite_txn, rollback_undoes_writes)
{
	spm_record *got = NULL;

	open_probe();
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	put_nt(1, 1, 1, "a");
	cr_assert_eq(ops->rollback(self), SPM_OK);
	cr_assert_eq(ops->get(self, &got, &probe_kind, 1), SPM_ENOTFOUND);
	close_probe();
}

Test(sqlite_txn, misuse_is_reported_and_rollback_without_transaction_succeeds)
{
	open_probe();
	cr_assert_eq(ops->rollback(self), SPM_OK);
	cr_assert_eq(ops->commit(self), SPM_EINVAL);
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->begin(self, 0), SPM_EINVAL, "no nesting");
	cr_assert_eq(ops->commit(self), SPM_OK);
	cr_assert_eq(ops->rollback(self), SPM_OK);
	close_probe();
}

Test(sqlite_txn, write_transaction_takes_the_lock_and_waits_busy_timeout)
{
	struct timespec t0, t1;
	sqlite3 *other;
	long ms;

	cr_assert_eq(open_backend(dbpath, SPM_OPEN_CREATE, 300), SPM_OK);
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_OK);
	other = raw_open(dbpath);
	raw_exec(other, "BEGIN IMMEDIATE");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_EBUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_assert_geq(ms, 250, "waited %ld ms", ms);
	cr_assert_eq(strncmp(spm_error_message(), "sqlite: begin write (", 21), 0, "%s",
		     spm_error_message());
	/* readers are not blocked by a writer in WAL mode */
	cr_assert_eq(ops->begin(self, 0), SPM_OK);
	cr_assert_eq(ops->commit(self), SPM_OK);
	raw_exec(other, "COMMIT");
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_OK);
	cr_assert_eq(ops->commit(self), SPM_OK);
	sqlite3_close(other);
	close_probe();
}

/* ---- schema ---------------------------------------------------------- */

static int64_t count_objects(sqlite3 *db, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE name = '%s'", name);
	return query_int(db, sql);
}

static int64_t has_column(sqlite3 *db, const char *table, const char *col, const char *type)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s' "
		 "AND type = '%s'", table, col, type);
	return query_int(db, sql);
}

Test(sqlite_schema, new_database_is_version_zero)
{
	int v = -1;

	cr_assert_eq(open_backend(dbpath, SPM_OPEN_CREATE, 1000), SPM_OK);
	cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
	cr_assert_eq(v, 0);
	close_probe();
}

Test(sqlite_schema, tables_columns_and_indexes_follow_the_registry)
{
	int v = -1;

	open_probe();
	cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
	cr_assert_eq(v, 2);
	cr_assert_eq(has_column(conn_of(), "probe", "id", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "seq", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "deleted", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "t", "TEXT"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "n", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "amount", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "amount_currency", "TEXT"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "d", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "b", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "e", "TEXT"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "at", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "late", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "custom", "TEXT"), 1);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM pragma_table_info('probe')"), 14,
		     "custom fields get no column");
	cr_assert_eq(count_objects(conn_of(), "seq:probe"), 1);
	cr_assert_eq(count_objects(conn_of(), "idx:probe:t"), 1);
	cr_assert_eq(count_objects(conn_of(), "idx:probe:amount"), 1);
	cr_assert_eq(count_objects(conn_of(), "idx:probe:late"), 1);
	cr_assert_eq(count_objects(conn_of(), "idx:probe:d"), 0, "d is not indexed");
	cr_assert_eq(count_objects(conn_of(), "newer"), 1);
	cr_assert_eq(count_objects(conn_of(), "spm:counters"), 1);
	close_probe();
}

Test(sqlite_schema, upgrade_in_steps_adds_kinds_and_columns)
{
	int v = -1;

	cr_assert_eq(open_backend(dbpath, SPM_OPEN_CREATE, 1000), SPM_OK);
	cr_assert_eq(ops->upgrade(self, 0, 1), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
	cr_assert_eq(v, 1);
	cr_assert_eq(has_column(conn_of(), "probe", "late", "INTEGER"), 0);
	cr_assert_eq(count_objects(conn_of(), "newer"), 0);
	/* the probe's "late" column is not there yet: write the row by hand */
	raw_exec(conn_of(), "INSERT INTO probe (id, seq, t) VALUES (1, 1, 'kept')");

	cr_assert_eq(ops->upgrade(self, 1, 2), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
	cr_assert_eq(v, 2);
	cr_assert_eq(has_column(conn_of(), "probe", "late", "INTEGER"), 1);
	cr_assert_eq(has_column(conn_of(), "probe", "late_currency", "TEXT"), 1);
	cr_assert_eq(count_objects(conn_of(), "idx:probe:late"), 1);
	cr_assert_eq(count_objects(conn_of(), "newer"), 1);
	cr_assert_eq(count_objects(conn_of(), "idx:newer:x"), 1);
	cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM probe WHERE t = 'kept'"), 1);
	close_probe();
}

Test(sqlite_schema, upgrade_to_a_version_already_reached_does_nothing)
{
	int v = -1;

	open_probe();
	/* as if another process had upgraded after this one read version 0 */
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ops->upgrade(self, 0, 1), SPM_OK, "never a downgrade");
	cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
	cr_assert_eq(v, 2);
	close_probe();
}

Test(sqlite_schema, a_failed_upgrade_leaves_the_file_unchanged)
{
	sqlite3 *raw = raw_open(dbpath);
	int v = -1;

	raw_exec(raw, "CREATE TABLE newer (foreign_column TEXT)");
	cr_assert_eq(open_backend(dbpath, SPM_OPEN_CREATE, 1000), SPM_OK);
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_ESTORAGE);
	cr_assert_str_eq(spm_error_message(),
			 "sqlite: create table newer (table \"newer\" already exists)");
	cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
	cr_assert_eq(v, 0);
	close_probe();
	cr_assert_eq(query_int(raw, "PRAGMA user_version"), 0);
	cr_assert_eq(query_int(raw, "SELECT count(*) FROM sqlite_master"), 1,
		     "probe, its indexes and the counters were rolled back");
	sqlite3_close(raw);
}

Test(sqlite_schema, unusable_names_are_refused_before_any_sql)
{
	static struct spm__field bad_fields[] = {
		{ .name = "price", .type = SPM_FIELD_MONEY, .since = 1 },
		{ .name = "price_currency", .type = SPM_FIELD_TEXT, .since = 1 },
	};
	static struct spm__field seq_field[] = {
		{ .name = "seq", .type = SPM_FIELD_INTEGER, .since = 1 },
	};
	spm_kind quote = { .name = "x\" (a); DROP TABLE probe; --", .since = 1 };
	spm_kind clash = { .name = "clash", .since = 1, .ncore = 2, .fields = bad_fields,
			   .nfields = 2, .cap = 2 };
	spm_kind reserved = { .name = "reserved", .since = 1, .ncore = 1, .fields = seq_field,
			      .nfields = 1, .cap = 1 };
	spm_kind *kinds[1];
	spm_kind *cases[] = { &quote, &clash, &reserved };
	size_t i;
	int v;

	for (i = 0; i < 3; i++) {
		kinds[0] = cases[i];
		fake.kinds = kinds;
		fake.nkinds = 1;
		cr_assert_eq(open_backend(":memory:", SPM_OPEN_CREATE, 0), SPM_OK);
		cr_assert_eq(ops->upgrade(self, 0, 1), SPM_ECORRUPT, "case %zu", i);
		cr_assert_eq(ops->schema_version(self, &v), SPM_OK);
		cr_assert_eq(v, 0);
		cr_assert_eq(query_int(conn_of(), "SELECT count(*) FROM sqlite_master"), 0);
		close_probe();
	}
}

Test(sqlite_schema, bad_versions_are_einval)
{
	open_probe();
	cr_assert_eq(ops->upgrade(self, 2, 1), SPM_EINVAL);
	cr_assert_eq(ops->upgrade(self, 0, 0), SPM_EINVAL);
	cr_assert_eq(ops->upgrade(self, -1, 1), SPM_EINVAL);
	close_probe();
}

/* ---- open ------------------------------------------------------------ */

Test(sqlite_open, file_gets_wal_normal_sync_foreign_keys_and_busy_timeout)
{
	char buf[32];
	sqlite3 *raw;

	cr_assert_eq(open_backend(dbpath, SPM_OPEN_CREATE, 1234), SPM_OK);
	cr_assert_str_eq(query_text(conn_of(), "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	cr_assert_eq(query_int(conn_of(), "PRAGMA synchronous"), 1, "NORMAL");
	cr_assert_eq(query_int(conn_of(), "PRAGMA foreign_keys"), 1);
	cr_assert_eq(query_int(conn_of(), "PRAGMA busy_timeout"), 1234);
	close_probe();
	raw = raw_open(dbpath);
	cr_assert_str_eq(query_text(raw, "PRAGMA journal_mode", buf, sizeof(buf)), "wal",
			 "WAL is a property of the file");
	sqlite3_close(raw);
}

Test(sqlite_open, memory_database_works_without_wal)
{
	spm_record *got = NULL;
	char buf[32];

	cr_assert_eq(open_backend(":memory:", SPM_OPEN_CREATE, 0), SPM_OK);
	cr_assert_str_eq(query_text(conn_of(), "PRAGMA journal_mode", buf, sizeof(buf)), "memory");
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_OK);
	put_nt(1, 1, 1, "m");
	cr_assert_eq(ops->get(self, &got, &probe_kind, 1), SPM_OK);
	spm_record_free(got);
	close_probe();
}

Test(sqlite_open, null_path_is_memory)
{
	cr_assert_eq(open_backend(NULL, SPM_OPEN_CREATE, 0), SPM_OK);
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_OK);
	close_probe();
}

Test(sqlite_open, uri_with_mode_rwc_creates_the_file)
{
	char uri[200];

	snprintf(uri, sizeof(uri), "file:%s?mode=rwc", dbpath);
	cr_assert_eq(open_backend(uri, SPM_OPEN_CREATE, 1000), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ops->upgrade(self, 0, 2), SPM_OK);
	close_probe();
	cr_assert_eq(access(dbpath, F_OK), 0);
}

Test(sqlite_open, uri_naming_an_unknown_vfs_fails)
{
	char uri[200];

	snprintf(uri, sizeof(uri), "file:%s?vfs=no-such-vfs", dbpath);
	cr_assert_eq(open_backend(uri, SPM_OPEN_CREATE, 1000), SPM_ESTORAGE);
	cr_assert_null(self);
	cr_assert_null(ops);
	cr_assert_eq(strncmp(spm_error_message(), "sqlite: open file:", 18), 0, "%s",
		     spm_error_message());
	cr_assert_eq(fake.live_allocs, 0);
}

Test(sqlite_open, missing_file_without_create_fails)
{
	cr_assert_eq(open_backend(dbpath, 0, 1000), SPM_ESTORAGE);
	cr_assert_null(self);
	cr_assert_eq(access(dbpath, F_OK), -1);
	cr_assert_eq(fake.live_allocs, 0);
}

Test(sqlite_open, read_only_handle_refuses_writes)
{
	spm_record *got = NULL, *rec;

	open_probe();
	put_nt(1, 1, 1, "ro");
	close_probe();
	cr_assert_eq(open_backend(dbpath, SPM_OPEN_READONLY, 1000), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(ops->get(self, &got, &probe_kind, 1), SPM_OK);
	spm_record_free(got);
	cr_assert_eq(ops->begin(self, SPM_STORAGE_WRITE), SPM_EPERM);
	rec = new_probe(2, 2);
	cr_assert_eq(ops->put(self, rec), SPM_EPERM, "%s", spm_error_message());
	spm_record_free(rec);
	cr_assert_eq(ops->upgrade(self, 2, 3), SPM_EPERM);
	close_probe();
}

/* ---- through the public API ------------------------------------------ */

static spm_db *api_open(const char *path, int *rc)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;

	opts.path = path;
	*rc = spm_db_open(&db, &opts);
	return db;
}

static void add_field(spm_db *db, const char *name, spm_field_type type)
{
	static const char *const choices[] = { "gold", "silver" };
	spm_field_options fo = SPM_FIELD_OPTIONS_INIT;

	if (type == SPM_FIELD_ENUM) {
		fo.choices = choices;
		fo.nchoices = 2;
	}
	cr_assert_eq(spm_field_add(db, "customer", name, type, &fo), SPM_OK, "%s: %s", name,
		     spm_error_message());
}

TestSuite(sqlite_api, .init = make_tmpdir, .fini = remove_tmpdir);

Test(sqlite_api, core_and_custom_values_survive_a_reopen)
{
	spm_record *rec = NULL;
	const char *text, *cur;
	int64_t id, i64;
	spm_date d, dd;
	spm_time t;
	spm_db *db;
	int rc, b;

	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());
	add_field(db, "budget", SPM_FIELD_MONEY);
	add_field(db, "visits", SPM_FIELD_INTEGER);
	add_field(db, "since", SPM_FIELD_DATE);
	add_field(db, "vip", SPM_FIELD_BOOLEAN);
	add_field(db, "tier", SPM_FIELD_ENUM);
	add_field(db, "motto", SPM_FIELD_TEXT);
	add_field(db, "seen", SPM_FIELD_TIME);
	cr_assert_eq(spm_date_from_ymd(&d, 2024, 2, 29), SPM_OK);
	cr_assert_eq(spm_record_new(&rec, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(rec, "name", "Acme 北京"), SPM_OK);
	cr_assert_eq(spm_record_set_int(rec, "owner_id", 42), SPM_OK);
	cr_assert_eq(spm_record_set_money(rec, "budget", 123456, "CNY"), SPM_OK);
	cr_assert_eq(spm_record_set_int(rec, "visits", -3), SPM_OK);
	cr_assert_eq(spm_record_set_date(rec, "since", d), SPM_OK);
	cr_assert_eq(spm_record_set_bool(rec, "vip", 1), SPM_OK);
	cr_assert_eq(spm_record_set_text(rec, "tier", "gold"), SPM_OK);
	cr_assert_eq(spm_record_set_text(rec, "motto", "ship it"), SPM_OK);
	cr_assert_eq(spm_record_set_time(rec, "seen", 1700000000), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(rec);
	cr_assert_gt(id, 0);
	spm_record_free(rec);
	spm_db_close(db);

	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_get(&rec, db, "customer", id), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_get_text(&text, rec, "name"), SPM_OK);
	cr_assert_str_eq(text, "Acme 北京");
	cr_assert_eq(spm_record_get_int(&i64, rec, "owner_id"), SPM_OK);
	cr_assert_eq(i64, 42);
	cr_assert_eq(spm_record_get_text(&text, rec, "industry"), SPM_ENOTFOUND, "no value");
	cr_assert_eq(spm_record_get_money(&i64, &cur, rec, "budget"), SPM_OK);
	cr_assert_eq(i64, 123456);
	cr_assert_str_eq(cur, "CNY");
	cr_assert_eq(spm_record_get_int(&i64, rec, "visits"), SPM_OK);
	cr_assert_eq(i64, -3);
	cr_assert_eq(spm_record_get_date(&dd, rec, "since"), SPM_OK);
	cr_assert_eq(dd, d);
	cr_assert_eq(spm_record_get_bool(&b, rec, "vip"), SPM_OK);
	cr_assert_eq(b, 1);
	cr_assert_eq(spm_record_get_text(&text, rec, "tier"), SPM_OK);
	cr_assert_str_eq(text, "gold");
	cr_assert_eq(spm_record_get_text(&text, rec, "motto"), SPM_OK);
	cr_assert_str_eq(text, "ship it");
	cr_assert_eq(spm_record_get_time(&t, rec, "seen"), SPM_OK);
	cr_assert_eq(t, 1700000000);
	spm_record_free(rec);
	spm_db_close(db);
}

static spm_record *save_customer(spm_db *db, const char *name, const char *industry)
{
	spm_record *rec = NULL;

	cr_assert_eq(spm_record_new(&rec, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(rec, "name", name), SPM_OK);
	if (industry)
		cr_assert_eq(spm_record_set_text(rec, "industry", industry), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK, "%s", spm_error_message());
	return rec;
}

struct names {
	char name[8][16];
	int deleted[8];
	size_t n;
};

static int collect_names(const spm_record *rec, void *payload)
{
	struct names *ns = payload;
	const char *name = "";

	cr_assert_lt(ns->n, 8);
	ns->deleted[ns->n] = spm_record_is_deleted(rec);
	if (!ns->deleted[ns->n])
		cr_assert_eq(spm_record_get_text(&name, rec, "name"), SPM_OK);
	snprintf(ns->name[ns->n], sizeof(ns->name[0]), "%s", name);
	ns->n++;
	return 0;
}

Test(sqlite_api, queries_filter_and_catch_up_by_change_sequence)
{
	spm_record *a, *b, *c;
	struct names ns;
	spm_query *q = NULL;
	spm_db *db;
	int64_t seq_b;
	int rc;

	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());
	a = save_customer(db, "a", "retail");
	b = save_customer(db, "b", "energy");
	c = save_customer(db, "c", "retail");
	seq_b = spm_record_seq(b);

	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_where_text(q, "industry", SPM_CMP_EQ, "retail"), SPM_OK);
	memset(&ns, 0, sizeof(ns));
	cr_assert_eq(spm_query_foreach(q, collect_names, &ns), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ns.n, 2);
	cr_assert_str_eq(ns.name[0], "a");
	cr_assert_str_eq(ns.name[1], "c");
	spm_query_free(q);

	cr_assert_eq(spm_record_delete(db, "customer", spm_record_id(a)), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_changed_since(q, seq_b), SPM_OK);
	memset(&ns, 0, sizeof(ns));
	cr_assert_eq(spm_query_foreach(q, collect_names, &ns), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ns.n, 2, "c, then the tombstone of a");
	cr_assert_str_eq(ns.name[0], "c");
	cr_assert_eq(ns.deleted[1], 1);
	spm_query_free(q);

	cr_assert_eq(spm_query_new(&q, db, "customer"), SPM_OK);
	cr_assert_eq(spm_query_limit(q, 1), SPM_OK);
	memset(&ns, 0, sizeof(ns));
	cr_assert_eq(spm_query_foreach(q, collect_names, &ns), SPM_OK);
	cr_assert_eq(ns.n, 1);
	cr_assert_str_eq(ns.name[0], "b");
	spm_query_free(q);

	spm_record_free(a);
	spm_record_free(b);
	spm_record_free(c);
	spm_db_close(db);
}

Test(sqlite_api, file_is_in_wal_mode)
{
	char buf[32];
	sqlite3 *raw;
	spm_db *db;
	int rc;

	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());
	raw = raw_open(dbpath);
	cr_assert_str_eq(query_text(raw, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	cr_assert_eq(query_int(raw, "PRAGMA user_version"), spm_schema_version_supported());
	sqlite3_close(raw);
	spm_db_close(db);
}

Test(sqlite_api, uri_path_opens)
{
	spm_record *rec;
	char uri[200];
	spm_db *db;
	int rc;

	snprintf(uri, sizeof(uri), "file:%s?mode=rwc", dbpath);
	db = api_open(uri, &rc);
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());
	rec = save_customer(db, "via uri", NULL);
	spm_record_free(rec);
	spm_db_close(db);
	cr_assert_eq(access(dbpath, F_OK), 0);
}

Test(sqlite_api, newer_file_is_refused_with_eversion)
{
	char sql[64], want[16];
	sqlite3 *raw;
	spm_db *db;
	int rc, newer = spm_schema_version_supported() + 1;

	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
	raw = raw_open(dbpath);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newer);
	raw_exec(raw, sql);
	sqlite3_close(raw);

	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_EVERSION);
	cr_assert_null(db);
	snprintf(want, sizeof(want), "%d", newer);
	cr_assert_not_null(strstr(spm_error_message(), want), "message names version %d: %s", newer,
			   spm_error_message());
	raw = raw_open(dbpath);
	cr_assert_eq(query_int(raw, "PRAGMA user_version"), newer, "left as it was");
	sqlite3_close(raw);
}

Test(sqlite_api, failed_first_upgrade_creates_nothing)
{
	sqlite3 *raw = raw_open(dbpath);
	spm_db *db;
	int rc;

	raw_exec(raw, "CREATE TABLE customer (x TEXT)");
	db = api_open(dbpath, &rc);
	cr_assert_eq(rc, SPM_ESTORAGE, "%s", spm_error_message());
	cr_assert_null(db);
	cr_assert_not_null(strstr(spm_error_message(), "already exists"), "%s",
			   spm_error_message());
	cr_assert_eq(query_int(raw, "PRAGMA user_version"), 0);
	cr_assert_eq(query_int(raw, "SELECT count(*) FROM sqlite_master"), 1,
		     "only the foreign table");
	sqlite3_close(raw);
}

/* ---- every handle runs in WAL mode with synchronous=NORMAL ------------ */

/* The connection of a handle on the SQLite backend (its own, unwrapped). */
static sqlite3 *handle_conn(spm_db *db)
{
	cr_assert_eq(db->ops->begin, spm__sqlite_begin, "the handle is not on the sqlite backend");
	return ((spm__sqlite *)db->store)->conn;
}

/* journal_mode and synchronous are read on the handle's own connection:
 * synchronous is per connection, so another connection would show its own. */
static void assert_wal_normal(sqlite3 *conn, const char *how)
{
	char buf[32];

	cr_assert_str_eq(query_text(conn, "PRAGMA journal_mode", buf, sizeof(buf)), "wal", "%s",
			 how);
	cr_assert_eq(query_int(conn, "PRAGMA synchronous"), 1, "%s: synchronous is NORMAL", how);
}

static spm_db *open_with(const char *path, unsigned int flags, int busy_timeout_ms)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;

	opts.path = path;
	opts.flags = flags;
	opts.busy_timeout_ms = busy_timeout_ms;
	cr_assert_eq(spm_db_open(&db, &opts), SPM_OK, "%s: %s", path, spm_error_message());
	return db;
}

static void *wrapped_inner;

/* A wrapper that keeps the backend as it is and remembers its instance. */
static int note_inner(const spm_storage_ops **ops, void **self, spm_db *db, void *payload)
{
	(void)ops;
	(void)db;
	(void)payload;
	wrapped_inner = *self;
	return SPM_OK;
}

Test(sqlite_api, every_handle_on_a_file_runs_wal_with_synchronous_normal)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_db *created, *again, *second, *ro, *by_uri, *wrapped = NULL;
	char uri[200], buf[32];
	sqlite3 *raw;

	/* a new file (made from the schema image), reopened, a second handle
	 * at the same time, read-only, through a URI, without busy timeout */
	created = open_with(dbpath, SPM_OPEN_CREATE, 5000);
	assert_wal_normal(handle_conn(created), "new file");
	spm_db_close(created);
	again = open_with(dbpath, SPM_OPEN_CREATE, 0);
	assert_wal_normal(handle_conn(again), "reopened, no busy timeout");
	second = open_with(dbpath, 0, 100);
	assert_wal_normal(handle_conn(second), "second handle");
	ro = open_with(dbpath, SPM_OPEN_READONLY, 1000);
	assert_wal_normal(handle_conn(ro), "read-only");
	snprintf(uri, sizeof(uri), "file:%s?mode=rw", dbpath);
	by_uri = open_with(uri, 0, 1000);
	assert_wal_normal(handle_conn(by_uri), "file: URI");
	/* with a storage wrapper, on the backend's own connection */
	opts.path = dbpath;
	opts.storage_wrap = note_inner;
	cr_assert_eq(spm_db_open(&wrapped, &opts), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(wrapped->store, wrapped_inner);
	assert_wal_normal(handle_conn(wrapped), "wrapped");
	spm_db_close(wrapped);
	spm_db_close(by_uri);
	spm_db_close(ro);
	spm_db_close(second);
	spm_db_close(again);
	raw = raw_open(dbpath);
	cr_assert_str_eq(query_text(raw, "PRAGMA journal_mode", buf, sizeof(buf)), "wal",
			 "WAL is a property of the file");
	sqlite3_close(raw);
}

Test(sqlite_api, a_file_in_rollback_journal_mode_becomes_wal)
{
	sqlite3 *raw = raw_open(dbpath);
	char buf[32];
	spm_db *db;

	cr_assert_str_eq(query_text(raw, "PRAGMA journal_mode=DELETE", buf, sizeof(buf)), "delete");
	raw_exec(raw, "PRAGMA user_version=0");
	sqlite3_close(raw);
	db = open_with(dbpath, 0, 1000);
	assert_wal_normal(handle_conn(db), "a file made elsewhere");
	spm_db_close(db);
}
