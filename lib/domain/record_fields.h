/* Reading and writing core fields of a record by name, for the domain
 * rules (which name fields, not indexes). */
#ifndef SPM_DOMAIN_RECORD_FIELDS_H
#define SPM_DOMAIN_RECORD_FIELDS_H

#include "core/record_internal.h"

#include <string.h>

/* Index of a core field, or -1. */
static inline long spm__fld_idx(const spm_record *rec, const char *name)
{
	return spm__core_index(rec->kind, name);
}

/* 1 when the core field exists and has a value. */
static inline int spm__fld_has(const spm_record *rec, const char *name)
{
	long i = spm__fld_idx(rec, name);

	return i >= 0 && !spm_record_value_null(rec, (size_t)i);
}

/* An integer-like core value; 0 when none. */
static inline int64_t spm__fld_num(const spm_record *rec, const char *name)
{
	return spm__fld_has(rec, name) ? spm_record_value_int(rec, (size_t)spm__fld_idx(rec, name))
				       : 0;
}

/* qsort order of records (spm_record *) by their "position" field, then id:
 * rules, flows and stages are applied in this order. */
static inline int spm__cmp_position(const void *a, const void *b)
{
	const spm_record *x = *(spm_record *const *)a, *y = *(spm_record *const *)b;
	int64_t px = spm__fld_num(x, "position"), py = spm__fld_num(y, "position");

	if (px != py)
		return px < py ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* A text core value (borrowed while rec lives); NULL when none. */
static inline const char *spm__fld_text(const spm_record *rec, const char *name)
{
	long i = spm__fld_idx(rec, name);

	return i >= 0 ? spm_record_value_text(rec, (size_t)i, NULL) : NULL;
}

static inline int spm__fld_put_num(spm_record *rec, const char *name, int64_t v)
{
	return spm__record_put_int(rec, (size_t)spm__fld_idx(rec, name), v);
}

static inline int spm__fld_put_text(spm_record *rec, const char *name, const char *v)
{
	return spm__record_put_text(rec, (size_t)spm__fld_idx(rec, name), v, strlen(v));
}

/* 1 when s is want (NULL is nothing). */
static inline int spm__fld_is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

#endif
