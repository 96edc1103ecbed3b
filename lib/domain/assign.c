/* Automatic assignment of the pool by rules (include/spm/lead.h): each rule
 * a condition and a method; users must be available and within the pool
 * policy; every assignment names its rule and reason. */
#include "domain/assign_run.h"
#include "core/store.h"
#include "domain/lead.h"
#include "domain/org.h"
#include "domain/record_rules.h"
#include "core/kinds.h"
#include "domain/record_fields.h"
#include "core/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_USERS 1000     /* candidates of one rule, weights expanded */
#define MAX_LOAD 4096      /* users whose load is tracked in one run */
#define SLOTS (2 * MAX_LOAD)  /* the hash of loads, half full at most */

/* splitmix64: a well-mixed 64-bit hash, so tie-breaks are uniform. */
static uint64_t mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* The tie-break key of a user for a lead under the run's seed. */
static uint64_t tie_key(const struct spm__assign_run *r, int64_t lead, int64_t user)
{
	return mix(r->seed ^ mix((uint64_t)lead ^ mix((uint64_t)user)));
}

/* "3,5,8" or, weighted, "3:2,5:1" (expanded: 3,3,5). */
static int parse_users(int64_t *out, size_t *n, const char *list, int weighted)
{
	const char *p = list;

	*n = 0;
	while (p && *p) {
		char *end;
		long long user = strtoll(p, &end, 10), weight = 1;

		if (end == p || user <= 0)
			return spm__error_set(SPM_EINVAL, "assignment_rule.users: '%s' is not a "
					      "list of user ids", list);
		if (weighted) {
			if (*end != ':')
				return spm__error_set(SPM_EINVAL, "assignment_rule.users: weighted "
						      "lists are user:weight, like 3:2,5:1");
			p = end + 1;
			weight = strtoll(p, &end, 10);
			if (end == p || weight <= 0 || weight > 100)
				return spm__error_set(SPM_EINVAL, "assignment_rule.users: weights "
						      "are 1..100");
		}
		for (long long w = 0; w < weight; w++) {
			if (*n == MAX_USERS)
				return spm__error_set(SPM_EINVAL, "assignment_rule.users: at most %d "
						      "entries", MAX_USERS);
			out[(*n)++] = user;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return spm__error_set(SPM_EINVAL, "assignment_rule.users: '%s' is not a "
					      "list of user ids", list);
		p = end;
	}
	return SPM_OK;
}

/* The user for value in "华东=3,华北=5"; 0 when absent. */
static int64_t territory_user(const char *map, const char *value)
{
	size_t vlen = value ? strlen(value) : 0;

	for (const char *p = map; value && p && *p;) {
		const char *eq = strchr(p, '='), *comma;

		if (eq == NULL)
			break;
		comma = strchr(eq, ',');
		if ((size_t)(eq - p) == vlen && memcmp(p, value, vlen) == 0)
			return strtoll(eq + 1, NULL, 10);
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* The load of a user, found by hash (a least-busy rule looks up each of
 * its users for every lead). */
static struct spm__assign_load *load_of(struct spm__assign_run *r, int64_t user)
{
	size_t h = (size_t)(mix((uint64_t)user) % SLOTS);

	for (; r->slots[h] >= 0; h = (h + 1) % SLOTS)
		if (r->loads[r->slots[h]].user == user)
			return &r->loads[r->slots[h]];
	if (r->nloads == MAX_LOAD)
		return NULL;
	r->slots[h] = (int32_t)r->nloads;
	r->loads[r->nloads].user = user;
	r->loads[r->nloads].known = 0;
	r->loads[r->nloads].availability = 0;
	return &r->loads[r->nloads++];
}

/* The newest change sequence of the lead table, tombstones included. */
static int lead_seq(int64_t *out, struct spm__txn *t)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 1,
			  SPM_SCAN_BY_SEQ | SPM_SCAN_DESC | SPM_SCAN_DELETED, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(t->db, &page, spm__kind_find(t->db, "lead", 0), &scan);

	*out = rc == SPM_OK && page.n ? page.recs[0]->seq : 0;
	spm__page_clear(t->db, &page);
	return rc;
}

void spm__assign_cache_free(spm_db *db)
{
	if (db->assign_cache) {
		spm__free(db, db->assign_cache->v);
		spm__free(db, db->assign_cache);
		db->assign_cache = NULL;
	}
}

/* Starts from the counts of the last committed run when no lead changed
 * since: counting is the costly part of a run on a large table. */
static int preload(struct spm__assign_run *r)
{
	struct spm__assign_cache *c = r->t->db->assign_cache;
	int64_t now;
	int rc = lead_seq(&now, r->t);

	if (rc != SPM_OK || c == NULL || c->lead_seq != now)
		return rc;
	for (size_t i = 0; i < c->n; i++) {
		struct spm__assign_load *l = load_of(r, c->v[i].user);
		if (l) {
			l->open = c->v[i].open;
			l->known = 1;
		}
	}
	return SPM_OK;
}

static int snapshot(struct spm__assign_run *r)
{
	spm_db *db = r->t->db;
	struct spm__assign_cache *c = spm__calloc(db, 1, sizeof(*c));
	int rc = c ? lead_seq(&c->lead_seq, r->t) : spm__error_oom();

	if (rc == SPM_OK) {
		c->v = spm__calloc(db, r->nloads + 1, sizeof(*c->v));
		if (c->v == NULL)
			rc = spm__error_oom();
	}
	for (size_t i = 0; rc == SPM_OK && i < r->nloads; i++) {
		if (!r->loads[i].known)
			continue;
		c->v[c->n].user = r->loads[i].user;
		c->v[c->n++].open = r->loads[i].open;
	}
	if (rc != SPM_OK && c) {
		spm__free(db, c->v);
		spm__free(db, c);
		c = NULL;
	}
	if (r->snapshot) {
		spm__free(db, r->snapshot->v);
		spm__free(db, r->snapshot);
	}
	r->snapshot = c;
	return rc;
}

void spm__assign_run_committed(struct spm__assign_run *r)
{
	spm_db *db = r->db;

	if (r->snapshot == NULL)
		return;
	spm__assign_cache_free(db);
	db->assign_cache = r->snapshot;
	r->snapshot = NULL;
}

/* Available today and within the pool policy. */
static int eligible(int *out, struct spm__assign_run *r, int64_t user)
{
	struct spm__assign_load *l = load_of(r, user);
	int ok = 0, rc = SPM_OK;

	*out = 0;
	/* users do not change during the run: read each one's availability once */
	if (l == NULL || l->availability == 0) {
		rc = spm_org_available(&ok, r->t->db, user, r->today);
		if (rc == SPM_ENOTFOUND)
			rc = SPM_OK;
		if (rc != SPM_OK)
			return rc;
		if (l)
			l->availability = ok ? 1 : -1;
	} else {
		ok = l->availability > 0;
	}
	if (!ok || l == NULL)
		return rc;
	if (!l->known) {  /* least_busy needs the load even without a policy */
		rc = spm__pool_count_open(&l->open, r->t, user, r->exempt);
		if (rc == SPM_OK && r->policy && spm__fld_has(r->policy, "daily_claims"))
			rc = spm__pool_count_claims_today(&l->claims, r->t, user);
		if (rc != SPM_OK)
			return rc;
		l->known = 1;
	}
	if (r->policy && spm__fld_has(r->policy, "max_open") &&
	    l->open >= spm__fld_num(r->policy, "max_open"))
		return SPM_OK;
	if (r->policy && spm__fld_has(r->policy, "daily_claims") &&
	    l->claims >= spm__fld_num(r->policy, "daily_claims"))
		return SPM_OK;
	*out = 1;
	return SPM_OK;
}

/* Picks a user by the rule's method; *pointer moves for rotating methods. */
static int pick(int64_t *out, char *why, size_t whysize, struct spm__assign_run *r, const spm_record *rule,
		const spm_record *lead, int64_t *pointer)
{
	int64_t users[MAX_USERS];
	const char *method = spm__fld_text(rule, "method");
	size_t n = 0;
	int ok, rc = SPM_OK;

	*out = 0;
	if (spm__fld_is(method, "fixed") || spm__fld_is(method, "territory")) {
		int64_t user = spm__fld_is(method, "fixed") ? spm__fld_num(rule, "fixed_owner")
			: territory_user(spm__fld_text(rule, "territory_map"),
					 spm__fld_text(lead, spm__fld_text(rule, "territory_field")));
		rc = user ? eligible(&ok, r, user) : SPM_OK;
		if (rc == SPM_OK && user && ok) {
			*out = user;
			snprintf(why, whysize, "rule %lld %s: user %lld", (long long)rule->id, method,
				 (long long)user);
		}
		return rc;
	}
	rc = parse_users(users, &n, spm__fld_text(rule, "users"), spm__fld_is(method, "weighted"));
	if (rc != SPM_OK || n == 0)
		return rc;
	if (spm__fld_is(method, "least_busy")) {
		int64_t best = -1;
		size_t ties = 0;
		for (size_t k = 0; rc == SPM_OK && k < n; k++) {
			int64_t user = users[(size_t)((*pointer + (int64_t)k) % (int64_t)n)];
			struct spm__assign_load *l;
			rc = eligible(&ok, r, user);
			l = load_of(r, user);
			if (rc != SPM_OK || !ok || l == NULL || (best >= 0 && l->open > best))
				continue;
			if (best >= 0 && l->open == best) {
				ties++;
				if (r->seeded && tie_key(r, lead->id, user) < tie_key(r, lead->id, *out))
					*out = user;
				continue;
			}
			best = l->open;
			ties = 1;
			*out = user;
		}
		if (*out)
			snprintf(why, whysize, "rule %lld least_busy: user %lld with %lld open leads%s",
				 (long long)rule->id, (long long)*out, (long long)best,
				 ties > 1 && r->seeded ? " (tie broken by seed)" : "");
		return rc;
	}
	/* round_robin and weighted: the next eligible user after the pointer */
	for (size_t k = 0; rc == SPM_OK && k < n && !*out; k++) {
		size_t at = (size_t)((*pointer + (int64_t)k) % (int64_t)n);
		rc = eligible(&ok, r, users[at]);
		if (rc == SPM_OK && ok) {
			*out = users[at];
			*pointer = (int64_t)at + 1;
			snprintf(why, whysize, "rule %lld %s: user %lld, turn %zu of %zu%s",
				 (long long)rule->id, method, (long long)*out, at + 1, n,
				 k ? " (earlier turns unavailable)" : "");
		}
	}
	return rc;
}

void spm__assign_count(struct spm__assign_run *r, int64_t user)
{
	struct spm__assign_load *l = load_of(r, user);

	if (l) {
		l->open++;
		l->claims++;
	}
}

void spm__assign_forget(struct spm__assign_run *r, int64_t user)
{
	for (size_t i = 0; i < r->nloads; i++)
		if (r->loads[i].user == user)
			r->loads[i].known = 0;
}

int spm__assign_logged(struct spm__txn *t, int64_t lead, int64_t user, int64_t rule,
		       const char *why)
{
	char payload[700];
	int rc = spm__pool_log_claim(t, lead, user);

	/* why is made by pick() from ids and method names: nothing to escape */
	snprintf(payload, sizeof(payload), "{\"user_id\":%lld,\"rule\":%lld,\"reason\":\"%s\"}",
		 (long long)user, (long long)rule, why);
	if (rc == SPM_OK)
		rc = spm__txn_event(t, SPM_EVENT_LEAD_ASSIGNED, "lead", lead, payload);
	return rc;
}

static int assign(struct spm__assign_run *r, spm_record *lead, const spm_record *rule,
		  int64_t user)
{
	spm_record *stored = NULL;
	int rc = spm__record_put_int(lead, (size_t)spm__fld_idx(lead, "owner_id"), user);

	if (rc == SPM_OK)
		rc = spm__record_put_int(lead, (size_t)spm__fld_idx(lead, "assigned_by_rule"), rule->id);
	if (rc == SPM_OK)
		rc = spm__record_put_text(lead, (size_t)spm__fld_idx(lead, "assignment_reason"),
					  r->why, strlen(r->why));
	r->t->owner_via = "assign";
	r->t->owner_reason = r->why;
	if (rc == SPM_OK)
		rc = spm__write_save(r->t, lead, &stored);
	r->t->owner_via = r->t->owner_reason = NULL;
	spm_record_free(stored);
	if (rc == SPM_OK)
		rc = spm__assign_logged(r->t, lead->id, user, rule->id, r->why);
	spm__assign_count(r, user);
	return rc;
}

static int by_position(const void *a, const void *b)
{
	const spm_record *x = *(spm_record *const *)a, *y = *(spm_record *const *)b;
	int64_t px = spm__fld_num(x, "position"), py = spm__fld_num(y, "position");

	if (px != py)
		return px < py ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int spm__assign_in_pool(const struct spm__assign_run *r, const spm_record *lead)
{
	int64_t lock = r->policy ? spm__fld_num(r->policy, "lock_hours") : 0;

	return !spm__fld_has(lead, "owner_id") && spm__fld_is(spm__fld_text(lead, "status"), "new") &&
	       !(lock && spm__fld_num(lead, "pooled_at") + lock * 3600 > r->t->at);
}

int spm__assign_route(int64_t *user, size_t *rule, struct spm__assign_run *r,
		      const spm_record *lead)
{
	int rc = SPM_OK;

	*user = 0;
	for (size_t k = 0; rc == SPM_OK && k < r->rules.n; k++) {
		int met = 1;

		if (r->conds[k]) {
			spm__rule_ctx ctx;
			spm__record_rule_ctx(&ctx, lead, r->t->at);
			rc = spm__rule_met(&met, NULL, r->conds[k], &ctx);
		}
		if (rc == SPM_OK && met)
			rc = pick(user, r->why, sizeof(r->why), r, r->rules.recs[k], lead,
				  &r->pointers[k]);
		if (rc == SPM_OK && *user) {
			*rule = k;
			break;
		}
	}
	return rc;
}

int spm__assign_run_open(struct spm__assign_run *r, struct spm__txn *t, int seeded,
			 uint64_t seed)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	spm_kind *leads = spm__kind_find(t->db, "lead", 0);
	size_t active = 0;
	int rc = spm_date_from_time(&r->today, t->at);

	r->db = t->db;
	r->t = t;
	r->seeded = seeded;
	r->seed = seed;
	if (rc == SPM_OK)
		rc = spm__pool_policy(&r->policy, t->db);
	if (rc == SPM_OK && r->policy && spm__fld_text(r->policy, "exempt_rule"))
		rc = spm__record_rule_compile(&r->exempt, t->db, leads,
					      spm__fld_text(r->policy, "exempt_rule"),
					      "pool_policy.exempt_rule");
	r->loads = spm__calloc(t->db, MAX_LOAD, sizeof(*r->loads));
	r->slots = spm__malloc(t->db, SLOTS * sizeof(*r->slots));
	if (rc == SPM_OK && (r->loads == NULL || r->slots == NULL))
		rc = spm__error_oom();
	if (r->slots)
		memset(r->slots, 0xff, SLOTS * sizeof(*r->slots));  /* all -1 */
	/* an exempt rule may depend on the clock; claims of the day on the date */
	r->cacheable = r->exempt == NULL && !(r->policy && spm__fld_has(r->policy, "daily_claims"));
	if (rc == SPM_OK && r->cacheable)
		rc = preload(r);
	if (rc == SPM_OK)
		rc = spm__scan_page(t->db, &r->rules, spm__kind_find(t->db, "assignment_rule", 0),
				    &all);
	for (size_t k = 0; rc == SPM_OK && k < r->rules.n; k++) {
		if (spm__fld_has(r->rules.recs[k], "active") &&
		    !spm__fld_num(r->rules.recs[k], "active"))
			spm_record_free(r->rules.recs[k]);
		else
			r->rules.recs[active++] = r->rules.recs[k];
	}
	if (rc == SPM_OK) {
		r->rules.n = active;
		qsort(r->rules.recs, r->rules.n, sizeof(*r->rules.recs), by_position);
		r->conds = spm__calloc(t->db, r->rules.n + 1, sizeof(*r->conds));
		r->pointers = spm__calloc(t->db, r->rules.n + 1, sizeof(*r->pointers));
		if (r->conds == NULL || r->pointers == NULL)
			rc = spm__error_oom();
	}
	for (size_t k = 0; rc == SPM_OK && k < r->rules.n; k++) {
		const char *c = spm__fld_text(r->rules.recs[k], "condition");
		r->pointers[k] = spm__fld_num(r->rules.recs[k], "rr_pointer");
		if (c)
			rc = spm__record_rule_compile(&r->conds[k], t->db, leads, c,
						      "assignment_rule.condition");
	}
	return rc;
}

int spm__assign_run_save(struct spm__assign_run *r)
{
	spm_db *db = r->t->db;
	int rc = SPM_OK;

	for (size_t k = 0; rc == SPM_OK && k < r->rules.n; k++) {
		spm_record *rule = r->rules.recs[k];
		if (r->pointers[k] == spm__fld_num(rule, "rr_pointer"))
			continue;
		rc = spm__record_put_int(rule, (size_t)spm__fld_idx(rule, "rr_pointer"),
					 r->pointers[k]);
		rule->seq = r->t->seq;
		if (rc == SPM_OK)
			rc = spm__store_put(db, rule);
	}
	if (rc == SPM_OK && r->cacheable)
		rc = snapshot(r);
	return rc;
}

void spm__assign_run_close(struct spm__assign_run *r)
{
	spm_db *db = r->db;

	if (db == NULL)
		return;
	for (size_t k = 0; r->conds && k < r->rules.n; k++)
		spm__rule_free(r->conds[k]);
	spm__free(db, r->conds);
	spm__free(db, r->pointers);
	spm__page_clear(db, &r->rules);
	spm__free(db, r->loads);
	spm__free(db, r->slots);
	if (r->snapshot) {
		spm__free(db, r->snapshot->v);
		spm__free(db, r->snapshot);
	}
	spm__rule_free(r->exempt);
	spm_record_free(r->policy);
	memset(r, 0, sizeof(*r));
}

static int assign_in_txn(struct spm__assign_run *r, struct spm__txn *t,
			 const spm_lead_assign_options *o, size_t *assigned)
{
	spm_kind *leads = spm__kind_find(t->db, "lead", 0);
	spm_scan_cond cond = { (size_t)spm__core_index(leads, "status"), SPM_CMP_EQ, 0, "new" };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };
	struct spm__page pool = { NULL, 0, 0 };
	struct spm__scope *s;
	int rc = spm__txn_scope(&s, t);

	if (rc == SPM_OK)
		rc = spm__scope_require(s, SPM_ACTION_POOL, "assign the pool");
	if (rc == SPM_OK)
		rc = spm__assign_run_open(r, t, o != NULL, o ? o->seed : 0);
	if (rc == SPM_OK)
		rc = spm__scan_page(t->db, &pool, leads, &scan);
	for (size_t i = 0; rc == SPM_OK && i < pool.n; i++) {
		int64_t user = 0;
		size_t k = 0;
		if (!spm__assign_in_pool(r, pool.recs[i]))
			continue;
		rc = spm__assign_route(&user, &k, r, pool.recs[i]);
		if (rc == SPM_OK && user)
			rc = assign(r, pool.recs[i], r->rules.recs[k], user);
		if (rc == SPM_OK && user)
			(*assigned)++;
	}
	if (rc == SPM_OK)
		rc = spm__assign_run_save(r);
	spm__page_clear(t->db, &pool);
	return rc;
}

int spm_lead_assign_options_init(spm_lead_assign_options *opts, unsigned int version)
{
	static const spm_lead_assign_options defaults = SPM_LEAD_ASSIGN_OPTIONS_INIT;

	SPM__CHECK_ARG(opts);
	if (version != 1)
		return spm__error_set(SPM_EVERSION, "unknown spm_lead_assign_options version %u",
				      version);
	*opts = defaults;
	return SPM_OK;
}

int spm_lead_assign_pool(size_t *out_assigned, spm_db *db)
{
	return spm_lead_assign_pool2(out_assigned, db, NULL);
}

int spm_lead_assign_pool2(size_t *out_assigned, spm_db *db, const spm_lead_assign_options *opts)
{
	struct spm__assign_run r;
	struct spm__txn t;
	size_t assigned = 0;
	int rc;

	SPM__CHECK_ARG(db);
	if (opts && opts->version != 1)
		return spm__error_set(SPM_EVERSION, "unknown spm_lead_assign_options version %u",
				      (unsigned)opts->version);
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.t = &t;
	rc = assign_in_txn(&r, &t, opts, &assigned);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		spm__assign_run_close(&r);
		return rc;
	}
	if (out_assigned)
		*out_assigned = assigned;
	if (assigned == 0 && t.nev == 0) {
		spm__txn_abort(&t);  /* nothing written: the counts stand */
		spm__assign_run_committed(&r);
		spm__assign_run_close(&r);
		return SPM_OK;
	}
	rc = spm__txn_commit(&t);
	if (t.committed)
		spm__assign_run_committed(&r);
	spm__assign_run_close(&r);
	return rc;
}

