/* The audit log's hash chain (schema 7, docs/audit.md): SHA-256 against the
 * FIPS 180-4 examples, hashes at write time equal to an independent
 * computation (the documented encoding built here from the raw rows and
 * hashed by coreutils' sha256sum), each kind of tampering found with its
 * message, the append-only triggers, failed and interleaved writes, the
 * version 6 -> 7 upgrade, and verify under allocation failures. */
#include "helpers.h"
#include "sql_probe.h"
#include "faulty_store.h"
#include "core/db_internal.h"
#include "core/sha256.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* ---- SHA-256 ---------------------------------------------------------- */

static void hex_of(char out[65], const unsigned char h[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void check_sha(const char *msg, size_t len, const char *want)
{
	unsigned char h[32];
	char hex[65];

	spm__sha256(h, msg, len);
	hex_of(hex, h);
	cr_assert_str_eq(hex, want, "message of %zu bytes", len);
}

Test(audit_chain, sha256_gives_the_fips_180_examples)
{
	static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_eq(strlen(m448) * 8, 448);
	check_sha(m448, strlen(m448),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A million 'a' fed in pieces of every length from 1 to 199 bytes: the
 * block buffer is crossed at every offset. */
Test(audit_chain, sha256_of_a_million_a_in_uneven_pieces)
{
	static char a[200];
	struct spm__sha256 c;
	unsigned char h[32];
	char hex[65];
	size_t done = 0, piece = 1;

	memset(a, 'a', sizeof(a));
	spm__sha256_init(&c);
	while (done < 1000000) {
		size_t n = 1000000 - done < piece ? 1000000 - done : piece;

		spm__sha256_update(&c, a, n);
		done += n;
		piece = piece % 199 + 1;
	}
	spm__sha256_final(&c, h);
	hex_of(hex, h);
	cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Messages of 55, 56 and 64 bytes: the padding's edge cases (values from
 * sha256sum). */
Test(audit_chain, sha256_pads_at_the_block_edges)
{
	static char m[64];

	memset(m, 'x', sizeof(m));
	check_sha(m, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
	check_sha(m, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
	check_sha(m, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

/* ---- an independent chain, from the raw rows -------------------------- */

struct enc {
	unsigned char b[4096];
	size_t n;
};

static void enc_u64(struct enc *e, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		e->b[e->n++] = (unsigned char)(v >> (56 - 8 * i));
}

static void enc_bytes(struct enc *e, const void *p, size_t n)
{
	cr_assert_leq(e->n + n, sizeof(e->b));
	memcpy(e->b + e->n, p, n);
	e->n += n;
}

/* sha256sum of the bytes, as 64 hex digits. */
static void sha256sum(char out[65], const struct enc *e)
{
	char file[256], cmd[300];
	FILE *f, *p;

	temp_db_path(file, sizeof(file));
	f = fopen(file, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(e->b, 1, e->n, f), e->n);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", file);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%64s", out), 1);
	cr_assert_eq(pclose(p), 0);
}

static void unhex(unsigned char out[32], const char *hex)
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* The row's stored columns in the documented order (docs/audit.md). */
static const char row_sql[] =
	"SELECT id, seq, deleted, change_seq, at, actor, op, kind, entity_id, field, "
	"old_value, new_value, changes, hash FROM _audit ORDER BY id";
static const int int_col[] = { 3, 4, 5, 6, 8 };

/* The chain recomputed from the raw rows: how many rows, the last id and
 * its hash, and how many stored hashes differ from it. */
struct chain {
	int rows;
	int64_t last_id;
	char last[65];
	int differ;
	int64_t first_differ;
};

static struct chain recompute(const char *path)
{
	struct chain c = { 0, 0, "", 0, 0 };
	unsigned char prev[32] = { 0 };
	sqlite3 *s;
	sqlite3_stmt *st;

	cr_assert_eq(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(s, row_sql, -1, &st, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(s));
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct enc e = { { 0 }, 0 };
		unsigned char tag;
		const char *stored;

		enc_bytes(&e, prev, 32);
		enc_u64(&e, (uint64_t)sqlite3_column_int64(st, 0));
		enc_u64(&e, (uint64_t)sqlite3_column_int64(st, 1));
		tag = (unsigned char)(sqlite3_column_int64(st, 2) != 0);
		enc_bytes(&e, &tag, 1);
		for (int col = 3; col <= 12; col++) {
			int is_int = 0;

			for (size_t k = 0; k < sizeof(int_col) / sizeof(int_col[0]); k++)
				is_int |= int_col[k] == col;
			tag = sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : is_int ? 1 : 2;
			enc_bytes(&e, &tag, 1);
			if (tag == 1) {
				enc_u64(&e, (uint64_t)sqlite3_column_int64(st, col));
			} else if (tag == 2) {
				const unsigned char *t = sqlite3_column_text(st, col);
				size_t n = (size_t)sqlite3_column_bytes(st, col);

				enc_u64(&e, n);
				enc_bytes(&e, t, n);
			}
		}
		sha256sum(c.last, &e);
		unhex(prev, c.last);
		stored = (const char *)sqlite3_column_text(st, 13);
		c.last_id = sqlite3_column_int64(st, 0);
		if (stored == NULL || strcmp(stored, c.last) != 0) {
			if (c.differ++ == 0)
				c.first_differ = c.last_id;
		}
		c.rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
	return c;
}

/* ---- helpers ---------------------------------------------------------- */

static void sql(const char *path, const char *text)
{
	sqlite3 *s;

	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(s, text, NULL, NULL, NULL), SQLITE_OK, "%s: %s", text,
		     sqlite3_errmsg(s));
	sqlite3_close(s);
}

static void set_name(spm_db *db, int64_t id, const char *name)
{
	spm_record *r;

	cr_assert_eq(spm_record_get(&r, db, "customer", id), SPM_OK);
	cr_assert_eq(spm_record_set_text(r, "name", name), SPM_OK);
	cr_assert_eq(spm_record_save(db, r), SPM_OK, "%s", spm_error_message());
	spm_record_free(r);
}

/* Five audit rows: two creates (the first of two fields, so it reserves
 * two entry ids), a custom field, an update, a delete. */
static spm_db *five_rows(char *path, size_t size)
{
	spm_db *db;

	temp_db_path(path, size);
	db = open_db(path);
	ADD("customer", "name", "Acme", "industry", "Retail");
	make_customer(db, "Bolt");
	cr_assert_eq(spm_field_add(db, "customer", "tier", SPM_FIELD_INTEGER, NULL), SPM_OK);
	set_name(db, 1, "Acme 有限公司");
	cr_assert_eq(spm_record_delete(db, "customer", 2), SPM_OK);
	return db;
}

static void head_hex(char out[65], spm_db *db, int64_t *id)
{
	spm_audit_anchor a;

	cr_assert_eq(spm_audit_head(&a, db), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(a.version, SPM_AUDIT_ANCHOR_VERSION);
	hex_of(out, a.hash);
	*id = a.id;
}

/* ---- the chain as written --------------------------------------------- */

Test(audit_chain, an_empty_log_has_the_zero_head_and_verifies)
{
	char path[256], hex[65];
	spm_db *db;
	int64_t id = -1;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	head_hex(hex, db, &id);
	cr_assert_eq(id, 0);
	cr_assert_str_eq(hex, "0000000000000000000000000000000000000000000000000000000000000000");
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
}

Test(audit_chain, the_head_follows_each_write_and_equals_the_documented_hash)
{
	char path[256], hex[65], before[65] = "";
	struct chain c;
	spm_db *db;
	int64_t id;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	for (int i = 0; i < 4; i++) {
		if (i == 0)
			make_customer(db, "Acme");
		else if (i == 1)
			set_name(db, 1, "Acme Ltd");
		else if (i == 2)
			cr_assert_eq(spm_field_add(db, "customer", "tier", SPM_FIELD_INTEGER, NULL),
				     SPM_OK);
		else
			cr_assert_eq(spm_record_delete(db, "customer", 1), SPM_OK);
		head_hex(hex, db, &id);
		c = recompute(path);
		cr_assert_eq(c.rows, i + 1);
		cr_assert_eq(c.differ, 0, "row %lld differs", (long long)c.first_differ);
		cr_assert_eq(id, c.last_id);
		cr_assert_str_eq(hex, c.last);
		cr_assert_str_neq(hex, before);
		memcpy(before, hex, sizeof(hex));
		cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	}
	/* every stored hash is 64 lower-case hex digits */
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM _audit WHERE length(hash) = 64 AND "
			     "hash = lower(hash)"), 4);
	spm_db_close(db);
}

/* Several audit rows in one transaction chain one onto the other. */
Test(audit_chain, a_batch_writes_one_chain)
{
	char path[256];
	spm_batch *b;
	spm_record *r[3];
	struct chain c;
	spm_db *db;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_batch_new(&b, db), SPM_OK);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(spm_record_new(&r[i], db, "customer"), SPM_OK);
		cr_assert_eq(spm_record_set_text(r[i], "name", i == 0 ? "A" : i == 1 ? "B" : "C"),
			     SPM_OK);
		cr_assert_eq(spm_batch_save(b, r[i]), SPM_OK);
	}
	cr_assert_eq(spm_batch_commit(b, NULL), SPM_OK, "%s", spm_error_message());
	spm_batch_free(b);
	for (int i = 0; i < 3; i++)
		spm_record_free(r[i]);
	c = recompute(path);
	cr_assert_eq(c.rows, 3);
	cr_assert_eq(c.differ, 0);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
}

/* ---- tampering -------------------------------------------------------- */

static void verify_fails(const char *path, const spm_audit_anchor *anchor, const char *want)
{
	spm_db *db = open_db(path);

	cr_assert_eq(spm_audit_verify(db, anchor), SPM_ECORRUPT, "%s", want);
	cr_assert_str_eq(spm_error_message(), want);
	spm_db_close(db);
}

/* The five rows' ids, read raw. */
static void row_ids(const char *path, int64_t ids[5])
{
	char q[96];

	for (int i = 0; i < 5; i++) {
		snprintf(q, sizeof(q), "SELECT id FROM _audit ORDER BY id LIMIT 1 OFFSET %d", i);
		ids[i] = sql_int(path, q);
	}
}

Test(audit_chain, an_edited_middle_row_is_named)
{
	char path[256], q[256], want[96];
	int64_t ids[5];

	spm_db_close(five_rows(path, sizeof(path)));
	row_ids(path, ids);
	snprintf(q, sizeof(q), DROP_AUDIT_TRIGGERS "UPDATE _audit SET actor = 99 WHERE id = %lld",
		 (long long)ids[2]);
	sql(path, q);
	snprintf(want, sizeof(want), "audit entry %lld: hash does not match", (long long)ids[2]);
	verify_fails(path, NULL, want);
	cr_assert_eq(recompute(path).first_differ, ids[2]);
}

/* A removed row breaks the link of the row after it. */
Test(audit_chain, a_removed_first_or_middle_row_is_found_at_the_next)
{
	for (int victim = 0; victim < 2; victim++) {
		char path[256], q[256], want[96];
		int64_t ids[5];

		spm_db_close(five_rows(path, sizeof(path)));
		row_ids(path, ids);
		snprintf(q, sizeof(q), DROP_AUDIT_TRIGGERS "DELETE FROM _audit WHERE id = %lld",
			 (long long)ids[victim * 2]);
		sql(path, q);
		snprintf(want, sizeof(want), "audit entry %lld: hash does not match",
			 (long long)ids[victim * 2 + 1]);
		verify_fails(path, NULL, want);
	}
}

/* A forged row between two others, even with the hash of the row it
 * imitates, does not link. */
Test(audit_chain, an_inserted_row_is_named)
{
	char path[256], q[512], want[96];
	int64_t ids[5];

	spm_db_close(five_rows(path, sizeof(path)));
	row_ids(path, ids);
	cr_assert_gt(ids[1] - ids[0], 1, "the first row reserved several ids");
	snprintf(q, sizeof(q), DROP_AUDIT_TRIGGERS
		 "INSERT INTO _audit (id, seq, deleted, change_seq, at, actor, op, kind, entity_id, "
		 "field, old_value, new_value, changes, hash) SELECT %lld, seq, deleted, change_seq, "
		 "at, actor, op, kind, entity_id, field, old_value, new_value, changes, hash "
		 "FROM _audit WHERE id = %lld", (long long)(ids[0] + 1), (long long)ids[1]);
	sql(path, q);
	snprintf(want, sizeof(want), "audit entry %lld: hash does not match",
		 (long long)(ids[0] + 1));
	verify_fails(path, NULL, want);
}

/* Two rows that swap their ids (and so their places) break the chain. */
Test(audit_chain, reordered_ids_are_found)
{
	char path[256], q[512], want[96];
	int64_t ids[5];

	spm_db_close(five_rows(path, sizeof(path)));
	row_ids(path, ids);
	snprintf(q, sizeof(q), DROP_AUDIT_TRIGGERS
		 "UPDATE _audit SET id = -1 WHERE id = %lld; "
		 "UPDATE _audit SET id = %lld WHERE id = %lld; "
		 "UPDATE _audit SET id = %lld WHERE id = -1",
		 (long long)ids[3], (long long)ids[3], (long long)ids[4], (long long)ids[4]);
	sql(path, q);
	snprintf(want, sizeof(want), "audit entry %lld: hash does not match", (long long)ids[3]);
	verify_fails(path, NULL, want);
}

/* A truncated tail is a valid, shorter chain: only the anchor shows it. */
Test(audit_chain, a_truncated_tail_is_caught_only_with_an_anchor)
{
	spm_audit_anchor a;
	char path[256], q[256], want[96];
	spm_db *db = five_rows(path, sizeof(path));
	int64_t ids[5];

	cr_assert_eq(spm_audit_head(&a, db), SPM_OK);
	cr_assert_eq(spm_audit_verify(db, &a), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
	row_ids(path, ids);
	cr_assert_eq(a.id, ids[4]);
	snprintf(q, sizeof(q), DROP_AUDIT_TRIGGERS "DELETE FROM _audit WHERE id >= %lld",
		 (long long)ids[3]);
	sql(path, q);
	db = open_db(path);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
	snprintf(want, sizeof(want), "audit entry %lld (the anchor) is missing", (long long)a.id);
	verify_fails(path, &a, want);
}

/* Whoever rewrites a row and recomputes every hash after it has a valid
 * chain again; the anchor kept elsewhere does not match it. */
Test(audit_chain, a_rewritten_history_is_caught_only_with_an_anchor)
{
	spm_audit_anchor a;
	char path[256], q[256], want[96];
	spm_db *db = five_rows(path, sizeof(path));
	struct chain c;

	cr_assert_eq(spm_audit_head(&a, db), SPM_OK);
	spm_db_close(db);
	sql(path, DROP_AUDIT_TRIGGERS "UPDATE _audit SET actor = 99 WHERE id = "
	    "(SELECT max(id) FROM _audit)");
	c = recompute(path);
	cr_assert_eq(c.differ, 1);
	snprintf(q, sizeof(q), "UPDATE _audit SET hash = '%s' WHERE id = %lld", c.last,
		 (long long)c.last_id);
	sql(path, q);
	cr_assert_eq(recompute(path).differ, 0);
	db = open_db(path);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
	snprintf(want, sizeof(want), "audit entry %lld does not match the anchor", (long long)a.id);
	verify_fails(path, &a, want);
}

Test(audit_chain, an_earlier_anchor_is_still_held_after_more_writes)
{
	spm_audit_anchor a;
	char path[256];
	spm_db *db = five_rows(path, sizeof(path));

	cr_assert_eq(spm_audit_head(&a, db), SPM_OK);
	make_customer(db, "Later");
	cr_assert_eq(spm_audit_verify(db, &a), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
}

/* A damaged newest hash: the head refuses it, writes go on, and verify
 * names the damaged row. */
Test(audit_chain, a_damaged_newest_hash_is_reported_and_writes_go_on)
{
	spm_audit_anchor a;
	char path[256], want[96];
	int64_t ids[5];
	spm_db *db;

	spm_db_close(five_rows(path, sizeof(path)));
	row_ids(path, ids);
	sql(path, DROP_AUDIT_TRIGGERS "UPDATE _audit SET hash = 'zz' WHERE id = "
	    "(SELECT max(id) FROM _audit)");
	db = open_db(path);
	cr_assert_eq(spm_audit_head(&a, db), SPM_ECORRUPT);
	snprintf(want, sizeof(want), "audit entry %lld has no valid hash", (long long)ids[4]);
	cr_assert_str_eq(spm_error_message(), want);
	cr_assert_eq(a.id, 0);
	make_customer(db, "After");
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_ECORRUPT);
	snprintf(want, sizeof(want), "audit entry %lld: hash does not match", (long long)ids[4]);
	cr_assert_str_eq(spm_error_message(), want);
	spm_db_close(db);
	cr_assert_eq(recompute(path).rows, 6);
}

/* ---- the triggers ----------------------------------------------------- */

Test(audit_chain, raw_update_and_delete_of_audit_rows_are_refused)
{
	static const char *const writes[] = {
		"UPDATE _audit SET actor = 99",
		"DELETE FROM _audit",
		"UPDATE _audit SET hash = NULL WHERE id = 1",
	};
	char path[256];
	spm_db *db = five_rows(path, sizeof(path));
	struct chain before = recompute(path);
	sqlite3 *s;

	spm_db_close(db);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
			     "AND tbl_name = '_audit'"), 2);
	cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		cr_assert_eq(sqlite3_exec(s, writes[i], NULL, NULL, NULL), SQLITE_CONSTRAINT,
			     "%s", writes[i]);
		cr_assert_str_eq(sqlite3_errmsg(s), "the audit log is append-only");
	}
	sqlite3_close(s);
	cr_assert_eq(recompute(path).rows, before.rows);
	cr_assert_str_eq(recompute(path).last, before.last);
	db = open_db(path);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
}

/* ---- failed and interleaved writes ------------------------------------ */

/* Every storage call of an update fails once, then persistently: the write
 * is absent, the chain stays valid, and the next write links on. */
Test(audit_chain, a_failed_write_leaves_the_chain_valid)
{
	for (int persistent = 0; persistent < 2; persistent++) {
		long n;

		for (n = 1;; n++) {
			spm_db_options o = SPM_DB_OPTIONS_INIT;
			char path[256];
			spm_record *r;
			spm_db *db;
			int rc;

			temp_db_path(path, sizeof(path));
			o.path = path;
			o.clock = test_clock;
			o.storage_wrap = fault_wrap;
			cr_assert_eq(spm_db_open(&db, &o), SPM_OK);
			make_customer(db, "Acme");
			cr_assert_eq(spm_record_get(&r, db, "customer", 1), SPM_OK);
			cr_assert_eq(spm_record_set_text(r, "name", "Acme Ltd"), SPM_OK);
			fault_plan.calls = 0;
			fault_plan.persistent = persistent;
			fault_plan.fail_at = n;
			rc = spm_record_save(db, r);
			fault_plan.fail_at = 0;
			spm_record_free(r);
			cr_assert(rc == SPM_OK || rc == SPM_ESTORAGE, "%s", spm_error_message());
			cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "n %ld: %s", n,
				     spm_error_message());
			cr_assert_eq(recompute(path).rows, rc == SPM_OK ? 2 : 1, "n %ld", n);
			set_name(db, 1, "Acme again");
			cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "n %ld: %s", n,
				     spm_error_message());
			cr_assert_eq(recompute(path).differ, 0);
			spm_db_close(db);
			if (fault_plan.calls < n)
				break;
		}
		cr_assert_gt(n, 4, "only %ld storage points", n);
	}
}

