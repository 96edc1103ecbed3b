/* The in-memory record. Values are indexed like the kind's fields; a record
 * made before a custom field was added simply has fewer values. */
#ifndef SPM_CORE_RECORD_INTERNAL_H
#define SPM_CORE_RECORD_INTERNAL_H

#include "core/registry.h"

struct spm__value {
	int64_t i;          /* integer, date, boolean, time, money minor units */
	char *s;            /* text, enum */
	size_t len;
	char cur[4];        /* money currency */
	unsigned char has;  /* 1: a value; 0: none (NULL) */
	unsigned char dirty;
};

struct spm_record {
	spm_db *db;
	spm_kind *kind;
	int64_t id;
	int64_t seq;
	int deleted;
	size_t nvalues;
	struct spm__value *v;
	char *scratch;      /* the last get_as_text()/to_json() result: a cache, so
	                       those take a const record */
};

int spm__record_make(spm_record **out, spm_db *db, spm_kind *kind);
/* Makes room for every field the kind has now. */
int spm__record_fit(spm_record *rec);
/* Unchecked setters used by the library itself (they mark the value dirty). */
int spm__record_put_int(spm_record *rec, size_t i, int64_t value);
int spm__record_put_text(spm_record *rec, size_t i, const char *s, size_t len);
int spm__record_put_money(spm_record *rec, size_t i, int64_t minor, const char *currency);
void spm__record_put_null(spm_record *rec, size_t i);
/* Copies value i of src into rec (marking it dirty). */
int spm__record_copy_value(spm_record *rec, size_t i, const spm_record *src);
/* 1 when value i of a and b are equal (both NULL counts as equal). */
int spm__value_equal(const struct spm__value *a, const struct spm__value *b);
/* Renders value i as text; *out is NULL for no value, else caller frees with spm__free. */
int spm__record_render(char **out, const spm_record *rec, size_t i);
void spm__record_clear_dirty(spm_record *rec);
/* Replaces the record's scratch text (owned by rec from now on). */
void spm__record_set_scratch(const spm_record *rec, char *text);
/* "YYYY-MM-DDTHH:MM:SSZ"; buf needs 21 bytes. */
int spm__format_time(char *buf, size_t size, spm_time t);
/* Whether a stored integer is a value field i of rec's kind may hold (a date
 * or time in range, a boolean 0 or 1): the checks the setters make. */
int spm__record_int_valid(const spm_record *rec, size_t i, int64_t v);
/* 1 unless f is an enum and value is none of its choices (record_access.c:
 * what spm_record_set_text() demands, and what a stored value must meet). */
int spm__field_choice_ok(const struct spm__field *f, const char *value);
/* Strict decimal int64; SPM_EINVAL or SPM_EOVERFLOW. */
int spm__parse_int(int64_t *out, const char *text);
/* Deep copy. */
int spm__record_copy(spm_record **out, const spm_record *rec);

#endif
