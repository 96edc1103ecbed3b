/* Concurrent first open of a new database file (TESTING.md §C): 8 processes
 * open the same, not yet existing file at the same moment, so that they race
 * to create it, switch it to WAL and create the schema; each then saves one
 * record. Repeated on fresh files; every process must succeed and every
 * record must be there. A plain program, not Criterion: it forks by itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spm/spm.h"

#define RUNS 20
#define PROCS 8

static int open_db(spm_db **db, const char *path)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;

	opts.path = path;
	opts.busy_timeout_ms = 10000;
	return spm_db_open(db, &opts);
}

/* A child: wait for the start signal, then open and write one record. */
static int child(const char *path, int start_fd, int n)
{
	spm_record *rec = NULL;
	spm_db *db = NULL;
	char name[32], c;
	int rc;

	/* read() returns 0 for every child at once when the parent closes
	 * the write end of the pipe. */
	while (read(start_fd, &c, 1) < 0 && errno == EINTR)
		;
	rc = open_db(&db, path);
	if (rc != SPM_OK) {
		fprintf(stderr, "child %d: open: %s: %s\n", n, spm_result_name(rc),
			spm_error_message());
		return 1;
	}
	snprintf(name, sizeof(name), "p%d", n);
	rc = spm_record_new(&rec, db, "customer");
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "name", name);
	if (rc == SPM_OK)
		rc = spm_record_save(db, rec);
	if (rc != SPM_OK)
		fprintf(stderr, "child %d: save: %s: %s\n", n, spm_result_name(rc),
			spm_error_message());
	spm_record_free(rec);
	spm_db_close(db);
	return rc == SPM_OK ? 0 : 1;
}

static int count_cb(const spm_record *rec, void *payload)
{
	(void)rec;
	(*(size_t *)payload)++;
	return 0;
}

static int count_records(const char *path, size_t *count)
{
	spm_query *q = NULL;
	spm_db *db = NULL;
	int rc;

	*count = 0;
	rc = open_db(&db, path);
	if (rc == SPM_OK)
		rc = spm_query_new(&q, db, "customer");
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, count_cb, count);
	if (rc != SPM_OK)
		fprintf(stderr, "concurrent_open: counting: %s: %s\n", spm_result_name(rc),
			spm_error_message());
	spm_query_free(q);
	spm_db_close(db);
	return rc;
}

static void remove_files(const char *dir, const char *path)
{
	static const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[256];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Forks the children, releases them together and reaps them. */
static int race(const char *path)
{
	struct timespec settle = { 0, 20000000L };
	pid_t pids[PROCS];
	int fds[2], i, status, failed = 0;

	if (pipe(fds) != 0) {
		perror("concurrent_open: pipe");
		return 1;
	}
	fflush(NULL);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("concurrent_open: fork");
			failed = 1;
			break;
		}
		if (pids[i] == 0) {
			close(fds[1]);
			_exit(child(path, fds[0], i));
		}
	}
	close(fds[0]);
	/* Give every child time to block in read(), then start them all. */
	nanosleep(&settle, NULL);
	close(fds[1]);
	for (i = 0; i < PROCS && pids[i] > 0; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "concurrent_open: child %d failed\n", i);
			failed = 1;
		}
	}
	return failed;
}

int main(void)
{
	char dir[64], path[128];
	size_t count;
	int run;

	for (run = 0; run < RUNS; run++) {
		strcpy(dir, "/tmp/spm-concurrent-XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("concurrent_open: mkdtemp");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/race.db", dir);
		if (race(path) != 0) {
			fprintf(stderr, "concurrent_open: run %d: a process failed\n", run + 1);
			remove_files(dir, path);
			return 1;
		}
		if (count_records(path, &count) != SPM_OK || count != PROCS) {
			fprintf(stderr, "concurrent_open: run %d: %zu records, want %d\n", run + 1,
				count, PROCS);
			remove_files(dir, path);
			return 1;
		}
		remove_files(dir, path);
	}
	printf("concurrent_open: %d runs ok\n", RUNS);
	return 0;
}
