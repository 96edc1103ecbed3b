/* libFuzzer target for exact money (TESTING.md §D): the parsers and the
 * arithmetic of money.h against an independent reference written here in
 * a different way (digits kept as text and compared, 128-bit products
 * rounded from floor quotient and remainder), because a round trip alone
 * would accept "1.001 EUR" read as 10.01.
 *
 * The first byte selects the check:
 *  0 spm_money_parse: status and value equal the reference's for a
 *    currency picked by the second byte and the rest as text; an accepted
 *    text formats back to the canonical form of its digits;
 *  1 spm_rate_parse: the same for rates (fractions and percentages);
 *  2 spm_money_format / spm_rate_format of an int64 from the input: the
 *    text equals the reference's and parses back to the same value;
 *  3 spm_money_mul_ratio / spm_money_apply_rate in every rounding mode;
 *  4 spm_money_add / _sub / _mul: overflow reported exactly when the true
 *    result leaves int64_t;
 *  5 spm_money_split: the parts equal the reference's largest-remainder
 *    split (and so sum to the amount).
 * On error the outputs must be untouched and the message non-empty.
 * Linked with replay_main.c it is a plain program that replays files and
 * directories of inputs (the corpus replay in every CI run). */
#include "spm/error.h"
#include "spm/money.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__extension__ typedef __int128 i128;  /* gcc and clang; not ISO C */

static const uint8_t *in_data;
static size_t in_size;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_money: %s\n  input (%zu bytes):", what, in_size);
	for (size_t i = 0; i < in_size && i < 64; i++)
		fprintf(stderr, " %02x", in_data[i]);
	fprintf(stderr, "\n  last error: %s\n", spm_error_message());
	abort();
}

/* A failing call keeps its output and says why. */
static void check_refusal(int rc, int64_t out, int64_t sentinel)
{
	if (rc == SPM_OK)
		return;
	if (out != sentinel)
		fail("an output was written on error");
	if (spm_error_message()[0] == '\0')
		fail("an error without a message");
}

static int64_t take_i64(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++) {
		v = v << 8 | (*n ? **p : 0);
		if (*n) {
			(*p)++;
			(*n)--;
		}
	}
	return (int64_t)v;
}

/* ---- the reference parser: a sign, digits, '.', digits, a suffix ---- */

#define REF_OK 0
#define REF_BAD 1
#define REF_BIG 2

/* Reads "-?D+(.D{1,maxdec})?suffix" with suffix "" or "%"; the value
 * scaled by 10^scale in *out (scale >= number of decimals read). */
static int ref_decimal(int64_t *out, const char *s, int maxdec, int scale, int percent)
{
	const char *p = s, *int_start, *frac_start = NULL;
	size_t nint, nfrac = 0;
	int neg = 0;
	char digits[64];
	size_t nd = 0;
	i128 v = 0, limit;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	int_start = p;
	while (*p >= '0' && *p <= '9')
		p++;
	nint = (size_t)(p - int_start);
	if (nint == 0)
		return REF_BAD;
	if (*p == '.') {
		frac_start = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		nfrac = (size_t)(p - frac_start);
		if (nfrac == 0 || nfrac > (size_t)maxdec)
			return REF_BAD;
	}
	if (percent) {
		if (*p != '%')
			return REF_BAD;
		p++;
	}
	if (*p != '\0')
		return REF_BAD;
	/* significant digits: the integer part without leading zeros, then the
	 * decimals padded to scale */
	while (nint > 1 && *int_start == '0') {
		int_start++;
		nint--;
	}
	if (nint + (size_t)scale > 30)
		return REF_BIG;  /* at least 10^(31-1) minor units: far beyond int64 */
	memcpy(digits, int_start, nint);
	nd = nint;
	for (int i = 0; i < scale; i++)
		digits[nd++] = (size_t)i < nfrac ? frac_start[i] : '0';
	for (size_t i = 0; i < nd; i++)
		v = v * 10 + (digits[i] - '0');
	limit = neg ? -(i128)INT64_MIN : (i128)INT64_MAX;
	if (v > limit)
		return REF_BIG;
	*out = (int64_t)(neg ? -v : v);
	return REF_OK;
}

