"""Benchmark: a month of a real repository with the rules, the whole `dailydiff report` command with its
defaults on a new store and re-run, side by side with `git log -p` of the same window; and the command's
peak memory over a year against a month.

    python3 bench/git_backfill.py /path/to/clone [--days 30] [--end YYYY-MM-DD] [--long 365] [--rounds 3]
                                  [--before REF] [--profile N]

For example, April 2026 of flashinfer (a clone of flashinfer-ai/flashinfer at /tmp/flashinfer):

    python3 bench/git_backfill.py /tmp/flashinfer --end 2026-04-30

Each round runs, one after the other so they share the machine's load and caches: `git log -p` of the
window (with the source's flags), `dailydiff report REPO --from … --to … --analyzer heuristic --format md
-o OUT --data-dir NEW` (a new store: every commit read, scored, analysed, stored and rendered) and the same
command again (the re-run: everything is stored). Each is a process of its own, timed from start to exit
(wall and CPU seconds, peak resident memory); the medians are printed with the ratios to `git log -p`
(targets: bench/startup.py's budget, ≤ 6× new store, ≤ 2.5× re-run). Python's bytecode is cached (PYTHONPYCACHEPREFIX, one untimed
warm-up run), as after a pip install. The re-run's files must be byte-identical to the first run's (the
clock is fixed for the whole benchmark). Then the same command over ``--long`` days ending on the same day
(new store, once) gives the peak memory ratio year / month (target ≤ 1.5×; ``--long 0`` skips it).
With ``--before REF`` (for example ``main``) the same commands from a temporary git worktree of REF run in
the same rounds, so both share the load; whether their files are byte-identical to these is printed (a fix
may change them). The ratios are given in wall and in CPU seconds (these hold on a loaded machine).
With ``--profile N`` one more new store runs under cProfile and its N costliest functions are printed
(own time, and with their callees among this project's functions).
Without a path it reads this project's own repository (small). The timezone is the command's default
unless ``--tz`` is given. On a machine shared with other work, the wall times include waiting for a core:
the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dailydiff.common.timewindow import range_window  # noqa: E402
from dailydiff.settings import load_settings  # noqa: E402
from startup import BUDGET  # noqa: E402
from verdict import verdict  # noqa: E402

# The budget of a month with the rules (bench/startup.py's), and the memory of a year against a month.
TARGETS = {"new store": BUDGET["rules new store"], "re-run": BUDGET["rules re-run"], "memory": 1.5}


@dataclass
class Timed:
    wall: float
    cpu: float  # user + system, its children's (git) included
    rss_mb: float  # the peak resident memory of the process (or of its largest child)


def timed(command: list[str], env: dict[str, str], cwd: Path) -> Timed:
    began = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{shlex.join(command)} exited {code}: {errors.decode(errors='replace')[-2000:]}")
    return Timed(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def git_log_command(first: dt.date, last: dt.date, tz: str, numstat: bool = False) -> list[str]:
    """What the git source runs for the window (its format aside): the commits with raw status and patches.
    ``numstat``: with ``--numstat`` too, as the source ran it until it read each file's counts from its patch
    (printed beside, for the ratios measured before: not the acceptance figure)."""
    window = range_window(first, last, tz)
    start = window.start.astimezone(dt.UTC)
    end = (window.end - dt.timedelta(seconds=1)).astimezone(dt.UTC)
    return ["git", "log", "HEAD", f"--since-as-filter={start:%Y-%m-%d %H:%M:%S} +0000",
            f"--until={end:%Y-%m-%d %H:%M:%S} +0000", "--raw", *(["--numstat"] if numstat else []), "-p", "-M",
            "--format=%H%n%B"]  # fmt: skip


class Bench:
    def __init__(self, repo: Path, work: Path, tz: str | None, now: dt.datetime) -> None:
        self.repo, self.work, self.tz = repo, work, tz
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env |= {
            "NO_COLOR": "1",
            "PYTHONPYCACHEPREFIX": str(work / "pycache"),
            "DAILYDIFF_RUN_NOW": now.isoformat(),
        }
        self.env = env
        self.cwd = work / "cwd"  # no dailydiff.toml: the defaults
        self.cwd.mkdir()
        self.runs = 0

    def report(self, first: dt.date, last: dt.date, data: Path, out: Path) -> list[str]:
        command = [sys.executable, "-m", "dailydiff", "report", str(self.repo), "--from", str(first),
                   "--to", str(last), "--analyzer", "heuristic", "--format", "md", "-o", str(out),
                   "--data-dir", str(data), "--quiet"]  # fmt: skip
        return command + (["--tz", self.tz] if self.tz else [])

    def run(self, command: list[str], src: Path = ROOT / "src") -> Timed:
        return timed(command, {**self.env, "PYTHONPATH": str(src)}, self.cwd)

    def new_store(self) -> tuple[Path, Path]:
        """A data directory never used and an output directory never written."""
        self.runs += 1
        return self.work / f"data{self.runs}", self.work / f"out{self.runs}"


def files_of(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", default=str(ROOT))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--end", default=None, help="last day (default: the day of the newest commit)")
    parser.add_argument("--tz", default=None, help="timezone of the days (default: the command's default)")
    parser.add_argument("--long", type=int, default=365, help="days of the memory run (0: none)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also run a git worktree of REF (e.g. main)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then one more new store under cProfile: its N costliest functions")  # fmt: skip
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    if args.end:
        last = dt.date.fromisoformat(args.end)
    else:
        newest = subprocess.run(
            ["git", "log", "-1", "--format=%cI"], cwd=repo, capture_output=True, text=True, check=True
        )
        last = dt.datetime.fromisoformat(newest.stdout.strip()).astimezone(dt.UTC).date()
    first = last - dt.timedelta(days=args.days - 1)
    tz = args.tz or load_settings(environ={}, cwd=Path(tempfile.gettempdir())).report.timezone
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    print(f"load average at start: {load()}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(repo, Path(tmp), args.tz, now)
        git_log = git_log_command(first, last, tz)
        listed = subprocess.run(git_log, cwd=repo, capture_output=True, check=True).stdout
        commits = _count(repo, git_log)
        sources = {"": ROOT / "src"}
        if args.before:  # REF's src/, exported (no worktree of this repository is made)
            archive = subprocess.run(
                ["git", "archive", args.before, "src"], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
            (Path(tmp) / "src").rename(Path(tmp) / "before")
            sources[f"{args.before}: "] = Path(tmp) / "before"
        rows: dict[str, list[Timed]] = {"git log -p": [], "git log -p --numstat": []}
        git_log_numstat = git_log_command(first, last, tz, numstat=True)
        identical = dict.fromkeys(sources, True)  # each tree's re-run left what its new store wrote
        same = True  # every tree wrote the same files
        for src in sources.values():
            data, out = bench.new_store()
            bench.run(bench.report(first, last, data, out), src)  # warm-up: bytecode cached
        for _ in range(args.rounds):
            rows["git log -p"].append(timed(git_log, dict(os.environ), repo))
            rows["git log -p --numstat"].append(timed(git_log_numstat, dict(os.environ), repo))
            files = []
            for label, src in sources.items():
                data, out = bench.new_store()
                command = bench.report(first, last, data, out)
                rows.setdefault(f"{label}new store", []).append(bench.run(command, src))
                written = files_of(out)
                rows.setdefault(f"{label}re-run", []).append(bench.run(command, src))
                identical[label] = identical[label] and files_of(out) == written
                files.append(written)
            same = same and all(f == files[0] for f in files)
        print(f"repository: {repo}: {commits} commits in {args.days} days ({first} … {last}, {tz}), "
              f"{len(listed) / 1e6:.1f} MB of git log -p")  # fmt: skip
        shown = [{str(out): "OUT", str(data): "DATA"}.get(a, a) for a in command[3:]]
        print(f"command: PYTHONPATH={ROOT / 'src'} python3 -m dailydiff {shlex.join(shown)}")
        print(f"median of {args.rounds} round(s)          wall s    CPU s   peak RSS MB")
        medians = {}
        for name, runs in rows.items():
            medians[name] = Timed(*(statistics.median(getattr(r, f) for r in runs) for f in ("wall", "cpu", "rss_mb")))  # fmt: skip
            m = medians[name]
            label = f"{name} of the window" if name.startswith("git log") else f"report, {name}"
            print(f"  {label:32} {m.wall:7.3f}  {m.cpu:7.3f}  {m.rss_mb:10.1f}")
        ratios = {}
        for label in sources:
            ratios[label] = [
                medians[label + k].wall / medians["git log -p"].wall for k in ("new store", "re-run")
            ]
            cpu = [medians[label + k].cpu / medians["git log -p"].cpu for k in ("new store", "re-run")]
            print(f"{label}ratio dailydiff / raw git log: {ratios[label][0]:.2f}x new store, {ratios[label][1]:.2f}x "
                  f"re-run (targets ≤ {TARGETS['new store']:g}x, ≤ {TARGETS['re-run']:g}x); CPU seconds: "
                  f"{cpu[0]:.2f}x, {cpu[1]:.2f}x")  # fmt: skip
        print(f"(beside git log -p --numstat, the flags the source ran before it read the counts from the patches: "
              f"{medians['new store'].wall / medians['git log -p --numstat'].wall:.2f}x new store, "
              f"{medians['re-run'].wall / medians['git log -p --numstat'].wall:.2f}x re-run; not the acceptance figure)")  # fmt: skip
        for label in sources:
            print(f"{label}re-run's files: {'byte-identical to' if identical[label] else 'DIFFERENT from'} the new "
                  f"store's ({len(written)} files)")  # fmt: skip
        if args.before:
            print(f"files of {args.before}: {'byte-identical to' if same else 'DIFFERENT from'} these")
        ok = identical[""] and len(written) == args.days
        fast = ratios[""][0] <= TARGETS["new store"] and ratios[""][1] <= TARGETS["re-run"]
        if args.long:
            long_first = last - dt.timedelta(days=args.long - 1)
            data, out = bench.new_store()
            year = bench.run(bench.report(long_first, last, data, out))
            year_log = timed(git_log_command(long_first, last, tz), dict(os.environ), repo)
            ratio = year.rss_mb / medians["new store"].rss_mb
            print(f"{args.long} days ({long_first} … {last}), new store: {year.wall:.3f} s wall, {year.cpu:.3f} s "
                  f"CPU (git log -p {year_log.wall:.3f} s), peak RSS {year.rss_mb:.1f} MB")  # fmt: skip
            print(f"peak RSS {args.long} / {args.days} days: {year.rss_mb:.1f} / {medians['new store'].rss_mb:.1f} MB "
                  f"= {ratio:.2f}x (target ≤ {TARGETS['memory']:g}x)")  # fmt: skip
            fast = fast and ratio <= TARGETS["memory"]
            ok = ok and len(files_of(out)) == args.long
        if args.profile:
            data, out = bench.new_store()
            _profile(bench, bench.report(first, last, data, out), Path(tmp) / "report.prof", args.profile)
    print(f"load average at end: {load()}")
    return verdict(ok, fast)


def _profile(bench: Bench, command: list[str], path: Path, top: int) -> None:
    """The command's main thread under cProfile (it slows Python code, not git or SQLite, so read the
    shares, not the seconds): the ``top`` functions by own time, then this project's by own time."""
    import pstats

    bench.run([command[0], "-m", "cProfile", "-o", str(path), *command[1:]])
    stats = pstats.Stats(str(path))
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    rows = stats.stats.items()  # type: ignore[attr-defined]
    print(f"profile of a new store (cProfile, main thread, {total:.2f} s own time in all):")
    for title, ours in (("own time", False), ("own time, this project's functions", True)):
        print(f"  top {top} by {title}:")
        ranked = sorted(((v[2], f) for f, v in rows if not ours or "/dailydiff/" in f[0]), reverse=True)
        for seconds, (file, line, name) in ranked[:top]:
            where = file.split("/src/")[-1].split("site-packages/")[-1]
            print(f"    {seconds / total * 100:5.1f}%  {seconds:6.3f} s  {name} ({where}:{line})")


def _count(repo: Path, git_log: list[str]) -> int:
    shas = subprocess.run([*git_log[:5], "--format=%H"], cwd=repo, capture_output=True, check=True)
    return len(shas.stdout.split())


if __name__ == "__main__":
    raise SystemExit(main())
