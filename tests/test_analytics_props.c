/* Analytics properties over seeded random data: every query equals a
 * straightforward SQL computation on the same SQLite file; a cache caught up
 * after random writes equals one built from scratch; a write by another
 * process is seen by the next query; this handle's own writes are applied
 * from memory, and read from storage whenever that could miss one. SQL
 * lives here, in the test, only. */
#include "helpers.h"
#include "core/record_internal.h"

#include <spm/report.h>
#include <spm/sys/storage.h>
#include <sqlite3.h>
#include <sys/wait.h>

#define NOWNERS 5
#define NSTAGES 5

static spm_db *db;
static char path[256];
static int64_t pipe_id, stages[NSTAGES];
static const char *outcomes[NSTAGES] = { "open", "open", "open", "won", "lost" };
static const int probs[NSTAGES] = { 10, 30, 60, 100, 0 };
static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33) % n;
}

#define BASE ((spm_time)1767225600) /* 2026-01-01 */

static int64_t add_stage(int i)
{
	char pid[24], pos[8], prob[8], name[16];

	snprintf(pid, sizeof(pid), "%lld", (long long)pipe_id);
	snprintf(pos, sizeof(pos), "%d", i + 1);
	snprintf(prob, sizeof(prob), "%d", probs[i]);
	snprintf(name, sizeof(name), "S%d", i + 1);
	return ADD("stage", "pipeline_id", pid, "name", name, "position", pos, "probability", prob,
		   "outcome", outcomes[i]);
}

/* A deal with 1..5 stage changes at increasing times; its current stage is
 * the last one, closed_at set iff it ended won or lost. */
static void random_deal(spm_batch *hist)
{
	spm_record *r;
	int n = 1 + (int)rnd(5), last = 0;
	spm_time t = BASE + rnd(90) * 86400 + rnd(86400), opened = t;
	int64_t id;
	static const char *sources[] = { "web", "fair", NULL };
	int seq[6];

	for (int k = 0; k < n; k++) {
		seq[k] = (int)rnd(NSTAGES);
		if (k == 0)
			seq[k] = (int)rnd(2);
	}
	last = seq[n - 1];
	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	spm_record_set_text(r, "name", "d");
	spm_record_set_int(r, "pipeline_id", pipe_id);
	spm_record_set_int(r, "stage_id", stages[last]);
	spm_record_set_text(r, "status", outcomes[last]);
	if (rnd(6))
		spm_record_set_int(r, "owner_id", 1 + rnd(NOWNERS));
	if (rnd(8))
		spm_record_set_money(r, "amount", (int64_t)rnd(1000000), "CNY");
	if (rnd(5))
		spm_record_set_date(r, "expected_close", (spm_date)(20454 + rnd(365)));
	if (sources[rnd(3)])
		spm_record_set_text(r, "source", sources[rnd(2)]);
	spm_record_set_time(r, "opened_at", opened);
	for (int k = 1; k < n; k++)
		t += 3600 + rnd(20 * 86400);
	if (last >= 3)
		spm_record_set_time(r, "closed_at", t);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	t = opened;
	for (int k = 0; k < n; k++) {
		spm_record *h;
		if (k)
			t += 3600 + rnd(20 * 86400);
		cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
		spm_record_set_int(h, "opportunity_id", id);
		spm_record_set_int(h, "to_stage_id", stages[seq[k]]);
		spm_record_set_time(h, "at", t);
		cr_assert_eq(spm_batch_save(hist, h), SPM_OK);
		spm_record_free(h);
	}
}

static void make_data(uint64_t seed, int ndeals)
{
	spm_batch *b;

	rng = seed;
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_db_set_actor(db, 0), SPM_OK);
	pipe_id = ADD("pipeline", "name", "P");
	for (int i = 0; i < NSTAGES; i++)
		stages[i] = add_stage(i);
	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	for (int i = 0; i < ndeals; i++)
		random_deal(b);
	cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK, "%s", spm_error_message());
	spm_batch_free(b);
}

static spm_result *run(spm_db *h, const char *json)
{
	spm_result *r = NULL;

	cr_assert_eq(spm_report_run(&r, h, json), SPM_OK, "%s: %s", json, spm_error_message());
	return r;
}

static int64_t cell(const spm_result *r, size_t row, const char *name)
{
	size_t c;
	int64_t v;
	const char *cur;

	cr_assert_eq(spm_result_column_index(&c, r, name), SPM_OK);
	if (spm_result_is_null(r, row, c))
		return INT64_MIN;
	if (spm_result_column_type(r, c) == SPM_COLUMN_MONEY)
		cr_assert_eq(spm_result_money(&v, &cur, r, row, c), SPM_OK);
	else
		cr_assert_eq(spm_result_int(&v, r, row, c), SPM_OK);
	return v;
}

