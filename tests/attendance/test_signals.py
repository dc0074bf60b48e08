"""Each signal: a register where it fires and one where it must not; idempotence; trust
thresholds; a school with the plugin off gets none."""
import datetime as dt

from tests.attendance.conftest import weekdays
from sqlalchemy import select

from core import pupils as core_pupils
from core.models import Alert
from core.schools import set_trust_setting
from plugins.attendance.models import Signal
from plugins.attendance.service import analyse_school

D = dt.date
MON = D(2025, 9, 8)


def kinds(signals):
    return sorted(s.kind for s in signals)


def test_first_day_unexplained_absence_for_cp_pupil(session, make_school, make_pupil, days):
    school = make_school()
    cp, other = make_pupil(school), make_pupil(school)
    core_pupils.set_flag(session, None, school.id, cp.id, "cp_plan", D(2025, 9, 1))
    for p in (cp, other):
        days(school, p, weekdays(MON, 4), "/")
        days(school, p, [D(2025, 9, 12)], "N")
    found = analyse_school(session, school.id, D(2025, 9, 12))
    assert [(s.kind, s.pupil_id, s.first_date) for s in found] == [
        ("first_day", cp.id, D(2025, 9, 12))]
    alert = session.get(Alert, found[0].alert_id)
    assert alert.link == f"/schools/{school.id}/concerns/new?pupil_id={cp.id}"
    assert alert.plugin == "attendance" and alert.pupil_id == cp.id


def test_first_day_not_for_explained_absence(session, make_school, make_pupil, days):
    school = make_school()
    la = make_pupil(school)
    core_pupils.set_flag(session, None, school.id, la.id, "looked_after", D(2025, 9, 1))
    days(school, la, weekdays(MON, 4), "/")
    days(school, la, [D(2025, 9, 12)], "I")  # illness reported: explained
    assert analyse_school(session, school.id, D(2025, 9, 12)) == []


def test_children_missing_education_thresholds(session, make_school, make_pupil, days):
    school = make_school()
    ten, nine, twenty = make_pupil(school), make_pupil(school), make_pupil(school)
    days(school, ten, weekdays(MON, 10), "N")
    days(school, nine, [MON] + weekdays(MON, 10)[1:], "N")
    days(school, nine, [D(2025, 9, 15)], "/")  # breaks the run: 5 then 4 days
    days(school, twenty, weekdays(MON, 20), "G")
    found = analyse_school(session, school.id, D(2025, 10, 3))
    by = {}
    for s in found:
        by.setdefault(s.pupil_id, set()).add(s.kind)
    assert by.get(ten.id) == {"cme_la"}
    assert by.get(twenty.id) == {"cme_la", "cme_roll"}
    assert nine.id not in by


def test_trust_threshold_overrides_default(session, make_school, make_pupil, days):
    school = make_school()
    p = make_pupil(school)
    days(school, p, weekdays(MON, 5), "N")
    assert "cme_la" not in kinds(analyse_school(session, school.id, D(2025, 9, 12)))
    set_trust_setting(session, school.trust_id, "attendance_thresholds", {"cme_la_days": 5})
    assert "cme_la" in kinds(analyse_school(session, school.id, D(2025, 9, 12)))


def test_same_weekday(session, make_school, make_pupil, days):
    school = make_school()
    mondays, scattered = make_pupil(school), make_pupil(school)
    for p in (mondays, scattered):
        days(school, p, weekdays(MON, 15), "/")
    days(school, mondays, [D(2025, 9, 8), D(2025, 9, 15), D(2025, 9, 22)], "I")
    days(school, scattered, [D(2025, 9, 8), D(2025, 9, 16), D(2025, 9, 24)], "I")
    found = analyse_school(session, school.id, D(2025, 9, 26))
    assert [(s.kind, s.pupil_id) for s in found] == [("weekday", mondays.id)]
    assert "Mondays" in found[0].title


def test_falling_trend(session, make_school, make_pupil, days):
    school = make_school()
    falling, steady = make_pupil(school), make_pupil(school)
    eight_weeks = weekdays(MON, 40)
    days(school, falling, eight_weeks[:20], "/")
    days(school, steady, eight_weeks, "/")
    for i, d in enumerate(eight_weeks[20:]):  # last 4 weeks: Monday and Tuesday off ill
        days(school, falling, [d], "I" if d.weekday() in (0, 1) else "/")
    found = analyse_school(session, school.id, eight_weeks[-1])
    falls = [s for s in found if s.kind == "falling"]
    assert [s.pupil_id for s in falls] == [falling.id]
    assert "100% to 60%" in falls[0].title


def test_lateness_cluster(session, make_school, make_pupil, put):
    school = make_school()
    five, four = make_pupil(school), make_pupil(school)
    ten = weekdays(MON, 10)
    put(school, [(p, d, s, "/" if s == "AM" else "\\") for p in (five, four) for d in ten
                 for s in ("AM", "PM")])
    put(school, [(five, d, "AM", "L") for d in ten[:4]] + [(five, ten[5], "AM", "U")])
    put(school, [(four, d, "AM", "L") for d in ten[:4]])
    found = analyse_school(session, school.id, ten[-1])
    assert [(s.kind, s.pupil_id) for s in found] == [("lateness", five.id)]


