"""Tests of the Python bindings (stdlib unittest only).

Run with SPM_LIBRARY=<build>/libspm.so PYTHONPATH=bindings/python
python3 -m unittest -v (meson test --suite python does this).
"""
import datetime
import gc
import json
import os
import tempfile
import unittest

import spm

T0 = 1767225600  # 2026-01-01T00:00:00Z


class Boom(Exception):
    pass


def crm(**options):
    """An in-memory database with the custom fields the tests use."""
    options.setdefault("actor", 7)
    options.setdefault("clock", lambda: T0)
    db = spm.open(":memory:", **options)
    db.add_field("customer", "grade", "enum", choices=["A", "B", "C"], label="客户分级")
    db.add_field("customer", "credit_limit", "money")
    db.add_field("customer", "since", "date")
    db.add_field("customer", "vip", "boolean")
    db.add_field("customer", "employees", "integer")
    db.add_field("customer", "last_call", "time")
    return db


class VersionTest(unittest.TestCase):
    def test_version_matches_the_header(self):
        self.assertEqual(spm.version(), (0, 1, 0))
        self.assertEqual(spm.version_string(), "0.1.0")
        self.assertEqual(spm.__version__, "0.1.0")
        self.assertGreaterEqual(spm.schema_version_supported(), 1)


class HelpersTest(unittest.TestCase):
    def test_money_parse_and_format_round_trip(self):
        self.assertEqual(spm.money_parse("12.50", "EUR"), 1250)
        self.assertEqual(spm.money_parse("-0.05", "USD"), -5)
        self.assertEqual(spm.money_parse("1234", "JPY"), 1234)
        self.assertEqual(spm.money_format(1250, "EUR"), "12.50")
        self.assertEqual(spm.money_format(1234, "KWD"), "1.234")
        self.assertEqual(str(spm.Money(500000, "CNY")), "5000.00 CNY")
        self.assertEqual(spm.Money.parse("12.50 EUR"), spm.Money(1250, "EUR"))

    def test_money_parse_refuses_what_the_c_parser_refuses(self):
        for text in ("1.001", "1.", ".5", "+1", "1e3", " 1", ""):
            with self.assertRaises(spm.Invalid, msg=text) as cm:
                spm.money_parse(text, "EUR")
            self.assertEqual(cm.exception.code, -2)
            self.assertEqual(cm.exception.name, "SPM_EINVAL")
        with self.assertRaises(spm.Invalid):
            spm.money_parse("1", "XYZ")
        with self.assertRaises(spm.Overflow) as cm:
            spm.money_parse("99999999999999999999", "EUR")
        self.assertEqual(cm.exception.code, -11)
        self.assertIsInstance(cm.exception, OverflowError)

    def test_money_is_never_a_float(self):
        with self.assertRaises(TypeError):
            spm.money_format(12.5, "EUR")
        with self.assertRaises(TypeError):
            spm.money_split(10.0, [1, 1])
        with self.assertRaises(TypeError):
            spm.money_split(10, [0.5, 0.5])
        with self.assertRaises(TypeError):
            spm.money_parse(12.5, "EUR")
        with self.assertRaises(spm.Overflow):
            spm.money_format(1 << 63, "EUR")

    def test_money_split_sums_exactly(self):
        self.assertEqual(spm.money_split(100, [1, 1, 1]), [34, 33, 33])
        self.assertEqual(spm.money_split(-100, [1, 1, 1]), [-34, -33, -33])
        self.assertEqual(spm.money_split(1000, [1, 3]), [250, 750])
        with self.assertRaises(spm.Invalid):
            spm.money_split(100, [])
        with self.assertRaises(spm.Invalid):
            spm.money_split(100, [1, 0])

    def test_dates_parse_and_format(self):
        self.assertEqual(spm.date_parse("2024-02-29"), datetime.date(2024, 2, 29))
        self.assertEqual(spm.date_parse("1970-01-01"), datetime.date(1970, 1, 1))
        self.assertEqual(spm.date_format(datetime.date(2026, 3, 5)), "2026-03-05")
        for text in ("2023-02-29", "2026-3-5", "2026-03-05T00:00", "20260305"):
            with self.assertRaises(spm.Invalid, msg=text):
                spm.date_parse(text)
        with self.assertRaises(TypeError):
            spm.date_format("2026-03-05")
        with self.assertRaises(TypeError):
            spm.date_format(datetime.datetime(2026, 3, 5))


