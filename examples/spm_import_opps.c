/* spm opps: import opportunities, stage history and line items from CSV
 * (a Salesforce export by default), and export them in the same layout. */
#include "spm_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_help_import_opps[] =
	"  opps import --pipeline ID OPPS.csv [--history FILE] [--line-items FILE]\n"
	"       [--currency CUR] [--dates iso|mdy|dmy] [--create-stages] [--lenient]\n"
	"       [--dry-run] [--skip-bad-rows] [--map-opportunities|--map-history|\n"
	"       --map-line-items MAPFILE] [--customer-key FIELD] [--user-key FIELD]\n"
	"       [--external-id FIELD]         import opportunities with their stage history\n"
	"                                      (Salesforce headers unless mapped: 'header=target';\n"
	"                                      accounts and owners found by the key fields,\n"
	"                                      default external_id)\n"
	"  opps export --pipeline ID opportunities|history\n"
	"                                      write them as CSV in the Salesforce layout\n";

static const char *const file_names[] = { "opportunities", "history", "line items" };

static void print_report(const spm_opp_import_report *r)
{
	for (int f = 0; f < 3; f++)
		printf("%s: rows %zu, created %zu, updated %zu, unchanged %zu, bad %zu\n",
		       file_names[f], spm_opp_import_report_count(r, f, SPM_OPP_COUNT_ROWS),
		       spm_opp_import_report_count(r, f, SPM_OPP_COUNT_CREATED),
		       spm_opp_import_report_count(r, f, SPM_OPP_COUNT_UPDATED),
		       spm_opp_import_report_count(r, f, SPM_OPP_COUNT_UNCHANGED),
		       spm_opp_import_report_count(r, f, SPM_OPP_COUNT_BAD));
	if (spm_opp_import_report_stages_created(r))
		printf("stages created: %zu\n", spm_opp_import_report_stages_created(r));
	for (size_t i = 0; i < spm_opp_import_report_problems(r); i++) {
		const char *msg, *column;
		spm_opp_import_file file;
		size_t line;
		int warning;

		if (spm_opp_import_report_problem(&msg, &file, &line, &column, &warning, r, i) ==
		    SPM_OK)
			printf("%s%s line %zu%s%s: %s\n", warning ? "warning: " : "",
			       file_names[file], line, column ? ", column " : "",
			       column ? column : "", msg);
	}
}

struct inputs {
	char *data[3];
	size_t len[3];
	char *maps[3];
	const char **pairs[3];
};

static void inputs_free(struct inputs *in)
{
	for (int f = 0; f < 3; f++) {
		free(in->data[f]);
		free(in->maps[f]);
		free(in->pairs[f]);
	}
}

static int load(struct inputs *in, int f, const char *path, spm_opp_import_options *o,
		int is_map)
{
	size_t len = 0;

	if (!is_map) {
		in->data[f] = cli_read_file(path, &in->len[f]);
		if (in->data[f] != NULL)
			return 0;
		fprintf(stderr, "spm: opps import: cannot read %s\n", path);
		return EXIT_FAIL;
	}
	in->maps[f] = cli_read_file(path, &len);
	if (in->maps[f] == NULL || !cli_parse_map(in->maps[f], &in->pairs[f], &o->nmapping[f])) {
		fprintf(stderr, "spm: opps import: cannot read the mapping file %s (lines 'CSV "
			"header=target')\n", path);
		return EXIT_FAIL;
	}
	o->mapping[f] = in->pairs[f];
	return 0;
}

static int pipeline_arg(int64_t *out, const char *text)
{
	if (cli_parse_i64(out, text) && *out > 0)
		return 1;
	cli_usage("--pipeline needs a pipeline id, not '%s'", text);
	return 0;
}

