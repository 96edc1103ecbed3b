/* Loading a pipeline from a JSON document: checked as a whole (errors with
 * their path), then written in one transaction. */
#include "domain/pipeline.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(const char *path, const char *why)
{
	return spm__error_set(SPM_EINVAL, "%s: %s", path, why);
}

static int only_keys(const json_t *obj, const char *prefix, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		int known = 0;
		for (size_t i = 0; keys[i]; i++)
			known |= strcmp(keys[i], key) == 0;
		if (!known)
			return spm__error_set(SPM_EINVAL, "%s%s: unknown key", prefix, key);
	}
	return SPM_OK;
}

static int check_stage(spm_db *db, const json_t *stages, size_t i)
{
	static const char *const keys[] = { "name", "probability", "forecast_category", "outcome",
					    "actions", "playbook", "required_fields",
					    "exit_criteria", NULL };
	const json_t *st = json_array_get(stages, i), *v;
	char p[64], path[96];
	int rc;

	snprintf(p, sizeof(p), "stages[%zu]", i);
	if (!json_is_object(st))
		return bad(p, "must be an object");
	snprintf(path, sizeof(path), "%s.", p);
	rc = only_keys(st, path, keys);
	v = json_object_get(st, "name");
	snprintf(path, sizeof(path), "%s.name", p);
	if (rc == SPM_OK && (!json_is_string(v) || json_string_length(v) == 0))
		return bad(path, "must be a non-empty text");
	for (size_t k = 0; rc == SPM_OK && k < i; k++)
		if (strcmp(json_string_value(json_object_get(json_array_get(stages, k), "name")),
			   json_string_value(v)) == 0)
			return spm__error_set(SPM_EINVAL, "%s: '%s' is used twice", path,
					      json_string_value(v));
	v = json_object_get(st, "probability");
	snprintf(path, sizeof(path), "%s.probability", p);
	if (rc == SPM_OK && v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
				  json_integer_value(v) > 100))
		return bad(path, "must be an integer 0..100");
	for (size_t k = 0; rc == SPM_OK && k < 2; k++) {
		static const char *const allowed[2][6] = {
			{ "pipeline", "best_case", "commit", "closed", "omitted", NULL },
			{ "open", "won", "lost", NULL },
		};
		static const char *const lists[2] = { "pipeline, best_case, commit, closed or omitted",
						      "open, won or lost" };
		const char *key = k ? "outcome" : "forecast_category";
		int known = 0;

		v = json_object_get(st, key);
		snprintf(path, sizeof(path), "%s.%s", p, key);
		if (v && !json_is_string(v))
			return bad(path, "must be a text");
		for (size_t a = 0; v && allowed[k][a]; a++)
			known |= strcmp(allowed[k][a], json_string_value(v)) == 0;
		if (v && !known)
			return spm__error_set(SPM_EINVAL, "%s: must be %s, not '%s'", path, lists[k],
					      json_string_value(v));
	}
	snprintf(path, sizeof(path), "%s.actions", p);
	if (rc == SPM_OK && (v = json_object_get(st, "actions")) != NULL)
		rc = spm__stage_check_actions(v, path);
	snprintf(path, sizeof(path), "%s.playbook", p);
	if (rc == SPM_OK && (v = json_object_get(st, "playbook")) != NULL)
		rc = spm__stage_check_playbook(v, path);
	snprintf(path, sizeof(path), "%s.required_fields", p);
	if (rc == SPM_OK && (v = json_object_get(st, "required_fields")) != NULL) {
		json_t *f;
		size_t k;
		if (!json_is_array(v))
			return bad(path, "must be an array of field names");
		json_array_foreach(v, k, f) {
			char fp[128];
			snprintf(fp, sizeof(fp), "%s[%zu]", path, k);
			if (!json_is_string(f) || strchr(json_string_value(f), ',') ||
			    json_string_length(f) == 0)
				return bad(fp, "must be a field name");
			rc = spm__stage_check_required(db, json_string_value(f), fp);
			if (rc != SPM_OK)
				return rc;
		}
	}
	snprintf(path, sizeof(path), "%s.exit_criteria", p);
	if (rc == SPM_OK && (v = json_object_get(st, "exit_criteria")) != NULL)
		rc = spm__stage_check_criteria(db, v, path);
	return rc;
}

static int check_document(spm_db *db, const json_t *doc)
{
	static const char *const keys[] = { "name", "description", "allow_skip", "allow_back",
					    "active", "stages", NULL };
	static const char *const flags[] = { "allow_skip", "allow_back", "active" };
	const json_t *v;
	int rc;

	if (!json_is_object(doc))
		return bad("(document)", "must be an object");
	rc = only_keys(doc, "", keys);
	v = json_object_get(doc, "name");
	if (rc == SPM_OK && (!json_is_string(v) || json_string_length(v) == 0))
		return bad("name", "must be a non-empty text");
	v = json_object_get(doc, "description");
	if (rc == SPM_OK && v && !json_is_string(v))
		return bad("description", "must be a text");
	for (size_t i = 0; rc == SPM_OK && i < 3; i++) {
		v = json_object_get(doc, flags[i]);
		if (v && !json_is_boolean(v))
			return bad(flags[i], "must be true or false");
	}
	v = json_object_get(doc, "stages");
	if (rc == SPM_OK && (!json_is_array(v) || json_array_size(v) == 0))
		return bad("stages", "must be a non-empty array");
	for (size_t i = 0; rc == SPM_OK && i < json_array_size(v); i++)
		rc = check_stage(db, v, i);
	return rc;
}

