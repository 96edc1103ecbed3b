/* spm demo: generates a sample company into a fresh database with the
 * seeded generator of examples/demo/ and prints its report (text, and
 * optionally an HTML page). Uses only the public API. */
#include "spm_cli.h"
#include "demo/demo.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cli_help_demo[] =
	"  demo [--db FILE] [--seed N] [--html FILE]\n"
	"                                      generate a sample company into a fresh FILE\n"
	"                                      (default ./spm-demo.db, --db optional here),\n"
	"                                      print its report; --html also writes a page\n";

#define DEFAULT_DB "spm-demo.db"
#define DEFAULT_SEED 2025

struct bar {
	int last;
};

static void progress(int done, int total, void *payload)
{
	struct bar *b = payload;
	int pct = done * 100 / total;
	if (pct == b->last)
		return;
	b->last = pct;
	fprintf(stderr, "\rgenerating [%-40.*s] %3d%%", pct * 40 / 100,
		"########################################", pct);
	if (done == total)
		fputc('\n', stderr);
}

/* A demo file may be replaced: it is one that `spm demo` wrote (it holds
 * the demo's company), or an empty file. Anything else is refused. */
static int replaceable(const char *path)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;
	spm_record *rec = NULL;
	const char *name = NULL;
	FILE *f = fopen(path, "rb");
	long size;
	int ok = 0;
	if (f == NULL)
		return errno == ENOENT;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	if (size == 0)
		return 1;
	opts.path = path;
	opts.flags = SPM_OPEN_READONLY;
	if (spm_db_open(&db, &opts) != SPM_OK)
		return 0;
	/* The demo's first team is always "Acme China" with id 1. */
	if (spm_record_get(&rec, db, "team", 1) == SPM_OK &&
	    spm_record_get_text(&name, rec, "name") == SPM_OK)
		ok = strcmp(name, "Acme China") == 0;
	spm_record_free(rec);
	spm_db_close(db);
	return ok;
}

static int parse_seed(uint64_t *out, const char *text)
{
	char *end;
	unsigned long long v;
	if (text == NULL || *text < '0' || *text > '9')
		return 0;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*out = v;
	return 1;
}

int cli_cmd_demo(struct ctx *c, int argc, char **argv)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	demo_clock clock = { 0 };
	demo_company co;
	demo_report *report;
	struct bar bar = { -1 };
	const char *html = NULL, *path = c->path ? c->path : DEFAULT_DB;
	uint64_t seed = DEFAULT_SEED;
	int rc, status = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 || strcmp(argv[i], "--html") == 0 ||
		    strcmp(argv[i], "--db") == 0) {
			if (i + 1 == argc)
				return cli_usage("demo: %s needs a value", argv[i]);
			if (argv[i][2] == 's') {
				if (!parse_seed(&seed, argv[i + 1]))
					return cli_usage("demo: --seed needs a whole number "
							 "0..18446744073709551615, not '%s'",
							 argv[i + 1]);
			} else if (argv[i][2] == 'h') {
				html = argv[i + 1];
			} else {
				path = argv[i + 1];
			}
			i++;
		} else {
			return cli_usage("demo: unexpected argument '%s'", argv[i]);
		}
	}
	if (strlen(path) > 4000)
		return cli_usage("demo: the --db path is too long", NULL);
	if (strcmp(path, ":memory:") != 0) {
		if (!replaceable(path))
			return cli_usage("demo: '%s' exists and is not a demo database; "
					 "give another --db FILE", path);
		/* The old file goes with its WAL and shared-memory files: a stale
		 * WAL next to a new file would be replayed into it. */
		static const char *const tails[] = { "", "-wal", "-shm" };
		for (size_t k = 0; k < 3; k++) {
			char name[4096];
			snprintf(name, sizeof(name), "%s%s", path, tails[k]);
			if (remove(name) != 0 && errno != ENOENT) {
				fprintf(stderr, "spm: demo: cannot replace '%s': %s\n", name,
					strerror(errno));
				return EXIT_FAIL;
			}
		}
	}
	opts.path = path;
	opts.flags = SPM_OPEN_CREATE;
	opts.clock = demo_clock_read;
	opts.clock_payload = &clock;
	rc = spm_db_open(&c->db, &opts);
	if (rc != SPM_OK)
		return cli_fail(path, rc);
	memset(&co, 0, sizeof(co));
	rc = demo_generate(&co, c->db, &clock, seed, isatty(2) ? progress : NULL, &bar);
	if (rc != SPM_OK)
		return cli_fail("demo: generating", rc);
	report = calloc(1, sizeof(*report));
	if (report == NULL)
		return cli_fail("demo", SPM_ENOMEM);
	rc = demo_report_gather(report, c->db, &co);
	if (rc != SPM_OK) {
		free(report);
		return cli_fail("demo: report", rc);
	}
	demo_report_text(stdout, report);
	if (html != NULL) {
		FILE *f = fopen(html, "w");
		int bad = f == NULL;
		if (f != NULL) {
			bad = demo_report_html(f, report) != 0;
			bad |= fclose(f) != 0;
		}
		if (bad) {
			fprintf(stderr, "spm: demo: cannot write '%s': %s\n", html, strerror(errno));
			status = EXIT_FAIL;
		}
	}
	free(report);
	return status;
}
