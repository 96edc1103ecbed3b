/* The org: roles, users, teams, memberships, and the visibility matrix —
 * rep, manager and admin against every read and write path. */
#include "helpers.h"

static spm_db *db;
static char path[256];
/* ids made by setup() */
static int64_t r_admin, r_manager, r_rep;
static int64_t u_admin, u_north_mgr, u_rep_a, u_rep_b, u_rep_c;
static int64_t t_north, t_north_east, t_south;
static int64_t c_a, c_b, c_c, c_pool, k_a, k_b;

static const char *num(int64_t v)
{
	static char buf[8][24];
	static int n;

	n = (n + 1) % 8;
	snprintf(buf[n], sizeof(buf[n]), "%lld", (long long)v);
	return buf[n];
}

static void as(int64_t user)
{
	cr_assert_eq(spm_db_set_actor(db, user), SPM_OK);
}

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	as(0);
	r_admin = ADD("role", "name", "admin", "scope", "3", "actions", "*");
	r_manager = ADD("role", "name", "manager", "scope", "2", "actions", "lead.assign");
	r_rep = ADD("role", "name", "rep", "scope", "1");
	u_admin = ADD("user", "name", "Ada", "role_id", num(r_admin), "active", "true");
	u_north_mgr = ADD("user", "name", "Ming", "role_id", num(r_manager), "active", "true");
	u_rep_a = ADD("user", "name", "An", "role_id", num(r_rep), "active", "true");
	u_rep_b = ADD("user", "name", "Bo", "role_id", num(r_rep), "active", "true");
	u_rep_c = ADD("user", "name", "Chen", "role_id", num(r_rep), "active", "true");
	t_north = ADD("team", "name", "North", "manager_id", num(u_north_mgr));
	t_north_east = ADD("team", "name", "North-East", "parent_id", num(t_north));
	t_south = ADD("team", "name", "South");
	ADD("membership", "user_id", num(u_rep_a), "team_id", num(t_north), "valid_from", "2026-01-01");
	ADD("membership", "user_id", num(u_rep_c), "team_id", num(t_north_east), "valid_from",
	    "2026-01-01");
	ADD("membership", "user_id", num(u_rep_b), "team_id", num(t_south), "valid_from", "2026-01-01");
	c_a = ADD("customer", "name", "A's", "owner_id", num(u_rep_a));
	c_b = ADD("customer", "name", "B's", "owner_id", num(u_rep_b));
	c_c = ADD("customer", "name", "C's", "owner_id", num(u_rep_c));
	c_pool = ADD("customer", "name", "Pool");
	k_a = ADD("contact", "customer_id", num(c_a), "name", "contact of A's");
	k_b = ADD("contact", "customer_id", num(c_b), "name", "contact of B's");
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(org, .init = setup, .fini = teardown);

static int sees(const char *kind, int64_t id)
{
	spm_record *r = NULL;
	int rc = spm_record_get(&r, db, kind, id);

	spm_record_free(r);
	cr_assert(rc == SPM_OK || rc == SPM_ENOTFOUND, "%s", spm_error_message());
	return rc == SPM_OK;
}

static int audit_entities(const spm_audit_entry *e, void *payload)
{
	int64_t *mask = payload;

	if (strcmp(e->kind, "customer") == 0)
		*mask |= (int64_t)1 << e->entity_id;
	return 0;
}

struct expect {
	int64_t *user;
	const char *who;
	int a, b, c, pool, ka, kb;
	int ncustomers;
	int outbox_rc;
};

