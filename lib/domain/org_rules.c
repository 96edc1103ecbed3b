/* The rules checked when roles, users, teams and memberships are written,
 * and the parent check of child kinds. Each runs inside the write
 * transaction, so what it reads is what the write will commit against. */
#include "domain/org.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <string.h>

#define MAX_TEAM_DEPTH 1000

static int64_t val(const spm_record *rec, const char *name, int *has)
{
	long i = spm__core_index(rec->kind, name);

	*has = i >= 0 && !spm_record_value_null(rec, (size_t)i);
	return *has ? spm_record_value_int(rec, (size_t)i) : 0;
}

/* SPM_OK when a live record of kind with id exists; else a message naming
 * the referring field. */
static int must_exist(struct spm__txn *t, const char *kind, int64_t id, const spm_record *from,
		      const char *field)
{
	spm_record *rec = NULL;
	int rc = t->db->ops->get(t->db->store, &rec, spm__kind_find(t->db, kind, 0), id);

	spm_record_free(rec);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "%s.%s: %s %lld does not exist",
				      from->kind->name, field, kind, (long long)id);
	return rc;
}

/* Whether any live record of kind has field = id. */
static int referenced(int *out, struct spm__txn *t, const char *kind, const char *field,
		      int64_t id)
{
	spm_kind *k = spm__kind_find(t->db, kind, 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, field), SPM_CMP_EQ, id, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, k, &scan);

	*out = page.n > 0;
	spm__page_clear(t->db, &page);
	return rc;
}

static int refuse_if_referenced(struct spm__txn *t, const spm_record *rec, const char *kind,
				const char *field, const char *why)
{
	int used;
	int rc = referenced(&used, t, kind, field, rec->id);

	if (rc == SPM_OK && used)
		return spm__error_set(SPM_EINVAL, "%s %lld cannot be deleted: %s", rec->kind->name,
				      (long long)rec->id, why);
	return rc;
}

static int check_actions(const char *actions)
{
	/* a comma-separated list of [a-z0-9_.]+, or "*" */
	int empty = 1;

	if (actions == NULL || strcmp(actions, "*") == 0)
		return SPM_OK;
	for (const char *p = actions;; p++) {
		if (*p == ',' || *p == '\0') {
			if (empty)
				break;
			if (*p == '\0')
				return SPM_OK;
			empty = 1;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
			   *p == '.') {
			empty = 0;
		} else {
			break;
		}
	}
	return spm__error_set(SPM_EINVAL, "role.actions must be \"*\" or a comma-separated list "
			      "of names like org,schema");
}

int spm__org_validate_role(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int has;
	int64_t scope;

	if (after == NULL)
		return refuse_if_referenced(t, before, "user", "role_id", "users have this role");
	scope = val(after, "scope", &has);
	if (scope < SPM_SCOPE_OWN || scope > SPM_SCOPE_ALL)
		return spm__error_set(SPM_EINVAL, "role.scope must be 1 (own), 2 (team) or 3 (all), "
				      "not %lld", (long long)scope);
	return check_actions(spm_record_value_text(after, (size_t)spm__core_index(after->kind,
										  "actions"), NULL));
}

int spm__org_validate_user(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int has_from, has_to, has;
	int64_t from, to;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	from = val(after, "leave_from", &has_from);
	to = val(after, "leave_to", &has_to);
	if (has_from && has_to && to < from)
		return spm__error_set(SPM_EINVAL, "user.leave_to is before user.leave_from");
	return must_exist(t, "role", val(after, "role_id", &has), after, "role_id");
}

int spm__org_validate_team(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	spm_kind *team = spm__kind_find(t->db, "team", 0);
	int has, rc;
	int64_t cur;

	if (after == NULL)
		return refuse_if_referenced(t, before, "team", "parent_id", "it has sub-teams");
	cur = val(after, "manager_id", &has);
	if (has) {
		rc = must_exist(t, "user", cur, after, "manager_id");
		if (rc != SPM_OK)
			return rc;
	}
	/* Walk up from the new parent: meeting this team again is a cycle. */
	cur = val(after, "parent_id", &has);
	for (int depth = 0; has; depth++) {
		spm_record *p = NULL;

		if (cur == after->id)
			return spm__error_set(SPM_EINVAL, "team %lld cannot move under its own "
					      "subtree", (long long)after->id);
		if (depth == MAX_TEAM_DEPTH)
			return spm__error_set(SPM_EINVAL, "teams nest at most %d deep", MAX_TEAM_DEPTH);
		rc = t->db->ops->get(t->db->store, &p, team, cur);
		if (rc == SPM_ENOTFOUND)
			return spm__error_set(SPM_ENOTFOUND, "team.parent_id: team %lld does not exist",
					      (long long)cur);
		if (rc != SPM_OK)
			return rc;
		cur = val(p, "parent_id", &has);
		spm_record_free(p);
	}
	return SPM_OK;
}

static int overlaps(const spm_record *a, const spm_record *b)
{
	int has, a_open, b_open;
	int64_t a_from = val(a, "valid_from", &has), b_from = val(b, "valid_from", &has);
	int64_t a_to = val(a, "valid_to", &has);

	a_open = !has;
	int64_t b_to = val(b, "valid_to", &has);
	b_open = !has;
	return (b_open || a_from <= b_to) && (a_open || b_from <= a_to);
}

int spm__org_validate_membership(struct spm__txn *t, const spm_record *before,
				 spm_record *after)
{
	spm_kind *kind;
	spm_scan_cond cond;
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int has_to, has, rc;
	int64_t user;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	if (val(after, "valid_to", &has_to) < val(after, "valid_from", &has) && has_to)
		return spm__error_set(SPM_EINVAL, "membership.valid_to is before valid_from");
	user = val(after, "user_id", &has);
	rc = must_exist(t, "user", user, after, "user_id");
	if (rc == SPM_OK)
		rc = must_exist(t, "team", val(after, "team_id", &has), after, "team_id");
	if (rc != SPM_OK)
		return rc;
	/* A user is in one team at a time. */
	kind = spm__kind_find(t->db, "membership", 0);
	cond = (spm_scan_cond){ (size_t)spm__core_index(kind, "user_id"), SPM_CMP_EQ, user, NULL };
	rc = spm__scan_page(t->db, &page, kind, &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
		if (page.recs[i]->id != after->id && overlaps(page.recs[i], after))
			rc = spm__error_set(SPM_ECONFLICT, "user %lld is already in team %lld "
					    "during that time (membership %lld)", (long long)user,
					    (long long)val(page.recs[i], "team_id", &has),
					    (long long)page.recs[i]->id);
	spm__page_clear(t->db, &page);
	return rc;
}

int spm__org_validate_parent(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const struct spm__kind_def *def;
	int has;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	def = after->kind->def;
	return must_exist(t, def->parent_kind, val(after, def->parent_field, &has), after,
			  def->parent_field);
}
