/**
 * @file target.h
 * @brief Targets (quotas): exact decomposition over time and over the org
 *        tree, progress, pace, projection, pipeline coverage and warnings.
 *
 * A target is a record of the kind "target" (record.h): a metric, an owner
 * (a user or a team), a period of a fiscal calendar and a value. Fields:
 * metric ("won_amount", "collections", "new_leads", "new_customers",
 * "activities", "opportunities_created" or "custom"), activity_type (only
 * activities of that type count; none: every type), metric_id (the
 * "target_metric" record of a custom metric), owner_kind ("user" or "team"),
 * owner_ref (the user or team id), period_kind ("week", "month", "quarter",
 * "year"), period_start (the first day of the period: anything else is
 * SPM_EINVAL), fy_start_month (1..12, default 1) and week_start_day (1..7,
 * default 1, Monday) of the fiscal calendar, value (minor units of currency
 * for money metrics, a count otherwise; never negative), currency (required
 * for won_amount, collections and money custom metrics; refused otherwise),
 * weighting ("days", "working_days" or "seasonality": how the period's
 * expected-to-date is spread), parent_id and axis ("time" or "org") when it
 * came from a decomposition, manual (set by hand) and reason.
 *
 * Every write of a target must set its reason (SPM_EINVAL otherwise), and
 * the reason lands in the audit trail with the change. Writing targets,
 * custom metrics, holidays and alerts needs the "target" action.
 *
 * A custom metric ("target_metric": name, kind, date_field, sum_field,
 * owner_field, filter) counts, or sums the MONEY or INTEGER sum_field of,
 * the records of kind whose date_field (DATE or TIME) falls in the period,
 * whose owner_field (default owner_id) names the user, and that meet filter
 * (a rule, docs/rules.md).
 *
 * Holidays ("holiday": date, name, working) make working days: Monday to
 * Friday, minus holidays, plus the dates marked working (make-up days).
 *
 * Team attainment is the sum over the team's subtree, each record counted
 * for the team its owner belonged to on the record's date (a rep who moves
 * mid-period counts in each team for the days spent there). A team without
 * a target record of its own has the sum of its children's targets.
 */
#ifndef SPM_TARGET_H
#define SPM_TARGET_H

#include "common.h"
#include "calendar.h"

SPM_BEGIN_DECLS

/** @brief The role action needed to write targets, metrics, holidays and alerts. */
#define SPM_ACTION_TARGET "target"

/** @brief How a target is split into children. */
typedef enum spm_target_method {
	SPM_TARGET_EQUAL_DAYS = 1,    /**< over time: by the calendar days of each child period */
	SPM_TARGET_EQUAL_PERIODS = 2, /**< over time: the same for each child period */
	SPM_TARGET_WORKING_DAYS = 3,  /**< over time: by the working days of each child period */
	SPM_TARGET_SEASONALITY = 4,   /**< over time: by the plan's weights, one per child period */
	SPM_TARGET_LAST_YEAR = 5,     /**< over time: by the owner's actuals a year earlier */
	SPM_TARGET_EQUAL_MEMBERS = 6, /**< over the org: the same for each child node (members prorated by days in the team) */
	SPM_TARGET_WEIGHTS = 7,       /**< over the org: by the plan's weights, one per child node */
	SPM_TARGET_HEADCOUNT = 8,     /**< over the org: by the member-days of each child's subtree */
	SPM_TARGET_LAST_PERIOD = 9,   /**< over the org: by each child's share of the previous period's actuals */
	SPM_TARGET_MANUAL = 10        /**< over the org: the plan's weights are the children's values */
} spm_target_method;

/** @brief The version of spm_target_plan this header describes. */
#define SPM_TARGET_PLAN_VERSION 1

/**
 * @brief A decomposition plan. Initialise with SPM_TARGET_PLAN_INIT or
 * spm_target_plan_init(); fields are only ever appended.
 */
