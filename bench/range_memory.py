"""Benchmark: peak memory of `dailydiff run --yes` over a long range against a short one, side by side.

    python3 bench/range_memory.py [--short 30] [--long 365] [--per-day 3]

Builds one git repository with ``--per-day`` commits every day (each a ~40-line file), then runs
`dailydiff run --from … --to … --yes -o DIR` (heuristic analyser) over ``--short`` days and over ``--long``
days, each in a fresh process with a fresh store, and prints each run's peak resident memory
(getrusage ru_maxrss) and Python's own peak allocation (tracemalloc), and the long/short ratios.
Days are streamed a stretch at a time, so the ratio stays near 1 (target: ≤ 1.5×).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gitrepo import CommitSpec, FileEdit, build_repo  # noqa: E402

# Runs the CLI in this child process and reports its own peaks as the last line of stdout.
CHILD = """
import json, resource, sys, tracemalloc
tracemalloc.start()
from dailydiff.cli.app import app
try:
    app(sys.argv[1:], prog_name="dailydiff")
except SystemExit as exc:
    code = exc.code or 0
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"code": code, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "traced_peak": peak}))
"""

LAST_DAY = dt.date(2026, 4, 30)


def build(path: Path, days: int, per_day: int) -> None:
    specs = []
    for offset in range(days, 0, -1):
        day = LAST_DAY - dt.timedelta(days=offset - 1)
        for n in range(per_day):
            moment = dt.datetime(day.year, day.month, day.day, 9 + n, tzinfo=dt.UTC)
            body = "".join(f"def f_{offset}_{n}_{i}(x):\n    return x + {i}\n" for i in range(20))
            specs.append(CommitSpec(f"feat: change {offset}.{n}", moment,
                                    edits=[FileEdit(f"src/m{offset % 50}_{n}.py", body)]))  # fmt: skip
    build_repo(path, specs)


def measure(repo: Path, days: int, work: Path) -> dict[str, int]:
    first = LAST_DAY - dt.timedelta(days=days - 1)
    data, out = work / f"data{days}", work / f"out{days}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env |= {"PYTHONPATH": str(ROOT / "src"), "DAILYDIFF_RUN_NOW": "2026-05-02T12:00:00+00:00"}
    (work / "dailydiff.toml").write_text(
        f'[report]\ntimezone = "UTC"\n[analysis]\nanalyzer = "heuristic"\n[[repos]]\nsource = "{repo}"\n',
        encoding="utf-8",
    )
    args = ["run", "--from", str(first), "--to", str(LAST_DAY), "--yes", "-o", str(out), "--data-dir", str(data),
            "--quiet", "-c", str(work / "dailydiff.toml")]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=False
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["code"] != 0:
        raise SystemExit(f"run over {days} days failed ({figures['code']}): {done.stderr[-500:]}")
    written = len(list(out.rglob("*.md")))
    assert written == days, f"{written} files for {days} days"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=30)
    parser.add_argument("--long", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build(work / "repo", args.long, args.per_day)
        short = measure(work / "repo", args.short, work)
        long = measure(work / "repo", args.long, work)
    print(
        f"{args.per_day} commits a day; `run --yes` over {args.short} and {args.long} days, heuristic analyser"
    )
    print(f"{'':24} {args.short:>8} d {args.long:>8} d {'ratio':>7}")
    for key, label, unit in (
        ("maxrss_kb", "peak RSS (MB)", 1024),
        ("traced_peak", "Python peak (MB)", 2**20),
    ):
        print(f"{label:24} {short[key] / unit:10.1f} {long[key] / unit:10.1f} {long[key] / short[key]:7.2f}×")


if __name__ == "__main__":
    main()
