/* The pipeline commands of the spm tool: load and export pipelines as JSON,
 * move deals through stage gates, show a deal's unmet criteria. */
#include "spm_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_help_pipeline[] =
	"  pipeline load FILE                  create a pipeline from a JSON document; print its id\n"
	"  pipeline export ID                  write a pipeline as a JSON document\n";

const char cli_help_opportunity[] =
	"  opportunity move ID STAGE [--override REASON]\n"
	"                                      move a deal; unmet criteria print as\n"
	"                                      NAME<TAB>RULE<TAB>WHY (exit 1 unless overridden)\n"
	"  opportunity gate ID                 print the unmet criteria of the deal's stage\n";

static int write_stdout(const char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : SPM_EUSER;
}

int cli_cmd_pipeline(struct ctx *c, int argc, char **argv)
{
	int64_t id = 0;
	char *doc;
	int rc;

	if (argc == 2 && strcmp(argv[0], "load") == 0) {
		doc = cli_read_file(argv[1], NULL);
		if (doc == NULL) {
			fprintf(stderr, "spm: pipeline load: cannot read %s\n", argv[1]);
			return EXIT_FAIL;
		}
		rc = cli_open_db(c, SPM_OPEN_CREATE) ? SPM_ERROR : spm_pipeline_load(&id, c->db, doc);
		free(doc);
		if (rc == SPM_ERROR)
			return EXIT_FAIL;
		if (rc != SPM_OK)
			return cli_fail("pipeline load", rc);
		printf("%lld\n", (long long)id);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "export") == 0) {
		if (!cli_parse_i64(&id, argv[1]) || id <= 0)
			return cli_usage("pipeline export: '%s' is not an id", argv[1]);
		if (cli_open_db(c, SPM_OPEN_READONLY))
			return EXIT_FAIL;
		rc = spm_pipeline_export(c->db, id, write_stdout, NULL);
		if (rc != SPM_OK)
			return cli_fail("pipeline export", rc);
		putchar('\n');
		return 0;
	}
	return cli_usage("pipeline needs: load FILE, or export ID", NULL);
}

static void print_report(const spm_gate_report *r)
{
	for (size_t i = 0; i < spm_gate_report_count(r); i++) {
		const char *name, *rule, *why;
		spm_gate_report_item(&name, &rule, &why, r, i);
		printf("%s\t%s\t%s\n", name, rule, why);
	}
}

int cli_cmd_opportunity(struct ctx *c, int argc, char **argv)
{
	spm_gate_report *unmet = NULL;
	const char *reason = NULL;
	int64_t id, stage = 0;
	int move, rc;

	move = argc >= 3 && strcmp(argv[0], "move") == 0;
	if (!move && !(argc == 2 && strcmp(argv[0], "gate") == 0))
		return cli_usage("opportunity needs: move ID STAGE [--override REASON], or gate ID",
				 NULL);
	if (!cli_parse_i64(&id, argv[1]) || id <= 0)
		return cli_usage("opportunity: '%s' is not an id", argv[1]);
	if (move && (!cli_parse_i64(&stage, argv[2]) || stage <= 0))
		return cli_usage("opportunity move: '%s' is not a stage id", argv[2]);
	if (move && argc == 5 && strcmp(argv[3], "--override") == 0)
		reason = argv[4];
	else if (move && argc != 3)
		return cli_usage("opportunity move: unexpected '%s'", argv[3]);
	if (cli_open_db(c, move ? SPM_OPEN_CREATE : SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = move ? spm_opportunity_move(&unmet, c->db, id, stage, reason)
		  : spm_opportunity_check_gate(&unmet, c->db, id);
	print_report(unmet);
	spm_gate_report_free(unmet);
	if (rc != SPM_OK)
		return cli_fail(move ? "opportunity move" : "opportunity gate", rc);
	return 0;
}
