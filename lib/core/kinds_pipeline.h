/* Kinds of the pipeline area (included by kinds.c only): pipelines,
 * stages, opportunities, line items, stage history. */
#ifndef SPM_CORE_KINDS_PIPELINE_H
#define SPM_CORE_KINDS_PIPELINE_H

#include "domain/pipeline.h"

static const struct spm__core_field pipeline_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 4, 200 },
	{ "description", SPM_FIELD_TEXT, 0, 4, 2000 },
	{ "allow_skip", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "allow_back", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "active", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field stage_fields[] = {
	{ "pipeline_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "name", SPM_FIELD_TEXT, RQ, 4, 100 },
	{ "position", SPM_FIELD_INTEGER, RQ, 4, 0 },
	{ "probability", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "forecast_category", SPM_FIELD_TEXT, 0, 4, 20 },
	{ "outcome", SPM_FIELD_TEXT, 0, 4, 10 },
	{ "required_fields", SPM_FIELD_TEXT, 0, 4, 2000 },
	{ "actions", SPM_FIELD_TEXT, 0, 4, 0 },
	{ "playbook", SPM_FIELD_TEXT, 0, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "exit_criteria", SPM_FIELD_TEXT, 0, 4, 0 },
};

static const struct spm__core_field opportunity_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 4, 200 },
	{ "customer_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "pipeline_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "stage_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "status", SPM_FIELD_TEXT, IX, 4, 10 },
	{ "amount", SPM_FIELD_MONEY, 0, 4, 0 },
	{ "expected_close", SPM_FIELD_DATE, IX, 4, 0 },
	{ "opened_at", SPM_FIELD_TIME, IX, 4, 0 },
	{ "closed_at", SPM_FIELD_TIME, IX, 4, 0 },
	{ "lost_reason", SPM_FIELD_TEXT, 0, 4, 500 },
	{ "lead_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "source", SPM_FIELD_TEXT, IX, 4, 100 },
	{ "stage_entered_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "close_slips", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field line_item_fields[] = {
	{ "opportunity_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "product", SPM_FIELD_TEXT, RQ | IX, 4, 200 },
	{ "quantity", SPM_FIELD_INTEGER, RQ, 4, 0 },
	{ "unit_price", SPM_FIELD_MONEY, RQ, 4, 0 },
	{ "discount_bp", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "amount", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field stage_history_fields[] = {
	{ "opportunity_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "from_stage_id", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "to_stage_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "at", SPM_FIELD_TIME, RQ | IX, 4, 0 },
	{ "actor", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "seconds_in_from", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "amount", SPM_FIELD_MONEY, 0, 4, 0 },
	{ "override_reason", SPM_FIELD_TEXT, 0, 4, 500 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

/* The table entries, in kinds.c's order. */
#define SPM__KINDS_PIPELINE \
	{ "pipeline", 4, 0, pipeline_fields, N(pipeline_fields), NULL, NULL, NULL, \
	  SPM_ACTION_SCHEMA, spm__pipeline_validate, NULL }, \
	{ "stage", 4, 0, stage_fields, N(stage_fields), NULL, NULL, NULL, SPM_ACTION_SCHEMA, \
	  spm__stage_validate, NULL }, \
	{ "opportunity", 4, 0, opportunity_fields, N(opportunity_fields), "owner_id", NULL, NULL, \
	  NULL, spm__opportunity_validate, NULL }, \
	{ "line_item", 4, 0, line_item_fields, N(line_item_fields), NULL, "opportunity_id", \
	  "opportunity", NULL, spm__line_item_validate, spm__line_item_after_write }, \
	{ "stage_history", 4, 0, stage_history_fields, N(stage_history_fields), NULL, \
	  "opportunity_id", "opportunity", NULL, spm__stage_history_validate, NULL },

#endif
