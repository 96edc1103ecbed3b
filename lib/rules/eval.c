/* Evaluation: a walk over the node array with values on the C stack (the
 * compiler bounds the depth), SQL three-valued logic, checked arithmetic,
 * aggregates through the caller's row iteration, and explanations. Nothing
 * here allocates. */
#include "rules/internal.h"

#include "core/error_internal.h"
#include "spm/money.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct frame {
	const spm__rule *r;
	const spm__rule_ctx *ctx;
	const void *row;
};

/* An aggregate's row callback returns this to stop exists() early. */
#define STOP 1

static int ev(spm__rule_value *out, const struct frame *f, int i);

static int rt_err(const struct spm__node *n, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static int rt_err(const struct spm__node *n, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return spm__error_set(code, "%u:%u: %s", n->line, n->col, msg);
}

static void set_null(spm__rule_value *v)
{
	memset(v, 0, sizeof(*v));
	v->type = SPM__RULE_NULL;
}

static void set_bool(spm__rule_value *v, int b)
{
	memset(v, 0, sizeof(*v));
	v->type = SPM__RULE_BOOLEAN;
	v->u.boolean = b != 0;
}

static void set_int(spm__rule_value *v, int64_t i)
{
	memset(v, 0, sizeof(*v));
	v->type = SPM__RULE_INTEGER;
	v->u.integer = i;
}

static const char *name_of(const struct frame *f, const struct spm__node *n)
{
	return f->r->code.pool + (n->op == OP_FIELD ? n->v.field.name : n->v.agg.field_name);
}

/* Reads a field of row through ctx->get and checks it against its
 * declaration (node n: a field, or an aggregate over REL.field). */
static int get_field(spm__rule_value *out, const struct frame *f, const void *row,
		     const struct spm__node *n, uint32_t slot)
{
	int rc;

	if (f->ctx->get == NULL)
		return rt_err(n, SPM_EINVAL, "no field getter in the context");
	set_null(out);
	if ((rc = f->ctx->get(out, row, slot, f->ctx->payload)) != SPM_OK)
		return rc;
	if (out->type == SPM__RULE_NULL)
		return SPM_OK;
	if (out->type != n->type)
		return rt_err(n, SPM_EINVAL, "field '%s' gave %s, declared %s", name_of(f, n),
			      spm__rule_type_name(out->type), spm__rule_type_name(n->type));
	switch (out->type) {
	case SPM__RULE_BOOLEAN:
		out->u.boolean = out->u.boolean != 0;
		break;
	case SPM__RULE_MONEY:
		if (memchr(out->u.money.currency, '\0', 4) == NULL ||
		    !spm_currency_valid(out->u.money.currency))
			return rt_err(n, SPM_EINVAL, "field '%s' gave money without a valid "
				      "currency", name_of(f, n));
		if (n->cur[0] && strcmp(n->cur, out->u.money.currency) != 0)
			return rt_err(n, SPM_ECURRENCY, "field '%s' gave money in %s, declared %s",
				      name_of(f, n), out->u.money.currency, n->cur);
		break;
	case SPM__RULE_TEXT:
		if (out->u.text.ptr == NULL) {
			out->u.text.ptr = "";
			out->u.text.len = 0;
		}
		if (out->u.text.case_map > SPM__RULE_CASE_UPPER)
			out->u.text.case_map = SPM__RULE_CASE_AS_IS;
		break;
	default:
		break;
	}
	return SPM_OK;
}

/* ---- text, with lower()/upper() applied on the fly ---- */

static unsigned char tch(const spm__rule_value *v, size_t i)
{
	unsigned char c = (unsigned char)v->u.text.ptr[i];

	if (v->u.text.case_map == SPM__RULE_CASE_LOWER && c >= 'A' && c <= 'Z')
		return (unsigned char)(c + 32);
	if (v->u.text.case_map == SPM__RULE_CASE_UPPER && c >= 'a' && c <= 'z')
		return (unsigned char)(c - 32);
	return c;
}

/* Byte order of UTF-8 is code point order. */
static int text_cmp(const spm__rule_value *a, const spm__rule_value *b)
{
	size_t n = a->u.text.len < b->u.text.len ? a->u.text.len : b->u.text.len;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = tch(a, i), y = tch(b, i);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->u.text.len < b->u.text.len ? -1 : a->u.text.len > b->u.text.len;
}

static int text_at(const spm__rule_value *s, size_t at, const spm__rule_value *p)
{
	for (size_t i = 0; i < p->u.text.len; i++)
		if (tch(s, at + i) != tch(p, i))
			return 0;
	return 1;
}

static int text_contains(const spm__rule_value *s, const spm__rule_value *p)
{
	if (p->u.text.len > s->u.text.len)
		return 0;
	for (size_t at = 0; at + p->u.text.len <= s->u.text.len; at++)
		if (text_at(s, at, p))
			return 1;
	return 0;
}

static size_t cp_len(const spm__rule_value *v, size_t i)
{
	unsigned char c = (unsigned char)v->u.text.ptr[i];
	size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

	return k < v->u.text.len - i ? k : v->u.text.len - i;
}

/* SQL LIKE: % any sequence, _ one code point, no escape character. */
static int text_like(const spm__rule_value *s, const spm__rule_value *p)
{
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
	size_t sn = s->u.text.len, pn = p->u.text.len;

	while (si < sn) {
		if (pi < pn && p->u.text.ptr[pi] == '%') {
			star_p = ++pi;
			star_s = si;
		} else if (pi < pn && p->u.text.ptr[pi] == '_') {
			si += cp_len(s, si);
			pi++;
		} else if (pi < pn && tch(p, pi) == tch(s, si)) {
			si++;
			pi++;
		} else if (star_p != SIZE_MAX) {
			star_s += cp_len(s, star_s);
			si = star_s;
			pi = star_p;
		} else {
			return 0;
		}
	}
	while (pi < pn && p->u.text.ptr[pi] == '%')
		pi++;
	return pi == pn;
}

static size_t text_length(const spm__rule_value *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->u.text.len; i++)
		n += ((unsigned char)v->u.text.ptr[i] & 0xC0) != 0x80;
	return n;
}

