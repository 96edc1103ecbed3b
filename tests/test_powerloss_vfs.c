/* The power-loss VFS itself (sqlite_powerloss_vfs.h), on plain SQLite, so
 * that crash_powerloss.c rests on a model that is known to drop what it
 * should and keep what it should: un-synced writes are gone after a reboot,
 * synced ones stay; with a rollback journal and synchronous=FULL a power
 * cut at any call keeps every acknowledged commit and no other (the hot
 * journal rolls the cut one back); after the cut every call fails; the
 * shared memory does not survive; a reboot with a file still open is
 * refused. Each Criterion test runs in its own process, so the VFS's state
 * (one per process) starts empty. */
#include <criterion/criterion.h>

#include "sqlite_powerloss_vfs.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[96], uri[128];

static void remove_files(void)
{
	static const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[128];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static void setup(void)
{
	/* Memory when there is some: real syncs of a busy disk cost seconds. */
	snprintf(dir, sizeof(dir), "/dev/shm/spm-powerloss-vfs-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/spm-powerloss-vfs-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/t.sqlite", dir);
	snprintf(uri, sizeof(uri), "file:%s?vfs=" SQLITE_POWERLOSS_VFS_NAME, path);
	cr_assert_eq(sqlite_powerloss_vfs_register(), SQLITE_OK);
}

static void teardown(void)
{
	remove_files();
	rmdir(dir);
}

TestSuite(powerloss_vfs, .init = setup, .fini = teardown);

static int exec(sqlite3 *conn, const char *sql)
{
	return sqlite3_exec(conn, sql, NULL, NULL, NULL);
}

/* A connection through the VFS (vfs != 0) or the default one. */
static sqlite3 *open_conn(int vfs)
{
	sqlite3 *conn = NULL;

	cr_assert_eq(sqlite3_open_v2(vfs ? uri : path, &conn,
				     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
				     NULL), SQLITE_OK);
	return conn;
}

/* The file as the default VFS reads it: integrity_check is ok; returns the
 * rows of t as digits in order ("-" when there is no table t). */
static void rows_of(char *out, size_t size)
{
	sqlite3 *conn = open_conn(0);
	sqlite3_stmt *st = NULL;
	size_t len = 0;

	out[0] = '\0';
	cr_assert_eq(sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(conn, "SELECT i FROM t ORDER BY rowid", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW && len + 2 < size)
			out[len++] = (char)('0' + sqlite3_column_int(st, 0));
		out[len] = '\0';
	} else {
		snprintf(out, size, "-");
	}
	sqlite3_finalize(st);
	cr_assert_eq(sqlite3_close(conn), SQLITE_OK);
}

static int exists(const char *suffix)
{
	char p[128];

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return access(p, F_OK) == 0;
}

Test(powerloss_vfs, unsynced_writes_are_lost_synced_ones_kept)
{
	sqlite3 *conn = open_conn(1);
	char rows[16];

	cr_assert_eq(exec(conn, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;"
			  "CREATE TABLE t(i); INSERT INTO t VALUES (1);"), SQLITE_OK);
	cr_assert_gt(sqlite_powerloss_syncs(), 0);
	cr_assert_eq(exec(conn, "PRAGMA synchronous=OFF; INSERT INTO t VALUES (2);"), SQLITE_OK);
	cr_assert_eq(sqlite3_close(conn), SQLITE_OK);
	/* The OS holds both rows; the disk only the first. */
	rows_of(rows, sizeof(rows));
	cr_assert_str_eq(rows, "12");
	cr_assert_eq(sqlite_powerloss_reboot(0), SQLITE_OK);
	rows_of(rows, sizeof(rows));
	cr_assert_str_eq(rows, "1");
}

Test(powerloss_vfs, a_reboot_without_a_cut_keeps_a_closed_wal_database)
{
	sqlite3 *conn = open_conn(1);
	char rows[16];

	cr_assert_eq(exec(conn, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			  "CREATE TABLE t(i); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);"),
		     SQLITE_OK);
	/* The last close checkpoints and syncs, then deletes the WAL. */
	cr_assert_eq(sqlite3_close(conn), SQLITE_OK);
	cr_assert_eq(sqlite_powerloss_reboot(0), SQLITE_OK);
	cr_assert(!exists("-wal"));
	rows_of(rows, sizeof(rows));
	cr_assert_str_eq(rows, "12");
}

Test(powerloss_vfs, after_the_cut_every_call_fails_and_shared_memory_is_gone)
{
	sqlite3 *setup_conn = open_conn(0), *conn, *other;
	sqlite3_stmt *st = NULL;
	char rows[16];
	int rc;

	cr_assert_eq(exec(setup_conn, "PRAGMA journal_mode=WAL; CREATE TABLE t(i);"
			  "INSERT INTO t VALUES (1);"), SQLITE_OK);
	cr_assert_eq(sqlite3_close(setup_conn), SQLITE_OK);
	conn = open_conn(1);
	cr_assert_eq(exec(conn, "SELECT count(*) FROM t"), SQLITE_OK);
	cr_assert(exists("-shm"));
	sqlite_powerloss_arm(1);
	rc = exec(conn, "INSERT INTO t VALUES (2)");
	cr_assert_eq(rc & 0xff, SQLITE_IOERR, "the insert gave %d", rc);
	cr_assert_eq(sqlite_powerloss_is_cut(), 1);
	cr_assert_str_eq(sqlite_powerloss_cut_call(), "xWrite -wal");
	cr_assert_eq(sqlite_powerloss_calls(), 1);
	/* Reads fail too, on this connection and on a new one. */
	cr_assert_eq(sqlite3_prepare_v2(conn, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
	rc = sqlite3_step(st);
	cr_assert_eq(rc & 0xff, SQLITE_IOERR, "the read gave %d", rc);
	sqlite3_finalize(st);
	cr_assert_eq(sqlite3_open_v2(uri, &other, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL),
		     SQLITE_IOERR);
	sqlite3_close(other);
	/* Counted calls after the cut fail without counting. */
	cr_assert_eq(sqlite_powerloss_calls(), 1);
	cr_assert_eq(sqlite_powerloss_reboot(0), SQLITE_MISUSE);
	sqlite3_close(conn);
	cr_assert_eq(sqlite_powerloss_reboot(0), SQLITE_OK);
	cr_assert_eq(sqlite_powerloss_is_cut(), 0);
	cr_assert_str_eq(sqlite_powerloss_cut_call(), "");
	cr_assert(!exists("-shm"));
	rows_of(rows, sizeof(rows));
	cr_assert_str_eq(rows, "1");
}

/* The run of the journal test: a new file in rollback-journal mode with
 * synchronous=FULL, a table, then rows 1, 2, 3, one commit each; returns
 * how many statements succeeded (0: none; 1: the table; 1 + k: k rows). */
static int journal_run(void)
{
	static const char *const steps[] = {
		"PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; CREATE TABLE t(i)",
		"INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)",
	};
	sqlite3 *conn = NULL;
	int done = 0;

	if (sqlite3_open_v2(uri, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_URI, NULL) == SQLITE_OK)
		while (done < 4 && exec(conn, steps[done]) == SQLITE_OK)
			done++;
	sqlite3_close(conn);
	return done;
}

Test(powerloss_vfs, every_cut_of_journal_commits_keeps_exactly_the_acknowledged_ones)
{
	static const char *const want[] = { "-", "", "1", "12", "123" };
	int journal_sync = 0, journal_delete = 0;
	char rows[16];

	for (unsigned long seed = 0; seed < 3; seed++) {
		long n = 1;

		for (;; n++) {
			int done, cut;

			remove_files();
			sqlite_powerloss_arm(n);
			done = journal_run();
			cut = sqlite_powerloss_is_cut();
			cr_assert(cut || done == 4, "point %ld: %d steps without a cut", n, done);
			journal_sync += strcmp(sqlite_powerloss_cut_call(), "xSync -journal") == 0;
			journal_delete += strcmp(sqlite_powerloss_cut_call(), "xDelete -journal") == 0;
			cr_assert_eq(sqlite_powerloss_reboot(seed), SQLITE_OK);
			cr_assert(!exists("-journal") || cut);
			/* FULL syncs each commit before it returns, and the
			 * journal rolls back a cut one. */
			rows_of(rows, sizeof(rows));
			cr_assert_str_eq(rows, want[done], "seed %lu point %ld: %d steps, rows \"%s\"",
					 seed, n, done, rows);
			if (!cut)
				break;
		}
		cr_assert_gt(n, 10, "seed %lu: only %ld points", seed, n);
	}
	cr_assert_gt(journal_sync, 0);
	cr_assert_gt(journal_delete, 0);
}
