"""`dailydiff weekly`: digests from the stored days: counts per day, top commits, watch hits, contributors."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from dailydiff.errors import UsageError
from dailydiff.render.week import parse_week
from opsfixtures import DAYS, FIRST_DAY, REPO_ROOT, build_workspace, dailydiff, run_args
from required import markdownlint


def test_parse_week() -> None:
    today = dt.date(2026, 1, 14)  # Wednesday of 2026-W03
    assert parse_week("2026-W04", today).label == "2026-W04"
    assert parse_week("2026w4", today).monday == dt.date(2026, 1, 19)
    assert parse_week(None, today).label == "2026-W02"  # default: the last complete week
    assert parse_week("this", today).label == "2026-W03"
    assert parse_week("last", dt.date(2026, 1, 1)).label == "2025-W52"
    for bad in ("2026-W54", "2026-13", "next"):
        with pytest.raises(UsageError):
            parse_week(bad, today)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("weekly")
    expected = build_workspace(root, per_day=4)
    dailydiff(*run_args(), cwd=root)
    return root, expected


def test_weekly_digests_for_every_configured_repository(workspace: tuple[Path, dict]) -> None:
    root, expected = workspace
    assert FIRST_DAY.isocalendar()[1] == 2 and FIRST_DAY.weekday() == 0  # the fixtures fill 2026-W02
    dailydiff("weekly", "--week", "2026-W02", "--format", "md,json", "--output-dir", "weekly", cwd=root)
    for name, commits in expected.items():
        digest = json.loads(
            (root / "weekly" / "2026" / name / "weekly-2026-W02.json").read_text(encoding="utf-8")
        )
        assert digest["kind"] == "weekly" and digest["week"] == "2026-W02" and digest["missing_days"] == []
        per_day = Counter(c.date.isoformat() for c in commits)
        assert {d["date"]: d["total"] for d in digest["days"]} == dict(per_day)
        assert all(d["high"] + d["medium"] + d["low"] == d["total"] for d in digest["days"])
        assert digest["totals"]["total"] == len(commits) == 4 * DAYS
        hits = {w["topic"]: {c["sha"] for c in w["commits"]} for w in digest["watch"]}
        for topic in ("security", "kernels"):
            assert hits.get(topic, set()) == {c.sha for c in commits if topic in c.topics}
        people = {p["name"]: p["commits"] for p in digest["contributors"]}
        assert people == dict(Counter(c.author for c in commits))
        top_author = Counter(c.author for c in commits).most_common(1)[0][0]
        assert digest["contributors"][0]["name"] == top_author
        ranks = [{"high": 3, "medium": 2, "low": 1}[c["level"]] for c in digest["top_commits"]]
        assert ranks == sorted(ranks, reverse=True) and len(ranks) == 10
        md = (root / "weekly" / "2026" / name / "weekly-2026-W02.md").read_text(encoding="utf-8")
        assert md.startswith("# 每周摘要（2026-W02 · 2026-01-05 ~ 2026-01-11）")
        for heading in (
            "### 🧭 本周要点",
            "### 👀 关注",
            "### 📅 每日统计",
            "### ⭐ 重要提交",
            "### 👥 贡献者",
        ):
            assert heading in md
        assert f"| **合计** | **{len(commits)}** |" in md


def test_weekly_for_one_source_with_missing_days_and_with_none(
    workspace: tuple[Path, dict], tmp_path: Path
) -> None:
    root, _ = workspace
    repo = root / "repos" / "proj1"
    data = tmp_path / "data"
    dailydiff(
        "report", repo, "--from", "2026-01-05", "--to", "2026-01-07", "--data-dir", data, "-q", cwd=root
    )
    result = dailydiff("weekly", repo, "--week", "2026-W02", "--data-dir", data, cwd=root)
    assert "| 2026-01-08 (四) | 未生成 |" in result.stdout
    assert "### 👀 关注" in result.stdout  # `report` applies the config's watch topics too
    assert (
        "缺少 4 天的日报" in result.stdout
        and "dailydiff run --from 2026-01-08 --to 2026-01-11" in result.stdout
    )
    english = dailydiff(
        "weekly", "proj1", "--week", "2026-W02", "--data-dir", data, "--lang", "en", cwd=root, check=False
    )
    assert english.returncode == 1  # stored in Chinese only
    assert english.stderr.strip().startswith("dailydiff: error: no stored reports of proj1 (en) in 2026-W02")
    empty = dailydiff("weekly", repo, "--week", "2026-W10", "--data-dir", data, cwd=root, check=False)
    assert empty.returncode == 1 and len(empty.stderr.strip().splitlines()) == 1


def test_weekly_markdown_passes_markdownlint(workspace: tuple[Path, dict], tmp_path: Path) -> None:
    tool = markdownlint()
    root, _ = workspace
    dailydiff("weekly", "--week", "2026-W02", "--output-dir", tmp_path / "lint", cwd=root)
    full = (tmp_path / "lint" / "2026" / "proj0" / "weekly-2026-W02.md").read_text(encoding="utf-8")
    data = tmp_path / "data"
    dailydiff("report", root / "repos" / "proj0", "--date", "2026-01-06", "--data-dir", data, "-q", cwd=root)
    partial = dailydiff("weekly", root / "repos" / "proj0", "--week", "2026-W02", "--lang", "zh",
                        "--data-dir", data, cwd=root).stdout  # fmt: skip
    for name, text in {"full.md": full, "partial.md": partial}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = str(REPO_ROOT / ".markdownlint.json")
    args = [tool, "--config", config, "full.md", "partial.md"]
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_weekly_with_weekly_publishers_set_still_prints_writes_and_publishes(tmp_path: Path) -> None:
    """Issue 63 item 1: once `[weekly] publishers` names a target, `weekly` printed nothing, wrote nothing
    with -o and exited 0: the week's targets were chosen by the unit from the command's (empty) publishers,
    and the unit's failure was said nowhere. The plan chooses them now: the outputs without --publish."""
    build_workspace(tmp_path, repos=1, per_day=2, extra_toml=(
        '\n[weekly]\npublishers = ["files"]\n\n[[publish]]\ntype = "files"\nname = "files"\ndirectory = "pub"\n'
    ))  # fmt: skip
    last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    dailydiff("report", "repos/proj0", "--from", FIRST_DAY.isoformat(), "--to", last.isoformat(), "-o", "days",
              cwd=tmp_path)  # fmt: skip
    printed = dailydiff("weekly", "--week", "2026-W02", cwd=tmp_path)
    assert printed.stdout.startswith("# 每周摘要（2026-W02"), printed.stdout[:200]
    dailydiff("weekly", "--week", "2026-W02", "-o", "weeks", "--force", cwd=tmp_path)
    assert (tmp_path / "weeks" / "2026" / "proj0" / "weekly-2026-W02.md").is_file()
    assert not (tmp_path / "pub").exists()  # without --publish nothing is delivered
    published = dailydiff("weekly", "--week", "2026-W02", "--publish", cwd=tmp_path)
    assert "✓ publish files week proj0 2026-W02: ok" in published.stderr
    weeks = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "pub").rglob("weekly-*.md"))
    assert weeks == ["pub/reports/2026/proj0/weekly-2026-W02.md"]  # under the target's one root, by its days