class OpenTest(unittest.TestCase):
    def test_open_sets_actor_clock_and_schema_version(self):
        with spm.open(actor=42, clock=lambda: T0) as db:
            self.assertEqual(db.actor, 42)
            self.assertEqual(db.now(), T0)
            self.assertEqual(db.schema_version, spm.schema_version_supported())
            db.actor = 9
            self.assertEqual(db.actor, 9)
            with self.assertRaises(spm.Invalid):
                db.actor = -1
        self.assertTrue(db.closed)
        with self.assertRaises(spm.Closed):
            db.now()

    def test_open_missing_file_without_create_fails(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(spm.SpmError) as cm:
                spm.open(os.path.join(d, "missing.db"), create=False)
            self.assertLess(cm.exception.code, 0)

    def test_read_only_handle_refuses_writes(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "crm.db")
            spm.open(path).close()
            with spm.open(path, readonly=True) as db:
                with self.assertRaises(spm.Permission) as cm:
                    db.add_field("customer", "grade", "text")
                self.assertEqual(cm.exception.name, "SPM_EPERM")

    def test_clock_exception_is_raised_after_the_call(self):
        broken = []

        def clock():
            if broken:
                raise Boom("clock broke")
            return T0
        with spm.open(clock=clock) as db:
            broken.append(1)
            with self.assertRaises(Boom):
                db.now()
            broken.clear()
            self.assertEqual(db.now(), T0)

    def test_tick_runs(self):
        with spm.open(clock=lambda: T0) as db:
            self.assertIsNone(db.tick(T0 + 86400 * 2))
            with self.assertRaises(TypeError):
                db.tick(1.5)

    def test_int_arguments_are_range_checked(self):
        with spm.open() as db:
            with self.assertRaises(spm.Overflow):
                db.get("customer", 1 << 64)
            with self.assertRaises(TypeError):
                db.get("customer", "1")


class SchemaTest(unittest.TestCase):
    def test_kinds_and_core_fields(self):
        with spm.open() as db:
            self.assertEqual(db.kinds(), ["customer", "contact", "role", "user", "team", "membership", "lead", "activity", "pool_policy", "assignment_rule", "dedupe_policy", "grading_rule", "reclaim_rule", "pipeline", "stage", "opportunity", "line_item", "stage_history", "ownership_change", "quote", "quote_line", "contract", "installment", "payment", "credit_note", "complaint", "task", "comment", "approval_flow", "approval_request", "approval_vote", "target", "target_metric", "holiday", "target_alert", "report"])
            names = [f.name for f in db.fields("customer")]
            self.assertEqual(names[:2], ["name", "owner_id"])
            name = db.fields("customer")[0]
            self.assertEqual((name.type, name.required, name.custom), ("text", True, False))

    def test_custom_fields_add_list_drop(self):
        with spm.open() as db:
            db.add_field("customer", "grade", "enum", choices=["A", "B"], label="客户分级",
                         required=True)
            grade = db.fields("customer")[-1]
            self.assertEqual(grade, spm.Field("customer", "grade", "enum", True, True, False,
                                              False, ("A", "B"), "客户分级", grade.max_length))
            with self.assertRaises(spm.Exists):
                db.add_field("customer", "grade", "text")
            db.drop_field("customer", "grade")
            self.assertNotIn("grade", [f.name for f in db.fields("customer")])
            with self.assertRaises(spm.NotFound):
                db.drop_field("customer", "grade")

    def test_bad_field_definitions_are_refused(self):
        with spm.open() as db:
            for name in ("a; DROP TABLE x", "Grade", "1a", "", "a" * 64):
                with self.assertRaises(spm.Invalid, msg=name):
                    db.add_field("customer", name, "text")
            with self.assertRaises(spm.Invalid):
                db.add_field("customer", "grade", "enum")  # no choices
            with self.assertRaises(spm.Invalid):
                db.add_field("customer", "grade", "float")
            with self.assertRaises(spm.NotFound):
                db.add_field("planet", "grade", "text")
            with self.assertRaises(spm.Permission):
                db.drop_field("customer", "name")
            with self.assertRaises(spm.Invalid):
                db.add_field("customer", "x\0y", "text")
            self.assertEqual([f.name for f in db.fields("customer") if f.custom], [])


class RecordTest(unittest.TestCase):
    def setUp(self):
        self.db = crm()

    def tearDown(self):
        self.db.close()

    def test_typed_round_trip(self):
        rec = self.db.new_record("customer", name="Acme 有限公司", grade="B",
                                 credit_limit=spm.Money(500000, "CNY"),
                                 since=datetime.date(2024, 2, 29), vip=True, employees=120,
                                 last_call=T0 - 60)
        rec.save()
        self.assertEqual((rec.id, rec.kind), (1, "customer"))
        got = self.db.get("customer", 1)
        self.assertEqual(got["name"], "Acme 有限公司")
        self.assertEqual(got["grade"], "B")
        self.assertEqual(got["credit_limit"], spm.Money(500000, "CNY"))
        self.assertEqual(got["since"], datetime.date(2024, 2, 29))
        self.assertIs(got["vip"], True)
        self.assertEqual(got["employees"], 120)
        self.assertEqual(got["last_call"], T0 - 60)
        self.assertEqual(got["created_at"], T0)
        self.assertIsNone(got["owner_id"])
        self.assertEqual(got.get("owner_id", 5), 5)
        self.assertEqual(got.get_text("credit_limit"), "5000.00 CNY")
        self.assertEqual(got.seq, rec.seq)

    def test_text_is_parsed_by_the_c_parser(self):
        rec = self.db.new_record("customer", name="Acme", credit_limit="12.50 EUR",
                                 since="2026-03-05", vip="false", employees="-3")
        self.assertEqual(rec["credit_limit"], spm.Money(1250, "EUR"))
        self.assertEqual(rec["since"], datetime.date(2026, 3, 5))
        self.assertIs(rec["vip"], False)
        self.assertEqual(rec["employees"], -3)
        rec.set_text("credit_limit", "1 EUR")
        self.assertEqual(rec["credit_limit"], spm.Money(100, "EUR"))
        with self.assertRaises(spm.Invalid):
            rec["credit_limit"] = "12.505 EUR"
        with self.assertRaises(spm.Invalid):
            rec["vip"] = "yes"
        with self.assertRaises(spm.Overflow):
            rec["employees"] = "9223372036854775808"

    def test_to_dict_and_to_json(self):
        rec = self.db.new_record("customer", name="Acme", credit_limit="12.50 EUR",
                                 since=datetime.date(2026, 3, 5))
        rec.save()
        self.assertEqual(json.loads(rec.to_json()), {
            "kind": "customer", "id": 1, "seq": rec.seq,
            "fields": {"name": "Acme", "created_at": T0, "updated_at": T0,
                       "company_key": "acme",
                       "credit_limit": {"minor": 1250, "currency": "EUR"},
                       "since": "2026-03-05"}})
        self.assertEqual(rec.to_dict()["fields"]["credit_limit"], spm.Money(1250, "EUR"))
        self.assertEqual(dict(rec), rec.to_dict()["fields"])
        self.assertIn("since", rec)
        self.assertNotIn("vip", rec)

    def test_float_money_is_refused(self):
        rec = self.db.new_record("customer", name="Acme")
        with self.assertRaises(TypeError):
            rec["credit_limit"] = 12.5
        with self.assertRaises(TypeError):
            rec["credit_limit"] = 1250  # an int has no currency
        with self.assertRaises(TypeError):
            rec["employees"] = 3.0
        with self.assertRaises(TypeError):
            rec["vip"] = 1
        with self.assertRaises(TypeError):
            rec["credit_limit"] = spm.Money(1.5, "EUR")
        self.assertIsNone(rec["credit_limit"])

    def test_invalid_utf8_is_refused_and_changes_nothing(self):
        rec = self.db.new_record("customer", name="Acme")
        with self.assertRaises(spm.Invalid) as cm:
            rec["name"] = b"Ac\xffme"
        self.assertEqual(str(cm.exception), "customer.name: invalid UTF-8")
        with self.assertRaises(spm.Invalid):
            rec["name"] = "lone \udc80 surrogate"
        with self.assertRaises(spm.Invalid):
            rec["name"] = "nul\0inside"
        self.assertEqual(rec["name"], "Acme")
        rec["name"] = "Ünïcode".encode()
        self.assertEqual(rec["name"], "Ünïcode")

    def test_unknown_field_and_kind(self):
        rec = self.db.new_record("customer", name="Acme")
        with self.assertRaises(spm.NotFound) as cm:
            rec["nope"] = "x"
        self.assertEqual(str(cm.exception), "customer has no field 'nope'")
        self.assertIsInstance(cm.exception, LookupError)
        with self.assertRaises(spm.NotFound):
            rec["nope"]
        with self.assertRaises(spm.NotFound):
            self.db.new_record("planet")
        with self.assertRaises(spm.Invalid):
            rec["grade"] = "Z"
        with self.assertRaises(spm.Invalid):
            rec["created_at"] = T0  # read-only

    def test_required_field_missing(self):
        with self.assertRaises(spm.Invalid) as cm:
            self.db.new_record("customer").save()
        self.assertEqual(str(cm.exception), "customer.name is required")

    def test_update_and_conflict(self):
        rec = self.db.new_record("customer", name="Acme").save()
        a = self.db.get("customer", rec.id)
        b = self.db.get("customer", rec.id)
        a["grade"] = "A"
        a.save()
        b["grade"] = "C"
        with self.assertRaises(spm.Conflict) as cm:
            b.save()
        self.assertEqual(cm.exception.code, -9)
        self.assertEqual(self.db.get("customer", rec.id)["grade"], "A")

    def test_delete(self):
        rec = self.db.new_record("customer", name="Acme").save()
        rec.delete()
        with self.assertRaises(spm.NotFound) as cm:
            self.db.get("customer", rec.id)
        self.assertEqual(cm.exception.name, "SPM_ENOTFOUND")
        with self.assertRaises(spm.NotFound):
            self.db.delete("customer", rec.id)

    def test_record_keeps_its_database_alive(self):
        db = crm()
        rec = db.new_record("customer", name="Acme").save()
        del db
        gc.collect()
        self.assertEqual(rec["name"], "Acme")
        self.assertFalse(rec.database.closed)
        rec.database.close()

    def test_closing_the_database_frees_its_children(self):
        db = crm()
        rec = db.new_record("customer", name="Acme")
        q = db.query("customer")
        batch = db.batch()
        db.close()
        for op in (lambda: rec["name"], lambda: q.limit(1), lambda: len(batch), rec.save):
            with self.assertRaises(spm.Closed):
                op()
        self.assertEqual(repr(rec), "<spm.Record closed>")
        rec.close()


class QueryTest(unittest.TestCase):
    def setUp(self):
        self.db = crm()
        for i, name in enumerate(["Acme", "Beta", "Gamma", "Delta"], 1):
            self.db.new_record("customer", name=name, owner_id=i % 2).save()

    def tearDown(self):
        self.db.close()

    def test_iteration_in_id_order(self):
        self.assertEqual([r["name"] for r in self.db.query("customer")],
                         ["Acme", "Beta", "Gamma", "Delta"])
        it = iter(self.db.query("customer").limit(1))
        self.assertEqual(next(it)["name"], "Acme")
        with self.assertRaises(StopIteration):
            next(it)
        with self.assertRaises(StopIteration):
            next(it)

    def test_where(self):
        q = self.db.query("customer").where("owner_id", "=", 1)
        self.assertEqual([r.id for r in q], [1, 3])
        self.assertEqual([r.id for r in self.db.query("customer").where("name", ">=", "Beta")
                          .where("owner_id", "!=", 1)], [2, 4])

    def test_where_errors(self):
        q = self.db.query("customer")
        with self.assertRaises(spm.NotFound):
            q.where("nope", "=", 1)
        with self.assertRaises(spm.Invalid):
            q.where("grade", "=", "A")  # not indexed
        with self.assertRaises(spm.Invalid):
            q.where("owner_id", "~", 1)
        with self.assertRaises(TypeError):
            q.where("owner_id", "=", 1.0)
        with self.assertRaises(spm.NotFound):
            self.db.query("planet")

    def test_changed_since_includes_tombstones(self):
        last = self.db.get("customer", 4).seq
        self.db.delete("customer", 2)
        rec = self.db.get("customer", 3)
        rec["grade"] = "A"
        rec.save()
        got = [(r.id, r.deleted) for r in self.db.query("customer").changed_since(last)]
        self.assertEqual(got, [(2, True), (3, False)])

    def test_to_list(self):
        rows = self.db.query("customer").where("owner_id", "=", 0).to_list()
        self.assertEqual([(r["id"], r["fields"]["name"]) for r in rows],
                         [(2, "Beta"), (4, "Delta")])

    def test_foreach_stop_and_exception(self):
        seen = []
        self.db.query("customer").foreach(lambda r: seen.append(r.id))
        self.assertEqual(seen, [1, 2, 3, 4])
        seen.clear()

        def until_two(r):
            seen.append(r.id)
            return spm.STOP if r.id == 2 else None
        self.db.query("customer").foreach(until_two)
        self.assertEqual(seen, [1, 2])
        seen.clear()

        def explode(r):
            seen.append(r.id)
            if r.id == 3:
                raise Boom("at 3")
        with self.assertRaises(Boom) as cm:
            self.db.query("customer").foreach(explode)
        self.assertEqual(str(cm.exception), "at 3")
        self.assertEqual(seen, [1, 2, 3])
        # The handle is still usable afterwards.
        self.assertEqual(self.db.get("customer", 1)["name"], "Acme")

    def test_foreach_record_is_a_copy(self):
        kept = []
        self.db.query("customer").foreach(lambda r: kept.append(r.copy()))
        self.assertEqual([r["name"] for r in kept], ["Acme", "Beta", "Gamma", "Delta"])


class BatchTest(unittest.TestCase):
    def setUp(self):
        self.db = crm()

    def tearDown(self):
        self.db.close()

    def test_commit_returns_ids(self):
        with self.db.batch() as b:
            b.save(self.db.new_record("customer", name="A"))
            b.save(self.db.new_record("customer", name="B"))
            self.assertEqual(len(b), 2)
            self.assertEqual(b.commit(), [1, 2])
            self.assertFalse(b.replayed)
        self.assertEqual([r["name"] for r in self.db.query("customer")], ["A", "B"])

    def test_replay_under_the_same_key(self):
        first = self.db.batch()
        first.save(self.db.new_record("customer", name="A"))
        self.assertEqual(first.commit("order-1"), [1])
        again = self.db.batch()
        again.save(self.db.new_record("customer", name="A"))
        self.assertEqual(again.commit("order-1"), [1])
        self.assertTrue(again.replayed)
        self.assertEqual(len(list(self.db.query("customer"))), 1)
        other = self.db.batch()
        other.save(self.db.new_record("customer", name="Z"))
        with self.assertRaises(spm.Conflict):
            other.commit("order-1")

    def test_failed_batch_stores_nothing(self):
        b = self.db.batch()
        b.save(self.db.new_record("customer", name="A"))
        b.save(self.db.new_record("customer"))  # name missing
        with self.assertRaises(spm.Invalid):
            b.commit("k")
        self.assertEqual(list(self.db.query("customer")), [])
        with self.assertRaises(spm.Invalid):
            b.ids

    def test_batch_delete(self):
        self.db.new_record("customer", name="A").save()
        b = self.db.batch().delete("customer", 1)
        b.commit()
        with self.assertRaises(spm.NotFound):
            self.db.get("customer", 1)
        with self.assertRaises(spm.NotFound):
            self.db.batch().delete("planet", 1)
        with self.assertRaises(spm.Invalid):
            self.db.batch().commit("")


class AuditTest(unittest.TestCase):
    def test_audit_trail(self):
        with crm() as db:
            rec = db.new_record("customer", name="Acme", grade="B").save()
            db.actor = 8
            rec["grade"] = "A"
            rec.save()
            trail = db.audit("customer", rec.id)
            self.assertEqual([(e.op, e.field, e.old_value, e.new_value, e.actor, e.at)
                              for e in trail],
                             [("create", "name", None, "Acme", 7, T0),
                              ("create", "grade", None, "B", 7, T0),
                              ("update", "grade", "B", "A", 8, T0)])
            schema = [e for e in db.audit("customer") if e.op == "schema"]
            self.assertEqual([e.field for e in schema][:2], ["grade", "credit_limit"])
            self.assertEqual(len(db.audit()), len(db.audit("customer")))
            with self.assertRaises(spm.NotFound):
                db.audit("planet")


def chain_of(path):
    """The audit chain recomputed from the raw rows with hashlib, by the
    encoding docs/audit.md gives: [(id, stored hex, recomputed hex)]."""
    import hashlib
    import sqlite3
    import struct

    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT id, seq, deleted, change_seq, at, actor, op, kind, entity_id, field, "
        "old_value, new_value, changes, hash FROM _audit ORDER BY id").fetchall()
    conn.close()
    prev, out = bytes(32), []
    for r in rows:
        enc = prev + struct.pack(">qqB", r[0], r[1], 1 if r[2] else 0)
        for v in r[3:13]:
            if v is None:
                enc += b"\0"
            elif isinstance(v, int):
                enc += b"\1" + struct.pack(">q", v)
            else:
                b = v.encode()
                enc += b"\2" + struct.pack(">Q", len(b)) + b
        prev = hashlib.sha256(enc).digest()
        out.append((r[0], r[13], prev.hex()))
    return out


