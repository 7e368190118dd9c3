"""Exactly once in a fleet: `dailydiff run --plan` workers as real processes on a real PostgreSQL (one server
for this module), stopped with real signals, on different host names (`unshare --uts`), with a clock that is
off (libfaketime), while the server restarts. Every case counts what a user receives at the webhook
receiver and what the store holds; order is established by events (hits, unit states), never by wall time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clirun import watched_exit
from dailydiff.store import Store
from dailyrepos import build_daily_repo
from fake_llm import FakeLLM
from opsfixtures import cli_env, dailydiff
from pgserver import PASSWORD, PostgresServer, postgres_server
from required import libfaketime, missing
from webhook_receiver import WebhookReceiver

FIRST = dt.date(2026, 1, 5)


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def url(pg: PostgresServer) -> str:
    return pg.create_database()


class GatedReceiver(WebhookReceiver):
    """The receiver, with a gate per service: every POST to a gated service is counted in ``waiting`` when it
    arrives and held until the test opens the gate (or the receiver stops): slow sends held for exactly as
    long as the test needs, not for a guessed number of seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, threading.Event] = {}
        self.waiting: Counter[str] = Counter()

    def handle(self, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        gate = self.gates.get(target.split("/")[1])
        if gate is not None:
            with self._lock:
                self.waiting[target.split("/")[1]] += 1
            gate.wait(timeout=120)
        return super().handle(target, headers, raw)

    def stop(self) -> None:
        for gate in self.gates.values():
            gate.set()
        super().stop()


@pytest.fixture
def hooks() -> Iterator[GatedReceiver]:
    receiver = GatedReceiver().start()
    yield receiver
    receiver.stop()


def write_config(
    root: Path,
    repos: int = 1,
    days: int = 1,
    *,
    per_day: int = 3,
    hook: str = "webhook",
    analyzer: str = "heuristic",
    lease: float = 2.0,
    publish: str = "retries = 0",
    extra: str = "",
    build: bool = True,
    name: str = "dailydiff.toml",
) -> Path:
    text = (
        f'[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[analysis]\nanalyzer = "{analyzer}"\n\n'
        '[llm]\nconcurrency = 2\nescalation = false\nresponse_mode = "json_schema"\n\n'
        f"[run]\nconcurrency = 2\n\n[store]\nlease_seconds = {lease}\n{extra}\n"
    )
    for n in range(repos):
        if build:
            build_daily_repo(root / f"repo{n}", FIRST, days, per_day=per_day)
        text += f'\n[[repos]]\nsource = "{root / f"repo{n}"}"\nname = "repo{n}"\n'
    text += f'\n[[publish]]\ntype = "{hook}"\nurl_env = "DAILYDIFF_TEST_HOOK"\n{publish}\n'
    config = root / name
    config.write_text(text, encoding="utf-8")
    return config


class Worker:
    """One `dailydiff run` process; its stderr goes to a file (a pipe could fill while it runs)."""

    count = 0

    def __init__(
        self,
        root: Path,
        config: Path,
        env: dict[str, str],
        *args: str,
        days: int = 1,
        plan: str | None = "nightly",
        prefix: tuple[str, ...] = (),
    ) -> None:
        Worker.count += 1
        self.log = root / f"worker{Worker.count}.log"
        self.summary = root / f"summary{Worker.count}.json"
        command = [*prefix, sys.executable, "-m", "dailydiff", "run", "--config", str(config),
                   "--from", str(FIRST), "--to", str(FIRST + dt.timedelta(days=days - 1)),
                   "--summary-json", str(self.summary), *args]  # fmt: skip
        if plan:
            command += ["--plan", plan]
        with self.log.open("w") as err:
            self.process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=err)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float = 240) -> int:
        return self.process.wait(timeout)

    @property
    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def run_here(
    root: Path, config: Path, env: dict[str, str], *args: str, days: int = 1, plan: str | None = "nightly"
) -> subprocess.CompletedProcess[str]:
    """What a `Worker` runs, in this process (tests/clirun.py): for a run whose claim is its outcome (exit code,
    output, what the store and the receiver hold), not the process."""
    command = ["run", "--config", str(config), "--from", str(FIRST), "--to",
               str(FIRST + dt.timedelta(days=days - 1)), *args, *(["--plan", plan] if plan else [])]  # fmt: skip
    return dailydiff(*command, cwd=root, env=env, check=False)


