"""A week against the weeks before it, its risk signals, agent-written commits and the stakeholder edition,
each figure recounted here from the day reports' JSON files (not from our own counting code)."""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dailydiff.models import ChangeType, DayReport
from dailydiff.render.chat import day_message
from dailydiff.render.plainwords import is_technical
from dailydiff.render.stakeholder import LINKS_PER_THEME
from gitrepo import CommitSpec, FileEdit, build_repo, git
from opsfixtures import dailydiff

UTC = dt.UTC
WEEKS = {"2026-W27": dt.date(2026, 6, 29), "2026-W28": dt.date(2026, 7, 6), "2026-W29": dt.date(2026, 7, 13)}
CLAUDE_TRAILER = "Co-authored-by: Claude <noreply@anthropic.com>"
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BARE_URL_RE = re.compile(r"<?https?://[^\s)>]+>?")


def outside_links(markdown: str) -> str:
    """The text of an edition without its link targets (what a reader reads): Markdown links' targets, and
    the bare addresses a mail's text part shows (``title (https://…)``, ``<https://…>``)."""
    return _BARE_URL_RE.sub("", _LINK_RE.sub(r"\1", markdown))


def technical_words(text: str) -> list[str]:
    """The tokens of ``text`` that name code (render/plainwords.py's shapes)."""
    return [token for token in text.split() if is_technical(token)]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _spec(day: dt.date, hour: int, message: str, path: str, author: str = "Alice", **kw: Any) -> CommitSpec:
    email = kw.pop("email", f"{author.split()[0].lower()}@example.com")
    return CommitSpec(message, _at(day, hour), author=author, email=email,
                      edits=[FileEdit(path, f"{message}\n{hour}\n")], **kw)  # fmt: skip


def _specs() -> list[CommitSpec]:
    w27, w28, w29 = WEEKS.values()
    quiet = [
        _spec(w27, 9, "feat(core): add the scheduler", "src/core/scheduler.py"),
        _spec(w27 + dt.timedelta(days=1), 9, "feat(core): add the planner", "src/core/planner.py"),
        _spec(w27 + dt.timedelta(days=2), 9, "fix(io): close files", "src/io/files.py", author="Bob"),
        _spec(w28, 9, "feat(core): add a queue", "src/core/queue.py"),
        _spec(w28 + dt.timedelta(days=2), 9, "docs: explain the planner", "docs/planner.md", author="Carol"),
    ]
    d = [w29 + dt.timedelta(days=i) for i in range(7)]
    burst = [
        _spec(d[0], 8, "fix(core): handle an empty queue", "src/core/queue.py"),
        _spec(d[0], 10, f"fix(io): retry short reads\n\nFound while testing.\n\n{CLAUDE_TRAILER}\n", "src/io/read.py",
              author="Bob"),
        _spec(d[1], 9, "fix(core): stop the planner leaking", "src/core/planner.py", author="Dave",
              committer="Copilot", email="198982749+Copilot@users.noreply.github.com"),
        _spec(d[1], 11, "fix: ask Claude-style prompts politely", "src/io/prompt.py", author="Erin"),
        _spec(d[2], 9, 'Revert "feat(core): add a queue"', "src/core/queue.py"),
        _spec(d[2], 11, 'Revert "feat(core): add the planner"', "src/core/planner.py"),
        _spec(d[3], 9, 'Revert "fix(io): close files"', "src/io/files.py", author="Bob"),
        _spec(d[3], 11, "fix(core): keep the scheduler alive", "src/core/scheduler.py"),
        _spec(d[4], 9, "fix(io): flush on close", "src/io/files.py", author="Bob"),
        _spec(d[4], 11, 'Reland "feat(core): add a queue"', "src/core/queue.py"),
        _spec(d[5], 9, "feat(gpu): a new kernel", "src/gpu/kernel.cu", author="Frank"),
    ]  # fmt: skip
    return quiet + burst


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("weeks")
    repo = root / "proj"
    shas = build_repo(repo, _specs())
    git(repo, "remote", "add", "origin", "https://github.com/example/proj")
    data = root / "data"
    common = ("--data-dir", data, "--tz", "UTC", "--lang", "en")
    dailydiff("report", repo, "--from", "2026-06-29", "--to", "2026-07-19", "--format", "md,json,html",
              "-o", root / "days", "-q", "--analyzer", "heuristic", *common, cwd=root)  # fmt: skip
    out: dict[str, Any] = {"root": root, "repo": repo, "data": data, "common": common, "shas": shas}
    for week in WEEKS:
        for fmt in ("json", "md"):
            out[week, fmt] = dailydiff(
                "weekly", repo, "--week", week, "--format", fmt, *common, cwd=root
            ).stdout
    out["stakeholder"] = dailydiff("weekly", repo, "--week", "2026-W29", "--audience", "stakeholder",
                                   *common, cwd=root).stdout  # fmt: skip
    out["days"] = {
        dt.date.fromisoformat(p.stem): json.loads(p.read_text(encoding="utf-8"))
        for p in (root / "days").rglob("*.json")
    }
    return out


