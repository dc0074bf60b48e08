"""Pages: who sees a notification, logging and uploading, the response forms, the queue,
the key adults list and the dashboard panel."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select


from core.calendar import LONDON
from core.plugins import current_host
from plugins.encompass import service
from plugins.encompass.models import (EncompassChild, EncompassDocument, EncompassNotification,
                                      EncompassStep, KeyAdult)
from plugins.encompass.panels import dashboard_panel

CSRF = "test-csrf-token"  # what the shared login_as fixture puts in the session

EML = b"""From: Encompass Desk <encompass@northshire.police.example>
To: keyadult@school.example
Subject: Operation Encompass notification DA/2026/7781
Date: Mon, 05 Oct 2026 06:12:00 +0100
Content-Type: text/plain; charset=utf-8

Operation Encompass notification

Force: Northshire Police
Reference: DA/2026/7781
Incident date: 04/10/2026
Incident time: 21:40
Location: the family home
Child: Amelia Smith, DOB 07/04/2016
Child present: Yes
Welfare check: no
Summary: Police attended a report of shouting; father left the address.
Officer: PC 2231 Okafor
"""


@pytest.fixture
def page(session, make_school, make_pupil, make_user, make_key_adult, payload):
    school = make_school()
    amelia = make_pupil(school, first_name="Amelia", last_name="Smith",
                        date_of_birth=dt.date(2016, 4, 7))
    _, dsl = make_user("dsl", school=school)
    n = service.log_notification(session, dsl, school.id, payload(
        summary="Police called to a domestic incident at the home.",
        received_at="2026-10-04T22:00:00+01:00")).notification
    return dict(school=school, amelia=amelia, n=n, dsl=dsl)


def url(page, suffix=""):
    return f"/schools/{page['school'].id}/encompass/{suffix}"


@pytest.mark.parametrize("role,expected", [
    ("dsl", 200), ("deputy_dsl", 200), ("key_adult", 200), ("staff", 404),
    ("headteacher", 404), ("school_admin", 404), ("trust_lead", 404), ("trust_admin", 404),
    ("other_dsl", 404), ("dsl_without_mfa", 404)])
def test_who_reads_a_notification(client, session, page, login_as, make_school, role, expected):
    school = page["school"]
    if role == "key_adult":
        user, _ = login_as("staff", school=school)
        session.add(KeyAdult(school_id=school.id, user_id=user.id))
        session.flush()
    elif role in ("trust_lead", "trust_admin"):
        from core.models import Trust

        login_as(role, trust=session.get(Trust, school.trust_id))
    elif role == "other_dsl":
        from core.models import Trust

        login_as("dsl", school=make_school(trust=session.get(Trust, school.trust_id)))
    elif role == "dsl_without_mfa":
        login_as("dsl", school=school, mfa=False)
    else:
        login_as(role, school=school)
    r = client.get(url(page, f"{page['n'].id}"))
    assert r.status_code == expected
    if expected == 200:
        html = r.get_data(as_text=True)
        assert "Police called to a domestic incident" in html
        assert "Amelia Smith" in html
        assert "not given" in html  # the incident time, place, officer...
    else:
        assert "Police called" not in r.get_data(as_text=True)
    inbox = client.get(url(page))
    assert inbox.status_code == expected


def test_plugin_off_means_404_even_for_the_dsl(client, session, page, login_as):
    login_as("dsl", school=page["school"])
    current_host().set_enabled(session, page["school"].id, "encompass", False)
    assert client.get(url(page, f"{page['n'].id}")).status_code == 404
    assert client.get(url(page)).status_code == 404


def test_logging_by_form(client, fresh, page, login_as):
    user, _ = login_as("deputy_dsl", school=page["school"])
    form = {"csrf_token": CSRF, "incident_date": "2026-10-06", "force": "Riverside Constabulary",
            "police_reference": "RC-1", "children-0-first_name": "Amelia",
            "children-0-last_name": "Smith", "children-0-date_of_birth": "2016-04-07",
            "child_present": "no", "received_at": "2026-10-07T06:30"}
    r = client.post(url(page, "new"), data=form)
    assert r.status_code == 302
    s = fresh()
    n = s.scalar(select(EncompassNotification).where(EncompassNotification.police_reference == "RC-1"))
    assert r.location.endswith(f"/encompass/{n.id}")
    assert (n.child_present, n.source, n.recorded_by_id) == (False, "form", user.id)
    assert n.received_at == dt.datetime(2026, 10, 7, 6, 30, tzinfo=LONDON)
    assert n.due_at == dt.datetime(2026, 10, 7, 8, 45, tzinfo=LONDON)  # Wednesday, same morning
    # the alert emails were queued and the core's mail job enqueued once the request committed
    from core.models import JobRun, MailMessage

    to = s.scalars(select(MailMessage.to).where(
        MailMessage.dedupe_key.like(f"encompass:new:{n.id}:%"))).all()
    assert len(to) == 2 and user.email in to  # the page fixture's DSL and this deputy
    assert s.scalars(select(JobRun.status).where(JobRun.func == "core.mail:send_pending")).all()


def test_a_bad_form_is_shown_again_naming_the_fields(client, fresh, page, login_as):
    login_as("dsl", school=page["school"])
    r = client.post(url(page, "new"), data={
        "csrf_token": CSRF, "summary": "<script>x</script>", "children-0-first_name": "Amelia"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for field in ("incident date", "children.0.last name", "summary"):
        assert field in html
    assert "<script>x</script>" not in html  # shown escaped, never as markup
    assert len(fresh().scalars(select(EncompassNotification)).all()) == 1
    no_csrf = client.post(url(page, "new"), data={"incident_date": "2026-10-06"})
    assert no_csrf.status_code == 400


def test_upload_an_email_prefills_the_form_and_is_attached(client, fresh, page, login_as):
    login_as("dsl", school=page["school"])
    r = client.post(url(page, "upload"), data={
        "csrf_token": CSRF, "file": (__import__("io").BytesIO(EML), "notification.eml")},
        content_type="multipart/form-data")
    assert r.status_code == 302
    doc_id = int(re.search(r"document_id=(\d+)", r.location).group(1))
    form = client.get(r.location).get_data(as_text=True)
    for value in ('value="Northshire Police"', 'value="DA/2026/7781"', 'value="2026-10-04"',
                  'value="21:40"', 'value="Amelia"', 'value="2016-04-07"'):
        assert value in form
    assert re.search(r'name="child_present" value="yes" checked', form)
    posted = client.post(url(page, "new"), data={
        "csrf_token": CSRF, "document_id": doc_id, "incident_date": "2026-10-04",
        "force": "Northshire Police", "police_reference": "DA/2026/7781",
        "children-0-first_name": "Amelia", "children-0-last_name": "Smith",
        "children-0-date_of_birth": "2016-04-07"})
    assert posted.status_code == 302
    s = fresh()
    doc = s.get(EncompassDocument, doc_id)
    n = s.get(EncompassNotification, doc.notification_id)
    assert n.source == "upload" and doc.parsed["email"]["subject"].endswith("DA/2026/7781")
    download = client.get(url(page, f"documents/{doc_id}"))
    assert download.status_code == 200 and download.data == EML


@pytest.mark.parametrize("name,data,message", [
    ("notes.docx", b"PK...", "upload an email"),
    ("fake.pdf", b"not a pdf", "is not a PDF"),
    ("empty.txt", b"", "empty"),
])
def test_bad_uploads_are_refused(client, page, login_as, name, data, message):
    login_as("dsl", school=page["school"])
    r = client.post(url(page, "upload"), data={
        "csrf_token": CSRF, "file": (__import__("io").BytesIO(data), name)},
        content_type="multipart/form-data")
    assert r.status_code == 422 and message in r.get_data(as_text=True)


def test_key_adult_responds_and_dsl_closes(client, session, fresh, page, login_as):
    school, n = page["school"], page["n"]
    ka, _ = login_as("staff", school=school)
    session.add(KeyAdult(school_id=school.id, user_id=ka.id))
    session.flush()
    html = client.get(url(page, f"{n.id}")).get_data(as_text=True)
    assert 'value="closed"' not in html  # the key adult is not offered DSL steps
    assert client.post(url(page, f"{n.id}/steps"), data={
        "csrf_token": CSRF, "kind": "acknowledged"}).status_code == 302
    bad = client.post(url(page, f"{n.id}/steps"), data={"csrf_token": CSRF, "kind": "support"})
    assert bad.status_code == 422 and "choose the support given" in bad.get_data(as_text=True)
    assert client.post(url(page, f"{n.id}/steps"), data={
        "csrf_token": CSRF, "kind": "closed", "body": "x"}).status_code == 404
    login_as("dsl", school=school)
    assert client.post(url(page, f"{n.id}/steps"), data={
        "csrf_token": CSRF, "kind": "closed", "body": "Settled."}).status_code == 302
    seen = client.get(url(page, f"{n.id}")).get_data(as_text=True)
    assert "(after the deadline)" in seen  # due Monday 5 October 08:45, seen much later
    kinds = fresh().scalars(select(EncompassStep.kind).where(
        EncompassStep.notification_id == n.id).order_by(EncompassStep.id)).all()
    assert kinds == ["received", "acknowledged", "closed"]
    closed = client.get(url(page, "?status=closed")).get_data(as_text=True)
    assert f"/encompass/{n.id}" in closed
    assert f"/encompass/{n.id}" not in client.get(url(page, "?status=new")).get_data(as_text=True)


def test_unmatched_queue_and_matching_by_hand(client, session, fresh, page, login_as, payload,
                                              make_pupil):
    school = page["school"]
    kai = make_pupil(school, first_name="Kai", last_name="Marsh", date_of_birth=dt.date(2017, 2, 14))
    n = service.log_notification(session, page["dsl"], school.id, payload(
        police_reference="Q1", children=[{"first_name": "Kayden", "last_name": "Whitfield"}])
    ).notification
    [child] = session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id)).all()
    login_as("dsl", school=school)
    html = client.get(url(page, "unmatched")).get_data(as_text=True)
    # no close pupil: a search of the roll is offered, not the whole roll in a dropdown
    assert "Kayden Whitfield" in html and "Marsh" not in html and "<select" not in html
    assert f'action="/schools/{school.id}/encompass/children/{child.id}/match"' in html
    found = client.get(url(page, f"children/{child.id}/match?q=kai")).get_data(as_text=True)
    assert "Marsh, Kai" in found
    r = client.post(url(page, f"children/{child.id}/match"),
                    data={"csrf_token": CSRF, "pupil_id": str(kai.id)})
    assert r.status_code == 302
    c = fresh().get(EncompassChild, child.id)
    assert (c.match, c.pupil_id) == ("matched", kai.id)
    assert "No children are waiting to be matched." in \
        client.get(url(page, "unmatched")).get_data(as_text=True)


def test_key_adults_admin(client, session, fresh, page, login_as, make_user):
    school = page["school"]
    teacher, _ = make_user("staff", school=school)
    login_as("dsl", school=school)
    assert teacher.name in client.get(url(page, "key-adults")).get_data(as_text=True)
    r = client.post(url(page, "key-adults"), data={"csrf_token": CSRF, "user_id": teacher.id})
    assert r.status_code == 302
    row = fresh().scalar(select(KeyAdult).where(KeyAdult.user_id == teacher.id))
    assert row.removed_at is None
    assert client.post(url(page, f"key-adults/{row.id}/remove"),
                       data={"csrf_token": CSRF}).status_code == 302
    assert fresh().get(KeyAdult, row.id).removed_at is not None


def test_dashboard_panel_counts_without_naming_children(app, session, page, make_user):
    _, lead = make_user("trust_lead", trust=page["school"].trust)
    with app.test_request_context():
        [panel] = dashboard_panel(session, page["school"].id, page["dsl"])
        [lead_panel] = dashboard_panel(session, page["school"].id, lead)
    assert panel.plugin == "encompass"
    # the Sunday notification is overdue by now (nobody acknowledged it)
    assert re.search(r"Overdue</dt>\s*<dd><a [^>]+>1</a>", panel.html)
    assert "Amelia" not in panel.html
    assert re.search(r"Overdue</dt>\s*<dd>1</dd>", lead_panel.html)  # counts, no links


def test_pupil_panel_only_for_readers(app, session, page, make_user):
    from plugins.encompass.panels import pupil_panel

    _, staff = make_user("staff", school=page["school"])
    _, lead = make_user("trust_lead", trust=page["school"].trust)
    with app.test_request_context():
        [panel] = pupil_panel(session, page["school"].id, page["amelia"].id, page["dsl"])
        assert pupil_panel(session, page["school"].id, page["amelia"].id, staff) == []
        assert pupil_panel(session, page["school"].id, page["amelia"].id, lead) == []
    assert f"/encompass/{page['n'].id}" in panel.html and "Overdue" in panel.html
