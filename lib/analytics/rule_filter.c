/* Filters in the rule language (docs/rules.md) over the cache's opportunity
 * columns and any custom field of opportunities (kept as a cache column once
 * a rule names it): compiled once per query, evaluated per deal without
 * allocating. */
#include "analytics/engine.h"
#include "analytics/rule_filter.h"
#include "core/registry.h"

#include <stdio.h>
#include <string.h>

enum { F_OWNER, F_CUSTOMER, F_STAGE, F_PIPELINE, F_STATUS, F_AMOUNT, F_EXPECTED, F_OPENED,
       F_CLOSED, F_SOURCE };

static const struct {
	const char *name;
	spm__rule_type type;
} fields[] = {
	[F_OWNER] = { "owner_id", SPM__RULE_INTEGER },
	[F_CUSTOMER] = { "customer_id", SPM__RULE_INTEGER },
	[F_STAGE] = { "stage_id", SPM__RULE_INTEGER },
	[F_PIPELINE] = { "pipeline_id", SPM__RULE_INTEGER },
	[F_STATUS] = { "status", SPM__RULE_TEXT },
	[F_AMOUNT] = { "amount", SPM__RULE_MONEY },
	[F_EXPECTED] = { "expected_close", SPM__RULE_DATE },
	[F_OPENED] = { "opened_at", SPM__RULE_TIME },
	[F_CLOSED] = { "closed_at", SPM__RULE_TIME },
	[F_SOURCE] = { "source", SPM__RULE_TEXT },
};

#define NCORE (sizeof(fields) / sizeof(fields[0]))
/* Custom fields a rule may name: slots NCORE .. NCORE + MAX_CUSTOM - 1. */
#define MAX_CUSTOM 16

/* The custom fields a rule names, and their columns while it runs. */
struct customs {
	spm_db *db;
	size_t n;
	char name[MAX_CUSTOM][SPM__RULE_MAX_NAME + 1];
	spm__rule_type type[MAX_CUSTOM];
	int mode[MAX_CUSTOM];                  /* SPM__CC_* */
	const struct spm__ccol *col[MAX_CUSTOM];
	const struct spm__acache *c;
};

static spm__rule_type custom_type(int *mode, spm_field_type t)
{
	*mode = SPM__CC_VALUES;
	switch (t) {
	case SPM_FIELD_INTEGER: return SPM__RULE_INTEGER;
	case SPM_FIELD_MONEY: return SPM__RULE_MONEY;
	case SPM_FIELD_BOOLEAN: return SPM__RULE_BOOLEAN;
	case SPM_FIELD_TIME: return SPM__RULE_TIME;
	case SPM_FIELD_DATE:
		*mode = SPM__CC_DAYS;
		return SPM__RULE_DATE;
	default:
		*mode = SPM__CC_CODES;  /* text and enum: the text itself */
		return SPM__RULE_TEXT;
	}
}

static int field_cb(spm__rule_field *out, const spm__rule_env *env, const char *name,
		    void *payload)
{
	struct customs *cu = payload;
	spm_kind *k = spm__kind_find(cu->db, "opportunity", 0);
	size_t index;

	(void)env;
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < NCORE; i++)
		if (strcmp(fields[i].name, name) == 0) {
			out->slot = i;
			out->type = fields[i].type;
			return SPM_OK;
		}
	for (uint32_t i = 0; i < cu->n; i++)
		if (strcmp(cu->name[i], name) == 0) {
			out->slot = (uint32_t)NCORE + i;
			out->type = cu->type[i];
			return SPM_OK;
		}
	/* other core fields are not in the cache: only custom ones are added */
	if (k == NULL || spm__field_lookup(&index, cu->db, k, name) != SPM_OK ||
	    index < k->ncore)
		return SPM_ENOTFOUND;
	if (cu->n == MAX_CUSTOM)
		return spm__error_set(SPM_EINVAL, "a filter names at most %d custom fields",
				      MAX_CUSTOM);
	snprintf(cu->name[cu->n], sizeof(cu->name[0]), "%s", name);
	cu->type[cu->n] = custom_type(&cu->mode[cu->n], k->fields[index].type);
	out->slot = (uint32_t)(NCORE + cu->n);
	out->type = cu->type[cu->n++];
	return SPM_OK;
}

static int compile(spm__rule **out, struct customs *cu, const char *text)
{
	spm__rule_env env = { field_cb, NULL, cu };
	spm__rule_diag diag;
	int rc = spm__rule_compile(out, cu->db, text, &env, &diag);

	if (rc != SPM_OK) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s", spm_error_message());
		spm__error_set(rc, "$.rule: %s", msg);
	}
	return rc;
}

int spm__arule_compile(spm__rule **out, spm_db *db, const char *text)
{
	struct customs cu;

	memset(&cu, 0, sizeof(cu));
	cu.db = db;
	return compile(out, &cu, text);
}