# --- the recount: our own reading of the day JSON files -------------------------------------------------


def _week_days(days: dict[dt.date, dict], monday: dt.date) -> list[dict]:
    return [days[monday + dt.timedelta(days=i)] for i in range(7) if monday + dt.timedelta(days=i) in days]


def _commits(day_reports: list[dict]) -> list[dict]:
    return [c for day in day_reports for c in day["commits"]]


def _types(c: dict) -> set[str]:
    return set((c.get("analysis") or {}).get("change_types") or [])


def _person(c: dict) -> str:
    a = c["author"]
    return (a.get("login") or a.get("email") or a["name"]).lower()


def _areas(c: dict) -> set[str]:
    return {"/".join(f["path"].split("/")[:-1][:2]) or "/" for f in c["files"]}


def _recount(days: dict[dt.date, dict], monday: dt.date) -> dict[str, Any]:
    commits = _commits(_week_days(days, monday))
    before = [_commits(_week_days(days, monday - dt.timedelta(days=7 * k))) for k in range(1, 9)]
    seen = {_person(c) for week in before for c in week if len(c["parents"]) < 2}
    people = {_person(c): c["author"]["name"] for c in commits if len(c["parents"]) < 2}
    fixes = sum(1 for c in commits if "bugfix" in _types(c))
    return {
        "total": len(commits),
        "levels": dict(Counter(c["level"] for c in commits)),
        "types": dict(Counter(t for c in commits for t in _types(c))),
        "areas": dict(Counter(a for c in commits for a in _areas(c))),
        "fixes": fixes,
        "reverts": sum(1 for c in commits if "revert" in _types(c)),
        "relands": sum(1 for c in commits if c["title"].lower().startswith(("reland", "re-land", "reapply"))),
        "contributors": len(people),
        "new": sorted(n for k, n in people.items() if k not in seen),
        "returning": sorted(n for k, n in people.items() if k in seen),
        "agents": sum(1 for c in commits if c["agent"]),
        "recent_areas": {a for week in before[:4] for c in week for a in _areas(c)},
        "revert_counts": [sum(1 for c in w if "revert" in _types(c)) for w in before if w],
    }


def _arrow(now: int, then: int) -> str:
    return "=" if now == then else ("↑" if now > then else "↓") + str(abs(now - then))


