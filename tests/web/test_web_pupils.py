"""Pupil pages: the list and search, the profile, flags (history; start and end), family across
the trust (named; opened only where allowed), plugin panels, the chronology with its filters
and the PDF export (audited)."""
from __future__ import annotations

import datetime as dt
import re

from tests.web.conftest import CSRF_VALUE
from sqlalchemy import select

from core.models import AuditEntry, PupilFlag


def _page(world, query=""):
    return f"/schools/{world.school.id}/pupils/{world.pupil.id}{query}"


def test_the_list_searches_by_name_and_hides_leavers_unless_asked(client, as_role, world,
                                                                   make_pupil):
    make_pupil(world.school, first_name="Theo", last_name="Brown",
               on_roll_to=dt.date(2026, 7, 22), leaving_reason="Moved away")
    as_role("dsl")
    base = f"/schools/{world.school.id}/pupils"
    body = client.get(base + "?q=okafor").get_data(as_text=True)
    assert "Okafor, Amelia" in body and "Brown" not in body
    assert "Brown, Theo" not in client.get(base).get_data(as_text=True)
    assert "Left 22 July 2026" in client.get(base + "?q=brown&left=1").get_data(as_text=True)


def test_the_pupil_page_shows_profile_family_panels_and_chronology(client, as_role, world):
    as_role("dsl")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Amelia Okafor" in body and "Year 4" in body
    # the sibling at the other school is named, with the school, but not a link for this DSL
    assert "Kai Okafor" in body and "Riverside Secondary" in body
    assert f'/schools/{world.other.id}/pupils/{world.sibling.id}' not in body
    assert "Tiny pupil panel" in body and f"tiny pupil {world.pupil.id}" in body
    assert "Arrived without a coat in the rain." in body  # the concern in the chronology
    assert "Tiny plugin event" in body and "Joined the school" in body
    assert f'href="/schools/{world.school.id}/concerns/new?pupil_id={world.pupil.id}"' in body


def test_the_trust_lead_may_open_the_sibling_in_the_other_school(client, as_role, world):
    as_role("trust_lead")
    body = client.get(_page(world)).get_data(as_text=True)
    assert f'href="/schools/{world.other.id}/pupils/{world.sibling.id}">Kai Okafor' in body
    assert "Start or end a flag" not in body  # reads, does not write


def test_chronology_filters_by_kind_and_dates(client, as_role, world):
    as_role("dsl")
    only_tiny = client.get(_page(world, "?kind=tinyweb")).get_data(as_text=True)
    timeline = only_tiny[only_tiny.index('id="chron-h"'):]
    assert "Tiny plugin event" in timeline and "Arrived without a coat" not in timeline
    assert "Joined the school" not in timeline
    concerns_only = client.get(_page(world, "?kind=concern")).get_data(as_text=True)
    timeline = concerns_only[concerns_only.index('id="chron-h"'):]
    assert "Arrived without a coat" in timeline and "Tiny plugin event" not in timeline
    # the concern happened on 5 October 2026, the tiny event on 1 October
    ranged = client.get(_page(world, "?start=2026-10-03&end=2026-10-31")).get_data(as_text=True)
    timeline = ranged[ranged.index('id="chron-h"'):]
    assert "Arrived without a coat" in timeline and "Tiny plugin event" not in timeline
    bad = client.get(_page(world, "?start=2026-10-31&end=2026-10-01")).get_data(as_text=True)
    assert "Must be on or after the start date" in bad


def test_the_pdf_export_is_a_pdf_and_audited(client, as_role, world, session):
    user, _ = as_role("dsl")
    resp = client.get(_page(world, "/chronology.pdf?kind=concern"))
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "chronology.exported", AuditEntry.user_id == user.id)).one()
    assert entry.detail["kinds"] == ["concern"] and entry.detail["items"] == 1


def test_the_dsl_starts_and_ends_a_flag_and_the_history_stays(client, as_role, world, session):
    as_role("dsl")
    url = _page(world, "/flags")
    assert client.post(url, data={"csrf_token": CSRF_VALUE, "op": "start", "flag": "young_carer",
                                  "date": "2026-09-01", "note": "Cares for mum"}).status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    assert re.search(r'badge-flag">Young carer', body)
    resp = client.post(url, data={"csrf_token": CSRF_VALUE, "op": "end", "flag": "young_carer",
                                  "date": "2026-08-01"})
    assert resp.status_code == 422
    assert "Cannot be before the flag started" in resp.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": CSRF_VALUE, "op": "end", "flag": "young_carer",
                                  "date": "2026-10-01"}).status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    assert "No active flags." in body
    assert "Young carer: 1 September 2026 to 1 October 2026" in body
    rows = session.scalars(select(PupilFlag).where(PupilFlag.pupil_id == world.pupil.id)).all()
    assert [(r.flag, r.start_date, r.end_date) for r in rows] == [
        ("young_carer", dt.date(2026, 9, 1), dt.date(2026, 10, 1))]


def test_a_bad_flag_form_keeps_its_input(client, as_role, world):
    as_role("dsl")
    resp = client.post(_page(world, "/flags"), data={"csrf_token": CSRF_VALUE, "op": "start",
                                                     "flag": "", "date": "soon",
                                                     "note": "Keep this note"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="flag-error">.*Choose one', body)
    assert re.search(r'id="date-error">.*Is not a date', body)
    assert 'value="Keep this note"' in body


def test_no_one_outside_the_case_team_reaches_a_pupil(client, as_role, world, session):
    for role in ("staff", "headteacher", "school_admin", "trust_admin"):
        as_role(role)
        assert client.get(_page(world)).status_code == 404
        assert client.get(_page(world, "/chronology.pdf")).status_code == 404
    as_role("dsl", school=world.other)
    assert client.get(_page(world)).status_code == 404
    # another school's DSL cannot open a pupil of this school through their own school's URL
    assert client.get(f"/schools/{world.other.id}/pupils/{world.pupil.id}").status_code == 404
    assert not session.scalars(select(AuditEntry).where(
        AuditEntry.action == "chronology.read")).first()


def test_a_plugin_switched_off_leaves_the_pupil_page(client, as_role, world, session, host):
    host.set_enabled(session, world.school.id, "tinyweb", False)
    as_role("dsl")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Tiny pupil panel" not in body and "Tiny plugin event" not in body
    assert 'value="tinyweb"' not in body  # nor offered as a chronology filter
