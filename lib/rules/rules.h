/* The rule (expression) language: one small, safe language for every rule in
 * libspm (stage exit criteria, grading, assignment and commission
 * conditions, scorecard formulas). The language is described in
 * docs/rules.md.
 *
 * A rule is compiled once against an environment that names the fields and
 * relations of the record kind it is about, then evaluated any number of
 * times against a context that supplies the field values, the related rows
 * and the clock. Compiling allocates (through the handle's allocator, or the
 * C library's malloc when db is NULL); evaluating, testing a rule and
 * explaining it never allocate: intermediate values live on the C stack,
 * whose depth the compiler bounds (SPM__RULE_MAX_DEPTH, SPM__RULE_MAX_NODES).
 *
 * A compiled rule is immutable: one rule may be evaluated from several
 * threads at once, each with its own context. */
#ifndef SPM_RULES_RULES_H
#define SPM_RULES_RULES_H

#include "spm/calendar.h"
#include "spm/common.h"

#include <stddef.h>
#include <stdint.h>

/* Limits; the compiler refuses a rule past any of them with SPM_EINVAL. */
#define SPM__RULE_MAX_TEXT 4096   /* bytes of rule text */
#define SPM__RULE_MAX_DEPTH 64    /* nesting: parentheses, operators, calls */
#define SPM__RULE_MAX_NODES 256   /* literals, fields, operators, calls */
#define SPM__RULE_MAX_NAME 63     /* bytes of a field or relation name */

/* Value types. SPM__RULE_NULL is the type of the null literal; at run time
 * a value of any type may be null (type SPM__RULE_NULL). */
typedef enum spm__rule_type {
	SPM__RULE_NULL = 0,
	SPM__RULE_BOOLEAN = 1,
	SPM__RULE_INTEGER = 2,
	SPM__RULE_MONEY = 3,
	SPM__RULE_TEXT = 4,
	SPM__RULE_DATE = 5,
	SPM__RULE_TIME = 6
} spm__rule_type;

/* Case mapping that applies to a text value (lower() and upper() do not
 * copy: they mark the value, and every consumer maps ASCII letters on the
 * fly). */
typedef enum spm__rule_case {
	SPM__RULE_CASE_AS_IS = 0,
	SPM__RULE_CASE_LOWER = 1,
	SPM__RULE_CASE_UPPER = 2
} spm__rule_case;

/* A value. Text is borrowed: it points into the compiled rule (literals) or
 * into the caller's row data (fields), and is not NUL-terminated; read it
 * through spm__rule_value_format() or apply text.case_map yourself. */
typedef struct spm__rule_value {
	spm__rule_type type;
	union {
		int boolean;                 /* 0 or 1 */
		int64_t integer;
		struct {
			int64_t amount;      /* minor units */
			char currency[4];    /* ISO 4217, NUL-terminated */
		} money;
		struct {
			const char *ptr;     /* valid UTF-8, no NUL */
			size_t len;          /* bytes */
			spm__rule_case case_map;
		} text;
		spm_date date;
		spm_time time;
	} u;
} spm__rule_value;

/* Three-valued truth of a boolean result. */
#define SPM__RULE_FALSE 0
#define SPM__RULE_TRUE 1
#define SPM__RULE_UNKNOWN (-1)

/* ---- environment (compile time) ---- */

/* What a field name resolves to. */
typedef struct spm__rule_field {
	uint32_t slot;          /* passed back to spm__rule_ctx.get */
	spm__rule_type type;    /* BOOLEAN .. TIME */
	char currency[4];       /* money: the fixed currency, or "" when each
				 * value carries its own */
} spm__rule_field;

typedef struct spm__rule_env spm__rule_env;

/* Resolves the names of one record kind. Both callbacks return SPM_OK,
 * SPM_ENOTFOUND (the compiler then reports "unknown field" with the
 * position) or another negative code, which aborts compiling and is
 * returned as is. name is NUL-terminated and at most SPM__RULE_MAX_NAME
 * bytes. A nested environment is borrowed for the duration of the compile
 * only. relation may be NULL (the kind has no relations). */
struct spm__rule_env {
	int (*field)(spm__rule_field *out, const spm__rule_env *env,
		     const char *name, void *payload);
	int (*relation)(uint32_t *out_rel, const spm__rule_env **out_env,
			const spm__rule_env *env, const char *name, void *payload);
	void *payload;
};

/* ---- context (evaluation time) ---- */

/* Called by ctx->iterate once per related row; returns 0 to go on or a
 * non-zero value that stops the iteration, which iterate must return. */
typedef int (*spm__rule_row_cb)(void *state, const void *row);

/* What one evaluation sees. row is the record the rule is about; rows given
 * to the row callback identify related records. get fills *out with the
 * value of a field (slot from the environment of that row's kind): its
 * declared type or SPM__RULE_NULL; text must stay valid until the
 * evaluation returns. iterate calls cb for each row of relation rel of row
 * (rel from the environment) and returns 0 or cb's non-zero value. A
 * non-zero return of get or iterate (other than cb's) aborts the evaluation
 * with that code. iterate may be NULL when the rule uses no relation. now
 * is the clock of today(), now(), days_since() and days_until(); the
 * system clock is never read. */
typedef struct spm__rule_ctx {
	spm_time now;
	const void *row;
	int (*get)(spm__rule_value *out, const void *row, uint32_t slot, void *payload);
	int (*iterate)(const void *row, uint32_t rel, spm__rule_row_cb cb,
		       void *state, void *payload);
	void *payload;
} spm__rule_ctx;

