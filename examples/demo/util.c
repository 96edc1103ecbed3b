/* spm demo: the seeded PRNG, the simulated clock and the formatting helpers. */
#include "demo.h"
#include <string.h>

uint64_t demo_rng_next(demo_rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

uint64_t demo_rng_below(demo_rng *r, uint64_t n)
{
	/* Reject the top sliver that would favour small values. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;
	do
		v = demo_rng_next(r);
	while (v >= limit);
	return v % n;
}

int demo_rng_pct(demo_rng *r, unsigned pct)
{
	return demo_rng_below(r, 100) < pct;
}

spm_time demo_clock_read(void *payload)
{
	return ((const demo_clock *)payload)->now;
}

void demo_fmt_money(char *buf, size_t size, int64_t minor)
{
	/* Whole units, half-even, grouped by thousands: money stays integer. */
	int64_t units = minor / 100, rest = minor % 100;
	char digits[32], out[48];
	size_t n, o = 0;
	if (rest < 0)
		rest = -rest;
	if (rest > 50 || (rest == 50 && (units & 1)))
		units += minor < 0 ? -1 : 1;
	snprintf(digits, sizeof(digits), "%lld", (long long)(units < 0 ? -units : units));
	n = strlen(digits);
	if (units < 0)
		out[o++] = '-';
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, size, "%s", out);
}

void demo_fmt_pct(char *buf, size_t size, int64_t ppm)
{
	/* ppm / 10000, half-even, to a whole percent. */
	int64_t q = ppm / 10000, r = ppm % 10000;
	if (r > 5000 || (r == 5000 && (q & 1)))
		q++;
	snprintf(buf, size, "%lld%%", (long long)q);
}

void demo_name_of(char *buf, size_t size, spm_db *db, const char *kind, int64_t id)
{
	spm_record *rec = NULL;
	const char *name = NULL;
	if (spm_record_get(&rec, db, kind, id) == SPM_OK)
		spm_record_get_text(&name, rec, "name");
	snprintf(buf, size, "%s", name ? name : "?");
	spm_record_free(rec);
}
