/* Targets: exact splits, decomposition over time (fiscal calendars, week 53,
 * working days, seasonality) and over the org (members, headcount, ramps,
 * manual plans, a mid-period team move), progress on the first and last day
 * of a period, roll-up, warnings deduplicated on tick, JSON and CSV. */
#include "helpers.h"

#include <sqlite3.h>

static spm_db *db;
static char path[256];

/* The org: root team R (1) with u1 (2), u2 (3); sub-team S (2) under R with
 * u3 (4); u4 (5) in R until 2026-03-10, then in S. */
static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_db_set_actor(db, 0), SPM_OK);
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("user", "name", "Ann", "role_id", "1", "active", "true");
	ADD("user", "name", "Bo", "role_id", "1", "active", "true");
	ADD("user", "name", "Cy", "role_id", "1", "active", "true");
	ADD("user", "name", "Di", "role_id", "1", "active", "true");
	ADD("team", "name", "R");
	ADD("team", "name", "S", "parent_id", "1");
	ADD("membership", "user_id", "1", "team_id", "1", "valid_from", "2026-01-01");
	ADD("membership", "user_id", "2", "team_id", "1", "valid_from", "2026-01-01");
	ADD("membership", "user_id", "3", "team_id", "2", "valid_from", "2026-01-01");
	ADD("membership", "user_id", "4", "team_id", "1", "valid_from", "2026-01-01",
	    "valid_to", "2026-03-10");
	ADD("membership", "user_id", "4", "team_id", "2", "valid_from", "2026-03-11");
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(target, .init = setup, .fini = teardown);

static spm_date D(const char *text)
{
	spm_date d;

	cr_assert_eq(spm_date_parse(&d, text), SPM_OK, "%s", text);
	return d;
}

/* A won_amount target in CNY (or a count target when currency is NULL). */
static int64_t target(const char *metric, const char *kind, int64_t ref, const char *period,
		      const char *start, const char *value, const char *currency)
{
	spm_record *r;
	int64_t id;

	cr_assert_eq(spm_record_new(&r, db, "target"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "metric", metric), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "owner_kind", kind), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_ref", ref), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "period_kind", period), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "period_start", start), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "value", value), SPM_OK);
	if (currency)
		cr_assert_eq(spm_record_set_text(r, "currency", currency), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "reason", "annual plan"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

static void set_field(int64_t id, const char *field, const char *value)
{
	spm_record *r;

	cr_assert_eq(spm_record_get(&r, db, "target", id), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, field, value), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "reason", "calendar"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
}

struct parts {
	int n;
	int64_t value[64], weight[64], ref[64], id[64];
	spm_date start[64];
	char kind[64][8];
};

static int collect(const spm_target_part *p, void *payload)
{
	struct parts *ps = payload;

	cr_assert_lt(ps->n, 64);
	ps->value[ps->n] = p->value;
	ps->weight[ps->n] = p->weight;
	ps->ref[ps->n] = p->owner_ref;
	ps->id[ps->n] = p->target_id;
	ps->start[ps->n] = p->period_start;
	snprintf(ps->kind[ps->n], sizeof(ps->kind[0]), "%s", p->owner_kind);
	ps->n++;
	return 0;
}

static struct parts decompose(int64_t id, spm_target_plan *plan, int expect)
{
	struct parts ps;

	memset(&ps, 0, sizeof(ps));
	cr_assert_eq(spm_target_decompose(NULL, db, id, plan, "plan 2026", collect, &ps), expect,
		     "%s", spm_error_message());
	return ps;
}

/* ---- splits ---- */

Test(target, split_100000_01_over_seven_sums_exactly)
{
	int64_t w[7] = { 1, 1, 1, 1, 1, 1, 1 }, out[7];
	int64_t want[7] = { 1428572, 1428572, 1428572, 1428572, 1428571, 1428571, 1428571 };

	cr_assert_eq(spm_target_split(out, 10000001, w, 7), SPM_OK);
	for (int i = 0; i < 7; i++)
		cr_assert_eq(out[i], want[i], "part %d: %lld", i, (long long)out[i]);
}

Test(target, split_zero_gives_zeros)
{
	int64_t w[3] = { 5, 1, 2 }, out[3] = { 9, 9, 9 };

	cr_assert_eq(spm_target_split(out, 0, w, 3), SPM_OK);
	cr_assert(out[0] == 0 && out[1] == 0 && out[2] == 0);
}

Test(target, split_refuses_negative_target_and_changes_nothing)
{
	int64_t w[2] = { 1, 1 }, out[2] = { 7, 7 };

	cr_assert_eq(spm_target_split(out, -100, w, 2), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "negative") != NULL, "%s", spm_error_message());
	cr_assert(out[0] == 7 && out[1] == 7);
}

Test(target, split_weights_are_relative_and_need_not_sum_to_one)
{
	int64_t w[3] = { 1, 1, 2 }, out[3], w2[3] = { 1, 1, 1 }, w3[2] = { 0, 0 }, w4[2] = { 1, -1 };

	cr_assert_eq(spm_target_split(out, 100, w, 3), SPM_OK);
	cr_assert(out[0] == 25 && out[1] == 25 && out[2] == 50);
	cr_assert_eq(spm_target_split(out, 10, w2, 3), SPM_OK);  /* ties: lower index first */
	cr_assert(out[0] == 4 && out[1] == 3 && out[2] == 3);
	cr_assert_eq(spm_target_split(out, 10, w3, 2), SPM_EINVAL);
	cr_assert_eq(spm_target_split(out, 10, w4, 2), SPM_EINVAL);
	cr_assert_eq(spm_target_split(out, 10, w, 0), SPM_EINVAL);
	cr_assert_eq(spm_target_split(NULL, 10, w, 3), SPM_EINVAL);
}

Test(target, split_many_parts)
{
	int64_t w[100], out[100], sum = 0;

	for (int i = 0; i < 100; i++)
		w[i] = 1;
	cr_assert_eq(spm_target_split(out, 1001, w, 100), SPM_OK);
	for (int i = 0; i < 100; i++)
		sum += out[i];
	cr_assert_eq(sum, 1001);
	cr_assert(out[0] == 11 && out[1] == 10 && out[99] == 10);
}

Test(target, split_overflowing_weights_refused)
{
	int64_t w[2] = { INT64_MAX, 1 }, out[2];

	cr_assert_eq(spm_target_split(out, 10, w, 2), SPM_EOVERFLOW);
}

/* ---- validation ---- */

Test(target, bad_targets_refused_with_a_message)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "target"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "metric", "won_amount"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "owner_kind", "user"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_ref", 1), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "period_kind", "month"), SPM_OK);
	cr_assert_eq(spm_record_set_date(r, "period_start", D("2026-03-02")), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "value", 100), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "currency", "CNY"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);  /* no reason */
	cr_assert(strstr(spm_error_message(), "reason"), "%s", spm_error_message());
	cr_assert_eq(spm_record_set_text(r, "reason", "plan"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);  /* not a month start */
	cr_assert(strstr(spm_error_message(), "2026-03-01"), "%s", spm_error_message());
	cr_assert_eq(spm_record_set_date(r, "period_start", D("2026-03-01")), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "value", -1), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "negative"), "%s", spm_error_message());
	cr_assert_eq(spm_record_set_int(r, "value", 100), SPM_OK);
	cr_assert_eq(spm_record_set_null(r, "currency"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "currency"), "%s", spm_error_message());
	cr_assert_eq(spm_record_set_text(r, "metric", "quota"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(count_records(db, "target"), 0);
	spm_record_free(r);
}

static int count_reason_audit(const spm_audit_entry *e, void *payload)
{
	if (e->field && strcmp(e->field, "reason") == 0)
		(*(int *)payload)++;
	return 0;
}

Test(target, every_change_is_audited_with_its_reason)
{
	int64_t id = target("won_amount", "user", 1, "month", "2026-03-01", "100000", "CNY");
	spm_record *r;
	int n = 0;

	cr_assert_eq(spm_record_get(&r, db, "target", id), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "value", 120000), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);  /* a change without a reason */
	cr_assert_eq(spm_record_set_text(r, "reason", "annual plan"), SPM_OK);  /* same text */
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	cr_assert_eq(spm_audit_foreach(db, NULL, 0, count_reason_audit, &n), SPM_OK);
	cr_assert_eq(n, 2);  /* on create, and again on the update */
}

