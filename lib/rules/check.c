/* Static types, the explanation plan, and the compile driver that lays a
 * parsed rule out in one allocation. */
#include "rules/internal.h"

#include "core/db_internal.h"
#include "core/error_internal.h"

#include <stdlib.h>
#include <string.h>

#define ERR_NODE(p, nd, code, ...) \
	spm__rule_error_at((p)->diag, (code), (nd)->off, (nd)->line, (nd)->col, __VA_ARGS__)

static int orderable(int t)
{
	return t == SPM__RULE_INTEGER || t == SPM__RULE_MONEY || t == SPM__RULE_TEXT ||
	       t == SPM__RULE_DATE || t == SPM__RULE_TIME || t == SPM__RULE_NULL;
}

static int numeric(int t)
{
	return t == SPM__RULE_INTEGER || t == SPM__RULE_MONEY;
}

/* Puts into *out the common type of nodes x and y (null gives way to the
 * other), or fails with "cannot VERB x with y" at node at. */
static int unify(struct spm__node *out, struct spm__parser *p, const struct spm__node *at,
		 const struct spm__node *x, const struct spm__node *y, const char *verb)
{
	if (x->type != SPM__RULE_NULL && y->type != SPM__RULE_NULL && x->type != y->type)
		return ERR_NODE(p, at, SPM_EINVAL, "cannot %s %s with %s", verb,
				spm__rule_type_name(x->type), spm__rule_type_name(y->type));
	if (x->cur[0] && y->cur[0] && memcmp(x->cur, y->cur, 4) != 0)
		return ERR_NODE(p, at, SPM_ECURRENCY, "cannot %s money in %s with money in %s",
				verb, x->cur, y->cur);
	out->type = x->type != SPM__RULE_NULL ? x->type : y->type;
	memcpy(out->cur, x->cur[0] ? x->cur : y->cur, 4);
	return SPM_OK;
}

static int want(struct spm__parser *p, const struct spm__node *at, const struct spm__node *x,
		int type, const char *what)
{
	if (x->type != type && x->type != SPM__RULE_NULL)
		return ERR_NODE(p, at, SPM_EINVAL, "%s needs %s, found %s", what,
				spm__rule_type_name(type), spm__rule_type_name(x->type));
	return SPM_OK;
}

static int check_arith(struct spm__parser *p, struct spm__node *n,
		       const struct spm__node *x, const struct spm__node *y)
{
	static const char *const verbs[] = { "add", "subtract", "multiply", "divide" };
	const char *verb = verbs[n->op - OP_ADD];
	int tx = x->type, ty = y->type;

	if ((tx != SPM__RULE_NULL && !numeric(tx)) || (ty != SPM__RULE_NULL && !numeric(ty)))
		return ERR_NODE(p, n, SPM_EINVAL, "cannot %s %s and %s", verb,
				spm__rule_type_name(tx), spm__rule_type_name(ty));
	switch (n->op) {
	case OP_ADD:
	case OP_SUB:
		return unify(n, p, n, x, y, verb);
	case OP_MUL:
		if (tx == SPM__RULE_MONEY && ty == SPM__RULE_MONEY)
			return ERR_NODE(p, n, SPM_EINVAL, "cannot multiply money by money");
		break;
	default:
		if (ty == SPM__RULE_MONEY)
			return ERR_NODE(p, n, SPM_EINVAL, "cannot divide %s by money",
					spm__rule_type_name(tx));
		break;
	}
	/* int * int, money * int, int * money, money / int; null stands aside */
	if (tx == SPM__RULE_MONEY || ty == SPM__RULE_MONEY) {
		n->type = SPM__RULE_MONEY;
		memcpy(n->cur, tx == SPM__RULE_MONEY ? x->cur : y->cur, 4);
	} else {
		n->type = (uint8_t)(tx == SPM__RULE_NULL ? ty : tx);
	}
	return SPM_OK;
}

