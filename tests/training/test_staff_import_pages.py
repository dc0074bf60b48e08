"""The staff import page: upload, preview (counts and names), confirm; bad rows listed with
line and column and nothing written; a stale preview is not imported; who may use it."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from core.db import system_scope
from core.models import User
from plugins.training.models import StaffMember
from .training_constants import CSRF

CSV = (b"staff_id,first_name,last_name,email,job_role,account\n"
       b"S1,Asha,Patel,asha@school.example,teacher,yes\n"
       b"S2,Tom,Reed,,governor,no\n")


def _url(school):
    return f"/schools/{school.id}/training/staff/import"


def _upload(client, school, data, full=True):
    form = {"csrf_token": CSRF, "action": "preview", "file": (io.BytesIO(data), "staff.csv")}
    if full:
        form["full"] = "yes"
    return client.post(_url(school), data=form, content_type="multipart/form-data")


def _hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def _names(session, school):
    with system_scope(session, "check"):
        return sorted(session.scalars(select(StaffMember.name).where(
            StaffMember.school_id == school.id)))


def test_an_admin_previews_then_confirms(client, login_as, make_school, make_person, session):
    school = make_school()
    make_person(school, "teacher", name="Lee Leaver")
    login_as("school_admin", school=school)
    resp = _upload(client, school, CSV)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for text in ("<strong>2</strong> to add", "<strong>1</strong> leaving", "Lee Leaver",
                 "Asha Patel", "<strong>1</strong> to invite"):
        assert text in html, text
    assert _names(session, school) == ["Lee Leaver"]  # the preview wrote nothing
    resp = client.post(_url(school), data={
        "csrf_token": CSRF, "action": "confirm", "content": _hidden(html, "content"),
        "digest": _hidden(html, "digest"), "full": "yes"})
    assert resp.status_code == 302
    assert _names(session, school) == ["Asha Patel", "Lee Leaver", "Tom Reed"]
    with system_scope(session, "check"):
        leaver = session.scalar(select(StaffMember).where(StaffMember.name == "Lee Leaver"))
        assert leaver.left_on is not None
        assert session.scalar(select(User.password_hash).where(
            User.email == "asha@school.example")) is None
    flashed = client.get(f"/schools/{school.id}/training/compliance").get_data(as_text=True)
    assert "/invite/" in flashed  # no mail set up: the link is shown once


def test_bad_rows_are_listed_and_a_stale_preview_is_not_imported(
        client, login_as, make_school, session):
    school = make_school()
    login_as("school_admin", school=school)
    resp = _upload(client, school, CSV + b"S3,,,x@,plumber,\n")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Nothing was imported: 3 problems" in html
    for cell in ('<td class="num">4</td><td>last_name</td>',
                 '<td class="num">4</td><td>email</td>', '<td class="num">4</td><td>job_role</td>'):
        assert cell in html, cell
    preview = _upload(client, school, CSV).get_data(as_text=True)
    resp = client.post(_url(school), data={
        "csrf_token": CSRF, "action": "confirm", "content": _hidden(preview, "content"),
        "digest": "0" * 16, "full": "yes"})
    assert resp.status_code == 409 and "changed since your preview" in resp.get_data(as_text=True)
    assert _names(session, school) == []
    resp = client.post(_url(school), data={"csrf_token": CSRF, "action": "confirm",
                                           "content": "not base64!"})
    assert resp.status_code == 422 and "choose the staff CSV file" in resp.get_data(as_text=True)


def test_who_may_import_staff(client, login_as, make_school, session):
    off = make_school(plugins=())
    login_as("school_admin", school=off)
    assert client.get(_url(off)).status_code == 404
    assert _upload(client, off, CSV).status_code == 404
    school = make_school()
    for role in ("staff",):
        login_as(role, school=school)
        assert client.get(_url(school)).status_code == 404
        assert _upload(client, school, CSV).status_code == 404
    login_as("dsl", school=make_school())
    assert client.get(_url(school)).status_code == 404
    login_as("dsl", school=school)  # keeps training records, gives no accounts
    resp = _upload(client, school, CSV)
    assert resp.status_code == 422
    assert "only the school&#39;s admin can give accounts" in resp.get_data(as_text=True)
    assert _names(session, school) == []
