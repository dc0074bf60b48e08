"""The sessions, policy, needs and courses pages: what each role can do there."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.calendar import LONDON
from core.models import ConcernCategory
from plugins.training import service
from plugins.training.models import Acknowledgement, Course, SessionAttendance, TrainingSession
from .training_constants import CSRF

D = dt.date


def _url(school, path=""):
    return f"/schools/{school.id}/training{path}"


def test_a_session_from_the_pages(client, login_as, session, make_school, make_person, courses):
    school = make_school()
    c = courses(school.trust_id)
    amy, bo = make_person(school, name="Amy Attended"), make_person(school, name="Bo Absent")
    login_as("deputy_dsl", school=school)
    bad = client.post(_url(school, "/sessions"), data={
        "csrf_token": CSRF, "course_id": c["prevent"].id, "held_on": "next week",
        "staff_ids": [amy.id, bo.id]})
    assert bad.status_code == 422 and b"held_on" in bad.data
    resp = client.post(_url(school, "/sessions"), data={
        "csrf_token": CSRF, "course_id": c["prevent"].id, "held_on": "2026-11-02",
        "title": "Prevent refresher", "staff_ids": [amy.id, bo.id]})
    assert resp.status_code == 302
    ts = session.scalar(select(TrainingSession).where(TrainingSession.school_id == school.id))
    resp = client.post(_url(school, f"/sessions/{ts.id}"),
                       data={"csrf_token": CSRF, "attended": [amy.id]})
    assert resp.status_code == 302
    marks = dict(session.execute(select(SessionAttendance.staff_id, SessionAttendance.attended)
                                 .where(SessionAttendance.session_id == ts.id)).all())
    assert marks == {amy.id: True, bo.id: False}
    page = client.get(_url(school, "/sessions")).get_data(as_text=True)
    follow = page.split('id="follow"')[1].split("</section>")[0]
    assert "Bo Absent" in follow and "Amy Attended" not in follow


def test_policy_page_and_paper_signatures(client, login_as, session, make_school, make_person):
    school = make_school()
    lou = make_person(school, "midday_supervisor", name="Lou Paper")
    p = service.publish_policy(session, None, school.id, "Child protection policy", "v3")
    login_as("school_admin", school=school)
    page = client.get(_url(school, f"/policies/{p.id}")).get_data(as_text=True)
    assert "Signed by 0 of 1" in page
    assert client.post(_url(school, f"/policies/{p.id}"),
                       data={"csrf_token": CSRF, "staff_id": lou.id}).status_code == 302
    ack = session.scalar(select(Acknowledgement).where(Acknowledgement.policy_id == p.id))
    assert (ack.staff_id, ack.on_paper) == (lou.id, True)
    login_as("trust_lead", trust=school.trust)
    assert "Signed by 1 of 1" in client.get(_url(school, f"/policies/{p.id}")).get_data(True)
    assert client.post(_url(school, f"/policies/{p.id}"),
                       data={"csrf_token": CSRF, "staff_id": lou.id}).status_code == 404


def test_needs_page_shows_counts_and_the_gap(client, login_as, session, make_school,
                                             make_pupil, make_concern, make_person):
    school = make_school()
    cat = session.scalar(select(ConcernCategory.id).where(
        ConcernCategory.trust_id == school.trust_id, ConcernCategory.code == "online_safety"))
    child = make_pupil(school, first_name="Zebedee")
    when = dt.datetime.now(LONDON) - dt.timedelta(days=3)
    make_concern(school, [child], occurred_at=when, recorded_at=when, category_ids=[cat],
                 fact="Messages from an adult in a game.")
    make_person(school, "teacher")
    login_as("headteacher", school=school)
    html = client.get(_url(school, "/needs")).get_data(as_text=True)
    assert "Training gap" in html and "0 of 1" in html
    assert "Zebedee" not in html and "Messages from an adult" not in html
    assert client.get(_url(school, "/needs?days=3")).status_code == 422


def test_courses_page_trust_edits_school_reads(client, login_as, session, make_school, courses):
    school = make_school()
    c = courses(school.trust_id)
    login_as("dsl", school=school)
    assert b"Safer recruitment" in client.get(_url(school, "/courses")).data
    form = {"csrf_token": CSRF, "course_id": c["prevent"].id, "label": "Prevent",
            "validity_months": "36", "required_for": ["all"], "active": "1"}
    assert client.post(_url(school, "/courses"), data=form).status_code == 404
    login_as("trust_lead", trust=school.trust)
    assert client.post(_url(school, "/courses"), data=form).status_code == 302
    prevent = session.scalar(select(Course).where(Course.id == c["prevent"].id))
    session.refresh(prevent)
    assert (prevent.validity_months, prevent.required_for) == (36, ["all"])
    bad = client.post(_url(school, "/courses"), data={**form, "validity_months": "500"})
    assert bad.status_code == 422 and b"validity_months" in bad.data
