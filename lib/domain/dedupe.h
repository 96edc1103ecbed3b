/* Duplicate detection on leads and customers (include/spm/customer.h). */
#ifndef SPM_DOMAIN_DEDUPE_H
#define SPM_DOMAIN_DEDUPE_H

struct spm__txn;
struct spm_record;

/* Keeps the normalized keys of a lead or customer current and, on create,
 * applies the kind's dedupe policy (reject or flag). */
int spm__dedupe_check(struct spm__txn *t, const struct spm_record *before,
		      struct spm_record *after);
int spm__dedupe_policy_validate(struct spm__txn *t, const struct spm_record *before,
				struct spm_record *after);

#endif
