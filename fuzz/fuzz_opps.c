/* libFuzzer target for the opportunity import (CSV files from other CRMs,
 * TESTING.md §D): cells are parsed as money, dates, times, probabilities
 * and references, so every file must be imported or refused cleanly.
 *
 * The first byte selects options (bit 0: skip bad rows, bit 1: M/D/Y dates,
 * bit 2: create unknown stages, bit 3: lenient references); the rest is the
 * opportunities file, optionally followed by a line "%%" and the history
 * file, and by another such line and the line items file. The database is a fresh copy of a small company (a pipeline whose
 * stages are named like Salesforce's, users and accounts with external ids).
 * Checks:
 *  1. a dry run and the real import return the same status and counts
 *     (what the write would refuse is a bad row in both);
 *  2. the status is SPM_OK or a documented refusal with a message;
 *  3. a refused import (all or nothing) stores nothing;
 *  4. an accepted import without created stages exports, the export imports
 *     into another fresh copy, and that copy exports the same text;
 *  5. nothing allocated through the handles stays live.
 * Linked with replay_main.c it is a plain program that replays files and
 * directories of inputs (the corpus replay in every CI run). */
#include "spm/spm.h"
#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *input;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_opps: %s: %s\n  input: %s\n  error: %s\n", what,
		detail ? detail : "", input, spm_error_message());
	abort();
}

static const char pipeline_doc[] =
	"{\"name\":\"Sales\",\"allow_skip\":true,\"allow_back\":true,\"stages\":["
	"{\"name\":\"Prospecting\",\"probability\":10},"
	"{\"name\":\"Qualification\",\"probability\":20},"
	"{\"name\":\"Closed Won\",\"probability\":100,\"outcome\":\"won\"},"
	"{\"name\":\"Closed Lost\",\"probability\":0,\"outcome\":\"lost\"}]}";

static void make_company(const char *path)
{
	spm_db *db = fuzz_open_file(path);
	int64_t p;

	fuzz_must(spm_field_add(db, "user", "external_id", SPM_FIELD_TEXT, NULL), "field");
	fuzz_must(spm_field_add(db, "customer", "external_id", SPM_FIELD_TEXT, NULL), "field");
	fuzz_must(spm_field_add(db, "opportunity", "external_id", SPM_FIELD_TEXT, NULL), "field");
	FUZZ_ADD(db, "role", "name", "admin", "scope", "3", "actions", "*");
	FUZZ_ADD(db, "user", "name", "Ann", "role_id", "1", "active", "true", "external_id", "005A");
	FUZZ_ADD(db, "user", "name", "Bo", "role_id", "1", "active", "true", "external_id", "005B");
	FUZZ_ADD(db, "customer", "name", "Acme", "external_id", "001A");
	FUZZ_ADD(db, "customer", "name", "Bolt", "external_id", "001B");
	fuzz_must(spm_pipeline_load(&p, db, pipeline_doc), "pipeline");
	spm_db_close(db);
}

static struct fuzz_image company;

static spm_db *open_company(void)
{
	return fuzz_open_file(fuzz_image_copy(&company, "opps", make_company));
}

#define NCOUNTS 18  /* 6 per file: the counts, then stages created and problems */

/* Imports into a fresh copy; *counts gets rows, bad and created of the
 * files. Returns the status; the handle stays open in *out_db. */
static int import(spm_db **out_db, size_t counts[NCOUNTS], const char *opps, size_t opps_len,
		  const char *hist, size_t hist_len, const char *items, size_t items_len,
		  const spm_opp_import_options *o)
{
	spm_opp_import_report *r = NULL;
	spm_db *db = open_company();
	int rc = spm_opp_import(&r, db, opps, opps_len, hist, hist_len, items, items_len, o);

	if (rc != SPM_OK && rc != SPM_EINVAL && rc != SPM_ENOTFOUND && rc != SPM_ERANGE)
		fail("unexpected status", spm_result_name(rc));
	if (rc != SPM_OK && spm_error_message()[0] == '\0')
		fail("an error without a message", NULL);
	for (int f = 0; f < 3; f++)
		for (int c = 0; c < 5; c++)
			if (c != SPM_OPP_COUNT_UNCHANGED)
				counts[f * 6 + c] = spm_opp_import_report_count(
					r, (spm_opp_import_file)f, (spm_opp_import_count)c);
	counts[5] = spm_opp_import_report_stages_created(r);
	counts[11] = spm_opp_import_report_problems(r);
	spm_opp_import_report_free(r);
	*out_db = db;
	return rc;
}

