/* The plain-loop peer (analytics_loop.h): bare arrays read with sqlite3,
 * then one straightforward loop per question. The load follows the
 * library's definitions (docs/analytics.md) where they decide an answer:
 * a deal's open time is opened_at, else created_at; its pipeline is its
 * current stage's; a deal whose first history row leaves a stage (has a
 * from_stage_id) entered that stage when it was opened (the benchmark's
 * generator never writes such a row, but a file from elsewhere may). */
#include "analytics_loop.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(sqlite3 *s, const char *what)
{
	fprintf(stderr, "analytics_bench: plain loop: %s: %s\n", what,
		s ? sqlite3_errmsg(s) : "out of memory");
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		fail(NULL, "allocation");
	return p;
}

static sqlite3_stmt *prep(sqlite3 *s, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
		fail(s, sql);
	return st;
}

static int64_t one_int(sqlite3 *s, const char *sql)
{
	sqlite3_stmt *st = prep(s, sql);
	int64_t v = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t col_or_none(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? LOOP_NONE : sqlite3_column_int64(st, c);
}

/* the index of stage id, -1 when it is not a live stage (or NULL) */
static int32_t stage_index(const struct loop_data *l, sqlite3_stmt *st, int c)
{
	int64_t id;

	if (sqlite3_column_type(st, c) == SQLITE_NULL)
		return -1;
	id = sqlite3_column_int64(st, c);
	for (size_t s = 0; s < l->nst; s++)
		if (l->st_id[s] == id)
			return (int32_t)s;
	return -1;
}

static void load_stages(struct loop_data *l, sqlite3 *s)
{
	sqlite3_stmt *st;
	size_t i = 0;

	l->nst = (size_t)one_int(s, "SELECT COUNT(*) FROM stage WHERE deleted = 0");
	l->st_id = xcalloc(l->nst, sizeof(*l->st_id));
	l->st_pipe = xcalloc(l->nst, sizeof(*l->st_pipe));
	st = prep(s, "SELECT id, pipeline_id FROM stage WHERE deleted = 0 "
		  "ORDER BY pipeline_id, position, id");
	while (i < l->nst && sqlite3_step(st) == SQLITE_ROW) {
		l->st_id[i] = sqlite3_column_int64(st, 0);
		l->st_pipe[i++] = col_or_none(st, 1);
	}
	sqlite3_finalize(st);
	l->nst = i;
}

/* the live deals in id order; *map_out maps an id to its index + 1 */
static void load_deals(struct loop_data *l, sqlite3 *s, uint32_t **map_out, int64_t *max_id)
{
	size_t n = (size_t)one_int(s, "SELECT COUNT(*) FROM opportunity WHERE deleted = 0"), i = 0;
	sqlite3_stmt *st;
	uint32_t *map;

	*max_id = one_int(s, "SELECT MAX(id) FROM opportunity");
	map = xcalloc((size_t)*max_id + 1, sizeof(*map));
	l->owner = xcalloc(n, sizeof(*l->owner));
	l->stage = xcalloc(n, sizeof(*l->stage));
	l->status = xcalloc(n, sizeof(*l->status));
	l->amount = xcalloc(n, sizeof(*l->amount));
	l->opened = xcalloc(n, sizeof(*l->opened));
	l->closed = xcalloc(n, sizeof(*l->closed));
	st = prep(s, "SELECT id, owner_id, stage_id, status, amount, "
		  "COALESCE(opened_at, created_at), closed_at FROM opportunity "
		  "WHERE deleted = 0 ORDER BY id");
	while (i < n && sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), owner = sqlite3_column_int64(st, 1);
		const char *status = (const char *)sqlite3_column_text(st, 3);
		if (id < 1 || id > *max_id || owner < 0 || owner > INT32_MAX) {
			fprintf(stderr, "analytics_bench: plain loop: deal %lld: id or owner out of "
				"range\n", (long long)id);
			exit(1);
		}
		map[id] = (uint32_t)i + 1;
		l->owner[i] = (int32_t)owner;  /* NULL reads as 0: no owner */
		if (l->owner[i] > l->max_owner)
			l->max_owner = l->owner[i];
		l->stage[i] = stage_index(l, st, 2);
		l->status[i] = status && strcmp(status, "won") == 0 ? LOOP_WON :
			status && strcmp(status, "lost") == 0 ? LOOP_LOST : LOOP_OPEN;
		l->amount[i] = col_or_none(st, 4);
		l->opened[i] = col_or_none(st, 5);
		l->closed[i] = col_or_none(st, 6);
		i++;
	}
	sqlite3_finalize(st);
	l->n = i;
	*map_out = map;
}