/* The row whose integer column name is key (INT64_MIN: the empty one). */
static long find_row(const spm_result *r, const char *name, int64_t key)
{
	for (size_t i = 0; i < spm_result_row_count(r); i++)
		if (cell(r, i, name) == key)
			return (long)i;
	return -1;
}

static sqlite3 *sql_open(void)
{
	sqlite3 *s;

	cr_assert_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return s;
}

__extension__ typedef __int128 i128;

static int64_t ppm(int64_t num, int64_t den)
{
	/* half-even, as the library documents */
	i128 n = (i128)num * 1000000, q = n / den, rem = n % den;

	if (2 * rem > den || (2 * rem == den && (q & 1)))
		q++;
	return (int64_t)q;
}

static void check_win_rate(void)
{
	sqlite3 *s = sql_open();
	sqlite3_stmt *st;
	spm_result *r = run(db, "{\"query\": \"win_rate\", \"group_by\": \"owner\", "
			    "\"from\": \"2026-02-01\", \"to\": \"2026-04-30\"}");
	int rows = 0;

	cr_assert_eq(sqlite3_prepare_v2(s,
		"SELECT owner_id, SUM(status = 'won'), SUM(status = 'lost'), "
		"SUM(CASE WHEN status = 'won' THEN amount END) FROM opportunity "
		"WHERE deleted = 0 AND status IN ('won', 'lost') AND "
		"date(closed_at, 'unixepoch') BETWEEN '2026-02-01' AND '2026-04-30' "
		"GROUP BY owner_id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t owner = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MIN :
			sqlite3_column_int64(st, 0);
		int64_t won = sqlite3_column_int64(st, 1), lost = sqlite3_column_int64(st, 2);
		long row = find_row(r, "owner_id", owner);
		cr_assert_geq(row, 0, "owner %lld", (long long)owner);
		cr_assert_eq(cell(r, row, "won"), won);
		cr_assert_eq(cell(r, row, "lost"), lost);
		cr_assert_eq(cell(r, row, "win_rate"), ppm(won, won + lost));
		cr_assert_eq(cell(r, row, "won_amount"), sqlite3_column_type(st, 3) == SQLITE_NULL ?
			     INT64_MIN : sqlite3_column_int64(st, 3));
		rows++;
	}
	cr_assert_eq((size_t)rows, spm_result_row_count(r));
	sqlite3_finalize(st);
	sqlite3_close(s);
	spm_result_free(r);
}

static void check_pipeline(void)
{
	sqlite3 *s = sql_open();
	sqlite3_stmt *st;
	spm_result *r = run(db, "{\"query\": \"pipeline\", \"group_by\": \"stage\"}");
	int rows = 0;

	cr_assert_eq(sqlite3_prepare_v2(s,
		"SELECT o.stage_id, COUNT(*), SUM(o.amount), SUM(o.amount * s.probability) "
		"FROM opportunity o JOIN stage s ON s.id = o.stage_id "
		"WHERE o.deleted = 0 AND o.status = 'open' GROUP BY o.stage_id", -1, &st, NULL),
		     SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long row = find_row(r, "stage_id", sqlite3_column_int64(st, 0));
		int64_t w = sqlite3_column_int64(st, 3), q = w / 100, rem = w % 100;
		if (rem > 50 || (rem == 50 && (q & 1)))
			q++;
		cr_assert_geq(row, 0);
		cr_assert_eq(cell(r, row, "open_deals"), sqlite3_column_int64(st, 1));
		cr_assert_eq(cell(r, row, "open_amount"), sqlite3_column_type(st, 2) == SQLITE_NULL ?
			     INT64_MIN : sqlite3_column_int64(st, 2));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			cr_assert_eq(cell(r, row, "weighted_amount"), q);
		rows++;
	}
	cr_assert_eq((size_t)rows, spm_result_row_count(r));
	sqlite3_finalize(st);
	sqlite3_close(s);
	spm_result_free(r);
}

static void check_funnel_entered(void)
{
	sqlite3 *s = sql_open();
	sqlite3_stmt *st;
	char json[200];
	spm_result *r;
	int rows = 0;

	snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, \"from\": "
		 "\"2026-01-15\", \"to\": \"2026-03-15\"}", (long long)pipe_id);
	r = run(db, json);
	cr_assert_eq(sqlite3_prepare_v2(s,
		"SELECT h.to_stage_id, COUNT(DISTINCT h.opportunity_id) FROM stage_history h "
		"JOIN opportunity o ON o.id = h.opportunity_id WHERE h.deleted = 0 AND "
		"o.deleted = 0 AND date(h.at, 'unixepoch') BETWEEN '2026-01-15' AND '2026-03-15' "
		"GROUP BY h.to_stage_id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long row = find_row(r, "stage_id", sqlite3_column_int64(st, 0));
		cr_assert_geq(row, 0);
		cr_assert_eq(cell(r, row, "deals"), sqlite3_column_int64(st, 1), "stage %lld",
			     (long long)sqlite3_column_int64(st, 0));
		rows++;
	}
	for (size_t i = 0; i < spm_result_row_count(r); i++)
		rows -= cell(r, i, "deals") > 0;
	cr_assert_eq(rows, 0, "stages the SQL did not find have 0 deals");
	sqlite3_finalize(st);
	sqlite3_close(s);
	spm_result_free(r);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n) in days (ppm), as the library defines it. */
static int64_t median_ppm(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp64);
	if (n % 2)
		return ppm(v[n / 2], 86400);
	return ppm(v[n / 2 - 1] + v[n / 2], 2 * 86400);
}

