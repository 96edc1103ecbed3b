/* Kinds of the analytics area (included by kinds.c only): saved reports and
 * dashboards, stored as JSON definitions (docs/reports.md). */
#ifndef SPM_CORE_KINDS_ANALYTICS_H
#define SPM_CORE_KINDS_ANALYTICS_H

#include "analytics/report_def.h"

static const struct spm__core_field report_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 4, 100 },
	{ "definition", SPM_FIELD_TEXT, RQ, 4, 65536 },
	{ "owner_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

/* The table entries, in kinds.c's order. */
#define SPM__KINDS_ANALYTICS \
	{ "report", 4, 0, report_fields, N(report_fields), "owner_id", NULL, NULL, NULL, \
	  spm__report_validate, NULL },

#endif
