/**
 * @file events.h
 * @brief Events: listeners after commit, and the durable outbox read by named consumers.
 *
 * Every write stores its events in the outbox in the same transaction as the
 * change. Listeners run after the commit, on the caller's thread. Durable
 * consumers read the outbox by sequence number and acknowledge what they have
 * processed; a crash between processing and acknowledging makes them see an
 * event again (at-least-once), never lose one.
 */
#ifndef SPM_EVENTS_H
#define SPM_EVENTS_H

#include "common.h"

SPM_BEGIN_DECLS

/** @brief Event types. Append-only; the domain layers add theirs. */
typedef enum spm_event_type {
	SPM_EVENT_RECORD_CREATED = 1, /**< a record was created; payload: its fields */
	SPM_EVENT_RECORD_UPDATED = 2, /**< a record changed; payload: the changed fields */
	SPM_EVENT_RECORD_DELETED = 3, /**< a record was deleted */
	SPM_EVENT_FIELD_ADDED = 4,    /**< a custom field was defined; entity_id 0 */
	SPM_EVENT_FIELD_DROPPED = 5,  /**< a custom field was dropped; entity_id 0 */
	SPM_EVENT_LEAD_CLAIMED = 6,   /**< a lead left the pool to a user; payload: user */
	SPM_EVENT_LEAD_RELEASED = 7,  /**< a lead went back to the pool; payload: previous owner, reason */
	SPM_EVENT_FOLLOW_UP_DUE = 8,  /**< a lead's or customer's next follow-up date has come; payload: owner, date */
	SPM_EVENT_HANDOVER = 9,       /**< a user's leads and customers moved (kind "user", the user who left); payload: to, moved */
	SPM_EVENT_RECLAIM_WARNING = 10, /**< a lead or customer will be reclaimed; payload: rule, level (owner or manager), who to tell, days left */
	SPM_EVENT_RECLAIMED = 11,     /**< a reclaim rule sent a lead or customer back to the pool; payload: rule, previous owner, days */
	SPM_EVENT_LEAD_CONVERTED = 12, /**< a lead became a customer (and contact); payload: customer_id, contact_id */
	SPM_EVENT_RECORD_MERGED = 13, /**< a record was merged into this one (spm_record_merge); payload: from */
	SPM_EVENT_LEAD_ASSIGNED = 14, /**< an assignment rule gave a pool lead to a user; payload: user, rule, reason */
	SPM_EVENT_STAGE_CHANGED = 15, /**< a deal moved stage; payload: from, to, seconds in from, history row */
	SPM_EVENT_GATE_OVERRIDDEN = 16, /**< a deal moved although criteria were unmet; payload: stage, reason, unmet names */
	SPM_EVENT_OPPORTUNITY_WON = 17, /**< a deal entered a won stage; payload: stage, amount */
	SPM_EVENT_OPPORTUNITY_LOST = 18, /**< a deal entered a lost stage; payload: stage, lost_reason */
	SPM_EVENT_OPPORTUNITY_REOPENED = 19, /**< a won or lost deal moved back to an open stage; payload: from, to */
	SPM_EVENT_TASK_OVERDUE = 20,  /**< an open task passed its due time (once per due time); payload: assignee_id, due_at, record_kind, record_id */
	SPM_EVENT_MENTION = 21,       /**< a comment mentions a user (one event per user); payload: user, author_id, record_kind, record_id */
	SPM_EVENT_APPROVAL_SUBMITTED = 22, /**< an approval request was submitted (kind approval_request); payload: action, record_kind, record_id, approvers of step 0 */
	SPM_EVENT_APPROVAL_APPROVED = 23, /**< the last step approved the request; payload: action, record_kind, record_id, by */
	SPM_EVENT_APPROVAL_REJECTED = 24, /**< an approver rejected the request; payload: action, record_kind, record_id, by, comment */
	SPM_EVENT_INSTALLMENT_OVERDUE = 25, /**< an installment is past due and not fully paid (once per installment); payload: contract_id, due_on, outstanding, currency, owner_id */
	SPM_EVENT_PAYMENT_RECEIVED = 26, /**< a payment was recorded (kind payment); payload: contract_id, owner_id, amount, credit, currency */
	SPM_EVENT_APPROVAL_STEP = 27, /**< an approver approved a step that goes on (or a step was completed); payload: action, step, by, done, next approvers */
	SPM_EVENT_REFUND_RECORDED = 28, /**< a credit note was recorded; payload: customer_id, opportunity_id, owner_id, amount, currency */
	SPM_EVENT_COMPLAINT_RECORDED = 29, /**< a complaint was recorded; payload: customer_id, opportunity_id, owner_id, category, severity */
	SPM_EVENT_APPROVAL_CANCELLED = 30, /**< a pending request was withdrawn or superseded by a newer state; payload: action, record_kind, record_id, why */
	SPM_EVENT_TARGET_WARNING = 32, /**< a target alert started to hold for a target (kind "target"); payload: alert, check, the progress figures */
	SPM_EVENT_TARGET_RECOVERED = 33, /**< a target alert that held no longer does; payload: alert, check, the progress figures */
	SPM_EVENT_TARGET_DECOMPOSED = 34 /**< a target was decomposed into children; payload: method, axis, children, imbalance */
} spm_event_type;