def tamper(path, sql):
    import sqlite3

    conn = sqlite3.connect(path)
    conn.executescript('DROP TRIGGER IF EXISTS "_audit:no_update"; '
                       'DROP TRIGGER IF EXISTS "_audit:no_delete"; ' + sql)
    conn.close()


class AuditChainTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "crm.db")

    def tearDown(self):
        self.dir.cleanup()

    def write_three(self, db):
        rec = db.new_record("customer", name="Acme").save()
        rec["name"] = "Acme 有限公司"
        rec.save()
        db.delete("customer", rec.id)

    def test_head_follows_each_write_and_matches_hashlib(self):
        with spm.open(self.path, actor=1, clock=lambda: T0) as db:
            self.assertEqual(db.audit_head(), spm.AuditAnchor(0, bytes(32)))
            rec = db.new_record("customer", name="Acme", industry="Retail").save()
            head = db.audit_head()
            self.assertEqual(head.id, 1)
            rec["industry"] = "Food"
            rec.save()
            head2 = db.audit_head()
            self.assertEqual(head2.id, 3)  # the create reserved ids 1 and 2
            self.assertNotEqual(head2.hash, head.hash)
            chain = chain_of(self.path)
            self.assertEqual([(i, s == h) for i, s, h in chain], [(1, True), (3, True)])
            self.assertEqual(head.hex, chain[0][2])
            self.assertEqual(head2.hex, chain[1][2])
            self.assertIsNone(db.audit_verify())
            self.assertIsNone(db.audit_verify(head))
            self.assertIsNone(db.audit_verify((head2.id, head2.hash)))

    def test_an_edited_row_is_named(self):
        with spm.open(self.path, actor=1) as db:
            self.write_three(db)
        tamper(self.path, "UPDATE _audit SET actor = 5 WHERE id = 2")
        with spm.open(self.path, actor=1) as db:
            with self.assertRaises(spm.Corrupt) as cm:
                db.audit_verify()
            self.assertEqual(cm.exception.message, "audit entry 2: hash does not match")

    def test_a_truncated_tail_needs_the_anchor(self):
        with spm.open(self.path, actor=1) as db:
            self.write_three(db)
            anchor = db.audit_head()
        tamper(self.path, "DELETE FROM _audit WHERE id = 3")
        with spm.open(self.path, actor=1) as db:
            db.audit_verify()
            with self.assertRaises(spm.Corrupt) as cm:
                db.audit_verify(anchor)
            self.assertEqual(cm.exception.message, "audit entry 3 (the anchor) is missing")

    def test_triggers_refuse_raw_update_and_delete(self):
        import sqlite3

        with spm.open(self.path, actor=1) as db:
            self.write_three(db)
        conn = sqlite3.connect(self.path)
        for sql in ("UPDATE _audit SET actor = 5", "DELETE FROM _audit"):
            with self.assertRaisesRegex(sqlite3.IntegrityError, "the audit log is append-only"):
                conn.execute(sql)
        conn.close()
        self.assertTrue(all(s == h for _, s, h in chain_of(self.path)))

    def test_bad_anchors_and_actors_are_refused(self):
        with spm.open(self.path, actor=1) as db:
            self.write_three(db)
            with self.assertRaises(TypeError):
                db.audit_verify((1, b"short"))
            with self.assertRaises(TypeError):
                db.audit_verify(7)
            with self.assertRaises(spm.Invalid) as cm:
                db.audit_verify((-1, bytes(32)))
            self.assertEqual(cm.exception.message, "an anchor's id is not negative")
            with self.assertRaises(spm.Corrupt) as cm:
                db.audit_verify((1, bytes(32)))
            self.assertEqual(cm.exception.message, "audit entry 1 does not match the anchor")
            db.actor = 0
            db.new_record("role", name="rep", scope=1).save()
            db.new_record("user", name="An", role_id=1, active=True).save()
            db.actor = 1
            with self.assertRaises(spm.Permission):
                db.audit_head()
            with self.assertRaises(spm.Permission):
                db.audit_verify()


