/**
 * @file customer.h
 * @brief Customers: lifecycle, grading rules, and converting a lead.
 *
 * Customers are records of the kind "customer" (record.h). Their lifecycle
 * field is one of prospect (no value means prospect), customer, repeat,
 * churned; once set it cannot be cleared; the
 * allowed moves are prospect → customer | churned, customer → repeat |
 * churned, repeat → churned, and churned → customer (won back). Anything
 * else is SPM_EINVAL.
 *
 * The customer grade (客户分级, the field "level": A/B/C…) comes from
 * "grading_rule" records — position, condition (a rule over customer
 * fields, see docs/rules.md) and level — evaluated in position order on
 * every save: the first rule met gives the level, none clears it. A customer
 * whose level_manual is true keeps the level set by hand. Writing grading
 * rules needs the "schema" action.
 *
 * Duplicates: every save keeps normalized keys — a lead's email_key,
 * phone_key and company_key, a customer's company_key (case, full-width
 * characters, punctuation and legal forms such as 有限公司, Co., Ltd., GmbH
 * folded away). A "dedupe_policy" record for a kind (target lead or
 * customer, mode reject or flag, default_country for phone numbers written
 * without one, "86" when unset) applies when a record is created: reject
 * fails with SPM_EEXISTS naming the duplicate and the key; flag stores it in
 * duplicate_of; merge saves nothing new: the existing record (the survivor)
 * takes the new record's values for the fields it has none of, and
 * spm_record_save() returns SPM_OK with the caller's handle now holding the
 * survivor (its id, change sequence and every field as stored). A merge
 * leaves SPM_EVENT_RECORD_MERGED (payload {"from":0}, nothing was stored
 * under a new id). spm_record_merge() joins two stored records.
 *
 * Tags: a customer's "tags" field is a comma-separated list, stored
 * normalized — each tag trimmed, case kept, duplicates and empty items
 * dropped, in the order given, at most 50 tags of at most 50 bytes each, no
 * commas inside a tag. spm_customer_foreach_tagged() lists the customers
 * with a tag.
 *
 * Ownership history: every change of owner of a lead, customer or
 * opportunity — claim, release, assignment, hand-over, reclaim, merge,
 * conversion, or a plain save — is stored as an "ownership_change" record
 * (kind, entity_id, from_owner, to_owner, at, actor, via, reason; via one of
 * create, save, claim, release, assign, handover, reclaim, merge, convert).
 * A row is seen by whoever sees the record it is about and cannot be
 * written through the record API (SPM_EPERM).
 */
#ifndef SPM_CUSTOMER_H
#define SPM_CUSTOMER_H

#include "common.h"
#include "record.h"

SPM_BEGIN_DECLS

/**
 * @brief Converts a lead into a customer (named after the lead's company,
 * same owner, industry and region) and, when the lead names a contact
 * person, a contact — in one transaction. The lead becomes converted and
 * remembers the customer (converted_customer_id).
 * @param[out] out_customer the new customer's id; may be NULL
 * @param[out] out_contact the new contact's id, or 0 when none; may be NULL
 * @return SPM_OK; SPM_ENOTFOUND (no such lead, or out of scope); SPM_EINVAL
 *         (already converted, disqualified, or no company or contact name);
 *         SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_lead_convert(int64_t *out_customer, int64_t *out_contact, spm_db *db,
			     int64_t lead);

/**
 * @brief Merges other into survivor (two leads or two customers): the
 * survivor takes the other's values for fields it has none of; every
 * follow-up, every opportunity (lead_id or customer_id), for customers every
 * contact, and the other's ownership history move to the survivor; the
 * other is deleted. One transaction, with audit entries (the survivor gets
 * one naming merged_from) and SPM_EVENT_RECORD_MERGED. The other's own
 * audit trail stays under its id (the trail is append-only) and is found
 * through the survivor's merged_from entry.
 * @return SPM_OK; SPM_EINVAL (not leads or customers, or the same id);
 *         SPM_ENOTFOUND (either missing or out of scope); SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_record_merge(spm_db *db, const char *kind, int64_t survivor, int64_t other);

/** @brief Options of spm_lead_convert2(): what the opportunity is. */
typedef struct spm_lead_convert_options {
	uint32_t version;              /**< SPM_LEAD_CONVERT_OPTIONS_VERSION */
	/* version 1 */
	int64_t pipeline_id;           /**< 0: no opportunity is created */
	int64_t stage_id;              /**< 0: the pipeline's first stage by position */
	const char *opportunity_name;  /**< NULL: the customer's name */
	int64_t amount_minor;          /**< the amount in minor units (with amount_currency) */
	const char *amount_currency;   /**< NULL: no amount */
} spm_lead_convert_options;

/** @brief The newest version of spm_lead_convert_options. */
#define SPM_LEAD_CONVERT_OPTIONS_VERSION 1
/** @brief Static initialiser for spm_lead_convert_options. */
#define SPM_LEAD_CONVERT_OPTIONS_INIT { SPM_LEAD_CONVERT_OPTIONS_VERSION, 0, 0, NULL, 0, NULL }

