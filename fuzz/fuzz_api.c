/* libFuzzer target for API call sequences (TESTING.md §D): the input is a
 * program of public calls on one database file, a fresh copy of a small
 * company (roles of every scope, users under a manager, customers, two
 * pipelines — one with required fields, exit criteria, skips and moves back,
 * one strict —, deals with history, leads in and out of the pool, a pool
 * policy and an assignment rule).
 *
 * The first byte holds flags (bit 0: warm the handle's analytics cache
 * before the first op; bits 1-2: the group of reports compared); then every
 * op is 4 bytes: an opcode and three operands (FUZZ_API_TRACE=1 prints each
 * op and its status). Ids are taken modulo the largest id of their kind plus one (so
 * one id past the end, and deleted ids, are tried too); field values come
 * from a small table of good and bad values. Ops: set the actor (system,
 * admin, manager, reps, an inactive and an unknown user), create, update and
 * delete records of several kinds, batches (committed with or without an
 * idempotency key, or abandoned), a stale save that must conflict, stage
 * moves (with and without an override reason), lead claim / release / pool
 * assignment, lead conversion, merges, custom fields, reports, queries,
 * gate checks, a customer-360 view, a write through a second handle (read
 * back from storage, not from the write log), close + reopen, moving the
 * clock.
 * Checks:
 *  1. every call returns SPM_OK or a code its header documents (and
 *     SPM_EPERM when the actor is not an active user), an error with a
 *     non-empty spm_error_message();
 *  2. a call that fails changes nothing and a read changes nothing: the
 *     digest (the records changed since the last one seen, for every kind
 *     the ops write; the newest outbox event) is the same before and after,
 *     and a failed call leaves no audit entry; a write that succeeds moves
 *     the digest;
 *  3. every sixteenth op, before a close and at the end, the reports run
 *     through the long-lived handle (its cache caught up incrementally, own
 *     writes applied from the write log) give the same status and the same
 *     CSV text as on a freshly opened second handle with the same actor;
 *  4. a close and reopen keeps every record (count, largest id and change
 *     sequence of every kind), the audit trail and the outbox;
 *  5. nothing allocated through the handles stays live after close.
 * Linked with replay_main.c it is a plain program that replays files and
 * directories of inputs (the corpus replay in every CI run). */
#include "spm/spm.h"

#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 64
#define BIT(rc) (1u << (unsigned)(-(rc)))

static const uint8_t *input;
static size_t input_len;
static size_t op_at; /* the op being run, for the failure message */
/* The actor is not an active user: every call may refuse with SPM_EPERM
 * (org.h), also those whose header does not list it. */
static int actor_not_user;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_api: op %zu: %s: %s\n  error: %s\n  input:", op_at, what,
		detail ? detail : "", spm_error_message());
	for (size_t i = 0; i < input_len; i++)
		fprintf(stderr, "%s%02x", i % 4 == 1 ? " " : "", input[i]);
	fprintf(stderr, "\n");
	abort();
}

/* rc must be SPM_OK or one of the codes in the mask, with a message. */
static int check_rc(int rc, unsigned allowed, const char *call)
{
	char detail[160];

	if (rc == SPM_OK)
		return rc;
	snprintf(detail, sizeof(detail), "%s returned %s", call, spm_result_name(rc));
	if (rc == SPM_EPERM && actor_not_user)
		allowed |= BIT(SPM_EPERM);
	if (rc > 0 || rc < -31 || !(allowed & BIT(rc)))
		fail("an undocumented status", detail);
	if (spm_error_message()[0] == '\0')
		fail("an error without a message", detail);
	return rc;
}

/* ---- the clock: moved by the input, the same for both handles ---- */

static spm_time now_s;

static spm_time input_clock(void *payload)
{
	(void)payload;
	return now_s;
}

static spm_db *open_at(const char *path)
{
	return fuzz_open_file_at(path, input_clock);
}

/* ---- the company ---- */

#define T_BUILD 1767600000 /* 2026-01-05T08:00:00Z */
#define T_START 1772355600 /* 2026-03-01T09:00:00Z */

static const char sales_doc[] =
	"{\"name\":\"Sales\",\"allow_skip\":true,\"allow_back\":true,\"stages\":["
	"{\"name\":\"Qualify\",\"probability\":10,\"required_fields\":[\"expected_close\"]},"
	"{\"name\":\"Propose\",\"probability\":50,\"exit_criteria\":"
	"[{\"name\":\"budget\",\"rule\":\"amount >= 100.00 CNY\"}]},"
	"{\"name\":\"Won\",\"probability\":100,\"outcome\":\"won\"},"
	"{\"name\":\"Lost\",\"probability\":0,\"outcome\":\"lost\"}]}";

static const char strict_doc[] =
	"{\"name\":\"Strict\",\"allow_skip\":false,\"allow_back\":false,\"stages\":["
	"{\"name\":\"Meet\",\"probability\":20},"
	"{\"name\":\"Offer\",\"probability\":60},"
	"{\"name\":\"Signed\",\"probability\":100,\"outcome\":\"won\"},"
	"{\"name\":\"Dropped\",\"probability\":0,\"outcome\":\"lost\"}]}";

static void setup_move(spm_db *db, int64_t deal, int64_t stage, int days)
{
	now_s += (spm_time)days * 86400;
	fuzz_must(spm_opportunity_move(NULL, db, deal, stage, NULL), "move");
}

