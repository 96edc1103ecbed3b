/* spm quote | contract | task | comment | approval: quotes and their
 * approval, payment plans and payments, tasks, comments with mentions. */
#include "spm_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_help_quote[] =
	"  quote revise ID                     new draft version of a quote; print its id\n"
	"  quote send ID                       send a draft; when it needs approval, print\n"
	"                                      the pending request's id and fail\n";

const char cli_help_contract[] =
	"  contract split AMOUNT N             split minor units into N exact installments\n"
	"  contract plan ID DUE=AMOUNT...      set the payment plan (2026-04-01=5000 ...,\n"
	"                                      minor units summing to the contract amount)\n"
	"  contract pay ID AMOUNT [INSTALLMENT] record a payment (12.50 CNY) at now; print its id\n";

const char cli_help_task[] =
	"  task add TITLE ASSIGNEE [KIND ID]   create a task (on a record); print its id\n"
	"  task done ID                        mark a task done\n";

const char cli_help_comment[] =
	"  comment add KIND ID TEXT            comment on a record (@[12] or @[Name] mentions\n"
	"                                      a user); print its id\n";

const char cli_help_approval[] =
	"  approval submit ACTION KIND ID [DETAIL]  ask for an approval; print its id\n"
	"  approval approve|reject ID [COMMENT]    decide the current step as the actor\n"
	"  approval cancel ID                  withdraw a pending request\n";

static int parse_id(int64_t *out, const char *text, const char *what)
{
	if (!cli_parse_i64(out, text) || *out <= 0)
		return cli_usage(what, text);
	return 0;
}

int cli_cmd_quote(struct ctx *c, int argc, char **argv)
{
	int64_t id, out = 0;
	int rc;

	if (argc != 2 || (strcmp(argv[0], "revise") != 0 && strcmp(argv[0], "send") != 0))
		return cli_usage("quote needs: revise ID or send ID", NULL);
	if (parse_id(&id, argv[1], "quote: '%s' is not an id"))
		return EXIT_USAGE;
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	if (argv[0][0] == 'r') {
		rc = spm_quote_revise(&out, c->db, id);
		if (rc != SPM_OK)
			return cli_fail("quote revise", rc);
		printf("%lld\n", (long long)out);
		return 0;
	}
	rc = spm_quote_send(&out, c->db, id);
	if (rc == SPM_EAPPROVAL)
		printf("%lld\n", (long long)out);
	return rc == SPM_OK ? 0 : cli_fail("quote send", rc);
}

static int contract_split(int argc, char **argv)
{
	int64_t amount, n, *parts;
	int rc;

	if (argc != 3 || !cli_parse_i64(&amount, argv[1]) || !cli_parse_i64(&n, argv[2]) ||
	    n < 1 || n > 1000)
		return cli_usage("contract split needs AMOUNT (minor units) and N (1..1000)", NULL);
	parts = malloc((size_t)n * sizeof(*parts));
	if (parts == NULL)
		return cli_fail("contract split", SPM_ENOMEM);
	rc = spm_installment_split(parts, amount, (size_t)n);
	for (int64_t i = 0; rc == SPM_OK && i < n; i++)
		printf("%lld\n", (long long)parts[i]);
	free(parts);
	return rc == SPM_OK ? 0 : cli_fail("contract split", rc);
}

static int contract_plan(struct ctx *c, int64_t id, int argc, char **argv)
{
	size_t n = (size_t)argc;
	int64_t *amounts = calloc(n ? n : 1, sizeof(*amounts));
	spm_date *due = calloc(n ? n : 1, sizeof(*due));
	int rc = amounts && due ? SPM_OK : SPM_ENOMEM, status = 0;

	for (size_t i = 0; rc == SPM_OK && status == 0 && i < n; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL || !cli_parse_i64(&amounts[i], eq + 1)) {
			status = cli_usage("contract plan: '%s' is not DUE=AMOUNT", argv[i]);
			break;
		}
		*eq = '\0';
		if (spm_date_parse(&due[i], argv[i]) != SPM_OK) {
			*eq = '=';
			status = cli_usage("contract plan: '%s' is not DUE=AMOUNT", argv[i]);
		}
	}
	if (rc == SPM_OK && status == 0 && cli_open_db(c, SPM_OPEN_CREATE))
		status = EXIT_FAIL;
	if (rc == SPM_OK && status == 0)
		rc = spm_contract_set_plan(c->db, id, amounts, due, n);
	free(amounts);
	free(due);
	return status ? status : rc == SPM_OK ? 0 : cli_fail("contract plan", rc);
}

static int contract_pay(struct ctx *c, int64_t id, int argc, char **argv)
{
	spm_record *r = NULL;
	int64_t inst = 0;
	int rc;

	if (argc < 1 || argc > 2 || (argc == 2 && parse_id(&inst, argv[1],
							     "contract pay: '%s' is not an installment id")))
		return argc < 1 || argc > 2 ? cli_usage("contract pay needs ID AMOUNT [INSTALLMENT]",
							NULL) : EXIT_USAGE;
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_record_new(&r, c->db, "payment");
	if (rc == SPM_OK)
		rc = spm_record_set_int(r, "contract_id", id);
	if (rc == SPM_OK && inst)
		rc = spm_record_set_int(r, "installment_id", inst);
	if (rc == SPM_OK)
		rc = spm_record_set_from_text(r, "amount", argv[0]);
	if (rc == SPM_OK)
		rc = spm_record_set_time(r, "received_at", spm_db_now(c->db));
	if (rc == SPM_OK)
		rc = spm_record_save(c->db, r);
	if (rc == SPM_OK)
		printf("%lld\n", (long long)spm_record_id(r));
	spm_record_free(r);
	return rc == SPM_OK ? 0 : cli_fail("contract pay", rc);
}

