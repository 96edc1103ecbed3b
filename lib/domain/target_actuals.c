/* Actuals of a target's metric (won deals, payments, leads, customers,
 * activities, opportunities, custom metrics) and the open weighted
 * pipeline. What the analytics cache holds (won deals, open deals, leads,
 * activities) comes from it; the rest is read straight from the records.
 * Each record is reported with its owner and date; callers attribute it to
 * users and teams. */
#include "domain/target.h"
#include "analytics/actuals.h"
#include "domain/record_fields.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "core/txn.h"

#include <string.h>

int spm__target_get(spm_record **out, spm_db *db, const char *kind, int64_t id)
{
	spm_kind *k = spm__kind_find(db, kind, 1);
	int opened = !db->in_txn;
	int rc;

	*out = NULL;
	if (k == NULL)
		return spm__error_set(SPM_ENOTFOUND, "no kind %s", kind);
	rc = spm__read_begin(db);
	if (rc == SPM_OK)
		rc = db->ops->get(db->store, out, k, id);
	if (opened)
		spm__read_end(db);
	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "%s %lld does not exist", kind, (long long)id);
	return rc;
}

static int field_of(long *out, const spm_kind *kind, const char *name, const char *what)
{
	*out = spm__field_index(kind, name);
	if (*out < 0)
		return spm__error_set(SPM_EINVAL, "target_metric.%s: %s has no field '%s'", what,
				      kind->name, name);
	return SPM_OK;
}

/* Fills the custom part of m from a "target_metric" record. */
static int custom_from(struct spm__metric *m, spm_db *db, const spm_record *def)
{
	const char *kind = spm__fld_text(def, "kind");
	const char *date = spm__fld_text(def, "date_field");
	const char *sum = spm__fld_text(def, "sum_field");
	const char *owner = spm__fld_text(def, "owner_field");
	const char *filter = spm__fld_text(def, "filter");
	spm_field_type ty;
	int rc;

	m->kind = kind ? spm__kind_find(db, kind, 0) : NULL;
	if (m->kind == NULL)
		return spm__error_set(SPM_EINVAL, "target_metric.kind: no kind '%s'", kind ? kind : "");
	rc = field_of(&m->date_idx, m->kind, date ? date : "", "date_field");
	if (rc != SPM_OK)
		return rc;
	ty = m->kind->fields[m->date_idx].type;
	if (ty != SPM_FIELD_DATE && ty != SPM_FIELD_TIME)
		return spm__error_set(SPM_EINVAL, "target_metric.date_field must be a DATE or TIME "
				      "field");
	m->date_is_time = ty == SPM_FIELD_TIME;
	rc = field_of(&m->owner_idx, m->kind, owner ? owner : "owner_id", "owner_field");
	if (rc == SPM_OK && m->kind->fields[m->owner_idx].type != SPM_FIELD_INTEGER)
		rc = spm__error_set(SPM_EINVAL, "target_metric.owner_field must be an INTEGER field");
	m->sum_idx = -1;
	if (rc == SPM_OK && sum) {
		rc = field_of(&m->sum_idx, m->kind, sum, "sum_field");
		ty = rc == SPM_OK ? m->kind->fields[m->sum_idx].type : SPM_FIELD_TEXT;
		if (rc == SPM_OK && ty != SPM_FIELD_MONEY && ty != SPM_FIELD_INTEGER)
			rc = spm__error_set(SPM_EINVAL, "target_metric.sum_field must be a MONEY or "
					    "INTEGER field");
		m->money = ty == SPM_FIELD_MONEY;
	}
	if (rc == SPM_OK && filter)
		rc = spm__record_rule_compile(&m->filter, db, m->kind, filter, "target_metric.filter");
	if (rc == SPM_OK && m->filter && spm__rule_result_type(m->filter) != SPM__RULE_BOOLEAN)
		rc = spm__error_set(SPM_EINVAL, "target_metric.filter must be a condition");
	return rc;
}

int spm__metric_def_check(spm_db *db, const spm_record *def)
{
	struct spm__metric m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = custom_from(&m, db, def);
	spm__metric_free(db, &m);
	return rc;
}

