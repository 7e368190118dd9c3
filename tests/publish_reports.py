"""DayReports built directly from the models for the publishing tests: small days and a 150-commit day
full of CJK, emoji, markup characters and long summaries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dailydiff.models import (
    Analysis,
    DayReport,
    Level,
    Overview,
    Person,
    ReportCommit,
    ReportStats,
    Score,
    Window,
)
from dailydiff.render.edition import Edition, day_edition
from dailydiff.settings import load_settings

SETTINGS = load_settings(environ={}, cwd=Path("/"))
UTC = dt.UTC
NASTY = ["<b>bold</b> & <!channel> @everyone", "[x](javascript:alert(1)) *star* _u_ ~s~ `tick` | pipe",
         "# heading \\ back", "修复 fp8 注意力在空批次时的 NaN 问题 🚀👩🏽‍💻 e\u0301"]  # fmt: skip


def make_commit(
    i: int, level: Level, *, watch: list[str] | None = None, summary_words: int = 30
) -> ReportCommit:
    title = f"[Feature] commit {i}: {NASTY[i % len(NASTY)]} (#{17000 + i})"
    summary = " ".join(
        ["本次提交改进了调度器与内存池的交互，" + NASTY[(i + 1) % len(NASTY)]] * max(1, summary_words // 10)
    )
    moment = dt.datetime(2026, 1, 27, 2, 0, tzinfo=UTC) + dt.timedelta(minutes=i)
    return ReportCommit(
        repo="sgl-project/sglang",
        sha=f"{i:04x}" + "a" * 36,
        author=Person(name=f"Dev {i} <x>", email="d@example.com"),
        committer=Person(name=f"Dev {i}", email="d@example.com"),
        authored_at=moment,
        committed_at=moment,
        message=title + "\n\nbody",
        url=f"https://github.com/sgl-project/sglang/commit/{i:04x}{'a' * 36}",
        score=Score(level=level, score=9.0 if level is Level.HIGH else 2.0),
        analysis=Analysis(analyzer="heuristic", summary=summary, importance=level, depth=level),
        level=level,
        watch=watch or [],
    )


def make_report(n: int = 5, high_every: int = 2, *, watch_every: int = 0, language: str = "zh") -> DayReport:
    commits = []
    for i in range(n):
        level = Level.HIGH if i % high_every == 0 else Level.LOW
        watch = ["NPU <支持>"] if watch_every and i % watch_every == 1 else None
        commits.append(make_commit(i, level, watch=watch))
    commits.sort(key=lambda c: c.committed_at, reverse=True)
    high = sum(c.level is Level.HIGH for c in commits)
    return DayReport(
        repo="sgl-project/sglang",
        repo_url="https://github.com/sgl-project/sglang",
        date=dt.date(2026, 1, 27),
        timezone="Asia/Shanghai",
        language=language,
        window=Window(
            start=dt.datetime(2026, 1, 26, 16, tzinfo=UTC), end=dt.datetime(2026, 1, 27, 16, tzinfo=UTC)
        ),
        commits=commits,
        stats=ReportStats(total=n, high=high, low=n - high, heuristic=n),
        overview=Overview(
            highlights=["调度器重构 <script>", "NPU 支持 [link](http://x)"], themes=["性能", "NPU"]
        ),
        generated_at=dt.datetime(2026, 1, 28, 1, 0, tzinfo=UTC),
    )


def edition(report: DayReport, history: list[DayReport] | None = None) -> Edition:
    """The report's edition with the default settings (``history``: the stored days before it)."""
    return day_edition(report, SETTINGS, None if history is None else lambda _report: history)


def no_live_markup(markdown: str) -> bool:
    """Nothing from commit text became a link, an image or HTML in a Markdown chat message (CommonMark's
    reading of it: DingTalk's and WeCom's dialects are subsets)."""
    from markdown_it import MarkdownIt

    tokens = [t for block in MarkdownIt("commonmark").parse(markdown) for t in (block.children or [block])]
    links = [str(t.attrGet("href")) for t in tokens if t.type == "link_open"]
    return all(link.startswith("https://") for link in links) and not any(
        t.type in ("html_inline", "html_block", "image") for t in tokens
    )