/* Two handles on one file write in turn: each links onto what the other
 * wrote, so the file holds one valid chain. */
Test(audit_chain, two_handles_writing_in_turn_keep_one_chain)
{
	char path[256], hex[65];
	spm_db *a, *b;
	struct chain c;
	int64_t id;

	temp_db_path(path, sizeof(path));
	a = open_db(path);
	b = open_db(path);
	for (int i = 0; i < 6; i++)
		make_customer(i % 2 ? b : a, "Turn");
	set_name(b, 1, "Changed by b");
	set_name(a, 2, "Changed by a");
	c = recompute(path);
	cr_assert_eq(c.rows, 8);
	cr_assert_eq(c.differ, 0, "row %lld", (long long)c.first_differ);
	head_hex(hex, a, &id);
	cr_assert_str_eq(hex, c.last);
	head_hex(hex, b, &id);
	cr_assert_str_eq(hex, c.last);
	cr_assert_eq(spm_audit_verify(a, NULL), SPM_OK, "%s", spm_error_message());
	cr_assert_eq(spm_audit_verify(b, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(a);
	spm_db_close(b);
}

/* ---- the version 6 -> 7 upgrade --------------------------------------- */

Test(audit_chain, a_version_6_file_is_chained_in_place_by_the_upgrade)
{
	spm_db_options o = SPM_DB_OPTIONS_INIT;
	char path[256];
	spm_db *db = NULL;
	struct chain c;
	int count_before;
	int v;

	temp_db_path(path, sizeof(path));
	o.path = path;
	o.clock = test_clock;
	o.actor = 1;
	cr_assert_eq(spm__db_open_at_version(&db, &o, 6), SPM_OK, "%s", spm_error_message());
	for (int i = 0; i < 300; i++)   /* more than one page of the upgrade */
		make_customer(db, "Old");
	cr_assert_eq(spm_field_add(db, "customer", "tier", SPM_FIELD_INTEGER, NULL), SPM_OK);
	set_name(db, 1, "Old 有限公司");
	cr_assert_eq(spm_record_delete(db, "customer", 2), SPM_OK);
	count_before = count_audit(db);
	spm_db_close(db);
	cr_assert_eq(sql_int(path, "PRAGMA user_version"), 6);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('_audit') "
			     "WHERE name = 'hash'"), 0);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
		     0);

	db = open_db(path);
	cr_assert_eq(spm_db_schema_version(&v, db), SPM_OK);
	cr_assert_eq(v, 7);
	cr_assert_eq(sql_int(path, "PRAGMA user_version"), 7);
	cr_assert_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
			     "AND tbl_name = '_audit'"), 2);
	c = recompute(path);
	cr_assert_eq(c.rows, 303);
	cr_assert_eq(c.differ, 0, "row %lld", (long long)c.first_differ);
	cr_assert_eq(count_audit(db), count_before);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	/* new writes link onto the upgraded chain */
	set_name(db, 1, "New");
	c = recompute(path);
	cr_assert_eq(c.rows, 304);
	cr_assert_eq(c.differ, 0);
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
}

