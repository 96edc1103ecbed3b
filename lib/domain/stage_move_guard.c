/* The guard of gate overrides and of reopening closed deals. Overriding
 * needs the "override_gate" action; reopening is allowed to whoever may write
 * the deal (the pipeline's allow_back was checked before). Either may also
 * need an approval: an active approval flow of action "stage_override" or
 * "reopen" on kind opportunity whose condition the deal meets (approval.c).
 * The request names the target stage, so an approval covers that one move of
 * the deal as it was when submitted. */
#include "domain/pipeline.h"
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "spm/collab.h"
#include "spm/pipeline.h"

#include <stdio.h>

int spm__stage_move_guard(struct spm__txn *t, const struct spm__stage_move *m,
			  struct spm__move_approval *approval)
{
	struct spm__scope *s;
	char detail[32];
	int rc = SPM_OK;

	if (m->unmet && m->override_reason == NULL)
		return spm__error_set(SPM_EGATE, "exit criteria unmet");
	if (m->unmet) {
		rc = spm__txn_scope(&s, t);
		if (rc == SPM_OK)
			rc = spm__scope_require(s, SPM_ACTION_OVERRIDE_GATE, "override a stage gate");
	}
	if (rc != SPM_OK || (m->unmet == NULL && !m->reopening))
		return rc;
	approval->action = m->unmet ? SPM__APPROVAL_STAGE_OVERRIDE : SPM__APPROVAL_REOPEN;
	snprintf(detail, sizeof(detail), "stage:%lld", (long long)m->to->id);
	return spm__approval_required(t, approval->action, m->deal, detail, &approval->pending);
}
