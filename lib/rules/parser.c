/* Recursive-descent parser: text → node array. Names are resolved here,
 * through the environment in scope (a relation's environment inside an
 * aggregate's where-condition); types are checked afterwards (check.c). */
#include "rules/internal.h"

#include "core/error_internal.h"
#include "spm/money.h"

#include <string.h>

#define ERR_AT(p, t, ...) \
	spm__rule_error_at((p)->diag, SPM_EINVAL, (t)->off, (t)->line, (t)->col, __VA_ARGS__)

static const char *const keywords[] = {
	"and", "or", "not", "in", "is", "null", "true", "false", "like", "where",
};

static const struct { const char *name; enum spm__fn fn; int nargs; } functions[] = {
	{ "lower", FN_LOWER, 1 }, { "upper", FN_UPPER, 1 }, { "length", FN_LENGTH, 1 },
	{ "trim", FN_TRIM, 1 }, { "contains", FN_CONTAINS, 2 },
	{ "starts_with", FN_STARTS_WITH, 2 }, { "ends_with", FN_ENDS_WITH, 2 },
	{ "days_since", FN_DAYS_SINCE, 1 }, { "days_until", FN_DAYS_UNTIL, 1 },
	{ "today", FN_TODAY, 0 }, { "now", FN_NOW, 0 }, { "coalesce", FN_COALESCE, 2 },
	{ "abs", FN_ABS, 1 }, { "min", FN_MIN, 2 }, { "max", FN_MAX, 2 },
};

static int parse_expr(int *out, struct spm__parser *p);

static int tok_is(const struct spm__parser *p, const struct spm__tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->kind == TK_WORD && t->len == n && memcmp(p->lx.src + t->off, word, n) == 0;
}

static int is_keyword(const struct spm__parser *p, const struct spm__tok *t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (tok_is(p, t, keywords[i]))
			return 1;
	return 0;
}

/* A keyword in another case ("AND"): said in the error message. */
static const char *keyword_ci(const struct spm__parser *p, const struct spm__tok *t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		size_t n = strlen(keywords[i]);

		if (t->kind != TK_WORD || t->len != n)
			continue;
		size_t k = 0;
		while (k < n && (p->lx.src[t->off + k] | 0x20) == keywords[i][k])
			k++;
		if (k == n)
			return keywords[i];
	}
	return NULL;
}

