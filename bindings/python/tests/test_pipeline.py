"""Tests of spm.pipeline: loading and exporting pipelines, moving deals
through stage gates, overrides, line items."""
import json
import unittest

import spm
from spm import pipeline

T0 = 1772355600  # 2026-03-01T09:00:00Z

DOC = {
    "name": "New business", "allow_skip": False, "allow_back": True,
    "stages": [
        {"name": "Qualify", "probability": 10, "forecast_category": "pipeline",
         "required_fields": ["expected_close"],
         "exit_criteria": [{"name": "budget", "rule": "amount >= 1000.00 CNY"}]},
        {"name": "Propose", "probability": 40, "forecast_category": "best_case"},
        {"name": "Won", "probability": 100, "forecast_category": "closed", "outcome": "won"},
        {"name": "Lost", "probability": 0, "forecast_category": "omitted", "outcome": "lost"},
    ],
}


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.now = T0
        self.db = spm.open(":memory:", actor=0, clock=lambda: self.now)
        db = self.db
        db.new_record("role", name="admin", scope=3, actions="*").save()
        db.new_record("role", name="rep", scope=1).save()
        db.new_record("role", name="manager", scope=3, actions="override_gate").save()
        for name, role in (("Ada", 1), ("An", 2), ("Mo", 3)):
            db.new_record("user", name=name, role_id=role, active=True).save()
        db.actor = 1
        self.pid = pipeline.load(db, DOC)
        db.actor = 2
        deal = db.new_record("opportunity", name="Big", pipeline_id=self.pid)
        deal.save()
        self.deal = deal.id

    def tearDown(self):
        self.db.close()

    def test_load_creates_ordered_stages_and_export_round_trips(self):
        self.assertEqual(self.pid, 1)
        stages = list(self.db.query("stage"))
        self.assertEqual([s["name"] for s in stages], ["Qualify", "Propose", "Won", "Lost"])
        self.assertEqual([s["position"] for s in stages], [1, 2, 3, 4])
        out = json.loads(pipeline.export(self.db, self.pid))
        self.assertEqual(out["name"], "New business")
        self.assertEqual(out["stages"][0]["exit_criteria"],
                         [{"name": "budget", "rule": "amount >= 1000.00 CNY"}])
        self.assertEqual(out["stages"][1], {"name": "Propose", "probability": 40,
                                            "forecast_category": "best_case",
                                            "outcome": "open"})
        with spm.open() as other:
            pid = pipeline.load(other, pipeline.export(self.db, self.pid))
            self.assertEqual(pipeline.export(other, pid), pipeline.export(self.db, self.pid))
        with self.assertRaises(spm.NotFound):
            pipeline.export(self.db, 42)

    def test_a_bad_document_names_the_path_and_changes_nothing(self):
        self.db.actor = 1
        bad = json.loads(json.dumps(DOC))
        bad["name"] = "Other"
        bad["stages"][1]["exit_criteria"] = [{"name": "x", "rule": "budgte > 1"}]
        with self.assertRaises(spm.Invalid) as cm:
            pipeline.load(self.db, bad)
        self.assertEqual(str(cm.exception),
                         "stages[1].exit_criteria[0].rule: 1:1: unknown field 'budgte'")
        with self.assertRaises(spm.Invalid):
            pipeline.load(self.db, "{not json")
        with self.assertRaises(spm.Exists):
            pipeline.load(self.db, DOC)
        self.assertEqual(len(list(self.db.query("pipeline"))), 1)
        self.assertEqual(len(list(self.db.query("stage"))), 4)

    def test_unmet_criteria_raise_gate_error_with_the_list(self):
        with self.assertRaises(pipeline.GateError) as cm:
            pipeline.move(self.db, self.deal, 2)
        e = cm.exception
        self.assertEqual(e.code, -17)
        self.assertEqual(e.name, "SPM_EGATE")
        self.assertEqual(e.unmet, [
            pipeline.Criterion("required: expected_close", "expected_close is not null",
                               "expected_close = null"),
            pipeline.Criterion("budget", "amount >= 1000.00 CNY",
                               "amount >= 1000.00 CNY: null (amount = null)"),
        ])
        self.assertEqual(len(pipeline.check_gate(self.db, self.deal)), 2)
        deal = self.db.get("opportunity", self.deal)
        deal["expected_close"] = "2026-06-30"
        deal["amount"] = "1000.00 CNY"
        deal.save()
        self.assertEqual(pipeline.check_gate(self.db, self.deal), [])
        self.now = T0 + 90
        self.assertEqual(pipeline.move(self.db, self.deal, 2), [])
        deal = self.db.get("opportunity", self.deal)
        self.assertEqual(deal["stage_id"], 2)
        self.db.actor = 0
        (h,) = list(self.db.query("stage_history"))
        self.assertEqual((h["from_stage_id"], h["to_stage_id"], h["seconds_in_from"]), (1, 2, 90))

    def test_override_needs_the_action(self):
        with self.assertRaises(spm.Permission):
            pipeline.move(self.db, self.deal, 2, override="customer asked")
        self.db.actor = 3
        unmet = pipeline.move(self.db, self.deal, 2, override="customer asked")
        self.assertEqual([c.name for c in unmet], ["required: expected_close", "budget"])
        self.db.actor = 0
        (h,) = list(self.db.query("stage_history"))
        self.assertEqual(h["override_reason"], "customer asked")

    def test_moves_raise_named_events(self):
        seen = []
        self.db.add_listener(seen.append, types=["stage.changed", "opportunity.lost"])
        deal = self.db.get("opportunity", self.deal)
        deal["lost_reason"] = "price"
        deal.save()
        pipeline.move(self.db, self.deal, 4)
        self.assertEqual([(e.type, e.entity_id) for e in seen],
                         [("stage.changed", self.deal), ("opportunity.lost", self.deal)])
        self.assertEqual(seen[1].data["lost_reason"], "price")

    def test_lost_needs_a_reason_and_sets_status(self):
        with self.assertRaises(spm.Invalid):
            pipeline.move(self.db, self.deal, 4)
        deal = self.db.get("opportunity", self.deal)
        deal["lost_reason"] = "price"
        deal.save()
        pipeline.move(self.db, self.deal, 4)
        deal = self.db.get("opportunity", self.deal)
        self.assertEqual((deal["status"], deal["closed_at"]), ("lost", T0))

    def test_line_items_are_exact(self):
        item = self.db.new_record("line_item", opportunity_id=self.deal, product="P",
                                  quantity=3, unit_price="19.99 CNY", discount_bp=1250)
        item.save()
        self.assertEqual(self.db.get("line_item", item.id)["amount"], spm.Money(5247, "CNY"))
        self.assertEqual(self.db.get("opportunity", self.deal)["amount"], spm.Money(5247, "CNY"))
        with self.assertRaises(spm.Invalid):
            self.db.new_record("line_item", opportunity_id=self.deal, product="P", quantity=0,
                               unit_price="1.00 CNY").save()

    def test_a_plain_save_cannot_move_the_stage(self):
        deal = self.db.get("opportunity", self.deal)
        deal["stage_id"] = 2
        with self.assertRaises(spm.Invalid) as cm:
            deal.save()
        self.assertIn("spm_opportunity_move()", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
