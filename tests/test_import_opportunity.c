/* Importing opportunities, stage history and line items (spm_opp_import):
 * hand-written files in the Salesforce export layout, the stage history
 * rebuilt exactly, bad rows with their lines, modes, re-import, created
 * stages, permissions, and a round trip through spm_opp_export. */
#include "helpers.h"
#include <spm/csv.h>

static spm_db *db;
static char path[256];
static int64_t pipeline;
static int64_t s_prosp, s_qual, s_prop, s_nego, s_won, s_lost;
static int64_t c_acme, c_beta;

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

/* A pipeline with Salesforce's standard stages, in a database. */
static int64_t make_pipeline(spm_db *d)
{
	spm_db *saved = db;
	int64_t p;

	db = d;
	p = ADD("pipeline", "name", "Sales");
	s_prosp = ADD("stage", "pipeline_id", num(p), "name", "Prospecting", "position", "1",
		      "probability", "10", "outcome", "open");
	s_qual = ADD("stage", "pipeline_id", num(p), "name", "Qualification", "position", "2",
		     "probability", "20", "outcome", "open");
	s_prop = ADD("stage", "pipeline_id", num(p), "name", "Proposal/Price Quote", "position",
		     "3", "probability", "75", "outcome", "open");
	s_nego = ADD("stage", "pipeline_id", num(p), "name", "Negotiation/Review", "position",
		     "4", "probability", "90", "outcome", "open");
	s_won = ADD("stage", "pipeline_id", num(p), "name", "Closed Won", "position", "5",
		    "probability", "100", "outcome", "won");
	s_lost = ADD("stage", "pipeline_id", num(p), "name", "Closed Lost", "position", "6",
		     "probability", "0", "outcome", "lost");
	cr_assert_eq(spm_field_add(d, "customer", "external_id", SPM_FIELD_TEXT, NULL), SPM_OK);
	c_acme = ADD("customer", "name", "Acme", "external_id", "001A");
	c_beta = ADD("customer", "name", "Beta", "external_id", "001B");
	db = saved;
	return p;
}

static void setup(void)
{
	temp_db_path(path, sizeof(path));
	db = open_db(path);
	as(0);
	pipeline = make_pipeline(db);
}

static void teardown(void)
{
	spm_db_close(db);
}

TestSuite(opp_import, .init = setup, .fini = teardown);

/* ---- the hand-written Salesforce-layout files ---- */

static const char opps_csv[] =
	"Id,AccountId,Name,Description,StageName,Amount,Probability,CloseDate,LeadSource,"
	"IsClosed,IsWon,CreatedDate\r\n"
	"006A,001A,Acme Generators,,Closed Won,15000,100,02/03/24,Web,TRUE,TRUE,01/10/24\r\n"
	"006B,001B,Beta Installations,\"Two sites, one contract\",Negotiation/Review,125000.50,"
	"90,03/31/24,,FALSE,FALSE,01/15/24\r\n"
	"006C,001A,Acme SLA,,Closed Lost,120000,0,02/20/24,Partner,TRUE,FALSE,01/20/24\r\n";

/* out of time order on purpose, as Salesforce exports them */
static const char history_csv[] =
	"Id,OpportunityId,CreatedDate,StageName,Amount,Probability,ForecastCategory\r\n"
	"008-1,006A,01/10/24 09:00 AM,Prospecting,10000,10,Pipeline\r\n"
	"008-3,006A,02/03/24 05:30 PM,Closed Won,15000,100,Closed\r\n"
	"008-2,006A,01/20/24 09:00 AM,Proposal/Price Quote,15000,75,Pipeline\r\n"
	"008-4,006B,01/15/24 10:00 AM,Qualification,125000.50,20,Pipeline\r\n"
	"008-5,006B,02/01/24 10:00 AM,Negotiation/Review,125000.50,90,Pipeline\r\n"
	"008-7,006C,02/20/24 12:00 AM,Closed Lost,120000,0,Omitted\r\n"
	"008-6,006C,01/20/24 12:00 PM,Prospecting,120000,10,Pipeline\r\n";

static const char items_csv[] =
	"Id,OpportunityId,Name,Quantity,UnitPrice,Discount,TotalPrice\n"
	"00k1,006A,Generator X,2.00,5000.00,10,9000.00\n"
	"00k2,006A,Installation,1,6000,,6000\n"
	"00k3,006B,Site survey,3.00,1500.25,12.5,3938.16\n";

static spm_opp_import_options sfdc_options(void)
{
	spm_opp_import_options o = SPM_OPP_IMPORT_OPTIONS_INIT;

	o.pipeline_id = pipeline;
	o.currency = "USD";
	o.date_order = SPM_OPP_DATES_MDY;
	return o;
}

static int import3(spm_opp_import_report **r, const char *opps, const char *hist,
		   const char *items, const spm_opp_import_options *o)
{
	return spm_opp_import(r, db, opps, strlen(opps), hist, hist ? strlen(hist) : 0, items,
			      items ? strlen(items) : 0, o);
}

static size_t cnt(const spm_opp_import_report *r, spm_opp_import_file f, spm_opp_import_count c)
{
	return spm_opp_import_report_count(r, f, c);
}

static int count_kind(const char *kind)
{
	spm_query *q;
	int n = 0;

	cr_assert_eq(spm_query_new(&q, db, kind), SPM_OK);
	cr_assert_eq(spm_query_foreach(q, count_record_cb, &n), SPM_OK);
	spm_query_free(q);
	return n;
}

static const char *stage_name(int64_t id)
{
	return id == s_prosp ? "Prospecting" : id == s_qual ? "Qualification" :
	       id == s_prop ? "Proposal" : id == s_nego ? "Negotiation" : id == s_won ? "Won" :
	       id == s_lost ? "Lost" : "?";
}

struct hist_text {
	char rows[16][160];
	spm_time at[16];
	int n;
};

static int collect_hist(const spm_record *rec, void *payload)
{
	struct hist_text *h = payload;
	const char *at = NULL, *amount = NULL;
	int64_t from = 0, to = 0, secs = -1, actor = 0;
	int null;
	char *row = h->rows[h->n];

	spm_record_is_null(&null, rec, "from_stage_id");
	if (!null)
		spm_record_get_int(&from, rec, "from_stage_id");
	spm_record_get_int(&to, rec, "to_stage_id");
	spm_record_is_null(&null, rec, "seconds_in_from");
	if (!null)
		spm_record_get_int(&secs, rec, "seconds_in_from");
	spm_record_is_null(&null, rec, "actor");
	if (!null)
		spm_record_get_int(&actor, rec, "actor");
	spm_record_get_time(&h->at[h->n], rec, "at");
	cr_assert_eq(spm_record_get_as_text(&at, rec, "at"), SPM_OK);
	snprintf(row, 160, "%s>%s @%s", from ? stage_name(from) : "-", stage_name(to), at);
	if (secs >= 0)
		snprintf(row + strlen(row), 40, " +%lld", (long long)secs);
	spm_record_get_as_text(&amount, rec, "amount");
	if (amount)
		snprintf(row + strlen(row), 40, " %s", amount);
	if (actor)
		snprintf(row + strlen(row), 40, " by %lld", (long long)actor);
	h->n++;
	return 0;
}

