"""The per-pupil term totals kept on import, and the trust-wide figures read from them.

Properties: whatever marks are imported, re-imported over each other (a correction replaces a
session, other sessions of the week are kept) or left behind by a pupil leaving, each stored
span's totals equal a plain count of the stored marks on its days while the pupil was on roll
(sliced from the week text here, not with the plugin's decoder), and its last marked day is
the last day of the span with any stored mark; and the trust-wide grouped figures (which take
a span running past the period's end whole when it has no mark after the end) equal the
school-by-school ones (counted from week rows and marks) for any period."""
import datetime as dt
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from core.calendar import TermSpan
from core import schools
from plugins.attendance import service
from plugins.attendance.codes import codes
from plugins.attendance.models import AttendanceTerm, AttendanceTermCount

from tests.attendance.conftest import stored_marks

D = dt.date
# school days at the edges of the test calendar's autumn term (3 September to 19 December)
# and the start of spring (from 5 January): imports cross the spans' edges, the holidays
# between are spans of their own
DAYS = [D(2025, 9, 3) + dt.timedelta(days=i) for i in range(130)]
DAYS = [d for d in DAYS if d.weekday() < 5 and (d <= D(2025, 9, 12) or d >= D(2025, 12, 10))
        and not D(2025, 12, 19) < d < D(2026, 1, 5)]
CODE_LIST = sorted(codes())
POSSIBLE = ("present", "approved educational activity", "authorised absence",
            "unauthorised absence")

batch = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(DAYS),
                           st.sampled_from(["AM", "PM"]), st.sampled_from(CODE_LIST)),
                 max_size=25, unique_by=lambda t: (t[0], t[1], t[2]))


def plain_totals(session, school_id, pupils):
    """(pupil, span start) -> (possible, attended, absent, not possible) from the marks."""
    spans = session.execute(select(AttendanceTerm.term_start, AttendanceTerm.term_end).where(
        AttendanceTerm.school_id == school_id)).all()
    out = {}
    for p in pupils:
        last = p.on_roll_to or D(9999, 12, 31)
        for day, _, code in stored_marks(session, p.id):
            if not (p.on_roll_from <= day <= last):
                continue
            for a, b in spans:
                if a <= day <= b:
                    cat = codes()[code].category
                    acc = out.setdefault((p.id, a), [0, 0, 0, 0])
                    acc[0] += cat in POSSIBLE
                    acc[1] += cat in POSSIBLE[:2]
                    acc[2] += cat in POSSIBLE[2:]
                    acc[3] += cat not in POSSIBLE
    return {k: tuple(v) for k, v in out.items() if v[0] + v[3]}


def stored_totals(session, school_id):
    return {(r.pupil_id, r.term_start): (r.possible, r.present + r.aea,
                                         r.authorised + r.unauthorised, r.not_possible)
            for r in session.scalars(select(AttendanceTermCount).where(
                AttendanceTermCount.school_id == school_id))}


def plain_last_marked(session, school_id, pupils):
    """span start -> the last day in the span with a stored mark of any pupil (on roll or
    not), None for a span without one."""
    spans = session.execute(select(AttendanceTerm.term_start, AttendanceTerm.term_end).where(
        AttendanceTerm.school_id == school_id)).all()
    days = [day for p in pupils for day, _, _ in stored_marks(session, p.id)]
    return {a: max([d for d in days if a <= d <= b], default=None) for a, b in spans}


def stored_last_marked(session, school_id):
    return dict(session.execute(select(AttendanceTerm.term_start, AttendanceTerm.last_marked)
                                .where(AttendanceTerm.school_id == school_id)).all())


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=batch, second=batch, leaves=st.sampled_from([None, D(2025, 9, 9), D(2025, 12, 12)]))
def test_term_totals_equal_a_plain_count_of_the_marks(session, make_school, make_pupil, put,
                                                      first, second, leaves):
    school = make_school()
    pupils = [make_pupil(school), make_pupil(school), make_pupil(school)]
    for marks in (first, second):  # the second import corrects sessions the first gave
        if marks:
            put(school, [(pupils[i], d, s, c) for i, d, s, c in marks])
    if leaves is not None and first + second:
        from core import pupils as pupil_service

        pupil_service.mark_left(session, None, school.id, pupils[2].id, leaves, "Moved")
        session.refresh(pupils[2])
    spans = [tuple(s) for s in session.execute(select(
        AttendanceTerm.term_start, AttendanceTerm.term_end).where(
        AttendanceTerm.school_id == school.id).order_by(AttendanceTerm.term_start))]
    if first + second:  # the spans of 2025/26 follow the calendar, holidays between terms
        assert spans[:3] == [(D(2025, 9, 1), D(2025, 9, 2)), (D(2025, 9, 3), D(2025, 12, 19)),
                             (D(2025, 12, 20), D(2026, 1, 4))]
    assert stored_totals(session, school.id) == plain_totals(session, school.id, pupils)
    assert stored_last_marked(session, school.id) == plain_last_marked(session, school.id,
                                                                       pupils)


