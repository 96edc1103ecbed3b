/**
 * @file calendar.h
 * @brief Civil dates, ISO weeks and fiscal periods (weeks, months, quarters,
 *        years) of a configurable fiscal calendar.
 *
 * A date is a day count in the proleptic Gregorian calendar, valid for the
 * years 1 to 9999; any date, or any period boundary a function would return,
 * outside that range gives SPM_ERANGE. Everything is UTC: there are no time
 * zones and no locale. The functions are pure and thread-safe; on error they
 * set the calling thread's last-error message (see error.h) and leave every
 * output untouched.
 */
#ifndef SPM_CALENDAR_H
#define SPM_CALENDAR_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief A civil date: days since 1970-01-01 (which is 0). */
typedef int32_t spm_date;

/** @brief "No date" marker used by records; never a valid date (SPM_ERANGE). */
#define SPM_DATE_NONE INT32_MIN

/** @brief Size of a buffer that holds any "YYYY-MM-DD" plus its NUL. */
#define SPM_DATE_FORMAT_MAX 11

/** @brief Size of a buffer that holds any spm_period_label() text plus its NUL. */
#define SPM_PERIOD_LABEL_MAX 16

/**
 * @brief The date of a year, month and day.
 * @param[out] out receives the date
 * @param year 1..9999
 * @param month 1..12
 * @param day 1..length of that month
 * @return SPM_OK; SPM_EINVAL when @p out is NULL or the month or day does not
 *         exist (2023-02-29, month 13); SPM_ERANGE when @p year is outside
 *         1..9999.
 */
SPM_API int spm_date_from_ymd(spm_date *out, int year, int month, int day);

/**
 * @brief The year, month and day of a date.
 * @param[out] year may be NULL
 * @param[out] month may be NULL; receives 1..12
 * @param[out] day may be NULL; receives 1..31
 * @param d the date
 * @return SPM_OK; SPM_ERANGE when @p d is outside the years 1..9999
 *         (SPM_DATE_NONE included).
 */
SPM_API int spm_date_to_ymd(int *year, int *month, int *day, spm_date d);

/**
 * @brief Parses a date written exactly as "YYYY-MM-DD".
 * @param[out] out receives the date
 * @param text borrowed, NUL-terminated; four-digit year, two-digit month and
 *        day, '-' separators, nothing before or after
 * @return SPM_OK; SPM_EINVAL when a pointer is NULL, the text is malformed or
 *         the date does not exist; SPM_ERANGE for the year 0000.
 */
SPM_API int spm_date_parse(spm_date *out, const char *text);

/**
 * @brief Formats a date as "YYYY-MM-DD".
 * @param[out] buf caller-owned buffer; receives the NUL-terminated text
 * @param size size of @p buf; SPM_DATE_FORMAT_MAX is enough
 * @param d the date
 * @return SPM_OK; SPM_EINVAL when @p buf is NULL; SPM_ERANGE when @p d is out
 *         of range or @p size is below SPM_DATE_FORMAT_MAX.
 */
SPM_API int spm_date_format(char *buf, size_t size, spm_date d);

/**
 * @brief The ISO weekday of a date.
 * @param[out] out receives 1 (Monday) to 7 (Sunday)
 * @param d the date
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_ERANGE when @p d is out
 *         of range.
 */
SPM_API int spm_date_weekday(int *out, spm_date d);

/**
 * @brief The UTC date of an instant.
 * @param[out] out receives the date; instants before 1970 round down
 *             (-1 is 1969-12-31)
 * @param t seconds since 1970-01-01T00:00:00Z
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_ERANGE when the date is
 *         outside the years 1..9999.
 */
SPM_API int spm_date_from_time(spm_date *out, spm_time t);

/**
 * @brief The instant at which a date starts (00:00:00Z).
 * @param[out] out receives seconds since 1970-01-01T00:00:00Z
 * @param d the date
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_ERANGE when @p d is out
 *         of range.
 */
