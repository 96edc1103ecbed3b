"""Quotes, approvals, contracts and collections, tasks and comments from Python."""
import datetime
import unittest

import spm
from spm import collab

T0 = 1772355600  # 2026-03-01T09:00:00Z
DAY = 86400


def org():
    """An org: 1 admin, 2 rep An and 3 rep Bo in team 1 managed by 4 Mo; a
    customer of An's and one won deal."""
    db = spm.open(":memory:", actor=0, clock=lambda: T0)
    for name, scope, actions in (("admin", 3, "*"), ("rep", 1, None), ("manager", 2, None)):
        r = db.new_record("role", name=name, scope=scope)
        if actions:
            r["actions"] = actions
        r.save()
    for name, role in (("Ada", 1), ("An", 2), ("Bo", 2), ("Mo", 3)):
        db.new_record("user", name=name, role_id=role, active=True).save()
    db.new_record("team", name="T", manager_id=4).save()
    for user in (2, 3):
        db.new_record("membership", user_id=user, team_id=1,
                      valid_from=datetime.date(2026, 1, 1)).save()
    db.new_record("pipeline", name="Sales").save()
    db.new_record("stage", pipeline_id=1, name="Won", position=1, outcome="won").save()
    db.new_record("customer", name="Acme", owner_id=2).save()
    db.new_record("opportunity", name="Deal", pipeline_id=1, customer_id=1, owner_id=2,
                  stage_id=1, status="won", amount="1000.00 CNY").save()
    return db


class QuoteApprovalTest(unittest.TestCase):
    def setUp(self):
        self.db = org()
        self.db.new_record("approval_flow", {"name": "Big discount",
                                             "action": collab.QUOTE_DISCOUNT, "kind": "quote",
                                             "condition": "effective_discount_bp > 1500",
                                             "steps": "manager"}).save()
        self.q = self.db.new_record("quote", opportunity_id=1).save().id
        self.db.new_record("quote_line", quote_id=self.q, product="Widget", quantity=10,
                           unit_price="100.00 CNY", discount_bp=2000).save()

    def tearDown(self):
        self.db.close()

    def test_discount_needs_the_managers_approval_before_sending(self):
        db = self.db
        self.assertEqual(db.get("quote", self.q)["total"], spm.Money(80000, "CNY"))
        db.actor = 2
        with self.assertRaises(spm.ApprovalNeeded) as cm:
            collab.quote_send(db, self.q)
        request = cm.exception.request
        self.assertGreater(request, 0)
        self.assertEqual(cm.exception.code, -18)
        self.assertEqual(cm.exception.name, "SPM_EAPPROVAL")
        self.assertEqual(db.get("quote", self.q)["status"], "draft")
        with self.assertRaises(spm.Exists):
            collab.approval_submit(db, collab.QUOTE_DISCOUNT, "quote", self.q)
        db.actor = 3
        with self.assertRaises(spm.Permission):
            collab.approval_approve(db, request)
        db.actor = 4
        collab.approval_approve(db, request, "ok")
        self.assertEqual(db.get("approval_request", request)["status"], "approved")
        db.actor = 2
        collab.quote_send(db, self.q)
        self.assertEqual(db.get("quote", self.q)["status"], "sent")
        db.actor = 0  # the outbox needs scope all
        types = [e.type for e in db.outbox()]
        self.assertEqual(types.count("approval.submitted"), 1)
        self.assertEqual(types.count("approval.approved"), 1)

    def test_reject_then_resubmit_and_revise(self):
        db = self.db
        db.actor = 2
        with self.assertRaises(spm.ApprovalNeeded) as cm:
            collab.quote_send(db, self.q)
        db.actor = 4
        collab.approval_reject(db, cm.exception.request, "too deep")
        self.assertEqual(db.get("approval_request", cm.exception.request)["comment"], "too deep")
        db.actor = 2
        again = collab.approval_submit(db, collab.QUOTE_DISCOUNT, "quote", self.q)
        self.assertNotEqual(again, cm.exception.request)
        collab.approval_cancel(db, again)
        with self.assertRaises(spm.Invalid):
            collab.approval_cancel(db, again)
        q2 = collab.quote_revise(db, self.q)
        self.assertEqual(db.get("quote", q2)["version"], 2)
        self.assertFalse(db.get("quote", self.q)["latest"])
        with self.assertRaises(spm.Invalid):
            collab.quote_revise(db, self.q)
        with self.assertRaises(spm.NotFound):
            collab.quote_send(db, 999)


