/* Civil dates, ISO weeks and fiscal periods. Expected values were computed
 * independently (Python's datetime and by hand). */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "spm/calendar.h"
#include "spm/error.h"

#define DATE_MIN (-719162)	/* 0001-01-01 */
#define DATE_MAX 2932896	/* 9999-12-31 */
#define SENTINEL 0x5a5a5a5a

#define assert_fails(call, code)                                              \
	do {                                                                  \
		spm_error_clear();                                            \
		int rc_ = (call);                                             \
		cr_assert_eq(rc_, (code), "%s returned %s, expected %s",      \
			     #call, spm_result_name(rc_), spm_result_name(code)); \
		cr_assert_eq(spm_error_code(), (code), "%s: error code", #call); \
		cr_assert_neq(spm_error_message()[0], '\0', "%s: no message", #call); \
	} while (0)

static spm_date ymd(int y, int m, int d)
{
	spm_date out = SENTINEL;

	cr_assert_eq(spm_date_from_ymd(&out, y, m, d), SPM_OK, "%04d-%02d-%02d", y, m, d);
	return out;
}

static spm_calendar calendar(unsigned start_month, unsigned week_day,
			     unsigned by_end)
{
	spm_calendar cal = SPM_CALENDAR_INIT;

	cal.year_start_month = start_month;
	cal.week_start_day = week_day;
	cal.name_by_end_year = by_end;
	return cal;
}

/* ---- dates ---- */

Test(date, known_day_numbers)
{
	cr_assert_eq(ymd(1970, 1, 1), 0);
	cr_assert_eq(ymd(1969, 12, 31), -1);
	cr_assert_eq(ymd(2000, 3, 1), 11017);
	cr_assert_eq(ymd(2024, 2, 29), 19782);
	cr_assert_eq(ymd(2026, 3, 5), 20517);
	cr_assert_eq(ymd(1, 1, 1), DATE_MIN);
	cr_assert_eq(ymd(9999, 12, 31), DATE_MAX);
}

Test(date, leap_days)
{
	spm_date d = SENTINEL;

	cr_assert_eq(spm_date_from_ymd(&d, 2024, 2, 29), SPM_OK);
	cr_assert_eq(spm_date_from_ymd(&d, 2000, 2, 29), SPM_OK);
	cr_assert_eq(d, 11016);
	d = SENTINEL;
	assert_fails(spm_date_from_ymd(&d, 2023, 2, 29), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 1900, 2, 29), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 2024, 2, 30), SPM_EINVAL);
	cr_assert_eq(d, SENTINEL);
}

Test(date, impossible_dates_are_einval_and_years_beyond_range_erange)
{
	spm_date d = SENTINEL;

	assert_fails(spm_date_from_ymd(&d, 2026, 13, 1), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 2026, 0, 1), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 2026, 4, 31), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 2026, 1, 32), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 2026, 1, 0), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 2026, 1, -1), SPM_EINVAL);
	assert_fails(spm_date_from_ymd(&d, 0, 1, 1), SPM_ERANGE);
	assert_fails(spm_date_from_ymd(&d, 10000, 1, 1), SPM_ERANGE);
	assert_fails(spm_date_from_ymd(&d, INT_MIN, 1, 1), SPM_ERANGE);
	assert_fails(spm_date_from_ymd(NULL, 2026, 1, 1), SPM_EINVAL);
	cr_assert_eq(d, SENTINEL);
}