/* The stage history of an opportunity, in time order, one line per row. */
static const char *history_of(int64_t opp)
{
	static char out[2048];
	struct hist_text h;
	spm_query *q;

	memset(&h, 0, sizeof(h));
	cr_assert_eq(spm_query_new(&q, db, "stage_history"), SPM_OK);
	cr_assert_eq(spm_query_where_int(q, "opportunity_id", SPM_CMP_EQ, opp), SPM_OK);
	cr_assert_eq(spm_query_foreach(q, collect_hist, &h), SPM_OK);
	spm_query_free(q);
	/* insertion sort by time: a handful of rows */
	for (int i = 1; i < h.n; i++)
		for (int j = i; j > 0 && h.at[j] < h.at[j - 1]; j--) {
			char tmp[160];
			spm_time t = h.at[j];

			memcpy(tmp, h.rows[j], 160);
			memcpy(h.rows[j], h.rows[j - 1], 160);
			memcpy(h.rows[j - 1], tmp, 160);
			h.at[j] = h.at[j - 1];
			h.at[j - 1] = t;
		}
	out[0] = '\0';
	for (int i = 0; i < h.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "\n" : "",
			 h.rows[i]);
	return out;
}

static int64_t opp_id(const spm_opp_import_report *r, const char *ext)
{
	int64_t id = 0;

	cr_assert_eq(spm_opp_import_report_id(&id, r, ext), SPM_OK, "%s", ext);
	return id;
}

static void assert_field(const char *kind, int64_t id, const char *field, const char *want)
{
	spm_record *rec;
	const char *text = NULL;

	cr_assert_eq(spm_record_get(&rec, db, kind, id), SPM_OK);
	cr_assert_eq(spm_record_get_as_text(&text, rec, field), SPM_OK);
	if (want == NULL)
		cr_assert_null(text, "%s.%s is %s", kind, field, text);
	else
		cr_assert_str_eq(text ? text : "(null)", want, "%s %lld .%s", kind, (long long)id,
				 field);
	spm_record_free(rec);
}

static void assert_problem(const spm_opp_import_report *r, size_t i, spm_opp_import_file file,
			   size_t line, const char *column, int warning, const char *msg)
{
	const char *m = NULL, *c = NULL;
	spm_opp_import_file f = 99;
	size_t l = 0;
	int w = -1;

	cr_assert_eq(spm_opp_import_report_problem(&m, &f, &l, &c, &w, r, i), SPM_OK,
		     "problem %zu", i);
	cr_assert_eq(f, file, "problem %zu: file %d", i, f);
	cr_assert_eq(l, line, "problem %zu: line %zu (%s)", i, l, m);
	if (column)
		cr_assert_str_eq(c ? c : "(null)", column, "problem %zu: %s", i, m);
	else
		cr_assert_null(c, "problem %zu: column %s: %s", i, c, m);
	cr_assert_eq(w, warning, "problem %zu: %s", i, m);
	cr_assert_str_eq(m, msg, "problem %zu: got \"%s\"", i, m);
}

/* ---- the Salesforce layout ---- */

Test(opp_import, sfdc_files_give_exact_stage_history)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t a, b, c;

	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_ROWS), 3);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 3);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_ROWS), 7);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_CREATED), 7);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_BAD), 0);
	cr_assert_eq(spm_opp_import_report_problems(r), 0);
	cr_assert_str_eq(spm_opp_import_report_message(r), "");
	cr_assert_eq(spm_opp_import_report_status(r), SPM_OK);
	a = opp_id(r, "006A");
	b = opp_id(r, "006B");
	c = opp_id(r, "006C");
	cr_assert_eq(spm_opp_import_report_id(&(int64_t){ 0 }, r, "006Z"), SPM_ENOTFOUND);
	{
		const char *ext = NULL;
		int64_t id = 0;

		cr_assert_eq(spm_opp_import_report_stored(&ext, &id, r, 1), SPM_OK);
		cr_assert_str_eq(ext, "006B");
		cr_assert_eq(id, b);
		cr_assert_eq(spm_opp_import_report_stored(&ext, &id, r, 3), SPM_ERANGE);
		cr_assert_eq(spm_opp_import_report_stored(&ext, &id, NULL, 0), SPM_EINVAL);
	}
	spm_opp_import_report_free(r);

	cr_assert_str_eq(history_of(a),
			 "->Prospecting @2024-01-10T09:00:00Z 10000.00 USD\n"
			 "Prospecting>Proposal @2024-01-20T09:00:00Z +864000 15000.00 USD\n"
			 "Proposal>Won @2024-02-03T17:30:00Z +1240200 15000.00 USD");
	cr_assert_str_eq(history_of(b),
			 "->Qualification @2024-01-15T10:00:00Z 125000.50 USD\n"
			 "Qualification>Negotiation @2024-02-01T10:00:00Z +1468800 125000.50 USD");
	/* 12:00 PM is noon, 12:00 AM midnight */
	cr_assert_str_eq(history_of(c),
			 "->Prospecting @2024-01-20T12:00:00Z 120000.00 USD\n"
			 "Prospecting>Lost @2024-02-20T00:00:00Z +2635200 120000.00 USD");

	assert_field("opportunity", a, "name", "Acme Generators");
	assert_field("opportunity", a, "external_id", "006A");
	assert_field("opportunity", a, "pipeline_id", num(pipeline));
	assert_field("opportunity", a, "stage_id", num(s_won));
	assert_field("opportunity", a, "status", "won");
	assert_field("opportunity", a, "customer_id", num(c_acme));
	assert_field("opportunity", a, "amount", "15000.00 USD");
	assert_field("opportunity", a, "expected_close", "2024-02-03");
	assert_field("opportunity", a, "opened_at", "2024-01-10T00:00:00Z");
	assert_field("opportunity", a, "closed_at", "2024-02-03T17:30:00Z");
	assert_field("opportunity", a, "source", "Web");
	assert_field("opportunity", b, "status", "open");
	assert_field("opportunity", b, "stage_id", num(s_nego));
	assert_field("opportunity", b, "closed_at", NULL);
	assert_field("opportunity", b, "customer_id", num(c_beta));
	assert_field("opportunity", b, "amount", "125000.50 USD");
	assert_field("opportunity", b, "source", NULL);
	assert_field("opportunity", c, "status", "lost");
	assert_field("opportunity", c, "closed_at", "2024-02-20T00:00:00Z");
	cr_assert_eq(count_kind("opportunity"), 3);
	cr_assert_eq(count_kind("stage_history"), 7);
}

Test(opp_import, line_items_with_quantities_and_discounts)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	spm_query *q;
	spm_record_iter *it;
	const spm_record *rec;
	char got[512] = "";

	cr_assert_eq(import3(&r, opps_csv, history_csv, items_csv, &o), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_LINE_ITEMS, SPM_OPP_COUNT_CREATED), 3);
	spm_opp_import_report_free(r);
	cr_assert_eq(spm_query_new(&q, db, "line_item"), SPM_OK);
	cr_assert_eq(spm_record_iter_new(&it, q), SPM_OK);
	while (spm_record_iter_next(&rec, it) == SPM_OK) {
		const char *v[5];
		const char *f[5] = { "opportunity_id", "product", "quantity", "unit_price",
				     "discount_bp" };
		char one[160] = "";

		for (int i = 0; i < 5; i++) {
			cr_assert_eq(spm_record_get_as_text(&v[i], rec, f[i]), SPM_OK);
			snprintf(one + strlen(one), sizeof(one) - strlen(one), "%s%s", i ? "|" : "",
				 v[i] ? v[i] : "-");
		}
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s;", one);
	}
	spm_record_iter_free(it);
	spm_query_free(q);
	{
		char want[512];
		int64_t a = 0, b = 0;
		spm_opp_import_report *r2;

		/* the ids: re-import in a dry run does not store, look them up by name */
		cr_assert_eq(import3(&r2, opps_csv, NULL, NULL, &o), SPM_OK);
		a = opp_id(r2, "006A");
		b = opp_id(r2, "006B");
		spm_opp_import_report_free(r2);
		snprintf(want, sizeof(want), "%lld|Generator X|2|5000.00 USD|1000;"
			 "%lld|Installation|1|6000.00 USD|-;%lld|Site survey|3|1500.25 USD|1250;",
			 (long long)a, (long long)a, (long long)b);
		cr_assert_str_eq(got, want);
	}
}

