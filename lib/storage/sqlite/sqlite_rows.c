/* Rows of the SQLite backend: get, put, remove and scan.
 *
 * Statements are prepared once per kind and kept (see sqlite_internal.h).
 * Every value is bound; the SQL text is made only of the checked kind and
 * field names and constant fragments.
 */
#include "storage/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- statement cache per kind ---------------------------------------- */

void spm__sqlite_kind_release(spm__sqlite *s, spm__sqlite_kind *k)
{
	size_t i;

	if (k == NULL)
		return;
	sqlite3_finalize(k->get);
	sqlite3_finalize(k->put);
	sqlite3_finalize(k->update);
	sqlite3_finalize(k->remove);
	for (i = 0; i < SPM__SQLITE_SCAN_SLOTS; i++)
		sqlite3_finalize(k->scan[i]);
	for (i = 0; i < SPM__SQLITE_UPDATE_SLOTS; i++)
		sqlite3_finalize(k->set[i]);
	spm_storage_free(s->db, k);
}

static int spm__sqlite_kinds_grow(spm__sqlite *s)
{
	size_t cap = s->kinds_cap ? s->kinds_cap * 2 : 16;
	spm__sqlite_kind **kinds;

	kinds = spm_storage_malloc(s->db, cap * sizeof(*kinds));
	if (kinds == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory caching statements");
	if (s->nkinds > 0)
		memcpy(kinds, s->kinds, s->nkinds * sizeof(*kinds));
	spm_storage_free(s->db, s->kinds);
	s->kinds = kinds;
	s->kinds_cap = cap;
	return SPM_OK;
}

/* The cache entry of kind, made (and the kind's names checked) on first use. */
int spm__sqlite_kind_cache(spm__sqlite_kind **out, spm__sqlite *s, const spm_kind *kind)
{
	spm__sqlite_kind *k;
	size_t i;
	int rc;

	for (i = 0; i < s->nkinds; i++) {
		if (s->kinds[i]->kind == kind) {
			*out = s->kinds[i];
			return SPM_OK;
		}
	}
	rc = spm__sqlite_kind_check(kind);
	if (rc == SPM_OK && s->nkinds == s->kinds_cap)
		rc = spm__sqlite_kinds_grow(s);
	if (rc != SPM_OK)
		return rc;
	k = spm_storage_malloc(s->db, sizeof(*k));
	if (k == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory caching statements");
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	s->kinds[s->nkinds++] = k;
	*out = k;
	return SPM_OK;
}

/* Prepares the statement built in buf into *slot (kept), consuming buf. */
int spm__sqlite_prepare_buf(spm__sqlite *s, sqlite3_stmt **slot, spm__sqlite_buf *buf,
			    int persistent, const char *what, const spm_kind *kind)
{
	int rc = spm__sqlite_buf_status(buf);

	if (rc == SPM_OK)
		rc = spm__sqlite_prepare(s, slot, buf->ptr, persistent, what, spm_kind_name(kind));
	spm__sqlite_buf_free(buf);
	return rc;
}

/* The core fields the stored schema has: those added by a version the file
 * has reached (a kind's core fields are appended in version order). */
size_t spm__sqlite_ncols(const spm__sqlite *s, const spm_kind *kind)
{
	size_t n = spm_kind_core_count(kind);

	while (n > 0 && spm_kind_field_since(kind, n - 1) > s->version)
		n--;
	return n;
}

/* ", "c1", "c2", "c2_currency" …: the first n core columns of the kind, in
 * the order rows are bound and read. */
/* ", "c" (", "c_currency" for money): core field i's columns. */
static void spm__sqlite_buf_column(spm__sqlite_buf *buf, const spm_kind *kind, size_t i)
{
	spm__sqlite_buf_add(buf, ", ");
	spm__sqlite_buf_ident(buf, spm_kind_field_name(kind, i));
	if (spm_kind_field_type(kind, i) == SPM_FIELD_MONEY) {
		spm__sqlite_buf_add(buf, ", ");
		spm__sqlite_buf_currency_ident(buf, spm_kind_field_name(kind, i));
	}
}

static void spm__sqlite_buf_columns(spm__sqlite_buf *buf, const spm_kind *kind, size_t n)
{
	for (size_t i = 0; i < n; i++)
		spm__sqlite_buf_column(buf, kind, i);
}

/* The core fields a read takes: f[0..nf) (NULL: all), and the custom ones
 * or not. Fields the stored schema does not have yet (index ncols and up)
 * are absent. */
struct spm__sqlite_fields {
	const size_t *f;
	size_t nf;
	int custom;
};

static const struct spm__sqlite_fields spm__sqlite_whole = { NULL, 0, 1 };

/* The fields a scan reads (spm_scan.fields, version 2; else whole rows). */
static struct spm__sqlite_fields spm__sqlite_scan_fields(const spm_scan *scan)
{
	struct spm__sqlite_fields w = spm__sqlite_whole;

	if (scan->version >= 2 && scan->fields != NULL) {
		w.f = scan->fields;
		w.nf = scan->nfields;
		w.custom = (scan->flags & SPM_SCAN_CUSTOM) != 0;
	}
	return w;
}

/* Core field k of the read among the n the stored schema has, or n. */
static size_t spm__sqlite_field_at(const struct spm__sqlite_fields *w, size_t k, size_t n)
{
	size_t i = w->f ? w->f[k] : k;

	return i < n ? i : n;
}

/* SELECT of the fields w; spm__sqlite_read_row() reads this column order. */
static void spm__sqlite_buf_select(spm__sqlite_buf *buf, const spm_kind *kind, size_t n,
				   const struct spm__sqlite_fields *w)
{
	size_t nf = w->f ? w->nf : n;

	spm__sqlite_buf_add(buf, "SELECT \"id\", \"seq\", \"deleted\"");
	for (size_t k = 0; k < nf; k++) {
		size_t i = spm__sqlite_field_at(w, k, n);
		if (i < n)
			spm__sqlite_buf_column(buf, kind, i);
	}
	if (w->custom)
		spm__sqlite_buf_add(buf, ", \"custom\"");
	spm__sqlite_buf_add(buf, " FROM ");
	spm__sqlite_buf_ident(buf, spm_kind_name(kind));
}

/* ---- reading rows ---------------------------------------------------- */

static int spm__sqlite_wrong_type(const spm_kind *kind, size_t i)
{
	return spm_storage_error(SPM_ECORRUPT, "sqlite: %s.%s: stored value has the wrong type",
				 spm_kind_name(kind), spm_kind_field_name(kind, i));
}

static int spm__sqlite_read_text(spm_record *rec, sqlite3_stmt *st, int col,
				 const spm_kind *kind, size_t i)
{
	const unsigned char *text;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT)
		return spm__sqlite_wrong_type(kind, i);
	text = sqlite3_column_text(st, col);
	if (text == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory reading %s.%s",
					 spm_kind_name(kind), spm_kind_field_name(kind, i));
	return spm_record_load_text(rec, i, (const char *)text,
				    (size_t)sqlite3_column_bytes(st, col));
}

static int spm__sqlite_read_money(spm_record *rec, sqlite3_stmt *st, int col,
				  const spm_kind *kind, size_t i)
{
	const unsigned char *currency;

	/* Amount and currency are stored together or not at all. */
	if (sqlite3_column_type(st, col) != SQLITE_INTEGER ||
	    sqlite3_column_type(st, col + 1) != SQLITE_TEXT)
		return spm__sqlite_wrong_type(kind, i);
	currency = sqlite3_column_text(st, col + 1);
	if (currency == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory reading %s.%s",
					 spm_kind_name(kind), spm_kind_field_name(kind, i));
	return spm_record_load_money(rec, i, sqlite3_column_int64(st, col),
				     (const char *)currency);
}

/* Loads core field i from column *col on; advances *col past its columns. */
static int spm__sqlite_read_field(spm_record *rec, sqlite3_stmt *st, int *col,
				  const spm_kind *kind, size_t i)
{
	spm_field_type type = spm_kind_field_type(kind, i);
	int c = *col;

	*col += type == SPM_FIELD_MONEY ? 2 : 1;
	if (sqlite3_column_type(st, c) == SQLITE_NULL &&
	    (type != SPM_FIELD_MONEY || sqlite3_column_type(st, c + 1) == SQLITE_NULL))
		return SPM_OK;
	switch (type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		return spm__sqlite_read_text(rec, st, c, kind, i);
	case SPM_FIELD_MONEY:
		return spm__sqlite_read_money(rec, st, c, kind, i);
	case SPM_FIELD_INTEGER:
	case SPM_FIELD_DATE:
	case SPM_FIELD_BOOLEAN:
	case SPM_FIELD_TIME:
		if (sqlite3_column_type(st, c) != SQLITE_INTEGER)
			return spm__sqlite_wrong_type(kind, i);
		return spm_record_load_int(rec, i, sqlite3_column_int64(st, c));
	}
	return spm__sqlite_wrong_type(kind, i);
}

static int spm__sqlite_read_custom(spm_record *rec, sqlite3_stmt *st, int col,
				   const spm_kind *kind)
{
	const unsigned char *json;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return SPM_OK;
	case SQLITE_TEXT:
		break;
	default:
		return spm_storage_error(SPM_ECORRUPT,
					 "sqlite: %s.custom: stored value has the wrong type",
					 spm_kind_name(kind));
	}
	json = sqlite3_column_text(st, col);
	if (json == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory reading %s.custom",
					 spm_kind_name(kind));
	return spm_record_load_custom(rec, (const char *)json,
				      (size_t)sqlite3_column_bytes(st, col));
}

