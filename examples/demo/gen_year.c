/* spm demo: a simulated fiscal year, day by day on the handle's clock:
 * leads arrive and are claimed or assigned, reps follow up, qualified leads
 * become customers and deals, deals move through the gated pipeline (some
 * blocked, then fixed; a few overridden), won deals get contracts, payment
 * plans and payments, and a tick on the 1st of each month raises the target warnings. */
#include "demo.h"
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define NEVER INT32_MAX

enum lead_step { L_NEW, L_CONTACTED, L_DONE };

struct lead {
	int64_t id, owner;
	int region, step;
	spm_date next;
	char company[48], source[16];
};

struct deal {
	int64_t id, owner, amount;
	int stage;      /* index into co->stage */
	int fate;       /* 0 won, 1 lost, 2 stays open */
	int last_stage; /* where a lost or open deal stops */
	int will_visit, visited, will_price, priced;
	int64_t customer;
	spm_date next, expected_close;
};

struct payment_due {
	int64_t contract, installment, amount;
	spm_date on;
};

struct sim {
	demo_company *co;
	spm_db *db;
	demo_clock *clock;
	demo_rng rng;
	struct lead *leads;
	size_t nleads, caplead;
	struct deal *deals;
	size_t ndeals, capdeal;
	struct payment_due *pays;
	size_t npays, cappay;
	spm_date day;
};

static const char *const sources[] = { "web", "web", "web", "referral", "referral", "fair",
				       "partner", "cold_call" };
static const char *const industries[] = { "Manufacturing", "Retail", "Logistics",
					  "Healthcare", "Education", "Finance" };
static const char *const prefixes[] = { "Hua", "Xin", "Jin", "Tian", "Hong", "Da", "Yong",
					"Ming", "Sheng", "Kang", "Rui", "Bao" };
static const char *const suffixes[] = { "tong", "feng", "cheng", "da", "xing", "yuan",
					"long", "hai", "shan", "li" };
static const char *const kinds[] = { "Tech", "Logistics", "Foods", "Textiles", "Motors",
				     "Pharma", "Retail", "Energy" };
static const char *const contacts[] = { "Mr. Qian", "Ms. Fang", "Mr. Du", "Ms. Jiang",
					"Mr. Yu", "Ms. Shen", "Mr. Lu", "Ms. Cui" };
static const char *const products[] = { "SPM Cloud seats", "Onboarding package",
					"Analytics add-on", "Premium support" };
static const int64_t prices[] = { 120000, 3000000, 4500000, 1800000 }; /* minor units */
static const char *const lost_reasons[] = { "No budget", "Chose a competitor",
					    "Project cancelled", "No decision" };

#define PICK(r, a) (a[demo_rng_below((r), sizeof(a) / sizeof(a[0]))])

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 256;
	return realloc(p, *cap * size);
}

static void tick_clock(struct sim *s, int seconds)
{
	s->clock->now += seconds;
}

static int64_t rep_of_region(struct sim *s, int region)
{
	/* Teams 0-2 are East, 3-4 North (gen_org.c). */
	int first = region == 0 ? 0 : 3, nteams = region == 0 ? 3 : 2;
	return s->co->rep[first * DEMO_REPS_PER_TEAM +
			  (int)demo_rng_below(&s->rng, (uint64_t)nteams * DEMO_REPS_PER_TEAM)];
}

static int64_t manager_of(struct sim *s, int64_t rep)
{
	for (int i = 0; i < DEMO_REPS; i++)
		if (s->co->rep[i] == rep)
			return s->co->region_mgr[i / DEMO_REPS_PER_TEAM < 3 ? 0 : 1];
	return s->co->admin;
}

static spm_date later(struct sim *s, int min, int spread)
{
	spm_date d;
	spm_date_add_days(&d, s->day, min + (int)demo_rng_below(&s->rng, (uint64_t)spread));
	return d;
}

/* ------------------------------------------------------------ leads */

