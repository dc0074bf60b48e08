"""The family suggestion endpoints: what a DSL and the trust lead are told, the field named
on bad input (422), and 404 for everyone else."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import family_suggestions as fs
from core.models import FamilyLink
from core.models.family_suggestions import FamilySuggestion


def _world(session, make_trust, make_school, make_pupil):
    trust = make_trust()
    a = make_school(trust, name="Northfield Primary")
    b = make_school(trust, name="Riverside Secondary")
    kai = make_pupil(a, first_name="Kai", last_name="Nowak", address="14 Larch Close LS6 2AB")
    maja = make_pupil(b, first_name="Maja", last_name="Nowak", year_group=8,
                      address="14, Larch Close, ls62ab")
    fs.suggest_family_links(session, trust.id, today=dt.date(2026, 11, 2))
    return trust, a, b, kai, maja, session.scalar(select(FamilySuggestion))


def test_each_school_confirms_through_the_api_and_only_then_they_are_linked(
        caller, session, make_trust, make_school, make_pupil):
    trust, a, b, kai, maja, row = _world(session, make_trust, make_school, make_pupil)
    dsl_a, dsl_b = caller("dsl", a), caller("dsl", b)
    [seen] = dsl_a.get(f"/api/v1/schools/{a.id}/family-suggestions").get_json()
    assert seen["pupils"] == [{"id": kai.id, "name": "Kai Nowak", "year": "Year 5"}]
    assert seen["other_school"] == {"name": "Riverside Secondary", "dsls": [
        {"name": dsl_b.user.name, "email": dsl_b.user.email, "role": "DSL"}]}
    assert "Maja" not in str(seen)
    resp = dsl_a.post(f"/api/v1/schools/{a.id}/family-suggestions/{row.id}/confirm",
                      json={"relation": "sibling"})
    assert resp.status_code == 200 and resp.get_json() == {
        "id": row.id, "status": "open", "link_id": None}
    resp = dsl_b.post(f"/api/v1/schools/{b.id}/family-suggestions/{row.id}/confirm",
                      json={"relation": "sibling", "reason": "Same mother"})
    body = resp.get_json()
    assert body["status"] == "linked"
    assert session.get(FamilyLink, body["link_id"]).relation == "sibling"


def test_bad_input_names_the_field_and_outsiders_hear_404(
        caller, session, make_trust, make_school, make_pupil):
    trust, a, b, kai, maja, row = _world(session, make_trust, make_school, make_pupil)
    dsl_a = caller("dsl", a)
    url = f"/api/v1/schools/{a.id}/family-suggestions/{row.id}"
    resp = dsl_a.post(url + "/confirm", json={"relation": "uncle"})
    assert resp.status_code == 422 and "relation" in resp.get_json()["errors"]["json"]
    resp = dsl_a.post(url + "/dismiss", json={"reason": ""})
    assert resp.status_code == 422 and "reason" in resp.get_json()["errors"]["json"]
    resp = dsl_a.post(url + "/dismiss", json={"reason": "   "})
    assert resp.status_code == 422 and "reason" in resp.get_json()["errors"]["json"]
    third = make_school(trust)
    dsl_c = caller("dsl", third)
    assert dsl_c.post(f"/api/v1/schools/{third.id}/family-suggestions/{row.id}/dismiss",
                      json={"reason": "no"}).status_code == 404
    for role, where in (("school_admin", a), ("staff", a)):
        assert caller(role, where).get(
            f"/api/v1/schools/{a.id}/family-suggestions").status_code == 404
    admin = caller("trust_admin", trust=trust)
    assert admin.get(f"/api/v1/trusts/{trust.id}/family-suggestions").status_code == 404
    assert admin.post(f"/api/v1/trusts/{trust.id}/family-suggestions/{row.id}/dismiss",
                      json={"reason": "x"}).status_code == 404
    assert session.get(FamilySuggestion, row.id).status == "open"


def test_the_trust_lead_lists_both_children_and_dismisses(
        caller, session, make_trust, make_school, make_pupil):
    trust, a, b, kai, maja, row = _world(session, make_trust, make_school, make_pupil)
    lead = caller("trust_lead", trust=trust)
    [seen] = lead.get(f"/api/v1/trusts/{trust.id}/family-suggestions").get_json()
    assert [(p["name"], p["school_name"]) for p in seen["pupils"]] == [
        ("Kai Nowak", "Northfield Primary"), ("Maja Nowak", "Riverside Secondary")]
    resp = lead.post(f"/api/v1/trusts/{trust.id}/family-suggestions/{row.id}/dismiss",
                     json={"reason": "Different families in two flats"})
    assert resp.get_json()["status"] == "dismissed"
    again = lead.post(f"/api/v1/trusts/{trust.id}/family-suggestions/{row.id}/dismiss",
                      json={"reason": "again"})
    assert again.status_code == 422
    assert again.get_json()["errors"]["json"]["suggestion"] == ["was already dismissed"]
