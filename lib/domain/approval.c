/* Approvals: flows (which action on which records, when, by whom), the guard
 * a guarded action calls, and submitting a request. Votes are in
 * approval_vote.c, the request's writes and events in approval_request.c. */
#include "domain/approval.h"
#include "domain/approval_steps.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int valid_action(const char *a)
{
	size_t n = a ? strlen(a) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9') || *a == '_' || *a == '.'))
			return 0;
	return 1;
}

int spm__approval_flow_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *kind, *cond;
	spm_kind *k;
	spm__rule *r = NULL;
	int rc;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	if (!valid_action(spm__fld_text(after, "action")))
		return spm__error_set(SPM_EINVAL, "approval_flow.action must be 1..64 of a-z 0-9 _ .");
	kind = spm__fld_text(after, "kind");
	k = spm__kind_find(t->db, kind, 0);
	if (k == NULL)
		return spm__error_set(SPM_EINVAL, "approval_flow.kind: no kind '%s'", kind);
	rc = spm__approval_steps_check(spm__fld_text(after, "steps"));
	cond = spm__fld_text(after, "condition");
	if (rc == SPM_OK && cond)
		rc = spm__record_rule_compile(&r, t->db, k, cond, "approval_flow.condition");
	if (rc == SPM_OK && r && spm__rule_result_type(r) != SPM__RULE_BOOLEAN)
		rc = spm__error_set(SPM_EINVAL, "approval_flow.condition must be a condition "
				    "(true or false)");
	spm__rule_free(r);
	return rc;
}

/* Requests and votes are written by the approval files only (their fields are
 * read-only); they are never deleted: the trail is the point. */
int spm__approval_request_validate(struct spm__txn *t, const spm_record *before,
				   spm_record *after)
{
	(void)t;
	if (after == NULL)
		return spm__error_set(SPM_EPERM, "%s records are kept; cancel a request instead",
				      before->kind->name);
	return SPM_OK;
}

/* The first active flow (by position, then id) of action for subject's kind
 * whose condition subject meets; *out NULL when none. */
static int find_flow(spm_record **out, struct spm__txn *t, const char *action,
		     const spm_record *subject)
{
	spm_kind *kind = spm__kind_find(t->db, "approval_flow", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(kind, "action"), SPM_CMP_EQ, 0, action };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, kind, &scan);

	*out = NULL;
	if (rc == SPM_OK && page.n)
		qsort(page.recs, page.n, sizeof(*page.recs), spm__cmp_position);
	for (size_t i = 0; rc == SPM_OK && *out == NULL && i < page.n; i++) {
		spm_record *f = page.recs[i];
		const char *text = spm__fld_text(f, "condition");
		spm__rule *r = NULL;
		spm__rule_ctx ctx;
		int met = 1;

		if (!spm__fld_is(spm__fld_text(f, "kind"), subject->kind->name) ||
		    (spm__fld_has(f, "active") && !spm__fld_num(f, "active")))
			continue;
		if (text) {
			rc = spm__record_rule_compile(&r, t->db, subject->kind, text,
						      "approval_flow.condition");
			spm__record_rule_ctx(&ctx, subject, t->at);
			if (rc == SPM_OK)
				rc = spm__rule_met(&met, NULL, r, &ctx);
			spm__rule_free(r);
		}
		if (rc == SPM_OK && met) {
			*out = f;
			page.recs[i] = NULL;
		}
	}
	for (size_t i = 0; i < page.n; i++)
		spm_record_free(page.recs[i]);
	page.n = 0;
	spm__page_clear(t->db, &page);
	return rc;
}

