/* The rule language (lib/rules, docs/rules.md): precedence, every operator
 * and function, three-valued logic, type errors with positions, overflow,
 * currencies, aggregates over a fake relation, dates on an injected clock,
 * limits, invalid UTF-8, printer round trips and explanations. A small fake
 * environment stands in for the record kinds; no database is needed. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_internal.h"
#include "rules/rules.h"
#include "spm/calendar.h"
#include "spm/db.h"
#include "spm/error.h"

/* ---- the fake environment ---- */

struct fdef {
	const char *name;
	uint32_t slot;
	spm__rule_type type;
	const char *currency;
};

enum { AMOUNT, PRICE, QTY, STAGE, NAME, CLOSE_DATE, LAST_CONTACT, CREATED, WON,
       FLAG, N, USD, BIG, NOTE, DATEF, NSLOTS };

static const struct fdef opp_fields[] = {
	{ "amount", AMOUNT, SPM__RULE_MONEY, "CNY" },
	{ "price", PRICE, SPM__RULE_MONEY, "" },
	{ "qty", QTY, SPM__RULE_INTEGER, "" },
	{ "stage", STAGE, SPM__RULE_TEXT, "" },
	{ "name", NAME, SPM__RULE_TEXT, "" },
	{ "close_date", CLOSE_DATE, SPM__RULE_DATE, "" },
	{ "last_contact", LAST_CONTACT, SPM__RULE_DATE, "" },
	{ "created", CREATED, SPM__RULE_TIME, "" },
	{ "won", WON, SPM__RULE_BOOLEAN, "" },
	{ "flag", FLAG, SPM__RULE_BOOLEAN, "" },
	{ "n", N, SPM__RULE_INTEGER, "" },
	{ "usd", USD, SPM__RULE_MONEY, "USD" },
	{ "big", BIG, SPM__RULE_INTEGER, "" },
	{ "note", NOTE, SPM__RULE_TEXT, "" },
	{ "date", DATEF, SPM__RULE_DATE, "" },
};

enum { A_TYPE, A_AMOUNT, A_AT, A_DUR, A_NSLOTS };
static const struct fdef act_fields[] = {
	{ "type", A_TYPE, SPM__RULE_TEXT, "" },
	{ "amount", A_AMOUNT, SPM__RULE_MONEY, "CNY" },
	{ "at", A_AT, SPM__RULE_DATE, "" },
	{ "dur", A_DUR, SPM__RULE_INTEGER, "" },
};

enum { I_AMOUNT, I_QTY };
static const struct fdef item_fields[] = {
	{ "amount", I_AMOUNT, SPM__RULE_MONEY, "" },
	{ "qty", I_QTY, SPM__RULE_INTEGER, "" },
};

struct kind {
	const struct fdef *fields;
	size_t n;
};

static const struct kind opp_kind = { opp_fields, sizeof(opp_fields) / sizeof(opp_fields[0]) };
static const struct kind act_kind = { act_fields, sizeof(act_fields) / sizeof(act_fields[0]) };
static const struct kind item_kind = { item_fields, sizeof(item_fields) / sizeof(item_fields[0]) };

static int env_field(spm__rule_field *out, const spm__rule_env *env, const char *name,
		     void *payload)
{
	const struct kind *k = payload;

	(void)env;
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->fields[i].name, name) == 0) {
			out->slot = k->fields[i].slot;
			out->type = k->fields[i].type;
			strcpy(out->currency, k->fields[i].currency);
			return SPM_OK;
		}
	}
	return SPM_ENOTFOUND;
}

static const spm__rule_env act_env = { env_field, NULL, (void *)&act_kind };
static const spm__rule_env item_env = { env_field, NULL, (void *)&item_kind };

enum { REL_ACTIVITIES = 7, REL_LINE_ITEMS = 9 };

static int env_relation(uint32_t *out_rel, const spm__rule_env **out_env,
			const spm__rule_env *env, const char *name, void *payload)
{
	(void)env;
	(void)payload;
	if (strcmp(name, "activities") == 0) {
		*out_rel = REL_ACTIVITIES;
		*out_env = &act_env;
		return SPM_OK;
	}
	if (strcmp(name, "line_items") == 0) {
		*out_rel = REL_LINE_ITEMS;
		*out_env = &item_env;
		return SPM_OK;
	}
	return SPM_ENOTFOUND;
}

static const spm__rule_env opp_env = { env_field, env_relation, (void *)&opp_kind };

/* ---- rows ---- */

struct row {
	spm__rule_value v[NSLOTS];
};

static struct row top;
static struct row acts[8];
static size_t nacts;
static struct row items[8];
static size_t nitems;
static int iterate_calls;

static spm__rule_value vnull(void)
{
	spm__rule_value v;

	memset(&v, 0, sizeof(v));
	return v;
}

static spm__rule_value vint(int64_t i)
{
	spm__rule_value v = vnull();

	v.type = SPM__RULE_INTEGER;
	v.u.integer = i;
	return v;
}

static spm__rule_value vbool(int b)
{
	spm__rule_value v = vnull();

	v.type = SPM__RULE_BOOLEAN;
	v.u.boolean = b;
	return v;
}

static spm__rule_value vmoney(int64_t amount, const char *cur)
{
	spm__rule_value v = vnull();

	v.type = SPM__RULE_MONEY;
	v.u.money.amount = amount;
	strcpy(v.u.money.currency, cur);
	return v;
}

static spm__rule_value vtext(const char *s)
{
	spm__rule_value v = vnull();

	v.type = SPM__RULE_TEXT;
	v.u.text.ptr = s;
	v.u.text.len = strlen(s);
	return v;
}

static spm_date ymd(int y, int m, int d)
{
	spm_date out = 0;

	cr_assert_eq(spm_date_from_ymd(&out, y, m, d), SPM_OK);
	return out;
}

static spm__rule_value vdate(int y, int m, int d)
{
	spm__rule_value v = vnull();

	v.type = SPM__RULE_DATE;
	v.u.date = ymd(y, m, d);
	return v;
}

static spm_time at(int y, int m, int d, int hh, int mm)
{
	spm_time t = 0;

	cr_assert_eq(spm_date_to_time(&t, ymd(y, m, d)), SPM_OK);
	return t + hh * 3600 + mm * 60;
}

static spm__rule_value vtime(spm_time t)
{
	spm__rule_value v = vnull();

	v.type = SPM__RULE_TIME;
	v.u.time = t;
	return v;
}

static int ctx_get(spm__rule_value *out, const void *row, uint32_t slot, void *payload)
{
	(void)payload;
	*out = ((const struct row *)row)->v[slot];
	return SPM_OK;
}

static int ctx_iterate(const void *row, uint32_t rel, spm__rule_row_cb cb, void *state,
		       void *payload)
{
	struct row *rows = rel == REL_ACTIVITIES ? acts : items;
	size_t n = rel == REL_ACTIVITIES ? nacts : nitems;

	(void)payload;
	cr_assert_eq(row, &top, "relations hang off the top row");
	cr_assert(rel == REL_ACTIVITIES || rel == REL_LINE_ITEMS);
	iterate_calls++;
	for (size_t i = 0; i < n; i++) {
		int rc = cb(state, &rows[i]);

		if (rc != 0)
			return rc;
	}
	return 0;
}