periods = st.tuples(st.sampled_from(DAYS + [D(2025, 9, 1), D(2025, 12, 21)]),
                    st.integers(0, 140)).map(
    lambda t: (t[0], t[0] + dt.timedelta(days=t[1])))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=batch, b=batch, period=periods)
def test_trust_wide_figures_equal_the_school_by_school_ones(session, make_trust, make_school,
                                                            make_pupil, put, a, b, period):
    trust = make_trust()
    one, two = make_school(trust), make_school(trust)
    for school, marks in ((one, a), (two, b)):
        kids = [make_pupil(school), make_pupil(school), make_pupil(school)]
        if marks:
            put(school, [(kids[i], d, s, c) for i, d, s, c in marks])
            if school is one:  # marks after the last day on roll stop counting
                from core import pupils as pupil_service

                pupil_service.mark_left(session, None, one.id, kids[0].id, D(2025, 12, 16),
                                        "Moved")
    start, end = period
    many = {(m.school_id, m.key): m.value
            for m in service.trust_metrics_many(session, [one.id, two.id], start, end)}
    each = {(m.school_id, m.key): m.value for sid in (one.id, two.id)
            for m in service.trust_metrics(session, sid, start, end)}
    assert many == each


def test_persistent_and_severe_absence_follow_the_dfe_thresholds(session, make_school,
                                                                 make_pupil, put):
    """Of 20 possible sessions: 2 missed is persistent (10% or more), 1 is not; 10 missed is
    severe (50% or more), 9 is not; a pupil with no possible session is not counted."""
    school = make_school()
    days = [d for d in (D(2025, 9, 8) + dt.timedelta(days=i) for i in range(14))
            if d.weekday() < 5]  # ten school days, twenty sessions
    missed = {"one": 1, "two": 2, "nine": 9, "ten": 10}
    rows = []
    for name, n in missed.items():
        kid = make_pupil(school, first_name=name)
        sessions = [(d, s) for d in days for s in ("AM", "PM")]
        rows += [(kid, d, s, "N" if i < n else ("/" if s == "AM" else "\\"))
                 for i, (d, s) in enumerate(sessions)]
    rows.append((make_pupil(school), days[0], "AM", "X"))  # not a possible session
    put(school, rows)
    got = {m.key: m.value for m in service.trust_metrics_many(
        session, [school.id], D(2025, 9, 1), D(2025, 12, 31))}
    assert got["pa_pct"] == 75.0  # two, nine, ten of four pupils
    assert got["sa_pct"] == 25.0  # ten
    assert got["attendance_pct"] == round(100 * (80 - 22) / 80, 1)


def test_term_dates_entered_later_cut_the_spans_again(session, make_school, make_pupil, put):
    school = make_school(terms=False)
    schools.set_terms(session, school.id, [TermSpan("Autumn 1", D(2025, 9, 3), D(2025, 10, 24))])
    kid = make_pupil(school)
    put(school, [(kid, D(2025, 10, 20), "AM", "N"), (kid, D(2025, 10, 21), "AM", "/")])

    def spans():
        return sorted(session.execute(select(AttendanceTerm.term_start, AttendanceTerm.term_end)
                                      .where(AttendanceTerm.school_id == school.id)).all())

    assert spans() == [(D(2025, 9, 1), D(2025, 9, 2)), (D(2025, 9, 3), D(2025, 10, 24)),
                       (D(2025, 10, 25), D(2026, 8, 31))]
    schools.set_terms(session, school.id, [TermSpan("Autumn 2", D(2025, 11, 3), D(2025, 12, 19))])
    assert spans() == [(D(2025, 9, 1), D(2025, 9, 2)), (D(2025, 9, 3), D(2025, 10, 24)),
                       (D(2025, 10, 25), D(2025, 11, 2)), (D(2025, 11, 3), D(2025, 12, 19)),
                       (D(2025, 12, 20), D(2026, 8, 31))]
    put(school, [(kid, D(2025, 11, 3), "PM", "I")])
    assert stored_totals(session, school.id) == plain_totals(session, school.id, [kid]) == {
        (kid.id, D(2025, 9, 3)): (2, 1, 1, 0), (kid.id, D(2025, 11, 3)): (1, 0, 1, 0)}


