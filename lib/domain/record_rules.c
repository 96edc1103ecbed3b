#include "domain/record_rules.h"

#include <stdio.h>
#include <string.h>

static spm__rule_type rule_type(spm_field_type t)
{
	switch (t) {
	case SPM_FIELD_INTEGER: return SPM__RULE_INTEGER;
	case SPM_FIELD_MONEY: return SPM__RULE_MONEY;
	case SPM_FIELD_DATE: return SPM__RULE_DATE;
	case SPM_FIELD_BOOLEAN: return SPM__RULE_BOOLEAN;
	case SPM_FIELD_TIME: return SPM__RULE_TIME;
	default: return SPM__RULE_TEXT;
	}
}

static int field_cb(spm__rule_field *out, const spm__rule_env *env, const char *name,
		    void *payload)
{
	const struct spm__record_env *e = (const struct spm__record_env *)env;
	long i = spm__field_index(e->kind, name);

	(void)payload;
	if (i < 0)
		return SPM_ENOTFOUND;
	memset(out, 0, sizeof(*out));
	out->slot = (uint32_t)i;
	out->type = rule_type(e->kind->fields[i].type);
	return SPM_OK;
}

void spm__record_env_init(struct spm__record_env *e, const spm_kind *kind)
{
	memset(e, 0, sizeof(*e));
	e->env.field = field_cb;
	e->kind = kind;
}

static int get_cb(spm__rule_value *out, const void *row, uint32_t slot, void *payload)
{
	const spm_record *rec = row;
	const struct spm__value *v;

	(void)payload;
	memset(out, 0, sizeof(*out));
	if (slot >= rec->nvalues || !rec->v[slot].has) {
		out->type = SPM__RULE_NULL;
		return SPM_OK;
	}
	v = &rec->v[slot];
	out->type = rule_type(rec->kind->fields[slot].type);
	switch (out->type) {
	case SPM__RULE_TEXT:
		out->u.text.ptr = v->s;
		out->u.text.len = v->len;
		break;
	case SPM__RULE_MONEY:
		out->u.money.amount = v->i;
		memcpy(out->u.money.currency, v->cur, 4);
		break;
	case SPM__RULE_BOOLEAN:
		out->u.boolean = v->i != 0;
		break;
	case SPM__RULE_DATE:
		out->u.date = (spm_date)v->i;
		break;
	case SPM__RULE_TIME:
		out->u.time = v->i;
		break;
	default:
		out->u.integer = v->i;
		break;
	}
	return SPM_OK;
}

void spm__record_rule_ctx(spm__rule_ctx *ctx, const spm_record *rec, spm_time now)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->now = now;
	ctx->row = rec;
	ctx->get = get_cb;
}

int spm__record_rule_compile(spm__rule **out, spm_db *db, const spm_kind *kind,
			     const char *text, const char *what)
{
	struct spm__record_env e;
	spm__rule_diag diag;
	int rc;

	spm__record_env_init(&e, kind);
	rc = spm__rule_compile(out, db, text, &e.env, &diag);
	if (rc != SPM_OK) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s", spm_error_message());
		spm__error_set(rc, "%s: %s", what, msg);
	}
	return rc;
}
