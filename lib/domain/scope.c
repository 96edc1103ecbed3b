/* The acting user's scope and the visibility of records (org.h). */
#include "domain/org.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t field_int(const spm_record *rec, const char *name, int *has)
{
	long i = spm__core_index(rec->kind, name);

	*has = i >= 0 && !spm_record_value_null(rec, (size_t)i);
	return *has ? spm_record_value_int(rec, (size_t)i) : 0;
}

static const char *field_text(const spm_record *rec, const char *name)
{
	long i = spm__core_index(rec->kind, name);

	return i >= 0 ? spm_record_value_text(rec, (size_t)i, NULL) : NULL;
}

static int get_kind(spm_record **out, spm_db *db, const char *kind, int64_t id)
{
	return db->ops->get(db->store, out, spm__kind_find(db, kind, 0), id);
}

/* The kind a child record hangs off: fixed by its kind; or named by the
 * record itself — its "kind" field when the kind names none
 * (ownership_change), its record_kind field when the kind names any (tasks,
 * comments). */
static const char *parent_kind(spm_db *db, const spm_record *rec)
{
	const char *name = rec->kind->def->parent_kind;

	if (name == NULL)
		name = field_text(rec, "kind");
	else if (strcmp(name, SPM__ANY_KIND) == 0)
		name = field_text(rec, SPM__LINK_KIND);
	return name && spm__kind_find(db, name, 0) ? name : NULL;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int contains(const int64_t *ids, size_t n, int64_t id)
{
	return bsearch(&id, ids, n, sizeof(*ids), cmp_id) != NULL;
}

static int push_id(spm_db *db, int64_t **ids, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		int64_t *p = spm__realloc(db, *ids, c * sizeof(*p));
		if (p == NULL)
			return spm__error_oom();
		*ids = p;
		*cap = c;
	}
	(*ids)[(*n)++] = id;
	return SPM_OK;
}

/* The teams managed by the actor and every team below them. */
static int managed_subtree(spm_db *db, const struct spm__page *teams, int64_t actor,
			   int64_t **ids, size_t *n)
{
	size_t cap = 0, before;
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < teams->n; i++) {
		int has;
		if (field_int(teams->recs[i], "manager_id", &has) == actor && has)
			rc = push_id(db, ids, n, &cap, teams->recs[i]->id);
	}
	do {  /* add children of the set until it stops growing */
		before = *n;
		for (size_t i = 0; rc == SPM_OK && i < teams->n; i++) {
			int has, in = 0;
			int64_t parent = field_int(teams->recs[i], "parent_id", &has);
			for (size_t k = 0; has && k < *n; k++)
				in |= (*ids)[k] == parent;
			for (size_t k = 0; in && k < *n; k++)
				in = (*ids)[k] != teams->recs[i]->id;
			if (in)
				rc = push_id(db, ids, n, &cap, teams->recs[i]->id);
		}
	} while (rc == SPM_OK && *n != before);
	return rc;
}

static int covers(const spm_record *m, spm_date day)
{
	int has_from, has_to;
	int64_t from = field_int(m, "valid_from", &has_from);
	int64_t to = field_int(m, "valid_to", &has_to);

	return has_from && from <= day && (!has_to || day <= to);
}

/* Every user who is, today, a member of a team the actor manages (subtrees
 * included), plus the actor. */
static int team_users(struct spm__scope *s, spm_db *db)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page teams = { NULL, 0, 0 }, members = { NULL, 0, 0 };
	int64_t *subtree = NULL;
	size_t nsub = 0, cap = 0;
	spm_date today;
	int rc = spm_date_from_time(&today, spm_db_now(db));

	if (rc == SPM_OK)
		rc = spm__scan_page(db, &teams, spm__kind_find(db, "team", 0), &all);
	if (rc == SPM_OK)
		rc = managed_subtree(db, &teams, s->actor, &subtree, &nsub);
	if (rc == SPM_OK)
		rc = spm__scan_page(db, &members, spm__kind_find(db, "membership", 0), &all);
	if (rc == SPM_OK)
		rc = push_id(db, &s->users, &s->nusers, &cap, s->actor);
	for (size_t i = 0; rc == SPM_OK && i < members.n; i++) {
		int has;
		int64_t team = field_int(members.recs[i], "team_id", &has);
		int in = 0;

		for (size_t k = 0; k < nsub; k++)
			in |= subtree[k] == team;
		if (in && covers(members.recs[i], today))
			rc = push_id(db, &s->users, &s->nusers, &cap,
				     field_int(members.recs[i], "user_id", &has));
	}
	if (rc == SPM_OK)
		qsort(s->users, s->nusers, sizeof(*s->users), cmp_id);
	spm__free(db, subtree);
	spm__page_clear(db, &teams);
	spm__page_clear(db, &members);
	return rc;
}

