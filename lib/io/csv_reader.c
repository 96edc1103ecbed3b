/* Streaming RFC 4180 reader: a byte-at-a-time state machine (with a fast
 * path for runs of plain ASCII), so chunks may split anything. The rules are
 * in csv.h. */
#include "io/csv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"

enum state {
	ROW_START,        /* between rows: line breaks are skipped */
	FIELD_START,
	UNQUOTED,
	QUOTED,
	QUOTE_IN_QUOTED,  /* a quote inside a quoted field: "" or the closing one */
	SKIP_LINE,        /* after a syntax error: up to the next line break */
};

struct spm__csv_reader {
	spm__csv_options o;
	spm__csv_row_cb cb;
	void *payload;

	int done;          /* stopped, fatal, or finished */
	int done_code;
	int finished;

	/* The first bytes, held until the byte-order mark is known. */
	unsigned char head[4];
	size_t nhead;
	int sniffed;
	uint64_t total;

	/* Position of the byte being processed. */
	enum state state;
	uint64_t line, col;
	int prev_cr;

	/* UTF-8 sequence in progress: continuation bytes still expected and
	 * the range allowed for the next one. */
	unsigned need;
	unsigned char lo, hi, lead;
	uint64_t lead_line, lead_col;

	/* The current row: fields are stored one after another in buf, each
	 * followed by a NUL; fields[i].len is set as each field ends. */
	char *buf;
	size_t buf_len, buf_cap, field_start;
	unsigned field_flags;
	spm__csv_field *fields;
	size_t nfields, fields_cap;
	uint64_t row_line, quote_line, quote_col;
	uint64_t rows, good, bad;
	size_t header_fields;

	int row_bad;
	int err_code;
	uint64_t err_line, err_col;
	char detail[160];
	char message[224];
};

static void *r_realloc(spm__csv_reader *r, void *p, size_t size)
{
	if (r->o.realloc_fn)
		return r->o.realloc_fn(p, size, r->o.alloc_payload);
	return realloc(p, size);
}

static void r_free(const spm__csv_options *o, void *p)
{
	if (!p)
		return;
	if (o->free_fn)
		o->free_fn(p, o->alloc_payload);
	else
		free(p);
}

int spm__csv_reader_new(spm__csv_reader **out, const spm__csv_options *opts,
			spm__csv_row_cb cb, void *payload)
{
	spm__csv_options o = { 0 };
	spm__csv_reader *r;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(cb);
	if (opts)
		o = *opts;
	if (!((o.malloc_fn && o.realloc_fn && o.free_fn) ||
	      (!o.malloc_fn && !o.realloc_fn && !o.free_fn)))
		return spm__error_set(SPM_EINVAL, "csv reader: set all three allocator functions or none");
	if (!o.max_field_bytes)
		o.max_field_bytes = SPM__CSV_DEFAULT_MAX_FIELD_BYTES;
	if (!o.max_fields)
		o.max_fields = SPM__CSV_DEFAULT_MAX_FIELDS;
	if (!o.max_rows)
		o.max_rows = SPM__CSV_DEFAULT_MAX_ROWS;
	if (!o.max_total_bytes)
		o.max_total_bytes = SPM__CSV_DEFAULT_MAX_TOTAL_BYTES;

	r = o.malloc_fn ? o.malloc_fn(sizeof *r, o.alloc_payload) : malloc(sizeof *r);
	if (!r)
		return spm__error_oom();
	memset(r, 0, sizeof *r);
	r->o = o;
	r->cb = cb;
	r->payload = payload;
	r->state = ROW_START;
	r->line = 1;
	r->lo = 0x80;
	r->hi = 0xBF;
	*out = r;
	return SPM_OK;
}

void spm__csv_reader_free(spm__csv_reader *r)
{
	spm__csv_options o;

	if (!r)
		return;
	o = r->o;
	r_free(&o, r->buf);
	r_free(&o, r->fields);
	r_free(&o, r);
}

