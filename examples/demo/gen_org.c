/* spm demo: the org (roles, users, a team tree with memberships), the lead
 * pool's policy and assignment rules, and the pipeline with its gates. */
#include "demo.h"
#include <string.h>

static const char *const region_names[DEMO_REGIONS] = { "East region", "North region" };
static const char *const team_names[DEMO_TEAMS] = { "Shanghai", "Hangzhou", "Nanjing",
						    "Beijing", "Tianjin" };
/* Teams 0-2 are in region 0 (East), 3-4 in region 1 (North). */
static const int team_region[DEMO_TEAMS] = { 0, 0, 0, 1, 1 };
static const char *const manager_names[DEMO_REGIONS] = { "Zhou Min", "Han Lei" };
static const char *const rep_names[DEMO_REPS] = {
	"Li Wei",     "Wang Fang",  "Zhang Yong", "Liu Yang",  "Chen Jing",  "Yang Tao",
	"Zhao Lei",   "Huang Min",  "Wu Qiang",   "Xu Li",     "Sun Hao",    "Ma Jun",
	"Zhu Yan",    "Hu Bin",     "Guo Jie",    "He Ping",   "Lin Na",     "Gao Feng",
	"Luo Xin",    "Zheng Kai",  "Liang Yu",   "Xie Ting",  "Song Bo",    "Tang Hui",
	"Feng Rui",   "Deng Chao",  "Cao Lan",    "Peng Fei",  "Zeng Yi",    "Xiao Mei",
};

static int save(spm_db *db, spm_record *rec, int64_t *out_id)
{
	int rc = spm_record_save(db, rec);
	if (rc == SPM_OK && out_id)
		*out_id = spm_record_id(rec);
	spm_record_free(rec);
	return rc;
}

static int add_role(spm_db *db, int64_t *out, const char *name, spm_scope scope,
		    const char *actions)
{
	spm_record *rec;
	int rc = spm_record_new(&rec, db, "role");
	if (rc != SPM_OK)
		return rc;
	spm_record_set_text(rec, "name", name);
	spm_record_set_int(rec, "scope", scope);
	if (actions)
		spm_record_set_text(rec, "actions", actions);
	return save(db, rec, out);
}

static int add_user(spm_db *db, int64_t *out, const char *name, int64_t role, spm_date hired)
{
	spm_record *rec;
	char email[96];
	size_t o = 0;
	int rc = spm_record_new(&rec, db, "user");
	if (rc != SPM_OK)
		return rc;
	for (const char *p = name; *p && o < 60; p++)
		email[o++] = *p == ' ' ? '.' : (char)(*p | 0x20);
	snprintf(email + o, sizeof(email) - o, "@acme.example");
	spm_record_set_text(rec, "name", name);
	spm_record_set_text(rec, "email", email);
	spm_record_set_int(rec, "role_id", role);
	spm_record_set_bool(rec, "active", 1);
	spm_record_set_date(rec, "hired_on", hired);
	return save(db, rec, out);
}

static int add_team(spm_db *db, int64_t *out, const char *name, int64_t parent, int64_t manager)
{
	spm_record *rec;
	int rc = spm_record_new(&rec, db, "team");
	if (rc != SPM_OK)
		return rc;
	spm_record_set_text(rec, "name", name);
	if (parent)
		spm_record_set_int(rec, "parent_id", parent);
	if (manager)
		spm_record_set_int(rec, "manager_id", manager);
	return save(db, rec, out);
}

static int add_member(spm_db *db, int64_t user, int64_t team, spm_date from)
{
	spm_record *rec;
	int rc = spm_record_new(&rec, db, "membership");
	if (rc != SPM_OK)
		return rc;
	spm_record_set_int(rec, "user_id", user);
	spm_record_set_int(rec, "team_id", team);
	spm_record_set_date(rec, "valid_from", from);
	return save(db, rec, NULL);
}

static int add_rule(spm_db *db, int position, const char *name, const char *condition,
		    const char *method, const int64_t *users, size_t n)
{
	spm_record *rec;
	char list[512];
	size_t o = 0;
	int rc = spm_record_new(&rec, db, "assignment_rule");
	if (rc != SPM_OK)
		return rc;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%lld", i ? "," : "",
				      (long long)users[i]);
	spm_record_set_int(rec, "position", position);
	spm_record_set_text(rec, "name", name);
	if (condition)
		spm_record_set_text(rec, "condition", condition);
	spm_record_set_text(rec, "method", method);
	spm_record_set_text(rec, "users", list);
	spm_record_set_bool(rec, "active", 1);
	return save(db, rec, NULL);
}

