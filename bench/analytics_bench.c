/* The analytics benchmark: a seeded generator writes N opportunities with
 * about 4 stage changes each, owned by 1,000 owners in 50 teams, straight
 * through the storage vtable; then it times funnel + win rate + median cycle
 * grouped by owner, warm and cold, the catch-up after 1,000 updates (five
 * rounds through the handle, from its write log, and five by another
 * handle, read from storage), and the cache's memory, each next to the equivalent hand-written
 * SQL on the same SQLite file in this program; and the same three questions
 * warm by a plain loop over arrays read from the file (analytics_loop.c).
 * It checks that the library, the plain loop and the SQL give the same
 * answers (analytics_digest.h), and exits non-zero naming the first
 * difference when they do not.
 *
 *   analytics_bench [--n N] [--seed S] [--keep] [--profile K] [--digest OUT] FILE
 *
 * FILE is created when it does not exist (and reused when it does, so the
 * generation is paid once); --keep leaves it in place. --profile K (on an
 * existing FILE) skips the SQL peer and the updates: it times each warm
 * query alone, K times, and prints the best of each (for perf and for
 * comparing one kernel's change). --digest OUT (on an existing FILE) writes
 * the library's answers to OUT, prints its warm time (best of 10) and stops:
 * bench/duckdb-peer compares DuckDB's answers with them. */
#include "analytics/cache.h"
#include "analytics_digest.h"
#include "analytics_loop.h"

#include <spm/spm.h>
#include <spm/sys/storage.h>
#include <sqlite3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NOWNERS 1000
#define ROUNDS 5      /* catch-up rounds (at most 16) */
#define NTEAMS 50
#define DAY 86400
#define T2025 ((spm_time)1735689600) /* 2025-01-01 */

static const char *stage_names[] = { "Qualify", "Discover", "Proposal", "Negotiation", "Won",
				     "Lost" };
static const int stage_prob[] = { 10, 20, 40, 70, 100, 0 };
static const char *stage_outcome[] = { "open", "open", "open", "open", "won", "lost" };
#define NSTAGES 6

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33) % n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this process: on a shared machine, what the work cost
 * without the time spent waiting for a core. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A measurement: wall and CPU milliseconds. */
struct fig {
	double wall, cpu;
};

static struct fig fig_start(void)
{
	return (struct fig){ now_ms(), cpu_ms() };
}

static struct fig fig_since(struct fig t0)
{
	return (struct fig){ now_ms() - t0.wall, cpu_ms() - t0.cpu };
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "analytics_bench: %s: %s (%s)\n", what, spm_error_message(),
		spm_result_name(rc));
	exit(1);
}

#define CHECK(what, call)                      \
	do {                                   \
		int rc_ = (call);              \
		if (rc_ != SPM_OK)             \
			die(what, rc_);        \
	} while (0)

/* The built-in backend, captured through the storage_wrap hook (unchanged). */
struct backend {
	const spm_storage_ops *ops;
	void *self;
};

static int capture(const spm_storage_ops **ops, void **self, spm_db *db, void *payload)
{
	struct backend *b = payload;

	(void)db;
	b->ops = *ops;
	b->self = *self;
	return SPM_OK;
}

static const spm_kind *kind_of(spm_db *db, const char *name)
{
	for (size_t i = 0; i < spm_schema_kind_count(db); i++)
		if (strcmp(spm_kind_name(spm_schema_kind_at(db, i)), name) == 0)
			return spm_schema_kind_at(db, i);
	die(name, SPM_ENOTFOUND);
	return NULL;
}

static size_t field(const spm_kind *k, const char *name)
{
	for (size_t i = 0; i < spm_kind_core_count(k); i++)
		if (strcmp(spm_kind_field_name(k, i), name) == 0)
			return i;
	die(name, SPM_ENOTFOUND);
	return 0;
}

struct writer {
	spm_db *db;
	struct backend b;
	int64_t seq;
	size_t in_txn;
};

static spm_record *new_rec(struct writer *w, const spm_kind *k)
{
	spm_record *rec;
	int64_t id;

	CHECK("next id", w->b.ops->next_id(w->b.self, &id, spm_kind_name(k)));
	CHECK("record", spm_record_alloc(&rec, w->db, k, id, w->seq, 0));
	return rec;
}

