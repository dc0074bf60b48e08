"""The response deadline: registration on the next school day, from the school's calendar,
over weekends, half-term, INSET days and holidays."""
from __future__ import annotations

import datetime as dt

import pytest

from sqlalchemy import select

from core.calendar import LONDON, SchoolCalendar, TermSpan
from core.errors import ValidationError
from core.models import Alert, AuditEntry, MailMessage
from core.schools import add_closure, set_terms
from plugins.encompass import service
from plugins.encompass.deadlines import (CALENDAR_MISSING, due_after, due_for_school,
                                         recount_deadlines, registration_time,
                                         set_registration_time)
from plugins.encompass.models import EncompassNotification
from plugins.encompass.response import add_step

CAL = SchoolCalendar(
    terms=[TermSpan("Autumn 1", dt.date(2026, 9, 2), dt.date(2026, 10, 23)),
           TermSpan("Autumn 2", dt.date(2026, 11, 2), dt.date(2026, 12, 18)),
           TermSpan("Spring 1", dt.date(2027, 1, 5), dt.date(2027, 2, 12))],
    closures={dt.date(2026, 11, 2): "ALL",   # INSET day after half-term
              dt.date(2026, 10, 14): "AM"},  # morning closed, afternoon open
)
REG = dt.time(8, 45)


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize("received,due", [
    # Sunday night: registration on Monday morning
    (london(2026, 10, 4, 22, 0), london(2026, 10, 5, 8, 45)),
    # Monday 07:00, before registration: that same morning
    (london(2026, 10, 5, 7, 0), london(2026, 10, 5, 8, 45)),
    # Monday at registration or after: Tuesday
    (london(2026, 10, 5, 8, 45), london(2026, 10, 6, 8, 45)),
    (london(2026, 10, 5, 9, 30), london(2026, 10, 6, 8, 45)),
    # Friday evening and Saturday morning: Monday
    (london(2026, 10, 9, 17, 0), london(2026, 10, 12, 8, 45)),
    (london(2026, 10, 10, 8, 0), london(2026, 10, 12, 8, 45)),
    # last day before half-term; the Monday after is an INSET day: Tuesday 3 November
    # (the clocks have gone back, so 08:45 is GMT)
    (london(2026, 10, 23, 18, 0), london(2026, 11, 3, 8, 45)),
    # during half-term itself
    (london(2026, 10, 28, 12, 0), london(2026, 11, 3, 8, 45)),
    # the end of the autumn term: after the Christmas holiday (5 January)
    (london(2026, 12, 18, 16, 0), london(2027, 1, 5, 8, 45)),
    # Wednesday 14 October is closed in the morning: no registration that morning, so a
    # notification on Tuesday evening, or early on the closed morning, is due Thursday
    (london(2026, 10, 13, 19, 0), london(2026, 10, 15, 8, 45)),
    (london(2026, 10, 14, 7, 0), london(2026, 10, 15, 8, 45)),
])
def test_due_at_registration_on_the_next_school_day(received, due):
    assert due_after(received.astimezone(dt.timezone.utc), CAL, REG) == due


def test_winter_deadline_is_0845_gmt_and_summer_0845_bst():
    winter = due_after(london(2026, 11, 3, 20, 0), CAL, REG)
    summer = due_after(london(2026, 10, 5, 20, 0), CAL, REG)
    assert winter.astimezone(dt.timezone.utc).time() == dt.time(8, 45)
    assert summer.astimezone(dt.timezone.utc).time() == dt.time(7, 45)


def test_registration_time_is_configurable():
    assert due_after(london(2026, 10, 5, 8, 40), CAL, dt.time(8, 30)) == london(2026, 10, 6, 8, 30)
    assert due_after(london(2026, 10, 5, 8, 40), CAL, dt.time(9, 0)) == london(2026, 10, 5, 9, 0)


def test_without_term_dates_the_deadline_is_not_guessed():
    empty = SchoolCalendar(terms=[], closures={})
    assert due_after(london(2026, 10, 10, 10, 0), empty, REG) is None


def test_after_the_last_morning_of_the_terms_entered_the_deadline_is_not_guessed():
    # Friday 12 February 2027 is the last day entered: before registration it is that
    # morning; after it, the next school day is in a term nobody has entered yet
    assert due_after(london(2027, 2, 12, 7, 0), CAL, REG) == london(2027, 2, 12, 8, 45)
    assert due_after(london(2027, 2, 12, 16, 0), CAL, REG) is None
    assert due_after(london(2027, 2, 17, 9, 0), CAL, REG) is None  # in the half-term after it


