"""``mat signals replay`` and ``mat signals run``: figures per school and rule, nothing
stored by a replay, and bad input named."""
from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import func, select

from core.models import Concern
from core.signals.cli import signals
from core.signals.models import SignalFiring

from benchmarks.signals import build_trust


def test_replay_reports_rates_and_stores_nothing(db, session):
    t = build_trust(db, 2, 60, seed=9, planted_per_rule=1)
    runner = CliRunner()
    out = runner.invoke(signals, ["replay", "--from", t.start.isoformat(), "--to",
                                  t.end.isoformat(), "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["schools"]
    assert {r["school_id"] for r in rows} >= set(t.school_ids)
    mine = [r for r in rows if r["school_id"] in t.school_ids]
    planted_rules = {p.rule for p in t.planted}
    assert planted_rules <= {rule for r in mine for rule in r["alerts"]}
    for r in mine:
        weeks = ((t.end - t.start).days + 1) / 7
        for rule, n in r["alerts"].items():
            assert abs(r["rates"][rule] - n / r["pupils"] * 1000 / weeks) < 0.01
    assert session.scalar(select(func.count()).select_from(SignalFiring)) == 0
    text = runner.invoke(signals, ["replay", "--from", t.start.isoformat(), "--to",
                                   t.end.isoformat()]).output
    assert "alerts per 1,000 pupils per week" in text and "Signals School 1" in text


def test_replay_refuses_bad_dates():
    runner = CliRunner()
    out = runner.invoke(signals, ["replay", "--from", "2025-09-30", "--to", "2025-09-01"])
    assert out.exit_code == 2 and "--to: must not be before --from" in out.output
    out = runner.invoke(signals, ["replay", "--from", "30/09/2025", "--to", "2025-10-01"])
    assert out.exit_code == 2 and "is not a date" in out.output


def test_run_stores_firings_once(db, session):
    t = build_trust(db, 1, 40, seed=3, planted_per_rule=1)
    runner = CliRunner()
    # the planted notification is on the fourth week's Thursday, the absence on its Friday
    day = (t.start + dt.timedelta(weeks=3, days=4)).isoformat()
    first = runner.invoke(signals, ["run", "--as-of", day, "--full"])
    assert first.exit_code == 0, first.output
    n = session.scalar(select(func.count()).select_from(SignalFiring))
    assert n >= 1
    again = runner.invoke(signals, ["run", "--as-of", day, "--full"])
    assert again.exit_code == 0 and " 0 new" in again.output
    assert session.scalar(select(func.count()).select_from(SignalFiring)) == n
    bad = runner.invoke(signals, ["run", "--school", "000000"])
    assert bad.exit_code == 2 and "--school: no school with URN 000000" in bad.output


def test_a_concern_the_police_notification_opened_is_not_a_second_sign(
        session, make_school, make_pupil, notify):
    from core.signals.gather import school_indicators

    school = make_school()
    child = make_pupil(school)
    notify(school, child, dt.date(2025, 9, 12))
    at = dt.datetime(2025, 9, 12, 9, tzinfo=dt.timezone.utc)
    session.add(Concern(school_id=school.id, occurred_at=at, recorded_at=at,
                        fact="Opened from a police notification", source="encompass"))
    session.flush()
    from core.models import ConcernPupil

    cid = session.scalar(select(Concern.id).where(Concern.source == "encompass",
                                                  Concern.school_id == school.id))
    session.add(ConcernPupil(school_id=school.id, concern_id=cid, pupil_id=child.id))
    session.flush()
    kinds = [i.kind for i in school_indicators(session, school.id, dt.date(2025, 9, 1),
                                               dt.date(2025, 9, 30))]
    assert kinds == ["encompass.notification"]
