"""Issue 59, acceptance 3: `run` with ``[notes] on_tag = true`` sees a new tag once — its notes reach each
target (files, chat, the tag's draft GitHub release) exactly once across re-runs, on SQLite and with two
workers of a shared plan on PostgreSQL; the draft release is updated in place, never made twice; with the LLM,
each new tag is told once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github_publish import FakeGitHubPublish
from fake_llm import FakeLLM
from opsfixtures import cli_env
from pgserver import PostgresServer, postgres_server
from test_notes import _notes_requests, build_tagged_repo
from webhook_receiver import WebhookReceiver

NOW = "2026-03-03T12:00:00+00:00"
TAGS = {"v1.0", "v1.1"}  # both made within [notes] lookback_days of NOW


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def services() -> Iterator[tuple[FakeGitHubPublish, WebhookReceiver]]:
    github, hooks = FakeGitHubPublish().start(), WebhookReceiver().start()
    try:
        yield github, hooks
    finally:
        github.stop()
        hooks.stop()


def _world(root: Path, github: FakeGitHubPublish) -> Path:
    repo = build_tagged_repo(root / "widget")
    config = root / "dailydiff.toml"
    config.write_text(
        'data_dir = "data"\n\n[report]\ntimezone = "UTC"\nlanguage = "en"\nformats = ["md"]\n\n'
        f'[analysis]\nanalyzer = "heuristic"\n\n[github]\napi_url = "{github.url}"\n\n'
        "[store]\nlease_seconds = 5\n\n[notes]\non_tag = true\nrelease = true\nlookback_days = 30\n\n"
        f'[[repos]]\nsource = "{repo}"\nname = "widget"\n\n'
        '[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "archive"\nformats = ["md"]\n\n'
        '[[publish]]\ntype = "slack"\nname = "chat"\nurl_env = "HOOK"\nretries = 0\n',
        encoding="utf-8",
    )
    return config


def _run(
    root: Path, config: Path, env: dict[str, str], name: str, workers: int, plan: str | None
) -> list[int]:
    procs = []
    for i in range(workers):
        command = [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--date", "2026-03-02",
                   "--summary-json", str(root / f"{name}-{i}.json"), *(["--plan", plan] if plan else [])]  # fmt: skip
        log = (root / f"{name}-{i}.log").open("w")
        procs.append(
            (subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log), log)
        )
    codes = []
    for proc, log in procs:
        codes.append(proc.wait(timeout=300))
        log.close()
    return codes


def _release_messages(hooks: WebhookReceiver) -> Counter[str]:
    return Counter(
        tag for p in hooks.received.get("slack", []) for tag in TAGS
        if f"Release notes: widget {tag}" in json.dumps(p, ensure_ascii=False)
    )  # fmt: skip


def _explain(root: Path, name: str, workers: int, github: FakeGitHubPublish) -> str:
    """Why a run of a shared plan did not end as expected: each worker's log and deliveries in full (pytest
    cuts a long assertion message), and what the fake GitHub answered to each request."""
    lines = []
    for i in range(workers):
        lines += [f"--- worker {i}", (root / f"{name}-{i}.log").read_text()]
        summary = root / f"{name}-{i}.json"
        for unit in json.loads(summary.read_text())["units"] if summary.exists() else []:
            lines += [f"{unit['unit']}: {unit['status']} {unit['detail'] or ''}"]
            lines += [f"  {d['publisher']}: {d['status']} {d['detail']}" for d in unit["deliveries"]]
    lines += ["--- GitHub answered"] + [f"{m} {p} -> {s} {d!r}" for m, p, s, d in github.answers]
    return "\n".join(lines)


def _check(root: Path, github: FakeGitHubPublish, hooks: WebhookReceiver) -> None:
    releases = github.releases["acme/widget"]
    assert sorted(r["tag_name"] for r in releases) == sorted(TAGS) and all(r["draft"] for r in releases)
    assert [m for m, _ in github.requests].count("POST") == len(TAGS)  # each made once, never again
    assert _release_messages(hooks) == Counter(dict.fromkeys(TAGS, 1))  # each told once
    written = sorted(p.name for p in (root / "archive" / "widget" / "releases").iterdir())
    assert written == ["v1.0.md", "v1.1.md"]
    assert "### Breaking changes" in (root / "archive" / "widget" / "releases" / "v1.1.md").read_text()


def test_run_on_tag_delivers_each_new_tag_once_across_re_runs(
    tmp_path: Path, services: tuple[FakeGitHubPublish, WebhookReceiver]
) -> None:
    github, hooks = services
    config = _world(tmp_path, github)
    env = cli_env(HOOK=hooks.urls()["slack"], GITHUB_TOKEN=github.token, DAILYDIFF_RUN_NOW=NOW)
    assert _run(tmp_path, config, env, "first", 1, None) == [0], (tmp_path / "first-0.log").read_text()
    _check(tmp_path, github, hooks)
    summary = json.loads((tmp_path / "first-0.json").read_text())
    sent = [d for d in summary["deliveries"] if d["kind"] == "release"]
    assert len(sent) == 3 * len(TAGS) and {d["status"] for d in sent} == {"ok"}
    assert _run(tmp_path, config, env, "again", 1, None) == [0], (tmp_path / "again-0.log").read_text()
    _check(tmp_path, github, hooks)
    again = json.loads((tmp_path / "again-0.json").read_text())
    assert {d["status"] for d in again["deliveries"] if d["kind"] == "release"} == {"skipped"}
    # Notes told otherwise (for users): the drafts and files are updated in place; chat was told already.
    config.write_text(
        config.read_text().replace("lookback_days = 30", 'lookback_days = 30\naudience = "user"')
    )
    assert _run(tmp_path, config, env, "user", 1, None) == [0], (tmp_path / "user-0.log").read_text()
    _check(tmp_path, github, hooks)
    # v1.0 (its first commit only) has nothing a user notices: an empty edition, not sent (skip_empty).
    assert [m for m, _ in github.requests].count("PATCH") == 1
    [v11] = [r for r in github.releases["acme/widget"] if r["tag_name"] == "v1.1"]
    assert "Docs, tests and CI" not in v11["body"] and "Breaking changes" in v11["body"]


def test_two_workers_of_a_shared_plan_deliver_each_new_tag_once(
    tmp_path: Path, pg: PostgresServer, services: tuple[FakeGitHubPublish, WebhookReceiver]
) -> None:
    github, hooks = services
    config = _world(tmp_path, github)
    env = cli_env(HOOK=hooks.urls()["slack"], GITHUB_TOKEN=github.token, DAILYDIFF_RUN_NOW=NOW,
                  DAILYDIFF_STORE_URL=pg.create_database())  # fmt: skip
    runs = (("first", "nightly"), ("again", "nightly"), ("third", "tomorrow"))  # another plan: the same tags
    for name, plan in runs:
        if _run(tmp_path, config, env, name, 2, plan) != [0, 0]:
            pytest.fail(_explain(tmp_path, name, 2, github), pytrace=False)
        _check(tmp_path, github, hooks)
    _check(tmp_path, github, hooks)


def test_run_with_the_llm_has_each_new_tag_told_once(
    tmp_path: Path, services: tuple[FakeGitHubPublish, WebhookReceiver]
) -> None:
    """``[notes] llm = "auto"``: `run` asks the model for each new tag's notes once (the days' analyses are
    the day units'; the notes' own request is one per tag, its answer kept), and a re-run asks nothing."""
    github, hooks = services
    config = _world(tmp_path, github)
    config.write_text(config.read_text().replace('analyzer = "heuristic"', 'analyzer = "llm"'))
    with FakeLLM() as fake:
        env = cli_env(HOOK=hooks.urls()["slack"], GITHUB_TOKEN=github.token, DAILYDIFF_RUN_NOW=NOW,
                      DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model,
                      DAILYDIFF_LLM_RETRY_BACKOFF="0.01")  # fmt: skip
        assert _run(tmp_path, config, env, "first", 1, None) == [0], (tmp_path / "first-0.log").read_text()
        assert len(_notes_requests(fake)) == len(TAGS)
        told = (tmp_path / "archive" / "widget" / "releases" / "v1.1.md").read_text().splitlines()[2]
        assert not told.startswith("v1.1 has")  # the model's overview, not the rules'
        fake.reset()
        assert _run(tmp_path, config, env, "again", 1, None) == [0], (tmp_path / "again-0.log").read_text()
        assert _notes_requests(fake) == []
