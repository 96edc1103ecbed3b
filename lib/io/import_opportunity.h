/* Importing opportunities, stage history and line items (spm_opp_import):
 * shared between the cell parsers, the CSV reading, the Salesforce layout
 * and the writer. */
#ifndef SPM_IO_IMPORT_OPPORTUNITY_H
#define SPM_IO_IMPORT_OPPORTUNITY_H

#include "spm/csv.h"
#include "core/db_internal.h"

#define SPM__OPP_FILES 3
#define SPM__OPP_MAX_ROLES 16

/* ---- cells (import_opportunity_cells.c); each raises a clear error ---- */

/* A date, or a time with has_time set. ISO forms always; d/m forms by order. */
int spm__opp_parse_when(spm_time *out, int *has_time, const char *text,
			spm_opp_date_order order);
/* A decimal with at most scale decimals, scaled: "12.5" at scale 2 is 1250. */
int spm__opp_parse_fixed(int64_t *out, const char *text, int scale);
/* "1500", "1500.50", "1500.50 USD"; currency from the text, else column,
 * else fallback; *code receives it (4 bytes). */
int spm__opp_parse_money(int64_t *out, char code[4], const char *text, const char *column,
			 const char *fallback);

/* ---- the layout: roles of each file and the Salesforce headers ---- */

struct spm__opp_layout {
	const char *const *roles;      /* role names; the first nrequired are required */
	size_t nroles;
	size_t nrequired;
	const char *const *sfdc;       /* default mapping: flat pairs { header, role } */
	size_t nsfdc;
};

extern const struct spm__opp_layout spm__opp_layouts[SPM__OPP_FILES];
/* Index of a role in a file's layout, or -1. */
long spm__opp_role(int file, const char *name);

/* Role indexes (positions in the layouts' role arrays). */
enum { OPP_ID, OPP_STAGE, OPP_NAME, OPP_ACCOUNT, OPP_CUSTOMER_ID, OPP_OWNER, OPP_OWNER_ID,
       OPP_AMOUNT, OPP_CURRENCY, OPP_CLOSE_DATE, OPP_CREATED, OPP_SOURCE, OPP_LOST_REASON,
       OPP_PROBABILITY, OPP_FORECAST };
enum { HIS_OPPORTUNITY, HIS_STAGE, HIS_AT, HIS_AMOUNT, HIS_CURRENCY, HIS_ACTOR,
       HIS_PROBABILITY, HIS_FORECAST };
enum { ITEM_OPPORTUNITY, ITEM_PRODUCT, ITEM_QUANTITY, ITEM_UNIT_PRICE, ITEM_CURRENCY,
       ITEM_DISCOUNT, ITEM_DISCOUNT_BP };

/* ---- rows read from one file (import_opportunity_read.c) ---- */

struct spm__opp_row {
	size_t line;
	int bad;                              /* the CSV was malformed here */
	char *cell[SPM__OPP_MAX_ROLES];       /* by role; NULL: no column or empty */
	char **extra;                         /* opportunity file: cells of field columns */
};

struct spm__opp_file {
	struct spm__opp_row *rows;
	size_t nrows;
	size_t cap;
	char **extra_fields;                  /* field names of the extra cells */
	char **extra_headers;
	size_t nextra;
	char *role_header[SPM__OPP_MAX_ROLES];  /* the CSV header of each role's column */
	int header_bad;
	int fatal;
};

struct spm__opp_problem {
	int file;
	size_t line;
	char *column;
	char *message;
	int warning;
	size_t order;   /* keeps the order of problems on one line */
};

struct spm_opp_import_report {
	spm_db *db;
	size_t count[SPM__OPP_FILES][5];
	size_t stages_created;
	struct spm__opp_problem *problems;
	size_t nproblems;
	size_t cap;
	char **ext_ids;                       /* stored opportunities: source Id → id */
	int64_t *ids;
	size_t nids;
	size_t nids_cap;                      /* entries of ext_ids (set before the commit) */
	int status;
	char *message;
};

int spm__opp_problem(spm_opp_import_report *r, int file, size_t line, const char *column,
		     int warning, const char *fmt, ...) SPM__PRINTF(6, 7);

