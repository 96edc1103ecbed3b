/* The columnar analytics cache: one set of arrays per kind, indexed by record
 * id, built from storage scans and caught up by change sequence before each
 * query (so another process's writes are seen). Text dimensions are
 * dictionary codes, times uint32 seconds, dates int32 days. */
#ifndef SPM_ANALYTICS_CACHE_H
#define SPM_ANALYTICS_CACHE_H

#include "core/db_internal.h"

#include <stdint.h>

/* A dictionary of text values: code 0 is "no value", codes 1.. are values. */
struct spm__dict {
	char **s;          /* s[code], s[0] unused */
	uint32_t n;        /* codes in use, 0 included */
	uint32_t cap;
	uint32_t *slots;   /* open addressing, code or 0 */
	uint32_t nslots;
};

/* Opportunity status in the low bits of ostate; flags above. */
enum { SPM__OS_ABSENT = 0, SPM__OS_OPEN = 1, SPM__OS_WON = 2, SPM__OS_LOST = 3 };
#define SPM__OS_STATUS 0x3u
#define SPM__OF_AMOUNT 0x4u
#define SPM__OF_OPENED 0x8u
#define SPM__OF_CLOSED 0x10u
#define SPM__OF_EXPECT 0x20u
/* A history row of the deal was seen (cache.c, load_history). */
#define SPM__OF_HISTORY 0x40u

struct spm__stage {
	int64_t id;
	int64_t pipeline_id;
	int64_t position;
	int64_t probability;   /* -1: none */
	uint16_t pipe;         /* pipeline code (pipes[] index + 1): a deal's pipeline
				  is its stage's */
	int outcome;           /* SPM__OS_OPEN/WON/LOST */
	int live;
	char *name;
};

/* How a custom column keeps its field: as dictionary codes of the rendered
 * text (a dimension), as days (a date window or period), or as the exact
 * value (a rule filter on an integer, money, boolean or time field). */
enum { SPM__CC_CODES = 0, SPM__CC_DAYS = 1, SPM__CC_VALUES = 2 };

/* A custom field of opportunities read by a query: one cell per opportunity. */
struct spm__ccol {
	char *field;
	size_t index;          /* field index in the kind */
	int mode;              /* SPM__CC_* */
	uint32_t *code;        /* by opportunity id: CODES: dictionary codes; DAYS:
				  int32 days (INT32_MIN: none); VALUES: 0 none, else
				  1 + the currency's code in dict (money) or 1 */
	int64_t *val;          /* VALUES: the value by opportunity id, else NULL */
	struct spm__dict dict;
};

struct spm__table {
	int on;                /* loaded and kept current */
	int64_t seq, id;       /* the last (seq, id) seen */
};

/* Records this handle wrote, kept for the cache (lib/analytics/cache_wlog.c):
 * copies of the stored records and tombstones (rec->deleted) of the kinds
 * the cache holds, made by the change sequences first..last, one after
 * another (active: there is such a range; broken: some were not kept). */
struct spm__wlog {
	struct spm_record **rec;
	size_t n, cap;
	int64_t first, last;
	int active, broken;
};

struct spm__acache {
	spm_calendar cal;

	/* every change sequence up to this one is in the cache (0: none known):
	 * the largest seq of the rows read, or of this handle's own writes
	 * applied from the write log */
	int64_t known;
	struct spm__wlog open; /* the writes of the open write transaction */
	int noting;            /* a write transaction is open */
	struct spm__wlog done; /* committed writes not yet applied */

	/* the largest plausible id per kind whose ids size arrays (cache.c,
	 * id_plausible): opportunity, customer, line item, lead, activity, user */
	int64_t id_limit[6];

	/* opportunities, by id (0 .. ocap-1) */
	struct spm__table opp_t;
	size_t ocap;           /* ids below this have slots */
	int64_t omax;          /* the largest id seen */
	uint8_t *ostate;       /* status | flags */
	uint8_t *ocur;         /* currency code (dict cur) */
	int32_t *owner;        /* 0: none */
	int32_t owner_max;     /* at least every owner in owner[] (never lowered) */
	int32_t *customer;     /* 0: none */
	uint16_t *ostage;      /* stage code (stages[] index + 1); 0: none. The
				  deal's pipeline is its stage's */
	uint16_t *osource;     /* dict source */
	int64_t *amount;
	int32_t *expect;       /* days */
	uint32_t *opened;      /* seconds (opened_at, else created_at) */
	uint32_t *closed;      /* seconds */
	struct spm__dict cur, source;
	struct spm__ccol *ccols;
	size_t nccols;

	/* stages and pipelines */
	struct spm__table stage_t;
	struct spm__stage *stages;
	size_t nstages, stages_cap;
	int64_t *pipes;        /* pipeline ids by code - 1 */
	size_t npipes, pipes_cap;

