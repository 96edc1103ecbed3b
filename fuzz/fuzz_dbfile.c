/* libFuzzer target for a damaged database file (TESTING.md §D): libspm opens
 * SQLite files written by other programs or damaged on disk, so nothing it
 * reads back may be trusted.
 *
 * The database is a fresh copy of a small company (roles, users, teams,
 * customers and deals with custom fields (an enum, money, a date, a time), a
 * pipeline, deals with stage history and a line item, leads, an activity, a
 * target, a saved report). Input byte 0 selects how the copy is damaged
 * before libspm opens it:
 *  - even: value edits through the sqlite3 API. The rest is a sequence of
 *    edits (table, row, column, kind of value, then the value's bytes): the
 *    table indexes the tables of sqlite_master by name, the row the table's
 *    rows by rowid, the column the table's columns; the value is NULL, an
 *    integer (small, 64-bit from the input or a boundary), a real, or text
 *    or a blob from the input or from a list of tricky texts (JSON-looking,
 *    currency codes, stage outcomes, invalid UTF-8);
 *  - odd: raw patches of the file: (3-byte offset modulo the length, 1 to 8
 *    bytes) each, so SQLite's corruption handling is reached.
 * Then it opens the file and reads every record of every kind (every field
 * as text, the record as JSON, the record again by id), runs the funnel,
 * win rate (also by a custom enum) and cycle reports and the saved report
 * (every cell read by its column's type), exports the deals and their history, reads the audit
 * trail and the outbox, the target's progress and a customer's 360 view, and
 * writes once (a new deal, moved to the next stage).
 * Checks:
 *  1. every call returns SPM_OK or an error code a damaged file may cause
 *     (never SPM_ERROR, SPM_ENOMEM, SPM_EBUSY or an unknown code), with a
 *     message;
 *  2. the undamaged copy (no edit applied) gives SPM_OK everywhere;
 *  3. nothing allocated through the handle stays live after close (and,
 *     under the sanitizers, no crash, overflow or uninitialised read).
 * Linked with replay_main.c it is a plain program that replays files and
 * directories of inputs (the corpus replay in every CI run). */
#include "spm/spm.h"

#include "fuzz_common.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in_data;
static size_t in_size;
/* No edit reached the file: every call must then succeed. */
static int pristine;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_dbfile: %s: %s\n  input (%zu bytes):", what, detail ? detail : "",
		in_size);
	for (size_t i = 0; i < in_size && i < 512; i++)
		fprintf(stderr, " %02x", in_data[i]);
	fprintf(stderr, "\n  error: %s\n", spm_error_message());
	abort();
}

/* The codes a damaged file may cause. */
static void check(int rc, const char *what)
{
	if (rc == SPM_OK)
		return;
	switch (rc) {
	case SPM_EINVAL:
	case SPM_ENOTFOUND:
	case SPM_EEXISTS:
	case SPM_ESTORAGE:
	case SPM_EPERM:
	case SPM_ECONFLICT:
	case SPM_EVERSION:
	case SPM_EOVERFLOW:
	case SPM_ERANGE:
	case SPM_ECURRENCY:
	case SPM_ECORRUPT:
	case SPM_ELIMIT:
	case SPM_EGATE:
	case SPM_EAPPROVAL:
		break;
	default:
		fail(what, spm_result_name(rc));
	}
	if (spm_error_message()[0] == '\0')
		fail("an error without a message", what);
	if (pristine)
		fail("the undamaged file fails", what);
}

/* ---- files without syncs -------------------------------------------- */

/* The default VFS with its file syncs skipped: a fuzz copy needs no
 * durability, and a sync (several per input) costs more than the rest of
 * the input together. Registered as the default, so libspm's connection
 * uses it too. */
static sqlite3_vfs nosync_vfs;
/* The VFS's method tables (the database's, the journals') and their copies
 * without xSync. */