/* ---- over time ---- */

Test(target, april_fiscal_year_by_days_into_months)
{
	int64_t id = ADD("target", "metric", "won_amount", "owner_kind", "user", "owner_ref", "1",
			 "period_kind", "year", "period_start", "2026-04-01", "fy_start_month", "4",
			 "value", "36500000", "currency", "CNY", "reason", "FY2026");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	static const int days[12] = { 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31 };
	struct parts ps;

	plan.child_period = SPM_PERIOD_MONTH;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.n, 12);
	cr_assert_eq(ps.start[0], D("2026-04-01"));
	cr_assert_eq(ps.start[11], D("2027-03-01"));
	for (int i = 0; i < 12; i++)
		cr_assert_eq(ps.value[i], days[i] * 100000, "month %d", i);
	cr_assert_eq(count_records(db, "target"), 13);
}

Test(target, fiscal_year_must_start_on_its_first_day)
{
	spm_record *r;

	target("new_leads", "user", 1, "year", "2026-01-01", "10", NULL);
	cr_assert_eq(spm_record_get(&r, db, "target", 1), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "fy_start_month", 4), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "reason", "fiscal"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);  /* 2026-01-01 does not start an April year */
	spm_record_free(r);
}

Test(target, year_with_week_53_into_weeks)
{
	int64_t id = target("new_leads", "user", 1, "year", "2026-01-01", "5300", NULL);
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;

	plan.method = SPM_TARGET_EQUAL_PERIODS;
	plan.child_period = SPM_PERIOD_WEEK;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.n, 53);
	cr_assert_eq(ps.start[0], D("2025-12-29"));
	cr_assert_eq(ps.start[52], D("2026-12-28"));
	for (int i = 0; i < 53; i++)
		cr_assert_eq(ps.value[i], 100);
}

Test(target, working_days_with_holidays_and_make_up_days)
{
	int64_t id = target("new_leads", "team", 1, "quarter", "2026-10-01", "6200", NULL);
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	const char *off[] = { "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07" };
	struct parts ps;

	for (int i = 0; i < 5; i++)
		ADD("holiday", "date", off[i], "name", "National Day");
	ADD("holiday", "date", "2026-10-10", "working", "true");
	plan.method = SPM_TARGET_WORKING_DAYS;
	plan.child_period = SPM_PERIOD_MONTH;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.n, 3);
	cr_assert_eq(ps.weight[0], 18);
	cr_assert_eq(ps.weight[1], 21);
	cr_assert_eq(ps.weight[2], 23);
	cr_assert(ps.value[0] == 1800 && ps.value[1] == 2100 && ps.value[2] == 2300);
}

Test(target, seasonality_curve_and_redecomposition_updates_in_place)
{
	int64_t id = target("new_leads", "user", 1, "year", "2026-01-01", "1000", NULL);
	int64_t w[4] = { 1, 2, 3, 4 }, w2[3] = { 1, 1, 1 }, w3[4] = { 1, 1, 1, 1 };
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps, again;

	plan.method = SPM_TARGET_SEASONALITY;
	plan.child_period = SPM_PERIOD_QUARTER;
	plan.weights = w;
	plan.nweights = 4;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert(ps.value[0] == 100 && ps.value[1] == 200 && ps.value[2] == 300 &&
		  ps.value[3] == 400);
	plan.weights = w2;
	plan.nweights = 3;
	decompose(id, &plan, SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "3 weights for 4 children"), "%s", spm_error_message());
	plan.weights = w3;
	plan.nweights = 4;
	again = decompose(id, &plan, SPM_OK);
	cr_assert_eq(again.id[0], ps.id[0]);  /* the same child, updated */
	cr_assert_eq(again.value[3], 250);
	cr_assert_eq(count_records(db, "target"), 5);
}

