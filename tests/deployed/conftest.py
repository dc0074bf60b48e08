"""The deployed-shape harness: a Redis and an SMTP sink of the test's own, a database made and
seeded the way an operator would (``mat init``, then ``mat trust create``, ``mat school
create``, ``mat user create``, ``mat plugins set``, ``mat encompass create-client`` and ``mat
token create`` run by ``mat_batch``; term dates on the admin page), and gunicorn, ``mat
worker`` and ``mat scheduler`` as real processes. The restart test gets a PostgreSQL cluster of
its own. Every process is stopped at the end, also after a failure, and the logs of every
process are attached to a failing test's report."""
from __future__ import annotations

import os
import re
import uuid
from importlib.metadata import entry_points

import psycopg
import pytest

from tests.deployed.deployment import KNOBS, PASSWORD, Browser, Deployment
from tests.deployed.services import PgCluster, RedisServer, SmtpSink, tail

PG_ADMIN_URL = os.environ.get("MAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"
                              ).replace("+psycopg", "")
TRUST = "Deployed Learning Trust"
URN = "100001"
_live: list = []  # what to show when a test fails: deployments, Redis, clusters


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:  # (a conftest hook: called for this folder's tests only)
        for thing in _live:
            for name, text in thing.logs():
                report.sections.append((f"log of {name}", text))


class _Logs:
    def __init__(self, name, path):
        self.name, self.path = name, path

    def logs(self):
        return [(self.name, tail(self.path))]


@pytest.fixture(scope="session")
def deployed_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("deployed")


@pytest.fixture(scope="session")
def redis_server(deployed_tmp):
    server = RedisServer(deployed_tmp)
    logs = _Logs("redis", server.log)
    _live.append(logs)
    server.start()
    yield server
    server.stop()
    _live.remove(logs)


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.close()


def _create_database(admin_url: str) -> tuple[str, str]:
    name = f"mat_deployed_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


def _create_roles(admin_url: str, name: str) -> dict:
    """The roles an operator makes with ``mat db roles --print-sql`` (run by a superuser in
    the new database): the processes then log in as a role that is neither superuser nor
    BYPASSRLS nor owner, and ``mat init`` migrates as the owner. Names of this deployment's
    own, since roles belong to the whole server."""
    from core.dbroles import Roles, statements

    tag = name.rsplit("_", 1)[-1]
    roles = Roles(name, owner=f"mat_owner_{tag}", login=f"mat_app_{tag}")
    server = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/{name}", autocommit=True) as conn:
        for stmt in statements(roles):
            conn.execute(stmt)
    as_role = lambda role: server.replace("postgres@", f"{role}@", 1) + "/" + name  # noqa: E731
    return {"login_url": as_role(roles.login), "owner_url": as_role(roles.owner),
            "roles": (roles.login, roles.owner)}


def _drop_database(admin_url: str, name: str) -> None:
    tag = name.rsplit("_", 1)[-1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in (f"mat_app_{tag}", f"mat_owner_{tag}"):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def plugin_names() -> list[str]:
    return sorted(e.name for e in entry_points(group="mat.plugins"))


def seed(dep: Deployment, *, full: bool) -> None:
    """What an operator types on a new server after ``mat init``, then the people's tokens.
    ``full``: every plugin on, a trust admin (for the term dates) and Encompass credentials;
    otherwise a DSL alone."""
    people = {"dsl": ("dsl@alder.test", "dsl")}
    if full:
        people["staff"] = ("staff@alder.test", "staff")
    commands = [("trust", "create", TRUST),
                ("school", "create", "--trust", TRUST, "--urn", URN, "--name", "Alder Primary")]
    commands += [("user", "create", "--email", email, "--name", f"{role.title()} Person",
                  "--password", PASSWORD, "--role", role, "--school", URN)
                 for email, role in people.values()]
    if full:
        commands.append(("user", "create", "--email", "admin@trust.test", "--name",
                         "Trust Admin", "--password", PASSWORD, "--role", "trust_admin",
                         "--trust", TRUST))
        commands += [("plugins", "set", n, "on", "--school", URN) for n in plugin_names()]
        commands.append(("encompass", "create-client", "--trust", TRUST, "--name",
                         "Deployed Police"))
    commands += [("token", "create", "--user", email) for email, _ in people.values()]
    done = dep.cli_batch(*commands)
    assert done[0]["stdout"].startswith(f"created trust {TRUST}"), done[0]
    if full:
        out = done[-1 - len(people)]["stdout"]
        dep.encompass = (re.search(r"key id: (\S+)", out).group(1),
                         re.search(r"secret: (\S+)", out).group(1))
    for (who, (email, _)), made in zip(people.items(), done[-len(people):]):
        token = re.search(r"^(mat_\S+)$", made["stdout"], re.M)
        assert token, f"no token printed: {made}"
        dep.people[who] = (email, token.group(1))
    dep.urn = URN


def add_terms(dep: Deployment, school_id: int) -> list:
    """Last year's and this year's terms, entered by the trust admin on the school's admin page
    (there is no command for them): imports need school days."""
    from core.calendar import academic_year_start, england_terms, london_today

    year = academic_year_start(london_today())
    terms = england_terms(year - 1) + england_terms(year)
    browser = Browser(dep.base)
    token = browser.csrf("/login")
    signed_in = browser.request("POST", "/login", {"csrf_token": token, "email": "admin@trust.test",
                                                   "password": PASSWORD})
    assert signed_in.status == 302, f"trust admin sign-in: {signed_in}"
    if signed_in.headers.get("Location", "").endswith("/login/enrol"):
        _enrol(browser)  # a trust admin's role reads the audit log: a second factor first
    page = f"/admin/schools/{school_id}"
    token = browser.csrf(page)
    for t in terms:
        added = browser.request("POST", f"{page}/terms", {
            "csrf_token": token, "term_name": t.name, "start_date": t.start.isoformat(),
            "end_date": t.end.isoformat()})
        assert added.status == 302, f"adding term {t}: {added}"
    return terms


def _enrol(browser: Browser) -> None:
    """Add an authenticator as a person does at first sign-in: read the key off the page and
    answer with the code an app would show."""
    import pyotp

    page = browser.request("GET", "/login/enrol")
    secret = re.search(rb'class="secret">([A-Z2-7]+)<', page.body)
    assert secret, f"no key on the enrolment page: {page}"
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.body).group(1).decode()
    done = browser.request("POST", "/login/enrol", {
        "csrf_token": token, "name": "Admin phone",
        "code": pyotp.TOTP(secret.group(1).decode()).now()})
    assert done.status == 200 and b"recovery" in done.body.lower(), f"enrolment: {done}"


