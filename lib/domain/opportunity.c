/* Opportunities saved as records: the stage and status stay consistent
 * (status is the outcome of the stage), only the stage move (or the system)
 * changes them, close-date slips are counted, and a deal with line items
 * has their sum as its amount. Stage history rows are written by the move
 * (or the system, for imports). */
#include "domain/pipeline.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"

#include <string.h>

#define MOVE_HINT "use spm_opportunity_move() to change the stage"

static int get_stage(spm_record **out, struct spm__txn *t, int64_t id)
{
	return t->db->ops->get(t->db->store, out, spm__kind_find(t->db, "stage", 0), id);
}

/* Fills in the stage (the pipeline's first when none) and checks it. */
static int resolve_stage(spm_record **stage, struct spm__txn *t, spm_record *after)
{
	int64_t pipeline = spm__fld_num(after, "pipeline_id");
	struct spm__page stages = { NULL, 0, 0 };
	spm_record *p = NULL;
	int rc = t->db->ops->get(t->db->store, &p, spm__kind_find(t->db, "pipeline", 0), pipeline);

	spm_record_free(p);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_EINVAL, "opportunity.pipeline_id: pipeline %lld does not "
				      "exist", (long long)pipeline);
	if (rc == SPM_OK && !spm__fld_has(after, "stage_id")) {
		rc = spm__pipeline_stages(&stages, t->db, pipeline);
		if (rc == SPM_OK && stages.n == 0)
			rc = spm__error_set(SPM_EINVAL, "opportunity.pipeline_id: pipeline %lld has no "
					    "stages", (long long)pipeline);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(after, "stage_id", stages.recs[0]->id);
		spm__page_clear(t->db, &stages);
	}
	if (rc == SPM_OK)
		rc = get_stage(stage, t, spm__fld_num(after, "stage_id"));
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_EINVAL, "opportunity.stage_id: stage %lld does not exist",
				      (long long)spm__fld_num(after, "stage_id"));
	if (rc == SPM_OK && spm__fld_num(*stage, "pipeline_id") != pipeline)
		rc = spm__error_set(SPM_EINVAL, "opportunity.stage_id: stage %lld is not in pipeline "
				    "%lld", (long long)(*stage)->id, (long long)pipeline);
	return rc;
}

/* A plain save by a user may create a deal in the first stage of an active
 * pipeline only, and never change its pipeline, stage or status. */
static int check_user_save(struct spm__txn *t, const spm_record *before, const spm_record *after)
{
	struct spm__page stages = { NULL, 0, 0 };
	int rc = SPM_OK;

	if (before == NULL) {
		spm_record *p = NULL;
		rc = t->db->ops->get(t->db->store, &p, spm__kind_find(t->db, "pipeline", 0),
				     spm__fld_num(after, "pipeline_id"));
		if (rc == SPM_OK && spm__fld_has(p, "active") && !spm__fld_num(p, "active"))
			rc = spm__error_set(SPM_EINVAL, "opportunity.pipeline_id: pipeline '%s' is "
					    "not active", spm__fld_text(p, "name"));
		spm_record_free(p);
		if (rc == SPM_OK)
			rc = spm__pipeline_stages(&stages, t->db, spm__fld_num(after, "pipeline_id"));
		if (rc == SPM_OK && stages.n && stages.recs[0]->id != spm__fld_num(after, "stage_id"))
			rc = spm__error_set(SPM_EINVAL, "opportunity.stage_id: a new deal starts in the "
					    "first stage (%lld); " MOVE_HINT,
					    (long long)stages.recs[0]->id);
		spm__page_clear(t->db, &stages);
		return rc;
	}
	if (spm__fld_num(before, "pipeline_id") != spm__fld_num(after, "pipeline_id"))
		return spm__error_set(SPM_EINVAL, "opportunity.pipeline_id cannot change");
	if (spm__fld_num(before, "stage_id") != spm__fld_num(after, "stage_id"))
		return spm__error_set(SPM_EINVAL, "opportunity.stage_id: " MOVE_HINT);
	if (!spm__fld_is(spm__fld_text(after, "status"), spm__fld_text(before, "status") ?
			 spm__fld_text(before, "status") : ""))
		return spm__error_set(SPM_EINVAL, "opportunity.status: follows the stage; " MOVE_HINT);
	return SPM_OK;
}

/* status = the stage's outcome; closed_at only on closed deals. A new
 * stage with the status left as it was takes the new stage's outcome. */
