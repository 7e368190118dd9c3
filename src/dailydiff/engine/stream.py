"""The engine: the one place that wires the stages, for every command.

Every command plans units (engine/units.py) and hands them to the one runner (engine/runner.py); a
repository's days are built here, by ``Engine.run_job``, on the runner's one event loop, as a stream with no
barrier between phases; it returns the days' reports (engine/repopass.py assembles each), whose editions are
the day unit's and which the runner sends:

    fetch ─► store ─► score ─► analyse ─┬─► escalate ─────────┐   (one task per commit, started the
                                        │                     │    moment its details are stored)
    day: every first analysis landed ───┴─► overview ─────────┴─► assemble ─► gate ─► the day's report

Days and repositories overlap; what bounds them is ``[llm] concurrency`` (one adaptive limit shared by
every analysis and overview of the run), each forge's ``concurrency`` (one semaphore per API host)
and the units at once (engine/room.py: as many as keep the model's limit busy, or ``[run] concurrency``). A day's overview starts the moment the day's last first
analysis lands: it needs each commit's rating, change types and a one-line summary, which the first
answer has, so the deeper re-analyses of escalated commits run beside it instead of before it (the day
at its bound: an escalation found in the last wave adds no wave). Every analysis is stored the moment it
lands, so an interrupted run (Ctrl-C cancels the loop at once) loses nothing finished and the same
command resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dailydiff.analysis import Analyzer, HeuristicAnalyzer, make_analyzer
from dailydiff.analysis.base import AnalysisSession
from dailydiff.common.aio import OffLoop, inline
from dailydiff.common.dates import DateSpec
from dailydiff.common.memory import release_free_memory
from dailydiff.common.secrets import scrub
from dailydiff.common.timewindow import local_date_of, range_window
from dailydiff.engine.analysing import Stage, analyse_commit
from dailydiff.engine.deliver import publishers_for
from dailydiff.engine.freshness import days_to_build, unchanged
from dailydiff.engine.jobs import RepoJob, log_extra
from dailydiff.engine.outcome import UnitOutcome, day_outcome
from dailydiff.engine.printer import Tally
from dailydiff.engine.repopass import RepoPass
from dailydiff.engine.room import CountedSession, UnitRoom
from dailydiff.engine.runoptions import RunOptions
from dailydiff.engine.stages import report_commit
from dailydiff.errors import DailyDiffError, EndpointRefused, SourceError, StoreError
from dailydiff.models import Analysis, Commit, DayReport, ReportCommit, Score
from dailydiff.scoring.watch import matching_topics
from dailydiff.settings import Settings
from dailydiff.sources import CommitSource, open_source
from dailydiff.sources.base import IncompleteFetch
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.git import fetch_once
from dailydiff.store import Store
from dailydiff.store.sqlite import SQLiteDatabase

if TYPE_CHECKING:  # publish/ and render/ are imported where a day is rendered (`notes` renders no day)
    from dailydiff.publish.base import Publisher

log = logging.getLogger("dailydiff.run")

# Days streamed at once by a long range: each stretch is fetched, analysed, delivered and let go.
STRETCH_DAYS = 31


# what a run reports -------------------------------------------------------------------------------


@dataclass
class RepoResult:
    repo: str  # the plan's id, then the one its opened source stores it under
    status: str = "ok"  # "ok", "failed" (see error), "gated"
    error: str | None = None
    days: list[UnitOutcome] = field(default_factory=list)
    fetched: int = 0
    requests: dict[str, dict[str, int]] = field(default_factory=dict)  # what its fetch asked each API
    rewrites: list[DayReport] = field(default_factory=list)  # built days a later day's revert links changed

    def done(self, extra: dict[str, str]) -> RepoResult:
        if any(d.status in {"gated", "kept-previous"} for d in self.days):
            self.status = "gated"
        built = sum(d.status != "up-to-date" for d in self.days)
        log.info(
            "done: %s; %d day(s) built, %d up to date",
            self.status,
            built,
            len(self.days) - built,
            extra=extra,
        )
        return self


def _store_thread(store: Store) -> bool:
    """Whether the store's statements may run on a thread beside the loop's, on the same connection: on
    PostgreSQL, yes (psycopg fetches a statement's rows whole, and a transaction holds the connection's
    lock to its end); on SQLite, no: the two threads' statements interleave on its one connection (a cursor
    still read beside the other thread's write), and a run beside another process on the same data
    directory failed at once with "database is locked"
    (tests/test_run_resilience.py::test_two_runs_at_once_on_one_data_directory)."""
    return not isinstance(getattr(store, "_db", None), SQLiteDatabase)


# the engine ---------------------------------------------------------------------------------------


class Engine:
    def __init__(self, store: Store, options: RunOptions) -> None:
        self.store = store
        self.options = options
        self.tally = options.tally or Tally()
        self.heuristic = HeuristicAnalyzer()
        self._stack = contextlib.AsyncExitStack()
        self._sessions: dict[str, CountedSession] = {}
        self._session_lock = asyncio.Lock()
        self._owners: dict[str, str] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._budgets: dict[str, RequestBudget] = {}
        # Units at once: the claims object (engine/runner.py) seats each unit in it before the unit starts.
        self.room = UnitRoom(options.concurrency)
        self.room.capacity = self._capacity
        self.room.peers_left = self._peers_left
        # The store's statements of the units' steps, on a thread of their own (the loop goes on meanwhile)
        # where the store's one connection takes statements from two threads (see ``_store_thread``).
        self._off = OffLoop() if _store_thread(store) else None
        self.off: Callable[..., Awaitable[Any]] = self._off or inline
        self.tally.in_flight = lambda: sum(s.in_flight for s in self._sessions.values())
        self._counted = False
        self._batchers: dict[str, Any] = {}  # analyser name -> its analysis/batch.py Batcher

    def count(self, days: int) -> None:
        """The plan's days, before any starts (the progress bar's total)."""
        self.tally.units_total += days
        self._counted = True
        self.tally.changed()

    async def __aenter__(self) -> Engine:
        await self._stack.__aenter__()
        if self._off is not None:
            self._stack.callback(self._off.close)  # last: every call asked of the store has ended
        self._stack.enter_context(fetch_once())  # a shared plan's units of one repository: one fetch
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stack.__aexit__(*exc)

    async def session_for(self, analyzer: Analyzer) -> AnalysisSession:
        """One session per analyser for the whole run: every repository using it shares its limit (and the
        room counts its requests)."""
        async with self._session_lock:
            if analyzer.name not in self._sessions:
                opened = await self._stack.enter_async_context(analyzer.session())
                self._sessions[analyzer.name] = CountedSession(opened, self.room)
                # Its limit is the room's measure from now on: the units waiting for room (only ``FLOOR`` ran
                # while no model's limit was known) start now, not when the first units end.
                self.room.wake()
            return self._sessions[analyzer.name]

    def _capacity(self) -> int | None:
        """The requests the run's models take at once now (None: no model in this run yet)."""
        # A copy first (one step, under the GIL): the heartbeat thread of a shared plan asks this too, while
        # the loop may be opening a session.
        limits = [c for c in (s.capacity for s in tuple(self._sessions.values())) if c is not None]
        return sum(limits) if limits else None

    def _peers_left(self, freed: int | None) -> None:
        """Other workers of the shared plan hold no units any more: the slots they held are free (``freed``:
        how many more are this worker's, from the shares the workers said; a count of the whole room, so told
        only to a run of one model)."""
        for session in self._sessions.values():
            session.peers_left(freed if len(self._sessions) == 1 else None)

    def slots(self, source: CommitSource) -> asyncio.Semaphore | None:
        """One semaphore per API host for the whole run: the requests in flight of all its sources."""
        if not source.host:
            return None
        if source.host not in self._slots:
            self._slots[source.host] = asyncio.Semaphore(max(1, source.concurrency))
        return self._slots[source.host]

    def budget(self, source: CommitSource) -> RequestBudget:
        """One request budget per API host for the whole run."""
        return self._budgets.setdefault(source.host, RequestBudget())

    def claim(self, repo: str, key: str) -> None:
        """Two entries must not end up as the same repository id (their reports would overwrite each other)."""
        owner = self._owners.setdefault(repo, key)
        if owner != key:
            raise SourceError(
                f"{key} and {owner} are both the repository {repo!r}",
                "give one of the [[repos]] entries a distinct name",
            )

    # one repository ---------------------------------------------------------------------------------

    async def run_job(
        self,
        job: RepoJob,
        available: Sequence[Publisher],
        *,
        dates: DateSpec | None = None,
        look_back_besides: Sequence[dt.date] | None = None,
    ) -> RepoResult:
        """One repository over the run's days (``dates``: other days, e.g. a plan's day units).
        ``look_back_besides``: with the repository's look-back unit (engine/units.py): the ``[run]
        lookback_days`` before today, besides these (the plan's own days), are looked at too, and those with
        late commits or an addendum still owed are built (without ``dates``: no day is asked for)."""
        result = RepoResult(job.repo_id)
        extra = log_extra(job)
        log.info("start", extra=extra)
        try:
            own = dates if dates is not None or look_back_besides is not None else self.options.dates
            await self._run_job(job, available, result, own, look_back_besides, extra)
        except (StoreError, EndpointRefused):
            # Not this repository's failure: the store cannot be written (a full disk: exit 74), the
            # server went away, a shared plan's unit was taken over by another worker, or the LLM endpoint
            # refused the run's key or model (exit 5).
            raise
        except DailyDiffError as exc:
            if self.options.raise_errors:
                raise
            return _failed(result, str(exc), extra)
        except Exception as exc:
            if self.options.raise_errors:
                raise
            log.debug("internal error", exc_info=True, extra=extra)
            return _failed(result, f"internal error: {type(exc).__name__}: {exc}", extra)
        return result.done(extra)

    async def _run_job(
        self,
        job: RepoJob,
        available: Sequence[Publisher],
        result: RepoResult,
        days: DateSpec | None,
        besides: Sequence[dt.date] | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        settings = job.settings
        extra = log_extra(job) if extra is None else extra
        publishers = publishers_for(job.entry, job.index, available)
        dates = days.resolve(settings.report.timezone, self.options.now) if days is not None else []
        _say_job(job, dates, publishers, extra)
        source, analyzer = await self._opened(job)
        self.claim(source.repo, job.key)
        result.repo = source.repo  # the id its opened source stores it under
        extra["repo"] = scrub(source.repo)
        checked = self.options.skip_delivered and not self.options.force
        up_to_date, late = await days_to_build(self.store, self.off, source, settings, publishers, dates, besides,
                                               now=self.now, checked=checked, slots=self.slots(source), extra=extra)  # fmt: skip
        result.days += [day_outcome(source.repo, d, "up-to-date") for d in up_to_date if d not in late]
        self.tally.units_total += len(late - set(dates)) + (0 if self._counted else len(dates))
        self.tally.units_done += len(up_to_date) - len(late & set(up_to_date))
        self.tally.changed()
        plan = sorted({d for d in dates if d not in up_to_date} | late)
        analyzer = analyzer or make_analyzer(settings.analysis.analyzer, settings, self.store)
        if not self.options.skip_delivered and not self.options.force and not publishers:
            # (with publishers — `report --publish` — the ledger decides what is sent, as ever)
            plan = await self._without_unchanged(source, settings, analyzer, plan, result)
        if not plan:
            log.info("every day is up to date", extra=extra)
            return
        log.info("building %d day(s): %s … %s", len(plan), plan[0], plan[-1], extra=extra)
        try:
            await self._stretches(job, source, settings, analyzer, publishers, plan, result)
        finally:
            result.requests = source.spend()
        result.days.sort(key=lambda d: d.date)

    async def _opened(self, job: RepoJob) -> tuple[CommitSource, Analyzer | None]:
        """``job``'s source (and analyser) as the command opened it already, else opened now."""
        source, analyzer = self.options.opened.get(job.key, (None, None))
        if source is None:
            source = await asyncio.to_thread(
                open_source, job.source, job.settings, job.source_options, self.store
            )
        return source, analyzer

    async def _without_unchanged(self, source: CommitSource, settings: Settings, analyzer: Analyzer,
                                 plan: list[dt.date], result: RepoResult) -> list[dt.date]:  # fmt: skip
        """``plan`` less the days whose files written and stored report nothing would change (up to date)."""
        same = await unchanged(self.store, source, settings, analyzer, plan, self.options.outputs,
                               self.options.history)  # fmt: skip
        result.days += [day_outcome(source.repo, date, "up-to-date") for date in sorted(same)]
        self.tally.units_done += len(same)
        return [date for date in plan if date not in same]

    async def _stretches(self, job: RepoJob, source: CommitSource, settings: Settings, analyzer: Analyzer,
                         publishers: list[Publisher], plan: Sequence[dt.date], result: RepoResult) -> None:  # fmt: skip
        """A long range streams a stretch of days at a time: what a stretch fetched and analysed is
        delivered and let go before the next one starts, so memory stays flat in the number of days."""
        session = await self.session_for(analyzer)
        for first in range(0, len(plan), STRETCH_DAYS):
            stretch = list(plan[first : first + STRETCH_DAYS])
            repo = RepoPass(job, source, settings, analyzer, session, publishers, stretch, job.topics)
            result.days += await self.stream(repo, result)
            result.rewrites += repo.rewrites
            del repo
            release_free_memory()  # the stretch's commits, let go: the next stretch starts from the floor

    @property
    def now(self) -> dt.datetime:
        return self.options.now or dt.datetime.now(dt.UTC)

    async def stream(self, repo: RepoPass, result: RepoResult) -> list[UnitOutcome]:
        """Fetch the repository's whole plan in one pass, each commit's analysis started as it arrives and
        each day finished as soon as its last analysis lands."""
        tz = repo.settings.report.timezone
        wanted = set(repo.plan)
        window = range_window(repo.plan[0], repo.plan[-1], tz)
        loop = asyncio.get_running_loop()
        day_tasks = {d: asyncio.create_task(self._day(repo, d)) for d in repo.plan}

        budget = self.budget(repo.source)
        # A day's commits are stored together, in one transaction, once the last of them is fetched (what
        # a day is built from is stored before the day finishes); what is left is stored as the fetch ends.
        placed: dict[str, dt.date] = {}
        arrived: dict[dt.date, list[Commit]] = defaultdict(list)
        landed: dict[dt.date, int] = defaultdict(int)  # the day's commits fetched so far

        def store_arrived(date: dt.date | None = None) -> None:
            for day in [date] if date is not None else list(arrived):
                commits = arrived.pop(day, [])
                if commits:
                    self.store.save_commits(commits)

        def on_listed(listed: list[tuple[str, dt.datetime]]) -> None:
            repo.deferred.update(d for d in budget.deferred.get(repo.source.repo, []) if d in wanted)
            new = []
            for sha, committed_at in listed:
                date = local_date_of(committed_at, tz)
                if date in wanted and sha not in repo.pending:
                    repo.shas[date].append(sha)
                    placed[sha] = date
                    repo.pending[sha] = loop.create_future()
                    repo.rated[sha] = loop.create_future()
                    new.append(sha)
            result.fetched += len(repo.pending)
            repo.listed.set()
            unstored, absent = repo.not_analysed(self.store, new)
            repo.unstored |= unstored
            repo.absent |= absent
            if unstored:  # the analyser gets ready while the details are fetched
                repo.session.expect(repo.settings.report.language)

        def on_commit(commit: Commit) -> None:
            future = repo.pending.get(commit.sha)
            if future is None:
                return
            date = placed[commit.sha]
            arrived[date].append(commit)
            landed[date] += 1
            if landed[date] == len(repo.shas[date]):  # the day's last commit: the day's, in one go
                store_arrived(date)
            rated = repo.rated[commit.sha]
            task = asyncio.create_task(self._commit(repo, commit, rated))
            task.add_done_callback(lambda t: _settle(rated, t))
            task.add_done_callback(lambda t: _settle(future, t))
            repo.tasks.append(task)
            if not commit.is_merge:
                self.tally.commits_total += 1
                self.tally.changed()

        def on_unreadable(sha: str, placed_at: dt.datetime, reason: str) -> None:
            date = local_date_of(placed_at, tz)
            if date in wanted:
                repo.skipped[date].append(f"{sha} {reason}")
                log.warning("%s: commit %s skipped: %s", date, sha, reason, extra=repo.extra())

        try:
            await repo.source.stream(
                window, on_listed, on_commit, slots=self.slots(repo.source),
                on_unreadable=on_unreadable, budget=budget, day_of=lambda moment: local_date_of(moment, tz),
            )  # fmt: skip
            store_arrived()
        except IncompleteFetch as exc:  # bad answers for some commits: those fail, the days go on
            store_arrived()
            repo.not_fetched(exc.failed)
        except BaseException:
            with contextlib.suppress(Exception):  # the failure told is the first one
                store_arrived()
            for task in day_tasks.values():
                task.cancel()
            # What was fetched is analysed and stored before the repository fails.
            await asyncio.gather(*repo.tasks, return_exceptions=True)
            await asyncio.gather(*day_tasks.values(), return_exceptions=True)
            raise
        if not repo.listed.is_set():  # a source that listed nothing
            repo.listed.set()
        try:
            return list(await asyncio.gather(*(day_tasks[d] for d in repo.plan)))
        except BaseException:  # e.g. the endpoint refused the key: the repository stops, nothing dangles
            for task in [*repo.tasks, *day_tasks.values()]:
                task.cancel()
            await asyncio.gather(*repo.tasks, *day_tasks.values(), return_exceptions=True)
            raise

    async def _commit(
        self,
        repo: RepoPass,
        commit: Commit,
        rated: asyncio.Future[tuple[Commit, Score, Analysis | None] | None],
    ) -> tuple[Commit, Score, Analysis | None]:
        """The commit through the analysis stage (engine/analysing.py); ``rated`` gets the first analysis
        the moment it lands (the overview starts from it)."""
        stage = Stage(self.store, repo.settings, repo.analyzer, repo.session, self.heuristic, self.tally,
                      self.off, unstored=repo.unstored, absent=repo.absent, batch=repo.batch(self._batchers, self.store, self.off))  # fmt: skip
        counts = repo.counts[local_date_of(commit.committed_at, repo.settings.report.timezone)]

        def first(analysed: tuple[Commit, Score, Analysis | None]) -> None:
            if not rated.done():
                rated.set_result(analysed)

        return await analyse_commit(stage, commit, counts, first)

    # one day ---------------------------------------------------------------------------------------

    async def _day(self, repo: RepoPass, date: dt.date) -> UnitOutcome:
        await repo.listed.wait()
        if date in repo.deferred:  # nothing of it is built: the next run builds it whole
            return day_outcome(repo.source.repo, date, "deferred")
        language = repo.settings.report.language
        shas = repo.shas.get(date, [])

        async def landed(futures: dict[str, asyncio.Future[Any]]) -> list[ReportCommit]:
            found = [c for c in await asyncio.gather(*(futures[sha] for sha in shas)) if c is not None]
            ordered = sorted(found, key=lambda pair: pair[0].committed_at, reverse=True)  # newest first
            return [report_commit(c, s, a, matching_topics(c, repo.watch)) for c, s, a in ordered]

        rated = await landed(repo.rated)
        final = asyncio.ensure_future(landed(repo.pending))
        try:
            overview, fresh = await repo.overview(self.store, self.off, self.heuristic, rated, final, date)
            commits = await final
        finally:
            final.cancel()  # (a no-op once it is done; a cancelled day leaves nothing behind)
        outcome, relinked = await self.off(
            repo.assemble, self.store, date, commits, overview, fresh, self.now
        )
        day = repo.built(outcome, relinked)
        if day.status == "built":
            await self.off(
                self.store.record_day_settings, repo.source.repo, date, language, repo.settings_digest
            )
        self.tally.units_done += 1
        self.tally.changed()
        return day


def _settle(future: asyncio.Future[Any], task: asyncio.Task[Any]) -> None:
    if future.done():
        return
    if task.cancelled():
        future.cancel()
    elif task.exception() is not None:
        future.set_exception(task.exception())  # type: ignore[arg-type]
        # The day that awaits it may be cancelled first (the repository failed): the error is the task's
        # and is reported through it, so asyncio must not print it again as "never retrieved".
        future.add_done_callback(lambda f: f.exception())
    else:
        future.set_result(task.result())


def _failed(result: RepoResult, error: str, extra: dict[str, str]) -> RepoResult:
    result.status = "failed"
    result.error = scrub(error)
    log.error("failed: %s", result.error, extra=extra)
    return result


# entry points ---------------------------------------------------------------------------------------


def _say_job(
    job: RepoJob, dates: Sequence[dt.date], publishers: Sequence[Publisher], extra: dict[str, str]
) -> None:
    settings = job.settings
    log.debug(
        "source %s; days %s; timezone %s; language %s; analyser %s; publishers %s",
        scrub(job.source), f"{dates[0]} … {dates[-1]}" if dates else "of the look-back",
        settings.report.timezone, settings.report.language, settings.analysis.analyzer,
        ", ".join(p.name for p in publishers) or "none", extra=extra,
    )  # fmt: skip
