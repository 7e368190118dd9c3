"""Editions: every unit rendered once, for every target (pure).

A **unit** is what the engine plans and the delivery ledger keys: a repository's day, a digest-day
across repositories, a repository's week (and any later kind, such as an addendum of late commits).
Its **edition** holds everything a target can be sent, each part rendered on first use and then kept:

- ``files``: the unit's formats (``md``, ``json``, ``html``) as text, and ``path(fmt, template)``, where
  a file of that format goes below a files or GitHub target;
- ``message(link, max_commits)``: the one chat message model (render/chat.py) — every chat service
  renders it through its own style and limits row (publish/chat_formats.py);
- ``mail(link, subject_template)``: one mail, HTML + text + inline ``cid:`` images (render/mail.py);
- ``values(ext)``: the placeholders a target's templates may use (common/placeholders.py).

A publisher declares the parts it sends (``parts``: ``files``, ``chat``, ``mail``, ``data``) and sends
an edition through its one method; ``content_hash(parts, formats)`` is what the delivery ledger records:
a hash of those parts as sent, the generation line and the alerts left out (so a rebuild of an unchanged
unit is not a change, and a delivery has one identity whatever the alerts say). Each target is sent
``for_target(target)``: the edition without the alerts about itself. To add a unit kind, write a builder
that returns an ``Edition``; no target changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from functools import partial
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from dailydiff.common import i18n, placeholders
from dailydiff.common.text import md_inline, output_tree, safe_url
from dailydiff.models import DayReport, ReportCommit
from dailydiff.render import renderers_for
from dailydiff.render.chat import (
    Message,
    addendum_message,
    addendum_title,
    day_message,
    digest_message,
    week_message,
)

if TYPE_CHECKING:
    from dailydiff.render.chartdata import Chart
    from dailydiff.render.digest import DayDigest
    from dailydiff.render.mail import Mail
    from dailydiff.render.week import WeekDigest
    from dailydiff.settings import Settings

Part = Literal["files", "chat", "mail", "data"]
PARTS: tuple[Part, ...] = ("files", "chat", "mail", "data")


@dataclasses.dataclass(frozen=True)
class UnitKey:
    """The delivery ledger's key of a unit (with a target): ``repo`` is a repository id, or a reserved
    id no repository has (``digest:<name>``, ``week:<repo>``); a week's ``date`` is its Monday."""

    repo: str
    date: dt.date
    language: str


@dataclasses.dataclass(frozen=True)
class Alert:
    """A send-time notice ([run] alert_after): delivery ``target`` (of the publisher named ``publisher``) of
    the ledger's ``repo`` has failed for days, as ``line`` says. Told to every other target, never to the one
    it is about (engine/deliver.py)."""

    repo: str
    target: str
    publisher: str
    line: str


# The generation line: the footer that names the dailydiff version and the time the edition was built.
# (in the report's timezone, `… (UTC+08:00)`; files written before that say `… UTC`)
_GENERATION_LINE_RE = re.compile(
    r"^.*dailydiff.*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (?:UTC|\(UTC[+-]\d{2}:\d{2}\)).*$", re.M
)


