/*
 * spm: the libspm command-line tool.
 *
 *   spm [--db FILE] [--actor ID] [--now SECONDS] COMMAND [ARGS…]
 *
 * Exit status: 0 on success, 1 when libspm reports a failure, 2 for a usage
 * error. Errors go to stderr as "spm: WHAT: MESSAGE (SPM_CODE)".
 */
#include "spm_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char usage_head[] =
	"usage: spm --db FILE [--actor ID] [--now SECONDS] COMMAND [ARGS...]\n"
	"\n"
	"commands:\n";

static const char usage_tail[] =
	"\n"
	"options:\n"
	"  --db FILE       the database file\n"
	"  --actor ID      the acting user (default 0, the system)\n"
	"  --now SECONDS   use this instant as the clock (UTC seconds)\n"
	"  --help          show this help\n"
	"  --version       show the version\n"
	"\n"
	"Values are parsed by their field's type: 42, 12.50 EUR, 2026-03-05, true.\n"
	"Exit status: 0 ok, 1 failure, 2 usage error.\n";

static const char help_init[] =
	"  init                                create or upgrade FILE; print its schema version\n";

static const char help_field[] =
	"  field add KIND NAME TYPE [--choices A,B,C] [--label L] [--required]\n"
	"                                      define a custom field (types: text integer\n"
	"                                      money date boolean enum time)\n"
	"  field list [KIND]                   list fields: kind, name, type, flags, choices, label\n"
	"  field drop KIND NAME                drop a custom field and its values\n";

static const char help_record[] =
	"  record add KIND FIELD=VALUE...      create a record; print its id\n"
	"  record set KIND ID FIELD=VALUE...   change fields of a record ('FIELD=' clears one)\n"
	"  record delete KIND ID               delete a record\n"
	"  record get KIND ID                  print a record as JSON\n"
	"  record list KIND                    print every record of a kind, one JSON per line\n";

static const char help_lead[] =
	"  lead claim ID                       the actor claims a lead from the pool\n"
	"  lead release ID REASON              send a lead back to the pool\n"
	"  lead assign                         assign the pool by the assignment rules\n";

static const char help_tick[] =
	"  tick                                run the time-driven work due at now\n";

static const char help_import[] =
	"  import KIND FILE [--map MAPFILE] [--dry-run] [--skip-bad-rows] [--key KEY]\n"
	"                                      import CSV rows (MAPFILE: lines 'CSV header=field',\n"
	"                                      '#' comments, 'header=' ignores a column)\n";

static const char help_export[] =
	"  export KIND                         write every visible record of KIND as CSV\n";

static const char help_audit[] =
	"  audit [KIND [ID]]                   print the audit trail, oldest first\n"
	"  audit head                          print the head of the audit chain as ID:HASH\n"
	"                                      (keep it outside the database)\n"
	"  audit verify [--anchor ID:HASH]     recompute the audit chain; with an anchor, check\n"
	"                                      that the chain still holds it\n";

static const char help_events[] =
	"  events tail [--after N] [--consumer NAME [--ack]]\n"
	"                                      print outbox events: seq, type, kind, id, payload;\n"
	"                                      with a consumer, those after its position\n"
	"                                      (--ack acknowledges what was printed)\n";

int cli_usage(const char *fmt, const char *arg)
{
	fputs("spm: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'spm --help'.\n", stderr);
	return EXIT_USAGE;
}

int cli_fail(const char *what, int rc)
{
	fprintf(stderr, "spm: %s: %s (%s)\n", what, spm_error_message(), spm_result_name(rc));
	return EXIT_FAIL;
}

/* A whole decimal int64; 0 when text is anything else. */
int cli_parse_i64(int64_t *out, const char *text)
{
	char *end;
	long long v;

	if (text == NULL || *text == '\0')
		return 0;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || text[0] == ' ' || text[0] == '+')
		return 0;
	*out = v;
	return 1;
}

