"""Measures against registers worked out by hand."""
import datetime as dt

from core import pupils as core_pupils
from core import schools
from plugins.attendance.service import group_measures, pupil_counts

D = dt.date
# Week of Monday 8 September 2025, one pupil, every code category:
#   Mon /  \   Tue L  U   Wed I  N   Thu B  C2   Fri X  Y1
# possible 8 (X, Y1 are not possible sessions); present / \ L = 3; AEA B = 1;
# authorised I C2 = 2; unauthorised U N = 2; late before 1, after 1.
# attendance (3+1)/8 = 50.0%; absence 4/8 = 50% -> persistent and severe.
WEEK = [("2025-09-08", "AM", "/"), ("2025-09-08", "PM", "\\"), ("2025-09-09", "AM", "L"),
        ("2025-09-09", "PM", "U"), ("2025-09-10", "AM", "I"), ("2025-09-10", "PM", "N"),
        ("2025-09-11", "AM", "B"), ("2025-09-11", "PM", "C2"), ("2025-09-12", "AM", "X"),
        ("2025-09-12", "PM", "Y1")]


def _week(put, school, pupil, marks=WEEK):
    put(school, [(pupil, d, s, c) for d, s, c in marks])


def test_whole_week_every_category(session, make_school, make_pupil, put):
    school = make_school()
    a = make_pupil(school)
    _week(put, school, a)
    c = pupil_counts(session, school.id, D(2025, 9, 8), D(2025, 9, 14))[a.id]
    assert (c.possible, c.present, c.aea, c.authorised, c.unauthorised) == (8, 3, 1, 2, 2)
    assert (c.late_before, c.late_after, c.not_possible) == (1, 1, 2)
    assert c.attendance_pct == 50.0 and c.persistent and c.severe


def test_partial_week_counts_only_days_in_range(session, make_school, make_pupil, put):
    school = make_school()
    a = make_pupil(school)
    _week(put, school, a)
    # Tue-Thu: L U I N B C2 -> possible 6, attended L + B = 2 -> 33.3%
    c = pupil_counts(session, school.id, D(2025, 9, 9), D(2025, 9, 11))[a.id]
    assert (c.possible, c.attended, c.absent) == (6, 2, 4)
    assert c.attendance_pct == 33.3


def test_range_across_weeks_mixes_summaries_and_edges(session, make_school, make_pupil, put,
                                                      days):
    school = make_school()
    a = make_pupil(school)
    _week(put, school, a)
    days(school, a, [D(2025, 9, 15) + dt.timedelta(days=i) for i in range(5)])  # all present
    days(school, a, [D(2025, 9, 22)], "I")
    # Wed 10 - Mon 22: Wed I N, Thu B C2, Fri X Y1 (4 possible, 1 attended) + week of 15th
    # (10 possible, 10 attended) + Mon 22 I I (2 possible, 0 attended) = 16 possible, 11 attended
    c = pupil_counts(session, school.id, D(2025, 9, 10), D(2025, 9, 22))[a.id]
    assert (c.possible, c.attended, c.authorised, c.unauthorised) == (16, 11, 4, 1)  # I C2 I I; N
    assert c.attendance_pct == 68.8


def test_school_and_groups(session, make_school, make_pupil, put, days):
    school = make_school()
    a = make_pupil(school, year_group=5)
    b = make_pupil(school, year_group=6)
    _week(put, school, a)
    days(school, b, [D(2025, 9, 8) + dt.timedelta(days=i) for i in range(5)])
    core_pupils.set_flag(session, None, school.id, a.id, "cp_plan", D(2025, 9, 1))
    m = group_measures(session, school.id, D(2025, 9, 8), D(2025, 9, 12))
    # 8 + 10 possible; 4 + 10 attended = 14/18 = 77.8%; a is PA and SA, b neither
    assert m.pupils == 2 and m.totals.attendance_pct == 77.8
    assert m.persistent == [a.id] and m.severe == [a.id] and m.pa_pct == 50.0
    y6 = group_measures(session, school.id, D(2025, 9, 8), D(2025, 9, 12), year_group=6)
    assert y6.pupils == 1 and y6.totals.attendance_pct == 100.0 and y6.persistent == []
    cp = group_measures(session, school.id, D(2025, 9, 8), D(2025, 9, 12), group="cp_plan")
    assert cp.pupils == 1 and cp.persistent == [a.id]
    pp = group_measures(session, school.id, D(2025, 9, 8), D(2025, 9, 12), group="pupil_premium")
    assert pp.pupils == 0 and pp.totals.attendance_pct is None


def test_closed_days_are_not_school_days(session, make_school, make_pupil, put, days):
    school = make_school()
    schools.add_closure(session, school.id, D(2025, 9, 10), "INSET day")
    a = make_pupil(school)
    days(school, a, [D(2025, 9, 8), D(2025, 9, 9), D(2025, 9, 11), D(2025, 9, 12)], "/")
    c = pupil_counts(session, school.id, D(2025, 9, 8), D(2025, 9, 14))[a.id]
    assert c.possible == 8 and c.attendance_pct == 100.0


def test_pupil_joining_mid_term_counts_from_joining(session, make_school, make_pupil, days):
    school = make_school()
    a = make_pupil(school, on_roll_from=D(2025, 9, 10))
    days(school, a, [D(2025, 9, 10), D(2025, 9, 11)], "/")
    days(school, a, [D(2025, 9, 12)], "N")
    c = pupil_counts(session, school.id, D(2025, 9, 1), D(2025, 9, 14))[a.id]
    assert (c.possible, c.attended) == (6, 4)  # not 10 sessions: Mon and Tue were before


def test_leaver_not_counted_after_leaving(session, make_school, make_pupil, make_user, days):
    school = make_school()
    a = make_pupil(school)
    days(school, a, [D(2025, 9, 8) + dt.timedelta(days=i) for i in range(5)], "N")
    _, admin = make_user("school_admin", school=school)
    core_pupils.mark_left(session, admin, school.id, a.id, D(2025, 9, 9), "moved away")
    whole = pupil_counts(session, school.id, D(2025, 9, 8), D(2025, 9, 14))[a.id]
    part = pupil_counts(session, school.id, D(2025, 9, 8), D(2025, 9, 10))[a.id]
    assert whole.possible == 4 and part.possible == 4  # Mon and Tue only, both paths
    later = group_measures(session, school.id, D(2025, 9, 10), D(2025, 9, 30))
    assert later.pupils == 0 and later.persistent == []
