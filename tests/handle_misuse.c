/* One handle used by two threads at once is detected, never silent
 * (TESTING.md §C, CONVENTIONS.md's threading statement). Thread A saves a
 * customer; its clock callback runs inside A's write transaction and holds
 * it there while thread B reads and writes through the same handle: both
 * of B's calls fail with SPM_EBUSY and the guard's message and change
 * nothing. Once A is done, B may use the handle (one thread at a time is
 * allowed, whichever thread it is). A plain program: it runs threads, and
 * it is not for ThreadSanitizer (B's calls race with A on purpose). */
#include "spm/spm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char guard_message[] = "this handle is in use by another thread "
				    "(a handle is used by one thread at a time)";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int armed, a_inside, b_done;
static int failures;

static void fail(const char *what)
{
	fprintf(stderr, "FAIL: %s\n", what);
	failures++;
}

static void expect_rc(int got, int want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "FAIL: %s: %s (%s), want %s\n", what, spm_result_name(got),
			spm_error_message(), spm_result_name(want));
		failures++;
	}
}

/* The clock runs inside the write transaction: when armed, it tells B that A
 * is inside and waits until B has made its calls. */
static spm_time held_clock(void *payload)
{
	(void)payload;
	pthread_mutex_lock(&lock);
	if (armed) {
		armed = 0;
		a_inside = 1;
		pthread_cond_broadcast(&changed);
		while (!b_done)
			pthread_cond_wait(&changed, &lock);
	}
	pthread_mutex_unlock(&lock);
	return 1780000000;
}

static int save_customer(spm_db *db, const char *name, int64_t *id)
{
	spm_record *rec = NULL;
	int rc = spm_record_new(&rec, db, "customer");

	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "name", name);
	if (rc == SPM_OK)
		rc = spm_record_save(db, rec);
	if (rc == SPM_OK && id)
		*id = spm_record_id(rec);
	spm_record_free(rec);
	return rc;
}

static void *thread_a(void *arg)
{
	spm_db *db = arg;
	int64_t id = 0;

	pthread_mutex_lock(&lock);
	armed = 1;
	pthread_mutex_unlock(&lock);
	expect_rc(save_customer(db, "Saved by A", &id), SPM_OK, "A's save");
	if (id != 1)
		fail("A's customer is not customer 1");
	return NULL;
}

static void *thread_b(void *arg)
{
	spm_db *db = arg;
	spm_record *rec = NULL;

	pthread_mutex_lock(&lock);
	while (!a_inside)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);

	expect_rc(spm_record_get(&rec, db, "customer", 1), SPM_EBUSY, "B's read while A writes");
	if (strcmp(spm_error_message(), guard_message) != 0)
		fail("B's read: not the guard's message");
	if (rec != NULL)
		fail("B's read returned a record");
	expect_rc(save_customer(db, "Saved by B", NULL), SPM_EBUSY, "B's save while A writes");
	if (strcmp(spm_error_message(), guard_message) != 0)
		fail("B's save: not the guard's message");

	pthread_mutex_lock(&lock);
	b_done = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* After A: the handle is free again, for any one thread. */
static void *thread_after(void *arg)
{
	spm_db *db = arg;
	spm_record *rec = NULL;
	const char *name = NULL;
	int64_t id = 0;

	expect_rc(spm_record_get(&rec, db, "customer", 1), SPM_OK, "read after A");
	if (rec && (spm_record_get_text(&name, rec, "name") != SPM_OK ||
		    strcmp(name, "Saved by A") != 0))
		fail("customer 1 is not A's");
	spm_record_free(rec);
	rec = NULL;
	/* a failed read gives the handle back too */
	expect_rc(spm_record_get(&rec, db, "customer", 99), SPM_ENOTFOUND, "read of a missing id");
	expect_rc(save_customer(db, "Saved after A", &id), SPM_OK, "save after A");
	if (id != 2)
		fail("the next customer is not customer 2: B's refused save took an id");
	expect_rc(spm_record_get(&rec, db, "customer", 3), SPM_ENOTFOUND, "no third customer");
	return NULL;
}

static void remove_files(const char *path)
{
	char p[64];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void run(void *(*fn)(void *), spm_db *db, pthread_t *t)
{
	if (pthread_create(t, NULL, fn, db) != 0) {
		perror("pthread_create");
		exit(1);
	}
}

int main(void)
{
	char path[] = "/tmp/spm-misuse-XXXXXX";
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;
	pthread_t a, b, after;
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	unlink(path);
	o.path = path;
	o.clock = held_clock;
	expect_rc(spm_db_open(&db, &o), SPM_OK, "open");
	if (db == NULL)
		return 1;
	run(thread_a, db, &a);
	run(thread_b, db, &b);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	run(thread_after, db, &after);
	pthread_join(after, NULL);
	spm_db_close(db);
	remove_files(path);
	if (failures == 0)
		printf("handle_misuse: both calls of the second thread refused, nothing changed\n");
	return failures == 0 ? 0 : 1;
}