/* Rows grouped by deal, in id order (the index on opportunity_id gives that
 * order), so the offsets are made as the rows come. */
static void load_history(struct loop_data *l, sqlite3 *s, const uint32_t *map, int64_t max_id)
{
	size_t rows = (size_t)one_int(s, "SELECT COUNT(*) FROM stage_history WHERE deleted = 0");
	size_t cap = rows + l->n, nh = 0, cur = 0;  /* room for one opening row per deal */
	sqlite3_stmt *st;

	l->hoff = xcalloc(l->n + 1, sizeof(*l->hoff));
	l->hstage = xcalloc(cap, sizeof(*l->hstage));
	l->hat = xcalloc(cap, sizeof(*l->hat));
	st = prep(s, "SELECT opportunity_id, from_stage_id, to_stage_id, at FROM stage_history "
		  "WHERE deleted = 0 ORDER BY opportunity_id, id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t opp = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 3);
		int32_t to = stage_index(l, st, 2), from;
		size_t i;
		if (opp < 1 || opp > max_id || map[opp] == 0 || to < 0 ||
		    sqlite3_column_type(st, 3) == SQLITE_NULL || nh + 2 > cap)
			continue;  /* a row of a deleted deal, or into no live stage */
		i = map[opp] - 1;
		while (cur < i)  /* the deals before this one have all their rows */
			l->hoff[++cur] = (uint32_t)nh;
		from = stage_index(l, st, 1);
		if (l->hoff[i] == nh && from >= 0 && l->opened[i] != LOOP_NONE &&
		    l->opened[i] <= at) {
			/* its first row leaves a stage: it entered it when opened */
			l->hstage[nh] = from;
			l->hat[nh++] = l->opened[i];
		}
		l->hstage[nh] = to;
		l->hat[nh++] = at;
	}
	sqlite3_finalize(st);
	while (cur < l->n)
		l->hoff[++cur] = (uint32_t)nh;
	l->nh = nh;
}

void loop_load(struct loop_data *l, const char *path)
{
	sqlite3 *s;
	uint32_t *map;
	int64_t max_id;

	memset(l, 0, sizeof(*l));
	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail(s, path);
	load_stages(l, s);
	load_deals(l, s, &map, &max_id);
	load_history(l, s, map, max_id);
	free(map);
	sqlite3_close(s);
}

/* Moves the k-th smallest of v[0..n) to v[k], with nothing larger before it
 * and nothing smaller after it (Hoare's selection), and returns it. */
static int64_t select_k(int64_t *v, long n, long k)
{
	long lo = 0, hi = n - 1;

	while (lo < hi) {
		int64_t p = v[lo + (hi - lo) / 2], t;
		long i = lo, j = hi;
		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];  /* between the two parts: equal to the pivot */
	}
	return v[k];
}

static size_t funnel(const struct loop_data *l, int64_t pipeline, int64_t from, int64_t to,
		     struct digest *d)
{
	size_t no = (size_t)l->max_owner + 1, np = 0, rows = 0;
	int *bit = xcalloc(l->nst, sizeof(*bit));
	size_t *bit_stage = xcalloc(l->nst, sizeof(*bit_stage));
	uint32_t *cnt;

	for (size_t s = 0; s < l->nst; s++) {
		bit[s] = l->st_pipe[s] == pipeline && np < 64 ? (int)np : -1;
		if (bit[s] >= 0)
			bit_stage[np++] = s;
	}
	cnt = xcalloc(no * (np ? np : 1), sizeof(*cnt));
	for (size_t i = 0; i < l->n; i++) {
		uint64_t bits = 0;
		if (l->stage[i] < 0 || l->st_pipe[l->stage[i]] != pipeline)
			continue;
		for (uint32_t k = l->hoff[i]; k < l->hoff[i + 1]; k++)
			if (l->hat[k] >= from && l->hat[k] < to && bit[l->hstage[k]] >= 0)
				bits |= 1ull << bit[l->hstage[k]];
		for (; bits; bits &= bits - 1)
			cnt[(size_t)l->owner[i] * np + (size_t)__builtin_ctzll(bits)]++;
	}
	for (size_t o = 0; o < no; o++)
		for (size_t b = 0; b < np; b++) {
			if (cnt[o * np + b] == 0)
				continue;
			rows++;
			if (d)
				digest_funnel(d, o ? (int64_t)o : DIGEST_NULL,
					      l->st_id[bit_stage[b]], cnt[o * np + b]);
		}
	free(cnt);
	free(bit_stage);
	free(bit);
	return rows;
}

