"""What a deployment runs beside the app, owned by the test: a Redis on its own port (stopped
and started again for outage tests), an SMTP sink that records every message, a PostgreSQL
cluster of its own (restarted under load), and processes started in sessions of their own so
that a kill -9 takes the whole tree (gunicorn's workers, RQ's work horse) with it."""
from __future__ import annotations

import email
import email.policy
import glob
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def session_pids(sid: int) -> list[int]:
    """Every live process of session ``sid``. RQ's work horse calls setpgrp(), so killing the
    worker's process group would leave it running; the session still holds it."""
    pids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        fields = text.rpartition(")")[2].split()  # after "(comm)": state ppid pgrp session
        if len(fields) > 3 and int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.split("/")[2]))
    return pids


def tail(path: Path, size: int = 6000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "(no log)"
    return data[-size:].decode("utf-8", "replace")


class Process:
    """One long-running process with its log in a file; started in a new session."""

    def __init__(self, name: str, argv: list[str], env: dict, cwd: Path, log: Path):
        self.name, self.argv, self.env, self.cwd, self.log = name, argv, env, cwd, log
        self.popen: subprocess.Popen | None = None
        self.starts = 0
        self.ready: Callable[[], object] = lambda: True  # set by whoever starts it

    def start(self) -> "Process":
        self.starts += 1
        with open(self.log, "ab") as out:
            out.write(f"\n---- start #{self.starts}: {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> list[int]:
        """SIGKILL every process of its session; returns the pids killed."""
        if self.popen is None:
            return []
        pids = session_pids(self.popen.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.popen.wait(timeout=10)
        deadline = time.monotonic() + 10
        while session_pids(self.popen.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pids

    def terminate(self) -> None:
        """SIGTERM every process of the session (without waiting)."""
        if self.popen is not None and self.popen.poll() is None:
            for pid in session_pids(self.popen.pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def stop(self, timeout: float = 8) -> None:
        """SIGTERM the session, then SIGKILL whatever is left."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill9()

    def output(self) -> str:
        return tail(self.log)


class RedisServer:
    """A Redis of the test's own, on a free port, without persistence."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.dir = tmp
        self.log = tmp / "redis.log"
        self.proc: Process | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = Process("redis", [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no",
                                      "--dir", str(self.dir)], dict(os.environ), self.dir,
                            self.log).start()
        deadline = time.monotonic() + 15
        while not port_open(self.port):
            assert self.proc.alive(), f"redis-server exited:\n{self.proc.output()}"
            assert time.monotonic() < deadline, f"redis-server did not listen:\n{tail(self.log)}"
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM and wait: an outage, as when the Redis host goes away."""
        if self.proc is not None:
            self.proc.stop()
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def running(self) -> bool:
        return self.proc is not None and self.proc.alive() and port_open(self.port)


# ---- SMTP sink ---------------------------------------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        def reply(line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        reply("220 sink.test ESMTP")
        sender, rcpts = "", []
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("HELO", "EHLO"):
                reply("250 sink.test")
            elif verb == "MAIL":
                sender, rcpts = _address(line), []
                reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(_address(line))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 end data with <CR><LF>.<CR><LF>")
                data = []
                for body in self.rfile:
                    if body.rstrip(b"\r\n") == b".":
                        break
                    data.append(body[1:] if body.startswith(b"..") else body)
                self.server.sink.record(sender, rcpts, b"".join(data))
                reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("502 not implemented")


def _address(line: str) -> str:
    found = re.search(r"<([^>]*)>", line)
    return found.group(1) if found else line.partition(":")[2].strip()


class SmtpSink:
    """A minimal SMTP server in a thread; ``messages`` are (from, [to], EmailMessage)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
        server.daemon_threads = True
        server.sink = self
        self.server = server
        self.port = server.server_address[1]
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def record(self, sender: str, rcpts: list[str], data: bytes) -> None:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        with self.lock:
            self.messages.append((sender, rcpts, msg))

    def matching(self, to: str, text: str) -> list:
        """Messages to ``to`` whose body contains ``text``."""
        with self.lock:
            found = list(self.messages)
        return [m for m in found if to in m[1] and text in m[2].get_body().get_content()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- a PostgreSQL cluster of the test's own ----------------------------------------------------

def pg_binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    assert found, f"{name} not found (PostgreSQL server binaries are needed)"
    return found


class PgCluster:
    """initdb into a temporary folder, started on a free port with trust auth. Root may not
    run initdb, so as root the folder belongs to ``postgres`` and commands run as that user."""

    def __init__(self):
        import tempfile

        # not under pytest's tmp folder: that is private to root, and postgres must reach it
        self.root = Path(tempfile.mkdtemp(prefix="mat-deployed-pg-"))
        self.data, self.sockets = self.root / "data", self.root / "sockets"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.sockets.mkdir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
            os.chmod(self.root, 0o755)

    def _run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        prefix = [shutil.which("runuser"), "-u", "postgres", "--"] if self.as_root else []
        done = subprocess.run(prefix + list(argv), capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)
        assert done.returncode == 0, (f"{' '.join(argv)} failed ({done.returncode}):\n"
                                      f"{done.stdout}\n{done.stderr}\n{tail(self.log)}")
        return done

    def init(self) -> None:
        self._run(pg_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C", "--no-sync")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                   f"-c max_connections=60")
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", options, *extra, action)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """A fast restart: connected sessions are ended, the server comes back."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
