/* Leads and customers, the rest of issue #3: ownership history, hand-over
 * of opportunities, merging (opportunities, the merge policy), conversion
 * with an opportunity, tags, and the customer-360 view. */
#include "helpers.h"

static spm_db *db;
static char path[256];
static int64_t u_admin, u_a, u_b, u_mgr, pipe1, st_first, st_second;

static void as(int64_t user)
{
	cr_assert_eq(spm_db_set_actor(db, user), SPM_OK);
}

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	as(0);
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("role", "name", "rep", "scope", "1");
	ADD("role", "name", "manager", "scope", "2");
	u_admin = ADD("user", "name", "Ada", "role_id", "1", "active", "true");
	u_a = ADD("user", "name", "An", "role_id", "2", "active", "true");
	u_b = ADD("user", "name", "Bo", "role_id", "2", "active", "true");
	u_mgr = ADD("user", "name", "Mo", "role_id", "3", "active", "true");
	ADD("team", "name", "T", "manager_id", "4");
	ADD("membership", "user_id", "2", "team_id", "1", "valid_from", "2026-01-01");
	ADD("membership", "user_id", "3", "team_id", "1", "valid_from", "2026-01-01");
	pipe1 = ADD("pipeline", "name", "Sales");
	/* positions out of id order: the first stage is the one at position 1 */
	st_second = ADD("stage", "pipeline_id", "1", "name", "Proposal", "position", "2");
	st_first = ADD("stage", "pipeline_id", "1", "name", "Qualify", "position", "1");
	cr_assert_eq(st_first, 2, "ids count per kind");
	ADD("stage", "pipeline_id", "1", "name", "Won", "position", "3", "outcome", "won");
	ADD("stage", "pipeline_id", "1", "name", "Lost", "position", "4", "outcome", "lost");
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(ownership, .init = setup, .fini = teardown);

static const char *get(const char *kind, int64_t id, const char *name)
{
	static char buf[4][512];
	static int n;
	spm_record *r;
	const char *s;
	int64_t actor = spm_db_actor(db);

	n = (n + 1) % 4;
	as(0);
	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK, "%s %lld", kind, (long long)id);
	cr_assert_eq(spm_record_get_as_text(&s, r, name), SPM_OK);
	snprintf(buf[n], sizeof(buf[n]), "%s", s ? s : "(null)");
	spm_record_free(r);
	as(actor);
	return buf[n];
}

/* The history of a record as "via:from>to[:reason];…". */
struct hist {
	char text[1024];
};

static int hist_cb(const spm_record *rec, void *payload)
{
	struct hist *h = payload;
	const char *via = NULL, *from = NULL, *to = NULL, *reason = NULL;
	size_t len = strlen(h->text);

	spm_record_get_text(&via, rec, "via");
	spm_record_get_as_text(&from, rec, "from_owner");
	snprintf(h->text + len, sizeof(h->text) - len, "%s:%s>", via, from ? from : "-");
	len = strlen(h->text);
	spm_record_get_as_text(&to, rec, "to_owner");
	snprintf(h->text + len, sizeof(h->text) - len, "%s", to ? to : "-");
	len = strlen(h->text);
	spm_record_get_text(&reason, rec, "reason");
	snprintf(h->text + len, sizeof(h->text) - len, "%s%s;", reason ? ":" : "",
		 reason ? reason : "");
	return 0;
}

static const char *history(const char *kind, int64_t id)
{
	static struct hist h;

	h.text[0] = 0;
	cr_assert_eq(spm_ownership_history(db, kind, id, hist_cb, &h), SPM_OK, "%s",
		     spm_error_message());
	return h.text;
}

static int set(const char *kind, int64_t id, const char *name, const char *value)
{
	spm_record *r;
	int rc;

	cr_assert_eq(spm_record_get(&r, db, kind, id), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, name, value), SPM_OK);
	rc = spm_record_save(db, r);
	spm_record_free(r);
	return rc;
}