typedef struct spm_target_plan {
	uint32_t version;              /**< SPM_TARGET_PLAN_VERSION */
	int method;                    /**< spm_target_method */
	spm_period_kind child_period;  /**< over time: the children's period (week, month, quarter) */
	const int64_t *weights;        /**< borrowed: SEASONALITY and WEIGHTS weights (>= 0, relative: they need not sum to anything), MANUAL values */
	size_t nweights;               /**< entries in weights; must equal the number of children */
	const int64_t *ramp_ppm;       /**< borrowed: over the org, a member's weight scale in month 1, 2, … after hired_on (SPM_PPM = full) */
	size_t nramp;                  /**< entries in ramp_ppm (0: no ramp) */
	int keep_total;                /**< MANUAL: refuse values that do not sum to the parent (else store them and report the imbalance) */
	int dry_run;                   /**< compute and report the parts, store nothing */
} spm_target_plan;

/** @brief Static initialiser: equal by days, no weights, no ramp. */
#define SPM_TARGET_PLAN_INIT { SPM_TARGET_PLAN_VERSION, SPM_TARGET_EQUAL_DAYS, SPM_PERIOD_MONTH, NULL, 0, NULL, 0, 0, 0 }

/**
 * @brief Fills a plan with the defaults of SPM_TARGET_PLAN_INIT.
 * @param[out] plan caller-owned
 * @param version SPM_TARGET_PLAN_VERSION
 * @return SPM_OK; SPM_EINVAL when @p plan is NULL; SPM_EVERSION for an unknown version.
 */
SPM_API int spm_target_plan_init(spm_target_plan *plan, unsigned int version);

/** @brief The version of spm_target_part this header describes. */
#define SPM_TARGET_PART_VERSION 1

/** @brief One child of a decomposition; borrowed during the callback only. */
typedef struct spm_target_part {
	uint32_t version;         /**< SPM_TARGET_PART_VERSION */
	int64_t target_id;        /**< the stored child target; 0 in a dry run */
	const char *owner_kind;   /**< "user" or "team" */
	int64_t owner_ref;        /**< the user or team */
	spm_date period_start;    /**< the child's period */
	int64_t weight;           /**< the weight it got */
	int64_t value;            /**< its share of the parent */
} spm_target_part;

/** @brief Receives one part; a non-zero return stops and is returned. */
typedef int (*spm_target_part_cb)(const spm_target_part *part, void *payload);

/**
 * @brief Splits a total into parts proportional to weights, exactly.
 *
 * Largest remainder: each part gets the floor of its exact share, the units
 * left go one each to the largest remainders (ties to the lower index), so
 * the parts always sum to @p total. A zero weight gets 0.
 * @param[out] out_parts caller-owned array of @p n; untouched on error
 * @param total >= 0
 * @param weights borrowed; each >= 0, at least one > 0
 * @param n > 0
 * @return SPM_OK; SPM_EINVAL (NULL, n 0, a negative total or weight, all
 *         weights zero); SPM_EOVERFLOW (weights sum past INT64_MAX).
 */
SPM_API int spm_target_split(int64_t *out_parts, int64_t total, const int64_t *weights,
			     size_t n);

/**
 * @brief Decomposes a target into child targets (over time with the time
 * methods, over the team's direct children — sub-teams and members — with
 * the org methods), in one transaction, with the reason audited.
 *
 * Children already made from this target on the same axis are updated in
 * place; those the plan no longer yields are deleted. Children over the org
 * are ordered sub-teams by id, then members by user id; over time, by date.
 * A member's org weight is the days it belongs to the team in the period,
 * scaled by the plan's ramp for the months after its hired_on.
 * @param[out] out_imbalance may be NULL; MANUAL: sum of the values minus
 *             the parent's value (0 for every other method)
 * @param db the handle
 * @param target the parent target's id
 * @param plan borrowed plan
 * @param reason recorded with every child; 1..500 bytes
 * @param cb may be NULL; called for each part after the commit (or in a dry run)
 * @param payload passed to cb
 * @return SPM_OK; SPM_EINVAL (a bad plan, a method for the wrong axis, a
 *         user target over the org, weights that do not match the children,
 *         no weight > 0, an imbalance with keep_total); SPM_ENOTFOUND;
 *         SPM_EPERM; SPM_EOVERFLOW; SPM_ESTORAGE; SPM_ENOMEM; or cb's value.
 */
