/* The canonical printer (lower-case keywords, single spaces, the fewest
 * parentheses that keep the tree) and value formatting. */
#include "rules/internal.h"

#include "core/error_internal.h"
#include "spm/money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void spm__out_str(struct spm__out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void out_cstr(struct spm__out *o, const char *s)
{
	spm__out_str(o, s, strlen(s));
}

const char *spm__rule_type_name(int type)
{
	static const char *const names[] = {
		"null", "boolean", "integer", "money", "text", "date", "time",
	};

	return type >= 0 && type <= SPM__RULE_TIME ? names[type] : "?";
}

const char *spm__rule_fn_name(int fn)
{
	static const char *const names[] = {
		"lower", "upper", "length", "trim", "contains", "starts_with", "ends_with",
		"days_since", "days_until", "today", "now", "coalesce", "abs", "min", "max",
	};

	return fn >= 0 && fn <= FN_MAX ? names[fn] : "?";
}

const char *spm__rule_agg_name(int agg)
{
	static const char *const names[] = { "count", "sum", "min", "max", "exists" };

	return agg >= 0 && agg <= AGG_EXISTS ? names[agg] : "?";
}

/* Binding strength: or 1, and 2, not 3, comparisons 4, + - 5, * / 6,
 * unary minus and negative literals 7, everything else 8. */
static int level(const struct spm__node *n)
{
	switch (n->op) {
	case OP_OR: return 1;
	case OP_AND: return 2;
	case OP_NOT: return 3;
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
	case OP_IN: case OP_NOT_IN: case OP_IS_NULL: case OP_IS_NOT_NULL:
	case OP_LIKE: case OP_NOT_LIKE:
		return 4;
	case OP_ADD: case OP_SUB: return 5;
	case OP_MUL: case OP_DIV: return 6;
	case OP_NEG: return 7;
	case OP_LIT:
		return (n->type == SPM__RULE_INTEGER || n->type == SPM__RULE_MONEY) &&
		       n->v.i < 0 ? 7 : 8;
	default: return 8;
	}
}

static void child(struct spm__out *o, const struct spm__code *c, int n, int min_level)
{
	if (level(&c->nodes[n]) < min_level) {
		spm__out_str(o, "(", 1);
		spm__rule_print_node(o, c, n);
		spm__out_str(o, ")", 1);
	} else {
		spm__rule_print_node(o, c, n);
	}
}

