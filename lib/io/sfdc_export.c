/* spm_opp_export(): a pipeline's opportunities or their stage history as
 * CSV in the Salesforce layout that spm_opp_import() reads by default, so
 * that an export imports back into another database as the same data. */
#include "io/import_opportunity.h"
#include "io/csv.h"
#include "core/txn.h"
#include "spm/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPP_COLUMNS 10
#define HIS_COLUMNS 6

static const char *const opp_header[OPP_COLUMNS] = {
	"Id", "AccountId", "OwnerId", "Name", "StageName", "Amount", "CurrencyIsoCode",
	"CloseDate", "CreatedDate", "LeadSource",
};
static const char *const his_header[HIS_COLUMNS] = {
	"OpportunityId", "StageName", "CreatedDate", "Amount", "CurrencyIsoCode", "CreatedById",
};

struct ex {
	spm_db *db;
	const char *ext_field;
	const char *customer_field;
	const char *user_field;
	spm__opp_keys stages;   /* id → name, kept as "key" = name */
	spm__csv_writer w;
	int file;
	char cell[HIS_COLUMNS > OPP_COLUMNS ? HIS_COLUMNS : OPP_COLUMNS][512];
	struct spm__page history;
};

static int write_row(struct ex *x, size_t n)
{
	spm__csv_field f[OPP_COLUMNS];

	for (size_t i = 0; i < n; i++) {
		f[i].ptr = x->cell[i];
		f[i].len = strlen(x->cell[i]);
		f[i].flags = 0;
	}
	return spm__csv_writer_row(&x->w, f, n);
}

static int write_header(struct ex *x, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(x->cell[i], sizeof(x->cell[i]), "%s", names[i]);
	return write_row(x, n);
}

static void text_of(char *buf, size_t size, const spm_record *rec, const char *field)
{
	const char *t = NULL;

	buf[0] = '\0';
	if (spm_record_get_as_text(&t, rec, field) == SPM_OK && t)
		snprintf(buf, size, "%s", t);
}

static void time_of(char *buf, size_t size, const spm_record *rec, const char *field)
{
	spm_time t;
	int null = 1;

	buf[0] = '\0';
	if (spm_record_is_null(&null, rec, field) != SPM_OK || null ||
	    spm_record_get_time(&t, rec, field) != SPM_OK || spm__format_time(buf, size, t) != SPM_OK)
		return;
	buf[10] = ' ';      /* 2024-02-03T20:55:00Z → 2024-02-03 20:55:00 */
	buf[19] = '\0';
}

/* The key field of the record of kind with this id, or "". */
static void key_of(char *buf, size_t size, struct ex *x, const spm_record *rec, const char *ref,
		   const char *kind, const char *key_field)
{
	spm_record *other = NULL;
	int64_t id;
	int null = 1;

	buf[0] = '\0';
	if (spm_record_is_null(&null, rec, ref) != SPM_OK || null ||
	    spm_record_get_int(&id, rec, ref) != SPM_OK ||
	    spm_record_get(&other, x->db, kind, id) != SPM_OK)
		return;
	text_of(buf, size, other, key_field);
	spm_record_free(other);
}

static void stage_name(char *buf, size_t size, const struct ex *x, const spm_record *rec,
		       const char *field)
{
	int64_t id = 0;

	buf[0] = '\0';
	if (spm_record_get_int(&id, rec, field) != SPM_OK)
		return;
	for (size_t i = 0; i < x->stages.n; i++)
		if (x->stages.items[i].id == id)
			snprintf(buf, size, "%s", x->stages.items[i].key);
}

static void money_of(char *amount, char *currency, size_t size, const spm_record *rec,
		     const char *field)
{
	const char *cur = NULL;
	int64_t minor;
	int null = 1;

	amount[0] = currency[0] = '\0';
	if (spm_record_is_null(&null, rec, field) != SPM_OK || null ||
	    spm_record_get_money(&minor, &cur, rec, field) != SPM_OK ||
	    spm_money_format(amount, size, minor, cur) != SPM_OK)
		return;
	snprintf(currency, size, "%s", cur);
}

/* Id: the external id, else the libspm id. */
static void opp_id(char *buf, size_t size, const struct ex *x, const spm_record *rec)
{
	text_of(buf, size, rec, x->ext_field);
	if (buf[0] == '\0')
		snprintf(buf, size, "%lld", (long long)spm_record_id(rec));
}

static int by_at(const void *a, const void *b)
{
	spm_time x = 0, y = 0;

	spm_record_get_time(&x, *(spm_record *const *)a, "at");
	spm_record_get_time(&y, *(spm_record *const *)b, "at");
	return (x > y) - (x < y);
}

static int collect_history(const spm_record *rec, void *payload)
{
	struct ex *x = payload;
	struct spm__page *pg = &x->history;
	spm_record *copy = NULL;
	int rc;

	if (pg->n == pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 16;
		spm_record **grown = spm__realloc(x->db, pg->recs, cap * sizeof(*grown));

		if (grown == NULL)
			return spm__error_oom();
		pg->recs = grown;
		pg->cap = cap;
	}
	rc = spm_record_dup(&copy, rec);
	if (rc == SPM_OK)
		pg->recs[pg->n++] = copy;
	return rc;
}

