"""`watch test` judges as the alerts do; `run` alerts before nothing is left to alert; a receiver that is
down is retried through the ledger; hostile commit text is inert in every alert; `doctor` checks targets."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from alertkit import THREE, alert_messages, alerts_received, config_text, env_for, python
from gitrepo import CommitSpec, FileEdit, build_repo
from webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow
DAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
NOW = DAY.replace(hour=12)


def _cli(
    tmp_path: Path, env: dict[str, str], *args: str, now: dt.datetime = NOW
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python(), "-m", "dailydiff", *args, "-c", str(tmp_path / "dailydiff.toml"), "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path, env={**env, "DAILYDIFF_RUN_NOW": now.isoformat()}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def _repo(tmp_path: Path, extra: list[CommitSpec] = ()) -> list[str]:  # type: ignore[assignment]
    specs = [CommitSpec("chore: start", DAY.replace(hour=8), edits=[FileEdit("README.md", "hi\n")])]
    specs += [CommitSpec(msg, DAY.replace(hour=10, minute=n), edits=[FileEdit(path, body)])
              for n, (msg, path, body) in enumerate(THREE)]  # fmt: skip
    return build_repo(tmp_path / "repo", [*specs, *extra])


def _verdicts(stdout: str) -> dict[str, bool]:
    """sha prefix -> fires, from `watch test`'s lines."""
    found = {}
    for line in stdout.splitlines():
        sha, _repo, mark, *_ = line.split()
        found[sha] = mark == "fires"
    return found


