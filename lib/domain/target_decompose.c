/* Decomposition of a target into children over time (the periods of a
 * finer kind inside it) or over the org (a team's sub-teams and members),
 * exactly: the children always sum to the parent (largest remainder), except
 * a manual plan that does not, whose imbalance is reported or refused. */
#include "domain/target.h"
#include "domain/record_fields.h"
#include "analytics/decompose.h"
#include "core/kinds.h"
#include "core/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct child {
	const char *owner_kind;
	int64_t owner_ref;
	spm_date start, end;
	int64_t weight, value;
	int64_t id;
};

struct dec {
	spm_db *db;
	const spm_record *parent;
	const spm_target_plan *plan;
	struct spm__tperiod per;
	struct spm__org_snap org;
	struct spm__workcal wc;
	struct child *c;
	size_t n, cap;
	int org_axis;
	int64_t ref;         /* the parent's owner */
	int is_team;
	spm_date shift_from; /* LAST_YEAR / LAST_PERIOD: the window read */
	spm_date shift_to;
	int64_t *subtree_w;  /* HEADCOUNT: member-days under each team (org.team order) */
	int shared;          /* a tree: org, wc and subtree_w belong to the top */
	int tree;            /* a tree: a team without children is left as it is */
	spm_record *own;     /* a tree: the parent made in memory (owned) */
	size_t up, up_child; /* a tree: the decomposition and child that made it */
};

static int add_child(struct dec *d, const char *kind, int64_t ref, spm_date a, spm_date b)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct child *c = spm__realloc(d->db, d->c, cap * sizeof(*c));

		if (c == NULL)
			return spm__error_oom();
		d->c = c;
		d->cap = cap;
	}
	d->c[d->n++] = (struct child){ kind, ref, a, b, 0, 0, 0 };
	return SPM_OK;
}

/* Child periods: those whose fourth day (their middle for weeks) lies in the
 * parent, so a week belongs to the year holding most of it. */
static int time_children(struct dec *d)
{
	spm_period_kind k = d->plan->child_period;
	spm_date cur, end;
	int rc;

	if (k < SPM_PERIOD_WEEK || k >= d->per.kind)
		return spm__error_set(SPM_EINVAL, "plan.child_period must be a shorter period "
				      "than the target's %s", spm__period_kind_name(d->per.kind));
	rc = spm_period_bounds(&cur, &end, &d->per.cal, k, d->per.start);
	if (rc == SPM_OK && cur + 3 < d->per.start)
		rc = spm_period_shift(&cur, &d->per.cal, k, cur, 1);
	while (rc == SPM_OK && cur + 3 <= d->per.end) {
		rc = spm_period_bounds(NULL, &end, &d->per.cal, k, cur);
		if (rc == SPM_OK)
			rc = add_child(d, spm__fld_text(d->parent, "owner_kind"), d->ref, cur, end);
		if (rc == SPM_OK)
			rc = spm_period_shift(&cur, &d->per.cal, k, cur, 1);
	}
	return rc;
}

static int org_children(struct dec *d)
{
	const struct spm__org_snap *s = &d->org;
	int rc = SPM_OK;
	int64_t last = 0;

	if (!d->is_team)
		return spm__error_set(SPM_EINVAL, "only a team's target is decomposed over the org");
	for (size_t i = 0; rc == SPM_OK && i < s->nteams; i++)
		if (s->parent[i] == d->ref)
			rc = add_child(d, "team", s->team[i], d->per.start, d->per.end);
	for (size_t i = 0; rc == SPM_OK && i < s->nmem; i++) {
		const struct spm__tmember *m = &s->mem[i];

		if (m->team != d->ref || m->from > d->per.end ||
		    (m->to != SPM_DATE_NONE && m->to < d->per.start) || m->user == last)
			continue;
		last = m->user;  /* memberships are sorted by user */
		rc = add_child(d, "user", m->user, d->per.start, d->per.end);
	}
	if (rc == SPM_OK && d->n == 0 && !d->tree)
		rc = spm__error_set(SPM_EINVAL, "team %lld has no sub-teams or members in the "
				    "period", (long long)d->ref);
	return rc;
}