Test(org, visibility_matrix_over_every_read_path)
{
	const struct expect rows[] = {
		{ &u_rep_a, "rep A", 1, 0, 0, 1, 1, 0, 2, SPM_EPERM },
		{ &u_rep_b, "rep B", 0, 1, 0, 1, 0, 1, 2, SPM_EPERM },
		{ &u_north_mgr, "north manager", 1, 0, 1, 1, 1, 0, 3, SPM_EPERM },
		{ &u_admin, "admin", 1, 1, 1, 1, 1, 1, 4, SPM_OK },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct expect *x = &rows[i];
		int64_t mask = 0, want = 0, pos;
		int n = 0, visible;

		as(*x->user);
		cr_assert_eq(sees("customer", c_a), x->a, "%s get A", x->who);
		cr_assert_eq(sees("customer", c_b), x->b, "%s get B", x->who);
		cr_assert_eq(sees("customer", c_c), x->c, "%s get C", x->who);
		cr_assert_eq(sees("customer", c_pool), x->pool, "%s get pool", x->who);
		cr_assert_eq(sees("contact", k_a), x->ka, "%s get contact A", x->who);
		cr_assert_eq(sees("contact", k_b), x->kb, "%s get contact B", x->who);
		cr_assert_eq(count_records(db, "customer"), x->ncustomers, "%s query", x->who);
		cr_assert_eq(count_records(db, "contact"), x->ka + x->kb, "%s contacts", x->who);
		cr_assert_eq(spm_org_visible(&visible, db, "customer", c_b), SPM_OK);
		cr_assert_eq(visible, x->b, "%s visible B", x->who);
		cr_assert_eq(spm_audit_foreach(db, NULL, 0, audit_entities, &mask), SPM_OK);
		want = (x->a ? (int64_t)1 << c_a : 0) | (x->b ? (int64_t)1 << c_b : 0) |
		       (x->c ? (int64_t)1 << c_c : 0) | ((int64_t)1 << c_pool);
		cr_assert_eq(mask, want, "%s audit", x->who);
		cr_assert_eq(spm_outbox_foreach(db, 0, 0, count_event_cb, &n), x->outbox_rc,
			     "%s outbox", x->who);
		cr_assert_eq(spm_consumer_position(&pos, db, "c"), x->outbox_rc);
	}
}

