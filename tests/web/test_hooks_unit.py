"""`serve`'s push hooks in process (web/hooks.py): the signature checks, the body's limits and shape, the
replay memory and what a failed pass leaves owed. Fast: the mutation target of the hooks (`make mutation
MODULES=hooks`); tests/test_alerts_serve.py drives a real `serve`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from dailydiff.settings import load_settings
from dailydiff.web.hooks import FORGES, SEEN_DELIVERIES, Hooks

SECRET = "s3cret"
REPO = "acme/widgets"


READ: list[int] = []  # how many parts of a body were read (a body refused on its length is read not at all)


def _request(body: bytes, headers: dict[str, str], chunks: int = 1) -> Request:
    scope = {"type": "http", "method": "POST", "path": "/hooks/x", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}  # fmt: skip
    size = max(1, len(body) // chunks + (len(body) % chunks > 0))
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    async def receive() -> dict[str, Any]:
        READ.append(1)
        part = parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    return Request(scope, receive)


def _hooks(secret_env: str = "DD_HOOK_SECRET", max_body: int = 1024) -> Hooks:
    settings = load_settings(environ={}, cwd=Path("/"),
                             overrides={"serve": {"webhook_secret_env": secret_env, "max_body": max_body}})  # fmt: skip
    hooks = Hooks(settings, open_store=lambda: None)
    hooks._jobs = []  # no repository alerts: a push names an unknown one
    return hooks


def _signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _answer(
    hooks: Hooks, forge: str, body: bytes, headers: dict[str, str], chunks: int = 1
) -> tuple[int, Any]:
    response = asyncio.run(hooks.receive(_request(body, headers, chunks), FORGES[forge]))
    return response.status_code, json.loads(bytes(response.body))


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "DD_HOOK_SECRET", SECRET)  # the variable [serve] webhook_secret_env names


PUSH = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": REPO}}).encode()


def test_github_s_signature_is_the_body_s_hmac_with_its_prefix() -> None:
    hooks = _hooks()
    good = {"X-GitHub-Event": "push", "X-Hub-Signature-256": _signed(PUSH)}
    assert _answer(hooks, "github", PUSH, good)[0] == 202
    for bad in (_signed(PUSH, "other"), _signed(PUSH + b" "), _signed(PUSH)[7:], "", "sha256=" + "0" * 64):
        assert _answer(hooks, "github", PUSH, {**good, "X-Hub-Signature-256": bad}) == (
            401, {"error": "bad or missing signature"}), bad  # fmt: skip
    no_header = {"X-GitHub-Event": "push"}
    assert _answer(hooks, "github", PUSH, no_header)[0] == 401


def test_gitlab_s_token_is_compared_whole() -> None:
    hooks = _hooks()
    body = json.dumps({"project": {"path_with_namespace": REPO}}).encode()
    event = {"X-Gitlab-Event": "Push Hook"}
    assert _answer(hooks, "gitlab", body, {**event, "X-Gitlab-Token": SECRET})[0] == 202
    for bad in (SECRET[:-1], SECRET + "x", "", SECRET.upper()):
        assert _answer(hooks, "gitlab", body, {**event, "X-Gitlab-Token": bad})[0] == 401, bad
    assert _answer(hooks, "gitlab", body, event) == (
        401,
        {"error": "bad or missing signature"},
    )  # no token at all
    assert _answer(hooks, "gitlab", body, {**event, "X-Gitlab-Token": SECRET})[1]["status"] == "ignored"


def test_no_secret_configured_refuses_everything() -> None:
    """No variable named, or one unset: whatever key signed the push (none, an empty one, a guess), 401."""
    for hooks in (_hooks(secret_env=""), _hooks(secret_env="DD_UNSET_SECRET")):
        for key in (SECRET, "", "XXXX"):
            headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": _signed(PUSH, key)}
            assert _answer(hooks, "github", PUSH, headers)[0] == 401, key
        gitlab = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "XXXX"}
        assert _answer(hooks, "gitlab", PUSH, gitlab)[0] == 401


def test_a_missing_token_never_matches_whatever_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "DD_HOOK_SECRET", "XXXX")
    hooks = _hooks()
    assert _answer(hooks, "gitlab", PUSH, {"X-Gitlab-Event": "Push Hook"})[0] == 401
    assert _answer(hooks, "github", PUSH, {"X-GitHub-Event": "push"})[0] == 401


def test_a_body_over_max_body_is_413_declared_or_streamed_and_one_at_it_is_read() -> None:
    hooks = _hooks(max_body=1024)
    exact = json.dumps({"repository": {"full_name": REPO}, "pad": "x" * 1024}).encode()[:1024]
    over = b"x" * 1025
    signed = {"X-GitHub-Event": "push"}
    READ.clear()
    refused = {"error": "body over 1024 bytes ([serve] max_body)"}
    assert _answer(hooks, "github", over, {**signed, "Content-Length": "1025"}) == (413, refused)
    assert READ == []  # refused on its declared length, unread
    assert _answer(hooks, "github", over, signed, chunks=3) == (
        413,
        refused,
    )  # no Content-Length: cut as it grows
    at_limit = _answer(hooks, "github", exact, {**signed, "X-Hub-Signature-256": _signed(exact)}, chunks=4)
    assert at_limit[0] == 400  # read whole (1,024 bytes), then judged: cut JSON
    padded = {**signed, "X-Hub-Signature-256": _signed(b"x" * 1024), "Content-Length": "1024"}
    assert _answer(hooks, "github", b"x" * 1024, padded)[0] == 400


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        (b"not json", 400, "the body is not JSON, or is nested too deep"),
        (b"[" * 1000 + b"]" * 1000, 400, "the body is not JSON, or is nested too deep"),
        (b"[1]", 400, "the push names no repository"),
        (json.dumps({"repository": {"full_name": ""}}).encode(), 400, "the push names no repository"),
        (json.dumps({"repository": {"full_name": 7}}).encode(), 400, "the push names no repository"),
    ],
)
def test_a_signed_body_that_is_no_push_is_a_400(body: bytes, status: int, said: str) -> None:
    hooks = _hooks(max_body=4096)
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": _signed(body)}
    assert _answer(hooks, "github", body, headers) == (status, {"error": said})


def test_another_event_is_acknowledged_and_ignored() -> None:
    hooks = _hooks()
    for event, why in (("issues", "not a push (issues)"), ("", "not a push (no event)")):
        headers = {"X-GitHub-Event": event, "X-Hub-Signature-256": _signed(PUSH)}
        assert _answer(hooks, "github", PUSH, headers) == (202, {"status": "ignored", "reason": why})
    tag = json.dumps({"project": {"path_with_namespace": REPO}}).encode()
    assert _answer(hooks, "gitlab", tag, {"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": SECRET})[1] == {
        "status": "ignored", "reason": "no configured repository with alerts has this id"}  # fmt: skip


def test_a_delivery_is_remembered_until_its_repository_owes_alerts() -> None:
    hooks = _hooks()
    assert not hooks._replayed("github:d-1", REPO)
    assert hooks._replayed("github:d-1", REPO)
    assert not hooks._replayed("gitlab:d-1", REPO)  # another forge's id
    job = SimpleNamespace(repo_id=REPO)
    hooks._settle([job], ["hook: HTTP 500"])  # the pass failed: its alerts are owed
    assert not hooks._replayed("github:d-1", REPO) and not hooks._replayed("github:d-1", REPO)
    assert hooks._replayed("github:d-1", "other/repo")
    hooks._settle([job], [])  # sent: owed no more
    assert hooks._replayed("github:d-1", REPO)


def test_the_oldest_delivery_is_forgotten_past_the_limit() -> None:
    hooks = _hooks()
    for n in range(SEEN_DELIVERIES + 1):
        hooks._replayed(f"github:{n}", REPO)
    assert len(hooks._seen) == SEEN_DELIVERIES
    assert not hooks._replayed("github:0", REPO) and hooks._replayed("github:2", REPO)


def test_a_pass_that_failed_is_logged_with_its_next_try(caplog: pytest.LogCaptureFixture) -> None:
    hooks = _hooks()
    with caplog.at_level("ERROR", logger="dailydiff.hooks"):
        hooks._settle([SimpleNamespace(repo_id=REPO)], ["hook: HTTP 500"])
        hooks._settle([SimpleNamespace(repo_id=REPO)], [])
        hooks._settle(
            [SimpleNamespace(repo_id="b/two"), SimpleNamespace(repo_id="a/one")], ["x: 500", "y: 502"]
        )
    assert [r.getMessage() for r in caplog.records] == [
        f"hooks: alerts of {REPO} not sent (hook: HTTP 500); tried again in 60s, on the next push or a redelivery",
        "hooks: alerts of a/one, b/two not sent (x: 500; y: 502); tried again in 60s, on the next push or a redelivery",
    ]
    assert hooks.drain(0.1)  # no pass under way


def _followed() -> Hooks:
    """Hooks that follow REPO; the pass's worker is not started here (a push is only queued): what is asked of
    `receive` is its answer and what it queues."""
    hooks = _hooks()
    hooks._jobs = [SimpleNamespace(repo_id=REPO, entry=SimpleNamespace(name=None),
                                   ref=SimpleNamespace(aliases=lambda _name: {REPO}))]  # fmt: skip
    hooks._worker = threading.current_thread()  # a worker "is running": _start starts none
    return hooks


def _queued(hooks: Hooks) -> list[str]:
    found = []
    while not hooks._queue.empty():
        found.append(hooks._queue.get_nowait())
    return found


ACCEPTED = (202, {"status": "accepted", "repo": REPO})
DUPLICATE = (200, {"status": "duplicate", "reason": "this delivery was received before"})


def test_a_push_is_accepted_and_queued_once_per_delivery_id() -> None:
    hooks = _followed()
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": _signed(PUSH), "X-GitHub-Delivery": "d-1"}
    assert _answer(hooks, "github", PUSH, headers) == ACCEPTED
    assert _answer(hooks, "github", PUSH, headers) == DUPLICATE
    other = json.dumps({"repository": {"full_name": REPO}, "after": "1" * 40}).encode()
    same_id = {**headers, "X-Hub-Signature-256": _signed(other)}
    assert _answer(hooks, "github", other, same_id) == DUPLICATE  # the id decides, not the body
    assert _answer(hooks, "github", PUSH, {**headers, "X-GitHub-Delivery": "d-2"}) == ACCEPTED
    assert _queued(hooks) == [REPO, REPO]


def test_a_push_without_a_delivery_id_is_known_by_its_body() -> None:
    hooks = _followed()
    event = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}
    first = json.dumps({"project": {"path_with_namespace": REPO}, "after": "a" * 40}).encode()
    second = json.dumps({"project": {"path_with_namespace": REPO}, "after": "b" * 40}).encode()
    assert _answer(hooks, "gitlab", first, event) == ACCEPTED
    assert _answer(hooks, "gitlab", second, event) == ACCEPTED
    assert _answer(hooks, "gitlab", second, event) == DUPLICATE
    assert (
        _answer(hooks, "gitlab", first, {**event, "X-Gitlab-Event-UUID": "u-1"}) == ACCEPTED
    )  # an id: its own
    assert _queued(hooks) == [REPO, REPO, REPO]


def test_a_redelivery_of_a_push_whose_alerts_are_owed_is_accepted_again() -> None:
    hooks = _followed()
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": _signed(PUSH), "X-GitHub-Delivery": "d-7"}
    assert _answer(hooks, "github", PUSH, headers) == ACCEPTED
    hooks._settle(hooks.jobs(), ["hook: HTTP 500"])
    assert _answer(hooks, "github", PUSH, headers) == ACCEPTED
    hooks._settle(hooks.jobs(), [])
    assert _answer(hooks, "github", PUSH, headers) == DUPLICATE


def test_a_push_without_an_event_header_is_ignored_as_no_event() -> None:
    hooks = _hooks()
    answer = _answer(hooks, "github", PUSH, {"X-Hub-Signature-256": _signed(PUSH)})
    assert answer == (202, {"status": "ignored", "reason": "not a push (no event)"})
