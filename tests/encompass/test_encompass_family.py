"""The whole family: linked notifications for named children and siblings at the trust's
other schools, never for schools with the plugin off."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Concern
from core.pupils import link_family
from plugins.encompass import inbox, service
from plugins.encompass.models import EncompassChild, EncompassNotification


@pytest.fixture
def family(session, make_trust, make_school, make_pupil, make_user):
    trust = make_trust()
    primary = make_school(trust=trust, name="North Primary")
    secondary = make_school(trust=trust, name="North Secondary")
    off = make_school(trust=trust, name="Riverside", plugins=[])
    elsewhere = make_school()  # another trust altogether
    amelia = make_pupil(primary, first_name="Amelia", last_name="Smith",
                        date_of_birth=dt.date(2016, 4, 7))
    noah = make_pupil(primary, first_name="Noah", last_name="Smith",
                      date_of_birth=dt.date(2018, 1, 15))
    jack = make_pupil(secondary, first_name="Jack", last_name="Smith",
                      date_of_birth=dt.date(2012, 9, 1), year_group=9)
    ruby = make_pupil(off, first_name="Ruby", last_name="Smith",
                      date_of_birth=dt.date(2014, 3, 3))
    for other in (noah, jack, ruby):
        link_family(session, None, amelia.id, other.id, "sibling")
    _, dsl = make_user("dsl", school=primary)
    _, dsl2 = make_user("dsl", school=secondary)
    return dict(trust=trust, primary=primary, secondary=secondary, off=off, elsewhere=elsewhere,
                amelia=amelia, noah=noah, jack=jack, ruby=ruby, dsl=dsl, dsl2=dsl2)


def notifications_at(session, school):
    return list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.school_id == school.id)))


def test_siblings_are_reached_at_their_schools_but_not_where_the_plugin_is_off(
        session, family, payload):
    f = family
    n = service.log_notification(session, f["dsl"], f["primary"].id, payload(
        child_words="I hid under the bed.", summary="Father arrested.")).notification
    here = session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id).order_by(EncompassChild.id)).all()
    # Noah, at the same school and not named, is added to the same notification
    assert [(c.pupil_id, c.match, c.named) for c in here] == \
        [(f["amelia"].id, "matched", True), (f["noah"].id, "sibling", False)]
    [linked] = notifications_at(session, f["secondary"])
    assert (linked.linked_from_id, linked.group_key, linked.source) == (n.id, n.group_key, "linked")
    assert linked.summary == "Father arrested." and linked.child_words is None  # not Jack's words
    assert linked.police_reference == n.police_reference and linked.due_at is not None
    [jack] = session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == linked.id)).all()
    assert (jack.pupil_id, jack.match, jack.named) == (f["jack"].id, "sibling", False)
    assert session.get(Concern, jack.concern_id).school_id == f["secondary"].id
    assert notifications_at(session, f["off"]) == []
    assert notifications_at(session, f["elsewhere"]) == []
    # the secondary's DSL reads it; the primary's DSL cannot open the secondary's copy
    view = inbox.read_notification(session, f["dsl2"], f["secondary"].id, linked.id)
    assert view.origin_school == "North Primary"
    from core.errors import NotFound
    with pytest.raises(NotFound):
        inbox.read_notification(session, f["dsl"], f["secondary"].id, linked.id)


def test_a_named_child_at_another_school_gets_a_linked_notification(session, family, payload):
    f = family
    n = service.log_notification(session, f["dsl"], f["primary"].id, payload(
        children=[{"first_name": "Jack", "last_name": "Smith", "date_of_birth": "2012-09-01"}])
    ).notification
    kids_here = session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id).order_by(EncompassChild.id)).all()
    # Jack is taught elsewhere; his sister Amelia (linked to him) is taught here, so she is
    # on this school's notification as a sibling the police did not name
    assert [(c.first_name, c.match, c.elsewhere_school_id, c.pupil_id) for c in kids_here] == [
        ("Jack", "elsewhere", f["secondary"].id, None),
        ("Amelia", "sibling", None, f["amelia"].id)]
    [linked] = notifications_at(session, f["secondary"])
    kids = session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == linked.id).order_by(EncompassChild.id)).all()
    assert [(k.pupil_id, k.match, k.named) for k in kids] == [(f["jack"].id, "matched", True)]
    assert linked.link_reason.startswith("the police named this child")
    assert notifications_at(session, f["off"]) == []


def test_the_same_incident_sent_again_to_the_second_school_is_recognised(session, family,
                                                                         payload):
    f = family
    service.log_notification(session, f["dsl"], f["primary"].id, payload())
    [linked] = notifications_at(session, f["secondary"])
    again = service.log_notification(session, f["dsl2"], f["secondary"].id, payload(
        children=[{"first_name": "Jack", "last_name": "Smith", "date_of_birth": "2012-09-01"}]))
    assert again.notification.id == linked.id and not again.created
    assert len(notifications_at(session, f["secondary"])) == 1


def test_matching_by_hand_reaches_the_family_too(session, family, payload):
    f = family
    n = service.log_notification(session, f["dsl"], f["primary"].id, payload(
        children=[{"first_name": "Amelia", "last_name": "Smith"}])).notification  # no DOB
    assert notifications_at(session, f["secondary"]) == []
    [child] = session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id)).all()
    inbox.match_by_hand(session, f["dsl"], f["primary"].id, child.id, f["amelia"].id)
    assert len(notifications_at(session, f["secondary"])) == 1
