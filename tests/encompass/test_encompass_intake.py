"""Intake by the form (service level): what is stored, repeats and updates, the concern,
alerts and emails, who may submit, and the family reached at other schools."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import NotFound, ValidationError
from core.models import Alert, Concern, ConcernCategory, ConcernCategoryLink, ConcernPupil, \
    MailMessage
from core.pupils import link_family
from plugins.encompass import inbox, service
from plugins.encompass.key_adults import add_key_adult, remove_key_adult
from plugins.encompass.models import (EncompassChild, EncompassNotification, EncompassStep,
                                      EncompassUpdate, KeyAdult)


@pytest.fixture
def setup(session, make_school, make_pupil, make_user, make_key_adult):
    school = make_school()
    amelia = make_pupil(school, first_name="Amelia", last_name="Smith",
                        date_of_birth=dt.date(2016, 4, 7))
    dsl_user, dsl = make_user("dsl", school=school)
    ka_user, ka = make_key_adult(school)
    return dict(school=school, amelia=amelia, dsl=dsl, dsl_user=dsl_user, ka=ka, ka_user=ka_user)


def children_of(session, n):
    return list(session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id).order_by(EncompassChild.id)))


def test_logged_notification_is_matched_opens_a_concern_and_alerts(session, setup, payload,
                                                                   make_user):
    school = setup["school"]
    make_user("staff", school=school)  # not a key adult: no email
    result = service.log_notification(session, setup["ka"], school.id, payload(
        summary="Police called to the home; mother assaulted.", welfare_check="yes"))
    n = result.notification
    assert result.created and n.source == "form" and n.recorded_by_id == setup["ka_user"].id
    assert (n.force, n.police_reference, n.incident_date) == \
        ("Northshire Police", "DA/2026/0001", dt.date(2026, 10, 3))
    assert n.welfare_check is True and n.child_present is None
    [child] = children_of(session, n)
    assert (child.match, child.pupil_id) == ("matched", setup["amelia"].id)
    concern = session.get(Concern, child.concern_id)
    assert concern.source == "encompass" and concern.recorded_by_id is None
    assert session.scalars(select(ConcernPupil.pupil_id).where(
        ConcernPupil.concern_id == concern.id)).all() == [setup["amelia"].id]
    codes = session.scalars(select(ConcernCategory.code).join(
        ConcernCategoryLink, ConcernCategoryLink.category_id == ConcernCategory.id)
        .where(ConcernCategoryLink.concern_id == concern.id)).all()
    assert codes == ["domestic_abuse"]
    assert "assaulted" not in concern.fact  # police detail stays with the notification
    [alert] = session.scalars(select(Alert).where(Alert.school_id == school.id,
                                                  Alert.plugin == "encompass")).all()
    assert alert.kind == "encompass_notification" and alert.pupil_id == setup["amelia"].id
    mails = session.scalars(select(MailMessage.to).where(
        MailMessage.dedupe_key.like(f"encompass:new:{n.id}:%"))).all()
    assert sorted(mails) == sorted([setup["dsl_user"].email, setup["ka_user"].email])
    assert session.scalars(select(EncompassStep.kind).where(
        EncompassStep.notification_id == n.id)).all() == ["received"]


def test_only_a_child_and_the_incident_date_are_required(session, setup):
    n = service.log_notification(session, setup["dsl"], setup["school"].id, {
        "incident_date": "2026-10-01",
        "children": [{"first_name": "Amelia", "last_name": "Smith"}]}).notification
    for field in ("force", "police_reference", "incident_time", "incident_place", "summary",
                  "child_words", "officer_name", "officer_contact", "child_present",
                  "welfare_check"):
        assert getattr(n, field) is None, field
    # no date of birth: the DSL decides, the machine does not
    [child] = children_of(session, n)
    assert (child.match, child.candidates) == ("ambiguous", [setup["amelia"].id])


@pytest.mark.parametrize("data,fields", [
    ({"children": [{"first_name": "A", "last_name": "B"}]}, {"incident_date"}),
    ({"incident_date": "2026-10-01"}, {"children"}),
    ({"incident_date": "2026-10-01", "children": []}, {"children"}),
    ({"incident_date": "2026-10-01", "children": [{"first_name": "Amelia"}]},
     {"children.0.last_name"}),
    ({"incident_date": "03/10/2026", "children": [{"first_name": "A", "last_name": "B",
                                                   "date_of_birth": "2016-02-30"}]},
     {"incident_date", "children.0.date_of_birth"}),
    ({"incident_date": "2099-01-01", "children": [{"first_name": "A", "last_name": "B"}]},
     {"incident_date"}),
])
def test_bad_form_input_names_each_field_and_stores_nothing(session, setup, data, fields):
    with pytest.raises(ValidationError) as bad:
        service.log_notification(session, setup["ka"], setup["school"].id, data)
    assert set(bad.value.errors) == fields
    assert session.scalars(select(EncompassNotification)).all() == []


def test_a_repeat_is_recognised_and_never_duplicated(session, setup, payload):
    sid = setup["school"].id
    first = service.log_notification(session, setup["ka"], sid, payload()).notification
    again = service.log_notification(session, setup["dsl"], sid, payload(
        force="NORTHSHIRE  police", police_reference=" da/2026/ 0001"))
    assert (again.notification.id, again.created, again.updated) == (first.id, False, False)
    assert len(session.scalars(select(EncompassNotification)).all()) == 1
    assert len(session.scalars(select(Alert).where(Alert.plugin == "encompass")).all()) == 1
    assert session.scalars(select(EncompassUpdate)).all() == []


def test_a_later_version_with_more_information_is_an_update(session, setup, payload,
                                                             make_pupil):
    sid = setup["school"].id
    n = service.log_notification(session, setup["ka"], sid, payload(
        summary="Argument at home.")).notification
    make_pupil(setup["school"], first_name="Noah", last_name="Smith",
               date_of_birth=dt.date(2018, 1, 15))
    later = service.log_notification(session, setup["ka"], sid, payload(
        summary="Argument at home; father arrested.", welfare_check="yes",
        children=[{"first_name": "Amelia", "last_name": "Smith", "date_of_birth": "2016-04-07"},
                  {"first_name": "Noah", "last_name": "Smith", "date_of_birth": "2018-01-15"}]))
    assert (later.notification.id, later.created, later.updated) == (n.id, False, True)
    [upd] = session.scalars(select(EncompassUpdate)).all()
    assert upd.changes == {"summary": "Argument at home; father arrested.", "welfare_check": True}
    assert [c["first_name"] for c in upd.children_added] == ["Noah"]
    session.expire_all()
    assert session.get(EncompassNotification, n.id).summary == "Argument at home."  # as supplied
    view = inbox.read_notification(session, setup["dsl"], sid, n.id)
    assert view.details["summary"] == "Argument at home; father arrested."
    assert [(c.first_name, c.match) for c in view.children] == \
        [("Amelia", "matched"), ("Noah", "matched")]
    assert "updated" in [s.kind for s in view.steps]


@pytest.mark.parametrize("who", ["staff", "headteacher", "school_admin", "trust_lead",
                                 "trust_admin", "key_adult_no_mfa", "removed_key_adult",
                                 "other_school_dsl"])
def test_only_key_adults_and_the_dsl_team_log_or_read(session, setup, payload, make_user,
                                                      make_school, make_key_adult, who):
    school = setup["school"]
    n = service.log_notification(session, setup["dsl"], school.id, payload()).notification
    if who in ("trust_lead", "trust_admin"):
        _, actor = make_user(who, trust=_trust(session, school))
    elif who == "key_adult_no_mfa":
        _, actor = make_key_adult(school, mfa=False)
    elif who == "removed_key_adult":
        user, actor = make_key_adult(school)
        row = session.scalar(select(KeyAdult).where(KeyAdult.user_id == user.id))
        remove_key_adult(session, setup["dsl"], school.id, row.id)
    elif who == "other_school_dsl":
        _, actor = make_user("dsl", school=make_school(trust=_trust(session, school)))
    else:
        _, actor = make_user(who, school=school)
    with pytest.raises(NotFound):
        service.log_notification(session, actor, school.id, payload(police_reference="X1"))
    with pytest.raises(NotFound):
        inbox.read_notification(session, actor, school.id, n.id)
    with pytest.raises(NotFound):
        inbox.inbox(session, actor, school.id)


def _trust(session, school):
    from core.models import Trust

    return session.get(Trust, school.trust_id)


def test_key_adults_are_chosen_from_the_schools_staff_by_the_dsl(session, setup, make_user,
                                                                 make_school):
    school = setup["school"]
    head, head_actor = make_user("headteacher", school=school)
    outsider, _ = make_user("staff", school=make_school())
    with pytest.raises(ValidationError) as bad:
        add_key_adult(session, setup["dsl"], school.id, outsider.id)
    assert "user_id" in bad.value.errors
    with pytest.raises(NotFound):  # a key adult does not appoint others
        add_key_adult(session, setup["ka"], school.id, head.id)
    add_key_adult(session, setup["dsl"], school.id, head.id)
    with pytest.raises(ValidationError):
        add_key_adult(session, setup["dsl"], school.id, head.id)
    assert inbox.inbox(session, head_actor, school.id) == []  # a headteacher who is key adult


def test_unmatched_child_waits_in_the_queue_until_the_dsl_matches(session, setup, payload,
                                                                  make_pupil):
    school = setup["school"]
    kai = make_pupil(school, first_name="Kai", last_name="Marsh", date_of_birth=dt.date(2017, 2, 14))
    n = service.log_notification(session, setup["ka"], school.id, payload(children=[
        {"first_name": "Kayden", "last_name": "Marsh-Whitfield", "date_of_birth": "2017-02-14"}])
    ).notification
    [child] = children_of(session, n)
    assert child.match == "unmatched" and child.concern_id is None
    queue = inbox.unmatched_queue(session, setup["dsl"], school.id)
    assert [c.id for c, _ in queue.rows] == [child.id]
    with pytest.raises(NotFound):  # matching is the DSL's decision
        inbox.match_by_hand(session, setup["ka"], school.id, child.id, kai.id)
    with pytest.raises(ValidationError) as bad:
        inbox.match_by_hand(session, setup["dsl"], school.id, child.id, None)
    assert "note" in bad.value.errors
    inbox.match_by_hand(session, setup["dsl"], school.id, child.id, kai.id, "Known as Kai")
    assert (child.match, child.pupil_id) == ("matched", kai.id)
    assert session.get(Concern, child.concern_id).source == "encompass"
    assert inbox.unmatched_queue(session, setup["dsl"], school.id).rows == []
    step = session.scalar(select(EncompassStep).where(EncompassStep.kind == "matched"))
    assert step.pupil_id == kai.id and "Known as Kai" in step.body