static int new_leads(struct sim *s, int n)
{
	spm_batch *batch;
	int rc;
	size_t first = s->nleads;
	TRY(spm_batch_new(&batch, s->db));
	for (int i = 0; i < n; i++) {
		struct lead *l;
		const char *prefix, *suffix, *kind;
		spm_record *rec;
		s->leads = grow(s->leads, &s->caplead, s->nleads, sizeof(*s->leads));
		if (s->leads == NULL) {
			spm_batch_free(batch);
			return SPM_ENOMEM;
		}
		l = &s->leads[s->nleads++];
		memset(l, 0, sizeof(*l));
		l->region = demo_rng_pct(&s->rng, 60) ? 0 : 1;
		/* one draw per statement: the order of a call's arguments is
		 * unspecified (gcc and clang differ), the seed's names must not be */
		kind = PICK(&s->rng, kinds);
		suffix = PICK(&s->rng, suffixes);
		prefix = PICK(&s->rng, prefixes);
		snprintf(l->company, sizeof(l->company), "%s%s %s", prefix, suffix, kind);
		snprintf(l->source, sizeof(l->source), "%s", PICK(&s->rng, sources));
		rc = spm_record_new(&rec, s->db, "lead");
		if (rc == SPM_OK) {
			spm_record_set_text(rec, "company", l->company);
			spm_record_set_text(rec, "contact_name", PICK(&s->rng, contacts));
			spm_record_set_text(rec, "source", l->source);
			spm_record_set_text(rec, "region", l->region == 0 ? "East" : "North");
			spm_record_set_text(rec, "industry", PICK(&s->rng, industries));
			spm_record_set_text(rec, "status", "new");
			rc = spm_batch_save(batch, rec);
			spm_record_free(rec);
		}
		if (rc != SPM_OK) {
			spm_batch_free(batch);
			return rc;
		}
	}
	rc = spm_batch_commit(batch, NULL);
	for (size_t i = first; rc == SPM_OK && i < s->nleads; i++)
		rc = spm_batch_id(&s->leads[i].id, batch, i - first);
	spm_batch_free(batch);
	s->co->leads += n;
	if (rc != SPM_OK)
		return rc;

	/* A quarter of the leads are claimed by a rep of their region at once;
	 * the assignment rules give out the rest. */
	for (size_t i = first; i < s->nleads; i++) {
		if (!demo_rng_pct(&s->rng, 25))
			continue;
		int64_t rep = rep_of_region(s, s->leads[i].region);
		TRY(spm_db_set_actor(s->db, rep));
		rc = spm_lead_claim(s->db, s->leads[i].id);
		TRY(spm_db_set_actor(s->db, 0));
		if (rc != SPM_OK && rc != SPM_ELIMIT)
			return rc;
		tick_clock(s, 120);
	}
	{
		spm_lead_assign_options opts = SPM_LEAD_ASSIGN_OPTIONS_INIT;
		opts.seed = s->co->seed;
		TRY(spm_lead_assign_pool2(NULL, s->db, &opts));
	}
	for (size_t i = first; i < s->nleads; i++) {
		spm_record *rec;
		TRY(spm_record_get(&rec, s->db, "lead", s->leads[i].id));
		if (spm_record_get_int(&s->leads[i].owner, rec, "owner_id") != SPM_OK)
			s->leads[i].owner = 0;
		spm_record_free(rec);
		s->leads[i].next = later(s, 1, 3);
	}
	return SPM_OK;
}