/* Builds a record from the current row of a spm__sqlite_buf_select()
 * statement of the same fields. */
static int spm__sqlite_read_row(spm_record **out, spm__sqlite *s, sqlite3_stmt *st,
				const spm_kind *kind, const struct spm__sqlite_fields *w)
{
	size_t n = spm__sqlite_ncols(s, kind), nf = w->f ? w->nf : n;
	spm_record *rec = NULL;
	int col = 3, rc;

	rc = spm_record_alloc(&rec, s->db, kind, sqlite3_column_int64(st, 0),
			      sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2) != 0);
	for (size_t k = 0; k < nf && rc == SPM_OK; k++) {
		size_t i = spm__sqlite_field_at(w, k, n);
		if (i < n)
			rc = spm__sqlite_read_field(rec, st, &col, kind, i);
	}
	if (rc == SPM_OK && w->custom)
		rc = spm__sqlite_read_custom(rec, st, col, kind);
	if (rc != SPM_OK) {
		spm_record_free(rec);
		return rc;
	}
	*out = rec;
	return SPM_OK;
}

/* ---- get ------------------------------------------------------------- */

static int spm__sqlite_get_stmt(spm__sqlite *s, spm__sqlite_kind *k)
{
	spm__sqlite_buf buf;

	if (k->get != NULL)
		return SPM_OK;
	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_select(&buf, k->kind, spm__sqlite_ncols(s, k->kind), &spm__sqlite_whole);
	spm__sqlite_buf_add(&buf, " WHERE \"id\" = ?1 AND \"deleted\" = 0");
	return spm__sqlite_prepare_buf(s, &k->get, &buf, 1, "prepare get", k->kind);
}

