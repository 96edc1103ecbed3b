/* Storage calls with the fallback for backends of spm_storage_ops version 1
 * (see store.h). */
#include "core/store.h"
#include "core/txn.h"
#include "core/db_internal.h"
#include "analytics/cache.h"

static int has_v2(const spm_db *db)
{
	return db->ops->version >= 2;
}

static int count_one(spm_record *rec, void *payload)
{
	(*(int64_t *)payload)++;
	spm_record_free(rec);
	return 0;
}

int spm__store_count(spm_db *db, int64_t *out, const spm_kind *kind, const spm_scan *scan)
{
	int opened = !db->in_txn;
	int rc;

	*out = 0;
	rc = spm__read_begin(db);
	if (rc != SPM_OK)
		return rc;
	if (has_v2(db) && db->ops->count) {
		rc = db->ops->count(db->store, out, kind, scan);
	} else {
		spm_scan all = *scan;  /* in id order, no limit: what count means */
		all.limit = 0;
		all.flags &= ~(unsigned int)(SPM_SCAN_BY_SEQ | SPM_SCAN_DESC);
		rc = db->ops->scan(db->store, kind, &all, count_one, out);
	}
	if (rc != SPM_OK)
		*out = 0;
	if (opened)
		spm__read_end(db);
	return rc;
}

int spm__store_insert(spm_db *db, const spm_record *rec)
{
	int rc;

	if (has_v2(db) && db->ops->insert)
		rc = db->ops->insert(db->store, rec);
	else
		rc = db->ops->put(db->store, rec);
	if (rc == SPM_OK)
		spm__acache_note(db, rec);
	return rc;
}

int spm__store_put(spm_db *db, const spm_record *rec)
{
	int rc = db->ops->put(db->store, rec);

	if (rc == SPM_OK)
		spm__acache_note(db, rec);
	return rc;
}

int spm__store_remove(spm_db *db, const spm_kind *kind, int64_t id, int64_t seq)
{
	int rc = db->ops->remove(db->store, kind, id, seq);

	if (rc == SPM_OK)
		spm__acache_note_removed(db, kind, id, seq);
	return rc;
}

/* Fields past a record's values (added after it was read) have no value. */
static int differs(const spm_record *a, const spm_record *b, size_t i)
{
	static const struct spm__value none;
	const struct spm__value *x = i < a->nvalues ? &a->v[i] : &none;
	const struct spm__value *y = i < b->nvalues ? &b->v[i] : &none;

	return !spm__value_equal(x, y);
}

int spm__store_update(spm_db *db, const spm_record *rec, const spm_record *before)
{
	size_t n = rec->nvalues > before->nvalues ? rec->nvalues : before->nvalues;
	unsigned char small[64] = { 0 }, *changed = small;
	int rc;

	if (!has_v2(db) || db->ops->update == NULL)
		return spm__store_put(db, rec);
	if (n > sizeof(small)) {
		changed = spm__malloc(db, n);
		if (changed == NULL)
			return spm__error_oom();
	}
	for (size_t i = 0; i < n; i++)
		changed[i] = (unsigned char)differs(rec, before, i);
	rc = db->ops->update(db->store, rec, changed, n);
	if (changed != small)
		spm__free(db, changed);
	if (rc == SPM_OK)
		spm__acache_note(db, rec);
	return rc;
}
