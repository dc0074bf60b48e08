"""The pupil page's family and agency-contact sections: find a relative in another school and
link them, end a link, confirm or dismiss a suggestion, add and end a contact; forms that fail
come back naming the field with what was typed; who sees what."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web.conftest import CSRF_VALUE

from core import contacts, families
from core.db import system_scope
from core.models import AgencyContact, AuditEntry, FamilyLink


def _page(world, query=""):
    return f"/schools/{world.school.id}/pupils/{world.pupil.id}{query}"


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF_VALUE, **data})


def test_the_dsl_finds_a_relative_at_another_school_and_links_them(
        client, as_role, world, make_pupil, session):
    cousin = make_pupil(world.other, first_name="Zoë", last_name="Adeyemi", year_group=9)
    as_role("dsl")
    body = client.get(_page(world, "?family_q=zoe")).get_data(as_text=True)
    assert "Zoë Adeyemi" in body and "Year 9, Riverside Secondary" in body
    assert f'name="related_pupil_id" value="{cousin.id}"' in body
    resp = _post(client, _page(world, "/family"), related_pupil_id=str(cousin.id),
                 relation="cousin", which="add")
    assert resp.status_code == 302 and resp.location.endswith("#family")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Zoë Adeyemi" in body and "Cousin; Year 9, Riverside Secondary (another school)" in body
    with system_scope(session, "check"):
        assert session.scalar(select(FamilyLink.relation).where(
            FamilyLink.related_pupil_id == max(world.pupil.id, cousin.id),
            FamilyLink.pupil_id == min(world.pupil.id, cousin.id))) == "cousin"
    # the other school's DSL sees the link on the cousin's page, with no link into this file
    as_role("dsl", school=world.other)
    theirs = client.get(f"/schools/{world.other.id}/pupils/{cousin.id}").get_data(as_text=True)
    assert "Amelia Okafor" in theirs and "Northfield Primary" in theirs
    assert f"/schools/{world.school.id}/pupils/{world.pupil.id}" not in theirs


def test_a_failed_link_comes_back_naming_the_field(client, as_role, world):
    as_role("dsl")
    resp = _post(client, _page(world, "/family"), relation="", which="add", family_q="kai")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Choose the relative from the search results." in body
    assert 'value="kai"' in body  # the search is still there to choose from
    resp = client.get(_page(world, "?family_q=%27"))
    assert "Type at least two letters" in resp.get_data(as_text=True)
    # a pupil already linked: refused, naming them
    resp = _post(client, _page(world, "/family"), related_pupil_id=str(world.sibling.id),
                 relation="sibling", which="add")
    assert resp.status_code == 422 and "Kai Okafor is already linked" in \
        resp.get_data(as_text=True)


def test_ending_a_link_keeps_it_listed_as_ended(client, as_role, world, session):
    as_role("dsl")
    with system_scope(session, "find"):
        link_id = session.scalar(select(FamilyLink.id))
    future = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    resp = _post(client, _page(world, f"/family/{link_id}/end"), ended_on=future)
    assert resp.status_code == 422 and "Cannot be in the future." in resp.get_data(as_text=True)
    resp = _post(client, _page(world, f"/family/{link_id}/end"), reason="Recorded in error")
    assert resp.status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Ended links (1)" in body and "Recorded in error" in body
    assert "No family links recorded." in body
    with system_scope(session, "check"):
        assert session.get(FamilyLink, link_id).ended_on is not None


def test_suggestions_are_confirmed_or_dismissed_never_linked_alone(
        client, as_role, world, make_pupil, session):
    with system_scope(session, "arrange"):
        world.pupil.address = "14 Larch Close, Leeds LS6 2AB"
        session.flush()
    same = make_pupil(world.school, first_name="Ivy", last_name="Hall",
                      address="14 larch close leeds ls62ab")
    make_pupil(world.other, first_name="Zed", last_name="Farr",
               address="14 Larch Close, Leeds LS6 2AB")  # another school: never named here
    other = make_pupil(world.school, first_name="Leo", last_name="Hall",
                       address="14 Larch Close, LEEDS, LS6 2AB")
    as_role("dsl")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Suggested links" in body and "Ivy Hall" in body and "Leo Hall" in body
    assert "Zed Farr" not in body
    assert "same address" in body
    resp = _post(client, _page(world, f"/family/suggestions/{same.id}/dismiss"))
    assert resp.status_code == 302
    resp = _post(client, _page(world, "/family"), related_pupil_id=str(other.id),
                 relation="step_sibling", which="suggest")
    assert resp.status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Suggested links" not in body
    assert "Step-sibling; Year 5, Northfield Primary" in body
    with system_scope(session, "check"):
        assert session.scalar(select(FamilyLink.id).where(
            FamilyLink.pupil_id == min(world.pupil.id, same.id),
            FamilyLink.related_pupil_id == max(world.pupil.id, same.id))) is None


def test_the_dsl_adds_and_ends_an_agency_contact(client, as_role, world, session):
    as_role("dsl")
    resp = _post(client, _page(world, "/contacts"), role="social_worker", name="Jo Bell",
                 organisation="Leeds Children's Social Care", phone="0113 496 0000",
                 email="jo.bell@example.org", notes="Core group every six weeks",
                 start_date="2026-09-14")
    assert resp.status_code == 302 and resp.location.endswith("#contacts")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Social worker: Jo Bell" in body and "Leeds Children&#39;s Social Care" in body
    assert 'href="mailto:jo.bell@example.org"' in body and 'href="tel:01134960000"' in body
    assert "since 14 September 2026" in body
    with system_scope(session, "check"):
        row = session.scalar(select(AgencyContact))
        reads = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "contacts.read")).all()
    assert reads, "showing contacts on the page is an audited read"
    resp = _post(client, _page(world, f"/contacts/{row.id}/end"))
    assert resp.status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Ended contacts (1)" not in body  # ends today: still their last day
    assert f"until {dt.date.today().day}" in body


def test_a_bad_contact_comes_back_with_what_was_typed(client, as_role, world, session):
    as_role("dsl")
    resp = _post(client, _page(world, "/contacts"), role="social_worker", name="Jo Bell",
                 email="jo.bell@", phone="0113 496 0000", start_date="2026-09-14",
                 end_date="2026-09-01")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Is not an email address" in body and "Cannot be before the start date" in body
    assert 'value="jo.bell@"' in body and 'value="0113 496 0000"' in body
    with system_scope(session, "check"):
        assert session.scalar(select(AgencyContact.id)) is None


def test_who_sees_the_sections(client, as_role, world, session, make_user):
    _, dsl = make_user("dsl", world.school)
    with system_scope(session, "arrange"):
        contacts.add_contact(session, dsl, world.school.id, world.pupil.id,
                             role="school_nurse", name="Priya Shah")
    as_role("trust_lead")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "School nurse: Priya Shah" in body
    assert "Add a contact" not in body and "Link a relative" not in body
    as_role("dsl", school=world.other)
    assert client.get(_page(world)).status_code == 404
    resp = _post(client, _page(world, "/contacts"), role="other", name="X")
    assert resp.status_code == 404
    for role in ("staff", "headteacher", "school_admin"):
        as_role(role)
        assert client.get(_page(world)).status_code == 404
        assert _post(client, _page(world, "/family"), related_pupil_id="1",
                     relation="sibling").status_code == 404
    assert families.RELATION_LABELS["same_household"] == "Other household member"