def _show_logs_on_failure(dep: Deployment) -> None:
    import sys

    for name, text in dep.logs():
        print(f"---- log of {name} ----\n{text}", file=sys.stderr)


@pytest.fixture(scope="session")
def deployment(deployed_tmp, redis_server, smtp_sink):
    """The main deployment on the shared PostgreSQL server: gunicorn -w 2, one worker, one
    scheduler, and Alder Primary with every plugin on."""
    name, url = _create_database(PG_ADMIN_URL)
    roles = _create_roles(PG_ADMIN_URL, name)
    tmp = deployed_tmp / "main"
    tmp.mkdir()
    dep = Deployment("main", tmp, url, redis_server.url, smtp_sink.port, dict(KNOBS),
                     login_url=roles["login_url"], owner_url=roles["owner_url"])
    _live.append(dep)
    try:
        dep.cli("init")
        dep.baseline = ("web", "worker", "scheduler")
        # the processes start while the operator seeds: start-up is seconds of imports each
        dep.start_web(wait=False)
        dep.start_worker(wait=False)
        dep.start_scheduler(wait=False)
        seed(dep, full=True)
        dep.wait_ready(dep.baseline)
        schools = {s["urn"]: s["id"] for s in dep.api("GET", "/api/v1/schools",
                                                      dep.people["dsl"][1]).json()}
        dep.school_id = schools[URN]
        dep.terms = add_terms(dep, dep.school_id)
    except BaseException:
        _show_logs_on_failure(dep)
        dep.stop_all()
        _live.remove(dep)
        _drop_database(PG_ADMIN_URL, name)
        raise
    yield dep
    dep.stop_all()
    _live.remove(dep)
    _drop_database(PG_ADMIN_URL, name)


@pytest.fixture
def app(deployment, redis_server):
    """The main deployment as it should be between tests: Redis up, baseline processes live."""
    if not redis_server.running():
        redis_server.start()
    deployment.ensure_baseline()
    return deployment


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = PgCluster()
    logs = _Logs("postgresql (own cluster)", cluster.log)
    _live.append(logs)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
        _live.remove(logs)


@pytest.fixture(scope="session")
def pg_deployment(deployed_tmp, pg_cluster, redis_server, smtp_sink):
    """gunicorn alone against the test's own PostgreSQL cluster (for restarting it)."""
    name, url = _create_database(pg_cluster.url())
    roles = _create_roles(pg_cluster.url(), name)
    tmp = deployed_tmp / "own-cluster"
    tmp.mkdir()
    dep = Deployment("own-cluster", tmp, url, redis_server.url, smtp_sink.port, dict(KNOBS),
                     login_url=roles["login_url"], owner_url=roles["owner_url"])
    _live.append(dep)
    try:
        dep.cli("init")
        dep.baseline = ("web",)
        dep.start_web(wait=False)
        seed(dep, full=False)
        dep.wait_ready(dep.baseline)
        schools = {s["urn"]: s["id"] for s in dep.api("GET", "/api/v1/schools",
                                                      dep.people["dsl"][1]).json()}
        dep.school_id = schools[URN]
    except BaseException:
        _show_logs_on_failure(dep)
        dep.stop_all()
        _live.remove(dep)
        raise
    yield dep
    dep.stop_all()
    _live.remove(dep)
