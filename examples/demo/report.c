/* spm demo: gathers the report's figures through the public API (target
 * progress, analytics queries, record queries and the outbox). */
#include "demo.h"
#include <stdlib.h>
#include <string.h>

struct gather {
	demo_report *r;
	spm_db *db;
};

static int progress_cb(const spm_target_progress *p, void *payload)
{
	struct gather *g = payload;
	demo_report *r = g->r;
	demo_progress_row *row;
	if (r->nprogress == DEMO_MAX_ROWS)
		return 0;
	row = &r->progress[r->nprogress++];
	row->is_team = strcmp(p->owner_kind, "team") == 0;
	demo_name_of(row->name, sizeof(row->name), g->db, row->is_team ? "team" : "user",
		     p->owner_ref);
	row->target = p->target;
	row->attained = p->attained;
	row->attainment_ppm = p->attainment_ppm;
	row->pace_ppm = p->pace_ppm;
	row->projection = p->projection;
	return 0;
}

static int col(size_t *out, const spm_result *res, const char *name)
{
	return spm_result_column_index(out, res, name);
}

static int64_t cell_int(const spm_result *res, size_t row, size_t c, int64_t none)
{
	int64_t v;
	return spm_result_int(&v, res, row, c) == SPM_OK ? v : none;
}

static int64_t cell_money(const spm_result *res, size_t row, size_t c)
{
	int64_t v;
	return spm_result_money(&v, NULL, res, row, c) == SPM_OK ? v : 0;
}

static int gather_funnel(demo_report *r, spm_db *db, const demo_company *co)
{
	char q[160];
	spm_result *res;
	size_t cs, cd, cc;
	snprintf(q, sizeof(q), "{\"query\": \"funnel\", \"pipeline\": %lld, \"funnel\": \"reached\"}",
		 (long long)co->pipeline);
	TRY(spm_report_run(&res, db, q));
	if (col(&cs, res, "stage") || col(&cd, res, "deals") || col(&cc, res, "conversion")) {
		spm_result_free(res);
		return SPM_ENOTFOUND;
	}
	for (size_t i = 0; i < spm_result_row_count(res) && r->nfunnel < DEMO_STAGES; i++) {
		demo_funnel_row *f = &r->funnel[r->nfunnel++];
		const char *name = "";
		spm_result_text(&name, res, i, cs);
		snprintf(f->stage, sizeof(f->stage), "%s", name);
		f->deals = cell_int(res, i, cd, 0);
		f->conversion_ppm = cell_int(res, i, cc, -1);
	}
	spm_result_free(res);
	return SPM_OK;
}

static int gather_sources(demo_report *r, spm_db *db)
{
	spm_result *res;
	size_t cs, cl, cv, cc;
	TRY(spm_report_run(&res, db, "{\"query\": \"lead_conversion\", \"group_by\": \"source\"}"));
	if (col(&cs, res, "source") || col(&cl, res, "leads") || col(&cv, res, "converted") ||
	    col(&cc, res, "conversion")) {
		spm_result_free(res);
		return SPM_ENOTFOUND;
	}
	for (size_t i = 0; i < spm_result_row_count(res) && r->nsources < 16; i++) {
		demo_source_row *s = &r->sources[r->nsources++];
		const char *name = "(none)";
		spm_result_text(&name, res, i, cs);
		snprintf(s->source, sizeof(s->source), "%s", name);
		s->leads = cell_int(res, i, cl, 0);
		s->converted = cell_int(res, i, cv, 0);
		s->conversion_ppm = cell_int(res, i, cc, -1);
	}
	spm_result_free(res);
	return SPM_OK;
}

