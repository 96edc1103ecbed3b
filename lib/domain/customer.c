/* Customers: the lifecycle's allowed moves, grading by ordered rules, and
 * converting a lead into a customer and a contact. */
#include "domain/customer.h"
#include "domain/lead.h"
#include "domain/dedupe.h"
#include "domain/org.h"
#include "domain/pipeline.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "domain/record_fields.h"
#include "core/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lifecycle's allowed moves: from → the stages it may go to. */
static int may_move(const char *from, const char *to)
{
	static const struct { const char *from, *to; } moves[] = {
		{ "prospect", "customer" }, { "prospect", "churned" },
		{ "customer", "repeat" }, { "customer", "churned" },
		{ "repeat", "churned" }, { "churned", "customer" },
	};

	if (strcmp(from, to) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
			return 1;
	return 0;
}

/* No value means prospect, the first stage (so existing rows need no
 * rewrite). */
static int check_lifecycle(const spm_record *before, spm_record *after)
{
	static const char *const stages[] = { "prospect", "customer", "repeat", "churned" };
	const char *to = spm__fld_text(after, "lifecycle");
	const char *from = before ? spm__fld_text(before, "lifecycle") : NULL;
	int known = 0;

	if (to == NULL)
		return from ? spm__error_set(SPM_EINVAL, "customer.lifecycle cannot be cleared")
			    : SPM_OK;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		known |= strcmp(stages[i], to) == 0;
	if (!known)
		return spm__error_set(SPM_EINVAL, "customer.lifecycle must be prospect, customer, "
				      "repeat or churned, not '%s'", to);
	if (!may_move(from ? from : "prospect", to))
		return spm__error_set(SPM_EINVAL, "customer %lld cannot go from %s to %s",
				      (long long)after->id, from ? from : "prospect", to);
	return SPM_OK;
}

/* The level of the first rule the customer meets, or none. */
static int grade(struct spm__txn *t, spm_record *after)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page rules = { NULL, 0, 0 };
	const char *found = NULL;
	int rc = spm__scan_page(t->db, &rules, spm__kind_find(t->db, "grading_rule", 0), &all);

	if (rc == SPM_OK && rules.n)
		qsort(rules.recs, rules.n, sizeof(*rules.recs), spm__cmp_position);
	for (size_t i = 0; rc == SPM_OK && found == NULL && i < rules.n; i++) {
		spm__rule *r = NULL;
		spm__rule_ctx ctx;
		int met = 0;

		rc = spm__record_rule_compile(&r, t->db, after->kind, spm__fld_text(rules.recs[i], "condition"),
					      "grading_rule.condition");
		spm__record_rule_ctx(&ctx, after, t->at);
		if (rc == SPM_OK)
			rc = spm__rule_met(&met, NULL, r, &ctx);
		if (rc == SPM_OK && met)
			found = spm__fld_text(rules.recs[i], "level");
		spm__rule_free(r);
	}
	if (rc == SPM_OK && found)
		rc = spm__fld_put_text(after, "level", found);
	else if (rc == SPM_OK && spm__fld_has(after, "level"))
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "level"));
	spm__page_clear(t->db, &rules);
	return rc;
}

int spm__customer_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int rc;

	if (after == NULL)
		return SPM_OK;
	rc = check_lifecycle(before, after);
	if (rc == SPM_OK)
		rc = spm__customer_tags_normalize(after);
	if (rc == SPM_OK)
		rc = spm__dedupe_check(t, before, after);
	if (rc == SPM_OK && !spm__fld_num(after, "level_manual"))
		rc = grade(t, after);
	return rc;
}

int spm__grading_rule_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	spm__rule *r = NULL;
	int rc;

	(void)before;
	if (after == NULL)
		return SPM_OK;
	rc = spm__record_rule_compile(&r, t->db, spm__kind_find(t->db, "customer", 0),
				      spm__fld_text(after, "condition"), "grading_rule.condition");
	if (rc == SPM_OK && spm__rule_result_type(r) != SPM__RULE_BOOLEAN)
		rc = spm__error_set(SPM_EINVAL, "grading_rule.condition must be a condition "
				    "(true or false)");
	spm__rule_free(r);
	return rc;
}

/* Copies text field from of src into field to of dst, when set. */
static int copy_text(spm_record *dst, const char *to, const spm_record *src, const char *from)
{
	const char *v = spm__fld_text(src, from);

	return v ? spm__fld_put_text(dst, to, v) : SPM_OK;
}

static int make(spm_record **out, struct spm__txn *t, const char *kind)
{
	return spm__record_make(out, t->db, spm__kind_find(t->db, kind, 0));
}