/* ---- formatting: the reference writes the magnitude's digits and inserts
 * the point ---- */

static void ref_format(char *buf, size_t cap, int64_t v, int exp, int trim)
{
	char digits[32];
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int nd = 0, pos = 0;

	do {
		digits[nd++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	while (nd <= exp)
		digits[nd++] = '0';
	if (v < 0)
		buf[pos++] = '-';
	for (int i = nd - 1; i >= exp; i--)
		buf[pos++] = digits[i];
	if (exp > 0) {
		int last = 0;  /* lowest decimal kept */

		if (trim)
			while (last < exp && digits[last] == '0')
				last++;
		if (last < exp) {
			buf[pos++] = '.';
			for (int i = exp - 1; i >= last; i--)
				buf[pos++] = digits[i];
		}
	}
	buf[pos] = '\0';
	(void)cap;
}

static const char *const currencies[] = { "USD", "JPY", "KWD", "CLF", "EUR", "CNY",
					  "usd", "XXX", "", "US" };
#define NCURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

static void text_of(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';  /* an embedded NUL ends the text for both parsers */
}

static void check_money_parse(const uint8_t *p, size_t n)
{
	char text[128], back[SPM_MONEY_FORMAT_MAX], canon[SPM_MONEY_FORMAT_MAX];
	const char *cur;
	int64_t got = 0x5a5a, want = 0, again = 0;
	int exp, rc, ref;

	if (n == 0)
		return;
	cur = currencies[p[0] % NCURRENCIES];
	text_of(text, sizeof(text), p + 1, n - 1);
	rc = spm_money_parse(&got, text, cur);
	check_refusal(rc, got, 0x5a5a);
	if (spm_currency_exponent(&exp, cur) != SPM_OK) {
		if (rc != SPM_EINVAL)
			fail("money parse accepted an unknown currency");
		return;
	}
	ref = ref_decimal(&want, text, exp, exp, 0);
	if (ref == REF_BAD && rc != SPM_EINVAL)
		fail("money parse accepted malformed text");
	if (ref == REF_BIG && rc != SPM_EOVERFLOW)
		fail("money parse did not report an overflow");
	if (ref != REF_OK)
		return;
	if (rc != SPM_OK)
		fail("money parse refused a well-formed amount");
	if (got != want)
		fail("money parse gave a different value");
	if (spm_money_format(back, sizeof(back), got, cur) != SPM_OK)
		fail("money format refused a parsed amount");
	ref_format(canon, sizeof(canon), got, exp, 0);
	if (strcmp(back, canon) != 0)
		fail("money format differs from the reference");
	if (spm_money_parse(&again, back, cur) != SPM_OK || again != got)
		fail("money format did not parse back");
}

static void check_rate_parse(const uint8_t *p, size_t n)
{
	char text[128], back[SPM_RATE_FORMAT_MAX];
	int64_t got = 0x5a5a, want = 0, again = 0;
	int rc, ref;
	size_t len;

	text_of(text, sizeof(text), p, n);
	rc = spm_rate_parse(&got, text);
	check_refusal(rc, got, 0x5a5a);
	len = strlen(text);
	if (len && text[len - 1] == '%')
		ref = ref_decimal(&want, text, 4, 4, 1);
	else
		ref = ref_decimal(&want, text, 6, 6, 0);
	if (ref == REF_BAD && rc != SPM_EINVAL)
		fail("rate parse accepted malformed text");
	if (ref == REF_BIG && rc != SPM_EOVERFLOW)
		fail("rate parse did not report an overflow");
	if (ref != REF_OK)
		return;
	if (rc != SPM_OK)
		fail("rate parse refused a well-formed rate");
	if (got != want)
		fail("rate parse gave a different value");
	if (spm_rate_format(back, sizeof(back), got) != SPM_OK)
		fail("rate format refused a parsed rate");
	if (spm_rate_parse(&again, back) != SPM_OK || again != got)
		fail("rate format did not parse back");
}

static void check_format(const uint8_t *p, size_t n)
{
	char got[SPM_MONEY_FORMAT_MAX + 8], want[48];
	int64_t v, back = 0;
	int exp, rc;
	const char *cur;
	size_t cap;

	if (n == 0)
		return;
	cur = currencies[p[0] % NCURRENCIES];
	cap = (size_t)(p[0] >> 4) + 1;  /* 1..16: small buffers too */
	p++;
	n--;
	v = take_i64(&p, &n);
	if (spm_currency_exponent(&exp, cur) != SPM_OK) {
		memset(got, 'x', sizeof(got));
		if (spm_money_format(got, sizeof(got), v, cur) != SPM_EINVAL || got[0] != 'x')
			fail("money format accepted an unknown currency");
	} else {
		ref_format(want, sizeof(want), v, exp, 0);
		memset(got, 'x', sizeof(got));
		rc = spm_money_format(got, SPM_MONEY_FORMAT_MAX, v, cur);
		if (rc != SPM_OK || strcmp(got, want) != 0)
			fail("money format differs from the reference");
		if (spm_money_parse(&back, got, cur) != SPM_OK || back != v)
			fail("money format did not parse back");
		memset(got, 'x', sizeof(got));
		rc = spm_money_format(got, cap, v, cur);
		if (strlen(want) + 1 <= cap ? rc != SPM_OK || strcmp(got, want) != 0
					    : rc != SPM_ERANGE || got[0] != 'x')
			fail("money format into a small buffer");
	}
	ref_format(want, sizeof(want), v, 6, 1);
	memset(got, 'x', sizeof(got));
	if (spm_rate_format(got, SPM_RATE_FORMAT_MAX, v) != SPM_OK || strcmp(got, want) != 0)
		fail("rate format differs from the reference");
	if (spm_rate_parse(&back, got) != SPM_OK || back != v)
		fail("rate format did not parse back");
	memset(got, 'x', sizeof(got));
	rc = spm_rate_format(got, cap, v);
	if (strlen(want) + 1 <= cap ? rc != SPM_OK || strcmp(got, want) != 0
				    : rc != SPM_ERANGE || got[0] != 'x')
		fail("rate format into a small buffer");
}

/* ---- arithmetic ---- */

/* round(a / d) for d > 0 from the floor quotient q and remainder r,
 * 0 <= r < d: the exact quotient is q + r/d. */
static i128 ref_round(i128 a, i128 d, int mode)
{
	i128 q = a / d, r = a % d;
	int up;

	if (r < 0) {
		q -= 1;
		r += d;
	}
	if (r == 0)
		return q;
	switch (mode) {
	case SPM_ROUND_FLOOR:
		return q;
	case SPM_ROUND_CEILING:
		return q + 1;
	case SPM_ROUND_DOWN:   /* toward zero: floor for positives */
		return q >= 0 ? q : q + 1;
	case SPM_ROUND_UP:
		return q >= 0 ? q + 1 : q;
	default:
		break;
	}
	if (2 * r != d)
		up = 2 * r > d;
	else if (mode == SPM_ROUND_HALF_UP)
		up = q >= 0;   /* a tie above a non-negative floor is positive */
	else
		up = (q & 1) != 0;
	return up ? q + 1 : q;
}

static int fits(i128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

static void check_ratio(const uint8_t *p, size_t n)
{
	int64_t amount = take_i64(&p, &n), num = take_i64(&p, &n), den = take_i64(&p, &n);
	int64_t got;
	int rc;

	/* small denominators and rates are the usual case: fold some inputs */
	if (n && (*p & 1)) {
		den = den % 1000001;
		num = num % 3000001;
	}
	for (int mode = -1; mode <= 6; mode++) {
		int known = mode >= 0 && mode <= 5;
		i128 want = 0;

		got = 0x5a5a;
		rc = spm_money_mul_ratio(&got, amount, num, den, (spm_rounding)mode);
		check_refusal(rc, got, 0x5a5a);
		if (!known || den <= 0) {
			if (rc != SPM_EINVAL)
				fail("mul_ratio accepted a bad mode or denominator");
		} else {
			want = ref_round((i128)amount * num, den, mode);
			if (!fits(want) ? rc != SPM_EOVERFLOW : rc != SPM_OK || got != (int64_t)want)
				fail("mul_ratio differs from the reference");
		}
		got = 0x5a5a;
		rc = spm_money_apply_rate(&got, amount, num, (spm_rounding)mode);
		check_refusal(rc, got, 0x5a5a);
		if (!known) {
			if (rc != SPM_EINVAL)
				fail("apply_rate accepted a bad mode");
			continue;
		}
		want = ref_round((i128)amount * num, SPM_PPM, mode);
		if (!fits(want) ? rc != SPM_EOVERFLOW : rc != SPM_OK || got != (int64_t)want)
			fail("apply_rate differs from the reference");
	}
}

static void check_sums(const uint8_t *p, size_t n)
{
	int64_t a = take_i64(&p, &n), b = take_i64(&p, &n), got;
	i128 want;
	int rc;

	if (n && (*p & 1))
		b = b % 100000;
	got = 0x5a5a;
	rc = spm_money_add(&got, a, b);
	check_refusal(rc, got, 0x5a5a);
	want = (i128)a + b;
	if (!fits(want) ? rc != SPM_EOVERFLOW : rc != SPM_OK || got != (int64_t)want)
		fail("add differs");
	got = 0x5a5a;
	rc = spm_money_sub(&got, a, b);
	check_refusal(rc, got, 0x5a5a);
	want = (i128)a - b;
	if (!fits(want) ? rc != SPM_EOVERFLOW : rc != SPM_OK || got != (int64_t)want)
		fail("sub differs");
	got = 0x5a5a;
	rc = spm_money_mul(&got, a, b);
	check_refusal(rc, got, 0x5a5a);
	want = (i128)a * b;
	if (!fits(want) ? rc != SPM_EOVERFLOW : rc != SPM_OK || got != (int64_t)want)
		fail("mul differs");
}

/* Largest remainder, written from the definition: floor shares of |amount|,
 * then one unit each to the largest remainders, ties to the lower index. */
static void check_split(const uint8_t *p, size_t n)
{
	int64_t amount = take_i64(&p, &n), weights[16] = { 0 }, got[16];
	i128 want[16], rem[16], total = 0, mag, given = 0;
	size_t k = n ? (size_t)(*p % 17) : 0, bad = 0;
	int rc;

	if (n) {
		p++;
		n--;
	}
	for (size_t i = 0; i < k; i++) {
		weights[i] = take_i64(&p, &n);
		if (i % 2)
			weights[i] = weights[i] % 1000;  /* mostly small weights */
		if (weights[i] <= 0)
			bad = 1;
		else
			total += weights[i];
		got[i] = 0x5a5a;
	}
	rc = spm_money_split(got, amount, weights, k);
	if (rc != SPM_OK) {
		for (size_t i = 0; i < k; i++)
			if (got[i] != 0x5a5a)
				fail("split wrote parts on error");
		if (spm_error_message()[0] == '\0')
			fail("an error without a message");
	}
	if (k == 0 || bad) {
		if (rc != SPM_EINVAL)
			fail("split accepted no parts or a weight <= 0");
		return;
	}
	if (total > INT64_MAX) {
		if (rc != SPM_EOVERFLOW)
			fail("split accepted weights summing beyond int64");
		return;
	}
	if (rc != SPM_OK)
		fail("split refused good weights");
	mag = amount < 0 ? -(i128)amount : (i128)amount;
	for (size_t i = 0; i < k; i++) {
		i128 share = mag * weights[i];

		want[i] = share / total;
		rem[i] = share % total;
		given += want[i];
	}
	for (i128 left = mag - given; left > 0; left--) {
		size_t best = k;

		for (size_t i = 0; i < k; i++)
			if (rem[i] >= 0 && (best == k || rem[i] > rem[best]))
				best = i;
		want[best]++;
		rem[best] = -1;  /* one unit each */
	}
	for (size_t i = 0; i < k; i++) {
		if (amount < 0)
			want[i] = -want[i];
		if (got[i] != want[i])
			fail("split differs from the reference");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in_data = data;
	in_size = size;
	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:
		check_money_parse(data + 1, size - 1);
		break;
	case 1:
		check_rate_parse(data + 1, size - 1);
		break;
	case 2:
		check_format(data + 1, size - 1);
		break;
	case 3:
		check_ratio(data + 1, size - 1);
		break;
	case 4:
		check_sums(data + 1, size - 1);
		break;
	default:
		check_split(data + 1, size - 1);
		break;
	}
	return 0;
}

void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
}