SPM_API int spm_target_decompose(int64_t *out_imbalance, spm_db *db, int64_t target,
				 const spm_target_plan *plan, const char *reason,
				 spm_target_part_cb cb, void *payload);

/**
 * @brief Decomposes a team's target down the whole org tree: the target
 * into its team's sub-teams and members, then each sub-team's new target
 * the same way, down to the leaves — one transaction, all or nothing.
 *
 * Each level is exactly what spm_target_decompose() makes with the same
 * plan (children updated in place, those no longer yielded deleted, one
 * SPM_EVENT_TARGET_DECOMPOSED per decomposed target), but the org is read
 * once and nothing is committed until every level is stored. A team below
 * the top with no sub-teams or members in the period, or whose children
 * all weigh nothing (an empty branch, which got nothing itself), is left
 * undecomposed.
 * @param[out] out_decomposed may be NULL; how many targets were decomposed
 *             (the top and every team target under it that has children)
 * @param db the handle
 * @param target the top target's id (a team's)
 * @param plan borrowed; method SPM_TARGET_EQUAL_MEMBERS, SPM_TARGET_HEADCOUNT
 *             or SPM_TARGET_LAST_PERIOD (weights and values would be per team)
 * @param reason recorded with every child; 1..500 bytes
 * @param cb may be NULL; called for each part after the commit (or in a
 *           dry run): the top's children, then each decomposed team's, in
 *           the order the teams were reached (breadth first)
 * @param payload passed to cb
 * @return SPM_OK; SPM_EINVAL (a bad plan, another method, a user target,
 *         a top team without sub-teams or members or with no weight > 0);
 *         SPM_ENOTFOUND; SPM_EPERM; SPM_EOVERFLOW; SPM_ESTORAGE;
 *         SPM_ENOMEM; or cb's value.
 */
SPM_API int spm_target_decompose_tree(size_t *out_decomposed, spm_db *db, int64_t target,
				      const spm_target_plan *plan, const char *reason,
				      spm_target_part_cb cb, void *payload);

/** @brief The version of spm_target_progress this header describes. */
#define SPM_TARGET_PROGRESS_VERSION 1

/**
 * @brief Progress of one node in one period, as of a date. Rates are parts
 * per million (SPM_PPM = 100%), rounded half-even.
 */
typedef struct spm_target_progress {
	uint32_t version;        /**< SPM_TARGET_PROGRESS_VERSION */
	int64_t target_id;       /**< the target record, 0 for a rolled-up node */
	const char *owner_kind;  /**< "user" or "team"; static text */
	int64_t owner_ref;       /**< the user or team */
	spm_date period_start;   /**< first day of the period */
	spm_date period_end;     /**< last day of the period */
	int64_t target;          /**< the value: its own, or its children's sum */
	int64_t attained;        /**< actuals from period_start to the as-of date */
	int64_t attainment_ppm;  /**< attained / target (0 when target is 0) */
	int64_t elapsed_ppm;     /**< share of the period's weight passed by the as-of date */
	int64_t expected;        /**< target spread by the weighting, to date */
	int64_t pace_ppm;        /**< attained / expected (0 when expected is 0) */
	int64_t projection;      /**< run rate: attained / elapsed share */
	int64_t gap;             /**< target - attained, 0 once reached */
	int64_t pipeline;        /**< open opportunities expected to close in the period, each amount weighted by its stage probability (won_amount only) */
	int64_t coverage_ppm;    /**< pipeline / gap; SPM_PPM when there is no gap */
	char currency[4];        /**< money metrics: the currency; else "" */
} spm_target_progress;

/** @brief Receives one node's progress; a non-zero return stops and is returned. */
typedef int (*spm_target_progress_cb)(const spm_target_progress *p, void *payload);

