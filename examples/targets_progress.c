/*
 * targets_progress: a quarterly target of won deals for one rep, split over
 * the quarter's months by working days (exactly: the months sum to the
 * quarter to the fen), then spm_target_progress_get() for the quarter and
 * for March: attainment, pace and projection.
 *
 *   targets_progress         (in-memory database, fixed clock)
 */
#include <spm/spm.h>

#include <stdio.h>
#include <string.h>

/* 2026-03-20T09:00:00Z: a fixed clock makes every run print the same. */
static spm_time fixed_clock(void *payload)
{
	(void)payload;
	return 1774000800;
}

static int64_t add(spm_db *db, const char *kind, const char *const *kv)
{
	spm_record *r;
	int64_t id = 0;
	int rc = spm_record_new(&r, db, kind);

	if (rc != SPM_OK)
		return 0;
	for (; rc == SPM_OK && kv[0]; kv += 2)
		rc = spm_record_set_from_text(r, kv[0], kv[1]);
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	if (rc == SPM_OK)
		id = spm_record_id(r);
	else
		printf("%s refused: %s: %s\n", kind, spm_result_name(rc), spm_error_message());
	spm_record_free(r);
	return id;
}
#define ADD(kind, ...) add(db, kind, (const char *const[]){ __VA_ARGS__, NULL })

static const char *money(char *buf, size_t size, int64_t minor)
{
	spm_money_format(buf, size, minor, "CNY");
	snprintf(buf + strlen(buf), size - strlen(buf), " CNY");
	return buf;
}

/* ppm as an exact percentage: 645161 ppm is 64.5161%. */
static const char *pct(char *buf, size_t size, int64_t ppm)
{
	snprintf(buf, size, "%lld.%04lld%%", (long long)(ppm / 10000),
		 (long long)(ppm % 10000));
	return buf;
}

static int print_part(const spm_target_part *p, void *payload)
{
	char day[16], m[32];

	*(int64_t *)payload = p->target_id;  /* parts come in order: the last is March */
	spm_date_format(day, sizeof(day), p->period_start);
	printf("  target %lld: month from %s, %lld working days, %s\n", (long long)p->target_id,
	       day, (long long)p->weight, money(m, sizeof(m), p->value));
	return 0;
}

static int print_progress(spm_db *db, int64_t target, const char *as_of)
{
	spm_target_progress p;
	char a[32], b[32], c[32], d[32];
	spm_date day;
	int rc;

	memset(&p, 0, sizeof(p));
	p.version = SPM_TARGET_PROGRESS_VERSION;
	spm_date_parse(&day, as_of);
	rc = spm_target_progress_get(&p, db, target, day);
	if (rc != SPM_OK) {
		printf("progress of %lld: %s: %s\n", (long long)target, spm_result_name(rc),
		       spm_error_message());
		return rc;
	}
	spm_date_format(a, sizeof(a), p.period_start);
	spm_date_format(b, sizeof(b), p.period_end);
	printf("target %lld (%s .. %s) as of %s:\n", (long long)target, a, b, as_of);
	printf("  target %s, attained %s, attainment %s\n", money(a, sizeof(a), p.target),
	       money(b, sizeof(b), p.attained), pct(c, sizeof(c), p.attainment_ppm));
	printf("  elapsed %s, expected %s, pace %s\n", pct(a, sizeof(a), p.elapsed_ppm),
	       money(b, sizeof(b), p.expected), pct(c, sizeof(c), p.pace_ppm));
	printf("  projection %s, gap %s, weighted pipeline %s\n",
	       money(a, sizeof(a), p.projection), money(b, sizeof(b), p.gap),
	       money(d, sizeof(d), p.pipeline));
	return SPM_OK;
}

int main(void)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	spm_db *db;
	int64_t quarter, march = 0, imbalance = 0;
	int rc;

	opts.path = ":memory:";
	opts.clock = fixed_clock;
	opts.actor = 0;  /* the system actor: setting up */
	if (spm_db_open(&db, &opts) != SPM_OK) {
		fprintf(stderr, "open: %s\n", spm_error_message());
		return 1;
	}
	ADD("role", "name", "rep", "scope", "1");
	ADD("user", "name", "An", "role_id", "1", "active", "true");
	/* A pipeline (stage 1 open at 60%, 2 won) and An's deals. */
	ADD("pipeline", "name", "P");
	ADD("stage", "pipeline_id", "1", "name", "negotiate", "position", "1", "probability", "60");
	ADD("stage", "pipeline_id", "1", "name", "won", "position", "2", "outcome", "won");
	ADD("opportunity", "name", "Acme", "pipeline_id", "1", "owner_id", "1", "stage_id", "2",
	    "amount", "30000.00 CNY", "closed_at", "2026-01-20T10:00:00Z");
	ADD("opportunity", "name", "Globex", "pipeline_id", "1", "owner_id", "1", "stage_id", "2",
	    "amount", "12000.00 CNY", "closed_at", "2026-03-05T10:00:00Z");
	ADD("opportunity", "name", "Initech", "pipeline_id", "1", "owner_id", "1", "stage_id", "2",
	    "amount", "9000.00 CNY", "closed_at", "2026-03-16T10:00:00Z");
	ADD("opportunity", "name", "Hooli", "pipeline_id", "1", "owner_id", "1", "stage_id", "1",
	    "amount", "20000.00 CNY", "expected_close", "2026-03-27");

	/* Q1 2026: 90,000.00 CNY of won deals for An; every write needs a reason. */
	quarter = ADD("target", "metric", "won_amount", "owner_kind", "user", "owner_ref", "1",
		      "period_kind", "quarter", "period_start", "2026-01-01", "value", "9000000",
		      "currency", "CNY", "reason", "Q1 plan");

	/* A target must start on the first day of its period. */
	ADD("target", "metric", "won_amount", "owner_kind", "user", "owner_ref", "1",
		 "period_kind", "month", "period_start", "2026-03-02", "value", "100",
		 "currency", "CNY", "reason", "typo");

	/* Split it over the months by working days (Monday-Friday). */
	plan.method = SPM_TARGET_WORKING_DAYS;
	plan.child_period = SPM_PERIOD_MONTH;
	printf("decomposed target %lld:\n", (long long)quarter);
	rc = spm_target_decompose(&imbalance, db, quarter, &plan, "Q1 by month", print_part, &march);
	if (rc != SPM_OK) {
		fprintf(stderr, "decompose: %s\n", spm_error_message());
		return 1;
	}
	print_progress(db, quarter, "2026-03-20");
	print_progress(db, march, "2026-03-20");
	spm_db_close(db);
	return 0;
}