static void put(struct writer *w, spm_record *rec)
{
	CHECK("put", w->b.ops->put(w->b.self, rec));
	spm_record_free(rec);
	/* commit in slices: one change sequence per slice, as a batch would */
	if (++w->in_txn == 200000) {
		CHECK("commit", w->b.ops->commit(w->b.self));
		CHECK("begin", w->b.ops->begin(w->b.self, SPM_STORAGE_WRITE));
		CHECK("seq", w->b.ops->next_id(w->b.self, &w->seq, "_seq"));
		w->in_txn = 0;
	}
}

static void generate(spm_db *db, struct backend b, size_t n, uint64_t seed)
{
	struct writer w = { db, b, 0, 0 };
	const spm_kind *kp = kind_of(db, "pipeline"), *ks = kind_of(db, "stage"),
		       *ko = kind_of(db, "opportunity"), *kh = kind_of(db, "stage_history"),
		       *kt = kind_of(db, "team"), *km = kind_of(db, "membership");
	int64_t stages[NSTAGES], pipe;
	spm_record *rec;
	size_t changes = 0;

	rng = seed;
	CHECK("begin", b.ops->begin(b.self, SPM_STORAGE_WRITE));
	CHECK("seq", b.ops->next_id(b.self, &w.seq, "_seq"));
	rec = new_rec(&w, kp);
	pipe = spm_record_id(rec);
	spm_record_load_text(rec, field(kp, "name"), "New business", 12);
	put(&w, rec);
	for (int s = 0; s < NSTAGES; s++) {
		rec = new_rec(&w, ks);
		stages[s] = spm_record_id(rec);
		spm_record_load_int(rec, field(ks, "pipeline_id"), pipe);
		spm_record_load_text(rec, field(ks, "name"), stage_names[s], strlen(stage_names[s]));
		spm_record_load_int(rec, field(ks, "position"), s + 1);
		spm_record_load_int(rec, field(ks, "probability"), stage_prob[s]);
		spm_record_load_text(rec, field(ks, "outcome"), stage_outcome[s],
				     strlen(stage_outcome[s]));
		put(&w, rec);
	}
	for (int t = 0; t < NTEAMS; t++) {
		char name[16];
		snprintf(name, sizeof(name), "Team %02d", t + 1);
		rec = new_rec(&w, kt);
		spm_record_load_text(rec, field(kt, "name"), name, strlen(name));
		put(&w, rec);
	}
	for (int u = 1; u <= NOWNERS; u++) {
		rec = new_rec(&w, km);
		spm_record_load_int(rec, field(km, "user_id"), u);
		spm_record_load_int(rec, field(km, "team_id"), 1 + (u - 1) % NTEAMS);
		spm_record_load_int(rec, field(km, "valid_from"), 20089); /* 2025-01-01 */
		put(&w, rec);
	}
	for (size_t i = 0; i < n; i++) {
		/* a walk through the open stages, sometimes skipping one, ending
		 * open, won or lost */
		int path[8], np = 0, s = 0, end = (int)rnd(10);
		spm_time t = T2025 + (spm_time)rnd(365) * DAY + rnd(DAY), opened = t;
		int64_t id;
		path[np++] = 0;
		while (np < 7 && s < 3 && rnd(10) < 9) {
			s += 1 + (rnd(8) == 0);
			if (s > 3)
				s = 3;
			path[np++] = s;
		}
		if (end < 3)
			path[np++] = 4;
		else if (end < 6)
			path[np++] = 5;
		rec = new_rec(&w, ko);
		id = spm_record_id(rec);
		spm_record_load_text(rec, field(ko, "name"), "deal", 4);
		spm_record_load_int(rec, field(ko, "owner_id"), 1 + rnd(NOWNERS));
		spm_record_load_int(rec, field(ko, "pipeline_id"), pipe);
		spm_record_load_int(rec, field(ko, "stage_id"), stages[path[np - 1]]);
		spm_record_load_text(rec, field(ko, "status"), stage_outcome[path[np - 1]],
				     strlen(stage_outcome[path[np - 1]]));
		spm_record_load_money(rec, field(ko, "amount"), 1000 + rnd(10000000), "CNY");
		spm_record_load_int(rec, field(ko, "expected_close"), 20089 + rnd(540));
		spm_record_load_int(rec, field(ko, "opened_at"), opened);
		spm_record_load_text(rec, field(ko, "source"), rnd(2) ? "web" : "fair", rnd(2) ? 3 : 4);
		{
			spm_record *h[8];
			for (int k = 0; k < np; k++) {
				if (k)
					t += 3600 + rnd(15 * DAY);
				h[k] = new_rec(&w, kh);
				spm_record_load_int(h[k], field(kh, "opportunity_id"), id);
				if (k)
					spm_record_load_int(h[k], field(kh, "from_stage_id"),
							    stages[path[k - 1]]);
				spm_record_load_int(h[k], field(kh, "to_stage_id"), stages[path[k]]);
				spm_record_load_int(h[k], field(kh, "at"), t);
			}
			if (path[np - 1] >= 4)
				spm_record_load_int(rec, field(ko, "closed_at"), t);
			put(&w, rec);
			for (int k = 0; k < np; k++)
				put(&w, h[k]);
			changes += (size_t)np;
		}
	}
	CHECK("commit", b.ops->commit(b.self));
	printf("generated %zu opportunities, %zu stage changes, %d owners in %d teams\n", n,
	       changes, NOWNERS, NTEAMS);
}

