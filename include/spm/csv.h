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

/* ---- Opportunities, line items and stage history (Salesforce layout included) ---- */

/** @brief The input files of spm_opp_import(). */
typedef enum spm_opp_import_file {
	SPM_OPP_FILE_OPPORTUNITIES = 0, /**< one row per opportunity (Salesforce: Opportunity) */
	SPM_OPP_FILE_HISTORY = 1,       /**< stage changes (Salesforce: OpportunityHistory) */
	SPM_OPP_FILE_LINE_ITEMS = 2     /**< products (Salesforce: OpportunityLineItem) */
} spm_opp_import_file;

/** @brief How the import reads day/month dates such as 02/03/24. */
typedef enum spm_opp_date_order {
	SPM_OPP_DATES_ISO = 0, /**< ISO forms only (YYYY-MM-DD, with a time after 'T' or ' ') */
	SPM_OPP_DATES_MDY = 1, /**< also M/D/YY and M/D/YYYY (a US Salesforce export) */
	SPM_OPP_DATES_DMY = 2  /**< also D/M/YY and D/M/YYYY */
} spm_opp_date_order;

/** @brief Import flag: a stage name the pipeline lacks creates the stage
 * (needs the "schema" action) instead of making the row bad. */
#define SPM_OPP_IMPORT_CREATE_STAGES 0x1u
/** @brief Import flag: an account or user external id that matches no
 * record leaves the field empty with a warning instead of making the row bad. */
#define SPM_OPP_IMPORT_LENIENT_REFS 0x2u

/**
 * @brief Options of spm_opp_import(); initialise with SPM_OPP_IMPORT_OPTIONS_INIT
 * or spm_opp_import_options_init(). Every pointer is borrowed for the call only.
 */
typedef struct spm_opp_import_options {
	uint32_t version;               /**< SPM_OPP_IMPORT_OPTIONS_VERSION */
	int64_t pipeline_id;            /**< the pipeline whose stages the stage names name (required) */
	spm_csv_mode mode;              /**< SPM_CSV_ALL_OR_NOTHING or SPM_CSV_SKIP_BAD_ROWS */
	int dry_run;                    /**< non-zero: check every row, store nothing */
	unsigned int flags;             /**< SPM_OPP_IMPORT_CREATE_STAGES, SPM_OPP_IMPORT_LENIENT_REFS */
	const char *currency;           /**< currency of amounts that carry none and have no
					     currency column; NULL: such amounts are bad */
	spm_opp_date_order date_order;  /**< how d/m dates are read */
	const char *const *mapping[3];  /**< per spm_opp_import_file: flat pairs { CSV header,
					     target } (see docs/import-opportunities.md);
					     NULL: the Salesforce headers */
	size_t nmapping[3];             /**< pairs in each mapping */
	const char *external_id_field;  /**< opportunity text field keeping the source Id;
					     NULL: "external_id" (added when missing) */
	const char *customer_key_field; /**< customer field matched with account ids;
					     NULL: "external_id" */
	const char *user_key_field;     /**< user field matched with owner and actor ids;
					     NULL: "external_id" */
	uint64_t max_rows;              /**< data rows per file; 0: 10,000,000 */
	uint64_t max_bytes;             /**< bytes per file; 0: 1 GiB */
} spm_opp_import_options;

/** @brief The newest version of spm_opp_import_options. */
#define SPM_OPP_IMPORT_OPTIONS_VERSION 1
/** @brief Static initialiser for spm_opp_import_options. */
#define SPM_OPP_IMPORT_OPTIONS_INIT \
	{ SPM_OPP_IMPORT_OPTIONS_VERSION, 0, SPM_CSV_ALL_OR_NOTHING, 0, 0, NULL, \
	  SPM_OPP_DATES_ISO, { NULL, NULL, NULL }, { 0, 0, 0 }, NULL, NULL, NULL, 0, 0 }

/**
 * @brief Fills opts with defaults.
 * @param opts the options to fill
 * @param version SPM_OPP_IMPORT_OPTIONS_VERSION
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_EVERSION (unknown version).
 */
SPM_API int spm_opp_import_options_init(spm_opp_import_options *opts, unsigned int version);

/** @brief The outcome of spm_opp_import(): counts per file, problems (opaque). */
typedef struct spm_opp_import_report spm_opp_import_report;

/**
 * @brief Imports opportunities, their stage history and line items from CSV.
 *
 * Every row of every file is checked first (stage names against the
 * pipeline, amounts, dates, external ids); history rows are grouped by
 * opportunity and ordered by time, and become stage_history rows with the
 * previous stage and the seconds spent in it. An opportunity's stage,
 * status and closed_at follow its last history row when it has one (a
 * different StageName is reported as a warning), else its StageName.
 * Re-importing the same files changes nothing: opportunities are matched by
 * their external id, history rows by opportunity, time and stage, line items
 * by all their values. All writes are one transaction, run as the handle's
 * actor, who needs the "import" action (the system actor 0 and setup mode
 * have it). The rules are in docs/import-opportunities.md.
 *
 * @param[out] out_report the report, set whenever the input was examined
 *             (whatever the return value), else NULL. Caller frees with
 *             spm_opp_import_report_free() before closing db.
 * @param db the handle
 * @param opportunities the opportunity CSV (UTF-8); required
 * @param opportunities_len its bytes
 * @param history the history CSV, or NULL
 * @param history_len its bytes (0 when NULL)
 * @param line_items the line item CSV, or NULL
 * @param line_items_len its bytes (0 when NULL)
 * @param opts the options (a pipeline is required)
 * @return SPM_OK (stored, or a dry run or SPM_CSV_SKIP_BAD_ROWS import
 *         whose bad rows are in the report); SPM_EINVAL (bad arguments or
 *         options, a refused header, bad rows in SPM_CSV_ALL_OR_NOTHING
 *         mode); SPM_ENOTFOUND (no such pipeline, a mapping target that
 *         does not exist); SPM_EPERM (no "import" action); SPM_ERANGE (a
 *         limit); SPM_EVERSION; SPM_ENOMEM; or a write's code (nothing stored).
 */
