/* Customer 360: one JSON document with everything about a customer that the
 * actor may see — read through the public query API, so visibility is the
 * same as everywhere — with exact per-currency totals of opportunities and,
 * when those kinds exist, contracts and collections. */
#include "domain/customer.h"
#include "core/registry.h"
#include "core/db_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct spm_customer_view {
	spm_db *db;
	char *json;
	size_t open, won, lost;
};

/* The walk over one related kind. */
struct gather {
	json_t *list;
	json_t *sum;           /* currency → minor units of "amount"; NULL: none */
	json_t *open_sum, *won_sum; /* opportunities: by status */
	size_t open, won, lost;
	int rc;
};

static json_t *record_json(const spm_record *rec)
{
	const char *text = NULL;

	if (spm_record_to_json(&text, rec) != SPM_OK)
		return NULL;
	return json_loads(text, 0, NULL);
}

/* Adds minor to obj[currency], exactly. */
static int add_money(json_t *obj, const char *currency, int64_t minor)
{
	json_t *have = json_object_get(obj, currency);
	int64_t sum = have ? (int64_t)json_integer_value(have) : 0;

	if (__builtin_add_overflow(sum, minor, &sum))
		return spm__error_set(SPM_EOVERFLOW, "the %s total overflows", currency);
	if (json_object_set_new(obj, currency, json_integer(sum)) != 0)
		return spm__error_oom();
	return SPM_OK;
}

static int visit(const spm_record *rec, void *payload)
{
	struct gather *g = payload;
	json_t *obj = record_json(rec);
	const char *currency = NULL, *status = NULL;
	int64_t minor = 0;
	int has_amount;

	if (obj == NULL || json_array_append_new(g->list, obj) != 0) {
		g->rc = spm__error_oom();
		return 1;
	}
	has_amount = spm_record_field_type(&(spm_field_type){ 0 }, rec, "amount") == SPM_OK &&
		     spm_record_get_money(&minor, &currency, rec, "amount") == SPM_OK &&
		     currency != NULL;
	if (g->open_sum) {  /* opportunities */
		spm_record_get_text(&status, rec, "status");
		if (status && strcmp(status, "won") == 0) {
			g->won++;
			if (has_amount)
				g->rc = add_money(g->won_sum, currency, minor);
		} else if (status && strcmp(status, "lost") == 0) {
			g->lost++;
		} else if (status && strcmp(status, "open") == 0) {
			g->open++;
			if (has_amount)
				g->rc = add_money(g->open_sum, currency, minor);
		}
	} else if (g->sum && has_amount) {
		g->rc = add_money(g->sum, currency, minor);
	}
	return g->rc != SPM_OK;
}

/* Every record of kind whose field points at the customer, into g. */
static int gather_kind(struct gather *g, spm_db *db, const char *kind, const char *field,
		       int64_t id)
{
	spm_query *q = NULL;
	int rc = spm_query_new(&q, db, kind);

	g->rc = SPM_OK;
	if (rc == SPM_OK)
		rc = spm_query_where_int(q, field, SPM_CMP_EQ, id);
	if (rc == SPM_OK && strcmp(kind, "ownership_change") == 0)
		rc = spm_query_where_text(q, "kind", SPM_CMP_EQ, "customer");
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, visit, g);
	spm_query_free(q);
	return rc == 1 ? g->rc : rc;
}

static int by_newest(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t ax = json_integer_value(json_object_get(json_object_get(x, "fields"), "at"));
	json_int_t ay = json_integer_value(json_object_get(json_object_get(y, "fields"), "at"));
	json_int_t ix = json_integer_value(json_object_get(x, "id"));
	json_int_t iy = json_integer_value(json_object_get(y, "id"));

	if (ax != ay)
		return ax > ay ? -1 : 1;
	return ix > iy ? -1 : ix < iy;
}

