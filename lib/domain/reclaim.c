/* Reclaim rules (回收): leads or customers nobody works on go back to the
 * pool, after warnings to the owner and to the owner's manager. Driven by
 * spm_db_tick(); each warning is raised once per rule, record and anchor
 * (the time the clock started: the last follow-up or the assignment), so a
 * new follow-up restarts the timeline. */
#include "domain/lead.h"
#include "domain/org.h"
#include "core/kinds.h"
#include "domain/record_fields.h"
#include "core/write.h"

#include <stdio.h>
#include <string.h>

enum { LEVEL_OWNER = 1, LEVEL_MANAGER = 2 };

int spm__reclaim_rule_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *target, *basis;
	int64_t days, owner, manager;

	(void)t;
	(void)before;
	if (after == NULL)
		return SPM_OK;
	target = spm__fld_text(after, "target");
	basis = spm__fld_text(after, "basis");
	if (!spm__fld_is(target, "lead") && !spm__fld_is(target, "customer"))
		return spm__error_set(SPM_EINVAL, "reclaim_rule.target must be lead or customer");
	if (!spm__fld_is(basis, "no_follow_up") && !spm__fld_is(basis, "not_converted"))
		return spm__error_set(SPM_EINVAL, "reclaim_rule.basis must be no_follow_up or "
				      "not_converted");
	if (spm__fld_is(basis, "not_converted") && !spm__fld_is(target, "lead"))
		return spm__error_set(SPM_EINVAL, "reclaim_rule: only leads are converted");
	days = spm__fld_num(after, "reclaim_days");
	owner = spm__fld_num(after, "remind_owner_days");
	manager = spm__fld_num(after, "remind_manager_days");
	if (days <= 0 || days > 3650)
		return spm__error_set(SPM_EINVAL, "reclaim_rule.reclaim_days must be 1..3650");
	if ((spm__fld_has(after, "remind_owner_days") && (owner <= 0 || owner >= days)) ||
	    (spm__fld_has(after, "remind_manager_days") && (manager <= 0 || manager >= days)))
		return spm__error_set(SPM_EINVAL, "reclaim_rule: reminders come after 1 day and "
				      "before reclaim_days");
	return SPM_OK;
}

/* When the rule's clock started for rec; 0 when it does not apply. */
static spm_time anchor_of(const spm_record *rule, const spm_record *rec)
{
	int lead = strcmp(rec->kind->name, "lead") == 0;
	const char *status = lead ? spm__fld_text(rec, "status") : NULL;
	spm_time start = lead ? spm__fld_num(rec, "assigned_at") : spm__fld_num(rec, "created_at");

	if (!spm__fld_has(rec, "owner_id") || spm__fld_is(status, "converted") ||
	    spm__fld_is(status, "disqualified"))
		return 0;
	if (spm__fld_is(spm__fld_text(rule, "basis"), "no_follow_up") &&
	    spm__fld_num(rec, "last_contact_at") > start)
		start = spm__fld_num(rec, "last_contact_at");
	return start;
}

/* The manager of the owner's team today, or 0. */
static int64_t manager_of(spm_db *db, int64_t owner, spm_time now)
{
	spm_record *team = NULL;
	spm_date today;
	int64_t team_id, manager = 0;

	if (spm_date_from_time(&today, now) != SPM_OK ||
	    spm_org_team_of(&team_id, db, owner, today) != SPM_OK)
		return 0;
	if (db->ops->get(db->store, &team, spm__kind_find(db, "team", 0), team_id) == SPM_OK)
		manager = spm__fld_num(team, "manager_id");
	spm_record_free(team);
	return manager;
}

static int noted(int *out, struct spm__txn *t, int64_t rule, int64_t entity, spm_time anchor,
		 int level)
{
	spm_kind *kind = spm__kind_find(t->db, SPM__KIND_RECLAIM_NOTE, 1);
	spm_scan_cond conds[2] = {
		{ SPM__NOTE_RULE, SPM_CMP_EQ, rule, NULL },
		{ SPM__NOTE_ENTITY, SPM_CMP_EQ, entity, NULL },
	};
	spm_scan scan = { SPM_SCAN_VERSION, conds, 2, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, kind, &scan);

	*out = 0;
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
		if (spm_record_value_int(page.recs[i], SPM__NOTE_ANCHOR) == anchor &&
		    spm_record_value_int(page.recs[i], SPM__NOTE_LEVEL) == level)
			*out = 1;
	spm__page_clear(t->db, &page);
	return rc;
}

