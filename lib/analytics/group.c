/* Sets up a query run: the records the actor may see and the filters let
 * through, the group codes of each record by dimension (a team row rolls up
 * its whole subtree), period codes on the fiscal calendar, and the row map. */
#include "analytics/engine.h"
#include "analytics/rule_filter.h"
#include "core/registry.h"
#include "core/txn.h"
#include "domain/org.h"

#include <stdlib.h>
#include <string.h>

/* One dated membership: the user was in team (a team code) from .. to,
 * both days included (to INT32_MAX: still). */
struct member {
	int64_t user;
	int32_t from, to;
	uint32_t team;
};

struct teams {
	size_t n;
	int64_t *id, *parent;
	char **name;
	uint32_t *chain_off, *chain;  /* by team code (n + 2 offsets): the team, then its
					 parents; code 0 (no team) is the empty group */
	struct member *m;             /* by user, then from */
	size_t nm;
	uint32_t *moff;               /* by user id (ownmax + 2 offsets) into m */
	int64_t ownmax;
};

static int64_t rec_owner(const struct spm__arun *r, size_t i)
{
	if (r->base == SPM__BASE_OPP)
		return r->c->owner[i];
	if (r->base == SPM__BASE_LEAD)
		return r->c->lowner[i];
	return r->c->aowner[i];
}

static int live(const struct spm__arun *r, size_t i)
{
	if (r->base == SPM__BASE_OPP)
		return (r->c->ostate[i] & SPM__OS_STATUS) != SPM__OS_ABSENT;
	if (r->base == SPM__BASE_LEAD)
		return r->c->lstate[i] != 0;
	return r->c->alive[i];
}

/* The day whose team membership a record counts under (docs/analytics.md):
 * a closed deal's close date, an open deal's today, a lead's creation date,
 * an activity's date. */
static spm_date team_day(const struct spm__arun *r, size_t i, spm_date today)
{
	const struct spm__acache *c = r->c;
	uint8_t st = r->base == SPM__BASE_OPP ? c->ostate[i] : 0;

	if (r->base == SPM__BASE_LEAD)
		return (spm_date)(c->lcreated[i] / 86400);
	if (r->base == SPM__BASE_ACTIVITY)
		return (spm_date)(c->aat[i] / 86400);
	if ((st & SPM__OS_STATUS) != SPM__OS_OPEN && (st & SPM__OF_CLOSED))
		return (spm_date)(c->closed[i] / 86400);
	return today;
}

static int64_t field_int(const spm_record *rec, const char *name)
{
	long i = spm__core_index(rec->kind, name);

	return i >= 0 && !spm_record_value_null(rec, (size_t)i) ?
		spm_record_value_int(rec, (size_t)i) : 0;
}

static int team_index(const struct teams *t, int64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->id[i] == id)
			return (int)i;
	return -1;
}

static void teams_free(spm_db *db, struct teams *t)
{
	for (size_t i = 0; t->name && i < t->n; i++)
		spm__free(db, t->name[i]);
	spm__free(db, t->id);
	spm__free(db, t->parent);
	spm__free(db, t->name);
	spm__free(db, t->chain_off);
	spm__free(db, t->chain);
	spm__free(db, t->m);
	spm__free(db, t->moff);
	memset(t, 0, sizeof(*t));
}

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return x->from < y->from ? -1 : x->from > y->from;
}

/* The team code of user on day: the membership that holds that day, or 0. */
static uint32_t team_at(const struct teams *t, int64_t user, spm_date day)
{
	if (user <= 0 || user > t->ownmax)
		return 0;
	for (uint32_t k = t->moff[user]; k < t->moff[user + 1]; k++)
		if (t->m[k].from <= day && day <= t->m[k].to)
			return t->m[k].team;
	return 0;
}

