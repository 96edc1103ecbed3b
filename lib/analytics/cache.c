/* Builds the columnar cache from storage scans and catches it up by change
 * sequence: each table remembers the last (seq, id) it saw and asks the
 * backend only for rows written after it, tombstones included. */
#include "analytics/cache.h"
#include "core/registry.h"
#include "core/store.h"
#include "core/txn.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TIME_MAX_U32 ((int64_t)UINT32_MAX)

/* Grows *arr (elements of size) to hold index need-1, zeroing new slots. */
static int grow(spm_db *db, void **arr, size_t size, size_t old, size_t cap)
{
	char *p = spm__realloc(db, *arr, cap * size);

	if (p == NULL)
		return spm__error_oom();
	memset(p + old * size, 0, (cap - old) * size);
	*arr = p;
	return SPM_OK;
}

/* Room for ids up to id: an eighth more than needed, so that a million
 * deals do not pay for a power of two (the memory budget is per deal). */
static size_t next_cap(size_t cap, int64_t id)
{
	size_t c = cap ? cap : 64;

	while ((int64_t)c <= id)
		c += c >= 8 ? c / 8 : 1;  /* opp_shrink may leave a cap below 8 */
	return c;
}

static int id_check(int64_t id, const char *kind)
{
	if (id <= 0 || id > INT32_MAX)
		return spm__error_set(SPM_ERANGE, "%s id %lld is outside the analytics range",
				      kind, (long long)id);
	return SPM_OK;
}

enum { LIM_OPP, LIM_CUSTOMER, LIM_LINE_ITEM, LIM_LEAD, LIM_ACTIVITY, LIM_USER };
static const char *const limit_kinds[] = {
	"opportunity", "customer", "line_item", "lead", "activity", "user"
};

/* Arrays by id grow to the largest id read (and a grouping by owner to the
 * largest owner id). Ids are handed out one by one and rows never go (a
 * delete leaves a tombstone), so a real id is near its kind's row count; an
 * id far beyond it comes from a damaged file and would cost gigabytes. The
 * rows, tombstones included, are counted only when an id passes the last
 * limit: once per kind for a build. Twice the rows and 65,536 more leave
 * room for ids taken without a row (a merge takes one). A backend that
 * cannot count tombstones leaves ids unchecked below INT32_MAX. */
static int id_plausible(spm_db *db, struct spm__acache *c, int which, int64_t id)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, SPM_SCAN_DELETED, NULL, 0 };
	spm_kind *k;
	int64_t rows = 0;
	int rc;

	if (id <= c->id_limit[which])
		return SPM_OK;
	k = spm__kind_find(db, limit_kinds[which], 0);
	if (k == NULL)
		return SPM_OK;
	rc = spm__store_count(db, &rows, k, &all);
	if (rc == SPM_EINVAL) {
		c->id_limit[which] = INT32_MAX;
		return SPM_OK;
	}
	if (rc != SPM_OK)
		return rc;
	c->id_limit[which] = 2 * rows + 65536;
	if (id > c->id_limit[which])
		return spm__error_set(SPM_ECORRUPT, "%s id %lld is far beyond the %lld stored "
				      "(a damaged file?)", limit_kinds[which], (long long)id,
				      (long long)rows);
	return SPM_OK;
}

static int opp_fit(spm_db *db, struct spm__acache *c, int64_t id)
{
	size_t old = c->ocap, cap;
	int rc;

	if ((rc = id_check(id, "opportunity")) != SPM_OK || (int64_t)old > id ||
	    (rc = id_plausible(db, c, LIM_OPP, id)) != SPM_OK)
		return rc;
	cap = next_cap(old, id);
	if ((rc = grow(db, (void **)&c->ostate, 1, old, cap)) ||
	    (rc = grow(db, (void **)&c->ocur, 1, old, cap)) ||
	    (rc = grow(db, (void **)&c->owner, 4, old, cap)) ||
	    (rc = grow(db, (void **)&c->customer, 4, old, cap)) ||
	    (rc = grow(db, (void **)&c->ostage, 2, old, cap)) ||
	    (rc = grow(db, (void **)&c->osource, 2, old, cap)) ||
	    (rc = grow(db, (void **)&c->amount, 8, old, cap)) ||
	    (rc = grow(db, (void **)&c->expect, 4, old, cap)) ||
	    (rc = grow(db, (void **)&c->opened, 4, old, cap)) ||
	    (rc = grow(db, (void **)&c->closed, 4, old, cap)))
		return rc;
	for (size_t k = 0; k < c->nccols; k++)
		if ((rc = grow(db, (void **)&c->ccols[k].code, 4, old, cap)) ||
		    (c->ccols[k].val && (rc = grow(db, (void **)&c->ccols[k].val, 8, old, cap))))
			return rc;
	/* the history offsets follow the opportunities: new ones have no rows */
	if (c->hoff) {
		uint32_t *p = spm__realloc(db, c->hoff, (cap + 1) * sizeof(*p));
		if (p == NULL)
			return spm__error_oom();
		for (size_t i = old + 1; i <= cap; i++)
			p[i] = p[old];
		c->hoff = p;
		if ((rc = grow(db, (void **)&c->hmask, 1, old, cap)) != SPM_OK)
			return rc;
	}
	c->ocap = cap;
	return SPM_OK;
}

/* After a load from scratch: no spare room (the budget is per deal). */
static void opp_shrink(spm_db *db, struct spm__acache *c)
{
	size_t cap = (size_t)c->omax + 1;
	void **arrays[] = { (void **)&c->ostate, (void **)&c->ocur, (void **)&c->owner,
			    (void **)&c->customer, (void **)&c->ostage, (void **)&c->osource,
			    (void **)&c->amount, (void **)&c->expect, (void **)&c->opened,
			    (void **)&c->closed };
	const size_t sizes[] = { 1, 1, 4, 4, 2, 2, 8, 4, 4, 4 };

	if (cap >= c->ocap || c->hoff != NULL)
		return;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		void *p = spm__realloc(db, *arrays[k], cap * sizes[k]);
		if (p)  /* a failed shrink keeps the larger array: still correct */
			*arrays[k] = p;
		else
			return;
	}
	for (size_t k = 0; k < c->nccols; k++) {
		void *p = spm__realloc(db, c->ccols[k].code, cap * 4);
		if (p == NULL)
			return;
		c->ccols[k].code = p;
		if (c->ccols[k].val && (p = spm__realloc(db, c->ccols[k].val, cap * 8)) == NULL)
			return;
		if (c->ccols[k].val)
			c->ccols[k].val = p;
	}
	c->ocap = cap;
}

