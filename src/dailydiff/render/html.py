"""DayReport → HTML pages of the static site (Jinja2, autoescape on).

Only the templates add markup. Commit titles, messages and names are escaped by Jinja; text from an
analyser (which may be Markdown) goes through ``SafeMarkdown`` (markdown-it without raw HTML, then nh3).
The functions here are pure: they take reports and a page's place in the site, and return text.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from dailydiff import __version__
from dailydiff.common.i18n import change_type_labels, words
from dailydiff.common.templates import environment
from dailydiff.common.text import clean, safe_url, shorten
from dailydiff.models import Analysis, AnalysisStatus, DayReport, Level, ReportCommit
from dailydiff.render.alerted import alerted_text
from dailydiff.render.chartdata import level_counts
from dailydiff.render.markdown import (
    STATUS_NOTES,
    DayLink,
    commit_anchors,
    commit_headings,
    failure_reason,
    gate_warning,
    generation_stamp,
    late_view,
    level_groups,
    pr_context,
    revert_link,
    reverted_by_links,
    stats_line,
)
from dailydiff.render.safe_html import SafeMarkdown
from dailydiff.scoring.agents import agent_of


def repo_slug(repo: str) -> str:
    """A repository's folder in the site (``repos/<slug>/``): owner--name, safe in a URL and a file name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", repo.replace("/", "--")).strip(".-")
    return slug or "repo"


@dataclass(frozen=True)
class PageContext:
    """Where a page sits: ``root`` is the relative prefix back to the site root ("" or "../../")."""

    root: str
    site_title: str
    language: str
    feed: str = ""  # relative link to this page's Atom feed


def render_page(template: str, ctx: PageContext, templates_dir: str = "", **values: Any) -> str:
    return (
        environment("html", "render/templates/site", templates_dir)
        .get_template(template)
        .render(
            ctx=ctx,
            root=ctx.root,
            L=words("report", ctx.language),
            S=words("site", ctx.language),
            version=__version__,
            **values,
        )
    )


def standalone_css() -> tuple[Markup, str]:
    """The site's CSS to inline in a self-contained file, and its SHA-256 (base64) for the
    Content-Security-Policy that allows that one stylesheet and nothing else."""
    css = resources.files("dailydiff").joinpath("render/templates/site/site.css").read_text(encoding="utf-8")
    return Markup(css), base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def _commit_view(rc: ReportCommit, report: DayReport, zone: ZoneInfo, anchor: str, heading: str,
                 md: SafeMarkdown, toc_chars: int) -> dict[str, Any]:  # fmt: skip
    L = words("report", report.language)
    types = change_type_labels(report.language)
    a = rc.analysis
    inline, block = _writers(a, md)
    pr = pr_context(rc)
    change_types = [t.value for t in a.change_types] if a is not None else []
    return {
        "anchor": anchor,
        "sha": rc.sha,
        "short_sha": rc.short_sha,
        "time": rc.committed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        "author": clean(rc.author.name),
        "title": md.text(rc.title or "—"),  # `code` in a title shows as code, everything else as text
        "heading": md.text(heading),
        "toc_title": md.text(shorten(rc.title or "—", toc_chars, code_spans=True)),
        "body": clean(rc.body),
        "url": safe_url(rc.url),
        "pr": pr,
        "changes": f"+{rc.stats.additions}/−{rc.stats.deletions} · " + L["files"].format(n=rc.stats.files),
        "is_merge": rc.is_merge,
        "level": rc.level.value,
        "level_label": L["levels"][rc.level.value],
        "types": [(t, types.get(t, t)) for t in change_types],
        "types_attr": " ".join(change_types),
        "branch": clean(report.branch_of(rc)),
        "watch": [clean(w) for w in rc.watch],
        "alerted": alerted_text(rc.alerted_at, report.language, zone),
        "agent": agent_of(rc) or "",
        "analysis": a,
        **_analysis_view(a, L, report.language, inline, block),
    }


def _writers(a: Analysis | None, md: SafeMarkdown) -> tuple[Callable[[str], Any], Callable[[str], Any]]:
    """How an analysis's text is shown: a model's goes through the sanitising path; the rules' text is made
    of commit text: text only."""
    by_model = a is not None and a.analyzer.startswith("llm") and a.status is AnalysisStatus.OK
    return (md.inline, md.block) if by_model else (md.text, md.text_block)


def _analysis_view(a: Analysis | None, L: Mapping[str, Any], language: str, inline: Callable[[str], Any],
                   block: Callable[[str], Any]) -> dict[str, Any]:  # fmt: skip
    """What a commit's analysis shows (nothing when it has none)."""
    if a is None:
        return {"short": False, "summary": "", "summary_inline": "", "reason": "", "impact": [], "insights": [],
                "risks": [], "recommendations": [], "unseen": [], "note": "", "raw": ""}  # fmt: skip
    note_key = STATUS_NOTES.get(a.status)
    return {
        "short": a.depth is Level.LOW,
        "summary": block(a.summary),
        "summary_inline": inline(a.summary),
        "reason": inline(a.importance_reason),
        "impact": [inline(x) for x in a.impact],
        "insights": [
            (L[name], inline(text))
            for name in ("architecture", "performance", "security")
            if (text := getattr(a.insights, name))
        ],
        "risks": [inline(x) for x in a.risks],
        "recommendations": [inline(x) for x in a.recommendations],
        "unseen": [clean(f) for f in a.unseen_files],
        "note": L[note_key].format(error=failure_reason(a.error, language)) if note_key else "",
        "raw": clean(a.raw) if a.raw else "",
    }


