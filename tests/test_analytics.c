/* Analytics: every query on a small fixed data set against hand-computed
 * values (empty groups, NULL dimensions, deals without a close date, a deal
 * that skipped a stage, a reopened deal), visibility, result sets and their
 * exports, saved reports and dashboards, and bad definitions. */
#include "helpers.h"

#include <spm/report.h>
#include <sys/wait.h>

static spm_db *db;
static char path[256];
static int64_t pipe_id, s_q, s_p, s_n, s_won, s_lost;
static int64_t u_an, u_bo, u_mo;
static int64_t d[7];

#define PPM 1000000

static void as(int64_t user)
{
	cr_assert_eq(spm_db_set_actor(db, user), SPM_OK);
}

static spm_time day_time(const char *ymd)
{
	spm_date dd;
	spm_time t;

	cr_assert_eq(spm_date_parse(&dd, ymd), SPM_OK);
	cr_assert_eq(spm_date_to_time(&t, dd), SPM_OK);
	return t + 9 * 3600;
}

static int64_t stage(const char *name, int pos, int prob, const char *outcome)
{
	char p[16], pr[16], pid[24];

	snprintf(p, sizeof(p), "%d", pos);
	snprintf(pr, sizeof(pr), "%d", prob);
	snprintf(pid, sizeof(pid), "%lld", (long long)pipe_id);
	return ADD("stage", "pipeline_id", pid, "name", name, "position", p, "probability", pr,
		   "outcome", outcome);
}

static void hist(int64_t opp, int64_t to, const char *ymd)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "stage_history"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "opportunity_id", opp), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "to_stage_id", to), SPM_OK);
	cr_assert_eq(spm_record_set_time(r, "at", day_time(ymd)), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
}

/* A deal: owner (0 none), current stage, amount in CNY cents (<0 none),
 * opened, closed and expected close ("" none), source (NULL none). */