SPM_API int spm_opp_import(spm_opp_import_report **out_report, spm_db *db,
			   const char *opportunities, size_t opportunities_len,
			   const char *history, size_t history_len,
			   const char *line_items, size_t line_items_len,
			   const spm_opp_import_options *opts);

/** @brief What spm_opp_import_report_count() counts. */
typedef enum spm_opp_import_count {
	SPM_OPP_COUNT_ROWS = 0,      /**< data rows read, bad ones included */
	SPM_OPP_COUNT_BAD = 1,       /**< bad data rows */
	SPM_OPP_COUNT_CREATED = 2,   /**< records created */
	SPM_OPP_COUNT_UPDATED = 3,   /**< existing records changed */
	SPM_OPP_COUNT_UNCHANGED = 4  /**< rows matching a stored record that needed no change */
} spm_opp_import_count;

/**
 * @brief A count of one file.
 * @return the count; 0 for NULL, an unknown file or count, and (except rows
 *         and bad) when nothing was stored.
 */
SPM_API size_t spm_opp_import_report_count(const spm_opp_import_report *r,
					   spm_opp_import_file file,
					   spm_opp_import_count what);

/** @brief Stages created (SPM_OPP_IMPORT_CREATE_STAGES); 0 for NULL. */
SPM_API size_t spm_opp_import_report_stages_created(const spm_opp_import_report *r);

/** @brief Problems listed (bad rows, refused headers and warnings); 0 for NULL. */
SPM_API size_t spm_opp_import_report_problems(const spm_opp_import_report *r);

/**
 * @brief The i-th problem, by file then line.
 * @param[out] msg the reason; borrowed, valid until the report is freed; may be NULL
 * @param[out] file the file; may be NULL
 * @param[out] line the physical line (from 1) where the row starts; may be NULL
 * @param[out] column the CSV header concerned, or NULL for the whole row;
 *             borrowed like msg; may be NULL
 * @param[out] warning 1 for a warning (the row is stored), 0 for an error; may be NULL
 * @param r the report
 * @param i 0 .. spm_opp_import_report_problems() - 1
 * @return SPM_OK, SPM_EINVAL (NULL r), SPM_ERANGE (i out of range).
 */
SPM_API int spm_opp_import_report_problem(const char **msg, spm_opp_import_file *file,
					  size_t *line, const char **column, int *warning,
					  const spm_opp_import_report *r, size_t i);

/**
 * @brief The libspm id of the opportunity imported under an external id.
 * @param[out] out_id the id
 * @param r the report (of an import that stored something)
 * @param external_id the source Id
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_ENOTFOUND (not stored by this import).
 */
SPM_API int spm_opp_import_report_id(int64_t *out_id, const spm_opp_import_report *r,
				     const char *external_id);

/**
 * @brief The i-th opportunity the import stored (created, updated or
 * unchanged), in input order.
 * @param[out] external_id its source Id; borrowed, valid until the report is
 *             freed; may be NULL
 * @param[out] id its libspm id; may be NULL
 * @param r the report
 * @param i 0 .. the opportunities' created + updated + unchanged counts - 1
 * @return SPM_OK, SPM_EINVAL (NULL r), SPM_ERANGE (i out of range).
 */
SPM_API int spm_opp_import_report_stored(const char **external_id, int64_t *id,
					 const spm_opp_import_report *r, size_t i);

/**
 * @brief Why the import stored nothing.
 * @return borrowed text valid until the report is freed; "" when it
 *         succeeded; never NULL.
 */
SPM_API const char *spm_opp_import_report_message(const spm_opp_import_report *r);

/** @brief The code spm_opp_import() returned with this report; SPM_EINVAL for NULL. */
SPM_API int spm_opp_import_report_status(const spm_opp_import_report *r);

/**
 * @brief Frees a report.
 * @param r the report, or NULL; its spm_db must still be open
 */
SPM_API void spm_opp_import_report_free(spm_opp_import_report *r);

/**
 * @brief Writes the opportunities of a pipeline, or their stage history, as
 * CSV in the Salesforce layout that spm_opp_import() reads by default.
 *
 * Opportunities: Id (the external id, else the libspm id), AccountId (the
 * customer's key field, else empty), OwnerId (the user's key field, else
 * empty), Name, StageName, Amount, CurrencyIsoCode, CloseDate, CreatedDate,
 * LeadSource. History: OpportunityId, StageName, CreatedDate, Amount,
 * CurrencyIsoCode, CreatedById; ordered by opportunity then time. Dates are
 * ISO; times are "YYYY-MM-DD HH:MM:SS" UTC. Only what the actor may see.
 *
 * @param db the handle
 * @param pipeline_id the pipeline
 * @param file SPM_OPP_FILE_OPPORTUNITIES or SPM_OPP_FILE_HISTORY
 * @param opts NULL, or options whose key field names are used
 * @param write receives the output in pieces
 * @param payload passed to write
 * @return SPM_OK; SPM_EINVAL; SPM_ENOTFOUND (no such pipeline);
 *         SPM_ESTORAGE; SPM_ENOMEM; or write's non-zero value.
 */
SPM_API int spm_opp_export(spm_db *db, int64_t pipeline_id, spm_opp_import_file file,
			   const spm_opp_import_options *opts, spm_csv_write_cb write,
			   void *payload);

SPM_END_DECLS

#endif
