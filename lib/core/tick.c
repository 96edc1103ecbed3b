#include "core/tick.h"

typedef int (*tick_job)(spm_db *db, spm_time now);

/* Domain layers append their jobs here. */
static const tick_job jobs[] = {
	spm__idem_expire,
};

int spm__tick_run(spm_db *db, spm_time now)
{
	int first = SPM_OK;

	if (db->flags & SPM_OPEN_READONLY)
		return SPM_OK;  /* every job writes; a reader has nothing due */
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		int rc = jobs[i](db, now);
		if (rc != SPM_OK && first == SPM_OK)
			first = rc;
	}
	return first;
}
