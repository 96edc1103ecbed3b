/* Targets as data: JSON export and import of targets (one transaction, errors
 * with the JSON path), JSON decomposition plans, and CSV export of progress
 * (through the CSV writer, which neutralises formula cells). */
#include "domain/target.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"
#include "io/csv.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int dump(json_t *doc, spm_target_write_cb write, void *payload)
{
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int rc;

	if (text == NULL)
		return spm__error_oom();
	rc = write(text, strlen(text), payload);
	free(text);
	return rc;
}

static int export_one(const spm_record *rec, void *payload)
{
	json_t *arr = payload, *obj = json_object();
	int ok = obj && json_array_append_new(arr, obj) == 0;

	ok = ok && json_object_set_new(obj, "id", json_integer(rec->id)) == 0;
	for (size_t i = 0; ok && i < rec->kind->ncore; i++) {
		const struct spm__field *f = &rec->kind->fields[i];
		const char *text = NULL;
		json_t *v;

		if ((f->flags & SPM_FIELD_READONLY) || spm_record_value_null(rec, i))
			continue;
		if (f->type == SPM_FIELD_INTEGER)
			v = json_integer(spm_record_value_int(rec, i));
		else if (f->type == SPM_FIELD_BOOLEAN)
			v = json_boolean(spm_record_value_int(rec, i));
		else
			v = spm_record_get_as_text(&text, rec, f->name) == SPM_OK && text
				    ? json_string(text) : NULL;
		ok = v && json_object_set_new(obj, f->name, v) == 0;
	}
	return ok ? 0 : spm__error_oom();
}

int spm_target_export_json(spm_db *db, spm_target_write_cb write, void *payload)
{
	spm_query *q = NULL;
	json_t *arr;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(write);
	arr = json_array();
	if (arr == NULL)
		return spm__error_oom();
	rc = spm_query_new(&q, db, "target");
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, export_one, arr);
	spm_query_free(q);
	if (rc == SPM_OK)
		rc = dump(arr, write, payload);
	json_decref(arr);
	return rc;
}

struct idmap { int64_t from, to; };

static int set_value(spm_record *rec, const char *key, json_t *v, size_t i)
{
	char num[32];
	int rc;

	if (json_is_null(v))
		return SPM_OK;
	if (json_is_string(v))
		rc = spm_record_set_from_text(rec, key, json_string_value(v));
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		rc = spm_record_set_from_text(rec, key, num);
	} else if (json_is_boolean(v))
		rc = spm_record_set_bool(rec, key, json_is_true(v));
	else
		rc = spm__error_set(SPM_EINVAL, "a string, integer, boolean or null is needed");
	if (rc != SPM_OK) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", spm_error_message());
		rc = spm__error_set(rc, "$[%zu].%s: %s", i, key, msg);
	}
	return rc;
}

static int import_one(struct spm__txn *t, json_t *obj, size_t i, struct idmap *map, size_t *nmap,
		      const char *reason)
{
	spm_record *rec = NULL, *stored = NULL;
	const char *key;
	json_t *v;
	int64_t doc_id = 0;
	int rc;

	if (!json_is_object(obj))
		return spm__error_set(SPM_EINVAL, "$[%zu]: an object is needed", i);
	rc = spm_record_new(&rec, t->db, "target");
	json_object_foreach(obj, key, v) {
		long f = spm__core_index(rec->kind, key);

		if (rc != SPM_OK)
			break;
		if (strcmp(key, "id") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				rc = spm__error_set(SPM_EINVAL, "$[%zu].id: a positive integer is needed", i);
			doc_id = json_integer_value(v);
		} else if (f < 0 || (rec->kind->fields[f].flags & SPM_FIELD_READONLY)) {
			rc = spm__error_set(SPM_EINVAL, "$[%zu].%s: not a field of a target", i, key);
		} else if (strcmp(key, "parent_id") == 0 && !json_is_null(v)) {
			size_t k = 0;

			while (k < *nmap && map[k].from != json_integer_value(v))
				k++;
			if (!json_is_integer(v) || k == *nmap)
				rc = spm__error_set(SPM_EINVAL, "$[%zu].parent_id: no earlier target "
						    "with that id in the document", i);
			else
				rc = spm_record_set_int(rec, key, map[k].to);
		} else {
			rc = set_value(rec, key, v, i);
		}
	}
	if (rc == SPM_OK && json_object_get(obj, "reason") == NULL)
		rc = spm_record_set_text(rec, "reason", reason);
	if (rc == SPM_OK) {
		rc = spm__write_save(t, rec, &stored);
		if (rc != SPM_OK) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s", spm_error_message());
			rc = spm__error_set(rc, "$[%zu]: %s", i, msg);
		}
	}
	if (rc == SPM_OK && doc_id)
		map[(*nmap)++] = (struct idmap){ doc_id, stored->id };
	spm_record_free(stored);
	spm_record_free(rec);
	return rc;
}