Test(date, every_day_of_years_1_to_9999_round_trips)
{
	int y = 1, m = 1, dd = 1;

	for (int64_t d = DATE_MIN; d <= DATE_MAX; d++) {
		int ry, rm, rd;

		cr_assert_eq(spm_date_to_ymd(&ry, &rm, &rd, (spm_date)d), SPM_OK);
		if (ry != y || rm != m || rd != dd)
			cr_assert_fail("%lld is %d-%d-%d, expected %d-%d-%d",
				       (long long)d, ry, rm, rd, y, m, dd);
		/* step the expected civil date by hand */
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		int len = m == 2 ? 28 + leap : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;

		if (++dd > len) {
			dd = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	cr_assert_eq(y, 10000);
}

Test(date, to_ymd_accepts_null_outputs_and_refuses_out_of_range)
{
	int y = 0, m = 0, d = 0;

	cr_assert_eq(spm_date_to_ymd(NULL, NULL, NULL, 0), SPM_OK);
	cr_assert_eq(spm_date_to_ymd(NULL, &m, NULL, 20517), SPM_OK);
	cr_assert_eq(m, 3);
	m = 0;
	assert_fails(spm_date_to_ymd(&y, &m, &d, DATE_MIN - 1), SPM_ERANGE);
	assert_fails(spm_date_to_ymd(&y, &m, &d, DATE_MAX + 1), SPM_ERANGE);
	assert_fails(spm_date_to_ymd(&y, &m, &d, SPM_DATE_NONE), SPM_ERANGE);
	assert_fails(spm_date_to_ymd(&y, &m, &d, INT32_MAX), SPM_ERANGE);
	cr_assert(y == 0 && m == 0 && d == 0);
}

Test(date, parse_strict_yyyy_mm_dd)
{
	static const struct {
		const char *text;
		int rc;
	} bad[] = {
		{ "2026-3-05", SPM_EINVAL }, { "2026-03-5", SPM_EINVAL },
		{ "26-03-05", SPM_EINVAL }, { "2026/03/05", SPM_EINVAL },
		{ "2026-03-05T00:00", SPM_EINVAL }, { "2026-03-05Z", SPM_EINVAL },
		{ " 2026-03-05", SPM_EINVAL }, { "2026-03-05 ", SPM_EINVAL },
		{ "", SPM_EINVAL }, { "2026", SPM_EINVAL }, { "2026-03", SPM_EINVAL },
		{ "20260305", SPM_EINVAL }, { "+026-03-05", SPM_EINVAL },
		{ "-026-03-05", SPM_EINVAL }, { "2026-03-0a", SPM_EINVAL },
		{ "2026-\xef\xbc\x90" "3-05", SPM_EINVAL },
		{ "02026-03-05", SPM_EINVAL },
		{ "2026-02-30", SPM_EINVAL }, { "2023-02-29", SPM_EINVAL },
		{ "2026-13-01", SPM_EINVAL }, { "2026-00-10", SPM_EINVAL },
		{ "2026-01-00", SPM_EINVAL }, { "0000-01-01", SPM_ERANGE },
	};
	spm_date d = SENTINEL;

	cr_assert_eq(spm_date_parse(&d, "2026-03-05"), SPM_OK);
	cr_assert_eq(d, 20517);
	cr_assert_eq(spm_date_parse(&d, "0001-01-01"), SPM_OK);
	cr_assert_eq(d, DATE_MIN);
	cr_assert_eq(spm_date_parse(&d, "9999-12-31"), SPM_OK);
	cr_assert_eq(d, DATE_MAX);
	d = SENTINEL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_fails(spm_date_parse(&d, bad[i].text), bad[i].rc);
		cr_assert_eq(d, SENTINEL, "\"%s\"", bad[i].text);
	}
	assert_fails(spm_date_parse(&d, NULL), SPM_EINVAL);
	assert_fails(spm_date_parse(NULL, "2026-03-05"), SPM_EINVAL);
}

Test(date, format_and_buffer_size)
{
	char buf[SPM_DATE_FORMAT_MAX];

	cr_assert_eq(spm_date_format(buf, sizeof(buf), 0), SPM_OK);
	cr_assert_str_eq(buf, "1970-01-01");
	cr_assert_eq(spm_date_format(buf, sizeof(buf), DATE_MIN), SPM_OK);
	cr_assert_str_eq(buf, "0001-01-01");
	cr_assert_eq(spm_date_format(buf, sizeof(buf), DATE_MAX), SPM_OK);
	cr_assert_str_eq(buf, "9999-12-31");
	cr_assert_eq(spm_date_format(buf, sizeof(buf), 20517), SPM_OK);
	cr_assert_str_eq(buf, "2026-03-05");
	memset(buf, 'X', sizeof(buf));
	assert_fails(spm_date_format(buf, 10, 0), SPM_ERANGE);
	assert_fails(spm_date_format(buf, 0, 0), SPM_ERANGE);
	assert_fails(spm_date_format(buf, sizeof(buf), SPM_DATE_NONE), SPM_ERANGE);
	assert_fails(spm_date_format(buf, sizeof(buf), DATE_MAX + 1), SPM_ERANGE);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 'X');
	assert_fails(spm_date_format(NULL, 11, 0), SPM_EINVAL);
}

Test(date, weekday_is_iso)
{
	int w = 0;

	cr_assert_eq(spm_date_weekday(&w, 0), SPM_OK);
	cr_assert_eq(w, 4);	/* Thursday */
	cr_assert_eq(spm_date_weekday(&w, -1), SPM_OK);
	cr_assert_eq(w, 3);
	cr_assert_eq(spm_date_weekday(&w, ymd(2021, 1, 3)), SPM_OK);
	cr_assert_eq(w, 7);
	cr_assert_eq(spm_date_weekday(&w, ymd(2021, 1, 4)), SPM_OK);
	cr_assert_eq(w, 1);
	cr_assert_eq(spm_date_weekday(&w, DATE_MIN), SPM_OK);
	cr_assert_eq(w, 1);	/* 0001-01-01 was a Monday */
	cr_assert_eq(spm_date_weekday(&w, DATE_MAX), SPM_OK);
	cr_assert_eq(w, 5);
	w = 0;
	assert_fails(spm_date_weekday(&w, SPM_DATE_NONE), SPM_ERANGE);
	assert_fails(spm_date_weekday(NULL, 0), SPM_EINVAL);
	cr_assert_eq(w, 0);
}