static spm_time fixed_clock(void *payload)
{
	return *(const int64_t *)payload;
}

int cli_open_db(struct ctx *c, unsigned int flags)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	int rc;

	opts.path = c->path;
	opts.flags = flags;
	opts.actor = c->actor;
	if (c->has_now) {
		opts.clock = fixed_clock;
		opts.clock_payload = &c->now;
	}
	rc = spm_db_open(&c->db, &opts);
	return rc == SPM_OK ? 0 : cli_fail(c->path, rc);
}

/* ------------------------------------------------------------ init */

static int cmd_init(struct ctx *c, int argc, char **argv)
{
	int version, rc;

	(void)argv;
	if (argc != 0)
		return cli_usage("init takes no arguments", NULL);
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_db_schema_version(&version, c->db);
	if (rc != SPM_OK)
		return cli_fail("init", rc);
	printf("schema version %d\n", version);
	return 0;
}

/* ------------------------------------------------------------ field */

static int field_add(struct ctx *c, int argc, char **argv)
{
	spm_field_options opts = SPM_FIELD_OPTIONS_INIT;
	const char *pos[3];
	const char **choices = NULL;
	char *choice_buf = NULL;
	spm_field_type type;
	int npos = 0, rc, status = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--required") == 0) {
			opts.flags |= SPM_FIELD_REQUIRED;
		} else if (strcmp(argv[i], "--label") == 0 || strcmp(argv[i], "--choices") == 0) {
			if (i + 1 == argc)
				return cli_usage("%s needs a value", argv[i]);
			if (argv[i][2] == 'l') {
				opts.label = argv[++i];
			} else {
				choice_buf = argv[++i];
			}
		} else if (strncmp(argv[i], "--", 2) == 0) {
			return cli_usage("field add: unknown option '%s'", argv[i]);
		} else if (npos == 3) {
			return cli_usage("field add: unexpected argument '%s'", argv[i]);
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos != 3)
		return cli_usage("field add needs KIND NAME TYPE", NULL);
	if (choice_buf != NULL) {
		size_t n = 1;
		char *p;
		for (p = choice_buf; *p; p++)
			n += *p == ',';
		choices = calloc(n, sizeof(*choices));
		if (choices == NULL)
			return cli_usage("out of memory", NULL);
		n = 0;
		for (p = choice_buf;; p++) {
			choices[n++] = p;
			p = strchr(p, ',');
			if (p == NULL)
				break;
			*p = '\0';
		}
		opts.choices = choices;
		opts.nchoices = n;
	}
	rc = spm_field_type_parse(&type, pos[2]);
	if (rc != SPM_OK) {
		status = cli_fail("field add", rc);
		goto out;
	}
	if (cli_open_db(c, 0)) {
		status = EXIT_FAIL;
		goto out;
	}
	rc = spm_field_add(c->db, pos[0], pos[1], type, &opts);
	if (rc != SPM_OK)
		status = cli_fail("field add", rc);
out:
	free(choices);
	return status;
}

static int print_field(const spm_field_info *f, void *payload)
{
	static const struct { unsigned int flag; const char *name; } flags[] = {
		{ SPM_FIELD_CUSTOM, "custom" }, { SPM_FIELD_REQUIRED, "required" },
		{ SPM_FIELD_INDEXED, "indexed" }, { SPM_FIELD_READONLY, "readonly" },
	};
	int any = 0;

	(void)payload;
	printf("%s\t%s\t%s\t", f->kind, f->name, spm_field_type_name(f->type));
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (f->flags & flags[i].flag) {
			printf("%s%s", any ? "," : "", flags[i].name);
			any = 1;
		}
	}
	printf("%s\t", any ? "" : "-");
	for (size_t i = 0; i < f->nchoices; i++)
		printf("%s%s", i ? "," : "", f->choices[i]);
	printf("%s\t%s\n", f->nchoices ? "" : "-", f->label ? f->label : "-");
	return 0;
}

