"""Daily digests across repositories (``[[digest]]`` entries): built from the stored reports of one day
(no fetching), with a cross-repository overview (the LLM's, one request per digest-day and cached in the
store with the fingerprint of its inputs; offline, the rules'), rendered once into an edition (render/edition.py) and delivered through the one deliver
(engine/deliver.py) and ledger as reports. The ledger's repository id of a digest is ``digest:<name>``,
which no repository can have, so a digest never collides with a report.

A digest never drops a repository: one whose language or timezone differs from the digest's is in it
with its report of that date as stored, and one with no report that day is named as such."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dailydiff.common.dates import clock
from dailydiff.common.timewindow import day_window
from dailydiff.engine.deliver import pick_publishers
from dailydiff.engine.identity import configured_refs
from dailydiff.errors import ConfigError
from dailydiff.models import DayReport, Level, Overview, ReportCommit
from dailydiff.publish.base import Publisher
from dailydiff.settings import DigestEntry, Settings
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.render.digest import DayDigest

OVERVIEW_COMMITS = 40  # the most high / watched commits one overview request is written from


def digest_entries(settings: Settings, name: str | None = None) -> list[DigestEntry]:
    if name is None:
        return list(settings.digest)
    chosen = [entry for entry in settings.digest if entry.name == name]
    if not chosen:
        known = (
            ", ".join(e.name for e in settings.digest) or "none (add [[digest]] entries to dailydiff.toml)"
        )
        raise ConfigError(f"no digest named {name!r}", f"configured digests: {known}")
    return chosen


def _fingerprint(analyzer: Any, digest: DayDigest, commits: Sequence[ReportCommit]) -> str:
    h = hashlib.sha256()
    h.update(
        (analyzer.fingerprint(Level.HIGH, digest.language) if analyzer is not None else "rules").encode()
    )
    for rc in commits:
        summary = rc.analysis.summary if rc.analysis else ""
        h.update(f"\0{rc.title}\0{rc.sha}\0{rc.level.value}\0{summary}".encode())
    for line in digest.repos:
        h.update(f"\0{line.repo}:{line.total}:{line.high}:{line.stored}:{line.gated}".encode())
    return h.hexdigest()


def _overview_commits(digest: DayDigest, reports: Mapping[str, DayReport]) -> list[ReportCommit]:
    """The day's high and watched commits, ranked as the digest ranks them, each title led by its
    repository (so the model can say which repository did what)."""
    by_key = {(r.repo, rc.sha): rc for r in reports.values() for rc in r.commits}
    label = f"{digest.name} ({len(reports)} repositories)"  # what the prompt calls "the repository"
    out = []
    for c in [*digest.high, *digest.watch][:OVERVIEW_COMMITS]:
        rc = by_key.get((c.repo, c.sha))
        if rc is not None:
            out.append(rc.model_copy(update={"message": f"[{c.repo}] {rc.message}", "repo": label}))
    return out


def _pending(settings: Settings, date: dt.date, absent: Sequence[str]) -> dict[str, dt.datetime]:
    """The repositories without a report of ``date`` whose day has not ended yet in their own timezone
    (a later one than the digest's), with when it ends."""
    now = clock(settings.run.now)
    zones = {ref.id: entry.timezone or settings.report.timezone
             for ref, entry in zip(configured_refs(settings), settings.repos, strict=False)}  # fmt: skip
    ends = {repo: day_window(date, zones.get(repo, settings.report.timezone)).end for repo in absent}
    return {repo: end for repo, end in ends.items() if end > now}


def build_digest_day(
    store: Store,
    settings: Settings,
    entry: DigestEntry,
    date: dt.date,
    analyzer: Any = None,
    configured: Sequence[str] | None = None,
) -> tuple[DayDigest, str]:
    """One digest of one day from the store, and where its overview came from (llm, cached, rules).
    ``analyzer``: an LLM analyser (its ``overview``), or None offline. ``configured``: every configured
    repository's id (the plan's); each one the digest covers is named, with "no report" where it has none."""
    # (here: a night's workers plan and build their days without the digest's renderers, HTML's included)
    from dailydiff.render.digest import (
        build_day_digest,
        load_digest,
        render_digest_json,
        rules_overview,
        select_repos,
    )

    language = entry.language or settings.report.language
    # Every repository's report of the date: in the digest's language when it has one, else as stored (a
    # repository configured with another language is in the digest all the same); one query.
    stored = store.reports_on(date, language)
    configured = list(configured) if configured is not None else [r.id for r in configured_refs(settings)]
    # With [[repos]], the digest covers the configured repositories: a clone once reported ad hoc under
    # another id (`report ./clone`, then a `name` in the config) is not counted twice. Without, the stored.
    known = configured if settings.repos else list(dict.fromkeys([*configured, *stored]))
    repos = select_repos(entry.repos, known)
    reports = {repo: stored[repo] for repo in repos if repo in stored}
    digest = build_day_digest(
        entry.name,
        date,
        repos,
        reports,
        language=language,
        timezone=settings.report.timezone,
        max_failure_ratio=settings.analysis.max_failure_ratio,
        pending=_pending(settings, date, [r for r in repos if r not in reports]),
        now=clock(settings.run.now),
    )  # fmt: skip  ([run] now, as a day's report)
    commits = _overview_commits(digest, reports)
    overview, source, fingerprint = _model_overview(store, analyzer, entry.name, date, language, digest, commits,
                                                    load_digest)  # fmt: skip
    if overview is not None:
        digest = digest.model_copy(update={"overview": overview})
    if source == "rules":
        digest = digest.model_copy(update={"overview": rules_overview(digest)})
    store.save_digest(entry.name, date, language, fingerprint, render_digest_json(digest))
    return digest, source


def _model_overview(store: Store, analyzer: Any, name: str, date: dt.date, language: str, digest: DayDigest,
                    commits: Any, load_digest: Any) -> tuple[Overview | None, str, str]:  # fmt: skip
    """The digest's overview from a model (the one stored for the same commits and model, else asked now),
    where it came from (cached, llm; rules: none, the rules write it) and the fingerprint it is stored by."""
    if analyzer is None or not analyzer.is_model or not commits:
        return None, "rules", _fingerprint(None, digest, commits)
    fingerprint = _fingerprint(analyzer, digest, commits)
    cached = store.get_digest(name, date, language)
    if cached is not None and cached[0] == fingerprint:
        previous = load_digest(cached[1]).overview
        if previous.producer == analyzer.name:
            return previous, "cached", fingerprint
    answer = analyzer.overview(commits, language)
    if answer.producer == analyzer.name:  # the model answered (else: its own rules' fallback)
        return answer, "llm", fingerprint
    return None, "rules", fingerprint


def digest_publishers(entry: DigestEntry, index: int, available: Sequence[Publisher]) -> list[Publisher]:
    """The publishers of one digest: all, or the ones its ``publishers`` key names."""
    return pick_publishers(entry.publishers, f"digest[{index}].publishers", available)


def check_digest_publishers(settings: Settings, available: Sequence[Publisher]) -> None:
    for index, entry in enumerate(settings.digest, 1):
        digest_publishers(entry, index, available)


def llm_for_digests(settings: Settings, store: Store) -> Any:
    """The analyser whose model writes digest overviews: the LLM when one is configured, else None."""
    from dailydiff.analysis import llm_configured, make_analyzer

    if settings.analysis.analyzer == "heuristic" or not llm_configured(settings):
        return None
    return make_analyzer("llm", settings, store)