static int any_user(int *out, spm_db *db)
{
	spm_scan one = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(db, &page, spm__kind_find(db, "user", 0), &one);

	*out = page.n > 0;
	spm__page_clear(db, &page);
	return rc;
}

static int load_role(struct spm__scope *s, spm_db *db)
{
	spm_record *user = NULL, *role = NULL;
	const char *actions;
	int has, rc = get_kind(&user, db, "user", s->actor);

	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_EPERM, "actor %lld is not a user", (long long)s->actor);
	if (rc != SPM_OK)
		return rc;
	if (!field_int(user, "active", &has)) {
		spm_record_free(user);
		return spm__error_set(SPM_EPERM, "user %lld is not active", (long long)s->actor);
	}
	rc = get_kind(&role, db, "role", field_int(user, "role_id", &has));
	spm_record_free(user);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_EPERM, "user %lld has no role", (long long)s->actor);
	if (rc != SPM_OK)
		return rc;
	s->mode = (int)field_int(role, "scope", &has);
	actions = field_text(role, "actions");
	if (actions && strcmp(actions, "*") == 0) {
		s->all_actions = 1;
	} else if (actions) {
		size_t len = strlen(actions);
		s->actions = spm__malloc(db, len + 3);
		if (s->actions == NULL)
			rc = spm__error_oom();
		else
			snprintf(s->actions, len + 3, ",%s,", actions);
	}
	spm_record_free(role);
	return rc;
}

int spm__scope_load(struct spm__scope *s, spm_db *db)
{
	int opened = !db->in_txn, some, rc;

	memset(s, 0, sizeof(*s));
	s->actor = db->actor;
	s->mode = SPM_SCOPE_ALL;
	s->all_actions = 1;
	if (db->actor == 0 || spm__kind_find(db, "user", 0) == NULL)
		return SPM_OK;
	rc = spm__read_begin(db);
	if (rc == SPM_OK)
		rc = any_user(&some, db);
	if (rc == SPM_OK && some) {
		s->all_actions = 0;
		rc = load_role(s, db);
		if (rc == SPM_OK && s->mode == SPM_SCOPE_TEAM)
			rc = team_users(s, db);
	}
	if (opened)
		spm__read_end(db);
	if (rc != SPM_OK)
		spm__scope_free(db, s);
	return rc;
}

void spm__scope_free(spm_db *db, struct spm__scope *s)
{
	spm__free(db, s->actions);
	spm__free(db, s->users);
	s->actions = NULL;
	s->users = NULL;
	s->nusers = 0;
}

int spm__scope_can(const struct spm__scope *s, const char *action)
{
	char needle[72];

	if (s->all_actions)
		return 1;
	if (s->actions == NULL || strlen(action) > 64)
		return 0;
	snprintf(needle, sizeof(needle), ",%s,", action);
	return strstr(s->actions, needle) != NULL;
}

int spm__scope_require(const struct spm__scope *s, const char *action, const char *what)
{
	if (spm__scope_can(s, action))
		return SPM_OK;
	return spm__error_set(SPM_EPERM, "user %lld may not %s (needs the '%s' action)",
			      (long long)s->actor, what, action);
}

int spm__scope_require_all(spm_db *db, const char *what)
{
	struct spm__scope s;
	int rc = spm__scope_load(&s, db);

	if (rc == SPM_OK && s.mode != SPM_SCOPE_ALL)
		rc = spm__error_set(SPM_EPERM, "user %lld may not %s (needs scope all)",
				    (long long)s.actor, what);
	spm__scope_free(db, &s);
	return rc;
}

int spm__scope_may_own(const struct spm__scope *s, int64_t owner)
{
	if (owner == 0 || s->mode == SPM_SCOPE_ALL)
		return 1;
	if (s->mode == SPM_SCOPE_TEAM)
		return contains(s->users, s->nusers, owner);
	return owner == s->actor;
}

