/* spm demo: the report as one self-contained HTML5 page: inline CSS and
 * inline SVG charts, no scripts, no external resources, UTF-8. */
#include "demo.h"
#include <string.h>

static void esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* Horizontal bars of attainment, a dashed line at 100% (scale: 0..150%). */
static void attainment_chart(FILE *out, const demo_report *r, int teams, const char *label)
{
	const int row = 22, left = 130, width = 420, max_ppm = 1500000;
	size_t n = 0;
	for (size_t i = 0; i < r->nprogress; i++)
		n += r->progress[i].is_team == teams;
	fprintf(out, "<svg class=\"chart\" role=\"img\" aria-label=\"");
	esc(out, label);
	fprintf(out, "\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\">\n", left + width + 60, (int)n * row + 24,
		left + width + 60, (int)n * row + 24);
	size_t k = 0;
	for (size_t i = 0; i < r->nprogress; i++) {
		const demo_progress_row *p = &r->progress[i];
		char pct[16];
		int64_t ppm = p->attainment_ppm < max_ppm ? p->attainment_ppm : max_ppm;
		int w = (int)(ppm * width / max_ppm), y = (int)k * row + 4;
		if (p->is_team != teams)
			continue;
		k++;
		demo_fmt_pct(pct, sizeof(pct), p->attainment_ppm);
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, y + 14);
		esc(out, p->name);
		fprintf(out, "</text><rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\"/>"
			"<text x=\"%d\" y=\"%d\">%s</text>\n",
			p->attainment_ppm >= 1000000 ? "ok" : p->pace_ppm >= 800000 ? "mid" : "low",
			left, y, w, left + w + 4, y + 13, pct);
	}
	fprintf(out, "<line class=\"goal\" x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\"/>"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">100%%</text>\n</svg>\n",
		left + width * 1000000 / max_ppm, left + width * 1000000 / max_ppm,
		(int)n * row + 6, left + width * 1000000 / max_ppm, (int)n * row + 20);
}

/* The funnel: one centred band per stage, as wide as its deals. */
static void funnel_chart(FILE *out, const demo_report *r)
{
	const int row = 30, width = 460, mid = 330;
	int64_t top = r->nfunnel ? r->funnel[0].deals : 0;
	fprintf(out, "<svg class=\"chart\" role=\"img\" aria-label=\"Funnel\" "
		"width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\">\n", mid + width / 2 + 110, (int)r->nfunnel * row + 8,
		mid + width / 2 + 110, (int)r->nfunnel * row + 8);
	for (size_t i = 0; i < r->nfunnel; i++) {
		const demo_funnel_row *f = &r->funnel[i];
		int w = top > 0 ? (int)(f->deals * width / top) : 0, y = (int)i * row + 4;
		char conv[16] = "";
		if (f->conversion_ppm >= 0)
			demo_fmt_pct(conv, sizeof(conv), f->conversion_ppm);
		fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"24\"/>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
			strcmp(f->stage, "Lost") == 0 ? "low" : "ok", mid - w / 2, y, w,
			mid - width / 2 - 8, y + 17);
		esc(out, f->stage);
		fprintf(out, "</text><text x=\"%d\" y=\"%d\">%lld%s%s</text>\n",
			mid + width / 2 + 8, y + 17, (long long)f->deals, conv[0] ? " &#8594; " : "",
			conv);
	}
	fputs("</svg>\n", out);
}

static void progress_table(FILE *out, const demo_report *r)
{
	fputs("<table><tr><th>Team</th><th>Target</th><th>Won</th><th>Attainment</th>"
	      "<th>Pace</th><th>Projection</th></tr>\n", out);
	for (size_t i = 0; i < r->nprogress; i++) {
		const demo_progress_row *p = &r->progress[i];
		char t[32], a[32], at[16], pc[16], pr[32];
		if (!p->is_team)
			continue;
		demo_fmt_money(t, sizeof(t), p->target);
		demo_fmt_money(a, sizeof(a), p->attained);
		demo_fmt_pct(at, sizeof(at), p->attainment_ppm);
		demo_fmt_pct(pc, sizeof(pc), p->pace_ppm);
		demo_fmt_money(pr, sizeof(pr), p->projection);
		fputs("<tr><td>", out);
		esc(out, p->name);
		fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			t, a, at, pc, pr);
	}
	fputs("</table>\n", out);
}

static void leaderboard(FILE *out, const demo_report *r)
{
	fputs("<table><tr><th>#</th><th>Rep</th><th>Team</th><th>Won amount</th><th>Won</th>"
	      "<th>Lost</th><th>Win rate</th><th>Attainment</th><th>Pace</th></tr>\n", out);
	for (size_t i = 0; i < r->nleaders; i++) {
		const demo_leader_row *l = &r->leaders[i];
		char a[32], rate[16] = "&#8211;", att[16] = "&#8211;", pace[16] = "&#8211;";
		demo_fmt_money(a, sizeof(a), l->won_amount);
		if (l->win_rate_ppm >= 0)
			demo_fmt_pct(rate, sizeof(rate), l->win_rate_ppm);
		for (size_t k = 0; k < r->nprogress; k++) {
			const demo_progress_row *p = &r->progress[k];
			if (!p->is_team && strcmp(p->name, l->name) == 0) {
				demo_fmt_pct(att, sizeof(att), p->attainment_ppm);
				demo_fmt_pct(pace, sizeof(pace), p->pace_ppm);
			}
		}
		fprintf(out, "<tr><td>%zu</td><td>", i + 1);
		esc(out, l->name);
		fputs("</td><td>", out);
		esc(out, l->team);
		fprintf(out, "</td><td>%s</td><td>%lld</td><td>%lld</td><td>%s</td><td>%s</td>"
			"<td>%s</td></tr>\n", a, (long long)l->won, (long long)l->lost, rate, att,
			pace);
	}
	fputs("</table>\n", out);
}