static spm__rule_ctx ctx;

static void setup(void)
{
	memset(&top, 0, sizeof(top));
	top.v[AMOUNT] = vmoney(500000, "CNY");
	top.v[PRICE] = vmoney(1250, "USD");
	top.v[QTY] = vint(3);
	top.v[STAGE] = vtext("won");
	top.v[NAME] = vtext("Acme Corp");
	top.v[CLOSE_DATE] = vdate(2024, 3, 31);
	top.v[LAST_CONTACT] = vdate(2024, 2, 28);
	top.v[CREATED] = vtime(at(2024, 2, 29, 23, 30));
	top.v[WON] = vbool(1);
	top.v[FLAG] = vnull();
	top.v[N] = vnull();
	top.v[USD] = vmoney(1000, "USD");
	top.v[BIG] = vint(INT64_MAX);
	top.v[NOTE] = vnull();
	top.v[DATEF] = vdate(2024, 1, 1);

	memset(acts, 0, sizeof(acts));
	acts[0].v[A_TYPE] = vtext("visit");
	acts[0].v[A_AMOUNT] = vmoney(10000, "CNY");
	acts[0].v[A_AT] = vdate(2024, 2, 1);
	acts[0].v[A_DUR] = vint(30);
	acts[1].v[A_TYPE] = vtext("call");
	acts[1].v[A_AMOUNT] = vmoney(5000, "CNY");
	acts[1].v[A_AT] = vdate(2024, 2, 15);
	acts[2].v[A_TYPE] = vtext("visit");
	acts[2].v[A_AT] = vdate(2024, 1, 10);
	acts[2].v[A_DUR] = vint(45);
	nacts = 3;

	memset(items, 0, sizeof(items));
	items[0].v[I_AMOUNT] = vmoney(1000, "CNY");
	items[0].v[I_QTY] = vint(2);
	items[1].v[I_AMOUNT] = vmoney(2000, "CNY");
	items[1].v[I_QTY] = vint(1);
	nitems = 2;
	iterate_calls = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.now = at(2024, 3, 1, 10, 0);
	ctx.row = &top;
	ctx.get = ctx_get;
	ctx.iterate = ctx_iterate;
}

TestSuite(rules, .init = setup);

/* ---- helpers ---- */

static spm__rule *compile(const char *text)
{
	spm__rule *r = NULL;
	int rc = spm__rule_compile(&r, NULL, text, &opp_env, NULL);

	cr_assert_eq(rc, SPM_OK, "compile '%s': %s %s", text, spm_result_name(rc),
		     spm_error_message());
	cr_assert_not_null(r);
	return r;
}

/* Evaluates text and compares the formatted value. */
static void assert_eval(const char *text, const char *want)
{
	spm__rule *r = compile(text);
	spm__rule_value v;
	char buf[256];
	int rc = spm__rule_eval(&v, r, &ctx);

	cr_assert_eq(rc, SPM_OK, "eval '%s': %s %s", text, spm_result_name(rc),
		     spm_error_message());
	cr_assert_eq(spm__rule_value_format(buf, sizeof(buf), &v), SPM_OK);
	cr_assert_str_eq(buf, want, "'%s' gave %s, expected %s", text, buf, want);
	spm__rule_free(r);
}

static void assert_eval_fails(const char *text, int code, const char *msg)
{
	spm__rule *r = compile(text);
	spm__rule_value v;
	int rc;

	spm_error_clear();
	rc = spm__rule_eval(&v, r, &ctx);
	cr_assert_eq(rc, code, "eval '%s': %s, expected %s", text, spm_result_name(rc),
		     spm_result_name(code));
	cr_assert_eq(spm_error_code(), code);
	cr_assert_str_eq(spm_error_message(), msg, "'%s': message '%s'", text,
			 spm_error_message());
	spm__rule_free(r);
}

static void assert_compile_fails(const char *text, int code, const char *msg)
{
	spm__rule *r = (spm__rule *)&r;
	int rc;

	spm_error_clear();
	rc = spm__rule_compile(&r, NULL, text, &opp_env, NULL);
	cr_assert_eq(rc, code, "compile '%s': %s, expected %s (%s)", text, spm_result_name(rc),
		     spm_result_name(code), spm_error_message());
	cr_assert_null(r, "'%s': out not NULL on error", text);
	cr_assert_eq(spm_error_code(), code);
	cr_assert_str_eq(spm_error_message(), msg, "'%s': message '%s'", text,
			 spm_error_message());
}

/* text prints as canon, and canon compiles and prints as itself. */
static void assert_prints(const char *text, const char *canon)
{
	spm__rule *r = compile(text);
	spm__rule *r2;

	cr_assert_str_eq(spm__rule_text(r), canon, "'%s' printed '%s'", text, spm__rule_text(r));
	r2 = compile(spm__rule_text(r));
	cr_assert_str_eq(spm__rule_text(r2), canon, "'%s' reprinted '%s'", canon,
			 spm__rule_text(r2));
	spm__rule_free(r2);
	spm__rule_free(r);
}

struct pair {
	const char *text;
	const char *want;
};

static void eval_table(const struct pair *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_eval(t[i].text, t[i].want);
}

#define EVAL_TABLE(...) do { \
	static const struct pair t_[] = { __VA_ARGS__ }; \
	eval_table(t_, sizeof(t_) / sizeof(t_[0])); \
} while (0)

/* ---- precedence ---- */

Test(rules, precedence_of_arithmetic)
{
	EVAL_TABLE({ "1 + 2 * 3", "7" }, { "(1 + 2) * 3", "9" }, { "10 - 4 - 3", "3" },
		   { "10 - (4 - 3)", "9" }, { "2 * 3 - -4", "10" }, { "-2 * 3", "-6" },
		   { "- qty * 2", "-6" }, { "24 / 4 / 2", "3" }, { "1 + 2 * 3 - 4 / 2", "5" });
}

Test(rules, precedence_of_logic)
{
	EVAL_TABLE({ "true or false and false", "true" },
		   { "(true or false) and false", "false" },
		   { "not true and false", "false" },
		   { "not (true and false)", "true" },
		   { "not false or true", "true" },
		   { "not 1 = 2", "true" },
		   { "1 + 1 = 2 and 2 * 2 = 4", "true" },
		   { "qty > 1 or qty < 0 and false", "true" });
}

Test(rules, comparisons_do_not_chain)
{
	assert_compile_fails("1 < 2 < 3", SPM_EINVAL,
			     "1:7: comparisons do not chain; join them with 'and' or use parentheses");
	assert_eval("(1 < 2) = true", "true");
}

/* ---- operators ---- */

Test(rules, integer_comparisons)
{
	EVAL_TABLE({ "qty = 3", "true" }, { "qty != 3", "false" }, { "qty <> 4", "true" },
		   { "qty < 3", "false" }, { "qty <= 3", "true" }, { "qty > 2", "true" },
		   { "qty >= 4", "false" }, { "-1 < 0", "true" });
}

