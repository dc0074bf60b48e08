"""``python -m benchmarks pupils --size tiny|full``: onboarding a trust's pupils from its MIS.

``full`` is a 50-school, 50,000-pupil trust onboarded from 50 CTF files (1,000 pupils each,
with a parent each): every file read, checked, matched against the school's roll and committed
through :mod:`core.mis` exactly as ``mat pupils import`` does. The baseline, in the same run and
the same database, is a bare PostgreSQL ``COPY`` of the same rows into the same tables (the
pupils, their MIS records, flags and carers, with the tables' indexes and foreign keys), a
commit per school as the import makes: the least work that puts those rows where the import
puts them. ``ratio`` is baseline seconds / import seconds (the goal: at least 0.3). The first
measurements copied one row per pupil into an unindexed table; that figure is still reported
(``copy_one_table_seconds``, ``ratio_to_one_table_copy``). Peak memory is measured with tracemalloc
while one 10,000-pupil file is previewed. ``tiny`` is 3 schools of 40 pupils and a 500-pupil
file, for CI. Figures go to ``benchmarks/results/pupils_<size>.json``.

An import that stores pupils queues the school's family suggestions as a job of its own (it
compares the school with the whole trust); here jobs go to a private Redis queue that no worker
serves, so the figures are the import's own, and the queued jobs are counted, not run.
"""
from __future__ import annotations

import io
import json
import os
import uuid
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import text

from core import schools
from core.calendar import london_today
from core.db import SYSTEM
from core.mis import ctf, samples, service, sync
from core.models import Pupil

SIZES = {"tiny": (3, 40, 500), "full": (50, 1000, 10_000)}
RESULTS = Path(__file__).parent / "results"


def _copy_one_table(db, files: list[list[dict]]) -> float:
    """Seconds to COPY one row per pupil (its first contact beside it) into an unindexed
    table: the narrow baseline of the first measurements, still reported for comparison."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS bench_pupils_copy (upn text, "
                    "first_name text, last_name text, dob date, gender text, year int, "
                    "address text, carer text, responsibility bool)")
        raw.commit()
        t0 = time.perf_counter()
        for pupils in files:
            buf = io.StringIO()
            for p in pupils:
                c = p["carers"][0]
                buf.write("\t".join([p["upn"], p["first_name"], p["last_name"],
                                     p["date_of_birth"].isoformat(), p["gender"],
                                     str(p["year_group"]), p["address"],
                                     f"{c['first_name']} {c['last_name']}", "t"]) + "\n")
            with cur.copy("COPY bench_pupils_copy FROM STDIN") as copy:
                copy.write(buf.getvalue())
            raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def _table_rows(school_ids: list[int], trust_id: int, files: list[bytes]) -> list[list]:
    """Per school, (model, columns, rows) exactly as the import stores them: the same
    pupils, MIS records, flags and carers, read from the same files (not timed)."""
    today, out, next_id = london_today(), [], 1
    for sid, content in zip(school_ids, files):
        file, problems = ctf.CtfFile(), []
        rows = service.read_rows(ctf.read_ctf(io.BytesIO(content), file), "%Y-%m-%d",
                                 lambda: True, problems)
        assert not problems and not file.problems
        ids = list(range(next_id, next_id + len(rows)))
        next_id += len(rows)
        pupils = [{"id": i, **v}
                  for i, v in zip(ids, sync.pupil_values(sid, trust_id, rows, today))]
        tables = [(Pupil, *sync.with_defaults(Pupil, pupils))]
        for model, batch in sync.detail_values(sid, trust_id, rows, ids, today).items():
            if batch:
                tables.append((model, *sync.with_defaults(model, batch)))
        out.append(tables)
    return out


def _copy_baseline(db, schools_rows: list[list]) -> float:
    """Seconds to COPY the import's own rows into the same tables (their indexes, foreign
    keys and constraints), a transaction per school as the import commits; the tables are
    emptied again afterwards (not timed) for the import to start from the same state."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        t0 = time.perf_counter()
        for tables in schools_rows:
            for model, names, rows in tables:
                columns = ", ".join(f'"{n}"' for n in names)
                with cur.copy(f'COPY "{model.__tablename__}" ({columns}) FROM STDIN') as copy:
                    for r in rows:
                        copy.write_row([r[n] for n in names])
                if model is Pupil:
                    # as the import does: without it each detail row's foreign-key check is
                    # planned on statistics that say pupils is empty, and scans it
                    cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'pupils'::regclass")
                    if sync.needs_analyze(cur.fetchone()[0], len(rows)):
                        cur.execute("ANALYZE pupils")
            raw.commit()
        seconds = time.perf_counter() - t0
        # CASCADE reaches only the tables that point at pupils, empty in a scratch database
        cur.execute("TRUNCATE pupil_carers, pupil_flags, pupil_mis_records, pupils "
                    "RESTART IDENTITY CASCADE")
        raw.commit()
        return seconds
    finally:
        raw.close()


