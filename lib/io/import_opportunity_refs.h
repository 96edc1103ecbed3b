/* External id tables of spm_opp_import() (import_opportunity_refs.c). */
#ifndef SPM_IO_IMPORT_OPPORTUNITY_REFS_H
#define SPM_IO_IMPORT_OPPORTUNITY_REFS_H

#include "core/db_internal.h"

struct spm__opp_key {
	char *key;
	int64_t id;
};

typedef struct spm__opp_keys {
	spm_db *db;
	struct spm__opp_key *items;
	size_t n;
	size_t cap;
} spm__opp_keys;

/* *out = 1 when the kind has the field (core or custom). */
int spm__opp_field_exists(int *out, spm_db *db, const char *kind, const char *field);
/* Every record of kind with a value in field; empty when the field does not exist. */
int spm__opp_keys_load(spm__opp_keys *keys, spm_db *db, const char *kind, const char *field);
/* The id of the first record whose key is key (0: none); *nmatches how many match. */
int64_t spm__opp_keys_find(const spm__opp_keys *keys, const char *key, size_t *nmatches);
void spm__opp_keys_clear(spm__opp_keys *keys);

#endif
