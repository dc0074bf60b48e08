"""A deployment as an operator runs one: gunicorn and the ``mat`` worker and scheduler as real
processes sharing the ``MAT_*`` environment, seeded through the ``mat`` command and the admin
pages, spoken to over HTTP with the standard library, and checked in its database."""
from __future__ import annotations

import json as jsonlib
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import psycopg

from tests.deployed.services import Process, free_port, session_pids, tail

BIN = Path(sys.executable).parent  # the virtualenv's gunicorn and mat
PASSWORD = "deployed-password-2026"
# short enough that a dead worker is noticed in seconds, long enough that a busy machine does
# not take a live one for dead (a job is stale after four missed heartbeats)
KNOBS = {"MAT_RECONCILE_SECONDS": "2", "MAT_JOB_HEARTBEAT_SECONDS": "2",
         "MAT_JOB_BACKOFF_SECONDS": "1,1,1"}


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2):
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after
    ``timeout`` seconds (the process logs are attached to the report by conftest)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} "
                                 f"(last value: {value!r})")
        time.sleep(interval)


# ---- HTTP ------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes
    seconds: float = 0.0

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.body[:600]!r}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at, not to follow


_opener = urllib.request.build_opener(_NoRedirect)


def http(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 30) -> Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as r:
            return Answer(r.status, r.headers, r.read(), time.monotonic() - started)
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read(), time.monotonic() - started)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
              ) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f'{value}\r\n'.encode())
    for name, (filename, data, ctype) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                     + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Browser:
    """Cookies kept by name whatever their flags: production cookies are Secure, and this
    test speaks plain HTTP to gunicorn as a TLS-terminating proxy would."""

    def __init__(self, base: str):
        self.base, self.cookies = base, {}

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = http(method, self.base + path, body=body, headers=headers)
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return answer

    def csrf(self, path: str) -> str:
        import re

        page = self.request("GET", path)
        assert page.status == 200, f"GET {path}: {page}"
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page.body)
        assert found, f"no CSRF token on {path}"
        return found.group(1).decode()


def _has_control_socket() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any("--control-socket" in (s.cli or ()) for s in KNOWN_SETTINGS)


# ---- the deployment ----------------------------------------------------------------------------

