/* CSV reader and writer (lib/io/csv.h): RFC 4180 edge cases, every error
 * and limit with its line and column, resynchronisation after bad rows,
 * chunk boundaries at every byte, formula neutralisation, and a seeded
 * write/read round trip (TESTING.md sections G and H). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spm/error.h"
#include "io/csv.h"

/* ---- a growing string ---- */

struct str {
	char *p;
	size_t len, cap;
};

static void str_add(struct str *s, const char *p, size_t len)
{
	if (s->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 256;

		while (cap < s->len + len + 1)
			cap *= 2;
		s->p = realloc(s->p, cap);
		cr_assert_not_null(s->p);
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, len);
	s->len += len;
	s->p[s->len] = '\0';
}

static void str_printf(struct str *s, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof tmp);
	str_add(s, tmp, (size_t)n);
}

static const char *str_get(struct str *s)
{
	return s->p ? s->p : "";
}

/* ---- collecting rows as text ----
 *
 * Good row:  "3:[a][q:b\n]" (line 3, field "a", quoted field "b\n"; \r and
 *            \n are written as \r and \n)
 * Bad row:   "4!EINVAL@4,7" (line 4, code, error line and column)
 * Fatal:     "5!!ERANGE@5,0"
 * Rows are separated by " | ". */

struct collect {
	struct str log;
	struct str messages;     /* one message per bad row, '\n'-separated */
	int stop_on_error;       /* return row->error from the callback */
	int bare;                /* good rows as "L:" and no "q:" (round trip) */
	uint64_t stop_at_index;  /* return 42 at this row (1-based); 0: never */
	int calls;
};

static const char *code_name(int code)
{
	return spm_result_name(code) + 4;  /* without "SPM_" */
}

static int collect_cb(const spm__csv_row *row, void *payload)
{
	struct collect *c = payload;

	c->calls++;
	if (c->log.len)
		str_add(&c->log, " | ", 3);
	if (row->error) {
		cr_assert_null(row->fields);
		cr_assert_eq(row->nfields, 0);
		cr_assert_eq(spm_error_code(), row->error, "the last error is the row's");
		str_printf(&c->log, "%" PRIu64 "!%s%s@%" PRIu64 ",%" PRIu64, row->line,
			   row->fatal ? "!" : "", code_name(row->error), row->error_line,
			   row->error_column);
		str_printf(&c->messages, "%s\n", row->message);
		if (c->stop_on_error)
			return row->error;
	} else {
		cr_assert_str_eq(row->message, "");
		cr_assert_eq(row->fatal, 0);
		if (c->bare)
			str_add(&c->log, "L:", 2);
		else
			str_printf(&c->log, "%" PRIu64 ":", row->line);
		for (size_t i = 0; i < row->nfields; i++) {
			const spm__csv_field *f = &row->fields[i];

			cr_assert_not_null(f->ptr);
			cr_assert_eq(f->ptr[f->len], '\0', "fields are NUL-terminated");
			str_add(&c->log, "[", 1);
			if ((f->flags & SPM__CSV_QUOTED) && !c->bare)
				str_add(&c->log, "q:", 2);
			for (size_t k = 0; k < f->len; k++) {
				if (f->ptr[k] == '\r')
					str_add(&c->log, "\\r", 2);
				else if (f->ptr[k] == '\n')
					str_add(&c->log, "\\n", 2);
				else
					str_add(&c->log, &f->ptr[k], 1);
			}
			str_add(&c->log, "]", 1);
		}
	}
	if (c->stop_at_index && row->index == c->stop_at_index)
		return 42;
	return 0;
}

static void collect_free(struct collect *c)
{
	free(c->log.p);
	free(c->messages.p);
}

/* Parses data in one buffer; returns the result, the log in *log (caller
 * frees). */
static int parse_log(const char *data, size_t len, const spm__csv_options *o, char **log)
{
	struct collect c = { 0 };
	int rc = spm__csv_parse(data, len, o, collect_cb, &c);

	*log = strdup(str_get(&c.log));
	collect_free(&c);
	return rc;
}

#define assert_parse(data, opts, want_rc, want_log)                            \
	do {                                                                   \
		char *log_;                                                    \
		int rc_ = parse_log((data), sizeof(data) - 1, (opts), &log_);  \
		cr_assert_eq(rc_, (want_rc), "rc %s, expected %s (log %s)",    \
			     spm_result_name(rc_), spm_result_name(want_rc), log_); \
		cr_assert_str_eq(log_, (want_log));                            \
		free(log_);                                                    \
	} while (0)

/* ---- well-formed input ---- */

Test(csv_read, rows_and_fields)
{
	assert_parse("name,amount\r\nAcme,12.50\r\nBeta,7\r\n", NULL, SPM_OK,
		     "1:[name][amount] | 2:[Acme][12.50] | 3:[Beta][7]");
}

Test(csv_read, last_row_needs_no_line_break)
{
	assert_parse("a,b\n1,2", NULL, SPM_OK, "1:[a][b] | 2:[1][2]");
}

Test(csv_read, empty_input_has_no_rows)
{
	assert_parse("", NULL, SPM_OK, "");
	assert_parse("\r\n\n\r", NULL, SPM_OK, "");
}

