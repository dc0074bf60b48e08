"""Property: for any register and any date range, the measures read from summaries plus the
part-weeks at either end equal a plain count of the marks in the range."""
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.attendance.codes import codes
from plugins.attendance.service import pupil_counts

START = dt.date(2025, 9, 8)  # a Monday; test terms run without closures to mid-December
DAYS = [START + dt.timedelta(days=i) for i in range(26) if (START + dt.timedelta(days=i)).weekday() < 5]
CODE_LIST = sorted(codes())

register = st.lists(st.tuples(st.sampled_from(DAYS), st.sampled_from(["AM", "PM"]),
                              st.sampled_from(CODE_LIST)),
                    max_size=30, unique_by=lambda t: (t[0], t[1]))
day_range = st.tuples(st.integers(0, 27), st.integers(0, 27)).map(
    lambda t: (START + dt.timedelta(days=min(t)) - dt.timedelta(days=1),
               START + dt.timedelta(days=max(t))))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(marks=register, rng=day_range)
def test_measures_equal_a_plain_count(session, make_school, make_pupil, put, marks, rng):
    school = make_school()
    pupil = make_pupil(school)
    if marks:
        put(school, [(pupil, d, s, c) for d, s, c in marks])
    start, end = rng
    inside = [codes()[c] for d, _, c in marks if start <= d <= end]
    got = pupil_counts(session, school.id, start, end).get(pupil.id)
    possible = sum(1 for c in inside if c.category in (
        "present", "approved educational activity", "authorised absence",
        "unauthorised absence"))
    attended = sum(1 for c in inside if c.category in ("present",
                                                        "approved educational activity"))
    unauthorised = sum(1 for c in inside if c.category == "unauthorised absence")
    if not inside:
        assert got is None
    else:
        assert (got.possible, got.attended, got.unauthorised) == (possible, attended,
                                                                   unauthorised)
        assert got.late_before == sum(1 for c in inside if c.code == "L")
        assert got.not_possible == len(inside) - possible
