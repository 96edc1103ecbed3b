/* Kinds of the leads/customers area added in version 4 (included by kinds.c
 * only): the ownership history of leads, customers and opportunities. */
#ifndef SPM_CORE_KINDS_LEADS_H
#define SPM_CORE_KINDS_LEADS_H

/* One row per change of owner. Its parent is polymorphic: "kind" names the
 * kind of entity_id, so a row is seen by whoever sees that record
 * (parent_kind NULL, see lib/domain/scope.c). */
static const struct spm__core_field ownership_change_fields[] = {
	{ "kind", SPM_FIELD_TEXT, RQ | IX, 4, 64 },
	{ "entity_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "from_owner", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "to_owner", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "at", SPM_FIELD_TIME, RQ | IX, 4, 0 },
	{ "actor", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "via", SPM_FIELD_TEXT, RQ, 4, 20 },
	{ "reason", SPM_FIELD_TEXT, 0, 4, 500 },
};

/* The table entries, in kinds.c's order. */
#define SPM__KINDS_LEADS \
	{ "ownership_change", 4, 0, ownership_change_fields, N(ownership_change_fields), NULL, \
	  "entity_id", NULL, NULL, spm__ownership_change_validate, NULL },

#endif
