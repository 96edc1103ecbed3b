/**
 * @file org.h
 * @brief The org: roles with a data scope and actions, users, a team tree,
 * effective-dated team membership, and what the acting user may see and do.
 *
 * Roles, users, teams and memberships are records of the kinds "role",
 * "user", "team" and "membership" (see record.h), written with the record
 * API and checked by the org rules: a role's scope is one of spm_scope; a
 * user has a role; a team's parent exists and moving a team never makes a
 * cycle; a user's memberships do not overlap in time.
 *
 * Visibility is enforced by the library on every read and write: records of
 * kinds with an owner (customer, and later lead and opportunity) are seen by
 * their owner, by managers whose team subtree holds the owner on the
 * current date (scope team), and by users with scope all; records without an
 * owner are in the public pool and seen by everyone; contacts are seen with
 * their customer. A record outside the actor's scope is indistinguishable
 * from a missing one (SPM_ENOTFOUND). The outbox and consumers need scope all.
 *
 * Setup mode: until the first user record exists, every actor may do
 * everything (so that the first administrator can be created). Actor 0 is
 * the system and may always do everything.
 */
#ifndef SPM_ORG_H
#define SPM_ORG_H

#include "common.h"
#include "calendar.h"

SPM_BEGIN_DECLS

/** @brief The data a role grants (the field "scope" of a role record). */
typedef enum spm_scope {
	SPM_SCOPE_OWN = 1,  /**< the user's own records and the pool */
	SPM_SCOPE_TEAM = 2, /**< also those owned by members of the teams the user manages, subtrees included */
	SPM_SCOPE_ALL = 3   /**< every record */
} spm_scope;

/** @brief Action: write roles, users, teams and memberships. */
#define SPM_ACTION_ORG "org"
/** @brief Action: define and drop custom fields. */
#define SPM_ACTION_SCHEMA "schema"
/** @brief Action: import records as they were (deals in any stage, their stage history). */
#define SPM_ACTION_IMPORT "import"

/**
 * @brief The acting user's scope.
 * @param[out] out the scope (SPM_SCOPE_ALL for the system and in setup mode)
 * @return SPM_OK; SPM_EPERM (the actor is not an active user); SPM_EINVAL;
 *         SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_org_scope(spm_scope *out, spm_db *db);

/**
 * @brief Whether the actor's role grants an action (its "actions" field: a
 * comma-separated list such as "org,schema", or "*" for every action).
 * @param[out] out 1 or 0
 * @return SPM_OK, SPM_EPERM (not an active user), SPM_EINVAL, SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_org_can(int *out, spm_db *db, const char *action);

/**
 * @brief Whether the actor may see a record.
 * @param[out] out 1 when it exists and is in scope, else 0
 * @return SPM_OK, SPM_EPERM, SPM_EINVAL, SPM_ENOTFOUND (no such kind), SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_org_visible(int *out, spm_db *db, const char *kind, int64_t id);

/**
 * @brief The team a user was a member of on a date.
 * @param[out] out the team id
 * @return SPM_OK; SPM_ENOTFOUND (in no team that day); SPM_EINVAL; SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_org_team_of(int64_t *out, spm_db *db, int64_t user, spm_date on);

/**
 * @brief Whether a user can take work on a date: active and not on leave
 * (leave_from ≤ on ≤ leave_to, either end open).
 * @param[out] out 1 or 0
 * @return SPM_OK, SPM_ENOTFOUND (no such user), SPM_EINVAL, SPM_ESTORAGE, SPM_ENOMEM.
 */
SPM_API int spm_org_available(int *out, spm_db *db, int64_t user, spm_date on);

/**
 * @brief Hands a user's work over when they leave: every open lead (not
 * converted or disqualified), every customer and every open opportunity
 * (status open) they own moves to another user, or to the pool when to is 0,
 * in one transaction. Each move is an owner change with its audit entry,
 * record.updated event and ownership_change row (via handover, the reason;
 * leads sent to the pool carry the reason as release_reason); one
 * SPM_EVENT_HANDOVER event
 * and an audit entry on the user record name the reason. The acting user
 * needs both users' records in scope (a manager for their subtree).
 * @param[out] out_moved how many records moved; may be NULL
 * @param from the user who leaves
 * @param to the user who takes over, or 0 for the pool
 * @param reason 1..500 bytes of UTF-8
 * @return SPM_OK (also when nothing was to move); SPM_EINVAL (bad reason,
 *         from = to); SPM_ENOTFOUND (no such user); SPM_EPERM (a record
 *         would go outside the actor's scope; nothing moved); SPM_ESTORAGE; SPM_ENOMEM.
 */
SPM_API int spm_org_handover(size_t *out_moved, spm_db *db, int64_t from, int64_t to,
			     const char *reason);

SPM_END_DECLS

#endif
