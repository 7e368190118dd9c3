"""The daily digest across repositories: one message for everything a team follows. Pure.

Built from the stored reports of one day: a cross-repository overview (the model's, given by the caller,
or the rules'), the high-importance commits of every repository ranked (watch-topic hits first), each
linked to its commit and to its repository's report, and one compact row of counts per repository, so
quiet repositories take one line and repositories whose day failed the gate (or has no report) are
named, not hidden. Rendered as Markdown, JSON, HTML (a site page or one self-contained file) and a chat
text; every figure comes from the day reports, so a digest's counts equal the reports'.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pydantic import Field, computed_field

from dailydiff import __version__
from dailydiff.common.i18n import change_type_labels, words
from dailydiff.common.text import clean, safe_url, shorten
from dailydiff.models import ChangeType, DayReport, Level, Overview, ReportCommit
from dailydiff.render.html import PageContext, render_page, repo_slug, standalone_css
from dailydiff.render.markdown import generation_stamp, render_template
from dailydiff.render.safe_html import SafeMarkdown
from dailydiff.render.week_compare import FrozenModel

DIGEST_SCHEMA_VERSION = 1
DIGEST_FORMATS = ("md", "json", "html")  # what a digest is written as
LEVEL_MARKS = {"high": "🔴", "medium": "🟡", "low": "🟢"}


class DigestRepo(FrozenModel):
    """One repository's line: its counts that day, or why there are none."""

    repo: str
    repo_url: str | None = None
    stored: bool = True  # False: no report of this day in the store
    # Not stored because the repository's day has not ended yet (a later timezone): when it ends.
    pending_until: dt.datetime | None = None
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    failed: int = 0  # the day's gate: analyses that failed or fell back to the rules, commits not fetched
    gated: bool = False  # the day's stored gate (engine/stages.py): too many failed analyses
    highlights: list[str] = Field(default_factory=list)  # the repository's own day overview
    partial: bool = False  # the day has not settled yet (its window closed less than [run] settle ago)


class DigestCommit(FrozenModel):
    repo: str
    sha: str
    title: str
    summary: str = ""
    level: Level
    score: float
    url: str | None = None
    author: str = ""
    committed_at: dt.datetime
    change_types: list[ChangeType] = Field(default_factory=list)
    watch: list[str] = Field(default_factory=list)


class DayDigest(FrozenModel):
    schema_version: int = DIGEST_SCHEMA_VERSION
    name: str
    date: dt.date
    timezone: str
    language: str
    repos: list[DigestRepo]
    high: list[DigestCommit]  # ranked: watch-topic hits first, then by score
    watch: list[DigestCommit] = Field(default_factory=list)  # watch-topic hits below high, ranked too
    overview: Overview = Field(default_factory=Overview)
    total: int = 0
    generated_at: dt.datetime | None = None
    # Failing delivery targets of its repositories or of the digest itself (see DayReport.alerts): not stored.
    alerts: list[str] = Field(default_factory=list, exclude=True)
    late: bool = False  # an addendum: the repositories whose day arrived after the digest was sent

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        """One line for a chat preview and an e-mail subject: the model's first highlight when it wrote
        the overview, else the rules' line (render/week_words.py)."""
        return digest_one_line(self)

    @property
    def gated(self) -> list[DigestRepo]:
        return [r for r in self.repos if r.gated]

    @property
    def missing(self) -> list[DigestRepo]:
        return [r for r in self.repos if not r.stored and r.pending_until is None]

    @property
    def pending(self) -> list[DigestRepo]:
        return [r for r in self.repos if r.pending_until is not None]

    @property
    def title(self) -> str:
        """Its title; an addendum's says it is one (``late``: the repositories whose day came after)."""
        D = words("digest", self.language)
        return str(D["title_addendum" if self.late else "title"]).format(name=self.name, date=self.date)

    @property
    def unsettled(self) -> bool:
        return any(r.partial for r in self.repos)


def repo_state(r: DigestRepo, language: str, timezone: str) -> str:
    """What a repository's line says instead of its counts: its day still running (and when it ends), no
    report, the gate; "" when its counts say it."""
    D = words("digest", language)
    if r.pending_until is not None:
        ends = r.pending_until.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
        return str(D["state_pending"]).format(end=f"{ends} {timezone}")
    return str(D["state_missing"] if not r.stored else D["state_gated"] if r.gated else "")


SUMMARY_CHARS = 160  # a model's line, cut to fit a chat preview and a subject


def digest_one_line(digest: DayDigest) -> str:
    """The one-line summary of a digest-day across repositories: the model's first highlight when the
    model wrote its overview, else built by the rules."""
    if digest.overview.producer.startswith("llm") and digest.overview.highlights:
        return " ".join(digest.overview.highlights[0].split())[:SUMMARY_CHARS]
    words_ = words("one_line", digest.language)
    busiest = max((r for r in digest.repos if r.total), key=lambda r: (r.total, r.repo), default=None)
    return str(words_["digest"]).format(
        name=digest.name, date=digest.date.isoformat(), total=digest.total,
        active=sum(1 for r in digest.repos if r.total), repos=len(digest.repos), high=len(digest.high),
        focus=words_["digest_focus"].format(repo=busiest.repo.rsplit("/", 1)[-1], n=busiest.total)
        if busiest
        else "",
    )  # fmt: skip