static int is_name(const struct spm__parser *p, const struct spm__tok *t)
{
	const char *s = p->lx.src + t->off;

	if (t->kind != TK_WORD || !(s[0] >= 'a' && s[0] <= 'z') || is_keyword(p, t))
		return 0;
	for (size_t i = 1; i < t->len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int next(struct spm__parser *p)
{
	return spm__lex_next(&p->tok, &p->lx);
}

/* The token after the current one, without consuming anything. */
static int peek(struct spm__tok *t, struct spm__parser *p)
{
	struct spm__lexer copy = p->lx;

	return spm__lex_next(t, &copy);
}

static const char *tok_desc(const struct spm__tok *t)
{
	switch (t->kind) {
	case TK_EOF: return "the end of the rule";
	case TK_NUMBER: return "a number";
	case TK_STRING: return "a text literal";
	default: return NULL;
	}
}

static int unexpected(struct spm__parser *p, const char *expected)
{
	const struct spm__tok *t = &p->tok;
	const char *d = tok_desc(t);
	const char *kw = keyword_ci(p, t);

	if (kw && !is_keyword(p, t))
		return ERR_AT(p, t, "expected %s, found '%.*s' (keywords are lower case: '%s')",
			      expected, (int)t->len, p->lx.src + t->off, kw);
	if (d)
		return ERR_AT(p, t, "expected %s, found %s", expected, d);
	return ERR_AT(p, t, "expected %s, found '%.*s'", expected,
		      (int)(t->len > 40 ? 40 : t->len), p->lx.src + t->off);
}

static int expect(struct spm__parser *p, enum spm__tok_kind k, const char *what)
{
	if (p->tok.kind != k)
		return unexpected(p, what);
	return next(p);
}

static int new_node(int *out, struct spm__parser *p, enum spm__op op, const struct spm__tok *at)
{
	struct spm__node *n;

	if (p->nnodes >= SPM__RULE_MAX_NODES)
		return ERR_AT(p, at, "rule too complex: more than %d nodes", SPM__RULE_MAX_NODES);
	n = &p->nodes[p->nnodes];
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->off = (uint16_t)at->off;
	n->line = (uint16_t)at->line;
	n->col = (uint16_t)at->col;
	n->a = n->b = n->c = -1;
	*out = p->nnodes++;
	return SPM_OK;
}

/* Copies bytes to the pool, NUL-terminated; returns their offset. */
static uint32_t pool_add(struct spm__parser *p, const char *s, size_t n)
{
	uint32_t off = p->npool;

	/* The pool holds less than the text: names, and literals unescaped. */
	memcpy(p->pool + off, s, n);
	p->pool[off + n] = '\0';
	p->npool += (uint32_t)n + 1;
	return off;
}

static int enter(struct spm__parser *p)
{
	if (++p->depth > SPM__RULE_MAX_DEPTH)
		return ERR_AT(p, &p->tok, "rule nested deeper than %d levels", SPM__RULE_MAX_DEPTH);
	return SPM_OK;
}

/* A field or relation name at the current token, copied NUL-terminated. */
static int take_name(char *buf, struct spm__parser *p, const char *what)
{
	const struct spm__tok *t = &p->tok;

	if (!is_name(p, t)) {
		if (t->kind == TK_WORD && !is_keyword(p, t) && !keyword_ci(p, t))
			return ERR_AT(p, t, "invalid name '%.*s': names are lower-case letters, "
				      "digits and '_', starting with a letter",
				      (int)(t->len > 40 ? 40 : t->len), p->lx.src + t->off);
		return unexpected(p, what);
	}
	if (t->len > SPM__RULE_MAX_NAME)
		return ERR_AT(p, t, "name longer than %d bytes", SPM__RULE_MAX_NAME);
	memcpy(buf, p->lx.src + t->off, t->len);
	buf[t->len] = '\0';
	return SPM_OK;
}

static int resolve_field(spm__rule_field *f, struct spm__parser *p, const spm__rule_env *env,
			 const char *name, const struct spm__tok *at)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = env->field ? env->field(f, env, name, env->payload) : SPM_ENOTFOUND;
	if (rc == SPM_ENOTFOUND)
		return ERR_AT(p, at, "unknown field '%s'", name);
	if (rc != SPM_OK)
		return rc;
	if (f->type < SPM__RULE_BOOLEAN || f->type > SPM__RULE_TIME)
		return ERR_AT(p, at, "field '%s' has an unknown type", name);
	if (f->type == SPM__RULE_MONEY && f->currency[0] != '\0' &&
	    (memchr(f->currency, '\0', sizeof(f->currency)) == NULL ||
	     !spm_currency_valid(f->currency)))
		return ERR_AT(p, at, "field '%s' has an unknown currency", name);
	if (f->type != SPM__RULE_MONEY)
		f->currency[0] = '\0';
	return SPM_OK;
}

static int parse_field(int *out, struct spm__parser *p)
{
	struct spm__tok at = p->tok;
	char name[SPM__RULE_MAX_NAME + 1];
	spm__rule_field f;
	int rc, n;

	if ((rc = take_name(name, p, "a field")) != SPM_OK ||
	    (rc = resolve_field(&f, p, p->env, name, &at)) != SPM_OK ||
	    (rc = new_node(&n, p, OP_FIELD, &at)) != SPM_OK)
		return rc;
	p->nodes[n].v.field.slot = f.slot;
	p->nodes[n].v.field.name = pool_add(p, name, strlen(name));
	p->nodes[n].type = (uint8_t)f.type;
	memcpy(p->nodes[n].cur, f.currency, 4);
	*out = n;
	return next(p);
}

/* count(REL [where C]), exists(REL [where C]), sum|min|max(REL.field [where C]);
 * the current token is the relation's name. */
static int parse_aggregate(int *out, struct spm__parser *p, enum spm__agg agg,
			   const struct spm__tok *at)
{
	char name[SPM__RULE_MAX_NAME + 1];
	struct spm__tok rel_at = p->tok, field_at;
	const spm__rule_env *nested = NULL, *outer = p->env;
	uint32_t rel = 0, rel_name, field_name = 0;
	spm__rule_field f;
	int rc, n, cond = -1, has_field = 0;

	if ((rc = take_name(name, p, "a relation")) != SPM_OK)
		return rc;
	rc = outer->relation ? outer->relation(&rel, &nested, outer, name, outer->payload)
			     : SPM_ENOTFOUND;
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && nested == NULL))
		return ERR_AT(p, &rel_at, "unknown relation '%s'", name);
	if (rc != SPM_OK)
		return rc;
	rel_name = pool_add(p, name, strlen(name));
	if ((rc = next(p)) != SPM_OK)
		return rc;
	if (agg == AGG_SUM || agg == AGG_MIN || agg == AGG_MAX) {
		if (p->tok.kind != TK_DOT)
			return ERR_AT(p, &p->tok, "%s() needs a field of the relation: %s(%s.field)",
				      spm__rule_agg_name(agg), spm__rule_agg_name(agg), name);
		if ((rc = next(p)) != SPM_OK)
			return rc;
		field_at = p->tok;
		if ((rc = take_name(name, p, "a field")) != SPM_OK ||
		    (rc = resolve_field(&f, p, nested, name, &field_at)) != SPM_OK)
			return rc;
		has_field = 1;
		field_name = pool_add(p, name, strlen(name));
		if ((rc = next(p)) != SPM_OK)
			return rc;
	} else if (p->tok.kind == TK_DOT) {
		return ERR_AT(p, &p->tok, "%s() takes a relation, not a field",
			      spm__rule_agg_name(agg));
	}
	if (tok_is(p, &p->tok, "where")) {
		if ((rc = next(p)) != SPM_OK)
			return rc;
		p->env = nested;
		rc = parse_expr(&cond, p);
		p->env = outer;
		if (rc != SPM_OK)
			return rc;
	}
	/* created last: children precede their parent (check.c relies on it) */
	if ((rc = new_node(&n, p, OP_AGG, at)) != SPM_OK)
		return rc;
	p->uses_rel = 1;
	p->nodes[n].fn = (uint8_t)agg;
	p->nodes[n].c = (int16_t)cond;
	p->nodes[n].v.agg.rel = rel;
	p->nodes[n].v.agg.rel_name = rel_name;
	if (has_field) {
		p->nodes[n].has_field = 1;
		p->nodes[n].v.agg.slot = f.slot;
		p->nodes[n].v.agg.field_name = field_name;
		p->nodes[n].type = (uint8_t)f.type;
		memcpy(p->nodes[n].cur, f.currency, 4);
	}
	*out = n;
	return expect(p, TK_RPAREN, "'where' or ')'");
}

