/* Targets benchmark: USERS users in TEAMS teams (a root, regions, leaf
 * teams; every 50th user moves team mid-quarter), five won and two open
 * deals per user in Q1 2026, seeded. Measures
 *   1. decomposing the annual target down the whole org by headcount in one
 *      stored call (spm_target_decompose_tree) and every user's annual
 *      target into its 53 weeks (the kernel); up to 2000 users also the old
 *      way, one stored spm_target_decompose per team, as the peer (the
 *      children must be the same);
 *   2. progress for every node for one quarter (spm_target_progress_foreach),
 *      cold (the first call fills the analytics cache) and warm;
 *   3. a tick checking a pace warning against every current target;
 * and, as the peer of 2, the same roll-up in SQL (recursive CTE over the
 * team tree, deals attributed by dated membership) on the same SQLite file.
 * Prints the figures; exits 1 when libspm and its peers disagree.
 *
 *   targets_bench [USERS [TEAMS]]      default 10000 500 */
#define _POSIX_C_SOURCE 200809L
#include <spm/spm.h>

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t seed = 20260301;

static uint64_t rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return seed >> 33;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "targets_bench: %s: %s (%s)\n", what, spm_error_message(),
		spm_result_name(rc));
	exit(2);
}

#define CHECK(call) do { int rc_ = (call); if (rc_ != SPM_OK) die(#call, rc_); } while (0)

struct world {
	int users, teams, regions;
	int64_t *team_of;     /* user -> leaf team (1-based ids) */
	int64_t *moved_to;    /* user -> team after the move, or 0 */
	spm_db *db;
	spm_batch *b;
	size_t pending;
	int peer_pass;        /* 0: write libspm records; 1: the same rows into the peer tables */
};

static spm_date day(int y, int m, int d)
{
	spm_date out;

	CHECK(spm_date_from_ymd(&out, y, m, d));
	return out;
}

static void flush(struct world *w)
{
	if (w->pending) {
		CHECK(spm_batch_commit(w->b, NULL));
		spm_batch_free(w->b);
		w->b = NULL;
		w->pending = 0;
	}
}

/* Adds a record from field/text pairs to the current batch. */
static void add(struct world *w, const char *kind, const char *const *kv)
{
	spm_record *r;

	if (w->peer_pass)
		return;
	if (w->b == NULL)
		CHECK(spm_batch_new(&w->b, w->db));
	CHECK(spm_record_new(&r, w->db, kind));
	for (; kv[0]; kv += 2)
		CHECK(spm_record_set_from_text(r, kv[0], kv[1]));
	CHECK(spm_batch_save(w->b, r));
	spm_record_free(r);
	if (++w->pending == 5000)
		flush(w);
}

#define ADD(w, kind, ...) add(w, kind, (const char *const[]){ __VA_ARGS__, NULL })

static const char *num(char *buf, int64_t v)
{
	snprintf(buf, 24, "%lld", (long long)v);
	return buf;
}

