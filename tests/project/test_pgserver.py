"""The tests' PostgreSQL server (tests/pgserver.py) keeps what was committed across its ``stop`` and
``start_again`` (the outage tests stop it at once): it commits asynchronously for speed, so its stop
checkpoints first. A process that runs one and is stopped by SIGTERM (a benchmark ended with `kill`) stops
its server and removes its directory on the way out; one killed with SIGKILL (or crashed) leaves that to its
server's watchdog."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pgserver import PG_BIN_DIRS, PostgresServer, postgres_server

_HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pgserver import postgres_server
with postgres_server(stop_on_signals=True) as server:
    print(server.root, server.port, flush=True)
    time.sleep(120)
"""


def test_a_process_stopped_by_sigterm_stops_its_server_and_removes_its_directory() -> None:
    with subprocess.Popen([sys.executable, "-c", _HOLDER, str(Path(__file__).parents[1])],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as holder:  # fmt: skip
        try:
            assert holder.stdout is not None
            root, port = holder.stdout.readline().split()
            with socket.create_connection(("127.0.0.1", int(port)), timeout=5):
                pass  # the server is up
            assert (Path(root) / "data" / "postmaster.pid").exists()
            holder.send_signal(signal.SIGTERM)
            assert holder.wait(timeout=60) == 128 + signal.SIGTERM
        finally:
            holder.kill()
            if (Path(root) / "data").exists():  # left running (the failure under test): not for the next test
                PostgresServer(PG_BIN_DIRS[0], Path(root), int(port)).stop()
                shutil.rmtree(root, ignore_errors=True)
                root_left = True
            else:
                root_left = False
    assert not root_left, "the server's directory was left behind"
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=2).close()
        listening = True
    except OSError:
        listening = False
    assert not listening, "the server still listens after its process was stopped"


_KILLED = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from pgserver import postgres_server
with postgres_server() as server:
    print(server.root, server.port, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # as a crashed or killed pytest worker: no ``finally`` runs
"""


def test_a_server_whose_process_was_killed_is_stopped_and_removed_by_its_watchdog() -> None:
    with subprocess.Popen([sys.executable, "-c", _KILLED, str(Path(__file__).parents[1])],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as holder:  # fmt: skip
        assert holder.stdout is not None
        root, port = holder.stdout.readline().split()
        assert holder.wait(timeout=60) == -signal.SIGKILL
    deadline = time.monotonic() + 60
    while (Path(root).exists() or _listening(int(port))) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = Path(root).exists() or _listening(int(port))
    if left:  # the failure under test: not left for the next test
        PostgresServer(PG_BIN_DIRS[0], Path(root), int(port)).stop()
        shutil.rmtree(root, ignore_errors=True)
    assert not left, "the killed process's server was left running or its directory left behind"


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def test_rows_committed_just_before_an_immediate_stop_are_there_after_a_restart() -> None:
    import psycopg

    with postgres_server() as server:
        url = server.create_database()
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE TABLE t (n integer)")
            for n in range(2000):  # each one its own commit, the last ones still in the WAL buffers
                db.execute("INSERT INTO t VALUES (%s)", (n,))
        server.stop()
        server.start_again()
        assert _count(server, url) == 2000


def _count(server: PostgresServer, url: str) -> int:
    import psycopg

    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM t").fetchone()
    assert row is not None
    return int(row[0])
