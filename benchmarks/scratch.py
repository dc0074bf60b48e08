"""A scratch PostgreSQL database with a trust, one school, its pupils and two years of terms."""
from __future__ import annotations

import datetime as dt
import os
import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, text

from core import schools
from core.calendar import academic_year_start, england_terms, london_today
from core.db import SYSTEM, Database, use_database
from core.migrate import upgrade
from core.models import Pupil
from core.plugins import make_host, use_host
from core.upn import make_upn

ADMIN_URL = os.environ.get("MAT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database() -> Iterator[tuple[str, Database]]:
    """Create, migrate and (always) drop a database of our own."""
    name = f"mat_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    db = None
    try:
        host = make_host()
        use_host(host)
        upgrade(url, host=host)
        db = Database(url)
        use_database(db)
        yield url, db
    finally:
        if db is not None:
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_school(db: Database, pupils: int) -> tuple[int, int, list[str]]:
    """A school with the attendance plugin on, last and this academic year's terms and
    ``pupils`` pupils on roll since two Septembers ago. Returns (school, trust, UPNs)."""
    year = academic_year_start(london_today())
    host = make_host()
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Benchmark Trust")
        school = schools.create_school(s, trust.id, "990999", "Benchmark Academy")
        schools.set_terms(s, school.id, england_terms(year - 1) + england_terms(year))
        host.set_enabled(s, school.id, "attendance", True)
        upns = [make_upn("823", "4001", 10 + i // 1000, i % 1000) for i in range(pupils)]
        s.execute(Pupil.__table__.insert(), [
            {"school_id": school.id, "trust_id": trust.id, "upn": u, "first_name": f"P{i}",
             "last_name": "Bench", "date_of_birth": dt.date(2014, 1, 1), "gender": "U",
             "year_group": 5, "on_roll_from": dt.date(year - 1, 9, 1)}
            for i, u in enumerate(upns)])
        school_id, trust_id = school.id, trust.id
    with db.engine.connect() as conn:
        # a live database's autovacuum keeps statistics; a freshly loaded roll needs them now,
        # or every foreign-key check on a mark would scan the whole roll
        conn.exec_driver_sql("ANALYZE pupils")
        conn.commit()
    return school_id, trust_id, upns
