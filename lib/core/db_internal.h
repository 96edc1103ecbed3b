/* The handle and the helpers every layer of the library shares. */
#ifndef SPM_CORE_DB_INTERNAL_H
#define SPM_CORE_DB_INTERNAL_H

#include "spm/spm.h"
#include "spm/sys/storage.h"
#include "core/error_internal.h"

#include <stdatomic.h>
#include <stdint.h>

struct spm__listener {
	int id;              /* 0 once removed */
	uint64_t mask;
	spm_event_cb cb;
	void *payload;
};

struct spm_db {
	/* allocator */
	spm_malloc_fn malloc_fn;
	spm_realloc_fn realloc_fn;
	spm_free_fn free_fn;
	void *alloc_payload;
	size_t live_allocs;

	spm_clock_cb clock;
	void *clock_payload;
	int64_t actor;
	unsigned int flags;

	const spm_storage_ops *ops;
	void *store;
	int schema_version;
	int in_txn;
	/* the thread inside a transaction of this handle, 0 if none
	 * (handle_guard.c) */
	_Atomic uintptr_t user;

	/* schema registry (registry.c) */
	spm_kind **kinds;
	size_t nkinds;
	int64_t fields_seen_seq;
	int registry_depth;  /* >0 while spm_field_foreach runs callbacks */

	/* listeners (events/listeners.c) */
	struct spm__listener *listeners;
	size_t nlisteners;
	size_t listeners_cap;
	int next_listener_id;
	int dispatch_depth;

	/* the analytics cache (analytics/cache.h); NULL until the first report */
	struct spm__acache *acache;

	/* open-lead counts of the last assignment run (lib/domain/assign.c);
	 * NULL until one committed */
	struct spm__assign_cache *assign_cache;
};

/* Allocation through the handle's allocator; counted so tests can check that
 * nothing stays live. spm__free accepts NULL. */
void *spm__malloc(spm_db *db, size_t size);
void *spm__calloc(spm_db *db, size_t n, size_t size);
void *spm__realloc(spm_db *db, void *ptr, size_t size);
void spm__free(spm_db *db, void *ptr);
char *spm__strdup(spm_db *db, const char *s);
char *spm__strndup(spm_db *db, const char *s, size_t len);
/* Number of live allocations made through db (test hook). */
size_t spm__alloc_live(const spm_db *db);

/* Fails with SPM_EPERM on a read-only handle, SPM_EBUSY inside a callback
 * that may not write. */
int spm__db_check_writable(spm_db *db);

/* Takes the handle for the calling thread (SPM_EBUSY when another thread
 * holds it) and gives it back; see handle_guard.c. */
int spm__handle_enter(spm_db *db);
void spm__handle_leave(spm_db *db);

/* Opens a new database at an older schema version (test hook for fixtures). */
int spm__db_open_at_version(spm_db **out, const spm_db_options *opts, int version);

#endif
