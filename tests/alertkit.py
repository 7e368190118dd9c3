"""Shared setup of the alert tests: a real git repository named ``acme/widgets``, a config whose
``[[watch]]`` topics alert a local webhook receiver, and helpers to read what the receiver got."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gitrepo import CommitSpec, FileEdit, build_repo, commit
from webhook_receiver import WebhookReceiver

SRC = Path(__file__).resolve().parents[1] / "src"
SECRET = "s3cret-for-hooks"
REPO = "acme/widgets"

TOPICS = """
[[watch]]
name = "auth"
paths = ["**/auth/**"]
alert = ["hook"]

[[watch]]
name = "secrets"
diff = ['password\\s*=']
alert = ["hook"]
"""


def config_text(repo: Path, extra: str = "", topics: str = TOPICS, source: str | None = None) -> str:
    where = source if source is not None else f'source = "{repo}"\nname = "{REPO}"'
    return f"""
[report]
timezone = "UTC"
language = "en"
[analysis]
analyzer = "heuristic"
[serve]
webhook_secret_env = "DD_TEST_HOOK_SECRET"
[[repos]]
{where}
{topics}
[[publish]]
type = "webhook"
name = "hook"
url_env = "DD_TEST_HOOK_URL"
retries = 0
{extra}
"""


def make_repo(root: Path, now: dt.datetime) -> Path:
    path = root / "repo"
    build_repo(
        path, [CommitSpec("chore: start", now - dt.timedelta(hours=5), edits=[FileEdit("README.md", "hi\n")])]
    )
    return path


THREE = [
    ("fix(auth): check the token's expiry", "src/auth/token.py", "def valid(t):\n    return t.alive\n"),
    ("feat: settings loader", "src/settings.py", "password = load('db')\n"),
    ("docs: a typo", "docs/guide.md", "The guide.\n"),
]


def add_three(repo: Path, now: dt.datetime) -> list[str]:
    """One commit matching the path topic, one the diff topic, one nothing — committed just before ``now``."""
    return [
        commit(repo, CommitSpec(msg, now - dt.timedelta(minutes=30 - i), edits=[FileEdit(path, body)]))
        for i, (msg, path, body) in enumerate(THREE)
    ]


def env_for(hooks: WebhookReceiver, **more: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1", "DD_TEST_HOOK_URL": hooks.urls()["webhook"],
           "DD_TEST_HOOK_SECRET": SECRET, **more}  # fmt: skip
    env.pop("DAILYDIFF_DATA_DIR", None)
    return env


def alerts_received(hooks: WebhookReceiver) -> list[dict[str, Any]]:
    """Every alert the receiver got, folded ones included (each with the message's kind)."""
    found = []
    for payload in list(hooks.received.get("generic", [])):
        if payload.get("kind") == "alert":
            found.append({**payload, "message": "alert"})
        elif payload.get("kind") == "alerts":
            found += [{**a, "message": "alerts"} for a in payload["alerts"]]
    return found


def alert_messages(hooks: WebhookReceiver) -> list[dict[str, Any]]:
    return [p for p in list(hooks.received.get("generic", [])) if p.get("kind") in ("alert", "alerts")]


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}")


def github_push(repo: str, shas: list[str]) -> bytes:
    return json.dumps({"ref": "refs/heads/main", "after": shas[-1] if shas else "0" * 40,
                       "repository": {"full_name": repo, "id": 1},
                       "commits": [{"id": sha} for sha in shas]}).encode()  # fmt: skip


def gitlab_push(project: str, shas: list[str]) -> bytes:
    return json.dumps({"object_kind": "push", "ref": "refs/heads/main", "project": {"path_with_namespace": project},
                       "commits": [{"id": sha} for sha in shas]}).encode()  # fmt: skip


def python() -> str:
    return sys.executable