static int check_call(struct spm__parser *p, struct spm__node *n)
{
	const struct spm__node *x = n->a >= 0 ? &p->nodes[n->a] : NULL;
	const struct spm__node *y = n->b >= 0 ? &p->nodes[n->b] : NULL;
	const char *fname = spm__rule_fn_name(n->fn);
	char what[40];
	int rc;

	memcpy(what, fname, strlen(fname) + 1);
	strcat(what, "()");
	switch (n->fn) {
	case FN_LOWER:
	case FN_UPPER:
	case FN_TRIM:
		n->type = SPM__RULE_TEXT;
		return want(p, n, x, SPM__RULE_TEXT, what);
	case FN_LENGTH:
		n->type = SPM__RULE_INTEGER;
		return want(p, n, x, SPM__RULE_TEXT, what);
	case FN_CONTAINS:
	case FN_STARTS_WITH:
	case FN_ENDS_WITH:
		n->type = SPM__RULE_BOOLEAN;
		if ((rc = want(p, n, x, SPM__RULE_TEXT, what)) != SPM_OK)
			return rc;
		return want(p, n, y, SPM__RULE_TEXT, what);
	case FN_DAYS_SINCE:
	case FN_DAYS_UNTIL:
		n->type = SPM__RULE_INTEGER;
		if (x->type != SPM__RULE_DATE && x->type != SPM__RULE_TIME &&
		    x->type != SPM__RULE_NULL)
			return ERR_NODE(p, n, SPM_EINVAL, "%s needs a date or a time, found %s",
					what, spm__rule_type_name(x->type));
		return SPM_OK;
	case FN_TODAY:
		n->type = SPM__RULE_DATE;
		return SPM_OK;
	case FN_NOW:
		n->type = SPM__RULE_TIME;
		return SPM_OK;
	case FN_COALESCE:
		return unify(n, p, n, x, y, "mix");
	case FN_ABS:
		if (!numeric(x->type) && x->type != SPM__RULE_NULL)
			return ERR_NODE(p, n, SPM_EINVAL, "abs() needs integer or money, found %s",
					spm__rule_type_name(x->type));
		n->type = x->type;
		memcpy(n->cur, x->cur, 4);
		return SPM_OK;
	default: /* FN_MIN, FN_MAX */
		if ((rc = unify(n, p, n, x, y, "compare")) != SPM_OK)
			return rc;
		if (!orderable(n->type))
			return ERR_NODE(p, n, SPM_EINVAL, "%s needs values that can be ordered, "
					"found %s", what, spm__rule_type_name(n->type));
		return SPM_OK;
	}
}

static int check_agg(struct spm__parser *p, struct spm__node *n)
{
	if (n->c >= 0) {
		const struct spm__node *c = &p->nodes[n->c];

		if (c->type != SPM__RULE_BOOLEAN && c->type != SPM__RULE_NULL)
			return ERR_NODE(p, c, SPM_EINVAL, "'where' needs a boolean condition, "
					"found %s", spm__rule_type_name(c->type));
	}
	switch (n->fn) {
	case AGG_COUNT:
		n->type = SPM__RULE_INTEGER;
		break;
	case AGG_EXISTS:
		n->type = SPM__RULE_BOOLEAN;
		break;
	case AGG_SUM:
		if (!numeric(n->type))
			return ERR_NODE(p, n, SPM_EINVAL, "sum() needs an integer or money field, "
					"found %s", spm__rule_type_name(n->type));
		break;
	default:
		/* Text is refused: a row's text need not outlive its callback. */
		if (!numeric(n->type) && n->type != SPM__RULE_DATE && n->type != SPM__RULE_TIME)
			return ERR_NODE(p, n, SPM_EINVAL, "%s() needs an integer, money, date or "
					"time field, found %s", spm__rule_agg_name(n->fn),
					spm__rule_type_name(n->type));
		break;
	}
	return SPM_OK;
}

