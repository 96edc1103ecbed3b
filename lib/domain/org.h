/* The org layer: the acting user's scope, visibility of records, and the
 * rules checked when roles, users, teams and memberships are written. */
#ifndef SPM_DOMAIN_ORG_H
#define SPM_DOMAIN_ORG_H

#include "core/db_internal.h"

struct spm__txn;
struct spm_record;

/* What the actor may see and do, computed once per public call. */
struct spm__scope {
	int mode;           /* spm_scope */
	int64_t actor;
	int all_actions;    /* the system, setup mode, or a role with "*" */
	char *actions;      /* ",a,b," for a quick search; NULL when none */
	int64_t *users;     /* TEAM: owners in scope (sorted, the actor included) */
	size_t nusers;
};

/* Loads the actor's scope. Opens a read transaction when none is open.
 * SPM_EPERM when the actor is not an active user. */
int spm__scope_load(struct spm__scope *out, spm_db *db);
void spm__scope_free(spm_db *db, struct spm__scope *s);
int spm__scope_can(const struct spm__scope *s, const char *action);
/* Checks an action and raises SPM_EPERM with a message naming it. */
int spm__scope_require(const struct spm__scope *s, const char *action, const char *what);
/* Loads the actor's scope and raises SPM_EPERM unless it is all ("user 7 may
 * not <what> (needs scope all)"): for what carries every record's changes. */
int spm__scope_require_all(spm_db *db, const char *what);
/* *out = 1 when rec is visible. Reads the parent record for child kinds;
 * call inside a transaction. */
int spm__scope_sees(int *out, const struct spm__scope *s, spm_db *db,
		    const struct spm_record *rec);
/* 1 when s may give a record to owner (a user id; 0 = the pool). */
int spm__scope_may_own(const struct spm__scope *s, int64_t owner);

/* Checks a write of a kind against the actor's scope and actions (inside the
 * write transaction): before is the stored record or NULL, after the new
 * version or NULL (delete). */
int spm__scope_check_write(struct spm__txn *t, const struct spm_record *before,
			   const struct spm_record *after);

/* The kinds' validation hooks (kinds.c). */
int spm__org_validate_role(struct spm__txn *t, const struct spm_record *before,
			   struct spm_record *after);
int spm__org_validate_user(struct spm__txn *t, const struct spm_record *before,
			   struct spm_record *after);
int spm__org_validate_team(struct spm__txn *t, const struct spm_record *before,
			   struct spm_record *after);
int spm__org_validate_membership(struct spm__txn *t, const struct spm_record *before,
				 struct spm_record *after);
int spm__org_validate_parent(struct spm__txn *t, const struct spm_record *before,
			     struct spm_record *after);

#endif
