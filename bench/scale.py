"""Benchmark: N GitHub repositories (default 500) with realistic days — 0 to 60 commits, a long tail — served
by the fake GitHub (REST, GraphQL and git over smart HTTP for clone mode), built by `dailydiff run` in
one process on SQLite and by 1 and 4 workers sharing a plan on PostgreSQL (Debian's, started here), with
the heuristic analyser and with the fake LLM endpoint answering after L seconds.

    python3 bench/scale.py [--repos 500] [--days 3] [--mode clone|api] [--llm-latency 1.0]
                           [--cases sqlite,pg1,pg4] [--analysers heuristic,llm] [--seed 7]

For each case it prints the wall time, the GitHub API requests (counted against the rate limit: a 304
and /rate_limit are free) per repository-day and per commit, the git requests (clone mode; not counted
by GitHub's API limit), and the peak memory (max RSS) of the largest worker process. Each case starts from
an empty store and an empty data directory. Workers sharing a plan (`run --plan`) claim repository-days,
so each fetches per day where one process fetches a repository's whole range at once. The numbers on a shared 2-core machine are about overhead
and scaling shape, not absolute speed: 4 workers there compete for 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from fake_github import FakeGitHub, FakePull  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402
from gitrepo import CommitSpec, FileEdit, build_repo  # noqa: E402
from verdict import verdict  # noqa: E402

FIRST = dt.date(2026, 1, 5)
TOKEN = "ghp_" + "ScaleBench0123456789abcdef0123456789"
KINDS = [
    ("feat", "python/pkg/core/engine_{n}.py", "def step_{n}(x):\n    return x * {n}\n"),
    ("fix", "python/pkg/layers/attention.py", "def attend(q, k, v):\n    return q + k + v + {n}\n"),
    ("docs", "docs/guide_{n}.md", "# Guide {n}\n\nHow to use step {n}.\n"),
    ("test", "test/test_engine_{n}.py", "def test_step_{n}():\n    assert True\n"),
    ("perf", "csrc/kernels/fused_{k}.cu", "__global__ void fused_{k}() {{ /* variant {n} */ }}\n"),
]


def day_size(rng: random.Random) -> int:
    """Commits on one repository-day: most days a few, some none, a long tail up to 60."""
    return min(60, int(rng.paretovariate(0.9)) - 1)


def build(root: Path, name: str, days: int, rng: random.Random) -> tuple[int, list[str]]:
    specs = []
    for day in range(days):
        date = FIRST + dt.timedelta(days=day)
        count = day_size(rng)
        for i in range(count):
            n = len(specs)
            kind, file, content = KINDS[n % len(KINDS)]
            moment = dt.datetime.combine(date, dt.time(1 + (20 * i) // max(1, count), (7 * i) % 60), dt.UTC)
            edits = [FileEdit(file.format(n=n, k=n % 3), content.format(n=n, k=n % 3))]
            specs.append(CommitSpec(f"{kind}: change {n} of {name} (#{1000 + n})", moment, edits=edits))
    if not specs:  # a repository needs a commit: one before the first day
        specs.append(CommitSpec("chore: start", dt.datetime.combine(FIRST, dt.time(0), dt.UTC) - dt.timedelta(days=1),
                                edits=[FileEdit("README.md", "start\n")]))  # fmt: skip
    shas = build_repo(root / name.replace("/", "__"), specs)
    return len([s for s in specs if s.committed_at.date() >= FIRST]), shas


def build_fleet(
    root: Path, count: int, days: int, rng: random.Random
) -> tuple[dict[str, Path], int, list[tuple[str, FakePull]]]:
    """``count`` distinct repositories bench/r000… (``build``), their paths by name, the commits of the
    days, and a merged pull request for every other commit."""
    repos: dict[str, Path] = {}
    commits = 0
    pulls: list[tuple[str, FakePull]] = []
    for i in range(count):
        name = f"bench/r{i:03d}"
        made, shas = build(root, name, days, rng)
        commits += made
        repos[name] = root / name.replace("/", "__")
        pulls += [(name, FakePull(1000 + n, f"Change {n}", sha, body="why", labels=["x"]))
                  for n, sha in enumerate(shas) if n % 2 == 0]  # fmt: skip
    return repos, commits, pulls


def serve(repos: dict[str, Path], pulls: list[tuple[str, FakePull]]) -> FakeGitHub:
    """The fake GitHub serving ``repos`` and their pull requests (a context manager: `with serve(...)`)."""
    fake = FakeGitHub(repos, token=TOKEN)
    for name, pull in pulls:
        fake.add_pull(name, pull)
    return fake


# A worker as `python -m dailydiff`, writing at exit its own CPU seconds (its threads, not its git processes)
# and its own peak RSS in kB (the Python process alone, not the git processes it ran).
_WORKER = """
import atexit, datetime, json, resource, runpy, sys
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]
if "--log-format" in sys.argv:  # a diagnosis (DDFLEET_WORKER_LOG): when the process started, in the log's clock
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    print(json.dumps({"time": now, "level": "debug", "logger": "bench", "message": "process start"}), file=sys.stderr)
def _own() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    open(out, "w").write(f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
atexit.register(_own)
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


@dataclass
class Spent:
    """Where a case's CPU went: the workers' Python (their threads), the git processes they ran, this
    process's fake servers (GitHub's REST, GraphQL and git front, the LLM) and the `git http-backend` the
    fake GitHub runs for each git request (clone mode)."""

    workers: float = 0.0
    git: float = 0.0
    fakes: float = 0.0
    backend: float = 0.0


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_workers(
    config: Path,
    days: int,
    workers: int,
    env: dict[str, str],
    cwd: Path,
    plan: str | None,
    *,
    first: dt.date = FIRST,
    keyed: bool = False,
) -> tuple[float, list[tuple[int, int]], Spent]:
    """Wall time, each worker's peak RSS in kB (its own Python process, and the largest process of its tree,
    git's included), and where the CPU went (CPU seconds: what a loaded machine does not inflate).
    ``keyed``: each worker has an LLM API key of its own (the endpoint tells their requests apart)."""
    args = ["run", "--config", str(config), "--from", str(first),
            "--to", str(first + dt.timedelta(days=days - 1)), "-q"]  # fmt: skip
    if plan:
        args += ["--plan", plan]
    spent = Spent()
    fakes, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    own = [cwd / f"worker-cpu-{i}.txt" for i in range(workers)]
    # A diagnosis: DDFLEET_WORKER_LOG=PREFIX writes each worker's debug log (JSON lines, timed) to PREFIX-<plan>-<i>.log.
    logs = os.environ.get("DDFLEET_WORKER_LOG")
    if logs:
        args = [a for a in args if a != "-q"] + ["-v", "--log-format", "json"]
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(out), *args], cwd=cwd,
                              env={**env, "DAILYDIFF_LLM_API_KEY": f"{plan}-worker-{i}"} if keyed else env,
                              stdout=subprocess.DEVNULL,
                              stderr=open(f"{logs}-{plan}-{i}.log", "w") if logs else subprocess.PIPE)  # noqa: SIM115
             for i, out in enumerate(own)]  # fmt: skip
    trees, tree = [], 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode not in (0,):
            raise SystemExit(f"a worker failed ({proc.returncode}): {err[-2000:]}")
        trees.append(usage.ru_maxrss)
        tree += usage.ru_utime + usage.ru_stime  # the worker and the git processes it waited for
    took = time.perf_counter() - began
    figures = [out.read_text().split() for out in own]
    spent.workers = sum(float(cpu) for cpu, _ in figures)
    peaks = [(int(rss), whole) for (_, rss), whole in zip(figures, trees, strict=True)]
    spent.git = tree - spent.workers
    spent.fakes = _cpu(resource.RUSAGE_SELF) - fakes
    spent.backend = _cpu(resource.RUSAGE_CHILDREN) - children - tree
    return took, peaks, spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--mode", choices=["clone", "api"], default="clone")
    parser.add_argument("--llm-latency", type=float, default=1.0)
    parser.add_argument("--cases", default="sqlite,pg1,pg4")
    parser.add_argument("--analysers", default="heuristic,llm")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = args.cases.split(",")
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ddscale-")))
        began = time.perf_counter()
        repos, commits, pulls = build_fleet(root / "repos", args.repos, args.days, rng)
        print(f"{args.repos} repositories × {args.days} days, {commits} commits "
              f"(built in {time.perf_counter() - began:.1f} s); GitHub {args.mode} mode")  # fmt: skip
        fake = stack.enter_context(serve(repos, pulls))
        server = None
        if any(c.startswith("pg") for c in cases):
            from pgserver import postgres_server

            server = stack.enter_context(postgres_server(stop_on_signals=True))
        llm = stack.enter_context(FakeLLM(latency=args.llm_latency)) if "llm" in args.analysers else None
        entries = "".join(f'\n[[repos]]\nsource = "{name}"\n' for name in repos)
        units = args.repos * args.days
        rows = []
        for analyser in args.analysers.split(","):
            section = '[analysis]\nanalyzer = "heuristic"\n'
            base = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GITHUB_TOKEN": TOKEN,
                    "DAILYDIFF_GITHUB_API_URL": fake.url, "DAILYDIFF_GITHUB_MODE": args.mode}  # fmt: skip
            base.pop("DAILYDIFF_STORE_URL", None)
            if analyser == "llm":
                assert llm is not None
                section = '[analysis]\nanalyzer = "llm"\n\n[llm]\nconcurrency = 16\n'
                base.update(DAILYDIFF_LLM_BASE_URL=llm.base_url, DAILYDIFF_LLM_MODEL=llm.model)
            config = root / f"{analyser}.toml"
            config.write_text('[report]\ntimezone = "UTC"\n\n[run]\nconcurrency = 8\n\n' + section + entries)
            for case in cases:
                fake.reset_requests()
                fake.exhaust(1_000_000, 3600)
                data = root / f"data-{analyser}-{case}"
                env = {**base, "DAILYDIFF_DATA_DIR": str(data)}
                workers, plan = 1, None
                if case.startswith("pg"):
                    assert server is not None
                    workers, plan = int(case[2:]), f"scale-{analyser}-{case}"
                    env["DAILYDIFF_STORE_URL"] = server.create_database()
                took, peaks, spent = run_workers(config, args.days, workers, env, root, plan)
                peak = max(whole for _, whole in peaks)
                cpu = spent.workers + spent.git
                api = [r for r in fake.requests if r.kind not in ("git", "rate_limit") and r.status != 304]
                gits = fake.count("git")
                label = {
                    "sqlite": "SQLite, 1 process",
                    "pg1": "PostgreSQL, 1 worker",
                    "pg4": "PostgreSQL, 4 workers",
                }[case]
                rows.append(
                    (
                        analyser,
                        label,
                        took,
                        len(api) / units,
                        len(api) / max(1, commits),
                        gits,
                        peak / 1024,
                        cpu,
                    )
                )
                print(f"  done: {analyser}, {label}: {took:.1f} s; CPU per repository-day: workers' Python "
                      f"{1000 * spent.workers / units:.0f} ms, their git {1000 * spent.git / units:.0f} ms, "
                      f"the fake servers {1000 * spent.fakes / units:.0f} ms, git http-backend "
                      f"{1000 * spent.backend / units:.0f} ms", flush=True)  # fmt: skip
        print(f"{'analyser':10} {'case':24} {'seconds':>8} {'API req/repo-day':>17} {'API req/commit':>15} "
              f"{'git req':>8} {'peak MB':>8} {'CPU s':>8}")  # fmt: skip
        for analyser, label, took, per_day, per_commit, gits, peak, cpu in rows:
            print(f"{analyser:10} {label:24} {took:8.1f} {per_day:17.2f} {per_commit:15.3f} {gits:8d} {peak:8.0f} "
                  f"{cpu:8.1f}")  # fmt: skip
        missed = [f"peak memory {row[6]:.0f} MB (target < 500)" for row in rows if row[6] >= 500]
        for analyser in args.analysers.split(","):
            mine = {label: took for a, label, took, *_ in rows if a == analyser}
            if "PostgreSQL, 1 worker" in mine and "PostgreSQL, 4 workers" in mine:
                ratio = mine["PostgreSQL, 1 worker"] / mine["PostgreSQL, 4 workers"]
                print(
                    f"{analyser}: 4 workers {ratio:.2f}× faster than 1"
                    + (" (target ≥ 3)" if analyser == "llm" else "")
                )
                if analyser == "llm" and ratio < 3:
                    missed.append(f"llm: 4 workers {ratio:.2f}× (target ≥ 3)")
            if "PostgreSQL, 1 worker" in mine and "SQLite, 1 process" in mine:
                ratio = mine["PostgreSQL, 1 worker"] / mine["SQLite, 1 process"]
                print(f"{analyser}: PostgreSQL 1 worker / SQLite = {ratio:.2f}"
                      + (" (target ≤ 1.5)" if analyser == "heuristic" else ""))  # fmt: skip
                if analyser == "heuristic" and ratio > 1.5:
                    missed.append(f"heuristic: PostgreSQL / SQLite {ratio:.2f} (target ≤ 1.5)")
    if missed:
        print("target missed: " + "; ".join(missed) + " (a loaded machine inflates wall times)")
    return verdict(True, not missed)


if __name__ == "__main__":
    raise SystemExit(main())
