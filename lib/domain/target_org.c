/* The org and the working-day calendar, loaded once per call: teams and
 * their parents, dated memberships, hire dates, holidays. Targets attribute
 * thousands of records per call; one scan each beats a lookup per record. */
#include "domain/target.h"
#include "domain/record_fields.h"
#include "core/txn.h"

#include <stdlib.h>
#include <string.h>

struct grow {
	spm_db *db;
	void *p;
	size_t n, cap, size;
};

static void *grow_slot(struct grow *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		void *p = spm__realloc(g->db, g->p, cap * g->size);

		if (p == NULL)
			return NULL;
		g->p = p;
		g->cap = cap;
	}
	return (char *)g->p + g->n++ * g->size;
}

static int scan_all(spm_db *db, const char *kind, spm_scan_cb cb, void *payload)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	spm_kind *k = spm__kind_find(db, kind, 0);
	int opened = !db->in_txn;
	int rc;

	if (k == NULL)
		return SPM_OK;
	rc = spm__read_begin(db);
	if (rc == SPM_OK)
		rc = db->ops->scan(db->store, k, &all, cb, payload);
	if (opened)
		spm__read_end(db);
	return rc;
}

struct team_row { int64_t id, parent; };
struct user_row { int64_t id; spm_date hired; };

static int add_team(spm_record *rec, void *payload)
{
	struct team_row *r = grow_slot(payload);

	if (r) {
		r->id = rec->id;
		r->parent = spm__fld_num(rec, "parent_id");
	}
	spm_record_free(rec);
	return r ? SPM_OK : spm__error_oom();
}

static int add_user(spm_record *rec, void *payload)
{
	struct user_row *r = grow_slot(payload);

	if (r) {
		r->id = rec->id;
		r->hired = spm__fld_has(rec, "hired_on") ? (spm_date)spm__fld_num(rec, "hired_on")
							 : SPM_DATE_NONE;
	}
	spm_record_free(rec);
	return r ? SPM_OK : spm__error_oom();
}

static int add_member(spm_record *rec, void *payload)
{
	struct spm__tmember *r = grow_slot(payload);

	if (r) {
		r->user = spm__fld_num(rec, "user_id");
		r->team = spm__fld_num(rec, "team_id");
		r->from = (spm_date)spm__fld_num(rec, "valid_from");
		r->to = spm__fld_has(rec, "valid_to") ? (spm_date)spm__fld_num(rec, "valid_to")
						      : SPM_DATE_NONE;
	}
	spm_record_free(rec);
	return r ? SPM_OK : spm__error_oom();
}

static int by_user(const void *a, const void *b)
{
	const struct spm__tmember *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return x->from < y->from ? -1 : x->from > y->from;
}

int spm__org_snap_load(struct spm__org_snap *s, spm_db *db, int hires)
{
	struct grow teams = { db, NULL, 0, 0, sizeof(struct team_row) };
	struct grow users = { db, NULL, 0, 0, sizeof(struct user_row) };
	struct grow mem = { db, NULL, 0, 0, sizeof(struct spm__tmember) };
	int rc;

	memset(s, 0, sizeof(*s));
	rc = scan_all(db, "team", add_team, &teams);
	if (rc == SPM_OK && hires)  /* a user record each: only ramps need them */
		rc = scan_all(db, "user", add_user, &users);
	if (rc == SPM_OK)
		rc = scan_all(db, "membership", add_member, &mem);
	s->nteams = teams.n;
	s->nusers = users.n;
	if (rc == SPM_OK) {
		s->team = spm__malloc(db, (teams.n + 1) * sizeof(int64_t));
		s->parent = spm__malloc(db, (teams.n + 1) * sizeof(int64_t));
		s->user = spm__malloc(db, (users.n + 1) * sizeof(int64_t));
		s->hired_on = spm__malloc(db, (users.n + 1) * sizeof(spm_date));
		if (!s->team || !s->parent || !s->user || !s->hired_on)
			rc = spm__error_oom();
	}
	/* scans yield ascending ids */
	for (size_t i = 0; rc == SPM_OK && i < teams.n; i++) {
		s->team[i] = ((struct team_row *)teams.p)[i].id;
		s->parent[i] = ((struct team_row *)teams.p)[i].parent;
	}
	for (size_t i = 0; rc == SPM_OK && i < users.n; i++) {
		s->user[i] = ((struct user_row *)users.p)[i].id;
		s->hired_on[i] = ((struct user_row *)users.p)[i].hired;
	}
	spm__free(db, teams.p);
	spm__free(db, users.p);
	s->mem = mem.p;
	s->nmem = mem.n;
	if (rc == SPM_OK && s->nmem)
		qsort(s->mem, s->nmem, sizeof(*s->mem), by_user);
	if (rc != SPM_OK)
		spm__org_snap_free(db, s);
	return rc;
}