static void check_cycle(void)
{
	sqlite3 *s = sql_open();
	sqlite3_stmt *st;
	spm_result *r = run(db, "{\"query\": \"cycle\", \"group_by\": \"owner\"}");
	int64_t vals[2][NOWNERS + 1][512];
	size_t nv[2][NOWNERS + 1] = { { 0 } };
	int64_t sum[2][NOWNERS + 1] = { { 0 } };

	cr_assert_eq(sqlite3_prepare_v2(s,
		"SELECT COALESCE(owner_id, 0), status = 'lost', closed_at - opened_at "
		"FROM opportunity WHERE deleted = 0 AND status IN ('won', 'lost') "
		"AND closed_at IS NOT NULL", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int o = sqlite3_column_int(st, 0), l = sqlite3_column_int(st, 1);
		cr_assert_lt(nv[l][o], 512);
		vals[l][o][nv[l][o]++] = sqlite3_column_int64(st, 2);
		sum[l][o] += sqlite3_column_int64(st, 2);
	}
	for (int o = 0; o <= NOWNERS; o++) {
		long row = find_row(r, "owner_id", o ? o : INT64_MIN);
		if (nv[0][o] + nv[1][o] == 0) {
			cr_assert_eq(row, -1);
			continue;
		}
		cr_assert_geq(row, 0);
		for (int l = 0; l < 2; l++) {
			const char *n = l ? "lost" : "won";
			char mean[32], med[32];
			snprintf(mean, sizeof(mean), "%s_mean_days", n);
			snprintf(med, sizeof(med), "%s_median_days", n);
			cr_assert_eq(cell(r, row, n), (int64_t)nv[l][o]);
			if (nv[l][o] == 0)
				continue;
			cr_assert_eq(cell(r, row, mean), ppm(sum[l][o], (int64_t)nv[l][o] * 86400));
			cr_assert_eq(cell(r, row, med), median_ppm(vals[l][o], nv[l][o]));
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
	spm_result_free(r);
}

static void check_time_in_stage(void)
{
	sqlite3 *s = sql_open();
	sqlite3_stmt *st;
	char json[120];
	spm_result *r;
	int rows = 0;

	snprintf(json, sizeof(json), "{\"query\": \"time_in_stage\", \"pipeline\": %lld}",
		 (long long)pipe_id);
	r = run(db, json);
	cr_assert_eq(sqlite3_prepare_v2(s,
		"SELECT stage, COUNT(*), SUM(secs) FROM (SELECT h.to_stage_id AS stage, "
		"LEAD(h.at) OVER (PARTITION BY h.opportunity_id ORDER BY h.at, h.id) - h.at AS secs "
		"FROM stage_history h JOIN opportunity o ON o.id = h.opportunity_id "
		"WHERE h.deleted = 0 AND o.deleted = 0) WHERE secs IS NOT NULL GROUP BY stage",
		-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long row = find_row(r, "stage_id", sqlite3_column_int64(st, 0));
		cr_assert_geq(row, 0);
		cr_assert_eq(cell(r, row, "stays"), sqlite3_column_int64(st, 1));
		cr_assert_eq(cell(r, row, "mean_days"),
			     ppm(sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 1) * 86400));
		rows++;
	}
	cr_assert_eq((size_t)rows, spm_result_row_count(r));
	sqlite3_finalize(st);
	sqlite3_close(s);
	spm_result_free(r);
}

static void check_all(void)
{
	check_win_rate();
	check_pipeline();
	check_funnel_entered();
	check_cycle();
	check_time_in_stage();
}

Test(analytics_props, every_query_equals_sql_over_seeds)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		make_data(seed, 150);
		check_all();
		spm_db_close(db);
	}
}

struct text {
	char *s;
	size_t n;
};

static int collect(const char *data, size_t len, void *payload)
{
	struct text *t = payload;

	t->s = realloc(t->s, t->n + len + 1);
	memcpy(t->s + t->n, data, len);
	t->n += len;
	t->s[t->n] = '\0';
	return 0;
}

static char *csv_of(spm_db *h, const char *json)
{
	struct text t = { NULL, 0 };
	spm_result *r = run(h, json);

	cr_assert_eq(spm_result_csv(r, collect, &t), SPM_OK);
	spm_result_free(r);
	return t.s;
}

static const char *const queries[] = {
	"{\"query\": \"win_rate\", \"group_by\": \"owner\"}",
	"{\"query\": \"cycle\", \"group_by\": \"source\"}",
	"{\"query\": \"pipeline\", \"group_by\": \"stage\", \"period\": \"month\"}",
	"{\"query\": \"time_in_stage\", \"group_by\": \"owner\"}",
	"{\"query\": \"velocity\", \"group_by\": \"owner\"}",
	"{\"query\": \"funnel\", \"pipeline\": 1, \"funnel\": \"reached\", \"group_by\": \"owner\"}",
	"{\"query\": \"funnel\", \"pipeline\": 1, \"period\": \"month\"}",
};

static void random_writes(int n)
{
	for (int i = 0; i < n; i++) {
		int64_t id = 1 + rnd(150);
		spm_record *r;
		int rc;
		switch (rnd(5)) {
		case 0: /* a new deal and its history */
		{
			spm_batch *b;
			cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
			random_deal(b);
			cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK);
			spm_batch_free(b);
			break;
		}
		case 1: /* a deal changes owner and amount */
			if (spm_record_get(&r, db, "opportunity", id) != SPM_OK)
				break;
			spm_record_set_int(r, "owner_id", 1 + rnd(NOWNERS));
			spm_record_set_money(r, "amount", (int64_t)rnd(1000000), "CNY");
			cr_assert_eq(spm_record_save(db, r), SPM_OK);
			spm_record_free(r);
			break;
		case 2: /* a deal is deleted */
			spm_record_delete(db, "opportunity", id);
			break;
		case 3: /* a stage change is added */
		{
			spm_record *h;
			cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
			spm_record_set_int(h, "opportunity_id", 1 + rnd(150));
			spm_record_set_int(h, "to_stage_id", stages[rnd(NSTAGES)]);
			spm_record_set_time(h, "at", BASE + rnd(120) * 86400);
			rc = spm_record_save(db, h);  /* its deal may be deleted */
			cr_assert(rc == SPM_OK || rc == SPM_ENOTFOUND, "%s", spm_error_message());
			spm_record_free(h);
			break;
		}
		default: /* an old stage change is edited or deleted */
			if (rnd(2)) {
				spm_record_delete(db, "stage_history", 1 + rnd(300));
			} else if (spm_record_get(&r, db, "stage_history", 1 + rnd(300)) == SPM_OK) {
				spm_record_set_time(r, "at", BASE + rnd(120) * 86400);
				rc = spm_record_save(db, r);
				cr_assert(rc == SPM_OK || rc == SPM_ENOTFOUND, "%s", spm_error_message());
				spm_record_free(r);
			}
		}
	}
}

