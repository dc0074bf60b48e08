"""``POST .../pupils/{id}/leave`` (take off roll with a destination or "not known"),
``PATCH .../pupils/{id}`` (details, with history) and ``GET .../pupils/{id}/history``."""
import datetime as dt

from sqlalchemy import select

from core.models import AuditEntry, Pupil, PupilChange


def _url(school, pupil, tail=""):
    return f"/api/v1/schools/{school.id}/pupils/{pupil.id}{tail}"


def test_leave_with_a_destination_or_not_known(caller, make_school, make_pupil, session):
    school = make_school()
    going, gone = make_pupil(school), make_pupil(school)
    admin = caller("school_admin", school)
    r = admin.post(_url(school, going, "/leave"),
                   json={"date": "2026-11-11", "reason": "Moved house",
                         "destination_urn": "123456"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["on_roll_to"], body["destination_urn"], body["destination_unknown"]) == \
        ("2026-11-11", "123456", False)
    r = caller("dsl", school).post(_url(school, gone, "/leave"),
                                   json={"date": "2026-11-12", "reason": "Did not return",
                                         "destination_unknown": True})
    assert r.status_code == 200 and r.get_json()["destination_unknown"] is True
    session.expire_all()
    assert session.get(Pupil, gone.id).on_roll_to == dt.date(2026, 11, 12)
    details = {e.object_id: e.detail for e in session.scalars(
        select(AuditEntry).where(AuditEntry.action == "pupil.left"))}
    assert details[str(gone.id)]["destination_unknown"] is True
    assert details[str(going.id)]["destination_unknown"] is False


def test_leave_errors_name_the_field_and_change_nothing(caller, make_school, make_pupil,
                                                         session):
    school = make_school()
    pupil = make_pupil(school, on_roll_from=dt.date(2025, 9, 3))
    dsl = caller("dsl", school)
    url = _url(school, pupil, "/leave")

    def errors(payload):
        r = dsl.post(url, json=payload)
        assert r.status_code == 422, r.get_json()
        return r.get_json()["errors"]["json"]

    assert set(errors({})) == {"date", "reason", "destination_urn"}
    assert "destination_urn" in errors({"date": "2026-11-11", "reason": "Moved"})
    assert "not both" in errors({"date": "2026-11-11", "reason": "Moved",
                                 "destination_urn": "123456",
                                 "destination_unknown": True})["destination_urn"][0]
    assert errors({"date": "2026-11-11", "reason": "Moved", "destination_urn": "12"}) == {
        "destination_urn": ["must be a 6-digit URN"]}
    assert "own URN" in errors({"date": "2026-11-11", "reason": "Moved",
                                "destination_urn": school.urn})["destination_urn"][0]
    assert "date" in errors({"date": "2025-09-01", "reason": "Moved",
                             "destination_urn": "123456"})
    assert "date" in errors({"date": "2099-01-01", "reason": "Moved",
                             "destination_urn": "123456"})
    assert "where" in errors({"date": "2026-11-11", "reason": "Moved",
                              "destination_unknown": True, "where": "x"})
    assert session.get(Pupil, pupil.id).on_roll_to is None
    ok = dsl.post(url, json={"date": "2026-11-11", "reason": "Moved",
                             "destination_urn": "123456"})
    assert ok.status_code == 200
    assert "already off roll" in errors({"date": "2026-11-11", "reason": "Moved",
                                         "destination_urn": "123456"})["pupil"][0]


def test_leave_and_details_are_not_for_staff_nor_another_school(caller, make_school,
                                                                 make_pupil, session):
    school, other = make_school(), make_school()
    pupil = make_pupil(school)
    for who in (caller("staff", school), caller("headteacher", school),
                caller("dsl", other), caller("school_admin", other)):
        assert who.post(_url(school, pupil, "/leave"),
                        json={"date": "2026-11-11", "reason": "x",
                              "destination_unknown": True}).status_code == 404
        assert who.open(_url(school, pupil), "PATCH",
                        json={"first_name": "X"}).status_code == 404
    assert session.get(Pupil, pupil.id).on_roll_to is None
    assert session.get(Pupil, pupil.id).first_name != "X"


def test_details_change_with_history_for_the_dsl_team(caller, make_school, make_pupil,
                                                       session):
    school = make_school()
    pupil = make_pupil(school, first_name="Jon", year_group=4)
    admin, dsl = caller("school_admin", school), caller("dsl", school)
    r = admin.open(_url(school, pupil), "PATCH", json={"first_name": "Jonathan",
                                                       "preferred_name": "Jon",
                                                       "year_group": 5})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["first_name"], r.get_json()["year_group"]) == ("Jonathan", 5)
    bad = admin.open(_url(school, pupil), "PATCH", json={"year_group": 20, "nickname": "J"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["json"]) == {"year_group", "nickname"}
    assert admin.get(_url(school, pupil, "/history")).status_code == 404  # not a case reader
    history = dsl.get(_url(school, pupil, "/history"))
    assert history.status_code == 200
    rows = {(h["field"], h["old_value"], h["new_value"]) for h in history.get_json()}
    assert rows == {("first_name", "Jon", "Jonathan"), ("preferred_name", None, "Jon"),
                    ("year_group", "4", "5")}
    assert {h["changed_by_id"] for h in history.get_json()} == {admin.user.id}
    assert session.scalar(select(AuditEntry).where(
        AuditEntry.action == "pupil.history_read", AuditEntry.object_id == str(pupil.id)))
    assert len(session.scalars(select(PupilChange)).all()) == 3


def test_the_openapi_document_describes_leaving(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/schools/{school_id}/pupils/{pupil_id}/leave"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    props = doc["components"]["schemas"][ref]["properties"]
    assert {"date", "reason", "destination_urn", "destination_unknown"} <= set(props)
    assert "patch" in doc["paths"]["/api/v1/schools/{school_id}/pupils/{pupil_id}"]