uint64_t spm__csv_reader_good_rows(const spm__csv_reader *r)
{
	return r ? r->good : 0;
}

uint64_t spm__csv_reader_bad_rows(const spm__csv_reader *r)
{
	return r ? r->bad : 0;
}

/* ---- errors ---- */

static void compose_message(spm__csv_reader *r)
{
	if (r->err_col)
		snprintf(r->message, sizeof r->message, "line %" PRIu64 ", column %" PRIu64 ": %s",
			 r->err_line, r->err_col, r->detail);
	else
		snprintf(r->message, sizeof r->message, "line %" PRIu64 ": %s",
			 r->err_line, r->detail);
}

/* Marks the current row bad; the first problem of a row is the one kept. */
SPM__PRINTF(5, 6)
static void row_error(spm__csv_reader *r, int code, uint64_t line, uint64_t col,
		      const char *fmt, ...)
{
	va_list ap;

	if (r->row_bad)
		return;
	r->row_bad = 1;
	r->err_code = code;
	r->err_line = line;
	r->err_col = col;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

static int stop(spm__csv_reader *r, int code)
{
	r->done = 1;
	r->done_code = code;
	return code;
}

/* Reports an error that ends the input, through the callback as well. */
SPM__PRINTF(5, 6)
static int fatal(spm__csv_reader *r, int code, uint64_t line, uint64_t col,
		 const char *fmt, ...)
{
	spm__csv_row row = { 0 };
	va_list ap;
	int rc;

	r->err_line = line;
	r->err_col = col;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
	compose_message(r);

	row.line = r->state == ROW_START ? line : r->row_line;
	row.index = r->rows;
	row.error = code;
	row.fatal = 1;
	row.error_line = line;
	row.error_column = col;
	row.message = r->message;
	spm__error_set(code, "csv: %s", r->message);
	rc = r->cb(&row, r->payload);
	return stop(r, rc ? rc : code);
}

/* ---- the current row ---- */

static int grow(spm__csv_reader *r, void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return 0;
		n *= 2;
	}
	q = r_realloc(r, *p, n * elem);
	if (!q)
		return 0;
	*p = q;
	*cap = n;
	return 1;
}

/* Room for `more` bytes plus the NUL that ends the field. */
static int reserve(spm__csv_reader *r, size_t more)
{
	size_t need = r->buf_len + more + 1;

	if (need <= r->buf_cap)
		return 1;
	if (!grow(r, (void **)&r->buf, &r->buf_cap, need, 1)) {
		fatal(r, SPM_ENOMEM, r->line, r->col, "out of memory for a row of %zu bytes", need);
		return 0;
	}
	return 1;
}

static int field_fits(spm__csv_reader *r, size_t more)
{
	if (r->buf_len - r->field_start + more <= r->o.max_field_bytes)
		return 1;
	row_error(r, SPM_ERANGE, r->line, r->col, "field %zu is longer than the limit of %zu bytes",
		  r->nfields + 1, r->o.max_field_bytes);
	return 0;
}

static int append(spm__csv_reader *r, char c)
{
	if (r->row_bad || !field_fits(r, 1))
		return 1;
	if (!reserve(r, 1))
		return 0;
	r->buf[r->buf_len++] = c;
	return 1;
}

static int end_field(spm__csv_reader *r)
{
	if (r->row_bad)
		return 1;
	if (r->nfields == r->fields_cap &&
	    !grow(r, (void **)&r->fields, &r->fields_cap, r->nfields + 1, sizeof *r->fields)) {
		fatal(r, SPM_ENOMEM, r->line, r->col, "out of memory for a row of %zu fields",
		      r->nfields + 1);
		return 0;
	}
	if (!reserve(r, 0))
		return 0;
	r->fields[r->nfields].len = r->buf_len - r->field_start;
	r->fields[r->nfields].flags = r->field_flags;
	r->nfields++;
	r->buf[r->buf_len++] = '\0';
	r->field_start = r->buf_len;
	r->field_flags = 0;
	return 1;
}

