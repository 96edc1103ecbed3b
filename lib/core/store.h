/* Storage calls that newer spm_storage_ops versions made cheaper, with the
 * way an older backend does the same (sys/storage.h: methods appended later
 * are guarded by the table's version). */
#ifndef SPM_CORE_STORE_H
#define SPM_CORE_STORE_H

#include "core/record_internal.h"

/* The live records a scan with these conditions would return (version 2:
 * the backend's count; before: a scan that counts). */
int spm__store_count(spm_db *db, int64_t *out, const spm_kind *kind, const spm_scan *scan);
/* Stores a record with a new id (version 2: insert; before: put). */
int spm__store_insert(spm_db *db, const spm_record *rec);
/* Writes the values of rec that differ from before, the stored version
 * (version 2: update of those fields; before: put of the whole record). */
int spm__store_update(spm_db *db, const spm_record *rec, const spm_record *before);
/* Stores the whole record (insert or replace). */
int spm__store_put(spm_db *db, const spm_record *rec);
/* Leaves a tombstone of record id with change sequence seq. */
int spm__store_remove(spm_db *db, const spm_kind *kind, int64_t id, int64_t seq);

/* Every record write of the library goes through these four, so that the
 * analytics cache sees each one the open transaction makes
 * (spm__acache_note, lib/analytics/cache_wlog.c). */

#endif