def test_a_week_page_never_cuts_a_summary_inside_a_code_span() -> None:
    """Issue 63 item 11: a week page cut a long summary inside `code`, leaving a lone backtick that opens
    code up to the next one. The cut moves before the span (or closes it when little would be left)."""
    from dailydiff.common.text import shorten
    from dailydiff.models import Level
    from dailydiff.render.week import DigestCommit
    from dailydiff.render.weekly import _link

    words = "Fixes the paged allocator so that appending to a long sequence never overflows its pages " * 2
    summary = words + "when `paged_kv_cache_append_with_a_long_name` is called twice in one step."
    assert len(words) < 200 < len(words) + 30  # the page's 200 columns end inside the span
    commit = DigestCommit(date=dt.date(2026, 7, 6), sha="a" * 40, committed_at=dt.datetime(2026, 7, 6, 9, tzinfo=dt.UTC),
                          title="fix: allocator", author="A", level=Level.HIGH, score=1.0, summary=summary)  # fmt: skip
    shown = _link(commit, 80)["summary"]
    assert shown.count("`") % 2 == 0 and shown.endswith("...") and shown.startswith(words.strip()), shown
    # a span from the start is closed after the dots instead: still code, no lone backtick
    assert shorten("`a_very_long_identifier_name` rest", 12) == "`a_very_long...`"
    # every cut of a text with spans keeps its backticks paired
    text = "use `x_y` then `paged_kv` and ``a`b`` done " * 3
    spans = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
    lone = {n: cut for n in range(4, len(text)) if "`" in spans.sub("", cut := shorten(text, n))}
    assert not lone, lone