/* Deals, history or stages beyond the company's four. */
static int stored_anything(spm_db *db)
{
	return fuzz_count(db, "opportunity") || fuzz_count(db, "stage_history") ||
	       fuzz_count(db, "stage") != 4;
}

static void export_both(struct fuzz_text *opps, struct fuzz_text *hist, spm_db *db)
{
	fuzz_must(spm_opp_export(db, 1, SPM_OPP_FILE_OPPORTUNITIES, NULL, fuzz_collect, opps),
	     "export opportunities");
	fuzz_must(spm_opp_export(db, 1, SPM_OPP_FILE_HISTORY, NULL, fuzz_collect, hist),
	     "export history");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1 << 16];
	spm_opp_import_options o = SPM_OPP_IMPORT_OPTIONS_INIT;
	struct fuzz_text e1 = { NULL, 0 }, h1 = { NULL, 0 }, e2 = { NULL, 0 }, h2 = { NULL, 0 };
	size_t dry[NCOUNTS] = { 0 }, real[NCOUNTS] = { 0 }, again[NCOUNTS] = { 0 };
	const char *hist = NULL, *items = NULL, *cut;
	size_t opps_len, hist_len = 0, items_len = 0;
	spm_db *db, *copy;
	int rc_dry, rc;
	unsigned flags;

	if (size == 0)
		return 0;
	flags = data[0];
	size--;
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data + 1, size);
	buf[size] = '\0';
	input = buf;
	opps_len = size;
	cut = strstr(buf, "\n%%\n");
	if (cut) {
		opps_len = (size_t)(cut - buf) + 1;
		hist = cut + 4;
		hist_len = size - (size_t)(hist - buf);
		cut = strstr(hist, "\n%%\n");
		if (cut) {
			hist_len = (size_t)(cut - hist) + 1;
			items = cut + 4;
			items_len = size - (size_t)(items - buf);
		}
	}
	o.pipeline_id = 1;
	o.currency = "USD";
	o.mode = flags & 1 ? SPM_CSV_SKIP_BAD_ROWS : SPM_CSV_ALL_OR_NOTHING;
	o.date_order = flags & 2 ? SPM_OPP_DATES_MDY : SPM_OPP_DATES_ISO;
	o.flags = (flags & 4 ? SPM_OPP_IMPORT_CREATE_STAGES : 0) |
		  (flags & 8 ? SPM_OPP_IMPORT_LENIENT_REFS : 0);

	o.dry_run = 1;
	rc_dry = import(&db, dry, buf, opps_len, hist, hist_len, items, items_len, &o);
	if (stored_anything(db))
		fail("a dry run stored something", NULL);
	spm_db_close(db);
	o.dry_run = 0;
	rc = import(&db, real, buf, opps_len, hist, hist_len, items, items_len, &o);
	if (rc != rc_dry)
		fail("the dry run and the import disagree on the status", spm_result_name(rc));
	for (int i = 0; i < NCOUNTS; i++)
		if (i % 6 != 2 && i != 5 && dry[i] != real[i])
			fail("the dry run and the import disagree on a count", NULL);
	if (rc != SPM_OK && stored_anything(db))
		fail("a refused import stored something", NULL);
	if (rc == SPM_OK && real[5] == 0) {
		export_both(&e1, &h1, db);
		o.mode = SPM_CSV_ALL_OR_NOTHING;
		o.date_order = SPM_OPP_DATES_ISO;
		o.flags = 0;
		if (import(&copy, again, e1.p ? e1.p : "", e1.len, h1.p, h1.len, NULL, 0, &o) !=
		    SPM_OK)
			fail("the export does not import", e1.p);
		export_both(&e2, &h2, copy);
		if (strcmp(e1.p ? e1.p : "", e2.p ? e2.p : "") != 0 ||
		    strcmp(h1.p ? h1.p : "", h2.p ? h2.p : "") != 0)
			fail("the copy exports differently", e2.p);
		spm_db_close(copy);
	}
	spm_db_close(db);
	free(e1.p);
	free(h1.p);
	free(e2.p);
	free(h2.p);
	if (fuzz_live != 0)
		fail("an allocation is left live", NULL);
	return 0;
}

/* Called by replay_main.c after the last input. */
void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
	fuzz_image_free(&company);
}