/* ---- bad input and visibility ----------------------------------------- */

Test(audit_chain, bad_arguments_and_anchors_are_refused)
{
	spm_audit_anchor a = SPM_AUDIT_ANCHOR_INIT;
	char path[256];
	spm_db *db = five_rows(path, sizeof(path));

	cr_assert_eq(spm_audit_head(NULL, db), SPM_EINVAL);
	cr_assert_eq(spm_audit_head(&a, NULL), SPM_EINVAL);
	cr_assert_eq(a.id, 0);
	cr_assert_eq(spm_audit_verify(NULL, NULL), SPM_EINVAL);
	cr_assert_eq(spm_audit_verify(db, &a), SPM_OK, "the empty log's anchor is always held");
	a.hash[31] = 1;
	cr_assert_eq(spm_audit_verify(db, &a), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "the anchor of an empty log (id 0) has the zero hash");
	a.hash[31] = 0;
	a.id = -1;
	cr_assert_eq(spm_audit_verify(db, &a), SPM_EINVAL);
	cr_assert_str_eq(spm_error_message(), "an anchor's id is not negative");
	a.id = 1;
	a.version = 2;
	cr_assert_eq(spm_audit_verify(db, &a), SPM_EVERSION);
	cr_assert_str_eq(spm_error_message(), "spm_audit_anchor version 2 is not known to this "
			 "library (newest 1)");
	a.version = SPM_AUDIT_ANCHOR_VERSION;
	cr_assert_eq(spm_audit_verify(db, &a), SPM_ECORRUPT, "a made-up hash for entry 1");
	cr_assert_str_eq(spm_error_message(), "audit entry 1 does not match the anchor");
	a.id = 999;
	cr_assert_eq(spm_audit_verify(db, &a), SPM_ECORRUPT);
	cr_assert_str_eq(spm_error_message(), "audit entry 999 (the anchor) is missing");
	spm_db_close(db);
}

