/* Pipelines, opportunities, stage gates and stage history: JSON load and
 * export with paths in errors, the gate table, transition rules, overrides,
 * history durations, line items exact to the minor unit, visibility. */
#include "helpers.h"

static spm_db *db;
static char path[256];
static int64_t u_admin, u_a, u_b, u_mgr;
static int64_t pipe_id;

/* Stage ids of the pipeline loaded in setup (ids start at 1 per kind). */
enum { QUALIFY = 1, PROPOSE = 2, NEGOTIATE = 3, WON = 4, LOST = 5 };

static const char doc[] =
	"{\"name\": \"New business\", \"allow_skip\": false, \"allow_back\": true,\n"
	" \"stages\": [\n"
	"  {\"name\": \"Qualify\", \"probability\": 10, \"forecast_category\": \"pipeline\",\n"
	"   \"actions\": [\"Call the buyer\"],\n"
	"   \"playbook\": {\"talk_tracks\": [\"Ask about the budget\"],\n"
	"                \"objections\": [{\"objection\": \"Too expensive\", \"response\": \"Show the ROI\"}]},\n"
	"   \"required_fields\": [\"expected_close\"],\n"
	"   \"exit_criteria\": [{\"name\": \"budget\", \"rule\": \"amount >= 1000.00 CNY\"},\n"
	"                     {\"name\": \"visited\", \"rule\": \"count(activities where type = 'visit') >= 1\"}]},\n"
	"  {\"name\": \"Propose\", \"probability\": 40, \"forecast_category\": \"best_case\",\n"
	"   \"exit_criteria\": [{\"name\": \"items\", \"rule\": \"count(line_items) >= 1\"}]},\n"
	"  {\"name\": \"Negotiate\", \"probability\": 70, \"forecast_category\": \"commit\"},\n"
	"  {\"name\": \"Won\", \"probability\": 100, \"forecast_category\": \"closed\", \"outcome\": \"won\"},\n"
	"  {\"name\": \"Lost\", \"probability\": 0, \"forecast_category\": \"omitted\", \"outcome\": \"lost\"}\n"
	" ]}";

static void as(int64_t user)
{
	cr_assert_eq(spm_db_set_actor(db, user), SPM_OK);
}