Test(analytics_props, caught_up_cache_equals_a_fresh_build)
{
	for (uint64_t seed = 11; seed <= 13; seed++) {
		make_data(seed, 150);
		for (int round = 0; round < 4; round++) {
			spm_db *fresh;
			for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++)
				free(csv_of(db, queries[q]));  /* warm */
			random_writes(1 + (int)rnd(30));
			fresh = open_db(path);
			cr_assert_eq(spm_db_set_actor(fresh, 0), SPM_OK);
			for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
				char *a = csv_of(db, queries[q]), *b = csv_of(fresh, queries[q]);
				cr_assert_str_eq(a, b, "seed %llu round %d: %s", (unsigned long long)seed,
						 round, queries[q]);
				free(a);
				free(b);
			}
			spm_db_close(fresh);
		}
		check_all();
		spm_db_close(db);
	}
}

/* The kernels' plain loops (no periods, no drill-down: funnel by stage
 * masks, win rate and cycle without window lookups) against the general
 * path, which drill-down forces: the same cells for every funnel definition,
 * with and without a window, one group per deal or a team roll-up. */
static const char *const plain_queries[] = {
	"\"query\": \"funnel\", \"pipeline\": 1",
	"\"query\": \"funnel\", \"pipeline\": 1, \"from\": \"2026-01-15\", \"to\": \"2026-03-15\"",
	"\"query\": \"funnel\", \"pipeline\": 1, \"funnel\": \"reached\"",
	"\"query\": \"funnel\", \"pipeline\": 1, \"funnel\": \"reached\", \"from\": \"2026-02-01\"",
	"\"query\": \"funnel\", \"pipeline\": 1, \"funnel\": \"current\"",
	"\"query\": \"funnel\", \"pipeline\": 1, \"funnel\": \"current\", \"to\": \"2026-02-01\"",
	"\"query\": \"funnel\", \"pipeline\": 1, \"date_field\": \"opened_at\", \"from\": \"2026-02-01\"",
	"\"query\": \"win_rate\"",
	"\"query\": \"cycle\"",
};

