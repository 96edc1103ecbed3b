/* Constructors of the built-in storage backends, called by the core when it
 * opens a handle. Nothing here is exported. */
#ifndef SPM_STORAGE_INTERNAL_H
#define SPM_STORAGE_INTERNAL_H

#include "spm/db.h"
#include "spm/sys/storage.h"

/*
 * Opens the SQLite backend on path (a file, ":memory:" or a "file:" URI such
 * as "file:x.db?vfs=NAME"; NULL means ":memory:").
 * flags: SPM_OPEN_CREATE, SPM_OPEN_READONLY. busy_timeout_ms: how long to
 * wait for a lock held by another connection (negative is 0). create_version:
 * the schema version the caller will upgrade a new database to; a new
 * database of the build's schema version is made from the schema image
 * (sqlite/sqlite_image.h), 0 always takes the DDL path.
 * On success *ops and *self describe the backend, released by ops->free(self);
 * on failure both are NULL and the code comes from spm_storage_error().
 * Returns SPM_OK, SPM_EINVAL, SPM_ENOMEM, SPM_EBUSY, SPM_EPERM, SPM_ESTORAGE.
 */
int spm__storage_sqlite_new(const spm_storage_ops **ops, void **self, spm_db *db,
			    const char *path, unsigned int flags, int busy_timeout_ms,
			    int create_version);

#endif