static const sqlite3_io_methods *real_methods[4];
static sqlite3_io_methods nosync_methods[4];

static int nosync_sync(sqlite3_file *f, int flags)
{
	(void)f;
	(void)flags;
	return SQLITE_OK;
}

static int nosync_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
		       int *out_flags)
{
	sqlite3_vfs *real = vfs->pAppData;
	int rc = real->xOpen(real, name, f, flags, out_flags);

	for (size_t i = 0; rc == SQLITE_OK && f->pMethods != NULL && i < 4; i++) {
		if (real_methods[i] == NULL) {
			real_methods[i] = f->pMethods;
			nosync_methods[i] = *f->pMethods;
			nosync_methods[i].xSync = nosync_sync;
		}
		if (real_methods[i] == f->pMethods) {
			f->pMethods = &nosync_methods[i];
			break;
		}
	}
	return rc;
}

static int nosync_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	sqlite3_vfs *real = vfs->pAppData;

	(void)sync_dir;
	return real->xDelete(real, name, 0);
}

static void use_nosync_vfs(void)
{
	sqlite3_vfs *real;

	if (nosync_vfs.zName != NULL)
		return;
	real = sqlite3_vfs_find(NULL);
	if (real == NULL)
		fail("no default sqlite3 VFS", NULL);
	nosync_vfs = *real;
	nosync_vfs.zName = "fuzz-nosync";
	nosync_vfs.pAppData = real;
	nosync_vfs.xOpen = nosync_open;
	nosync_vfs.xDelete = nosync_delete;
	if (sqlite3_vfs_register(&nosync_vfs, 1) != SQLITE_OK)
		fail("cannot register the VFS", NULL);
}

/* ---- the company ----------------------------------------------------- */

static const char pipeline_doc[] =
	"{\"name\":\"New\",\"allow_skip\":true,\"allow_back\":true,\"stages\":["
	"{\"name\":\"Qualify\",\"probability\":10},"
	"{\"name\":\"Propose\",\"probability\":50},"
	"{\"name\":\"Won\",\"probability\":100,\"outcome\":\"won\"},"
	"{\"name\":\"Lost\",\"probability\":0,\"outcome\":\"lost\"}]}";

static const char win_rate_doc[] = "{\"query\":\"win_rate\",\"group_by\":\"owner\"}";

