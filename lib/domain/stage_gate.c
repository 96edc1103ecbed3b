/* Stage gates: a stage's required fields and exit criteria evaluated for a
 * deal, each unmet one reported with its name, rule and why (the rule
 * engine's explanation). */
#include "domain/pipeline.h"
#include "domain/record_fields.h"

#include <stdio.h>
#include <string.h>

static int add_item(struct spm_gate_report **report, spm_db *db, const char *name,
		    const char *rule, const char *why)
{
	struct spm_gate_report *r = *report;
	struct spm__gate_item *it;

	if (r == NULL) {
		r = spm__calloc(db, 1, sizeof(*r));
		if (r == NULL)
			return spm__error_oom();
		r->db = db;
		*report = r;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		it = spm__realloc(db, r->items, cap * sizeof(*it));
		if (it == NULL)
			return spm__error_oom();
		r->items = it;
		r->cap = cap;
	}
	it = &r->items[r->n];
	it->name = spm__strdup(db, name);
	it->rule = spm__strdup(db, rule);
	it->why = spm__strdup(db, why);
	r->n++;
	if (it->name == NULL || it->rule == NULL || it->why == NULL)
		return spm__error_oom();
	return SPM_OK;
}

static int required_fields(struct spm_gate_report **report, spm_db *db,
			   const spm_record *stage, const spm_record *deal)
{
	const char *p = spm__fld_text(stage, "required_fields");
	int rc = SPM_OK;

	while (rc == SPM_OK && p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[64], label[80], rule[96], why[96];
		long i;

		snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), p);
		i = spm__field_index(deal->kind, name);
		if (i < 0 || spm_record_value_null(deal, (size_t)i)) {
			snprintf(label, sizeof(label), "required: %s", name);
			snprintf(rule, sizeof(rule), "%s is not null", name);
			snprintf(why, sizeof(why), "%s = null", name);
			rc = add_item(report, db, label, rule, why);
		}
		p = end ? end + 1 : NULL;
	}
	return rc;
}

/* Collects "criterion: value (fields)" for every conjunct not met. */
struct why_buf {
	char text[1024];
	size_t len;
};

static int why_cb(const spm__rule_criterion *c, void *payload)
{
	struct why_buf *w = payload;
	char value[SPM__RULE_VALUE_FORMAT_MAX];
	int n;

	if (c->depth != 0 || c->truth == SPM__RULE_TRUE || w->len >= sizeof(w->text) - 1)
		return 0;
	if (c->status != SPM_OK)
		snprintf(value, sizeof(value), "%s", spm_result_name(c->status));
	else if (spm__rule_value_format(value, sizeof(value), &c->value) != SPM_OK)
		snprintf(value, sizeof(value), "?");
	n = snprintf(w->text + w->len, sizeof(w->text) - w->len, "%s%s: %s%s%s%s",
		     w->len ? "; " : "", c->text, value, *c->why ? " (" : "", c->why,
		     *c->why ? ")" : "");
	w->len += n > 0 ? (size_t)n : 0;
	if (w->len >= sizeof(w->text))
		w->len = sizeof(w->text) - 1;
	return 0;
}

static int exit_criteria(struct spm_gate_report **report, struct spm__txn *t,
			 const spm_record *stage, const spm_record *deal,
			 struct spm__opp_rows *rows)
{
	const char *text = spm__fld_text(stage, "exit_criteria");
	json_t *all, *c;
	size_t i;
	int rc = SPM_OK;

	if (text == NULL)
		return SPM_OK;
	all = json_loads(text, 0, NULL);
	if (all == NULL)
		return spm__error_set(SPM_ECORRUPT, "stage %lld: exit_criteria is not JSON",
				      (long long)stage->id);
	json_array_foreach(all, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *src = json_string_value(json_object_get(c, "rule"));
		struct why_buf w = { "", 0 };
		spm__rule *r = NULL;
		spm__rule_ctx ctx;
		int met = 0, st;

		if (name == NULL || src == NULL) {
			rc = spm__error_set(SPM_ECORRUPT, "stage %lld: exit_criteria[%zu] has no name "
					    "or rule", (long long)stage->id, i);
			break;
		}
		rc = spm__opp_rule_compile(&r, t->db, src, "exit criterion");
		if (rc != SPM_OK)
			break;
		spm__opp_rule_ctx(&ctx, deal, rows, t->at);
		st = spm__rule_met(&met, NULL, r, &ctx);
		if (st != SPM_OK || !met)
			spm__rule_explain(NULL, r, &ctx, why_cb, &w);
		if (st != SPM_OK && w.len == 0)
			snprintf(w.text, sizeof(w.text), "%s", spm_result_name(st));
		if (st != SPM_OK || !met)
			rc = add_item(report, t->db, name, spm__rule_text(r), w.text);
		spm__rule_free(r);
		if (rc != SPM_OK)
			break;
	}
	json_decref(all);
	return rc;
}

int spm__gate_check(struct spm_gate_report **report, struct spm__txn *t,
		    const spm_record *stage, const spm_record *deal, struct spm__opp_rows *rows)
{
	int rc = required_fields(report, t->db, stage, deal);

	if (rc == SPM_OK)
		rc = exit_criteria(report, t, stage, deal, rows);
	return rc;
}

void spm_gate_report_free(spm_gate_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		spm__free(r->db, r->items[i].name);
		spm__free(r->db, r->items[i].rule);
		spm__free(r->db, r->items[i].why);
	}
	spm__free(r->db, r->items);
	spm__free(r->db, r);
}

size_t spm_gate_report_count(const spm_gate_report *r)
{
	return r ? r->n : 0;
}

int spm_gate_report_item(const char **out_name, const char **out_rule, const char **out_why,
			 const spm_gate_report *r, size_t i)
{
	SPM__CHECK_ARG(r);
	if (i >= r->n)
		return spm__error_set(SPM_ERANGE, "gate report item %zu of %zu", i, r->n);
	if (out_name)
		*out_name = r->items[i].name;
	if (out_rule)
		*out_rule = r->items[i].rule;
	if (out_why)
		*out_why = r->items[i].why;
	return SPM_OK;
}
