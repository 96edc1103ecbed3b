/* The static schema: entity kinds and their core fields, by schema version.
 * A kind or core field added later carries the schema version that added it,
 * and the storage backends create it when they upgrade past that version. */
#ifndef SPM_CORE_KINDS_H
#define SPM_CORE_KINDS_H

#include "spm/schema.h"

/* The schema version this library writes. Version 1: system kinds and
 * customer. Version 2: contact; customer.industry and customer.region.
 * Version 3: the org (role, user, team, membership), leads, activities and
 * the lead pool policy; customer follow-up fields. Version 4: pipelines,
 * stages, opportunities, line items and stage history. Version 5: one
 * audit row per change (_audit.changes). Version 6: assignment on create
 * (pool_policy.assign_on_create, assign_seed). Version 7: the audit log's
 * hash chain (_audit.hash) and its append-only triggers. A kind's core
 * fields are appended in version order. */
#define SPM__SCHEMA_VERSION 7

struct spm__txn;
struct spm_record;

struct spm__core_field {
	const char *name;
	spm_field_type type;
	unsigned int flags;
	int since;
	size_t max_length;  /* text only; 0 = SPM_TEXT_MAX */
};

/* Checks a write of the kind inside its transaction (domain rules); before
 * is NULL on create, after is NULL on delete. A hook may fill in what the
 * library keeps (defaults, timestamps) in after. */
typedef int (*spm__validate_fn)(struct spm__txn *t, const struct spm_record *before,
				struct spm_record *after);

struct spm__kind_def {
	const char *name;
	int since;
	unsigned int flags;
	const struct spm__core_field *fields;
	size_t nfields;
	/* Visibility (lib/domain/scope.c): records are seen through their
	 * owner field, or through the record their parent field points at. */
	const char *owner_field;
	const char *parent_field;
	const char *parent_kind;
	const char *write_action;   /* an action the actor's role needs to write */
	spm__validate_fn validate;
	/* After the record is stored, inside the same transaction: keeps
	 * related records current (e.g. a follow-up updates its lead). */
	spm__validate_fn after_write;
};

/* parent_kind of a kind whose records link to a record of any kind: the
 * linked kind's name is in the text field SPM__LINK_KIND, its id in
 * parent_field (tasks, comments). */
#define SPM__ANY_KIND "*"
#define SPM__LINK_KIND "record_kind"

extern const struct spm__kind_def spm__kind_defs[];
extern const size_t spm__kind_def_count;

/* Field indexes of the system kinds, in the order kinds.c defines them. */
enum { SPM__FIELD_KIND, SPM__FIELD_NAME, SPM__FIELD_TYPE, SPM__FIELD_FLAGS,
       SPM__FIELD_CHOICES, SPM__FIELD_LABEL, SPM__FIELD_MAXLEN };
enum { SPM__AUDIT_SEQ, SPM__AUDIT_AT, SPM__AUDIT_ACTOR, SPM__AUDIT_OP, SPM__AUDIT_KIND,
       SPM__AUDIT_ENTITY, SPM__AUDIT_FIELD, SPM__AUDIT_OLD, SPM__AUDIT_NEW,
       SPM__AUDIT_CHANGES, SPM__AUDIT_HASH };
enum { SPM__EVENT_SEQ, SPM__EVENT_AT, SPM__EVENT_ACTOR, SPM__EVENT_TYPE, SPM__EVENT_KIND,
       SPM__EVENT_ENTITY, SPM__EVENT_PAYLOAD };
enum { SPM__CONSUMER_NAME, SPM__CONSUMER_POSITION };
enum { SPM__IDEM_KEY, SPM__IDEM_HASH, SPM__IDEM_AT, SPM__IDEM_IDS };
enum { SPM__CLAIM_LEAD, SPM__CLAIM_USER, SPM__CLAIM_AT };
enum { SPM__NOTE_RULE, SPM__NOTE_ENTITY, SPM__NOTE_ANCHOR, SPM__NOTE_LEVEL };

#define SPM__KIND_FIELD "_field"
#define SPM__KIND_AUDIT "_audit"
#define SPM__KIND_EVENT "_event"
#define SPM__KIND_CONSUMER "_consumer"
#define SPM__KIND_IDEM "_idem"
#define SPM__KIND_CLAIM "_claim"
#define SPM__KIND_RECLAIM_NOTE "_reclaim_note"
/* The counter of change sequences (storage next_id). */
#define SPM__COUNTER_SEQ "_seq"

/* Core fields with these names and type TIME are kept by the library. */
#define SPM__CREATED_AT "created_at"
#define SPM__UPDATED_AT "updated_at"

#endif
