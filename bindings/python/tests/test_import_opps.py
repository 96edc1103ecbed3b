"""Tests of spm.import_opps: the Salesforce layout, exact stage history, bad
rows with their lines, re-import, and export → import round trip."""
import unittest

import spm
from spm.import_opps import export_opportunities, import_opportunities

OPPS = ("Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate\r\n"
        "006A,001A,Acme Generators,Closed Won,15000,02/03/24,01/10/24\r\n"
        "006B,001A,Acme SLA,Negotiation/Review,5000.50,03/31/24,01/15/24\r\n")
HISTORY = ("OpportunityId,CreatedDate,StageName,Amount\r\n"
           "006A,02/03/24 05:30 PM,Closed Won,15000\r\n"
           "006A,01/10/24 09:00 AM,Prospecting,10000\r\n"
           "006B,01/15/24 10:00 AM,Negotiation/Review,5000.50\r\n")
ITEMS = ("OpportunityId,Name,Quantity,UnitPrice,Discount\n"
         "006A,Generator X,2.00,5000.00,12.5\n")


def crm():
    db = spm.open(":memory:", actor=0, clock=lambda: 1767225600)
    pipeline = db.new_record("pipeline", name="Sales")
    pipeline.save()
    for pos, (name, outcome) in enumerate([("Prospecting", "open"),
                                           ("Negotiation/Review", "open"),
                                           ("Closed Won", "won")], 1):
        db.new_record("stage", pipeline_id=pipeline.id, name=name, position=pos,
                      outcome=outcome).save()
    db.add_field("customer", "external_id", "text")
    db.new_record("customer", name="Acme", external_id="001A").save()
    return db, pipeline.id


def history_of(db, opp):
    rows = [dict(r) for r in db.query("stage_history").where("opportunity_id", "=", opp)]
    names = {r.id: r["name"] for r in db.query("stage")}
    names[None] = None
    rows.sort(key=lambda r: r["at"])
    return [(names.get(r.get("from_stage_id")), names[r["to_stage_id"]], r["at"],
             r.get("seconds_in_from")) for r in rows]


