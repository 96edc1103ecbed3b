/* Lead assignment benchmark: N leads (default 1,000,000) from a seeded
 * generator over 500 reps and 20 assignment rules (round robin with
 * conditions under a capacity limit, territory, weighted, least busy),
 * committed in batches. The peer, in the same run and on an identical
 * database, is inserting the same leads without assignment.
 *
 *   leads_bench [N [BATCH [DIR]]]
 *
 * Three identical databases get the same leads: plain insert (the peer);
 * insert with assignment on create (pool_policy.assign_on_create, the
 * measured side); and insert, then spm_lead_assign_pool2() after each
 * batch (the way before schema version 6; both are real ways to use the
 * library). Prints leads/s in CPU time of the process and the ratios to
 * plain insert, and checks that both assigning sides gave every lead the
 * same owner. A last line is the floor: SQLite alone writing the rows the
 * plain side stored, with the lead table's indexes, in the same batches,
 * and nothing else (no audit row, event, id counter or validation), the
 * rows copied by INSERT ... SELECT from the plain database. Exits non-zero
 * only when something fails (never on speed: figures are for people to
 * read). */
#define _POSIX_C_SOURCE 200809L
#include <spm/spm.h>
#include <sqlite3.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPS 500
#define RULES 20
#define T0 ((spm_time)1772355600)  /* 2026-03-01T09:00:00Z */

static spm_time fixed_clock(void *payload)
{
	(void)payload;
	return T0;
}

/* CPU time of the process: the machine may be shared, and the figures
 * should not depend on what else runs (both sides are timed alike). */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "leads_bench: %s: %s (%s)\n", what, spm_error_message(),
		spm_result_name(rc));
	exit(1);
}

/* xorshift64*: the seeded generator, so both databases get the same leads. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static int64_t add(spm_db *db, const char *kind, const char *const *kv)
{
	spm_record *r = NULL;
	int64_t id;
	int rc = spm_record_new(&r, db, kind);

	for (; rc == SPM_OK && kv[0]; kv += 2)
		rc = spm_record_set_from_text(r, kv[0], kv[1]);
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	if (rc != SPM_OK)
		die(kind, rc);
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

#define ADD(db, kind, ...) add(db, kind, (const char *const[]){ __VA_ARGS__, NULL })

/* Reps 1..500 (user ids 2..501; user 1 is the admin) and 20 rules:
 *  1-10  round robin over 50 reps each, for one industry (I0..I9)
 *  11-15 territory by region (R0..R19 → one rep each), for one source (S0..S4)
 *  16-19 weighted over 20 reps (weights 1..4), for one channel (C0..C3)
 *  20    least busy over 100 reps, everything left
 * and a pool policy capping every rep at 5,000 open leads (with on_create,
 * assigning on create with seed 2026, the seed the pool side passes). */
