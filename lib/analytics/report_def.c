/* Parses report and dashboard definitions (JSON, jansson). Every error names
 * the JSON path of the offending value. */
#include "analytics/report_def.h"
#include "analytics/rule_filter.h"
#include "core/registry.h"
#include "core/txn.h"
#include "core/kinds.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct name_value {
	const char *name;
	int value;
};

static const struct name_value queries[] = {
	{ "funnel", SPM__Q_FUNNEL },
	{ "win_rate", SPM__Q_WIN_RATE },
	{ "cycle", SPM__Q_CYCLE },
	{ "time_in_stage", SPM__Q_TIME_IN_STAGE },
	{ "velocity", SPM__Q_VELOCITY },
	{ "pipeline", SPM__Q_PIPELINE },
	{ "lead_conversion", SPM__Q_LEAD_CONVERSION },
	{ "activities", SPM__Q_ACTIVITIES },
	{ NULL, 0 }
};

static const struct name_value dims[] = {
	{ "owner", SPM__D_OWNER },
	{ "team", SPM__D_TEAM },
	{ "source", SPM__D_SOURCE },
	{ "industry", SPM__D_INDUSTRY },
	{ "region", SPM__D_REGION },
	{ "grade", SPM__D_GRADE },
	{ "product", SPM__D_PRODUCT },
	{ "stage", SPM__D_STAGE },
	{ "status", SPM__D_STATUS },
	{ "pipeline", SPM__D_PIPELINE },
	{ "type", SPM__D_TYPE },
	{ NULL, 0 }
};

static const struct name_value periods[] = {
	{ "day", SPM_PERIOD_DAY },
	{ "week", SPM_PERIOD_WEEK },
	{ "month", SPM_PERIOD_MONTH },
	{ "quarter", SPM_PERIOD_QUARTER },
	{ "year", SPM_PERIOD_YEAR },
	{ NULL, 0 }
};

static const struct name_value dates[] = {
	{ "expected_close", SPM__F_EXPECTED_CLOSE },
	{ "opened_at", SPM__F_OPENED },
	{ "closed_at", SPM__F_CLOSED },
	{ "entered", SPM__F_ENTERED },
	{ "created_at", SPM__F_CREATED },
	{ "at", SPM__F_AT },
	{ NULL, 0 }
};

static const struct name_value funnels[] = {
	{ "entered", SPM__FUNNEL_ENTERED },
	{ "reached", SPM__FUNNEL_REACHED },
	{ "current", SPM__FUNNEL_CURRENT },
	{ NULL, 0 }
};

static int lookup(int *out, const struct name_value *t, const char *s)
{
	for (; t->name; t++)
		if (strcmp(t->name, s) == 0) {
			*out = t->value;
			return 1;
		}
	return 0;
}

static int choice(int *out, json_t *v, const char *path, const struct name_value *t,
		  const char *what)
{
	if (!json_is_string(v))
		return spm__error_set(SPM_EINVAL, "%s: expected a string", path);
	if (!lookup(out, t, json_string_value(v)))
		return spm__error_set(SPM_EINVAL, "%s: unknown %s '%.64s'", path, what,
				      json_string_value(v));
	return SPM_OK;
}

static int date_value(spm_date *out, json_t *v, const char *path)
{
	if (!json_is_string(v) || spm_date_parse(out, json_string_value(v)) != SPM_OK)
		return spm__error_set(SPM_EINVAL, "%s: expected a date as \"YYYY-MM-DD\"", path);
	return SPM_OK;
}

/* A date field: one of the table, or a custom date or time field of
 * opportunities (for their queries). */
static int date_field(int *out, char **custom, spm_db *db, int query, json_t *v,
		      const char *path, int custom_code)
{
	spm_kind *k = spm__kind_find(db, "opportunity", 0);
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t i;

	if (s && lookup(out, dates, s))
		return SPM_OK;
	if (s && k && query != SPM__Q_LEAD_CONVERSION && query != SPM__Q_ACTIVITIES &&
	    spm__field_lookup(&i, db, k, s) == SPM_OK && i >= k->ncore &&
	    (k->fields[i].type == SPM_FIELD_DATE || k->fields[i].type == SPM_FIELD_TIME)) {
		*out = custom_code;
		spm__free(db, *custom);
		*custom = spm__strdup(db, s);
		return *custom ? SPM_OK : spm__error_oom();
	}
	return choice(out, v, path, dates, "date field");
}

