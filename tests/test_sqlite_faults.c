/* Fault injection below the storage boundary (TESTING.md §A): SQLite's own
 * allocator (SQLITE_CONFIG_MALLOC, set here in the test binary only — the
 * library never calls sqlite3_config()) and a pass-through VFS whose Nth
 * xRead/xWrite/xSync/xTruncate fails (sqlite_fault_vfs.c). Each loop fails
 * call N = 1, 2, 3 … until the scenario runs without reaching the fault.
 * Each time: the failing call returns a documented code with a message, the
 * handle stays usable (the step is retried without faults), nothing leaks
 * (neither the handle's allocations nor SQLite's), and after a clean reopen
 * the file passes integrity_check, is in WAL mode, and every write is
 * complete or absent.
 *
 * The scenario is the one of test_fault.c. Criterion runs each test in its
 * own process, so the process-wide SQLite configuration of one test does not
 * reach another. */
#include "helpers.h"
#include "sqlite_fault_vfs.h"

#include <sqlite3.h>

/* ---- SQLite's allocator ---------------------------------------------- */

static sqlite3_mem_methods g_default_mem;

static struct {
	int armed;        /* count and fail only while set */
	long calls;       /* xMalloc + xRealloc calls while armed */
	long fail_at;     /* fail this call (1-based); 0: never */
	int persistent;
	long injected;
	long live;        /* SQLite's live allocations (always counted) */
} g_mem;

static int mem_trip(void)
{
	if (!g_mem.armed)
		return 0;
	g_mem.calls++;
	if (g_mem.fail_at &&
	    (g_mem.calls == g_mem.fail_at || (g_mem.persistent && g_mem.calls > g_mem.fail_at))) {
		g_mem.injected++;
		return 1;
	}
	return 0;
}

static void *mem_malloc(int n)
{
	void *p;

	if (mem_trip())
		return NULL;
	p = g_default_mem.xMalloc(n);
	if (p != NULL)
		g_mem.live++;
	return p;
}

static void mem_free(void *p)
{
	if (p != NULL)
		g_mem.live--;
	g_default_mem.xFree(p);
}

/* SQLite never passes NULL here (sqlite3Realloc() calls xMalloc for it). */
static void *mem_realloc(void *p, int n)
{
	if (mem_trip())
		return NULL;
	return g_default_mem.xRealloc(p, n);
}

static int mem_size(void *p)
{
	return g_default_mem.xSize(p);
}

static int mem_roundup(int n)
{
	return g_default_mem.xRoundup(n);
}

static int mem_init(void *app)
{
	(void)app;
	return g_default_mem.xInit(g_default_mem.pAppData);
}

static void mem_shutdown(void *app)
{
	(void)app;
	g_default_mem.xShutdown(g_default_mem.pAppData);
}

static const sqlite3_mem_methods g_counting_mem = {
	mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup, mem_init, mem_shutdown, NULL,
};

/* First thing in every test: SQLite with the counting allocator and the
 * faulty VFS registered (not as the default). */
static void setup_sqlite(void)
{
	cr_assert_eq(sqlite3_shutdown(), SQLITE_OK);
	cr_assert_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_default_mem), SQLITE_OK);
	cr_assert_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &g_counting_mem), SQLITE_OK);
	cr_assert_eq(sqlite3_initialize(), SQLITE_OK);
	cr_assert_eq(sqlite_fault_vfs_register(), SQLITE_OK);
	cr_assert_str_neq(sqlite3_vfs_find(NULL)->zName, SQLITE_FAULT_VFS_NAME);
	memset(&g_mem, 0, sizeof(g_mem));
	memset(&sqlite_fault_plan, 0, sizeof(sqlite_fault_plan));
}

static void faults_off(void)
{
	g_mem.armed = 0;
	g_mem.fail_at = 0;
	sqlite_fault_plan.armed = 0;
	sqlite_fault_plan.fail_at = 0;
}

/* ---- the scenario (the steps of test_fault.c) ------------------------ */

static long g_point;  /* the fault point of the current run, for messages */

/* What a failing step must return, and a word its message must contain. */
struct expect {
	int code;
	const char *word;
};

struct run {
	struct counting_alloc alloc;
	struct expect expect;
	const char *path;      /* what spm_db_open() gets: a path or a URI */
	spm_db *db;
	int failures;          /* steps that reported the fault */
};