static void risks(FILE *out, const demo_report *r)
{
	char a[32];
	demo_fmt_money(a, sizeof(a), r->at_risk_amount);
	fprintf(out, "<p>%zu stalled (no stage change for %d days), %zu slipping (close date "
		"pushed back); %s CNY in all. The largest:</p>\n", r->stalled, DEMO_STALL_DAYS,
		r->slipping, a);
	fputs("<table><tr><th>Deal</th><th>Owner</th><th>Stage</th><th>Amount</th>"
	      "<th>Why</th></tr>\n", out);
	for (size_t i = 0; i < r->nrisks; i++) {
		const demo_risk_row *k = &r->risks[i];
		demo_fmt_money(a, sizeof(a), k->amount);
		fprintf(out, "<tr><td>#%lld ", (long long)k->id);
		esc(out, k->name);
		fputs("</td><td>", out);
		esc(out, k->owner);
		fputs("</td><td>", out);
		esc(out, k->stage);
		fprintf(out, "</td><td>%s</td><td>", a);
		esc(out, k->why);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void warnings(FILE *out, const demo_report *r)
{
	fprintf(out, "<p>%zu raised, %zu recovered. The latest:</p>\n<ul>\n", r->warnings_raised,
		r->warnings_recovered);
	for (size_t i = r->nwarnings; i-- > 0;) {
		fprintf(out, "<li>%s &#8212; ", r->warnings[i].date);
		esc(out, r->warnings[i].owner);
		fputs(": ", out);
		esc(out, r->warnings[i].what);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

static const char style[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:64em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .7em;text-align:right}"
	"td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}"
	"tr:nth-child(even){background:#f4f4f4}.chart text{font-size:12px;fill:#222}"
	".ok{fill:#2e7d32}.mid{fill:#f9a825}.low{fill:#c62828}"
	".goal{stroke:#555;stroke-dasharray:4 3}.meta{color:#555}";

int demo_report_html(FILE *out, const demo_report *r)
{
	const demo_company *co = r->co;
	char d[16], a[32], b[32], c[32];
	spm_date_format(d, sizeof(d), co->today);
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>Acme China &#8212; sales performance FY2025</title>\n<style>%s</style>\n"
		"</head>\n<body>\n", style);
	fprintf(out, "<h1>Acme China &#8212; sales performance, FY2025 (April&#8211;March), as of "
		"%s</h1>\n", d);
	fprintf(out, "<p class=\"meta\">Generated by <code>spm demo --seed %llu</code>: %d reps "
		"in %d teams; %ld leads, %ld activities, %ld deals, %ld contracts, %ld payments. "
		"%ld stage moves; %ld blocked by a gate: %ld fixed by the rep, %ld overridden "
		"by a manager; %ld quotes sent.</p>\n",
		(unsigned long long)co->seed, DEMO_REPS, DEMO_TEAMS, co->leads, co->activities,
		co->opportunities, co->contracts, co->payments, co->moves, co->gate_blocks,
		co->gate_blocks - co->overrides, co->overrides, co->quotes);
	fputs("<h2>Targets: won amount (CNY)</h2>\n", out);
	progress_table(out, r);
	attainment_chart(out, r, 1, "Attainment by team");
	fputs("<h2>Attainment by rep</h2>\n", out);
	attainment_chart(out, r, 0, "Attainment by rep");
	fputs("<h2>Funnel: deals that reached each stage</h2>\n", out);
	funnel_chart(out, r);
	fputs("<p>Leads by source (converted):", out);
	for (size_t i = 0; i < r->nsources; i++) {
		char conv[16] = "&#8211;";
		if (r->sources[i].conversion_ppm >= 0)
			demo_fmt_pct(conv, sizeof(conv), r->sources[i].conversion_ppm);
		fputs(i ? ", " : " ", out);
		esc(out, r->sources[i].source);
		fprintf(out, " %lld (%s)", (long long)r->sources[i].leads, conv);
	}
	fputs(".</p>\n", out);
	demo_fmt_money(a, sizeof(a), r->open_amount);
	demo_fmt_money(b, sizeof(b), r->weighted_amount);
	fprintf(out, "<p>Open pipeline: %lld deals, %s CNY, weighted %s CNY.</p>\n",
		(long long)r->open_deals, a, b);
	demo_fmt_money(a, sizeof(a), r->invoiced);
	demo_fmt_money(b, sizeof(b), r->collected);
	demo_fmt_pct(c, sizeof(c), r->invoiced ? r->collected * 1000000 / r->invoiced : 0);
	fprintf(out, "<p>Contracts: %s CNY signed, %s CNY collected (%s).</p>\n", a, b, c);
	fputs("<h2>Leaderboard</h2>\n", out);
	leaderboard(out, r);
	fputs("<h2>Deals at risk</h2>\n", out);
	risks(out, r);
	fputs("<h2>Warnings</h2>\n", out);
	warnings(out, r);
	fputs("</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}