int demo_gen_org(demo_company *co, spm_db *db)
{
	int64_t r_admin, r_mgr, r_lead, r_rep, east[DEMO_REPS], north[DEMO_REPS], leads[DEMO_TEAMS];
	size_t neast = 0, nnorth = 0;
	spm_date hired, joined;
	spm_record *rec;

	spm_date_from_ymd(&hired, 2023, 6, 1);
	spm_date_from_ymd(&joined, 2025, 1, 1);
	TRY(add_role(db, &r_admin, "Administrator", SPM_SCOPE_ALL, "*"));
	TRY(add_role(db, &r_mgr, "Regional manager", SPM_SCOPE_TEAM, "override_gate,pool,target"));
	TRY(add_role(db, &r_lead, "Team lead", SPM_SCOPE_TEAM, NULL));
	TRY(add_role(db, &r_rep, "Sales rep", SPM_SCOPE_OWN, NULL));
	TRY(add_user(db, &co->admin, "Admin", r_admin, hired));
	TRY(add_team(db, &co->root_team, "Acme China", 0, co->admin));
	for (int g = 0; g < DEMO_REGIONS; g++) {
		TRY(add_user(db, &co->region_mgr[g], manager_names[g], r_mgr, hired));
		TRY(add_team(db, &co->region_team[g], region_names[g], co->root_team,
			     co->region_mgr[g]));
	}
	for (int t = 0; t < DEMO_TEAMS; t++) {
		for (int k = 0; k < DEMO_REPS_PER_TEAM; k++) {
			int i = t * DEMO_REPS_PER_TEAM + k;
			spm_date h;
			/* Hired one every three weeks: the last ones still ramp up in April. */
			spm_date_add_days(&h, hired, 21 * i);
			TRY(add_user(db, &co->rep[i], rep_names[i], k == 0 ? r_lead : r_rep, h));
			if (team_region[t] == 0)
				east[neast++] = co->rep[i];
			else
				north[nnorth++] = co->rep[i];
		}
		leads[t] = co->rep[t * DEMO_REPS_PER_TEAM];
		TRY(add_team(db, &co->team[t], team_names[t], co->region_team[team_region[t]],
			     leads[t]));
		for (int k = 0; k < DEMO_REPS_PER_TEAM; k++)
			TRY(add_member(db, co->rep[t * DEMO_REPS_PER_TEAM + k], co->team[t], joined));
	}

	/* The pool: a rep holds at most 80 open leads and claims 10 a day. */
	TRY(spm_record_new(&rec, db, "pool_policy"));
	spm_record_set_int(rec, "max_open", 80);
	spm_record_set_int(rec, "daily_claims", 10);
	TRY(save(db, rec, NULL));
	/* Partner leads go to the least busy team lead; the rest by region. */
	TRY(add_rule(db, 1, "Partners to team leads", "source = 'partner'", "least_busy", leads,
		     DEMO_TEAMS));
	TRY(add_rule(db, 2, "East round robin", "region = 'East'", "round_robin", east, neast));
	TRY(add_rule(db, 3, "North round robin", "region = 'North'", "round_robin", north,
		     nnorth));
	return SPM_OK;
}

/* Each stage's gate says what a rep must have done before leaving it. */
static const char pipeline_json[] =
	"{\"name\": \"New business\", \"description\": \"Direct and partner sales\","
	" \"allow_skip\": false, \"allow_back\": true, \"active\": true, \"stages\": ["
	"{\"name\": \"Qualify\", \"probability\": 10, \"forecast_category\": \"pipeline\","
	" \"actions\": [\"Call the buyer\", \"Confirm the budget\"],"
	" \"required_fields\": [\"expected_close\"],"
	" \"exit_criteria\": [{\"name\": \"budget\", \"rule\": \"amount >= 1000.00 CNY\"}]},"
	"{\"name\": \"Discover\", \"probability\": 25, \"forecast_category\": \"pipeline\","
	" \"exit_criteria\": [{\"name\": \"visited\","
	" \"rule\": \"count(activities where type = 'visit') >= 1\"}]},"
	"{\"name\": \"Propose\", \"probability\": 45, \"forecast_category\": \"best_case\","
	" \"exit_criteria\": [{\"name\": \"priced\", \"rule\": \"count(line_items) >= 1\"}]},"
	"{\"name\": \"Negotiate\", \"probability\": 65, \"forecast_category\": \"commit\"},"
	"{\"name\": \"Commit\", \"probability\": 85, \"forecast_category\": \"commit\"},"
	"{\"name\": \"Won\", \"probability\": 100, \"forecast_category\": \"closed\","
	" \"outcome\": \"won\"},"
	"{\"name\": \"Lost\", \"probability\": 0, \"forecast_category\": \"omitted\","
	" \"outcome\": \"lost\"}]}";

static int stage_cb(const spm_record *rec, void *payload)
{
	demo_company *co = payload;
	int64_t pos;
	if (spm_record_get_int(&pos, rec, "position") == SPM_OK && pos >= 1 && pos <= DEMO_STAGES)
		co->stage[pos - 1] = spm_record_id(rec);
	return 0;
}

int demo_gen_pipeline(demo_company *co, spm_db *db)
{
	spm_query *q;
	int rc;
	TRY(spm_pipeline_load(&co->pipeline, db, pipeline_json));
	TRY(spm_query_new(&q, db, "stage"));
	rc = spm_query_where_int(q, "pipeline_id", SPM_CMP_EQ, co->pipeline);
	if (rc == SPM_OK)
		rc = spm_query_foreach(q, stage_cb, co);
	spm_query_free(q);
	for (int s = 0; rc == SPM_OK && s < DEMO_STAGES; s++)
		if (co->stage[s] == 0)
			rc = SPM_ENOTFOUND;
	return rc;
}
