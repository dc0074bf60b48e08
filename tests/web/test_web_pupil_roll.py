"""Keeping the roll from the pages: the roll (school admins), a pupil's details page where the
DSL team and school admins change details (history kept, shown to the DSL team on the pupil
page) and take the pupil off roll with a destination or "not known"; staff get 404."""
from __future__ import annotations

import datetime as dt

from tests.web.conftest import CSRF_VALUE
from sqlalchemy import select

from core.db import system_scope
from core.models import AuditEntry, Pupil, PupilChange


def _details(world):
    return f"/schools/{world.school.id}/pupils/{world.pupil.id}/details"


def _leave(client, world, **data):
    return client.post(f"/schools/{world.school.id}/pupils/{world.pupil.id}/leave",
                       data={"csrf_token": CSRF_VALUE, **data})


def _edit(client, world, **changes):
    values = {"first_name": "Amelia", "last_name": "Okafor", "preferred_name": "",
              "date_of_birth": "2015-05-01", "year_group": "4", "gender": "U", "upn": "",
              "address": ""}
    return client.post(_details(world), data={"csrf_token": CSRF_VALUE, **values, **changes})


def test_the_admin_finds_the_pupil_on_the_roll_and_takes_them_off(client, as_role, world,
                                                                   session):
    as_role("school_admin")
    admin_page = client.get(f"/admin/schools/{world.school.id}").text
    assert f"/schools/{world.school.id}/roll" in admin_page
    roll = client.get(f"/schools/{world.school.id}/roll?q=okaf").text
    assert "Okafor, Amelia" in roll and _details(world) in roll
    page = client.get(_details(world)).text
    assert "Take off roll" in page and "Arrived without a coat" not in page  # no case file
    resp = _leave(client, world, date="2026-11-11", reason="Family moved house",
                  destination="school", destination_urn="123456")
    assert resp.status_code == 302
    with system_scope(session, "test"):
        p = session.get(Pupil, world.pupil.id)
        session.refresh(p)
        assert (p.on_roll_to, p.leaving_reason, p.destination_urn) == \
            (dt.date(2026, 11, 11), "Family moved house", "123456")
    after = client.get(_details(world)).text
    assert "off roll after 11 November 2026" in after and 'id="leave-h"' not in after
    assert "Okafor, Amelia" not in client.get(f"/schools/{world.school.id}/roll").text


def test_bad_leaving_keeps_what_was_typed_and_names_the_field(client, as_role, world, session):
    as_role("dsl")
    resp = _leave(client, world, date="2026-11-11", reason="Moved away",
                  destination="school", destination_urn=world.school.urn)
    assert resp.status_code == 422
    assert "own URN" in resp.text and 'value="Moved away"' in resp.text
    resp = _leave(client, world, date="2026-11-11", reason="", destination="school",
                  destination_urn="")
    assert resp.status_code == 422
    assert 'id="reason-error"' in resp.text and 'id="destination_urn-error"' in resp.text
    resp = _leave(client, world, date="2020-01-01", reason="Moved", destination="unknown")
    assert resp.status_code == 422 and "before the pupil joined" in resp.text
    with system_scope(session, "test"):
        assert session.get(Pupil, world.pupil.id).on_roll_to is None


def test_not_known_is_accepted_without_a_urn(client, as_role, world, session):
    as_role("deputy_dsl")
    assert _leave(client, world, date="2026-11-11", reason="Did not return after half-term",
                  destination="unknown", destination_urn="").status_code == 302
    with system_scope(session, "test"):
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "pupil.left",
                                                        AuditEntry.object_id == str(world.pupil.id)))
        assert entry.detail["destination_unknown"] is True
    page = client.get(f"/schools/{world.school.id}/pupils/{world.pupil.id}").text
    assert "destination not known" in page, page[page.find("Profile"):][:1500]


def test_details_changes_are_kept_and_shown_to_the_dsl_team(client, as_role, world, session):
    as_role("school_admin")
    assert _edit(client, world, first_name="Amelie", preferred_name="Millie",
                 year_group="5").status_code == 302
    bad = _edit(client, world, first_name="", year_group="5")
    assert bad.status_code == 422 and 'id="first_name-error"' in bad.text
    bad = _edit(client, world, first_name="Amelie", year_group="20")
    assert bad.status_code == 422 and 'id="year_group-error"' in bad.text
    assert 'value="Amelie"' in bad.text  # what was typed is kept
    with system_scope(session, "test"):
        changes = {(c.field, c.old_value, c.new_value)
                   for c in session.scalars(select(PupilChange))}
    assert changes == {("first_name", "Amelia", "Amelie"), ("preferred_name", None, "Millie"),
                       ("year_group", "4", "5")}
    # the admin keeps the roll but does not read the pupil page (the case file)
    assert client.get(f"/schools/{world.school.id}/pupils/{world.pupil.id}").status_code == 404
    as_role("dsl")
    page = client.get(f"/schools/{world.school.id}/pupils/{world.pupil.id}").text
    assert "Changes to these details (3)" in page
    assert "First name from “Amelia” to “Amelie”" in page
    assert _details(world) in page  # the DSL's way to the forms


def test_staff_and_headteacher_get_404_and_change_nothing(client, as_role, world, session):
    for role in ("staff", "headteacher"):
        as_role(role)
        assert client.get(_details(world)).status_code == 404
        assert client.get(f"/schools/{world.school.id}/roll").status_code == 404
        assert _edit(client, world, first_name="Changed").status_code == 404
        assert _leave(client, world, date="2026-11-11", reason="x",
                      destination="unknown").status_code == 404
    as_role("dsl", school=world.other)
    assert client.get(_details(world)).status_code == 404
    with system_scope(session, "test"):
        p = session.get(Pupil, world.pupil.id)
        assert (p.first_name, p.on_roll_to) == ("Amelia", None)
        assert session.scalars(select(PupilChange)).all() == []
