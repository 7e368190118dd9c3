"""The Markdown report: links resolve, headings nest, counts agree, hostile commit text stays inert."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from dailydiff.common.text import md_block, md_cell, md_inline
from dailydiff.models import DayReport, LateCommit
from dailydiff.render import render_markdown
from fixtures import add_merge, build_day_reports, build_sample_repo
from required import markdownlint

NOW = dt.datetime(2026, 1, 20, 2, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DayReport]:
    base = tmp_path_factory.mktemp("md")
    repo = base / "repo"
    build_sample_repo(repo)
    add_merge(repo)
    out: dict[str, DayReport] = {}
    for lang in ("zh", "en"):
        reports_ = build_day_reports(
            repo, base / f"data-{lang}", [dt.date(2026, 1, 19), dt.date(2026, 1, 21)], lang, NOW
        )
        out[lang] = reports_[0]
        out[f"{lang}-empty"] = reports_[1]
        # A partial day with late commits and a commit git could not read (issue 22).
        late = [LateCommit(sha=c.sha, first_seen=NOW) for c in reports_[0].commits[:2]]
        out[f"{lang}-late"] = reports_[0].model_copy(
            update={
                "partial": True,
                "late": late,
                "skipped": ["0" * 40 + " git cannot read its committer line"],
            }
        )
    return out


def _parse(text: str) -> list:  # type: ignore[type-arg]
    return MarkdownIt("commonmark").enable("table").parse(text)


def github_slug(heading: str) -> str:
    """GitHub's heading id (github-slugger): lower-case, punctuation and symbols dropped, spaces to '-'."""
    slug = []
    for char in heading.strip().lower():
        category = unicodedata.category(char)
        if char in " -":
            slug.append("-" if char == " " else char)
        elif char == "_" or category[0] in "LN" or category in {"Mn", "Mc"}:
            slug.append(char)
    return "".join(slug)


def _targets(text: str) -> set[str]:
    """Every id a #fragment can land on: explicit <a id> anchors and GitHub's heading slugs."""
    ids = set(re.findall(r'<a id="([^"]+)"></a>', text))
    tokens = _parse(text)
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            plain = "".join(
                child.content for child in inline.children or [] if child.type in {"text", "code_inline"}
            )
            ids.add(github_slug(plain))
    return ids


@pytest.mark.parametrize("lang", ["zh", "en", "zh-empty", "en-empty", "zh-late", "en-late"])
def test_every_internal_link_resolves(reports: dict[str, DayReport], lang: str) -> None:
    text = render_markdown(reports[lang])
    links = re.findall(r"\]\(#([^)]+)\)", text)
    if not lang.endswith("empty"):
        assert len(links) >= 2 * reports[lang].stats.total  # table + contents link to every commit
    missing = [link for link in links if link not in _targets(text)]
    assert not missing


@pytest.mark.parametrize("lang", ["zh", "en", "zh-empty"])
def test_headings_nest_without_jumps(reports: dict[str, DayReport], lang: str) -> None:
    levels = [int(t.tag[1]) for t in _parse(render_markdown(reports[lang])) if t.type == "heading_open"]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


def test_outline_is_exactly_ours(reports: dict[str, DayReport]) -> None:
    """Hostile titles (`# heading`, `<script>`, `|`, backticks) add no heading, cell or HTML."""
    report = reports["zh"]
    tokens = _parse(render_markdown(report))
    headings = [t for t in tokens if t.type == "heading_open"]
    groups = sum(1 for n in (report.stats.high, report.stats.medium, report.stats.low) if n)
    # title, repo, overview, commit list, stats, contents, the groups, one per commit
    assert len(headings) == 6 + groups + report.stats.total
    html = [t.content for t in tokens if t.type == "html_block"] + [
        c.content for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "html_inline"
    ]
    assert html and all(re.fullmatch(r'(<a id="[a-z0-9-]+">|</a>)(</a>)?\n?', h) for h in html), html
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == report.stats.total + 1  # header row + one per commit
    table_cells = [t for t in tokens if t.type in {"td_open", "th_open"}]
    assert len(table_cells) == 3 * len(rows)
    links = [
        c.attrGet("href")
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.type == "link_open"
    ]
    assert all(
        str(h).startswith("#") or str(h).startswith("https://github.com/sgl-project/sglang/") for h in links
    )