int spm__sqlite_get(void *self, spm_record **out, const spm_kind *kind, int64_t id)
{
	spm__sqlite *s = self;
	spm__sqlite_kind *k;
	sqlite3_stmt *st;
	int rc;

	if (out == NULL || kind == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: get: NULL argument");
	*out = NULL;
	rc = spm__sqlite_kind_cache(&k, s, kind);
	if (rc == SPM_OK)
		rc = spm__sqlite_get_stmt(s, k);
	if (rc != SPM_OK)
		return rc;
	st = k->get;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = spm__sqlite_read_row(out, s, st, kind, &spm__sqlite_whole);
	else if (rc == SQLITE_DONE)
		rc = spm_storage_error(SPM_ENOTFOUND, "sqlite: get %s %lld: no such record",
				       spm_kind_name(kind), (long long)id);
	else
		rc = spm__sqlite_fail(s, rc, "get", spm_kind_name(kind));
	sqlite3_reset(st);
	return rc;
}

/* ---- put ------------------------------------------------------------- */

/* Writes go through INSERT OR FAIL and UPDATE OR FAIL, not INSERT OR
 * REPLACE: a statement that may abort half-way (REPLACE, or the default
 * ABORT on the NOT NULL "seq") makes SQLite keep a statement journal, a copy
 * of every page the statement touches, which was the largest cost of a
 * write. OR FAIL keeps no journal; a failed write fails the whole
 * transaction anyway (the core rolls back on any storage error). Both
 * statements take the same parameters: ?1 id, ?2 seq, ?3… the core
 * columns, then custom. */
static int spm__sqlite_put_stmt(spm__sqlite *s, spm__sqlite_kind *k)
{
	size_t i, n = spm__sqlite_ncols(s, k->kind);
	spm__sqlite_buf buf;

	if (k->put != NULL)
		return SPM_OK;
	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_add(&buf, "INSERT OR FAIL INTO ");
	spm__sqlite_buf_ident(&buf, spm_kind_name(k->kind));
	spm__sqlite_buf_add(&buf, " (\"id\", \"seq\", \"deleted\"");
	spm__sqlite_buf_columns(&buf, k->kind, n);
	spm__sqlite_buf_add(&buf, ", \"custom\") VALUES (?, ?, 0");
	for (i = 0; i < n; i++)
		spm__sqlite_buf_add(&buf, spm_kind_field_type(k->kind, i) == SPM_FIELD_MONEY ?
					  ", ?, ?" : ", ?");
	spm__sqlite_buf_add(&buf, ", ?)");
	return spm__sqlite_prepare_buf(s, &k->put, &buf, 1, "prepare put", k->kind);
}

static int spm__sqlite_update_stmt(spm__sqlite *s, spm__sqlite_kind *k)
{
	size_t i, n = spm__sqlite_ncols(s, k->kind);
	int param = 3;
	char num[24];
	spm__sqlite_buf buf;

	if (k->update != NULL)
		return SPM_OK;
	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_add(&buf, "UPDATE OR FAIL ");
	spm__sqlite_buf_ident(&buf, spm_kind_name(k->kind));
	spm__sqlite_buf_add(&buf, " SET \"seq\" = ?2, \"deleted\" = 0");
	for (i = 0; i < n; i++) {
		spm__sqlite_buf_add(&buf, ", ");
		spm__sqlite_buf_ident(&buf, spm_kind_field_name(k->kind, i));
		snprintf(num, sizeof(num), " = ?%d", param++);
		spm__sqlite_buf_add(&buf, num);
		if (spm_kind_field_type(k->kind, i) == SPM_FIELD_MONEY) {
			spm__sqlite_buf_add(&buf, ", ");
			spm__sqlite_buf_currency_ident(&buf, spm_kind_field_name(k->kind, i));
			snprintf(num, sizeof(num), " = ?%d", param++);
			spm__sqlite_buf_add(&buf, num);
		}
	}
	snprintf(num, sizeof(num), " = ?%d", param);
	spm__sqlite_buf_add(&buf, ", \"custom\"");
	spm__sqlite_buf_add(&buf, num);
	spm__sqlite_buf_add(&buf, " WHERE \"id\" = ?1");
	return spm__sqlite_prepare_buf(s, &k->update, &buf, 1, "prepare put", k->kind);
}

/* Binds core field i from parameter *param on; advances *param. Text is
 * bound without a copy: the statement is reset before rec can change. */
int spm__sqlite_bind_field(sqlite3_stmt *st, int *param, const spm_record *rec,
			   const spm_kind *kind, size_t i)
{
	spm_field_type type = spm_kind_field_type(kind, i);
	int p = *param;
	const char *text;
	size_t len;
	int rc;

	*param += type == SPM_FIELD_MONEY ? 2 : 1;
	if (spm_record_value_null(rec, i)) {
		rc = sqlite3_bind_null(st, p);
		if (rc == SQLITE_OK && type == SPM_FIELD_MONEY)
			rc = sqlite3_bind_null(st, p + 1);
		return rc;
	}
	switch (type) {
	case SPM_FIELD_TEXT:
	case SPM_FIELD_ENUM:
		text = spm_record_value_text(rec, i, &len);
		if (text == NULL)
			return sqlite3_bind_null(st, p);
		return sqlite3_bind_text64(st, p, text, len, SQLITE_STATIC, SQLITE_UTF8);
	case SPM_FIELD_MONEY:
		rc = sqlite3_bind_int64(st, p, spm_record_value_int(rec, i));
		text = spm_record_value_currency(rec, i);
		if (rc == SQLITE_OK && text != NULL)
			rc = sqlite3_bind_text(st, p + 1, text, -1, SQLITE_STATIC);
		else if (rc == SQLITE_OK)
			rc = sqlite3_bind_null(st, p + 1);
		return rc;
	default:
		return sqlite3_bind_int64(st, p, spm_record_value_int(rec, i));
	}
}

static int spm__sqlite_bind_row(sqlite3_stmt *st, const spm_record *rec, const spm_kind *kind,
				size_t n, const char *custom, size_t custom_len)
{
	size_t i;
	int param = 3, rc;

	rc = sqlite3_bind_int64(st, 1, spm_record_id(rec));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, spm_record_seq(rec));
	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = spm__sqlite_bind_field(st, &param, rec, kind, i);
	if (rc != SQLITE_OK)
		return rc;
	if (custom == NULL)
		return sqlite3_bind_null(st, param);
	return sqlite3_bind_text64(st, param, custom, custom_len, SQLITE_STATIC, SQLITE_UTF8);
}