/* Which dimensions each query accepts. */
static int dim_allowed(int query, int dim)
{
	if (query == SPM__Q_LEAD_CONVERSION)
		return dim == SPM__D_OWNER || dim == SPM__D_TEAM || dim == SPM__D_SOURCE;
	if (query == SPM__Q_ACTIVITIES)
		return dim == SPM__D_OWNER || dim == SPM__D_TEAM || dim == SPM__D_TYPE;
	return dim != SPM__D_TYPE;
}

static int dim_value(int *dim, char **custom, spm_db *db, int query, json_t *v, const char *path)
{
	const char *s;
	int explicit;

	if (!json_is_string(v))
		return spm__error_set(SPM_EINVAL, "%s: expected a string", path);
	s = json_string_value(v);
	*custom = NULL;
	/* "field:NAME" is always the custom field, also when NAME is the name of
	 * a dimension (a custom "product" next to the line items' products). */
	explicit = strncmp(s, "field:", 6) == 0;
	if (explicit || !lookup(dim, dims, s)) {
		spm_kind *k = spm__kind_find(db, "opportunity", 0);
		size_t i;
		if (query == SPM__Q_LEAD_CONVERSION || query == SPM__Q_ACTIVITIES || k == NULL ||
		    spm__field_lookup(&i, db, k, s + (explicit ? 6 : 0)) != SPM_OK || i < k->ncore)
			return spm__error_set(SPM_EINVAL, "%s: unknown dimension '%.64s'", path, s);
		s += explicit ? 6 : 0;
		*dim = SPM__D_CUSTOM;
		*custom = spm__strdup(db, s);
		return *custom ? SPM_OK : spm__error_oom();
	}
	if (!dim_allowed(query, *dim))
		return spm__error_set(SPM_EINVAL, "%s: the %s query has no dimension '%s'", path,
				      queries[query - 1].name, s);
	return SPM_OK;
}

static int parse_filter(struct spm__afilter *f, spm_db *db, int query, json_t *o,
			const char *path)
{
	char p[96];
	const char *key;
	json_t *v;
	int rc = SPM_OK;

	if (!json_is_object(o))
		return spm__error_set(SPM_EINVAL, "%s: expected an object", path);
	json_object_foreach(o, key, v) {
		snprintf(p, sizeof(p), "%s.%.32s", path, key);
		if (strcmp(key, "field") == 0) {
			rc = dim_value(&f->dim, &f->custom, db, query, v, p);
		} else if (strcmp(key, "op") == 0) {
			const char *op = json_is_string(v) ? json_string_value(v) : "";
			if (strcmp(op, "=") == 0)
				f->negate = 0;
			else if (strcmp(op, "!=") == 0)
				f->negate = 1;
			else
				rc = spm__error_set(SPM_EINVAL, "%s: expected \"=\" or \"!=\"", p);
		} else if (strcmp(key, "value") == 0) {
			if (json_is_null(v)) {
				f->is_null = 1;
			} else if (json_is_integer(v)) {
				f->is_int = 1;
				f->ival = json_integer_value(v);
			} else if (json_is_string(v)) {
				f->text = spm__strdup(db, json_string_value(v));
				if (f->text == NULL)
					rc = spm__error_oom();
			} else {
				rc = spm__error_set(SPM_EINVAL, "%s: expected a string, an integer "
						    "or null", p);
			}
		} else {
			rc = spm__error_set(SPM_EINVAL, "%s: unknown key", p);
		}
		if (rc != SPM_OK)
			return rc;
	}
	if (f->dim == SPM__D_NONE)
		return spm__error_set(SPM_EINVAL, "%s: missing \"field\"", path);
	if (!f->is_null && !f->is_int && f->text == NULL)
		return spm__error_set(SPM_EINVAL, "%s: missing \"value\"", path);
	if (f->is_int && f->dim != SPM__D_OWNER && f->dim != SPM__D_STAGE &&
	    f->dim != SPM__D_PIPELINE && f->dim != SPM__D_TEAM)
		return spm__error_set(SPM_EINVAL, "%s.value: expected a string", path);
	if (f->text && (f->dim == SPM__D_OWNER || f->dim == SPM__D_STAGE ||
			f->dim == SPM__D_PIPELINE || f->dim == SPM__D_TEAM))
		return spm__error_set(SPM_EINVAL, "%s.value: expected an integer id", path);
	return SPM_OK;
}

