/* Schema versions: the committed version-1 fixture opens and is upgraded in
 * place, data intact; a database of a newer schema is refused. The fixture
 * is kept forever (see fixtures/make_v1.c). */
#include "helpers.h"
#include "sql_probe.h"
#include "core/db_internal.h"

#include <sqlite3.h>

#ifndef FIXTURE_DIR
#error FIXTURE_DIR must name tests/fixtures
#endif

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;

	cr_assert_not_null(in, "%s", from);
	cr_assert_not_null(out, "%s", to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static int user_version(const char *path)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	int v;

	cr_assert_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(s, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return v;
}

static void fixture_copy(char *path, size_t size)
{
	temp_db_path(path, size);
	copy_file(FIXTURE_DIR "/schema-v1.sqlite", path);
	cr_assert_eq(user_version(path), 1, "the fixture must stay at schema version 1");
}

Test(schema, version_1_fixture_is_upgraded_with_its_data)
{
	char path[256];
	spm_db *db;
	spm_record *r;
	const char *s, *cur;
	int64_t n, pos;
	int v;

	fixture_copy(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_db_schema_version(&v, db), SPM_OK);
	cr_assert_eq(v, 7);
	cr_assert_eq(user_version(path), 7);
	cr_assert_eq(spm_record_get(&r, db, "customer", 1), SPM_OK);
	cr_assert_eq(spm_record_get_text(&s, r, "name"), SPM_OK);
	cr_assert_str_eq(s, "Fixture 有限公司");
	cr_assert_eq(spm_record_get_int(&n, r, "owner_id"), SPM_OK);
	cr_assert_eq(n, 11);
	cr_assert_eq(spm_record_get_text(&s, r, "grade"), SPM_OK);
	cr_assert_str_eq(s, "A");
	cr_assert_eq(spm_record_get_money(&n, &cur, r, "credit"), SPM_OK);
	cr_assert_eq(n, 123456);
	cr_assert_str_eq(cur, "CNY");
	/* fields added by version 2 exist and start empty */
	cr_assert_eq(spm_record_get_text(&s, r, "industry"), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_set_text(r, "industry", "制造业"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	/* the contact kind of version 2 works */
	cr_assert_eq(spm_record_new(&r, db, "contact"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "customer_id", 1), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "王伟"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	/* history came along: 2 schema + 4 create (name, owner, grade, credit)
	 * + 1 update, then this session's 1 update + 2 contact fields */
	cr_assert_eq(count_audit(db), 10);
	cr_assert_eq(spm_consumer_position(&pos, db, "fixture"), SPM_OK);
	cr_assert_eq(pos, 2);
	spm_db_close(db);
}

Test(schema, version_1_fixture_read_only_cannot_be_upgraded)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[256];
	spm_db *db;

	fixture_copy(path, sizeof(path));
	o.path = path;
	o.flags = SPM_OPEN_READONLY;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "the database has schema version 1 and needs an "
			 "upgrade to 7, but is open read-only");
	cr_assert_eq(user_version(path), 1);
}

Test(schema, newer_schema_is_refused_and_left_alone)
{
	char path[256];
	spm_db *db;
	sqlite3 *s;
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	make_customer(db, "Acme");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "PRAGMA user_version = 8", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	o.path = path;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EVERSION);
	cr_assert_null(db);
	cr_assert_str_eq(spm_error_message(), "the database has schema version 8; this libspm "
			 "(0.1.0) knows up to 7: use a newer libspm");
	cr_assert_eq(user_version(path), 8);
}

/* The audit entries of a test, in order, as "id op kind#entity field old>new". */
struct audit_log {
	char lines[16][128];
	int n;
};

static int audit_log_cb(const spm_audit_entry *e, void *payload)
{
	struct audit_log *log = payload;

	cr_assert_lt(log->n, 16);
	snprintf(log->lines[log->n++], sizeof(log->lines[0]), "%lld %d %s#%lld %s %s>%s",
		 (long long)e->id, e->op, e->kind ? e->kind : "-", (long long)e->entity_id,
		 e->field ? e->field : "-", e->old_value ? e->old_value : "-",
		 e->new_value ? e->new_value : "-");
	return 0;
}

/* Version 5 stores one audit row per record change; a version-4 file keeps
 * its rows of one field each, and both read back alike, numbered in order. */
Test(schema, version_4_audit_rows_stay_readable_after_upgrade_to_5)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	struct audit_log log = { .n = 0 };
	char path[256];
	spm_db *db = NULL;
	spm_record *r;
	sqlite3 *s;

	temp_db_path(path, sizeof(path));
	o.path = path;
	o.clock = test_clock;
	o.actor = 1;
	cr_assert_eq(spm__db_open_at_version(&db, &o, 4), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
	cr_assert_eq(user_version(path), 4);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('_audit') "
			       "WHERE name = 'changes'"), 0);
	/* what libspm 4 wrote for creating customer 1 (two fields), ids 1-2 */
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s,
		"INSERT INTO customer (id, seq, deleted, name, owner_id) VALUES (1, 1, 0, 'Old Co', 1);"
		"INSERT INTO _audit (id, seq, deleted, change_seq, at, actor, op, kind, entity_id, "
		"field, old_value, new_value) VALUES "
		"(1, 1, 0, 1, 100, 1, 1, 'customer', 1, 'name', NULL, 'Old Co'),"
		"(2, 1, 0, 1, 100, 1, 1, 'customer', 1, 'owner_id', NULL, '1');"
		"INSERT INTO \"spm:counters\" (name, value) VALUES ('_audit', 2), ('seq', 1), "
		"('customer', 1);", NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(s));
	sqlite3_close(s);

	db = open_db(path);
	cr_assert_eq(user_version(path), 7);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('_audit') "
			       "WHERE name = 'changes'"), 1);
	cr_assert_eq(spm_record_get(&r, db, "customer", 1), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_set_text(r, "name", "New Co"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "industry", "Retail"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	/* the update of two fields is one stored row */
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM _audit"), 3);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM _audit WHERE changes IS NOT NULL"), 1);
	cr_assert_eq(spm_audit_foreach(db, "customer", 1, audit_log_cb, &log), SPM_OK);
	cr_assert_eq(log.n, 4);
	cr_assert_str_eq(log.lines[0], "1 1 customer#1 name ->Old Co");
	cr_assert_str_eq(log.lines[1], "2 1 customer#1 owner_id ->1");
	cr_assert_str_eq(log.lines[2], "3 2 customer#1 name Old Co>New Co");
	cr_assert_str_eq(log.lines[3], "4 2 customer#1 industry ->Retail");
	spm_db_close(db);
}