Test(date, from_time_floors_negative_instants)
{
	static const struct {
		spm_time t;
		spm_date d;
	} cases[] = {
		{ 0, 0 }, { 1, 0 }, { 86399, 0 }, { 86400, 1 }, { -1, -1 },
		{ -86399, -1 }, { -86400, -1 }, { -86401, -2 },
		{ INT64_C(1772668800), 20517 },	/* 2026-03-05T00:00:00Z */
		{ INT64_C(-62135596800), DATE_MIN },
		{ INT64_C(253402300799), DATE_MAX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		spm_date d = SENTINEL;

		cr_assert_eq(spm_date_from_time(&d, cases[i].t), SPM_OK);
		cr_assert_eq(d, cases[i].d, "t=%lld gave %d",
			     (long long)cases[i].t, (int)d);
	}
}

Test(date, from_time_out_of_range)
{
	spm_date d = SENTINEL;

	assert_fails(spm_date_from_time(&d, INT64_C(-62135596801)), SPM_ERANGE);
	assert_fails(spm_date_from_time(&d, INT64_C(253402300800)), SPM_ERANGE);
	assert_fails(spm_date_from_time(&d, INT64_MIN), SPM_ERANGE);
	assert_fails(spm_date_from_time(&d, INT64_MAX), SPM_ERANGE);
	assert_fails(spm_date_from_time(NULL, 0), SPM_EINVAL);
	cr_assert_eq(d, SENTINEL);
}

Test(date, to_time_is_midnight_utc)
{
	spm_time t = 7;

	cr_assert_eq(spm_date_to_time(&t, 0), SPM_OK);
	cr_assert_eq(t, 0);
	cr_assert_eq(spm_date_to_time(&t, -1), SPM_OK);
	cr_assert_eq(t, -86400);
	cr_assert_eq(spm_date_to_time(&t, 20517), SPM_OK);
	cr_assert_eq(t, INT64_C(1772668800));
	cr_assert_eq(spm_date_to_time(&t, DATE_MIN), SPM_OK);
	cr_assert_eq(t, INT64_C(-62135596800));
	cr_assert_eq(spm_date_to_time(&t, DATE_MAX), SPM_OK);
	cr_assert_eq(t, INT64_C(253402214400));
	t = 7;
	assert_fails(spm_date_to_time(&t, SPM_DATE_NONE), SPM_ERANGE);
	assert_fails(spm_date_to_time(NULL, 0), SPM_EINVAL);
	cr_assert_eq(t, 7);
}

Test(date, add_days)
{
	spm_date d = SENTINEL;

	cr_assert_eq(spm_date_add_days(&d, ymd(2024, 2, 28), 1), SPM_OK);
	cr_assert_eq(d, ymd(2024, 2, 29));
	cr_assert_eq(spm_date_add_days(&d, ymd(2026, 1, 1), -1), SPM_OK);
	cr_assert_eq(d, ymd(2025, 12, 31));
	cr_assert_eq(spm_date_add_days(&d, DATE_MIN, DATE_MAX - DATE_MIN), SPM_OK);
	cr_assert_eq(d, DATE_MAX);
	d = SENTINEL;
	assert_fails(spm_date_add_days(&d, DATE_MAX, 1), SPM_ERANGE);
	assert_fails(spm_date_add_days(&d, DATE_MIN, -1), SPM_ERANGE);
	assert_fails(spm_date_add_days(&d, 0, INT64_MAX), SPM_ERANGE);
	assert_fails(spm_date_add_days(&d, 0, INT64_MIN), SPM_ERANGE);
	assert_fails(spm_date_add_days(&d, SPM_DATE_NONE, 0), SPM_ERANGE);
	assert_fails(spm_date_add_days(NULL, 0, 1), SPM_EINVAL);
	cr_assert_eq(d, SENTINEL);
}

Test(date, add_months_clamps_to_month_end)
{
	static const struct {
		int y, m, d, n, ey, em, ed;
	} cases[] = {
		{ 2026, 1, 31, 1, 2026, 2, 28 },
		{ 2024, 1, 31, 1, 2024, 2, 29 },
		{ 2024, 3, 31, -1, 2024, 2, 29 },
		{ 2026, 3, 31, 1, 2026, 4, 30 },
		{ 2026, 12, 15, 1, 2027, 1, 15 },
		{ 2026, 1, 15, -1, 2025, 12, 15 },
		{ 2026, 1, 15, 12, 2027, 1, 15 },
		{ 2024, 2, 29, 12, 2025, 2, 28 },
		{ 2024, 2, 29, 48, 2028, 2, 29 },
		{ 2026, 5, 10, -125, 2015, 12, 10 },
		{ 2026, 5, 10, 0, 2026, 5, 10 },
		{ 9999, 11, 30, 1, 9999, 12, 30 },
		{ 1, 2, 28, -1, 1, 1, 28 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		spm_date d = SENTINEL;

		cr_assert_eq(spm_date_add_months(&d, ymd(cases[i].y, cases[i].m,
							 cases[i].d), cases[i].n),
			     SPM_OK);
		cr_assert_eq(d, ymd(cases[i].ey, cases[i].em, cases[i].ed), "case %zu", i);
	}
}

Test(date, add_months_out_of_range)
{
	spm_date d = SENTINEL;

	assert_fails(spm_date_add_months(&d, ymd(9999, 12, 1), 1), SPM_ERANGE);
	assert_fails(spm_date_add_months(&d, ymd(1, 1, 31), -1), SPM_ERANGE);
	assert_fails(spm_date_add_months(&d, 0, INT_MAX), SPM_ERANGE);
	assert_fails(spm_date_add_months(&d, 0, INT_MIN), SPM_ERANGE);
	assert_fails(spm_date_add_months(&d, SPM_DATE_NONE, 1), SPM_ERANGE);
	assert_fails(spm_date_add_months(NULL, 0, 1), SPM_EINVAL);
	cr_assert_eq(d, SENTINEL);
}

/* ---- ISO weeks ---- */

Test(iso_week, year_boundaries_and_week_53)
{
	static const struct {
		int y, m, d, iy, iw;
	} cases[] = {
		{ 2020, 12, 31, 2020, 53 }, { 2021, 1, 3, 2020, 53 },
		{ 2021, 1, 4, 2021, 1 }, { 2026, 12, 31, 2026, 53 },
		{ 2026, 3, 5, 2026, 10 }, { 2024, 12, 31, 2025, 1 },
		{ 1969, 12, 31, 1970, 1 }, { 1, 1, 1, 1, 1 },
		{ 1, 12, 31, 2, 1 }, { 1583, 1, 1, 1582, 52 },
		{ 1900, 12, 31, 1901, 1 }, { 2000, 1, 1, 1999, 52 },
		{ 2005, 1, 1, 2004, 53 }, { 2008, 12, 29, 2009, 1 },
		{ 2010, 1, 3, 2009, 53 }, { 2016, 1, 1, 2015, 53 },
		{ 2101, 1, 1, 2100, 52 }, { 9999, 1, 1, 9998, 53 },
		{ 9999, 12, 31, 9999, 52 },
		/* ordinary weeks from a seeded random sample */
		{ 3719, 10, 13, 3719, 41 }, { 1733, 4, 21, 1733, 17 },
		{ 4535, 1, 4, 4535, 1 }, { 7476, 2, 3, 7476, 5 },
		{ 555, 7, 6, 555, 27 }, { 832, 11, 2, 832, 45 },
		{ 9432, 3, 17, 9432, 11 }, { 6154, 11, 15, 6154, 46 },
		{ 1081, 12, 18, 1081, 50 }, { 987, 12, 29, 987, 52 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int iy = 0, iw = 0;

		cr_assert_eq(spm_date_iso_week(&iy, &iw, ymd(cases[i].y, cases[i].m,
							    cases[i].d)), SPM_OK);
		cr_assert(iy == cases[i].iy && iw == cases[i].iw,
			  "%04d-%02d-%02d gave %d-W%02d", cases[i].y, cases[i].m,
			  cases[i].d, iy, iw);
	}
}

Test(iso_week, null_outputs_and_range)
{
	int w = 0;

	cr_assert_eq(spm_date_iso_week(NULL, &w, ymd(2021, 1, 3)), SPM_OK);
	cr_assert_eq(w, 53);
	cr_assert_eq(spm_date_iso_week(NULL, NULL, 0), SPM_OK);
	assert_fails(spm_date_iso_week(NULL, &w, SPM_DATE_NONE), SPM_ERANGE);
	assert_fails(spm_date_iso_week(NULL, &w, DATE_MAX + 1), SPM_ERANGE);
	cr_assert_eq(w, 53);
}

/* ---- calendar struct ---- */

Test(calendar, init_fills_defaults)
{
	spm_calendar cal = { 0, 0, 0, 9 };
	const spm_calendar def = SPM_CALENDAR_INIT;

	cr_assert_eq(spm_calendar_init(&cal, SPM_CALENDAR_VERSION), SPM_OK);
	cr_assert_eq(cal.version, 1);
	cr_assert_eq(cal.year_start_month, 1);
	cr_assert_eq(cal.week_start_day, 1);
	cr_assert_eq(cal.name_by_end_year, 0);
	cr_assert_eq(memcmp(&cal, &def, sizeof(cal)), 0);
}

Test(calendar, init_refuses_unknown_versions)
{
	spm_calendar cal = { 0, 0, 0, 9 };

	assert_fails(spm_calendar_init(&cal, 0), SPM_EVERSION);
	assert_fails(spm_calendar_init(&cal, 99), SPM_EVERSION);
	assert_fails(spm_calendar_init(&cal, 2), SPM_EVERSION);
	assert_fails(spm_calendar_init(NULL, 1), SPM_EINVAL);
	cr_assert_eq(cal.name_by_end_year, 9);
}

Test(calendar, every_function_validates_the_calendar)
{
	spm_calendar v0 = calendar(1, 1, 0), v99 = calendar(1, 1, 0);
	spm_calendar bad_week = calendar(1, 8, 0), zero_week = calendar(1, 0, 0);
	spm_calendar bad_month = calendar(13, 1, 0), zero_month = calendar(0, 1, 0);
	spm_calendar bad_name = calendar(4, 1, 2);
	const spm_calendar ok = SPM_CALENDAR_INIT;
	spm_date s = SENTINEL, e = SENTINEL;
	int fy = 0, num = 0;
	int64_t count = 0;
	char buf[SPM_PERIOD_LABEL_MAX] = "keep";

	v0.version = 0;
	v99.version = 99;
	assert_fails(spm_period_bounds(&s, &e, &v0, SPM_PERIOD_MONTH, 0), SPM_EVERSION);
	assert_fails(spm_period_bounds(&s, &e, &v99, SPM_PERIOD_MONTH, 0), SPM_EVERSION);
	assert_fails(spm_period_of(&fy, &num, &v99, SPM_PERIOD_MONTH, 0), SPM_EVERSION);
	assert_fails(spm_period_shift(&s, &v0, SPM_PERIOD_MONTH, 0, 1), SPM_EVERSION);
	assert_fails(spm_period_count(&count, &v99, SPM_PERIOD_MONTH, 0, 1), SPM_EVERSION);
	assert_fails(spm_period_label(buf, sizeof(buf), &v0, SPM_PERIOD_MONTH, 0), SPM_EVERSION);
	assert_fails(spm_period_bounds(&s, &e, &bad_week, SPM_PERIOD_WEEK, 0), SPM_EINVAL);
	assert_fails(spm_period_of(&fy, &num, &zero_week, SPM_PERIOD_WEEK, 0), SPM_EINVAL);
	assert_fails(spm_period_shift(&s, &bad_month, SPM_PERIOD_QUARTER, 0, 1), SPM_EINVAL);
	assert_fails(spm_period_count(&count, &zero_month, SPM_PERIOD_YEAR, 0, 1), SPM_EINVAL);
	assert_fails(spm_period_label(buf, sizeof(buf), &bad_name, SPM_PERIOD_YEAR, 0), SPM_EINVAL);
	assert_fails(spm_period_bounds(&s, &e, NULL, SPM_PERIOD_DAY, 0), SPM_EINVAL);
	assert_fails(spm_period_of(&fy, &num, NULL, SPM_PERIOD_DAY, 0), SPM_EINVAL);
	/* unknown kinds */
	assert_fails(spm_period_bounds(&s, &e, &ok, (spm_period_kind)0, 0), SPM_EINVAL);
	assert_fails(spm_period_of(&fy, &num, &ok, (spm_period_kind)6, 0), SPM_EINVAL);
	assert_fails(spm_period_shift(&s, &ok, (spm_period_kind)-1, 0, 1), SPM_EINVAL);
	assert_fails(spm_period_count(&count, &ok, (spm_period_kind)99, 0, 1), SPM_EINVAL);
	assert_fails(spm_period_label(buf, sizeof(buf), &ok, (spm_period_kind)0, 0), SPM_EINVAL);
	/* NULL outputs where one is required */
	assert_fails(spm_period_shift(NULL, &ok, SPM_PERIOD_DAY, 0, 1), SPM_EINVAL);
	assert_fails(spm_period_count(NULL, &ok, SPM_PERIOD_DAY, 0, 1), SPM_EINVAL);
	assert_fails(spm_period_label(NULL, 16, &ok, SPM_PERIOD_DAY, 0), SPM_EINVAL);
	/* out-of-range dates */
	assert_fails(spm_period_bounds(&s, &e, &ok, SPM_PERIOD_DAY, SPM_DATE_NONE), SPM_ERANGE);
	assert_fails(spm_period_count(&count, &ok, SPM_PERIOD_DAY, 0, SPM_DATE_NONE), SPM_ERANGE);
	cr_assert(s == SENTINEL && e == SENTINEL && fy == 0 && num == 0 && count == 0);
	cr_assert_str_eq(buf, "keep");
}

/* ---- periods ---- */

static void assert_bounds(const spm_calendar *cal, spm_period_kind kind,
			  spm_date d, spm_date start, spm_date end)
{
	spm_date s = SENTINEL, e = SENTINEL;

	cr_assert_eq(spm_period_bounds(&s, &e, cal, kind, d), SPM_OK);
	cr_assert(s == start && e == end, "kind %d of %d: [%d, %d], expected [%d, %d]",
		  (int)kind, (int)d, (int)s, (int)e, (int)start, (int)end);
}

static void assert_period_of(const spm_calendar *cal, spm_period_kind kind,
			     spm_date d, int fiscal_year, int number)
{
	int fy = 0, n = 0;

	cr_assert_eq(spm_period_of(&fy, &n, cal, kind, d), SPM_OK);
	cr_assert(fy == fiscal_year && n == number, "kind %d of %d: %d/%d, expected %d/%d",
		  (int)kind, (int)d, fy, n, fiscal_year, number);
}

static void assert_label(const spm_calendar *cal, spm_period_kind kind,
			 spm_date d, const char *expect)
{
	char buf[SPM_PERIOD_LABEL_MAX];

	cr_assert_eq(spm_period_label(buf, sizeof(buf), cal, kind, d), SPM_OK);
	cr_assert_str_eq(buf, expect);
}

Test(period, quarter_boundary_with_january_start)
{
	const spm_calendar cal = SPM_CALENDAR_INIT;

	assert_bounds(&cal, SPM_PERIOD_QUARTER, ymd(2026, 3, 31),
		      ymd(2026, 1, 1), ymd(2026, 3, 31));
	assert_bounds(&cal, SPM_PERIOD_QUARTER, ymd(2026, 4, 1),
		      ymd(2026, 4, 1), ymd(2026, 6, 30));
	assert_period_of(&cal, SPM_PERIOD_QUARTER, ymd(2026, 3, 31), 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_QUARTER, ymd(2026, 4, 1), 2026, 2);
	assert_period_of(&cal, SPM_PERIOD_QUARTER, ymd(2026, 12, 31), 2026, 4);
	assert_label(&cal, SPM_PERIOD_QUARTER, ymd(2026, 3, 31), "2026-Q1");
	assert_label(&cal, SPM_PERIOD_QUARTER, ymd(2026, 4, 1), "2026-Q2");
}

Test(period, january_start_bounds_and_numbers)
{
	const spm_calendar cal = SPM_CALENDAR_INIT;
	const spm_date d = ymd(2026, 3, 5);

	assert_bounds(&cal, SPM_PERIOD_DAY, d, d, d);
	assert_bounds(&cal, SPM_PERIOD_WEEK, d, ymd(2026, 3, 2), ymd(2026, 3, 8));
	assert_bounds(&cal, SPM_PERIOD_MONTH, d, ymd(2026, 3, 1), ymd(2026, 3, 31));
	assert_bounds(&cal, SPM_PERIOD_MONTH, ymd(2024, 2, 10), ymd(2024, 2, 1), ymd(2024, 2, 29));
	assert_bounds(&cal, SPM_PERIOD_YEAR, d, ymd(2026, 1, 1), ymd(2026, 12, 31));
	assert_period_of(&cal, SPM_PERIOD_DAY, d, 2026, 64);
	assert_period_of(&cal, SPM_PERIOD_DAY, ymd(2024, 12, 31), 2024, 366);
	assert_period_of(&cal, SPM_PERIOD_WEEK, d, 2026, 10);
	assert_period_of(&cal, SPM_PERIOD_MONTH, d, 2026, 3);
	assert_period_of(&cal, SPM_PERIOD_YEAR, d, 2026, 1);
}

Test(period, january_monday_weeks_equal_iso_weeks)
{
	const spm_calendar cal = SPM_CALENDAR_INIT;

	for (spm_date d = ymd(1999, 12, 1); d <= ymd(2031, 1, 31); d++) {
		int iy, iw, fy, n;

		cr_assert_eq(spm_date_iso_week(&iy, &iw, d), SPM_OK);
		cr_assert_eq(spm_period_of(&fy, &n, &cal, SPM_PERIOD_WEEK, d), SPM_OK);
		if (iy != fy || iw != n)
			cr_assert_fail("day %d: ISO %d-W%d, period %d-W%d", (int)d,
				       iy, iw, fy, n);
	}
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2021, 1, 3), 2020, 53);
	assert_label(&cal, SPM_PERIOD_WEEK, ymd(2021, 1, 3), "2020-W53");
	assert_label(&cal, SPM_PERIOD_WEEK, ymd(2026, 12, 31), "2026-W53");
}

Test(period, fiscal_year_starting_in_april)
{
	const spm_calendar cal = calendar(4, 1, 0);
	const spm_calendar by_end = calendar(4, 1, 1);
	const spm_date first = ymd(2026, 4, 1), last = ymd(2027, 3, 31);

	assert_period_of(&cal, SPM_PERIOD_YEAR, first, 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_QUARTER, first, 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_MONTH, first, 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_DAY, first, 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_QUARTER, last, 2026, 4);
	assert_period_of(&cal, SPM_PERIOD_MONTH, last, 2026, 12);
	assert_period_of(&cal, SPM_PERIOD_DAY, last, 2026, 365);
	assert_period_of(&cal, SPM_PERIOD_QUARTER, ymd(2026, 3, 31), 2025, 4);
	assert_period_of(&by_end, SPM_PERIOD_YEAR, first, 2027, 1);
	assert_period_of(&by_end, SPM_PERIOD_QUARTER, last, 2027, 4);
	assert_period_of(&by_end, SPM_PERIOD_MONTH, last, 2027, 12);
	assert_bounds(&cal, SPM_PERIOD_YEAR, ymd(2026, 1, 15), ymd(2025, 4, 1), ymd(2026, 3, 31));
	assert_bounds(&cal, SPM_PERIOD_YEAR, first, first, last);
	assert_bounds(&cal, SPM_PERIOD_QUARTER, ymd(2026, 5, 15), first, ymd(2026, 6, 30));
	assert_bounds(&cal, SPM_PERIOD_QUARTER, ymd(2027, 2, 1), ymd(2027, 1, 1), last);
	assert_bounds(&cal, SPM_PERIOD_MONTH, last, ymd(2027, 3, 1), last);
}

Test(period, fiscal_weeks_belong_to_the_year_holding_four_days)
{
	const spm_calendar cal = calendar(4, 1, 0);

	/* FY2026 starts on Wednesday 2026-04-01, so the week of Monday
	 * 2026-03-30 holds 5 of its days and is its week 1. */
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 30), 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 4, 5), 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 4, 6), 2026, 2);
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 29), 2025, 52);
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 7, 1), 2026, 14);
	assert_label(&cal, SPM_PERIOD_WEEK, ymd(2026, 7, 1), "FY2026-W14");
	assert_label(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 29), "FY2025-W52");
}