static int parse_filters(struct spm__aq *q, spm_db *db, json_t *v)
{
	size_t i;
	json_t *o;
	char p[48];

	if (!json_is_array(v))
		return spm__error_set(SPM_EINVAL, "$.filters: expected an array");
	if (json_array_size(v) > 32)
		return spm__error_set(SPM_EINVAL, "$.filters: more than 32 filters");
	q->filters = spm__calloc(db, json_array_size(v) + 1, sizeof(*q->filters));
	if (q->filters == NULL)
		return spm__error_oom();
	json_array_foreach(v, i, o) {
		int rc;
		snprintf(p, sizeof(p), "$.filters[%zu]", i);
		q->nfilters = i + 1;
		if ((rc = parse_filter(&q->filters[i], db, q->query, o, p)) != SPM_OK)
			return rc;
	}
	return SPM_OK;
}

static int parse_object(struct spm__aq *q, spm_db *db, json_t *root)
{
	const char *key;
	json_t *v, *group = NULL;
	char p[80];
	int rc = SPM_OK;

	v = json_object_get(root, "query");
	if (v == NULL)
		return spm__error_set(SPM_EINVAL, "$.query: missing");
	if ((rc = choice(&q->query, v, "$.query", queries, "query")) != SPM_OK)
		return rc;
	json_object_foreach(root, key, v) {
		snprintf(p, sizeof(p), "$.%.64s", key);
		if (strcmp(key, "query") == 0 || strcmp(key, "title") == 0) {
			if (!json_is_string(v))
				rc = spm__error_set(SPM_EINVAL, "%s: expected a string", p);
		} else if (strcmp(key, "layout") == 0) {
			if (!json_is_object(v))
				rc = spm__error_set(SPM_EINVAL, "%s: expected an object", p);
		} else if (strcmp(key, "group_by") == 0) {
			group = v;
		} else if (strcmp(key, "period") == 0) {
			rc = choice(&q->period, v, p, periods, "period");
		} else if (strcmp(key, "period_field") == 0) {
			rc = date_field(&q->period_field, &q->period_custom, db, q->query, v, p,
					SPM__F_CUSTOM_PERIOD);
		} else if (strcmp(key, "date_field") == 0) {
			rc = date_field(&q->range_field, &q->range_custom, db, q->query, v, p,
					SPM__F_CUSTOM_RANGE);
		} else if (strcmp(key, "from") == 0) {
			q->has_from = 1;
			rc = date_value(&q->from, v, p);
		} else if (strcmp(key, "to") == 0) {
			q->has_to = 1;
			rc = date_value(&q->to, v, p);
		} else if (strcmp(key, "pipeline") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				rc = spm__error_set(SPM_EINVAL, "%s: expected a pipeline id", p);
			else
				q->pipeline = json_integer_value(v);
		} else if (strcmp(key, "funnel") == 0) {
			rc = choice(&q->funnel, v, p, funnels, "funnel definition");
		} else if (strcmp(key, "filters") == 0) {
			rc = parse_filters(q, db, v);
		} else if (strcmp(key, "rule") == 0) {
			spm__rule *rule = NULL;
			if (!json_is_string(v))
				rc = spm__error_set(SPM_EINVAL, "%s: expected a string", p);
			else if (q->query == SPM__Q_LEAD_CONVERSION || q->query == SPM__Q_ACTIVITIES)
				rc = spm__error_set(SPM_EINVAL, "%s: only for opportunity queries", p);
			else if ((rc = spm__arule_compile(&rule, db, json_string_value(v))) == SPM_OK &&
				 (q->rule = spm__strdup(db, json_string_value(v))) == NULL)
				rc = spm__error_oom();
			spm__rule_free(rule);
		} else if (strcmp(key, "drill") == 0) {
			if (!json_is_boolean(v))
				rc = spm__error_set(SPM_EINVAL, "%s: expected true or false", p);
			else
				q->drill = json_is_true(v);
		} else if (strcmp(key, "fiscal_year_start") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 12)
				rc = spm__error_set(SPM_EINVAL, "%s: expected a month 1..12", p);
			else
				q->year_start_month = (unsigned int)json_integer_value(v);
		} else {
			rc = spm__error_set(SPM_EINVAL, "%s: unknown key", p);
		}
		if (rc != SPM_OK)
			return rc;
	}
	if (group && (rc = dim_value(&q->dim, &q->custom, db, q->query, group, "$.group_by")))
		return rc;
	if (q->has_from && q->has_to && q->from > q->to)
		return spm__error_set(SPM_EINVAL, "$.to: before $.from");
	if (q->query == SPM__Q_FUNNEL && q->pipeline == 0)
		return spm__error_set(SPM_EINVAL, "$.pipeline: the funnel needs a pipeline id");
	if (q->funnel && q->query != SPM__Q_FUNNEL)
		return spm__error_set(SPM_EINVAL, "$.funnel: only for the funnel query");
	if (q->query == SPM__Q_FUNNEL && q->funnel == 0)
		q->funnel = SPM__FUNNEL_ENTERED;
	if (q->query == SPM__Q_LEAD_CONVERSION || q->query == SPM__Q_ACTIVITIES) {
		int own = q->query == SPM__Q_LEAD_CONVERSION ? SPM__F_CREATED : SPM__F_AT;
		if ((q->range_field && q->range_field != own) ||
		    (q->period_field && q->period_field != own))
			return spm__error_set(SPM_EINVAL, "$.%s: the %s query dates by '%s'",
					      q->range_field && q->range_field != own ?
					      "date_field" : "period_field",
					      queries[q->query - 1].name, dates[own - 1].name);
	} else {
		if (q->range_field == SPM__F_CREATED || q->range_field == SPM__F_AT ||
		    q->period_field == SPM__F_CREATED || q->period_field == SPM__F_AT)
			return spm__error_set(SPM_EINVAL, "$.%s: opportunities date by "
					      "expected_close, opened_at, closed_at, entered or a "
					      "custom date field",
					      q->range_field == SPM__F_CREATED ||
					      q->range_field == SPM__F_AT ? "date_field" :
					      "period_field");
		if ((q->range_field == SPM__F_ENTERED || q->period_field == SPM__F_ENTERED) &&
		    q->query != SPM__Q_FUNNEL && q->query != SPM__Q_TIME_IN_STAGE)
			return spm__error_set(SPM_EINVAL, "$.%s: 'entered' is for the funnel and "
					      "time_in_stage queries",
					      q->range_field == SPM__F_ENTERED ? "date_field" :
					      "period_field");
	}
	if (q->query == SPM__Q_VELOCITY && (q->period || q->period_field))
		return spm__error_set(SPM_EINVAL, "$.period: the velocity query has no periods");
	if (q->period_field && !q->period)
		return spm__error_set(SPM_EINVAL, "$.period_field: needs $.period");
	return SPM_OK;
}