/* ---- the library's side ---- */

/* The window of the funnel below, [FROM, TO) in seconds (UTC, as the
 * library reads "from" and "to" dates) */
#define FUNNEL_PIPELINE 1
#define FUNNEL_FROM T2025
#define FUNNEL_TO ((spm_time)1767225600) /* 2026-01-01 */

static const char *lib_queries[] = {
	"{\"query\": \"funnel\", \"pipeline\": 1, \"group_by\": \"owner\", "
	"\"from\": \"2025-01-01\", \"to\": \"2025-12-31\"}",
	"{\"query\": \"win_rate\", \"group_by\": \"owner\"}",
	"{\"query\": \"cycle\", \"group_by\": \"owner\"}",
};

static size_t lib_run(spm_db *db)
{
	size_t rows = 0;

	for (size_t q = 0; q < 3; q++) {
		spm_result *r;
		CHECK(lib_queries[q], spm_report_run(&r, db, lib_queries[q]));
		rows += spm_result_row_count(r);
		spm_result_free(r);
	}
	return rows;
}

/* cell (row, name) of r as an integer or money; DIGEST_NULL when empty */
static int64_t cell(const spm_result *r, size_t row, const char *name)
{
	size_t c;
	int64_t v;
	const char *cur;

	CHECK(name, spm_result_column_index(&c, r, name));
	if (spm_result_is_null(r, row, c))
		return DIGEST_NULL;
	if (spm_result_column_type(r, c) == SPM_COLUMN_MONEY)
		CHECK(name, spm_result_money(&v, &cur, r, row, c));
	else
		CHECK(name, spm_result_int(&v, r, row, c));
	return v;
}

/* The library's answers to lib_queries[], as digest lines. */
static void lib_digest(spm_db *db, struct digest *d)
{
	spm_result *r[3];

	for (size_t q = 0; q < 3; q++)
		CHECK(lib_queries[q], spm_report_run(&r[q], db, lib_queries[q]));
	/* the funnel has a row for every stage of a group that has a deal: the
	 * digest keeps the cells with a deal, as the peers make them */
	for (size_t i = 0; i < spm_result_row_count(r[0]); i++)
		if (cell(r[0], i, "deals") > 0)
			digest_funnel(d, cell(r[0], i, "owner_id"), cell(r[0], i, "stage_id"),
				      cell(r[0], i, "deals"));
	for (size_t i = 0; i < spm_result_row_count(r[1]); i++)
		digest_win(d, cell(r[1], i, "owner_id"), cell(r[1], i, "won"), cell(r[1], i, "lost"),
			   cell(r[1], i, "won_amount"));
	for (size_t i = 0; i < spm_result_row_count(r[2]); i++)
		for (int lost = 0; lost < 2; lost++) {
			const char *n = lost ? "lost" : "won";
			char mean[24], med[24];
			int64_t count = cell(r[2], i, n);
			snprintf(mean, sizeof(mean), "%s_mean_days", n);
			snprintf(med, sizeof(med), "%s_median_days", n);
			if (count > 0)
				digest_cycle_ppm(d, cell(r[2], i, "owner_id"), lost, count,
						 cell(r[2], i, mean), cell(r[2], i, med));
		}
	for (size_t q = 0; q < 3; q++)
		spm_result_free(r[q]);
}