static void setup(void)
{
	test_clock_now = T0;
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	as(0);
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("role", "name", "rep", "scope", "1");
	ADD("role", "name", "manager", "scope", "2", "actions", "override_gate");
	u_admin = ADD("user", "name", "Ada", "role_id", "1", "active", "true");
	u_a = ADD("user", "name", "An", "role_id", "2", "active", "true");
	u_b = ADD("user", "name", "Bo", "role_id", "2", "active", "true");
	u_mgr = ADD("user", "name", "Mo", "role_id", "3", "active", "true");
	ADD("team", "name", "T", "manager_id", "4");
	ADD("membership", "user_id", "2", "team_id", "1", "valid_from", "2026-01-01");
	ADD("customer", "name", "Acme", "owner_id", "2");
	as(u_admin);
	cr_assert_eq(spm_pipeline_load(&pipe_id, db, doc), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(pipe_id, 1);
}

static void teardown(void)
{
	test_clock_now = T0;
	spm_db_close(db);
	db = NULL;
}

TestSuite(pipeline, .init = setup, .fini = teardown);

/* A field of a record as text, read as the system; "(null)" for none. */
static const char *field(const char *kind, int64_t id, const char *name)
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

static const char *deal(int64_t id, const char *name)
{
	return field("opportunity", id, name);
}

/* A deal of rep An in the first stage. */
static int64_t new_deal(const char *name)
{
	int64_t actor = spm_db_actor(db), id;

	as(u_a);
	id = ADD("opportunity", "name", name, "pipeline_id", "1", "customer_id", "1");
	as(actor);
	return id;
}

static void set_text(int64_t id, const char *name, const char *value)
{
	spm_record *r;

	cr_assert_eq(spm_record_get(&r, db, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, name, value), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
}

/* Makes deal id pass Qualify's gate. */
static void qualify(int64_t id)
{
	int64_t actor = spm_db_actor(db);
	char opp[24];

	snprintf(opp, sizeof(opp), "%lld", (long long)id);
	as(u_a);
	set_text(id, "expected_close", "2026-06-30");
	set_text(id, "amount", "1000.00 CNY");
	ADD("activity", "type", "visit", "at", "2026-03-01T08:00:00Z", "customer_id", "1",
	    "opportunity_id", opp);
	as(actor);
}

static int move(int64_t id, int64_t stage, const char *reason)
{
	return spm_opportunity_move(NULL, db, id, stage, reason);
}

/* ---- loading and exporting ---- */

Test(pipeline, load_creates_the_pipeline_and_ordered_stages)
{
	cr_assert_str_eq(field("pipeline", 1, "name"), "New business");
	cr_assert_str_eq(field("pipeline", 1, "allow_skip"), "false");
	cr_assert_str_eq(field("pipeline", 1, "allow_back"), "true");
	cr_assert_str_eq(field("pipeline", 1, "active"), "true");
	cr_assert_eq(count_records(db, "stage"), 5);
	cr_assert_str_eq(field("stage", QUALIFY, "position"), "1");
	cr_assert_str_eq(field("stage", LOST, "position"), "5");
	cr_assert_str_eq(field("stage", PROPOSE, "probability"), "40");
	cr_assert_str_eq(field("stage", NEGOTIATE, "forecast_category"), "commit");
	cr_assert_str_eq(field("stage", WON, "outcome"), "won");
	cr_assert_str_eq(field("stage", QUALIFY, "outcome"), "(null)");
	cr_assert_str_eq(field("stage", QUALIFY, "required_fields"), "expected_close");
	cr_assert_str_eq(field("stage", QUALIFY, "actions"), "[\"Call the buyer\"]");
	cr_assert_str_eq(field("stage", QUALIFY, "playbook"),
			 "{\"talk_tracks\":[\"Ask about the budget\"],\"objections\":"
			 "[{\"objection\":\"Too expensive\",\"response\":\"Show the ROI\"}]}");
	cr_assert_str_eq(field("stage", QUALIFY, "exit_criteria"),
			 "[{\"name\":\"budget\",\"rule\":\"amount >= 1000.00 CNY\"},{\"name\":"
			 "\"visited\",\"rule\":\"count(activities where type = 'visit') >= 1\"}]");
}

static int collect(const char *data, size_t len, void *payload)
{
	char *buf = payload;
	size_t used = strlen(buf);

	cr_assert_lt(used + len, 8192);
	memcpy(buf + used, data, len);
	buf[used + len] = '\0';
	return 0;
}

Test(pipeline, export_gives_a_document_that_loads_the_same)
{
	static char first[8192], second[8192];
	spm_db *other;
	char other_path[256];
	int64_t id = 0;

	first[0] = second[0] = '\0';
	cr_assert_eq(spm_pipeline_export(db, 1, collect, first), SPM_OK);
	cr_assert(strstr(first, "\"name\": \"New business\",\n  \"allow_skip\": false,\n"
			 "  \"allow_back\": true,\n  \"active\": true,\n  \"stages\": [\n") != NULL,
		  "%s", first);
	cr_assert(strstr(first, "\"required_fields\": [\n        \"expected_close\"\n      ]") != NULL);
	temp_db_path(other_path, sizeof(other_path));
	other = open_db(other_path);
	cr_assert_eq(spm_pipeline_load(&id, other, first), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_pipeline_export(other, id, collect, second), SPM_OK);
	cr_assert_str_eq(first, second);
	cr_assert_eq(spm_pipeline_export(other, 99, collect, second), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "pipeline 99 does not exist");
	spm_db_close(other);
	cr_assert_eq(spm_pipeline_export(db, 1, NULL, NULL), SPM_EINVAL);
}

static const struct {
	char json[600];
	int rc;
	char message[200];
} bad_docs[] = {
	{ "{\"name\": \"X\", \"stages\": [", SPM_EINVAL,
	  "invalid JSON at 1:25: ']' expected near end of file" },
	{ "[1]", SPM_EINVAL, "(document): must be an object" },
	{ "{\"stages\": [{\"name\": \"A\"}]}", SPM_EINVAL, "name: must be a non-empty text" },
	{ "{\"name\": \"X\", \"stages\": []}", SPM_EINVAL, "stages: must be a non-empty array" },
	{ "{\"name\": \"X\", \"colour\": 1, \"stages\": [{\"name\": \"A\"}]}", SPM_EINVAL,
	  "colour: unknown key" },
	{ "{\"name\": \"X\", \"allow_skip\": 1, \"stages\": [{\"name\": \"A\"}]}", SPM_EINVAL,
	  "allow_skip: must be true or false" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\"}, {\"name\": \"A\"}]}", SPM_EINVAL,
	  "stages[1].name: 'A' is used twice" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"probability\": 101}]}", SPM_EINVAL,
	  "stages[0].probability: must be an integer 0..100" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"forecast_category\": \"maybe\"}]}",
	  SPM_EINVAL, "stages[0].forecast_category: must be pipeline, best_case, commit, "
	  "closed or omitted, not 'maybe'" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"outcome\": \"done\"}]}", SPM_EINVAL,
	  "stages[0].outcome: must be open, won or lost, not 'done'" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\"}, {\"name\": \"B\"}, {\"name\": \"C\", "
	  "\"exit_criteria\": [{\"name\": \"b\", \"rule\": \"amount >= 1.00 CNY and budgte = 1\"}]}]}",
	  SPM_EINVAL, "stages[2].exit_criteria[0].rule: 1:24: unknown field 'budgte'" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"exit_criteria\": "
	  "[{\"name\": \"b\", \"rule\": \"amount = 'x'\"}]}]}", SPM_EINVAL,
	  "stages[0].exit_criteria[0].rule: 1:8: cannot compare money with text" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"exit_criteria\": "
	  "[{\"name\": \"b\", \"rule\": \"close_slips + 1\"}]}]}", SPM_EINVAL,
	  "stages[0].exit_criteria[0].rule: must be a condition (true or false)" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"exit_criteria\": "
	  "[{\"name\": \"b\"}]}]}", SPM_EINVAL,
	  "stages[0].exit_criteria[0]: must be {\"name\": text, \"rule\": text}" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"exit_criteria\": "
	  "[{\"name\": \"b\", \"rule\": \"true\"}, {\"name\": \"b\", \"rule\": \"true\"}]}]}",
	  SPM_EINVAL, "stages[0].exit_criteria[1].name: 'b' is used twice" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"required_fields\": [\"budget\"]}]}",
	  SPM_EINVAL, "stages[0].required_fields[0]: unknown field 'opportunity.budget'" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"actions\": [\"\"]}]}", SPM_EINVAL,
	  "stages[0].actions[0]: must be a non-empty text" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"playbook\": {\"tips\": []}}]}",
	  SPM_EINVAL, "stages[0].playbook.tips: unknown key (talk_tracks, objections)" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"A\", \"playbook\": {\"objections\": "
	  "[{\"objection\": \"x\"}]}}]}", SPM_EINVAL,
	  "stages[0].playbook.objections[0]: must be {\"objection\": text, \"response\": text}" },
	{ "{\"name\": \"X\", \"stages\": [{\"name\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}]}", SPM_EINVAL,
	  "stages[0].name: stage.name: 101 bytes, longer than 100" },
	{ "{\"name\": \"New business\", \"stages\": [{\"name\": \"A\"}]}", SPM_EEXISTS,
	  "name: pipeline 'New business' exists already (id 1)" },
};

Test(pipeline, bad_documents_give_the_path_and_change_nothing)
{
	int events = count_events(db), audit = count_audit(db);

	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		int64_t id = 7;
		cr_assert_eq(spm_pipeline_load(&id, db, bad_docs[i].json), bad_docs[i].rc,
			     "doc %zu: %s", i, spm_error_message());
		cr_assert_str_eq(spm_error_message(), bad_docs[i].message, "doc %zu: %s", i, spm_error_message());
		cr_assert_eq(id, 0);
	}
	cr_assert_eq(count_records(db, "pipeline"), 1);
	cr_assert_eq(count_records(db, "stage"), 5);
	cr_assert_eq(count_events(db), events);
	cr_assert_eq(count_audit(db), audit);
	cr_assert_eq(spm_pipeline_load(NULL, db, NULL), SPM_EINVAL);
}

Test(pipeline, loading_needs_the_schema_action)
{
	as(u_a);
	cr_assert_eq(spm_pipeline_load(NULL, db, "{\"name\": \"Mine\", \"stages\": [{\"name\": \"A\"}]}"),
		     SPM_EPERM);
	cr_assert_eq(count_records(db, "pipeline"), 1);
}

Test(pipeline, stage_writes_are_checked_too)
{
	spm_record *r;

	as(u_admin);
	cr_assert_eq(spm_record_get(&r, db, "stage", PROPOSE), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "probability", 101), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage.probability: must be 0..100, not 101");
	cr_assert_eq(spm_record_set_int(r, "probability", 50), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "exit_criteria", "[{\"name\": \"x\", \"rule\": \"nope > 1\"}]"),
		     SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage.exit_criteria[0].rule: 1:1: unknown field 'nope'");
	cr_assert_eq(spm_record_set_text(r, "exit_criteria", "[{"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "exit_criteria", "[]"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "required_fields", "amount,,name"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage.required_fields: '' is not a field name");
	spm_record_free(r);
	cr_assert_str_eq(field("stage", PROPOSE, "probability"), "40");
	new_deal("Big");
	as(u_admin);
	cr_assert_eq(spm_record_delete(db, "stage", QUALIFY), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage 1 has opportunities; move them first");
	cr_assert_eq(spm_record_delete(db, "pipeline", 1), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "pipeline 1 has stages; delete them first");
}

static void set_pipeline(const char *flag, int on)
{
	spm_record *r;
	int64_t actor = spm_db_actor(db);

	as(0);
	cr_assert_eq(spm_record_get(&r, db, "pipeline", 1), SPM_OK);
	cr_assert_eq(spm_record_set_bool(r, flag, on), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	as(actor);
}

/* ---- opportunities as records ---- */

Test(pipeline, a_new_deal_starts_open_in_the_first_stage)
{
	int64_t id = new_deal("Big");

	cr_assert_str_eq(deal(id, "stage_id"), "1");
	cr_assert_str_eq(deal(id, "status"), "open");
	cr_assert_str_eq(deal(id, "owner_id"), "2");
	cr_assert_str_eq(deal(id, "opened_at"), "2026-03-01T09:00:00Z");
	cr_assert_str_eq(deal(id, "stage_entered_at"), "2026-03-01T09:00:00Z");
	cr_assert_str_eq(deal(id, "closed_at"), "(null)");
	cr_assert_str_eq(deal(id, "close_slips"), "0");
}

Test(pipeline, users_cannot_change_stage_or_status_by_saving)
{
	int64_t id = new_deal("Big");
	spm_record *r;

	as(u_a);
	cr_assert_eq(spm_record_get(&r, db, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", PROPOSE), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "opportunity.stage_id: use spm_opportunity_move() to change the stage");
	spm_record_free(r);
	cr_assert_eq(spm_record_get(&r, db, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "status", "won"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "opportunity.status: follows the stage; use spm_opportunity_move() to "
			 "change the stage");
	spm_record_free(r);
	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Skipper"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "pipeline_id", 1), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", NEGOTIATE), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "opportunity.stage_id: a new deal starts in the "
			 "first stage (1); use spm_opportunity_move() to change the stage");
	spm_record_free(r);
	cr_assert_str_eq(deal(id, "stage_id"), "1");
	cr_assert_eq(count_records(db, "opportunity"), 1);
	set_pipeline("active", 0);
	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Late"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "pipeline_id", 1), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "opportunity.pipeline_id: pipeline 'New business' is not active");
	spm_record_free(r);
	set_text(id, "name", "Bigger");  /* existing deals go on */
}

Test(pipeline, the_system_writes_any_valid_stage_and_status_follows)
{
	int64_t won, open;
	spm_record *r;

	as(0);
	won = ADD("opportunity", "name", "Old win", "pipeline_id", "1", "stage_id", "4",
		  "owner_id", "2", "opened_at", "2025-01-01T00:00:00Z",
		  "closed_at", "2025-02-01T00:00:00Z", "amount", "5.00 CNY");
	cr_assert_str_eq(deal(won, "status"), "won");
	cr_assert_str_eq(deal(won, "closed_at"), "2025-02-01T00:00:00Z");
	cr_assert_str_eq(deal(won, "opened_at"), "2025-01-01T00:00:00Z");
	open = ADD("opportunity", "name", "Mid", "pipeline_id", "1", "stage_id", "3",
		   "status", "open", "closed_at", "2025-02-01T00:00:00Z");
	cr_assert_str_eq(deal(open, "closed_at"), "(null)", "an open deal is not closed");
	cr_assert_eq(spm_record_new(&r, db, "opportunity"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Wrong"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "pipeline_id", 1), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", 4), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "status", "lost"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "opportunity.status: must be 'won', the outcome of stage 4, not 'lost'");
	cr_assert_eq(spm_record_set_text(r, "status", "won"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", 77), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "opportunity.stage_id: stage 77 does not exist");
	cr_assert_eq(spm_record_set_int(r, "pipeline_id", 9), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "opportunity.pipeline_id: pipeline 9 does not exist");
	spm_record_free(r);
	test_clock_now = T0 + 60;
	cr_assert_eq(spm_record_get(&r, db, "opportunity", open), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", LOST), SPM_OK);  /* status follows */
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	cr_assert_str_eq(deal(open, "status"), "lost");
	cr_assert_str_eq(deal(open, "closed_at"), "2026-03-01T09:01:00Z");
	cr_assert_eq(spm_record_get(&r, db, "opportunity", won), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", QUALIFY), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	cr_assert_str_eq(deal(won, "status"), "open");
	cr_assert_str_eq(deal(won, "closed_at"), "(null)");
	ADD("stage_history", "opportunity_id", "1", "to_stage_id", "4", "at",
	    "2025-02-01T00:00:00Z", "seconds_in_from", "86400");
	cr_assert_eq(count_records(db, "stage_history"), 1);
}

Test(pipeline, only_the_system_writes_stage_history)
{
	int64_t id = new_deal("Big");
	spm_record *r;

	as(u_mgr);  /* sees the deal, but is no importer */
	cr_assert_eq(spm_record_new(&r, db, "stage_history"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "opportunity_id", id), SPM_OK);
	cr_assert_eq(spm_record_set_time(r, "at", T0), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "stage_history is written by "
			 "spm_opportunity_move(); only the system or an importer may write it");
	as(u_admin);  /* "*" includes the import action */
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
}

Test(pipeline, close_date_slips_are_counted_and_audited)
{
	int64_t id = new_deal("Big");
	int n = 0;

	as(u_a);
	set_text(id, "expected_close", "2026-04-30");
	set_text(id, "expected_close", "2026-05-31");  /* later: a slip */
	set_text(id, "expected_close", "2026-05-15");  /* earlier: none */
	set_text(id, "expected_close", "2026-06-30");  /* later: a slip */
	cr_assert_str_eq(deal(id, "close_slips"), "2");
	as(0);
	cr_assert_eq(spm_audit_foreach(db, "opportunity", id, count_audit_cb, &n), SPM_OK);
	/* created: name, customer_id, owner_id, pipeline_id, stage_id, status,
	 * opened_at; then four changes of expected_close */
	cr_assert_eq(n, 11);
}

/* ---- line items ---- */

static int64_t item(int64_t opp, const char *qty, const char *price, const char *disc)
{
	char o[24];

	snprintf(o, sizeof(o), "%lld", (long long)opp);
	if (disc)
		return ADD("line_item", "opportunity_id", o, "product", "P", "quantity", qty,
			   "unit_price", price, "discount_bp", disc);
	return ADD("line_item", "opportunity_id", o, "product", "P", "quantity", qty,
		   "unit_price", price);
}

Test(pipeline, line_items_are_exact_and_the_deal_amount_is_their_sum)
{
	int64_t id = new_deal("Big"), a, b, c;
	spm_record *r;

	as(u_a);
	a = item(id, "3", "19.99 CNY", "1250");   /* 59.97 × 0.875 = 52.47375 → 52.47 */
	cr_assert_str_eq(field("line_item", a, "amount"), "52.47 CNY");
	cr_assert_str_eq(deal(id, "amount"), "52.47 CNY");
	b = item(id, "1", "0.05 CNY", "5000");    /* 2.5 fen → 2 (half-even) */
	cr_assert_str_eq(field("line_item", b, "amount"), "0.02 CNY");
	c = item(id, "1", "0.15 CNY", "5000");    /* 7.5 fen → 8 (half-even) */
	cr_assert_str_eq(field("line_item", c, "amount"), "0.08 CNY");
	cr_assert_str_eq(deal(id, "amount"), "52.57 CNY");
	item(id, "2", "100.00 CNY", NULL);
	cr_assert_str_eq(deal(id, "amount"), "252.57 CNY");
	cr_assert_eq(spm_record_delete(db, "line_item", a), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "amount"), "200.10 CNY");
	cr_assert_eq(spm_record_get(&r, db, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "amount", "999.00 CNY"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(),
			 "opportunity.amount: is the sum of its 3 line items; change them instead");
	spm_record_free(r);
	cr_assert_eq(spm_record_get(&r, db, "line_item", b), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "quantity", 4), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	cr_assert_str_eq(field("line_item", b, "amount"), "0.10 CNY");
	cr_assert_str_eq(deal(id, "amount"), "200.18 CNY");
}

Test(pipeline, bad_line_items_are_refused_and_change_nothing)
{
	int64_t id = new_deal("Big");
	static const struct {
		char qty[24], price[32], disc[8];
		int rc;
		char message[120];
	} cases[] = {
		{ "0", "1.00 CNY", "0", SPM_EINVAL, "line_item.quantity: must be at least 1, not 0" },
		{ "-2", "1.00 CNY", "0", SPM_EINVAL, "line_item.quantity: must be at least 1, not -2" },
		{ "1", "-1.00 CNY", "0", SPM_EINVAL, "line_item.unit_price: must not be negative" },
		{ "1", "1.00 CNY", "10001", SPM_EINVAL,
		  "line_item.discount_bp: must be 0..10000 (basis points), not 10001" },
		{ "1", "1.00 CNY", "-1", SPM_EINVAL,
		  "line_item.discount_bp: must be 0..10000 (basis points), not -1" },
		{ "4611686018427387904", "0.02 CNY", "0", SPM_EOVERFLOW,
		  "line_item.amount: quantity × unit_price overflows" },
		{ "1", "1.00 USD", "0", SPM_ECURRENCY,
		  "line_item.unit_price: in USD, but the other line items of opportunity 1 are in CNY" },
	};
	spm_record *r;

	as(u_a);
	item(id, "1", "10.00 CNY", NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(spm_record_new(&r, db, "line_item"), SPM_OK);
		cr_assert_eq(spm_record_set_int(r, "opportunity_id", id), SPM_OK);
		cr_assert_eq(spm_record_set_text(r, "product", "P"), SPM_OK);
		cr_assert_eq(spm_record_set_from_text(r, "quantity", cases[i].qty), SPM_OK);
		cr_assert_eq(spm_record_set_from_text(r, "unit_price", cases[i].price), SPM_OK);
		cr_assert_eq(spm_record_set_from_text(r, "discount_bp", cases[i].disc), SPM_OK);
		cr_assert_eq(spm_record_save(db, r), cases[i].rc, "case %zu: %s", i,
			     spm_error_message());
		cr_assert_str_eq(spm_error_message(), cases[i].message, "case %zu", i);
		spm_record_free(r);
	}
	cr_assert_eq(count_records(db, "line_item"), 1);
	cr_assert_str_eq(deal(id, "amount"), "10.00 CNY");
	as(u_b);
	cr_assert_eq(spm_record_new(&r, db, "line_item"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "opportunity_id", id), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "product", "P"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "quantity", 1), SPM_OK);
	cr_assert_eq(spm_record_set_money(r, "unit_price", 100, "CNY"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND, "another rep's deal");
	spm_record_free(r);
}

/* ---- the gate ---- */

static void expect_item(const spm_gate_report *g, size_t i, const char *name, const char *rule,
			const char *why)
{
	const char *n, *r, *w;

	cr_assert_eq(spm_gate_report_item(&n, &r, &w, g, i), SPM_OK);
	cr_assert_str_eq(n, name, "item %zu", i);
	cr_assert_str_eq(r, rule, "item %zu", i);
	cr_assert_str_eq(w, why, "item %zu", i);
}

Test(pipeline, the_gate_reports_each_unmet_criterion_with_why)
{
	int64_t id = new_deal("Big");
	spm_gate_report *g = NULL;
	int events;

	as(0);
	events = count_events(db);
	as(u_a);
	cr_assert_eq(spm_opportunity_move(&g, db, id, PROPOSE, NULL), SPM_EGATE);
	cr_assert_str_eq(spm_error_message(), "opportunity 1 cannot leave stage 'Qualify': 3 "
			 "criteria unmet (first: required: expected_close: expected_close = null)");
	cr_assert_eq(spm_gate_report_count(g), 3);
	expect_item(g, 0, "required: expected_close", "expected_close is not null",
		    "expected_close = null");
	expect_item(g, 1, "budget", "amount >= 1000.00 CNY", "amount >= 1000.00 CNY: null "
		    "(amount = null)");
	expect_item(g, 2, "visited", "count(activities where type = 'visit') >= 1",
		    "count(activities where type = 'visit') >= 1: false "
		    "(count(activities where type = 'visit') = 0)");
	cr_assert_eq(spm_gate_report_item(NULL, NULL, NULL, g, 3), SPM_ERANGE);
	spm_gate_report_free(g);
	as(0);
	cr_assert_eq(count_events(db), events, "nothing changed");
	as(u_a);
	cr_assert_str_eq(deal(id, "stage_id"), "1");

	set_text(id, "expected_close", "2026-06-30");
	set_text(id, "amount", "999.99 CNY");
	ADD("activity", "type", "call", "at", "2026-03-01T08:00:00Z", "customer_id", "1",
	    "opportunity_id", "1");
	cr_assert_eq(spm_opportunity_move(&g, db, id, PROPOSE, NULL), SPM_EGATE);
	cr_assert_eq(spm_gate_report_count(g), 2);
	expect_item(g, 0, "budget", "amount >= 1000.00 CNY",
		    "amount >= 1000.00 CNY: false (amount = 999.99 CNY)");
	spm_gate_report_free(g);

	ADD("activity", "type", "visit", "at", "2026-03-01T08:30:00Z", "customer_id", "1",
	    "opportunity_id", "1");
	cr_assert_eq(spm_opportunity_check_gate(&g, db, id), SPM_OK);
	cr_assert_eq(spm_gate_report_count(g), 1);
	expect_item(g, 0, "budget", "amount >= 1000.00 CNY",
		    "amount >= 1000.00 CNY: false (amount = 999.99 CNY)");
	spm_gate_report_free(g);
	set_text(id, "amount", "1000.00 CNY");
	cr_assert_eq(spm_opportunity_check_gate(&g, db, id), SPM_OK);
	cr_assert_null(g);
	cr_assert_eq(spm_opportunity_move(&g, db, id, PROPOSE, NULL), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_null(g);
	cr_assert_str_eq(deal(id, "stage_id"), "2");
	cr_assert_str_eq(deal(id, "status"), "open");
}

Test(pipeline, rules_over_custom_fields_and_related_records)
{
	int64_t id = new_deal("Big");
	spm_gate_report *g = NULL;
	spm_record *r;

	as(u_admin);
	cr_assert_eq(spm_field_add(db, "opportunity", "budget_ok", SPM_FIELD_BOOLEAN, NULL), SPM_OK);
	cr_assert_eq(spm_record_get(&r, db, "stage", PROPOSE), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "exit_criteria",
		"[{\"name\": \"ok\", \"rule\": \"budget_ok = true\"},"
		" {\"name\": \"big items\", \"rule\": \"coalesce(sum(line_items.amount where quantity > 1), 0.00 CNY) >= 50.00 CNY\"},"
		" {\"name\": \"fresh\", \"rule\": \"days_since(opened_at) <= 30\"},"
		" {\"name\": \"moved\", \"rule\": \"exists(stage_history where seconds_in_from > 0)\"},"
		" {\"name\": \"named\", \"rule\": \"lower(name) in ('big', 'huge') and length(name) = 3\"}]"),
		SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	as(0);
	ADD("stage_history", "opportunity_id", "1", "to_stage_id", "2", "at",
	    "2026-03-01T09:00:00Z", "seconds_in_from", "60");
	/* the system put deal 1 in Propose */
	r = NULL;
	cr_assert_eq(spm_record_get(&r, db, "opportunity", id), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "stage_id", PROPOSE), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
	as(u_a);
	item(id, "2", "20.00 CNY", NULL);
	item(id, "1", "500.00 CNY", NULL);
	test_clock_now = T0 + 31 * 86400;
	cr_assert_eq(spm_opportunity_check_gate(&g, db, id), SPM_OK);
	cr_assert_eq(spm_gate_report_count(g), 3);
	expect_item(g, 0, "ok", "budget_ok = true", "budget_ok = true: null (budget_ok = null)");
	expect_item(g, 1, "big items",
		    "coalesce(sum(line_items.amount where quantity > 1), 0.00 CNY) >= 50.00 CNY",
		    "coalesce(sum(line_items.amount where quantity > 1), 0.00 CNY) >= 50.00 CNY: "
		    "false (sum(line_items.amount where quantity > 1) = 40.00 CNY)");
	expect_item(g, 2, "fresh", "days_since(opened_at) <= 30",
		    "days_since(opened_at) <= 30: false (opened_at = 2026-03-01T09:00:00Z)");
	spm_gate_report_free(g);
	set_text(id, "budget_ok", "true");
	item(id, "5", "2.00 CNY", NULL);
	test_clock_now = T0 + 30 * 86400;
	cr_assert_eq(spm_opportunity_check_gate(&g, db, id), SPM_OK);
	cr_assert_eq(spm_gate_report_count(g), 0);
	cr_assert_null(g);
}

/* ---- transitions ---- */

Test(pipeline, skipping_forward_needs_allow_skip_and_passes_every_gate)
{
	int64_t id = new_deal("Big");
	spm_gate_report *g = NULL;

	qualify(id);
	as(u_a);
	cr_assert_eq(move(id, NEGOTIATE, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "pipeline 'New business' does not allow skipping a "
			 "stage (allow_skip is off): opportunity 1 from 'Qualify' to 'Negotiate'");
	set_pipeline("allow_skip", 1);
	cr_assert_eq(spm_opportunity_move(&g, db, id, NEGOTIATE, NULL), SPM_EGATE);
	cr_assert_eq(spm_gate_report_count(g), 1);
	expect_item(g, 0, "items", "count(line_items) >= 1",
		    "count(line_items) >= 1: false (count(line_items) = 0)");
	spm_gate_report_free(g);
	item(id, "1", "1000.00 CNY", NULL);
	cr_assert_eq(move(id, NEGOTIATE, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "stage_id"), "3");
}

Test(pipeline, moving_back_needs_allow_back_and_checks_no_gate)
{
	int64_t id = new_deal("Big");

	qualify(id);
	as(u_a);
	cr_assert_eq(move(id, PROPOSE, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(move(id, QUALIFY, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "stage_id"), "1");
	cr_assert_eq(move(id, PROPOSE, NULL), SPM_OK);
	set_pipeline("allow_back", 0);
	cr_assert_eq(move(id, QUALIFY, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "pipeline 'New business' does not allow moving "
			 "back (allow_back is off): opportunity 1 from 'Propose' to 'Qualify'");
	cr_assert_eq(move(id, PROPOSE, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "opportunity 1 is already in stage 'Propose'");
	cr_assert_eq(move(id, 99, NULL), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "stage 99 does not exist");
	cr_assert_eq(move(77, PROPOSE, NULL), SPM_ENOTFOUND);
	cr_assert_eq(spm_opportunity_move(NULL, NULL, id, PROPOSE, NULL), SPM_EINVAL);
	cr_assert_eq(count_records(db, "stage_history"), 3);
}

struct seen {
	int n;
	char lines[16][200];
};

static int collect_events(const spm_event *ev, void *payload)
{
	struct seen *s = payload;

	if (ev->type >= SPM_EVENT_STAGE_CHANGED && s->n < 16)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %lld %s",
			 spm_event_type_name(ev->type), (long long)ev->entity_id, ev->payload);
	return 0;
}

Test(pipeline, won_lost_and_reopened_set_status_and_raise_events)
{
	int64_t id = new_deal("Big");
	struct seen s;

	memset(&s, 0, sizeof(s));
	qualify(id);
	as(u_a);
	cr_assert_eq(move(id, LOST, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "opportunity 1: set lost_reason before moving it to "
			 "the lost stage 'Lost'");
	set_text(id, "lost_reason", "price");
	test_clock_now = T0 + 60;
	cr_assert_eq(move(id, LOST, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "status"), "lost");
	cr_assert_str_eq(deal(id, "closed_at"), "2026-03-01T09:01:00Z");
	test_clock_now = T0 + 120;
	cr_assert_eq(move(id, QUALIFY, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "status"), "open");
	cr_assert_str_eq(deal(id, "closed_at"), "(null)");
	set_pipeline("allow_skip", 1);
	item(id, "1", "1000.00 CNY", NULL);
	cr_assert_eq(move(id, WON, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "status"), "won");
	set_pipeline("allow_back", 0);
	cr_assert_eq(move(id, NEGOTIATE, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "pipeline 'New business' does not allow reopening "
			 "a closed deal (allow_back is off): opportunity 1 from 'Won' to 'Negotiate'");
	cr_assert_str_eq(deal(id, "status"), "won");
	as(0);
	cr_assert_eq(spm_outbox_foreach(db, 0, 0, collect_events, &s), SPM_OK);
	cr_assert_eq(s.n, 6);
	cr_assert_str_eq(s.lines[0], "stage.changed 1 {\"from\":1,\"to\":5,\"seconds_in_from\":60,"
			 "\"history_id\":1}");
	cr_assert_str_eq(s.lines[1], "opportunity.lost 1 {\"stage\":5,\"lost_reason\":\"price\"}");
	cr_assert_str_eq(s.lines[2], "stage.changed 1 {\"from\":5,\"to\":1,\"seconds_in_from\":60,"
			 "\"history_id\":2}");
	cr_assert_str_eq(s.lines[3], "opportunity.reopened 1 {\"from\":5,\"to\":1}");
	cr_assert_str_eq(s.lines[4], "stage.changed 1 {\"from\":1,\"to\":4,\"seconds_in_from\":0,"
			 "\"history_id\":3}");
	cr_assert_str_eq(s.lines[5], "opportunity.won 1 {\"stage\":4}");
}

Test(pipeline, history_rows_hold_durations_and_amounts)
{
	int64_t id = new_deal("Big");

	qualify(id);
	as(u_a);
	test_clock_now = T0 + 3600;
	cr_assert_eq(move(id, PROPOSE, NULL), SPM_OK, "%s", spm_error_message());
	item(id, "3", "500.00 CNY", NULL);
	test_clock_now = T0 + 3600 + 2 * 86400;
	cr_assert_eq(move(id, NEGOTIATE, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(field("stage_history", 1, "from_stage_id"), "1");
	cr_assert_str_eq(field("stage_history", 1, "to_stage_id"), "2");
	cr_assert_str_eq(field("stage_history", 1, "at"), "2026-03-01T10:00:00Z");
	cr_assert_str_eq(field("stage_history", 1, "actor"), "2");
	cr_assert_str_eq(field("stage_history", 1, "seconds_in_from"), "3600");
	cr_assert_str_eq(field("stage_history", 1, "amount"), "1000.00 CNY");
	cr_assert_str_eq(field("stage_history", 1, "override_reason"), "(null)");
	cr_assert_str_eq(field("stage_history", 2, "seconds_in_from"), "172800");
	cr_assert_str_eq(field("stage_history", 2, "amount"), "1500.00 CNY");
	cr_assert_str_eq(deal(id, "stage_entered_at"), "2026-03-03T10:00:00Z");
}

/* ---- overrides and visibility ---- */

static int find_override(const spm_audit_entry *e, void *payload)
{
	if (e->field && strcmp(e->field, "gate_override") == 0)
		snprintf(payload, 200, "%lld %s", (long long)e->actor, e->new_value);
	return 0;
}

Test(pipeline, overriding_a_gate_needs_the_action_and_is_recorded)
{
	int64_t id = new_deal("Big");
	spm_gate_report *g = NULL;
	char audit[200] = "";
	struct seen s;

	memset(&s, 0, sizeof(s));
	as(u_a);
	cr_assert_eq(spm_opportunity_move(&g, db, id, PROPOSE, "customer asked"), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 2 may not override a stage gate (needs the "
			 "'override_gate' action)");
	cr_assert_null(g);
	cr_assert_eq(move(id, PROPOSE, ""), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "override reason: must be 1..500 bytes of UTF-8");
	cr_assert_eq(move(id, PROPOSE, "bad \xff"), SPM_EINVAL);
	as(u_mgr);
	cr_assert_eq(spm_opportunity_move(&g, db, id, PROPOSE, "customer asked"), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(spm_gate_report_count(g), 3, "the overridden criteria come back");
	spm_gate_report_free(g);
	cr_assert_str_eq(deal(id, "stage_id"), "2");
	cr_assert_str_eq(field("stage_history", 1, "override_reason"), "customer asked");
	cr_assert_str_eq(field("stage_history", 1, "actor"), "4");
	as(0);
	cr_assert_eq(spm_audit_foreach(db, "opportunity", id, find_override, audit), SPM_OK);
	cr_assert_str_eq(audit, "4 customer asked");
	cr_assert_eq(spm_outbox_foreach(db, 0, 0, collect_events, &s), SPM_OK);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.lines[1], "gate.overridden 1 {\"stage\":1,\"reason\":\"customer asked\","
			 "\"unmet\":[\"required: expected_close\",\"budget\",\"visited\"]}");
}

Test(pipeline, a_rep_cannot_move_another_reps_deal)
{
	int64_t id = new_deal("Big");
	spm_gate_report *g = (spm_gate_report *)1;

	qualify(id);
	as(u_b);
	cr_assert_eq(move(id, PROPOSE, NULL), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "opportunity 1 does not exist");
	cr_assert_eq(spm_opportunity_check_gate(&g, db, id), SPM_ENOTFOUND);
	cr_assert_null(g);
	cr_assert_str_eq(deal(id, "stage_id"), "1");
	as(u_mgr);  /* An is in the team Mo manages */
	cr_assert_eq(move(id, PROPOSE, NULL), SPM_OK, "%s", spm_error_message());
}

Test(pipeline, stages_of_another_pipeline_are_refused)
{
	int64_t id = new_deal("Big"), other = 0;

	as(u_admin);
	cr_assert_eq(spm_pipeline_load(&other, db, "{\"name\": \"Renewals\", \"stages\": "
				       "[{\"name\": \"Due\"}, {\"name\": \"Renewed\", \"outcome\": \"won\"}]}"),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_eq(other, 2);
	cr_assert_eq(move(id, 6, NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "stage 6 is not in the pipeline of opportunity 1");
}

Test(pipeline, a_deal_with_items_or_history_is_not_deleted)
{
	int64_t id = new_deal("Big"), other = new_deal("Small");

	as(u_a);
	item(id, "1", "1.00 CNY", NULL);
	cr_assert_eq(spm_record_delete(db, "opportunity", id), SPM_EINVAL, "%s", spm_error_message());
	cr_assert_str_eq(spm_error_message(), "opportunity 1 has line items or stage history; "
			 "delete them first");
	cr_assert_eq(spm_record_delete(db, "opportunity", other), SPM_OK);
	cr_assert_eq(count_records(db, "opportunity"), 1);
}

/* ---- the rule language over opportunities ---- */

static const struct {
	char rule[160];
	int met;           /* 1: met; 0: unmet with why */
	char why[200];
} opp_rules[] = {
	/* fields, nulls (unknown is not met) */
	{ "name = 'Big'", 1, "" },
	{ "amount > 100.00 CNY", 1, "" },
	{ "lost_reason = 'price'", 0, "lost_reason = 'price': null (lost_reason = null)" },
	{ "lost_reason is null and status = 'open'", 1, "" },
	{ "false and lost_reason = 'x'", 0, "false: false; lost_reason = 'x': null (lost_reason = null)" },
	{ "true or lost_reason = 'x'", 1, "" },
	{ "not (lost_reason = 'x')", 0, "not lost_reason = 'x': null (lost_reason = null)" },
	{ "close_slips in (1, null)", 0, "close_slips in (1, null): null (close_slips = 0)" },
	{ "close_slips not in (1, 2)", 1, "" },
	/* precedence: and binds tighter than or, * tighter than + */
	{ "close_slips = 1 or close_slips = 0 and status = 'open'", 1, "" },
	{ "(close_slips = 1 or close_slips = 0) and status = 'won'", 0,
	  "status = 'won': false (status = 'open')" },
	{ "close_slips + 2 * 3 = 6", 1, "" },
	/* dates on the handle's clock (2026-03-11) */
	{ "days_since(opened_at) = 10", 1, "" },
	{ "days_until(expected_close) >= 30", 0,
	  "days_until(expected_close) >= 30: false (expected_close = 2026-04-01)" },
	{ "expected_close < date '2026-06-30'", 1, "" },
	/* strings */
	{ "starts_with(lower(name), 'bi') and length(name) = 3", 1, "" },
	{ "upper(source) like 'WEB%'", 1, "" },
	/* aggregates over related records */
	{ "count(line_items) = 2", 1, "" },
	{ "sum(line_items.amount) = amount", 1, "" },
	{ "max(line_items.unit_price) >= 300.00 CNY", 0,
	  "max(line_items.unit_price) >= 300.00 CNY: false (max(line_items.unit_price) = 200.00 CNY)" },
	{ "min(line_items.quantity) = 1 and exists(line_items where discount_bp > 0)", 1, "" },
	{ "count(activities where type = 'call') >= 1", 1, "" },
	{ "count(stage_history) = 0", 1, "" },
};

Test(pipeline, rule_language_cases_over_a_deal)
{
	int64_t id = new_deal("Big");
	spm_record *stage;
	char criteria[400];

	as(u_a);
	set_text(id, "expected_close", "2026-04-01");
	set_text(id, "source", "web form");
	item(id, "1", "200.00 CNY", "500");   /* 190.00 */
	item(id, "2", "50.00 CNY", NULL);     /* 100.00 */
	ADD("activity", "type", "call", "at", "2026-03-02T08:00:00Z", "customer_id", "1",
	    "opportunity_id", "1");
	test_clock_now = T0 + 10 * 86400;
	for (size_t i = 0; i < sizeof(opp_rules) / sizeof(opp_rules[0]); i++) {
		spm_gate_report *g = NULL;
		const char *why;

		as(u_admin);
		cr_assert_eq(spm_record_get(&stage, db, "stage", QUALIFY), SPM_OK);
		snprintf(criteria, sizeof(criteria), "[{\"name\": \"r\", \"rule\": \"%s\"}]",
			 opp_rules[i].rule);
		cr_assert_eq(spm_record_set_text(stage, "exit_criteria", criteria), SPM_OK);
		cr_assert_eq(spm_record_set_null(stage, "required_fields"), SPM_OK);
		cr_assert_eq(spm_record_save(db, stage), SPM_OK, "case %zu: %s", i, spm_error_message());
		spm_record_free(stage);
		as(u_a);
		cr_assert_eq(spm_opportunity_check_gate(&g, db, id), SPM_OK, "case %zu", i);
		cr_assert_eq(spm_gate_report_count(g), opp_rules[i].met ? 0 : 1, "case %zu: %s", i,
			     opp_rules[i].rule);
		if (!opp_rules[i].met) {
			cr_assert_eq(spm_gate_report_item(NULL, NULL, &why, g, 0), SPM_OK);
			cr_assert_str_eq(why, opp_rules[i].why, "case %zu: %s", i, why);
		}
		spm_gate_report_free(g);
	}
}

static const struct {
	char rule[120];
	char message[160];
} bad_rules[] = {
	{ "amount = 'x'", "stage.exit_criteria[0].rule: 1:8: cannot compare money with text" },
	{ "close_slips +", "stage.exit_criteria[0].rule: 1:14: expected a value, found the end of the rule" },
	{ "count(line_itemz) > 0", "stage.exit_criteria[0].rule: 1:7: unknown relation 'line_itemz'" },
	{ "sum(line_items.colour) > 0", "stage.exit_criteria[0].rule: 1:16: unknown field 'colour'" },
	{ "days_since(name) > 1", "stage.exit_criteria[0].rule: 1:1: days_since() needs a date or a time, found text" },
	{ "amount > 1 AND true", "stage.exit_criteria[0].rule: 1:12: expected an operator or the end of the rule, found 'AND' (keywords are lower case: 'and')" },
	{ "close_slips < 1 < 2", "stage.exit_criteria[0].rule: 1:17: comparisons do not chain; join them with 'and' or use parentheses" },
	{ "amount + 1.00 USD > 0.00 CNY", "stage.exit_criteria[0].rule: 1:19: cannot compare money in USD with money in CNY" },
};

Test(pipeline, bad_rules_are_refused_with_their_position)
{
	spm_record *stage;
	char criteria[400];

	as(u_admin);
	for (size_t i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		cr_assert_eq(spm_record_get(&stage, db, "stage", PROPOSE), SPM_OK);
		snprintf(criteria, sizeof(criteria), "[{\"name\": \"r\", \"rule\": \"%s\"}]",
			 bad_rules[i].rule);
		cr_assert_eq(spm_record_set_text(stage, "exit_criteria", criteria), SPM_OK);
		cr_assert_neq(spm_record_save(db, stage), SPM_OK, "case %zu", i);
		cr_assert_str_eq(spm_error_message(), bad_rules[i].message, "case %zu: %s", i, spm_error_message());
		spm_record_free(stage);
	}
	cr_assert_str_eq(field("stage", PROPOSE, "exit_criteria"),
			 "[{\"name\":\"items\",\"rule\":\"count(line_items) >= 1\"}]");
}

/* ---- out of memory (TESTING.md §A) ---- */

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	cr_assert_not_null(in);
	cr_assert_not_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

Test(pipeline, every_allocation_failure_in_an_override_move_leaves_all_or_nothing)
{
	char tmpl[256];
	long n;

	new_deal("Big");
	spm_db_close(db);
	db = NULL;
	snprintf(tmpl, sizeof(tmpl), "%s", path);
	for (n = 1;; n++) {
		struct counting_alloc a = { 0, n, 0, 0 };
		spm_db_options o = SPM_DB_OPTIONS_INIT;
		spm_gate_report *g = NULL;
		int rc;

		temp_db_path(path, sizeof(path));
		copy_file(tmpl, path);
		o.path = path;
		o.clock = test_clock;
		o.actor = u_mgr;
		o.malloc_fn = ca_malloc;
		o.realloc_fn = ca_realloc;
		o.free_fn = ca_free;
		o.alloc_payload = &a;
		rc = spm_db_open(&db, &o);
		if (rc == SPM_OK)
			rc = spm_opportunity_move(&g, db, 1, PROPOSE, "customer asked");
		cr_assert(rc == SPM_OK || rc == SPM_ENOMEM, "n=%ld: %s %s", n, spm_result_name(rc),
			  spm_error_message());
		cr_assert(rc == SPM_OK ? spm_gate_report_count(g) == 3 : g == NULL, "n=%ld", n);
		spm_gate_report_free(g);
		spm_db_close(db);
		cr_assert_eq(a.live, 0, "n=%ld: %ld allocations leaked", n, a.live);
		db = open_db(path);
		as(0);
		if (rc == SPM_OK) {
			cr_assert_str_eq(deal(1, "stage_id"), "2", "n=%ld", n);
			cr_assert_eq(count_records(db, "stage_history"), 1, "n=%ld", n);
		} else {
			cr_assert_str_eq(deal(1, "stage_id"), "1", "n=%ld", n);
			cr_assert_eq(count_records(db, "stage_history"), 0, "n=%ld", n);
		}
		spm_db_close(db);
		db = NULL;
		if (a.calls < n)
			break;  /* the fault was not reached: every point is covered */
	}
	cr_assert_gt(n, 50, "only %ld allocation points", n);
}

Test(pipeline, the_system_imports_deals_and_history_as_csv)
{
	static const char deals[] =
		"name,owner_id,pipeline_id,stage_id,amount,opened_at,closed_at\n"
		"Old win,2,1,4,5000.00 CNY,2025-01-01T00:00:00Z,2025-03-01T00:00:00Z\n"
		"In flight,2,1,2,,2025-06-01T00:00:00Z,\n";
	static const char history[] =
		"opportunity_id,from_stage_id,to_stage_id,at,seconds_in_from,amount\n"
		"1,1,2,2025-02-01T00:00:00Z,2678400,5000.00 CNY\n"
		"1,2,4,2025-03-01T00:00:00Z,2419200,5000.00 CNY\n";
	spm_csv_report *rep = NULL;

	as(0);
	cr_assert_eq(spm_csv_import(&rep, db, "opportunity", deals, strlen(deals), NULL), SPM_OK,
		     "%s", spm_csv_report_message(rep));
	cr_assert_eq(spm_csv_report_stored(rep), 2);
	spm_csv_report_free(rep);
	cr_assert_eq(spm_csv_import(&rep, db, "stage_history", history, strlen(history), NULL),
		     SPM_OK, "%s", spm_csv_report_message(rep));
	cr_assert_eq(spm_csv_report_stored(rep), 2);
	spm_csv_report_free(rep);
	cr_assert_str_eq(deal(1, "status"), "won");
	cr_assert_str_eq(deal(1, "closed_at"), "2025-03-01T00:00:00Z");
	cr_assert_str_eq(deal(2, "status"), "open");
	cr_assert_str_eq(deal(2, "opened_at"), "2025-06-01T00:00:00Z");
	cr_assert_str_eq(deal(2, "stage_entered_at"), "2025-06-01T00:00:00Z");
	as(u_a);  /* the same import by a user is refused */
	cr_assert_eq(spm_csv_import(&rep, db, "stage_history", history, strlen(history), NULL),
		     SPM_EPERM);
	spm_csv_report_free(rep);
	as(0);
	cr_assert_eq(count_records(db, "stage_history"), 2);
}

/* Approval flows guard overrides and reopening (docs/collaboration.md): the
 * move files a request and waits; once approved, the same move goes on. */
Test(pipeline, overrides_and_reopening_wait_for_an_approval)
{
	int64_t id = new_deal("Big");

	as(0);
	ADD("approval_flow", "name", "overrides", "action", "stage_override", "kind", "opportunity",
	    "steps", "user:1");
	ADD("approval_flow", "name", "reopening", "action", "reopen", "kind", "opportunity",
	    "steps", "user:1");
	as(u_mgr);
	cr_assert_eq(move(id, PROPOSE, "the buyer is in a hurry"), SPM_EAPPROVAL);
	cr_assert_str_eq(spm_error_message(),
			 "stage_override on opportunity 1 needs approval: request 1 is pending");
	cr_assert_str_eq(deal(id, "stage_id"), "1");
	cr_assert_str_eq(field("approval_request", 1, "detail"), "stage:2");
	cr_assert_str_eq(field("approval_request", 1, "status"), "pending");
	cr_assert_eq(move(id, PROPOSE, "the buyer is in a hurry"), SPM_EAPPROVAL);
	cr_assert_eq(count_records(db, "approval_request"), 1, "asking again files no second one");
	cr_assert_eq(count_records(db, "stage_history"), 0);
	as(u_admin);
	cr_assert_eq(spm_approval_approve(db, 1, "fine"), SPM_OK, "%s", spm_error_message());
	as(u_mgr);
	cr_assert_eq(move(id, PROPOSE, "the buyer is in a hurry"), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_str_eq(deal(id, "stage_id"), "2");
	cr_assert_eq(count_records(db, "stage_history"), 1);

	/* reopening a lost deal: rejected, asked again, approved */
	set_text(id, "lost_reason", "price");
	as(u_a);
	cr_assert_eq(move(id, LOST, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(move(id, QUALIFY, NULL), SPM_EAPPROVAL);
	cr_assert_str_eq(spm_error_message(),
			 "reopen on opportunity 1 needs approval: request 2 is pending");
	as(u_admin);
	cr_assert_eq(spm_approval_reject(db, 2, "no"), SPM_OK, "%s", spm_error_message());
	as(u_a);
	cr_assert_eq(move(id, QUALIFY, NULL), SPM_EAPPROVAL);
	cr_assert_str_eq(field("approval_request", 3, "status"), "pending");
	cr_assert_str_eq(deal(id, "status"), "lost");
	as(u_admin);
	cr_assert_eq(spm_approval_approve(db, 3, NULL), SPM_OK, "%s", spm_error_message());
	as(u_a);
	cr_assert_eq(move(id, QUALIFY, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(deal(id, "status"), "open");
}
