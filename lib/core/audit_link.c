/* Linking each new audit row to the newest stored one (the hash chain,
 * lib/core/audit_hash.c). The newest row is read once per write
 * transaction, by the primary key (id order, descending, one row): another
 * handle or process may have written since this one last did, and inside
 * the write lock nobody else can. Later rows of the transaction follow the
 * hash kept in the transaction. */
#include "core/audit_link.h"
#include "core/kinds.h"
#include "core/store.h"

#include <string.h>

struct newest {
	int64_t id;
	unsigned char hash[SPM__SHA256_SIZE];
	int hashed;
};

static int take_newest(spm_record *rec, void *payload)
{
	struct newest *n = payload;

	n->id = rec->id;
	n->hashed = spm__audit_stored_hash(n->hash, rec);
	spm_record_free(rec);
	return 0;
}

int spm__audit_newest(int64_t *id, unsigned char hash[SPM__SHA256_SIZE], int *hashed,
		      spm_db *db)
{
	static const size_t fields[] = { SPM__AUDIT_HASH };
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 1, SPM_SCAN_DESC | SPM_SCAN_DELETED,
			  fields, 1 };
	struct newest n = { 0, { 0 }, 0 };
	int rc = db->ops->scan(db->store, spm__kind_find(db, SPM__KIND_AUDIT, 1), &scan,
			       take_newest, &n);

	if (rc != SPM_OK)
		return rc;
	*id = n.id;
	*hashed = n.hashed;
	memcpy(hash, n.hash, SPM__SHA256_SIZE);
	return SPM_OK;
}

int spm__audit_link(struct spm__txn *t, spm_record *rec, unsigned char out[SPM__SHA256_SIZE])
{
	char hex[SPM__AUDIT_HEX_LEN + 1];
	int hashed, rc;

	if (t->db->schema_version < SPM__AUDIT_CHAIN_SINCE)
		return SPM_OK;
	if (!t->chain_loaded) {
		rc = spm__audit_newest(&t->chain_id, t->chain_hash, &hashed, t->db);
		if (rc != SPM_OK)
			return rc;
		/* A damaged newest hash does not stop writes: the chain goes on
		 * from zeros and spm_audit_verify() names the damaged row. */
		if (!hashed)
			memset(t->chain_hash, 0, SPM__SHA256_SIZE);
		t->chain_loaded = 1;
	}
	if (rec->id <= t->chain_id)
		return spm__error_set(SPM_ECORRUPT, "audit entry %lld is not after the newest "
				      "stored entry %lld", (long long)rec->id,
				      (long long)t->chain_id);
	spm__audit_hash(out, t->chain_hash, rec);
	spm__audit_hex(hex, out);
	return spm__record_put_text(rec, SPM__AUDIT_HASH, hex, SPM__AUDIT_HEX_LEN);
}

void spm__audit_linked(struct spm__txn *t, const spm_record *rec,
		       const unsigned char hash[SPM__SHA256_SIZE])
{
	if (t->db->schema_version < SPM__AUDIT_CHAIN_SINCE)
		return;
	t->chain_id = rec->id;
	memcpy(t->chain_hash, hash, SPM__SHA256_SIZE);
}
