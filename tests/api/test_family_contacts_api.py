"""The family and agency-contact endpoints: what each answers, the field named on bad input,
and that a DSL of another school hears 404 for everything of this school's."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.calendar import london_today
from core.models import AgencyContact, AuditEntry, FamilyLink


def _world(make_trust, make_school, make_pupil):
    trust = make_trust()
    a = make_school(trust, name="Northfield Primary")
    b = make_school(trust, name="Riverside Secondary")
    kai = make_pupil(a, first_name="Kai", last_name="Nowak", address="14 Larch Close LS6 2AB")
    maja = make_pupil(b, first_name="Maja", last_name="Nowak", year_group=8,
                      address="14, Larch Close, ls62ab")
    return trust, a, b, kai, maja


def test_search_link_list_and_end_through_the_api(caller, session, make_trust, make_school,
                                                   make_pupil):
    trust, a, b, kai, maja = _world(make_trust, make_school, make_pupil)
    dsl = caller("dsl", a)
    base = f"/api/v1/schools/{a.id}/pupils/{kai.id}/family"
    found = dsl.get(base + "/search?q=nowak").get_json()
    assert found == [{"pupil_id": maja.id, "name": "Maja Nowak", "year": "Year 8",
                      "school_id": b.id, "school_name": "Riverside Secondary", "on_roll": True,
                      "can_open": False, "linked": False}]
    # Maja shares the address but is at another school: not named here (family-suggestions)
    assert dsl.get(base + "/suggestions").get_json() == []
    resp = dsl.post(base, json={"related_pupil_id": maja.id, "relation": "half_sibling"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["name"], body["relation_label"], body["school_name"], body["current"]) == \
        ("Maja Nowak", "Half-sibling", "Riverside Secondary", True)
    assert dsl.get(base + "/suggestions").get_json() == []  # linked: no longer suggested
    # the other school's DSL sees the link on their pupil
    dsl_b = caller("dsl", b)
    theirs = dsl_b.get(f"/api/v1/schools/{b.id}/pupils/{maja.id}/family").get_json()
    assert [(m["name"], m["school_name"]) for m in theirs] == [("Kai Nowak",
                                                                "Northfield Primary")]
    resp = dsl.post(f"{base}/{body['link_id']}/end", json={"reason": "Recorded in error"})
    assert resp.status_code == 200
    assert (resp.get_json()["current"], resp.get_json()["ended_on"]) == \
        (False, london_today().isoformat())
    assert session.get(FamilyLink, body["link_id"]) is not None
    again = dsl.post(f"{base}/{body['link_id']}/end", json={})
    assert again.status_code == 422 and "link" in again.get_json()["errors"]["json"]


def test_bad_family_input_names_the_field(caller, make_trust, make_school, make_pupil):
    trust, a, b, kai, maja = _world(make_trust, make_school, make_pupil)
    outsider = make_pupil(make_school())
    dsl = caller("dsl", a)
    base = f"/api/v1/schools/{a.id}/pupils/{kai.id}/family"
    for body, field in (({"related_pupil_id": outsider.id, "relation": "sibling"},
                         "related_pupil_id"),
                        ({"related_pupil_id": kai.id, "relation": "sibling"},
                         "related_pupil_id"),
                        ({"related_pupil_id": maja.id, "relation": "uncle"}, "relation"),
                        ({"related_pupil_id": "x", "relation": "sibling"}, "related_pupil_id"),
                        ({"relation": "sibling"}, "related_pupil_id")):
        resp = dsl.post(base, json=body)
        assert resp.status_code == 422, body
        assert field in resp.get_json()["errors"]["json"], (body, resp.get_json())
    assert dsl.get(base + "/search").status_code == 422
    future = (london_today() + dt.timedelta(days=2)).isoformat()
    link = dsl.post(base, json={"related_pupil_id": maja.id, "relation": "sibling"}).get_json()
    resp = dsl.post(f"{base}/{link['link_id']}/end", json={"ended_on": future})
    assert resp.status_code == 422 and "ended_on" in resp.get_json()["errors"]["json"]


def test_dismissed_suggestions_stay_dismissed(caller, session, make_trust, make_school,
                                              make_pupil):
    trust, a, b, kai, maja = _world(make_trust, make_school, make_pupil)
    ola = make_pupil(a, first_name="Ola", address="14 larch close, LS6 2AB")
    dsl = caller("dsl", a)
    base = f"/api/v1/schools/{a.id}/pupils/{kai.id}/family"
    assert [(s["pupil_id"], s["reason"]) for s in dsl.get(base + "/suggestions").get_json()] \
        == [(ola.id, "Same address")]
    resp = dsl.post(f"{base}/suggestions/{ola.id}/dismiss")
    assert resp.status_code == 200 and resp.get_json()["related_pupil_id"] == ola.id
    assert dsl.get(base + "/suggestions").get_json() == []
    assert dsl.get(base).get_json() == []
    assert session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "family.suggestion_dismissed")) is not None


def test_contacts_through_the_api(caller, session, make_trust, make_school, make_pupil):
    trust, a, b, kai, maja = _world(make_trust, make_school, make_pupil)
    dsl = caller("dsl", a)
    base = f"/api/v1/schools/{a.id}/pupils/{kai.id}/contacts"
    resp = dsl.post(base, json={"role": "social_worker", "name": "Jo Bell",
                                "organisation": "Leeds Children's Social Care",
                                "phone": "0113 496 0000", "email": "jo.bell@example.org",
                                "start_date": "2026-09-14"})
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert (made["role_label"], made["start_date"], made["end_date"]) == \
        ("Social worker", "2026-09-14", None)
    lead = caller("trust_lead", trust=trust)
    listed = lead.get(base).get_json()
    assert [(c["name"], c["email"]) for c in listed] == [("Jo Bell", "jo.bell@example.org")]
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "contacts.read")).all()
    assert reads and reads[-1].user_id == lead.user.id
    for body, field in (({"role": "social_worker", "name": "A", "email": "not-an-email"},
                         "email"),
                        ({"role": "social_worker", "name": "A", "phone": "ring me"}, "phone"),
                        ({"role": "wizard", "name": "A"}, "role"),
                        ({"role": "other"}, "name"),
                        ({"role": "other", "name": "A", "start_date": "2026-09-14",
                          "end_date": "2026-09-01"}, "end_date"),
                        ({"role": "other", "name": "A", "pupil_id": 1}, "pupil_id")):
        resp = dsl.post(base, json=body)
        assert resp.status_code == 422, body
        assert field in resp.get_json()["errors"]["json"], (body, resp.get_json())
    ended = dsl.post(f"{base}/{made['id']}/end", json={"end_date": london_today().isoformat()})
    assert ended.status_code == 200 and ended.get_json()["end_date"] == \
        london_today().isoformat()
    assert session.get(AgencyContact, made["id"]) is not None


def test_a_dsl_of_another_school_gets_404_for_everything(caller, session, make_trust,
                                                         make_school, make_pupil):
    trust, a, b, kai, maja = _world(make_trust, make_school, make_pupil)
    dsl_a = caller("dsl", a)
    contact = dsl_a.post(f"/api/v1/schools/{a.id}/pupils/{kai.id}/contacts",
                         json={"role": "social_worker", "name": "Jo Bell"}).get_json()
    link = dsl_a.post(f"/api/v1/schools/{a.id}/pupils/{kai.id}/family",
                      json={"related_pupil_id": maja.id, "relation": "sibling"}).get_json()
    dsl_b = caller("dsl", b)
    base = f"/api/v1/schools/{a.id}/pupils/{kai.id}"
    for method, url, body in (("GET", base + "/contacts", None),
                              ("POST", base + "/contacts", {"role": "other", "name": "X"}),
                              ("POST", f"{base}/contacts/{contact['id']}/end", {}),
                              ("GET", base + "/family", None),
                              ("GET", base + "/family/search?q=nowak", None),
                              ("GET", base + "/family/suggestions", None),
                              ("POST", f"{base}/family/{link['link_id']}/end", {})):
        resp = dsl_b.open(url, method, json=body)
        assert resp.status_code == 404, (method, url, resp.status_code)
    # through their own school's URL, school A's contact is still not theirs
    resp = dsl_b.post(f"/api/v1/schools/{b.id}/pupils/{maja.id}/contacts/{contact['id']}/end",
                      json={})
    assert resp.status_code == 404
    assert session.get(AgencyContact, contact["id"]).end_date is None
    # staff and admins of the pupil's own school do not read contacts either
    for role in ("staff", "headteacher", "school_admin"):
        assert caller(role, a).get(base + "/contacts").status_code == 404