static void make_company(const char *path)
{
	static const char *const segments[] = { "SMB", "ENT" };
	spm_field_options enum_options = SPM_FIELD_OPTIONS_INIT;
	spm_db *db = fuzz_open_file(path);
	int64_t p, deal[3];

	enum_options.choices = segments;
	enum_options.nchoices = 2;
	fuzz_must(spm_field_add(db, "opportunity", "segment", SPM_FIELD_ENUM, &enum_options),
		  "field");
	fuzz_must(spm_field_add(db, "opportunity", "signed_on", SPM_FIELD_DATE, NULL), "field");
	fuzz_must(spm_field_add(db, "opportunity", "met_at", SPM_FIELD_TIME, NULL), "field");
	fuzz_must(spm_field_add(db, "opportunity", "budget", SPM_FIELD_MONEY, NULL), "field");
	fuzz_must(spm_field_add(db, "customer", "tier", SPM_FIELD_INTEGER, NULL), "field");
	FUZZ_ADD(db, "role", "name", "admin", "scope", "3", "actions", "*");
	FUZZ_ADD(db, "user", "name", "Mo", "role_id", "1", "active", "true");
	FUZZ_ADD(db, "user", "name", "Ann", "role_id", "1", "active", "true");
	FUZZ_ADD(db, "team", "name", "Sales", "manager_id", "1");
	FUZZ_ADD(db, "membership", "user_id", "2", "team_id", "1", "valid_from", "2025-01-01");
	FUZZ_ADD(db, "customer", "name", "Acme", "industry", "retail", "level", "A", "tier", "2");
	fuzz_must(spm_pipeline_load(&p, db, pipeline_doc), "pipeline");
	deal[0] = FUZZ_ADD(db, "opportunity", "name", "D1", "pipeline_id", "1", "stage_id", "1",
			   "owner_id", "2", "customer_id", "1", "amount", "1000.00 CNY",
			   "segment", "SMB", "budget", "5.00 USD", "expected_close", "2026-04-01",
			   "source", "web", "signed_on", "2026-02-01", "met_at", "1772000000");
	deal[1] = FUZZ_ADD(db, "opportunity", "name", "D2", "pipeline_id", "1", "stage_id", "1",
			   "owner_id", "2", "amount", "250.50 CNY", "lost_reason", "price",
			   "segment", "ENT");
	deal[2] = FUZZ_ADD(db, "opportunity", "name", "D3", "pipeline_id", "1", "stage_id", "1");
	FUZZ_ADD(db, "line_item", "opportunity_id", "1", "product", "CRM", "quantity", "2",
		 "unit_price", "500.00 CNY");
	fuzz_must(spm_opportunity_move(NULL, db, deal[0], 2, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[0], 3, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[1], 4, NULL), "move");
	fuzz_must(spm_opportunity_move(NULL, db, deal[2], 2, NULL), "move");
	FUZZ_ADD(db, "lead", "company", "L1", "source", "web", "owner_id", "2");
	FUZZ_ADD(db, "lead", "company", "L2", "source", "fair");
	FUZZ_ADD(db, "activity", "type", "call", "at", "1772000000", "owner_id", "2", "lead_id",
		 "1");
	FUZZ_ADD(db, "target", "metric", "won_amount", "owner_kind", "user", "owner_ref", "2",
		 "period_kind", "year", "period_start", "2026-01-01", "value", "500000",
		 "currency", "CNY", "reason", "FY2026");
	fuzz_must(spm_report_save(db, "wins", win_rate_doc), "save report");
	spm_db_close(db);
}

static struct fuzz_image company;

/* ---- damaging the copy ---------------------------------------------- */

/* Texts worth trying in any column. */
static const char *const tricky[] = {
	"", "{}", "[]", "null", "{\"a\":", "{\"segment\":1}", "{\"budget\":\"x\"}",
	"{\"budget\":{\"minor\":1}}", "{\"tier\":\"2\"}", "[1,2]", "\"text\"", "USD", "usd",
	"XXX", "ZZ", "CNYY", "won", "lost", "open", "A", "Z", "*", "3", "-1", "1e400",
	"2026-13-45", "\xff\xfe", "a\xc3", "9223372036854775807", "{\"query\":\"funnel\"}",
	"{\"query\":\"win_rate\",\"group_by\":\"colour\"}", "{\"segment\":\"MID\"}",
	"{\"met_at\":-99999999999999}", "{\"signed_on\":\"2026-02-30\"}",
};

static const int64_t boundaries[] = {
	INT64_MIN, INT64_MAX, -1, 0, 1, 2, 3, 4, 5, 99, 100, 101, INT32_MAX, INT32_MIN,
	(int64_t)UINT32_MAX + 1, 253402300800, -62135596800, 4102444800, 1772355600,
};

struct cursor {
	const uint8_t *p, *end;
};

static unsigned take(struct cursor *c)
{
	return c->p < c->end ? *c->p++ : 0;
}

static int64_t take64(struct cursor *c)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)take(c) << (8 * i);
	return (int64_t)v;
}

