/**
 * @file db.h
 * @brief Opening and closing a dataset (spm_db), its options, clock and tick.
 */
#ifndef SPM_DB_H
#define SPM_DB_H

#include "common.h"

SPM_BEGIN_DECLS

struct spm_storage_ops;

/** @brief Returns the current instant; called whenever the library needs "now". */
typedef spm_time (*spm_clock_cb)(void *payload);
/** @brief Allocates size bytes (like malloc); NULL on failure. */
typedef void *(*spm_malloc_fn)(size_t size, void *payload);
/** @brief Resizes ptr (like realloc); NULL on failure, ptr untouched. */
typedef void *(*spm_realloc_fn)(void *ptr, size_t size, void *payload);
/** @brief Releases ptr (like free); ptr may be NULL. */
typedef void (*spm_free_fn)(void *ptr, void *payload);

/**
 * @brief Replaces the storage vtable the handle will use with a wrapper.
 *
 * Called once during spm_db_open() with the backend the library created.
 * Set *ops and *self to the wrapper's; the wrapper owns the inner backend
 * from then on (its free op must free the inner one).
 * @return SPM_OK, or a negative code that makes spm_db_open() fail.
 */
typedef int (*spm_storage_wrap_cb)(const struct spm_storage_ops **ops, void **self,
				   spm_db *db, void *payload);

/** @brief spm_db_options.flags: create the database when it does not exist. */
#define SPM_OPEN_CREATE 0x1u
/** @brief spm_db_options.flags: open read-only; every write fails with SPM_EPERM. */
#define SPM_OPEN_READONLY 0x2u

/**
 * @brief Options of spm_db_open(). Initialise with SPM_DB_OPTIONS_INIT or
 * spm_db_options_init(); the struct only ever grows at the end.
 */
typedef struct spm_db_options {
	uint32_t version;          /**< SPM_DB_OPTIONS_VERSION */
	/* version 1 */
	const char *backend;       /**< "sqlite" (the default when NULL) */
	const char *path;          /**< file path, ":memory:" or a "file:" URI (SQLite) */
	unsigned int flags;        /**< SPM_OPEN_* */
	int busy_timeout_ms;       /**< how long to wait for a lock held by another handle */
	int64_t actor;             /**< the acting user's id; 0 is the system */
	spm_clock_cb clock;        /**< NULL: the system clock */
	void *clock_payload;       /**< passed to clock */
	/* version 2 */
	spm_malloc_fn malloc_fn;   /**< all three allocator hooks, or none */
	spm_realloc_fn realloc_fn; /**< see malloc_fn */
	spm_free_fn free_fn;       /**< see malloc_fn */
	void *alloc_payload;       /**< passed to the allocator hooks */
	const struct spm_storage_ops *storage_ops; /**< a custom backend (sys/storage.h); overrides backend */
	void *storage_self;        /**< the custom backend's instance; the handle owns it from spm_db_open() on, even when that fails */
	spm_storage_wrap_cb storage_wrap; /**< wraps the backend (fault injection, tracing) */
	void *storage_wrap_payload;       /**< passed to storage_wrap */
} spm_db_options;

/** @brief The newest version of spm_db_options this header knows. */
#define SPM_DB_OPTIONS_VERSION 2
/** @brief Static initialiser for spm_db_options. */
#define SPM_DB_OPTIONS_INIT \
	{ SPM_DB_OPTIONS_VERSION, NULL, NULL, SPM_OPEN_CREATE, 5000, 0, NULL, NULL, \
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * @brief Fills opts with the defaults of the given version.
 * @param[out] opts the options to fill
 * @param version SPM_DB_OPTIONS_VERSION (or an older version)
 * @return SPM_OK; SPM_EINVAL when opts is NULL; SPM_EVERSION for an unknown version.
 */
SPM_API int spm_db_options_init(spm_db_options *opts, unsigned int version);

/**
 * @brief Opens (and by default creates) a dataset, upgrading an older schema.
 *
 * An older database file is upgraded in one transaction; a file written by a
 * newer libspm is refused with SPM_EVERSION.
 * @param[out] out the new handle; NULL on failure. Close with spm_db_close().
 * @param opts the options (NULL: defaults with an in-memory database); copied.
 * @return SPM_OK, SPM_EINVAL, SPM_EVERSION, SPM_ENOMEM, SPM_ESTORAGE, SPM_EBUSY.
 */
SPM_API int spm_db_open(spm_db **out, const spm_db_options *opts);

/**
 * @brief Closes the handle. Records and batches made from it must be freed first.
 * @param db the handle, or NULL (no effect)
 */
SPM_API void spm_db_close(spm_db *db);

/**
 * @brief Changes the acting user of later calls (audit entries name this user).
 * @return SPM_OK; SPM_EINVAL for a NULL db or a negative id.
 */
SPM_API int spm_db_set_actor(spm_db *db, int64_t actor);

/**
 * @brief The acting user.
 * @return the user id, 0 for the system (and for a NULL db).
 */
SPM_API int64_t spm_db_actor(const spm_db *db);

/**
 * @brief The handle's notion of now (its clock option, or the system clock).
 * @return seconds since the epoch; 0 for a NULL db.
 */
SPM_API spm_time spm_db_now(spm_db *db);

/**
 * @brief The schema version of the open database.
 * @param[out] out the version
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE.
 */
SPM_API int spm_db_schema_version(int *out, spm_db *db);

/**
 * @brief The schema version this library writes.
 * @return a positive number.
 */
SPM_API int spm_schema_version_supported(void);

/**
 * @brief Runs the time-driven work that is due at now (expiring idempotency
 * keys, and the reminders, reclaims and warnings of the domain layers).
 *
 * Nothing runs behind the host's back: time-driven work happens only here.
 * @param now the instant to run at (explicit, so tests are deterministic)
 * @return SPM_OK, or the first error a job returned (later jobs still ran).
 */
SPM_API int spm_db_tick(spm_db *db, spm_time now);

SPM_END_DECLS

#endif
