/* Turns a run's rows into a result set: the columns of the query, rows in
 * order (group, period, stage position), exact ratios in parts per million
 * rounded half-even, medians and p90 over the value lists, drill-down ids. */
#include "analytics/engine.h"
#include "spm/report.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400
#define PPM 1000000

/* num / den rounded half-even; den > 0. */
static spm__i128 div_he(spm__i128 num, spm__i128 den)
{
	spm__i128 q = num / den, rem = num % den;

	if (rem < 0) {
		q--;
		rem += den;
	}
	if (2 * rem > den || (2 * rem == den && (q & 1)))
		q++;
	return q;
}

static int fits(spm__i128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

/* ---- ordering ---- */

struct order {
	const struct spm__arun *r;
	const struct spm__agroups *g;
};

static int cmp_rows(const struct order *o, uint32_t x, uint32_t y)
{
	const struct spm__arow *a = &o->r->rows[x], *b = &o->r->rows[y];
	const struct spm__agroups *g = o->g;

	if (a->g != b->g) {
		/* the empty group first, then by label */
		if (a->g == 0 || b->g == 0)
			return a->g == 0 ? -1 : 1;
		if (g->ltext && !g->lint) {
			int c = strcmp(g->ltext[a->g], g->ltext[b->g]);
			if (c)
				return c;
		} else if (g->lint && g->lint[a->g] != g->lint[b->g]) {
			return g->lint[a->g] < g->lint[b->g] ? -1 : 1;
		}
		return a->g < b->g ? -1 : 1;
	}
	if (a->p != b->p) {
		if (a->p == 0 || b->p == 0)
			return a->p == 0 ? -1 : 1;
		return o->r->pstart[a->p] < o->r->pstart[b->p] ? -1 : 1;
	}
	if (a->s != b->s) {
		if (o->r->base == SPM__BASE_ACTIVITY)
			return strcmp(o->r->c->atype_d.s[a->s], o->r->c->atype_d.s[b->s]);
		if (a->s >= 0 && b->s >= 0) {
			const struct spm__stage *x = &o->r->c->stages[a->s];
			const struct spm__stage *y = &o->r->c->stages[b->s];

			/* stages at one position go by id: the cache's order of
			 * stages is the order it read them, which differs between
			 * a warm handle and a fresh one */
			if (x->position != y->position)
				return x->position < y->position ? -1 : 1;
			if (x->id != y->id)
				return x->id < y->id ? -1 : 1;
		}
		return a->s < b->s ? -1 : 1;
	}
	return 0;
}

/* A stable merge sort with a context (qsort has none). */
static void merge_sort(uint32_t *v, uint32_t *tmp, size_t n, const struct order *o)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(v, tmp, mid, o);
	merge_sort(v + mid, tmp, n - mid, o);
	while (i < mid && j < n)
		tmp[k++] = cmp_rows(o, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* ---- order statistics ---- */

static void swap64(int64_t *a, int64_t *b)
{
	int64_t t = *a;
	*a = *b;
	*b = t;
}

/* Puts the k-th smallest of v[0..n) at v[k] (Hoare's selection). */
static int64_t select_k(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		int64_t pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				swap64(&v[i], &v[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

static int64_t min_from(const int64_t *v, size_t from, size_t n)
{
	int64_t m = v[from];

	for (size_t i = from + 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* select_k for 32-bit values with a partition that does not branch on the
 * comparison (Lomuto's, swapping every time and moving the boundary by the
 * comparison's result): the values are random, so Hoare's branches on them
 * mispredict half the time. When the pivot is the smallest value left, its
 * equals are split off in a second pass, so many equal values cannot make
 * it quadratic. */
static uint32_t select_u32(uint32_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;  /* v[k] is in [lo, hi) */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2, last = hi - 1, p = lo;
		uint32_t a = v[lo], b = v[mid], c = v[last], pivot, t;
		/* the median of three, moved to the end */
		size_t m = (a < b) == (b < c) ? mid : (b < a) == (a < c) ? lo : last;
		pivot = v[m];
		v[m] = v[last];
		v[last] = pivot;
		for (size_t j = lo; j < last; j++) {
			uint32_t x = v[j];
			v[j] = v[p];
			v[p] = x;
			p += x < pivot;
		}
		t = v[p];
		v[p] = v[last];
		v[last] = t;
		if (k < p) {
			hi = p;
			continue;
		}
		if (k == p)
			return pivot;
		if (p > lo) {
			lo = p + 1;
			continue;
		}
		/* the pivot is the smallest: gather its equals after it, so that
		 * many equal values cannot make this quadratic */
		size_t q = p + 1;
		for (size_t j = p + 1; j < hi; j++) {
			uint32_t x = v[j];
			v[j] = v[q];
			v[q] = x;
			q += x == pivot;
		}
		if (k < q)
			return pivot;
		lo = q;
	}
	return v[k];
}

static uint32_t min_from_u32(const uint32_t *v, size_t from, size_t n)
{
	uint32_t m = v[from];

	for (size_t i = from + 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

struct stats {
	size_t *off;     /* (row * 2 + list) -> offset into vals (or vals32) */
	int64_t *vals;
	uint32_t *vals32; /* the kernel's grouped 32-bit values, or NULL */
};

static int stats_build(struct stats *s, struct spm__arun *r)
{
	size_t nk = r->nrows * 2;

	if (r->voff) {
		/* grouped by the kernel; rows added since have no values */
		size_t old = r->voff_rows * 2;
		size_t *p = spm__realloc(r->db, r->voff, (nk + 2) * sizeof(*p));
		if (p == NULL)
			return spm__error_oom();
		for (size_t k = old + 1; k < nk + 2; k++)
			p[k] = p[old];
		s->off = p;
		s->vals = NULL;
		s->vals32 = r->vsorted;
		r->voff = NULL;
		r->vsorted = NULL;
		return SPM_OK;
	}

	s->vals32 = NULL;
	s->off = spm__calloc(r->db, nk + 2, sizeof(*s->off));
	s->vals = spm__malloc(r->db, (r->nv ? r->nv : 1) * sizeof(*s->vals));
	if (s->off == NULL || s->vals == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < r->nv; i++)
		s->off[(size_t)r->vrow[i] * 2 + r->vlist[i] + 2]++;
	for (size_t k = 0; k < nk; k++)
		s->off[k + 2] += s->off[k + 1];
	for (size_t i = 0; i < r->nv; i++)
		s->vals[s->off[(size_t)r->vrow[i] * 2 + r->vlist[i] + 1]++] = r->vval[i];
	return SPM_OK;
}

/* Seconds as days in ppm. */
static int64_t days_ppm(spm__i128 secs, spm__i128 n)
{
	return (int64_t)div_he(secs * PPM, n * DAY);
}

/* Median and p90 (nearest rank) of list l of row, in days (ppm). */
static void order_stats(int64_t *median, int64_t *p90, struct stats *s, size_t row, int l)
{
	size_t from = s->off[row * 2 + l], n = s->off[row * 2 + l + 1] - from;
	int64_t *v;

	if (n == 0)
		return;
	if (s->vals32) {
		/* the plain cycle's lists: no p90 */
		uint32_t *w = s->vals32 + from;
		if (n % 2)
			*median = days_ppm(select_u32(w, n, n / 2), 1);
		else
			*median = days_ppm((spm__i128)select_u32(w, n, n / 2 - 1) +
					   min_from_u32(w, n / 2, n), 2);
		return;
	}
	v = s->vals + from;
	if (p90)
		*p90 = days_ppm(select_k(v, n, (9 * n + 9) / 10 - 1), 1);
	if (n % 2)
		*median = days_ppm(select_k(v, n, n / 2), 1);
	else
		*median = days_ppm((spm__i128)select_k(v, n, n / 2 - 1) +
				   min_from(v, n / 2, n), 2);
}

/* ---- columns ---- */

struct cols {
	size_t n;
	const char *name[24];
	int type[24];
};

static void col(struct cols *c, const char *name, int type)
{
	c->name[c->n] = name;
	c->type[c->n++] = type;
}

static size_t dim_cols(struct cols *c, const struct spm__aq *q)
{
	static const char *const text_names[] = {
		[SPM__D_SOURCE] = "source", [SPM__D_INDUSTRY] = "industry",
		[SPM__D_REGION] = "region", [SPM__D_GRADE] = "grade",
		[SPM__D_PRODUCT] = "product", [SPM__D_STATUS] = "status", [SPM__D_TYPE] = "type",
	};
	size_t before = c->n;

	switch (q->dim) {
	case SPM__D_NONE:
		break;
	case SPM__D_OWNER:
		col(c, "owner_id", SPM_COLUMN_INTEGER);
		break;
	case SPM__D_TEAM:
		col(c, "team_id", SPM_COLUMN_INTEGER);
		col(c, "team", SPM_COLUMN_TEXT);
		break;
	case SPM__D_STAGE:
		col(c, "stage_id", SPM_COLUMN_INTEGER);
		col(c, "stage", SPM_COLUMN_TEXT);
		break;
	case SPM__D_PIPELINE:
		col(c, "pipeline_id", SPM_COLUMN_INTEGER);
		break;
	case SPM__D_CUSTOM:
		col(c, q->custom, SPM_COLUMN_TEXT);
		break;
	default:
		col(c, text_names[q->dim], SPM_COLUMN_TEXT);
	}
	if (q->period) {
		col(c, "period", SPM_COLUMN_TEXT);
		col(c, "period_start", SPM_COLUMN_DATE);
	}
	return c->n - before;
}

static void query_cols(struct cols *c, const struct spm__aq *q)
{
	switch (q->query) {
	case SPM__Q_FUNNEL:
		col(c, "stage_id", SPM_COLUMN_INTEGER);
		col(c, "stage", SPM_COLUMN_TEXT);
		col(c, "position", SPM_COLUMN_INTEGER);
		col(c, "deals", SPM_COLUMN_INTEGER);
		col(c, "conversion", SPM_COLUMN_RATIO);
		break;
	case SPM__Q_WIN_RATE:
		col(c, "won", SPM_COLUMN_INTEGER);
		col(c, "lost", SPM_COLUMN_INTEGER);
		col(c, "win_rate", SPM_COLUMN_RATIO);
		col(c, "won_amount", SPM_COLUMN_MONEY);
		break;
	case SPM__Q_CYCLE:
		col(c, "won", SPM_COLUMN_INTEGER);
		col(c, "won_mean_days", SPM_COLUMN_RATIO);
		col(c, "won_median_days", SPM_COLUMN_RATIO);
		col(c, "lost", SPM_COLUMN_INTEGER);
		col(c, "lost_mean_days", SPM_COLUMN_RATIO);
		col(c, "lost_median_days", SPM_COLUMN_RATIO);
		break;
	case SPM__Q_TIME_IN_STAGE:
		col(c, "stage_id", SPM_COLUMN_INTEGER);
		col(c, "stage", SPM_COLUMN_TEXT);
		col(c, "stays", SPM_COLUMN_INTEGER);
		col(c, "mean_days", SPM_COLUMN_RATIO);
		col(c, "median_days", SPM_COLUMN_RATIO);
		col(c, "p90_days", SPM_COLUMN_RATIO);
		break;
	case SPM__Q_VELOCITY:
		col(c, "open_deals", SPM_COLUMN_INTEGER);
		col(c, "won", SPM_COLUMN_INTEGER);
		col(c, "lost", SPM_COLUMN_INTEGER);
		col(c, "win_rate", SPM_COLUMN_RATIO);
		col(c, "mean_won_amount", SPM_COLUMN_MONEY);
		col(c, "mean_cycle_days", SPM_COLUMN_RATIO);
		col(c, "velocity_per_day", SPM_COLUMN_MONEY);
		break;
	case SPM__Q_PIPELINE:
		col(c, "open_deals", SPM_COLUMN_INTEGER);
		col(c, "open_amount", SPM_COLUMN_MONEY);
		col(c, "weighted_amount", SPM_COLUMN_MONEY);
		break;
	case SPM__Q_LEAD_CONVERSION:
		col(c, "leads", SPM_COLUMN_INTEGER);
		col(c, "converted", SPM_COLUMN_INTEGER);
		col(c, "conversion", SPM_COLUMN_RATIO);
		break;
	default:
		if (q->dim != SPM__D_TYPE)
			col(c, "type", SPM_COLUMN_TEXT);
		col(c, "activities", SPM_COLUMN_INTEGER);
	}
}

/* ---- rows ---- */

static int group_label(char *buf, size_t size, const struct spm__arun *r, uint32_t g)
{
	if (g == 0)
		return snprintf(buf, size, "(none)");
	if (r->g.ltext && r->g.ltext[g])
		return snprintf(buf, size, "'%.64s'", r->g.ltext[g]);
	return snprintf(buf, size, "%lld", r->g.lint ? (long long)r->g.lint[g] : 0LL);
}

static int money_cell(spm_result *res, size_t row, size_t c, const struct spm__arun *r,
		      const struct spm__arow *a, int i, const char *what)
{
	char label[80];

	if (!a->mhas[i])
		return SPM_OK;
	group_label(label, sizeof(label), r, a->g);
	if (a->mbad[i] & 1)
		return spm__error_set(SPM_ECURRENCY, "%s: the row of group %s mixes currencies; "
				      "filter or group so that each row has one", what, label);
	if (a->mbad[i] & 2)
		return spm__error_set(SPM_EOVERFLOW, "%s: the sum for group %s overflows", what,
				      label);
	spm__result_money(res, row, c, a->m[i], r->c->cur.s[a->mcur[i]]);
	return SPM_OK;
}

static void ratio_cell(spm_result *res, size_t row, size_t c, int64_t num, int64_t den)
{
	if (den > 0)
		spm__result_int(res, row, c, (int64_t)div_he((spm__i128)num * PPM, den));
}

static int fill_row(spm_result *res, size_t row, size_t c, struct spm__arun *r,
		    const struct spm__arow *a, size_t ai, struct stats *st, int64_t next_deals)
{
	const struct spm__acache *cache = r->c;
	int rc = SPM_OK;

	switch (r->q->query) {
	case SPM__Q_FUNNEL: {
		const struct spm__stage *s = &cache->stages[a->s];
		spm__result_int(res, row, c, s->id);
		rc = spm__result_text(res, row, c + 1, s->name);
		spm__result_int(res, row, c + 2, s->position);
		spm__result_int(res, row, c + 3, a->n[0]);
		if (next_deals >= 0)
			ratio_cell(res, row, c + 4, next_deals, a->n[0]);
		break;
	}
	case SPM__Q_WIN_RATE:
		spm__result_int(res, row, c, a->n[0]);
		spm__result_int(res, row, c + 1, a->n[1]);
		ratio_cell(res, row, c + 2, a->n[0], a->n[0] + a->n[1]);
		rc = money_cell(res, row, c + 3, r, a, 0, "won_amount");
		break;
	case SPM__Q_CYCLE:
		for (int l = 0; l < 2; l++) {
			int64_t median = 0;
			size_t k = c + (size_t)l * 3;
			spm__result_int(res, row, k, a->n[l]);
			if (a->n[l] == 0)
				continue;
			spm__result_int(res, row, k + 1, days_ppm(a->t[l], a->n[l]));
			order_stats(&median, NULL, st, ai, l);
			spm__result_int(res, row, k + 2, median);
		}
		break;
	case SPM__Q_TIME_IN_STAGE: {
		const struct spm__stage *s = &cache->stages[a->s];
		int64_t median = 0, p90 = 0;
		spm__result_int(res, row, c, s->id);
		rc = spm__result_text(res, row, c + 1, s->name);
		spm__result_int(res, row, c + 2, a->n[0]);
		if (a->n[0]) {
			spm__result_int(res, row, c + 3, days_ppm(a->t[0], a->n[0]));
			order_stats(&median, &p90, st, ai, 0);
			spm__result_int(res, row, c + 4, median);
			spm__result_int(res, row, c + 5, p90);
		}
		break;
	}
	case SPM__Q_VELOCITY: {
		int64_t won = a->n[0], lost = a->n[1], open = a->n[2];
		spm__result_int(res, row, c, open);
		spm__result_int(res, row, c + 1, won);
		spm__result_int(res, row, c + 2, lost);
		ratio_cell(res, row, c + 3, won, won + lost);
		if ((rc = money_cell(res, row, c + 4, r, a, 0, "mean_won_amount")) != SPM_OK)
			break;
		if (a->mhas[0])
			res->cells[row * res->ncols + c + 4].v =
				(int64_t)div_he(a->m[0], a->n[4]);
		if (a->n[3] && a->t[0] > 0)
			spm__result_int(res, row, c + 5, days_ppm(a->t[0], a->n[3]));
		/* open x won/(won+lost) x (amount/n4) / (t0/n3/86400), rounded once */
		if (a->mhas[0] && a->n[3] && a->t[0] > 0 && won + lost > 0) {
			spm__i128 num, den;
			if (__builtin_mul_overflow((spm__i128)open * won, (spm__i128)a->m[0], &num) ||
			    __builtin_mul_overflow(num, (spm__i128)a->n[3] * DAY, &num) ||
			    __builtin_mul_overflow((spm__i128)(won + lost) * a->n[4], a->t[0], &den))
				return spm__error_set(SPM_EOVERFLOW, "velocity_per_day overflows");
			num = div_he(num, den);
			if (!fits(num))
				return spm__error_set(SPM_EOVERFLOW, "velocity_per_day overflows");
			spm__result_money(res, row, c + 6, (int64_t)num, cache->cur.s[a->mcur[0]]);
		}
		break;
	}
	case SPM__Q_PIPELINE: {
		spm__i128 w;
		spm__result_int(res, row, c, a->n[0]);
		if ((rc = money_cell(res, row, c + 1, r, a, 0, "open_amount")) != SPM_OK)
			break;
		if (!a->mhas[0])
			break;
		w = div_he(a->w, 100);
		if (!fits(w))
			return spm__error_set(SPM_EOVERFLOW, "weighted_amount overflows");
		spm__result_money(res, row, c + 2, (int64_t)w, cache->cur.s[a->mcur[0]]);
		break;
	}
	case SPM__Q_LEAD_CONVERSION:
		spm__result_int(res, row, c, a->n[0]);
		spm__result_int(res, row, c + 1, a->n[1]);
		ratio_cell(res, row, c + 2, a->n[1], a->n[0]);
		break;
	default:
		if (r->q->dim != SPM__D_TYPE) {
			rc = spm__result_text(res, row, c, cache->atype_d.s[a->s]);
			c++;
		}
		spm__result_int(res, row, c, a->n[0]);
	}
	return rc;
}

/* The funnel shows every stage of the pipeline for each group and period
 * that has any deal; with nothing to group, the stages show with zeros. */
static int funnel_rows(struct spm__arun *r)
{
	size_t n = r->nrows;
	/* no deal counted and nothing to group: the stages of group 0 (no row
	 * without a stage, which has no name to show) */
	int none = n == 0 && r->q->dim == SPM__D_NONE && !r->q->period;
	struct spm__arow *a;
	int rc = SPM_OK;

	for (size_t i = 0; rc == SPM_OK && i < (none ? 1 : n); i++) {
		uint32_t g = none ? 0 : r->rows[i].g, p = none ? 0 : r->rows[i].p;
		for (size_t s = 0; rc == SPM_OK && s < r->c->nstages; s++)
			if (r->c->stages[s].live && r->c->stages[s].pipeline_id == r->q->pipeline)
				rc = spm__arun_row(&a, r, g, p, (int32_t)s);
	}
	return rc;
}

static int drill_ids(spm_result *res, struct spm__arun *r, const uint32_t *order)
{
	size_t *off = spm__calloc(r->db, r->nrows + 1, sizeof(*off));
	size_t *pos = spm__calloc(r->db, r->nrows + 1, sizeof(*pos));
	int64_t *ids = spm__malloc(r->db, (r->nd ? r->nd : 1) * sizeof(*ids));
	uint32_t *rank = spm__malloc(r->db, (r->nrows ? r->nrows : 1) * sizeof(*rank));

	if (off == NULL || pos == NULL || ids == NULL || rank == NULL) {
		spm__free(r->db, off);
		spm__free(r->db, pos);
		spm__free(r->db, ids);
		spm__free(r->db, rank);
		return spm__error_oom();
	}
	for (size_t k = 0; k < r->nrows; k++)
		rank[order[k]] = (uint32_t)k;
	for (size_t i = 0; i < r->nd; i++)
		off[rank[r->drow[i]] + 1]++;
	for (size_t k = 0; k < r->nrows; k++)
		off[k + 1] += off[k];
	memcpy(pos, off, (r->nrows + 1) * sizeof(*off));
	for (size_t i = 0; i < r->nd; i++)
		ids[pos[rank[r->drow[i]]]++] = r->did[i];
	/* ascending and distinct within each row (insertion: rows are small,
	 * and the kernels append in id order already) */
	{
		size_t w = 0;
		for (size_t k = 0; k < r->nrows; k++) {
			size_t from = off[k], to = off[k + 1];
			off[k] = w;
			for (size_t i = from; i < to; i++) {
				int64_t v = ids[i];
				size_t j = w;
				while (j > off[k] && ids[j - 1] > v) {
					ids[j] = ids[j - 1];
					j--;
				}
				if (j > off[k] && ids[j - 1] == v) {
					memmove(&ids[j], &ids[j + 1], (w - j) * sizeof(*ids));
					continue;
				}
				ids[j] = v;
				w++;
			}
		}
		off[r->nrows] = w;
	}
	spm__free(r->db, pos);
	spm__free(r->db, rank);
	spm__result_ids(res, off, ids);
	return SPM_OK;
}

static int period_label(spm_result *res, size_t row, size_t c, const struct spm__arun *r,
			uint32_t p)
{
	char label[SPM_PERIOD_LABEL_MAX];
	int rc;

	if (p == 0)
		return SPM_OK;
	rc = spm_period_label(label, sizeof(label), &r->cal, (spm_period_kind)r->q->period,
			      r->pstart[p]);
	if (rc == SPM_OK)
		rc = spm__result_text(res, row, c, label);
	spm__result_int(res, row, c + 1, r->pstart[p]);
	return rc;
}

int spm__arun_emit(spm_result **out, struct spm__arun *r)
{
	struct cols cols = { 0 };
	struct stats st = { NULL, NULL, NULL };
	spm_result *res = NULL;
	uint32_t *order = NULL, *tmp = NULL;
	size_t ndim;
	struct spm__arow *a;
	int rc = SPM_OK;

	*out = NULL;
	if (r->q->query == SPM__Q_FUNNEL)
		rc = funnel_rows(r);
	else if (r->nrows == 0 && r->q->dim == SPM__D_NONE && !r->q->period &&
		 r->q->query != SPM__Q_ACTIVITIES && r->q->query != SPM__Q_TIME_IN_STAGE)
		rc = spm__arun_row(&a, r, 0, 0, -1);
	ndim = dim_cols(&cols, r->q);
	query_cols(&cols, r->q);
	if (rc == SPM_OK)
		rc = spm__result_new(&res, r->db, cols.n);
	for (size_t c = 0; rc == SPM_OK && c < cols.n; c++)
		rc = spm__result_col(res, c, cols.name[c], cols.type[c]);
	if (rc == SPM_OK)
		rc = stats_build(&st, r);
	order = spm__malloc(r->db, (r->nrows ? r->nrows : 1) * sizeof(*order));
	tmp = spm__malloc(r->db, (r->nrows ? r->nrows : 1) * sizeof(*tmp));
	if (rc == SPM_OK && (order == NULL || tmp == NULL))
		rc = spm__error_oom();
	if (rc == SPM_OK) {
		struct order o = { r, &r->g };
		for (size_t k = 0; k < r->nrows; k++)
			order[k] = (uint32_t)k;
		merge_sort(order, tmp, r->nrows, &o);
	}
	for (size_t k = 0; rc == SPM_OK && k < r->nrows; k++) {
		const struct spm__arow *row = &r->rows[order[k]];
		size_t out_row, c = 0;
		int64_t next = -1;

		if ((rc = spm__result_row(&out_row, res)) != SPM_OK)
			break;
		if (r->q->dim != SPM__D_NONE && row->g != 0) {
			if (r->g.lint)
				spm__result_int(res, out_row, c++, r->g.lint[row->g]);
			if (r->g.ltext)
				rc = spm__result_text(res, out_row, c++, r->g.ltext[row->g]);
		}
		c = ndim - (r->q->period ? 2 : 0);
		if (rc == SPM_OK && r->q->period)
			rc = period_label(res, out_row, c, r, row->p);
		c = ndim;
		if (r->q->query == SPM__Q_FUNNEL && r->c->stages[row->s].outcome != SPM__OS_LOST) {
			/* the next open or won stage of the same group and period */
			for (size_t j = k + 1; j < r->nrows; j++) {
				const struct spm__arow *b = &r->rows[order[j]];
				if (b->g != row->g || b->p != row->p)
					break;
				if (r->c->stages[b->s].outcome != SPM__OS_LOST) {
					next = b->n[0];
					break;
				}
			}
		}
		if (rc == SPM_OK)
			rc = fill_row(res, out_row, c, r, row, order[k], &st, next);
	}
	if (rc == SPM_OK && r->q->drill)
		rc = drill_ids(res, r, order);
	spm__free(r->db, order);
	spm__free(r->db, tmp);
	spm__free(r->db, st.off);
	spm__free(r->db, st.vals);
	spm__free(r->db, st.vals32);
	if (rc != SPM_OK) {
		spm_result_free(res);
		return rc;
	}
	*out = res;
	return SPM_OK;
}