Test(period, week_starting_sunday)
{
	const spm_calendar cal = calendar(1, 7, 0);

	assert_bounds(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 5), ymd(2026, 3, 1), ymd(2026, 3, 7));
	assert_bounds(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 1), ymd(2026, 3, 1), ymd(2026, 3, 7));
	assert_bounds(&cal, SPM_PERIOD_WEEK, ymd(2026, 2, 28), ymd(2026, 2, 22), ymd(2026, 2, 28));
	/* 2026-01-04 is the first Sunday holding 4+ days of 2026 */
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 1, 4), 2026, 1);
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 1, 3), 2025, 53);
	assert_period_of(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 5), 2026, 9);
	assert_label(&cal, SPM_PERIOD_WEEK, ymd(2026, 3, 5), "2026-W09");
	assert_label(&cal, SPM_PERIOD_WEEK, ymd(2026, 1, 1), "2025-W53");
}

Test(period, labels)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	const spm_calendar apr = calendar(4, 1, 0);
	const spm_calendar apr_end = calendar(4, 1, 1);
	const spm_date d = ymd(2026, 3, 5);

	assert_label(&jan, SPM_PERIOD_DAY, d, "2026-03-05");
	assert_label(&jan, SPM_PERIOD_WEEK, d, "2026-W10");
	assert_label(&jan, SPM_PERIOD_WEEK, ymd(2026, 2, 26), "2026-W09");
	assert_label(&jan, SPM_PERIOD_MONTH, d, "2026-03");
	assert_label(&jan, SPM_PERIOD_QUARTER, d, "2026-Q1");
	assert_label(&jan, SPM_PERIOD_YEAR, d, "2026");
	assert_label(&apr, SPM_PERIOD_DAY, d, "2026-03-05");
	assert_label(&apr, SPM_PERIOD_MONTH, ymd(2026, 4, 1), "FY2026-M01");
	assert_label(&apr, SPM_PERIOD_MONTH, ymd(2027, 3, 31), "FY2026-M12");
	assert_label(&apr_end, SPM_PERIOD_MONTH, ymd(2027, 3, 31), "FY2027-M12");
	assert_label(&apr, SPM_PERIOD_QUARTER, ymd(2026, 4, 1), "FY2026-Q1");
	assert_label(&apr, SPM_PERIOD_QUARTER, d, "FY2025-Q4");
	assert_label(&apr, SPM_PERIOD_YEAR, d, "FY2025");
	assert_label(&apr_end, SPM_PERIOD_YEAR, d, "FY2026");
	assert_label(&jan, SPM_PERIOD_YEAR, DATE_MIN, "0001");
	assert_label(&jan, SPM_PERIOD_DAY, DATE_MAX, "9999-12-31");
}

