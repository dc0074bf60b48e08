"""The SQLite first run, as the demo runs it: a file database, no Redis, the import page. The
inline import job must run after the request's transaction commits: run while the request
still held SQLite's write lock, it failed with "database is locked" every time."""
from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from core import accounts, jobs, pupils, schools
from core.calendar import TermSpan
from core.config import Settings
from core.db import SYSTEM, use_database
from core.models import JobRun

CSRF = "first-run-csrf"


def test_web_import_on_a_sqlite_file_database_imports(database_factory, host, tmp_path):
    url, db = database_factory.create("sqlite")
    use_database(db)
    jobs.configure(None)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "First Run Trust")
        school = schools.create_school(s, trust.id, "990777", "First Run Primary")
        schools.set_terms(s, school.id, [TermSpan("Autumn", dt.date(2025, 9, 3),
                                                  dt.date(2025, 12, 19))])
        host.set_enabled(s, school.id, "attendance", True)
        pupil = pupils.add_pupil(s, None, school.id, first_name="Ada", last_name="First",
                                 date_of_birth=dt.date(2016, 3, 1), year_group=4,
                                 on_roll_from=dt.date(2025, 9, 1), upn="A820200012345")
        admin = accounts.create_user(s, "admin@first-run.example", "Admin", "correct horse battery")
        accounts.grant_role(s, admin.id, "school_admin", school_id=school.id)
        school_id, pupil_id, upn, admin_id = school.id, pupil.id, pupil.upn, admin.id

    from web import create_app

    app = create_app(Settings(instance_path=tmp_path, database_url=url, secret_key="x" * 40),
                     db=db, host=host)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["csrf_token"] = str(admin_id), True, CSRF
    csv = f"UPN,Date,Session,Mark\n{upn},2025-09-08,AM,/\n{upn},2025-09-08,PM,N\n"
    r = client.post(f"/schools/{school_id}/attendance/import", data={
        "csrf_token": CSRF, "source": "csv", "format": "long", "pupil": "UPN", "date": "Date",
        "session": "Session", "code": "Mark", "file": (io.BytesIO(csv.encode()), "marks.csv")},
        content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Imported 2 marks" in page, page[:3000]
    with db.transaction(SYSTEM) as s:
        runs = {run.func: run.status for run in s.scalars(select(JobRun))}
        from plugins.attendance.models import AttendanceWeek

        weeks = list(s.scalars(select(AttendanceWeek).where(AttendanceWeek.pupil_id == pupil_id)))
    assert runs["plugins.attendance.jobs:import_batch"] == "done"
    assert runs["plugins.attendance.jobs:analyse_school"] == "done"  # queued by the import
    assert len(weeks) == 1 and weeks[0].marks.startswith("/ N")
