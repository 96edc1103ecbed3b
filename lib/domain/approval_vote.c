/* Approvals: approve, reject and cancel a request, step by step. */
#include "domain/approval.h"
#include "domain/approval_steps.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The votes of a request's step: whether user voted, how many approved. */
static int votes(struct spm__txn *t, int64_t request, int64_t step, int64_t user, int *voted,
		 size_t *approvals)
{
	spm_kind *kind = spm__kind_find(t->db, "approval_vote", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(kind, "request_id"), SPM_CMP_EQ, request,
			       NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, kind, &scan);

	*voted = 0;
	*approvals = 0;
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		if (spm__fld_num(page.recs[i], "step") != step)
			continue;
		*voted |= spm__fld_num(page.recs[i], "user_id") == user;
		*approvals += spm__fld_is(spm__fld_text(page.recs[i], "decision"), "approve");
	}
	spm__page_clear(t->db, &page);
	return rc;
}

static int add_vote(struct spm__txn *t, int64_t request, int64_t step, const char *decision,
		    const char *comment)
{
	spm_record *v = NULL, *stored = NULL;
	int rc = spm__record_make(&v, t->db, spm__kind_find(t->db, "approval_vote", 0));

	if (rc == SPM_OK)
		rc = spm__fld_put_num(v, "request_id", request);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(v, "step", step);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(v, "user_id", t->db->actor);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(v, "decision", decision);
	if (rc == SPM_OK && comment)
		rc = spm__fld_put_text(v, "comment", comment);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(v, "at", t->at);
	if (rc == SPM_OK)
		rc = spm__approval_write(t, v, &stored);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_CREATE, "approval_vote", stored->id, "decision",
				    NULL, decision);
	spm_record_free(stored);
	spm_record_free(v);
	return rc;
}

/* Moves a request one step on after its step is done. */
static int advance(struct spm__txn *t, spm_record *req, int64_t step)
{
	int64_t ids[SPM__APPROVAL_MAX_APPROVERS];
	size_t n;
	int all, rc;
	spm_record *stored = NULL;
	char from[24], to[24];
	json_t *p;

	if (!spm__approval_step(spm__fld_text(req, "approvers"), step + 1, &all, ids, &n)) {
		p = spm__approval_about(req);
		if (p)
			json_object_set_new(p, "by", json_integer(t->db->actor));
		rc = spm__approval_set_status(t, req, "approved", NULL);
		return rc == SPM_OK ? spm__approval_event(t, SPM_EVENT_APPROVAL_APPROVED, req->id, p)
				    : (json_decref(p), rc);
	}
	snprintf(from, sizeof(from), "%" PRId64, step);
	snprintf(to, sizeof(to), "%" PRId64, step + 1);
	rc = spm__fld_put_num(req, "step", step + 1);
	if (rc == SPM_OK)
		rc = spm__approval_write(t, req, &stored);
	spm_record_free(stored);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_UPDATE, "approval_request", req->id, "step", from,
				    to);
	p = spm__approval_with_approvers(spm__approval_about(req), req, step + 1);
	if (p) {
		json_object_set_new(p, "by", json_integer(t->db->actor));
		json_object_set_new(p, "done", json_integer(step));
	}
	return rc == SPM_OK ? spm__approval_event(t, SPM_EVENT_APPROVAL_STEP, req->id, p) : (json_decref(p), rc);
}

