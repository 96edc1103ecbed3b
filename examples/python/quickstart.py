"""quickstart: open a database, define a custom field, write records, and
print the audit trail and the outbox. The same steps and output as
examples/quickstart.c.

    python3 quickstart.py [FILE]      (default: an in-memory database)
"""
import sys

import spm


def main(path=":memory:"):
    # actor: the user making the changes.
    with spm.open(path, actor=7) as db:
        # A custom field: customer grade, one of A/B/C.
        try:
            db.add_field("customer", "grade", "enum", choices=["A", "B", "C"], label="客户分级")
            db.add_field("customer", "credit_limit", "money")
        except spm.Exists:
            pass

        # Create a customer, then change it. Money is exact: minor units.
        acme = db.new_record("customer", name="Acme 有限公司", grade="B",
                             credit_limit=spm.Money(5000000, "CNY"))
        acme.save()
        acme["grade"] = "A"
        acme.save()
        print("customer %d saved at change %d" % (acme.id, acme.seq))

        # A bad value is refused and changes nothing.
        bad = db.new_record("customer")
        try:
            bad["grade"] = "Z"
        except spm.Invalid as e:
            print("grade Z: %s: %s" % (e.name, e))

        print("audit trail:")
        for e in db.audit():
            print("  #%-3d seq %-3d %-8s %s %d %s: %s -> %s"
                  % (e.id, e.change_seq, e.op, e.kind, e.entity_id, e.field or "-",
                     e.old_value or "(none)", e.new_value or "(none)"))
        print("outbox:")
        for ev in db.outbox():
            print("  event %-3d %-15s %s %d %s" % (ev.seq, ev.type, ev.kind, ev.entity_id,
                                                    ev.payload))


if __name__ == "__main__":
    main(*sys.argv[1:2])
