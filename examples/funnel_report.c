/*
 * funnel_report: six deals move through a pipeline over a few days; then a
 * funnel and a win rate by owner are run with spm_report_run() and printed
 * as tables through the result getters (exact: money in minor units, ratios
 * in parts per million).
 *
 *   funnel_report            (in-memory database, a clock the program sets)
 */
#include <spm/spm.h>

#include <stdio.h>
#include <string.h>

/* The clock reads this variable; the program moves it forward. */
static spm_time now = 1772355600;  /* 2026-03-01T09:00:00Z */

static spm_time program_clock(void *payload)
{
	(void)payload;
	return now;
}

static const char pipeline_json[] =
	"{\"name\": \"New business\", \"allow_skip\": true, \"stages\": [\n"
	" {\"name\": \"Qualify\", \"probability\": 10, \"forecast_category\": \"pipeline\"},\n"
	" {\"name\": \"Propose\", \"probability\": 40, \"forecast_category\": \"best_case\"},\n"
	" {\"name\": \"Negotiate\", \"probability\": 70, \"forecast_category\": \"commit\"},\n"
	" {\"name\": \"Won\", \"probability\": 100, \"forecast_category\": \"closed\","
	" \"outcome\": \"won\"},\n"
	" {\"name\": \"Lost\", \"probability\": 0, \"forecast_category\": \"omitted\","
	" \"outcome\": \"lost\"}]}";

/* A deal owned by owner, of amount_minor CNY; returns its id, 0 on error. */
static int64_t deal(spm_db *db, int64_t pipeline, const char *name, int64_t owner,
		    int64_t amount_minor)
{
	spm_record *r;
	int64_t id = 0;
	int rc = spm_record_new(&r, db, "opportunity");

	if (rc == SPM_OK)
		rc = spm_record_set_text(r, "name", name);
	if (rc == SPM_OK)
		rc = spm_record_set_int(r, "pipeline_id", pipeline);
	if (rc == SPM_OK)
		rc = spm_record_set_int(r, "owner_id", owner);
	if (rc == SPM_OK)
		rc = spm_record_set_money(r, "amount", amount_minor, "CNY");
	if (rc == SPM_OK)
		rc = spm_record_set_text(r, "lost_reason", "price");  /* needed to lose */
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	if (rc == SPM_OK)
		id = spm_record_id(r);
	else
		fprintf(stderr, "deal %s: %s\n", name, spm_error_message());
	spm_record_free(r);
	return id;
}

/* Moves a deal through the stages listed (stage ids), one day apart. */
static int walk(spm_db *db, int64_t id, const int64_t *stages, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		spm_gate_report *unmet = NULL;
		int rc;

		now += 86400;
		rc = spm_opportunity_move(&unmet, db, id, stages[i], NULL);
		spm_gate_report_free(unmet);
		if (rc != SPM_OK) {
			fprintf(stderr, "move %lld: %s\n", (long long)id, spm_error_message());
			return rc;
		}
	}
	return SPM_OK;
}

/* Prints any result as a table: each cell by its column's type. */
static void print_table(const spm_result *res)
{
	size_t ncol = spm_result_column_count(res), nrow = spm_result_row_count(res);

	for (size_t c = 0; c < ncol; c++)
		printf("%-12s", spm_result_column_name(res, c));
	printf("\n");
	for (size_t row = 0; row < nrow; row++) {
		for (size_t c = 0; c < ncol; c++) {
			char cell[64] = "-";  /* an empty cell is NULL, never 0 */
			const char *text, *currency;
			int64_t v;

			if (spm_result_is_null(res, row, c)) {
				printf("%-12s", cell);
				continue;
			}
			switch (spm_result_column_type(res, c)) {
			case SPM_COLUMN_TEXT:
				spm_result_text(&text, res, row, c);
				snprintf(cell, sizeof(cell), "%s", text);
				break;
			case SPM_COLUMN_MONEY:
				spm_result_money(&v, &currency, res, row, c);
				spm_money_format(cell, sizeof(cell), v, currency);
				snprintf(cell + strlen(cell), sizeof(cell) - strlen(cell), " %s", currency);
				break;
			case SPM_COLUMN_RATIO:  /* parts per million, shown as a percentage */
				spm_result_int(&v, res, row, c);
				snprintf(cell, sizeof(cell), "%lld.%04lld%%", (long long)(v / 10000),
					 (long long)(v % 10000));
				break;
			case SPM_COLUMN_DATE:
				spm_result_int(&v, res, row, c);
				spm_date_format(cell, sizeof(cell), (spm_date)v);
				break;
			default:
				spm_result_int(&v, res, row, c);
				snprintf(cell, sizeof(cell), "%lld", (long long)v);
			}
			printf("%-12s", cell);
		}
		printf("\n");
	}
}

