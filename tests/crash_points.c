/* Deterministic crash points (TESTING.md §B, second bullet): a child commits
 * one batch (crash_check.h) through a storage wrapper that ends the process
 * with _exit() at the Nth storage call of spm_batch_commit(), just before
 * the call, for N = 1, 2, 3, … until the commit completes without reaching
 * N: the loop ends because the point was not reached, not by a cap; then
 * once just after the last call, the commit, returned. After each crash the
 * parent proves on the file: integrity_check is ok; the batch is stored
 * exactly when the crash came after the commit call succeeded, and absent
 * otherwise; audit and outbox hold exactly the stored changes; the last
 * batch's key replays; and the reopened handle works: it commits the next
 * batch itself. A plain program: it forks, which Criterion workers do not
 * bear. */
#include "crash_check.h"

#include <spm/sys/storage.h>
#include <sys/wait.h>

#define CRASHED 42            /* exit status: crashed before a call, or after a non-commit */
#define CRASHED_COMMITTED 43  /* exit status: crashed just after a commit call succeeded */
#define COMPLETED 0           /* exit status: the commit never reached the point */

struct crash_plan {
	long calls;  /* storage calls counted while armed */
	long at;     /* the call to crash at (0: not armed) */
	int after;   /* 0: just before the call; 1: just after it returned */
};

static struct crash_plan plan;

struct crash_store {
	const spm_storage_ops *inner;
	void *self;
};

static void crash_before(void)
{
	if (plan.at != 0 && ++plan.calls == plan.at && !plan.after)
		_exit(CRASHED);
}

static int crash_after(int rc, int is_commit)
{
	if (plan.at != 0 && plan.calls == plan.at && plan.after)
		_exit(is_commit && rc == SPM_OK ? CRASHED_COMMITTED : CRASHED);
	return rc;
}

#define WRAP(call) do { crash_before(); return crash_after(f->inner->call, 0); } while (0)

static int c_schema_version(void *s, int *o) { struct crash_store *f = s; WRAP(schema_version(f->self, o)); }
static int c_upgrade(void *s, int a, int b) { struct crash_store *f = s; WRAP(upgrade(f->self, a, b)); }
static int c_begin(void *s, unsigned fl) { struct crash_store *f = s; WRAP(begin(f->self, fl)); }
static int c_rollback(void *s) { struct crash_store *f = s; WRAP(rollback(f->self)); }
static int c_get(void *s, spm_record **o, const spm_kind *k, int64_t id) { struct crash_store *f = s; WRAP(get(f->self, o, k, id)); }
static int c_put(void *s, const spm_record *r) { struct crash_store *f = s; WRAP(put(f->self, r)); }
static int c_remove(void *s, const spm_kind *k, int64_t id, int64_t q) { struct crash_store *f = s; WRAP(remove(f->self, k, id, q)); }
static int c_scan(void *s, const spm_kind *k, const spm_scan *sc, spm_scan_cb cb, void *p) { struct crash_store *f = s; WRAP(scan(f->self, k, sc, cb, p)); }
static int c_next_id(void *s, int64_t *o, const char *c) { struct crash_store *f = s; WRAP(next_id(f->self, o, c)); }
static void c_free(void *s) { struct crash_store *f = s; f->inner->free(f->self); free(f); }
static int c_count(void *s, int64_t *o, const spm_kind *k, const spm_scan *sc) { struct crash_store *f = s; WRAP(count(f->self, o, k, sc)); }
static int c_insert(void *s, const spm_record *r) { struct crash_store *f = s; WRAP(insert(f->self, r)); }
static int c_update(void *s, const spm_record *r, const unsigned char *c, size_t n) { struct crash_store *f = s; WRAP(update(f->self, r, c, n)); }

static int c_commit(void *s)
{
	struct crash_store *f = s;

	crash_before();
	return crash_after(f->inner->commit(f->self), 1);
}

static const spm_storage_ops crash_ops = {
	SPM_STORAGE_OPS_VERSION, c_schema_version, c_upgrade, c_begin, c_commit, c_rollback,
	c_get, c_put, c_remove, c_scan, c_next_id, c_free, c_count, c_insert, c_update,
};