def test_school_deadline_uses_the_trusts_registration_time(session, make_school):
    school = make_school()
    assert registration_time(session, school.trust_id) == dt.time(8, 45)
    set_registration_time(session, school.trust_id, "08:30")
    # the fixture's calendar: autumn term from 2 September 2026; Sunday 4 October evening
    assert due_for_school(session, school.id, london(2026, 10, 4, 21, 0)) == \
        london(2026, 10, 5, 8, 30)
    with pytest.raises(ValidationError) as bad:
        set_registration_time(session, school.trust_id, "half past eight")
    assert "registration_time" in bad.value.errors
    with pytest.raises(ValidationError):
        set_registration_time(session, school.trust_id, "13:00")


# --- when the calendar runs out, and when it changes ------------------------------------------
# The school's terms entered end on Wednesday 22 July 2026 (notifications cannot be received
# in the future, so the calendar runs out in the past here); the next is entered later.

LAST_DAY_AFTER_SCHOOL = london(2026, 7, 22, 16, 0)
NEXT_TERM = TermSpan("Autumn", dt.date(2026, 9, 2), dt.date(2026, 12, 18))
FIRST_MORNING = london(2026, 9, 2, 8, 45)


@pytest.fixture
def school_with_people(session, make_school, make_user, make_key_adult):
    school = make_school(terms=False)
    set_terms(session, school.id, [
        TermSpan("Spring", dt.date(2026, 1, 5), dt.date(2026, 3, 27)),
        TermSpan("Summer", dt.date(2026, 4, 13), dt.date(2026, 7, 22))])
    admin_user, _ = make_user("school_admin", school=school)
    _, dsl = make_user("dsl", school=school)
    _, ka = make_key_adult(school)
    return dict(school=school, dsl=dsl, ka=ka, admin_user=admin_user)


def log(session, actor, school, payload, received, ref):
    return service.log_notification(session, actor, school.id, payload(
        received_at=received.isoformat(), police_reference=ref)).notification


def recounts(session, notification_id):
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "encompass.deadline_recounted",
        AuditEntry.object_id == str(notification_id)).order_by(AuditEntry.id)))


def test_on_the_last_day_of_the_terms_entered_the_deadline_waits_for_the_next_term(
        session, school_with_people, payload):
    w = school_with_people
    school = w["school"]
    n = log(session, w["ka"], school, payload, LAST_DAY_AFTER_SCHOOL, "DA/1")
    # not Thursday 23 July (a holiday weekday), not any guess: calendar missing
    assert n.due_at is None
    alert = session.scalar(select(Alert).where(Alert.school_id == school.id,
                                               Alert.kind == "encompass_calendar_missing"))
    assert alert is not None and "22 July 2026" in alert.message
    assert "enter the next term" in alert.message
    mail = session.scalar(select(MailMessage).where(
        MailMessage.to == w["admin_user"].email))
    assert mail is not None and "Enter the next term" in mail.subject
    assert f"/admin/schools/{school.id}#calendar" in mail.body
    # the school admin enters the autumn term: the deadline is its first morning
    set_terms(session, school.id, [NEXT_TERM])
    session.refresh(n)
    assert n.due_at == FIRST_MORNING
    [entry] = recounts(session, n.id)
    assert entry.detail["from"] is None
    assert dt.datetime.fromisoformat(entry.detail["to"]) == FIRST_MORNING
    assert entry.detail["reason"] == "calendar changed" and entry.school_id == school.id
    # an INSET day on the first day of term moves it on to the next morning, audited again
    add_closure(session, school.id, dt.date(2026, 9, 2), "INSET")
    session.refresh(n)
    assert n.due_at == london(2026, 9, 3, 8, 45)
    assert len(recounts(session, n.id)) == 2


def test_a_key_adult_who_responds_before_the_new_term_is_on_time(
        session, school_with_people, payload):
    """The bug this fixes: the guessed Monday in the holiday made a response on the first
    morning of term count as late."""
    w = school_with_people
    school = w["school"]
    n = log(session, w["ka"], school, payload, LAST_DAY_AFTER_SCHOOL, "DA/2")
    set_terms(session, school.id, [NEXT_TERM])
    add_step(session, w["ka"], school.id, n.id, "acknowledged",
             at=london(2026, 9, 2, 8, 15))  # first morning of term, before registration
    view = service.read_notification(session, w["dsl"], school.id, n.id)
    assert view.acknowledged_on_time is True


