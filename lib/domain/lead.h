/* Leads, the pool and follow-ups (include/spm/lead.h). */
#ifndef SPM_DOMAIN_LEAD_H
#define SPM_DOMAIN_LEAD_H

#include "spm/lead.h"

struct spm__txn;
struct spm_record;
struct spm_db;

int spm__lead_validate(struct spm__txn *t, const struct spm_record *before,
		       struct spm_record *after);
int spm__activity_validate(struct spm__txn *t, const struct spm_record *before,
			   struct spm_record *after);
int spm__activity_after_write(struct spm__txn *t, const struct spm_record *before,
			      struct spm_record *after);
int spm__pool_policy_validate(struct spm__txn *t, const struct spm_record *before,
			      struct spm_record *after);
struct spm__rule;
/* The pool policy record (lowest id) or NULL; the counts the policy limits;
 * the claim log that daily_claims counts. */
int spm__pool_policy(struct spm_record **out, struct spm_db *db);
int spm__pool_count_open(int64_t *out, struct spm__txn *t, int64_t user,
			 const struct spm__rule *exempt);
int spm__pool_count_claims_today(int64_t *out, struct spm__txn *t, int64_t user);
int spm__pool_log_claim(struct spm__txn *t, int64_t lead, int64_t user);

/* Assignment on create (assign_create.c), from spm__lead_validate: routes a
 * new pool lead when the policy says so; for other lead writes (after NULL:
 * a delete) keeps the transaction's assignment run exact. */
int spm__assign_on_write(struct spm__txn *t, const struct spm_record *before,
			 struct spm_record *after);
/* From the pool policy's and the assignment rules' validation: SPM_EINVAL
 * once this transaction assigned on create (the run would be stale). */
int spm__assign_config_write(struct spm__txn *t);
/* Frees the handle's cache of open-lead counts (spm_db_close). */
void spm__assign_cache_free(struct spm_db *db);
int spm__assignment_rule_validate(struct spm__txn *t, const struct spm_record *before,
				  struct spm_record *after);
int spm__reclaim_rule_validate(struct spm__txn *t, const struct spm_record *before,
			       struct spm_record *after);
/* tick job: the reclaim rules — warnings, then back to the pool. */
int spm__reclaim_run(struct spm_db *db, spm_time now);
/* tick job: SPM_EVENT_FOLLOW_UP_DUE for leads and customers due at now. */
int spm__follow_up_remind(struct spm_db *db, spm_time now);

#endif