/* The memberships of the records' owners, by user and date. */
static int load_members(struct teams *t, spm_db *db, const struct spm__page *members)
{
	size_t n = 0;

	t->m = spm__calloc(db, members->n + 1, sizeof(*t->m));
	t->moff = spm__calloc(db, (size_t)t->ownmax + 2, sizeof(*t->moff));
	if (t->m == NULL || t->moff == NULL)
		return spm__error_oom();
	for (size_t i = 0; i < members->n; i++) {
		const spm_record *m = members->recs[i];
		long vt = spm__core_index(m->kind, "valid_to");
		int64_t user = field_int(m, "user_id"), to = field_int(m, "valid_to");
		int k = team_index(t, field_int(m, "team_id"));
		if (user <= 0 || user > t->ownmax || k < 0)
			continue;
		if (spm_record_value_null(m, (size_t)vt) || to > INT32_MAX)
			to = INT32_MAX;
		t->m[n++] = (struct member){ user, (int32_t)field_int(m, "valid_from"),
					     (int32_t)to, (uint32_t)k + 1 };
	}
	qsort(t->m, n, sizeof(*t->m), cmp_member);
	t->nm = n;
	for (size_t i = 0; i < n; i++)
		t->moff[t->m[i].user + 1]++;
	for (int64_t u = 0; u <= t->ownmax; u++)
		t->moff[u + 1] += t->moff[u];
	return SPM_OK;
}

/* Each team code's chain: the team, then its parents up to the root (a
 * cycle cannot be stored, but the walk stops after n steps all the same). */
static int team_chains(struct teams *t, spm_db *db)
{
	t->chain_off = spm__calloc(db, t->n + 2, sizeof(*t->chain_off));
	if (t->chain_off == NULL)
		return spm__error_oom();
	t->chain_off[1] = 1;  /* code 0: the empty group */
	for (size_t code = 1; code <= t->n; code++) {
		size_t len = 0;
		for (int k = (int)code - 1; k >= 0 && len < t->n; len++)
			k = team_index(t, t->parent[k]);
		t->chain_off[code + 1] = t->chain_off[code] + (uint32_t)len;
	}
	t->chain = spm__calloc(db, t->chain_off[t->n + 1], sizeof(*t->chain));
	if (t->chain == NULL)
		return spm__error_oom();
	for (size_t code = 1; code <= t->n; code++) {
		uint32_t at = t->chain_off[code];
		for (int k = (int)code - 1; k >= 0 && at < t->chain_off[code + 1]; at++) {
			t->chain[at] = (uint32_t)k + 1;
			k = team_index(t, t->parent[k]);
		}
	}
	return SPM_OK;
}

/* Teams, their chains, and the owners' dated memberships. */
static int load_teams(struct teams *t, struct spm__arun *r)
{
	spm_db *db = r->db;
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page teams = { NULL, 0, 0 }, members = { NULL, 0, 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < r->nrec; i++)
		if (rec_owner(r, i) > t->ownmax)
			t->ownmax = rec_owner(r, i);
	if ((rc = spm__read_begin(db)) == SPM_OK) {
		rc = spm__scan_page(db, &teams, spm__kind_find(db, "team", 0), &all);
		if (rc == SPM_OK)
			rc = spm__scan_page(db, &members, spm__kind_find(db, "membership", 0), &all);
		spm__read_end(db);
	}
	t->n = teams.n;
	t->id = spm__calloc(db, teams.n + 1, sizeof(*t->id));
	t->parent = spm__calloc(db, teams.n + 1, sizeof(*t->parent));
	t->name = spm__calloc(db, teams.n + 1, sizeof(*t->name));
	if (rc == SPM_OK && (!t->id || !t->parent || !t->name))
		rc = spm__error_oom();
	for (size_t i = 0; rc == SPM_OK && i < teams.n; i++) {
		long ni = spm__core_index(teams.recs[i]->kind, "name");
		const char *name = spm_record_value_text(teams.recs[i], (size_t)ni, NULL);
		t->id[i] = teams.recs[i]->id;
		t->parent[i] = field_int(teams.recs[i], "parent_id");
		t->name[i] = spm__strdup(db, name ? name : "");
		if (t->name[i] == NULL)
			rc = spm__error_oom();
	}
	if (rc == SPM_OK)
		rc = load_members(t, db, &members);
	if (rc == SPM_OK)
		rc = team_chains(t, db);
	spm__page_clear(db, &teams);
	spm__page_clear(db, &members);
	if (rc != SPM_OK)
		teams_free(db, t);
	return rc;
}

static const char *const status_names[] = { NULL, "open", "won", "lost" };