static int open_step(struct run *r)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	o.path = r->path;
	o.clock = test_clock;
	o.actor = 2;
	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = &r->alloc;
	return spm_db_open(&r->db, &o);
}

static int field_step(struct run *r)
{
	int rc = spm_field_add(r->db, "customer", "tier", SPM_FIELD_INTEGER, NULL);

	return rc == SPM_EEXISTS ? SPM_OK : rc;  /* a retry after a lost ack */
}

static int batch_step(struct run *r)
{
	spm_batch *b;
	int rc = spm_batch_new(&b, r->db);

	for (int i = 0; rc == SPM_OK && i < 3; i++) {
		spm_record *rec;
		rc = spm_record_new(&rec, r->db, "customer");
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "name", i == 0 ? "A" : i == 1 ? "B" : "C");
		if (rc == SPM_OK)
			rc = spm_record_set_int(rec, "tier", i);
		if (rc == SPM_OK)
			rc = spm_batch_save(b, rec);
		spm_record_free(rec);
	}
	if (rc == SPM_OK)
		rc = spm_batch_commit(b, "batch-1");
	spm_batch_free(b);
	return rc;
}

static int update_step(struct run *r)
{
	spm_record *rec;
	int rc = spm_record_get(&rec, r->db, "customer", 1);

	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "tier", 9);
	if (rc == SPM_OK)
		rc = spm_record_save(r->db, rec);
	spm_record_free(rec);
	return rc;
}

static int scan_step(struct run *r)
{
	spm_query *q;
	int n = 0;
	int rc = spm_query_new(&q, r->db, "customer");

	if (rc == SPM_OK)
		rc = spm_query_foreach(q, count_record_cb, &n);
	spm_query_free(q);
	if (rc == SPM_OK && n != 3)
		cr_assert_fail("scan saw %d customers", n);
	return rc;
}

static int outbox_step(struct run *r)
{
	int n = 0;
	int rc = spm_outbox_foreach(r->db, 0, 0, count_event_cb, &n);

	if (rc == SPM_OK && n != 5)
		cr_assert_fail("outbox has %d events", n);
	return rc;
}

static int ack_step(struct run *r)
{
	return spm_consumer_ack(r->db, "mailer", 5);
}

static int (*const steps[])(struct run *) = {
	open_step, field_step, batch_step, update_step, scan_step, outbox_step, ack_step,
};

static const char *const step_names[] = {
	"open", "field_add", "batch_commit", "record_save", "query", "outbox", "consumer_ack",
};

/* Runs the steps with the fault plan armed by the caller; a failing step is
 * retried on the same handle with faults off. */
static void run_scenario(struct run *r)
{
	long sqlite_live = g_mem.live;

	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		int rc = steps[s](r);

		if (rc == SPM_OK)
			continue;
		cr_assert(rc == r->expect.code, "point %ld: step %s returned %s (expected %s): %s",
			  g_point, step_names[s], spm_result_name(rc),
			  spm_result_name(r->expect.code), spm_error_message());
		cr_assert(strstr(spm_error_message(), r->expect.word) != NULL,
			  "point %ld: step %s: the message does not say \"%s\": \"%s\"", g_point,
			  step_names[s], r->expect.word, spm_error_message());
		r->failures++;
		faults_off();
		r->alloc.fail_at = 0;
		rc = steps[s](r);  /* the handle is still usable */
		cr_assert_eq(rc, SPM_OK, "point %ld: retry of step %s: %s", g_point, step_names[s],
			     spm_error_message());
	}
	spm_db_close(r->db);
	r->db = NULL;
	faults_off();
	cr_assert_eq(r->alloc.live, 0, "point %ld: %ld handle allocations leaked", g_point,
		     r->alloc.live);
	cr_assert_eq(g_mem.live, sqlite_live, "point %ld: %ld SQLite allocations leaked", g_point,
		     g_mem.live - sqlite_live);
}

/* ---- after the run: the file, opened without faults ------------------ */

static void sql_text(sqlite3 *conn, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;

	cr_assert_eq(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(conn));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(conn));
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Every batch complete or absent; audit and outbox match the data; the file
 * is sound and in WAL mode. */
