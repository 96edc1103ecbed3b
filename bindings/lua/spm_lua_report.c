/* Analytics for Lua (include/spm/report.h): db:report(json),
 * db:report_save(name, json), db:report_run(name), db:reports(),
 * db:dashboard(name). A result is a table:
 *   { columns = { {name=, type=}, ... }, rows = { {col = value, ...}, ... },
 *     ids = { {id, ...}, ... } (with "drill": true), csv = "...", json = "..." }
 * Integers are integers, ratios integers in parts per million, money a table
 * { minor = N, currency = "CNY" }, dates "YYYY-MM-DD", an empty cell nil. */
#include "spm_lua.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = { "", "text", "integer", "money", "ratio", "date" };

struct text {
	char *s;
	size_t n, cap;
};

static int append(const char *data, size_t len, void *payload)
{
	struct text *t = payload;

	if (t->n + len + 1 > t->cap) {
		size_t cap = (t->n + len + 1) * 2;
		char *p = realloc(t->s, cap);
		if (p == NULL)
			return SPM_ENOMEM;
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->n, data, len);
	t->n += len;
	return 0;
}

/* Pushes the export as a string field of the table on top. */
static int push_export(lua_State *L, const spm_result *r, const char *key,
		       int (*fn)(const spm_result *, spm_write_cb, void *))
{
	struct text t = { NULL, 0, 0 };
	int rc = fn(r, append, &t);

	if (rc == SPM_OK) {
		lua_pushlstring(L, t.s ? t.s : "", t.n);
		lua_setfield(L, -2, key);
	}
	free(t.s);
	return rc;
}

static int push_cell(lua_State *L, const spm_result *r, size_t row, size_t c)
{
	int64_t v;
	const char *s;
	char date[16];
	int rc;

	switch (spm_result_column_type(r, c)) {
	case SPM_COLUMN_TEXT:
		if ((rc = spm_result_text(&s, r, row, c)) == SPM_OK)
			lua_pushstring(L, s);
		return rc;
	case SPM_COLUMN_MONEY:
		if ((rc = spm_result_money(&v, &s, r, row, c)) != SPM_OK)
			return rc;
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, v);
		lua_setfield(L, -2, "minor");
		lua_pushstring(L, s);
		lua_setfield(L, -2, "currency");
		return SPM_OK;
	case SPM_COLUMN_DATE:
		if ((rc = spm_result_int(&v, r, row, c)) == SPM_OK &&
		    (rc = spm_date_format(date, sizeof(date), (spm_date)v)) == SPM_OK)
			lua_pushstring(L, date);
		return rc;
	default:
		if ((rc = spm_result_int(&v, r, row, c)) == SPM_OK)
			lua_pushinteger(L, v);
		return rc;
	}
}

/* Pushes the result table; frees r. Returns 1, or 3 after a failure. */
static int push_result(lua_State *L, spm_result *r)
{
	size_t ncols = spm_result_column_count(r), nrows = spm_result_row_count(r);
	const int64_t *ids;
	size_t nids;
	int rc = SPM_OK;

	lua_createtable(L, 0, 5);
	lua_createtable(L, (int)ncols, 0);
	for (size_t c = 0; c < ncols; c++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, spm_result_column_name(r, c));
		lua_setfield(L, -2, "name");
		lua_pushstring(L, type_names[spm_result_column_type(r, c)]);
		lua_setfield(L, -2, "type");
		lua_rawseti(L, -2, (lua_Integer)c + 1);
	}
	lua_setfield(L, -2, "columns");
	lua_createtable(L, (int)nrows, 0);
	for (size_t row = 0; rc == SPM_OK && row < nrows; row++) {
		lua_createtable(L, 0, (int)ncols);
		for (size_t c = 0; rc == SPM_OK && c < ncols; c++) {
			if (spm_result_is_null(r, row, c))
				continue;
			if ((rc = push_cell(L, r, row, c)) == SPM_OK)
				lua_setfield(L, -2, spm_result_column_name(r, c));
		}
		lua_rawseti(L, -2, (lua_Integer)row + 1);
	}
	lua_setfield(L, -2, "rows");
	if (rc == SPM_OK && nrows && spm_result_row_ids(&ids, &nids, r, 0) == SPM_OK) {
		lua_createtable(L, (int)nrows, 0);
		for (size_t row = 0; row < nrows; row++) {
			spm_result_row_ids(&ids, &nids, r, row);
			lua_createtable(L, (int)nids, 0);
			for (size_t k = 0; k < nids; k++) {
				lua_pushinteger(L, ids[k]);
				lua_rawseti(L, -2, (lua_Integer)k + 1);
			}
			lua_rawseti(L, -2, (lua_Integer)row + 1);
		}
		lua_setfield(L, -2, "ids");
	}
	if (rc == SPM_OK)
		rc = push_export(L, r, "csv", spm_result_csv);
	if (rc == SPM_OK)
		rc = push_export(L, r, "json", spm_result_json);
	spm_result_free(r);
	if (rc != SPM_OK) {
		lua_pop(L, 1);
		return lspm_push_fail(L, rc);
	}
	return 1;
}