def _commit_views(report: DayReport, zone: ZoneInfo, anchors: dict[str, str], md: SafeMarkdown,
                  toc_title_chars: int, day_link: DayLink | None) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Each commit's view by sha (``commit_headings``: a title its level repeats is told apart)."""
    headings = commit_headings(report.commits)
    return {
        rc.sha: _commit_view(rc, report, zone, anchors[rc.sha], headings[rc.sha], md, toc_title_chars)
        | {
            "reverts": revert_link(rc, report, anchors, day_link),
            "reverted_by": reverted_by_links(rc, report, anchors, day_link),
        }
        for rc in report.commits
    }


def day_view(report: DayReport, toc_title_chars: int = 60, day_link: DayLink | None = None) -> dict[str, Any]:
    """Everything the day template shows, with untrusted text escaped or sanitised; ``day_link`` gives
    another day's page (the site's), for reverts across days."""
    L = words("report", report.language)
    zone = ZoneInfo(report.timezone)
    anchors = commit_anchors(report.commits)
    groups_ids = [f"level-{level.value}" for level in Level]
    md = SafeMarkdown([*anchors.values(), *groups_ids, "overview", "commits", "stats", "toc"])
    views = _commit_views(report, zone, anchors, md, toc_title_chars, day_link)
    groups = level_groups(report, views)
    overview = md.inline if report.overview.producer.startswith("llm") else md.text  # rules: commit text
    types = change_type_labels(report.language)
    type_counts: Counter[str] = Counter(t for v in views.values() for t in v["types_attr"].split())
    generated = generation_stamp(report.generated_at, report.timezone)
    return {
        "report": report,
        "title": L["title"].format(date=report.date),
        "repo_url": safe_url(report.repo_url),
        "highlights": [overview(x) for x in report.overview.highlights],
        "themes": [overview(x) for x in report.overview.themes],
        "commits": [views[rc.sha] for rc in report.commits],
        "groups": groups,
        "stats_line": stats_line(report),
        "late": late_view(report, anchors, ZoneInfo(report.timezone)),
        "skipped": [" ".join(s.split()) for s in report.skipped],
        "gate_warning": SafeMarkdown().inline(gate_warning(report)),
        "counts": level_counts(report),
        "filter_levels": [(g["level"], L["levels"][g["level"]], len(g["commits"])) for g in groups],
        "filter_types": [
            (t, types.get(t, t), n) for t, n in sorted(type_counts.items(), key=lambda kv: -kv[1])
        ],
        "has_watch": any(v["watch"] for v in views.values()),
        "footer": L["footer"].format(
            version=__version__, analyzer=report.analyzer, timezone=report.timezone, generated=generated
        ),
    }


def render_day_html(report: DayReport, *, templates_dir: str = "", toc_title_chars: int = 60,
                    site_title: str = "dailydiff") -> str:  # fmt: skip
    """The day page as one self-contained file (``report --format html``): the site's CSS inlined and
    allowed by its hash, no script, no link to another page, nothing to fetch — it opens from ``file://``
    and as an email attachment."""
    ctx = PageContext(root="", site_title=site_title, language=report.language)
    css, css_hash = standalone_css()
    nav = {"repo": "", "json": "", "previous": "", "next": ""}
    return render_page("day.html.j2", ctx, templates_dir, nav=nav, charts=(), standalone=True, css=css,
                       css_hash=css_hash, **day_view(report, toc_title_chars))  # fmt: skip


def render_index(repos: Sequence[dict[str, Any]], latest: Sequence[dict[str, Any]], ctx: PageContext,
                 templates_dir: str = "", charts: Sequence[tuple[dict[str, Any], dict[str, Any]]] = (),
                 digests: Sequence[dict[str, Any]] = ()) -> str:  # fmt: skip
    """``charts``: (repository row, figure view) pairs; ``digests``: the daily digests' links, newest first."""
    return render_page("index.html.j2", ctx, templates_dir, repos=repos, latest=latest, charts=charts,
                       digests=digests)  # fmt: skip


def render_search(ctx: PageContext, templates_dir: str = "", results: dict[str, Any] | None = None,
                  parts: Sequence[str] = ()) -> str:  # fmt: skip
    """The search page: ``results`` found by the server, or (None) the scripts of the static site's
    index, ``parts`` (relative to the site's root, in order). A hit's title and summary show their
    `code` as code, as the day's page does."""
    if results is not None:
        md = SafeMarkdown()
        hits = [
            hit | {"title": md.text(hit.get("title") or "—"),
                   "summary": md.text(shorten(hit.get("summary") or "", 240, code_spans=True))}
            for hit in results.get("hits") or []
        ]  # fmt: skip
        results = {**results, "hits": hits}
    return render_page("search.html.j2", ctx, templates_dir, results=results, parts=parts)
