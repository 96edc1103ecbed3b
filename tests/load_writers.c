/* Concurrent writers on one WAL file (TESTING.md §C, first bullet): 4
 * processes each commit 50 batches (5 new customers and an update of the
 * process's own tally customer) at the same time, with the default busy
 * timeout. No caller may see SPM_EBUSY or any other error: writers take the
 * write lock up front (BEGIN IMMEDIATE) and wait for it. Then the counts
 * are exact: every customer, every tally's last value, the audit entries
 * and the outbox events. A plain program: it forks, which Criterion workers
 * do not bear. */
#include <spm/spm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROCS 4
#define BATCHES 50
#define K 5

static int fail(const char *what)
{
	fprintf(stderr, "load_writers: %s: %s (%s)\n", what, spm_error_message(),
		spm_result_name(spm_error_code()));
	return 1;
}

/* The default options: SPM_DB_OPTIONS_INIT's busy timeout. */
static int open_db(spm_db **db, const char *path)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	o.path = path;
	return spm_db_open(db, &o);
}

/* Batch b of writer p: K customers "w<p>-<b>-<k>" and the tally's industry
 * set to "<b>". */
static int commit_batch(spm_db *db, int p, int b, int64_t tally)
{
	spm_record *rec = NULL;
	spm_batch *batch = NULL;
	char text[32];
	int rc = spm_batch_new(&batch, db);

	for (int k = 0; rc == SPM_OK && k < K; k++) {
		snprintf(text, sizeof(text), "w%d-%d-%d", p, b, k);
		rc = spm_record_new(&rec, db, "customer");
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "name", text);
		if (rc == SPM_OK)
			rc = spm_batch_save(batch, rec);
		spm_record_free(rec);
		rec = NULL;
	}
	snprintf(text, sizeof(text), "%d", b);
	if (rc == SPM_OK)
		rc = spm_record_get(&rec, db, "customer", tally);
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "industry", text);
	if (rc == SPM_OK)
		rc = spm_batch_save(batch, rec);
	spm_record_free(rec);
	if (rc == SPM_OK)
		rc = spm_batch_commit(batch, NULL);
	spm_batch_free(batch);
	return rc;
}

/* A writer: waits for the start, commits its batches; exits 0, or 2 when a
 * call returned SPM_EBUSY, or 1 for any other error. */
static void writer(const char *path, int p, int64_t tally, int start)
{
	spm_db *db = NULL;
	char c;
	int rc;

	while (read(start, &c, 1) < 0 && errno == EINTR)
		;
	rc = open_db(&db, path);
	for (int b = 0; rc == SPM_OK && b < BATCHES; b++)
		rc = commit_batch(db, p, b, tally);
	if (rc != SPM_OK)
		fprintf(stderr, "load_writers: writer %d: %s: %s\n", p, spm_result_name(rc),
			spm_error_message());
	spm_db_close(db);
	_exit(rc == SPM_OK ? 0 : rc == SPM_EBUSY ? 2 : 1);
}

struct counts {
	int per_writer[PROCS][BATCHES];
	int64_t customers, events, audit;
};

static int customer_cb(const spm_record *rec, void *payload)
{
	struct counts *c = payload;
	const char *name = NULL;
	int p, b, k, end = 0;

	c->customers++;
	if (spm_record_get_text(&name, rec, "name") != SPM_OK)
		return 1;
	if (strncmp(name, "tally", 5) == 0)
		return 0;
	if (sscanf(name, "w%d-%d-%d%n", &p, &b, &k, &end) != 3 || name[end] != '\0' || p < 0 ||
	    p >= PROCS || b < 0 || b >= BATCHES || k < 0 || k >= K) {
		fprintf(stderr, "load_writers: unexpected customer \"%s\"\n", name);
		return 1;
	}
	c->per_writer[p][b]++;
	return 0;
}

static int event_cb(const spm_event *e, void *payload)
{
	(void)e;
	((struct counts *)payload)->events++;
	return 0;
}

static int audit_cb(const spm_audit_entry *e, void *payload)
{
	(void)e;
	((struct counts *)payload)->audit++;
	return 0;
}

