"""Measured noise: on a generated trust (benchmarks.signals.build_trust: ten weeks of
registers with ordinary absence, concerns, police notifications and sibling links at plausible
rates, and planted cases of each rule) the replay finds every planted pattern, and the alert
rate of the pupils nobody planted stays under the documented ceiling
(docs/guide/signals.md#measured-noise)."""
from __future__ import annotations

from core.signals.engine import AlertCounter
from core.signals.evaluate import per_thousand_per_week, replay, replay_school

from benchmarks.signals import build_trust

#: alerts per 1,000 unplanted pupils per week the default rules may raise on the generated
#: trust; the figure is documented in the guide beside the replay's measured rate
CEILING = 2.0


def test_planted_patterns_found_and_background_under_the_ceiling(db, session):
    t = build_trust(db, 2, 150, seed=5, planted_per_rule=3)
    counter = AlertCounter()
    for sid in t.school_ids:
        replay_school(session, sid, t.start, t.end, counter)
    found = {(f.rule, f.pupil_id) for f in counter.alerts}
    missed = [p for p in t.planted if (p.rule, p.pupil_id) not in found]
    assert not missed, missed
    assert {p.rule for p in t.planted} == {"police_then_absence", "different_kinds",
                                           "relative_elsewhere_while_falling"}
    planted_pupils = {p.pupil_id for p in t.planted}
    # the planted pupils' siblings are part of their story (and told by notices)
    related = {r[0] for f in counter.alerts if f.pupil_id in planted_pupils for r in f.relatives}
    background = [f for f in counter.alerts
                  if f.pupil_id not in planted_pupils | related]
    rate = per_thousand_per_week(len(background), t.pupils - len(planted_pupils | related),
                                 t.start, t.end)
    assert rate < CEILING, (rate, [(f.rule, f.pupil_id) for f in background])
    # the command's figures are the same replay, per school and rule
    rows = replay(session, t.start, t.end, t.trust_id)
    assert sum(sum(r["alerts"].values()) for r in rows) == len(
        [f for f in counter.alerts if f.rule != "linked_elsewhere"])