Test(rules, money_comparisons)
{
	EVAL_TABLE({ "amount >= 10000.00 CNY", "false" }, { "amount = 5000 CNY", "true" },
		   { "amount > 4999.99 CNY", "true" }, { "amount", "5000.00 CNY" },
		   { "price < 12.51 USD", "true" }, { "100 JPY = 100 JPY", "true" },
		   { "1.234 KWD", "1.234 KWD" });
}

Test(rules, text_comparisons)
{
	EVAL_TABLE({ "stage = 'won'", "true" }, { "stage != 'lost'", "true" },
		   { "'apple' < 'banana'", "true" }, { "'ab' < 'abc'", "true" },
		   { "'Z' < 'a'", "true" }, { "'é' > 'z'", "true" },
		   { "'it''s' = 'it''s'", "true" }, { "'it''s'", "'it''s'" });
}

Test(rules, date_and_time_comparisons)
{
	EVAL_TABLE({ "close_date < date '2024-04-01'", "true" },
		   { "close_date = date '2024-03-31'", "true" },
		   { "last_contact > date '2024-02-29'", "false" },
		   { "created < now()", "true" },
		   { "created", "2024-02-29T23:30:00Z" },
		   { "date = date '2024-01-01'", "true" });
}

Test(rules, boolean_comparisons)
{
	EVAL_TABLE({ "won = true", "true" }, { "won != false", "true" }, { "won != true", "false" }, { "won", "true" });
	assert_compile_fails("won < true", SPM_EINVAL, "1:5: booleans have no order; use = or !=");
}

Test(rules, in_lists)
{
	EVAL_TABLE({ "stage in ('won', 'commit')", "true" },
		   { "stage in ('lost')", "false" },
		   { "stage not in ('lost', 'omitted')", "true" },
		   { "qty in (1, 2, 1 + 2)", "true" },
		   { "qty not in (3)", "false" },
		   { "amount in (1.00 CNY, 5000.00 CNY)", "true" });
	assert_compile_fails("qty in (1, 'two')", SPM_EINVAL,
			     "1:12: cannot compare integer with text");
}

Test(rules, is_null)
{
	EVAL_TABLE({ "n is null", "true" }, { "n is not null", "false" },
		   { "qty is null", "false" }, { "qty is not null", "true" },
		   { "null is null", "true" }, { "n + 1 is null", "true" });
}

Test(rules, like_patterns)
{
	top.v[NOTE] = vtext("销售部");
	EVAL_TABLE({ "name like 'Acme%'", "true" }, { "name like '%Corp'", "true" },
		   { "name like 'A_me Corp'", "true" }, { "name like 'acme%'", "false" },
		   { "lower(name) like 'acme%'", "true" }, { "name like '%me%or%'", "true" },
		   { "name like 'Acme'", "false" }, { "'' like '%'", "true" },
		   { "'' like '_'", "false" }, { "note like '销_部'", "true" },
		   { "note like '__部'", "true" }, { "note like '_部'", "false" },
		   { "name not like '%Inc'", "true" }, { "n is null and note like '%'", "true" });
}

Test(rules, integer_arithmetic)
{
	EVAL_TABLE({ "7 / 2", "3" }, { "-7 / 2", "-3" }, { "7 / -2", "-3" },
		   { "qty * qty - 1", "8" }, { "big - 1", "9223372036854775806" },
		   { "-9223372036854775808", "-9223372036854775808" },
		   { "9223372036854775807", "9223372036854775807" });
}

Test(rules, integer_overflow_is_an_error)
{
	assert_eval_fails("big + 1", SPM_EOVERFLOW, "1:5: integer overflow");
	assert_eval_fails("qty > 0 and big * 2 > 0", SPM_EOVERFLOW, "1:17: integer overflow");
	assert_eval_fails("-big - 2", SPM_EOVERFLOW, "1:6: integer overflow");
	assert_eval_fails("-9223372036854775808 / -1", SPM_EOVERFLOW, "1:22: integer overflow");
	assert_eval_fails("-(-9223372036854775808)", SPM_EOVERFLOW, "1:1: integer overflow");
	assert_eval_fails("abs(-9223372036854775808)", SPM_EOVERFLOW, "1:1: integer overflow");
	assert_compile_fails("9223372036854775808", SPM_EINVAL, "1:1: integer out of range");
	assert_compile_fails("-9223372036854775809", SPM_EINVAL, "1:2: integer out of range");
}

Test(rules, division_by_zero)
{
	assert_eval_fails("qty / (qty - 3)", SPM_EINVAL, "1:5: division by zero");
	assert_eval_fails("amount / 0", SPM_EINVAL, "1:8: division by zero");
}

Test(rules, money_arithmetic)
{
	EVAL_TABLE({ "amount + 1.50 CNY", "5001.50 CNY" }, { "amount - 5000.01 CNY", "-0.01 CNY" },
		   { "price * 3", "37.50 USD" }, { "3 * price", "37.50 USD" },
		   { "10.00 CNY / 3", "3.33 CNY" }, { "10.00 CNY / 4", "2.50 CNY" },
		   { "-amount", "-5000.00 CNY" }, { "abs(-1.25 USD)", "1.25 USD" },
		   { "100 JPY / 3", "33 JPY" }, { "1.000 KWD / 3", "0.333 KWD" });
}

Test(rules, money_division_rounds_half_even)
{
	EVAL_TABLE({ "0.05 CNY / 2", "0.02 CNY" }, { "0.15 CNY / 2", "0.08 CNY" },
		   { "0.25 CNY / 2", "0.12 CNY" }, { "-0.05 CNY / 2", "-0.02 CNY" },
		   { "-0.15 CNY / 2", "-0.08 CNY" }, { "0.05 CNY / -2", "-0.02 CNY" },
		   { "0.07 CNY / 4", "0.02 CNY" }, { "0.01 CNY / 3", "0.00 CNY" },
		   { "-92233720368547758.08 USD / -2", "46116860184273879.04 USD" });
	assert_eval_fails("-92233720368547758.08 USD / -1", SPM_EOVERFLOW, "1:27: money overflow");
}

Test(rules, money_overflow_is_an_error)
{
	assert_eval_fails("92233720368547758.07 CNY + 0.01 CNY", SPM_EOVERFLOW,
			  "1:26: money overflow");
	assert_eval_fails("amount * big", SPM_EOVERFLOW, "1:8: money overflow");
	assert_compile_fails("92233720368547758.08 CNY", SPM_EINVAL, "1:1: amount out of range");
}

Test(rules, money_literals_respect_the_currency_exponent)
{
	assert_compile_fails("1.5 JPY", SPM_EINVAL,
			     "1:1: malformed amount '1.5' for JPY (at most the currency's decimals)");
	assert_compile_fails("1.001 EUR", SPM_EINVAL,
			     "1:1: malformed amount '1.001' for EUR (at most the currency's decimals)");
	assert_compile_fails("1. CNY", SPM_EINVAL,
			     "1:1: malformed amount '1.' for CNY (at most the currency's decimals)");
	assert_compile_fails("1 XYZ", SPM_EINVAL, "1:3: unknown currency 'XYZ'");
	assert_compile_fails("12.50", SPM_EINVAL,
			     "1:1: a decimal number needs a currency (e.g. 12.50 CNY); integers "
			     "have no decimals");
	assert_prints("12.5 CNY", "12.50 CNY");
	assert_prints("7 KWD", "7.000 KWD");
}