/* Where a compile error was found. */
typedef struct spm__rule_diag {
	size_t offset;          /* byte offset in the rule text, from 0 */
	unsigned int line;      /* from 1 */
	unsigned int column;    /* from 1, in code points */
} spm__rule_diag;

typedef struct spm__rule spm__rule;

/* Compiles text (NUL-terminated, UTF-8) against env. db's allocator is used
 * when db is not NULL (the rule must then be freed before db is closed),
 * malloc otherwise. On error *out is NULL, the message is
 * "LINE:COLUMN: reason" and, when diag is not NULL, *diag tells the
 * position. Returns SPM_OK; SPM_EINVAL for a syntax, name, type or limit
 * error; SPM_ECURRENCY when two money operands have different fixed
 * currencies; SPM_ENOMEM; or the code an env callback returned. */
int spm__rule_compile(spm__rule **out, spm_db *db, const char *text,
		      const spm__rule_env *env, spm__rule_diag *diag);

/* Frees a rule; NULL is accepted. */
void spm__rule_free(spm__rule *r);

/* The static type of the rule's result (SPM__RULE_NULL for "null"). */
spm__rule_type spm__rule_result_type(const spm__rule *r);

/* 1 when the rule reads the clock or relations, else 0. */
int spm__rule_uses_clock(const spm__rule *r);
int spm__rule_uses_relations(const spm__rule *r);

/* The canonical text (borrowed, valid until spm__rule_free). */
const char *spm__rule_text(const spm__rule *r);

/* Copies the canonical text into buf. Compiling the printed text gives a
 * rule that prints the same. Returns SPM_OK, SPM_EINVAL for NULL pointers,
 * SPM_ERANGE when the text and its NUL do not fit in size (buf then holds a
 * truncated, NUL-terminated prefix when size > 0). */
int spm__rule_print(char *buf, size_t size, const spm__rule *r);

/* Evaluates a rule. Returns SPM_OK with *out set (possibly null);
 * SPM_EOVERFLOW for integer or money overflow; SPM_ECURRENCY for money of
 * different currencies; SPM_EINVAL for division by zero, a missing callback
 * or a value of the wrong type from get; SPM_ERANGE for a date out of range;
 * or a code returned by get/iterate. Never allocates. */
int spm__rule_eval(spm__rule_value *out, const spm__rule *r, const spm__rule_ctx *ctx);

/* The three-valued truth of a boolean value (SPM__RULE_TRUE, _FALSE or
 * _UNKNOWN for null); SPM__RULE_UNKNOWN for values of other types. */
int spm__rule_truth(const spm__rule_value *v);

/* Whether a boolean rule is met: *met is 1 when the result is true, 0 when
 * it is false or null ("unknown counts as not met"). *truth, when not NULL,
 * receives the three-valued result. SPM_EINVAL when the rule's result type
 * is not boolean; otherwise as spm__rule_eval. */
int spm__rule_met(int *met, int *truth, const spm__rule *r, const spm__rule_ctx *ctx);

/* One line of an explanation. Strings are borrowed for the callback only. */
typedef struct spm__rule_criterion {
	unsigned int index;     /* 0, 1, ... in the order reported */
	unsigned int depth;     /* 0: a top-level conjunct; 1: a leaf of an
				 * or/not conjunct reported before it */
	const char *text;       /* canonical text of the criterion */
	int status;             /* SPM_OK, or the code evaluating it failed with */
	spm__rule_value value;  /* the criterion's value (null on error) */
	int truth;              /* spm__rule_truth(&value) */
	const char *why;        /* "amount = 5000.00 CNY, stage = 'won'": the
				 * fields and aggregates it used and their
				 * values; "" when none; long texts are cut */
} spm__rule_criterion;

/* Returns 0 to go on; a non-zero value stops spm__rule_explain, which
 * returns it. */
typedef int (*spm__rule_explain_cb)(const spm__rule_criterion *c, void *payload);

/* Explains a rule: the top-level conjuncts of its "and" chain, in text
 * order; a conjunct that is an or/not tree is followed by each of its
 * leaves at depth 1. Each criterion is evaluated on its own (no
 * short-circuit), so every unmet criterion is reported. *result, when not
 * NULL, receives the whole rule's value. Returns the status of evaluating
 * the whole rule (as spm__rule_eval), or cb's non-zero value. Never
 * allocates. */
int spm__rule_explain(spm__rule_value *result, const spm__rule *r,
		      const spm__rule_ctx *ctx, spm__rule_explain_cb cb, void *payload);

/* Size of a buffer that holds any spm__rule_value_format() output that is
 * not text (text is cut to fit the buffer, at a code point). */
#define SPM__RULE_VALUE_FORMAT_MAX 48

/* Formats a value as the language writes it, except dates and times:
 * 42, 5000.00 CNY, 'it''s' (case mapping applied), 2026-03-01,
 * 2026-03-01T08:30:00Z, true, null. Text longer than the buffer is cut at
 * a code point and ends in "...'". Returns SPM_OK, SPM_EINVAL (NULL
 * pointer, size < SPM__RULE_VALUE_FORMAT_MAX, unknown type or currency),
 * SPM_ERANGE (date or time out of range). */
int spm__rule_value_format(char *buf, size_t size, const spm__rule_value *v);

#endif