Test(period, label_buffer_too_small_is_erange_and_untouched)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	const spm_calendar apr = calendar(4, 1, 0);
	char buf[SPM_PERIOD_LABEL_MAX];
	const spm_date d = ymd(2026, 7, 1);

	cr_assert_eq(spm_period_label(buf, 8, &jan, SPM_PERIOD_QUARTER, d), SPM_OK);
	cr_assert_str_eq(buf, "2026-Q3");
	cr_assert_eq(spm_period_label(buf, 11, &apr, SPM_PERIOD_WEEK, d), SPM_OK);
	cr_assert_str_eq(buf, "FY2026-W14");
	memset(buf, 'X', sizeof(buf));
	assert_fails(spm_period_label(buf, 7, &jan, SPM_PERIOD_QUARTER, d), SPM_ERANGE);
	assert_fails(spm_period_label(buf, 10, &apr, SPM_PERIOD_WEEK, d), SPM_ERANGE);
	assert_fails(spm_period_label(buf, 0, &jan, SPM_PERIOD_YEAR, d), SPM_ERANGE);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 'X');
}

static void assert_shift(const spm_calendar *cal, spm_period_kind kind,
			 spm_date d, int n, spm_date expect)
{
	spm_date s = SENTINEL;

	cr_assert_eq(spm_period_shift(&s, cal, kind, d, n), SPM_OK);
	cr_assert_eq(s, expect, "kind %d, %d shifted by %d: %d, expected %d",
		     (int)kind, (int)d, n, (int)s, (int)expect);
}