Test(rules, currency_mismatch_at_compile_time)
{
	assert_compile_fails("amount + 1.00 USD", SPM_ECURRENCY,
			     "1:8: cannot add money in CNY with money in USD");
	assert_compile_fails("amount > usd", SPM_ECURRENCY,
			     "1:8: cannot compare money in CNY with money in USD");
	assert_compile_fails("coalesce(amount, 0 EUR)", SPM_ECURRENCY,
			     "1:1: cannot mix money in CNY with money in EUR");
	assert_compile_fails("amount in (1 CNY, 2 JPY)", SPM_ECURRENCY,
			     "1:19: cannot compare money in CNY with money in JPY");
}

Test(rules, currency_mismatch_at_run_time)
{
	assert_eval_fails("price + 1.00 CNY", SPM_ECURRENCY,
			  "1:7: cannot add money in USD and money in CNY");
	assert_eval_fails("price > 1.00 CNY", SPM_ECURRENCY,
			  "1:7: cannot compare money in USD with money in CNY");
	assert_eval("price + 1.00 USD", "13.50 USD");
	/* a field declared in CNY that gives USD */
	top.v[AMOUNT] = vmoney(1, "USD");
	assert_eval_fails("amount > 0 CNY", SPM_ECURRENCY,
			  "1:1: field 'amount' gave money in USD, declared CNY");
}

Test(rules, arithmetic_type_errors)
{
	assert_compile_fails("amount * amount > 0 CNY", SPM_EINVAL,
			     "1:8: cannot multiply money by money");
	assert_compile_fails("2 / price", SPM_EINVAL, "1:3: cannot divide integer by money");
	assert_compile_fails("stage + 1", SPM_EINVAL, "1:7: cannot add text and integer");
	assert_compile_fails("-stage", SPM_EINVAL, "1:1: cannot negate text");
	assert_compile_fails("close_date - 1", SPM_EINVAL, "1:12: cannot subtract date and integer");
}

/* ---- functions ---- */

Test(rules, case_functions)
{
	top.v[NOTE] = vtext("Straße ÄB");
	EVAL_TABLE({ "lower(name)", "'acme corp'" }, { "upper(name)", "'ACME CORP'" },
		   { "lower(name) = 'acme corp'", "true" }, { "upper(name) = 'ACME CORP'", "true" },
		   { "lower(note)", "'straße Äb'" }, { "upper(lower(name))", "'ACME CORP'" },
		   { "lower(upper(name)) < 'b'", "true" });
}

Test(rules, length_counts_code_points)
{
	EVAL_TABLE({ "length('销售额')", "3" }, { "length('')", "0" }, { "length(name)", "9" },
		   { "length('é😀')", "2" }, { "length(note)", "null" });
}

Test(rules, substring_functions)
{
	EVAL_TABLE({ "contains(name, 'me C')", "true" }, { "contains(name, 'acme')", "false" },
		   { "contains(lower(name), 'acme')", "true" }, { "contains(name, '')", "true" },
		   { "starts_with(name, 'Acme')", "true" }, { "starts_with(name, 'Corp')", "false" },
		   { "ends_with(name, 'Corp')", "true" }, { "ends_with('ab', 'abc')", "false" },
		   { "starts_with(upper(stage), 'WO')", "true" },
		   { "contains(note, 'x')", "null" });
}

Test(rules, trim)
{
	EVAL_TABLE({ "trim('  x y \t')", "'x y'" }, { "trim('\u3000客户\u00a0')", "'客户'" },
		   { "length(trim('   '))", "0" }, { "trim(name) = name", "true" });
}

Test(rules, days_since_across_a_leap_day)
{
	EVAL_TABLE({ "days_since(date '2024-02-28')", "2" },
		   { "days_since(last_contact)", "2" },
		   { "days_since(date '2023-03-01')", "366" },
		   { "days_until(close_date)", "30" },
		   { "days_until(date '2024-02-29')", "-1" },
		   { "days_since(created)", "1" },
		   { "today()", "2024-03-01" },
		   { "today() = date '2024-03-01'", "true" },
		   { "now()", "2024-03-01T10:00:00Z" },
		   { "days_since(last_contact) > 7", "false" });
	ctx.now = at(2023, 3, 1, 0, 0);
	assert_eval("days_since(date '2023-02-28')", "1");
	assert_eval("days_since(date '2024-02-28')", "-364");
}

Test(rules, the_clock_comes_from_the_context)
{
	ctx.now = at(2030, 1, 1, 0, 0);
	assert_eval("today()", "2030-01-01");
	ctx.now = at(2030, 1, 1, 23, 59) + 59;
	assert_eval("now()", "2030-01-01T23:59:59Z");
	ctx.now = INT64_MAX;
	assert_eval_fails("today()", SPM_ERANGE, spm_error_message());
}

Test(rules, coalesce_abs_min_max)
{
	EVAL_TABLE({ "coalesce(n, 5)", "5" }, { "coalesce(qty, 5)", "3" },
		   { "coalesce(note, 'none')", "'none'" }, { "coalesce(n, null)", "null" },
		   { "abs(-5)", "5" }, { "abs(qty)", "3" }, { "abs(n)", "null" },
		   { "min(qty, 2)", "2" }, { "max(qty, 2)", "3" },
		   { "min(close_date, date '2024-01-01')", "2024-01-01" },
		   { "max('a', 'b')", "'b'" }, { "max(amount, 6000 CNY)", "6000.00 CNY" },
		   { "min(n, 1)", "null" });
	assert_compile_fails("coalesce(qty, 'x')", SPM_EINVAL, "1:1: cannot mix integer with text");
	assert_compile_fails("min(won, true)", SPM_EINVAL,
			     "1:1: min() needs values that can be ordered, found boolean");
	assert_compile_fails("abs('x')", SPM_EINVAL, "1:1: abs() needs integer or money, found text");
}

Test(rules, function_errors)
{
	assert_compile_fails("lower(qty) = 'x'", SPM_EINVAL, "1:1: lower() needs text, found integer");
	assert_compile_fails("days_since(qty)", SPM_EINVAL,
			     "1:1: days_since() needs a date or a time, found integer");
	assert_compile_fails("contains(name)", SPM_EINVAL, "1:1: contains() takes 2 arguments, not 1");
	assert_compile_fails("length(name, 1)", SPM_EINVAL, "1:14: length() takes 1 argument");
	assert_compile_fails("today(1)", SPM_EINVAL, "1:7: today() takes 0 arguments");
	assert_compile_fails("frobnicate(1)", SPM_EINVAL, "1:1: unknown function 'frobnicate'");
}

/* ---- null semantics ---- */

