/**
 * @file collab.h
 * @brief Quotes, contracts and collections (回款), tasks, comments and approvals.
 *
 * These areas are records (record.h) of the kinds quote, quote_line,
 * contract, installment, payment, credit_note, complaint, task, comment,
 * approval_flow, approval_request and approval_vote, with their rules kept
 * by the library on every write (docs/collaboration.md,
 * docs/collections.md). The functions below are the operations that are
 * more than one write.
 *
 * Approvals: an "approval_flow" record guards an action (such as
 * "quote_discount") on records of one kind when its condition (a rule over
 * that kind's fields, docs/rules.md) is met. Its steps run in order; each
 * step is a named user, the owner's manager, or a role, and needs "any" one
 * of its approvers or "all" of them. A guarded action that has no approved
 * request for the record's current state fails with SPM_EAPPROVAL, after
 * submitting a request when none was pending.
 */
#ifndef SPM_COLLAB_H
#define SPM_COLLAB_H

#include "common.h"
#include "calendar.h"

SPM_BEGIN_DECLS

/** @brief The action of the approval flows that guard sending a quote. */
#define SPM_APPROVAL_QUOTE_DISCOUNT "quote_discount"

/**
 * @brief Makes a new version of a quote: a draft copying the quote's
 * discount, note, validity and lines; it becomes the latest version and
 * the only editable one.
 * @param[out] out the new quote's id; may be NULL
 * @param quote the latest version of a quote
 * @return SPM_OK; SPM_ENOTFOUND (no such quote, or out of scope);
 *         SPM_EINVAL (not the latest version); SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_quote_revise(int64_t *out, spm_db *db, int64_t quote);

/**
 * @brief Sends a draft quote (status sent). When an approval flow of action
 * "quote_discount" matches the quote and no request for its current state is
 * approved, the quote stays a draft, a request is submitted (unless one is
 * pending) and the call returns SPM_EAPPROVAL.
 * @param[out] out_request the pending request's id on SPM_EAPPROVAL, else 0; may be NULL
 * @return SPM_OK; SPM_EAPPROVAL; SPM_ENOTFOUND; SPM_EINVAL (not a draft, not
 *         the latest version, or no lines); SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_quote_send(int64_t *out_request, spm_db *db, int64_t quote);

/**
 * @brief Splits an amount into n installments that sum to it exactly:
 * equal shares, the units left over going one each to the first ones
 * (largest-remainder rounding).
 * @param[out] out_amounts caller-owned array of n elements; untouched on error
 * @param amount minor units, > 0
 * @param n 1..1000
 * @return SPM_OK; SPM_EINVAL (NULL array, n out of range, amount <= 0 or
 *         smaller than n).
 */
SPM_API int spm_installment_split(int64_t *out_amounts, int64_t amount, size_t n);

/**
 * @brief Replaces the payment plan of a contract with n installments (in the
 * contract's currency), numbered 1..n. The amounts must each be > 0 and sum
 * exactly to the contract amount; due dates must not decrease.
 * @param amounts borrowed array of n amounts in minor units
 * @param due borrowed array of n due dates
 * @param n 1..1000
 * @return SPM_OK; SPM_ENOTFOUND (no such contract, or out of scope);
 *         SPM_EINVAL (a bad amount or date, a wrong sum, or payments already
 *         received); SPM_EOVERFLOW; SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_contract_set_plan(spm_db *db, int64_t contract, const int64_t *amounts,
				  const spm_date *due, size_t n);

/**
 * @brief Adds a comment to a record; mentions in the text (`@[12]` for user
 * 12, `@[Li Lei]` for the active user named so) raise one
 * SPM_EVENT_MENTION per mentioned user.
 * @param[out] out the comment's id; may be NULL
 * @param kind borrowed name of the record's kind
 * @param text borrowed UTF-8, 1..10000 bytes
 * @return SPM_OK; SPM_ENOTFOUND (no such record, or out of scope);
 *         SPM_EINVAL (bad text, or a mention of an unknown user); SPM_EPERM;
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_comment_add(int64_t *out, spm_db *db, const char *kind, int64_t id,
			    const char *text);

/**
 * @brief Submits an approval request for an action on a record in its
 * current state (the matching flow's approvers are resolved now). Use it to
 * ask ahead, or to resubmit after a rejection.
 * @param[out] out the request's id (on SPM_EEXISTS the pending one's); may be NULL
 * @param action borrowed action name, e.g. SPM_APPROVAL_QUOTE_DISCOUNT
 * @param kind borrowed kind name of the record
 * @param detail borrowed text that tells apart two actions on one record
 *        (e.g. "stage:7"), or NULL
 * @return SPM_OK; SPM_EEXISTS (a request for that state is pending or
 *         approved); SPM_ENOTFOUND (no such record, or no active flow of the
 *         action matches it); SPM_EINVAL (a step has no approver); SPM_EPERM;
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_approval_submit(int64_t *out, spm_db *db, const char *action, const char *kind,
				int64_t id, const char *detail);

/**
 * @brief Approves the current step of a pending request as the acting user,
 * who must be one of the step's approvers. A step of mode "any" is done with
 * one approval, "all" when every approver has approved; after the last step
 * the request is approved and the guarded action may run.
 * @param comment borrowed text, or NULL
 * @return SPM_OK; SPM_ENOTFOUND; SPM_EPERM (not an approver of the step);
 *         SPM_EEXISTS (already voted on this step); SPM_EINVAL (not pending);
 *         SPM_ECONFLICT (the record changed since the request);
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_approval_approve(spm_db *db, int64_t request, const char *comment);

/**
 * @brief Rejects a pending request as one of the current step's approvers.
 * @param comment borrowed text, or NULL
 * @return as spm_approval_approve().
 */
SPM_API int spm_approval_reject(spm_db *db, int64_t request, const char *comment);

/**
 * @brief Withdraws a pending request (its submitter, or a user with the
 * "schema" action).
 * @return SPM_OK; SPM_ENOTFOUND; SPM_EPERM; SPM_EINVAL (not pending);
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_approval_cancel(spm_db *db, int64_t request);

SPM_END_DECLS

#endif
