/* Civil dates and the periods of a fiscal calendar.
 *
 * Dates convert to and from year/month/day with Howard Hinnant's
 * days_from_civil / civil_from_days algorithms, which are exact for the whole
 * proleptic Gregorian calendar. Internally every quantity is an int64_t and
 * may leave the valid range (a week can start in year 0); only dates handed
 * back to the caller are range-checked.
 *
 * Every kind of period is numbered by a linear index (days since the epoch,
 * weeks since a reference week start, months since year 0, quarters and
 * fiscal years aligned on the start month), so bounds, shifts and counts all
 * reduce to index arithmetic. */
#include "core/error_internal.h"
#include "spm/calendar.h"

#define DATE_MIN (-719162)	/* 0001-01-01 */
#define DATE_MAX 2932896	/* 9999-12-31 */
#define SECONDS_PER_DAY 86400
/* 1970-01-01 was a Thursday: day 3 when Monday is 0. */
#define EPOCH_WEEKDAY 3

/* Both divisions round toward negative infinity; b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b < 0)
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int lengths[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : lengths[m - 1];
}

/* Months since January of year 0, and back. */
static int64_t month_index(int64_t d)
{
	int64_t y, m, day;

	civil_from_days(d, &y, &m, &day);
	return y * 12 + m - 1;
}

static int64_t month_index_start(int64_t idx)
{
	return days_from_civil(floor_div(idx, 12), floor_mod(idx, 12) + 1, 1);
}

/* 0 = Monday ... 6 = Sunday. */
static int64_t weekday0(int64_t d)
{
	return floor_mod(d + EPOCH_WEEKDAY, 7);
}

static int64_t week_start(int64_t d, unsigned int week_start_day)
{
	return d - floor_mod(weekday0(d) - (week_start_day - 1), 7);
}

static int check_date(int64_t d, const char *func)
{
	if (d < DATE_MIN || d > DATE_MAX)
		return spm__error_set(SPM_ERANGE,
			"%s: date %lld is outside the years 1..9999", func, (long long)d);
	return SPM_OK;
}

/* Stores a computed date after checking that it is representable. */
static int store_date(spm_date *out, int64_t d, const char *func)
{
	if (d < DATE_MIN || d > DATE_MAX)
		return spm__error_set(SPM_ERANGE,
			"%s: the result falls outside the years 1..9999", func);
	*out = (spm_date)d;
	return SPM_OK;
}

int spm_date_from_ymd(spm_date *out, int year, int month, int day)
{
	SPM__CHECK_ARG(out);
	if (year < 1 || year > 9999)
		return spm__error_set(SPM_ERANGE,
			"spm_date_from_ymd: year %d is outside 1..9999", year);
	if (month < 1 || month > 12)
		return spm__error_set(SPM_EINVAL,
			"spm_date_from_ymd: month %d does not exist", month);
	if (day < 1 || day > days_in_month(year, month))
		return spm__error_set(SPM_EINVAL,
			"spm_date_from_ymd: %04d-%02d has no day %d", year, month, day);
	*out = (spm_date)days_from_civil(year, month, day);
	return SPM_OK;
}

int spm_date_to_ymd(int *year, int *month, int *day, spm_date d)
{
	int64_t y, m, dd;
	int rc = check_date(d, __func__);

	if (rc != SPM_OK)
		return rc;
	civil_from_days(d, &y, &m, &dd);
	if (year != NULL)
		*year = (int)y;
	if (month != NULL)
		*month = (int)m;
	if (day != NULL)
		*day = (int)dd;
	return SPM_OK;
}

int spm_date_parse(spm_date *out, const char *text)
{
	static const char shape[] = "dddd-dd-dd";
	int field[3] = { 0, 0, 0 };
	int f = 0;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(text);
	/* Checked one character at a time, so a short text stops at its NUL. */
	for (size_t i = 0; shape[i] != '\0'; i++) {
		char c = text[i];

		if (shape[i] == '-') {
			if (c != '-')
				return spm__error_set(SPM_EINVAL,
					"spm_date_parse: expected '-' at offset %zu (format YYYY-MM-DD)", i);
			f++;
		} else if (c < '0' || c > '9') {
			return spm__error_set(SPM_EINVAL,
				"spm_date_parse: expected a digit at offset %zu (format YYYY-MM-DD)", i);
		} else {
			field[f] = field[f] * 10 + (c - '0');
		}
	}
	if (text[sizeof(shape) - 1] != '\0')
		return spm__error_set(SPM_EINVAL,
			"spm_date_parse: unexpected text after YYYY-MM-DD");
	return spm_date_from_ymd(out, field[0], field[1], field[2]);
}