int spm__aq_parse(struct spm__aq *q, spm_db *db, const char *json)
{
	json_error_t err;
	json_t *root;
	int rc;

	memset(q, 0, sizeof(*q));
	q->year_start_month = 1;
	if (json == NULL)
		return spm__error_set(SPM_EINVAL, "no report definition");
	root = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return spm__error_set(SPM_EINVAL, "$: malformed JSON at line %d column %d: %s",
				      err.line, err.column, err.text);
	if (!json_is_object(root))
		rc = spm__error_set(SPM_EINVAL, "$: expected an object");
	else
		rc = parse_object(q, db, root);
	json_decref(root);
	if (rc != SPM_OK)
		spm__aq_free(db, q);
	return rc;
}

void spm__aq_free(spm_db *db, struct spm__aq *q)
{
	for (size_t i = 0; i < q->nfilters; i++) {
		spm__free(db, q->filters[i].custom);
		spm__free(db, q->filters[i].text);
	}
	spm__free(db, q->filters);
	spm__free(db, q->custom);
	spm__free(db, q->rule);
	spm__free(db, q->range_custom);
	spm__free(db, q->period_custom);
	memset(q, 0, sizeof(*q));
}

int spm__adef_is_dashboard(const char *json)
{
	json_t *root = json_loads(json, 0, NULL);
	int yes = root && json_is_object(root) && json_object_get(root, "dashboard");

	json_decref(root);
	return yes;
}

