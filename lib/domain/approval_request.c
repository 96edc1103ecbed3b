/* Approval requests and votes: their writes (audited) and events. */
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

/* Writes a request or vote. An approver acts on the request whether or not
 * their scope shows them its record, so these writes skip the scope check
 * (the audit still names the actor). */
int spm__approval_write(struct spm__txn *t, const spm_record *rec, spm_record **out)
{
	struct spm__scope all, *saved = t->scope;
	int rc;

	memset(&all, 0, sizeof(all));
	all.mode = SPM_SCOPE_ALL;
	all.all_actions = 1;
	all.actor = t->db->actor;
	t->scope = &all;
	rc = spm__write_save(t, rec, out);
	t->scope = saved;
	return rc;
}

int spm__approval_event(struct spm__txn *t, int type, int64_t request, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc;

	json_decref(payload);
	if (text == NULL)
		return spm__error_oom();
	rc = spm__txn_event(t, type, "approval_request", request, text);
	free(text);
	return rc;
}

/* Sets the request's status (and decided_at, comment), audited. */
int spm__approval_set_status(struct spm__txn *t, spm_record *req, const char *status,
		      const char *comment)
{
	char *old = spm__strdup(t->db, spm__fld_text(req, "status"));
	spm_record *stored = NULL;
	int rc = old ? spm__fld_put_text(req, "status", status) : spm__error_oom();

	if (rc == SPM_OK && strcmp(status, "pending") != 0)
		rc = spm__fld_put_num(req, "decided_at", t->at);
	if (rc == SPM_OK && comment)
		rc = spm__fld_put_text(req, "comment", comment);
	if (rc == SPM_OK)
		rc = spm__approval_write(t, req, &stored);
	if (rc == SPM_OK)
		rc = spm__txn_audit(t, SPM_AUDIT_UPDATE, "approval_request", req->id, "status", old,
				    status);
	if (rc == SPM_OK)
		req->seq = stored->seq;
	spm_record_free(stored);
	spm__free(t->db, old);
	return rc;
}

json_t *spm__approval_about(const spm_record *req)
{
	return json_pack("{s:s?,s:s?,s:I,s:s?}", "action", spm__fld_text(req, "action"),
			 "record_kind", spm__fld_text(req, "record_kind"), "record_id",
			 (json_int_t)spm__fld_num(req, "record_id"), "detail",
			 spm__fld_text(req, "detail"));
}

/* Adds "approvers" of step (0-based) of req to obj; consumes obj. */
json_t *spm__approval_with_approvers(json_t *obj, const spm_record *req, int64_t step)
{
	int64_t ids[SPM__APPROVAL_MAX_APPROVERS];
	size_t n;
	int all = 0;
	json_t *list = json_array();

	if (obj == NULL || list == NULL) {
		json_decref(obj);
		json_decref(list);
		return NULL;
	}
	if (spm__approval_step(spm__fld_text(req, "approvers"), step, &all, ids, &n)) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, json_integer(ids[i]));
		json_object_set_new(obj, "mode", json_string(all ? "all" : "any"));
	}
	json_object_set_new(obj, "step", json_integer(step));
	json_object_set_new(obj, "approvers", list);
	return obj;
}