class CollectionsTest(unittest.TestCase):
    def setUp(self):
        self.db = org()
        self.c = self.db.new_record("contract", opportunity_id=1, amount="100.00 CNY").save().id

    def tearDown(self):
        self.db.close()

    def test_split_and_plan_and_partial_payment(self):
        db = self.db
        parts = collab.installment_split(10000, 3)
        self.assertEqual(parts, [3334, 3333, 3333])
        with self.assertRaises(spm.Invalid):
            collab.installment_split(2, 3)
        with self.assertRaises(spm.Invalid):
            collab.contract_set_plan(db, self.c, [(datetime.date(2026, 3, 10), 9999)])
        due = [datetime.date(2026, 3, 10), datetime.date(2026, 4, 10), datetime.date(2026, 5, 10)]
        collab.contract_set_plan(db, self.c, zip(due, parts))
        db.new_record("payment", contract_id=self.c, amount="50.00 CNY", received_at=T0).save()
        self.assertEqual(db.get("installment", 2)["paid"], spm.Money(1666, "CNY"))
        self.assertEqual(db.get("installment", 2)["status"], "partial")
        self.assertEqual(db.get("payment", 1)["owner_id"], 2)
        with self.assertRaises(spm.Invalid):
            db.new_record("payment", contract_id=self.c, amount="50.01 CNY",
                          received_at=T0).save()
        with self.assertRaises(spm.CurrencyError):
            db.new_record("payment", contract_id=self.c, amount="1.00 USD",
                          received_at=T0).save()
        db.tick(T0 + 10 * DAY)
        db.tick(T0 + 11 * DAY)
        overdue = [e for e in db.outbox() if e.type == "installment.overdue"]
        self.assertEqual(len(overdue), 0)  # installment 1 is paid
        db.tick(T0 + 41 * DAY)
        overdue = [e for e in db.outbox() if e.type == "installment.overdue"]
        self.assertEqual([(e.entity_id, e.data["outstanding"]) for e in overdue], [(2, 1667)])

    def test_refunds_and_complaints_raise_events(self):
        db = self.db
        db.new_record("credit_note", customer_id=1, opportunity_id=1, amount="5.00 CNY",
                      reason="returned", at=T0).save()
        db.new_record("complaint", customer_id=1, category="delivery", severity="high",
                      at=T0).save()
        with self.assertRaises(spm.Invalid):
            db.new_record("complaint", customer_id=1, category="x", severity="meh",
                          at=T0).save()
        events = {e.type: e.data for e in db.outbox()}
        self.assertEqual(events["refund.recorded"]["amount"], 500)
        self.assertEqual(events["complaint.recorded"]["severity"], "high")


class TaskCommentTest(unittest.TestCase):
    def test_mentions_and_overdue_tasks_and_visibility(self):
        with org() as db:
            db.new_record("task", title="Call", assignee_id=2, due_at=T0 + 60,
                          record_kind="customer", record_id=1).save()
            db.tick(T0 + 120)
            db.tick(T0 + 180)
            self.assertEqual([e.type for e in db.outbox()].count("task.overdue"), 1)
            db.actor = 2
            c = collab.comment_add(db, "customer", 1, "@[Mo] and @[3], look")
            self.assertEqual(db.get("comment", c)["mentions"], "3,4")
            db.actor = 0
            mentioned = [e.data["user"] for e in db.outbox() if e.type == "mention"]
            self.assertEqual(mentioned, [3, 4])
            db.actor = 2
            with self.assertRaises(spm.Invalid):
                collab.comment_add(db, "customer", 1, "@[Nobody]")
            db.actor = 3  # Bo may not see An's customer, nor its tasks and comments
            self.assertEqual(len(db.query("task").to_list()), 0)
            self.assertEqual(len(db.query("comment").to_list()), 0)
            with self.assertRaises(spm.NotFound):
                collab.comment_add(db, "customer", 1, "hello")


if __name__ == "__main__":
    unittest.main()
