"""Issue 16: one daily digest across repositories (the render side: content, counts, links, chat)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from tests.fixtures import build_day_reports, build_sample_repo
from tests.gitrepo import CommitSpec, FileEdit, build_repo, git
from tests.publish_reports import make_report

from dailydiff.models import DayReport, Level, Overview
from dailydiff.render.digest import (
    build_day_digest,
    load_digest,
    render_digest_html,
    render_digest_json,
    render_digest_markdown,
    select_repos,
)

DAYS = [dt.date(2026, 1, 18), dt.date(2026, 1, 19), dt.date(2026, 1, 20)]
NOW = dt.datetime(2026, 1, 21, 2, 0, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _quiet_specs(n: int) -> list[CommitSpec]:
    return [
        CommitSpec(f"docs: typo {i}", dt.datetime(2026, 1, 19, 9 + i, tzinfo=SHANGHAI),
                   edits=[FileEdit("README.md", f"# readme {i}\n")])
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[DayReport]]:
    """Six repositories × three days through the real pipeline (git, heuristic analyser, SQLite)."""
    base = tmp_path_factory.mktemp("digest")
    out: dict[str, list[DayReport]] = {}
    for i, owner in enumerate(["sgl-project/sglang", "sgl-project/sgl-kernel", "vllm-project/vllm",
                               "flashinfer-ai/flashinfer", "pytorch/pytorch", "NVIDIA/TensorRT-LLM"]):  # fmt: skip
        repo = base / f"repo{i}"
        if i < 3:
            build_sample_repo(repo)  # busy: high commits, a hostile title
        else:
            build_repo(repo, _quiet_specs(i - 1))  # quiet: one to four doc fixes
        git(repo, "config", "remote.origin.url", f"https://github.com/{owner}.git")
        out[owner] = build_day_reports(repo, base / "data", DAYS, "en", NOW)
    return out


def _for_day(reports: dict[str, list[DayReport]], date: dt.date) -> dict[str, DayReport]:
    return {repo: next(r for r in days if r.date == date) for repo, days in reports.items()}


def test_select_repos_all_list_and_globs() -> None:
    available = ["sgl-project/sglang", "sgl-project/sgl-kernel", "vllm-project/vllm"]
    assert select_repos(["*"], available) == available
    assert select_repos(["sgl-project/*"], available) == available[:2]
    assert select_repos(["vllm-project/vllm", "gone/repo"], available) == ["vllm-project/vllm", "gone/repo"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_counts_equal_the_reports_and_high_commits_are_ranked(
    reports: dict[str, list[DayReport]], language: str
) -> None:
    for date in DAYS:
        day = _for_day(reports, date)
        digest = build_day_digest("all", date, sorted(day), day, language=language, timezone="Asia/Shanghai",
                                  now=NOW)  # fmt: skip
        by_repo = {r.repo: r for r in digest.repos}
        for repo, report in day.items():
            line = by_repo[repo]
            assert (line.total, line.high, line.medium, line.low) == (
                report.stats.total, report.stats.high, report.stats.medium, report.stats.low,
            )  # fmt: skip
        assert digest.total == sum(r.stats.total for r in day.values())
        expected_high = {(r.repo, rc.sha) for r in day.values() for rc in r.commits if rc.level is Level.HIGH}
        assert {(c.repo, c.sha) for c in digest.high} == expected_high
        scores = [c.score for c in digest.high if not c.watch]
        assert scores == sorted(scores, reverse=True)
        assert load_digest(render_digest_json(digest)) == digest


def test_markdown_links_resolve_and_every_repository_is_named(
    reports: dict[str, list[DayReport]], tmp_path: Path
) -> None:
    date = DAYS[1]
    day = _for_day(reports, date)
    digest = build_day_digest("all", date, [*sorted(day), "gone/repo"], day, language="en",
                              timezone="Asia/Shanghai", now=NOW)  # fmt: skip
    text = render_digest_markdown(digest)
    for repo in [*day, "gone/repo"]:
        assert repo in text
    assert "no report for the day" in text  # the missing repository is named, not hidden
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    links = [
        child.attrGet("href")
        for token in tokens
        if token.children
        for child in token.children
        if child.type == "link_open"
    ]
    reports_links = [link for link in links if link and link.startswith("../../repos/")]
    assert reports_links, links
    # Every report link points at the site path of a report that exists, and at a commit in it.
    for link in reports_links:
        match = re.fullmatch(
            r"\.\./\.\./repos/(.+?)--(.+?)/(\d{4}-\d{2}-\d{2})\.html(?:#c-([0-9a-f]{7}))?", link
        )
        assert match, link
        repo = f"{match.group(1)}/{match.group(2)}"
        report = day[repo]
        assert report.date.isoformat() == match.group(3)
        if match.group(4):
            assert any(rc.sha.startswith(match.group(4)) for rc in report.commits)
    for link in links:
        assert link and (link.startswith(("../../repos/", "https://github.com/"))), link
    # The hostile title of the sample repositories adds no link or heading.
    assert "javascript:" not in " ".join(links)
    assert sum(1 for t in tokens if t.type == "heading_open") == 4


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        self.scripts += tag == "script"


def test_html_standalone_is_self_contained(reports: dict[str, list[DayReport]]) -> None:
    date = DAYS[1]
    day = _for_day(reports, date)
    digest = build_day_digest(
        "team", date, sorted(day), day, language="zh", timezone="Asia/Shanghai", now=NOW
    )
    html = render_digest_html(digest)
    parser = _Links()
    parser.feed(html)
    assert parser.scripts == 0 and "<style>" in html and 'rel="stylesheet"' not in html
    assert all(h.startswith(("#", "../../repos/", "https://github.com/")) for h in parser.hrefs), parser.hrefs
    assert "javascript:" not in html and "<script>alert" not in html
    assert "每日汇总" in html


@pytest.mark.parametrize("service", ["discord", "slack", "feishu", "dingtalk", "wecom"])
def test_chat_fits_and_names_every_repository(service: str) -> None:
    # Forty repositories, each with a high commit: more than one message can hold.
    from dailydiff.publish import chat_formats
    from dailydiff.render.chat import digest_message

    date = dt.date(2026, 1, 19)
    base = json.loads(
        (Path(__file__).parents[1] / "golden" / "sample-2026-01-19.en.json").read_text(encoding="utf-8")
    )
    day: dict[str, DayReport] = {}
    for i in range(40):
        data = dict(base, repo=f"org{i:02d}/project-{i:02d}")
        day[data["repo"]] = DayReport.model_validate(data)
    digest = build_day_digest("all", date, sorted(day), day, language="en", timezone="Asia/Shanghai", now=NOW)
    message = digest_message(digest, "https://example.org/reports/digests/all/2026-01-19.html")
    payloads = getattr(chat_formats, f"{service}_payloads")(message, 3)
    assert 1 <= len(payloads) <= 3
    text = json.dumps(payloads, ensure_ascii=False)
    for repo in day:
        assert repo.split("/")[1] in text  # its count line, whatever the service escapes
    listed = text.count("e3e425f") // 2  # each high commit: its short sha and its link
    assert listed == len(digest.high) or "more in the full report" in text  # nothing left out silently
    if listed < len(digest.high):
        assert len(payloads) == 3  # commits left out only once the three messages are used


def test_html_shows_code_spans_as_code_never_raw_backticks() -> None:
    report = make_report(2, high_every=1)
    first = report.commits[0]
    assert first.analysis is not None
    coded = first.model_copy(update={
        "message": "feat(moe): add `fused_topk` to the `moe_align` path (#17001)\n\nbody",
        "analysis": first.analysis.model_copy(update={"summary": "Moves `topk` into `fused_moe`; faster."}),
    })  # fmt: skip
    report = report.model_copy(update={"commits": [coded, *report.commits[1:]]})
    overview = Overview(highlights=["`fused_topk` lands"], themes=["`moe` kernels ×2"])
    digest = build_day_digest("team", report.date, [report.repo], {report.repo: report}, language="zh",
                              timezone="Asia/Shanghai", overview=overview, now=NOW)  # fmt: skip
    html = render_digest_html(digest)
    for shown in ("<code>fused_topk</code>", "<code>moe_align</code>", "<code>topk</code>",
                  "<code>fused_moe</code>", "<code>moe</code> kernels"):  # fmt: skip
        assert shown in html, shown
    body = html.split("<article", 1)[1]
    assert "`" not in body, re.findall(r".{40}`.{40}", body)[:3]


def test_search_page_shows_code_spans_as_code() -> None:
    from dailydiff.render.html import PageContext, render_search

    hit = {"title": "fix `q|k` layout in <kernel>", "summary": "Uses `fused_topk` " + "and more " * 40,
           "repo": "o/r", "date": "2026-01-19", "sha": "a" * 40, "page": "repos/o--r/2026-01-19.html"}  # fmt: skip
    html = render_search(
        PageContext(root="", site_title="t", language="en"), results={"q": "k", "hits": [hit]}
    )
    results = html.split('id="search-results"', 1)[1]
    assert "<code>q|k</code>" in results and "&lt;kernel&gt;" in results
    assert "<code>fused_topk</code>" in results and "`" not in results