Test(target, decomposition_plan_errors)
{
	int64_t id = target("new_leads", "user", 1, "month", "2026-03-01", "10", NULL);
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;

	plan.child_period = SPM_PERIOD_QUARTER;  /* not shorter than a month */
	decompose(id, &plan, SPM_EINVAL);
	plan.method = SPM_TARGET_HEADCOUNT;  /* a user's target has no org children */
	decompose(id, &plan, SPM_EINVAL);
	plan.method = 99;
	decompose(id, &plan, SPM_EINVAL);
	plan.method = SPM_TARGET_EQUAL_DAYS;
	plan.version = 7;
	decompose(id, &plan, SPM_EVERSION);
	plan.version = SPM_TARGET_PLAN_VERSION;
	cr_assert_eq(spm_target_decompose(NULL, db, id, &plan, "", NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_target_decompose(NULL, db, 999, &plan, "x", NULL, NULL), SPM_ENOTFOUND);
	cr_assert_eq(count_records(db, "target"), 1);
}

/* ---- over the org ---- */

Test(target, headcount_counts_a_mid_period_move_by_days)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;

	plan.method = SPM_TARGET_HEADCOUNT;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.n, 4);
	cr_assert(strcmp(ps.kind[0], "team") == 0 && ps.ref[0] == 2);
	cr_assert(ps.ref[1] == 1 && ps.ref[2] == 2 && ps.ref[3] == 4);
	cr_assert_eq(ps.weight[0], 52 * SPM_PPM);  /* Cy 31 days + Di 21 days */
	cr_assert_eq(ps.weight[3], 10 * SPM_PPM);  /* Di's 10 days in R */
	cr_assert(ps.value[0] == 1300 && ps.value[1] == 775 && ps.value[2] == 775 &&
		  ps.value[3] == 250);
}

Test(target, equal_members_prorates_and_keeps_the_total)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;

	plan.method = SPM_TARGET_EQUAL_MEMBERS;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert(ps.value[0] == 933 && ps.value[1] == 933 && ps.value[2] == 933 &&
		  ps.value[3] == 301);
}

Test(target, ramp_scales_a_new_hire)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	int64_t ramp[3] = { 250000, 500000, 750000 };
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	spm_record *u;
	struct parts ps;

	cr_assert_eq(spm_record_get(&u, db, "user", 2), SPM_OK);
	cr_assert_eq(spm_record_set_date(u, "hired_on", D("2026-02-15")), SPM_OK);
	cr_assert_eq(spm_record_save(db, u), SPM_OK);
	spm_record_free(u);
	plan.method = SPM_TARGET_HEADCOUNT;
	plan.ramp_ppm = ramp;
	plan.nramp = 3;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.weight[2], 12 * SPM_PPM);  /* 14 days at 25%, 17 at 50% */
	cr_assert(ps.value[0] == 1535 && ps.value[1] == 915 && ps.value[2] == 355 &&
		  ps.value[3] == 295, "%lld %lld %lld %lld", (long long)ps.value[0],
		  (long long)ps.value[1], (long long)ps.value[2], (long long)ps.value[3]);
	ramp[1] = SPM_PPM + 1;
	decompose(id, &plan, SPM_EINVAL);
}

Test(target, manual_keeps_the_total_or_reports_the_imbalance)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	int64_t v[4] = { 1000, 1000, 1000, 99 }, imbalance = 0;
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;

	plan.method = SPM_TARGET_MANUAL;
	plan.weights = v;
	plan.nweights = 4;
	plan.keep_total = 1;
	cr_assert_eq(spm_target_decompose(&imbalance, db, id, &plan, "by hand", NULL, NULL),
		     SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "imbalance -1"), "%s", spm_error_message());
	cr_assert_eq(count_records(db, "target"), 1);
	plan.keep_total = 0;
	cr_assert_eq(spm_target_decompose(&imbalance, db, id, &plan, "by hand", NULL, NULL), SPM_OK);
	cr_assert_eq(imbalance, -1);
	cr_assert_eq(count_records(db, "target"), 5);
}

Test(target, dry_run_stores_nothing)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;

	plan.method = SPM_TARGET_HEADCOUNT;
	plan.dry_run = 1;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.n, 4);
	cr_assert_eq(ps.id[0], 0);
	cr_assert_eq(count_records(db, "target"), 1);
}

/* ---- progress ---- */

/* Pipeline P: stage 1 negotiation (open, 60%), 2 won, 3 lost. */
static int count_one(const spm_record *rec, void *payload)
{
	(void)rec;
	(*(int64_t *)payload)++;
	return 0;
}

static int64_t count_targets(void)
{
	spm_query *q;
	int64_t n = 0;

	cr_assert_eq(spm_query_new(&q, db, "target"), SPM_OK);
	cr_assert_eq(spm_query_foreach(q, count_one, &n), SPM_OK, "%s", spm_error_message());
	spm_query_free(q);
	return n;
}

Test(target, decompose_tree_splits_every_level_in_one_call)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;
	spm_record *r;
	int64_t parent = 0;
	size_t decomposed = 0;

	ADD("team", "name", "U", "parent_id", "1");  /* an empty branch: U (3) over V (4) */
	ADD("team", "name", "V", "parent_id", "3");
	plan.method = SPM_TARGET_HEADCOUNT;
	memset(&ps, 0, sizeof(ps));
	cr_assert_eq(spm_target_decompose_tree(&decomposed, db, id, &plan, "tree", collect, &ps),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_eq(decomposed, 2);  /* R, then S; U weighs nothing and is left alone */
	cr_assert_eq(ps.n, 7);
	/* R: S (Cy 31 + Di 21 member-days), U (none), Ann, Bo, Di's 10 days in R */
	cr_assert(strcmp(ps.kind[0], "team") == 0 && ps.ref[0] == 2 && ps.value[0] == 1300);
	cr_assert(strcmp(ps.kind[1], "team") == 0 && ps.ref[1] == 3 && ps.value[1] == 0);
	cr_assert(ps.value[2] == 775 && ps.value[3] == 775 && ps.ref[4] == 4 && ps.value[4] == 250);
	/* S's 1300 over Cy (31 days) and Di (21 days) */
	cr_assert(strcmp(ps.kind[5], "user") == 0 && ps.ref[5] == 3 && ps.value[5] == 775);
	cr_assert(ps.ref[6] == 4 && ps.value[6] == 525);
	cr_assert_eq(spm_record_get(&r, db, "target", ps.id[5]), SPM_OK);
	cr_assert_eq(spm_record_get_int(&parent, r, "parent_id"), SPM_OK);
	cr_assert_eq(parent, ps.id[0]);
	spm_record_free(r);
	cr_assert_eq(count_targets(), 8);
	/* again: the same children, updated in place */
	memset(&ps, 0, sizeof(ps));
	cr_assert_eq(spm_target_decompose_tree(NULL, db, id, &plan, "again", collect, &ps), SPM_OK);
	cr_assert_eq(ps.n, 7);
	cr_assert_eq(count_targets(), 8);
}