/**
 * @brief The progress of one target as of a date.
 * @param[out] out caller-owned; out->version must be SPM_TARGET_PROGRESS_VERSION
 * @param db the handle
 * @param target the target's id
 * @param as_of a date; before the period everything is 0, after it the whole period counts
 * @return SPM_OK; SPM_EINVAL (NULL, bad version, an amount in another
 *         currency); SPM_ENOTFOUND; SPM_EOVERFLOW; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_target_progress_get(spm_target_progress *out, spm_db *db, int64_t target,
				    spm_date as_of);

/**
 * @brief The progress of every node under a target at once: the target's
 * node, then each team of its subtree and each user who belonged to one in
 * the period (teams by id, then users by id); same metric and period.
 * @param db the handle
 * @param target a target (for the whole org, one of the root team)
 * @param as_of as in spm_target_progress_get()
 * @param cb called for each node
 * @param payload passed to cb
 * @return as spm_target_progress_get(), or cb's non-zero value.
 */
SPM_API int spm_target_progress_foreach(spm_db *db, int64_t target, spm_date as_of,
					spm_target_progress_cb cb, void *payload);

/** @brief Receives exported bytes; a non-zero return stops and is returned. */
typedef int (*spm_target_write_cb)(const char *data, size_t len, void *payload);

/**
 * @brief Writes the progress of every node under a target as CSV (header,
 * then one CRLF row per node; cells that a spreadsheet would run as a
 * formula get a leading quote, as spm_csv_export() does).
 * @return as spm_target_progress_foreach(), or write's non-zero value.
 */
SPM_API int spm_target_progress_csv(spm_db *db, int64_t target, spm_date as_of,
				    spm_target_write_cb write, void *payload);

/**
 * @brief Writes targets as a JSON array of objects (their fields by name,
 * dates as "YYYY-MM-DD", ids kept so parent_id links survive).
 * @param db the handle
 * @param write receives the text
 * @param payload passed to write
 * @return SPM_OK; SPM_EINVAL; SPM_ESTORAGE; SPM_ENOMEM; or write's value.
 */
SPM_API int spm_target_export_json(spm_db *db, spm_target_write_cb write, void *payload);

/**
 * @brief Creates targets from a JSON array as written by
 * spm_target_export_json(), in one transaction: all or nothing. "id" and
 * "parent_id" refer to ids inside the document; the new ids are remapped.
 * @param[out] out_count may be NULL; receives the number of targets created
 * @param db the handle
 * @param json borrowed NUL-terminated text
 * @param reason recorded on each target unless an object has its own
 * @return SPM_OK; SPM_EINVAL with the JSON path of the bad value
 *         ("$[2].value: …"); SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_target_import_json(size_t *out_count, spm_db *db, const char *json,
				   const char *reason);

/**
 * @brief Parses a decomposition plan from JSON:
 * {"method":"working_days","child_period":"month","weights":[…],
 * "ramp_ppm":[…],"keep_total":false}. Method names are the enum's in lower
 * case without the prefix ("equal_days", …, "manual").
 * @param[out] plan receives the plan; its weights and ramp point into
 *             @p weights_buf and @p ramp_buf
 * @param weights_buf caller-owned room for the weights
 * @param weights_cap entries in @p weights_buf
 * @param ramp_buf caller-owned room for the ramp
 * @param ramp_cap entries in @p ramp_buf
 * @param json borrowed NUL-terminated text
 * @return SPM_OK; SPM_EINVAL with the JSON path of the bad value; SPM_ERANGE
 *         when an array does not fit its buffer.
 */
SPM_API int spm_target_plan_from_json(spm_target_plan *plan, int64_t *weights_buf,
				      size_t weights_cap, int64_t *ramp_buf, size_t ramp_cap,
				      const char *json);

/**
 * @brief Writes a plan as the JSON spm_target_plan_from_json() reads.
 * @param plan borrowed
 * @param write receives the text
 * @param payload passed to write
 * @return SPM_OK; SPM_EINVAL (NULL, unknown method or version); SPM_ENOMEM; or write's value.
 */
SPM_API int spm_target_plan_to_json(const spm_target_plan *plan, spm_target_write_cb write,
				    void *payload);

SPM_END_DECLS

#endif
