"""Benchmark: how long a fleet's `run` takes to plan before its first unit starts, by number of repositories.

    python3 bench/plan_scale.py [--repos 500,2500,5000] [--runs 3] [--before REF]

Each case is a real `dailydiff run --plan` process (defaults; a config of N GitHub repositories in clone
mode, a [[digest]], a webhook; a real PostgreSQL store, tests/pgserver.py, holding a report of each
repository from the night before, so that the look-backs are planned as on a second night; Python's
bytecode cached in a temporary PYTHONPYCACHEPREFIX whatever PYTHONDONTWRITEBYTECODE says, as after a pip
install), timed from its start to the moment its first unit would be built: planned, the plan's units
written to the store and one claimed (the process ends there: nothing is fetched). Printed: the
median wall time of --runs, what each repository added costs from one size to the next, and how that grows
from the first step to the last (1.0: linear; a plan quadratic in the repositories gives 2.5 for 500, 2500
and 5000). With --before REF the same cases run from a temporary git worktree of REF in the same run, side
by side. Target: planning linear in the repositories (≤ 1.5; a plan quadratic in them gives 2.5).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from before import tree_of  # noqa: E402
from pgserver import postgres_server  # noqa: E402
from verdict import verdict  # noqa: E402

NIGHT = dt.date(2026, 1, 9)
LINEAR = 1.5  # what a repository adds to the plan, last step over first (quadratic: 2.5; noise: ±0.2)

# The command line, stopped where its first claimed unit would be built: it prints when (time.time()) and how
# many units the plan has, and ends there (nothing is fetched).
_STOPPED = """
import os, sys, time
from dailydiff.engine.shared import SharedPlan
async def stop(self, claim, units, run_unit):
    print(time.time(), len(units), flush=True)
    os._exit(0)
SharedPlan._build = stop
sys.argv = ["dailydiff", *sys.argv[1:]]
from dailydiff.cli import main
main()
"""

_STORE = """
import datetime as dt, json, sys
from pathlib import Path
from dailydiff.models import DayReport
from dailydiff.store import Store
sample, url, repos = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
report = DayReport.model_validate_json(sample.read_text(encoding="utf-8"))
day = dt.date.fromisoformat(sys.argv[4])
with Store.connect(url) as store:
    store.save_reports(report.model_copy(update={"repo": r, "date": day, "language": "en"}) for r in repos)
"""


def sample_report() -> Path:
    for path in sorted((ROOT / "tests" / "golden").rglob("*.json")):
        if '"commits"' in path.read_text(encoding="utf-8"):
            return path
    raise SystemExit("no golden JSON report to start from")


def fleet(work: Path, src: Path, repos: int, url: str) -> tuple[Path, dict[str, str]]:
    """A config of ``repos`` repositories and a store with each one's report of the night before."""
    names = [f"bench/r{n:05d}" for n in range(repos)]
    root = work / f"fleet-{repos}"
    root.mkdir(parents=True, exist_ok=True)
    config = root / "dailydiff.toml"
    config.write_text(
        '[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[github]\nmode = "clone"\n\n[[digest]]\nname = "all"\n\n'
        '[[publish]]\ntype = "webhook"\nurl_env = "DAILYDIFF_BENCH_HOOK"\n'
        + "".join(f'\n[[repos]]\nsource = "{name}"\n' for name in names),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAILYDIFF_", "GITHUB_")) and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
    env |= {"PYTHONPATH": str(src), "NO_COLOR": "1", "DAILYDIFF_DATA_DIR": str(root / "data"), "DAILYDIFF_STORE_URL": url,
            "DAILYDIFF_BENCH_HOOK": "http://127.0.0.1:9/hook", "PYTHONPYCACHEPREFIX": str(work / "pycache")}  # fmt: skip
    subprocess.run([sys.executable, "-c", _STORE, str(sample_report()), url, json.dumps(names),
                    (NIGHT - dt.timedelta(days=1)).isoformat()], env=env, check=True)  # fmt: skip
    return config, env


def planned(config: Path, env: dict[str, str]) -> tuple[float, int]:
    """Seconds from the process's start to its first unit, and how many units it planned."""
    began = time.time()
    out = subprocess.run([sys.executable, "-c", _STOPPED, "run", "--config", str(config), "--date",
                          NIGHT.isoformat(), "--plan", "bench", "--quiet"], env=env, cwd=config.parent,
                         capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"the run failed ({out.returncode}): {out.stderr[-2000:]}")
    at, units = out.stdout.split()
    return float(at) - began, int(units)


def measure(src: Path, work: Path, sizes: list[int], runs: int, server: Any) -> dict[int, tuple[float, int]]:
    figures = {}
    for repos in sizes:
        config, env = fleet(work / src.parent.name, src, repos, server.create_database())
        planned(config, env)  # warm-up: bytecode and kept settings, as a command run again finds them
        times = [planned(config, env) for _ in range(runs)]
        figures[repos] = (statistics.median(t for t, _ in times), times[0][1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", default="500,2500,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="a git ref timed side by side (from a temporary worktree)")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.repos.split(","))
    with tempfile.TemporaryDirectory(prefix="ddplan-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        trees = {"this tree": ROOT / "src"}
        if args.before:
            trees[args.before] = stack.enter_context(tree_of(args.before, work / "before"))
        with postgres_server(stop_on_signals=True) as server:
            results = {name: measure(src, work, sizes, args.runs, server) for name, src in trees.items()}
    print(
        f"`run --plan` of N repositories, to its first unit (median of {args.runs}; load "
        f"{os.getloadavg()[0]:.2f}); a store with each one's night before"
    )
    print(f"{'repositories':>12} " + " ".join(f"{name:>30}" for name in results))
    growth = {}
    for name, figures in results.items():
        steps = [(figures[b][0] - figures[a][0]) / (b - a) for a, b in zip(sizes, sizes[1:], strict=False)]
        # None: a step that cost nothing or less (noise at a small size) says nothing of the growth
        growth[name] = steps[-1] / steps[0] if len(steps) > 1 and min(steps) > 0 else None
    for i, repos in enumerate(sizes):
        cells = []
        for figures in results.values():
            added = (f"{1000 * (figures[repos][0] - figures[sizes[i - 1]][0]) / (repos - sizes[i - 1]):+6.2f} ms/repo"
                     if i else "")  # fmt: skip
            cells.append(f"{figures[repos][0]:6.2f} s {added}")
        print(
            f"{repos:>12} "
            + " ".join(f"{c:>30}" for c in cells)
            + f"  ({results['this tree'][repos][1]} units)"
        )
    print("what a repository added, last step over first: "
          + ", ".join(f"{name} {'n/a' if g is None else f'{g:.2f}×'}" for name, g in growth.items())
          + f" (target ≤ {LINEAR}: linear)")  # fmt: skip
    mine = growth["this tree"]
    return verdict(True, mine is not None and mine <= LINEAR)


if __name__ == "__main__":
    sys.exit(main())
