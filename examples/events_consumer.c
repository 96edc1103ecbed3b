/*
 * events_consumer: a few writes fill the outbox; a durable consumer named
 * "mailer" reads them and acknowledges the last one; the database is closed
 * and opened again (as a restarted process would), and the same consumer
 * then reads nothing new until the next write.
 *
 *   events_consumer          (a database in a new temporary directory,
 *                             removed at the end; fixed clock)
 */
#define _POSIX_C_SOURCE 200809L
#include <spm/spm.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* 2026-03-01T09:00:00Z: a fixed clock makes every run print the same. */
static spm_time fixed_clock(void *payload)
{
	(void)payload;
	return 1772355600;
}

static spm_db *open_at(const char *path)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_db *db = NULL;

	opts.path = path;
	opts.clock = fixed_clock;
	opts.actor = 0;
	if (spm_db_open(&db, &opts) != SPM_OK)
		fprintf(stderr, "open %s: %s\n", path, spm_error_message());
	return db;
}

static int customer(spm_db *db, const char *name)
{
	spm_record *r;
	int rc = spm_record_new(&r, db, "customer");

	if (rc == SPM_OK)
		rc = spm_record_set_text(r, "name", name);
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

/* The consumer's handler: print the event and remember how far it got. */
static int handle(const spm_event *ev, void *payload)
{
	printf("  event %lld %s %s %lld %s\n", (long long)ev->seq, spm_event_type_name(ev->type),
	       ev->kind, (long long)ev->entity_id, ev->payload);
	*(int64_t *)payload = ev->seq;
	return 0;
}

/* One run of the consumer: read what is new, then acknowledge it. */
static int run_consumer(spm_db *db)
{
	int64_t from = 0, last = 0;
	int rc = spm_consumer_position(&from, db, "mailer");

	if (rc == SPM_OK)
		rc = spm_consumer_poll(db, "mailer", 0, handle, &last);
	if (rc != SPM_OK)
		return rc;
	if (last == 0) {
		printf("mailer at %lld: nothing new\n", (long long)from);
		return SPM_OK;
	}
	rc = spm_consumer_ack(db, "mailer", last);
	printf("mailer read %lld..%lld and acknowledged %lld: %s\n", (long long)from + 1,
	       (long long)last, (long long)last, spm_result_name(rc));
	return rc;
}

int main(void)
{
	char dir[] = "/tmp/spm-example-XXXXXX", path[64];
	spm_record *r;
	spm_db *db;
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	db = open_at(path);
	if (!db)
		return 1;
	rc = customer(db, "Acme");
	if (rc == SPM_OK)
		rc = customer(db, "Globex");
	if (rc == SPM_OK && (rc = spm_record_get(&r, db, "customer", 1)) == SPM_OK) {
		rc = spm_record_set_text(r, "name", "Acme Ltd");
		if (rc == SPM_OK)
			rc = spm_record_save(db, r);
		spm_record_free(r);
	}
	if (rc != SPM_OK) {
		fprintf(stderr, "write: %s\n", spm_error_message());
		return 1;
	}

	printf("first run:\n");
	if (run_consumer(db) != SPM_OK)
		return 1;
	/* Acknowledging backwards is refused: positions only move forward. */
	rc = spm_consumer_ack(db, "mailer", 1);
	printf("ack 1 again: %s: %s\n", spm_result_name(rc), spm_error_message());
	spm_db_close(db);

	/* A restart: the position was stored with the data. */
	db = open_at(path);
	if (!db)
		return 1;
	printf("second run:\n");
	run_consumer(db);
	if (customer(db, "Initech") != SPM_OK)
		return 1;
	printf("third run, after one more write:\n");
	run_consumer(db);
	spm_db_close(db);

	/* Remove the database and whatever journal files SQLite left. */
	remove(path);
	for (int i = 0; i < 3; i++) {
		char extra[80];

		snprintf(extra, sizeof(extra), "%s%s", path, (const char *[]){ "-wal", "-shm",
			 "-journal" }[i]);
		remove(extra);
	}
	rmdir(dir);
	return 0;
}
