/* The spm command "customers": conversion (with an opportunity), merge,
 * hand-over, seeded assignment, ownership history, tags and the
 * customer-360 view. */
#include "spm_cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_help_customers[] =
	"  customers convert LEAD [--pipeline ID [--stage ID] [--name N] [--amount '12.50 CNY']]\n"
	"                                      lead -> customer, contact, opportunity; print\n"
	"                                      'customer C contact K opportunity O' (0: none)\n"
	"  customers merge KIND SURVIVOR OTHER merge two leads or two customers\n"
	"  customers handover FROM TO REASON   move a user's open work to TO (0: the pool);\n"
	"                                      print how many records moved\n"
	"  customers assign SEED               assign the pool, least-busy ties by SEED\n"
	"  customers history KIND ID           print owner changes: at, via, from, to, actor, reason\n"
	"  customers tagged TAG                print the ids of the customers with TAG\n"
	"  customers view ID                   print the customer 360 as JSON\n";

static int id_arg(int64_t *out, const char *text, const char *what)
{
	if (!cli_parse_i64(out, text) || *out < 0)
		return cli_usage(what, text);
	return 0;
}

/* "12.50 CNY" → minor units and currency. */
static int amount_arg(spm_lead_convert_options *o, char *cur, size_t size, const char *text)
{
	const char *space = strrchr(text, ' ');
	char number[64];
	int rc;

	if (space == NULL || (size_t)(space - text) >= sizeof(number) || strlen(space + 1) >= size)
		return cli_usage("--amount needs text like '12.50 CNY', not '%s'", text);
	memcpy(number, text, (size_t)(space - text));
	number[space - text] = '\0';
	strcpy(cur, space + 1);
	rc = spm_money_parse(&o->amount_minor, number, cur);
	if (rc != SPM_OK)
		return cli_fail("customers convert --amount", rc);
	o->amount_currency = cur;
	return 0;
}

static int convert(struct ctx *c, int argc, char **argv)
{
	spm_lead_convert_options o = SPM_LEAD_CONVERT_OPTIONS_INIT;
	int64_t lead, customer = 0, contact = 0, opportunity = 0;
	char cur[8];
	int status, rc;

	if (argc < 1)
		return cli_usage("customers convert needs LEAD", NULL);
	if ((status = id_arg(&lead, argv[0], "customers convert: '%s' is not an id")) != 0)
		return status;
	for (int i = 1; i < argc; i++) {
		if (i + 1 == argc)
			return cli_usage("customers convert: %s needs a value", argv[i]);
		if (strcmp(argv[i], "--pipeline") == 0)
			status = id_arg(&o.pipeline_id, argv[++i], "--pipeline needs an id, not '%s'");
		else if (strcmp(argv[i], "--stage") == 0)
			status = id_arg(&o.stage_id, argv[++i], "--stage needs an id, not '%s'");
		else if (strcmp(argv[i], "--name") == 0)
			o.opportunity_name = argv[++i];
		else if (strcmp(argv[i], "--amount") == 0)
			status = amount_arg(&o, cur, sizeof(cur), argv[++i]);
		else
			return cli_usage("customers convert: unknown option '%s'", argv[i]);
		if (status)
			return status;
	}
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_lead_convert2(&customer, &contact, &opportunity, c->db, lead, &o);
	if (rc != SPM_OK)
		return cli_fail("customers convert", rc);
	printf("customer %" PRId64 " contact %" PRId64 " opportunity %" PRId64 "\n", customer,
	       contact, opportunity);
	return 0;
}

static int print_row(const spm_record *rec, void *payload)
{
	static const char *const cols[] = { "at", "via", "from_owner", "to_owner", "actor", "reason" };

	(void)payload;
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		const char *s = NULL;
		spm_record_get_as_text(&s, rec, cols[i]);
		printf("%s%s", i ? "\t" : "", s ? s : "");
	}
	putchar('\n');
	return 0;
}

static int print_id(const spm_record *rec, void *payload)
{
	(void)payload;
	printf("%" PRId64 "\n", spm_record_id(rec));
	return 0;
}

int cli_cmd_customers(struct ctx *c, int argc, char **argv)
{
	const char *sub = argc ? argv[0] : "";
	int64_t a = 0, b = 0;
	size_t n = 0;
	int status = 0, rc;

	if (strcmp(sub, "convert") == 0)
		return convert(c, argc - 1, argv + 1);
	if ((strcmp(sub, "merge") == 0 && argc != 4) || (strcmp(sub, "handover") == 0 && argc != 4) ||
	    (strcmp(sub, "assign") == 0 && argc != 2) || (strcmp(sub, "history") == 0 && argc != 3) ||
	    (strcmp(sub, "tagged") == 0 && argc != 2) || (strcmp(sub, "view") == 0 && argc != 2))
		return cli_usage("customers %s: wrong number of arguments", sub);
	if (strcmp(sub, "merge") == 0 || strcmp(sub, "history") == 0)
		status = id_arg(&a, argv[2], "customers: '%s' is not an id");
	if (status == 0 && strcmp(sub, "merge") == 0)
		status = id_arg(&b, argv[3], "customers: '%s' is not an id");
	if (status == 0 && (strcmp(sub, "handover") == 0)) {
		status = id_arg(&a, argv[1], "customers: '%s' is not a user id");
		if (status == 0)
			status = id_arg(&b, argv[2], "customers: '%s' is not a user id");
	}
	if (status == 0 && (strcmp(sub, "view") == 0 || strcmp(sub, "assign") == 0))
		status = id_arg(&a, argv[1], "customers: '%s' is not a number");
	if (status)
		return status;
	if (strcmp(sub, "merge") != 0 && strcmp(sub, "handover") != 0 &&
	    strcmp(sub, "assign") != 0 && strcmp(sub, "history") != 0 &&
	    strcmp(sub, "tagged") != 0 && strcmp(sub, "view") != 0)
		return cli_usage("customers needs a subcommand: convert, merge, handover, assign, "
				 "history, tagged or view%s", "");
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	if (strcmp(sub, "merge") == 0) {
		rc = spm_record_merge(c->db, argv[1], a, b);
	} else if (strcmp(sub, "handover") == 0) {
		rc = spm_org_handover(&n, c->db, a, b, argv[3]);
		if (rc == SPM_OK)
			printf("%zu\n", n);
	} else if (strcmp(sub, "assign") == 0) {
		spm_lead_assign_options o = SPM_LEAD_ASSIGN_OPTIONS_INIT;
		o.seed = (uint64_t)a;
		rc = spm_lead_assign_pool2(&n, c->db, &o);
		if (rc == SPM_OK)
			printf("%zu\n", n);
	} else if (strcmp(sub, "history") == 0) {
		rc = spm_ownership_history(c->db, argv[1], a, print_row, NULL);
	} else if (strcmp(sub, "tagged") == 0) {
		rc = spm_customer_foreach_tagged(c->db, argv[1], print_id, NULL);
	} else {
		spm_customer_view *v = NULL;
		rc = spm_customer_360(&v, c->db, a);
		if (rc == SPM_OK)
			printf("%s\n", spm_customer_view_json(v));
		spm_customer_view_free(v);
	}
	if (rc != SPM_OK) {
		char what[40];
		snprintf(what, sizeof(what), "customers %s", sub);
		return cli_fail(what, rc);
	}
	return 0;
}
