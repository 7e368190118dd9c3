"""`dailydiff watch --every` against the fake GitHub: an unchanged branch costs one request a poll (a 304),
a new commit that fires is alerted within one interval, and SIGTERM between fetch and send loses nothing
and sends nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from alertkit import SRC, alert_messages, alerts_received, config_text, env_for, make_repo, python
from clirun import default_sigint, ignored_sigint
from fake_github import FakeGitHub
from gitrepo import CommitSpec, FileEdit, commit
from webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow
EVERY = 2.0


def _watch(
    tmp_path: Path, env: dict[str, str], *more: str, sigint_ignored: bool = False
) -> subprocess.Popen[str]:
    """The watcher, started with SIGINT's default (as from a terminal, whatever this test run's own is) or
    ignored (as in the background: ``ignored_sigint``)."""
    with ignored_sigint() if sigint_ignored else default_sigint():
        return subprocess.Popen(
            [python(), "-m", "dailydiff", "watch", *more, "-c", str(tmp_path / "dailydiff.toml"),
             "--data-dir", str(tmp_path / "data")],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


class Lines:
    """The watcher's stderr lines, read as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        with proc.stderr:
            for line in proc.stderr:
                self.lines.append(line.rstrip("\n"))

    def join(self) -> None:
        self._thread.join(timeout=10)

    def polls(self) -> int:
        return sum(" watch: " in line for line in self.lines)

    def wait_polls(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.polls() < count:
            assert time.monotonic() < deadline, self.lines
            time.sleep(0.05)


def test_watch_polls_with_304s_and_alerts_a_new_commit_within_one_interval(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    repo = make_repo(tmp_path, now)
    hooks = WebhookReceiver().start()
    with FakeGitHub({"acme/widgets": repo}) as fake:
        (tmp_path / "dailydiff.toml").write_text(
            config_text(repo, source='source = "acme/widgets"'), encoding="utf-8"
        )
        env = env_for(hooks, DAILYDIFF_GITHUB_API_URL=fake.url, GITHUB_TOKEN="test-token")
        proc = _watch(tmp_path, env, "--every", f"{EVERY:g}s")
        lines = Lines(proc)
        try:
            lines.wait_polls(2)  # the first poll fetched everything; the second found it unchanged
            fake.reset_requests()
            first = lines.polls()
            lines.wait_polls(first + 3)
            polls = lines.polls() - first
            requests = fake.of()
            per_poll = len(requests) / polls
            print(f"unchanged branch: {len(requests)} request(s) over {polls} poll(s): "
                  f"{[(r.kind, r.status) for r in requests]}")  # fmt: skip
            assert all(r.status == 304 for r in requests), requests
            assert 0.5 <= per_poll <= 1.5  # one each, give or take the poll in flight at either end

            sha = commit(repo, CommitSpec("fix(auth): expire sessions", now - dt.timedelta(minutes=1),
                                          edits=[FileEdit("src/auth/session.py", "TTL = 60\n")]))  # fmt: skip
            landed = time.monotonic()
            while not alerts_received(hooks):
                assert time.monotonic() - landed < EVERY + 15, lines.lines
                time.sleep(0.05)
            took = time.monotonic() - landed
            print(f"new matching commit alerted {took:.2f}s after it landed (interval {EVERY:g}s)")
            assert [(a["sha"], a["topic"]) for a in alerts_received(hooks)] == [(sha, "auth")]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            lines.join()
        hooks.stop()
    assert proc.returncode == 143
    assert (
        lines.lines[-1]
        == "dailydiff: stopped by SIGTERM — what was found and not yet sent is sent by the next start"
    )


# SIGINT ignored: started in the background (`cmd &`), as a test run's own processes may be.
@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored"])
def test_sigterm_between_fetch_and_send_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, sigint_ignored: bool
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    repo = make_repo(tmp_path, now)
    hooks = WebhookReceiver().start()
    with FakeGitHub({"acme/widgets": repo}) as fake:
        (tmp_path / "dailydiff.toml").write_text(
            config_text(repo, source='source = "acme/widgets"'), encoding="utf-8"
        )
        env = env_for(hooks, DAILYDIFF_GITHUB_API_URL=fake.url, GITHUB_TOKEN="test-token")
        assert _watch(tmp_path, env, "--once").communicate(timeout=60)[1].count(" watch: ") == 1
        sha = commit(repo, CommitSpec("chore: rotate the db password", now - dt.timedelta(minutes=1),
                                      edits=[FileEdit("deploy/db.env", "password = 'x'\n")]))  # fmt: skip
        gate = threading.Barrier(2)
        fake.hold = ("detail", gate)  # the commit's details are held: the watcher has listed it, not sent it
        fake.reset_requests()
        proc = _watch(tmp_path, env, "--every", "60s", sigint_ignored=sigint_ignored)
        lines = Lines(proc)
        deadline = time.monotonic() + 30
        while not fake.count("detail"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        while not any("SIGTERM: stopping" in line for line in lines.lines):  # taken, not only sent
            assert time.monotonic() < deadline + 30, lines.lines
            time.sleep(0.02)
        fake.hold = None
        gate.abort()  # the held answer comes now: after the stop was taken
        proc.wait(timeout=60)
        lines.join()
        err = "\n".join(lines.lines)
        assert proc.returncode == 143, err
        assert alert_messages(hooks) == []  # stopped before anything was sent
        for _ in range(2):  # the next start sends it once; the one after sends nothing
            again = _watch(tmp_path, env, "--once")
            again.communicate(timeout=60)
            assert again.returncode == 0
    hooks.stop()
    assert [(a["sha"], a["topic"]) for a in alerts_received(hooks)] == [(sha, "secrets")]
    assert len(alert_messages(hooks)) == 1 and hooks.violations == []


def test_a_sigterm_whose_cancellation_was_lost_in_a_look_stops_watch_before_its_next_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM taken during a look asks its main task to stop; were that cancellation lost inside the look
    (the look then ends as if nothing had been asked), `watch` still stops there: it does not sleep its
    interval (an hour here) and look again."""
    import dailydiff.cli.base as base
    import dailydiff.engine as engine
    from clirun import dailydiff

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    repo = make_repo(tmp_path, now)
    (tmp_path / "dailydiff.toml").write_text(config_text(repo), encoding="utf-8")
    monkeypatch.setattr(base, "_STOPPED_BY", [])
    looks: list[int] = []

    def look(planned: object) -> list[object]:  # the look's end, the SIGTERM taken in it and its cancel lost
        looks.append(1)
        base._STOPPED_BY.append(signal.SIGTERM)
        return []

    monkeypatch.setattr(engine, "run", look)
    hooks = WebhookReceiver().start()
    try:
        env = env_for(hooks)
        result = dailydiff("watch", "--every", "1h", "-c", str(tmp_path / "dailydiff.toml"), "--data-dir",
                           str(tmp_path / "data"), cwd=tmp_path, env=env)  # fmt: skip
    finally:
        hooks.stop()
    assert looks == [1]  # one look, never another after the interval (a wait for it: the test's timeout)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert "stopped by SIGTERM" in result.stderr


# A command's loop (through the one runner, common/aio.py) takes a SIGTERM while its main thread runs a finaliser,
# where an exception raised is printed and dropped ("Exception ignored in ..."): it says when it is there.
_FINALISED = """
import asyncio, os, time
from dailydiff.cli.base import stop_like_ctrl_c
from dailydiff.common.aio import run_sync

class Held:
    def __del__(self):
        os.write(1, b"finalising\\n")
        time.sleep(5)  # the SIGTERM lands here (a sleep a signal does not end: it goes on after the handler)

async def look():
    Held()  # freed at once, on the loop's thread
    await asyncio.sleep(30)
    return "ran to its end"

stop_like_ctrl_c()
try:
    print(run_sync(look()), flush=True)
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


def test_a_sigterm_landing_where_an_exception_would_be_dropped_still_stops_the_loop(tmp_path: Path) -> None:
    """SIGINT ignored (a background start), a SIGTERM is not an exception raised wherever the main thread is:
    in a finaliser (as in a lock or the loop's own code) one would be lost or leave things half done. The loop's
    main task is cancelled, at its next await, and the command stops as Ctrl-C stops it."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    with ignored_sigint():
        proc = subprocess.Popen([python(), "-c", _FINALISED], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline() == "finalising\n"
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert out == "stopped\n", err
    assert time.monotonic() - began < 20, err  # at the finaliser's end, not after the look's 30 s
    assert "Exception ignored" not in err and "Traceback" not in err, err