/* A comma ends a field and starts another: the limit is checked here, so
 * that the error points at the comma that opens one field too many. */
static int comma(spm__csv_reader *r)
{
	if (!end_field(r))
		return 0;
	if (!r->row_bad && r->nfields == r->o.max_fields)
		row_error(r, SPM_ERANGE, r->line, r->col, "row has more than the limit of %zu fields",
			  r->o.max_fields);
	r->state = FIELD_START;
	return 1;
}

static int begin_row(spm__csv_reader *r)
{
	if (r->rows == r->o.max_rows) {
		r->row_line = r->line;
		return fatal(r, SPM_ERANGE, r->line, 0, "more than the limit of %" PRIu64 " rows",
			     r->o.max_rows), 0;
	}
	r->rows++;
	r->row_line = r->line;
	return 1;
}

/* Delivers the row just ended; 0 when reading must stop. */
static int end_row(spm__csv_reader *r)
{
	spm__csv_row row = { 0 };
	int rc;

	if (!r->row_bad && r->o.header) {
		if (r->rows == 1)
			r->header_fields = r->nfields;
		else if (r->nfields != r->header_fields)
			row_error(r, SPM_EINVAL, r->row_line, 0,
				  "row has %zu fields, the header has %zu",
				  r->nfields, r->header_fields);
	}
	row.line = r->row_line;
	row.index = r->rows;
	if (r->row_bad) {
		r->bad++;
		if (r->o.header && r->rows == 1) {
			/* Without a header there is nothing to check rows against. */
			char detail[sizeof r->detail];

			memcpy(detail, r->detail, sizeof detail);
			return fatal(r, r->err_code, r->err_line, r->err_col,
				     "header row: %s", detail), 0;
		}
		compose_message(r);
		row.error = r->err_code;
		row.error_line = r->err_line;
		row.error_column = r->err_col;
		row.message = r->message;
		spm__error_set(r->err_code, "csv: %s", r->message);
	} else {
		char *p = r->buf;

		for (size_t i = 0; i < r->nfields; i++) {
			r->fields[i].ptr = p;
			p += r->fields[i].len + 1;
		}
		r->good++;
		row.fields = r->fields;
		row.nfields = r->nfields;
		row.message = "";
	}
	rc = r->cb(&row, r->payload);
	r->buf_len = r->field_start = r->nfields = 0;
	r->field_flags = 0;
	r->row_bad = 0;
	r->state = ROW_START;
	if (rc)
		return stop(r, rc), 0;
	return 1;
}

/* ---- bytes ---- */

/* Checks one byte against UTF-8 and NUL; a problem makes the row bad. */
static void check_encoding(spm__csv_reader *r, unsigned char c)
{
	if (r->need) {
		if (c >= r->lo && c <= r->hi) {
			r->need--;
			r->lo = 0x80;
			r->hi = 0xBF;
			return;
		}
		r->need = 0;
		r->lo = 0x80;
		r->hi = 0xBF;
		row_error(r, SPM_EINVAL, r->lead_line, r->lead_col,
			  "invalid UTF-8: byte 0x%02X does not start a valid sequence "
			  "(the input must be UTF-8, not Latin-1 or GBK)", r->lead);
	}
	if (c == 0) {
		row_error(r, SPM_EINVAL, r->line, r->col,
			  "NUL byte (is the input UTF-16 without a byte-order mark?)");
		return;
	}
	if (c < 0x80)
		return;
	r->lead = c;
	r->lead_line = r->line;
	r->lead_col = r->col;
	if (c >= 0xC2 && c <= 0xDF) {
		r->need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		r->need = 2;
		if (c == 0xE0)
			r->lo = 0xA0;
		else if (c == 0xED)
			r->hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		r->need = 3;
		if (c == 0xF0)
			r->lo = 0x90;
		else if (c == 0xF4)
			r->hi = 0x8F;
	} else {
		row_error(r, SPM_EINVAL, r->line, r->col,
			  "invalid UTF-8 byte 0x%02X (the input must be UTF-8, not Latin-1 or GBK)", c);
	}
}

