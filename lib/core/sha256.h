/* SHA-256 (FIPS 180-4), for the audit chain: small, no dependency. */
#ifndef SPM_CORE_SHA256_H
#define SPM_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SPM__SHA256_SIZE 32

struct spm__sha256 {
	uint32_t h[8];
	uint64_t bytes;          /* message length so far */
	unsigned char block[64];
	size_t used;             /* bytes waiting in block */
};

void spm__sha256_init(struct spm__sha256 *c);
void spm__sha256_update(struct spm__sha256 *c, const void *data, size_t len);
void spm__sha256_final(struct spm__sha256 *c, unsigned char out[SPM__SHA256_SIZE]);
/* One message at once. */
void spm__sha256(unsigned char out[SPM__SHA256_SIZE], const void *data, size_t len);

#endif
