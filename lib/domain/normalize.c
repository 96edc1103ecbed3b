/* Duplicate-detection keys: e-mail, phone, company name. The rules are
 * documented in normalize.h; this file only implements them. */
#include "domain/normalize.h"

#include <stdint.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/utf8.h"

/* Raise an error and leave "" in out, never a partial key. */
#define FAIL(code, ...)                                      \
	do {                                                 \
		if (size > 0)                                \
			out[0] = '\0';                       \
		return spm__error_set((code), __VA_ARGS__);  \
	} while (0)

/* Decodes one code point of text already checked by spm__utf8_valid. */
static uint32_t utf8_next(const unsigned char **ps)
{
	const unsigned char *s = *ps;
	uint32_t c = s[0];

	if (c < 0x80) {
		*ps = s + 1;
		return c;
	}
	if (c < 0xE0) {
		*ps = s + 2;
		return ((c & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if (c < 0xF0) {
		*ps = s + 3;
		return ((c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
	}
	*ps = s + 4;
	return ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
	       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

static size_t utf8_put(char *dst, uint32_t c)
{
	unsigned char *d = (unsigned char *)dst;

	if (c < 0x80) {
		d[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (unsigned char)(0xC0 | (c >> 6));
		d[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (unsigned char)(0xE0 | (c >> 12));
		d[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		d[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | (c >> 18));
	d[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
	d[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
	d[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

static size_t utf8_len(uint32_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* U+FF01..U+FF5E are ASCII 0x21..0x7E in full width. */
static uint32_t from_fullwidth(uint32_t c)
{
	return (c >= 0xFF01 && c <= 0xFF5E) ? c - 0xFEE0 : c;
}

static int is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0xA0 ||
	       (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F ||
	       c == 0x3000 || c == 0xFEFF;
}

static int is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

static int is_ascii_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

/* ---- e-mail ---- */

int spm__norm_email(char *out, size_t size, const char *email)
{
	const unsigned char *p, *end, *first, *last;
	size_t len, n = 0, at = 0, ats = 0;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(email);
	len = strlen(email);
	if (!spm__utf8_valid(email, len))
		FAIL(SPM_EINVAL, "e-mail address is not valid UTF-8");

	/* Trim: find the first and the end of the last non-space character. */
	p = (const unsigned char *)email;
	end = p + len;
	first = last = NULL;
	while (p < end) {
		const unsigned char *here = p;
		uint32_t c = from_fullwidth(utf8_next(&p));

		if (!is_space(c)) {
			if (!first)
				first = here;
			last = p;
		}
	}
	if (!first)
		FAIL(SPM_EINVAL, "e-mail address is empty");

	for (p = first; p < last;) {
		uint32_t c = from_fullwidth(utf8_next(&p));
		size_t k = utf8_len(c);

		if (is_space(c) || is_control(c))
			FAIL(SPM_EINVAL, "e-mail address contains white space or a control character");
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == '@') {
			ats++;
			at = n;
		}
		if (n + k < size)
			utf8_put(out + n, c);
		n += k;
	}
	if (ats != 1)
		FAIL(SPM_EINVAL, "e-mail address must contain exactly one '@' (found %zu)", ats);
	if (at == 0)
		FAIL(SPM_EINVAL, "e-mail address has an empty local part (nothing before '@')");
	if (at == n - 1)
		FAIL(SPM_EINVAL, "e-mail address has an empty domain (nothing after '@')");
	if (n >= size)
		FAIL(SPM_ERANGE, "e-mail key needs %zu bytes, the buffer has %zu", n + 1, size);
	out[n] = '\0';
	return SPM_OK;
}

/* ---- phone ---- */

/* Full-width forms, the ideographic space and dashes, as their ASCII twins. */
static uint32_t phone_map(uint32_t c)
{
	c = from_fullwidth(c);
	if (c == 0x3000 || c == 0xA0)
		return ' ';
	if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212)
		return '-';
	if (c >= 'A' && c <= 'Z')
		return c + ('a' - 'A');
	return c;
}

static int phone_sep(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '(' || c == ')' || c == '-' ||
	       c == '.' || c == '/';
}

/* Whether p (at a non-digit, non-separator) starts an extension that runs
 * to the end: marker, optional separators or ':' / '=', digits, separators. */
static int phone_extension(const unsigned char *p, const unsigned char *end)
{
	static const uint32_t markers[][10] = {
		{ 'e', 'x', 't', 'e', 'n', 's', 'i', 'o', 'n' },
		{ 'e', 'x', 't' },
		{ 'x' },
		{ '#' },
		{ ';', 'e', 'x', 't', '=' },
		{ 0x8F6C },          /* 转 */
		{ 0x5206, 0x673A },  /* 分机 */
	};

	for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++) {
		const unsigned char *q = p;
		size_t i = 0, digits = 0;
		int ok = 1;

		for (; i < 10 && markers[m][i]; i++) {
			if (q >= end || phone_map(utf8_next(&q)) != markers[m][i]) {
				ok = 0;
				break;
			}
		}
		if (!ok)
			continue;
		while (q < end) {
			const unsigned char *here = q;
			uint32_t c = phone_map(utf8_next(&q));

			if (is_ascii_digit(c)) {
				digits++;
			} else if (!(phone_sep(c) || (digits == 0 && (c == ':' || c == '=')))) {
				q = here;
				break;
			}
		}
		if (q == end && digits > 0)
			return 1;
	}
	return 0;
}

static int country_valid(const char *cc)
{
	size_t n = strlen(cc);

	if (n < 1 || n > 3 || cc[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_ascii_digit((unsigned char)cc[i]))
			return 0;
	return 1;
}

int spm__norm_phone(char *out, size_t size, const char *phone,
		    const char *default_country)
{
	/* Digits as written, before prefixes are interpreted; 32 is far
	 * above any number that can end up within 15 digits. */
	char raw[32], key[16];
	size_t nraw = 0, klen;
	const char *d;
	int plus = 0;
	const unsigned char *p, *end;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(phone);
	if (!spm__utf8_valid(phone, strlen(phone)))
		FAIL(SPM_EINVAL, "phone number is not valid UTF-8");
	if (default_country && default_country[0] && !country_valid(default_country))
		FAIL(SPM_EINVAL, "default country code must be 1 to 3 digits, not starting with 0");

	p = (const unsigned char *)phone;
	end = p + strlen(phone);
	while (p < end) {
		const unsigned char *here = p;
		uint32_t c = phone_map(utf8_next(&p));

		if (is_ascii_digit(c)) {
			if (nraw == sizeof raw)
				FAIL(SPM_EINVAL, "phone number has more than 15 digits");
			raw[nraw++] = (char)c;
		} else if (c == '(' && (plus ? nraw > 0 : nraw > 2 && raw[0] == '0' && raw[1] == '0') &&
			   end - p >= 2 && p[0] == '0' && p[1] == ')') {
			p += 2;  /* "+44 (0)20": the trunk 0 written in international form */
		} else if (phone_sep(c) || is_space(c)) {
			continue;
		} else if (c == '+') {
			if (plus || nraw > 0)
				FAIL(SPM_EINVAL, "phone number has a '+' that is not at the start");
			plus = 1;
		} else if (nraw > 0 && phone_extension(here, end)) {
			break;
		} else if ((c >= 'a' && c <= 'z') || c >= 0x80) {
			FAIL(SPM_EINVAL, "phone number contains letters");
		} else if (is_control(c)) {
			FAIL(SPM_EINVAL, "phone number contains a control character");
		} else {
			FAIL(SPM_EINVAL, "phone number contains '%c'", (int)c);
		}
	}
	if (nraw == 0)
		FAIL(SPM_EINVAL, "phone number has no digits");

	d = raw;
	if (plus || (nraw >= 2 && raw[0] == '0' && raw[1] == '0')) {
		if (!plus) {
			d += 2;
			nraw -= 2;
		}
		if (nraw == 0 || d[0] == '0')
			FAIL(SPM_EINVAL, "phone number has no country code after the international prefix");
		klen = 0;
	} else {
		if (!default_country || !default_country[0])
			FAIL(SPM_EINVAL, "phone number has no country code and there is no default country");
		if (d[0] == '0') {
			d++;
			nraw--;
		} else if (strcmp(default_country, "1") == 0 && nraw == 11 && d[0] == '1') {
			d++;
			nraw--;
		}
		klen = strlen(default_country);
	}
	if (klen + nraw > 15)
		FAIL(SPM_EINVAL, "phone number has %zu digits with the country code, more than 15",
		     klen + nraw);
	if (klen + nraw < 7)
		FAIL(SPM_EINVAL, "phone number has %zu digits with the country code, fewer than 7",
		     klen + nraw);
	memcpy(key, default_country ? default_country : "", klen);
	memcpy(key + klen, d, nraw);
	klen += nraw;
	if (klen >= size)
		FAIL(SPM_ERANGE, "phone key needs %zu bytes, the buffer has %zu", klen + 1, size);
	memcpy(out, key, klen);
	out[klen] = '\0';
	return SPM_OK;
}

/* ---- company ---- */

enum { KEEP, SEP, DROP };

static int company_class(uint32_t c)
{
	if (is_space(c))
		return SEP;
	if (c == '.' || c == '\'' || c == 0x2019)
		return DROP;
	if (c < 0x80)
		return (c < 0x20 || c == 0x7F ||
			!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			  (c >= 'A' && c <= 'Z'))) ? SEP : KEEP;
	/* Latin-1 symbols, but not the letters ª µ º among them. */
	if (((c >= 0x80 && c <= 0xBF) && c != 0xAA && c != 0xB5 && c != 0xBA) ||
	    c == 0xD7 || c == 0xF7)
		return SEP;
	if ((c >= 0x2010 && c <= 0x205E) || c == 0x2122)
		return SEP;
	/* CJK symbols and punctuation, but not the letters and numerals in that
	 * block (々 〆 〇, Hangzhou numerals, kana repeat marks). */
	if ((c >= 0x3001 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020) ||
	    c == 0x3030 || (c >= 0x303D && c <= 0x303F))
		return SEP;
	if (c == 0x30FB || (c >= 0xFE10 && c <= 0xFE19) ||
	    (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF5F && c <= 0xFF65))
		return SEP;
	return KEEP;
}

static uint32_t company_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 0x20;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 0x20;
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 0x20;
	if (c >= 0x410 && c <= 0x42F)
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	return c;
}

static int ends_with(const char *s, size_t start, size_t n, const char *suf, size_t len)
{
	return n - start >= len && memcmp(s + n - len, suf, len) == 0;
}

#define LIT(s) { s, sizeof s - 1 }

struct lit {
	const char *s;
	size_t len;
};

/* Longest first, so that 股份有限公司 is not cut as 有限公司 + 股份. */
static const struct lit cjk_suffixes[] = {
	LIT("股份有限公司"), LIT("有限责任公司"), LIT("有限責任公司"),
	LIT("有限公司"), LIT("株式会社"), LIT("有限会社"), LIT("合同会社"),
	LIT("公司"), LIT("㈱"),
};

static const struct lit cjk_prefixes[] = {
	LIT("株式会社"), LIT("有限会社"), LIT("合同会社"), LIT("㈱"),
};

/* A branch (分公司) or head office (总公司) keeps its 公司. */
static const struct lit gongsi_keepers[] = { LIT("分"), LIT("总"), LIT("總") };

static const struct lit latin_forms[] = {
	LIT("co"), LIT("coltd"), LIT("ltd"), LIT("limited"), LIT("company"),
	LIT("inc"), LIT("incorporated"), LIT("corp"), LIT("corporation"),
	LIT("llc"), LIT("gmbh"), LIT("ag"), LIT("kg"), LIT("sa"), LIT("sarl"),
	LIT("bv"), LIT("nv"), LIT("plc"), LIT("pty"), LIT("kk"),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Strips one legal form from s[*start..*n) (end or start); 0 when none. */
static int strip_one(const char *s, size_t *start, size_t *n)
{
	for (size_t i = 0; i < COUNT(cjk_suffixes); i++) {
		const struct lit *f = &cjk_suffixes[i];

		if (!ends_with(s, *start, *n, f->s, f->len))
			continue;
		if (strcmp(f->s, "公司") == 0) {
			int keep = 0;

			for (size_t k = 0; k < COUNT(gongsi_keepers); k++)
				keep |= ends_with(s, *start, *n - f->len,
						  gongsi_keepers[k].s, gongsi_keepers[k].len);
			if (keep)
				continue;
		}
		*n -= f->len;
		return 1;
	}
	for (size_t i = 0; i < COUNT(cjk_prefixes); i++) {
		const struct lit *f = &cjk_prefixes[i];

		if (*n - *start >= f->len && memcmp(s + *start, f->s, f->len) == 0) {
			*start += f->len;
			return 1;
		}
	}
	for (size_t i = 0; i < COUNT(latin_forms); i++) {
		const struct lit *f = &latin_forms[i];
		size_t at;

		if (!ends_with(s, *start, *n, f->s, f->len))
			continue;
		at = *n - f->len;
		/* A whole word: after a separator, a non-ASCII letter or the start. */
		if (at == *start || s[at - 1] == ' ' || (unsigned char)s[at - 1] >= 0x80) {
			*n = at;
			return 1;
		}
	}
	return 0;
}

int spm__norm_company(char *out, size_t size, const char *name)
{
	const unsigned char *p, *end;
	size_t len, n = 0, start = 0, k = 0;
	int pending_sep = 0;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(name);
	len = strlen(name);
	if (!spm__utf8_valid(name, len))
		FAIL(SPM_EINVAL, "company name is not valid UTF-8");

	/* Step 2: map into out, separators collapsed to one space, none at
	 * either end. */
	p = (const unsigned char *)name;
	end = p + len;
	while (p < end) {
		uint32_t c = from_fullwidth(utf8_next(&p));
		int cls = company_class(c);
		size_t need;

		if (cls == DROP)
			continue;
		if (cls == SEP) {
			pending_sep = n > 0;
			continue;
		}
		c = company_lower(c);
		need = utf8_len(c) + (size_t)pending_sep;
		if (n + need >= size)
			FAIL(SPM_ERANGE, "company name needs more than %zu bytes while normalizing "
			     "(strlen + 1 always suffices)", size);
		if (pending_sep)
			out[n++] = ' ';
		pending_sep = 0;
		n += utf8_put(out + n, c);
	}

	/* Step 3: legal forms, until none is left. */
	for (;;) {
		while (n > start && out[n - 1] == ' ')
			n--;
		while (start < n && out[start] == ' ')
			start++;
		if (!strip_one(out, &start, &n))
			break;
	}

	/* Step 4: drop the separators. */
	for (size_t i = start; i < n; i++)
		if (out[i] != ' ')
			out[k++] = out[i];
	if (k == 0)
		FAIL(SPM_EINVAL, "company name is empty or only a legal form");
	out[k] = '\0';
	return SPM_OK;
}