static void make_company(const char *path)
{
	spm_db *db;
	int64_t p;

	now_s = T_BUILD;
	db = open_at(path);
	fuzz_must(spm_field_add(db, "opportunity", "segment", SPM_FIELD_TEXT, NULL), "field");
	FUZZ_ADD(db, "role", "name", "admin", "scope", "3", "actions", "*");
	FUZZ_ADD(db, "role", "name", "manager", "scope", "2", "actions", "pool,override_gate");
	FUZZ_ADD(db, "role", "name", "rep", "scope", "1");
	FUZZ_ADD(db, "user", "name", "Mo", "role_id", "1", "active", "true");
	FUZZ_ADD(db, "user", "name", "Ann", "role_id", "2", "active", "true");
	FUZZ_ADD(db, "user", "name", "Bo", "role_id", "3", "active", "true");
	FUZZ_ADD(db, "user", "name", "Cy", "role_id", "3", "active", "true");
	FUZZ_ADD(db, "user", "name", "Di", "role_id", "3", "active", "false");
	FUZZ_ADD(db, "team", "name", "Sales", "manager_id", "2");
	FUZZ_ADD(db, "membership", "user_id", "3", "team_id", "1", "valid_from", "2025-01-01");
	FUZZ_ADD(db, "membership", "user_id", "4", "team_id", "1", "valid_from", "2025-01-01");
	FUZZ_ADD(db, "customer", "name", "Acme", "owner_id", "3", "industry", "retail",
		 "level", "A");
	FUZZ_ADD(db, "customer", "name", "Bolt", "owner_id", "4", "industry", "tech");
	FUZZ_ADD(db, "customer", "name", "Cato", "region", "east");
	FUZZ_ADD(db, "contact", "customer_id", "1", "name", "Wu");
	FUZZ_ADD(db, "pool_policy", "max_open", "3", "daily_claims", "5", "cooldown_days", "1");
	FUZZ_ADD(db, "assignment_rule", "position", "1", "name", "rr", "method", "round_robin",
		 "users", "3,4", "active", "true");
	fuzz_must(spm_pipeline_load(&p, db, sales_doc), "pipeline");
	fuzz_must(spm_pipeline_load(&p, db, strict_doc), "pipeline");
	FUZZ_ADD(db, "opportunity", "name", "D1", "pipeline_id", "1", "owner_id", "3",
		 "customer_id", "1", "amount", "1000.00 CNY", "expected_close", "2026-04-01",
		 "source", "web", "segment", "SMB");
	FUZZ_ADD(db, "opportunity", "name", "D2", "pipeline_id", "1", "owner_id", "4",
		 "customer_id", "2", "amount", "50.00 CNY", "lost_reason", "price",
		 "expected_close", "2026-05-01");
	FUZZ_ADD(db, "opportunity", "name", "D3", "pipeline_id", "2", "owner_id", "2",
		 "source", "fair");
	FUZZ_ADD(db, "opportunity", "name", "D4", "pipeline_id", "1", "owner_id", "3",
		 "amount", "300.00 CNY", "segment", "ENT");
	FUZZ_ADD(db, "line_item", "opportunity_id", "1", "product", "CRM", "quantity", "2",
		 "unit_price", "500.00 CNY");
	setup_move(db, 1, 2, 3);
	setup_move(db, 1, 3, 10);
	setup_move(db, 2, 4, 2);
	setup_move(db, 3, 6, 5);
	FUZZ_ADD(db, "lead", "company", "L1", "source", "web", "owner_id", "3");
	FUZZ_ADD(db, "lead", "company", "L2", "source", "fair");
	FUZZ_ADD(db, "lead", "company", "Zeta", "contact_name", "Li", "source", "web");
	FUZZ_ADD(db, "lead", "company", "L4", "owner_id", "4", "contact_name", "Ma");
	FUZZ_ADD(db, "activity", "type", "call", "at", "1767900000", "owner_id", "3",
		 "lead_id", "1");
	FUZZ_ADD(db, "activity", "type", "visit", "at", "1768000000", "owner_id", "4",
		 "customer_id", "2");
	spm_db_close(db);
}

static struct fuzz_image company;

/* ---- the digest (check 2) ---- */

/* The kinds the ops write come first: the digest after each op probes
 * those; a reopen compares all of them. */
