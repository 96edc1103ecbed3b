/* New databases from the schema image (lib/storage/sqlite/sqlite_image.h):
 * the same schema as the DDL path makes, in a file (linked into place, no
 * temporary left behind, an existing file never replaced) and in memory;
 * everything that is not a brand-new database of the image's version takes
 * the DDL path. */
#include "helpers.h"

#include "core/db_internal.h"
#include "core/kinds.h"
#include "storage/sqlite/sqlite_image.h"
#include "storage/sqlite/sqlite_internal.h"

#include <dirent.h>
#include <sqlite3.h>
#include <sys/stat.h>

TestSuite(sqlite_image, .fini = remove_temp_dirs);

/* Every schema entry and the version, as one text. */
static char *schema_text(sqlite3 *conn)
{
	sqlite3_stmt *st;
	sqlite3_str *out = sqlite3_str_new(NULL);
	int rc;

	rc = sqlite3_prepare_v2(conn, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
				      "ORDER BY type, name", -1, &st, NULL);
	cr_assert_eq(rc, SQLITE_OK, "%s", sqlite3_errmsg(conn));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sqlite3_str_appendf(out, "%s|%s|%s|%s\n", sqlite3_column_text(st, 0),
				    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
				    sqlite3_column_text(st, 3));
	cr_assert_eq(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	cr_assert_eq(sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	sqlite3_str_appendf(out, "version %d\n", sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	return sqlite3_str_finish(out);
}

static char *file_schema(const char *path)
{
	sqlite3 *conn = NULL;
	char *text;

	cr_assert_eq(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	text = schema_text(conn);
	sqlite3_close(conn);
	return text;
}

static char *journal_mode(const char *path)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *st;
	char *mode;

	cr_assert_eq(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(conn, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	mode = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return mode;
}

/* The schema the DDL path makes: a "file:" URI never takes the image. */
static char *ddl_schema(void)
{
	char path[512], uri[600];
	spm_db *db;
	char *text;

	temp_db_path(path, sizeof(path));
	snprintf(uri, sizeof(uri), "file:%s", path);
	db = open_db(uri);
	spm_db_close(db);
	text = file_schema(path);
	return text;
}

static int count_dir_entries(const char *path)
{
	char dir[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(sqlite_image, is_built_for_this_schema_version)
{
	cr_assert_eq(spm__sqlite_image_version, SPM__SCHEMA_VERSION);
	cr_assert_gt(spm__sqlite_image_size, 0);
	cr_assert_eq(spm__sqlite_image_size % 512, 0, "whole pages");
}

Test(sqlite_image, decodes_to_a_sqlite_file_and_refuses_a_wrong_size)
{
	unsigned char *img = malloc(spm__sqlite_image_size + 1);

	cr_assert_not_null(img);
	cr_assert_eq(spm__sqlite_image_decode(img, spm__sqlite_image_size + 1), -1);
	cr_assert_eq(spm__sqlite_image_decode(img, spm__sqlite_image_size - 1), -1);
	cr_assert_eq(spm__sqlite_image_decode(img, spm__sqlite_image_size), 0);
	cr_assert_eq(memcmp(img, "SQLite format 3", 16), 0);
	free(img);
}

Test(sqlite_image, a_new_file_has_the_schema_the_ddl_path_makes)
{
	char path[512];
	char *want = ddl_schema(), *got, *mode;
	spm_db *db;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	spm_db_close(db);
	got = file_schema(path);
	cr_assert_str_eq(got, want);
	{
		char want_version[32];

		snprintf(want_version, sizeof(want_version), "version %d\n", SPM__SCHEMA_VERSION);
		cr_assert(strstr(got, want_version) != NULL, "%s", got);
	}
	mode = journal_mode(path);
	cr_assert_str_eq(mode, "wal");
	sqlite3_free(mode);
	sqlite3_free(got);
	sqlite3_free(want);
}

Test(sqlite_image, a_new_file_works_and_leaves_no_temporary_file)
{
	char path[512];
	spm_record *r = NULL;
	spm_db *db;
	struct stat sb;
	mode_t mask;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_id(r), 1);
	spm_record_free(r);
	spm_db_close(db);
	cr_assert_eq(count_dir_entries(path), 1, "only the database file remains");
	cr_assert_eq(stat(path, &sb), 0);
	mask = umask(0);
	umask(mask);
	cr_assert_eq(sb.st_mode & 0777, 0644 & ~mask, "the mode SQLite gives its files");
	db = open_db(path);
	cr_assert_eq(count_records(db, "customer"), 1);
	spm_db_close(db);
}

Test(sqlite_image, an_existing_file_is_never_replaced)
{
	char path[512];
	FILE *f;
	char buf[16] = { 0 };

	temp_db_path(path, sizeof(path));
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("not a database", f);
	fclose(f);
	cr_assert_eq(spm__sqlite_image_create_file(path, SPM__SCHEMA_VERSION), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_str_eq(buf, "not a database");
	cr_assert_eq(count_dir_entries(path), 1);
}

Test(sqlite_image, an_empty_existing_file_gets_the_schema_through_ddl)
{
	char path[512];
	char *want = ddl_schema(), *got;
	spm_db *db;
	FILE *f;

	temp_db_path(path, sizeof(path));
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	db = open_db(path);
	spm_db_close(db);
	got = file_schema(path);
	cr_assert_str_eq(got, want);
	sqlite3_free(got);
	sqlite3_free(want);
}

Test(sqlite_image, other_versions_uris_and_memory_names_are_not_files_from_the_image)
{
	char path[512], uri[600];

	temp_db_path(path, sizeof(path));
	cr_assert_eq(spm__sqlite_image_create_file(path, SPM__SCHEMA_VERSION - 1), 0);
	cr_assert_eq(spm__sqlite_image_create_file(path, 0), 0);
	snprintf(uri, sizeof(uri), "file:%s", path);
	cr_assert_eq(spm__sqlite_image_create_file(uri, SPM__SCHEMA_VERSION), 0);
	cr_assert_eq(spm__sqlite_image_create_file(":memory:", SPM__SCHEMA_VERSION), 0);
	cr_assert_eq(spm__sqlite_image_create_file("", SPM__SCHEMA_VERSION), 0);
	cr_assert_eq(count_dir_entries(path), 0, "nothing was created");
	cr_assert_eq(spm__sqlite_image_create_file(path, SPM__SCHEMA_VERSION), 1);
	cr_assert_eq(count_dir_entries(path), 1);
}

Test(sqlite_image, an_older_target_version_takes_the_ddl_path)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[512];
	spm_db *db = NULL;
	int v = 0;

	temp_db_path(path, sizeof(path));
	o.path = path;
	cr_assert_eq(spm__db_open_at_version(&db, &o, 1), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_db_schema_version(&v, db), SPM_OK);
	cr_assert_eq(v, 1);
	spm_db_close(db);
	/* and the later open upgrades it the usual way */
	db = open_db(path);
	cr_assert_eq(spm_db_schema_version(&v, db), SPM_OK);
	cr_assert_eq(v, SPM__SCHEMA_VERSION);
	spm_db_close(db);
}

Test(sqlite_image, a_memory_database_has_the_schema_and_works)
{
	char *want = ddl_schema(), *got;
	spm_record *r = NULL;
	spm_db *db = open_db(":memory:");

	got = schema_text(((spm__sqlite *)db->store)->conn);
	cr_assert_str_eq(got, want);
	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	cr_assert_eq(count_records(db, "customer"), 1);
	spm_db_close(db);
	sqlite3_free(got);
	sqlite3_free(want);
}

Test(sqlite_image, two_memory_databases_are_separate)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *a = open_db(":memory:"), *b = NULL;
	spm_record *r = NULL;

	o.path = NULL;  /* NULL is ":memory:" too */
	cr_assert_eq(spm_db_open(&b, &o), SPM_OK);

	cr_assert_eq(spm_record_new(&r, a, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);
	cr_assert_eq(spm_record_save(a, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(count_records(a, "customer"), 1);
	cr_assert_eq(count_records(b, "customer"), 0);
	spm_db_close(a);
	spm_db_close(b);
}
