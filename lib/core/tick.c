#include "core/tick.h"
#include "domain/lead.h"
#include "domain/collab.h"
#include "domain/target.h"

typedef int (*tick_job)(spm_db *db, spm_time now);

/* Domain layers append their jobs here. */
static const tick_job jobs[] = {
	spm__idem_expire,
	spm__follow_up_remind,
	spm__reclaim_run,
	spm__installment_overdue_run,
	spm__task_overdue_run,
	spm__target_warn_run,
};

int spm__tick_run(spm_db *db, spm_time now)
{
	int first = SPM_OK;

	int64_t actor = db->actor;

	if (db->flags & SPM_OPEN_READONLY)
		return SPM_OK;  /* every job writes; a reader has nothing due */
	db->actor = 0;  /* time-driven work is the system's, whoever calls tick */
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		int rc = jobs[i](db, now);
		if (rc != SPM_OK && first == SPM_OK)
			first = rc;
	}
	db->actor = actor;
	return first;
}
