/* Reading the durable outbox, and named consumers with acknowledged positions. */
#include "events/events_internal.h"
#include "core/store.h"
#include "core/kinds.h"
#include "core/txn.h"
#include "domain/org.h"

#include <string.h>

#define PAGE 256
#define CONSUMER_NAME_MAX 63

/* Every event the library writes names a kind: a row without one is damaged
 * (and the kind is never NULL for the callback). */
static int to_event(spm_event *ev, const spm_record *rec)
{
	const char *payload = spm_record_value_text(rec, SPM__EVENT_PAYLOAD, NULL);

	memset(ev, 0, sizeof(*ev));
	ev->version = SPM_EVENT_VERSION;
	ev->seq = rec->id;
	ev->change_seq = spm_record_value_int(rec, SPM__EVENT_SEQ);
	ev->at = spm_record_value_int(rec, SPM__EVENT_AT);
	ev->actor = spm_record_value_int(rec, SPM__EVENT_ACTOR);
	ev->type = (int)spm_record_value_int(rec, SPM__EVENT_TYPE);
	ev->kind = spm_record_value_text(rec, SPM__EVENT_KIND, NULL);
	ev->entity_id = spm_record_value_int(rec, SPM__EVENT_ENTITY);
	ev->payload = payload ? payload : "{}";
	if (ev->kind == NULL)
		return spm__error_set(SPM_ECORRUPT, "outbox event %lld: no kind", (long long)ev->seq);
	return SPM_OK;
}

int spm_outbox_foreach(spm_db *db, int64_t after, size_t limit, spm_event_cb cb, void *payload)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	size_t delivered = 0;
	int rc = SPM_OK;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(cb);
	if (after < 0)
		return spm__error_set(SPM_EINVAL, "an outbox position is not negative");
	rc = spm__scope_require_all(db, "read the outbox");
	if (rc != SPM_OK)
		return rc;
	scan.after_id = after;
	for (;;) {
		size_t want = PAGE;
		size_t got;

		if (limit && limit - delivered < want)
			want = limit - delivered;
		if (want == 0)
			break;
		scan.limit = want;
		rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_EVENT, 1), &scan);
		got = page.n;
		for (size_t i = 0; rc == SPM_OK && i < page.n; i++) {
			spm_event ev;
			rc = to_event(&ev, page.recs[i]);
			if (rc != SPM_OK)
				break;
			scan.after_id = ev.seq;
			delivered++;
			rc = cb(&ev, payload);
		}
		spm__page_clear(db, &page);
		if (rc != SPM_OK || got < want)
			break;
	}
	return rc;
}

int spm_outbox_last(int64_t *out, spm_db *db)
{
	spm_scan scan = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 1, SPM_SCAN_DESC, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(db);
	*out = 0;
	rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_EVENT, 1), &scan);
	if (rc == SPM_OK && page.n > 0)
		*out = page.recs[0]->id;
	spm__page_clear(db, &page);
	return rc;
}

static int check_consumer(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CONSUMER_NAME_MAX)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			goto bad;
	}
	return SPM_OK;
bad:
	return spm__error_set(SPM_EINVAL, "a consumer name has 1..%d of [A-Za-z0-9_.-]",
			      CONSUMER_NAME_MAX);
}

/* The consumer's record, or NULL when it has never acknowledged. */
static int find_consumer(spm_record **out, spm_db *db, const char *name)
{
	spm_scan_cond cond = { SPM__CONSUMER_NAME, SPM_CMP_EQ, 0, name };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 1, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int rc = spm__scan_page(db, &page, spm__kind_find(db, SPM__KIND_CONSUMER, 1), &scan);

	*out = NULL;
	if (rc == SPM_OK && page.n == 1) {
		*out = page.recs[0];
		page.n = 0;
	}
	spm__page_clear(db, &page);
	return rc;
}

int spm_consumer_position(int64_t *out, spm_db *db, const char *name)
{
	spm_record *rec;
	int rc;

	SPM__CHECK_ARG(out);
	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(name);
	rc = check_consumer(name);
	if (rc == SPM_OK)
		rc = spm__scope_require_all(db, "read the outbox");
	if (rc == SPM_OK)
		rc = find_consumer(&rec, db, name);
	if (rc != SPM_OK)
		return rc;
	*out = rec ? spm_record_value_int(rec, SPM__CONSUMER_POSITION) : 0;
	spm_record_free(rec);
	return SPM_OK;
}

static int ack_in_txn(struct spm__txn *t, const char *name, int64_t seq)
{
	spm_db *db = t->db;
	spm_record *rec = NULL;
	int64_t last, pos;
	int rc = spm_outbox_last(&last, db);

	if (rc == SPM_OK && (seq < 0 || seq > last))
		rc = spm__error_set(SPM_EINVAL, "cannot acknowledge %lld: the newest event is %lld",
				    (long long)seq, (long long)last);
	if (rc == SPM_OK)
		rc = find_consumer(&rec, db, name);
	if (rc != SPM_OK)
		return rc;
	pos = rec ? spm_record_value_int(rec, SPM__CONSUMER_POSITION) : 0;
	if (seq < pos) {
		rc = spm__error_set(SPM_EINVAL, "consumer '%s' is at %lld; acknowledging %lld would "
				    "move it back", name, (long long)pos, (long long)seq);
	} else if (rec) {
		rc = spm__record_put_int(rec, SPM__CONSUMER_POSITION, seq);
		rec->seq = t->seq;
		if (rc == SPM_OK)
			rc = spm__store_put(db, rec);
	} else {
		rc = spm__record_make(&rec, db, spm__kind_find(db, SPM__KIND_CONSUMER, 1));
		if (rc == SPM_OK)
			rc = spm__record_put_text(rec, SPM__CONSUMER_NAME, name, strlen(name));
		if (rc == SPM_OK)
			rc = spm__record_put_int(rec, SPM__CONSUMER_POSITION, seq);
		if (rc == SPM_OK)
			rc = spm__txn_put_system(t, rec);
	}
	spm_record_free(rec);
	return rc;
}

int spm_consumer_ack(spm_db *db, const char *name, int64_t seq)
{
	struct spm__txn t;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(name);
	rc = check_consumer(name);
	if (rc == SPM_OK)
		rc = spm__scope_require_all(db, "read the outbox");
	if (rc == SPM_OK)
		rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = ack_in_txn(&t, name, seq);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}

int spm_consumer_poll(spm_db *db, const char *name, size_t limit, spm_event_cb cb,
		      void *payload)
{
	int64_t pos;
	int rc;

	SPM__CHECK_ARG(cb);
	rc = spm_consumer_position(&pos, db, name);
	return rc != SPM_OK ? rc : spm_outbox_foreach(db, pos, limit, cb, payload);
}
