/* Listeners, the outbox, consumers, the audit trail, and what a failed
 * transaction leaves behind (nothing). */
#include "helpers.h"

#include <sqlite3.h>

static spm_db *db;
static char path[256];

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(events, .init = setup, .fini = teardown);

struct seen {
	int n;
	int types[16];
	int64_t seqs[16];
	char payload[512];
	int stop_at;
};

static int listen(const spm_event *ev, void *payload)
{
	struct seen *s = payload;

	cr_assert_eq(ev->version, SPM_EVENT_VERSION);
	s->types[s->n] = ev->type;
	s->seqs[s->n] = ev->seq;
	snprintf(s->payload, sizeof(s->payload), "%s", ev->payload);
	s->n++;
	return s->n == s->stop_at ? 99 : 0;
}

Test(events, listeners_run_after_commit_for_their_mask)
{
	struct seen all, created;
	int id_all, id_created;
	int64_t id;

	memset(&all, 0, sizeof(all));
	memset(&created, 0, sizeof(created));
	cr_assert_eq(spm_listener_add(&id_all, db, SPM_EVENT_MASK_ALL, listen, &all), SPM_OK);
	cr_assert_eq(spm_listener_add(&id_created, db, SPM_EVENT_MASK(SPM_EVENT_RECORD_CREATED),
				      listen, &created), SPM_OK);
	cr_assert_eq(spm_listener_add(NULL, db, 0, listen, &all), SPM_EINVAL);
	id = make_customer(db, "Acme");
	cr_assert_eq(spm_record_delete(db, "customer", id), SPM_OK);
	cr_assert_eq(all.n, 2);
	cr_assert_eq(all.types[0], SPM_EVENT_RECORD_CREATED);
	cr_assert_eq(all.types[1], SPM_EVENT_RECORD_DELETED);
	cr_assert_eq(created.n, 1);
	cr_assert_str_eq(all.payload, "{\"changes\":{}}");
	cr_assert_eq(spm_listener_remove(db, id_all), SPM_OK);
	cr_assert_eq(spm_listener_remove(db, id_all), SPM_ENOTFOUND);
	make_customer(db, "Beta");
	cr_assert_eq(all.n, 2);
	cr_assert_eq(created.n, 2);
	cr_assert_str_eq(created.payload,
			 "{\"changes\":{\"name\":{\"old\":null,\"new\":\"Beta\"}}}");
}

Test(events, a_listener_returning_nonzero_stops_later_ones_but_the_write_stays)
{
	struct seen first, second;

	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	first.stop_at = 1;
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK_ALL, listen, &first), SPM_OK);
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK_ALL, listen, &second), SPM_OK);
	{
		spm_record *r;
		cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
		cr_assert_eq(spm_record_set_text(r, "name", "Acme"), SPM_OK);
		cr_assert_eq(spm_record_save(db, r), 99);
		cr_assert_eq(spm_record_id(r), 1, "the record is saved all the same");
		spm_record_free(r);
	}
	cr_assert_eq(second.n, 0);
	cr_assert_eq(count_records(db, "customer"), 1);
	cr_assert_eq(count_events(db), 1);
}

static int remover_id;

static int remove_self(const spm_event *ev, void *payload)
{
	(void)ev;
	(*(int *)payload)++;
	cr_assert_eq(spm_listener_remove(db, remover_id), SPM_OK);
	return 0;
}

Test(events, a_listener_may_remove_itself)
{
	int n = 0;

	cr_assert_eq(spm_listener_add(&remover_id, db, SPM_EVENT_MASK_ALL, remove_self, &n),
		     SPM_OK);
	make_customer(db, "A");
	make_customer(db, "B");
	cr_assert_eq(n, 1);
}

static int write_from_listener(const spm_event *ev, void *payload)
{
	(void)payload;
	if (ev->type == SPM_EVENT_RECORD_CREATED && strcmp(ev->kind, "customer") == 0) {
		spm_record *c;
		cr_assert_eq(spm_record_new(&c, db, "contact"), SPM_OK);
		cr_assert_eq(spm_record_set_int(c, "customer_id", ev->entity_id), SPM_OK);
		cr_assert_eq(spm_record_set_text(c, "name", "auto"), SPM_OK);
		cr_assert_eq(spm_record_save(db, c), SPM_OK);
		spm_record_free(c);
	}
	return 0;
}

Test(events, a_listener_may_write_through_the_same_handle)
{
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK_ALL, write_from_listener, NULL),
		     SPM_OK);
	make_customer(db, "Acme");
	cr_assert_eq(count_records(db, "contact"), 1);
}

static int collect_seq(const spm_event *ev, void *payload)
{
	struct seen *s = payload;

	s->seqs[s->n] = ev->seq;
	s->types[s->n] = ev->type;
	s->n++;
	return 0;
}

