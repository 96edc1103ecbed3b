/* Writing the audit chain: each new row carries the hash that links it to
 * the newest stored row (lib/core/audit_hash.h). */
#ifndef SPM_CORE_AUDIT_LINK_H
#define SPM_CORE_AUDIT_LINK_H

#include "core/audit_hash.h"
#include "core/txn.h"

/* The newest stored audit row (deleted or not): its id (0 when there is
 * none) and its stored hash (*hashed 0 when it has none or a malformed one).
 * Inside a transaction of the caller's. */
int spm__audit_newest(int64_t *id, unsigned char hash[SPM__SHA256_SIZE], int *hashed,
		      spm_db *db);
/* Sets the hash of rec (id and change sequence set) from the newest row,
 * into rec and out; nothing before schema version 7. */
int spm__audit_link(struct spm__txn *t, spm_record *rec, unsigned char out[SPM__SHA256_SIZE]);
/* After rec was stored: it is the newest row now. */
void spm__audit_linked(struct spm__txn *t, const spm_record *rec,
		       const unsigned char hash[SPM__SHA256_SIZE]);

#endif