Test(target, decompose_tree_gives_what_one_call_per_team_gives)
{
	int64_t a = target("won_amount", "team", 1, "month", "2026-03-01", "100000", "CNY");
	int64_t b = target("won_amount", "team", 1, "month", "2026-03-01", "100000", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts tree, top, sub;

	plan.method = SPM_TARGET_EQUAL_MEMBERS;
	memset(&tree, 0, sizeof(tree));
	cr_assert_eq(spm_target_decompose_tree(NULL, db, a, &plan, "tree", collect, &tree), SPM_OK);
	top = decompose(b, &plan, SPM_OK);
	sub = decompose(top.id[0], &plan, SPM_OK);
	cr_assert_eq(tree.n, top.n + sub.n);
	for (int i = 0; i < top.n; i++)
		cr_assert(tree.ref[i] == top.ref[i] && tree.value[i] == top.value[i]);
	for (int i = 0; i < sub.n; i++)
		cr_assert(tree.ref[top.n + i] == sub.ref[i] && tree.value[top.n + i] == sub.value[i]);
}

static int stop_at_first(const spm_target_part *p, void *payload)
{
	(void)p;
	(void)payload;
	return 42;
}

Test(target, decompose_tree_refuses_bad_input_and_stores_nothing)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");
	int64_t user = target("won_amount", "user", 1, "month", "2026-03-01", "100", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	int64_t w[3] = { 1, 1, 1 };
	struct parts ps;
	size_t decomposed = 7;

	memset(&ps, 0, sizeof(ps));
	plan.method = SPM_TARGET_WEIGHTS;
	plan.weights = w;
	plan.nweights = 3;
	cr_assert_eq(spm_target_decompose_tree(&decomposed, db, id, &plan, "x", NULL, NULL),
		     SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "equal_members, headcount or last_period"), "%s",
		  spm_error_message());
	cr_assert_eq(decomposed, 7);
	plan.method = SPM_TARGET_WORKING_DAYS;
	cr_assert_eq(spm_target_decompose_tree(NULL, db, id, &plan, "x", NULL, NULL), SPM_EINVAL);
	plan = (spm_target_plan)SPM_TARGET_PLAN_INIT;
	plan.method = SPM_TARGET_HEADCOUNT;
	cr_assert_eq(spm_target_decompose_tree(NULL, db, user, &plan, "x", NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_target_decompose_tree(NULL, db, 99, &plan, "x", NULL, NULL), SPM_ENOTFOUND);
	cr_assert_eq(spm_target_decompose_tree(NULL, db, id, &plan, "", NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_target_decompose_tree(NULL, db, id, NULL, "x", NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_target_decompose_tree(NULL, NULL, id, &plan, "x", NULL, NULL), SPM_EINVAL);
	cr_assert_eq(count_targets(), 2);
	plan.dry_run = 1;
	cr_assert_eq(spm_target_decompose_tree(&decomposed, db, id, &plan, "x", collect, &ps),
		     SPM_OK);
	cr_assert(decomposed == 2 && ps.n == 6 && ps.id[0] == 0 && ps.id[5] == 0);
	cr_assert_eq(count_targets(), 2);
	plan.dry_run = 0;
	cr_assert_eq(spm_target_decompose_tree(NULL, db, id, &plan, "x", stop_at_first, NULL), 42);
	cr_assert_eq(count_targets(), 8);  /* committed before the parts are reported */
}

static void pipeline_p(void)
{
	ADD("pipeline", "name", "P");
	ADD("stage", "pipeline_id", "1", "name", "negotiation", "position", "1", "probability", "60");
	ADD("stage", "pipeline_id", "1", "name", "won", "position", "2", "outcome", "won");
	ADD("stage", "pipeline_id", "1", "name", "lost", "position", "3", "outcome", "lost");
}

static void won(int64_t owner, const char *closed, const char *amount)
{
	char o[16];

	snprintf(o, sizeof(o), "%lld", (long long)owner);
	ADD("opportunity", "name", "deal", "pipeline_id", "1", "owner_id", o, "stage_id", "2",
	    "status", "won", "amount", amount, "closed_at", closed);
}

static void sales(void)
{
	pipeline_p();
	won(1, "2026-03-01T10:00:00Z", "100.00 CNY");
	won(1, "2026-03-05T10:00:00Z", "1000.00 CNY");
	won(4, "2026-03-05T10:00:00Z", "500.00 CNY");   /* Di, still in R */
	won(4, "2026-03-20T10:00:00Z", "200.00 CNY");   /* Di, now in S */
	won(3, "2026-03-12T10:00:00Z", "300.00 CNY");
	won(1, "2026-04-02T10:00:00Z", "999.00 CNY");   /* next month */
	ADD("opportunity", "name", "lost", "pipeline_id", "1", "owner_id", "1", "stage_id", "3",
	    "status", "lost",
	    "amount", "800.00 CNY", "closed_at", "2026-03-06T10:00:00Z");
	ADD("opportunity", "name", "open", "pipeline_id", "1", "owner_id", "1", "status", "open",
	    "stage_id", "1", "amount", "1000.00 CNY", "expected_close", "2026-03-28");
	ADD("opportunity", "name", "later", "pipeline_id", "1", "owner_id", "3", "status", "open",
	    "stage_id", "1", "amount", "500.00 CNY", "expected_close", "2026-04-05");
}

static spm_target_progress progress(int64_t id, const char *as_of)
{
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };

	cr_assert_eq(spm_target_progress_get(&p, db, id, D(as_of)), SPM_OK, "%s",
		     spm_error_message());
	return p;
}

Test(target, progress_mid_period)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "310000", "CNY");
	spm_target_progress p;

	sales();
	p = progress(id, "2026-03-20");
	cr_assert_str_eq(p.owner_kind, "team");
	cr_assert_eq(p.target, 310000);
	cr_assert_eq(p.attained, 210000);
	cr_assert_eq(p.elapsed_ppm, 645161);
	cr_assert_eq(p.expected, 200000);
	cr_assert_eq(p.pace_ppm, 1050000);
	cr_assert_eq(p.attainment_ppm, 677419);
	cr_assert_eq(p.projection, 325500);
	cr_assert_eq(p.gap, 100000);
	cr_assert_eq(p.pipeline, 60000);
	cr_assert_eq(p.coverage_ppm, 600000);
	cr_assert_str_eq(p.currency, "CNY");
}