static const char *const kinds[] = {
	"customer", "contact", "lead", "activity", "opportunity", "line_item",
	"stage_history", "ownership_change", "assignment_rule", "stage",
	"role", "user", "team", "membership", "pipeline", "pool_policy",
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define NKINDS_WRITTEN 10
enum { K_CUSTOMER, K_CONTACT, K_LEAD, K_ACTIVITY, K_OPP, K_LINE_ITEM, K_STAGE_HISTORY,
       K_OWNERSHIP, K_ASSIGNMENT_RULE, K_STAGE };

/* Change sequences are handed out as one database-wide series, so
 * "nothing changed" is "no record of any kind changed after the last one
 * seen": one index probe per kind. The audit trail has no such reader: it is
 * read whole only after a failed call (for entries of a newer change
 * sequence) and around a reopen. */
struct digest {
	int64_t seq;             /* the largest change sequence seen */
	int64_t max_id[NKINDS];  /* per kind the largest id seen (deleted ones too) */
	int64_t changed;         /* records seen changing since the input began */
	int64_t audit, outbox;   /* audit entries (-1: not counted), newest event */
};

static int digest_record(const spm_record *rec, void *payload)
{
	int64_t *k = payload; /* changed, max_id, max_seq of one kind */

	k[0]++;
	if (spm_record_id(rec) > k[1])
		k[1] = spm_record_id(rec);
	if (spm_record_seq(rec) > k[2])
		k[2] = spm_record_seq(rec);
	return 0;
}

static int digest_audit(const spm_audit_entry *e, void *payload)
{
	(void)e;
	++*(int64_t *)payload;
	return 0;
}

struct audit_since {
	int64_t seq, n, max;
};

static int count_audit_since(const spm_audit_entry *e, void *payload)
{
	struct audit_since *a = payload;

	a->n += e->change_seq > a->seq;
	if (e->change_seq > a->max)
		a->max = e->change_seq;
	return 0;
}

/* Audit entries of a change sequence above seq (what a failed call must not
 * leave); *max (may be NULL) gets the largest change sequence of the trail. */
static int64_t audit_after(int64_t *max, spm_db *db, int64_t seq)
{
	int64_t actor = spm_db_actor(db);
	struct audit_since a = { seq, 0, 0 };

	fuzz_must(spm_db_set_actor(db, 0), "audit actor");
	fuzz_must(spm_audit_foreach(db, NULL, 0, count_audit_since, &a), "audit");
	fuzz_must(spm_db_set_actor(db, actor), "audit actor");
	if (max)
		*max = a.max;
	return a.n;
}

/* Moves d past what changed since in the first nkinds kinds; read as the
 * system, which sees everything. */
static void take_digest(struct digest *d, spm_db *db, size_t nkinds, int with_audit)
{
	int64_t actor = spm_db_actor(db), seq = d->seq;

	fuzz_must(spm_db_set_actor(db, 0), "digest actor");
	for (size_t k = 0; k < nkinds; k++) {
		int64_t v[3] = { 0, d->max_id[k], seq };
		spm_query *q = NULL;

		fuzz_must(spm_query_new(&q, db, kinds[k]), "digest query");
		fuzz_must(spm_query_changed_since(q, seq), "digest since");
		fuzz_must(spm_query_foreach(q, digest_record, v), "digest");
		spm_query_free(q);
		d->changed += v[0];
		d->max_id[k] = v[1];
		if (v[2] > d->seq)
			d->seq = v[2];
	}
	d->audit = -1;
	if (with_audit) {
		d->audit = 0;
		fuzz_must(spm_audit_foreach(db, NULL, 0, digest_audit, &d->audit), "digest audit");
	}
	fuzz_must(spm_outbox_last(&d->outbox, db), "digest outbox");
	fuzz_must(spm_db_set_actor(db, actor), "digest actor");
}

static int same_digest(const struct digest *a, const struct digest *b)
{
	return a->seq == b->seq && a->changed == b->changed && a->outbox == b->outbox &&
	       (a->audit < 0 || b->audit < 0 || a->audit == b->audit);
}

/* ---- the world an input acts on ---- */

struct world {
	spm_db *db;
	const char *path;
	struct digest d;   /* as of the last op */
	int warm;          /* the long-lived handle has run a report */
	unsigned group;    /* the reports compared at the end, close and every 16 ops */
};

/* An id of kind k: 1 .. largest + 1 (one past the end). */
static int64_t pick_id(const struct world *w, size_t k, uint8_t operand)
{
	return 1 + (int64_t)(operand % (uint64_t)(w->d.max_id[k] + 1));
}

static const int64_t actors[] = { 0, 1, 2, 3, 4, 5, 99 };

/* ---- field values: good and bad ---- */

struct fv {
	const char *field, *value;
};

static const struct fv customer_fv[] = {
	{ "name", "Dune Co., Ltd." }, { "name", "" }, { "name", "\xff\xfe" },
	{ "owner_id", "3" }, { "owner_id", "4" }, { "owner_id", "99" }, { "owner_id", NULL },
	{ "industry", "retail" }, { "industry", "tech" }, { "region", "east" },
	{ "level", "B" }, { "lifecycle", "customer" }, { "lifecycle", "churned" },
	{ "lifecycle", "bogus" }, { "tags", " vip, a ,vip" }, { "tags", "a,,b" },
	{ "created_at", "1" }, { "nosuch", "x" },
};
static const struct fv contact_fv[] = {
	{ "customer_id", "1" }, { "customer_id", "2" }, { "customer_id", "77" },
	{ "name", "Zhang" }, { "name", NULL }, { "email", "z@x.cn" }, { "phone", "+86 10 1234" },
};
static const struct fv lead_fv[] = {
	{ "company", "Yak" }, { "company", "Zeta Ltd" }, { "contact_name", "Li" },
	{ "email", "li@x.cn" }, { "source", "web" }, { "source", "fair" }, { "source", NULL },
	{ "status", "qualified" }, { "status", "disqualified" }, { "status", "bogus" },
	{ "disqualify_reason", "spam" }, { "owner_id", "3" }, { "owner_id", "4" },
	{ "owner_id", NULL }, { "owner_id", "0" }, { "industry", "retail" },
	{ "region", "north" }, { "next_follow_up", "2026-03-02" },
};
static const struct fv opp_fv[] = {
	{ "name", "Big" }, { "amount", "100.00 CNY" }, { "amount", "99.99 CNY" },
	{ "amount", "5.00 USD" }, { "amount", "1.001 CNY" }, { "amount", "-3.00 CNY" },
	{ "amount", "92233720368547758.07 CNY" }, { "amount", NULL },
	{ "owner_id", "3" }, { "owner_id", "4" }, { "owner_id", "2" }, { "owner_id", "99" },
	{ "customer_id", "1" }, { "customer_id", "2" }, { "customer_id", "3" },
	{ "customer_id", "99" }, { "stage_id", "2" }, { "stage_id", "3" }, { "stage_id", "6" },
	{ "status", "won" }, { "expected_close", "2026-04-01" },
	{ "expected_close", "2026-02-30" }, { "expected_close", "2027-01-15" },
	{ "lost_reason", "price" }, { "lost_reason", NULL }, { "source", "web" },
	{ "source", "partner" }, { "segment", "SMB" }, { "segment", "ENT" },
	{ "segment", NULL }, { "pipeline_id", "2" }, { "pipeline_id", "9" },
	{ "closed_at", "1772000000" }, { "opened_at", "1760000000" }, { "seats", "12" },
	{ "seats", "-1" },
};
static const struct fv activity_fv[] = {
	{ "type", "call" }, { "type", "visit" }, { "type", "bogus" }, { "at", "1772300000" },
	{ "at", "1700000000" }, { "lead_id", "1" }, { "lead_id", "2" }, { "lead_id", NULL },
	{ "customer_id", "1" }, { "customer_id", "3" }, { "owner_id", "3" }, { "owner_id", "4" },
};
static const struct fv line_fv[] = {
	{ "opportunity_id", "1" }, { "opportunity_id", "4" }, { "opportunity_id", "3" },
	{ "product", "CRM" }, { "product", "Kiosk" }, { "quantity", "3" }, { "quantity", "0" },
	{ "quantity", "-1" }, { "unit_price", "10.00 CNY" }, { "unit_price", "1.00 USD" },
	{ "unit_price", "92233720368547758.07 CNY" }, { "discount_bp", "500" },
	{ "discount_bp", "20000" },
};

static const struct fv stage_fv[] = {
	{ "probability", "35" }, { "probability", "101" }, { "position", "0" },
	{ "position", "7" }, { "name", "Renamed" }, { "outcome", "won" }, { "outcome", "lost" },
	{ "outcome", "open" }, { "outcome", "bogus" }, { "required_fields", "amount" },
	{ "exit_criteria", "[{\"name\":\"x\",\"rule\":\"amount >\"}]" },
	{ "pipeline_id", "2" },
};

struct kind_fv {
	size_t kind;
	const struct fv *fv;
	size_t n;
	const struct fv *base; /* a valid new record (NULL-ended) */
};

static const struct fv customer_base[] = { { "name", "Newco" }, { "owner_id", "3" }, { NULL, NULL } };
static const struct fv contact_base[] = { { "customer_id", "1" }, { "name", "Sun" }, { NULL, NULL } };
static const struct fv lead_base[] = { { "company", "Newlead" }, { "source", "web" }, { NULL, NULL } };
static const struct fv opp_base[] = { { "name", "New" }, { "pipeline_id", "1" }, { "owner_id", "3" },
				      { "amount", "200.00 CNY" }, { NULL, NULL } };
static const struct fv activity_base[] = { { "type", "call" }, { "at", "1772200000" },
					   { "customer_id", "1" }, { "owner_id", "3" }, { NULL, NULL } };
static const struct fv stage_base[] = { { "pipeline_id", "1" }, { "name", "Extra" },
					{ "position", "9" }, { "probability", "70" }, { NULL, NULL } };
static const struct fv line_base[] = { { "opportunity_id", "4" }, { "product", "Pad" },
				       { "quantity", "1" }, { "unit_price", "20.00 CNY" }, { NULL, NULL } };

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct kind_fv writable[] = {
	{ K_CUSTOMER, customer_fv, N(customer_fv), customer_base },
	{ K_CONTACT, contact_fv, N(contact_fv), contact_base },
	{ K_LEAD, lead_fv, N(lead_fv), lead_base },
	{ K_OPP, opp_fv, N(opp_fv), opp_base },
	{ K_ACTIVITY, activity_fv, N(activity_fv), activity_base },
	{ K_LINE_ITEM, line_fv, N(line_fv), line_base },
	{ K_STAGE, stage_fv, N(stage_fv), stage_base },
};

#define SET_CODES (BIT(SPM_EINVAL) | BIT(SPM_ENOTFOUND) | BIT(SPM_EOVERFLOW) | BIT(SPM_ERANGE))
#define SAVE_CODES (BIT(SPM_EINVAL) | BIT(SPM_ECONFLICT) | BIT(SPM_ENOTFOUND) | BIT(SPM_EPERM))
/* Domain rules of the kinds written: dedupe (EEXISTS), money sums
 * (EOVERFLOW, ECURRENCY), pool limits (ELIMIT), dates (ERANGE). */
#define DOMAIN_CODES (BIT(SPM_EEXISTS) | BIT(SPM_EOVERFLOW) | BIT(SPM_ECURRENCY) | \
		      BIT(SPM_ELIMIT) | BIT(SPM_ERANGE))

