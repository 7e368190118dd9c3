"""Which of a repository's days a run builds, decided before anything is fetched: a day delivered everywhere
is up to date (`run`); a delivered day whose window now holds commits its report lacks is late, and one
that still owes a target an addendum is owed — both built again; a day of `report` that nothing would
change (``unchanged``: the same commits, analyses, files, and settings and templates that shape them) is
neither fetched nor analysed. Each check is one store read per day and at most one cheap listing per
source (``list_shas``: commit ids).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dailydiff.common.timewindow import day_window, local_date_of
from dailydiff.engine.addendum import owes_addendum
from dailydiff.engine.deliver import is_delivered
from dailydiff.models import DayReport, Level
from dailydiff.publish.files import FilesPublisher
from dailydiff.render.edition import UnitKey, day_edition

if TYPE_CHECKING:  # publish/ and render/ are imported where a day is judged by its outputs (start-up)
    from dailydiff.publish.base import Publisher
    from dailydiff.settings import Settings
    from dailydiff.sources import CommitSource
    from dailydiff.store import Store

log = logging.getLogger("dailydiff.run")

# The settings that shape a day's files besides its commits and analyses (how the analyser analyses is its
# fingerprint): what is rendered and how, how commits are scored, the topics watched, what is listed, the
# failure gate. A change to any of them, or to a template, builds the day again.
SHAPING_SECTIONS = ("report", "scoring", "watch", "git", "analysis")
BUILT_IN_TEMPLATES = Path(__file__).resolve().parents[1] / "render" / "templates"


def _files_digest(root: Path) -> str:
    """Every file under ``root``, by relative path and content (none: the empty digest)."""
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _built_in_templates() -> str:
    return _files_digest(BUILT_IN_TEMPLATES)


def settings_digest(settings: Settings) -> str:
    """The digest of the effective settings and the templates (built-in and ``templates_dir``) that shape
    a day's files: kept beside the day's report when its files are written (``record_day_settings``)."""
    # A section's repr names every field and value (nested sections too) and, unlike a dump, needs no
    # serializer: the settings' models build theirs on first use, which costs a re-run 0.1 s.
    text = "\0".join(f"{name}={getattr(settings, name)!r}" for name in SHAPING_SECTIONS)
    templates = settings.report.templates_dir
    mine = _files_digest(Path(templates).expanduser()) if templates else ""
    return hashlib.sha256(f"{text}\0{_built_in_templates()}\0{mine}".encode()).hexdigest()


def delivered(
    store: Store,
    publishers: Sequence[Publisher],
    repo: str,
    date: dt.date,
    language: str,
    max_failure_ratio: float,
) -> bool:
    """A day is up to date when every target it goes to has it in the ledger (with none: once a report
    is stored that passed the failure gate). A day reported without commits the source could not fetch,
    or with pull requests it could not look up, never is: the next run builds it again, whole."""
    stored = store.get_report(repo, date, language)
    if stored is not None and (
        stored.run.unfetched or stored.partial or any(c.pr_unknown for c in stored.commits)
    ):
        return False  # incomplete, or not settled yet: never recorded as complete
    if not publishers:
        return stored is not None and not stored.failure_gate(max_failure_ratio).gated
    if stored is not None and owes_addendum(store, stored, publishers):
        return False  # an addendum that failed: the day is built again (from the store) and it is sent

    return is_delivered(store, UnitKey(repo, date, language), list(publishers))


def _known(report: DayReport) -> set[str]:
    """The commits a stored report accounts for: those in it, those it could not fetch or read."""
    return (
        {c.sha for c in report.commits}
        | set(report.run.unfetched)
        | {s.split(" ", 1)[0] for s in report.skipped}
    )


async def late_days(
    store: Store,
    source: CommitSource,
    settings: Settings,
    now: dt.datetime,
    dates: Sequence[dt.date],
    plan: Sequence[dt.date],
    *,
    publishers: Sequence[Publisher] = (),
    besides: Sequence[dt.date] | None = None,
    slots: Any = None,
    extra: dict[str, str] | None = None,
) -> set[dt.date]:
    """Days already delivered (among the days asked for and, with the repository's look-back unit, the
    ``[run] lookback_days`` before today besides the plan's own ``besides``) whose window now holds commits
    that their stored report does not have: commits that landed late; and those that still owe a target an
    addendum (it failed). One cheap listing per source."""
    tz, language = settings.report.timezone, settings.report.language
    today = local_date_of(now, tz)
    back = [today - dt.timedelta(days=n) for n in range(settings.run.lookback_days, -1, -1)]
    looked = (set(back) - set(besides)) if besides is not None else set()
    candidates = [date for date in sorted((looked | set(dates)) - set(plan)) if date <= today]
    stored, owed = _delivered_days(store, source.repo, language, candidates, publishers)
    if not stored:
        return owed
    windows = [day_window(date, tz) for date in stored]
    listed = await source.list_shas(windows, slots=slots)
    late: dict[dt.date, list[str]] = defaultdict(list)
    for sha, committed_at in listed:
        date = local_date_of(committed_at, tz)
        if date in stored and sha not in stored[date]:
            late[date].append(sha)
    for date, shas in sorted(late.items()):
        log.warning("%s: %d late commit(s) (%s) not in its delivered report; building the day again",
                    date, len(shas), ", ".join(sha[:7] for sha in shas[:5]), extra=extra)  # fmt: skip
    for date in sorted(owed - set(late)):
        log.warning("%s: an addendum of late commits is still owed; building the day again", date,
                    extra=extra)  # fmt: skip
    return set(late) | owed


def _complete(report: DayReport | None, analyzer: str, limit: float) -> bool:
    """A stored report nothing is missing from: settled, every commit fetched and analysed by this
    analyser (no failure, no stand-in), every pull request looked up, not gated."""
    return not (
        report is None
        or report.analyzer != analyzer
        or report.partial
        or report.run.unfetched
        or report.stats.failed
        or report.stats.fallback
        or any(c.pr_unknown for c in report.commits)
        or report.failure_gate(limit).gated
    )


async def unchanged(
    store: Store,
    source: CommitSource,
    settings: Settings,
    analyzer: Any,
    plan: Sequence[dt.date],
    outputs: Sequence[Publisher],
    history: Any = None,
) -> set[dt.date]:
    """Days of a command that builds every day asked for (`report`) that nothing would change: the
    stored report is complete (``_complete``), its analyses are stored under this analyser's fingerprints
    (its rules, model and prompts are those of this run), its files were written with the settings and
    templates of this run (``settings_digest``), one cheap listing gives the day the very commits it has,
    and every output is files already written. Those are neither fetched nor analysed, rendered or written
    (``--force`` builds them again)."""
    files = [o for o in outputs if isinstance(o, FilesPublisher)]
    if not files or len(files) != len(outputs):
        return set()  # stdout shows every day: it is rendered
    tz, language = settings.report.timezone, settings.report.language
    fingerprints = {analyzer.fingerprint(level, language) for level in Level}
    stored: dict[dt.date, set[str]] = {}
    digest = settings_digest(settings)
    kept = store.day_settings(source.repo, language, plan)
    for date in plan:
        if kept.get(date) != digest:
            continue  # written with other settings or templates (or before they were kept)
        shas = _written_as_now(store, source.repo, date, settings, analyzer, fingerprints, files, history)
        if shas is not None:
            stored[date] = shas
    if not stored:
        return set()
    listed: dict[dt.date, set[str]] = defaultdict(set)
    for sha, committed_at in await source.list_shas([day_window(d, tz) for d in stored]):
        listed[local_date_of(committed_at, tz)].add(sha)
    return {date for date, shas in stored.items() if listed.get(date, set()) == shas}


def _delivered_days(store: Store, repo: str, language: str, candidates: Sequence[dt.date],
                    publishers: Sequence[Publisher]) -> tuple[dict[dt.date, set[str]], set[dt.date]]:  # fmt: skip
    """Of ``candidates``, the days delivered (each with the commits its report knows), and those that still
    owe a target an addendum."""
    stored: dict[dt.date, set[str]] = {}
    owed: set[dt.date] = set()
    for date in candidates:
        report = store.get_report(repo, date, language)
        if report is None or not store.deliveries(repo, date, language):
            continue  # never delivered: nothing can be late for it (it is built when asked for)
        if owes_addendum(store, report, publishers):
            owed.add(date)  # an addendum that failed: the day is built again and it is sent
        stored[date] = _known(report)
    return stored, owed


def _written_as_now(store: Store, repo: str, date: dt.date, settings: Settings, analyzer: Any,
                    fingerprints: set[str], files: Sequence[FilesPublisher], history: Any) -> set[str] | None:  # fmt: skip
    """The commits (shas) of the stored report of ``date`` when it is complete, analysed as this run would
    analyse it and its files are written; None when it is to be built again."""
    report = store.get_report(repo, date, settings.report.language)
    if report is None or not _complete(report, analyzer.name, settings.analysis.max_failure_ratio):
        return None
    analysed = [c.sha for c in report.commits if c.analysis is not None]
    if len({sha for sha, _ in store.get_analyses(repo, analysed, fingerprints)}) < len(analysed):
        return None  # analysed otherwise than this run would (other rules, model or prompts)
    edition = day_edition(report, settings, history)
    if not all(path.is_file() for o in files for _, path in o.paths(edition)):
        return None
    return _known(report)


async def days_to_build(
    store: Store,
    off: Callable[..., Awaitable[Any]],
    source: CommitSource,
    settings: Settings,
    publishers: Sequence[Publisher],
    dates: Sequence[dt.date],
    besides: Sequence[dt.date] | None,
    *,
    now: dt.datetime,
    checked: bool,
    slots: asyncio.Semaphore | None,
    extra: dict[str, str],
) -> tuple[list[dt.date], set[dt.date]]:
    """Of ``dates``, those up to date (delivered everywhere, when ``checked``), and the late days to build
    again (of those asked for, and of the look-back besides them)."""
    language, ratio = settings.report.language, settings.analysis.max_failure_ratio

    def delivered_days() -> list[dt.date]:
        return [d for d in dates if checked and delivered(store, publishers, source.repo, d, language, ratio)]

    up_to_date = await off(delivered_days)
    late: set[dt.date] = set()
    if checked and settings.run.lookback_days:
        plan = [d for d in dates if d not in up_to_date]
        late = await late_days(store, source, settings, now, dates, plan, publishers=publishers, besides=besides,
                               slots=slots, extra=extra)  # fmt: skip
    return up_to_date, late