Test(csv_read, utf8_bom_is_skipped)
{
	assert_parse("\xEF\xBB\xBFname,城市\r\nAcme,北京\r\n", NULL, SPM_OK,
		     "1:[name][城市] | 2:[Acme][北京]");
	/* Only a leading one: later it is content. */
	assert_parse("a\n\xEF\xBB\xBF" "b\n", NULL, SPM_OK, "1:[a] | 2:[\xEF\xBB\xBF" "b]");
}

Test(csv_read, mixed_line_ends_and_blank_lines)
{
	assert_parse("a\r\nb\nc\rd", NULL, SPM_OK, "1:[a] | 2:[b] | 3:[c] | 4:[d]");
	assert_parse("a\n\n\r\n\rb\n", NULL, SPM_OK, "1:[a] | 5:[b]");
}

Test(csv_read, empty_fields_and_quoted_empty_fields)
{
	assert_parse(",\n\"\"\n,,\"\"\na,\n", NULL, SPM_OK,
		     "1:[][] | 2:[q:] | 3:[][][q:] | 4:[a][]");
}

Test(csv_read, spaces_are_content)
{
	assert_parse(" a , b \n\" c \"\n", NULL, SPM_OK, "1:[ a ][ b ] | 2:[q: c ]");
}

/* A quote that is not the field's first byte makes the row bad, even after
 * spaces only (RFC 4180; a lenient reader would guess). */
Test(csv_read, spaces_before_a_quote_are_not_quoting)
{
	assert_parse("a, \"b\"\nc\n", NULL, SPM_OK, "1!EINVAL@1,4 | 2:[c]");
}

Test(csv_read, quoted_fields_hold_commas_quotes_and_line_breaks)
{
	assert_parse("id,note\n"
		     "1,\"line one\nline two\r\nline three\"\n"
		     "2,\"a,b\"\"c\"\"\"\n"
		     "3,\"\"\"\"\n"
		     "4,x\n",
		     NULL, SPM_OK,
		     "1:[id][note] | 2:[1][q:line one\\nline two\\r\\nline three] | "
		     "5:[2][q:a,b\"c\"] | 6:[3][q:\"] | 7:[4][x]");
}

Test(csv_read, line_numbers_after_multiline_fields_with_lone_cr)
{
	assert_parse("\"a\rb\r\rc\"\rnext\r\n\"x\n\n\"\nlast", NULL, SPM_OK,
		     "1:[q:a\\rb\\r\\rc] | 5:[next] | 6:[q:x\\n\\n] | 9:[last]");
}

Test(csv_read, header_check_accepts_equal_rows)
{
	spm__csv_options o = { .header = 1 };

	assert_parse("a,b,c\n1,2,3\n,,\n", &o, SPM_OK, "1:[a][b][c] | 2:[1][2][3] | 3:[][][]");
}

/* ---- bad rows, with the position, and the reader carries on ---- */

Test(csv_read, quote_inside_unquoted_field)
{
	assert_parse("a,b\n1,ab\"c\n2,3\n", NULL, SPM_OK,
		     "1:[a][b] | 2!EINVAL@2,5 | 3:[2][3]");
}

Test(csv_read, junk_after_closing_quote)
{
	assert_parse("a,b\n\"x\"y,1\n2,3\n", NULL, SPM_OK,
		     "1:[a][b] | 2!EINVAL@2,4 | 3:[2][3]");
	/* The rest of the line is discarded, quotes included. */
	assert_parse("\"x\" ,\"1\n2\"\n3\n", NULL, SPM_OK,
		     "1!EINVAL@1,4 | 2!EINVAL@2,2 | 3:[3]");
}

Test(csv_read, unterminated_quote_is_fatal_at_the_opening_quote)
{
	struct collect c = { 0 };
	const char in[] = "a,b\n1,\"abc\n2,3\n";

	cr_assert_eq(spm__csv_parse(in, sizeof in - 1, NULL, collect_cb, &c), SPM_EINVAL);
	cr_assert_str_eq(str_get(&c.log), "1:[a][b] | 2!!EINVAL@2,3");
	cr_assert_str_eq(str_get(&c.messages),
			 "line 2, column 3: unterminated quoted field (the quote opened here is never closed)\n");
	cr_assert_str_eq(spm_error_message(),
			 "csv: line 2, column 3: unterminated quoted field (the quote opened here is never closed)");
	collect_free(&c);
}

Test(csv_read, embedded_nul)
{
	static const char in[] = "a,b\n1,x\0y\n2,3\n";

	char *log;

	cr_assert_eq(parse_log(in, sizeof in - 1, NULL, &log), SPM_OK);
	cr_assert_str_eq(log, "1:[a][b] | 2!EINVAL@2,4 | 3:[2][3]");
	free(log);
}

Test(csv_read, embedded_nul_in_quoted_multiline_field_keeps_row_structure)
{
	static const char in[] = "\"a\n\0\nb\",c\nnext\n";
	char *log;

	cr_assert_eq(parse_log(in, sizeof in - 1, NULL, &log), SPM_OK);
	cr_assert_str_eq(log, "1!EINVAL@2,1 | 4:[next]");
	free(log);
}

Test(csv_read, invalid_utf8_names_the_encoding_and_position)
{
	struct collect c = { 0 };
	/* "café" in Latin-1 */
	const char in[] = "name\ncaf\xE9\nok\n";

	cr_assert_eq(spm__csv_parse(in, sizeof in - 1, NULL, collect_cb, &c), SPM_OK);
	cr_assert_str_eq(str_get(&c.log), "1:[name] | 2!EINVAL@2,4 | 3:[ok]");
	cr_assert_str_eq(str_get(&c.messages),
			 "line 2, column 4: invalid UTF-8: byte 0xE9 does not start a valid sequence "
			 "(the input must be UTF-8, not Latin-1 or GBK)\n");
	collect_free(&c);
}

