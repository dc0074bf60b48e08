"""Retention: review dates from the date of birth (IRMS defaults, trust's own years), the
"due for review" list of the DSL team, legal holds that keep a pupil off it, and the refusals
(bad years and reasons named, 404 for anyone outside the DSL team and the trust lead)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import retention
from core.errors import NotFound, ValidationError
from core.models import AuditEntry

TODAY = dt.date(2026, 12, 2)


def _old_pupil(make_pupil, school, born=dt.date(2000, 3, 1), **kw):
    """A pupil born long ago (added as a school-age child, then dated back: the roll refuses
    a date of birth outside school age)."""
    pupil = make_pupil(school, year_group=13, on_roll_from=dt.date(2016, 9, 1), **kw)
    pupil.date_of_birth = born
    return pupil


def test_review_date_counts_years_from_birth_and_29_february_falls_on_the_28th():
    assert retention.review_date(dt.date(2001, 5, 3), 25) == dt.date(2026, 5, 3)
    assert retention.review_date(dt.date(2004, 2, 29), 25) == dt.date(2029, 2, 28)
    assert retention.RULES["child_protection"].years == 25
    assert "IRMS" in retention.RULES["child_protection"].source


def test_a_child_protection_file_is_due_25_years_after_birth_and_a_hold_keeps_it_off(
        session, make_school, make_pupil, make_user, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    old = _old_pupil(make_pupil, school)  # 25 on 1 March 2025
    young = _old_pupil(make_pupil, school, born=dt.date(2002, 1, 1))  # 25 in 2027
    no_file = _old_pupil(make_pupil, school, born=dt.date(1999, 1, 1))  # on roll, no file
    make_concern(school, [old])
    make_concern(school, [young])
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert [r.pupil.id for r in due] == [old.id] and held == []
    assert due[0].due == ("child_protection",)
    assert due[0].review_dates["child_protection"] == dt.date(2025, 3, 1)
    assert no_file.id not in [r.pupil.id for r in due]

    hold = retention.set_hold(session, dsl, school.id, old.id, "IICSA instruction")
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert due == [] and [r.pupil.id for r in held] == [old.id]
    with pytest.raises(ValidationError) as err:
        retention.set_hold(session, dsl, school.id, old.id, "again")
    assert "already on hold" in err.value.errors["reason"][0]

    retention.lift_hold(session, dsl, school.id, old.id, "Inquiry concluded")
    assert hold.lifted_at is not None and hold.lift_reason == "Inquiry concluded"
    due, _ = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert [r.pupil.id for r in due] == [old.id]
    status, holds = retention.pupil_retention(session, dsl, school.id, old.id, today=TODAY)
    assert status.hold is None and [h.id for h in holds] == [hold.id]
    actions = [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("retention.%")).order_by(AuditEntry.id))]
    assert actions == ["retention.due_read", "retention.hold_set", "retention.due_read",
                       "retention.hold_lifted", "retention.due_read", "retention.pupil_read"]
    detail = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "retention.hold_set")).one()
    assert detail["reason"] == "IICSA instruction"


def test_a_roll_record_is_due_only_once_the_pupil_has_left(
        session, make_school, make_pupil, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school)
    left = _old_pupil(make_pupil, school, born=dt.date(1998, 6, 1))
    left.on_roll_to = dt.date(2016, 7, 20)
    session.flush()
    due, _ = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert [(r.pupil.id, r.due) for r in due] == [(left.id, ("pupil_record",))]


def test_the_trust_lead_sets_longer_years_and_bad_years_are_named(
        session, make_trust, make_school, make_pupil, make_user, make_concern):
    trust = make_trust()
    school = make_school(trust)
    _, lead = make_user("trust_lead", trust=trust)
    _, dsl = make_user("dsl", school)
    old = _old_pupil(make_pupil, school)
    make_concern(school, [old])
    retention.set_years(session, lead, trust.id, {"child_protection": 30})
    assert retention.years_for(session, trust.id)["child_protection"] == 30
    assert retention.due_for_review(session, dsl, school.id, today=TODAY)[0] == []
    for bad, field in (({"child_protection": 24}, "child_protection"),
                       ({"child_protection": "30"}, "child_protection"),
                       ({"pupil_record": 121}, "pupil_record"),
                       ({"attendance": 3}, "attendance")):
        with pytest.raises(ValidationError) as err:
            retention.set_years(session, lead, trust.id, bad)
        assert set(err.value.errors) == {field}
    with pytest.raises(NotFound):
        retention.set_years(session, dsl, trust.id, {"child_protection": 40})
    changed = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "retention.rules_changed")).one()
    assert (changed["before"]["child_protection"], changed["after"]["child_protection"]) == (25, 30)


@pytest.mark.parametrize("role", ["staff", "headteacher", "school_admin"])
def test_only_the_dsl_team_and_the_trust_lead_see_it_and_only_the_dsl_team_holds(
        session, make_school, make_pupil, make_user, role):
    school = make_school()
    pupil = _old_pupil(make_pupil, school)
    _, other = make_user(role, school)
    with pytest.raises(NotFound):
        retention.due_for_review(session, other, school.id)
    with pytest.raises(NotFound):
        retention.set_hold(session, other, school.id, pupil.id, "IICSA")
    _, lead = make_user("trust_lead", trust=school.trust)
    retention.due_for_review(session, lead, school.id)
    with pytest.raises(NotFound):
        retention.set_hold(session, lead, school.id, pupil.id, "IICSA")
    _, elsewhere = make_user("dsl", make_school())
    with pytest.raises(NotFound):
        retention.pupil_retention(session, elsewhere, school.id, pupil.id)


def test_a_hold_needs_a_reason_and_lifting_needs_one_in_force(
        session, make_school, make_pupil, make_user):
    school = make_school()
    pupil = _old_pupil(make_pupil, school)
    _, dsl = make_user("dsl", school)
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError) as err:
            retention.set_hold(session, dsl, school.id, pupil.id, bad)
        assert set(err.value.errors) == {"reason"}
    with pytest.raises(ValidationError) as err:
        retention.lift_hold(session, dsl, school.id, pupil.id, "done")
    assert set(err.value.errors) == {"hold"}