static int field_list(struct ctx *c, int argc, char **argv)
{
	int rc;

	if (argc > 1)
		return cli_usage("field list takes at most a KIND", NULL);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_field_foreach(c->db, argc ? argv[0] : NULL, print_field, NULL);
	return rc == SPM_OK ? 0 : cli_fail("field list", rc);
}

static int field_drop(struct ctx *c, int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return cli_usage("field drop needs KIND NAME", NULL);
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_field_drop(c->db, argv[0], argv[1]);
	return rc == SPM_OK ? 0 : cli_fail("field drop", rc);
}

static int cmd_field(struct ctx *c, int argc, char **argv)
{
	if (argc == 0)
		return cli_usage("field needs a subcommand: add, list or drop", NULL);
	if (strcmp(argv[0], "add") == 0)
		return field_add(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return field_list(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "drop") == 0)
		return field_drop(c, argc - 1, argv + 1);
	return cli_usage("unknown field subcommand '%s'", argv[0]);
}

/* ------------------------------------------------------------ record */

/* Checks that every argument is FIELD=VALUE; what names the command. */
static int check_assignments(const char *what, int argc, char **argv)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%s: '%%s' is not FIELD=VALUE", what);
	for (int i = 0; i < argc; i++)
		if (strchr(argv[i], '=') == NULL || argv[i][0] == '=')
			return cli_usage(fmt, argv[i]);
	return 0;
}

/* Sets each FIELD=VALUE on rec; with clear_empty, "FIELD=" clears it. */
static int set_fields(spm_record *rec, const char *what, int argc, char **argv, int clear_empty)
{
	int rc = SPM_OK;

	for (int i = 0; i < argc && rc == SPM_OK; i++) {
		char *eq = strchr(argv[i], '=');
		*eq = '\0';
		rc = spm_record_set_from_text(rec, argv[i],
					      clear_empty && eq[1] == '\0' ? NULL : eq + 1);
		*eq = '=';
	}
	return rc == SPM_OK ? 0 : cli_fail(what, rc);
}

static int record_add(struct ctx *c, int argc, char **argv)
{
	spm_record *rec = NULL;
	int rc, status;

	if (argc < 1)
		return cli_usage("record add needs KIND FIELD=VALUE...", NULL);
	if (check_assignments("record add", argc - 1, argv + 1))
		return EXIT_USAGE;
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_record_new(&rec, c->db, argv[0]);
	if (rc != SPM_OK)
		return cli_fail("record add", rc);
	status = set_fields(rec, "record add", argc - 1, argv + 1, 0);
	if (status == 0) {
		rc = spm_record_save(c->db, rec);
		if (rc != SPM_OK)
			status = cli_fail("record add", rc);
		else
			printf("%lld\n", (long long)spm_record_id(rec));
	}
	spm_record_free(rec);
	return status;
}

static int record_set(struct ctx *c, int argc, char **argv)
{
	spm_record *rec = NULL;
	int64_t id;
	int rc, status;

	if (argc < 3)
		return cli_usage("record set needs KIND ID FIELD=VALUE...", NULL);
	if (!cli_parse_i64(&id, argv[1]))
		return cli_usage("record set: '%s' is not an id", argv[1]);
	if (check_assignments("record set", argc - 2, argv + 2))
		return EXIT_USAGE;
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_record_get(&rec, c->db, argv[0], id);
	if (rc != SPM_OK)
		return cli_fail("record set", rc);
	status = set_fields(rec, "record set", argc - 2, argv + 2, 1);
	if (status == 0 && (rc = spm_record_save(c->db, rec)) != SPM_OK)
		status = cli_fail("record set", rc);
	spm_record_free(rec);
	return status;
}