def test_stats_line_equals_groups_and_table(reports: dict[str, DayReport]) -> None:
    for lang in ("zh", "en"):
        report = reports[lang]
        text = render_markdown(report)
        numbers = [int(n) for n in re.findall(r"\d+", text.split("\n> ", 1)[1].split("\n", 1)[0])[:4]]
        table_rows = [line for line in text.splitlines() if re.match(r"^\| \d{4}-\d{2}-\d{2} ", line)]
        group_counts = [int(n) for n in re.findall(r"^### \S+ [^\n]*\((\d+)\)$", text, re.M)]
        blocks = re.findall(r"^#### ", text, re.M)
        total, high, medium, low = numbers
        assert total == len(table_rows) == len(blocks) == high + medium + low == sum(group_counts)
        assert [high, medium, low] == [report.stats.high, report.stats.medium, report.stats.low]
        assert report.stats.merges == 1


def test_merge_commits_are_listed_but_not_analysed(reports: dict[str, DayReport]) -> None:
    merges = [rc for rc in reports["zh"].commits if rc.is_merge]
    assert len(merges) == 1
    assert merges[0].analysis is None
    assert "合并提交" in render_markdown(reports["zh"])


def test_empty_day_says_so(reports: dict[str, DayReport]) -> None:
    assert "本日没有提交。" in render_markdown(reports["zh-empty"])
    assert "No commits on this day." in render_markdown(reports["en-empty"])


@pytest.mark.parametrize(
    "hostile",
    ["a | b", "<script>alert(1)</script>", "__init__", "`x|y`", "# heading", "line\nbreak", "nul\x00byte",
     "[link](javascript:alert(1))", "https://evil.example/x", "**bold** _em_", "<img src=x onerror=alert(1)>",
     "\\", "--- ", "1. item", "&lt;b&gt;", "![img](http://x/y.png)"],
)  # fmt: skip
def test_escapes_keep_text_inert(hostile: str) -> None:
    md = MarkdownIt("commonmark").enable("table")
    cell_doc = f"| h |\n|---|\n| {md_cell(hostile)} |\n"
    html = md.render(cell_doc)
    assert html.count("<td>") == 1 and "<script" not in html and "<img" not in html and "<h1" not in html
    assert "<a " not in html
    for render in (md_inline, md_block):
        out = md.render(f"#### {render(hostile)}\n" if render is md_inline else render(hostile))
        assert "<script" not in out and "<img" not in out and "<a " not in out
        assert out.count("<h") == (1 if render is md_inline else 0)


def test_markdownlint_is_clean(reports: dict[str, DayReport], tmp_path: Path) -> None:
    binary = markdownlint()
    files = []
    for lang in ("zh", "en", "zh-empty", "zh-late", "en-late"):
        target = tmp_path / f"{lang}.md"
        target.write_text(render_markdown(reports[lang]), encoding="utf-8")
        files.append(str(target))
    result = subprocess.run([binary, "--config", str(ROOT / ".markdownlint.json"), *files],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_partial_day_with_late_commits_says_both(reports: dict[str, DayReport]) -> None:
    text = render_markdown(reports["en-late"])
    assert "⏳ **Partial**" in text and "### ⏰ Late commits" in text and text.count("— first seen ") == 2
    assert "### ⚠️ Commits that could not be read" in text and "git cannot read its committer line" in text
    assert "未完结" in render_markdown(reports["zh-late"]) and "Partial" not in render_markdown(reports["en"])
