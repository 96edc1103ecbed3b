"""spm.targets: splits, decomposition, progress, warnings, JSON and CSV."""
import datetime
import json
import unittest

import spm
import spm.targets as targets

D = datetime.date
T0 = 1772355600  # 2026-03-01T09:00:00Z


def day(d):
    return int((datetime.datetime(d.year, d.month, d.day, 9) -
                datetime.datetime(1970, 1, 1)).total_seconds())


class TargetsTest(unittest.TestCase):
    def setUp(self):
        self.db = spm.open(":memory:", actor=0, clock=lambda: T0)
        db = self.db
        db.new_record("role", name="admin", scope=3, actions="*").save()
        for name in ("Ann", "Bo", "Cy"):
            db.new_record("user", name=name, role_id=1, active=True).save()
        db.new_record("team", name="R").save()
        db.new_record("team", name="S", parent_id=1).save()
        db.new_record("membership", user_id=1, team_id=1, valid_from=D(2026, 1, 1)).save()
        db.new_record("membership", user_id=2, team_id=1, valid_from=D(2026, 1, 1)).save()
        db.new_record("membership", user_id=3, team_id=2, valid_from=D(2026, 1, 1)).save()
        db.new_record("pipeline", name="P").save()
        db.new_record("stage", pipeline_id=1, name="won", position=1, outcome="won").save()

    def tearDown(self):
        self.db.close()

    def target(self, kind, ref, period, start, value, currency="CNY", metric="won_amount"):
        rec = self.db.new_record("target", metric=metric, owner_kind=kind, owner_ref=ref,
                                 period_kind=period, period_start=start, value=value,
                                 reason="plan")
        if currency:
            rec["currency"] = currency
        rec.save()
        return rec.id

    def won(self, owner, when, amount):
        self.db.new_record("opportunity", name="d", pipeline_id=1, owner_id=owner,
                           stage_id=1, status="won", amount=spm.Money.parse(amount),
                           closed_at=when).save()

    def test_split_is_exact(self):
        self.assertEqual(targets.split(10000001, [1] * 7),
                         [1428572] * 4 + [1428571] * 3)
        self.assertEqual(targets.split(0, [1, 2]), [0, 0])
        with self.assertRaises(spm.Invalid):
            targets.split(-1, [1, 1])
        with self.assertRaises(spm.Invalid):
            targets.split(10, [0, 0])
        with self.assertRaises(TypeError):
            targets.split(10, [0.5, 0.5])

    def test_decompose_over_time_and_org(self):
        year = self.target("user", 1, "year", D(2026, 1, 1), 5300, None, "new_leads")
        parts, imbalance = targets.decompose(self.db, year, "equal_periods", "plan",
                                             child_period="week")
        self.assertEqual(len(parts), 53)
        self.assertEqual(parts[0]["period_start"], D(2025, 12, 29))
        self.assertEqual({p["value"] for p in parts}, {100})
        self.assertEqual(imbalance, 0)
        month = self.target("team", 1, "month", D(2026, 3, 1), 3100)
        parts, _ = targets.decompose(self.db, month, "headcount", "plan", dry_run=True)
        self.assertEqual([(p["owner_kind"], p["owner_ref"], p["value"]) for p in parts],
                         [("team", 2, 1034), ("user", 1, 1033), ("user", 2, 1033)])
        self.assertEqual(parts[0]["target_id"], 0)
        with self.assertRaises(spm.Invalid) as cm:
            targets.decompose(self.db, month, "manual", "hand", weights=[1, 2, 3],
                              keep_total=True)
        self.assertIn("imbalance -3094", str(cm.exception))
        _, imbalance = targets.decompose(self.db, month, "manual", "hand", weights=[1, 2, 3])
        self.assertEqual(imbalance, -3094)
        with self.assertRaises(ValueError):
            targets.decompose(self.db, month, "magic", "x")

    def test_decompose_tree_down_every_level(self):
        month = self.target("team", 1, "month", D(2026, 3, 1), 3100)
        parts, decomposed = targets.decompose_tree(self.db, month, "headcount", "plan")
        self.assertEqual([(p["owner_kind"], p["owner_ref"], p["value"]) for p in parts],
                         [("team", 2, 1034), ("user", 1, 1033), ("user", 2, 1033),
                          ("user", 3, 1034)])
        self.assertEqual(decomposed, 2)
        self.assertTrue(all(p["target_id"] > 0 for p in parts))
        sub = self.db.get("target", parts[0]["target_id"])
        self.assertEqual(sub["parent_id"], month)
        self.assertEqual(self.db.get("target", parts[3]["target_id"])["parent_id"],
                         parts[0]["target_id"])
        again, _ = targets.decompose_tree(self.db, month, "headcount", "again")
        self.assertEqual([p["target_id"] for p in again], [p["target_id"] for p in parts])
        with self.assertRaises(spm.Invalid) as cm:
            targets.decompose_tree(self.db, month, "weights", "x")
        self.assertIn("equal_members, headcount or last_period", str(cm.exception))
        with self.assertRaises(spm.NotFound):
            targets.decompose_tree(self.db, 999, "headcount", "x")

    def test_progress_of_every_node(self):
        month = self.target("team", 1, "month", D(2026, 3, 1), 310000)
        self.won(1, day(D(2026, 3, 5)), "1000.00 CNY")
        self.won(3, day(D(2026, 3, 12)), "500.00 CNY")
        p = targets.progress(self.db, month, D(2026, 3, 20))
        self.assertEqual((p["attained"], p["expected"], p["pace_ppm"], p["gap"]),
                         (150000, 200000, 750000, 160000))
        self.assertEqual(p["currency"], "CNY")
        nodes = targets.progress_all(self.db, month, D(2026, 3, 20))
        self.assertEqual([(n["owner_kind"], n["owner_ref"], n["attained"]) for n in nodes],
                         [("team", 1, 150000), ("team", 2, 50000), ("user", 1, 100000),
                          ("user", 2, 0), ("user", 3, 50000)])
        csv = targets.progress_csv(self.db, month, D(2026, 3, 20))
        self.assertTrue(csv.startswith("owner_kind,owner_ref,target_id,"))
        self.assertIn("team,1,1,2026-03-01,2026-03-31,3100.00,1500.00,", csv)
        with self.assertRaises(spm.NotFound):
            targets.progress(self.db, 99, D(2026, 3, 1))

    def test_warning_on_tick_once(self):
        self.target("user", 1, "month", D(2026, 3, 1), 310000)
        self.db.new_record("target_alert", name="behind", check="pace", below_pct=80,
                           after_elapsed_pct=30).save()
        seen = []
        self.db.add_listener(lambda e: seen.append((e.type, e.data["pace_ppm"])),
                             types=["target.warning", "target.recovered"])
        for d in (5, 12, 13):
            self.db.tick(day(D(2026, 3, d)))
        self.assertEqual(seen, [("target.warning", 0)])

    def test_json(self):
        self.target("user", 1, "quarter", D(2026, 1, 1), 600, None, "new_leads")
        text = targets.export_json(self.db)
        self.assertEqual(json.loads(text)[0]["period_start"], "2026-01-01")
        self.assertEqual(targets.import_json(self.db, text, "copy"), 1)
        with self.assertRaises(spm.Invalid) as cm:
            targets.import_json(self.db, '[{"value": []}]', "x")
        self.assertTrue(str(cm.exception).startswith("$[0].value"))
        plan = targets.plan_from_json('{"method":"weights","weights":[1,2]}')
        self.assertEqual(plan["method"], "weights")
        self.assertEqual(plan["weights"], [1, 2])
        self.assertEqual(json.loads(targets.plan_to_json(**plan))["weights"], [1, 2])
        with self.assertRaises(spm.Invalid):
            targets.plan_from_json('{"method":"magic"}')


if __name__ == "__main__":
    unittest.main()
