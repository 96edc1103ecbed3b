/* libFuzzer target for pipeline documents (JSON config, TESTING.md §D).
 *
 * The input is a JSON document for spm_pipeline_load() on a fresh
 * in-memory database. Checks:
 *  1. the call returns SPM_OK or SPM_EINVAL with a message;
 *  2. a refused document stores nothing (no pipeline, no stage);
 *  3. round trip: an accepted document, exported, loads into another fresh
 *     database and exports to the same text;
 *  4. nothing allocated through the handles stays live.
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
	fprintf(stderr, "fuzz_pipeline: %s\n  input: %s\n  error: %s\n", what, text,
		spm_error_message());
	abort();
}

static spm_db *open_memory(void)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;

	o.malloc_fn = fuzz_malloc;
	o.realloc_fn = fuzz_realloc;
	o.free_fn = fuzz_free;
	if (spm_db_open(&db, &o) != SPM_OK)
		abort();
	return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char doc[1 << 16];
	struct fuzz_text first = { NULL, 0 }, second = { NULL, 0 };
	spm_db *a, *b;
	int64_t id = 0, id2 = 0;
	int rc;

	if (size >= sizeof(doc))
		size = sizeof(doc) - 1;
	memcpy(doc, data, size);
	doc[size] = '\0';
	a = open_memory();
	rc = spm_pipeline_load(&id, a, doc);
	if (rc != SPM_OK && rc != SPM_EINVAL)
		fail("unexpected status", spm_result_name(rc));
	if (rc != SPM_OK && spm_error_message()[0] == '\0')
		fail("an error without a message", doc);
	if (rc != SPM_OK && (id != 0 || fuzz_count(a, "pipeline") || fuzz_count(a, "stage")))
		fail("a refused document stored something", doc);
	if (rc == SPM_OK) {
		if (spm_pipeline_export(a, id, fuzz_collect, &first) != SPM_OK)
			fail("export failed", doc);
		b = open_memory();
		if (spm_pipeline_load(&id2, b, first.p) != SPM_OK)
			fail("the export does not load", first.p);
		if (spm_pipeline_export(b, id2, fuzz_collect, &second) != SPM_OK)
			fail("export of the copy failed", first.p);
		if (strcmp(first.p, second.p) != 0)
			fail("the copy exports differently", first.p);
		spm_db_close(b);
	}
	spm_db_close(a);
	free(first.p);
	free(second.p);
	if (fuzz_live != 0)
		fail("an allocation is left live", doc);
	return 0;
}

/* Called by replay_main.c after the last input. */
void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
	/* nothing is kept between inputs */
}
