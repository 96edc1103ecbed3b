/* Kinds of the targets area (included by kinds.c only): targets, custom
 * metrics, holidays, warning rules and the notes that keep warnings from
 * repeating. */
#ifndef SPM_CORE_KINDS_TARGETS_H
#define SPM_CORE_KINDS_TARGETS_H

#include "domain/target.h"

static const struct spm__core_field target_fields[] = {
	{ "name", SPM_FIELD_TEXT, 0, 4, 200 },
	{ "metric", SPM_FIELD_TEXT, RQ | IX, 4, 30 },
	{ "activity_type", SPM_FIELD_TEXT, 0, 4, 20 },
	{ "metric_id", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "owner_kind", SPM_FIELD_TEXT, RQ, 4, 10 },
	{ "owner_ref", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "period_kind", SPM_FIELD_TEXT, RQ, 4, 10 },
	{ "period_start", SPM_FIELD_DATE, RQ | IX, 4, 0 },
	{ "fy_start_month", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "week_start_day", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "value", SPM_FIELD_INTEGER, RQ, 4, 0 },
	{ "currency", SPM_FIELD_TEXT, 0, 4, 3 },
	{ "weighting", SPM_FIELD_TEXT, 0, 4, 20 },
	{ "parent_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "axis", SPM_FIELD_TEXT, 0, 4, 10 },
	{ "manual", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "reason", SPM_FIELD_TEXT, RQ, 4, 500 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field target_metric_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ, 4, 200 },
	{ "kind", SPM_FIELD_TEXT, RQ, 4, 64 },
	{ "date_field", SPM_FIELD_TEXT, RQ, 4, 64 },
	{ "sum_field", SPM_FIELD_TEXT, 0, 4, 64 },
	{ "owner_field", SPM_FIELD_TEXT, 0, 4, 64 },
	{ "filter", SPM_FIELD_TEXT, 0, 4, 4096 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field holiday_fields[] = {
	{ "date", SPM_FIELD_DATE, RQ | IX, 4, 0 },
	{ "name", SPM_FIELD_TEXT, 0, 4, 200 },
	{ "working", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field target_alert_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ, 4, 200 },
	{ "check", SPM_FIELD_TEXT, RQ, 4, 20 },
	{ "below_pct", SPM_FIELD_INTEGER, RQ, 4, 0 },
	{ "after_elapsed_pct", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "metric", SPM_FIELD_TEXT, 0, 4, 30 },
	{ "active", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field target_note_fields[] = {
	{ "alert_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "target_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "state", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "at", SPM_FIELD_TIME, 0, 4, 0 },
};

/* The table entries, in kinds.c's order. */
#define SPM__KINDS_TARGETS \
	{ "target", 4, 0, target_fields, N(target_fields), NULL, NULL, NULL, SPM_ACTION_TARGET, \
	  spm__target_validate, spm__target_after_write }, \
	{ "target_metric", 4, 0, target_metric_fields, N(target_metric_fields), NULL, NULL, NULL, \
	  SPM_ACTION_TARGET, spm__target_metric_validate, NULL }, \
	{ "holiday", 4, 0, holiday_fields, N(holiday_fields), NULL, NULL, NULL, SPM_ACTION_TARGET, \
	  NULL, NULL }, \
	{ "target_alert", 4, 0, target_alert_fields, N(target_alert_fields), NULL, NULL, NULL, \
	  SPM_ACTION_TARGET, spm__target_alert_validate, NULL }, \
	{ SPM__KIND_TARGET_NOTE, 4, SPM_KIND_SYSTEM, target_note_fields, N(target_note_fields), \
	  NULL, NULL, NULL, NULL, NULL, NULL },

#endif