def test_watch_test_prints_the_verdicts_the_alerts_gave(tmp_path: Path) -> None:
    shas = _repo(tmp_path)
    hooks = WebhookReceiver().start()
    try:
        (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo"), encoding="utf-8")
        env = env_for(hooks)
        # Tried before trusted: on a fresh store `watch test` builds the days it needs, and sends nothing.
        before = {t: _cli(tmp_path, env, "watch", "test", t, *shas) for t in ("auth", "secrets")}
        assert all(r.returncode == 0 for r in before.values()), before
        assert alert_messages(hooks) == []
        assert _cli(tmp_path, env, "watch", "--once").returncode == 0
        after = {t: _cli(tmp_path, env, "watch", "test", t, *shas).stdout for t in ("auth", "secrets")}
        bad_topic = _cli(tmp_path, env, "watch", "test", "nope", shas[0])
        bad_sha = _cli(tmp_path, env, "watch", "test", "auth", "deadbeef")
    finally:
        hooks.stop()
    alerted = {(a["sha"], a["topic"]) for a in alerts_received(hooks)}
    for topic in ("auth", "secrets"):
        verdicts = _verdicts(after[topic])
        assert verdicts == _verdicts(before[topic].stdout)
        assert {sha: fires for sha, fires in verdicts.items()} == {
            s[:12]: (s, topic) in alerted for s in shas
        }
    assert sum(_verdicts(after["auth"]).values()) == 1 and sum(_verdicts(after["secrets"]).values()) == 1
    assert "path src/auth/token.py matches '**/auth/**'" in after["auth"]
    assert "added line src/settings.py:1 matches" in after["secrets"]
    for failed in (bad_topic, bad_sha):
        assert failed.returncode == 2 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
        assert failed.stderr.startswith("dailydiff: error: ") and "Traceback" not in failed.stderr
    assert "no [[watch]] topic named 'nope' — topics: auth, secrets" in bad_topic.stderr


def test_run_alerts_once_and_marks_the_report(tmp_path: Path) -> None:
    shas = _repo(tmp_path)
    hooks = WebhookReceiver().start()
    try:
        (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo"), encoding="utf-8")
        env = env_for(hooks)
        first = _cli(tmp_path, env, "run", "--date", DAY.date().isoformat(), "-o", str(tmp_path / "out"))
        second = _cli(tmp_path, env, "run", "--date", DAY.date().isoformat(), "-o", str(tmp_path / "out"))
    finally:
        hooks.stop()
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    assert sorted((a["sha"], a["topic"]) for a in alerts_received(hooks)) == sorted(
        [(shas[1], "auth"), (shas[2], "secrets")]
    )
    assert len(alert_messages(hooks)) == 2  # the second run sent no alert again


def test_a_receiver_that_is_down_is_retried_through_the_ledger(tmp_path: Path) -> None:
    """The receiver answers 500 to both alerts, then recovers at the same URL (one ledger target: the failed
    rows are what the next look retries). Killed mutant (issue 86): a failed row read as delivered — with the
    old test's second URL (another target, no rows) it passed."""
    shas = _repo(tmp_path)
    (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo"), encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        hooks.script["generic"] = [500, 500]
        failed = _cli(tmp_path, env_for(hooks), "watch", "--once")
        assert (
            "0 message(s) sent" in failed.stderr
            and "2 delivery(ies) failed (retried next time; hook: " in failed.stderr
            and failed.returncode == 7
        ), failed.stderr
        assert alerts_received(hooks) == [] and len(hooks.arrived["generic"]) == 2
        up = _cli(tmp_path, env_for(hooks), "watch", "--once")
        again = _cli(tmp_path, env_for(hooks), "watch", "--once")
    finally:
        hooks.stop()
    assert "2 message(s) sent (2 alert(s)" in up.stderr and "0 message(s) sent" in again.stderr
    assert sorted(a["sha"] for a in alerts_received(hooks)) == sorted([shas[1], shas[2]])
    assert len(hooks.arrived["generic"]) == 4  # two failed, two retried: nothing sent twice


HOSTILE = (
    "fix(auth): \x1b[31mred\x1b[0m \u202eevil\u202c <!channel> @everyone [click](javascript:alert(1)) "
    "<script>alert(1)</script> ![x](http://evil.example/p.png)"
)


def test_hostile_commit_text_is_inert_in_every_alert(tmp_path: Path) -> None:
    body = "TOKEN = 1  # \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 password = 'x' <!here>\n"
    # One alone (the oldest), one folded with the others (max_per_hour = 1): both messages carry it.
    evil = [
        CommitSpec(HOSTILE, DAY.replace(hour=h), edits=[FileEdit(f"src/auth/evil{h}.py", body)])
        for h in (9, 11)
    ]
    _repo(tmp_path, evil)
    extra = '[[publish]]\ntype = "slack"\nname = "chat"\nurl_env = "DD_TEST_SLACK_URL"\nretries = 0\n'
    topics = (
        '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\ndiff = ["password"]\nalert = ["hook", "chat"]\n'
        "max_per_hour = 1\n"
    )
    (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo", extra, topics), encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        env = {**env_for(hooks), "DD_TEST_SLACK_URL": hooks.urls()["slack"]}
        result = _cli(tmp_path, env, "watch", "--once")
    finally:
        hooks.stop()
    assert result.returncode == 0, result.stderr
    assert hooks.violations == []
    evil = [a for a in alerts_received(hooks) if "evil" in a["title"]]
    assert sorted(a["message"] for a in evil) == ["alert", "alerts"]  # alone, and folded with the others
    assert len(hooks.received["slack"]) == 2
    raw = b"".join(b for bodies in hooks.raw.values() for b in bodies).decode()
    for control in ("\x1b", "\u202e", "\x07"):
        assert control not in raw and control not in json.dumps(evil, ensure_ascii=False)
    # Slack parses mentions and links in mrkdwn only (a header is plain_text, shown as it is): none there.
    mrkdwn = [t["text"] for m in hooks.received["slack"] for t in _texts(m) if t.get("type") == "mrkdwn"]
    assert mrkdwn and not any(
        bad in t for t in mrkdwn for bad in ("<!channel>", "<!here>", "<script>", "<javascript:")
    )


def _texts(node: object) -> list[dict[str, str]]:
    if isinstance(node, dict):
        found = [node] if isinstance(node.get("text"), str) and "type" in node else []
        return found + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def test_doctor_checks_that_every_alert_target_exists(tmp_path: Path) -> None:
    _repo(tmp_path)
    topics = '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["hook", "security-chat"]\n'
    (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo", topics=topics), encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        result = _cli(tmp_path, env_for(hooks), "doctor")
    finally:
        hooks.stop()
    assert result.returncode == 1, result.stdout  # the README: `doctor` exits 1 when any check fails
    assert ("✗ config: invalid setting in " in result.stdout and "watch[1].alert: 'security-chat' is no [[publish]] "
            "entry's name (publishers: hook)" in result.stdout), result.stdout  # fmt: skip
