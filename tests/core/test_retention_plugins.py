"""The plugins' records under retention (issue 14): each plugin's record types join the trust's
rules, their records join the DSL team's "due for review" list (a pupil's on that pupil's line,
a leaver's training apart), destruction removes their content and keeps a tombstone and an
audit entry, a legal hold and a plugin switched off are respected, and a subject access export
carries the plugins' records through the same redaction step."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import plugin_records, retention, sar
from core.errors import NotFound, ValidationError
from core.models import AuditEntry
from core.models.retention import Destruction
from plugins.attendance.models import AttendanceWeek
from plugins.attendance.weeks import encode
from plugins.encompass.models import EncompassChild, EncompassNotification, EncompassStep
from plugins.training.models import StaffMember, TrainingRecord
from plugins.training.service import ensure_courses
from plugins.transition.models import ReceivedFile, Transfer, TransferPackage

TODAY = dt.date(2026, 12, 2)
UTC = dt.timezone.utc


def _born(pupil, day):
    pupil.date_of_birth = day  # the roll refuses an adult's birth date: dated back here
    return pupil


def _weeks(session, school, pupil, *starts):
    for start in starts:
        session.add(AttendanceWeek(school_id=school.id, trust_id=school.trust_id,
                                   pupil_id=pupil.id, week_start=start,
                                   marks=encode({k: "/" if k % 2 == 0 else "N" for k in range(10)}),
                                   possible=10, present=9, authorised=1))
    session.flush()


def _notification(session, school, pupils, author, **kw):
    n = EncompassNotification(school_id=school.id, incident_date=dt.date(2019, 3, 2),
                              received_at=dt.datetime(2019, 3, 3, 7, tzinfo=UTC),
                              source="api", group_key=f"g{len(pupils)}{pupils[0].id}",
                              summary=kw.get("summary", "Police attended a domestic incident."),
                              child_words="I hid upstairs.", officer_name="PC Dana Shaw",
                              incident_place="Home address")
    session.add(n)
    session.flush()
    for p in pupils:
        session.add(EncompassChild(school_id=school.id, notification_id=n.id,
                                   first_name=p.first_name, last_name=p.last_name,
                                   pupil_id=p.id, match="matched", candidates=[]))
    session.add(EncompassStep(school_id=school.id, notification_id=n.id, kind="support",
                              author_id=author.id, body="Key adult checked in at break."))
    session.flush()
    return n


@pytest.fixture
def world(session, make_school, make_pupil, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school)
    _, deputy = make_user("deputy_dsl", school)
    key_adult, _ = make_user("staff", school)
    young = make_pupil(school, first_name="Yara", last_name="Lane")  # born 2015
    old = _born(make_pupil(school, first_name="Owen", last_name="Hart", year_group=13),
                dt.date(2000, 3, 1))  # 25 on 1 March 2025
    other = _born(make_pupil(school, first_name="Ola", last_name="Hart", year_group=13),
                  dt.date(2003, 6, 1))  # 25 in 2028
    return dict(school=school, dsl=dsl, deputy=deputy, key_adult=key_adult, young=young,
                old=old, other=other)


def test_every_plugin_declares_its_record_types_with_a_source(session, world, make_user):
    rules = retention.rules()
    assert {"attendance.registers", "encompass.notifications", "transition.files",
            "training.records"} <= set(rules)
    assert (rules["attendance.registers"].years, rules["encompass.notifications"].years,
            rules["transition.files"].years, rules["training.records"].years) == (3, 25, 25, 6)
    for key in ("attendance.registers", "encompass.notifications", "transition.files",
                "training.records"):
        assert "IRMS" in rules[key].source and "platform's reading" in rules[key].source
    assert rules["training.records"].about == "staff"
    # the trust lead edits them with the core's, within each floor
    trust_id = world["school"].trust_id
    _, lead = make_user("trust_lead", trust=world["school"].trust)
    years = retention.set_years(session, lead, trust_id, {"attendance.registers": 5})
    assert years["attendance.registers"] == 5 and years["child_protection"] == 25
    assert retention.years_for(session, trust_id)["attendance.registers"] == 5
    with pytest.raises(ValidationError) as err:
        retention.set_years(session, lead, trust_id, {"encompass.notifications": 24})
    assert "between 25 and 120" in err.value.errors["encompass.notifications"][0]


def test_old_registers_put_a_young_pupil_on_the_due_list_and_go_with_a_tombstone(
        session, world):
    school, young, dsl = world["school"], world["young"], world["dsl"]
    _weeks(session, school, young, dt.date(2022, 9, 5), dt.date(2023, 11, 27),
           dt.date(2025, 1, 6))
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    [line] = [r for r in due if r.pupil.id == young.id]
    assert line.due == ("attendance.registers",)
    # the oldest week ended on 11 September 2022: due three years later
    assert line.review_dates["attendance.registers"] == dt.date(2025, 9, 11)

    with pytest.raises(ValidationError) as err:
        plugin_records.destroy(session, dsl, school.id, "attendance.registers",
                               f"pupil:{young.id}", "  ")
    assert "reason" in err.value.errors
    with pytest.raises(NotFound):  # only the DSL destroys
        plugin_records.destroy(session, world["deputy"], school.id, "attendance.registers",
                               f"pupil:{young.id}", "Retention ended")
    tomb = plugin_records.destroy(session, dsl, school.id, "attendance.registers",
                                  f"pupil:{young.id}", "Retention ended", today=TODAY)
    left = session.scalars(select(AttendanceWeek.week_start).where(
        AttendanceWeek.pupil_id == young.id)).all()
    # the week of 27 November 2023 ended on 3 December: due tomorrow, so it stays
    assert left == [dt.date(2023, 11, 27), dt.date(2025, 1, 6)]
    assert (tomb.pupil_id, tomb.rule, tomb.rule_years) == (young.id, "attendance.registers", 3)
    assert tomb.review_date == dt.date(2025, 9, 11)
    assert tomb.summary["register_weeks"] == 1 and tomb.summary["plugin"] == "attendance"
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "retention.destroyed")).one()
    assert entry.detail["rule"] == "attendance.registers" and entry.detail["register_weeks"] == 1
    # nothing left that is due: off the list, and a second destruction is refused by date
    due, _ = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert young.id not in [r.pupil.id for r in due]
    with pytest.raises(ValidationError) as err:
        plugin_records.destroy(session, dsl, school.id, "attendance.registers",
                               f"pupil:{young.id}", "Again", today=TODAY)
    assert "retention runs until 3 December 2026" in err.value.errors["record_type"][0]
    later = plugin_records.destroy(session, dsl, school.id, "attendance.registers",
                                   f"pupil:{young.id}", "Retention ended",
                                   today=dt.date(2026, 12, 3))
    assert later.summary["register_weeks"] == 1


def test_a_legal_hold_and_a_plugin_switched_off_keep_records_off_the_list(session, world, host):
    school, young, dsl = world["school"], world["young"], world["dsl"]
    _weeks(session, school, young, dt.date(2022, 9, 5))
    retention.set_hold(session, dsl, school.id, young.id, "IICSA instruction")
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert young.id not in [r.pupil.id for r in due]
    assert [r.pupil.id for r in held] == [young.id]
    with pytest.raises(ValidationError) as err:
        plugin_records.destroy(session, dsl, school.id, "attendance.registers",
                               f"pupil:{young.id}", "Retention ended", today=TODAY)
    assert "legal hold" in err.value.errors["hold"][0]
    host.set_enabled(session, school.id, "attendance", False)
    due, held = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert young.id not in [r.pupil.id for r in due + held]


def test_police_notifications_follow_the_child_protection_file(session, world):
    school, old, other, dsl = world["school"], world["old"], world["other"], world["dsl"]
    own = _notification(session, school, [old], world["key_adult"])
    shared = _notification(session, school, [old, other], world["key_adult"],
                           summary="Both children were present.")
    _notification(session, school, [other], world["key_adult"])
    status, _ = retention.pupil_retention(session, dsl, school.id, old.id, today=TODAY)
    assert status.review_dates["encompass.notifications"] == dt.date(2025, 3, 1)
    assert "encompass.notifications" in status.due
    later, _ = retention.pupil_retention(session, dsl, school.id, other.id, today=TODAY)
    assert later.review_dates["encompass.notifications"] == dt.date(2028, 6, 1)
    assert later.due == ()
    with pytest.raises(ValidationError):
        plugin_records.destroy(session, dsl, school.id, "encompass.notifications",
                               f"pupil:{other.id}", "Too early", today=TODAY)

    tomb = plugin_records.destroy(session, dsl, school.id, "encompass.notifications",
                                  f"pupil:{old.id}", "Retention ended", today=TODAY)
    assert tomb.summary["notifications"] == [own.id]
    assert tomb.summary["kept_shared"] == [shared.id] and tomb.summary["steps"] == 1
    gone = session.get(EncompassNotification, own.id)
    assert (gone.summary, gone.child_words, gone.officer_name) == (None, None, None)
    assert gone.incident_date == dt.date(2019, 3, 2)  # the row and its dates stay
    assert session.scalar(select(EncompassStep.body).where(
        EncompassStep.notification_id == own.id)) == ""
    assert session.scalar(select(EncompassChild.first_name).where(
        EncompassChild.notification_id == own.id)) == ""
    kept = session.get(EncompassNotification, shared.id)
    assert kept.summary == "Both children were present."


def test_transfer_files_are_emptied_and_the_handover_record_stays(session, world):
    school, old, dsl = world["school"], world["old"], world["dsl"]
    t = Transfer(school_id=school.id, pupil_id=old.id, pupil_name="Owen Hart", year_group=11,
                 destination_urn="123456", destination_name="Next School",
                 leaving_date=dt.date(2016, 7, 20), status="sent")
    session.add(t)
    session.flush()
    session.add(TransferPackage(school_id=school.id, transfer_id=t.id, version=1,
                                content='{"concerns": ["a worry"]}', sha256="a" * 64,
                                covering_note="Please call me."))
    session.add(ReceivedFile(school_id=school.id, pupil_id=old.id, source="bundle",
                             sender_urn="654321", sender_name="First School",
                             content='{"concerns": ["an older worry"]}', package_sha256="b" * 64))
    session.flush()
    due, _ = retention.due_for_review(session, dsl, school.id, today=TODAY)
    [line] = [r for r in due if r.pupil.id == old.id]
    assert "transition.files" in line.due

    tomb = plugin_records.destroy(session, dsl, school.id, "transition.files",
                                  f"pupil:{old.id}", "Retention ended", today=TODAY)
    assert (tomb.summary["packages"], tomb.summary["received_files"]) == (1, 1)
    package = session.scalars(select(TransferPackage).where(
        TransferPackage.transfer_id == t.id)).one()
    assert (package.content, package.covering_note, package.sha256) == ("", "", "a" * 64)
    assert session.scalar(select(ReceivedFile.content).where(
        ReceivedFile.pupil_id == old.id)) == ""
    assert session.get(Transfer, t.id).destination_name == "Next School"
    status, _ = retention.pupil_retention(session, dsl, school.id, old.id, today=TODAY)
    assert "transition.files" not in status.review_dates  # nothing of it is held now


def test_a_leavers_training_records_are_listed_apart_and_go_six_years_after(session, world):
    school, dsl = world["school"], world["dsl"]
    course = ensure_courses(session, school.trust_id)[0]
    leaver = StaffMember(school_id=school.id, name="Lee Long", job_role="teacher",
                         left_on=dt.date(2019, 8, 31))
    recent = StaffMember(school_id=school.id, name="Rae Recent", job_role="teacher",
                         left_on=dt.date(2024, 8, 31))
    current = StaffMember(school_id=school.id, name="Cal Current", job_role="teacher")
    session.add_all([leaver, recent, current])
    session.flush()
    for person in (leaver, leaver, recent, current):
        session.add(TrainingRecord(school_id=school.id, staff_id=person.id,
                                   course_id=course.id, completed_on=dt.date(2018, 9, 3)))
    session.flush()
    listed = retention.staff_records_due(session, dsl, school.id, today=TODAY)
    assert [(h.subject, h.name, h.review_date, h.due) for h in listed] == [
        (f"staff:{leaver.id}", "Lee Long", dt.date(2025, 8, 31), 2)]
    due, _ = retention.due_for_review(session, dsl, school.id, today=TODAY)
    assert all("training.records" not in r.review_dates for r in due)  # not a pupil's
    with pytest.raises(ValidationError):
        plugin_records.destroy(session, dsl, school.id, "training.records",
                               f"pupil:{world['old'].id}", "Wrong kind", today=TODAY)

    tomb = plugin_records.destroy(session, dsl, school.id, "training.records",
                                  f"staff:{leaver.id}", "Left in 2019", today=TODAY)
    assert tomb.pupil_id is None and tomb.summary["name"] == "Lee Long"
    assert tomb.summary["training_records"] == 2
    counts = dict(session.execute(select(TrainingRecord.staff_id, func.count())
                                  .group_by(TrainingRecord.staff_id)).all())
    assert leaver.id not in counts and counts[recent.id] == 1 and counts[current.id] == 1
    assert session.get(StaffMember, leaver.id).name == "Lee Long"  # anchors the tombstone
    assert session.scalar(select(func.count()).select_from(Destruction).where(
        Destruction.rule == "training.records")) == 1


def test_subject_access_carries_the_plugins_records_through_the_redaction(
        session, world, monkeypatch):
    school, old, dsl = world["school"], world["old"], world["dsl"]
    n = _notification(session, school, [old], world["key_adult"],
                      summary="PC Dana Shaw spoke to Owen.")
    _weeks(session, school, old, dt.date(2025, 9, 1), dt.date(2025, 9, 8))
    doc = sar.items(session, dsl, school.id, old.id)
    sections = {s["plugin"]: s for s in doc["plugins"]}
    assert set(sections) == {"encompass", "attendance"}
    keys = [i["key"] for i in sections["encompass"]["items"]]
    assert keys[0] == f"encompass:notification:{n.id}" and keys[1].startswith("encompass:step:")
    register = sections["attendance"]["items"][0]
    assert register["title"] == "Attendance register 2025/26"
    assert "Week of 8 September 2025: Mon AM /, Mon PM N, Tue AM /" in register["text"]
    assert "present 18" in register["text"]
    people = {p["key"]: p for p in doc["third_parties"]}
    officer = people[f"encompass:officer:{n.id}"]
    assert (officer["name"], officer["role"]) == ("PC Dana Shaw", "Police officer")
    assert people[f"staff:{world['key_adult'].id}"]["kind"] == "staff"

    out = sar.export(session, dsl, school.id, old.id,
                     [f"encompass:officer:{n.id}", keys[1]], "json")
    items = {s["plugin"]: s["items"] for s in out["plugins"]}
    assert "PC Dana Shaw" not in str(out)
    assert "[third party] spoke to Owen." in items["encompass"][0]["text"]
    assert items["encompass"][1] == {"key": keys[1], "at": items["encompass"][1]["at"],
                                     "withheld": True, "note": sar.WITHHELD}
    with pytest.raises(ValidationError) as err:
        sar.export(session, dsl, school.id, old.id, ["encompass:notification:999999"])
    assert "encompass:notification:999999" in err.value.errors["redact"][0]

    printed = {}
    monkeypatch.setattr(sar, "chronology_pdf",
                        lambda lines, *a, **kw: printed.setdefault("lines", lines) and b"%PDF")
    sar.export_pdf(out, old, school.name, "A DSL")
    titles = [(line.plugin, line.title) for line in printed["lines"]]
    assert ("encompass", "Police notification (Operation Encompass)") in titles
    assert ("encompass", "Police notifications (Operation Encompass)") in titles  # withheld
    assert ("attendance", "Attendance register 2025/26") in titles