Test(ownership, every_way_of_changing_an_owner_is_one_history_row)
{
	int64_t lead = ADD("lead", "company", "Acme");
	size_t moved = 0;

	as(u_a);
	cr_assert_eq(spm_lead_claim(db, lead), SPM_OK);
	cr_assert_eq(spm_lead_release(db, lead, "no budget"), SPM_OK);
	as(u_b);
	cr_assert_eq(spm_lead_claim(db, lead), SPM_OK);
	as(u_admin);
	cr_assert_eq(set("lead", lead, "owner_id", "2"), SPM_OK);
	cr_assert_eq(set("lead", lead, "source", "web"), SPM_OK, "no owner change, no row");
	cr_assert_eq(spm_org_handover(&moved, db, u_a, u_b, "An left"), SPM_OK);
	cr_assert_eq(moved, 1);
	cr_assert_str_eq(history("lead", lead),
			 "claim:->2;release:2>-:no budget;claim:->3;save:3>2;handover:2>3:An left;");
	cr_assert_str_eq(get("ownership_change", 1, "at"), "2026-03-01T09:00:00Z");
	cr_assert_str_eq(get("ownership_change", 4, "actor"), "1");
	cr_assert_str_eq(get("ownership_change", 4, "kind"), "lead");
}

Test(ownership, assignment_and_conversion_are_recorded_with_their_reason)
{
	int64_t lead = ADD("lead", "company", "Acme", "contact_name", "Li");
	int64_t customer = 0;
	size_t n = 0;

	ADD("assignment_rule", "position", "1", "name", "all", "method", "fixed", "fixed_owner", "3");
	cr_assert_eq(spm_lead_assign_pool(&n, db), SPM_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(spm_lead_convert(&customer, NULL, db, lead), SPM_OK);
	cr_assert_str_eq(history("lead", lead), "assign:->3:rule 1 fixed: user 3;");
	cr_assert_str_eq(history("customer", customer), "convert:->3;");
}

Test(ownership, rows_are_seen_with_their_record_and_cannot_be_written)
{
	int64_t mine, theirs;
	spm_record *r;
	int count = 0;

	as(u_a);
	mine = ADD("customer", "name", "Mine", "owner_id", "2");
	as(u_b);
	theirs = ADD("customer", "name", "Theirs", "owner_id", "3");
	as(u_a);
	cr_assert_str_eq(history("customer", mine), "create:->2;");
	cr_assert_eq(spm_ownership_history(db, "customer", theirs, hist_cb, &(struct hist){ "" }),
		     SPM_ENOTFOUND);
	cr_assert_eq(spm_record_get(&r, db, "ownership_change", 2), SPM_ENOTFOUND,
		     "row 2 is about Bo's customer");
	cr_assert_eq(spm_record_get(&r, db, "ownership_change", 1), SPM_OK);
	spm_record_free(r);
	count = count_records(db, "ownership_change");
	cr_assert_eq(count, 1, "a rep sees only the rows of records they see");
	as(u_mgr);
	cr_assert_eq(count_records(db, "ownership_change"), 2, "the manager sees the team's");
	as(0);
	cr_assert_eq(spm_record_new(&r, db, "ownership_change"), SPM_OK);
	spm_record_set_text(r, "kind", "customer");
	spm_record_set_int(r, "entity_id", mine);
	spm_record_set_time(r, "at", T0);
	spm_record_set_text(r, "via", "save");
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(),
			 "ownership_change rows are kept by the library and cannot be written");
	spm_record_free(r);
	cr_assert_eq(spm_record_delete(db, "ownership_change", 1), SPM_EPERM);
	cr_assert_eq(count_records(db, "ownership_change"), 2);
}

Test(ownership, history_refuses_other_kinds_and_missing_records)
{
	struct hist h = { "" };

	cr_assert_eq(spm_ownership_history(db, "contact", 1, hist_cb, &h), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "ownership history is kept for leads, customers and "
			 "opportunities, not 'contact'");
	cr_assert_eq(spm_ownership_history(db, "lead", 99, hist_cb, &h), SPM_ENOTFOUND);
	cr_assert_eq(spm_ownership_history(db, NULL, 1, hist_cb, &h), SPM_EINVAL);
	cr_assert_eq(spm_ownership_history(db, "lead", 1, NULL, &h), SPM_EINVAL);
}

static int64_t opp(const char *name, const char *customer, const char *owner, const char *status,
		   const char *amount)
{
	/* status is the outcome of the stage: 3 won, 4 lost, 2 the first */
	const char *stage = strcmp(status, "won") == 0 ? "3" : strcmp(status, "lost") == 0 ? "4"
											: "2";

	return ADD("opportunity", "name", name, "customer_id", customer, "owner_id", owner,
		   "pipeline_id", "1", "stage_id", stage,
		   "status", status, "amount", amount);
}

