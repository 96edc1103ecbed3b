/*
 * quickstart: open a database, define a custom field, write records, and
 * print the audit trail and the outbox.
 *
 *   quickstart [FILE]      (default: an in-memory database)
 */
#include <spm/spm.h>

#include <stdio.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "quickstart: %s: %s (%s)\n", what, spm_error_message(),
		spm_result_name(rc));
	return 1;
}

static int print_audit(const spm_audit_entry *e, void *payload)
{
	(void)payload;
	printf("  #%-3lld seq %-3lld %-8s %s %lld %s: %s -> %s\n", (long long)e->id,
	       (long long)e->change_seq,
	       e->op == SPM_AUDIT_CREATE ? "create" : e->op == SPM_AUDIT_UPDATE ? "update" :
	       e->op == SPM_AUDIT_DELETE ? "delete" : "schema",
	       e->kind, (long long)e->entity_id, e->field ? e->field : "-",
	       e->old_value ? e->old_value : "(none)", e->new_value ? e->new_value : "(none)");
	return 0;
}

static int print_event(const spm_event *ev, void *payload)
{
	(void)payload;
	printf("  event %-3lld %-15s %s %lld %s\n", (long long)ev->seq,
	       spm_event_type_name(ev->type), ev->kind, (long long)ev->entity_id, ev->payload);
	return 0;
}

int main(int argc, char **argv)
{
	spm_db_options opts = SPM_DB_OPTIONS_INIT;
	const char *choices[] = { "A", "B", "C" };
	spm_field_options grade = SPM_FIELD_OPTIONS_INIT;
	spm_db *db;
	spm_record *acme;
	int rc;

	opts.path = argc > 1 ? argv[1] : ":memory:";
	opts.actor = 7;  /* the user making the changes */
	rc = spm_db_open(&db, &opts);
	if (rc != SPM_OK)
		return fail("open", rc);

	/* A custom field: customer grade, one of A/B/C. */
	grade.choices = choices;
	grade.nchoices = 3;
	grade.label = "客户分级";
	rc = spm_field_add(db, "customer", "grade", SPM_FIELD_ENUM, &grade);
	if (rc == SPM_OK)
		rc = spm_field_add(db, "customer", "credit_limit", SPM_FIELD_MONEY, NULL);
	if (rc != SPM_OK && rc != SPM_EEXISTS)
		return fail("field add", rc);

	/* Create a customer, then change it. */
	rc = spm_record_new(&acme, db, "customer");
	if (rc == SPM_OK)
		rc = spm_record_set_text(acme, "name", "Acme 有限公司");
	if (rc == SPM_OK)
		rc = spm_record_set_text(acme, "grade", "B");
	if (rc == SPM_OK)
		rc = spm_record_set_money(acme, "credit_limit", 5000000, "CNY");
	if (rc == SPM_OK)
		rc = spm_record_save(db, acme);
	if (rc == SPM_OK)
		rc = spm_record_set_text(acme, "grade", "A");
	if (rc == SPM_OK)
		rc = spm_record_save(db, acme);
	if (rc != SPM_OK)
		return fail("save", rc);
	printf("customer %lld saved at change %lld\n", (long long)spm_record_id(acme),
	       (long long)spm_record_seq(acme));
	spm_record_free(acme);

	/* A bad value is refused and changes nothing. */
	rc = spm_record_new(&acme, db, "customer");
	if (rc == SPM_OK) {
		rc = spm_record_set_text(acme, "grade", "Z");
		printf("grade Z: %s: %s\n", spm_result_name(rc), spm_error_message());
		spm_record_free(acme);
	}

	printf("audit trail:\n");
	spm_audit_foreach(db, NULL, 0, print_audit, NULL);
	printf("outbox:\n");
	spm_outbox_foreach(db, 0, 0, print_event, NULL);
	spm_db_close(db);
	return 0;
}