Test(csv_read, every_kind_of_invalid_utf8_is_refused)
{
	static const struct {
		char in[16];
		char log[48];
	} cases[] = {
		{ "\xFF\n", "1!EINVAL@1,1" },
		{ "ab\x80\n", "1!EINVAL@1,3" },            /* stray continuation */
		{ "\xC0\xAF\n", "1!EINVAL@1,1" },          /* overlong '/' */
		{ "\xE0\x80\xAF\n", "1!EINVAL@1,1" },      /* overlong */
		{ "\xED\xA0\x80\n", "1!EINVAL@1,1" },      /* surrogate U+D800 */
		{ "\xF4\x90\x80\x80\n", "1!EINVAL@1,1" },  /* above U+10FFFF */
		{ "\xF5\x80\x80\x80\n", "1!EINVAL@1,1" },
		{ "x,\xE4\xB8,y\n", "1!EINVAL@1,3" },      /* truncated by a comma */
		{ "\"\xE4\xB8\"\n", "1!EINVAL@1,2" },      /* truncated by a quote */
		{ "ok\n\xE4\xB8", "1:[ok] | 2!EINVAL@2,1" },  /* truncated by the end */
		{ "\xE4\xB8\xAD,\xF0\x9F\x98\x80\n", "1:[中][😀]" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *log;

		cr_expect_eq(parse_log(cases[i].in, strlen(cases[i].in), NULL, &log), SPM_OK);
		cr_expect_str_eq(log, cases[i].log, "case %zu", i);
		free(log);
	}
}

Test(csv_read, utf16_and_utf32_byte_order_marks_are_refused)
{
	static const struct {
		char in[12];
		size_t len;
		char name[10];
	} cases[] = {
		{ "\xFF\xFE" "a\0,\0b\0", 8, "UTF-16LE" },
		{ "\xFE\xFF\0a\0,\0b", 8, "UTF-16BE" },
		{ "\xFF\xFE\0\0" "a\0\0\0", 8, "UTF-32LE" },
		{ "\0\0\xFE\xFF\0\0\0a", 8, "UTF-32BE" },
		{ "\xFF\xFE", 2, "UTF-16LE" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct collect c = { 0 };
		char want[160];

		cr_assert_eq(spm__csv_parse(cases[i].in, cases[i].len, NULL, collect_cb, &c),
			     SPM_EINVAL);
		cr_expect_str_eq(str_get(&c.log), "1!!EINVAL@1,1", "%s", cases[i].name);
		snprintf(want, sizeof want, "line 1, column 1: the input is %s", cases[i].name);
		cr_expect(strncmp(str_get(&c.messages), want, strlen(want)) == 0,
			  "%s: %s", cases[i].name, str_get(&c.messages));
		cr_expect(strstr(spm_error_message(), "only UTF-8 is accepted") != NULL);
		collect_free(&c);
	}
}

Test(csv_read, utf16_without_bom_is_refused_as_nul)
{
	static const char in[] = "a\0,\0b\0\n\0";
	struct collect c = { 0 };

	cr_assert_eq(spm__csv_parse(in, sizeof in - 1, NULL, collect_cb, &c), SPM_OK);
	cr_assert(strstr(str_get(&c.messages), "UTF-16") != NULL, "%s", str_get(&c.messages));
	collect_free(&c);
}

Test(csv_read, wrong_column_count_against_header)
{
	spm__csv_options o = { .header = 1 };
	struct collect c = { 0 };
	const char in[] = "a,b,c\n1,2\n1,2,3\n1,2,3,4\n\"x\ny\",2,3\n";

	cr_assert_eq(spm__csv_parse(in, sizeof in - 1, &o, collect_cb, &c), SPM_OK);
	cr_assert_str_eq(str_get(&c.log),
			 "1:[a][b][c] | 2!EINVAL@2,0 | 3:[1][2][3] | 4!EINVAL@4,0 | 5:[q:x\\ny][2][3]");
	cr_assert_str_eq(str_get(&c.messages),
			 "line 2: row has 2 fields, the header has 3\n"
			 "line 4: row has 4 fields, the header has 3\n");
	collect_free(&c);
	/* Without the check, any count goes. */
	assert_parse("a,b,c\n1,2\n", NULL, SPM_OK, "1:[a][b][c] | 2:[1][2]");
}

Test(csv_read, bad_header_row_is_fatal_with_the_header_check)
{
	spm__csv_options o = { .header = 1 };

	assert_parse("a,b\"\n1,2\n", &o, SPM_EINVAL, "1!!EINVAL@1,4");
	assert_parse("a,b\"\n1,2\n", NULL, SPM_OK, "1!EINVAL@1,4 | 2:[1][2]");
}

Test(csv_read, dry_run_lists_every_bad_row)
{
	spm__csv_options o = { .header = 1, .max_field_bytes = 8 };
	struct collect c = { 0 };
	spm__csv_reader *r;
	const char in[] =
		"name,phone\n"
		"ok1,1\n"
		"bad\"q,2\n"        /* 3: quote in unquoted field */
		"\"x\"y,3\n"        /* 4: junk after quote */
		"ok2,4\n"
		"caf\xE9,5\n"       /* 6: Latin-1 */
		"toolongfield,6\n"  /* 7: field limit */
		"a,b,c\n"           /* 8: column count */
		"\"mu\nli\",7\n"    /* 9-10: fine */
		"nul\0,8\n"         /* 11: NUL */
		"ok3,9";

	cr_assert_eq(spm__csv_reader_new(&r, &o, collect_cb, &c), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, in, sizeof in - 1), SPM_OK);
	cr_assert_eq(spm__csv_reader_finish(r), SPM_OK);
	cr_assert_str_eq(str_get(&c.log),
			 "1:[name][phone] | 2:[ok1][1] | 3!EINVAL@3,4 | 4!EINVAL@4,4 | "
			 "5:[ok2][4] | 6!EINVAL@6,4 | 7!ERANGE@7,9 | 8!EINVAL@8,0 | "
			 "9:[q:mu\\nli][7] | 11!EINVAL@11,4 | 12:[ok3][9]");
	cr_assert_eq(spm__csv_reader_good_rows(r), 5);
	cr_assert_eq(spm__csv_reader_bad_rows(r), 6);
	spm__csv_reader_free(r);
	collect_free(&c);
}

Test(csv_read, all_or_nothing_stops_at_the_first_bad_row)
{
	struct collect c = { .stop_on_error = 1 };
	spm__csv_reader *r;
	const char in[] = "a\nb\"\nc\n";

	cr_assert_eq(spm__csv_reader_new(&r, NULL, collect_cb, &c), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, in, sizeof in - 1), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "csv: line 2, column 2: quote inside an unquoted field "
			 "(quote the whole field and double the quote)");
	cr_assert_str_eq(str_get(&c.log), "1:[a] | 2!EINVAL@2,2");
	/* Stopped: the same code again, no more callbacks. */
	cr_assert_eq(spm__csv_reader_feed(r, "d\n", 2), SPM_EINVAL);
	cr_assert_eq(spm__csv_reader_finish(r), SPM_EINVAL);
	cr_assert_eq(c.calls, 2);
	spm__csv_reader_free(r);
	collect_free(&c);
}