/* Children always precede their parent in the array, so one pass in index
 * order types every node bottom-up. */
int spm__rule_check(struct spm__parser *p)
{
	int rc;

	for (int i = 0; i < p->nnodes; i++) {
		struct spm__node *n = &p->nodes[i];
		const struct spm__node *x = n->a >= 0 ? &p->nodes[n->a] : NULL;
		const struct spm__node *y = n->b >= 0 ? &p->nodes[n->b] : NULL;
		struct spm__node tmp;

		rc = SPM_OK;
		switch (n->op) {
		case OP_LIT:
		case OP_FIELD:
			break;
		case OP_AND:
		case OP_OR:
			if ((rc = want(p, n, x, SPM__RULE_BOOLEAN,
				       n->op == OP_AND ? "'and'" : "'or'")) == SPM_OK)
				rc = want(p, n, y, SPM__RULE_BOOLEAN, n->op == OP_AND ? "'and'" : "'or'");
			n->type = SPM__RULE_BOOLEAN;
			break;
		case OP_NOT:
			rc = want(p, n, x, SPM__RULE_BOOLEAN, "'not'");
			n->type = SPM__RULE_BOOLEAN;
			break;
		case OP_EQ:
		case OP_NE:
		case OP_LT:
		case OP_LE:
		case OP_GT:
		case OP_GE:
			memset(&tmp, 0, sizeof(tmp));
			if ((rc = unify(&tmp, p, n, x, y, "compare")) == SPM_OK &&
			    tmp.type == SPM__RULE_BOOLEAN && n->op != OP_EQ && n->op != OP_NE)
				rc = ERR_NODE(p, n, SPM_EINVAL, "booleans have no order; use = or !=");
			n->type = SPM__RULE_BOOLEAN;
			break;
		case OP_IN:
		case OP_NOT_IN:
			memset(&tmp, 0, sizeof(tmp));
			tmp.type = x->type;
			memcpy(tmp.cur, x->cur, 4);
			for (int k = 0; k < n->nkids && rc == SPM_OK; k++) {
				const struct spm__node *e = &p->nodes[p->kids[n->kid + k]];

				rc = unify(&tmp, p, e, &tmp, e, "compare");
			}
			n->type = SPM__RULE_BOOLEAN;
			break;
		case OP_IS_NULL:
		case OP_IS_NOT_NULL:
			n->type = SPM__RULE_BOOLEAN;
			break;
		case OP_LIKE:
		case OP_NOT_LIKE:
			if ((rc = want(p, n, x, SPM__RULE_TEXT, "'like'")) == SPM_OK)
				rc = want(p, n, y, SPM__RULE_TEXT, "'like'");
			n->type = SPM__RULE_BOOLEAN;
			break;
		case OP_ADD:
		case OP_SUB:
		case OP_MUL:
		case OP_DIV:
			rc = check_arith(p, n, x, y);
			break;
		case OP_NEG:
			if (!numeric(x->type) && x->type != SPM__RULE_NULL)
				rc = ERR_NODE(p, n, SPM_EINVAL, "cannot negate %s",
					      spm__rule_type_name(x->type));
			n->type = x->type;
			memcpy(n->cur, x->cur, 4);
			break;
		case OP_CALL:
			rc = check_call(p, n);
			break;
		case OP_AGG:
			rc = check_agg(p, n);
			break;
		}
		if (rc != SPM_OK)
			return rc;
	}
	return SPM_OK;
}

/* ---- the explanation plan ---- */

static int is_logic(int op)
{
	return op == OP_AND || op == OP_OR || op == OP_NOT;
}