static int by_won_amount(const void *a, const void *b)
{
	const demo_leader_row *x = a, *y = b;
	if (x->won_amount != y->won_amount)
		return x->won_amount > y->won_amount ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int gather_leaders(demo_report *r, spm_db *db, const demo_company *co)
{
	spm_result *res;
	size_t co_, cw, cl, cr, ca;
	TRY(spm_report_run(&res, db, "{\"query\": \"win_rate\", \"group_by\": \"owner\"}"));
	if (col(&co_, res, "owner_id") || col(&cw, res, "won") || col(&cl, res, "lost") ||
	    col(&cr, res, "win_rate") || col(&ca, res, "won_amount")) {
		spm_result_free(res);
		return SPM_ENOTFOUND;
	}
	for (int i = 0; i < DEMO_REPS; i++) {
		demo_leader_row *l = &r->leaders[r->nleaders++];
		memset(l, 0, sizeof(*l));
		l->win_rate_ppm = -1;
		demo_name_of(l->name, sizeof(l->name), db, "user", co->rep[i]);
		demo_name_of(l->team, sizeof(l->team), db, "team",
			     co->team[i / DEMO_REPS_PER_TEAM]);
		for (size_t k = 0; k < spm_result_row_count(res); k++) {
			if (cell_int(res, k, co_, 0) != co->rep[i])
				continue;
			l->won = cell_int(res, k, cw, 0);
			l->lost = cell_int(res, k, cl, 0);
			l->win_rate_ppm = cell_int(res, k, cr, -1);
			l->won_amount = cell_money(res, k, ca);
		}
	}
	spm_result_free(res);
	qsort(r->leaders, r->nleaders, sizeof(r->leaders[0]), by_won_amount);
	return SPM_OK;
}

static int gather_pipeline(demo_report *r, spm_db *db)
{
	spm_result *res;
	size_t cn, ca, cw;
	TRY(spm_report_run(&res, db, "{\"query\": \"pipeline\"}"));
	if (col(&cn, res, "open_deals") || col(&ca, res, "open_amount") ||
	    col(&cw, res, "weighted_amount")) {
		spm_result_free(res);
		return SPM_ENOTFOUND;
	}
	for (size_t i = 0; i < spm_result_row_count(res); i++) {
		r->open_deals += cell_int(res, i, cn, 0);
		r->open_amount += cell_money(res, i, ca);
		r->weighted_amount += cell_money(res, i, cw);
	}
	spm_result_free(res);
	return SPM_OK;
}

/* Deals at risk: open, and stalled (no stage change for DEMO_STALL_DAYS) or
 * slipping (expected close pushed back at least once). */
struct risk_scan {
	demo_report *r;
	spm_db *db;
	const demo_company *co;
	spm_time stall_before;
	demo_risk_row all[1024]; /* the demo has a few hundred deals; counts go on past it */
	size_t n;
};

static int risk_cb(const spm_record *rec, void *payload)
{
	struct risk_scan *rs = payload;
	spm_time entered = 0;
	int64_t slips = 0, stage = 0, owner = 0, amount = 0;
	const char *name = "";
	int stalled, slipping;
	spm_record_get_time(&entered, rec, "stage_entered_at");
	spm_record_get_int(&slips, rec, "close_slips");
	stalled = entered < rs->stall_before;
	slipping = slips > 0;
	if (!stalled && !slipping)
		return 0;
	rs->r->stalled += stalled;
	rs->r->slipping += slipping;
	spm_record_get_money(&amount, NULL, rec, "amount");
	rs->r->at_risk_amount += amount;
	if (rs->n == sizeof(rs->all) / sizeof(rs->all[0]))
		return 0;
	demo_risk_row *k = &rs->all[rs->n++];
	k->id = spm_record_id(rec);
	k->amount = amount;
	spm_record_get_text(&name, rec, "name");
	snprintf(k->name, sizeof(k->name), "%s", name);
	spm_record_get_int(&owner, rec, "owner_id");
	demo_name_of(k->owner, sizeof(k->owner), rs->db, "user", owner);
	spm_record_get_int(&stage, rec, "stage_id");
	demo_name_of(k->stage, sizeof(k->stage), rs->db, "stage", stage);
	if (stalled && slipping)
		snprintf(k->why, sizeof(k->why), "stalled %lldd, slipped %lldx",
			 (long long)((rs->stall_before + DEMO_STALL_DAYS * 86400 - entered) / 86400),
			 (long long)slips);
	else if (stalled)
		snprintf(k->why, sizeof(k->why), "stalled %lld days",
			 (long long)((rs->stall_before + DEMO_STALL_DAYS * 86400 - entered) / 86400));
	else
		snprintf(k->why, sizeof(k->why), "close date slipped %lldx", (long long)slips);
	return 0;
}

static int by_amount(const void *a, const void *b)
{
	const demo_risk_row *x = a, *y = b;
	if (x->amount != y->amount)
		return x->amount > y->amount ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int gather_risks(demo_report *r, spm_db *db, const demo_company *co)
{
	struct risk_scan *rs = calloc(1, sizeof(*rs));
	spm_query *q;
	spm_time now;
	int rc;
	if (rs == NULL)
		return SPM_ENOMEM;
	rs->r = r;
	rs->db = db;
	rs->co = co;
	spm_date_to_time(&now, co->today);
	rs->stall_before = now - (spm_time)DEMO_STALL_DAYS * 86400;
	rc = spm_query_new(&q, db, "opportunity");
	if (rc == SPM_OK) {
		rc = spm_query_where_text(q, "status", SPM_CMP_EQ, "open");
		if (rc == SPM_OK)
			rc = spm_query_foreach(q, risk_cb, rs);
		spm_query_free(q);
	}
	qsort(rs->all, rs->n, sizeof(rs->all[0]), by_amount);
	r->nrisks = rs->n < DEMO_MAX_RISKS ? rs->n : DEMO_MAX_RISKS;
	memcpy(r->risks, rs->all, r->nrisks * sizeof(r->risks[0]));
	free(rs);
	return rc;
}

static int contract_cb(const spm_record *rec, void *payload)
{
	demo_report *r = payload;
	int64_t amount = 0, paid = 0;
	spm_record_get_money(&amount, NULL, rec, "amount");
	spm_record_get_money(&paid, NULL, rec, "paid");
	r->invoiced += amount;
	r->collected += paid;
	return 0;
}

static int gather_collections(demo_report *r, spm_db *db)
{
	spm_query *q;
	int rc;
	TRY(spm_query_new(&q, db, "contract"));
	rc = spm_query_foreach(q, contract_cb, r);
	spm_query_free(q);
	return rc;
}

/* The outbox keeps every warning tick raised; the newest ones are shown. */
static int warning_cb(const spm_event *e, void *payload)
{
	struct gather *g = payload;
	demo_report *r = g->r;
	demo_warning_row *w;
	spm_record *rec = NULL;
	const char *kind = NULL, *p;
	int64_t ref = 0;
	spm_date d;
	if (e->type == SPM_EVENT_TARGET_RECOVERED) {
		r->warnings_recovered++;
		return 0;
	}
	if (e->type != SPM_EVENT_TARGET_WARNING)
		return 0;
	r->warnings_raised++;
	if (r->nwarnings == DEMO_MAX_WARNINGS) { /* keep the newest: drop the oldest */
		memmove(r->warnings, r->warnings + 1, (DEMO_MAX_WARNINGS - 1) * sizeof(*w));
		r->nwarnings--;
	}
	w = &r->warnings[r->nwarnings++];
	spm_date_from_time(&d, e->at);
	spm_date_format(w->date, sizeof(w->date), d);
	snprintf(w->owner, sizeof(w->owner), "?");
	if (spm_record_get(&rec, g->db, "target", e->entity_id) == SPM_OK &&
	    spm_record_get_text(&kind, rec, "owner_kind") == SPM_OK &&
	    spm_record_get_int(&ref, rec, "owner_ref") == SPM_OK)
		demo_name_of(w->owner, sizeof(w->owner), g->db, kind, ref);
	spm_record_free(rec);
	p = strstr(e->payload, "\"check\":");
	if (p && strncmp(p + 8, "\"pace\"", 6) == 0) {
		const char *pp = strstr(e->payload, "\"pace_ppm\":");
		char pct[16] = "?";
		if (pp)
			demo_fmt_pct(pct, sizeof(pct), strtoll(pp + 11, NULL, 10));
		snprintf(w->what, sizeof(w->what), "pace %s of plan", pct);
	} else {
		const char *cp = strstr(e->payload, "\"coverage_ppm\":");
		char pct[16] = "?";
		if (cp)
			demo_fmt_pct(pct, sizeof(pct), strtoll(cp + 15, NULL, 10));
		snprintf(w->what, sizeof(w->what), "pipeline covers %s of the gap", pct);
	}
	return 0;
}

int demo_report_gather(demo_report *r, spm_db *db, const demo_company *co)
{
	struct gather g = { r, db };
	memset(r, 0, sizeof(*r));
	r->co = co;
	TRY(spm_target_progress_foreach(db, co->year_target, co->today, progress_cb, &g));
	TRY(gather_funnel(r, db, co));
	TRY(gather_sources(r, db));
	TRY(gather_leaders(r, db, co));
	TRY(gather_pipeline(r, db));
	TRY(gather_risks(r, db, co));
	TRY(gather_collections(r, db));
	return spm_outbox_foreach(db, 0, 0, warning_cb, &g);
}
