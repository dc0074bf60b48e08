"""``python -m benchmarks writes --size tiny|full``: recording concerns through the API, as
deployed (gunicorn, PostgreSQL), against a bare Flask + SQLAlchemy endpoint doing one INSERT
into the same database, served the same way, in the same run.

Both servers get the same number of gunicorn workers and the same clients (threads keeping a
connection open each, posting as fast as answers come). The figures are requests per second,
latency percentiles and errors for each, and ``ratio`` = app / bare: how close a real write
(validation, tenancy, the audit chain, the accumulation check, plugins' hooks) comes to the
framework's pace. Results go to ``results/writes_<size>.json``.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import text

from core import accounts
from core.plugins import current_host
from core.db import SYSTEM

from .scratch import scratch_database, seed_school

SIZES = {"tiny": {"clients": 8, "seconds": 3.0, "workers": 2},
         "full": {"clients": 50, "seconds": 20.0, "workers": 4}}
PUPILS = 1000  # a secondary school's roll
HISTORY_PER_PUPIL = 2  # concerns each pupil already has, spread over the past year
RESULTS = Path(__file__).parent / "results"
BIN = Path(sys.executable).parent

BARE_APP = '''
import os
from flask import Flask, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["BENCH_URL"], pool_size=5)
app = Flask(__name__)


@app.post("/insert")
def insert():
    body = request.get_json()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bench_bare (fact, at) VALUES (:f, now())"),
                     {"f": body["fact"]})
    return {"ok": True}, 201
'''


def seed_history(s, school_id: int, trust_id: int, user_id: int, pupil_ids: list[int]) -> int:
    """The concerns a school already holds: ``HISTORY_PER_PUPIL`` per pupil, spread over the
    past year (written straight to the tables: they are the backdrop, not what is measured)."""
    from core.models import Concern, ConcernPupil

    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"school_id": school_id, "trust_id": trust_id, "recorded_by_id": user_id,
             "occurred_at": now - dt.timedelta(days=(n * 37 + k * 151) % 365, hours=1),
             "recorded_at": now - dt.timedelta(days=(n * 37 + k * 151) % 365),
             "location": "", "fact": f"An earlier concern ({k}).", "child_words": "",
             "opinion": "", "source": "staff"}
            for n in range(len(pupil_ids)) for k in range(HISTORY_PER_PUPIL)]
    ids = s.scalars(Concern.__table__.insert().returning(
        Concern.__table__.c.id, sort_by_parameter_order=True), rows).all()
    s.execute(ConcernPupil.__table__.insert(), [
        {"school_id": school_id, "trust_id": trust_id, "concern_id": cid,
         "pupil_id": pupil_ids[i // HISTORY_PER_PUPIL]} for i, cid in enumerate(ids)])
    return len(ids)


def analyse(db) -> None:
    """Statistics as a live database's autovacuum keeps them: without them the planner takes
    tables loaded a moment ago for empty ones and picks plans that scan a school's every
    concern for each pupil (a cold-start artefact, not the steady state measured here)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def statements_per_write(db, url: str, tmp: str, path: str, body: dict, auth: dict) -> int:
    """The SQL statements one concern costs through the API (the app in this process, the
    same database), counted for a second request (the token's last-used time, written at
    most once a minute, went with the first). The pool's connection check, BEGIN and COMMIT
    are not statements a cursor sends, so not counted."""
    from sqlalchemy import event

    from core.config import Settings
    from web import create_app

    app = create_app(Settings(instance_path=Path(tmp) / "counting", database_url=url,
                              secret_key="bench-" * 8, audit_key="bench-audit-key-" * 3),
                     db=db, host=current_host())
    client = app.test_client()
    sent: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        sent.append(statement)

    for _ in range(2):
        sent.clear()
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            answer = client.post(path, json=body, headers=auth)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        if answer.status_code != 201:
            raise RuntimeError(f"recording a concern answered {answer.status_code}")
    return len(sent)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} within {seconds} s")