Test(audit_chain, only_an_actor_who_sees_everything_may_check_the_chain)
{
	spm_audit_anchor a;
	char path[256];
	spm_db *db;

	temp_db_path(path, sizeof(path));
	db = open_db(path);
	cr_assert_eq(spm_db_set_actor(db, 0), SPM_OK);
	ADD("role", "name", "admin", "scope", "3", "actions", "*");
	ADD("role", "name", "rep", "scope", "1");
	ADD("user", "name", "Ada", "role_id", "1", "active", "true");
	ADD("user", "name", "An", "role_id", "2", "active", "true");
	cr_assert_eq(spm_db_set_actor(db, 2), SPM_OK);
	cr_assert_eq(spm_audit_head(&a, db), SPM_EPERM);
	cr_assert_str_eq(spm_error_message(), "user 2 may not check the audit log (needs scope all)");
	cr_assert_eq(spm_audit_verify(db, NULL), SPM_EPERM);
	cr_assert_eq(spm_db_set_actor(db, 1), SPM_OK);
	cr_assert_eq(spm_audit_head(&a, db), SPM_OK);
	cr_assert_eq(spm_audit_verify(db, &a), SPM_OK, "%s", spm_error_message());
	spm_db_close(db);
}

/* ---- allocation failures ---------------------------------------------- */

