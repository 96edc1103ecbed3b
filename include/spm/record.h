/**
 * @file record.h
 * @brief Typed records of any entity kind: create, read, update, delete,
 * batches with idempotency keys, and filtered iteration.
 *
 * A record is a private, in-memory copy. Setting a field marks it changed;
 * spm_record_save() writes only the changed fields, in one transaction with
 * their audit entries and events. An update is a compare-and-set on the
 * record's change sequence: when another writer changed the stored record
 * after it was read, the save fails with SPM_ECONFLICT and changes nothing.
 */
#ifndef SPM_RECORD_H
#define SPM_RECORD_H

#include "common.h"
#include "calendar.h"
#include "schema.h"

SPM_BEGIN_DECLS

/**
 * @brief A new, unsaved record of a kind (id 0).
 * @param[out] out the record; NULL on failure. Free with spm_record_free().
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such kind), SPM_ENOMEM.
 */
SPM_API int spm_record_new(spm_record **out, spm_db *db, const char *kind);

/**
 * @brief Reads a stored record.
 * @param[out] out the record; NULL on failure. Free with spm_record_free().
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such kind or id, or deleted),
 *         SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_record_get(spm_record **out, spm_db *db, const char *kind, int64_t id);

/**
 * @brief Frees a record. The record must not outlive its spm_db.
 * @param rec the record, or NULL
 */
SPM_API void spm_record_free(spm_record *rec);

/** @brief The record's kind; borrowed, valid while rec lives. NULL for NULL. */
SPM_API const char *spm_record_kind(const spm_record *rec);
/** @brief The record's id; 0 until first saved (and for NULL). */
SPM_API int64_t spm_record_id(const spm_record *rec);
/** @brief The change sequence that last wrote the record; 0 until saved. */
SPM_API int64_t spm_record_seq(const spm_record *rec);

/**
 * @brief Sets a text or enum field. NULL clears the value.
 * @return SPM_OK; SPM_EINVAL (invalid UTF-8, too long, not one of the enum
 *         choices, wrong field type, read-only field); SPM_ENOTFOUND (no such
 *         field); SPM_ENOMEM. The record is unchanged on error.
 */
SPM_API int spm_record_set_text(spm_record *rec, const char *field, const char *value);
/** @brief Sets an integer field. @return as spm_record_set_text(). */
SPM_API int spm_record_set_int(spm_record *rec, const char *field, int64_t value);
/**
 * @brief Sets a money field.
 * @param minor the amount in minor units of currency
 * @param currency an ISO 4217 code such as "EUR" (copied)
 * @return as spm_record_set_text(); SPM_EINVAL for an unknown currency.
 */
SPM_API int spm_record_set_money(spm_record *rec, const char *field, int64_t minor,
				 const char *currency);
/** @brief Sets a date field. @return as spm_record_set_text(); SPM_ERANGE for a bad date. */
SPM_API int spm_record_set_date(spm_record *rec, const char *field, spm_date value);
/** @brief Sets a boolean field (any non-zero is true). @return as spm_record_set_text(). */
SPM_API int spm_record_set_bool(spm_record *rec, const char *field, int value);
/** @brief Sets a time field. @return as spm_record_set_text(). */
SPM_API int spm_record_set_time(spm_record *rec, const char *field, spm_time value);
/** @brief Clears a field. @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND. */
SPM_API int spm_record_set_null(spm_record *rec, const char *field);

/**
 * @brief Sets a field from text, parsed strictly by the field's type:
 * integers in decimal, money as "12.50 EUR", dates as "YYYY-MM-DD", booleans
 * as "true"/"false", times as integer seconds. NULL clears the value.
 * @return as spm_record_set_text(); SPM_EOVERFLOW for out-of-range numbers.
 */
SPM_API int spm_record_set_from_text(spm_record *rec, const char *field, const char *text);

/**
 * @brief Whether a field has no value.
 * @param[out] out 1 when the field has no value, else 0
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such field).
 */
SPM_API int spm_record_is_null(int *out, const spm_record *rec, const char *field);

/**
 * @brief Reads a text or enum field.
 * @param[out] out borrowed; valid until the field is set again or rec is freed
 * @return SPM_OK; SPM_ENOTFOUND (no such field, or no value); SPM_EINVAL (wrong type).
 */