/* Applies one value of the table (a failed set leaves the record as it was). */
static void apply_fv(spm_record *r, const struct kind_fv *kf, uint8_t pick)
{
	const struct fv *f = &kf->fv[pick % kf->n];

	check_rc(spm_record_set_from_text(r, f->field, f->value), SET_CODES, "set_from_text");
}

/* A record to save: new (with a valid base unless bare) or read back.
 * NULL when the read fails (checked). */
static spm_record *build_record(struct world *w, spm_db *db, uint8_t a, uint8_t b, uint8_t c,
				 int update)
{
	const struct kind_fv *kf = &writable[a % N(writable)];
	spm_record *r = NULL;

	if (update) {
		int64_t id = pick_id(w, kf->kind, (uint8_t)(a / N(writable)));

		if (check_rc(spm_record_get(&r, db, kinds[kf->kind], id),
			     BIT(SPM_ENOTFOUND), "record_get") != SPM_OK)
			return NULL;
	} else {
		fuzz_must(spm_record_new(&r, db, kinds[kf->kind]), "record_new");
		if (!(c & 0x80))
			for (const struct fv *f = kf->base; f->field; f++)
				fuzz_must(spm_record_set_from_text(r, f->field, f->value), f->field);
	}
	apply_fv(r, kf, b);
	if (c & 0x40)
		apply_fv(r, kf, (uint8_t)(c & 0x3f));
	return r;
}