static int add_activity(struct sim *s, const char *type, const char *field, int64_t id,
			int64_t owner, int64_t opportunity, int follow_up_days)
{
	spm_record *rec;
	int rc;
	TRY(spm_record_new(&rec, s->db, "activity"));
	spm_record_set_text(rec, "type", type);
	spm_record_set_time(rec, "at", s->clock->now);
	spm_record_set_int(rec, field, id);
	spm_record_set_int(rec, "owner_id", owner);
	if (opportunity)
		spm_record_set_int(rec, "opportunity_id", opportunity);
	if (follow_up_days > 0) {
		spm_date d;
		spm_date_add_days(&d, s->day, follow_up_days);
		spm_record_set_date(rec, "next_follow_up", d);
	}
	rc = spm_record_save(s->db, rec);
	spm_record_free(rec);
	s->co->activities++;
	tick_clock(s, 300);
	return rc;
}

static int open_deal(struct sim *s, struct lead *l);

static int work_lead(struct sim *s, struct lead *l)
{
	spm_record *rec;
	int rc;
	if (l->owner == 0) { /* left in the pool: a later assignment run may give it out */
		TRY(spm_record_get(&rec, s->db, "lead", l->id));
		if (spm_record_get_int(&l->owner, rec, "owner_id") != SPM_OK)
			l->owner = 0;
		spm_record_free(rec);
		if (l->owner == 0) {
			l->next = later(s, 1, 1);
			return SPM_OK;
		}
	}
	if (l->step == L_NEW) {
		TRY(add_activity(s, "call", "lead_id", l->id, l->owner, 0, 5));
		l->step = L_CONTACTED;
		l->next = later(s, 3, 10);
		return SPM_OK;
	}
	l->step = L_DONE;
	l->next = NEVER;
	if (demo_rng_pct(&s->rng, 34)) { /* qualified: a customer and a deal */
		int64_t customer;
		TRY(spm_lead_convert(&customer, NULL, s->db, l->id));
		(void)customer;
		return open_deal(s, l);
	}
	if (demo_rng_pct(&s->rng, 50)) {
		TRY(spm_record_get(&rec, s->db, "lead", l->id));
		spm_record_set_text(rec, "status", "disqualified");
		spm_record_set_text(rec, "disqualify_reason", "Not a fit");
		rc = spm_record_save(s->db, rec);
		spm_record_free(rec);
		return rc;
	}
	return add_activity(s, "email", "lead_id", l->id, l->owner, 0, 0);
}

/* ------------------------------------------------------------ deals */

static int open_deal(struct sim *s, struct lead *l)
{
	spm_record *rec, *lead;
	struct deal *d;
	int64_t customer = 0;
	int rc;
	TRY(spm_record_get(&lead, s->db, "lead", l->id));
	spm_record_get_int(&customer, lead, "converted_customer_id");
	spm_record_free(lead);
	s->deals = grow(s->deals, &s->capdeal, s->ndeals, sizeof(*s->deals));
	if (s->deals == NULL)
		return SPM_ENOMEM;
	d = &s->deals[s->ndeals];
	memset(d, 0, sizeof(*d));
	d->owner = l->owner;
	/* 20..200 thousand CNY, in whole hundreds. */
	d->amount = (int64_t)(200 + demo_rng_below(&s->rng, 1800)) * 10000;
	d->expected_close = later(s, 45, 60);
	d->fate = demo_rng_pct(&s->rng, 38) ? 0 : demo_rng_pct(&s->rng, 70) ? 1 : 2;
	d->last_stage = d->fate == 0 ? 4 : (int)demo_rng_below(&s->rng, 5);
	d->customer = customer;
	d->will_visit = !demo_rng_pct(&s->rng, 30); /* some reps forget the visit... */
	d->will_price = !demo_rng_pct(&s->rng, 25); /* ...or to price the deal */
	d->next = later(s, 4, 14);
	TRY(spm_record_new(&rec, s->db, "opportunity"));
	{
		char name[96];
		snprintf(name, sizeof(name), "%s - %s", l->company, PICK(&s->rng, products));
		spm_record_set_text(rec, "name", name);
	}
	spm_record_set_int(rec, "pipeline_id", s->co->pipeline);
	spm_record_set_int(rec, "owner_id", d->owner);
	if (customer)
		spm_record_set_int(rec, "customer_id", customer);
	spm_record_set_int(rec, "lead_id", l->id);
	spm_record_set_text(rec, "source", l->source);
	spm_record_set_money(rec, "amount", d->amount, DEMO_CURRENCY);
	spm_record_set_date(rec, "expected_close", d->expected_close);
	rc = spm_record_save(s->db, rec);
	d->id = spm_record_id(rec);
	spm_record_free(rec);
	TRY(rc);
	s->ndeals++;
	s->co->opportunities++;
	tick_clock(s, 600);
	return SPM_OK;
}

