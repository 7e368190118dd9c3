"""Issue 41, acceptance 1 and 2: a shared plan on PostgreSQL with two worker processes builds every digest-day
and week although a chat target fails the first run; running the same plan again sends what failed, each
message once; and `run` without a plan, on SQLite, gives the same files, messages and summary: one runner."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.render.edition import comparable
from dailydiff.store import Store
from dailyrepos import build_daily_repo
from opsfixtures import cli_env
from pgserver import PostgresServer, postgres_server
from webhook_receiver import WebhookReceiver

FIRST = dt.date(2026, 1, 5)  # a Monday: the seven days are ISO week 2026-W02
DAYS = 7
DEAD_URL = "http://127.0.0.1:9/hooks/slack/down"  # the discard port: nothing listens there


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def _config(root: Path, repos: Path) -> Path:
    text = (
        'data_dir = "data"\n\n[report]\ntimezone = "UTC"\nlanguage = "en"\nformats = ["md", "json"]\n\n'
        '[analysis]\nanalyzer = "heuristic"\n\n[run]\nconcurrency = 2\n\n[store]\nlease_seconds = 5\n\n'
        '[weekly]\npublishers = ["archive", "chat"]\nformats = ["md", "json"]\n\n[[digest]]\nname = "team"\n'
    )
    for n in range(3):
        text += f'\n[[repos]]\nsource = "{repos / f"repo{n}"}"\nname = "repo{n}"\n'
    text += ('\n[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "archive"\nformats = ["md", "json"]\n'
             '\n[[publish]]\ntype = "slack"\nname = "chat"\nurl_env = "HOOK"\nretries = 0\n')  # fmt: skip
    config = root / "dailydiff.toml"
    config.write_text(text, encoding="utf-8")
    return config


def _command(config: Path, summary: Path, plan: str | None) -> list[str]:
    last = FIRST + dt.timedelta(days=DAYS - 1)
    return [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", str(FIRST),
            "--to", str(last), "--summary-json", str(summary), *(["--plan", plan] if plan else [])]  # fmt: skip


def _run(
    root: Path, config: Path, env: dict[str, str], name: str, *, workers: int, plan: str | None
) -> list[int]:
    procs = []
    for i in range(workers):
        log = (root / f"{name}-{i}.log").open("w")
        procs.append((subprocess.Popen(_command(config, root / f"{name}-{i}.json", plan), cwd=root, env=env,
                                       stdout=subprocess.DEVNULL, stderr=log), log))  # fmt: skip
    codes = []
    for proc, log in procs:
        codes.append(proc.wait(timeout=300))
        log.close()
    return codes


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root / "archive")): comparable(p.suffix[1:], p.read_text(encoding="utf-8"))
            for p in sorted((root / "archive").rglob("*")) if p.is_file()}  # fmt: skip


def _messages(hooks: WebhookReceiver) -> Counter[str]:
    return Counter(json.dumps(p, sort_keys=True, ensure_ascii=False) for p in hooks.received.get("slack", []))


def _world(root: Path) -> Path:
    root.mkdir()
    for n in range(3):
        build_daily_repo(root / "repos" / f"repo{n}", FIRST, DAYS, per_day=2)
    return _config(root, root / "repos")


def test_a_shared_plan_builds_every_digest_and_week_retries_the_failed_target_and_matches_a_plain_run(
    tmp_path: Path, pg: PostgresServer
) -> None:
    # Two workers on PostgreSQL; the chat target is down for the first run.
    fleet = tmp_path / "fleet"
    config = _world(fleet)
    url = pg.create_database()
    down = cli_env(DAILYDIFF_STORE_URL=url, HOOK=DEAD_URL)
    first = _run(fleet, config, down, "first", workers=2, plan="nightly")
    # Exit 8 (some deliveries failed, others did not): each worker's units went to the archive and not to chat.
    assert first == [8, 8], (first, [(fleet / f"first-{i}.log").read_text()[-2000:] for i in range(2)])
    with Store.connect(url) as store:
        states = {s.unit: s.state for s in store.unit_states("nightly")}
    digests = {u for u in states if u.startswith("digest:team ")}
    weeks = {u for u in states if u.startswith("week:")}
    assert len(digests) == DAYS and len(weeks) == 3, states
    built = sorted((fleet / "archive" / "reports" / "digests").rglob("*.md"))
    assert len(built) == DAYS  # every digest-day built and written although chat failed
    assert len(list((fleet / "archive").rglob("weekly-*.md"))) == 3
    hooks = WebhookReceiver().start()
    try:
        up = cli_env(DAILYDIFF_STORE_URL=url, HOOK=hooks.urls()["slack"].replace("/slack/", "/slack/"))
        again = _run(fleet, config, up, "again", workers=2, plan="nightly")
        assert again == [0, 0], [(fleet / f"again-{i}.log").read_text() for i in range(2)]
        third = _run(fleet, config, up, "third", workers=1, plan="nightly")
        assert third == [0]
        fleet_messages = _messages(hooks)
    finally:
        hooks.stop()
    with Store.connect(url) as store:
        assert {s.state for s in store.unit_states("nightly")} == {"done"}
    assert len(fleet_messages) == 3 * DAYS + DAYS + 3, len(fleet_messages)  # days, digests, weeks
    assert set(fleet_messages.values()) == {1}  # each message once

    # The same config without a plan, on SQLite: the same files, messages and summary.
    alone = tmp_path / "alone"
    config = _world(alone)
    env = cli_env(HOOK=DEAD_URL)
    assert _run(alone, config, env, "first", workers=1, plan=None) == [8]  # the archive written, chat failed
    hooks = WebhookReceiver().start()
    try:
        assert _run(alone, config, cli_env(HOOK=hooks.urls()["slack"]), "again", workers=1, plan=None) == [0]
        plain_messages = _messages(hooks)
    finally:
        hooks.stop()
    assert _files(alone) == _files(fleet)
    assert _strip(plain_messages) == _strip(fleet_messages)
    plain = json.loads((alone / "first-0.json").read_text(encoding="utf-8"))
    shared = [json.loads((fleet / f"first-{i}.json").read_text(encoding="utf-8")) for i in range(2)]
    assert _deliveries(plain) == sorted(d for s in shared for d in _deliveries(s))


def _strip(messages: Counter[str]) -> Counter[str]:
    """Messages less what names the moment they were made (the repositories' and days' paths differ)."""
    return Counter(m.replace("/fleet/", "/x/").replace("/alone/", "/x/") for m in messages.elements())


def _deliveries(summary: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted((d["kind"], d["unit"], d["publisher"], d["status"]) for d in summary["deliveries"])