SPM_API int spm_date_to_time(spm_time *out, spm_date d);

/**
 * @brief Adds a number of days to a date.
 * @param[out] out receives d + days
 * @param d the date
 * @param days any sign
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_ERANGE when @p d or the
 *         result is outside the years 1..9999.
 */
SPM_API int spm_date_add_days(spm_date *out, spm_date d, int64_t days);

/**
 * @brief Adds calendar months to a date, clamping the day to the month's end.
 *
 * January 31 plus one month is February 28 (29 in leap years).
 * @param[out] out receives the date
 * @param d the date
 * @param months any sign
 * @return SPM_OK; SPM_EINVAL when @p out is NULL; SPM_ERANGE when @p d or the
 *         result is outside the years 1..9999.
 */
SPM_API int spm_date_add_months(spm_date *out, spm_date d, int months);

/**
 * @brief The ISO 8601 week-numbering year and week of a date.
 *
 * Weeks start on Monday; week 1 is the week with the year's first Thursday,
 * so 2021-01-03 is in 2020-W53.
 * @param[out] out_year may be NULL; receives the week-numbering year, which
 *             differs from the calendar year in the first and last days of
 *             some years
 * @param[out] out_week may be NULL; receives 1..53
 * @param d the date
 * @return SPM_OK; SPM_ERANGE when @p d is out of range.
 */
SPM_API int spm_date_iso_week(int *out_year, int *out_week, spm_date d);

/** @brief Version of spm_calendar described by this header. */
#define SPM_CALENDAR_VERSION 1

/**
 * @brief How periods are cut: fiscal year start and first day of the week.
 *
 * Initialise with SPM_CALENDAR_INIT or spm_calendar_init(), then change
 * fields. New fields are only ever appended, behind a new version.
 */
typedef struct spm_calendar {
	/** SPM_CALENDAR_VERSION the caller was compiled with. */
	uint32_t version;
	/** First month of the fiscal year, 1 (January) to 12. */
	unsigned int year_start_month;
	/** First day of the week, 1 (Monday) to 7 (Sunday). */
	unsigned int week_start_day;
	/** 0: a fiscal year is named by the calendar year it starts in;
	 *  1: by the calendar year it ends in. Only 0 and 1 are valid. */
	unsigned int name_by_end_year;
} spm_calendar;

/** @brief Static initialiser: calendar years, weeks starting on Monday. */
#define SPM_CALENDAR_INIT { SPM_CALENDAR_VERSION, 1, 1, 0 }

/**
 * @brief Fills a calendar with the defaults of SPM_CALENDAR_INIT.
 * @param[out] cal caller-owned
 * @param version SPM_CALENDAR_VERSION
 * @return SPM_OK; SPM_EINVAL when @p cal is NULL; SPM_EVERSION when
 *         @p version is 0 or newer than this library knows.
 */
SPM_API int spm_calendar_init(spm_calendar *cal, unsigned int version);

/** @brief The kinds of period a calendar cuts time into. */
typedef enum spm_period_kind {
	SPM_PERIOD_DAY = 1,     /**< one day */
	SPM_PERIOD_WEEK = 2,    /**< seven days from the calendar's week start day */
	SPM_PERIOD_MONTH = 3,   /**< a calendar month */
	SPM_PERIOD_QUARTER = 4, /**< three months, aligned on the fiscal year start */
	SPM_PERIOD_YEAR = 5     /**< twelve months from the fiscal year start month */
} spm_period_kind;

/**
 * @brief The first and last day of the period that contains a date.
 * @param[out] out_start may be NULL; receives the first day
 * @param[out] out_end may be NULL; receives the last day (inclusive)
 * @param cal borrowed calendar
 * @param kind the kind of period
 * @param d a date in the period
 * @return SPM_OK; SPM_EINVAL when @p cal is NULL or invalid or @p kind is
 *         unknown; SPM_EVERSION when cal->version is unknown; SPM_ERANGE when
 *         @p d or a bound is outside the years 1..9999.
 */
