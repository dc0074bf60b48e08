"""``POST /api/v1/schools/{id}/pupils/imports`` (a job), its status with the report, and its
confirm: preview, commit, problems named by line and field, refusals; and the job on a real
Redis with a real ``rq worker``."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from core import jobs
from core.db import SYSTEM, use_database
from core.mis import samples, service
from core.models import MisImport, Pupil
from core.schools import create_school, create_trust


def _url(school, tail=""):
    return f"/api/v1/schools/{school.id}/pupils/imports{tail}"


def _send(who, school, content, name="roll.csv", **form):
    return who.client.post(_url(school), headers=who.headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), name), **form})


def _pupils(session, school) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.school_id == school.id))


def test_preview_then_confirm(caller, make_school, session):
    school = make_school()
    admin = caller("school_admin", school)
    rows = samples.pupils_for(4, seed=31)
    r = _send(admin, school, samples.csv_bytes(rows))
    assert r.status_code == 202, r.get_json()
    imp = r.get_json()
    status = admin.get(_url(school, f"/{imp['id']}")).get_json()
    assert status["status"] == "previewed" and status["job_state"] == "done"
    assert status["report"]["counts"]["adds"] == 4 and status["report"]["stored"] is None
    assert [a["where"] for a in status["report"]["adds"]] == ["line 2", "line 3", "line 4",
                                                              "line 5"]
    assert _pupils(session, school) == 0
    r = admin.post(_url(school, f"/{imp['id']}/confirm"))
    assert r.status_code == 202
    status = admin.get(_url(school, f"/{imp['id']}")).get_json()
    assert status["status"] == "committed" and status["report"]["stored"]["added"] == 4
    assert _pupils(session, school) == 4
    r = admin.post(_url(school, f"/{imp['id']}/confirm"))
    assert r.status_code == 422 and "already imported" in r.get_json()["errors"]["json"]["import"][0]


def test_a_bad_file_reports_line_and_field_and_stores_nothing(caller, make_school, session):
    school = make_school()
    admin = caller("dsl", school)
    rows = samples.pupils_for(2, seed=32)
    rows[0]["carers"][0]["email"] = "not an address"
    r = _send(admin, school, samples.csv_bytes(rows), commit="true")
    body = admin.get(_url(school, f"/{r.get_json()['id']}")).get_json()
    assert body["status"] == "invalid"
    assert body["report"]["problems"] == [{
        "where": "line 2, contact 1", "field": "Contact n email",
        "message": "'not an address' is not an email address (like name@example.org)"}]
    assert _pupils(session, school) == 0


def test_bad_requests_answer_422_naming_the_field(caller, make_school):
    school = make_school()
    admin = caller("school_admin", school)
    r = admin.post(_url(school), data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]["json"]
    r = _send(admin, school, b"a,b\n", format="pdf")
    assert r.status_code == 422 and "format" in r.get_json()["errors"]["json"]
    r = _send(admin, school, b"a,b\n", commit="maybe")
    assert r.status_code == 422 and "commit" in r.get_json()["errors"]["json"]
    r = _send(admin, school, b"a,b\n", layout="Bromcom")
    assert r.status_code == 422 and "layout" in r.get_json()["errors"]["json"]
    r = admin.post(_url(school), data={"source": "nowhere"}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "no MIS source called 'nowhere'" in r.get_json()["errors"]["json"]["source"][0]


def test_others_get_404(caller, make_school, session):
    school, other = make_school(), make_school()
    admin = caller("school_admin", school)
    imp = _send(admin, school, samples.csv_bytes(samples.pupils_for(1, seed=33))).get_json()
    for who in (caller("staff", school), caller("headteacher", school),
                caller("school_admin", other)):
        assert _send(who, school, b"x").status_code == 404
        assert who.get(_url(school, f"/{imp['id']}")).status_code == 404
        assert who.post(_url(school, f"/{imp['id']}/confirm")).status_code == 404
    other_admin = caller("school_admin", other)
    assert other_admin.get(_url(other, f"/{imp['id']}")).status_code == 404
    assert session.get(MisImport, imp["id"]).status == "previewed"


REDIS_URL = os.environ.get("MAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).parents[2]


@pytest.mark.redis
def test_the_import_job_runs_in_a_real_worker(database_factory, backend):
    url, db = database_factory.create(backend)
    use_database(db)
    queue = f"mat-test-{uuid.uuid4().hex[:8]}"
    jobs.configure(REDIS_URL, queue)
    conn = Redis.from_url(REDIS_URL)
    try:
        with db.transaction(SYSTEM) as s:
            trust = create_trust(s, f"Import trust {queue}")
            school = create_school(s, trust.id, "812345", "Worker School")
            content = samples.ctf_bytes(samples.pupils_for(30, seed=34), school.urn)
            imp = service.start_import(s, None, school.id, content, "roll.xml", commit=True)
            service.queue(s, imp)
            ids = (imp.id, imp.job_id, school.id)
        assert jobs.job_status(ids[1]).status == "queued"  # handed to Redis, not run inline
        env = dict(os.environ, MAT_DATABASE_URL=url, MAT_REDIS_URL=REDIS_URL, MAT_QUEUE=queue,
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url",
                               REDIS_URL, queue], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert jobs.job_status(ids[1]).status == "done"
        with db.transaction(SYSTEM) as s:
            imp = s.get(MisImport, ids[0])
            assert imp.status == "committed" and imp.report["stored"]["added"] == 30
            assert s.scalar(select(func.count()).select_from(Pupil).where(
                Pupil.school_id == ids[2])) == 30
    finally:
        jobs.configure(None)
        Queue(queue, connection=conn).empty()
