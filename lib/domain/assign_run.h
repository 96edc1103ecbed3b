/* One assignment run (lib/domain/assign.c): the pool policy, the active
 * rules in position order with their compiled conditions and round-robin
 * pointers, and the load of each user met so far. spm_lead_assign_pool2()
 * makes one per call; assignment on create (assign_create.c) one per write
 * transaction, so both decide alike. */
#ifndef SPM_DOMAIN_ASSIGN_RUN_H
#define SPM_DOMAIN_ASSIGN_RUN_H

#include "core/txn.h"

struct spm__rule;

struct spm__assign_load {
	int64_t user;
	int64_t open;
	int64_t claims;
	int known;          /* open and claims are counted */
	int availability;   /* 0: not read yet; 1: available; -1: not (or no such user) */
};

/* The open-lead counts a committed run knew, kept on the handle: valid as
 * long as the newest change sequence of the lead table is still lead_seq
 * (any lead written since, by anyone, moves it). */
struct spm__assign_cache {
	int64_t lead_seq;
	size_t n;
	struct { int64_t user, open; } *v;
};

struct spm__assign_run {
	spm_db *db;         /* set by open; the transaction may end before close */
	struct spm__txn *t;
	spm_record *policy;
	struct spm__rule *exempt;
	spm_date today;
	struct spm__assign_load *loads;
	size_t nloads;
	int32_t *slots;     /* hash of user -> index in loads; -1 empty */
	int cacheable;      /* no exempt rule, no daily limit: counts can be kept */
	struct spm__assign_cache *snapshot;  /* made by spm__assign_run_save */
	int seeded;         /* ties by seeded hash */
	uint64_t seed;
	struct spm__page rules;   /* active rules, by position */
	struct spm__rule **conds; /* their conditions (NULL: always) */
	int64_t *pointers;        /* their round-robin pointers */
	char why[300];            /* the reason of the last routed lead */
};

/* Loads the policy and the active rules into r (zeroed by the caller). */
int spm__assign_run_open(struct spm__assign_run *r, struct spm__txn *t, int seeded,
			 uint64_t seed);
/* The lead is in the pool now: no owner, status new, not locked. */
int spm__assign_in_pool(const struct spm__assign_run *r, const spm_record *lead);
/* The first rule whose condition the lead meets and that has an eligible
 * user: *user (0: none) and *rule (its index); r->why says why. */
int spm__assign_route(int64_t *user, size_t *rule, struct spm__assign_run *r,
		      const spm_record *lead);
/* What every assignment leaves besides the lead itself: the claim-log row
 * and SPM_EVENT_LEAD_ASSIGNED (user, rule id, why). */
int spm__assign_logged(struct spm__txn *t, int64_t lead, int64_t user, int64_t rule,
		       const char *why);
/* The lead went to user: counts it in the user's load. */
void spm__assign_count(struct spm__assign_run *r, int64_t user);
/* Forgets a user's counted load (a write the run did not make changed it). */
void spm__assign_forget(struct spm__assign_run *r, int64_t user);
/* Stores the round-robin pointers that moved (bookkeeping: no audit), and
 * snapshots the counts for the handle's cache. */
int spm__assign_run_save(struct spm__assign_run *r);
/* After the run's transaction committed: its snapshot becomes the handle's
 * cache. */
void spm__assign_run_committed(struct spm__assign_run *r);
void spm__assign_run_close(struct spm__assign_run *r);

#endif
