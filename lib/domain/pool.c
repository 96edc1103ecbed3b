/* The lead pool (公海): claiming under the pool policy, and releasing.
 * A claim is one write transaction that reads the lead and sets its owner;
 * the storage serializes writers (SQLite: BEGIN IMMEDIATE), so of two
 * claims of one lead the second finds an owner and loses. */
#include "domain/lead.h"
#include "domain/org.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "core/write.h"
#include "core/store.h"
#include "core/utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 500

static int64_t num(const spm_record *rec, const char *name, int *has_out)
{
	long i = spm__core_index(rec->kind, name);
	int has = i >= 0 && !spm_record_value_null(rec, (size_t)i);

	if (has_out)
		*has_out = has;
	return has ? spm_record_value_int(rec, (size_t)i) : 0;
}

int spm__pool_policy(spm_record **out, spm_db *db)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(db, &page, spm__kind_find(db, "pool_policy", 0), &scan);

	*out = NULL;
	if (rc == SPM_OK && page.n) {
		*out = page.recs[0];
		page.n = 0;
	}
	spm__page_clear(db, &page);
	return rc;
}

/* Open leads the user holds that count against max_open. Without an exempt
 * rule the storage counts them (an index range, no record is read into
 * memory); an exempt rule is an expression over the whole lead, so then
 * each of the user's leads is read and tested. */
int spm__pool_count_open(int64_t *out, struct spm__txn *t, int64_t user, const spm__rule *exempt)
{
	spm_kind *kind = spm__kind_find(t->db, "lead", 0);
	size_t status_field = (size_t)spm__core_index(kind, "status");
	/* a stored lead always has a status (spm__lead_validate) */
	spm_scan_cond conds[3] = {
		{ (size_t)spm__core_index(kind, "owner_id"), SPM_CMP_EQ, user, NULL },
		{ status_field, SPM_CMP_NE, 0, "converted" },
		{ status_field, SPM_CMP_NE, 0, "disqualified" },
	};
	spm_scan scan = { SPM_SCAN_VERSION, conds, exempt ? 1 : 3, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	if (exempt == NULL)
		return spm__store_count(t->db, out, kind, &scan);
	rc = spm__scan_page(t->db, &page, kind, &scan);

	*out = 0;
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		const char *status = spm_record_value_text(page.recs[i],
			(size_t)spm__core_index(kind, "status"), NULL);
		int met = 0;

		if (status && (strcmp(status, "converted") == 0 || strcmp(status, "disqualified") == 0))
			continue;
		if (exempt) {
			spm__rule_ctx ctx;
			spm__record_rule_ctx(&ctx, page.recs[i], t->at);
			rc = spm__rule_met(&met, NULL, exempt, &ctx);
		}
		if (rc == SPM_OK && !met)
			(*out)++;
	}
	spm__page_clear(t->db, &page);
	return rc;
}

int spm__pool_count_claims_today(int64_t *out, struct spm__txn *t, int64_t user)
{
	spm_kind *kind = spm__kind_find(t->db, SPM__KIND_CLAIM, 1);
	spm_time day = t->at - ((t->at % 86400) + 86400) % 86400;
	spm_scan_cond conds[2] = {
		{ SPM__CLAIM_USER, SPM_CMP_EQ, user, NULL },
		{ SPM__CLAIM_AT, SPM_CMP_GE, day, NULL },
	};
	spm_scan scan = { SPM_SCAN_VERSION, conds, 2, 0, 0, 0, 0, NULL, 0 };

	return spm__store_count(t->db, out, kind, &scan);
}

static int check_policy(struct spm__txn *t, const spm_record *lead, int64_t user)
{
	spm_record *policy = NULL;
	spm__rule *exempt = NULL;
	int64_t limit, n;
	int set, rc = spm__pool_policy(&policy, t->db);
	char when[32];

	if (rc != SPM_OK || policy == NULL)
		return rc;
	limit = num(policy, "lock_hours", &set);
	if (set && limit && num(lead, "pooled_at", NULL) + limit * 3600 > t->at) {
		spm__format_time(when, sizeof(when), num(lead, "pooled_at", NULL) + limit * 3600);
		rc = spm__error_set(SPM_ELIMIT, "lead %lld is locked in the pool until %s",
				    (long long)lead->id, when);
	}
	limit = num(policy, "cooldown_days", &set);
	if (rc == SPM_OK && set && limit && num(lead, "previous_owner_id", NULL) == user &&
	    num(lead, "released_at", NULL) + limit * 86400 > t->at) {
		spm__format_time(when, sizeof(when), num(lead, "released_at", NULL) + limit * 86400);
		rc = spm__error_set(SPM_ELIMIT, "user %lld released lead %lld and may claim it "
				    "again from %s", (long long)user, (long long)lead->id, when);
	}
	limit = num(policy, "max_open", &set);
	if (rc == SPM_OK && set) {
		const char *rule = spm_record_value_text(policy,
			(size_t)spm__core_index(policy->kind, "exempt_rule"), NULL);
		if (rule)
			rc = spm__record_rule_compile(&exempt, t->db, lead->kind, rule,
						      "pool_policy.exempt_rule");
		if (rc == SPM_OK)
			rc = spm__pool_count_open(&n, t, user, exempt);
		if (rc == SPM_OK && n >= limit)
			rc = spm__error_set(SPM_ELIMIT, "user %lld holds %lld open leads (max_open "
					    "%lld)", (long long)user, (long long)n, (long long)limit);
	}
	limit = num(policy, "daily_claims", &set);
	if (rc == SPM_OK && set) {
		rc = spm__pool_count_claims_today(&n, t, user);
		if (rc == SPM_OK && n >= limit)
			rc = spm__error_set(SPM_ELIMIT, "user %lld made %lld claims today "
					    "(daily_claims %lld)", (long long)user, (long long)n,
					    (long long)limit);
	}
	spm__rule_free(exempt);
	spm_record_free(policy);
	return rc;
}