def test_each_week_over_week_figure_equals_a_recount_from_the_day_json(weeks: dict[str, Any]) -> None:
    days = weeks["days"]
    digest = json.loads(weeks["2026-W29", "json"])
    md = weeks["2026-W29", "md"]
    for figures, monday in ((digest["figures"], WEEKS["2026-W29"]),
                            (digest["comparison"]["previous_week"], WEEKS["2026-W28"])):  # fmt: skip
        mine = _recount(days, monday)
        assert figures["total"] == mine["total"]
        assert figures["levels"] == mine["levels"]
        assert figures["types"] == mine["types"]
        assert figures["areas"] == mine["areas"]
        assert figures["fixes"] == mine["fixes"] and figures["fix_share"] == round(
            mine["fixes"] / mine["total"], 4
        )
        assert (figures["reverts"], figures["relands"]) == (mine["reverts"], mine["relands"])
        assert figures["contributors"] == mine["contributors"]
        assert sorted(figures["new_contributors"]) == mine["new"]
        assert sorted(figures["returning_contributors"]) == mine["returning"]
        assert figures["agent_commits"] == mine["agents"]
    now, then = _recount(days, WEEKS["2026-W29"]), _recount(days, WEEKS["2026-W28"])
    assert now["total"] == 11 and now["reverts"] == 3 and now["relands"] == 1 and now["agents"] == 2
    # The edition states each figure with its change against the week before.
    assert f"- Commits: {now['total']} ({_arrow(now['total'], then['total'])})" in md
    for level in ("high", "medium", "low"):
        n, b = now["levels"].get(level, 0), then["levels"].get(level, 0)
        assert re.search(rf"{level.capitalize()} {n}" + (rf" \({re.escape(_arrow(n, b))}\)"), md), level
    pct, before_pct = round(100 * now["fixes"] / now["total"]), round(100 * then["fixes"] / then["total"])
    assert f"Fix share: {pct}% ({now['fixes']} of {now['total']}; {_arrow(pct, before_pct)} points)" in md
    assert (f"Reverts: {now['reverts']} ({_arrow(now['reverts'], then['reverts'])}) · "
            f"re-lands: {now['relands']} ({_arrow(now['relands'], then['relands'])})") in md  # fmt: skip
    assert (f"Contributors: {now['contributors']} ({_arrow(now['contributors'], then['contributors'])}) · "
            f"new: {len(now['new'])} · returning: {len(now['returning'])}") in md  # fmt: skip
    new_areas = sorted(set(now["areas"]) - now["recent_areas"])
    assert new_areas == ["src/gpu"] and digest["comparison"]["new_areas"] == new_areas
    assert "New areas (work this week, none in the four weeks before): src/gpu" in md
    history = digest["comparison"]["history"]
    assert len(history) == 8 and history[-1]["week"] == "2026-W29" and history[-1]["total"] == now["total"]
    assert [h["total"] for h in history if h["stored"]] == [3, 2, 11]
    # The first stored week has none before it, and says so.
    first = json.loads(weeks["2026-W27", "json"])
    assert first["comparison"]["previous_week"] is None
    assert "No week before this one is stored: nothing to compare with." in weeks["2026-W27", "md"]
    assert "(first week)" in first["summary"]


def test_a_revert_burst_and_a_fix_share_over_half_show_both_signals_and_a_quiet_week_none(
    weeks: dict[str, Any],
) -> None:
    days = weeks["days"]
    digest = json.loads(weeks["2026-W29", "json"])
    kinds = {s["kind"]: s for s in digest["signals"]}
    assert set(kinds) == {"fix_share", "reverts"}
    commits = _commits(_week_days(days, WEEKS["2026-W29"]))
    fixes = {c["sha"] for c in commits if "bugfix" in _types(c)}
    reverts = {c["sha"] for c in commits if "revert" in _types(c)}
    assert {c["sha"] for c in kinds["fix_share"]["commits"]} == fixes and len(fixes) * 2 > len(commits)
    assert {c["sha"] for c in kinds["reverts"]["commits"]} == reverts
    median = statistics.median(_recount(days, WEEKS["2026-W29"])["revert_counts"])
    assert kinds["reverts"]["figures"]["median"] == median == 0
    md = weeks["2026-W29", "md"]
    line = next(
        x for x in md.splitlines() if x.startswith("- Reverts this week: 3, above the usual 0 a week")
    )
    assert all(sha[:7] in line for sha in reverts)
    assert "More than half of this week's commits were fixes: 6 of 11 (55%)." in md
    quiet = json.loads(weeks["2026-W28", "json"])
    assert quiet["signals"] == [] and "No risk signal this week." in weeks["2026-W28", "md"]
    assert "no risk signal" in quiet["summary"] and "2 risk signal(s)" in digest["summary"]