def comparable(fmt: str, text: str) -> str:
    """The text of one format without what changes on every build of the same unit: the generation line
    of Markdown, HTML and mail, and ``generated_at`` and the ``run`` block (timings, cached counts) of the
    JSON. Two builds of one unit compare equal here unless the unit itself changed."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            data.pop("generated_at", None)
            data.pop("run", None)
        return json.dumps(data, sort_keys=True, ensure_ascii=False)
    return _GENERATION_LINE_RE.sub("", text)


class Files(Mapping[str, str]):
    """The unit's formats, each rendered on first use (a target that sends only JSON never pays for the
    HTML)."""

    def __init__(self, renderers: Mapping[str, Callable[[], str]]) -> None:
        self._renderers = renderers
        self._cache: dict[str, str] = {}

    def __getitem__(self, fmt: str) -> str:
        if fmt not in self._cache:
            self._cache[fmt] = self._renderers[fmt]()
        return self._cache[fmt]

    def __contains__(self, fmt: object) -> bool:  # without rendering it (Mapping's would)
        return fmt in self._renderers

    def __iter__(self) -> Iterator[str]:
        return iter(self._renderers)

    def __len__(self) -> int:
        return len(self._renderers)


class Edition:
    """One unit, rendered once for every target (see the module's docstring)."""

    def __init__(
        self,
        kind: str,
        key: UnitKey,
        title: str,
        *,
        renderers: Mapping[str, Callable[[], str]],
        values: Callable[[str], dict[str, Any]],
        path: Callable[[str, str], PurePosixPath],
        message: Callable[[str | None, int], Message],
        subject: str,
        charts: Callable[[], Sequence[Chart]] = lambda: (),
        link: str | None = None,
        report: DayReport | None = None,
        empty: str = "",
        held: str = "",
        laid_out: Callable[[str, str | None], Mapping[str, Callable[[], str]]] | None = None,
        read_now: Callable[[], str] | None = None,
        alerts: Sequence[Alert] = (),
        retold: Callable[[tuple[Alert, ...]], Edition] | None = None,
        mail: Callable[[str | None, str], Mail] | None = None,
        audience_of: Callable[[str], Edition | None] | None = None,
    ) -> None:
        self.kind, self.key, self.title, self.link, self.report = kind, key, title, link, report
        self.files = Files(renderers)
        # Why nothing happened in it ('' when something did): a target with skip_empty sends nothing. ``held``: why it is not final yet (a day not settled, a week with days missing): chat and
        # e-mail get it once it is; targets that update in place show it, marked.
        self.empty, self.held = empty, held
        # The files of a target whose day files follow another path template (a digest links them).
        self._laid_out = laid_out
        # The Markdown a reader gets now (a mail, an issue): the files' own plus what is said only at send
        # time (a target failing for days); files are the day's record and never carry it.
        self._read_now = read_now
        self._layouts: dict[tuple[str, str | None], Files] = {}
        self.subject = subject
        self._values, self._path, self._message, self._charts = values, path, message, charts
        self._messages: dict[tuple[str | None, int], Message] = {}
        self._mails: dict[tuple[str | None, str], Mail] = {}
        # The alerts this edition's messages say, and the builder of the same edition saying only some of them
        # (each target is sent the edition without the alerts about itself: ``for_target``).
        self.alerts, self._retold = tuple(alerts), retold
        self._mail = mail  # a unit kind's own mail (the week's); else the Markdown as a mail
        # The same unit for a target that wants another audience ([[publish]] audience), else None.
        self._audience_of = audience_of
        self._variants: dict[tuple[Alert, ...], Edition] = {}

    @property
    def language(self) -> str:
        return self.key.language

    @property
    def label(self) -> str:
        """How summaries name the unit: ``owner/name 2026-01-27``, ``digest team 2026-01-27``…"""
        repo = self.key.repo.replace(":", " ", 1)
        return (
            f"{repo} {self.key.date.isoformat()}"
            if self.kind != "week"
            else f"{repo} {self.values('md')['week']}"
        )

    def values(self, ext: str = "md") -> dict[str, Any]:
        """The placeholders of this unit for a target's templates (file paths, links, titles)."""
        return self._values(ext)

    def fill(self, template: str, allowed: frozenset[str] = placeholders.DAY_PLACEHOLDERS) -> str:
        return placeholders.fill(template, self.values(), allowed)

    def files_for(self, day_template: str, target: str | None = None) -> Files:
        """The files as a target lays them out: ``day_template`` is where it writes days, ``target`` its
        name (a digest links a repository's day file there only when that repository's days go to that
        target: no link to a file nobody writes); the same as ``files`` for other kinds."""
        if self._laid_out is None:
            return self.files
        if (day_template, target) not in self._layouts:
            self._layouts[day_template, target] = Files(self._laid_out(day_template, target))
        return self._layouts[day_template, target]

    def path(self, fmt: str, template: str) -> PurePosixPath:
        """Where the ``fmt`` file goes below a target's directory; ``template`` is the target's path
        template for days (digests and weeks have their own layout)."""
        return self._path(fmt, template)

    def markdown_now(self) -> str:
        """The Markdown of a message read now (e-mail, a GitHub issue): the files' Markdown, with the
        send-time notices (a target failing for days) that files do not keep."""
        return self._read_now() if self._read_now is not None else self.files["md"]

    def message(self, link: str | None = None, max_commits: int = 100) -> Message:
        """The chat message model (link: the full edition online; default the edition's own)."""
        key = (link or self.link, max_commits)
        if key not in self._messages:
            self._messages[key] = self._message(*key)
        return self._messages[key]

    def mail(self, link: str | None = None, subject: str = "") -> Mail:
        """The mail: the Markdown as text and styled HTML, the charts as ``cid:`` images."""
        from dailydiff.render.mail import build_mail  # its charts and e-mail modules: for e-mail targets only

        key = (link or self.link, subject or self.subject)
        if key not in self._mails:
            self._mails[key] = (
                self._mail(key[0], key[1])
                if self._mail is not None
                else build_mail(key[1], self.markdown_now(), self._charts(), key[0])
            )
        return self._mails[key]

    def for_target(self, target: str, recovered: Collection[str] = ()) -> Edition:
        """The edition as ``target`` is sent it: without the alerts about itself, nor about the targets in
        ``recovered`` (delivered since the alert was made). The same unit: its key, files and content hash."""
        other = self._audience_of(target) if self._audience_of is not None else None
        if other is not None:
            return other.for_target(target, recovered)
        gone = {target, *recovered}
        return self._telling(tuple(a for a in self.alerts if a.target not in gone))

    def _telling(self, kept: tuple[Alert, ...]) -> Edition:
        """The same edition saying only the alerts ``kept``."""
        if len(kept) == len(self.alerts) or self._retold is None:
            return self
        if kept not in self._variants:
            variant = self._retold(kept)
            # The files never carry alerts: rendered once for every variant.
            variant.files, variant._layouts, variant._variants = self.files, self._layouts, self._variants
            self._variants[kept] = variant
        return self._variants[kept]

    def content_hash(self, parts: Sequence[Part], formats: Sequence[str] = ()) -> str:
        """What a target sends of this edition, as one hash (the delivery ledger records it): the alerts
        left out, like the generation line (send-time notices that differ by target and by run), so a
        delivery keeps its identity (the ledger's hash, a message's id) whatever the alerts say."""
        if self.alerts and self._retold is not None:
            return self._telling(()).content_hash(parts, formats)
        digest = hashlib.sha256()
        for part in sorted(set(parts)):
            if part == "files":
                for fmt in sorted(set(formats) & set(self.files)):
                    digest.update(f"{fmt}\0{comparable(fmt, self.files[fmt])}\0".encode())
            elif part == "chat":
                digest.update(json.dumps(dataclasses.asdict(self.message()), ensure_ascii=False).encode())
            elif part == "mail":
                digest.update(comparable("mail", self.mail().comparable()).encode())
            elif part == "data":
                digest.update(comparable("json", self.files["json"]).encode())
            digest.update(f"\0{part}\0".encode())
        return digest.hexdigest()


# --- builders, one per unit kind -------------------------------------------------------------------


def _date_values(date: dt.date) -> dict[str, str]:
    return {"year": f"{date.year:04d}", "month": f"{date.month:02d}", "day": f"{date.day:02d}",
            "date": date.isoformat()}  # fmt: skip


def _site_url(base_url: str, path: str) -> str | None:
    return f"{base_url.rstrip('/')}/{path}" if base_url else None


def _repo_page(base_url: str, repo: str, page: str) -> str | None:
    """A repository's page on the site (``repos/<slug>/<page>``) when the site has an address."""
    if not base_url:
        return None
    from dailydiff.render.html import repo_slug  # on use: it loads the HTML sanitiser

    return _site_url(base_url, f"repos/{repo_slug(repo)}/{page}")


def _day_path(report: DayReport, fmt: str, template: str) -> PurePosixPath:
    """Where a day's ``fmt`` file goes below a target that writes days by ``template``."""
    return placeholders.fill_path(
        template, placeholders.day_values(report, fmt), placeholders.DAY_PATH_PLACEHOLDERS
    )


def day_edition(
    report: DayReport,
    settings: Settings,
    history: Callable[[DayReport], Sequence[DayReport]] | None = None,
    *,
    gated: bool = False,
    alerts: Sequence[Alert] = (),
) -> Edition:
    """A repository's day. ``history`` (the stored days before it) gives the mail its chart of the day
    against the median of those days; ``alerts``, its messages (each target's without those about itself)."""

    def retold(kept: tuple[Alert, ...]) -> Edition:
        return day_edition(plain, settings, history, gated=gated, alerts=kept)

    plain = report
    if alerts:
        report = report.model_copy(update={"alerts": [*report.alerts, *(a.line for a in alerts)]})

    renderers = renderers_for(settings)

    def charts() -> list[Chart]:
        from dailydiff.render.chartdata import MEDIAN_DAYS, day_against_median

        if history is None or not report.commits or not settings.site.charts:
            return []
        return [day_against_median(report, history(report), MEDIAN_DAYS)]

    values = placeholders.day_values(report)
    # The files are the day's record: the send-time notices (report.alerts) go to messages only.
    record = report.model_copy(update={"alerts": []}) if report.alerts else report
    return Edition(
        "day",
        UnitKey(report.repo, report.date, report.language),
        f"{report.repo} {report.date.isoformat()}",
        renderers={fmt: partial(render, record) for fmt, render in renderers.items()},
        read_now=partial(renderers["md"], report) if report.alerts and "md" in renderers else None,
        values=partial(placeholders.day_values, report),
        path=partial(_day_path, report),
        message=lambda link, most: day_message(report, link, most),
        subject=placeholders.fill(i18n.words("email", report.language)["subject"], values),
        charts=charts,
        link=_repo_page(settings.site.base_url, report.repo, f"{report.date.isoformat()}.html"),
        report=report,
        empty="" if report.stats.total else "no commits that day",
        held="the day has not settled yet" if report.partial else "",
        alerts=alerts,
        retold=retold,
    )


def addendum_edition(report: DayReport, late: Sequence[ReportCommit], settings: Settings) -> Edition:
    """The late commits of a repository's day that was already delivered (engine/addendum.py): a message
    and a mail listing them, keyed by the day and the commits (``late:<repo>#<hash>``), so each addendum
    is a unit of its own in the ledger."""
    shas = ",".join(sorted(rc.sha for rc in late))
    key = UnitKey(f"late:{report.repo}#{hashlib.sha256(shas.encode()).hexdigest()[:16]}", report.date,
                  report.language)  # fmt: skip
    title = addendum_title(report, len(late))
    link = _repo_page(settings.site.base_url, report.repo, f"{report.date.isoformat()}.html")

    def markdown() -> str:
        lines = [f"# {md_inline(title)}", ""]
        for rc in late:
            when = rc.committed_at.astimezone(ZoneInfo(report.timezone)).strftime("%Y-%m-%d %H:%M")
            url = safe_url(rc.url)
            text = f"[{md_inline(rc.title or '—')}]({url})" if url else md_inline(rc.title or "—")
            lines.append(f"- {when} · {md_inline(rc.author.name)} · {text} (`{rc.short_sha}`)")
        return "\n".join(lines) + "\n"

    def data() -> str:
        """The ``data`` part (a JSON webhook): the late commits, never the day's report again."""
        zone = ZoneInfo(report.timezone)
        first_seen = {lc.sha: lc.first_seen for lc in report.late}
        commits = [
            {"sha": rc.sha, "title": rc.title, "url": rc.url, "author": rc.author.name, "level": rc.level.value,
             "committed_at": rc.committed_at.astimezone(zone).isoformat(),
             "first_seen": first_seen[rc.sha].astimezone(zone).isoformat() if rc.sha in first_seen else None,
             "summary": rc.analysis.summary if rc.analysis else ""}
            for rc in late
        ]  # fmt: skip
        body = {"kind": "addendum", "schema_version": report.schema_version, "repo": report.repo,
                "date": report.date.isoformat(), "timezone": report.timezone, "title": title,
                "report_url": link, "late": commits}  # fmt: skip
        return json.dumps(output_tree(body), ensure_ascii=False, indent=2) + "\n"

    return Edition(
        "addendum",
        key,
        title,
        renderers={"md": markdown, "json": data},
        values=partial(placeholders.day_values, report),
        path=partial(_day_path, report),  # never written: file targets update in place
        message=lambda url, most: addendum_message(report, late, url, most),
        subject=title,
        link=link,
        report=report,
    )


def digest_path(name: str, date: dt.date, ext: str) -> PurePosixPath:
    """Where a digest's file goes below a files target's directory (or ``digest --output-dir``)."""
    return PurePosixPath("digests", f"{date.year:04d}", name, f"{date.isoformat()}.{ext}")


def digest_edition(
    digest: DayDigest,
    settings: Settings,
    day_targets: Mapping[str, Sequence[str] | None] | None = None,
    alerts: Sequence[Alert] = (),
) -> Edition:
    """A digest-day across repositories. Its files link each repository's report of the day: on the
    site when ``[site] base_url`` is set, else the report file that `run --output-dir` writes beside it
    (``[report] path_template``), relative to the digest's own file. ``day_targets``: the targets each
    repository's days go to (``[[repos]] publishers``; a repository not in it, or None: all of them) — a
    files target links only the day files it writes itself. ``alerts``: as a day's."""
    from dailydiff.render.digest import (
        render_digest_html,
        render_digest_json,
        render_digest_markdown,
        report_href,
    )

    def retold(kept: tuple[Alert, ...]) -> Edition:
        return digest_edition(plain, settings, day_targets, kept)

    plain = digest
    if alerts:
        digest = digest.model_copy(update={"alerts": [*digest.alerts, *(a.line for a in alerts)]})
    base_url = settings.site.base_url
    report_ext = "html" if "html" in settings.report.formats else "md"

    def report_link(template: str, target: str | None, repo: str, ext: str) -> str:
        if base_url:
            return report_href(repo, digest.date, base_url=base_url)
        names = (day_targets or {}).get(repo)
        if target is not None and names is not None and target not in names:
            return ""  # this target does not write that repository's days
        values = {**_date_values(digest.date), **placeholders.repo_values(repo), "lang": digest.language,
                  "ext": ext}  # fmt: skip
        day_file = placeholders.fill_path(template, values, placeholders.DAY_PATH_PLACEHOLDERS)
        depth = len(digest_path(digest.name, digest.date, ext).parts) - 1  # below the target's root
        return "../" * depth + day_file.relative_to(placeholders.template_root(template)).as_posix()

    # The files are the digest's record: the send-time notices (digest.alerts) go to messages only.
    record = digest.model_copy(update={"alerts": []}) if digest.alerts else digest

    def markdown(of: DayDigest, template: str, target: str | None) -> str:
        return render_digest_markdown(of, report_link=partial(report_link, template, target, ext="md"),
                                      templates_dir=settings.report.templates_dir)  # fmt: skip

    def laid_out(template: str, target: str | None = None) -> dict[str, Callable[[], str]]:
        return {
            "md": partial(markdown, record, template, target),
            "json": partial(render_digest_json, record),
            "html": lambda: render_digest_html(record, report_link=partial(report_link, template, target,
                                                                           ext=report_ext),
                                               site_title=settings.site.title,
                                               templates_dir=settings.site.templates_dir),
        }  # fmt: skip

    renderers = laid_out(settings.report.path_template)
    if any(e.name == digest.name and e.audience == "stakeholder" for e in settings.digest):
        from dailydiff.render.mail import markdown_to_html
        from dailydiff.render.stakeholder import render_stakeholder_digest_markdown

        renderers["md"] = partial(render_stakeholder_digest_markdown, record)
        renderers["html"] = lambda: markdown_to_html(render_stakeholder_digest_markdown(record))
        laid_out = None  # type: ignore[assignment]  # no day files are linked: one layout
    repo_links = {
        r.repo: report_href(r.repo, digest.date, base_url=base_url) for r in digest.repos if r.stored
    }

    def values(ext: str) -> dict[str, Any]:
        return {**_date_values(digest.date), **placeholders.repo_values(digest.name), "lang": digest.language,
                "ext": ext, "total": digest.total, "high": len(digest.high),
                "medium": sum(r.medium for r in digest.repos), "low": sum(r.low for r in digest.repos)}  # fmt: skip

    return Edition(
        "digest",
        UnitKey(f"digest:{digest.name}", digest.date, digest.language),
        digest.title,
        renderers=renderers,
        values=values,
        # under the target's root, beside its days (reports/digests/… when days are reports/{year}/…)
        path=lambda fmt, template: (
            placeholders.template_root(template) / digest_path(digest.name, digest.date, fmt)
        ),
        message=lambda link, most: digest_message(digest, link, most, repo_links if base_url else None),
        subject=f"[dailydiff] {digest.summary}",
        link=_site_url(base_url, f"digests/{digest.name}/{digest.date.isoformat()}.html"),
        empty="" if digest.total else "no commits in any repository that day",
        held="a day in it has not settled yet" if digest.unsettled else "",
        laid_out=laid_out,
        read_now=partial(markdown, digest, settings.report.path_template, None) if digest.alerts else None,
        alerts=alerts,
        retold=retold,
    )


def _week_subject(week: WeekDigest, W: Mapping[str, Any]) -> str:
    """A week's mail subject: the repository and the week first (the rules' one line starts with them), then
    the week's one line; without one, the counts."""
    counts = W["subject"].format(
        repo=week.repo, week=week.week, total=week.totals.total, high=week.totals.high
    )
    if not week.summary:
        return str(counts)
    if week.summary.startswith(f"{week.repo_name} {week.week}"):
        return f"[dailydiff] {week.summary}"
    return f"[dailydiff] {week.repo_name} {week.week}: {week.summary}"


def week_edition(
    week: WeekDigest,
    settings: Settings,
    previous_types: Mapping[str, int] | None = None,
    builder: str = "dailydiff run",
    audience_of: Callable[[str], Edition | None] | None = None,
) -> Edition:
    """A repository's week; its charts (the week by weekday, its change types against ``previous_types``,
    the week before's) are in its standalone HTML and in its mail as ``cid:`` images. ``builder`` is the
    command that builds its missing days (``dailydiff report SOURCE`` for a repository not configured)."""
    from dailydiff.render.chartdata import weekly_charts
    from dailydiff.render.week_words import weeks_chart
    from dailydiff.render.weekly import render_weekly_json, render_weekly_markdown
    from dailydiff.render.weekly_html import render_weekly_html

    def charts() -> list[Chart]:
        if not settings.site.charts:
            return []
        eight = weeks_chart(week)
        return [*([eight] if eight is not None else []), *weekly_charts(week, previous_types)]

    renderers: dict[str, Callable[[], str]] = {
        "md": lambda: render_weekly_markdown(week, templates_dir=settings.report.templates_dir, builder=builder),
        "json": partial(render_weekly_json, week),
        "html": lambda: render_weekly_html(week, templates_dir=settings.site.templates_dir,
                                           previous_types=previous_types, builder=builder,
                                           charts=None if settings.site.charts else []),
    }  # fmt: skip
    if week.audience == "stakeholder":
        from dailydiff.render.mail import markdown_to_html
        from dailydiff.render.stakeholder import render_stakeholder_markdown
        from dailydiff.render.stakeholder_chat import stakeholder_message

        renderers["md"] = partial(render_stakeholder_markdown, week)
        renderers["html"] = lambda: markdown_to_html(render_stakeholder_markdown(week))

    def mail(link: str | None, subject: str) -> Mail:
        from dailydiff.render.weekly_mail import build_weekly_mail

        return build_weekly_mail(week, subject, renderers["md"](), charts(), link,
                                 settings.report.templates_dir)  # fmt: skip

    def values(ext: str) -> dict[str, Any]:
        t = week.totals
        return {**_date_values(week.start), "year": week.week[:4], "week": week.week,
                **placeholders.repo_values(week.repo), "lang": week.language, "ext": ext, "total": t.total,
                "high": t.high, "medium": t.medium, "low": t.low}  # fmt: skip

    def path(fmt: str, template: str) -> PurePosixPath:
        # under the target's root, beside its days: one output, one root (reports/2026/… for days and weeks)
        return placeholders.template_root(template) / placeholders.fill_path(
            settings.weekly.path_template, values(fmt), placeholders.WEEK_PATH_PLACEHOLDERS
        )

    W = i18n.words("weekly", week.language)
    return Edition(
        "week",
        UnitKey(f"week:{week.repo}", week.start, week.language),
        W["title"].format(week=week.week, start=week.start, end=week.end),
        renderers=renderers,
        values=values,
        path=path,
        message=(lambda link, _most: stakeholder_message(week, link))
        if week.audience == "stakeholder"
        else (lambda link, most: week_message(week, link, most, builder)),
        subject=_week_subject(week, W),
        charts=charts,
        mail=mail,
        audience_of=audience_of,
        link=_repo_page(settings.site.base_url, week.repo, f"weeks/{week.week}.html"),
        empty="" if week.totals.total else "no commits that week",
        held=_week_held(week, builder),
    )


def _week_held(week: WeekDigest, builder: str) -> str:
    """Why a week is not final: days of it with no stored report (built by ``builder``)."""
    if not week.missing_days:
        return ""
    first, last = min(week.missing_days), max(week.missing_days)
    return (f"{len(week.missing_days)} day(s) of {week.week} not built yet ({builder} --from {first} "
            f"--to {last})")  # fmt: skip
