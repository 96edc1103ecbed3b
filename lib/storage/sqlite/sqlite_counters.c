/* Named counters (next_id) of the SQLite backend.
 *
 * Every write takes several ids (the record, its audit rows, its event, the
 * change sequence). An upsert per id was a quarter of the write path's time,
 * so a counter is read once per write transaction, handed out from memory
 * and written back just before COMMIT. The write transaction holds SQLite's
 * write lock from BEGIN IMMEDIATE on, so no other connection can read or
 * change a counter in between; a rollback discards the values in memory.
 */
#include "storage/sqlite/sqlite_internal.h"

#include <string.h>

static int spm__sqlite_counter_stmt(spm__sqlite *s, sqlite3_stmt **slot, const char *sql)
{
	if (*slot != NULL)
		return SPM_OK;
	return spm__sqlite_prepare(s, slot, sql, 1, "prepare next_id", NULL);
}

/* The entry of counter, added (not loaded) when it is new. */
static int spm__sqlite_counter_find(spm__sqlite_counter **out, spm__sqlite *s,
				    const char *counter)
{
	spm__sqlite_counter *c;
	size_t i, len;

	for (i = 0; i < s->ncounters; i++) {
		if (strcmp(s->counters[i].name, counter) == 0) {
			*out = &s->counters[i];
			return SPM_OK;
		}
	}
	if (s->ncounters == s->counters_cap) {
		size_t cap = s->counters_cap ? s->counters_cap * 2 : 16;
		c = spm_storage_malloc(s->db, cap * sizeof(*c));
		if (c == NULL)
			return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory in next_id");
		if (s->ncounters > 0)
			memcpy(c, s->counters, s->ncounters * sizeof(*c));
		spm_storage_free(s->db, s->counters);
		s->counters = c;
		s->counters_cap = cap;
	}
	len = strlen(counter);
	c = &s->counters[s->ncounters];
	memset(c, 0, sizeof(*c));
	c->name = spm_storage_malloc(s->db, len + 1);
	if (c->name == NULL)
		return spm_storage_error(SPM_ENOMEM, "sqlite: out of memory in next_id");
	memcpy(c->name, counter, len + 1);
	s->ncounters++;
	*out = c;
	return SPM_OK;
}

/* Reads the stored value of c (0 when the counter has never been used). */
static int spm__sqlite_counter_load(spm__sqlite *s, spm__sqlite_counter *c)
{
	sqlite3_stmt *st;
	int rc = spm__sqlite_counter_stmt(s, &s->counter_get,
					  "SELECT \"value\" FROM \"" SPM__SQLITE_COUNTERS "\" "
					  "WHERE \"name\" = ?1");

	if (rc != SPM_OK)
		return rc;
	st = s->counter_get;
	rc = sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
		c->stored = sqlite3_column_int64(st, 0);
		rc = SPM_OK;
	} else if (rc == SQLITE_ROW) {
		rc = spm_storage_error(SPM_ECORRUPT, "sqlite: next_id %s: the stored counter is "
				       "not an integer", c->name);
	} else if (rc == SQLITE_DONE) {
		c->stored = 0;
		rc = SPM_OK;
	} else {
		rc = spm__sqlite_fail(s, rc, "next_id", c->name);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SPM_OK) {
		c->value = c->stored;
		c->loaded = 1;
	}
	return rc;
}

int spm__sqlite_next_id(void *self, int64_t *out, const char *counter)
{
	spm__sqlite *s = self;
	spm__sqlite_counter *c = NULL;
	int rc;

	if (out == NULL || counter == NULL)
		return spm_storage_error(SPM_EINVAL, "sqlite: next_id: NULL argument");
	*out = 0;
	/* Outside a write transaction two processes could both read the old
	 * value before either writes it back. */
	if (sqlite3_get_autocommit(s->conn) || !s->txn_write)
		return spm_storage_error(SPM_EINVAL, "sqlite: next_id %s: no write transaction is open",
					 counter);
	rc = spm__sqlite_counter_find(&c, s, counter);
	if (rc == SPM_OK && !c->loaded)
		rc = spm__sqlite_counter_load(s, c);
	if (rc != SPM_OK)
		return rc;
	if (c->value == INT64_MAX)
		return spm_storage_error(SPM_EOVERFLOW, "sqlite: next_id %s: counter overflow", counter);
	*out = ++c->value;
	return SPM_OK;
}

int spm__sqlite_counters_flush(spm__sqlite *s)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = SPM_OK;

	for (i = 0; i < s->ncounters && rc == SPM_OK; i++) {
		spm__sqlite_counter *c = &s->counters[i];
		if (!c->loaded || c->value == c->stored)
			continue;
		rc = spm__sqlite_counter_stmt(s, &s->counter_put,
					      "INSERT INTO \"" SPM__SQLITE_COUNTERS "\" (\"name\", "
					      "\"value\") VALUES (?1, ?2) ON CONFLICT (\"name\") "
					      "DO UPDATE SET \"value\" = excluded.\"value\"");
		if (rc != SPM_OK)
			break;
		st = s->counter_put;
		rc = sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, c->value);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SPM_OK : spm__sqlite_fail(s, rc, "next_id", c->name);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return rc;
}

void spm__sqlite_counters_forget(spm__sqlite *s)
{
	for (size_t i = 0; i < s->ncounters; i++)
		s->counters[i].loaded = 0;
}

void spm__sqlite_counters_free(spm__sqlite *s)
{
	for (size_t i = 0; i < s->ncounters; i++)
		spm_storage_free(s->db, s->counters[i].name);
	spm_storage_free(s->db, s->counters);
	sqlite3_finalize(s->counter_get);
	sqlite3_finalize(s->counter_put);
}
