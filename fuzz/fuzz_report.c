/* libFuzzer target for report definitions (JSON, TESTING.md §D): saved
 * reports are data a host stores and users edit, so every definition must
 * be either run or refused cleanly.
 *
 * The input is a definition for spm_report_run() on a fresh copy of a
 * database file holding a small company (a pipeline, deals with stage history
 * and line items, custom fields of every type, a team, leads, activities).
 * Checks:
 *  1. the call returns SPM_OK or a documented refusal with a message, and
 *     no result on failure;
 *  2. an accepted definition gives a result whose every cell reads back by
 *     its column's type, and that exports to CSV and JSON;
 *  3. a definition that runs also saves, and the saved report gives the
 *     same CSV;
 *  4. nothing allocated through the handle stays live.
 * Linked with replay_main.c it is a plain program that replays files and
 * directories of inputs (the corpus replay in every CI run). */
#include "spm/spm.h"

#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_report: %s\n  input: %s\n  error: %s\n", what, text,
		spm_error_message());
	abort();
}

static const char pipeline_doc[] =
	"{\"name\":\"New\",\"allow_skip\":true,\"allow_back\":true,\"stages\":["
	"{\"name\":\"Qualify\",\"probability\":10},"
	"{\"name\":\"Propose\",\"probability\":50},"
	"{\"name\":\"Won\",\"probability\":100,\"outcome\":\"won\"},"
	"{\"name\":\"Lost\",\"probability\":0,\"outcome\":\"lost\"}]}";

/* Writes the company every input runs against into path. */
static void make_company(const char *path)
{
	spm_db *db = fuzz_open_file(path);
	int64_t p, deal[4];

	fuzz_must(spm_field_add(db, "opportunity", "segment", SPM_FIELD_TEXT, NULL), "field");
	fuzz_must(spm_field_add(db, "opportunity", "budget", SPM_FIELD_MONEY, NULL), "field");
	fuzz_must(spm_field_add(db, "opportunity", "signed_on", SPM_FIELD_DATE, NULL), "field");
	fuzz_must(spm_field_add(db, "opportunity", "product", SPM_FIELD_TEXT, NULL), "field");
	FUZZ_ADD(db, "role", "name", "admin", "scope", "3", "actions", "*");
	FUZZ_ADD(db, "user", "name", "Mo", "role_id", "1", "active", "true");
	FUZZ_ADD(db, "user", "name", "Ann", "role_id", "1", "active", "true");
	FUZZ_ADD(db, "user", "name", "Bo", "role_id", "1", "active", "true");
	FUZZ_ADD(db, "team", "name", "Sales", "manager_id", "1");
	FUZZ_ADD(db, "team", "name", "East", "parent_id", "1");
	FUZZ_ADD(db, "membership", "user_id", "2", "team_id", "2", "valid_from", "2025-01-01");
	FUZZ_ADD(db, "membership", "user_id", "3", "team_id", "1", "valid_from", "2026-01-01");
	FUZZ_ADD(db, "customer", "name", "Acme", "industry", "retail", "level", "A");
	fuzz_must(spm_pipeline_load(&p, db, pipeline_doc), "pipeline");
	deal[0] = FUZZ_ADD(db, "opportunity", "name", "D1", "pipeline_id", "1", "stage_id", "1",
		      "owner_id", "2", "customer_id", "1", "amount", "1000.00 CNY", "segment",
		      "SMB", "budget", "5.00 USD", "signed_on", "2026-02-01", "product", "Kiosk",
		      "expected_close", "2026-04-01", "source", "web");
	deal[1] = FUZZ_ADD(db, "opportunity", "name", "D2", "pipeline_id", "1", "stage_id", "1",
		      "owner_id", "3", "amount", "250.50 CNY", "segment", "ENT", "lost_reason", "price");
	deal[2] = FUZZ_ADD(db, "opportunity", "name", "D3", "pipeline_id", "1", "stage_id", "1");
	deal[3] = FUZZ_ADD(db, "opportunity", "name", "D4", "pipeline_id", "1", "stage_id", "1",
		      "owner_id", "2", "amount", "0.01 CNY");
	FUZZ_ADD(db, "line_item", "opportunity_id", "1", "product", "CRM", "quantity", "2",
	    "unit_price", "500.00 CNY");
	fuzz_must(spm_opportunity_move(NULL, db, deal[0], 2, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[0], 3, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[1], 4, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[3], 2, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[3], 1, NULL), "move");
	FUZZ_ADD(db, "lead", "company", "L1", "source", "web", "owner_id", "2");
	FUZZ_ADD(db, "lead", "company", "L2", "source", "fair");
	FUZZ_ADD(db, "activity", "type", "call", "at", "1772000000", "owner_id", "2",
	    "lead_id", "1");
	(void)deal[2];
	spm_db_close(db);
}

static struct fuzz_image company;

static spm_db *open_company(void)
{
	return fuzz_open_file(fuzz_image_copy(&company, "report", make_company));
}

/* Every cell reads back by its column's type; an empty cell is NULL. */
static void check_cells(const spm_result *res, const char *doc)
{
	size_t cols = spm_result_column_count(res);

	if (cols == 0)
		fail("a result without columns", doc);
	for (size_t c = 0; c < cols; c++) {
		size_t back;

		if (spm_result_column_name(res, c) == NULL ||
		    spm_result_column_index(&back, res, spm_result_column_name(res, c)) != SPM_OK)
			fail("a column without a name", doc);
	}
	if (!fuzz_cells_read_by_type(res))
		fail("a cell does not read by its column's type", doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char doc[1 << 16];
	struct fuzz_text csv = { NULL, 0 }, json = { NULL, 0 }, saved = { NULL, 0 };
	spm_result *res = (spm_result *)&fuzz_live, *again = NULL;
	spm_db *db;
	int rc;

	if (size >= sizeof(doc))
		size = sizeof(doc) - 1;
	memcpy(doc, data, size);
	doc[size] = '\0';
	db = open_company();
	rc = spm_report_run(&res, db, doc);
	if (rc != SPM_OK) {
		if (rc != SPM_EINVAL && rc != SPM_ENOTFOUND && rc != SPM_ECURRENCY &&
		    rc != SPM_EOVERFLOW && rc != SPM_ERANGE)
			fail("unexpected status", spm_result_name(rc));
		if (spm_error_message()[0] == '\0')
			fail("an error without a message", doc);
		if (res != NULL)
			fail("a result on failure", doc);
	} else {
		check_cells(res, doc);
		if (spm_result_csv(res, fuzz_collect, &csv) != SPM_OK ||
		    spm_result_json(res, fuzz_collect, &json) != SPM_OK)
			fail("export failed", doc);
		if (spm_report_save(db, "fuzz", doc) != SPM_OK)
			fail("a definition that runs does not save", doc);
		if (spm_report_run_saved(&again, db, "fuzz") != SPM_OK ||
		    spm_result_csv(again, fuzz_collect, &saved) != SPM_OK)
			fail("the saved report does not run", doc);
		if ((csv.p == NULL) != (saved.p == NULL) ||
		    (csv.p && strcmp(csv.p, saved.p) != 0))
			fail("the saved report gives another result", doc);
		spm_result_free(again);
		spm_result_free(res);
	}
	spm_db_close(db);
	free(csv.p);
	free(json.p);
	free(saved.p);
	if (fuzz_live != 0)
		fail("an allocation is left live", doc);
	return 0;
}

/* Called by replay_main.c after the last input. */
void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
	fuzz_image_free(&company);
}
