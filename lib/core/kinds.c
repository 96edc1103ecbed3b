/* The static schema. Append only: a released kind or field never changes its
 * type or moves; new ones carry the schema version that adds them. */
#include "core/kinds.h"

#include "spm/sys/storage.h"

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
};

static const struct spm__core_field contact_fields[] = {
	{ "customer_id", SPM_FIELD_INTEGER, RQ | IX, 2, 0 },
	{ "name", SPM_FIELD_TEXT, RQ, 2, 200 },
	{ "email", SPM_FIELD_TEXT, IX, 2, 254 },
	{ "phone", SPM_FIELD_TEXT, 0, 2, 64 },
	{ "created_at", SPM_FIELD_TIME, RO, 2, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 2, 0 },
};

const struct spm__kind_def spm__kind_defs[] = {
	{ SPM__KIND_FIELD, 1, SPM_KIND_SYSTEM, field_fields, N(field_fields) },
	{ SPM__KIND_AUDIT, 1, SPM_KIND_SYSTEM, audit_fields, N(audit_fields) },
	{ SPM__KIND_EVENT, 1, SPM_KIND_SYSTEM, event_fields, N(event_fields) },
	{ SPM__KIND_CONSUMER, 1, SPM_KIND_SYSTEM, consumer_fields, N(consumer_fields) },
	{ SPM__KIND_IDEM, 1, SPM_KIND_SYSTEM, idem_fields, N(idem_fields) },
	{ "customer", 1, 0, customer_fields, N(customer_fields) },
	{ "contact", 2, 0, contact_fields, N(contact_fields) },
};

const size_t spm__kind_def_count = N(spm__kind_defs);
