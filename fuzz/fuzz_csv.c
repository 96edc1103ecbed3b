/* libFuzzer target for the CSV reader and writer (TESTING.md §D).
 *
 * The first byte selects options (bit 0: header check, bit 1: small limits,
 * bit 2: writer LF, bit 3: writer BOM; '0'..'?' are the readable seeds);
 * the rest is the CSV input. Checks:
 *  1. reading in one buffer and in chunks (cut at positions taken from the
 *     input, and byte by byte for short inputs) reports the same rows, bad
 *     rows and errors;
 *  2. round trip: the good rows, written back and read again, are the same
 *     rows (a cell that starts like a formula comes back with ' in front),
 *     with no bad row;
 *  3. nothing stays allocated.
 * Linked with replay_main.c it is a plain program that replays files and
 * directories of inputs (the corpus replay in every CI run). */
#include "io/csv.h"
#include "spm/error.h"

#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
	char *p;
	size_t len, cap;
};

static void add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void add_u64(struct buf *b, uint64_t v)
{
	add(b, &v, sizeof v);
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_csv: %s\n", what);
	abort();
}

/* Every row as bytes: kind, line, fields (length, flags, bytes) or the
 * error's code and position. `rows` gets the good rows only, fields
 * length-prefixed, for the writer. */
struct record {
	struct buf sig;
	struct buf rows;
	uint64_t bad;
};

static int record_cb(const spm__csv_row *row, void *payload)
{
	struct record *r = payload;

	add_u64(&r->sig, row->line);
	add_u64(&r->sig, row->index);
	if (row->error) {
		if (row->fields || row->nfields || row->message[0] == '\0')
			fail("bad row with fields or without a message");
		add(&r->sig, "B", 1);
		add_u64(&r->sig, (uint64_t)(int64_t)row->error);
		add_u64(&r->sig, (uint64_t)row->fatal);
		add_u64(&r->sig, row->error_line);
		add_u64(&r->sig, row->error_column);
		r->bad++;
		return 0;
	}
	if (row->nfields == 0 || row->message[0] != '\0')
		fail("good row without fields or with a message");
	add(&r->sig, "G", 1);
	add_u64(&r->sig, row->nfields);
	add_u64(&r->rows, row->nfields);
	for (size_t i = 0; i < row->nfields; i++) {
		const spm__csv_field *f = &row->fields[i];

		if (f->ptr[f->len] != '\0' || memchr(f->ptr, '\0', f->len))
			fail("field not NUL-terminated or with a NUL inside");
		add_u64(&r->sig, f->len);
		add_u64(&r->sig, f->flags);
		add(&r->sig, f->ptr, f->len);
		add_u64(&r->rows, f->len);
		add(&r->rows, f->ptr, f->len);
	}
	return 0;
}

static int read_all(struct record *rec, const char *in, size_t len, const spm__csv_options *o,
		    const size_t *cuts, size_t ncuts)
{
	spm__csv_reader *r;
	size_t at = 0;
	int rc;

	if (spm__csv_reader_new(&r, o, record_cb, rec) != SPM_OK)
		fail("reader_new");
	rc = SPM_OK;
	for (size_t i = 0; i <= ncuts && rc == SPM_OK; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		rc = spm__csv_reader_feed(r, in + at, end - at);
		at = end;
	}
	if (rc == SPM_OK)
		rc = spm__csv_reader_finish(r);
	spm__csv_reader_free(r);
	return rc;
}

static int out_cb(const char *data, size_t len, void *payload)
{
	add(payload, data, len);
	return 0;
}

static int same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void free_record(struct record *r)
{
	free(r->sig.p);
	free(r->rows.p);
}

static uint64_t get_u64(const char **p)
{
	uint64_t v;

	memcpy(&v, *p, sizeof v);
	*p += sizeof v;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	spm__csv_options o = { .malloc_fn = fuzz_malloc, .realloc_fn = fuzz_realloc,
			       .free_fn = fuzz_free };
	struct record whole = { 0 }, part = { 0 }, again = { 0 }, expect = { 0 };
	struct buf out = { 0 };
	spm__csv_writer w;
	unsigned flags;
	const char *in;
	size_t len, cuts[2];
	int rc, rc2;

	if (size == 0)
		return 0;
	flags = data[0];
	in = (const char *)data + 1;
	len = size - 1;
	o.header = flags & 1;
	if (flags & 2) {
		o.max_field_bytes = 16;
		o.max_fields = 8;
		o.max_rows = 32;
		o.max_total_bytes = 4096;
	}

	/* 1. one buffer and chunks agree */
	rc = read_all(&whole, in, len, &o, NULL, 0);
	if (rc != SPM_OK && rc != SPM_EINVAL && rc != SPM_ERANGE)
		fail("unexpected result");
	cuts[0] = len ? (size_t)data[len] % (len + 1) : 0;
	cuts[1] = cuts[0] + (len - cuts[0]) / 2;
	rc2 = read_all(&part, in, len, &o, cuts, 2);
	if (rc2 != rc || !same(&part.sig, &whole.sig))
		fail("chunked reading differs from one buffer");
	if (len <= 64) {
		size_t bytes[64];

		free_record(&part);
		memset(&part, 0, sizeof part);
		for (size_t i = 0; i < len; i++)
			bytes[i] = i;
		rc2 = read_all(&part, in, len, &o, bytes, len);
		if (rc2 != rc || !same(&part.sig, &whole.sig))
			fail("byte-by-byte reading differs from one buffer");
	}

	/* 2. round trip of the good rows */
	spm__csv_writer_init(&w, ((flags & 4) ? SPM__CSV_WRITE_LF : 0) |
				 ((flags & 8) ? SPM__CSV_WRITE_BOM : 0), out_cb, &out);
	{
		const char *p = whole.rows.p ? whole.rows.p : "", *end = p + whole.rows.len;
		spm__csv_field cells[1024];

		while (p < end) {
			uint64_t n = get_u64(&p);

			if (n > sizeof cells / sizeof cells[0])
				fail("more fields than the limit");
			add_u64(&expect.rows, n);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t flen = get_u64(&p);
				int formula = flen > 0 && strchr("=+-@\t\r", p[0]) != NULL;

				cells[i].ptr = p;
				cells[i].len = (size_t)flen;
				cells[i].flags = 0;
				add_u64(&expect.rows, flen + (uint64_t)formula);
				if (formula)
					add(&expect.rows, "'", 1);
				add(&expect.rows, p, (size_t)flen);
				p += flen;
			}
			if (spm__csv_writer_row(&w, cells, (size_t)n) != SPM_OK)
				fail("the writer refused a row the reader accepted");
		}
	}
	{
		spm__csv_options o2 = { .malloc_fn = fuzz_malloc, .realloc_fn = fuzz_realloc,
					.free_fn = fuzz_free, .header = o.header };

		rc2 = read_all(&again, out.p ? out.p : "", out.len, &o2, NULL, 0);
	}
	if (rc2 != SPM_OK || again.bad != 0)
		fail("the written rows do not read back");
	if (!same(&again.rows, &expect.rows))
		fail("round trip changed the rows");

	free_record(&whole);
	free_record(&part);
	free_record(&again);
	free_record(&expect);
	free(out.p);
	if (fuzz_live != 0)
		fail("an allocation is left live");
	return 0;
}

/* Called by replay_main.c after the last input. */
void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
	/* nothing is kept between inputs */
}
