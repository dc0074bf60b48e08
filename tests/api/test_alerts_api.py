from core import alerts


def test_alerts_are_listed_marked_read_and_stay_findable(caller, make_school, session):
    school = make_school()
    first, _ = alerts.raise_alert(session, school.id, "test", "First", "k-1")
    second, _ = alerts.raise_alert(session, school.id, "test", "Second", "k-2", plugin="tiny")
    dsl = caller("dsl", school)
    url = f"/api/v1/schools/{school.id}/alerts"
    assert {a["message"] for a in dsl.get(url).get_json()} == {"First", "Second"}
    read = dsl.post(f"{url}/{first.id}/read")
    assert read.status_code == 200 and read.get_json()["read_at"] is not None
    again = caller("deputy_dsl", school).post(f"{url}/{first.id}/read").get_json()
    assert again["read_at"] == read.get_json()["read_at"]  # the first reading is kept
    assert [a["message"] for a in dsl.get(url, query_string={"unread": "true"}).get_json()] == [
        "Second"]
    assert {a["message"] for a in dsl.get(url).get_json()} == {"First", "Second"}
    assert [a["message"] for a in dsl.get(url, query_string={"plugin": "tiny"}).get_json()] == [
        "Second"]


def test_alerts_are_for_the_dsl_team(caller, make_school, session):
    school = make_school()
    alert, _ = alerts.raise_alert(session, school.id, "test", "First", "k-1")
    url = f"/api/v1/schools/{school.id}/alerts"
    for role in ("staff", "headteacher", "school_admin"):
        assert caller(role, school).get(url).status_code == 404
        assert caller(role, school).post(f"{url}/{alert.id}/read").status_code == 404
    assert session.get(type(alert), alert.id).read_at is None
    assert caller("dsl", school).post(f"{url}/987654/read").status_code == 404