static int record_delete(struct ctx *c, int argc, char **argv)
{
	int64_t id;
	int rc;

	if (argc != 2)
		return cli_usage("record delete needs KIND ID", NULL);
	if (!cli_parse_i64(&id, argv[1]))
		return cli_usage("record delete: '%s' is not an id", argv[1]);
	if (cli_open_db(c, 0))
		return EXIT_FAIL;
	rc = spm_record_delete(c->db, argv[0], id);
	return rc == SPM_OK ? 0 : cli_fail("record delete", rc);
}

static int record_get(struct ctx *c, int argc, char **argv)
{
	spm_record *rec;
	const char *json;
	int64_t id;
	int rc;

	if (argc != 2)
		return cli_usage("record get needs KIND ID", NULL);
	if (!cli_parse_i64(&id, argv[1]))
		return cli_usage("record get: '%s' is not an id", argv[1]);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_record_get(&rec, c->db, argv[0], id);
	if (rc != SPM_OK)
		return cli_fail("record get", rc);
	rc = spm_record_to_json(&json, rec);
	if (rc == SPM_OK)
		printf("%s\n", json);
	spm_record_free(rec);
	return rc == SPM_OK ? 0 : cli_fail("record get", rc);
}

static int print_record(const spm_record *rec, void *payload)
{
	spm_record *copy;
	const char *json;
	int rc = spm_record_dup(&copy, rec);  /* to_json needs a mutable record */

	(void)payload;
	if (rc != SPM_OK)
		return rc;
	rc = spm_record_to_json(&json, copy);
	if (rc == SPM_OK)
		printf("%s\n", json);
	spm_record_free(copy);
	return rc;
}

static int record_list(struct ctx *c, int argc, char **argv)
{
	spm_query *q;
	int rc;

	if (argc != 1)
		return cli_usage("record list needs KIND", NULL);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_query_new(&q, c->db, argv[0]);
	if (rc != SPM_OK)
		return cli_fail("record list", rc);
	rc = spm_query_foreach(q, print_record, NULL);
	spm_query_free(q);
	return rc == SPM_OK ? 0 : cli_fail("record list", rc);
}

static int cmd_record(struct ctx *c, int argc, char **argv)
{
	if (argc == 0)
		return cli_usage("record needs a subcommand: add, set, delete, get or list", NULL);
	if (strcmp(argv[0], "add") == 0)
		return record_add(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "set") == 0)
		return record_set(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "delete") == 0)
		return record_delete(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "get") == 0)
		return record_get(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return record_list(c, argc - 1, argv + 1);
	return cli_usage("unknown record subcommand '%s'", argv[0]);
}

/* ------------------------------------------------------------ audit */

static const char *audit_op(int op)
{
	switch (op) {
	case SPM_AUDIT_CREATE: return "create";
	case SPM_AUDIT_UPDATE: return "update";
	case SPM_AUDIT_DELETE: return "delete";
	case SPM_AUDIT_SCHEMA: return "schema";
	}
	return "?";
}

static int print_audit(const spm_audit_entry *e, void *payload)
{
	(void)payload;
	printf("%lld\t%lld\t%lld\t%lld\t%s\t%s\t%lld\t%s\t%s\t%s\n", (long long)e->id,
	       (long long)e->change_seq, (long long)e->at, (long long)e->actor, audit_op(e->op),
	       e->kind, (long long)e->entity_id, e->field ? e->field : "-",
	       e->old_value ? e->old_value : "-", e->new_value ? e->new_value : "-");
	return 0;
}

static int cmd_audit(struct ctx *c, int argc, char **argv)
{
	int64_t id = 0;
	int rc;

	if (argc > 0 && (strcmp(argv[0], "head") == 0 || strcmp(argv[0], "verify") == 0))
		return cli_audit_chain(c, argc, argv);
	if (argc > 2)
		return cli_usage("audit takes at most KIND and ID", NULL);
	if (argc == 2 && (!cli_parse_i64(&id, argv[1]) || id <= 0))
		return cli_usage("audit: '%s' is not an id", argv[1]);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_audit_foreach(c->db, argc ? argv[0] : NULL, id, print_audit, NULL);
	return rc == SPM_OK ? 0 : cli_fail("audit", rc);
}

