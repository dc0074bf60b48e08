"""Read-and-sign: a signature belongs to one version; a new version asks everyone again."""
from __future__ import annotations

import pytest

from core.errors import NotFound, ValidationError
from plugins.training import service

from .training_constants import TODAY


def test_new_version_asks_again(session, make_school, make_person, make_user):
    school = make_school()
    user, me = make_user("staff", school=school, email="kim@example.org")
    kim = make_person(school, "teacher", name="Kim", email="kim@example.org")
    lou = make_person(school, "midday_supervisor", name="Lou")
    _, head = make_user("headteacher", school=school)
    v2 = service.publish_policy(session, head, school.id, "Child protection policy", "v2")
    assert kim.user_id == user.id  # linked by email when added
    service.sign_own(session, me, school.id, v2.id)
    service.sign_own(session, me, school.id, v2.id)  # twice: still one signature
    service.record_paper_signature(session, head, school.id, v2.id, lou.id)
    st = service.policy_status(session, head, school.id, v2.id, TODAY)
    assert ([p.name for p, _ in st.signed], st.unsigned, st.pct) == (["Kim", "Lou"], [], 100.0)

    v3 = service.publish_policy(session, head, school.id, "Child protection policy", "v3")
    assert [p.version for p in service.current_policies(session, school.id)] == ["v3"]
    st3 = service.policy_status(session, head, school.id, v3.id, TODAY)
    assert (st3.signed, [p.name for p in st3.unsigned], st3.pct) == ([], ["Kim", "Lou"], 0.0)
    assert service.to_sign(session, me, school.id) == [(v3, False)]
    with pytest.raises(ValidationError) as exc, session.begin_nested():
        service.sign_own(session, me, school.id, v2.id)   # the old version no longer counts
    assert "newer version" in exc.value.errors["policy"][0]
    service.sign_own(session, me, school.id, v3.id)
    assert service.to_sign(session, me, school.id) == [(v3, True)]


def test_publishing_rules(session, make_school, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school=school)
    service.publish_policy(session, dsl, school.id, "KCSIE part one", "2025")
    with pytest.raises(ValidationError) as exc, session.begin_nested():
        service.publish_policy(session, dsl, school.id, "KCSIE part one", "2025")
    assert "version" in exc.value.errors
    with pytest.raises(ValidationError) as exc, session.begin_nested():
        service.publish_policy(session, dsl, school.id, " ", "")
    assert set(exc.value.errors) == {"title", "version"}
    _, staff = make_user("staff", school=school)
    with pytest.raises(NotFound):
        service.publish_policy(session, staff, school.id, "Behaviour policy", "1")


def test_someone_not_on_the_list_cannot_sign(session, make_school, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school=school)
    p = service.publish_policy(session, dsl, school.id, "KCSIE part one", "2025")
    _, stranger = make_user("staff", school=school)
    with pytest.raises(NotFound):
        service.sign_own(session, stranger, school.id, p.id)
    _, other = make_user("staff", school=make_school(trust=school.trust))
    with pytest.raises(NotFound):
        service.sign_own(session, other, school.id, p.id)