static void setup(spm_db *db, int on_create)
{
	char buf[8][4096];

	ADD(db, "role", "name", "admin", "scope", "3", "actions", "*");
	ADD(db, "role", "name", "rep", "scope", "1");
	ADD(db, "user", "name", "admin", "role_id", "1", "active", "true");
	for (int u = 0; u < REPS; u++) {
		snprintf(buf[0], sizeof(buf[0]), "rep %d", u);
		ADD(db, "user", "name", buf[0], "role_id", "2", "active", "true");
	}
	if (on_create)
		ADD(db, "pool_policy", "max_open", "5000", "assign_on_create", "true",
		    "assign_seed", "2026");
	else
		ADD(db, "pool_policy", "max_open", "5000");
	for (int k = 0; k < 10; k++) {
		size_t len = 0;
		for (int u = 0; u < 50; u++)
			len += (size_t)snprintf(buf[1] + len, sizeof(buf[1]) - len, "%s%d",
						u ? "," : "", 2 + k * 50 + u);
		snprintf(buf[0], sizeof(buf[0]), "%d", k + 1);
		snprintf(buf[2], sizeof(buf[2]), "industry = 'I%d'", k);
		ADD(db, "assignment_rule", "position", buf[0], "name", "industry rr", "condition",
		    buf[2], "method", "round_robin", "users", buf[1]);
	}
	for (int k = 0; k < 5; k++) {
		size_t len = 0;
		for (int r = 0; r < 20; r++)
			len += (size_t)snprintf(buf[1] + len, sizeof(buf[1]) - len, "%sR%d=%d",
						r ? "," : "", r, 2 + (k * 20 + r) % REPS);
		snprintf(buf[0], sizeof(buf[0]), "%d", 11 + k);
		snprintf(buf[2], sizeof(buf[2]), "source = 'S%d'", k);
		ADD(db, "assignment_rule", "position", buf[0], "name", "territory", "condition",
		    buf[2], "method", "territory", "territory_field", "region", "territory_map",
		    buf[1]);
	}
	for (int k = 0; k < 4; k++) {
		size_t len = 0;
		for (int u = 0; u < 20; u++)
			len += (size_t)snprintf(buf[1] + len, sizeof(buf[1]) - len, "%s%d:%d",
						u ? "," : "", 102 + k * 20 + u, 1 + u % 4);
		snprintf(buf[0], sizeof(buf[0]), "%d", 16 + k);
		snprintf(buf[2], sizeof(buf[2]), "industry = 'X%d'", k);
		ADD(db, "assignment_rule", "position", buf[0], "name", "weighted", "condition",
		    buf[2], "method", "weighted", "users", buf[1]);
	}
	{
		size_t len = 0;
		for (int u = 0; u < 100; u++)
			len += (size_t)snprintf(buf[1] + len, sizeof(buf[1]) - len, "%s%d",
						u ? "," : "", 402 + u);
		ADD(db, "assignment_rule", "position", "20", "name", "rest", "method", "least_busy",
		    "users", buf[1]);
	}
}

static spm_db *open_bench_db(const char *path, int on_create)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;
	int rc;

	o.path = path;
	o.clock = fixed_clock;
	o.actor = 0;
	rc = spm_db_open(&db, &o);
	if (rc != SPM_OK)
		die("open", rc);
	setup(db, on_create);
	return db;
}

/* One batch of generated leads, committed. */
static void insert_batch(spm_db *db, size_t n)
{
	static const char *const industries[] = { "I0", "I1", "I2", "I3", "I4", "I5", "I6",
		"I7", "I8", "I9", "X0", "X1", "X2", "X3", "Other" };
	spm_batch *b = NULL;
	spm_record *r = NULL;
	char region[8], source[8], company[32];
	int rc = spm_batch_new(&b, db);

	for (size_t i = 0; rc == SPM_OK && i < n; i++) {
		uint64_t x = rnd();
		snprintf(region, sizeof(region), "R%u", (unsigned)(x % 20));
		snprintf(source, sizeof(source), "S%u", (unsigned)(x / 20 % 8));
		snprintf(company, sizeof(company), "Company %" PRIu64, x >> 20);
		rc = spm_record_new(&r, db, "lead");
		if (rc == SPM_OK)
			rc = spm_record_set_text(r, "company", company);
		if (rc == SPM_OK)
			rc = spm_record_set_text(r, "region", region);
		if (rc == SPM_OK)
			rc = spm_record_set_text(r, "source", source);
		if (rc == SPM_OK)
			rc = spm_record_set_text(r, "industry",
						 industries[x / 160 % (sizeof(industries) /
								      sizeof(industries[0]))]);
		if (rc == SPM_OK)
			rc = spm_batch_save(b, r);
		spm_record_free(r);
		r = NULL;
	}
	if (rc == SPM_OK)
		rc = spm_batch_commit(b, NULL);
	spm_batch_free(b);
	if (rc != SPM_OK)
		die("insert", rc);
}

