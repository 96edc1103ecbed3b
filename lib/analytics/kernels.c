/* The query kernels: tight loops over the cache's arrays that fill the run's
 * rows (counts, exact money sums, second sums and value lists for medians). */
#include "analytics/engine.h"

#include <string.h>

#define DAY 86400

static int opp_ok(const struct spm__arun *r, size_t i)
{
	return r->pass[i];
}

static int status_of(const struct spm__acache *c, size_t i)
{
	return c->ostate[i] & SPM__OS_STATUS;
}

/* The day of an opportunity's date field; 0 when it has none. */
static int opp_day(spm_date *out, const struct spm__arun *r, size_t i, int field)
{
	const struct spm__acache *c = r->c;
	uint8_t st = c->ostate[i];

	switch (field) {
	case SPM__F_CUSTOM_RANGE:
	case SPM__F_CUSTOM_PERIOD: {
		const int32_t *col = field == SPM__F_CUSTOM_RANGE ? r->range_days : r->period_days;
		*out = col[i];
		return col[i] != INT32_MIN;
	}
	case SPM__F_EXPECTED_CLOSE:
		*out = c->expect[i];
		return (st & SPM__OF_EXPECT) != 0;
	case SPM__F_OPENED:
		*out = (spm_date)(c->opened[i] / DAY);
		return (st & SPM__OF_OPENED) != 0;
	case SPM__F_CLOSED:
		*out = (spm_date)(c->closed[i] / DAY);
		return (st & SPM__OF_CLOSED) != 0;
	default:
		return 0;
	}
}

static int in_range(const struct spm__aq *q, int has, spm_date day)
{
	if (!q->has_from && !q->has_to)
		return 1;
	return has && (!q->has_from || day >= q->from) && (!q->has_to || day <= q->to);
}

/* The opportunity-level range and period fields of a query. */
static int range_field(const struct spm__aq *q, int def)
{
	return q->range_field ? q->range_field : def;
}

static int period_field(const struct spm__aq *q, int def)
{
	return q->period_field ? q->period_field : range_field(q, def);
}

/* Range and period code of opportunity i by its own date fields; 0 when it
 * falls outside the range. */
static int opp_window(uint32_t *pcode, struct spm__arun *r, size_t i, int def, int *rc)
{
	spm_date day;
	int has = opp_day(&day, r, i, range_field(r->q, def));

	if (!in_range(r->q, has, day))
		return 0;
	if (period_field(r->q, def) != range_field(r->q, def))
		has = opp_day(&day, r, i, period_field(r->q, def));
	*rc = spm__arun_period(pcode, r, has, day);
	return *rc == SPM_OK;
}

/* Every closed deal counts, one group each, no drill-down: the kernels'
 * common case, run as a plain loop without window or period lookups. */
static int plain(const struct spm__arun *r)
{
	return !r->q->period && !r->q->has_from && !r->q->has_to && r->dense && !r->g.off &&
		!r->q->drill;
}

/* A group's win rate figures while the plain loop runs: 24 bytes, so that a
 * thousand owners' fit in the first-level cache (rows are 128 bytes). The
 * loop has no branch per deal (whether a deal is won is a coin toss to the
 * branch predictor): a deal that does not count adds zeros. */
struct wr_acc {
	int64_t m;             /* the won amounts in deal order, as spm__arow_money
				  sums them while they share a currency */
	uint32_t won, lost, with_amount;
	uint8_t seen, over;    /* over: a partial sum overflowed */
	uint8_t cor, cand;     /* OR and AND of the won amounts' currency codes:
				  they differ exactly when two currencies meet */
};

/* A group's figures in the one-currency loop: 16 bytes, so that a thousand
 * owners' take half the first-level cache. The counted deals by status
 * (absent, open, won, lost) are four 16-bit lanes of one word, moved to
 * 32-bit totals every 65,535 deals, before a lane can overflow. */
struct wr_one {
	int64_t sum;      /* the won amounts in deal order */
	uint64_t lanes;   /* counted absent, open, won, lost */
};

#define WR_BLOCK 65535

/* The plain win rate when every won amount has one currency, every won deal
 * counted has an amount and no group's running sum overflows, the common
 * case: a deal adds one to a lane of its group picked by its status and its
 * won amount (else 0) to its group's sum, one 16-byte record per deal; the
 * currencies, amounts and overflows are checked for all groups at once in
 * registers. *done is 0 when they need the per-group accounting of
 * win_rate_plain() (nothing is made then). */
