/* CSV (RFC 4180) reading and writing for imports and exports (issue 3, item 10).
 *
 * Internal building blocks: the domain layer adds column mapping, typed
 * fields and transactions. Neither side touches files: the reader is fed
 * bytes, the writer hands bytes to a callback.
 *
 * Error codes: SPM_EINVAL for malformed input (syntax, encoding, NUL, column
 * count), SPM_ERANGE for a limit exceeded, SPM_ENOMEM when an allocation
 * fails. Every error is raised with spm__error_set.
 */
#ifndef SPM_IO_CSV_H
#define SPM_IO_CSV_H

#include <stddef.h>
#include <stdint.h>

/* Field flags. Reader: SPM__CSV_QUOTED is set when the field was quoted
 * (`""` is an empty quoted field, distinct from nothing between two commas).
 * Writer: SPM__CSV_QUOTED forces quotes; SPM__CSV_NUMERIC see
 * spm__csv_writer_row. */
#define SPM__CSV_QUOTED  0x1u
#define SPM__CSV_NUMERIC 0x2u

typedef struct spm__csv_field {
	const char *ptr;  /* reader: NUL-terminated, never NULL */
	size_t len;       /* bytes, without the NUL */
	unsigned flags;
} spm__csv_field;

/* ---- reader ----
 *
 * Input rules:
 *  - UTF-8 only. A leading UTF-8 byte-order mark is skipped. A UTF-16 or
 *    UTF-32 byte-order mark refuses the whole input (fatal, line 1). Invalid
 *    UTF-8 (overlong forms, surrogates, > U+10FFFF, stray or truncated
 *    sequences) and NUL bytes make the row bad.
 *  - Records end with LF, CRLF or a lone CR, mixed freely. Lines that are
 *    completely empty are skipped (they are not rows); a line holding
 *    only `""` is a row with one empty field.
 *  - A field is quoted when its first byte is '"'; inside, "" stands for a
 *    quote, and commas and line breaks are content. Fields are not trimmed.
 *  - Bad syntax makes the row bad: a quote inside an unquoted field
 *    (`ab"c`), anything but a comma or a line end after a closing quote
 *    (`"ab"c`).
 *  - Line numbers are physical lines counted from 1 (a quoted line break
 *    counts), columns are characters counted from 1.
 *
 * Bad rows and resynchronisation. A bad row is reported to the callback with
 * row->error set and no fields. After an encoding, NUL or limit error the
 * reader keeps following the row's quotes to find where the row ends; after a
 * syntax error it discards the rest of the physical line, quotes and all.
 * When the callback returns 0 the reader carries on with the next row (the
 * "skip bad rows" and "dry run: list every bad row" modes); any other value
 * stops it, and feed/finish return that value (return row->error to stop
 * with the row's code and message, the "all or nothing" mode).
 *
 * Fatal errors (row->fatal = 1) end the input: a UTF-16/32 byte-order mark,
 * max_rows or max_total_bytes exceeded, an unterminated quote at the end, a
 * failed allocation, and any error in the header row when
 * spm__csv_options.header is set. The callback hears of them too (so that a
 * dry run lists them) and feed/finish return the code (or the callback's
 * non-zero value).
 *
 * After a stop or a fatal error, feed and finish return the same value again
 * without calling back.
 */

typedef struct spm__csv_row {
	const spm__csv_field *fields;  /* NULL for a bad row */
	size_t nfields;                /* 0 for a bad row */
	uint64_t line;                 /* physical line where the row starts */
	uint64_t index;                /* rows so far including this one, header and bad rows included */
	int error;                     /* SPM_OK or the row's error code */
	int fatal;                     /* 1: nothing more will be read */
	uint64_t error_line;           /* where the problem is (a quoted field can span lines) */
	uint64_t error_column;         /* 0 when it concerns the whole row (column count) */
	const char *message;           /* "" for a good row, else "line L, column C: what" */
} spm__csv_row;

/* Called once per row. Everything row points to is borrowed: valid until the
 * callback returns. */
typedef int (*spm__csv_row_cb)(const spm__csv_row *row, void *payload);

/* 0 in a limit selects the default shown. Limits are checked before the
 * memory for the bytes is allocated; a row's buffer is reused for the next
 * rows, so steady-state reading does not allocate. */
typedef struct spm__csv_options {
	size_t max_field_bytes;     /* 1 MiB: bytes of one field, after unquoting */
	size_t max_fields;          /* 1024: fields in one row */
	uint64_t max_rows;          /* 10,000,000: rows, the header and bad rows included */
	uint64_t max_total_bytes;   /* 1 GiB: bytes fed, byte-order mark included */
	int header;                 /* 1: the first row is a header, and every row must
	                               have as many fields as it */
	/* The allocator: all three or none (then the C library's). */
	void *(*malloc_fn)(size_t size, void *payload);
	void *(*realloc_fn)(void *ptr, size_t size, void *payload);
	void (*free_fn)(void *ptr, void *payload);
	void *alloc_payload;
} spm__csv_options;

