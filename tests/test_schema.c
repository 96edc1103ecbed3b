/* Schema versions: the committed version-1 fixture opens and is upgraded in
 * place, data intact; a database of a newer schema is refused. The fixture
 * is kept forever (see fixtures/make_v1.c). */
#include "helpers.h"

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
	cr_assert_eq(v, 4);
	cr_assert_eq(user_version(path), 4);
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
			 "upgrade to 4, but is open read-only");
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
	cr_assert_eq(sqlite3_exec(s, "PRAGMA user_version = 5", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	o.path = path;
	cr_assert_eq(spm_db_open(&db, &o), SPM_EVERSION);
	cr_assert_null(db);
	cr_assert_str_eq(spm_error_message(), "the database has schema version 5; this libspm "
			 "(0.1.0) knows up to 4: use a newer libspm");
	cr_assert_eq(user_version(path), 5);
}
