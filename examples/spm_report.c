/* `spm report`: run a query or a saved report and print it as a table
 * (tab-separated, a header line first), CSV or JSON; save and list reports. */
#include "spm_cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char cli_help_report[] =
	"  report run JSON [--format table|csv|json]\n"
	"                                      run a query definition (docs/reports.md)\n"
	"  report show NAME [--format table|csv|json]\n"
	"                                      run a saved report\n"
	"  report save NAME JSON               save (or replace) a report or dashboard\n"
	"  report list                         print saved reports: name, definition\n";

static int to_stdout(const char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : SPM_ESTORAGE;
}

static void print_cell(const spm_result *r, size_t row, size_t col)
{
	int64_t v;
	const char *s;
	char buf[64];

	if (spm_result_is_null(r, row, col))
		return;
	switch (spm_result_column_type(r, col)) {
	case SPM_COLUMN_TEXT:
		if (spm_result_text(&s, r, row, col) == SPM_OK)
			fputs(s, stdout);
		break;
	case SPM_COLUMN_MONEY:
		if (spm_result_money(&v, &s, r, row, col) == SPM_OK &&
		    spm_money_format(buf, sizeof(buf), v, s) == SPM_OK)
			printf("%s %s", buf, s);
		break;
	case SPM_COLUMN_RATIO:
		if (spm_result_int(&v, r, row, col) == SPM_OK) {
			uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			printf("%s%" PRIu64 ".%06" PRIu64, v < 0 ? "-" : "", a / 1000000,
			       a % 1000000);
		}
		break;
	case SPM_COLUMN_DATE:
		if (spm_result_int(&v, r, row, col) == SPM_OK &&
		    spm_date_format(buf, sizeof(buf), (spm_date)v) == SPM_OK)
			fputs(buf, stdout);
		break;
	default:
		if (spm_result_int(&v, r, row, col) == SPM_OK)
			printf("%" PRId64, v);
	}
}

static int print_result(spm_result *r, const char *format)
{
	int rc = SPM_OK;

	if (strcmp(format, "csv") == 0) {
		rc = spm_result_csv(r, to_stdout, NULL);
	} else if (strcmp(format, "json") == 0) {
		rc = spm_result_json(r, to_stdout, NULL);
	} else {
		size_t ncols = spm_result_column_count(r);
		for (size_t c = 0; c < ncols; c++)
			printf("%s%s", c ? "\t" : "", spm_result_column_name(r, c));
		putchar('\n');
		for (size_t row = 0; row < spm_result_row_count(r); row++) {
			for (size_t c = 0; c < ncols; c++) {
				if (c)
					putchar('\t');
				print_cell(r, row, c);
			}
			putchar('\n');
		}
	}
	spm_result_free(r);
	return rc == SPM_OK ? 0 : cli_fail("report", rc);
}

/* The --format option after the positional arguments; NULL when bad. */
static const char *format_of(int argc, char **argv, int first)
{
	if (argc == first)
		return "table";
	if (argc == first + 2 && strcmp(argv[first], "--format") == 0 &&
	    (strcmp(argv[first + 1], "table") == 0 || strcmp(argv[first + 1], "csv") == 0 ||
	     strcmp(argv[first + 1], "json") == 0))
		return argv[first + 1];
	return NULL;
}

static int each_report(const char *name, const char *json, void *payload)
{
	(void)payload;
	printf("%s\t%s\n", name, json);
	return 0;
}

int cli_cmd_report(struct ctx *c, int argc, char **argv)
{
	spm_result *r = NULL;
	const char *format;
	int rc;

	if (argc < 1)
		return cli_usage("report needs run, show, save or list", NULL);
	if (strcmp(argv[0], "run") == 0 || strcmp(argv[0], "show") == 0) {
		if (argc < 2 || (format = format_of(argc, argv, 2)) == NULL)
			return cli_usage("usage: report %s ARG [--format table|csv|json]", argv[0]);
		if (cli_open_db(c, SPM_OPEN_READONLY))
			return EXIT_FAIL;
		rc = argv[0][0] == 'r' ? spm_report_run(&r, c->db, argv[1]) :
			spm_report_run_saved(&r, c->db, argv[1]);
		if (rc != SPM_OK)
			return cli_fail("report", rc);
		return print_result(r, format);
	}
	if (strcmp(argv[0], "save") == 0) {
		if (argc != 3)
			return cli_usage("report save needs NAME JSON", NULL);
		if (cli_open_db(c, SPM_OPEN_CREATE))
			return EXIT_FAIL;
		rc = spm_report_save(c->db, argv[1], argv[2]);
		return rc == SPM_OK ? 0 : cli_fail("report save", rc);
	}
	if (strcmp(argv[0], "list") == 0 && argc == 1) {
		if (cli_open_db(c, SPM_OPEN_READONLY))
			return EXIT_FAIL;
		rc = spm_report_foreach(c->db, each_report, NULL);
		return rc == SPM_OK ? 0 : cli_fail("report list", rc);
	}
	return cli_usage("unknown report command '%s'", argv[0]);
}
