"""Actions with owners in the pages (issue 13): the action form names who is to do it, the
owner's My actions page lists and completes it, the dashboard names pupil and owner; a note
with a body map and a file through the concern page."""
from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from tests.web.conftest import CSRF_VALUE

from core.models import Attachment, ConcernEntry


def _entries_url(world):
    return f"/schools/{world.school.id}/concerns/{world.concern.id}/entries"


def test_the_dsl_assigns_an_action_and_the_teacher_completes_it(client, as_role, world,
                                                                session, make_user):
    teacher_user, _ = make_user("staff", world.school)
    as_role("dsl")
    page = client.get(f"/schools/{world.school.id}/concerns/{world.concern.id}")
    assert f'<option value="{teacher_user.id}">{teacher_user.name}</option>' in page.get_data(
        as_text=True)
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = client.post(_entries_url(world), data={
        "csrf_token": CSRF_VALUE, "kind": "action", "body": "Ask how the coat is", "due_date": due,
        "owner_id": str(teacher_user.id)})
    assert r.status_code == 302
    action = session.scalars(select(ConcernEntry).where(ConcernEntry.kind == "action")).one()
    assert action.owner_id == teacher_user.id
    # the teacher signs in: My actions shows it, with the pupil, and no link into the case file
    with client.session_transaction() as sess:
        sess["_user_id"] = str(teacher_user.id)
    body = client.get("/me/actions").get_data(as_text=True)
    assert "Ask how the coat is" in body and "Amelia Okafor" in body
    assert "Open the concern" not in body
    done = client.post(f"/schools/{world.school.id}/actions/{action.id}/done",
                       data={"csrf_token": CSRF_VALUE, "body": "She has a coat now"})
    assert done.status_code == 303
    assert "No open actions are assigned to you" in client.get("/me/actions").get_data(as_text=True)
    finished = session.scalars(select(ConcernEntry).where(
        ConcernEntry.kind == "action_done")).one()
    assert (finished.refers_to_id, finished.author_id, finished.body) == (
        action.id, teacher_user.id, "She has a coat now")


def test_someone_else_cannot_complete_an_action(client, as_role, world, session, make_user):
    teacher_user, _ = make_user("staff", world.school)
    as_role("dsl")
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    client.post(_entries_url(world), data={"csrf_token": CSRF_VALUE, "kind": "action",
                                           "body": "x", "due_date": due,
                                           "owner_id": str(teacher_user.id)})
    action = session.scalars(select(ConcernEntry).where(ConcernEntry.kind == "action")).one()
    as_role("staff")
    r = client.post(f"/schools/{world.school.id}/actions/{action.id}/done",
                    data={"csrf_token": CSRF_VALUE, "body": "not mine"})
    assert r.status_code == 404
    assert session.scalars(select(ConcernEntry).where(
        ConcernEntry.kind == "action_done")).all() == []


def test_a_note_with_a_body_map_and_a_file(client, as_role, world, session):
    as_role("dsl")
    r = client.post(_entries_url(world), content_type="multipart/form-data", data={
        "csrf_token": CSRF_VALUE, "kind": "note", "body": "Seen in the medical room",
        "mark_view": ["front", "front", "back"], "mark_region": ["left_forearm", "", ""],
        "mark_note": ["Bruise, 3 cm", "", ""], "mark_x": ["81", "", ""], "mark_y": ["38", "", ""],
        "attachments": (io.BytesIO(b"notes"), "medical-room.txt", "text/plain")})
    assert r.status_code == 302
    note = session.scalars(select(ConcernEntry).where(ConcernEntry.kind == "note")).one()
    assert note.body_map == [{"view": "front", "region": "left_forearm", "note": "Bruise, 3 cm",
                              "x": 81.0, "y": 38.0}]
    att = session.scalar(select(Attachment).where(Attachment.entry_id == note.id))
    assert att.filename == "medical-room.txt"
    body = client.get(f"/schools/{world.school.id}/concerns/{world.concern.id}").get_data(
        as_text=True)
    assert "Front – Left forearm: Bruise, 3 cm" in body and "medical-room.txt" in body


def test_a_bad_mark_is_named_and_what_was_typed_is_kept(client, as_role, world):
    as_role("dsl")
    r = client.post(_entries_url(world), data={
        "csrf_token": CSRF_VALUE, "kind": "note", "body": "Kept text",
        "mark_view": ["front"], "mark_region": ["left_forearm"], "mark_note": ["x" * 501],
        "mark_x": [""], "mark_y": [""]})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Kept text" in body
    assert "must be at most 500 characters" in body


def test_staff_record_a_body_map_with_the_concern(client, as_role, world, session):
    from core.models import Concern

    as_role("staff")
    page = client.get(f"/schools/{world.school.id}/concerns/new").get_data(as_text=True)
    assert 'name="mark_region"' in page and "Body map" in page
    r = client.post(f"/schools/{world.school.id}/concerns/new", data={
        "csrf_token": CSRF_VALUE, "action": "record", "pupil_ids": str(world.pupil.id),
        "occurred_at": "2026-10-05T09:00", "fact": "Bruise seen when changing for PE.",
        "mark_view": ["back", "front", "front"], "mark_region": ["upper_back", "", ""],
        "mark_note": ["Two round marks", "", ""], "mark_x": ["", "", ""],
        "mark_y": ["", "", ""]})
    assert r.status_code == 302
    c = session.scalars(select(Concern).where(Concern.fact.like("Bruise seen%"))).one()
    assert c.body_map == [{"view": "back", "region": "upper_back", "note": "Two round marks"}]