static void add_why(struct spm__parser *p, int n, uint16_t first)
{
	const struct spm__node *nd = &p->nodes[n];

	if (nd->op == OP_AGG) {
		p->kids[p->nkids++] = (uint16_t)n;
		return;  /* its fields are the related rows' */
	}
	if (nd->op == OP_FIELD) {
		for (uint16_t k = first; k < p->nkids; k++) {
			const struct spm__node *o = &p->nodes[p->kids[k]];

			if (o->op == OP_FIELD && strcmp(p->pool + o->v.field.name,
							p->pool + nd->v.field.name) == 0)
				return;
		}
		p->kids[p->nkids++] = (uint16_t)n;
		return;
	}
	if (nd->a >= 0)
		add_why(p, nd->a, first);
	if (nd->b >= 0)
		add_why(p, nd->b, first);
	for (int k = 0; k < nd->nkids; k++)
		add_why(p, p->kids[nd->kid + k], first);
}

static void add_crit(struct spm__parser *p, int n, int depth)
{
	struct spm__crit *c = &p->crits[p->ncrits++];

	c->node = (uint16_t)n;
	c->depth = (uint16_t)depth;
	c->why = p->nkids;
	add_why(p, n, c->why);
	c->nwhy = (uint16_t)(p->nkids - c->why);
}

static void add_leaves(struct spm__parser *p, int n)
{
	const struct spm__node *nd = &p->nodes[n];

	if (!is_logic(nd->op)) {
		add_crit(p, n, 1);
		return;
	}
	add_leaves(p, nd->a);
	if (nd->b >= 0)
		add_leaves(p, nd->b);
}

static void plan(struct spm__parser *p, int n)
{
	const struct spm__node *nd = &p->nodes[n];

	if (nd->op == OP_AND) {
		plan(p, nd->a);
		plan(p, nd->b);
		return;
	}
	add_crit(p, n, 0);
	if (nd->op == OP_OR || nd->op == OP_NOT)
		add_leaves(p, n);
}

/* ---- the compile driver ---- */

static void *rule_alloc(spm_db *db, size_t n)
{
	return db ? spm__malloc(db, n) : malloc(n);
}

static void rule_dealloc(spm_db *db, void *ptr)
{
	if (db)
		spm__free(db, ptr);
	else
		free(ptr);
}

static size_t print_len(const struct spm__code *c, int n)
{
	struct spm__out o = { NULL, 0, 0 };

	spm__rule_print_node(&o, c, n);
	return o.len;
}

static int finish(spm__rule **out, spm_db *db, struct spm__parser *p, int root)
{
	struct spm__code code = { p->nodes, p->kids, p->pool };
	size_t nodes_sz = p->nnodes * sizeof(struct spm__node);
	size_t crits_sz = p->ncrits * sizeof(struct spm__crit);
	size_t kids_sz = p->nkids * sizeof(uint16_t);
	size_t text_len = print_len(&code, root);
	size_t pool_sz = p->npool + text_len + 1;
	struct spm__rule *r;
	char *base, *pool;
	struct spm__out o;

	/* The canonical text must compile again: it spells money with all its
	 * decimals and spaces operators, so it can outgrow a dense source. */
	if (text_len > SPM__RULE_MAX_TEXT)
		return spm__rule_error_at(p->diag, SPM_EINVAL, 0, 1, 1, "rule text longer than "
					  "%d bytes once printed canonically (%zu bytes)",
					  SPM__RULE_MAX_TEXT, text_len);
	for (uint16_t i = 0; i < p->ncrits; i++)
		pool_sz += print_len(&code, p->crits[i].node) + 1;
	base = rule_alloc(db, sizeof(*r) + nodes_sz + crits_sz + kids_sz + pool_sz);
	if (base == NULL)
		return spm__error_oom();
	/* Layout by decreasing alignment: rule, nodes, crits, kids, pool. */
	r = (struct spm__rule *)(void *)base;
	struct spm__node *nodes = (struct spm__node *)(void *)(base + sizeof(*r));
	struct spm__crit *crits = (struct spm__crit *)(void *)((char *)nodes + nodes_sz);
	uint16_t *kids = (uint16_t *)(void *)((char *)crits + crits_sz);
	pool = (char *)kids + kids_sz;

	memcpy(nodes, p->nodes, nodes_sz);
	memcpy(crits, p->crits, crits_sz);
	memcpy(kids, p->kids, kids_sz);
	memcpy(pool, p->pool, p->npool);
	o.buf = pool + p->npool;
	o.cap = pool_sz - p->npool;
	o.len = 0;
	spm__rule_print_node(&o, &code, root);
	spm__out_str(&o, "", 1);
	for (uint16_t i = 0; i < p->ncrits; i++) {
		crits[i].text = (uint32_t)(p->npool + o.len);
		spm__rule_print_node(&o, &code, p->crits[i].node);
		spm__out_str(&o, "", 1);
	}
	r->db = db;
	r->code.nodes = nodes;
	r->code.kids = kids;
	r->code.pool = pool;
	r->crits = crits;
	r->ncrits = p->ncrits;
	r->root = (int16_t)root;
	r->type = p->nodes[root].type;
	r->uses_clock = (uint8_t)p->uses_clock;
	r->uses_rel = (uint8_t)p->uses_rel;
	r->text = pool + p->npool;
	*out = r;
	return SPM_OK;
}