Test(csv_read, callback_value_stops_the_reader)
{
	struct collect c = { .stop_at_index = 2 };
	spm__csv_reader *r;

	cr_assert_eq(spm__csv_reader_new(&r, NULL, collect_cb, &c), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, "a\nb\nc\n", 6), 42);
	cr_assert_eq(spm__csv_reader_feed(r, "d\n", 2), 42);
	cr_assert_eq(spm__csv_reader_finish(r), 42);
	cr_assert_str_eq(str_get(&c.log), "1:[a] | 2:[b]");
	spm__csv_reader_free(r);
	collect_free(&c);
}

/* ---- limits ---- */

Test(csv_limits, field_bytes)
{
	spm__csv_options o = { .max_field_bytes = 4 };

	assert_parse("abcd,\"wxyz\",\"a\"\"b\"\nabcde\nx\n", &o, SPM_OK,
		     "1:[abcd][q:wxyz][q:a\"b] | 2!ERANGE@2,5 | 3:[x]");
	/* Quoted: counted after unquoting, reported where the limit is passed. */
	assert_parse("\"ab\"\"cd\"\n\"ab\ncd\"\nx\n", &o, SPM_OK,
		     "1!ERANGE@1,7 | 2!ERANGE@3,2 | 4:[x]");
	/* Long runs take the fast path; the position is still exact. */
	{
		spm__csv_options big = { .max_field_bytes = 100 };
		char in[300];
		char *log;

		memset(in, 'a', sizeof in);
		memcpy(in + 200, ",b\n", 3);
		cr_assert_eq(parse_log(in, 203, &big, &log), SPM_OK);
		cr_assert_str_eq(log, "1!ERANGE@1,101");
		free(log);
		cr_assert_eq(parse_log(in + 100, 103, &big, &log), SPM_OK);
		cr_assert(strncmp(log, "1:[aaaa", 7) == 0);
		free(log);
	}
}

Test(csv_limits, fields_per_row)
{
	spm__csv_options o = { .max_fields = 3 };

	assert_parse("a,b,c\na,b,c,d\n,,\n,,,\nx\n", &o, SPM_OK,
		     "1:[a][b][c] | 2!ERANGE@2,6 | 3:[][][] | 4!ERANGE@4,3 | 5:[x]");
}

Test(csv_limits, rows)
{
	spm__csv_options o = { .max_rows = 3 };
	struct collect c = { 0 };

	/* Blank lines are not rows; bad rows are. */
	assert_parse("a\n\n\nb\"\nc\n\n", &o, SPM_OK, "1:[a] | 4!EINVAL@4,2 | 5:[c]");
	cr_assert_eq(spm__csv_parse("a\nb\nc\nd\ne\n", 10, &o, collect_cb, &c), SPM_ERANGE);
	cr_assert_str_eq(str_get(&c.log), "1:[a] | 2:[b] | 3:[c] | 4!!ERANGE@4,0");
	cr_assert_str_eq(str_get(&c.messages), "line 4: more than the limit of 3 rows\n");
	collect_free(&c);
}