SPM_API int spm_period_bounds(spm_date *out_start, spm_date *out_end,
			      const spm_calendar *cal, spm_period_kind kind,
			      spm_date d);

/**
 * @brief The fiscal year of a period and its number within that year.
 *
 * Numbers: day 1..366 of the fiscal year; week 1..53; month 1..12 counted
 * from the fiscal start month; quarter 1..4; year 1. A week belongs to the
 * fiscal year that holds at least 4 of its 7 days (with January start and
 * Monday weeks, the ISO 8601 week). The year is labelled per
 * cal->name_by_end_year: with an April start, 2026-04-01..2027-03-31 is 2026,
 * or 2027 when named by its end year.
 * @param[out] out_fiscal_year may be NULL; receives the fiscal year label
 *             (0 or 10000 for periods straddling the ends of the range)
 * @param[out] out_number may be NULL; receives the period's number
 * @param cal borrowed calendar
 * @param kind the kind of period
 * @param d a date in the period
 * @return SPM_OK; SPM_EINVAL when @p cal is NULL or invalid or @p kind is
 *         unknown; SPM_EVERSION when cal->version is unknown; SPM_ERANGE when
 *         @p d is out of range.
 */
SPM_API int spm_period_of(int *out_fiscal_year, int *out_number,
			  const spm_calendar *cal, spm_period_kind kind,
			  spm_date d);

/**
 * @brief The first day of the period n periods after the one containing d.
 * @param[out] out_start receives the first day
 * @param cal borrowed calendar
 * @param kind the kind of period
 * @param d a date in the starting period
 * @param n periods to move; negative moves back, 0 gives the period's start
 * @return SPM_OK; SPM_EINVAL when @p out_start or @p cal is NULL, @p cal is
 *         invalid or @p kind is unknown; SPM_EVERSION when cal->version is
 *         unknown; SPM_ERANGE when @p d or the result is out of range.
 */
SPM_API int spm_period_shift(spm_date *out_start, const spm_calendar *cal,
			     spm_period_kind kind, spm_date d, int n);

/**
 * @brief How many periods lie between the periods of two dates.
 *
 * The number of period starts passed going from the period of @p from to the
 * period of @p to: months from any day of January to any day of April are 3;
 * negative when @p to is earlier; 0 within one period.
 * @param[out] out receives the signed count
 * @param cal borrowed calendar
 * @param kind the kind of period
 * @param from first date
 * @param to second date
 * @return SPM_OK; SPM_EINVAL when @p out or @p cal is NULL, @p cal is invalid
 *         or @p kind is unknown; SPM_EVERSION when cal->version is unknown;
 *         SPM_ERANGE when a date is out of range.
 */
SPM_API int spm_period_count(int64_t *out, const spm_calendar *cal,
			     spm_period_kind kind, spm_date from, spm_date to);

/**
 * @brief A short stable name for the period containing a date.
 *
 * January-start calendars: "2026-03-05", "2026-W09", "2026-03", "2026-Q1",
 * "2026". Other start months use the fiscal year and fiscal numbers:
 * "FY2026-W14", "FY2026-M01", "FY2026-Q1", "FY2026"; days stay
 * "YYYY-MM-DD". Weeks and years are numbered as in spm_period_of().
 * @param[out] buf caller-owned buffer; receives the NUL-terminated label
 * @param size size of @p buf; SPM_PERIOD_LABEL_MAX is always enough
 * @param cal borrowed calendar
 * @param kind the kind of period
 * @param d a date in the period
 * @return SPM_OK; SPM_EINVAL when @p buf or @p cal is NULL, @p cal is invalid
 *         or @p kind is unknown; SPM_EVERSION when cal->version is unknown;
 *         SPM_ERANGE when @p d is out of range or the label and its NUL do not
 *         fit in @p size.
 */
SPM_API int spm_period_label(char *buf, size_t size, const spm_calendar *cal,
			     spm_period_kind kind, spm_date d);

SPM_END_DECLS

#endif