/* Line items matching the deal's amount, and a quote sent for them. */
static int price_deal(struct sim *s, struct deal *d)
{
	int64_t seats_price = prices[0], quote = 0, extra = d->amount;
	int product = 1 + (int)demo_rng_below(&s->rng, 3);
	spm_record *rec;
	int rc;
	if (extra > prices[product])
		extra -= prices[product];
	else
		product = 0;
	/* The rest in seats: quantity x price, a last line for the remainder. */
	const struct { const char *product; int64_t qty, price; } lines[] = {
		{ products[product], 1, product ? prices[product] : 0 },
		{ products[0], extra / seats_price, seats_price },
		{ "Services", 1, extra % seats_price },
	};
	TRY(spm_record_new(&rec, s->db, "quote"));
	spm_record_set_int(rec, "opportunity_id", d->id);
	spm_record_set_date(rec, "valid_until", later(s, 30, 1));
	rc = spm_record_save(s->db, rec);
	quote = spm_record_id(rec);
	spm_record_free(rec);
	TRY(rc);
	for (size_t i = 0; i < 3; i++) {
		if (lines[i].qty <= 0 || lines[i].price <= 0)
			continue;
		for (int k = 0; k < 2; k++) {
			TRY(spm_record_new(&rec, s->db, k ? "quote_line" : "line_item"));
			spm_record_set_int(rec, k ? "quote_id" : "opportunity_id", k ? quote : d->id);
			spm_record_set_text(rec, "product", lines[i].product);
			spm_record_set_int(rec, "quantity", lines[i].qty);
			spm_record_set_money(rec, "unit_price", lines[i].price, DEMO_CURRENCY);
			rc = spm_record_save(s->db, rec);
			spm_record_free(rec);
			TRY(rc);
		}
	}
	TRY(spm_quote_send(NULL, s->db, quote));
	s->co->quotes++;
	d->priced = 1;
	tick_clock(s, 900);
	return SPM_OK;
}

static int sign_contract(struct sim *s, struct deal *d)
{
	int64_t contract, amounts[3];
	spm_date due[3];
	size_t n = 1 + demo_rng_below(&s->rng, 3);
	spm_record *rec;
	spm_query *q;
	spm_record_iter *it;
	const spm_record *inst;
	char number[32];
	int rc;
	TRY(spm_record_new(&rec, s->db, "contract"));
	snprintf(number, sizeof(number), "C-%05lld", (long long)s->co->contracts + 1);
	spm_record_set_int(rec, "opportunity_id", d->id);
	spm_record_set_text(rec, "number", number);
	spm_record_set_money(rec, "amount", d->amount, DEMO_CURRENCY);
	spm_record_set_date(rec, "signed_on", s->day);
	rc = spm_record_save(s->db, rec);
	contract = spm_record_id(rec);
	spm_record_free(rec);
	TRY(rc);
	s->co->contracts++;
	TRY(spm_installment_split(amounts, d->amount, n));
	for (size_t i = 0; i < n; i++)
		spm_date_add_days(&due[i], s->day, 30 + 60 * (int)i);
	TRY(spm_contract_set_plan(s->db, contract, amounts, due, n));
	s->co->installments += (long)n;
	/* Each installment is paid around its due date; one in eight is late
	 * beyond the year, so the overdue ones show. */
	TRY(spm_query_new(&q, s->db, "installment"));
	rc = spm_query_where_int(q, "contract_id", SPM_CMP_EQ, contract);
	if (rc == SPM_OK)
		rc = spm_record_iter_new(&it, q);
	spm_query_free(q);
	TRY(rc);
	while ((rc = spm_record_iter_next(&inst, it)) == SPM_OK) {
		struct payment_due *p;
		spm_date on;
		s->pays = grow(s->pays, &s->cappay, s->npays, sizeof(*s->pays));
		if (s->pays == NULL) {
			rc = SPM_ENOMEM;
			break;
		}
		p = &s->pays[s->npays++];
		p->contract = contract;
		p->installment = spm_record_id(inst);
		spm_record_get_money(&p->amount, NULL, inst, "amount");
		spm_record_get_date(&on, inst, "due_on");
		spm_date_add_days(&p->on, on,
				  demo_rng_pct(&s->rng, 12) ? 400 : (int)demo_rng_below(&s->rng, 25) - 5);
	}
	spm_record_iter_free(it);
	return rc == SPM_ITEROVER ? SPM_OK : rc;
}