Test(opp_import, bad_line_items_are_listed)
{
	static const char items[] =
		"OpportunityId,Name,Quantity,UnitPrice,Discount\n"
		"006A,Generator X,2.5,5000,\n"
		"006A,Generator Y,1,50.001,\n"
		"006A,Generator Z,1,50,120\n"
		"006Q,Generator Q,1,50,\n"
		"006B,,1,50,\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;

	cr_assert_eq(import3(&r, opps_csv, NULL, items, &o), SPM_EINVAL);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_LINE_ITEMS, SPM_OPP_COUNT_BAD), 5);
	cr_assert_eq(spm_opp_import_report_problems(r), 5);
	assert_problem(r, 0, SPM_OPP_FILE_LINE_ITEMS, 2, "Quantity", 0,
		       "quantity '2.5' is not a whole number above 0");
	assert_problem(r, 1, SPM_OPP_FILE_LINE_ITEMS, 3, "UnitPrice", 0,
		       "UnitPrice: spm_money_parse: USD has 2 decimal(s), the text has 3");
	assert_problem(r, 2, SPM_OPP_FILE_LINE_ITEMS, 4, "Discount", 0,
		       "discount '120' is not a percentage 0..100 with at most 2 decimals");
	assert_problem(r, 3, SPM_OPP_FILE_LINE_ITEMS, 5, "OpportunityId", 0,
		       "opportunity '006Q' is not in the opportunities file");
	assert_problem(r, 4, SPM_OPP_FILE_LINE_ITEMS, 6, "Name", 0, "Name is empty");
	cr_assert_str_eq(spm_opp_import_report_message(r), "5 bad rows: nothing stored");
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 0);
	cr_assert_eq(count_kind("line_item"), 0);
}

/* ---- bad rows, modes ---- */

static const char bad_opps_csv[] =
	"Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate\n"
	"006A,001A,Acme Generators,Closed Won,15000,02/03/24,01/10/24\n"
	"006D,001B,Beta Pumps,Negotiation,5000,03/01/24,01/11/24\n"      /* unknown stage */
	"006E,001B,Beta Valves,Qualification,\"12,000\",03/01/24,01/11/24\n" /* bad amount */
	"006F,001A,Acme Tanks,Qualification,7000,13/45/24,01/11/24\n"     /* bad date */
	"006G,001Z,Zeta Pipes,Qualification,7000,03/01/24,01/11/24\n";    /* unknown account */

static const char bad_history_csv[] =
	"OpportunityId,CreatedDate,StageName,Amount\n"
	"006A,01/10/24 09:00 AM,Prospecting,10000\n"
	"006A,02/03/24 05:30 PM,Closed Won,15000\n"
	"006X,01/10/24 09:00 AM,Prospecting,10000\n"                       /* missing opportunity */
	"006D,01/11/24 09:00 AM,Prospecting,10000\n"                       /* its opp is bad */
	"006A,2024-02-30,Prospecting,1\n";                                /* bad date */

static void assert_bad_rows(const spm_opp_import_report *r)
{
	char msg[80];

	snprintf(msg, sizeof(msg), "stage 'Negotiation' is not in pipeline %lld",
		 (long long)pipeline);
	cr_assert_eq(spm_opp_import_report_problems(r), 7);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 3, "StageName", 0,
		       msg);
	assert_problem(r, 1, SPM_OPP_FILE_OPPORTUNITIES, 4, "Amount", 0,
		       "Amount: spm_money_parse: unexpected character at offset 2");
	assert_problem(r, 2, SPM_OPP_FILE_OPPORTUNITIES, 5, "CloseDate", 0,
		       "CloseDate: '13/45/24' is not a date or time (YYYY-MM-DD[ HH:MM:SS] or "
		       "M/D/YY[ HH:MM[:SS][ AM|PM]])");
	assert_problem(r, 3, SPM_OPP_FILE_OPPORTUNITIES, 6, "AccountId", 0,
		       "no customer has external_id '001Z'");
	assert_problem(r, 4, SPM_OPP_FILE_HISTORY, 4, "OpportunityId", 0,
		       "opportunity '006X' is not in the opportunities file");
	assert_problem(r, 5, SPM_OPP_FILE_HISTORY, 5, NULL, 0,
		       "its opportunity (line 3) is bad");
	assert_problem(r, 6, SPM_OPP_FILE_HISTORY, 6, "CreatedDate", 0,
		       "CreatedDate: '2024-02-30' is not a date or time (YYYY-MM-DD[ HH:MM:SS] or "
		       "M/D/YY[ HH:MM[:SS][ AM|PM]])");
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_BAD), 4);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_BAD), 3);
}

Test(opp_import, bad_rows_store_nothing_by_default)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;

	cr_assert_eq(import3(&r, bad_opps_csv, bad_history_csv, NULL, &o), SPM_EINVAL);
	assert_bad_rows(r);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 0);
	cr_assert_str_eq(spm_opp_import_report_message(r), "7 bad rows: nothing stored");
	cr_assert_eq(spm_opp_import_report_status(r), SPM_EINVAL);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 0);
	cr_assert_eq(count_kind("stage_history"), 0);
}

Test(opp_import, skip_bad_rows_stores_the_good_ones)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t a;

	o.mode = SPM_CSV_SKIP_BAD_ROWS;
	cr_assert_eq(import3(&r, bad_opps_csv, bad_history_csv, NULL, &o), SPM_OK);
	assert_bad_rows(r);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 1);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_CREATED), 2);
	a = opp_id(r, "006A");
	cr_assert_eq(spm_opp_import_report_id(&(int64_t){ 0 }, r, "006D"), SPM_ENOTFOUND);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 1);
	cr_assert_str_eq(history_of(a),
			 "->Prospecting @2024-01-10T09:00:00Z 10000.00 USD\n"
			 "Prospecting>Won @2024-02-03T17:30:00Z +2104200 15000.00 USD");
}

Test(opp_import, dry_run_lists_every_bad_row_and_stores_nothing)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int found = 1;

	o.dry_run = 1;
	cr_assert_eq(import3(&r, bad_opps_csv, bad_history_csv, NULL, &o), SPM_EINVAL);
	assert_bad_rows(r);
	spm_opp_import_report_free(r);
	o.mode = SPM_CSV_SKIP_BAD_ROWS;
	cr_assert_eq(import3(&r, bad_opps_csv, bad_history_csv, NULL, &o), SPM_OK);
	assert_bad_rows(r);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 0);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 0);
	/* not even the external id field */
	{
		spm_record *rec;

		cr_assert_eq(spm_record_new(&rec, db, "opportunity"), SPM_OK);
		found = spm_record_set_text(rec, "external_id", "x") == SPM_OK;
		spm_record_free(rec);
	}
	cr_assert_eq(found, 0);
}

