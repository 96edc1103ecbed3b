/* Time-driven work: jobs run by spm_db_tick(), in the order of tick.c. */
#ifndef SPM_CORE_TICK_H
#define SPM_CORE_TICK_H

#include "core/db_internal.h"

int spm__tick_run(spm_db *db, spm_time now);

/* The jobs. */
int spm__idem_expire(spm_db *db, spm_time now);

#endif
