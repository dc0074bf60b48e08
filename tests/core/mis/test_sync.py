"""Importing pupils from the MIS as a sync: matching order, the review queue, "left?",
idempotent re-import, all-or-nothing, and problems named by line or XML path and field."""
from __future__ import annotations

import copy
import pytest
from sqlalchemy import func, select

from core.calendar import london_today
from core.errors import NotFound, ValidationError
from core.mis import queue, samples, service
from core.upn import make_upn
from core.models import (AuditEntry, MisImport, MisLeaverCheck, MisReviewItem, Pupil, PupilCarer,
                         PupilChange, PupilFlag, PupilMisRecord)


@pytest.fixture
def school_admin(make_school, make_user):
    school = make_school()
    _, admin = make_user("school_admin", school)
    return school, admin


def run(session, admin, school, content, fmt="ctf", commit=True, layout=None, full=None):
    imp = service.start_import(session, admin, school.id, content, f"roll.{fmt}", fmt, layout,
                               full=full, commit=commit)
    return imp, service.process(session, imp)


def count(session, model, school):
    return session.scalar(select(func.count()).select_from(model)
                          .where(model.school_id == school.id))


def test_a_ctf_puts_pupils_on_roll_with_carers_flags_and_mis_ids(session, school_admin):
    school, admin = school_admin
    pupils = samples.pupils_for(5, seed=3)
    pupils[0].update(sen="E", looked_after=True, eal=True, preferred_name="Mo")
    imp, report = run(session, admin, school, samples.ctf_bytes(pupils, school.urn))
    assert imp.status == "committed" and report["counts"]["adds"] == 5
    assert imp.content is None and len(imp.sha256) == 64  # the export is not kept
    stored = {p.upn: p for p in session.scalars(select(Pupil).where(Pupil.school_id == school.id))}
    first = stored[pupils[0]["upn"]]
    assert (first.first_name, first.preferred_name, first.last_name) == (
        pupils[0]["first_name"], "Mo", pupils[0]["last_name"])
    assert first.date_of_birth == pupils[0]["date_of_birth"]
    assert first.year_group == pupils[0]["year_group"] and first.address == pupils[0]["address"]
    flags = set(session.scalars(select(PupilFlag.flag).where(PupilFlag.pupil_id == first.id)))
    assert flags == {"ehcp", "looked_after", "eal"}
    carer = session.scalar(select(PupilCarer).where(PupilCarer.pupil_id == first.id))
    assert carer.parental_responsibility is True and carer.relationship == "PAM"
    assert carer.last_name == pupils[0]["last_name"] and carer.phone == "0113 496 0000"


def test_importing_the_same_file_again_changes_nothing(session, school_admin):
    school, admin = school_admin
    pupils = samples.pupils_for(6, seed=4)
    content = samples.csv_bytes(pupils)
    run(session, admin, school, content, "csv")
    before = {m.__name__: count(session, m, school) for m in (
        Pupil, PupilChange, PupilFlag, PupilCarer, PupilMisRecord, MisReviewItem,
        MisLeaverCheck)}
    imp, report = run(session, admin, school, content, "csv")
    after = {m.__name__: count(session, m, school) for m in (
        Pupil, PupilChange, PupilFlag, PupilCarer, PupilMisRecord, MisReviewItem,
        MisLeaverCheck)}
    assert after == before
    assert report["counts"] == {"adds": 0, "changes": 0, "unchanged": 6, "review": 0,
                                "leavers": 0, "problems": 0}
    assert report["stored"] == {"added": 0, "changed": 0, "review_added": 0,
                                "leavers_listed": 0}


def test_a_changed_detail_is_kept_in_the_pupils_history(session, school_admin):
    school, admin = school_admin
    pupils = samples.pupils_for(2, seed=5)
    run(session, admin, school, samples.csv_bytes(pupils), "csv")
    moved = copy.deepcopy(pupils)
    moved[1]["address"] = "1 New Street, Leeds"
    moved[1]["carers"][0]["phone"] = "0113 496 0999"
    _, report = run(session, admin, school, samples.csv_bytes(moved), "csv")
    assert report["counts"]["changes"] == 1 and report["changes"][0]["fields"] == ["address"]
    pid = session.scalar(select(Pupil.id).where(Pupil.upn == pupils[1]["upn"]))
    change = session.scalar(select(PupilChange).where(PupilChange.pupil_id == pid))
    assert (change.field, change.old_value, change.new_value) == (
        "address", pupils[1]["address"], "1 New Street, Leeds")
    carers = session.scalars(select(PupilCarer).where(PupilCarer.pupil_id == pid)
                             .order_by(PupilCarer.id)).all()
    assert [(c.phone, c.end_date is None) for c in carers] == [
        ("0113 496 0000", False), ("0113 496 0999", True)]