int cli_cmd_contract(struct ctx *c, int argc, char **argv)
{
	int64_t id;

	if (argc >= 1 && strcmp(argv[0], "split") == 0)
		return contract_split(argc, argv);
	if (argc < 3 || (strcmp(argv[0], "plan") != 0 && strcmp(argv[0], "pay") != 0))
		return cli_usage("contract needs: split AMOUNT N, plan ID DUE=AMOUNT..., or pay ID "
				 "AMOUNT [INSTALLMENT]", NULL);
	if (parse_id(&id, argv[1], "contract: '%s' is not an id"))
		return EXIT_USAGE;
	if (strcmp(argv[0], "plan") == 0)
		return contract_plan(c, id, argc - 2, argv + 2);
	return contract_pay(c, id, argc - 2, argv + 2);
}

static int task_add(struct ctx *c, int argc, char **argv)
{
	spm_record *r = NULL;
	int64_t assignee, linked = 0;
	int rc;

	if (argc != 3 && argc != 5)
		return cli_usage("task add needs TITLE ASSIGNEE [KIND ID]", NULL);
	if (parse_id(&assignee, argv[2], "task add: '%s' is not a user id") ||
	    (argc == 5 && parse_id(&linked, argv[4], "task add: '%s' is not an id")))
		return EXIT_USAGE;
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_record_new(&r, c->db, "task");
	if (rc == SPM_OK)
		rc = spm_record_set_text(r, "title", argv[1]);
	if (rc == SPM_OK)
		rc = spm_record_set_int(r, "assignee_id", assignee);
	if (rc == SPM_OK && argc == 5)
		rc = spm_record_set_text(r, "record_kind", argv[3]);
	if (rc == SPM_OK && argc == 5)
		rc = spm_record_set_int(r, "record_id", linked);
	if (rc == SPM_OK)
		rc = spm_record_save(c->db, r);
	if (rc == SPM_OK)
		printf("%lld\n", (long long)spm_record_id(r));
	spm_record_free(r);
	return rc == SPM_OK ? 0 : cli_fail("task add", rc);
}

int cli_cmd_task(struct ctx *c, int argc, char **argv)
{
	spm_record *r = NULL;
	int64_t id;
	int rc;

	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return task_add(c, argc, argv);
	if (argc != 2 || strcmp(argv[0], "done") != 0)
		return cli_usage("task needs: add TITLE ASSIGNEE [KIND ID], or done ID", NULL);
	if (parse_id(&id, argv[1], "task: '%s' is not an id"))
		return EXIT_USAGE;
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_record_get(&r, c->db, "task", id);
	if (rc == SPM_OK)
		rc = spm_record_set_text(r, "status", "done");
	if (rc == SPM_OK)
		rc = spm_record_save(c->db, r);
	spm_record_free(r);
	return rc == SPM_OK ? 0 : cli_fail("task done", rc);
}

int cli_cmd_comment(struct ctx *c, int argc, char **argv)
{
	int64_t id, out = 0;
	int rc;

	if (argc != 4 || strcmp(argv[0], "add") != 0)
		return cli_usage("comment needs: add KIND ID TEXT", NULL);
	if (parse_id(&id, argv[2], "comment: '%s' is not an id"))
		return EXIT_USAGE;
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	rc = spm_comment_add(&out, c->db, argv[1], id, argv[3]);
	if (rc != SPM_OK)
		return cli_fail("comment add", rc);
	printf("%lld\n", (long long)out);
	return 0;
}

int cli_cmd_approval(struct ctx *c, int argc, char **argv)
{
	int64_t id, out = 0;
	int rc;

	if (argc >= 1 && strcmp(argv[0], "submit") == 0) {
		if (argc != 4 && argc != 5)
			return cli_usage("approval submit needs ACTION KIND ID [DETAIL]", NULL);
		if (parse_id(&id, argv[3], "approval: '%s' is not an id"))
			return EXIT_USAGE;
		if (cli_open_db(c, SPM_OPEN_CREATE))
			return EXIT_FAIL;
		rc = spm_approval_submit(&out, c->db, argv[1], argv[2], id,
					 argc == 5 ? argv[4] : NULL);
		if (rc == SPM_OK || rc == SPM_EEXISTS)
			printf("%lld\n", (long long)out);
		return rc == SPM_OK ? 0 : cli_fail("approval submit", rc);
	}
	if (argc < 2 || argc > 3 || (strcmp(argv[0], "approve") != 0 &&
				     strcmp(argv[0], "reject") != 0 &&
				     (strcmp(argv[0], "cancel") != 0 || argc != 2)))
		return cli_usage("approval needs: submit ACTION KIND ID [DETAIL], approve ID "
				 "[COMMENT], reject ID [COMMENT], or cancel ID", NULL);
	if (parse_id(&id, argv[1], "approval: '%s' is not an id"))
		return EXIT_USAGE;
	if (cli_open_db(c, SPM_OPEN_CREATE))
		return EXIT_FAIL;
	if (strcmp(argv[0], "approve") == 0)
		rc = spm_approval_approve(c->db, id, argc == 3 ? argv[2] : NULL);
	else if (strcmp(argv[0], "reject") == 0)
		rc = spm_approval_reject(c->db, id, argc == 3 ? argv[2] : NULL);
	else
		rc = spm_approval_cancel(c->db, id);
	if (rc != SPM_OK) {
		char what[32];
		snprintf(what, sizeof(what), "approval %s", argv[0]);
		return cli_fail(what, rc);
	}
	return 0;
}
