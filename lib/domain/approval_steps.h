/* The steps of an approval flow: the text a flow is written in, and the
 * approvers a request resolves them to when it is submitted. */
#ifndef SPM_DOMAIN_APPROVAL_STEPS_H
#define SPM_DOMAIN_APPROVAL_STEPS_H

#include "core/txn.h"

/* At most this many steps, and approvers in one step. */
#define SPM__APPROVAL_MAX_STEPS 16
#define SPM__APPROVAL_MAX_APPROVERS 64

/* Checks a flow's steps text: "manager; role:3/all; user:12,15" (steps
 * separated by ';': "manager", "user:ID[,ID...]" or "role:ID|NAME", then
 * "/any" (default) or "/all"). SPM_EINVAL with the step's number. */
int spm__approval_steps_check(const char *steps);

/* Resolves steps for a record owned by owner at t->at: "any:4;all:5,6"
 * (caller frees *out with spm__free). SPM_EINVAL when a step resolves to no
 * active user. */
int spm__approval_steps_resolve(char **out, struct spm__txn *t, const char *steps,
				int64_t owner);

/* Step number step (0-based) of a resolved list: its mode and approvers.
 * Returns 0 when there is no such step. */
int spm__approval_step(const char *resolved, int64_t step, int *all, int64_t *ids, size_t *n);

#endif
