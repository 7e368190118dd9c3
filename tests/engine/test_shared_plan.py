"""Workers that share one plan (`run --plan`): units claimed with leases in the store, a dead worker's units
taken over. Unit-level on both backends; the acceptance run with three real processes on real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dailydiff.common.aio import run_sync
from dailydiff.engine.runner import Claimed
from dailydiff.engine.shared import SharedPlan
from dailydiff.store import Store
from dailydiff.store.sqlite import DB_NAME
from dailyrepos import build_daily_repo
from fake_llm import FakeLLM
from opsfixtures import cli_env
from pgserver import PASSWORD
from webhook_receiver import WebhookReceiver


def _built(plan: SharedPlan, *args: Any, **kwargs: Any) -> list[Claimed]:
    """The plan's ``run`` on an event loop of its own, then its ``finish``, as the runner calls them."""
    try:
        return run_sync(plan.run(*args, **kwargs))
    finally:
        plan.finish()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / DB_NAME)
    return str(request.getfixturevalue("pg_url"))


def test_workers_share_the_units_and_build_each_once(location: str) -> None:
    units = {f"r{r} 2026-01-0{d}": (r, d) for r in range(3) for d in range(1, 5)}
    built: list[tuple[str, object]] = []
    lock = threading.Lock()
    # Every worker joins the run before a unit is built: a worker that came once the run was over would be
    # running the plan again, and retry its failed unit (by design), as a loaded machine once had it.
    joined = threading.Barrier(3)

    def connect() -> Store:
        store = Store.connect(location)
        plan_units = store.plan_units

        def planned(*args: Any) -> int:
            total = plan_units(*args)
            joined.wait(60)
            return total

        store.plan_units = planned  # type: ignore[method-assign]
        return store

    def worker(name: str) -> None:
        plan = SharedPlan(connect, "p", lease=30, worker=name)

        async def build(unit: tuple[int, int]) -> tuple[bool, str, str]:
            await asyncio.sleep(0.01)
            with lock:
                built.append((name, unit))
            return unit != (2, 4), "built", name

        outcomes = _built(plan, units, build, slots=2)
        assert all(o.ok == (o.unit != "r2 2026-01-04") for o in outcomes)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(unit for _, unit in built) == sorted(units.values())  # every unit once
    assert len({name for name, _ in built}) > 1
    with Store.connect(location) as store:
        states = Counter(s.state for s in store.unit_states("p"))
    assert states == {"done": 11, "failed": 1}


def test_an_idle_worker_waits_for_a_dead_workers_unit_and_takes_it_over(location: str) -> None:
    with Store.connect(location) as store:
        store.plan_units("p", ["a", "b"])
        started = time.monotonic()  # before the claim: its lease runs out no sooner than a second from here
        dead = store.claim_unit("p", "dead-worker", lease=1.0)  # and never renewed: the worker died
    assert dead is not None and dead.unit == "a"
    plan = SharedPlan(lambda: Store.connect(location), "p", lease=30, worker="alive", poll=0.1)

    async def build(unit: str) -> tuple[bool, str, str]:
        return True, "ok", unit

    outcomes = _built(plan, {"a": "a", "b": "b"}, build)
    assert sorted(o.unit for o in outcomes) == ["a", "b"]
    taken = next(o for o in outcomes if o.unit == "a")
    assert (taken.attempt, taken.taken_over_from) == (2, "dead-worker")
    assert time.monotonic() - started >= 1.0  # not before the lease ran out


def test_an_idle_worker_ends_soon_after_the_last_unit_held_elsewhere(location: str) -> None:
    # The end of a night: every unit is held by another worker. The idle worker ends once it sees none
    # left, a short poll after the other worker's last unit ends (the night lasts until it has).
    with Store.connect(location) as store:
        store.plan_units("p", ["a"])
        held = store.claim_unit("p", "other", lease=30)
    assert held is not None
    ended: list[float] = []

    def other_ends() -> None:
        time.sleep(1.2)
        with Store.connect(location) as store:
            assert store.complete_unit(held)
        ended.append(time.monotonic())

    looks: list[float] = []  # when the idle worker asked for a unit

    def connect() -> Store:
        store = Store.connect(location)
        claim = store.claim_unit

        def counted(*args: Any, **kwargs: Any) -> Any:
            looks.append(time.monotonic())
            return claim(*args, **kwargs)

        store.claim_unit = counted  # type: ignore[method-assign]
        return store

    thread = threading.Thread(target=other_ends)
    thread.start()
    plan = SharedPlan(connect, "p", lease=30, worker="idle")

    async def build(unit: str) -> tuple[bool, str, str]:
        raise AssertionError("nothing is left for this worker")

    assert _built(plan, {"a": "a"}, build) == []
    thread.join()
    # Counted, not timed (a loaded machine stretches any figure): it looked while the unit was held, and ends
    # at its first look after the unit ended — it does not go on polling.
    assert len(looks) >= 2 and sum(at > ended[0] for at in looks) <= 1, (looks, ended)