/* Length of the white space (ASCII, U+00A0, U+3000) at s[i] or ending at
 * s[i] (back), else 0. */
static size_t space_at(const char *s, size_t n, size_t i, int back)
{
	static const char *const wide[] = { "\xC2\xA0", "\xE3\x80\x80" };

	if (!back && i < n && strchr(" \t\n\r\f\v", s[i]) && s[i] != '\0')
		return 1;
	if (back && i > 0 && strchr(" \t\n\r\f\v", s[i - 1]) && s[i - 1] != '\0')
		return 1;
	for (size_t k = 0; k < 2; k++) {
		size_t w = strlen(wide[k]);

		if (!back && n - i >= w && memcmp(s + i, wide[k], w) == 0)
			return w;
		if (back && i >= w && memcmp(s + i - w, wide[k], w) == 0)
			return w;
	}
	return 0;
}

static void text_trim(spm__rule_value *v)
{
	const char *s = v->u.text.ptr;
	size_t b = 0, e = v->u.text.len, k;

	while (b < e && (k = space_at(s, e, b, 0)) != 0)
		b += k;
	while (e > b && (k = space_at(s, e, e, 1)) != 0)
		e -= k;
	v->u.text.ptr = s + b;
	v->u.text.len = e - b;
}

/* ---- comparisons ---- */

