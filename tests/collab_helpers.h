/* Shared by the collaboration and collections suites: an org (admin, two
 * reps in a team managed by Mo, two directors), a customer and deals, and
 * readers for fields, events and audit entries. */
#ifndef SPM_TESTS_COLLAB_HELPERS_H
#define SPM_TESTS_COLLAB_HELPERS_H

#include "helpers.h"

static spm_db *db;
static char path[256];

enum { U_ADA = 1, U_AN = 2, U_BO = 3, U_MO = 4, U_DI = 5, U_DAN = 6 };

static inline void as(int64_t user)
{
	cr_assert_eq(spm_db_set_actor(db, user), SPM_OK);
}

/* Fills db (opened by the caller) with the org, two customers and a pipeline. */
static inline void org_populate(void)
{
	as(0);
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("role", "name", "rep", "scope", "1");
	ADD("role", "name", "manager", "scope", "2");
	ADD("role", "name", "director", "scope", "3");
	ADD("user", "name", "Ada", "role_id", "1", "active", "true");
	ADD("user", "name", "An", "role_id", "2", "active", "true");
	ADD("user", "name", "Bo", "role_id", "2", "active", "true");
	ADD("user", "name", "Mo", "role_id", "3", "active", "true");
	ADD("user", "name", "Di", "role_id", "4", "active", "true");
	ADD("user", "name", "Dan", "role_id", "4", "active", "true");
	ADD("team", "name", "T", "manager_id", "4");
	ADD("membership", "user_id", "2", "team_id", "1", "valid_from", "2026-01-01");
	ADD("membership", "user_id", "3", "team_id", "1", "valid_from", "2026-01-01");
	ADD("pipeline", "name", "Sales");
	ADD("stage", "pipeline_id", "1", "name", "Talk", "position", "1");
	ADD("stage", "pipeline_id", "1", "name", "Won", "position", "2", "outcome", "won");
	ADD("stage", "pipeline_id", "1", "name", "Lost", "position", "3", "outcome", "lost");
	ADD("customer", "name", "Acme", "owner_id", "2");
	ADD("customer", "name", "Bolt", "owner_id", "3");
}

static inline void org_setup(void)
{
	temp_db_path(path, sizeof(path));
	test_clock_now = T0;
	db = open_db(path);
	org_populate();
}

static inline void org_teardown(void)
{
	spm_db_close(db);
}

/* A deal of customer (1: An's Acme, 2: Bo's Bolt) owned by owner, in the
 * stage whose outcome is status (stages 1 open, 2 won, 3 lost). */
static inline int64_t deal(int64_t customer, int64_t owner, const char *status)
{
	char c[24], o[24];
	int64_t actor = spm_db_actor(db), id;

	snprintf(c, sizeof(c), "%lld", (long long)customer);
	snprintf(o, sizeof(o), "%lld", (long long)owner);
	as(0);
	id = ADD("opportunity", "name", "Deal", "pipeline_id", "1", "customer_id", c, "owner_id", o,
		 "stage_id", strcmp(status, "won") == 0 ? "2" : strcmp(status, "lost") == 0 ? "3" : "1",
		 "status", status, "amount", "1000.00 CNY");
	as(actor);
	return id;
}

/* The text of a field as the system sees it ("(null)" for none). */
static inline const char *field_of(const char *kind, int64_t id, const char *name)
{
	static char buf[8][512];
	static int n;
	spm_record *r;
	const char *s;
	int64_t actor = spm_db_actor(db);

	n = (n + 1) % 8;
	as(0);
	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK, "%s %lld: %s", kind, (long long)id,
		     spm_error_message());
	cr_assert_eq(spm_record_get_as_text(&s, r, name), SPM_OK, "%s.%s", kind, name);
	snprintf(buf[n], sizeof(buf[n]), "%s", s ? s : "(null)");
	spm_record_free(r);
	as(actor);
	return buf[n];
}

/* Sets a field of a record from text and saves it as the current actor. */
static inline int update(const char *kind, int64_t id, const char *name, const char *value)
{
	spm_record *r;
	int64_t actor = spm_db_actor(db);
	int rc;

	as(0);
	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK);
	as(actor);
	rc = spm_record_set_from_text(r, name, value);
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

/* Events of one type: how many, and the last one's entity and payload. */
struct seen {
	int type;
	int n;
	int64_t entity;
	char payload[512];
	char all[2048];  /* every payload, ';'-separated */
};

static inline int seen_cb(const spm_event *e, void *payload)
{
	struct seen *s = payload;

	if (e->type != s->type)
		return 0;
	s->n++;
	s->entity = e->entity_id;
	snprintf(s->payload, sizeof(s->payload), "%s", e->payload);
	if (strlen(s->all) + strlen(e->payload) + 2 < sizeof(s->all)) {
		strcat(s->all, e->payload);
		strcat(s->all, ";");
	}
	return 0;
}

static inline struct seen events_of(int type)
{
	struct seen s;
	int64_t actor = spm_db_actor(db);

	memset(&s, 0, sizeof(s));
	s.type = type;
	as(0);
	cr_assert_eq(spm_outbox_foreach(db, 0, 0, seen_cb, &s), SPM_OK);
	as(actor);
	return s;
}

/* Audit entries of one record and field: "old>new" joined by ';'. */
struct trail {
	const char *field;
	char text[1024];
};

static inline int trail_cb(const spm_audit_entry *e, void *payload)
{
	struct trail *t = payload;

	if (e->field && strcmp(e->field, t->field) == 0 && strlen(t->text) < 900) {
		char item[128];
		snprintf(item, sizeof(item), "%s>%s;", e->old_value ? e->old_value : "",
			 e->new_value ? e->new_value : "");
		strcat(t->text, item);
	}
	return 0;
}

static inline const char *audit_of(const char *kind, int64_t id, const char *name)
{
	static struct trail t;
	int64_t actor = spm_db_actor(db);

	memset(&t, 0, sizeof(t));
	t.field = name;
	as(0);
	cr_assert_eq(spm_audit_foreach(db, kind, id, trail_cb, &t), SPM_OK);
	as(actor);
	return t.text;
}

static inline int count_as(int64_t user, const char *kind)
{
	int64_t actor = spm_db_actor(db);
	int n;

	as(user);
	n = count_records(db, kind);
	as(actor);
	return n;
}

#endif
