"""Issue 85, a fifth first day — what the first pass left: each as a test that failed before its fix."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from alertkit import add_three, alerts_received, config_text, env_for, make_repo, python
from netports import free_port
from webhook_receiver import WebhookReceiver


def _dailydiff(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python(), "-m", "dailydiff", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=180)  # fmt: skip


def test_watch_once_whose_every_alert_failed_exits_7_in_one_line(tmp_path: Path) -> None:
    """`watch --once` from cron: every alert of the look failed (the chat is down) — exit 7 (every delivery
    failed), one line saying so; the next look sends them (the ledger owes them)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    shas = add_three(make_repo(tmp_path, now), now)
    (tmp_path / "dailydiff.toml").write_text(config_text(tmp_path / "repo"), encoding="utf-8")
    hooks = WebhookReceiver().start()
    try:
        down = env_for(hooks, DD_TEST_HOOK_URL=f"http://127.0.0.1:{free_port()}/hook")
        failed = _dailydiff(tmp_path, down, "watch", "--once", "-c", "dailydiff.toml", "--data-dir", "data")
        again = _dailydiff(
            tmp_path, env_for(hooks), "watch", "--once", "-c", "dailydiff.toml", "--data-dir", "data"
        )
    finally:
        hooks.stop()
    assert failed.returncode == 7, (failed.returncode, failed.stderr)
    errors = [line for line in failed.stderr.splitlines() if "publish step" in line]
    assert len(errors) == 1 and "2 of 2 publish step(s) failed (hook)" in errors[0], failed.stderr
    assert "Traceback" not in failed.stderr and "retried next time; hook: " in failed.stderr
    assert again.returncode == 0, again.stderr
    assert sorted(a["sha"] for a in alerts_received(hooks)) == sorted(shas[:2])
