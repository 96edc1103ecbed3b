/* Updates of the changed columns only (spm_storage_ops.update). SQLite
 * rewrites an index entry of an UPDATE only for the indexes whose columns
 * are in the SET list, so an assignment that sets the owner touches the
 * owner, status and seq indexes, not every index of the lead table.
 *
 * The statement depends on which columns change; each kind keeps the last
 * few such sets prepared (a kind's writers repeat a handful). Values are
 * bound; the text is made of the checked names only.
 */
#include "storage/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

#define CUSTOM_BIT (UINT64_C(1) << 63)

/* Bits 0…61 name core fields: a kind with more writes every column. */
#define MASK_FIELDS 62

/* The set of columns to write as a mask (bit 62 always: "seq only" is a set
 * too, and no mask is 0). */
static uint64_t changed_mask(const spm_kind *kind, size_t ncols, const unsigned char *changed,
			     size_t nchanged)
{
	size_t core = spm_kind_core_count(kind);
	uint64_t mask = 0;

	for (size_t i = 0; i < nchanged; i++) {
		if (!changed[i])
			continue;
		if (i >= core)
			mask |= CUSTOM_BIT;
		else if (i < ncols)  /* a field the stored schema lacks is not stored */
			mask |= UINT64_C(1) << i;
	}
	return mask | (UINT64_C(1) << 62);  /* never 0: "seq only" is a set too */
}

static void buf_set(spm__sqlite_buf *buf, const spm_kind *kind, size_t ncols, uint64_t mask)
{
	char num[24];
	int param = 3;

	spm__sqlite_buf_add(buf, "UPDATE OR FAIL ");  /* no statement journal */
	spm__sqlite_buf_ident(buf, spm_kind_name(kind));
	spm__sqlite_buf_add(buf, " SET \"seq\" = ?2");
	for (size_t i = 0; i < ncols; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		spm__sqlite_buf_add(buf, ", ");
		spm__sqlite_buf_ident(buf, spm_kind_field_name(kind, i));
		snprintf(num, sizeof(num), " = ?%d", param++);
		spm__sqlite_buf_add(buf, num);
		if (spm_kind_field_type(kind, i) == SPM_FIELD_MONEY) {
			spm__sqlite_buf_add(buf, ", ");
			spm__sqlite_buf_currency_ident(buf, spm_kind_field_name(kind, i));
			snprintf(num, sizeof(num), " = ?%d", param++);
			spm__sqlite_buf_add(buf, num);
		}
	}
	if (mask & CUSTOM_BIT) {
		snprintf(num, sizeof(num), " = ?%d", param);
		spm__sqlite_buf_add(buf, ", \"custom\"");
		spm__sqlite_buf_add(buf, num);
	}
	spm__sqlite_buf_add(buf, " WHERE \"id\" = ?1 AND \"deleted\" = 0");
}

/* The prepared statement for mask: a kept one, else a new one in the next
 * slot (round robin). */
static int set_stmt(sqlite3_stmt **out, spm__sqlite *s, spm__sqlite_kind *k, size_t ncols,
		    uint64_t mask)
{
	spm__sqlite_buf buf;
	unsigned int slot;
	int rc;

	for (unsigned int i = 0; i < SPM__SQLITE_UPDATE_SLOTS; i++) {
		if (k->set[i] != NULL && k->set_mask[i] == mask) {
			*out = k->set[i];
			return SPM_OK;
		}
	}
	slot = k->set_victim;
	k->set_victim = (slot + 1) % SPM__SQLITE_UPDATE_SLOTS;
	sqlite3_finalize(k->set[slot]);
	k->set[slot] = NULL;
	k->set_mask[slot] = 0;
	spm__sqlite_buf_init(&buf, s->db);
	buf_set(&buf, k->kind, ncols, mask);
	rc = spm__sqlite_prepare_buf(s, &k->set[slot], &buf, 1, "prepare update", k->kind);
	if (rc == SPM_OK) {
		k->set_mask[slot] = mask;
		*out = k->set[slot];
	}
	return rc;
}

static int bind_set(sqlite3_stmt *st, const spm_record *rec, const spm_kind *kind, size_t ncols,
		    uint64_t mask, const char *custom, size_t custom_len)
{
	int param = 3;
	int rc = sqlite3_bind_int64(st, 1, spm_record_id(rec));

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, spm_record_seq(rec));
	for (size_t i = 0; i < ncols && rc == SQLITE_OK; i++)
		if (mask & (UINT64_C(1) << i))
			rc = spm__sqlite_bind_field(st, &param, rec, kind, i);
	if (rc != SQLITE_OK || !(mask & CUSTOM_BIT))
		return rc;
	if (custom == NULL)
		return sqlite3_bind_null(st, param);
	return sqlite3_bind_text64(st, param, custom, custom_len, SQLITE_STATIC, SQLITE_UTF8);
}

int spm__sqlite_update(void *self, const spm_record *rec, const unsigned char *changed,
		       size_t nchanged)
{
	spm__sqlite *s = self;
	const spm_kind *kind = rec != NULL ? spm_record_kind_of(rec) : NULL;
	spm__sqlite_kind *k;
	sqlite3_stmt *st = NULL;
	char *custom = NULL;
	size_t ncols, custom_len = 0;
	uint64_t mask;
	int rc;

	if (kind == NULL || (changed == NULL && nchanged > 0))
		return spm_storage_error(SPM_EINVAL, "sqlite: update: NULL argument");
	rc = spm__sqlite_kind_cache(&k, s, kind);
	if (rc != SPM_OK)
		return rc;
	if (spm_kind_core_count(kind) > MASK_FIELDS) {
		spm_record *stored = NULL;
		rc = spm__sqlite_get(self, &stored, kind, spm_record_id(rec));
		spm_record_free(stored);
		return rc == SPM_OK ? spm__sqlite_put(self, rec) : rc;
	}
	ncols = spm__sqlite_ncols(s, kind);
	mask = changed_mask(kind, ncols, changed, nchanged);
	if (mask & CUSTOM_BIT)
		rc = spm_record_custom_json(&custom, &custom_len, rec);
	if (rc == SPM_OK)
		rc = set_stmt(&st, s, k, ncols, mask);
	if (rc == SPM_OK)
		rc = bind_set(st, rec, kind, ncols, mask, custom, custom_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (st == NULL) {
		spm_storage_free(s->db, custom);
		return rc;
	}
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(s->conn) > 0 ? SPM_OK
			: spm_storage_error(SPM_ENOTFOUND, "sqlite: update %s %lld: no such record",
					    spm_kind_name(kind), (long long)spm_record_id(rec));
	else
		rc = spm__sqlite_fail(s, rc, "update", spm_kind_name(kind));
	/* Reset and unbind before the borrowed texts go away. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	spm_storage_free(s->db, custom);
	return rc;
}
