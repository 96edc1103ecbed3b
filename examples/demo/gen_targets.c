/* spm demo: the year's won-amount target on the whole company, decomposed
 * over the org (regions, teams, reps) and over time (quarters), and the
 * alerts that tick raises warnings from. */
#include "demo.h"

#define DEMO_YEAR_TARGET INT64_C(1100000000) /* 11,000,000.00 CNY */
#define REASON "FY2025 plan"

/* The children a decomposition made: the org methods need them next. */
struct parts {
	int64_t team_target[DEMO_TEAMS + DEMO_REGIONS];
	int64_t team_ref[DEMO_TEAMS + DEMO_REGIONS];
	size_t n;
};

static int collect(const spm_target_part *part, void *payload)
{
	struct parts *p = payload;
	if (part->owner_kind[0] == 't' && p->n < DEMO_TEAMS + DEMO_REGIONS) {
		p->team_target[p->n] = part->target_id;
		p->team_ref[p->n] = part->owner_ref;
		p->n++;
	}
	return 0;
}

static int decompose_org(spm_db *db, int64_t target, int method, struct parts *out)
{
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	/* New reps ramp up: a quarter, then half, then three quarters. */
	static const int64_t ramp[] = { 250000, 500000, 750000 };
	plan.method = method;
	plan.ramp_ppm = ramp;
	plan.nramp = 3;
	return spm_target_decompose(NULL, db, target, &plan, REASON, collect, out);
}

static int add_alert(spm_db *db, const char *name, const char *check, int below, int after)
{
	spm_record *rec;
	int rc = spm_record_new(&rec, db, "target_alert");
	if (rc != SPM_OK)
		return rc;
	spm_record_set_text(rec, "name", name);
	spm_record_set_text(rec, "check", check);
	spm_record_set_int(rec, "below_pct", below);
	spm_record_set_int(rec, "after_elapsed_pct", after);
	spm_record_set_text(rec, "metric", "won_amount");
	spm_record_set_bool(rec, "active", 1);
	rc = spm_record_save(db, rec);
	spm_record_free(rec);
	return rc;
}

int demo_gen_targets(demo_company *co, spm_db *db)
{
	static const int64_t seasons[] = { 20, 24, 26, 30 }; /* a strong Q4 */
	spm_target_plan time_plan = SPM_TARGET_PLAN_INIT;
	struct parts regions = { { 0 }, { 0 }, 0 };
	spm_record *rec;
	int rc;

	TRY(spm_record_new(&rec, db, "target"));
	spm_record_set_text(rec, "name", "FY2025 new business");
	spm_record_set_text(rec, "metric", "won_amount");
	spm_record_set_text(rec, "owner_kind", "team");
	spm_record_set_int(rec, "owner_ref", co->root_team);
	spm_record_set_text(rec, "period_kind", "year");
	spm_record_set_date(rec, "period_start", co->fy_start);
	spm_record_set_int(rec, "fy_start_month", 4);
	spm_record_set_int(rec, "value", DEMO_YEAR_TARGET);
	spm_record_set_text(rec, "currency", DEMO_CURRENCY);
	spm_record_set_text(rec, "reason", REASON);
	rc = spm_record_save(db, rec);
	co->year_target = spm_record_id(rec);
	spm_record_free(rec);
	TRY(rc);

	/* Company -> regions -> teams by headcount; teams -> reps equally. */
	TRY(decompose_org(db, co->year_target, SPM_TARGET_HEADCOUNT, &regions));
	for (size_t g = 0; g < regions.n; g++) {
		struct parts teams = { { 0 }, { 0 }, 0 };
		TRY(decompose_org(db, regions.team_target[g], SPM_TARGET_HEADCOUNT, &teams));
		for (size_t t = 0; t < teams.n; t++) {
			struct parts none = { { 0 }, { 0 }, 0 };
			TRY(decompose_org(db, teams.team_target[t], SPM_TARGET_EQUAL_MEMBERS, &none));
		}
	}
	/* And over time: the company's quarters, weighted by season. */
	time_plan.method = SPM_TARGET_SEASONALITY;
	time_plan.child_period = SPM_PERIOD_QUARTER;
	time_plan.weights = seasons;
	time_plan.nweights = 4;
	TRY(spm_target_decompose(NULL, db, co->year_target, &time_plan, REASON, NULL, NULL));

	TRY(add_alert(db, "Pace below 80%", "pace", 80, 25));
	TRY(add_alert(db, "Thin pipeline", "coverage", 50, 50));
	return SPM_OK;
}