static int parse_dash(struct spm__adash *d, spm_db *db, json_t *root)
{
	const char *key;
	json_t *v, *items = NULL, *it;
	size_t i;
	char p[64];

	json_object_foreach(root, key, v) {
		if (strcmp(key, "dashboard") == 0)
			items = v;
		else if (strcmp(key, "title") == 0 && json_is_string(v))
			continue;
		else
			return spm__error_set(SPM_EINVAL, "$.%.32s: unknown key", key);
	}
	if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 64)
		return spm__error_set(SPM_EINVAL, "$.dashboard: expected an array of 1..64 items");
	d->names = spm__calloc(db, json_array_size(items), sizeof(char *));
	d->layouts = spm__calloc(db, json_array_size(items), sizeof(char *));
	if (d->names == NULL || d->layouts == NULL)
		return spm__error_oom();
	json_array_foreach(items, i, it) {
		json_t *name = json_object_get(it, "report"), *layout = json_object_get(it, "layout");
		const char *k2;
		json_t *v2;

		d->n = i + 1;
		snprintf(p, sizeof(p), "$.dashboard[%zu]", i);
		if (!json_is_object(it))
			return spm__error_set(SPM_EINVAL, "%s: expected an object", p);
		json_object_foreach(it, k2, v2)
			if (strcmp(k2, "report") != 0 && strcmp(k2, "layout") != 0)
				return spm__error_set(SPM_EINVAL, "%s.%.32s: unknown key", p, k2);
		if (!json_is_string(name) || json_string_length(name) == 0)
			return spm__error_set(SPM_EINVAL, "%s.report: expected a report name", p);
		if (layout && !json_is_object(layout))
			return spm__error_set(SPM_EINVAL, "%s.layout: expected an object", p);
		d->names[i] = spm__strdup(db, json_string_value(name));
		if (layout) {
			char *text = json_dumps(layout, JSON_COMPACT | JSON_SORT_KEYS);
			d->layouts[i] = text ? spm__strdup(db, text) : NULL;
			free(text);
		} else {
			d->layouts[i] = spm__strdup(db, "{}");
		}
		if (d->names[i] == NULL || d->layouts[i] == NULL)
			return spm__error_oom();
	}
	return SPM_OK;
}

int spm__adash_parse(struct spm__adash *d, spm_db *db, const char *json)
{
	json_error_t err;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	int rc;

	memset(d, 0, sizeof(*d));
	if (root == NULL)
		return spm__error_set(SPM_EINVAL, "$: malformed JSON at line %d column %d: %s",
				      err.line, err.column, err.text);
	rc = json_is_object(root) ? parse_dash(d, db, root) :
		spm__error_set(SPM_EINVAL, "$: expected an object");
	json_decref(root);
	if (rc != SPM_OK)
		spm__adash_free(db, d);
	return rc;
}

void spm__adash_free(spm_db *db, struct spm__adash *d)
{
	for (size_t i = 0; i < d->n; i++) {
		spm__free(db, d->names ? d->names[i] : NULL);
		spm__free(db, d->layouts ? d->layouts[i] : NULL);
	}
	spm__free(db, d->names);
	spm__free(db, d->layouts);
	memset(d, 0, sizeof(*d));
}

int spm__report_validate(struct spm__txn *t, const struct spm_record *before,
			 struct spm_record *after)
{
	long i;
	const char *json, *name;
	int rc;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	i = spm__core_index(after->kind, "name");
	name = spm_record_value_text(after, (size_t)i, NULL);
	if (name == NULL || name[0] == '\0')
		return spm__error_set(SPM_EINVAL, "report.name: required");
	{
		/* names are unique: reports are listed and run by name */
		spm_scan_cond cond = { (size_t)spm__core_index(after->kind, "name"), SPM_CMP_EQ, 0,
				       name };
		spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 2, 0, NULL, 0 };
		struct spm__page page = { NULL, 0, 0 };
		int taken = 0;
		rc = spm__scan_page(t->db, &page, after->kind, &scan);
		for (size_t k = 0; rc == SPM_OK && k < page.n; k++)
			taken |= page.recs[k]->id != after->id;
		spm__page_clear(t->db, &page);
		if (rc != SPM_OK)
			return rc;
		if (taken)
			return spm__error_set(SPM_EEXISTS, "a report named '%.100s' exists already",
					      name);
	}
	i = spm__core_index(after->kind, "definition");
	json = spm_record_value_text(after, (size_t)i, NULL);
	if (json == NULL)
		return spm__error_set(SPM_EINVAL, "report.definition: required");
	if (spm__adef_is_dashboard(json)) {
		struct spm__adash d;
		rc = spm__adash_parse(&d, t->db, json);
		spm__adash_free(t->db, &d);
	} else {
		struct spm__aq q;
		rc = spm__aq_parse(&q, t->db, json);
		spm__aq_free(t->db, &q);
	}
	if (rc != SPM_OK) {
		char why[400];
		snprintf(why, sizeof(why), "%s", spm_error_message());
		return spm__error_set(rc, "report '%.100s': %s", name, why);
	}
	return SPM_OK;
}
