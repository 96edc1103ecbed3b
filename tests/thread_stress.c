/* Threads, one handle each, on one database file (TESTING.md §C; run under
 * ThreadSanitizer by scripts/test-all's stage tsan): each thread creates
 * deals, moves them to won or lost, runs a report through its own analytics
 * cache and provokes an error of its own. Proves the threading statement of
 * CONVENTIONS.md: distinct handles work at once (exact counts at the end,
 * no BUSY surfaced), error details are per thread (each thread reads back
 * its own message), and nothing is shared unsynchronised (TSan). A plain
 * program: Criterion crashes under TSan. */
#include "spm/spm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define DEALS 30  /* per thread; even: half won, half lost */

static char path[64];
static int64_t pipeline, first_stage, won_stage, lost_stage;

static const char pipeline_doc[] =
	"{\"name\":\"Sales\",\"allow_skip\":true,\"stages\":["
	"{\"name\":\"New\",\"probability\":10},"
	"{\"name\":\"Won\",\"probability\":100,\"outcome\":\"won\"},"
	"{\"name\":\"Lost\",\"probability\":0,\"outcome\":\"lost\"}]}";

static int open_db(spm_db **db)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;

	o.path = path;
	o.busy_timeout_ms = 30000;
	return spm_db_open(db, &o);
}

struct worker {
	int n;
	char error[256];  /* the first failure, empty when none */
};

static void failed(struct worker *w, const char *what, int rc)
{
	if (w->error[0] == '\0')
		snprintf(w->error, sizeof(w->error), "thread %d: %s: %s: %s", w->n, what,
			 spm_result_name(rc), spm_error_message());
}

static int add_deal(int64_t *id, spm_db *db, int n, int i)
{
	spm_record *rec = NULL;
	char name[32];
	int rc = spm_record_new(&rec, db, "opportunity");

	snprintf(name, sizeof(name), "t%d-%d", n, i);
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "name", name);
	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "pipeline_id", pipeline);
	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "stage_id", first_stage);
	if (rc == SPM_OK)
		rc = spm_record_set_money(rec, "amount", 100 * (n + 1) + i, "USD");
	if (rc == SPM_OK && i % 2)
		rc = spm_record_set_text(rec, "lost_reason", "price");
	if (rc == SPM_OK)
		rc = spm_record_save(db, rec);
	*id = spm_record_id(rec);
	spm_record_free(rec);
	return rc;
}

/* This thread's own error: the message names the id it asked for. */
static void own_error(struct worker *w, spm_db *db, int i)
{
	int64_t missing = 1000000 + w->n * 1000 + i;
	spm_record *rec = NULL;
	char want[32];
	int rc = spm_record_get(&rec, db, "customer", missing);

	snprintf(want, sizeof(want), "%lld", (long long)missing);
	if (rc != SPM_ENOTFOUND || strstr(spm_error_message(), want) == NULL)
		failed(w, "another thread's error message", rc);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	spm_result *res = NULL;
	spm_db *db = NULL;
	int rc = open_db(&db);

	if (rc != SPM_OK) {
		failed(w, "open", rc);
		return NULL;
	}
	for (int i = 0; i < DEALS && w->error[0] == '\0'; i++) {
		int64_t id = 0;

		rc = add_deal(&id, db, w->n, i);
		if (rc != SPM_OK) {
			failed(w, "save", rc);
			break;
		}
		rc = spm_opportunity_move(NULL, db, id, i % 2 ? lost_stage : won_stage, NULL);
		if (rc != SPM_OK) {
			failed(w, "move", rc);
			break;
		}
		rc = spm_report_run(&res, db, "{\"query\": \"win_rate\"}");
		spm_result_free(res);
		res = NULL;
		if (rc != SPM_OK) {
			failed(w, "report", rc);
			break;
		}
		own_error(w, db, i);
	}
	spm_db_close(db);
	return NULL;
}

