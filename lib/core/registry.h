/* The per-handle schema registry: the static kinds plus the custom fields
 * stored in the "_field" kind. Field indexes never change while the handle is
 * open: a dropped custom field stays in the array, marked dropped, so that
 * records made before the drop keep their layout. */
#ifndef SPM_CORE_REGISTRY_H
#define SPM_CORE_REGISTRY_H

#include "core/db_internal.h"

struct spm__field {
	const char *name;      /* static for core fields, owned for custom ones */
	spm_field_type type;
	unsigned int flags;
	int since;
	size_t max_length;
	char **choices;        /* owned (custom enum fields) */
	size_t nchoices;
	char *label;           /* owned, or NULL */
	int64_t def_id;        /* the "_field" record of a custom field */
	int dropped;
};

struct spm_kind {
	const struct spm__kind_def *def;  /* the static definition and its hooks */
	const char *name;
	int since;
	unsigned int flags;
	size_t ncore;
	struct spm__field *fields;
	size_t nfields;
	size_t cap;
};

int spm__registry_init(spm_db *db);
void spm__registry_free(spm_db *db);
/* Loads custom fields defined or dropped since the last look (by this or
 * another handle). Call inside a transaction, or outside one to open a read. */
int spm__registry_refresh(spm_db *db);

/* Finds a kind; system kinds only when with_system. NULL when absent. */
spm_kind *spm__kind_find(spm_db *db, const char *name, int with_system);
/* Finds a kind for a public call: SPM_ENOTFOUND with a message when absent. */
int spm__kind_lookup(spm_kind **out, spm_db *db, const char *name);
/* Index of a live field by name, or -1. */
long spm__field_index(const spm_kind *kind, const char *name);
/* As spm__field_index, refreshing the registry once on a miss; SPM_ENOTFOUND. */
int spm__field_lookup(size_t *out, spm_db *db, spm_kind *kind, const char *name);
/* Index of a core field by name, or -1. */
long spm__core_index(const spm_kind *kind, const char *name);

#endif