/* ---- reports (check 3) ---- */

static const char *const reports[] = {
	"{\"query\":\"funnel\",\"pipeline\":1,\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"}",
	"{\"query\":\"funnel\",\"pipeline\":1,\"funnel\":\"reached\",\"group_by\":\"owner\"}",
	"{\"query\":\"funnel\",\"pipeline\":2,\"funnel\":\"current\",\"group_by\":\"field:segment\"}",
	"{\"query\":\"funnel\",\"pipeline\":1,\"group_by\":\"team\",\"period\":\"month\"}",
	"{\"query\":\"win_rate\",\"group_by\":\"owner\"}",
	"{\"query\":\"win_rate\",\"group_by\":\"segment\",\"period\":\"quarter\",\"drill\":true}",
	"{\"query\":\"win_rate\",\"group_by\":\"grade\",\"rule\":\"amount >= 100.00 CNY\"}",
	"{\"query\":\"cycle\",\"group_by\":\"industry\"}",
	"{\"query\":\"cycle\",\"group_by\":\"source\",\"from\":\"2026-01-01\"}",
	"{\"query\":\"time_in_stage\",\"group_by\":\"stage\"}",
	"{\"query\":\"velocity\",\"group_by\":\"pipeline\"}",
	"{\"query\":\"pipeline\",\"group_by\":\"product\"}",
	"{\"query\":\"pipeline\",\"group_by\":\"stage\",\"filters\":"
	"[{\"field\":\"owner\",\"op\":\"!=\",\"value\":4}]}",
	"{\"query\":\"lead_conversion\",\"group_by\":\"source\"}",
	"{\"query\":\"activities\",\"group_by\":\"owner\",\"period\":\"day\"}",
	"{\"query\":\"win_rate\",\"group_by\":\"region\",\"filters\":"
	"[{\"field\":\"status\",\"op\":\"=\",\"value\":\"won\"}]}",
	"{\"query\":\"pipeline\",\"group_by\":\"field:seats\"}",
	"{\"query\":\"cycle\",\"group_by\":\"owner\",\"rule\":\"seats >= 10\"}",
	"{\"query\":\"pipeline\",\"group_by\":\"owner\",\"rule\":"
	"\"expected_close >= today()\"}",
	"{\"query\":\"funnel\",\"pipeline\":2,\"group_by\":\"industry\",\"period\":\"week\"}",
};
#define NREPORTS N(reports)
#define REPORT_CODES (BIT(SPM_EINVAL) | BIT(SPM_ENOTFOUND) | BIT(SPM_ECURRENCY) | \
		      BIT(SPM_EOVERFLOW) | BIT(SPM_ERANGE) | BIT(SPM_EPERM))

/* Runs report i; its status, and its CSV in *csv when it ran. */
static int run_report(struct fuzz_text *csv, spm_db *db, size_t i)
{
	spm_result *res = NULL;
	int rc = check_rc(spm_report_run(&res, db, reports[i]), REPORT_CODES, reports[i]);

	if (rc == SPM_OK) {
		if (spm_result_csv(res, fuzz_collect, csv) != SPM_OK)
			fail("the CSV export failed", reports[i]);
	} else if (res != NULL) {
		fail("a result on failure", reports[i]);
	}
	spm_result_free(res);
	return rc;
}

/* Check 3: the long-lived handle and a fresh one answer alike, for the
 * reports of a group (i % 4 == group: each group mixes the queries; five
 * of twenty keep an input fast). */
static void compare_fresh(struct world *w, unsigned group)
{
	spm_db *fresh = open_at(w->path);

	fuzz_must(spm_db_set_actor(fresh, spm_db_actor(w->db)), "fresh actor");
	for (size_t i = group % 4; i < NREPORTS; i += 4) {
		struct fuzz_text a = { NULL, 0 }, b = { NULL, 0 };
		int rc_a = run_report(&a, w->db, i), rc_b = run_report(&b, fresh, i);

		if (rc_a != rc_b)
			fail("the long-lived handle and a fresh one disagree on the status",
			     reports[i]);
		if ((a.p == NULL) != (b.p == NULL) || (a.p && strcmp(a.p, b.p) != 0)) {
			fprintf(stderr, "long-lived:\n%s\nfresh:\n%s\n", a.p ? a.p : "(none)",
				b.p ? b.p : "(none)");
			fail("the long-lived handle and a fresh one give other answers",
			     reports[i]);
		}
		free(a.p);
		free(b.p);
	}
	spm_db_close(fresh);
	w->warm = 1;
}

/* ---- the ops ---- */

enum effect { READS, WRITES, MAY_WRITE };
#define NOPS 21

static int count_cb(const spm_record *rec, void *payload)
{
	(void)rec;
	++*(size_t *)payload;
	return 0;
}

static const char *const keys[] = { NULL, "k1", "k2", "" };
static const char *const reasons[] = { "customer asked", "", NULL };

struct field_def {
	const char *kind, *name;
};
static const struct field_def new_fields[] = {
	{ "opportunity", "seats" }, { "opportunity", "segment" }, { "opportunity", "amount" },
	{ "customer", "tier" },	    { "lead", "score" },	  { "opportunity", "Bad Name" },
	{ "contact", "title" },	    { "nosuch", "x" },
};
static const char *const enum_choices[] = { "gold", "silver" };