/* Group codes of every base record by one dimension. */
static int build_dim(struct spm__agroups *g, struct teams *teams, struct spm__arun *r, int dim,
		     const char *custom)
{
	spm_db *db = r->db;
	struct spm__acache *c = r->c;
	size_t n = r->nrec ? r->nrec : 1;
	int rc = SPM_OK;

	memset(g, 0, sizeof(*g));
	g->n = 1;
	if (dim == SPM__D_OWNER && r->nrec) {
		/* owner ids are codes already (0: none; never negative, cache.c):
		 * the owner column serves as the keys, no copy (nor a zeroed
		 * array of a million keys to throw away) */
		g->key = (uint32_t *)(uintptr_t)(r->base == SPM__BASE_OPP ? c->owner :
						 r->base == SPM__BASE_LEAD ? c->lowner :
						 c->aowner);
		g->key_borrowed = 1;
	} else if ((g->key = spm__calloc(db, n, sizeof(*g->key))) == NULL) {
		return spm__error_oom();
	}
	switch (dim) {
	case SPM__D_NONE:
		break;
	case SPM__D_OWNER: {
		const int32_t *own = r->base == SPM__BASE_OPP ? c->owner :
			r->base == SPM__BASE_LEAD ? c->lowner : c->aowner;
		int32_t max = r->base == SPM__BASE_OPP ? c->owner_max : 0;
		for (size_t i = 0; r->base != SPM__BASE_OPP && i < r->nrec; i++)
			max = own[i] > max ? own[i] : max;
		g->n = (uint32_t)max + 1;
		g->lint = spm__calloc(db, g->n, sizeof(*g->lint));
		if (g->lint == NULL)
			return spm__error_oom();
		for (uint32_t k = 0; k < g->n; k++)
			g->lint[k] = k;
		break;
	}
	case SPM__D_TEAM: {
		/* the owner's team on the record's day: a deal closed before its
		 * owner moved stays with the old team */
		spm_date today;
		if ((rc = spm_date_from_time(&today, spm_db_now(db))) != SPM_OK)
			return rc;
		if (teams->id == NULL && (rc = load_teams(teams, r)) != SPM_OK)
			return rc;
		for (size_t i = 0; i < r->nrec; i++)
			g->key[i] = team_at(teams, rec_owner(r, i), team_day(r, i, today));
		g->off = teams->chain_off;
		g->list = teams->chain;
		g->n = (uint32_t)teams->n + 1;
		g->lint = spm__calloc(db, g->n, sizeof(*g->lint));
		g->ltext = spm__calloc(db, g->n, sizeof(*g->ltext));
		if (g->lint == NULL || g->ltext == NULL)
			return spm__error_oom();
		for (size_t k = 0; k < teams->n; k++) {
			g->lint[k + 1] = teams->id[k];
			g->ltext[k + 1] = teams->name[k];
		}
		break;
	}
	case SPM__D_SOURCE:
	case SPM__D_TYPE: {
		const struct spm__dict *d = r->base == SPM__BASE_OPP ? &c->source :
			r->base == SPM__BASE_LEAD ? &c->lsource_d : &c->atype_d;
		for (size_t i = 0; i < r->nrec; i++)
			g->key[i] = r->base == SPM__BASE_OPP ? c->osource[i] :
				r->base == SPM__BASE_LEAD ? c->lsource[i] : c->atype[i];
		g->n = d->n ? d->n : 1;
		g->ltext = (const char **)d->s;
		break;
	}
	case SPM__D_INDUSTRY:
	case SPM__D_REGION:
	case SPM__D_GRADE: {
		const uint16_t *col = dim == SPM__D_INDUSTRY ? c->industry :
			dim == SPM__D_REGION ? c->region : c->level;
		const struct spm__dict *d = dim == SPM__D_INDUSTRY ? &c->industry_d :
			dim == SPM__D_REGION ? &c->region_d : &c->level_d;
		for (size_t i = 0; i < r->nrec; i++) {
			int64_t cust = c->customer[i];
			g->key[i] = cust > 0 && (size_t)cust < c->ccap ? col[cust] : 0;
		}
		g->n = d->n ? d->n : 1;
		g->ltext = (const char **)d->s;
		break;
	}
	case SPM__D_PRODUCT: {
		/* an opportunity counts once under each product of its line items */
		uint32_t *cnt = spm__calloc(db, n + 1, sizeof(*cnt));
		g->off = spm__calloc(db, n + 1, sizeof(*g->off));
		if (cnt == NULL || g->off == NULL) {
			spm__free(db, cnt);
			return spm__error_oom();
		}
		for (size_t li = 0; li < c->licap; li++)
			if (c->li_opp[li] > 0 && (size_t)c->li_opp[li] < r->nrec)
				cnt[c->li_opp[li]]++;
		for (size_t i = 0; i < n; i++)
			g->off[i + 1] = g->off[i] + (cnt[i] ? cnt[i] : 1);
		g->list = spm__calloc(db, g->off[n] + 1, sizeof(*g->list));
		if (g->list == NULL) {
			spm__free(db, cnt);
			return spm__error_oom();
		}
		memset(cnt, 0, (n + 1) * sizeof(*cnt));
		for (size_t li = 0; li < c->licap; li++) {
			int32_t o = c->li_opp[li];
			uint32_t p = c->li_product[li], dup = 0;
			if (o <= 0 || (size_t)o >= r->nrec)
				continue;
			for (uint32_t k = g->off[o]; k < g->off[o] + cnt[o]; k++)
				dup |= g->list[k] == p;
			if (!dup)
				g->list[g->off[o] + cnt[o]++] = p;
		}
		/* duplicates leave empty slots: compact each list */
		{
			uint32_t w = 0;
			for (size_t i = 0; i < n; i++) {
				uint32_t from = g->off[i], len = cnt[i] ? cnt[i] : 1;
				g->off[i] = w;
				memmove(&g->list[w], &g->list[from], len * sizeof(*g->list));
				w += len;
			}
			g->off[n] = w;
		}
		for (size_t i = 0; i < n; i++)
			g->key[i] = (uint32_t)i;
		spm__free(db, cnt);
		g->n = c->product_d.n ? c->product_d.n : 1;
		g->ltext = (const char **)c->product_d.s;
		break;
	}
	case SPM__D_STAGE:
		for (size_t i = 0; i < r->nrec; i++)
			g->key[i] = c->ostage[i];
		g->n = (uint32_t)c->nstages + 1;
		g->lint = spm__calloc(db, g->n, sizeof(*g->lint));
		g->ltext = spm__calloc(db, g->n, sizeof(*g->ltext));
		if (g->lint == NULL || g->ltext == NULL)
			return spm__error_oom();
		for (size_t k = 0; k < c->nstages; k++) {
			g->lint[k + 1] = c->stages[k].id;
			g->ltext[k + 1] = c->stages[k].name;
		}
		break;
	case SPM__D_STATUS:
		for (size_t i = 0; i < r->nrec; i++)
			g->key[i] = c->ostate[i] & SPM__OS_STATUS;
		g->n = 4;
		g->ltext = (const char **)status_names;
		break;
	case SPM__D_PIPELINE:
		for (size_t i = 0; i < r->nrec; i++)
			g->key[i] = c->ostage[i] ? c->stages[c->ostage[i] - 1].pipe : 0;
		g->n = (uint32_t)c->npipes + 1;
		g->lint = spm__calloc(db, g->n, sizeof(*g->lint));
		if (g->lint == NULL)
			return spm__error_oom();
		for (size_t k = 0; k < c->npipes; k++)
			g->lint[k + 1] = c->pipes[k];
		break;
	case SPM__D_CUSTOM: {
		struct spm__ccol *col;
		if ((rc = spm__acache_custom(&col, db, c, custom, SPM__CC_CODES)) != SPM_OK)
			return rc;
		c = r->c = db->acache;
		for (size_t i = 0; i < r->nrec; i++)
			g->key[i] = col->code[i];
		g->n = col->dict.n ? col->dict.n : 1;
		g->ltext = (const char **)col->dict.s;
		break;
	}
	}
	return rc;
}

