"""``GET /api/v1/me/actions`` and marking an action done through the API; an action's owner
and a body map and files on an entry through ``POST .../entries`` (issue 13)."""
import base64
import datetime as dt

from sqlalchemy import select

from core.calendar import london_today
from core.models import Attachment


def _setup(caller, make_school, make_pupil, make_concern):
    school = make_school()
    concern = make_concern(school, [make_pupil(school, first_name="Siobhán", last_name="Kelly")])
    dsl, teacher = caller("dsl", school), caller("staff", school)
    return school, concern, dsl, teacher, f"/api/v1/schools/{school.id}/concerns/{concern.id}"


def test_an_owner_lists_and_completes_their_action(caller, make_school, make_pupil,
                                                   make_concern):
    school, concern, dsl, teacher, url = _setup(caller, make_school, make_pupil, make_concern)
    due = (london_today() + dt.timedelta(days=2)).isoformat()
    made = dsl.post(f"{url}/entries", json={"kind": "action", "body": "Check in at break",
                                            "due_date": due, "owner_id": teacher.user.id})
    assert made.status_code == 201 and made.get_json()["owner_id"] == teacher.user.id
    mine = teacher.get("/api/v1/me/actions").get_json()
    assert [(a["entry_id"], a["pupils"], a["due_date"], a["done"]) for a in mine] == [
        (made.get_json()["id"], ["Siobhán Kelly"], due, False)]
    assert dsl.get("/api/v1/me/actions").get_json() == []  # not the DSL's own
    done_url = f"/api/v1/schools/{school.id}/actions/{made.get_json()['id']}/done"
    other = caller("staff", school)
    assert other.post(done_url, json={"body": "x"}).status_code == 404
    done = teacher.post(done_url, json={"body": "Seen at break, fine"})
    assert done.status_code == 201 and done.get_json()["kind"] == "action_done"
    assert teacher.get("/api/v1/me/actions").get_json() == []
    again = teacher.post(done_url, json={"body": "again"})
    assert again.status_code == 422 and "refers_to_id" in again.get_json()["errors"]["json"]


def test_an_owner_from_another_school_is_refused_naming_the_field(
        caller, make_school, make_pupil, make_concern):
    school, concern, dsl, _, url = _setup(caller, make_school, make_pupil, make_concern)
    stranger = caller("staff", make_school())
    due = (london_today() + dt.timedelta(days=2)).isoformat()
    r = dsl.post(f"{url}/entries", json={"kind": "action", "body": "x", "due_date": due,
                                         "owner_id": stranger.user.id})
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"] == {"owner_id": ["choose a member of this school's staff"]}


def test_a_note_with_a_body_map_and_a_file(caller, make_school, make_pupil, make_concern,
                                           session):
    school, concern, dsl, _, url = _setup(caller, make_school, make_pupil, make_concern)
    r = dsl.post(f"{url}/entries", json={
        "kind": "note", "body": "Seen in the medical room",
        "body_map": [{"view": "front", "region": "left_forearm", "note": "Bruise", "x": 81.5,
                      "y": 38}],
        "attachments": [{"filename": "photo-log.txt", "content_type": "text/plain",
                         "data": base64.b64encode(b"log").decode()}]})
    assert r.status_code == 201
    assert r.get_json()["body_map"] == [{"view": "front", "region": "left_forearm",
                                         "note": "Bruise", "x": 81.5, "y": 38.0}]
    att = session.scalar(select(Attachment).where(Attachment.entry_id == r.get_json()["id"]))
    assert att.filename == "photo-log.txt"
    bad = dsl.post(f"{url}/entries", json={"kind": "note", "body": "x", "body_map": [
        {"view": "front", "region": "elbow"}]})
    assert bad.status_code == 422 and "body_map" in str(bad.get_json()["errors"])