/* A copy read before a stored change is stale: saving a change through it
 * must fail with SPM_ECONFLICT and change nothing. */
static int op_stale(struct world *w, uint8_t a, uint8_t b, uint8_t c)
{
	const struct kind_fv *kf = &writable[a % N(writable)];
	int64_t id = pick_id(w, kf->kind, (uint8_t)(a / N(writable)));
	spm_record *r = NULL, *old = NULL;
	struct digest before;
	int rc;

	if (check_rc(spm_record_get(&r, w->db, kinds[kf->kind], id), BIT(SPM_ENOTFOUND),
		     "record_get") != SPM_OK)
		return SPM_ENOTFOUND;
	fuzz_must(spm_record_dup(&old, r), "dup");
	apply_fv(r, kf, b);
	rc = check_rc(spm_record_save(w->db, r), SAVE_CODES | DOMAIN_CODES, "save");
	if (rc == SPM_OK && spm_record_seq(r) != spm_record_seq(old) &&
	    spm_record_set_from_text(old, kf->fv[c % kf->n].field, kf->fv[c % kf->n].value) ==
		    SPM_OK) {
		take_digest(&w->d, w->db, NKINDS_WRITTEN, 0);
		before = w->d;
		rc = check_rc(spm_record_save(w->db, old), SAVE_CODES | DOMAIN_CODES, "stale save");
		if (rc != SPM_ECONFLICT)
			fail("a stale copy saved", spm_result_name(rc));
		take_digest(&w->d, w->db, NKINDS_WRITTEN, 0);
		if (!same_digest(&before, &w->d) || audit_after(NULL, w->db, before.seq) != 0)
			fail("a refused stale save changed something", kinds[kf->kind]);
		rc = SPM_OK; /* the first save happened */
	}
	spm_record_free(r);
	spm_record_free(old);
	return rc;
}

static int op_batch(struct world *w, uint8_t a, uint8_t b, uint8_t c, const uint8_t *more,
		    size_t nmore, int *wrote)
{
	spm_batch *batch = NULL;
	int rc;
	size_t n = 1 + a % 3;

	fuzz_must(spm_batch_new(&batch, w->db), "batch_new");
	for (size_t i = 0; i < n; i++) {
		uint8_t x = i * 2 < nmore ? more[i * 2] : (uint8_t)i,
			y = i * 2 + 1 < nmore ? more[i * 2 + 1] : b;

		if (x & 0x80) {
			const struct kind_fv *kf = &writable[x % N(writable)];

			check_rc(spm_batch_delete(batch, kinds[kf->kind],
						  pick_id(w, kf->kind, y)),
				 BIT(SPM_ENOTFOUND), "batch_delete");
			*wrote = 1;
		} else {
			spm_record *r = build_record(w, w->db, x, y, (uint8_t)(c & 0xc0), x & 0x40);

			if (r) {
				fuzz_must(spm_batch_save(batch, r), "batch_save");
				if (spm_record_id(r) == 0)
					*wrote = 1;
				spm_record_free(r);
			}
		}
	}
	if (c & 1) {
		spm_batch_free(batch); /* abandoned */
		*wrote = 0;
		return SPM_OK;
	}
	rc = check_rc(spm_batch_commit(batch, keys[(c >> 1) % N(keys)]),
		      SAVE_CODES | DOMAIN_CODES | BIT(SPM_ECONFLICT), "batch_commit");
	if (rc == SPM_OK && (spm_batch_replayed(batch) || spm_batch_count(batch) == 0))
		*wrote = 0;
	if (rc == SPM_OK)
		for (size_t i = 0; i < spm_batch_count(batch); i++) {
			int64_t id;

			fuzz_must(spm_batch_id(&id, batch, i), "batch_id");
		}
	spm_batch_free(batch);
	return rc;
}

/* Close and reopen: the whole digest (every record from the start) is kept. */
static void reopen(struct world *w)
{
	int64_t actor = spm_db_actor(w->db);
	struct digest before = { 0 }, after = { 0 };

	if (w->warm)
		compare_fresh(w, w->group);
	take_digest(&before, w->db, NKINDS, 1);
	spm_db_close(w->db);
	w->db = open_at(w->path);
	w->warm = 0;
	fuzz_must(spm_db_set_actor(w->db, actor), "actor");
	take_digest(&after, w->db, NKINDS, 1);
	if (!same_digest(&before, &after) ||
	    memcmp(before.max_id, after.max_id, sizeof(before.max_id)) != 0)
		fail("a close and reopen changed the digest", NULL);
}

/* Runs one op; returns its status and what it may have done. */
static int run_op(struct world *w, const uint8_t *op, const uint8_t *more, size_t nmore,
		  enum effect *eff)
{
	uint8_t a = op[1], b = op[2], c = op[3];
	int rc = SPM_OK, wrote = 0;
	spm_record *r;