static void groups_free(spm_db *db, struct spm__agroups *g, const struct teams *t, int dim)
{
	if (!g->key_borrowed)
		spm__free(db, g->key);
	if (dim != SPM__D_TEAM) {
		spm__free(db, g->off);
		spm__free(db, g->list);
	}
	if (dim == SPM__D_OWNER || dim == SPM__D_TEAM || dim == SPM__D_STAGE ||
	    dim == SPM__D_PIPELINE)
		spm__free(db, g->lint);
	if (dim == SPM__D_TEAM || dim == SPM__D_STAGE)
		spm__free(db, (void *)g->ltext);
	(void)t;
	memset(g, 0, sizeof(*g));
}

/* The code a filter's value has in its dimension; UINT32_MAX matches nothing. */
static uint32_t filter_target(const struct spm__afilter *f, const struct spm__agroups *g,
			      const struct spm__arun *r)
{
	if (f->is_null)
		return 0;
	for (uint32_t k = 1; k < g->n; k++) {
		if (f->is_int && g->lint && g->lint[k] == f->ival &&
		    (f->dim != SPM__D_OWNER || f->ival > 0))
			return k;
		if (f->text && g->ltext && g->ltext[k] && strcmp(g->ltext[k], f->text) == 0)
			return k;
	}
	(void)r;
	return UINT32_MAX;
}

