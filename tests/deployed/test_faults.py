"""Faults injected into a running deployment: Redis stopped while people keep working, the
worker killed with SIGKILL in the middle of an import, PostgreSQL restarted under a stream of
writes. What people were told must be true, and what the database holds must be whole."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid

import psycopg
import pytest

from tests.deployed.actions import london_now, mail_rows, make_pupils, post_notification, \
    year_start
from tests.deployed.deployment import KNOBS, wait_until
from tests.deployed.registers import (import_status, marks_stored, register_csv, school_days,
                                      upload)

pytestmark = pytest.mark.deployed
RECONCILE = int(KNOBS["MAT_RECONCILE_SECONDS"])


def job_row(app, job_id: str) -> tuple:
    [row] = app.sql("SELECT status, attempts, dispatched_at, error FROM job_runs WHERE id = %s",
                    (job_id,))
    return row


def test_redis_outage_loses_no_work_and_runs_none_twice(app, redis_server, smtp_sink):
    ids = [p["id"] for p in make_pupils(app, 2, on_roll_from=year_start(app))]
    dob = "2015-11-20"
    make_pupils(app, 1, on_roll_from=year_start(app), first_name="Noah", last_name="Redfern",
                date_of_birth=dob)
    days = school_days(app.terms, last=5)
    data, expected = register_csv(ids, days)
    dsl_email = app.people["dsl"][0]
    since = app.scalar("SELECT now()")

    redis_server.stop()
    try:
        queued = upload(app, data)
        sent = post_notification(app, {"first_name": "Noah", "last_name": "Redfern",
                                       "date_of_birth": dob}, f"DA/{uuid.uuid4().hex[:8]}")

        # a truthful success: recorded, waiting for the queue, said so promptly
        assert queued.status == 201, queued
        assert sent.status == 201, sent
        assert max(queued.seconds, sent.seconds) < 10, (queued.seconds, sent.seconds)
        batch = queued.json()
        assert batch["status"] == "queued" and batch["job_id"], batch
        assert job_row(app, batch["job_id"]) == ("queued", 0, None, None)
        link = f"/schools/{app.school_id}/encompass/{sent.json()['id']}"
        assert [r[1] for r in mail_rows(app, dsl_email, link)] == [None]  # in the outbox
        waiting = app.sql("SELECT status, dispatched_at FROM job_runs WHERE enqueued_at >= %s "
                          "AND recurring IS NULL", (since,))
        assert len(waiting) >= 2 and set(waiting) == {("queued", None)}, waiting
        listed = {j["id"]: j for j in app.cli_json("jobs", "list", "--json")}
        assert (listed[batch["job_id"]]["status"], listed[batch["job_id"]]["dispatched"]) == (
            "queued", False)
        # the dispatcher tries while Redis is away: the job keeps waiting, nobody dies
        time.sleep(2 * RECONCILE + 1)
        assert job_row(app, batch["job_id"])[:3] == ("queued", 0, None)
        dead = [n for n in app.baseline if not app.processes[n].alive()]
        assert not dead, f"died while Redis was away: {dead}"
    finally:
        redis_server.start()

    final = wait_until(lambda: (b := import_status(app, batch["id"]))["status"]
                       in ("done", "failed") and b, 120, "the import after Redis came back")
    assert (final["status"], final["marks_imported"]) == ("done", expected), final
    assert marks_stored(app, ids) == expected
    wait_until(lambda: smtp_sink.matching(dsl_email, link), 120, "the DSL's email")
    wait_until(lambda: not app.sql("SELECT id FROM job_runs WHERE enqueued_at >= %s AND status "
                                   "IN ('queued', 'running')", (since,)), 60, "jobs to settle")
    runs = app.sql("SELECT id, func, status, attempts FROM job_runs WHERE enqueued_at >= %s",
                   (since,))
    assert all(status in ("done", "skipped") and attempts == 1
               for _, _, status, attempts in runs), runs
    time.sleep(1)  # a second delivery would come now
    assert len(smtp_sink.matching(dsl_email, link)) == 1
    [(_, sent_at, error)] = mail_rows(app, dsl_email, link)
    assert sent_at is not None and error is None


def test_worker_killed_mid_import_is_recovered_and_marks_are_all_or_nothing(app):
    ids = [p["id"] for p in make_pupils(app, 30, on_roll_from=year_start(app))]
    data, expected = register_csv(ids, school_days(app.terms))
    # Hold the marks table the way a long write would: the import reads and checks the whole
    # file, then waits to write, so the kill lands mid-import on any machine however fast.
    lock = psycopg.connect(app.database_url)
    lock.execute("LOCK TABLE attendance_weeks IN EXCLUSIVE MODE")
    try:
        queued = upload(app, data)
        assert queued.status == 201, queued
        batch = queued.json()
        job_id = batch["job_id"]

        def writing():
            [(status, done)] = app.sql("SELECT status, progress_done FROM job_runs "
                                       "WHERE id = %s", (job_id,))
            blocked = app.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                                 "relation = 'attendance_weeks'::regclass")
            return status == "running" and done > 0 and blocked > 0
        wait_until(writing, 90, "the import to be running, with progress, and writing")
        assert marks_stored(app, ids) == 0
        killed = app.kill9("worker")
        assert killed and not app.pids("worker"), "the worker's processes survived SIGKILL"
    finally:
        lock.rollback()
        lock.close()

    app.start_worker()
    seen = set()

    def finished():
        seen.add(marks_stored(app, ids))
        row = job_row(app, job_id)
        return row[0] in ("done", "failed") and row
    status, attempts, _, error = wait_until(finished, 120, "the job to be recovered")
    seen.add(marks_stored(app, ids))
    assert seen <= {0, expected}, f"partial marks seen: {sorted(seen)} of {expected}"
    final = import_status(app, batch["id"])
    print(f"killed mid-import: job {status} after {attempts} attempts; marks seen {sorted(seen)}")
    listed = {j["id"]: j for j in app.cli_json("jobs", "list", "--json")}
    assert listed[job_id]["status"] == status
    if status == "done":
        assert attempts >= 2, attempts  # the killed run counted, then the recovered one
        assert (final["status"], final["marks_imported"]) == ("done", expected), final
        assert marks_stored(app, ids) == expected
    else:
        assert "the worker stopped while running this job" in error, error
        assert final["status"] == "failed" and marks_stored(app, ids) == 0, final


def test_postgres_restart_under_concern_writes(pg_deployment, pg_cluster):
    from core.calendar import academic_year_start

    dep = pg_deployment
    start = dt.date(academic_year_start(london_now().date()), 9, 1)
    pupil_ids = [p["id"] for p in make_pupils(dep, 2, on_roll_from=start)]
    dsl = dep.people["dsl"][1]
    occurred = (london_now() - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()
    web_pid = dep.processes["web"].pid
    results: list[dict] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            tag = f"restart-{n}-{i}-{uuid.uuid4().hex[:6]}"
            try:
                a = dep.api("POST", f"/api/v1/schools/{dep.school_id}/concerns", dsl,
                            {"pupil_ids": pupil_ids, "occurred_at": occurred,
                             "fact": f"Deployed restart check {tag}."}, timeout=20)
                results.append({"tag": tag, "status": a.status, "body": a.body,
                                "type": a.headers.get("Content-Type", ""),
                                "seconds": a.seconds, "at": time.monotonic()})
            except Exception as exc:  # a hang or a dropped connection: what must not happen
                results.append({"tag": tag, "status": None, "error": repr(exc)})
                time.sleep(0.1)

    def successes(since: int = 0) -> int:
        return sum(1 for r in results[since:] if r["status"] == 201)

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: successes() >= 20, 60, "writes before the restart")
        postmaster = pg_cluster.postmaster_pid()
        restarting = time.monotonic()
        pg_cluster.restart()
        back = time.monotonic()
        assert pg_cluster.postmaster_pid() != postmaster
        after = len(results)
        wait_until(lambda: successes(after) >= 20, 60, "writes after the restart")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a writer hung"

    broken = [r for r in results if r["status"] is None]
    assert not broken, f"requests without an HTTP answer: {broken[:5]}"
    failures = [r for r in results if r["status"] != 201]
    for r in failures:
        assert 500 <= r["status"] < 600 and "json" in r["type"], r
        assert json.loads(r["body"])["message"], r
    assert max(r["seconds"] for r in results) < 15, "a request took too long"
    answered = {json.loads(r["body"])["id"]: r["tag"] for r in results if r["status"] == 201}
    with psycopg.connect(dep.database_url) as conn:
        stored = dict(conn.execute("SELECT id, fact FROM concerns").fetchall())
    missing = [(cid, tag) for cid, tag in answered.items()
               if tag not in stored.get(cid, "")]
    assert not missing, f"answered 201 but not stored: {missing}"
    sent = {r["tag"] for r in results}
    stray = [f for f in stored.values() if f.split()[-1].rstrip(".") not in sent]
    assert not stray, f"stored but never sent: {stray}"
    assert dep.processes["web"].pid == web_pid and dep.processes["web"].alive()
    failed_but_stored = [r["tag"] for r in failures
                         if any(r["tag"] in f for f in stored.values())]
    late = [r for r in failures if r["at"] > back + 0.5]
    print(f"postgres restart took {back - restarting:.1f} s: {len(results)} writes, "
          f"{len(answered)} answered 201, {len(failures)} answered "
          f"{sorted({r['status'] for r in failures})} ({len(late)} of them more than 0.5 s "
          f"after the restart returned), {len(failed_but_stored)} of those stored anyway")
