/* Filters in the rule language over the cache's opportunity columns
 * (owner_id, customer_id, stage_id, pipeline_id, status, amount,
 * expected_close, opened_at, closed_at, source) and any custom field of
 * opportunities. */
#ifndef SPM_ANALYTICS_RULE_FILTER_H
#define SPM_ANALYTICS_RULE_FILTER_H

#include "rules/rules.h"

struct spm__arun;

/* Compiles a filter; errors start with "$.rule: LINE:COLUMN: ...". */
int spm__arule_compile(spm__rule **out, spm_db *db, const char *text);
/* Keeps only the passing deals the rule is met for (null is not met). */
int spm__arule_apply(struct spm__arun *r, const char *text);

#endif
