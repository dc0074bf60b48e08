"""Who is refused the Encompass routes that change things (matching, the key adults list,
logging, uploading) and the document download: each role against each route.

A refusal is the project's 404 and leaves everything as it was (key adults, notifications,
steps, documents, the waiting child). The school's DSL succeeds on every route, and a key
adult on the ones key adults use, so a refusal for everyone would fail here."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from core.models import Trust
from plugins.encompass import documents, service
from plugins.encompass.models import (EncompassChild, EncompassDocument, EncompassNotification,
                                      EncompassStep, KeyAdult)

CSRF = "test-csrf-token"  # what the shared login_as fixture puts in the session
DOC = b"Force: Northshire Police\nReference: DOC-SECRET-7\nChild: Kayden Whitfield\n"
EML = (b"From: desk@police.example\nSubject: Notification UP-1\n"
       b"Content-Type: text/plain\n\nForce: Northshire Police\nReference: UP-1\n")

ROLES = ["dsl", "key_adult", "staff", "headteacher", "school_admin", "other_dsl", "trust_lead"]
ENDPOINTS = ["match", "add_key_adult", "remove_key_adult", "log", "upload", "document"]
# who may use each route; everyone else is refused
ALLOWED = {"match": {"dsl"}, "add_key_adult": {"dsl"}, "remove_key_adult": {"dsl"},
           "log": {"dsl", "key_adult"}, "upload": {"dsl", "key_adult"},
           "document": {"dsl", "key_adult"}}


@pytest.fixture
def world(session, make_school, make_pupil, make_user, make_key_adult, payload):
    school = make_school()
    kai = make_pupil(school, first_name="Kai", last_name="Marsh", date_of_birth=dt.date(2017, 2, 14))
    _, dsl = make_user("dsl", school=school)
    n = service.log_notification(session, dsl, school.id, payload(
        police_reference="Q1", children=[{"first_name": "Kayden", "last_name": "Whitfield"}])
    ).notification
    child = session.scalar(select(EncompassChild).where(EncompassChild.notification_id == n.id))
    ka_user, _ = make_key_adult(school)
    ka_row = session.scalar(select(KeyAdult).where(KeyAdult.user_id == ka_user.id))
    teacher, _ = make_user("staff", school=school)
    doc = documents.store_upload(session, dsl, school.id, "call.txt", DOC)
    return dict(school=school, kai=kai, child=child, ka_user=ka_user, ka_row=ka_row,
                teacher=teacher, doc=doc)


def snapshot(s, w) -> dict:
    sid = w["school"].id
    count = lambda model: s.scalar(select(func.count()).select_from(model)  # noqa: E731
                                   .where(model.school_id == sid))
    child = s.get(EncompassChild, w["child"].id)
    return {"key_adults": set(s.scalars(select(KeyAdult.user_id).where(
                KeyAdult.school_id == sid, KeyAdult.removed_at.is_(None)))),
            "notifications": count(EncompassNotification), "steps": count(EncompassStep),
            "documents": count(EncompassDocument), "child": (child.match, child.pupil_id)}


def sign_in(role, w, session, login_as, make_school):
    school = w["school"]
    if role == "key_adult":
        user, _ = login_as("staff", school=school)
        session.add(KeyAdult(school_id=school.id, user_id=user.id))
        session.flush()
    elif role == "other_dsl":  # the DSL of another school in the same trust
        login_as("dsl", school=make_school(trust=session.get(Trust, school.trust_id)))
    elif role == "trust_lead":
        login_as(role, trust=session.get(Trust, school.trust_id))
    else:
        login_as(role, school=school)


def send(client, endpoint, w):
    base = f"/schools/{w['school'].id}/encompass"
    if endpoint == "match":
        return client.post(f"{base}/children/{w['child'].id}/match",
                           data={"csrf_token": CSRF, "pupil_id": str(w["kai"].id)})
    if endpoint == "add_key_adult":
        return client.post(f"{base}/key-adults",
                           data={"csrf_token": CSRF, "user_id": w["teacher"].id})
    if endpoint == "remove_key_adult":
        return client.post(f"{base}/key-adults/{w['ka_row'].id}/remove", data={"csrf_token": CSRF})
    if endpoint == "log":
        return client.post(f"{base}/new", data={
            "csrf_token": CSRF, "incident_date": "2026-10-06", "force": "Riverside Constabulary",
            "police_reference": "RC-9", "children-0-first_name": "Amelia",
            "children-0-last_name": "Smith", "children-0-date_of_birth": "2016-04-07"})
    if endpoint == "upload":
        return client.post(f"{base}/upload", data={
            "csrf_token": CSRF, "file": (io.BytesIO(EML), "notification.eml")},
            content_type="multipart/form-data")
    return client.get(f"{base}/documents/{w['doc'].id}")


def expected_after(endpoint, before, w) -> dict:
    """The snapshot after an allowed request: only the route's own change."""
    after = {**before, "key_adults": set(before["key_adults"])}
    if endpoint == "match":
        after["child"] = ("matched", w["kai"].id)
        after["steps"] += 1  # the "matched" step
    elif endpoint == "add_key_adult":
        after["key_adults"].add(w["teacher"].id)
    elif endpoint == "remove_key_adult":
        after["key_adults"].discard(w["ka_user"].id)
    elif endpoint == "log":
        after["notifications"] += 1
        after["steps"] += 1  # the "received" step
    elif endpoint == "upload":
        after["documents"] += 1
    return after


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_refused_roles_get_404_and_change_nothing(client, session, fresh, world, login_as,
                                                  make_school, role, endpoint):
    sign_in(role, world, session, login_as, make_school)
    before = snapshot(fresh(), world)
    r = send(client, endpoint, world)
    after = snapshot(fresh(), world)
    if role in ALLOWED[endpoint]:
        assert r.status_code == (200 if endpoint == "document" else 302), r.status_code
        assert after == expected_after(endpoint, before, world)
        if endpoint == "document":
            assert r.data == DOC
    else:
        assert r.status_code == 404
        assert after == before
        assert b"DOC-SECRET-7" not in r.data
