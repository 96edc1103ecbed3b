/* The hash chain of the audit log (schema version 7; docs/audit.md has the
 * encoding): each stored row's hash covers its columns and the hash of the
 * row before it, so an edited, inserted or removed row breaks the chain. */
#ifndef SPM_CORE_AUDIT_HASH_H
#define SPM_CORE_AUDIT_HASH_H

#include "core/sha256.h"
#include "spm/record.h"

/* The schema version whose audit rows carry a hash. */
#define SPM__AUDIT_CHAIN_SINCE 7
/* A stored hash: 64 lower-case hex digits. */
#define SPM__AUDIT_HEX_LEN 64

/* The hash of audit row rec (an _audit record with its id and change
 * sequence) after the row whose hash is prev (32 zero bytes for the first). */
void spm__audit_hash(unsigned char out[SPM__SHA256_SIZE],
		     const unsigned char prev[SPM__SHA256_SIZE], const spm_record *rec);
/* Lower-case hex; out has room for 64 digits and a NUL. */
void spm__audit_hex(char out[SPM__AUDIT_HEX_LEN + 1], const unsigned char h[SPM__SHA256_SIZE]);
/* Reads 64 hex digits (either case); 0 when text is not that. */
int spm__audit_unhex(unsigned char out[SPM__SHA256_SIZE], const char *text, size_t len);
/* The stored hash of rec as bytes; 0 when it has none or a malformed one. */
int spm__audit_stored_hash(unsigned char out[SPM__SHA256_SIZE], const spm_record *rec);

#endif
