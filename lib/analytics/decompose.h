/* Exact decomposition kernels (pure: no I/O, no allocation). */
#ifndef SPM_ANALYTICS_DECOMPOSE_H
#define SPM_ANALYTICS_DECOMPOSE_H

#include <stddef.h>
#include <stdint.h>

/* Scratch for the largest-remainder split: one per part. */
struct spm__lr_slot {
	int64_t rem;
	size_t idx;
};

/* Splits total (>= 0) by weights (>= 0, sum > 0) so the parts sum to total;
 * scratch holds n slots. SPM_EINVAL or SPM_EOVERFLOW, message set. */
int spm__split_exact(int64_t *out, int64_t total, const int64_t *weights, size_t n,
		     struct spm__lr_slot *scratch);

/* 1 when d is a working day: Monday..Friday not in off[], or in on[] (both
 * sorted ascending). */
int spm__is_working_day(int32_t d, const int32_t *off, size_t noff, const int32_t *on,
			size_t non);
/* Working days in [from, to]. */
int64_t spm__working_days(int32_t from, int32_t to, const int32_t *off, size_t noff,
			  const int32_t *on, size_t non);

/* round(num * SPM_PPM / den) half-even; 0 when den is 0. SPM_EOVERFLOW. */
int spm__ratio_ppm(int64_t *out, int64_t num, int64_t den);
/* round(value * num / den) half-even, den > 0. SPM_EOVERFLOW. */
int spm__scale(int64_t *out, int64_t value, int64_t num, int64_t den);

#endif
