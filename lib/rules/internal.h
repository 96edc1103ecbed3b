/* Shared between the files of the rule language: tokens, the node array a
 * rule compiles to, and the steps of compiling. */
#ifndef SPM_RULES_INTERNAL_H
#define SPM_RULES_INTERNAL_H

#include "rules/rules.h"

#include <stddef.h>
#include <stdint.h>

/* ---- lexer.c ---- */

enum spm__tok_kind {
	TK_EOF, TK_WORD, TK_NUMBER, TK_STRING,
	TK_LPAREN, TK_RPAREN, TK_COMMA, TK_DOT,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
	TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH
};

struct spm__tok {
	enum spm__tok_kind kind;
	size_t off, len;            /* bytes of the token in the source */
	unsigned int line, col;     /* of its first byte */
};

struct spm__lexer {
	const char *src;
	size_t len, pos;
	unsigned int line, col;
	spm__rule_diag *diag;
};

/* Decodes one well-formed UTF-8 sequence at s[0..n); returns its length, or
 * 0 when it is malformed (or NUL). *cp may be NULL. */
size_t spm__rule_utf8_next(const char *s, size_t n, uint32_t *cp);

/* Reads the next token; SPM_OK or SPM_EINVAL with the message set. */
int spm__lex_next(struct spm__tok *t, struct spm__lexer *lx);

/* Reports an error at a line:column (diag may be NULL). */
int spm__rule_error_at(spm__rule_diag *diag, int code, size_t off, unsigned int line,
		       unsigned int col, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 6, 7)))
#endif
	;

/* ---- the compiled form ---- */

enum spm__op {
	OP_LIT, OP_FIELD,
	OP_AND, OP_OR, OP_NOT,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_IN, OP_NOT_IN, OP_IS_NULL, OP_IS_NOT_NULL, OP_LIKE, OP_NOT_LIKE,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG,
	OP_CALL, OP_AGG
};

enum spm__fn {
	FN_LOWER, FN_UPPER, FN_LENGTH, FN_TRIM, FN_CONTAINS, FN_STARTS_WITH,
	FN_ENDS_WITH, FN_DAYS_SINCE, FN_DAYS_UNTIL, FN_TODAY, FN_NOW,
	FN_COALESCE, FN_ABS, FN_MIN, FN_MAX
};

enum spm__agg { AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_EXISTS };

/* One node. Children are node indices (-1: none); an in-list's elements are
 * kids[kid .. kid + nkids). Names and text literals live in the pool. */
struct spm__node {
	union {
		int64_t i;                          /* integer, money amount, boolean, date */
		struct { uint32_t off, len; } str;  /* text literal */
		struct { uint32_t slot, name; } field;
		struct { uint32_t rel, slot, rel_name, field_name; } agg;
	} v;
	uint16_t off, line, col; /* position for messages */
	int16_t a, b, c;      /* operands; c: an aggregate's where-condition */
	uint16_t kid, nkids;
	uint8_t op, type, fn; /* fn: spm__fn or spm__agg */
	uint8_t has_field;    /* aggregates: REL.field given */
	char cur[4];          /* money: the static currency, "" when unknown */
};

struct spm__crit {
	uint16_t node, depth;
	uint16_t why, nwhy;   /* kids[why .. why + nwhy): fields and aggregates */
	uint32_t text;        /* pool offset of the NUL-terminated canonical text */
};

/* The arrays the printer and the evaluator read; the same layout while
 * compiling (parser state) and once compiled (the rule). */
struct spm__code {
	const struct spm__node *nodes;
	const uint16_t *kids;
	const char *pool;
};

struct spm__rule {
	spm_db *db;
	struct spm__code code;
	const struct spm__crit *crits;
	uint16_t ncrits;
	int16_t root;
	uint8_t type;
	uint8_t uses_clock, uses_rel;
	const char *text;     /* canonical, NUL-terminated (in the pool) */
};

/* ---- parser.c ---- */

#define SPM__RULE_POOL_MAX (4 * SPM__RULE_MAX_TEXT)
#define SPM__RULE_KIDS_MAX (4 * SPM__RULE_MAX_NODES)
#define SPM__RULE_CRITS_MAX (2 * SPM__RULE_MAX_NODES)

struct spm__parser {
	struct spm__lexer lx;
	struct spm__tok tok;          /* current token */
	const spm__rule_env *env;     /* names resolve here (nested in aggregates) */
	spm__rule_diag *diag;
	int depth;
	int uses_clock, uses_rel;
	uint16_t nnodes, nkids;
	uint32_t npool;
	struct spm__node nodes[SPM__RULE_MAX_NODES];
	uint16_t kids[SPM__RULE_KIDS_MAX];
	uint16_t ncrits;
	struct spm__crit crits[SPM__RULE_CRITS_MAX];
	char pool[SPM__RULE_POOL_MAX];
};

/* Parses the whole text into p; *root receives the root node. */
int spm__rule_parse(int *root, struct spm__parser *p);

/* ---- check.c ---- */

/* Gives every node its static type (bottom-up), or fails with a type error. */
int spm__rule_check(struct spm__parser *p);

/* ---- print.c ---- */

/* A bounded writer: len counts every byte written, even past cap. */
struct spm__out {
	char *buf;
	size_t cap, len;
};

void spm__out_str(struct spm__out *o, const char *s, size_t n);
/* Prints node n canonically. */
void spm__rule_print_node(struct spm__out *o, const struct spm__code *c, int n);
/* Prints a value as in spm__rule_value_format (text cut at max_text bytes). */
int spm__rule_print_value(struct spm__out *o, const spm__rule_value *v, size_t max_text);

/* Human names of types and functions. */
const char *spm__rule_type_name(int type);
const char *spm__rule_fn_name(int fn);
const char *spm__rule_agg_name(int agg);

#endif
