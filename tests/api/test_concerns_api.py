import base64

from sqlalchemy import func, select

from core.models import Attachment, AuditEntry, Concern


def _concern(pupil, **kw):
    body = {"pupil_ids": [pupil.id], "occurred_at": "2026-10-12T08:45:00",
            "location": "Year 5 classroom", "fact": "Had a bruise on her cheek.",
            "child_words": "I fell off my bike", "opinion": "Seemed reluctant to talk."}
    body.update(kw)
    return body


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_staff_record_a_concern_and_see_their_own_record_only(caller, make_school, make_pupil,
                                                              session):
    school = make_school()
    pupil = make_pupil(school)
    staff = caller("staff", school)
    r = staff.post(f"/api/v1/schools/{school.id}/concerns", json=_concern(pupil))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    # no offset given: read as UK time, which is BST (UTC+1) on 12 October
    assert body["occurred_at"] == "2026-10-12T07:45:00+00:00"
    assert (body["fact"], body["child_words"], body["opinion"]) == (
        "Had a bruise on her cheek.", "I fell off my bike", "Seemed reluctant to talk.")
    assert body["recorded_by_id"] == staff.user.id and body["view"] == "own"
    url = f"/api/v1/schools/{school.id}/concerns/{body['id']}"
    own = staff.get(url).get_json()
    assert own["fact"] == "Had a bruise on her cheek." and own["entries"] == []
    assert own["status"] is None  # what the DSL did with it is not the recorder's to see
    assert staff.get(f"/api/v1/schools/{school.id}/concerns").status_code == 404
    mine = staff.get(f"/api/v1/schools/{school.id}/concerns", query_string={"mine": "true"})
    assert [c["id"] for c in mine.get_json()["items"]] == [body["id"]]
    assert mine.get_json()["items"][0]["status"] is None  # the team's, as on the record
    colleague = caller("staff", school)
    assert colleague.get(url).status_code == 404
    assert colleague.get(f"/api/v1/schools/{school.id}/concerns",
                         query_string={"mine": "true"}).get_json()["items"] == []


def test_dsl_team_read_the_whole_file_and_every_read_is_audited(caller, make_school,
                                                                make_pupil, make_concern,
                                                                session):
    school = make_school()
    pupil = make_pupil(school)
    concern = make_concern(school, [pupil])
    dsl = caller("dsl", school)
    url = f"/api/v1/schools/{school.id}/concerns/{concern.id}"
    r = dsl.post(f"{url}/entries", json={"kind": "triage", "risk_level": "medium"})
    assert r.status_code == 201
    before = _count(session, AuditEntry, AuditEntry.action == "concern.read")
    full = caller("deputy_dsl", school).get(url).get_json()
    assert full["view"] == "full" and full["status"] == "open"
    assert [e["kind"] for e in full["entries"]] == ["triage"]
    assert full["entries"][0]["risk_level"] == "medium"
    assert _count(session, AuditEntry, AuditEntry.action == "concern.read") == before + 1
    listed = dsl.get(f"/api/v1/schools/{school.id}/concerns",
                     query_string={"status": "open"}).get_json()
    assert [(c["id"], c["risk"]) for c in listed["items"]] == [(concern.id, "medium")]
    assert dsl.get(f"/api/v1/schools/{school.id}/concerns",
                   query_string={"status": "awaiting_triage"}).get_json()["items"] == []
    bad = dsl.get(f"/api/v1/schools/{school.id}/concerns", query_string={"status": "lost"})
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["query"]


def test_admins_and_headteachers_do_not_read_case_files(caller, make_school, make_pupil,
                                                        make_concern):
    school = make_school()
    concern = make_concern(school, [make_pupil(school)])
    url = f"/api/v1/schools/{school.id}/concerns/{concern.id}"
    for role in ("staff", "headteacher", "school_admin"):
        assert caller(role, school).get(url).status_code == 404, role
    assert caller("trust_admin", trust=school.trust).get(url).status_code == 404
    assert caller("trust_lead", trust=school.trust).get(url).status_code == 200


