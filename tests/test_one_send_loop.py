"""Issue 64 item 6: one send loop. A webhook (HTTP) and e-mail (SMTP) go through the one policy's
``send`` (common/http.py ``HttpPolicy.send``), so the same fault gives the same outcome whichever of them
meets it: a receiver that hangs, drips, says it is busy (429 with Retry-After / SMTP 421), fails (500 /
SMTP 451), resets the connection, or accepts the message and then drips the rest. Each fault is served by
a raw local server that speaks just enough of each protocol, and counted there: connections (attempts)
and messages taken."""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from dailydiff.engine.deliver import deliver
from dailydiff.publish.base import Secrets
from dailydiff.publish.registry import build_publishers
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import Store
from publish_reports import edition, make_report

FAULTS = ("hang", "drip", "busy", "error", "reset", "accepted_then_drip")


@dataclass
class FaultServer:
    """Answers each connection with the next behaviour of ``script`` ("ok" once it is spent)."""

    protocol: str  # "http" or "smtp"
    script: list[str] = field(default_factory=list)
    connections: int = 0
    taken: int = 0  # messages the server took (a 2xx answer / a 250 after DATA was on its way)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FaultServer:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=10)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            behaviour = self.script.pop(0) if self.script else "ok"
            serve = self._http if self.protocol == "http" else self._smtp
            threading.Thread(target=self._one, args=(serve, conn, behaviour), daemon=True).start()

    def _one(self, serve: object, conn: socket.socket, behaviour: str) -> None:
        with conn, contextlib.suppress(OSError):
            serve(conn, behaviour)  # type: ignore[operator]

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if self._stop.wait(0.3):
                return
            conn.sendall(data[i : i + 1])

    def _reset(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _http(self, conn: socket.socket, behaviour: str) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int((re.search(rb"(?i)content-length: *(\d+)", head) or [b"", b"0"])[1])
        while len(body) < length:
            body += conn.recv(65536)
        answers = {
            "busy": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
            "error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        }
        if behaviour == "hang":
            self._stop.wait(60)
        elif behaviour == "drip":
            self._drip(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        elif behaviour == "reset":
            self._reset(conn)
        elif behaviour in answers:
            conn.sendall(answers[behaviour])
        elif behaviour == "accepted_then_drip":
            self.taken += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
            self._drip(conn, b"ok" * 100)
        else:
            self.taken += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def _smtp(self, conn: socket.socket, behaviour: str) -> None:
        if behaviour == "hang":
            self._stop.wait(60)
            return
        if behaviour == "drip":
            self._drip(conn, b"220 fault.example ESMTP\r\n" * 10)
            return
        if behaviour == "reset":
            self._reset(conn)
            return
        if behaviour == "busy":
            conn.sendall(b"421 4.3.2 fault.example busy, try again later\r\n")
            return
        conn.sendall(b"220 fault.example ESMTP\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 fault.example\r\n")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                conn.sendall(b"250 OK\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go on\r\n")
                while reader.readline() not in (b".\r\n", b""):
                    pass
                if behaviour == "error":
                    conn.sendall(b"451 4.3.0 local error, try again later\r\n")
                    continue
                self.taken += 1
                conn.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                if behaviour == "accepted_then_drip":
                    self._drip(conn, b"221 2.0.0 bye\r\n" * 10)
                else:
                    conn.sendall(b"221 bye\r\n")
                return


def _publisher(kind: str, server: FaultServer) -> tuple[object, Secrets]:
    policy = {"timeout": 1, "retries": 1, "backoff": 0.05, "deadline": 30}
    if kind == "webhook":
        entry = {"type": "webhook", "url_env": "HOOK", **policy}
        secrets = Secrets({"HOOK": f"http://127.0.0.1:{server.port}/hook/s3cret"})
    else:
        entry = {"type": "email", "host": "127.0.0.1", "port": server.port, "security": "none",
                 "sender": "a@example.com", "recipients": ["b@example.com"], "skip_empty": False, **policy}  # fmt: skip
    secrets = secrets if kind == "webhook" else Secrets({})
    (publisher,) = build_publishers([TypeAdapter(PublishEntry).validate_python(entry)], secrets)
    return publisher, secrets


def _outcome(kind: str, script: list[str], tmp_path: Path) -> tuple[str, int, int, str]:
    """(status, attempts, messages taken, detail) of one delivery through ``kind`` against ``script``."""
    server = FaultServer("http" if kind == "webhook" else "smtp", list(script)).start()
    try:
        publisher, secrets = _publisher(kind, server)
        with Store.open(tmp_path / kind) as store:
            (result,) = deliver(edition(make_report(3)), [publisher], store, secrets=secrets)  # type: ignore[list-item]
    finally:
        server.stop()
    return result.status, server.connections, server.taken, result.detail


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_once_gives_the_same_outcome_to_a_webhook_and_to_email(fault: str, tmp_path: Path) -> None:
    """The fault at the first attempt, then a healthy receiver: sent once, on the second attempt — or, when
    the receiver had accepted it before the fault, on the first, with a note and no second attempt."""
    outcomes = {kind: _outcome(kind, [fault], tmp_path) for kind in ("webhook", "email")}
    accepted = fault == "accepted_then_drip"
    for kind, (status, attempts, taken, detail) in outcomes.items():
        assert (status, attempts, taken) == ("ok", 1 if accepted else 2, 1), (kind, outcomes)
        assert ("not sent again" in detail) is accepted, (kind, detail)
        assert "s3cret" not in detail


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "accepted_then_drip"])
def test_a_fault_that_lasts_fails_both_alike_after_the_policys_attempts(fault: str, tmp_path: Path) -> None:
    outcomes = {kind: _outcome(kind, [fault, fault], tmp_path) for kind in ("webhook", "email")}
    for kind, (status, attempts, taken, detail) in outcomes.items():
        assert (status, attempts, taken) == ("failed", 2, 0), (kind, outcomes)
        assert "(after 2 attempts)" in detail and "\n" not in detail and "s3cret" not in detail, (
            kind,
            detail,
        )
    timed_out = fault in ("hang", "drip")
    assert all(("timed out after 1s" in detail) is timed_out for *_, detail in outcomes.values()), outcomes