/* An event row without a kind is damaged: reported, not handed on with a
 * NULL kind; the events before it are delivered. */
Test(events, an_outbox_event_without_a_kind_is_corrupt)
{
	sqlite3 *s;
	int n = 0;

	make_customer(db, "Acme");
	make_customer(db, "Bolt");
	cr_assert_eq(count_events(db), 2);
	spm_db_close(db);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, "UPDATE _event SET kind = NULL WHERE id = 2", NULL, NULL,
				  NULL), SQLITE_OK);
	sqlite3_close(s);
	db = open_db(path);
	cr_assert_eq(spm_outbox_foreach(db, 0, 0, count_event_cb, &n), SPM_ECORRUPT);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(spm_error_message(), "outbox event 2: no kind");
}

Test(events, outbox_reads_after_a_sequence_with_a_limit)
{
	struct seen s;
	int64_t last;

	memset(&s, 0, sizeof(s));
	cr_assert_eq(spm_outbox_last(&last, db), SPM_OK);
	cr_assert_eq(last, 0);
	for (int i = 0; i < 5; i++)
		make_customer(db, "x");
	cr_assert_eq(spm_outbox_last(&last, db), SPM_OK);
	cr_assert_eq(last, 5);
	cr_assert_eq(spm_outbox_foreach(db, 2, 2, collect_seq, &s), SPM_OK);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.seqs[0], 3);
	cr_assert_eq(s.seqs[1], 4);
	cr_assert_eq(spm_outbox_foreach(db, -1, 0, collect_seq, &s), SPM_EINVAL);
}

Test(events, consumer_position_survives_reopen)
{
	struct seen s;
	int64_t pos;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 4; i++)
		make_customer(db, "x");
	cr_assert_eq(spm_consumer_position(&pos, db, "mailer"), SPM_OK);
	cr_assert_eq(pos, 0);
	cr_assert_eq(spm_consumer_poll(db, "mailer", 3, collect_seq, &s), SPM_OK);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(spm_consumer_ack(db, "mailer", s.seqs[2]), SPM_OK);
	spm_db_close(db);

	db = open_db(path);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(spm_consumer_position(&pos, db, "mailer"), SPM_OK);
	cr_assert_eq(pos, 3);
	cr_assert_eq(spm_consumer_poll(db, "mailer", 0, collect_seq, &s), SPM_OK);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.seqs[0], 4);
	/* at-least-once: without an ack the same event comes again */
	cr_assert_eq(spm_consumer_poll(db, "mailer", 0, collect_seq, &s), SPM_OK);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.seqs[1], 4);
	cr_assert_eq(spm_consumer_position(&pos, db, "other"), SPM_OK);
	cr_assert_eq(pos, 0);
}

Test(events, consumer_ack_checks_names_and_bounds)
{
	make_customer(db, "x");
	cr_assert_eq(spm_consumer_ack(db, "bad name!", 1), SPM_EINVAL);
	cr_assert_eq(spm_consumer_ack(db, "", 1), SPM_EINVAL);
	cr_assert_eq(spm_consumer_ack(db, "c", 2), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "cannot acknowledge 2: the newest event is 1");
	cr_assert_eq(spm_consumer_ack(db, "c", 1), SPM_OK);
	cr_assert_eq(spm_consumer_ack(db, "c", 0), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "consumer 'c' is at 1; acknowledging 0 would move it back");
	cr_assert_eq(spm_consumer_ack(db, "c", 1), SPM_OK);
}

struct trail {
	int n;
	char lines[16][160];
};

static int collect_audit(const spm_audit_entry *e, void *payload)
{
	struct trail *t = payload;

	snprintf(t->lines[t->n++], 160, "%lld %lld %d %s %lld %s %s %s", (long long)e->actor,
		 (long long)e->at, e->op, e->kind, (long long)e->entity_id,
		 e->field ? e->field : "-", e->old_value ? e->old_value : "-",
		 e->new_value ? e->new_value : "-");
	return 0;
}