/* A stored row whose changes are not what the library writes is reported,
 * not skipped or half read. */
Test(schema, malformed_audit_changes_are_reported_as_corrupt)
{
	struct audit_log log = { .n = 0 };
	char path[256];
	spm_db *db;
	sqlite3 *s;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	make_customer(db, "Acme");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, DROP_AUDIT_TRIGGERS "UPDATE _audit SET changes = '[1,2]' WHERE kind = 'customer'",
				  NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_audit_foreach(db, "customer", 0, audit_log_cb, &log), SPM_ECORRUPT);
	cr_assert_eq(log.n, 0);
	cr_assert(strstr(spm_error_message(), "changes are not a JSON object") != NULL, "%s",
		  spm_error_message());
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, DROP_AUDIT_TRIGGERS "UPDATE _audit SET changes = '{\"name\":{\"old\":1}}' "
				  "WHERE kind = 'customer'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_audit_foreach(db, "customer", 0, audit_log_cb, &log), SPM_ECORRUPT);
	cr_assert(strstr(spm_error_message(), "change of name is malformed") != NULL, "%s",
		  spm_error_message());
	spm_db_close(db);
}

/* A stored custom field definition without a kind, a name or a known type
 * is damaged: the file is refused as corrupt, not read with a NULL name. */
Test(schema, a_damaged_custom_field_definition_is_corrupt)
{
	static const char *const damage[] = {
		"UPDATE _field SET kind = NULL",
		"UPDATE _field SET name = NULL",
		"UPDATE _field SET type = 99",
		"UPDATE _field SET type = 4294967297",
	};
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[256];
	spm_db *db;
	sqlite3 *s;

	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		temp_db_path(path, sizeof(path));
		db = open_db(path);
		cr_assert_eq(spm_field_add(db, "customer", "tier", SPM_FIELD_INTEGER, NULL), SPM_OK);
		spm_db_close(db);
		cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(s, damage[i], NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(s);
		o.path = path;
		db = (spm_db *)&o;
		cr_assert_eq(spm_db_open(&db, &o), SPM_ECORRUPT, "%s", damage[i]);
		cr_assert_null(db);
		cr_assert_str_eq(spm_error_message(), "custom field definition 1: no kind, no name "
				 "or an unknown type", "%s", damage[i]);
	}
}

/* A row of several changes numbers them from its id on: at the last id
 * there is no room for them, which only damage explains. */