static long idx(const spm_record *rec, const char *name)
{
	return spm__core_index(rec->kind, name);
}

static int has(const spm_record *rec, long i)
{
	return i >= 0 && !spm_record_value_null(rec, (size_t)i);
}

static int64_t ival(const spm_record *rec, long i)
{
	return has(rec, i) ? spm_record_value_int(rec, (size_t)i) : 0;
}

static const char *sval(const spm_record *rec, long i)
{
	return has(rec, i) ? spm_record_value_text(rec, (size_t)i, NULL) : NULL;
}

static int time_u32(uint32_t *out, const spm_record *rec, long i)
{
	int64_t t = ival(rec, i);

	if (t < 0 || t > TIME_MAX_U32)
		return spm__error_set(SPM_ERANGE, "%s %lld: %s is outside the analytics range "
				      "(1970..2106)", rec->kind->name, (long long)rec->id,
				      spm_kind_field_name(rec->kind, (size_t)i));
	*out = (uint32_t)t;
	return SPM_OK;
}

static int outcome_of(const char *s)
{
	if (s && strcmp(s, "won") == 0)
		return SPM__OS_WON;
	if (s && strcmp(s, "lost") == 0)
		return SPM__OS_LOST;
	return SPM__OS_OPEN;
}

long spm__acache_stage(const struct spm__acache *c, int64_t id)
{
	for (size_t i = 0; i < c->nstages; i++)
		if (c->stages[i].id == id)
			return (long)i;
	return -1;
}

static int pipe_code(uint16_t *out, spm_db *db, struct spm__acache *c, int64_t id)
{
	for (size_t i = 0; i < c->npipes; i++)
		if (c->pipes[i] == id) {
			*out = (uint16_t)(i + 1);
			return SPM_OK;
		}
	if (c->npipes >= 65535)
		return spm__error_set(SPM_ELIMIT, "more than 65535 pipelines");
	if (c->npipes == c->pipes_cap) {
		size_t cap = c->pipes_cap ? c->pipes_cap * 2 : 8;
		int64_t *p = spm__realloc(db, c->pipes, cap * sizeof(*p));
		if (p == NULL)
			return spm__error_oom();
		c->pipes = p;
		c->pipes_cap = cap;
	}
	c->pipes[c->npipes++] = id;
	*out = (uint16_t)c->npipes;
	return SPM_OK;
}

/* Core fields of opportunities and stage changes by index, looked up once
 * per scan rather than by name for every record. */
enum { OF_STATUS, OF_OPENED, OF_CREATED, OF_OWNER, OF_CUSTOMER, OF_STAGE, OF_AMOUNT, OF_CLOSED,
       OF_EXPECT, OF_SOURCE, HF_OPP, HF_TO, HF_FROM, HF_AT, NFIELDS };

static const char *const field_names[NFIELDS] = {
	"status", "opened_at", "created_at", "owner_id", "customer_id", "stage_id", "amount",
	"closed_at", "expected_close", "source", "opportunity_id", "to_stage_id",
	"from_stage_id", "at"
};

struct load {
	spm_db *db;
	struct spm__acache *c;
	struct spm__table *t;
	int full;              /* a load from scratch: every row is new */
	int history_edited;
	long f[NFIELDS];       /* of the scanned kind; -1 where it has none */
};

static void seen(struct load *l, const spm_record *rec)
{
	l->t->seq = rec->seq;
	l->t->id = rec->id;
	if (rec->seq > l->c->known)
		l->c->known = rec->seq;
}

static int load_stage(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	long i = spm__acache_stage(c, rec->id);
	struct spm__stage *s;
	int rc = SPM_OK;

	if (i < 0) {
		if (c->nstages >= 65535)
			rc = spm__error_set(SPM_ELIMIT, "more than 65535 stages");
		if (rc == SPM_OK && c->nstages == c->stages_cap) {
			size_t cap = c->stages_cap ? c->stages_cap * 2 : 16;
			struct spm__stage *p = spm__realloc(l->db, c->stages, cap * sizeof(*p));
			if (p == NULL)
				rc = spm__error_oom();
			else {
				c->stages = p;
				c->stages_cap = cap;
			}
		}
		if (rc == SPM_OK) {
			i = (long)c->nstages++;
			memset(&c->stages[i], 0, sizeof(c->stages[i]));
			c->stages[i].id = rec->id;
		}
	}
	if (rc == SPM_OK) {
		s = &c->stages[i];
		c->hmask_ok = 0;  /* a new or changed stage: the masks are made again */
		spm__free(l->db, s->name);
		/* a tombstone keeps only its id, as when a load from scratch
		 * meets it: no pipeline, so it counts in none */
		memset(s, 0, sizeof(*s));
		s->id = rec->id;
		s->live = !rec->deleted;
		if (s->live) {
			s->pipeline_id = ival(rec, idx(rec, "pipeline_id"));
			rc = pipe_code(&s->pipe, l->db, c, s->pipeline_id);
			s->position = ival(rec, idx(rec, "position"));
			s->probability = has(rec, idx(rec, "probability")) ?
				ival(rec, idx(rec, "probability")) : -1;
			s->outcome = outcome_of(sval(rec, idx(rec, "outcome")));
			s->name = spm__strdup(l->db, sval(rec, idx(rec, "name")) ?
					      sval(rec, idx(rec, "name")) : "");
			if (s->name == NULL && rc == SPM_OK)
				rc = spm__error_oom();
		}
	}
	if (rc == SPM_OK)
		seen(l, rec);
	spm_record_free(rec);
	return rc;
}