static int64_t deal(int64_t owner, int64_t st, int64_t cents, const char *opened,
		    const char *closed, const char *expected, const char *source)
{
	spm_record *r;
	int64_t id;
	const char *status = st == s_won ? "won" : st == s_lost ? "lost" : "open";

	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "deal"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "pipeline_id", pipe_id), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", st), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "status", status), SPM_OK);
	if (owner)
		cr_assert_eq(spm_record_set_int(r, "owner_id", owner), SPM_OK);
	if (cents >= 0)
		cr_assert_eq(spm_record_set_money(r, "amount", cents, "CNY"), SPM_OK);
	cr_assert_eq(spm_record_set_time(r, "opened_at", day_time(opened)), SPM_OK);
	if (closed[0])
		cr_assert_eq(spm_record_set_time(r, "closed_at", day_time(closed)), SPM_OK);
	if (expected[0]) {
		spm_date e;
		cr_assert_eq(spm_date_parse(&e, expected), SPM_OK);
		cr_assert_eq(spm_record_set_date(r, "expected_close", e), SPM_OK);
	}
	if (source)
		cr_assert_eq(spm_record_set_text(r, "source", source), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	as(0);
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("role", "name", "rep", "scope", "1");
	ADD("role", "name", "manager", "scope", "2");
	ADD("user", "name", "Ada", "role_id", "1", "active", "true");
	u_an = ADD("user", "name", "An", "role_id", "2", "active", "true");
	u_bo = ADD("user", "name", "Bo", "role_id", "2", "active", "true");
	u_mo = ADD("user", "name", "Mo", "role_id", "3", "active", "true");
	ADD("team", "name", "Sales", "manager_id", "4");
	ADD("team", "name", "East", "parent_id", "1");
	ADD("membership", "user_id", "2", "team_id", "2", "valid_from", "2026-01-01");
	ADD("membership", "user_id", "3", "team_id", "1", "valid_from", "2026-01-01");

	pipe_id = ADD("pipeline", "name", "New business");
	s_q = stage("Qualify", 1, 10, "open");
	s_p = stage("Proposal", 2, 40, "open");
	s_n = stage("Negotiation", 3, 70, "open");
	s_won = stage("Won", 4, 100, "won");
	s_lost = stage("Lost", 5, 0, "lost");

	/* 1: An, won in 10 days through every stage */
	d[1] = deal(u_an, s_won, 100000, "2026-01-01", "2026-01-11", "2026-01-15", "web");
	hist(d[1], s_q, "2026-01-01");
	hist(d[1], s_p, "2026-01-03");
	hist(d[1], s_n, "2026-01-06");
	hist(d[1], s_won, "2026-01-11");
	/* 2: An, lost after 20 days */
	d[2] = deal(u_an, s_lost, 50000, "2026-01-02", "2026-01-22", "2026-02-01", "web");
	hist(d[2], s_q, "2026-01-02");
	hist(d[2], s_p, "2026-01-05");
	hist(d[2], s_lost, "2026-01-22");
	/* 3: Bo, won in 30 days, skipped Proposal */
	d[3] = deal(u_bo, s_won, 200000, "2026-01-05", "2026-02-04", "2026-02-10", "fair");
	hist(d[3], s_q, "2026-01-05");
	hist(d[3], s_n, "2026-01-10");
	hist(d[3], s_won, "2026-02-04");
	/* 4: Bo, open in Proposal, no source */
	d[4] = deal(u_bo, s_p, 80000, "2026-01-10", "", "2026-03-15", NULL);
	hist(d[4], s_q, "2026-01-10");
	hist(d[4], s_p, "2026-01-20");
	/* 5: An, won then reopened into Negotiation */
	d[5] = deal(u_an, s_n, 30000, "2026-01-03", "", "2026-04-10", "web");
	hist(d[5], s_q, "2026-01-03");
	hist(d[5], s_p, "2026-01-04");
	hist(d[5], s_won, "2026-01-08");
	hist(d[5], s_n, "2026-01-15");
	/* 6: the pool's, no amount, no close date */
	d[6] = deal(0, s_q, -1, "2026-02-01", "", "", NULL);
	hist(d[6], s_q, "2026-02-01");
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(analytics, .init = setup, .fini = teardown);

static spm_result *run(const char *json)
{
	spm_result *r = NULL;
	int rc = spm_report_run(&r, db, json);

	cr_assert_eq(rc, SPM_OK, "%s: %s", json, spm_error_message());
	return r;
}

static size_t colno(const spm_result *r, const char *name)
{
	size_t c;

	cr_assert_eq(spm_result_column_index(&c, r, name), SPM_OK, "column %s", name);
	return c;
}

/* The integer, ratio or date cell; INT64_MIN for an empty one. */
static int64_t num(const spm_result *r, size_t row, const char *name)
{
	int64_t v;
	size_t c = colno(r, name);

	if (spm_result_is_null(r, row, c))
		return INT64_MIN;
	cr_assert_eq(spm_result_int(&v, r, row, c), SPM_OK, "%s", spm_error_message());
	return v;
}

static int64_t money(const spm_result *r, size_t row, const char *name)
{
	int64_t v;
	const char *cur;
	size_t c = colno(r, name);

	if (spm_result_is_null(r, row, c))
		return INT64_MIN;
	cr_assert_eq(spm_result_money(&v, &cur, r, row, c), SPM_OK);
	cr_assert_str_eq(cur, "CNY");
	return v;
}

static const char *text(const spm_result *r, size_t row, const char *name)
{
	const char *s;
	size_t c = colno(r, name);

	if (spm_result_is_null(r, row, c))
		return "(null)";
	cr_assert_eq(spm_result_text(&s, r, row, c), SPM_OK);
	return s;
}

#define NUL INT64_MIN

static void expect_bad(const char *json, int code, const char *msg);

Test(analytics, win_rate_overall_and_by_owner)
{
	spm_result *r = run("{\"query\": \"win_rate\"}");

	cr_assert_eq(spm_result_row_count(r), 1);
	cr_assert_eq(num(r, 0, "won"), 2);
	cr_assert_eq(num(r, 0, "lost"), 1);
	cr_assert_eq(num(r, 0, "win_rate"), 666667);
	cr_assert_eq(money(r, 0, "won_amount"), 300000);
	spm_result_free(r);

	r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	/* the pool's open deal makes an empty owner row: nothing closed, no rate */
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_eq(num(r, 0, "owner_id"), NUL);
	cr_assert_eq(num(r, 0, "won"), 0);
	cr_assert_eq(num(r, 0, "win_rate"), NUL, "empty, not 0, where nothing closed");
	cr_assert_eq(money(r, 0, "won_amount"), NUL);
	cr_assert_eq(num(r, 1, "owner_id"), u_an);
	cr_assert_eq(num(r, 1, "win_rate"), 500000);
	cr_assert_eq(money(r, 1, "won_amount"), 100000);
	cr_assert_eq(num(r, 2, "owner_id"), u_bo);
	cr_assert_eq(num(r, 2, "win_rate"), PPM);
	spm_result_free(r);
}

Test(analytics, win_rate_by_closing_month_in_range)
{
	spm_result *r = run("{\"query\": \"win_rate\", \"period\": \"month\", "
			    "\"from\": \"2026-01-01\", \"to\": \"2026-01-31\"}");

	cr_assert_eq(spm_result_row_count(r), 1);
	cr_assert_str_eq(text(r, 0, "period"), "2026-01");
	cr_assert_eq(num(r, 0, "period_start"), 20454);  /* 2026-01-01 */
	cr_assert_eq(num(r, 0, "won"), 1);
	cr_assert_eq(num(r, 0, "lost"), 1);
	spm_result_free(r);

	r = run("{\"query\": \"win_rate\", \"from\": \"2025-01-01\", \"to\": \"2025-12-31\"}");
	cr_assert_eq(spm_result_row_count(r), 1);
	cr_assert_eq(num(r, 0, "won"), 0);
	cr_assert_eq(num(r, 0, "win_rate"), NUL);
	spm_result_free(r);
}

Test(analytics, win_rate_by_team_rolls_up_the_subtree)
{
	spm_result *r = run("{\"query\": \"win_rate\", \"group_by\": \"team\"}");

	/* NULL team (the pool's deal), Sales (Bo + East's An), East (An) */
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_eq(num(r, 0, "team_id"), NUL);
	cr_assert_str_eq(text(r, 1, "team"), "Sales");
	cr_assert_eq(num(r, 1, "won"), 2);
	cr_assert_eq(num(r, 1, "lost"), 1);
	cr_assert_str_eq(text(r, 2, "team"), "East");
	cr_assert_eq(num(r, 2, "won"), 1);
	cr_assert_eq(num(r, 2, "lost"), 1);
	spm_result_free(r);
}

Test(analytics, cycle_mean_and_median_for_won_and_lost)
{
	spm_result *r = run("{\"query\": \"cycle\"}");

	cr_assert_eq(num(r, 0, "won"), 2);
	cr_assert_eq(num(r, 0, "won_mean_days"), 20 * PPM);
	cr_assert_eq(num(r, 0, "won_median_days"), 20 * PPM);
	cr_assert_eq(num(r, 0, "lost"), 1);
	cr_assert_eq(num(r, 0, "lost_mean_days"), 20 * PPM);
	spm_result_free(r);

	r = run("{\"query\": \"cycle\", \"group_by\": \"owner\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_eq(num(r, 1, "owner_id"), u_bo);
	cr_assert_eq(num(r, 1, "won_median_days"), 30 * PPM);
	cr_assert_eq(num(r, 1, "lost"), 0);
	cr_assert_eq(num(r, 1, "lost_mean_days"), NUL);
	spm_result_free(r);
}

/* The plain cycle selects medians among 32-bit values in place: many equal
 * values (an even and an odd count), and a deal closed before it opened
 * (no 32-bit value: the general path runs). Drill-down takes the general
 * path: both give the same cells. */
Test(analytics, cycle_medians_with_equal_values_and_a_deal_closed_before_opening)
{
	static const char *const defs[] = {
		"{\"query\": \"cycle\", \"group_by\": \"owner\"}",
		"{\"query\": \"cycle\", \"group_by\": \"owner\", \"drill\": true}",
	};
	spm_result *r;

	for (int k = 0; k < 4; k++)
		deal(u_mo, s_won, 100, "2026-03-01", "2026-03-06", "", NULL);
	deal(u_mo, s_lost, 100, "2026-03-01", "2026-03-03", "", NULL);
	deal(u_mo, s_lost, 100, "2026-03-01", "2026-03-08", "", NULL);
	deal(u_mo, s_lost, 100, "2026-03-02", "2026-03-09", "", NULL);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t q = 0; q < 2; q++) {
			r = run(defs[q]);
			cr_assert_eq(spm_result_row_count(r), 3, "%s", defs[q]);
			cr_assert_eq(num(r, 2, "owner_id"), u_mo);
			cr_assert_eq(num(r, 2, "won"), pass ? 5 : 4);
			/* 5, 5, 5, 5 days; then -3, 5, 5, 5, 5 */
			cr_assert_eq(num(r, 2, "won_mean_days"), pass ? 3400000 : 5 * PPM);
			cr_assert_eq(num(r, 2, "won_median_days"), 5 * PPM, "%s", defs[q]);
			cr_assert_eq(num(r, 2, "lost"), 3);
			cr_assert_eq(num(r, 2, "lost_mean_days"), 5333333);
			cr_assert_eq(num(r, 2, "lost_median_days"), 7 * PPM, "%s", defs[q]);
			/* the other owners' rows are as before */
			cr_assert_eq(num(r, 0, "owner_id"), u_an);
			cr_assert_eq(num(r, 0, "won_median_days"), 10 * PPM);
			cr_assert_eq(num(r, 0, "lost_median_days"), 20 * PPM);
			cr_assert_eq(num(r, 1, "won_median_days"), 30 * PPM);
			spm_result_free(r);
		}
		/* a deal closed three days before it opened */
		deal(u_mo, s_won, 100, "2026-03-10", "2026-03-07", "", NULL);
	}
	/* alone in its list, the negative value is the median */
	deal(u_bo, s_lost, 100, "2026-03-10", "2026-03-09", "", NULL);
	for (size_t q = 0; q < 2; q++) {
		r = run(defs[q]);
		cr_assert_eq(num(r, 1, "owner_id"), u_bo);
		cr_assert_eq(num(r, 1, "lost_median_days"), -PPM, "%s", defs[q]);
		cr_assert_eq(num(r, 1, "won_median_days"), 30 * PPM);
		spm_result_free(r);
	}
}

Test(analytics, funnel_entered_in_the_period)
{
	char json[200];
	spm_result *r;

	snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, "
		 "\"from\": \"2026-01-01\", \"to\": \"2026-01-31\"}", (long long)pipe_id);
	r = run(json);
	cr_assert_eq(spm_result_row_count(r), 5);
	cr_assert_str_eq(text(r, 0, "stage"), "Qualify");
	cr_assert_eq(num(r, 0, "deals"), 5);
	cr_assert_eq(num(r, 0, "conversion"), 800000);
	cr_assert_eq(num(r, 1, "deals"), 4);
	cr_assert_eq(num(r, 1, "conversion"), 750000);
	cr_assert_eq(num(r, 2, "deals"), 3);
	cr_assert_eq(num(r, 2, "conversion"), 666667);
	cr_assert_str_eq(text(r, 3, "stage"), "Won");
	cr_assert_eq(num(r, 3, "deals"), 2, "deal 3 won in February");
	cr_assert_eq(num(r, 3, "conversion"), NUL);
	cr_assert_str_eq(text(r, 4, "stage"), "Lost");
	cr_assert_eq(num(r, 4, "deals"), 1);
	cr_assert_eq(num(r, 4, "conversion"), NUL);
	spm_result_free(r);
}