class ImportOppsTest(unittest.TestCase):
    def setUp(self):
        self.db, self.pipeline = crm()

    def tearDown(self):
        self.db.close()

    def test_sfdc_files_give_exact_history(self):
        r = import_opportunities(self.db, OPPS, history=HISTORY, line_items=ITEMS,
                                 pipeline=self.pipeline, currency="USD", dates="mdy")
        self.assertEqual(r.counts["opportunities"],
                         {"rows": 2, "bad": 0, "created": 2, "updated": 0, "unchanged": 0})
        self.assertEqual(r.counts["history"]["created"], 3)
        self.assertEqual(r.counts["line_items"]["created"], 1)
        self.assertEqual(r.problems, [])
        self.assertEqual(r.message, "")
        a = r.id("006A")
        self.assertEqual(r.ids, {"006A": a, "006B": a + 1})
        with self.assertRaises(spm.NotFound):
            r.id("006Z")
        # 2024-01-10T09:00:00Z and 2024-02-03T17:30:00Z
        self.assertEqual(history_of(self.db, a),
                         [(None, "Prospecting", 1704877200, None),
                          ("Prospecting", "Closed Won", 1706981400, 2104200)])
        opp = self.db.get("opportunity", a)
        self.assertEqual(opp["status"], "won")
        self.assertEqual(opp["closed_at"], 1706981400)
        # the line items make the amount: 2 x 5,000.00 less 12.5%
        self.assertEqual(opp["amount"], spm.Money(875000, "USD"))
        item = next(iter(self.db.query("line_item")))
        self.assertEqual((item["quantity"], item["unit_price"], item["discount_bp"]),
                         (2, spm.Money(500000, "USD"), 1250))
        r.close()

    def test_bad_rows_raise_with_the_report(self):
        bad = OPPS + "006C,001Z,Zeta,Closed Lost,1.001,02/03/24,01/10/24\r\n"
        with self.assertRaises(spm.Invalid) as cm:
            import_opportunities(self.db, bad, history=HISTORY + "006X,01/10/24,Prospecting,1\r\n",
                                 pipeline=self.pipeline, currency="USD", dates="mdy")
        report = cm.exception.report
        self.assertEqual(report.message, "2 bad rows: nothing stored")
        self.assertEqual([(p.file, p.line, p.column, p.warning) for p in report.problems],
                         [("opportunities", 4, "StageName", False),
                          ("history", 5, "OpportunityId", False)])
        self.assertEqual(report.problems[0],
                         spm.import_opps.Problem("opportunities", 4, "StageName",
                                                 "stage 'Closed Lost' is not in pipeline %d"
                                                 % self.pipeline, False))
        self.assertEqual(report.problems[1].message,
                         "opportunity '006X' is not in the opportunities file")
        self.assertEqual(report.counts["opportunities"]["bad"], 1)
        self.assertEqual(len(list(self.db.query("opportunity"))), 0)

    def test_skip_bad_rows_and_dry_run(self):
        bad = OPPS + "006C,001A,Zeta,Prospecting,abc,02/03/24,01/10/24\r\n"
        r = import_opportunities(self.db, bad, pipeline=self.pipeline, currency="USD",
                                 dates="mdy", dry_run=True, skip_bad_rows=True)
        self.assertEqual(r.counts["opportunities"]["created"], 0)
        self.assertEqual(r.problems[0].line, 4)
        self.assertEqual(r.problems[0].column, "Amount")
        r = import_opportunities(self.db, bad, pipeline=self.pipeline, currency="USD",
                                 dates="mdy", skip_bad_rows=True)
        self.assertEqual(r.counts["opportunities"]["created"], 2)
        self.assertEqual(len(list(self.db.query("opportunity"))), 2)

    def test_reimport_changes_nothing(self):
        args = dict(history=HISTORY, pipeline=self.pipeline, currency="USD", dates="mdy")
        first = import_opportunities(self.db, OPPS, **args)
        again = import_opportunities(self.db, OPPS, **args)
        self.assertEqual(again.counts["opportunities"]["unchanged"], 2)
        self.assertEqual(again.counts["history"]["unchanged"], 3)
        self.assertEqual(again.counts["history"]["created"], 0)
        self.assertEqual(again.id("006A"), first.id("006A"))

    def test_mapping_and_created_stages(self):
        db = spm.open(":memory:", actor=0)
        p = db.new_record("pipeline", name="Imported")
        p.save()
        csv = "No,Deal,Phase,Closed\n1,Kiosk,Won it,2024-05-01\n2,Depot,Talking,\n"
        mapping = {"No": "id", "Deal": "name", "Phase": "stage", "Closed": "close_date"}
        with self.assertRaises(spm.Invalid) as cm:
            import_opportunities(db, csv, pipeline=p.id, mappings={"opportunities": mapping})
        self.assertEqual(cm.exception.report.problems[0].message,
                         "stage 'Won it' is not in pipeline %d" % p.id)
        r = import_opportunities(db, csv, pipeline=p.id, create_stages=True,
                                 mappings={"opportunities": mapping})
        self.assertEqual(r.stages_created, 2)
        stages = sorted((s["position"], s["name"], s["outcome"]) for s in db.query("stage"))
        self.assertEqual(stages, [(1, "Talking", "open"), (2, "Won it", "won")])
        r.close()
        db.close()

    def test_bad_arguments(self):
        with self.assertRaises(spm.Invalid):
            import_opportunities(self.db, OPPS, pipeline=0)
        with self.assertRaises(spm.NotFound):
            import_opportunities(self.db, OPPS, pipeline=999)
        with self.assertRaises(spm.Invalid):
            import_opportunities(self.db, OPPS, pipeline=self.pipeline, dates="ymd")
        with self.assertRaises(spm.Invalid):
            import_opportunities(self.db, OPPS, pipeline=self.pipeline, mappings={"x": {}})
        with self.assertRaises(TypeError):
            import_opportunities(self.db, 42, pipeline=self.pipeline)
        with self.assertRaises(spm.Invalid):
            export_opportunities(self.db, self.pipeline, "items")

    def test_export_then_import_round_trip(self):
        import_opportunities(self.db, OPPS, history=HISTORY, pipeline=self.pipeline,
                             currency="USD", dates="mdy")
        opps = export_opportunities(self.db, self.pipeline)
        hist = export_opportunities(self.db, self.pipeline, "history")
        self.assertEqual(hist.splitlines()[1], "006A,Prospecting,2024-01-10 09:00:00,10000.00,USD,")
        db2, p2 = crm()
        r = import_opportunities(db2, opps, history=hist, pipeline=p2)
        self.assertEqual(r.counts["history"]["created"], 3)
        self.assertEqual(export_opportunities(db2, p2), opps)
        self.assertEqual(export_opportunities(db2, p2, "history"), hist)
        db2.close()

    def test_report_closes_with_its_database(self):
        r = import_opportunities(self.db, OPPS, pipeline=self.pipeline, currency="USD",
                                 dates="mdy")
        self.db.close()
        with self.assertRaises(spm.Closed):
            r.id("006A")


if __name__ == "__main__":
    unittest.main()