static void check_consistent(const char *file)
{
	spm_db *db = open_db(file);
	int64_t pos, tier;
	spm_record *rec;
	sqlite3 *conn;
	char text[256];

	cr_assert_eq(count_records(db, "customer"), 3);
	cr_assert_eq(count_audit(db), 1 + 3 * 2 + 1);
	cr_assert_eq(count_events(db), 5);
	cr_assert_eq(spm_consumer_position(&pos, db, "mailer"), SPM_OK);
	cr_assert_eq(pos, 5);
	cr_assert_eq(spm_record_get(&rec, db, "customer", 1), SPM_OK);
	cr_assert_eq(spm_record_get_int(&tier, rec, "tier"), SPM_OK);
	cr_assert_eq(tier, 9);
	spm_record_free(rec);
	spm_db_close(db);

	cr_assert_eq(sqlite3_open_v2(file, &conn, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sql_text(conn, "PRAGMA integrity_check", text, sizeof(text));
	cr_assert_str_eq(text, "ok");
	sql_text(conn, "PRAGMA journal_mode", text, sizeof(text));
	cr_assert_str_eq(text, "wal");
	sqlite3_close(conn);
}

/* Removes the database, its WAL files and the directory fresh_db_path()
 * made: a loop makes thousands of them. */
static void remove_db(const char *file)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char name[300];
	char *slash;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", file, suffixes[i]);
		unlink(name);
	}
	snprintf(name, sizeof(name), "%s", file);
	slash = strrchr(name, '/');
	if (slash != NULL) {
		*slash = '\0';
		cr_assert_eq(rmdir(name), 0, "rmdir %s: a file was left behind", name);
	}
}

/* A fresh database path in a new directory. The loops run the scenario
 * thousands of times and are bound by file creation and fsync: on a tmpfs
 * (/dev/shm) they run about 3 times faster than on /tmp (ext4); the faults
 * are injected above the file system either way. */
static void fresh_db_path(char *buf, size_t size)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "%s/spm-sqlite-faults-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
	snprintf(buf, size, "%s/db.sqlite", dir);
}

/* ---- the loops ------------------------------------------------------- */

enum layer { LAYER_MALLOC, LAYER_IOERR, LAYER_FULL };

struct loop_result {
	long points;      /* fault points covered: the loop stopped at points + 1 */
	long failures;    /* runs where a step reported the fault */
};

static const char *const layer_names[] = { "SQLite allocator", "VFS I/O error", "VFS disk full" };

/* The backend maps SQLITE_NOMEM to SPM_ENOMEM, and SQLITE_IOERR_* and
 * SQLITE_FULL to SPM_ESTORAGE (sqlite_backend.c); SQLite's message says
 * which. With one connection nothing is ever busy. */
static const struct expect layer_expect[] = {
	{ SPM_ENOMEM, "out of memory" },
	{ SPM_ESTORAGE, "disk I/O error" },
	{ SPM_ESTORAGE, "database or disk is full" },
};

