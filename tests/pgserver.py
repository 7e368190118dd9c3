"""A real PostgreSQL server for the tests: Debian's package, initdb in a temporary directory, listening on
127.0.0.1 (a free port) with password authentication, stopped at the end of the session.

Missing PostgreSQL fails the run in CI and skips its tests elsewhere (tests/required.py). As root, the server runs as the
`postgres` user (or `nobody`): PostgreSQL refuses to run as root. A benchmark (``stop_on_signals``) stopped by
SIGTERM or SIGHUP (ended with `kill`, its terminal closed) stops its server on the way out too; the test
processes keep their signals as pytest and xdist set them. A process that ends without stopping its server
(a crash, SIGKILL) leaves it to a watchdog process, which stops it and removes its directory.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from netports import free_port
from required import missing

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
USER = "dailydiff"
PASSWORD = "pg-canary-" + secrets.token_hex(6)  # a canary: must never reach output, logs or the store


class PostgresServer:
    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir, self.root, self.port = bin_dir, root, port
        self.data = root / "data"

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_as_server_user(), *args], capture_output=True, text=True, check=False)

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        _chown(self.root)
        initdb = self.run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        if initdb.returncode:
            raise RuntimeError(f"initdb failed: {initdb.stderr}")
        self.start_again()

    def start_again(self) -> None:
        """Start the server on its data directory (after a ``stop``, or after it was killed)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self.run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
                           "-l", str(self.root / "log"), "-w", "-t", "60", "start")  # fmt: skip
        if started.returncode:
            log = (self.root / "log").read_text(errors="replace") if (self.root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr} {log[-2000:]}")

    def stop(self) -> None:
        """Stop at once, what was committed kept. The server commits asynchronously (synchronous_commit=off,
        for speed): an immediate stop alone loses the last commits (up to wal_writer_delay's worth), which a
        real server, whose commit is on disk when it returns, never loses. A checkpoint first flushes them;
        a server already gone (killed by a test) is only stopped."""
        import psycopg

        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as db,
        ):
            db.execute("CHECKPOINT")
        self.run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


def _as_server_user() -> list[str]:
    user = _server_user()
    return ["runuser", "-u", user, "--"] if user else []


def _chown(path: Path) -> None:
    user = _server_user()
    if user:
        shutil.chown(path, user)
        for child in path.rglob("*"):
            shutil.chown(child, user)


@contextlib.contextmanager
def postgres_server(*, stop_on_signals: bool = False) -> Iterator[PostgresServer]:
    if not PG_BIN_DIRS:
        missing("postgresql")
    # On a RAM disk where there is one (durability is not under test: fsync is off too): initdb and removing
    # the data directory of a module's many databases take seconds each on a busy disk. Short: a Unix socket
    # path is ≤ 107 bytes.
    shm = Path("/dev/shm")
    ram = shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 << 30
    root = Path(tempfile.mkdtemp(prefix="ddpg-", dir=str(shm) if ram else "/tmp"))
    os.chmod(root, 0o755)
    server = PostgresServer(PG_BIN_DIRS[0], root, free_port())
    watchdog = _watchdog(server)
    try:
        with _stopped_by_signals() if stop_on_signals else contextlib.nullcontext():
            server.start()
            yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        _release(watchdog)


# The watchdog: a process of its own session that reads its standard input, a pipe only this process holds
# open. Told "stopped" it ends; at the pipe's end without it (this process crashed, was killed with SIGKILL or
# ended by xdist's watchdog) it stops the server at once and removes its directory.
_WATCHDOG = """
import shutil, subprocess, sys
pg_ctl, data, root, *as_user = sys.argv[1:]
if sys.stdin.buffer.read() != b"stopped":
    subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
"""


def _watchdog(server: PostgresServer) -> subprocess.Popen[bytes]:
    """A server left running by a process that could not stop it is stopped by this process's watchdog."""
    command = [sys.executable, "-c", _WATCHDOG, str(server.bin_dir / "pg_ctl"), str(server.data),
               str(server.root), *_as_server_user()]  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def _release(watchdog: subprocess.Popen[bytes]) -> None:
    """The server was stopped here: the watchdog ends without doing anything."""
    with contextlib.suppress(OSError):
        assert watchdog.stdin is not None
        watchdog.stdin.write(b"stopped")
        watchdog.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        watchdog.wait(10)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise SystemExit while the server runs, so that the ``finally`` above stops it and
    removes its directory: killed at their default, the process would leave the server running, holding its
    port and its RAM disk. Only in the main thread (signals are delivered there), and only where the
    process left them at their default (a handler of its own is not replaced)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    ours = [s for s in (signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) is signal.SIG_DFL]
    for sig in ours:
        signal.signal(sig, leave)
    try:
        yield
    finally:
        for sig in ours:
            signal.signal(sig, signal.SIG_DFL)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """The URL of a fresh database on the session's PostgreSQL server."""
    return pg_server.create_database()