Test(rules, three_valued_and)
{
	EVAL_TABLE({ "true and true", "true" }, { "true and false", "false" },
		   { "true and null", "null" }, { "false and true", "false" },
		   { "false and false", "false" }, { "false and null", "false" },
		   { "null and true", "null" }, { "null and false", "false" },
		   { "null and null", "null" }, { "flag and won", "null" });
}

Test(rules, three_valued_or)
{
	EVAL_TABLE({ "true or true", "true" }, { "true or false", "true" },
		   { "true or null", "true" }, { "false or true", "true" },
		   { "false or false", "false" }, { "false or null", "null" },
		   { "null or true", "true" }, { "null or false", "null" },
		   { "null or null", "null" }, { "flag or won", "true" });
}

Test(rules, three_valued_not)
{
	EVAL_TABLE({ "not true", "false" }, { "not false", "true" }, { "not null", "null" },
		   { "not flag", "null" }, { "not not won", "true" });
}

Test(rules, comparisons_with_null_are_null)
{
	EVAL_TABLE({ "n = 1", "null" }, { "n != 1", "null" }, { "n < 1", "null" },
		   { "note = 'x'", "null" }, { "null = null", "null" }, { "n = n", "null" },
		   { "n + 1", "null" }, { "-n", "null" }, { "n * 0", "null" },
		   { "note like '%'", "null" }, { "lower(note)", "null" },
		   { "days_since(null)", "null" });
}

Test(rules, in_lists_with_null_follow_sql)
{
	EVAL_TABLE({ "1 in (2, null)", "null" }, { "1 in (1, null)", "true" },
		   { "1 not in (2, null)", "null" }, { "1 not in (1, null)", "false" },
		   { "n in (1, 2)", "null" }, { "n not in (1)", "null" },
		   { "qty in (n, 3)", "true" }, { "qty in (n, 4)", "null" });
}

Test(rules, null_result_counts_as_not_met)
{
	spm__rule *r = compile("n > 1");
	int met = -5, truth = -5;

	cr_assert_eq(spm__rule_met(&met, &truth, r, &ctx), SPM_OK);
	cr_assert_eq(met, 0);
	cr_assert_eq(truth, SPM__RULE_UNKNOWN);
	top.v[N] = vint(2);
	cr_assert_eq(spm__rule_met(&met, &truth, r, &ctx), SPM_OK);
	cr_assert_eq(met, 1);
	cr_assert_eq(truth, SPM__RULE_TRUE);
	top.v[N] = vint(0);
	cr_assert_eq(spm__rule_met(&met, NULL, r, &ctx), SPM_OK);
	cr_assert_eq(met, 0);
	spm__rule_free(r);

	r = compile("not (n > 1)");
	cr_assert_eq(spm__rule_met(&met, &truth, r, &ctx), SPM_OK);
	cr_assert_eq(truth, SPM__RULE_TRUE);
	top.v[N] = vnull();
	cr_assert_eq(spm__rule_met(&met, &truth, r, &ctx), SPM_OK);
	cr_assert_eq(met, 0, "not unknown is still unknown");
	cr_assert_eq(truth, SPM__RULE_UNKNOWN);
	spm__rule_free(r);
}

Test(rules, met_needs_a_condition)
{
	spm__rule *r = compile("qty + 1");
	int met = -5;

	cr_assert_eq(spm__rule_result_type(r), SPM__RULE_INTEGER);
	cr_assert_eq(spm__rule_met(&met, NULL, r, &ctx), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "the rule gives integer, not a condition");
	cr_assert_eq(met, -5);
	spm__rule_free(r);
}

Test(rules, short_circuit_skips_errors)
{
	EVAL_TABLE({ "false and big + 1 > 0", "false" }, { "true or 1 / 0 = 1", "true" },
		   { "coalesce(qty, 1 / 0)", "3" });
	assert_eval_fails("null and big + 1 > 0", SPM_EOVERFLOW, "1:14: integer overflow");
}

/* ---- compile errors with positions ---- */

Test(rules, type_errors_give_line_and_column)
{
	assert_compile_fails("amount = 'x'", SPM_EINVAL, "1:8: cannot compare money with text");
	assert_compile_fails("stage = 'won' and amount >= 'a lot'", SPM_EINVAL,
			     "1:26: cannot compare money with text");
	assert_compile_fails("qty > 1 and\n  stage + 1 = 2", SPM_EINVAL,
			     "2:9: cannot add text and integer");
	assert_compile_fails("qty and won", SPM_EINVAL, "1:5: 'and' needs boolean, found integer");
	assert_compile_fails("not qty", SPM_EINVAL, "1:1: 'not' needs boolean, found integer");
	assert_compile_fails("close_date < created", SPM_EINVAL,
			     "1:12: cannot compare date with time");
	assert_compile_fails("name like 1", SPM_EINVAL, "1:6: 'like' needs text, found integer");
}

Test(rules, diag_has_offset_line_and_column)
{
	spm__rule *r = NULL;
	spm__rule_diag d = { 99, 99, 99 };

	/* the column counts code points, the offset bytes */
	cr_assert_eq(spm__rule_compile(&r, NULL, "name = '销售'\n and qty = 'x'", &opp_env, &d),
		     SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "2:10: cannot compare integer with text");
	cr_assert_eq(d.line, 2);
	cr_assert_eq(d.column, 10);
	cr_assert_eq(d.offset, strlen("name = '销售'\n and qty "));
	cr_assert_eq(spm__rule_compile(&r, NULL, "stage = '销售' and bogus", &opp_env, &d),
		     SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "1:18: unknown field 'bogus'");
	cr_assert_eq(d.offset, strlen("stage = '销售' and "));
	cr_assert_eq(d.offset, 21);
	cr_assert_eq(d.column, 18);
}

Test(rules, unknown_names)
{
	assert_compile_fails("qty > 1 and bogus = 2", SPM_EINVAL, "1:13: unknown field 'bogus'");
	assert_compile_fails("count(meetings) > 1", SPM_EINVAL, "1:7: unknown relation 'meetings'");
	assert_compile_fails("Amount > 1", SPM_EINVAL,
			     "1:1: invalid name 'Amount': names are lower-case letters, digits "
			     "and '_', starting with a letter");
	assert_compile_fails("won AND true", SPM_EINVAL,
			     "1:5: expected an operator or the end of the rule, found 'AND' "
			     "(keywords are lower case: 'and')");
	assert_compile_fails("activities.amount > 1", SPM_EINVAL,
			     "1:11: 'activities.field' is only allowed in sum(), min() and max()");
}

Test(rules, syntax_errors)
{
	assert_compile_fails("", SPM_EINVAL, "1:1: empty rule");
	assert_compile_fails("  \n ", SPM_EINVAL, "2:2: empty rule");
	assert_compile_fails("qty >", SPM_EINVAL, "1:6: expected a value, found the end of the rule");
	assert_compile_fails("(qty = 1", SPM_EINVAL, "1:9: expected ')', found the end of the rule");
	assert_compile_fails("qty = 1 qty", SPM_EINVAL,
			     "1:9: expected an operator or the end of the rule, found 'qty'");
	assert_compile_fails("stage = 'won", SPM_EINVAL, "1:9: unterminated text literal");
	assert_compile_fails("qty = 1;", SPM_EINVAL, "1:8: unexpected character ';'");
	assert_compile_fails("qty is 1", SPM_EINVAL,
			     "1:8: expected 'null' or 'not null', found a number");
	assert_compile_fails("qty not 1", SPM_EINVAL,
			     "1:9: expected 'in' or 'like' after 'not', found a number");
	assert_compile_fails("date '2023-02-29' < close_date", SPM_EINVAL,
			     "1:6: invalid date '2023-02-29': write date 'YYYY-MM-DD'");
	assert_compile_fails("and", SPM_EINVAL, "1:1: expected a value, found 'and'");
}