Test(period, shift_across_year_ends_and_backwards)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	const spm_calendar apr = calendar(4, 1, 0);
	const spm_calendar sun = calendar(1, 7, 0);

	assert_shift(&jan, SPM_PERIOD_DAY, ymd(2026, 12, 31), 1, ymd(2027, 1, 1));
	assert_shift(&jan, SPM_PERIOD_DAY, ymd(2026, 1, 1), -1, ymd(2025, 12, 31));
	assert_shift(&jan, SPM_PERIOD_WEEK, ymd(2026, 12, 31), 1, ymd(2027, 1, 4));
	assert_shift(&jan, SPM_PERIOD_WEEK, ymd(2026, 12, 31), -1, ymd(2026, 12, 21));
	assert_shift(&jan, SPM_PERIOD_WEEK, ymd(2026, 12, 31), 0, ymd(2026, 12, 28));
	assert_shift(&sun, SPM_PERIOD_WEEK, ymd(2026, 3, 5), -2, ymd(2026, 2, 15));
	assert_shift(&jan, SPM_PERIOD_MONTH, ymd(2026, 12, 15), 1, ymd(2027, 1, 1));
	assert_shift(&jan, SPM_PERIOD_MONTH, ymd(2026, 12, 15), -12, ymd(2025, 12, 1));
	assert_shift(&jan, SPM_PERIOD_MONTH, ymd(2026, 1, 31), -1, ymd(2025, 12, 1));
	assert_shift(&jan, SPM_PERIOD_QUARTER, ymd(2026, 11, 15), 1, ymd(2027, 1, 1));
	assert_shift(&jan, SPM_PERIOD_QUARTER, ymd(2026, 11, 15), -4, ymd(2025, 10, 1));
	assert_shift(&apr, SPM_PERIOD_QUARTER, ymd(2026, 2, 10), 1, ymd(2026, 4, 1));
	assert_shift(&apr, SPM_PERIOD_QUARTER, ymd(2026, 2, 10), -1, ymd(2025, 10, 1));
	assert_shift(&apr, SPM_PERIOD_YEAR, ymd(2026, 2, 10), -1, ymd(2024, 4, 1));
	assert_shift(&apr, SPM_PERIOD_YEAR, ymd(2026, 2, 10), 1, ymd(2026, 4, 1));
	assert_shift(&jan, SPM_PERIOD_YEAR, ymd(2026, 6, 10), 0, ymd(2026, 1, 1));
}