def test_agent_written_commits_are_marked_in_every_format_and_a_mention_is_not(weeks: dict[str, Any]) -> None:
    day = weeks["days"][WEEKS["2026-W29"]]
    second = weeks["days"][WEEKS["2026-W29"] + dt.timedelta(days=1)]
    by_title = {c["title"]: c for c in day["commits"] + second["commits"]}
    assert by_title["fix(io): retry short reads"]["agent"] == "Claude"
    assert by_title["fix(core): stop the planner leaking"]["agent"] == "Copilot"
    assert by_title["fix: ask Claude-style prompts politely"]["agent"] is None
    assert by_title["fix(core): handle an empty queue"]["agent"] is None
    root = weeks["root"] / "days"
    md = (next(root.rglob("2026-07-13.md"))).read_text(encoding="utf-8")
    row = next(x for x in md.splitlines() if "retry short reads" in x and x.startswith("|"))
    assert "🤖 Claude" in row and "**🤖 Written with**: Claude" in md and "| 🤖 by coding agents 1 |" in md
    md2 = (next(root.rglob("2026-07-14.md"))).read_text(encoding="utf-8")
    assert "🤖 Copilot" in md2
    assert not any("🤖" in x for x in md2.splitlines() if "Claude-style" in x and x.startswith("|"))
    html = (next(root.rglob("2026-07-13.html"))).read_text(encoding="utf-8")
    assert '<span class="agent" title="🤖 Written with">🤖 Claude</span>' in html
    message = day_message(DayReport.model_validate(second))
    text = "\n".join("".join(s.text for s in line) for sec in message.sections for line in sec.lines)
    assert "🤖 Copilot" in text and "Claude-style" not in text.split("🤖 Copilot")[1].split("\n")[0]
    found = dailydiff("search", "planner OR reads OR prompts", "--agent", *weeks["common"][:2], "--json",
                      cwd=weeks["root"]).stdout  # fmt: skip
    titles = {r["title"] for r in json.loads(found)["commits"]}
    assert titles == {"fix(io): retry short reads", "fix(core): stop the planner leaking"}
    week = json.loads(weeks["2026-W29", "json"])
    assert week["figures"]["agents"] == {"Claude": 1, "Copilot": 1}


def test_the_stakeholder_edition_has_no_path_identifier_or_hash_and_links_every_theme(
    weeks: dict[str, Any],
) -> None:
    """The stakeholder week, read with an oracle of its own (the week's file paths and its commit hashes; not
    the product's word shapes): none is in what a reader reads, of the week as built and
    of the week whose summary and themes name them, as a model might. Killed mutant (issue 86): `bare()`
    returning its text — the old test checked with the product's regex, on editions where no path ever
    reached it, and passed."""
    text = weeks["stakeholder"]
    assert len(text) <= 2500
    week_commits = _commits(_week_days(weeks["days"], WEEKS["2026-W29"]))
    forbidden = _technical(week_commits)
    assert not [f for f in forbidden if f in _read(text)], [f for f in forbidden if f in _read(text)]
    themes = [x for x in text.splitlines() if x.startswith("- **")]
    assert themes and all(re.search(r"\[\d+\]\(https://github\.com/example/proj/commit/[0-9a-f]{40}\)", x)
                          for x in themes)  # fmt: skip
    week_shas = {c["sha"] for c in _commits(_week_days(weeks["days"], WEEKS["2026-W29"]))}
    counted = 0
    for line in themes:  # its commits linked (one screen: the first five, and how many more)
        count = int(re.search(r"\*\* \((\d+)\)", line).group(1))  # type: ignore[union-attr]
        linked = set(re.findall(r"/commit/([0-9a-f]{40})", line))
        assert linked <= week_shas and len(linked) == min(count, LINKS_PER_THEME)
        assert (f"and {count - LINKS_PER_THEME} more" in line) == (count > LINKS_PER_THEME)
        counted += count
    assert counted == len(week_shas)
    assert text.splitlines()[2].startswith("**proj 2026-W29: 11 commits (↑9 vs last week)")
    assert "More than half of this week's commits were fixes" in text
    # What a model writes of this week, naming its own paths and hashes (the fixture's editions
    # hold none: the rule-based themes are labels): neither the Markdown nor the chat message shows one.
    said, message = _edition_saying(weeks, sorted(forbidden))
    shown = [f for f in forbidden if f in said]
    assert not shown, shown
    assert message.counts and len(message.sections[-1].lines) == 1  # the planted theme, its commits linked
    assert all(any(s.url for s in line) for line in message.sections[-1].lines)


