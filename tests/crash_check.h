/* The batches of the crash tests (TESTING.md §B) and the check that a file
 * left by a crashed writer holds whole batches only, with exactly their
 * audit entries and events. Included once by crash_kill.c and crash_points.c.
 *
 * Batch b (0, 1, 2, …) creates CRASH_K customers named "crash-b<b>-<k>" with
 * region "b<b>", and updates the customer "tally" (made by crash_setup()):
 * its industry becomes "b<b>". It is committed under the idempotency key
 * "crash-<b>". Batches are committed in order, so a good file holds batches
 * 0 … M-1 whole and nothing of any later one. */
#ifndef SPM_TESTS_CRASH_CHECK_H
#define SPM_TESTS_CRASH_CHECK_H

#include <spm/spm.h>

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CRASH_K 5
#define CRASH_MAX_BATCHES 4000

static const char *crash_prog = "crash";

/* Reports a failed check (with the library's last error) and ends the test. */
static void crash_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", crash_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " [last error: %s: %s]\n", spm_result_name(spm_error_code()),
		spm_error_message());
	exit(1);
}

static int crash_open(spm_db **db, const char *path)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	o.path = path;
	return spm_db_open(db, &o);
}

static void crash_tag(char *buf, size_t size, int b)
{
	if (b < 0)
		snprintf(buf, size, "start");
	else
		snprintf(buf, size, "b%06d", b);
}

/* Makes the tally customer (id 1) on a new file. */
static void crash_setup(const char *path)
{
	spm_record *rec = NULL;
	spm_db *db;

	if (crash_open(&db, path) != SPM_OK || spm_record_new(&rec, db, "customer") != SPM_OK ||
	    spm_record_set_text(rec, "name", "tally") != SPM_OK ||
	    spm_record_set_text(rec, "industry", "start") != SPM_OK ||
	    spm_record_save(db, rec) != SPM_OK || spm_record_id(rec) != 1)
		crash_die("setup");
	spm_record_free(rec);
	spm_db_close(db);
}

/* Builds batch b on db; returns a status (a crashing child may see errors
 * only from the library, never from this code). */
static int crash_build(spm_batch **out, spm_db *db, int b)
{
	spm_record *rec = NULL;
	char name[48], tag[16];
	int rc = spm_batch_new(out, db);

	crash_tag(tag, sizeof(tag), b);
	for (int k = 0; rc == SPM_OK && k < CRASH_K; k++) {
		snprintf(name, sizeof(name), "crash-%s-%d", tag, k);
		rc = spm_record_new(&rec, db, "customer");
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "name", name);
		if (rc == SPM_OK)
			rc = spm_record_set_text(rec, "region", tag);
		if (rc == SPM_OK)
			rc = spm_batch_save(*out, rec);
		spm_record_free(rec);
		rec = NULL;
	}
	if (rc == SPM_OK)
		rc = spm_record_get(&rec, db, "customer", 1);
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "industry", tag);
	if (rc == SPM_OK)
		rc = spm_batch_save(*out, rec);
	spm_record_free(rec);
	return rc;
}

static void crash_key(char *buf, size_t size, int b)
{
	snprintf(buf, size, "crash-%d", b);
}

/* Builds and commits batch b. */
static int crash_commit(spm_db *db, int b)
{
	spm_batch *batch = NULL;
	char key[32];
	int rc = crash_build(&batch, db, b);

	crash_key(key, sizeof(key), b);
	if (rc == SPM_OK)
		rc = spm_batch_commit(batch, key);
	spm_batch_free(batch);
	return rc;
}

/* PRAGMA integrity_check through a read-only connection of its own: the
 * file as the crash left it (the connection recovers the WAL, as any
 * reader would). */