Test(target, pace_on_the_first_and_last_day)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "310000", "CNY");
	spm_target_progress p;

	sales();
	p = progress(id, "2026-03-01");
	cr_assert_eq(p.elapsed_ppm, 32258);
	cr_assert_eq(p.expected, 10000);
	cr_assert_eq(p.attained, 10000);
	cr_assert_eq(p.pace_ppm, 1000000);
	cr_assert_eq(p.projection, 310000);
	p = progress(id, "2026-03-31");
	cr_assert_eq(p.elapsed_ppm, 1000000);
	cr_assert_eq(p.expected, 310000);
	cr_assert_eq(p.pace_ppm, 677419);
	cr_assert_eq(p.projection, 210000);
	p = progress(id, "2026-04-30");  /* after the period: the whole period */
	cr_assert_eq(p.attained, 210000);
	p = progress(id, "2026-02-10");  /* before it: nothing yet */
	cr_assert(p.attained == 0 && p.expected == 0 && p.pace_ppm == 0 && p.elapsed_ppm == 0);
}

struct nodes {
	int n;
	spm_target_progress p[16];
};

static int collect_progress(const spm_target_progress *p, void *payload)
{
	struct nodes *ns = payload;

	cr_assert_lt(ns->n, 16);
	ns->p[ns->n++] = *p;
	return 0;
}

Test(target, every_node_at_once_with_a_mid_period_move)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "310000", "CNY");
	struct nodes ns = { 0 };

	target("won_amount", "user", 3, "month", "2026-03-01", "100000", "CNY");
	target("won_amount", "user", 4, "month", "2026-03-01", "31000", "CNY");
	sales();
	cr_assert_eq(spm_target_progress_foreach(db, id, D("2026-03-20"), collect_progress, &ns),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_eq(ns.n, 6);  /* R, S, then the four users */
	cr_assert_eq(ns.p[0].owner_ref, 1);
	cr_assert_str_eq(ns.p[1].owner_kind, "team");
	cr_assert_eq(ns.p[1].owner_ref, 2);
	cr_assert_eq(ns.p[1].target_id, 0);        /* S rolls up */
	cr_assert_eq(ns.p[1].target, 121000);      /* Cy 1000.00 + Di's 21 of 31 days of 310.00 */
	cr_assert_eq(ns.p[1].attained, 50000);     /* Cy 300 + Di's 200 after the move */
	cr_assert_eq(ns.p[2].owner_ref, 1);
	cr_assert_eq(ns.p[2].attained, 110000);
	cr_assert_eq(ns.p[2].pipeline, 60000);
	cr_assert_eq(ns.p[5].owner_ref, 4);
	cr_assert_eq(ns.p[5].attained, 70000);
	cr_assert_eq(ns.p[5].target, 31000);
	cr_assert_eq(ns.p[5].attainment_ppm, 2258065);
}

Test(target, another_currency_is_an_error)
{
	int64_t id = target("won_amount", "user", 1, "month", "2026-03-01", "10000", "CNY");
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };

	pipeline_p();
	won(1, "2026-03-03T10:00:00Z", "5.00 USD");
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-10")), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "USD"), "%s", spm_error_message());
	p.version = 99;
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-10")), SPM_EVERSION);
}

Test(target, working_day_weighting_and_seasonality)
{
	int64_t id = target("new_leads", "user", 1, "month", "2026-03-01", "22", NULL);
	int64_t q = target("new_leads", "user", 1, "quarter", "2026-01-01", "600", NULL);
	int64_t w[3] = { 1, 1, 4 };
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	spm_target_progress p;

	set_field(id, "weighting", "working_days");
	p = progress(id, "2026-03-06");  /* March 2026: 22 working days, 5 by Friday the 6th */
	cr_assert_eq(p.expected, 5);
	set_field(q, "weighting", "seasonality");
	plan.method = SPM_TARGET_SEASONALITY;
	plan.weights = w;
	plan.nweights = 3;
	decompose(q, &plan, SPM_OK);
	p = progress(q, "2026-02-28");  /* Jan and Feb done: 100 + 100 of 600 */
	cr_assert_eq(p.expected, 200);
	p = progress(q, "2026-03-16");  /* and 16 of 31 days of March's 400 */
	cr_assert_eq(p.expected, 406);
}

Test(target, custom_metric_counts_filtered_records)
{
	spm_target_progress p;
	int64_t id;
	spm_record *r;

	ADD("target_metric", "name", "web leads", "kind", "lead", "date_field", "created_at",
	    "filter", "source = 'web'");
	cr_assert_eq(spm_record_new(&r, db, "target_metric"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "bad"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "kind", "lead"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "date_field", "company"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "date_field", "created_at"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "filter", "source = "), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	spm_record_free(r);
	test_clock_now = T0 + 86400;  /* 2026-03-02 */
	ADD("lead", "company", "A", "source", "web", "owner_id", "1");
	ADD("lead", "company", "B", "source", "fair", "owner_id", "1");
	ADD("lead", "company", "C", "source", "web", "owner_id", "2");
	test_clock_now = T0;
	id = ADD("target", "metric", "custom", "metric_id", "1", "owner_kind", "team", "owner_ref",
		 "1", "period_kind", "month", "period_start", "2026-03-01", "value", "4",
		 "reason", "web");
	p = progress(id, "2026-03-31");
	cr_assert_eq(p.attained, 2);
	cr_assert_eq(p.attainment_ppm, 500000);
}

/* ---- warnings ---- */

struct seen { int warn, recovered; char last[512]; };

static int on_event(const spm_event *e, void *payload)
{
	struct seen *s = payload;

	if (e->type == SPM_EVENT_TARGET_WARNING)
		s->warn++;
	if (e->type == SPM_EVENT_TARGET_RECOVERED)
		s->recovered++;
	if (e->type == SPM_EVENT_TARGET_WARNING || e->type == SPM_EVENT_TARGET_RECOVERED)
		snprintf(s->last, sizeof(s->last), "%s", e->payload);
	return 0;
}

static spm_time at(const char *date)
{
	spm_time t;

	cr_assert_eq(spm_date_to_time(&t, D(date)), SPM_OK);
	return t + 9 * 3600;
}

Test(target, pace_warning_once_until_its_state_changes)
{
	struct seen s = { 0 };

	target("won_amount", "user", 1, "month", "2026-03-01", "310000", "CNY");
	pipeline_p();
	won(1, "2026-03-01T10:00:00Z", "100.00 CNY");
	ADD("target_alert", "name", "behind", "check", "pace", "below_pct", "80",
	    "after_elapsed_pct", "30");
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK_ALL, on_event, &s), SPM_OK);
	cr_assert_eq(spm_db_tick(db, at("2026-03-05")), SPM_OK);  /* 16% passed: too early */
	cr_assert_eq(s.warn, 0);
	cr_assert_eq(spm_db_tick(db, at("2026-03-12")), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(s.warn, 1);
	cr_assert(strstr(s.last, "\"pace_ppm\":83333"), "%s", s.last);
	cr_assert_eq(spm_db_tick(db, at("2026-03-13")), SPM_OK);
	cr_assert_eq(s.warn, 1);  /* same state: not again */
	won(1, "2026-03-13T10:00:00Z", "3000.00 CNY");
	cr_assert_eq(spm_db_tick(db, at("2026-03-14")), SPM_OK);
	cr_assert_eq(s.recovered, 1);
	cr_assert_eq(spm_db_tick(db, at("2026-03-15")), SPM_OK);
	cr_assert(s.warn == 1 && s.recovered == 1);
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_TARGET_WARNING), "target.warning");
}