static int crash_wrap(const spm_storage_ops **ops, void **self, spm_db *db, void *payload)
{
	struct crash_store *f = calloc(1, sizeof(*f));

	(void)db;
	(void)payload;
	if (f == NULL)
		return SPM_ENOMEM;
	f->inner = *ops;
	f->self = *self;
	*ops = &crash_ops;
	*self = f;
	return SPM_OK;
}

/* The child: commits batch b with the crash point armed at call n. */
static void child(const char *path, int b, long n, int after)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_batch *batch = NULL;
	spm_db *db;
	char key[32];
	int rc;

	o.path = path;
	o.storage_wrap = crash_wrap;
	rc = spm_db_open(&db, &o);
	if (rc == SPM_OK)
		rc = crash_build(&batch, db, b);
	if (rc != SPM_OK) {
		fprintf(stderr, "crash_points: child: %s\n", spm_error_message());
		_exit(3);
	}
	crash_key(key, sizeof(key), b);
	plan.calls = 0;
	plan.after = after;
	plan.at = n;
	rc = spm_batch_commit(batch, key);
	plan.at = 0;
	if (rc != SPM_OK)
		fprintf(stderr, "crash_points: child: commit: %s\n", spm_error_message());
	spm_batch_free(batch);
	spm_db_close(db);
	_exit(rc == SPM_OK ? COMPLETED : 4);
}

/* Runs the child for one point; returns its exit status. */
static int run_point(const char *path, int b, long n, int after)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		crash_die("fork");
	if (pid == 0)
		child(path, b, n, after);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		crash_die("point %ld: the child died (status %d)", n, status);
	return WEXITSTATUS(status);
}

/* One crash point: runs the child, checks the file, and, after a crash,
 * commits the next batch with the reopened handle. Returns the child's exit
 * status. */
static int one_point(const char *path, long n, int after, int *stored)
{
	const char *side = after ? "after" : "before";
	int status = run_point(path, *stored, n, after);
	int want, now;
	spm_db *db;

	if (status != COMPLETED && status != CRASHED && status != CRASHED_COMMITTED)
		crash_die("point %ld %s: the child failed (exit %d)", n, side, status);
	now = crash_check(&db, path);
	want = *stored + (status != CRASHED);
	if (now != want)
		crash_die("point %ld %s: exit %d left %d batches stored, want %d", n, side, status,
			  now, want);
	if (status != COMPLETED) {
		/* The handle works after the crash: it commits the next batch. */
		if (crash_commit(db, now) != SPM_OK)
			crash_die("point %ld %s: committing batch %d after the crash", n, side, now);
		now++;
	}
	spm_db_close(db);
	*stored = now;
	return status;
}

int main(void)
{
	char dir[] = "/tmp/spm-crash-points-XXXXXX", path[64];
	int stored = 0, status;
	long calls;
	spm_db *db;

	crash_prog = "crash_points";
	if (mkdtemp(dir) == NULL)
		crash_die("mkdtemp");
	snprintf(path, sizeof(path), "%s/points.sqlite", dir);
	crash_setup(path);
	/* Just before each call; the file is then as it was just after the
	 * previous call returned (what runs between calls is in memory only). */
	for (calls = 0; one_point(path, calls + 1, 0, &stored) != COMPLETED; calls++)
		;
	/* Just after the last call, the commit: the batch is stored. */
	status = one_point(path, calls, 1, &stored);
	if (status != CRASHED_COMMITTED)
		crash_die("a crash after call %ld, the last, exited %d: it was not a commit", calls,
			  status);
	if (crash_check(&db, path) != stored)
		crash_die("final check");
	spm_db_close(db);
	printf("crash_points: a batch commit makes %ld storage calls; a crash before each and "
	       "after the commit left the batch absent or whole as due (%d batches stored); every "
	       "check passed\n", calls, stored);
	crash_remove(dir, path);
	return 0;
}