def test_matching_goes_by_upn_then_mis_id_then_name_and_birth_date_to_review(
        session, school_admin, make_pupil):
    school, admin = school_admin
    rows = samples.pupils_for(3, seed=6)
    by_upn = make_pupil(school, upn=rows[0]["upn"], first_name="Other", last_name="Name",
                        date_of_birth=rows[0]["date_of_birth"], year_group=rows[0]["year_group"])
    by_mis = make_pupil(school, first_name=rows[1]["first_name"], last_name="Renamed",
                        date_of_birth=rows[1]["date_of_birth"], year_group=rows[1]["year_group"])
    session.add(PupilMisRecord(school_id=school.id, trust_id=school.trust_id,
                               pupil_id=by_mis.id, mis_id=rows[1]["mis_id"]))
    by_name = make_pupil(school, first_name=rows[2]["first_name"],
                         last_name=rows[2]["last_name"].upper(),
                         date_of_birth=rows[2]["date_of_birth"], year_group=1)
    rows[2]["upn"] = None
    session.flush()
    _, report = run(session, admin, school, samples.csv_bytes(rows), "csv")
    assert report["counts"]["adds"] == 0
    changed = {c["pupil_id"]: c["fields"] for c in report["changes"]}
    assert "first_name" in changed[by_upn.id] and "last_name" in changed[by_mis.id]
    assert [(r["pupil_id"], r["where"]) for r in report["review"]] == [(by_name.id, "line 4")]
    session.refresh(by_name)
    assert by_name.year_group == 1  # never merged on a guess
    item = session.scalar(select(MisReviewItem).where(MisReviewItem.school_id == school.id))
    assert item.status == "open" and item.pupil_id == by_name.id


def test_a_review_decision_is_kept_for_later_imports(session, school_admin, make_pupil):
    school, admin = school_admin
    rows = samples.pupils_for(1, seed=7)
    rows[0]["upn"] = None
    pupil = make_pupil(school, first_name=rows[0]["first_name"], last_name=rows[0]["last_name"],
                       date_of_birth=rows[0]["date_of_birth"], year_group=2)
    content = samples.csv_bytes(rows)
    run(session, admin, school, content, "csv")
    item = session.scalar(select(MisReviewItem).where(MisReviewItem.school_id == school.id))
    queue.decide_review(session, admin, school.id, item.id, "same")
    session.refresh(pupil)
    assert pupil.year_group == rows[0]["year_group"]
    record = session.scalar(select(PupilMisRecord).where(PupilMisRecord.pupil_id == pupil.id))
    assert record.mis_id == rows[0]["mis_id"]
    _, report = run(session, admin, school, content, "csv")
    assert report["counts"] == {"adds": 0, "changes": 0, "unchanged": 1, "review": 0,
                                "leavers": 0, "problems": 0}
    with pytest.raises(ValidationError) as err:
        queue.decide_review(session, admin, school.id, item.id, "new")
    assert "already decided" in err.value.errors["decision"][0]


def test_pupils_missing_from_a_full_file_are_listed_not_removed(session, school_admin):
    school, admin = school_admin
    rows = samples.pupils_for(4, seed=8)
    run(session, admin, school, samples.ctf_bytes(rows, school.urn))
    _, partial = run(session, admin, school, samples.ctf_bytes(rows[:2], school.urn, full=False))
    assert partial["counts"]["leavers"] == 0
    _, report = run(session, admin, school, samples.ctf_bytes(rows[:2], school.urn))
    gone = {session.get(Pupil, r["pupil_id"]).upn for r in report["leavers"]}
    assert gone == {rows[2]["upn"], rows[3]["upn"]}
    assert count(session, Pupil, school) == 4
    assert session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.school_id == school.id, Pupil.on_roll_to.is_(None))) == 4
    _, again = run(session, admin, school, samples.ctf_bytes(rows[:2], school.urn))
    assert again["stored"]["leavers_listed"] == 0 and count(session, MisLeaverCheck, school) == 2