/* Whole months from the hire date to day. */
static int months_since(spm_date hired, spm_date day)
{
	int y1, m1, d1, y2, m2, d2;

	if (spm_date_to_ymd(&y1, &m1, &d1, hired) != SPM_OK ||
	    spm_date_to_ymd(&y2, &m2, &d2, day) != SPM_OK)
		return 0;
	return (y2 - y1) * 12 + (m2 - m1) - (d2 < d1 ? 1 : 0);
}

/* One membership's weight over the period: its days in it, each scaled by
 * the ramp of the member's month since hire (parts per million). */
static int64_t membership_weight(const struct dec *d, const struct spm__tmember *m)
{
	spm_date a = m->from > d->per.start ? m->from : d->per.start;
	spm_date b = m->to == SPM_DATE_NONE || m->to > d->per.end ? d->per.end : m->to;
	spm_date hired;
	int64_t w = 0;

	if (a > b)
		return 0;
	hired = d->plan->nramp ? spm__org_snap_hired(&d->org, m->user) : SPM_DATE_NONE;
	if (hired == SPM_DATE_NONE)
		return ((int64_t)b - a + 1) * SPM_PPM;
	for (spm_date day = a; day <= b; day++) {
		int k = months_since(hired, day);

		w += k >= 0 && (size_t)k < d->plan->nramp ? d->plan->ramp_ppm[k] : SPM_PPM;
	}
	return w;
}

/* A member's weight in one team: its memberships there (found by binary
 * search: memberships are sorted by user). */
static int64_t member_weight(const struct dec *d, int64_t user, int64_t team)
{
	const struct spm__org_snap *s = &d->org;
	size_t lo = 0, hi = s->nmem;
	int64_t w = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->mem[mid].user < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->nmem && s->mem[i].user == user; i++)
		if (s->mem[i].team == team)
			w += membership_weight(d, &s->mem[i]);
	return w;
}

/* Member-days of every subtree at once: each team's memberships, added to
 * the team and each of its parents (a walk bounded as in org_snap_under),
 * so a tree of T teams costs memberships + T x depth, not T x memberships. */
static int subtree_weights(struct dec *d)
{
	const struct spm__org_snap *s = &d->org;
	int64_t *own = spm__calloc(d->db, s->nteams + 1, sizeof(int64_t));
	int64_t *w = spm__calloc(d->db, s->nteams + 1, sizeof(int64_t));

	if (own == NULL || w == NULL) {
		spm__free(d->db, own);
		spm__free(d->db, w);
		return spm__error_oom();
	}
	for (size_t i = 0; i < s->nmem; i++) {
		long k = spm__org_snap_team(s, s->mem[i].team);

		if (k >= 0)
			own[k] += membership_weight(d, &s->mem[i]);
	}
	for (size_t i = 0; i < s->nteams; i++) {
		long k = (long)i;

		for (size_t depth = 0; k >= 0 && depth <= s->nteams; depth++) {
			w[k] += own[i];
			k = s->parent[k] ? spm__org_snap_team(s, s->parent[k]) : -1;
		}
	}
	spm__free(d->db, own);
	d->subtree_w = w;
	return SPM_OK;
}

/* Member-days of a subtree: every membership of a team under it. */
static int64_t subtree_weight(const struct dec *d, int64_t team)
{
	long k = spm__org_snap_team(&d->org, team);

	return k >= 0 ? d->subtree_w[k] : 0;
}

struct hist {
	struct dec *d;
	int64_t *sum;   /* per child */
};

/* A past record counts for the child whose window holds its date (time) or
 * whose node it belongs to (org). */
static int on_hist(int64_t user, spm_date on, int64_t v, void *payload)
{
	struct hist *h = payload;
	struct dec *d = h->d;
	int64_t team = d->is_team ? spm__org_snap_team_of(&d->org, user, on) : 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct child *c = &d->c[i];
		int hit;

		if (d->org_axis)
			hit = strcmp(c->owner_kind, "user") == 0
				      ? c->owner_ref == user
				      : team && spm__org_snap_under(&d->org, team, c->owner_ref);
		else
			hit = (d->is_team ? team && spm__org_snap_under(&d->org, team, d->ref)
					  : user == d->ref) &&
			      on >= c->start - (d->per.start - d->shift_from) &&
			      on <= c->end - (d->per.start - d->shift_from);
		if (hit && __builtin_add_overflow(h->sum[i], v, &h->sum[i]))
			return spm__error_set(SPM_EOVERFLOW, "target: past actuals overflow");
	}
	return SPM_OK;
}

