/* Customers: lifecycle moves, grading rules, lead conversion. */
#include "helpers.h"

static spm_db *db;
static char path[256];

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_field_add(db, "customer", "revenue", SPM_FIELD_MONEY, NULL), SPM_OK);
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(customer, .init = setup, .fini = teardown);

static const char *get(const char *kind, int64_t id, const char *field)
{
	static char buf[4][128];
	static int n;
	spm_record *r;
	const char *s;

	n = (n + 1) % 4;
	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK);
	cr_assert_eq(spm_record_get_as_text(&s, r, field), SPM_OK);
	snprintf(buf[n], sizeof(buf[n]), "%s", s ? s : "(null)");
	spm_record_free(r);
	return buf[n];
}

static int set(const char *kind, int64_t id, const char *field, const char *value)
{
	spm_record *r;
	int rc;

	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, field, value), SPM_OK);
	rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

Test(customer, lifecycle_starts_as_prospect_and_moves_only_forward_or_back_from_churn)
{
	int64_t c = ADD("customer", "name", "Acme");

	cr_assert_str_eq(get("customer", c, "lifecycle"), "(null)", "no value means prospect");
	cr_assert_eq(set("customer", c, "lifecycle", "repeat"), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer 1 cannot go from prospect to repeat");
	cr_assert_eq(set("customer", c, "lifecycle", "customer"), SPM_OK);
	cr_assert_eq(set("customer", c, "lifecycle", "prospect"), SPM_EINVAL);
	cr_assert_eq(set("customer", c, "lifecycle", "repeat"), SPM_OK);
	cr_assert_eq(set("customer", c, "lifecycle", "churned"), SPM_OK);
	cr_assert_eq(set("customer", c, "lifecycle", "customer"), SPM_OK, "won back");
	cr_assert_eq(set("customer", c, "lifecycle", "vip"), SPM_EINVAL);
	cr_assert_str_eq(get("customer", c, "lifecycle"), "customer");
	cr_assert_eq(set("customer", c, "lifecycle", NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "customer.lifecycle cannot be cleared");
}

Test(customer, levels_come_from_the_first_rule_met_in_position_order)
{
	int64_t big, mid, small;

	ADD("grading_rule", "position", "20", "condition", "revenue >= 100000.00 CNY", "level", "B");
	ADD("grading_rule", "position", "10", "condition", "revenue >= 1000000.00 CNY", "level", "A");
	ADD("grading_rule", "position", "30", "condition", "revenue is not null", "level", "C");
	big = ADD("customer", "name", "Big", "revenue", "2000000.00 CNY");
	mid = ADD("customer", "name", "Mid", "revenue", "500000.00 CNY");
	small = ADD("customer", "name", "Small", "revenue", "10.00 CNY");
	cr_assert_str_eq(get("customer", big, "level"), "A");
	cr_assert_str_eq(get("customer", mid, "level"), "B");
	cr_assert_str_eq(get("customer", small, "level"), "C");
	/* re-evaluated on change */
	cr_assert_eq(set("customer", small, "revenue", "150000.00 CNY"), SPM_OK);
	cr_assert_str_eq(get("customer", small, "level"), "B");
	cr_assert_eq(set("customer", small, "revenue", NULL), SPM_OK);
	cr_assert_str_eq(get("customer", small, "level"), "(null)");
	/* a grade set by hand stays */
	{
		spm_record *r;
		cr_assert_eq(spm_record_get(&r, db, "customer", mid), SPM_OK);
		cr_assert_eq(spm_record_set_bool(r, "level_manual", 1), SPM_OK);
		cr_assert_eq(spm_record_set_text(r, "level", "A"), SPM_OK);
		cr_assert_eq(spm_record_save(db, r), SPM_OK);
		spm_record_free(r);
	}
	cr_assert_eq(set("customer", mid, "revenue", "1.00 CNY"), SPM_OK);
	cr_assert_str_eq(get("customer", mid, "level"), "A");
}

Test(customer, grading_rules_are_compiled_when_written)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "grading_rule"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "position", 1), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "level", "A"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "condition", "revenue >= 'lots'"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert(strncmp(spm_error_message(), "grading_rule.condition: 1:", 26) == 0, "%s",
		  spm_error_message());
	cr_assert_eq(spm_record_set_text(r, "condition", "revenue"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "condition", "industry in ('制造业', 'retail')"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
}

static int on_converted(const spm_event *ev, void *payload)
{
	snprintf(payload, 128, "%s %lld %s", spm_event_type_name(ev->type), (long long)ev->entity_id,
		 ev->payload);
	return 0;
}

Test(customer, a_lead_converts_into_a_customer_and_a_contact_once)
{
	int64_t lead, customer = 0, contact = 0;
	char ev[128] = "";

	lead = ADD("lead", "company", "Acme 有限公司", "contact_name", "王伟", "email", "wang@acme.cn",
		   "phone", "+86 138 0013 8000", "industry", "制造业", "region", "华东", "owner_id",
		   "7");
	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK(SPM_EVENT_LEAD_CONVERTED),
				      on_converted, ev), SPM_OK);
	cr_assert_eq(spm_lead_convert(&customer, &contact, db, lead), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(customer, 1);
	cr_assert_eq(contact, 1);
	cr_assert_str_eq(ev, "lead.converted 1 {\"customer_id\":1,\"contact_id\":1}");
	cr_assert_str_eq(get("customer", customer, "name"), "Acme 有限公司");
	cr_assert_str_eq(get("customer", customer, "owner_id"), "7");
	cr_assert_str_eq(get("customer", customer, "industry"), "制造业");
	cr_assert_str_eq(get("customer", customer, "lifecycle"), "(null)");
	cr_assert_str_eq(get("contact", contact, "name"), "王伟");
	cr_assert_str_eq(get("contact", contact, "email"), "wang@acme.cn");
	cr_assert_str_eq(get("contact", contact, "customer_id"), "1");
	cr_assert_str_eq(get("lead", lead, "status"), "converted");
	cr_assert_str_eq(get("lead", lead, "converted_customer_id"), "1");
	cr_assert_eq(spm_lead_convert(&customer, &contact, db, lead), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "lead 1 is converted");
	cr_assert_eq(spm_lead_convert(NULL, NULL, db, 99), SPM_ENOTFOUND);
}

Test(customer, conversion_without_a_name_changes_nothing)
{
	int64_t lead = ADD("lead", "source", "fair"), customer = 0;

	cr_assert_eq(spm_lead_convert(&customer, NULL, db, lead), SPM_EINVAL);
	cr_assert_eq(customer, 0);
	cr_assert_eq(count_records(db, "customer"), 0);
	cr_assert_str_eq(get("lead", lead, "status"), "new");
	lead = ADD("lead", "contact_name", "Solo Trader");
	cr_assert_eq(spm_lead_convert(&customer, NULL, db, lead), SPM_OK);
	cr_assert_str_eq(get("customer", customer, "name"), "Solo Trader");
}

Test(customer, keys_are_normalized_on_every_save)
{
	int64_t lead = ADD("lead", "company", "ＡＣＭＥ Co., Ltd.", "email", " Sales@Acme.COM ",
			   "phone", "138-0013-8000");
	int64_t c = ADD("customer", "name", "北京字节跳动科技有限公司");

	cr_assert_str_eq(get("lead", lead, "company_key"), "acme");
	cr_assert_str_eq(get("lead", lead, "email_key"), "sales@acme.com");
	cr_assert_str_eq(get("lead", lead, "phone_key"), "8613800138000");
	cr_assert_str_eq(get("customer", c, "company_key"), "北京字节跳动科技");
	cr_assert_eq(set("lead", lead, "phone", "not a phone"), SPM_OK, "kept as data");
	cr_assert_str_eq(get("lead", lead, "phone_key"), "(null)");
}

Test(customer, reject_policy_refuses_a_duplicate_with_the_key_named)
{
	spm_record *r;

	ADD("dedupe_policy", "target", "lead", "mode", "reject");
	ADD("lead", "company", "Acme GmbH", "phone", "+49 30 1234567");
	cr_assert_eq(spm_record_new(&r, db, "lead"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "company", "Other AG"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "phone", "0049 (30) 123-4567"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EEXISTS);
	cr_assert_str_eq(spm_error_message(), "lead duplicates lead 1 (same phone)");
	cr_assert_eq(spm_record_set_text(r, "phone", "+49 30 7654321"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "company", "ACME"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EEXISTS);
	cr_assert_str_eq(spm_error_message(), "lead duplicates lead 1 (same company)");
	cr_assert_eq(spm_record_set_text(r, "company", "Beta"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(count_records(db, "lead"), 2);
}

Test(customer, flag_policy_keeps_the_duplicate_and_points_at_the_first)
{
	int64_t first, second;

	ADD("dedupe_policy", "target", "customer", "mode", "flag");
	first = ADD("customer", "name", "Acme 有限公司");
	second = ADD("customer", "name", "ＡＣＭＥ股份有限公司");
	cr_assert_str_eq(get("customer", second, "duplicate_of"), "1");
	cr_assert_str_eq(get("customer", first, "duplicate_of"), "(null)");
}

Test(customer, policies_are_validated)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "dedupe_policy"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "target", "lead"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "mode", "fold"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "mode", "flag"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "default_country", "+86"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "default_country", "44"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
}

Test(customer, merge_moves_follow_ups_and_contacts_and_fills_gaps)
{
	int64_t keep = ADD("customer", "name", "Acme", "region", "华东");
	int64_t drop = ADD("customer", "name", "ACME Ltd", "industry", "制造业", "region", "华北");
	int64_t k = ADD("contact", "customer_id", "2", "name", "王伟");
	int64_t a = ADD("activity", "type", "call", "at", "2026-03-01T08:00:00Z", "customer_id", "2");
	char ev[128] = "";

	cr_assert_eq(spm_listener_add(NULL, db, SPM_EVENT_MASK(SPM_EVENT_RECORD_MERGED),
				      on_converted, ev), SPM_OK);
	cr_assert_eq(spm_record_merge(db, "customer", keep, keep), SPM_EINVAL);
	cr_assert_eq(spm_record_merge(db, "contact", keep, drop), SPM_EINVAL);
	cr_assert_eq(spm_record_merge(db, "customer", keep, 99), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_merge(db, "customer", keep, drop), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(ev, "record.merged 1 {\"from\":2}");
	cr_assert_str_eq(get("customer", keep, "industry"), "制造业", "a gap is filled");
	cr_assert_str_eq(get("customer", keep, "region"), "华东", "the survivor's value stays");
	cr_assert_str_eq(get("contact", k, "customer_id"), "1");
	cr_assert_str_eq(get("activity", a, "customer_id"), "1");
	cr_assert_str_eq(get("customer", keep, "last_contact_at"), "2026-03-01T08:00:00Z");
	cr_assert_eq(count_records(db, "customer"), 1);
	cr_assert_eq(spm_record_merge(db, "customer", keep, drop), SPM_ENOTFOUND);
}
