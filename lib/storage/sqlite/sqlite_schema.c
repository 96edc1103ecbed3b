/* The stored schema of the SQLite backend: one table per kind, made from the
 * kind registry, and PRAGMA user_version as the schema version.
 *
 * Table "<kind>": id INTEGER PRIMARY KEY, seq, deleted, one column per core
 * field ("<name>" TEXT or INTEGER; a money field adds "<name>_currency"
 * TEXT), custom TEXT (the record's custom values as JSON). Core columns are
 * nullable: required fields are the core's business. Identifiers come only
 * from the library's static tables, are checked to be plain lower-case names
 * and are still quoted; no user input ever reaches this file.
 */
#include "storage/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- names ----------------------------------------------------------- */

/* [a-z_][a-z0-9_]* (system kinds start with '_'): safe inside double
 * quotes, and never case-folded into another name (SQLite identifiers are
 * case-insensitive). */
static int spm__sqlite_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (p = name + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static int spm__sqlite_reserved(const char *name)
{
	return strcmp(name, "id") == 0 || strcmp(name, "seq") == 0 ||
	       strcmp(name, "deleted") == 0 || strcmp(name, "custom") == 0;
}

/* Whether col is the currency column "<money>_currency". */
static int spm__sqlite_is_currency_of(const char *col, const char *money)
{
	size_t n = strlen(money);

	return strncmp(col, money, n) == 0 && strcmp(col + n, "_currency") == 0;
}

/* The declared type of a field's (first) column; NULL for an unknown type. */
static const char *spm__sqlite_column_type(spm_field_type type)
{
	switch (type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		return "TEXT";
	case SPM_FIELD_INTEGER:
	case SPM_FIELD_MONEY:
	case SPM_FIELD_DATE:
	case SPM_FIELD_BOOLEAN:
	case SPM_FIELD_TIME:
		return "INTEGER";
	}
	return NULL;
}

static int spm__sqlite_field_check(const spm_kind *kind, size_t i)
{
	const char *kname = spm_kind_name(kind);
	const char *name = spm_kind_field_name(kind, i);
	size_t j, n = spm_kind_core_count(kind);

	if (!spm__sqlite_name_ok(name) || spm__sqlite_reserved(name))
		return spm_storage_error(SPM_ECORRUPT, "sqlite: kind %s: field %zu has an unusable name",
					 kname, i);
	if (spm__sqlite_column_type(spm_kind_field_type(kind, i)) == NULL)
		return spm_storage_error(SPM_ECORRUPT, "sqlite: kind %s: field %s has an unknown type",
					 kname, name);
	for (j = 0; j < n; j++) {
		const char *other = spm_kind_field_name(kind, j);

		if (j != i && strcmp(other, name) == 0)
			return spm_storage_error(SPM_ECORRUPT, "sqlite: kind %s: field %s is defined twice",
						 kname, name);
		if (spm_kind_field_type(kind, i) == SPM_FIELD_MONEY &&
		    spm__sqlite_is_currency_of(other, name))
			return spm_storage_error(SPM_ECORRUPT,
						 "sqlite: kind %s: field %s clashes with the currency "
						 "column of %s", kname, other, name);
	}
	return SPM_OK;
}

int spm__sqlite_kind_check(const spm_kind *kind)
{
	size_t i, n = spm_kind_core_count(kind);
	int rc;

	if (!spm__sqlite_name_ok(spm_kind_name(kind)))
		return spm_storage_error(SPM_ECORRUPT, "sqlite: a kind has an unusable name");
	for (i = 0; i < n; i++) {
		rc = spm__sqlite_field_check(kind, i);
		if (rc != SPM_OK)
			return rc;
	}
	return SPM_OK;
}

/* ---- schema version -------------------------------------------------- */

static int spm__sqlite_read_version(spm__sqlite *s, int *out)
{
	int rc;

	if (s->user_version == NULL) {
		rc = spm__sqlite_prepare(s, &s->user_version, "PRAGMA user_version", 1,
					 "read user_version", NULL);
		if (rc != SPM_OK)
			return rc;
	}
	rc = sqlite3_step(s->user_version);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(s->user_version, 0);
		if (*out != s->version) {
			/* row statements name the columns of one version */
			for (size_t i = 0; i < s->nkinds; i++)
				spm__sqlite_kind_release(s, s->kinds[i]);
			s->nkinds = 0;
			s->version = *out;
		}
	}
	sqlite3_reset(s->user_version);
	if (rc != SQLITE_ROW)
		return spm__sqlite_fail(s, rc, "read user_version", NULL);
	return SPM_OK;
}

