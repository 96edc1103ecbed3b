/* Exact decomposition: largest-remainder splits, working-day counts and
 * half-even ratios. Pure kernels: the caller passes every buffer. */
#include "analytics/decompose.h"
#include "core/error_internal.h"
#include "spm/money.h"

#include <stdint.h>
#include <stdlib.h>

__extension__ typedef __int128 i128;

static int by_remainder(const void *a, const void *b)
{
	const struct spm__lr_slot *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int spm__split_exact(int64_t *out, int64_t total, const int64_t *weights, size_t n,
		     struct spm__lr_slot *scratch)
{
	int64_t sum = 0, given = 0;

	if (out == NULL || weights == NULL || scratch == NULL || n == 0)
		return spm__error_set(SPM_EINVAL, "split: no parts");
	if (total < 0)
		return spm__error_set(SPM_EINVAL, "split: a negative target (%lld) cannot be "
				      "decomposed", (long long)total);
	for (size_t i = 0; i < n; i++) {
		if (weights[i] < 0)
			return spm__error_set(SPM_EINVAL, "split: weight %zu is negative (%lld)", i,
					      (long long)weights[i]);
		if (__builtin_add_overflow(sum, weights[i], &sum))
			return spm__error_set(SPM_EOVERFLOW, "split: the weights sum past INT64_MAX");
	}
	if (sum == 0)
		return spm__error_set(SPM_EINVAL, "split: every weight is zero");
	/* floors first; out[i] is written after weights[i] is read, so out may
	 * alias weights. 64-bit division when the product fits (most splits):
	 * 128-bit division is a library call several times slower. */
	for (size_t i = 0; i < n; i++) {
		int64_t p64;

		if (!__builtin_mul_overflow(total, weights[i], &p64)) {
			scratch[i].rem = p64 % sum;
			out[i] = p64 / sum;
		} else {
			i128 p = (i128)total * weights[i];

			scratch[i].rem = (int64_t)(p % sum);
			out[i] = (int64_t)(p / sum);  /* each share <= total: no overflow */
		}
		scratch[i].idx = i;
		given += out[i];
	}
	if (given == total)
		return SPM_OK;
	/* the units left (fewer than n) go to the largest remainders, ties to
	 * the earlier part: a total order, so any sort gives the same parts */
	if (n <= 64) {
		for (size_t i = 1; i < n; i++) {
			struct spm__lr_slot x = scratch[i];
			size_t j = i;

			for (; j > 0 && by_remainder(&scratch[j - 1], &x) > 0; j--)
				scratch[j] = scratch[j - 1];
			scratch[j] = x;
		}
	} else {
		qsort(scratch, n, sizeof(*scratch), by_remainder);
	}
	for (size_t i = 0; (int64_t)i < total - given; i++)
		out[scratch[i].idx]++;
	return SPM_OK;
}

static int in_sorted(int32_t d, const int32_t *a, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] == d)
			return 1;
		if (a[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int spm__is_working_day(int32_t d, const int32_t *off, size_t noff, const int32_t *on,
			size_t non)
{
	/* 1970-01-01 (day 0) was a Thursday: ISO weekday 4 */
	int64_t wd = (((int64_t)d % 7) + 7 + 3) % 7 + 1;

	if (non && in_sorted(d, on, non))
		return 1;
	if (wd >= 6)
		return 0;
	return !(noff && in_sorted(d, off, noff));
}

int64_t spm__working_days(int32_t from, int32_t to, const int32_t *off, size_t noff,
			  const int32_t *on, size_t non)
{
	int64_t n = 0;

	for (int64_t d = from; d <= to; d++)
		n += spm__is_working_day((int32_t)d, off, noff, on, non);
	return n;
}

int spm__scale(int64_t *out, int64_t value, int64_t num, int64_t den)
{
	return spm_money_mul_ratio(out, value, num, den, SPM_ROUND_HALF_EVEN);
}

int spm__ratio_ppm(int64_t *out, int64_t num, int64_t den)
{
	if (den == 0) {
		*out = 0;
		return SPM_OK;
	}
	if (den < 0) {
		/* callers pass den > 0; guard anyway (a target read from a damaged
		 * file may be anything) */
		if (den == INT64_MIN || num == INT64_MIN)
			return spm__error_set(SPM_EOVERFLOW, "ratio %lld / %lld overflows",
					      (long long)num, (long long)den);
		den = -den;
		num = -num;
	}
	return spm_money_mul_ratio(out, SPM_PPM, num, den, SPM_ROUND_HALF_EVEN);
}
