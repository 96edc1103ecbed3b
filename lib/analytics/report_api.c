/* The public report API (report.h): run a definition, save and run reports
 * by name, list them, and run the items of a dashboard. */
#include "analytics/engine.h"
#include "core/registry.h"
#include "spm/report.h"

#include <string.h>

int spm_report_run(spm_result **out, spm_db *db, const char *json)
{
	struct spm__aq q;
	struct spm__arun r;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(json);
	rc = spm__aq_parse(&q, db, json);
	if (rc != SPM_OK)
		return rc;
	rc = spm__arun_init(&r, db, &q);
	if (rc == SPM_OK)
		rc = spm__arun_kernel(&r);
	if (rc == SPM_OK)
		rc = spm__arun_emit(out, &r);
	spm__arun_free(&r);
	spm__aq_free(db, &q);
	return rc;
}

/* The saved report called name (visible to the actor), or NULL. */
static int find_report(spm_record **out, spm_db *db, const char *name)
{
	spm_query *q = NULL;
	spm_record_iter *it = NULL;
	const spm_record *rec;
	int rc = spm_query_new(&q, db, "report");

	*out = NULL;
	if (rc == SPM_OK)
		rc = spm_query_where_text(q, "name", SPM_CMP_EQ, name);
	if (rc == SPM_OK)
		rc = spm_record_iter_new(&it, q);
	if (rc == SPM_OK) {
		rc = spm_record_iter_next(&rec, it);
		if (rc == SPM_OK)
			rc = spm_record_dup(out, rec);
		else if (rc == SPM_ITEROVER)
			rc = spm__error_set(SPM_ENOTFOUND, "no saved report '%.100s'", name);
	}
	spm_record_iter_free(it);
	spm_query_free(q);
	return rc;
}

int spm_report_save(spm_db *db, const char *name, const char *json)
{
	spm_record *rec = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(name);
	SPM__CHECK_ARG(json);
	rc = find_report(&rec, db, name);
	if (rc == SPM_ENOTFOUND) {
		rc = spm_record_new(&rec, db, "report");
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "name", name);
	}
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "definition", json);
	if (rc == SPM_OK)
		rc = spm_record_save(db, rec);
	spm_record_free(rec);
	return rc;
}

static int definition_of(char **out, spm_db *db, const char *name)
{
	spm_record *rec = NULL;
	const char *json = NULL;
	int rc = find_report(&rec, db, name);

	*out = NULL;
	if (rc == SPM_OK)
		rc = spm_record_get_text(&json, rec, "definition");
	if (rc == SPM_OK && (*out = spm__strdup(db, json)) == NULL)
		rc = spm__error_oom();
	spm_record_free(rec);
	return rc;
}

int spm_report_run_saved(spm_result **out, spm_db *db, const char *name)
{
	char *json = NULL;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(name);
	rc = definition_of(&json, db, name);
	if (rc == SPM_OK && spm__adef_is_dashboard(json))
		rc = spm__error_set(SPM_EINVAL, "'%.100s' is a dashboard: run its items", name);
	if (rc == SPM_OK)
		rc = spm_report_run(out, db, json);
	spm__free(db, json);
	return rc;
}

struct each {
	spm_report_cb cb;
	void *payload;
};

static int each_report(const spm_record *rec, void *payload)
{
	struct each *e = payload;
	const char *name = NULL, *json = NULL;

	spm_record_get_text(&name, rec, "name");
	spm_record_get_text(&json, rec, "definition");
	return e->cb(name ? name : "", json ? json : "", e->payload);
}

int spm_report_foreach(spm_db *db, spm_report_cb cb, void *payload)
{
	struct each e = { cb, payload };
	spm_query *q = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	rc = spm_query_new(&q, db, "report");
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, each_report, &e);
	spm_query_free(q);
	return rc;
}

int spm_report_dashboard_item(spm_result **out, char **out_layout, spm_db *db, const char *name,
			      size_t i)
{
	struct spm__adash d = { NULL, NULL, 0 };
	char *json = NULL;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	if (out_layout)
		*out_layout = NULL;
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(name);
	rc = definition_of(&json, db, name);
	if (rc == SPM_OK && !spm__adef_is_dashboard(json))
		rc = spm__error_set(SPM_EINVAL, "'%.100s' is a report, not a dashboard", name);
	if (rc == SPM_OK)
		rc = spm__adash_parse(&d, db, json);
	if (rc == SPM_OK && i >= d.n)
		rc = SPM_ITEROVER;
	if (rc == SPM_OK)
		rc = spm_report_run_saved(out, db, d.names[i]);
	if (rc == SPM_OK && out_layout) {
		*out_layout = spm__strdup(db, d.layouts[i]);
		if (*out_layout == NULL) {
			spm_result_free(*out);
			*out = NULL;
			rc = spm__error_oom();
		}
	}
	spm__adash_free(db, &d);
	spm__free(db, json);
	return rc;
}

void spm_report_text_free(spm_db *db, char *text)
{
	if (db)
		spm__free(db, text);
}