void spm__org_snap_free(spm_db *db, struct spm__org_snap *s)
{
	spm__free(db, s->team);
	spm__free(db, s->parent);
	spm__free(db, s->mem);
	spm__free(db, s->user);
	spm__free(db, s->hired_on);
	memset(s, 0, sizeof(*s));
}

static long find_id(const int64_t *a, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] == id)
			return (long)mid;
		if (a[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

long spm__org_snap_team(const struct spm__org_snap *s, int64_t team)
{
	return find_id(s->team, s->nteams, team);
}

int64_t spm__org_snap_team_of(const struct spm__org_snap *s, int64_t user, spm_date on)
{
	size_t lo = 0, hi = s->nmem;
	int64_t team = 0;

	while (lo < hi) {  /* first membership of the user */
		size_t mid = lo + (hi - lo) / 2;

		if (s->mem[mid].user < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the latest membership started by then that has not ended wins */
	for (size_t i = lo; i < s->nmem && s->mem[i].user == user && s->mem[i].from <= on; i++)
		if (s->mem[i].to == SPM_DATE_NONE || s->mem[i].to >= on)
			team = s->mem[i].team;
	return team;
}

int spm__org_snap_under(const struct spm__org_snap *s, int64_t team, int64_t root)
{
	/* a cycle cannot be stored (org rules), but a bound costs nothing */
	for (size_t depth = 0; team != 0 && depth <= s->nteams; depth++) {
		long i;

		if (team == root)
			return 1;
		i = spm__org_snap_team(s, team);
		if (i < 0)
			return 0;
		team = s->parent[i];
	}
	return 0;
}

spm_date spm__org_snap_hired(const struct spm__org_snap *s, int64_t user)
{
	long i = find_id(s->user, s->nusers, user);

	return i < 0 ? SPM_DATE_NONE : s->hired_on[i];
}

struct days { struct grow off, on; };

static int add_day(spm_record *rec, void *payload)
{
	struct days *d = payload;
	spm_date *slot = grow_slot(spm__fld_num(rec, "working") ? &d->on : &d->off);

	if (slot)
		*slot = (spm_date)spm__fld_num(rec, "date");
	spm_record_free(rec);
	return slot ? SPM_OK : spm__error_oom();
}

static int by_date(const void *a, const void *b)
{
	spm_date x = *(const spm_date *)a, y = *(const spm_date *)b;

	return x < y ? -1 : x > y;
}

int spm__workcal_load(struct spm__workcal *w, spm_db *db)
{
	struct days d = { { db, NULL, 0, 0, sizeof(spm_date) }, { db, NULL, 0, 0, sizeof(spm_date) } };
	int rc = scan_all(db, "holiday", add_day, &d);

	w->off = d.off.p;
	w->noff = d.off.n;
	w->on = d.on.p;
	w->non = d.on.n;
	if (w->noff)
		qsort(w->off, w->noff, sizeof(spm_date), by_date);
	if (w->non)
		qsort(w->on, w->non, sizeof(spm_date), by_date);
	if (rc != SPM_OK)
		spm__workcal_free(db, w);
	return rc;
}

void spm__workcal_free(spm_db *db, struct spm__workcal *w)
{
	spm__free(db, w->off);
	spm__free(db, w->on);
	memset(w, 0, sizeof(*w));
}