/* Writes v in decimal, zero-padded to width; returns the end. v >= 0. */
static char *put_number(char *p, int64_t v, int width)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (width-- > n)
		*p++ = '0';
	while (n > 0)
		*p++ = digits[--n];
	return p;
}

static char *put_ymd(char *p, int64_t d)
{
	int64_t y, m, dd;

	civil_from_days(d, &y, &m, &dd);
	p = put_number(p, y, 4);
	*p++ = '-';
	p = put_number(p, m, 2);
	*p++ = '-';
	return put_number(p, dd, 2);
}

/* Copies the len bytes of text and a NUL into buf, or fails untouched. */
static int emit(char *buf, size_t size, const char *text, size_t len,
		const char *func)
{
	if (len + 1 > size)
		return spm__error_set(SPM_ERANGE,
			"%s: buffer of %zu bytes is too small (%zu needed)",
			func, size, len + 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = text[i];
	buf[len] = '\0';
	return SPM_OK;
}

int spm_date_format(char *buf, size_t size, spm_date d)
{
	char tmp[SPM_DATE_FORMAT_MAX];
	int rc;

	SPM__CHECK_ARG(buf);
	rc = check_date(d, __func__);
	if (rc != SPM_OK)
		return rc;
	return emit(buf, size, tmp, (size_t)(put_ymd(tmp, d) - tmp), __func__);
}

int spm_date_weekday(int *out, spm_date d)
{
	int rc;

	SPM__CHECK_ARG(out);
	rc = check_date(d, __func__);
	if (rc != SPM_OK)
		return rc;
	*out = (int)weekday0(d) + 1;
	return SPM_OK;
}

int spm_date_from_time(spm_date *out, spm_time t)
{
	SPM__CHECK_ARG(out);
	return store_date(out, floor_div(t, SECONDS_PER_DAY), __func__);
}

int spm_date_to_time(spm_time *out, spm_date d)
{
	int rc;

	SPM__CHECK_ARG(out);
	rc = check_date(d, __func__);
	if (rc != SPM_OK)
		return rc;
	*out = (spm_time)d * SECONDS_PER_DAY;
	return SPM_OK;
}

int spm_date_add_days(spm_date *out, spm_date d, int64_t days)
{
	int64_t r;
	int rc;

	SPM__CHECK_ARG(out);
	rc = check_date(d, __func__);
	if (rc != SPM_OK)
		return rc;
	if (__builtin_add_overflow((int64_t)d, days, &r))
		return spm__error_set(SPM_ERANGE,
			"spm_date_add_days: the result falls outside the years 1..9999");
	return store_date(out, r, __func__);
}

int spm_date_add_months(spm_date *out, spm_date d, int months)
{
	int64_t y, m, dd, idx, ny;
	int nm, last;
	int rc;

	SPM__CHECK_ARG(out);
	rc = check_date(d, __func__);
	if (rc != SPM_OK)
		return rc;
	civil_from_days(d, &y, &m, &dd);
	idx = y * 12 + m - 1 + months;
	ny = floor_div(idx, 12);
	nm = (int)floor_mod(idx, 12) + 1;
	if (ny < 1 || ny > 9999)
		return spm__error_set(SPM_ERANGE,
			"spm_date_add_months: the result falls outside the years 1..9999");
	last = days_in_month(ny, nm);
	return store_date(out, days_from_civil(ny, nm, dd < last ? dd : last),
			  __func__);
}

/* The fiscal year, by the calendar year its first day falls in, that
 * contains day d. */
static int64_t fiscal_start_year(int64_t d, unsigned int start_month)
{
	return floor_div(month_index(d) - (start_month - 1), 12);
}

static int64_t fiscal_year_start(int64_t fy, unsigned int start_month)
{
	return days_from_civil(fy, start_month, 1);
}

/* A week belongs to the fiscal year holding 4 or more of its days, which is
 * the year of its fourth day; week 1 is the week holding the year's first
 * day + 3. With a January start and Monday weeks this is ISO 8601. */
static void fiscal_week(int64_t *fy, int64_t *week, int64_t d,
			unsigned int start_month, unsigned int week_start_day)
{
	int64_t ws = week_start(d, week_start_day);
	int64_t y = fiscal_start_year(ws + 3, start_month);
	int64_t first = week_start(fiscal_year_start(y, start_month) + 3,
				   week_start_day);

	*fy = y;
	*week = (ws - first) / 7 + 1;
}

int spm_date_iso_week(int *out_year, int *out_week, spm_date d)
{
	int64_t y, w;
	int rc = check_date(d, __func__);

	if (rc != SPM_OK)
		return rc;
	fiscal_week(&y, &w, d, 1, 1);
	if (out_year != NULL)
		*out_year = (int)y;
	if (out_week != NULL)
		*out_week = (int)w;
	return SPM_OK;
}

int spm_calendar_init(spm_calendar *cal, unsigned int version)
{
	const spm_calendar defaults = SPM_CALENDAR_INIT;

	SPM__CHECK_ARG(cal);
	if (version == 0 || version > SPM_CALENDAR_VERSION)
		return spm__error_set(SPM_EVERSION,
			"spm_calendar_init: version %u is not supported (known: 1..%d)",
			version, SPM_CALENDAR_VERSION);
	*cal = defaults;
	cal->version = version;
	return SPM_OK;
}

/* Version 1 is the only one so far; a later version will read only the
 * fields that exist in cal->version. */
static int check_calendar(const spm_calendar *cal, const char *func)
{
	if (cal == NULL)
		return spm__error_set(SPM_EINVAL, "%s: cal must not be NULL", func);
	if (cal->version == 0 || cal->version > SPM_CALENDAR_VERSION)
		return spm__error_set(SPM_EVERSION,
			"%s: spm_calendar version %u is not supported (known: 1..%d)",
			func, (unsigned int)cal->version, SPM_CALENDAR_VERSION);
	if (cal->year_start_month < 1 || cal->year_start_month > 12)
		return spm__error_set(SPM_EINVAL,
			"%s: year_start_month %u is outside 1..12",
			func, cal->year_start_month);
	if (cal->week_start_day < 1 || cal->week_start_day > 7)
		return spm__error_set(SPM_EINVAL,
			"%s: week_start_day %u is outside 1 (Monday)..7 (Sunday)",
			func, cal->week_start_day);
	if (cal->name_by_end_year > 1)
		return spm__error_set(SPM_EINVAL,
			"%s: name_by_end_year must be 0 or 1, not %u",
			func, cal->name_by_end_year);
	return SPM_OK;
}

static int check_kind(spm_period_kind kind, const char *func)
{
	switch (kind) {
	case SPM_PERIOD_DAY:
	case SPM_PERIOD_WEEK:
	case SPM_PERIOD_MONTH:
	case SPM_PERIOD_QUARTER:
	case SPM_PERIOD_YEAR:
		return SPM_OK;
	}
	return spm__error_set(SPM_EINVAL, "%s: unknown period kind %d",
			      func, (int)kind);
}

/* The checks every period function starts with. */
static int check_period_args(const spm_calendar *cal, spm_period_kind kind,
			     int64_t d, const char *func)
{
	int rc = check_calendar(cal, func);

	if (rc == SPM_OK)
		rc = check_kind(kind, func);
	if (rc == SPM_OK)
		rc = check_date(d, func);
	return rc;
}

/* Day 1 of week index 0: the first week start on or after 1969-12-29. */
static int64_t week_reference(unsigned int week_start_day)
{
	return (int64_t)week_start_day - 1 - EPOCH_WEEKDAY;
}

static int64_t period_index(const spm_calendar *cal, spm_period_kind kind,
			    int64_t d)
{
	int64_t fiscal_month = month_index(d) - (cal->year_start_month - 1);

	switch (kind) {
	case SPM_PERIOD_DAY:
		return d;
	case SPM_PERIOD_WEEK:
		return floor_div(d - week_reference(cal->week_start_day), 7);
	case SPM_PERIOD_MONTH:
		return month_index(d);
	case SPM_PERIOD_QUARTER:
		return floor_div(fiscal_month, 3);
	case SPM_PERIOD_YEAR:
		return floor_div(fiscal_month, 12);
	}
	return 0;
}

static int64_t period_index_start(const spm_calendar *cal,
				  spm_period_kind kind, int64_t idx)
{
	int64_t offset = cal->year_start_month - 1;

	switch (kind) {
	case SPM_PERIOD_DAY:
		return idx;
	case SPM_PERIOD_WEEK:
		return idx * 7 + week_reference(cal->week_start_day);
	case SPM_PERIOD_MONTH:
		return month_index_start(idx);
	case SPM_PERIOD_QUARTER:
		return month_index_start(idx * 3 + offset);
	case SPM_PERIOD_YEAR:
		return month_index_start(idx * 12 + offset);
	}
	return 0;
}

int spm_period_bounds(spm_date *out_start, spm_date *out_end,
		      const spm_calendar *cal, spm_period_kind kind, spm_date d)
{
	int64_t idx, start, end;
	spm_date s = 0, e = 0;
	int rc = check_period_args(cal, kind, d, __func__);

	if (rc != SPM_OK)
		return rc;
	idx = period_index(cal, kind, d);
	start = period_index_start(cal, kind, idx);
	end = period_index_start(cal, kind, idx + 1) - 1;
	rc = store_date(&s, start, __func__);
	if (rc == SPM_OK)
		rc = store_date(&e, end, __func__);
	if (rc != SPM_OK)
		return rc;
	if (out_start != NULL)
		*out_start = s;
	if (out_end != NULL)
		*out_end = e;
	return SPM_OK;
}

/* The fiscal year (by its start year) and number of the period of d. */
static void period_number(int64_t *fy, int64_t *number, const spm_calendar *cal,
			  spm_period_kind kind, int64_t d)
{
	int64_t fiscal_month = month_index(d) - (cal->year_start_month - 1);

	*fy = floor_div(fiscal_month, 12);
	switch (kind) {
	case SPM_PERIOD_DAY:
		*number = d - fiscal_year_start(*fy, cal->year_start_month) + 1;
		break;
	case SPM_PERIOD_WEEK:
		fiscal_week(fy, number, d, cal->year_start_month,
			    cal->week_start_day);
		break;
	case SPM_PERIOD_MONTH:
		*number = floor_mod(fiscal_month, 12) + 1;
		break;
	case SPM_PERIOD_QUARTER:
		*number = floor_mod(fiscal_month, 12) / 3 + 1;
		break;
	case SPM_PERIOD_YEAR:
		*number = 1;
		break;
	}
}

/* A fiscal year starting in January is named by its only calendar year. */
static int64_t fiscal_label_year(const spm_calendar *cal, int64_t fy)
{
	return cal->name_by_end_year && cal->year_start_month != 1 ? fy + 1 : fy;
}

int spm_period_of(int *out_fiscal_year, int *out_number,
		  const spm_calendar *cal, spm_period_kind kind, spm_date d)
{
	int64_t fy, number;
	int rc = check_period_args(cal, kind, d, __func__);

	if (rc != SPM_OK)
		return rc;
	period_number(&fy, &number, cal, kind, d);
	if (out_fiscal_year != NULL)
		*out_fiscal_year = (int)fiscal_label_year(cal, fy);
	if (out_number != NULL)
		*out_number = (int)number;
	return SPM_OK;
}

int spm_period_shift(spm_date *out_start, const spm_calendar *cal,
		     spm_period_kind kind, spm_date d, int n)
{
	int rc;

	SPM__CHECK_ARG(out_start);
	rc = check_period_args(cal, kind, d, __func__);
	if (rc != SPM_OK)
		return rc;
	return store_date(out_start,
			  period_index_start(cal, kind, period_index(cal, kind, d) + n),
			  __func__);
}

int spm_period_count(int64_t *out, const spm_calendar *cal,
		     spm_period_kind kind, spm_date from, spm_date to)
{
	int rc;

	SPM__CHECK_ARG(out);
	rc = check_period_args(cal, kind, from, __func__);
	if (rc == SPM_OK)
		rc = check_date(to, __func__);
	if (rc != SPM_OK)
		return rc;
	*out = period_index(cal, kind, to) - period_index(cal, kind, from);
	return SPM_OK;
}

/* Calendar-year labels ("2026-Q1") for January starts, fiscal ones
 * ("FY2026-Q1", months numbered from the fiscal start) otherwise. */
static size_t render_label(char *tmp, const spm_calendar *cal,
			   spm_period_kind kind, int64_t d)
{
	static const char kind_letter[] = { 0, 0, 'W', 'M', 'Q', 0 };
	int calendar_year = cal->year_start_month == 1;
	int64_t fy, number;
	char *p = tmp;

	if (kind == SPM_PERIOD_DAY)
		return (size_t)(put_ymd(tmp, d) - tmp);
	period_number(&fy, &number, cal, kind, d);
	if (!calendar_year) {
		*p++ = 'F';
		*p++ = 'Y';
	}
	p = put_number(p, fiscal_label_year(cal, fy), 4);
	if (kind != SPM_PERIOD_YEAR) {
		*p++ = '-';
		if (!calendar_year || kind != SPM_PERIOD_MONTH)
			*p++ = kind_letter[kind];
		p = put_number(p, number, kind == SPM_PERIOD_QUARTER ? 1 : 2);
	}
	return (size_t)(p - tmp);
}

int spm_period_label(char *buf, size_t size, const spm_calendar *cal,
		     spm_period_kind kind, spm_date d)
{
	char tmp[SPM_PERIOD_LABEL_MAX];
	int rc;

	SPM__CHECK_ARG(buf);
	rc = check_period_args(cal, kind, d, __func__);
	if (rc != SPM_OK)
		return rc;
	return emit(buf, size, tmp, render_label(tmp, cal, kind, d), __func__);
}