static int history_weights(struct dec *d)
{
	struct spm__metric m;
	struct hist h = { d, spm__calloc(d->db, d->n, sizeof(int64_t)) };
	int rc;

	if (h.sum == NULL)
		return spm__error_oom();
	if (d->org_axis) {
		rc = spm_period_shift(&d->shift_from, &d->per.cal, d->per.kind, d->per.start, -1);
		d->shift_to = d->per.start - 1;
	} else {
		/* a year back: the same weeks 52 weeks earlier, months and quarters 12 months */
		if (d->plan->child_period == SPM_PERIOD_WEEK)
			rc = spm_date_add_days(&d->shift_from, d->per.start, -364);
		else
			rc = spm_date_add_months(&d->shift_from, d->per.start, -12);
		d->shift_to = d->shift_from + (d->c[d->n - 1].end - d->per.start);
	}
	if (rc == SPM_OK)
		rc = spm__metric_load(&m, d->db, d->parent);
	if (rc == SPM_OK)
		rc = spm__metric_scan(d->db, &m, d->shift_from, d->shift_to, on_hist, &h);
	spm__metric_free(d->db, &m);
	for (size_t i = 0; rc == SPM_OK && i < d->n; i++)
		d->c[i].weight = h.sum[i];
	spm__free(d->db, h.sum);
	return rc;
}

static int weigh(struct dec *d)
{
	const spm_target_plan *p = d->plan;
	int rc = SPM_OK;

	if (p->method == SPM_TARGET_SEASONALITY || p->method == SPM_TARGET_WEIGHTS ||
	    p->method == SPM_TARGET_MANUAL) {
		if (p->weights == NULL || p->nweights != d->n)
			return spm__error_set(SPM_EINVAL, "plan: %zu weights for %zu children",
					      p->weights ? p->nweights : 0, d->n);
		for (size_t i = 0; i < d->n; i++)
			d->c[i].weight = p->weights[i];
		return SPM_OK;
	}
	if (p->method == SPM_TARGET_LAST_YEAR || p->method == SPM_TARGET_LAST_PERIOD)
		return history_weights(d);
	if (p->method == SPM_TARGET_HEADCOUNT && d->subtree_w == NULL)
		rc = subtree_weights(d);
	for (size_t i = 0; rc == SPM_OK && i < d->n; i++) {
		struct child *c = &d->c[i];

		switch (p->method) {
		case SPM_TARGET_EQUAL_DAYS:
			c->weight = (int64_t)c->end - c->start + 1;
			break;
		case SPM_TARGET_EQUAL_PERIODS:
			c->weight = 1;
			break;
		case SPM_TARGET_WORKING_DAYS:
			c->weight = spm__working_days(c->start, c->end, d->wc.off, d->wc.noff,
						      d->wc.on, d->wc.non);
			break;
		case SPM_TARGET_EQUAL_MEMBERS:
			c->weight = strcmp(c->owner_kind, "team") == 0
					    ? ((int64_t)d->per.end - d->per.start + 1) * SPM_PPM
					    : member_weight(d, c->owner_ref, d->ref);
			break;
		default: /* SPM_TARGET_HEADCOUNT */
			c->weight = strcmp(c->owner_kind, "team") == 0
					    ? subtree_weight(d, c->owner_ref)
					    : member_weight(d, c->owner_ref, d->ref);
			break;
		}
	}
	return rc;
}