Test(opp_import, reimport_changes_nothing)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	const char *before;
	char saved[2048];
	int64_t a;

	cr_assert_eq(import3(&r, opps_csv, history_csv, items_csv, &o), SPM_OK);
	a = opp_id(r, "006A");
	spm_opp_import_report_free(r);
	before = history_of(a);
	snprintf(saved, sizeof(saved), "%s", before);

	cr_assert_eq(import3(&r, opps_csv, history_csv, items_csv, &o), SPM_OK, "%s",
		     spm_error_message());
	for (int f = 0; f < 3; f++) {
		cr_assert_eq(cnt(r, f, SPM_OPP_COUNT_CREATED), 0, "file %d", f);
		cr_assert_eq(cnt(r, f, SPM_OPP_COUNT_UPDATED), 0, "file %d", f);
	}
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_UNCHANGED), 3);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_UNCHANGED), 7);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_LINE_ITEMS, SPM_OPP_COUNT_UNCHANGED), 3);
	cr_assert_eq(opp_id(r, "006A"), a);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 3);
	cr_assert_eq(count_kind("stage_history"), 7);
	cr_assert_eq(count_kind("line_item"), 3);
	cr_assert_str_eq(history_of(a), saved);
}

Test(opp_import, reimport_with_a_new_stage_extends_the_history)
{
	static const char opps2[] =
		"Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate\n"
		"006B,001B,Beta Installations,Closed Won,130000,03/31/24,01/15/24\n";
	static const char hist2[] =
		"OpportunityId,CreatedDate,StageName,Amount\n"
		"006B,01/15/24 10:00 AM,Qualification,125000.50\n"
		"006B,01/20/24 10:00 AM,Proposal/Price Quote,125000.50\n"  /* a row the first lacked */
		"006B,02/01/24 10:00 AM,Negotiation/Review,125000.50\n"
		"006B,03/01/24 10:00 AM,Closed Won,130000\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t b;

	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_OK);
	b = opp_id(r, "006B");
	spm_opp_import_report_free(r);
	cr_assert_eq(import3(&r, opps2, hist2, NULL, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_UPDATED), 1);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_UNCHANGED), 2);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_CREATED), 2);
	/* the stored Negotiation row now follows Proposal: relinked */
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_UPDATED), 1);
	cr_assert_eq(opp_id(r, "006B"), b);
	spm_opp_import_report_free(r);
	cr_assert_str_eq(history_of(b),
			 "->Qualification @2024-01-15T10:00:00Z 125000.50 USD\n"
			 "Qualification>Proposal @2024-01-20T10:00:00Z +432000 125000.50 USD\n"
			 "Proposal>Negotiation @2024-02-01T10:00:00Z +1036800 125000.50 USD\n"
			 "Negotiation>Won @2024-03-01T10:00:00Z +2505600 130000.00 USD");
	assert_field("opportunity", b, "status", "won");
	assert_field("opportunity", b, "closed_at", "2024-03-01T10:00:00Z");
	assert_field("opportunity", b, "amount", "130000.00 USD");
	cr_assert_eq(count_kind("opportunity"), 3);
}

Test(opp_import, history_wins_over_a_disagreeing_stage_name)
{
	static const char opps[] =
		"Id,Name,StageName,Amount,CreatedDate\n"
		"006A,Acme Generators,Closed Lost,15000,2024-01-10\n";
	static const char hist[] =
		"OpportunityId,CreatedDate,StageName\n"
		"006A,2024-01-10 09:00:00,Prospecting\n"
		"006A,2024-02-03T17:30:00Z,Closed Won\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t a;

	o.date_order = SPM_OPP_DATES_ISO;
	cr_assert_eq(import3(&r, opps, hist, NULL, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_opp_import_report_problems(r), 1);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 2, "StageName", 1,
		       "StageName 'Closed Lost' differs from the last history row (line 3, "
		       "'Closed Won'): the history wins");
	a = opp_id(r, "006A");
	spm_opp_import_report_free(r);
	assert_field("opportunity", a, "stage_id", num(s_won));
	assert_field("opportunity", a, "status", "won");
	assert_field("opportunity", a, "closed_at", "2024-02-03T17:30:00Z");
	assert_field("opportunity", a, "customer_id", NULL);
}

Test(opp_import, closed_without_history_closes_on_its_close_date)
{
	static const char opps[] =
		"Id,Name,StageName,Amount,CloseDate\n"
		"006A,Acme Generators,Closed Won,15000,2024-02-03\n"
		"006B,Beta,Closed Lost,1,\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;

	o.date_order = SPM_OPP_DATES_ISO;
	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_EINVAL);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 3, NULL, 0,
		       "a lost opportunity needs a close date or history to say when it closed");
	spm_opp_import_report_free(r);
	o.mode = SPM_CSV_SKIP_BAD_ROWS;
	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_OK);
	assert_field("opportunity", opp_id(r, "006A"), "closed_at", "2024-02-03T00:00:00Z");
	/* no CreatedDate, no history: opened when imported (created_at) */
	assert_field("opportunity", opp_id(r, "006A"), "opened_at", "2026-03-01T09:00:00Z");
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("stage_history"), 0);
}

Test(opp_import, unknown_stages_are_created_on_request)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	spm_query *q;
	spm_record_iter *it;
	const spm_record *rec;
	char got[1024] = "";
	int64_t empty;

	empty = ADD("pipeline", "name", "Imported");
	o.pipeline_id = empty;
	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_EINVAL);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_BAD), 3);
	spm_opp_import_report_free(r);

	o.flags = SPM_OPP_IMPORT_CREATE_STAGES;
	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(spm_opp_import_report_stages_created(r), 6);
	spm_opp_import_report_free(r);
	cr_assert_eq(spm_query_new(&q, db, "stage"), SPM_OK);
	cr_assert_eq(spm_query_where_int(q, "pipeline_id", SPM_CMP_EQ, empty), SPM_OK);
	cr_assert_eq(spm_record_iter_new(&it, q), SPM_OK);
	while (spm_record_iter_next(&rec, it) == SPM_OK) {
		const char *v[5];
		const char *f[5] = { "name", "position", "probability", "forecast_category",
				     "outcome" };

		for (int i = 0; i < 5; i++) {
			cr_assert_eq(spm_record_get_as_text(&v[i], rec, f[i]), SPM_OK);
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
				 v[i] ? v[i] : "-", i < 4 ? "|" : ";");
		}
	}
	spm_record_iter_free(it);
	spm_query_free(q);
	/* open stages by probability, then won, then lost; the Opportunity file
	 * names them first (it has a Probability but no forecast column) */
	cr_assert_str_eq(got,
			 "Closed Won|5|100|closed|won;"
			 "Negotiation/Review|4|90|pipeline|open;"
			 "Closed Lost|6|0|omitted|lost;"
			 "Prospecting|1|10|pipeline|open;"
			 "Proposal/Price Quote|3|75|pipeline|open;"
			 "Qualification|2|20|pipeline|open;");
}

/* ---- owners and actors, permissions ---- */

