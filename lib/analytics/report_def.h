/* Report definitions: the JSON form of a query (docs/reports.md) parsed into
 * a plain struct; errors name the JSON path ("$.filters[1].op: ..."). */
#ifndef SPM_ANALYTICS_REPORT_DEF_H
#define SPM_ANALYTICS_REPORT_DEF_H

#include "core/db_internal.h"

struct spm__txn;
struct spm_record;

enum spm__aquery {
	SPM__Q_FUNNEL = 1,
	SPM__Q_WIN_RATE,
	SPM__Q_CYCLE,
	SPM__Q_TIME_IN_STAGE,
	SPM__Q_VELOCITY,
	SPM__Q_PIPELINE,
	SPM__Q_LEAD_CONVERSION,
	SPM__Q_ACTIVITIES
};

/* Dimensions (group_by and filters). */
enum spm__adim {
	SPM__D_NONE = 0,
	SPM__D_OWNER,
	SPM__D_TEAM,
	SPM__D_SOURCE,
	SPM__D_INDUSTRY,
	SPM__D_REGION,
	SPM__D_GRADE,
	SPM__D_PRODUCT,
	SPM__D_STAGE,
	SPM__D_STATUS,
	SPM__D_PIPELINE,
	SPM__D_TYPE,
	SPM__D_CUSTOM
};

/* Date fields for the range and the periods. */
enum spm__adate {
	SPM__F_DEFAULT = 0,  /* the query's own (docs/reports.md) */
	SPM__F_EXPECTED_CLOSE,
	SPM__F_OPENED,
	SPM__F_CLOSED,
	SPM__F_ENTERED,      /* the stage history row's time */
	SPM__F_CREATED,      /* leads */
	SPM__F_AT,           /* activities */
	SPM__F_CUSTOM_RANGE, /* a custom date or time field of opportunities */
	SPM__F_CUSTOM_PERIOD
};

enum { SPM__FUNNEL_ENTERED = 1, SPM__FUNNEL_REACHED = 2, SPM__FUNNEL_CURRENT = 3 };

struct spm__afilter {
	int dim;
	char *custom;        /* SPM__D_CUSTOM: the field */
	int negate;          /* "!=" */
	int is_null;         /* the value is null */
	int is_int;
	int64_t ival;
	char *text;
};

struct spm__aq {
	int query;
	int dim;
	char *custom;        /* group_by a custom field */
	int period;          /* spm_period_kind, 0: none */
	int period_field;    /* spm__adate */
	int range_field;     /* spm__adate */
	int has_from, has_to;
	spm_date from, to;
	int64_t pipeline;    /* 0: none */
	int funnel;          /* SPM__FUNNEL_* */
	struct spm__afilter *filters;
	size_t nfilters;
	char *rule;          /* a filter in the rule language, or NULL */
	char *range_custom;  /* SPM__F_CUSTOM_RANGE: the field */
	char *period_custom; /* SPM__F_CUSTOM_PERIOD: the field */
	int drill;
	unsigned int year_start_month;
};

/* Parses and checks a definition; *out is freed with spm__aq_free. */
int spm__aq_parse(struct spm__aq *out, spm_db *db, const char *json);
void spm__aq_free(spm_db *db, struct spm__aq *q);

/* A dashboard's items: report names and layout texts (owned). */
struct spm__adash {
	char **names;
	char **layouts;
	size_t n;
};
/* 1 when the definition is a dashboard (has a "dashboard" key). */
int spm__adef_is_dashboard(const char *json);
int spm__adash_parse(struct spm__adash *out, spm_db *db, const char *json);
void spm__adash_free(spm_db *db, struct spm__adash *d);

/* The "report" kind's validate hook (kinds_analytics.h). */
int spm__report_validate(struct spm__txn *t, const struct spm_record *before,
			 struct spm_record *after);

#endif