/* Orders two non-null values of one type: -1, 0, 1 in *cmp. */
static int compare(int *cmp, const struct spm__node *n, const spm__rule_value *a,
		   const spm__rule_value *b)
{
	int64_t x, y;

	switch (a->type) {
	case SPM__RULE_TEXT:
		*cmp = text_cmp(a, b);
		return SPM_OK;
	case SPM__RULE_MONEY:
		if (strcmp(a->u.money.currency, b->u.money.currency) != 0)
			return rt_err(n, SPM_ECURRENCY, "cannot compare money in %s with money "
				      "in %s", a->u.money.currency, b->u.money.currency);
		x = a->u.money.amount;
		y = b->u.money.amount;
		break;
	case SPM__RULE_BOOLEAN:
		x = a->u.boolean;
		y = b->u.boolean;
		break;
	case SPM__RULE_DATE:
		x = a->u.date;
		y = b->u.date;
		break;
	case SPM__RULE_TIME:
		x = a->u.time;
		y = b->u.time;
		break;
	default:
		x = a->u.integer;
		y = b->u.integer;
		break;
	}
	*cmp = (x > y) - (x < y);
	return SPM_OK;
}

static int cmp_holds(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

static int eval_in(spm__rule_value *out, const struct frame *f, const struct spm__node *n)
{
	spm__rule_value x, e;
	int rc, saw_null = 0, c;

	if ((rc = ev(&x, f, n->a)) != SPM_OK)
		return rc;
	if (x.type == SPM__RULE_NULL) {
		set_null(out);
		return SPM_OK;
	}
	for (int k = 0; k < n->nkids; k++) {
		if ((rc = ev(&e, f, f->r->code.kids[n->kid + k])) != SPM_OK)
			return rc;
		if (e.type == SPM__RULE_NULL) {
			saw_null = 1;
			continue;
		}
		if ((rc = compare(&c, n, &x, &e)) != SPM_OK)
			return rc;
		if (c == 0) {
			set_bool(out, n->op == OP_IN);
			return SPM_OK;
		}
	}
	/* SQL: no match but a null in the list is unknown */
	if (saw_null)
		set_null(out);
	else
		set_bool(out, n->op == OP_NOT_IN);
	return SPM_OK;
}

/* ---- arithmetic ---- */

static uint64_t mag(int64_t v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/* a / b rounded half-even; b != 0 and not (a == INT64_MIN and b == -1). */
static int64_t div_half_even(int64_t a, int64_t b)
{
	int64_t q = a / b;
	uint64_t r = mag(a % b), half = mag(b) - r;  /* 2r vs |b|, without overflow */

	if (r > half || (r == half && (q & 1) != 0))
		q += ((a < 0) != (b < 0)) ? -1 : 1;
	return q;
}

static int eval_arith(spm__rule_value *out, const struct frame *f, const struct spm__node *n)
{
	static const char *const verbs[] = { "add", "subtract", "multiply", "divide" };
	spm__rule_value a, b;
	int64_t x, y, z = 0;
	int rc, ovf = 0;

	if ((rc = ev(&a, f, n->a)) != SPM_OK || (rc = ev(&b, f, n->b)) != SPM_OK)
		return rc;
	if (a.type == SPM__RULE_NULL || b.type == SPM__RULE_NULL) {
		set_null(out);
		return SPM_OK;
	}
	x = a.type == SPM__RULE_MONEY ? a.u.money.amount : a.u.integer;
	y = b.type == SPM__RULE_MONEY ? b.u.money.amount : b.u.integer;
	if (a.type == SPM__RULE_MONEY && b.type == SPM__RULE_MONEY &&
	    strcmp(a.u.money.currency, b.u.money.currency) != 0)
		return rt_err(n, SPM_ECURRENCY, "cannot %s money in %s and money in %s",
			      verbs[n->op - OP_ADD], a.u.money.currency, b.u.money.currency);
	switch (n->op) {
	case OP_ADD:
		ovf = __builtin_add_overflow(x, y, &z);
		break;
	case OP_SUB:
		ovf = __builtin_sub_overflow(x, y, &z);
		break;
	case OP_MUL:
		ovf = __builtin_mul_overflow(x, y, &z);
		break;
	default:
		if (y == 0)
			return rt_err(n, SPM_EINVAL, "division by zero");
		if (x == INT64_MIN && y == -1)
			ovf = 1;
		else if (a.type == SPM__RULE_MONEY)
			z = div_half_even(x, y);
		else
			z = x / y;
		break;
	}
	if (ovf)
		return rt_err(n, SPM_EOVERFLOW, "%s overflow",
			      n->type == SPM__RULE_MONEY ? "money" : "integer");
	memset(out, 0, sizeof(*out));
	if (n->type == SPM__RULE_MONEY) {
		out->type = SPM__RULE_MONEY;
		out->u.money.amount = z;
		memcpy(out->u.money.currency,
		       a.type == SPM__RULE_MONEY ? a.u.money.currency : b.u.money.currency, 4);
	} else {
		set_int(out, z);
	}
	return SPM_OK;
}

/* Negation or absolute value of an integer or money, checked. */
static int negate(spm__rule_value *v, const struct spm__node *n)
{
	int64_t *p = v->type == SPM__RULE_MONEY ? &v->u.money.amount : &v->u.integer;

	if (*p == INT64_MIN)
		return rt_err(n, SPM_EOVERFLOW, "%s overflow",
			      v->type == SPM__RULE_MONEY ? "money" : "integer");
	*p = -*p;
	return SPM_OK;
}

/* ---- functions ---- */

static int today(spm_date *d, const struct frame *f)
{
	return spm_date_from_time(d, f->ctx->now);
}

static int eval_call(spm__rule_value *out, const struct frame *f, const struct spm__node *n)
{
	spm__rule_value a, b;
	spm_date d, t;
	int rc, c;

	if (n->fn == FN_TODAY || n->fn == FN_NOW) {
		memset(out, 0, sizeof(*out));
		if (n->fn == FN_NOW) {
			out->type = SPM__RULE_TIME;
			out->u.time = f->ctx->now;
			return SPM_OK;
		}
		if ((rc = today(&d, f)) != SPM_OK)
			return rc;
		out->type = SPM__RULE_DATE;
		out->u.date = d;
		return SPM_OK;
	}
	if ((rc = ev(&a, f, n->a)) != SPM_OK)
		return rc;
	if (n->fn == FN_COALESCE) {
		if (a.type != SPM__RULE_NULL) {
			*out = a;
			return SPM_OK;
		}
		return ev(out, f, n->b);
	}
	if (n->b >= 0 && (rc = ev(&b, f, n->b)) != SPM_OK)
		return rc;
	if (a.type == SPM__RULE_NULL || (n->b >= 0 && b.type == SPM__RULE_NULL)) {
		set_null(out);
		return SPM_OK;
	}
	switch (n->fn) {
	case FN_LOWER:
	case FN_UPPER:
		*out = a;
		out->u.text.case_map = n->fn == FN_LOWER ? SPM__RULE_CASE_LOWER
							 : SPM__RULE_CASE_UPPER;
		return SPM_OK;
	case FN_TRIM:
		*out = a;
		text_trim(out);
		return SPM_OK;
	case FN_LENGTH:
		set_int(out, (int64_t)text_length(&a));
		return SPM_OK;
	case FN_CONTAINS:
		set_bool(out, text_contains(&a, &b));
		return SPM_OK;
	case FN_STARTS_WITH:
		set_bool(out, b.u.text.len <= a.u.text.len && text_at(&a, 0, &b));
		return SPM_OK;
	case FN_ENDS_WITH:
		set_bool(out, b.u.text.len <= a.u.text.len &&
			 text_at(&a, a.u.text.len - b.u.text.len, &b));
		return SPM_OK;
	case FN_DAYS_SINCE:
	case FN_DAYS_UNTIL:
		if ((rc = today(&t, f)) != SPM_OK)
			return rc;
		if (a.type == SPM__RULE_TIME) {
			if ((rc = spm_date_from_time(&d, a.u.time)) != SPM_OK)
				return rc;
		} else {
			d = a.u.date;
		}
		set_int(out, n->fn == FN_DAYS_SINCE ? (int64_t)t - d : (int64_t)d - t);
		return SPM_OK;
	case FN_ABS:
		*out = a;
		if (a.type == SPM__RULE_MONEY ? a.u.money.amount < 0 : a.u.integer < 0)
			return negate(out, n);
		return SPM_OK;
	default: /* FN_MIN, FN_MAX */
		if ((rc = compare(&c, n, &a, &b)) != SPM_OK)
			return rc;
		*out = (n->fn == FN_MIN) == (c <= 0) ? a : b;
		return SPM_OK;
	}
}

/* ---- aggregates ---- */

struct agg_state {
	const struct frame *outer;
	const struct spm__node *n;
	int64_t count;
	spm__rule_value acc;   /* null until a value is seen */
	int rc;                /* our own error, to tell it from the caller's */
};

static int agg_row(void *state, const void *row)
{
	struct agg_state *st = state;
	const struct spm__node *n = st->n;
	struct frame f = { st->outer->r, st->outer->ctx, row };
	spm__rule_value v;
	int rc, c;

	if (n->c >= 0) {
		if ((rc = ev(&v, &f, n->c)) != SPM_OK)
			return st->rc = rc;
		if (v.type != SPM__RULE_BOOLEAN || !v.u.boolean)
			return 0;
	}
	switch (n->fn) {
	case AGG_EXISTS:
		st->count = 1;
		return STOP;
	case AGG_COUNT:
		st->count++;
		return 0;
	default:
		break;
	}
	if ((rc = get_field(&v, &f, row, n, n->v.agg.slot)) != SPM_OK)
		return st->rc = rc;
	if (v.type == SPM__RULE_NULL)
		return 0;
	if (st->acc.type == SPM__RULE_NULL) {
		st->acc = v;
		return 0;
	}
	if (v.type == SPM__RULE_MONEY &&
	    strcmp(v.u.money.currency, st->acc.u.money.currency) != 0)
		return st->rc = rt_err(n, SPM_ECURRENCY, "%s() over money in %s and in %s",
				       spm__rule_agg_name(n->fn), st->acc.u.money.currency,
				       v.u.money.currency);
	if (n->fn == AGG_SUM) {
		int64_t *acc = v.type == SPM__RULE_MONEY ? &st->acc.u.money.amount
							 : &st->acc.u.integer;
		int64_t add = v.type == SPM__RULE_MONEY ? v.u.money.amount : v.u.integer;

		if (__builtin_add_overflow(*acc, add, acc))
			return st->rc = rt_err(n, SPM_EOVERFLOW, "%s overflow in sum()",
					       v.type == SPM__RULE_MONEY ? "money" : "integer");
		return 0;
	}
	if ((rc = compare(&c, n, &v, &st->acc)) != SPM_OK)
		return st->rc = rc;
	if (n->fn == AGG_MIN ? c < 0 : c > 0)
		st->acc = v;
	return 0;
}

static int eval_agg(spm__rule_value *out, const struct frame *f, const struct spm__node *n)
{
	struct agg_state st;
	int rc;

	if (f->ctx->iterate == NULL)
		return rt_err(n, SPM_EINVAL, "no relation iterator in the context");
	memset(&st, 0, sizeof(st));
	st.outer = f;
	st.n = n;
	set_null(&st.acc);
	rc = f->ctx->iterate(f->row, n->v.agg.rel, agg_row, &st, f->ctx->payload);
	if (st.rc != SPM_OK)
		return st.rc;
	if (rc != SPM_OK && !(rc == STOP && n->fn == AGG_EXISTS)) {
		if (rc > 0)
			return rt_err(n, SPM_EINVAL, "relation iterator returned %d", rc);
		return rc;
	}
	switch (n->fn) {
	case AGG_COUNT:
		set_int(out, st.count);
		break;
	case AGG_EXISTS:
		set_bool(out, st.count != 0);
		break;
	default:
		*out = st.acc;
		break;
	}
	return SPM_OK;
}

/* ---- the walk ---- */

static int ev(spm__rule_value *out, const struct frame *f, int i)
{
	const struct spm__node *n = &f->r->code.nodes[i];
	spm__rule_value a, b;
	int rc, c;

	switch (n->op) {
	case OP_LIT:
		memset(out, 0, sizeof(*out));
		out->type = (spm__rule_type)n->type;
		switch (n->type) {
		case SPM__RULE_BOOLEAN:
			out->u.boolean = (int)n->v.i;
			break;
		case SPM__RULE_INTEGER:
			out->u.integer = n->v.i;
			break;
		case SPM__RULE_MONEY:
			out->u.money.amount = n->v.i;
			memcpy(out->u.money.currency, n->cur, 4);
			break;
		case SPM__RULE_TEXT:
			out->u.text.ptr = f->r->code.pool + n->v.str.off;
			out->u.text.len = n->v.str.len;
			break;
		case SPM__RULE_DATE:
			out->u.date = (spm_date)n->v.i;
			break;
		default:
			break;
		}
		return SPM_OK;
	case OP_FIELD:
		return get_field(out, f, f->row, n, n->v.field.slot);
	case OP_AND:
	case OP_OR: {
		/* Kleene: false and x = false, true or x = true, x unevaluated */
		int decisive = n->op == OP_OR;

		if ((rc = ev(&a, f, n->a)) != SPM_OK)
			return rc;
		if (a.type == SPM__RULE_BOOLEAN && a.u.boolean == decisive) {
			*out = a;
			return SPM_OK;
		}
		if ((rc = ev(&b, f, n->b)) != SPM_OK)
			return rc;
		if (b.type == SPM__RULE_BOOLEAN && b.u.boolean == decisive)
			*out = b;
		else if (a.type == SPM__RULE_NULL || b.type == SPM__RULE_NULL)
			set_null(out);
		else
			set_bool(out, !decisive);
		return SPM_OK;
	}
	case OP_NOT:
		if ((rc = ev(&a, f, n->a)) != SPM_OK)
			return rc;
		if (a.type == SPM__RULE_NULL)
			set_null(out);
		else
			set_bool(out, !a.u.boolean);
		return SPM_OK;
	case OP_EQ:
	case OP_NE:
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if ((rc = ev(&a, f, n->a)) != SPM_OK || (rc = ev(&b, f, n->b)) != SPM_OK)
			return rc;
		if (a.type == SPM__RULE_NULL || b.type == SPM__RULE_NULL) {
			set_null(out);
			return SPM_OK;
		}
		if ((rc = compare(&c, n, &a, &b)) != SPM_OK)
			return rc;
		set_bool(out, cmp_holds(n->op, c));
		return SPM_OK;
	case OP_IN:
	case OP_NOT_IN:
		return eval_in(out, f, n);
	case OP_IS_NULL:
	case OP_IS_NOT_NULL:
		if ((rc = ev(&a, f, n->a)) != SPM_OK)
			return rc;
		set_bool(out, (a.type == SPM__RULE_NULL) == (n->op == OP_IS_NULL));
		return SPM_OK;
	case OP_LIKE:
	case OP_NOT_LIKE:
		if ((rc = ev(&a, f, n->a)) != SPM_OK || (rc = ev(&b, f, n->b)) != SPM_OK)
			return rc;
		if (a.type == SPM__RULE_NULL || b.type == SPM__RULE_NULL)
			set_null(out);
		else
			set_bool(out, text_like(&a, &b) == (n->op == OP_LIKE));
		return SPM_OK;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
		return eval_arith(out, f, n);
	case OP_NEG:
		if ((rc = ev(out, f, n->a)) != SPM_OK)
			return rc;
		return out->type == SPM__RULE_NULL ? SPM_OK : negate(out, n);
	case OP_CALL:
		return eval_call(out, f, n);
	default:
		return eval_agg(out, f, n);
	}
}

int spm__rule_eval(spm__rule_value *out, const spm__rule *r, const spm__rule_ctx *ctx)
{
	struct frame f;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(ctx);
	f.r = r;
	f.ctx = ctx;
	f.row = ctx->row;
	return ev(out, &f, r->root);
}

int spm__rule_truth(const spm__rule_value *v)
{
	if (v == NULL || v->type != SPM__RULE_BOOLEAN)
		return SPM__RULE_UNKNOWN;
	return v->u.boolean ? SPM__RULE_TRUE : SPM__RULE_FALSE;
}

int spm__rule_met(int *met, int *truth, const spm__rule *r, const spm__rule_ctx *ctx)
{
	spm__rule_value v;
	int rc;

	SPM__CHECK_ARG(met);
	SPM__CHECK_ARG(r);
	if (r->type != SPM__RULE_BOOLEAN && r->type != SPM__RULE_NULL)
		return spm__error_set(SPM_EINVAL, "the rule gives %s, not a condition",
				      spm__rule_type_name(r->type));
	if ((rc = spm__rule_eval(&v, r, ctx)) != SPM_OK)
		return rc;
	if (truth)
		*truth = spm__rule_truth(&v);
	*met = spm__rule_truth(&v) == SPM__RULE_TRUE;
	return SPM_OK;
}

/* ---- explanations ---- */

#define WHY_MAX 1024
#define WHY_TEXT_MAX 64

static void why_item(struct spm__out *o, const struct frame *f, int i)
{
	const struct spm__node *n = &f->r->code.nodes[i];
	spm__rule_value v;
	int rc;

	if (o->len > 0)
		spm__out_str(o, ", ", 2);
	spm__rule_print_node(o, &f->r->code, i);
	spm__out_str(o, " = ", 3);
	rc = n->op == OP_FIELD ? get_field(&v, f, f->row, n, n->v.field.slot) : ev(&v, f, i);
	if (rc == SPM_OK)
		rc = spm__rule_print_value(o, &v, WHY_TEXT_MAX);
	if (rc != SPM_OK) {
		const char *name = spm_result_name(rc);

		spm__out_str(o, "error ", 6);
		spm__out_str(o, name, strlen(name));
	}
}

int spm__rule_explain(spm__rule_value *result, const spm__rule *r,
		      const spm__rule_ctx *ctx, spm__rule_explain_cb cb, void *payload)
{
	char why[WHY_MAX];
	spm__rule_value all;
	struct frame f;
	int rc;

	SPM__CHECK_ARG(r);
	SPM__CHECK_ARG(ctx);
	SPM__CHECK_ARG(cb);
	f.r = r;
	f.ctx = ctx;
	f.row = ctx->row;
	for (uint16_t k = 0; k < r->ncrits; k++) {
		const struct spm__crit *c = &r->crits[k];
		struct spm__out o = { why, sizeof(why) - 1, 0 };
		spm__rule_criterion cr;

		memset(&cr, 0, sizeof(cr));
		cr.index = k;
		cr.depth = c->depth;
		cr.text = r->code.pool + c->text;
		cr.status = ev(&cr.value, &f, c->node);
		if (cr.status != SPM_OK)
			set_null(&cr.value);
		cr.truth = spm__rule_truth(&cr.value);
		for (uint16_t w = 0; w < c->nwhy; w++)
			why_item(&o, &f, r->code.kids[c->why + w]);
		if (o.len > o.cap) {
			/* cut at a code point, marked */
			size_t end = o.cap - 3;

			while (end > 0 && ((unsigned char)why[end] & 0xC0) == 0x80)
				end--;
			memcpy(why + end, "...", 3);
			o.len = end + 3;
		}
		why[o.len] = '\0';
		cr.why = why;
		if ((rc = cb(&cr, payload)) != 0)
			return rc;
	}
	/* last, so that the thread's last error is the whole rule's */
	rc = spm__rule_eval(&all, r, ctx);
	if (rc != SPM_OK)
		set_null(&all);
	if (result)
		*result = all;
	return rc;
}
