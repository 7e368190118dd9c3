"""Benchmark: build the static site for 3 repositories × 30 days of reports (target: under 10 s).

    python3 bench/site_build.py [--repos 3] [--days 30] [--commits 40]

The reports are made the way the pipeline makes them (rule scores, heuristic analyses, day overview) from
synthetic commits with realistic titles and files, saved to a store, then read back and built, as
`dailydiff site build` does. Prints the time of each step, the total against the 10 s budget (ratio),
and the time of a rebuild with nothing changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dailydiff.analysis import HeuristicAnalyzer  # noqa: E402
from dailydiff.common.timewindow import day_window  # noqa: E402
from dailydiff.engine.site import Site, build_site  # noqa: E402
from dailydiff.engine.stages import report_commit, report_stats  # noqa: E402
from dailydiff.models import Commit, DayReport, FileChange, FileStatus, Person, Stats  # noqa: E402
from dailydiff.scoring.rules import score_commit  # noqa: E402
from dailydiff.settings import load_settings  # noqa: E402
from dailydiff.store import Store  # noqa: E402

BUDGET_SECONDS = 10.0
TITLES = [
    "[Feature] overlap LoRA weight loading with compute (#{n})", "[Bugfix] fix nan in fp8 attention (#{n})",
    "[Doc] update the install guide (#{n})", "[CI] add a partition to stage-b tests (#{n})",
    "perf: fuse the q/k norm kernels (#{n})", "refactor: split the scheduler loop (#{n})",
    "fix: handle empty batches in the radix cache (#{n})", "feat(api): add a `--max-loras` server flag (#{n})",
    "chore(deps): bump torch to 2.9 (#{n})", "[NPU] support the ascend attention backend (#{n})",
]  # fmt: skip
PATHS = [
    "python/sglang/srt/layers/attention/flash.py", "python/sglang/srt/managers/scheduler.py",
    "python/sglang/srt/server_args.py", "docs/install.md", ".github/workflows/pr-test.yml",
    "test/srt/test_scheduler.py", "sgl-kernel/csrc/norm.cu", "pyproject.toml", "python/sglang/srt/lora/loader.py",
]  # fmt: skip
AUTHORS = ["Glen Liu", "张伟", "李娜", "yudian0504", "Alison Shao", "Xiaoyu Zhang", "Mick"]


def make_reports(repos: int, days: int, per_day: int) -> list[DayReport]:
    rng = random.Random(7)
    settings = load_settings(environ={}, cwd=ROOT / "bench")
    analyzer = HeuristicAnalyzer()
    tz = "Asia/Shanghai"
    reports = []
    for r in range(repos):
        repo = f"org{r}/project{r}"
        language = "zh" if r % 2 == 0 else "en"
        for d in range(days):
            date = dt.date(2026, 1, 1) + dt.timedelta(days=d)
            window = day_window(date, tz)
            commits = []
            for i in range(rng.randint(per_day // 2, per_day * 3 // 2)):
                at = window.start + dt.timedelta(seconds=rng.randint(0, 86399))
                files = [
                    FileChange(path=p, status=FileStatus.MODIFIED, additions=rng.randint(1, 400),
                               deletions=rng.randint(0, 120))
                    for p in rng.sample(PATHS, rng.randint(1, 4))
                ]  # fmt: skip
                person = Person(name=rng.choice(AUTHORS), email="dev@example.com")
                commit = Commit(
                    repo=repo, sha=f"{r:02x}{d:03x}{i:03x}" + f"{rng.getrandbits(128):032x}", author=person,
                    committer=person, authored_at=at, committed_at=at,
                    message=rng.choice(TITLES).format(n=17000 + d * 100 + i) + "\n\nDetails of the change.",
                    url=f"https://github.com/{repo}/commit/{i}", files=files,
                    stats=Stats(additions=sum(f.additions for f in files), deletions=sum(f.deletions for f in files),
                                files=len(files)),
                )  # fmt: skip
                score = score_commit(commit, settings.scoring)
                commits.append(
                    report_commit(commit, score, analyzer.analyse(commit, score, score.level, language))
                )
            commits.sort(key=lambda c: c.committed_at, reverse=True)
            reports.append(
                DayReport(
                    repo=repo,
                    repo_url=f"https://github.com/{repo}",
                    date=date,
                    timezone=tz,
                    language=language,
                    window=window,
                    commits=commits,
                    stats=report_stats(commits),
                    overview=analyzer.overview(commits, language),
                    generated_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
                )
            )
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=3)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--commits", type=int, default=40, help="average commits per day")
    args = parser.parse_args()
    reports = make_reports(args.repos, args.days, args.commits)
    commits = sum(r.stats.total for r in reports)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with Store.open(data) as store:
            for report in reports:
                store.save_report(report)
        began = time.perf_counter()
        with Store.open(data) as store:
            loaded = list(store.iter_reports())
        load_seconds = time.perf_counter() - began
        began = time.perf_counter()
        result = build_site(Site.from_reports(loaded), Path(tmp) / "site")
        build_seconds = time.perf_counter() - began
        began = time.perf_counter()
        again = build_site(Site.from_reports(loaded), Path(tmp) / "site")
        rebuild_seconds = time.perf_counter() - began
    total = load_seconds + build_seconds
    print(f"reports: {len(reports)} ({args.repos} repositories × {args.days} days), commits: {commits}")
    print(
        f"load from store: {load_seconds:.2f} s; render + write {result.pages} files: {build_seconds:.2f} s"
    )
    print(f"total: {total:.2f} s — {total / BUDGET_SECONDS:.2f}× the {BUDGET_SECONDS:.0f} s budget "
          f"({'OK' if total < BUDGET_SECONDS else 'TOO SLOW'})")  # fmt: skip
    print(f"rebuild with nothing changed: {rebuild_seconds:.2f} s ({again.written} files written); "
          f"{rebuild_seconds / build_seconds:.2f}× the first build")  # fmt: skip
    return 0 if total < BUDGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
