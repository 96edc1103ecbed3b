/**
 * @file audit.h
 * @brief The audit trail: one entry per changed field, written in the same
 * transaction as the change.
 */
#ifndef SPM_AUDIT_H
#define SPM_AUDIT_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief What an audit entry records. */
typedef enum spm_audit_op {
	SPM_AUDIT_CREATE = 1, /**< a field set on a new record */
	SPM_AUDIT_UPDATE = 2, /**< a field changed */
	SPM_AUDIT_DELETE = 3, /**< a record deleted (field NULL) */
	SPM_AUDIT_SCHEMA = 4  /**< a custom field added or dropped (entity_id 0) */
} spm_audit_op;

/** @brief One audit entry; pointers are borrowed, valid only during the callback. */
typedef struct spm_audit_entry {
	uint32_t version;       /**< SPM_AUDIT_ENTRY_VERSION */
	int64_t id;             /**< increasing entry number */
	int64_t change_seq;     /**< the change sequence of the write */
	spm_time at;            /**< when (the handle's clock) */
	int64_t actor;          /**< who */
	int op;                 /**< spm_audit_op */
	const char *kind;       /**< the entity kind */
	int64_t entity_id;      /**< the record, or 0 */
	const char *field;      /**< the field, or NULL */
	const char *old_value;  /**< as text (see spm_record_get_as_text()), or NULL */
	const char *new_value;  /**< as text, or NULL */
} spm_audit_entry;

/** @brief The version of spm_audit_entry this header describes. */
#define SPM_AUDIT_ENTRY_VERSION 1

/** @brief Receives an audit entry; non-zero stops and is returned. */
typedef int (*spm_audit_cb)(const spm_audit_entry *entry, void *payload);

/**
 * @brief Calls cb for the audit entries of one record (kind and entity_id),
 * of one kind (entity_id 0), or all (kind NULL), oldest first.
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such kind), SPM_ESTORAGE,
 *         SPM_ECORRUPT (a stored entry is damaged), SPM_ENOMEM, or cb's
 *         non-zero value.
 */
SPM_API int spm_audit_foreach(spm_db *db, const char *kind, int64_t entity_id,
			      spm_audit_cb cb, void *payload);

SPM_END_DECLS

#endif