def _technical(commits: list[dict]) -> set[str]:
    """What no stakeholder reads: each file path, each hash in full and as the 12 characters our editions
    show. (Not yet its directories or 7-character hashes: a two-letter directory, ``src/io``, and a short hash
    of digits only, ``9685496``, pass render/plainwords.py's shapes, as "and/or" and a number must.)"""
    return (
        {c["sha"] for c in commits}
        | {c["sha"][:12] for c in commits}
        | {f["path"] for c in commits for f in c["files"]}
    )


def _read(markdown: str) -> str:
    """What a reader reads: the text without link targets (our own reading, not the product's)."""
    return re.sub(r"\]\([^)]*\)", "]", markdown)


def _edition_saying(weeks: dict[str, Any], planted: list[str]) -> tuple[str, Any]:
    """The stakeholder week 2026-W29 whose summary and one theme say ``planted`` (as a model might write them):
    what a reader reads of its Markdown and chat message, and the message."""
    from dailydiff.engine.weekly import build_week, edition_of
    from dailydiff.render.stakeholder import render_stakeholder_markdown
    from dailydiff.render.week import Theme, parse_week
    from dailydiff.settings import load_settings
    from dailydiff.store import Store

    settings = load_settings(
        environ={}, cwd=Path("/"), overrides={"report": {"timezone": "UTC", "language": "en"}}
    )
    with Store.open(weeks["data"]) as store:
        week = build_week(store, "example/proj", parse_week("2026-W29", dt.date(2026, 7, 20)), settings,
                          audience="stakeholder")  # fmt: skip
        assert week is not None and week.themes
        said = " and ".join(planted)
        week = week.model_copy(update={
            "summary": f"Queue work: {said}.",
            "themes": [Theme(title=f"Fixes in {said}", meaning=f"Users of {said} see fewer hangs.", count=2,
                             commits=week.themes[0].commits)],
        })  # fmt: skip
        text = _read(render_stakeholder_markdown(week))
        message = edition_of(store, week, settings).message()
    spans = " ".join(s.text for section in message.sections for line in section.lines for s in line)
    return f"{text}\n{message.title} {message.counts} {spans}", message


def test_a_stakeholder_week_whose_summary_and_themes_name_code_shows_none_of_it(
    weeks: dict[str, Any],
) -> None:
    """A model's summary and themes that name paths, identifiers, hashes and calls: the stakeholder Markdown and
    chat message show none of them (the planted strings themselves are the oracle)."""
    planted = [
        "src/core/queue.py",
        "lib/net",
        "queue.py",
        "parse_line",
        "getQueue",
        "close_all()",
        "9f3c2b1d",
        "`x`",
    ]
    said, _ = _edition_saying(weeks, planted)
    assert not [p for p in planted if p in said], said
    assert "Queue work" in said and "fewer hangs" in said  # the words around them stay