@dataclass
class Deployment:
    name: str
    tmp: Path
    database_url: str
    redis_url: str
    smtp_port: int
    knobs: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)
    baseline: tuple = ()  # what runs between tests: set once the deployment is up
    pupils_made: int = 0
    people: dict = field(default_factory=dict)
    # the roles of `mat db roles --print-sql`: the processes log in as the login role, `mat init`
    # migrates as the owner; ``database_url`` stays the superuser's, for the tests' own look
    login_url: str | None = None
    owner_url: str | None = None

    def __post_init__(self):
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        (self.tmp / "instance").mkdir(exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAT_")}
        self.env.update(
            MAT_ENV="production", MAT_DATABASE_URL=self.login_url or self.database_url,
            MAT_REDIS_URL=self.redis_url, MAT_QUEUE=f"mat-deployed-{uuid.uuid4().hex[:10]}",
            MAT_SECRET_KEY=secrets.token_urlsafe(48), MAT_AUDIT_KEY=secrets.token_urlsafe(48),
            MAT_TOTP_KEY=secrets.token_urlsafe(48),
            MAT_INSTANCE_PATH=str(self.tmp / "instance"),
            MAT_SMTP_HOST="127.0.0.1", MAT_SMTP_PORT=str(self.smtp_port), MAT_SMTP_TLS="0",
            MAT_SMTP_FROM="safeguarding@deployed.test", PYTHONUNBUFFERED="1", **self.knobs)
        if self.owner_url:
            self.env["MAT_DATABASE_OWNER_URL"] = self.owner_url
        self._db: psycopg.Connection | None = None

    # -- the mat command
    def _argv(self, args) -> list[str]:
        return [str(BIN / "mat"), *map(str, args)]

    def cli(self, *args, check: bool = True, timeout: float = 120,
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(self._argv(args), env=dict(self.env, **(extra_env or {})),
                              cwd=self.tmp, capture_output=True, text=True, timeout=timeout)
        if check:
            assert done.returncode == 0, (f"mat {' '.join(map(str, args))} exited "
                                          f"{done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def cli_many(self, *commands, check: bool = True) -> list[subprocess.CompletedProcess]:
        """Independent commands at once (each is a fresh Python process: seconds of start-up)."""
        with ThreadPoolExecutor(len(commands)) as pool:
            return list(pool.map(lambda c: self.cli(*c, check=check), commands))

    def cli_batch(self, *commands) -> list[dict]:
        """Several commands run one after another in one process (see ``mat_batch``); each
        must succeed. Returns ``{"args", "code", "stdout", "stderr"}`` for each."""
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("mat_batch.py"))],
                              input=jsonlib.dumps([list(map(str, c)) for c in commands]),
                              env=self.env, cwd=self.tmp, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"mat_batch exited {done.returncode}:\n{done.stderr}"
        results = jsonlib.loads(done.stdout)
        for r in results:
            assert r["code"] == 0, (f"mat {' '.join(r['args'])} exited {r['code']}:\n"
                                    f"{r['stdout']}\n{r['stderr']}")
        assert len(results) == len(commands)
        return results

    def cli_json(self, *args, extra_env: dict | None = None) -> Any:
        return jsonlib.loads(self.cli(*args, extra_env=extra_env).stdout)

    # -- processes
    def _process(self, name: str, argv: list[str], extra_env: dict | None = None) -> Process:
        env = dict(self.env, **(extra_env or {}))
        proc = self.processes.get(name) or Process(name, argv, env, self.tmp,
                                                   self.tmp / f"{name}.log")
        proc.argv, proc.env = argv, env
        self.processes[name] = proc
        proc.start()
        return proc

    def start_web(self, wait: bool = True) -> Process:
        argv = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.web_port}",
                "--timeout", "60", "--graceful-timeout", "5", "web.wsgi:app"]
        if _has_control_socket():  # gunicorn 27+: one per deployment, not one in $HOME
            argv[1:1] = ["--control-socket", str(self.tmp / "gunicorn.ctl")]
        proc = self._process("web", argv)

        def answers():
            assert proc.alive(), f"gunicorn exited:\n{proc.output()}"
            try:
                return http("GET", self.base + "/api/v1/openapi.json", timeout=5).status == 200
            except OSError:
                return False
        proc.ready = lambda: wait_until(answers, 90, "gunicorn to answer")
        return self._wait(proc, wait)

    def start_worker(self, name: str = "worker", wait: bool = True) -> Process:
        from redis import Redis
        from rq import Worker

        proc = self._process(name, self._argv(["worker"]))

        def registered():
            assert proc.alive(), f"mat worker exited:\n{proc.output()}"
            try:
                return any(w.pid == proc.pid for w in Worker.all(
                    connection=Redis.from_url(self.redis_url)))
            except OSError:
                return False
        proc.ready = lambda: wait_until(registered, 90, f"{name} to register with Redis")
        return self._wait(proc, wait)

    def start_scheduler(self, name: str = "scheduler", wait: bool = True,
                        **extra_env: str) -> Process:
        """No readiness to wait for beyond being alive: what it schedules is polled for."""
        proc = self._process(name, self._argv(["scheduler"]), extra_env)

        def alive():
            assert proc.alive(), f"mat scheduler exited:\n{proc.output()}"
            return True
        proc.ready = alive
        return self._wait(proc, wait)

    @staticmethod
    def _wait(proc: Process, wait: bool) -> Process:
        if wait:
            proc.ready()
        return proc

    def wait_ready(self, names) -> None:
        for name in names:
            self.processes[name].ready()

    def stop(self, name: str) -> None:
        if name in self.processes:
            self.processes[name].stop()

    def kill9(self, name: str) -> list[int]:
        return self.processes[name].kill9()

    def ensure_baseline(self) -> None:
        """Back to what runs between tests: each test restores what it breaks, but one
        failing half-way must not spoil the next."""
        starters = {"web": self.start_web, "worker": self.start_worker,
                    "scheduler": self.start_scheduler}
        for name, proc in self.processes.items():
            if name not in self.baseline and proc.alive():
                proc.stop()
        for name in self.baseline:
            if not self.processes[name].alive():
                starters[name]()

    def stop_all(self) -> None:
        """SIGTERM everything at once, then wait (and SIGKILL what lingers)."""
        for proc in self.processes.values():
            proc.terminate()
        for proc in self.processes.values():
            proc.stop()
        if self._db is not None:
            self._db.close()

    def logs(self) -> list[tuple[str, str]]:
        return [(name, tail(p.log)) for name, p in self.processes.items()]

    def pids(self, name: str) -> list[int]:
        return session_pids(self.processes[name].pid)

    # -- the API
    def api(self, method: str, path: str, token: str, json: Any = None, *,
            body: bytes | None = None, content_type: str | None = None,
            timeout: float = 30) -> Answer:
        headers = {"Authorization": f"Bearer {token}"}
        if json is not None:
            body, content_type = jsonlib.dumps(json).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        return http(method, self.base + path, body=body, headers=headers, timeout=timeout)

    # -- the database
    def sql(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        for attempt in range(2):
            try:
                if self._db is None or self._db.closed:
                    self._db = psycopg.connect(self.database_url, autocommit=True)
                return self._db.execute(query, params).fetchall()
            except psycopg.OperationalError:
                self._db = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def scalar(self, query: str, params: tuple | dict = ()) -> Any:
        rows = self.sql(query, params)
        return rows[0][0] if rows else None