int spm_target_import_json(size_t *out_count, spm_db *db, const char *json, const char *reason)
{
	json_error_t err;
	json_t *doc;
	struct idmap *map = NULL;
	struct spm__txn t;
	size_t nmap = 0, n;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(json);
	if (reason == NULL || reason[0] == '\0')
		return spm__error_set(SPM_EINVAL, "import: a reason is needed");
	doc = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		return spm__error_set(SPM_EINVAL, "$: line %d column %d: %s", err.line, err.column,
				      err.text);
	if (!json_is_array(doc)) {
		json_decref(doc);
		return spm__error_set(SPM_EINVAL, "$: an array of targets is needed");
	}
	n = json_array_size(doc);
	map = spm__calloc(db, n + 1, sizeof(*map));
	rc = map ? spm__txn_begin(&t, db) : spm__error_oom();
	if (rc == SPM_OK) {
		for (size_t i = 0; rc == SPM_OK && i < n; i++)
			rc = import_one(&t, json_array_get(doc, i), i, map, &nmap, reason);
		if (rc == SPM_OK)
			rc = spm__txn_commit(&t);
		else
			spm__txn_abort(&t);
		if (t.committed && out_count)
			*out_count = n;
	}
	spm__free(db, map);
	json_decref(doc);
	return rc;
}

static const char *const method_names[] = { NULL, "equal_days", "equal_periods",
	"working_days", "seasonality", "last_year", "equal_members", "weights", "headcount",
	"last_period", "manual" };

static int int_array(int64_t *buf, size_t cap, size_t *n, json_t *v, const char *key)
{
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return spm__error_set(SPM_EINVAL, "$.%s: an array of integers is needed", key);
	if (json_array_size(v) > cap)
		return spm__error_set(SPM_ERANGE, "$.%s: %zu entries, room for %zu", key,
				      json_array_size(v), cap);
	json_array_foreach(v, i, x) {
		if (!json_is_integer(x))
			return spm__error_set(SPM_EINVAL, "$.%s[%zu]: an integer is needed", key, i);
		buf[i] = json_integer_value(x);
	}
	*n = json_array_size(v);
	return SPM_OK;
}