static int load_custom_value(spm_db *db, struct spm__ccol *col, const spm_record *rec)
{
	char *text = NULL;
	uint32_t code = 0;
	int rc = SPM_OK;
	int has = !rec->deleted && col->index < rec->nvalues && rec->v[col->index].has;
	spm_field_type type = rec->kind->fields[col->index].type;

	if (col->mode == SPM__CC_DAYS) {
		int64_t v = has ? rec->v[col->index].i : 0;
		if (has && type == SPM_FIELD_TIME)
			v = v >= 0 ? v / 86400 : -((-v + 86399) / 86400);
		((int32_t *)col->code)[rec->id] = has ? (int32_t)v : INT32_MIN;
		return SPM_OK;
	}
	if (col->mode == SPM__CC_VALUES) {
		col->val[rec->id] = has ? rec->v[col->index].i : 0;
		if (has && type == SPM_FIELD_MONEY)
			rc = spm__dict_code(&code, db, &col->dict,
					    spm_record_value_currency(rec, col->index), 65535);
		if (rc == SPM_OK)
			col->code[rec->id] = has ? code + 1 : 0;
		return rc;
	}
	if (has)
		rc = spm__record_render(&text, rec, col->index);
	if (rc == SPM_OK)
		rc = spm__dict_code(&code, db, &col->dict, text, UINT32_MAX - 1);
	spm__free(db, text);
	if (rc == SPM_OK)
		col->code[rec->id] = code;
	return rc;
}

static int load_opp(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	int64_t id = rec->id;
	int rc = opp_fit(l->db, c, id);
	uint8_t st = 0, was = 0;
	uint32_t code, opened = 0;

	if (rc == SPM_OK) {
		was = c->ostate[id];
		opened = c->opened[id];
	}
	if (rc == SPM_OK && !rec->deleted) {
		long stage = -1;
		const char *status = sval(rec, l->f[OF_STATUS]);
		long iopen = l->f[OF_OPENED];
		int64_t owner = ival(rec, l->f[OF_OWNER]);
		int64_t cust = ival(rec, l->f[OF_CUSTOMER]);

		if (has(rec, l->f[OF_STAGE]))
			stage = spm__acache_stage(c, ival(rec, l->f[OF_STAGE]));
		if (status)
			st = (uint8_t)outcome_of(status);
		else
			st = stage >= 0 ? (uint8_t)c->stages[stage].outcome : SPM__OS_OPEN;
		if (owner < 0 || owner > INT32_MAX || cust < 0 || cust > INT32_MAX)
			rc = spm__error_set(SPM_ERANGE, "opportunity %lld: an id outside the "
					    "analytics range", (long long)id);
		if (rc == SPM_OK)  /* a grouping by owner has a slot per owner id */
			rc = id_plausible(l->db, c, LIM_USER, owner);
		c->owner[id] = (int32_t)owner;
		if (rc == SPM_OK && owner > c->owner_max)
			c->owner_max = (int32_t)owner;
		c->customer[id] = (int32_t)cust;
		c->ostage[id] = (uint16_t)(stage + 1);
		if (rc == SPM_OK && has(rec, l->f[OF_AMOUNT])) {
			long ia = l->f[OF_AMOUNT];
			st |= SPM__OF_AMOUNT;
			c->amount[id] = spm_record_value_int(rec, (size_t)ia);
			rc = spm__dict_code(&code, l->db, &c->cur,
					    spm_record_value_currency(rec, (size_t)ia), 255);
			c->ocur[id] = (uint8_t)code;
		}
		if (!has(rec, iopen))
			iopen = l->f[OF_CREATED];
		if (rc == SPM_OK && has(rec, iopen)) {
			st |= SPM__OF_OPENED;
			rc = time_u32(&c->opened[id], rec, iopen);
		}
		if (rc == SPM_OK && has(rec, l->f[OF_CLOSED])) {
			st |= SPM__OF_CLOSED;
			rc = time_u32(&c->closed[id], rec, l->f[OF_CLOSED]);
		}
		if (rc == SPM_OK && has(rec, l->f[OF_EXPECT])) {
			st |= SPM__OF_EXPECT;
			c->expect[id] = (int32_t)ival(rec, l->f[OF_EXPECT]);
		}
		if (rc == SPM_OK)
			rc = spm__dict_code(&code, l->db, &c->source,
					    sval(rec, l->f[OF_SOURCE]), 65535);
		c->osource[id] = (uint16_t)code;
	}
	for (size_t k = 0; rc == SPM_OK && k < c->nccols; k++)
		rc = load_custom_value(l->db, &c->ccols[k], rec);
	if (rc == SPM_OK) {
		/* its first history row may stand for entering a stage when it
		 * opened (load_history): a change of that time reloads the rows */
		if ((was & SPM__OF_HISTORY) &&
		    ((was ^ st) & SPM__OF_OPENED || ((st & SPM__OF_OPENED) && c->opened[id] != opened)))
			c->history_redo = 1;
		c->ostate[id] = st | (c->ostate[id] & SPM__OF_HISTORY);
		if (id > c->omax)
			c->omax = id;
		seen(l, rec);
	}
	spm_record_free(rec);
	return rc;
}

static int tail_push(spm_db *db, struct spm__acache *c, int64_t opp, uint16_t stage,
		     uint32_t at)
{
	if (c->dn == c->dcap) {
		size_t cap = c->dcap ? c->dcap * 2 : 1024;
		if (grow(db, (void **)&c->dopp, 4, c->dcap, cap) ||
		    grow(db, (void **)&c->dstage, 2, c->dcap, cap) ||
		    grow(db, (void **)&c->dat, 4, c->dcap, cap))
			return SPM_ENOMEM;
		c->dcap = cap;
	}
	c->dopp[c->dn] = (int32_t)opp;
	c->dstage[c->dn] = stage;
	c->dat[c->dn] = at;
	c->dn++;
	return SPM_OK;
}