def test_confirming_a_leaver_takes_them_off_roll_through_the_leaving_flow(
        session, school_admin, make_school):
    school, admin = school_admin
    rows = samples.pupils_for(2, seed=9)
    run(session, admin, school, samples.ctf_bytes(rows, school.urn))
    run(session, admin, school, samples.ctf_bytes(rows[:1], school.urn))
    (check, pupil), = queue.open_leavers(session, admin, school.id)
    assert pupil.upn == rows[1]["upn"]
    today = london_today()
    with pytest.raises(ValidationError) as err:
        queue.confirm_leaver(session, admin, school.id, check.id, today, "Moved away", None)
    assert "destination_urn" in err.value.errors
    dest = make_school(trust=None)
    queue.confirm_leaver(session, admin, school.id, check.id, today, "Moved away", dest.urn)
    session.refresh(pupil)
    assert pupil.on_roll_to == today and pupil.destination_urn == dest.urn
    assert queue.open_leavers(session, admin, school.id) == []
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "pupil.left",
                                                      AuditEntry.object_id == str(pupil.id)))


def test_a_partly_bad_file_stores_nothing_and_names_each_problem(session, school_admin):
    school, admin = school_admin
    rows = samples.pupils_for(4, seed=10)
    content = samples.csv_bytes(rows).decode().splitlines()
    cells = content[3].split(",")
    cells[7] = "31/02/2019"  # line 4: no such date
    content[3] = ",".join(cells)
    content[4] = content[4].replace(rows[3]["upn"], rows[3]["upn"][:-1] + "Z", 1)
    imp, report = run(session, admin, school, ("\n".join(content) + "\n").encode(), "csv")
    assert imp.status == "invalid" and report["stored"] is None
    problems = {(p["where"], p["field"]) for p in report["problems"]}
    assert problems == {("line 4", "Date of birth"), ("line 5", "UPN")}
    assert count(session, Pupil, school) == 0 and count(session, PupilCarer, school) == 0
    with pytest.raises(ValidationError):
        service.confirm_import(session, admin, school.id, imp.id)


def test_ctf_problems_name_the_pupil_path_and_element(session, school_admin):
    school, admin = school_admin
    rows = samples.pupils_for(3, seed=11)
    content = samples.ctf_bytes(rows, school.urn).decode()
    content = content.replace(f"<Sex>{rows[1]['gender']}</Sex>", "<Sex>Q</Sex>", 1)
    content = content.replace("<Responsibility>true</Responsibility>",
                              "<Responsibility>perhaps</Responsibility>", 1)
    imp, report = run(session, admin, school, content.encode())
    assert {(p["where"], p["field"]) for p in report["problems"]} == {
        ("CTfile/CTFpupilData/Pupil[2]", "Sex"),
        ("CTfile/CTFpupilData/Pupil[1]/Contacts/Contact[1]", "Responsibility")}
    assert count(session, Pupil, school) == 0


def test_a_ctf_for_another_school_or_not_xml_is_refused(session, school_admin):
    school, admin = school_admin
    rows = samples.pupils_for(1, seed=12)
    _, report = run(session, admin, school, samples.ctf_bytes(rows, "999999"))
    assert report["problems"][0]["field"] == "SourceSchool/URN"
    _, report = run(session, admin, school, b"<CTfile><CTFpupilData><Pupil><UPN>")
    assert report["problems"][-1]["field"] == "file"
    _, report = run(session, admin, school, b'<!DOCTYPE x [<!ENTITY a "b">]><CTfile/>')
    assert report["problems"][0]["field"] == "file" and count(session, Pupil, school) == 0
    other = samples.ctf_bytes(rows, school.urn).replace(b"CTfile>", b"Roll>")
    imp, report = run(session, admin, school, other)
    assert imp.status == "invalid" and "not <CTfile>" in report["problems"][0]["message"]
    assert count(session, Pupil, school) == 0