static int split(struct dec *d, int64_t *imbalance)
{
	int64_t total = spm__fld_num(d->parent, "value"), sum = 0;
	int64_t *w = spm__malloc(d->db, d->n * sizeof(int64_t));
	struct spm__lr_slot *slot = spm__malloc(d->db, d->n * sizeof(*slot));
	int rc = w && slot ? SPM_OK : spm__error_oom();

	*imbalance = 0;
	if (rc == SPM_OK && d->plan->method == SPM_TARGET_MANUAL) {
		for (size_t i = 0; rc == SPM_OK && i < d->n; i++) {
			if (d->c[i].weight < 0)
				rc = spm__error_set(SPM_EINVAL, "plan: value %zu is negative", i);
			else if (__builtin_add_overflow(sum, d->c[i].weight, &sum))
				rc = spm__error_set(SPM_EOVERFLOW, "plan: the values overflow");
			else
				d->c[i].value = d->c[i].weight;
		}
		if (rc == SPM_OK)
			*imbalance = sum - total;
		if (rc == SPM_OK && *imbalance != 0 && d->plan->keep_total)
			rc = spm__error_set(SPM_EINVAL, "plan: the values sum to %lld, the target is "
					    "%lld (imbalance %lld)", (long long)sum, (long long)total,
					    (long long)*imbalance);
	} else if (rc == SPM_OK) {
		for (size_t i = 0; i < d->n; i++)
			w[i] = d->c[i].weight;
		rc = spm__split_exact(w, total, w, d->n, slot);
		for (size_t i = 0; rc == SPM_OK && i < d->n; i++)
			d->c[i].value = w[i];
	}
	spm__free(d->db, w);
	spm__free(d->db, slot);
	return rc;
}

static int copy_field(spm_record *dst, const spm_record *src, const char *name)
{
	long i = spm__fld_idx(src, name);

	if (spm_record_value_null(src, (size_t)i)) {
		if (!spm_record_value_null(dst, (size_t)i))
			spm__record_put_null(dst, (size_t)i);
		return SPM_OK;
	}
	return spm__record_copy_value(dst, (size_t)i, src);
}

static int fill_child(spm_record *rec, const struct dec *d, const struct child *c,
		      const char *reason)
{
	static const char *const inherited[] = { "name", "metric", "activity_type", "metric_id",
		"fy_start_month", "week_start_day", "currency", "weighting" };
	spm_period_kind k = d->org_axis ? d->per.kind : d->plan->child_period;
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < sizeof(inherited) / sizeof(*inherited); i++)
		rc = copy_field(rec, d->parent, inherited[i]);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(rec, "owner_kind", c->owner_kind);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(rec, "owner_ref", c->owner_ref);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(rec, "period_kind", spm__period_kind_name(k));
	if (rc == SPM_OK)
		rc = spm__fld_put_num(rec, "period_start", c->start);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(rec, "value", c->value);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(rec, "parent_id", d->parent->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(rec, "axis", d->org_axis ? "org" : "time");
	if (rc == SPM_OK)
		rc = spm__fld_put_num(rec, "manual", d->plan->method == SPM_TARGET_MANUAL);
	if (rc == SPM_OK)
		rc = spm__fld_put_text(rec, "reason", reason);
	return rc;
}

struct existing {
	spm_db *db;
	struct dec *d;
	spm_record **old;
	size_t n, cap;
};

static int take_existing(spm_record *rec, void *payload)
{
	struct existing *e = payload;

	if (!spm__fld_is(spm__fld_text(rec, "axis"), e->d->org_axis ? "org" : "time")) {
		spm_record_free(rec);
		return SPM_OK;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		spm_record **old = spm__realloc(e->db, e->old, cap * sizeof(*old));

		if (old == NULL) {
			spm_record_free(rec);
			return spm__error_oom();
		}
		e->old = old;
		e->cap = cap;
	}
	e->old[e->n++] = rec;
	return SPM_OK;
}

/* Updates the children this target already has on the axis, creates the
 * missing ones, deletes the ones the plan no longer yields. */
