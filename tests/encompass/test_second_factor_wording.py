"""Whoever holds something that grants a second-factor action is asked for one at sign-in, a
member of staff who is a key adult for Operation Encompass included (an object check, not a
role), and the sign-in pages say why in terms of what the person really holds (issue 14)."""
from __future__ import annotations

from plugins.encompass.models import KeyAdult

CSRF_VALUE = "test-csrf-token"


def _sign_in(client, email):
    with client.session_transaction() as sess:
        sess["csrf_token"] = CSRF_VALUE
    return client.post("/login", data={"csrf_token": CSRF_VALUE, "email": email,
                                       "password": "correct horse battery"})


def test_a_key_adult_with_a_staff_role_is_asked_for_a_second_factor(client, session, make_school,
                                                                    make_user):
    school = make_school()
    staff, _ = make_user("staff", school=school)
    resp = _sign_in(client, staff.email)
    assert resp.status_code == 302 and "/login/" not in resp.headers["Location"]
    client.post("/logout", data={"csrf_token": CSRF_VALUE})
    session.add(KeyAdult(school_id=school.id, user_id=staff.id))
    session.flush()
    resp = _sign_in(client, staff.email)
    assert resp.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").text
    assert "Operation Encompass" in page and "child protection records" not in page
    assert client.get(f"/schools/{school.id}/encompass/").status_code == 302


def test_the_second_factor_page_names_a_dsls_role(client, make_school, make_user):
    school = make_school()
    dsl, _ = make_user("dsl", school=school)
    resp = _sign_in(client, dsl.email)
    assert resp.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").text
    assert "Your role reads child protection records" in page
    assert "Operation Encompass" not in page