Test(csv_limits, total_bytes_fail_fast_before_reading)
{
	spm__csv_options o = { .max_total_bytes = 8 };
	struct collect c = { 0 };
	spm__csv_reader *r;

	assert_parse("a,b\nc,d\n", &o, SPM_OK, "1:[a][b] | 2:[c][d]");
	/* One byte too many: refused before any row is delivered. */
	assert_parse("a,b\nc,d\ne", &o, SPM_ERANGE, "1!!ERANGE@1,0");

	/* Across chunks: the chunk that passes the limit is refused whole. */
	cr_assert_eq(spm__csv_reader_new(&r, &o, collect_cb, &c), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, "a,b\n", 4), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, "c,d\ne", 5), SPM_ERANGE);
	cr_assert_eq(spm__csv_reader_finish(r), SPM_ERANGE);
	cr_assert_str_eq(str_get(&c.log), "1:[a][b] | 2!!ERANGE@2,0");
	cr_assert_str_eq(str_get(&c.messages), "line 2: the input is larger than the limit of 8 bytes\n");
	spm__csv_reader_free(r);
	collect_free(&c);
}

Test(csv_limits, defaults_apply_to_zero)
{
	/* A field of exactly 1 MiB passes, one more byte does not. */
	size_t n = SPM__CSV_DEFAULT_MAX_FIELD_BYTES;
	char *in = malloc(n + 2);
	char *log;

	cr_assert_not_null(in);
	memset(in, 'x', n + 1);
	in[n + 1] = '\n';
	cr_assert_eq(parse_log(in + 1, n + 1, NULL, &log), SPM_OK);
	cr_assert_eq(strlen(log), n + 4);  /* "1:[" + n + "]" */
	free(log);
	cr_assert_eq(parse_log(in, n + 2, NULL, &log), SPM_OK);
	cr_assert_str_eq(log, "1!ERANGE@1,1048577");
	free(log);
	free(in);
}

/* ---- allocation ---- */

struct fail_alloc {
	long calls, fail_at, live;
};

static void *fa_malloc(size_t size, void *payload)
{
	struct fail_alloc *a = payload;
	void *p;

	if (++a->calls == a->fail_at)
		return NULL;
	p = malloc(size);
	if (p)
		a->live++;
	return p;
}

static void *fa_realloc(void *ptr, size_t size, void *payload)
{
	struct fail_alloc *a = payload;
	void *p;

	if (++a->calls == a->fail_at)
		return NULL;
	p = realloc(ptr, size);
	if (p && !ptr)
		a->live++;
	return p;
}

static void fa_free(void *ptr, void *payload)
{
	struct fail_alloc *a = payload;

	if (ptr)
		a->live--;
	free(ptr);
}

/* Fail the Nth allocation for N = 1, 2, … until parsing completes without
 * reaching the fault: each failure is SPM_ENOMEM, reported as fatal, with
 * nothing left allocated. */
Test(csv_alloc, every_allocation_failure_is_enomem_without_leak)
{
	char in[3000];
	size_t n = 0;
	long at;

	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(in + n, sizeof in - n, "%d,\"field %d with a longer text\",x\n", i, i);
	for (at = 1;; at++) {
		struct fail_alloc a = { .fail_at = at };
		spm__csv_options o = { .malloc_fn = fa_malloc, .realloc_fn = fa_realloc,
				       .free_fn = fa_free, .alloc_payload = &a };
		struct collect c = { 0 };
		int rc = spm__csv_parse(in, n, &o, collect_cb, &c);

		cr_assert_eq(a.live, 0, "fail at %ld: %ld blocks left", at, a.live);
		if (a.calls < at) {
			cr_assert_eq(rc, SPM_OK);
			collect_free(&c);
			break;
		}
		cr_assert_eq(rc, SPM_ENOMEM, "fail at %ld: %s", at, spm_result_name(rc));
		cr_assert(c.calls == 0 || strstr(str_get(&c.log), "!!ENOMEM") != NULL,
			  "fail at %ld: %s", at, str_get(&c.log));
		collect_free(&c);
	}
	cr_assert_gt(at, 3, "the loop reached several allocations");
}

Test(csv_alloc, allocator_must_be_complete)
{
	spm__csv_options o = { .malloc_fn = fa_malloc };
	spm__csv_reader *r = (spm__csv_reader *)1;

	cr_assert_eq(spm__csv_reader_new(&r, &o, collect_cb, NULL), SPM_EINVAL);
	cr_assert_null(r);
}

/* ---- misuse ---- */

Test(csv_read, misuse_is_einval)
{
	spm__csv_reader *r = (spm__csv_reader *)1;
	struct collect c = { 0 };

	cr_assert_eq(spm__csv_reader_new(NULL, NULL, collect_cb, NULL), SPM_EINVAL);
	cr_assert_eq(spm__csv_reader_new(&r, NULL, NULL, NULL), SPM_EINVAL);
	cr_assert_null(r);
	cr_assert_eq(spm__csv_reader_feed(NULL, "a", 1), SPM_EINVAL);
	cr_assert_eq(spm__csv_reader_finish(NULL), SPM_EINVAL);
	spm__csv_reader_free(NULL);

	cr_assert_eq(spm__csv_reader_new(&r, NULL, collect_cb, &c), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, NULL, 1), SPM_EINVAL);
	cr_assert_eq(spm__csv_reader_feed(r, NULL, 0), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, "a", 1), SPM_OK);
	cr_assert_eq(spm__csv_reader_finish(r), SPM_OK);
	cr_assert_eq(spm__csv_reader_feed(r, "b", 1), SPM_EINVAL);
	cr_assert_eq(spm__csv_reader_finish(r), SPM_EINVAL);
	cr_assert_str_eq(str_get(&c.log), "1:[a]");
	spm__csv_reader_free(r);
	collect_free(&c);
}