static int apply_filters(struct spm__arun *r, struct teams *teams)
{
	for (size_t fi = 0; fi < r->q->nfilters; fi++) {
		const struct spm__afilter *f = &r->q->filters[fi];
		struct spm__agroups g;
		uint32_t target;
		int rc = build_dim(&g, teams, r, f->dim, f->custom);

		if (rc != SPM_OK) {
			groups_free(r->db, &g, teams, f->dim);
			return rc;
		}
		target = filter_target(f, &g, r);
		for (size_t i = 0; i < r->nrec; i++) {
			int in = 0;
			if (!r->pass[i])
				continue;
			SPM__FOR_GROUPS(&g, i, code)
				in |= code == target;
			r->pass[i] = (uint8_t)(in != f->negate);
		}
		groups_free(r->db, &g, teams, f->dim);
	}
	return SPM_OK;
}

/* Live records the actor may see: the scope is resolved once per owner id,
 * not once per record. */
static int visible_mask(struct spm__arun *r)
{
	struct spm__scope s;
	uint8_t *may = NULL;
	int64_t max = 0;
	int rc = spm__scope_load(&s, r->db);

	if (rc != SPM_OK)
		return rc;
	if (s.mode == SPM_SCOPE_ALL) {
		/* eight deals at a time in a 64-bit word (gcc -O2 does not
		 * vectorise a loop that needs an epilogue): a byte is 1 when
		 * either status bit is set */
		uint8_t *restrict pass = r->pass;
		const uint8_t *restrict st = r->c->ostate;
		size_t n = r->nrec, i = 0;
		const uint64_t ones = 0x0101010101010101ull;
		if (r->base == SPM__BASE_OPP) {
			for (; i + 8 <= n; i += 8) {
				uint64_t w;
				memcpy(&w, st + i, 8);
				w &= ones * SPM__OS_STATUS;
				w = (w | (w >> 1)) & ones;
				memcpy(pass + i, &w, 8);
			}
			for (; i < n; i++)
				pass[i] = (st[i] & SPM__OS_STATUS) != SPM__OS_ABSENT;
		} else {
			for (; i < n; i++)
				r->pass[i] = (uint8_t)live(r, i);
		}
		spm__scope_free(r->db, &s);
		return SPM_OK;
	}
	for (size_t i = 0; i < r->nrec; i++)
		if (rec_owner(r, i) > max)
			max = rec_owner(r, i);
	may = spm__malloc(r->db, (size_t)max + 1);
	if (may == NULL) {
		spm__scope_free(r->db, &s);
		return spm__error_oom();
	}
	for (int64_t u = 0; u <= max; u++)
		may[u] = (uint8_t)spm__scope_may_own(&s, u);
	for (size_t i = 0; i < r->nrec; i++)
		r->pass[i] = (uint8_t)(live(r, i) && may[rec_owner(r, i)]);
	spm__free(r->db, may);
	spm__scope_free(r->db, &s);
	return SPM_OK;
}

