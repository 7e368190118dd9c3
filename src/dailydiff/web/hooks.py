"""`serve`'s push hooks: ``POST /hooks/github`` and ``POST /hooks/gitlab``. A push is checked and
acknowledged at once; its repository's days are built and its commits alerted in the background
(engine/commands.py ``alert_pass``: the same unit and ledger as `run` and `watch`, so a commit is alerted
once per topic and target whoever saw it first).

- The secret is the environment variable ``[serve] webhook_secret_env`` names. GitHub signs the body:
  ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>``; GitLab sends the token as ``X-Gitlab-Token``.
  Both are compared in constant time; a bad or missing one (or no secret configured) is 401 and nothing
  else happens.
- A body over ``[serve] max_body`` bytes is 413: refused on its ``Content-Length`` before any of it is
  read, or as soon as a body without one grows past the limit.
- A push is matched to a ``[[repos]]`` entry by its repository's id (``repository.full_name``, GitLab's
  ``project.path_with_namespace``) whatever the entry's source; an unknown repository is acknowledged and
  ignored. A delivery seen before (``X-GitHub-Delivery``, ``X-Gitlab-Event-UUID``; a push without one is
  known by its body) is acknowledged and nothing is done again (the ledger would send nothing anyway) —
  unless its repository's alerts are still owed (a pass that failed): a redelivery sends them.
- A body that is not JSON, or nested too deep to read, is 400.
- A pass whose alerts fail says so in the log with its next try: every ``QUIET_TICK`` seconds until sent.
- On SIGTERM (``drain``) the pass under way finishes — a message in flight is sent and recorded, none is
  started — within ``[serve] drain_seconds``; what is left is sent by the next start.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dailydiff.common.dates import clock
from dailydiff.common.stopping import taken as stop_taken
from dailydiff.common.text import output_tree
from dailydiff.engine.commands import alert_pass
from dailydiff.engine.deliver import configured_publishers
from dailydiff.engine.watching import alerting_jobs, job_of_push
from dailydiff.errors import ConfigError
from dailydiff.publish.base import Secrets
from dailydiff.settings import Settings

log = logging.getLogger("dailydiff.hooks")

SEEN_DELIVERIES = (
    10_000  # delivery ids remembered (a replay older than that is still sent nothing: the ledger)
)
QUIET_TICK = 60.0  # seconds between looks at held or owed alerts (quiet hours that ended, a failed send)


@dataclass(frozen=True)
class Forge:
    """How one forge's push hook is read: its signature check, the delivery id, and the repository id."""

    name: str
    event_header: str
    push_events: frozenset[str]
    delivery_header: str
    repository: Callable[[dict[str, Any]], Any]
    verify: Callable[[str, bytes, Request], bool]


def _github_signed(secret: str, body: bytes, request: Request) -> bool:
    given = request.headers.get("x-hub-signature-256", "")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())


def _gitlab_token(secret: str, _body: bytes, request: Request) -> bool:
    return hmac.compare_digest(request.headers.get("x-gitlab-token", "").encode(), secret.encode())


FORGES = {
    "github": Forge("github", "x-github-event", frozenset({"push"}), "x-github-delivery",
                    lambda p: (p.get("repository") or {}).get("full_name"), _github_signed),
    "gitlab": Forge("gitlab", "x-gitlab-event", frozenset({"Push Hook", "Tag Push Hook"}), "x-gitlab-event-uuid",
                    lambda p: (p.get("project") or {}).get("path_with_namespace"), _gitlab_token),
}  # fmt: skip


def _answer(data: dict[str, Any], status: int) -> JSONResponse:
    return JSONResponse(output_tree(data), status_code=status)


class TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, at most ``limit`` bytes: TooLarge before reading when ``Content-Length`` says more, or once
    what came grows past it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class Hooks:
    """The hooks' state: the delivery ids seen, and one background worker that builds and alerts."""

    def __init__(self, settings: Settings, open_store: Callable[[], Any]) -> None:
        self.settings, self.open_store = settings, open_store
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[str] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._jobs: list[Any] | None = None
        self._owed: set[str] = set()  # repositories whose last pass left alerts unsent
        self._idle = threading.Event()  # no pass under way
        self._idle.set()

    def jobs(self) -> list[Any]:
        if self._jobs is None:
            try:
                self._jobs = alerting_jobs(self.settings)
            except ConfigError:  # no [[repos]]: every push is for an unknown repository
                self._jobs = []
        return self._jobs

    def _replayed(self, delivery: str, repo: str) -> bool:
        with self._lock:
            if delivery in self._seen and repo not in self._owed:
                return True
            self._seen[delivery] = None
            while len(self._seen) > SEEN_DELIVERIES:
                self._seen.popitem(last=False)
        return False

    async def receive(self, request: Request, forge: Forge) -> JSONResponse:
        secret = (
            os.environ.get(self.settings.serve.webhook_secret_env, "")
            if self.settings.serve.webhook_secret_env
            else ""
        )
        try:
            body = await _read_body(request, self.settings.serve.max_body)
        except TooLarge:
            return _answer(
                {"error": f"body over {self.settings.serve.max_body} bytes ([serve] max_body)"}, 413
            )
        if not secret or not forge.verify(secret, body, request):
            return _answer({"error": "bad or missing signature"}, 401)
        event = request.headers.get(forge.event_header, "")
        if event not in forge.push_events:
            return _answer({"status": "ignored", "reason": f"not a push ({event or 'no event'})"}, 202)
        try:
            payload = json.loads(body)
            repository = forge.repository(payload) if isinstance(payload, dict) else None
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            return _answer({"error": "the body is not JSON, or is nested too deep"}, 400)
        if not isinstance(repository, str) or not repository:
            return _answer({"error": "the push names no repository"}, 400)

        job = job_of_push(self.jobs(), repository)
        if job is None:
            return _answer(
                {"status": "ignored", "reason": "no configured repository with alerts has this id"}, 202
            )
        # No delivery id (an older GitLab, a proxy that drops it): the push is known by its content.
        delivery = (
            request.headers.get(forge.delivery_header, "") or "body:" + hashlib.sha256(body).hexdigest()
        )
        if self._replayed(f"{forge.name}:{delivery}", job.repo_id):
            return _answer({"status": "duplicate", "reason": "this delivery was received before"}, 200)
        self._start()
        self._queue.put(job.repo_id)
        return _answer({"status": "accepted", "repo": job.repo_id}, 202)

    def _start(self) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="dailydiff-hooks", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        """Build and alert each pushed repository (pushes that queue up meanwhile are one pass); between
        pushes, look at held alerts every ``QUIET_TICK`` seconds when a topic has quiet hours."""
        quiet = any(t.quiet for job in self.jobs() for t in job.topics)
        available = configured_publishers(self.settings.publish, Secrets(os.environ))
        while not stop_taken():
            try:
                wanted = {self._queue.get(timeout=QUIET_TICK if quiet or self._owed else None)}
            except queue.Empty:
                wanted = set()
            if stop_taken():  # a push that came with the stop: its alerts are the next start's
                break
            self._idle.clear()
            while not self._queue.empty():
                wanted.add(self._queue.get_nowait())
            jobs = [job for job in self.jobs() if job.repo_id in wanted] if wanted else self.jobs()
            try:
                failed = self._pass(jobs, available, bool(wanted))
            except Exception as exc:  # the server goes on; the next push or tick tries again
                failed = [str(exc)]
            finally:
                self._idle.set()
            self._settle(jobs, failed)

    def _pass(self, jobs: list[Any], available: Any, build: bool) -> list[str]:
        """One pass over ``jobs`` (building their days when ``build``): the deliveries that failed."""
        with self.open_store() as store:
            outcomes = alert_pass(self.settings, jobs, store, available, clock(self.settings.run.now),
                                  self.open_store, build=build)  # fmt: skip
        failed: list[str] = []
        for outcome in (o for o in outcomes if o.kind == "alert"):
            log.info("hooks: %s: %s", outcome.label, outcome.figures)
            failed += [f"{p.publisher}: {p.detail}" for p in outcome.publish if p.status == "failed"]
        return failed

    def _settle(self, jobs: list[Any], failed: list[str]) -> None:
        """Remember which repositories still owe alerts, and say so with the next try."""
        repos = {job.repo_id for job in jobs}
        with self._lock:
            self._owed = self._owed | repos if failed else self._owed - repos
        if failed:
            log.error("hooks: alerts of %s not sent (%s); tried again in %.0fs, on the next push or a redelivery",
                      ", ".join(sorted(repos)), "; ".join(failed), QUIET_TICK)  # fmt: skip

    def drain(self, seconds: float) -> bool:
        """After a stop was taken (common/stopping.py: nothing new is claimed or sent): wait up to ``seconds``
        for the pass under way, whose message in flight finishes and is recorded. False when it did not end."""
        return self._idle.wait(seconds)


def hook_routes(settings: Settings, open_store: Callable[[], Any]) -> tuple[list[Route], Hooks]:
    hooks = Hooks(settings, open_store)

    async def github(request: Request) -> JSONResponse:
        return await hooks.receive(request, FORGES["github"])

    async def gitlab(request: Request) -> JSONResponse:
        return await hooks.receive(request, FORGES["gitlab"])

    return [
        Route("/hooks/github", github, methods=["POST"]),
        Route("/hooks/gitlab", gitlab, methods=["POST"]),
    ], hooks
