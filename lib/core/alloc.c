/* The per-handle allocator. Every allocation of the library goes through the
 * handle's hooks (or the C library when none are set) and is counted, so that
 * leak checks do not depend on the test runner. */
#include "core/db_internal.h"

#include <stdlib.h>
#include <string.h>

void *spm__malloc(spm_db *db, size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = db->malloc_fn ? db->malloc_fn(size, db->alloc_payload) : malloc(size);
	if (p)
		db->live_allocs++;
	return p;
}

void *spm__calloc(spm_db *db, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = spm__malloc(db, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *spm__realloc(spm_db *db, void *ptr, size_t size)
{
	void *p;

	if (ptr == NULL)
		return spm__malloc(db, size);
	if (size == 0)
		size = 1;
	p = db->realloc_fn ? db->realloc_fn(ptr, size, db->alloc_payload) : realloc(ptr, size);
	return p;
}

void spm__free(spm_db *db, void *ptr)
{
	if (ptr == NULL)
		return;
	db->live_allocs--;
	if (db->free_fn)
		db->free_fn(ptr, db->alloc_payload);
	else
		free(ptr);
}

char *spm__strndup(spm_db *db, const char *s, size_t len)
{
	char *p = spm__malloc(db, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *spm__strdup(spm_db *db, const char *s)
{
	return spm__strndup(db, s, strlen(s));
}

size_t spm__alloc_live(const spm_db *db)
{
	return db->live_allocs;
}

void *spm_storage_malloc(spm_db *db, size_t size)
{
	return db ? spm__malloc(db, size) : NULL;
}

void spm_storage_free(spm_db *db, void *ptr)
{
	if (db)
		spm__free(db, ptr);
}
