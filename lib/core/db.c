/* Opening and closing a handle: options by version, the backend, the schema
 * upgrade, the registry. */
#include "core/db_internal.h"
#include "core/kinds.h"
#include "core/registry.h"
#include "core/tick.h"
#include "events/events_internal.h"
#include "analytics/cache.h"
#include "domain/lead.h"
#include "storage/storage_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Size of spm_db_options as each version defined it. */
static size_t options_size(uint32_t version)
{
	switch (version) {
	case 1: return offsetof(spm_db_options, malloc_fn);
	case 2: return sizeof(spm_db_options);
	default: return 0;
	}
}

int spm_db_options_init(spm_db_options *opts, unsigned int version)
{
	static const spm_db_options defaults = SPM_DB_OPTIONS_INIT;
	size_t size = options_size(version);

	SPM__CHECK_ARG(opts);
	if (size == 0)
		return spm__error_set(SPM_EVERSION, "unknown spm_db_options version %u", version);
	memcpy(opts, &defaults, size);
	opts->version = version;
	return SPM_OK;
}

/* Copies what the caller's version of the options has; the rest keeps its
 * defaults. */
static int read_options(spm_db_options *o, const spm_db_options *user)
{
	static const spm_db_options defaults = SPM_DB_OPTIONS_INIT;
	size_t size;

	*o = defaults;
	o->path = ":memory:";
	if (user == NULL)
		return SPM_OK;
	size = options_size(user->version);
	if (size == 0)
		return spm__error_set(SPM_EVERSION, "spm_db_options version %u is not known to "
				      "this library (newest %d)", (unsigned)user->version,
				      SPM_DB_OPTIONS_VERSION);
	memcpy(o, user, size);
	if (o->path == NULL)
		o->path = ":memory:";
	if (o->busy_timeout_ms < 0 || o->actor < 0)
		return spm__error_set(SPM_EINVAL, "busy_timeout_ms and actor are not negative");
	if (o->flags & ~(SPM_OPEN_CREATE | SPM_OPEN_READONLY))
		return spm__error_set(SPM_EINVAL, "unknown open flags 0x%x", o->flags);
	if (!!o->malloc_fn != !!o->free_fn || !!o->malloc_fn != !!o->realloc_fn)
		return spm__error_set(SPM_EINVAL, "set all three allocator hooks or none");
	if (o->storage_ops && (o->storage_ops->version < 1 ||
			       o->storage_ops->version > SPM_STORAGE_OPS_VERSION))
		return spm__error_set(SPM_EVERSION, "unknown spm_storage_ops version %u",
				      (unsigned)o->storage_ops->version);
	return SPM_OK;
}

static int open_backend(spm_db *db, const spm_db_options *o, int version)
{
	int rc;

	if (o->storage_ops) {
		db->ops = o->storage_ops;
		db->store = o->storage_self;
	} else if (o->backend == NULL || strcmp(o->backend, "sqlite") == 0) {
		rc = spm__storage_sqlite_new(&db->ops, &db->store, db, o->path, o->flags,
					     o->busy_timeout_ms, version);
		if (rc != SPM_OK)
			return rc;
	} else {
		return spm__error_set(SPM_EINVAL, "unknown backend '%s' (built in: sqlite)",
				      o->backend);
	}
	if (o->storage_wrap) {
		const spm_storage_ops *ops = db->ops;
		void *self = db->store;

		rc = o->storage_wrap(&ops, &self, db, o->storage_wrap_payload);
		if (rc != SPM_OK)
			return rc;
		db->ops = ops;
		db->store = self;
	}
	return SPM_OK;
}

static int upgrade(spm_db *db, int target)
{
	int stored;
	int rc = db->ops->schema_version(db->store, &stored);

	if (rc != SPM_OK)
		return rc;
	if (stored > target)
		return spm__error_set(SPM_EVERSION, "the database has schema version %d; this "
				      "libspm (%s) knows up to %d: use a newer libspm", stored,
				      SPM_VERSION_STRING, target);
	if (stored < target) {
		if (db->flags & SPM_OPEN_READONLY)
			return spm__error_set(SPM_EPERM, "the database has schema version %d and "
					      "needs an upgrade to %d, but is open read-only",
					      stored, target);
		rc = db->ops->upgrade(db->store, stored, target);
		if (rc != SPM_OK)
			return rc;
		rc = db->ops->schema_version(db->store, &stored);
		if (rc != SPM_OK)
			return rc;
	}
	db->schema_version = stored;
	return SPM_OK;
}

