"""Benchmark: the start-up budget, per command, as the user waits; side by side with `git log` of the same window.

    python3 bench/startup.py [--runs 10] [--before REF] [--commits 40]

Times real processes (median of --runs, after one untimed warm-up each, with Python's bytecode cached
in a temporary PYTHONPYCACHEPREFIX whatever PYTHONDONTWRITEBYTECODE says, as after a pip install), each a
whole command with its defaults: `python3 -c pass` (the interpreter alone), `dailydiff --version`, a
heuristic `dailydiff report` of a quiet day (no commits) in a small generated repository on a new store
and on the store the night before left, and a `dailydiff search` of that store; beside the `git log` that the
git source runs for that day's window. The budget (``BUDGET``) is the one the project holds its start-up
to: what does not help keep it is not worth its lines (STYLE.md, speed code earns its lines). The budget of
a month with the rules (``BUDGET["rules new store"]`` and ``["rules re-run"]``, ratios to `git log -p` of
the window) is measured by bench/git_backfill.py, which takes it from here.
With --before REF (for example `main`), the same commands from a temporary git worktree of REF are timed
in the same run, so the two columns share the machine's load.
Exits 3 when a figure of the budget is missed. On a machine shared with other work, the wall times include
waiting for a core; `chrt -f 10 python3 bench/startup.py` (as root) keeps that out, and the CPU seconds
printed beside each wall time do not depend on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gitrepo import CommitSpec, FileEdit, build_repo  # noqa: E402
from verdict import verdict  # noqa: E402

QUIET_DAY = dt.date(2026, 2, 1)  # the generated history ends the day before
# The start-up budget: wall seconds of a whole command (defaults; a store the night before left, or a new
# one), and for a month with the rules (bench/git_backfill.py) the ratio to `git log -p` of the window.
BUDGET = {"version": 0.15, "report": 0.8, "report, new store": 0.8, "search": 0.5,
          "rules new store": 6.0, "rules re-run": 2.5}  # fmt: skip


def build_history(path: Path, commits: int = 40) -> None:
    """A small repository: ``commits`` commits over the ten days before QUIET_DAY (none on it: from midnight,
    evenly, the last before the quiet day begins)."""
    first = dt.datetime.combine(QUIET_DAY - dt.timedelta(days=10), dt.time(0), dt.UTC)
    specs = [
        CommitSpec(f"feat: step {i}", first + dt.timedelta(days=10) * i / commits,
                   edits=[FileEdit(f"src/mod{i % 7}.py", f"value = {i}\n" * (1 + i % 5))])
        for i in range(commits)
    ]  # fmt: skip
    build_repo(path, specs)


def timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of COMMAND."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}: {errors.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


class Suite:
    """The commands of one source tree, timed in turns with the other trees' so they share the load."""

    def __init__(self, src: Path, repo: Path, work: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env |= {"NO_COLOR": "1", "PYTHONPATH": str(src), "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        dailydiff = [sys.executable, "-m", "dailydiff"]
        start = dt.datetime.combine(QUIET_DAY, dt.time(), dt.UTC)
        end = start + dt.timedelta(days=1)
        work.mkdir()
        self.work, self.env, self.runs = work, env, 0

        def report(data: str, *days: str) -> list[str]:
            return [*dailydiff, "report", str(repo), *days, "--tz", "UTC", "--analyzer", "heuristic",
                    "--data-dir", data, "--output-dir", str(work / "out"), "--quiet"]  # fmt: skip

        # The nights before: the store holds the history's days (the search's commits).
        history = [
            "--from",
            str(QUIET_DAY - dt.timedelta(days=10)),
            "--to",
            str(QUIET_DAY - dt.timedelta(days=1)),
        ]
        timed(report(str(work / "data"), *history), env, work)
        quiet = ["--date", QUIET_DAY.isoformat()]
        self.commands: dict[str, tuple[list[str], dict[str, str], Path]] = {
            "python": ([sys.executable, "-c", "pass"], env, work),
            "version": ([*dailydiff, "--version"], env, work),
            "report": (report(str(work / "data"), *quiet), env, work),
            "report, new store": (report("{new}", *quiet), env, work),
            "search": ([*dailydiff, "search", "step", "--data-dir", str(work / "data")], env, work),
            # What the git source runs for the day's window.
            "git log": (["git", "log", "HEAD", f"--since-as-filter={start:%Y-%m-%d %H:%M:%S} +0000",
                         f"--until={end:%Y-%m-%d %H:%M:%S} +0000", "--raw", "-p", "-M",
                         "--format=%H%n%B"], dict(os.environ), repo),
        }  # fmt: skip
        self.times: dict[str, list[tuple[float, float]]] = {name: [] for name in self.commands}

    def run(self, record: bool = True) -> None:
        for name, (command, env, cwd) in self.commands.items():
            self.runs += 1  # a new store: a data directory never used
            command = [str(self.work / f"new{self.runs}") if arg == "{new}" else arg for arg in command]
            result = timed(command, env, cwd)
            if record:
                self.times[name].append(result)

    def imports(self) -> dict[str, float]:
        """What the quiet-day report imports, by package (``dailydiff.<package>`` apart, third parties by
        their top-level name): seconds of each module's own import time (``python -X importtime``, which
        adds its own overhead), summed; one run."""
        command, env, cwd = self.commands["report"]
        proc = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)  # fmt: skip
        spent: dict[str, float] = {}
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            own, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            if not own.isdigit():
                continue
            parts = name.split(".")
            package = ".".join(parts[:2]) if parts[0] == "dailydiff" and len(parts) > 1 else parts[0]
            spent[package] = spent.get(package, 0.0) + int(own) / 1e6
        return spent

    def median(self, name: str) -> tuple[float, float]:
        walls, cpus = zip(*self.times[name], strict=True)
        return statistics.median(walls), statistics.median(cpus)


def worktree(ref: str, where: Path) -> Callable[[], None]:
    """A detached checkout of REF at WHERE; returns what removes it."""
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(where), ref], cwd=ROOT, check=True)
    return lambda: subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-warm-up", action="store_true",
                        help="no untimed first run (a smoke run: the times then include compiling)")  # fmt: skip
    parser.add_argument("--commits", type=int, default=40, help="commits in the generated repository")
    parser.add_argument("--before", metavar="REF", help="also time a git worktree of REF (e.g. main)")
    parser.add_argument("--imports", type=int, default=0, metavar="N",
                        help="also print the N packages the report spends most import time in (one run)")  # fmt: skip
    args = parser.parse_args()
    suites: dict[str, Suite] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        repo = base / "repo"
        build_history(repo, args.commits)
        remove = worktree(args.before, base / "before") if args.before else None
        try:
            if args.before:
                suites[f"before ({args.before})"] = Suite(base / "before" / "src", repo, base / "work-before")
            suites["now"] = Suite(ROOT / "src", repo, base / "work-now")
            for suite in suites.values() if not args.no_warm_up else ():
                suite.run(record=False)  # warm-up: bytecode compiled and cached, the store created
            for _ in range(args.runs):
                for suite in suites.values():
                    suite.run()
            spent = suites["now"].imports() if args.imports else {}
        finally:
            if remove:
                remove()

    now = suites["now"]
    git_log = now.median("git log")[0]
    print(f"start-up: median of {args.runs} runs, wall seconds (CPU seconds); git log of the same window "
          f"{git_log:.3f} s ({now.median('git log')[1]:.3f})")  # fmt: skip
    print(f"{'':36}" + "".join(f"{name:>22}" for name in suites) + f"{'budget':>9}")
    rows = [("python3 -c pass (the interpreter)", "python"), ("dailydiff --version", "version"),
            ("report of a quiet day (heuristic)", "report"), ("the same, on a new store", "report, new store"),
            ("search of that store", "search")]  # fmt: skip
    for label, key in rows:
        cells = "".join(
            f"{suite.median(key)[0]:>13.3f} ({suite.median(key)[1]:.3f})" for suite in suites.values()
        )
        target = f"≤ {BUDGET[key]}" if key in BUDGET else ""
        print(f"{label:36}{cells}{target:>9}")
    ratios = "".join(f"{suite.median('report')[0] / git_log:>21.0f}×" for suite in suites.values())
    print(f"{'quiet-day report / git log':36}{ratios}")
    if args.before:
        before = next(iter(suites.values()))
        gains = ", ".join(f"{key} {before.median(key)[0] / now.median(key)[0]:.2f}×" for _, key in rows[1:])
        print(f"{'before / now (wall)':36}{gains}")
    if spent:
        top = sorted(spent.items(), key=lambda item: -item[1])[: args.imports]
        print(f"the report's imports, {sum(spent.values()):.3f} s in all (python -X importtime, one run), "
              "most first: " + ", ".join(f"{name} {seconds:.3f}" for name, seconds in top))  # fmt: skip
    missed = [key for key, target in BUDGET.items() if key in now.times and now.median(key)[0] > target]
    if missed:
        print(
            f"budget missed: {', '.join(missed)} (a loaded machine inflates wall time; CPU time is in brackets)"
        )
    return verdict(True, not missed)


if __name__ == "__main__":
    raise SystemExit(main())