static int same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The requests of action on subject (any state, any status). */
static int requests_of(struct spm__page *page, spm_db *db, const char *action,
		       const spm_record *subject)
{
	spm_kind *kind = spm__kind_find(db, "approval_request", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(kind, "record_id"), SPM_CMP_EQ,
			       subject->id, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	int rc = spm__scan_page(db, page, kind, &scan);
	size_t keep = 0;

	for (size_t i = 0; rc == SPM_OK && i < page->n; i++) {
		spm_record *r = page->recs[i];
		if (spm__fld_is(spm__fld_text(r, "action"), action) &&
		    spm__fld_is(spm__fld_text(r, "record_kind"), subject->kind->name))
			page->recs[keep++] = r;
		else
			spm_record_free(r);
	}
	if (rc == SPM_OK)
		page->n = keep;
	return rc;
}

static int submit_in_txn(struct spm__txn *t, const spm_record *flow, const char *action,
			 const spm_record *subject, const char *detail, int64_t *out)
{
	spm_record *req = NULL, *stored = NULL;
	char *approvers = NULL;
	int64_t owner = 0;
	int rc = spm__collab_owner(&owner, t->db, subject);

	if (rc == SPM_OK)
		rc = spm__approval_steps_resolve(&approvers, t, spm__fld_text(flow, "steps"), owner);
	if (rc == SPM_OK)
		rc = spm__record_make(&req, t->db, spm__kind_find(t->db, "approval_request", 0));
	if (rc == SPM_OK)
		rc = spm__fld_put_num(req, "flow_id", flow->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(req, "action", action);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(req, "record_kind", subject->kind->name);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(req, "record_id", subject->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(req, "record_seq", subject->seq);
	if (rc == SPM_OK && detail)
		rc = spm__fld_put_text(req, "detail", detail);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(req, "status", "pending");
	if (rc == SPM_OK)
		rc = spm__fld_put_num(req, "step", 0);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(req, "approvers", approvers);
	if (rc == SPM_OK && owner)
		rc = spm__fld_put_num(req, "owner_id", owner);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(req, "submitted_by", t->db->actor);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(req, "submitted_at", t->at);
	if (rc == SPM_OK)
		rc = spm__approval_write(t, req, &stored);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_CREATE, "approval_request", stored->id, "status",
				    NULL, "pending");
	if (rc == SPM_OK)
		rc = spm__approval_event(t, SPM_EVENT_APPROVAL_SUBMITTED, stored->id,
			   spm__approval_with_approvers(spm__approval_about(stored), stored, 0));
	if (rc == SPM_OK)
		*out = stored->id;
	spm_record_free(stored);
	spm_record_free(req);
	spm__free(t->db, approvers);
	return rc;
}

/* Looks at the requests of action on subject: *approved when one for this
 * state and detail is approved, *pending its pending one; stale pending
 * requests (an older state) are collected in stale when not NULL. */
static int look(struct spm__txn *t, const char *action, const spm_record *subject,
		const char *detail, int *approved, int64_t *pending, struct spm__page *stale)
{
	struct spm__page page = { NULL, 0, 0 };
	int rc = requests_of(&page, t->db, action, subject);

	*approved = 0;
	*pending = 0;
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		spm_record *r = page.recs[i];
		const char *status = spm__fld_text(r, "status");
		int current = spm__fld_num(r, "record_seq") == subject->seq &&
			      same_text(spm__fld_text(r, "detail"), detail);

		if (current && spm__fld_is(status, "approved"))
			*approved = 1;
		else if (current && spm__fld_is(status, "pending"))
			*pending = r->id;
		else if (stale && spm__fld_is(status, "pending") &&
			 same_text(spm__fld_text(r, "detail"), detail)) {
			if (stale->n == stale->cap) {
				size_t cap = stale->cap ? stale->cap * 2 : 4;
				spm_record **p = spm__realloc(t->db, stale->recs, cap * sizeof(*p));
				if (p == NULL) {
					rc = spm__error_oom();
					break;
				}
				stale->recs = p;
				stale->cap = cap;
			}
			stale->recs[stale->n++] = r;
			page.recs[i] = NULL;
		}
	}
	for (size_t i = 0; i < page.n; i++)
		spm_record_free(page.recs[i]);
	page.n = 0;
	spm__page_clear(t->db, &page);
	return rc;
}

static int needs_message(const char *action, const spm_record *subject, int64_t pending)
{
	if (pending)
		return spm__error_set(SPM_EAPPROVAL, "%s on %s %" PRId64 " needs approval: "
				      "request %" PRId64 " is pending", action, subject->kind->name,
				      subject->id, pending);
	return spm__error_set(SPM_EAPPROVAL, "%s on %s %" PRId64 " needs approval: submit a "
			      "request", action, subject->kind->name, subject->id);
}

int spm__approval_needed(struct spm__txn *t, const char *action, const spm_record *subject,
			 const char *detail, int64_t *pending)
{
	spm_record *flow = NULL;
	int approved = 0, rc = find_flow(&flow, t, action, subject);

	*pending = 0;
	if (rc == SPM_OK && flow)
		rc = look(t, action, subject, detail, &approved, pending, NULL);
	spm_record_free(flow);
	if (rc == SPM_OK && flow && !approved)
		return needs_message(action, subject, *pending);
	return rc;
}

/* Cancels pending requests for older states of the record. */
static int supersede(struct spm__txn *t, struct spm__page *stale)
{
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < stale->n; i++) {
		json_t *p = spm__approval_about(stale->recs[i]);
		rc = spm__approval_set_status(t, stale->recs[i], "cancelled", NULL);
		if (rc == SPM_OK && p)
			json_object_set_new(p, "why", json_string("superseded"));
		if (rc == SPM_OK)
			rc = spm__approval_event(t, SPM_EVENT_APPROVAL_CANCELLED, stale->recs[i]->id, p);
		else
			json_decref(p);
	}
	return rc;
}

