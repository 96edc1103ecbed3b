/* The answers of one side of the benchmark as sorted text lines (see
 * analytics_digest.h). Written once per side, outside any timing. */
#include "analytics_digest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

static void add(struct digest *d, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->lines = realloc(d->lines, d->cap * sizeof(*d->lines));
	}
	if (d->lines == NULL || (d->lines[d->n] = strdup(buf)) == NULL) {
		fprintf(stderr, "analytics_bench: out of memory\n");
		exit(1);
	}
	d->n++;
}

/* "-" for a value that is not there; buf holds at least 24 bytes */
static const char *num(char *buf, int64_t v)
{
	if (v == DIGEST_NULL)
		return "-";
	snprintf(buf, 24, "%lld", (long long)v);
	return buf;
}

/* num * 10^6 / den in ppm, rounded half-even once, as the library does */
static int64_t ppm(int64_t num_, int64_t den)
{
	i128 n = (i128)num_ * 1000000, q = n / den, r = n % den;

	if (r < 0) { /* floor division, so that the rounding below holds */
		q--;
		r += den;
	}
	if (2 * r > den || (2 * r == den && (q & 1)))
		q++;
	return (int64_t)q;
}

void digest_funnel(struct digest *d, int64_t owner, int64_t stage_id, int64_t deals)
{
	char o[24];

	add(d, "funnel %s %lld %lld", num(o, owner), (long long)stage_id, (long long)deals);
}

void digest_win(struct digest *d, int64_t owner, int64_t won, int64_t lost, int64_t won_amount)
{
	char o[24], a[24];

	add(d, "win %s %lld %lld %s", num(o, owner), (long long)won, (long long)lost,
	    num(a, won_amount));
}

void digest_cycle_ppm(struct digest *d, int64_t owner, int lost, int64_t n, int64_t mean_ppm,
		      int64_t median_ppm)
{
	char o[24];

	add(d, "cycle %s %s %lld %lld %lld", num(o, owner), lost ? "lost" : "won", (long long)n,
	    (long long)mean_ppm, (long long)median_ppm);
}

void digest_cycle(struct digest *d, int64_t owner, int lost, int64_t n, int64_t sum, int64_t mid2)
{
	digest_cycle_ppm(d, owner, lost, n, ppm(sum, n * 86400), ppm(mid2, 2 * 86400));
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void digest_sort(struct digest *d)
{
	if (d->n)
		qsort(d->lines, d->n, sizeof(*d->lines), cmp_line);
}

int digest_compare(const struct digest *a, const char *a_name, const struct digest *b,
		   const char *b_name)
{
	size_t i = 0, j = 0;

	while (i < a->n && j < b->n && strcmp(a->lines[i], b->lines[j]) == 0) {
		i++;
		j++;
	}
	if (i == a->n && j == b->n)
		return 0;
	/* the first line that one side has and the other does not */
	if (j == b->n || (i < a->n && strcmp(a->lines[i], b->lines[j]) < 0))
		fprintf(stderr, "analytics_bench: answers differ: %s has \"%s\", %s does not\n",
			a_name, a->lines[i], b_name);
	else
		fprintf(stderr, "analytics_bench: answers differ: %s has \"%s\", %s does not\n",
			b_name, b->lines[j], a_name);
	return -1;
}

int digest_write(const struct digest *d, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->lines[i]);
	return fclose(f) == 0 ? 0 : -1;
}

void digest_free(struct digest *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	d->lines = NULL;
	d->n = d->cap = 0;
}