Test(analytics_props, plain_loops_equal_the_general_path)
{
	static const char *const dims[] = { "owner", "team", "source" };
	char plain[300], general[300];

	for (uint64_t seed = 21; seed <= 23; seed++) {
		make_data(seed, 150);
		for (size_t q = 0; q < sizeof(plain_queries) / sizeof(*plain_queries); q++)
			for (size_t d = 0; d < 3; d++) {
				char *a, *b;
				snprintf(plain, sizeof(plain), "{%s, \"group_by\": \"%s\"}",
					 plain_queries[q], dims[d]);
				snprintf(general, sizeof(general), "{%s, \"group_by\": \"%s\", "
					 "\"drill\": true}", plain_queries[q], dims[d]);
				a = csv_of(db, plain);
				b = csv_of(db, general);
				cr_assert_str_eq(a, b, "seed %llu: %s", (unsigned long long)seed, plain);
				cr_assert_gt(strlen(a), 40, "%s: some rows", plain);
				free(a);
				free(b);
			}
		spm_db_close(db);
	}
}

Test(analytics_props, a_write_from_another_process_is_seen)
{
	spm_result *r;
	int64_t won;
	pid_t pid;
	int status;

	make_data(99, 40);
	r = run(db, "{\"query\": \"win_rate\"}");
	won = cell(r, 0, "won");
	spm_result_free(r);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		spm_db_options o = SPM_DB_OPTIONS_INIT;
		spm_db *other;
		spm_record *rec;
		int ok;
		o.path = path;
		ok = spm_db_open(&other, &o) == SPM_OK && spm_record_new(&rec, other,
			"opportunity") == SPM_OK;
		ok = ok && spm_record_set_text(rec, "name", "elsewhere") == SPM_OK &&
			spm_record_set_int(rec, "pipeline_id", pipe_id) == SPM_OK &&
			spm_record_set_int(rec, "stage_id", stages[3]) == SPM_OK &&
			spm_record_set_text(rec, "status", "won") == SPM_OK &&
			spm_record_set_time(rec, "opened_at", BASE) == SPM_OK &&
			spm_record_set_time(rec, "closed_at", BASE + 86400) == SPM_OK &&
			spm_record_save(other, rec) == SPM_OK;
		spm_record_free(rec);
		spm_db_close(other);
		_exit(ok ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	r = run(db, "{\"query\": \"win_rate\"}");
	cr_assert_eq(cell(r, 0, "won"), won + 1);
	spm_result_free(r);
	spm_db_close(db);
}

/* The funnel's per-deal stage masks (cache.c, hmask) against the rows they
 * summarise, while the history and the stages change under a warm handle:
 * the plain funnel (masks) equals the general path (drill-down reads the
 * rows) and a fresh handle, for deals with rows in two pipelines, a
 * pipeline grown past seven stages, stages changed and added, and deals
 * without rows. */
static void history_row(int64_t opp, int64_t stage, spm_time at)
{
	spm_record *h;

	cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
	spm_record_set_int(h, "opportunity_id", opp);
	spm_record_set_int(h, "to_stage_id", stage);
	spm_record_set_time(h, "at", at);
	cr_assert_eq(spm_record_save(db, h), SPM_OK, "%s", spm_error_message());
	spm_record_free(h);
}

static void funnels_agree(int64_t pipeline, const char *step)
{
	static const char *const windows[] = {
		"", ", \"from\": \"2026-01-01\", \"to\": \"2026-12-31\"",
		", \"from\": \"2026-01-20\", \"to\": \"2026-02-28\"",
	};
	spm_db *fresh = open_db(path);

	cr_assert_eq(spm_db_set_actor(fresh, 0), SPM_OK);
	for (size_t w = 0; w < 3; w++) {
		char plain[300], general[300];
		char *a, *b, *f;
		snprintf(plain, sizeof(plain), "{\"query\": \"funnel\", \"pipeline\": %lld, "
			 "\"group_by\": \"owner\"%s}", (long long)pipeline, windows[w]);
		snprintf(general, sizeof(general), "{\"query\": \"funnel\", \"pipeline\": %lld, "
			 "\"group_by\": \"owner\", \"drill\": true%s}", (long long)pipeline,
			 windows[w]);
		a = csv_of(db, plain);
		b = csv_of(db, general);
		f = csv_of(fresh, plain);
		cr_assert_str_eq(a, b, "%s: %s", step, plain);
		cr_assert_str_eq(a, f, "%s, fresh handle: %s", step, plain);
		cr_assert_gt(strlen(a), 40, "%s: %s has rows", step, plain);
		free(a);
		free(b);
		free(f);
	}
	spm_db_close(fresh);
}

Test(analytics_props, funnel_stage_masks_follow_history_and_stage_changes)
{
	int64_t p2, p2s[2], extra[3], id;
	char pid[24];
	spm_record *r;

	make_data(31, 150);
	funnels_agree(pipe_id, "as generated");

	/* a second pipeline; some deals get rows in both */
	p2 = ADD("pipeline", "name", "P2");
	snprintf(pid, sizeof(pid), "%lld", (long long)p2);
	p2s[0] = ADD("stage", "pipeline_id", pid, "name", "T1", "position", "1", "outcome",
		     "open");
	p2s[1] = ADD("stage", "pipeline_id", pid, "name", "T2", "position", "2", "outcome",
		     "open");
	for (int64_t o = 1; o <= 40; o += 3)
		history_row(o, p2s[o % 2], BASE + (spm_time)(o * 86400));
	/* a deal of the second pipeline, rows only there */
	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	spm_record_set_text(r, "name", "p2");
	spm_record_set_int(r, "owner_id", 1);
	spm_record_set_int(r, "pipeline_id", p2);
	spm_record_set_int(r, "stage_id", p2s[1]);
	spm_record_set_time(r, "opened_at", BASE + 86400);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	history_row(id, p2s[0], BASE + 2 * 86400);
	history_row(id, p2s[1], BASE + 40 * 86400);
	funnels_agree(pipe_id, "rows in two pipelines");
	funnels_agree(p2, "the second pipeline");

	/* the first pipeline grows to eight stages: the eighth has no mask bit */
	snprintf(pid, sizeof(pid), "%lld", (long long)pipe_id);
	for (int k = 0; k < 3; k++) {
		char pos[8], name[8];
		snprintf(pos, sizeof(pos), "%d", 10 + k);
		snprintf(name, sizeof(name), "X%d", k);
		extra[k] = ADD("stage", "pipeline_id", pid, "name", name, "position", pos,
			       "outcome", "open");
	}
	for (int64_t o = 2; o <= 60; o += 4)
		history_row(o, extra[o % 3], BASE + (spm_time)((o % 50) * 86400 + 3600));
	funnels_agree(pipe_id, "eight stages");

	/* a stage changes place and a new one is added: the masks are made
	 * again from the stages (a stage keeps its pipeline: the schema says so) */
	cr_assert_eq(spm_record_get(&r, db, "stage", extra[0]), SPM_OK);
	spm_record_set_int(r, "position", 0);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	history_row(3, ADD("stage", "pipeline_id", pid, "name", "Y", "position", "20",
			   "outcome", "open"), BASE + 5 * 86400);
	funnels_agree(pipe_id, "stages changed");
	funnels_agree(p2, "stages changed, second pipeline");

	/* deals without rows count nowhere */
	for (int k = 0; k < 5; k++) {
		cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
		spm_record_set_text(r, "name", "bare");
		spm_record_set_int(r, "owner_id", 2);
		spm_record_set_int(r, "pipeline_id", pipe_id);
		spm_record_set_int(r, "stage_id", stages[0]);
		spm_record_set_time(r, "opened_at", BASE + 86400);
		cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
		spm_record_free(r);
	}
	funnels_agree(pipe_id, "deals without rows");
	spm_db_close(db);
}

/* ---- this handle's own writes, applied from memory ---- */

/* A storage wrapper counting the opportunities and stage changes scans hand
 * over: what the cache reads back. */
static const spm_storage_ops *inner_ops;
static spm_storage_ops counting_ops;
static int scanned;

struct fwd {
	spm_scan_cb cb;
	void *payload;
	int counts;
};

static int fwd_cb(spm_record *rec, void *payload)
{
	struct fwd *f = payload;

	scanned += f->counts;
	return f->cb(rec, f->payload);
}

static int counting_scan(void *self, const spm_kind *kind, const spm_scan *scan, spm_scan_cb cb,
			 void *payload)
{
	struct fwd f = { cb, payload, strcmp(spm_kind_name(kind), "opportunity") == 0 ||
				      strcmp(spm_kind_name(kind), "stage_history") == 0 };

	return inner_ops->scan(self, kind, scan, fwd_cb, &f);
}

/* With sneak set, the next update of an opportunity also changes deal 12 in
 * the same transaction behind the core's back: a write the cache was not
 * told of, which its check against storage's counts must catch. */
static int sneak;

static int sneaking_update(void *self, const spm_record *rec, const unsigned char *changed,
			   size_t n)
{
	int rc = inner_ops->update(self, rec, changed, n);
	spm_record *o = NULL;

	if (rc != SPM_OK || !sneak || strcmp(spm_kind_name(rec->kind), "opportunity") != 0)
		return rc;
	sneak = 0;
	rc = inner_ops->get(self, &o, rec->kind, 12);
	if (rc == SPM_OK) {
		o->seq = rec->seq;
		rc = spm_record_set_money(o, "amount", 777, "CNY");
	}
	if (rc == SPM_OK)
		rc = inner_ops->put(self, o);
	spm_record_free(o);
	return rc;
}

static int wrap_counting(const spm_storage_ops **ops, void **self, spm_db *h, void *payload)
{
	(void)self;
	(void)h;
	(void)payload;
	inner_ops = *ops;
	counting_ops = **ops;
	counting_ops.scan = counting_scan;
	counting_ops.update = sneaking_update;
	*ops = &counting_ops;
	return SPM_OK;
}

static spm_db *open_counting(void)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *h = NULL;

	o.path = path;
	o.clock = test_clock;
	o.actor = 0;
	o.storage_wrap = wrap_counting;
	cr_assert_eq(spm_db_open(&h, &o), SPM_OK, "%s", spm_error_message());
	return h;
}