/* ---- limits ---- */

Test(rules, text_length_limit)
{
	char *text = malloc(SPM__RULE_MAX_TEXT + 2);

	/* 'xxx…' of exactly 4096 bytes compiles */
	memset(text, 'x', SPM__RULE_MAX_TEXT);
	text[0] = '\'';
	text[SPM__RULE_MAX_TEXT - 1] = '\'';
	text[SPM__RULE_MAX_TEXT] = '\0';
	spm__rule_free(compile(text));
	text[SPM__RULE_MAX_TEXT - 1] = 'x';
	text[SPM__RULE_MAX_TEXT] = '\'';
	text[SPM__RULE_MAX_TEXT + 1] = '\0';
	assert_compile_fails(text, SPM_EINVAL, "rule text longer than 4096 bytes");

	/* dense money literals grow when printed: "1CLF" is "1.0000 CLF" */
	memset(text, 0, SPM__RULE_MAX_TEXT + 2);
	text[0] = '\'';
	memset(text + 1, 'x', 3000);
	strcat(text, "' = 'x' or 1CLF");
	for (int i = 0; i < 120; i++)
		strcat(text, "+1CLF");
	strcat(text, " > 0CLF");
	cr_assert_leq(strlen(text), SPM__RULE_MAX_TEXT);
	assert_compile_fails(text, SPM_EINVAL, "1:1: rule text longer than 4096 bytes once "
			     "printed canonically (4595 bytes)");
	free(text);
}

static void nested(char *buf, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		buf[i] = '(';
	buf[i++] = '1';
	for (int k = 0; k < depth; k++)
		buf[i++] = ')';
	buf[i] = '\0';
}

Test(rules, nesting_limit)
{
	char buf[300];

	nested(buf, SPM__RULE_MAX_DEPTH - 1);  /* the whole rule is one level */
	spm__rule_free(compile(buf));
	nested(buf, SPM__RULE_MAX_DEPTH);
	assert_compile_fails(buf, SPM_EINVAL, "1:65: rule nested deeper than 64 levels");
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 70; i++)
		strcat(buf, "not ");
	strcat(buf, "won");
	assert_compile_fails(buf, SPM_EINVAL, "1:257: rule nested deeper than 64 levels");
}

Test(rules, node_limit)
{
	char buf[600] = "1";

	for (int i = 1; i < 128; i++)
		strcat(buf, "+1");   /* 128 literals + 127 additions */
	spm__rule *r = compile(buf);
	assert_eval(buf, "128");
	spm__rule_free(r);
	strcat(buf, "+1");
	assert_compile_fails(buf, SPM_EINVAL, "1:256: rule too complex: more than 256 nodes");
}

Test(rules, name_length_limit)
{
	char buf[100];

	memset(buf, 'a', 64);
	buf[64] = '\0';
	assert_compile_fails(buf, SPM_EINVAL, "1:1: name longer than 63 bytes");
}

/* ---- UTF-8 ---- */

Test(rules, invalid_utf8_is_refused)
{
	assert_compile_fails("stage = '\xff'", SPM_EINVAL, "1:10: invalid UTF-8 or NUL byte");
	assert_compile_fails("stage = 'a\xc0\xaf'", SPM_EINVAL, "1:11: invalid UTF-8 or NUL byte");
	assert_compile_fails("stage = '\xed\xa0\x80'", SPM_EINVAL, "1:10: invalid UTF-8 or NUL byte");
	assert_compile_fails("stage = '\xf4\x90\x80\x80'", SPM_EINVAL,
			     "1:10: invalid UTF-8 or NUL byte");
	assert_compile_fails("stage = '\xe9\x94'", SPM_EINVAL, "1:10: invalid UTF-8 or NUL byte");
	assert_compile_fails("qty = 1 \xff", SPM_EINVAL, "1:9: invalid UTF-8 or NUL byte");
	assert_compile_fails("销售 = 1", SPM_EINVAL, "1:1: unexpected character U+9500");
	assert_eval("stage = '销售'", "false");
}

/* ---- aggregates ---- */

Test(rules, count_and_exists)
{
	EVAL_TABLE({ "count(activities)", "3" }, { "count(activities where type = 'visit')", "2" },
		   { "count(activities where dur > 40)", "1" },
		   { "count(activities where dur is null)", "1" },
		   { "exists(activities where type = 'call')", "true" },
		   { "exists(activities where type = 'email')", "false" },
		   { "exists(line_items)", "true" },
		   { "count(activities where type = 'visit') >= 1", "true" });
	nacts = 0;
	EVAL_TABLE({ "count(activities)", "0" }, { "exists(activities)", "false" });
}

Test(rules, sum_min_max)
{
	EVAL_TABLE({ "sum(activities.amount)", "150.00 CNY" },
		   { "sum(activities.amount where type = 'visit')", "100.00 CNY" },
		   { "sum(activities.dur)", "75" },
		   { "sum(activities.amount where type = 'email')", "null" },
		   { "coalesce(sum(activities.amount where type = 'email'), 0 CNY)", "0.00 CNY" },
		   { "min(activities.at)", "2024-01-10" }, { "max(activities.at)", "2024-02-15" },
		   { "max(activities.dur where type = 'visit')", "45" },
		   { "min(activities.amount)", "50.00 CNY" },
		   { "sum(line_items.amount)", "30.00 CNY" },
		   { "sum(line_items.amount) > 20 CNY", "true" },
		   { "sum(activities.amount) + amount", "5150.00 CNY" });
}

Test(rules, exists_stops_early)
{
	assert_eval("exists(activities where type = 'visit')", "true");
	cr_assert_eq(iterate_calls, 1);
}

Test(rules, aggregate_errors)
{
	items[1].v[I_AMOUNT] = vmoney(500, "USD");
	assert_eval_fails("sum(line_items.amount) > 0 CNY", SPM_ECURRENCY,
			  "1:1: sum() over money in CNY and in USD");
	items[1].v[I_QTY] = vint(INT64_MAX);
	assert_eval_fails("sum(line_items.qty)", SPM_EOVERFLOW, "1:1: integer overflow in sum()");
	assert_compile_fails("sum(activities)", SPM_EINVAL,
			     "1:15: sum() needs a field of the relation: sum(activities.field)");
	assert_compile_fails("count(activities.type)", SPM_EINVAL,
			     "1:17: count() takes a relation, not a field");
	assert_compile_fails("min(activities.type)", SPM_EINVAL,
			     "1:1: min() needs an integer, money, date or time field, found text");
	assert_compile_fails("sum(activities.at)", SPM_EINVAL,
			     "1:1: sum() needs an integer or money field, found date");
	assert_compile_fails("count(activities where stage = 'x')", SPM_EINVAL,
			     "1:24: unknown field 'stage'");
	assert_compile_fails("count(activities where dur)", SPM_EINVAL,
			     "1:24: 'where' needs a boolean condition, found integer");
	assert_compile_fails("sum(activities.amount) > 1 USD", SPM_ECURRENCY,
			     "1:24: cannot compare money in CNY with money in USD");
}