int spm__sqlite_schema_version(void *self, int *out)
{
	if (out == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: schema_version: out is NULL");
	*out = 0;
	return spm__sqlite_read_version(self, out);
}

static int spm__sqlite_write_version(spm__sqlite *s, int version)
{
	char sql[48];

	/* PRAGMA takes no parameters; the text is a constant and an int. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return spm__sqlite_exec(s, sql, "write user_version", NULL);
}

/* ---- DDL ------------------------------------------------------------- */

/* Runs the built statement, or reports why it could not be built. */
static int spm__sqlite_exec_buf(spm__sqlite *s, spm__sqlite_buf *buf, const char *what,
				const char *object)
{
	int rc = spm__sqlite_buf_status(buf);

	if (rc == SPM_OK)
		rc = spm__sqlite_exec(s, buf->ptr, what, object);
	spm__sqlite_buf_free(buf);
	return rc;
}

/* Appends the definition of field i's column(s). */
static void spm__sqlite_buf_field_def(spm__sqlite_buf *buf, const spm_kind *kind, size_t i)
{
	const char *name = spm_kind_field_name(kind, i);
	spm_field_type type = spm_kind_field_type(kind, i);

	spm__sqlite_buf_ident(buf, name);
	spm__sqlite_buf_add(buf, " ");
	spm__sqlite_buf_add(buf, spm__sqlite_column_type(type));
	if (type == SPM_FIELD_MONEY) {
		spm__sqlite_buf_add(buf, ", ");
		spm__sqlite_buf_currency_ident(buf, name);
		spm__sqlite_buf_add(buf, " TEXT");
	}
}

static int spm__sqlite_create_table(spm__sqlite *s, const spm_kind *kind, int to)
{
	const char *kname = spm_kind_name(kind);
	size_t i, n = spm_kind_core_count(kind);
	spm__sqlite_buf buf;

	spm__sqlite_buf_init(&buf, s->db);
	/* No IF NOT EXISTS: a table of that name in a database of version
	 * "from" is not ours, and the upgrade must stop rather than adopt it. */
	spm__sqlite_buf_add(&buf, "CREATE TABLE ");
	spm__sqlite_buf_ident(&buf, kname);
	spm__sqlite_buf_add(&buf, " (\"id\" INTEGER PRIMARY KEY, \"seq\" INTEGER NOT NULL, "
				  "\"deleted\" INTEGER NOT NULL DEFAULT 0");
	for (i = 0; i < n; i++) {
		if (spm_kind_field_since(kind, i) > to)
			continue;
		spm__sqlite_buf_add(&buf, ", ");
		spm__sqlite_buf_field_def(&buf, kind, i);
	}
	spm__sqlite_buf_add(&buf, ", \"custom\" TEXT)");
	return spm__sqlite_exec_buf(s, &buf, "create table", kname);
}

/* Index names use ':' as separator: it cannot occur in kind or field names,
 * so "idx:a_b:c" and "idx:a:b_c" stay distinct. */
static int spm__sqlite_create_seq_index(spm__sqlite *s, const spm_kind *kind)
{
	const char *kname = spm_kind_name(kind);
	spm__sqlite_buf buf;

	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_add(&buf, "CREATE INDEX \"seq:");
	spm__sqlite_buf_add(&buf, kname);
	spm__sqlite_buf_add(&buf, "\" ON ");
	spm__sqlite_buf_ident(&buf, kname);
	spm__sqlite_buf_add(&buf, " (\"seq\")");
	return spm__sqlite_exec_buf(s, &buf, "create index", kname);
}

static int spm__sqlite_create_field_index(spm__sqlite *s, const spm_kind *kind, size_t i)
{
	const char *kname = spm_kind_name(kind);
	const char *name = spm_kind_field_name(kind, i);
	spm__sqlite_buf buf;

	if (!(spm_kind_field_flags(kind, i) & SPM_FIELD_INDEXED))
		return SPM_OK;
	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_add(&buf, "CREATE INDEX \"idx:");
	spm__sqlite_buf_add(&buf, kname);
	spm__sqlite_buf_add(&buf, ":");
	spm__sqlite_buf_add(&buf, name);
	spm__sqlite_buf_add(&buf, "\" ON ");
	spm__sqlite_buf_ident(&buf, kname);
	spm__sqlite_buf_add(&buf, " (");
	spm__sqlite_buf_ident(&buf, name);
	spm__sqlite_buf_add(&buf, ")");
	return spm__sqlite_exec_buf(s, &buf, "create index", kname);
}

static int spm__sqlite_create_kind(spm__sqlite *s, const spm_kind *kind, int to)
{
	size_t i, n = spm_kind_core_count(kind);
	int rc;

	rc = spm__sqlite_create_table(s, kind, to);
	if (rc == SPM_OK)
		rc = spm__sqlite_create_seq_index(s, kind);
	for (i = 0; i < n && rc == SPM_OK; i++)
		if (spm_kind_field_since(kind, i) <= to)
			rc = spm__sqlite_create_field_index(s, kind, i);
	return rc;
}

/* ALTER TABLE adds one column at a time: a money field takes two. */
static int spm__sqlite_add_column(spm__sqlite *s, const spm_kind *kind, const char *name,
				  int currency, const char *type)
{
	const char *kname = spm_kind_name(kind);
	spm__sqlite_buf buf;

	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_add(&buf, "ALTER TABLE ");
	spm__sqlite_buf_ident(&buf, kname);
	spm__sqlite_buf_add(&buf, " ADD COLUMN ");
	if (currency)
		spm__sqlite_buf_currency_ident(&buf, name);
	else
		spm__sqlite_buf_ident(&buf, name);
	spm__sqlite_buf_add(&buf, " ");
	spm__sqlite_buf_add(&buf, type);
	return spm__sqlite_exec_buf(s, &buf, "add column", kname);
}

static int spm__sqlite_add_field(spm__sqlite *s, const spm_kind *kind, size_t i)
{
	const char *name = spm_kind_field_name(kind, i);
	spm_field_type type = spm_kind_field_type(kind, i);
	int rc;

	rc = spm__sqlite_add_column(s, kind, name, 0, spm__sqlite_column_type(type));
	if (rc == SPM_OK && type == SPM_FIELD_MONEY)
		rc = spm__sqlite_add_column(s, kind, name, 1, "TEXT");
	if (rc == SPM_OK)
		rc = spm__sqlite_create_field_index(s, kind, i);
	return rc;
}

static int spm__sqlite_add_fields(spm__sqlite *s, const spm_kind *kind, int from, int to)
{
	size_t i, n = spm_kind_core_count(kind);
	int since, rc;

	for (i = 0; i < n; i++) {
		since = spm_kind_field_since(kind, i);
		if (since <= from || since > to)
			continue;
		rc = spm__sqlite_add_field(s, kind, i);
		if (rc != SPM_OK)
			return rc;
	}
	return SPM_OK;
}

static int spm__sqlite_create_counters(spm__sqlite *s)
{
	return spm__sqlite_exec(s,
				"CREATE TABLE \"" SPM__SQLITE_COUNTERS "\" (\"name\" TEXT PRIMARY KEY, "
				"\"value\" INTEGER NOT NULL) WITHOUT ROWID",
				"create table", SPM__SQLITE_COUNTERS);
}

/* Everything between versions from and to, inside the open transaction. */
static int spm__sqlite_upgrade_steps(spm__sqlite *s, int from, int to)
{
	size_t i, n = spm_schema_kind_count(s->db);
	const spm_kind *kind;
	int since, rc;

	if (from == 0) {
		rc = spm__sqlite_create_counters(s);
		if (rc != SPM_OK)
			return rc;
	}
	for (i = 0; i < n; i++) {
		kind = spm_schema_kind_at(s->db, i);
		since = spm_kind_since(kind);
		if (since > to)
			continue;
		rc = spm__sqlite_kind_check(kind);
		if (rc != SPM_OK)
			return rc;
		if (since > from)
			rc = spm__sqlite_create_kind(s, kind, to);
		else
			rc = spm__sqlite_add_fields(s, kind, from, to);
		if (rc != SPM_OK)
			return rc;
	}
	rc = spm__sqlite_audit_chain(s, from, to);
	if (rc != SPM_OK)
		return rc;
	return spm__sqlite_write_version(s, to);
}

int spm__sqlite_upgrade(void *self, int from, int to)
{
	spm__sqlite *s = self;
	int stored, rc;

	if (from < 0 || to <= 0 || from > to)
		return spm_storage_error(SPM_EINVAL, "sqlite: upgrade: bad versions %d to %d", from,
					 to);
	rc = spm__sqlite_begin(s, SPM_STORAGE_WRITE);
	if (rc != SPM_OK)
		return rc;
	/* Another process may have upgraded since the caller read the version;
	 * the version read under the write lock is the one to start from, and
	 * a database at or beyond to is left alone (never downgraded). */
	rc = spm__sqlite_read_version(s, &stored);
	if (rc == SPM_OK && stored < to)
		rc = spm__sqlite_upgrade_steps(s, stored, to);
	if (rc == SPM_OK)
		rc = spm__sqlite_commit(s);
	if (rc != SPM_OK) {
		spm__sqlite_rollback(s);
		return rc;
	}
	/* the stored version is now the larger of the two */
	return spm__sqlite_read_version(s, &stored);
}
