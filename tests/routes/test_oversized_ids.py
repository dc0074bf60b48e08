"""Ids beyond the database's integer range name no record: 404 on pages as on the API."""


def test_page_with_an_overflowing_id_is_not_found(client, login_as, make_school):
    school = make_school()
    login_as("dsl", school)
    ok = client.get(f"/schools/{school.id}/dashboard")
    assert ok.status_code == 200
    huge = client.get("/schools/99999999999999999999/dashboard")
    assert huge.status_code == 404 and b"Not found" in huge.data
