"""The attendance rules through ``plugins.attendance.service`` alone: no app, no client.
Importing marks (all or none), the measures read back from them, and the signals found in
them, reviewed and counted for the trust overview."""
import datetime as dt
import subprocess
import sys

import pytest

from core.errors import NotFound
from plugins.attendance import service
from tests.attendance.conftest import weekdays

D = dt.date
MON = D(2025, 9, 8)


def _both_sessions(pupil, dates, code):
    """(pupil_id, date, session, code) for both sessions of each day (PM present is ``\\``)."""
    rows = []
    for d in dates:
        rows.append((pupil.id, d.isoformat(), "AM", code))
        rows.append((pupil.id, d.isoformat(), "PM", "\\" if code == "/" else code))
    return rows


def test_service_imports_no_flask():
    """Jobs, the CLI and these tests call the rules without a web app."""
    code = ("import sys, plugins.attendance.service; "
            "sys.exit(1 if 'flask' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_import_is_all_or_none(session, make_school, make_pupil):
    school = make_school()
    a = make_pupil(school)
    rows = _both_sessions(a, weekdays(MON, 3), "/") + [(a.id, "2025-09-11", "AM", "%")]
    refused = service.import_pupil_marks(session, school.id, rows)
    assert not refused.ok and refused.imported == 0
    assert [e["field"] for e in refused.errors.items] == ["code"]
    nothing = service.school_measures(session, school.id, MON, MON + dt.timedelta(days=6))
    assert nothing.pupils == 0 and nothing.totals.possible == 0

    stored = service.import_pupil_marks(session, school.id, rows[:-1])
    assert stored.ok and stored.imported == 6
    assert (stored.first_date, stored.last_date) == (MON, D(2025, 9, 10))


def test_measures_read_back_from_the_import(session, make_school, make_pupil):
    school = make_school()
    good, poor = make_pupil(school), make_pupil(school)
    week = weekdays(MON, 5)
    service.import_pupil_marks(session, school.id, _both_sessions(good, week, "/")
                               + _both_sessions(poor, week[:4], "/")
                               + _both_sessions(poor, week[4:], "N"))
    end = MON + dt.timedelta(days=6)
    mine = service.pupil_measures(session, school.id, poor.id, MON, end)
    # 10 possible sessions, 8 present, 2 unauthorised: 80% is persistent (below 90%), not severe
    assert (mine["possible"], mine["unauthorised"], mine["attendance_pct"]) == (10, 2, 80.0)
    assert mine["persistent_absence"] and not mine["severe_absence"]
    whole = service.school_measures(session, school.id, MON, end)
    assert (whole.pupils, whole.totals.possible, whole.totals.attendance_pct) == (2, 20, 90.0)
    assert whole.persistent == [poor.id] and whole.pa_pct == 50.0
    trend = service.weekly_trend(session, school.id, MON, end, pupil_id=poor.id)
    assert [(w, c.attendance_pct) for w, c in trend] == [(MON, 80.0)]
    assert service.latest_mark_date(session, school.id, D(2025, 12, 1)) == week[-1]


def test_signals_found_once_reviewed_and_counted(session, make_school, make_pupil,
                                                 make_user):
    school = make_school()
    missing, present = make_pupil(school), make_pupil(school)
    ten = weekdays(MON, 10)
    service.import_pupil_marks(session, school.id, _both_sessions(missing, ten, "N")
                               + _both_sessions(present, ten, "/"))
    found = service.analyse_school(session, school.id, ten[-1])
    assert {(s.kind, s.pupil_id) for s in found} == {("cme_la", missing.id)}
    assert service.analyse_school(session, school.id, ten[-1]) == []  # nothing new twice
    assert service.open_signal_count(session, school.id) == 1

    staff = make_user("staff", school)[1]
    with pytest.raises(NotFound):  # only case-file writers review; others see no signal
        service.review_signal(session, staff, school.id, found[0].id)
    other = make_school(trust=None)
    dsl = make_user("dsl", school)[1]
    with pytest.raises(NotFound):  # a signal is reviewed only in its own school
        service.review_signal(session, make_user("dsl", other)[1], other.id, found[0].id)
    sig = service.review_signal(session, dsl, school.id, found[0].id)
    assert sig.reviewed_by_id == dsl.user_id and sig.reviewed_at is not None
    assert service.open_signal_count(session, school.id) == 0

    metrics = {m.key: m.value for m in service.trust_metrics(session, school.id, MON, ten[-1])}
    assert metrics == {"attendance_pct": 50.0, "pa_pct": 50.0, "sa_pct": 50.0,
                       "open_signals": 0}
    keys = [d.key for d in service.metric_definitions()]
    assert keys == list(metrics)


def test_chronology_lists_the_pupils_signals_in_range(session, make_school, make_pupil):
    school = make_school()
    missing = make_pupil(school)
    ten = weekdays(MON, 10)
    service.import_pupil_marks(session, school.id, _both_sessions(missing, ten, "N"))
    service.analyse_school(session, school.id, ten[-1])
    items = service.chronology(session, school.id, missing.id, MON, ten[-1])
    assert [i.kind for i in items] == ["attendance.cme_la"]
    assert service.chronology(session, school.id, missing.id, D(2026, 1, 5), None) == []
