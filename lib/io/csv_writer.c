/* RFC 4180 writer with formula neutralisation; the rules are in csv.h. */
#include "io/csv.h"

#include <string.h>

#include "core/error_internal.h"
#include "core/utf8.h"

void spm__csv_writer_init(spm__csv_writer *w, unsigned flags,
			  spm__csv_write_cb write, void *payload)
{
	if (!w)
		return;
	memset(w, 0, sizeof *w);
	w->write = write;
	w->payload = payload;
	w->flags = flags;
}

static int flush(spm__csv_writer *w)
{
	int rc;

	if (w->used == 0)
		return SPM_OK;
	rc = w->write(w->buf, w->used, w->payload);
	w->used = 0;
	if (rc)
		w->stopped = rc;
	return rc;
}

static int put(spm__csv_writer *w, const char *p, size_t len)
{
	while (len > 0) {
		size_t n = sizeof w->buf - w->used;

		if (n == 0) {
			int rc = flush(w);

			if (rc)
				return rc;
			n = sizeof w->buf;
		}
		if (n > len)
			n = len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
	}
	return SPM_OK;
}

/* Optional sign, digits, optionally '.' and digits. */
static int plain_number(const char *p, size_t len)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;

	if (i < len && (p[i] == '-' || p[i] == '+'))
		i++;
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++, int_digits++;
	if (i < len && p[i] == '.') {
		i++;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++, frac_digits++;
		if (frac_digits == 0)
			return 0;
	}
	return i == len && int_digits > 0;
}

static int formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static int write_cell(spm__csv_writer *w, const spm__csv_field *cell, int only_cell, int first)
{
	const char *p = cell->len ? cell->ptr : "";
	size_t len = cell->len;
	int neutralise = len > 0 && formula_start(p[0]) &&
			 !((cell->flags & SPM__CSV_NUMERIC) && plain_number(p, len));
	int quote = (cell->flags & SPM__CSV_QUOTED) || (only_cell && len == 0) ||
		    (len > 0 && (blank(p[0]) || blank(p[len - 1]))) ||
		    (first && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) ||
		    memchr(p, ',', len) || memchr(p, '"', len) ||
		    memchr(p, '\r', len) || memchr(p, '\n', len);
	int rc;

	if (quote && (rc = put(w, "\"", 1)))
		return rc;
	if (neutralise && (rc = put(w, "'", 1)))
		return rc;
	if (quote) {
		const char *q;

		while ((q = memchr(p, '"', len)) != NULL) {
			size_t n = (size_t)(q - p) + 1;

			if ((rc = put(w, p, n)) || (rc = put(w, "\"", 1)))
				return rc;
			p += n;
			len -= n;
		}
	}
	if ((rc = put(w, p, len)))
		return rc;
	if (quote && (rc = put(w, "\"", 1)))
		return rc;
	return SPM_OK;
}

int spm__csv_writer_row(spm__csv_writer *w, const spm__csv_field *cells, size_t ncells)
{
	int rc;

	SPM__CHECK_ARG(w);
	SPM__CHECK_ARG(w->write);
	if (w->stopped)
		return w->stopped;
	SPM__CHECK_ARG(cells);
	if (ncells == 0)
		return spm__error_set(SPM_EINVAL, "csv writer: a row needs at least one cell");
	for (size_t i = 0; i < ncells; i++) {
		if (cells[i].len && !cells[i].ptr)
			return spm__error_set(SPM_EINVAL, "csv writer: cell %zu has a NULL pointer", i + 1);
		if (cells[i].len && !spm__utf8_valid(cells[i].ptr, cells[i].len))
			return spm__error_set(SPM_EINVAL,
					      "csv writer: cell %zu is not valid UTF-8 or holds a NUL byte",
					      i + 1);
	}

	if (w->rows == 0 && (w->flags & SPM__CSV_WRITE_BOM) && (rc = put(w, "\xEF\xBB\xBF", 3)))
		return rc;
	for (size_t i = 0; i < ncells; i++) {
		if (i > 0 && (rc = put(w, ",", 1)))
			return rc;
		rc = write_cell(w, &cells[i], ncells == 1,
				w->rows == 0 && i == 0 && !(w->flags & SPM__CSV_WRITE_BOM));
		if (rc)
			return rc;
	}
	if ((rc = put(w, (w->flags & SPM__CSV_WRITE_LF) ? "\n" : "\r\n",
		      (w->flags & SPM__CSV_WRITE_LF) ? 1 : 2)))
		return rc;
	w->rows++;
	return flush(w);
}