static int db_report(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *json = lspm_check_cstr(L, 2, "definition");
	spm_result *r;
	int rc;

	if (json == NULL)
		return 3;
	rc = spm_report_run(&r, d->db, json);
	return rc == SPM_OK ? push_result(L, r) : lspm_push_fail(L, rc);
}

static int db_report_save(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *name = lspm_check_cstr(L, 2, "name");
	const char *json = name ? lspm_check_cstr(L, 3, "definition") : NULL;
	int rc;

	if (json == NULL)
		return 3;
	rc = spm_report_save(d->db, name, json);
	return rc == SPM_OK ? lspm_push_ok(L) : lspm_push_fail(L, rc);
}

static int db_report_run(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *name = lspm_check_cstr(L, 2, "name");
	spm_result *r;
	int rc;

	if (name == NULL)
		return 3;
	rc = spm_report_run_saved(&r, d->db, name);
	return rc == SPM_OK ? push_result(L, r) : lspm_push_fail(L, rc);
}

static int each_report(const char *name, const char *json, void *payload)
{
	lua_State *L = payload;

	if (!lua_checkstack(L, 2))
		return SPM_ENOMEM;
	lua_pushstring(L, json);
	lua_setfield(L, -2, name);
	return 0;
}

static int db_reports(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	int rc;

	lua_newtable(L);
	rc = spm_report_foreach(d->db, each_report, L);
	if (rc != SPM_OK) {
		lua_pop(L, 1);
		return lspm_push_fail(L, rc);
	}
	return 1;
}

static int db_dashboard(lua_State *L)
{
	ldb *d = lspm_open_db(L, 1);
	const char *name = lspm_check_cstr(L, 2, "name");
	int rc = SPM_OK;

	if (name == NULL)
		return 3;
	lua_newtable(L);
	for (size_t i = 0;; i++) {
		spm_result *r;
		char *layout;
		rc = spm_report_dashboard_item(&r, &layout, d->db, name, i);
		if (rc == SPM_ITEROVER)
			return 1;
		if (rc != SPM_OK)
			break;
		lua_createtable(L, 0, 2);
		lua_pushstring(L, layout);
		spm_report_text_free(d->db, layout);
		lua_setfield(L, -2, "layout");
		if (push_result(L, r) != 1) {
			/* nil, message, code are on the stack: return them */
			return 3;
		}
		lua_setfield(L, -2, "result");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_pop(L, 1);
	return lspm_push_fail(L, rc);
}

void lspm_open_report(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "report", db_report },
		{ "report_save", db_report_save },
		{ "report_run", db_report_run },
		{ "reports", db_reports },
		{ "dashboard", db_dashboard },
		{ NULL, NULL },
	};

	lspm_add_db_methods(L, methods);
}