SPM_API int spm_record_get_text(const char **out, const spm_record *rec, const char *field);
/** @brief Reads an integer field. @return as spm_record_get_text(). */
SPM_API int spm_record_get_int(int64_t *out, const spm_record *rec, const char *field);
/**
 * @brief Reads a money field.
 * @param[out] out_minor the amount in minor units
 * @param[out] out_currency borrowed currency code, valid while rec lives; may be NULL
 * @return as spm_record_get_text().
 */
SPM_API int spm_record_get_money(int64_t *out_minor, const char **out_currency,
				 const spm_record *rec, const char *field);
/** @brief Reads a date field. @return as spm_record_get_text(). */
SPM_API int spm_record_get_date(spm_date *out, const spm_record *rec, const char *field);
/** @brief Reads a boolean field (0 or 1). @return as spm_record_get_text(). */
SPM_API int spm_record_get_bool(int *out, const spm_record *rec, const char *field);
/** @brief Reads a time field. @return as spm_record_get_text(). */
SPM_API int spm_record_get_time(spm_time *out, const spm_record *rec, const char *field);

/**
 * @brief Any field rendered as text, in the form spm_record_set_from_text() parses.
 * @param[out] out borrowed; valid until the next spm_record_get_as_text() or
 *             spm_record_to_json() on rec, or until rec is freed; NULL when the
 *             field has no value
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such field), SPM_ENOMEM.
 */
SPM_API int spm_record_get_as_text(const char **out, const spm_record *rec, const char *field);

/**
 * @brief The record as one JSON object: id, seq and every field with a value.
 * @param[out] out borrowed; valid until the next call on rec or until rec is freed
 * @return SPM_OK, SPM_EINVAL, SPM_ERANGE (a date outside the years 1..9999, which
 *         only a damaged store can hold), SPM_ENOMEM.
 */
SPM_API int spm_record_to_json(const char **out, const spm_record *rec);

/**
 * @brief The type of a field of the record's kind.
 * @param[out] out the type
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such field).
 */
SPM_API int spm_record_field_type(spm_field_type *out, const spm_record *rec, const char *field);

/**
 * @brief Creates (id 0) or updates the record in one transaction with its audit
 * entries and events; on success the record's id and seq are current.
 * @return SPM_OK; SPM_EINVAL (a required field missing); SPM_ECONFLICT (changed
 *         by another writer since it was read); SPM_ENOTFOUND (deleted);
 *         SPM_EPERM (read-only handle); SPM_EBUSY; SPM_ESTORAGE; SPM_ENOMEM;
 *         or a listener's non-zero value (the write is committed then).
 */
SPM_API int spm_record_save(spm_db *db, spm_record *rec);

/**
 * @brief Deletes a record (a tombstone keeps its id and change sequence).
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND, SPM_EPERM, SPM_ESTORAGE,
 *         SPM_ENOMEM, or a listener's non-zero value (the delete is committed then).
 */
SPM_API int spm_record_delete(spm_db *db, const char *kind, int64_t id);

/** @brief A set of writes committed together (see spm_batch_commit()). */
typedef struct spm_batch spm_batch;

/**
 * @brief Starts an empty batch.
 * @param[out] out the batch; free with spm_batch_free() before closing db
 * @return SPM_OK, SPM_EINVAL, SPM_ENOMEM.
 */
SPM_API int spm_batch_new(spm_batch **out, spm_db *db);
/**
 * @brief Adds a create or update of rec (copied now; later changes to rec are not seen).
 * @return SPM_OK, SPM_EINVAL (rec from another handle), SPM_ENOMEM.
 */
SPM_API int spm_batch_save(spm_batch *batch, const spm_record *rec);
/** @brief Adds a delete. @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such kind), SPM_ENOMEM. */
SPM_API int spm_batch_delete(spm_batch *batch, const char *kind, int64_t id);
/** @brief Number of writes in the batch (0 for NULL). */
SPM_API size_t spm_batch_count(const spm_batch *batch);

/**
 * @brief Commits every write of the batch in one transaction, or none.
 *
 * With an idempotency key, a batch that committed before under the same key
 * is not applied again: the call returns SPM_OK and reports the ids of the
 * first commit. This makes a call that failed ambiguously (out of memory or
 * a lost connection during commit) safe to retry. Keys expire 24 hours after
 * use (spm_db_tick()).
 * @param key NULL, or 1..255 bytes of UTF-8
 * @return SPM_OK; SPM_ECONFLICT (the key was used for a different batch, or
 *         a record changed since it was read); the codes of spm_record_save().
 *         After an error nothing of the batch is stored and it may be retried.
 */
