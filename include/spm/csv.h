/**
 * @file csv.h
 * @brief Importing records of a kind from CSV text and exporting a query as CSV.
 *
 * Both sides follow RFC 4180 in UTF-8 (see docs/csv.md). Every write of an
 * import goes through the record API in one batch, so the acting user's
 * visibility, field validation, audit entries and events apply; an export
 * reads through a query, so it contains only what the acting user may see.
 */
#ifndef SPM_CSV_H
#define SPM_CSV_H

#include "common.h"
#include "record.h"

SPM_BEGIN_DECLS

/** @brief What an import does with bad rows. */
typedef enum spm_csv_mode {
	SPM_CSV_ALL_OR_NOTHING = 0, /**< any bad row: nothing is stored (the default) */
	SPM_CSV_SKIP_BAD_ROWS = 1   /**< the good rows are stored, the bad ones reported */
} spm_csv_mode;

/** @brief Import flag: CSV columns that are not mapped (or, without a
 * mapping, not field names) are ignored instead of refused. */
#define SPM_CSV_IGNORE_UNMAPPED 0x1u
/** @brief Import flag: columns naming read-only fields (created_at, …) are
 * ignored instead of refused, so that a full export can be imported back. */
#define SPM_CSV_IGNORE_READONLY 0x2u

/**
 * @brief Options of spm_csv_import(); initialise with SPM_CSV_IMPORT_OPTIONS_INIT
 * or spm_csv_import_options_init(). Every pointer is borrowed for the call only.
 */
typedef struct spm_csv_import_options {
	uint32_t version;              /**< SPM_CSV_IMPORT_OPTIONS_VERSION */
	spm_csv_mode mode;             /**< SPM_CSV_ALL_OR_NOTHING or SPM_CSV_SKIP_BAD_ROWS */
	int dry_run;                   /**< non-zero: check every row, store nothing */
	unsigned int flags;            /**< SPM_CSV_IGNORE_UNMAPPED, SPM_CSV_IGNORE_READONLY */
	const char *const *mapping;    /**< nmapping pairs { CSV header, field name }, flat:
					    mapping[2k] is a header, mapping[2k+1] its field
					    (NULL: the column is ignored); NULL: the headers
					    are field names */
	size_t nmapping;               /**< number of pairs in mapping */
	const char *idempotency_key;   /**< NULL, or passed to spm_batch_commit() */
	uint64_t max_rows;             /**< data rows, bad ones included; 0: 10,000,000 */
	uint64_t max_bytes;            /**< bytes of input; 0: 1 GiB */
} spm_csv_import_options;

/** @brief The newest version of spm_csv_import_options. */
#define SPM_CSV_IMPORT_OPTIONS_VERSION 1
/** @brief Static initialiser for spm_csv_import_options. */
#define SPM_CSV_IMPORT_OPTIONS_INIT \
	{ SPM_CSV_IMPORT_OPTIONS_VERSION, SPM_CSV_ALL_OR_NOTHING, 0, 0, NULL, 0, NULL, 0, 0 }

/**
 * @brief Fills opts with defaults.
 * @param opts the options to fill
 * @param version SPM_CSV_IMPORT_OPTIONS_VERSION
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_EVERSION (unknown version).
 */
SPM_API int spm_csv_import_options_init(spm_csv_import_options *opts, unsigned int version);

/** @brief The outcome of an import: counts, bad rows, stored ids (opaque). */
typedef struct spm_csv_report spm_csv_report;

/**
 * @brief Imports records of a kind from CSV text.
 *
 * The first row is the header. Each header names a field, through the
 * mapping when there is one. The header is refused as a whole (nothing is
 * read further) when a header is empty or repeated, names no field (unless
 * SPM_CSV_IGNORE_UNMAPPED), names a read-only field (unless
 * SPM_CSV_IGNORE_READONLY), when two columns give the same field, when a
 * mapped header is missing, or when a required field has no column.
 *
 * Each cell is parsed by its field's type as spm_record_set_from_text()
 * does; an empty cell sets nothing. In integer and money cells a leading
 * `'` before `=`, `+`, `-`, `@` is dropped (it is how spm_csv_export()
 * neutralises them); text cells are taken as they are.
 *
 * A data row is bad when the CSV is malformed there (syntax, invalid UTF-8,
 * a NUL byte, a wrong number of fields), a cell does not parse for its field,
 * or a required field is empty. Every bad row is listed in the report with
 * its line, in every mode. The good rows are written in one batch (under
 * opts->idempotency_key) unless opts->dry_run is set, or the mode is
 * SPM_CSV_ALL_OR_NOTHING and a row is bad. If the commit itself fails (a rule
 * checked only when writing, the actor's scope, storage), nothing is stored
 * and the report's message says why. Errors that end the input (a UTF-16/32
 * byte-order mark, an unterminated quote at the end, a limit) store nothing
 * in every mode.
 *
 * @param[out] out_report the report, set whenever the input was examined
 *             (whatever the return value), else NULL (argument and option
 *             errors, SPM_ENOMEM). Caller frees with spm_csv_report_free()
 *             before closing db.
 * @param db the handle; writes run as its actor
 * @param kind an entity kind such as "customer"
 * @param data the CSV bytes (UTF-8, a UTF-8 byte-order mark accepted); may
 *        be NULL when len is 0
 * @param len bytes in data
 * @param opts NULL for the defaults
 * @return SPM_OK (rows stored, or a dry run or SPM_CSV_SKIP_BAD_ROWS import
 *         whose bad rows are in the report); SPM_EINVAL (bad arguments or
 *         options, a refused header, input that ends in error, bad rows in
 *         SPM_CSV_ALL_OR_NOTHING mode); SPM_ENOTFOUND (no such kind, or a
 *         mapping names no field); SPM_ERANGE (a limit exceeded);
 *         SPM_EVERSION (unknown options version); SPM_ENOMEM; or any code of
 *         spm_batch_commit() (SPM_EPERM, SPM_ECONFLICT, SPM_ESTORAGE, …;
 *         nothing stored, except for a listener's non-zero value, which
 *         comes after the commit: the records are stored and in the report).
 */
