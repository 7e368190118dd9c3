"""Issue 86 failure 1, for every unit kind that sends: a SIGTERM while a kind's message is in flight to the
first of three targets (Slack, Teams, the JSON webhook; the receiver holds it until the signal is taken). That
message finishes and is recorded; nothing is sent to the other two by the stopped run, and nothing is recorded
for them: the next run sends each of them the message once, and Slack nothing more. The addendum's case (the
regression) is tests/test_late.py's; each other kind here: a day, a digest-day, a week, an alert."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dailydiff.store import Store
from gitrepo import CommitSpec, FileEdit, build_repo
from webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"
SUNDAY = dt.date(2026, 4, 19)
MONDAY = SUNDAY - dt.timedelta(days=6)
NOW = dt.datetime(2026, 4, 20, 3, 0, tzinfo=dt.UTC)
TARGETS = '["slack", "teams", "webhook"]'
KINDS = {
    "day": (TARGETS, ""),
    "digest": ('["files"]', f'[[digest]]\nname = "team"\npublishers = {TARGETS}\n'),
    "week": ('["files"]', f"[weekly]\npublishers = {TARGETS}\n"),
    "alert": ('["files"]', f'[[watch]]\nname = "everything"\npaths = ["**"]\nalert = {TARGETS}\n'),
}


def _config(day_publishers: str, extra: str) -> str:
    return f"""data_dir = "data"
[report]
timezone = "UTC"
language = "en"
[analysis]
analyzer = "heuristic"
[[repos]]
source = "proj"
publishers = {day_publishers}
{extra}
[[publish]]
type = "slack"
url_env = "SLACK_URL"
retries = 0

[[publish]]
type = "teams"
url_env = "TEAMS_URL"
retries = 0

[[publish]]
type = "webhook"
url_env = "HOOK_URL"
retries = 0
"""


def _received(hooks: WebhookReceiver) -> list[int]:
    return [len(hooks.received.get(s, [])) for s in ("slack", "teams", "generic")]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_sigterm_while_a_kind_s_message_is_in_flight_leaves_the_other_targets_to_the_next_run(
    tmp_path: Path, kind: str
) -> None:
    at = dt.datetime.combine(SUNDAY, dt.time(20, 0), tzinfo=dt.UTC)
    build_repo(
        tmp_path / "proj",
        [CommitSpec("feat: add the parser", at, edits=[FileEdit("src/parser.py", "x = 1\n")])],
    )
    (tmp_path / "dailydiff.toml").write_text(_config(*KINDS[kind]), encoding="utf-8")
    hooks = WebhookReceiver().start()
    urls = hooks.urls()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env |= {"SLACK_URL": urls["slack"], "TEAMS_URL": urls["teams"], "HOOK_URL": urls["webhook"],
            "DAILYDIFF_RUN_NOW": NOW.isoformat(), "PYTHONPATH": str(SRC), "NO_COLOR": "1"}  # fmt: skip
    command = [sys.executable, "-m", "dailydiff", "run", "--output-dir", "out", "--from", MONDAY.isoformat(),
               "--to", SUNDAY.isoformat()]  # fmt: skip
    held = hooks.hold_next["slack"] = threading.Event()
    log = tmp_path / "stopped.log"
    try:
        with log.open("w") as err:
            process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 120
        while not hooks.arrived.get("slack"):  # the kind's message reached Slack, which holds it
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        while "SIGTERM: stopping" not in log.read_text():  # taken, not only sent
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        held.set()  # Slack's answer comes now: after the stop was taken
        process.wait(timeout=120)
        assert process.returncode == 128 + signal.SIGTERM, log.read_text()
        assert _received(hooks) == [1, 0, 0], log.read_text()
        if kind == "digest":  # a target the stopped run did not send to is told nothing of the digest
            with Store.open(tmp_path / "data") as store:
                rows = store.deliveries("digest:team", SUNDAY, "en").values()
            assert sorted((r.publisher, r.state) for r in rows) == [("slack", "delivered")] * 2, rows
        again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert _received(hooks) == [1, 1, 1], again.stderr
        once_more = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert once_more.returncode == 0, once_more.stderr
        assert _received(hooks) == [1, 1, 1], once_more.stderr
    finally:
        held.set()
        hooks.stop()