static size_t win_rate(const struct loop_data *l, struct digest *d)
{
	size_t no = (size_t)l->max_owner + 1, rows = 0;
	int64_t *won = xcalloc(no, sizeof(*won)), *lost = xcalloc(no, sizeof(*lost));
	int64_t *sum = xcalloc(no, sizeof(*sum)), *nsum = xcalloc(no, sizeof(*nsum));
	uint8_t *seen = xcalloc(no, 1);

	for (size_t i = 0; i < l->n; i++) {
		int32_t o = l->owner[i];
		seen[o] = 1;
		if (l->status[i] == LOOP_WON) {
			won[o]++;
			if (l->amount[i] != LOOP_NONE) {
				sum[o] += l->amount[i];
				nsum[o]++;
			}
		} else if (l->status[i] == LOOP_LOST) {
			lost[o]++;
		}
	}
	for (size_t o = 0; o < no; o++) {
		if (!seen[o])
			continue;
		rows++;
		if (d)
			digest_win(d, o ? (int64_t)o : DIGEST_NULL, won[o], lost[o],
				   nsum[o] ? sum[o] : DIGEST_NULL);
	}
	free(seen);
	free(nsum);
	free(sum);
	free(lost);
	free(won);
	return rows;
}

/* a closed deal's slot: owner * 2 + lost; -1 when it does not count */
static long cycle_slot(const struct loop_data *l, size_t i)
{
	if (l->status[i] == LOOP_OPEN || l->opened[i] == LOOP_NONE || l->closed[i] == LOOP_NONE)
		return -1;
	return (long)l->owner[i] * 2 + (l->status[i] == LOOP_LOST);
}

static size_t cycle(const struct loop_data *l, struct digest *d)
{
	size_t no = (size_t)l->max_owner + 1, rows = 0;
	size_t *cnt = xcalloc(no * 2, sizeof(*cnt)), *start = xcalloc(no * 2 + 1, sizeof(*start));
	size_t *pos = xcalloc(no * 2, sizeof(*pos));
	int64_t *sum = xcalloc(no * 2, sizeof(*sum)), *vals;

	for (size_t i = 0; i < l->n; i++) {
		long k = cycle_slot(l, i);
		if (k >= 0)
			cnt[k]++;
	}
	for (size_t k = 0; k < no * 2; k++)
		start[k + 1] = start[k] + cnt[k];
	memcpy(pos, start, no * 2 * sizeof(*pos));
	vals = xcalloc(start[no * 2], sizeof(*vals));
	for (size_t i = 0; i < l->n; i++) {
		long k = cycle_slot(l, i);
		if (k < 0)
			continue;
		vals[pos[k]++] = l->closed[i] - l->opened[i];
		sum[k] += l->closed[i] - l->opened[i];
	}
	for (size_t o = 0; o < no; o++) {
		rows += cnt[o * 2] + cnt[o * 2 + 1] > 0;
		for (size_t k = o * 2; k < o * 2 + 2; k++) {
			int64_t *v = vals + start[k], hi, lo;
			long n = (long)cnt[k];
			if (n == 0)
				continue;
			/* the median: the middle value, or the mean of the two */
			hi = select_k(v, n, n / 2);
			lo = hi;
			if (n % 2 == 0) {
				lo = v[0];
				for (long j = 1; j < n / 2; j++)
					lo = v[j] > lo ? v[j] : lo;
			}
			if (d)
				digest_cycle(d, o ? (int64_t)o : DIGEST_NULL, (int)(k & 1), n, sum[k],
					     lo + hi);
		}
	}
	free(vals);
	free(sum);
	free(pos);
	free(start);
	free(cnt);
	return rows;
}

size_t loop_run(const struct loop_data *l, int64_t pipeline, int64_t from, int64_t to,
		struct digest *d)
{
	return funnel(l, pipeline, from, to, d) + win_rate(l, d) + cycle(l, d);
}

void loop_free(struct loop_data *l)
{
	free(l->st_id);
	free(l->st_pipe);
	free(l->owner);
	free(l->stage);
	free(l->status);
	free(l->amount);
	free(l->opened);
	free(l->closed);
	free(l->hoff);
	free(l->hstage);
	free(l->hat);
	memset(l, 0, sizeof(*l));
}
