/* Filters in the rule language (docs/rules.md) over the cache's opportunity
 * columns: compiled once per query, evaluated per deal without allocating. */
#include "analytics/engine.h"
#include "analytics/rule_filter.h"

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

static int field_cb(spm__rule_field *out, const spm__rule_env *env, const char *name,
		    void *payload)
{
	(void)env;
	(void)payload;
	for (uint32_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0) {
			memset(out, 0, sizeof(*out));
			out->slot = i;
			out->type = fields[i].type;
			return SPM_OK;
		}
	return SPM_ENOTFOUND;
}

int spm__arule_compile(spm__rule **out, spm_db *db, const char *text)
{
	spm__rule_env env = { field_cb, NULL, NULL };
	spm__rule_diag diag;
	int rc = spm__rule_compile(out, db, text, &env, &diag);

	if (rc != SPM_OK) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s", spm_error_message());
		spm__error_set(rc, "$.rule: %s", msg);
	}
	return rc;
}

static const char *const status_text[] = { NULL, "open", "won", "lost" };

static int get_cb(spm__rule_value *out, const void *row, uint32_t slot, void *payload)
{
	const struct spm__acache *c = payload;
	size_t i = (size_t)(uintptr_t)row;
	uint8_t st = c->ostate[i];
	const char *s = NULL;

	memset(out, 0, sizeof(*out));
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
	int rc = spm__arule_compile(&rule, r->db, text);

	memset(&ctx, 0, sizeof(ctx));
	ctx.now = spm_db_now(r->db);
	ctx.get = get_cb;
	ctx.payload = r->c;
	for (size_t i = 0; rc == SPM_OK && i < r->nrec; i++) {
		int met, truth;
		if (!r->pass[i])
			continue;
		ctx.row = (const void *)(uintptr_t)i;
		rc = spm__rule_met(&met, &truth, rule, &ctx);
		r->pass[i] = (uint8_t)met;
	}
	spm__rule_free(rule);
	return rc;
}