/* A custom field's value: codes are text, days dates, values the rest. */
static int get_custom(spm__rule_value *out, const struct customs *cu, uint32_t k, size_t i)
{
	const struct spm__ccol *col = cu->col[k];

	out->type = cu->type[k];
	if (col->mode == SPM__CC_DAYS) {
		out->u.date = (int32_t)col->code[i];
		if ((int32_t)col->code[i] == INT32_MIN)
			out->type = SPM__RULE_NULL;
	} else if (col->mode == SPM__CC_CODES) {
		if (col->code[i] == 0) {
			out->type = SPM__RULE_NULL;
		} else {
			out->u.text.ptr = col->dict.s[col->code[i]];
			out->u.text.len = strlen(out->u.text.ptr);
		}
	} else if (col->code[i] == 0) {
		out->type = SPM__RULE_NULL;
	} else if (out->type == SPM__RULE_MONEY) {
		out->u.money.amount = col->val[i];
		memcpy(out->u.money.currency, col->dict.s[col->code[i] - 1], 4);
	} else if (out->type == SPM__RULE_BOOLEAN) {
		out->u.boolean = col->val[i] != 0;
	} else if (out->type == SPM__RULE_TIME) {
		out->u.time = col->val[i];
	} else {
		out->u.integer = col->val[i];
	}
	return SPM_OK;
}

static const char *const status_text[] = { NULL, "open", "won", "lost" };

static int get_cb(spm__rule_value *out, const void *row, uint32_t slot, void *payload)
{
	const struct customs *cu = payload;
	const struct spm__acache *c = cu->c;
	size_t i = (size_t)(uintptr_t)row;
	uint8_t st = c->ostate[i];
	const char *s = NULL;

	memset(out, 0, sizeof(*out));
	if (slot >= NCORE)
		return get_custom(out, cu, slot - (uint32_t)NCORE, i);
	out->type = fields[slot].type;
	switch (slot) {
	case F_OWNER:
	case F_CUSTOMER:
		out->u.integer = slot == F_OWNER ? c->owner[i] : c->customer[i];
		if (out->u.integer == 0)
			out->type = SPM__RULE_NULL;
		return SPM_OK;
	case F_STAGE:
		if (c->ostage[i] == 0)
			out->type = SPM__RULE_NULL;
		else
			out->u.integer = c->stages[c->ostage[i] - 1].id;
		return SPM_OK;
	case F_PIPELINE:
		if (c->ostage[i] == 0)
			out->type = SPM__RULE_NULL;
		else
			out->u.integer = c->stages[c->ostage[i] - 1].pipeline_id;
		return SPM_OK;
	case F_AMOUNT:
		if (!(st & SPM__OF_AMOUNT)) {
			out->type = SPM__RULE_NULL;
			return SPM_OK;
		}
		out->u.money.amount = c->amount[i];
		memcpy(out->u.money.currency, c->cur.s[c->ocur[i]], 4);
		return SPM_OK;
	case F_EXPECTED:
		if (!(st & SPM__OF_EXPECT))
			out->type = SPM__RULE_NULL;
		out->u.date = c->expect[i];
		return SPM_OK;
	case F_OPENED:
	case F_CLOSED:
		if (!(st & (slot == F_OPENED ? SPM__OF_OPENED : SPM__OF_CLOSED)))
			out->type = SPM__RULE_NULL;
		out->u.time = slot == F_OPENED ? c->opened[i] : c->closed[i];
		return SPM_OK;
	default:
		s = slot == F_STATUS ? status_text[st & SPM__OS_STATUS] :
			c->osource[i] ? c->source.s[c->osource[i]] : NULL;
		if (s == NULL) {
			out->type = SPM__RULE_NULL;
			return SPM_OK;
		}
		out->u.text.ptr = s;
		out->u.text.len = strlen(s);
		return SPM_OK;
	}
}

int spm__arule_apply(struct spm__arun *r, const char *text)
{
	spm__rule *rule = NULL;
	spm__rule_ctx ctx;
	struct customs cu;
	int rc;

	memset(&cu, 0, sizeof(cu));
	cu.db = r->db;
	rc = compile(&rule, &cu, text);
	/* load every column first: a new one may move the ones before it */
	for (size_t k = 0; rc == SPM_OK && k < cu.n; k++) {
		struct spm__ccol *col;
		rc = spm__acache_custom(&col, r->db, r->c, cu.name[k], cu.mode[k]);
		r->c = r->db->acache;
	}
	for (size_t k = 0; rc == SPM_OK && k < cu.n; k++) {
		struct spm__ccol *col;
		rc = spm__acache_custom(&col, r->db, r->c, cu.name[k], cu.mode[k]);
		cu.col[k] = col;
	}
	cu.c = r->c;
	memset(&ctx, 0, sizeof(ctx));
	ctx.now = spm_db_now(r->db);
	ctx.get = get_cb;
	ctx.payload = &cu;
	for (size_t i = 0; rc == SPM_OK && i < r->nrec; i++) {
		int met, truth;
		if (!r->pass[i])
			continue;
		ctx.row = (const void *)(uintptr_t)i;
		rc = spm__rule_met(&met, &truth, rule, &ctx);
		r->pass[i] = (uint8_t)met;
		if (rc != SPM_OK) {
			char msg[400];
			snprintf(msg, sizeof(msg), "%s", spm_error_message());
			spm__error_set(rc, "$.rule: %s (opportunity %zu)", msg, i);
		}
	}
	spm__rule_free(rule);
	return rc;
}
