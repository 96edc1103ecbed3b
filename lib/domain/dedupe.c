/* Duplicate detection: normalized keys (lib/domain/normalize.c) kept on
 * every save — email, phone and company for leads, company for customers —
 * and the kind's dedupe_policy applied on create: reject (SPM_EEXISTS,
 * naming the record and the key), flag (duplicate_of) or merge (the stored
 * record takes the new one's values where it has none and is what the
 * create returns). Merging two stored records is spm_record_merge (merge.c). */
#include "domain/dedupe.h"
#include "domain/normalize.h"
#include "core/kinds.h"
#include "domain/record_fields.h"
#include "core/txn.h"
#include "core/write.h"
#include "domain/org.h"

#include <stdio.h>
#include <string.h>

#define KEY_MAX 512

static int first_policy(spm_record **out, struct spm__txn *t, const char *target)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, spm__kind_find(t->db, "dedupe_policy", 0), &all);

	*out = NULL;
	for (size_t i = 0; rc == SPM_OK && i < page.n && *out == NULL; i++) {
		if (spm__fld_is(spm__fld_text(page.recs[i], "target"), target)) {
			*out = page.recs[i];
			page.recs[i] = page.recs[--page.n];
		}
	}
	spm__page_clear(t->db, &page);
	return rc;
}

/* Sets key field name from the normalized source value (or clears it when
 * the value is missing or does not normalize). */
static int set_key(spm_record *rec, const char *name, const char *source, const char *country)
{
	char key[KEY_MAX];
	int rc = SPM_EINVAL;
	size_t i = (size_t)spm__fld_idx(rec, name);

	if (source) {
		char saved[512];
		int code = spm_error_code();

		snprintf(saved, sizeof(saved), "%s", spm_error_message());
		if (strcmp(name, "email_key") == 0)
			rc = spm__norm_email(key, sizeof(key), source);
		else if (strcmp(name, "phone_key") == 0)
			rc = spm__norm_phone(key, sizeof(key), source, country);
		else
			rc = spm__norm_company(key, sizeof(key), source);
		/* a value that does not normalize is kept as data, just not matched */
		spm__error_set(code, "%s", saved);
	}
	if (rc != SPM_OK) {
		spm__record_put_null(rec, i);
		return SPM_OK;
	}
	return spm__record_put_text(rec, i, key, strlen(key));
}

/* The first other live record of the kind with the same key. */
static int find_same(int64_t *out, struct spm__txn *t, const spm_record *rec, const char *key_name)
{
	long i = spm__fld_idx(rec, key_name);
	const char *key = i >= 0 ? spm_record_value_text(rec, (size_t)i, NULL) : NULL;
	spm_scan_cond cond = { (size_t)i, SPM_CMP_EQ, 0, key };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 2, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	*out = 0;
	if (key == NULL)
		return SPM_OK;
	rc = spm__scan_page(t->db, &page, rec->kind, &scan);
	for (size_t k = 0; rc == SPM_OK && k < page.n && !*out; k++)
		if (page.recs[k]->id != rec->id)
			*out = page.recs[k]->id;
	spm__page_clear(t->db, &page);
	return rc;
}

/* Merge policy: fills the stored duplicate's gaps from the new record and
 * hands the saved survivor to the write path (t->merged). */
static int merge_into(struct spm__txn *t, const spm_record *fresh, int64_t same)
{
	spm_record *survivor = NULL, *stored = NULL;
	const char *via = t->owner_via;
	struct spm__scope *s;
	int seen = 0;
	int rc = t->db->ops->get(t->db->store, &survivor, fresh->kind, same);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, survivor);
	if (rc == SPM_OK && !seen)
		rc = spm__error_set(SPM_EEXISTS, "%s duplicates a %s outside your scope",
				    fresh->kind->name, fresh->kind->name);
	for (size_t i = 0; rc == SPM_OK && i < fresh->kind->nfields; i++) {
		if ((fresh->kind->fields[i].flags & SPM_FIELD_READONLY) ||
		    fresh->kind->fields[i].dropped)
			continue;
		if ((i >= survivor->nvalues || !survivor->v[i].has) && i < fresh->nvalues &&
		    fresh->v[i].has)
			rc = spm__record_copy_value(survivor, i, fresh);
	}
	t->owner_via = "merge";
	if (rc == SPM_OK)
		rc = spm__write_save(t, survivor, &stored);
	t->owner_via = via;
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_RECORD_MERGED, fresh->kind->name, same,
				    "{\"from\":0}");
	if (rc == SPM_OK)
		t->merged = stored;
	else
		spm_record_free(stored);
	spm_record_free(survivor);
	return rc;
}

int spm__dedupe_check(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	static const char *const lead_keys[][2] = {
		{ "email_key", "email" }, { "phone_key", "phone" }, { "company_key", "company" },
	};
	int lead = strcmp(after->kind->name, "lead") == 0;
	size_t nkeys = lead ? 3 : 1;
	spm_record *policy = NULL;
	const char *country;
	int rc = first_policy(&policy, t, after->kind->name);

	country = policy ? spm__fld_text(policy, "default_country") : NULL;
	if (country == NULL)
		country = "86";
	for (size_t k = 0; rc == SPM_OK && k < nkeys; k++) {
		const char *key = lead ? lead_keys[k][0] : "company_key";
		const char *src = lead ? lead_keys[k][1] : "name";
		rc = set_key(after, key, spm__fld_text(after, src), country);
	}
	/* the policy applies to new records only */
	for (size_t k = 0; rc == SPM_OK && policy && before == NULL && k < nkeys; k++) {
		const char *key = lead ? lead_keys[k][0] : "company_key";
		int64_t same;

		rc = find_same(&same, t, after, key);
		if (rc != SPM_OK || same == 0)
			continue;
		if (spm__fld_is(spm__fld_text(policy, "mode"), "reject"))
			rc = spm__error_set(SPM_EEXISTS, "%s duplicates %s %lld (same %.*s)",
					    after->kind->name, after->kind->name, (long long)same,
					    (int)(strlen(key) - 4), key);
		else if (spm__fld_is(spm__fld_text(policy, "mode"), "merge"))
			rc = merge_into(t, after, same);
		else
			rc = spm__record_put_int(after, (size_t)spm__fld_idx(after, "duplicate_of"), same);
		break;
	}
	spm_record_free(policy);
	return rc;
}

int spm__dedupe_policy_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *country, *target, *mode;

	(void)t;
	(void)before;
	if (after == NULL)
		return SPM_OK;
	target = spm__fld_text(after, "target");
	mode = spm__fld_text(after, "mode");
	if (!spm__fld_is(target, "lead") && !spm__fld_is(target, "customer"))
		return spm__error_set(SPM_EINVAL, "dedupe_policy.target must be lead or customer");
	if (!spm__fld_is(mode, "reject") && !spm__fld_is(mode, "flag") &&
	    !spm__fld_is(mode, "merge"))
		return spm__error_set(SPM_EINVAL, "dedupe_policy.mode must be reject, flag or merge");
	country = spm__fld_text(after, "default_country");
	for (size_t i = 0; country && country[i]; i++)
		if (country[i] < '0' || country[i] > '9' || i >= 3)
			return spm__error_set(SPM_EINVAL, "dedupe_policy.default_country is a "
					      "calling code of 1..3 digits, like 86");
	return SPM_OK;
}
