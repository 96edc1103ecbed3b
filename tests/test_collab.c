/* Tasks and comments: linked to any record and seen only by those who may
 * see it; overdue tasks raise an event from tick once; mentions raise an
 * event per mentioned user. */
#include "collab_helpers.h"

TestSuite(collab, .init = org_setup, .fini = org_teardown);

static int64_t task_on(const char *kind, int64_t id, int64_t assignee, const char *due)
{
	char i[24], a[24];

	snprintf(i, sizeof(i), "%lld", (long long)id);
	snprintf(a, sizeof(a), "%lld", (long long)assignee);
	return ADD("task", "title", "Call back", "record_kind", kind, "record_id", i,
		   "assignee_id", a, "due_at", due);
}

static int save_comment(int64_t *out, const char *kind, int64_t id, const char *text)
{
	return spm_comment_add(out, db, kind, id, text);
}

Test(collab, an_overdue_task_raises_one_event_per_due_time)
{
	int64_t t = task_on("customer", 1, U_AN, "2026-03-01T10:00:00Z");
	struct seen s;

	ADD("task", "title", "Done already", "assignee_id", "2", "due_at", "2026-03-01T10:00:00Z",
	    "status", "done");
	cr_assert_str_eq(field_of("task", t, "status"), "open");
	cr_assert_str_eq(field_of("task", t, "created_by"), "(null)");  /* the system made it */
	cr_assert_eq(spm_db_tick(db, T0 + 3600), SPM_OK);  /* exactly due: not overdue */
	cr_assert_eq(events_of(SPM_EVENT_TASK_OVERDUE).n, 0);
	cr_assert_eq(spm_db_tick(db, T0 + 3601), SPM_OK);
	s = events_of(SPM_EVENT_TASK_OVERDUE);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.entity, t);
	cr_assert_str_eq(s.payload, "{\"assignee_id\":2,\"due_at\":\"2026-03-01T10:00:00Z\","
			 "\"record_kind\":\"customer\",\"record_id\":1}");
	cr_assert_eq(spm_db_tick(db, T0 + 7200), SPM_OK);
	cr_assert_eq(events_of(SPM_EVENT_TASK_OVERDUE).n, 1);
	/* a new due time is a new deadline */
	cr_assert_eq(update("task", t, "due_at", "2026-03-02T10:00:00Z"), SPM_OK);
	cr_assert_eq(spm_db_tick(db, T0 + 86400 + 3601), SPM_OK);
	cr_assert_eq(events_of(SPM_EVENT_TASK_OVERDUE).n, 2);
	cr_assert_eq(update("task", t, "status", "done"), SPM_OK);
	cr_assert_str_eq(field_of("task", t, "completed_at"), "2026-03-01T09:00:00Z");
}

Test(collab, tasks_are_checked)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "task"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "title", "x"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "status", "later"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "status", "open"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "record_kind", "customer"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);  /* kind without id */
	cr_assert_eq(spm_record_set_int(r, "record_id", 99), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_set_text(r, "record_kind", "_audit"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "record_kind", "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "record_id", 1), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "assignee_id", 77), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(count_records(db, "task"), 0);
	cr_assert_eq(spm_record_set_int(r, "assignee_id", U_AN), SPM_OK);
	as(U_AN);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field_of("task", spm_record_id(r), "created_by"), "2");
	spm_record_free(r);
}

Test(collab, a_rep_sees_tasks_and_comments_only_on_records_they_may_see)
{
	int64_t opp_bo = deal(2, U_BO, "open"), c = 0;

	task_on("opportunity", opp_bo, U_BO, "2026-03-05T00:00:00Z");
	task_on("customer", 1, U_AN, "2026-03-05T00:00:00Z");
	ADD("task", "title", "Own to-do", "assignee_id", "2");
	ADD("task", "title", "Bo's to-do", "assignee_id", "3");
	cr_assert_eq(save_comment(NULL, "opportunity", opp_bo, "Bo's deal"), SPM_OK);
	cr_assert_eq(save_comment(NULL, "customer", 1, "An's customer"), SPM_OK);
	cr_assert_eq(count_as(U_AN, "task"), 2);
	cr_assert_eq(count_as(U_BO, "task"), 2);
	cr_assert_eq(count_as(U_MO, "task"), 4);
	cr_assert_eq(count_as(U_AN, "comment"), 1);
	cr_assert_eq(count_as(U_BO, "comment"), 1);
	as(U_AN);
	cr_assert_eq(save_comment(&c, "opportunity", opp_bo, "let me in"), SPM_ENOTFOUND);
	cr_assert_eq(c, 0);
	cr_assert_eq(spm_record_get(&(spm_record *){ NULL }, db, "comment", 1), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_delete(db, "task", 1), SPM_ENOTFOUND);
}

