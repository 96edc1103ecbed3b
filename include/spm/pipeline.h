/**
 * @file pipeline.h
 * @brief Pipelines as data, opportunities, stage gates and stage history.
 *
 * Pipelines, stages, opportunities, line items and stage history are
 * records of the kinds "pipeline", "stage", "opportunity", "line_item" and
 * "stage_history" (record.h); docs/pipelines.md describes them in full.
 *
 * A stage has a position in its pipeline, a win probability (0..100), a
 * forecast category (pipeline, best_case, commit, closed, omitted), an
 * outcome (open, won, lost; no value means open), standard actions (a JSON
 * array of texts), a playbook (a JSON object: "talk_tracks", an array of
 * texts, and "objections", an array of {"objection", "response"}), required
 * fields (comma-separated opportunity field names) and exit criteria (a
 * JSON array of {"name", "rule"}, each rule a condition in the rule
 * language over the opportunity, docs/rules.md). Writing pipelines and
 * stages needs the "schema" action.
 *
 * An opportunity's status is open, won or lost and always equals the
 * outcome of its stage. Only the system actor 0 (and setup mode) may set
 * stage_id or status by saving the record; everyone else creates deals in
 * the first stage of an active pipeline and moves them with
 * spm_opportunity_move(). A line item's amount is quantity × unit_price
 * less discount_bp / 10000, rounded half-even to the minor unit; an
 * opportunity with line items has their sum as its amount.
 */
#ifndef SPM_PIPELINE_H
#define SPM_PIPELINE_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief Action: move a deal although exit criteria are unmet (with a reason). */
#define SPM_ACTION_OVERRIDE_GATE "override_gate"

/**
 * @brief Receives exported bytes; a non-zero return stops the export and is
 * returned by spm_pipeline_export().
 * @param data borrowed, valid during the call
 * @param len bytes in data
 * @param payload the caller's pointer
 */
typedef int (*spm_pipeline_write_cb)(const char *data, size_t len, void *payload);

/**
 * @brief Creates a pipeline and its stages from a JSON document, in one
 * transaction (docs/pipelines.md gives the format).
 *
 * The document is checked as a whole before anything is written; the first
 * problem is reported as "PATH: reason", e.g.
 * "stages[2].exit_criteria[0].rule: 1:9: unknown field 'budgte'". A bad
 * document changes nothing.
 * @param[out] out_id the new pipeline's id; may be NULL
 * @param db the handle; needs the "schema" action
 * @param json the document (UTF-8, NUL-terminated)
 * @return SPM_OK; SPM_EINVAL (bad JSON or a bad value, with its path);
 *         SPM_EEXISTS (a pipeline of that name exists); SPM_EPERM;
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_pipeline_load(int64_t *out_id, spm_db *db, const char *json);

/**
 * @brief Writes a pipeline and its stages (in position order) as a JSON
 * document that spm_pipeline_load() accepts.
 * @param db the handle
 * @param pipeline the pipeline's id
 * @param write receives the output (one or more pieces)
 * @param payload passed to write
 * @return SPM_OK; SPM_ENOTFOUND (no such pipeline); SPM_EINVAL (NULL
 *         arguments); SPM_ESTORAGE; SPM_ENOMEM; or write's non-zero value.
 */
SPM_API int spm_pipeline_export(spm_db *db, int64_t pipeline, spm_pipeline_write_cb write,
				void *payload);

/** @brief The unmet criteria of a stage move (opaque). */
typedef struct spm_gate_report spm_gate_report;

/**
 * @brief Moves a deal to another stage of its pipeline, in one transaction.
 *
 * Moving forward checks the gate of the stage being left (and of every stage
 * skipped over): its required fields must have values and its exit
 * criteria must be met. Unmet ones come back in *out_unmet with SPM_EGATE
 * and nothing changes, unless override_reason is given and the actor's
 * role has the "override_gate" action: then the move happens, the reason is
 * audited, stored on the history row and sent with
 * SPM_EVENT_GATE_OVERRIDDEN. Skipping an open stage needs the pipeline's
 * allow_skip; moving back, and reopening a won or lost deal, need
 * allow_back. Moving to a lost stage needs the deal's lost_reason.
 *
 * Every move stores a "stage_history" row (from, to, when, who, seconds in
 * the previous stage, the amount then) and raises SPM_EVENT_STAGE_CHANGED;
 * entering a won or lost stage sets status and closed_at and raises
 * SPM_EVENT_OPPORTUNITY_WON or _LOST; leaving one clears closed_at and
 * raises SPM_EVENT_OPPORTUNITY_REOPENED.
 * @param[out] out_unmet the unmet criteria when there were any (SPM_EGATE,
 *             or SPM_OK after an override), else NULL; caller frees with
 *             spm_gate_report_free(). May be NULL.
 * @param db the handle; the deal must be in the actor's scope
 * @param opportunity the deal's id
 * @param to_stage a stage of the deal's pipeline
 * @param override_reason NULL, or 1..500 bytes of UTF-8
 * @return SPM_OK; SPM_EGATE (unmet criteria, see *out_unmet); SPM_EPERM
 *         (an override without the "override_gate" action); SPM_EINVAL
 *         (the same stage, a stage of another pipeline, a skip or a move
 *         back the pipeline does not allow, no lost_reason, a bad reason);
 *         SPM_ENOTFOUND (no such deal or stage, or out of scope);
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_opportunity_move(spm_gate_report **out_unmet, spm_db *db, int64_t opportunity,
				 int64_t to_stage, const char *override_reason);

/**
 * @brief Evaluates the gate of a deal's current stage without moving it.
 * @param[out] out_unmet the unmet criteria, or NULL when every one is met;
 *             caller frees with spm_gate_report_free()
 * @param db the handle
 * @param opportunity the deal's id
 * @return SPM_OK; SPM_ENOTFOUND (no such deal, or out of scope); SPM_EINVAL; SPM_EPERM
 *         (the actor is not an active user with a role); SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_opportunity_check_gate(spm_gate_report **out_unmet, spm_db *db,
				       int64_t opportunity);

/**
 * @brief Frees a gate report.
 * @param r the report, or NULL; its spm_db must still be open
 */
SPM_API void spm_gate_report_free(spm_gate_report *r);

/** @brief Number of unmet criteria; 0 for NULL. */
SPM_API size_t spm_gate_report_count(const spm_gate_report *r);

/**
 * @brief One unmet criterion.
 * @param[out] out_name the criterion's name; a required field gives
 *             "required: FIELD" (borrowed: valid until the report is freed)
 * @param[out] out_rule the rule's canonical text (borrowed; as out_name)
 * @param[out] out_why why it is unmet, e.g.
 *             "amount >= 10000.00 CNY: false (amount = 5000.00 CNY)"
 *             (borrowed; as out_name)
 * @param r the report
 * @param i 0 .. spm_gate_report_count() - 1
 * @return SPM_OK; SPM_EINVAL (NULL); SPM_ERANGE (i out of range).
 */
SPM_API int spm_gate_report_item(const char **out_name, const char **out_rule,
				 const char **out_why, const spm_gate_report *r, size_t i);

SPM_END_DECLS

#endif
