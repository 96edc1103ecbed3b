/**
 * @file report.h
 * @brief Analytics: funnel, win rate, sales cycle, time in stage, velocity,
 * open and weighted pipeline, lead conversion and activity counts, grouped by
 * any dimension and period, as typed result sets; saved reports by name.
 *
 * A query is a JSON definition (docs/reports.md), for example
 * `{"query": "win_rate", "group_by": "owner", "from": "2026-01-01",
 * "to": "2026-03-31"}`. Queries read a columnar cache that hangs off the
 * handle and catches up with every change (this handle's and other
 * processes') before each run, and they count only what the acting user may
 * see. Results are tables of named, typed columns; an empty cell (NULL) is
 * distinct from 0.
 */
#ifndef SPM_REPORT_H
#define SPM_REPORT_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief A result set: rows of typed cells under named columns. */
typedef struct spm_result spm_result;

/** @brief The type of a result column. */
typedef enum spm_column_type {
	SPM_COLUMN_TEXT = 1,    /**< UTF-8 text (spm_result_text()) */
	SPM_COLUMN_INTEGER = 2, /**< int64 (spm_result_int()) */
	SPM_COLUMN_MONEY = 3,   /**< int64 minor units and a currency (spm_result_money()) */
	SPM_COLUMN_RATIO = 4,   /**< an exact ratio in parts per million, rounded half-even (spm_result_int()) */
	SPM_COLUMN_DATE = 5     /**< a civil date, spm_date (spm_result_int()) */
} spm_column_type;

/**
 * @brief Runs a query given as a JSON definition (docs/reports.md).
 *
 * The cache catches up with every change since the last run first.
 * @param[out] out the result; NULL on failure. Free with spm_result_free().
 * @param db the handle; the query sees what its actor may see
 * @param json the definition (UTF-8 JSON object)
 * @return SPM_OK; SPM_EINVAL (malformed definition: the message names the
 *         JSON path, e.g. `$.group_by: unknown dimension 'colour'`);
 *         SPM_ENOTFOUND (an unknown pipeline or field); SPM_ECURRENCY (a
 *         money sum over two currencies in one row); SPM_EOVERFLOW;
 *         SPM_ERANGE (a time outside 1970..2106); SPM_EPERM; SPM_ESTORAGE;
 *         SPM_ENOMEM.
 */
SPM_API int spm_report_run(spm_result **out, spm_db *db, const char *json);

/**
 * @brief Stores a report or dashboard definition under a name (creates or replaces).
 * @param db the handle
 * @param name 1..100 bytes of UTF-8
 * @param json the definition; checked as spm_report_run() checks it
 * @return SPM_OK, SPM_EINVAL (bad name or definition, naming the JSON path),
 *         SPM_EPERM, SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_report_save(spm_db *db, const char *name, const char *json);

/**
 * @brief Runs a saved report by name.
 * @param[out] out the result; NULL on failure. Free with spm_result_free().
 * @return the codes of spm_report_run(); SPM_ENOTFOUND for an unknown name;
 *         SPM_EINVAL when the name is a dashboard (use spm_report_dashboard_item()).
 */
SPM_API int spm_report_run_saved(spm_result **out, spm_db *db, const char *name);

/** @brief Called once per saved report with its name and definition (borrowed for the call). */
typedef int (*spm_report_cb)(const char *name, const char *json, void *payload);

/**
 * @brief Lists the saved reports and dashboards the actor may see, by name.
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE, SPM_ENOMEM, or cb's non-zero value.
 */
SPM_API int spm_report_foreach(spm_db *db, spm_report_cb cb, void *payload);

/**
 * @brief Runs the i-th report of a saved dashboard.
 * @param[out] out the result; NULL on failure. Free with spm_result_free().
 * @param[out] out_layout may be NULL; the item's layout hints as JSON text
 *             ("{}" when none), caller frees with spm_report_text_free(db, …)
 * @param db the handle
 * @param name the dashboard's name
 * @param i the item, from 0
 * @return the codes of spm_report_run_saved(); SPM_ITEROVER when i is past
 *         the last item; SPM_EINVAL when the name is not a dashboard.
 */
