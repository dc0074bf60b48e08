"""The converging-signals flow end to end through the real plugins: indicators from each
source, a rule firing with every indicator behind it, the alert, the DSL's decision standing
until a new indicator arrives, plugins off contributing nothing, and the watermark."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import audit, hookimpl
from core import pupils as core_pupils
from core.chronology import pupil_chronology
from core.errors import NotFound, ValidationError
from core.models import Alert, AuditEntry
from core.signals import evaluate, service
from core.signals.gather import school_indicators
from core.signals.models import SignalDecision, SignalFiring, SignalWatermark
from tests.signals.conftest import weekdays

D = dt.date
FRI, MON = D(2025, 9, 12), D(2025, 9, 15)


def kinds(inds):
    return sorted((i.kind, i.date) for i in inds)


def firings(session, school):
    return list(session.scalars(select(SignalFiring).where(SignalFiring.school_id == school.id)
                                .order_by(SignalFiring.id)))


def test_police_notification_then_unexplained_absence_fires_naming_both(
        session, make_school, make_pupil, days, notify):
    school = make_school()
    child, other = make_pupil(school), make_pupil(school)
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    days(school, other, [MON], "N")  # absent too, but no notification: no pattern
    result = evaluate.evaluate_school(session, school.id, MON, incremental=False)
    assert result["new"] == 1
    [f] = firings(session, school)
    assert (f.rule, f.pupil_id) == ("police_then_absence", child.id)
    assert [(i["kind"], i["date"]) for i in f.indicators] == [
        ("encompass.notification", "2025-09-12"), ("attendance.unexplained_day", "2025-09-15")]
    assert all(i["link"] for i in f.indicators)
    alert = session.scalar(select(Alert).where(Alert.school_id == school.id,
                                               Alert.kind == "converging_signals"))
    assert alert.pupil_id == child.id and alert.link == f"/schools/{school.id}/signals/{f.id}"
    assert "Police notification, then unexplained absence" in alert.message


def test_absence_two_school_days_later_is_not_the_next_school_day(
        session, make_school, make_pupil, days, notify):
    school = make_school()
    child = make_pupil(school)
    notify(school, child, FRI)
    days(school, child, [MON], "/")
    days(school, child, [D(2025, 9, 16)], "N")
    evaluate.evaluate_school(session, school.id, D(2025, 9, 16), incremental=False)
    assert firings(session, school) == []


def test_next_school_day_follows_the_calendar_over_a_closure(
        session, make_school, make_pupil, days, notify):
    from core.schools import add_closure

    school = make_school()
    add_closure(session, school.id, MON, "INSET day")
    child = make_pupil(school)
    notify(school, child, FRI)
    days(school, child, [D(2025, 9, 16)], "N")  # Tuesday is the next school day
    evaluate.evaluate_school(session, school.id, D(2025, 9, 16), incremental=False)
    assert [f.rule for f in firings(session, school)] == ["police_then_absence"]


def test_a_plugin_off_contributes_nothing(session, make_school, make_pupil, days, notify, host):
    school = make_school()
    child = make_pupil(school)
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    host.set_enabled(session, school.id, "encompass", False)
    found = school_indicators(session, school.id, D(2025, 9, 1), MON)
    assert kinds(found) == [("attendance.unexplained_day", MON)]
    evaluate.evaluate_school(session, school.id, MON, incremental=False)
    assert firings(session, school) == []


def test_core_indicators_concerns_and_flags(session, make_school, make_pupil, make_concern):
    school = make_school(plugins=[])
    p = make_pupil(school)
    make_concern(school, [p], occurred_at=dt.datetime(2025, 9, 10, 9, tzinfo=dt.timezone.utc))
    core_pupils.set_flag(session, None, school.id, p.id, "cp_plan", D(2025, 9, 11))
    core_pupils.set_flag(session, None, school.id, p.id, "eal", D(2025, 9, 11))  # not a sign
    found = school_indicators(session, school.id, D(2025, 9, 1), D(2025, 9, 30))
    assert kinds(found) == [("core.concern", D(2025, 9, 10)),
                            ("core.flag_started", D(2025, 9, 11))]
    assert "not triaged yet" in [i for i in found if i.kind == "core.concern"][0].label
    # a concern and a plan starting within four weeks: two kinds
    evaluate.evaluate_school(session, school.id, D(2025, 9, 12), incremental=False)
    [f] = firings(session, school)
    assert f.rule == "different_kinds"


def test_attendance_indicators(session, make_school, make_pupil, days):
    school = make_school(plugins=["attendance"])
    missing, cp = make_pupil(school), make_pupil(school)
    core_pupils.set_flag(session, None, school.id, cp.id, "cin", D(2025, 9, 1))
    days(school, missing, weekdays(D(2025, 9, 8), 10), "N")
    days(school, cp, [D(2025, 9, 8), D(2025, 9, 9)], "/")
    days(school, cp, [D(2025, 9, 10), D(2025, 9, 11)], "N")
    found = school_indicators(session, school.id, D(2025, 9, 1), D(2025, 9, 30))
    mine = [(i.kind, i.date) for i in found if i.pupil_id == missing.id
            and i.kind != "attendance.unexplained_day"]
    assert mine == [("attendance.missing_education", D(2025, 9, 19))]
    theirs = [(i.kind, i.date) for i in found if i.pupil_id == cp.id
              and i.kind == "attendance.first_day_cp_cin"]
    assert theirs == [("attendance.first_day_cp_cin", D(2025, 9, 10))]  # not the second day


def test_falling_attendance_and_persistent_absence(session, make_school, make_pupil, days):
    school = make_school(plugins=["attendance"])
    p = make_pupil(school)
    good = weekdays(D(2025, 9, 8), 20)  # four full weeks present
    days(school, p, good, "/")
    bad = weekdays(D(2025, 10, 6), 20)
    days(school, p, [d for d in bad if d.weekday() in (0, 1)], "O")  # two days a week off
    days(school, p, [d for d in bad if d.weekday() > 1], "/")
    found = school_indicators(session, school.id, D(2025, 9, 1), D(2025, 11, 7))
    got = sorted((i.kind, i.date) for i in found if not i.kind.endswith("unexplained_day"))
    # the four weeks to 10 October attended 36 of 40 sessions against 10 of 10 before: the
    # 10-point fall is first seen that week, and said once, not every week after
    assert [x for x in got if x[0] == "attendance.falling"] == [
        ("attendance.falling", D(2025, 10, 10))]
    # the year: 50 sessions possible by 10 October (under the sixty needed), 52 of 60
    # attended by 17 October (86.7%): persistent absence from that week, once
    pa = [d for k, d in got if k == "attendance.persistent_absence"]
    assert pa == [D(2025, 10, 17)]


def test_decision_stands_until_a_new_indicator(session, make_school, make_pupil, make_user,
                                               days, notify):
    school = make_school()
    child = make_pupil(school)
    _, dsl = make_user("dsl", school=school)
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    evaluate.evaluate_school(session, school.id, MON, incremental=False)
    [f] = firings(session, school)
    with pytest.raises(ValidationError) as bad:
        service.decide(session, dsl, school.id, f.id, outcome="maybe", reason="")
    assert set(bad.value.errors) == {"outcome", "reason"}
    d = service.decide(session, dsl, school.id, f.id, outcome="no_further_action",
                       reason="Mother rang at 9:30: child at the dentist, letter seen.")
    assert set(d.indicator_keys) == {i["key"] for i in f.indicators}
    alert = session.scalar(select(Alert).where(Alert.kind == "converging_signals",
                                               Alert.school_id == school.id))
    assert alert.resolved_at is not None
    # the same evidence again: quiet
    assert evaluate.evaluate_school(session, school.id, MON, incremental=False).get("decided") == 1
    assert len(firings(session, school)) == 1
    # a new indicator (another notification): alerts again, a new alert
    notify(school, child, D(2025, 9, 16))
    days(school, child, [D(2025, 9, 17)], "N")
    assert evaluate.evaluate_school(session, school.id, D(2025, 9, 17),
                                    incremental=False)["new"] == 1
    open_alerts = session.scalars(select(Alert).where(
        Alert.kind == "converging_signals", Alert.school_id == school.id,
        Alert.resolved_at.is_(None))).all()
    assert len(open_alerts) == 1
    # the decision is append-only and in the chronology
    d.reason = "changed"
    with pytest.raises(Exception):
        session.flush()
    session.rollback()


def test_decision_in_chronology_and_audited(session, make_school, make_pupil, make_user, days,
                                            notify):
    school = make_school()
    child = make_pupil(school)
    _, dsl = make_user("dsl", school=school)
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    evaluate.evaluate_school(session, school.id, MON, incremental=False)
    [f] = firings(session, school)
    service.decide(session, dsl, school.id, f.id, outcome="raise_concern",
                   reason="Pattern with the police notice: concern raised for triage.")
    items = pupil_chronology(session, dsl, school.id, child.id)
    titles = [i.title for i in items]
    assert any(t.startswith("Converging signals decision: Raise a concern") for t in titles)
    assert any(t == "Converging signals: Police notification, then unexplained absence"
               for t in titles)
    acts = session.scalars(select(AuditEntry.action).where(AuditEntry.school_id == school.id))
    assert "signals.decided" in set(acts)


def test_staff_cannot_read_or_decide(session, make_school, make_pupil, make_user, days, notify):
    school = make_school()
    child = make_pupil(school)
    _, staff = make_user("staff", school=school)
    _, head = make_user("headteacher", school=school)
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    evaluate.evaluate_school(session, school.id, MON, incremental=False)
    [f] = firings(session, school)
    for who in (staff, head):
        with pytest.raises(NotFound):
            service.firing(session, who, school.id, f.id)
        with pytest.raises(NotFound):
            service.decide(session, who, school.id, f.id, outcome="monitor", reason="x")


def test_watermark_makes_the_next_run_incremental(session, make_school, make_pupil, days,
                                                  notify):
    school = make_school()
    child, quiet = make_pupil(school), make_pupil(school)
    days(school, quiet, weekdays(D(2025, 9, 8), 5), "/")
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    first = evaluate.evaluate_school(session, school.id, MON)
    assert first["since"] is None and first["new"] == 1
    mark = session.scalar(select(SignalWatermark).where(SignalWatermark.school_id == school.id))
    assert mark.evaluated_to == MON
    again = evaluate.evaluate_school(session, school.id, D(2025, 9, 16))
    assert again["since"] == "2025-09-15"
    assert again["evaluated"] == 1  # only the pupil with recent indicators
    assert again.get("new", 0) == 0 and again["seen"] == 1
    assert len(firings(session, school)) == 1


def test_attendance_indicators_do_not_depend_on_the_window_or_the_pupils_asked(
        session, make_school, make_pupil, days):
    """The nightly run asks for the last weeks, a pupil's page for one pupil, the replay for
    a term: each must see the same indicators on the same days."""
    school = make_school(plugins=["attendance"])
    steady, slipping, gone = make_pupil(school), make_pupil(school), make_pupil(school)
    autumn = [d for d in weekdays(D(2025, 9, 8), 75) if d <= D(2025, 12, 19)]
    days(school, steady, autumn, "/")
    days(school, slipping, [d for d in autumn if d < D(2025, 11, 17)], "/")
    late = [d for d in autumn if d >= D(2025, 11, 17)]
    days(school, slipping, [d for d in late if d.weekday() < 3], "O")
    days(school, slipping, [d for d in late if d.weekday() >= 3], "/")
    days(school, gone, [d for d in autumn if d < D(2025, 12, 1)], "/")
    days(school, gone, [d for d in autumn if d >= D(2025, 12, 1)], "N")

    def found(start, end, pupils=None):
        return sorted((i.pupil_id, i.kind, i.date, i.ref) for i in school_indicators(
            session, school.id, start, end, pupils))

    term = found(D(2025, 9, 1), D(2025, 12, 19))
    kinds = {k for _, k, _, _ in term}
    assert {"attendance.falling", "attendance.persistent_absence",
            "attendance.missing_education"} <= kinds
    late_window = found(D(2025, 12, 1), D(2025, 12, 19))
    assert late_window == [x for x in term if x[2] >= D(2025, 12, 1)]
    assert found(D(2025, 12, 1), D(2025, 12, 19), [slipping.id]) == [
        x for x in late_window if x[0] == slipping.id]
    assert [x for x in late_window if x[1] == "attendance.persistent_absence"]


def test_the_nightly_job_is_a_core_recurring_job_and_keeps_the_watermark(session, make_school,
                                                                         host):
    from core.calendar import london_today
    from core.contributions import RecurringJob

    jobs = [j for j in host.call_global("mat_recurring_jobs") if isinstance(j, RecurringJob)]
    [job] = [j for j in jobs if j.name == "converging_signals"]
    assert job.plugin == "core" and job.func is evaluate.nightly
    school = make_school()
    result = job.func(school.id)
    assert result["since"] is None and result["as_of"] == london_today().isoformat()
    again = job.func(school.id)
    assert again["since"] == london_today().isoformat()


class Outreach:
    """A plugin from outside the platform (a youth-work service, say) answering
    ``mat_indicators``: one sign about the pupil asked for, one it claims for another school,
    and one dated outside the window asked."""

    def __init__(self, pupil_id, school_id, other_school_id):
        self.answer = [
            ("outreach.missed_session", pupil_id, school_id, MON),
            ("outreach.missed_session", pupil_id, other_school_id, MON),
            ("outreach.missed_session", pupil_id, school_id, D(2024, 1, 8)),
        ]

    @staticmethod
    def _indicator(kind, pupil_id, school_id, day):
        from core.contributions import Indicator

        return Indicator(pupil_id, school_id, kind, day, "outreach",
                         "Missed the outreach session", ref=f"{school_id}:{day}")

    @hookimpl
    def mat_indicators(self, session, school_id, start, end, pupil_ids):
        return [self._indicator(*a) for a in self.answer]


def test_a_third_party_plugins_indicators_join_the_rules_and_its_strays_are_dropped(
        session, make_school, make_pupil, days, notify, host):
    from core.plugins import PluginHost, use_host

    school, other = make_school(), make_school()
    child = make_pupil(school)
    plugin = Outreach(child.id, school.id, other.id)
    host.pm.register(plugin, name="outreach")
    with_outreach = PluginHost(host.pm)  # the host reads the plugins it knows when built
    use_host(with_outreach)
    try:
        with_outreach.set_enabled(session, school.id, "outreach", True)
        notify(school, child, D(2025, 9, 1))  # a police notification two weeks before
        found = school_indicators(session, school.id, D(2025, 9, 1), MON)
        assert [(i.kind, i.school_id, i.date) for i in found if i.source == "outreach"] == [
            ("outreach.missed_session", school.id, MON)]
        evaluate.evaluate_school(session, school.id, MON, incremental=False)
        [f] = firings(session, school)
        assert f.rule == "different_kinds" and f.pupil_id == child.id
        assert sorted(i["kind"] for i in f.indicators) == [
            "encompass.notification", "outreach.missed_session"]
        with_outreach.set_enabled(session, school.id, "outreach", False)
        assert [i for i in school_indicators(session, school.id, D(2025, 9, 1), MON)
                if i.source == "outreach"] == []
    finally:
        host.pm.unregister(plugin)
        use_host(host)