def select_repos(patterns: Sequence[str], available: Sequence[str]) -> list[str]:
    """Which repositories a digest covers: ``["*"]`` (all), names, or glob patterns (``sgl-project/*``).
    A plain name that matches nothing is kept, so the digest says that its report is missing."""
    chosen: list[str] = []
    for pattern in patterns or ["*"]:
        if any(ch in pattern for ch in "*?["):
            chosen += [repo for repo in available if fnmatch.fnmatchcase(repo, pattern)]
        else:
            chosen.append(pattern)
    return list(dict.fromkeys(chosen))


def _commit(report: DayReport, rc: ReportCommit) -> DigestCommit:
    analysis = rc.analysis
    return DigestCommit(
        repo=report.repo,
        sha=rc.sha,
        title=rc.title,
        summary=(analysis.summary if analysis else "") or "",
        level=rc.level,
        score=rc.score.score,
        url=rc.url,
        author=rc.author.name,
        committed_at=rc.committed_at,
        change_types=list(analysis.change_types) if analysis else [],
        watch=list(rc.watch),
    )


def _rank(commits: list[DigestCommit]) -> list[DigestCommit]:
    return sorted(commits, key=lambda c: (not c.watch, -c.score, c.repo, -c.committed_at.timestamp(), c.sha))


def build_day_digest(
    name: str,
    date: dt.date,
    repos: Sequence[str],
    reports: dict[str, DayReport],
    *,
    language: str,
    timezone: str,
    max_failure_ratio: float = 0.5,
    overview: Overview | None = None,
    now: dt.datetime | None = None,
    pending: dict[str, dt.datetime] | None = None,
) -> DayDigest:
    """``reports`` maps a repository to its stored report of ``date`` (absent: not stored; ``pending``: not
    stored because its day ends later, at the time given). ``overview``
    is the model's cross-repository overview; without it the rules write one."""
    lines: list[DigestRepo] = []
    high: list[DigestCommit] = []
    watch: list[DigestCommit] = []
    for repo in repos:
        report = reports.get(repo)
        if report is None:
            lines.append(DigestRepo(repo=repo, stored=False, pending_until=(pending or {}).get(repo)))
            continue
        s, verdict = report.stats, report.failure_gate(max_failure_ratio)
        lines.append(
            DigestRepo(
                repo=repo, repo_url=report.repo_url, total=s.total, high=s.high, medium=s.medium, low=s.low,
                failed=verdict.failed, gated=verdict.gated,
                highlights=list(report.overview.highlights), partial=report.partial,
            )
        )  # fmt: skip
        for rc in report.commits:
            if rc.level is Level.HIGH:
                high.append(_commit(report, rc))
            elif rc.watch:
                watch.append(_commit(report, rc))
    # Busy repositories first, then by name: quiet ones gather at the end of the table.
    lines.sort(key=lambda r: (not r.stored, -r.high, -r.total, r.repo))
    digest = DayDigest(
        name=name,
        date=date,
        timezone=timezone,
        language=language,
        repos=lines,
        high=_rank(high),
        watch=_rank(watch),
        total=sum(r.total for r in lines),
        generated_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
    )
    return digest.model_copy(update={"overview": overview or rules_overview(digest)})


def rules_overview(digest: DayDigest) -> Overview:
    """The offline overview: what the counts say, the top high commits, failures named."""
    D = words("digest", digest.language)
    active = [r for r in digest.repos if r.total]
    highlights = [
        D["overview_counts"].format(
            total=digest.total, active=len(active), repos=len(digest.repos), high=len(digest.high)
        )
    ]
    for commit in digest.high[:3]:
        highlights.append(D["repo_line"].format(repo=commit.repo, title=commit.title))
    if digest.gated:
        highlights.append(D["gated"].format(repos=D["list_sep"].join(r.repo for r in digest.gated)))
    if digest.pending:
        highlights.append(D["pending"].format(repos=D["list_sep"].join(r.repo for r in digest.pending)))
    if digest.missing:
        highlights.append(
            D["missing"].format(
                repos=D["list_sep"].join(r.repo for r in digest.missing), date=digest.date.isoformat()
            )
        )
    types: Counter[str] = Counter(t.value for c in [*digest.high, *digest.watch] for t in c.change_types)
    names = change_type_labels(digest.language)
    themes = [f"{names.get(t, t)} ×{n}" for t, n in types.most_common(4)]
    return Overview(highlights=highlights, themes=themes, producer="heuristic")


