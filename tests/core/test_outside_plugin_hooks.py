"""The board report, retention and subject access hooks, shown with a plugin from outside the
platform (a youth outreach service, defined here): its figures join the board report under the
small-number rule only for schools where it is on; its record type joins the trust's retention
rules, its records due join the DSL team's list (a legal hold keeps them off) and destroying
them calls it and leaves a tombstone; its records join a pupil's subject access export, an
item withheld and a person it names redacted. The built-in plugins are tested on their own."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import board_report, hookimpl, plugin_records, retention, sar
from core.contributions import ReportFigure
from core.errors import NotFound, ValidationError
from core.models import AuditEntry
from core.models.retention import Destruction
from core.plugin_records import HeldRecords, RecordType, SubjectAccessItem, SubjectAccessSection
from core.plugins import PluginHost, use_host

NAME = "outreach"
NOTES = "outreach.session_notes"
AUTUMN = dt.date(2026, 9, 2)  # the conftest calendar's current term
AUTUMN_END = dt.date(2026, 12, 18)
TODAY = dt.date(2026, 12, 2)
UTC = dt.timezone.utc


def _add_years(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years)


class Outreach:
    """A youth outreach service's plugin: figures per school, session notes about pupils kept
    (in memory here) for seven years from the session, and those notes for subject access."""

    def __init__(self):
        self.figures: dict[int, list[tuple]] = {}  # school id -> (key, label, count, of, kids)
        self.report_calls: list[tuple] = []
        self.notes: dict[int, list[tuple[int, dt.date, str]]] = {}  # school -> (pupil, day, text)
        self.years_seen: list[int] = []
        self.destroy_calls: list[tuple] = []
        self.sar_calls: list[tuple] = []

    @hookimpl
    def mat_report_figures(self, session, school_id, start, end):
        self.report_calls.append((school_id, start, end))
        return [ReportFigure(NAME, school_id, key, label, count, of, about_children=kids)
                for key, label, count, of, kids in self.figures.get(school_id, [])]

    @hookimpl
    def mat_retention_record_types(self):
        return [RecordType(NAME, NOTES, "Outreach session notes",
                           "the youth worker's note of each session with the pupil", 7, 3,
                           "The platform's reading for a test service", "the day of the session")]

    @hookimpl
    def mat_retention_records(self, session, school_id, years, today, pupil_ids):
        self.years_seen.append(years[NOTES])
        by_pupil: dict[int, list[dt.date]] = {}
        for pupil_id, day, _ in self.notes.get(school_id, []):
            if pupil_ids is None or pupil_id in pupil_ids:
                by_pupil.setdefault(pupil_id, []).append(_add_years(day, years[NOTES]))
        return [HeldRecords(NAME, NOTES, f"pupil:{pid}", f"Pupil {pid}", min(days),
                            sum(d <= today for d in days), len(days))
                for pid, days in by_pupil.items()]

    @hookimpl
    def mat_retention_destroy(self, session, school_id, record_type, subject, years, today):
        if record_type != NOTES:
            return None
        self.destroy_calls.append((school_id, subject, years[NOTES], today))
        pupil_id = int(subject.split(":", 1)[1])
        kept, gone = [], 0
        for note in self.notes.get(school_id, []):
            if note[0] == pupil_id and _add_years(note[1], years[NOTES]) <= today:
                gone += 1
            else:
                kept.append(note)
        self.notes[school_id] = kept
        return {"session_notes": gone}

    @hookimpl
    def mat_subject_access(self, session, school_id, pupil_id):
        self.sar_calls.append((school_id, pupil_id))
        items = [SubjectAccessItem(f"{NAME}:note:{i}",
                                   dt.datetime.combine(day, dt.time(16), UTC),
                                   "Outreach session", text,
                                   [{"key": "other:worker-1", "kind": "other",
                                     "name": "Sam Rowntree"}])
                 for i, (pid, day, text) in enumerate(self.notes.get(school_id, []))
                 if pid == pupil_id]
        return [SubjectAccessSection(NAME, "Youth outreach sessions", items)] if items else []


@pytest.fixture
def outreach(session, host):
    """The outreach plugin registered beside the installed ones, on a host built after it (the
    host reads the plugins it knows when built); the test's host again afterwards."""
    plugin = Outreach()
    host.pm.register(plugin, name=NAME)
    with_outreach = PluginHost(host.pm)
    use_host(with_outreach)
    try:
        yield with_outreach, plugin
    finally:
        host.pm.unregister(plugin)
        use_host(host)


def _cells(report, name):
    return next(r for r in [*report.schools, report.trust] if r.name == name).cells