static int warn(struct spm__txn *t, const spm_record *rule, const spm_record *rec,
		spm_time anchor, int level, int64_t days_left)
{
	int64_t owner = spm__fld_num(rec, "owner_id");
	int64_t tell = level == LEVEL_OWNER ? owner : manager_of(t->db, owner, t->at);
	spm_record *note;
	char payload[200];
	int done, rc = noted(&done, t, rule->id, rec->id, anchor, level);

	if (rc != SPM_OK || done)
		return rc;
	snprintf(payload, sizeof(payload), "{\"rule\":%lld,\"level\":\"%s\",\"owner_id\":%lld,"
		 "\"notify\":%lld,\"days_left\":%lld}", (long long)rule->id,
		 level == LEVEL_OWNER ? "owner" : "manager", (long long)owner, (long long)tell,
		 (long long)days_left);
	rc = spm__txn_event(t, SPM_EVENT_RECLAIM_WARNING, rec->kind->name, rec->id, payload);
	if (rc == SPM_OK)
		rc = spm__record_make(&note, t->db, spm__kind_find(t->db, SPM__KIND_RECLAIM_NOTE, 1));
	if (rc != SPM_OK)
		return rc;
	rc = spm__record_put_int(note, SPM__NOTE_RULE, rule->id);
	if (rc == SPM_OK)
		rc = spm__record_put_int(note, SPM__NOTE_ENTITY, rec->id);
	if (rc == SPM_OK)
		rc = spm__record_put_int(note, SPM__NOTE_ANCHOR, anchor);
	if (rc == SPM_OK)
		rc = spm__record_put_int(note, SPM__NOTE_LEVEL, level);
	if (rc == SPM_OK)
		rc = spm__txn_put_system(t, note);
	spm_record_free(note);
	return rc;
}

static int reclaim(struct spm__txn *t, const spm_record *rule, spm_record *rec, int64_t days)
{
	int64_t owner = spm__fld_num(rec, "owner_id");
	long why = spm__fld_idx(rec, "release_reason");
	spm_record *stored = NULL;
	char payload[160], reason[260];
	int rc = SPM_OK;

	spm__record_put_null(rec, (size_t)spm__fld_idx(rec, "owner_id"));
	snprintf(reason, sizeof(reason), "reclaimed by rule %lld (%s)", (long long)rule->id,
		 spm__fld_text(rule, "name"));
	if (why >= 0)
		rc = spm__record_put_text(rec, (size_t)why, reason, strlen(reason));
	t->owner_via = "reclaim";
	t->owner_reason = reason;
	if (rc == SPM_OK)
		rc = spm__write_save(t, rec, &stored);
	t->owner_via = t->owner_reason = NULL;
	spm_record_free(stored);
	snprintf(payload, sizeof(payload), "{\"rule\":%lld,\"previous_owner_id\":%lld,\"days\":%lld}",
		 (long long)rule->id, (long long)owner, (long long)days);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_RECLAIMED, rec->kind->name, rec->id, payload);
	return rc;
}

static int apply_rule(struct spm__txn *t, const spm_record *rule)
{
	spm_kind *kind = spm__kind_find(t->db, spm__fld_text(rule, "target"), 0);
	spm_scan_cond cond = { (size_t)spm__core_index(kind, "owner_id"), SPM_CMP_GT, 0, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int64_t limit = spm__fld_num(rule, "reclaim_days");
	int rc = spm__scan_page(t->db, &page, kind, &scan);

	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		spm_record *rec = page.recs[i];
		spm_time anchor = anchor_of(rule, rec);
		int64_t days = anchor && t->at > anchor ? (t->at - anchor) / 86400 : 0;

		if (anchor == 0)
			continue;
		if (days >= limit) {
			rc = reclaim(t, rule, rec, days);
			continue;
		}
		if (spm__fld_has(rule, "remind_owner_days") && days >= spm__fld_num(rule, "remind_owner_days"))
			rc = warn(t, rule, rec, anchor, LEVEL_OWNER, limit - days);
		if (rc == SPM_OK && spm__fld_has(rule, "remind_manager_days") &&
		    days >= spm__fld_num(rule, "remind_manager_days"))
			rc = warn(t, rule, rec, anchor, LEVEL_MANAGER, limit - days);
	}
	spm__page_clear(t->db, &page);
	return rc;
}

int spm__reclaim_run(spm_db *db, spm_time now)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page rules = { NULL, 0, 0 };
	struct spm__txn t;
	int rc = spm__txn_begin(&t, db);

	if (rc != SPM_OK)
		return rc;
	t.at = now;  /* the rules run at the tick's now, not the handle's clock */
	rc = spm__scan_page(db, &rules, spm__kind_find(db, "reclaim_rule", 0), &all);
	for (size_t i = 0; rc == SPM_OK && i < rules.n; i++)
		if (!spm__fld_has(rules.recs[i], "active") || spm__fld_num(rules.recs[i], "active"))
			rc = apply_rule(&t, rules.recs[i]);
	spm__page_clear(db, &rules);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	if (t.nev == 0) {
		spm__txn_abort(&t);
		return SPM_OK;
	}
	return spm__txn_commit(&t);
}