class EventsTest(unittest.TestCase):
    def setUp(self):
        self.db = crm()

    def tearDown(self):
        self.db.close()

    def test_listener_receives_events_after_commit(self):
        seen = []
        lid = self.db.add_listener(seen.append, types=["record.created", "record.updated"])
        rec = self.db.new_record("customer", name="Acme").save()
        rec["grade"] = "A"
        rec.save()
        rec.delete()
        self.assertEqual([(e.type, e.kind, e.entity_id, e.actor) for e in seen],
                         [("record.created", "customer", 1, 7),
                          ("record.updated", "customer", 1, 7)])
        self.assertEqual(seen[1].data, {"changes": {"grade": {"old": None, "new": "A"}}})
        self.db.remove_listener(lid)
        self.db.new_record("customer", name="Beta").save()
        self.assertEqual(len(seen), 2)
        with self.assertRaises(spm.NotFound):
            self.db.remove_listener(lid)
        with self.assertRaises(spm.Invalid):
            self.db.add_listener(seen.append, types=["record.exploded"])

    def test_listener_exception_is_raised_after_commit(self):
        def explode(event):
            raise Boom("listener %d" % event.entity_id)
        self.db.add_listener(explode)
        with self.assertRaises(Boom) as cm:
            self.db.new_record("customer", name="Acme").save()
        self.assertEqual(str(cm.exception), "listener 1")
        self.assertEqual(self.db.get("customer", 1)["name"], "Acme")  # committed

    def test_listener_stop_skips_later_listeners(self):
        calls = []
        self.db.add_listener(lambda e: calls.append("first") or spm.STOP)
        self.db.add_listener(lambda e: calls.append("second"))
        self.db.new_record("customer", name="Acme").save()  # no error
        self.assertEqual(calls, ["first"])

    def test_listener_may_read_the_database(self):
        names = []
        self.db.add_listener(lambda e: names.append(self.db.get(e.kind, e.entity_id)["name"]),
                             types="record.created")
        self.db.new_record("customer", name="Acme").save()
        self.assertEqual(names, ["Acme"])

    def test_outbox(self):
        base = self.db.outbox_last()
        self.assertEqual(base, 6)  # the six field.added events of crm()
        self.db.new_record("customer", name="Acme").save()
        events = self.db.outbox(after=base)
        self.assertEqual([(e.seq, e.type) for e in events], [(7, "record.created")])
        self.assertEqual([e.type for e in self.db.outbox(limit=2)], ["field.added"] * 2)
        self.assertEqual(self.db.outbox_last(), 7)

    def test_consumer_acks_survive_reopen(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "crm.db")
            with spm.open(path, clock=lambda: T0) as db:
                for name in ("Acme", "Beta"):
                    db.new_record("customer", name=name).save()
                c = db.consumer("mailer")
                self.assertEqual(c.position, 0)
                events = c.poll()
                self.assertEqual([e.entity_id for e in events], [1, 2])
                c.ack(events[0])
                self.assertEqual(c.position, events[0].seq)
            with spm.open(path, clock=lambda: T0) as db:
                c = db.consumer("mailer")
                self.assertEqual([e.entity_id for e in c.poll()], [2])
                db.new_record("customer", name="Gamma").save()
                events = c.poll(limit=5)
                self.assertEqual([e.entity_id for e in events], [2, 3])
                c.ack(events[-1].seq)
                with self.assertRaises(spm.Invalid):
                    c.ack(events[0].seq)  # backwards
                self.assertEqual(c.poll(), [])
            with spm.open(path) as db:
                self.assertEqual(db.consumer("mailer").position, db.outbox_last())

    def test_bad_consumer_name(self):
        with self.assertRaises(spm.Invalid):
            self.db.consumer("a b").poll()
        with self.assertRaises(spm.Invalid):
            self.db.consumer("x" * 64).position


