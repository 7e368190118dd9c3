"""Benchmark: a 30-day backfill of a real repository with the git source and the heuristic analyser,
side by side with the raw `git log` of the same window.

    python3 bench/git_backfill.py /path/to/clone [--days 30] [--end YYYY-MM-DD] [--tz UTC]

Without a path it uses this project's own repository (small). For a real measurement point it at a
clone of a busy project (for example a local clone of astral-sh/uv or sgl-project/sglang).
Prints seconds per day for dailydiff and for raw `git log`, and their ratio (target: ≤ 3×).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dailydiff.analysis import HeuristicAnalyzer  # noqa: E402
from dailydiff.common.timewindow import days, range_window  # noqa: E402
from dailydiff.engine.stream import build_reports  # noqa: E402
from dailydiff.render import render_json, render_markdown  # noqa: E402
from dailydiff.settings import load_settings  # noqa: E402
from dailydiff.sources.git import GitSource  # noqa: E402
from dailydiff.store import Store  # noqa: E402


def raw_git_log(repo: Path, start: dt.datetime, end: dt.datetime) -> tuple[float, int]:
    began = time.perf_counter()
    result = subprocess.run(
        ["git", "log", "HEAD", f"--since-as-filter={start:%Y-%m-%d %H:%M:%S} +0000",
         f"--until={end:%Y-%m-%d %H:%M:%S} +0000", "--raw", "--numstat", "-p", "-M", "--format=%H%n%B"],
        cwd=repo, capture_output=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - began, len(result.stdout)


def dailydiff_backfill(repo: Path, dates: list[dt.date], tz: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as data:
        settings = load_settings(
            environ={}, overrides={"data_dir": data, "report": {"timezone": tz}}, cwd=Path(data)
        )
        began = time.perf_counter()
        with Store.open(Path(data)) as store:
            outcome = build_reports(
                GitSource.open(str(repo), Path(data)), dates, settings, store, HeuristicAnalyzer()
            )
            for report in outcome.reports:
                render_markdown(report)
                render_json(report)
        return time.perf_counter() - began, outcome.fetched


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", nargs="?", default=str(ROOT))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--end", default=None, help="last day (default: the day of the newest commit)")
    parser.add_argument("--tz", default="UTC")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    repo = Path(args.repo)
    if args.end:
        last = dt.date.fromisoformat(args.end)
    else:
        newest = subprocess.run(
            ["git", "log", "-1", "--format=%cI"], cwd=repo, capture_output=True, text=True
        )
        last = dt.datetime.fromisoformat(newest.stdout.strip()).astimezone(dt.UTC).date()
    dates = days(last - dt.timedelta(days=args.days - 1), last)
    window = range_window(dates[0], dates[-1], args.tz)
    end_inclusive = window.end - dt.timedelta(seconds=1)
    raw_times, ours_times = [], []
    commits = size = 0
    for _ in range(args.rounds):  # alternate the two so both see the same cache state
        seconds, size = raw_git_log(repo, window.start, end_inclusive)
        raw_times.append(seconds)
        seconds, commits = dailydiff_backfill(repo, dates, args.tz)
        ours_times.append(seconds)
    raw, ours = statistics.median(raw_times), statistics.median(ours_times)
    print(f"repository: {repo} — {commits} commits in {len(dates)} days ({dates[0]} … {dates[-1]}), "
          f"{size / 1e6:.1f} MB of git log output")  # fmt: skip
    print(f"raw git log      : {raw:7.3f} s  ({raw / len(dates) * 1000:7.1f} ms/day)")
    print(f"dailydiff backfill: {ours:7.3f} s  ({ours / len(dates) * 1000:7.1f} ms/day)  "
          "[git source + store + scoring + heuristic analysis + md/json rendering]")  # fmt: skip
    print(f"ratio dailydiff / raw git log: {ours / raw:.2f}x (target ≤ 3x)")


if __name__ == "__main__":
    main()