/* The won and lost counts of the whole company, from a fresh handle. */
static int check_totals(void)
{
	spm_result *res = NULL;
	spm_db *db = NULL;
	int64_t won = -1, lost = -1;
	size_t cw, cl;
	int rc = open_db(&db);

	if (rc == SPM_OK)
		rc = spm_report_run(&res, db, "{\"query\": \"win_rate\"}");
	if (rc == SPM_OK)
		rc = spm_result_column_index(&cw, res, "won");
	if (rc == SPM_OK)
		rc = spm_result_column_index(&cl, res, "lost");
	if (rc == SPM_OK && spm_result_row_count(res) != 1)
		rc = SPM_ERROR;
	if (rc == SPM_OK)
		rc = spm_result_int(&won, res, 0, cw);
	if (rc == SPM_OK)
		rc = spm_result_int(&lost, res, 0, cl);
	spm_result_free(res);
	spm_db_close(db);
	if (rc != SPM_OK) {
		fprintf(stderr, "thread_stress: totals: %s: %s\n", spm_result_name(rc),
			spm_error_message());
		return 1;
	}
	if (won != THREADS * DEALS / 2 || lost != THREADS * DEALS / 2) {
		fprintf(stderr, "thread_stress: %lld won and %lld lost, expected %d each\n",
			(long long)won, (long long)lost, THREADS * DEALS / 2);
		return 1;
	}
	return 0;
}

/* The pipeline's stage ids by name (stage names are not indexed). */
static int find_stages(spm_db *db)
{
	spm_query *q = NULL;
	spm_record_iter *it = NULL;
	const spm_record *rec;
	const char *name;
	int rc = spm_query_new(&q, db, "stage");

	if (rc == SPM_OK)
		rc = spm_query_where_int(q, "pipeline_id", SPM_CMP_EQ, pipeline);
	if (rc == SPM_OK)
		rc = spm_record_iter_new(&it, q);
	while (rc == SPM_OK && (rc = spm_record_iter_next(&rec, it)) == SPM_OK &&
	       (rc = spm_record_get_text(&name, rec, "name")) == SPM_OK) {
		int64_t *slot = strcmp(name, "New") == 0 ? &first_stage :
				strcmp(name, "Won") == 0 ? &won_stage : &lost_stage;

		*slot = spm_record_id(rec);
	}
	spm_record_iter_free(it);
	spm_query_free(q);
	return rc == SPM_ITEROVER && first_stage && won_stage && lost_stage ? SPM_OK
		: rc == SPM_ITEROVER ? SPM_ENOTFOUND : rc;
}

static int setup(void)
{
	spm_db *db = NULL;
	int rc;

	snprintf(path, sizeof(path), "/tmp/spm-thread-stress-%ld.db", (long)getpid());
	unlink(path);
	rc = open_db(&db);
	if (rc == SPM_OK)
		rc = spm_pipeline_load(&pipeline, db, pipeline_doc);
	if (rc == SPM_OK)
		rc = find_stages(db);
	if (rc != SPM_OK)
		fprintf(stderr, "thread_stress: setup: %s: %s\n", spm_result_name(rc),
			spm_error_message());
	spm_db_close(db);
	return rc == SPM_OK ? 0 : 1;
}

static void remove_files(void)
{
	char p[80];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

int main(void)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int bad = setup(), setup_bad = bad;

	for (int i = 0; !bad && i < THREADS; i++) {
		w[i].n = i;
		w[i].error[0] = '\0';
		if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
			fprintf(stderr, "thread_stress: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; !setup_bad && i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; !bad && i < THREADS; i++) {
		if (w[i].error[0]) {
			fprintf(stderr, "thread_stress: %s\n", w[i].error);
			bad = 1;
		}
	}
	if (!bad)
		bad = check_totals();
	remove_files();
	if (!bad)
		printf("thread_stress: %d threads x %d deals: ok\n", THREADS, DEALS);
	return bad;
}
