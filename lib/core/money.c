/* Money arithmetic, rounding, splitting and the strict decimal text forms.
 *
 * Amounts are int64 minor units. Intermediates that can exceed 64 bits use
 * __int128 so that a single rounding happens at the end, and every result is
 * range-checked before it is stored: money is never wrapped or truncated. */
#include "core/error_internal.h"
#include "spm/money.h"

#include <stdint.h>

/* -Wpedantic rejects the type itself; __extension__ marks it as intended. */
__extension__ typedef __int128 i128;

/* Decimals of a rate written as a fraction (ppm) and as a percentage. */
#define RATE_DECIMALS 6
#define PERCENT_DECIMALS 4

int spm_money_add(int64_t *out, int64_t a, int64_t b)
{
	int64_t r;

	SPM__CHECK_ARG(out);
	if (__builtin_add_overflow(a, b, &r))
		return spm__error_set(SPM_EOVERFLOW,
			"spm_money_add: %lld + %lld overflows", (long long)a, (long long)b);
	*out = r;
	return SPM_OK;
}

int spm_money_sub(int64_t *out, int64_t a, int64_t b)
{
	int64_t r;

	SPM__CHECK_ARG(out);
	if (__builtin_sub_overflow(a, b, &r))
		return spm__error_set(SPM_EOVERFLOW,
			"spm_money_sub: %lld - %lld overflows", (long long)a, (long long)b);
	*out = r;
	return SPM_OK;
}

int spm_money_mul(int64_t *out, int64_t amount, int64_t factor)
{
	int64_t r;

	SPM__CHECK_ARG(out);
	if (__builtin_mul_overflow(amount, factor, &r))
		return spm__error_set(SPM_EOVERFLOW,
			"spm_money_mul: %lld * %lld overflows",
			(long long)amount, (long long)factor);
	*out = r;
	return SPM_OK;
}

static int rounding_valid(spm_rounding mode)
{
	switch (mode) {
	case SPM_ROUND_HALF_EVEN:
	case SPM_ROUND_HALF_UP:
	case SPM_ROUND_DOWN:
	case SPM_ROUND_UP:
	case SPM_ROUND_FLOOR:
	case SPM_ROUND_CEILING:
		return 1;
	}
	return 0;
}

/* p / d rounded by mode, for d > 0. C division truncates toward zero, so the
 * truncated quotient moves one step away from zero when the mode and the
 * remainder ask for it. */
static i128 div_round(i128 p, i128 d, spm_rounding mode)
{
	i128 q = p / d;
	i128 r = p % d;
	i128 twice;
	int away = 0;

	if (r == 0)
		return q;
	twice = 2 * (r < 0 ? -r : r);
	switch (mode) {
	case SPM_ROUND_HALF_EVEN:
		away = twice > d || (twice == d && q % 2 != 0);
		break;
	case SPM_ROUND_HALF_UP:
		away = twice >= d;
		break;
	case SPM_ROUND_DOWN:
		away = 0;
		break;
	case SPM_ROUND_UP:
		away = 1;
		break;
	case SPM_ROUND_FLOOR:
		away = p < 0;
		break;
	case SPM_ROUND_CEILING:
		away = p > 0;
		break;
	}
	if (away)
		q += p < 0 ? -1 : 1;
	return q;
}

int spm_money_mul_ratio(int64_t *out, int64_t amount, int64_t num, int64_t den,
			spm_rounding mode)
{
	i128 q;

	SPM__CHECK_ARG(out);
	if (den <= 0)
		return spm__error_set(SPM_EINVAL,
			"spm_money_mul_ratio: denominator must be > 0 (got %lld)",
			(long long)den);
	if (!rounding_valid(mode))
		return spm__error_set(SPM_EINVAL,
			"spm_money_mul_ratio: unknown rounding mode %d", (int)mode);
	/* |amount * num| <= 2^126, which always fits in 128 bits. */
	q = div_round((i128)amount * num, den, mode);
	if (q > INT64_MAX || q < INT64_MIN)
		return spm__error_set(SPM_EOVERFLOW,
			"spm_money_mul_ratio: %lld * %lld / %lld overflows",
			(long long)amount, (long long)num, (long long)den);
	*out = (int64_t)q;
	return SPM_OK;
}

int spm_money_apply_rate(int64_t *out, int64_t amount, int64_t rate_ppm,
			 spm_rounding mode)
{
	return spm_money_mul_ratio(out, amount, rate_ppm, SPM_PPM, mode);
}

/* How many parts have a remainder (magnitude * w mod total) >= t. */
static size_t count_remainders_from(i128 magnitude, const int64_t *weights,
				    size_t n, int64_t total, int64_t t)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if ((magnitude * weights[i]) % total >= t)
			count++;
	}
	return count;
}