static int store(struct spm__txn *t, struct dec *d, const char *reason)
{
	spm_kind *k = spm__kind_find(t->db, "target", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, "parent_id"), SPM_CMP_EQ,
			       d->parent->id, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct existing e = { t->db, d, NULL, 0, 0 };
	int rc = t->db->ops->scan(t->db->store, k, &scan, take_existing, &e);

	for (size_t i = 0; rc == SPM_OK && i < d->n; i++) {
		struct child *c = &d->c[i];
		spm_record *rec = NULL, *stored = NULL;

		for (size_t j = 0; rec == NULL && j < e.n; j++)
			if (e.old[j] && spm__fld_is(spm__fld_text(e.old[j], "owner_kind"), c->owner_kind) &&
			    spm__fld_num(e.old[j], "owner_ref") == c->owner_ref &&
			    spm__fld_num(e.old[j], "period_start") == c->start) {
				rec = e.old[j];
				e.old[j] = NULL;
			}
		if (rec == NULL)
			rc = spm__record_make(&rec, t->db, k);
		if (rc == SPM_OK)
			rc = fill_child(rec, d, c, reason);
		if (rc == SPM_OK)
			rc = spm__write_save(t, rec, &stored);
		if (rc == SPM_OK)
			c->id = stored->id;
		spm_record_free(stored);
		spm_record_free(rec);
	}
	for (size_t j = 0; j < e.n; j++) {
		if (rc == SPM_OK && e.old[j])
			rc = spm__write_delete(t, k, e.old[j]->id);
		spm_record_free(e.old[j]);
	}
	spm__free(t->db, e.old);
	return rc;
}

static int check_plan(const spm_target_plan *plan, const char *reason)
{
	if (plan == NULL)
		return spm__error_set(SPM_EINVAL, "decompose: plan is NULL");
	if (plan->version == 0 || plan->version > SPM_TARGET_PLAN_VERSION)
		return spm__error_set(SPM_EVERSION, "decompose: unknown plan version %u",
				      (unsigned)plan->version);
	if (plan->method < SPM_TARGET_EQUAL_DAYS || plan->method > SPM_TARGET_MANUAL)
		return spm__error_set(SPM_EINVAL, "decompose: unknown method %d", plan->method);
	if (plan->nramp && plan->ramp_ppm == NULL)
		return spm__error_set(SPM_EINVAL, "decompose: ramp_ppm is NULL");
	for (size_t i = 0; i < plan->nramp; i++)
		if (plan->ramp_ppm[i] < 0 || plan->ramp_ppm[i] > SPM_PPM)
			return spm__error_set(SPM_EINVAL, "decompose: ramp_ppm[%zu] must be 0..%d", i,
					      SPM_PPM);
	if (reason == NULL || reason[0] == '\0' || strlen(reason) > 500)
		return spm__error_set(SPM_EINVAL, "decompose: a reason of 1..500 bytes is needed");
	return SPM_OK;
}

static int plan_parts(struct dec *d)
{
	int rc = spm__target_period(&d->per, d->parent);

	d->ref = spm__fld_num(d->parent, "owner_ref");
	d->is_team = spm__fld_is(spm__fld_text(d->parent, "owner_kind"), "team");
	d->org_axis = d->plan->method >= SPM_TARGET_EQUAL_MEMBERS;
	if (rc == SPM_OK && !d->shared)
		rc = spm__org_snap_load(&d->org, d->db, d->plan->nramp > 0);
	if (rc == SPM_OK && !d->shared)
		rc = spm__workcal_load(&d->wc, d->db);
	if (rc == SPM_OK)
		rc = d->org_axis ? org_children(d) : time_children(d);
	if (rc == SPM_OK && d->n)
		rc = weigh(d);
	return rc;
}

static void dec_free(struct dec *d)
{
	if (!d->shared) {
		spm__org_snap_free(d->db, &d->org);
		spm__workcal_free(d->db, &d->wc);
		spm__free(d->db, d->subtree_w);
	}
	spm__free(d->db, d->c);
	spm_record_free(d->own);
}

int spm_target_plan_init(spm_target_plan *plan, unsigned int version)
{
	static const spm_target_plan init = SPM_TARGET_PLAN_INIT;

	SPM__CHECK_ARG(plan);
	if (version == 0 || version > SPM_TARGET_PLAN_VERSION)
		return spm__error_set(SPM_EVERSION, "spm_target_plan_init: unknown version %u",
				      version);
	*plan = init;
	return SPM_OK;
}