static int newest_first(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **items = n ? malloc(n * sizeof(*items)) : NULL;

	if (n && items == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	if (n)
		qsort(items, n, sizeof(*items), by_newest);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	return SPM_OK;
}

static json_t *tag_list(const spm_record *customer)
{
	const char *tags = NULL, *p;
	json_t *arr = json_array();

	spm_record_get_text(&tags, customer, "tags");
	for (p = tags; arr && p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		json_array_append_new(arr, json_stringn(p, len));
		p += len + (comma != NULL);
	}
	return arr;
}

/* Fills doc; the caller frees it. */
static int build(struct spm_customer_view *v, json_t *doc, spm_db *db, int64_t id)
{
	spm_record *customer = NULL;
	struct gather g;
	json_t *totals;
	int rc = spm_record_get(&customer, db, "customer", id);

	if (rc != SPM_OK)
		return rc;
	memset(&g, 0, sizeof(g));
	json_object_set_new(doc, "customer", record_json(customer));
	json_object_set_new(doc, "tags", tag_list(customer));
	spm_record_free(customer);
	json_object_set_new(doc, "contacts", g.list = json_array());
	rc = gather_kind(&g, db, "contact", "customer_id", id);
	json_object_set_new(doc, "activities", g.list = json_array());
	if (rc == SPM_OK)
		rc = gather_kind(&g, db, "activity", "customer_id", id);
	if (rc == SPM_OK)
		rc = newest_first(g.list);
	json_object_set_new(doc, "ownership_history", g.list = json_array());
	if (rc == SPM_OK)
		rc = gather_kind(&g, db, "ownership_change", "entity_id", id);
	if (rc == SPM_OK && spm__kind_find(db, "opportunity", 0)) {
		json_object_set_new(doc, "opportunities", g.list = json_array());
		g.open_sum = json_object();
		g.won_sum = json_object();
		rc = gather_kind(&g, db, "opportunity", "customer_id", id);
		totals = json_pack("{sIsIsIsoso}", "open", (json_int_t)g.open, "won",
				   (json_int_t)g.won, "lost", (json_int_t)g.lost, "open_amount",
				   g.open_sum, "won_amount", g.won_sum);
		json_object_set_new(doc, "opportunity_totals", totals);
		g.open_sum = NULL;
		v->open = g.open;
		v->won = g.won;
		v->lost = g.lost;
	}
	if (rc == SPM_OK && spm__kind_find(db, "contract", 0)) {
		json_object_set_new(doc, "contracts", g.list = json_array());
		json_object_set_new(doc, "contract_totals", g.sum = json_object());
		rc = gather_kind(&g, db, "contract", "customer_id", id);
	}
	if (rc == SPM_OK && spm__kind_find(db, "payment", 0)) {
		g.list = json_array();
		json_object_set_new(doc, "collection_totals", g.sum = json_object());
		rc = gather_kind(&g, db, "payment", "customer_id", id);
		json_decref(g.list);
	}
	return rc;
}

int spm_customer_360(spm_customer_view **out, spm_db *db, int64_t customer)
{
	struct spm_customer_view *v;
	json_t *doc;
	int rc;

	SPM__CHECK_ARG(out);
	*out = NULL;
	SPM__CHECK_ARG(db);
	v = spm__malloc(db, sizeof(*v));
	doc = json_object();
	if (v == NULL || doc == NULL) {
		spm__free(db, v);
		json_decref(doc);
		return spm__error_oom();
	}
	memset(v, 0, sizeof(*v));
	v->db = db;
	rc = build(v, doc, db, customer);
	if (rc == SPM_OK) {
		char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		size_t len = text ? strlen(text) : 0;

		v->json = text ? spm__malloc(db, len + 1) : NULL;
		if (v->json)
			memcpy(v->json, text, len + 1);
		else
			rc = spm__error_oom();
		free(text);
	}
	json_decref(doc);
	if (rc != SPM_OK) {
		spm_customer_view_free(v);
		return rc;
	}
	*out = v;
	return SPM_OK;
}

const char *spm_customer_view_json(const spm_customer_view *view)
{
	return view ? view->json : NULL;
}

int spm_customer_view_opportunities(size_t *out_open, size_t *out_won, size_t *out_lost,
				    const spm_customer_view *view)
{
	SPM__CHECK_ARG(view);
	if (out_open)
		*out_open = view->open;
	if (out_won)
		*out_won = view->won;
	if (out_lost)
		*out_lost = view->lost;
	return SPM_OK;
}

void spm_customer_view_free(spm_customer_view *view)
{
	if (view == NULL)
		return;
	spm__free(view->db, view->json);
	spm__free(view->db, view);
}
