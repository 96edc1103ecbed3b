/* The static schema. Append only: a released kind or field never changes its
 * type or moves; new ones carry the schema version that adds them. */
#include "core/kinds.h"

#include "spm/sys/storage.h"
#include "domain/org.h"
#include "domain/lead.h"
#include "domain/customer.h"
#include "domain/dedupe.h"
#include "domain/ownership.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RO SPM_FIELD_READONLY
#define IX SPM_FIELD_INDEXED
#define RQ SPM_FIELD_REQUIRED

static const struct spm__core_field field_fields[] = {
	{ "kind", SPM_FIELD_TEXT, IX, 1, 64 },
	{ "name", SPM_FIELD_TEXT, 0, 1, 64 },
	{ "type", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "flags", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "choices", SPM_FIELD_TEXT, 0, 1, 0 },
	{ "label", SPM_FIELD_TEXT, 0, 1, 0 },
	{ "max_length", SPM_FIELD_INTEGER, 0, 1, 0 },
};

static const struct spm__core_field audit_fields[] = {
	{ "change_seq", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "at", SPM_FIELD_TIME, 0, 1, 0 },
	{ "actor", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "op", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "kind", SPM_FIELD_TEXT, IX, 1, 64 },
	{ "entity_id", SPM_FIELD_INTEGER, IX, 1, 0 },
	{ "field", SPM_FIELD_TEXT, 0, 1, 64 },
	{ "old_value", SPM_FIELD_TEXT, 0, 1, 0 },
	{ "new_value", SPM_FIELD_TEXT, 0, 1, 0 },
	/* Since 5: one row per record change, its fields as the JSON object
	 * {"field":{"old":…,"new":…},…} (field, old_value and new_value stay
	 * NULL); rows written before keep one field each. */
	{ "changes", SPM_FIELD_TEXT, 0, 5, 0 },
	/* Since 7: the hash chain (lib/core/audit_hash.c): SHA-256 of this row
	 * and the previous row's hash, as 64 lower-case hex digits. */
	{ "hash", SPM_FIELD_TEXT, 0, 7, 64 },
};

static const struct spm__core_field event_fields[] = {
	{ "change_seq", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "at", SPM_FIELD_TIME, 0, 1, 0 },
	{ "actor", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "type", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "kind", SPM_FIELD_TEXT, 0, 1, 64 },
	{ "entity_id", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "payload", SPM_FIELD_TEXT, 0, 1, 0 },
};

static const struct spm__core_field consumer_fields[] = {
	{ "name", SPM_FIELD_TEXT, IX, 1, 63 },
	{ "position", SPM_FIELD_INTEGER, 0, 1, 0 },
};

static const struct spm__core_field idem_fields[] = {
	{ "key", SPM_FIELD_TEXT, IX, 1, 255 },
	{ "hash", SPM_FIELD_INTEGER, 0, 1, 0 },
	{ "at", SPM_FIELD_TIME, IX, 1, 0 },
	{ "ids", SPM_FIELD_TEXT, 0, 1, 0 },
};

static const struct spm__core_field customer_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 1, 200 },
	{ "owner_id", SPM_FIELD_INTEGER, IX, 1, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 1, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 1, 0 },
	{ "industry", SPM_FIELD_TEXT, IX, 2, 100 },
	{ "region", SPM_FIELD_TEXT, IX, 2, 100 },
	{ "last_contact_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "next_follow_up", SPM_FIELD_DATE, IX, 3, 0 },
	{ "follow_up_reminded", SPM_FIELD_DATE, RO, 3, 0 },
	{ "lifecycle", SPM_FIELD_TEXT, IX, 3, 20 },
	{ "level", SPM_FIELD_TEXT, IX, 3, 20 },
	{ "level_manual", SPM_FIELD_BOOLEAN, 0, 3, 0 },
	{ "company_key", SPM_FIELD_TEXT, RO | IX, 3, 0 },
	{ "duplicate_of", SPM_FIELD_INTEGER, RO, 3, 0 },
	{ "tags", SPM_FIELD_TEXT, IX, 4, 1000 },
};

static const struct spm__core_field contact_fields[] = {
	{ "customer_id", SPM_FIELD_INTEGER, RQ | IX, 2, 0 },
	{ "name", SPM_FIELD_TEXT, RQ, 2, 200 },
	{ "email", SPM_FIELD_TEXT, IX, 2, 254 },
	{ "phone", SPM_FIELD_TEXT, 0, 2, 64 },
	{ "created_at", SPM_FIELD_TIME, RO, 2, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 2, 0 },
};

static const struct spm__core_field role_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 3, 100 },
	{ "scope", SPM_FIELD_INTEGER, RQ, 3, 0 },
	{ "actions", SPM_FIELD_TEXT, 0, 3, 2000 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field user_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 3, 200 },
	{ "email", SPM_FIELD_TEXT, IX, 3, 254 },
	{ "role_id", SPM_FIELD_INTEGER, RQ | IX, 3, 0 },
	{ "active", SPM_FIELD_BOOLEAN, RQ, 3, 0 },
	{ "leave_from", SPM_FIELD_DATE, 0, 3, 0 },
	{ "leave_to", SPM_FIELD_DATE, 0, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "hired_on", SPM_FIELD_DATE, 0, 4, 0 },
};