Test(analytics, funnel_ever_reached_counts_skipped_stages)
{
	char json[200];
	spm_result *r;

	snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, \"funnel\": "
		 "\"reached\", \"from\": \"2026-01-01\", \"to\": \"2026-01-31\", \"drill\": true}",
		 (long long)pipe_id);
	r = run(json);
	cr_assert_eq(num(r, 0, "deals"), 5);
	cr_assert_eq(num(r, 1, "deals"), 5, "deal 3 skipped Proposal but reached it");
	cr_assert_eq(num(r, 2, "deals"), 3);
	cr_assert_eq(num(r, 3, "deals"), 3, "the reopened deal 5 reached Won");
	cr_assert_eq(num(r, 4, "deals"), 1);
	{
		const int64_t *ids;
		size_t n;
		cr_assert_eq(spm_result_row_ids(&ids, &n, r, 2), SPM_OK);
		cr_assert_eq(n, 3);
		cr_assert_eq(ids[0], d[1]);
		cr_assert_eq(ids[1], d[3]);
		cr_assert_eq(ids[2], d[5]);
		cr_assert_eq(spm_result_row_ids(&ids, &n, r, 5), SPM_ERANGE);
	}
	spm_result_free(r);
}

/* A deal created by a user has no history row for entering its first
 * stage (spm_opportunity_move writes rows from then on): its first row
 * leaving a stage means it entered that stage when it was opened. */
Test(analytics, a_first_row_leaving_a_stage_implies_entering_it_when_opened)
{
	char json[200];
	spm_result *r;
	spm_record *h;
	int64_t lost = deal(u_an, s_lost, 1000, "2026-01-24", "2026-01-26", "", "web");

	cr_assert_eq(spm_record_new(&h, db, "stage_history"), SPM_OK);
	cr_assert_eq(spm_record_set_int(h, "opportunity_id", lost), SPM_OK);
	cr_assert_eq(spm_record_set_int(h, "from_stage_id", s_q), SPM_OK);
	cr_assert_eq(spm_record_set_int(h, "to_stage_id", s_lost), SPM_OK);
	cr_assert_eq(spm_record_set_time(h, "at", day_time("2026-01-26")), SPM_OK);
	cr_assert_eq(spm_record_save(db, h), SPM_OK, "%s", spm_error_message());
	spm_record_free(h);
	for (int mode = 0; mode < 2; mode++) {
		snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, "
			 "\"funnel\": \"%s\", \"from\": \"2026-01-01\", \"to\": \"2026-01-31\"}",
			 (long long)pipe_id, mode ? "reached" : "entered");
		r = run(json);
		cr_assert_eq(num(r, 0, "deals"), 6, "%s: Qualify, the new deal included",
			     mode ? "reached" : "entered");
		cr_assert_eq(num(r, 4, "deals"), 2, "Lost");
		spm_result_free(r);
	}
}

Test(analytics, funnel_current_stage)
{
	char json[200];
	spm_result *r;

	snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, \"funnel\": "
		 "\"current\"}", (long long)pipe_id);
	r = run(json);
	cr_assert_eq(num(r, 0, "deals"), 1);
	cr_assert_eq(num(r, 1, "deals"), 1);
	cr_assert_eq(num(r, 2, "deals"), 1);
	cr_assert_eq(num(r, 3, "deals"), 2);
	cr_assert_eq(num(r, 4, "deals"), 1);
	spm_result_free(r);
}

/* Found by fuzz/fuzz_api.c: a funnel without groups where no deal counts
 * (a window before every deal) shows every stage of the pipeline with 0
 * deals, and no row without a stage. */
Test(analytics, funnel_with_nothing_in_the_window_shows_each_stage_with_zero)
{
	static const char *const names[] = { "Qualify", "Proposal", "Negotiation", "Won", "Lost" };
	char json[200];
	spm_result *r;

	for (int mode = 0; mode < 3; mode++) {
		snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, "
			 "\"funnel\": \"%s\", \"from\": \"2020-01-01\", \"to\": \"2020-01-31\"}",
			 (long long)pipe_id,
			 mode == 0 ? "entered" : mode == 1 ? "reached" : "current");
		r = run(json);
		cr_assert_eq(spm_result_row_count(r), 5, "%s", json);
		for (size_t i = 0; i < 5; i++) {
			cr_assert_str_eq(text(r, i, "stage"), names[i]);
			cr_assert_eq(num(r, i, "position"), (int64_t)i + 1);
			cr_assert_eq(num(r, i, "deals"), 0, "%s: %s", json, names[i]);
			cr_assert_eq(num(r, i, "conversion"), NUL, "nothing to convert from");
		}
		spm_result_free(r);
	}
}

Test(analytics, time_in_stage_mean_median_p90)
{
	char json[200];
	spm_result *r;

	snprintf(json, sizeof(json), "{\"query\": \"time_in_stage\", \"pipeline\": %lld}",
		 (long long)pipe_id);
	r = run(json);
	cr_assert_eq(spm_result_row_count(r), 4, "no finished stay in Lost");
	cr_assert_str_eq(text(r, 0, "stage"), "Qualify");
	cr_assert_eq(num(r, 0, "stays"), 5);
	cr_assert_eq(num(r, 0, "mean_days"), 4200000);
	cr_assert_eq(num(r, 0, "median_days"), 3 * PPM);
	cr_assert_eq(num(r, 0, "p90_days"), 10 * PPM);
	cr_assert_eq(num(r, 1, "stays"), 3);
	cr_assert_eq(num(r, 1, "mean_days"), 8 * PPM);
	cr_assert_eq(num(r, 1, "median_days"), 4 * PPM);
	cr_assert_eq(num(r, 1, "p90_days"), 17 * PPM);
	cr_assert_eq(num(r, 2, "median_days"), 15 * PPM);
	cr_assert_eq(num(r, 2, "p90_days"), 25 * PPM);
	cr_assert_str_eq(text(r, 3, "stage"), "Won");
	cr_assert_eq(num(r, 3, "stays"), 1, "the reopened deal left Won");
	cr_assert_eq(num(r, 3, "mean_days"), 7 * PPM);
	spm_result_free(r);
}

