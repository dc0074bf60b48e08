"""The family suggestions pages: a DSL sees their own pupil and "a child at <school>" with that
school's DSLs, confirms for their school (the link waits for the other school) or dismisses
with a reason; a form that fails comes back naming the field; the trust lead sees both
children and links alone."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web.conftest import CSRF_VALUE

from core import family_suggestions as fs
from core.db import system_scope
from core.models import FamilyLink
from core.models.family_suggestions import FamilySuggestion, FamilySuggestionDecision


def _suggest(session, world, make_pupil):
    ben = make_pupil(world.school, first_name="Ben", last_name="Hart",
                     address="3 Elm Street, York YO1 7HH")
    ria = make_pupil(world.other, first_name="Ria", last_name="Hidden", year_group=9,
                     address="3 elm street, york  yo17hh")
    fs.suggest_family_links(session, world.trust.id, today=dt.date(2026, 11, 2))
    row = session.scalar(select(FamilySuggestion))
    return ben, ria, row


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF_VALUE, **data})


def test_a_dsl_sees_only_their_own_child_and_confirms_for_their_school(
        client, as_role, world, make_pupil, make_user, session):
    ben, ria, row = _suggest(session, world, make_pupil)
    their_dsl, _ = make_user("dsl", world.other)
    as_role("dsl")
    page = f"/schools/{world.school.id}/family-suggestions"
    body = client.get(page).get_data(as_text=True)
    assert "Ben Hart" in body and "a child at Riverside Secondary" in body
    assert their_dsl.email in body and "Lives at the same address" in body
    assert "Ria" not in body and "Hidden" not in body
    resp = _post(client, f"{page}/{row.id}/confirm", relation="sibling", reason="")
    assert resp.status_code == 302
    body = client.get(page).get_data(as_text=True)
    assert "Your school has confirmed" in body
    with system_scope(session, "check"):
        assert session.scalar(select(FamilyLink.id).where(
            FamilyLink.pupil_id == row.pupil_id,
            FamilyLink.related_pupil_id == row.related_pupil_id)) is None
    # the other school's DSL completes it
    as_role("dsl", school=world.other)
    other_page = f"/schools/{world.other.id}/family-suggestions"
    body = client.get(other_page).get_data(as_text=True)
    assert "Ria Hidden" in body and "Ben" not in body and "a child at Northfield Primary" in body
    resp = _post(client, f"{other_page}/{row.id}/confirm", relation="sibling")
    assert resp.status_code == 302
    with system_scope(session, "check"):
        assert session.scalar(select(FamilyLink.relation).where(
            FamilyLink.pupil_id == row.pupil_id,
            FamilyLink.related_pupil_id == row.related_pupil_id)) == "sibling"


def test_a_dismissal_without_a_reason_comes_back_naming_the_field(
        client, as_role, world, make_pupil, session):
    _, _, row = _suggest(session, world, make_pupil)
    as_role("dsl")
    page = f"/schools/{world.school.id}/family-suggestions"
    resp = _post(client, f"{page}/{row.id}/dismiss", reason="  ")
    assert resp.status_code == 422
    assert "Reason is required" in resp.get_data(as_text=True)
    resp = _post(client, f"{page}/{row.id}/confirm", relation="", reason="checked")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Relation is required" in body, body
    resp = _post(client, f"{page}/{row.id}/dismiss", reason="Two flats at number 3")
    assert resp.status_code == 302
    with system_scope(session, "check"):
        assert session.scalar(select(FamilySuggestionDecision.reason)) == \
            "Two flats at number 3"
    assert "No suggestions wait" in client.get(page).get_data(as_text=True)


def test_the_trust_lead_sees_both_children_and_others_hear_not_found(
        client, as_role, world, make_pupil, session):
    _, _, row = _suggest(session, world, make_pupil)
    for role in ("school_admin", "staff", "headteacher"):
        as_role(role)
        assert client.get(f"/schools/{world.school.id}/family-suggestions").status_code == 404
        assert _post(client, f"/schools/{world.school.id}/family-suggestions/{row.id}/dismiss",
                     reason="x").status_code == 404
    as_role("dsl", school=world.other)  # a DSL deciding through a school that is not theirs
    assert _post(client, f"/schools/{world.school.id}/family-suggestions/{row.id}/dismiss",
                 reason="x").status_code == 404
    as_role("trust_lead", mfa=False)
    assert client.get("/trust/family-suggestions").status_code == 404
    as_role("trust_lead")
    body = client.get("/trust/family-suggestions").get_data(as_text=True)
    assert "Ben Hart" in body and "Ria Hidden" in body and "Riverside Secondary" in body
    resp = _post(client, f"/trust/{world.trust.id}/family-suggestions/{row.id}/confirm",
                 relation="half_sibling", reason="Checked with both DSLs")
    assert resp.status_code == 302
    with system_scope(session, "check"):
        assert session.scalar(select(FamilySuggestion.status)
                              .where(FamilySuggestion.id == row.id)) == "linked"
