"""Sessions and the cascade: absentees stay on the follow-up list until they catch up."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import ValidationError
from plugins.training import service
from plugins.training.models import TrainingRecord

from .training_constants import TODAY

D = dt.date


def test_absentees_followed_up_until_they_catch_up(session, make_school, make_person,
                                                   make_user, courses, add_done):
    school = make_school()
    c = courses(school.trust_id)
    _, dsl = make_user("dsl", school=school)
    ann, ben, cal = (make_person(school, "teacher", name=n) for n in ("Ann", "Ben", "Cal"))
    ts = service.create_session(session, dsl, school.id, c["online_safety"].id, D(2026, 11, 2),
                                 "Online safety update", "DSL", [ann.id, ben.id, cal.id])
    assert service.follow_ups(session, school.id, D(2026, 11, 1)) == []  # not held yet
    result = service.mark_attendance(session, dsl, school.id, ts.id, [ann.id], today=TODAY)
    assert result == {"attended": 1, "absent": 2, "records_added": 1, "records_withdrawn": 0}
    # running it again changes nothing
    assert service.mark_attendance(session, dsl, school.id, ts.id, [ann.id],
                                    today=TODAY)["records_added"] == 0
    recs = session.scalars(select(TrainingRecord).where(TrainingRecord.session_id == ts.id)).all()
    assert [(r.staff_id, r.completed_on, r.source) for r in recs] == [
        (ann.id, D(2026, 11, 2), "session")]
    assert [f.person.name for f in service.follow_ups(session, school.id, TODAY)] == \
        ["Ben", "Cal"]
    # an older record does not count as catching up; a later one does
    add_done(ben, c["online_safety"], D(2026, 10, 1))
    add_done(cal, c["online_safety"], D(2026, 11, 20))
    assert [f.person.name for f in service.follow_ups(session, school.id, TODAY)] == ["Ben"]
    # Ann marked by mistake: her record is withdrawn and she joins the list
    assert service.mark_attendance(session, dsl, school.id, ts.id, [],
                                    today=TODAY)["records_withdrawn"] == 1
    assert [f.person.name for f in service.follow_ups(session, school.id, TODAY)] == \
        ["Ann", "Ben"]


def test_session_input_is_checked(session, make_school, make_person, make_user, courses):
    school = make_school()
    other = make_school(trust=school.trust)
    c = courses(school.trust_id)
    _, dsl = make_user("dsl", school=school)
    mine, theirs = make_person(school), make_person(other)
    with pytest.raises(ValidationError) as exc, session.begin_nested():
        service.create_session(session, dsl, school.id, c["prevent"].id, D(2026, 11, 2),
                                staff_ids=[mine.id, theirs.id])
    assert exc.value.errors == {"staff_ids": [f"no person {theirs.id} in this school"]}
    ts = service.create_session(session, dsl, school.id, c["prevent"].id, D(2026, 12, 2),
                                 staff_ids=[mine.id])
    with pytest.raises(ValidationError) as exc, session.begin_nested():
        service.mark_attendance(session, dsl, school.id, ts.id, [mine.id], today=TODAY)
    assert "attended" in exc.value.errors  # in the future