def test_a_long_unit_keeps_its_lease(location: str) -> None:
    """The heartbeat renews the lease: a unit that takes longer than the lease is not taken over."""
    # The unit outlives its lease (claimed before the unit began), and another worker asks for it again
    # after the lease would have run out; the heartbeat renews it every lease/3. The lease is long enough
    # (2 s) that a loaded machine's stalls (a second or so) do not let the lease lapse.
    lease = 2.0
    plan = SharedPlan(lambda: Store.connect(location), "p", lease=lease, worker="slow")
    seen: list[str] = []
    asked_after_lease: list[float] = []

    def steal() -> None:
        # The unit was claimed before this: a lease never renewed ends before began + lease.
        began = time.monotonic()
        with Store.connect(location) as other:  # another worker keeps asking meanwhile
            while not asked_after_lease:  # until asked once past the end of the first lease
                asking = time.monotonic()
                claim = other.claim_unit("p", "thief", lease=30)
                if claim is not None:
                    seen.append(claim.unit)
                if asking > began + lease * 1.05:
                    asked_after_lease.append(asking)
                time.sleep(lease / 10)

    async def slow(unit: str) -> tuple[bool, str, None]:
        await asyncio.to_thread(steal)
        return True, "ok", None

    outcomes = _built(plan, {"only": "only"}, slow)
    assert [o.lost for o in outcomes] == [False] and seen == [] and len(asked_after_lease) == 1


# the acceptance run: three `dailydiff run --plan` processes on one PostgreSQL, one killed -------------------

FIRST = dt.date(2026, 1, 5)
DAYS = 4
LEASE = 2  # [store] lease_seconds: renewed every 0.67 s, a margin a loaded machine keeps


def _config(root: Path) -> Path:
    repos = ""
    for name in ("alpha", "beta", "gamma"):
        build_daily_repo(root / name, FIRST, DAYS, per_day=3)
        repos += f'\n[[repos]]\nsource = "{root / name}"\n'
    config = root / "dailydiff.toml"
    config.write_text(
        '[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[analysis]\nanalyzer = "llm"\n\n'
        f'[llm]\nconcurrency = 2\nescalation = false\nresponse_mode = "json_schema"\n\n[run]\nconcurrency = 2\n\n[store]\nlease_seconds = {LEASE}\n'
        + repos
        + '\n[[publish]]\ntype = "webhook"\nurl_env = "DAILYDIFF_TEST_HOOK"\nretries = 0\n',
        encoding="utf-8",
    )
    return config


def _running_units_of(url: str, pid: int) -> list[str]:
    with Store.connect(url) as store:
        return [
            s.unit
            for s in store.unit_states("nightly")
            if s.state == "running" and f":{pid}:" in (s.worker or "")
        ]


