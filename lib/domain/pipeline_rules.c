/* Pipelines and stages: what a stage may hold (probability, forecast
 * category, outcome, actions, playbook, required fields, exit criteria),
 * checked on every write and, with paths, when a document is loaded. */
#include "domain/pipeline.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "spm/org.h"
#include "core/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int spm__pipeline_privileged(int *out, struct spm__txn *t)
{
	spm_scan one = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	struct spm__scope *scope;

	*out = 1;
	if (t->db->actor == 0)
		return SPM_OK;
	rc = spm__scan_page(t->db, &page, spm__kind_find(t->db, "user", 0), &one);
	*out = rc == SPM_OK && page.n == 0;  /* setup mode */
	spm__page_clear(t->db, &page);
	if (rc != SPM_OK || *out)
		return rc;
	/* Importers write deals in any stage and their history as it was. */
	rc = spm__txn_scope(&scope, t);
	if (rc == SPM_OK)
		*out = spm__scope_can(scope, SPM_ACTION_IMPORT);
	return rc;
}

int spm__pipeline_stages(struct spm__page *page, spm_db *db, int64_t pipeline)
{
	spm_kind *k = spm__kind_find(db, "stage", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, "pipeline_id"), SPM_CMP_EQ, pipeline,
			       NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	int rc = spm__scan_page(db, page, k, &scan);

	if (rc == SPM_OK && page->n > 1)
		qsort(page->recs, page->n, sizeof(*page->recs), spm__cmp_position);
	return rc;
}

const char *spm__stage_outcome(const spm_record *stage)
{
	const char *o = stage ? spm__fld_text(stage, "outcome") : NULL;

	return o ? o : "open";
}

int spm__stage_check_values(const spm_record *stage, const char *prefix)
{
	static const char *const categories[] = { "pipeline", "best_case", "commit", "closed",
						  "omitted" };
	const char *outcome = spm__fld_text(stage, "outcome");
	const char *cat = spm__fld_text(stage, "forecast_category");
	int64_t p = spm__fld_num(stage, "probability");
	int known = 0;

	if (outcome && strcmp(outcome, "open") != 0 && strcmp(outcome, "won") != 0 &&
	    strcmp(outcome, "lost") != 0)
		return spm__error_set(SPM_EINVAL, "%s.outcome: must be open, won or lost, not '%s'",
				      prefix, outcome);
	if (spm__fld_has(stage, "probability") && (p < 0 || p > 100))
		return spm__error_set(SPM_EINVAL, "%s.probability: must be 0..100, not %lld", prefix,
				      (long long)p);
	for (size_t i = 0; cat && i < sizeof(categories) / sizeof(categories[0]); i++)
		known |= strcmp(cat, categories[i]) == 0;
	if (cat && !known)
		return spm__error_set(SPM_EINVAL, "%s.forecast_category: must be pipeline, "
				      "best_case, commit, closed or omitted, not '%s'", prefix, cat);
	return SPM_OK;
}

int spm__stage_check_required(spm_db *db, const char *fields, const char *prefix)
{
	spm_kind *opp = spm__kind_find(db, "opportunity", 0);
	const char *p = fields;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[64];

		if (len == 0 || len >= sizeof(name))
			return spm__error_set(SPM_EINVAL, "%s: '%.*s' is not a field name", prefix,
					      (int)(len > 64 ? 64 : len), p);
		memcpy(name, p, len);
		name[len] = '\0';
		if (spm__field_index(opp, name) < 0)
			return spm__error_set(SPM_EINVAL, "%s: unknown field 'opportunity.%s'", prefix,
					      name);
		p = end ? end + 1 : NULL;
	}
	return SPM_OK;
}

int spm__stage_check_actions(const json_t *actions, const char *prefix)
{
	size_t i;
	json_t *a;

	if (!json_is_array(actions))
		return spm__error_set(SPM_EINVAL, "%s: must be an array of texts", prefix);
	json_array_foreach(actions, i, a)
		if (!json_is_string(a) || json_string_length(a) == 0)
			return spm__error_set(SPM_EINVAL, "%s[%zu]: must be a non-empty text", prefix, i);
	return SPM_OK;
}

int spm__stage_check_playbook(const json_t *playbook, const char *prefix)
{
	const char *key;
	json_t *v, *item;
	size_t i;

	if (!json_is_object(playbook))
		return spm__error_set(SPM_EINVAL, "%s: must be an object with talk_tracks and "
				      "objections", prefix);
	json_object_foreach((json_t *)playbook, key, v) {
		if (strcmp(key, "talk_tracks") == 0) {
			if (!json_is_array(v))
				return spm__error_set(SPM_EINVAL, "%s.talk_tracks: must be an array "
						      "of texts", prefix);
			json_array_foreach(v, i, item)
				if (!json_is_string(item))
					return spm__error_set(SPM_EINVAL, "%s.talk_tracks[%zu]: must "
							      "be a text", prefix, i);
		} else if (strcmp(key, "objections") == 0) {
			if (!json_is_array(v))
				return spm__error_set(SPM_EINVAL, "%s.objections: must be an array",
						      prefix);
			json_array_foreach(v, i, item)
				if (!json_is_object(item) ||
				    !json_is_string(json_object_get(item, "objection")) ||
				    !json_is_string(json_object_get(item, "response")) ||
				    json_object_size(item) != 2)
					return spm__error_set(SPM_EINVAL, "%s.objections[%zu]: must "
							      "be {\"objection\": text, "
							      "\"response\": text}", prefix, i);
		} else {
			return spm__error_set(SPM_EINVAL, "%s.%s: unknown key (talk_tracks, "
					      "objections)", prefix, key);
		}
	}
	return SPM_OK;
}