/* ---- chunk boundaries ---- */

/* BOM, CRLF, lone CR, blank lines, multi-byte characters, "" escapes,
 * quoted line breaks, bad rows of each kind, no final line break. */
static const char tricky[] =
	"\xEF\xBB\xBF" "id,名前,note\r\n"
	"1,\"张\"\"三\",\"a,b\r\nc\"\r\n"
	"\r\n"
	"2,😀,\"x\"\"\ry\"\r"
	"3,bad\"q,z\n"
	"4,\"j\"unk,z\n"
	"5,caf\xE9,z\n"
	"6,\"\xE4\xB8\n\",z\n"
	"7,\"\",\"\"\"\"\n"
	"8,ok,last";

static char *chunked_log(const char *in, size_t len, const size_t *cuts, size_t ncuts,
			 const spm__csv_options *o, int *rc_out)
{
	struct collect c = { 0 };
	spm__csv_reader *r;
	size_t at = 0;
	int rc = SPM_OK;
	char *log;

	cr_assert_eq(spm__csv_reader_new(&r, o, collect_cb, &c), SPM_OK);
	for (size_t i = 0; i <= ncuts && rc == SPM_OK; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		rc = spm__csv_reader_feed(r, in + at, end - at);
		at = end;
	}
	if (rc == SPM_OK)
		rc = spm__csv_reader_finish(r);
	spm__csv_reader_free(r);
	*rc_out = rc;
	log = strdup(str_get(&c.log));
	collect_free(&c);
	return log;
}

Test(csv_chunks, tricky_input_in_one_buffer)
{
	spm__csv_options o = { .header = 1 };
	char *log;

	cr_assert_eq(parse_log(tricky, sizeof tricky - 1, &o, &log), SPM_OK);
	cr_assert_str_eq(log,
			 "1:[id][名前][note] | 2:[1][q:张\"三][q:a,b\\r\\nc] | "
			 "5:[2][😀][q:x\"\\ry] | 7!EINVAL@7,6 | 8!EINVAL@8,6 | 9!EINVAL@9,6 | "
			 "10!EINVAL@10,4 | 12:[7][q:][q:\"] | 13:[8][ok][last]");
	free(log);
}

Test(csv_chunks, every_split_gives_the_same_rows)
{
	spm__csv_options o = { .header = 1 };
	size_t len = sizeof tricky - 1;
	int rc;
	char *whole = chunked_log(tricky, len, NULL, 0, &o, &rc);

	cr_assert_eq(rc, SPM_OK);
	/* Two chunks, cut at every position. */
	for (size_t k = 0; k <= len; k++) {
		char *log = chunked_log(tricky, len, &k, 1, &o, &rc);

		cr_assert_eq(rc, SPM_OK, "cut at %zu", k);
		cr_assert_str_eq(log, whole, "cut at %zu", k);
		free(log);
	}
	/* Three chunks, every pair of cuts. */
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			size_t cuts[2] = { i, j };
			char *log = chunked_log(tricky, len, cuts, 2, &o, &rc);

			cr_assert_eq(rc, SPM_OK, "cuts at %zu, %zu", i, j);
			cr_assert_str_eq(log, whole, "cuts at %zu, %zu", i, j);
			free(log);
		}
	}
	/* One byte at a time. */
	{
		size_t *cuts = malloc(len * sizeof *cuts);
		char *log;

		for (size_t i = 0; i < len; i++)
			cuts[i] = i;
		log = chunked_log(tricky, len, cuts, len, &o, &rc);
		cr_assert_eq(rc, SPM_OK);
		cr_assert_str_eq(log, whole);
		free(log);
		free(cuts);
	}
	free(whole);
}

Test(csv_chunks, unterminated_quote_and_bom_split)
{
	static const char in[] = "\xEF\xBB\xBF" "a\n\"b\nc";
	size_t len = sizeof in - 1;

	for (size_t k = 0; k <= len; k++) {
		int rc;
		char *log = chunked_log(in, len, &k, 1, NULL, &rc);

		cr_assert_eq(rc, SPM_EINVAL, "cut at %zu", k);
		cr_assert_str_eq(log, "1:[a] | 2!!EINVAL@2,1", "cut at %zu", k);
		free(log);
	}
}

/* ---- writer ---- */

static int out_cb(const char *data, size_t len, void *payload)
{
	str_add(payload, data, len);
	return 0;
}

#define F(s) { (s), sizeof(s) - 1, 0 }
#define FN(s) { (s), sizeof(s) - 1, SPM__CSV_NUMERIC }

static const char *write_rows(struct str *out, unsigned flags, const spm__csv_field *cells,
			      size_t n)
{
	spm__csv_writer w;

	spm__csv_writer_init(&w, flags, out_cb, out);
	cr_assert_eq(spm__csv_writer_row(&w, cells, n), SPM_OK, "%s", spm_error_message());
	return str_get(out);
}

