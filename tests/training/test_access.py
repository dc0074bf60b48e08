"""Refusals on the training routes that only had a success test: every role that may not use
an endpoint gets 404 (as if it did not exist) and, for a change, nothing changes; the roles
that may use it get their answer and their change, so the refusals are not universal.

A person's certificate is for whoever may see that person: the person themself, the school's
managers and the trust, not a colleague or another school."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from plugins.training import service
from plugins.training.models import (Acknowledgement, SessionAttendance, StaffMember,
                                     TrainingRecord)
from .training_constants import CSRF

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ["self", "colleague", "other_school_dsl", "trust_lead", "other_trust_lead", "dsl"]
API = {"X-CSRF-Token": CSRF}
# endpoint -> (method, path, body, roles allowed, their status, what their request changes)
ENDPOINTS = {
    "session_get": ("GET", "/sessions/{ts}", None, {"dsl"}, 200, set()),
    "session_post": ("POST", "/sessions/{ts}", {"attended": ["{ours}"]}, {"dsl"}, 302,
                     {"attendance", "records"}),
    "certificate": ("GET", "/records/{rec}/certificate", None, {"self", "trust_lead", "dsl"},
                    200, set()),
    "record_withdraw": ("POST", "/records/{rec}/withdraw", {"reason": "Wrong person"}, {"dsl"},
                        302, {"withdrawn"}),
    "person_edit": ("POST", "/staff/{ours}/edit", {"name": "Renamed", "job_role": "governor"},
                    {"dsl"}, 302, {"person"}),
    "policy_get": ("GET", "/policies/{pol}", None, {"trust_lead", "dsl"}, 200, set()),
    "policy_post": ("POST", "/policies/{pol}", {"staff_id": "{ours}"}, {"dsl"}, 302, {"acks"}),
    "api_add_staff": ("JSON", "/staff", {"name": "New Person", "job_role": "teacher"}, {"dsl"},
                      201, {"staff"}),
    "api_add_record": ("JSON", "/records", {"staff_id": "{ours}", "course_id": "{prevent}",
                                           "completed_on": "2026-10-01"}, {"dsl"}, 201,
                       {"records"}),
}


@pytest.fixture
def world(session, make_trust, make_school, make_person, courses, add_done):
    trust = make_trust()
    school, other = make_school(trust=trust), make_school(trust=trust)
    c = courses(trust.id)
    ours = make_person(school, "teacher", name="Olive Ours")
    rec = add_done(ours, c["induction"], dt.date(2024, 9, 2),
                   certificate=service.Certificate("olive.pdf", PDF))
    ts = service.create_session(session, None, school.id, c["prevent"].id,
                                 dt.date(2026, 10, 1), staff_ids=[ours.id])
    pol = service.publish_policy(session, None, school.id, "Child protection policy", "v3")
    return dict(trust=trust, school=school, other=other, ours=ours,
                ids=dict(ts=ts.id, rec=rec.id, pol=pol.id, ours=ours.id, prevent=c["prevent"].id))


def _sign_in(role, w, login_as, make_trust, session):
    if role in ("self", "colleague"):
        user, _ = login_as("staff", school=w["school"])
        if role == "self":  # the person's own account (as linked by email when added)
            w["ours"].user_id = user.id
            session.flush()
    elif role == "other_school_dsl":
        login_as("dsl", school=w["other"])
    elif role == "trust_lead":
        login_as("trust_lead", trust=w["trust"])
    elif role == "other_trust_lead":
        login_as("trust_lead", trust=make_trust())
    else:
        login_as(role, school=w["school"])


def _state(session, w):
    """Everything one of these requests could change."""
    session.expire_all()
    sid, ids = w["school"].id, w["ids"]
    person = session.get(StaffMember, ids["ours"])
    count = lambda model: session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(model.school_id == sid))
    return dict(
        withdrawn=session.get(TrainingRecord, ids["rec"]).withdrawn_at,
        person=(person.name, person.job_role),
        staff=count(StaffMember), records=count(TrainingRecord), acks=count(Acknowledgement),
        attendance=sorted(session.execute(select(SessionAttendance.staff_id,
                                                 SessionAttendance.attended).where(
            SessionAttendance.session_id == ids["ts"])).all()))


def _fill(value, ids):
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return int(value.format(**ids)) if isinstance(value, str) and value.startswith("{") \
        else value


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_refused_roles_get_404_and_change_nothing(client, login_as, make_trust, session, world,
                                                  role, endpoint):
    method, path, body, allowed, ok_status, effect = ENDPOINTS[endpoint]
    _sign_in(role, world, login_as, make_trust, session)
    ids, sid = world["ids"], world["school"].id
    body = {k: _fill(v, ids) for k, v in (body or {}).items()}
    before = _state(session, world)
    if method == "GET":
        resp = client.get(f"/schools/{sid}/training{path.format(**ids)}")
    elif method == "POST":
        resp = client.post(f"/schools/{sid}/training{path.format(**ids)}",
                           data={"csrf_token": CSRF, **body})
    else:
        resp = client.post(f"/api/v1/schools/{sid}/training{path}", json=body, headers=API)
    after = _state(session, world)
    may = role in allowed
    assert resp.status_code == (ok_status if may else 404), resp.get_data(as_text=True)[:300]
    assert {k for k in before if before[k] != after[k]} == (effect if may else set())
    if endpoint == "certificate":
        assert (resp.data == PDF) is may
    if endpoint in ("session_get", "policy_get"):
        assert ("Olive Ours" in resp.get_data(as_text=True)) is may
