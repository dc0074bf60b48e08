"""Families across schools: who forms a family, what the trust lead sees, what a DSL sees of
children elsewhere, the combined indicators (core and plugins through mat_pupil_indicators),
and the family chronology audited as a case-file read of each child."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import family_view, hookimpl, pupils
from core.calendar import LONDON, london_today
from core.contributions import PupilIndicator
from core.errors import NotFound
from core.models import AuditEntry
from core.plugins import make_host, use_host


def _recent(days: int = 3) -> dt.datetime:
    return dt.datetime.combine(london_today() - dt.timedelta(days=days), dt.time(10), LONDON)


@pytest.fixture
def trust_with_family(session, make_trust, make_school, make_pupil, make_concern, make_user):
    """Three schools of one trust: Ada at North, her brother Ben at South, their cousin Cy at
    East (linked to Ben); Dot and Eve, sisters, both at North (one school only); a family in
    another trust. Ada has two recent concerns and one old one; Ben one recent."""
    trust = make_trust()
    north, south, east = (make_school(trust, name=n) for n in ("North", "South", "East"))
    ada = make_pupil(north, first_name="Ada", last_name="Quill")
    ben = make_pupil(south, first_name="Ben", last_name="Quill", year_group=8)
    cy = make_pupil(east, first_name="Cy", last_name="Roe")
    dot, eve = make_pupil(north, first_name="Dot"), make_pupil(north, first_name="Eve")
    pupils.link_family(session, None, ada.id, ben.id, "sibling")
    pupils.link_family(session, None, ben.id, cy.id, "cousin")
    pupils.link_family(session, None, dot.id, eve.id, "sibling")
    other = make_trust()
    x, y = make_school(other), make_school(other)
    pupils.link_family(session, None, make_pupil(x).id, make_pupil(y).id, "sibling")
    make_concern(north, [ada], occurred_at=_recent(3), fact="Hungry at breakfast club.")
    make_concern(north, [ada], occurred_at=_recent(10), fact="Late collection again.")
    make_concern(north, [ada], occurred_at=_recent(400), fact="An old worry.")
    make_concern(south, [ben], occurred_at=_recent(5), fact="Bruise on the wrist.")
    _, lead = make_user("trust_lead", trust=trust)
    dsl_user, dsl_north = make_user("dsl", north)
    dsl_user.name = "Dana North-DSL"
    south_dsl, _ = make_user("dsl", south)
    south_dsl.name = "Sam South-DSL"
    session.flush()
    return dict(trust=trust, north=north, south=south, east=east, ada=ada, ben=ben, cy=cy,
                dot=dot, lead=lead, dsl_north=dsl_north)


def test_the_lead_sees_each_family_across_schools_with_its_recent_figures(
        session, trust_with_family):
    w = trust_with_family
    found = family_view.trust_families(session, w["lead"], w["trust"].id, months=6)
    assert len(found) == 1  # Dot and Eve share one school; the other trust's is not theirs
    [fam] = found
    assert [(c.name, c.school_name, c.visible) for c in fam.children] == [
        ("Cy Roe", "East", True), ("Ada Quill", "North", True), ("Ben Quill", "South", True)]
    by_name = {c.name: c.indicators for c in fam.children}
    assert by_name["Ada Quill"]["Concerns recorded"] == 2  # the 400-day-old one is not recent
    assert by_name["Ben Quill"]["Concerns recorded"] == 1
    assert fam.combined["Concerns recorded"] == 3
    assert fam.key == min(w["ada"].id, w["ben"].id, w["cy"].id)
    [entry] = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "family.across_schools_read")).all()
    assert (entry.trust_id, entry.detail["families"]) == (w["trust"].id, 1)


def test_an_ended_link_no_longer_makes_a_family(session, trust_with_family, make_user):
    w = trust_with_family
    _, dsl_south = make_user("dsl", w["south"])
    from core.families import end_link, family
    for link in family(session, dsl_south, w["south"].id, w["ben"].id):
        end_link(session, dsl_south, w["south"].id, w["ben"].id, link["link_id"])
    assert family_view.trust_families(session, w["lead"], w["trust"].id) == []


def test_a_dsl_sees_children_elsewhere_only_as_the_school_and_its_dsl(session,
                                                                     trust_with_family):
    w = trust_with_family
    [fam] = family_view.school_families(session, w["dsl_north"], w["north"].id)
    mine, *others = fam.children
    assert (mine.name, mine.visible, mine.indicators["Concerns recorded"]) == (
        "Ada Quill", True, 2)
    assert [(c.visible, c.pupil_id, c.name, c.indicators, c.placeholder) for c in others] == [
        (False, None, "", {}, "A child at East, DSL no DSL recorded"),
        (False, None, "", {}, "A child at South, DSL Sam South-DSL")]
    assert fam.combined["Concerns recorded"] == 2  # Ben's concern is not theirs to count
    # the installed plugins answered for Ada only (their figures are zero here)
    assert fam.combined["Open transfers"] == 0 and fam.combined["Encompass notifications"] == 0
    assert fam.hidden == 2
    # the family chronology shows only Ada's entries, and audits only Ada's file
    entries = family_view.family_chronology(session, w["dsl_north"], fam)
    assert {e.child for e in entries} == {"Ada Quill"}
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "chronology.read")
                            ).all()
    assert [(r.object_id, r.school_id) for r in reads] == [(str(w["ada"].id), w["north"].id)]


def test_a_dsl_cannot_open_a_family_through_a_child_of_another_school(session,
                                                                       trust_with_family):
    w = trust_with_family
    with pytest.raises(NotFound):
        family_view.find_family(session, w["dsl_north"], w["ben"].id)
    with pytest.raises(NotFound):
        family_view.find_family(session, w["dsl_north"], w["ada"].id, school_id=w["south"].id)
    with pytest.raises(NotFound):
        family_view.school_families(session, w["dsl_north"], w["south"].id)
    with pytest.raises(NotFound):
        family_view.trust_families(session, w["dsl_north"], w["trust"].id)


def test_the_family_chronology_merges_every_child_and_audits_each_file(session,
                                                                      trust_with_family):
    w = trust_with_family
    fam = family_view.find_family(session, w["lead"], w["ben"].id)
    entries = family_view.family_chronology(session, w["lead"], fam)
    facts = [(e.child, e.item.detail) for e in entries if e.item.kind == "concern"]
    assert facts == [("Ada Quill", "Hungry at breakfast club."),
                     ("Ben Quill", "Bruise on the wrist."),
                     ("Ada Quill", "Late collection again."), ("Ada Quill", "An old worry.")]
    assert [e.item.at for e in entries] == sorted((e.item.at for e in entries), reverse=True)
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "chronology.read")
                            ).all()
    assert sorted((int(r.object_id), r.school_id) for r in reads) == sorted(
        [(w["ada"].id, w["north"].id), (w["ben"].id, w["south"].id), (w["cy"].id, w["east"].id)])
    [fam_read] = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "family.chronology_read")).all()
    assert sorted(fam_read.detail["pupils"]) == sorted([w["ada"].id, w["ben"].id, w["cy"].id])


class _Flags:
    """A throwaway plugin answering mat_pupil_indicators: one yes/no per pupil."""

    def __init__(self):
        self.asked = []

    @hookimpl
    def mat_pupil_indicators(self, session, school_id, pupil_ids, since):
        self.asked.append((school_id, sorted(pupil_ids)))
        return [PupilIndicator("flags", pid, "watch", "On a watch list", True)
                for pid in pupil_ids]


def test_plugin_indicators_come_only_from_schools_where_the_plugin_is_on(
        session, trust_with_family):
    w = trust_with_family
    plugin = _Flags()
    host = make_host(extra=[("flags", plugin)])
    use_host(host)
    host.set_enabled(session, w["north"].id, "flags", True)  # on at North only
    [fam] = family_view.trust_families(session, w["lead"], w["trust"].id)
    by_name = {c.name: c.indicators for c in fam.children}
    assert by_name["Ada Quill"]["On a watch list"] is True
    assert "On a watch list" not in by_name["Ben Quill"]
    assert plugin.asked == [(w["north"].id, [w["ada"].id])]
    assert fam.combined["On a watch list"] == 1


def test_since_for_counts_back_whole_months():
    assert family_view.since_for(6, dt.date(2026, 3, 31)) == dt.date(2025, 9, 28)
    assert family_view.since_for(3, dt.date(2026, 12, 2)) == dt.date(2026, 9, 2)
    assert family_view.since_for(12, dt.date(2026, 1, 15)) == dt.date(2025, 1, 15)


def test_the_installed_plugins_give_absence_and_open_transfers(session, trust_with_family):
    """Attendance's persistent absence from imported marks, transition's open transfer."""
    from plugins.attendance import service as attendance
    from plugins.transition import transfers

    w = trust_with_family
    days = [london_today() - dt.timedelta(days=n) for n in range(1, 22)]
    days = [d for d in days if d.weekday() < 5][:10]
    marks = [(w["ben"].id, d.isoformat(), sess, "O" if i % 2 else "/")
             for i, d in enumerate(days) for sess in ("AM", "PM")]
    marks += [(w["ada"].id, d.isoformat(), sess, "/") for d in days for sess in ("AM", "PM")]
    assert attendance.import_pupil_marks(session, w["south"].id, marks[:20]).errors.count == 0
    assert attendance.import_pupil_marks(session, w["north"].id, marks[20:]).errors.count == 0
    transfers.open_transfer(session, w["east"].id, w["cy"].id, w["north"].urn, london_today())
    [fam] = family_view.trust_families(session, w["lead"], w["trust"].id)
    by_name = {c.name: c.indicators for c in fam.children}
    assert by_name["Ben Quill"]["Persistent absence"] is True  # half his sessions missed
    assert by_name["Ada Quill"]["Persistent absence"] is False
    assert "Persistent absence" not in by_name["Cy Roe"]  # no marks: no figure
    assert (by_name["Cy Roe"]["Open transfers"], by_name["Ben Quill"]["Open transfers"]) == (1, 0)
    assert fam.combined["Persistent absence"] == 1 and fam.combined["Open transfers"] == 1