Test(rules, context_callbacks_are_checked)
{
	ctx.iterate = NULL;
	assert_eval_fails("count(activities) > 0", SPM_EINVAL,
			  "1:1: no relation iterator in the context");
	ctx.get = NULL;
	assert_eval_fails("qty > 0", SPM_EINVAL, "1:1: no field getter in the context");
	setup();
	top.v[QTY] = vtext("3");
	assert_eval_fails("qty > 0", SPM_EINVAL, "1:1: field 'qty' gave text, declared integer");
	assert_eval("1 + 1", "2");
}

static int failing_get(spm__rule_value *out, const void *row, uint32_t slot, void *payload)
{
	(void)out;
	(void)row;
	(void)slot;
	(void)payload;
	return SPM_ESTORAGE;
}

Test(rules, callback_errors_come_back)
{
	spm__rule *r = compile("qty > 0");
	spm__rule_value v;

	ctx.get = failing_get;
	cr_assert_eq(spm__rule_eval(&v, r, &ctx), SPM_ESTORAGE);
	spm__rule_free(r);
	r = compile("count(activities where dur > 0) > 0");
	cr_assert_eq(spm__rule_eval(&v, r, &ctx), SPM_ESTORAGE);
	spm__rule_free(r);
}

/* ---- printer ---- */

Test(rules, printer_is_canonical)
{
	assert_prints("qty>1and won", "qty > 1 and won");
	assert_prints("  (qty)  =  ( 3 ) ", "qty = 3");
	assert_prints("(1 + 2) * 3", "(1 + 2) * 3");
	assert_prints("1 + (2 * 3)", "1 + 2 * 3");
	assert_prints("1 - (2 - 3)", "1 - (2 - 3)");
	assert_prints("(1 - 2) - 3", "1 - 2 - 3");
	assert_prints("(1)", "1");
	assert_prints("(won or flag) and not (qty = 1 or n = 2)",
		      "(won or flag) and not (qty = 1 or n = 2)");
	assert_prints("won or (flag and won)", "won or flag and won");
	assert_prints("won and (flag and won)", "won and (flag and won)");
	assert_prints("not not won", "not not won");
	assert_prints("(qty = 1) = (n = 2)", "(qty = 1) = (n = 2)");
	assert_prints("- -qty", "- -qty");
	assert_prints("-(-(qty))", "- -qty");
	assert_prints("-(qty + 1)", "-(qty + 1)");
	assert_prints("-(-5)", "5");
	assert_prints("0 - - -0", "0 - 0");
	assert_prints("- -1.50 CNY", "1.50 CNY");
	assert_prints("-(5)", "-5");
	assert_prints("3 - -2", "3 - -2");
	assert_prints("-9223372036854775808", "-9223372036854775808");
	assert_prints("-(-9223372036854775808)", "- -9223372036854775808");
	assert_prints("stage in ('a','b')", "stage in ('a', 'b')");
	assert_prints("stage not in ('it''s')", "stage not in ('it''s')");
	assert_prints("note is not null and n is null", "note is not null and n is null");
	assert_prints("name not like 'A%'", "name not like 'A%'");
	assert_prints("qty <> 1", "qty != 1");
	assert_prints("date '2024-02-29' = close_date", "date '2024-02-29' = close_date");
	assert_prints("days_since( last_contact )>7", "days_since(last_contact) > 7");
	assert_prints("count(activities where type='visit' and dur>1)>=1",
		      "count(activities where type = 'visit' and dur > 1) >= 1");
	assert_prints("sum(line_items.amount)", "sum(line_items.amount)");
	assert_prints("max(1,2)", "max(1, 2)");
	assert_prints("(qty + 1) is null", "qty + 1 is null");
	assert_prints("(won = true) is null", "(won = true) is null");
	assert_prints("1.5 CNY * 2", "1.50 CNY * 2");
	assert_prints("true and false or null", "true and false or null");
	assert_prints("today()", "today()");
}

Test(rules, print_into_a_buffer)
{
	spm__rule *r = compile("qty>1");
	char buf[8];

	cr_assert_eq(spm__rule_print(buf, sizeof(buf), r), SPM_OK);
	cr_assert_str_eq(buf, "qty > 1");
	cr_assert_eq(spm__rule_print(buf, 7, r), SPM_ERANGE);
	cr_assert_str_eq(buf, "qty > ");
	cr_assert_str_eq(spm_error_message(), "rule text needs 8 bytes, buffer has 7");
	spm__rule_free(r);
}

/* ---- explanations ---- */

struct lines {
	char text[8][256];
	int n;
};

static int collect(const spm__rule_criterion *c, void *payload)
{
	struct lines *l = payload;
	char val[64];

	cr_assert_eq(c->index, (unsigned)l->n);
	if (c->status != SPM_OK)
		snprintf(val, sizeof(val), "error %s", spm_result_name(c->status));
	else
		cr_assert_eq(spm__rule_value_format(val, sizeof(val), &c->value), SPM_OK);
	snprintf(l->text[l->n++], sizeof(l->text[0]), "%s%s: %s (%s)",
		 c->depth ? "  " : "", c->text, val, c->why);
	return 0;
}

Test(rules, explain_lists_each_conjunct)
{
	spm__rule *r = compile("amount >= 10000.00 CNY and stage in ('won', 'commit') and "
			       "count(activities where type = 'visit') >= 3");
	struct lines l = { .n = 0 };
	spm__rule_value v;

	cr_assert_eq(spm__rule_explain(&v, r, &ctx, collect, &l), SPM_OK);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.text[0], "amount >= 10000.00 CNY: false (amount = 5000.00 CNY)");
	cr_assert_str_eq(l.text[1], "stage in ('won', 'commit'): true (stage = 'won')");
	cr_assert_str_eq(l.text[2], "count(activities where type = 'visit') >= 3: false "
			 "(count(activities where type = 'visit') = 2)");
	cr_assert_eq(spm__rule_truth(&v), SPM__RULE_FALSE);
	spm__rule_free(r);
}

