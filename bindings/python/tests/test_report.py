"""Analytics from Python: result sets as lists of dicts, exact cells, exports,
saved reports and dashboards, errors. to_pandas() is checked only when
pandas is installed (the test says it is skipped otherwise)."""
import datetime
import decimal
import json
import os
import tempfile
import unittest

import spm

T0 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400


def pipeline_db():
    db = spm.open(":memory:", actor=0, clock=lambda: T0 + 60 * DAY)
    db.new_record("pipeline", name="P").save()
    for name, pos, prob, outcome in (("Open", 1, 50, "open"), ("Won", 2, 100, "won"),
                                     ("Lost", 3, 0, "lost")):
        db.new_record("stage", pipeline_id=1, name=name, position=pos, probability=prob,
                      outcome=outcome).save()
    deals = (  # owner, stage, amount, opened day, closed day
        (2, 2, "1000.00 CNY", 0, 10),
        (2, 3, "500.00 CNY", 2, 6),
        (3, 1, "300.00 CNY", 5, None),
    )
    for owner, stage, amount, opened, closed in deals:
        rec = db.new_record("opportunity", name="d", owner_id=owner, pipeline_id=1,
                            stage_id=stage, amount=amount, opened_at=T0 + opened * DAY,
                            status=("open", "won", "lost")[stage - 1])
        if closed is not None:
            rec["closed_at"] = T0 + closed * DAY
        rec.save()
        db.new_record("stage_history", opportunity_id=rec.id, to_stage_id=1,
                      at=T0 + opened * DAY).save()
        if closed is not None:
            db.new_record("stage_history", opportunity_id=rec.id, to_stage_id=stage,
                          at=T0 + closed * DAY).save()
    return db


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.db = pipeline_db()

    def tearDown(self):
        self.db.close()

    def test_win_rate_rows_are_dicts_with_exact_values(self):
        res = spm.report.run(self.db, {"query": "win_rate", "group_by": "owner"})
        self.assertEqual(res.columns, [("owner_id", "integer"), ("won", "integer"),
                                       ("lost", "integer"), ("win_rate", "ratio"),
                                       ("won_amount", "money")])
        self.assertEqual(res.rows, [
            {"owner_id": 2, "won": 1, "lost": 1, "win_rate": decimal.Decimal("0.5"),
             "won_amount": spm.Money(100000, "CNY")},
            {"owner_id": 3, "won": 0, "lost": 0, "win_rate": None, "won_amount": None},
        ])

    def test_cycle_and_pipeline(self):
        res = spm.report.run(self.db, '{"query": "cycle"}')
        self.assertEqual(res[0]["won_mean_days"], decimal.Decimal(10))
        self.assertEqual(res[0]["lost_median_days"], decimal.Decimal(4))
        res = spm.report.run(self.db, {"query": "pipeline", "period": "month",
                                       "period_field": "opened_at"})
        self.assertEqual(res.rows, [{"period": "2026-01",
                                     "period_start": datetime.date(2026, 1, 1),
                                     "open_deals": 1,
                                     "open_amount": spm.Money(30000, "CNY"),
                                     "weighted_amount": spm.Money(15000, "CNY")}])

    def test_drill_down_and_exports(self):
        res = spm.report.run(self.db, {"query": "funnel", "pipeline": 1, "funnel": "current",
                                       "drill": True})
        self.assertEqual([r["deals"] for r in res], [1, 1, 1])
        self.assertEqual(res.ids(0), [3])
        self.assertEqual(res.to_csv().splitlines()[0], "stage_id,stage,position,deals,conversion")
        self.assertEqual(json.loads(res.to_json())[1]["stage"], "Won")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.csv")
            res.write(path, "csv")
            with open(path, encoding="utf-8") as f:
                self.assertEqual(f.read(), res.to_csv())
            with self.assertRaises(spm.Invalid):
                res.write(path, "xml")
        plain = spm.report.run(self.db, {"query": "win_rate"})
        with self.assertRaises(spm.Invalid):
            plain.ids(0)

    def test_rule_filters_see_custom_fields(self):
        self.db.add_field("opportunity", "seats", "integer")
        self.db.add_field("opportunity", "tier", "text")
        for rid, seats, tier in ((1, 12, "gold"), (2, 3, "gold"), (3, 40, None)):
            rec = self.db.get("opportunity", rid)
            rec["seats"] = seats
            if tier:
                rec["tier"] = tier
            rec.save()
        res = spm.report.run(self.db, {"query": "win_rate", "rule": "seats >= 10"})
        self.assertEqual((res[0]["won"], res[0]["lost"]), (1, 0))
        res = spm.report.run(self.db, {"query": "pipeline",
                                       "rule": "seats > 10 and tier is null"})
        self.assertEqual(res[0]["open_deals"], 1)
        res = spm.report.run(self.db, {"query": "win_rate", "rule": "tier = 'gold'"})
        self.assertEqual((res[0]["won"], res[0]["lost"]), (1, 1))
        with self.assertRaises(spm.Invalid) as cm:
            spm.report.run(self.db, {"query": "win_rate", "rule": "seats = 'x'"})
        self.assertEqual(str(cm.exception), "$.rule: 1:7: cannot compare integer with text")

    def test_team_rows_follow_the_membership_on_the_close_date(self):
        self.db.new_record("role", name="rep", scope=1).save()
        for name in ("Admin", "An", "Bo"):
            self.db.new_record("user", name=name, role_id=1, active=True).save()
        self.db.new_record("team", name="East").save()
        self.db.new_record("team", name="West").save()
        # An (user 2) closes deals on days 6 and 10; moves East -> West on day 8
        self.db.new_record("membership", user_id=2, team_id=1, valid_from="2026-01-01",
                           valid_to="2026-01-08").save()
        self.db.new_record("membership", user_id=2, team_id=2,
                           valid_from="2026-01-09").save()
        res = spm.report.run(self.db, {"query": "win_rate", "group_by": "team"})
        self.assertEqual([(r["team"], r["won"], r["lost"]) for r in res],
                         [(None, 0, 0), ("East", 0, 1), ("West", 1, 0)])

    def test_saved_reports_and_dashboards(self):
        spm.report.save(self.db, "wins", {"query": "win_rate"})
        spm.report.save(self.db, "board", {"dashboard": [{"report": "wins",
                                                          "layout": {"w": 4}}]})
        self.assertEqual(sorted(spm.report.reports(self.db)), ["board", "wins"])
        self.assertEqual(spm.report.run_saved(self.db, "wins")[0]["won"], 1)
        items = spm.report.dashboard(self.db, "board")
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0][1], {"w": 4})
        self.assertEqual(items[0][0][0]["lost"], 1)
        with self.assertRaises(spm.NotFound):
            spm.report.run_saved(self.db, "nope")

    def test_bad_definitions_raise_with_the_json_path(self):
        with self.assertRaises(spm.Invalid) as cm:
            spm.report.run(self.db, {"query": "win_rate", "group_by": "colour"})
        self.assertEqual(str(cm.exception), "$.group_by: unknown dimension 'colour'")
        with self.assertRaises(TypeError):
            spm.report.run(self.db, 42)
        with self.assertRaises(spm.Invalid):
            spm.report.save(self.db, "bad", {"query": "nope"})

    def test_to_pandas(self):
        try:
            import pandas  # noqa: F401
        except ImportError:
            self.skipTest("pandas is not installed: to_pandas() not checked")
        frame = spm.report.run(self.db, {"query": "win_rate", "group_by": "owner"}).to_pandas()
        self.assertEqual(list(frame.columns), ["owner_id", "won", "lost", "win_rate",
                                               "won_amount"])
        self.assertEqual(int(frame["won"].sum()), 1)


if __name__ == "__main__":
    unittest.main()
