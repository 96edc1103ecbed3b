/* Shared by the Criterion suites: a fixed clock, temporary files, and a
 * counting allocator that can fail the Nth allocation. */
#ifndef SPM_TESTS_HELPERS_H
#define SPM_TESTS_HELPERS_H

#include <spm/spm.h>
#include <spm/sys/storage.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

/* 2026-03-01T09:00:00Z */
#define T0 ((spm_time)1772355600)

/* What a test that damages audit rows with raw SQL runs first, as an
 * attacker would: the triggers of schema 7 refuse UPDATE and DELETE. */
#define DROP_AUDIT_TRIGGERS \
	"DROP TRIGGER IF EXISTS \"_audit:no_update\"; DROP TRIGGER IF EXISTS \"_audit:no_delete\"; "

static spm_time test_clock_now = T0;

static inline spm_time test_clock(void *payload)
{
	(void)payload;
	return test_clock_now;
}

struct counting_alloc {
	long calls;      /* allocations so far */
	long fail_at;    /* fail this allocation (1-based); 0: never */
	int persistent;  /* keep failing after fail_at */
	long live;
};

static inline void *ca_malloc(size_t size, void *payload)
{
	struct counting_alloc *a = payload;
	void *p;

	a->calls++;
	if (a->fail_at && (a->calls == a->fail_at || (a->persistent && a->calls > a->fail_at)))
		return NULL;
	p = malloc(size);
	if (p)
		a->live++;
	return p;
}

static inline void *ca_realloc(void *ptr, size_t size, void *payload)
{
	struct counting_alloc *a = payload;

	a->calls++;
	if (a->fail_at && (a->calls == a->fail_at || (a->persistent && a->calls > a->fail_at)))
		return NULL;
	return realloc(ptr, size);
}

static inline void ca_free(void *ptr, void *payload)
{
	struct counting_alloc *a = payload;

	if (ptr)
		a->live--;
	free(ptr);
}

/* Temporary directories made by this process, removed when it exits
 * (Criterion runs each test in its own process). */
static char temp_dirs[4096][40];
static int ntemp_dirs;

static inline void remove_temp_dirs(void)
{
	for (int i = 0; i < ntemp_dirs; i++) {
		DIR *d = opendir(temp_dirs[i]);
		struct dirent *e;
		char file[300];

		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(file, sizeof(file), "%.39s/%.255s", temp_dirs[i], e->d_name);
			unlink(file);
		}
		if (d)
			closedir(d);
		rmdir(temp_dirs[i]);
	}
	ntemp_dirs = 0;
}

/* A fresh database path in a private temporary directory. */
static inline void temp_db_path(char *buf, size_t size)
{
	/* tmpfs when there is one: fsync there is free, and the fault loops
	 * open thousands of databases */
	char dir[] = "/dev/shm/spm-test-XXXXXX";

	if (access("/dev/shm", W_OK) != 0)
		memcpy(dir, "/tmp/spm-test-XXXXXX", sizeof("/tmp/spm-test-XXXXXX"));
	if (ntemp_dirs == 0)
		atexit(remove_temp_dirs);
	if (ntemp_dirs == (int)(sizeof(temp_dirs) / sizeof(temp_dirs[0])))
		remove_temp_dirs();  /* long fault loops: the old ones are done with */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(temp_dirs[ntemp_dirs++], sizeof(temp_dirs[0]), "%s", dir);
	snprintf(buf, size, "%s/db.sqlite", dir);
}

static inline spm_db *open_db(const char *path)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;
	int rc;

	o.path = path;
	o.clock = test_clock;
	o.actor = 1;
	rc = spm_db_open(&db, &o);
	cr_assert_eq(rc, SPM_OK, "open %s: %s", path, spm_error_message());
	return db;
}

static inline int count_record_cb(const spm_record *rec, void *payload)
{
	(void)rec;
	(*(int *)payload)++;
	return 0;
}

static inline int count_audit_cb(const spm_audit_entry *e, void *payload)
{
	(void)e;
	(*(int *)payload)++;
	return 0;
}

static inline int count_event_cb(const spm_event *ev, void *payload)
{
	(void)ev;
	(*(int *)payload)++;
	return 0;
}

static inline int count_records(spm_db *db, const char *kind)
{
	spm_query *q;
	int n = 0;

	cr_assert_eq(spm_query_new(&q, db, kind), SPM_OK);
	cr_assert_eq(spm_query_foreach(q, count_record_cb, &n), SPM_OK);
	spm_query_free(q);
	return n;
}

static inline int count_audit(spm_db *db)
{
	int n = 0;

	cr_assert_eq(spm_audit_foreach(db, NULL, 0, count_audit_cb, &n), SPM_OK);
	return n;
}

static inline int count_events(spm_db *db)
{
	int n = 0;

	cr_assert_eq(spm_outbox_foreach(db, 0, 0, count_event_cb, &n), SPM_OK);
	return n;
}

/* Creates a customer named name; returns its id. */
static inline int64_t make_customer(spm_db *db, const char *name)
{
	spm_record *r;
	int64_t id;

	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", name), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

/* Creates a record of kind from field/value text pairs (NULL-terminated),
 * each parsed by its field's type; returns its id. */
static inline int64_t add_record(spm_db *db, const char *kind, const char *const *kv)
{
	spm_record *r;
	int64_t id;

	cr_assert_eq(spm_record_new(&r, db, kind), SPM_OK);
	for (; kv[0]; kv += 2)
		cr_assert_eq(spm_record_set_from_text(r, kv[0], kv[1]), SPM_OK, "%s.%s: %s", kind,
			     kv[0], spm_error_message());
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s: %s", kind, spm_error_message());
	id = spm_record_id(r);
	spm_record_free(r);
	return id;
}

/* ADD("lead", "company", "Acme", "source", "web") in a file with a db. */
#define ADD(kind, ...) add_record(db, kind, (const char *const[]){ __VA_ARGS__, NULL })

#endif