static int report(spm_db *db, const char *json)
{
	spm_result *res;
	int rc = spm_report_run(&res, db, json);

	printf("\n%s\n", json);
	if (rc != SPM_OK) {
		printf("%s: %s\n", spm_result_name(rc), spm_error_message());
		return rc;
	}
	print_table(res);
	spm_result_free(res);
	return SPM_OK;
}

int main(void)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_record *u;
	spm_db *db;
	int64_t pipeline, d[6];
	/* Stage ids of a fresh database, in the document's order. */
	enum { QUALIFY = 1, PROPOSE, NEGOTIATE, WON, LOST };
	char json[256];

	opts.path = ":memory:";
	opts.clock = program_clock;
	opts.actor = 0;  /* the system actor: sets up and moves every deal */
	if (spm_db_open(&db, &opts) != SPM_OK || spm_pipeline_load(&pipeline, db, pipeline_json)) {
		fprintf(stderr, "setup: %s\n", spm_error_message());
		return 1;
	}
	/* A role, and two owners with it: users 1 (An) and 2 (Bo). */
	for (int i = 0; i < 3; i++) {
		int rc = spm_record_new(&u, db, i == 0 ? "role" : "user");

		if (rc == SPM_OK)
			rc = spm_record_set_text(u, "name", (const char *[]){ "rep", "An", "Bo" }[i]);
		if (rc == SPM_OK)
			rc = i == 0 ? spm_record_set_int(u, "scope", 1) : spm_record_set_int(u, "role_id", 1);
		if (rc == SPM_OK && i > 0)
			rc = spm_record_set_bool(u, "active", 1);
		if (rc == SPM_OK)
			rc = spm_record_save(db, u);
		spm_record_free(u);
		if (rc != SPM_OK) {
			fprintf(stderr, "setup: %s\n", spm_error_message());
			return 1;
		}
	}

	d[0] = deal(db, pipeline, "Acme", 1, 1200000);
	d[1] = deal(db, pipeline, "Globex", 1, 800000);
	d[2] = deal(db, pipeline, "Initech", 1, 300000);
	d[3] = deal(db, pipeline, "Umbrella", 2, 2500000);
	d[4] = deal(db, pipeline, "Hooli", 2, 450000);
	d[5] = deal(db, pipeline, "Stark", 2, 990000);
	{
		const int64_t won[] = { PROPOSE, NEGOTIATE, WON };
		const int64_t lost_late[] = { PROPOSE, LOST };
		const int64_t lost_early[] = { LOST };
		const int64_t propose[] = { PROPOSE };

		if (walk(db, d[0], won, 3) || walk(db, d[1], lost_late, 2) ||
		    walk(db, d[2], propose, 1) || walk(db, d[3], won, 3) ||
		    walk(db, d[4], lost_early, 1))
			return 1;
		/* d[5] stays in Qualify. */
	}

	snprintf(json, sizeof(json), "{\"query\": \"funnel\", \"pipeline\": %lld, "
		 "\"funnel\": \"reached\"}", (long long)pipeline);
	report(db, json);
	report(db, "{\"query\": \"win_rate\", \"group_by\": \"owner\"}");
	/* A mistake names where it is. */
	report(db, "{\"query\": \"win_rate\", \"group_by\": \"colour\"}");
	spm_db_close(db);
	return 0;
}