int spm_target_split(int64_t *out_parts, int64_t total, const int64_t *weights, size_t n)
{
	struct spm__lr_slot small[64], *slot = small;
	int64_t tmp[64], *parts = tmp;
	int rc;

	SPM__CHECK_ARG(out_parts);
	SPM__CHECK_ARG(weights);
	if (n == 0)
		return spm__error_set(SPM_EINVAL, "spm_target_split: no parts");
	if (n > 64) {
		slot = malloc(n * sizeof(*slot));
		parts = malloc(n * sizeof(*parts));
		if (slot == NULL || parts == NULL) {
			free(slot);
			free(parts);
			return spm__error_oom();
		}
	}
	rc = spm__split_exact(parts, total, weights, n, slot);
	if (rc == SPM_OK)
		memcpy(out_parts, parts, n * sizeof(*parts));
	if (n > 64) {
		free(slot);
		free(parts);
	}
	return rc;
}

static int report(const struct dec *d, spm_target_part_cb cb, void *payload)
{
	for (size_t i = 0; cb && i < d->n; i++) {
		spm_target_part part = { SPM_TARGET_PART_VERSION, d->c[i].id, d->c[i].owner_kind,
					 d->c[i].owner_ref, d->c[i].start, d->c[i].weight,
					 d->c[i].value };
		int rc = cb(&part, payload);

		if (rc != 0)
			return rc;
	}
	return SPM_OK;
}

int spm_target_decompose(int64_t *out_imbalance, spm_db *db, int64_t target,
			 const spm_target_plan *plan, const char *reason,
			 spm_target_part_cb cb, void *payload)
{
	struct dec d;
	struct spm__txn t;
	spm_record *parent = NULL;
	int64_t imbalance = 0;
	char ev[160];
	int rc;

	SPM__CHECK_ARG(db);
	rc = check_plan(plan, reason);
	if (rc != SPM_OK)
		return rc;
	memset(&d, 0, sizeof(d));
	d.db = db;
	d.plan = plan;
	rc = spm__target_read(&parent, db, target);
	if (rc != SPM_OK)
		return rc;
	d.parent = parent;
	rc = plan_parts(&d);
	if (rc == SPM_OK)
		rc = split(&d, &imbalance);
	if (rc == SPM_OK && !plan->dry_run) {
		rc = spm__txn_begin(&t, db);
		if (rc == SPM_OK) {
			rc = store(&t, &d, reason);
			snprintf(ev, sizeof(ev), "{\"method\":%d,\"axis\":\"%s\",\"children\":%zu,"
				 "\"imbalance\":%lld}", plan->method, d.org_axis ? "org" : "time",
				 d.n, (long long)imbalance);
			if (rc == SPM_OK)
				rc = spm__txn_event(&t, SPM_EVENT_TARGET_DECOMPOSED, "target", target, ev);
			if (rc == SPM_OK)
				rc = spm__txn_commit(&t);
			else
				spm__txn_abort(&t);
			if (rc != SPM_OK && !t.committed)
				for (size_t i = 0; i < d.n; i++)
					d.c[i].id = 0;
		}
	}
	if (rc == SPM_OK && out_imbalance)
		*out_imbalance = imbalance;
	if (rc == SPM_OK)
		rc = report(&d, cb, payload);
	dec_free(&d);
	spm_record_free(parent);
	return rc;
}

/* The decompositions of a tree, top first, each team's after its parent's. */
struct forest {
	spm_db *db;
	struct dec *d;
	size_t n, cap;
};

static int forest_add(struct forest *f, struct dec **out)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct dec *d = spm__realloc(f->db, f->d, cap * sizeof(*d));

		if (d == NULL)
			return spm__error_oom();
		f->d = d;
		f->cap = cap;
	}
	*out = &f->d[f->n++];
	memset(*out, 0, sizeof(**out));
	return SPM_OK;
}

/* The decomposition of team child k of f->d[up]: its target made in memory
 * (stored later, when its parent has an id), split the same way. */