/* ------------------------------------------------------------ events */

static int print_event(const spm_event *ev, void *payload)
{
	int64_t *last = payload;
	const char *type = spm_event_type_name(ev->type);

	printf("%lld\t%s\t%s\t%lld\t%s\n", (long long)ev->seq, type ? type : "?", ev->kind,
	       (long long)ev->entity_id, ev->payload);
	*last = ev->seq;
	return 0;
}

static int events_tail(struct ctx *c, int argc, char **argv)
{
	const char *consumer = NULL;
	int64_t after = 0, last = 0;
	int has_after = 0, ack = 0, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ack") == 0) {
			ack = 1;
		} else if (strcmp(argv[i], "--after") == 0) {
			if (i + 1 == argc || !cli_parse_i64(&after, argv[i + 1]) || after < 0)
				return cli_usage("--after needs a sequence number", NULL);
			has_after = 1;
			i++;
		} else if (strcmp(argv[i], "--consumer") == 0) {
			if (i + 1 == argc)
				return cli_usage("--consumer needs a NAME", NULL);
			consumer = argv[++i];
		} else {
			return cli_usage("events tail: unexpected argument '%s'", argv[i]);
		}
	}
	if (ack && consumer == NULL)
		return cli_usage("--ack needs --consumer", NULL);
	if (has_after && consumer != NULL)
		return cli_usage("--after and --consumer exclude each other", NULL);
	if (cli_open_db(c, ack ? 0 : SPM_OPEN_READONLY))
		return EXIT_FAIL;
	if (consumer)
		rc = spm_consumer_poll(c->db, consumer, 0, print_event, &last);
	else
		rc = spm_outbox_foreach(c->db, after, 0, print_event, &last);
	if (rc != SPM_OK)
		return cli_fail("events tail", rc);
	if (ack && last > 0) {
		fflush(stdout);
		rc = spm_consumer_ack(c->db, consumer, last);
		if (rc != SPM_OK)
			return cli_fail("events tail --ack", rc);
	}
	return 0;
}

static int cmd_events(struct ctx *c, int argc, char **argv)
{
	if (argc == 0 || strcmp(argv[0], "tail") != 0)
		return cli_usage("events needs the subcommand tail", NULL);
	return events_tail(c, argc - 1, argv + 1);
}

/* ------------------------------------------------------------ leads, tick */

static int cmd_lead(struct ctx *c, int argc, char **argv)
{
	int64_t id;
	size_t n = 0;
	int rc;

	if (argc == 1 && strcmp(argv[0], "assign") == 0) {
		if (cli_open_db(c, SPM_OPEN_CREATE))
			return EXIT_FAIL;
		rc = spm_lead_assign_pool(&n, c->db);
		if (rc != SPM_OK)
			return cli_fail("lead assign", rc);
		printf("%zu\n", n);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[0], "claim") == 0 && argc != 2) ||
	    (strcmp(argv[0], "release") == 0 && argc != 3))
		return cli_usage("lead needs: claim ID, release ID REASON, or assign", NULL);
	if (!cli_parse_i64(&id, argv[1]) || id <= 0)
		return cli_usage("lead: '%s' is not an id", argv[1]);
	if (strcmp(argv[0], "claim") != 0 && strcmp(argv[0], "release") != 0)
		return cli_usage("unknown lead subcommand '%s'", argv[0]);
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	if (argv[0][0] == 'c')
		rc = spm_lead_claim(c->db, id);
	else
		rc = spm_lead_release(c->db, id, argv[2]);
	return rc == SPM_OK ? 0 : cli_fail(argv[0][0] == 'c' ? "lead claim" : "lead release", rc);
}

