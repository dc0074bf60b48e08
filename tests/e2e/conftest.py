"""End-to-end fixtures: the real app served by werkzeug in a thread, against its own committed
PostgreSQL database, driven by Debian's headless Chromium through Playwright.

The plugin host carries the core and a throwaway plugin (``tinyweb``, from tests/web) switched
on in both schools: the flows go through the same per-school gate as any plugin, without
depending on a real plugin's pages (each plugin's own tests cover those)."""
from __future__ import annotations

import datetime as dt
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from werkzeug.serving import make_server

from core import accounts, pupils, schools
from core.calendar import TermSpan
from core.db import SYSTEM, Database, use_database
from core.models import TotpDevice
from core.plugins import make_host, use_host

PASSWORD = "e2e password for tests"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _tinyweb():
    path = Path(__file__).resolve().parents[1] / "web" / "tinyweb.py"
    spec = importlib.util.spec_from_file_location("mat_e2e_tinyweb", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Live:
    url: str
    db: Database
    host: object
    school_a: int
    school_b: int
    dsl_secret: str
    shots: Path


def _seed(db: Database, host) -> tuple[int, int, str]:
    secret = pyotp.random_base32()
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Brookside Learning Trust")
        ids = []
        for urn, name in (("991001", "Brookside Primary"), ("991002", "Meadow Primary")):
            sc = schools.create_school(s, trust.id, urn, name, "Primary")
            schools.set_terms(s, sc.id, [TermSpan("Autumn", dt.date(2026, 9, 2),
                                                  dt.date(2026, 12, 18))])
            host.set_enabled(s, sc.id, "tinyweb", True)
            ids.append(sc.id)
        for first, last in (("Amelia", "Okafor"), ("Oliver", "Nowak"), ("Grace", "Hughes")):
            pupils.add_pupil(s, None, ids[0], first_name=first, last_name=last,
                             date_of_birth=dt.date(2017, 3, 4), year_group=4,
                             on_roll_from=dt.date(2025, 9, 1))
        for email, name, role, school in (
                ("staff@e2e.invalid", "Sam Staff", "staff", ids[0]),
                ("dsl@e2e.invalid", "Dee Lead", "dsl", ids[0]),
                ("admin@e2e.invalid", "Ada Admin", "trust_admin", None)):
            u = accounts.create_user(s, email, name, PASSWORD)
            accounts.grant_role(s, u.id, role, school_id=school,
                                trust_id=trust.id if school is None else None)
            if role in ("dsl", "trust_admin"):  # both read what needs a second factor
                s.add(TotpDevice(user_id=u.id, name="phone", secret=secret,
                                 confirmed_at=dt.datetime.now(dt.timezone.utc)))
    return ids[0], ids[1], secret


@pytest.fixture(scope="module")
def live(database_factory, tmp_path_factory):
    from core.config import Settings
    from web import create_app

    tiny = _tinyweb()
    host = make_host(load_entry_points=False, extra=[(tiny.NAME, tiny.TinyWeb())])
    url, db = database_factory.create("postgresql", host=host)
    use_host(host)
    use_database(db)
    a, b, secret = _seed(db, host)
    tmp = tmp_path_factory.mktemp("e2e")
    app = create_app(Settings(instance_path=tmp, database_url=url, secret_key="e" * 40),
                     db=db, host=host)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shots = Path(os.environ.get("MAT_E2E_SCREENSHOTS") or tmp / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    yield Live(f"http://127.0.0.1:{server.server_port}", db, host, a, b, secret, shots)
    server.shutdown()
    thread.join(5)
    use_host(None)


@pytest.fixture
def browser(live):
    from playwright.sync_api import sync_playwright

    use_host(live.host)  # other tests in this process may have swapped these
    use_database(live.db)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                      args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class DemoLive:
    url: str
    db: Database
    host: object
    school_id: int
    pupil_id: int
    concern_id: int
    long_word: str


@pytest.fixture(scope="module")
def demo_live(database_factory, tmp_path_factory):
    """The real plugin host and a small demo trust (``mat demo``'s data, ten pupils a school),
    plus a concern whose text holds a 300-character word with no space in it: what a phone
    layout has to survive."""
    from core import concerns, demo
    from core.config import Settings
    from core.models import Pupil, User
    from core.policy import actor_for
    from sqlalchemy import select
    from web import create_app

    host = make_host()
    # SQLite and a cheap password hash: seeding is most of this fixture's time, and a layout
    # does not depend on the database (the flows above run on PostgreSQL)
    url, db = database_factory.create("sqlite", host=host)
    use_host(host)
    use_database(db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                       parallelism=1))
        result = demo.seed(db, pupils_per_school=10)
    school_id = result.school_ids[0]
    long_word = "W" + "x" * 298 + "Z"
    with db.transaction(SYSTEM) as s:
        pupil_id = s.scalar(select(Pupil.id).where(Pupil.school_id == school_id)
                            .order_by(Pupil.id))
        staff = s.scalar(select(User.id).where(User.email == "staff.north-primary@demo.invalid"))
        concern = concerns.record_concern(
            s, actor_for(s, staff, mfa=False), school_id,
            occurred_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1),
            pupil_ids=[pupil_id], fact=f"Pasted from a message: {long_word} end.",
            child_words=long_word, location="Library")
        concern_id = concern.id
    app = create_app(Settings(instance_path=tmp_path_factory.mktemp("e2e-demo"), database_url=url,
                              secret_key="d" * 40), db=db, host=host)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield DemoLive(f"http://127.0.0.1:{server.server_port}", db, host, school_id, pupil_id,
                   concern_id, long_word)
    server.shutdown()
    thread.join(5)
    use_host(None)


@pytest.fixture
def demo_browser(demo_live):
    from playwright.sync_api import sync_playwright

    use_host(demo_live.host)  # other tests in this process may have swapped these
    use_database(demo_live.db)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                      args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
