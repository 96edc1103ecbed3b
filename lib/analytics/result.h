/* Building result sets (spm_result, report.h) inside the library. */
#ifndef SPM_ANALYTICS_RESULT_H
#define SPM_ANALYTICS_RESULT_H

#include "core/db_internal.h"

struct spm__rcell {
	int64_t v;
	char *text;
	char cur[4];
	unsigned char null;
};

struct spm_result {
	spm_db *db;
	size_t ncols, nrows, rcap;
	char **names;
	int *types;
	struct spm__rcell *cells;  /* nrows * ncols */
	int drill;
	size_t *idoff;             /* nrows + 1 when drill */
	int64_t *ids;
};

int spm__result_new(spm_result **out, spm_db *db, size_t ncols);
/* Names column col (copied). */
int spm__result_col(spm_result *r, size_t col, const char *name, int type);
/* Appends a row of empty cells; *out is its index. */
int spm__result_row(size_t *out, spm_result *r);
void spm__result_int(spm_result *r, size_t row, size_t col, int64_t v);
void spm__result_money(spm_result *r, size_t row, size_t col, int64_t v, const char *cur);
int spm__result_text(spm_result *r, size_t row, size_t col, const char *s);
/* Hands over the drill-down ids: off has nrows + 1 entries (both from spm__malloc). */
void spm__result_ids(spm_result *r, size_t *off, int64_t *ids);

#endif