def environment(url: str, hooks: WebhookReceiver, service: str = "webhook", **extra: str) -> dict[str, str]:
    return cli_env(DAILYDIFF_STORE_URL=url, DAILYDIFF_TEST_HOOK=hooks.urls()[service], **extra)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def units_of(url: str, plan: str = "nightly") -> dict[str, tuple[str, str]]:
    with Store.connect(url) as store:
        return {s.unit: (s.state, s.worker or "") for s in store.unit_states(plan)}


def held_by(url: str, pid: int) -> list[str]:
    return [u for u, (state, worker) in units_of(url).items() if state == "running" and f":{pid}:" in worker]


def delivered_days(hooks: WebhookReceiver) -> Counter[tuple[str, str]]:
    return Counter((str(m.get("repo")), str(m.get("date"))) for m in hooks.received.get("generic", []))


def one_line(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# SIGTERM -----------------------------------------------------------------------------------------------


def test_sigterm_while_sending_lets_the_sends_finish_and_a_rerun_sends_each_message_once(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 2: SIGTERM while the hook holds two sends (until the signal has landed), then run again:
    every message exactly once. The sends in flight finish and are recorded, the units are given back, exit 143."""
    config = write_config(tmp_path, repos=2, days=2)
    gate = hooks.gates["generic"] = threading.Event()  # slow sends: held until the signal has landed
    env = environment(url, hooks)
    first = Worker(tmp_path, config, env, days=2)
    try:
        wait_for(lambda: hooks.waiting["generic"] >= 2, "both sends ([run] concurrency = 2) to be held")
        in_flight = hooks.waiting["generic"]
        first.process.send_signal(signal.SIGTERM)
        # The signal has landed (the worker says so) while the receiver holds both requests.
        wait_for(
            lambda: "SIGTERM: stopping once what is in flight" in first.log.read_text(), "the signal to land"
        )
        gate.set()
        assert first.wait() == 143, first.stderr
    finally:
        first.kill()
    assert "stopped by SIGTERM" in first.stderr and "Traceback" not in first.stderr
    # What was in flight was sent and recorded before the exit: every hit became a message.
    assert sum(delivered_days(hooks).values()) == len(hooks.hits["generic"]) >= in_flight
    assert all(state != "running" for state, _ in units_of(url).values())  # given back, none left held
    again = run_here(tmp_path, config, env, days=2)
    assert again.returncode == 0, again.stderr
    days = delivered_days(hooks)
    assert len(days) == 4 and set(days.values()) == {1}, days
    assert {state for state, _ in units_of(url).values()} == {"done"}


def test_a_second_sigterm_stops_at_once_and_the_next_run_recovers(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    config = write_config(tmp_path, repos=1, days=1, lease=1.0)
    hooks.delay["generic"] = 30.0
    env = environment(url, hooks)
    first = Worker(tmp_path, config, env)
    try:
        wait_for(lambda: hooks.hits.get("generic"), "a send to start")
        first.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        first.process.send_signal(signal.SIGTERM)
        assert first.wait(timeout=20) in (143, -signal.SIGTERM)  # not after the 30 s send
    finally:
        first.kill()
    hooks.delay["generic"] = 0.0
    again = run_here(tmp_path, config, env)
    assert again.returncode == 0, again.stderr
    # The first message was cut off mid-send (the receiver may still answer it later: at least once is all
    # a cut connection allows); the day is delivered and recorded.
    # (the day's addendum unit, which needs it, found nothing late and is done too)
    assert {unit: state for unit, (state, _) in units_of(url).items()} == {
        f"repo0 {FIRST}": "done",
        f"addendum:repo0 {FIRST}": "done",
    }
    with Store.connect(url) as store:
        (row,) = store.deliveries("repo0", FIRST, "en").values()
    assert row.state == "delivered"


# plans that are not shared, and plans run again ------------------------------------------------------


def test_plan_with_an_empty_store_url_exits_2_with_one_line_and_sends_nothing(
    tmp_path: Path, hooks: GatedReceiver
) -> None:
    """Acceptance 4: what a missing CI secret expands to."""
    config = write_config(tmp_path)
    env = cli_env(DAILYDIFF_STORE_URL="", DAILYDIFF_TEST_HOOK=hooks.urls()["webhook"],
                  DAILYDIFF_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    worker = run_here(tmp_path, config, env)
    assert worker.returncode == 2
    lines = one_line(worker.stderr)
    assert len(lines) == 1 and "DAILYDIFF_STORE_URL" in lines[0] and "--plan" in lines[0], lines
    assert not hooks.hits and not (tmp_path / "data").exists()


def test_a_plan_run_again_retries_failed_units_and_failed_deliveries(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 3: a missing source and a failing hook, both fixed, the same plan again: every unit built,
    every delivery made once, exit 0."""
    config = write_config(tmp_path, repos=2, days=2)
    shutil.rmtree(tmp_path / "repo1")  # a source that is missing
    hooks.script["generic"] = [500] * 2  # the hook fails twice
    env = environment(url, hooks)
    first = run_here(tmp_path, config, env, days=2)
    # README: 1 when some repository failed (repo1's source is missing), whatever else failed beside it.
    assert first.returncode == 1, first.stderr
    states = Counter(state for state, _ in units_of(url).values())
    assert states["failed"] >= 3, states  # repo1's two days, and a day whose delivery failed
    build_daily_repo(tmp_path / "repo1", FIRST, 2, per_day=3)
    again = run_here(tmp_path, config, env, days=2)
    assert again.returncode == 0, again.stderr
    assert {state for state, _ in units_of(url).values()} == {"done"}
    days = delivered_days(hooks)
    assert len(days) == 4 and set(days.values()) == {1}, days


def test_two_plans_never_build_one_unit_twice(tmp_path: Path, url: str, hooks: GatedReceiver) -> None:
    config = write_config(tmp_path, repos=1, days=2, analyzer="llm")
    with FakeLLM(latency=0.05) as fake:
        env = environment(url, hooks, DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
        one = Worker(tmp_path, config, env, days=2, plan="monday")
        other = Worker(tmp_path, config, env, days=2, plan="tuesday")
        assert one.wait() == 0 and other.wait() == 0, one.stderr + other.stderr
        per_commit = fake.per_commit()
    assert len(per_commit) == 6 and set(per_commit.values()) == {1}, per_commit
    assert set(delivered_days(hooks).values()) == {1}


# lost and frozen workers --------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_worker_stopped_in_delivery_backoff_on_another_host_delivers_once(
    tmp_path: Path, url: str, hooks: GatedReceiver, stop: signal.Signals
) -> None:
    """Acceptance 1: two workers on different host names, a Slack hook that fails, the first worker stopped
    during its back-off: the day reaches the receiver exactly once. (SIGTERM: the send in flight goes on after
    its back-off, is delivered and recorded, and the second worker finds it sent. SIGKILL: the unit's lease runs
    out, the second worker takes it over, and the first worker's delivery claim is stale at once.)"""
    # The signal follows the 500 within one poll (50 ms): the back-off (1-2 s, jittered) holds it with a wide
    # margin. One 500 is enough to be stopped in: a SIGTERMed worker's send then goes on with its next attempt,
    # which succeeds; the second worker's back-offs (had it any) only take time: its config says 0.2 s.
    config = write_config(tmp_path, hook="slack", publish="retries = 3\nbackoff = 2.0", lease=2.0)
    config_b = write_config(tmp_path, hook="slack", publish="retries = 3\nbackoff = 0.2", lease=2.0, build=False,
                            name="dailydiff-b.toml")  # fmt: skip
    hooks.script["slack"] = [500]
    env = environment(url, hooks, "slack")
    hosts = [
        ("unshare", "--uts", "sh", "-c", f'hostname {name}; exec "$@"', "sh") for name in ("host-a", "host-b")
    ]
    first = Worker(tmp_path, config, env, prefix=hosts[0])
    second = None
    try:
        wait_for(lambda: hooks.hits.get("slack"), "the first (failing) send")
        first.process.send_signal(stop)  # in the back-off after the first 500
        # Still held: sending, or its lease not yet out.
        assert "host-a:" in units_of(url)[f"repo0 {FIRST}"][1]
        second = Worker(tmp_path, config_b, env, prefix=hosts[1])
        code = first.wait()
        assert code == (143 if stop == signal.SIGTERM else -signal.SIGKILL), first.stderr
        assert second.wait() == 0, second.stderr
    finally:
        first.kill()
        if second is not None:
            second.kill()
    assert len(hooks.received.get("slack", [])) == 1, hooks.hits
    state, worker = units_of(url)[f"repo0 {FIRST}"]
    assert state == "done" and worker.startswith("host-b:")  # finished by the worker on the other host
    with Store.connect(url) as store:
        (row,) = store.deliveries("repo0", FIRST, "en").values()
    assert row.state == "delivered"


def _snapshot(url: str, out: Path) -> dict[str, object]:
    with Store.connect(url) as store:
        analyses = sorted(store._db.execute("SELECT repo, sha, fingerprint, data, created_at FROM analyses"))
        reports = sorted(store._db.execute("SELECT repo, date, language, data, updated_at FROM reports"))
    files = {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*"))
             if p.is_file()}  # fmt: skip
    return {"analyses": analyses, "reports": reports, "files": files}


def test_a_frozen_worker_resumed_after_a_takeover_writes_and_asks_nothing(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 6: SIGSTOP past the lease, SIGCONT after the other worker delivered: no stored analysis,
    report or file changes (byte-compared), no extra LLM request."""
    config = write_config(tmp_path, per_day=8, analyzer="llm", lease=1.5)
    out = tmp_path / "out"
    with FakeLLM(latency=0.6) as fake:
        env = environment(url, hooks, DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
        frozen = Worker(tmp_path, config, env, "--output-dir", str(out))
        other = None
        try:
            wait_for(lambda: held_by(url, frozen.pid) and fake.count >= 2, "the first worker's requests")
            frozen.process.send_signal(signal.SIGSTOP)
            fake.latency = 0.0  # slow answers only had to hold the first worker mid-unit: the rest are quick
            other = Worker(tmp_path, config, env, "--output-dir", str(out))
            assert other.wait() == 0, other.stderr
            assert "taking over" in other.stderr
            before, asked = _snapshot(url, out), fake.count
            assert before["files"] and before["reports"]
            frozen.process.send_signal(signal.SIGCONT)
            assert frozen.wait() == 0, frozen.stderr
        finally:
            frozen.process.send_signal(signal.SIGCONT)
            frozen.kill()
            if other is not None:
                other.kill()
        assert _snapshot(url, out) == before
        assert fake.count == asked, f"{fake.count - asked} LLM request(s) after the resume"
    assert "took the unit over" in frozen.stderr
    assert set(delivered_days(hooks).values()) == {1}


# clocks ---------------------------------------------------------------------------------------------------


def test_a_worker_20_minutes_ahead_steals_no_live_claim(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 5: a worker whose clock is 20 minutes ahead (libfaketime) beside a live one, and a plain
    `run` with that clock too: leases and delivery claims are judged by the store's clock. The live worker's send
    is held until the plain `run` has exited and the skewed plan worker has asked for a unit and been given
    none (it says so with --verbose, before it waits to ask again), or until a second send arrives."""
    faketime = (
        libfaketime()
    )  # the one rule for a missing component: fails in CI, skips with its name elsewhere
    config = write_config(tmp_path, lease=3.0)
    gate = hooks.gates["generic"] = threading.Event()
    env = environment(url, hooks)
    ahead = {**env, "LD_PRELOAD": str(faketime), "FAKETIME": "+20m", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    probe = subprocess.run([sys.executable, "-c", "import time; print(time.time())"], env=ahead,
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert float(probe.stdout) - time.time() > 1100  # the clock really is ahead
    live = Worker(tmp_path, config, env)
    skewed: list[Worker] = []
    try:
        wait_for(lambda: hooks.waiting["generic"] >= 1, "the live worker's send")
        # --verbose: the skewed plan worker says when it asked for a unit and was given none.
        skewed = [Worker(tmp_path, config, ahead, "--verbose"), Worker(tmp_path, config, ahead, plan=None)]
        wait_for(lambda: hooks.waiting["generic"] >= 2 or (skewed[1].process.poll() is not None and (
            skewed[0].process.poll() is not None or "no unit free" in skewed[0].stderr)),
            "the plain run to exit and the skewed plan worker to find no unit to claim")  # fmt: skip
        gate.set()
        codes = [w.wait() for w in skewed]
        assert live.wait() == 0, live.stderr
    finally:
        for worker in [live, *skewed]:
            worker.kill()
    assert codes[0] == 0, skewed[0].stderr
    assert len(hooks.hits["generic"]) == 1 and sum(delivered_days(hooks).values()) == 1
    # The plain run with the clock ahead found the live worker's claim and left it (exit 0, its summary's
    # reason): a claim of a live process on this host holds whatever the clock says.
    assert codes[1] == 0, skewed[1].stderr
    [day] = json.loads(skewed[1].summary.read_text())["repos"][0]["days"]
    [(status, detail)] = [(p["status"], p["detail"]) for p in day["publish"]]
    assert status == "skipped" and detail.startswith("being delivered by another process (claimed at "), (
        detail
    )
    state, worker = units_of(url)[f"repo0 {FIRST}"]
    assert state == "done" and f":{live.pid}:" in worker


# the server restarts, a lock is held --------------------------------------------------------------------


def test_workers_reconnect_when_postgresql_restarts_mid_plan(
    tmp_path: Path, pg: PostgresServer, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 8 (restart): `pg_ctl restart` while two workers build a plan: both reconnect and finish."""
    config = write_config(tmp_path, repos=3, days=2, analyzer="llm", lease=5.0)
    with FakeLLM(latency=0.3) as fake:
        env = environment(url, hooks, DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
        workers = [Worker(tmp_path, config, env, days=2) for _ in range(2)]
        try:
            wait_for(lambda: sum(delivered_days(hooks).values()) >= 1, "a first delivery")
            restarted = pg.run(str(pg.bin_dir / "pg_ctl"), "-D", str(pg.data), "-l", str(pg.root / "log"),
                               "-m", "fast", "-w", "restart")  # fmt: skip
            assert restarted.returncode == 0, restarted.stderr
            fake.latency = 0.0  # slow answers kept units in flight across the restart; the rest need not be
            codes = [w.wait() for w in workers]
        finally:
            for worker in workers:
                worker.kill()
    assert codes == [0, 0], "\n".join(w.stderr[-3000:] for w in workers)
    assert any("reconnect" in w.stderr for w in workers)
    assert {state for state, _ in units_of(url).values()} == {"done"}
    days = delivered_days(hooks)
    assert len(days) == 6 and set(days.values()) == {1}, days
    assert all(PASSWORD not in w.stderr for w in workers)


def test_a_table_locked_by_another_session_ends_in_one_line_after_lock_timeout(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 8 (lock): a session holding a lock on the delivery ledger (for 45 s) does not block a run
    silently: one line after [store] lock_timeout."""
    import psycopg

    config = write_config(tmp_path)
    with Store.connect(url):
        pass  # the tables exist
    env = environment(url, hooks, DAILYDIFF_STORE_LOCK_TIMEOUT="1")
    with psycopg.connect(url) as locker:
        locker.execute("LOCK TABLE delivery_ledger IN ACCESS EXCLUSIVE MODE")
        # In-process (the lock is another session's all the same); were the run to wait on the lock, the
        # lock is let go after 45 s, and the run then gets on with it (exit 0, not 4).
        let_go = threading.Timer(45, locker.close)
        let_go.start()
        try:
            worker = run_here(tmp_path, config, env, plan=None)
        finally:
            let_go.cancel()
        code = worker.returncode
        locker.rollback()
    assert code == 4, worker.stderr
    lines = one_line(worker.stderr)
    problem = [line for line in lines if "lock_timeout" in line]
    assert len(problem) == 1 and "locked by another session" in problem[0], lines
    assert PASSWORD not in worker.stderr and "Traceback" not in worker.stderr
    assert not hooks.hits


# store copy --------------------------------------------------------------------------------------------


def test_store_copy_names_conflicts_and_the_next_run_sends_nothing_twice(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 9: the target's ledger says `failed` where the source's says `delivered`, its report of the
    day differs, its run 1 is another run: the copy names each, delivered wins, the source's run is kept
    under a new id, and the next run sends nothing twice."""
    config = write_config(tmp_path, days=2)
    sqlite_dir = tmp_path / "local"
    hooks.script["generic"] = [500] * 2
    days = ["--config", str(config), "--from", str(FIRST), "--to", str(FIRST + dt.timedelta(days=1))]
    # In-process, the copy too: what is under test is what it says and leaves, not its process.
    failing = dailydiff("run", *days, cwd=tmp_path, env=environment(url, hooks), check=False)
    assert failing.returncode == 7, failing.stderr  # the target: failed (README: 7, every delivery failed)
    hooks.script.clear()
    # The source's report is written an hour later (its clock): it differs from the target's however fast the
    # two runs are (in the same second, with the same duration to the millisecond, they did not).
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    local = {"DAILYDIFF_STORE_URL": "", "DAILYDIFF_DATA_DIR": str(sqlite_dir),
             "DAILYDIFF_TEST_HOOK": hooks.urls()["webhook"], "DAILYDIFF_RUN_NOW": later}  # fmt: skip
    dailydiff("run", *days, "--lang", "en", cwd=tmp_path, env=local)  # the source: delivered
    with Store.connect(sqlite_dir / "dailydiff.sqlite3") as source:
        written = source.get_report("repo0", FIRST, "en")
    assert written is not None and written.generated_at == dt.datetime.fromisoformat(later).replace(
        microsecond=0
    )
    sent = sum(delivered_days(hooks).values())
    assert sent == 2
    copied = dailydiff("store", "copy", str(sqlite_dir), "env:DAILYDIFF_STORE_URL", cwd=tmp_path,
                       env=environment(url, hooks), check=False)  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    conflicts = [line for line in copied.stderr.splitlines() if "conflict:" in line]
    assert sum("recorded as delivered" in line for line in conflicts) == 2, conflicts
    assert sum(line.startswith("  conflict: reports repo0") for line in conflicts) == 2, conflicts
    assert any("run 1 differs" in line and "added as run" in line for line in conflicts), conflicts
    assert "conflicting row(s) resolved" in copied.stdout and PASSWORD not in copied.stdout + copied.stderr
    with Store.connect(url) as store:
        assert {r.state for r in store.deliveries("repo0", FIRST, "en").values()} == {"delivered"}
        commands = [str(r["command"]) for r in store.runs()]
    # The target's run 1 and the source's run 1 (under a new id): neither dropped.
    assert len(commands) == 2 and sum("--lang en" in c for c in commands) == 1, commands
    dailydiff("run", *days, cwd=tmp_path, env=environment(url, hooks))
    assert sum(delivered_days(hooks).values()) == sent  # nothing sent twice


def test_a_copy_killed_at_each_table_boundary_leaves_a_usable_store(
    tmp_path: Path, pg: PostgresServer, hooks: GatedReceiver
) -> None:
    """Acceptance 9: `store copy` SIGKILLed as it reaches each table; every command can use what it left
    (`run` numbers its run after the copied ones, no "UniqueViolation")."""
    config = write_config(tmp_path)
    sqlite_dir = tmp_path / "local"
    local = cli_env(DAILYDIFF_STORE_URL="", DAILYDIFF_DATA_DIR=str(sqlite_dir),
                    DAILYDIFF_TEST_HOOK=hooks.urls()["webhook"])  # fmt: skip
    local_env = {k: local[k] for k in ("DAILYDIFF_STORE_URL", "DAILYDIFF_DATA_DIR", "DAILYDIFF_TEST_HOOK")}
    for _ in range(2):  # runs, so `runs` has rows to number after (in-process: only the source)
        dailydiff(
            "run", "--config", config, "--from", str(FIRST), "--to", str(FIRST), cwd=tmp_path, env=local_env
        )
    with Store.connect(sqlite_dir / "dailydiff.sqlite3") as source:
        tables = [t for t, n in source.table_counts().items() if n]
    assert "runs" in tables and "delivery_ledger" in tables
    for table in tables:
        target = pg.create_database()
        env = cli_env(DAILYDIFF_STORE_URL=target, DAILYDIFF_TEST_HOOK=hooks.urls()["webhook"])
        with subprocess.Popen([sys.executable, "-m", "dailydiff", "store", "copy", "--batch", "1",
                               str(sqlite_dir), "env:DAILYDIFF_STORE_URL"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as copy:  # fmt: skip
            assert copy.stderr is not None
            for line in copy.stderr:
                if line.startswith(f"  {table}:"):
                    copy.kill()  # the first batch of the table is committed: killed inside it
                    break
        # What the copy left, used by the next command (in-process: the copy is the process killed here).
        after = dailydiff("run", "--config", config, "--from", str(FIRST), "--to", str(FIRST), cwd=tmp_path,
                          env={**local_env, "DAILYDIFF_STORE_URL": target}, check=False)  # fmt: skip
        assert after.returncode == 0, f"killed in {table}: {after.stderr}"
        with Store.connect(target) as store:
            ids = [int(str(r["id"])) for r in store.runs()]
        assert len(ids) == len(set(ids)), ids


# digests under a plan --------------------------------------------------------------------------------------


def test_what_each_kubernetes_pod_runs_delivers_the_digest_once(
    tmp_path: Path, url: str, hooks: GatedReceiver
) -> None:
    """Acceptance 7: `init --workers 3 --kubernetes` with a [[digest]]; the command of the manifest's pod,
    run by three processes at once: every repository-day and the digest-day delivered once."""
    import yaml

    config = write_config(tmp_path, repos=3, extra="", publish="retries = 0")
    with config.open("a") as toml:
        toml.write('\n[[digest]]\nname = "team"\n')
    dailydiff("init", "-C", tmp_path, "--workflow-only", "--workers", "3", "--kubernetes", "--force",
              cwd=tmp_path)  # fmt: skip
    manifest = yaml.safe_load(next((tmp_path / "kubernetes").glob("*.yaml")).read_text())
    container = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    pod = container["args"][0].split("&&")[-1].strip()  # after the install step
    pod = pod.replace("/etc/dailydiff/dailydiff.toml", str(config)).replace("yesterday", str(FIRST))
    pod = pod.replace("python -m dailydiff", f"{sys.executable} -m dailydiff")
    env = environment(url, hooks, JOB_NAME="dailydiff-29400000")
    pods = [subprocess.Popen(["/bin/sh", "-c", pod], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
    outputs = [p.communicate(timeout=240)[1] for p in pods]
    assert [p.returncode for p in pods] == [0, 0, 0], outputs
    messages = hooks.received.get("generic", [])
    digests = [m for m in messages if m.get("name") == "team"]
    assert len(digests) == 1 and digests[0]["date"] == str(FIRST), [m.get("name") for m in messages]
    days = delivered_days(hooks)
    assert {k: n for k, n in days.items() if k[0] != "None"} == {
        (f"repo{n}", str(FIRST)): 1 for n in range(3)
    }
    assert units_of(url, "dailydiff-29400000")[f"digest:team {FIRST}"][0] == "done"


# a full output disk ------------------------------------------------------------------------------------------


def test_a_full_output_disk_exits_74_and_still_writes_the_summary(
    tmp_path: Path, hooks: GatedReceiver
) -> None:
    """The output directory on a disk with no space left (a 64 KiB tmpfs, filled): exit 74, as documented,
    one line saying so, and --summary-json (elsewhere) still written; nothing analysed is lost."""
    config = write_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(out)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    if mounted.returncode:
        missing("tmpfs", mounted.stderr.strip())
    try:
        filler = subprocess.run(["dd", "if=/dev/zero", f"of={out / 'filler'}", "bs=4k"], capture_output=True,
                                check=False)  # fmt: skip
        assert filler.returncode != 0  # stopped by "No space left on device"
        env = cli_env(DAILYDIFF_STORE_URL="", DAILYDIFF_DATA_DIR=str(tmp_path / "data"),
                      DAILYDIFF_TEST_HOOK=hooks.urls()["webhook"])  # fmt: skip
        summary = tmp_path / "summary.json"
        worker = run_here(
            tmp_path, config, env, "--output-dir", str(out), "--summary-json", str(summary), plan=None
        )
        code = worker.returncode
    finally:
        subprocess.run(["umount", str(out)], check=False)
    assert code == 74, worker.stderr
    assert "files could not be written" in worker.stderr and "Traceback" not in worker.stderr
    summary = json.loads(summary.read_text())
    assert summary["exit_code"] == 74 and summary["totals"]["days_built"] == 1
    with Store.connect(tmp_path / "data" / "dailydiff.sqlite3") as store:
        assert store.count_analyses() == 3 and len(store.list_reports()) == 1


def test_a_worker_ends_once_its_night_is_recorded_without_tearing_its_modules_down(
    pg: PostgresServer, url: str, hooks: WebhookReceiver, tmp_path: Path
) -> None:
    """The last worker's exit is the night's end: once every unit is built, sent and recorded and the store is
    closed, a `run --plan` worker runs its exit handlers and ends, without freeing what it holds object by
    object and tearing every module down (0.1-0.2 s on a loaded machine), with its exit code: a night whose
    deliveries failed ends so too, its failure recorded."""
    config = write_config(tmp_path, repos=2)
    args = ("run", "--config", str(config), "--from", str(FIRST), "--to", str(FIRST), "--plan", "nightly")
    done = watched_exit(*args, "--quiet", cwd=tmp_path, env=environment(url, hooks))
    assert done.returncode == 0 and done.stderr == "exit handlers ran\n", done.stderr
    assert {state for state, _ in units_of(url).values()} == {"done"}
    assert sum(delivered_days(hooks).values()) == 2
    other = pg.create_database()  # a store where nothing was sent yet
    refused = cli_env(
        DAILYDIFF_STORE_URL=other, DAILYDIFF_TEST_HOOK="http://127.0.0.1:9/hook"
    )  # nobody listens
    failed = watched_exit(*args, "--quiet", cwd=tmp_path, env=refused)
    assert failed.returncode == 7 and failed.stderr.endswith("exit handlers ran\n"), failed.stderr
    assert (
        "torn down" not in failed.stderr and "2 of 2 publish step(s) failed" in failed.stderr
    )  # said, then ended
    with Store.connect(other) as store:
        assert store.count_commits() == 6  # built and stored, only the sending failed