static int history_rows(struct ex *x, const spm_record *opp)
{
	spm_query *q = NULL;
	char id[512];
	int rc = spm_query_new(&q, x->db, "stage_history");

	if (rc == SPM_OK)
		rc = spm_query_where_int(q, "opportunity_id", SPM_CMP_EQ, spm_record_id(opp));
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, collect_history, x);
	spm_query_free(q);
	if (rc == SPM_OK && x->history.n > 1)
		qsort(x->history.recs, x->history.n, sizeof(*x->history.recs), by_at);
	opp_id(id, sizeof(id), x, opp);
	for (size_t i = 0; rc == SPM_OK && i < x->history.n; i++) {
		const spm_record *h = x->history.recs[i];

		snprintf(x->cell[0], sizeof(x->cell[0]), "%s", id);
		stage_name(x->cell[1], sizeof(x->cell[1]), x, h, "to_stage_id");
		time_of(x->cell[2], sizeof(x->cell[2]), h, "at");
		money_of(x->cell[3], x->cell[4], sizeof(x->cell[3]), h, "amount");
		x->cell[5][0] = '\0';
		{
			int64_t actor = 0;
			spm_record *user = NULL;

			if (spm_record_get_int(&actor, h, "actor") == SPM_OK && actor > 0 &&
			    spm_record_get(&user, x->db, "user", actor) == SPM_OK)
				text_of(x->cell[5], sizeof(x->cell[5]), user, x->user_field);
			spm_record_free(user);
		}
		rc = write_row(x, HIS_COLUMNS);
	}
	spm__page_clear(x->db, &x->history);
	return rc;
}

static int opportunity_row(const spm_record *rec, void *payload)
{
	struct ex *x = payload;
	spm_date d;
	int null = 1;

	if (x->file == SPM_OPP_FILE_HISTORY)
		return history_rows(x, rec);
	opp_id(x->cell[0], sizeof(x->cell[0]), x, rec);
	key_of(x->cell[1], sizeof(x->cell[1]), x, rec, "customer_id", "customer",
	       x->customer_field);
	key_of(x->cell[2], sizeof(x->cell[2]), x, rec, "owner_id", "user", x->user_field);
	text_of(x->cell[3], sizeof(x->cell[3]), rec, "name");
	stage_name(x->cell[4], sizeof(x->cell[4]), x, rec, "stage_id");
	money_of(x->cell[5], x->cell[6], sizeof(x->cell[5]), rec, "amount");
	x->cell[7][0] = '\0';
	if (spm_record_is_null(&null, rec, "expected_close") == SPM_OK && !null &&
	    spm_record_get_date(&d, rec, "expected_close") == SPM_OK)
		spm_date_format(x->cell[7], sizeof(x->cell[7]), d);
	time_of(x->cell[8], sizeof(x->cell[8]), rec, "opened_at");
	text_of(x->cell[9], sizeof(x->cell[9]), rec, "source");
	return write_row(x, OPP_COLUMNS);
}

static int stage_row(const spm_record *rec, void *payload)
{
	struct ex *x = payload;
	spm__opp_keys *k = &x->stages;
	const char *name = NULL;
	struct spm__opp_key *grown;

	if (spm_record_get_text(&name, rec, "name") != SPM_OK || name == NULL)
		return SPM_OK;
	grown = spm__realloc(x->db, k->items, (k->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return spm__error_oom();
	k->items = grown;
	k->items[k->n].key = spm__strdup(x->db, name);
	if (k->items[k->n].key == NULL)
		return spm__error_oom();
	k->items[k->n++].id = spm_record_id(rec);
	return SPM_OK;
}

static int run_query(struct ex *x, const char *kind, int64_t pipeline_id, spm_record_cb cb)
{
	spm_query *q = NULL;
	int rc = spm_query_new(&q, x->db, kind);

	if (rc == SPM_OK)
		rc = spm_query_where_int(q, "pipeline_id", SPM_CMP_EQ, pipeline_id);
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, cb, x);
	spm_query_free(q);
	return rc;
}

int spm_opp_export(spm_db *db, int64_t pipeline_id, spm_opp_import_file file,
		   const spm_opp_import_options *opts, spm_csv_write_cb write, void *payload)
{
	spm_record *pipeline = NULL;
	struct ex *x;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(write);
	if (file != SPM_OPP_FILE_OPPORTUNITIES && file != SPM_OPP_FILE_HISTORY)
		return spm__error_set(SPM_EINVAL, "spm_opp_export writes opportunities or history, "
				      "not file %d", (int)file);
	if (opts && (opts->version < 1 || opts->version > SPM_OPP_IMPORT_OPTIONS_VERSION))
		return spm__error_set(SPM_EVERSION, "unknown spm_opp_import_options version %u",
				      (unsigned)opts->version);
	rc = spm_record_get(&pipeline, db, "pipeline", pipeline_id);
	spm_record_free(pipeline);
	if (rc == SPM_ENOTFOUND)
		return spm__error_set(SPM_ENOTFOUND, "pipeline %lld does not exist",
				      (long long)pipeline_id);
	if (rc != SPM_OK)
		return rc;
	x = spm__calloc(db, 1, sizeof(*x));
	if (x == NULL)
		return spm__error_oom();
	x->db = db;
	x->file = (int)file;
	x->stages.db = db;
	x->ext_field = opts && opts->external_id_field ? opts->external_id_field : "external_id";
	x->customer_field = opts && opts->customer_key_field ? opts->customer_key_field
							     : "external_id";
	x->user_field = opts && opts->user_key_field ? opts->user_key_field : "external_id";
	spm__csv_writer_init(&x->w, 0, write, payload);
	rc = run_query(x, "stage", pipeline_id, stage_row);
	if (rc == SPM_OK)
		rc = file == SPM_OPP_FILE_OPPORTUNITIES ? write_header(x, opp_header, OPP_COLUMNS)
							: write_header(x, his_header, HIS_COLUMNS);
	if (rc == SPM_OK)
		rc = run_query(x, "opportunity", pipeline_id, opportunity_row);
	spm__opp_keys_clear(&x->stages);
	spm__page_clear(db, &x->history);
	spm__free(db, x);
	return rc;
}