/* ---- the peer: hand-written SQL on the same file ---- */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t col_or_null(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? DIGEST_NULL :
		sqlite3_column_int64(st, c);
}

/* The three questions in SQL; when d is not NULL, their answers are added
 * to it. The funnel's SQL simplifies the library's definition in three ways
 * that the generated data never meets (the agreement check would show it):
 * a deal's first row never leaves a stage (so no deal entered a stage when
 * it was opened without a row), no row goes into another pipeline's stage,
 * and the opportunity's pipeline_id is its stage's. */
static size_t sql_run(const char *path, struct digest *d)
{
	static const char *q[] = {
		"SELECT o.owner_id, h.to_stage_id, COUNT(DISTINCT h.opportunity_id) "
		"FROM stage_history h JOIN opportunity o ON o.id = h.opportunity_id "
		"WHERE h.deleted = 0 AND o.deleted = 0 AND o.pipeline_id = 1 AND "
		"h.at >= 1735689600 AND h.at < 1767225600 GROUP BY 1, 2",
		"SELECT owner_id, SUM(status = 'won'), SUM(status = 'lost'), "
		"SUM(CASE WHEN status = 'won' THEN amount END) FROM opportunity "
		"WHERE deleted = 0 GROUP BY owner_id",
		"SELECT owner_id, status = 'lost', closed_at - COALESCE(opened_at, created_at) "
		"FROM opportunity WHERE deleted = 0 AND status IN ('won', 'lost') AND "
		"closed_at IS NOT NULL AND COALESCE(opened_at, created_at) IS NOT NULL "
		"ORDER BY 1, 2",
	};
	sqlite3 *s;
	size_t rows = 0;
	int64_t *vals = NULL;
	size_t nv = 0, cap = 0;
	int64_t cur_owner = -1, cur_l = -1, sum = 0, sink = 0;
	int owners = 0;  /* owner rows of the cycle: one per owner with either outcome */

	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("sqlite open", SPM_ESTORAGE);
	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *st;
		int more;
		if (sqlite3_prepare_v2(s, q[i], -1, &st, NULL) != SQLITE_OK) {
			fprintf(stderr, "%s\n", sqlite3_errmsg(s));
			exit(1);
		}
		do {
			more = sqlite3_step(st) == SQLITE_ROW;
			if (i == 0 && more) {
				rows++;
				if (d)
					digest_funnel(d, col_or_null(st, 0), sqlite3_column_int64(st, 1),
						      sqlite3_column_int64(st, 2));
				continue;
			}
			if (i == 1 && more) {
				rows++;
				if (d)
					digest_win(d, col_or_null(st, 0), sqlite3_column_int64(st, 1),
						   sqlite3_column_int64(st, 2), col_or_null(st, 3));
				continue;
			}
			if (i == 1)
				continue;
			/* medians per (owner, outcome), from the ordered stream; the
			 * end of the stream closes the last group */
			if (nv && (!more || col_or_null(st, 0) != cur_owner ||
				   sqlite3_column_int64(st, 1) != cur_l)) {
				int64_t mid2;
				qsort(vals, nv, sizeof(*vals), cmp64);
				mid2 = nv % 2 ? 2 * vals[nv / 2] : vals[nv / 2 - 1] + vals[nv / 2];
				sink += mid2;
				if (d)
					digest_cycle(d, cur_owner, (int)cur_l, (int64_t)nv, sum, mid2);
				nv = 0;
				sum = 0;
			}
			if (!more)
				continue;
			if (col_or_null(st, 0) != cur_owner || owners == 0) {
				owners++;
				cur_owner = col_or_null(st, 0);
			}
			cur_l = sqlite3_column_int64(st, 1);
			if (nv == cap) {
				cap = cap ? cap * 2 : 1024;
				vals = realloc(vals, cap * sizeof(*vals));
				if (vals == NULL)
					die("sql peer", SPM_ENOMEM);
			}
			vals[nv++] = sqlite3_column_int64(st, 2);
			sum += vals[nv - 1];
		} while (more);
		sqlite3_finalize(st);
	}
	free(vals);
	sqlite3_close(s);
	return rows + (size_t)owners + (size_t)(sink & 0);
}

