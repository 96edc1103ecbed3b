/*
 * pipeline_gates: load a pipeline whose first stage has exit criteria, try
 * to move a deal that does not meet them (refused, with the unmet list),
 * fix the deal, and move it.
 *
 *   pipeline_gates           (in-memory database, fixed clock)
 */
#include <spm/spm.h>

#include <stdio.h>
#include <string.h>

/* 2026-03-01T09:00:00Z: a fixed clock makes every run print the same. */
static spm_time fixed_clock(void *payload)
{
	(void)payload;
	return 1772355600;
}

static const char pipeline_json[] =
	"{\"name\": \"New business\", \"allow_skip\": false, \"allow_back\": true,\n"
	" \"stages\": [\n"
	"  {\"name\": \"Qualify\", \"probability\": 10, \"forecast_category\": \"pipeline\",\n"
	"   \"required_fields\": [\"expected_close\"],\n"
	"   \"exit_criteria\": [{\"name\": \"budget\", \"rule\": \"amount >= 1000.00 CNY\"}]},\n"
	"  {\"name\": \"Propose\", \"probability\": 40, \"forecast_category\": \"best_case\"},\n"
	"  {\"name\": \"Won\", \"probability\": 100, \"forecast_category\": \"closed\","
	" \"outcome\": \"won\"},\n"
	"  {\"name\": \"Lost\", \"probability\": 0, \"forecast_category\": \"omitted\","
	" \"outcome\": \"lost\"}]}";

/* The id of the stage named name in pipeline, 0 if none. (Only some
 * fields are indexed for queries: filter by pipeline, compare names here.) */
static int64_t stage_id(spm_db *db, int64_t pipeline, const char *name)
{
	spm_query *q;
	spm_record_iter *it;
	const spm_record *r;
	const char *s;
	int64_t id = 0;

	if (spm_query_new(&q, db, "stage") != SPM_OK)
		return 0;
	if (spm_query_where_int(q, "pipeline_id", SPM_CMP_EQ, pipeline) == SPM_OK &&
	    spm_record_iter_new(&it, q) == SPM_OK) {
		while (!id && spm_record_iter_next(&r, it) == SPM_OK)
			if (spm_record_get_text(&s, r, "name") == SPM_OK && s && !strcmp(s, name))
				id = spm_record_id(r);
		spm_record_iter_free(it);
	}
	spm_query_free(q);
	return id;
}

static void print_unmet(const spm_gate_report *unmet)
{
	for (size_t i = 0; i < spm_gate_report_count(unmet); i++) {
		const char *name, *rule, *why;

		spm_gate_report_item(&name, &rule, &why, unmet, i);
		printf("  unmet %-24s %s\n", name, why);
	}
}

static const char *stage_of(spm_db *db, int64_t deal, char *buf, size_t size)
{
	spm_record *r;
	const char *status = "?";
	int64_t stage = 0;

	if (spm_record_get(&r, db, "opportunity", deal) == SPM_OK) {
		spm_record_get_int(&stage, r, "stage_id");
		spm_record_get_text(&status, r, "status");
		snprintf(buf, size, "stage %lld, status %s", (long long)stage, status);
		spm_record_free(r);
	}
	return buf;
}

int main(void)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_gate_report *unmet = NULL;
	spm_record *deal;
	spm_db *db;
	int64_t pipeline, propose, id;
	char buf[96];
	int rc;

	opts.path = ":memory:";
	opts.clock = fixed_clock;
	opts.actor = 0;  /* the system actor: setting up */
	if (spm_db_open(&db, &opts) != SPM_OK) {
		fprintf(stderr, "open: %s\n", spm_error_message());
		return 1;
	}

	/* A document with a typo is refused with its path; nothing is stored. */
	rc = spm_pipeline_load(&pipeline, db,
			       "{\"name\": \"Bad\", \"stages\": [{\"name\": \"A\", \"exit_criteria\":"
			       " [{\"name\": \"b\", \"rule\": \"amonut > 0\"}]}]}");
	printf("bad pipeline: %s: %s\n", spm_result_name(rc), spm_error_message());

	rc = spm_pipeline_load(&pipeline, db, pipeline_json);
	if (rc != SPM_OK) {
		fprintf(stderr, "load: %s\n", spm_error_message());
		return 1;
	}
	propose = stage_id(db, pipeline, "Propose");
	printf("pipeline %lld loaded; Qualify is stage %lld, Propose %lld\n", (long long)pipeline,
	       (long long)stage_id(db, pipeline, "Qualify"), (long long)propose);

	/* A deal of 999.99 CNY without an expected close date: it starts in
	 * the pipeline's first stage. */
	spm_record_new(&deal, db, "opportunity");
	spm_record_set_text(deal, "name", "Acme rollout");
	spm_record_set_int(deal, "pipeline_id", pipeline);
	spm_record_set_money(deal, "amount", 99999, "CNY");
	if (spm_record_save(db, deal) != SPM_OK) {
		fprintf(stderr, "save: %s\n", spm_error_message());
		return 1;
	}
	id = spm_record_id(deal);
	printf("deal %lld: %s\n", (long long)id, stage_of(db, id, buf, sizeof(buf)));

	/* Moving on is refused: SPM_EGATE with what is missing, and why. */
	rc = spm_opportunity_move(&unmet, db, id, propose, NULL);
	printf("move to Propose: %s\n", spm_result_name(rc));
	print_unmet(unmet);
	spm_gate_report_free(unmet);
	printf("deal %lld: %s\n", (long long)id, stage_of(db, id, buf, sizeof(buf)));

	/* Fix both, then the same move goes through. */
	spm_record_set_from_text(deal, "expected_close", "2026-04-30");
	spm_record_set_money(deal, "amount", 150000, "CNY");
	if (spm_record_save(db, deal) != SPM_OK) {
		fprintf(stderr, "save: %s\n", spm_error_message());
		return 1;
	}
	spm_record_free(deal);
	rc = spm_opportunity_move(&unmet, db, id, propose, NULL);
	printf("move to Propose: %s, %zu unmet\n", spm_result_name(rc),
	       spm_gate_report_count(unmet));
	spm_gate_report_free(unmet);
	printf("deal %lld: %s\n", (long long)id, stage_of(db, id, buf, sizeof(buf)));
	spm_db_close(db);
	return 0;
}