/* A converted lead's deal is open: its stage must be an open one. */
static int check_open_stage(const spm_record *stage)
{
	const char *outcome = spm__stage_outcome(stage);

	if (strcmp(outcome, "open") == 0)
		return SPM_OK;
	return spm__error_set(SPM_EINVAL, "stage %lld is a %s stage: a converted lead's "
			      "opportunity starts in an open stage", (long long)stage->id, outcome);
}

/* The stage an opportunity starts in: the one asked for (of that
 * pipeline), or the pipeline's first by position. */
static int start_stage(int64_t *out, struct spm__txn *t, int64_t pipeline, int64_t asked)
{
	spm_kind *stages = spm__kind_find(t->db, "stage", 0);
	spm_record *rec = NULL;
	spm_scan_cond cond;
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = t->db->ops->get(t->db->store, &rec, spm__kind_find(t->db, "pipeline", 0), pipeline);

	spm_record_free(rec);
	rec = NULL;
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "pipeline %lld does not exist", (long long)pipeline);
	if (rc == SPM_OK && asked) {
		rc = t->db->ops->get(t->db->store, &rec, stages, asked);
		if (rc == SPM_ENOTFOUND)
			rc = spm__error_set(SPM_ENOTFOUND, "stage %lld does not exist", (long long)asked);
		if (rc == SPM_OK && spm__fld_num(rec, "pipeline_id") != pipeline)
			rc = spm__error_set(SPM_EINVAL, "stage %lld is not a stage of pipeline %lld",
					    (long long)asked, (long long)pipeline);
		if (rc == SPM_OK)
			rc = check_open_stage(rec);
		spm_record_free(rec);
		*out = asked;
		return rc;
	}
	cond = (spm_scan_cond){ (size_t)spm__core_index(stages, "pipeline_id"), SPM_CMP_EQ, pipeline, NULL };
	if (rc == SPM_OK)
		rc = spm__scan_page(t->db, &page, stages, &scan);
	if (rc == SPM_OK && page.n == 0)
		rc = spm__error_set(SPM_EINVAL, "pipeline %lld has no stages", (long long)pipeline);
	if (rc == SPM_OK) {
		qsort(page.recs, page.n, sizeof(*page.recs), spm__cmp_position);
		*out = page.recs[0]->id;
		rc = check_open_stage(page.recs[0]);
	}
	spm__page_clear(t->db, &page);
	return rc;
}

/* The opportunity of a conversion: open, in its start stage, with the
 * lead's owner and source. */
static int make_opportunity(int64_t *out, struct spm__txn *t, const spm_record *lead,
			    int64_t customer, const char *customer_name,
			    const spm_lead_convert_options *o)
{
	spm_record *opp = NULL, *stored = NULL;
	int64_t stage = 0;
	int rc = start_stage(&stage, t, o->pipeline_id, o->stage_id);

	if (rc == SPM_OK)
		rc = make(&opp, t, "opportunity");
	if (rc == SPM_OK)
		rc = spm_record_set_text(opp, "name", o->opportunity_name ? o->opportunity_name
									  : customer_name);
	if (rc == SPM_OK && o->amount_currency)
		rc = spm_record_set_money(opp, "amount", o->amount_minor, o->amount_currency);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(opp, "customer_id", customer);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(opp, "pipeline_id", o->pipeline_id);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(opp, "stage_id", stage);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(opp, "status", "open");
	if (rc == SPM_OK)
		rc = spm__fld_put_num(opp, "opened_at", t->at);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(opp, "lead_id", lead->id);
	if (rc == SPM_OK && spm__fld_has(lead, "owner_id"))
		rc = spm__fld_put_num(opp, "owner_id", spm__fld_num(lead, "owner_id"));
	if (rc == SPM_OK)
		rc = copy_text(opp, "source", lead, "source");
	if (rc == SPM_OK)
		rc = spm__write_save(t, opp, &stored);
	if (rc == SPM_OK)
		*out = stored->id;
	spm_record_free(stored);
	spm_record_free(opp);
	return rc;
}