static const struct spm__core_field team_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ | IX, 3, 200 },
	{ "parent_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "manager_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field membership_fields[] = {
	{ "user_id", SPM_FIELD_INTEGER, RQ | IX, 3, 0 },
	{ "team_id", SPM_FIELD_INTEGER, RQ | IX, 3, 0 },
	{ "valid_from", SPM_FIELD_DATE, RQ, 3, 0 },
	{ "valid_to", SPM_FIELD_DATE, 0, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field claim_fields[] = {
	{ "lead_id", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "user_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "at", SPM_FIELD_TIME, IX, 3, 0 },
};

static const struct spm__core_field lead_fields[] = {
	{ "company", SPM_FIELD_TEXT, IX, 3, 200 },
	{ "contact_name", SPM_FIELD_TEXT, 0, 3, 200 },
	{ "phone", SPM_FIELD_TEXT, 0, 3, 64 },
	{ "email", SPM_FIELD_TEXT, 0, 3, 254 },
	{ "source", SPM_FIELD_TEXT, IX, 3, 100 },
	{ "region", SPM_FIELD_TEXT, IX, 3, 100 },
	{ "industry", SPM_FIELD_TEXT, IX, 3, 100 },
	{ "status", SPM_FIELD_TEXT, IX, 3, 20 },
	{ "disqualify_reason", SPM_FIELD_TEXT, 0, 3, 500 },
	{ "owner_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "previous_owner_id", SPM_FIELD_INTEGER, RO, 3, 0 },
	{ "pooled_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "assigned_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "released_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "release_reason", SPM_FIELD_TEXT, RO, 3, 500 },
	{ "last_contact_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "next_follow_up", SPM_FIELD_DATE, IX, 3, 0 },
	{ "follow_up_reminded", SPM_FIELD_DATE, RO, 3, 0 },
	{ "converted_customer_id", SPM_FIELD_INTEGER, RO, 3, 0 },
	{ "assigned_by_rule", SPM_FIELD_INTEGER, RO, 3, 0 },
	{ "assignment_reason", SPM_FIELD_TEXT, RO, 3, 500 },
	{ "email_key", SPM_FIELD_TEXT, RO | IX, 3, 0 },
	{ "phone_key", SPM_FIELD_TEXT, RO | IX, 3, 0 },
	{ "company_key", SPM_FIELD_TEXT, RO | IX, 3, 0 },
	{ "duplicate_of", SPM_FIELD_INTEGER, RO, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field grading_rule_fields[] = {
	{ "position", SPM_FIELD_INTEGER, RQ, 3, 0 },
	{ "condition", SPM_FIELD_TEXT, RQ, 3, 4096 },
	{ "level", SPM_FIELD_TEXT, RQ, 3, 20 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field assignment_rule_fields[] = {
	{ "position", SPM_FIELD_INTEGER, RQ, 3, 0 },
	{ "name", SPM_FIELD_TEXT, RQ, 3, 200 },
	{ "condition", SPM_FIELD_TEXT, 0, 3, 4096 },
	{ "method", SPM_FIELD_TEXT, RQ, 3, 20 },
	{ "users", SPM_FIELD_TEXT, 0, 3, 4000 },
	{ "territory_field", SPM_FIELD_TEXT, 0, 3, 63 },
	{ "territory_map", SPM_FIELD_TEXT, 0, 3, 4000 },
	{ "fixed_owner", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "active", SPM_FIELD_BOOLEAN, 0, 3, 0 },
	{ "rr_pointer", SPM_FIELD_INTEGER, RO, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field dedupe_policy_fields[] = {
	{ "target", SPM_FIELD_TEXT, RQ, 3, 20 },
	{ "mode", SPM_FIELD_TEXT, RQ, 3, 20 },
	{ "default_country", SPM_FIELD_TEXT, 0, 3, 4 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field activity_fields[] = {
	{ "type", SPM_FIELD_TEXT, RQ | IX, 3, 20 },
	{ "at", SPM_FIELD_TIME, RQ | IX, 3, 0 },
	{ "lead_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "customer_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "content", SPM_FIELD_TEXT, 0, 3, 0 },
	{ "attachment_uri", SPM_FIELD_TEXT, 0, 3, 2000 },
	{ "attachment_mime", SPM_FIELD_TEXT, 0, 3, 100 },
	{ "next_follow_up", SPM_FIELD_DATE, 0, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "opportunity_id", SPM_FIELD_INTEGER, IX, 4, 0 },
};

static const struct spm__core_field pool_policy_fields[] = {
	{ "max_open", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "exempt_rule", SPM_FIELD_TEXT, 0, 3, 4096 },
	{ "daily_claims", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "cooldown_days", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "lock_hours", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
	/* leads created without an owner go through the assignment rules
	 * (lib/domain/assign_create.c); ties broken by assign_seed when set */
	{ "assign_on_create", SPM_FIELD_BOOLEAN, 0, 6, 0 },
	{ "assign_seed", SPM_FIELD_INTEGER, 0, 6, 0 },
};

static const struct spm__core_field reclaim_rule_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ, 3, 200 },
	{ "target", SPM_FIELD_TEXT, RQ, 3, 20 },
	{ "basis", SPM_FIELD_TEXT, RQ, 3, 20 },
	{ "reclaim_days", SPM_FIELD_INTEGER, RQ, 3, 0 },
	{ "remind_owner_days", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "remind_manager_days", SPM_FIELD_INTEGER, 0, 3, 0 },
	{ "active", SPM_FIELD_BOOLEAN, 0, 3, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 3, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 3, 0 },
};

static const struct spm__core_field reclaim_note_fields[] = {
	{ "rule_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "entity_id", SPM_FIELD_INTEGER, IX, 3, 0 },
	{ "anchor", SPM_FIELD_TIME, 0, 3, 0 },
	{ "level", SPM_FIELD_INTEGER, 0, 3, 0 },
};

/* Version 4 and later: one header per area, each defining its field arrays
 * and a macro with its table entries (appended below, in this order). */
#include "core/kinds_pipeline.h"
#include "core/kinds_leads.h"
#include "core/kinds_collab.h"
#include "core/kinds_targets.h"
#include "core/kinds_analytics.h"

#define SYS(name, f) { name, 1, SPM_KIND_SYSTEM, f, N(f), NULL, NULL, NULL, NULL, NULL, NULL }

const struct spm__kind_def spm__kind_defs[] = {
	SYS(SPM__KIND_FIELD, field_fields),
	SYS(SPM__KIND_AUDIT, audit_fields),
	SYS(SPM__KIND_EVENT, event_fields),
	SYS(SPM__KIND_CONSUMER, consumer_fields),
	SYS(SPM__KIND_IDEM, idem_fields),
	{ SPM__KIND_CLAIM, 3, SPM_KIND_SYSTEM, claim_fields, N(claim_fields), NULL, NULL, NULL,
	  NULL, NULL, NULL },
	{ SPM__KIND_RECLAIM_NOTE, 3, SPM_KIND_SYSTEM, reclaim_note_fields, N(reclaim_note_fields),
	  NULL, NULL, NULL, NULL, NULL, NULL },
	{ "customer", 1, 0, customer_fields, N(customer_fields), "owner_id", NULL, NULL, NULL,
	  spm__customer_validate, NULL },
	{ "contact", 2, 0, contact_fields, N(contact_fields), NULL, "customer_id", "customer",
	  NULL, spm__org_validate_parent, NULL },
	{ "role", 3, 0, role_fields, N(role_fields), NULL, NULL, NULL, SPM_ACTION_ORG,
	  spm__org_validate_role, NULL },
	{ "user", 3, 0, user_fields, N(user_fields), NULL, NULL, NULL, SPM_ACTION_ORG,
	  spm__org_validate_user, NULL },
	{ "team", 3, 0, team_fields, N(team_fields), NULL, NULL, NULL, SPM_ACTION_ORG,
	  spm__org_validate_team, NULL },
	{ "membership", 3, 0, membership_fields, N(membership_fields), NULL, NULL, NULL,
	  SPM_ACTION_ORG, spm__org_validate_membership, NULL },
	{ "lead", 3, 0, lead_fields, N(lead_fields), "owner_id", NULL, NULL, NULL,
	  spm__lead_validate, NULL },
	{ "activity", 3, 0, activity_fields, N(activity_fields), "owner_id", NULL, NULL, NULL,
	  spm__activity_validate, spm__activity_after_write },
	{ "pool_policy", 3, 0, pool_policy_fields, N(pool_policy_fields), NULL, NULL, NULL,
	  SPM_ACTION_POOL, spm__pool_policy_validate, NULL },
	{ "assignment_rule", 3, 0, assignment_rule_fields, N(assignment_rule_fields), NULL, NULL,
	  NULL, SPM_ACTION_POOL, spm__assignment_rule_validate, NULL },
	{ "dedupe_policy", 3, 0, dedupe_policy_fields, N(dedupe_policy_fields), NULL, NULL, NULL,
	  SPM_ACTION_SCHEMA, spm__dedupe_policy_validate, NULL },
	{ "grading_rule", 3, 0, grading_rule_fields, N(grading_rule_fields), NULL, NULL, NULL,
	  SPM_ACTION_SCHEMA, spm__grading_rule_validate, NULL },
	{ "reclaim_rule", 3, 0, reclaim_rule_fields, N(reclaim_rule_fields), NULL, NULL, NULL,
	  SPM_ACTION_POOL, spm__reclaim_rule_validate, NULL },
	SPM__KINDS_PIPELINE
	SPM__KINDS_LEADS
	SPM__KINDS_COLLAB
	SPM__KINDS_TARGETS
	SPM__KINDS_ANALYTICS
};

const size_t spm__kind_def_count = N(spm__kind_defs);
