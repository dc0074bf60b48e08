"""The police / local authority API: credentials, routing by URN, validation of hostile
payloads, repeats."""
from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from core.models import AuditEntry
from plugins.encompass import clients
from plugins.encompass.models import EncompassNotification

URL = "/api/v1/encompass/notifications"


@pytest.fixture
def world(session, make_trust, make_school, make_pupil):
    import datetime as dt

    trust = make_trust()
    school = make_school(trust=trust)
    sister = make_school(trust=trust)
    off = make_school(trust=trust, plugins=[])
    other_trust_school = make_school()
    make_pupil(school, first_name="Amelia", last_name="Smith", date_of_birth=dt.date(2016, 4, 7))
    return dict(trust=trust, school=school, sister=sister, off=off, foreign=other_trust_school)


def post(client, auth, body):
    headers = {"Authorization": auth} if auth else {}
    return client.post(URL, data=json.dumps(body), headers=headers,
                       content_type="application/json")


def test_a_valid_notification_is_created_then_recognised(client, session, fresh, world, api_client,
                                                         payload):
    auth = api_client(world["trust"])
    r = post(client, auth, payload(urn=world["school"].urn, welfare_check=True))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "created" and body["urn"] == world["school"].urn
    n = fresh().get(EncompassNotification, body["id"])
    assert (n.school_id, n.source, n.welfare_check) == (world["school"].id, "api", True)
    assert n.api_client_id is not None
    again = post(client, auth, payload(urn=world["school"].urn, welfare_check=True))
    assert (again.status_code, again.get_json()["status"], again.get_json()["id"]) == \
        (200, "duplicate", n.id)
    more = post(client, auth, payload(urn=world["school"].urn, summary="Father arrested."))
    assert (more.status_code, more.get_json()["status"]) == (200, "updated")
    assert len(fresh().scalars(select(EncompassNotification)).all()) == 1


@pytest.mark.parametrize("how", ["none", "wrong_secret", "unknown_key", "bearer", "garbage",
                                 "revoked"])
def test_wrong_credentials_get_401(client, session, fresh, world, api_client, payload, how):
    good = api_client(world["trust"])
    key_id = base64.b64decode(good[6:]).decode().split(":")[0]
    auth = {"none": None,
            "wrong_secret": "Basic " + base64.b64encode(f"{key_id}:nope".encode()).decode(),
            "unknown_key": "Basic " + base64.b64encode(b"enc_0000:whatever").decode(),
            "bearer": "Bearer mat_notatoken",
            "garbage": "Basic %%%not-base64",
            "revoked": good}[how]
    if how == "revoked":
        clients.revoke_client(session, key_id)
    r = post(client, auth, payload(urn=world["school"].urn))
    assert r.status_code == 401
    assert fresh().scalars(select(EncompassNotification)).all() == []


@pytest.mark.parametrize("target", ["sister", "foreign", "unknown"])
def test_a_school_credential_reaches_only_its_school(client, session, fresh, world, api_client,
                                                    payload, target):
    auth = api_client(world["trust"], urn=world["school"].urn)
    urn = "999999" if target == "unknown" else world[target].urn
    r = post(client, auth, payload(urn=urn))
    assert r.status_code == 422
    # the same words whether the school exists elsewhere or not at all
    assert r.get_json()["errors"]["json"] == {"urn": [clients.NOT_COVERED]}
    assert fresh().scalars(select(EncompassNotification)).all() == []


def test_a_trust_credential_reaches_its_schools_but_not_another_trusts(client, world,
                                                                       api_client, payload):
    auth = api_client(world["trust"])
    assert post(client, auth, payload(urn=world["sister"].urn)).status_code == 201
    foreign = post(client, auth, payload(urn=world["foreign"].urn, police_reference="X2"))
    unknown = post(client, auth, payload(urn="999999", police_reference="X3"))
    assert foreign.status_code == unknown.status_code == 422
    assert foreign.get_json()["errors"] == unknown.get_json()["errors"]


def test_a_school_with_the_plugin_off_is_refused_clearly(client, world, api_client, payload):
    r = post(client, api_client(world["trust"]), payload(urn=world["off"].urn))
    assert r.status_code == 422 and "urn" in r.get_json()["errors"]["json"]


@pytest.mark.parametrize("change,fields", [
    ({"summary": "<script>alert(1)</script>"}, {"summary"}),
    ({"children": [{"first_name": "<img src=x onerror=alert(1)>", "last_name": "Smith"}]},
     {"children.0.first_name"}),
    ({"force": "x" * 101, "police_reference": 12345}, {"force", "police_reference"}),
    ({"incident_date": 20261003, "child_present": "perhaps"}, {"incident_date", "child_present"}),
    ({"is_admin": True, "school_id": 1}, {"is_admin", "school_id"}),
    ({"children": [{"first_name": "A", "last_name": "B", "nickname": "C"}]},
     {"children.0.nickname"}),
    ({"children": "Amelia Smith"}, {"children"}),
    ({"urn": "12345"}, {"urn"}),
    ({"officer_contact": "call\x00me"}, {"officer_contact"}),
    ({"summary": "a" * 5001}, {"summary"}),
])
def test_hostile_payloads_are_refused_naming_each_field(client, session, fresh, world, api_client,
                                                        payload, change, fields):
    body = payload(urn=world["school"].urn)
    body.update(change)
    r = post(client, api_client(world["trust"]), body)
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == fields
    assert fresh().scalars(select(EncompassNotification)).all() == []


def test_missing_required_fields_and_non_objects(client, world, api_client):
    auth = api_client(world["trust"])
    r = post(client, auth, {"urn": world["school"].urn})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"incident_date", "children"}
    assert post(client, auth, ["not", "an", "object"]).status_code == 422
    bad_json = client.post(URL, data="{not json", headers={"Authorization": auth},
                           content_type="application/json")
    assert bad_json.status_code == 422


def test_an_oversized_body_is_refused(client, world, api_client, payload):
    body = payload(urn=world["school"].urn, summary="a" * 70_000)
    assert post(client, api_client(world["trust"]), body).status_code == 413


def test_the_credential_opens_no_other_endpoint(client, world, api_client):
    auth = api_client(world["trust"])
    r = client.get("/api/v1/schools", headers={"Authorization": auth})
    assert r.status_code == 401


def test_receipt_is_audited_with_the_client(client, session, fresh, world, api_client, payload):
    post(client, api_client(world["trust"]), payload(urn=world["school"].urn))
    entry = fresh().scalar(select(AuditEntry).where(
        AuditEntry.action == "encompass.notification_received"))
    assert entry.school_id == world["school"].id and entry.detail["source"] == "api"
    assert entry.detail["api_client_id"] is not None


def test_the_openapi_document_describes_the_intake(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"][URL]["post"]
    assert op["security"] == [{"encompassClient": []}]
    assert spec["components"]["securitySchemes"]["encompassClient"]["scheme"] == "basic"
    body = spec["components"]["schemas"]["ApiNotification"]
    assert set(body["required"]) == {"urn", "incident_date", "children"}