static void crash_integrity(const char *path)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL);
	const unsigned char *text;

	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(conn, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		crash_die("integrity_check: %s", conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
	rc = sqlite3_step(st);
	text = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (text == NULL || strcmp((const char *)text, "ok") != 0)
		crash_die("integrity_check says %s", text ? (const char *)text : sqlite3_errmsg(conn));
	if (sqlite3_step(st) != SQLITE_DONE)
		crash_die("integrity_check has more than one line");
	sqlite3_finalize(st);
	sqlite3_close(conn);
}

/* What the file holds: the id and change sequence of each batch's records. */
struct crash_state {
	int nbatches;                              /* M: batches 0 … M-1 stored */
	int count[CRASH_MAX_BATCHES];              /* records seen per batch */
	int64_t id[CRASH_MAX_BATCHES][CRASH_K];
	int64_t seq[CRASH_MAX_BATCHES];
	int64_t tally_seq;                         /* the tally's creation */
	char tally_industry[32];
	int64_t nrecords;
	/* the audit and outbox walks */
	int64_t walked;
	int64_t last_id;
};

static int crash_record_cb(const spm_record *rec, void *payload)
{
	struct crash_state *s = payload;
	const char *name = NULL, *region = NULL, *industry = NULL;
	char tag[16];
	int b, k, end = 0;

	s->nrecords++;
	if (spm_record_get_text(&name, rec, "name") != SPM_OK)
		crash_die("customer %lld has no name", (long long)spm_record_id(rec));
	if (spm_record_id(rec) == 1) {
		if (strcmp(name, "tally") != 0 ||
		    spm_record_get_text(&industry, rec, "industry") != SPM_OK)
			crash_die("customer 1 is not the tally");
		snprintf(s->tally_industry, sizeof(s->tally_industry), "%s", industry);
		return 0;
	}
	if (sscanf(name, "crash-b%6d-%d%n", &b, &k, &end) != 2 || name[end] != '\0' || b < 0 ||
	    b >= CRASH_MAX_BATCHES || k < 0 || k >= CRASH_K)
		crash_die("unexpected customer %lld \"%s\"", (long long)spm_record_id(rec), name);
	crash_tag(tag, sizeof(tag), b);
	if (spm_record_get_text(&region, rec, "region") != SPM_OK || strcmp(region, tag) != 0)
		crash_die("customer \"%s\" has region %s", name, region ? region : "NULL");
	if (s->count[b] > 0 && s->seq[b] != spm_record_seq(rec))
		crash_die("batch %d was written by two changes (%lld, %lld)", b,
			  (long long)s->seq[b], (long long)spm_record_seq(rec));
	if (s->id[b][k] != 0)
		crash_die("customer \"%s\" is stored twice", name);
	s->seq[b] = spm_record_seq(rec);
	s->id[b][k] = spm_record_id(rec);
	s->count[b]++;
	return 0;
}

/* Reads the customers: every batch whole or absent, stored ones first. */
static void crash_read_data(spm_db *db, struct crash_state *s)
{
	spm_query *q = NULL;
	char want[16];
	int b;

	if (spm_query_new(&q, db, "customer") != SPM_OK ||
	    spm_query_foreach(q, crash_record_cb, s) != SPM_OK)
		crash_die("reading the customers");
	spm_query_free(q);
	for (b = 0; b < CRASH_MAX_BATCHES && s->count[b] == CRASH_K; b++)
		;
	s->nbatches = b;
	for (; b < CRASH_MAX_BATCHES; b++)
		if (s->count[b] != 0)
			crash_die("batch %d has %d of %d records (stored batches: %d)", b,
				  s->count[b], CRASH_K, s->nbatches);
	if (s->nrecords != 1 + (int64_t)s->nbatches * CRASH_K)
		crash_die("%lld customers for %d batches", (long long)s->nrecords, s->nbatches);
	crash_tag(want, sizeof(want), s->nbatches - 1);
	if (strcmp(s->tally_industry, want) != 0)
		crash_die("tally says %s after %d batches", s->tally_industry, s->nbatches);
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The audit entry expected at position i of the walk (see crash_audit_cb). */
static void crash_expect_audit(const struct crash_state *s, int64_t i, int *op, int64_t *entity,
			       const char **field, char *old_value, char *new_value,
			       int64_t *seq)
{
	int64_t per = CRASH_K * 2 + 1, b, j;
	char tag[16];

	old_value[0] = new_value[0] = '\0';
	if (i < 2) {  /* the tally's creation */
		*op = SPM_AUDIT_CREATE, *entity = 1, *seq = s->tally_seq;
		*field = i == 0 ? "name" : "industry";
		strcpy(new_value, i == 0 ? "tally" : "start");
		return;
	}
	b = (i - 2) / per, j = (i - 2) % per;
	*seq = s->seq[b];
	crash_tag(tag, sizeof(tag), (int)b);
	if (j == per - 1) {  /* the tally's update closes the batch */
		*op = SPM_AUDIT_UPDATE, *entity = 1, *field = "industry";
		crash_tag(old_value, 16, (int)b - 1);
		strcpy(new_value, tag);
		return;
	}
	*op = SPM_AUDIT_CREATE, *entity = s->id[b][j / 2];
	*field = j % 2 == 0 ? "name" : "region";
	if (j % 2 == 0)
		snprintf(new_value, 32, "crash-%s-%d", tag, (int)(j / 2));
	else
		strcpy(new_value, tag);
}

static int crash_audit_cb(const spm_audit_entry *e, void *payload)
{
	struct crash_state *s = payload;
	char old_value[32], new_value[32];
	const char *field;
	int64_t entity, seq, i = s->walked++;
	int op;

	if (i == 0)
		s->tally_seq = e->change_seq;
	if (i >= 2 + (int64_t)s->nbatches * (CRASH_K * 2 + 1))
		crash_die("audit entry %lld (%s %lld %s) belongs to no stored batch",
			  (long long)e->id, e->kind, (long long)e->entity_id,
			  e->field ? e->field : "-");
	crash_expect_audit(s, i, &op, &entity, &field, old_value, new_value, &seq);
	if (e->id <= s->last_id || e->op != op || !same(e->kind, "customer") ||
	    e->entity_id != entity || !same(e->field, field) ||
	    !same(e->old_value, old_value[0] ? old_value : NULL) ||
	    !same(e->new_value, new_value) || e->change_seq != seq)
		crash_die("audit entry %lld of the walk is (id %lld, op %d, %s %lld, %s: %s -> %s, "
			  "seq %lld), want (op %d, customer %lld, %s: %s -> %s, seq %lld)",
			  (long long)i, (long long)e->id, e->op, e->kind, (long long)e->entity_id,
			  e->field ? e->field : "-", e->old_value ? e->old_value : "NULL",
			  e->new_value ? e->new_value : "NULL", (long long)e->change_seq, op,
			  (long long)entity, field, old_value[0] ? old_value : "NULL", new_value,
			  (long long)seq);
	s->last_id = e->id;
	return 0;
}

/* The outbox: the tally's creation, then per batch K creations and the
 * tally's update, each with the batch's change sequence and exact payload. */
static int crash_event_cb(const spm_event *e, void *payload)
{
	struct crash_state *s = payload;
	int64_t i = s->walked++, b, j, entity, seq;
	char want[160], tag[16], old_tag[16];
	int type;

	if (i == 0) {
		type = SPM_EVENT_RECORD_CREATED, entity = 1, seq = s->tally_seq;
		snprintf(want, sizeof(want), "{\"changes\":{\"name\":{\"old\":null,\"new\":\"tally\"},"
			 "\"industry\":{\"old\":null,\"new\":\"start\"}}}");
	} else if (i > (int64_t)s->nbatches * (CRASH_K + 1)) {
		crash_die("event %lld (type %d, %s %lld) belongs to no stored batch",
			  (long long)e->seq, e->type, e->kind, (long long)e->entity_id);
		return 1;
	} else {
		b = (i - 1) / (CRASH_K + 1), j = (i - 1) % (CRASH_K + 1);
		seq = s->seq[b];
		crash_tag(tag, sizeof(tag), (int)b);
		crash_tag(old_tag, sizeof(old_tag), (int)b - 1);
		if (j == CRASH_K) {
			type = SPM_EVENT_RECORD_UPDATED, entity = 1;
			snprintf(want, sizeof(want), "{\"changes\":{\"industry\":{\"old\":\"%s\","
				 "\"new\":\"%s\"}}}", old_tag, tag);
		} else {
			type = SPM_EVENT_RECORD_CREATED, entity = s->id[b][j];
			snprintf(want, sizeof(want), "{\"changes\":{\"name\":{\"old\":null,\"new\":"
				 "\"crash-%s-%d\"},\"region\":{\"old\":null,\"new\":\"%s\"}}}", tag,
				 (int)j, tag);
		}
	}
	if (e->seq <= s->last_id || e->type != type || !same(e->kind, "customer") ||
	    e->entity_id != entity || e->change_seq != seq || strcmp(e->payload, want) != 0)
		crash_die("event %lld of the walk is (seq %lld, type %d, %s %lld, change %lld, %s), "
			  "want (type %d, customer %lld, change %lld, %s)", (long long)i,
			  (long long)e->seq, e->type, e->kind, (long long)e->entity_id,
			  (long long)e->change_seq, e->payload, type, (long long)entity,
			  (long long)seq, want);
	s->last_id = e->seq;
	return 0;
}

/* A retry of the last stored batch under its key is a replay that reports
 * the stored ids and writes nothing: the key was stored with the batch. */
static void crash_check_replay(spm_db *db, const struct crash_state *s)
{
	int b = s->nbatches - 1;
	int64_t before, after, id;
	spm_batch *batch = NULL;
	char key[32];

	if (b < 0)
		return;
	crash_key(key, sizeof(key), b);
	if (spm_outbox_last(&before, db) != SPM_OK || crash_build(&batch, db, b) != SPM_OK)
		crash_die("building the replay of batch %d", b);
	if (spm_batch_commit(batch, key) != SPM_OK || !spm_batch_replayed(batch))
		crash_die("batch %d under key %s is not a replay", b, key);
	for (int k = 0; k <= CRASH_K; k++)
		if (spm_batch_id(&id, batch, (size_t)k) != SPM_OK ||
		    id != (k == CRASH_K ? 1 : s->id[b][k]))
			crash_die("replay of batch %d: write %d has id %lld", b, k, (long long)id);
	spm_batch_free(batch);
	if (spm_outbox_last(&after, db) != SPM_OK || after != before)
		crash_die("the replay wrote events (%lld -> %lld)", (long long)before,
			  (long long)after);
}

/* Checks the file and returns M, the number of stored batches. The handle
 * is left open in *out for the caller to write with (or close). */
static int crash_check(spm_db **out, const char *path)
{
	static struct crash_state s;
	spm_db *db;

	memset(&s, 0, sizeof(s));
	crash_integrity(path);
	if (crash_open(&db, path) != SPM_OK)
		crash_die("reopening %s after the crash", path);
	crash_read_data(db, &s);
	if (spm_audit_foreach(db, NULL, 0, crash_audit_cb, &s) != SPM_OK)
		crash_die("reading the audit trail");
	if (spm_audit_verify(db, NULL) != SPM_OK)
		crash_die("the audit chain after the crash: %s", spm_error_message());
	if (s.walked != 2 + (int64_t)s.nbatches * (CRASH_K * 2 + 1))
		crash_die("%lld audit entries for %d batches", (long long)s.walked, s.nbatches);
	s.walked = 0;
	s.last_id = 0;
	if (spm_outbox_foreach(db, 0, 0, crash_event_cb, &s) != SPM_OK)
		crash_die("reading the outbox");
	if (s.walked != 1 + (int64_t)s.nbatches * (CRASH_K + 1))
		crash_die("%lld events for %d batches", (long long)s.walked, s.nbatches);
	crash_check_replay(db, &s);
	*out = db;
	return s.nbatches;
}

/* Removes the database and its WAL files, and the directory. */
static void crash_remove(const char *dir, const char *path)
{
	static const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[256];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

#endif
