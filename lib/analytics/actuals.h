/* Actuals of targets from the columnar cache: the records of a built-in
 * metric that the cache holds (won deals, open pipeline, leads,
 * activities), each reported with its owner, day and value, so targets do
 * not decode them from storage. lib/domain/target_actuals.c falls back to
 * storage scans for the metrics the cache does not hold. */
#ifndef SPM_ANALYTICS_ACTUALS_H
#define SPM_ANALYTICS_ACTUALS_H

#include "core/db_internal.h"

#include <stdint.h>

enum {
	SPM__ACT_WON = 1,      /* status won, by closed_at; the amount */
	SPM__ACT_PIPELINE,     /* status open, by expected_close; amount x stage probability */
	SPM__ACT_LEADS,        /* by created_at; 1 */
	SPM__ACT_ACTIVITIES    /* by at, of one type or every type; 1 */
};

struct spm__act_query {
	int what;
	spm_date from, to;           /* inclusive */
	const char *currency;        /* money: every amount must be in it */
	const char *activity_type;   /* activities: NULL for every type */
};

typedef int (*spm__act_cb)(int64_t owner, spm_date on, int64_t value, void *payload);

/* Calls cb(owner, day, value) for each record counting in [from, to], in id
 * order, and sets *served. *served is 0 (nothing called) when the cache
 * cannot answer: inside a write transaction (the cache must not remember
 * rows that may roll back) or when the data is outside what it can hold
 * (times before 1970 or after 2106, ids above 2^31); the caller then scans
 * storage. An amount in another currency is SPM_EINVAL, as in the scan. */
int spm__actuals_foreach(int *served, spm_db *db, const struct spm__act_query *q,
			 spm__act_cb cb, void *payload);

#endif
