/* Shared by the approval files: the request helpers (approval_request.c)
 * and the lookups the guard and the votes both use (approval.c). */
#ifndef SPM_DOMAIN_APPROVAL_H
#define SPM_DOMAIN_APPROVAL_H

#include "domain/collab.h"
#include "core/txn.h"

#include <jansson.h>

/* Writes a request or vote. An approver acts on the request whether or not
 * their scope shows them its record, so the scope check is skipped (the
 * audit still names the actor). */
int spm__approval_write(struct spm__txn *t, const spm_record *rec, spm_record **out);
/* Raises an event on a request with payload (consumed; NULL is out of memory). */
int spm__approval_event(struct spm__txn *t, int type, int64_t request, json_t *payload);
/* Sets the request's status (with decided_at and comment), audited. */
int spm__approval_set_status(struct spm__txn *t, spm_record *req, const char *status,
			     const char *comment);
/* The payload naming a request's action, record and detail (NULL: no memory). */
json_t *spm__approval_about(const spm_record *req);
/* Adds step, mode and approvers of step (0-based) of req to obj; consumes obj. */
json_t *spm__approval_with_approvers(json_t *obj, const spm_record *req, int64_t step);

#endif