Test(target, coverage_warning_and_bad_alerts)
{
	struct seen s = { 0 };
	spm_record *r;

	sales();
	target("won_amount", "user", 3, "month", "2026-03-01", "100000", "CNY");
	ADD("target_alert", "name", "thin pipeline", "check", "coverage", "below_pct", "100");
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK_ALL, on_event, &s), SPM_OK);
	cr_assert_eq(spm_db_tick(db, at("2026-03-02")), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(s.warn, 1);  /* Cy: gap 1000.00, nothing in the pipeline this month */
	cr_assert(strstr(s.last, "\"owner_ref\":3"), "%s", s.last);
	cr_assert_eq(spm_record_new(&r, db, "target_alert"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "x"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "check", "mood"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "below_pct", 80), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "check", "pace"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "after_elapsed_pct", 101), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	spm_record_free(r);
}

struct warned { int n; int64_t target[16]; char payload[16][512]; };

static int on_warning(const spm_event *e, void *payload)
{
	struct warned *w = payload;

	if (e->type == SPM_EVENT_TARGET_WARNING) {
		cr_assert_lt(w->n, 16);
		w->target[w->n] = e->entity_id;
		snprintf(w->payload[w->n++], sizeof(w->payload[0]), "%s", e->payload);
	}
	return 0;
}

/* One tick computes every target's figures at once; each must be what
 * spm_target_progress_get gives that target alone. */
Test(target, tick_checks_every_target_with_its_own_figures)
{
	int64_t r = target("won_amount", "team", 1, "month", "2026-03-01", "310000", "CNY");
	int64_t s = target("won_amount", "team", 2, "month", "2026-03-01", "200000", "CNY");
	int64_t ann = target("won_amount", "user", 1, "month", "2026-03-01", "100000", "CNY");
	int64_t cy = target("won_amount", "user", 3, "month", "2026-03-01", "100000", "CNY");
	int64_t leads = target("new_leads", "user", 2, "month", "2026-03-01", "10", NULL);
	int64_t expect[] = { s, cy, leads, leads };  /* by alert, then by target id */
	struct warned w = { 0 };

	target("won_amount", "team", 1, "month", "2026-04-01", "310000", "CNY");  /* not current */
	sales();
	ADD("lead", "company", "L", "owner_id", "2");  /* created now (the test clock) */
	ADD("target_alert", "name", "behind", "check", "pace", "below_pct", "80",
	    "after_elapsed_pct", "30");
	ADD("target_alert", "name", "thin", "check", "coverage", "below_pct", "50", "metric",
	    "new_leads");
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK_ALL, on_warning, &w), SPM_OK);
	cr_assert_eq(spm_db_tick(db, at("2026-03-20")), SPM_OK, "%s", spm_error_message());
	/* R 105% and Ann 171% of pace are on track; Cy 300.00 of 645.16 expected,
	 * S 500.00 of 1290.32 and Bo 1 lead of 6.45 are behind; Bo's gap has no
	 * pipeline */
	cr_assert_eq(w.n, 4);
	for (int i = 0; i < 4; i++) {
		spm_target_progress p = progress(expect[i], "2026-03-20");
		char want[256];

		cr_assert_eq(w.target[i], expect[i], "%d: %s", i, w.payload[i]);
		snprintf(want, sizeof(want), "\"target\":%lld,\"attained\":%lld,\"expected\":%lld,"
			 "\"pace_ppm\":%lld,\"elapsed_ppm\":%lld,\"gap\":%lld,\"pipeline\":%lld,"
			 "\"coverage_ppm\":%lld}", (long long)p.target, (long long)p.attained,
			 (long long)p.expected, (long long)p.pace_ppm, (long long)p.elapsed_ppm,
			 (long long)p.gap, (long long)p.pipeline, (long long)p.coverage_ppm);
		cr_assert(strstr(w.payload[i], want), "%s\nwant %s", w.payload[i], want);
	}
	cr_assert(strstr(w.payload[0], "\"attained\":50000,\"expected\":129032,"), "%s",
		  w.payload[0]);
	cr_assert(strstr(w.payload[2], "\"owner_ref\":2,\"target\":10,\"attained\":1,"), "%s",
		  w.payload[2]);
	(void)r;
	(void)ann;
}

static int count_node(const spm_target_progress *p, void *payload)
{
	(void)p;
	(*(int *)payload)++;
	return 0;
}

static int progress_and_tick(int64_t id, int *nodes)
{
	int rc;

	*nodes = 0;
	rc = spm_target_progress_foreach(db, id, D("2026-03-20"), count_node, nodes);
	if (rc == SPM_OK)
		rc = spm_db_tick(db, at("2026-03-20"));
	return rc;
}

static int tree(int64_t id)
{
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;

	plan.method = SPM_TARGET_HEADCOUNT;
	return spm_target_decompose_tree(NULL, db, id, &plan, "tree", NULL, NULL);
}

/* TESTING.md §A: fail the Nth allocation for every N that progress (the
 * actuals from the analytics cache), a tick and a tree decomposition
 * reach: each fails cleanly, a retry succeeds, nothing leaks, and the
 * decomposition is complete or absent. */
