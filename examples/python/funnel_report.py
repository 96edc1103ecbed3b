"""funnel_report: six deals move through a pipeline over a few days; then a
funnel and a win rate by owner are run with spm.report.run() and printed as
tables. The same steps and output as examples/funnel_report.c.

    python3 funnel_report.py          (in-memory database, a clock it sets)
"""
import spm
import spm.pipeline
import spm.report

PIPELINE = {
    "name": "New business", "allow_skip": True, "stages": [
        {"name": "Qualify", "probability": 10, "forecast_category": "pipeline"},
        {"name": "Propose", "probability": 40, "forecast_category": "best_case"},
        {"name": "Negotiate", "probability": 70, "forecast_category": "commit"},
        {"name": "Won", "probability": 100, "forecast_category": "closed", "outcome": "won"},
        {"name": "Lost", "probability": 0, "forecast_category": "omitted", "outcome": "lost"},
    ]}
# Stage ids of a fresh database, in the document's order.
QUALIFY, PROPOSE, NEGOTIATE, WON, LOST = 1, 2, 3, 4, 5

now = 1772355600  # 2026-03-01T09:00:00Z; the clock reads it, the program moves it


def cell(value):
    """A cell as text: ratios are exact Decimals (shown as percentages),
    money is spm.Money, an empty cell is None (never 0)."""
    if value is None:
        return "-"
    if hasattr(value, "as_tuple"):  # decimal.Decimal: a ratio
        ppm = int(value.scaleb(6))
        return "%d.%04d%%" % (ppm // 10000, ppm % 10000)
    return str(value)


def report(db, definition):
    print()
    print(definition)
    try:
        res = spm.report.run(db, definition)
    except spm.SpmError as e:
        print("%s: %s" % (e.name, e))
        return
    print("".join("%-12s" % name for name, _type in res.columns))
    for row in res.rows:
        print("".join("%-12s" % cell(row[name]) for name, _type in res.columns))


def main():
    global now
    # The system actor (0) sets up and moves every deal.
    with spm.open(":memory:", actor=0, clock=lambda: now) as db:
        pipeline = spm.pipeline.load(db, PIPELINE)
        db.new_record("role", name="rep", scope=1).save()
        for name in ("An", "Bo"):  # users 1 and 2
            db.new_record("user", name=name, role_id=1, active=True).save()

        def deal(name, owner, minor):
            rec = db.new_record("opportunity", name=name, pipeline_id=pipeline, owner_id=owner,
                                amount=spm.Money(minor, "CNY"), lost_reason="price")
            return rec.save().id

        def walk(deal_id, stages):
            global now
            for stage in stages:  # one day apart
                now += 86400
                spm.pipeline.move(db, deal_id, stage)

        d = [deal("Acme", 1, 1200000), deal("Globex", 1, 800000), deal("Initech", 1, 300000),
             deal("Umbrella", 2, 2500000), deal("Hooli", 2, 450000), deal("Stark", 2, 990000)]
        walk(d[0], [PROPOSE, NEGOTIATE, WON])
        walk(d[1], [PROPOSE, LOST])
        walk(d[2], [PROPOSE])
        walk(d[3], [PROPOSE, NEGOTIATE, WON])
        walk(d[4], [LOST])
        # d[5] stays in Qualify.

        report(db, '{"query": "funnel", "pipeline": %d, "funnel": "reached"}' % pipeline)
        report(db, '{"query": "win_rate", "group_by": "owner"}')
        # A mistake names where it is.
        report(db, '{"query": "win_rate", "group_by": "colour"}')


if __name__ == "__main__":
    main()