int spm__assignment_rule_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int64_t users[MAX_USERS];
	const char *method, *cond;
	size_t n = 0;
	int rc = spm__assign_config_write(t);

	(void)before;
	if (rc != SPM_OK || after == NULL)
		return rc;
	method = spm__fld_text(after, "method");
	if (!spm__fld_is(method, "round_robin") && !spm__fld_is(method, "weighted") &&
	    !spm__fld_is(method, "least_busy") && !spm__fld_is(method, "territory") &&
	    !spm__fld_is(method, "fixed"))
		return spm__error_set(SPM_EINVAL, "assignment_rule.method must be round_robin, "
				      "weighted, least_busy, territory or fixed");
	if (spm__fld_is(method, "fixed") && spm__fld_num(after, "fixed_owner") <= 0)
		return spm__error_set(SPM_EINVAL, "a fixed rule needs fixed_owner");
	if (spm__fld_is(method, "territory") && (!spm__fld_text(after, "territory_field") ||
					!spm__fld_text(after, "territory_map") ||
					spm__core_index(spm__kind_find(t->db, "lead", 0),
							spm__fld_text(after, "territory_field")) < 0))
		return spm__error_set(SPM_EINVAL, "a territory rule needs territory_field (a lead "
				      "field) and territory_map (value=user,…)");
	if (!spm__fld_is(method, "fixed") && !spm__fld_is(method, "territory")) {
		rc = parse_users(users, &n, spm__fld_text(after, "users"), spm__fld_is(method, "weighted"));
		if (rc == SPM_OK && n == 0)
			rc = spm__error_set(SPM_EINVAL, "a %s rule needs users", method);
	}
	cond = spm__fld_text(after, "condition");
	if (rc == SPM_OK && cond) {
		spm__rule *r = NULL;
		rc = spm__record_rule_compile(&r, t->db, spm__kind_find(t->db, "lead", 0), cond,
					      "assignment_rule.condition");
		if (rc == SPM_OK && spm__rule_result_type(r) != SPM__RULE_BOOLEAN)
			rc = spm__error_set(SPM_EINVAL, "assignment_rule.condition must be a "
					    "condition (true or false)");
		spm__rule_free(r);
	}
	return rc;
}
