/* The rules of leads, follow-ups and the pool policy, checked inside the
 * write transaction, and the follow-up reminders run by tick. */
#include "domain/lead.h"
#include "core/store.h"
#include "domain/dedupe.h"
#include "domain/org.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "domain/record_fields.h"
#include "core/write.h"

#include <stdio.h>
#include <string.h>

static const char *const statuses[] = {
	"new", "assigned", "contacted", "qualified", "converted", "disqualified"
};

static const char *const activity_types[] = {
	"call", "visit", "email", "meeting", "message", "note"
};

static int one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Keeps the pool bookkeeping when the owner changes: claimed or assigned
 * leads get assigned_at; leads put back get pooled_at and remember who had
 * them (for the cooldown). */
static int owner_changed(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int64_t old = before ? spm__fld_num(before, "owner_id") : 0;
	int64_t now_owner = spm__fld_num(after, "owner_id");
	const char *status = spm__fld_text(after, "status");
	int rc = SPM_OK;

	if (before && old == now_owner)
		return SPM_OK;
	if (now_owner) {
		rc = spm__fld_put_num(after, "assigned_at", t->at);
		if (rc == SPM_OK && (status == NULL || strcmp(status, "new") == 0))
			rc = spm__fld_put_text(after, "status", "assigned");
		return rc;
	}
	rc = spm__fld_put_num(after, "pooled_at", t->at);
	if (rc == SPM_OK && old) {
		rc = spm__fld_put_num(after, "previous_owner_id", old);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(after, "released_at", t->at);
	}
	if (rc == SPM_OK && (status == NULL || strcmp(status, "assigned") == 0 ||
			     strcmp(status, "contacted") == 0))
		rc = spm__fld_put_text(after, "status", "new");
	return rc;
}

int spm__lead_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *status, *old_status;
	int rc;

	if (after == NULL)  /* a delete: the owner's count changes */
		return spm__assign_on_write(t, before, NULL);
	rc = owner_changed(t, before, after);
	if (rc == SPM_OK)
		rc = spm__dedupe_check(t, before, after);
	if (rc == SPM_OK && t->merged == NULL)
		rc = spm__assign_on_write(t, before, after);
	if (rc != SPM_OK)
		return rc;
	status = spm__fld_text(after, "status");
	old_status = before ? spm__fld_text(before, "status") : NULL;
	if (!one_of(status, statuses, sizeof(statuses) / sizeof(statuses[0])))
		return spm__error_set(SPM_EINVAL, "lead.status must be new, assigned, contacted, "
				      "qualified, converted or disqualified, not '%s'", status);
	if (old_status && strcmp(old_status, "converted") == 0 && strcmp(status, "converted") != 0)
		return spm__error_set(SPM_EINVAL, "lead %lld is converted; its status is final",
				      (long long)after->id);
	if (strcmp(status, "disqualified") == 0 && !spm__fld_has(after, "disqualify_reason"))
		return spm__error_set(SPM_EINVAL, "a disqualified lead needs disqualify_reason");
	return SPM_OK;
}

static int check_attachment(const spm_record *a)
{
	const char *uri = spm__fld_text(a, "attachment_uri");
	size_t scheme = 0;

	if (!uri != !spm__fld_has(a, "attachment_mime"))
		return spm__error_set(SPM_EINVAL, "an attachment needs both attachment_uri and "
				      "attachment_mime");
	if (uri == NULL)
		return SPM_OK;
	while ((uri[scheme] >= 'a' && uri[scheme] <= 'z') || (uri[scheme] >= '0' && uri[scheme] <= '9') ||
	       uri[scheme] == '+' || uri[scheme] == '-' || uri[scheme] == '.')
		scheme++;
	if (scheme == 0 || uri[scheme] != ':' || uri[0] < 'a' || uri[0] > 'z')
		return spm__error_set(SPM_EINVAL, "activity.attachment_uri must be a URI with a "
				      "scheme (https:, s3:, file:, …)");
	return SPM_OK;
}

/* The lead or customer an activity is about, read and scope-checked. */
static int activity_parent(spm_record **out, struct spm__txn *t, const spm_record *a)
{
	const char *kind = spm__fld_has(a, "lead_id") ? "lead" : "customer";
	int64_t id = spm__fld_num(a, spm__fld_has(a, "lead_id") ? "lead_id" : "customer_id");
	struct spm__scope *s;
	int seen = 0;
	int rc = t->db->ops->get(t->db->store, out, spm__kind_find(t->db, kind, 0), id);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, *out);
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !seen)) {
		spm_record_free(*out);
		*out = NULL;
		return spm__error_set(SPM_ENOTFOUND, "activity.%s_id: %s %lld does not exist", kind,
				      kind, (long long)id);
	}
	return rc;
}

