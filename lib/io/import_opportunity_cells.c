/* Cells of opportunity imports: dates and times in the forms exports use,
 * exact decimals, and amounts with or without their currency. No floats,
 * nothing locale-dependent. */
#include "io/import_opportunity.h"
#include "spm/calendar.h"
#include "spm/money.h"

#include <string.h>

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* Reads 1..max digits at *p. */
static int number(const char **p, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9') {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n == 0)
		return 0;
	*p += n;
	*out = v;
	return n;
}

/* "HH:MM[:SS][.fff]" then an optional zone (Z, +HHMM, +HH:MM) or AM/PM;
 * *secs receives the seconds east-adjusted to UTC. */
static int clock_part(const char *p, int ampm_ok, int64_t *secs)
{
	int hh, mm, ss = 0, zh, zm, n;
	int64_t s;

	n = number(&p, 2, &hh);
	if (n == 0 || *p != ':')
		return 0;
	p++;
	if (number(&p, 2, &mm) != 2)
		return 0;
	if (*p == ':') {
		p++;
		if (number(&p, 2, &ss) != 2)
			return 0;
		if (*p == '.') {
			int frac;

			p++;
			if (number(&p, 9, &frac) == 0)
				return 0;
		}
	}
	if (ampm_ok && *p == ' ' && (p[1] == 'A' || p[1] == 'P' || p[1] == 'a' || p[1] == 'p') &&
	    (p[2] == 'M' || p[2] == 'm') && p[3] == '\0') {
		if (hh < 1 || hh > 12)
			return 0;
		hh = hh % 12 + ((p[1] == 'P' || p[1] == 'p') ? 12 : 0);
		p += 3;
	}
	if (hh > 23 || mm > 59 || ss > 59)
		return 0;
	s = (int64_t)hh * 3600 + mm * 60 + ss;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (number(&p, 2, &zh) != 2)
			return 0;
		if (*p == ':')
			p++;
		if (number(&p, 2, &zm) != 2 || zh > 23 || zm > 59)
			return 0;
		s -= sign * ((int64_t)zh * 3600 + zm * 60);
	}
	if (*p != '\0')
		return 0;
	*secs = s;
	return 1;
}

int spm__opp_parse_when(spm_time *out, int *has_time, const char *text,
			spm_opp_date_order order)
{
	int y, m, d;
	const char *p = text, *rest;
	spm_date date;
	spm_time t;
	int64_t secs = 0;

	*has_time = 0;
	if (strlen(text) >= 10 && text[4] == '-' && text[7] == '-' && digits(text, 4, &y) &&
	    digits(text + 5, 2, &m) && digits(text + 8, 2, &d)) {
		rest = text + 10;
		if (*rest == 'T' || *rest == ' ') {
			if (!clock_part(rest + 1, 0, &secs))
				goto bad;
			*has_time = 1;
		} else if (*rest != '\0') {
			goto bad;
		}
	} else if (order != SPM_OPP_DATES_ISO) {
		int a, b, n;

		if (number(&p, 2, &a) == 0 || *p++ != '/' || number(&p, 2, &b) == 0 ||
		    *p++ != '/')
			goto bad;
		n = number(&p, 4, &y);
		if (n == 2)
			y += 2000;  /* two-digit years are this century's */
		else if (n != 4)
			goto bad;
		m = order == SPM_OPP_DATES_MDY ? a : b;
		d = order == SPM_OPP_DATES_MDY ? b : a;
		if (*p == ' ') {
			if (!clock_part(p + 1, 1, &secs))
				goto bad;
			*has_time = 1;
		} else if (*p != '\0') {
			goto bad;
		}
	} else {
		goto bad;
	}
	if (spm_date_from_ymd(&date, y, m, d) != SPM_OK || spm_date_to_time(&t, date) != SPM_OK)
		goto bad;
	*out = t + secs;
	return SPM_OK;
bad:
	if (order == SPM_OPP_DATES_ISO)
		return spm__error_set(SPM_EINVAL, "'%s' is not a date or time (YYYY-MM-DD, "
				      "YYYY-MM-DD HH:MM:SS, YYYY-MM-DDTHH:MM:SSZ)", text);
	return spm__error_set(SPM_EINVAL, "'%s' is not a date or time (YYYY-MM-DD[ HH:MM:SS] "
			      "or %s[ HH:MM[:SS][ AM|PM]])", text,
			      order == SPM_OPP_DATES_MDY ? "M/D/YY" : "D/M/YY");
}

int spm__opp_parse_fixed(int64_t *out, const char *text, int scale)
{
	const char *p = text;
	int neg = 0, frac = 0, seen = 0;
	int64_t v = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++, seen++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			goto bad;
	if (seen == 0)
		goto bad;
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, frac++)
			if (frac >= scale || __builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, *p - '0', &v))
				goto bad;
		if (frac == 0)
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	for (; frac < scale; frac++)
		if (__builtin_mul_overflow(v, 10, &v))
			goto bad;
	*out = neg ? -v : v;
	return SPM_OK;
bad:
	return spm__error_set(SPM_EINVAL, "'%s' is not a number with at most %d decimal%s",
			      text, scale, scale == 1 ? "" : "s");
}

int spm__opp_parse_money(int64_t *out, char code[4], const char *text, const char *column,
			 const char *fallback)
{
	const char *sp = strrchr(text, ' ');
	char amount[64];
	const char *cur;
	size_t n = sp ? (size_t)(sp - text) : strlen(text);
	int rc;

	if (text[0] == '\'' && text[1] == '-')
		text++, n--;  /* how the CSV export neutralises a negative amount */
	if (n >= sizeof(amount))
		return spm__error_set(SPM_EINVAL, "'%s' is not an amount", text);
	memcpy(amount, text, n);
	amount[n] = '\0';
	cur = sp ? sp + 1 : column && column[0] ? column : fallback;
	if (cur == NULL)
		return spm__error_set(SPM_EINVAL, "'%s' has no currency (add one, a currency "
				      "column or a default currency)", text);
	if (sp && column && column[0] && strcmp(column, sp + 1) != 0)
		return spm__error_set(SPM_EINVAL, "'%s' is not in the currency column's %s",
				      text, column);
	if (!spm_currency_valid(cur))
		return spm__error_set(SPM_EINVAL, "'%s': unknown currency '%s'", text, cur);
	rc = spm_money_parse(out, amount, cur);
	if (rc != SPM_OK)
		return rc;
	memcpy(code, cur, 3);
	code[3] = '\0';
	return SPM_OK;
}
