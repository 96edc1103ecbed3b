/* spm demo: the report as one screen of plain text (ASCII, fixed columns). */
#include "demo.h"
#include <string.h>

static void bar(FILE *out, int64_t ppm, int width)
{
	/* One '#' per (100% / width), capped at the width; 100% is marked '|'. */
	int64_t n = ppm * width / 1000000;
	for (int i = 0; i < width; i++)
		fputc(i < n ? '#' : '.', out);
}

static void progress_table(FILE *out, const demo_report *r)
{
	char t[32], a[32], p[16], q[16], pr[32];
	fprintf(out, "%-16s %12s %12s %6s %6s %12s  %s\n", "Team", "Target", "Won",
		"Att.", "Pace", "Projection", "Attainment (each # = 5%)");
	for (size_t i = 0; i < r->nprogress; i++) {
		const demo_progress_row *x = &r->progress[i];
		if (!x->is_team)
			continue;
		demo_fmt_money(t, sizeof(t), x->target);
		demo_fmt_money(a, sizeof(a), x->attained);
		demo_fmt_pct(p, sizeof(p), x->attainment_ppm);
		demo_fmt_pct(q, sizeof(q), x->pace_ppm);
		demo_fmt_money(pr, sizeof(pr), x->projection);
		fprintf(out, "%-16s %12s %12s %6s %6s %12s  ", x->name, t, a, p, q, pr);
		bar(out, x->attainment_ppm, 20);
		fputc('\n', out);
	}
}

static const demo_progress_row *rep_progress(const demo_report *r, const char *name)
{
	for (size_t i = 0; i < r->nprogress; i++)
		if (!r->progress[i].is_team && strcmp(r->progress[i].name, name) == 0)
			return &r->progress[i];
	return NULL;
}

static void leader_line(FILE *out, const demo_report *r, size_t i)
{
	const demo_leader_row *l = &r->leaders[i];
	const demo_progress_row *p = rep_progress(r, l->name);
	char a[32], rate[16] = "-", att[16] = "-", pace[16] = "-";
	demo_fmt_money(a, sizeof(a), l->won_amount);
	if (l->win_rate_ppm >= 0)
		demo_fmt_pct(rate, sizeof(rate), l->win_rate_ppm);
	if (p) {
		demo_fmt_pct(att, sizeof(att), p->attainment_ppm);
		demo_fmt_pct(pace, sizeof(pace), p->pace_ppm);
	}
	fprintf(out, "%2zu. %-12s %-9s %12s %4lld won %4lld lost %5s win  %5s att. %5s pace\n",
		i + 1, l->name, l->team, a, (long long)l->won, (long long)l->lost, rate, att,
		pace);
}

void demo_report_text(FILE *out, const demo_report *r)
{
	const demo_company *co = r->co;
	char d[16], a[32], b[32], c[32];
	spm_date_format(d, sizeof(d), co->today);
	fprintf(out, "Acme China - sales performance, FY2025 (Apr-Mar), as of %s\n", d);
	fprintf(out, "seed %llu: %d reps in %d teams; %ld leads, %ld activities, %ld deals, "
		"%ld contracts, %ld payments\n",
		(unsigned long long)co->seed, DEMO_REPS, DEMO_TEAMS, co->leads, co->activities,
		co->opportunities, co->contracts, co->payments);
	fprintf(out, "%ld stage moves; %ld blocked by a gate: %ld fixed by the rep, %ld "
		"overridden by a manager; %ld quotes sent\n",
		co->moves, co->gate_blocks, co->gate_blocks - co->overrides, co->overrides,
		co->quotes);
	fprintf(out, "\n== Targets: won amount (CNY) ==\n");
	progress_table(out, r);

	fprintf(out, "\n== Funnel: deals that reached each stage ==\n");
	for (size_t i = 0; i < r->nfunnel; i++) {
		char conv[16] = "";
		if (r->funnel[i].conversion_ppm >= 0)
			demo_fmt_pct(conv, sizeof(conv), r->funnel[i].conversion_ppm);
		fprintf(out, "%-10s %5lld %5s  ", r->funnel[i].stage, (long long)r->funnel[i].deals,
			conv);
		bar(out, r->nfunnel && r->funnel[0].deals
			     ? r->funnel[i].deals * 1000000 / r->funnel[0].deals : 0, 40);
		fputc('\n', out);
	}
	fprintf(out, "Lead conversion:");
	for (size_t i = 0; i < r->nsources; i++) {
		char conv[16] = "-";
		if (r->sources[i].conversion_ppm >= 0)
			demo_fmt_pct(conv, sizeof(conv), r->sources[i].conversion_ppm);
		fprintf(out, " %s %lld (%s)", r->sources[i].source, (long long)r->sources[i].leads,
			conv);
	}
	fputc('\n', out);
	demo_fmt_money(a, sizeof(a), r->open_amount);
	demo_fmt_money(b, sizeof(b), r->weighted_amount);
	fprintf(out, "Open pipeline: %lld deals, %s CNY, weighted %s CNY\n",
		(long long)r->open_deals, a, b);
	demo_fmt_money(a, sizeof(a), r->invoiced);
	demo_fmt_money(b, sizeof(b), r->collected);
	demo_fmt_pct(c, sizeof(c), r->invoiced ? r->collected * 1000000 / r->invoiced : 0);
	fprintf(out, "Contracts: %s CNY signed, %s CNY collected (%s)\n", a, b, c);

	fprintf(out, "\n== Leaderboard: won amount (CNY) ==\n");
	for (size_t i = 0; i < r->nleaders && i < 5; i++)
		leader_line(out, r, i);
	fprintf(out, "   ...\n");
	for (size_t i = r->nleaders > 3 ? r->nleaders - 3 : 0; i < r->nleaders; i++)
		leader_line(out, r, i);

	demo_fmt_money(a, sizeof(a), r->at_risk_amount);
	fprintf(out, "\n== Deals at risk: %zu stalled (no stage change for %d days), "
		"%zu slipping; %s CNY ==\n", r->stalled, DEMO_STALL_DAYS, r->slipping, a);
	for (size_t i = 0; i < r->nrisks && i < 6; i++) {
		demo_fmt_money(a, sizeof(a), r->risks[i].amount);
		fprintf(out, "#%-5lld %-38.38s %-12s %-9s %9s  %s\n", (long long)r->risks[i].id,
			r->risks[i].name, r->risks[i].owner, r->risks[i].stage, a, r->risks[i].why);
	}

	fprintf(out, "\n== Warnings: %zu raised, %zu recovered; the latest ==\n",
		r->warnings_raised, r->warnings_recovered);
	for (size_t i = r->nwarnings > 6 ? r->nwarnings - 6 : 0; i < r->nwarnings; i++)
		fprintf(out, "%s  %-16s %s\n", r->warnings[i].date, r->warnings[i].owner,
			r->warnings[i].what);
}
