/**
 * @file sys/storage.h
 * @brief For backend writers: the storage vtable, kind introspection, and
 * building and reading records field by field.
 *
 * A backend is a const table of operations (spm_storage_ops) plus its own
 * instance pointer. It speaks records and transactions, never SQL to the
 * core. Operations return SPM_OK or a negative status and report details with
 * spm_storage_error(). Methods added later are appended and guarded by the
 * table's version.
 *
 * Records a backend hands over (get, scan) are made with spm_record_alloc()
 * and are freed by the core; memory a backend keeps comes from
 * spm_storage_malloc() so that the handle's allocator sees it.
 */
#ifndef SPM_SYS_STORAGE_H
#define SPM_SYS_STORAGE_H

#include "../common.h"
#include "../schema.h"
#include "../record.h"

SPM_BEGIN_DECLS

/** @brief An entity kind of the schema registry (owned by the handle). */
typedef struct spm_kind spm_kind;

/** @brief Kind flag: a kind the library keeps for itself (audit, outbox, …). */
#define SPM_KIND_SYSTEM 0x1u

/** @brief begin() flag: the transaction will write (take the write lock now). */
#define SPM_STORAGE_WRITE 0x1u

/** @brief spm_scan.flags: order by change sequence instead of id. */
#define SPM_SCAN_BY_SEQ 0x1u
/** @brief spm_scan.flags: include tombstones of deleted records. */
#define SPM_SCAN_DELETED 0x2u
/** @brief spm_scan.flags: descending order (newest first). */
#define SPM_SCAN_DESC 0x4u
/** @brief spm_scan.flags: with spm_scan.fields, read the custom fields too. */
#define SPM_SCAN_CUSTOM 0x8u

/** @brief One condition of a scan: core field index, comparison, value. */
typedef struct spm_scan_cond {
	size_t field;        /**< index of an indexed core field of the kind */
	spm_compare cmp;     /**< the comparison */
	int64_t ivalue;      /**< the value for integer-like fields */
	const char *svalue;  /**< the value for text and enum fields, else NULL */
} spm_scan_cond;

/** @brief A scan request; conditions are ANDed. */
typedef struct spm_scan {
	uint32_t version;            /**< SPM_SCAN_VERSION */
	const spm_scan_cond *conds;  /**< the conditions */
	size_t nconds;               /**< how many */
	int64_t after_id;            /**< only ids above this (0: all); with SPM_SCAN_BY_SEQ,
					  only rows whose (seq, id) is above (after_seq, after_id) */
	int64_t after_seq;           /**< only change sequences above this (0: all) */
	size_t limit;                /**< at most this many records (0: all) */
	unsigned int flags;          /**< SPM_SCAN_* */
	/**
	 * Since version 2: when not NULL, the core fields (indexes) the caller
	 * reads; the backend may leave the others, and the custom fields unless
	 * SPM_SCAN_CUSTOM is set, absent from the records it hands over. A
	 * backend may read more (a version 1 backend reads whole records), so
	 * this saves work and never changes what the caller sees of these
	 * fields. NULL: whole records.
	 */
	const size_t *fields;
	size_t nfields;              /**< how many fields (since version 2) */
} spm_scan;

/** @brief The version of spm_scan this header describes. */
#define SPM_SCAN_VERSION 2

/**
 * @brief Receives one scanned record; ownership passes to the callee. A
 * non-zero return stops the scan and is returned by the scan op.
 */
typedef int (*spm_scan_cb)(spm_record *rec, void *payload);

/** @brief The storage vtable. */
typedef struct spm_storage_ops {
	uint32_t version; /**< SPM_STORAGE_OPS_VERSION */
	/** @brief The stored schema version; 0 for a new, empty database. */
	int (*schema_version)(void *self, int *out);
	/**
	 * @brief Upgrades the stored schema from version from to version to, in
	 * one transaction: creates the kinds and adds the core fields whose
	 * spm_kind_since() / spm_kind_field_since() lie in (from, to], with their
	 * indexes, then records version to.
	 */
	int (*upgrade)(void *self, int from, int to);
	/** @brief Starts a transaction (flags: SPM_STORAGE_WRITE); no nesting. */
	int (*begin)(void *self, unsigned int flags);
	/** @brief Commits the open transaction. */
	int (*commit)(void *self);
	/** @brief Rolls the open transaction back; must succeed when none is open. */
	int (*rollback)(void *self);
	/** @brief Reads one live record; SPM_ENOTFOUND when absent or deleted. */
	int (*get)(void *self, spm_record **out, const spm_kind *kind, int64_t id);
	/** @brief Inserts or replaces the record with its id, change sequence, core and custom values. */
	int (*put)(void *self, const spm_record *rec);
	/** @brief Turns a record into a tombstone that keeps its id and the change sequence seq. */
	int (*remove)(void *self, const spm_kind *kind, int64_t id, int64_t seq);
	/** @brief Calls cb for each matching record, by id (or by seq with SPM_SCAN_BY_SEQ). */
	int (*scan)(void *self, const spm_kind *kind, const spm_scan *scan, spm_scan_cb cb,
		    void *payload);
	/** @brief Returns the next value (1, 2, …) of a named counter; inside a write transaction. */
	int (*next_id)(void *self, int64_t *out, const char *counter);
	/** @brief Releases the backend. */
	void (*free)(void *self);
	/**
	 * @brief Counts the live records with an id above after_id and a
	 * change sequence above after_seq that meet the conditions: what a scan
	 * in id order returns without a limit. limit, SPM_SCAN_BY_SEQ,
	 * SPM_SCAN_DESC and the fields are ignored; with SPM_SCAN_DELETED
	 * tombstones count too (they meet no condition). A backend may refuse
	 * SPM_SCAN_DELETED with SPM_EINVAL: the core then does without.
	 * Since version 2; the core counts with scan before.
	 */
	int (*count)(void *self, int64_t *out, const spm_kind *kind, const spm_scan *scan);
	/**
	 * @brief Stores a record whose id is not stored yet (no row, no
	 * tombstone); SPM_ECONFLICT when the id is taken. Since version 2; the
	 * core uses put before.
	 */
	int (*insert)(void *self, const spm_record *rec);
	/**
	 * @brief Writes the change sequence of rec and the values marked in
	 * changed to the stored live record with rec's id; the other values are
	 * kept as stored. changed has nchanged entries indexed like the kind's
	 * fields (core fields, then custom ones: any custom entry rewrites the
	 * custom values); entries past nchanged count as unchanged.
	 * SPM_ENOTFOUND when no live record has that id. Since version 2; the
	 * core uses put before.
	 */
	int (*update)(void *self, const spm_record *rec, const unsigned char *changed,
		      size_t nchanged);
} spm_storage_ops;

