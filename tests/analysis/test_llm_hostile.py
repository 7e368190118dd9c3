"""Hostile model output (headings, HTML, pipes, NUL, fences) cannot change the report's structure:
the Markdown outline and the commit table stay intact, and so does the HTML made from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nh3
import pytest
from markdown_it import MarkdownIt

from fake_llm import FakeLLM
from llm_fixtures import make_repo, run_day, settings_for

HOSTILE = "## Injected heading\n<script>alert('x')</script> | cell | split |\x00 ```\n# Top\n---\n[link](javascript:alert(1))"


def _hostile_answer(body: dict[str, Any]) -> str:
    schema = body["response_format"]["json_schema"]["schema"]
    answer: dict[str, Any] = {}
    for name, sub in schema["properties"].items():
        if sub.get("type") == "array" and "enum" in sub.get("items", {}):
            answer[name] = ["feature"]
        elif "enum" in sub:
            answer[name] = "high"
        elif sub.get("type") == "array":
            answer[name] = [HOSTILE, "| a | b |"]
        elif sub.get("type") == "object":
            answer[name] = {key: HOSTILE for key in sub["properties"]}
        else:
            answer[name] = HOSTILE
    return json.dumps(answer)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("hostile") / "repo")


def _outline(md: str) -> list[tuple[str, str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    return [(tok.tag, tokens[i + 1].content) for i, tok in enumerate(tokens) if tok.type == "heading_open"]


def _table_rows(md: str) -> list[int]:
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    rows: list[int] = []
    for tok in tokens:
        if tok.type == "tr_open":
            rows.append(0)
        elif tok.type in ("th_open", "td_open"):
            rows[-1] += 1
    return rows


@pytest.mark.parametrize("malformed", [False, True], ids=["parsed", "unparsed-raw"])
def test_hostile_model_text_keeps_outline_table_and_html_intact(
    repo: Path, tmp_path: Path, malformed: bool
) -> None:
    with FakeLLM() as fake:
        if malformed:
            fake.canned = lambda body: HOSTILE + ' {"summary": '  # never valid: kept raw, shown fenced
        else:
            fake.canned = _hostile_answer
        outcome, md = run_day(repo, settings_for(fake, tmp_path))
    report = outcome.reports[0]
    assert "\x00" not in md
    outline = _outline(md)
    commits = len(report.commits)
    levels = [lv for lv in ("high", "medium", "low") if report.by_level(lv)]  # type: ignore[arg-type]
    groups = [tag for group in levels for tag in ["h3"] + ["h4"] * len(report.by_level(group))]  # type: ignore[arg-type]
    # title, repo, overview, commits, statistics, contents, then each group with its commits: nothing else
    assert [tag for tag, _ in outline] == ["h1", "h2", "h3", "h3", "h3", "h3", *groups]
    assert sum(tag == "h4" for tag, _ in outline) == commits
    assert all("Injected" not in text and text != "Top" for _, text in outline)
    assert {text.replace("\\", "") for tag, text in outline if tag == "h4"} == {
        rc.title for rc in report.commits
    }
    assert _table_rows(md) == [3] * (commits + 1)

    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<script" not in html and "javascript:" not in html.replace("javascript:alert", "")
    assert html.count("<h4>") == commits and "<h2>Injected" not in html
    cleaned = nh3.clean(html, attributes={"a": {"href", "id"}})
    assert cleaned.count("<h4>") == commits and cleaned.count("<tr>") == commits + 1
    assert "&lt;script&gt;" in cleaned  # the model's tag is shown as text, not run
    if malformed:
        assert report.stats.unparsed == len(report.commits)
    else:
        assert report.stats.failed + report.stats.fallback == 0