Test(csv_write, quotes_only_when_needed)
{
	spm__csv_field cells[] = {
		F("plain"), F("a,b"), F("say \"hi\""), F("line\nbreak"), F("cr\rx"),
		F(" lead"), F("trail "), F("\ttab"), F(""), F("中文"), F("in side"),
	};
	struct str out = { 0 };

	cr_assert_str_eq(write_rows(&out, 0, cells, sizeof cells / sizeof cells[0]),
			 "plain,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",\"cr\rx\","
			 "\" lead\",\"trail \",\"'\ttab\",,中文,in side\r\n");
	free(out.p);
}

Test(csv_write, crlf_by_default_lf_on_request)
{
	spm__csv_field cells[] = { F("a"), F("b") };
	struct str out = { 0 };
	spm__csv_writer w;

	spm__csv_writer_init(&w, 0, out_cb, &out);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 2), SPM_OK);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 1), SPM_OK);
	cr_assert_str_eq(str_get(&out), "a,b\r\na\r\n");
	free(out.p);
	memset(&out, 0, sizeof out);
	spm__csv_writer_init(&w, SPM__CSV_WRITE_LF, out_cb, &out);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 2), SPM_OK);
	cr_assert_str_eq(str_get(&out), "a,b\n");
	free(out.p);
}

Test(csv_write, lone_empty_cell_is_quoted)
{
	spm__csv_field one[] = { F("") }, two[] = { F(""), F("") };
	spm__csv_field forced[] = { { "a", 1, SPM__CSV_QUOTED } };
	struct str out = { 0 };

	cr_assert_str_eq(write_rows(&out, 0, one, 1), "\"\"\r\n");
	out.len = 0;
	cr_assert_str_eq(write_rows(&out, 0, two, 2), ",\r\n");
	out.len = 0;
	cr_assert_str_eq(write_rows(&out, 0, forced, 1), "\"a\"\r\n");
	free(out.p);
}

Test(csv_write, formula_cells_are_neutralised)
{
	static const struct {
		spm__csv_field cell;
		const char *want;
	} cases[] = {
		{ F("=1+1"), "'=1+1" },
		{ F("+1"), "'+1" },
		{ F("-5"), "'-5" },
		{ F("@SUM(A1:A9)"), "'@SUM(A1:A9)" },
		{ F("\t=1"), "\"'\t=1\"" },
		{ F("\r=1"), "\"'\r=1\"" },
		{ F("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
		{ F("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0" },
		{ F("a=1"), "a=1" },
		{ F(" =1"), "\" =1\"" },
		{ F("'=1"), "'=1" },
		/* numbers flagged numeric stay numbers */
		{ FN("-5"), "-5" },
		{ FN("+3.25"), "+3.25" },
		{ FN("-0.5"), "-0.5" },
		{ FN("12"), "12" },
		/* ... but a wrongly flagged cell is neutralised all the same */
		{ FN("-1+2"), "'-1+2" },
		{ FN("=1"), "'=1" },
		{ FN("-.5"), "'-.5" },
		{ FN("-5."), "'-5." },
		{ FN("-"), "'-" },
		{ FN("+-1"), "'+-1" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct str out = { 0 }, want = { 0 };

		str_printf(&want, "%s\r\n", cases[i].want);
		cr_expect_str_eq(write_rows(&out, 0, &cases[i].cell, 1), str_get(&want), "case %zu", i);
		free(out.p);
		free(want.p);
	}
}

Test(csv_write, bom_once_and_leading_feff_cell_quoted)
{
	spm__csv_field cells[] = { F("\xEF\xBB\xBFx"), F("y") };
	struct str out = { 0 };
	spm__csv_writer w;

	spm__csv_writer_init(&w, SPM__CSV_WRITE_BOM | SPM__CSV_WRITE_LF, out_cb, &out);
	cr_assert_eq(spm__csv_writer_row(&w, cells + 1, 1), SPM_OK);
	cr_assert_eq(spm__csv_writer_row(&w, cells + 1, 1), SPM_OK);
	cr_assert_str_eq(str_get(&out), "\xEF\xBB\xBFy\ny\n");
	out.len = 0;
	/* Without a BOM, a first cell starting with U+FEFF is quoted so that a
	 * reader does not take it for one; elsewhere it needs nothing. */
	spm__csv_writer_init(&w, SPM__CSV_WRITE_LF, out_cb, &out);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 1), SPM_OK);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 1), SPM_OK);
	cr_assert_str_eq(str_get(&out), "\"\xEF\xBB\xBFx\"\n\xEF\xBB\xBFx\n");
	free(out.p);
}

Test(csv_write, bad_cells_write_nothing)
{
	spm__csv_field cells[][2] = {
		{ F("ok"), { "a\0b", 3, 0 } },
		{ F("ok"), F("caf\xE9") },
		{ F("ok"), { NULL, 2, 0 } },
	};
	spm__csv_field null_empty[] = { { NULL, 0, 0 }, F("x") };
	struct str out = { 0 };
	spm__csv_writer w;

	spm__csv_writer_init(&w, 0, out_cb, &out);
	for (size_t i = 0; i < 3; i++) {
		spm_error_clear();
		cr_assert_eq(spm__csv_writer_row(&w, cells[i], 2), SPM_EINVAL);
		cr_assert_eq(spm_error_code(), SPM_EINVAL);
	}
	cr_assert_eq(spm__csv_writer_row(&w, cells[0], 0), SPM_EINVAL);
	cr_assert_eq(spm__csv_writer_row(&w, NULL, 1), SPM_EINVAL);
	cr_assert_eq(spm__csv_writer_row(NULL, cells[0], 1), SPM_EINVAL);
	cr_assert_eq(out.len, 0);
	cr_assert_eq(spm__csv_writer_row(&w, null_empty, 2), SPM_OK);
	cr_assert_str_eq(str_get(&out), ",x\r\n");
	free(out.p);
}