	/* stage history: rows grouped by opportunity (CSR, time order) plus an
	 * unsorted tail of rows added since, merged when it grows */
	struct spm__table hist_t;
	int64_t hmax;          /* the largest history id seen */
	int history_redo;      /* a deal with rows changed when it opened: reload the rows */
	uint32_t *hoff;        /* ocap + 1 offsets into hstage/hat */
	uint16_t *hstage;
	uint32_t *hat;
	size_t hn;
	/* by opportunity (ocap, with hoff): the stages of its merged rows as
	 * bits, bit r for the r-th stage of their pipeline in stages[] order
	 * (as the funnel numbers them); SPM__HMASK_WALK when they span two
	 * pipelines or reach a stage past the seventh: then the rows are read */
	uint8_t *hmask;
	int hmask_ok;          /* hmask matches the rows and the stages */
	int32_t *dopp;         /* the tail */
	uint16_t *dstage;
	uint32_t *dat;
	size_t dn, dcap;

	/* customers (by id), loaded on first use */
	struct spm__table cust_t;
	size_t ccap;
	uint16_t *industry, *region, *level;
	struct spm__dict industry_d, region_d, level_d;

	/* line items, loaded on first use */
	struct spm__table li_t;
	size_t licap;
	int32_t *li_opp;       /* 0: deleted */
	uint32_t *li_product;
	struct spm__dict product_d;

	/* leads, loaded on first use */
	struct spm__table lead_t;
	size_t lcap;
	uint8_t *lstate;       /* 1 live, 2 converted */
	int32_t *lowner;
	uint16_t *lsource;
	uint32_t *lcreated;
	struct spm__dict lsource_d;

	/* activities, loaded on first use */
	struct spm__table act_t;
	size_t acap;
	uint8_t *alive;
	int32_t *aowner;
	uint16_t *atype;
	uint32_t *aat;
	struct spm__dict atype_d;
};

#define SPM__HMASK_WALK 0x80u

/* Which optional tables a query needs. */
#define SPM__NEED_CUSTOMERS 0x1u
#define SPM__NEED_LINE_ITEMS 0x2u
#define SPM__NEED_LEADS 0x4u
#define SPM__NEED_ACTIVITIES 0x8u

/* The handle's cache (made on first use), caught up with storage; with a
 * custom field of opportunities as a dimension, *ccol is its column. */
int spm__acache_get(struct spm__acache **out, spm_db *db, unsigned int need);
/* The column of a custom opportunity field kept in mode (SPM__CC_*), loading
 * it when new (one scan of the opportunities; it may move c->ccols). */
int spm__acache_custom(struct spm__ccol **out, spm_db *db, struct spm__acache *c,
		       const char *field, int mode);
/* Frees the handle's cache (spm_db_close). */
void spm__acache_free(spm_db *db);

/* This handle's own writes (lib/analytics/cache_wlog.c). A write transaction
 * begins; a record or a tombstone was stored in it (lib/core/store.c); it
 * ended, committed with change sequence seq or rolled back. The next query
 * applies committed writes from memory instead of reading them back, when
 * nothing else was written in between (checked against storage's counts). */
void spm__acache_txn_begin(spm_db *db);
void spm__acache_note(spm_db *db, const spm_record *rec);
void spm__acache_note_removed(spm_db *db, const spm_kind *kind, int64_t id, int64_t seq);
void spm__acache_txn_end(spm_db *db, int committed, int64_t seq);
/* Frees a write log's records. */
void spm__wlog_clear(spm_db *db, struct spm__wlog *w);
/* The cache's table of a kind it holds (loaded), or NULL. */
const struct spm__table *spm__acache_table_of(const struct spm__acache *c, const char *kind);
/* Bytes held by the cache's arrays (benchmark figure). */
size_t spm__acache_bytes(const struct spm__acache *c);
/* The stage index of a stage id, or -1. */
long spm__acache_stage(const struct spm__acache *c, int64_t id);

uint32_t spm__dict_find(const struct spm__dict *d, const char *s);
/* The code of s (0 for NULL), added when new; SPM_ELIMIT past max codes. */
int spm__dict_code(uint32_t *out, spm_db *db, struct spm__dict *d, const char *s, uint32_t max);
void spm__dict_free(spm_db *db, struct spm__dict *d);
size_t spm__dict_bytes(const struct spm__dict *d);
/* Merges the unsorted tail of the stage history into the sorted rows. */
int spm__acache_merge_history(spm_db *db, struct spm__acache *c);
/* Makes hmask match the merged rows and the stages (after a stage change). */
void spm__acache_history_masks(struct spm__acache *c);

#endif
