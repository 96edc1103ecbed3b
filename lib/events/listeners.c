/* Listeners: called after commit, on the caller's thread, in registration
 * order. A listener may add or remove listeners while it runs; removal only
 * marks the slot so that the running dispatch stays valid. */
#include "events/events_internal.h"

#include <string.h>

int spm_listener_add(int *out_id, spm_db *db, uint64_t mask, spm_event_cb cb, void *payload)
{
	struct spm__listener *l;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	if (mask == 0)
		return spm__error_set(SPM_EINVAL, "a listener needs a non-empty event mask");
	if (db->nlisteners == db->listeners_cap) {
		size_t cap = db->listeners_cap ? db->listeners_cap * 2 : 4;
		l = spm__realloc(db, db->listeners, cap * sizeof(*l));
		if (l == NULL)
			return spm__error_oom();
		db->listeners = l;
		db->listeners_cap = cap;
	}
	l = &db->listeners[db->nlisteners++];
	l->id = ++db->next_listener_id;
	l->mask = mask;
	l->cb = cb;
	l->payload = payload;
	if (out_id)
		*out_id = l->id;
	return SPM_OK;
}

static void compact(spm_db *db)
{
	size_t n = 0;

	for (size_t i = 0; i < db->nlisteners; i++)
		if (db->listeners[i].id != 0)
			db->listeners[n++] = db->listeners[i];
	db->nlisteners = n;
}

int spm_listener_remove(spm_db *db, int id)
{
	SPM__CHECK_ARG(db);
	for (size_t i = 0; i < db->nlisteners; i++) {
		if (id > 0 && db->listeners[i].id == id) {
			db->listeners[i].id = 0;
			if (db->dispatch_depth == 0)
				compact(db);
			return SPM_OK;
		}
	}
	return spm__error_set(SPM_ENOTFOUND, "no listener %d", id);
}

int spm__listeners_dispatch(spm_db *db, const spm_event *events, size_t n)
{
	size_t count = db->nlisteners;  /* listeners added now wait for the next write */
	int rc = SPM_OK;

	db->dispatch_depth++;
	for (size_t e = 0; rc == 0 && e < n; e++) {
		for (size_t i = 0; rc == 0 && i < count; i++) {
			struct spm__listener l = db->listeners[i];
			if (l.id == 0 || !(l.mask & SPM_EVENT_MASK(events[e].type)))
				continue;
			rc = l.cb(&events[e], l.payload);
		}
	}
	if (--db->dispatch_depth == 0)
		compact(db);
	return rc;
}

void spm__listeners_free(spm_db *db)
{
	spm__free(db, db->listeners);
	db->listeners = NULL;
	db->nlisteners = db->listeners_cap = 0;
}

/* Names by type; gaps (unused numbers) are NULL. */
static const char *const type_names[] = {
	[SPM_EVENT_RECORD_CREATED] = "record.created",
	[SPM_EVENT_RECORD_UPDATED] = "record.updated",
	[SPM_EVENT_RECORD_DELETED] = "record.deleted",
	[SPM_EVENT_FIELD_ADDED] = "field.added",
	[SPM_EVENT_FIELD_DROPPED] = "field.dropped",
	[SPM_EVENT_LEAD_CLAIMED] = "lead.claimed",
	[SPM_EVENT_LEAD_RELEASED] = "lead.released",
	[SPM_EVENT_FOLLOW_UP_DUE] = "follow_up.due",
	[SPM_EVENT_HANDOVER] = "handover",
	[SPM_EVENT_RECLAIM_WARNING] = "reclaim.warning",
	[SPM_EVENT_RECLAIMED] = "reclaimed",
	[SPM_EVENT_LEAD_CONVERTED] = "lead.converted",
	[SPM_EVENT_RECORD_MERGED] = "record.merged",
	[SPM_EVENT_LEAD_ASSIGNED] = "lead.assigned",
	[SPM_EVENT_STAGE_CHANGED] = "stage.changed",
	[SPM_EVENT_GATE_OVERRIDDEN] = "gate.overridden",
	[SPM_EVENT_OPPORTUNITY_WON] = "opportunity.won",
	[SPM_EVENT_OPPORTUNITY_LOST] = "opportunity.lost",
	[SPM_EVENT_OPPORTUNITY_REOPENED] = "opportunity.reopened",
	[SPM_EVENT_TASK_OVERDUE] = "task.overdue",
	[SPM_EVENT_MENTION] = "mention",
	[SPM_EVENT_APPROVAL_SUBMITTED] = "approval.submitted",
	[SPM_EVENT_APPROVAL_APPROVED] = "approval.approved",
	[SPM_EVENT_APPROVAL_REJECTED] = "approval.rejected",
	[SPM_EVENT_INSTALLMENT_OVERDUE] = "installment.overdue",
	[SPM_EVENT_PAYMENT_RECEIVED] = "payment.received",
	[SPM_EVENT_APPROVAL_STEP] = "approval.step",
	[SPM_EVENT_REFUND_RECORDED] = "refund.recorded",
	[SPM_EVENT_COMPLAINT_RECORDED] = "complaint.recorded",
	[SPM_EVENT_APPROVAL_CANCELLED] = "approval.cancelled",
	[SPM_EVENT_TARGET_WARNING] = "target.warning",
	[SPM_EVENT_TARGET_RECOVERED] = "target.recovered",
	[SPM_EVENT_TARGET_DECOMPOSED] = "target.decomposed",
};

const char *spm_event_type_name(int type)
{
	if (type < 1 || type >= (int)(sizeof(type_names) / sizeof(type_names[0])))
		return NULL;
	return type_names[type];
}
