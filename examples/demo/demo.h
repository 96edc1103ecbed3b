/* spm demo: a seeded sample company generated through the public API, and
 * its one-screen report (text or HTML). Shared by the files of examples/demo/. */
#ifndef SPM_DEMO_H
#define SPM_DEMO_H

#include <spm/spm.h>
#include <stdio.h>

#define DEMO_CURRENCY "CNY"
#define DEMO_TEAMS 5
#define DEMO_REPS_PER_TEAM 6
#define DEMO_REPS (DEMO_TEAMS * DEMO_REPS_PER_TEAM)
#define DEMO_REGIONS 2
#define DEMO_STAGES 7 /* Qualify, Discover, Propose, Negotiate, Commit, Won, Lost */
#define DEMO_STALL_DAYS 30

/* Returns a failed status from the enclosing function. */
#define TRY(x)                          \
	do {                            \
		int rc_ = (x);          \
		if (rc_ != SPM_OK)      \
			return rc_;     \
	} while (0)

/* splitmix64: tiny, well mixed, and the same on every machine. */
typedef struct demo_rng {
	uint64_t state;
} demo_rng;

uint64_t demo_rng_next(demo_rng *r);
/* A uniform integer in [0, n), n > 0 (rejection sampling: no modulo bias). */
uint64_t demo_rng_below(demo_rng *r, uint64_t n);
/* 1 with probability pct / 100. */
int demo_rng_pct(demo_rng *r, unsigned pct);

/* The simulated clock: spm_db_options.clock reads it. */
typedef struct demo_clock {
	spm_time now;
} demo_clock;
spm_time demo_clock_read(void *payload);

/* What the generator made, for the report. */
typedef struct demo_company {
	int64_t admin, vp;
	int64_t region_mgr[DEMO_REGIONS];
	int64_t root_team, region_team[DEMO_REGIONS], team[DEMO_TEAMS];
	int64_t rep[DEMO_REPS]; /* team t holds rep[t * DEMO_REPS_PER_TEAM ...] */
	int64_t pipeline, stage[DEMO_STAGES];
	int64_t year_target;    /* won_amount, FY, root team */
	spm_date fy_start, fy_end, today;
	uint64_t seed;
	/* counts of what was written */
	long leads, activities, opportunities, moves, gate_blocks, overrides, quotes, contracts,
		installments, payments, ticks;
} demo_company;

/* Progress shown while generating: called with done/total (only a tty wants it). */
typedef void (*demo_progress_fn)(int done, int total, void *payload);

/* Generates the whole company into db (opened with clock on its clock). */
int demo_generate(demo_company *co, spm_db *db, demo_clock *clock, uint64_t seed,
		  demo_progress_fn progress, void *progress_payload);
int demo_gen_org(demo_company *co, spm_db *db);
int demo_gen_pipeline(demo_company *co, spm_db *db);
int demo_gen_targets(demo_company *co, spm_db *db);

/* ---- the report: gathered once, then rendered as text or HTML ---- */
#define DEMO_MAX_ROWS 64
#define DEMO_MAX_RISKS 12
#define DEMO_MAX_WARNINGS 12

typedef struct demo_progress_row {
	char name[64];
	int is_team;
	int64_t target, attained, attainment_ppm, pace_ppm, projection;
} demo_progress_row;

typedef struct demo_funnel_row {
	char stage[32];
	int64_t deals, conversion_ppm; /* conversion from the previous stage; -1 none */
} demo_funnel_row;

typedef struct demo_leader_row {
	char name[64];
	char team[32];
	int64_t won, lost, win_rate_ppm, won_amount; /* win_rate -1 when nothing closed */
} demo_leader_row;

typedef struct demo_risk_row {
	int64_t id;
	char name[64], owner[64], stage[32], why[64];
	int64_t amount;
} demo_risk_row;

typedef struct demo_source_row {
	char source[32];
	int64_t leads, converted, conversion_ppm;
} demo_source_row;

typedef struct demo_warning_row {
	char date[11], owner[64], what[96];
} demo_warning_row;

typedef struct demo_report {
	const demo_company *co;
	demo_progress_row progress[DEMO_MAX_ROWS];
	size_t nprogress;
	demo_funnel_row funnel[DEMO_STAGES];
	size_t nfunnel;
	demo_source_row sources[16];
	size_t nsources;
	demo_leader_row leaders[DEMO_REPS];
	size_t nleaders;
	demo_risk_row risks[DEMO_MAX_RISKS];
	size_t nrisks, stalled, slipping;
	int64_t at_risk_amount;
	demo_warning_row warnings[DEMO_MAX_WARNINGS];
	size_t nwarnings, warnings_raised, warnings_recovered;
	int64_t open_deals, open_amount, weighted_amount;
	int64_t collected, invoiced;
} demo_report;

int demo_report_gather(demo_report *r, spm_db *db, const demo_company *co);
void demo_report_text(FILE *out, const demo_report *r);
int demo_report_html(FILE *out, const demo_report *r);

/* Formats money as "1,234,567" (whole units, rounded half-even) into buf. */
void demo_fmt_money(char *buf, size_t size, int64_t minor);
/* Formats ppm as a percentage with no decimals ("87%") into buf. */
void demo_fmt_pct(char *buf, size_t size, int64_t ppm);
/* The display name of a user or team ("?" when unknown). */
void demo_name_of(char *buf, size_t size, spm_db *db, const char *kind, int64_t id);

#endif