@pytest.mark.slow
def test_three_workers_one_killed_share_one_plan_on_postgres(tmp_path: Path, pg_url: str) -> None:
    config = _config(tmp_path)
    hooks = WebhookReceiver().start()
    fake = FakeLLM(latency=0.1).start()
    env = cli_env(DAILYDIFF_STORE_URL=pg_url, DAILYDIFF_TEST_HOOK=hooks.urls()["webhook"],
                  DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)  # fmt: skip
    args = [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", str(FIRST),
            "--to", str(FIRST + dt.timedelta(days=DAYS - 1)), "--plan", "nightly"]  # fmt: skip
    try:
        workers = [
            subprocess.Popen(
                [*args, "--summary-json", str(tmp_path / f"s{i}.json")],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(3)
        ]
        victim = workers[0]
        deadline = time.monotonic() + 60
        held: list[str] = []
        while time.monotonic() < deadline and not held:  # kill it mid-unit, analyses in flight
            held = _running_units_of(pg_url, victim.pid) if fake.count >= 6 else []
            time.sleep(0.05)
        assert held, "the victim never held a unit"
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        fake.latency = 0.0  # slow answers only had to keep the victim mid-unit
        outputs = [w.communicate(timeout=240) for w in workers]
        finished_at = time.monotonic()
    finally:
        hooks.stop()
        fake.stop()
    assert victim.returncode == -signal.SIGKILL
    for worker, (_out, err) in zip(workers[1:], outputs[1:], strict=True):
        assert worker.returncode == 0, err
        assert PASSWORD not in err and "Traceback" not in err
    with Store.connect(pg_url) as store:
        every = {s.unit: s for s in store.unit_states("nightly")}
        assert all(s.state == "done" for s in every.values())
        states = {unit: s for unit, s in every.items() if not unit.startswith("addendum:")}  # the days
        assert len(states) == 3 * DAYS and len(every) == 2 * 3 * DAYS  # each day and its addendum
        for unit in held:  # finished by the others, after the lease ran out
            assert states[unit].attempts >= 2 and f":{victim.pid}:" not in (states[unit].worker or "")
        assert len(store.list_reports()) == 3 * DAYS
        assert store.count_analyses() == 3 * DAYS * 3
    assert finished_at - killed_at >= LEASE - 0.5  # the held units waited for the lease
    # Every analysis made once, but for what the killed worker had in flight (2 slots × 1 request each); each
    # worker's canary aside.
    titles = Counter(re.search(r"(\w+): change (\d+) of (\w+)", r.prompt_text).group(0)  # type: ignore[union-attr]
                     for r in fake.analysis_requests())  # fmt: skip
    assert len(titles) == 3 * DAYS * 3
    assert sum(n - 1 for n in titles.values()) <= 2, titles.most_common(4)
    # Every delivery made once, counted at the receiver.
    received = [json.dumps(m, sort_keys=True) for m in hooks.received["generic"]]
    keys = Counter((m.get("repo"), m.get("date")) for m in hooks.received["generic"])
    assert len(received) == 3 * DAYS and set(keys.values()) == {1}, keys
    print(f"victim held {held}; others finished {finished_at - killed_at:.1f}s after the kill; "
          f"{len(titles)} commits analysed, {sum(n - 1 for n in titles.values())} twice; "
          f"{len(received)} deliveries")  # fmt: skip


def test_the_workers_holding_units_say_their_model_slots_as_claimed_then_as_they_change(
    location: str,
) -> None:
    with Store.connect(location) as store:
        store.plan_units("p", ["a", "b", "c"])
        store.plan_units("q", ["d"])
        first = store.claim_unit("p", "w1", lease=30, slots=8)
        store.claim_unit("p", "w1", lease=30, slots=8)
        store.claim_unit("p", "w2", lease=30)
        store.claim_unit("q", "w1", lease=30, slots=8)
        assert store.plan_workers("p") == {"w1": 8, "w2": None}
        store.say_slots("p", "w1", 3)  # a refusal brought its limit down: every unit of the plan it holds
        assert store.plan_workers("p") == {"w1": 3, "w2": None} and store.plan_workers("q") == {"w1": 8}
        assert first is not None and store.complete_unit(first)
        assert store.plan_workers("p") == {"w1": 3, "w2": None}


def test_a_worker_is_told_once_the_other_workers_hold_no_units(location: str) -> None:
    # Two other workers hold a unit each, claimed with 6 and 5 model slots; this worker builds its own, slow
    # one, with 4: the crowd's room is 15. When the first other worker ends its unit, then the second, this
    # worker's room is told each time, within a second or so — and not while they still hold theirs — how
    # many more slots at the model endpoint are its own: up to half of the 15 (the other worker still
    # building takes the other half) less its 4, then all of the 15 less its 4.
    from dailydiff.engine.room import UnitRoom

    with Store.connect(location) as store:
        store.plan_units("p", ["a", "b", "mine"])
        held = [
            store.claim_unit("p", name, lease=30, slots=n) for name, n in (("other-1", 6), ("other-2", 5))
        ]
    assert all(h is not None for h in held)
    told: list[float] = []
    freed: list[int | None] = []
    room = UnitRoom(1)
    room.capacity = lambda: 4
    room.peers_left = lambda n: (told.append(time.monotonic()), freed.append(n))

    def others_end() -> None:
        for claim in held:
            time.sleep(1.5)
            with Store.connect(location) as store:
                assert claim is not None and store.complete_unit(claim)
            ended.append(time.monotonic())

    ended: list[float] = []
    plan = SharedPlan(lambda: Store.connect(location), "p", lease=30, worker="me", peers_look=0.1)

    async def build(unit: str) -> tuple[bool, str, str]:
        while len(ended) < 2 or (len(told) < 2 and time.monotonic() - ended[-1] < 3):
            await asyncio.sleep(0.05)
        return True, "ok", unit

    thread = threading.Thread(target=others_end)
    thread.start()
    try:
        _built(plan, {"mine": "mine"}, build, slots=room)
    finally:
        thread.join()
    assert len(told) == 2, (told, ended)
    for end, tell in zip(ended, told, strict=True):
        assert end < tell < end + 1.0, (ended, told)
    assert freed == [3, 11]
