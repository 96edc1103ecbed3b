/* Helpers shared by the collaboration and collections rules. */
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int spm__collab_get(spm_record **out, spm_db *db, const char *kind, int64_t id)
{
	spm_kind *k = spm__kind_find(db, kind, 0);

	*out = NULL;
	if (k == NULL)
		return spm__error_set(SPM_ENOTFOUND, "no kind '%s'", kind);
	return db->ops->get(db->store, out, k, id);
}

int spm__collab_owner(int64_t *out, spm_db *db, const spm_record *rec)
{
	const struct spm__kind_def *def = rec->kind->def;
	const char *kind;
	spm_record *parent = NULL;
	int rc;

	*out = 0;
	if (def == NULL)
		return SPM_OK;
	if (def->owner_field && spm__fld_has(rec, def->owner_field)) {
		*out = spm__fld_num(rec, def->owner_field);
		return SPM_OK;
	}
	if (def->parent_field == NULL || !spm__fld_has(rec, def->parent_field))
		return SPM_OK;
	kind = def->parent_kind;
	if (strcmp(kind, SPM__ANY_KIND) == 0)
		kind = spm__fld_text(rec, SPM__LINK_KIND);
	if (kind == NULL)
		return SPM_OK;
	rc = spm__collab_get(&parent, db, kind, spm__fld_num(rec, def->parent_field));
	if (rc == SPM_ENOTFOUND)
		return SPM_OK;
	if (rc == SPM_OK)
		rc = spm__collab_owner(out, db, parent);
	spm_record_free(parent);
	return rc;
}

int spm__collab_check_link(spm_db *db, const char *what, const char *kind, int64_t id)
{
	spm_kind *k = kind ? spm__kind_find(db, kind, 0) : NULL;
	spm_record *rec = NULL;
	int rc;

	if (k == NULL || (k->def && (k->def->flags & SPM_KIND_SYSTEM)))
		return spm__error_set(SPM_EINVAL, "%s: '%s' is not a kind of record", what,
				      kind ? kind : "");
	rc = db->ops->get(db->store, &rec, k, id);
	spm_record_free(rec);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "%s: %s %" PRId64 " does not exist", what, kind,
				      id);
	return rc;
}

int spm__collab_manager_of(int64_t *out, spm_db *db, int64_t user, spm_time now)
{
	spm_record *team = NULL;
	spm_date today;
	int64_t team_id;
	int rc = spm_date_from_time(&today, now);

	*out = 0;
	if (rc == SPM_OK)
		rc = spm_org_team_of(&team_id, db, user, today);
	if (rc == SPM_ENOTFOUND)
		return SPM_OK;  /* in no team: no manager */
	for (int depth = 0; rc == SPM_OK && depth < 64 && team_id; depth++) {
		rc = spm__collab_get(&team, db, "team", team_id);
		if (rc == SPM_ENOTFOUND)
			return SPM_OK;
		if (rc != SPM_OK)
			break;
		*out = spm__fld_num(team, "manager_id");
		team_id = spm__fld_num(team, "parent_id");
		spm_record_free(team);
		team = NULL;
		if (*out && *out != user)
			return SPM_OK;
		*out = 0;
	}
	return rc;
}

int spm__collab_put_money(spm_record *rec, const char *field, int64_t minor, const char *cur)
{
	return spm__record_put_money(rec, (size_t)spm__fld_idx(rec, field), minor, cur);
}

const char *spm__collab_currency(const spm_record *rec, const char *field)
{
	long i = spm__fld_idx(rec, field);

	if (i < 0 || (size_t)i >= rec->nvalues || !rec->v[i].has)
		return NULL;
	return rec->v[i].cur;
}

const char *spm__collab_money_text(char *buf, size_t size, int64_t minor, const char *cur)
{
	char num[64];

	if (spm_money_format(num, sizeof(num), minor, cur) != SPM_OK)
		snprintf(num, sizeof(num), "%" PRId64, minor);
	snprintf(buf, size, "%s %s", num, cur);
	return buf;
}

int spm__collab_changed(const spm_record *before, const spm_record *after, const char *field)
{
	long i = spm__fld_idx(after, field);
	struct spm__value none;

	if (before == NULL || i < 0)
		return 0;
	memset(&none, 0, sizeof(none));
	return !spm__value_equal((size_t)i < before->nvalues ? &before->v[i] : &none,
				 (size_t)i < after->nvalues ? &after->v[i] : &none);
}

int spm__collab_audit(struct spm__txn *t, const spm_record *before, const spm_record *after,
		      const char *const *fields)
{
	int rc = SPM_OK;

	for (; rc == SPM_OK && *fields; fields++) {
		long i = spm__fld_idx(after, *fields);
		char *old_text = NULL, *new_text = NULL;

		if (i < 0 || (before && !spm__collab_changed(before, after, *fields)))
			continue;
		if (before)
			rc = spm__record_render(&old_text, before, (size_t)i);
		if (rc == SPM_OK)
			rc = spm__record_render(&new_text, after, (size_t)i);
		if (rc == SPM_OK)
			rc = spm__txn_audit(t, before ? SPM_AUDIT_UPDATE : SPM_AUDIT_CREATE,
					    after->kind->name, after->id, *fields, old_text,
					    new_text);
		spm__free(t->db, old_text);
		spm__free(t->db, new_text);
	}
	return rc;
}