def test_a_file_import_keeps_the_term_totals(session, make_school, make_pupil, upn, tmp_path):
    school = make_school()
    a = make_pupil(school, upn=upn())
    path = tmp_path / "marks.csv"
    path.write_text(f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,/\n{a.upn},2025-09-08,PM,N\n"
                    f"{a.upn},2025-12-22,AM,/\n")  # the last is refused: not a school day
    batch = service.create_batch(session, None, school.id, "csv", str(path), path.name)
    assert service.run_batch(batch.id)["status"] == "failed"
    assert stored_totals(session, school.id) == {}  # nothing of a refused file
    path.write_text(f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,/\n{a.upn},2025-09-08,PM,N\n")
    batch = service.create_batch(session, None, school.id, "csv", str(path), path.name)
    assert service.run_batch(batch.id)["status"] == "done"
    assert stored_totals(session, school.id) == {(a.id, D(2025, 9, 3)): (2, 1, 1, 0)}


@pytest.mark.postgresql_only
def test_a_large_import_gathers_statistics_once_committed(db, session, make_school, make_pupil,
                                                         upn, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "ANALYZE_FROM", 2)  # "large": two marks, for the test
    school = make_school()
    a = make_pupil(school, upn=upn())

    def analysed():
        with db.engine.connect() as conn:
            return conn.execute(text(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = "
                "'attendance_term_counts'")).scalar()

    before = analysed()
    for n, rows in ((1, "2025-09-08,AM,/\n"), (2, "2025-09-09,AM,/\n{u},2025-09-09,PM,\\\n")):
        path = tmp_path / f"m{n}.csv"
        path.write_text("UPN,Date,Session,Mark\n" + f"{a.upn}," + rows.format(u=a.upn))
        batch = service.create_batch(session, None, school.id, "csv", str(path), path.name)
        assert service.run_batch(batch.id)["status"] == "done"
        if n == 1:  # one mark: below the size that asks for it
            assert analysed() == before
    deadline = time.monotonic() + 5  # the statistics collector reports a moment later
    while analysed() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert analysed() == before + 1


def test_migration_att0004_fills_each_spans_last_marked_day(database_factory, backend):
    """Spans stored before ``last_marked`` existed get it from their marks on upgrade: the
    last marked day inside the span, not a later mark of the same week in the next span."""
    from core import pupils
    from core.calendar import england_terms
    from core.db import SYSTEM, Database
    from core.migrate import upgrade
    from core.plugins import make_host
    from plugins.attendance.terms import realign_school
    from plugins.attendance.weeks import encode, week_counts

    url = database_factory.url(backend)
    upgrade(url, "core@head", host=make_host())
    upgrade(url, "att0003", host=make_host())
    db = Database(url)
    database_factory.engines.append(db.engine)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Upgrading")
        school = schools.create_school(s, trust.id, "975310", "Upgrading School")
        schools.set_terms(s, school.id, england_terms(2025))
        p = pupils.add_pupil(s, None, school.id, first_name="Ida", last_name="Later",
                             date_of_birth=D(2016, 1, 1), year_group=4,
                             on_roll_from=D(2025, 9, 1))
        # the week of 15 December: Tuesday in the autumn term, Saturday in the holiday after
        weeks = {D(2025, 9, 8): {0: "/", 9: "N"}, D(2025, 12, 15): {2: "/", 10: "#"}}
        for week, marks in weeks.items():
            text_ = encode(marks)
            counts = week_counts(week, text_, D(2025, 9, 1), D(9999, 12, 31))
            s.execute(text(
                "INSERT INTO attendance_weeks (school_id, trust_id, pupil_id, week_start, marks, "
                "possible, present, aea, authorised, unauthorised, late_before, late_after, "
                "not_possible) VALUES (:s, :t, :p, :w, :m, :c0, :c1, :c2, :c3, :c4, :c5, :c6, "
                ":c7)"), {"s": school.id, "t": trust.id, "p": p.id, "w": week, "m": text_,
                          **{f"c{i}": v for i, v in enumerate(counts)}})
        school_id = school.id
        # the spans as an import at att0003 left them: counted, no last marked day yet
        realign_school(s.connection(), school_id, last_marked=False)
    upgrade(url, "heads", host=make_host())
    with db.transaction(SYSTEM) as s:
        last = {str(a)[:10]: (str(m)[:10] if m is not None else None) for a, m in s.execute(
            text("SELECT term_start, last_marked FROM attendance_terms WHERE school_id = :s"),
            {"s": school_id})}
    terms = england_terms(2025)
    marked = {str(terms[0].start): "2025-09-12", str(terms[1].start): "2025-12-16",
              "2025-12-20": "2025-12-20"}
    assert terms[1].end == D(2025, 12, 19)  # the holiday span starts on the 20th
    assert last == {a: marked.get(a) for a in last}
    assert set(marked) <= set(last)


def test_registers_destroyed_under_retention_take_their_totals_with_them(
        session, make_school, make_pupil, make_user, put):
    """Retention deletes a pupil's weeks past three years; the term totals counted from them
    must go too, or the overview would keep counting marks that no longer exist."""
    from core import plugin_records

    school = make_school()
    gone, kept = make_pupil(school), make_pupil(school)
    put(school, [(p, d, s, "N" if d.day % 3 == 0 else "/") for p in (gone, kept)
                 for d in DAYS[:8] for s in ("AM", "PM")])
    assert {pid for pid, _ in stored_totals(session, school.id)} == {gone.id, kept.id}
    _, dsl = make_user("dsl", school)
    tomb = plugin_records.destroy(session, dsl, school.id, "attendance.registers",
                                  f"pupil:{gone.id}", "Retention ended", today=D(2029, 6, 1))
    assert tomb.summary["register_weeks"] >= 2
    totals = stored_totals(session, school.id)
    assert {pid for pid, _ in totals} == {kept.id}
    assert totals == plain_totals(session, school.id, [gone, kept])
    assert stored_last_marked(session, school.id) == plain_last_marked(session, school.id,
                                                                       [gone, kept])