static int win_rate_one_currency(struct spm__arun *r, int *done)
{
	const struct spm__acache *c = r->c;
	const uint32_t *key = r->g.key;
	const uint8_t *pass = r->pass, *ostate = c->ostate, *ocur = c->ocur;
	const int64_t *amount = c->amount;
	size_t n = r->nrec, ng = r->g.n ? r->g.n : 1;
	struct wr_one *acc = spm__calloc(r->db, ng, sizeof(*acc));
	uint32_t *tot = spm__calloc(r->db, ng * 4, sizeof(*tot));
	uint32_t over = 0, bare = 0;
	uint8_t cor = 0, cand = 0xFF;
	int rc = SPM_OK, one;

	*done = 0;
	if (acc == NULL || tot == NULL) {
		spm__free(r->db, acc);
		spm__free(r->db, tot);
		return spm__error_oom();
	}
	for (size_t from = 0; from < n; from += WR_BLOCK) {
		size_t to = n - from > WR_BLOCK ? from + WR_BLOCK : n;
		for (size_t i = from; i < to; i++) {
			uint32_t st = ostate[i] & SPM__OS_STATUS, p = pass[i] != 0;
			uint32_t won = p & (st == SPM__OS_WON);
			uint32_t wa = won & ((ostate[i] & SPM__OF_AMOUNT) != 0);
			uint8_t cm = (uint8_t)(0u - wa), cur = ocur[i];
			struct wr_one *g = &acc[key[i]];
			g->lanes += (uint64_t)p << (16 * (1 + st) - 16);
			over |= (uint32_t)__builtin_add_overflow(g->sum, amount[i] & -(int64_t)wa,
								 &g->sum);
			bare |= won & !wa;
			cor |= cur & cm;
			cand &= cur | (uint8_t)~cm;
		}
		for (size_t k = 0; k < ng; k++) {
			for (int l = 0; l < 4; l++)
				tot[k * 4 + (size_t)l] += (uint32_t)(acc[k].lanes >> (16 * l)) & 0xFFFF;
			acc[k].lanes = 0;
		}
	}
	/* no won deal without an amount, the won amounts in one currency (cor
	 * is cand unless two met; none: cor 0), no sum overflowed */
	one = !over && !bare && (cor == cand || cor == 0);
	for (uint32_t k = 0; k < r->g.n && rc == SPM_OK && one; k++) {
		const uint32_t *t = tot + (size_t)k * 4;
		struct spm__arow *a;
		/* a group of open deals only shows too, empty */
		if (t[0] + t[1] + t[2] + t[3] == 0 ||
		    (rc = spm__arun_row_fast(&a, r, k, 0, -1)) != SPM_OK)
			continue;
		a->n[0] = t[SPM__OS_WON];
		a->n[1] = t[SPM__OS_LOST];
		a->n[4] = t[SPM__OS_WON];
		if (a->n[4] == 0)
			continue;
		a->m[0] = acc[k].sum;
		a->mhas[0] = 1;
		a->mcur[0] = cor;
		a->mbad[0] = 0;
	}
	*done = one;
	spm__free(r->db, acc);
	spm__free(r->db, tot);
	return rc;
}

static int win_rate_plain(struct spm__arun *r)
{
	const struct spm__acache *c = r->c;
	/* locals: the byte stores below may alias anything reached through r */
	const uint32_t *key = r->g.key;
	const uint8_t *pass = r->pass, *ostate = c->ostate, *ocur = c->ocur;
	const int64_t *amount = c->amount;
	size_t n = r->nrec;
	struct wr_acc *acc = spm__calloc(r->db, r->g.n ? r->g.n : 1, sizeof(*acc));
	int rc = SPM_OK;

	if (acc == NULL)
		return spm__error_oom();
	for (uint32_t k = 0; k < r->g.n; k++)
		acc[k].cand = 0xFF;
	for (size_t i = 0; i < n; i++) {
		uint32_t st = ostate[i], p = pass[i] != 0;
		uint32_t won = p & ((st & SPM__OS_STATUS) == SPM__OS_WON);
		uint32_t wa = won & ((st & SPM__OF_AMOUNT) != 0);
		uint8_t cm = (uint8_t)(0u - wa), cur = ocur[i];
		struct wr_acc *g = &acc[key[i]];
		/* a group of open deals only shows too, empty */
		g->seen |= (uint8_t)p;
		g->won += won;
		g->lost += p & ((st & SPM__OS_STATUS) == SPM__OS_LOST);
		g->with_amount += wa;
		/* adding 0 never overflows: the won amounts' partial sums are
		 * the general path's, in the same order */
		g->over |= (uint8_t)__builtin_add_overflow(g->m, amount[i] & -(int64_t)wa, &g->m);
		g->cor |= cur & cm;
		g->cand &= cur | (uint8_t)~cm;
	}
	for (uint32_t k = 0; k < r->g.n && rc == SPM_OK; k++) {
		struct spm__arow *a;
		if (!acc[k].seen || (rc = spm__arun_row_fast(&a, r, k, 0, -1)) != SPM_OK)
			continue;
		a->n[0] = acc[k].won;
		a->n[1] = acc[k].lost;
		a->n[4] = acc[k].with_amount;
		if (acc[k].with_amount == 0)
			continue;
		a->m[0] = acc[k].m;
		a->mhas[0] = 1;
		a->mcur[0] = acc[k].cor;
		/* two currencies are refused first; else an overflow */
		a->mbad[0] = acc[k].cor != acc[k].cand ? 1 : acc[k].over ? 2 : 0;
	}
	spm__free(r->db, acc);
	return rc;
}

