"""A call without a token is told which scheme to use (RFC 6750), with a JSON body."""


def test_api_401_names_the_bearer_scheme(client, make_school):
    school = make_school()
    r = client.get(f"/api/v1/schools/{school.id}/concerns")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="mat-api"'
    assert r.get_json()["code"] == 401


def test_pages_do_not_send_the_api_challenge(client):
    r = client.get("/")
    assert r.status_code == 302 and "WWW-Authenticate" not in r.headers