def test_with_an_llm_each_edition_is_one_request_kept_and_its_tokens_and_cost_are_shown(
    weeks: dict[str, Any], tmp_path: Path
) -> None:
    from fake_llm import FakeLLM

    with FakeLLM() as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_PRICE": "2.0", "DAILYDIFF_LLM_RETRIES": "1"}  # fmt: skip
        args = ("weekly", weeks["repo"], "--week", "2026-W29", *weeks["common"])
        text = dailydiff(*args, "--audience", "stakeholder", cwd=weeks["root"], env=env).stdout
        week_requests = [
            r for r in fake.requests if "themes" in json.dumps(r.body.get("response_format", {}))
        ]
        assert len(week_requests) == 1
        again = dailydiff(*args, "--audience", "stakeholder", cwd=weeks["root"], env=env).stdout
        assert [
            r for r in fake.requests if "themes" in json.dumps(r.body.get("response_format", {}))
        ] == week_requests
        assert again == text or again.split("*Generated")[0] == text.split("*Generated")[0]
        data = json.loads(dailydiff(*args, "--audience", "stakeholder", "--format", "json", cwd=weeks["root"],
                                    env=env).stdout)  # fmt: skip
    prompt = week_requests[0].prompt_text
    assert "[11] feature · src/gpu · feat(gpu): a new kernel" in prompt and "More than half" in prompt
    # The fake answers every string field with `<field> of “the day”` and every commit list with [1, 1].
    assert data["summary"] == "summary of “the day”" and text.splitlines()[2] == "**summary of “the day”**"
    assert [t["title"] for t in data["themes"]] == ["title of “the day”"] * 2
    first = _week_days(weeks["days"], WEEKS["2026-W29"])[0]["commits"][-1]["sha"]  # [1]: the week's oldest
    assert all([c["sha"] for c in t["commits"]] == [first] for t in data["themes"])
    assert len(text) <= 2500 and not technical_words(outside_links(text))
    themes = [x for x in text.splitlines() if x.startswith("- **")]
    assert len(themes) == 2 and all(
        f"[1](https://github.com/example/proj/commit/{first})" in x for x in themes
    )
    usage = data["usage"]
    tokens = usage["edition_prompt_tokens"] + usage["edition_completion_tokens"]
    assert tokens > 0 and usage["priced"] and usage["edition_cost"] == pytest.approx(tokens * 2.0 / 1e6)
    assert (
        usage["prompt_tokens"] + usage["completion_tokens"] == tokens
    )  # the days were analysed by the rules
    assert f"Cost of the week: {tokens:,} tokens, ${usage['cost']:.4f}" in text


def test_the_mcp_search_tool_keeps_agent_written_commits_for_agent_yes(
    weeks: dict[str, Any], tmp_path: Path
) -> None:
    from test_mcp import _session, _text

    found: dict[str, list[str]] = {}

    async def body(client: Any) -> None:
        for question in ("planner OR reads OR prompts agent:yes", "planner OR reads OR prompts"):
            result = await client.call_tool("search", {"question": question, "limit": 20})
            found[question] = [c["title"] for c in json.loads(_text(result))["commits"]]

    _session(tmp_path, {"DAILYDIFF_DATA_DIR": str(weeks["data"])}, body)
    assert set(found["planner OR reads OR prompts agent:yes"]) == {
        "fix(io): retry short reads",
        "fix(core): stop the planner leaking",
    }
    assert "fix: ask Claude-style prompts politely" in found["planner OR reads OR prompts"]