/* The median of n figures, by wall time and by CPU time separately. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct fig median_of(const struct fig *f, int n)
{
	double w[16], c[16];

	for (int k = 0; k < n; k++) {
		w[k] = f[k].wall;
		c[k] = f[k].cpu;
	}
	qsort(w, (size_t)n, sizeof(*w), cmp_double);
	qsort(c, (size_t)n, sizeof(*c), cmp_double);
	return (struct fig){ w[n / 2], c[n / 2] };
}

/* The best of several runs, by wall time and by CPU time separately: of
 * the library on db, else of the plain loop on l, else of the SQL on path. */
static struct fig best_of(int times, spm_db *db, const struct loop_data *l, const char *path)
{
	struct fig best = { 1e18, 1e18 };

	for (int i = 0; i < times; i++) {
		struct fig t0 = fig_start(), t;
		if (db)
			lib_run(db);
		else if (l)
			loop_run(l, FUNNEL_PIPELINE, FUNNEL_FROM, FUNNEL_TO, NULL);
		else
			sql_run(path, NULL);
		t = fig_since(t0);
		best.wall = t.wall < best.wall ? t.wall : best.wall;
		best.cpu = t.cpu < best.cpu ? t.cpu : best.cpu;
	}
	return best;
}

/* --profile: each warm query alone, and the catch-up probe alone. */
static void profile(spm_db *db, int times)
{
	struct fig best[4] = { { 1e18, 1e18 }, { 1e18, 1e18 }, { 1e18, 1e18 }, { 1e18, 1e18 } };
	struct spm__acache *c;

	lib_run(db);
	for (int i = 0; i < times; i++)
		for (int q = 0; q < 4; q++) {
			struct fig t0 = fig_start(), t;
			spm_result *r;
			if (q < 3)
				CHECK(lib_queries[q], spm_report_run(&r, db, lib_queries[q]));
			else
				CHECK("catch up", spm__acache_get(&c, db, 0));
			t = fig_since(t0);
			if (q < 3)
				spm_result_free(r);
			best[q].wall = t.wall < best[q].wall ? t.wall : best[q].wall;
			best[q].cpu = t.cpu < best[q].cpu ? t.cpu : best[q].cpu;
		}
	printf("best of %d, ms wall (CPU): funnel %.2f (%.2f), win rate %.2f (%.2f), "
	       "cycle %.2f (%.2f), catch-up probe alone %.2f (%.2f)\n", times, best[0].wall,
	       best[0].cpu, best[1].wall, best[1].cpu, best[2].wall, best[2].cpu, best[3].wall,
	       best[3].cpu);
}

static spm_db *open_handle(const char *path, struct backend *b)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db;

	o.path = path;
	o.actor = 0;
	if (b) {
		o.storage_wrap = capture;
		o.storage_wrap_payload = b;
	}
	CHECK("open", spm_db_open(&db, &o));
	return db;
}

/* The library's, the plain loop's and the SQL's answers, compared line by
 * line; exits 1 naming the first difference. */
static void check_answers(spm_db *db, const struct loop_data *l, const char *path)
{
	struct digest lib = { NULL, 0, 0 }, loop = { NULL, 0, 0 }, sql = { NULL, 0, 0 };

	lib_digest(db, &lib);
	loop_run(l, FUNNEL_PIPELINE, FUNNEL_FROM, FUNNEL_TO, &loop);
	sql_run(path, &sql);
	digest_sort(&lib);
	digest_sort(&loop);
	digest_sort(&sql);
	if (digest_compare(&lib, "the library", &loop, "the plain loop") != 0 ||
	    digest_compare(&lib, "the library", &sql, "the SQL") != 0)
		exit(1);
	printf("answers agree: the library, the plain loop and the SQL give the same %zu "
	       "cells (funnel counts, won, lost, won amounts, cycle counts, means and "
	       "medians)\n", lib.n);
	digest_free(&lib);
	digest_free(&loop);
	digest_free(&sql);
}

/* --digest: the library's answers on path written to out (for a peer in
 * another program), and their warm time. */
