"""Issue 64 item 1: a plan worker sends only on a claim the store confirms at that moment. Two real
`run --plan` workers on a real PostgreSQL; the outage (PostgreSQL stopped and started) and the lease
running out are placed by the test, the workers held at the receiver where the test needs them — nothing
is left to timing. The webhook receiver counts every POST: no message twice."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from dailydiff.store import Store
from dailyrepos import build_daily_repo
from opsfixtures import cli_env
from pgserver import PASSWORD, PostgresServer
from webhook_receiver import WebhookReceiver

DAY = dt.date(2026, 1, 5)
# Long: the heartbeat (a third of it) never renews during the test; the test ends the lease itself. One slot
# per worker ([run] concurrency = 1): a worker's idle slot would take its own unit over once the lease is out.
LEASE = 120
PLAN = "outage"


def _config(root: Path) -> Path:
    build_daily_repo(root / "alpha", DAY, 1, per_day=2)
    config = root / "dailydiff.toml"
    publish = "".join(
        f'\n[[publish]]\ntype = "{kind}"\nurl_env = "{env}"\nretries = 0\ntimeout = 60\ndeadline = 120\n'
        for kind, env in (("slack", "HOOK_SLACK"), ("webhook", "HOOK_WEBHOOK"))
    )  # delivered in this order: slack, then the webhook
    config.write_text(
        '[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[analysis]\nanalyzer = "heuristic"\n\n'
        f'[run]\nconcurrency = 1\n\n[store]\nlease_seconds = {LEASE}\n\n[[repos]]\nsource = "{root / "alpha"}"\n'
        + publish,
        encoding="utf-8",
    )
    return config


def _until(what: Callable[[], bool], why: str, seconds: float = 60) -> None:
    """Wait for a state the test observes (a POST arrived, a log line written); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, f"timed out waiting until {why}"
        time.sleep(0.02)


class Worker:
    """A `dailydiff run --plan` process whose stderr is read as it comes."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def said(self, *words: str) -> bool:
        return any(word in line for line in list(self.lines) for word in words)

    def wait(self) -> tuple[int, str]:
        code = self.process.wait(timeout=180)
        self.reader.join(timeout=10)
        self.close()
        return code, "".join(self.lines)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()


def _outage(server: PostgresServer, url: str) -> None:
    """PostgreSQL stopped (at once) and started again. The test server commits asynchronously
    (synchronous_commit=off, for speed), so an immediate stop would lose the last commits — the worker's
    delivery claim, made just before its message went — which a real server, whose commit is on disk when it
    returns, never loses: what was committed is flushed first (a checkpoint) and survives the outage, as there."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CHECKPOINT")
    server.stop()
    server.start_again()


def _expire_leases(url: str) -> None:
    """The store says the units' leases ran out (as after an outage longer than the lease)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "UPDATE unit_claims SET lease_until = EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION - 1 "
            "WHERE state = 'running'"
        )


def test_a_worker_back_from_an_outage_longer_than_its_lease_sends_no_message_twice(
    tmp_path: Path, pg_server: PostgresServer, pg_url: str
) -> None:
    config = _config(tmp_path)
    held = {"slack": threading.Event(), "generic": threading.Event()}
    hooks = WebhookReceiver(hold_first=held).start()
    env = cli_env(DAILYDIFF_STORE_URL=pg_url, HOOK_SLACK=hooks.urls()["slack"],
                  HOOK_WEBHOOK=hooks.urls()["webhook"])  # fmt: skip
    args = [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", str(DAY), "--to",
            str(DAY), "--plan", PLAN, "-v"]  # fmt: skip
    workers: list[Worker] = []
    try:
        first = Worker(args, tmp_path, env)
        workers.append(first)
        # 1. The first worker built the day and is sending its slack message (held by the receiver).
        _until(lambda: len(hooks.arrived.get("slack", [])) == 1, "the first worker posts to slack")
        # 2. The outage: PostgreSQL stopped and started again, and the lease ran out meanwhile.
        _outage(pg_server, pg_url)
        _expire_leases(pg_url)
        # 3. Its slack message is answered; it goes on to the webhook (held by the receiver in turn).
        held["slack"].set()
        _until(lambda: len(hooks.arrived.get("generic", [])) == 1, "the first worker posts to the webhook")
        # 4. A second worker joins and decides on the unit: take it over (its lease ran out) or leave it (the
        #    store confirmed the first worker's claim before that message went, which renewed it).
        second = Worker(args, tmp_path, env)
        workers.append(second)
        _until(lambda: second.said("taking over from", "no unit free") or second.process.poll() is not None,
               "the second worker decides", 120)  # fmt: skip
        held["generic"].set()
        (code_1, err_1), (code_2, err_2) = first.wait(), second.wait()
    finally:
        for event in held.values():
            event.set()
        for worker in workers:
            worker.close()
        hooks.stop()
    # Every message went once: the one that was in flight was sent on a claim the store had confirmed.
    assert len(hooks.arrived["slack"]) == 1 and len(hooks.arrived["generic"]) == 1, (
        {k: len(v) for k, v in hooks.arrived.items()}, err_1[-3000:], err_2[-3000:])  # fmt: skip
    assert hooks.violations == []
    assert (code_1, code_2) == (0, 0), (err_1[-3000:], err_2[-3000:])
    for err in (err_1, err_2):
        assert PASSWORD not in err and "Traceback" not in err
        counts = re.findall(r"unit\(s\) built by this worker: (-?\d+) ok, (-?\d+) failed", err)
        assert all(int(n) >= 0 for pair in counts for n in pair), counts
    with Store.connect(pg_url) as store:
        rows = store.deliveries("alpha", DAY, "en")
        states = {s.unit: s.state for s in store.unit_states(PLAN)}
    assert sorted(row.state for row in rows.values()) == ["delivered", "delivered"], rows
    assert states == {f"alpha {DAY}": "done", f"addendum:alpha {DAY}": "done"}, states
