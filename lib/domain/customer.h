/* Customers: lifecycle, grading and lead conversion (include/spm/customer.h). */
#ifndef SPM_DOMAIN_CUSTOMER_H
#define SPM_DOMAIN_CUSTOMER_H

#include "spm/customer.h"

struct spm__txn;
struct spm_record;

int spm__customer_validate(struct spm__txn *t, const struct spm_record *before,
			   struct spm_record *after);
/* Normalizes customer.tags in place (EINVAL on a too long tag or list). */
int spm__customer_tags_normalize(struct spm_record *after);
int spm__grading_rule_validate(struct spm__txn *t, const struct spm_record *before,
			       struct spm_record *after);

#endif
