"""Pupils from the MIS on the pages: upload, preview, confirm; problems shown with line and
column; the review queue; "left?" confirmed through the leaving flow; a saved layout; and 404
for those who do not keep this school's roll."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from core.calendar import london_today
from core.db import system_scope
from core.mis import samples
from core.models import MisLayout, MisLeaverCheck, MisReviewItem, Pupil
from tests.web.conftest import CSRF_VALUE


def _base(world):
    return f"/schools/{world.school.id}/roll"


def _upload(client, world, content, name="roll.csv", **form):
    return client.post(f"{_base(world)}/imports", content_type="multipart/form-data",
                       data={"csrf_token": CSRF_VALUE, "file": (io.BytesIO(content), name),
                             "full": "1", **form})


def _on_roll(session, world) -> int:
    with system_scope(session, "test"):
        return session.scalar(select(func.count()).select_from(Pupil).where(
            Pupil.school_id == world.school.id, Pupil.on_roll_to.is_(None)))


def test_upload_preview_confirm(client, as_role, world, session):
    as_role("school_admin")
    assert f"{_base(world)}/imports" in client.get(f"/admin/schools/{world.school.id}").text
    rows = samples.pupils_for(3, seed=51)
    resp = _upload(client, world, samples.csv_bytes(rows))
    assert resp.status_code == 302
    preview = client.get(resp.location).text
    assert "Preview ready" in preview and "3</strong> to add" in preview
    assert f"{rows[0]['first_name']} {rows[0]['last_name']}".replace("'", "&#39;") in preview
    assert "Amelia Okafor" in preview  # on roll, not in this full file: left?
    assert _on_roll(session, world) == 1
    action = re.search(r'action="([^"]+/confirm)"', preview).group(1)
    done = client.post(action, data={"csrf_token": CSRF_VALUE})
    assert done.status_code == 302
    assert "Imported" in client.get(done.location).text
    assert _on_roll(session, world) == 4
    page = client.get(f"{_base(world)}/imports").text
    assert "Left? <span class=\"count\">1</span>" in page and "Amelia Okafor" in page


def test_problems_are_shown_with_line_and_column_and_nothing_stored(client, as_role, world,
                                                                     session):
    as_role("dsl")
    rows = samples.pupils_for(2, seed=52)
    rows[1]["gender"] = "Q"
    resp = _upload(client, world, samples.csv_bytes(rows))
    page = client.get(resp.location).text
    assert "Has problems: nothing imported" in page
    assert "<td>line 3</td><td>Gender</td><td>&#39;Q&#39; is not M, F, X or U</td>" in page
    assert "Confirm import" not in page and _on_roll(session, world) == 1
    resp = _upload(client, world, b"")
    assert resp.status_code == 422 and "Choose the MIS export" in resp.text


def test_review_queue_and_left_are_decided_on_the_page(client, as_role, world, session):
    as_role("school_admin")
    row = {"first_name": "Amelia", "last_name": "Okafor", "date_of_birth": "01/05/2015",
           "year_group": "5"}
    content = ("Legal surname,Legal forename,Date of birth,Year group\n"
               f"{row['last_name']},{row['first_name']},{row['date_of_birth']},"
               f"{row['year_group']}\n").encode()
    resp = _upload(client, world, content, commit="1")
    preview = client.get(resp.location).text
    client.post(re.search(r'action="([^"]+/confirm)"', preview).group(1),
                data={"csrf_token": CSRF_VALUE})
    page = client.get(f"{_base(world)}/imports").text
    assert "Rows to review <span class=\"count\">1</span>" in page
    with system_scope(session, "test"):
        item = session.scalar(select(MisReviewItem).where(
            MisReviewItem.school_id == world.school.id))
    resp = client.post(f"{_base(world)}/review/{item.id}",
                       data={"csrf_token": CSRF_VALUE, "decision": "same"})
    assert resp.status_code == 302
    with system_scope(session, "test"):
        session.expire_all()
        assert session.get(MisReviewItem, item.id).status == "linked"
        assert session.get(Pupil, world.pupil.id).year_group == 5
    # a full file without Amelia: she is "left?" until confirmed on the page
    other = samples.csv_bytes(samples.pupils_for(1, seed=53))
    preview = client.get(_upload(client, world, other).location).text
    client.post(re.search(r'action="([^"]+/confirm)"', preview).group(1),
                data={"csrf_token": CSRF_VALUE})
    with system_scope(session, "test"):
        check = session.scalar(select(MisLeaverCheck).where(
            MisLeaverCheck.pupil_id == world.pupil.id))
    url = f"{_base(world)}/left/{check.id}"
    bad = client.post(url, data={"csrf_token": CSRF_VALUE, "date": london_today().isoformat(),
                                 "reason": "Moved", "destination": "school"})
    assert bad.status_code == 422 and "give the destination school" in bad.text.lower()
    ok = client.post(url, data={"csrf_token": CSRF_VALUE,
                                "date": london_today().isoformat(), "reason": "Moved",
                                "destination": "unknown"})
    assert ok.status_code == 302, ok.text[:2000]
    with system_scope(session, "test"):
        session.expire_all()
        assert session.get(Pupil, world.pupil.id).on_roll_to is not None
        assert session.get(MisLeaverCheck, check.id).status == "confirmed"


def test_a_layout_is_saved_with_each_bad_heading_named(client, as_role, world, session):
    as_role("school_admin")
    url = f"{_base(world)}/layouts"
    bad = client.post(url, data={"csrf_token": CSRF_VALUE, "name": "Arbor",
                                 "date_format": "%d/%m/%Y", "col-last_name": "Surname",
                                 "col-carer.last_name": "Contact surname"})
    assert bad.status_code == 422
    assert 'id="col-carer.last_name-error"><span>A contact&#39;s heading needs {n}' in bad.text
    assert 'id="col-first_name-error"><span>Is required in every layout' in bad.text
    ok = client.post(url, data={"csrf_token": CSRF_VALUE, "name": "Arbor",
                                "date_format": "%d/%m/%Y", "col-last_name": "Surname",
                                "col-first_name": "Forename", "col-date_of_birth": "DOB",
                                "col-year_group": "Year"})
    assert ok.status_code == 302
    with system_scope(session, "test"):
        layout = session.scalar(select(MisLayout).where(MisLayout.school_id == world.school.id))
        assert layout.columns == {"last_name": "Surname", "first_name": "Forename",
                                  "date_of_birth": "DOB", "year_group": "Year"}
    assert '<option value="Arbor"' in client.get(f"{_base(world)}/imports").text


def test_others_get_404(client, as_role, world, session):
    as_role("school_admin")
    imp = _upload(client, world, samples.csv_bytes(samples.pupils_for(1, seed=54)))
    show = imp.location
    for role, school in (("staff", None), ("headteacher", None), ("school_admin", world.other)):
        as_role(role, school=school)
        assert client.get(f"{_base(world)}/imports").status_code == 404
        assert client.get(show).status_code == 404
        assert _upload(client, world, b"UPN\n").status_code == 404
    assert _on_roll(session, world) == 1