def test_a_breaking_change_a_security_fix_and_a_day_that_failed_are_each_a_signal_with_its_commits() -> None:
    from dailydiff.models import Gate
    from dailydiff.render.week_compare import compare
    from dailydiff.render.week_words import signal_text

    golden = Path(__file__).parents[1] / "golden" / "sample-2026-01-19.en.json"
    report = DayReport.model_validate_json(golden.read_text(encoding="utf-8"))
    first, second, *rest = report.commits
    assert first.analysis is not None and second.analysis is not None
    breaking = first.model_copy(update={"message": first.message + "\n\nBREAKING CHANGE: the flag is gone"})
    security = second.model_copy(
        update={"analysis": second.analysis.model_copy(update={"change_types": [ChangeType.SECURITY]})}
    )
    day = report.model_copy(update={"commits": [breaking, security, *rest]})
    failed = report.model_copy(update={"date": report.date + dt.timedelta(days=1), "commits": [],
                                       "gate": Gate(failed=3, analysable=4, limit=0.5)})  # fmt: skip
    monday = report.date - dt.timedelta(days=report.date.weekday())
    _, _, signals = compare(monday, {day.date: day, failed.date: failed})
    by_kind = {s.kind: s for s in signals}
    assert set(by_kind) == {"breaking", "security", "failed_day"}
    assert [c.sha for c in by_kind["breaking"].commits] == [first.sha]
    assert [c.sha for c in by_kind["security"].commits] == [second.sha]
    assert by_kind["failed_day"].figures == {"date": failed.date.isoformat(), "failed": 3, "analysable": 4}
    assert signal_text(by_kind["breaking"], "en").startswith("1 breaking change(s)")
    assert (
        signal_text(by_kind["failed_day"], "zh")
        == f"{failed.date.isoformat()} 的报告未能正常生成：4 个分析中 3 个失败。"
    )
    # The same week without them is quiet.
    _, _, none = compare(monday, {report.date: report.model_copy(update={"commits": rest})})
    assert none == []


def test_every_digest_edition_opens_with_its_one_line_and_a_stakeholder_digest_names_no_code(
    weeks: dict[str, Any], tmp_path: Path
) -> None:
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        '[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[[digest]]\nname = "team"\n', encoding="utf-8"
    )
    args = ("digest", "--date", "2026-07-14", "--config", config, "--data-dir", weeks["data"], "-q")
    engineer = dailydiff(*args, cwd=tmp_path).stdout
    line = "**team 2026-07-14: 2 commits in 1 of 1 repositories, 0 high-importance; busiest: proj (2).**"
    assert engineer.splitlines()[2] == line
    stakeholder = dailydiff(*args, "--audience", "stakeholder", cwd=tmp_path).stdout
    assert stakeholder.splitlines()[2] == line and "- **proj**: 2 ·" in stakeholder
    assert not technical_words(outside_links(stakeholder)) and len(stakeholder) <= 2500
    bad = dailydiff(*args, "--audience", "managers", cwd=tmp_path, check=False)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "dailydiff: error: unknown audience 'managers' — use --audience engineer or --audience stakeholder"
    ]