Test(period, shift_out_of_range_is_erange)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	spm_date s = SENTINEL;

	assert_fails(spm_period_shift(&s, &jan, SPM_PERIOD_YEAR, ymd(9999, 6, 1), 1), SPM_ERANGE);
	assert_fails(spm_period_shift(&s, &jan, SPM_PERIOD_DAY, DATE_MIN, -1), SPM_ERANGE);
	assert_fails(spm_period_shift(&s, &jan, SPM_PERIOD_MONTH, 0, INT_MAX), SPM_ERANGE);
	assert_fails(spm_period_shift(&s, &jan, SPM_PERIOD_YEAR, 0, INT_MIN), SPM_ERANGE);
	assert_fails(spm_period_shift(&s, &jan, SPM_PERIOD_WEEK, 0, INT_MAX), SPM_ERANGE);
	cr_assert_eq(s, SENTINEL);
	assert_shift(&jan, SPM_PERIOD_YEAR, ymd(9999, 6, 1), -9998, DATE_MIN);
}

Test(period, count_between_periods)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	const spm_calendar apr = calendar(4, 1, 0);
	const spm_calendar sun = calendar(1, 7, 0);
	int64_t n = 99;

	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_MONTH, ymd(2026, 1, 15), ymd(2026, 4, 1)), SPM_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_MONTH, ymd(2026, 4, 30), ymd(2026, 1, 1)), SPM_OK);
	cr_assert_eq(n, -3);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_MONTH, ymd(2026, 4, 1), ymd(2026, 4, 30)), SPM_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_DAY, ymd(2024, 1, 1), ymd(2025, 1, 1)), SPM_OK);
	cr_assert_eq(n, 366);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_WEEK, ymd(2026, 3, 1), ymd(2026, 3, 2)), SPM_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(spm_period_count(&n, &sun, SPM_PERIOD_WEEK, ymd(2026, 3, 1), ymd(2026, 3, 2)), SPM_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_WEEK, ymd(2020, 12, 31), ymd(2021, 1, 4)), SPM_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(spm_period_count(&n, &apr, SPM_PERIOD_QUARTER, ymd(2026, 3, 31), ymd(2026, 4, 1)), SPM_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_QUARTER, ymd(2026, 3, 31), ymd(2026, 4, 1)), SPM_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_QUARTER, ymd(2026, 2, 1), ymd(2026, 3, 31)), SPM_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(spm_period_count(&n, &apr, SPM_PERIOD_YEAR, ymd(2026, 3, 31), ymd(2026, 4, 1)), SPM_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_YEAR, ymd(2026, 3, 31), ymd(2026, 4, 1)), SPM_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_YEAR, DATE_MAX, DATE_MIN), SPM_OK);
	cr_assert_eq(n, -9998);
	cr_assert_eq(spm_period_count(&n, &jan, SPM_PERIOD_DAY, DATE_MIN, DATE_MAX), SPM_OK);
	cr_assert_eq(n, DATE_MAX - DATE_MIN);
}

