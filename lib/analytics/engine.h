/* One run of a query over the cache: which records pass (visibility and
 * filters), which groups and periods each falls in, and the accumulators
 * the kernels fill. */
#ifndef SPM_ANALYTICS_ENGINE_H
#define SPM_ANALYTICS_ENGINE_H

#include "analytics/cache.h"
#include "analytics/report_def.h"
#include "analytics/result.h"

/* The base records of a query. */
enum { SPM__BASE_OPP = 1, SPM__BASE_LEAD, SPM__BASE_ACTIVITY };

/* Group codes of each base record: a single code (key[rec]) or, when off is
 * set, the list list[off[key[rec]] .. off[key[rec] + 1]) (team roll-up,
 * products). Code 0 is the empty (NULL) group. */
struct spm__agroups {
	uint32_t *key;
	uint32_t *off;
	uint32_t *list;
	uint32_t n;            /* codes 0 .. n-1 */
	int64_t *lint;         /* integer label per code, or NULL */
	int key_borrowed;      /* key is the cache's owner column, not a copy */
	const char **ltext;    /* text label per code, or NULL */
};

#define SPM__FOR_GROUPS(gr, rec, code)                                                   \
	for (uint32_t k_ = (gr)->off ? (gr)->off[(gr)->key[rec]] : 0,                     \
		      e_ = (gr)->off ? (gr)->off[(gr)->key[rec] + 1] : 1, code = 0;       \
	     k_ < e_ && ((code = (gr)->off ? (gr)->list[k_] : (gr)->key[rec]), 1); k_++)

/* 128-bit intermediates keep sums and products exact (money.c does the same). */
__extension__ typedef __int128 spm__i128;

struct spm__arow {
	uint32_t g, p;
	int32_t s;             /* stage index, activity type code, or -1 */
	int64_t n[5];         /* counts; velocity: won, lost, open, with a cycle, with an amount */
	int64_t m[2];          /* money sums */
	uint8_t mcur[2], mhas[2], mbad[2];  /* mbad: 1 two currencies, 2 overflow */
	spm__i128 w;            /* amount x probability */
	spm__i128 t[2];         /* second sums */
};

struct spm__arun {
	spm_db *db;
	struct spm__acache *c;
	const struct spm__aq *q;
	int base;
	size_t nrec;           /* base records: ids 0 .. nrec-1 */
	uint8_t *pass;         /* visible and through the filters */
	const int32_t *range_days, *period_days;  /* custom date columns (days; INT32_MIN: none) */
	struct spm__agroups g;
	uint32_t *team_chain_off, *team_chain; /* by owner code: a team and its parents */

	/* periods: start dates by code (code 0: no date) */
	spm_date *pstart;
	uint32_t np, pcap;
	int32_t *pday;         /* memo: day -> code (open addressing on days) */
	uint32_t *pcode;
	uint32_t pslots, pused;
	spm_calendar cal;

	/* rows */
	struct spm__arow *rows;
	size_t nrows, rcap;
	uint64_t *hkey;
	uint32_t *hrow;
	size_t hslots;
	/* without periods, rows are found by (group, stage) in a direct table */
	uint32_t *dense;
	size_t dense_s;        /* stages (or activity types) + 1 per group */

	/* values for medians: (row, list, value) */
	uint32_t *vrow;
	uint8_t *vlist;
	int64_t *vval;
	size_t nv, vcap;

	/* or the value lists already grouped by the kernel, as unsigned 32-bit
	 * values (the plain cycle, when no deal closed before it opened): values
	 * of (row, list) at vsorted[voff[row * 2 + list] .. voff[row * 2 + list +
	 * 1]), made for voff_rows rows (emit takes them over) */
	size_t *voff;
	uint32_t *vsorted;
	size_t voff_rows;

	/* drill-down: (row, id) */
	uint32_t *drow;
	int64_t *did;
	size_t nd, dcap;
};

int spm__arun_init(struct spm__arun *r, spm_db *db, const struct spm__aq *q);
void spm__arun_free(struct spm__arun *r);
/* The period code of a day (0 when has is 0). */
int spm__arun_period(uint32_t *out, struct spm__arun *r, int has, spm_date day);
/* The row for (group, period, stage); *out NULL on failure. */
int spm__arun_row(struct spm__arow **out, struct spm__arun *r, uint32_t g, uint32_t p,
		  int32_t s);
/* spm__arun_row with the direct table's hit inlined (the kernels' hot path:
 * with no periods p is always 0). */
static inline int spm__arun_row_fast(struct spm__arow **out, struct spm__arun *r, uint32_t g,
				     uint32_t p, int32_t s)
{
	if (r->dense) {
		uint32_t k = r->dense[(size_t)g * r->dense_s + (size_t)(s + 1)];
		if (k != UINT32_MAX) {
			*out = &r->rows[k];
			return 0;
		}
	}
	return spm__arun_row(out, r, g, p, s);
}
int spm__arun_value(struct spm__arun *r, const struct spm__arow *row, int list, int64_t v);
int spm__arun_drill(struct spm__arun *r, const struct spm__arow *row, int64_t id);
/* spm__arun_drill without the call when the query has no drill-down. */
#define SPM__ARUN_DRILL(r, row, id) ((r)->q->drill ? spm__arun_drill(r, row, id) : 0)
/* Adds amount in currency cur to money sum i of row: a second currency or an
 * overflow marks the sum bad (mbad) instead. */
static inline void spm__arow_money(struct spm__arow *row, int i, int64_t amount, uint8_t cur)
{
	if (!row->mhas[i]) {
		row->mhas[i] = 1;
		row->mcur[i] = cur;
		row->m[i] = amount;
		return;
	}
	if (row->mcur[i] != cur)
		row->mbad[i] |= 1;
	else if (__builtin_add_overflow(row->m[i], amount, &row->m[i]))
		row->mbad[i] |= 2;
}

/* Fills the rows (kernels.c). */
int spm__arun_kernel(struct spm__arun *r);
/* Turns the rows into a result (emit.c). */
int spm__arun_emit(spm_result **out, struct spm__arun *r);

#endif