static int cmd_tick(struct ctx *c, int argc, char **argv)
{
	int rc;

	(void)argv;
	if (argc != 0)
		return cli_usage("tick takes no arguments", NULL);
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_db_tick(c->db, spm_db_now(c->db));
	return rc == SPM_OK ? 0 : cli_fail("tick", rc);
}

/* ------------------------------------------------------------ csv */

char *cli_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {  /* in chunks: a pipe has no size */
		if (n + 4096 + 1 > cap) {
			char *p = realloc(buf, cap = (n + 4096 + 1) * 2);
			if (p == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
	} while (got == 4096);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	fclose(f);
	return buf;
}

int cli_parse_map(char *text, const char ***pairs, size_t *npairs)
{
	size_t cap = 0;
	char *save = NULL;

	*pairs = NULL;
	*npairs = 0;
	for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *eq = strchr(line, '=');
		const char **p;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (eq == NULL || eq == line)
			return 0;
		*eq = '\0';
		if (*npairs == cap) {
			cap = cap ? cap * 2 : 16;
			p = realloc(*pairs, cap * 2 * sizeof(*p));
			if (p == NULL)
				return 0;
			*pairs = p;
		}
		(*pairs)[*npairs * 2] = line;
		(*pairs)[*npairs * 2 + 1] = eq[1] ? eq + 1 : NULL;
		(*npairs)++;
	}
	return 1;
}

static void print_report(const spm_csv_report *r)
{
	printf("rows %zu, stored %zu, bad %zu\n", spm_csv_report_rows(r), spm_csv_report_stored(r),
	       spm_csv_report_bad(r));
	for (size_t i = 0; i < spm_csv_report_errors(r); i++) {
		const char *msg, *column;
		size_t line;

		if (spm_csv_report_error(&msg, &line, &column, r, i) == SPM_OK)
			printf("line %zu%s%s: %s\n", line, column ? ", column " : "",
			       column ? column : "", msg);
	}
}

static int cmd_import(struct ctx *c, int argc, char **argv)
{
	spm_csv_import_options o = SPM_CSV_IMPORT_OPTIONS_INIT;
	spm_csv_report *report = NULL;
	const char *mapfile = NULL;
	char *data, *map = NULL;
	const char **pairs = NULL;
	size_t len = 0, maplen, npairs = 0;
	int rc, status;

	if (argc < 2)
		return cli_usage("import needs KIND FILE", NULL);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = 1;
		else if (strcmp(argv[i], "--skip-bad-rows") == 0)
			o.mode = SPM_CSV_SKIP_BAD_ROWS;
		else if (strcmp(argv[i], "--map") == 0 && i + 1 < argc)
			mapfile = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			o.idempotency_key = argv[++i];
		else
			return cli_usage("import: unknown option '%s'", argv[i]);
	}
	if (mapfile) {
		map = cli_read_file(mapfile, &maplen);
		if (map == NULL || !cli_parse_map(map, &pairs, &npairs)) {
			free(map);
			free(pairs);
			fprintf(stderr, "spm: import: cannot read the mapping file %s (lines 'CSV "
				"header=field')\n", mapfile);
			return EXIT_FAIL;
		}
		o.mapping = pairs;
		o.nmapping = npairs;
	}
	data = cli_read_file(argv[1], &len);
	if (data == NULL) {
		free(map);
		free(pairs);
		fprintf(stderr, "spm: import: cannot read %s\n", argv[1]);
		return EXIT_FAIL;
	}
	status = cli_open_db(c, SPM_OPEN_CREATE);
	if (status == 0) {
		rc = spm_csv_import(&report, c->db, argv[0], data, len, &o);
		if (report)
			print_report(report);
		status = rc == SPM_OK && spm_csv_report_status(report) == SPM_OK ? 0 : EXIT_FAIL;
		if (rc != SPM_OK)
			cli_fail("import", rc);
		spm_csv_report_free(report);
	}
	free(data);
	free(map);
	free(pairs);
	return status;
}