Test(opp_import, owners_and_actors_resolve_through_the_user_key)
{
	static const char opps[] =
		"Id,Name,StageName,OwnerId\n"
		"006A,Acme Generators,Prospecting,005ANN\n"
		"006B,Beta,Prospecting,005NOBODY\n";
	static const char hist[] =
		"OpportunityId,CreatedDate,StageName,CreatedById\n"
		"006A,2024-01-10 09:00:00,Prospecting,005BO\n"
		"006B,2024-01-10 09:00:00,Prospecting,005NOBODY\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t role, ann, bo, a, b;
	char want[160];

	cr_assert_eq(spm_field_add(db, "user", "external_id", SPM_FIELD_TEXT, NULL), SPM_OK);
	role = ADD("role", "name", "rep", "scope", "1");
	ann = ADD("user", "name", "Ann", "role_id", num(role), "active", "true", "external_id",
		  "005ANN");
	bo = ADD("user", "name", "Bo", "role_id", num(role), "active", "true", "external_id",
		 "005BO");
	o.date_order = SPM_OPP_DATES_ISO;
	cr_assert_eq(import3(&r, opps, hist, NULL, &o), SPM_EINVAL);
	/* the history row is bad on its own: its opportunity's badness adds nothing */
	cr_assert_eq(spm_opp_import_report_problems(r), 2);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 3, "OwnerId", 0,
		       "no user has external_id '005NOBODY'");
	assert_problem(r, 1, SPM_OPP_FILE_HISTORY, 3, "CreatedById", 0,
		       "no user has external_id '005NOBODY'");
	spm_opp_import_report_free(r);

	o.flags = SPM_OPP_IMPORT_LENIENT_REFS;
	cr_assert_eq(import3(&r, opps, hist, NULL, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_opp_import_report_problems(r), 2);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 3, "OwnerId", 1,
		       "no user has external_id '005NOBODY': left empty");
	assert_problem(r, 1, SPM_OPP_FILE_HISTORY, 3, "CreatedById", 1,
		       "no user has external_id '005NOBODY': left empty");
	a = opp_id(r, "006A");
	b = opp_id(r, "006B");
	spm_opp_import_report_free(r);
	assert_field("opportunity", a, "owner_id", num(ann));
	assert_field("opportunity", b, "owner_id", NULL);
	snprintf(want, sizeof(want), "->Prospecting @2024-01-10T09:00:00Z by %lld", (long long)bo);
	cr_assert_str_eq(history_of(a), want);
	cr_assert_str_eq(history_of(b), "->Prospecting @2024-01-10T09:00:00Z");
}

Test(opp_import, needs_the_import_action)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t rep_role, importer_role, rep, importer;

	rep_role = ADD("role", "name", "rep", "scope", "3");
	importer_role = ADD("role", "name", "ops", "scope", "3", "actions", "import");
	rep = ADD("user", "name", "Rep", "role_id", num(rep_role), "active", "true");
	importer = ADD("user", "name", "Ops", "role_id", num(importer_role), "active", "true");
	/* the field exists already: the rep's import fails on the action only */
	cr_assert_eq(spm_field_add(db, "opportunity", "external_id", SPM_FIELD_TEXT, NULL), SPM_OK);
	as(rep);
	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_EPERM);
	cr_assert_str_eq(spm_opp_import_report_message(r), "nothing stored: user 1 may not "
			 "import opportunities (needs the 'import' action)");
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 0);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 0);
	as(importer);
	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_OK, "%s",
		     spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 3);
	spm_opp_import_report_free(r);
	(void)rep;
}

/* ---- arguments, headers, mappings ---- */

Test(opp_import, bad_arguments_and_options)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r = (void *)1;

	cr_assert_eq(spm_opp_import(NULL, db, "", 0, NULL, 0, NULL, 0, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import(&r, NULL, "", 0, NULL, 0, NULL, 0, &o), SPM_EINVAL);
	cr_assert_null(r);
	cr_assert_eq(spm_opp_import(&r, db, NULL, 0, NULL, 0, NULL, 0, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import(&r, db, "", 0, NULL, 3, NULL, 0, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import(&r, db, "", 0, NULL, 0, NULL, 0, NULL), SPM_EINVAL);
	o.pipeline_id = 0;
	cr_assert_eq(import3(&r, opps_csv, NULL, NULL, &o), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "an opportunity import needs a pipeline (pipeline_id)");
	o.pipeline_id = 999;
	cr_assert_eq(import3(&r, opps_csv, NULL, NULL, &o), SPM_ENOTFOUND);
	cr_assert_str_eq(spm_error_message(), "pipeline 999 does not exist");
	o = sfdc_options();
	o.currency = "usd";
	cr_assert_eq(import3(&r, opps_csv, NULL, NULL, &o), SPM_EINVAL);
	o = sfdc_options();
	o.flags = 0x80;
	cr_assert_eq(import3(&r, opps_csv, NULL, NULL, &o), SPM_EINVAL);
	o = sfdc_options();
	o.date_order = 7;
	cr_assert_eq(import3(&r, opps_csv, NULL, NULL, &o), SPM_EINVAL);
	o = sfdc_options();
	o.version = 2;
	cr_assert_eq(import3(&r, opps_csv, NULL, NULL, &o), SPM_EVERSION);
	cr_assert_eq(spm_opp_import_options_init(&o, 2), SPM_EVERSION);
	cr_assert_eq(spm_opp_import_options_init(NULL, 1), SPM_EINVAL);
	cr_assert_eq(spm_opp_import_options_init(&o, 1), SPM_OK);
	cr_assert_eq(o.pipeline_id, 0);
	cr_assert_null(r);
	cr_assert_eq(count_kind("opportunity"), 0);
	cr_assert_eq(spm_opp_import_report_count(NULL, 0, 0), 0);
	cr_assert_eq(spm_opp_import_report_status(NULL), SPM_EINVAL);
	cr_assert_str_eq(spm_opp_import_report_message(NULL), "");
	spm_opp_import_report_free(NULL);
}

Test(opp_import, a_header_without_a_required_column_is_refused)
{
	static const char opps[] = "Id,Name\n006A,Acme\n";
	static const char hist[] = "OpportunityId,StageName,StageName\n006A,Prospecting,x\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;

	cr_assert_eq(import3(&r, opps, hist, NULL, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import_report_problems(r), 3);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 1, NULL, 0,
		       "the opportunities file has no column for stage");
	assert_problem(r, 1, SPM_OPP_FILE_HISTORY, 1, "StageName", 0,
		       "header \"StageName\" appears twice (columns 2 and 3)");
	assert_problem(r, 2, SPM_OPP_FILE_HISTORY, 1, NULL, 0,
		       "the history file has no column for at");
	cr_assert_str_eq(spm_opp_import_report_message(r),
			 "a header row is refused: nothing stored");
	spm_opp_import_report_free(r);
}

/* Many CRMs export a deal number and no name: the id names the deal. A name
 * column with an empty cell is still a bad row. */
Test(opp_import, a_file_without_a_name_column_names_deals_by_their_id)
{
	static const char opps[] = "Id,StageName\n1C1I7A6R,Prospecting\nZ063OYW0,Prospecting\n";
	static const char named[] = "Id,Name,StageName\n006A,Acme,Prospecting\n006B,,Prospecting\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	int64_t a, b;

	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_opp_import_report_problems(r), 0);
	a = opp_id(r, "1C1I7A6R");
	b = opp_id(r, "Z063OYW0");
	spm_opp_import_report_free(r);
	assert_field("opportunity", a, "name", "1C1I7A6R");
	assert_field("opportunity", b, "name", "Z063OYW0");

	cr_assert_eq(import3(&r, named, NULL, NULL, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import_report_problems(r), 1);
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 3, "Name", 0, "Name is empty");
	cr_assert_eq(spm_opp_import_report_count(r, SPM_OPP_FILE_OPPORTUNITIES,
						 SPM_OPP_COUNT_CREATED), 0);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("opportunity"), 2);
}

Test(opp_import, malformed_csv_rows_have_their_line)
{
	static const char opps[] =
		"Id,Name,StageName\n"
		"006A,Acme,Prospecting\n"
		"006B,\"Be\"ta,Prospecting\n"
		"006C,Gamma\n"
		"006A,Acme again,Prospecting\n";
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	const char *m;

	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import_report_problems(r), 3);
	cr_assert_eq(spm_opp_import_report_problem(&m, NULL, NULL, NULL, NULL, r, 0), SPM_OK);
	cr_assert_str_eq(m, "line 3, column 10: unexpected character after the closing quote of a field");
	cr_assert_eq(spm_opp_import_report_problem(&m, NULL, NULL, NULL, NULL, r, 1), SPM_OK);
	cr_assert_str_eq(m, "line 4: row has 2 fields, the header has 3");
	assert_problem(r, 2, SPM_OPP_FILE_OPPORTUNITIES, 5, "Id", 0,
		       "Id '006A' appears again (first on line 2)");
	cr_assert_eq(spm_opp_import_report_problem(&m, NULL, NULL, NULL, NULL, r, 3), SPM_ERANGE);
	cr_assert_eq(spm_opp_import_report_problem(&m, NULL, NULL, NULL, NULL, NULL, 0),
		     SPM_EINVAL);
	spm_opp_import_report_free(r);
}