static int opps_import(struct ctx *c, int argc, char **argv)
{
	static const char *const map_opts[] = { "--map-opportunities", "--map-history",
						"--map-line-items" };
	spm_opp_import_options o = SPM_OPP_IMPORT_OPTIONS_INIT;
	spm_opp_import_report *report = NULL;
	struct inputs in;
	const char *opps = NULL;
	int rc, status = 0;

	memset(&in, 0, sizeof(in));
	for (int i = 0; i < argc && status == 0; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int known = 1;

		if (strcmp(a, "--dry-run") == 0)
			o.dry_run = 1;
		else if (strcmp(a, "--skip-bad-rows") == 0)
			o.mode = SPM_CSV_SKIP_BAD_ROWS;
		else if (strcmp(a, "--create-stages") == 0)
			o.flags |= SPM_OPP_IMPORT_CREATE_STAGES;
		else if (strcmp(a, "--lenient") == 0)
			o.flags |= SPM_OPP_IMPORT_LENIENT_REFS;
		else if (a[0] != '-' && opps == NULL)
			opps = a;
		else
			known = 0;
		if (known)
			continue;
		if (strncmp(a, "--", 2) != 0 || v == NULL) {
			status = a[0] == '-' ? cli_usage(strncmp(a, "--", 2) == 0 ? "%s needs a value"
							  : "opps import: unknown option '%s'", a)
					     : cli_usage("opps import: unexpected argument '%s'", a);
			break;
		}
		i++;
		if (strcmp(a, "--pipeline") == 0) {
			if (!pipeline_arg(&o.pipeline_id, v))
				status = EXIT_USAGE;
		} else if (strcmp(a, "--history") == 0) {
			status = load(&in, SPM_OPP_FILE_HISTORY, v, &o, 0);
		} else if (strcmp(a, "--line-items") == 0) {
			status = load(&in, SPM_OPP_FILE_LINE_ITEMS, v, &o, 0);
		} else if (strcmp(a, "--currency") == 0) {
			o.currency = v;
		} else if (strcmp(a, "--customer-key") == 0) {
			o.customer_key_field = v;
		} else if (strcmp(a, "--user-key") == 0) {
			o.user_key_field = v;
		} else if (strcmp(a, "--external-id") == 0) {
			o.external_id_field = v;
		} else if (strcmp(a, "--dates") == 0) {
			if (strcmp(v, "iso") == 0)
				o.date_order = SPM_OPP_DATES_ISO;
			else if (strcmp(v, "mdy") == 0)
				o.date_order = SPM_OPP_DATES_MDY;
			else if (strcmp(v, "dmy") == 0)
				o.date_order = SPM_OPP_DATES_DMY;
			else
				status = cli_usage("--dates is iso, mdy or dmy, not '%s'", v);
		} else {
			int f = 0;

			while (f < 3 && strcmp(a, map_opts[f]) != 0)
				f++;
			status = f < 3 ? load(&in, f, v, &o, 1)
				       : cli_usage("opps import: unknown option '%s'", a);
		}
	}
	if (status == 0 && (opps == NULL || o.pipeline_id == 0))
		status = cli_usage("opps import needs --pipeline ID and the opportunities file%s", "");
	if (status == 0)
		status = load(&in, SPM_OPP_FILE_OPPORTUNITIES, opps, &o, 0);
	if (status == 0)
		status = cli_open_db(c, 0);
	if (status == 0) {
		rc = spm_opp_import(&report, c->db, in.data[0], in.len[0], in.data[1], in.len[1],
				    in.data[2], in.len[2], &o);
		if (report)
			print_report(report);
		status = rc == SPM_OK ? 0 : cli_fail("opps import", rc);
		spm_opp_import_report_free(report);
	}
	inputs_free(&in);
	return status;
}

static int to_stdout(const char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : SPM_EUSER;
}

static int opps_export(struct ctx *c, int argc, char **argv)
{
	spm_opp_import_file file;
	int64_t pipeline = 0;
	int rc;

	if (argc != 3 || strcmp(argv[0], "--pipeline") != 0)
		return cli_usage("opps export needs --pipeline ID and opportunities or history%s",
				 "");
	if (!pipeline_arg(&pipeline, argv[1]))
		return EXIT_USAGE;
	if (strcmp(argv[2], "opportunities") == 0)
		file = SPM_OPP_FILE_OPPORTUNITIES;
	else if (strcmp(argv[2], "history") == 0)
		file = SPM_OPP_FILE_HISTORY;
	else
		return cli_usage("opps export writes opportunities or history, not '%s'", argv[2]);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_opp_export(c->db, pipeline, file, NULL, to_stdout, NULL);
	return rc == SPM_OK ? 0 : cli_fail("opps export", rc);
}

int cli_cmd_import_opps(struct ctx *c, int argc, char **argv)
{
	if (argc > 0 && strcmp(argv[0], "import") == 0)
		return opps_import(c, argc - 1, argv + 1);
	if (argc > 0 && strcmp(argv[0], "export") == 0)
		return opps_export(c, argc - 1, argv + 1);
	return cli_usage("opps needs a subcommand: import or export%s", "");
}
