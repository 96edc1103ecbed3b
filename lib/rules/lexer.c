/* Tokens of the rule language, UTF-8 decoding and positioned errors. */
#include "rules/internal.h"

#include "core/error_internal.h"

#include <stdarg.h>
#include <stdio.h>

size_t spm__rule_utf8_next(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xBF;
	size_t k;
	uint32_t c;

	if (n == 0 || s[0] == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	/* The well-formed sequences of Unicode §3.9 (D92), as core/utf8.c. */
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		k = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		k = 3;
		c = s[0] & 0x0F;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		k = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (cp)
		*cp = c;
	return k;
}

int spm__rule_error_at(spm__rule_diag *diag, int code, size_t off, unsigned int line,
		       unsigned int col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag) {
		diag->offset = off;
		diag->line = line;
		diag->column = col;
	}
	return spm__error_set(code, "%u:%u: %s", line, col, msg);
}

/* Moves past one code point, keeping line and column. */
static int advance(struct spm__lexer *lx)
{
	size_t k = spm__rule_utf8_next(lx->src + lx->pos, lx->len - lx->pos, NULL);

	if (k == 0)
		return spm__rule_error_at(lx->diag, SPM_EINVAL, lx->pos, lx->line, lx->col,
					  "invalid UTF-8 or NUL byte");
	if (lx->src[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos += k;
	return SPM_OK;
}

static int is_word_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int spm__lex_next(struct spm__tok *t, struct spm__lexer *lx)
{
	const char *s = lx->src;
	int rc;

	while (lx->pos < lx->len && (s[lx->pos] == ' ' || s[lx->pos] == '\t' ||
				     s[lx->pos] == '\n' || s[lx->pos] == '\r')) {
		if ((rc = advance(lx)) != SPM_OK)
			return rc;
	}
	t->off = lx->pos;
	t->line = lx->line;
	t->col = lx->col;
	if (lx->pos >= lx->len) {
		t->kind = TK_EOF;
		t->len = 0;
		return SPM_OK;
	}

	char c = s[lx->pos];
	if (is_word_start(c)) {
		t->kind = TK_WORD;
		while (lx->pos < lx->len && (is_word_start(s[lx->pos]) || is_digit(s[lx->pos]))) {
			lx->pos++;
			lx->col++;
		}
	} else if (is_digit(c)) {
		t->kind = TK_NUMBER;
		/* Digits, then '.' and digits; the parser hands the text to the
		 * strict money parser, which refuses "1." and the like. */
		while (lx->pos < lx->len && (is_digit(s[lx->pos]) || s[lx->pos] == '.')) {
			lx->pos++;
			lx->col++;
		}
	} else if (c == '\'') {
		t->kind = TK_STRING;
		lx->pos++;
		lx->col++;
		for (;;) {
			if (lx->pos >= lx->len)
				return spm__rule_error_at(lx->diag, SPM_EINVAL, t->off, t->line, t->col,
							  "unterminated text literal");
			if (s[lx->pos] == '\'') {
				if (lx->pos + 1 < lx->len && s[lx->pos + 1] == '\'') {
					lx->pos += 2;
					lx->col += 2;
					continue;
				}
				lx->pos++;
				lx->col++;
				break;
			}
			if ((rc = advance(lx)) != SPM_OK)
				return rc;
		}
	} else {
		static const struct { const char *s; enum spm__tok_kind k; } punct[] = {
			{ "!=", TK_NE }, { "<>", TK_NE }, { "<=", TK_LE }, { ">=", TK_GE },
			{ "(", TK_LPAREN }, { ")", TK_RPAREN }, { ",", TK_COMMA },
			{ ".", TK_DOT }, { "=", TK_EQ }, { "<", TK_LT }, { ">", TK_GT },
			{ "+", TK_PLUS }, { "-", TK_MINUS }, { "*", TK_STAR }, { "/", TK_SLASH },
		};
		size_t i;

		for (i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
			size_t n = punct[i].s[1] ? 2 : 1;

			if (lx->len - lx->pos >= n && s[lx->pos] == punct[i].s[0] &&
			    (n == 1 || s[lx->pos + 1] == punct[i].s[1]))
				break;
		}
		if (i == sizeof(punct) / sizeof(punct[0])) {
			uint32_t cp = 0;

			if (spm__rule_utf8_next(s + lx->pos, lx->len - lx->pos, &cp) == 0)
				return spm__rule_error_at(lx->diag, SPM_EINVAL, t->off, t->line, t->col,
							  "invalid UTF-8 or NUL byte");
			if (cp >= 0x20 && cp < 0x7F)
				return spm__rule_error_at(lx->diag, SPM_EINVAL, t->off, t->line, t->col,
							  "unexpected character '%c'", (char)cp);
			return spm__rule_error_at(lx->diag, SPM_EINVAL, t->off, t->line, t->col,
						  "unexpected character U+%04X", (unsigned int)cp);
		}
		t->kind = punct[i].k;
		lx->pos += punct[i].s[1] ? 2 : 1;
		lx->col += punct[i].s[1] ? 2 : 1;
	}
	t->len = lx->pos - t->off;
	return SPM_OK;
}
