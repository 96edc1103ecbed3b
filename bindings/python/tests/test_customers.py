"""Python tests of spm.customers: conversion with an opportunity, seeded
assignment, ownership history, tags and the customer-360 view."""
import datetime
import unittest

import spm
import spm.customers as customers

T0 = 1767225600  # 2026-01-01T00:00:00Z


class CustomersTest(unittest.TestCase):
    def setUp(self):
        self.db = db = spm.open(":memory:", actor=0, clock=lambda: T0)
        db.new_record("role", name="admin", scope=3, actions="*").save()
        db.new_record("role", name="rep", scope=1).save()
        db.new_record("user", name="Ada", role_id=1, active=True).save()
        db.new_record("user", name="An", role_id=2, active=True).save()
        db.new_record("user", name="Bo", role_id=2, active=True).save()
        db.new_record("pipeline", name="Sales").save()
        db.new_record("stage", pipeline_id=1, name="Proposal", position=2).save()
        db.new_record("stage", pipeline_id=1, name="Qualify", position=1).save()
        db.new_record("stage", pipeline_id=1, name="Won", position=3, outcome="won").save()

    def tearDown(self):
        self.db.close()

    def add(self, kind, **fields):
        rec = self.db.new_record(kind, **fields)
        with rec:
            rec.save()
            return rec.id

    def test_convert_with_an_opportunity_in_the_first_stage(self):
        lead = self.add("lead", company="Acme", contact_name="Li", source="expo", owner_id=2)
        c, k, o = customers.convert_lead(self.db, lead, pipeline=1, amount="1234.56 CNY")
        self.assertEqual((c, k, o), (1, 1, 1))
        opp = self.db.get("opportunity", o)
        self.assertEqual(opp["stage_id"], 2)
        self.assertEqual(opp["status"], "open")
        self.assertEqual(opp["amount"], spm.Money(123456, "CNY"))
        self.assertEqual((opp["lead_id"], opp["customer_id"], opp["owner_id"], opp["source"]),
                         (lead, 1, 2, "expo"))
        self.assertEqual(self.db.get("lead", lead)["status"], "converted")

    def test_convert_errors_change_nothing(self):
        lead = self.add("lead", company="Acme")
        with self.assertRaises(spm.NotFound) as cm:
            customers.convert_lead(self.db, lead, pipeline=9)
        self.assertEqual(str(cm.exception), "pipeline 9 does not exist")
        with self.assertRaises(spm.Invalid):
            customers.convert_lead(self.db, lead, pipeline=1, amount=12.5)
        with self.assertRaises(spm.Invalid):
            customers.convert_lead(self.db, lead, pipeline=1, amount="12.505 CNY")
        self.assertEqual(self.db.query("customer").to_list(), [])
        self.assertEqual(customers.convert_lead(self.db, lead, pipeline=1, stage=1,
                                                name="Big"), (1, 0, 1))
        self.assertEqual(self.db.get("opportunity", 1)["name"], "Big")

    def test_ownership_history_lists_every_owner_change(self):
        lead = self.add("lead", company="Acme")
        self.db.actor = 2
        self.db.claim_lead(lead)
        self.db.release_lead(lead, "no budget")
        self.db.actor = 0
        rows = customers.ownership_history(self.db, "lead", lead)
        self.assertEqual([(r["fields"]["via"], r["fields"].get("from_owner"),
                           r["fields"].get("to_owner"), r["fields"].get("reason"))
                          for r in rows],
                         [("claim", None, 2, None), ("release", 2, None, "no budget")])
        self.assertEqual(rows[0]["fields"]["actor"], 2)
        with self.assertRaises(spm.Invalid):
            customers.ownership_history(self.db, "contact", 1)
        with self.assertRaises(spm.NotFound):
            customers.ownership_history(self.db, "lead", 99)

    def test_seeded_assignment_is_repeatable(self):
        self.add("assignment_rule", position=1, name="fair", method="least_busy", users="2,3")
        owners = []
        for _ in range(20):
            lead = self.add("lead", company="Tie")
            self.assertEqual(customers.assign_pool(self.db, seed=7), 1)
            owners.append(self.db.get("lead", lead)["owner_id"])
            rec = self.db.get("lead", lead)
            with rec:
                rec["disqualify_reason"] = "test"
                rec["status"] = "disqualified"
                rec.save()
        self.assertEqual(sorted(set(owners)), [2, 3], "both tied reps win some")
        with self.assertRaises(spm.Invalid):
            customers.assign_pool(self.db, seed=-1)
        self.assertEqual(customers.assign_pool(self.db), 0)

    def test_assignment_on_create(self):
        self.add("assignment_rule", position=1, name="rr", method="round_robin", users="2,3")
        with self.assertRaises(spm.Invalid):
            self.add("pool_policy", max_open=1, assign_on_create="maybe")
        self.add("pool_policy", max_open=1, assign_on_create=True, assign_seed=7)
        leads = [self.add("lead", company=c) for c in ("A", "B", "C")]
        got = [self.db.get("lead", lead) for lead in leads]
        self.assertEqual([r.get("owner_id") for r in got], [2, 3, None])
        self.assertEqual(got[1]["assignment_reason"], "rule 1 round_robin: user 3, turn 2 of 2")
        self.assertEqual(got[1]["status"], "assigned")
        self.assertEqual(got[2]["status"], "new", "both reps are full")
        rows = customers.ownership_history(self.db, "lead", leads[0])
        self.assertEqual([(r["fields"]["via"], r["fields"]["to_owner"], r["fields"]["reason"])
                          for r in rows],
                         [("assign", 2, "rule 1 round_robin: user 2, turn 1 of 2")])
        for r in got:
            r.close()

    def test_tags_and_customer_360(self):
        c = self.add("customer", name="Acme", owner_id=2, tags=" vip ,华东,vip")
        self.add("customer", name="Other", tags="华东")
        self.assertEqual(self.db.get("customer", c)["tags"], "vip,华东")
        self.assertEqual([r["fields"]["name"] for r in customers.customers_tagged(self.db, "华东")],
                         ["Acme", "Other"])
        with self.assertRaises(spm.Invalid):
            customers.customers_tagged(self.db, "a,b")
        self.add("contact", customer_id=c, name="Li")
        self.add("opportunity", name="A", customer_id=c, pipeline_id=1, status="open",
                 amount=spm.Money(1001, "CNY"))
        self.add("opportunity", name="B", customer_id=c, pipeline_id=1, stage_id=3, status="won",
                 amount=spm.Money(500, "USD"))
        view = customers.customer_360(self.db, c)
        self.assertEqual(view["tags"], ["vip", "华东"])
        self.assertEqual(view["customer"]["fields"]["name"], "Acme")
        self.assertEqual([k["fields"]["name"] for k in view["contacts"]], ["Li"])
        self.assertEqual(view["opportunity_totals"],
                         {"open": 1, "won": 1, "lost": 0, "open_amount": {"CNY": 1001},
                          "won_amount": {"USD": 500}})
        self.assertEqual([h["fields"]["via"] for h in view["ownership_history"]], ["create"])
        self.db.actor = 3
        with self.assertRaises(spm.NotFound):
            customers.customer_360(self.db, c)


if __name__ == "__main__":
    unittest.main()