int spm__arun_init(struct spm__arun *r, spm_db *db, const struct spm__aq *q)
{
	unsigned int need = 0;
	struct teams teams;
	int rc, dim_needs_customers = 0;

	memset(r, 0, sizeof(*r));
	memset(&teams, 0, sizeof(teams));
	r->db = db;
	r->q = q;
	r->base = q->query == SPM__Q_LEAD_CONVERSION ? SPM__BASE_LEAD :
		q->query == SPM__Q_ACTIVITIES ? SPM__BASE_ACTIVITY : SPM__BASE_OPP;
	if (r->base == SPM__BASE_LEAD)
		need |= SPM__NEED_LEADS;
	if (r->base == SPM__BASE_ACTIVITY)
		need |= SPM__NEED_ACTIVITIES;
	dim_needs_customers = q->dim == SPM__D_INDUSTRY || q->dim == SPM__D_REGION ||
		q->dim == SPM__D_GRADE;
	for (size_t i = 0; i < q->nfilters; i++) {
		int d = q->filters[i].dim;
		dim_needs_customers |= d == SPM__D_INDUSTRY || d == SPM__D_REGION ||
			d == SPM__D_GRADE;
		if (d == SPM__D_PRODUCT)
			need |= SPM__NEED_LINE_ITEMS;
	}
	if (dim_needs_customers)
		need |= SPM__NEED_CUSTOMERS;
	if (q->dim == SPM__D_PRODUCT)
		need |= SPM__NEED_LINE_ITEMS;
	rc = spm__acache_get(&r->c, db, need);
	if (rc != SPM_OK)
		return rc;
	r->nrec = r->base == SPM__BASE_OPP ? r->c->ocap : r->base == SPM__BASE_LEAD ?
		r->c->lcap : r->c->acap;
	spm_calendar_init(&r->cal, SPM_CALENDAR_VERSION);
	r->cal.year_start_month = q->year_start_month ? q->year_start_month : 1;
	/* visible_mask writes every byte: no need to zero it first */
	r->pass = spm__malloc(db, r->nrec ? r->nrec : 1);
	if (r->pass == NULL)
		return spm__error_oom();
	rc = visible_mask(r);
	if (rc == SPM_OK)
		rc = apply_filters(r, &teams);
	if (rc == SPM_OK && q->rule)
		rc = spm__arule_apply(r, q->rule);
	if (rc == SPM_OK)
		rc = build_dim(&r->g, &teams, r, q->dim, q->custom);
	/* custom date columns last, and looked up twice: a new column rescans
	 * the deals, which may move the arrays of the ones before it */
	for (int pass = 0; rc == SPM_OK && pass < 2; pass++) {
		struct spm__ccol *col;
		if (q->range_custom &&
		    (rc = spm__acache_custom(&col, db, r->c, q->range_custom, SPM__CC_DAYS)) == SPM_OK)
			r->range_days = (const int32_t *)col->code;
		if (rc == SPM_OK && q->period_custom &&
		    (rc = spm__acache_custom(&col, db, r->c, q->period_custom, SPM__CC_DAYS)) == SPM_OK)
			r->period_days = (const int32_t *)col->code;
		r->c = db->acache;
	}
	/* the team chains outlive load_teams: the run owns them */
	r->team_chain_off = teams.chain_off;
	r->team_chain = teams.chain;
	teams.chain_off = NULL;
	teams.chain = NULL;
	if (q->dim == SPM__D_TEAM && rc == SPM_OK) {
		/* labels point into teams.name: keep copies owned by the run */
		for (uint32_t k = 1; k < r->g.n; k++) {
			r->g.ltext[k] = spm__strdup(db, r->g.ltext[k]);
			if (r->g.ltext[k] == NULL)
				rc = spm__error_oom();
		}
	}
	teams_free(db, &teams);
	if (rc == SPM_OK && !q->period) {
		size_t s = (r->c->nstages > r->c->atype_d.n ? r->c->nstages : r->c->atype_d.n) + 1;
		if ((uint64_t)r->g.n * s <= ((uint64_t)1 << 22)) {
			r->dense = spm__malloc(db, (size_t)r->g.n * s * sizeof(*r->dense));
			if (r->dense == NULL)
				return spm__error_oom();
			memset(r->dense, 0xFF, (size_t)r->g.n * s * sizeof(*r->dense));
			r->dense_s = s;
		}
	}
	return rc;
}