static int load_history(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	int rc = SPM_OK;

	if (!l->full && rec->id <= c->hmax) {
		/* an edit or delete of an old row: the sorted rows are rebuilt */
		l->history_edited = 1;
	} else if (!rec->deleted) {
		int64_t opp = ival(rec, l->f[HF_OPP]);
		long stage = has(rec, l->f[HF_TO]) ?
			spm__acache_stage(c, ival(rec, l->f[HF_TO])) : -1;
		uint32_t at = 0;

		rc = opp_fit(l->db, c, opp);
		if (rc == SPM_OK)
			rc = time_u32(&at, rec, l->f[HF_AT]);
		/* A deal created in a stage has no row for entering it (only the
		 * system and importers write one): its first row leaving a stage
		 * means it entered that stage when it was opened. */
		if (rc == SPM_OK && stage >= 0 && !(c->ostate[opp] & SPM__OF_HISTORY) &&
		    (c->ostate[opp] & SPM__OF_OPENED) && c->opened[opp] <= at &&
		    has(rec, l->f[HF_FROM])) {
			long from = spm__acache_stage(c, ival(rec, l->f[HF_FROM]));
			if (from >= 0)
				rc = tail_push(l->db, c, opp, (uint16_t)(from + 1), c->opened[opp]);
		}
		if (rc == SPM_OK && stage >= 0) {
			c->ostate[opp] |= SPM__OF_HISTORY;
			rc = tail_push(l->db, c, opp, (uint16_t)(stage + 1), at);
		}
	}
	if (rc == SPM_OK) {
		if (rec->id > c->hmax)
			c->hmax = rec->id;
		seen(l, rec);
	}
	spm_record_free(rec);
	return rc;
}

/* Sort key of a history row within its opportunity: time, then arrival. */
static int merge(spm_db *db, struct spm__acache *c, size_t n, size_t ncap);

struct hrow {
	uint32_t at;
	uint32_t n;
	uint16_t stage;
};

