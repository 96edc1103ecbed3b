/* kill -9 a writer in the middle of its batches, 30 times on the same file
 * (TESTING.md §B, first bullet). Each round a child commits batch after batch
 * (crash_check.h: 5 new customers and an update of a shared one, under an
 * idempotency key) and writes each batch number to a pipe once
 * spm_batch_commit() returned SPM_OK; the parent kills it with SIGKILL at a
 * moment that depends on the round only (while it opens the file, during its
 * first batch, or 0.1 to 5 ms after that batch). The parent then proves on
 * the file: PRAGMA integrity_check is ok; every acknowledged batch is stored and
 * at most one more (committed, killed before it could say so); every batch
 * is whole or absent; the audit trail and the outbox hold exactly the
 * entries and events of the stored changes; a retry of the last batch under
 * its key is a replay. The next round goes on from there on the same file.
 * A plain program: it forks, which Criterion workers do not bear. */
#include "crash_check.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ROUNDS 30

#define READY (-1)

/* Opens the file and retries the last stored batch (a replay under its key,
 * which also warms the write path up), says READY, then commits batches
 * from first on until killed; never returns. */
static void writer(const char *path, int first, int ack)
{
	const int ready = READY;
	spm_db *db;
	int rc = crash_open(&db, path);

	if (rc == SPM_OK && first > 0)
		rc = crash_commit(db, first - 1);
	if (rc == SPM_OK && write(ack, &ready, sizeof(ready)) != (ssize_t)sizeof(ready))
		_exit(4);
	for (int b = first; rc == SPM_OK; b++) {
		rc = crash_commit(db, b);
		if (rc == SPM_OK && write(ack, &b, sizeof(b)) != (ssize_t)sizeof(b))
			_exit(4);
	}
	fprintf(stderr, "crash_kill: writer: %s: %s\n", spm_result_name(rc), spm_error_message());
	_exit(3);
}

/* What the writer said so far: READY, then the batches it committed. */
struct acks {
	int fd;
	int ready;
	int last;   /* the last batch acknowledged (first - 1: none) */
	int count;
};

/* Reads one message; 0 at the end (the writer is gone). */
static int next_ack(struct acks *a, int round)
{
	ssize_t n;
	int b;

	while ((n = read(a->fd, &b, sizeof(b))) < 0 && errno == EINTR)
		;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(b))
		crash_die("round %d: reading the acknowledgements", round);
	if (b == READY && !a->ready) {
		a->ready = 1;
	} else if (a->ready && b == a->last + 1) {
		a->last = b;
		a->count++;
	} else {
		crash_die("round %d: message %d after %d", round, b, a->last);
	}
	return 1;
}

/* When the kill comes, by the round number: while the writer opens the
 * file (round 4, 9, …); 0.2 to 25 ms after it is ready, which covers its
 * first batch (rounds 0, 5, …, about 15 ms: statements are prepared); or
 * 0.1 to 5 ms after its first batch committed, where a batch takes about
 * 0.4 ms (the other rounds), so that the kill lands between and inside
 * batches. */
static void pause_for_round(struct acks *a, int round)
{
	struct timespec ts = { 0, 2000000 };

	if (round % 5 == 0)
		ts.tv_nsec = (200 + (long)(round * 7919) % 24800) * 1000;
	else if (round % 5 != 4)
		ts.tv_nsec = (100 + (long)(round * 7919) % 4900) * 1000;
	while (round % 5 != 4 && a->count == 0 && (round % 5 != 0 || !a->ready))
		if (!next_ack(a, round))
			crash_die("round %d: the writer stopped before the kill", round);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Runs one round; returns what the writer acknowledged. */
static struct acks round_once(const char *path, int round, int first)
{
	struct acks a = { -1, 0, first - 1, 0 };
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0)
		crash_die("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		crash_die("fork");
	if (pid == 0) {
		close(fds[0]);
		writer(path, first, fds[1]);
	}
	close(fds[1]);
	a.fd = fds[0];
	pause_for_round(&a, round);
	if (kill(pid, SIGKILL) != 0 || waitpid(pid, &status, 0) != pid)
		crash_die("round %d: killing the writer", round);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		crash_die("round %d: the writer ended by itself (status %d)", round, status);
	while (next_ack(&a, round))
		;
	close(fds[0]);
	return a;
}

int main(void)
{
	char dir[] = "/tmp/spm-crash-kill-XXXXXX", path[64];
	int stored = 0, acked_total = 0, unacked = 0, empty = 0;
	spm_db *db;

	crash_prog = "crash_kill";
	if (mkdtemp(dir) == NULL)
		crash_die("mkdtemp");
	snprintf(path, sizeof(path), "%s/crash.sqlite", dir);
	crash_setup(path);
	for (int round = 0; round < ROUNDS; round++) {
		struct acks a = round_once(path, round, stored);
		int now = crash_check(&db, path);

		spm_db_close(db);
		/* Batches are stored in order: every acknowledged one, plus
		 * one committed just before the kill, at most. */
		if (now != a.last + 1 && now != a.last + 2)
			crash_die("round %d: %d batches stored, %d acknowledged (last %d)", round,
				  now, a.last + 1, a.last);
		acked_total += a.count;
		unacked += now == a.last + 2;
		empty += now == stored;
		stored = now;
	}
	printf("crash_kill: %d rounds, %d batches stored (%d acknowledged, %d committed but not "
	       "acknowledged), %d rounds killed before a commit; every check passed\n", ROUNDS,
	       stored, acked_total, unacked, empty);
	crash_remove(dir, path);
	return 0;
}
