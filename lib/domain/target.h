/* Targets (include/spm/target.h): shared between the target_*.c files. */
#ifndef SPM_DOMAIN_TARGET_H
#define SPM_DOMAIN_TARGET_H

#include "spm/target.h"
#include "core/db_internal.h"

struct spm__txn;
struct spm_record;
struct spm__rule;

#define SPM__KIND_TARGET_NOTE "_target_note"
enum { SPM__TNOTE_ALERT, SPM__TNOTE_TARGET, SPM__TNOTE_STATE, SPM__TNOTE_AT };

/* The kinds' hooks (kinds.c). */
int spm__target_validate(struct spm__txn *t, const struct spm_record *before,
			 struct spm_record *after);
int spm__target_after_write(struct spm__txn *t, const struct spm_record *before,
			    struct spm_record *after);
int spm__target_metric_validate(struct spm__txn *t, const struct spm_record *before,
				struct spm_record *after);
int spm__target_alert_validate(struct spm__txn *t, const struct spm_record *before,
			       struct spm_record *after);
/* tick job: pace and coverage warnings (target_warn.c). */
int spm__target_warn_run(spm_db *db, spm_time now);

/* A target's period on its fiscal calendar. */
struct spm__tperiod {
	spm_calendar cal;
	spm_period_kind kind;
	spm_date start, end;   /* inclusive */
};
int spm__target_period(struct spm__tperiod *out, const struct spm_record *target);
int spm__period_kind_parse(spm_period_kind *out, const char *name);
const char *spm__period_kind_name(spm_period_kind kind);

/* The org at a glance: teams with parents, dated memberships, hire dates.
 * Loaded once per call so that attributing thousands of records does not
 * go back to storage. */
struct spm__tmember {
	int64_t user, team;
	spm_date from, to;     /* to: SPM_DATE_NONE when open */
};
struct spm__org_snap {
	int64_t *team;         /* ids, ascending */
	int64_t *parent;       /* parent id, or 0 */
	size_t nteams;
	struct spm__tmember *mem;  /* by user, then from */
	size_t nmem;
	int64_t *user;         /* ids of users, ascending */
	spm_date *hired_on;    /* SPM_DATE_NONE when unknown */
	size_t nusers;
};
/* hires: also read every user's hired_on (ramps); else nusers is 0. */
int spm__org_snap_load(struct spm__org_snap *s, spm_db *db, int hires);
void spm__org_snap_free(spm_db *db, struct spm__org_snap *s);
/* Index of a team, or -1. */
long spm__org_snap_team(const struct spm__org_snap *s, int64_t team);
/* The team of a user on a date, or 0. */
int64_t spm__org_snap_team_of(const struct spm__org_snap *s, int64_t user, spm_date on);
/* 1 when team is root or lies under it. */
int spm__org_snap_under(const struct spm__org_snap *s, int64_t team, int64_t root);
/* The hire date of a user, or SPM_DATE_NONE. */
spm_date spm__org_snap_hired(const struct spm__org_snap *s, int64_t user);

/* A metric and how to read it from records. */
struct spm__metric {
	int type;
	int money;
	char currency[4];
	const char *activity_type;   /* borrowed from the target */
	spm_kind *kind;
	long date_idx, sum_idx, owner_idx;
	int date_is_time;
	struct spm__rule *filter;
	struct spm_record *def;      /* the custom metric record (owned) */
};
enum { SPM__M_WON = 1, SPM__M_COLLECTIONS, SPM__M_LEADS, SPM__M_CUSTOMERS,
       SPM__M_ACTIVITIES, SPM__M_OPPS, SPM__M_CUSTOM };
int spm__metric_type(const char *name);
int spm__metric_load(struct spm__metric *m, spm_db *db, const struct spm_record *target);
void spm__metric_free(spm_db *db, struct spm__metric *m);
/* Checks a "target_metric" record. */
int spm__metric_def_check(spm_db *db, const struct spm_record *def);
/* Reads a record of a kind by id inside or outside a transaction, unscoped. */
int spm__target_get(struct spm_record **out, spm_db *db, const char *kind, int64_t id);
/* Calls cb(user, date, value) for each record of the metric in [from, to]. */
typedef int (*spm__actual_cb)(int64_t user, spm_date on, int64_t value, void *payload);
int spm__metric_scan(spm_db *db, const struct spm__metric *m, spm_date from, spm_date to,
		     spm__actual_cb cb, void *payload);
/* Open opportunities expected to close in [from, to], each amount weighted by
 * its stage's probability (half-even), in the metric's currency. */
int spm__pipeline_scan(spm_db *db, const struct spm__metric *m, spm_date from, spm_date to,
		       spm__actual_cb cb, void *payload);

/* Working days: sorted holiday and make-up day lists. */
struct spm__workcal {
	spm_date *off, *on;
	size_t noff, non;
};
int spm__workcal_load(struct spm__workcal *w, spm_db *db);
void spm__workcal_free(spm_db *db, struct spm__workcal *w);

/* Reads a target (scope-checked): SPM_ENOTFOUND when missing or unseen. */
int spm__target_read(struct spm_record **out, spm_db *db, int64_t id);

/* Progress of one node from its actuals; weights of the period come from
 * the target's weighting. */
int spm__progress_compute(spm_db *db, const struct spm_record *target, spm_date as_of,
			  spm_target_progress *out);
/* The same for many targets at once (out[i] for targets[i]): the org and the
 * calendar read once, the actuals once per metric and period. */
int spm__progress_many(spm_db *db, const struct spm_record *const *targets, size_t n,
		       spm_date as_of, spm_target_progress *out);

#endif
