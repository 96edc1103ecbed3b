/* Tasks: an assignee, a due time, a status, and optionally the record they
 * are about (seen only by those who may see that record). An open task past
 * its due time raises an event from tick, once per due time. */
#include "domain/collab.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int spm__task_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *status, *was;
	int has_kind, has_id, rc = SPM_OK;

	if (after == NULL)
		return SPM_OK;
	if (spm__fld_text(after, "title")[0] == '\0')
		return spm__error_set(SPM_EINVAL, "task.title must not be empty");
	if (!spm__fld_has(after, "status"))
		rc = spm__fld_put_text(after, "status", "open");
	status = spm__fld_text(after, "status");
	if (rc == SPM_OK && !spm__fld_is(status, "open") && !spm__fld_is(status, "done") &&
	    !spm__fld_is(status, "cancelled"))
		return spm__error_set(SPM_EINVAL, "task.status must be open, done or cancelled");
	has_kind = spm__fld_has(after, "record_kind");
	has_id = spm__fld_has(after, "record_id");
	if (has_kind != has_id)
		return spm__error_set(SPM_EINVAL, "task: record_kind and record_id go together");
	if (rc == SPM_OK && has_kind && (before == NULL ||
					 spm__collab_changed(before, after, "record_kind") ||
					 spm__collab_changed(before, after, "record_id")))
		rc = spm__collab_check_link(t->db, "task", spm__fld_text(after, "record_kind"),
					    spm__fld_num(after, "record_id"));
	if (rc == SPM_OK && spm__fld_has(after, "assignee_id") &&
	    (before == NULL || spm__collab_changed(before, after, "assignee_id"))) {
		spm_record *u = NULL;
		rc = spm__collab_get(&u, t->db, "user", spm__fld_num(after, "assignee_id"));
		if (rc == SPM_ENOTFOUND)
			rc = spm__error_set(SPM_EINVAL, "task.assignee_id: user %" PRId64 " does not "
					    "exist", spm__fld_num(after, "assignee_id"));
		spm_record_free(u);
	}
	if (rc == SPM_OK && before == NULL && t->db->actor)
		rc = spm__fld_put_num(after, "created_by", t->db->actor);
	was = before ? spm__fld_text(before, "status") : NULL;
	if (rc == SPM_OK && spm__fld_is(status, "done") && !spm__fld_is(was, "done"))
		rc = spm__fld_put_num(after, "completed_at", t->at);
	else if (rc == SPM_OK && !spm__fld_is(status, "done") && spm__fld_has(after, "completed_at"))
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "completed_at"));
	if (rc == SPM_OK && spm__collab_changed(before, after, "due_at") &&
	    spm__fld_has(after, "overdue_raised"))
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "overdue_raised"));
	return rc;
}

static int overdue(struct spm__txn *t, spm_record *task)
{
	spm_record *stored = NULL;
	const char *kind = spm__fld_text(task, "record_kind");
	char payload[256], due[24];
	int rc;

	spm__format_time(due, sizeof(due), spm__fld_num(task, "due_at"));
	snprintf(payload, sizeof(payload), "{\"assignee_id\":%" PRId64 ",\"due_at\":\"%s\","
		 "\"record_kind\":%s%s%s,\"record_id\":%" PRId64 "}",
		 spm__fld_num(task, "assignee_id"), due, kind ? "\"" : "", kind ? kind : "null",
		 kind ? "\"" : "", spm__fld_num(task, "record_id"));
	rc = spm__txn_event(t, SPM_EVENT_TASK_OVERDUE, "task", task->id, payload);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(task, "overdue_raised", 1);
	if (rc == SPM_OK)
		rc = spm__write_save(t, task, &stored);
	spm_record_free(stored);
	return rc;
}

int spm__task_overdue_run(spm_db *db, spm_time now)
{
	spm_kind *k = spm__kind_find(db, "task", 0);
	spm_scan_cond conds[2] = { { 0, SPM_CMP_LT, now, NULL }, { 0, SPM_CMP_EQ, 0, "open" } };
	spm_scan scan = { SPM_SCAN_VERSION, conds, 2, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	struct spm__txn t;
	int rc;

	if (k == NULL)
		return SPM_OK;
	conds[0].field = (size_t)spm__core_index(k, "due_at");
	conds[1].field = (size_t)spm__core_index(k, "status");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	t.at = now;
	rc = spm__scan_page(db, &page, k, &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
		if (spm__fld_is(spm__fld_text(page.recs[i], "status"), "open") &&
		    !spm__fld_num(page.recs[i], "overdue_raised") && spm__fld_has(page.recs[i], "due_at"))
			rc = overdue(&t, page.recs[i]);
	spm__page_clear(db, &page);
	if (rc != SPM_OK || t.nev == 0) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