Test(opp_import, a_custom_mapping_fills_custom_fields)
{
	static const char *const opp_map[] = {
		"Deal No", "id", "Deal", "name", "Phase", "stage", "Value", "amount",
		"Cur", "currency", "Opened", "created", "Region", "region", "Notes", NULL,
	};
	static const char *const his_map[] = {
		"Deal No", "opportunity", "Phase", "stage", "When", "at",
	};
	static const char opps[] =
		"Deal No,Deal,Phase,Value,Cur,Opened,Region,Notes\n"
		"D-1,Kiosk,Qualification,9.5,EUR,2024-03-01T08:00:00+01:00,north,call back\n"
		"D-2,Depot,Qualification,900,JPY,2024-03-02,south,\n";
	static const char hist[] =
		"Deal No,Phase,When\n"
		"D-1,Prospecting,2024-03-01T07:00:00Z\n"
		"D-1,Qualification,2024-03-05T07:00:00.000+0000\n";
	spm_opp_import_options o = SPM_OPP_IMPORT_OPTIONS_INIT;
	spm_opp_import_report *r;
	int64_t d1, d2;

	cr_assert_eq(spm_field_add(db, "opportunity", "region", SPM_FIELD_TEXT, NULL), SPM_OK);
	o.pipeline_id = pipeline;
	o.mapping[SPM_OPP_FILE_OPPORTUNITIES] = opp_map;
	o.nmapping[SPM_OPP_FILE_OPPORTUNITIES] = 8;
	o.mapping[SPM_OPP_FILE_HISTORY] = his_map;
	o.nmapping[SPM_OPP_FILE_HISTORY] = 3;
	cr_assert_eq(import3(&r, opps, hist, NULL, &o), SPM_OK, "%s", spm_error_message());
	d1 = opp_id(r, "D-1");
	d2 = opp_id(r, "D-2");
	spm_opp_import_report_free(r);
	assert_field("opportunity", d1, "amount", "9.50 EUR");
	assert_field("opportunity", d1, "opened_at", "2024-03-01T07:00:00Z");
	assert_field("opportunity", d1, "region", "north");
	assert_field("opportunity", d2, "amount", "900 JPY");
	assert_field("opportunity", d2, "opened_at", "2024-03-02T00:00:00Z");
	cr_assert_str_eq(history_of(d1),
			 "->Prospecting @2024-03-01T07:00:00Z\n"
			 "Prospecting>Qualification @2024-03-05T07:00:00Z +345600");

	/* a mapping target that is no field, the same header twice */

	{
		static const char *const bad[] = { "Deal No", "id", "Deal", "nonesuch" };
		static const char *const twice[] = { "Deal No", "id", "Deal No", "name" };
		static const char *const his_bad[] = { "Deal No", "region" };

		o.mapping[SPM_OPP_FILE_OPPORTUNITIES] = bad;
		o.nmapping[SPM_OPP_FILE_OPPORTUNITIES] = 2;
		cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_ENOTFOUND);
		cr_assert_str_eq(spm_error_message(), "the mapping gives header \"Deal\" to "
				 "opportunity.nonesuch, which does not exist");
		o.mapping[SPM_OPP_FILE_OPPORTUNITIES] = twice;
		cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_EINVAL);
		o.mapping[SPM_OPP_FILE_OPPORTUNITIES] = opp_map;
		o.nmapping[SPM_OPP_FILE_OPPORTUNITIES] = 8;
		o.mapping[SPM_OPP_FILE_HISTORY] = his_bad;
		o.nmapping[SPM_OPP_FILE_HISTORY] = 1;
		cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_ENOTFOUND);
		o.mapping[SPM_OPP_FILE_HISTORY] = NULL;
		cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_EINVAL);  /* nmapping 1 */
		cr_assert_null(r);
	}
}

Test(opp_import, amounts_and_dates_are_exact)
{
	static const char opps[] =
		"Id,Name,StageName,Amount,CurrencyIsoCode,CloseDate,CreatedDate\n"
		"1,a,Prospecting,1.5,JPY,2024-01-01,2024-01-01\n"
		"2,b,Prospecting,1e3,USD,2024-01-01,2024-01-01\n"
		"3,c,Prospecting,12.50 EUR,USD,2024-01-01,2024-01-01\n"
		"4,d,Prospecting,99,,2024-01-01,2024-01-01\n"
		"5,e,Prospecting,1,USD,02/29/23,2024-01-01\n"
		"6,f,Prospecting,1,USD,2024-01-01 10:00:00,2024-01-01\n"
		"7,g,Prospecting,1,USD,2024-01-01,13:00 2024-01-01\n"
		"8,h,Prospecting,1,USD,2024-01-01,01/02/24 13:00 PM\n"
		"9,i,Prospecting,9223372036854775808,JPY,2024-01-01,2024-01-01\n";
	spm_opp_import_options o = SPM_OPP_IMPORT_OPTIONS_INIT;
	spm_opp_import_report *r;
	const char *m, *c;
	size_t line;

	o.pipeline_id = pipeline;
	o.date_order = SPM_OPP_DATES_MDY;
	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import_report_problems(r), 9);
	for (size_t i = 0; i < 9; i++) {
		cr_assert_eq(spm_opp_import_report_problem(&m, NULL, &line, &c, NULL, r, i), SPM_OK);
		cr_assert_eq(line, i + 2, "%zu: %s", i, m);
	}
	assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 2, "Amount", 0,
		       "Amount: spm_money_parse: JPY has 0 decimal(s), the text has 1");
	assert_problem(r, 3, SPM_OPP_FILE_OPPORTUNITIES, 5, "Amount", 0,
		       "Amount: '99' has no currency (add one, a currency column or a default "
		       "currency)");
	assert_problem(r, 2, SPM_OPP_FILE_OPPORTUNITIES, 4, "Amount", 0,
		       "Amount: '12.50 EUR' is not in the currency column's USD");
	assert_problem(r, 5, SPM_OPP_FILE_OPPORTUNITIES, 7, "CloseDate", 0,
		       "'2024-01-01 10:00:00' has a time; a close date is a date");
	spm_opp_import_report_free(r);
}

/* ---- round trip ---- */

struct buf {
	char data[8192];
	size_t len;
};