/* The remainder value of the leftover-th largest remainder: the largest t
 * with at least leftover remainders >= t. Bisecting over the value range
 * instead of sorting keeps the split free of allocation and O(n log total). */
static int64_t remainder_threshold(i128 magnitude, const int64_t *weights,
				   size_t n, int64_t total, size_t leftover)
{
	int64_t lo = 0;
	int64_t hi = total - 1;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;

		if (count_remainders_from(magnitude, weights, n, total, mid) >= leftover)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int split_weights_total(int64_t *total, const int64_t *weights, size_t n)
{
	int64_t sum = 0;

	if (n == 0)
		return spm__error_set(SPM_EINVAL, "spm_money_split: n must be > 0");
	/* Bad weights are reported before an overflowing sum, whatever their
	 * position. */
	for (size_t i = 0; i < n; i++) {
		if (weights[i] <= 0)
			return spm__error_set(SPM_EINVAL,
				"spm_money_split: weight %zu is %lld; weights must be > 0",
				i, (long long)weights[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (__builtin_add_overflow(sum, weights[i], &sum))
			return spm__error_set(SPM_EOVERFLOW,
				"spm_money_split: the sum of the weights overflows");
	}
	*total = sum;
	return SPM_OK;
}

int spm_money_split(int64_t *out_parts, int64_t amount, const int64_t *weights,
		    size_t n)
{
	int64_t total = 0, threshold = 0;
	i128 magnitude = amount < 0 ? -(i128)amount : (i128)amount;
	i128 floors = 0;
	size_t leftover, above = 0, ties = 0;
	int rc;

	SPM__CHECK_ARG(out_parts);
	SPM__CHECK_ARG(weights);
	rc = split_weights_total(&total, weights, n);
	if (rc != SPM_OK)
		return rc;

	for (size_t i = 0; i < n; i++)
		floors += magnitude * weights[i] / total;
	/* Each floor loses less than one unit, so fewer than n are left over. */
	leftover = (size_t)(magnitude - floors);
	if (leftover > 0) {
		threshold = remainder_threshold(magnitude, weights, n, total, leftover);
		above = count_remainders_from(magnitude, weights, n, total,
					      threshold + 1);
		ties = leftover - above;
	}

	/* Nothing can fail from here on, so out_parts is written only now; each
	 * weight is read before its own slot is written (the arrays may alias). */
	for (size_t i = 0; i < n; i++) {
		i128 product = magnitude * weights[i];
		i128 share = product / total;
		i128 rem = product % total;

		if (leftover > 0 && rem > threshold) {
			share++;
		} else if (leftover > 0 && rem == threshold && ties > 0) {
			share++;
			ties--;
		}
		out_parts[i] = (int64_t)(amount < 0 ? -share : share);
	}
	return SPM_OK;
}

/* The parts of a strictly shaped decimal: -?[0-9]+(\.[0-9]+)? */
struct decimal {
	int negative;
	const char *int_digits;
	size_t int_len;
	const char *frac_digits;
	size_t frac_len;
	const char *end;	/* first character after the number */
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t digit_run(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]))
		n++;
	return n;
}

/* Only ASCII digits are looked at (never isdigit(), which follows the
 * locale); a sign other than a leading '-' and empty digit runs are
 * refused, so "+1", "1.", ".5" and "1..2" all fail here. */
static int scan_decimal(struct decimal *dec, const char *text, const char *func)
{
	const char *p = text;

	if (*p == '\0')
		return spm__error_set(SPM_EINVAL, "%s: text is empty", func);
	dec->negative = *p == '-';
	if (dec->negative)
		p++;
	dec->int_digits = p;
	dec->int_len = digit_run(p);
	if (dec->int_len == 0)
		return spm__error_set(SPM_EINVAL,
			"%s: expected a digit at offset %zu", func, (size_t)(p - text));
	p += dec->int_len;
	dec->frac_digits = p;
	dec->frac_len = 0;
	if (*p == '.') {
		p++;
		dec->frac_digits = p;
		dec->frac_len = digit_run(p);
		if (dec->frac_len == 0)
			return spm__error_set(SPM_EINVAL,
				"%s: expected a digit after '.' at offset %zu",
				func, (size_t)(p - text));
		p += dec->frac_len;
	}
	dec->end = p;
	return SPM_OK;
}

static int push_digit(uint64_t *acc, unsigned digit)
{
	return __builtin_mul_overflow(*acc, 10u, acc) ||
	       __builtin_add_overflow(*acc, digit, acc);
}

/* The decimal as an integer count of 10^-exponent units. The caller has
 * checked frac_len <= exponent, so nothing is ever rounded. */
static int decimal_to_units(int64_t *out, const struct decimal *dec,
			    int exponent, const char *func)
{
	uint64_t limit = dec->negative ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	uint64_t acc = 0;
	int overflow = 0;

	for (size_t i = 0; i < dec->int_len; i++)
		overflow |= push_digit(&acc, (unsigned)(dec->int_digits[i] - '0'));
	for (size_t i = 0; i < dec->frac_len; i++)
		overflow |= push_digit(&acc, (unsigned)(dec->frac_digits[i] - '0'));
	for (size_t i = dec->frac_len; i < (size_t)exponent; i++)
		overflow |= push_digit(&acc, 0);
	if (overflow || acc > limit)
		return spm__error_set(SPM_EOVERFLOW,
			"%s: value does not fit in 64-bit units of 10^-%d",
			func, exponent);
	/* Negating through acc - 1 keeps INT64_MIN representable. */
	*out = dec->negative && acc > 0 ? -(int64_t)(acc - 1) - 1 : (int64_t)acc;
	return SPM_OK;
}

int spm_money_parse(int64_t *out, const char *text, const char *currency)
{
	struct decimal dec = { 0 };
	int exponent;
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(text);
	SPM__CHECK_ARG(currency);
	rc = spm_currency_exponent(&exponent, currency);
	if (rc != SPM_OK)
		return rc;
	rc = scan_decimal(&dec, text, __func__);
	if (rc != SPM_OK)
		return rc;
	if (*dec.end != '\0')
		return spm__error_set(SPM_EINVAL,
			"spm_money_parse: unexpected character at offset %zu",
			(size_t)(dec.end - text));
	if (dec.frac_len > (size_t)exponent)
		return spm__error_set(SPM_EINVAL,
			"spm_money_parse: %s has %d decimal(s), the text has %zu",
			currency, exponent, dec.frac_len);
	return decimal_to_units(out, &dec, exponent, __func__);
}

int spm_rate_parse(int64_t *out_ppm, const char *text)
{
	struct decimal dec = { 0 };
	int exponent = RATE_DECIMALS;
	int rc;

	SPM__CHECK_ARG(out_ppm);
	SPM__CHECK_ARG(text);
	rc = scan_decimal(&dec, text, __func__);
	if (rc != SPM_OK)
		return rc;
	/* ppm = percent * 10^4, so a percentage may have 2 decimals less. */
	if (dec.end[0] == '%' && dec.end[1] == '\0') {
		exponent = PERCENT_DECIMALS;
	} else if (dec.end[0] != '\0') {
		return spm__error_set(SPM_EINVAL,
			"spm_rate_parse: unexpected character at offset %zu",
			(size_t)(dec.end - text));
	}
	if (dec.frac_len > (size_t)exponent)
		return spm__error_set(SPM_EINVAL,
			"spm_rate_parse: at most %d decimals are allowed here, the text has %zu",
			exponent, dec.frac_len);
	return decimal_to_units(out_ppm, &dec, exponent, __func__);
}

/* Writes units / 10^exponent into tmp backwards and returns its length.
 * With trim, trailing fraction zeros (and a bare '.') are dropped. tmp must
 * hold 20 digits, the point, the sign and the leading zeros of a fraction. */
static size_t render_reversed(char *tmp, int64_t units, int exponent, int trim)
{
	uint64_t m = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
	size_t len = 0;
	int keep = !trim;

	for (int i = 0; i < exponent; i++) {
		unsigned digit = (unsigned)(m % 10);

		m /= 10;
		keep |= digit != 0;
		if (keep)
			tmp[len++] = (char)('0' + digit);
	}
	if (keep && exponent > 0)
		tmp[len++] = '.';
	do {
		tmp[len++] = (char)('0' + m % 10);
		m /= 10;
	} while (m > 0);
	if (units < 0)
		tmp[len++] = '-';
	return len;
}

static int emit_reversed(char *buf, size_t size, const char *tmp, size_t len,
			 const char *func)
{
	if (len + 1 > size)
		return spm__error_set(SPM_ERANGE,
			"%s: buffer of %zu bytes is too small (%zu needed)",
			func, size, len + 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	buf[len] = '\0';
	return SPM_OK;
}

int spm_money_format(char *buf, size_t size, int64_t amount, const char *currency)
{
	char tmp[SPM_MONEY_FORMAT_MAX];
	int exponent;
	int rc;

	SPM__CHECK_ARG(buf);
	SPM__CHECK_ARG(currency);
	rc = spm_currency_exponent(&exponent, currency);
	if (rc != SPM_OK)
		return rc;
	return emit_reversed(buf, size, tmp,
			     render_reversed(tmp, amount, exponent, 0), __func__);
}

int spm_rate_format(char *buf, size_t size, int64_t ppm)
{
	char tmp[SPM_RATE_FORMAT_MAX];

	SPM__CHECK_ARG(buf);
	return emit_reversed(buf, size, tmp,
			     render_reversed(tmp, ppm, RATE_DECIMALS, 1),
			     __func__);
}