/**
 * @brief Fills opts with defaults (no opportunity).
 * @param opts the options to fill
 * @param version SPM_LEAD_CONVERT_OPTIONS_VERSION
 * @return SPM_OK, SPM_EINVAL (NULL), SPM_EVERSION (unknown version).
 */
SPM_API int spm_lead_convert_options_init(spm_lead_convert_options *opts, unsigned int version);

/**
 * @brief Converts a lead into a customer, a contact and an opportunity, in
 * one transaction.
 *
 * The customer and contact are made as by spm_lead_convert(). When
 * opts->pipeline_id is set, an opportunity is created too: status open, in
 * the given stage of that pipeline (or its first stage by position),
 * opened_at now, named opportunity_name (or after the customer), with the
 * amount when given, and lead_id, customer_id, owner_id and source taken
 * from the lead. The lead's SPM_EVENT_LEAD_CONVERTED payload also names
 * opportunity_id.
 * @param[out] out_customer the new customer's id; may be NULL
 * @param[out] out_contact the new contact's id, or 0; may be NULL
 * @param[out] out_opportunity the new opportunity's id, or 0; may be NULL
 * @param db the handle
 * @param lead the lead to convert
 * @param opts NULL: as spm_lead_convert() (no opportunity)
 * @return SPM_OK; SPM_ENOTFOUND (no such lead, pipeline or stage, or the lead is
 *         out of scope); SPM_EINVAL (as spm_lead_convert(), a stage of another
 *         pipeline, a won or lost stage (asked, or the pipeline's first), a
 *         pipeline without stages, a bad amount or name);
 *         SPM_ECURRENCY (unknown currency); SPM_EVERSION; SPM_EPERM;
 *         SPM_ESTORAGE; SPM_ENOMEM. On error nothing is stored.
 */
SPM_API int spm_lead_convert2(int64_t *out_customer, int64_t *out_contact,
			      int64_t *out_opportunity, spm_db *db, int64_t lead,
			      const spm_lead_convert_options *opts);

/**
 * @brief Calls cb with each ownership_change record of a lead, customer or
 * opportunity, oldest first.
 * @param db the handle
 * @param kind "lead", "customer" or "opportunity"
 * @param id the record
 * @param cb called with each row (borrowed for the call); non-zero stops
 * @param payload passed to cb
 * @return SPM_OK; SPM_EINVAL (another kind, NULL); SPM_ENOTFOUND (no such
 *         record, or out of scope); cb's non-zero value; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_ownership_history(spm_db *db, const char *kind, int64_t id, spm_record_cb cb,
				  void *payload);

/**
 * @brief Calls cb with each customer the actor sees that has a tag (exact
 * match after trimming), in id order.
 * @param db the handle
 * @param tag 1..50 bytes of UTF-8, no comma
 * @param cb called with each customer (borrowed for the call); non-zero stops
 * @param payload passed to cb
 * @return SPM_OK; SPM_EINVAL (bad tag, NULL); cb's non-zero value;
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_customer_foreach_tagged(spm_db *db, const char *tag, spm_record_cb cb,
					void *payload);

/** @brief A customer-360 view (opaque): everything about one customer. */
typedef struct spm_customer_view spm_customer_view;

/**
 * @brief Gathers everything about a customer the actor may see, in one read.
 *
 * The view's JSON document (spm_customer_view_json()) has: "customer" (the
 * record, as spm_record_to_json()), "contacts", "activities" (newest first),
 * "tags" (array of strings), "ownership_history", "opportunities" (the
 * records) and "opportunity_totals": {"open": n, "won": n, "lost": n,
 * "open_amount": {"CNY": minor, …}, "won_amount": {…}} — sums exact per
 * currency. When the database has the kinds "contract" and "payment" it also
 * has "contracts" and "contract_totals" / "collection_totals" (sums per
 * currency of contract.amount and payment.amount); without them those keys
 * are absent. Records out of the actor's scope are left out.
 * @param[out] out the view; free with spm_customer_view_free(); NULL on error
 * @param db the handle; must outlive the view
 * @param customer the customer's id
 * @return SPM_OK; SPM_ENOTFOUND (no such customer, or out of scope);
 *         SPM_EOVERFLOW (a sum overflows); SPM_EINVAL; SPM_EPERM (the actor is not an
 *         active user with a role); SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_customer_360(spm_customer_view **out, spm_db *db, int64_t customer);

/**
 * @brief The view as one JSON document (see spm_customer_360()).
 * @return borrowed; valid until spm_customer_view_free(view)
 */
SPM_API const char *spm_customer_view_json(const spm_customer_view *view);

/**
 * @brief Counts of the view's opportunities by status.
 * @param[out] out_open open ones; may be NULL
 * @param[out] out_won won ones; may be NULL
 * @param[out] out_lost lost ones; may be NULL
 * @param view the view
 * @return SPM_OK, SPM_EINVAL (NULL view).
 */
SPM_API int spm_customer_view_opportunities(size_t *out_open, size_t *out_won, size_t *out_lost,
					    const spm_customer_view *view);

/** @brief Frees a view; accepts NULL. */
SPM_API void spm_customer_view_free(spm_customer_view *view);

SPM_END_DECLS

#endif