def gunicorn(app: str, port: int, workers: int, env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
         "warning", app], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def load(port: int, path: str, body_of, headers: dict, clients: int, seconds: float) -> dict:
    """``clients`` threads, each on its own kept-alive connection, posting for ``seconds``."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, 0
        while time.monotonic() < stop:
            payload = json.dumps(body_of(n, i))
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, payload, {"Content-Type": "application/json",
                                                     **headers})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 201:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
            i += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(len(ms) * p))], 1) if ms else 0.0

    return {"requests": len(ms), "rps": round(len(ms) / elapsed, 1), "p50_ms": pct(0.50),
            "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0, "errors": errors[0]}


def main(size: str) -> dict:
    cfg = SIZES[size]
    report: dict = {"size": size, "date": dt.date.today().isoformat(), **cfg,
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    with scratch_database() as (url, db), tempfile.TemporaryDirectory() as tmp:
        school_id, trust_id, _ = seed_school(db, PUPILS)
        with db.transaction(SYSTEM) as s:
            staff = accounts.create_user(s, "staff@bench.example", "Staff", "bench-password-1")
            accounts.grant_role(s, staff.id, "staff", school_id=school_id)
            token = accounts.create_token(s, staff.id, "bench")
            pupil_ids = list(s.scalars(text("SELECT id FROM pupils WHERE school_id = :s"),
                                       {"s": school_id}))
            host = current_host()
            for name in host.names:  # every plugin on: their hooks run on each concern
                host.set_enabled(s, school_id, name, True)
            s.execute(text("CREATE TABLE bench_bare (id serial PRIMARY KEY, fact text, "
                           "at timestamptz)"))
            history = seed_history(s, school_id, trust_id, staff.id, pupil_ids)
        analyse(db)
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        sqlalchemy_url = url if "+psycopg" in url else url.replace("postgresql://",
                                                                    "postgresql+psycopg://")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAT_")}
        env.update(MAT_DATABASE_URL=url, MAT_INSTANCE_PATH=str(Path(tmp) / "instance"),
                   MAT_AUDIT_KEY="bench-audit-key-" * 3, BENCH_URL=sqlalchemy_url,
                   PYTHONPATH=os.pathsep.join([str(Path.cwd()), tmp]))
        auth = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/schools/{school_id}/concerns"
        occurred = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat()
        report["app_statements_per_request"] = statements_per_write(
            db, url, tmp, path, {"pupil_ids": [pupil_ids[-1]], "occurred_at": occurred,
                                 "fact": "Counting what a concern costs."}, auth)
        app_port, bare_port = free_port(), free_port()
        app = gunicorn("web.wsgi:app", app_port, cfg["workers"], env, Path.cwd())
        bare = gunicorn("bare_app:app", bare_port, cfg["workers"], env, Path(tmp))
        try:
            wait_for(app_port, app)
            wait_for(bare_port, bare)

            def concern(n: int, i: int) -> dict:
                return {"pupil_ids": [pupil_ids[(n * 7 + i) % len(pupil_ids)]],
                        "occurred_at": occurred, "fact": f"Client {n} saw something ({i})."}

            # warm both (imports, pools), then alternate short rounds so neither gets the
            # machine's quiet moments only
            load(app_port, path, concern, auth, 2, 0.5)
            load(bare_port, "/insert", concern, {}, 2, 0.5)
            rounds = []
            for _ in range(2):
                rounds.append(("bare", load(bare_port, "/insert", concern, {}, cfg["clients"],
                                            cfg["seconds"] / 2)))
                rounds.append(("app", load(app_port, path, concern, auth, cfg["clients"],
                                           cfg["seconds"] / 2)))
        finally:
            for proc in (app, bare):
                proc.terminate()
                proc.wait(timeout=30)
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM concerns")).scalar()
        for name in ("app", "bare"):
            mine = [r for n, r in rounds if n == name]
            n_req = sum(r["requests"] for r in mine)
            report[name] = {
                "requests": n_req, "rps": round(sum(r["rps"] for r in mine) / len(mine), 1),
                "p50_ms": max(r["p50_ms"] for r in mine), "p95_ms": max(r["p95_ms"] for r in mine),
                "p99_ms": max(r["p99_ms"] for r in mine), "errors": sum(r["errors"] for r in mine)}
        report.update(app_rps=report["app"]["rps"], bare_rps=report["bare"]["rps"],
                      ratio=round(report["app"]["rps"] / report["bare"]["rps"], 3)
                      if report["bare"]["rps"] else None,
                      errors=report["app"]["errors"] + report["bare"]["errors"],
                      pupils=PUPILS, history_concerns=history, concerns_stored=stored)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"writes_{size}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("app_rps", "bare_rps", "ratio", "errors",
                                            "app_statements_per_request")}))
    print(f"wrote {out}")
    return report
