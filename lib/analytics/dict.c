/* Dictionary encoding of text dimensions: each distinct value gets a small
 * code, so the columns hold 2- or 4-byte codes instead of strings. */
#include "analytics/cache.h"

#include <string.h>

static uint32_t hash_text(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

uint32_t spm__dict_find(const struct spm__dict *d, const char *s)
{
	uint32_t mask, i;

	if (d->nslots == 0 || s == NULL)
		return 0;
	mask = d->nslots - 1;
	for (i = hash_text(s) & mask; d->slots[i]; i = (i + 1) & mask)
		if (strcmp(d->s[d->slots[i]], s) == 0)
			return d->slots[i];
	return 0;
}

static int rehash(spm_db *db, struct spm__dict *d, uint32_t nslots)
{
	uint32_t *slots = spm__calloc(db, nslots, sizeof(*slots));

	if (slots == NULL)
		return spm__error_oom();
	for (uint32_t c = 1; c < d->n; c++) {
		uint32_t i = hash_text(d->s[c]) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = c;
	}
	spm__free(db, d->slots);
	d->slots = slots;
	d->nslots = nslots;
	return SPM_OK;
}

/* The code of s, adding it when new; max is the largest code the column can
 * hold (65535 for 2-byte columns). */
int spm__dict_code(uint32_t *out, spm_db *db, struct spm__dict *d, const char *s, uint32_t max)
{
	uint32_t code = spm__dict_find(d, s);
	int rc;

	if (s == NULL) {
		*out = 0;
		return SPM_OK;
	}
	if (code) {
		*out = code;
		return SPM_OK;
	}
	if (d->n == 0)
		d->n = 1;
	if (d->n > max)
		return spm__error_set(SPM_ELIMIT, "more than %u distinct values of one dimension",
				      (unsigned)max);
	if (d->n >= d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		char **p = spm__realloc(db, d->s, cap * sizeof(*p));
		if (p == NULL)
			return spm__error_oom();
		d->s = p;
		d->cap = cap;
	}
	if ((d->n + 1) * 2 > d->nslots && (rc = rehash(db, d, d->nslots ? d->nslots * 2 : 32)))
		return rc;
	d->s[d->n] = spm__strdup(db, s);
	if (d->s[d->n] == NULL)
		return spm__error_oom();
	code = d->n++;
	{
		uint32_t mask = d->nslots - 1, i = hash_text(s) & mask;
		while (d->slots[i])
			i = (i + 1) & mask;
		d->slots[i] = code;
	}
	*out = code;
	return SPM_OK;
}

void spm__dict_free(spm_db *db, struct spm__dict *d)
{
	for (uint32_t c = 1; c < d->n; c++)
		spm__free(db, d->s[c]);
	spm__free(db, d->s);
	spm__free(db, d->slots);
	memset(d, 0, sizeof(*d));
}

size_t spm__dict_bytes(const struct spm__dict *d)
{
	size_t n = d->cap * sizeof(char *) + d->nslots * sizeof(uint32_t);

	for (uint32_t c = 1; c < d->n; c++)
		n += strlen(d->s[c]) + 1;
	return n;
}