static int owner_cb(const spm_record *rec, void *payload)
{
	int64_t **next = payload, owner = 0;

	if (spm_record_get_int(&owner, rec, "owner_id") != SPM_OK)
		owner = 0;
	*(*next)++ = owner;
	return 0;
}

/* The owners of leads 1..n (0: in the pool), in id order. */
static int64_t *owners(spm_db *db, size_t n)
{
	int64_t *all = calloc(n, sizeof(*all)), *next = all;
	spm_query *q = NULL;
	int rc;

	if (all == NULL)
		die("owners: out of memory", SPM_ENOMEM);
	rc = spm_query_new(&q, db, "lead");
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, owner_cb, &next);
	spm_query_free(q);
	if (rc != SPM_OK || next != all + n)
		die("owners", rc);
	return all;
}

static void remove_db(const char *p)
{
	char side[600];

	unlink(p);
	snprintf(side, sizeof(side), "%s-wal", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p);
	unlink(side);
}

static void sql_die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "leads_bench: floor: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void sql_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		sql_die(db, sql);
}

/* The floor (see the top): CPU seconds for SQLite alone to store the lead
 * rows of plain_path into a new database at path, batch rows per commit,
 * with the backend's pragmas. */
static double sqlite_floor(const char *plain_path, const char *path, size_t batch)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ddl = NULL, *copy = NULL;
	sqlite3_int64 last = 0;
	char attach[600];
	double total = 0, t;

	/* URI names: the plain database is attached read-only */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK)
		sql_die(db, "open");
	snprintf(attach, sizeof(attach), "ATTACH 'file:%s?mode=ro' AS src", plain_path);
	sql_exec(db, "PRAGMA journal_mode=WAL");
	sql_exec(db, "PRAGMA synchronous=NORMAL");
	sql_exec(db, "PRAGMA temp_store=MEMORY");
	sql_exec(db, "PRAGMA cache_size=-65536");
	sql_exec(db, attach);
	/* the table first, then its indexes, as the backend made them */
	if (sqlite3_prepare_v2(db, "SELECT sql FROM src.sqlite_master WHERE tbl_name = 'lead' "
			       "AND sql IS NOT NULL ORDER BY type = 'table' DESC", -1, &ddl,
			       NULL) != SQLITE_OK)
		sql_die(db, "schema");
	while (sqlite3_step(ddl) == SQLITE_ROW)
		sql_exec(db, (const char *)sqlite3_column_text(ddl, 0));
	sqlite3_finalize(ddl);
	if (sqlite3_prepare_v2(db, "INSERT INTO main.lead SELECT * FROM src.lead WHERE id > ?1 "
			       "ORDER BY id LIMIT ?2", -1, &copy, NULL) != SQLITE_OK)
		sql_die(db, "prepare");
	for (;;) {
		sqlite3_int64 before = last;

		t = now_s();
		sql_exec(db, "BEGIN IMMEDIATE");
		sqlite3_bind_int64(copy, 1, last);
		sqlite3_bind_int64(copy, 2, (sqlite3_int64)batch);
		if (sqlite3_step(copy) != SQLITE_DONE)
			sql_die(db, "copy");
		sqlite3_reset(copy);
		if (sqlite3_changes(db) > 0)
			last = sqlite3_last_insert_rowid(db);
		sql_exec(db, "COMMIT");
		total += now_s() - t;
		if (last == before)
			break;
	}
	sqlite3_finalize(copy);
	sqlite3_close(db);
	return total;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
	size_t batch = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 10000;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	char plain_path[512], create_path[512], pool_path[512], floor_path[512];
	spm_lead_assign_options ao = SPM_LEAD_ASSIGN_OPTIONS_INIT;
	double t_plain = 0, t_create = 0, t_insert = 0, t_assign = 0, t_floor, t;
	size_t assigned = 0, on_create = 0, got, differ = 0;
	int64_t *by_create, *by_pool;
	spm_db *plain, *created, *pooled;
	int rc;

	if (n == 0 || batch == 0) {
		fprintf(stderr, "usage: leads_bench [N [BATCH [DIR]]]\n");
		return 2;
	}
	snprintf(plain_path, sizeof(plain_path), "%s/leads_bench_plain_%ld.db", dir, (long)getpid());
	snprintf(create_path, sizeof(create_path), "%s/leads_bench_create_%ld.db", dir,
		 (long)getpid());
	snprintf(pool_path, sizeof(pool_path), "%s/leads_bench_pool_%ld.db", dir, (long)getpid());
	snprintf(floor_path, sizeof(floor_path), "%s/leads_bench_floor_%ld.db", dir,
		 (long)getpid());
	plain = open_bench_db(plain_path, 0);
	created = open_bench_db(create_path, 1);
	pooled = open_bench_db(pool_path, 0);
	ao.seed = 2026;

	rng_state = UINT64_C(0x5eed5eed5eed5eed);
	for (size_t done = 0; done < n; done += batch) {
		size_t k = n - done < batch ? n - done : batch;
		t = now_s();
		insert_batch(plain, k);
		t_plain += now_s() - t;
	}
	/* Printed as soon as each is known: at 1,000,000 leads a side takes
	 * minutes. */
	printf("leads %zu, reps %d, rules %d, batch %zu\n", n, REPS, RULES, batch);
	printf("plain insert               %10.0f leads/s  (%.2f s)\n", (double)n / t_plain,
	       t_plain);
	fflush(stdout);
	rng_state = UINT64_C(0x5eed5eed5eed5eed);
	for (size_t done = 0; done < n; done += batch) {
		size_t k = n - done < batch ? n - done : batch;
		t = now_s();
		insert_batch(created, k);
		t_create += now_s() - t;
	}
	printf("insert, assign on create   %10.0f leads/s  (%.2f s)  ratio to plain %.2fx\n",
	       (double)n / t_create, t_create, t_create / t_plain);
	fflush(stdout);
	rng_state = UINT64_C(0x5eed5eed5eed5eed);
	for (size_t done = 0; done < n; done += batch) {
		size_t k = n - done < batch ? n - done : batch;
		t = now_s();
		insert_batch(pooled, k);
		t_insert += now_s() - t;
		t = now_s();
		rc = spm_lead_assign_pool2(&got, pooled, &ao);
		t_assign += now_s() - t;
		if (rc != SPM_OK)
			die("assign", rc);
		assigned += got;
	}
	printf("insert, then assign pool   %10.0f leads/s  (%.2f s)  ratio to plain %.2fx\n",
	       (double)n / (t_insert + t_assign), t_insert + t_assign,
	       (t_insert + t_assign) / t_plain);
	printf("  the pool call alone      %10.0f leads/s  (%.2f s)  ratio to plain %.2fx\n",
	       (double)n / t_assign, t_assign, t_assign / t_plain);
	by_create = owners(created, n);
	by_pool = owners(pooled, n);
	for (size_t i = 0; i < n; i++) {
		on_create += by_create[i] != 0;
		differ += by_create[i] != by_pool[i];
	}
	printf("assigned %zu on create, %zu by the pool call, of %zu; %zu owners differ\n",
	       on_create, assigned, n, differ);
	t_floor = sqlite_floor(plain_path, floor_path, batch);
	printf("floor: SQLite alone, the same lead rows and indexes, nothing else  %10.0f rows/s  "
	       "(%.2f s); plain insert takes %.2fx that\n", (double)n / t_floor, t_floor,
	       t_plain / t_floor);
	free(by_create);
	free(by_pool);
	spm_db_close(plain);
	spm_db_close(created);
	spm_db_close(pooled);
	remove_db(plain_path);
	remove_db(create_path);
	remove_db(pool_path);
	remove_db(floor_path);
	return assigned == 0 || on_create != assigned || differ != 0;
}