def test_a_saved_layout_reads_a_mis_export(session, school_admin):
    school, admin = school_admin
    service.save_layout(session, admin, school.id, "Arbor", {
        "upn": "UPN", "last_name": "Surname", "first_name": "Forename",
        "date_of_birth": "DOB", "year_group": "Year", "carer.last_name": "Contact {n} Surname",
        "carer.parental_responsibility": "Contact {n} PR"}, "%Y-%m-%d")
    upn = make_upn("383", "2000", 25, 7)
    content = ("Surname,Forename,DOB,Year,UPN,Contact 1 Surname,Contact 1 PR\n"
               f"Nowak,Kacper,2016-03-04,Year 4,{upn},Nowak,Y\n").encode()
    _, report = run(session, admin, school, content, "csv", layout="Arbor")
    assert report["counts"]["adds"] == 1
    pupil = session.scalar(select(Pupil).where(Pupil.upn == upn))
    assert (pupil.last_name, pupil.year_group) == ("Nowak", 4)
    with pytest.raises(ValidationError) as err:
        service.save_layout(session, admin, school.id, "Bad", {"surname": "Surname"})
    assert {"surname", "last_name", "first_name"} <= set(err.value.errors)
    with pytest.raises(ValidationError) as err:
        run(session, admin, school, content, "csv", layout="SIMS")
    assert "layout" in err.value.errors


def test_only_those_who_keep_the_roll_may_import(session, school_admin, make_user, make_school):
    school, admin = school_admin
    _, staff = make_user("staff", school)
    _, other_admin = make_user("school_admin", make_school())
    for actor in (staff, other_admin):
        with pytest.raises(NotFound):
            service.start_import(session, actor, school.id, b"x", "a.csv")
        with pytest.raises(NotFound):
            queue.open_leavers(session, actor, school.id)
    imp = service.start_import(session, admin, school.id, b"x", "a.csv")
    with pytest.raises(NotFound):
        service.get_import(session, other_admin, school.id, imp.id)
    assert session.get(MisImport, imp.id).status == "queued"


def test_a_shared_parent_becomes_a_family_suggestion_not_a_link(session, school_admin):
    from core.models import FamilyLink, FamilySuggestion, JobRun

    school, admin = school_admin
    rows = samples.pupils_for(2, seed=13)
    for r in rows:
        r["carers"] = [{"priority": 1, "title": "Mrs", "first_name": "Grace",
                        "last_name": "Adeyemi", "relationship": "PAM",
                        "parental_responsibility": True, "phone": "07700 900123",
                        "email": "", "address": ""}]
    _, report = run(session, admin, school, samples.ctf_bytes(rows, school.urn))
    job = report["stored"]["family_suggestions_job"]
    assert session.get(JobRun, job).func == "core.family_suggestions:run_for_school"
    session.commit()  # no Redis in this test: the job runs inline once the import commits
    assert session.get(JobRun, job).status == "done"
    ids = set(session.scalars(select(Pupil.id).where(Pupil.school_id == school.id)))
    suggestion = session.scalar(select(FamilySuggestion).where(
        FamilySuggestion.trust_id == school.trust_id))
    assert {suggestion.pupil_id, suggestion.related_pupil_id} == ids
    assert session.scalar(select(func.count()).select_from(FamilyLink).where(
        FamilyLink.pupil_id.in_(ids))) == 0


def test_a_whole_school_at_once_is_stored_whole(session, school_admin):
    """Enough pupils that PostgreSQL's statistics are refreshed inside the import (the
    planner would otherwise check each carer's pupil by scanning the roll)."""
    from core.mis.sync import ANALYZE_AFTER

    school, admin = school_admin
    rows = samples.pupils_for(ANALYZE_AFTER + 50, seed=14)
    imp, report = run(session, admin, school, samples.ctf_bytes(rows, school.urn))
    assert imp.status == "committed" and report["stored"]["added"] == ANALYZE_AFTER + 50
    assert count(session, Pupil, school) == ANALYZE_AFTER + 50
    assert count(session, PupilCarer, school) == ANALYZE_AFTER + 50


def test_statistics_are_refreshed_only_for_a_roll_they_undercount():
    """ANALYZE runs when the planner thinks pupils holds fewer rows than an import adds
    (never analysed: -1; an empty or small trust), not on every large import."""
    from core.mis.sync import ANALYZE_AFTER, needs_analyze

    assert needs_analyze(-1, ANALYZE_AFTER) and needs_analyze(0, 1000)
    assert needs_analyze(999, 1000) and not needs_analyze(1000, 1000)
    assert not needs_analyze(40_000, 1000)
    assert not needs_analyze(-1, ANALYZE_AFTER - 1)  # a few pupils: no plan to protect