int spm_target_plan_from_json(spm_target_plan *plan, int64_t *weights_buf, size_t weights_cap,
			      int64_t *ramp_buf, size_t ramp_cap, const char *json)
{
	spm_target_plan p = SPM_TARGET_PLAN_INIT;
	json_error_t err;
	const char *key;
	json_t *doc, *v;
	int rc = SPM_OK;

	SPM__CHECK_ARG(plan);
	SPM__CHECK_ARG(json);
	doc = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		return spm__error_set(SPM_EINVAL, "$: line %d column %d: %s", err.line, err.column,
				      err.text);
	if (!json_is_object(doc))
		rc = spm__error_set(SPM_EINVAL, "$: an object is needed");
	if (rc == SPM_OK) {
		json_object_foreach(doc, key, v) {
			if (rc != SPM_OK)
				break;
			if (strcmp(key, "method") == 0) {
				p.method = 0;
				for (int m = 1; m <= SPM_TARGET_MANUAL; m++)
					if (json_is_string(v) && strcmp(json_string_value(v), method_names[m]) == 0)
						p.method = m;
				if (p.method == 0)
					rc = spm__error_set(SPM_EINVAL, "$.method: unknown method");
			} else if (strcmp(key, "child_period") == 0) {
				rc = json_is_string(v)
					     ? spm__period_kind_parse(&p.child_period, json_string_value(v))
					     : spm__error_set(SPM_EINVAL, "$.child_period: a string is needed");
				if (rc != SPM_OK && json_is_string(v))
					rc = spm__error_set(SPM_EINVAL, "$.child_period: week, month, "
							    "quarter or year");
			} else if (strcmp(key, "weights") == 0) {
				if (weights_buf == NULL && json_array_size(v) > 0)
					rc = spm__error_set(SPM_ERANGE, "$.weights: no buffer");
				else
					rc = int_array(weights_buf, weights_cap, &p.nweights, v, key);
				p.weights = weights_buf;
			} else if (strcmp(key, "ramp_ppm") == 0) {
				if (ramp_buf == NULL && json_array_size(v) > 0)
					rc = spm__error_set(SPM_ERANGE, "$.ramp_ppm: no buffer");
				else
					rc = int_array(ramp_buf, ramp_cap, &p.nramp, v, key);
				p.ramp_ppm = ramp_buf;
			} else if (strcmp(key, "keep_total") == 0 || strcmp(key, "dry_run") == 0) {
				if (!json_is_boolean(v))
					rc = spm__error_set(SPM_EINVAL, "$.%s: true or false", key);
				else if (key[0] == 'k')
					p.keep_total = json_is_true(v);
				else
					p.dry_run = json_is_true(v);
			} else {
				rc = spm__error_set(SPM_EINVAL, "$.%s: not a plan field", key);
			}
		}
	}
	json_decref(doc);
	if (rc == SPM_OK)
		*plan = p;
	return rc;
}

int spm_target_plan_to_json(const spm_target_plan *plan, spm_target_write_cb write, void *payload)
{
	json_t *doc, *w, *r;
	int rc;

	SPM__CHECK_ARG(plan);
	SPM__CHECK_ARG(write);
	if (plan->version == 0 || plan->version > SPM_TARGET_PLAN_VERSION)
		return spm__error_set(SPM_EVERSION, "plan: unknown version %u", (unsigned)plan->version);
	if (plan->method < 1 || plan->method > SPM_TARGET_MANUAL)
		return spm__error_set(SPM_EINVAL, "plan: unknown method %d", plan->method);
	doc = json_object();
	w = json_array();
	r = json_array();
	rc = doc && w && r ? SPM_OK : spm__error_oom();
	for (size_t i = 0; rc == SPM_OK && plan->weights && i < plan->nweights; i++)
		if (json_array_append_new(w, json_integer(plan->weights[i])) != 0)
			rc = spm__error_oom();
	for (size_t i = 0; rc == SPM_OK && plan->ramp_ppm && i < plan->nramp; i++)
		if (json_array_append_new(r, json_integer(plan->ramp_ppm[i])) != 0)
			rc = spm__error_oom();
	if (rc == SPM_OK &&
	    (json_object_set_new(doc, "method", json_string(method_names[plan->method])) != 0 ||
	     json_object_set_new(doc, "child_period",
				 json_string(spm__period_kind_name(plan->child_period) ?
					     spm__period_kind_name(plan->child_period) : "month")) != 0 ||
	     json_object_set(doc, "weights", w) != 0 || json_object_set(doc, "ramp_ppm", r) != 0 ||
	     json_object_set_new(doc, "keep_total", json_boolean(plan->keep_total)) != 0 ||
	     json_object_set_new(doc, "dry_run", json_boolean(plan->dry_run)) != 0))
		rc = spm__error_oom();
	if (rc == SPM_OK)
		rc = dump(doc, write, payload);
	json_decref(w);
	json_decref(r);
	json_decref(doc);
	return rc;
}