static int parse_call(int *out, struct spm__parser *p, const struct spm__tok *at)
{
	static const struct { const char *name; enum spm__agg agg; } aggs[] = {
		{ "count", AGG_COUNT }, { "sum", AGG_SUM }, { "exists", AGG_EXISTS },
		{ "min", AGG_MIN }, { "max", AGG_MAX },
	};
	int rc, n, args[2] = { -1, -1 }, nargs = 0;
	size_t i;

	/* the current token is '(' */
	if ((rc = next(p)) != SPM_OK)
		return rc;
	for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
		if (!tok_is(p, at, aggs[i].name))
			continue;
		if (aggs[i].agg == AGG_MIN || aggs[i].agg == AGG_MAX) {
			struct spm__tok t2;

			/* min(a, b) of two values, or min(REL.field …) */
			if ((rc = peek(&t2, p)) != SPM_OK)
				return rc;
			if (p->tok.kind != TK_WORD || t2.kind != TK_DOT)
				break;
		}
		return parse_aggregate(out, p, aggs[i].agg, at);
	}
	for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		if (tok_is(p, at, functions[i].name))
			break;
	if (i == sizeof(functions) / sizeof(functions[0]))
		return ERR_AT(p, at, "unknown function '%.*s'", (int)at->len, p->lx.src + at->off);
	if (p->tok.kind != TK_RPAREN) {
		for (;;) {
			struct spm__tok arg_at = p->tok;
			int a;

			if (nargs == functions[i].nargs)
				return ERR_AT(p, &arg_at, "%s() takes %d argument%s",
					      functions[i].name, functions[i].nargs,
					      functions[i].nargs == 1 ? "" : "s");
			if ((rc = parse_expr(&a, p)) != SPM_OK)
				return rc;
			args[nargs++] = a;
			if (p->tok.kind != TK_COMMA)
				break;
			if ((rc = next(p)) != SPM_OK)
				return rc;
		}
	}
	if (p->tok.kind != TK_RPAREN)
		return unexpected(p, "',' or ')'");
	if (nargs != functions[i].nargs)
		return ERR_AT(p, at, "%s() takes %d argument%s, not %d", functions[i].name,
			      functions[i].nargs, functions[i].nargs == 1 ? "" : "s", nargs);
	if ((rc = new_node(&n, p, OP_CALL, at)) != SPM_OK)
		return rc;
	p->nodes[n].fn = (uint8_t)functions[i].fn;
	p->nodes[n].a = (int16_t)args[0];
	p->nodes[n].b = (int16_t)args[1];
	if (functions[i].fn == FN_TODAY || functions[i].fn == FN_NOW ||
	    functions[i].fn == FN_DAYS_SINCE || functions[i].fn == FN_DAYS_UNTIL)
		p->uses_clock = 1;
	*out = n;
	return next(p);
}

