"""Issue 64 item 6: one send loop. A forge request (GitHub's API, GitLab's), an LLM request, a webhook (HTTP) and
e-mail (SMTP) go through the one policy's send loop (common/http.py ``HttpPolicy.send`` / ``asend``, one
``Sending`` deciding between attempts), so the same fault gives the same outcome whichever of them meets
it: a server that hangs, drips, says it is busy (429 with Retry-After / SMTP 421), fails (500 / SMTP 451),
resets the connection, or accepts (a 200 status line) and then drips the rest. Each fault is served by a
raw local server in front of the project's fakes (fake GitHub, fake GitLab, fake LLM; it answers a webhook and SMTP
itself): the faults go to the requests under test, every other request is passed to the fake, and it
counts them all: attempts (requests it could fault), requests, and answers given whole.

One outcome per fault: a fault once is ridden out on the second attempt; a fault that lasts fails after the
policy's two attempts. The one difference is the nature of the exchange, not the client: a message a
receiver accepted (its 200 / 250) is not sent again (it would be a second message), where a read whose
answer never came whole is asked again (nothing was received)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from pydantic import TypeAdapter

from dailydiff.analysis.llm import LLMAnalyzer
from dailydiff.common.http import HttpPolicy, Sending
from dailydiff.doctor.publishers import probe_http, probe_smtp
from dailydiff.engine.deliver import deliver
from dailydiff.errors import AnalysisError, SourceError
from dailydiff.forges.github import GitHubHttp
from dailydiff.forges.gitlab import GitLabHttp
from dailydiff.publish.base import Secrets
from dailydiff.publish.registry import build_publishers
from dailydiff.settings import load_settings
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import Store
from fake_github import FakeGitHub
from fake_github_git import GitData
from fake_gitlab import FakeGitLab
from fake_llm import FakeLLM
from gitrepo import CommitSpec, build_repo
from publish_reports import edition, make_report

FAULTS = ("hang", "drip", "busy", "error", "reset", "accepted_then_drip")
KINDS = ("github", "gitlab", "llm", "webhook", "email")
SENDS = ("webhook", "email")  # a message: once accepted, never sent again
POLICY = {"timeout": 1, "retries": 1, "backoff": 0.05, "deadline": 30}
REPO = "octo/loop"  # a GitHub repository, a GitLab project


@dataclass
class FaultServer:
    """Answers each connection with the next behaviour of ``script`` ("ok" once it is spent)."""

    protocol: str  # "http" or "smtp"
    script: list[str] = field(default_factory=list)
    upstream: int | None = None  # the port of a fake that answers the healthy requests ("ok")
    faulty: bytes = b""  # the requests the script applies to start so (b"POST "); every request by default
    connections: int = 0  # attempts: connections (SMTP) or requests the script applies to (HTTP)
    requests: int = 0  # every request (HTTP) or connection (SMTP)
    taken: int = 0  # answers it gave (2xx; a 250 after DATA) to the requests the script applies to
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
            serve = self._http if self.protocol == "http" else self._smtp
            threading.Thread(target=self._one, args=(serve, conn), daemon=True).start()

    def _behaviour(self, request: bytes = b"") -> str:
        """The fault for this request (or connection): the script's next one if it applies, else "ok"."""
        self.requests += 1
        if not request.startswith(self.faulty):
            return "ok"
        self.connections += 1
        return self.script.pop(0) if self.script else "ok"

    def _one(self, serve: object, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            serve(conn)  # type: ignore[operator]

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if self._stop.wait(0.3):
                return
            conn.sendall(data[i : i + 1])

    def _reset(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _http(self, conn: socket.socket) -> None:
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
        behaviour = self._behaviour(head)
        answers = {
            "busy": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n",
            "error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
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
        elif self.upstream is not None:
            self._proxy(conn, head, body)
        else:
            self.taken += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def _proxy(self, conn: socket.socket, head: bytes, body: bytes) -> None:
        """A healthy request, passed to the fake behind (one request a connection) and its answer back."""
        assert self.upstream is not None

        def closing(head: bytes) -> bytes:
            lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
            return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"

        with socket.create_connection(("127.0.0.1", self.upstream)) as fake:
            fake.sendall(closing(head) + body)
            answer = b""
            while chunk := fake.recv(65536):
                answer += chunk
        status, _, rest = answer.partition(b"\r\n\r\n")
        self.taken += head.startswith(self.faulty) and status.split(b" ", 2)[1].startswith(b"2")
        conn.sendall(closing(status) + rest)

    def _smtp(self, conn: socket.socket) -> None:
        behaviour = self._behaviour()
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


def _entry(kind: str, server: FaultServer) -> tuple[PublishEntry, Secrets]:
    if kind == "webhook":
        entry = {"type": "webhook", "url_env": "HOOK", **POLICY}
        secrets = Secrets({"HOOK": f"http://127.0.0.1:{server.port}/hook/s3cret"})
    else:
        entry = {"type": "email", "host": "127.0.0.1", "port": server.port, "security": "none",
                 "sender": "a@example.com", "recipients": ["b@example.com"], "skip_empty": False, **POLICY}  # fmt: skip
        secrets = Secrets({})
    return TypeAdapter(PublishEntry).validate_python(entry), secrets


def _publisher(kind: str, server: FaultServer) -> tuple[object, Secrets]:
    entry, secrets = _entry(kind, server)
    (publisher,) = build_publishers([entry], secrets)
    return publisher, secrets


def _send_outcome(kind: str, script: list[str], tmp_path: Path) -> tuple[str, FaultServer, str]:
    server = FaultServer("http" if kind == "webhook" else "smtp", list(script)).start()
    try:
        publisher, secrets = _publisher(kind, server)
        with Store.open(tmp_path / kind) as store:
            (result,) = deliver(edition(make_report(3)), [publisher], store, secrets=secrets)  # type: ignore[list-item]
    finally:
        server.stop()
    return result.status, server, result.detail


def _policy() -> HttpPolicy:
    """The policy the publishers' entry above sets (one ``[[publish]]`` entry's), given to the forge and the
    LLM clients too: one policy, five clients."""
    return (
        TypeAdapter(PublishEntry).validate_python({"type": "webhook", "url_env": "HOOK", **POLICY}).policy()
    )


def _forge_outcome(forge: str, script: list[str], tmp_path: Path, repo: Path) -> tuple[str, FaultServer, str]:
    """GET a repository (a project) from the fake GitHub (GitLab) through the fault server, with the forge's
    own client."""
    fake = FakeGitHub({REPO: repo}) if forge == "github" else FakeGitLab({REPO: GitData(repo)})
    with fake:
        server = FaultServer("http", list(script), upstream=fake.port).start()
        api = f"http://127.0.0.1:{server.port}" + ("" if forge == "github" else "/api/v4")
        settings = load_settings(environ={f"DAILYDIFF_{forge.upper()}_API_URL": api},
                                 overrides={"data_dir": str(tmp_path / forge)}, cwd=tmp_path)  # fmt: skip
        section = settings.github if forge == "github" else settings.gitlab
        path = f"/repos/{REPO}" if forge == "github" else f"/projects/{quote(REPO, safe='')}"

        async def get() -> bool:
            client = GitHubHttp if forge == "github" else GitLabHttp
            http = client(section, REPO, policy=_policy())  # type: ignore[arg-type]
            try:
                data = (await http.get(section.api_url + path)).json()
                return REPO in (data.get("full_name"), data.get("path_with_namespace"))
            finally:
                await http.aclose()

        try:
            status, detail = ("ok" if anyio.run(get) else "wrong answer"), ""
        except SourceError as exc:
            status, detail = "failed", str(exc)
        finally:
            server.stop()
    return status, server, detail


def _llm_outcome(script: list[str], tmp_path: Path) -> tuple[str, FaultServer, str]:
    """One question to the fake LLM through the fault server (its chat requests faulted; its GETs of what the
    server is, passed through), with the analyser's own client."""
    with FakeLLM() as fake:
        server = FaultServer("http", list(script), upstream=int(fake.base_url.rsplit(":", 1)[1].split("/")[0]),
                             faulty=b"POST ").start()  # fmt: skip
        settings = load_settings(environ={}, cwd=tmp_path, overrides={
            "data_dir": str(tmp_path / "llm"),
            "llm": {"base_url": f"http://127.0.0.1:{server.port}/v1", "model": fake.model, "response_mode": "json_schema",
                    "concurrency": 1},
        })  # fmt: skip
        try:
            LLMAnalyzer(settings.llm, "", policy=_policy()).ask("what changed?", ["- 1a2b3c4 feat: a"], "en")
            status, detail = "ok", ""
        except AnalysisError as exc:
            status, detail = "failed", str(exc)
        finally:
            server.stop()
    return status, server, detail


def _outcome(kind: str, script: list[str], tmp_path: Path, repo: Path) -> tuple[str, int, int, str]:
    """(status, attempts, answers given whole, detail) of one exchange of ``kind`` against ``script``."""
    if kind in ("github", "gitlab"):
        status, server, detail = _forge_outcome(kind, script, tmp_path, repo)
    elif kind == "llm":
        status, server, detail = _llm_outcome(script, tmp_path)
    else:
        status, server, detail = _send_outcome(kind, script, tmp_path)
    return status, server.connections, server.taken, detail


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("loop") / "repo"
    build_repo(path, [CommitSpec("feat: a", dt.datetime(2026, 2, 3, 8, tzinfo=dt.UTC))])
    return path


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_once_gives_the_same_outcome_to_the_forges_the_llm_a_webhook_and_email(
    fault: str, tmp_path: Path, repo: Path
) -> None:
    """The fault at the first attempt, then a healthy server: done, on the second attempt — or, when a
    receiver had accepted the message before the fault, on the first, with a note and no second attempt
    (a read's answer that never came whole is asked again)."""
    outcomes = {kind: _outcome(kind, [fault], tmp_path, repo) for kind in KINDS}
    accepted = fault == "accepted_then_drip"
    for kind, (status, attempts, taken, detail) in outcomes.items():
        once = accepted and kind in SENDS
        assert (status, attempts) == ("ok", 1 if once else 2), (kind, outcomes)
        assert taken == 1 or (accepted and not once and taken == 2), (kind, outcomes)
        assert ("not sent again" in detail) is once, (kind, detail)
        assert "s3cret" not in detail


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "accepted_then_drip"])
def test_a_fault_that_lasts_fails_them_all_alike_after_the_policys_attempts(
    fault: str, tmp_path: Path, repo: Path
) -> None:
    outcomes = {kind: _outcome(kind, [fault, fault], tmp_path, repo) for kind in KINDS}
    for kind, (status, attempts, taken, detail) in outcomes.items():
        assert (status, attempts, taken) == ("failed", 2, 0), (kind, outcomes)
        assert "\n" not in detail and "s3cret" not in detail and detail, (kind, detail)
    for kind in SENDS:
        assert "(after 2 attempts)" in outcomes[kind][3], outcomes[kind]
    timed_out = fault in ("hang", "drip")
    assert all(("timed out after 1s" in outcomes[kind][3]) is timed_out for kind in SENDS), outcomes


def test_every_request_of_them_all_goes_through_the_one_send_loop(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The property of issue 64's "one send loop": each request a server of the five kinds received (an LLM's
    GETs of what it is included; SMTP: each connection) was an attempt of the one send loop. The attempts are
    counted where the loop makes them (``Sending.begin``, the one place ``send`` and ``asend`` both begin
    an attempt), the requests by the server; a client sending one request outside the loop makes more
    requests than attempts."""
    made: list[int] = []
    attempt = Sending.begin

    def counted(self: Sending, *, watch: bool) -> Any:
        made.append(1)
        return attempt(self, watch=watch)

    monkeypatch.setattr(Sending, "begin", counted)
    seen: dict[str, tuple[str, int, int]] = {}
    for kind in KINDS:
        made.clear()
        if kind in ("github", "gitlab"):
            status, server, _ = _forge_outcome(kind, [], tmp_path, repo)
        elif kind == "llm":
            status, server, _ = _llm_outcome([], tmp_path)
        else:
            status, server, _ = _send_outcome(kind, [], tmp_path)
        seen[kind] = (status, server.requests, len(made))
    for kind in SENDS:  # doctor's look at a target (a HEAD, an SMTP greeting): nothing sent, through it too
        made.clear()
        server = FaultServer("http" if kind == "webhook" else "smtp").start()
        try:
            entry, secrets = _entry(kind, server)
            if kind == "webhook":
                monkeypatch.setenv("HOOK", secrets.environ["HOOK"])
            probe = probe_http if kind == "webhook" else probe_smtp
            found = probe(kind, entry, 5.0)
        finally:
            server.stop()
        seen[f"doctor {kind}"] = ("ok" if found.ok else found.detail, server.requests, len(made))
    assert seen["llm"][1] >= 2  # its first contact (GET /models) besides the question
    assert all(status == "ok" and requests == attempts for status, requests, attempts in seen.values()), seen
