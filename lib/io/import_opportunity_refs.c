/* External ids → libspm ids for spm_opp_import(): a sorted table of a
 * kind's key field, read once through a query (so only what the actor may
 * see), looked up by binary search. */
#include "io/import_opportunity_refs.h"

#include <stdlib.h>
#include <string.h>

struct collect {
	spm__opp_keys *keys;
	const char *field;
	int found;
};

static int has_field(const spm_field_info *f, void *payload)
{
	struct collect *c = payload;

	if (strcmp(f->name, c->field) == 0)
		c->found = 1;
	return SPM_OK;
}

static int add_key(const spm_record *rec, void *payload)
{
	struct collect *c = payload;
	spm__opp_keys *k = c->keys;
	const char *text = NULL;
	int rc = spm_record_get_as_text(&text, rec, c->field);

	if (rc != SPM_OK || text == NULL || text[0] == '\0')
		return rc;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct spm__opp_key *grown = spm__realloc(k->db, k->items, cap * sizeof(*grown));

		if (grown == NULL)
			return spm__error_oom();
		k->items = grown;
		k->cap = cap;
	}
	k->items[k->n].key = spm__strdup(k->db, text);
	if (k->items[k->n].key == NULL)
		return spm__error_oom();
	k->items[k->n].id = spm_record_id(rec);
	k->n++;
	return SPM_OK;
}

static int by_key(const void *a, const void *b)
{
	const struct spm__opp_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

int spm__opp_field_exists(int *out, spm_db *db, const char *kind, const char *field)
{
	struct collect c = { NULL, field, 0 };
	int rc = spm_field_foreach(db, kind, has_field, &c);

	*out = c.found;
	return rc;
}

int spm__opp_keys_load(spm__opp_keys *keys, spm_db *db, const char *kind, const char *field)
{
	struct collect c = { keys, field, 0 };
	spm_query *q = NULL;
	int rc;

	memset(keys, 0, sizeof(*keys));
	keys->db = db;
	rc = spm__opp_field_exists(&c.found, db, kind, field);
	if (rc != SPM_OK || !c.found)
		return rc;
	rc = spm_query_new(&q, db, kind);
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, add_key, &c);
	spm_query_free(q);
	if (rc == SPM_OK && keys->n > 1)
		qsort(keys->items, keys->n, sizeof(*keys->items), by_key);
	return rc;
}

int64_t spm__opp_keys_find(const spm__opp_keys *keys, const char *key, size_t *nmatches)
{
	size_t lo = 0, hi = keys->n, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(keys->items[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < keys->n && strcmp(keys->items[lo].key, key) == 0)
		lo++;
	*nmatches = lo - first;
	return lo > first ? keys->items[first].id : 0;
}

void spm__opp_keys_clear(spm__opp_keys *keys)
{
	for (size_t i = 0; i < keys->n; i++)
		spm__free(keys->db, keys->items[i].key);
	spm__free(keys->db, keys->items);
	memset(keys, 0, sizeof(*keys));
}