static void seed_world(struct world *w, sqlite3 *peer)
{
	char a[24], b[24], c[24], when[32];
	int leaves = w->teams - 1 - w->regions;
	spm_date q1 = day(2026, 1, 1), move = day(2026, 2, 15);
	sqlite3_stmt *ins_team, *ins_mem, *ins_opp;

	if (w->peer_pass)
		sqlite3_exec(peer, "CREATE TABLE peer_team(id INTEGER PRIMARY KEY, parent INTEGER);"
		     "CREATE TABLE peer_membership(user INTEGER, team INTEGER, from_day INTEGER,"
		     " to_day INTEGER);"
		     "CREATE TABLE peer_opp(owner INTEGER, day INTEGER, amount INTEGER, status TEXT);"
		     "CREATE INDEX peer_membership_user ON peer_membership(user);"
		     "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(peer, "INSERT INTO peer_team VALUES(?,?)", -1, &ins_team, NULL);
	sqlite3_prepare_v2(peer, "INSERT INTO peer_membership VALUES(?,?,?,?)", -1, &ins_mem, NULL);
	sqlite3_prepare_v2(peer, "INSERT INTO peer_opp VALUES(?,?,?,?)", -1, &ins_opp, NULL);
	ADD(w, "role", "name", "admin", "scope", "3", "actions", "*");
	ADD(w, "pipeline", "name", "P");
	ADD(w, "stage", "pipeline_id", "1", "name", "commit", "position", "1", "probability", "60");
	ADD(w, "stage", "pipeline_id", "1", "name", "won", "position", "2", "outcome", "won");
	for (int t = 1; t <= w->teams; t++) {
		int64_t parent = t == 1 ? 0 : t <= 1 + w->regions ? 1 : 2 + (t % w->regions);

		if (parent)
			ADD(w, "team", "name", num(a, t), "parent_id", num(b, parent));
		else
			ADD(w, "team", "name", "root");
		sqlite3_bind_int64(ins_team, 1, t);
		sqlite3_bind_int64(ins_team, 2, parent);
		if (w->peer_pass)
			sqlite3_step(ins_team);
		sqlite3_reset(ins_team);
	}
	for (int u = 1; u <= w->users; u++) {
		int64_t leaf = 2 + w->regions + (u % leaves);

		w->team_of[u] = leaf;
		w->moved_to[u] = u % 50 == 0 ? 2 + w->regions + ((u + 7) % leaves) : 0;
		if (w->moved_to[u] == leaf)
			w->moved_to[u] = 0;
		ADD(w, "user", "name", num(a, u), "role_id", "1", "active", "true");
		if (w->moved_to[u]) {
			ADD(w, "membership", "user_id", num(a, u), "team_id", num(b, leaf), "valid_from",
			    "2025-01-01", "valid_to", "2026-02-14");
			ADD(w, "membership", "user_id", num(a, u), "team_id", num(b, w->moved_to[u]),
			    "valid_from", "2026-02-15");
		} else {
			ADD(w, "membership", "user_id", num(a, u), "team_id", num(b, leaf), "valid_from",
			    "2025-01-01");
		}
		for (int k = 0; k < 2; k++) {
			int64_t team = k == 0 ? leaf : w->moved_to[u];

			if (team == 0)
				continue;
			sqlite3_bind_int64(ins_mem, 1, u);
			sqlite3_bind_int64(ins_mem, 2, team);
			sqlite3_bind_int64(ins_mem, 3, k == 0 ? day(2025, 1, 1) : move);
			if (k == 0 && w->moved_to[u])
				sqlite3_bind_int64(ins_mem, 4, move - 1);
			else
				sqlite3_bind_null(ins_mem, 4);
			if (w->peer_pass)
				sqlite3_step(ins_mem);
			sqlite3_reset(ins_mem);
		}
		for (int k = 0; k < 7; k++) {
			spm_date d = q1 + (spm_date)(rnd() % 90);
			int64_t amount = 1000 + (int64_t)(rnd() % 5000000);
			char dd[SPM_DATE_FORMAT_MAX];

			snprintf(c, sizeof(c), "%lld.%02lld CNY", (long long)(amount / 100),
				 (long long)(amount % 100));
			spm_date_format(dd, sizeof(dd), d);
			if (k < 5) {
				snprintf(when, sizeof(when), "%sT10:00:00Z", dd);
				ADD(w, "opportunity", "name", "won", "pipeline_id", "1", "owner_id", num(a, u),
				    "stage_id", "2", "status", "won", "amount", c, "closed_at", when);
			} else {
				ADD(w, "opportunity", "name", "open", "pipeline_id", "1", "owner_id",
				    num(a, u), "status", "open", "stage_id", "1", "amount", c,
				    "expected_close", dd);
			}
			sqlite3_bind_int64(ins_opp, 1, u);
			sqlite3_bind_int64(ins_opp, 2, d);
			sqlite3_bind_int64(ins_opp, 3, amount);
			sqlite3_bind_text(ins_opp, 4, k < 5 ? "won" : "open", -1, SQLITE_STATIC);
			if (w->peer_pass)
				sqlite3_step(ins_opp);
			sqlite3_reset(ins_opp);
		}
	}
	flush(w);
	sqlite3_finalize(ins_team);
	sqlite3_finalize(ins_mem);
	sqlite3_finalize(ins_opp);
	if (w->peer_pass)
		sqlite3_exec(peer, "COMMIT", NULL, NULL, NULL);
}

static int64_t target(spm_db *db, const char *period, const char *start, const char *value)
{
	spm_record *r;
	int64_t id;

	CHECK(spm_record_new(&r, db, "target"));
	CHECK(spm_record_set_text(r, "metric", "won_amount"));
	CHECK(spm_record_set_text(r, "owner_kind", "team"));
	CHECK(spm_record_set_int(r, "owner_ref", 1));
	CHECK(spm_record_set_text(r, "period_kind", period));
	CHECK(spm_record_set_from_text(r, "period_start", start));
	CHECK(spm_record_set_from_text(r, "value", value));
	CHECK(spm_record_set_text(r, "currency", "CNY"));
	CHECK(spm_record_set_text(r, "reason", "bench"));
	CHECK(spm_record_save(db, r));
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

struct kids { int64_t sum; size_t n; int64_t *owner, *value; char *kind; size_t cap; };

static int take_part(const spm_target_part *p, void *payload)
{
	struct kids *k = payload;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 1024;
		k->owner = realloc(k->owner, k->cap * sizeof(*k->owner));
		k->value = realloc(k->value, k->cap * sizeof(*k->value));
		k->kind = realloc(k->kind, k->cap);
		if (!k->owner || !k->value || !k->kind)
			return SPM_ENOMEM;
	}
	k->owner[k->n] = p->owner_ref;
	k->value[k->n] = p->value;
	k->kind[k->n++] = p->owner_kind[0];
	k->sum += p->value;
	return 0;
}

/* The old way, as the peer of the tree call: one stored decomposition per
 * team, each reloading the org. */
struct level { int64_t ids[4096]; int n; struct kids *all; };

static int take_team(const spm_target_part *p, void *payload)
{
	struct level *k = payload;

	if (strcmp(p->owner_kind, "team") == 0 && k->n < 4096)
		k->ids[k->n++] = p->target_id;
	return take_part(p, k->all);
}

static int decompose_per_team(spm_db *db, int64_t id, struct kids *all, size_t *calls)
{
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	struct level *k = calloc(1, sizeof(*k));
	int rc;

	plan.method = SPM_TARGET_HEADCOUNT;
	k->all = all;
	rc = spm_target_decompose(NULL, db, id, &plan, "bench", take_team, k);
	(*calls)++;
	for (int i = 0; rc == SPM_OK && i < k->n; i++)
		rc = decompose_per_team(db, k->ids[i], all, calls);
	free(k);
	return rc;
}

struct part_key { char kind; int64_t owner, value; };

static int by_key(const void *x, const void *y)
{
	const struct part_key *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	return a->value < b->value ? -1 : a->value > b->value;
}

static struct part_key *sorted_parts(const struct kids *k)
{
	struct part_key *p = calloc(k->n + 1, sizeof(*p));

	for (size_t i = 0; p && i < k->n; i++)
		p[i] = (struct part_key){ k->kind[i], k->owner[i], k->value[i] };
	if (p)
		qsort(p, k->n, sizeof(*p), by_key);
	return p;
}

/* How many parts differ between the two ways (the same multiset of
 * (kind, owner, value) is expected; the orders differ). */
static size_t parts_differ(const struct kids *a, const struct kids *b)
{
	struct part_key *x = sorted_parts(a), *y = sorted_parts(b);
	size_t bad = a->n > b->n ? a->n - b->n : b->n - a->n;

	for (size_t i = 0; x && y && i < a->n && i < b->n; i++)
		bad += by_key(&x[i], &y[i]) != 0;
	free(x);
	free(y);
	return bad;
}

static void alert(spm_db *db)
{
	spm_record *r;

	CHECK(spm_record_new(&r, db, "target_alert"));
	CHECK(spm_record_set_text(r, "name", "behind"));
	CHECK(spm_record_set_text(r, "check", "pace"));
	CHECK(spm_record_set_int(r, "below_pct", 80));
	CHECK(spm_record_set_int(r, "after_elapsed_pct", 30));
	CHECK(spm_record_save(db, r));
	spm_record_free(r);
}

struct roll { int64_t *team_att; int teams; size_t nodes; int64_t root_pipe; };

static int take_progress(const spm_target_progress *p, void *payload)
{
	struct roll *r = payload;

	r->nodes++;
	if (strcmp(p->owner_kind, "team") == 0 && p->owner_ref <= r->teams)
		r->team_att[p->owner_ref] = p->attained;
	if (strcmp(p->owner_kind, "team") == 0 && p->owner_ref == 1)
		r->root_pipe = p->pipeline;
	return 0;
}

int main(int argc, char **argv)
{
	struct world w = { 0 };
	char dir[] = "/tmp/spm-bench-XXXXXX", path[64];
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	sqlite3 *peer;
	sqlite3_stmt *st;
	struct roll roll = { 0 };
	int64_t *sql_att, year, quarter, weights[53], parts[53], total = 0;
	int weeks = 0, bad = 0;
	size_t calls = 0, decomposed = 0, differ = 0;
	struct kids tree = { 0 }, per_team = { 0 };
	spm_target_plan plan = SPM_TARGET_PLAN_INIT;
	double t0, t_org, t_peer = -1, t_weeks, t_cold, t_prog, t_prog2, t_sql, t_tick;

	w.users = argc > 1 ? atoi(argv[1]) : 10000;
	w.teams = argc > 2 ? atoi(argv[2]) : 500;
	w.regions = w.teams / 25 > 0 ? w.teams / 25 : 1;
	if (w.users < 10 || w.teams < 3 || w.teams - 1 - w.regions < 1) {
		fprintf(stderr, "usage: targets_bench [USERS>=10 [TEAMS>=3]]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	o.path = path;
	CHECK(spm_db_open(&w.db, &o));
	if (sqlite3_open(path, &peer) != SQLITE_OK)
		return 2;
	w.team_of = calloc((size_t)w.users + 1, sizeof(int64_t));
	w.moved_to = calloc((size_t)w.users + 1, sizeof(int64_t));
	t0 = now_ms();
	seed_world(&w, peer);
	seed = 20260301;  /* the same rows again, into the peer's tables */
	w.peer_pass = 1;
	seed_world(&w, peer);
	printf("targets_bench: %d users, %d teams (%d regions), %d deals; seeded in %.0f ms\n",
	       w.users, w.teams, w.regions, w.users * 7, now_ms() - t0);

	/* 1. the annual target down the org (stored), then each user's year
	 * into 52 weeks by working days (the kernel) */
	year = target(w.db, "year", "2026-01-01", "12000000000");
	t0 = now_ms();
	plan.method = SPM_TARGET_HEADCOUNT;
	CHECK(spm_target_decompose_tree(&decomposed, w.db, year, &plan, "bench", take_part, &tree));
	t_org = now_ms() - t0;
	/* the peer: one call per team over the same children (updated in
	 * place); ~5 ms per team and child at 10,000 users, so only when small */
	if (w.users <= 2000) {
		t0 = now_ms();
		CHECK(decompose_per_team(w.db, year, &per_team, &calls));
		t_peer = now_ms() - t0;
		differ = parts_differ(&tree, &per_team);
	}
	t0 = now_ms();
	for (spm_date d = day(2025, 12, 29); d + 3 <= day(2026, 12, 31); d += 7) {
		int wd, n = 0;

		for (int k = 0; k < 7; k++)
			if (spm_date_weekday(&wd, d + k) == SPM_OK && wd <= 5)
				n++;
		weights[weeks++] = n;
	}
	for (int u = 1; u <= w.users; u++) {
		CHECK(spm_target_split(parts, 1200000 + u, weights, (size_t)weeks));
		total += parts[weeks - 1];
	}
	t_weeks = now_ms() - t0;
	printf("decompose: org tree by headcount, one call, %zu targets decomposed, %zu children "
	       "stored: %.1f ms\n", decomposed, tree.n, t_org);
	if (t_peer >= 0)
		printf("decompose: peer, one stored call per team (%zu calls) over the same "
		       "children (updated in place, unchanged): %.1f ms; %zu of %zu children "
		       "differ\n", calls, t_peer, differ, tree.n);
	else
		printf("decompose: peer, one stored call per team: skipped above 2000 users\n");
	printf("decompose: %d users x %d weeks by working days (kernel): %.2f ms (aim <= 100 ms)\n",
	       w.users, weeks, t_weeks);

	/* 2. progress of every node for Q1 */
	quarter = target(w.db, "quarter", "2026-01-01", "3000000000");
	roll.teams = w.teams;
	roll.team_att = calloc((size_t)w.teams + 1, sizeof(int64_t));
	/* cold: the first call fills the analytics cache; warm: the calls after
	 * it only catch the cache up by change sequence */
	t0 = now_ms();
	CHECK(spm_target_progress_foreach(w.db, quarter, day(2026, 3, 20), take_progress, &roll));
	t_cold = now_ms() - t0;
	roll.nodes = 0;
	t0 = now_ms();
	CHECK(spm_target_progress_foreach(w.db, quarter, day(2026, 3, 20), take_progress, &roll));
	t_prog = now_ms() - t0;
	roll.nodes = 0;
	t0 = now_ms();
	CHECK(spm_target_progress_foreach(w.db, quarter, day(2026, 3, 20), take_progress, &roll));
	t_prog2 = now_ms() - t0;
	printf("progress: %zu nodes, one quarter: cold %.1f ms, warm %.1f ms and %.1f ms "
	       "(aim <= 200 ms warm)\n", roll.nodes, t_cold, t_prog, t_prog2);

	/* tick: a pace warning checked against every current target (the
	 * quarter's and the year's whole tree) */
	alert(w.db);
	t0 = now_ms();
	CHECK(spm_db_tick(w.db, (spm_time)day(2026, 3, 20) * 86400 + 43200));
	t_tick = now_ms() - t0;
	printf("tick: pace warnings for %zu current targets: %.1f ms\n", tree.n + 2, t_tick);

	/* the peer: the same attainment roll-up in SQL on the same file */
	sql_att = calloc((size_t)w.teams + 1, sizeof(int64_t));
	t0 = now_ms();
	sqlite3_prepare_v2(peer,
		"WITH RECURSIVE up(team, anc) AS ("
		"  SELECT id, id FROM peer_team"
		"  UNION ALL SELECT up.team, t.parent FROM up JOIN peer_team t ON t.id = up.anc"
		"  WHERE t.parent != 0)"
		" SELECT up.anc, SUM(o.amount) FROM peer_opp o"
		" JOIN peer_membership m ON m.user = o.owner AND m.from_day <= o.day"
		"  AND (m.to_day IS NULL OR m.to_day >= o.day)"
		" JOIN up ON up.team = m.team"
		" WHERE o.status = 'won' AND o.day BETWEEN ?1 AND ?2 GROUP BY up.anc",
		-1, &st, NULL);
	sqlite3_bind_int64(st, 1, day(2026, 1, 1));
	sqlite3_bind_int64(st, 2, day(2026, 3, 20));
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t team = sqlite3_column_int64(st, 0);

		if (team >= 1 && team <= w.teams)
			sql_att[team] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	t_sql = now_ms() - t0;
	for (int t = 1; t <= w.teams; t++)
		bad += sql_att[t] != roll.team_att[t];
	printf("peer: SQLite recursive CTE roll-up of attainment: %.1f ms (libspm %.1f ms for "
	       "every figure of every node)\n", t_sql, t_prog);
	printf("check: %d of %d team attainments differ from SQL; root attained %lld, "
	       "weighted pipeline %lld\n", bad, w.teams, (long long)roll.team_att[1],
	       (long long)roll.root_pipe);
	(void)total;
	sqlite3_close(peer);
	spm_db_close(w.db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.db-shm", dir);
	unlink(path);
	rmdir(dir);
	free(w.team_of);
	free(w.moved_to);
	free(roll.team_att);
	free(tree.owner);
	free(tree.value);
	free(tree.kind);
	free(per_team.owner);
	free(per_team.value);
	free(per_team.kind);
	free(sql_att);
	return bad || differ ? 1 : 0;
}