/* An integer or money literal; negative when a unary minus precedes it, so
 * that -9223372036854775808 and -92233720368547758.08 USD are literals. */
static int parse_number(int *out, struct spm__parser *p, int negative,
			const struct spm__tok *at)
{
	struct spm__tok num = p->tok, cur;
	char text[48];
	int rc, n;
	int has_dot = memchr(p->lx.src + num.off, '.', num.len) != NULL;

	if ((rc = peek(&cur, p)) != SPM_OK)
		return rc;
	const char *cs = p->lx.src + cur.off;
	int is_cur = cur.kind == TK_WORD && cur.len == 3 && cs[0] >= 'A' && cs[0] <= 'Z' &&
		     cs[1] >= 'A' && cs[1] <= 'Z' && cs[2] >= 'A' && cs[2] <= 'Z' &&
		     !keyword_ci(p, &cur);

	if (num.len + 2 > sizeof(text))
		return ERR_AT(p, &num, "number out of range");
	text[0] = '-';
	memcpy(text + 1, p->lx.src + num.off, num.len);
	text[num.len + 1] = '\0';
	if ((rc = new_node(&n, p, OP_LIT, at)) != SPM_OK)
		return rc;
	if (is_cur) {
		char code[4];

		memcpy(code, cs, 3);
		code[3] = '\0';
		if (!spm_currency_valid(code))
			return ERR_AT(p, &cur, "unknown currency '%s'", code);
		rc = spm_money_parse(&p->nodes[n].v.i, text + !negative, code);
		if (rc == SPM_EOVERFLOW)
			return ERR_AT(p, &num, "amount out of range");
		if (rc != SPM_OK)
			return ERR_AT(p, &num, "malformed amount '%.*s' for %s (at most the "
				      "currency's decimals)", (int)num.len, p->lx.src + num.off, code);
		p->nodes[n].type = SPM__RULE_MONEY;
		memcpy(p->nodes[n].cur, code, 4);
		if ((rc = next(p)) != SPM_OK)
			return rc;
	} else {
		uint64_t v = 0;
		uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

		if (has_dot)
			return ERR_AT(p, &num, "a decimal number needs a currency "
				      "(e.g. %.*s CNY); integers have no decimals",
				      (int)num.len, p->lx.src + num.off);
		for (size_t i = 0; i < num.len; i++) {
			unsigned d = (unsigned)(p->lx.src[num.off + i] - '0');

			if (v > (limit - d) / 10)
				return ERR_AT(p, &num, "integer out of range");
			v = v * 10 + d;
		}
		p->nodes[n].type = SPM__RULE_INTEGER;
		p->nodes[n].v.i = negative ? (int64_t)(0 - v) : (int64_t)v;
		if (negative && v == (uint64_t)INT64_MAX + 1)
			p->nodes[n].v.i = INT64_MIN;
	}
	*out = n;
	return next(p);
}