static int write_digest(const char *path, const char *out)
{
	spm_db *db = open_handle(path, NULL);
	struct digest d = { NULL, 0, 0 };
	struct fig warm;

	lib_run(db);
	warm = best_of(10, db, NULL, NULL);
	lib_digest(db, &d);
	digest_sort(&d);
	if (digest_write(&d, out) != 0) {
		fprintf(stderr, "analytics_bench: %s: %s\n", out, strerror(errno));
		return 1;
	}
	printf("library: funnel + win rate + median cycle by owner, warm, best of 10: %.2f ms "
	       "(CPU %.2f); %zu answer lines written to %s\n", warm.wall, warm.cpu, d.n, out);
	digest_free(&d);
	spm_db_close(db);
	return 0;
}

static void update_1000(spm_db *db, size_t n)
{
	spm_batch *b;
	uint64_t off = rnd((uint32_t)n);

	CHECK("batch", spm_batch_new(&b, db));
	for (int i = 0; i < 1000 && (size_t)i < n; i++) {
		spm_record *r;
		int64_t amount;
		const char *cur;
		/* 1,000 distinct deals (7919 is prime); each amount goes up by one
		 * cent, so that a rerun on a kept file changes them again (saving
		 * the same value would write nothing) */
		int64_t id = 1 + (int64_t)(((uint64_t)i * 7919 + off) % n);
		CHECK("get", spm_record_get(&r, db, "opportunity", id));
		CHECK("amount", spm_record_get_money(&amount, &cur, r, "amount"));
		CHECK("set", spm_record_set_money(r, "amount", amount + 1, "CNY"));
		CHECK("batch save", spm_batch_save(b, r));
		spm_record_free(r);
	}
	CHECK("commit", spm_batch_commit(b, NULL));
	spm_batch_free(b);
}

/* ROUNDS rounds of 1,000 updates through writer, each timed, then the
 * catch-up of db's cache, timed, then the queries; db's cache at the end. */
static struct spm__acache *catch_up_rounds(spm_db *db, spm_db *writer, size_t n,
					   struct fig *writes, struct fig *rounds)
{
	struct spm__acache *c = NULL;

	for (int k = 0; k < ROUNDS; k++) {
		struct fig t = fig_start();
		update_1000(writer, n);
		writes[k] = fig_since(t);
		t = fig_start();
		CHECK("catch up", spm__acache_get(&c, db, 0));
		rounds[k] = fig_since(t);
		lib_run(db);
	}
	return c;
}