static int convert_in_txn(struct spm__txn *t, int64_t id, const spm_lead_convert_options *o,
			  int64_t *customer, int64_t *contact, int64_t *opportunity)
{
	spm_record *lead = NULL, *c = NULL, *k = NULL, *stored = NULL;
	struct spm__scope *s;
	const char *name, *status;
	char payload[128];
	int seen = 0;
	int rc = t->db->ops->get(t->db->store, &lead, spm__kind_find(t->db, "lead", 0), id);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, lead);
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !seen)) {
		rc = spm__error_set(SPM_ENOTFOUND, "lead %lld does not exist", (long long)id);
		goto out;
	}
	status = rc == SPM_OK ? spm__fld_text(lead, "status") : NULL;
	if (spm__fld_is(status, "converted") || spm__fld_is(status, "disqualified")) {
		rc = spm__error_set(SPM_EINVAL, "lead %lld is %s", (long long)id, status);
		goto out;
	}
	name = spm__fld_text(lead, "company");
	if (name == NULL)
		name = spm__fld_text(lead, "contact_name");
	if (rc == SPM_OK && name == NULL)
		rc = spm__error_set(SPM_EINVAL, "lead %lld has no company or contact name to "
				    "name the customer", (long long)id);
	if (rc == SPM_OK)
		rc = make(&c, t, "customer");
	if (rc == SPM_OK)
		rc = spm__fld_put_text(c, "name", name);
	if (rc == SPM_OK && spm__fld_has(lead, "owner_id"))
		rc = spm__record_put_int(c, (size_t)spm__fld_idx(c, "owner_id"), spm__fld_num(lead, "owner_id"));
	if (rc == SPM_OK)
		rc = copy_text(c, "industry", lead, "industry");
	if (rc == SPM_OK)
		rc = copy_text(c, "region", lead, "region");
	if (rc == SPM_OK)
		rc = spm__write_save(t, c, &stored);
	if (rc == SPM_OK)
		*customer = stored->id;
	spm_record_free(stored);
	stored = NULL;
	if (rc == SPM_OK && spm__fld_text(lead, "contact_name")) {
		rc = make(&k, t, "contact");
		if (rc == SPM_OK)
			rc = spm__record_put_int(k, (size_t)spm__fld_idx(k, "customer_id"), *customer);
		if (rc == SPM_OK)
			rc = copy_text(k, "name", lead, "contact_name");
		if (rc == SPM_OK)
			rc = copy_text(k, "email", lead, "email");
		if (rc == SPM_OK)
			rc = copy_text(k, "phone", lead, "phone");
		if (rc == SPM_OK)
			rc = spm__write_save(t, k, &stored);
		if (rc == SPM_OK)
			*contact = stored->id;
		spm_record_free(stored);
		stored = NULL;
	}
	if (rc == SPM_OK && o && o->pipeline_id)
		rc = make_opportunity(opportunity, t, lead, *customer, name, o);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(lead, "status", "converted");
	if (rc == SPM_OK)
		rc = spm__record_put_int(lead, (size_t)spm__fld_idx(lead, "converted_customer_id"), *customer);
	if (rc == SPM_OK)
		rc = spm__write_save(t, lead, &stored);
	if (o && o->pipeline_id)
		snprintf(payload, sizeof(payload), "{\"customer_id\":%lld,\"contact_id\":%lld,"
			 "\"opportunity_id\":%lld}", (long long)*customer, (long long)*contact,
			 (long long)*opportunity);
	else
		snprintf(payload, sizeof(payload), "{\"customer_id\":%lld,\"contact_id\":%lld}",
			 (long long)*customer, (long long)*contact);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_LEAD_CONVERTED, "lead", id, payload);
out:
	spm_record_free(stored);
	spm_record_free(k);
	spm_record_free(c);
	spm_record_free(lead);
	return rc;
}

int spm_lead_convert_options_init(spm_lead_convert_options *opts, unsigned int version)
{
	static const spm_lead_convert_options defaults = SPM_LEAD_CONVERT_OPTIONS_INIT;

	SPM__CHECK_ARG(opts);
	if (version != 1)
		return spm__error_set(SPM_EVERSION, "unknown spm_lead_convert_options version %u",
				      version);
	*opts = defaults;
	return SPM_OK;
}

int spm_lead_convert2(int64_t *out_customer, int64_t *out_contact, int64_t *out_opportunity,
		      spm_db *db, int64_t lead, const spm_lead_convert_options *opts)
{
	struct spm__txn t;
	int64_t customer = 0, contact = 0, opportunity = 0;
	int rc;

	SPM__CHECK_ARG(db);
	if (opts && opts->version != 1)
		return spm__error_set(SPM_EVERSION, "unknown spm_lead_convert_options version %u",
				      (unsigned)opts->version);
	if (opts && opts->pipeline_id < 0)
		return spm__error_set(SPM_EINVAL, "pipeline_id must not be negative");
	if (opts && opts->pipeline_id && spm__kind_find(db, "opportunity", 0) == NULL)
		return spm__error_set(SPM_EINVAL, "this database has no opportunities (schema "
				      "version 4 needed)");
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	t.owner_via = "convert";
	rc = convert_in_txn(&t, lead, opts, &customer, &contact, &opportunity);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	rc = spm__txn_commit(&t);
	if (t.committed) {
		if (out_customer)
			*out_customer = customer;
		if (out_contact)
			*out_contact = contact;
		if (out_opportunity)
			*out_opportunity = opportunity;
	}
	return rc;
}

int spm_lead_convert(int64_t *out_customer, int64_t *out_contact, spm_db *db, int64_t lead)
{
	return spm_lead_convert2(out_customer, out_contact, NULL, db, lead, NULL);
}