/* One byte; 0 when reading must stop. */
static int step(spm__csv_reader *r, unsigned char c)
{
	int brk = c == '\r' || c == '\n';
	int ok = 1;

	/* Columns count characters: continuation bytes of a sequence do not. */
	if ((c & 0xC0) != 0x80 || !r->need)
		r->col++;
	if (r->state == ROW_START && !brk) {
		if (!begin_row(r))
			return 0;
		r->state = FIELD_START;
	}
	if (r->state != ROW_START)
		check_encoding(r, c);

	switch (r->state) {
	case ROW_START:
		break;
	case FIELD_START:
		if (c == '"') {
			r->field_flags = SPM__CSV_QUOTED;
			r->quote_line = r->line;
			r->quote_col = r->col;
			r->state = QUOTED;
		} else if (c == ',') {
			ok = comma(r);
		} else if (brk) {
			ok = end_field(r) && end_row(r);
		} else {
			ok = append(r, (char)c);
			r->state = UNQUOTED;
		}
		break;
	case UNQUOTED:
		if (c == ',') {
			ok = comma(r);
		} else if (brk) {
			ok = end_field(r) && end_row(r);
		} else if (c == '"') {
			row_error(r, SPM_EINVAL, r->line, r->col,
				  "quote inside an unquoted field (quote the whole field and double the quote)");
			r->state = SKIP_LINE;
		} else {
			ok = append(r, (char)c);
		}
		break;
	case QUOTED:
		if (c == '"')
			r->state = QUOTE_IN_QUOTED;
		else
			ok = append(r, (char)c);
		break;
	case QUOTE_IN_QUOTED:
		if (c == '"') {
			ok = append(r, '"');
			r->state = QUOTED;
		} else if (c == ',') {
			ok = comma(r);
		} else if (brk) {
			ok = end_field(r) && end_row(r);
		} else {
			row_error(r, SPM_EINVAL, r->line, r->col,
				  "unexpected character after the closing quote of a field");
			r->state = SKIP_LINE;
		}
		break;
	case SKIP_LINE:
		if (brk)
			ok = end_row(r);
		break;
	}

	if (c == '\r' || (c == '\n' && !r->prev_cr))
		r->line++;
	if (brk)
		r->col = 0;
	r->prev_cr = c == '\r';
	return ok;
}

/* Bytes that need no decision: printable ASCII but ',' and '"'. */
static size_t plain_run(const unsigned char *d, size_t len)
{
	size_t i = 0;

	while (i < len && d[i] >= 0x20 && d[i] < 0x7F && d[i] != ',' && d[i] != '"')
		i++;
	return i;
}

static int parse(spm__csv_reader *r, const unsigned char *d, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if ((r->state == UNQUOTED || r->state == QUOTED) && !r->need && !r->row_bad) {
			size_t run = plain_run(d + i, len - i);
			size_t room = r->o.max_field_bytes - (r->buf_len - r->field_start);

			/* What does not fit goes through step, which reports it. */
			if (run > room)
				run = room;
			if (run > 1) {
				if (!reserve(r, run))
					return r->done_code;
				memcpy(r->buf + r->buf_len, d + i, run);
				r->buf_len += run;
				r->col += run;
				r->prev_cr = 0;
				i += run;
				continue;
			}
		}
		if (!step(r, d[i++]))
			return r->done_code;
	}
	return SPM_OK;
}

/* Decides about a byte-order mark once the first bytes (up to 4) are in,
 * then parses them. */