Test(schema, audit_changes_past_the_last_id_are_corrupt)
{
	char path[256];
	spm_db *db;
	sqlite3 *s;
	int n = 0;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	make_customer(db, "Acme");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, DROP_AUDIT_TRIGGERS "UPDATE _audit SET id = 9223372036854775807, changes = "
				  "'{\"name\":{\"new\":\"A\"},\"industry\":{\"new\":\"B\"}}' "
				  "WHERE kind = 'customer'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_audit_foreach(db, "customer", 0, count_audit_cb, &n), SPM_ECORRUPT);
	cr_assert_eq(n, 0);
	cr_assert_str_eq(spm_error_message(),
			 "audit entry 9223372036854775807: more changes than ids");
	spm_db_close(db);
}

static int last_audit_id_cb(const spm_audit_entry *e, void *payload)
{
	int64_t *ids = payload; /* ids[0]: how many; then the first two ids */

	if (ids[0] < 2)
		ids[1 + ids[0]] = e->id;
	ids[0]++;
	return 0;
}

/* Changes that end exactly at the last id are whole: numbered up to it and
 * not one step beyond (the walk used to step past INT64_MAX). */
Test(schema, audit_changes_ending_at_the_last_id_are_read)
{
	static const char *rows[] = {
		DROP_AUDIT_TRIGGERS
		"UPDATE _audit SET id = 9223372036854775807, changes = '{\"name\":{\"new\":\"A\"}}' "
		"WHERE kind = 'customer'",
		DROP_AUDIT_TRIGGERS
		"UPDATE _audit SET id = 9223372036854775806, changes = "
		"'{\"name\":{\"new\":\"A\"},\"industry\":{\"new\":\"B\"}}' "
		"WHERE kind = 'customer'",
	};
	static const int64_t want[][3] = {
		{ 1, INT64_MAX, 0 },
		{ 2, INT64_MAX - 1, INT64_MAX },
	};

	for (size_t r = 0; r < 2; r++) {
		char path[256];
		int64_t ids[3] = { 0, 0, 0 };
		spm_db *db;
		sqlite3 *s;

		temp_db_path(path, sizeof(path));
		db = open_db(path);
		make_customer(db, "Acme");
		spm_db_close(db);
		cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(s, rows[r], NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(s);
		db = open_db(path);
		cr_assert_eq(spm_audit_foreach(db, "customer", 0, last_audit_id_cb, ids), SPM_OK);
		cr_assert_eq(ids[0], want[r][0], "%zu", r);
		cr_assert_eq(ids[1], want[r][1], "%zu", r);
		cr_assert_eq(ids[2], want[r][2], "%zu", r);
		spm_db_close(db);
	}
}

/* An audit row without a kind is damaged: reported, not handed on with a
 * NULL kind. */
Test(schema, an_audit_entry_without_a_kind_is_corrupt)
{
	char path[256];
	spm_db *db;
	sqlite3 *s;
	int n = 0;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	make_customer(db, "Acme");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, DROP_AUDIT_TRIGGERS "UPDATE _audit SET kind = NULL", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_audit_foreach(db, NULL, 0, count_audit_cb, &n), SPM_ECORRUPT);
	cr_assert_eq(n, 0);
	cr_assert_str_eq(spm_error_message(), "audit entry 1: no kind");
	spm_db_close(db);
}

/* A custom enum value that is not one of the choices is reported when read
 * back, as spm_record_set_text() refuses it. */
Test(schema, custom_enum_value_not_a_choice_is_reported_as_corrupt)
{
	static const char *const levels[] = { "gold", "silver" };
	spm_field_options o = SPM_FIELD_OPTIONS_INIT;
	spm_record *rec = NULL;
	const char *text;
	char path[256];
	spm_db *db;
	sqlite3 *s;

	o.choices = levels;
	o.nchoices = 2;
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_field_add(db, "customer", "tier", SPM_FIELD_ENUM, &o), SPM_OK);
	make_customer(db, "Acme");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE customer SET custom = '{\"tier\":\"bronze\"}' "
				  "WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_record_get(&rec, db, "customer", 1), SPM_ECORRUPT);
	cr_assert_null(rec);
	cr_assert_str_eq(spm_error_message(),
			 "customer.tier: stored custom value does not match its type");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE customer SET custom = '{\"tier\":\"silver\"}' "
				  "WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_record_get(&rec, db, "customer", 1), SPM_OK);
	cr_assert_eq(spm_record_get_text(&text, rec, "tier"), SPM_OK);
	cr_assert_str_eq(text, "silver");
	spm_record_free(rec);
	spm_db_close(db);
}

/* A custom time the setters refuse is reported when read back, not passed
 * on to every reader. */