def test_one_week_goes_to_engineers_as_today_and_to_a_managers_mail_as_the_stakeholder_edition(
    weeks: dict[str, Any], tmp_path: Path
) -> None:
    from smtp_server import SmtpServer, email_publish_toml, make_certificate

    (tmp_path / "tls").mkdir()
    cert, key = make_certificate(tmp_path / "tls")
    server = SmtpServer(cert, key, password="pw-week-3").start()
    try:
        team = email_publish_toml(server, "SMTP_PASSWORD") + 'name = "team"\n'
        managers = (email_publish_toml(server, "SMTP_PASSWORD").replace("team@example.com", "boss@example.com")
                    + 'name = "managers"\naudience = "stakeholder"\n')  # fmt: skip
        config = tmp_path / "dailydiff.toml"
        config.write_text('[report]\ntimezone = "UTC"\nlanguage = "en"\n' + team + managers, encoding="utf-8")
        dailydiff("weekly", weeks["repo"], "--week", "2026-W29", "--publish", "--config", config,
                  "--data-dir", weeks["data"], "-q", cwd=tmp_path, env={"SMTP_PASSWORD": "pw-week-3"})  # fmt: skip
    finally:
        server.stop()
    by_rcpt = {e.recipients[0]: e.message for e in server.received}
    assert set(by_rcpt) == {"team@example.com", "boss@example.com"}
    engineer = by_rcpt["team@example.com"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    stakeholder = by_rcpt["boss@example.com"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # the text part is text, not Markdown source (issue 63): headings without their marks
    assert (
        "\n📈 Week over week" in engineer
        and "\n⭐ Most important commits" in engineer
        and "###" not in engineer
    )
    assert "\n🧭 What changed" in stakeholder and "Most important commits" not in stakeholder
    assert not technical_words(outside_links(stakeholder))


def test_a_theme_or_summary_sentence_naming_what_the_week_did_not_show_is_removed(
    weeks: dict[str, Any], tmp_path: Path
) -> None:
    """Every claim checked (issue 81): the week's summary and stakeholder themes are traced to the commits
    and figures the model was shown; a sentence naming a file, a function or a pull request that none of
    them has goes, and a theme whose title goes is dropped."""
    from fake_llm import FakeLLM

    def inventing(body: dict[str, Any]) -> str | None:
        if "themes" not in json.dumps(body.get("response_format", {})):
            return None
        return json.dumps({
            "summary": "A busy week of kernels. It also rewrote csrc/invented_week_kernel.cu.",
            "themes": [{"title": "Faster kernels", "meaning": "Users get quicker runs. See #97531.", "commits": [1]},
                       {"title": "The invented_week_fn() rework", "meaning": "Nothing.", "commits": [1]}],
        })  # fmt: skip

    with FakeLLM(canned=inventing) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model}
        args = ("weekly", weeks["repo"], "--week", "2026-W29", *weeks["common"])
        data = json.loads(dailydiff(*args, "--audience", "stakeholder", "--format", "json", cwd=tmp_path,
                                    env=env).stdout)  # fmt: skip
    assert data["summary"] == "A busy week of kernels."
    assert [(t["title"], t["meaning"]) for t in data["themes"]] == [
        ("Faster kernels", "Users get quicker runs.")
    ]
    assert not any(word in json.dumps(data) for word in ("invented_week", "97531"))


def test_a_half_built_week_says_so_and_the_week_after_is_not_compared_with_it(tmp_path: Path) -> None:
    """Issue 86 failure 9: only Monday and Tuesday of 2026-W28 are stored. Its stakeholder edition says 2 of 7
    days, naming the 5 missing; 2026-W29 (whole) is not compared with those 2 days as if they were a week:
    no arrow, and a line saying why — in the Markdown and the chat message alike."""
    repo = tmp_path / "proj"
    build_repo(repo, _specs())
    git(repo, "remote", "add", "origin", "https://github.com/example/proj")
    common = ("--data-dir", tmp_path / "data", "--tz", "UTC", "--lang", "en")
    for first, last in (("2026-07-06", "2026-07-07"), ("2026-07-13", "2026-07-19")):
        dailydiff("report", repo, "--from", first, "--to", last, "-q", "--analyzer", "heuristic", *common,
                  cwd=tmp_path)  # fmt: skip
    half = dailydiff("weekly", repo, "--week", "2026-W28", "--audience", "stakeholder", *common, cwd=tmp_path)
    missing = ", ".join(f"2026-07-{d:02d}" for d in range(8, 13))
    assert f"Only 2 of 7 days of this week are stored (missing: {missing})" in half.stdout, half.stdout
    after = dailydiff(
        "weekly", repo, "--week", "2026-W29", "--audience", "stakeholder", *common, cwd=tmp_path
    )
    text = after.stdout
    assert "Only 2 of 7 days of the week before (2026-W28) are stored: not compared." in text, text
    assert "vs last week" not in text and not re.search(r"[↑↓]\d", text), text
    assert "of this week are stored" not in text  # W29 is whole
    from dailydiff.engine.weekly import build_week, edition_of
    from dailydiff.render.week import parse_week
    from dailydiff.settings import load_settings
    from dailydiff.store import Store

    settings = load_settings(
        environ={}, cwd=Path("/"), overrides={"report": {"timezone": "UTC", "language": "en"}}
    )
    with Store.open(tmp_path / "data") as store:
        week = build_week(store, "example/proj", parse_week("2026-W28", dt.date(2026, 7, 20)), settings,
                          audience="stakeholder")  # fmt: skip
        assert week is not None
        message = edition_of(store, week, settings).message()
    said = " ".join(s.text for section in message.sections for line in section.lines for s in line)
    assert f"Only 2 of 7 days of this week are stored (missing: {missing})" in said, said
