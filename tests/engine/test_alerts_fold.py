"""Bursts and quiet hours, with the clock given (``[run] now``), never slept: 40 commits that fire in an
hour with ``max_per_hour = 10`` are 10 single alerts and one message naming the other 30; alerts in quiet
hours (the report's timezone) wait, and go out as one message when the hours end."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from alertkit import alert_messages, alerts_received, config_text, env_for, python
from gitrepo import CommitSpec, FileEdit, build_repo
from webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow
DAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _look(tmp_path: Path, env: dict[str, str], now: dt.datetime) -> str:
    """One `dailydiff watch --once` at ``now``; its summary line."""
    result = subprocess.run(
        [python(), "-m", "dailydiff", "watch", "--once", "-c", str(tmp_path / "dailydiff.toml"),
         "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path, env={**env, "DAILYDIFF_RUN_NOW": now.isoformat()}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stderr


def _setup(tmp_path: Path, specs: list[CommitSpec], topic: str, hooks: WebhookReceiver) -> dict[str, str]:
    repo = tmp_path / "repo"
    build_repo(repo, specs)
    (tmp_path / "dailydiff.toml").write_text(config_text(repo, topics=topic), encoding="utf-8")
    return env_for(hooks)


def test_forty_alerts_in_an_hour_are_ten_single_ones_and_one_message_naming_the_other_thirty(
    tmp_path: Path,
) -> None:
    specs = [CommitSpec(f"fix(auth): check {n}", DAY.replace(hour=10, minute=n),
                        edits=[FileEdit(f"src/auth/check_{n}.py", f"N = {n}\n")]) for n in range(40)]  # fmt: skip
    topic = '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["hook"]\nmax_per_hour = 10\n'
    hooks = WebhookReceiver().start()
    try:
        env = _setup(tmp_path, specs, topic, hooks)
        line = _look(tmp_path, env, DAY.replace(hour=10, minute=45))
        again = _look(tmp_path, env, DAY.replace(hour=10, minute=50))
    finally:
        hooks.stop()
    messages = alert_messages(hooks)
    singles = [m for m in messages if m["kind"] == "alert"]
    folded = [m for m in messages if m["kind"] == "alerts"]
    assert len(singles) == 10 and len(folded) == 1, line
    assert folded[0]["reason"] == "burst" and len(folded[0]["alerts"]) == 30
    named = {a["sha"] for a in alerts_received(hooks)}
    assert len(named) == 40  # every commit named once: 10 alone, 30 in the folded message
    assert [m["title"] for m in singles] == [f"fix(auth): check {n}" for n in range(10)]  # oldest first
    assert "11 message(s) sent (10 alert(s), 30 folded, 0 held)" in line
    assert "0 message(s) sent" in again and hooks.violations == []


def test_quiet_hours_hold_alerts_and_send_them_as_one_message_when_they_end(tmp_path: Path) -> None:
    night = DAY.replace(hour=23)
    specs = [CommitSpec("chore: start", DAY.replace(hour=9), edits=[FileEdit("README.md", "hi\n")])]
    specs += [CommitSpec(f"fix(auth): night fix {n}", night.replace(minute=10 * n),
                         edits=[FileEdit(f"src/auth/n{n}.py", f"N = {n}\n")]) for n in range(1, 4)]  # fmt: skip
    topic = '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["hook"]\nquiet = "22:00-07:00"\n'
    hooks = WebhookReceiver().start()
    try:
        env = _setup(tmp_path, specs, topic, hooks)
        during = _look(tmp_path, env, night.replace(minute=45))
        late = _look(tmp_path, env, night + dt.timedelta(hours=7))  # 06:00: still quiet
        held = len(alert_messages(hooks))
        after = _look(tmp_path, env, night + dt.timedelta(hours=8, minutes=5))  # 07:05: the hours ended
        later = _look(tmp_path, env, night + dt.timedelta(hours=8, minutes=30))
    finally:
        hooks.stop()
    assert "0 message(s) sent (0 alert(s), 0 folded, 3 held)" in during
    assert "3 held" in late and held == 0
    messages = alert_messages(hooks)
    assert len(messages) == 1 and messages[0]["kind"] == "alerts" and messages[0]["reason"] == "quiet", after
    assert [a["title"] for a in messages[0]["alerts"]] == [f"fix(auth): night fix {n}" for n in range(1, 4)]
    assert "22:00-07:00" in messages[0]["title"]
    assert "0 message(s) sent" in later and hooks.violations == []


def test_quiet_hours_and_words_are_the_targets_own(tmp_path: Path) -> None:
    # The target is in Shanghai and reads Chinese; the repository's report is in UTC and English.
    night = DAY.replace(hour=15)  # 23:00 in Shanghai
    specs = [CommitSpec("chore: start", DAY.replace(hour=9), edits=[FileEdit("README.md", "hi\n")])]
    specs += [CommitSpec(f"fix(auth): night fix {n}", night.replace(minute=10 * n),
                         edits=[FileEdit(f"src/auth/n{n}.py", f"N = {n}\n")]) for n in range(1, 3)]  # fmt: skip
    topic = '[[watch]]\nname = "auth"\npaths = ["**/auth/**"]\nalert = ["hook"]\nquiet = "22:00-07:00"\n'
    hooks = WebhookReceiver().start()
    try:
        env = _setup(tmp_path, specs, topic, hooks)
        config = tmp_path / "dailydiff.toml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            'name = "hook"\n', 'name = "hook"\nlanguage = "zh"\ntimezone = "Asia/Shanghai"\n'), encoding="utf-8")  # fmt: skip
        during = _look(
            tmp_path, env, night.replace(minute=45)
        )  # 23:45 in Shanghai, 15:45 UTC: not quiet in UTC
        after = _look(tmp_path, env, night + dt.timedelta(hours=8, minutes=5))  # 07:05 in Shanghai
    finally:
        hooks.stop()
    assert "2 held" in during
    messages = alert_messages(hooks)
    assert len(messages) == 1 and messages[0]["reason"] == "quiet", after
    assert messages[0]["title"] == "👀 免打扰时段（22:00-07:00）内的 2 条提醒"
    assert hooks.violations == []