int spm__metric_load(struct spm__metric *m, spm_db *db, const spm_record *target)
{
	static const struct { const char *kind, *date, *sum, *owner; } builtin[] = {
		[SPM__M_WON] = { "opportunity", "closed_at", "amount", "owner_id" },
		[SPM__M_COLLECTIONS] = { "payment", "received_at", "amount", "owner_id" },
		[SPM__M_LEADS] = { "lead", "created_at", NULL, "owner_id" },
		[SPM__M_CUSTOMERS] = { "customer", "created_at", NULL, "owner_id" },
		[SPM__M_ACTIVITIES] = { "activity", "at", NULL, "owner_id" },
		[SPM__M_OPPS] = { "opportunity", "created_at", NULL, "owner_id" },
	};
	const char *cur = spm__fld_text(target, "currency");
	int rc = SPM_OK;

	memset(m, 0, sizeof(*m));
	m->type = spm__metric_type(spm__fld_text(target, "metric"));
	m->activity_type = spm__fld_text(target, "activity_type");
	if (cur)
		memcpy(m->currency, cur, strlen(cur) < 4 ? strlen(cur) + 1 : 4);
	if (m->type == SPM__M_CUSTOM) {
		rc = spm__target_get(&m->def, db, "target_metric", spm__fld_num(target, "metric_id"));
		if (rc == SPM_ENOTFOUND)
			rc = spm__error_set(SPM_EINVAL, "target.metric_id: no custom metric %lld",
					    (long long)spm__fld_num(target, "metric_id"));
		return rc == SPM_OK ? custom_from(m, db, m->def) : rc;
	}
	if (m->type == 0)
		return spm__error_set(SPM_EINVAL, "unknown metric");
	m->kind = spm__kind_find(db, builtin[m->type].kind, 0);
	if (m->kind == NULL)
		return spm__error_set(SPM_EINVAL, "metric %s needs the kind %s, which this "
				      "database does not have yet", spm__fld_text(target, "metric"),
				      builtin[m->type].kind);
	m->date_idx = spm__core_index(m->kind, builtin[m->type].date);
	m->owner_idx = spm__core_index(m->kind, builtin[m->type].owner);
	m->sum_idx = builtin[m->type].sum ? spm__core_index(m->kind, builtin[m->type].sum) : -1;
	m->money = builtin[m->type].sum != NULL;
	m->date_is_time = m->kind->fields[m->date_idx].type == SPM_FIELD_TIME;
	return SPM_OK;
}

void spm__metric_free(spm_db *db, struct spm__metric *m)
{
	(void)db;
	spm__rule_free(m->filter);
	spm_record_free(m->def);
	m->filter = NULL;
	m->def = NULL;
}

struct scan_ctx {
	spm_db *db;
	const struct spm__metric *m;
	spm_date from, to;
	spm__actual_cb cb;
	void *payload;
	int pipeline;
	const int64_t *stage_id, *stage_prob;
	size_t nstages;
	spm_time now;
};

static int date_of(spm_date *out, const struct spm__metric *m, const spm_record *rec, long idx,
		   int is_time)
{
	int64_t v;

	if (idx < 0 || spm_record_value_null(rec, (size_t)idx))
		return 0;
	v = spm_record_value_int(rec, (size_t)idx);
	(void)m;
	if (!is_time) {
		*out = (spm_date)v;
		return 1;
	}
	return spm_date_from_time(out, v) == SPM_OK;
}

static int64_t probability(const struct scan_ctx *c, int64_t stage)
{
	size_t lo = 0, hi = c->nstages;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->stage_id[mid] == stage)
			return c->stage_prob[mid];
		if (c->stage_id[mid] < stage)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The value a record contributes, or 0 with *skip set when it does not count. */
static int value_of(int64_t *out, int *skip, const struct scan_ctx *c, const spm_record *rec)
{
	const struct spm__metric *m = c->m;
	const struct spm__value *v;
	const char *status;

	*skip = 1;
	*out = 0;
	if (m->type == SPM__M_WON || c->pipeline) {
		status = spm__fld_text(rec, "status");
		if (!spm__fld_is(status, c->pipeline ? "open" : "won"))
			return SPM_OK;
	}
	if (m->type == SPM__M_ACTIVITIES && m->activity_type &&
	    !spm__fld_is(spm__fld_text(rec, "type"), m->activity_type))
		return SPM_OK;
	if (m->filter) {
		spm__rule_ctx ctx;
		int met = 0, rc;

		spm__record_rule_ctx(&ctx, rec, c->now);
		rc = spm__rule_met(&met, NULL, m->filter, &ctx);
		if (rc != SPM_OK || !met)
			return rc;
	}
	*skip = 0;
	if (m->sum_idx < 0) {
		*out = 1;
		return SPM_OK;
	}
	if ((size_t)m->sum_idx >= rec->nvalues || !rec->v[m->sum_idx].has)
		return SPM_OK;
	v = &rec->v[m->sum_idx];
	*out = v->i;
	if (m->money && strcmp(v->cur, m->currency) != 0)
		return spm__error_set(SPM_EINVAL, "%s %lld is in %s, the target in %s: no implicit "
				      "exchange", rec->kind->name, (long long)rec->id, v->cur,
				      m->currency);
	if (c->pipeline)
		return spm_money_mul_ratio(out, v->i, probability(c, spm__fld_num(rec, "stage_id")),
					   100, SPM_ROUND_HALF_EVEN);
	return SPM_OK;
}

static int each(spm_record *rec, void *payload)
{
	struct scan_ctx *c = payload;
	const struct spm__metric *m = c->m;
	long didx = c->pipeline ? spm__core_index(rec->kind, "expected_close") : m->date_idx;
	spm_date on;
	int64_t value;
	int skip, rc = SPM_OK;

	if (!date_of(&on, m, rec, didx, c->pipeline ? 0 : m->date_is_time) || on < c->from ||
	    on > c->to || spm_record_value_null(rec, (size_t)m->owner_idx))
		goto out;
	rc = value_of(&value, &skip, c, rec);
	if (rc == SPM_OK && !skip)
		rc = c->cb(spm_record_value_int(rec, (size_t)m->owner_idx), on, value, c->payload);
out:
	spm_record_free(rec);
	return rc;
}

