"""Due dates and states at their edges: exactly two years, leap days, month ends, the
30-day window. Expected dates are worked out by hand from the documented rule."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.training.service import (
    COMPLIANT,
    DUE,
    EXPIRED,
    MISSING,
    add_months,
    due_on,
    state_on,
)

D = dt.date


@pytest.mark.parametrize("start, months, expected", [
    (D(2024, 3, 10), 24, D(2026, 3, 10)),    # exactly two years
    (D(2024, 2, 29), 24, D(2026, 2, 28)),    # leap day, two years on: no 29 Feb in 2026
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 2, 29), 48, D(2028, 2, 29)),    # four years on, a leap year again
    (D(2023, 2, 28), 12, D(2024, 2, 28)),    # not pushed to the 29th in a leap year
    (D(2025, 8, 31), 6, D(2026, 2, 28)),     # month end clamped
    (D(2027, 8, 31), 6, D(2028, 2, 29)),
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2025, 12, 15), 1, D(2026, 1, 15)),    # across a year end
    (D(2025, 10, 31), 36, D(2028, 10, 31)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_once_only_courses_never_run_out():
    assert due_on(D(2010, 9, 1), None) is None
    assert state_on(D(2040, 1, 1), D(2010, 9, 1), None).status == COMPLIANT


def test_two_yearly_training_valid_through_the_anniversary_and_expired_the_day_after():
    done = D(2024, 3, 10)
    assert state_on(D(2026, 3, 10), done, 24).status == DUE
    assert state_on(D(2026, 3, 11), done, 24).status == EXPIRED
    assert state_on(D(2026, 3, 11), done, 24).due_on == D(2026, 3, 10)


def test_leap_day_completion_expires_after_28_february():
    done = D(2024, 2, 29)
    assert state_on(D(2026, 2, 28), done, 24).status == DUE
    assert state_on(D(2026, 3, 1), done, 24).status == EXPIRED


@pytest.mark.parametrize("today, expected", [
    (D(2026, 2, 8), COMPLIANT),   # 31 days before the due date
    (D(2026, 2, 9), DUE),         # 30 days before
    (D(2026, 3, 11), DUE),        # the due date itself
    (D(2026, 3, 12), EXPIRED),
])
def test_thirty_day_window(today, expected):
    # annual update done 11 March 2025: due 11 March 2026
    assert state_on(today, D(2025, 3, 11), 12).status == expected


def test_no_completion_is_missing():
    assert state_on(D(2026, 1, 1), None, 12).status == MISSING


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)),
       st.integers(min_value=0, max_value=240))
def test_add_months_properties(start, months):
    end = add_months(start, months)
    # the month moves by exactly ``months``
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    # same day of the month, unless that month is too short, then its last day
    assert end.day == start.day or (end.day < start.day and (end + dt.timedelta(days=1)).day == 1)


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2080, 1, 1)),
       st.integers(min_value=1, max_value=60), st.integers(min_value=-400, max_value=400))
def test_state_agrees_with_due_date(done, months, offset):
    due = due_on(done, months)
    today = due + dt.timedelta(days=offset)
    status = state_on(today, done, months).status
    if offset > 0:
        assert status == EXPIRED
    elif offset >= -30:
        assert status == DUE
    else:
        assert status == COMPLIANT
