/* This handle's own writes, kept for the analytics cache: every record the
 * open write transaction stores (lib/core/store.c) of a kind the cache holds
 * is copied; at commit the copies wait for the next query, which applies
 * them from memory instead of reading them back from storage
 * (apply_own in cache.c) when the change sequences follow on from
 * what the cache already holds. A write log that grows past WLOG_MAX
 * records is given up: the next query reads storage as usual. */
#include "analytics/cache.h"
#include "core/record_internal.h"

#include <string.h>

#define WLOG_MAX 65536

void spm__wlog_clear(spm_db *db, struct spm__wlog *w)
{
	for (size_t i = 0; i < w->n; i++)
		spm_record_free(w->rec[i]);
	spm__free(db, w->rec);
	memset(w, 0, sizeof(*w));
}

static void give_up(spm_db *db, struct spm__wlog *w)
{
	spm__wlog_clear(db, w);
	w->broken = 1;
}

static void keep(spm_db *db, struct spm__acache *c, spm_record *rec)
{
	struct spm__wlog *w = &c->open;

	if (rec == NULL || w->n >= WLOG_MAX) {
		spm_record_free(rec);
		give_up(db, w);
		return;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		spm_record **p = spm__realloc(db, w->rec, cap * sizeof(*p));
		if (p == NULL) {
			spm_record_free(rec);
			give_up(db, w);
			return;
		}
		w->rec = p;
		w->cap = cap;
	}
	w->rec[w->n++] = rec;
}

void spm__acache_txn_begin(spm_db *db)
{
	struct spm__acache *c = db->acache;

	if (c == NULL)
		return;
	spm__wlog_clear(db, &c->open);
	c->noting = 1;
}

void spm__acache_note(spm_db *db, const spm_record *rec)
{
	struct spm__acache *c = db->acache;
	spm_record *copy = NULL;

	if (c == NULL || !c->noting || c->open.broken ||
	    spm__acache_table_of(c, rec->kind->name) == NULL)
		return;
	if (spm__record_copy(&copy, rec) != SPM_OK)
		copy = NULL;  /* kept as "given up": the next query reads storage */
	keep(db, c, copy);
}

void spm__acache_note_removed(spm_db *db, const spm_kind *kind, int64_t id, int64_t seq)
{
	struct spm__acache *c = db->acache;
	spm_record *tomb = NULL;

	if (c == NULL || !c->noting || c->open.broken ||
	    spm__acache_table_of(c, kind->name) == NULL)
		return;
	if (spm_record_alloc(&tomb, db, kind, id, seq, 1) != SPM_OK)
		tomb = NULL;
	keep(db, c, tomb);
}

void spm__acache_txn_end(spm_db *db, int committed, int64_t seq)
{
	struct spm__acache *c = db->acache;
	struct spm__wlog *o, *d;

	if (c == NULL)
		return;
	o = &c->open;
	d = &c->done;
	if (!c->noting) {
		/* the cache was made inside this transaction: what it holds of
		 * it is unknown, so the next query reads storage */
		if (committed) {
			give_up(db, d);
			c->known = 0;
		}
		return;
	}
	c->noting = 0;
	if (!committed) {
		spm__wlog_clear(db, o);
		return;
	}
	if (o->broken || d->broken || (d->active && seq != d->last + 1)) {
		/* a write not kept, or another transaction in between */
		spm__wlog_clear(db, o);
		give_up(db, d);
		return;
	}
	if (!d->active) {
		*d = *o;
		d->first = d->last = seq;
		d->active = 1;
		memset(o, 0, sizeof(*o));
		return;
	}
	if (d->n + o->n > WLOG_MAX) {
		spm__wlog_clear(db, o);
		give_up(db, d);
		return;
	}
	if (d->n + o->n > d->cap) {
		spm_record **p = spm__realloc(db, d->rec, (d->n + o->n) * sizeof(*p));
		if (p == NULL) {
			spm__wlog_clear(db, o);
			give_up(db, d);
			return;
		}
		d->rec = p;
		d->cap = d->n + o->n;
	}
	if (o->n > 0)
		memcpy(d->rec + d->n, o->rec, o->n * sizeof(*o->rec));
	d->n += o->n;
	d->last = seq;
	spm__free(db, o->rec);
	memset(o, 0, sizeof(*o));
}