static int plan_child(struct forest *f, size_t up, size_t k, const char *reason)
{
	spm_kind *kind = spm__kind_find(f->db, "target", 0);
	struct dec *d;
	spm_record *rec = NULL;
	int64_t imbalance, sum = 0;
	int rc = spm__record_make(&rec, f->db, kind);

	if (rc == SPM_OK)
		rc = fill_child(rec, &f->d[up], &f->d[up].c[k], reason);
	if (rc == SPM_OK)
		rc = forest_add(f, &d);
	if (rc != SPM_OK) {
		spm_record_free(rec);
		return rc;
	}
	d->db = f->db;
	d->plan = f->d[0].plan;
	d->parent = d->own = rec;
	d->org = f->d[0].org;
	d->wc = f->d[0].wc;
	d->subtree_w = f->d[0].subtree_w;
	d->shared = d->tree = 1;
	d->up = up;
	d->up_child = k;
	rc = plan_parts(d);
	for (size_t i = 0; rc == SPM_OK && i < d->n; i++)
		sum |= d->c[i].weight;  /* the weights are never negative here */
	if (rc == SPM_OK && sum)
		rc = split(d, &imbalance);
	/* nothing under it, or an empty branch (its children weigh nothing, so
	 * it got nothing itself): left as it is */
	if (rc == SPM_OK && sum == 0) {
		dec_free(d);
		f->n--;
	}
	return rc;
}

static int store_forest(struct forest *f, const char *reason)
{
	struct spm__txn t;
	char ev[160];
	int rc = spm__txn_begin(&t, f->db), begun = rc == SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < f->n; i++) {
		struct dec *d = &f->d[i];

		if (i > 0)  /* its parent is stored by now */
			d->own->id = f->d[d->up].c[d->up_child].id;
		rc = store(&t, d, reason);
		snprintf(ev, sizeof(ev), "{\"method\":%d,\"axis\":\"org\",\"children\":%zu,"
			 "\"imbalance\":0}", d->plan->method, d->n);
		if (rc == SPM_OK)
			rc = spm__txn_event(&t, SPM_EVENT_TARGET_DECOMPOSED, "target", d->parent->id,
					    ev);
	}
	if (rc == SPM_OK)
		rc = spm__txn_commit(&t);
	else if (begun)
		spm__txn_abort(&t);
	if (rc != SPM_OK && !t.committed)
		for (size_t i = 0; i < f->n; i++)
			for (size_t k = 0; k < f->d[i].n; k++)
				f->d[i].c[k].id = 0;
	return rc;
}

int spm_target_decompose_tree(size_t *out_decomposed, spm_db *db, int64_t target,
			      const spm_target_plan *plan, const char *reason,
			      spm_target_part_cb cb, void *payload)
{
	struct forest f = { db, NULL, 0, 0 };
	spm_record *top = NULL;
	struct dec *d;
	int64_t imbalance;
	int rc;

	SPM__CHECK_ARG(db);
	rc = check_plan(plan, reason);
	if (rc == SPM_OK && plan->method != SPM_TARGET_EQUAL_MEMBERS &&
	    plan->method != SPM_TARGET_HEADCOUNT && plan->method != SPM_TARGET_LAST_PERIOD)
		rc = spm__error_set(SPM_EINVAL, "decompose_tree: the method must be equal_members, "
				    "headcount or last_period (weights and values are per team)");
	if (rc == SPM_OK)
		rc = spm__target_read(&top, db, target);
	if (rc == SPM_OK)
		rc = forest_add(&f, &d);
	if (rc == SPM_OK) {
		d->db = db;
		d->plan = plan;
		d->parent = top;
		rc = plan_parts(d);
	}
	if (rc == SPM_OK)
		rc = split(d, &imbalance);
	/* breadth first: f.d grows while it is walked, so index, never point */
	for (size_t i = 0; rc == SPM_OK && i < f.n; i++)
		for (size_t k = 0; rc == SPM_OK && k < f.d[i].n; k++)
			if (strcmp(f.d[i].c[k].owner_kind, "team") == 0)
				rc = plan_child(&f, i, k, reason);
	if (rc == SPM_OK && !plan->dry_run)
		rc = store_forest(&f, reason);
	if (rc == SPM_OK && out_decomposed)
		*out_decomposed = f.n;
	for (size_t i = 0; rc == SPM_OK && i < f.n; i++)
		rc = report(&f.d[i], cb, payload);
	for (size_t i = f.n; i-- > 0;)
		dec_free(&f.d[i]);
	spm__free(db, f.d);
	spm_record_free(top);
	return rc;
}