/* Runs one of the two put statements; *changed tells whether a row was
 * written. */
static int spm__sqlite_put_run(spm__sqlite *s, sqlite3_stmt *st, const spm_record *rec,
			       const char *custom, size_t custom_len, int *changed)
{
	const spm_kind *kind = spm_record_kind_of(rec);
	int rc;

	*changed = 0;
	rc = spm__sqlite_bind_row(st, rec, kind, spm__sqlite_ncols(s, kind), custom, custom_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*changed = sqlite3_changes(s->conn) > 0;
		rc = SPM_OK;
	} else {
		rc = spm__sqlite_fail(s, rc, "put", spm_kind_name(kind));
	}
	/* Reset and unbind before the borrowed texts go away. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* What put and insert share: the record's kind in the cache, its
 * statements (the update one when with_update), and its custom values as
 * JSON (*custom freed by the caller with spm_storage_free). */
static int write_begin(spm__sqlite_kind **k, char **custom, size_t *custom_len, spm__sqlite *s,
		       const spm_record *rec, const char *op, int with_update)
{
	const spm_kind *kind = rec != NULL ? spm_record_kind_of(rec) : NULL;
	int rc;

	*custom = NULL;
	if (kind == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: %s: NULL record", op);
	if (spm_record_id(rec) <= 0)
		return spm_storage_error(SPM_EINVAL, "sqlite: %s %s: the record has no id", op,
					 spm_kind_name(kind));
	rc = spm__sqlite_kind_cache(k, s, kind);
	if (rc == SPM_OK)
		rc = spm__sqlite_put_stmt(s, *k);
	if (rc == SPM_OK && with_update)
		rc = spm__sqlite_update_stmt(s, *k);
	if (rc == SPM_OK)
		rc = spm_record_custom_json(custom, custom_len, rec);
	return rc;
}

int spm__sqlite_put(void *self, const spm_record *rec)
{
	spm__sqlite *s = self;
	spm__sqlite_kind *k;
	char *custom;
	size_t custom_len = 0;
	int changed = 0, rc = write_begin(&k, &custom, &custom_len, s, rec, "put", 1);

	/* An existing row (or tombstone) is updated; a new id is inserted. */
	if (rc == SPM_OK)
		rc = spm__sqlite_put_run(s, k->update, rec, custom, custom_len, &changed);
	if (rc == SPM_OK && !changed)
		rc = spm__sqlite_put_run(s, k->put, rec, custom, custom_len, &changed);
	spm_storage_free(s->db, custom);
	return rc;
}

int spm__sqlite_insert(void *self, const spm_record *rec)
{
	spm__sqlite *s = self;
	spm__sqlite_kind *k;
	char *custom;
	size_t custom_len = 0;
	int changed = 0, rc = write_begin(&k, &custom, &custom_len, s, rec, "insert", 0);

	/* A taken id breaks the primary key: SPM_ECONFLICT (spm__sqlite_fail). */
	if (rc == SPM_OK)
		rc = spm__sqlite_put_run(s, k->put, rec, custom, custom_len, &changed);
	spm_storage_free(s->db, custom);
	return rc;
}

/* ---- remove ---------------------------------------------------------- */

static int spm__sqlite_remove_stmt(spm__sqlite *s, spm__sqlite_kind *k)
{
	size_t i, n = spm__sqlite_ncols(s, k->kind);
	spm__sqlite_buf buf;
	const char *name;

	if (k->remove != NULL)
		return SPM_OK;
	spm__sqlite_buf_init(&buf, s->db);
	/* OR FAIL: no statement journal (see spm__sqlite_put_stmt). */
	spm__sqlite_buf_add(&buf, "UPDATE OR FAIL ");
	spm__sqlite_buf_ident(&buf, spm_kind_name(k->kind));
	spm__sqlite_buf_add(&buf, " SET \"deleted\" = 1, \"seq\" = ?2");
	/* A tombstone keeps id and seq only: the values are erased. */
	for (i = 0; i < n; i++) {
		name = spm_kind_field_name(k->kind, i);
		spm__sqlite_buf_add(&buf, ", ");
		spm__sqlite_buf_ident(&buf, name);
		spm__sqlite_buf_add(&buf, " = NULL");
		if (spm_kind_field_type(k->kind, i) == SPM_FIELD_MONEY) {
			spm__sqlite_buf_add(&buf, ", ");
			spm__sqlite_buf_currency_ident(&buf, name);
			spm__sqlite_buf_add(&buf, " = NULL");
		}
	}
	spm__sqlite_buf_add(&buf, ", \"custom\" = NULL WHERE \"id\" = ?1 AND \"deleted\" = 0");
	return spm__sqlite_prepare_buf(s, &k->remove, &buf, 1, "prepare remove", k->kind);
}

int spm__sqlite_remove(void *self, const spm_kind *kind, int64_t id, int64_t seq)
{
	spm__sqlite *s = self;
	spm__sqlite_kind *k;
	sqlite3_stmt *st;
	int rc;

	if (kind == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: remove: NULL kind");
	rc = spm__sqlite_kind_cache(&k, s, kind);
	if (rc == SPM_OK)
		rc = spm__sqlite_remove_stmt(s, k);
	if (rc != SPM_OK)
		return rc;
	st = k->remove;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = spm__sqlite_fail(s, rc, "remove", spm_kind_name(kind));
	else if (sqlite3_changes(s->conn) == 0)
		rc = spm_storage_error(SPM_ENOTFOUND, "sqlite: remove %s %lld: no such record",
				       spm_kind_name(kind), (long long)id);
	else
		rc = SPM_OK;
	sqlite3_reset(st);
	return rc;
}

/* ---- scan ------------------------------------------------------------ */

static const char *spm__sqlite_compare_op(spm_compare cmp)
{
	switch (cmp) {
	case SPM_CMP_EQ: return " = ";
	case SPM_CMP_NE: return " <> ";
	case SPM_CMP_LT: return " < ";
	case SPM_CMP_LE: return " <= ";
	case SPM_CMP_GT: return " > ";
	case SPM_CMP_GE: return " >= ";
	}
	return NULL;
}

static int spm__sqlite_is_text(spm_field_type type)
{
	return type == SPM_FIELD_TEXT || type == SPM_FIELD_ENUM;
}

static int spm__sqlite_scan_check(const spm__sqlite *s, const spm_kind *kind,
				  const spm_scan *scan)
{
	const char *kname = spm_kind_name(kind);
	const spm_scan_cond *c;
	size_t i;

	if (scan->version < 1)
		return spm_storage_error(SPM_EVERSION, "sqlite: scan %s: unknown spm_scan version %u",
					 kname, (unsigned int)scan->version);
	/* A flag this backend does not know would silently change the result. */
	if (scan->flags & ~(SPM_SCAN_BY_SEQ | SPM_SCAN_DELETED | SPM_SCAN_DESC | SPM_SCAN_CUSTOM))
		return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: unknown flags 0x%x", kname,
					 scan->flags);
	if (scan->version >= 2 && scan->nfields > 0 && scan->fields == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: fields is NULL", kname);
	for (i = 0; scan->version >= 2 && scan->fields != NULL && i < scan->nfields; i++)
		if (scan->fields[i] >= spm_kind_core_count(kind))
			return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: field %zu is not a "
						 "core field", kname, i);
	if (scan->nconds > 0 && scan->conds == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: conds is NULL", kname);
	for (i = 0; i < scan->nconds; i++) {
		c = &scan->conds[i];
		if (c->field >= spm__sqlite_ncols(s, kind))
			return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: condition %zu is not on a "
						 "core field", kname, i);
		if (spm__sqlite_compare_op(c->cmp) == NULL)
			return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: condition %zu has an "
						 "unknown comparison", kname, i);
		if (spm__sqlite_is_text(spm_kind_field_type(kind, c->field)) && c->svalue == NULL)
			return spm_storage_error(SPM_EINVAL, "sqlite: scan %s: condition %zu on text "
						 "field %s has no value", kname, i,
						 spm_kind_field_name(kind, c->field));
	}
	return SPM_OK;
}

/* The scan's SQL: its shape depends on the flags and on which fields and
 * comparisons the conditions use, never on their values (all bound: ?1
 * after_id, ?2 after_seq, ?3 limit, ?4… the conditions). A field without a
 * value matches no comparison, as in SQL. On a money field the condition
 * compares the amount. */
/* The filters after the position: deleted rows, then the conditions. */
static void spm__sqlite_buf_filters(spm__sqlite_buf *buf, const spm_kind *kind,
				    const spm_scan *scan)
{
	char param[24];

	if (!(scan->flags & SPM_SCAN_DELETED))
		spm__sqlite_buf_add(buf, " AND \"deleted\" = 0");
	for (size_t i = 0; i < scan->nconds; i++) {
		/* Numbered: a bare "?" would take ?3, the LIMIT's number. */
		snprintf(param, sizeof(param), "?%zu", i + 4);
		spm__sqlite_buf_add(buf, " AND ");
		spm__sqlite_buf_ident(buf, spm_kind_field_name(kind, scan->conds[i].field));
		spm__sqlite_buf_add(buf, spm__sqlite_compare_op(scan->conds[i].cmp));
		spm__sqlite_buf_add(buf, param);
	}
}

static void spm__sqlite_buf_scan(spm__sqlite_buf *buf, const spm__sqlite *s,
				 const spm_kind *kind, const spm_scan *scan)
{
	int desc = (scan->flags & SPM_SCAN_DESC) != 0;
	size_t n = spm__sqlite_ncols(s, kind);
	struct spm__sqlite_fields w = spm__sqlite_scan_fields(scan);

	spm__sqlite_buf_select(buf, kind, n, &w);
	if (scan->flags & SPM_SCAN_BY_SEQ) {
		/* In change order the position is the pair (seq, id): one
		 * transaction may write many rows with the same seq, and a page
		 * may end among them. The rest of that seq and the seqs above it
		 * are two ranges of the seq index (whose entries end with the
		 * id), merged in order: the row value (seq, id) > (?2, ?1) would
		 * scan every row of seq ?2 on each call — all of a bulk import. */
		spm__sqlite_buf_add(buf, " WHERE \"seq\" = ?2 AND \"id\" > ?1");
		spm__sqlite_buf_filters(buf, kind, scan);
		spm__sqlite_buf_add(buf, " UNION ALL ");
		spm__sqlite_buf_select(buf, kind, n, &w);
		spm__sqlite_buf_add(buf, " WHERE \"seq\" > ?2");
		spm__sqlite_buf_filters(buf, kind, scan);
		/* Several rows may share a change sequence: id breaks ties so
		 * that the order is total. SPM_SCAN_DESC reverses the order only;
		 * after_id and after_seq stay lower bounds. */
		spm__sqlite_buf_add(buf, desc ? " ORDER BY \"seq\" DESC, \"id\" DESC"
					      : " ORDER BY \"seq\", \"id\"");
	} else {
		spm__sqlite_buf_add(buf, " WHERE \"id\" > ?1 AND \"seq\" > ?2");
		spm__sqlite_buf_filters(buf, kind, scan);
		spm__sqlite_buf_add(buf, desc ? " ORDER BY \"id\" DESC" : " ORDER BY \"id\"");
	}
	spm__sqlite_buf_add(buf, " LIMIT ?3");
}

/* A slot to keep a new statement in: an empty one, else the next one not in
 * use (a scan callback may be running an outer scan's statement); NULL when
 * every slot is in use. */
static sqlite3_stmt **spm__sqlite_scan_slot(spm__sqlite_kind *k)
{
	size_t i, j;

	for (i = 0; i < SPM__SQLITE_SCAN_SLOTS; i++)
		if (k->scan[i] == NULL)
			return &k->scan[i];
	for (i = 0; i < SPM__SQLITE_SCAN_SLOTS; i++) {
		j = (k->scan_victim + i) % SPM__SQLITE_SCAN_SLOTS;
		if (!sqlite3_stmt_busy(k->scan[j])) {
			k->scan_victim = (unsigned int)((j + 1) % SPM__SQLITE_SCAN_SLOTS);
			sqlite3_finalize(k->scan[j]);
			k->scan[j] = NULL;
			return &k->scan[j];
		}
	}
	return NULL;
}

/* The statement for this scan's shape: a cached one that is not running,
 * else a new one, cached when a slot is free. *owned tells the caller to
 * finalize it after use. */
static int spm__sqlite_cached_stmt(sqlite3_stmt **out, int *owned, spm__sqlite *s,
				   spm__sqlite_kind *k, spm__sqlite_buf *buf)
{
	sqlite3_stmt **slot = NULL;
	size_t i;
	int rc = spm__sqlite_buf_status(buf);

	*out = NULL;
	*owned = 0;
	for (i = 0; i < SPM__SQLITE_SCAN_SLOTS && rc == SPM_OK; i++) {
		if (k->scan[i] != NULL && !sqlite3_stmt_busy(k->scan[i]) &&
		    strcmp(sqlite3_sql(k->scan[i]), buf->ptr) == 0) {
			*out = k->scan[i];
			spm__sqlite_buf_free(buf);
			return SPM_OK;
		}
	}
	if (rc == SPM_OK)
		slot = spm__sqlite_scan_slot(k);
	*owned = slot == NULL;
	rc = spm__sqlite_prepare_buf(s, slot ? slot : out, buf, slot != NULL, "prepare scan",
				     k->kind);
	if (rc == SPM_OK && slot != NULL)
		*out = *slot;
	return rc;
}

static int spm__sqlite_scan_stmt(sqlite3_stmt **out, int *owned, spm__sqlite *s,
				 spm__sqlite_kind *k, const spm_scan *scan)
{
	spm__sqlite_buf buf;

	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_scan(&buf, s, k->kind, scan);
	return spm__sqlite_cached_stmt(out, owned, s, k, &buf);
}

/* Binds the conditions from parameter ?4 on. */
static int spm__sqlite_bind_conds(sqlite3_stmt *st, const spm_kind *kind, const spm_scan *scan)
{
	const spm_scan_cond *c;
	int rc = SQLITE_OK;
	size_t i;

	for (i = 0; i < scan->nconds && rc == SQLITE_OK; i++) {
		c = &scan->conds[i];
		if (spm__sqlite_is_text(spm_kind_field_type(kind, c->field)))
			rc = sqlite3_bind_text(st, (int)i + 4, c->svalue, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_int64(st, (int)i + 4, c->ivalue);
	}
	return rc;
}

static int spm__sqlite_scan_bind(sqlite3_stmt *st, const spm_kind *kind, const spm_scan *scan)
{
	int64_t limit = -1; /* SQLite: a negative LIMIT is no limit */
	int64_t after_id = scan->after_id;
	int rc;

	if (scan->limit > 0 && (uint64_t)scan->limit <= (uint64_t)INT64_MAX)
		limit = (int64_t)scan->limit;
	/* In change order, after_id 0 means "from the start of the rows with
	 * seq above after_seq": (after_seq, INT64_MAX) bounds exactly those. */
	if ((scan->flags & SPM_SCAN_BY_SEQ) && scan->after_id <= 0)
		after_id = INT64_MAX;
	rc = sqlite3_bind_int64(st, 1, after_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, scan->after_seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, limit);
	if (rc == SQLITE_OK)
		rc = spm__sqlite_bind_conds(st, kind, scan);
	return rc;
}

/* Steps through the rows, handing each record to cb. */
static int spm__sqlite_scan_rows(spm__sqlite *s, sqlite3_stmt *st, const spm_kind *kind,
				 const spm_scan *scan, spm_scan_cb cb, void *payload)
{
	struct spm__sqlite_fields w = spm__sqlite_scan_fields(scan);
	spm_record *rec;
	int rc;

	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			return SPM_OK;
		if (rc != SQLITE_ROW)
			return spm__sqlite_fail(s, rc, "scan", spm_kind_name(kind));
		rc = spm__sqlite_read_row(&rec, s, st, kind, &w);
		if (rc != SPM_OK)
			return rc;
		rc = cb(rec, payload);
		if (rc != 0)
			return rc;
	}
}

int spm__sqlite_scan(void *self, const spm_kind *kind, const spm_scan *scan, spm_scan_cb cb,
		     void *payload)
{
	spm__sqlite *s = self;
	spm__sqlite_kind *k;
	sqlite3_stmt *st;
	int owned, rc;

	if (kind == NULL || scan == NULL || cb == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: scan: NULL argument");
	rc = spm__sqlite_scan_check(s, kind, scan);
	if (rc == SPM_OK)
		rc = spm__sqlite_kind_cache(&k, s, kind);
	if (rc == SPM_OK)
		rc = spm__sqlite_scan_stmt(&st, &owned, s, k, scan);
	if (rc != SPM_OK)
		return rc;
	rc = spm__sqlite_scan_bind(st, kind, scan);
	if (rc != SQLITE_OK)
		rc = spm__sqlite_fail(s, rc, "scan", spm_kind_name(kind));
	else
		rc = spm__sqlite_scan_rows(s, st, kind, scan, cb, payload);
	/* Always reset: a statement left running would hold the read snapshot
	 * open (and the borrowed condition texts). */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (owned)
		sqlite3_finalize(st);
	return rc;
}

/* ---- count ----------------------------------------------------------- */

/* SELECT count(*) with the scan's filters. The position filters appear only
 * when set, and "deleted" = 0 only without conditions: a tombstone has no
 * values, so no comparison matches it, and an index on the condition's
 * field then answers alone, without reading a row. Parameters as in a
 * scan: ?1 after_id, ?2 after_seq, the conditions from ?4 (?3, the limit,
 * is unused; SQLite sizes the parameters by the largest number). */
static void spm__sqlite_buf_count(spm__sqlite_buf *buf, const spm_kind *kind,
				  const spm_scan *scan)
{
	char param[24];

	spm__sqlite_buf_add(buf, "SELECT count(*) FROM ");
	spm__sqlite_buf_ident(buf, spm_kind_name(kind));
	/* After a change sequence: the seq index's range, not the id's (the
	 * unary + keeps the planner off the rowid); with tombstones counted
	 * the index alone answers. */
	if (scan->after_seq != 0)
		spm__sqlite_buf_add(buf, " WHERE +\"id\" > ?1 AND \"seq\" > ?2");
	else
		spm__sqlite_buf_add(buf, " WHERE \"id\" > ?1");
	if (scan->nconds == 0 && !(scan->flags & SPM_SCAN_DELETED))
		spm__sqlite_buf_add(buf, " AND \"deleted\" = 0");
	for (size_t i = 0; i < scan->nconds; i++) {
		snprintf(param, sizeof(param), "?%zu", i + 4);
		spm__sqlite_buf_add(buf, " AND ");
		spm__sqlite_buf_ident(buf, spm_kind_field_name(kind, scan->conds[i].field));
		spm__sqlite_buf_add(buf, spm__sqlite_compare_op(scan->conds[i].cmp));
		spm__sqlite_buf_add(buf, param);
	}
}

int spm__sqlite_count(void *self, int64_t *out, const spm_kind *kind, const spm_scan *scan)
{
	spm__sqlite *s = self;
	spm__sqlite_kind *k;
	spm__sqlite_buf buf;
	sqlite3_stmt *st;
	int owned, rc;

	if (out == NULL || kind == NULL || scan == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: count: NULL argument");
	*out = 0;
	rc = spm__sqlite_scan_check(s, kind, scan);
	if (rc == SPM_OK)
		rc = spm__sqlite_kind_cache(&k, s, kind);
	if (rc != SPM_OK)
		return rc;
	spm__sqlite_buf_init(&buf, s->db);
	spm__sqlite_buf_count(&buf, kind, scan);
	rc = spm__sqlite_cached_stmt(&st, &owned, s, k, &buf);
	if (rc != SPM_OK)
		return rc;
	rc = sqlite3_bind_int64(st, 1, scan->after_id);
	if (rc == SQLITE_OK && scan->after_seq != 0)
		rc = sqlite3_bind_int64(st, 2, scan->after_seq);
	if (rc == SQLITE_OK)
		rc = spm__sqlite_bind_conds(st, kind, scan);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SPM_OK;
	} else {
		rc = spm__sqlite_fail(s, rc, "count", spm_kind_name(kind));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (owned)
		sqlite3_finalize(st);
	return rc;
}
