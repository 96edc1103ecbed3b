/* Detects one handle used by two threads at once (CONVENTIONS.md: a handle is
 * used by one thread at a time). A thread takes the handle when it opens a
 * read or write transaction and gives it back when the transaction ends; a
 * second thread arriving meanwhile gets SPM_EBUSY instead of sharing the
 * first one's transaction and caches. Calls that touch no storage are not
 * watched: the check is a detector, not a lock. */
#include "core/db_internal.h"

/* Each live thread has its own copy, so its address names the thread. */
static _Thread_local char thread_mark;

int spm__handle_enter(spm_db *db)
{
	uintptr_t me = (uintptr_t)&thread_mark, user = 0;

	if (atomic_compare_exchange_strong(&db->user, &user, me) || user == me)
		return SPM_OK;
	return spm__error_set(SPM_EBUSY, "this handle is in use by another thread "
			      "(a handle is used by one thread at a time)");
}

void spm__handle_leave(spm_db *db)
{
	atomic_store(&db->user, (uintptr_t)0);
}
