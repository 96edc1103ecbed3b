/* The canonical encoding of an audit row, hashed with the previous row's
 * hash. Integers are 8 bytes big-endian, texts are length-prefixed, and every
 * field has a tag, so no two different rows encode alike. */
#include "core/audit_hash.h"
#include "core/kinds.h"
#include "core/record_internal.h"

#include <string.h>

enum { TAG_NULL = 0, TAG_INT = 1, TAG_TEXT = 2 };

static void put_u64(struct spm__sha256 *c, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (56 - 8 * i));
	spm__sha256_update(c, b, sizeof(b));
}

static void put_tag(struct spm__sha256 *c, unsigned char tag)
{
	spm__sha256_update(c, &tag, 1);
}

/* The fields hashed, in this order: every _audit field but the hash. */
static const size_t hashed[] = {
	SPM__AUDIT_SEQ, SPM__AUDIT_AT, SPM__AUDIT_ACTOR, SPM__AUDIT_OP, SPM__AUDIT_KIND,
	SPM__AUDIT_ENTITY, SPM__AUDIT_FIELD, SPM__AUDIT_OLD, SPM__AUDIT_NEW, SPM__AUDIT_CHANGES,
};

void spm__audit_hash(unsigned char out[SPM__SHA256_SIZE],
		     const unsigned char prev[SPM__SHA256_SIZE], const spm_record *rec)
{
	struct spm__sha256 c;

	spm__sha256_init(&c);
	spm__sha256_update(&c, prev, SPM__SHA256_SIZE);
	put_u64(&c, (uint64_t)rec->id);
	put_u64(&c, (uint64_t)rec->seq);
	put_tag(&c, rec->deleted ? 1 : 0);
	for (size_t k = 0; k < sizeof(hashed) / sizeof(hashed[0]); k++) {
		size_t i = hashed[k], len = 0;
		const char *s;

		if (spm_record_value_null(rec, i)) {
			put_tag(&c, TAG_NULL);
		} else if (rec->kind->fields[i].type == SPM_FIELD_TEXT) {
			s = spm_record_value_text(rec, i, &len);
			put_tag(&c, TAG_TEXT);
			put_u64(&c, (uint64_t)len);
			spm__sha256_update(&c, s, len);
		} else {
			put_tag(&c, TAG_INT);
			put_u64(&c, (uint64_t)spm_record_value_int(rec, i));
		}
	}
	spm__sha256_final(&c, out);
}

void spm__audit_hex(char out[SPM__AUDIT_HEX_LEN + 1], const unsigned char h[SPM__SHA256_SIZE])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < SPM__SHA256_SIZE; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[SPM__AUDIT_HEX_LEN] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int spm__audit_unhex(unsigned char out[SPM__SHA256_SIZE], const char *text, size_t len)
{
	if (text == NULL || len != SPM__AUDIT_HEX_LEN)
		return 0;
	for (size_t i = 0; i < SPM__SHA256_SIZE; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

int spm__audit_stored_hash(unsigned char out[SPM__SHA256_SIZE], const spm_record *rec)
{
	size_t len = 0;
	const char *text;

	if (rec->nvalues <= SPM__AUDIT_HASH)
		return 0;
	text = spm_record_value_text(rec, SPM__AUDIT_HASH, &len);
	return spm__audit_unhex(out, text, len);
}