Test(analytics, open_and_weighted_pipeline_by_quarter)
{
	spm_result *r = run("{\"query\": \"pipeline\"}");

	cr_assert_eq(num(r, 0, "open_deals"), 3);
	cr_assert_eq(money(r, 0, "open_amount"), 110000);
	cr_assert_eq(money(r, 0, "weighted_amount"), 53000);
	spm_result_free(r);

	r = run("{\"query\": \"pipeline\", \"period\": \"quarter\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_str_eq(text(r, 0, "period"), "(null)", "no close date");
	cr_assert_eq(num(r, 0, "open_deals"), 1);
	cr_assert_eq(money(r, 0, "open_amount"), NUL);
	cr_assert_str_eq(text(r, 1, "period"), "2026-Q1");
	cr_assert_eq(money(r, 1, "weighted_amount"), 32000);
	cr_assert_str_eq(text(r, 2, "period"), "2026-Q2");
	cr_assert_eq(money(r, 2, "weighted_amount"), 21000);
	spm_result_free(r);

	/* a fiscal year from April: January..March is FY2025's fourth quarter */
	r = run("{\"query\": \"pipeline\", \"period\": \"quarter\", \"fiscal_year_start\": 4, "
		"\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(text(r, 0, "period"), "FY2025-Q4");
	cr_assert_str_eq(text(r, 1, "period"), "FY2026-Q1");
	spm_result_free(r);
}

Test(analytics, velocity)
{
	spm_result *r = run("{\"query\": \"velocity\"}");

	cr_assert_eq(num(r, 0, "open_deals"), 3);
	cr_assert_eq(num(r, 0, "win_rate"), 666667);
	cr_assert_eq(money(r, 0, "mean_won_amount"), 150000);
	cr_assert_eq(num(r, 0, "mean_cycle_days"), 20 * PPM);
	/* 3 x 2/3 x 1500.00 / 20 days */
	cr_assert_eq(money(r, 0, "velocity_per_day"), 15000);
	spm_result_free(r);
}

Test(analytics, group_by_source_with_null_and_filters)
{
	spm_result *r = run("{\"query\": \"pipeline\", \"group_by\": \"source\"}");

	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(text(r, 0, "source"), "(null)");
	cr_assert_eq(num(r, 0, "open_deals"), 2);
	cr_assert_str_eq(text(r, 1, "source"), "web");
	cr_assert_eq(num(r, 1, "open_deals"), 1);
	spm_result_free(r);

	r = run("{\"query\": \"win_rate\", \"filters\": [{\"field\": \"source\", \"op\": \"=\", "
		"\"value\": \"web\"}]}");
	cr_assert_eq(num(r, 0, "won"), 1);
	cr_assert_eq(num(r, 0, "lost"), 1);
	spm_result_free(r);

	r = run("{\"query\": \"pipeline\", \"filters\": [{\"field\": \"source\", \"op\": \"=\", "
		"\"value\": null}]}");
	cr_assert_eq(num(r, 0, "open_deals"), 2);
	spm_result_free(r);

	r = run("{\"query\": \"pipeline\", \"filters\": [{\"field\": \"source\", \"op\": \"!=\", "
		"\"value\": \"nowhere\"}]}");
	cr_assert_eq(num(r, 0, "open_deals"), 3);
	spm_result_free(r);
}

Test(analytics, periods_and_windows_on_a_custom_date_field)
{
	spm_field_options o = SPM_FIELD_OPTIONS_INIT;
	spm_record *rec;
	spm_result *r;
	const int64_t ids[2] = { d[1], d[3] };
	const char *days[2] = { "2026-03-30", "2026-04-02" };

	cr_assert_eq(spm_field_add(db, "opportunity", "signed_on", SPM_FIELD_DATE, &o), SPM_OK);
	for (int k = 0; k < 2; k++) {
		spm_date dd;
		cr_assert_eq(spm_date_parse(&dd, days[k]), SPM_OK);
		cr_assert_eq(spm_record_get(&rec, db, "opportunity", ids[k]), SPM_OK);
		cr_assert_eq(spm_record_set_date(rec, "signed_on", dd), SPM_OK);
		cr_assert_eq(spm_record_save(db, rec), SPM_OK);
		spm_record_free(rec);
	}
	r = run("{\"query\": \"win_rate\", \"period\": \"quarter\", \"period_field\": "
		"\"signed_on\"}");
	/* the lost deal has no signing date: the empty period */
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_str_eq(text(r, 0, "period"), "(null)");
	cr_assert_eq(num(r, 0, "lost"), 1);
	cr_assert_str_eq(text(r, 1, "period"), "2026-Q1");
	cr_assert_eq(num(r, 1, "won"), 1);
	cr_assert_str_eq(text(r, 2, "period"), "2026-Q2");
	spm_result_free(r);
	r = run("{\"query\": \"win_rate\", \"date_field\": \"signed_on\", \"from\": "
		"\"2026-04-01\"}");
	cr_assert_eq(num(r, 0, "won"), 1);
	cr_assert_eq(num(r, 0, "lost"), 0);
	spm_result_free(r);
	cr_assert_eq(spm_field_add(db, "opportunity", "note", SPM_FIELD_TEXT, &o), SPM_OK);
	cr_assert_eq(spm_report_run(&r, db, "{\"query\": \"win_rate\", \"period\": \"month\", "
		     "\"period_field\": \"note\"}"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "$.period_field: unknown date field 'note'");
}

Test(analytics, filters_in_the_rule_language)
{
	spm_result *r = run("{\"query\": \"win_rate\", \"rule\": \"amount >= 1000.00 CNY\"}");

	cr_assert_eq(num(r, 0, "won"), 2);
	cr_assert_eq(num(r, 0, "lost"), 0, "the lost deal is 500.00 CNY");
	spm_result_free(r);
	r = run("{\"query\": \"pipeline\", \"rule\": \"source = 'web' or source is null\"}");
	cr_assert_eq(num(r, 0, "open_deals"), 3);
	spm_result_free(r);
	r = run("{\"query\": \"pipeline\", \"rule\": \"expected_close < date '2026-04-01' "
		"and status = 'open'\"}");
	cr_assert_eq(num(r, 0, "open_deals"), 1, "deal 6 has no close date: null is not met");
	spm_result_free(r);
}

/* Sets a custom field of opportunity id with a setter of the record API. */
#define SET_CUSTOM(id, call)                                                      \
	do {                                                                      \
		spm_record *rec_;                                                 \
		cr_assert_eq(spm_record_get(&rec_, db, "opportunity", (id)), SPM_OK); \
		cr_assert_eq(call, SPM_OK, "%s", spm_error_message());            \
		cr_assert_eq(spm_record_save(db, rec_), SPM_OK, "%s", spm_error_message()); \
		spm_record_free(rec_);                                            \
	} while (0)

static void expect_won_lost(const char *rule, int64_t won, int64_t lost)
{
	char json[512];
	spm_result *r;

	snprintf(json, sizeof(json), "{\"query\": \"win_rate\", \"rule\": \"%s\"}", rule);
	r = run(json);
	cr_assert_eq(spm_result_row_count(r), 1, "%s", rule);
	cr_assert_eq(num(r, 0, "won"), won, "%s: won", rule);
	cr_assert_eq(num(r, 0, "lost"), lost, "%s: lost", rule);
	spm_result_free(r);
}

Test(analytics, rule_filters_see_custom_fields_of_every_type)
{
	spm_field_options o = SPM_FIELD_OPTIONS_INIT;
	spm_date dd;
	spm_result *r;

	cr_assert_eq(spm_field_add(db, "opportunity", "seats", SPM_FIELD_INTEGER, &o), SPM_OK);
	cr_assert_eq(spm_field_add(db, "opportunity", "budget", SPM_FIELD_MONEY, &o), SPM_OK);
	cr_assert_eq(spm_field_add(db, "opportunity", "strategic", SPM_FIELD_BOOLEAN, &o), SPM_OK);
	cr_assert_eq(spm_field_add(db, "opportunity", "tier", SPM_FIELD_TEXT, &o), SPM_OK);
	cr_assert_eq(spm_field_add(db, "opportunity", "signed_on", SPM_FIELD_DATE, &o), SPM_OK);
	cr_assert_eq(spm_field_add(db, "opportunity", "kickoff", SPM_FIELD_TIME, &o), SPM_OK);
	/* closed: d1 won, d2 lost, d3 won; d4 and d5 open */
	SET_CUSTOM(d[1], spm_record_set_int(rec_, "seats", 10));
	SET_CUSTOM(d[2], spm_record_set_int(rec_, "seats", 3));
	SET_CUSTOM(d[3], spm_record_set_int(rec_, "seats", 25));
	SET_CUSTOM(d[4], spm_record_set_int(rec_, "seats", 5));
	SET_CUSTOM(d[1], spm_record_set_money(rec_, "budget", 200000, "CNY"));
	SET_CUSTOM(d[2], spm_record_set_money(rec_, "budget", 50000, "CNY"));
	SET_CUSTOM(d[2], spm_record_set_bool(rec_, "strategic", 0));
	SET_CUSTOM(d[3], spm_record_set_bool(rec_, "strategic", 1));
	SET_CUSTOM(d[1], spm_record_set_text(rec_, "tier", "gold"));
	SET_CUSTOM(d[2], spm_record_set_text(rec_, "tier", "silver"));
	SET_CUSTOM(d[5], spm_record_set_text(rec_, "tier", "gold"));
	cr_assert_eq(spm_date_parse(&dd, "2026-04-02"), SPM_OK);
	SET_CUSTOM(d[3], spm_record_set_date(rec_, "signed_on", dd));
	/* d1's kick-off a day after it opened; d2's one second before */
	SET_CUSTOM(d[1], spm_record_set_time(rec_, "kickoff", day_time("2026-01-02")));
	SET_CUSTOM(d[2], spm_record_set_time(rec_, "kickoff", day_time("2026-01-02") - 1));

	expect_won_lost("seats >= 10", 2, 0);
	expect_won_lost("seats < 10", 0, 1);
	expect_won_lost("seats is null", 0, 0);
	expect_won_lost("budget >= 1000.00 CNY", 1, 0);
	expect_won_lost("budget < 1000.00 CNY and seats = 3", 0, 1);
	expect_won_lost("strategic = true", 1, 0);
	expect_won_lost("strategic = false", 0, 1);
	expect_won_lost("tier = 'gold'", 1, 0);
	expect_won_lost("tier in ('gold', 'silver') and amount < 1000.00 CNY", 0, 1);
	expect_won_lost("signed_on >= date '2026-04-01'", 1, 0);
	expect_won_lost("kickoff > opened_at", 1, 0);
	expect_won_lost("kickoff < opened_at", 0, 1);
	/* open deals too, and a custom field as the dimension at the same time */
	r = run("{\"query\": \"pipeline\", \"group_by\": \"tier\", \"rule\": \"tier = 'gold' "
		"or seats = 5\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(text(r, 0, "tier"), "(null)");
	cr_assert_eq(num(r, 0, "open_deals"), 1, "d4: 5 seats, no tier");
	cr_assert_str_eq(text(r, 1, "tier"), "gold");
	cr_assert_eq(num(r, 1, "open_deals"), 1, "d5");
	cr_assert_eq(money(r, 1, "open_amount"), 30000);
	spm_result_free(r);
	/* a later write is in the next result (the columns are caught up) */
	SET_CUSTOM(d[2], spm_record_set_int(rec_, "seats", 30));
	expect_won_lost("seats >= 10", 2, 1);

	/* money in another currency is an error at run time, not a silent false */
	SET_CUSTOM(d[3], spm_record_set_money(rec_, "budget", 10000, "USD"));
	expect_bad("{\"query\": \"win_rate\", \"rule\": \"budget >= 1000.00 CNY\"}",
		   SPM_ECURRENCY, "$.rule: 1:8: cannot compare money in USD with money in "
		   "CNY (opportunity 3)");
	expect_bad("{\"query\": \"win_rate\", \"rule\": \"seats = 'ten'\"}", SPM_EINVAL,
		   "$.rule: 1:7: cannot compare integer with text");
	expect_bad("{\"query\": \"win_rate\", \"rule\": \"colour = 'red'\"}", SPM_EINVAL,
		   "$.rule: 1:1: unknown field 'colour'");
	/* core fields outside the cache's columns are not offered */
	expect_bad("{\"query\": \"win_rate\", \"rule\": \"name = 'deal'\"}", SPM_EINVAL,
		   "$.rule: 1:1: unknown field 'name'");
}

/* An (East) moves to a new team, West, on 2026-01-12: the deal An closed on
 * the 11th stays with East, the one closed on the 22nd counts for West, and
 * An's open deal counts for West (today's team). */
Test(analytics, team_rows_use_the_membership_on_the_deals_date)
{
	spm_record *m;
	spm_date last;
	int64_t west;
	spm_result *r;
	char json[256];

	west = ADD("team", "name", "West", "parent_id", "1");
	cr_assert_eq(spm_date_parse(&last, "2026-01-11"), SPM_OK);
	cr_assert_eq(spm_record_get(&m, db, "membership", 1), SPM_OK);
	cr_assert_eq(spm_record_set_date(m, "valid_to", last), SPM_OK);
	cr_assert_eq(spm_record_save(db, m), SPM_OK, "%s", spm_error_message());
	spm_record_free(m);
	ADD("membership", "user_id", "2", "team_id", "3", "valid_from", "2026-01-12");

	r = run("{\"query\": \"win_rate\", \"group_by\": \"team\"}");
	cr_assert_eq(spm_result_row_count(r), 4);
	cr_assert_eq(num(r, 0, "team_id"), NUL, "the pool's open deal");
	cr_assert_str_eq(text(r, 1, "team"), "Sales");
	cr_assert_eq(num(r, 1, "won"), 2, "d1 (East) and d3 (Bo), both under Sales");
	cr_assert_eq(num(r, 1, "lost"), 1, "d2 (West)");
	cr_assert_str_eq(text(r, 2, "team"), "East");
	cr_assert_eq(num(r, 2, "won"), 1, "d1 closed on East's last day");
	cr_assert_eq(num(r, 2, "lost"), 0, "d2 closed after the move");
	cr_assert_str_eq(text(r, 3, "team"), "West");
	cr_assert_eq(num(r, 3, "team_id"), west);
	cr_assert_eq(num(r, 3, "won"), 0);
	cr_assert_eq(num(r, 3, "lost"), 1);
	spm_result_free(r);

	/* open deals count under today's team */
	r = run("{\"query\": \"pipeline\", \"group_by\": \"team\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_eq(num(r, 0, "team_id"), NUL);
	cr_assert_eq(num(r, 0, "open_deals"), 1);
	cr_assert_str_eq(text(r, 1, "team"), "Sales");
	cr_assert_eq(num(r, 1, "open_deals"), 2, "d4 (Bo) and d5 (An, now West)");
	cr_assert_str_eq(text(r, 2, "team"), "West");
	cr_assert_eq(num(r, 2, "open_deals"), 1);
	cr_assert_eq(money(r, 2, "open_amount"), 30000);
	spm_result_free(r);

	/* a team filter follows the same rule */
	snprintf(json, sizeof(json), "{\"query\": \"win_rate\", \"filters\": [{\"field\": "
		 "\"team\", \"value\": %lld}]}", (long long)west);
	r = run(json);
	cr_assert_eq(num(r, 0, "won"), 0);
	cr_assert_eq(num(r, 0, "lost"), 1);
	spm_result_free(r);

	/* per month: January's closes split between East and West */
	r = run("{\"query\": \"win_rate\", \"group_by\": \"team\", \"period\": \"month\", "
		"\"from\": \"2026-01-01\", \"to\": \"2026-01-31\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_str_eq(text(r, 0, "team"), "Sales");
	cr_assert_eq(num(r, 0, "won"), 1);
	cr_assert_eq(num(r, 0, "lost"), 1);
	cr_assert_str_eq(text(r, 1, "team"), "East");
	cr_assert_eq(num(r, 1, "won"), 1);
	cr_assert_eq(num(r, 1, "lost"), 0);
	cr_assert_str_eq(text(r, 2, "team"), "West");
	cr_assert_eq(num(r, 2, "won"), 0);
	cr_assert_eq(num(r, 2, "lost"), 1);
	spm_result_free(r);
}

Test(analytics, group_by_industry_product_and_custom_field)
{
	spm_field_options o = SPM_FIELD_OPTIONS_INIT;
	spm_record *rec;
	int64_t cust = ADD("customer", "name", "Acme", "industry", "retail");
	spm_result *r;

	cr_assert_eq(spm_record_get(&rec, db, "opportunity", d[4]), SPM_OK);
	cr_assert_eq(spm_record_set_int(rec, "customer_id", cust), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK);
	spm_record_free(rec);
	r = run("{\"query\": \"pipeline\", \"group_by\": \"industry\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(text(r, 1, "industry"), "retail");
	cr_assert_eq(money(r, 1, "open_amount"), 80000);
	spm_result_free(r);

	ADD("line_item", "opportunity_id", "4", "product", "CRM", "quantity", "1", "unit_price",
	    "500.00 CNY");
	ADD("line_item", "opportunity_id", "4", "product", "ERP", "quantity", "1", "unit_price",
	    "300.00 CNY");
	ADD("line_item", "opportunity_id", "5", "product", "CRM", "quantity", "2", "unit_price",
	    "150.00 CNY");
	r = run("{\"query\": \"pipeline\", \"group_by\": \"product\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_str_eq(text(r, 0, "product"), "(null)");
	cr_assert_eq(num(r, 0, "open_deals"), 1);
	cr_assert_str_eq(text(r, 1, "product"), "CRM");
	cr_assert_eq(num(r, 1, "open_deals"), 2);
	cr_assert_str_eq(text(r, 2, "product"), "ERP");
	cr_assert_eq(num(r, 2, "open_deals"), 1);
	spm_result_free(r);

	cr_assert_eq(spm_field_add(db, "opportunity", "segment", SPM_FIELD_TEXT, &o), SPM_OK);
	cr_assert_eq(spm_record_get(&rec, db, "opportunity", d[5]), SPM_OK);
	cr_assert_eq(spm_record_set_text(rec, "segment", "SMB"), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK);
	spm_record_free(rec);
	r = run("{\"query\": \"pipeline\", \"group_by\": \"segment\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(spm_result_column_name(r, 0), "segment");
	cr_assert_str_eq(text(r, 1, "segment"), "SMB");
	cr_assert_eq(num(r, 1, "open_deals"), 1);
	spm_result_free(r);

	/* A custom field named like a dimension: "product" stays the line
	 * items' products, "field:product" is the custom field. */
	cr_assert_eq(spm_field_add(db, "opportunity", "product", SPM_FIELD_TEXT, &o), SPM_OK);
	cr_assert_eq(spm_record_get(&rec, db, "opportunity", d[5]), SPM_OK);
	cr_assert_eq(spm_record_set_text(rec, "product", "Kiosk"), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK);
	spm_record_free(rec);
	r = run("{\"query\": \"pipeline\", \"group_by\": \"product\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_str_eq(text(r, 1, "product"), "CRM");
	cr_assert_eq(num(r, 1, "open_deals"), 2);
	spm_result_free(r);
	r = run("{\"query\": \"pipeline\", \"group_by\": \"field:product\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(spm_result_column_name(r, 0), "product");
	cr_assert_str_eq(text(r, 1, "product"), "Kiosk");
	cr_assert_eq(num(r, 1, "open_deals"), 1);
	spm_result_free(r);
	r = run("{\"query\": \"pipeline\", \"filters\": [{\"field\": \"field:product\", "
		"\"op\": \"=\", \"value\": \"Kiosk\"}]}");
	cr_assert_eq(num(r, 0, "open_deals"), 1);
	spm_result_free(r);
	r = (spm_result *)1;
	cr_assert_eq(spm_report_run(&r, db, "{\"query\": \"pipeline\", \"group_by\": "
				    "\"field:colour\"}"), SPM_EINVAL);
	cr_assert_null(r);
	cr_assert_str_eq(spm_error_message(), "$.group_by: unknown dimension 'field:colour'");
	cr_assert_eq(spm_report_run(&r, db, "{\"query\": \"pipeline\", \"group_by\": "
				    "\"field:owner_id\"}"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "$.group_by: unknown dimension 'field:owner_id'");
	cr_assert_eq(spm_report_run(&r, db, "{\"query\": \"activities\", \"group_by\": "
				    "\"field:product\"}"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "$.group_by: unknown dimension 'field:product'");
}

Test(analytics, a_rep_counts_only_what_the_rep_sees)
{
	spm_result *r;

	as(u_an);
	r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	/* An's deals and the pool's; none of Bo's */
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_eq(num(r, 1, "owner_id"), u_an);
	spm_result_free(r);
	r = run("{\"query\": \"pipeline\"}");
	cr_assert_eq(num(r, 0, "open_deals"), 2);
	spm_result_free(r);
	as(u_mo);  /* manages Sales: Bo directly, An through East */
	r = run("{\"query\": \"win_rate\"}");
	cr_assert_eq(num(r, 0, "won"), 2);
	spm_result_free(r);
}

Test(analytics, two_currencies_in_one_row_are_refused)
{
	spm_record *rec;
	spm_result *r = NULL;

	cr_assert_eq(spm_record_get(&rec, db, "opportunity", d[4]), SPM_OK);
	cr_assert_eq(spm_record_set_money(rec, "amount", 100, "USD"), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK);
	spm_record_free(rec);
	cr_assert_eq(spm_report_run(&r, db, "{\"query\": \"pipeline\"}"), SPM_ECURRENCY);
	cr_assert_null(r);
	cr_assert(strstr(spm_error_message(), "mixes currencies"), "%s", spm_error_message());
	/* grouped so that each row has one currency, it runs */
	r = run("{\"query\": \"pipeline\", \"group_by\": \"owner\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	spm_result_free(r);
}

/* Win rate's plain loop adds every deal without a branch (a deal that does
 * not count adds 0): its money rules must stay the general path's (drill-
 * down takes that one). Mo's won amounts: two currencies are refused;
 * an overflow of a partial sum is refused, in the deals' order; and both
 * at once are refused as two currencies. */
static void expect_win_rate_error(int code, const char *msg)
{
	static const char *const defs[] = {
		"{\"query\": \"win_rate\", \"group_by\": \"owner\"}",
		"{\"query\": \"win_rate\", \"group_by\": \"owner\", \"drill\": true}",
	};

	for (size_t q = 0; q < 2; q++) {
		spm_result *r = NULL;
		cr_assert_eq(spm_report_run(&r, db, defs[q]), code, "%s: %s", defs[q],
			     spm_error_message());
		cr_assert_null(r);
		cr_assert(strstr(spm_error_message(), msg), "%s", spm_error_message());
		cr_assert(strstr(spm_error_message(), "group 4"), "%s", spm_error_message());
	}
}

static void set_amount(int64_t id, int64_t cents, const char *cur)
{
	spm_record *rec;

	cr_assert_eq(spm_record_get(&rec, db, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_money(rec, "amount", cents, cur), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK, "%s", spm_error_message());
	spm_record_free(rec);
}

Test(analytics, win_rate_money_rules_in_the_plain_loop)
{
	int64_t a = deal(u_mo, s_won, 100, "2026-03-01", "2026-03-05", "", NULL);
	int64_t b = deal(u_mo, s_won, 200, "2026-03-01", "2026-03-06", "", NULL);
	int64_t c = deal(u_mo, s_lost, 300, "2026-03-01", "2026-03-07", "", NULL);
	spm_result *r;

	/* rows: the pool's (open deals only), An, Bo, Mo */
	r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	cr_assert_eq(num(r, 3, "owner_id"), u_mo);
	cr_assert_eq(num(r, 3, "won"), 2);
	cr_assert_eq(num(r, 3, "lost"), 1);
	cr_assert_eq(money(r, 3, "won_amount"), 300);  /* the lost deal's 300 is not won */
	spm_result_free(r);

	set_amount(b, 200, "USD");
	expect_win_rate_error(SPM_ECURRENCY, "mixes currencies");
	set_amount(b, INT64_MAX - 50, "CNY");
	expect_win_rate_error(SPM_EOVERFLOW, "overflows");
	set_amount(c, INT64_MAX, "USD");  /* lost: neither its amount nor currency count */
	expect_win_rate_error(SPM_EOVERFLOW, "overflows");
	set_amount(a, 100, "USD");
	expect_win_rate_error(SPM_ECURRENCY, "mixes currencies");
	/* the largest sum that fits */
	set_amount(a, 50, "CNY");
	r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	cr_assert_eq(money(r, 3, "won_amount"), INT64_MAX);
	spm_result_free(r);
}

/* The plain loop sums by group in one pass when every won amount has one
 * currency; otherwise each group keeps its own: two currencies in two groups
 * are two fine rows, and a won deal without an amount counts as won only. */
Test(analytics, win_rate_currencies_per_group_in_the_plain_loop)
{
	int64_t c, v;
	spm_result *r;
	spm_record *rec;
	const char *cur;

	deal(u_mo, s_won, 100, "2026-03-01", "2026-03-05", "", NULL);
	c = deal(u_mo, s_won, 300, "2026-03-01", "2026-03-07", "", NULL);
	/* rows: the pool's, An, Bo (deal 3 won, 2,000.00), Mo */
	set_amount(d[3], 200000, "USD");
	r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	cr_assert_eq(num(r, 2, "owner_id"), u_bo);
	cr_assert_eq(num(r, 2, "won"), 1);
	cr_assert_eq(spm_result_money(&v, &cur, r, 2, colno(r, "won_amount")), SPM_OK);
	cr_assert_eq(v, 200000);
	cr_assert_str_eq(cur, "USD");
	cr_assert_eq(num(r, 3, "owner_id"), u_mo);
	cr_assert_eq(num(r, 3, "won"), 2);
	cr_assert_eq(money(r, 3, "won_amount"), 400);
	spm_result_free(r);

	set_amount(d[3], 200000, "CNY");
	cr_assert_eq(spm_record_get(&rec, db, "opportunity", c), SPM_OK);
	cr_assert_eq(spm_record_set_null(rec, "amount"), SPM_OK);
	cr_assert_eq(spm_record_save(db, rec), SPM_OK, "%s", spm_error_message());
	spm_record_free(rec);
	r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	cr_assert_eq(num(r, 2, "won"), 1);
	cr_assert_eq(money(r, 2, "won_amount"), 200000);
	cr_assert_eq(num(r, 3, "won"), 2);
	cr_assert_eq(num(r, 3, "lost"), 0);
	cr_assert_eq(money(r, 3, "won_amount"), 100);
	spm_result_free(r);
}

Test(analytics, lead_conversion_and_activity_counts)
{
	spm_result *r;
	int64_t l1, l2;

	l1 = ADD("lead", "company", "A", "source", "web", "owner_id", "2");
	l2 = ADD("lead", "company", "B", "source", "web", "owner_id", "2");
	ADD("lead", "company", "C", "source", "fair", "owner_id", "3");
	(void)l2;
	cr_assert_eq(spm_lead_convert(NULL, NULL, db, l1), SPM_OK, "%s", spm_error_message());
	r = run("{\"query\": \"lead_conversion\", \"group_by\": \"source\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(text(r, 0, "source"), "fair");
	cr_assert_eq(num(r, 0, "conversion"), 0);
	cr_assert_str_eq(text(r, 1, "source"), "web");
	cr_assert_eq(num(r, 1, "leads"), 2);
	cr_assert_eq(num(r, 1, "converted"), 1);
	cr_assert_eq(num(r, 1, "conversion"), 500000);
	spm_result_free(r);

	ADD("activity", "type", "call", "at", "1767261600", "owner_id", "2", "lead_id", "2");
	ADD("activity", "type", "visit", "at", "1767261600", "owner_id", "2", "lead_id", "2");
	ADD("activity", "type", "call", "at", "1767261600", "owner_id", "3", "lead_id", "3");
	r = run("{\"query\": \"activities\"}");
	cr_assert_eq(spm_result_row_count(r), 2);
	cr_assert_str_eq(text(r, 0, "type"), "call");
	cr_assert_eq(num(r, 0, "activities"), 2);
	cr_assert_str_eq(text(r, 1, "type"), "visit");
	spm_result_free(r);
	r = run("{\"query\": \"activities\", \"group_by\": \"owner\"}");
	cr_assert_eq(spm_result_row_count(r), 3);
	cr_assert_eq(num(r, 0, "owner_id"), u_an);
	spm_result_free(r);
}

struct buf {
	char s[4096];
	size_t n;
};

static int to_buf(const char *data, size_t len, void *payload)
{
	struct buf *b = payload;

	cr_assert_lt(b->n + len, sizeof(b->s));
	memcpy(b->s + b->n, data, len);
	b->n += len;
	b->s[b->n] = '\0';
	return 0;
}

static int stop_early(const char *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return 42;
}

Test(analytics, csv_and_json_export)
{
	spm_result *r = run("{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	struct buf b = { "", 0 };
	char file[300];
	FILE *f;

	cr_assert_eq(spm_result_csv(r, to_buf, &b), SPM_OK);
	cr_assert_str_eq(b.s, "owner_id,won,lost,win_rate,won_amount\n"
			      ",0,0,,\n"
			      "2,1,1,0.500000,1000.00 CNY\n"
			      "3,1,0,1.000000,2000.00 CNY\n");
	b.n = 0;
	cr_assert_eq(spm_result_json(r, to_buf, &b), SPM_OK);
	cr_assert_str_eq(b.s, "[\n{\"owner_id\":null,\"won\":0,\"lost\":0,\"win_rate\":null,"
			      "\"won_amount\":null},\n"
			      "{\"owner_id\":2,\"won\":1,\"lost\":1,\"win_rate\":{\"ppm\":500000},"
			      "\"won_amount\":{\"minor\":100000,\"currency\":\"CNY\"}},\n"
			      "{\"owner_id\":3,\"won\":1,\"lost\":0,\"win_rate\":{\"ppm\":1000000},"
			      "\"won_amount\":{\"minor\":200000,\"currency\":\"CNY\"}}\n]\n");
	cr_assert_eq(spm_result_csv(r, stop_early, NULL), 42);
	cr_assert_eq(spm_result_json(r, stop_early, NULL), 42);
	snprintf(file, sizeof(file), "%s.csv", path);
	cr_assert_eq(spm_result_write_file(r, file, "csv"), SPM_OK);
	f = fopen(file, "r");
	cr_assert_not_null(f);
	b.n = fread(b.s, 1, sizeof(b.s) - 1, f);
	b.s[b.n] = '\0';
	fclose(f);
	unlink(file);
	cr_assert(strncmp(b.s, "owner_id,won,lost", 17) == 0);
	cr_assert_eq(spm_result_write_file(r, file, "xml"), SPM_EINVAL);
	cr_assert_eq(spm_result_write_file(r, "/nonexistent/dir/x.csv", "csv"), SPM_ESTORAGE);
	spm_result_free(r);
}

Test(analytics, getters_check_types_and_bounds)
{
	spm_result *r = run("{\"query\": \"win_rate\"}");
	int64_t v;
	const char *s;
	size_t c;

	cr_assert_eq(spm_result_column_count(r), 4);
	cr_assert_eq(spm_result_column_type(r, 2), SPM_COLUMN_RATIO);
	cr_assert_eq(spm_result_column_type(r, 9), 0);
	cr_assert_null(spm_result_column_name(r, 9));
	cr_assert_eq(spm_result_int(&v, r, 5, 0), SPM_ERANGE);
	cr_assert_eq(spm_result_text(&s, r, 0, 0), SPM_EINVAL);
	cr_assert_eq(spm_result_int(&v, r, 0, 3), SPM_EINVAL, "money needs spm_result_money");
	cr_assert_eq(spm_result_column_index(&c, r, "nope"), SPM_ENOTFOUND);
	{
		const int64_t *ids;
		size_t n;
		cr_assert_eq(spm_result_row_ids(&ids, &n, r, 0), SPM_EINVAL, "run without drill");
	}
	spm_result_free(r);
	spm_result_free(NULL);
	cr_assert_eq(spm_result_row_count(NULL), 0);
}

static void expect_bad(const char *json, int code, const char *msg)
{
	spm_result *r = (spm_result *)1;
	int rc = spm_report_run(&r, db, json);

	cr_assert_eq(rc, code, "%s: %d %s", json, rc, spm_error_message());
	cr_assert_null(r);
	cr_assert_str_eq(spm_error_message(), msg);
}

Test(analytics, bad_definitions_name_the_json_path)
{
	expect_bad("{", SPM_EINVAL,
		   "$: malformed JSON at line 1 column 1: string or '}' expected near end of file");
	expect_bad("[]", SPM_EINVAL, "$: expected an object");
	expect_bad("{}", SPM_EINVAL, "$.query: missing");
	expect_bad("{\"query\": \"sales\"}", SPM_EINVAL, "$.query: unknown query 'sales'");
	expect_bad("{\"query\": \"win_rate\", \"group_by\": \"colour\"}", SPM_EINVAL,
		   "$.group_by: unknown dimension 'colour'");
	expect_bad("{\"query\": \"win_rate\", \"colour\": 1}", SPM_EINVAL, "$.colour: unknown key");
	expect_bad("{\"query\": \"win_rate\", \"from\": \"2026-02-30\"}", SPM_EINVAL,
		   "$.from: expected a date as \"YYYY-MM-DD\"");
	expect_bad("{\"query\": \"win_rate\", \"from\": \"2026-02-01\", \"to\": \"2026-01-01\"}",
		   SPM_EINVAL, "$.to: before $.from");
	expect_bad("{\"query\": \"funnel\"}", SPM_EINVAL,
		   "$.pipeline: the funnel needs a pipeline id");
	expect_bad("{\"query\": \"win_rate\", \"filters\": [{\"field\": \"source\", \"op\": \"<\", "
		   "\"value\": \"x\"}]}", SPM_EINVAL, "$.filters[0].op: expected \"=\" or \"!=\"");
	expect_bad("{\"query\": \"win_rate\", \"filters\": [{\"field\": \"owner\", \"value\": "
		   "\"x\"}]}", SPM_EINVAL, "$.filters[0].value: expected an integer id");
	expect_bad("{\"query\": \"activities\", \"group_by\": \"industry\"}", SPM_EINVAL,
		   "$.group_by: the activities query has no dimension 'industry'");
	expect_bad("{\"query\": \"velocity\", \"period\": \"month\"}", SPM_EINVAL,
		   "$.period: the velocity query has no periods");
	expect_bad("{\"query\": \"win_rate\", \"rule\": \"amount = 'x'\"}", SPM_EINVAL,
		   "$.rule: 1:8: cannot compare money with text");
	expect_bad("{\"query\": \"activities\", \"rule\": \"true\"}", SPM_EINVAL,
		   "$.rule: only for opportunity queries");
	expect_bad("{\"query\": \"win_rate\", \"period\": \"fortnight\"}", SPM_EINVAL,
		   "$.period: unknown period 'fortnight'");
	expect_bad("{\"query\": \"win_rate\", \"query\": \"cycle\"}", SPM_EINVAL,
		   "$: malformed JSON at line 1 column 29: duplicate object key near '\"query\"'");
	cr_assert_eq(spm_report_run(NULL, db, "{}"), SPM_EINVAL);
}

static int count_names(const char *name, const char *json, void *payload)
{
	cr_assert_gt(strlen(name), 0);
	cr_assert_eq(json[0], '{');
	(*(int *)payload)++;
	return 0;
}

Test(analytics, saved_reports_and_dashboards)
{
	spm_result *r = NULL;
	char *layout = NULL;
	int n = 0;

	cr_assert_eq(spm_report_save(db, "wins", "{\"query\": \"win_rate\", \"title\": \"Wins\"}"),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_report_save(db, "open", "{\"query\": \"pipeline\"}"), SPM_OK);
	cr_assert_eq(spm_report_save(db, "board", "{\"dashboard\": [{\"report\": \"wins\", "
		     "\"layout\": {\"w\": 6}}, {\"report\": \"open\"}]}"), SPM_OK,
		     "%s", spm_error_message());
	cr_assert_eq(spm_report_save(db, "bad", "{\"query\": \"win_rate\", \"period\": 3}"),
		     SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "report 'bad': $.period: expected a string");
	/* a second record under a taken name is refused */
	{
		spm_record *dup;
		cr_assert_eq(spm_record_new(&dup, db, "report"), SPM_OK);
		cr_assert_eq(spm_record_set_text(dup, "name", "wins"), SPM_OK);
		cr_assert_eq(spm_record_set_text(dup, "definition", "{\"query\": \"cycle\"}"),
			     SPM_OK);
		cr_assert_eq(spm_record_save(db, dup), SPM_EEXISTS);
		cr_assert_str_eq(spm_error_message(), "a report named 'wins' exists already");
		spm_record_free(dup);
	}
	cr_assert_eq(spm_report_foreach(db, count_names, &n), SPM_OK);
	cr_assert_eq(n, 3);

	cr_assert_eq(spm_report_run_saved(&r, db, "wins"), SPM_OK);
	cr_assert_eq(num(r, 0, "won"), 2);
	spm_result_free(r);
	/* replacing a definition keeps one report of that name */
	cr_assert_eq(spm_report_save(db, "wins", "{\"query\": \"cycle\"}"), SPM_OK);
	cr_assert_eq(spm_report_run_saved(&r, db, "wins"), SPM_OK);
	cr_assert_eq(num(r, 0, "won_mean_days"), 20 * PPM);
	spm_result_free(r);
	cr_assert_eq(spm_report_run_saved(&r, db, "nope"), SPM_ENOTFOUND);
	cr_assert_eq(spm_report_run_saved(&r, db, "board"), SPM_EINVAL);

	cr_assert_eq(spm_report_dashboard_item(&r, &layout, db, "board", 0), SPM_OK);
	cr_assert_str_eq(layout, "{\"w\":6}");
	spm_report_text_free(db, layout);
	spm_result_free(r);
	cr_assert_eq(spm_report_dashboard_item(&r, NULL, db, "board", 1), SPM_OK);
	cr_assert_eq(num(r, 0, "open_deals"), 3);
	spm_result_free(r);
	cr_assert_eq(spm_report_dashboard_item(&r, NULL, db, "board", 2), SPM_ITEROVER);
	cr_assert_eq(spm_report_dashboard_item(&r, NULL, db, "open", 0), SPM_EINVAL);
	cr_assert_eq(spm_report_save(db, "b2", "{\"dashboard\": [{\"report\": 1}]}"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "report 'b2': $.dashboard[0].report: expected a report name");
}