Test(collab, mentions_raise_one_event_per_user)
{
	int64_t c = 0;
	struct seen s;

	as(U_AN);
	cr_assert_eq(save_comment(&c, "customer", 1, "@[4] please look, and @[Bo] too @[4]"),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field_of("comment", c, "mentions"), "3,4");
	cr_assert_str_eq(field_of("comment", c, "author_id"), "2");
	s = events_of(SPM_EVENT_MENTION);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.all, "{\"user\":3,\"author_id\":2,\"record_kind\":\"customer\","
			 "\"record_id\":1};{\"user\":4,\"author_id\":2,\"record_kind\":"
			 "\"customer\",\"record_id\":1};");
	/* an edit raises events for new mentions only */
	cr_assert_eq(update("comment", c, "content", "@[4] @[Ada] ping"), SPM_OK);
	cr_assert_str_eq(field_of("comment", c, "mentions"), "1,4");
	s = events_of(SPM_EVENT_MENTION);
	cr_assert_eq(s.n, 3);
	cr_assert(strstr(s.payload, "\"user\":1,"));
	/* no mention syntax, no event */
	cr_assert_eq(save_comment(NULL, "customer", 1, "mail me @ home, or [4]"), SPM_OK);
	cr_assert_eq(events_of(SPM_EVENT_MENTION).n, 3);
}

Test(collab, comments_are_checked_and_only_the_author_edits)
{
	int64_t c = 0;

	as(U_AN);
	cr_assert_eq(save_comment(NULL, "customer", 1, "hi @[Nobody]"), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "@[Nobody] names no user"), "%s", spm_error_message());
	cr_assert_eq(save_comment(NULL, "customer", 1, "hi @[999]"), SPM_EINVAL);
	cr_assert_eq(save_comment(NULL, "customer", 99, "hi"), SPM_ENOTFOUND);
	cr_assert_eq(save_comment(NULL, "nokind", 1, "hi"), SPM_ENOTFOUND);
	as(U_ADA);
	cr_assert_eq(save_comment(NULL, "nokind", 1, "hi"), SPM_EINVAL);
	cr_assert_eq(save_comment(NULL, "_event", 1, "hi"), SPM_EINVAL);
	as(U_AN);
	cr_assert_eq(save_comment(NULL, "customer", 1, ""), SPM_EINVAL);
	cr_assert_eq(save_comment(NULL, "customer", 1, "\xff"), SPM_EINVAL);
	cr_assert_eq(save_comment(NULL, NULL, 1, "hi"), SPM_EINVAL);
	cr_assert_eq(count_records(db, "comment"), 0);
	cr_assert_eq(events_of(SPM_EVENT_MENTION).n, 0);
	cr_assert_eq(save_comment(&c, "customer", 1, "mine"), SPM_OK);
	as(U_MO);  /* the manager sees it but may not rewrite it */
	cr_assert_eq(update("comment", c, "content", "edited"), SPM_EPERM);
	cr_assert_eq(spm_record_delete(db, "comment", c), SPM_EPERM);
	as(U_AN);
	cr_assert_eq(update("comment", c, "record_id", "2"), SPM_ENOTFOUND);  /* Bo's */
	as(U_ADA);
	cr_assert_eq(update("comment", c, "record_id", "2"), SPM_EINVAL);
	cr_assert(strstr(spm_error_message(), "cannot move"));
	as(U_AN);
	cr_assert_eq(update("comment", c, "content", "edited"), SPM_OK);
	cr_assert_eq(spm_record_delete(db, "comment", c), SPM_OK);
}

Test(collab, event_and_error_names)
{
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_TASK_OVERDUE), "task.overdue");
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_MENTION), "mention");
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_APPROVAL_CANCELLED), "approval.cancelled");
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_PAYMENT_RECEIVED), "payment.received");
	cr_assert_null(spm_event_type_name(31));
	cr_assert_str_eq(spm_result_name(SPM_EAPPROVAL), "SPM_EAPPROVAL");
}
