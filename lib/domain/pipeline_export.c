/* Exporting a pipeline and its stages as the JSON document that
 * spm_pipeline_load() reads. */
#include "domain/pipeline.h"
#include "domain/record_fields.h"
#include "core/kinds.h"

#include <stdlib.h>
#include <string.h>

static json_t *json_part(const spm_record *rec, const char *field)
{
	const char *text = spm__fld_text(rec, field);

	return text ? json_loads(text, 0, NULL) : NULL;
}

static int put(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0 ? SPM_OK : spm__error_oom();
}

static int export_stage(json_t *arr, const spm_record *st)
{
	json_t *o = json_object();
	const char *req = spm__fld_text(st, "required_fields");
	int rc = o ? put(o, "name", json_string(spm__fld_text(st, "name"))) : spm__error_oom();

	if (rc == SPM_OK && spm__fld_has(st, "probability"))
		rc = put(o, "probability", json_integer(spm__fld_num(st, "probability")));
	if (rc == SPM_OK && spm__fld_has(st, "forecast_category"))
		rc = put(o, "forecast_category", json_string(spm__fld_text(st, "forecast_category")));
	if (rc == SPM_OK)
		rc = put(o, "outcome", json_string(spm__stage_outcome(st)));
	if (rc == SPM_OK && spm__fld_has(st, "actions"))
		rc = put(o, "actions", json_part(st, "actions"));
	if (rc == SPM_OK && spm__fld_has(st, "playbook"))
		rc = put(o, "playbook", json_part(st, "playbook"));
	if (rc == SPM_OK && req && *req) {
		json_t *fields = json_array();
		const char *p = req;
		while (fields && p) {
			const char *end = strchr(p, ',');
			json_array_append_new(fields, json_stringn(p, end ? (size_t)(end - p)
									  : strlen(p)));
			p = end ? end + 1 : NULL;
		}
		rc = put(o, "required_fields", fields);
	}
	if (rc == SPM_OK && spm__fld_has(st, "exit_criteria"))
		rc = put(o, "exit_criteria", json_part(st, "exit_criteria"));
	if (rc == SPM_OK && json_array_append_new(arr, o) != 0)
		return spm__error_oom();
	if (rc != SPM_OK)
		json_decref(o);
	return rc;
}

int spm_pipeline_export(spm_db *db, int64_t pipeline, spm_pipeline_write_cb write,
			void *payload)
{
	struct spm__page stages = { NULL, 0, 0 };
	spm_record *p = NULL;
	json_t *doc = NULL, *arr = NULL;
	char *text = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(write);
	rc = spm__read_begin(db);
	if (rc != SPM_OK)
		return rc;
	rc = db->ops->get(db->store, &p, spm__kind_find(db, "pipeline", 0), pipeline);
	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "pipeline %lld does not exist", (long long)pipeline);
	if (rc == SPM_OK)
		rc = spm__pipeline_stages(&stages, db, pipeline);
	spm__read_end(db);
	if (rc == SPM_OK) {
		doc = json_object();
		arr = json_array();
		rc = doc && arr ? put(doc, "name", json_string(spm__fld_text(p, "name")))
				: spm__error_oom();
	}
	if (rc == SPM_OK && spm__fld_has(p, "description"))
		rc = put(doc, "description", json_string(spm__fld_text(p, "description")));
	if (rc == SPM_OK)
		rc = put(doc, "allow_skip", json_boolean(spm__fld_num(p, "allow_skip")));
	if (rc == SPM_OK)
		rc = put(doc, "allow_back", json_boolean(spm__fld_num(p, "allow_back")));
	if (rc == SPM_OK)
		rc = put(doc, "active", json_boolean(spm__fld_num(p, "active")));
	for (size_t i = 0; rc == SPM_OK && i < stages.n; i++)
		rc = export_stage(arr, stages.recs[i]);
	if (rc == SPM_OK) {
		rc = put(doc, "stages", arr);
		arr = NULL;
	}
	if (rc == SPM_OK) {
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = text ? SPM_OK : spm__error_oom();
	}
	if (rc == SPM_OK)
		rc = write(text, strlen(text), payload);
	free(text);
	json_decref(arr);
	json_decref(doc);
	spm__page_clear(db, &stages);
	spm_record_free(p);
	return rc;
}