static int cmp_hrow(const void *a, const void *b)
{
	const struct hrow *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

int spm__acache_merge_history(spm_db *db, struct spm__acache *c)
{
	size_t n = c->hn + c->dn, ncap = c->ocap;

	if (c->hoff && c->dn == 0)
		return SPM_OK;
	return merge(db, c, n, ncap);
}

static int merge(spm_db *db, struct spm__acache *c, size_t n, size_t ncap)
{
	uint32_t *off = spm__calloc(db, ncap + 1, sizeof(*off));
	uint32_t *fill = spm__calloc(db, ncap + 1, sizeof(*fill));
	uint16_t *stage = spm__malloc(db, (n ? n : 1) * sizeof(*stage));
	uint32_t *at = spm__malloc(db, (n ? n : 1) * sizeof(*at));
	uint8_t *mask = spm__malloc(db, ncap ? ncap : 1);
	struct hrow *tmp = NULL;
	size_t tmpcap = 0;
	int rc = SPM_OK;

	if (n > UINT32_MAX)
		rc = spm__error_set(SPM_ELIMIT, "too many stage history rows");
	if (off == NULL || fill == NULL || stage == NULL || at == NULL || mask == NULL)
		rc = spm__error_oom();
	if (rc != SPM_OK)
		goto out;
	for (size_t o = 0; c->hoff && o < ncap; o++)
		off[o + 1] = c->hoff[o + 1] - c->hoff[o];
	for (size_t k = 0; k < c->dn; k++)
		off[c->dopp[k] + 1]++;
	for (size_t o = 0; o < ncap; o++)
		off[o + 1] += off[o];
	memcpy(fill, off, (ncap + 1) * sizeof(*off));
	for (size_t o = 0; c->hoff && o < ncap; o++)
		for (uint32_t r = c->hoff[o]; r < c->hoff[o + 1]; r++) {
			stage[fill[o]] = c->hstage[r];
			at[fill[o]++] = c->hat[r];
		}
	for (size_t k = 0; k < c->dn; k++) {
		stage[fill[c->dopp[k]]] = c->dstage[k];
		at[fill[c->dopp[k]]++] = c->dat[k];
	}
	/* keep each opportunity's rows in time order */
	for (size_t o = 0; o < ncap; o++) {
		size_t len = off[o + 1] - off[o];
		int sorted = 1;
		for (size_t r = off[o] + 1; r < off[o + 1]; r++)
			sorted &= at[r - 1] <= at[r];
		if (sorted)
			continue;
		if (len > tmpcap) {
			struct hrow *p = spm__realloc(db, tmp, len * sizeof(*p));
			if (p == NULL) {
				rc = spm__error_oom();
				goto out;
			}
			tmp = p;
			tmpcap = len;
		}
		for (size_t r = 0; r < len; r++)
			tmp[r] = (struct hrow){ at[off[o] + r], (uint32_t)r, stage[off[o] + r] };
		qsort(tmp, len, sizeof(*tmp), cmp_hrow);
		for (size_t r = 0; r < len; r++) {
			at[off[o] + r] = tmp[r].at;
			stage[off[o] + r] = tmp[r].stage;
		}
	}
	spm__free(db, c->hoff);
	spm__free(db, c->hstage);
	spm__free(db, c->hat);
	spm__free(db, c->hmask);
	c->hoff = off;
	c->hstage = stage;
	c->hat = at;
	c->hmask = mask;
	c->hn = n;
	c->dn = 0;
	spm__acache_history_masks(c);
	if (c->dcap > 4096) {
		/* the first load went through the tail: give its room back */
		spm__free(db, c->dopp);
		spm__free(db, c->dstage);
		spm__free(db, c->dat);
		c->dopp = NULL;
		c->dstage = NULL;
		c->dat = NULL;
		c->dcap = 0;
	}
	off = NULL;
	stage = NULL;
	at = NULL;
	mask = NULL;
out:
	spm__free(db, mask);
	spm__free(db, off);
	spm__free(db, fill);
	spm__free(db, stage);
	spm__free(db, at);
	spm__free(db, tmp);
	return rc;
}

/* Past this many stages every mask says "read the rows" (the funnel's mask
 * path numbers at most 64 stages, kernels.c). */
#define HMASK_STAGES 64

void spm__acache_history_masks(struct spm__acache *c)
{
	uint8_t bit[HMASK_STAGES + 1] = { 0 };  /* by stage code */
	size_t ns = c->nstages;

	if (c->hmask == NULL)
		return;
	for (size_t s = 0; s < ns && ns <= HMASK_STAGES; s++) {
		unsigned r = 0;
		for (size_t t = 0; t < s; t++)
			r += c->stages[t].pipeline_id == c->stages[s].pipeline_id;
		bit[s + 1] = (uint8_t)(r < 7 ? 1u << r : SPM__HMASK_WALK);
	}
	for (size_t i = 0; i < c->ocap; i++) {
		uint32_t k = c->hoff[i], e = c->hoff[i + 1];
		uint8_t m = 0;
		if (ns > HMASK_STAGES) {
			c->hmask[i] = SPM__HMASK_WALK;
			continue;
		}
		for (; k < e; k++) {
			m |= bit[c->hstage[k]];
			if (c->stages[c->hstage[k] - 1].pipeline_id !=
			    c->stages[c->hstage[c->hoff[i]] - 1].pipeline_id)
				m |= SPM__HMASK_WALK;
		}
		c->hmask[i] = m;
	}
	c->hmask_ok = 1;
}

static void history_reset(spm_db *db, struct spm__acache *c)
{
	spm__free(db, c->hoff);
	spm__free(db, c->hstage);
	spm__free(db, c->hat);
	spm__free(db, c->hmask);
	c->hmask = NULL;
	c->hmask_ok = 0;
	c->hoff = NULL;
	c->hstage = NULL;
	c->hat = NULL;
	c->hn = 0;
	c->dn = 0;
	c->hmax = 0;
	memset(&c->hist_t, 0, sizeof(c->hist_t));
}

static int cust_fit(spm_db *db, struct spm__acache *c, int64_t id)
{
	size_t old = c->ccap, cap;
	int rc;

	if ((rc = id_check(id, "customer")) != SPM_OK || (int64_t)old > id ||
	    (rc = id_plausible(db, c, LIM_CUSTOMER, id)) != SPM_OK)
		return rc;
	cap = next_cap(old, id);
	if ((rc = grow(db, (void **)&c->industry, 2, old, cap)) ||
	    (rc = grow(db, (void **)&c->region, 2, old, cap)) ||
	    (rc = grow(db, (void **)&c->level, 2, old, cap)))
		return rc;
	c->ccap = cap;
	return SPM_OK;
}

static int load_customer(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	uint32_t a = 0, b = 0, g = 0;
	int rc = cust_fit(l->db, c, rec->id);

	if (rc == SPM_OK && !rec->deleted) {
		rc = spm__dict_code(&a, l->db, &c->industry_d, sval(rec, idx(rec, "industry")),
				    65535);
		if (rc == SPM_OK)
			rc = spm__dict_code(&b, l->db, &c->region_d,
					    sval(rec, idx(rec, "region")), 65535);
		if (rc == SPM_OK)
			rc = spm__dict_code(&g, l->db, &c->level_d, sval(rec, idx(rec, "level")),
					    65535);
	}
	if (rc == SPM_OK) {
		c->industry[rec->id] = (uint16_t)a;
		c->region[rec->id] = (uint16_t)b;
		c->level[rec->id] = (uint16_t)g;
		seen(l, rec);
	}
	spm_record_free(rec);
	return rc;
}

static int load_line_item(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	uint32_t p = 0;
	int64_t opp = rec->deleted ? 0 : ival(rec, idx(rec, "opportunity_id"));
	int rc = id_check(rec->id, "line_item");

	if (rc == SPM_OK && opp > INT32_MAX)
		rc = id_check(opp, "opportunity");
	if (rc == SPM_OK && (int64_t)c->licap <= rec->id)
		rc = id_plausible(l->db, c, LIM_LINE_ITEM, rec->id);
	if (rc == SPM_OK && (int64_t)c->licap <= rec->id) {
		size_t cap = next_cap(c->licap, rec->id);
		if ((rc = grow(l->db, (void **)&c->li_opp, 4, c->licap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->li_product, 4, c->licap, cap)) == SPM_OK)
			c->licap = cap;
	}
	if (rc == SPM_OK && !rec->deleted)
		rc = spm__dict_code(&p, l->db, &c->product_d, sval(rec, idx(rec, "product")),
				    UINT32_MAX - 1);
	if (rc == SPM_OK) {
		c->li_opp[rec->id] = (int32_t)opp;
		c->li_product[rec->id] = p;
		seen(l, rec);
	}
	spm_record_free(rec);
	return rc;
}

static int load_lead(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	uint32_t src = 0;
	int64_t owner = rec->deleted ? 0 : ival(rec, idx(rec, "owner_id"));
	int rc = id_check(rec->id, "lead");

	if (rc == SPM_OK && (owner < 0 || owner > INT32_MAX))
		rc = id_check(owner, "user");
	if (rc == SPM_OK)
		rc = id_plausible(l->db, c, LIM_USER, owner);
	if (rc == SPM_OK && (int64_t)c->lcap <= rec->id)
		rc = id_plausible(l->db, c, LIM_LEAD, rec->id);
	if (rc == SPM_OK && (int64_t)c->lcap <= rec->id) {
		size_t cap = next_cap(c->lcap, rec->id);
		if ((rc = grow(l->db, (void **)&c->lstate, 1, c->lcap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->lowner, 4, c->lcap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->lsource, 2, c->lcap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->lcreated, 4, c->lcap, cap)) == SPM_OK)
			c->lcap = cap;
	}
	if (rc == SPM_OK && !rec->deleted) {
		const char *status = sval(rec, idx(rec, "status"));
		int converted = (status && strcmp(status, "converted") == 0) ||
			has(rec, idx(rec, "converted_customer_id"));
		rc = spm__dict_code(&src, l->db, &c->lsource_d, sval(rec, idx(rec, "source")),
				    65535);
		if (rc == SPM_OK)
			rc = time_u32(&c->lcreated[rec->id], rec, idx(rec, "created_at"));
		c->lstate[rec->id] = (uint8_t)(1 | (converted ? 2 : 0));
	} else if (rc == SPM_OK) {
		c->lstate[rec->id] = 0;
	}
	if (rc == SPM_OK) {
		c->lowner[rec->id] = (int32_t)owner;
		c->lsource[rec->id] = (uint16_t)src;
		seen(l, rec);
	}
	spm_record_free(rec);
	return rc;
}

static int load_activity(spm_record *rec, void *payload)
{
	struct load *l = payload;
	struct spm__acache *c = l->c;
	uint32_t type = 0;
	int64_t owner = rec->deleted ? 0 : ival(rec, idx(rec, "owner_id"));
	int rc = id_check(rec->id, "activity");

	if (rc == SPM_OK && (owner < 0 || owner > INT32_MAX))
		rc = id_check(owner, "user");
	if (rc == SPM_OK)
		rc = id_plausible(l->db, c, LIM_USER, owner);
	if (rc == SPM_OK && (int64_t)c->acap <= rec->id)
		rc = id_plausible(l->db, c, LIM_ACTIVITY, rec->id);
	if (rc == SPM_OK && (int64_t)c->acap <= rec->id) {
		size_t cap = next_cap(c->acap, rec->id);
		if ((rc = grow(l->db, (void **)&c->alive, 1, c->acap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->aowner, 4, c->acap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->atype, 2, c->acap, cap)) == SPM_OK &&
		    (rc = grow(l->db, (void **)&c->aat, 4, c->acap, cap)) == SPM_OK)
			c->acap = cap;
	}
	if (rc == SPM_OK && !rec->deleted) {
		rc = spm__dict_code(&type, l->db, &c->atype_d, sval(rec, idx(rec, "type")), 65535);
		if (rc == SPM_OK)
			rc = time_u32(&c->aat[rec->id], rec, idx(rec, "at"));
	}
	if (rc == SPM_OK) {
		c->alive[rec->id] = !rec->deleted;
		c->aowner[rec->id] = (int32_t)owner;
		c->atype[rec->id] = (uint16_t)type;
		seen(l, rec);
	}
	spm_record_free(rec);
	return rc;
}

static int catch_up(spm_db *db, struct spm__acache *c, struct spm__table *t, const char *kind,
		    spm_scan_cb cb, int *history_edited)
{
	spm_kind *k = spm__kind_find(db, kind, 0);
	spm_scan s = { SPM_SCAN_VERSION, NULL, 0, t->id, t->seq, 0,
		       SPM_SCAN_BY_SEQ | SPM_SCAN_DELETED, NULL, 0 };
	struct load l = { db, c, t, t->seq == 0 && t->id == 0, 0, { 0 } };
	size_t read[NFIELDS], nread = 0;
	int rc;

	if (k == NULL)
		return spm__error_set(SPM_ENOTFOUND, "no kind '%s' (schema too old)", kind);
	for (int f = 0; f < NFIELDS; f++) {
		l.f[f] = spm__core_index(k, field_names[f]);
		if (l.f[f] >= 0)
			read[nread++] = (size_t)l.f[f];
	}
	/* opportunities and stage changes: only the columns the cache keeps,
	 * no names, texts or custom fields the queries do not use (a backend
	 * may still read whole rows); the other loaders read fields by name */
	if (cb == load_opp || cb == load_history) {
		s.fields = read;
		s.nfields = nread;
	}
	if (cb == load_opp && c->nccols > 0)
		s.flags |= SPM_SCAN_CUSTOM;
	rc = db->ops->scan(db->store, k, &s, cb, &l);
	t->on = 1;
	if (history_edited)
		*history_edited = l.history_edited;
	return rc;
}

/* ---- this handle's own writes, from memory (cache_wlog.c) ---- */

/* The kinds in the order refresh() reads them. */
static const struct {
	const char *kind;
	size_t off;
	spm_scan_cb cb;
} own_kinds[] = {
	{ "stage", offsetof(struct spm__acache, stage_t), load_stage },
	{ "opportunity", offsetof(struct spm__acache, opp_t), load_opp },
	{ "stage_history", offsetof(struct spm__acache, hist_t), load_history },
	{ "customer", offsetof(struct spm__acache, cust_t), load_customer },
	{ "line_item", offsetof(struct spm__acache, li_t), load_line_item },
	{ "lead", offsetof(struct spm__acache, lead_t), load_lead },
	{ "activity", offsetof(struct spm__acache, act_t), load_activity },
};
#define NOWN (sizeof(own_kinds) / sizeof(own_kinds[0]))

static struct spm__table *own_table(struct spm__acache *c, size_t j)
{
	return (struct spm__table *)((char *)c + own_kinds[j].off);
}

const struct spm__table *spm__acache_table_of(const struct spm__acache *c, const char *kind)
{
	for (size_t j = 0; j < NOWN; j++) {
		const struct spm__table *t =
			(const struct spm__table *)((const char *)c + own_kinds[j].off);
		if (strcmp(kind, own_kinds[j].kind) == 0)
			return t->on ? t : NULL;
	}
	return NULL;
}

/* Record order within a kind: id, then change sequence (the last of an id is
 * what storage holds). */
static int cmp_own(const void *a, const void *b)
{
	const spm_record *x = *(spm_record *const *)a, *y = *(spm_record *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorts the log's records by kind (own_kinds order: the log keeps only
 * those, spm__acache_note), id and seq; *from gets each kind's first index
 * (NOWN + 1 entries). */
static void own_sort(struct spm__wlog *d, size_t *from)
{
	size_t k = 0;

	for (size_t j = 0; j < NOWN; j++) {
		from[j] = k;
		for (size_t i = k; i < d->n; i++)
			if (strcmp(d->rec[i]->kind->name, own_kinds[j].kind) == 0) {
				spm_record *t = d->rec[k];
				d->rec[k++] = d->rec[i];
				d->rec[i] = t;
			}
		if (k - from[j] > 1)
			qsort(d->rec + from[j], k - from[j], sizeof(*d->rec), cmp_own);
	}
	from[NOWN] = k;
}

/* Whether the sorted log, which follows on from what the cache holds, can
 * stand for reading storage: no stage change of before is edited (that
 * rebuilds the history), and storage has exactly its rows (tombstones
 * included) since its first change sequence, kind by kind (so no write of
 * these transactions was missed and nothing else was written). */
static int own_usable(spm_db *db, struct spm__acache *c, struct spm__wlog *d, const size_t *from,
		      int *rc)
{
	for (size_t j = 0; j < NOWN; j++) {
		spm_scan since = { SPM_SCAN_VERSION, NULL, 0, 0, d->first - 1, 0, SPM_SCAN_DELETED,
				   NULL, 0 };
		int64_t rows = 0, stored = 0;
		spm_kind *k;
		if (!own_table(c, j)->on)
			continue;  /* nothing of it is kept */
		for (size_t i = from[j]; i < from[j + 1]; i++) {
			rows += i + 1 == from[j + 1] || d->rec[i + 1]->id != d->rec[i]->id;
			if (own_kinds[j].cb == load_history && d->rec[i]->id <= c->hmax)
				return 0;
		}
		k = spm__kind_find(db, own_kinds[j].kind, 0);
		if (k == NULL)
			return 0;
		/* rows and tombstones: the seq index alone counts them. A backend
		 * that cannot count tombstones (SPM_EINVAL) makes the catch-up
		 * read storage instead; other errors are the query's */
		*rc = spm__store_count(db, &stored, k, &since);
		if (*rc == SPM_EINVAL) {
			*rc = SPM_OK;
			return 0;
		}
		if (*rc != SPM_OK || stored != rows)
			return 0;
	}
	return 1;
}

/* Applies the log's records of kind j (sorted, from[j] to from[j + 1])
 * through the loader a scan uses, the last of each id only, and moves the
 * kind's read position past them. */
static int own_apply_kind(spm_db *db, struct spm__acache *c, struct spm__wlog *d,
			  const size_t *from, size_t j)
{
	struct spm__table *t = own_table(c, j);
	spm_kind *k = spm__kind_find(db, own_kinds[j].kind, 0);
	struct load l = { db, c, t, 0, 0, { 0 } };
	int64_t seq = t->seq, id = t->id;
	int rc = SPM_OK;

	for (int f = 0; f < NFIELDS; f++)
		l.f[f] = spm__core_index(k, field_names[f]);
	for (size_t i = from[j]; i < from[j + 1] && rc == SPM_OK; i++) {
		spm_record *rec = d->rec[i];
		d->rec[i] = NULL;
		if (rec->seq > seq || (rec->seq == seq && rec->id > id)) {
			seq = rec->seq;
			id = rec->id;
		}
		if (i + 1 < from[j + 1] && d->rec[i + 1]->id == rec->id)
			spm_record_free(rec);  /* written again later */
		else
			rc = own_kinds[j].cb(rec, &l);
	}
	t->seq = seq;
	t->id = id;
	return rc;
}

/* Applies the writes this handle committed since the last query from its
 * write log when it follows on from what the cache holds and is usable;
 * else drops the log (the catch-up reads them from storage). */
static int apply_own(spm_db *db, struct spm__acache *c)
{
	struct spm__wlog *d = &c->done;
	size_t from[NOWN + 1];
	int rc = SPM_OK, usable = !d->broken && d->active && c->known != 0 &&
		d->first == c->known + 1;

	if (usable) {
		own_sort(d, from);
		usable = own_usable(db, c, d, from, &rc);
	}
	for (size_t j = 0; usable && j < NOWN && rc == SPM_OK; j++)
		if (own_table(c, j)->on)
			rc = own_apply_kind(db, c, d, from, j);
	if (usable && rc == SPM_OK)
		c->known = d->last;
	spm__wlog_clear(db, d);
	return rc;
}

static int refresh(spm_db *db, struct spm__acache *c, unsigned int need)
{
	int edited = 0, rc;

	int first = c->opp_t.seq == 0 && c->opp_t.id == 0;

	rc = apply_own(db, c);
	if (rc == SPM_OK)
		rc = catch_up(db, c, &c->stage_t, "stage", load_stage, NULL);
	if (rc == SPM_OK)
		rc = catch_up(db, c, &c->opp_t, "opportunity", load_opp, NULL);
	if (rc == SPM_OK && first)
		opp_shrink(db, c);
	if (rc == SPM_OK)
		rc = catch_up(db, c, &c->hist_t, "stage_history", load_history, &edited);
	if (rc == SPM_OK && (edited || c->history_redo)) {
		c->history_redo = 0;
		history_reset(db, c);
		for (size_t i = 0; i < c->ocap; i++)  /* the rows are read again */
			c->ostate[i] &= (uint8_t)~SPM__OF_HISTORY;
		rc = catch_up(db, c, &c->hist_t, "stage_history", load_history, NULL);
	}
	/* a first load goes straight into the sorted rows; later appends wait in
	 * the tail until it is an eighth of them */
	if (rc == SPM_OK && (c->hoff == NULL || c->dn > c->hn / 8))
		rc = spm__acache_merge_history(db, c);
	if (rc == SPM_OK && ((need & SPM__NEED_CUSTOMERS) || c->cust_t.on))
		rc = catch_up(db, c, &c->cust_t, "customer", load_customer, NULL);
	if (rc == SPM_OK && ((need & SPM__NEED_LINE_ITEMS) || c->li_t.on))
		rc = catch_up(db, c, &c->li_t, "line_item", load_line_item, NULL);
	if (rc == SPM_OK && ((need & SPM__NEED_LEADS) || c->lead_t.on))
		rc = catch_up(db, c, &c->lead_t, "lead", load_lead, NULL);
	if (rc == SPM_OK && ((need & SPM__NEED_ACTIVITIES) || c->act_t.on))
		rc = catch_up(db, c, &c->act_t, "activity", load_activity, NULL);
	return rc;
}

int spm__acache_get(struct spm__acache **out, spm_db *db, unsigned int need)
{
	struct spm__acache *c = db->acache;
	int rc;

	*out = NULL;
	if (c == NULL) {
		c = spm__calloc(db, 1, sizeof(*c));
		if (c == NULL)
			return spm__error_oom();
		spm_calendar_init(&c->cal, SPM_CALENDAR_VERSION);
		db->acache = c;
	}
	rc = spm__read_begin(db);
	if (rc == SPM_OK) {
		rc = refresh(db, c, need);
		spm__read_end(db);
	}
	if (rc != SPM_OK) {
		/* a half-applied catch-up is not trusted: start over next time */
		spm__acache_free(db);
		return rc;
	}
	*out = c;
	return SPM_OK;
}

int spm__acache_custom(struct spm__ccol **out, spm_db *db, struct spm__acache *c,
		       const char *field, int mode)
{
	spm_kind *k = spm__kind_find(db, "opportunity", 0);
	struct spm__ccol *p;
	size_t index;
	int rc;

	for (size_t i = 0; i < c->nccols; i++)
		if (strcmp(c->ccols[i].field, field) == 0 && c->ccols[i].mode == mode) {
			*out = &c->ccols[i];
			return SPM_OK;
		}
	rc = spm__field_lookup(&index, db, k, field);
	if (rc != SPM_OK)
		return spm__error_set(SPM_ENOTFOUND, "opportunity has no field '%s'", field);
	if (index < k->ncore)
		return spm__error_set(SPM_EINVAL, "'%s' is a core field, not a custom one", field);
	if (mode == SPM__CC_DAYS && k->fields[index].type != SPM_FIELD_DATE &&
	    k->fields[index].type != SPM_FIELD_TIME)
		return spm__error_set(SPM_EINVAL, "opportunity.%s is not a date or time field", field);
	p = spm__realloc(db, c->ccols, (c->nccols + 1) * sizeof(*p));
	if (p == NULL)
		return spm__error_oom();
	c->ccols = p;
	p = &c->ccols[c->nccols];
	memset(p, 0, sizeof(*p));
	p->index = index;
	p->mode = mode;
	p->field = spm__strdup(db, field);
	p->code = spm__calloc(db, c->ocap ? c->ocap : 1, sizeof(*p->code));
	if (mode == SPM__CC_VALUES)
		p->val = spm__calloc(db, c->ocap ? c->ocap : 1, sizeof(*p->val));
	if (p->field == NULL || p->code == NULL || (mode == SPM__CC_VALUES && p->val == NULL)) {
		spm__free(db, p->field);
		spm__free(db, p->code);
		spm__free(db, p->val);
		return spm__error_oom();
	}
	c->nccols++;
	/* the new column needs every opportunity once: rescan them all */
	memset(&c->opp_t, 0, sizeof(c->opp_t));
	rc = spm__read_begin(db);
	if (rc == SPM_OK) {
		rc = catch_up(db, c, &c->opp_t, "opportunity", load_opp, NULL);
		spm__read_end(db);
	}
	if (rc != SPM_OK) {
		spm__acache_free(db);
		return rc;
	}
	*out = &c->ccols[c->nccols - 1];
	return SPM_OK;
}

void spm__acache_free(spm_db *db)
{
	struct spm__acache *c = db->acache;

	if (c == NULL)
		return;
	spm__free(db, c->ostate);
	spm__free(db, c->ocur);
	spm__free(db, c->owner);
	spm__free(db, c->customer);
	spm__free(db, c->ostage);
	spm__free(db, c->osource);
	spm__free(db, c->amount);
	spm__free(db, c->expect);
	spm__free(db, c->opened);
	spm__free(db, c->closed);
	spm__dict_free(db, &c->cur);
	spm__dict_free(db, &c->source);
	for (size_t i = 0; i < c->nccols; i++) {
		spm__free(db, c->ccols[i].field);
		spm__free(db, c->ccols[i].code);
		spm__free(db, c->ccols[i].val);
		spm__dict_free(db, &c->ccols[i].dict);
	}
	spm__free(db, c->ccols);
	spm__wlog_clear(db, &c->open);
	spm__wlog_clear(db, &c->done);
	for (size_t i = 0; i < c->nstages; i++)
		spm__free(db, c->stages[i].name);
	spm__free(db, c->stages);
	spm__free(db, c->pipes);
	history_reset(db, c);
	spm__free(db, c->dopp);
	spm__free(db, c->dstage);
	spm__free(db, c->dat);
	spm__free(db, c->industry);
	spm__free(db, c->region);
	spm__free(db, c->level);
	spm__dict_free(db, &c->industry_d);
	spm__dict_free(db, &c->region_d);
	spm__dict_free(db, &c->level_d);
	spm__free(db, c->li_opp);
	spm__free(db, c->li_product);
	spm__dict_free(db, &c->product_d);
	spm__free(db, c->lstate);
	spm__free(db, c->lowner);
	spm__free(db, c->lsource);
	spm__free(db, c->lcreated);
	spm__dict_free(db, &c->lsource_d);
	spm__free(db, c->alive);
	spm__free(db, c->aowner);
	spm__free(db, c->atype);
	spm__free(db, c->aat);
	spm__dict_free(db, &c->atype_d);
	spm__free(db, c);
	db->acache = NULL;
}

size_t spm__acache_bytes(const struct spm__acache *c)
{
	size_t n = sizeof(*c);

	/* per opportunity: state, currency, owner, customer, stage, source,
	 * amount, expected close, opened, closed, history offset and mask */
	n += c->ocap * (1 + 1 + 4 + 4 + 2 + 2 + 8 + 4 + 4 + 4 + 4 + (c->hmask ? 1 : 0));
	n += c->hn * (2 + 4) + c->dcap * (4 + 2 + 4);
	n += c->nstages * sizeof(struct spm__stage) + c->npipes * 8;
	n += c->ccap * 6 + c->licap * 8 + c->lcap * 11 + c->acap * 11;
	for (size_t i = 0; i < c->nccols; i++)
		n += c->ocap * (c->ccols[i].val ? 12 : 4) + spm__dict_bytes(&c->ccols[i].dict);
	n += spm__dict_bytes(&c->cur) + spm__dict_bytes(&c->source);
	return n;
}