Test(org, writes_outside_the_scope_look_like_missing_records)
{
	spm_record *r;

	as(0);
	cr_assert_eq(spm_record_get(&r, db, "customer", c_b), SPM_OK);
	as(u_rep_a);
	cr_assert_eq(spm_record_set_text(r, "name", "stolen"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "customer 2 does not exist");
	cr_assert_eq(spm_record_delete(db, "customer", c_b), SPM_ENOTFOUND);
	spm_record_free(r);
	/* the manager cannot reach the south team either */
	as(u_north_mgr);
	cr_assert_eq(spm_record_delete(db, "customer", c_b), SPM_ENOTFOUND);
	as(0);
	cr_assert(sees("customer", c_b));
}

Test(org, owners_can_only_be_chosen_within_the_scope)
{
	spm_record *r;

	as(u_rep_a);
	cr_assert_eq(spm_record_get(&r, db, "customer", c_a), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_id", u_rep_b), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 3 may not give customer records to user 4");
	cr_assert_eq(spm_record_set_null(r, "owner_id"), SPM_OK);  /* release to the pool */
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	/* a manager may hand a pool customer to a rep of the subtree */
	as(u_north_mgr);
	cr_assert_eq(spm_record_get(&r, db, "customer", c_pool), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_id", u_rep_c), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_id", u_rep_b), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	spm_record_free(r);
	/* a rep creates customers for themself, not for others */
	as(u_rep_b);
	cr_assert_eq(spm_record_new(&r, db, "customer"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "New"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "owner_id", u_rep_a), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	cr_assert_eq(spm_record_set_int(r, "owner_id", u_rep_b), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
}

Test(org, contacts_follow_their_customer)
{
	spm_record *r;

	as(u_rep_a);
	cr_assert_eq(spm_record_new(&r, db, "contact"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "sneaky"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "customer_id", c_b), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "contact.customer_id: customer 2 does not exist");
	cr_assert_eq(spm_record_set_int(r, "customer_id", 999), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_set_int(r, "customer_id", c_a), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
}

Test(org, org_and_schema_changes_need_their_actions)
{
	spm_record *r;
	int can;

	as(u_north_mgr);
	cr_assert_eq(spm_org_can(&can, db, "lead.assign"), SPM_OK);
	cr_assert_eq(can, 1);
	cr_assert_eq(spm_org_can(&can, db, SPM_ACTION_ORG), SPM_OK);
	cr_assert_eq(can, 0);
	cr_assert_eq(spm_record_new(&r, db, "team"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Rogue"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 2 may not write team records (needs the 'org' action)");
	spm_record_free(r);
	cr_assert_eq(spm_field_add(db, "customer", "x", SPM_FIELD_TEXT, NULL), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 2 may not define fields (needs the 'schema' action)");
	as(u_admin);
	cr_assert_eq(spm_field_add(db, "customer", "x", SPM_FIELD_TEXT, NULL), SPM_OK);
	cr_assert_eq(spm_org_can(&can, db, "anything.at.all"), SPM_OK);
	cr_assert_eq(can, 1);
}

Test(org, unknown_and_inactive_actors_are_refused)
{
	spm_customer_view *view = NULL;
	spm_gate_report *unmet = NULL;
	spm_record *r;
	spm_scope scope;

	as(999);
	cr_assert_eq(spm_org_scope(&scope, db), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "actor 999 is not a user");
	cr_assert_eq(spm_record_get(&r, db, "customer", c_pool), SPM_EPERM);
	as(0);
	cr_assert_eq(spm_record_get(&r, db, "user", u_rep_b), SPM_OK);
	cr_assert_eq(spm_record_set_bool(r, "active", 0), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	as(u_rep_b);
	cr_assert_eq(spm_org_scope(&scope, db), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 4 is not active");
	/* the calls whose headers now say so */
	cr_assert_eq(spm_customer_360(&view, db, c_pool), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 4 is not active");
	cr_assert_null(view);
	cr_assert_eq(spm_opportunity_check_gate(&unmet, db, 1), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 4 is not active");
	cr_assert_null(unmet);
	/* and whether a record exists is not theirs to learn either */
	cr_assert_eq(spm_record_get(&r, db, "customer", 12345), SPM_EPERM);
	cr_assert_eq(spm_opportunity_move(&unmet, db, 12345, 1, NULL), SPM_EPERM);
	cr_assert_eq(spm_customer_360(&view, db, 12345), SPM_EPERM);
	as(u_north_mgr);
	cr_assert_eq(spm_org_scope(&scope, db), SPM_OK);
	cr_assert_eq(scope, SPM_SCOPE_TEAM);
	as(0);
	cr_assert_eq(spm_org_scope(&scope, db), SPM_OK);
	cr_assert_eq(scope, SPM_SCOPE_ALL);
}

Test(org, setup_mode_lasts_until_the_first_user)
{
	spm_db *fresh = open_db(":memory:");
	spm_scope scope;

	cr_assert_eq(spm_db_set_actor(fresh, 42), SPM_OK);
	cr_assert_eq(spm_org_scope(&scope, fresh), SPM_OK);
	cr_assert_eq(scope, SPM_SCOPE_ALL);
	spm_db_close(fresh);
}

Test(org, moving_a_team_under_its_own_subtree_is_refused)
{
	spm_record *r;

	as(u_admin);
	cr_assert_eq(spm_record_get(&r, db, "team", t_north), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "parent_id", t_north_east), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "team 1 cannot move under its own subtree");
	cr_assert_eq(spm_record_set_int(r, "parent_id", t_north), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_int(r, "parent_id", 77), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_eq(spm_record_set_int(r, "parent_id", t_south), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);  /* the whole subtree moves */
	spm_record_free(r);
	cr_assert_eq(spm_record_delete(db, "team", t_south), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "team 3 cannot be deleted: it has sub-teams");
}

Test(org, memberships_are_dated_and_never_overlap)
{
	spm_record *r;
	spm_date d;
	int64_t team;

	as(u_admin);
	/* An moves from North to South on 2026-04-01 */
	cr_assert_eq(spm_record_get(&r, db, "membership", 1), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "valid_to", "2026-03-31"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(spm_record_new(&r, db, "membership"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "user_id", u_rep_a), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "team_id", t_south), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "valid_from", "2026-03-31"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ECONFLICT);
	cr_assert_str_eq(spm_error_message(), "user 3 is already in team 1 during that time "
			 "(membership 1)");
	cr_assert_eq(spm_record_set_from_text(r, "valid_from", "2026-04-01"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(spm_date_parse(&d, "2026-03-31"), SPM_OK);
	cr_assert_eq(spm_org_team_of(&team, db, u_rep_a, d), SPM_OK);
	cr_assert_eq(team, t_north);
	cr_assert_eq(spm_date_parse(&d, "2026-04-01"), SPM_OK);
	cr_assert_eq(spm_org_team_of(&team, db, u_rep_a, d), SPM_OK);
	cr_assert_eq(team, t_south);
	cr_assert_eq(spm_date_parse(&d, "2025-12-31"), SPM_OK);
	cr_assert_eq(spm_org_team_of(&team, db, u_rep_a, d), SPM_ENOTFOUND);
	/* bad dates and references */
	cr_assert_eq(spm_record_new(&r, db, "membership"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "user_id", u_admin), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "team_id", 99), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "valid_from", "2026-05-01"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "membership.team_id: team 99 does not exist");
	cr_assert_eq(spm_record_set_int(r, "team_id", t_south), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "valid_to", "2026-04-30"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	spm_record_free(r);
}

Test(org, a_manager_sees_by_membership_on_the_current_date)
{
	spm_record *r;

	as(u_admin);
	/* C left North-East at the end of February: on 2026-03-01 the north
	 * manager no longer sees C's customer */
	cr_assert_eq(spm_record_get(&r, db, "membership", 2), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "valid_to", "2026-02-28"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	as(u_north_mgr);
	cr_assert_eq(sees("customer", c_c), 0);
	test_clock_now = T0 - 2 * 86400;  /* 2026-02-27 */
	cr_assert_eq(sees("customer", c_c), 1);
	test_clock_now = T0;
}

Test(org, availability_follows_active_and_leave)
{
	spm_record *r;
	spm_date d;
	int ok;

	as(0);
	cr_assert_eq(spm_record_get(&r, db, "user", u_rep_a), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "leave_from", "2026-03-10"), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "leave_to", "2026-03-20"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	cr_assert_eq(spm_record_set_from_text(r, "leave_to", "2026-03-01"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	spm_record_free(r);
	cr_assert_eq(spm_date_parse(&d, "2026-03-09"), SPM_OK);
	cr_assert_eq(spm_org_available(&ok, db, u_rep_a, d), SPM_OK);
	cr_assert_eq(ok, 1);
	cr_assert_eq(spm_date_parse(&d, "2026-03-10"), SPM_OK);
	cr_assert_eq(spm_org_available(&ok, db, u_rep_a, d), SPM_OK);
	cr_assert_eq(ok, 0);
	cr_assert_eq(spm_date_parse(&d, "2026-03-20"), SPM_OK);
	cr_assert_eq(spm_org_available(&ok, db, u_rep_a, d), SPM_OK);
	cr_assert_eq(ok, 0);
	cr_assert_eq(spm_date_parse(&d, "2026-03-21"), SPM_OK);
	cr_assert_eq(spm_org_available(&ok, db, u_rep_a, d), SPM_OK);
	cr_assert_eq(ok, 1);
	cr_assert_eq(spm_org_available(&ok, db, 999, d), SPM_ENOTFOUND);
}

Test(org, roles_are_validated)
{
	spm_record *r;

	as(u_admin);
	cr_assert_eq(spm_record_new(&r, db, "role"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "odd"), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "scope", 4), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_int(r, "scope", 1), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "actions", "org,,schema"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "actions", "org; drop"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_EINVAL);
	cr_assert_eq(spm_record_set_text(r, "actions", "org,schema"), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK);
	spm_record_free(r);
	cr_assert_eq(spm_record_delete(db, "role", r_rep), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "role 3 cannot be deleted: users have this role");
	cr_assert_eq(spm_record_new(&r, db, "user"), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", "Nobody"), SPM_OK);
	cr_assert_eq(spm_record_set_bool(r, "active", 1), SPM_OK);
	cr_assert_eq(spm_record_set_int(r, "role_id", 99), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_ENOTFOUND);
	spm_record_free(r);
}

struct handover_seen {
	int n;
	char last[160];
};

static int last_handover(const spm_event *e, void *payload)
{
	struct handover_seen *h = payload;

	if (e->type != SPM_EVENT_HANDOVER)
		return 0;
	h->n++;
	snprintf(h->last, sizeof(h->last), "%s %lld %s", e->kind, (long long)e->entity_id,
		 e->payload);
	return 0;
}

Test(org, handover_moves_open_leads_and_customers_in_one_change)
{
	spm_record *r;
	size_t moved = 99;
	int64_t l_open, l_done;
	struct handover_seen ev = { 0, "" };

	as(0);
	l_open = ADD("lead", "company", "Open", "owner_id", num(u_rep_a));
	l_done = ADD("lead", "company", "Done", "owner_id", num(u_rep_a), "status", "converted");
	as(u_rep_a);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_a, u_rep_c, "An leaves"), SPM_EPERM);
	as(u_north_mgr);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_a, u_rep_b, "An leaves"), SPM_EPERM,
		     "B is outside the north subtree");
	cr_assert_eq(count_records(db, "customer"), 3);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_a, u_rep_a, "x"), SPM_EINVAL);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_a, 77, "x"), SPM_ENOTFOUND);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_a, u_rep_c, ""), SPM_EINVAL);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_a, u_rep_c, "An leaves"), SPM_OK,
		     "%s", spm_error_message());
	cr_assert_eq(moved, 2, "the open lead and A's customer");
	as(0);
	cr_assert_eq(spm_record_get(&r, db, "customer", c_a), SPM_OK);
	{
		int64_t owner;
		cr_assert_eq(spm_record_get_int(&owner, r, "owner_id"), SPM_OK);
		cr_assert_eq(owner, u_rep_c);
	}
	spm_record_free(r);
	cr_assert_eq(spm_record_get(&r, db, "lead", l_open), SPM_OK);
	{
		int64_t owner;
		cr_assert_eq(spm_record_get_int(&owner, r, "owner_id"), SPM_OK);
		cr_assert_eq(owner, u_rep_c);
	}
	spm_record_free(r);
	cr_assert_eq(spm_record_get(&r, db, "lead", l_done), SPM_OK);
	{
		int64_t owner;
		cr_assert_eq(spm_record_get_int(&owner, r, "owner_id"), SPM_OK);
		cr_assert_eq(owner, u_rep_a, "converted leads stay");
	}
	spm_record_free(r);
	cr_assert_eq(spm_outbox_foreach(db, 0, 0, last_handover, &ev), SPM_OK);
	cr_assert_eq(ev.n, 1);
	cr_assert_str_eq(ev.last, "user 3 {\"to\":5,\"moved\":2}");
	/* to the pool: leads get the reason, nothing of A's is left */
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_c, 0, "team dissolved"), SPM_OK);
	cr_assert_eq(moved, 3);
	cr_assert_eq(spm_org_handover(&moved, db, u_rep_c, 0, "again"), SPM_OK);
	cr_assert_eq(moved, 0);
}