def test_its_board_report_figures_show_under_the_rule_only_where_it_is_on(
        session, outreach, make_trust, make_school, make_user):
    h, plugin = outreach
    trust = make_trust("Outreach Trust")
    ash = make_school(trust, name="Ash Academy", plugins=[])
    beech = make_school(trust, name="Beech Academy", plugins=[])
    cherry = make_school(trust, name="Cherry Academy", plugins=[])
    for school in (ash, beech):
        h.set_enabled(session, school.id, NAME, True)
    plugin.figures = {
        ash.id: [("missed", "Outreach sessions missed", 3, None, True),
                 ("workers", "Youth workers on site", 2, None, False),
                 ("attended", "Sessions attended", 4, 40, True)],
        beech.id: [("missed", "Outreach sessions missed", 0, None, True),
                   ("workers", "Youth workers on site", 6, None, False),
                   ("attended", "Sessions attended", 30, 40, True)],
        cherry.id: [("missed", "Outreach sessions missed", 9, None, True)],
    }
    _, lead = make_user("trust_lead", trust=trust)

    report = board_report.build_report(session, lead, trust.id, AUTUMN)

    assert sorted(plugin.report_calls) == sorted([(ash.id, AUTUMN, AUTUMN_END),
                                                  (beech.id, AUTUMN, AUTUMN_END)])
    columns = dict(report.columns)
    assert columns["outreach.missed"] == "Outreach sessions missed"
    ash_cells, beech_cells = _cells(report, "Ash Academy"), _cells(report, "Beech Academy")
    # 3 children is hidden; 2 staff is not a count of children; 4 of 40 would give the 4 away
    assert (ash_cells["outreach.missed"], ash_cells["outreach.workers"],
            ash_cells["outreach.attended"]) == ("fewer than 5", "2", "withheld")
    assert (beech_cells["outreach.missed"], beech_cells["outreach.workers"],
            beech_cells["outreach.attended"]) == ("0", "6", "75.0%")
    # off at Cherry: its 9 is neither in its row nor in the trust's total
    assert not any(k.startswith("outreach.") for k in _cells(report, "Cherry Academy"))
    trust_cells = _cells(report, "Trust")
    assert (trust_cells["outreach.missed"], trust_cells["outreach.workers"],
            trust_cells["outreach.attended"]) == ("fewer than 5", "8", "42.5%")


def test_its_record_type_joins_the_rules_and_its_due_records_the_dsls_list(
        session, outreach, make_school, make_pupil, make_user):
    h, plugin = outreach
    school = make_school(plugins=[])
    h.set_enabled(session, school.id, NAME, True)
    _, dsl = make_user("dsl", school)
    _, lead = make_user("trust_lead", trust=school.trust)
    due_child, later_child = make_pupil(school), make_pupil(school)
    plugin.notes[school.id] = [(due_child.id, dt.date(2018, 10, 3), "Talked about home."),
                               (due_child.id, dt.date(2021, 1, 20), "Played football."),
                               (later_child.id, dt.date(2020, 3, 4), "First session.")]

    rule = retention.rules()[NOTES]
    assert (rule.years, rule.floor, rule.plugin, rule.about) == (7, 3, NAME, "pupil")
    assert retention.years_for(session, school.trust_id)[NOTES] == 7
    with pytest.raises(ValidationError) as err:
        retention.set_years(session, lead, school.trust_id, {NOTES: 2})
    assert "between 3 and 120" in err.value.errors[NOTES][0]

    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert plugin.years_seen[-1] == 7
    [line] = due
    assert line.pupil.id == due_child.id and line.due == (NOTES,)
    assert line.review_dates[NOTES] == dt.date(2025, 10, 3)  # the older note, 7 years on
    assert held == []
    later, _ = retention.pupil_retention(session, dsl, school.id, later_child.id, today=TODAY)
    assert later.review_dates == {NOTES: dt.date(2027, 3, 4)} and later.due == ()

    # the trust's own years reach the plugin: at 6 years the later child is due too
    retention.set_years(session, lead, school.trust_id, {NOTES: 6})
    due, _ = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert plugin.years_seen[-1] == 6
    assert sorted(r.pupil.id for r in due) == sorted([due_child.id, later_child.id])

    # a legal hold keeps the pupil off the list and stops destruction before the plugin
    retention.set_hold(session, dsl, school.id, due_child.id, "Inquiry instruction")
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert [r.pupil.id for r in due] == [later_child.id]
    assert [r.pupil.id for r in held] == [due_child.id]
    with pytest.raises(ValidationError) as err:
        plugin_records.destroy(session, dsl, school.id, NOTES, f"pupil:{due_child.id}",
                               "Retention ended", today=TODAY)
    assert "legal hold" in err.value.errors["hold"][0]
    assert plugin.destroy_calls == [] and len(plugin.notes[school.id]) == 3

    # switched off, the plugin is not asked and its records leave the list
    h.set_enabled(session, school.id, NAME, False)
    asked = len(plugin.years_seen)
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert len(plugin.years_seen) == asked and due == [] and held == []