int spm__pool_log_claim(struct spm__txn *t, int64_t lead, int64_t user)
{
	spm_record *rec;
	int rc = spm__record_make(&rec, t->db, spm__kind_find(t->db, SPM__KIND_CLAIM, 1));

	if (rc != SPM_OK)
		return rc;
	rc = spm__record_put_int(rec, SPM__CLAIM_LEAD, lead);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__CLAIM_USER, user);
	if (rc == SPM_OK)
		rc = spm__record_put_int(rec, SPM__CLAIM_AT, t->at);
	if (rc == SPM_OK)
		rc = spm__txn_put_system(t, rec);
	spm_record_free(rec);
	return rc;
}

/* Reads the lead for a pool operation: missing and out of scope look alike. */
static int read_lead(spm_record **out, struct spm__txn *t, int64_t id)
{
	struct spm__scope *s;
	int seen = 0;
	int rc = t->db->ops->get(t->db->store, out, spm__kind_find(t->db, "lead", 0), id);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, *out);
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !seen)) {
		spm_record_free(*out);
		*out = NULL;
		return spm__error_set(SPM_ENOTFOUND, "lead %lld does not exist", (long long)id);
	}
	return rc;
}

static int claim_in_txn(struct spm__txn *t, int64_t id)
{
	spm_record *lead = NULL, *stored = NULL;
	int64_t user = t->db->actor;
	char payload[64];
	/* Unscoped read: a lead with an owner is a lost race whoever holds it;
	 * claiming reveals no more than that the id is not in the pool. */
	int rc = t->db->ops->get(t->db->store, &lead, spm__kind_find(t->db, "lead", 0), id);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "lead %lld does not exist", (long long)id);
	if (rc == SPM_OK && num(lead, "owner_id", NULL))
		rc = spm__error_set(SPM_ECONFLICT, "lead %lld is not in the pool: someone claimed it",
				    (long long)id);
	if (rc == SPM_OK)
		rc = check_policy(t, lead, user);
	if (rc == SPM_OK)
		rc = spm__record_put_int(lead, (size_t)spm__core_index(lead->kind, "owner_id"), user);
	t->owner_via = "claim";
	if (rc == SPM_OK)
		rc = spm__write_save(t, lead, &stored);
	t->owner_via = NULL;
	if (rc == SPM_OK)
		rc = spm__pool_log_claim(t, id, user);
	snprintf(payload, sizeof(payload), "{\"user_id\":%lld}", (long long)user);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_LEAD_CLAIMED, "lead", id, payload);
	spm_record_free(stored);
	spm_record_free(lead);
	return rc;
}

int spm_lead_claim(spm_db *db, int64_t lead)
{
	struct spm__txn t;
	int rc;

	SPM__CHECK_ARG(db);
	if (db->actor == 0)
		return spm__error_set(SPM_EPERM, "the system (actor 0) cannot own leads");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = claim_in_txn(&t, lead);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}

static int release_in_txn(struct spm__txn *t, int64_t id, const char *reason)
{
	spm_record *lead = NULL, *stored = NULL;
	json_t *payload = NULL;
	char *text = NULL;
	int64_t owner;
	int rc = read_lead(&lead, t, id);

	owner = rc == SPM_OK ? num(lead, "owner_id", NULL) : 0;
	if (rc == SPM_OK && owner == 0)
		rc = spm__error_set(SPM_EINVAL, "lead %lld is already in the pool", (long long)id);
	if (rc == SPM_OK) {
		spm__record_put_null(lead, (size_t)spm__core_index(lead->kind, "owner_id"));
		rc = spm__record_put_text(lead, (size_t)spm__core_index(lead->kind, "release_reason"),
					  reason, strlen(reason));
	}
	t->owner_via = "release";
	t->owner_reason = reason;
	if (rc == SPM_OK)
		rc = spm__write_save(t, lead, &stored);
	t->owner_via = t->owner_reason = NULL;
	if (rc == SPM_OK) {
		payload = json_pack("{sIss}", "previous_owner_id", (json_int_t)owner, "reason",
				    reason);
		text = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		rc = text ? spm__txn_event(t, SPM_EVENT_LEAD_RELEASED, "lead", id, text)
			  : spm__error_oom();
	}
	free(text);
	json_decref(payload);
	spm_record_free(stored);
	spm_record_free(lead);
	return rc;
}

int spm_lead_release(spm_db *db, int64_t lead, const char *reason)
{
	struct spm__txn t;
	size_t len;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(reason);
	len = strlen(reason);
	if (len == 0 || len > REASON_MAX || !spm__utf8_valid(reason, len))
		return spm__error_set(SPM_EINVAL, "a release reason is 1..%d bytes of UTF-8",
				      REASON_MAX);
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = release_in_txn(&t, lead, reason);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