int spm__stage_check_criteria(spm_db *db, const json_t *criteria, const char *prefix)
{
	json_t *c;
	size_t i;

	if (!json_is_array(criteria))
		return spm__error_set(SPM_EINVAL, "%s: must be an array of {\"name\", \"rule\"}",
				      prefix);
	json_array_foreach(criteria, i, c) {
		json_t *name = json_object_get(c, "name"), *rule = json_object_get(c, "rule");
		char what[160];
		spm__rule *r = NULL;
		int rc;

		if (!json_is_object(c) || json_object_size(c) != 2 || !json_is_string(name) ||
		    !json_is_string(rule))
			return spm__error_set(SPM_EINVAL, "%s[%zu]: must be {\"name\": text, "
					      "\"rule\": text}", prefix, i);
		if (json_string_length(name) == 0 || json_string_length(name) > 100)
			return spm__error_set(SPM_EINVAL, "%s[%zu].name: must be 1..100 bytes",
					      prefix, i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(json_string_value(json_object_get(json_array_get(criteria, k),
								      "name")),
				   json_string_value(name)) == 0)
				return spm__error_set(SPM_EINVAL, "%s[%zu].name: '%s' is used twice",
						      prefix, i, json_string_value(name));
		snprintf(what, sizeof(what), "%s[%zu].rule", prefix, i);
		rc = spm__opp_rule_compile(&r, db, json_string_value(rule), what);
		spm__rule_free(r);
		if (rc != SPM_OK)
			return rc;
	}
	return SPM_OK;
}

/* Parses a JSON text field of a stage and checks it. */
static int check_json_field(spm_db *db, const spm_record *stage, const char *field,
			    int (*check)(const json_t *, const char *))
{
	const char *text = spm__fld_text(stage, field);
	char prefix[32];
	json_error_t err;
	json_t *v;
	int rc;

	if (text == NULL)
		return SPM_OK;
	snprintf(prefix, sizeof(prefix), "stage.%s", field);
	v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL)
		return spm__error_set(SPM_EINVAL, "%s: invalid JSON at %d:%d: %s", prefix, err.line,
				      err.column, err.text);
	rc = check ? check(v, prefix) : spm__stage_check_criteria(db, v, prefix);
	json_decref(v);
	return rc;
}

static int count_where(size_t *out, spm_db *db, const char *kind, const char *field, int64_t id)
{
	spm_kind *k = spm__kind_find(db, kind, 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, field), SPM_CMP_EQ, id, NULL };
	spm_scan one = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(db, &page, k, &one);

	*out = page.n;
	spm__page_clear(db, &page);
	return rc;
}

int spm__stage_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	spm_record *pipeline = NULL;
	size_t used = 0;
	int rc;

	if (after == NULL) {
		rc = count_where(&used, t->db, "opportunity", "stage_id", before->id);
		if (rc == SPM_OK && used)
			rc = spm__error_set(SPM_EINVAL, "stage %lld has opportunities; move them "
					    "first", (long long)before->id);
		return rc;
	}
	if (before && spm__fld_num(before, "pipeline_id") != spm__fld_num(after, "pipeline_id"))
		return spm__error_set(SPM_EINVAL, "stage.pipeline_id cannot change");
	rc = t->db->ops->get(t->db->store, &pipeline, spm__kind_find(t->db, "pipeline", 0),
			     spm__fld_num(after, "pipeline_id"));
	spm_record_free(pipeline);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_EINVAL, "stage.pipeline_id: pipeline %lld does not exist",
				      (long long)spm__fld_num(after, "pipeline_id"));
	if (rc == SPM_OK)
		rc = spm__stage_check_values(after, "stage");
	if (rc == SPM_OK)
		rc = spm__stage_check_required(t->db, spm__fld_text(after, "required_fields"),
					       "stage.required_fields");
	if (rc == SPM_OK)
		rc = check_json_field(t->db, after, "actions", spm__stage_check_actions);
	if (rc == SPM_OK)
		rc = check_json_field(t->db, after, "playbook", spm__stage_check_playbook);
	if (rc == SPM_OK)
		rc = check_json_field(t->db, after, "exit_criteria", NULL);
	return rc;
}

int spm__pipeline_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	size_t used = 0;
	int rc;

	if (after != NULL)
		return SPM_OK;
	rc = count_where(&used, t->db, "stage", "pipeline_id", before->id);
	if (rc == SPM_OK && used)
		rc = spm__error_set(SPM_EINVAL, "pipeline %lld has stages; delete them first",
				    (long long)before->id);
	return rc;
}
