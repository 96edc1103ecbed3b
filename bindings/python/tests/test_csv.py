"""Python tests of spm.csv: import with a report, errors with line numbers,
export of a query."""
import unittest

import spm
import spm.csv as spmcsv

T0 = 1767225600  # 2026-01-01T00:00:00Z


class CsvTest(unittest.TestCase):
    def setUp(self):
        self.db = spm.open(":memory:", actor=0, clock=lambda: T0)

    def tearDown(self):
        self.db.close()

    def test_import_reports_rows_and_ids(self):
        r = spmcsv.import_csv(self.db, "customer", "name,region\nAcme,华东\nBeta,华北\n")
        self.assertEqual((r.rows, r.stored, r.bad, r.message, r.replayed),
                         (2, 2, 0, "", False))
        self.assertEqual(r.ids, ((1, 2), (2, 3)))
        self.assertEqual(self.db.get("customer", 2)["region"], "华北")

    def test_bad_rows_raise_with_the_report_and_store_nothing(self):
        with self.assertRaises(spm.Invalid) as cm:
            spmcsv.import_csv(self.db, "customer", "name,owner_id\nAcme,1\nBeta,x\n")
        report = cm.exception.report
        self.assertEqual((report.rows, report.stored, report.bad), (2, 0, 1))
        self.assertEqual(report.errors[0].line, 3)
        self.assertEqual(report.errors[0].column, "owner_id")
        self.assertEqual(self.db.query("customer").to_list(), [])
        r = spmcsv.import_csv(self.db, "customer", "name,owner_id\nAcme,1\nBeta,x\n",
                              mode=spmcsv.SKIP_BAD_ROWS)
        self.assertEqual((r.stored, r.bad), (1, 1))
        with self.assertRaises(spm.Invalid):
            spmcsv.import_csv(self.db, "customer", "name\nA\n", mode="sometimes")
        with self.assertRaises(spm.Invalid):
            spmcsv.import_csv(self.db, "customer", 42)

    def test_mapping_dry_run_and_idempotency(self):
        text = "公司,备注\nAcme,x\n"
        r = spmcsv.import_csv(self.db, "customer", text, mapping={"公司": "name", "备注": None},
                              dry_run=True)
        self.assertEqual((r.rows, r.stored), (1, 0))
        first = spmcsv.import_csv(self.db, "customer", text, mapping={"公司": "name", "备注": None},
                                  idempotency_key="k1")
        again = spmcsv.import_csv(self.db, "customer", text,
                                  mapping={"公司": "name", "备注": None}, idempotency_key="k1")
        self.assertTrue(again.replayed)
        self.assertEqual(again.ids, first.ids)
        self.assertEqual(len(self.db.query("customer").to_list()), 1)

    def test_export_round_trips(self):
        spmcsv.import_csv(self.db, "customer", "name,region\n=cmd,华东\nBeta,\n")
        self.assertEqual(spmcsv.export_csv(self.db, "customer", fields=["name", "region"]),
                         "name,region\r\n'=cmd,华东\r\nBeta,\r\n")
        q = self.db.query("customer").where("region", "=", "华东")
        self.assertEqual(spmcsv.export_csv(self.db, "customer", q, fields=["name"]),
                         "name\r\n'=cmd\r\n")
        with self.assertRaises(spm.NotFound):
            spmcsv.export_csv(self.db, "customer", fields=["nope"])


if __name__ == "__main__":
    unittest.main()