SPM_API int spm_batch_commit(spm_batch *batch, const char *key);

/**
 * @brief The id of the i-th write of a committed batch.
 * @return SPM_OK, SPM_EINVAL (not committed), SPM_ERANGE (i out of range).
 */
SPM_API int spm_batch_id(int64_t *out, const spm_batch *batch, size_t i);
/** @brief 1 when the last commit was a replay of an earlier one under the same key. */
SPM_API int spm_batch_replayed(const spm_batch *batch);
/** @brief Frees the batch. @param batch the batch, or NULL */
SPM_API void spm_batch_free(spm_batch *batch);

/** @brief Comparison of a query condition. */
typedef enum spm_compare {
	SPM_CMP_EQ = 1, /**< equal */
	SPM_CMP_NE = 2, /**< not equal */
	SPM_CMP_LT = 3, /**< less than */
	SPM_CMP_LE = 4, /**< less than or equal */
	SPM_CMP_GT = 5, /**< greater than */
	SPM_CMP_GE = 6  /**< greater than or equal */
} spm_compare;

/** @brief A filter over the records of one kind. */
typedef struct spm_query spm_query;

/**
 * @brief Starts a query over every live record of a kind, in id order.
 * @param[out] out free with spm_query_free()
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND (no such kind), SPM_ENOMEM.
 */
SPM_API int spm_query_new(spm_query **out, spm_db *db, const char *kind);
/**
 * @brief Adds a condition on an indexed field (integer, date, time, boolean, text or enum).
 * @return SPM_OK; SPM_ENOTFOUND (no such field); SPM_EINVAL (not indexed,
 *         wrong type, too many conditions).
 */
SPM_API int spm_query_where_int(spm_query *q, const char *field, spm_compare cmp, int64_t value);
/** @brief Adds a condition on an indexed text or enum field (value copied). @return as spm_query_where_int(). */
SPM_API int spm_query_where_text(spm_query *q, const char *field, spm_compare cmp, const char *value);
/**
 * @brief Only records changed after the change sequence seq, in change order,
 * deleted ones included (see spm_record_is_deleted()): the catch-up query.
 * @return SPM_OK, SPM_EINVAL.
 */
SPM_API int spm_query_changed_since(spm_query *q, int64_t seq);
/** @brief At most limit records (0: no limit). @return SPM_OK, SPM_EINVAL. */
SPM_API int spm_query_limit(spm_query *q, size_t limit);
/** @brief Frees the query. @param q the query, or NULL */
SPM_API void spm_query_free(spm_query *q);

/** @brief 1 for a tombstone returned by a changed-since query, else 0. */
SPM_API int spm_record_is_deleted(const spm_record *rec);

/** @brief Called per record (borrowed: valid during the call); non-zero stops and is returned. */
typedef int (*spm_record_cb)(const spm_record *rec, void *payload);

/**
 * @brief Calls cb for every matching record. No transaction is held open while
 * cb runs, so cb may call back into db (records are read in pages).
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE, SPM_ENOMEM, or cb's non-zero value.
 */
SPM_API int spm_query_foreach(spm_query *q, spm_record_cb cb, void *payload);

/** @brief An iterator over the records a query matches. */
typedef struct spm_record_iter spm_record_iter;

/**
 * @brief Starts iterating a query (the query may be freed afterwards).
 * @param[out] out free with spm_record_iter_free()
 * @return SPM_OK, SPM_EINVAL, SPM_ENOMEM.
 */
SPM_API int spm_record_iter_new(spm_record_iter **out, spm_query *q);
/**
 * @brief The next record.
 * @param[out] out borrowed: valid until the next call or spm_record_iter_free()
 * @return SPM_OK, SPM_ITEROVER at the end, SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_record_iter_next(const spm_record **out, spm_record_iter *it);
/** @brief Frees the iterator. @param it the iterator, or NULL */
SPM_API void spm_record_iter_free(spm_record_iter *it);

/**
 * @brief Copies a record (e.g. to keep one received in a callback).
 * @param[out] out free with spm_record_free()
 * @return SPM_OK, SPM_EINVAL, SPM_ENOMEM.
 */
SPM_API int spm_record_dup(spm_record **out, const spm_record *rec);

SPM_END_DECLS

#endif