int spm__rule_compile(spm__rule **out, spm_db *db, const char *text,
		      const spm__rule_env *env, spm__rule_diag *diag)
{
	struct spm__parser *p;
	size_t len;
	int rc, root = -1;

	if (out)
		*out = NULL;
	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(text);
	SPM__CHECK_ARG(env);
	len = strnlen(text, SPM__RULE_MAX_TEXT + 1);
	if (len > SPM__RULE_MAX_TEXT) {
		if (diag) {
			diag->offset = SPM__RULE_MAX_TEXT;
			diag->line = 0;
			diag->column = 0;
		}
		return spm__error_set(SPM_EINVAL, "rule text longer than %d bytes",
				      SPM__RULE_MAX_TEXT);
	}
	p = rule_alloc(db, sizeof(*p));
	if (p == NULL)
		return spm__error_oom();
	p->lx.src = text;
	p->lx.len = len;
	p->lx.pos = 0;
	p->lx.line = 1;
	p->lx.col = 1;
	p->lx.diag = diag;
	p->env = env;
	p->diag = diag;
	p->depth = 0;
	p->uses_clock = p->uses_rel = 0;
	p->nnodes = p->nkids = p->ncrits = 0;
	p->npool = 0;
	rc = spm__rule_parse(&root, p);
	if (rc == SPM_OK)
		rc = spm__rule_check(p);
	if (rc == SPM_OK) {
		plan(p, root);
		rc = finish(out, db, p, root);
	}
	rule_dealloc(db, p);
	return rc;
}

void spm__rule_free(spm__rule *r)
{
	if (r)
		rule_dealloc(r->db, r);
}

spm__rule_type spm__rule_result_type(const spm__rule *r)
{
	return r ? (spm__rule_type)r->type : SPM__RULE_NULL;
}

int spm__rule_uses_clock(const spm__rule *r)
{
	return r ? r->uses_clock : 0;
}

int spm__rule_uses_relations(const spm__rule *r)
{
	return r ? r->uses_rel : 0;
}

const char *spm__rule_text(const spm__rule *r)
{
	return r ? r->text : "";
}

int spm__rule_print(char *buf, size_t size, const spm__rule *r)
{
	size_t n;

	SPM__CHECK_ARG(buf);
	SPM__CHECK_ARG(r);
	n = strlen(r->text);
	if (n >= size) {
		if (size > 0) {
			memcpy(buf, r->text, size - 1);
			buf[size - 1] = '\0';
		}
		return spm__error_set(SPM_ERANGE, "rule text needs %zu bytes, buffer has %zu",
				      n + 1, size);
	}
	memcpy(buf, r->text, n + 1);
	return SPM_OK;
}