Test(rules, explain_lists_leaves_of_or_and_not)
{
	spm__rule *r = compile("qty > 1 and (stage = 'lost' or amount + price > 0 CNY) "
			       "and not (won and n = 1)");
	struct lines l = { .n = 0 };
	spm__rule_value v;

	/* the whole rule fails, but every criterion is still reported */
	cr_assert_eq(spm__rule_explain(&v, r, &ctx, collect, &l), SPM_ECURRENCY);
	cr_assert_eq(l.n, 7);
	cr_assert_str_eq(l.text[0], "qty > 1: true (qty = 3)");
	cr_assert_str_eq(l.text[1], "stage = 'lost' or amount + price > 0.00 CNY: error "
			 "SPM_ECURRENCY (stage = 'won', amount = 5000.00 CNY, price = 12.50 USD)");
	cr_assert_str_eq(l.text[2], "  stage = 'lost': false (stage = 'won')");
	cr_assert_str_eq(l.text[3], "  amount + price > 0.00 CNY: error SPM_ECURRENCY "
			 "(amount = 5000.00 CNY, price = 12.50 USD)");
	cr_assert_str_eq(l.text[4], "not (won and n = 1): null (won = true, n = null)");
	cr_assert_str_eq(l.text[5], "  won: true (won = true)");
	cr_assert_str_eq(l.text[6], "  n = 1: null (n = null)");
	spm__rule_free(r);
}

Test(rules, explain_reports_the_whole_result_and_error)
{
	spm__rule *r = compile("qty = 3 and big + 1 > 0");
	struct lines l = { .n = 0 };
	spm__rule_value v;

	cr_assert_eq(spm__rule_explain(&v, r, &ctx, collect, &l), SPM_EOVERFLOW);
	cr_assert_str_eq(spm_error_message(), "1:17: integer overflow");
	cr_assert_eq(v.type, SPM__RULE_NULL);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.text[1], "big + 1 > 0: error SPM_EOVERFLOW (big = 9223372036854775807)");
	spm__rule_free(r);
}

static int stop_at_first(const spm__rule_criterion *c, void *payload)
{
	(void)c;
	(*(int *)payload)++;
	return 42;
}

Test(rules, explain_stops_when_the_callback_asks)
{
	spm__rule *r = compile("qty = 3 and won");
	int calls = 0;

	cr_assert_eq(spm__rule_explain(NULL, r, &ctx, stop_at_first, &calls), 42);
	cr_assert_eq(calls, 1);
	spm__rule_free(r);
}

Test(rules, explain_cuts_long_texts)
{
	static char longtext[400];
	spm__rule *r = compile("note = 'x'");
	struct lines l = { .n = 0 };

	memset(longtext, 'y', sizeof(longtext) - 1);
	top.v[NOTE] = vtext(longtext);
	cr_assert_eq(spm__rule_explain(NULL, r, &ctx, collect, &l), SPM_OK);
	cr_assert_str_eq(l.text[0], "note = 'x': false (note = "
			 "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...')");
	spm__rule_free(r);
}

/* ---- values and misc ---- */

Test(rules, value_format)
{
	char buf[SPM__RULE_VALUE_FORMAT_MAX];
	spm__rule_value v = vtext("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop");

	cr_assert_eq(spm__rule_value_format(buf, sizeof(buf), &v), SPM_OK);
	cr_assert_str_eq(buf, "'abcdefghijklmnopqrstu...'");
	v = vtime(at(1969, 12, 31, 23, 59));
	cr_assert_eq(spm__rule_value_format(buf, sizeof(buf), &v), SPM_OK);
	cr_assert_str_eq(buf, "1969-12-31T23:59:00Z");
	cr_assert_eq(spm__rule_value_format(buf, 10, &v), SPM_EINVAL);
	v = vmoney(5, "XYZ");
	cr_assert_eq(spm__rule_value_format(buf, sizeof(buf), &v), SPM_EINVAL);
}

Test(rules, rule_properties)
{
	spm__rule *r = compile("days_since(last_contact) > 7");

	cr_assert_eq(spm__rule_uses_clock(r), 1);
	cr_assert_eq(spm__rule_uses_relations(r), 0);
	cr_assert_eq(spm__rule_result_type(r), SPM__RULE_BOOLEAN);
	spm__rule_free(r);
	r = compile("exists(activities)");
	cr_assert_eq(spm__rule_uses_clock(r), 0);
	cr_assert_eq(spm__rule_uses_relations(r), 1);
	spm__rule_free(r);
	r = compile("null");
	cr_assert_eq(spm__rule_result_type(r), SPM__RULE_NULL);
	spm__rule_free(r);
}

Test(rules, null_arguments)
{
	spm__rule *r = (spm__rule *)&r;
	spm__rule_value v;

	cr_assert_eq(spm__rule_compile(&r, NULL, NULL, &opp_env, NULL), SPM_EINVAL);
	cr_assert_null(r);
	cr_assert_eq(spm__rule_compile(&r, NULL, "1", NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm__rule_compile(NULL, NULL, "1", &opp_env, NULL), SPM_EINVAL);
	cr_assert_eq(spm__rule_eval(&v, NULL, &ctx), SPM_EINVAL);
	spm__rule_free(NULL);
}

static int env_broken(spm__rule_field *out, const spm__rule_env *env, const char *name,
		      void *payload)
{
	(void)out;
	(void)env;
	(void)name;
	(void)payload;
	return SPM_ESTORAGE;
}

Test(rules, environment_errors_come_back)
{
	static const spm__rule_env broken = { env_broken, NULL, NULL };
	spm__rule *r = NULL;

	cr_assert_eq(spm__rule_compile(&r, NULL, "qty > 1", &broken, NULL), SPM_ESTORAGE);
	cr_assert_null(r);
	cr_assert_eq(spm__rule_compile(&r, NULL, "count(activities) > 1", &broken, NULL),
		     SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "1:7: unknown relation 'activities'");
}

static int fail_after;

static void *counting_malloc(size_t n, void *payload)
{
	(void)payload;
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return malloc(n);
}

static void *counting_realloc(void *p, size_t n, void *payload)
{
	(void)payload;
	return realloc(p, n);
}

static void counting_free(void *p, void *payload)
{
	(void)payload;
	free(p);
}

Test(rules, compiles_through_the_handle_allocator)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm__rule *r = NULL;
	spm_db *db = NULL;
	size_t live;

	opts.path = ":memory:";
	opts.malloc_fn = counting_malloc;
	opts.realloc_fn = counting_realloc;
	opts.free_fn = counting_free;
	fail_after = -1;
	cr_assert_eq(spm_db_open(&db, &opts), SPM_OK);
	live = spm__alloc_live(db);
	cr_assert_eq(spm__rule_compile(&r, db, "count(activities where type = 'visit') > 1",
				       &opp_env, NULL), SPM_OK);
	cr_assert_eq(spm__alloc_live(db), live + 1, "a compiled rule is one allocation");
	assert_eval("1", "1");
	spm__rule_free(r);
	cr_assert_eq(spm__alloc_live(db), live);

	/* an error leaves nothing behind */
	cr_assert_eq(spm__rule_compile(&r, db, "qty = 'x'", &opp_env, NULL), SPM_EINVAL);
	cr_assert_eq(spm__alloc_live(db), live);

	/* out of memory, at each allocation */
	for (int k = 0; k < 2; k++) {
		fail_after = k;
		cr_assert_eq(spm__rule_compile(&r, db, "qty > 1", &opp_env, NULL), SPM_ENOMEM);
		cr_assert_null(r);
		cr_assert_eq(spm__alloc_live(db), live);
	}
	fail_after = -1;
	spm_db_close(db);
}