def test_attachments_travel_base64_and_download_as_sent(caller, make_school, make_pupil,
                                                        session):
    school = make_school()
    pupil = make_pupil(school)
    staff = caller("staff", school)
    note = b"Notes taken at 08:50\n"
    r = staff.post(f"/api/v1/schools/{school.id}/concerns", json=_concern(pupil, attachments=[
        {"filename": "notes.txt", "content_type": "text/plain",
         "data": base64.b64encode(note).decode()}]))
    assert r.status_code == 201
    att = r.get_json()["attachments"][0]
    assert (att["filename"], att["size"]) == ("notes.txt", len(note))
    url = f"/api/v1/schools/{school.id}/concerns/{r.get_json()['id']}/attachments/{att['id']}"
    download = caller("dsl", school).get(url)
    assert download.status_code == 200 and download.data == note
    assert "attachment" in download.headers["Content-Disposition"]
    assert _count(session, AuditEntry, AuditEntry.action == "attachment.read") == 1
    assert caller("staff", school).get(url).status_code == 404


def test_bad_files_are_refused_and_nothing_is_stored(caller, make_school, make_pupil, session):
    school = make_school()
    pupil = make_pupil(school)
    staff = caller("staff", school)
    url = f"/api/v1/schools/{school.id}/concerns"
    r = staff.post(url, json=_concern(pupil, attachments=[
        {"filename": "a.txt", "content_type": "text/plain", "data": "not base64!"}]))
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"]["attachments"] == {"0": {"data": ["is not valid base64"]}}
    r = staff.post(url, json=_concern(pupil, attachments=[
        {"filename": "run.exe", "content_type": "application/x-msdownload",
         "data": base64.b64encode(b"MZ").decode()}]))
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"] == {
        "attachments.0": ["run.exe: files of type application/x-msdownload are not accepted"]}
    assert _count(session, Concern) == 0 and _count(session, Attachment) == 0


def test_each_bad_field_is_named(caller, make_school, make_pupil, session):
    school = make_school()
    other = make_school(trust=school.trust)
    stranger = make_pupil(other)
    staff = caller("staff", school)
    url = f"/api/v1/schools/{school.id}/concerns"
    r = staff.post(url, json={"pupil_ids": ["1"], "occurred_at": "12/10/2026", "fact": "",
                              "mood": "sad"})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"pupil_ids", "occurred_at", "fact", "mood"}
    r = staff.post(url, json={"pupil_ids": [stranger.id], "occurred_at": "2099-01-01T09:00:00",
                              "fact": "x", "category_ids": [987654]})
    assert r.status_code == 422
    assert r.get_json()["errors"]["json"] == {
        "pupil_ids": [f"no pupil {stranger.id} in this school"],
        "occurred_at": ["cannot be in the future"], "category_ids": ["unknown category 987654"]}
    assert _count(session, Concern) == 0


def test_categories_are_listed_for_people_who_record(caller, make_school):
    school = make_school()
    cats = caller("staff", school).get(f"/api/v1/schools/{school.id}/categories").get_json()
    assert cats[0]["label"] == "Physical abuse" and cats[-1]["code"] == "other"
    assert caller("school_admin", school).get(
        f"/api/v1/schools/{school.id}/categories").status_code == 404


def test_the_list_filters_by_pupil_and_pages(caller, make_school, make_pupil, make_concern):
    school = make_school()
    ava, ben = make_pupil(school, first_name="Ava"), make_pupil(school, first_name="Ben")
    first = make_concern(school, [ava])
    both = make_concern(school, [ava, ben])
    dsl = caller("dsl", school)
    url = f"/api/v1/schools/{school.id}/concerns"
    items = lambda **q: [c["id"] for c in dsl.get(url, query_string=q).get_json()["items"]]  # noqa
    assert items(pupil_id=ben.id) == [both.id]
    assert set(items(pupil_id=ava.id)) == {first.id, both.id}
    one = dsl.get(url, query_string={"per_page": 1, "pupil_id": ava.id}).get_json()
    assert len(one["items"]) == 1 and one["total"] == 2 and one["previous"] is None
    # the next link keeps the filters and leads to the other concern, and back again
    older = dsl.get(one["next"]).get_json()
    assert f"pupil_id={ava.id}" in one["next"] and older["next"] is None
    assert [c["id"] for c in one["items"] + older["items"]] == [both.id, first.id]
    assert dsl.get(older["previous"]).get_json()["items"] == one["items"]
    for bad in ({"per_page": 0}, {"per_page": 101}):
        r = dsl.get(url, query_string=bad)
        assert r.status_code == 422 and "per_page" in r.get_json()["errors"]["query"]