Test(ownership, handover_moves_open_opportunities_only)
{
	int64_t c = ADD("customer", "name", "Acme", "owner_id", "2");
	int64_t open = opp("Deal", "1", "2", "open", "100.00 CNY");
	int64_t won = opp("Old", "1", "2", "won", "50.00 CNY");
	size_t moved = 0;

	as(u_admin);
	cr_assert_eq(spm_org_handover(&moved, db, u_a, u_b, "An left"), SPM_OK);
	cr_assert_eq(moved, 2, "the customer and the open opportunity");
	cr_assert_str_eq(get("customer", c, "owner_id"), "3");
	cr_assert_str_eq(get("opportunity", open, "owner_id"), "3");
	cr_assert_str_eq(get("opportunity", won, "owner_id"), "2");
	cr_assert_str_eq(history("opportunity", open), "create:->2;handover:2>3:An left;");
	cr_assert_eq(spm_org_handover(&moved, db, u_b, 0, "to the pool"), SPM_OK);
	cr_assert_eq(moved, 2);
	cr_assert_str_eq(get("opportunity", open, "owner_id"), "(null)");
}

Test(ownership, merging_customers_moves_opportunities_and_history)
{
	int64_t keep = ADD("customer", "name", "Acme", "owner_id", "2");
	int64_t drop = ADD("customer", "name", "ACME Ltd", "owner_id", "3", "industry", "IT");
	int64_t o = opp("Deal", "2", "3", "open", "10.00 CNY");
	int64_t lead = ADD("lead", "company", "X");
	int64_t lead2 = ADD("lead", "company", "Y");
	int64_t o2 = ADD("opportunity", "name", "From lead", "lead_id", "2", "pipeline_id", "1");
	spm_record *r;

	cr_assert_eq(spm_record_merge(db, "customer", keep, drop), SPM_OK);
	cr_assert_str_eq(get("opportunity", o, "customer_id"), "1");
	cr_assert_str_eq(get("customer", keep, "industry"), "IT");
	cr_assert_str_eq(get("customer", keep, "owner_id"), "2", "the survivor keeps its owner");
	cr_assert_str_eq(history("customer", keep), "create:->2;create:->3;");
	cr_assert_eq(spm_record_get(&r, db, "customer", drop), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_merge(db, "lead", lead, lead2), SPM_OK);
	cr_assert_str_eq(get("opportunity", o2, "lead_id"), "1");
}

Test(ownership, merge_policy_folds_a_new_duplicate_into_the_stored_one)
{
	int64_t first = ADD("customer", "name", "深圳市腾讯计算机系统有限公司", "owner_id", "2");
	spm_record *r;
	int64_t v;
	const char *s;
	int events_before;

	ADD("dedupe_policy", "target", "customer", "mode", "merge");
	events_before = count_events(db);
	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	spm_record_set_text(r, "name", "深圳市腾讯计算机系统 有限公司");
	spm_record_set_text(r, "industry", "Internet");
	spm_record_set_int(r, "owner_id", u_b);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_id(r), first, "the handle now holds the survivor");
	cr_assert_eq(spm_record_get_text(&s, r, "name"), SPM_OK);
	cr_assert_str_eq(s, "深圳市腾讯计算机系统有限公司", "the survivor keeps its own values");
	cr_assert_eq(spm_record_get_int(&v, r, "owner_id"), SPM_OK);
	cr_assert_eq(v, u_a);
	cr_assert_eq(spm_record_get_text(&s, r, "industry"), SPM_OK);
	cr_assert_str_eq(s, "Internet", "and takes the new value where it had none");
	spm_record_free(r);
	cr_assert_eq(count_records(db, "customer"), 1);
	cr_assert_eq(count_events(db) - events_before, 2, "record.updated and record.merged");
	cr_assert_str_eq(get("customer", first, "industry"), "Internet");
}