static int parse_string(int *out, struct spm__parser *p, const struct spm__tok *at)
{
	const struct spm__tok *t = &p->tok;
	const char *s = p->lx.src + t->off + 1;
	size_t n = t->len - 2;
	uint32_t off = p->npool, len = 0;
	int rc, node;

	if ((rc = new_node(&node, p, OP_LIT, at)) != SPM_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		p->pool[off + len++] = s[i];
		if (s[i] == '\'')
			i++;  /* '' stands for ' */
	}
	p->pool[off + len] = '\0';
	p->npool += len + 1;
	p->nodes[node].type = SPM__RULE_TEXT;
	p->nodes[node].v.str.off = off;
	p->nodes[node].v.str.len = len;
	*out = node;
	return next(p);
}

static int parse_primary(int *out, struct spm__parser *p)
{
	struct spm__tok t = p->tok, t2;
	int rc, n;

	switch (t.kind) {
	case TK_NUMBER:
		return parse_number(out, p, 0, &t);
	case TK_STRING:
		return parse_string(out, p, &t);
	case TK_LPAREN:
		if ((rc = next(p)) != SPM_OK || (rc = parse_expr(out, p)) != SPM_OK)
			return rc;
		return expect(p, TK_RPAREN, "')'");
	case TK_WORD:
		break;
	default:
		return unexpected(p, "a value");
	}
	if (tok_is(p, &t, "true") || tok_is(p, &t, "false") || tok_is(p, &t, "null")) {
		if ((rc = new_node(&n, p, OP_LIT, &t)) != SPM_OK)
			return rc;
		p->nodes[n].type = tok_is(p, &t, "null") ? SPM__RULE_NULL : SPM__RULE_BOOLEAN;
		p->nodes[n].v.i = tok_is(p, &t, "true");
		*out = n;
		return next(p);
	}
	if (is_keyword(p, &t))
		return unexpected(p, "a value");
	if ((rc = peek(&t2, p)) != SPM_OK)
		return rc;
	if (tok_is(p, &t, "date") && t2.kind == TK_STRING) {
		char buf[16];
		spm_date d;

		if ((rc = next(p)) != SPM_OK)
			return rc;
		if (t2.len - 2 >= sizeof(buf))
			return ERR_AT(p, &t2, "invalid date: write date 'YYYY-MM-DD'");
		memcpy(buf, p->lx.src + t2.off + 1, t2.len - 2);
		buf[t2.len - 2] = '\0';
		if (spm_date_parse(&d, buf) != SPM_OK)
			return ERR_AT(p, &t2, "invalid date '%s': write date 'YYYY-MM-DD'", buf);
		if ((rc = new_node(&n, p, OP_LIT, &t)) != SPM_OK)
			return rc;
		p->nodes[n].type = SPM__RULE_DATE;
		p->nodes[n].v.i = d;
		*out = n;
		return next(p);
	}
	if (t2.kind == TK_LPAREN && is_name(p, &t)) {
		if ((rc = next(p)) != SPM_OK)
			return rc;
		return parse_call(out, p, &t);
	}
	if (t2.kind == TK_DOT && is_name(p, &t))
		return ERR_AT(p, &t2, "'%.*s.field' is only allowed in sum(), min() and max()",
			      (int)t.len, p->lx.src + t.off);
	return parse_field(out, p);
}

static int parse_unary(int *out, struct spm__parser *p)
{
	struct spm__tok t = p->tok;
	int rc, a, n;

	if (t.kind != TK_MINUS)
		return parse_primary(out, p);
	if ((rc = next(p)) != SPM_OK)
		return rc;
	if (p->tok.kind == TK_NUMBER)
		return parse_number(out, p, 1, &t);
	if ((rc = enter(p)) != SPM_OK || (rc = parse_unary(&a, p)) != SPM_OK)
		return rc;
	p->depth--;
	/* -(5) and -(-5) fold to literals, so that the printed "-5" and "5"
	 * read back the same; only -(-9223372036854775808) stays an operation */
	if (p->nodes[a].op == OP_LIT && p->nodes[a].v.i != INT64_MIN &&
	    (p->nodes[a].type == SPM__RULE_INTEGER || p->nodes[a].type == SPM__RULE_MONEY)) {
		p->nodes[a].v.i = -p->nodes[a].v.i;
		*out = a;
		return SPM_OK;
	}
	if ((rc = new_node(&n, p, OP_NEG, &t)) != SPM_OK)
		return rc;
	p->nodes[n].a = (int16_t)a;
	*out = n;
	return SPM_OK;
}