static int sniff(spm__csv_reader *r)
{
	const unsigned char *h = r->head;
	size_t n = r->nhead, skip = 0;
	const char *enc = NULL;

	r->sniffed = 1;
	if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
		skip = 3;
	else if (n >= 4 && h[0] == 0xFF && h[1] == 0xFE && h[2] == 0 && h[3] == 0)
		enc = "UTF-32LE (byte-order mark FF FE 00 00)";
	else if (n >= 4 && h[0] == 0 && h[1] == 0 && h[2] == 0xFE && h[3] == 0xFF)
		enc = "UTF-32BE (byte-order mark 00 00 FE FF)";
	else if (n >= 2 && h[0] == 0xFF && h[1] == 0xFE)
		enc = "UTF-16LE (byte-order mark FF FE)";
	else if (n >= 2 && h[0] == 0xFE && h[1] == 0xFF)
		enc = "UTF-16BE (byte-order mark FE FF)";
	if (enc)
		return fatal(r, SPM_EINVAL, 1, 1, "the input is %s; only UTF-8 is accepted, "
			     "save the file as UTF-8", enc);
	return parse(r, h + skip, n - skip);
}

int spm__csv_reader_feed(spm__csv_reader *r, const char *data, size_t len)
{
	const unsigned char *d = (const unsigned char *)data;

	SPM__CHECK_ARG(r);
	if (r->done)
		return r->done_code;
	if (r->finished)
		return spm__error_set(SPM_EINVAL, "csv: input fed after spm__csv_reader_finish");
	if (len == 0)
		return SPM_OK;
	SPM__CHECK_ARG(data);
	/* Fail fast, before any of an oversize input is read. */
	if (len > r->o.max_total_bytes - r->total)
		return fatal(r, SPM_ERANGE, r->line, 0,
			     "the input is larger than the limit of %" PRIu64 " bytes",
			     r->o.max_total_bytes);
	r->total += len;
	if (!r->sniffed) {
		while (r->nhead < sizeof r->head && len > 0) {
			r->head[r->nhead++] = *d++;
			len--;
		}
		if (r->nhead < sizeof r->head)
			return SPM_OK;
		if (sniff(r) != SPM_OK)
			return r->done_code;
	}
	return parse(r, d, len);
}

int spm__csv_reader_finish(spm__csv_reader *r)
{
	int ok = 1;

	SPM__CHECK_ARG(r);
	if (r->done)
		return r->done_code;
	if (r->finished)
		return spm__error_set(SPM_EINVAL, "csv: spm__csv_reader_finish called twice");
	r->finished = 1;
	if (!r->sniffed && sniff(r) != SPM_OK)
		return r->done_code;
	if (r->need)
		row_error(r, SPM_EINVAL, r->lead_line, r->lead_col,
			  "invalid UTF-8: the input ends inside the sequence starting with byte 0x%02X",
			  r->lead);
	switch (r->state) {
	case ROW_START:
		break;
	case QUOTED:
		return fatal(r, SPM_EINVAL, r->quote_line, r->quote_col,
			     "unterminated quoted field (the quote opened here is never closed)");
	case FIELD_START:
	case UNQUOTED:
	case QUOTE_IN_QUOTED:
		ok = end_field(r) && end_row(r);
		break;
	case SKIP_LINE:
		ok = end_row(r);
		break;
	}
	return ok ? SPM_OK : r->done_code;
}

int spm__csv_parse(const char *data, size_t len, const spm__csv_options *opts,
		   spm__csv_row_cb cb, void *payload)
{
	spm__csv_reader *r;
	int rc = spm__csv_reader_new(&r, opts, cb, payload);

	if (rc)
		return rc;
	rc = spm__csv_reader_feed(r, data, len);
	if (rc == SPM_OK)
		rc = spm__csv_reader_finish(r);
	spm__csv_reader_free(r);
	return rc;
}