static int to_buf(const char *data, size_t len, void *payload)
{
	struct buf *b = payload;

	cr_assert_lt(b->len + len, sizeof(b->data));
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

Test(opp_import, export_then_import_into_a_new_database_gives_the_same_data)
{
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	struct buf opps1 = { "", 0 }, hist1 = { "", 0 }, opps2 = { "", 0 }, hist2 = { "", 0 };
	char path2[256], h1[2048];
	spm_db *db1 = db, *db2;
	int64_t a1, a2;

	cr_assert_eq(import3(&r, opps_csv, history_csv, NULL, &o), SPM_OK);
	a1 = opp_id(r, "006A");
	spm_opp_import_report_free(r);
	snprintf(h1, sizeof(h1), "%s", history_of(a1));
	cr_assert_eq(spm_opp_export(db, pipeline, SPM_OPP_FILE_OPPORTUNITIES, NULL, to_buf, &opps1),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_opp_export(db, pipeline, SPM_OPP_FILE_HISTORY, NULL, to_buf, &hist1),
		     SPM_OK, "%s", spm_error_message());
	cr_assert_str_eq(opps1.data,
			 "Id,AccountId,OwnerId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,"
			 "CreatedDate,LeadSource\r\n"
			 "006A,001A,,Acme Generators,Closed Won,15000.00,USD,2024-02-03,"
			 "2024-01-10 00:00:00,Web\r\n"
			 "006B,001B,,Beta Installations,Negotiation/Review,125000.50,USD,2024-03-31,"
			 "2024-01-15 00:00:00,\r\n"
			 "006C,001A,,Acme SLA,Closed Lost,120000.00,USD,2024-02-20,"
			 "2024-01-20 00:00:00,Partner\r\n");
	cr_assert_str_eq(hist1.data,
			 "OpportunityId,StageName,CreatedDate,Amount,CurrencyIsoCode,CreatedById\r\n"
			 "006A,Prospecting,2024-01-10 09:00:00,10000.00,USD,\r\n"
			 "006A,Proposal/Price Quote,2024-01-20 09:00:00,15000.00,USD,\r\n"
			 "006A,Closed Won,2024-02-03 17:30:00,15000.00,USD,\r\n"
			 "006B,Qualification,2024-01-15 10:00:00,125000.50,USD,\r\n"
			 "006B,Negotiation/Review,2024-02-01 10:00:00,125000.50,USD,\r\n"
			 "006C,Prospecting,2024-01-20 12:00:00,120000.00,USD,\r\n"
			 "006C,Closed Lost,2024-02-20 00:00:00,120000.00,USD,\r\n");

	/* a new database with the same pipeline and customers, ISO dates, no default currency */
	temp_db_path(path2, sizeof(path2));
	db2 = open_db(path2);
	cr_assert_eq(spm_db_set_actor(db2, 0), SPM_OK);
	db = db2;
	o = (spm_opp_import_options)SPM_OPP_IMPORT_OPTIONS_INIT;
	o.pipeline_id = make_pipeline(db2);
	cr_assert_eq(spm_opp_import(&r, db2, opps1.data, opps1.len, hist1.data, hist1.len, NULL, 0,
				    &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 3);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_HISTORY, SPM_OPP_COUNT_CREATED), 7);
	cr_assert_eq(spm_opp_import_report_problems(r), 0);
	a2 = opp_id(r, "006A");
	spm_opp_import_report_free(r);
	cr_assert_str_eq(history_of(a2), h1);
	assert_field("opportunity", a2, "closed_at", "2024-02-03T17:30:00Z");
	assert_field("opportunity", a2, "status", "won");
	cr_assert_eq(spm_opp_export(db2, o.pipeline_id, SPM_OPP_FILE_OPPORTUNITIES, NULL, to_buf,
				    &opps2), SPM_OK);
	cr_assert_eq(spm_opp_export(db2, o.pipeline_id, SPM_OPP_FILE_HISTORY, NULL, to_buf, &hist2),
		     SPM_OK);
	cr_assert_str_eq(opps2.data, opps1.data);
	cr_assert_str_eq(hist2.data, hist1.data);
	spm_db_close(db2);
	db = db1;
}

Test(opp_import, export_refuses_bad_arguments)
{
	struct buf b = { "", 0 };

	cr_assert_eq(spm_opp_export(NULL, pipeline, SPM_OPP_FILE_HISTORY, NULL, to_buf, &b),
		     SPM_EINVAL);
	cr_assert_eq(spm_opp_export(db, pipeline, SPM_OPP_FILE_HISTORY, NULL, NULL, &b),
		     SPM_EINVAL);
	cr_assert_eq(spm_opp_export(db, pipeline, SPM_OPP_FILE_LINE_ITEMS, NULL, to_buf, &b),
		     SPM_EINVAL);
	cr_assert_eq(spm_opp_export(db, 999, SPM_OPP_FILE_HISTORY, NULL, to_buf, &b),
		     SPM_ENOTFOUND);
	cr_assert_eq(b.len, 0);
	/* an empty pipeline: the header only */
	cr_assert_eq(spm_opp_export(db, pipeline, SPM_OPP_FILE_HISTORY, NULL, to_buf, &b), SPM_OK);
	cr_assert_str_eq(b.data, "OpportunityId,StageName,CreatedDate,Amount,CurrencyIsoCode,"
			 "CreatedById\r\n");
}

Test(opp_import, a_stage_named_only_by_bad_rows_is_not_created)
{
	static const char opps[] =
		"Id,Name,StageName,Amount\n"
		"1,a,Discovery,10\n"
		"2,b,Scoping,1.001\n";   /* bad: its new stage is not created */
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;

	o.flags = SPM_OPP_IMPORT_CREATE_STAGES;
	o.mode = SPM_CSV_SKIP_BAD_ROWS;
	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_opp_import_report_stages_created(r), 1);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 1);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("stage"), 7);  /* the six of setup() and Discovery */
	assert_field("stage", s_lost + 1, "name", "Discovery");
	assert_field("stage", s_lost + 1, "position", "7");
}

/* A stage name the stage record refuses (over its 100 bytes) makes its rows
 * bad in the check, so the dry run says what the import does (found by
 * fuzz_opps: the dry run passed, the write failed). */
Test(opp_import, a_stage_name_too_long_to_create_makes_its_rows_bad)
{
	char opps[512], name[128], msg[256];
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;

	memset(name, 'S', 101);
	name[101] = '\0';
	snprintf(opps, sizeof(opps), "Id,Name,StageName,Amount\n1,a,Discovery,10\n2,b,%s,5\n",
		 name);
	snprintf(msg, sizeof(msg), "stage '%s' cannot be created: stage.name: 101 bytes, "
		 "longer than 100", name);
	o.flags = SPM_OPP_IMPORT_CREATE_STAGES;
	for (int dry = 1; dry >= 0; dry--) {
		o.dry_run = dry;
		cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_EINVAL);
		cr_assert_eq(spm_opp_import_report_problems(r), 1);
		assert_problem(r, 0, SPM_OPP_FILE_OPPORTUNITIES, 3, "StageName", 0, msg);
		cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_BAD), 1);
		cr_assert_eq(spm_opp_import_report_stages_created(r), 0);
		spm_opp_import_report_free(r);
		cr_assert_eq(count_kind("stage"), 6);
		cr_assert_eq(count_kind("opportunity"), 0);
	}
	o.mode = SPM_CSV_SKIP_BAD_ROWS;
	cr_assert_eq(import3(&r, opps, NULL, NULL, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_opp_import_report_stages_created(r), 1);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 1);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_BAD), 1);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("stage"), 7);
	assert_field("stage", s_lost + 1, "name", "Discovery");
}

/* Line items the write would refuse are bad rows in the check: the dry run
 * said OK and the import then failed as a whole, even when bad rows were to
 * be skipped. One file with every kind; 006A keeps its good items. */