static int submit_or_find(struct spm__txn *t, const char *action, const spm_record *subject,
			  const char *detail, int64_t *pending, int *approved, int *created)
{
	struct spm__page stale = { NULL, 0, 0 };
	spm_record *flow = NULL;
	int rc = find_flow(&flow, t, action, subject);

	*pending = 0;
	*approved = 0;
	*created = 0;
	if (rc == SPM_OK && flow == NULL)
		return SPM_OK;
	if (rc == SPM_OK)
		rc = look(t, action, subject, detail, approved, pending, &stale);
	if (rc == SPM_OK && !*approved && *pending == 0) {
		rc = supersede(t, &stale);
		if (rc == SPM_OK)
			rc = submit_in_txn(t, flow, action, subject, detail, pending);
		*created = rc == SPM_OK;
	}
	spm__page_clear(t->db, &stale);
	spm_record_free(flow);
	return rc;
}

int spm__approval_required(struct spm__txn *t, const char *action, const spm_record *subject,
			   const char *detail, int64_t *pending)
{
	int approved, created;
	spm_record *flow = NULL;
	int rc = find_flow(&flow, t, action, subject);

	spm_record_free(flow);
	*pending = 0;
	if (rc != SPM_OK || flow == NULL)
		return rc;
	rc = submit_or_find(t, action, subject, detail, pending, &approved, &created);
	if (rc == SPM_OK && !approved)
		return needs_message(action, subject, *pending);
	return rc;
}

int spm__approval_finish(struct spm__txn *t, const char *action, const spm_record *subject,
			 int64_t pending)
{
	char kind[65];
	int64_t id = subject->id;
	int rc;

	snprintf(kind, sizeof(kind), "%s", subject->kind->name);
	if (t->nev == 0) {
		spm__txn_abort(t);
		rc = SPM_OK;
	} else {
		rc = spm__txn_commit(t);
	}
	if (rc != SPM_OK && !t->committed)
		return rc;
	return spm__error_set(SPM_EAPPROVAL, "%s on %s %" PRId64 " needs approval: request %"
			      PRId64 " is pending", action, kind, id, pending);
}

/* Loads the subject of a public call, checking the actor may see it. */
static int load_subject(spm_record **out, struct spm__txn *t, const char *kind, int64_t id)
{
	struct spm__scope *s;
	int seen = 0, rc = spm__collab_get(out, t->db, kind, id);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, *out);
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !seen)) {
		spm_record_free(*out);
		*out = NULL;
		return spm__error_set(SPM_ENOTFOUND, "%s %" PRId64 " does not exist", kind, id);
	}
	return rc;
}

int spm_approval_submit(int64_t *out, spm_db *db, const char *action, const char *kind,
			int64_t id, const char *detail)
{
	struct spm__txn t;
	spm_record *subject = NULL, *flow = NULL;
	int64_t pending = 0;
	int approved = 0, created = 0, rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(action);
	SPM__CHECK_ARG(kind);
	if (out)
		*out = 0;
	if (detail && strlen(detail) > 500)
		return spm__error_set(SPM_EINVAL, "approval detail is longer than 500 bytes");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = load_subject(&subject, &t, kind, id);
	if (rc == SPM_OK)
		rc = find_flow(&flow, &t, action, subject);
	if (rc == SPM_OK && flow == NULL)
		rc = spm__error_set(SPM_ENOTFOUND, "no active approval flow of action '%s' matches "
				    "%s %" PRId64, action, kind, id);
	if (rc == SPM_OK)
		rc = submit_or_find(&t, action, subject, detail, &pending, &approved, &created);
	if (rc == SPM_OK && !created)
		rc = spm__error_set(SPM_EEXISTS, "a request for %s on %s %" PRId64 " is %s already",
				    action, kind, id, approved ? "approved" : "pending");
	spm_record_free(flow);
	spm_record_free(subject);
	if (out && (rc == SPM_OK || rc == SPM_EEXISTS))
		*out = pending;
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