void spm__arun_free(struct spm__arun *r)
{
	spm_db *db = r->db;

	if (db == NULL)
		return;
	if (r->q->dim == SPM__D_TEAM && r->g.ltext)
		for (uint32_t k = 1; k < r->g.n; k++)
			spm__free(db, (void *)r->g.ltext[k]);
	if (r->q->dim == SPM__D_TEAM) {
		r->g.off = NULL;
		r->g.list = NULL;
	}
	groups_free(db, &r->g, NULL, r->q->dim);
	spm__free(db, r->team_chain_off);
	spm__free(db, r->team_chain);
	spm__free(db, r->pass);
	spm__free(db, r->pstart);
	spm__free(db, r->pday);
	spm__free(db, r->pcode);
	spm__free(db, r->rows);
	spm__free(db, r->hkey);
	spm__free(db, r->hrow);
	spm__free(db, r->dense);
	spm__free(db, r->vrow);
	spm__free(db, r->vlist);
	spm__free(db, r->vval);
	spm__free(db, r->voff);
	spm__free(db, r->vsorted);
	spm__free(db, r->drow);
	spm__free(db, r->did);
	memset(r, 0, sizeof(*r));
}

static int memo_grow(struct spm__arun *r)
{
	uint32_t slots = r->pslots ? r->pslots * 2 : 256;
	int32_t *day = spm__malloc(r->db, slots * sizeof(*day));
	uint32_t *code = spm__malloc(r->db, slots * sizeof(*code));

	if (day == NULL || code == NULL) {
		spm__free(r->db, day);
		spm__free(r->db, code);
		return spm__error_oom();
	}
	for (uint32_t i = 0; i < slots; i++)
		day[i] = INT32_MIN;
	for (uint32_t i = 0; i < r->pslots; i++) {
		uint32_t h;
		if (r->pday[i] == INT32_MIN)
			continue;
		for (h = ((uint32_t)r->pday[i] * 2654435761u) & (slots - 1); day[h] != INT32_MIN;
		     h = (h + 1) & (slots - 1))
			;
		day[h] = r->pday[i];
		code[h] = r->pcode[i];
	}
	spm__free(r->db, r->pday);
	spm__free(r->db, r->pcode);
	r->pday = day;
	r->pcode = code;
	r->pslots = slots;
	return SPM_OK;
}

int spm__arun_period(uint32_t *out, struct spm__arun *r, int has, spm_date day)
{
	spm_date start;
	uint32_t h, code = 0;
	int rc;

	*out = 0;
	if (!has || r->q->period == 0)
		return SPM_OK;
	if ((r->pused + 1) * 2 > r->pslots && (rc = memo_grow(r)) != SPM_OK)
		return rc;
	for (h = ((uint32_t)day * 2654435761u) & (r->pslots - 1); r->pday[h] != INT32_MIN;
	     h = (h + 1) & (r->pslots - 1))
		if (r->pday[h] == day) {
			*out = r->pcode[h];
			return SPM_OK;
		}
	rc = spm_period_bounds(&start, NULL, &r->cal, (spm_period_kind)r->q->period, day);
	if (rc != SPM_OK)
		return rc;
	for (uint32_t k = 1; k < r->np; k++)
		if (r->pstart[k] == start)
			code = k;
	if (code == 0) {
		if (r->np == 0)
			r->np = 1;
		if (r->np >= r->pcap) {
			uint32_t cap = r->pcap ? r->pcap * 2 : 16;
			spm_date *p = spm__realloc(r->db, r->pstart, cap * sizeof(*p));
			if (p == NULL)
				return spm__error_oom();
			r->pstart = p;
			r->pcap = cap;
		}
		code = r->np++;
		r->pstart[code] = start;
	}
	r->pday[h] = day;
	r->pcode[h] = code;
	r->pused++;
	*out = code;
	return SPM_OK;
}

static uint64_t row_key(uint32_t g, uint32_t p, int32_t s)
{
	return ((uint64_t)g << 32) ^ ((uint64_t)p << 16) ^ (uint64_t)(uint32_t)(s + 1);
}

/* splitmix64's finaliser: every key bit reaches the low bits used as slot. */
static size_t slot_of(uint64_t k, size_t slots)
{
	k ^= k >> 30;
	k *= 0xBF58476D1CE4E5B9ull;
	k ^= k >> 27;
	k *= 0x94D049BB133111EBull;
	k ^= k >> 31;
	return (size_t)k & (slots - 1);
}

