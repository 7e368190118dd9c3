"""Daily digests across repositories (``[[digest]]`` entries): built from the stored reports of one day
(no fetching), with a cross-repository overview (the LLM's, one request per digest-day and cached in the
store with the fingerprint of its inputs; offline, the rules'), rendered and delivered through the same
delivery ledger as reports. The ledger's repository id of a digest is ``digest:<name>``, which no
repository can have, so a digest never collides with a report."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from dailydiff.common.i18n import words
from dailydiff.engine.deliver import DeliveryResult, claim_owner, deliver_one, pick_publishers
from dailydiff.errors import ConfigError
from dailydiff.models import DayReport, Level, Overview, ReportCommit
from dailydiff.publish.base import Publisher, PublishResult, Secrets, Status
from dailydiff.publish.registry import attempt_with
from dailydiff.render.digest import (
    DayDigest,
    build_day_digest,
    load_digest,
    render_digest_chat,
    render_digest_html,
    render_digest_json,
    render_digest_markdown,
    rules_overview,
    select_repos,
)
from dailydiff.settings import DigestEntry, Settings
from dailydiff.store import Store

DIGEST_FORMATS = ("md", "json", "html")
OVERVIEW_COMMITS = 40  # the most high / watched commits one overview request is written from


@dataclass
class DigestOutcome:
    name: str
    date: dt.date
    language: str
    digest: DayDigest
    overview: str  # "llm" (asked now), "cached" (the stored one), "rules"
    publish: list[DeliveryResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "date": self.date.isoformat(), "language": self.language,
                "repos": len(self.digest.repos), "commits": self.digest.total, "high": len(self.digest.high),
                "overview": self.overview, "publish": [p.as_dict() for p in self.publish]}  # fmt: skip


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


def digest_path(name: str, date: dt.date, ext: str) -> str:
    """Where a digest's file goes below a files publisher's directory (or --output-dir)."""
    return str(PurePosixPath("digests", f"{date.year:04d}", name, f"{date.isoformat()}.{ext}"))


def _configured_ids(settings: Settings) -> list[str]:
    """The repository ids of [[repos]] entries that are known without opening them: a name, or a GitHub
    owner/name (a local clone's id is what its stored reports say)."""
    ids = []
    for entry in settings.repos:
        if entry.name:
            ids.append(entry.name)
        elif entry.source.count("/") == 1 and not entry.source.startswith((".", "/", "~")):
            ids.append(entry.source.removeprefix("github:"))
    return ids


def _fingerprint(analyzer: Any, digest: DayDigest, commits: Sequence[ReportCommit]) -> str:
    h = hashlib.sha256()
    name = getattr(analyzer, "fingerprint", None)
    h.update(
        (name(Level.HIGH, digest.language) if callable(name) else getattr(analyzer, "name", "rules")).encode()
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


def has_reports(store: Store, entry: DigestEntry, date: dt.date, settings: Settings) -> bool:
    language = entry.language or settings.report.language
    stored = [repo for repo, day, lang in store.list_reports() if day == date and lang == language]
    return any(repo in stored for repo in select_repos(entry.repos, stored))


def build_digest_day(
    store: Store, settings: Settings, entry: DigestEntry, date: dt.date, analyzer: Any = None
) -> tuple[DayDigest, str]:
    """One digest of one day from the store, and where its overview came from (llm, cached, rules).
    ``analyzer``: an LLM analyser (its ``overview``), or None offline."""
    language = entry.language or settings.report.language
    stored = [repo for repo, day, lang in store.list_reports() if day == date and lang == language]
    repos = select_repos(entry.repos, list(dict.fromkeys([*stored, *_configured_ids(settings)])))
    reports = {
        repo: report for repo in repos if (report := store.get_report(repo, date, language)) is not None
    }
    digest = build_day_digest(entry.name, date, repos, reports, language=language,
                              timezone=settings.report.timezone,
                              max_failure_ratio=settings.analysis.max_failure_ratio)  # fmt: skip
    source = "rules"
    commits = _overview_commits(digest, reports)
    if analyzer is not None and getattr(analyzer, "name", "").startswith("llm:") and commits:
        fingerprint = _fingerprint(analyzer, digest, commits)
        cached = store.get_digest(entry.name, date, language)
        overview: Overview | None = None
        if cached is not None and cached[0] == fingerprint:
            previous = load_digest(cached[1]).overview
            if previous.producer == analyzer.name:
                overview, source = previous, "cached"
        if overview is None:
            answer = analyzer.overview(commits, language)
            if answer.producer == analyzer.name:  # the model answered (else: its own rules' fallback)
                overview, source = answer, "llm"
        if overview is not None:
            digest = digest.model_copy(update={"overview": overview})
    else:
        fingerprint = _fingerprint(None, digest, commits)
    if source == "rules":
        digest = digest.model_copy(update={"overview": rules_overview(digest)})
    store.save_digest(entry.name, date, language, fingerprint, render_digest_json(digest))
    return digest, source


def digest_renderers(settings: Settings) -> dict[str, Callable[[DayDigest], str]]:
    base_url = settings.site.base_url
    return {
        "md": lambda d: render_digest_markdown(d, base_url=base_url, templates_dir=settings.report.templates_dir),
        "json": render_digest_json,
        "html": lambda d: render_digest_html(d, base_url=base_url, site_title=settings.site.title,
                                             templates_dir=settings.site.templates_dir),
    }  # fmt: skip


class RenderedDigest(Mapping[str, str]):
    """A digest in each format, rendered on first use."""

    def __init__(self, digest: DayDigest, renderers: Mapping[str, Callable[[DayDigest], str]]) -> None:
        self.digest, self._renderers, self._cache = digest, renderers, dict[str, str]()

    def __getitem__(self, fmt: str) -> str:
        if fmt not in self._cache:
            self._cache[fmt] = self._renderers[fmt](self.digest)
        return self._cache[fmt]

    def __iter__(self) -> Any:
        return iter(self._renderers)

    def __len__(self) -> int:
        return len(self._renderers)


def _title(digest: DayDigest) -> str:
    return str(words("digest", digest.language)["title"]).format(name=digest.name, date=digest.date)


def _action(
    publisher: Any, digest: DayDigest, rendered: RenderedDigest, base_url: str
) -> Callable[[], PublishResult] | None:
    """How ``publisher`` sends a digest, or None when its kind does not take digests (GitHub)."""
    if publisher.type == "webhook":
        body = rendered["json"].encode("utf-8")
        return lambda: publisher.send([body])
    if hasattr(publisher, "publish_texts"):  # chat: texts sized to the service's limit
        limit = publisher.text_limit()
        max_messages = getattr(publisher.entry, "max_messages", 3)
        texts = render_digest_chat(digest, base_url=base_url, limit=limit.budget, max_messages=max_messages,
                                   size=limit.size)  # fmt: skip
        return lambda: publisher.publish_texts(_title(digest), texts, digest.language)
    if hasattr(publisher, "publish_files"):
        # The publisher's report formats, and always the self-contained HTML page (reports have none).
        formats = [*(f for f in publisher.formats if f in DIGEST_FORMATS and f != "html"), "html"]
        files = [(digest_path(digest.name, digest.date, fmt), rendered[fmt]) for fmt in formats]
        return lambda: publisher.publish_files(files)
    if hasattr(publisher, "publish_message"):
        subject = str(words("digest", digest.language)["subject"]).format(
            name=digest.name, date=digest.date, total=digest.total, high=len(digest.high)
        )
        return lambda: publisher.publish_message(subject, rendered["md"])
    return None


def deliver_digest(
    entry: DigestEntry,
    digest: DayDigest,
    targets: Sequence[Publisher],
    store: Store,
    settings: Settings,
    *,
    force: bool = False,
    secrets: Secrets | None = None,
) -> list[DeliveryResult]:
    """Each target once through the delivery ledger (key ``digest:<name>``, date, language, target)."""
    secrets = secrets if secrets is not None else Secrets({})
    rendered = RenderedDigest(digest, digest_renderers(settings))
    owner = claim_owner()
    results = []
    for publisher in targets:
        try:
            action = _action(publisher, digest, rendered, settings.site.base_url)
        except Exception as exc:  # a digest that cannot be rendered for this target: it fails, others go on
            results.append(DeliveryResult(publisher.name, publisher.type, publisher.target, "failed",
                                          secrets.redact(f"cannot render the digest: {exc}")))  # fmt: skip
            continue
        if action is None:
            results.append(DeliveryResult(publisher.name, publisher.type, publisher.target, "skipped",
                                          f"{publisher.type} publishers do not take digests"))  # fmt: skip
            continue
        send = action
        results.append(deliver_one(
            (entry.ledger_repo, digest.date, digest.language), rendered, publisher, store,
            lambda p, send=send: attempt_with(p, send, secrets),  # type: ignore[misc]
            force=force, secrets=secrets, claim_timeout=settings.run.claim_timeout, owner=owner,
            now=lambda: dt.datetime.now(dt.UTC),
        ))  # fmt: skip
    return results


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


def run_digests(
    settings: Settings,
    store: Store,
    dates: Sequence[dt.date],
    available: Sequence[Publisher],
    *,
    name: str | None = None,
    publish: bool = True,
    force: bool = False,
    secrets: Secrets | None = None,
    analyzer: Any = None,
) -> list[DigestOutcome]:
    """Every configured digest (or the one named) for each day: built from the store, then delivered."""
    outcomes = []
    for entry in digest_entries(settings, name):
        index = settings.digest.index(entry) + 1
        targets = digest_publishers(entry, index, available) if publish else []
        for date in sorted(set(dates)):
            if not has_reports(store, entry, date, settings):
                continue  # nothing stored that day (every repository failed, or none built yet)
            digest, source = build_digest_day(store, settings, entry, date, analyzer)
            outcome = DigestOutcome(entry.name, date, digest.language, digest, source)
            if targets:
                outcome.publish = deliver_digest(entry, digest, targets, store, settings, force=force,
                                                 secrets=secrets)  # fmt: skip
            outcomes.append(outcome)
    return outcomes


def summary_line(outcomes: Sequence[DigestOutcome]) -> str:
    sent = sum(p.status == Status.OK.value for o in outcomes for p in o.publish)
    failed = sum(p.status == "failed" for o in outcomes for p in o.publish)
    asked = sum(o.overview == "llm" for o in outcomes)
    return (f"{len(outcomes)} digest(s) built ({asked} overview(s) asked of the LLM, "
            f"{sum(o.overview == 'cached' for o in outcomes)} cached); {sent} delivered, {failed} failed")  # fmt: skip