int spm__activity_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	spm_record *parent = NULL;
	int rc;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	if (!one_of(spm__fld_text(after, "type"), activity_types,
		    sizeof(activity_types) / sizeof(activity_types[0])))
		return spm__error_set(SPM_EINVAL, "activity.type must be call, visit, email, meeting, "
				      "message or note");
	if (spm__fld_has(after, "lead_id") == spm__fld_has(after, "customer_id"))
		return spm__error_set(SPM_EINVAL, "an activity belongs to a lead or a customer "
				      "(set exactly one of lead_id, customer_id)");
	rc = check_attachment(after);
	if (rc == SPM_OK)
		rc = activity_parent(&parent, t, after);
	spm_record_free(parent);
	if (rc == SPM_OK && !spm__fld_has(after, "owner_id") && t->db->actor)
		rc = spm__fld_put_num(after, "owner_id", t->db->actor);
	return rc;
}

int spm__activity_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	spm_record *parent = NULL, *stored = NULL;
	const char *status;
	int rc;

	(void)before;
	rc = activity_parent(&parent, t, after);
	if (rc != SPM_OK)
		return rc;
	if (spm__fld_num(after, "at") > spm__fld_num(parent, "last_contact_at"))
		rc = spm__fld_put_num(parent, "last_contact_at", spm__fld_num(after, "at"));
	if (rc == SPM_OK && spm__fld_has(after, "next_follow_up") &&
	    spm__fld_num(after, "next_follow_up") != spm__fld_num(parent, "next_follow_up")) {
		rc = spm__fld_put_num(parent, "next_follow_up", spm__fld_num(after, "next_follow_up"));
		spm__record_put_null(parent, (size_t)spm__fld_idx(parent, "follow_up_reminded"));
	}
	status = strcmp(parent->kind->name, "lead") == 0 ? spm__fld_text(parent, "status") : NULL;
	if (rc == SPM_OK && status && strcmp(status, "assigned") == 0)
		rc = spm__fld_put_text(parent, "status", "contacted");
	if (rc == SPM_OK)
		rc = spm__write_save(t, parent, &stored);
	spm_record_free(stored);
	spm_record_free(parent);
	return rc;
}

int spm__pool_policy_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	static const char *const limits[] = { "max_open", "daily_claims", "cooldown_days",
					      "lock_hours" };
	const char *rule;
	int rc = spm__assign_config_write(t);

	(void)before;
	if (rc != SPM_OK || after == NULL)
		return rc;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (spm__fld_num(after, limits[i]) < 0)
			return spm__error_set(SPM_EINVAL, "pool_policy.%s is not negative", limits[i]);
	rule = spm__fld_text(after, "exempt_rule");
	if (rule) {
		spm__rule *r = NULL;
		rc = spm__record_rule_compile(&r, t->db, spm__kind_find(t->db, "lead", 0), rule,
					      "pool_policy.exempt_rule");
		if (rc == SPM_OK && spm__rule_result_type(r) != SPM__RULE_BOOLEAN)
			rc = spm__error_set(SPM_EINVAL, "pool_policy.exempt_rule must be a condition "
					    "(true or false)");
		spm__rule_free(r);
	}
	return rc;
}

/* Raises the reminders of one kind: records whose next follow-up date has
 * come and that were not reminded for that date yet. */
static int remind_kind(struct spm__txn *t, const char *kind_name, spm_date today)
{
	spm_kind *kind = spm__kind_find(t->db, kind_name, 0);
	spm_scan_cond cond = { (size_t)spm__core_index(kind, "next_follow_up"), SPM_CMP_LE, today,
			       NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, kind, &scan);

	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		spm_record *rec = page.recs[i];
		char payload[96], date[SPM_DATE_FORMAT_MAX];
		int64_t due = spm__fld_num(rec, "next_follow_up");

		if (spm__fld_has(rec, "follow_up_reminded") && spm__fld_num(rec, "follow_up_reminded") >= due)
			continue;
		rc = spm_date_format(date, sizeof(date), (spm_date)due);
		snprintf(payload, sizeof(payload), "{\"owner_id\":%lld,\"next_follow_up\":\"%s\"}",
			 (long long)spm__fld_num(rec, "owner_id"), date);
		if (rc == SPM_OK)
			rc = spm__txn_event(t, SPM_EVENT_FOLLOW_UP_DUE, kind->name, rec->id, payload);
		/* bookkeeping only: no audit entry, but the row's sequence moves */
		if (rc == SPM_OK)
			rc = spm__fld_put_num(rec, "follow_up_reminded", due);
		rec->seq = t->seq;
		if (rc == SPM_OK)
			rc = spm__store_put(t->db, rec);
	}
	spm__page_clear(t->db, &page);
	return rc;
}

int spm__follow_up_remind(spm_db *db, spm_time now)
{
	struct spm__txn t;
	spm_date today;
	int rc = spm_date_from_time(&today, now);

	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = remind_kind(&t, "lead", today);
	if (rc == SPM_OK)
		rc = remind_kind(&t, "customer", today);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	if (t.nev == 0) {
		spm__txn_abort(&t);  /* nothing due: no empty change */
		return SPM_OK;
	}
	return spm__txn_commit(&t);
}