def brief(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a sentence end when there is one, never inside a code
    span (an odd backtick would turn the rest of a line into code)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [cut.rfind(mark) for mark in ("。", ". ", "；", "; ")]
    end = max(ends)
    if end >= limit // 2:
        return cut[: end + 1].rstrip()
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    cut = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut
    return cut.rstrip(" ,;，；、") + "…"


# --- rendering ------------------------------------------------------------------------------------------


def report_href(repo: str, date: dt.date, *, root: str = "../", base_url: str = "") -> str:
    """Where a repository's report of the day lives in the site (absolute with ``base_url``)."""
    path = f"repos/{repo_slug(repo)}/{date.isoformat()}.html"
    return f"{base_url.rstrip('/')}/{path}" if base_url else f"{root}{path}"


ReportLink = Callable[[str], str]  # a repository -> the link to its report of the digest's day


def site_links(digest: DayDigest, *, root: str = "../../", base_url: str = "") -> ReportLink:
    """Links to the reports in the site (a digest page sits at ``digests/<name>/YYYY-MM-DD.html``)."""
    return lambda repo: report_href(repo, digest.date, root=root, base_url=base_url)


def _view(digest: DayDigest, *, report_link: ReportLink, title_chars: int) -> dict[str, Any]:
    D = words("digest", digest.language)
    names = change_type_labels(digest.language)

    def item(c: DigestCommit) -> dict[str, Any]:
        report = report_link(c.repo)
        return {
            "repo": clean(c.repo),
            "title": clean(shorten(c.title or "—", title_chars, code_spans=True)),
            "summary": clean(brief(c.summary, 240)) if c.summary else "",
            "url": safe_url(c.url),
            "short_sha": c.sha[:7],
            "mark": LEVEL_MARKS[c.level.value],
            "report": f"{report}#c-{c.sha[:7]}" if report else "",
            "types": [names.get(t.value, t.value) for t in c.change_types],
            "watch": [clean(w) for w in c.watch],
        }

    generated = generation_stamp(digest.generated_at, digest.timezone)
    alert_heading = (
        words("report", digest.language)["delivery_alert"] + words("report", digest.language)["colon"]
    )
    return {
        "d": digest,
        "D": D,
        "title": digest.title,
        "summary": clean(digest.summary),
        "highlights": [clean(line) for line in digest.overview.highlights],
        "themes": [clean(line) for line in digest.overview.themes],
        # failing delivery targets, each under the one heading: "⚠️ Delivery alert: …"
        "alerts": [alert_heading + clean(a) for a in digest.alerts],
        "high": [item(c) for c in digest.high],
        "watch": [item(c) for c in digest.watch],
        "repos": [
            {
                "repo": clean(r.repo),
                "line": r,
                "report": report_link(r.repo) if r.stored else "",
                "state": repo_state(r, digest.language, digest.timezone),
            }
            for r in digest.repos
        ],
        "footer": D["footer"].format(version=__version__, timezone=digest.timezone, generated=generated),
    }


def render_digest_markdown(digest: DayDigest, *, report_link: ReportLink | None = None, templates_dir: str = "",
                           title_chars: int = 100) -> str:  # fmt: skip
    """``report_link``: where each repository's report of the day is (default: the site's pages)."""
    report_link = report_link or site_links(digest)
    return render_template(
        "digest.md.j2", templates_dir, **_view(digest, report_link=report_link, title_chars=title_chars)
    )


def render_digest_json(digest: DayDigest) -> str:
    return digest.model_dump_json(indent=2) + "\n"


def load_digest(text: str | bytes) -> DayDigest:
    return DayDigest.model_validate_json(text)


def render_digest_html(digest: DayDigest, *, ctx: PageContext | None = None, report_link: ReportLink | None = None,
                       site_title: str = "dailydiff", templates_dir: str = "", title_chars: int = 100) -> str:  # fmt: skip
    """A site page (``digests/<name>/YYYY-MM-DD.html``) when ``ctx`` is given, else one self-contained file
    (CSS inlined, no script, no fetch) that opens from ``file://`` and as an email attachment."""
    standalone = ctx is None
    page = ctx or PageContext(root="", site_title=site_title, language=digest.language)
    css, css_hash = standalone_css() if standalone else (Markup(""), "")
    report_link = report_link or site_links(digest, root=page.root if not standalone else "../../")
    view = _view(digest, report_link=report_link, title_chars=title_chars)
    md = SafeMarkdown()
    view["highlights"] = [md.inline(line) for line in view["highlights"]]
    # Titles, summaries and themes show their `code` as code, as the day's page does, never raw backticks.
    view["themes"] = [md.text(line) for line in view["themes"]]
    for key in ("high", "watch"):
        view[key] = [item | {"title": md.text(item["title"]), "summary": md.text(item["summary"])}
                     for item in view[key]]  # fmt: skip
    return render_page("digest.html.j2", page, templates_dir, standalone=standalone, css=css, css_hash=css_hash,
                       **view)  # fmt: skip
