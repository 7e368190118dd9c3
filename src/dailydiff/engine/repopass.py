"""One repository's pass over a stretch of days (engine/stream.py streams it): what was listed, fetched and
analysed of each day so far, and the day's report assembled from it — its statistics, late commits, revert
links and failure gate."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dailydiff.analysis import AnalysisRequest, Analyzer, HeuristicAnalyzer
from dailydiff.analysis.base import AnalysisSession
from dailydiff.common.secrets import scrub
from dailydiff.common.timewindow import day_window
from dailydiff.engine.addendum import late_commits
from dailydiff.engine.analysing import Analysed, Counts
from dailydiff.engine.freshness import settings_digest
from dailydiff.engine.jobs import RepoJob
from dailydiff.engine.outcome import UnitOutcome, day_outcome
from dailydiff.engine.reverts import link_reverts
from dailydiff.engine.room import CountedSession
from dailydiff.engine.stages import DayOutcome, gate, report_stats, same_analyses
from dailydiff.models import Analysis, DayReport, Level, Overview, ReportCommit, RunSummary
from dailydiff.settings import Settings, WatchTopic
from dailydiff.sources import CommitSource
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.publish.base import Publisher

log = logging.getLogger("dailydiff.run")


@dataclass
class RepoPass:
    """One repository of the run while it streams a stretch of its days: what was listed, fetched and
    analysed of each day, and how a day's report is assembled from it."""

    job: RepoJob
    source: CommitSource
    settings: Settings
    analyzer: Analyzer
    session: AnalysisSession
    publishers: list[Publisher]
    plan: list[dt.date]  # the days to build in this pass, in order
    watch: Sequence[WatchTopic]
    started: float = field(default_factory=time.monotonic)
    listed: asyncio.Event = field(default_factory=asyncio.Event)
    shas: dict[dt.date, list[str]] = field(default_factory=lambda: defaultdict(list))
    # None: the source could not fetch the commit (its sha and reason are in ``unfetched``)
    pending: dict[str, asyncio.Future[Analysed | None]] = field(default_factory=dict)
    # The same before any escalation: the commit as the day's overview sees it.
    rated: dict[str, asyncio.Future[Analysed | None]] = field(default_factory=dict)
    unfetched: dict[str, str] = field(default_factory=dict)
    skipped: dict[dt.date, list[str]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[dt.date, Counts] = field(default_factory=lambda: defaultdict(Counts))
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # Listed commits the store held no good analysis of, by the analyser at any depth, when they were listed:
    # the first analysis of each is made without asking the store again (a new store's month: 117 statements).
    unstored: set[str] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)  # of them, those with no stored analysis at all
    deferred: set[dt.date] = field(default_factory=set)  # left to the next run: the request budget
    written: set[dt.date] = field(default_factory=set)  # days this pass built (not gated)
    # Of them, those a later day's revert links changed.
    rewrites: list[DayReport] = field(default_factory=list)

    @functools.cached_property
    def settings_digest(self) -> str:
        """What shapes the days' files besides their commits (engine/freshness.py)."""
        return settings_digest(self.settings)

    def extra(self) -> dict[str, str]:
        """A log record's fields for a repository whose source is open: named by the id the source gives."""
        return {"repo": scrub(self.source.repo), "source": scrub(self.job.entry.source)}

    def not_analysed(self, store: Store, shas: list[str]) -> tuple[set[str], set[str]]:
        """Those of these commits with no good stored analysis from the analyser (at any depth), and those
        with none at all: one look at the store for them all (which exist, none read), instead of one per
        commit as each arrives and another as its analysis is saved."""
        if not shas:
            return set(), set()
        language = self.settings.report.language
        fingerprints = {self.analyzer.fingerprint(level, language) for level in Level}
        return store.unstored_analyses(self.source.repo, shas, fingerprints)

    def not_fetched(self, failed: dict[str, str]) -> None:
        """Commits the source could not fetch: listed on stderr and in their day's summary, counted as
        failed; their day is reported without them and is not up to date for the next run."""
        for sha, reason in failed.items():
            future = self.pending.get(sha)
            if future is None or future.done():
                continue
            self.unfetched[sha] = reason
            future.set_result(None)
            if not self.rated[sha].done():
                self.rated[sha].set_result(None)
            log.warning(
                "commit %s could not be fetched: %s; its day is reported without it and built again by the "
                "next run", sha, reason, extra=self.extra(),
            )  # fmt: skip

    def assemble(self, store: Store, date: dt.date, commits: list[ReportCommit], overview: Overview,
                 fresh: bool, now: dt.datetime) -> tuple[DayOutcome, list[DayReport]]:  # fmt: skip
        """The day's report from its analysed commits and overview, its reverts linked and its failure gate
        applied (stored unless gated), and the stored days whose revert links it changed: the store's work
        of a day, in one call off the event loop."""
        settings = self.settings
        language, tz = settings.report.language, settings.report.timezone
        shas = self.shas.get(date, [])
        unfetched = [sha for sha in shas if sha in self.unfetched]
        counts = self.counts[date]
        counts.failures[:0] = [f"{sha[:7]}: not fetched: {self.unfetched[sha]}" for sha in unfetched]
        fingerprints = {self.analyzer.fingerprint(level, language) for level in Level}
        stats = report_stats(commits, overview, store.spent_usage(self.source.repo, shas, fingerprints))
        spent = counts.usage + overview.usage if fresh else counts.usage
        window = day_window(date, tz)
        partial = now < window.end + dt.timedelta(hours=settings.run.settle)
        late = late_commits(store, self.source.repo, date, language, commits, now)
        report = DayReport(
            repo=self.source.repo,
            repo_url=self.source.repo_url,
            branch=self.source.default_branch,
            date=date,
            timezone=tz,
            language=language,
            window=window,
            commits=commits,
            stats=stats,
            overview=overview,
            analyzer=self.analyzer.name,
            generated_at=now.replace(microsecond=0),
            partial=partial,
            late=late,
            qualified_name=self.job.qualified_name,
            skipped=self.skipped.get(date, []),
            run=RunSummary(
                fetched=len(commits),
                analysed=counts.analysed,
                cached=counts.cached,
                escalated=counts.escalated,
                fallback=stats.fallback,
                failed=stats.failed + len(unfetched),
                failures=counts.failures,
                unfetched=unfetched,
                prompt_tokens=spent.prompt_tokens,
                completion_tokens=spent.completion_tokens,
                cost=round(spent.cost, 6),
                duration_seconds=round(time.monotonic() - self.started, 3),
                max_requests_per_commit=counts.max_requests,
                estimated_prompt_tokens=spent.estimated_prompt_tokens,
                cached_tokens=spent.cached_tokens,
            ),
        )
        relinked: list[DayReport] = []
        report = link_reverts(report, store, relinked)
        return gate(report, settings, store), relinked

    async def overview(self, store: Store, off: Callable[..., Awaitable[Any]], heuristic: HeuristicAnalyzer,
                       rated: list[ReportCommit], final: Awaitable[list[ReportCommit]],
                       date: dt.date) -> tuple[Overview, bool]:  # fmt: skip
        """The day overview, and whether it was made now: from the first analyses (``rated``), while the
        deeper re-analyses (``final``) are still under way. The stored report's overview is reused when that
        report came from this analyser over the very same (final) analyses (a re-run makes no call, also
        when the model's overview failed then and the rules stood in)."""
        language = self.settings.report.language
        if not rated:
            return heuristic.overview([], language), True
        previous = await off(store.get_report, self.source.repo, date, language)
        if (
            previous is not None
            and previous.analyzer == self.analyzer.name
            and previous.overview.producer in (self.analyzer.name, "heuristic")
        ):
            # A day built before: the same analyses keep its overview (the re-analyses are stored then).
            commits = await final
            if same_analyses(previous, commits):
                return previous.overview, False
            return await self.session.overview(commits, language), True
        return await self.session.overview(rated, language), True

    def batch(self, batchers: dict[str, Any], store: Store,
              off: Callable[..., Awaitable[Any]]) -> Callable[[AnalysisRequest, str], Awaitable[Analysis | None]] | None:  # fmt: skip
        """The run's batch of first analyses at the repository's model ([llm] batch): one per analyser
        (``batchers``: the run's), every repository using it gathered into it."""
        if not self.settings.llm.batch:
            return None
        from dailydiff.analysis.batch import Batcher  # (only in batch mode: the LLM session's modules)
        from dailydiff.analysis.llm_session import LLMSession

        session = self.session.session if isinstance(self.session, CountedSession) else self.session
        if not isinstance(session, LLMSession):
            return None
        if self.analyzer.name not in batchers:
            batchers[self.analyzer.name] = Batcher(session, store, self.settings, off)
        return batchers[self.analyzer.name].analyse

    def built(self, outcome: DayOutcome, relinked: Sequence[DayReport]) -> UnitOutcome:
        """The day's unit outcome, said in the log; the stored days this pass already built whose revert links
        this day changed are kept to be written again by the day unit (a range builds its days at once)."""
        report = outcome.report
        self.rewrites += [r for r in relinked if r.date in self.written]
        if outcome.kept_previous or outcome.gated:
            log.warning("%s: too many failed analyses; not published", report.date, extra=self.extra())
        else:
            self.written.add(report.date)
            log.info("%s: %d commit(s), %d watched", report.date, report.stats.total,
                     sum(1 for c in report.commits if c.watch), extra=self.extra())  # fmt: skip
        status = "kept-previous" if outcome.kept_previous else "gated" if outcome.gated else "built"
        return day_outcome(report.repo, report.date, status, report)