/* Reads one file into f; header problems and malformed rows go to the
 * report. SPM_OK or SPM_ENOMEM / the fatal code of the input. */
int spm__opp_read_file(struct spm__opp_file *f, spm_opp_import_report *r, int file,
		       const char *data, size_t len, const spm_opp_import_options *opts);
void spm__opp_file_clear(spm_db *db, struct spm__opp_file *f);

/* ---- the plan: every row checked and resolved, before anything is written ---- */

#include "io/import_opportunity_refs.h"

struct spm__opp_stage {
	int64_t id;            /* 0 until a created stage is written */
	char *name;
	char outcome[8];       /* open, won, lost */
	int create;            /* not in the pipeline yet (SPM_OPP_IMPORT_CREATE_STAGES) */
	int64_t probability;   /* of a created stage; -1: none given */
	char *forecast;        /* of a created stage; NULL: none given */
	size_t order;          /* first seen (created stages) */
	int64_t position;
};

struct spm__opp_plan_opp {
	const struct spm__opp_row *row;
	int bad;
	spm_record *rec;       /* the fields from the file (not stage, status, closed_at) */
	int64_t existing;      /* the stored opportunity with this external id, or 0 */
	long file_stage;       /* from StageName */
	long stage;            /* the current stage: the last history row's, else file_stage */
	spm_time close_time;   /* CloseDate at 00:00 UTC */
	int has_close;
	spm_time opened_at;
	int has_opened;
	int64_t id;            /* after the write */
};

struct spm__opp_plan_hist {
	const struct spm__opp_row *row;
	int bad;
	size_t opp;
	long stage;
	spm_time at;
	int64_t amount;
	char currency[4];
	int has_amount;
	int64_t actor;
};

struct spm__opp_plan_item {
	const struct spm__opp_row *row;
	int bad;
	size_t opp;
	int64_t quantity;
	int64_t unit_price;
	char currency[4];
	int64_t discount_bp;
	int has_discount;
	int64_t net;           /* quantity × unit price less the discount, as the write computes */
};

struct spm__opp_plan {
	spm_db *db;
	const spm_opp_import_options *opts;
	spm_opp_import_report *report;
	struct spm__opp_file files[SPM__OPP_FILES];
	const char *ext_field;
	const char *customer_field;
	const char *user_field;
	int ext_field_exists;
	spm__opp_keys opp_keys;
	spm__opp_keys customer_keys;
	spm__opp_keys user_keys;
	struct spm__opp_stage *stages;
	size_t nstages;
	int64_t last_position;
	struct spm__opp_plan_opp *opps;
	struct spm__opp_plan_hist *hists;
	struct spm__opp_plan_item *items;
};

/* import_opportunity_check.c: loads the pipeline's stages and the key
 * tables, then checks every row read; problems go to the report. */
int spm__opp_plan_check(struct spm__opp_plan *p);
/* import_opportunity_write.c: writes the good rows in one transaction. */
int spm__opp_plan_write(struct spm__opp_plan *p);
void spm__opp_plan_clear(struct spm__opp_plan *p);

/* Indexes of the good rows of a file (history or items) per opportunity,
 * history in time order, items in line order: the rows of opportunity i
 * are idx[start[i] .. start[i + 1]) (import_opportunity_write.c). */
struct spm__opp_groups {
	size_t *idx;
	size_t *start;
};
int spm__opp_group(struct spm__opp_plan *p, struct spm__opp_groups *g, int file);
void spm__opp_groups_clear(spm_db *db, struct spm__opp_groups *g);

/* import_opportunity_items.c: each deal's good items in one currency and
 * with a sum that fits, stored items included; offenders become bad rows. */
int spm__opp_check_item_sums(struct spm__opp_plan *p);
/* Whether a stored line item is the file's item it (a re-import). */
int spm__opp_item_same(const spm_record *rec, const struct spm__opp_plan_item *it);
/* The records of kind whose opportunity_id is opp_id. */
struct spm__page;
int spm__opp_scan_children(spm_db *db, struct spm__page *page, const char *kind_name,
			   int64_t opp_id);
/* An integer field, or none when it is NULL. */
int64_t spm__opp_int_or(const spm_record *rec, const char *field, int64_t none);

#endif