static int win_rate(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = SPM_OK;

	if (r->q->query == SPM__Q_WIN_RATE && plain(r)) {
		int done;
		rc = win_rate_one_currency(r, &done);
		return rc != SPM_OK || done ? rc : win_rate_plain(r);
	}

	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		int st = status_of(c, i);
		uint32_t p;
		if (!opp_ok(r, i))
			continue;
		if (st == SPM__OS_OPEN && r->q->query == SPM__Q_WIN_RATE && !r->q->period &&
		    !r->q->has_from && !r->q->has_to) {
			/* with no window, a group of open deals only shows, empty */
			SPM__FOR_GROUPS(&r->g, i, g) {
				struct spm__arow *a;
				if ((rc = spm__arun_row_fast(&a, r, g, 0, -1)) != SPM_OK)
					break;
			}
			continue;
		}
		if (st != SPM__OS_WON && st != SPM__OS_LOST)
			continue;
		if (!opp_window(&p, r, i, SPM__F_CLOSED, &rc))
			continue;
		SPM__FOR_GROUPS(&r->g, i, g) {
			struct spm__arow *a;
			if ((rc = spm__arun_row_fast(&a, r, g, p, -1)) != SPM_OK)
				break;
			a->n[st == SPM__OS_WON ? 0 : 1]++;
			if (st == SPM__OS_WON && (c->ostate[i] & SPM__OF_AMOUNT)) {
				spm__arow_money(a, 0, c->amount[i], c->ocur[i]);
				a->n[4]++;
			}
			if (st == SPM__OS_WON && r->q->query == SPM__Q_VELOCITY &&
			    (c->ostate[i] & SPM__OF_OPENED) && (c->ostate[i] & SPM__OF_CLOSED)) {
				a->n[3]++;
				a->t[0] += (int64_t)c->closed[i] - (int64_t)c->opened[i];
			}
			if ((rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
				break;
		}
	}
	return rc;
}

#define CYCLE_SPARE 8  /* a power of two */

/* The slot of deal i: group * 2 + lost for a closed deal with both dates,
 * else a spare one (none and up). */
static inline size_t cycle_slot(const uint32_t *key, const uint8_t *ostate, const uint8_t *pass,
				size_t i, size_t none)
{
	const uint32_t want = 2u | SPM__OF_OPENED | SPM__OF_CLOSED;  /* won or lost */
	size_t spare = none + (i & (CYCLE_SPARE - 1)), slot = (size_t)key[i] * 2 + (ostate[i] & 1u);
	size_t in = (pass[i] != 0) & ((ostate[i] & want) == want);

	return spare + ((slot - spare) & (0 - in));
}

#define CYCLE_LINE 16  /* values per buffered line: 64 bytes */

/* The cycle's plain case, one pass over the deals without a branch per deal
 * on its values (a deal that does not count goes to one of CYCLE_SPARE
 * spare slots, in turn, so that such deals in a row do not wait on each
 * other's update of one counter in memory): each (group, won or lost)
 * slot's values go to a line of 16 in a small buffer (2,000 slots: 128 KB,
 * in the second-level cache), and a full line is copied whole to a chunk of
 * a pool, chained to its slot. Afterwards each slot's chunks and last line
 * are laid out in one array of 32-bit values, in row order, where emit
 * selects the medians in place, and the slots' sums are added from there. A
 * deal closed before it opened has no 32-bit value: then the general path
 * runs instead (*general). */
static int cycle_plain(struct spm__arun *r, int *general)
{
	const struct spm__acache *c = r->c;
	const uint32_t *key = r->g.key, *opened = c->opened, *closed = c->closed;
	const uint8_t *pass = r->pass, *ostate = c->ostate;
	size_t ng = r->g.n ? r->g.n : 1, none = ng * 2, total = 0, n = r->nrec;
	size_t nslot = none + CYCLE_SPARE, maxch = n / CYCLE_LINE + 1;
	uint32_t *cnt = spm__calloc(r->db, nslot, sizeof(*cnt));
	uint32_t *fill = spm__calloc(r->db, nslot, sizeof(*fill));
	uint32_t *head = spm__malloc(r->db, nslot * sizeof(*head));
	uint32_t *line = spm__malloc(r->db, nslot * CYCLE_LINE * sizeof(*line));
	uint32_t *pool = spm__malloc(r->db, maxch * CYCLE_LINE * sizeof(*pool));
	uint32_t *next = spm__malloc(r->db, maxch * sizeof(*next));
	uint32_t *vals = NULL, neg = 0, nch = 0;
	int rc = SPM_OK;

	*general = 0;
	if (cnt == NULL || fill == NULL || head == NULL || line == NULL || pool == NULL ||
	    next == NULL)
		rc = spm__error_oom();
	for (size_t k = 0; rc == SPM_OK && k < nslot; k++)
		head[k] = UINT32_MAX;  /* no chunk */
	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		size_t k = cycle_slot(key, ostate, pass, i, none);
		int64_t secs = (int64_t)closed[i] - (int64_t)opened[i];
		uint32_t in = k < none, f = fill[k];
		neg |= (uint32_t)(secs < 0) & in;
		line[k * CYCLE_LINE + f] = (uint32_t)secs;
		f += in;
		if (f == CYCLE_LINE) {
			/* a full line (never a spare slot's): to the slot's chain */
			memcpy(pool + (size_t)nch * CYCLE_LINE, line + k * CYCLE_LINE,
			       CYCLE_LINE * sizeof(*line));
			next[nch] = head[k];
			head[k] = nch++;
			cnt[k] += CYCLE_LINE;
			f = 0;
		}
		fill[k] = f;
	}
	for (size_t k = 0; rc == SPM_OK && k < none; k++) {
		cnt[k] += fill[k];
		total += cnt[k];
	}
	if (rc == SPM_OK && (vals = spm__malloc(r->db, (total + 1) * sizeof(*vals))) == NULL)
		rc = spm__error_oom();
	for (size_t k = 0, at = 0; rc == SPM_OK && k < none; k++) {
		for (uint32_t ch = head[k]; ch != UINT32_MAX; ch = next[ch]) {
			memcpy(vals + at, pool + (size_t)ch * CYCLE_LINE, CYCLE_LINE * sizeof(*vals));
			at += CYCLE_LINE;
		}
		memcpy(vals + at, line + k * CYCLE_LINE, fill[k] * sizeof(*vals));
		at += fill[k];
	}
	spm__free(r->db, fill);
	spm__free(r->db, head);
	spm__free(r->db, line);
	spm__free(r->db, pool);
	spm__free(r->db, next);
	if (rc == SPM_OK && neg)
		*general = 1;
	for (uint32_t g = 0, from = 0; rc == SPM_OK && !neg && g < r->g.n; g++) {
		struct spm__arow *a;
		if (cnt[g * 2] + cnt[g * 2 + 1] == 0 ||
		    (rc = spm__arun_row_fast(&a, r, g, 0, -1)) != SPM_OK)
			continue;
		for (int l = 0; l < 2; l++) {
			uint32_t m = cnt[g * 2 + (uint32_t)l];
			/* the true sum fits: fewer than 2^31 deals of under 2^32 s */
			uint64_t sum = 0;
			for (uint32_t j = 0; j < m; j++)
				sum += vals[from + j];
			from += m;
			a->n[l] = m;
			a->t[l] = (int64_t)sum;
		}
	}
	if (rc == SPM_OK && !neg) {
		/* rows were made in group order, so the slots' values are laid
		 * out in row order: voff is the rows' running count */
		r->voff = spm__calloc(r->db, r->nrows * 2 + 2, sizeof(*r->voff));
		if (r->voff == NULL)
			rc = spm__error_oom();
		for (size_t k = 0; rc == SPM_OK && k < r->nrows * 2; k++)
			r->voff[k + 1] = r->voff[k] + (size_t)r->rows[k / 2].n[k % 2];
		if (rc == SPM_OK) {
			r->voff[r->nrows * 2 + 1] = r->voff[r->nrows * 2];
			r->voff_rows = r->nrows;
			r->vsorted = vals;
			vals = NULL;
		}
	}
	spm__free(r->db, cnt);
	spm__free(r->db, vals);
	return rc;
}

