/* Ownership history: a row of kind ownership_change for every change of
 * owner of a lead, customer or opportunity (lib/domain/ownership.c). */
#ifndef SPM_DOMAIN_OWNERSHIP_H
#define SPM_DOMAIN_OWNERSHIP_H

#include <stdint.h>

struct spm__txn;
struct spm_record;

/* Called by the write path after a record of a kind with an owner field is
 * stored (before is NULL on create): when the owner changed, stores the row,
 * naming t->owner_via ("save" when NULL) and t->owner_reason. */
int spm__ownership_note(struct spm__txn *t, const struct spm_record *before,
			const struct spm_record *after);

/* Points every history row of (kind, from) at to (a merge). */
int spm__ownership_move(struct spm__txn *t, const char *kind, int64_t from, int64_t to);

/* The kind's hook: rows are written by the library only. */
int spm__ownership_change_validate(struct spm__txn *t, const struct spm_record *before,
				   struct spm_record *after);

#endif
