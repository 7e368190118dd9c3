"""DayReport → Markdown, in the seeds' layout with their defects fixed (see REPORT_FORMAT.md)."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from dailydiff import __version__
from dailydiff.common import placeholders
from dailydiff.common.i18n import change_type_labels, words
from dailydiff.common.text import anchor, clean, safe_url, shorten
from dailydiff.common.timewindow import local_moment
from dailydiff.models import Analysis, AnalysisStatus, CommitRef, DayReport, Level, ReportCommit
from dailydiff.render.alerted import alerted_text
from dailydiff.scoring.agents import agent_of
from dailydiff.scoring.rules import find_reverted, revert_target

TEMPLATE = "report.md.j2"

# The analyser's error (English, with details) → the reason a report gives, in its language: the first
# pattern that matches the error's first clause (what failed first), else anywhere in it.
_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        ("unavailable", r"left alone for the rest of the run|^unavailable"),
        ("unparsed", r"^unparsed answer|answer (?:is )?not (?:valid )?json|does not match the schema"),
        ("loop", r"repeated (?:it|a )"),
        ("cut_off", r"cut off"),
        ("context", r"prompt too long|context|prompt tokens|does not fit"),
        ("rate_limited", r"rate limited|\b429\b"),
        ("timeout", r"in time|timed? ?out|stalled|did not end within"),
        ("connection", r"unreachable|cannot reach|broke off|stream ended"),
        ("format", r"response format"),
        ("server", r"server error|http 5\d\d"),
        ("request_cap", r"stopped after \d+ requests"),
        ("rejected", r"request rejected|http 4\d\d"),
        ("protocol", r"unexpected (?:streamed )?answer|no choices"),
    )
)


def failure_reason(error: str | None, language: str) -> str:
    """Why an analysis failed, as a report says it: one of a fixed set of reasons in the report's language,
    whole (never a cut sentence), and never the endpoint's URL, host or key (the error text, which may
    name them, stays out of the report's prose)."""
    reasons = words("report", language)["reasons"]
    text = error or ""
    first = text.split("; ", 1)[0]
    for where in (first, text):
        for kind, pattern in _REASONS:
            if pattern.search(where):
                return str(reasons[kind])
    return str(reasons["other"])