Test(ownership, dedupe_policy_mode_must_be_known)
{
	spm_record *r;

	cr_assert_eq(spm_record_new(&r, db, "dedupe_policy"), SPM_OK);
	spm_record_set_text(r, "target", "lead");
	spm_record_set_text(r, "mode", "fold");
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "dedupe_policy.mode must be reject, flag or merge");
	spm_record_free(r);
}

Test(ownership, convert_makes_customer_contact_and_opportunity_in_the_first_stage)
{
	int64_t lead = ADD("lead", "company", "Acme", "contact_name", "Li", "source", "expo",
			   "owner_id", "2");
	spm_lead_convert_options o;
	int64_t c = 0, k = 0, op = 0;

	cr_assert_eq(spm_lead_convert_options_init(&o, SPM_LEAD_CONVERT_OPTIONS_VERSION), SPM_OK);
	o.pipeline_id = pipe1;
	o.amount_minor = 123456;
	o.amount_currency = "CNY";
	cr_assert_eq(spm_lead_convert2(&c, &k, &op, db, lead, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(c, 1);
	cr_assert_eq(k, 1);
	cr_assert_eq(op, 1);
	cr_assert_str_eq(get("opportunity", op, "name"), "Acme");
	cr_assert_str_eq(get("opportunity", op, "stage_id"), "2");
	cr_assert_str_eq(get("opportunity", op, "status"), "open");
	cr_assert_str_eq(get("opportunity", op, "amount"), "1234.56 CNY");
	cr_assert_str_eq(get("opportunity", op, "lead_id"), "1");
	cr_assert_str_eq(get("opportunity", op, "customer_id"), "1");
	cr_assert_str_eq(get("opportunity", op, "owner_id"), "2");
	cr_assert_str_eq(get("opportunity", op, "source"), "expo");
	cr_assert_str_eq(get("opportunity", op, "opened_at"), "2026-03-01T09:00:00Z");
	cr_assert_str_eq(get("lead", lead, "status"), "converted");
	cr_assert_str_eq(history("opportunity", op), "convert:->2;");
}

Test(ownership, convert_with_a_named_stage_and_bad_options_changes_nothing)
{
	int64_t lead = ADD("lead", "company", "Acme");
	int64_t other = ADD("pipeline", "name", "Other");
	spm_lead_convert_options o = SPM_LEAD_CONVERT_OPTIONS_INIT;
	int64_t c = -1, op = -1;

	o.pipeline_id = 99;
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "pipeline 99 does not exist");
	o.pipeline_id = other;
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "pipeline 2 has no stages");
	o.stage_id = st_first;
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage 2 is not a stage of pipeline 2");
	/* a converted lead's deal is open: a closed stage, asked or first, is refused */
	o.pipeline_id = pipe1;
	o.stage_id = 3;
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage 3 is a won stage: a converted lead's "
			 "opportunity starts in an open stage");
	o.pipeline_id = other;
	o.stage_id = ADD("stage", "pipeline_id", "2", "name", "Gone", "position", "1",
			 "outcome", "lost");
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage 5 is a lost stage: a converted lead's "
			 "opportunity starts in an open stage");
	o.stage_id = 0;
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage 5 is a lost stage: a converted lead's "
			 "opportunity starts in an open stage");
	o.stage_id = st_first;
	o.pipeline_id = pipe1;
	o.amount_currency = "XXY";
	o.amount_minor = 5;
	cr_assert_neq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_OK);
	o.version = 7;
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_EVERSION);
	cr_assert_eq(spm_lead_convert_options_init(&o, 2), SPM_EVERSION);
	cr_assert_eq(c, -1);
	cr_assert_eq(op, -1);
	cr_assert_eq(count_records(db, "customer"), 0);
	cr_assert_eq(count_records(db, "opportunity"), 0);
	cr_assert_str_eq(get("lead", lead, "status"), "new");
	spm_lead_convert_options_init(&o, 1);
	o.pipeline_id = pipe1;
	o.stage_id = st_second;
	o.opportunity_name = "Big deal";
	cr_assert_eq(spm_lead_convert2(&c, NULL, &op, db, lead, &o), SPM_OK);
	cr_assert_str_eq(get("opportunity", op, "stage_id"), "1");
	cr_assert_str_eq(get("opportunity", op, "name"), "Big deal");
	cr_assert_str_eq(get("opportunity", op, "amount"), "(null)");
}

