/* The guard of gate overrides and of reopening closed deals: the hook point
 * where collaboration (approvals) decides whether such a move may go on.
 * Today the actor's role decides: overriding needs the "override_gate"
 * action; reopening is allowed to whoever may write the deal (the
 * pipeline's allow_back was checked before). */
#include "domain/pipeline.h"
#include "domain/org.h"
#include "spm/pipeline.h"

int spm__stage_move_guard(struct spm__txn *t, const struct spm__stage_move *m)
{
	struct spm__scope *s;
	int rc;

	if (m->unmet == NULL)
		return SPM_OK;
	if (m->override_reason == NULL)
		return spm__error_set(SPM_EGATE, "exit criteria unmet");
	rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_require(s, SPM_ACTION_OVERRIDE_GATE, "override a stage gate");
	return rc;
}
