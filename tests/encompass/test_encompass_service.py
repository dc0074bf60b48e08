"""The service as its callers use it, without Flask: the logging form's fields become a
payload, and a pupil's notifications are listed only for those who may read them."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from plugins.encompass import service


def test_form_fields_become_a_payload_blanks_left_out():
    form = MultiDict({"force": " Northshire Police ", "police_reference": "", "summary": "  ",
                      "child_present": "yes", "welfare_check": "no",
                      "children-0-first_name": "Amelia", "children-0-last_name": "Smith",
                      "children-0-date_of_birth": "2016-04-07", "children-0-address": "",
                      "children-2-first_name": "Leo", "children-2-last_name": ""})
    assert service.form_to_payload(form) == {
        "force": "Northshire Police", "child_present": True, "welfare_check": False,
        "children": [{"first_name": "Amelia", "last_name": "Smith",
                      "date_of_birth": "2016-04-07"},
                     {"first_name": "Leo", "last_name": ""}]}


def test_an_unanswered_yes_no_question_is_left_out():
    payload = service.form_to_payload(MultiDict({"child_present": "maybe"}))
    assert payload == {"children": []}


@pytest.fixture
def held(session, make_school, make_pupil, make_user, make_key_adult, payload):
    school = make_school()
    amelia = make_pupil(school, first_name="Amelia", last_name="Smith",
                        date_of_birth=dt.date(2016, 4, 7))
    other = make_pupil(school, first_name="Zac", last_name="Other",
                       date_of_birth=dt.date(2015, 1, 2))
    _, dsl = make_user("dsl", school=school)
    _, ka = make_key_adult(school)
    first = service.log_notification(session, ka, school.id, payload()).notification
    second = service.log_notification(session, ka, school.id, payload(
        police_reference="DA/2026/0002", incident_date="2026-10-10")).notification
    service.add_step(session, ka, school.id, second.id, "acknowledged")
    return dict(school=school, amelia=amelia, other=other, dsl=dsl, ka=ka,
                first=first, second=second)


def test_a_pupils_notifications_newest_first_with_their_status(session, held):
    h = held
    rows = service.notifications_of_pupil(session, h["dsl"], h["school"].id, h["amelia"].id)
    assert [n.id for n, _ in rows] == [h["second"].id, h["first"].id]
    statuses = dict((n.id, status) for n, status in rows)
    assert statuses[h["second"].id] == "awaiting_key_adult"  # acknowledged, no support yet
    assert statuses[h["first"].id] in ("new", "overdue")  # nobody has acknowledged it
    assert service.notifications_of_pupil(session, h["ka"], h["school"].id,
                                          h["other"].id) == []


def test_staff_who_are_not_key_adults_get_nothing(session, held, make_user):
    h = held
    _, staff = make_user("staff", school=h["school"])
    _, head = make_user("headteacher", school=h["school"])
    for actor in (staff, head):
        assert service.notifications_of_pupil(session, actor, h["school"].id,
                                              h["amelia"].id) == []