static int cycle(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = SPM_OK;

	if (plain(r)) {
		int general;
		rc = cycle_plain(r, &general);
		if (rc != SPM_OK || !general)
			return rc;
	}

	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		int st = status_of(c, i), l;
		uint32_t p;
		int64_t secs;
		if (!opp_ok(r, i) || (st != SPM__OS_WON && st != SPM__OS_LOST) ||
		    !(c->ostate[i] & SPM__OF_OPENED) || !(c->ostate[i] & SPM__OF_CLOSED))
			continue;
		if (!opp_window(&p, r, i, SPM__F_CLOSED, &rc))
			continue;
		l = st == SPM__OS_WON ? 0 : 1;
		secs = (int64_t)c->closed[i] - (int64_t)c->opened[i];
		SPM__FOR_GROUPS(&r->g, i, g) {
			struct spm__arow *a;
			if ((rc = spm__arun_row_fast(&a, r, g, p, -1)) != SPM_OK ||
			    (rc = spm__arun_value(r, a, l, secs)) != SPM_OK ||
			    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
				break;
			a->n[l]++;
			a->t[l] += secs;
		}
	}
	return rc;
}

static int open_pipeline(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = SPM_OK;

	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		uint32_t p;
		int stage = c->ostage[i] - 1;
		int64_t prob = stage >= 0 ? c->stages[stage].probability : -1;
		if (!opp_ok(r, i) || status_of(c, i) != SPM__OS_OPEN)
			continue;
		if (!opp_window(&p, r, i, SPM__F_EXPECTED_CLOSE, &rc))
			continue;
		SPM__FOR_GROUPS(&r->g, i, g) {
			struct spm__arow *a;
			if ((rc = spm__arun_row_fast(&a, r, g, p, -1)) != SPM_OK ||
			    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
				break;
			a->n[0]++;
			if (c->ostate[i] & SPM__OF_AMOUNT) {
				spm__arow_money(a, 0, c->amount[i], c->ocur[i]);
				a->w += (spm__i128)c->amount[i] * (prob > 0 ? prob : 0);
			}
		}
	}
	return rc;
}

static int velocity(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = win_rate(r);

	/* open deals today, whatever the date range */
	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		if (!opp_ok(r, i) || status_of(c, i) != SPM__OS_OPEN)
			continue;
		SPM__FOR_GROUPS(&r->g, i, g) {
			struct spm__arow *a;
			if ((rc = spm__arun_row_fast(&a, r, g, 0, -1)) != SPM_OK ||
			    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
				break;
			a->n[2]++;
		}
	}
	return rc;
}

/* Each stay in a stage: from its entry to the next entry of the same deal;
 * the stay in the current stage is not over and is left out. */