/* Copies the file from to the new file to (both closed). */
static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	cr_assert(in && out, "copy %s to %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n, "write %s", to);
	cr_assert_eq(ferror(in), 0);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

/* The allocator loops run the scenario on a database created beforehand
 * (a copy of a template): creating the schema of every kind costs ~33,000
 * SQLite allocations and ~50 ms, so covering each of them with a full run
 * would take hours and grow with every kind. Creation and upgrades stay
 * covered by the I/O and disk-full loops below (which start from no file)
 * and by test_fault.c (every storage call and library allocation). */
static void make_template(char *buf, size_t size)
{
	spm_db *db;

	fresh_db_path(buf, size);
	db = open_db(buf);
	spm_db_close(db);
}

static struct loop_result fault_loop(enum layer layer, int persistent)
{
	struct loop_result res;
	char tmpl[256] = "";
	long n;

	memset(&res, 0, sizeof(res));
	if (layer == LAYER_MALLOC)
		make_template(tmpl, sizeof(tmpl));
	for (n = 1;; n++) {
		struct run r;
		char file[256], uri[300];
		long reached;

		g_point = n;
		memset(&r, 0, sizeof(r));
		r.expect = layer_expect[layer];
		fresh_db_path(file, sizeof(file));
		if (tmpl[0])
			copy_file(tmpl, file);
		/* The I/O layers select the VFS through the URI; the allocator
		 * layer opens the plain path (the default VFS). */
		snprintf(uri, sizeof(uri), "file:%s?vfs=" SQLITE_FAULT_VFS_NAME, file);
		r.path = layer == LAYER_MALLOC ? file : uri;
		if (layer == LAYER_MALLOC) {
			g_mem.calls = 0;
			g_mem.fail_at = n;
			g_mem.persistent = persistent;
			g_mem.armed = 1;
		} else {
			sqlite_fault_plan.mode = layer == LAYER_FULL ? SQLITE_FAULT_FULL
								     : SQLITE_FAULT_IOERR;
			sqlite_fault_plan.calls = 0;
			sqlite_fault_plan.fail_at = n;
			sqlite_fault_plan.persistent = persistent;
			sqlite_fault_plan.armed = 1;
		}
		run_scenario(&r);
		reached = layer == LAYER_MALLOC ? g_mem.calls : sqlite_fault_plan.calls;
		check_consistent(file);
		remove_db(file);
		if (r.failures)
			res.failures++;
		if (reached < n)
			break;  /* the fault was not reached: every point is covered */
	}
	if (tmpl[0])
		remove_db(tmpl);
	res.points = n - 1;
	cr_log_info("%s, %s: %ld fault points, %ld runs reported the fault",
		    layer_names[layer], persistent ? "persistent" : "once", res.points,
		    res.failures);
	return res;
}

Test(sqlite_faults, every_sqlite_allocation_failure_once)
{
	struct loop_result res;

	setup_sqlite();
	res = fault_loop(LAYER_MALLOC, 0);
	cr_assert_gt(res.points, 500, "only %ld SQLite allocation points", res.points);
	cr_assert_gt(res.failures, 0);
}

Test(sqlite_faults, every_sqlite_allocation_failure_persistent)
{
	struct loop_result res;

	setup_sqlite();
	res = fault_loop(LAYER_MALLOC, 1);
	cr_assert_gt(res.points, 500, "only %ld SQLite allocation points", res.points);
	cr_assert_gt(res.failures, 0);
}

Test(sqlite_faults, every_io_failure_once)
{
	struct loop_result res;

	setup_sqlite();
	res = fault_loop(LAYER_IOERR, 0);
	cr_assert_gt(res.points, 10, "only %ld I/O points", res.points);
	cr_assert_gt(res.failures, 0);
}

Test(sqlite_faults, every_io_failure_persistent)
{
	struct loop_result res;

	setup_sqlite();
	res = fault_loop(LAYER_IOERR, 1);
	cr_assert_gt(res.points, 10, "only %ld I/O points", res.points);
	cr_assert_gt(res.failures, 0);
}

Test(sqlite_faults, every_write_on_a_full_disk_once)
{
	struct loop_result res;

	setup_sqlite();
	res = fault_loop(LAYER_FULL, 0);
	cr_assert_gt(res.points, 5, "only %ld write points", res.points);
	cr_assert_gt(res.failures, 0);
}

Test(sqlite_faults, every_write_on_a_full_disk_persistent)
{
	struct loop_result res;

	setup_sqlite();
	res = fault_loop(LAYER_FULL, 1);
	cr_assert_gt(res.points, 5, "only %ld write points", res.points);
	cr_assert_gt(res.failures, 0);
}

/* The wrapper is pass-through and selected only by the URI. */
Test(sqlite_faults, the_faulty_vfs_is_used_only_through_the_uri)
{
	struct run r;
	char file[256], uri[300];

	setup_sqlite();
	memset(&r, 0, sizeof(r));
	fresh_db_path(file, sizeof(file));
	snprintf(uri, sizeof(uri), "file:%s?vfs=" SQLITE_FAULT_VFS_NAME, file);
	sqlite_fault_plan.armed = 1;
	r.path = file;
	cr_assert_eq(open_step(&r), SPM_OK, "%s", spm_error_message());
	spm_db_close(r.db);
	cr_assert_eq(sqlite_fault_plan.calls, 0, "the plain path went through the faulty VFS");
	r.path = uri;
	cr_assert_eq(open_step(&r), SPM_OK, "%s", spm_error_message());
	spm_db_close(r.db);
	cr_assert_gt(sqlite_fault_plan.calls, 0, "the URI did not select the faulty VFS");
	faults_off();
	cr_assert_eq(r.alloc.live, 0);
	remove_db(file);
}