	*eff = READS;
	switch (op[0] % NOPS) {
	case 0: /* actor */
		actor_not_user = actors[a % N(actors)] >= 5;
		return check_rc(spm_db_set_actor(w->db, actors[a % N(actors)]), 0, "set_actor");
	case 1: /* create */
	case 2: /* update */
		r = build_record(w, w->db, a, b, c, op[0] % NOPS == 2);
		if (r == NULL)
			return SPM_ENOTFOUND;
		*eff = op[0] % NOPS == 1 ? WRITES : MAY_WRITE;
		rc = check_rc(spm_record_save(w->db, r), SAVE_CODES | DOMAIN_CODES, "save");
		spm_record_free(r);
		return rc;
	case 3: { /* delete (also a stage change or an ownership row) */
		size_t k = c & 1 ? (c & 2 ? K_OWNERSHIP : K_STAGE_HISTORY)
				 : writable[a % N(writable)].kind;

		*eff = WRITES;
		return check_rc(spm_record_delete(w->db, kinds[k], pick_id(w, k, b)),
				BIT(SPM_EINVAL) | BIT(SPM_ENOTFOUND) | BIT(SPM_EPERM), "delete");
	}
	case 4: /* batch */
		rc = op_batch(w, a, b, c, more, nmore, &wrote);
		*eff = wrote ? WRITES : MAY_WRITE;
		return rc;
	case 5: { /* move */
		spm_gate_report *g = NULL;
		const char *reason = c & 1 ? reasons[(c >> 1) % N(reasons)] : NULL;

		*eff = WRITES;
		rc = check_rc(spm_opportunity_move(&g, w->db, pick_id(w, K_OPP, a),
						   pick_id(w, K_STAGE, b), reason),
			      BIT(SPM_EGATE) | BIT(SPM_EPERM) | BIT(SPM_EINVAL) | BIT(SPM_ENOTFOUND),
			      "move");
		if (rc == SPM_EGATE && spm_gate_report_count(g) == 0)
			fail("a gate refusal without unmet criteria", NULL);
		if (rc != SPM_EGATE && rc != SPM_OK && g != NULL)
			fail("a gate report with another refusal", spm_result_name(rc));
		for (size_t i = 0; i < spm_gate_report_count(g); i++) {
			const char *name, *rule, *why;

			fuzz_must(spm_gate_report_item(&name, &rule, &why, g, i), "gate item");
			if (name == NULL || why == NULL)
				fail("a gate item without a name", NULL);
		}
		spm_gate_report_free(g);
		return rc;
	}
	case 6: { /* gate check */
		spm_gate_report *g = NULL;

		rc = check_rc(spm_opportunity_check_gate(&g, w->db, pick_id(w, K_OPP, a)),
			      BIT(SPM_ENOTFOUND) | BIT(SPM_EINVAL), "check_gate");
		spm_gate_report_free(g);
		return rc;
	}
	case 7: /* claim */
		*eff = WRITES;
		return check_rc(spm_lead_claim(w->db, pick_id(w, K_LEAD, a)),
				BIT(SPM_ENOTFOUND) | BIT(SPM_ECONFLICT) | BIT(SPM_ELIMIT) |
					BIT(SPM_EPERM),
				"claim");
	case 8: /* release */
		*eff = WRITES;
		return check_rc(spm_lead_release(w->db, pick_id(w, K_LEAD, a),
						 reasons[b % N(reasons)]),
				BIT(SPM_ENOTFOUND) | BIT(SPM_EINVAL) | BIT(SPM_EPERM), "release");
	case 9: { /* assign the pool */
		spm_lead_assign_options o = SPM_LEAD_ASSIGN_OPTIONS_INIT;
		size_t n = 0;

		o.seed = c;
		rc = check_rc(spm_lead_assign_pool2(&n, w->db, a & 1 ? &o : NULL),
			      BIT(SPM_EPERM) | BIT(SPM_EINVAL), "assign_pool");
		*eff = rc == SPM_OK && n > 0 ? WRITES : MAY_WRITE;
		return rc;
	}
	case 10: { /* convert */
		spm_lead_convert_options o = SPM_LEAD_CONVERT_OPTIONS_INIT;
		int64_t cu = -1, co = -1, op_id = -1;

		o.pipeline_id = b % 4;
		o.stage_id = c % 4 == 3 ? 0 : c % 9;
		o.amount_minor = c & 0x10 ? 12345 : -5;
		o.amount_currency = c & 0x20 ? "CNY" : c & 0x40 ? "XXZ" : NULL;
		o.opportunity_name = c & 0x80 ? "From lead" : NULL;
		*eff = WRITES;
		if (b & 0x80)
			rc = spm_lead_convert(&cu, &co, w->db, pick_id(w, K_LEAD, a));
		else
			rc = spm_lead_convert2(&cu, &co, &op_id, w->db, pick_id(w, K_LEAD, a), &o);
		return check_rc(rc,
				BIT(SPM_ENOTFOUND) | BIT(SPM_EINVAL) | BIT(SPM_EPERM) |
					BIT(SPM_ECURRENCY) | BIT(SPM_EOVERFLOW),
				"convert");
	}
	case 11: { /* merge */
		size_t k = c & 1 ? K_LEAD : K_CUSTOMER;

		*eff = WRITES;
		return check_rc(spm_record_merge(w->db, kinds[k], pick_id(w, k, a), pick_id(w, k, b)),
				BIT(SPM_EINVAL) | BIT(SPM_ENOTFOUND) | BIT(SPM_EPERM), "merge");
	}
	case 12: { /* custom field */
		const struct field_def *f = &new_fields[a % N(new_fields)];
		spm_field_options o = SPM_FIELD_OPTIONS_INIT;
		spm_field_type t = (spm_field_type)(1 + b % 8);

		if (t == SPM_FIELD_ENUM && !(c & 1)) {
			o.choices = enum_choices;
			o.nchoices = N(enum_choices);
		}
		if (c & 2)
			o.flags = SPM_FIELD_REQUIRED;
		*eff = WRITES;
		return check_rc(spm_field_add(w->db, f->kind, f->name, t, c & 4 ? NULL : &o),
				BIT(SPM_EINVAL) | BIT(SPM_ENOTFOUND) | BIT(SPM_EEXISTS) |
					BIT(SPM_EPERM),
				"field_add");
	}
	case 13: { /* report */
		struct fuzz_text t = { NULL, 0 };

		rc = run_report(&t, w->db, a % NREPORTS);
		free(t.p);
		w->warm = 1;
		return rc;
	}
	case 14: { /* query */
		static const char *const fields[] = { "owner_id", "status", "source", "stage_id",
						      "amount", "nosuch" };
		const struct kind_fv *kf = &writable[a % N(writable)];
		spm_query *q = NULL;
		size_t n = 0;

		fuzz_must(spm_query_new(&q, w->db, kinds[kf->kind]), "query_new");
		if (b & 1)
			check_rc(spm_query_where_int(q, fields[(b >> 1) % N(fields)],
						     (spm_compare)(1 + c % 6), c >> 3),
				 BIT(SPM_ENOTFOUND) | BIT(SPM_EINVAL), "where_int");
		else if (b & 2)
			check_rc(spm_query_where_text(q, fields[(b >> 2) % N(fields)],
						      (spm_compare)(1 + c % 6), "web"),
				 BIT(SPM_ENOTFOUND) | BIT(SPM_EINVAL), "where_text");
		if (c & 0x80)
			check_rc(spm_query_changed_since(q, c & 0x3f), 0, "changed_since");
		rc = check_rc(spm_query_foreach(q, count_cb, &n), 0, "query_foreach");
		spm_query_free(q);
		return rc;
	}
	case 15: /* compare with a fresh handle */
		compare_fresh(w, a);
		return SPM_OK;
	case 16: /* close and reopen */
		reopen(w);
		return SPM_OK;
	case 17: /* time passes */
		now_s += (spm_time)a * 3600 + (spm_time)b * 60;
		return SPM_OK;
	case 18: /* stale save */
		*eff = MAY_WRITE;
		return op_stale(w, a, b, c);
	case 19: { /* another handle writes (as the system): read from storage */
		spm_db *other = open_at(w->path);

		r = build_record(w, other, a, b, c, c & 0x20);
		if (r == NULL) {
			spm_db_close(other);
			return SPM_ENOTFOUND;
		}
		*eff = c & 0x20 ? MAY_WRITE : WRITES;
		rc = check_rc(spm_record_save(other, r), SAVE_CODES | DOMAIN_CODES, "other save");
		spm_record_free(r);
		spm_db_close(other);
		return rc;
	}
	default: { /* customer 360 */
		spm_customer_view *v = NULL;

		rc = check_rc(spm_customer_360(&v, w->db, pick_id(w, K_CUSTOMER, a)),
			      BIT(SPM_ENOTFOUND) | BIT(SPM_EOVERFLOW), "customer_360");
		if (rc == SPM_OK && spm_customer_view_json(v) == NULL)
			fail("a view without JSON", NULL);
		spm_customer_view_free(v);
		return rc;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int trace = -1;
	struct world w = { 0 };
	size_t nops;

	if (trace < 0) /* FUZZ_API_TRACE=1 prints every op (to write seeds) */
		trace = getenv("FUZZ_API_TRACE") != NULL;

	if (size < 1)
		return 0;
	input = data;
	input_len = size;
	op_at = 0;
	actor_not_user = 0;
	now_s = T_BUILD;
	w.group = data[0] >> 1;
	w.path = fuzz_image_copy_shm(&company, "api", make_company);
	now_s = T_START;
	w.db = open_at(w.path);
	take_digest(&w.d, w.db, NKINDS, 0);
	if (data[0] & 1) {
		struct fuzz_text t = { NULL, 0 };

		run_report(&t, w.db, 0);
		free(t.p);
		w.warm = 1;
	}
	nops = (size - 1) / 4;
	if (nops > MAX_OPS)
		nops = MAX_OPS;
	for (size_t i = 0; i < nops; i++) {
		const uint8_t *op = data + 1 + i * 4;
		struct digest before = w.d;
		enum effect eff;
		int rc;

		op_at = i;
		rc = run_op(&w, op, op + 4, (nops - i - 1) * 4, &eff);
		if (trace)
			fprintf(stderr, "op %zu: %02x %02x %02x %02x: %s %s\n", i, op[0], op[1],
				op[2], op[3], spm_result_name(rc), rc ? spm_error_message() : "");
		take_digest(&w.d, w.db, NKINDS_WRITTEN, 0);
		if (rc != SPM_OK && !same_digest(&before, &w.d))
			fail("a call that failed changed something", spm_result_name(rc));
		if (rc != SPM_OK && eff != READS && audit_after(NULL, w.db, before.seq) != 0)
			fail("a call that failed left audit entries", spm_result_name(rc));
		if (rc == SPM_OK && op[0] % NOPS == 12) {
			/* a field definition is no record the digest reads: its
			 * change sequence comes from its audit entry */
			int64_t max;

			if (audit_after(&max, w.db, before.seq) == 0)
				fail("a field added without an audit entry", NULL);
			if (max > w.d.seq)
				w.d.seq = max;
		}
		if (rc == SPM_OK && eff == READS && !same_digest(&before, &w.d))
			fail("a read changed something", NULL);
		if (rc == SPM_OK && eff == WRITES && same_digest(&before, &w.d))
			fail("a write that succeeded changed nothing", NULL);
		if (w.warm && i % 16 == 15)
			compare_fresh(&w, w.group);
	}
	op_at = nops;
	if (w.warm)
		compare_fresh(&w, w.group);
	spm_db_close(w.db);
	if (fuzz_live != 0)
		fail("an allocation is left live", NULL);
	return 0;
}

/* Called by replay_main.c after the last input. */
void fuzz_replay_done(void);

void fuzz_replay_done(void)
{
	fuzz_image_free(&company);
}