static int derive_status(struct spm__txn *t, const spm_record *before, const spm_record *stage,
			 spm_record *after)
{
	const char *outcome = spm__stage_outcome(stage);
	const char *status = spm__fld_text(after, "status");
	int closed = strcmp(outcome, "open") != 0;
	int rc = SPM_OK;

	if (status && before && spm__fld_num(before, "stage_id") != spm__fld_num(after, "stage_id") &&
	    spm__fld_is(spm__fld_text(before, "status"), status))
		status = NULL;

	if (status && strcmp(status, outcome) != 0)
		return spm__error_set(SPM_EINVAL, "opportunity.status: must be '%s', the outcome of "
				      "stage %lld, not '%s'", outcome, (long long)stage->id, status);
	if (status == NULL)
		rc = spm__fld_put_text(after, "status", outcome);
	if (rc == SPM_OK && closed && !spm__fld_has(after, "closed_at"))
		rc = spm__fld_put_num(after, "closed_at", t->at);
	if (rc == SPM_OK && !closed && spm__fld_has(after, "closed_at"))
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "closed_at"));
	return rc;
}

static int check_amount(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	size_t i = (size_t)spm__fld_idx(after, "amount"), n;
	int64_t sum;
	char cur[4];
	int rc;

	if (before == NULL || spm__value_equal(&before->v[i], &after->v[i]) ||
	    (t->domain_flags & SPM__TXN_LINE_ITEMS))
		return SPM_OK;
	rc = spm__opp_line_items_sum(&sum, cur, &n, t, after->id);
	if (rc == SPM_OK && n && (!after->v[i].has || after->v[i].i != sum ||
				  strcmp(after->v[i].cur, cur) != 0))
		rc = spm__error_set(SPM_EINVAL, "opportunity.amount: is the sum of its %zu line "
				    "items; change them instead", n);
	return rc;
}

/* Pushing the expected close date later counts as a slip. */
static int count_slip(const spm_record *before, spm_record *after)
{
	if (before == NULL || !spm__fld_has(before, "expected_close") ||
	    !spm__fld_has(after, "expected_close") ||
	    spm__fld_num(after, "expected_close") <= spm__fld_num(before, "expected_close"))
		return SPM_OK;
	return spm__fld_put_num(after, "close_slips", spm__fld_num(before, "close_slips") + 1);
}

/* A deal with line items or history is not deleted: they would be left
 * without their deal. */
static int check_delete(struct spm__txn *t, const spm_record *deal)
{
	struct spm__opp_rows rows;
	int rc = spm__opp_rows_load(&rows, t->db, deal->id);

	if (rc == SPM_OK && (rows.rel[SPM__OPP_LINE_ITEMS].n || rows.rel[SPM__OPP_HISTORY].n))
		rc = spm__error_set(SPM_EINVAL, "opportunity %lld has line items or stage history; "
				    "delete them first", (long long)deal->id);
	spm__opp_rows_clear(t->db, &rows);
	return rc;
}

int spm__opportunity_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	spm_record *stage = NULL;
	int privileged = 1, rc;

	if (after == NULL)
		return check_delete(t, before);
	rc = resolve_stage(&stage, t, after);
	if (rc == SPM_OK && !(t->domain_flags & SPM__TXN_STAGE_MOVE))
		rc = spm__pipeline_privileged(&privileged, t);
	if (rc == SPM_OK && !privileged)
		rc = check_user_save(t, before, after);
	if (rc == SPM_OK)
		rc = derive_status(t, before, stage, after);
	if (rc == SPM_OK && before == NULL && !spm__fld_has(after, "owner_id") && t->db->actor)
		rc = spm__fld_put_num(after, "owner_id", t->db->actor);
	if (rc == SPM_OK && !spm__fld_has(after, "opened_at"))
		rc = spm__fld_put_num(after, "opened_at", before ? spm__fld_num(before, "created_at")
							  : t->at);
	if (rc == SPM_OK && !spm__fld_has(after, "stage_entered_at"))
		rc = spm__fld_put_num(after, "stage_entered_at", spm__fld_num(after, "opened_at"));
	if (rc == SPM_OK && !spm__fld_has(after, "close_slips"))
		rc = spm__fld_put_num(after, "close_slips", 0);
	if (rc == SPM_OK)
		rc = count_slip(before, after);
	if (rc == SPM_OK)
		rc = check_amount(t, before, after);
	spm_record_free(stage);
	return rc;
}

int spm__stage_history_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int privileged = 1;
	int rc = SPM_OK;

	if (!(t->domain_flags & SPM__TXN_STAGE_MOVE))
		rc = spm__pipeline_privileged(&privileged, t);
	if (rc == SPM_OK && !privileged)
		return spm__error_set(SPM_EPERM, "stage_history is written by "
				      "spm_opportunity_move(); only the system or an importer may write it");
	return rc == SPM_OK ? spm__org_validate_parent(t, before, after) : rc;
}