SPM_API int spm_csv_import(spm_csv_report **out_report, spm_db *db, const char *kind,
			   const char *data, size_t len, const spm_csv_import_options *opts);

/**
 * @brief Frees a report.
 * @param r the report, or NULL; its spm_db must still be open
 */
SPM_API void spm_csv_report_free(spm_csv_report *r);

/** @brief Data rows read (the header not counted, bad rows counted); 0 for NULL. */
SPM_API size_t spm_csv_report_rows(const spm_csv_report *r);
/** @brief Records stored (0 in a dry run and when nothing was committed); 0 for NULL. */
SPM_API size_t spm_csv_report_stored(const spm_csv_report *r);
/** @brief Bad data rows; 0 for NULL. */
SPM_API size_t spm_csv_report_bad(const spm_csv_report *r);
/**
 * @brief Number of errors listed: one per bad data row, plus one per
 * problem of the header row (line 1). 0 for NULL.
 */
SPM_API size_t spm_csv_report_errors(const spm_csv_report *r);

/**
 * @brief The i-th error, in input order.
 * @param[out] msg the reason; borrowed, valid until the report is freed; may be NULL
 * @param[out] line the physical line (from 1) where the row starts; may be NULL
 * @param[out] column the CSV header of the column concerned, or NULL when the
 *             error concerns the whole row; borrowed like msg; may be NULL
 * @param r the report
 * @param i 0 .. spm_csv_report_errors() - 1
 * @return SPM_OK, SPM_EINVAL (NULL r), SPM_ERANGE (i out of range).
 */
SPM_API int spm_csv_report_error(const char **msg, size_t *line, const char **column,
				 const spm_csv_report *r, size_t i);

/**
 * @brief The id of the i-th stored record, in row order.
 * @param[out] out_id the record's id
 * @param[out] out_line the line where its row starts; may be NULL
 * @param r the report
 * @param i 0 .. spm_csv_report_stored() - 1
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_ERANGE (i out of range).
 */
SPM_API int spm_csv_report_id(int64_t *out_id, size_t *out_line, const spm_csv_report *r,
			      size_t i);

/**
 * @brief Why the import as a whole stored nothing (a refused header, the end
 * of input in error, bad rows in all-or-nothing mode, a failed commit).
 * @return borrowed text valid until the report is freed; "" when the import
 *         succeeded; never NULL.
 */
SPM_API const char *spm_csv_report_message(const spm_csv_report *r);

/** @brief The code spm_csv_import() returned with this report; SPM_EINVAL for NULL. */
SPM_API int spm_csv_report_status(const spm_csv_report *r);

/**
 * @brief 1 when the commit was a replay of an earlier import under the same
 * idempotency key (nothing new stored; the ids are the first import's), else 0.
 */
SPM_API int spm_csv_report_replayed(const spm_csv_report *r);

/**
 * @brief Receives exported bytes; a non-zero return stops the export and is
 * returned by spm_csv_export().
 * @param data borrowed, valid during the call
 * @param len bytes in data
 * @param payload the caller's pointer
 */
typedef int (*spm_csv_write_cb)(const char *data, size_t len, void *payload);

/**
 * @brief Writes a header row, then one row per record the query yields.
 *
 * Values are rendered as spm_record_get_as_text() does; a record without a
 * value gives an empty cell. Lines end with CRLF. A cell that a spreadsheet
 * would run as a formula (first character `=`, `+`, `-`, `@`, TAB or CR)
 * gets a `'` in front, except plain decimal numbers in integer fields (so
 * `-5` stays a number). The query runs as the handle's actor: the export
 * holds only the records that actor may see.
 *
 * @param db the handle
 * @param kind the query's kind (the header is written even when no record matches)
 * @param q a query over kind, made with spm_query_new(); it is not changed
 *        and may be freed afterwards
 * @param fields the field names to export, in column order; NULL: every
 *        field of the kind (core fields first, then custom fields)
 * @param nfields number of names in fields; 0 when fields is NULL
 * @param write receives the output in pieces
 * @param payload passed to write
 * @return SPM_OK; SPM_EINVAL (NULL arguments, a repeated field, a query over
 *         another kind); SPM_ENOTFOUND (no such kind or field); SPM_ESTORAGE;
 *         SPM_ENOMEM; or write's non-zero value.
 */
SPM_API int spm_csv_export(spm_db *db, const char *kind, spm_query *q,
			   const char *const *fields, size_t nfields, spm_csv_write_cb write,
			   void *payload);

SPM_END_DECLS

#endif
