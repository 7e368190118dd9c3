"""Reports for the site tests: real ones (a git repository built with fixed dates, run through the
pipeline with the heuristic analyser) and hostile ones (constructed directly)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

from dailydiff.analysis import HeuristicAnalyzer
from dailydiff.common.timewindow import day_window
from dailydiff.engine.stages import report_commit, report_stats
from dailydiff.models import (
    Analysis,
    ChangeType,
    Commit,
    DayReport,
    FileChange,
    FileStatus,
    Insights,
    Level,
    Overview,
    Person,
    ReportCommit,
    Score,
    Stats,
)
from dailydiff.scoring.rules import score_commit
from dailydiff.settings import load_settings
from dailydiff.sources.git import GitSource
from dailydiff.store import Store
from engine_run import run_days
from gitrepo import CommitSpec, FileEdit, build_repo

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DAY1 = dt.date(2026, 1, 26)
DAY2 = dt.date(2026, 1, 27)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


# fmt: off
def fixture_specs() -> list[CommitSpec]:
    big = "\n".join(f"def kernel_{i}(x):\n    return x * {i}\n" for i in range(120))
    return [
        CommitSpec("chore: initial import", _at(DAY1, 1), edits=[FileEdit("README.md", "# demo\n"),
                   FileEdit("src/engine/core.py", "def run():\n    return 1\n")]),
        CommitSpec("feat(scheduler): add a priority scheduler for batched requests", _at(DAY1, 10),
                   author="张伟", email="zw@example.com",
                   edits=[FileEdit("src/engine/scheduler.py", big), FileEdit("src/engine/__init__.py", "")]),
        CommitSpec("docs: explain the cache layout", _at(DAY1, 12), edits=[FileEdit("docs/cache.md", "cache\n" * 30)]),
        CommitSpec("fix: handle empty batches in the scheduler", _at(DAY2, 9), author="Grace Hopper",
                   email="grace@example.com",
                   edits=[FileEdit("src/engine/scheduler.py", big + "\ndef empty():\n    return []\n")]),
        CommitSpec("[CI] run the GPU tests nightly", _at(DAY2, 11),
                   edits=[FileEdit(".github/workflows/nightly.yml", "on: schedule\n")]),
        CommitSpec("perf: vectorise the attention kernel", _at(DAY2, 15), author="李娜", email="ln@example.com",
                   edits=[FileEdit("src/kernels/attention.py", big.replace("kernel", "attn"))]),
        CommitSpec("test: cover the tokenizer edge cases", _at(DAY2, 18),
                   edits=[FileEdit("tests/test_tokenizer.py", "def test_x():\n    assert True\n" * 20)]),
    ]
# fmt: on


@dataclasses.dataclass
class Fixture:
    repo_path: Path
    data_dir: Path
    reports: list[DayReport]


def real_reports(tmp: Path, *, language: str = "zh", name: str = "demo/engine") -> Fixture:
    """Build the fixture repository and run the pipeline over its two days; reports are stored too."""
    repo = tmp / f"repo-{language}"
    if not repo.exists():
        build_repo(repo, fixture_specs())
    data_dir = tmp / "data"
    settings = load_settings(
        overrides={"data_dir": str(data_dir), "report": {"language": language, "timezone": "Asia/Shanghai"}},
        environ={},
        cwd=tmp,
    )
    source = GitSource.open(str(repo), settings.data_path, name=name)
    with Store.open(settings.data_path) as store:
        outcome = run_days(source, [DAY1, DAY2], settings, store, HeuristicAnalyzer(),
                                now=dt.datetime(2026, 1, 28, 2, 0, tzinfo=dt.UTC))  # fmt: skip
    return Fixture(repo, data_dir, outcome.reports)


def with_watch(report: DayReport, sha_prefix: str, topics: list[str]) -> DayReport:
    commits = [
        rc.model_copy(update={"watch": topics}) if rc.sha.startswith(sha_prefix) else rc
        for rc in report.commits
    ]
    return report.model_copy(update={"commits": commits})


HOSTILE = [
    "<script>alert('title')</script>",
    "<img src=x onerror=alert('img')>",
    '"><svg onload=alert("svg")>',
    "[click me](javascript:alert('link'))",
    "<a href=\"javascript:alert('a')\">a</a>",
    "# Injected heading\n\n| a | b |\n|---|---|\n| <b>x</b> | y |",
    "x" * 3000,
    "</textarea></title><iframe src=javascript:alert('frame')>",
]


def hostile_report(language: str = "en") -> DayReport:
    """Every field a commit or a model fills holds markup that would run or break the page if unescaped."""
    commits = []
    for i, payload in enumerate(HOSTILE):
        sha = f"{i + 1:x}" * 40
        sha = sha[:40]
        level = (Level.HIGH, Level.MEDIUM, Level.LOW)[i % 3]
        analysis = Analysis(
            analyzer="llm:evil",
            depth=Level.HIGH if level is Level.HIGH else Level.LOW,
            change_types=[ChangeType.FEATURE, ChangeType.SECURITY],
            importance=level,
            importance_reason=payload,
            summary=f"{payload}\n\n## Model heading\n\n| col | col |\n|-----|-----|\n| <script>alert(1)</script> | x |\n\n"
            f"[bad](javascript:alert(document.domain)) [data](data:text/html,<script>alert(1)</script>) "
            f"[ok](https://example.org/{i}) " + "y" * 2000,
            impact=[payload, "<style>body{display:none}</style>"],
            insights=Insights(
                architecture=payload, performance="<iframe src=//evil>", security='"><svg/onload=alert(1)>'
            ),
            risks=[payload],
            recommendations=[payload + " `<code>`"],
            unseen_files=[payload],
            raw=payload if i == 0 else None,
        )
        commits.append(
            ReportCommit(
                repo="evil/<repo>",
                sha=sha,
                author=Person(name=payload, email="e@example.com"),
                committer=Person(name="c"),
                authored_at=dt.datetime(2026, 1, 27, 10, i, tzinfo=dt.UTC),
                committed_at=dt.datetime(2026, 1, 27, 10, i, tzinfo=dt.UTC),
                message=f"{payload}\n\n{payload}\nbody line",
                url="javascript:alert('url')" if i % 2 else f"https://example.org/commit/{sha}",
                score=Score(level=level, score=5.0),
                analysis=analysis,
                level=level,
                watch=[payload] if i == 1 else [],
            )
        )
    return DayReport(
        repo="evil/<repo>",
        repo_url="javascript:alert('repo')",
        date=dt.date(2026, 1, 27),
        timezone="UTC",
        language=language,
        window={
            "start": dt.datetime(2026, 1, 27, tzinfo=dt.UTC),
            "end": dt.datetime(2026, 1, 28, tzinfo=dt.UTC),
        },
        commits=commits,
        stats=report_stats(commits),
        overview=Overview(highlights=HOSTILE[:4], themes=HOSTILE[4:6]),
        analyzer="llm:evil<script>",
        generated_at=dt.datetime(2026, 1, 28, tzinfo=dt.UTC),
    )


# Synthetic reports (many days, for charts and the site benchmark) --------------------------------

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


def many_reports(repos: int, days: int, per_day: int, *, seed: int = 7, start: dt.date = dt.date(2026, 1, 1),
                 missing: frozenset[int] = frozenset()) -> list[DayReport]:  # fmt: skip
    """Reports the way the pipeline makes them (rule scores, heuristic analyses, day overview) from
    synthetic commits with realistic titles, files and (partly Chinese) authors: ``repos`` repositories ×
    ``days`` days from ``start`` (the day numbers in ``missing`` have no report), about ``per_day``
    commits a day; even-numbered repositories in Chinese."""
    rng = random.Random(seed)
    settings = load_settings(environ={}, cwd=Path(__file__).resolve().parent)
    analyzer = HeuristicAnalyzer()
    tz = "Asia/Shanghai"
    reports = []
    for r in range(repos):
        repo = f"org{r}/project{r}"
        language = "zh" if r % 2 == 0 else "en"
        for d in range(days):
            if d in missing:
                continue
            date = start + dt.timedelta(days=d)
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