static int rows_rehash(struct spm__arun *r)
{
	size_t slots = r->hslots ? r->hslots * 2 : 1024;
	uint64_t *key = spm__malloc(r->db, slots * sizeof(*key));
	uint32_t *row = spm__malloc(r->db, slots * sizeof(*row));

	if (key == NULL || row == NULL) {
		spm__free(r->db, key);
		spm__free(r->db, row);
		return spm__error_oom();
	}
	for (size_t i = 0; i < slots; i++)
		row[i] = UINT32_MAX;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct spm__arow *a = &r->rows[i];
		uint64_t k = row_key(a->g, a->p, a->s);
		size_t h = slot_of(k, slots);
		while (row[h] != UINT32_MAX)
			h = (h + 1) & (slots - 1);
		key[h] = k;
		row[h] = (uint32_t)i;
	}
	spm__free(r->db, r->hkey);
	spm__free(r->db, r->hrow);
	r->hkey = key;
	r->hrow = row;
	r->hslots = slots;
	return SPM_OK;
}

int spm__arun_row(struct spm__arow **out, struct spm__arun *r, uint32_t g, uint32_t p, int32_t s)
{
	uint64_t k = row_key(g, p, s);
	size_t h, d = 0;
	int rc;

	*out = NULL;
	if (r->dense) {
		d = (size_t)g * r->dense_s + (size_t)(s + 1);
		if (r->dense[d] != UINT32_MAX) {
			*out = &r->rows[r->dense[d]];
			return SPM_OK;
		}
	}
	if ((r->nrows + 1) * 2 > r->hslots && (rc = rows_rehash(r)) != SPM_OK)
		return rc;
	for (h = slot_of(k, r->hslots);
	     r->hrow[h] != UINT32_MAX; h = (h + 1) & (r->hslots - 1)) {
		struct spm__arow *a = &r->rows[r->hrow[h]];
		if (r->hkey[h] == k && a->g == g && a->p == p && a->s == s) {
			*out = a;
			return SPM_OK;
		}
	}
	if (r->nrows == r->rcap) {
		size_t cap = r->rcap ? r->rcap * 2 : 64;
		struct spm__arow *n = spm__realloc(r->db, r->rows, cap * sizeof(*n));
		if (n == NULL)
			return spm__error_oom();
		r->rows = n;
		r->rcap = cap;
	}
	memset(&r->rows[r->nrows], 0, sizeof(r->rows[0]));
	r->rows[r->nrows].g = g;
	r->rows[r->nrows].p = p;
	r->rows[r->nrows].s = s;
	r->hkey[h] = k;
	r->hrow[h] = (uint32_t)r->nrows;
	if (r->dense)
		r->dense[d] = (uint32_t)r->nrows;
	*out = &r->rows[r->nrows++];
	return SPM_OK;
}

int spm__arun_value(struct spm__arun *r, const struct spm__arow *row, int list, int64_t v)
{
	if (r->nv == r->vcap) {
		size_t cap = r->vcap ? r->vcap * 2 : 1024;
		uint32_t *a = spm__realloc(r->db, r->vrow, cap * sizeof(*a));
		if (a == NULL)
			return spm__error_oom();
		r->vrow = a;
		uint8_t *b = spm__realloc(r->db, r->vlist, cap);
		if (b == NULL)
			return spm__error_oom();
		r->vlist = b;
		int64_t *c = spm__realloc(r->db, r->vval, cap * sizeof(*c));
		if (c == NULL)
			return spm__error_oom();
		r->vval = c;
		r->vcap = cap;
	}
	r->vrow[r->nv] = (uint32_t)(row - r->rows);
	r->vlist[r->nv] = (uint8_t)list;
	r->vval[r->nv++] = v;
	return SPM_OK;
}

int spm__arun_drill(struct spm__arun *r, const struct spm__arow *row, int64_t id)
{
	if (!r->q->drill)
		return SPM_OK;
	if (r->nd == r->dcap) {
		size_t cap = r->dcap ? r->dcap * 2 : 1024;
		uint32_t *a = spm__realloc(r->db, r->drow, cap * sizeof(*a));
		if (a == NULL)
			return spm__error_oom();
		r->drow = a;
		int64_t *b = spm__realloc(r->db, r->did, cap * sizeof(*b));
		if (b == NULL)
			return spm__error_oom();
		r->did = b;
		r->dcap = cap;
	}
	r->drow[r->nd] = (uint32_t)(row - r->rows);
	r->did[r->nd++] = id;
	return SPM_OK;
}
