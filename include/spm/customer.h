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
 * duplicate_of. spm_record_merge() joins two records.
 */
#ifndef SPM_CUSTOMER_H
#define SPM_CUSTOMER_H

#include "common.h"

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
 * follow-up (and, for customers, every contact) moves to the survivor; the
 * other is deleted. One transaction, with audit entries (the survivor gets
 * one naming merged_from) and SPM_EVENT_RECORD_MERGED. The other's own
 * audit trail stays under its id (the trail is append-only).
 * @return SPM_OK; SPM_EINVAL (not leads or customers, or the same id);
 *         SPM_ENOTFOUND (either missing or out of scope); SPM_EPERM; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_record_merge(spm_db *db, const char *kind, int64_t survivor, int64_t other);

SPM_END_DECLS

#endif
