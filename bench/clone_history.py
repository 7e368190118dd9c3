"""Benchmark: a day of a long history in clone mode, the whole command, this tree beside ``--before REF``.

    python3 bench/clone_history.py --repo /work/.mirror/pytest-dev+pytest/repo --name pytest-dev/pytest \\
        --date 2026-08-18 [--runs 3] [--before REF]

``--repo`` (a git repository, bare or not; nothing of it is written) is served by the fake GitHub
(tests/fake_github.py: git over smart HTTP through `git http-backend`, GraphQL for the pull requests).
`dailydiff report NAME --date D` runs as a subprocess with the defaults but ``[github] mode = "clone"`` (as
the fleet's nights run: a blobless clone in the data directory), from process start to exit, with the CPU of
it and of its git processes (``wait4``); Python's bytecode is cached (a temporary ``PYTHONPYCACHEPREFIX``,
whatever ``PYTHONDONTWRITEBYTECODE`` says), as after a pip install:

- new store: an empty data directory (the clone is made, then the day is read);
- night before: the data directory the run of D − 1 left (the clone is fetched, then the day is read).

A day is read with ``--since-as-filter`` (a walk of the whole history: a commit dated out of order is not
missed) and the commits dated 1970 are looked for over all of it: the longer the history, the more each run
walks. With ``--before REF`` the same commands run from a temporary git worktree of REF, side by side
(median of ``--runs`` each, interleaved). ``--github-latency`` delays each of the fake's answers (a real
GitHub answers in a tenth of a second or more; set by hand, and labelled so). Target: this tree's night
before takes no longer than REF's (``--before`` only).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from before import tree_of  # noqa: E402
from fake_github import FakeGitHub  # noqa: E402
from fake_github_git import GitData  # noqa: E402
from verdict import verdict  # noqa: E402

TOKEN = "ghp_" + "BenchHistory0123456789abcdefABCDEF01"
NOISE = 1.05  # this tree's night before may be this much over REF's and still be "no longer" (timer noise)


def report(src: Path, data: Path, name: str, day: dt.date, url: str, work: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the command and its git processes) and the commits reported."""
    env = {k: v for k, v in os.environ.items()
           if "TOKEN" not in k and not k.startswith("DAILYDIFF_") and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
    env.update({"PYTHONPATH": str(src), "GITHUB_TOKEN": TOKEN, "DAILYDIFF_GITHUB_API_URL": url,
                "DAILYDIFF_GITHUB_MODE": "clone", "DAILYDIFF_DATA_DIR": str(data),
                "PYTHONPYCACHEPREFIX": str(work / "pycache" / src.parent.name)})  # fmt: skip
    out = work / "out"
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "dailydiff", "report", name, "--date", day.isoformat(),
                                "-o", str(out), "--format", "json"], env=env, cwd=work,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stderr is not None
    errors = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"dailydiff report failed ({process.returncode}): {errors[-2000:]}")
    made = sorted(out.rglob("*.json"), key=lambda p: p.stat().st_mtime)
    commits = len(json.loads(made[-1].read_text(encoding="utf-8")).get("commits", [])) if made else 0
    shutil.rmtree(out, ignore_errors=True)
    return wall, usage.ru_utime + usage.ru_stime, commits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--name", required=True, help="owner/name")
    parser.add_argument("--date", required=True, help="a day with commits (the report's timezone's)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="a git ref timed side by side (from a temporary worktree)")
    parser.add_argument("--github-latency", type=float, default=0.0,
                        help="seconds before each of the fake GitHub's answers, git's included (set by hand)")  # fmt: skip
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    history = subprocess.run(["git", "rev-list", "--count", "--all"], cwd=args.repo, capture_output=True,
                             text=True, check=True).stdout.strip()  # fmt: skip
    with (
        tempfile.TemporaryDirectory(prefix="ddhistory-") as tmp,
        FakeGitHub() as fake,
        contextlib.ExitStack() as stack,
    ):
        work = Path(tmp)
        fake.repos[args.name] = GitData(args.repo)
        fake.exhaust(1_000_000, 3600)
        fake.latency = args.github_latency
        trees = {"this tree": ROOT / "src"}
        if args.before:
            trees[args.before] = stack.enter_context(tree_of(args.before, work / "before"))
        # A first run of each: bytecode cached, as after a pip install.
        for side, src in enumerate(trees.values()):
            report(src, work / f"warm-{side}", args.name, day, fake.url, work)
        figures = {name: {"new store": [], "night before": []} for name in trees}
        for n in range(args.runs):
            for side, (name, src) in enumerate(trees.items()):
                new, night = work / f"new-{n}-{side}", work / f"night-{n}-{side}"
                figures[name]["new store"].append(report(src, new, args.name, day, fake.url, work))
                report(src, night, args.name, day - dt.timedelta(days=1), fake.url, work)  # D − 1, untimed
                figures[name]["night before"].append(report(src, night, args.name, day, fake.url, work))
                shutil.rmtree(new, ignore_errors=True)
                shutil.rmtree(night, ignore_errors=True)
    commits = {f[2] for tree in figures.values() for runs in tree.values() for f in runs}
    print(f"{args.name}: {history} commits of history; {args.date}: {', '.join(map(str, sorted(commits)))} commit(s) "
          f"reported; median of {args.runs} (load {os.getloadavg()[0]:.2f}); clone mode, the rules"
          + (f"; GitHub's answers {args.github_latency:g} s late (set by hand)" if args.github_latency else ""))  # fmt: skip
    print(f"{'':14}" + "".join(f"{name:>34}" for name in figures))
    medians: dict[tuple[str, str], float] = {}
    for store in ("new store", "night before"):
        cells = []
        for name, tree in figures.items():
            wall = statistics.median(f[0] for f in tree[store])
            cpu = statistics.median(f[1] for f in tree[store])
            medians[(name, store)] = wall
            cells.append(f"{wall:6.2f} s wall, {cpu:6.2f} s CPU")
        print(f"{store:14}" + "".join(f"{c:>34}" for c in cells))
    ok = len(commits) == 1 and commits != {0}
    if not args.before:
        return verdict(ok, True)
    ratios = {
        store: medians[("this tree", store)] / medians[(args.before, store)]
        for store in ("new store", "night before")
    }
    print("this tree / " + args.before + ": "
          + ", ".join(f"{store} {ratio:.2f}×" for store, ratio in ratios.items())
          + f" (target: the night before ≤ {NOISE:.2f}×)")  # fmt: skip
    return verdict(ok, ratios["night before"] <= NOISE)


if __name__ == "__main__":
    sys.exit(main())