static void quoted(struct spm__out *o, const char *s, size_t n, spm__rule_case cm,
		   size_t max)
{
	size_t i = 0;
	int cut = n > max;

	if (cut) {
		/* back up to a code point boundary */
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	spm__out_str(o, "'", 1);
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (cm == SPM__RULE_CASE_LOWER && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		else if (cm == SPM__RULE_CASE_UPPER && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		spm__out_str(o, &ch, 1);
		if (ch == '\'')
			spm__out_str(o, "'", 1);
	}
	if (cut)
		spm__out_str(o, "...", 3);
	spm__out_str(o, "'", 1);
}

static void literal(struct spm__out *o, const struct spm__code *c, const struct spm__node *n)
{
	char buf[SPM_MONEY_FORMAT_MAX];

	switch (n->type) {
	case SPM__RULE_NULL:
		out_cstr(o, "null");
		break;
	case SPM__RULE_BOOLEAN:
		out_cstr(o, n->v.i ? "true" : "false");
		break;
	case SPM__RULE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, n->v.i);
		out_cstr(o, buf);
		break;
	case SPM__RULE_MONEY:
		/* the parser accepted the amount in this currency, so it formats */
		spm_money_format(buf, sizeof(buf), n->v.i, n->cur);
		out_cstr(o, buf);
		spm__out_str(o, " ", 1);
		out_cstr(o, n->cur);
		break;
	case SPM__RULE_TEXT:
		quoted(o, c->pool + n->v.str.off, n->v.str.len, SPM__RULE_CASE_AS_IS, SIZE_MAX);
		break;
	default: /* SPM__RULE_DATE */
		spm_date_format(buf, sizeof(buf), (spm_date)n->v.i);
		out_cstr(o, "date '");
		out_cstr(o, buf);
		out_cstr(o, "'");
		break;
	}
}

static const char *op_text(int op)
{
	switch (op) {
	case OP_AND: return " and ";
	case OP_OR: return " or ";
	case OP_EQ: return " = ";
	case OP_NE: return " != ";
	case OP_LT: return " < ";
	case OP_LE: return " <= ";
	case OP_GT: return " > ";
	case OP_GE: return " >= ";
	case OP_LIKE: return " like ";
	case OP_NOT_LIKE: return " not like ";
	case OP_ADD: return " + ";
	case OP_SUB: return " - ";
	case OP_MUL: return " * ";
	default: return " / ";
	}
}

void spm__rule_print_node(struct spm__out *o, const struct spm__code *c, int i)
{
	const struct spm__node *n = &c->nodes[i];
	int lv = level(n);

	switch (n->op) {
	case OP_LIT:
		literal(o, c, n);
		break;
	case OP_FIELD:
		out_cstr(o, c->pool + n->v.field.name);
		break;
	case OP_NOT:
		out_cstr(o, "not ");
		child(o, c, n->a, 3);
		break;
	case OP_NEG:
		/* "- -x", not "-(-x)": parentheses would deepen the nesting, and
		 * the printed text must stay within the limit the source met */
		out_cstr(o, level(&c->nodes[n->a]) == 7 ? "- " : "-");
		child(o, c, n->a, 7);
		break;
	case OP_IS_NULL:
	case OP_IS_NOT_NULL:
		child(o, c, n->a, 5);
		out_cstr(o, n->op == OP_IS_NULL ? " is null" : " is not null");
		break;
	case OP_IN:
	case OP_NOT_IN:
		child(o, c, n->a, 5);
		out_cstr(o, n->op == OP_IN ? " in (" : " not in (");
		for (int k = 0; k < n->nkids; k++) {
			if (k)
				out_cstr(o, ", ");
			spm__rule_print_node(o, c, c->kids[n->kid + k]);
		}
		out_cstr(o, ")");
		break;
	case OP_CALL:
		out_cstr(o, spm__rule_fn_name(n->fn));
		out_cstr(o, "(");
		if (n->a >= 0)
			spm__rule_print_node(o, c, n->a);
		if (n->b >= 0) {
			out_cstr(o, ", ");
			spm__rule_print_node(o, c, n->b);
		}
		out_cstr(o, ")");
		break;
	case OP_AGG:
		out_cstr(o, spm__rule_agg_name(n->fn));
		out_cstr(o, "(");
		out_cstr(o, c->pool + n->v.agg.rel_name);
		if (n->has_field) {
			out_cstr(o, ".");
			out_cstr(o, c->pool + n->v.agg.field_name);
		}
		if (n->c >= 0) {
			out_cstr(o, " where ");
			spm__rule_print_node(o, c, n->c);
		}
		out_cstr(o, ")");
		break;
	default:
		/* binary: comparisons do not associate, the rest associate left */
		child(o, c, n->a, lv == 4 ? 5 : lv);
		out_cstr(o, op_text(n->op));
		child(o, c, n->b, lv + 1);
		break;
	}
}

int spm__rule_print_value(struct spm__out *o, const spm__rule_value *v, size_t max_text)
{
	char buf[SPM_MONEY_FORMAT_MAX];
	spm_date d;
	int rc;

	switch (v->type) {
	case SPM__RULE_NULL:
		out_cstr(o, "null");
		return SPM_OK;
	case SPM__RULE_BOOLEAN:
		out_cstr(o, v->u.boolean ? "true" : "false");
		return SPM_OK;
	case SPM__RULE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, v->u.integer);
		out_cstr(o, buf);
		return SPM_OK;
	case SPM__RULE_MONEY:
		if (memchr(v->u.money.currency, '\0', 4) == NULL)
			return spm__error_set(SPM_EINVAL, "money value without a currency");
		if ((rc = spm_money_format(buf, sizeof(buf), v->u.money.amount,
					   v->u.money.currency)) != SPM_OK)
			return rc;
		out_cstr(o, buf);
		spm__out_str(o, " ", 1);
		out_cstr(o, v->u.money.currency);
		return SPM_OK;
	case SPM__RULE_TEXT:
		quoted(o, v->u.text.ptr, v->u.text.len, v->u.text.case_map, max_text);
		return SPM_OK;
	case SPM__RULE_DATE:
		if ((rc = spm_date_format(buf, sizeof(buf), v->u.date)) != SPM_OK)
			return rc;
		out_cstr(o, buf);
		return SPM_OK;
	case SPM__RULE_TIME: {
		int64_t secs;

		if ((rc = spm_date_from_time(&d, v->u.time)) != SPM_OK ||
		    (rc = spm_date_format(buf, sizeof(buf), d)) != SPM_OK)
			return rc;
		secs = v->u.time - (int64_t)d * 86400;
		out_cstr(o, buf);
		snprintf(buf, sizeof(buf), "T%02d:%02d:%02dZ", (int)(secs / 3600),
			 (int)(secs / 60 % 60), (int)(secs % 60));
		out_cstr(o, buf);
		return SPM_OK;
	}
	default:
		return spm__error_set(SPM_EINVAL, "unknown value type %d", (int)v->type);
	}
}

int spm__rule_value_format(char *buf, size_t size, const spm__rule_value *v)
{
	struct spm__out o;
	int rc;

	SPM__CHECK_ARG(buf);
	SPM__CHECK_ARG(v);
	if (size < SPM__RULE_VALUE_FORMAT_MAX)
		return spm__error_set(SPM_EINVAL, "spm__rule_value_format: buffer smaller "
				      "than %d bytes", SPM__RULE_VALUE_FORMAT_MAX);
	o.buf = buf;
	o.cap = size - 1;
	o.len = 0;
	/* quotes, a doubled quote per byte at worst, "..." */
	rc = spm__rule_print_value(&o, v, (size - 6) / 2);
	buf[o.len < o.cap ? o.len : o.cap] = '\0';
	return rc;
}
