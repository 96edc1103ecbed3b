/* The answers of one side of the analytics benchmark (the library, a peer)
 * as text lines, so that two sides can be compared cell by cell and written
 * to a file for a peer in another program (bench/duckdb-peer):
 *
 *   funnel OWNER STAGE_ID DEALS             (only cells with a deal)
 *   win OWNER WON LOST WON_AMOUNT           (every owner with a live deal)
 *   cycle OWNER won|lost N MEAN MEDIAN      (N > 0; days in ppm, as the library)
 *
 * OWNER is "-" for a deal without one; WON_AMOUNT is "-" when nothing won
 * has an amount. */
#ifndef BENCH_ANALYTICS_DIGEST_H
#define BENCH_ANALYTICS_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_NULL INT64_MIN /* an owner or amount that is not there */

struct digest {
	char **lines;
	size_t n, cap;
};

void digest_funnel(struct digest *d, int64_t owner, int64_t stage_id, int64_t deals);
void digest_win(struct digest *d, int64_t owner, int64_t won, int64_t lost, int64_t won_amount);
/* sum: the seconds of the n cycles; mid2: the sum of the two middle values
 * (twice the middle one when n is odd), so that the median is mid2 / 2 */
void digest_cycle(struct digest *d, int64_t owner, int lost, int64_t n, int64_t sum, int64_t mid2);
/* the same, with the mean and median already in days (ppm), as the library
 * gives them */
void digest_cycle_ppm(struct digest *d, int64_t owner, int lost, int64_t n, int64_t mean_ppm,
		      int64_t median_ppm);

void digest_sort(struct digest *d);
/* 0 when a and b (sorted) hold the same lines; else prints the first
 * difference, naming the sides, and returns -1 */
int digest_compare(const struct digest *a, const char *a_name, const struct digest *b,
		   const char *b_name);
int digest_write(const struct digest *d, const char *path);
void digest_free(struct digest *d);

#endif