def test_destroying_its_records_calls_it_and_keeps_a_tombstone(
        session, outreach, make_school, make_pupil, make_user):
    h, plugin = outreach
    school = make_school(plugins=[])
    h.set_enabled(session, school.id, NAME, True)
    _, dsl = make_user("dsl", school)
    child = make_pupil(school)
    plugin.notes[school.id] = [(child.id, dt.date(2018, 10, 3), "Talked about home."),
                               (child.id, dt.date(2019, 12, 3), "Due tomorrow."),
                               (child.id, dt.date(2024, 5, 1), "Recent session.")]

    tomb = plugin_records.destroy(session, dsl, school.id, NOTES, f"pupil:{child.id}",
                                  "Retention ended", today=TODAY)

    assert plugin.destroy_calls == [(school.id, f"pupil:{child.id}", 7, TODAY)]
    assert [day for _, day, _ in plugin.notes[school.id]] == [dt.date(2019, 12, 3),
                                                              dt.date(2024, 5, 1)]
    stored = session.get(Destruction, tomb.id)
    assert (stored.school_id, stored.pupil_id, stored.rule, stored.rule_years) == (
        school.id, child.id, NOTES, 7)
    assert stored.review_date == dt.date(2025, 10, 3) and stored.reason == "Retention ended"
    assert stored.destroyed_by_id == dsl.user_id
    assert stored.summary == {"subject": f"pupil:{child.id}", "name": f"Pupil {child.id}",
                              "plugin": NAME, "session_notes": 1}
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "retention.destroyed", AuditEntry.object_id == str(child.id))).one()
    assert entry.detail["rule"] == NOTES and entry.detail["session_notes"] == 1
    # nothing due is left: a second destruction is refused by date, without calling it
    with pytest.raises(ValidationError) as err:
        plugin_records.destroy(session, dsl, school.id, NOTES, f"pupil:{child.id}",
                               "Again", today=TODAY)
    assert "retention runs until 3 December 2026" in err.value.errors["record_type"][0]
    assert len(plugin.destroy_calls) == 1
    # off for the school, its records are not the school's to destroy
    h.set_enabled(session, school.id, NAME, False)
    with pytest.raises(NotFound):
        plugin_records.destroy(session, dsl, school.id, NOTES, f"pupil:{child.id}",
                               "Retention ended", today=dt.date(2026, 12, 3))
    assert len(plugin.destroy_calls) == 1


def test_its_records_join_a_subject_access_export_with_withheld_items_left_out(
        session, outreach, make_school, make_pupil, make_user):
    h, plugin = outreach
    school = make_school(plugins=[])
    h.set_enabled(session, school.id, NAME, True)
    _, dsl = make_user("dsl", school)
    child, other = make_pupil(school), make_pupil(school)
    plugin.notes[school.id] = [
        (child.id, dt.date(2026, 10, 6), "Sam Rowntree walked home with the pupil."),
        (other.id, dt.date(2026, 10, 7), "Another pupil's session."),
        (child.id, dt.date(2026, 11, 3), "The pupil spoke about a cousin's troubles."),
    ]

    doc = sar.items(session, dsl, school.id, child.id)
    [section] = doc["plugins"]
    assert (section["plugin"], section["title"]) == (NAME, "Youth outreach sessions")
    assert [i["key"] for i in section["items"]] == [f"{NAME}:note:0", f"{NAME}:note:2"]
    assert ("other:worker-1", "Sam Rowntree") in [(p["key"], p["name"])
                                                  for p in doc["third_parties"]]

    out = sar.export(session, dsl, school.id, child.id, [f"{NAME}:note:2", "other:worker-1"])
    assert plugin.sar_calls[-1] == (school.id, child.id)
    [section] = out["plugins"]
    kept, withheld = section["items"]
    assert kept == {"key": f"{NAME}:note:0", "at": "2026-10-06T16:00:00+00:00",
                    "title": "Outreach session",
                    "text": "[third party] walked home with the pupil."}
    assert withheld == {"key": f"{NAME}:note:2", "at": "2026-11-03T16:00:00+00:00",
                        "withheld": True, "note": sar.WITHHELD}
    assert "cousin" not in str(out) and "Another pupil" not in str(out)
    assert out["withheld"] == sorted([f"{NAME}:note:2", "other:worker-1"])

    h.set_enabled(session, school.id, NAME, False)
    calls = len(plugin.sar_calls)
    assert sar.export(session, dsl, school.id, child.id, [])["plugins"] == []
    assert len(plugin.sar_calls) == calls