static int failing_cb(const char *data, size_t len, void *payload)
{
	int *calls = payload;

	(void)data;
	(void)len;
	return ++*calls == 2 ? -77 : 0;
}

Test(csv_write, callback_value_stops_the_writer)
{
	spm__csv_field cells[] = { F("a") };
	spm__csv_writer w;
	int calls = 0;

	spm__csv_writer_init(&w, 0, failing_cb, &calls);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 1), SPM_OK);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 1), -77);
	cr_assert_eq(spm__csv_writer_row(&w, cells, 1), -77);
	cr_assert_eq(calls, 2);
}

static int count_cb(const char *data, size_t len, void *payload)
{
	struct str *s = payload;

	str_add(s, data, len);
	str_add(s, "|", 1);  /* marks each call */
	return 0;
}

Test(csv_write, small_rows_come_in_one_call_big_rows_in_pieces)
{
	static char big[3000];
	spm__csv_field small[] = { F("a"), F("b\"c") };
	spm__csv_field large[] = { { big, sizeof big, 0 } };
	struct str out = { 0 };
	spm__csv_writer w;
	size_t bars = 0;

	memset(big, 'x', sizeof big);
	spm__csv_writer_init(&w, 0, count_cb, &out);
	cr_assert_eq(spm__csv_writer_row(&w, small, 2), SPM_OK);
	cr_assert_str_eq(str_get(&out), "a,\"b\"\"c\"\r\n|");
	cr_assert_eq(spm__csv_writer_row(&w, large, 1), SPM_OK);
	for (size_t i = 0; i < out.len; i++)
		bars += out.p[i] == '|';
	cr_assert_eq(bars, 1 + 3);  /* 3002 bytes in 1 KiB pieces */
	cr_assert_eq(out.len, 11 + 3002 + 3, "%zu", out.len);
	free(out.p);
}

/* ---- round trip ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: fixed seed, same data on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static const char *const pieces[] = {
	"a", "Z", "0", "9", " ", ",", "\"", "\"\"", "\r", "\n", "\r\n", "\t", "=", "+",
	"-", "@", "'", "中", "文", "😀", "é", "\xEF\xBB\xBF", "x,y", "line\nbreak",
};

/* Writes random rows, reads them back: every field comes back byte for
 * byte, with ' in front of those that start like a formula. */
static void round_trip(uint64_t seed, unsigned flags, size_t nrows)
{
	struct str out = { 0 }, want = { 0 };
	struct collect c = { .bare = 1 };
	spm__csv_writer w;
	char cellbuf[16][64];
	spm__csv_field cells[16];
	int rc;
	char *log;

	rng_state = seed;
	spm__csv_writer_init(&w, flags, out_cb, &out);
	for (size_t r = 0; r < nrows; r++) {
		size_t n = 1 + rng() % 16;

		if (want.len)
			str_add(&want, " | ", 3);
		str_printf(&want, "L:");
		for (size_t i = 0; i < n; i++) {
			size_t len = 0, parts = rng() % 6;

			for (size_t k = 0; k < parts; k++) {
				const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];

				memcpy(cellbuf[i] + len, p, strlen(p));
				len += strlen(p);
			}
			cells[i].ptr = cellbuf[i];
			cells[i].len = len;
			cells[i].flags = 0;
			str_add(&want, "[", 1);
			if (len && strchr("=+-@\t\r", cellbuf[i][0]))
				str_add(&want, "'", 1);
			for (size_t k = 0; k < len; k++) {
				if (cellbuf[i][k] == '\r')
					str_add(&want, "\\r", 2);
				else if (cellbuf[i][k] == '\n')
					str_add(&want, "\\n", 2);
				else
					str_add(&want, &cellbuf[i][k], 1);
			}
			str_add(&want, "]", 1);
		}
		cr_assert_eq(spm__csv_writer_row(&w, cells, n), SPM_OK);
	}

	/* Read back in random chunks. */
	{
		spm__csv_reader *rd;
		size_t at = 0;

		cr_assert_eq(spm__csv_reader_new(&rd, NULL, collect_cb, &c), SPM_OK);
		while (at < out.len) {
			size_t n = 1 + rng() % 200;

			if (n > out.len - at)
				n = out.len - at;
			cr_assert_eq(spm__csv_reader_feed(rd, out.p + at, n), SPM_OK);
			at += n;
		}
		rc = spm__csv_reader_finish(rd);
		cr_assert_eq(spm__csv_reader_good_rows(rd), nrows);
		spm__csv_reader_free(rd);
	}
	cr_assert_eq(rc, SPM_OK, "%s", spm_error_message());

	log = strdup(str_get(&c.log));
	cr_assert_str_eq(log, str_get(&want), "seed %" PRIu64, seed);
	free(log);
	free(out.p);
	free(want.p);
	collect_free(&c);
}

Test(csv_round_trip, generated_rows_crlf)
{
	round_trip(UINT64_C(0x5eed), 0, 2000);
}

Test(csv_round_trip, generated_rows_lf_with_bom)
{
	round_trip(UINT64_C(0xc0ffee), SPM__CSV_WRITE_LF | SPM__CSV_WRITE_BOM, 2000);
}