class OrgAndLeadsTest(unittest.TestCase):
    def setUp(self):
        self.db = spm.open(":memory:", actor=0, clock=lambda: T0)
        db = self.db
        db.new_record("role", name="admin", scope=3, actions="*").save()
        db.new_record("role", name="rep", scope=1).save()
        db.new_record("user", name="Ada", role_id=1, active=True).save()
        db.new_record("user", name="An", role_id=2, active=True).save()
        db.new_record("user", name="Bo", role_id=2, active=True).save()
        db.new_record("team", name="North").save()
        db.new_record("membership", user_id=2, team_id=1,
                      valid_from=datetime.date(2026, 1, 1)).save()
        self.lead = db.new_record("lead", company="Acme", source="web")
        self.lead.save()

    def tearDown(self):
        self.db.close()

    def test_scope_actions_and_teams(self):
        db = self.db
        self.assertEqual(db.scope(), "all")
        db.actor = 2
        self.assertEqual(db.scope(), "own")
        self.assertFalse(db.can("org"))
        self.assertEqual(db.team_of(2, datetime.date(2026, 2, 1)), 1)
        self.assertIsNone(db.team_of(2, datetime.date(2025, 12, 31)))
        self.assertTrue(db.available(3, datetime.date(2026, 2, 1)))
        db.actor = 99
        with self.assertRaises(spm.Permission) as cm:
            db.scope()
        self.assertEqual(str(cm.exception), "actor 99 is not a user")

    def test_claim_release_and_visibility(self):
        db = self.db
        db.actor = 2
        db.claim_lead(self.lead.id)
        db.actor = 3
        self.assertFalse(db.visible("lead", self.lead.id))
        with self.assertRaises(spm.Conflict):
            db.claim_lead(self.lead.id)
        with self.assertRaises(spm.NotFound):
            db.release_lead(self.lead.id, "not mine")
        db.actor = 2
        db.release_lead(self.lead.id, "wrong region")
        lead = db.get("lead", self.lead.id)
        self.assertIsNone(lead["owner_id"])
        self.assertEqual(lead["previous_owner_id"], 2)
        self.assertEqual(lead["release_reason"], "wrong region")

    def test_assign_pool_by_round_robin(self):
        db = self.db
        db.new_record("lead", company="Beta").save()
        db.new_record("assignment_rule", position=1, name="rr", method="round_robin",
                      users="2,3").save()
        self.assertEqual(db.assign_pool(), 2)
        self.assertEqual(db.get("lead", 1)["owner_id"], 2)
        self.assertEqual(db.get("lead", 2)["owner_id"], 3)
        self.assertEqual(db.get("lead", 2)["assignment_reason"],
                         "rule 1 round_robin: user 3, turn 2 of 2")
        self.assertEqual(db.assign_pool(), 0)

    def test_convert_merge_and_handover(self):
        db = self.db
        lead = db.new_record("lead", company="Gamma", contact_name="Li Na", owner_id=2)
        lead.save()
        customer, contact = db.convert_lead(lead.id)
        self.assertEqual(db.get("customer", customer)["name"], "Gamma")
        self.assertEqual(db.get("contact", contact)["customer_id"], customer)
        with self.assertRaises(spm.Invalid):
            db.convert_lead(lead.id)
        other = db.new_record("customer", name="Gamma Ltd", region="华东")
        other.save()
        db.merge("customer", customer, other.id)
        self.assertEqual(db.get("customer", customer)["region"], "华东")
        with self.assertRaises(spm.NotFound):
            db.get("customer", other.id)
        self.assertEqual(db.handover(2, 3, "An leaves"), 1)
        self.assertEqual(db.get("customer", customer)["owner_id"], 3)

    def test_pool_limits_raise_limit(self):
        db = self.db
        db.new_record("pool_policy", max_open=0).save()
        db.actor = 2
        with self.assertRaises(spm.Limit) as cm:
            db.claim_lead(self.lead.id)
        self.assertEqual(cm.exception.code, -16)
        self.assertEqual(str(cm.exception), "user 2 holds 0 open leads (max_open 0)")


if __name__ == "__main__":
    unittest.main()
