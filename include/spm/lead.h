/**
 * @file lead.h
 * @brief Leads in the public pool (公海): claiming and releasing under the
 * pool policy, and follow-ups.
 *
 * Leads and follow-ups are records of the kinds "lead" and "activity"
 * (record.h). A lead without an owner is in the pool and visible to
 * everyone. Its status is one of new, assigned, contacted, qualified,
 * converted, disqualified (a disqualified lead needs disqualify_reason).
 *
 * Claiming is a compare-and-set in storage: of two handles or two processes
 * claiming one lead, exactly one wins; the other gets SPM_ECONFLICT. The
 * policy is the "pool_policy" record with the lowest id (none: no limits):
 * max_open — open leads a user may hold (leads matching exempt_rule, a rule
 * in the rule language over lead fields, do not count); daily_claims — claims
 * per user per UTC day; cooldown_days — how long a user who released a lead
 * must wait to claim it again; lock_hours — how long a lead that (re)entered
 * the pool stays locked; assign_on_create (schema version 6) — a lead
 * created without an owner goes through the assignment rules before it is
 * stored, in the same transaction, exactly as spm_lead_assign_pool2() would
 * route it (same rule, reason, limits, history via "assign", claim log and
 * SPM_EVENT_LEAD_ASSIGNED after its SPM_EVENT_RECORD_CREATED), with ties
 * broken by assign_seed when set; it does not need the creator's "pool"
 * action, and a transaction that assigned on create may not also change the
 * policy or the rules (SPM_EINVAL). Writing the policy needs the "pool" action.
 *
 * An activity (type call, visit, email, meeting, message or note) belongs to
 * a lead or a customer; saving one keeps the last contact time and the next
 * follow-up date of its lead or customer, and moves an assigned lead to
 * contacted. spm_db_tick() raises SPM_EVENT_FOLLOW_UP_DUE once for each
 * lead or customer whose next follow-up date has come.
 */
#ifndef SPM_LEAD_H
#define SPM_LEAD_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief Action: write the pool policy. */
#define SPM_ACTION_POOL "pool"

/**
 * @brief The acting user claims a lead from the pool.
 * @return SPM_OK; SPM_ENOTFOUND (no such lead); SPM_ECONFLICT (it has an
 *         owner: someone claimed it first — whoever owns it, so a claim
 *         reveals only that the id is not in the pool); SPM_ELIMIT (capacity, daily
 *         limit, cooldown or lock — the message says which, with the
 *         figures); SPM_EPERM (the system actor 0 cannot own leads, or the
 *         actor is not an active user); SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_lead_claim(spm_db *db, int64_t lead);

/**
 * @brief Sends a lead back to the pool, with a reason (audited and in the event).
 * @param reason 1..500 bytes of UTF-8
 * @return SPM_OK; SPM_ENOTFOUND (no such lead, or out of scope); SPM_EINVAL
 *         (no reason, or the lead is already in the pool); SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_lead_release(spm_db *db, int64_t lead, const char *reason);

/**
 * @brief Assigns the pool by the assignment rules, in one transaction.
 *
 * Every lead in the pool (no owner, status new, not locked by lock_hours)
 * goes, in id order, through the "assignment_rule" records in position
 * order (inactive ones skipped). The first rule whose condition (rule
 * language over lead fields; none = always) is met and that has an eligible
 * user assigns the lead. Methods: round_robin over users ("3,5,8"), weighted
 * round robin ("3:2,5:1" — user:weight), least_busy (fewest open leads among
 * users; ties in list order, or by a seed with spm_lead_assign_pool2()), territory (the lead's
 * territory_field value looked up in territory_map "华东=3,华北=5"), fixed
 * (fixed_owner). Eligible users are active, not on leave today, and within
 * the pool policy's max_open and daily_claims (assignments count as claims).
 * The round-robin pointer is stored on the rule, so it survives restarts.
 * Each assignment records the rule (assigned_by_rule) and the reason
 * (assignment_reason, e.g. "rule 2 round_robin: user 5, next after user 3")
 * and raises SPM_EVENT_LEAD_ASSIGNED. Running it again assigns only what is
 * still in the pool, so the call is idempotent. Needs the "pool" action.
 * @param[out] out_assigned how many leads were assigned; may be NULL
 * @return SPM_OK; SPM_EPERM; SPM_EINVAL (a rule that no longer compiles,
 *         the message names it); SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_lead_assign_pool(size_t *out_assigned, spm_db *db);

/**
 * @brief Options of spm_lead_assign_pool2(). A per-call struct rather than a
 * handle option: the seed belongs to one assignment run (a host may use the
 * date, a batch number, or a constant), and callers that never pass it keep
 * the behaviour of spm_lead_assign_pool().
 */
typedef struct spm_lead_assign_options {
	uint32_t version;   /**< SPM_LEAD_ASSIGN_OPTIONS_VERSION */
	/* version 1 */
	uint64_t seed;      /**< breaks ties: any value, 0 included */
} spm_lead_assign_options;

/** @brief The newest version of spm_lead_assign_options. */
#define SPM_LEAD_ASSIGN_OPTIONS_VERSION 1
/** @brief Static initialiser for spm_lead_assign_options (seed 0). */
#define SPM_LEAD_ASSIGN_OPTIONS_INIT { SPM_LEAD_ASSIGN_OPTIONS_VERSION, 0 }

/**
 * @brief Fills opts with defaults (seed 0).
 * @param opts the options to fill
 * @param version SPM_LEAD_ASSIGN_OPTIONS_VERSION
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_EVERSION (unknown version).
 */
SPM_API int spm_lead_assign_options_init(spm_lead_assign_options *opts, unsigned int version);

/**
 * @brief spm_lead_assign_pool() with ties broken fairly by a seed.
 *
 * When several users of a least_busy rule have the same, lowest number of
 * open leads, the lead goes to the one with the smallest
 * splitmix64-hash of (seed, lead id, user id): the same seed and data give
 * the same owners on every run and every machine, and over many leads each
 * tied user wins about equally often (without options, ties go in list
 * order, which always favours the first listed). The assignment_reason says
 * "(tie broken by seed)". Round-robin and weighted rules rotate and have no
 * ties.
 * @param[out] out_assigned how many leads were assigned; may be NULL
 * @param db the handle
 * @param opts NULL: as spm_lead_assign_pool()
 * @return as spm_lead_assign_pool(); SPM_EVERSION (unknown options version).
 */
SPM_API int spm_lead_assign_pool2(size_t *out_assigned, spm_db *db,
				  const spm_lead_assign_options *opts);

SPM_END_DECLS

#endif