Test(target, every_allocation_failure_in_progress_tick_and_tree)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "310000", "CNY");
	struct counting_alloc a = { 0 };
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	int nodes, failures = 0, rc, reached;
	int64_t before;

	sales();
	ADD("target_alert", "name", "behind", "check", "pace", "below_pct", "80",
	    "after_elapsed_pct", "30");
	spm_db_close(db);
	o.path = path;
	o.clock = test_clock;
	o.actor = 1;
	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = &a;
	cr_assert_eq(spm_db_open(&db, &o), SPM_OK);
	for (long n = 1;; n++) {
		a.calls = 0;
		a.fail_at = n;
		rc = progress_and_tick(id, &nodes);
		reached = a.calls >= n;
		a.fail_at = 0;
		cr_assert(rc == SPM_OK || rc == SPM_ENOMEM, "%ld: %s", n, spm_error_message());
		if (rc != SPM_OK) {
			failures++;
			cr_assert_eq(progress_and_tick(id, &nodes), SPM_OK, "retry %ld: %s", n,
				     spm_error_message());
		}
		cr_assert_eq(nodes, 6);  /* R, S, Ann, Bo, Cy, Di */
		if (!reached)
			break;
	}
	cr_assert_gt(failures, 50);
	failures = 0;
	for (long n = 1;; n++) {  /* a new top each time: its tree is all or nothing */
		int64_t top = target("won_amount", "team", 1, "month", "2026-03-01", "3100", "CNY");

		before = count_targets();
		a.calls = 0;
		a.fail_at = n;
		rc = tree(top);
		reached = a.calls >= n;
		a.fail_at = 0;
		cr_assert(rc == SPM_OK || rc == SPM_ENOMEM, "%ld: %s", n, spm_error_message());
		cr_assert_eq(count_targets(), before + (rc == SPM_OK ? 6 : 0));
		if (rc != SPM_OK) {
			failures++;
			cr_assert_eq(tree(top), SPM_OK, "retry %ld: %s", n, spm_error_message());
			cr_assert_eq(count_targets(), before + 6);
		}
		if (!reached)
			break;
	}
	cr_assert_gt(failures, 50);
	spm_db_close(db);
	cr_assert_eq(a.live, 0, "%ld allocations leaked", a.live);
	db = open_db(path);
}

/* ---- JSON and CSV ---- */

struct text { char buf[16384]; size_t len; };