#define SPM__CSV_DEFAULT_MAX_FIELD_BYTES ((size_t)1 << 20)
#define SPM__CSV_DEFAULT_MAX_FIELDS      ((size_t)1024)
#define SPM__CSV_DEFAULT_MAX_ROWS        ((uint64_t)10000000)
#define SPM__CSV_DEFAULT_MAX_TOTAL_BYTES ((uint64_t)1 << 30)

struct spm_db;

/* Options for the importers (csv_import_options.c): a header row, at most
 * max_rows data rows and max_bytes bytes (0: the reader's defaults), and the
 * handle's allocator. */
void spm__csv_import_options(spm__csv_options *o, struct spm_db *db, uint64_t max_rows,
			     uint64_t max_bytes);

typedef struct spm__csv_reader spm__csv_reader;

/* opts may be NULL (defaults); it is copied. On failure *out is NULL.
 * Returns SPM_OK, SPM_EINVAL (NULL out or cb, a partial allocator) or
 * SPM_ENOMEM. Free with spm__csv_reader_free. */
int spm__csv_reader_new(spm__csv_reader **out, const spm__csv_options *opts,
			spm__csv_row_cb cb, void *payload);

/* Feeds the next len bytes; chunks may split anything (a quoted field, a
 * CRLF, a UTF-8 sequence, the byte-order mark). Rows complete in the data
 * fed so far are delivered before it returns; the last row waits for
 * spm__csv_reader_finish. data is not kept. Returns SPM_OK (bad rows that
 * the callback skipped included), a fatal error's code, or the callback's
 * non-zero value. */
int spm__csv_reader_feed(spm__csv_reader *r, const char *data, size_t len);

/* Ends the input: delivers the last row (no final line break needed) and
 * reports an unterminated quote. Same returns as feed; feeding after finish
 * is SPM_EINVAL. */
int spm__csv_reader_finish(spm__csv_reader *r);

/* Rows delivered without error, and bad rows reported, so far. */
uint64_t spm__csv_reader_good_rows(const spm__csv_reader *r);
uint64_t spm__csv_reader_bad_rows(const spm__csv_reader *r);

/* Accepts NULL. */
void spm__csv_reader_free(spm__csv_reader *r);

/* new + feed(data, len) + finish + free. */
int spm__csv_parse(const char *data, size_t len, const spm__csv_options *opts,
		   spm__csv_row_cb cb, void *payload);

/* ---- writer ----
 *
 * Output: RFC 4180, UTF-8, CRLF after every row (SPM__CSV_WRITE_LF: LF), a
 * UTF-8 byte-order mark first with SPM__CSV_WRITE_BOM (spreadsheets need it
 * to recognise UTF-8).
 *
 * A cell is quoted only when needed: it holds a comma, a quote, CR or LF, it
 * starts or ends with a space or TAB, it is the only cell of its row and
 * empty (`""`, else the line would be empty and skipped on reading), it is
 * the first cell of the output and starts with U+FEFF (which a reader would
 * take for a byte-order mark), or SPM__CSV_QUOTED is set. Quotes are doubled.
 *
 * Formula injection (OWASP "CSV injection"): a cell whose first byte is
 * = + - @ TAB or CR is written with a single quote ' in front, so that a
 * spreadsheet shows it as text instead of running it. Reading the file back
 * gives the cell with the ' in front. SPM__CSV_NUMERIC exempts a cell only
 * when it is a plain decimal number — optional sign, digits, optional '.'
 * and digits ("-5", "+3.25") — so that negative numbers stay numbers; a
 * cell wrongly flagged numeric ("-1+2", "=1") is neutralised all the same.
 */

#define SPM__CSV_WRITE_LF  0x1u
#define SPM__CSV_WRITE_BOM 0x2u

/* Receives the output; a non-zero return stops the writer and comes back
 * from spm__csv_writer_row. */
typedef int (*spm__csv_write_cb)(const char *data, size_t len, void *payload);

/* Caller-owned, no allocation; fields are private. The callback gets a whole
 * row in one call when the row fits in the buffer (1 KiB), else pieces of
 * it, the last at the end of the row. */
typedef struct spm__csv_writer {
	spm__csv_write_cb write;
	void *payload;
	unsigned flags;
	int stopped;        /* the callback's non-zero value, once it stopped */
	uint64_t rows;
	size_t used;
	char buf[1024];
} spm__csv_writer;

void spm__csv_writer_init(spm__csv_writer *w, unsigned flags,
			  spm__csv_write_cb write, void *payload);

/* Writes one row of ncells (>= 1) cells. Cells are checked first: each must
 * be valid UTF-8 without NUL (ptr may be NULL when len is 0), else
 * SPM_EINVAL and nothing is written. Returns SPM_OK, SPM_EINVAL, or the
 * callback's non-zero value (then the row may be partly written, and every
 * later call returns the same value). */
int spm__csv_writer_row(spm__csv_writer *w, const spm__csv_field *cells, size_t ncells);

#endif