static int move(struct sim *s, struct deal *d, int to, const char *override)
{
	spm_gate_report *unmet = NULL;
	int rc = spm_opportunity_move(&unmet, s->db, d->id, s->co->stage[to], override);
	spm_gate_report_free(unmet);
	if (rc == SPM_OK) {
		d->stage = to;
		s->co->moves++;
	}
	tick_clock(s, 240);
	return rc;
}

static int lose(struct sim *s, struct deal *d)
{
	spm_record *rec;
	int rc;
	TRY(spm_record_get(&rec, s->db, "opportunity", d->id));
	spm_record_set_text(rec, "lost_reason", PICK(&s->rng, lost_reasons));
	rc = spm_record_save(s->db, rec);
	spm_record_free(rec);
	TRY(rc);
	TRY(move(s, d, 6, NULL));
	d->next = NEVER;
	return SPM_OK;
}

static int slip(struct sim *s, struct deal *d)
{
	spm_record *rec;
	int rc;
	spm_date_add_days(&d->expected_close, d->expected_close,
			  14 + (int)demo_rng_below(&s->rng, 30));
	TRY(spm_record_get(&rec, s->db, "opportunity", d->id));
	spm_record_set_date(rec, "expected_close", d->expected_close);
	rc = spm_record_save(s->db, rec);
	spm_record_free(rec);
	return rc;
}

static int advance(struct sim *s, struct deal *d)
{
	int rc;
	if (d->fate != 0 && d->stage >= d->last_stage) {
		if (d->fate == 1)
			return lose(s, d);
		d->next = NEVER; /* stalls where it is */
		return SPM_OK;
	}
	if (d->expected_close < s->day || demo_rng_pct(&s->rng, 10))
		TRY(slip(s, d));
	if (d->stage == 4) { /* Commit -> Won */
		TRY(move(s, d, 5, NULL));
		d->next = NEVER;
		return sign_contract(s, d);
	}
	rc = move(s, d, d->stage + 1, NULL);
	if (rc == SPM_EGATE) {
		s->co->gate_blocks++;
		if (d->stage == 1 && demo_rng_pct(&s->rng, 25)) {
			/* The regional manager lets it through, with a reason. */
			TRY(spm_db_set_actor(s->db, manager_of(s, d->owner)));
			rc = move(s, d, d->stage + 1, "Visit done by the partner; report to follow");
			TRY(spm_db_set_actor(s->db, 0));
			TRY(rc);
			s->co->overrides++;
		} else {
			/* Blocked: the rep does what the gate asks, then tries again. */
			d->will_visit = d->will_price = 1;
			d->next = later(s, 2, 5);
			return SPM_OK;
		}
	} else {
		TRY(rc);
	}
	d->next = later(s, 7, 21);
	return SPM_OK;
}

