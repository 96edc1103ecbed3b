/**
 * @file schema.h
 * @brief Entity kinds, their typed core fields, and custom fields.
 *
 * Every kind (customer, contact, …) has core fields defined by the library
 * and custom fields defined at run time by the host. Custom field names match
 * `[a-z][a-z0-9_]{0,62}` and never collide with core field names; values are
 * validated against the field's type on every write.
 */
#ifndef SPM_SCHEMA_H
#define SPM_SCHEMA_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief Value types of fields. */
typedef enum spm_field_type {
	SPM_FIELD_TEXT = 1,    /**< UTF-8 text, no NUL, at most the field's max length in bytes */
	SPM_FIELD_INTEGER = 2, /**< int64 */
	SPM_FIELD_MONEY = 3,   /**< int64 minor units with an ISO 4217 currency */
	SPM_FIELD_DATE = 4,    /**< a civil date (spm_date) */
	SPM_FIELD_BOOLEAN = 5, /**< 0 or 1 */
	SPM_FIELD_ENUM = 6,    /**< one of the field's choices (text) */
	SPM_FIELD_TIME = 7     /**< an instant (spm_time, UTC seconds) */
} spm_field_type;

/** @brief Field flag: defined at run time (not a core field). */
#define SPM_FIELD_CUSTOM 0x1u
/**
 * @brief Field flag: a value is required on create, and an update may not
 *        clear it. Records stored before a custom field was added with
 *        this flag stay updatable without a value.
 */
#define SPM_FIELD_REQUIRED 0x2u
/** @brief Field flag: indexed; scans may filter on it. */
#define SPM_FIELD_INDEXED 0x4u
/** @brief Field flag: maintained by the library; callers may not set it. */
#define SPM_FIELD_READONLY 0x8u

/** @brief Longest custom field name, in bytes. */
#define SPM_FIELD_NAME_MAX 63
/** @brief Default and largest max_length of a text field, in bytes. */
#define SPM_TEXT_MAX 65535

/**
 * @brief Options of spm_field_add(); initialise with SPM_FIELD_OPTIONS_INIT.
 */
typedef struct spm_field_options {
	uint32_t version;            /**< SPM_FIELD_OPTIONS_VERSION */
	unsigned int flags;          /**< SPM_FIELD_REQUIRED or 0 (custom fields live in one
					  JSON column and cannot be indexed yet) */
	const char *const *choices;  /**< enum choices (copied); required for SPM_FIELD_ENUM */
	size_t nchoices;             /**< number of choices (1..256) */
	const char *label;           /**< display label in any language (copied), or NULL */
	size_t max_length;           /**< text: the longest value in bytes; 0 = SPM_TEXT_MAX */
} spm_field_options;

/** @brief The newest version of spm_field_options. */
#define SPM_FIELD_OPTIONS_VERSION 1
/** @brief Static initialiser for spm_field_options. */
#define SPM_FIELD_OPTIONS_INIT { SPM_FIELD_OPTIONS_VERSION, 0, NULL, 0, NULL, 0 }

/**
 * @brief Fills opts with defaults.
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_EVERSION (unknown version).
 */
SPM_API int spm_field_options_init(spm_field_options *opts, unsigned int version);

/**
 * @brief A field as reported by spm_field_foreach(); every pointer is borrowed
 * and valid only during the callback.
 */
typedef struct spm_field_info {
	uint32_t version;            /**< SPM_FIELD_INFO_VERSION */
	const char *kind;            /**< the entity kind */
	const char *name;            /**< the field name */
	spm_field_type type;         /**< the value type */
	unsigned int flags;          /**< SPM_FIELD_* */
	const char *const *choices;  /**< enum choices, else NULL */
	size_t nchoices;             /**< number of choices */
	const char *label;           /**< display label, or NULL */
	size_t max_length;           /**< text: the longest value in bytes */
} spm_field_info;

/** @brief The version of spm_field_info this header describes. */
#define SPM_FIELD_INFO_VERSION 1

/** @brief Called per field; non-zero stops the iteration and is returned. */
typedef int (*spm_field_cb)(const spm_field_info *field, void *payload);
/** @brief Called per kind name (borrowed); non-zero stops and is returned. */
typedef int (*spm_kind_cb)(const char *kind, void *payload);

/**
 * @brief Defines a custom field on a kind, in one audited transaction.
 * @param db the handle
 * @param kind an entity kind, e.g. "customer"
 * @param name `[a-z][a-z0-9_]{0,62}`, not a core field of the kind
 * @param type the value type
 * @param opts NULL for defaults; copied
 * @return SPM_OK; SPM_EINVAL (bad name, type, choices or flags);
 *         SPM_ENOTFOUND (no such kind); SPM_EEXISTS; SPM_EVERSION; SPM_EPERM
 *         (read-only handle); SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_field_add(spm_db *db, const char *kind, const char *name,
			  spm_field_type type, const spm_field_options *opts);

/**
 * @brief Drops a custom field and erases its values from every record, in one
 * audited transaction.
 * @return SPM_OK; SPM_ENOTFOUND (no such kind or custom field); SPM_EPERM
 *         (a core field, or a read-only handle); SPM_EINVAL; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_field_drop(spm_db *db, const char *kind, const char *name);

/**
 * @brief Calls cb for every field of a kind (core fields first, then custom
 * fields in definition order), or of every kind when kind is NULL.
 * @return SPM_OK, SPM_ENOTFOUND (no such kind), SPM_EINVAL, or cb's non-zero value.
 */
SPM_API int spm_field_foreach(spm_db *db, const char *kind, spm_field_cb cb, void *payload);

/**
 * @brief Calls cb with the name of every entity kind records can be written to.
 * @return SPM_OK, SPM_EINVAL, or cb's non-zero value.
 */
SPM_API int spm_kind_foreach(spm_db *db, spm_kind_cb cb, void *payload);

/**
 * @brief Static name of a field type ("text", "integer", "money", "date",
 * "boolean", "enum", "time").
 * @return static text; NULL for an unknown type.
 */
SPM_API const char *spm_field_type_name(spm_field_type type);

/**
 * @brief Parses a field type name as printed by spm_field_type_name().
 * @param[out] out the type
 * @return SPM_OK, SPM_EINVAL.
 */
SPM_API int spm_field_type_parse(spm_field_type *out, const char *name);

SPM_END_DECLS

#endif