def test_siblings_absent_on_the_same_days_across_the_trust(session, make_trust, make_school,
                                                           make_pupil, days):
    trust = make_trust()
    primary, secondary = make_school(trust=trust), make_school(trust=trust)
    a, b = make_pupil(primary), make_pupil(secondary)
    c = make_pupil(primary)
    core_pupils.link_family(session, None, a.id, b.id)
    core_pupils.link_family(session, None, a.id, c.id)
    week = weekdays(MON, 5)
    days(primary, a, week[:3], "/")
    days(primary, a, week[3:], "N")
    days(secondary, b, week[:3], "/")
    days(secondary, b, week[3:], "O")
    days(primary, c, week[:4], "I")  # c absent too, but only one day in common with a
    days(primary, c, week[4:], "/")
    found = analyse_school(session, primary.id, week[-1])
    sib = [(s.pupil_id, s.dedupe_key) for s in found if s.kind == "siblings"]
    assert sib == [(a.id, f"siblings:{a.id}:{b.id}:2025-09-03")]


def test_analysis_is_idempotent(session, make_school, make_pupil, days):
    school = make_school()
    p = make_pupil(school)
    days(school, p, weekdays(MON, 10), "N")
    first = analyse_school(session, school.id, D(2025, 9, 19))
    assert kinds(first) == ["cme_la"]
    assert analyse_school(session, school.id, D(2025, 9, 19)) == []
    n_alerts = session.scalars(select(Alert).where(Alert.school_id == school.id)).all()
    assert len(n_alerts) == 1
    assert len(session.scalars(select(Signal).where(Signal.school_id == school.id)).all()) == 1


def test_no_signals_where_the_plugin_is_off(session, host, make_school, make_pupil, days):
    school = make_school()
    p = make_pupil(school)
    days(school, p, weekdays(MON, 10), "N")
    host.set_enabled(session, school.id, "attendance", False)
    assert analyse_school(session, school.id, D(2025, 9, 19)) == []
    assert session.scalars(select(Alert).where(Alert.school_id == school.id)).all() == []


def test_api_import_by_a_dsl_sees_siblings_at_other_schools_at_once(
        db, session, make_trust, make_school, make_pupil, make_user, days):
    """The analysis after an import is trust-wide system work: a DSL's scoped session (the
    API path) must not hide the sibling at the other school until the nightly run."""
    from plugins.attendance import service

    trust = make_trust()
    primary, secondary = make_school(trust=trust), make_school(trust=trust)
    a, b = make_pupil(primary), make_pupil(secondary)
    core_pupils.link_family(session, None, a.id, b.id)
    week = weekdays(MON, 5)
    days(secondary, b, week[:3], "/")
    days(secondary, b, week[3:], "O")
    _, dsl = make_user("dsl", primary)
    marks = [{"pupil_id": a.id, "date": d.isoformat(), "session": s, "code": code}
             for d, code in [(d, "/") for d in week[:3]] + [(d, "N") for d in week[3:]]
             for s in ("AM", "PM")]
    for m in marks:
        if m["code"] == "/" and m["session"] == "PM":
            m["code"] = "\\"
    with db.session(dsl.scope()) as scoped:
        service.import_json(scoped, dsl, primary.id, marks)
        scoped.commit()
    found = session.scalars(select(Signal).where(Signal.school_id == primary.id,
                                                 Signal.kind == "siblings")).all()
    assert [(s.pupil_id, s.dedupe_key) for s in found] == [
        (a.id, f"siblings:{a.id}:{b.id}:2025-09-03")]


def test_the_analysis_is_queued_only_when_the_api_import_commits(
        db, session, make_school, make_pupil, make_user):
    """The analysis job follows the import's commit: an API import rolled back queues nothing,
    and one committed queues (and, without Redis, runs) the job named after its import."""
    from core.models import JobRun
    from plugins.attendance import service

    school = make_school()
    pupil = make_pupil(school)
    _, dsl = make_user("dsl", school)
    marks = [{"pupil_id": pupil.id, "date": "2025-09-08", "session": "AM", "code": "/"}]
    with db.session(dsl.scope()) as scoped:
        first = service.import_json(scoped, dsl, school.id, marks).id
        scoped.rollback()
    assert session.get(JobRun, f"attendance_analyse_{school.id}_batch_{first}") is None
    with db.session(dsl.scope()) as scoped:
        second = service.import_json(scoped, dsl, school.id, marks).id
        scoped.commit()
    run = session.get(JobRun, f"attendance_analyse_{school.id}_batch_{second}")
    assert (run.status, run.plugin, run.school_id) == ("done", "attendance", school.id)
