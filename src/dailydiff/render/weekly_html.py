"""WeekDigest → HTML, on the site's templates (autoescape on, model text through ``SafeMarkdown``).

Two uses: a page of the static site (``links`` says where the repository, day and commit pages are), and a
standalone file from ``dailydiff weekly --format html`` (the site's CSS inlined, allowed by its hash in the
Content-Security-Policy; no script, no external asset, nothing to fetch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from dailydiff import __version__
from dailydiff.common.i18n import change_type_labels, weekdays, words
from dailydiff.common.text import clean, safe_url, shorten
from dailydiff.render.chartdata import weekly_charts
from dailydiff.render.charts import figure_view, render_svg, svg_data_uri
from dailydiff.render.html import PageContext, render_page, standalone_css
from dailydiff.render.markdown import generation_stamp
from dailydiff.render.safe_html import SafeMarkdown
from dailydiff.render.week import DigestCommit, WeekDigest
from dailydiff.render.week_words import comparison_lines, cost_line, missing_line, signal_view, weeks_chart

TEMPLATE = "weekly.html.j2"


@dataclass(frozen=True)
class WeeklyLinks:
    """Relative links of a weekly page inside the site (all optional but ``ctx``)."""

    ctx: PageContext
    repo: str = ""
    previous: str = ""
    next: str = ""
    days: dict[dt.date, str] = field(default_factory=dict)  # date -> day page
    commits: dict[tuple[dt.date, str], str] = field(default_factory=dict)  # (date, sha) -> page#anchor


def _commit(c: DigestCommit, links: WeeklyLinks | None, md: SafeMarkdown, L: dict[str, Any],
            type_names: dict[str, str], title_chars: int) -> dict[str, Any]:  # fmt: skip
    href = links.commits.get((c.date, c.sha), "") if links else ""
    return {
        "title": clean(shorten(c.title or "—", title_chars)),
        "href": href,
        "url": safe_url(c.url),
        "short_sha": c.sha[:7],
        "date": c.date.isoformat(),
        "author": clean(c.author) + (f" · 🤖 {c.agent}" if c.agent else ""),
        "level": c.level.value,
        "level_label": L["levels"][c.level.value],
        "types": [type_names.get(t.value, t.value) for t in c.change_types],
        # The digest does not say who wrote a summary (model or rules): it is shown as text.
        "summary": md.text(shorten(c.summary, 400)) if c.summary else Markup(""),
        "watch": [clean(w) for w in c.watch],
    }


def _watched(w: Any, view: Callable[[Any], dict[str, Any]], W: dict[str, str], limit: int) -> dict[str, Any]:
    """A watch topic's commits: the first ``limit``, and the rest listed folded (a page has room; "see the
    JSON" sent readers nowhere useful)."""
    more = W["more_listed"].format(n=len(w.commits) - limit) if len(w.commits) > limit else ""
    return {"topic": clean(w.topic), "count": len(w.commits), "commits": [view(c) for c in w.commits[:limit]],
            "more": more, "rest": [view(c) for c in w.commits[limit:]]}  # fmt: skip


def weekly_view(digest: WeekDigest, links: WeeklyLinks | None = None, *, title_chars: int = 80,
                watch_limit: int = 10, builder: str = "dailydiff run") -> dict[str, Any]:  # fmt: skip
    """Everything the weekly template shows, with untrusted text escaped (Jinja) or sanitised."""

    W = words("weekly", digest.language)
    L = words("report", digest.language)
    type_names = change_type_labels(digest.language)
    day_names = weekdays(digest.language)
    md = SafeMarkdown()
    day_links = links.days if links else {}
    generated = generation_stamp(digest.generated_at, digest.timezone)
    view = lambda c: _commit(c, links, md, L, type_names, title_chars)  # noqa: E731
    return {
        "d": digest,
        "W": W,
        "title": W["title"].format(week=digest.week, start=digest.start, end=digest.end),
        "repo_url": safe_url(digest.repo_url),
        "highlights": [clean(line) for line in digest.highlights],
        "missing": md.inline(missing) if (missing := missing_line(digest, builder)) else Markup(""),
        "type_columns": [(t, type_names.get(t, t)) for t in digest.totals.types],
        "days": [
            {"day": day, "weekday": day_names[day.date.weekday()], "href": day_links.get(day.date, "")}
            for day in digest.days
        ],
        "top": [view(c) for c in digest.top_commits],
        "watch": [_watched(w, view, W, watch_limit) for w in digest.watch],
        "contributors": [
            {
                "name": clean(p.name),
                "login": clean(p.login or ""),
                "commits": p.commits,
                "lines": f"+{p.additions}/−{p.deletions}",
            }
            for p in digest.contributors
        ],
        "footer": W["footer"].format(version=__version__, timezone=digest.timezone, generated=generated)
        + (f" · {cost}" if (cost := cost_line(digest.usage, digest.language)) else ""),
        "C": words("week_compare", digest.language),
        "summary": clean(digest.summary),
        "compare": [clean(line) for line in comparison_lines(digest)],
        "signals": [signal_view(s, digest.language, clean) for s in digest.signals],
    }


def render_weekly_html(
    digest: WeekDigest,
    *,
    links: WeeklyLinks | None = None,
    site_title: str = "dailydiff",
    templates_dir: str = "",
    title_chars: int = 80,
    charts: Sequence[dict[str, Any]] | None = None,
    previous_types: Mapping[str, int] | None = None,
    builder: str = "dailydiff run",
) -> str:
    """A site page when ``links`` is given, else a standalone file. ``charts`` are figure views
    (render/charts.py) whose pictures the site writes; a standalone file draws its own charts (the week
    by weekday and its change types against ``previous_types``, the week before's) as data: URIs."""
    standalone = links is None
    ctx = links.ctx if links else PageContext(root="", site_title=site_title, language=digest.language)
    css, css_hash = standalone_css() if standalone else (Markup(""), "")
    nav = {
        "repo": links.repo if links else "",
        "previous": links.previous if links else "",
        "next": links.next if links else "",
    }
    if charts is None:
        charts = [
            figure_view(chart, svg_data_uri(render_svg(chart)))
            for chart in [*filter(None, [weeks_chart(digest)]), *weekly_charts(digest, previous_types)]
        ]
    return render_page(TEMPLATE, ctx, templates_dir, standalone=standalone, css=css, css_hash=css_hash,
                       nav=nav, charts=charts, **weekly_view(digest, links, title_chars=title_chars, builder=builder))  # fmt: skip