/* Runs every query on db (counting what its catch-up reads back) and on a
 * fresh handle: the same CSV. */
static int scanned_by_queries_equal_to_fresh(const char *what)
{
	spm_db *fresh = open_db(path);
	int n;

	cr_assert_eq(spm_db_set_actor(fresh, 0), SPM_OK);
	scanned = 0;
	for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
		char *a = csv_of(db, queries[q]), *b = csv_of(fresh, queries[q]);
		cr_assert_str_eq(a, b, "%s: %s", what, queries[q]);
		free(a);
		free(b);
	}
	n = scanned;
	spm_db_close(fresh);
	return n;
}

static void set_amount_of(spm_db *h, int64_t id, int64_t cents)
{
	spm_record *r;

	cr_assert_eq(spm_record_get(&r, h, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_money(r, "amount", cents, "CNY"), SPM_OK);
	cr_assert_eq(spm_record_save(h, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
}

Test(analytics_props, own_writes_are_applied_without_reading_them_back)
{
	spm_batch *b;
	spm_record *h;
	spm_db *other;
	int64_t lone;

	make_data(21, 60);
	spm_db_close(db);
	db = open_counting();
	cr_assert_gt(scanned_by_queries_equal_to_fresh("first load"), 0);

	/* new deals with their history, an update, a delete, a new stage change,
	 * in five transactions: none is read back, all are in the results */
	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	random_deal(b);
	random_deal(b);
	cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK, "%s", spm_error_message());
	spm_batch_free(b);
	set_amount_of(db, 3, 123456);
	cr_assert_eq(spm_record_new(&h, db, "opportunity"), SPM_OK);
	spm_record_set_text(h, "name", "lone");
	spm_record_set_int(h, "pipeline_id", pipe_id);
	spm_record_set_int(h, "stage_id", stages[3]);
	spm_record_set_text(h, "status", "won");
	spm_record_set_int(h, "owner_id", 2);
	spm_record_set_time(h, "opened_at", BASE);
	spm_record_set_time(h, "closed_at", BASE + 86400);
	cr_assert_eq(spm_record_save(db, h), SPM_OK, "%s", spm_error_message());
	lone = spm_record_id(h);
	spm_record_free(h);
	cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
	spm_record_set_int(h, "opportunity_id", 7);
	spm_record_set_int(h, "to_stage_id", stages[4]);
	spm_record_set_time(h, "at", BASE + 100 * 86400);
	cr_assert_eq(spm_record_save(db, h), SPM_OK, "%s", spm_error_message());
	spm_record_free(h);
	cr_assert_eq(scanned_by_queries_equal_to_fresh("own writes"), 0);
	/* a deal deleted: its tombstone too */
	cr_assert_eq(spm_record_delete(db, "opportunity", lone), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(scanned_by_queries_equal_to_fresh("own delete"), 0);

	/* a write the next query cannot take from memory: an old stage change
	 * edited (the history is rebuilt from storage) */
	cr_assert_eq(spm_record_get(&h, db, "stage_history", 2), SPM_OK);
	spm_record_set_time(h, "at", BASE + 3600);
	cr_assert_eq(spm_record_save(db, h), SPM_OK, "%s", spm_error_message());
	spm_record_free(h);
	cr_assert_gt(scanned_by_queries_equal_to_fresh("an old stage change edited"), 0);

	/* another handle writes between two of ours: all three are read */
	set_amount_of(db, 8, 1);
	other = open_db(path);
	set_amount_of(other, 9, 2);
	spm_db_close(other);
	set_amount_of(db, 10, 3);
	cr_assert_eq(scanned_by_queries_equal_to_fresh("a write in between"), 3);

	/* a transaction rolled back leaves nothing to apply or read */
	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	random_deal(b);
	cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
	spm_record_set_int(h, "opportunity_id", 999999);  /* no such deal */
	spm_record_set_int(h, "to_stage_id", stages[1]);
	spm_record_set_time(h, "at", BASE);
	cr_assert_eq(spm_batch_save(b, h), SPM_OK);
	spm_record_free(h);
	cr_assert_neq(spm_batch_commit(b, NULL), SPM_OK);
	spm_batch_free(b);
	cr_assert_eq(scanned_by_queries_equal_to_fresh("rolled back"), 0);

	/* a write in our own transaction the cache was not told of: read */
	sneak = 1;
	set_amount_of(db, 13, 5);
	cr_assert_eq(sneak, 0);
	cr_assert_eq(scanned_by_queries_equal_to_fresh("a write not told of"), 2);

	/* and the next own write is taken from memory again */
	set_amount_of(db, 11, 4);
	cr_assert_eq(scanned_by_queries_equal_to_fresh("after the roll-back"), 0);
	spm_db_close(db);
}

/* Found by fuzz/fuzz_api.c: a deal's first history row leaving a stage
 * stands for entering that stage when the deal opened (cache.c,
 * load_history); when opened_at changes later, through this handle (the
 * write log) or another one (storage), the warm cache moves that entry too:
 * the funnels equal a fresh handle's. */
static void set_opened_of(spm_db *h, int64_t id, spm_time at)
{
	spm_record *r;

	cr_assert_eq(spm_record_get(&r, h, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_time(r, "opened_at", at), SPM_OK);
	cr_assert_eq(spm_record_save(h, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
}

Test(analytics_props, a_changed_opened_at_moves_the_entry_a_first_row_implies)
{
	spm_record *r, *h;
	spm_db *other;
	int64_t id;

	make_data(41, 20);
	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	spm_record_set_text(r, "name", "implied");
	spm_record_set_int(r, "owner_id", 1);
	spm_record_set_int(r, "pipeline_id", pipe_id);
	spm_record_set_int(r, "stage_id", stages[1]);
	spm_record_set_time(r, "opened_at", BASE + 10 * 86400);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
	spm_record_set_int(h, "opportunity_id", id);
	spm_record_set_int(h, "from_stage_id", stages[0]);
	spm_record_set_int(h, "to_stage_id", stages[1]);
	spm_record_set_time(h, "at", BASE + 30 * 86400);
	cr_assert_eq(spm_record_save(db, h), SPM_OK, "%s", spm_error_message());
	spm_record_free(h);
	funnels_agree(pipe_id, "implied entry on 2026-01-11");

	set_opened_of(db, id, BASE - 200 * 86400);
	funnels_agree(pipe_id, "opened moved before the windows, own write");
	set_opened_of(db, id, BASE + 40 * 86400);
	funnels_agree(pipe_id, "opened moved after the row, own write");
	other = open_db(path);
	set_opened_of(other, id, BASE + 25 * 86400);
	spm_db_close(other);
	funnels_agree(pipe_id, "opened moved into the second window, another handle");
	spm_db_close(db);
}

/* Found by fuzz/fuzz_api.c: a deleted stage that history rows still name
 * counts nowhere under a warm handle, as in a fresh build (the warm cache
 * kept the tombstone's pipeline, so its funnel showed the stage, unnamed). */
Test(analytics_props, a_deleted_stage_counts_nowhere_under_a_warm_handle)
{
	char pid[24];
	int64_t x;

	make_data(43, 40);
	snprintf(pid, sizeof(pid), "%lld", (long long)pipe_id);
	x = ADD("stage", "pipeline_id", pid, "name", "X", "position", "3", "outcome", "open");
	for (int64_t o = 1; o <= 20; o += 2)
		history_row(o, x, BASE + (spm_time)(o * 86400 + 60));
	funnels_agree(pipe_id, "a stage X some deals passed");
	cr_assert_eq(spm_record_delete(db, "stage", x), SPM_OK, "%s", spm_error_message());
	funnels_agree(pipe_id, "stage X deleted");
	spm_db_close(db);
}

/* Found by fuzz/fuzz_api.c: stages at one position are listed by id. The
 * cache numbers stages in the order it read them; a warm handle read S1
 * before X, a fresh one reads X first (S1 changed later), and the funnel's
 * rows and conversions followed that order. */
Test(analytics_props, stages_at_one_position_go_by_id_under_a_warm_handle)
{
	spm_record *r = NULL;
	char pid[24];

	make_data(44, 40);
	funnels_agree(pipe_id, "before");
	snprintf(pid, sizeof(pid), "%lld", (long long)pipe_id);
	ADD("stage", "pipeline_id", pid, "name", "X", "position", "9", "outcome", "open");
	cr_assert_eq(spm_record_get(&r, db, "stage", stages[0]), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "position", 9), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	funnels_agree(pipe_id, "S1 moved to X's position");
	spm_db_close(db);
}