Test(schema, custom_time_out_of_range_is_reported_as_corrupt)
{
	spm_record *rec = NULL;
	char path[256];
	spm_db *db;
	sqlite3 *s;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_field_add(db, "customer", "met_at", SPM_FIELD_TIME, NULL), SPM_OK);
	make_customer(db, "Acme");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE customer SET custom = '{\"met_at\":"
				  "9223372036854775807}' WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_record_get(&rec, db, "customer", 1), SPM_ECORRUPT);
	cr_assert_null(rec);
	cr_assert_str_eq(spm_error_message(),
			 "customer.met_at: stored custom value does not match its type");
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE customer SET custom = '{\"met_at\":1772355600}' "
				  "WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_record_get(&rec, db, "customer", 1), SPM_OK);
	spm_record_free(rec);
	spm_db_close(db);
}

/* Version 6 adds pool_policy.assign_on_create and assign_seed: a version-5
 * file keeps its policy, and assignment on create stays off until set. */
Test(schema, version_5_pool_policy_upgrades_to_6_with_assignment_on_create_off)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[256];
	spm_db *db = NULL;
	spm_record *r;
	const char *text = "";
	int64_t v;

	temp_db_path(path, sizeof(path));
	o.path = path;
	o.clock = test_clock;
	o.actor = 0;
	cr_assert_eq(spm__db_open_at_version(&db, &o, 5), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_new(&r, db, "pool_policy"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "max_open", 7), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	spm_db_close(db);
	cr_assert_eq(user_version(path), 5);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('pool_policy') "
			       "WHERE name = 'assign_on_create'"), 0);

	db = open_db(path);
	cr_assert_eq(user_version(path), 7);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('pool_policy') "
			       "WHERE name IN ('assign_on_create', 'assign_seed')"), 2);
	cr_assert_eq(spm_record_get(&r, db, "pool_policy", 1), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_get_int(&v, r, "max_open"), SPM_OK);
	cr_assert_eq(v, 7);
	cr_assert_eq(spm_record_get_as_text(&text, r, "assign_on_create"), SPM_OK);
	cr_assert_null(text);
	spm_record_free(r);
	spm_db_close(db);
}

static void damage_sql(const char *path, const char *sql)
{
	sqlite3 *s;

	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sql);
	sqlite3_close(s);
}

static int run_report(const char *path, const char *json)
{
	spm_result *res = NULL;
	spm_db *db = open_db(path);
	int rc = spm_report_run(&res, db, json);

	spm_result_free(res);
	spm_db_close(db);
	return rc;
}

/* An id far beyond its kind's rows (a damaged file) is refused before the
 * analytics cache sizes its arrays by it: an opportunity id of two billion
 * asked for gigabytes (found by fuzz_dbfile). */
Test(schema, analytics_refuse_an_id_far_beyond_the_rows_stored)
{
	static const char *const damage[][2] = {
		{ "UPDATE opportunity SET id = 2000000000 WHERE id = 3",
		  "opportunity id 2000000000 is far beyond the 3 stored (a damaged file?)" },
		{ "UPDATE opportunity SET owner_id = 2000000000 WHERE id = 2",
		  "user id 2000000000 is far beyond the 1 stored (a damaged file?)" },
		{ "UPDATE stage_history SET opportunity_id = 1999999999 WHERE id = 1",
		  "opportunity id 1999999999 is far beyond the 3 stored (a damaged file?)" },
	};
	char path[256], copy[300];
	int64_t pipeline = 0;
	spm_db *db;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_pipeline_load(&pipeline, db, "{\"name\":\"Sales\",\"stages\":["
				       "{\"name\":\"New\",\"probability\":10},"
				       "{\"name\":\"Won\",\"probability\":100,\"outcome\":\"won\"},"
				       "{\"name\":\"Lost\",\"probability\":0,\"outcome\":\"lost\"}]}"),
		     SPM_OK, "%s", spm_error_message());
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("user", "name", "Ann", "role_id", "1", "active", "true");
	for (int i = 1; i <= 3; i++)
		ADD("opportunity", "name", "deal", "pipeline_id", "1", "stage_id", "1",
		    "owner_id", "1");
	cr_assert_eq(spm_opportunity_move(NULL, db, 1, 2, NULL), SPM_OK, "%s",
		     spm_error_message());
	spm_db_close(db);
	cr_assert_eq(run_report(path, "{\"query\": \"win_rate\", \"group_by\": \"owner\"}"),
		     SPM_OK, "%s", spm_error_message());
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		snprintf(copy, sizeof(copy), "%s.%zu", path, i);
		copy_file(path, copy);
		damage_sql(copy, damage[i][0]);
		cr_assert_eq(run_report(copy, "{\"query\": \"win_rate\", \"group_by\": \"owner\"}"),
			     SPM_ECORRUPT, "%s", damage[i][0]);
		cr_assert_str_eq(spm_error_message(), damage[i][1]);
		unlink(copy);
	}
}
