#ifndef SPM_EVENTS_INTERNAL_H
#define SPM_EVENTS_INTERNAL_H

#include "core/db_internal.h"

/* Calls the listeners for each event, in order; stops at the first non-zero. */
int spm__listeners_dispatch(spm_db *db, const spm_event *events, size_t n);
void spm__listeners_free(spm_db *db);

#endif