static int binary(int *out, struct spm__parser *p, enum spm__op op,
		  const struct spm__tok *at, int a, int b)
{
	int rc = new_node(out, p, op, at);

	if (rc == SPM_OK) {
		p->nodes[*out].a = (int16_t)a;
		p->nodes[*out].b = (int16_t)b;
	}
	return rc;
}

static int parse_mul(int *out, struct spm__parser *p)
{
	int rc, a, b;

	if ((rc = parse_unary(&a, p)) != SPM_OK)
		return rc;
	while (p->tok.kind == TK_STAR || p->tok.kind == TK_SLASH) {
		struct spm__tok t = p->tok;

		if ((rc = next(p)) != SPM_OK || (rc = parse_unary(&b, p)) != SPM_OK ||
		    (rc = binary(&a, p, t.kind == TK_STAR ? OP_MUL : OP_DIV, &t, a, b)) != SPM_OK)
			return rc;
	}
	*out = a;
	return SPM_OK;
}

static int parse_add(int *out, struct spm__parser *p)
{
	int rc, a, b;

	if ((rc = parse_mul(&a, p)) != SPM_OK)
		return rc;
	while (p->tok.kind == TK_PLUS || p->tok.kind == TK_MINUS) {
		struct spm__tok t = p->tok;

		if ((rc = next(p)) != SPM_OK || (rc = parse_mul(&b, p)) != SPM_OK ||
		    (rc = binary(&a, p, t.kind == TK_PLUS ? OP_ADD : OP_SUB, &t, a, b)) != SPM_OK)
			return rc;
	}
	*out = a;
	return SPM_OK;
}

static int parse_in_list(int *out, struct spm__parser *p, int lhs, int negated,
			 const struct spm__tok *at)
{
	int items[SPM__RULE_MAX_NODES];
	int rc, n, count = 0;

	if ((rc = expect(p, TK_LPAREN, "'(' after 'in'")) != SPM_OK)
		return rc;
	for (;;) {
		if ((rc = parse_expr(&items[count], p)) != SPM_OK)
			return rc;
		count++;  /* each item is a node, so count stays below the node limit */
		if (p->tok.kind != TK_COMMA)
			break;
		if ((rc = next(p)) != SPM_OK)
			return rc;
	}
	if ((rc = expect(p, TK_RPAREN, "',' or ')'")) != SPM_OK)
		return rc;
	if ((rc = new_node(&n, p, negated ? OP_NOT_IN : OP_IN, at)) != SPM_OK)
		return rc;
	if (p->nkids + count > SPM__RULE_KIDS_MAX)
		return ERR_AT(p, at, "rule too complex: more than %d nodes", SPM__RULE_MAX_NODES);
	p->nodes[n].a = (int16_t)lhs;
	p->nodes[n].kid = p->nkids;
	p->nodes[n].nkids = (uint16_t)count;
	for (int i = 0; i < count; i++)
		p->kids[p->nkids++] = (uint16_t)items[i];
	*out = n;
	return SPM_OK;
}

static const struct { enum spm__tok_kind tk; enum spm__op op; } cmp_ops[] = {
	{ TK_EQ, OP_EQ }, { TK_NE, OP_NE }, { TK_LT, OP_LT },
	{ TK_LE, OP_LE }, { TK_GT, OP_GT }, { TK_GE, OP_GE },
};

static int is_cmp(const struct spm__parser *p)
{
	for (size_t i = 0; i < sizeof(cmp_ops) / sizeof(cmp_ops[0]); i++)
		if (p->tok.kind == cmp_ops[i].tk)
			return 1;
	return tok_is(p, &p->tok, "in") || tok_is(p, &p->tok, "is") ||
	       tok_is(p, &p->tok, "like") || tok_is(p, &p->tok, "not");
}