static int append(const char *data, size_t len, void *payload)
{
	struct text *t = payload;

	cr_assert_lt(t->len + len, sizeof(t->buf));
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

Test(target, json_round_trip_keeps_the_tree)
{
	int64_t id = target("new_leads", "user", 1, "year", "2026-01-01", "1200", NULL);
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct text t = { .len = 0 };
	size_t n = 0;
	spm_record *r;
	int64_t parent;

	plan.method = SPM_TARGET_EQUAL_PERIODS;
	plan.child_period = SPM_PERIOD_QUARTER;
	decompose(id, &plan, SPM_OK);
	cr_assert_eq(spm_target_export_json(db, append, &t), SPM_OK);
	cr_assert(strstr(t.buf, "\"period_start\": \"2026-04-01\""), "%s", t.buf);
	cr_assert_eq(spm_target_import_json(&n, db, t.buf, "copy"), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(n, 5);
	cr_assert_eq(count_records(db, "target"), 10);
	cr_assert_eq(spm_record_get(&r, db, "target", 7), SPM_OK);
	cr_assert_eq(spm_record_get_int(&parent, r, "parent_id"), SPM_OK);
	cr_assert_eq(parent, 6);  /* remapped to the imported parent */
	spm_record_free(r);
}

Test(target, json_errors_name_the_path_and_store_nothing)
{
	const char *bad = "[{\"metric\":\"new_leads\",\"owner_kind\":\"user\",\"owner_ref\":1,"
			  "\"period_kind\":\"month\",\"period_start\":\"2026-03-01\",\"value\":5},"
			  "{\"metric\":\"new_leads\",\"owner_kind\":\"user\",\"owner_ref\":1,"
			  "\"period_kind\":\"month\",\"period_start\":\"2026-03-01\",\"value\":\"x\"}]";

	cr_assert_eq(spm_target_import_json(NULL, db, bad, "import"), SPM_EINVAL);
	cr_assert(strncmp(spm_error_message(), "$[1].value:", 11) == 0, "%s", spm_error_message());
	cr_assert_eq(spm_target_import_json(NULL, db, "[{\"colour\":1}]", "import"), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "$[0].colour"), "%s", spm_error_message());
	cr_assert_eq(spm_target_import_json(NULL, db, "[1,", "import"), SPM_EINVAL);
	cr_assert(strncmp(spm_error_message(), "$: line 1", 9) == 0, "%s", spm_error_message());
	cr_assert_eq(spm_target_import_json(NULL, db, "{}", "import"), SPM_EINVAL);
	cr_assert_eq(count_records(db, "target"), 0);
}

Test(target, plan_json_round_trip_and_errors)
{
	int64_t wb[8], rb[4];
	spm_target_plan plan;
	struct text t = { .len = 0 };

	cr_assert_eq(spm_target_plan_from_json(&plan, wb, 8, rb, 4,
		"{\"method\":\"seasonality\",\"child_period\":\"quarter\",\"weights\":[1,2,3,4],"
		"\"ramp_ppm\":[500000]}"), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(plan.method, SPM_TARGET_SEASONALITY);
	cr_assert_eq(plan.child_period, SPM_PERIOD_QUARTER);
	cr_assert(plan.nweights == 4 && plan.weights[3] == 4 && plan.nramp == 1);
	cr_assert_eq(spm_target_plan_to_json(&plan, append, &t), SPM_OK);
	cr_assert(strstr(t.buf, "\"method\": \"seasonality\""), "%s", t.buf);
	cr_assert_eq(spm_target_plan_from_json(&plan, wb, 8, rb, 4, "{\"method\":\"magic\"}"),
		     SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "$.method: unknown method");
	cr_assert_eq(spm_target_plan_from_json(&plan, wb, 8, rb, 4, "{\"weights\":[1,\"a\"]}"),
		     SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "$.weights[1]: an integer is needed");
	cr_assert_eq(spm_target_plan_from_json(&plan, wb, 2, rb, 4, "{\"weights\":[1,2,3]}"),
		     SPM_ERANGE);
}

Test(target, progress_csv)
{
	int64_t id = target("won_amount", "user", 1, "month", "2026-03-01", "310000", "CNY");
	struct text t = { .len = 0 };

	sales();
	cr_assert_eq(spm_target_progress_csv(db, id, D("2026-03-20"), append, &t), SPM_OK);
	cr_assert_str_eq(t.buf,
		"owner_kind,owner_ref,target_id,period_start,period_end,target,attained,attainment,"
		"elapsed,expected,pace,projection,gap,pipeline,coverage,currency\r\n"
		"user,1,1,2026-03-01,2026-03-31,3100.00,1100.00,0.354839,0.645161,2000.00,0.55,"
		"1705.00,2000.00,600.00,0.3,CNY\r\n");
}

Test(target, progress_only_for_owners_the_actor_sees)
{
	int64_t team = target("new_leads", "team", 1, "month", "2026-03-01", "10", NULL);
	int64_t other = target("new_leads", "user", 1, "month", "2026-03-01", "10", NULL);
	int64_t own = target("new_leads", "user", 5, "month", "2026-03-01", "10", NULL);
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };

	ADD("role", "name", "rep", "scope", "1");
	ADD("user", "name", "Eve", "role_id", "2", "active", "true");
	cr_assert_eq(spm_db_set_actor(db, 5), SPM_OK);
	cr_assert_eq(spm_target_progress_get(&p, db, own, D("2026-03-10")), SPM_OK);
	cr_assert_eq(spm_target_progress_get(&p, db, other, D("2026-03-10")), SPM_ENOTFOUND);
	cr_assert_eq(spm_target_progress_get(&p, db, team, D("2026-03-10")), SPM_ENOTFOUND);
	cr_assert(strstr(spm_error_message(), "does not exist"), "%s", spm_error_message());
}

Test(target, last_period_share_over_the_org)
{
	int64_t id = target("won_amount", "team", 1, "month", "2026-03-01", "1000", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;

	pipeline_p();
	won(1, "2026-02-10T10:00:00Z", "3.00 CNY");
	won(3, "2026-02-20T10:00:00Z", "1.00 CNY");  /* Cy, in S */
	won(4, "2026-02-05T10:00:00Z", "1.00 CNY");  /* Di, then in R */
	won(1, "2026-01-10T10:00:00Z", "9.00 CNY");  /* not the previous period */
	plan.method = SPM_TARGET_LAST_PERIOD;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert_eq(ps.n, 4);
	cr_assert(ps.weight[0] == 100 && ps.weight[1] == 300 && ps.weight[2] == 0 &&
		  ps.weight[3] == 100);
	cr_assert(ps.value[0] == 200 && ps.value[1] == 600 && ps.value[2] == 0 &&
		  ps.value[3] == 200);
}

Test(target, last_year_actuals_over_time)
{
	int64_t id = target("won_amount", "user", 1, "year", "2026-01-01", "1200", "CNY");
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct parts ps;

	pipeline_p();
	won(1, "2025-02-10T10:00:00Z", "1.00 CNY");
	won(1, "2025-08-10T10:00:00Z", "3.00 CNY");
	won(1, "2025-12-31T10:00:00Z", "2.00 CNY");
	won(2, "2025-05-10T10:00:00Z", "7.00 CNY");  /* someone else */
	plan.method = SPM_TARGET_LAST_YEAR;
	plan.child_period = SPM_PERIOD_QUARTER;
	ps = decompose(id, &plan, SPM_OK);
	cr_assert(ps.value[0] == 200 && ps.value[1] == 0 && ps.value[2] == 600 &&
		  ps.value[3] == 400);
	cr_assert_eq(spm_record_delete(db, "opportunity", 1), SPM_OK);
	cr_assert_eq(spm_record_delete(db, "opportunity", 2), SPM_OK);
	cr_assert_eq(spm_record_delete(db, "opportunity", 3), SPM_OK);
	decompose(id, &plan, SPM_EINVAL);  /* no history: every weight zero */
	cr_assert(strstr(spm_error_message(), "every weight is zero"), "%s", spm_error_message());
}

/* 回款: the payments received in the period, by the deal owner at the time. */
Test(target, collections_are_the_payments_received_in_the_period)
{
	int64_t id = target("collections", "user", 1, "month", "2026-03-01", "100000", "CNY");
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };

	pipeline_p();
	won(1, "2026-02-20T10:00:00Z", "1000.00 CNY");
	ADD("contract", "opportunity_id", "1", "amount", "1000.00 CNY");
	cr_assert_eq(spm_contract_set_plan(db, 1, (int64_t[]){ 100000 },
					   (spm_date[]){ D("2026-04-30") }, 1), SPM_OK, "%s",
		     spm_error_message());
	ADD("payment", "contract_id", "1", "amount", "300.00 CNY", "received_at",
	    "2026-03-03T10:00:00Z");
	ADD("payment", "contract_id", "1", "amount", "0.45 CNY", "received_at",
	    "2026-03-31T23:59:59Z");
	ADD("payment", "contract_id", "1", "amount", "200.00 CNY", "received_at",
	    "2026-04-01T00:00:00Z");  /* the next month */
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-20")), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(p.attained, 30000, "to date: %lld", (long long)p.attained);
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-31")), SPM_OK);
	cr_assert_eq(p.attained, 30045, "the last second of the month: %lld",
		     (long long)p.attained);
	cr_assert_str_eq(p.currency, "CNY");
}

/* A stored target value the writes refuse (here the most negative int64,
 * from a damaged file) gives a clear overflow, not an undefined negation. */
Test(target, progress_of_a_damaged_target_value_is_eoverflow)
{
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };
	int64_t id = ADD("target", "metric", "won_amount", "owner_kind", "user", "owner_ref", "1",
			 "period_kind", "year", "period_start", "2026-01-01", "value", "1000",
			 "currency", "CNY", "reason", "FY2026");
	sqlite3 *s;

	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE target SET value = -9223372036854775808", NULL, NULL,
				  NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-01")), SPM_EOVERFLOW, "%s",
		     spm_error_message());
	cr_assert(strstr(spm_error_message(), "overflows") != NULL, "%s", spm_error_message());
}

/* Won amounts read from a damaged file may be anything: a gap that does not
 * fit in int64 is a clear overflow, not an undefined subtraction. */
Test(target, progress_with_a_damaged_won_amount_is_eoverflow)
{
	spm_target_progress p = { .version = SPM_TARGET_PROGRESS_VERSION };
	int64_t id = target("won_amount", "user", 1, "month", "2026-03-01", "100000", "CNY");
	sqlite3 *s;

	pipeline_p();
	won(1, "2026-03-01T10:00:00Z", "100.00 CNY");
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-31")), SPM_OK);
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE opportunity SET amount = -9223372036854775808", NULL,
				  NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_target_progress_get(&p, db, id, D("2026-03-31")), SPM_EOVERFLOW, "%s",
		     spm_error_message());
}