def _import(db, school_ids: list[int], urns: list[str], files: list[bytes]) -> float:
    t0 = time.perf_counter()
    for sid, urn, content in zip(school_ids, urns, files):
        with db.transaction(SYSTEM) as s:
            imp = service.start_import(s, None, sid, content, f"{urn}.xml", commit=True)
            report = service.process(s, imp)
            assert imp.status == "committed", report["problems"][:3]
    return time.perf_counter() - t0


def _peak_memory(db, school_id: int, urn: str, n: int) -> dict:
    content = samples.ctf_bytes(samples.pupils_for(n, seed=999, estab="5000"), urn)
    with db.transaction(SYSTEM) as s:
        imp = service.start_import(s, None, school_id, content, "big.xml", commit=False)
        s.flush()
        tracemalloc.start()
        service.process(s, imp)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        s.rollback()
    return {"pupils": n, "file_mb": round(len(content) / 1e6, 2), "peak_mb": round(peak / 1e6, 1)}


def _private_queue() -> str:
    from core import jobs

    queue = f"mat-bench-{uuid.uuid4().hex[:8]}"
    jobs.configure(os.environ.get("MAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"), queue)
    return queue


def _drop_queue(queue: str) -> None:
    from redis import Redis
    from rq import Queue

    from core import jobs

    url = jobs.redis_url()
    jobs.configure(None)
    try:
        Queue(queue, connection=Redis.from_url(url)).empty()
    except Exception:  # no Redis: the jobs never left the outbox of a dropped database
        pass


def main(size: str) -> dict:
    n_schools, per_school, big = SIZES[size]
    rows = [samples.pupils_for(per_school, seed=i + 1, estab=f"{2000 + i * 2:04d}")
            for i in range(n_schools)]
    queue = _private_queue()
    try:
        return _measure(size, n_schools, per_school, big, rows)
    finally:
        _drop_queue(queue)


def _measure(size: str, n_schools: int, per_school: int, big: int, rows) -> dict:
    from .scratch import scratch_database

    with scratch_database() as (url, db):
        with db.transaction(SYSTEM) as s:
            trust = schools.create_trust(s, "Benchmark trust")
            made = [schools.create_school(s, trust.id, f"{700000 + i:06d}", f"School {i}")
                    for i in range(n_schools)]
            ids, urns = [m.id for m in made], [m.urn for m in made]
            trust_id = trust.id
        files = [samples.ctf_bytes(r, urn) for r, urn in zip(rows, urns)]
        narrow = _copy_one_table(db, rows)
        baseline = _copy_baseline(db, _table_rows(ids, trust_id, files))
        imported = _import(db, ids, urns, files)
        t0 = time.perf_counter()
        _import(db, ids, urns, files)  # the same files again: nothing to store
        again = time.perf_counter() - t0
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM pupils")).scalar()
            queued = conn.execute(text("SELECT count(*) FROM job_runs WHERE func = "
                                       "'core.family_suggestions:run_for_school'")).scalar()
        memory = _peak_memory(db, ids[0], urns[0], big)
    pupils = n_schools * per_school
    report = {
        "size": size, "schools": n_schools, "pupils": pupils, "pupils_stored": stored,
        "import_seconds": round(imported, 2), "pupils_per_second": round(pupils / imported),
        "copy_seconds": round(baseline, 3), "ratio": round(baseline / imported, 3),
        "target_ratio": 0.3, "copy_one_table_seconds": round(narrow, 3),
        "ratio_to_one_table_copy": round(narrow / imported, 3), "reimport_seconds": round(again, 2), "memory": memory,
        "family_suggestion_jobs_queued": queued,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"pupils_{size}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