/* Sets a field from a JSON value; errors get path in front. */
static int set(spm_record *rec, const char *field, const json_t *v, const char *path)
{
	char *text = NULL;
	int rc;

	if (v == NULL)
		return SPM_OK;
	if (json_is_string(v)) {
		rc = spm_record_set_text(rec, field, json_string_value(v));
	} else if (json_is_boolean(v)) {
		rc = spm_record_set_bool(rec, field, json_is_true(v));
	} else if (json_is_integer(v)) {
		rc = spm_record_set_int(rec, field, json_integer_value(v));
	} else {
		text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = text ? spm_record_set_text(rec, field, text) : spm__error_oom();
		free(text);
	}
	if (rc != SPM_OK && rc != SPM_ENOMEM) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s", spm_error_message());
		rc = spm__error_set(rc, "%s: %s", path, msg);
	}
	return rc;
}

static int join_fields(spm_record *rec, const json_t *fields, const char *path)
{
	char buf[2048];
	size_t len = 0, i;
	json_t *f;

	if (fields == NULL)
		return SPM_OK;
	buf[0] = '\0';
	json_array_foreach(fields, i, f) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "",
				 json_string_value(f));
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			return bad(path, "too many fields");
		len += (size_t)n;
	}
	return spm_record_set_text(rec, "required_fields", buf);
}

static int name_taken(struct spm__txn *t, const char *name)
{
	spm_kind *k = spm__kind_find(t->db, "pipeline", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, "name"), SPM_CMP_EQ, 0, name };
	spm_scan one = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, k, &one);

	if (rc == SPM_OK && page.n)
		rc = spm__error_set(SPM_EEXISTS, "name: pipeline '%s' exists already (id %lld)", name,
				    (long long)page.recs[0]->id);
	spm__page_clear(t->db, &page);
	return rc;
}

static int save(struct spm__txn *t, spm_record *rec, int64_t *id)
{
	spm_record *stored = NULL;
	int rc = spm__write_save(t, rec, &stored);

	if (rc == SPM_OK && id)
		*id = stored->id;
	spm_record_free(stored);
	return rc;
}

static int write_document(struct spm__txn *t, const json_t *doc, int64_t *id)
{
	static const char *const keys[] = { "name", "description", "allow_skip", "allow_back",
					    "active" };
	const json_t *stages = json_object_get(doc, "stages");
	spm_record *rec = NULL;
	int rc = name_taken(t, json_string_value(json_object_get(doc, "name")));

	if (rc == SPM_OK)
		rc = spm_record_new(&rec, t->db, "pipeline");
	for (size_t i = 0; rc == SPM_OK && i < 5; i++)
		rc = set(rec, keys[i], json_object_get(doc, keys[i]), keys[i]);
	if (rc == SPM_OK && json_object_get(doc, "active") == NULL)
		rc = spm_record_set_bool(rec, "active", 1);
	if (rc == SPM_OK)
		rc = save(t, rec, id);
	spm_record_free(rec);
	for (size_t i = 0; rc == SPM_OK && i < json_array_size(stages); i++) {
		static const char *const fields[] = { "name", "probability", "forecast_category",
						      "outcome", "actions", "playbook",
						      "exit_criteria" };
		const json_t *st = json_array_get(stages, i);
		char path[96];

		rec = NULL;
		rc = spm_record_new(&rec, t->db, "stage");
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "pipeline_id", *id);
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "position", (int64_t)i + 1);
		for (size_t k = 0; rc == SPM_OK && k < 7; k++) {
			snprintf(path, sizeof(path), "stages[%zu].%s", i, fields[k]);
			rc = set(rec, fields[k], json_object_get(st, fields[k]), path);
		}
		snprintf(path, sizeof(path), "stages[%zu].required_fields", i);
		if (rc == SPM_OK)
			rc = join_fields(rec, json_object_get(st, "required_fields"), path);
		if (rc == SPM_OK) {
			rc = save(t, rec, NULL);
			if (rc != SPM_OK && rc != SPM_ENOMEM) {
				char msg[400];
				snprintf(msg, sizeof(msg), "%s", spm_error_message());
				rc = spm__error_set(rc, "stages[%zu]: %s", i, msg);
			}
		}
		spm_record_free(rec);
	}
	return rc;
}

int spm_pipeline_load(int64_t *out_id, spm_db *db, const char *json)
{
	struct spm__txn t;
	json_error_t err;
	json_t *doc;
	int64_t id = 0;
	int rc;

	if (out_id)
		*out_id = 0;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(json);
	doc = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		return spm__error_set(SPM_EINVAL, "invalid JSON at %d:%d: %s", err.line, err.column,
				      err.text);
	rc = spm__txn_begin(&t, db);
	if (rc == SPM_OK) {
		rc = check_document(db, doc);
		if (rc == SPM_OK)
			rc = write_document(&t, doc, &id);
		if (rc == SPM_OK)
			rc = spm__txn_commit(&t);
		else
			spm__txn_abort(&t);
	}
	json_decref(doc);
	if (rc == SPM_OK && out_id)
		*out_id = id;
	return rc;
}