Test(opp_import, line_items_the_write_refuses_are_bad_rows)
{
	char items[1024], product[202], msg[300];
	spm_opp_import_options o = sfdc_options();
	spm_opp_import_report *r;
	const spm_record *rec;
	spm_record_iter *it;
	spm_query *q;
	int64_t a, amount;
	const char *cur;
	int n = 0;

	memset(product, 'P', 201);
	product[201] = '\0';
	snprintf(items, sizeof(items),
		 "OpportunityId,Name,Quantity,UnitPrice,CurrencyIsoCode\n"
		 "006A,Generator,2,5000,USD\n"                         /* 10,000.00 */
		 "006A,%s,1,5,USD\n"                                   /* line 3: too long */
		 "006A,Refund,1,-5,USD\n"                              /* line 4: negative */
		 "006A,Bulk,1000000000000,1000000000,USD\n"            /* line 5: overflows */
		 "006A,Travel,1,5,EUR\n"                               /* line 6: currency */
		 "006B,Big,1,90000000000000000,USD\n"                  /* 9e18 cents fits */
		 "006B,Bigger,1,2300000000000000,USD\n"                /* line 8: sum overflows */
		 "006B,Small,1,1.25,USD\n",
		 product);
	for (int dry = 1; dry >= 0; dry--) {
		o.dry_run = dry;
		cr_assert_eq(import3(&r, opps_csv, NULL, items, &o), SPM_EINVAL);
		cr_assert_str_eq(spm_opp_import_report_message(r), "5 bad rows: nothing stored");
		cr_assert_eq(spm_opp_import_report_problems(r), 5);
		snprintf(msg, sizeof(msg), "line_item.product: 201 bytes, longer than 200");
		assert_problem(r, 0, SPM_OPP_FILE_LINE_ITEMS, 3, "Name", 0, msg);
		assert_problem(r, 1, SPM_OPP_FILE_LINE_ITEMS, 4, "UnitPrice", 0,
			       "line_item.unit_price: must not be negative");
		assert_problem(r, 2, SPM_OPP_FILE_LINE_ITEMS, 5, "UnitPrice", 0,
			       "line_item.amount: quantity × unit_price overflows");
		assert_problem(r, 3, SPM_OPP_FILE_LINE_ITEMS, 6, "CurrencyIsoCode", 0,
			       "in EUR, but the other line items of opportunity '006A' are in USD");
		assert_problem(r, 4, SPM_OPP_FILE_LINE_ITEMS, 8, "UnitPrice", 0,
			       "the line items of opportunity '006B' sum beyond the largest amount");
		spm_opp_import_report_free(r);
		cr_assert_eq(count_kind("line_item"), 0);
	}
	o.dry_run = 0;
	o.mode = SPM_CSV_SKIP_BAD_ROWS;
	cr_assert_eq(import3(&r, opps_csv, NULL, items, &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_LINE_ITEMS, SPM_OPP_COUNT_CREATED), 3);
	cr_assert_eq(cnt(r, SPM_OPP_FILE_LINE_ITEMS, SPM_OPP_COUNT_BAD), 5);
	a = opp_id(r, "006A");
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("line_item"), 3);
	cr_assert_eq(spm_query_new(&q, db, "opportunity"), SPM_OK);
	cr_assert_eq(spm_record_iter_new(&it, q), SPM_OK);
	while (spm_record_iter_next(&rec, it) == SPM_OK) {
		if (spm_record_id(rec) != a)
			continue;
		cr_assert_eq(spm_record_get_money(&amount, &cur, rec, "amount"), SPM_OK);
		cr_assert_eq(amount, 1000000);
		cr_assert_str_eq(cur, "USD");
		n++;
	}
	spm_record_iter_free(it);
	spm_query_free(q);
	cr_assert_eq(n, 1);

	/* again, with one more item for 006B: its stored items stay and count
	 * (90,000,000,000,000,001.25 USD), so Bigger overflows again; a file
	 * item equal to a stored one is that item */
	o.mode = SPM_CSV_ALL_OR_NOTHING;
	o.dry_run = 1;
	cr_assert_eq(import3(&r, opps_csv, NULL,
			     "OpportunityId,Name,Quantity,UnitPrice,CurrencyIsoCode\n"
			     "006A,Generator,2,5000,USD\n"
			     "006B,Bigger,1,2300000000000000,USD\n", &o), SPM_EINVAL);
	cr_assert_eq(spm_opp_import_report_problems(r), 1);
	assert_problem(r, 0, SPM_OPP_FILE_LINE_ITEMS, 3, "UnitPrice", 0,
		       "the line items of opportunity '006B' sum beyond the largest amount");
	spm_opp_import_report_free(r);
	o.dry_run = 0;
	cr_assert_eq(import3(&r, opps_csv, NULL,
			     "OpportunityId,Name,Quantity,UnitPrice,CurrencyIsoCode\n"
			     "006A,Generator,2,5000,USD\n"
			     "006B,Small,1,1.25,USD\n", &o), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(cnt(r, SPM_OPP_FILE_LINE_ITEMS, SPM_OPP_COUNT_UNCHANGED), 2);
	spm_opp_import_report_free(r);
	cr_assert_eq(count_kind("line_item"), 3);
}

/* ---- out of memory (TESTING.md §A) ---- */

static spm_db *open_counted(const char *p, struct counting_alloc *a)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	spm_db *d = NULL;

	o.path = p;
	o.clock = test_clock;
	o.actor = 0;
	o.malloc_fn = ca_malloc;
	o.realloc_fn = ca_realloc;
	o.free_fn = ca_free;
	o.alloc_payload = a;
	cr_assert_eq(spm_db_open(&d, &o), SPM_OK, "%s", spm_error_message());
	return d;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	cr_assert(in && out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* Every allocation of an import fails once: OK or SPM_ENOMEM, never a
 * partial import, never a leak (counted after the close). Each run starts
 * from a copy of one prepared database. */
Test(opp_import, out_of_memory_at_every_allocation)
{
	static const char opps[] =
		"Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate\n"
		"006A,001A,Acme,Closed Won,15000,02/03/24,01/10/24\n";
	static const char hist[] =
		"OpportunityId,CreatedDate,StageName,Amount\n"
		"006A,02/03/24 05:30 PM,Closed Won,15000\n"
		"006A,01/10/24 09:00 AM,Prospecting,10000\n";
	static const char items[] =
		"OpportunityId,Name,Quantity,UnitPrice,Discount\n006A,X,2.00,5000.00,10\n";
	spm_db *saved = db;
	char template[256];
	long at;
	int done = 0;

	temp_db_path(template, sizeof(template));
	db = open_db(template);
	as(0);
	make_pipeline(db);
	cr_assert_eq(spm_field_add(db, "opportunity", "external_id", SPM_FIELD_TEXT, NULL), SPM_OK);
	spm_db_close(db);
	for (at = 1; !done; at++) {
		struct counting_alloc a = { 0, 0, 0, 0 };
		spm_opp_import_options o = sfdc_options();
		spm_opp_import_report *r = NULL;
		char p[256];
		int rc, n, h;

		temp_db_path(p, sizeof(p));
		copy_file(template, p);
		db = open_counted(p, &a);
		o.pipeline_id = 1;
		a.calls = 0;
		a.fail_at = at;
		rc = import3(&r, opps, hist, items, &o);
		a.fail_at = 0;
		cr_assert(rc == SPM_OK || rc == SPM_ENOMEM, "fail at %ld: %s: %s", at,
			  spm_result_name(rc), spm_error_message());
		done = rc == SPM_OK && a.calls < at;
		n = count_kind("opportunity");
		h = count_kind("stage_history");
		if (rc == SPM_OK) {
			cr_assert_eq(cnt(r, SPM_OPP_FILE_OPPORTUNITIES, SPM_OPP_COUNT_CREATED), 1);
			cr_assert_eq(n, 1, "fail at %ld", at);
			cr_assert_eq(h, 2, "fail at %ld", at);
		} else {
			cr_assert_null(r);
			/* a failure after the commit leaves everything, else nothing */
			cr_assert((n == 0 && h == 0) || (n == 1 && h == 2), "fail at %ld: %d, %d",
				  at, n, h);
		}
		spm_opp_import_report_free(r);
		spm_db_close(db);
		cr_assert_eq(a.live, 0, "fail at %ld: %ld blocks left", at, a.live);
	}
	db = saved;
	cr_assert_gt(at, 100);
}

