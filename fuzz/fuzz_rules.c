/* libFuzzer target for the rule language (TESTING.md §D): compile, print,
 * compile the printed text (it must print the same), then evaluate and
 * explain against a fixed fake record with a relation and a fixed clock.
 * Compiling goes through a handle's allocator so that a leaked rule is
 * caught here, not only by LeakSanitizer. Linked with replay_main.c it
 * is a plain program that replays files and directories of inputs (the
 * corpus replay in every CI run). */
#include "core/db_internal.h"
#include "rules/rules.h"
#include "spm/db.h"
#include "spm/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a fixed environment: one field of each type, one relation ---- */

struct fdef {
	const char *name;
	spm__rule_type type;
	const char *currency;
};

static const struct fdef top_fields[] = {
	{ "b", SPM__RULE_BOOLEAN, "" }, { "i", SPM__RULE_INTEGER, "" },
	{ "m", SPM__RULE_MONEY, "CNY" }, { "p", SPM__RULE_MONEY, "" },
	{ "t", SPM__RULE_TEXT, "" }, { "d", SPM__RULE_DATE, "" },
	{ "tm", SPM__RULE_TIME, "" }, { "z", SPM__RULE_INTEGER, "" },
	{ "big", SPM__RULE_INTEGER, "" }, { "u", SPM__RULE_TEXT, "" },
};

static const struct fdef row_fields[] = {
	{ "i", SPM__RULE_INTEGER, "" }, { "m", SPM__RULE_MONEY, "CNY" },
	{ "t", SPM__RULE_TEXT, "" }, { "d", SPM__RULE_DATE, "" },
	{ "p", SPM__RULE_MONEY, "" },
};

#define NTOP (sizeof(top_fields) / sizeof(top_fields[0]))
#define NROW (sizeof(row_fields) / sizeof(row_fields[0]))

struct kind {
	const struct fdef *f;
	size_t n;
};

static const struct kind top_kind = { top_fields, NTOP };
static const struct kind row_kind = { row_fields, NROW };

static int env_field(spm__rule_field *out, const spm__rule_env *env, const char *name,
		     void *payload)
{
	const struct kind *k = payload;

	(void)env;
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->f[i].name, name) == 0) {
			out->slot = (uint32_t)i;
			out->type = k->f[i].type;
			strcpy(out->currency, k->f[i].currency);
			return SPM_OK;
		}
	}
	return SPM_ENOTFOUND;
}

static const spm__rule_env row_env = { env_field, NULL, (void *)&row_kind };

static int env_relation(uint32_t *rel, const spm__rule_env **out, const spm__rule_env *env,
			const char *name, void *payload)
{
	(void)env;
	(void)payload;
	if (strcmp(name, "rows") != 0)
		return SPM_ENOTFOUND;
	*rel = 1;
	*out = &row_env;
	return SPM_OK;
}

static const spm__rule_env top_env = { env_field, env_relation, (void *)&top_kind };

struct row {
	spm__rule_value v[NTOP];
};

static struct row top, rows[3];

static spm__rule_value val(spm__rule_type type)
{
	spm__rule_value v;

	memset(&v, 0, sizeof(v));
	v.type = type;
	return v;
}

static void init_rows(void)
{
	top.v[0] = val(SPM__RULE_BOOLEAN);
	top.v[0].u.boolean = 1;
	top.v[1] = val(SPM__RULE_INTEGER);
	top.v[1].u.integer = 42;
	top.v[2] = val(SPM__RULE_MONEY);
	top.v[2].u.money.amount = 500000;
	strcpy(top.v[2].u.money.currency, "CNY");
	top.v[3] = val(SPM__RULE_MONEY);
	top.v[3].u.money.amount = -1250;
	strcpy(top.v[3].u.money.currency, "USD");
	top.v[4] = val(SPM__RULE_TEXT);
	top.v[4].u.text.ptr = "Acme 销售 Corp";
	top.v[4].u.text.len = strlen(top.v[4].u.text.ptr);
	top.v[5] = val(SPM__RULE_DATE);
	top.v[5].u.date = 19782;     /* 2024-02-29 */
	top.v[6] = val(SPM__RULE_TIME);
	top.v[6].u.time = 1709251200; /* 2024-03-01T00:00:00Z */
	top.v[7] = val(SPM__RULE_NULL);
	top.v[8] = val(SPM__RULE_INTEGER);
	top.v[8].u.integer = INT64_MAX;
	top.v[9] = val(SPM__RULE_TEXT);
	top.v[9].u.text.ptr = "";
	for (int k = 0; k < 3; k++) {
		rows[k].v[0] = val(k == 1 ? SPM__RULE_NULL : SPM__RULE_INTEGER);
		rows[k].v[0].u.integer = k == 2 ? INT64_MIN : 7 * k;
		rows[k].v[1] = val(SPM__RULE_MONEY);
		rows[k].v[1].u.money.amount = 100 * (k + 1);
		strcpy(rows[k].v[1].u.money.currency, "CNY");
		rows[k].v[2] = val(SPM__RULE_TEXT);
		rows[k].v[2].u.text.ptr = k ? "visit" : "call";
		rows[k].v[2].u.text.len = strlen(rows[k].v[2].u.text.ptr);
		rows[k].v[3] = val(SPM__RULE_DATE);
		rows[k].v[3].u.date = 19700 + k;
		rows[k].v[4] = val(SPM__RULE_MONEY);
		rows[k].v[4].u.money.amount = 1;
		strcpy(rows[k].v[4].u.money.currency, k == 2 ? "JPY" : "USD");
	}
}

