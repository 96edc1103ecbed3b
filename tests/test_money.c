/* Money primitives: currencies, overflow, rounding tables, splits and the
 * strict text forms (TESTING.md section G). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "spm/error.h"
#include "spm/money.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)

/* A failure returns the code, records it as the thread's last error with a
 * message, and leaves the output alone (checked by the callers). */
#define assert_fails(call, code)                                              \
	do {                                                                  \
		spm_error_clear();                                            \
		int rc_ = (call);                                             \
		cr_assert_eq(rc_, (code), "%s returned %s, expected %s",      \
			     #call, spm_result_name(rc_), spm_result_name(code)); \
		cr_assert_eq(spm_error_code(), (code), "%s: error code", #call); \
		cr_assert_neq(spm_error_message()[0], '\0', "%s: no message", #call); \
	} while (0)

/* ---- currencies ---- */

static const struct {
	char code[4];
	int exponent;
} iso4217[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
	{ "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
	{ "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
	{ "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
	{ "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
	{ "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
	{ "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "COU", 2 }, { "CRC", 2 }, { "CUC", 2 }, { "CUP", 2 }, { "CVE", 2 },
	{ "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 },
	{ "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 },
	{ "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 },
	{ "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 },
	{ "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 },
	{ "INR", 2 }, { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 },
	{ "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 },
	{ "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 },
	{ "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 },
	{ "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 },
	{ "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 },
	{ "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 },
	{ "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 },
	{ "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 },
	{ "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 },
	{ "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 }, { "RUB", 2 },
	{ "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 },
	{ "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SLL", 2 },
	{ "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 }, { "SVC", 2 },
	{ "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 }, { "TMT", 2 },
	{ "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 }, { "TWD", 2 },
	{ "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 }, { "USN", 2 },
	{ "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 }, { "VED", 2 },
	{ "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 }, { "XAF", 0 },
	{ "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 }, { "YER", 2 },
	{ "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};

Test(currency, every_active_code_has_its_iso_exponent)
{
	for (size_t i = 0; i < sizeof(iso4217) / sizeof(iso4217[0]); i++) {
		int e = -1;

		cr_assert_eq(spm_currency_exponent(&e, iso4217[i].code), SPM_OK,
			     "%s refused", iso4217[i].code);
		cr_assert_eq(e, iso4217[i].exponent, "%s: exponent %d",
			     iso4217[i].code, e);
		cr_assert_eq(spm_currency_valid(iso4217[i].code), 1, "%s",
			     iso4217[i].code);
	}
}

Test(currency, named_exponents)
{
	static const struct {
		const char *code;
		int exponent;
	} cases[] = {
		{ "JPY", 0 }, { "KRW", 0 }, { "USD", 2 }, { "EUR", 2 },
		{ "CNY", 2 }, { "KWD", 3 }, { "BHD", 3 }, { "JOD", 3 },
		{ "OMR", 3 }, { "TND", 3 }, { "CLF", 4 }, { "UYW", 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int e = -1;

		cr_assert_eq(spm_currency_exponent(&e, cases[i].code), SPM_OK);
		cr_assert_eq(e, cases[i].exponent, "%s", cases[i].code);
	}
}

Test(currency, malformed_unknown_and_non_currency_codes_are_refused)
{
	static const char *const bad[] = {
		"usd", "Usd", "US", "USDD", "XYZ", "", "U", "US ", " USD",
		"\xc3\x9cSD", "US\xff", "\x80\x80\x80", "U1D",
		/* metals, funds without minor units, test and "no currency" */
		"XAU", "XAG", "XPD", "XPT", "XXX", "XTS", "XDR", "XBA", "XSU",
		"XUA",
		/* withdrawn */
		"HRK", "ZWL", "DEM",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int e = 77;

		assert_fails(spm_currency_exponent(&e, bad[i]), SPM_EINVAL);
		cr_assert_eq(e, 77, "output changed for \"%s\"", bad[i]);
		cr_assert_eq(spm_currency_valid(bad[i]), 0, "\"%s\" valid", bad[i]);
	}
}

Test(currency, valid_never_sets_an_error)
{
	spm_error_clear();
	cr_assert_eq(spm_currency_valid(NULL), 0);
	cr_assert_eq(spm_currency_valid("usd"), 0);
	cr_assert_eq(spm_currency_valid("XYZ"), 0);
	cr_assert_eq(spm_error_code(), SPM_OK);
	cr_assert_str_eq(spm_error_message(), "");
}

Test(currency, null_arguments_are_einval)
{
	int e = 0;

	assert_fails(spm_currency_exponent(NULL, "USD"), SPM_EINVAL);
	assert_fails(spm_currency_exponent(&e, NULL), SPM_EINVAL);
}

/* ---- add, sub, mul ---- */

Test(money_arith, add_sub_mul_in_range)
{
	int64_t r = 0;

	cr_assert_eq(spm_money_add(&r, 150, -275), SPM_OK);
	cr_assert_eq(r, -125);
	cr_assert_eq(spm_money_add(&r, INT64_MAX, INT64_MIN), SPM_OK);
	cr_assert_eq(r, -1);
	cr_assert_eq(spm_money_add(&r, INT64_MAX - 1, 1), SPM_OK);
	cr_assert_eq(r, INT64_MAX);
	cr_assert_eq(spm_money_sub(&r, -1, INT64_MIN), SPM_OK);
	cr_assert_eq(r, INT64_MAX);
	cr_assert_eq(spm_money_sub(&r, INT64_MIN + 1, 1), SPM_OK);
	cr_assert_eq(r, INT64_MIN);
	cr_assert_eq(spm_money_mul(&r, -4611686018427387904, 2), SPM_OK);
	cr_assert_eq(r, INT64_MIN);
	cr_assert_eq(spm_money_mul(&r, INT64_MAX, -1), SPM_OK);
	cr_assert_eq(r, -INT64_MAX);
	cr_assert_eq(spm_money_mul(&r, 1999, 3), SPM_OK);
	cr_assert_eq(r, 5997);
}

Test(money_arith, overflow_at_int64_edges_is_reported_and_output_kept)
{
	int64_t r = SENTINEL;

	assert_fails(spm_money_add(&r, INT64_MAX, 1), SPM_EOVERFLOW);
	assert_fails(spm_money_add(&r, INT64_MIN, -1), SPM_EOVERFLOW);
	assert_fails(spm_money_add(&r, INT64_MAX, INT64_MAX), SPM_EOVERFLOW);
	assert_fails(spm_money_sub(&r, INT64_MIN, 1), SPM_EOVERFLOW);
	assert_fails(spm_money_sub(&r, 0, INT64_MIN), SPM_EOVERFLOW);
	assert_fails(spm_money_sub(&r, INT64_MAX, -1), SPM_EOVERFLOW);
	assert_fails(spm_money_mul(&r, INT64_MIN, -1), SPM_EOVERFLOW);
	assert_fails(spm_money_mul(&r, 4611686018427387904, 2), SPM_EOVERFLOW);
	assert_fails(spm_money_mul(&r, INT64_MAX, INT64_MAX), SPM_EOVERFLOW);
	cr_assert_eq(r, SENTINEL);
}

Test(money_arith, null_out_is_einval)
{
	assert_fails(spm_money_add(NULL, 1, 2), SPM_EINVAL);
	assert_fails(spm_money_sub(NULL, 1, 2), SPM_EINVAL);
	assert_fails(spm_money_mul(NULL, 1, 2), SPM_EINVAL);
	assert_fails(spm_money_mul_ratio(NULL, 1, 2, 3, SPM_ROUND_DOWN), SPM_EINVAL);
	assert_fails(spm_money_apply_rate(NULL, 1, 2, SPM_ROUND_DOWN), SPM_EINVAL);
}

/* ---- rounding ---- */

/* amount x 2%, so the exact result is amount / 50. */
static const struct {
	int64_t amount;
	int64_t expect[6]; /* indexed by spm_rounding */
} rate_table[] = {
	/*          HALF_EVEN HALF_UP DOWN UP FLOOR CEILING */
	{ 25,   {  0,  1,  0,  1,  0,  1 } },  /*  0.5  */
	{ 75,   {  2,  2,  1,  2,  1,  2 } },  /*  1.5  */
	{ 125,  {  2,  3,  2,  3,  2,  3 } },  /*  2.5  */
	{ 26,   {  1,  1,  0,  1,  0,  1 } },  /*  0.52 */
	{ 24,   {  0,  0,  0,  1,  0,  1 } },  /*  0.48 */
	{ 50,   {  1,  1,  1,  1,  1,  1 } },  /*  1    */
	{ 0,    {  0,  0,  0,  0,  0,  0 } },
	{ -25,  {  0, -1,  0, -1, -1,  0 } },  /* -0.5  */
	{ -75,  { -2, -2, -1, -2, -2, -1 } },  /* -1.5  */
	{ -125, { -2, -3, -2, -3, -3, -2 } },  /* -2.5  */
	{ -26,  { -1, -1,  0, -1, -1,  0 } },  /* -0.52 */
	{ -24,  {  0,  0,  0, -1, -1,  0 } },  /* -0.48 */
	{ -50,  { -1, -1, -1, -1, -1, -1 } },  /* -1    */
};

Test(rounding, two_percent_tie_table_for_every_mode)
{
	for (size_t i = 0; i < sizeof(rate_table) / sizeof(rate_table[0]); i++) {
		for (int mode = 0; mode < 6; mode++) {
			int64_t r = SENTINEL;

			cr_assert_eq(spm_money_apply_rate(&r, rate_table[i].amount,
							  20000, (spm_rounding)mode),
				     SPM_OK);
			cr_assert_eq(r, rate_table[i].expect[mode],
				     "%lld x 2%% mode %d gave %lld",
				     (long long)rate_table[i].amount, mode,
				     (long long)r);
		}
	}
}

Test(rounding, negative_rate_and_negative_amount_are_symmetric)
{
	for (size_t i = 0; i < sizeof(rate_table) / sizeof(rate_table[0]); i++) {
		int64_t a = 0, b = 0, c = 0;

		cr_assert_eq(spm_money_apply_rate(&a, rate_table[i].amount, 20000,
						  SPM_ROUND_HALF_UP), SPM_OK);
		cr_assert_eq(spm_money_apply_rate(&b, -rate_table[i].amount, -20000,
						  SPM_ROUND_HALF_UP), SPM_OK);
		cr_assert_eq(spm_money_apply_rate(&c, rate_table[i].amount, -20000,
						  SPM_ROUND_HALF_EVEN), SPM_OK);
		cr_assert_eq(a, b);
		cr_assert_eq(c, -rate_table[i].expect[SPM_ROUND_HALF_EVEN]);
	}
}

Test(rounding, mul_ratio_is_exact_before_the_single_rounding)
{
	int64_t r = 0;

	cr_assert_eq(spm_money_mul_ratio(&r, INT64_MAX, INT64_MAX, INT64_MAX,
					 SPM_ROUND_DOWN), SPM_OK);
	cr_assert_eq(r, INT64_MAX);
	cr_assert_eq(spm_money_mul_ratio(&r, INT64_MIN, INT64_MIN, INT64_MIN,
					 SPM_ROUND_DOWN), SPM_EINVAL);
	cr_assert_eq(spm_money_mul_ratio(&r, INT64_MIN, INT64_MAX, INT64_MAX,
					 SPM_ROUND_DOWN), SPM_OK);
	cr_assert_eq(r, INT64_MIN);
	/* 1/3 of 100 */
	cr_assert_eq(spm_money_mul_ratio(&r, 100, 1, 3, SPM_ROUND_HALF_EVEN), SPM_OK);
	cr_assert_eq(r, 33);
	cr_assert_eq(spm_money_mul_ratio(&r, 100, 2, 3, SPM_ROUND_HALF_EVEN), SPM_OK);
	cr_assert_eq(r, 67);
	cr_assert_eq(spm_money_mul_ratio(&r, -100, 2, 3, SPM_ROUND_CEILING), SPM_OK);
	cr_assert_eq(r, -66);
	cr_assert_eq(spm_money_mul_ratio(&r, 7, -1, 2, SPM_ROUND_FLOOR), SPM_OK);
	cr_assert_eq(r, -4);
}

Test(rounding, result_past_int64_is_eoverflow_per_mode)
{
	/* (2^32 + 1)(2^32 - 1) / 2 = INT64_MAX + 0.5 */
	const int64_t a = INT64_C(4294967297), b = INT64_C(4294967295);
	int64_t r = SENTINEL;

	cr_assert_eq(spm_money_mul_ratio(&r, a, b, 2, SPM_ROUND_DOWN), SPM_OK);
	cr_assert_eq(r, INT64_MAX);
	cr_assert_eq(spm_money_mul_ratio(&r, a, b, 2, SPM_ROUND_FLOOR), SPM_OK);
	cr_assert_eq(r, INT64_MAX);
	r = SENTINEL;
	assert_fails(spm_money_mul_ratio(&r, a, b, 2, SPM_ROUND_HALF_UP), SPM_EOVERFLOW);
	assert_fails(spm_money_mul_ratio(&r, a, b, 2, SPM_ROUND_HALF_EVEN), SPM_EOVERFLOW);
	assert_fails(spm_money_mul_ratio(&r, a, b, 2, SPM_ROUND_UP), SPM_EOVERFLOW);
	assert_fails(spm_money_mul_ratio(&r, a, b, 2, SPM_ROUND_CEILING), SPM_EOVERFLOW);
	cr_assert_eq(r, SENTINEL);
	/* Mirrored it is INT64_MIN + 0.5, so away from zero still fits. */
	cr_assert_eq(spm_money_mul_ratio(&r, -a, b, 2, SPM_ROUND_HALF_UP), SPM_OK);
	cr_assert_eq(r, INT64_MIN);
	cr_assert_eq(spm_money_mul_ratio(&r, -a, b, 2, SPM_ROUND_DOWN), SPM_OK);
	cr_assert_eq(r, -INT64_MAX);
}

Test(rounding, mul_ratio_and_apply_rate_overflow)
{
	int64_t r = SENTINEL;

	assert_fails(spm_money_mul_ratio(&r, INT64_MAX, 2, 1, SPM_ROUND_DOWN), SPM_EOVERFLOW);
	assert_fails(spm_money_mul_ratio(&r, INT64_MIN, -1, 1, SPM_ROUND_DOWN), SPM_EOVERFLOW);
	assert_fails(spm_money_mul_ratio(&r, INT64_MIN, INT64_MIN, 1, SPM_ROUND_DOWN), SPM_EOVERFLOW);
	assert_fails(spm_money_apply_rate(&r, INT64_MAX, SPM_PPM + 1, SPM_ROUND_DOWN), SPM_EOVERFLOW);
	assert_fails(spm_money_apply_rate(&r, INT64_MIN, -SPM_PPM, SPM_ROUND_DOWN), SPM_EOVERFLOW);
	assert_fails(spm_money_apply_rate(&r, INT64_MAX / 2, 3 * SPM_PPM, SPM_ROUND_DOWN), SPM_EOVERFLOW);
	cr_assert_eq(r, SENTINEL);
	cr_assert_eq(spm_money_apply_rate(&r, INT64_MAX, SPM_PPM, SPM_ROUND_DOWN), SPM_OK);
	cr_assert_eq(r, INT64_MAX);
	cr_assert_eq(spm_money_apply_rate(&r, INT64_MIN, SPM_PPM, SPM_ROUND_DOWN), SPM_OK);
	cr_assert_eq(r, INT64_MIN);
}

Test(rounding, bad_denominator_or_mode_is_einval)
{
	int64_t r = SENTINEL;

	assert_fails(spm_money_mul_ratio(&r, 100, 1, 0, SPM_ROUND_DOWN), SPM_EINVAL);
	assert_fails(spm_money_mul_ratio(&r, 100, 1, -3, SPM_ROUND_DOWN), SPM_EINVAL);
	assert_fails(spm_money_mul_ratio(&r, 100, 1, INT64_MIN, SPM_ROUND_DOWN), SPM_EINVAL);
	assert_fails(spm_money_mul_ratio(&r, 100, 1, 3, (spm_rounding)6), SPM_EINVAL);
	assert_fails(spm_money_mul_ratio(&r, 100, 1, 3, (spm_rounding)-1), SPM_EINVAL);
	assert_fails(spm_money_apply_rate(&r, 100, 1, (spm_rounding)42), SPM_EINVAL);
	cr_assert_eq(r, SENTINEL);
}

/* ---- split ---- */

static int64_t sum_of(const int64_t *v, size_t n)
{
	int64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

Test(split, seven_equal_parts_of_100000_01_sum_exactly)
{
	const int64_t w[7] = { 1, 1, 1, 1, 1, 1, 1 };
	const int64_t expect[7] = {
		1428572, 1428572, 1428572, 1428572, 1428571, 1428571, 1428571
	};
	int64_t parts[7];

	cr_assert_eq(spm_money_split(parts, 10000001, w, 7), SPM_OK);
	cr_assert_arr_eq(parts, expect, sizeof(expect));
	cr_assert_eq(sum_of(parts, 7), 10000001);
}

Test(split, weights_1_2_3_give_leftover_to_largest_remainder)
{
	const int64_t w[3] = { 1, 2, 3 };
	const int64_t expect[3] = { 17, 33, 50 };
	int64_t parts[3];

	cr_assert_eq(spm_money_split(parts, 100, w, 3), SPM_OK);
	cr_assert_arr_eq(parts, expect, sizeof(expect));
}

Test(split, largest_remainder_wins_over_lower_index)
{
	const int64_t w[2] = { 5, 2 };	/* 7.142..., 2.857... of 10 */
	const int64_t expect[2] = { 7, 3 };
	const int64_t w3[3] = { 1, 1, 1 };
	const int64_t expect3[3] = { 1, 1, 0 };
	int64_t parts[3];

	cr_assert_eq(spm_money_split(parts, 10, w, 2), SPM_OK);
	cr_assert_arr_eq(parts, expect, sizeof(expect));
	cr_assert_eq(spm_money_split(parts, 2, w3, 3), SPM_OK);
	cr_assert_arr_eq(parts, expect3, sizeof(expect3));
}

Test(split, negative_amount_is_the_negated_split)
{
	const int64_t w[3] = { 1, 2, 3 };
	const int64_t expect[3] = { -17, -33, -50 };
	const int64_t w7[7] = { 1, 1, 1, 1, 1, 1, 1 };
	int64_t parts[3], pos[7], neg[7];

	cr_assert_eq(spm_money_split(parts, -100, w, 3), SPM_OK);
	cr_assert_arr_eq(parts, expect, sizeof(expect));
	cr_assert_eq(spm_money_split(pos, 10000001, w7, 7), SPM_OK);
	cr_assert_eq(spm_money_split(neg, -10000001, w7, 7), SPM_OK);
	for (size_t i = 0; i < 7; i++)
		cr_assert_eq(neg[i], -pos[i]);
}

Test(split, int64_edges)
{
	const int64_t two[2] = { 1, 1 };
	const int64_t one[1] = { INT64_MAX };
	const int64_t half_min[2] = { INT64_MIN / 2, INT64_MIN / 2 };
	const int64_t half_max[2] = { INT64_MAX / 2 + 1, INT64_MAX / 2 };
	int64_t parts[2];

	cr_assert_eq(spm_money_split(parts, INT64_MIN, two, 2), SPM_OK);
	cr_assert_arr_eq(parts, half_min, sizeof(half_min));
	cr_assert_eq(spm_money_split(parts, INT64_MAX, two, 2), SPM_OK);
	cr_assert_arr_eq(parts, half_max, sizeof(half_max));
	cr_assert_eq(spm_money_split(parts, INT64_MIN, one, 1), SPM_OK);
	cr_assert_eq(parts[0], INT64_MIN);
	cr_assert_eq(spm_money_split(parts, INT64_MAX, one, 1), SPM_OK);
	cr_assert_eq(parts[0], INT64_MAX);
}

Test(split, many_uneven_weights_sum_exactly)
{
	static int64_t w[5000], parts[5000];
	uint32_t x = 12345;

	for (size_t i = 0; i < 5000; i++) {
		x = x * 1103515245u + 12345u;
		w[i] = 1 + (x >> 8) % 1000;
	}
	cr_assert_eq(spm_money_split(parts, 987654321, w, 5000), SPM_OK);
	cr_assert_eq(sum_of(parts, 5000), 987654321);
	cr_assert_eq(spm_money_split(parts, -3, w, 5000), SPM_OK);
	cr_assert_eq(sum_of(parts, 5000), -3);
}

Test(split, zero_negative_or_no_weights_are_refused_and_out_kept)
{
	const int64_t zero[3] = { 1, 0, 1 };
	const int64_t neg[3] = { 1, -1, 2 };
	const int64_t big[2] = { INT64_MAX, 1 };
	const int64_t big_then_zero[3] = { INT64_MAX, 1, 0 };
	const int64_t ok[3] = { 1, 1, 1 };
	int64_t parts[3] = { SENTINEL, SENTINEL, SENTINEL };
	const int64_t untouched[3] = { SENTINEL, SENTINEL, SENTINEL };

	assert_fails(spm_money_split(parts, 100, zero, 3), SPM_EINVAL);
	assert_fails(spm_money_split(parts, 100, neg, 3), SPM_EINVAL);
	assert_fails(spm_money_split(parts, 100, ok, 0), SPM_EINVAL);
	assert_fails(spm_money_split(parts, 100, big, 2), SPM_EOVERFLOW);
	assert_fails(spm_money_split(parts, 100, big_then_zero, 3), SPM_EINVAL);
	assert_fails(spm_money_split(parts, 100, NULL, 3), SPM_EINVAL);
	assert_fails(spm_money_split(NULL, 100, ok, 3), SPM_EINVAL);
	cr_assert_arr_eq(parts, untouched, sizeof(untouched));
}

/* ---- parse ---- */

struct parse_case {
	const char *text;
	const char *currency;
	int rc;
	int64_t value;
};

static const struct parse_case parse_cases[] = {
	{ "0", "USD", SPM_OK, 0 },
	{ "12", "USD", SPM_OK, 1200 },
	{ "1234.56", "USD", SPM_OK, 123456 },
	{ "1.5", "USD", SPM_OK, 150 },
	{ "-0.05", "USD", SPM_OK, -5 },
	{ "-0", "USD", SPM_OK, 0 },
	{ "007", "USD", SPM_OK, 700 },
	{ "1.5", "KWD", SPM_OK, 1500 },
	{ "1.234", "KWD", SPM_OK, 1234 },
	{ "1234", "JPY", SPM_OK, 1234 },
	{ "0.0001", "CLF", SPM_OK, 1 },
	{ "000000000000000000000000000001", "JPY", SPM_OK, 1 },
	{ "9223372036854775807", "JPY", SPM_OK, INT64_MAX },
	{ "-9223372036854775808", "JPY", SPM_OK, INT64_MIN },
	{ "92233720368547758.07", "USD", SPM_OK, INT64_MAX },
	{ "-92233720368547758.08", "USD", SPM_OK, INT64_MIN },
	{ "922337203685477.5807", "CLF", SPM_OK, INT64_MAX },

	{ "9223372036854775808", "JPY", SPM_EOVERFLOW, 0 },
	{ "-9223372036854775809", "JPY", SPM_EOVERFLOW, 0 },
	{ "18446744073709551615", "JPY", SPM_EOVERFLOW, 0 },
	{ "18446744073709551616", "JPY", SPM_EOVERFLOW, 0 },
	{ "99999999999999999999999999", "JPY", SPM_EOVERFLOW, 0 },
	{ "92233720368547758.08", "USD", SPM_EOVERFLOW, 0 },
	{ "-92233720368547758.09", "USD", SPM_EOVERFLOW, 0 },
	{ "92233720368547759", "USD", SPM_EOVERFLOW, 0 },

	{ "NaN", "USD", SPM_EINVAL, 0 },
	{ "nan", "USD", SPM_EINVAL, 0 },
	{ "Inf", "USD", SPM_EINVAL, 0 },
	{ "-inf", "USD", SPM_EINVAL, 0 },
	{ "Infinity", "USD", SPM_EINVAL, 0 },
	{ "1e5", "USD", SPM_EINVAL, 0 },
	{ "1E5", "USD", SPM_EINVAL, 0 },
	{ "1.5e2", "USD", SPM_EINVAL, 0 },
	{ "0x10", "USD", SPM_EINVAL, 0 },
	{ "1,000", "USD", SPM_EINVAL, 0 },
	{ "1,5", "EUR", SPM_EINVAL, 0 },
	{ "1 000", "USD", SPM_EINVAL, 0 },
	{ "1'000", "CHF", SPM_EINVAL, 0 },
	{ " 1", "USD", SPM_EINVAL, 0 },
	{ "1 ", "USD", SPM_EINVAL, 0 },
	{ "1\n", "USD", SPM_EINVAL, 0 },
	{ "\t1", "USD", SPM_EINVAL, 0 },
	{ "1.", "USD", SPM_EINVAL, 0 },
	{ ".5", "USD", SPM_EINVAL, 0 },
	{ "-.5", "USD", SPM_EINVAL, 0 },
	{ "1..2", "USD", SPM_EINVAL, 0 },
	{ "1.2.3", "USD", SPM_EINVAL, 0 },
	{ "+1", "USD", SPM_EINVAL, 0 },
	{ "--1", "USD", SPM_EINVAL, 0 },
	{ "-", "USD", SPM_EINVAL, 0 },
	{ "- 1", "USD", SPM_EINVAL, 0 },
	{ "", "USD", SPM_EINVAL, 0 },
	{ "12a", "USD", SPM_EINVAL, 0 },
	{ "$1", "USD", SPM_EINVAL, 0 },
	{ "1.-5", "USD", SPM_EINVAL, 0 },
	{ "\xd9\xa1", "USD", SPM_EINVAL, 0 },	/* ARABIC-INDIC DIGIT ONE */
	{ "\xef\xbc\x91", "USD", SPM_EINVAL, 0 },	/* FULLWIDTH DIGIT ONE */
	{ "1.001", "EUR", SPM_EINVAL, 0 },
	{ "1.5", "JPY", SPM_EINVAL, 0 },
	{ "1.0", "JPY", SPM_EINVAL, 0 },
	{ "1.2345", "KWD", SPM_EINVAL, 0 },
	{ "99999999999999999999.001", "EUR", SPM_EINVAL, 0 },
	{ "1", "XYZ", SPM_EINVAL, 0 },
	{ "1", "usd", SPM_EINVAL, 0 },
	{ "1", "", SPM_EINVAL, 0 },
	{ "1", "XAU", SPM_EINVAL, 0 },
};

Test(money_parse, strict_table_from_testing_g)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int64_t v = SENTINEL;
		int rc;

		spm_error_clear();
		rc = spm_money_parse(&v, c->text, c->currency);
		cr_assert_eq(rc, c->rc, "\"%s\" %s: %s, expected %s", c->text,
			     c->currency, spm_result_name(rc), spm_result_name(c->rc));
		if (c->rc == SPM_OK) {
			cr_assert_eq(v, c->value, "\"%s\" %s: %lld", c->text,
				     c->currency, (long long)v);
		} else {
			cr_assert_eq(v, SENTINEL, "\"%s\": output changed", c->text);
			cr_assert_eq(spm_error_code(), c->rc);
			cr_assert_neq(spm_error_message()[0], '\0');
		}
	}
}

Test(money_parse, embedded_nul_ends_the_text)
{
	const char text[] = "12\0.345";
	int64_t v = 0;

	cr_assert_eq(spm_money_parse(&v, text, "USD"), SPM_OK);
	cr_assert_eq(v, 1200);
}

Test(money_parse, null_arguments_are_einval)
{
	int64_t v = SENTINEL;

	assert_fails(spm_money_parse(NULL, "1", "USD"), SPM_EINVAL);
	assert_fails(spm_money_parse(&v, NULL, "USD"), SPM_EINVAL);
	assert_fails(spm_money_parse(&v, "1", NULL), SPM_EINVAL);
	cr_assert_eq(v, SENTINEL);
}

/* ---- format ---- */

Test(money_format, examples)
{
	static const struct {
		int64_t amount;
		const char *currency;
		const char *text;
	} cases[] = {
		{ 123456, "USD", "1234.56" },
		{ -5, "USD", "-0.05" },
		{ 0, "USD", "0.00" },
		{ 150, "EUR", "1.50" },
		{ -100, "EUR", "-1.00" },
		{ 1234, "JPY", "1234" },
		{ -7, "KRW", "-7" },
		{ 1234, "KWD", "1.234" },
		{ 1500, "KWD", "1.500" },
		{ 1, "CLF", "0.0001" },
		{ INT64_MAX, "USD", "92233720368547758.07" },
		{ INT64_MIN, "USD", "-92233720368547758.08" },
		{ INT64_MIN, "JPY", "-9223372036854775808" },
		{ INT64_MAX, "JPY", "9223372036854775807" },
		{ INT64_MIN, "CLF", "-922337203685477.5808" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[SPM_MONEY_FORMAT_MAX];

		cr_assert_eq(spm_money_format(buf, sizeof(buf), cases[i].amount,
					      cases[i].currency), SPM_OK);
		cr_assert_str_eq(buf, cases[i].text);
	}
}

Test(money_format, round_trips_through_parse_at_int64_edges)
{
	static const char *const currencies[] = { "JPY", "USD", "KWD", "CLF" };
	static const int64_t amounts[] = {
		INT64_MIN, INT64_MIN + 1, -1000, -1, 0, 1, 9, 10, 999,
		INT64_MAX - 1, INT64_MAX,
	};

	for (size_t c = 0; c < 4; c++) {
		for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
			char buf[SPM_MONEY_FORMAT_MAX];
			int64_t back = SENTINEL;

			cr_assert_eq(spm_money_format(buf, sizeof(buf), amounts[i],
						      currencies[c]), SPM_OK);
			cr_assert_eq(spm_money_parse(&back, buf, currencies[c]), SPM_OK,
				     "%s %s", buf, currencies[c]);
			cr_assert_eq(back, amounts[i], "%s %s", buf, currencies[c]);
		}
	}
}

Test(money_format, small_buffer_is_erange_and_untouched)
{
	char buf[8];

	cr_assert_eq(spm_money_format(buf, 8, 123456, "USD"), SPM_OK);
	cr_assert_str_eq(buf, "1234.56");
	memset(buf, 'X', sizeof(buf));
	assert_fails(spm_money_format(buf, 7, 123456, "USD"), SPM_ERANGE);
	assert_fails(spm_money_format(buf, 0, 0, "USD"), SPM_ERANGE);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 'X');
}

Test(money_format, bad_currency_or_null_is_einval)
{
	char buf[SPM_MONEY_FORMAT_MAX] = "keep";

	assert_fails(spm_money_format(buf, sizeof(buf), 1, "usd"), SPM_EINVAL);
	assert_fails(spm_money_format(buf, sizeof(buf), 1, "XXX"), SPM_EINVAL);
	assert_fails(spm_money_format(buf, sizeof(buf), 1, NULL), SPM_EINVAL);
	assert_fails(spm_money_format(NULL, 10, 1, "USD"), SPM_EINVAL);
	cr_assert_str_eq(buf, "keep");
}

/* ---- rates ---- */

Test(rate_parse, fractions_and_percentages)
{
	static const struct {
		const char *text;
		int64_t ppm;
	} cases[] = {
		{ "0.125", 125000 }, { "12.5%", 125000 }, { "-0.02", -20000 },
		{ "2%", 20000 }, { "-12.5%", -125000 }, { "1", 1000000 },
		{ "100%", 1000000 }, { "0", 0 }, { "0%", 0 },
		{ "0.000001", 1 }, { "0.0001%", 1 }, { "1.5", 1500000 },
		{ "9223372036854.775807", INT64_MAX },
		{ "-9223372036854.775808", INT64_MIN },
		{ "922337203685477.5807%", INT64_MAX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = SENTINEL;

		cr_assert_eq(spm_rate_parse(&v, cases[i].text), SPM_OK, "\"%s\"",
			     cases[i].text);
		cr_assert_eq(v, cases[i].ppm, "\"%s\": %lld", cases[i].text,
			     (long long)v);
	}
}

Test(rate_parse, malformed_or_too_precise_is_refused)
{
	static const char *const bad[] = {
		"0.0000001", "0.00001%", "%", "12.%", ".5%", "12.5 %", "12.5%%",
		"%12", "+1", "1e-2", "", " 0.1", "0.1 ", ".5", "5.", "NaN",
		"inf", "0,5", "0x1", "--1", "1..2", "12.5%x", "1/2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = SENTINEL;

		assert_fails(spm_rate_parse(&v, bad[i]), SPM_EINVAL);
		cr_assert_eq(v, SENTINEL, "\"%s\"", bad[i]);
	}
}

Test(rate_parse, overflow_and_null)
{
	int64_t v = SENTINEL;

	assert_fails(spm_rate_parse(&v, "9223372036854.775808"), SPM_EOVERFLOW);
	assert_fails(spm_rate_parse(&v, "-9223372036854.775809"), SPM_EOVERFLOW);
	assert_fails(spm_rate_parse(&v, "922337203685477.5808%"), SPM_EOVERFLOW);
	assert_fails(spm_rate_parse(&v, "100000000000000000000"), SPM_EOVERFLOW);
	assert_fails(spm_rate_parse(&v, NULL), SPM_EINVAL);
	assert_fails(spm_rate_parse(NULL, "1"), SPM_EINVAL);
	cr_assert_eq(v, SENTINEL);
}

Test(rate_format, trims_trailing_zeros_and_round_trips)
{
	static const struct {
		int64_t ppm;
		const char *text;
	} cases[] = {
		{ 125000, "0.125" }, { 20000, "0.02" }, { -20000, "-0.02" },
		{ 1000000, "1" }, { -1000000, "-1" }, { 0, "0" },
		{ 1, "0.000001" }, { -1, "-0.000001" }, { 1500000, "1.5" },
		{ 12345678, "12.345678" },
		{ INT64_MAX, "9223372036854.775807" },
		{ INT64_MIN, "-9223372036854.775808" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[SPM_RATE_FORMAT_MAX];
		int64_t back = SENTINEL;

		cr_assert_eq(spm_rate_format(buf, sizeof(buf), cases[i].ppm), SPM_OK);
		cr_assert_str_eq(buf, cases[i].text);
		cr_assert_eq(spm_rate_parse(&back, buf), SPM_OK);
		cr_assert_eq(back, cases[i].ppm);
	}
}

Test(rate_format, small_buffer_is_erange_and_null_is_einval)
{
	char buf[6];

	cr_assert_eq(spm_rate_format(buf, 6, 125000), SPM_OK);
	cr_assert_str_eq(buf, "0.125");
	memset(buf, 'X', sizeof(buf));
	assert_fails(spm_rate_format(buf, 5, 125000), SPM_ERANGE);
	assert_fails(spm_rate_format(buf, 0, 0), SPM_ERANGE);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 'X');
	assert_fails(spm_rate_format(NULL, 6, 0), SPM_EINVAL);
}