Test(period, count_agrees_with_shift)
{
	const spm_calendar cal = calendar(7, 3, 0);
	const spm_date from = ymd(2019, 8, 17);

	for (spm_period_kind k = SPM_PERIOD_DAY; k <= SPM_PERIOD_YEAR; k++) {
		for (int n = -30; n <= 30; n++) {
			spm_date s;
			int64_t c;

			cr_assert_eq(spm_period_shift(&s, &cal, k, from, n), SPM_OK);
			cr_assert_eq(spm_period_count(&c, &cal, k, from, s), SPM_OK);
			cr_assert_eq(c, n, "kind %d shift %d counted %lld", (int)k, n,
				     (long long)c);
		}
	}
}

Test(period, year_1_and_9999_edges)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	const spm_calendar apr = calendar(4, 1, 0);
	const spm_calendar sun = calendar(1, 7, 0);
	spm_date s = SENTINEL, e = SENTINEL;

	assert_bounds(&jan, SPM_PERIOD_YEAR, DATE_MAX, ymd(9999, 1, 1), DATE_MAX);
	assert_bounds(&jan, SPM_PERIOD_YEAR, DATE_MIN, DATE_MIN, ymd(1, 12, 31));
	assert_bounds(&jan, SPM_PERIOD_WEEK, DATE_MIN, DATE_MIN, ymd(1, 1, 7));
	assert_bounds(&jan, SPM_PERIOD_DAY, DATE_MAX, DATE_MAX, DATE_MAX);
	/* periods reaching past the range */
	assert_fails(spm_period_bounds(&s, &e, &apr, SPM_PERIOD_YEAR, DATE_MAX), SPM_ERANGE);
	assert_fails(spm_period_bounds(&s, &e, &apr, SPM_PERIOD_YEAR, DATE_MIN), SPM_ERANGE);
	assert_bounds(&apr, SPM_PERIOD_QUARTER, DATE_MIN, DATE_MIN, ymd(1, 3, 31));
	assert_fails(spm_period_bounds(&s, &e, &sun, SPM_PERIOD_WEEK, DATE_MIN), SPM_ERANGE);
	assert_fails(spm_period_bounds(&s, &e, &jan, SPM_PERIOD_WEEK, DATE_MAX), SPM_ERANGE);
	assert_fails(spm_period_bounds(&s, &e, &jan, SPM_PERIOD_DAY, DATE_MAX + 1), SPM_ERANGE);
	assert_fails(spm_period_bounds(&s, &e, &jan, SPM_PERIOD_DAY, DATE_MIN - 1), SPM_ERANGE);
	cr_assert(s == SENTINEL && e == SENTINEL);
	/* numbering still works where the period leaves the range */
	assert_period_of(&apr, SPM_PERIOD_MONTH, DATE_MAX, 9999, 9);
	assert_period_of(&jan, SPM_PERIOD_WEEK, DATE_MAX, 9999, 52);
}

Test(period, bounds_accepts_null_outputs)
{
	const spm_calendar jan = SPM_CALENDAR_INIT;
	spm_date e = SENTINEL;
	int n = 0;

	cr_assert_eq(spm_period_bounds(NULL, &e, &jan, SPM_PERIOD_MONTH, ymd(2024, 2, 3)), SPM_OK);
	cr_assert_eq(e, ymd(2024, 2, 29));
	cr_assert_eq(spm_period_bounds(NULL, NULL, &jan, SPM_PERIOD_MONTH, 0), SPM_OK);
	cr_assert_eq(spm_period_of(NULL, &n, &jan, SPM_PERIOD_MONTH, ymd(2024, 2, 3)), SPM_OK);
	cr_assert_eq(n, 2);
}

Test(period, every_start_month_tiles_the_fiscal_year_into_four_quarters)
{
	for (unsigned sm = 1; sm <= 12; sm++) {
		const spm_calendar cal = calendar(sm, 1, 0);
		spm_date ys, ye, d;
		int expect_q = 1;

		cr_assert_eq(spm_period_bounds(&ys, &ye, &cal, SPM_PERIOD_YEAR,
					       ymd(2026, 6, 15)), SPM_OK);
		cr_assert_eq(ys, ymd(sm <= 6 ? 2026 : 2025, (int)sm, 1));
		for (d = ys; d <= ye; expect_q++) {
			spm_date qs, qe;
			int fy, q, yfy, yn;

			cr_assert_eq(spm_period_bounds(&qs, &qe, &cal, SPM_PERIOD_QUARTER, d), SPM_OK);
			cr_assert_eq(qs, d);
			cr_assert_eq(spm_period_of(&fy, &q, &cal, SPM_PERIOD_QUARTER, qe), SPM_OK);
			cr_assert_eq(spm_period_of(&yfy, &yn, &cal, SPM_PERIOD_YEAR, qe), SPM_OK);
			cr_assert_eq(fy, yfy);
			cr_assert_eq(yn, 1);
			cr_assert_eq(q, expect_q, "start month %u", sm);
			d = qe + 1;
		}
		cr_assert_eq(expect_q, 5, "start month %u", sm);
		cr_assert_eq(d, ye + 1);
	}
}
