/* spm audit head | verify: the audit log's hash chain (include/spm/audit.h).
 * The head prints as ID:HASH, the form --anchor takes back. */
#include "spm_cli.h"

#include <stdio.h>
#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "ID:64 hex digits" into a; 0 when text is anything else. */
static int parse_anchor(spm_audit_anchor *a, const char *text)
{
	const char *colon = strchr(text, ':');
	char id[24];

	if (colon == NULL || (size_t)(colon - text) >= sizeof(id) || strlen(colon + 1) != 64)
		return 0;
	memcpy(id, text, (size_t)(colon - text));
	id[colon - text] = '\0';
	if (!cli_parse_i64(&a->id, id))
		return 0;
	for (int i = 0; i < 32; i++) {
		int hi = hex_value(colon[1 + 2 * i]), lo = hex_value(colon[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return 0;
		a->hash[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

static int audit_head(struct ctx *c, int argc)
{
	spm_audit_anchor a;
	int rc;

	if (argc != 1)
		return cli_usage("audit head takes no arguments", NULL);
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_audit_head(&a, c->db);
	if (rc != SPM_OK)
		return cli_fail("audit head", rc);
	printf("%lld:", (long long)a.id);
	for (int i = 0; i < 32; i++)
		printf("%02x", a.hash[i]);
	putchar('\n');
	return 0;
}

static int audit_verify(struct ctx *c, int argc, char **argv)
{
	spm_audit_anchor a = SPM_AUDIT_ANCHOR_INIT;
	int rc, anchored = 0;

	if (argc == 3 && strcmp(argv[1], "--anchor") == 0) {
		if (!parse_anchor(&a, argv[2]))
			return cli_usage("audit verify: '%s' is not ID:HASH (64 hex digits)", argv[2]);
		anchored = 1;
	} else if (argc != 1) {
		return cli_usage("usage: audit verify [--anchor ID:HASH]", NULL);
	}
	if (cli_open_db(c, SPM_OPEN_READONLY))
		return EXIT_FAIL;
	rc = spm_audit_verify(c->db, anchored ? &a : NULL);
	if (rc != SPM_OK)
		return cli_fail("audit verify", rc);
	puts(anchored ? "ok: the chain is whole and holds the anchor" : "ok: the chain is whole");
	return 0;
}

int cli_audit_chain(struct ctx *c, int argc, char **argv)
{
	if (strcmp(argv[0], "head") == 0)
		return audit_head(c, argc);
	return audit_verify(c, argc, argv);
}
