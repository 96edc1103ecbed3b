/*
 * lead_assignment: roles and users, two assignment rules, then
 * spm_lead_assign_pool() routes the pool leads; prints who got what and why
 * (the lead's assignment_reason).
 *
 *   lead_assignment          (in-memory database, fixed clock)
 */
#include <spm/spm.h>

#include <stdio.h>

/* 2026-03-01T09:00:00Z: a fixed clock makes every run print the same. */
static spm_time fixed_clock(void *payload)
{
	(void)payload;
	return 1772355600;
}

/* Creates a record of kind from "field", "value" pairs (NULL-terminated);
 * each value is parsed by its field's type. Returns the id, 0 on error. */
static int64_t add(spm_db *db, const char *kind, const char *const *kv)
{
	spm_record *r;
	int64_t id = 0;
	int rc = spm_record_new(&r, db, kind);

	if (rc != SPM_OK)
		return 0;
	for (; rc == SPM_OK && kv[0]; kv += 2)
		rc = spm_record_set_from_text(r, kv[0], kv[1]);
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	if (rc == SPM_OK)
		id = spm_record_id(r);
	else
		fprintf(stderr, "lead_assignment: %s: %s\n", kind, spm_error_message());
	spm_record_free(r);
	return id;
}
#define ADD(kind, ...) add(db, kind, (const char *const[]){ __VA_ARGS__, NULL })

static int print_lead(const spm_record *r, void *payload)
{
	const char *company = NULL, *reason = NULL;
	int64_t owner = 0;

	(void)payload;
	spm_record_get_text(&company, r, "company");
	spm_record_get_int(&owner, r, "owner_id");
	spm_record_get_text(&reason, r, "assignment_reason");
	printf("  lead %lld %-8s -> user %lld (%s)\n", (long long)spm_record_id(r), company,
	       (long long)owner, reason ? reason : "still in the pool");
	return 0;
}

int main(void)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	spm_query *q;
	spm_db *db;
	size_t assigned = 0;
	int rc;

	opts.path = ":memory:";
	opts.clock = fixed_clock;
	opts.actor = 0;  /* 0: the system, allowed everything (setting up) */
	rc = spm_db_open(&db, &opts);
	if (rc != SPM_OK) {
		fprintf(stderr, "open: %s\n", spm_error_message());
		return 1;
	}

	/* Roles (scope 1 own, 3 all; "*" = every action) and users 1-4. */
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("role", "name", "rep", "scope", "1");
	ADD("user", "name", "Ada", "role_id", "1", "active", "true");
	ADD("user", "name", "Bo", "role_id", "2", "active", "true");
	ADD("user", "name", "Cai", "role_id", "2", "active", "true");
	ADD("user", "name", "Du", "role_id", "2", "active", "true");

	/* Leads without an owner are in the public pool. */
	ADD("lead", "company", "Acme", "region", "华东", "source", "web");
	ADD("lead", "company", "Globex", "region", "华北", "source", "web");
	ADD("lead", "company", "Initech", "source", "ads");
	ADD("lead", "company", "Umbrella", "source", "ads");
	ADD("lead", "company", "Hooli", "source", "ads");

	/* Rules run in position order; writing them needs the pool action,
	 * so the admin (user 1) does it. */
	spm_db_set_actor(db, 1);
	ADD("assignment_rule", "position", "1", "name", "regions", "condition",
	    "region is not null", "method", "territory", "territory_field", "region",
	    "territory_map", "华东=2,华北=3");
	ADD("assignment_rule", "position", "2", "name", "everyone else", "method",
	    "round_robin", "users", "2,3,4");

	rc = spm_lead_assign_pool(&assigned, db);
	if (rc != SPM_OK) {
		fprintf(stderr, "assign: %s (%s)\n", spm_error_message(), spm_result_name(rc));
		return 1;
	}
	printf("assigned %zu leads:\n", assigned);
	spm_query_new(&q, db, "lead");
	spm_query_foreach(q, print_lead, NULL);
	spm_query_free(q);

	/* A rule naming an unknown method is refused and changes nothing. */
	{
		spm_record *r;

		spm_record_new(&r, db, "assignment_rule");
		spm_record_set_from_text(r, "position", "3");
		spm_record_set_text(r, "name", "luck");
		rc = spm_record_set_text(r, "method", "lottery");
		if (rc == SPM_OK)
			rc = spm_record_save(db, r);
		printf("method lottery: %s: %s\n", spm_result_name(rc), spm_error_message());
		spm_record_free(r);
	}
	spm_db_close(db);
	return 0;
}
