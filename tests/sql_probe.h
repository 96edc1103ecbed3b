/* Criterion tests that read a database file behind the library's back: the
 * first column of the first row of one query, through a read-only
 * connection of their own. */
#ifndef SPM_TESTS_SQL_PROBE_H
#define SPM_TESTS_SQL_PROBE_H

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdint.h>

static inline int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	int64_t v;

	cr_assert_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(s, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(s));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return v;
}

#endif