static int run_scan(struct scan_ctx *c, long didx, int is_time)
{
	spm_db *db = c->db;
	spm_scan_cond conds[2];
	spm_scan scan = { SPM_SCAN_VERSION, conds, 0, 0, 0, 0, 0, NULL, 0 };
	int opened = !db->in_txn, rc;

	/* narrow by the date when the storage indexes it */
	if (didx >= 0 && (size_t)didx < c->m->kind->ncore &&
	    (c->m->kind->fields[didx].flags & SPM_FIELD_INDEXED)) {
		spm_time a, b;

		if (is_time && spm_date_to_time(&a, c->from) == SPM_OK &&
		    spm_date_to_time(&b, c->to) == SPM_OK) {
			conds[0] = (spm_scan_cond){ (size_t)didx, SPM_CMP_GE, a, NULL };
			conds[1] = (spm_scan_cond){ (size_t)didx, SPM_CMP_LT, b + 86400, NULL };
			scan.nconds = 2;
		} else if (!is_time) {
			conds[0] = (spm_scan_cond){ (size_t)didx, SPM_CMP_GE, c->from, NULL };
			conds[1] = (spm_scan_cond){ (size_t)didx, SPM_CMP_LE, c->to, NULL };
			scan.nconds = 2;
		}
	}
	rc = spm__read_begin(db);
	if (rc == SPM_OK)
		rc = db->ops->scan(db->store, c->m->kind, &scan, each, c);
	if (opened)
		spm__read_end(db);
	return rc;
}

/* From the analytics cache when it holds the metric's records: *served. */
static int from_cache(int *served, spm_db *db, const struct spm__metric *m, int what,
		      spm_date from, spm_date to, spm__actual_cb cb, void *payload)
{
	struct spm__act_query q = { what, from, to, m->currency, m->activity_type };

	*served = 0;
	if (what == 0)
		return SPM_OK;
	return spm__actuals_foreach(served, db, &q, cb, payload);
}

int spm__metric_scan(spm_db *db, const struct spm__metric *m, spm_date from, spm_date to,
		     spm__actual_cb cb, void *payload)
{
	struct scan_ctx c = { db, m, from, to, cb, payload, 0, NULL, NULL, 0, spm_db_now(db) };
	int what = m->type == SPM__M_WON ? SPM__ACT_WON : m->type == SPM__M_LEADS ? SPM__ACT_LEADS
		   : m->type == SPM__M_ACTIVITIES ? SPM__ACT_ACTIVITIES : 0;
	int served, rc = from_cache(&served, db, m, what, from, to, cb, payload);

	if (rc != SPM_OK || served)
		return rc;
	return run_scan(&c, m->date_idx, m->date_is_time);
}

struct stages {
	spm_db *db;
	int64_t *id, *prob;
	size_t n, cap;
};

static int add_stage(spm_record *rec, void *payload)
{
	struct stages *s = payload;
	int rc = SPM_OK;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		int64_t *id = spm__realloc(s->db, s->id, cap * sizeof(*id));
		int64_t *prob = id ? spm__realloc(s->db, s->prob, cap * sizeof(*prob)) : NULL;

		if (id)
			s->id = id;
		if (prob)
			s->prob = prob;
		if (id == NULL || prob == NULL)
			rc = spm__error_oom();
		else
			s->cap = cap;
	}
	if (rc == SPM_OK) {
		s->id[s->n] = rec->id;  /* the scan yields ascending ids */
		s->prob[s->n++] = spm__fld_num(rec, "probability");
	}
	spm_record_free(rec);
	return rc;
}

int spm__pipeline_scan(spm_db *db, const struct spm__metric *m, spm_date from, spm_date to,
		       spm__actual_cb cb, void *payload)
{
	struct stages s = { db, NULL, NULL, 0, 0 };
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__metric opp = *m;
	struct scan_ctx c = { db, &opp, from, to, cb, payload, 1, NULL, NULL, 0, spm_db_now(db) };
	spm_kind *stage = spm__kind_find(db, "stage", 0);
	int opened = !db->in_txn;
	int served, rc;

	if (m->type != SPM__M_WON || stage == NULL)
		return SPM_OK;
	rc = from_cache(&served, db, m, SPM__ACT_PIPELINE, from, to, cb, payload);
	if (rc != SPM_OK || served)
		return rc;
	rc = spm__read_begin(db);
	if (rc == SPM_OK)
		rc = db->ops->scan(db->store, stage, &all, add_stage, &s);
	if (opened)
		spm__read_end(db);
	c.stage_id = s.id;
	c.stage_prob = s.prob;
	c.nstages = s.n;
	if (rc == SPM_OK)
		rc = run_scan(&c, spm__core_index(opp.kind, "expected_close"), 0);
	spm__free(db, s.id);
	spm__free(db, s.prob);
	return rc;
}