/** @brief The mask bit of one event type, for spm_listener_add(). */
#define SPM_EVENT_MASK(type) (UINT64_C(1) << (type))
/** @brief A mask selecting every event type. */
#define SPM_EVENT_MASK_ALL UINT64_MAX

/** @brief One event; every pointer is borrowed and valid only during the callback. */
typedef struct spm_event {
	uint32_t version;      /**< SPM_EVENT_VERSION */
	int64_t seq;           /**< position in the outbox (increasing, never reused) */
	int64_t change_seq;    /**< the change sequence of the write that raised it */
	spm_time at;           /**< when it was raised (the handle's clock) */
	int64_t actor;         /**< who caused it */
	int type;              /**< spm_event_type */
	const char *kind;      /**< the entity kind */
	int64_t entity_id;     /**< the record, or 0 */
	const char *payload;   /**< details as a JSON object; never NULL */
} spm_event;

/** @brief The version of spm_event this header describes. */
#define SPM_EVENT_VERSION 1

/** @brief Receives an event; a non-zero return stops delivery and is returned. */
typedef int (*spm_event_cb)(const spm_event *event, void *payload);

/**
 * @brief Static name of an event type ("record.created", …).
 * @return static text, or NULL for an unknown type.
 */
SPM_API const char *spm_event_type_name(int type);

/**
 * @brief Registers a listener called after each commit for the events whose
 * type bit is in mask. Listeners run in registration order. When one returns
 * non-zero, the later ones are not called for that write and the writing
 * function returns that value (the write itself is committed).
 * @param[out] out_id identifies the listener for spm_listener_remove(); may be NULL
 * @return SPM_OK, SPM_EINVAL, SPM_ENOMEM.
 */
SPM_API int spm_listener_add(int *out_id, spm_db *db, uint64_t mask, spm_event_cb cb,
			     void *payload);

/**
 * @brief Removes a listener.
 * @return SPM_OK, SPM_EINVAL, SPM_ENOTFOUND.
 */
SPM_API int spm_listener_remove(spm_db *db, int id);

/**
 * @brief Calls cb for up to limit outbox events with a sequence above after,
 * in order. No transaction is held open while cb runs.
 * @param limit 0 for no limit
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE, SPM_ECORRUPT (a stored event is
 *         damaged), SPM_ENOMEM, or cb's non-zero value.
 */
SPM_API int spm_outbox_foreach(spm_db *db, int64_t after, size_t limit, spm_event_cb cb,
			       void *payload);

/**
 * @brief The sequence of the newest outbox event.
 * @param[out] out 0 when the outbox is empty
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE.
 */
SPM_API int spm_outbox_last(int64_t *out, spm_db *db);

/**
 * @brief The last sequence a named consumer acknowledged (0 for a new consumer).
 * @param name 1..63 bytes `[A-Za-z0-9_.-]`
 * @return SPM_OK, SPM_EINVAL, SPM_ESTORAGE.
 */
SPM_API int spm_consumer_position(int64_t *out, spm_db *db, const char *name);

/**
 * @brief Durably records that a consumer has processed every event up to seq.
 * @return SPM_OK; SPM_EINVAL (bad name; seq below the current position or
 *         above the newest event); SPM_EPERM (read-only); SPM_ESTORAGE.
 */
SPM_API int spm_consumer_ack(spm_db *db, const char *name, int64_t seq);

/**
 * @brief Calls cb for up to limit events after the consumer's position. Does
 * not acknowledge: call spm_consumer_ack() once they are processed.
 * @return as spm_outbox_foreach().
 */
SPM_API int spm_consumer_poll(spm_db *db, const char *name, size_t limit, spm_event_cb cb,
			      void *payload);

SPM_END_DECLS

#endif