def test_an_acknowledged_notification_keeps_the_deadline_it_was_judged_against(
        session, school_with_people, payload):
    w = school_with_people
    school = w["school"]
    sunday_night = london(2026, 3, 1, 22, 0)
    seen = log(session, w["ka"], school, payload, sunday_night, "DA/3")
    waiting = log(session, w["ka"], school, payload, sunday_night, "DA/4")
    assert seen.due_at == waiting.due_at == london(2026, 3, 2, 8, 45)
    add_step(session, w["ka"], school.id, seen.id, "acknowledged",
             at=london(2026, 3, 2, 8, 0))
    # Monday 2 March entered as closed afterwards (snow): only the open one moves
    add_closure(session, school.id, dt.date(2026, 3, 2), "Snow")
    session.refresh(seen)
    session.refresh(waiting)
    assert seen.due_at == london(2026, 3, 2, 8, 45)
    assert waiting.due_at == london(2026, 3, 3, 8, 45)
    assert recounts(session, seen.id) == []
    [entry] = recounts(session, waiting.id)
    assert dt.datetime.fromisoformat(entry.detail["from"]) == london(2026, 3, 2, 8, 45)


def test_acknowledged_while_the_calendar_was_missing_gets_its_first_deadline(
        session, school_with_people, payload):
    w = school_with_people
    school = w["school"]
    n = log(session, w["ka"], school, payload, LAST_DAY_AFTER_SCHOOL, "DA/5")
    add_step(session, w["ka"], school.id, n.id, "acknowledged",
             at=london(2026, 7, 27, 10, 0))
    assert recount_deadlines(session, school.id) == 0  # still nothing to count from
    set_terms(session, school.id, [NEXT_TERM])
    session.refresh(n)
    assert n.due_at == FIRST_MORNING  # nothing recorded before, so nothing rewritten


def test_a_school_with_the_plugin_off_is_not_recounted(session, make_school):
    school = make_school(plugins=[], terms=False)
    row = EncompassNotification(
        school_id=school.id, trust_id=school.trust_id, incident_date=dt.date(2026, 7, 21),
        received_at=LAST_DAY_AFTER_SCHOOL, source="form", group_key="g" * 32)
    session.add(row)
    session.flush()
    set_terms(session, school.id, [NEXT_TERM])
    session.refresh(row)
    assert row.due_at is None and recounts(session, row.id) == []


def test_calendar_missing_is_shown_on_the_pages_and_the_panel(
        app, client, session, school_with_people, payload, login_as):
    w = school_with_people
    school = w["school"]
    n = log(session, w["ka"], school, payload, LAST_DAY_AFTER_SCHOOL, "DA/6")
    login_as("dsl", school)
    page = client.get(f"/schools/{school.id}/encompass/{n.id}").get_data(as_text=True)
    assert f"response due {CALENDAR_MISSING}" in page
    inbox = client.get(f"/schools/{school.id}/encompass/").get_data(as_text=True)
    assert CALENDAR_MISSING in inbox and "enter the next term" in inbox
    board = client.get(f"/schools/{school.id}/dashboard").get_data(as_text=True)
    assert "no deadline: calendar missing" in board and "22 Jul" in board


def test_the_api_answers_calendar_missing_then_the_deadline(client, session, fresh,
                                                            school_with_people, api_client,
                                                            payload):
    import json

    school = school_with_people["school"]
    auth = api_client(school.trust)
    body = payload(urn=school.urn, received_at=LAST_DAY_AFTER_SCHOOL.isoformat())
    r = client.post("/api/v1/encompass/notifications", data=json.dumps(body),
                    headers={"Authorization": auth}, content_type="application/json")
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["deadline"], r.get_json()["due_at"]) == (CALENDAR_MISSING, None)
    s = fresh()
    set_terms(s, school.id, [NEXT_TERM])
    body = payload(urn=school.urn, police_reference="DA/7",
                   received_at=london(2026, 9, 6, 20, 0).isoformat())  # a Sunday evening
    r = client.post("/api/v1/encompass/notifications", data=json.dumps(body),
                    headers={"Authorization": auth}, content_type="application/json")
    assert r.get_json()["deadline"] == "set"
    assert dt.datetime.fromisoformat(r.get_json()["due_at"]) == london(2026, 9, 7, 8, 45)