static int parse_cmp(int *out, struct spm__parser *p)
{
	struct spm__tok t;
	int rc, a, b, negated = 0;

	if ((rc = parse_add(&a, p)) != SPM_OK)
		return rc;
	t = p->tok;
	for (size_t i = 0; i < sizeof(cmp_ops) / sizeof(cmp_ops[0]); i++) {
		if (t.kind != cmp_ops[i].tk)
			continue;
		if ((rc = next(p)) != SPM_OK || (rc = parse_add(&b, p)) != SPM_OK ||
		    (rc = binary(out, p, cmp_ops[i].op, &t, a, b)) != SPM_OK)
			return rc;
		goto done;
	}
	if (tok_is(p, &t, "is")) {
		if ((rc = next(p)) != SPM_OK)
			return rc;
		if (tok_is(p, &p->tok, "not")) {
			negated = 1;
			if ((rc = next(p)) != SPM_OK)
				return rc;
		}
		if (!tok_is(p, &p->tok, "null"))
			return unexpected(p, negated ? "'null'" : "'null' or 'not null'");
		if ((rc = binary(out, p, negated ? OP_IS_NOT_NULL : OP_IS_NULL, &t, a, -1)) != SPM_OK)
			return rc;
		if ((rc = next(p)) != SPM_OK)
			return rc;
		goto done;
	}
	if (tok_is(p, &t, "not")) {
		negated = 1;
		if ((rc = next(p)) != SPM_OK)
			return rc;
		if (!tok_is(p, &p->tok, "in") && !tok_is(p, &p->tok, "like"))
			return unexpected(p, "'in' or 'like' after 'not'");
	}
	if (tok_is(p, &p->tok, "in")) {
		if ((rc = next(p)) != SPM_OK)
			return rc;
		if ((rc = parse_in_list(out, p, a, negated, &t)) != SPM_OK)
			return rc;
		goto done;
	}
	if (tok_is(p, &p->tok, "like")) {
		if ((rc = next(p)) != SPM_OK || (rc = parse_add(&b, p)) != SPM_OK ||
		    (rc = binary(out, p, negated ? OP_NOT_LIKE : OP_LIKE, &t, a, b)) != SPM_OK)
			return rc;
		goto done;
	}
	*out = a;
	return SPM_OK;
done:
	if (is_cmp(p))
		return ERR_AT(p, &p->tok, "comparisons do not chain; join them with 'and' "
			      "or use parentheses");
	return SPM_OK;
}

static int parse_not(int *out, struct spm__parser *p)
{
	struct spm__tok t = p->tok;
	int rc, a, n;

	if (!tok_is(p, &t, "not"))
		return parse_cmp(out, p);
	if ((rc = next(p)) != SPM_OK || (rc = enter(p)) != SPM_OK ||
	    (rc = parse_not(&a, p)) != SPM_OK)
		return rc;
	p->depth--;
	if ((rc = new_node(&n, p, OP_NOT, &t)) != SPM_OK)
		return rc;
	p->nodes[n].a = (int16_t)a;
	*out = n;
	return SPM_OK;
}

static int parse_and(int *out, struct spm__parser *p)
{
	int rc, a, b;

	if ((rc = parse_not(&a, p)) != SPM_OK)
		return rc;
	while (tok_is(p, &p->tok, "and")) {
		struct spm__tok t = p->tok;

		if ((rc = next(p)) != SPM_OK || (rc = parse_not(&b, p)) != SPM_OK ||
		    (rc = binary(&a, p, OP_AND, &t, a, b)) != SPM_OK)
			return rc;
	}
	*out = a;
	return SPM_OK;
}

static int parse_expr(int *out, struct spm__parser *p)
{
	int rc, a, b;

	if ((rc = enter(p)) != SPM_OK || (rc = parse_and(&a, p)) != SPM_OK)
		return rc;
	while (tok_is(p, &p->tok, "or")) {
		struct spm__tok t = p->tok;

		if ((rc = next(p)) != SPM_OK || (rc = parse_and(&b, p)) != SPM_OK ||
		    (rc = binary(&a, p, OP_OR, &t, a, b)) != SPM_OK)
			return rc;
	}
	p->depth--;
	*out = a;
	return SPM_OK;
}

int spm__rule_parse(int *root, struct spm__parser *p)
{
	int rc;

	if ((rc = next(p)) != SPM_OK)
		return rc;
	if (p->tok.kind == TK_EOF)
		return ERR_AT(p, &p->tok, "empty rule");
	if ((rc = parse_expr(root, p)) != SPM_OK)
		return rc;
	if (p->tok.kind != TK_EOF)
		return unexpected(p, "an operator or the end of the rule");
	return SPM_OK;
}
