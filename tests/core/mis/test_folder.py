"""The recurring job that imports files an MIS drops in the school's folder."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.builtin import mat_recurring_jobs
from core.mis import folder, samples
from core.mis.jobs import pick_up_folder
from core.models import MisImport, Pupil


def test_dropped_files_are_imported_whole_or_set_aside_with_reasons(db, session, make_school,
                                                                    tmp_path, monkeypatch):
    monkeypatch.setenv("MAT_MIS_DROP_FOLDER", str(tmp_path))
    school = make_school()
    session.commit()
    drop = tmp_path / school.urn
    drop.mkdir()
    rows = samples.pupils_for(3, seed=61)
    good = samples.ctf_bytes(rows, school.urn)
    (drop / "monday.xml").write_bytes(good)
    bad = samples.pupils_for(1, seed=62)
    bad[0]["year_group"] = 20
    (drop / "extra.csv").write_bytes(samples.csv_bytes(bad))
    (drop / "notes.txt").write_text("not an export")
    outcome = pick_up_folder(school.id)
    assert outcome["outcomes"] == {"monday.xml": "committed", "extra.csv": "failed"}
    assert (drop / "done" / "monday.xml").exists() and (drop / "notes.txt").exists()
    reason = (drop / "failed" / "extra.csv.txt").read_text()
    assert "line 2, Year group: '20' is not N1, N2, R or 1 to 14" in reason
    with db.session(folder.SYSTEM) as s:
        assert s.scalar(select(func.count()).select_from(Pupil).where(
            Pupil.school_id == school.id)) == 3
        statuses = sorted(s.scalars(select(MisImport.status).where(
            MisImport.school_id == school.id)))
        assert statuses == ["committed", "invalid"]
    (drop / "tuesday.xml").write_bytes(good)  # the same export again
    assert pick_up_folder(school.id)["outcomes"] == {"tuesday.xml": "already imported"}
    assert (drop / "done" / "tuesday.xml").exists()


def test_the_pick_up_is_a_recurring_core_job():
    jobs = {j.name: j for j in mat_recurring_jobs()}
    assert jobs["mis_drop_folder"].func is pick_up_folder
    assert jobs["mis_drop_folder"].cron == "*/15 * * * *"


def test_a_preview_nobody_confirms_lets_go_of_its_file_after_a_week(session, make_school,
                                                                     make_user):
    import datetime as dt

    from core.errors import ValidationError
    from core.mis import service

    school = make_school()
    _, admin = make_user("school_admin", school)
    imp = service.start_import(session, admin, school.id, samples.csv_bytes(
        samples.pupils_for(1, seed=63)), "roll.csv")
    service.process(session, imp)
    fresh = service.start_import(session, admin, school.id, b"UPN\n", "later.csv")
    service.process(session, fresh)  # invalid: no required columns, content already gone
    imp.created_at -= dt.timedelta(days=8)
    session.flush()
    assert service.expire_previews(session, school.id) == 1
    assert (imp.status, imp.content) == ("expired", None)
    with pytest.raises(ValidationError) as err:
        service.confirm_import(session, admin, school.id, imp.id)
    assert "more than 7 days ago" in err.value.errors["import"][0]