static int time_in_stage(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = spm__acache_merge_history(r->db, c);
	int rf = range_field(r->q, SPM__F_ENTERED), pf = period_field(r->q, SPM__F_ENTERED);

	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		if (!opp_ok(r, i))
			continue;
		for (uint32_t k = c->hoff[i]; k + 1 < c->hoff[i + 1] && rc == SPM_OK; k++) {
			const struct spm__stage *s = &c->stages[c->hstage[k] - 1];
			spm_date day = (spm_date)(c->hat[k] / DAY), pday = day;
			int has = 1, phas = 1;
			uint32_t p;
			if (r->q->pipeline && s->pipeline_id != r->q->pipeline)
				continue;
			if (rf != SPM__F_ENTERED)
				has = opp_day(&day, r, i, rf);
			if (!in_range(r->q, has, day))
				continue;
			if (pf != SPM__F_ENTERED)
				phas = opp_day(&pday, r, i, pf);
			if ((rc = spm__arun_period(&p, r, phas, pday)) != SPM_OK)
				break;
			SPM__FOR_GROUPS(&r->g, i, g) {
				struct spm__arow *a;
				int64_t secs = (int64_t)c->hat[k + 1] - (int64_t)c->hat[k];
				if ((rc = spm__arun_row_fast(&a, r, g, p, c->hstage[k] - 1)) != SPM_OK ||
				    (rc = spm__arun_value(r, a, 0, secs)) != SPM_OK ||
				    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
					break;
				a->n[0]++;
				a->t[0] += secs;
			}
		}
	}
	return rc;
}