SPM_API int spm_report_dashboard_item(spm_result **out, char **out_layout, spm_db *db,
				      const char *name, size_t i);

/**
 * @brief Frees text returned by this header's functions (the handle's allocator made it).
 * @param db the handle the text came from
 * @param text the text, or NULL
 */
SPM_API void spm_report_text_free(spm_db *db, char *text);

/** @brief Frees a result; free it before closing its spm_db. @param res the result, or NULL */
SPM_API void spm_result_free(spm_result *res);

/** @brief Number of columns (0 for NULL). */
SPM_API size_t spm_result_column_count(const spm_result *res);
/** @brief Number of rows (0 for NULL). */
SPM_API size_t spm_result_row_count(const spm_result *res);
/** @brief The name of column col; borrowed while res lives; NULL when out of range. */
SPM_API const char *spm_result_column_name(const spm_result *res, size_t col);
/** @brief The type of column col; 0 when out of range. */
SPM_API spm_column_type spm_result_column_type(const spm_result *res, size_t col);
/**
 * @brief The index of a column by name.
 * @param[out] out the index
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND.
 */
SPM_API int spm_result_column_index(size_t *out, const spm_result *res, const char *name);

/** @brief 1 when the cell is empty (NULL) or out of range, else 0. */
SPM_API int spm_result_is_null(const spm_result *res, size_t row, size_t col);
/**
 * @brief An integer, ratio (ppm) or date cell.
 * @param[out] out the value
 * @return SPM_OK; SPM_ENOTFOUND (the cell is empty); SPM_ERANGE (no such
 *         cell); SPM_EINVAL (a text or money column).
 */
SPM_API int spm_result_int(int64_t *out, const spm_result *res, size_t row, size_t col);
/**
 * @brief A money cell.
 * @param[out] out_minor minor units
 * @param[out] out_currency borrowed ISO 4217 code, valid while res lives; may be NULL
 * @return as spm_result_int(); SPM_EINVAL for a non-money column.
 */
SPM_API int spm_result_money(int64_t *out_minor, const char **out_currency,
			     const spm_result *res, size_t row, size_t col);
/**
 * @brief A text cell.
 * @param[out] out borrowed, valid while res lives
 * @return as spm_result_int(); SPM_EINVAL for a non-text column.
 */
SPM_API int spm_result_text(const char **out, const spm_result *res, size_t row, size_t col);

/**
 * @brief The ids of the records behind a row (drill-down), ascending.
 *
 * Available when the query was run with `"drill": true`; the records are
 * opportunities, leads or activities by query (docs/reports.md).
 * @param[out] out_ids borrowed array, valid while res lives (NULL when empty)
 * @param[out] out_count its length
 * @return SPM_OK, SPM_ERANGE (no such row), SPM_EINVAL (run without drill).
 */
SPM_API int spm_result_row_ids(const int64_t **out_ids, size_t *out_count,
			       const spm_result *res, size_t row);

/** @brief Receives a chunk of exported text (not NUL-terminated); non-zero stops the export. */
typedef int (*spm_write_cb)(const char *data, size_t len, void *payload);

/**
 * @brief Streams the result as CSV: a header of column names, then one line
 * per row; money as "12.50 CNY", ratios as decimals ("0.666667"), dates as
 * YYYY-MM-DD, empty cells empty; formula-like cells neutralised.
 * @return SPM_OK, SPM_EINVAL, SPM_ENOMEM, or cb's non-zero value.
 */
SPM_API int spm_result_csv(const spm_result *res, spm_write_cb cb, void *payload);
/**
 * @brief Streams the result as a JSON array of objects, one per row: integers
 * as numbers, ratios as {"ppm": N}, money as {"minor": N, "currency": "CNY"},
 * dates as "YYYY-MM-DD", empty cells as null.
 * @return as spm_result_csv().
 */
SPM_API int spm_result_json(const spm_result *res, spm_write_cb cb, void *payload);
/**
 * @brief Writes the result to a file as CSV or JSON.
 * @param path the file (created or truncated)
 * @param format "csv" or "json"
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE (cannot write the file), SPM_ENOMEM.
 */
SPM_API int spm_result_write_file(const spm_result *res, const char *path, const char *format);

SPM_END_DECLS

#endif