def _fence(text: str) -> str:
    body = clean(text).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    longest = max((len(run) for run in re.findall(r"`{3,}|~{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def commit_anchors(commits: list[ReportCommit]) -> dict[str, str]:
    """A unique, stable anchor per commit: c-<7 hex>, longer only when two commits share a prefix."""
    anchors: dict[str, str] = {}
    for length in (7, 10, 12, 40):
        seen: dict[str, int] = {}
        for rc in commits:
            key = rc.sha[:length]
            seen[key] = seen.get(key, 0) + 1
        for rc in commits:
            if rc.sha not in anchors and seen[rc.sha[:length]] == 1:
                anchors[rc.sha] = anchor("c", rc.sha[:length])
    return anchors


STATUS_NOTES = {
    AnalysisStatus.FALLBACK: "fallback_note",
    AnalysisStatus.FAILED: "failed_note",
}  # words of each


def _commit_view(rc: ReportCommit, report: DayReport, zone: ZoneInfo, anchor_id: str, heading: str,
                 toc_chars: int) -> dict[str, Any]:  # fmt: skip
    L = words("report", report.language)
    agent = agent_of(rc) or ""
    return {
        "anchor": anchor_id,
        "time": rc.committed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        "author": rc.author.name,
        "title": rc.title or "—",
        "heading": heading,
        "toc_title": shorten(rc.title or "—", toc_chars, code_spans=True),
        "short_sha": rc.short_sha,
        "url": safe_url(rc.url),
        "changes": f"+{rc.stats.additions}/−{rc.stats.deletions} · " + L["files"].format(n=rc.stats.files),
        "pr": pr_context(rc),
        "is_merge": rc.is_merge,
        "level": rc.level.value,
        **_analysis_view(rc.analysis, report.language, L),
        "watch": rc.watch,
        "watch_mark": " 👀" if rc.watch or rc.alerted_at else "",
        "alerted": alerted_text(rc.alerted_at, report.language, zone),
        "agent": agent,
        "agent_mark": f" 🤖 {agent}" if agent else "",
        "branch": clean(report.branch_of(rc)),
    }


def _analysis_view(analysis: Analysis | None, language: str, L: dict[str, str]) -> dict[str, Any]:
    """What a commit's view takes of its analysis."""
    if analysis is None:
        return {"analysis": None, "short": False, "types": L["none"], "insights": [], "note": "", "raw": None}
    types = change_type_labels(language)
    note_key = STATUS_NOTES.get(analysis.status)
    return {
        "analysis": analysis,
        "short": analysis.depth is Level.LOW,
        "types": " / ".join(types[t.value] for t in analysis.change_types)
        if analysis.change_types
        else L["none"],
        "insights": [
            (name, text)
            for name in ("architecture", "performance", "security")
            if (text := getattr(analysis.insights, name))
        ],
        "note": L[note_key].format(error=failure_reason(analysis.error, language)) if note_key else "",
        "raw": _fence(analysis.raw) if analysis.raw else None,
    }


def commit_headings(commits: list[ReportCommit]) -> dict[str, str]:
    """Each commit's heading by sha: its title, told apart by its short sha where its level repeats it."""
    seen = Counter((rc.level.value, rc.title) for rc in commits)
    return {rc.sha: f"{rc.title or '—'} ({rc.short_sha})" if seen[(rc.level.value, rc.title)] > 1 else rc.title or "—"
            for rc in commits}  # fmt: skip


_PR_SUFFIX_RE = re.compile(r"\s*\(#\d+\)\s*$")


def _same_title(a: str, b: str) -> bool:
    norm = lambda t: " ".join(_PR_SUFFIX_RE.sub("", t).split()).casefold()  # noqa: E731
    return norm(a) == norm(b)


def pr_context(rc: ReportCommit) -> dict[str, Any] | None:
    """The pull request of a commit as readers see it: its number and reference (``#12``, a GitLab merge
    request's ``!12``), link (or ""), its title when it says
    more than the commit's title (a squash commit's title is usually the PR's, plus "(#N)") and its
    labels; ``line``: whether it gets a line of its own. The text is raw: each output escapes it."""
    if rc.pr is None:
        return None
    title = " ".join(clean(rc.pr.title).split())
    view: dict[str, Any] = {
        "number": rc.pr.number,
        "ref": rc.pr.reference,  # #12, or GitLab's !12
        "url": safe_url(rc.pr.url) or "",
        "title": "" if not title or _same_title(title, rc.title) else title,
        "labels": [" ".join(clean(label).split()) for label in rc.pr.labels if label.strip()],
        # what the forge calls it: the locale's word ("🔀 PR", a GitLab merge request's "🔀 MR")
        "label": "mr" if rc.pr.reference.startswith("!") else "pr",
    }
    # A line of its own when there is more to say than a link (else the link sits in the meta line).
    view["line"] = bool(view["title"] or view["labels"] or not view["url"])
    return view


DayLink = Callable[[dt.date], str | None]  # another day's report, relative to this one (None: no link)


def ref_link(
    ref: CommitRef, report: DayReport, anchors: dict[str, str], day_link: DayLink | None
) -> dict[str, str]:
    """A link to another commit: its entry in this report, else in its day's report, else its forge page
    (else the sha alone: a local repository has no page to link to)."""
    text = ref.sha[:7]
    if ref.sha in anchors:
        return {"text": text, "href": f"#{anchors[ref.sha]}"}
    page = day_link(ref.date) if ref.date is not None and day_link is not None else None
    if page:
        return {"text": text, "href": f"{page}#{anchor('c', ref.sha[:7])}"}
    return {"text": text, "href": safe_url(ref.url) or ""}


def revert_link(rc: ReportCommit, report: DayReport, anchors: dict[str, str],
                day_link: DayLink | None = None) -> dict[str, str] | None:  # fmt: skip
    """A revert's link to what it reverts: that commit's entry when it is in this report or another
    stored day's, else the commit or pull request on the forge."""
    if rc.reverts is not None:
        return ref_link(rc.reverts, report, anchors, day_link)
    target = revert_target(rc)
    if target is None:
        return None
    reverted = find_reverted(rc, report.commits)
    if reverted is not None:
        return {"text": reverted.short_sha, "href": f"#{anchors[reverted.sha]}"}
    base = (safe_url(rc.url) or "").split("/commit/")[0] if "/commit/" in (rc.url or "") else ""
    if base and target.sha:
        return {"text": target.sha[:7], "href": f"{base}/commit/{target.sha}"}
    if base and target.pr_number is not None and "github" in base.split("/")[2]:  # PR paths differ by forge
        return {"text": f"#{target.pr_number}", "href": f"{base}/pull/{target.pr_number}"}
    return None


def reverted_by_links(rc: ReportCommit, report: DayReport, anchors: dict[str, str],
                      day_link: DayLink | None = None) -> list[dict[str, str]]:  # fmt: skip
    """ "Reverted by" links of a commit whose reverts are known (this day or a later one)."""
    return [ref_link(ref, report, anchors, day_link) for ref in rc.reverted_by]


def report_day_link(path_template: str, report: DayReport, ext: str) -> DayLink | None:
    """Links between the report files that ``path_template`` lays out (``2026/repo/2026-01-18.md`` from
    ``2026/repo/2026-01-19.md``: ``2026-01-18.md``)."""
    if not path_template:
        return None
    here = placeholders.fill_path(
        path_template, placeholders.day_values(report, ext), placeholders.DAY_PATH_PLACEHOLDERS
    )

    def link(date: dt.date) -> str:
        other = report.model_copy(update={"date": date})
        there = placeholders.fill_path(path_template, placeholders.day_values(other, ext),
                                       placeholders.DAY_PATH_PLACEHOLDERS)  # fmt: skip
        return posixpath.relpath(str(there), str(here.parent))

    return link


def late_view(report: DayReport, anchors: dict[str, str], zone: ZoneInfo) -> list[dict[str, str]]:
    """The late commits of a day (landed after a report of it was delivered), with when each was seen."""
    by_sha = {rc.sha: rc for rc in report.commits}
    return [
        {"sha": late.sha[:7], "title": by_sha[late.sha].title or "—", "anchor": anchors.get(late.sha, ""),
         "first_seen": late.first_seen.astimezone(zone).strftime("%Y-%m-%d %H:%M")}
        for late in report.late if late.sha in by_sha
    ]  # fmt: skip


def stats_line(report: DayReport) -> str:
    L = words("report", report.language)
    s = report.stats
    parts = [L["stats_line"].format(total=s.total, high=s.high, medium=s.medium, low=s.low)]
    asked = report.analyzer != "heuristic"
    # (words, count, said when 0 too), in this order. The same words and counts as the JSON and the run
    # summary: fallback = the model failed and the rules stand in; failed = no analysis at all; claims
    # removed, said where it is read: the text left out what the model made up; agents: commits a coding
    # agent wrote (its trailers or committer say so).
    counts = (("stats_merges", s.merges, False), ("stats_fallback", s.fallback, asked),
              ("stats_failed", s.failed, asked), ("stats_heuristic", s.heuristic, False),
              ("stats_claims_removed", s.grounding.removed, False), ("stats_claims_marked", s.grounding.marked, False),
              ("stats_agents", sum(1 for rc in report.commits if agent_of(rc)), False))  # fmt: skip
    parts += [L[key].format(n=n) for key, n, said_at_zero in counts if n or said_at_zero]
    if s.prompt_tokens or s.completion_tokens:
        tokens = L["stats_tokens"].format(prompt=s.prompt_tokens, completion=s.completion_tokens)
        if s.replaced_prompt_tokens or s.replaced_completion_tokens:  # spent stays spent, shown apart
            tokens += L["stats_tokens_replaced"].format(
                prompt=s.replaced_prompt_tokens, completion=s.replaced_completion_tokens
            )
        parts.append(tokens)
        if s.cost > 0:  # no price configured for the model: tokens only, not a misleading $0
            parts.append(L["stats_cost"].format(cost=f"{s.cost:.4f}"))
    if s.total:
        parts.append(L["stats_changes"].format(additions=s.additions, deletions=s.deletions))
    return " | ".join(parts)


def generation_stamp(when: dt.datetime | None, timezone: str) -> str:
    """When an edition was built, as its footer (the generation line) says it: in the edition's timezone."""
    return local_moment(when, timezone)


def render_template(template: str, templates_dir: str = "", **values: Any) -> str:
    """One of our Markdown templates (or the user's, from ``templates_dir``), ending in one newline."""
    from dailydiff.common.templates import environment  # jinja2: only a command that renders a template

    text = environment("md", "render/templates", templates_dir).get_template(template).render(**values)
    return text.rstrip("\n") + "\n"


def gate_warning(report: DayReport) -> str:
    """The day's stored failure gate as one warning (Markdown), or "" when the day passed it. Every
    output of the day (Markdown, HTML, mail, chat) shows this same line."""
    gate = report.gate
    if gate is None or not gate.gated:
        return ""
    ratio = f"{gate.ratio:.0%} ({gate.failed}/{gate.analysable})"
    return str(
        words("report", report.language)["gated_warning"].format(
            ratio=ratio,
            fallback=report.stats.fallback,
            failed=report.stats.failed + len(report.run.unfetched),
        )
    )


def level_groups(report: DayReport, views: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The day's commit views by level, highest first (a level without commits has no group), each group
    with its anchor and its heading."""
    L = words("report", report.language)
    return [
        {"level": level.value, "anchor": f"level-{level.value}",
         "heading": f"{L['groups'][level.value]} ({len(members)})", "commits": members}
        for level in (Level.HIGH, Level.MEDIUM, Level.LOW)
        if (members := [views[rc.sha] for rc in report.by_level(level)])
    ]  # fmt: skip


def render_markdown(report: DayReport, *, templates_dir: str = "", toc_title_chars: int = 60,
                    path_template: str = "") -> str:  # fmt: skip
    """The day as Markdown; ``path_template`` (the report files' layout) lets a revert link to the file of
    the day its reverted commit landed on."""
    L = words("report", report.language)
    zone = ZoneInfo(report.timezone)
    anchors = commit_anchors(report.commits)
    day_link = report_day_link(path_template, report, "md")
    headings = commit_headings(report.commits)
    views = {
        rc.sha: _commit_view(rc, report, zone, anchors[rc.sha], headings[rc.sha], toc_title_chars)
        | {
            "reverts": revert_link(rc, report, anchors, day_link),
            "reverted_by": reverted_by_links(rc, report, anchors, day_link),
        }
        for rc in report.commits
    }
    groups = level_groups(report, views)
    watch_topics: dict[str, list[dict[str, Any]]] = {}
    for rc in report.commits:  # newest first; topics in the order they first appear
        for topic in rc.watch:
            watch_topics.setdefault(topic, []).append(views[rc.sha])
    generated = generation_stamp(report.generated_at, report.timezone)
    footer = L["footer"].format(
        version=__version__, analyzer=report.analyzer, timezone=report.timezone, generated=generated
    )
    text = render_template(TEMPLATE, templates_dir, report=report, L=L, commits=[views[rc.sha] for rc in report.commits],
                           groups=groups, stats_line=stats_line(report), gate_warning=gate_warning(report),
                           watch_topics=[{"name": name, "commits": members} for name, members in watch_topics.items()],
                           footer=footer, late=late_view(report, anchors, zone),
                           skipped=[" ".join(s.split()) for s in report.skipped])  # fmt: skip
    return re.sub(r"\n{3,}", "\n\n", text)