static int name_cb(const spm_record *rec, void *payload)
{
	const char *name = "";

	spm_record_get_text(&name, rec, "name");
	strcat(payload, name);
	strcat(payload, ";");
	return 0;
}

Test(ownership, tags_are_normalized_and_queryable)
{
	int64_t a = ADD("customer", "name", "A", "tags", " vip , 华东,,vip ,key account");
	char names[256] = "";

	ADD("customer", "name", "B", "tags", "华东");
	ADD("customer", "name", "C", "tags", "vipx");
	ADD("customer", "name", "D");
	cr_assert_str_eq(get("customer", a, "tags"), "vip,华东,key account");
	cr_assert_eq(spm_customer_foreach_tagged(db, " vip ", name_cb, names), SPM_OK);
	cr_assert_str_eq(names, "A;");
	names[0] = 0;
	cr_assert_eq(spm_customer_foreach_tagged(db, "华东", name_cb, names), SPM_OK);
	cr_assert_str_eq(names, "A;B;");
	cr_assert_eq(set("customer", a, "tags", " , "), SPM_OK);
	cr_assert_str_eq(get("customer", a, "tags"), "(null)");
	cr_assert_eq(spm_customer_foreach_tagged(db, "a,b", name_cb, names), SPM_EINVAL);
	cr_assert_eq(spm_customer_foreach_tagged(db, "  ", name_cb, names), SPM_EINVAL);
	cr_assert_eq(spm_customer_foreach_tagged(db, "\xff", name_cb, names), SPM_EINVAL);
	cr_assert_eq(set("customer", a, "tags", "x,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		     SPM_EINVAL, "51 bytes");
	cr_assert_str_eq(get("customer", a, "tags"), "(null)");
}

Test(ownership, customer_360_has_everything_with_exact_totals)
{
	int64_t c = ADD("customer", "name", "Acme", "owner_id", "2", "tags", "vip");
	spm_customer_view *v = NULL;
	size_t open = 9, won = 9, lost = 9;

	ADD("contact", "customer_id", "1", "name", "Li");
	ADD("activity", "type", "visit", "at", "1772442000", "customer_id", "1", "owner_id", "2");
	ADD("activity", "type", "call", "at", "1772355600", "customer_id", "1", "owner_id", "2");
	ADD("activity", "type", "note", "at", "1772500000", "customer_id", "1", "owner_id", "2");
	opp("A", "1", "2", "open", "100.10 CNY");
	opp("B", "1", "2", "open", "0.20 CNY");
	opp("C", "1", "2", "open", "5.00 USD");
	opp("D", "1", "2", "won", "1000.00 CNY");
	opp("E", "1", "2", "lost", "7.00 CNY");
	ADD("customer", "name", "Other");
	opp("F", "2", "2", "open", "1.00 CNY");
	as(u_a);
	cr_assert_eq(spm_customer_360(&v, db, c), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_customer_view_opportunities(&open, &won, &lost, v), SPM_OK);
	cr_assert_eq(open, 3);
	cr_assert_eq(won, 1);
	cr_assert_eq(lost, 1);
	cr_assert(strstr(spm_customer_view_json(v),
			 "\"opportunity_totals\":{\"open\":3,\"won\":1,\"lost\":1,"
			 "\"open_amount\":{\"CNY\":10030,\"USD\":500},"
			 "\"won_amount\":{\"CNY\":100000}}"), "%s", spm_customer_view_json(v));
	cr_assert(strstr(spm_customer_view_json(v), "\"tags\":[\"vip\"]"));
	cr_assert(strstr(spm_customer_view_json(v), "\"contacts\":[{\"kind\":\"contact\",\"id\":1,"), "%s", spm_customer_view_json(v));
	cr_assert(strstr(spm_customer_view_json(v), "\"activities\":[{\"kind\":\"activity\",\"id\":3,"));
	cr_assert(strstr(spm_customer_view_json(v), "\"type\":\"visit\"") <
		  strstr(spm_customer_view_json(v), "\"type\":\"call\""), "newest first");
	cr_assert(strstr(spm_customer_view_json(v),
			 "\"ownership_history\":[{\"kind\":\"ownership_change\",\"id\":1,"));
	cr_assert(strstr(spm_customer_view_json(v), "\"contracts\":[],\"contract_totals\":{}"),
		  "no contracts (test_collections sums them)");
	spm_customer_view_free(v);
	as(u_b);
	v = (spm_customer_view *)1;
	cr_assert_eq(spm_customer_360(&v, db, c), SPM_ENOTFOUND, "out of Bo's scope");
	cr_assert_null(v);
	cr_assert_eq(spm_customer_360(&v, db, 99), SPM_ENOTFOUND);
	cr_assert_eq(spm_customer_360(NULL, db, c), SPM_EINVAL);
	cr_assert_eq(spm_customer_view_opportunities(&open, NULL, NULL, NULL), SPM_EINVAL);
	cr_assert_null(spm_customer_view_json(NULL));
	spm_customer_view_free(NULL);
}

/* The documented tie-break, written out again: splitmix64. */
static uint64_t mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static int64_t expected_winner(uint64_t seed, int64_t lead, const int64_t *users, size_t n)
{
	int64_t best = users[0];

	for (size_t i = 1; i < n; i++)
		if (mix(seed ^ mix((uint64_t)lead ^ mix((uint64_t)users[i]))) <
		    mix(seed ^ mix((uint64_t)lead ^ mix((uint64_t)best))))
			best = users[i];
	return best;
}

/* Each run assigns one lead among three reps with no open leads (a tie),
 * then the lead is disqualified so the next run ties again. */
static void tie_runs(const spm_lead_assign_options *o, int runs, int64_t *wins)
{
	static const int64_t users[] = { 2, 3, 4 };

	for (int i = 0; i < runs; i++) {
		int64_t lead = ADD("lead", "company", "Tie");
		size_t n = 0;
		int64_t owner;

		cr_assert_eq(spm_lead_assign_pool2(&n, db, o), SPM_OK, "%s", spm_error_message());
		cr_assert_eq(n, 1);
		owner = atoll(get("lead", lead, "owner_id"));
		if (o)
			cr_assert_eq(owner, expected_winner(o->seed, lead, users, 3), "lead %lld",
				     (long long)lead);
		wins[owner]++;
		cr_assert_eq(set("lead", lead, "disqualify_reason", "test"), SPM_OK);
		cr_assert_eq(set("lead", lead, "status", "disqualified"), SPM_OK);
	}
}

Test(ownership, least_busy_ties_are_fair_over_many_runs_with_a_seed)
{
	spm_lead_assign_options o;
	int64_t wins[8] = { 0 }, plain[8] = { 0 };
	int64_t lead;

	ADD("assignment_rule", "position", "1", "name", "fair", "method", "least_busy",
	    "users", "2,3,4");
	cr_assert_eq(spm_lead_assign_options_init(&o, SPM_LEAD_ASSIGN_OPTIONS_VERSION), SPM_OK);
	cr_assert_eq(o.seed, 0);
	o.seed = 20260301;
	tie_runs(&o, 150, wins);
	cr_assert_eq(wins[2] + wins[3] + wins[4], 150);
	for (int u = 2; u <= 4; u++)
		cr_assert(wins[u] >= 35 && wins[u] <= 65, "user %d won %lld of 150 ties", u,
			  (long long)wins[u]);
	lead = 150;
	cr_assert(strstr(get("lead", lead, "assignment_reason"), "(tie broken by seed)"),
		  "%s", get("lead", lead, "assignment_reason"));
	tie_runs(NULL, 20, plain);
	cr_assert_eq(plain[2], 20, "without a seed ties go in list order");
}

Test(ownership, assign_options_of_unknown_version_are_refused)
{
	spm_lead_assign_options o = SPM_LEAD_ASSIGN_OPTIONS_INIT;
	size_t n = 7;

	ADD("lead", "company", "X");
	ADD("assignment_rule", "position", "1", "name", "all", "method", "fixed", "fixed_owner", "2");
	o.version = 2;
	cr_assert_eq(spm_lead_assign_pool2(&n, db, &o), SPM_EVERSION);
	cr_assert_eq(n, 7);
	cr_assert_eq(spm_lead_assign_options_init(&o, 0), SPM_EVERSION);
	cr_assert_eq(spm_lead_assign_options_init(NULL, 1), SPM_EINVAL);
	cr_assert_str_eq(get("lead", 1, "owner_id"), "(null)");
}
