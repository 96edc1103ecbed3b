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

/**
 * @brief The head of the audit log's hash chain: the newest stored audit row
 * and its hash (see docs/audit.md for the encoding).
 *
 * Whoever holds the database file can recompute a whole chain after
 * rewriting it; a head kept outside the database (an anchor) defeats that:
 * spm_audit_verify() checks that the stored chain still holds it.
 */
typedef struct spm_audit_anchor {
	uint32_t version;        /**< SPM_AUDIT_ANCHOR_VERSION */
	int64_t id;              /**< the newest row's id (its first entry id); 0: an empty log */
	unsigned char hash[32];  /**< its SHA-256 chain hash; 32 zero bytes for an empty log */
} spm_audit_anchor;

/** @brief The version of spm_audit_anchor this header describes. */
#define SPM_AUDIT_ANCHOR_VERSION 1
/** @brief An anchor of this version for an empty log; set id and hash to
 * rebuild one kept elsewhere. */
#define SPM_AUDIT_ANCHOR_INIT { SPM_AUDIT_ANCHOR_VERSION, 0, { 0 } }

/**
 * @brief Reads the head of the audit chain, to keep outside the database.
 *
 * Only a handle whose actor may see everything (no actor, or scope all) may
 * read it, as for spm_outbox_foreach().
 * @param[out] out the newest row's id and stored hash; id 0 and a zero hash
 *             when the log is empty. Its version is set to
 *             SPM_AUDIT_ANCHOR_VERSION.
 * @param db the handle
 * @return SPM_OK, SPM_EINVAL (NULL argument), SPM_EPERM (the actor lacks
 *         scope all), SPM_ECORRUPT (the newest row has no valid hash),
 *         SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_audit_head(spm_audit_anchor *out, spm_db *db);

/**
 * @brief Recomputes the audit log's hash chain from its first row.
 *
 * Reads the log in pages (never all of it at once). An edited, inserted,
 * removed or renumbered row makes the first row whose stored hash differs
 * from the recomputed one fail, with the message "audit entry N: hash does
 * not match". Removing rows at the end leaves a valid, shorter chain: only
 * an anchor shows that. With an anchor, the chain must also hold a row with
 * the anchor's id and hash ("audit entry N (the anchor) is missing" or
 * "audit entry N does not match the anchor" otherwise). Only a handle whose
 * actor may see everything may verify.
 * @param db the handle
 * @param anchor NULL, or a head read earlier with spm_audit_head() (borrowed
 *        for the call)
 * @return SPM_OK, SPM_ECORRUPT (tampering found; the message names the
 *         entry), SPM_EINVAL (NULL db, an anchor with a negative id, or id 0
 *         with a non-zero hash), SPM_EVERSION (unknown anchor version),
 *         SPM_EPERM (the actor lacks scope all), SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_audit_verify(spm_db *db, const spm_audit_anchor *anchor);

SPM_END_DECLS

#endif