struct csv_out {
	spm__csv_writer w;
};

static int fmt_amount(char *buf, size_t size, int64_t v, const char *cur)
{
	if (cur[0])
		return spm_money_format(buf, size, v, cur);
	snprintf(buf, size, "%lld", (long long)v);
	return SPM_OK;
}

static int csv_row(const spm_target_progress *p, void *payload)
{
	struct csv_out *o = payload;
	char t[16][SPM_MONEY_FORMAT_MAX];
	spm__csv_field cells[16];
	int rc = SPM_OK;

	snprintf(t[0], sizeof(t[0]), "%s", p->owner_kind);
	snprintf(t[1], sizeof(t[1]), "%lld", (long long)p->owner_ref);
	snprintf(t[2], sizeof(t[2]), "%lld", (long long)p->target_id);
	spm_date_format(t[3], sizeof(t[3]), p->period_start);
	spm_date_format(t[4], sizeof(t[4]), p->period_end);
	rc = fmt_amount(t[5], sizeof(t[5]), p->target, p->currency);
	if (rc == SPM_OK)
		rc = fmt_amount(t[6], sizeof(t[6]), p->attained, p->currency);
	spm_rate_format(t[7], sizeof(t[7]), p->attainment_ppm);
	spm_rate_format(t[8], sizeof(t[8]), p->elapsed_ppm);
	if (rc == SPM_OK)
		rc = fmt_amount(t[9], sizeof(t[9]), p->expected, p->currency);
	spm_rate_format(t[10], sizeof(t[10]), p->pace_ppm);
	if (rc == SPM_OK)
		rc = fmt_amount(t[11], sizeof(t[11]), p->projection, p->currency);
	if (rc == SPM_OK)
		rc = fmt_amount(t[12], sizeof(t[12]), p->gap, p->currency);
	if (rc == SPM_OK)
		rc = fmt_amount(t[13], sizeof(t[13]), p->pipeline, p->currency);
	spm_rate_format(t[14], sizeof(t[14]), p->coverage_ppm);
	snprintf(t[15], sizeof(t[15]), "%s", p->currency);
	for (size_t i = 0; i < 16; i++)
		cells[i] = (spm__csv_field){ t[i], strlen(t[i]), i > 0 && i < 15 ? SPM__CSV_NUMERIC : 0 };
	return rc == SPM_OK ? spm__csv_writer_row(&o->w, cells, 16) : rc;
}

int spm_target_progress_csv(spm_db *db, int64_t target, spm_date as_of,
			    spm_target_write_cb write, void *payload)
{
	static const char *const head[16] = { "owner_kind", "owner_ref", "target_id",
		"period_start", "period_end", "target", "attained", "attainment", "elapsed",
		"expected", "pace", "projection", "gap", "pipeline", "coverage", "currency" };
	struct csv_out o;
	spm__csv_field cells[16];
	spm_record *rec = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(write);
	rc = spm__target_read(&rec, db, target);  /* a missing target writes nothing */
	spm_record_free(rec);
	if (rc != SPM_OK)
		return rc;
	spm__csv_writer_init(&o.w, 0, write, payload);
	for (size_t i = 0; i < 16; i++)
		cells[i] = (spm__csv_field){ head[i], strlen(head[i]), 0 };
	rc = spm__csv_writer_row(&o.w, cells, 16);
	if (rc == SPM_OK)
		rc = spm_target_progress_foreach(db, target, as_of, csv_row, &o);
	return rc;
}