/* Binds the value the edit describes to parameter 1. */
static void bind_value(sqlite3_stmt *st, struct cursor *c)
{
	unsigned kind = take(c) % 9, n;
	double d;
	int64_t v;

	switch (kind) {
	case 0:
		sqlite3_bind_null(st, 1);
		break;
	case 1:
		sqlite3_bind_int64(st, 1, (int8_t)take(c));
		break;
	case 2:
		sqlite3_bind_int64(st, 1, take64(c));
		break;
	case 3:
		sqlite3_bind_int64(st, 1, boundaries[take(c) % (sizeof(boundaries) /
								sizeof(boundaries[0]))]);
		break;
	case 4:
		v = take64(c);
		memcpy(&d, &v, sizeof(d));
		sqlite3_bind_double(st, 1, d);
		break;
	case 5:
	case 6:
		n = take(c) % 33;
		if ((size_t)(c->end - c->p) < n)
			n = (unsigned)(c->end - c->p);
		if (kind == 5)
			sqlite3_bind_text(st, 1, (const char *)c->p, (int)n, SQLITE_TRANSIENT);
		else
			sqlite3_bind_blob(st, 1, c->p, (int)n, SQLITE_TRANSIENT);
		c->p += n;
		break;
	case 7:
		sqlite3_bind_text(st, 1, tricky[take(c) % (sizeof(tricky) / sizeof(tricky[0]))], -1,
				  SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_int64(st, 1, 1000 + (int8_t)take(c));
		break;
	}
}

#define MAX_TABLES 256

/* Applies one edit; returns 1 when a row changed. */
static int apply_edit(sqlite3 *conn, char (*tables)[128], int ntables, struct cursor *c)
{
	const char *table = tables[take(c) % (unsigned)ntables];
	unsigned row = take(c), col = take(c);
	char sql[512];
	sqlite3_stmt *st = NULL;
	int64_t rowid = 0;
	int ncols, found = 0, changed = 0;
	char column[128];

	snprintf(sql, sizeof(sql), "SELECT rowid, * FROM \"%.127s\" LIMIT 1 OFFSET "
		 "(%u %% max(1, (SELECT count(*) FROM \"%.127s\")))", table, row, table);
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		bind_value(NULL, c); /* consume the value all the same */
		return 0;
	}
	ncols = sqlite3_column_count(st) - 1;
	if (ncols > 0 && sqlite3_step(st) == SQLITE_ROW) {
		rowid = sqlite3_column_int64(st, 0);
		snprintf(column, sizeof(column), "%s", sqlite3_column_name(st, 1 + (int)(col % (unsigned)ncols)));
		found = 1;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (found) {
		snprintf(sql, sizeof(sql), "UPDATE \"%.127s\" SET \"%.127s\" = ?1 WHERE rowid = ?2",
			 table, column);
		if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
			found = 0;
	}
	bind_value(st, c);
	if (found) {
		sqlite3_bind_int64(st, 2, rowid);
		changed = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(conn) > 0;
	}
	sqlite3_finalize(st);
	return changed;
}

/* The value edits of the input; returns how many changed a row. */
static int edit_values(const char *path, struct cursor *c)
{
	static char tables[MAX_TABLES][128];
	sqlite3 *conn = NULL;
	sqlite3_stmt *st = NULL;
	int ntables = 0, changed = 0;

	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail("sqlite3 cannot open the copy", sqlite3_errmsg(conn));
	if (sqlite3_prepare_v2(conn, "SELECT name FROM sqlite_master WHERE type = 'table' "
				     "ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		fail("sqlite3 cannot list the tables", sqlite3_errmsg(conn));
	while (sqlite3_step(st) == SQLITE_ROW && ntables < MAX_TABLES)
		snprintf(tables[ntables++], sizeof(tables[0]), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL);
	/* The audit log's triggers refuse edits: drop them, as an attacker would. */
	sqlite3_exec(conn, "DROP TRIGGER IF EXISTS \"_audit:no_update\"; "
		     "DROP TRIGGER IF EXISTS \"_audit:no_delete\"", NULL, NULL, NULL);
	while (ntables > 0 && c->p < c->end)
		changed += apply_edit(conn, tables, ntables, c);
	sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(conn);
	return changed;
}

/* The raw patches of the input; returns how many bytes changed. */
static int patch_bytes(const char *path, size_t len, struct cursor *c)
{
	FILE *f = fopen(path, "r+b");
	int changed = 0;

	if (f == NULL)
		fail("cannot open the copy", path);
	while (c->p < c->end) {
		size_t off = (take(c) | (size_t)take(c) << 8 | (size_t)take(c) << 16) % len;
		unsigned n = 1 + take(c) % 8;

		for (unsigned i = 0; i < n && off + i < len && c->p < c->end; i++) {
			unsigned char b = (unsigned char)take(c);

			if (fseek(f, (long)(off + i), SEEK_SET) != 0 || fputc(b, f) == EOF)
				fail("cannot patch the copy", path);
			changed += b != company.bytes[off + i];
		}
	}
	fclose(f);
	return changed;
}

/* ---- reading everything --------------------------------------------- */

struct names {
	char name[64][64];
	size_t n;
};

static int add_kind(const char *kind, void *payload)
{
	struct names *k = payload;

	if (k->n < 64)
		snprintf(k->name[k->n++], sizeof(k->name[0]), "%s", kind);
	return 0;
}

static int add_field(const spm_field_info *f, void *payload)
{
	struct names *k = payload;

	if (k->n < 64)
		snprintf(k->name[k->n++], sizeof(k->name[0]), "%s", f->name);
	return 0;
}

/* Every field of rec as text, the record as JSON and again by id. */
static void read_record(spm_db *db, const char *kind, const spm_record *rec,
			const struct names *fields)
{
	spm_record *again = NULL;
	const char *s;

	for (size_t i = 0; i < fields->n; i++) {
		int rc = spm_record_get_as_text(&s, rec, fields->name[i]);

		check(rc, "get_as_text");
		if (rc == SPM_OK && s != NULL && strlen(s) > (1u << 20))
			fail("a field as text is too long", fields->name[i]);
	}
	if (spm_record_to_json(&s, rec) == SPM_OK)
		(void)strlen(s);
	else
		check(spm_error_code(), "to_json");
	if (!spm_record_is_deleted(rec)) {
		check(spm_record_get(&again, db, kind, spm_record_id(rec)), "record_get");
		spm_record_free(again);
	}
}

static void read_kind(spm_db *db, const char *kind)
{
	struct names fields = { .n = 0 };
	spm_query *q = NULL;
	spm_record_iter *it = NULL;
	const spm_record *rec;
	int rc;

	check(spm_field_foreach(db, kind, add_field, &fields), "field_foreach");
	rc = spm_query_new(&q, db, kind);
	check(rc, "query_new");
	if (rc != SPM_OK)
		return;
	rc = spm_record_iter_new(&it, q);
	check(rc, "iter_new");
	while (rc == SPM_OK && (rc = spm_record_iter_next(&rec, it)) == SPM_OK)
		read_record(db, kind, rec, &fields);
	if (rc != SPM_ITEROVER)
		check(rc, "iter_next");
	spm_record_iter_free(it);
	spm_query_free(q);
}

/* Every cell reads back by its column's type; an empty cell is NULL. */
static void check_cells(const spm_result *res)
{
	if (!fuzz_cells_read_by_type(res))
		fail("a cell does not read by its column's type", NULL);
}

static void run_report(spm_db *db, const char *doc, const char *saved)
{
	struct fuzz_text csv = { NULL, 0 };
	spm_result *res = NULL;
	int rc = saved ? spm_report_run_saved(&res, db, saved) : spm_report_run(&res, db, doc);

	check(rc, saved ? saved : doc);
	if (rc == SPM_OK) {
		check_cells(res);
		check(spm_result_csv(res, fuzz_collect, &csv), "result_csv");
	} else if (res != NULL) {
		fail("a result on failure", doc);
	}
	spm_result_free(res);
	free(csv.p);
}

static int touch_audit(const spm_audit_entry *e, void *payload)
{
	size_t *n = payload;

	*n += strlen(e->kind) + (e->field ? strlen(e->field) : 0) +
	      (e->old_value ? strlen(e->old_value) : 0) + (e->new_value ? strlen(e->new_value) : 0);
	return 0;
}

static int touch_event(const spm_event *e, void *payload)
{
	size_t *n = payload;

	*n += strlen(e->kind) + strlen(e->payload);
	return 0;
}

/* A new deal in stage 1 of pipeline 1, moved to stage 2. */
static void write_once(spm_db *db)
{
	spm_record *r = NULL;
	int rc = spm_record_new(&r, db, "opportunity");

	check(rc, "record_new");
	if (rc == SPM_OK)
		rc = spm_record_set_from_text(r, "name", "New deal");
	if (rc == SPM_OK)
		rc = spm_record_set_from_text(r, "pipeline_id", "1");
	if (rc == SPM_OK)
		rc = spm_record_set_from_text(r, "stage_id", "1");
	if (rc == SPM_OK)
		rc = spm_record_set_from_text(r, "amount", "12.34 CNY");
	if (rc == SPM_OK)
		rc = spm_record_save(db, r);
	check(rc, "create a deal");
	if (rc == SPM_OK)
		check(spm_opportunity_move(NULL, db, spm_record_id(r), 2, NULL), "move");
	spm_record_free(r);
}

static void exercise(spm_db *db)
{
	struct names kinds = { .n = 0 };
	struct fuzz_text text = { NULL, 0 };
	spm_target_progress tp = { .version = SPM_TARGET_PROGRESS_VERSION };
	spm_customer_view *view = NULL;
	spm_audit_anchor head;
	size_t n = 0;
	spm_date day;

	check(spm_kind_foreach(db, add_kind, &kinds), "kind_foreach");
	for (size_t i = 0; i < kinds.n; i++)
		read_kind(db, kinds.name[i]);
	run_report(db, "{\"query\":\"funnel\",\"pipeline\":1}", NULL);
	run_report(db, "{\"query\":\"cycle\",\"group_by\":\"team\"}", NULL);
	run_report(db, win_rate_doc, NULL);
	run_report(db, "{\"query\":\"win_rate\",\"group_by\":\"segment\"}", NULL);
	run_report(db, NULL, "wins");
	check(spm_opp_export(db, 1, SPM_OPP_FILE_OPPORTUNITIES, NULL, fuzz_collect, &text),
	      "export opportunities");
	check(spm_opp_export(db, 1, SPM_OPP_FILE_HISTORY, NULL, fuzz_collect, &text),
	      "export history");
	free(text.p);
	check(spm_audit_foreach(db, NULL, 0, touch_audit, &n), "audit");
	check(spm_audit_head(&head, db), "audit head");
	check(spm_audit_verify(db, NULL), "audit verify");
	check(spm_outbox_foreach(db, 0, 0, touch_event, &n), "outbox");
	fuzz_must(spm_date_from_ymd(&day, 2026, 3, 1), "date");
	check(spm_target_progress_get(&tp, db, 1, day), "target progress");
	if (spm_customer_360(&view, db, 1) == SPM_OK)
		(void)strlen(spm_customer_view_json(view));
	else
		check(spm_error_code(), "customer 360");
	spm_customer_view_free(view);
	write_once(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data + (size > 0), data + size };
	const char *path;
	spm_db *db = NULL;
	int rc, changed;

	in_data = data;
	in_size = size;
	pristine = 0;
	use_nosync_vfs();
	path = fuzz_image_copy(&company, "dbfile", make_company);
	if (size > 0 && (data[0] & 1))
		changed = patch_bytes(path, company.len, &c);
	else
		changed = edit_values(path, &c);
	pristine = changed == 0;
	rc = fuzz_try_open_file(&db, path);
	check(rc, "open");
	if (rc == SPM_OK) {
		exercise(db);
		spm_db_close(db);
	} else if (db != NULL) {
		fail("a handle on failure", NULL);
	}
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
