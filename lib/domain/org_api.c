/* The public org calls (include/spm/org.h). */
#include "domain/org.h"
#include "core/txn.h"

#include <string.h>

int spm_org_scope(spm_scope *out, spm_db *db)
{
	struct spm__scope s;
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(db);
	rc = spm__scope_load(&s, db);
	if (rc == SPM_OK)
		*out = (spm_scope)s.mode;
	spm__scope_free(db, &s);
	return rc;
}

int spm_org_can(int *out, spm_db *db, const char *action)
{
	struct spm__scope s;
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(action);
	rc = spm__scope_load(&s, db);
	if (rc == SPM_OK)
		*out = spm__scope_can(&s, action);
	spm__scope_free(db, &s);
	return rc;
}

int spm_org_visible(int *out, spm_db *db, const char *kind, int64_t id)
{
	spm_record *rec = NULL;
	int rc;

	SPM__CHECK_ARG(out);
	*out = 0;
	rc = spm_record_get(&rec, db, kind, id);
	spm_record_free(rec);
	if (rc == SPM_OK)
		*out = 1;
	return rc == SPM_ENOTFOUND && spm__kind_find(db, kind, 0) ? SPM_OK : rc;
}

static int64_t val(const spm_record *rec, const char *name, int *has)
{
	long i = spm__core_index(rec->kind, name);

	*has = i >= 0 && !spm_record_value_null(rec, (size_t)i);
	return *has ? spm_record_value_int(rec, (size_t)i) : 0;
}

int spm_org_team_of(int64_t *out, spm_db *db, int64_t user, spm_date on)
{
	spm_kind *kind;
	spm_scan_cond cond;
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc, found = 0;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(db);
	kind = spm__kind_find(db, "membership", 0);
	cond = (spm_scan_cond){ (size_t)spm__core_index(kind, "user_id"), SPM_CMP_EQ, user, NULL };
	rc = spm__scan_page(db, &page, kind, &scan);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
		int has_from, has_to, has;
		int64_t from = val(page.recs[i], "valid_from", &has_from);
		int64_t to = val(page.recs[i], "valid_to", &has_to);

		if (has_from && from <= on && (!has_to || on <= to)) {
			*out = val(page.recs[i], "team_id", &has);
			found = 1;
		}
	}
	spm__page_clear(db, &page);
	if (rc == SPM_OK && !found)
		rc = spm__error_set(SPM_ENOTFOUND, "user %lld was in no team on that day",
				    (long long)user);
	return rc;
}

int spm_org_available(int *out, spm_db *db, int64_t user, spm_date on)
{
	spm_record *rec = NULL;
	int has_from, has_to, has, rc;
	int64_t from, to;

	SPM__CHECK_ARG(out);
	rc = spm_record_get(&rec, db, "user", user);
	if (rc != SPM_OK)
		return rc;
	from = val(rec, "leave_from", &has_from);
	to = val(rec, "leave_to", &has_to);
	*out = val(rec, "active", &has) &&
	       !((has_from || has_to) && (!has_from || from <= on) && (!has_to || on <= to));
	spm_record_free(rec);
	return SPM_OK;
}
