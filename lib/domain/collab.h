/* Quotes, contracts and collections, tasks, comments and approvals
 * (include/spm/collab.h): the kinds' hooks, the tick jobs, and the approval
 * guard other domain code calls before a guarded action. */
#ifndef SPM_DOMAIN_COLLAB_H
#define SPM_DOMAIN_COLLAB_H

#include "spm/collab.h"
#include "core/record_internal.h"

struct spm__txn;

#define SPM__HOOK(name) \
	int name(struct spm__txn *t, const struct spm_record *before, struct spm_record *after)

SPM__HOOK(spm__quote_validate);
SPM__HOOK(spm__quote_after_write);
SPM__HOOK(spm__quote_line_validate);
SPM__HOOK(spm__quote_line_after_write);
SPM__HOOK(spm__contract_validate);
SPM__HOOK(spm__installment_validate);
SPM__HOOK(spm__payment_validate);
SPM__HOOK(spm__payment_after_write);
SPM__HOOK(spm__credit_note_validate);
SPM__HOOK(spm__credit_note_after_write);
SPM__HOOK(spm__complaint_validate);
SPM__HOOK(spm__complaint_after_write);
SPM__HOOK(spm__task_validate);
SPM__HOOK(spm__comment_validate);
SPM__HOOK(spm__comment_after_write);
SPM__HOOK(spm__approval_flow_validate);
SPM__HOOK(spm__approval_request_validate);

#undef SPM__HOOK

/* tick jobs: SPM_EVENT_INSTALLMENT_OVERDUE and SPM_EVENT_TASK_OVERDUE, once
 * per installment and per task due time. */
int spm__installment_overdue_run(spm_db *db, spm_time now);
int spm__task_overdue_run(spm_db *db, spm_time now);

/* The approval guard (approval.c). A guarded action names itself (e.g.
 * "quote_discount", "stage_override", "reopen") and its subject record as
 * stored (its change sequence identifies the state that gets approved);
 * detail (may be NULL) tells apart two actions on one record (e.g.
 * "stage:7").
 *
 * spm__approval_needed: SPM_OK when no active approval flow of that action
 * and kind matches the subject, or a request for this exact state and detail
 * was approved; else SPM_EAPPROVAL with *pending the pending request's id
 * (0 when none). Writes nothing.
 *
 * spm__approval_required: as needed, but when no request is pending it
 * submits one inside t (and sets *pending). On SPM_EAPPROVAL the caller
 * must not do the action: it calls spm__approval_finish(t, pending), which
 * commits t (keeping the new request) and returns SPM_EAPPROVAL with a
 * message naming the request. */
#define SPM__APPROVAL_STAGE_OVERRIDE "stage_override"
#define SPM__APPROVAL_REOPEN "reopen"
int spm__approval_needed(struct spm__txn *t, const char *action, const spm_record *subject,
			 const char *detail, int64_t *pending);
int spm__approval_required(struct spm__txn *t, const char *action, const spm_record *subject,
			   const char *detail, int64_t *pending);
int spm__approval_finish(struct spm__txn *t, const char *action, const spm_record *subject,
			 int64_t pending);

/* Shared helpers (collab_util.c). */
/* Reads a record of a kind by id without scope checks; SPM_ENOTFOUND. */
int spm__collab_get(spm_record **out, spm_db *db, const char *kind, int64_t id);
/* The owner of rec: its owner field, else its parent's owner (0 = none). */
int spm__collab_owner(int64_t *out, spm_db *db, const spm_record *rec);
/* Checks that a linked record (kind, id) exists: kind must be a user kind. */
int spm__collab_check_link(spm_db *db, const char *what, const char *kind, int64_t id);
/* The manager of user's team on the day of now, climbing to the parent team
 * while the manager is the user; *out 0 when none. */
int spm__collab_manager_of(int64_t *out, spm_db *db, int64_t user, spm_time now);
/* Puts a money value by field name. */
int spm__collab_put_money(spm_record *rec, const char *field, int64_t minor, const char *cur);
/* The currency of a money field (borrowed), or NULL. */
const char *spm__collab_currency(const spm_record *rec, const char *field);
/* Formats "1234.50 CNY" into buf. */
const char *spm__collab_money_text(char *buf, size_t size, int64_t minor, const char *cur);
/* Audits the named read-only fields (NULL-terminated) that differ between
 * before (NULL on create) and after: the write audits only writable ones. */
int spm__collab_audit(struct spm__txn *t, const spm_record *before, const spm_record *after,
		      const char *const *fields);
/* 1 when field changed between before and after (values compared). */
int spm__collab_changed(const spm_record *before, const spm_record *after, const char *field);

#endif