/* A record linked to a record of any kind (tasks, comments): seen through
 * the linked record; with no link, through its owner field. */
static int sees_linked(int *out, const struct spm__scope *s, spm_db *db, const spm_record *rec)
{
	const struct spm__kind_def *def = rec->kind->def;
	const char *kind = field_text(rec, SPM__LINK_KIND);
	spm_kind *k = kind ? spm__kind_find(db, kind, 0) : NULL;
	spm_record *linked = NULL;
	int has, rc;
	int64_t id = field_int(rec, def->parent_field, &has);

	*out = 1;
	if (kind == NULL && def->owner_field) {
		id = field_int(rec, def->owner_field, &has);
		*out = !has || spm__scope_may_own(s, id);
		return SPM_OK;
	}
	if (kind == NULL)
		return SPM_OK;
	rc = k && has ? db->ops->get(db->store, &linked, k, id) : SPM_ENOTFOUND;
	if (rc == SPM_ENOTFOUND) {
		*out = 0;
		return SPM_OK;
	}
	if (rc == SPM_OK)
		rc = spm__scope_sees(out, s, db, linked);
	spm_record_free(linked);
	return rc;
}

int spm__scope_sees(int *out, const struct spm__scope *s, spm_db *db, const spm_record *rec)
{
	const struct spm__kind_def *def = rec->kind->def;
	spm_record *parent = NULL;
	const char *pkind;
	int has, rc;
	int64_t id;

	*out = 1;
	if (s->mode == SPM_SCOPE_ALL || def == NULL)
		return SPM_OK;
	if (def->parent_kind && strcmp(def->parent_kind, SPM__ANY_KIND) == 0)
		return sees_linked(out, s, db, rec);
	if (def->owner_field) {
		id = field_int(rec, def->owner_field, &has);
		*out = !has || spm__scope_may_own(s, id);
		return SPM_OK;
	}
	if (def->parent_field == NULL)
		return SPM_OK;
	id = field_int(rec, def->parent_field, &has);
	pkind = parent_kind(db, rec);
	rc = has && pkind ? get_kind(&parent, db, pkind, id) : SPM_ENOTFOUND;
	if (rc == SPM_ENOTFOUND) {
		*out = 0;
		return SPM_OK;
	}
	if (rc == SPM_OK)
		rc = spm__scope_sees(out, s, db, parent);
	spm_record_free(parent);
	return rc;
}

static int not_found(const spm_record *rec)
{
	return spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", rec->kind->name,
			      (long long)rec->id);
}

int spm__scope_check_write(struct spm__txn *t, const spm_record *before, const spm_record *after)
{
	const spm_record *rec = after ? after : before;
	const struct spm__kind_def *def = rec->kind->def;
	struct spm__scope *s;
	int seen, has, rc = spm__txn_scope(&s, t);
	int64_t owner, old_owner;

	if (rc == SPM_OK && def->write_action) {
		char what[64];
		snprintf(what, sizeof(what), "write %s records", rec->kind->name);
		rc = spm__scope_require(s, def->write_action, what);
	}
	if (rc == SPM_OK && before) {
		rc = spm__scope_sees(&seen, s, t->db, before);
		if (rc == SPM_OK && !seen)
			return not_found(before);
	}
	if (rc != SPM_OK || after == NULL)
		return rc;
	if (def->owner_field) {
		owner = field_int(after, def->owner_field, &has);
		old_owner = before ? field_int(before, def->owner_field, &has) : -1;
		if (owner != old_owner && !spm__scope_may_own(s, owner))
			return spm__error_set(SPM_EPERM, "user %lld may not give %s records to "
					      "user %lld", (long long)s->actor, rec->kind->name,
					      (long long)owner);
	}
	if (def->parent_field) {
		const char *parent = parent_kind(t->db, after);

		rc = spm__scope_sees(&seen, s, t->db, after);
		if (rc == SPM_OK && !seen)
			return spm__error_set(SPM_ENOTFOUND, "%s.%s: %s %lld does not exist",
					      rec->kind->name, def->parent_field,
					      parent ? parent : "record",
					      (long long)field_int(after, def->parent_field, &has));
	}
	return rc;
}