static int vote_in_txn(struct spm__txn *t, int64_t request, int approve, const char *comment)
{
	spm_record *req = NULL, *subject = NULL;
	int64_t ids[SPM__APPROVAL_MAX_APPROVERS], step, actor = t->db->actor;
	size_t n = 0, approvals;
	int all = 0, mine = 0, voted, rc = spm__collab_get(&req, t->db, "approval_request", request);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "approval request %" PRId64 " does not exist",
				    request);
	if (rc != SPM_OK)
		goto out;
	if (!spm__fld_is(spm__fld_text(req, "status"), "pending")) {
		rc = spm__error_set(SPM_EINVAL, "approval request %" PRId64 " is %s, not pending",
				    request, spm__fld_text(req, "status"));
		goto out;
	}
	step = spm__fld_num(req, "step");
	spm__approval_step(spm__fld_text(req, "approvers"), step, &all, ids, &n);
	for (size_t i = 0; i < n; i++)
		mine |= ids[i] == actor;
	if (!mine) {
		rc = spm__error_set(SPM_EPERM, "user %" PRId64 " is not an approver of step %" PRId64
				    " of approval request %" PRId64, actor, step + 1, request);
		goto out;
	}
	rc = votes(t, request, step, actor, &voted, &approvals);
	if (rc == SPM_OK && voted)
		rc = spm__error_set(SPM_EEXISTS, "user %" PRId64 " voted on step %" PRId64 " of "
				    "approval request %" PRId64 " already", actor, step + 1, request);
	if (rc == SPM_OK)
		rc = spm__collab_get(&subject, t->db, spm__fld_text(req, "record_kind"),
				     spm__fld_num(req, "record_id"));
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && subject->seq != spm__fld_num(req, "record_seq")))
		rc = spm__error_set(SPM_ECONFLICT, "%s %" PRId64 " changed since approval request %"
				    PRId64 " was submitted; submit a new one",
				    spm__fld_text(req, "record_kind"), spm__fld_num(req, "record_id"),
				    request);
	if (rc == SPM_OK)
		rc = add_vote(t, request, step, approve ? "approve" : "reject", comment);
	if (rc == SPM_OK && !approve) {
		json_t *p = spm__approval_about(req);
		if (p) {
			json_object_set_new(p, "by", json_integer(actor));
			json_object_set_new(p, "comment", comment ? json_string(comment) : json_null());
		}
		rc = spm__approval_set_status(t, req, "rejected", comment);
		rc = rc == SPM_OK ? spm__approval_event(t, SPM_EVENT_APPROVAL_REJECTED, request, p)
				  : (json_decref(p), rc);
	} else if (rc == SPM_OK && (!all || approvals + 1 >= n)) {
		rc = advance(t, req, step);
	} else if (rc == SPM_OK) {
		json_t *p = spm__approval_with_approvers(spm__approval_about(req), req, step);
		if (p) {
			json_object_set_new(p, "by", json_integer(actor));
			json_object_set_new(p, "approvals", json_integer((json_int_t)approvals + 1));
		}
		rc = spm__approval_event(t, SPM_EVENT_APPROVAL_STEP, request, p);
	}
out:
	spm_record_free(subject);
	spm_record_free(req);
	return rc;
}

static int vote(spm_db *db, int64_t request, int approve, const char *comment)
{
	struct spm__txn t;
	int rc;

	SPM__CHECK_ARG(db);
	if (comment && strlen(comment) > 2000)
		return spm__error_set(SPM_EINVAL, "approval comment is longer than 2000 bytes");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = vote_in_txn(&t, request, approve, comment);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}

int spm_approval_approve(spm_db *db, int64_t request, const char *comment)
{
	return vote(db, request, 1, comment);
}

int spm_approval_reject(spm_db *db, int64_t request, const char *comment)
{
	return vote(db, request, 0, comment);
}

static int cancel_in_txn(struct spm__txn *t, int64_t request)
{
	struct spm__scope *s;
	spm_record *req = NULL;
	json_t *p;
	int rc = spm__collab_get(&req, t->db, "approval_request", request);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "approval request %" PRId64 " does not exist",
				    request);
	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK && spm__fld_num(req, "submitted_by") != t->db->actor &&
	    !spm__scope_can(s, SPM_ACTION_SCHEMA))
		rc = spm__error_set(SPM_EPERM, "only the submitter may cancel approval request %"
				    PRId64, request);
	if (rc == SPM_OK && !spm__fld_is(spm__fld_text(req, "status"), "pending"))
		rc = spm__error_set(SPM_EINVAL, "approval request %" PRId64 " is %s, not pending",
				    request, spm__fld_text(req, "status"));
	if (rc == SPM_OK)
		rc = spm__approval_set_status(t, req, "cancelled", NULL);
	if (rc == SPM_OK) {
		p = spm__approval_about(req);
		if (p)
			json_object_set_new(p, "why", json_string("withdrawn"));
		rc = spm__approval_event(t, SPM_EVENT_APPROVAL_CANCELLED, request, p);
	}
	spm_record_free(req);
	return rc;
}

int spm_approval_cancel(spm_db *db, int64_t request)
{
	struct spm__txn t;
	int rc;

	SPM__CHECK_ARG(db);
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = cancel_in_txn(&t, request);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