/* Every batch whole, every tally at its last batch, audit and outbox exact. */
static int check(const char *path, const int64_t *tally)
{
	static struct counts c;
	spm_query *q = NULL;
	spm_record *rec;
	const char *industry;
	spm_db *db;
	int bad = 0;

	if (open_db(&db, path) != SPM_OK || spm_query_new(&q, db, "customer") != SPM_OK ||
	    spm_query_foreach(q, customer_cb, &c) != SPM_OK ||
	    spm_outbox_foreach(db, 0, 0, event_cb, &c) != SPM_OK ||
	    spm_audit_foreach(db, NULL, 0, audit_cb, &c) != SPM_OK)
		return fail("reading back");
	/* the writers interleaved: still one hash chain */
	if (spm_audit_verify(db, NULL) != SPM_OK)
		return fail("verifying the audit chain");
	spm_query_free(q);
	for (int p = 0; p < PROCS; p++) {
		for (int b = 0; b < BATCHES; b++)
			if (c.per_writer[p][b] != K) {
				fprintf(stderr, "load_writers: writer %d batch %d has %d records\n", p,
					b, c.per_writer[p][b]);
				bad = 1;
			}
		if (spm_record_get(&rec, db, "customer", tally[p]) != SPM_OK ||
		    spm_record_get_text(&industry, rec, "industry") != SPM_OK)
			return fail("reading a tally");
		if (strcmp(industry, "49") != 0) {
			fprintf(stderr, "load_writers: tally %d says %s\n", p, industry);
			bad = 1;
		}
		spm_record_free(rec);
	}
	/* Per writer: its tally's creation (1 event, 1 audit entry: name), then
	 * per batch K creations (name each) and one update (industry). */
	if (c.customers != PROCS * (1 + BATCHES * K) ||
	    c.events != PROCS * (1 + BATCHES * (K + 1)) ||
	    c.audit != PROCS * (1 + BATCHES * (K + 1))) {
		fprintf(stderr, "load_writers: %lld customers, %lld events, %lld audit entries; "
			"want %d, %d, %d\n", (long long)c.customers, (long long)c.events,
			(long long)c.audit, PROCS * (1 + BATCHES * K), PROCS * (1 + BATCHES * (K + 1)),
			PROCS * (1 + BATCHES * (K + 1)));
		bad = 1;
	}
	spm_db_close(db);
	return bad;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char dir[] = "/tmp/spm-load-XXXXXX", path[64], name[16], file[96];
	struct timespec settle = { 0, 20000000L };
	int64_t tally[PROCS];
	int fds[2], status, failed = 0, busy = 0;
	pid_t pids[PROCS];
	spm_record *rec;
	spm_db *db;
	double t0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/load.sqlite", dir);
	if (open_db(&db, path) != SPM_OK)
		return fail("open");
	for (int p = 0; p < PROCS; p++) {
		snprintf(name, sizeof(name), "tally%d", p);
		if (spm_record_new(&rec, db, "customer") != SPM_OK ||
		    spm_record_set_text(rec, "name", name) != SPM_OK ||
		    spm_record_save(db, rec) != SPM_OK)
			return fail("setup");
		tally[p] = spm_record_id(rec);
		spm_record_free(rec);
	}
	spm_db_close(db);
	if (pipe(fds) != 0)
		return fail("pipe");
	fflush(NULL);
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			return fail("fork");
		if (pids[p] == 0) {
			close(fds[1]);
			writer(path, p, tally[p], fds[0]);
		}
	}
	close(fds[0]);
	nanosleep(&settle, NULL);  /* every writer waits in read() */
	t0 = seconds();
	close(fds[1]);
	for (int p = 0; p < PROCS; p++) {
		if (waitpid(pids[p], &status, 0) != pids[p] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "load_writers: writer %d failed (status %d)\n", p, status);
			busy += WIFEXITED(status) && WEXITSTATUS(status) == 2;
			failed = 1;
		}
	}
	t0 = seconds() - t0;
	if (failed) {
		fprintf(stderr, "load_writers: %d writers saw SPM_EBUSY\n", busy);
		return 1;
	}
	if (check(path, tally))
		return 1;
	printf("load_writers: %d processes x %d batches of %d records in %.2f s (wall, shared "
	       "machine); no error, counts exact\n", PROCS, BATCHES, K + 1, t0);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", path, suffix[i]);
		unlink(file);
	}
	rmdir(dir);
	return 0;
}