static int work_deal(struct sim *s, struct deal *d)
{
	if (d->stage == 1 && d->will_visit && !d->visited) {
		TRY(add_activity(s, "visit", "customer_id", d->customer, d->owner, d->id, 0));
		d->visited = 1;
	}
	if (d->stage == 2 && d->will_price && !d->priced)
		TRY(price_deal(s, d));
	return advance(s, d);
}

static int run_tick(struct sim *s)
{
	int rc = spm_db_tick(s->db, s->clock->now);
	s->co->ticks++;
	return rc;
}

static int pay_due(struct sim *s)
{
	for (size_t i = 0; i < s->npays; i++) {
		struct payment_due *p = &s->pays[i];
		spm_record *rec;
		int rc;
		if (p->on != s->day)
			continue;
		TRY(spm_record_new(&rec, s->db, "payment"));
		spm_record_set_int(rec, "contract_id", p->contract);
		spm_record_set_int(rec, "installment_id", p->installment);
		spm_record_set_money(rec, "amount", p->amount, DEMO_CURRENCY);
		spm_record_set_time(rec, "received_at", s->clock->now);
		spm_record_set_text(rec, "method", "bank transfer");
		rc = spm_record_save(s->db, rec);
		spm_record_free(rec);
		TRY(rc);
		s->co->payments++;
		tick_clock(s, 60);
	}
	return SPM_OK;
}

static int simulate_day(struct sim *s)
{
	int weekday, y, m, dom;
	spm_date_weekday(&weekday, s->day);
	spm_date_to_ymd(&y, &m, &dom, s->day);
	TRY(spm_date_to_time(&s->clock->now, s->day));
	s->clock->now += 8 * 3600;
	/* Once a month is enough for the warnings (and each tick computes the
	 * progress of every target: the costliest call of the simulation). */
	if (dom == 1)
		TRY(run_tick(s));
	s->clock->now += 3600;
	if (weekday <= 5)
		TRY(new_leads(s, 2 + (int)demo_rng_below(&s->rng, 4)));
	for (size_t i = 0; i < s->nleads; i++)
		if (s->leads[i].next <= s->day)
			TRY(work_lead(s, &s->leads[i]));
	for (size_t i = 0; i < s->ndeals; i++)
		if (s->deals[i].next <= s->day)
			TRY(work_deal(s, &s->deals[i]));
	return pay_due(s);
}

int demo_generate(demo_company *co, spm_db *db, demo_clock *clock, uint64_t seed,
		  demo_progress_fn progress, void *progress_payload)
{
	struct sim s;
	int rc = SPM_OK, total, done = 0;
	memset(&s, 0, sizeof(s));
	s.co = co;
	s.db = db;
	s.clock = clock;
	s.rng.state = seed;
	co->seed = seed;
	spm_date_from_ymd(&co->fy_start, 2025, 4, 1);
	spm_date_from_ymd(&co->fy_end, 2026, 3, 31);
	spm_date_from_ymd(&co->today, 2026, 3, 15);
	total = (int)(co->today - co->fy_start) + 1;
	/* The set-up happens the day before the year starts. */
	spm_date_to_time(&clock->now, co->fy_start - 1);
	clock->now += 9 * 3600;
	rc = demo_gen_org(co, db);
	if (rc == SPM_OK)
		rc = demo_gen_pipeline(co, db);
	if (rc == SPM_OK)
		rc = demo_gen_targets(co, db);
	for (s.day = co->fy_start; rc == SPM_OK && s.day <= co->today; s.day++) {
		rc = simulate_day(&s);
		if (progress)
			progress(++done, total, progress_payload);
	}
	if (rc == SPM_OK) { /* the evening of "today": the latest warnings */
		spm_date_to_time(&clock->now, co->today);
		clock->now += 17 * 3600;
		rc = run_tick(&s);
	}
	free(s.leads);
	free(s.deals);
	free(s.pays);
	return rc;
}