/* Adds one deal to the funnel row of stage s (once per deal, stage, period). */
static int funnel_count(struct spm__arun *r, size_t i, uint32_t p, int s)
{
	int rc = SPM_OK;

	SPM__FOR_GROUPS(&r->g, i, g) {
		struct spm__arow *a;
		if ((rc = spm__arun_row_fast(&a, r, g, p, s)) != SPM_OK ||
		    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
			break;
		a->n[0]++;
	}
	return rc;
}

/* Eight 16-bit stage counters of a group, added as one 16-byte vector. */
typedef uint16_t spm__v8h __attribute__((vector_size(16)));

#define FUNNEL_BLOCK 65535  /* deals per block: no 16-bit counter overflows */

/* The stages deal i entered in the window, as local bits, from its rows. */
static inline uint32_t funnel_rows8(const uint32_t *hoff, const uint16_t *hstage,
				    const uint32_t *hat, const uint8_t *lbit, size_t i,
				    uint32_t base, uint32_t last)
{
	uint32_t lm = 0;

	for (uint32_t k = hoff[i]; k < hoff[i + 1]; k++)
		lm |= lbit[hstage[k]] & (0u - (uint32_t)(hat[k] - base <= last));
	return lm;
}

/* The funnel's entered mode over the entry window, one group per deal and
 * at most eight stages in the pipeline, the benchmark's and the dashboards'
 * case: a deal's stages entered in [lo, hi) as local bits (lbit by stage
 * code), its group's eight counters increased by the row of ones for that
 * mask; the deal's current stage must be in the pipeline (inpipe by stage
 * code). A deal whose rows all lie in the window and in the pipeline (its
 * first row's stage in inpipe, hmask without WALK) has its cache mask for
 * local bits, numbered alike: only its first and last row times are read
 * (and its first row's stage when there are pipelines besides the
 * deal's). The others (deals that straddle an edge of the window) are
 * listed and read their rows after the block, so that the loop over the
 * deals has no branch on which kind a deal is. The counters are 16-bit
 * (a group's eight in one 16-byte vector, a thousand groups' in 16 KB, in
 * the first-level cache) and are added to hist[] after each block of
 * FUNNEL_BLOCK deals. */
static int funnel_entered8(const struct spm__arun *r, uint32_t *hist, const uint8_t *lbit,
			   const uint8_t *inpipe, int64_t lo, int64_t hi)
{
	const struct spm__acache *c = r->c;
	const uint32_t *key = r->g.key, *hoff = c->hoff, *hat = c->hat;
	const uint16_t *hstage = c->hstage, *ostage = c->ostage;
	const uint8_t *pass = r->pass, *hmask = c->hmask;
	/* the window as unsigned 32-bit seconds: t is in it when t - base <= last */
	int64_t lo32 = lo < 0 ? 0 : lo > UINT32_MAX ? (int64_t)UINT32_MAX + 1 : lo;
	int64_t hi32 = hi < 0 ? 0 : hi > UINT32_MAX ? (int64_t)UINT32_MAX + 1 : hi;
	uint32_t last = (uint32_t)(hi32 - lo32 - 1), base = (uint32_t)lo32;
	/* with one pipeline, every row is in the deal's: no need to look */
	int one_pipe = c->npipes == 1;
	size_t n = r->nrec, ng = r->g.n;  /* the vector stores may alias r */
	spm__v8h *h16 = spm__calloc(r->db, ng ? ng : 1, sizeof(*h16));
	spm__v8h *ones = spm__malloc(r->db, 256 * sizeof(*ones));
	uint32_t *slow = spm__malloc(r->db, FUNNEL_BLOCK * sizeof(*slow));

	if (h16 == NULL || ones == NULL || slow == NULL) {
		spm__free(r->db, h16);
		spm__free(r->db, ones);
		spm__free(r->db, slow);
		return spm__error_oom();
	}
	for (uint32_t m = 0; m < 256; m++)
		for (int b = 0; b < 8; b++)
			ones[m][b] = (uint16_t)((m >> b) & 1);
	for (size_t from = 0; hi32 > lo32 && from < n; from += FUNNEL_BLOCK) {
		size_t to = n - from > FUNNEL_BLOCK ? from + FUNNEL_BLOCK : n;
		uint32_t nslow = 0;
		for (size_t i = from; i < to; i++) {
			uint32_t o = hoff[i], e = hoff[i + 1], fast;
			spm__v8h x;
			if (!((pass[i] != 0) & inpipe[ostage[i]]) || o == e)
				continue;
			fast = (hat[o] - base <= last) & (hat[e - 1] - base <= last) &
				!(hmask[i] & SPM__HMASK_WALK);
			if (!one_pipe)
				fast &= inpipe[hstage[o]];
			slow[nslow] = (uint32_t)(i - from);
			nslow += !fast;
			memcpy(&x, &h16[key[i]], sizeof(x));
			x += ones[hmask[i] & (0u - fast)];
			memcpy(&h16[key[i]], &x, sizeof(x));
		}
		for (uint32_t j = 0; j < nslow; j++) {
			size_t i = from + slow[j];
			spm__v8h x;
			memcpy(&x, &h16[key[i]], sizeof(x));
			x += ones[funnel_rows8(hoff, hstage, hat, lbit, i, base, last)];
			memcpy(&h16[key[i]], &x, sizeof(x));
		}
		for (size_t g = 0; g < ng; g++) {
			for (int b = 0; b < 8; b++)
				hist[g * 8 + (size_t)b] += h16[g][b];
			memset(&h16[g], 0, sizeof(h16[g]));
		}
	}
	spm__free(r->db, h16);
	spm__free(r->db, ones);
	spm__free(r->db, slow);
	return SPM_OK;
}

/* The funnel without periods or drill-down, the common case: each deal's
 * stages as a bit mask (so a deal counts once per stage), counted in a small
 * array laid out like the direct row table, made into rows at the end. The
 * same definitions as funnel() below, which handles the rest. */
static int funnel_masks(struct spm__arun *r, uint16_t pipe)
{
	const struct spm__acache *c = r->c;
	const struct spm__aq *q = r->q;
	int mode = q->funnel;
	int rf = range_field(q, mode == SPM__FUNNEL_ENTERED ? SPM__F_ENTERED : SPM__F_OPENED);
	int row_window = mode == SPM__FUNNEL_ENTERED && rf == SPM__F_ENTERED;
	size_t S = r->dense_s, ns = c->nstages;
	int64_t lo = q->has_from ? (int64_t)q->from * DAY : INT64_MIN;
	int64_t hi = q->has_to ? ((int64_t)q->to + 1) * DAY : INT64_MAX;
	uint64_t inpipe = 0, counted = 0;
	uint32_t *cnt = spm__calloc(r->db, (size_t)r->g.n * S, sizeof(*cnt));
	uint32_t *hist = NULL, *ones = NULL;
	uint8_t lbit[65] = { 0 }, lstage[8] = { 0 };
	unsigned nlocal = 0;
	int rc = SPM_OK;

	if (cnt == NULL)
		return spm__error_oom();
	for (size_t s = 0; s < ns; s++) {
		if (c->stages[s].pipeline_id == q->pipeline) {
			inpipe |= 1ull << s;
			if (nlocal < 8) {
				lstage[nlocal] = (uint8_t)s;
				lbit[s + 1] = (uint8_t)(1u << nlocal);
			}
			nlocal++;
		}
		if (c->stages[s].live && c->stages[s].pipeline_id == q->pipeline)
			counted |= 1ull << s;
	}
	/* with at most eight stages in the pipeline, the entered mode counts in
	 * eight counters per group, adding a deal's mask as a row of ones[]
	 * (funnel_entered8 keeps its own, of 16-bit counters) */
	if (mode == SPM__FUNNEL_ENTERED && nlocal <= 8) {
		int own_ones = row_window && !r->g.off;
		hist = spm__calloc(r->db, (size_t)r->g.n * 8, sizeof(*hist));
		ones = own_ones ? NULL : spm__malloc(r->db, 256 * 8 * sizeof(*ones));
		if (hist == NULL || (ones == NULL && !own_ones)) {
			spm__free(r->db, hist);
			spm__free(r->db, ones);
			spm__free(r->db, cnt);
			return spm__error_oom();
		}
		for (uint32_t m = 0; ones && m < 256; m++)
			for (int b = 0; b < 8; b++)
				ones[m * 8 + (uint32_t)b] = (m >> b) & 1;
	}
	if (hist && row_window && !r->g.off) {
		uint8_t okpipe[65] = { 0 };
		for (size_t s = 0; s < ns; s++)
			okpipe[s + 1] = c->stages[s].pipe == pipe;
		if (!c->hmask_ok)
			spm__acache_history_masks(r->c);
		rc = funnel_entered8(r, hist, lbit, okpipe, lo, hi);
	}
	for (size_t i = 0; i < r->nrec && !(hist && row_window && !r->g.off); i++) {
		int st = c->ostage[i] - 1;
		uint64_t mask = 0;
		if (!r->pass[i] || st < 0 || c->stages[st].pipe != pipe)
			continue;
		if (!row_window) {
			spm_date day;
			int has = opp_day(&day, r, i, rf);
			if (!in_range(q, has, day))
				continue;
		}
		if (hist) {
			/* entered: the deal's pipeline stages as local bits, added to
			 * its group's eight counters at once (no loop over the bits) */
			uint32_t lm = 0;
			for (uint32_t k = c->hoff[i]; k < c->hoff[i + 1]; k++) {
				int64_t t = c->hat[k];
				uint32_t in = !row_window || ((t >= lo) & (t < hi));
				lm |= lbit[c->hstage[k]] & (0u - in);
			}
			if (lm)
				SPM__FOR_GROUPS(&r->g, i, g) {
					uint32_t *row8 = hist + (size_t)g * 8;
					const uint32_t *add = ones + (size_t)lm * 8;
					for (int b = 0; b < 8; b++)
						row8[b] += add[b];
				}
			continue;
		}
		if (mode == SPM__FUNNEL_CURRENT) {
			mask = 1ull << st;
		} else if (mode == SPM__FUNNEL_ENTERED) {
			for (uint32_t k = c->hoff[i]; k < c->hoff[i + 1]; k++) {
				int64_t t = c->hat[k];
				if (!row_window || (t >= lo && t < hi))
					mask |= 1ull << (c->hstage[k] - 1);
			}
			mask &= inpipe;
		} else {
			/* reached: the furthest open or won stage counts every open or
			 * won stage before it; a lost one only when entered or current */
			int64_t furthest = INT64_MIN;
			uint64_t entered = 0;
			for (uint32_t k = c->hoff[i]; k < c->hoff[i + 1]; k++) {
				const struct spm__stage *S1 = &c->stages[c->hstage[k] - 1];
				entered |= 1ull << (c->hstage[k] - 1);
				if (S1->pipeline_id == q->pipeline && S1->outcome != SPM__OS_LOST &&
				    S1->position > furthest)
					furthest = S1->position;
			}
			if (c->stages[st].outcome != SPM__OS_LOST &&
			    c->stages[st].position > furthest)
				furthest = c->stages[st].position;
			for (size_t s = 0; s < ns; s++) {
				const struct spm__stage *S1 = &c->stages[s];
				if (S1->outcome == SPM__OS_LOST ? (int)s == st :
				    S1->position <= furthest)
					mask |= 1ull << s;
			}
			mask = (mask | entered) & counted;
		}
		if (mask == 0)
			continue;
		SPM__FOR_GROUPS(&r->g, i, g) {
			uint32_t *row = cnt + (size_t)g * S + 1;
			for (uint64_t m = mask; m; m &= m - 1)
				row[__builtin_ctzll(m)]++;
		}
	}
	for (uint32_t g = 0; hist && g < r->g.n; g++)
		for (unsigned b = 0; b < nlocal; b++)
			cnt[(size_t)g * S + 1 + lstage[b]] += hist[(size_t)g * 8 + b];
	spm__free(r->db, hist);
	spm__free(r->db, ones);
	for (uint32_t g = 0; g < r->g.n && rc == SPM_OK; g++)
		for (size_t s = 0; s < ns && rc == SPM_OK; s++) {
			struct spm__arow *a;
			if (cnt[(size_t)g * S + s + 1] == 0)
				continue;
			if ((rc = spm__arun_row(&a, r, g, 0, (int32_t)s)) == SPM_OK)
				a->n[0] = cnt[(size_t)g * S + s + 1];
		}
	spm__free(r->db, cnt);
	return rc;
}

static int funnel(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = spm__acache_merge_history(r->db, c);
	int mode = r->q->funnel;
	int rf = range_field(r->q, mode == SPM__FUNNEL_ENTERED ? SPM__F_ENTERED : SPM__F_OPENED);
	int pf = period_field(r->q, mode == SPM__FUNNEL_ENTERED ? SPM__F_ENTERED : SPM__F_OPENED);
	uint16_t pipe = 0;

	for (size_t k = 0; k < c->npipes; k++)
		if (c->pipes[k] == r->q->pipeline)
			pipe = (uint16_t)(k + 1);
	if (rc == SPM_OK && !r->q->period && !r->q->drill && r->dense && c->nstages <= 64)
		return pipe ? funnel_masks(r, pipe) : SPM_OK;
	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		int st = c->ostage[i] - 1;
		spm_date day = 0;
		int has;
		uint32_t p = 0;
		if (!opp_ok(r, i) || pipe == 0 || c->ostage[i] == 0 ||
		    c->stages[c->ostage[i] - 1].pipe != pipe)
			continue;
		if (mode == SPM__FUNNEL_CURRENT) {
			has = opp_day(&day, r, i, rf);
			if (st < 0 || !in_range(r->q, has, day))
				continue;
			if (pf != rf)
				has = opp_day(&day, r, i, pf);
			if ((rc = spm__arun_period(&p, r, has, day)) == SPM_OK)
				rc = funnel_count(r, i, p, st);
			continue;
		}
		if (mode == SPM__FUNNEL_REACHED) {
			/* the furthest open or won stage reached counts every open or
			 * won stage before it (skipped ones included); a lost stage
			 * counts only when entered */
			int64_t furthest = INT64_MIN;
			has = opp_day(&day, r, i, rf);
			if (!in_range(r->q, has, day))
				continue;
			if (pf != rf)
				has = opp_day(&day, r, i, pf);
			if ((rc = spm__arun_period(&p, r, has, day)) != SPM_OK)
				break;
			for (uint32_t k = c->hoff[i]; k < c->hoff[i + 1]; k++) {
				const struct spm__stage *s = &c->stages[c->hstage[k] - 1];
				if (s->pipeline_id == r->q->pipeline && s->outcome != SPM__OS_LOST &&
				    s->position > furthest)
					furthest = s->position;
			}
			if (st >= 0 && c->stages[st].outcome != SPM__OS_LOST &&
			    c->stages[st].position > furthest)
				furthest = c->stages[st].position;
			for (size_t s = 0; s < c->nstages && rc == SPM_OK; s++) {
				const struct spm__stage *S = &c->stages[s];
				int in = 0;
				if (!S->live || S->pipeline_id != r->q->pipeline)
					continue;
				if (S->outcome != SPM__OS_LOST)
					in = S->position <= furthest;
				for (uint32_t k = c->hoff[i]; !in && k < c->hoff[i + 1]; k++)
					in = c->hstage[k] - 1 == (int)s;
				in |= S->outcome == SPM__OS_LOST && st == (int)s;
				if (in)
					rc = funnel_count(r, i, p, (int)s);
			}
			continue;
		}
		/* entered in the period: once per deal, stage and period */
		for (uint32_t k = c->hoff[i]; k < c->hoff[i + 1] && rc == SPM_OK; k++) {
			int s = c->hstage[k] - 1, dup = 0;
			spm_date pday;
			int phas;
			if (c->stages[s].pipeline_id != r->q->pipeline)
				continue;
			day = (spm_date)(c->hat[k] / DAY);
			has = 1;
			if (rf != SPM__F_ENTERED)
				has = opp_day(&day, r, i, rf);
			if (!in_range(r->q, has, day))
				continue;
			pday = (spm_date)(c->hat[k] / DAY);
			phas = 1;
			if (pf != SPM__F_ENTERED)
				phas = opp_day(&pday, r, i, pf);
			if ((rc = spm__arun_period(&p, r, phas, pday)) != SPM_OK)
				break;
			for (uint32_t j = c->hoff[i]; j < k && !dup; j++) {
				spm_date d2 = (spm_date)(c->hat[j] / DAY);
				uint32_t p2 = 0;
				int h2 = 1;
				if (c->hstage[j] != c->hstage[k])
					continue;
				if (rf != SPM__F_ENTERED)
					h2 = opp_day(&d2, r, i, rf);
				if (!in_range(r->q, h2, d2))
					continue;
				if (pf != SPM__F_ENTERED) {
					dup = 1;
					break;
				}
				if ((rc = spm__arun_period(&p2, r, 1, (spm_date)(c->hat[j] / DAY))))
					break;
				dup = p2 == p;
			}
			if (!dup && rc == SPM_OK)
				rc = funnel_count(r, i, p, s);
		}
	}
	return rc;
}