int main(int argc, char **argv)
{
	size_t n = 1000000;
	uint64_t seed = 42;
	const char *path = NULL, *digest_out = NULL;
	int keep = 0, bad = 0, fresh, prof = 0;
	spm_db *db;
	struct backend b = { NULL, NULL };
	struct fig warm, warm_sql, warm_loop, load, cold, cold_sql, refresh, t, rounds[ROUNDS];
	struct fig refresh_other, rounds_other[ROUNDS], writes[ROUNDS], writes_other[ROUNDS];
	spm_db *other;
	struct loop_data loop;
	double t0;
	struct spm__acache *c;
	struct rusage ru, ru_lib;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			prof = atoi(argv[++i]);
		else if (strcmp(argv[i], "--digest") == 0 && i + 1 < argc)
			digest_out = argv[++i];
		else if (argv[i][0] == '-' || path != NULL)
			bad = 1;  /* an unknown option or a second file */
		else
			path = argv[i];
	}
	if (bad || path == NULL || n == 0) {
		fprintf(stderr, "usage: analytics_bench [--n N] [--seed S] [--keep] [--profile K] "
			"[--digest OUT] FILE\n");
		return 2;
	}
	fresh = access(path, F_OK) != 0;
	db = open_handle(path, &b);
	if (fresh) {
		t0 = now_ms();
		generate(db, b, n, seed);
		printf("generation: %.0f ms\n", now_ms() - t0);
	}
	spm_db_close(db);
	if (digest_out)
		return write_digest(path, digest_out);  /* FILE is kept */
	if (prof > 0 && !fresh) {
		db = open_handle(path, NULL);
		profile(db, prof);
		spm_db_close(db);
		return 0;
	}

	/* cold: a freshly opened file, the cache built from scans */
	db = open_handle(path, NULL);
	t = fig_start();
	lib_run(db);
	cold = fig_since(t);
	t = fig_start();
	sql_run(path, NULL);
	cold_sql = fig_since(t);

	warm = best_of(10, db, NULL, NULL);
	warm_sql = best_of(3, NULL, NULL, path);

	/* the plain loop: its arrays read from the file once, then timed warm;
	 * the peak RSS before them is the library's and the SQL's */
	getrusage(RUSAGE_SELF, &ru_lib);
	t = fig_start();
	loop_load(&loop, path);
	load = fig_since(t);
	warm_loop = best_of(10, NULL, &loop, NULL);
	check_answers(db, &loop, path);
	loop_free(&loop);

	/* the catch-up, in ROUNDS rounds of 1,000 updates each: a single one
	 * says more about the machine's load at that moment than the code.
	 * Updates through this handle reach its cache from memory (its write
	 * log); another handle's are read from storage. */
	rng = seed + 1;
	c = catch_up_rounds(db, db, n, writes, rounds);
	refresh = median_of(rounds, ROUNDS);
	other = open_handle(path, NULL);
	c = catch_up_rounds(db, other, n, writes_other, rounds_other);
	spm_db_close(other);
	refresh_other = median_of(rounds_other, ROUNDS);

	getrusage(RUSAGE_SELF, &ru);
	printf("machine: 2 cores, Debian 12; %zu opportunities, %zu stage changes\n", n,
	       c->hn + c->dn);
	printf("figures in ms, wall (CPU of this process)\n");
	printf("funnel + win rate + median cycle by owner, warm: %8.2f (%8.2f)  SQL %9.2f "
	       "(%9.2f)  ratio %.3f\n", warm.wall, warm.cpu, warm_sql.wall, warm_sql.cpu,
	       warm.wall / warm_sql.wall);
	printf("the same by a plain loop over arrays, warm:     %8.2f (%8.2f)  ratio of the "
	       "library to it %.3f\n  (no visibility, result sets or currencies; its arrays were "
	       "read from the file in %.0f ms, CPU %.0f)\n", warm_loop.wall, warm_loop.cpu,
	       warm.wall / warm_loop.wall, load.wall, load.cpu);
	printf("the same, cold (fresh handle):                   %8.2f (%8.2f)  SQL %9.2f "
	       "(%9.2f)  ratio %.3f\n", cold.wall, cold.cpu, cold_sql.wall, cold_sql.cpu,
	       cold.wall / cold_sql.wall);
	printf("catch-up after 1,000 updates, median of %d:      %8.2f (%8.2f)  SQL re-run "
	       "%9.2f  ratio %.3f\n", ROUNDS, refresh.wall, refresh.cpu, warm_sql.wall,
	       refresh.wall / warm_sql.wall);
	printf("  through this handle (from its write log), each round:");
	for (int k = 0; k < ROUNDS; k++)
		printf(" %.2f (%.2f)", rounds[k].wall, rounds[k].cpu);
	printf("\n");
	printf("the same by another handle (read from storage):  %8.2f (%8.2f)  SQL re-run "
	       "%9.2f  ratio %.3f\n", refresh_other.wall, refresh_other.cpu, warm_sql.wall,
	       refresh_other.wall / warm_sql.wall);
	printf("  each round:");
	for (int k = 0; k < ROUNDS; k++)
		printf(" %.2f (%.2f)", rounds_other[k].wall, rounds_other[k].cpu);
	printf("\n");
	printf("the 1,000 updates (one batch), median: through this handle, write log kept "
	       "%.1f (%.1f); by the other handle %.1f (%.1f)\n", median_of(writes, ROUNDS).wall,
	       median_of(writes, ROUNDS).cpu, median_of(writes_other, ROUNDS).wall,
	       median_of(writes_other, ROUNDS).cpu);
	printf("cache: %.1f MB, %.1f bytes per opportunity with its stage history; "
	       "peak RSS %.1f MB before the plain loop's arrays, %.1f MB at the end\n",
	       spm__acache_bytes(c) / 1048576.0, (double)spm__acache_bytes(c) / (double)n,
	       ru_lib.ru_maxrss / 1024.0, ru.ru_maxrss / 1024.0);
	spm_db_close(db);
	if (!keep && fresh) {
		char wal[1100];
		unlink(path);
		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	return 0;
}
