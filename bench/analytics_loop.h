/* The plain-loop peer of the analytics benchmark: the columns the three
 * questions need, read straight from the SQLite file (not through libspm)
 * into bare arrays, and straightforward single-threaded loops over them, as
 * a competent C programmer would write them in an afternoon. It answers for
 * everything live (no visibility), makes no result sets and ignores
 * currencies: the library does all three. */
#ifndef BENCH_ANALYTICS_LOOP_H
#define BENCH_ANALYTICS_LOOP_H

#include "analytics_digest.h"

#include <stddef.h>
#include <stdint.h>

#define LOOP_NONE INT64_MIN /* a date or amount that is not there */

struct loop_data {
	/* stages, by index: id, pipeline, position (ordered by pipeline, position) */
	size_t nst;
	int64_t *st_id, *st_pipe;
	/* live deals, by index (in id order) */
	size_t n;
	int32_t *owner;       /* 0: none */
	int32_t *stage;       /* current stage's index, -1: none or unknown */
	uint8_t *status;      /* LOOP_OPEN, LOOP_WON, LOOP_LOST */
	int64_t *amount;      /* LOOP_NONE: no amount */
	int64_t *opened;      /* opened_at, else created_at; LOOP_NONE: neither */
	int64_t *closed;      /* LOOP_NONE: not closed */
	int32_t max_owner;
	/* stage history: deal i's rows are hoff[i] .. hoff[i + 1] - 1 */
	uint32_t *hoff;
	int32_t *hstage;      /* stage index */
	int64_t *hat;
	size_t nh;
};

enum { LOOP_OPEN, LOOP_WON, LOOP_LOST };

/* Reads path (read-only) into l; exits with a message on failure. */
void loop_load(struct loop_data *l, const char *path);

/* The three questions (funnel of pipeline `pipeline` by owner for stages
 * entered in [from, to); win rate by owner; cycle by owner for won and
 * lost). Returns the number of answer rows; when d is not NULL, also adds
 * the answers to it. */
size_t loop_run(const struct loop_data *l, int64_t pipeline, int64_t from, int64_t to,
		struct digest *d);

void loop_free(struct loop_data *l);

#endif