static int get(spm__rule_value *out, const void *row, uint32_t slot, void *payload)
{
	(void)payload;
	if (row != &top && slot >= NROW)
		abort();  /* a slot of the wrong environment */
	*out = ((const struct row *)row)->v[slot];
	return SPM_OK;
}

static int iterate(const void *row, uint32_t rel, spm__rule_row_cb cb, void *state,
		   void *payload)
{
	(void)payload;
	if (row != &top || rel != 1)
		abort();
	for (int k = 0; k < 3; k++) {
		int rc = cb(state, &rows[k]);

		if (rc)
			return rc;
	}
	return 0;
}

static int expected_eval_status(int rc)
{
	return rc == SPM_OK || rc == SPM_EOVERFLOW || rc == SPM_ECURRENCY ||
	       rc == SPM_EINVAL || rc == SPM_ERANGE;
}

static int on_criterion(const spm__rule_criterion *c, void *payload)
{
	char buf[SPM__RULE_VALUE_FORMAT_MAX];

	(void)payload;
	if (c->text == NULL || c->why == NULL || !expected_eval_status(c->status))
		abort();
	if (c->status == SPM_OK && spm__rule_value_format(buf, sizeof(buf), &c->value) != SPM_OK)
		abort();
	return 0;
}

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_rules: %s\n  first:  %s\n  second: %s\n  error:  %s\n", what,
		a, b ? b : "", spm_error_message());
	abort();
}

static spm_db *db;
static size_t live0;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[SPM__RULE_MAX_TEXT + 2];
	spm__rule *r = NULL, *r2 = NULL;
	spm__rule_value v;
	spm__rule_ctx ctx;
	int rc, met;

	if (db == NULL) {
		if (spm_db_open(&db, NULL) != SPM_OK)
			abort();
		live0 = spm__alloc_live(db);
		init_rows();
	}
	/* texts past the limit are refused before parsing: keep inputs small */
	if (size > SPM__RULE_MAX_TEXT + 1)
		size = SPM__RULE_MAX_TEXT + 1;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = spm__rule_compile(&r, db, text, &top_env, NULL);
	if (rc != SPM_OK) {
		if (r != NULL || (rc != SPM_EINVAL && rc != SPM_ECURRENCY) ||
		    spm_error_message()[0] == '\0')
			fail("bad compile failure", text, NULL);
	} else {
		const char *printed = spm__rule_text(r);

		if (spm__rule_compile(&r2, db, printed, &top_env, NULL) != SPM_OK)
			fail("printed text does not compile", text, printed);
		if (strcmp(printed, spm__rule_text(r2)) != 0)
			fail("printing is not stable", printed, spm__rule_text(r2));
		if (spm__rule_result_type(r) != spm__rule_result_type(r2))
			fail("printed text changes the type", text, printed);

		memset(&ctx, 0, sizeof(ctx));
		ctx.now = 1709287200;  /* 2024-03-01T10:00:00Z */
		ctx.row = &top;
		ctx.get = get;
		ctx.iterate = iterate;
		rc = spm__rule_eval(&v, r, &ctx);
		if (!expected_eval_status(rc))
			fail("unexpected evaluation status", text, spm_result_name(rc));
		{
			spm__rule_value v2;
			int rc2 = spm__rule_eval(&v2, r2, &ctx);

			if (rc2 != rc)
				fail("the printed rule evaluates differently", text, printed);
			if (rc == SPM_OK && v.type != v2.type)
				fail("the printed rule gives another type", text, printed);
		}
		if (spm__rule_explain(NULL, r, &ctx, on_criterion, NULL) != rc)
			fail("explain and eval disagree", text, NULL);
		rc = spm__rule_met(&met, NULL, r, &ctx);
		if (!expected_eval_status(rc))
			fail("unexpected status from met", text, spm_result_name(rc));
		spm__rule_free(r2);
		spm__rule_free(r);
	}
	if (spm__alloc_live(db) != live0)
		fail("an allocation is left live", text, NULL);
	return 0;
}

/* Called by replay_main.c after the last input. */
void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
	if (db)
		spm_db_close(db);
	db = NULL;
}
