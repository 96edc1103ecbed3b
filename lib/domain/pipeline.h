/* The pipeline area inside the library: the kinds' hooks, the
 * opportunity's rule environment, stage gates and the stage move. */
#ifndef SPM_DOMAIN_PIPELINE_H
#define SPM_DOMAIN_PIPELINE_H

#include "domain/record_rules.h"
#include "core/txn.h"

#include <jansson.h>

struct spm__txn;
struct spm_record;

/* spm__txn.domain_flags: the stage move is saving the deal and its history
 * row (plain saves may not change stage_id/status or write history). */
#define SPM__TXN_STAGE_MOVE 0x1u
/* The line items are writing the sum of a deal's items as its amount. */
#define SPM__TXN_LINE_ITEMS 0x2u

/* ---- the kinds' hooks (kinds_pipeline.h) ---- */
int spm__pipeline_validate(struct spm__txn *t, const struct spm_record *before,
			   struct spm_record *after);
int spm__stage_validate(struct spm__txn *t, const struct spm_record *before,
			struct spm_record *after);
int spm__opportunity_validate(struct spm__txn *t, const struct spm_record *before,
			      struct spm_record *after);
int spm__line_item_validate(struct spm__txn *t, const struct spm_record *before,
			    struct spm_record *after);
int spm__line_item_after_write(struct spm__txn *t, const struct spm_record *before,
			       struct spm_record *after);
int spm__stage_history_validate(struct spm__txn *t, const struct spm_record *before,
				struct spm_record *after);

/* A line item's amount (line_item.c): qty × price less disc_bp basis points,
 * rounded half-even once; SPM_EINVAL for a quantity below 1, a negative
 * price or a discount outside 0..10000, SPM_EOVERFLOW, each with the
 * message the write gives. The importer checks rows with it. */
int spm__line_item_net(int64_t *out, int64_t qty, int64_t price, int64_t disc_bp);

/* The sum of a deal's line items (line_item.c): *n items, in currency cur. */
int spm__opp_line_items_sum(int64_t *sum, char cur[4], size_t *n, struct spm__txn *t,
			    int64_t deal);

/* 1 for the system actor 0, in setup mode (no user exists yet) and for
 * actors whose role has the "import" action. */
int spm__pipeline_privileged(int *out, struct spm__txn *t);

/* ---- stage definitions (pipeline_rules.c) ---- */
/* Checks the JSON parts of a stage; errors start with prefix and the
 * part's path ("stages[2].exit_criteria[0].rule: 1:9: unknown field ..."). */
int spm__stage_check_criteria(spm_db *db, const json_t *criteria, const char *prefix);
int spm__stage_check_required(spm_db *db, const char *fields, const char *prefix);
int spm__stage_check_actions(const json_t *actions, const char *prefix);
int spm__stage_check_playbook(const json_t *playbook, const char *prefix);
/* Outcome, probability and forecast category of a stage record. */
int spm__stage_check_values(const struct spm_record *stage, const char *prefix);
/* The stages of a pipeline in position order (ties by id). */
int spm__pipeline_stages(struct spm__page *page, spm_db *db, int64_t pipeline);
/* The outcome of a stage: "open" (also for no value), "won" or "lost". */
const char *spm__stage_outcome(const struct spm_record *stage);

/* ---- the opportunity's rule environment (opportunity_env.c) ---- */
/* Relations of an opportunity rule: line_items, activities, stage_history. */
enum { SPM__OPP_LINE_ITEMS, SPM__OPP_ACTIVITIES, SPM__OPP_HISTORY, SPM__OPP_NREL };

struct spm__opp_env {
	struct spm__record_env self;
	struct spm__record_env rel[SPM__OPP_NREL];
};

/* The related rows of one deal, loaded once before rules are evaluated
 * (evaluation itself then allocates nothing). */
struct spm__opp_rows {
	struct spm__page rel[SPM__OPP_NREL];
};

int spm__opp_env_init(struct spm__opp_env *e, spm_db *db);
/* Compiles a boolean rule over opportunities; the message starts with what. */
int spm__opp_rule_compile(spm__rule **out, spm_db *db, const char *text, const char *what);
/* Loads the related rows of deal (inside a transaction). */
int spm__opp_rows_load(struct spm__opp_rows *rows, spm_db *db, int64_t deal);
void spm__opp_rows_clear(spm_db *db, struct spm__opp_rows *rows);
void spm__opp_rule_ctx(spm__rule_ctx *ctx, const struct spm_record *deal,
		       struct spm__opp_rows *rows, spm_time now);

/* ---- gates (stage_gate.c) ---- */
struct spm__gate_item {
	char *name;
	char *rule;
	char *why;
};

struct spm_gate_report {
	spm_db *db;
	struct spm__gate_item *items;
	size_t n;
	size_t cap;
};

/* Adds the unmet required fields and exit criteria of stage for deal to
 * *report (made on the first unmet one). */
int spm__gate_check(struct spm_gate_report **report, struct spm__txn *t,
		    const struct spm_record *stage, const struct spm_record *deal,
		    struct spm__opp_rows *rows);

/* ---- the stage move (stage_move.c) ---- */
struct spm__stage_move {
	const struct spm_record *deal;      /* as stored before the move */
	const struct spm_record *from;      /* its stage (may be NULL) */
	const struct spm_record *to;        /* the stage it goes to */
	const struct spm_gate_report *unmet; /* NULL when every criterion is met */
	const char *override_reason;        /* NULL when none was given */
	int reopening;                      /* leaving a won or lost stage */
};

/* The approval a move waits for (spm__stage_move_guard): the guarded
 * action ("stage_override" or "reopen") and the pending request. */
struct spm__move_approval {
	const char *action;
	int64_t pending;
};

/* Moves a deal inside an open write transaction (the approvals code may
 * call it to carry out an approved move). On SPM_EAPPROVAL nothing of the
 * move was written, but t may hold a new approval request (approval may be
 * NULL when the caller never commits one: then that request is dropped). */
int spm__opportunity_move_txn(struct spm__txn *t, struct spm_gate_report **unmet, int64_t deal,
			      int64_t to_stage, const char *override_reason,
			      struct spm__move_approval *approval);

/* The guard of gate overrides and reopening (stage_move_guard.c), called
 * inside the move's transaction before anything is written, when the move
 * overrides unmet criteria or reopens a closed deal. Returns SPM_OK to let
 * the move go on, SPM_EAPPROVAL with *approval filled when an approval is
 * pending (a new request may have been written into t), else the error the
 * move fails with. */
int spm__stage_move_guard(struct spm__txn *t, const struct spm__stage_move *m,
			  struct spm__move_approval *approval);

#endif
