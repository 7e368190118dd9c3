"""Benchmark: 20 repositories × 7 days (heuristic analyser, local git repositories) built by `dailydiff run`
on a SQLite store in one process, and on a PostgreSQL store by 1 and by 4 workers sharing one plan
(`run --plan`). PostgreSQL is Debian's, started here in a temporary directory (as tests/pgserver.py does).

    python3 bench/store_workers.py [--repos 20] [--days 7] [--per-day 4] [--workers 4] [--llm-latency SECONDS]

With --llm-latency the commits are analysed by the test suite's fake LLM endpoint answering after that
many seconds ([llm] concurrency 4 per process): the case where workers on several machines pay off. Each
worker then has an API key of its own, so the endpoint can tell the requests each worker had in flight at
once; the bench prints the most per worker next to its limit, and the ratio 1 worker / 4 workers.

Prints the wall time of each, side by side, and the ratios to the SQLite time. Each run starts from an
empty store. On a 2-core machine 4 worker processes compete for the same cores: the number to watch is
that workers sharing a plan add little overhead, and that the plan finishes whichever worker takes what.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from dailydiff.store import Store  # noqa: E402
from dailyrepos import build_daily_repo  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402
from pgserver import postgres_server  # noqa: E402
from verdict import verdict  # noqa: E402

FIRST = dt.date(2026, 1, 5)


class ExistingServer:
    """A PostgreSQL server already running (--pg-url: a role that may create databases), in place of one
    started here: each case still gets a database of its own."""

    def __init__(self, url: str) -> None:
        self.url = url

    def create_database(self) -> str:
        import uuid

        import psycopg

        name = "b_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}".encode())
        return self.url.rsplit("/", 1)[0] + "/" + name


def postgres(url: str | None) -> contextlib.AbstractContextManager[Any]:
    return contextlib.nullcontext(ExistingServer(url)) if url else postgres_server(stop_on_signals=True)


def run_workers(
    config: Path, days: int, workers: int, env: dict[str, str], cwd: Path, plan: str | None
) -> tuple[float, float]:
    """Wall time of ``workers`` processes running the plan together (each with its own LLM API key), and the
    CPU seconds they used (git's processes included)."""
    args = [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", str(FIRST),
            "--to", str(FIRST + dt.timedelta(days=days - 1))]  # fmt: skip
    if plan:
        args += ["--plan", plan]
    began = time.perf_counter()
    procs = [subprocess.Popen(args, cwd=cwd, env={**env, "DAILYDIFF_LLM_API_KEY": f"{plan or 'local'}-worker-{i}"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in range(workers)]  # fmt: skip
    cpu = 0.0
    for proc in procs:
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"a worker failed ({proc.returncode}): {err[-2000:]}")
        cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - began, cpu


def startup_to_claim(
    config: Path, env: dict[str, str], cwd: Path, url: str, runs: int
) -> list[tuple[float, float]]:
    """(seconds, CPU seconds) from starting `run --plan` to its first unit claimed, on a store that exists (a
    worker joining), each of ``runs`` times with the same units pending again. The store is watched from here
    every 2 ms; the CPU seconds are the worker's own by then (/proc: what a loaded machine does not inflate)."""
    import psycopg

    args = [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", str(FIRST), "--to",
            str(FIRST), "-q", "--plan", "startup"]  # fmt: skip
    found: list[tuple[float, float]] = []
    with psycopg.connect(url, autocommit=True) as db:
        subprocess.run(
            args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL
        )  # migrated, bytecode cached
        for _ in range(runs):
            db.execute("UPDATE unit_claims SET state = 'pending', worker = NULL, lease_until = NULL")
            began = time.perf_counter()
            proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
            while db.execute("SELECT 1 FROM unit_claims WHERE state <> 'pending' LIMIT 1").fetchone() is None:
                if proc.poll() is not None:
                    raise SystemExit(f"the worker exited ({proc.returncode}) before it claimed a unit")
                time.sleep(0.002)
            first = time.perf_counter() - began
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
            if proc.wait():
                raise SystemExit(f"the worker failed ({proc.returncode})")
            found.append((first, cpu))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--per-day", type=int, default=4)
    parser.add_argument("--llm-latency", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=4, help="the workers sharing the plan beside 1")
    parser.add_argument("--pg-url", help="an existing PostgreSQL server's URL (default: start one here)")
    parser.add_argument("--startup-runs", type=int, default=5, help="times a worker's start-up is measured")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ddbench-"))
        server = stack.enter_context(postgres(args.pg_url))
        analyser = '[analysis]\nanalyzer = "heuristic"\n'
        base = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        # Every case runs from bytecode, as an installed package does (pip compiles it): without this, a
        # module never imported with bytecode writing on (PYTHONDONTWRITEBYTECODE) is compiled by each worker.
        compileall.compile_dir(ROOT / "src", quiet=1)
        fake = None
        if args.llm_latency:
            fake = stack.enter_context(FakeLLM(latency=args.llm_latency))
            analyser = '[analysis]\nanalyzer = "llm"\n\n[llm]\nconcurrency = 4\n'
            base.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
        root = Path(tmp)
        repos = ""
        commits = 0
        for i in range(args.repos):
            commits += build_daily_repo(root / f"repo{i:02d}", FIRST, args.days, per_day=args.per_day)
            repos += f'\n[[repos]]\nsource = "{root / f"repo{i:02d}"}"\n'
        config = root / "dailydiff.toml"
        config.write_text('[report]\ntimezone = "UTC"\n\n' + analyser + repos)
        base.pop("DAILYDIFF_STORE_URL", None)
        units = args.repos * args.days
        kind = f"fake LLM answering in {args.llm_latency:g} s" if args.llm_latency else "heuristic"
        print(f"{args.repos} repositories × {args.days} days = {units} units, {commits} commits, {kind}")
        timings: dict[str, tuple[float, float]] = {}
        timings["SQLite, 1 process"] = run_workers(
            config, args.days, 1, {**base, "DAILYDIFF_DATA_DIR": str(root / "sqlite")}, root, None
        )
        for workers in (1, args.workers):
            if fake is not None:
                fake.reset()  # the records of one case do not weigh on the next (peaks per key are kept)
            url = server.create_database()
            env = {**base, "DAILYDIFF_DATA_DIR": str(root / f"pg{workers}"), "DAILYDIFF_STORE_URL": url}
            timings[f"PostgreSQL, {workers} worker(s), --plan"] = run_workers(
                config, args.days, workers, env, root, f"bench-{workers}"
            )
            with Store.connect(url) as store:
                states = store.unit_states(f"bench-{workers}")
                assert len(store.list_reports()) == units and all(s.state == "done" for s in states)
                by_worker: dict[str, int] = {}
                for s in states:
                    by_worker[s.worker or "?"] = by_worker.get(s.worker or "?", 0) + 1
            print(
                f"  PostgreSQL, {workers} worker(s): units per worker {sorted(by_worker.values(), reverse=True)}"
            )
        starts: list[tuple[float, float]] = []
        if args.startup_runs:
            url = server.create_database()
            env = {**base, "DAILYDIFF_DATA_DIR": str(root / "startup"), "DAILYDIFF_STORE_URL": url}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            heuristic = root / "heuristic.toml"  # start-up alone: no LLM request made after the claim either
            heuristic.write_text('[report]\ntimezone = "UTC"\n\n[analysis]\nanalyzer = "heuristic"\n' + repos)
            starts = startup_to_claim(heuristic, env, root, url, args.startup_runs)
            print(f"worker start-up to its first claim (a store that exists; median of {len(starts)}): "
                  f"{statistics.median(s for s, _ in starts):.3f} s, CPU by then "
                  f"{statistics.median(c for _, c in starts):.3f} s (target 0.3 s)")  # fmt: skip
        reference = timings["SQLite, 1 process"][0]
        print(f"{'':40} {'seconds':>8} {'× SQLite':>9} {'CPU s':>8}")
        for name, (seconds, cpu) in timings.items():
            print(f"{name:40} {seconds:8.2f} {seconds / reference:9.2f} {cpu:8.2f}")
        one, four = (timings[f"PostgreSQL, {n} worker(s), --plan"][0] for n in (1, args.workers))
        print(f"{args.workers} workers are {one / four:.2f}x as fast as 1 worker on PostgreSQL"
              + (" (target ≥ 3 with the fake LLM)" if fake is not None else ""))  # fmt: skip
        within = True
        fast = not starts or statistics.median(s for s, _ in starts) <= 0.3
        if fake is not None:
            peaks = {key.removeprefix("Bearer "): n for key, n in sorted(fake.peak_active_by_key.items())}
            print(f"LLM requests in flight at most, per worker (limit 4 each): {peaks}")
            within = all(n <= 4 for n in peaks.values())
            fast = fast and one / four >= 3
    if not fast:
        print("target missed (a loaded machine inflates wall times: CPU seconds are printed beside)")
    return verdict(within, fast)


if __name__ == "__main__":
    raise SystemExit(main())
