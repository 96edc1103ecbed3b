/* Kinds of the collaboration and collections area (included by kinds.c
 * only): quotes, contracts and their payment plans, payments, credit notes,
 * complaints, tasks, comments and approvals. Fields the library keeps are
 * read-only; installments, approval requests and votes are all read-only,
 * so only their APIs (collab.h) write them. */
#ifndef SPM_CORE_KINDS_COLLAB_H
#define SPM_CORE_KINDS_COLLAB_H

#include "domain/collab.h"

static const struct spm__core_field quote_fields[] = {
	{ "opportunity_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "version", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "previous_id", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "latest", SPM_FIELD_BOOLEAN, RO | IX, 4, 0 },
	{ "status", SPM_FIELD_TEXT, IX, 4, 10 },
	{ "discount_bp", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "list_total", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "subtotal", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "discount", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "total", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "effective_discount_bp", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "valid_until", SPM_FIELD_DATE, 0, 4, 0 },
	{ "note", SPM_FIELD_TEXT, 0, 4, 2000 },
	{ "sent_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field quote_line_fields[] = {
	{ "quote_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "product", SPM_FIELD_TEXT, RQ, 4, 200 },
	{ "quantity", SPM_FIELD_INTEGER, RQ, 4, 0 },
	{ "unit_price", SPM_FIELD_MONEY, RQ, 4, 0 },
	{ "discount_bp", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "amount", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field contract_fields[] = {
	{ "opportunity_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "customer_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "number", SPM_FIELD_TEXT, IX, 4, 100 },
	{ "amount", SPM_FIELD_MONEY, RQ, 4, 0 },
	{ "signed_on", SPM_FIELD_DATE, 0, 4, 0 },
	{ "status", SPM_FIELD_TEXT, IX, 4, 20 },
	{ "overpayment", SPM_FIELD_TEXT, 0, 4, 10 },
	{ "paid", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "credit", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field installment_fields[] = {
	{ "contract_id", SPM_FIELD_INTEGER, RO | RQ | IX, 4, 0 },
	{ "number", SPM_FIELD_INTEGER, RO | RQ, 4, 0 },
	{ "due_on", SPM_FIELD_DATE, RO | RQ | IX, 4, 0 },
	{ "amount", SPM_FIELD_MONEY, RO | RQ, 4, 0 },
	{ "paid", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "status", SPM_FIELD_TEXT, RO | IX, 4, 10 },
	{ "overdue_raised", SPM_FIELD_BOOLEAN, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field payment_fields[] = {
	{ "contract_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "installment_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "customer_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "opportunity_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "amount", SPM_FIELD_MONEY, RQ, 4, 0 },
	{ "received_at", SPM_FIELD_TIME, RQ | IX, 4, 0 },
	{ "method", SPM_FIELD_TEXT, 0, 4, 50 },
	{ "reference", SPM_FIELD_TEXT, 0, 4, 200 },
	{ "credit", SPM_FIELD_MONEY, RO, 4, 0 },
	{ "allocation", SPM_FIELD_TEXT, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field credit_note_fields[] = {
	{ "customer_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "opportunity_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "contract_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "amount", SPM_FIELD_MONEY, RQ, 4, 0 },
	{ "reason", SPM_FIELD_TEXT, RQ, 4, 500 },
	{ "at", SPM_FIELD_TIME, RQ | IX, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field complaint_fields[] = {
	{ "customer_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "opportunity_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "category", SPM_FIELD_TEXT, RQ | IX, 4, 50 },
	{ "severity", SPM_FIELD_TEXT, RQ, 4, 10 },
	{ "content", SPM_FIELD_TEXT, 0, 4, 0 },
	{ "at", SPM_FIELD_TIME, RQ | IX, 4, 0 },
	{ "status", SPM_FIELD_TEXT, IX, 4, 20 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field task_fields[] = {
	{ "title", SPM_FIELD_TEXT, RQ, 4, 200 },
	{ "assignee_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "due_at", SPM_FIELD_TIME, IX, 4, 0 },
	{ "status", SPM_FIELD_TEXT, IX, 4, 20 },
	{ "record_kind", SPM_FIELD_TEXT, IX, 4, 64 },
	{ "record_id", SPM_FIELD_INTEGER, IX, 4, 0 },
	{ "description", SPM_FIELD_TEXT, 0, 4, 0 },
	{ "created_by", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "completed_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "overdue_raised", SPM_FIELD_BOOLEAN, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field comment_fields[] = {
	{ "record_kind", SPM_FIELD_TEXT, RQ | IX, 4, 64 },
	{ "record_id", SPM_FIELD_INTEGER, RQ | IX, 4, 0 },
	{ "author_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "content", SPM_FIELD_TEXT, RQ, 4, 10000 },
	{ "mentions", SPM_FIELD_TEXT, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field approval_flow_fields[] = {
	{ "name", SPM_FIELD_TEXT, RQ, 4, 200 },
	{ "action", SPM_FIELD_TEXT, RQ | IX, 4, 64 },
	{ "kind", SPM_FIELD_TEXT, RQ, 4, 64 },
	{ "condition", SPM_FIELD_TEXT, 0, 4, 4096 },
	{ "steps", SPM_FIELD_TEXT, RQ, 4, 2000 },
	{ "position", SPM_FIELD_INTEGER, 0, 4, 0 },
	{ "active", SPM_FIELD_BOOLEAN, 0, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field approval_request_fields[] = {
	{ "flow_id", SPM_FIELD_INTEGER, RO | RQ | IX, 4, 0 },
	{ "action", SPM_FIELD_TEXT, RO | RQ | IX, 4, 64 },
	{ "record_kind", SPM_FIELD_TEXT, RO | RQ | IX, 4, 64 },
	{ "record_id", SPM_FIELD_INTEGER, RO | RQ | IX, 4, 0 },
	{ "record_seq", SPM_FIELD_INTEGER, RO | RQ, 4, 0 },
	{ "detail", SPM_FIELD_TEXT, RO, 4, 500 },
	{ "status", SPM_FIELD_TEXT, RO | IX, 4, 20 },
	{ "step", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "approvers", SPM_FIELD_TEXT, RO, 4, 0 },
	{ "owner_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "submitted_by", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "submitted_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "decided_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "comment", SPM_FIELD_TEXT, RO, 4, 2000 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

static const struct spm__core_field approval_vote_fields[] = {
	{ "request_id", SPM_FIELD_INTEGER, RO | RQ | IX, 4, 0 },
	{ "step", SPM_FIELD_INTEGER, RO, 4, 0 },
	{ "user_id", SPM_FIELD_INTEGER, RO | IX, 4, 0 },
	{ "decision", SPM_FIELD_TEXT, RO, 4, 10 },
	{ "comment", SPM_FIELD_TEXT, RO, 4, 2000 },
	{ "at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "created_at", SPM_FIELD_TIME, RO, 4, 0 },
	{ "updated_at", SPM_FIELD_TIME, RO, 4, 0 },
};

/* The table entries, in kinds.c's order (after the pipeline's). */
#define SPM__KINDS_COLLAB \
	{ "quote", 4, 0, quote_fields, N(quote_fields), NULL, "opportunity_id", "opportunity", \
	  NULL, spm__quote_validate, spm__quote_after_write }, \
	{ "quote_line", 4, 0, quote_line_fields, N(quote_line_fields), NULL, "quote_id", "quote", \
	  NULL, spm__quote_line_validate, spm__quote_line_after_write }, \
	{ "contract", 4, 0, contract_fields, N(contract_fields), NULL, "opportunity_id", \
	  "opportunity", NULL, spm__contract_validate, NULL }, \
	{ "installment", 4, 0, installment_fields, N(installment_fields), NULL, "contract_id", \
	  "contract", NULL, spm__installment_validate, NULL }, \
	{ "payment", 4, 0, payment_fields, N(payment_fields), NULL, "contract_id", "contract", \
	  NULL, spm__payment_validate, spm__payment_after_write }, \
	{ "credit_note", 4, 0, credit_note_fields, N(credit_note_fields), NULL, "customer_id", \
	  "customer", NULL, spm__credit_note_validate, spm__credit_note_after_write }, \
	{ "complaint", 4, 0, complaint_fields, N(complaint_fields), NULL, "customer_id", \
	  "customer", NULL, spm__complaint_validate, spm__complaint_after_write }, \
	{ "task", 4, 0, task_fields, N(task_fields), "assignee_id", "record_id", SPM__ANY_KIND, \
	  NULL, spm__task_validate, NULL }, \
	{ "comment", 4, 0, comment_fields, N(comment_fields), NULL, "record_id", SPM__ANY_KIND, \
	  NULL, spm__comment_validate, spm__comment_after_write }, \
	{ "approval_flow", 4, 0, approval_flow_fields, N(approval_flow_fields), NULL, NULL, NULL, \
	  SPM_ACTION_SCHEMA, spm__approval_flow_validate, NULL }, \
	{ "approval_request", 4, 0, approval_request_fields, N(approval_request_fields), \
	  NULL, "record_id", SPM__ANY_KIND, NULL, spm__approval_request_validate, NULL }, \
	{ "approval_vote", 4, 0, approval_vote_fields, N(approval_vote_fields), NULL, \
	  "request_id", "approval_request", NULL, spm__approval_request_validate, NULL },

#endif