int spm__db_open_at_version(spm_db **out, const spm_db_options *opts, int version)
{
	spm_db_options o;
	spm_db *db;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	rc = read_options(&o, opts);
	if (rc != SPM_OK)
		return rc;
	db = o.malloc_fn ? o.malloc_fn(sizeof(*db), o.alloc_payload) : malloc(sizeof(*db));
	if (db == NULL)
		return spm__error_oom();
	memset(db, 0, sizeof(*db));
	db->malloc_fn = o.malloc_fn;
	db->realloc_fn = o.realloc_fn;
	db->free_fn = o.free_fn;
	db->alloc_payload = o.alloc_payload;
	db->live_allocs = 1;
	db->clock = o.clock;
	db->clock_payload = o.clock_payload;
	db->actor = o.actor;
	db->flags = o.flags;
	rc = spm__registry_init(db);
	if (rc == SPM_OK)
		rc = open_backend(db, &o, version);
	if (rc == SPM_OK)
		rc = upgrade(db, version);
	if (rc == SPM_OK)
		rc = spm__registry_refresh(db);
	if (rc != SPM_OK) {
		int code = spm_error_code();
		char msg[512];

		/* closing may overwrite the message; keep the first error's */
		strncpy(msg, spm_error_message(), sizeof(msg) - 1);
		msg[sizeof(msg) - 1] = '\0';
		spm_db_close(db);
		spm__error_set(code ? code : rc, "%s", msg);
		return rc;
	}
	*out = db;
	return SPM_OK;
}

int spm_db_open(spm_db **out, const spm_db_options *opts)
{
	return spm__db_open_at_version(out, opts, SPM__SCHEMA_VERSION);
}

void spm_db_close(spm_db *db)
{
	spm_free_fn free_fn;
	void *payload;

	if (db == NULL)
		return;
	if (db->ops) {
		if (db->in_txn)
			db->ops->rollback(db->store);
		db->ops->free(db->store);
	}
	spm__listeners_free(db);
	spm__acache_free(db);
	spm__assign_cache_free(db);
	spm__registry_free(db);
	free_fn = db->free_fn;
	payload = db->alloc_payload;
	if (free_fn)
		free_fn(db, payload);
	else
		free(db);
}

int spm_db_set_actor(spm_db *db, int64_t actor)
{
	SPM__CHECK_ARG(db);
	if (actor < 0)
		return spm__error_set(SPM_EINVAL, "an actor id is not negative");
	db->actor = actor;
	return SPM_OK;
}

int64_t spm_db_actor(const spm_db *db)
{
	return db ? db->actor : 0;
}

spm_time spm_db_now(spm_db *db)
{
	if (db == NULL)
		return 0;
	if (db->clock)
		return db->clock(db->clock_payload);
	return (spm_time)time(NULL);
}

int spm_db_schema_version(int *out, spm_db *db)
{
	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(db);
	*out = db->schema_version;
	return SPM_OK;
}

int spm_schema_version_supported(void)
{
	return SPM__SCHEMA_VERSION;
}

int spm__db_check_writable(spm_db *db)
{
	if (db->flags & SPM_OPEN_READONLY)
		return spm__error_set(SPM_EPERM, "the database is open read-only");
	if (db->registry_depth > 0)
		return spm__error_set(SPM_EBUSY, "no writes inside spm_field_foreach");
	return SPM_OK;
}

int spm_db_tick(spm_db *db, spm_time now)
{
	SPM__CHECK_ARG(db);
	return spm__tick_run(db, now);
}

int spm_version(int *major, int *minor, int *patch)
{
	if (major)
		*major = SPM_VERSION_MAJOR;
	if (minor)
		*minor = SPM_VERSION_MINOR;
	if (patch)
		*patch = SPM_VERSION_PATCH;
	return SPM_VERSION_NUMBER;
}

const char *spm_version_string(void)
{
	return SPM_VERSION_STRING;
}