static int write_stdout(const char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : SPM_EUSER;
}

static int cmd_export(struct ctx *c, int argc, char **argv)
{
	spm_query *q = NULL;
	int rc;

	if (argc != 1)
		return cli_usage("export needs KIND", NULL);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_query_new(&q, c->db, argv[0]);
	if (rc == SPM_OK)
		rc = spm_csv_export(c->db, argv[0], q, NULL, 0, write_stdout, NULL);
	spm_query_free(q);
	return rc == SPM_OK ? 0 : cli_fail("export", rc);
}

/* ------------------------------------------------------------ main */

/* The commands, in the order --help lists them. An area's command lives in
 * its own file (spm_cli.h) and adds one line here. */
static const struct cli_command commands[] = {
	{ "init", help_init, cmd_init },
	{ "field", help_field, cmd_field },
	{ "record", help_record, cmd_record },
	{ "lead", help_lead, cmd_lead },
	{ "tick", help_tick, cmd_tick },
	{ "import", help_import, cmd_import },
	{ "export", help_export, cmd_export },
	{ "audit", help_audit, cmd_audit },
	{ "events", help_events, cmd_events },
	{ "pipeline", cli_help_pipeline, cli_cmd_pipeline },
	{ "opportunity", cli_help_opportunity, cli_cmd_opportunity },
	{ "opps", cli_help_import_opps, cli_cmd_import_opps },
	{ "customers", cli_help_customers, cli_cmd_customers },
	{ "quote", cli_help_quote, cli_cmd_quote },
	{ "contract", cli_help_contract, cli_cmd_contract },
	{ "task", cli_help_task, cli_cmd_task },
	{ "comment", cli_help_comment, cli_cmd_comment },
	{ "approval", cli_help_approval, cli_cmd_approval },
	{ "target", cli_help_target, cli_cmd_target },
	{ "report", cli_help_report, cli_cmd_report },
	{ "demo", cli_help_demo, cli_cmd_demo },
};

static void print_help(void)
{
	fputs(usage_head, stdout);
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		fputs(commands[k].help, stdout);
	fputs(usage_tail, stdout);
}

int main(int argc, char **argv)
{
	struct ctx c = { NULL, 0, 0, 0, NULL };
	int i, status;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "--help") == 0) {
			print_help();
			return 0;
		}
		if (strcmp(opt, "--version") == 0) {
			printf("spm %s (libspm %s, schema %d)\n", SPM_VERSION_STRING,
			       spm_version_string(), spm_schema_version_supported());
			return 0;
		}
		if (strcmp(opt, "--db") != 0 && strcmp(opt, "--actor") != 0 &&
		    strcmp(opt, "--now") != 0)
			return cli_usage("unknown option '%s'", opt);
		if (i + 1 == argc)
			return cli_usage("%s needs a value", opt);
		if (strcmp(opt, "--db") == 0) {
			c.path = argv[++i];
		} else if (strcmp(opt, "--actor") == 0) {
			if (!cli_parse_i64(&c.actor, argv[++i]) || c.actor < 0)
				return cli_usage("--actor needs a user id (an integer >= 0), not '%s'",
					     argv[i]);
		} else {
			if (!cli_parse_i64(&c.now, argv[++i]))
				return cli_usage("--now needs integer seconds, not '%s'", argv[i]);
			c.has_now = 1;
		}
	}
	if (i == argc)
		return cli_usage("no command given", NULL);
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		if (c.path == NULL && commands[k].run != cli_cmd_demo)
			return cli_usage("%s needs --db FILE", argv[i]);
		status = commands[k].run(&c, argc - i - 1, argv + i + 1);
		spm_db_close(c.db);
		if (fflush(stdout) != 0 && status == 0) {
			fprintf(stderr, "spm: cannot write the output: %s\n", strerror(errno));
			status = EXIT_FAIL;
		}
		return status;
	}
	return cli_usage("unknown command '%s'", argv[i]);
}
