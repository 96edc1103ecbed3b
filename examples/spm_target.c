/* spm target …: exact splits, decomposition plans, progress as CSV, and JSON
 * export and import of targets (include/spm/target.h). Targets themselves
 * are records: `spm record add target metric=… reason=…`. */
#include "spm_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_help_target[] =
	"  target split TOTAL WEIGHT...        split TOTAL exactly by the weights, one part a line\n"
	"  target decompose ID PLAN REASON     decompose target ID by the JSON plan; print\n"
	"                                      kind, ref, period start, value, child id (TSV)\n"
	"  target decompose-tree ID PLAN REASON  decompose team target ID down the whole org\n"
	"                                      tree in one transaction; print every level's\n"
	"                                      children as decompose does\n"
	"  target progress ID DATE             progress of every node under target ID (CSV)\n"
	"  target export                       write every visible target as JSON\n"
	"  target import FILE REASON           create the targets of a JSON file; print the count\n";

static int out(const char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : SPM_EUSER;
}

static int split(int argc, char **argv)
{
	int64_t total, *w, *parts;
	int n = argc - 1, rc;

	if (argc < 2 || !cli_parse_i64(&total, argv[0]))
		return cli_usage("target split needs TOTAL WEIGHT... (integers)", NULL);
	w = calloc((size_t)n, sizeof(*w));
	parts = calloc((size_t)n, sizeof(*parts));
	if (w == NULL || parts == NULL) {
		free(w);
		free(parts);
		return cli_fail("target split", SPM_ENOMEM);
	}
	for (int i = 0; i < n; i++)
		if (!cli_parse_i64(&w[i], argv[i + 1])) {
			free(w);
			free(parts);
			return cli_usage("target split: '%s' is not an integer weight", argv[i + 1]);
		}
	rc = spm_target_split(parts, total, w, (size_t)n);
	for (int i = 0; rc == SPM_OK && i < n; i++)
		printf("%lld\n", (long long)parts[i]);
	free(w);
	free(parts);
	return rc == SPM_OK ? 0 : cli_fail("target split", rc);
}

static int print_part(const spm_target_part *p, void *payload)
{
	char day[SPM_DATE_FORMAT_MAX];

	(void)payload;
	spm_date_format(day, sizeof(day), p->period_start);
	printf("%s\t%lld\t%s\t%lld\t%lld\n", p->owner_kind, (long long)p->owner_ref, day,
	       (long long)p->value, (long long)p->target_id);
	return 0;
}

static int decompose(struct ctx *c, int argc, char **argv)
{
	int64_t id, w[1024], r[120], imbalance = 0;
	spm_target_plan plan;
	int rc;

	if (argc != 3)
		return cli_usage("target decompose needs ID PLAN REASON", NULL);
	if (!cli_parse_i64(&id, argv[0]))
		return cli_usage("target decompose: '%s' is not an id", argv[0]);
	rc = spm_target_plan_from_json(&plan, w, 1024, r, 120, argv[1]);
	if (rc != SPM_OK)
		return cli_fail("plan", rc);
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_target_decompose(&imbalance, c->db, id, &plan, argv[2], print_part, NULL);
	if (rc == SPM_OK && imbalance != 0)
		fprintf(stderr, "spm: target decompose: imbalance %lld\n", (long long)imbalance);
	return rc == SPM_OK ? 0 : cli_fail("target decompose", rc);
}

static int decompose_tree(struct ctx *c, int argc, char **argv)
{
	int64_t id, w[64], r[120];
	spm_target_plan plan;
	int rc;

	if (argc != 3)
		return cli_usage("target decompose-tree needs ID PLAN REASON", NULL);
	if (!cli_parse_i64(&id, argv[0]))
		return cli_usage("target decompose-tree: '%s' is not an id", argv[0]);
	rc = spm_target_plan_from_json(&plan, w, 64, r, 120, argv[1]);
	if (rc != SPM_OK)
		return cli_fail("plan", rc);
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_target_decompose_tree(NULL, c->db, id, &plan, argv[2], print_part, NULL);
	return rc == SPM_OK ? 0 : cli_fail("target decompose-tree", rc);
}

static int progress(struct ctx *c, int argc, char **argv)
{
	spm_date on;
	int64_t id;
	int rc;

	if (argc != 2)
		return cli_usage("target progress needs ID DATE", NULL);
	if (!cli_parse_i64(&id, argv[0]))
		return cli_usage("target progress: '%s' is not an id", argv[0]);
	if (spm_date_parse(&on, argv[1]) != SPM_OK)
		return cli_usage("target progress: '%s' is not a date (YYYY-MM-DD)", argv[1]);
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_target_progress_csv(c->db, id, on, out, NULL);
	return rc == SPM_OK ? 0 : cli_fail("target progress", rc);
}

static int import(struct ctx *c, int argc, char **argv)
{
	char *text;
	size_t n = 0;
	int rc;

	if (argc != 2)
		return cli_usage("target import needs FILE REASON", NULL);
	text = cli_read_file(argv[0], NULL);
	if (text == NULL) {
		fprintf(stderr, "spm: %s: cannot read\n", argv[0]);
		return EXIT_FAIL;
	}
	rc = cli_open_db(c, 0) ? SPM_ESTORAGE : SPM_OK;
	if (rc == SPM_OK) {
		rc = spm_target_import_json(&n, c->db, text, argv[1]);
		if (rc == SPM_OK)
			printf("%zu\n", n);
		else
			cli_fail("target import", rc);
	}
	free(text);
	return rc == SPM_OK ? 0 : EXIT_FAIL;
}

int cli_cmd_target(struct ctx *c, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "split") == 0)
		return split(argc - 1, argv + 1);
	if (strcmp(sub, "decompose") == 0)
		return decompose(c, argc - 1, argv + 1);
	if (strcmp(sub, "decompose-tree") == 0)
		return decompose_tree(c, argc - 1, argv + 1);
	if (strcmp(sub, "progress") == 0)
		return progress(c, argc - 1, argv + 1);
	if (strcmp(sub, "import") == 0)
		return import(c, argc - 1, argv + 1);
	if (strcmp(sub, "export") == 0) {
		int rc;

		if (argc != 1)
			return cli_usage("target export takes no arguments", NULL);
		if (cli_open_db(c, 0))
			return EXIT_FAIL;
		rc = spm_target_export_json(c->db, out, NULL);
		if (rc == SPM_OK)
			putchar('\n');
		return rc == SPM_OK ? 0 : cli_fail("target export", rc);
	}
	return cli_usage("target needs a subcommand: split, decompose, decompose-tree, progress, export or import",
			 NULL);
}