/* Verify with the Nth allocation failing, once and persistently, for every
 * N until it completes: SPM_OK or SPM_ENOMEM, no leak, and a clean verify
 * right after. */
Test(audit_chain, verify_under_every_allocation_failure)
{
	for (int persistent = 0; persistent < 2; persistent++) {
		struct counting_alloc ca = { 0, 0, 0, 0 };
		spm_db_options o = SPM_DB_OPTIONS_INIT;
		spm_audit_anchor a;
		char path[256];
		spm_db *db;
		long n;

		spm_db_close(five_rows(path, sizeof(path)));
		o.path = path;
		o.clock = test_clock;
		o.malloc_fn = ca_malloc;
		o.realloc_fn = ca_realloc;
		o.free_fn = ca_free;
		o.alloc_payload = &ca;
		cr_assert_eq(spm_db_open(&db, &o), SPM_OK);
		cr_assert_eq(spm_audit_head(&a, db), SPM_OK);
		for (n = 1;; n++) {
			long used;
			int rc;

			ca.calls = 0;
			ca.fail_at = n;
			ca.persistent = persistent;
			rc = spm_audit_verify(db, &a);
			ca.fail_at = 0;
			used = ca.calls;
			cr_assert(rc == SPM_OK || rc == SPM_ENOMEM, "n %ld: %s", n,
				  spm_error_message());
			cr_assert_eq(spm_audit_verify(db, &a), SPM_OK, "n %ld: %s", n,
				     spm_error_message());
			if (used < n)
				break;  /* the failure was not reached: every point is covered */
		}
		cr_assert_gt(n, 10, "only %ld allocation points", n);
		spm_db_close(db);
		cr_assert_eq(ca.live, 0, "%ld allocations leaked", ca.live);
	}
}