/** @brief The version of spm_storage_ops this header describes. */
#define SPM_STORAGE_OPS_VERSION 2

/**
 * @brief Raises an error from a backend (sets the thread-local message).
 * @return code, for `return spm_storage_error(SPM_ESTORAGE, "...")`.
 */
SPM_API int spm_storage_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/** @brief Allocates with the handle's allocator; NULL on failure. */
SPM_API void *spm_storage_malloc(spm_db *db, size_t size);
/** @brief Frees memory from spm_storage_malloc() (or handed over by the core); NULL is fine. */
SPM_API void spm_storage_free(spm_db *db, void *ptr);

/** @brief Number of kinds in the handle's schema registry (system kinds included). */
SPM_API size_t spm_schema_kind_count(spm_db *db);
/** @brief The i-th kind; borrowed for the handle's life; NULL when out of range. */
SPM_API const spm_kind *spm_schema_kind_at(spm_db *db, size_t i);
/** @brief The kind's name (static text). */
SPM_API const char *spm_kind_name(const spm_kind *kind);
/** @brief The schema version that introduced the kind. */
SPM_API int spm_kind_since(const spm_kind *kind);
/** @brief SPM_KIND_* flags. */
SPM_API unsigned int spm_kind_flags(const spm_kind *kind);
/** @brief Number of core fields; they have indexes 0 … count-1. */
SPM_API size_t spm_kind_core_count(const spm_kind *kind);
/** @brief Name of core field i (static text); NULL when out of range. */
SPM_API const char *spm_kind_field_name(const spm_kind *kind, size_t i);
/** @brief Type of core field i. */
SPM_API spm_field_type spm_kind_field_type(const spm_kind *kind, size_t i);
/** @brief SPM_FIELD_* flags of core field i. */
SPM_API unsigned int spm_kind_field_flags(const spm_kind *kind, size_t i);
/** @brief The schema version that introduced core field i. */
SPM_API int spm_kind_field_since(const spm_kind *kind, size_t i);

/**
 * @brief A record for a backend to fill (values start empty = no value).
 * @param[out] out handed over to the core through get or scan
 * @param deleted 1 for a tombstone
 * @return SPM_OK, SPM_EINVAL, SPM_ENOMEM.
 */
SPM_API int spm_record_alloc(spm_record **out, spm_db *db, const spm_kind *kind, int64_t id,
			     int64_t seq, int deleted);
/** @brief Loads an integer, date, boolean or time core value. @return SPM_OK, SPM_EINVAL, SPM_ECORRUPT. */
SPM_API int spm_record_load_int(spm_record *rec, size_t field, int64_t value);
/** @brief Loads a text or enum core value (copied). @return SPM_OK, SPM_EINVAL, SPM_ECORRUPT, SPM_ENOMEM. */
SPM_API int spm_record_load_text(spm_record *rec, size_t field, const char *text, size_t len);
/** @brief Loads a money core value. @return SPM_OK, SPM_EINVAL, SPM_ECORRUPT. */
SPM_API int spm_record_load_money(spm_record *rec, size_t field, int64_t minor, const char *currency);
/**
 * @brief Loads the custom values from the JSON text made by spm_record_custom_json().
 * Values of fields the registry does not know are ignored.
 * @return SPM_OK, SPM_ECORRUPT (malformed, wrong types), SPM_ENOMEM.
 */
SPM_API int spm_record_load_custom(spm_record *rec, const char *json, size_t len);

/** @brief The record's kind. */
SPM_API const spm_kind *spm_record_kind_of(const spm_record *rec);
/** @brief 1 when core field i has no value. */
SPM_API int spm_record_value_null(const spm_record *rec, size_t field);
/** @brief Integer, date, boolean, time or money amount of core field i (0 when none). */
SPM_API int64_t spm_record_value_int(const spm_record *rec, size_t field);
/** @brief Text or enum of core field i; borrowed while rec lives; NULL when none. */
SPM_API const char *spm_record_value_text(const spm_record *rec, size_t field, size_t *len);
/** @brief Currency of money core field i; borrowed while rec lives; NULL when none. */
SPM_API const char *spm_record_value_currency(const spm_record *rec, size_t field);
/**
 * @brief The record's custom values as one JSON object.
 * @param[out] out NULL when the record has no custom values; else free with spm_storage_free()
 * @param[out] out_len its length in bytes
 * @return SPM_OK, SPM_EINVAL, SPM_ERANGE (a date outside the years 1..9999), SPM_ENOMEM.
 */
SPM_API int spm_record_custom_json(char **out, size_t *out_len, const spm_record *rec);

SPM_END_DECLS

#endif