static int leads(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = SPM_OK;

	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		spm_date day = (spm_date)(c->lcreated[i] / DAY);
		uint32_t p;
		if (!r->pass[i] || !in_range(r->q, 1, day))
			continue;
		if ((rc = spm__arun_period(&p, r, 1, day)) != SPM_OK)
			break;
		SPM__FOR_GROUPS(&r->g, i, g) {
			struct spm__arow *a;
			if ((rc = spm__arun_row_fast(&a, r, g, p, -1)) != SPM_OK ||
			    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
				break;
			a->n[0]++;
			a->n[1] += (c->lstate[i] & 2) != 0;
		}
	}
	return rc;
}

static int activities(struct spm__arun *r)
{
	struct spm__acache *c = r->c;
	int rc = SPM_OK;

	for (size_t i = 0; i < r->nrec && rc == SPM_OK; i++) {
		spm_date day = (spm_date)(c->aat[i] / DAY);
		uint32_t p;
		if (!r->pass[i] || !in_range(r->q, 1, day))
			continue;
		if ((rc = spm__arun_period(&p, r, 1, day)) != SPM_OK)
			break;
		SPM__FOR_GROUPS(&r->g, i, g) {
			struct spm__arow *a;
			/* grouped by type, the type is the group already */
			int32_t s = r->q->dim == SPM__D_TYPE ? -1 : (int32_t)c->atype[i];
			if ((rc = spm__arun_row_fast(&a, r, g, p, s)) != SPM_OK ||
			    (rc = SPM__ARUN_DRILL(r, a, (int64_t)i)) != SPM_OK)
				break;
			a->n[0]++;
		}
	}
	return rc;
}

int spm__arun_kernel(struct spm__arun *r)
{
	switch (r->q->query) {
	case SPM__Q_FUNNEL:
		return funnel(r);
	case SPM__Q_WIN_RATE:
		return win_rate(r);
	case SPM__Q_CYCLE:
		return cycle(r);
	case SPM__Q_TIME_IN_STAGE:
		return time_in_stage(r);
	case SPM__Q_VELOCITY:
		return velocity(r);
	case SPM__Q_PIPELINE:
		return open_pipeline(r);
	case SPM__Q_LEAD_CONVERSION:
		return leads(r);
	default:
		return activities(r);
	}
}