Test(events, audit_names_actor_time_field_old_and_new)
{
	struct trail t;
	spm_record *r;
	int64_t a = make_customer(db, "Acme");

	memset(&t, 0, sizeof(t));
	make_customer(db, "Other");
	cr_assert_eq(spm_db_set_actor(db, 8), SPM_OK);
	test_clock_now = T0 + 60;
	cr_assert_eq(spm_record_get(&r, db, "customer", a), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Acme Ltd"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "region", "华东"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(spm_record_delete(db, "customer", a), SPM_OK);
	cr_assert_eq(spm_audit_foreach(db, "customer", a, collect_audit, &t), SPM_OK);
	cr_assert_eq(t.n, 4);
	cr_assert_str_eq(t.lines[0], "1 1772355600 1 customer 1 name - Acme");
	cr_assert_str_eq(t.lines[1], "8 1772355660 2 customer 1 name Acme Acme Ltd");
	cr_assert_str_eq(t.lines[2], "8 1772355660 2 customer 1 region - 华东");
	cr_assert_str_eq(t.lines[3], "8 1772355660 3 customer 1 - - -");
	cr_assert_eq(spm_audit_foreach(db, "planet", 0, collect_audit, &t), SPM_ENOTFOUND);
}

/* A storage wrapper whose commit fails once: the transaction must leave
 * nothing behind — record, audit entry or event. */
struct failing {
	const spm_storage_ops *inner;
	void *self;
	int fail_commit;
};

static int f_schema_version(void *s, int *out) { struct failing *f = s; return f->inner->schema_version(f->self, out); }
static int f_upgrade(void *s, int a, int b) { struct failing *f = s; return f->inner->upgrade(f->self, a, b); }
static int f_begin(void *s, unsigned fl) { struct failing *f = s; return f->inner->begin(f->self, fl); }
static int f_rollback(void *s) { struct failing *f = s; return f->inner->rollback(f->self); }
static int f_get(void *s, spm_record **o, const spm_kind *k, int64_t id) { struct failing *f = s; return f->inner->get(f->self, o, k, id); }
static int f_put(void *s, const spm_record *r) { struct failing *f = s; return f->inner->put(f->self, r); }
static int f_remove(void *s, const spm_kind *k, int64_t id, int64_t seq) { struct failing *f = s; return f->inner->remove(f->self, k, id, seq); }
static int f_scan(void *s, const spm_kind *k, const spm_scan *sc, spm_scan_cb cb, void *p) { struct failing *f = s; return f->inner->scan(f->self, k, sc, cb, p); }
static int f_next_id(void *s, int64_t *o, const char *c) { struct failing *f = s; return f->inner->next_id(f->self, o, c); }
static void f_free(void *s) { struct failing *f = s; f->inner->free(f->self); free(f); }

static int f_commit(void *s)
{
	struct failing *f = s;

	if (f->fail_commit) {
		f->fail_commit = 0;
		f->inner->rollback(f->self);
		return spm_storage_error(SPM_ESTORAGE, "injected commit failure");
	}
	return f->inner->commit(f->self);
}

/* A version-1 table (no count, insert, update): the core falls back to
 * scan and put, and this test covers that path too. */
static const spm_storage_ops failing_ops = {
	1, f_schema_version, f_upgrade, f_begin, f_commit, f_rollback,
	f_get, f_put, f_remove, f_scan, f_next_id, f_free, NULL, NULL, NULL,
};

static struct failing *wrapper;

static int wrap(const spm_storage_ops **ops, void **self, spm_db *d, void *payload)
{
	(void)d;
	(void)payload;
	wrapper = calloc(1, sizeof(*wrapper));
	wrapper->inner = *ops;
	wrapper->self = *self;
	*ops = &failing_ops;
	*self = wrapper;
	return SPM_OK;
}

Test(events, failed_transaction_leaves_no_record_audit_or_event)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *w;
	spm_record *r;
	struct seen s;

	memset(&s, 0, sizeof(s));
	o.path = path;
	o.storage_wrap = wrap;
	o.clock = test_clock;
	cr_assert_eq(spm_db_open(&w, &o), SPM_OK);
	cr_assert_eq(spm_listener_add(NULL, w, SPM_EVENT_MASK_ALL, listen, &s), SPM_OK);
	wrapper->fail_commit = 1;
	cr_assert_eq(spm_record_new(&r, w, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Ghost"), SPM_OK);
	cr_assert_eq(spm_record_save(w, r), SPM_ESTORAGE);
	cr_assert_str_eq(spm_error_message(), "injected commit failure");
	cr_assert_eq(spm_record_id(r), 0);
	cr_assert_eq(s.n, 0, "a listener heard of an aborted write");
	cr_assert_eq(count_records(w, "customer"), 0);
	cr_assert_eq(count_audit(w), 0);
	cr_assert_eq(count_events(w), 0);
	/* the handle stays usable and the same record saves on retry */
	cr_assert_eq(spm_record_save(w, r), SPM_OK);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(count_audit(w), 1);
	spm_record_free(r);
	spm_db_close(w);
}

Test(events, event_type_names)
{
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_RECORD_CREATED), "record.created");
	cr_assert_str_eq(spm_event_type_name(SPM_EVENT_FIELD_DROPPED), "field.dropped");
	cr_assert_null(spm_event_type_name(0));
	cr_assert_null(spm_event_type_name(99));
}
