"""The only module that wires the stages: fetch → store → score → analyse → (render, publish by the caller).

``build_reports`` reads the whole date range from the source in one pass, stores the commits, then
builds one DayReport per day. Every analysis is saved the moment it is made, so an interrupted run
loses nothing and a re-run computes nothing it already has.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dailydiff.analysis import AnalysisRequest, Analyzer, HeuristicAnalyzer
from dailydiff.analysis.heuristic import fallback_analysis
from dailydiff.common.timewindow import day_window, local_date_of, range_window
from dailydiff.errors import GateError
from dailydiff.models import (
    Analysis,
    AnalysisStatus,
    Commit,
    DayReport,
    Level,
    Overview,
    ReportCommit,
    ReportStats,
    RunSummary,
    Score,
    Usage,
)
from dailydiff.scoring.rules import score_commit
from dailydiff.scoring.watch import matching_topics
from dailydiff.settings import Settings, WatchTopic
from dailydiff.sources import CommitSource
from dailydiff.store import Store

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class DayOutcome:
    report: DayReport
    gated: bool = False  # too many failures: not saved over a better stored report
    kept_previous: bool = False


@dataclass
class RangeOutcome:
    days: list[DayOutcome] = field(default_factory=list)
    fetched: int = 0

    @property
    def reports(self) -> list[DayReport]:
        return [d.report for d in self.days]


def build_reports(
    source: CommitSource,
    dates: Sequence[dt.date],
    settings: Settings,
    store: Store,
    analyzer: Analyzer,
    *,
    progress: Progress = _no_progress,
    now: dt.datetime | None = None,
    watch: Sequence[WatchTopic] = (),
) -> RangeOutcome:
    tz = settings.report.timezone
    window = range_window(dates[0], dates[-1], tz)
    progress("fetch", 0, 1)
    commits = source.commits(window)
    store.save_commits(commits)
    progress("fetch", 1, 1)
    by_day: dict[dt.date, list[Commit]] = defaultdict(list)
    for commit in commits:
        by_day[local_date_of(commit.committed_at, tz)].append(commit)
    outcome = RangeOutcome(fetched=len(commits))
    for date in dates:
        day = build_day(
            source, date, by_day.get(date, []), settings, store, analyzer,
            progress=progress, now=now, watch=watch,
        )  # fmt: skip
        outcome.days.append(day)
    return outcome


def build_day(
    source: CommitSource,
    date: dt.date,
    commits: Sequence[Commit],
    settings: Settings,
    store: Store,
    analyzer: Analyzer,
    *,
    progress: Progress = _no_progress,
    now: dt.datetime | None = None,
    watch: Sequence[WatchTopic] = (),
) -> DayOutcome:
    started = time.monotonic()
    language = settings.report.language
    heuristic = HeuristicAnalyzer()
    ordered = sorted(commits, key=lambda c: c.committed_at, reverse=True)  # newest first; stable for ties
    scores = {c.sha: score_commit(c, settings.scoring) for c in ordered}
    analysable = [c for c in ordered if not c.is_merge]
    results: dict[str, Analysis] = {}
    summary = _Counts()

    requests = [AnalysisRequest(commit=c, score=scores[c.sha], depth=scores[c.sha].level) for c in analysable]
    _analyse(requests, analyzer, heuristic, language, store, results, summary, progress)
    # The model rates a commit above the depth it was given: analyse it again, deeper (once).
    deeper = [
        AnalysisRequest(commit=r.commit, score=r.score, depth=results[r.commit.sha].importance or r.depth)
        for r in requests
        if getattr(analyzer, "escalates", True)
        and results[r.commit.sha].status is AnalysisStatus.OK
        and results[r.commit.sha].importance is not None
        and results[r.commit.sha].importance.rank > r.depth.rank  # type: ignore[union-attr]
    ]
    if deeper:
        _analyse(deeper, analyzer, heuristic, language, store, results, summary, progress, escalation=True)

    watched = {c.sha: matching_topics(c, watch) for c in ordered}
    report_commits = [report_commit(c, scores[c.sha], results.get(c.sha), watched[c.sha]) for c in ordered]
    overview, fresh = _overview(analyzer, heuristic, report_commits, store, source.repo, date, language)
    stats = report_stats(report_commits, overview)
    run_usage = summary.usage + overview.usage if fresh else summary.usage
    run = RunSummary(
        fetched=len(ordered),
        analysed=summary.analysed,
        cached=summary.cached,
        escalated=summary.escalated,
        fallback=stats.fallback,
        failed=stats.failed,
        failures=summary.failures,
        prompt_tokens=run_usage.prompt_tokens,
        completion_tokens=run_usage.completion_tokens,
        cost=run_usage.cost,
        duration_seconds=round(time.monotonic() - started, 3),
        max_requests_per_commit=summary.max_requests,
        estimated_prompt_tokens=run_usage.estimated_prompt_tokens,
    )
    report = DayReport(
        repo=source.repo,
        repo_url=source.repo_url,
        date=date,
        timezone=settings.report.timezone,
        language=language,
        window=day_window(date, settings.report.timezone),
        commits=report_commits,
        stats=stats,
        overview=overview,
        analyzer=analyzer.name,
        generated_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
        run=run,
    )
    return _gate(report, settings, store)


@dataclass
class _Counts:
    analysed: int = 0  # commits analysed this run (each counted once)
    cached: int = 0  # commits whose analysis came from the store
    escalated: int = 0  # commits analysed again, deeper, because the model rated them higher
    failures: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    requests: dict[str, int] = field(default_factory=dict)  # LLM requests per commit (sha), this run

    @property
    def max_requests(self) -> int:
        return max(self.requests.values(), default=0)


def _analyse(
    requests: list[AnalysisRequest],
    analyzer: Analyzer,
    heuristic: HeuristicAnalyzer,
    language: str,
    store: Store,
    results: dict[str, Analysis],
    counts: _Counts,
    progress: Progress,
    *,
    escalation: bool = False,
) -> None:
    if not requests:
        return
    repo = requests[0].commit.repo
    fingerprints = {r.commit.sha: analyzer.fingerprint(r.depth, language) for r in requests}
    stored = store.get_analyses(repo, fingerprints.keys(), set(fingerprints.values()))
    missing: list[AnalysisRequest] = []
    for request in requests:
        found = stored.get((request.commit.sha, fingerprints[request.commit.sha]))
        if found is not None and found.status is AnalysisStatus.OK:
            results[request.commit.sha] = found
            counts.cached += 0 if escalation else 1
        else:
            missing.append(request)
    done = len(requests) - len(missing)
    total = len(requests)
    progress("analyse", done, total)

    def on_result(request: AnalysisRequest, analysis: Analysis) -> None:
        nonlocal done
        counts.usage = counts.usage + analysis.usage
        sha = request.commit.sha
        counts.requests[sha] = counts.requests.get(sha, 0) + analysis.usage.requests
        previous = results.get(sha)
        if analysis.status is AnalysisStatus.OK:
            store.save_analysis(repo, request.commit.sha, analysis)
            if escalation:
                counts.escalated += 1
            else:
                counts.analysed += 1
        elif escalation and previous is not None and previous.status is AnalysisStatus.OK:
            # The deeper re-analysis failed: the shallower analysis stands (its tokens still count).
            store.save_analysis(repo, sha, analysis)
            analysis = previous.model_copy(update={"usage": previous.usage + analysis.usage})
        else:
            reason = analysis.error or "unknown error"
            counts.failures.append(f"{request.commit.short_sha}: {reason}")
            # Keep the failed attempt (raw text included) for inspection, then stand in with the rules.
            store.save_analysis(repo, request.commit.sha, analysis)
            spent = analysis.usage  # the tokens the failed attempt cost still count
            raw = analysis.raw  # an unparsed answer is shown, marked, under the fallback analysis
            analysis = fallback_analysis(
                heuristic, request.commit, request.score, request.depth, language, reason
            )
            analysis = analysis.model_copy(update={"usage": spent, "raw": raw})
        results[request.commit.sha] = analysis
        done += 1
        progress("analyse", done, total)

    analyzer.analyse_many(missing, language, on_result)


def _overview(
    analyzer: Analyzer,
    heuristic: HeuristicAnalyzer,
    commits: list[ReportCommit],
    store: Store,
    repo: str,
    date: dt.date,
    language: str,
) -> tuple[Overview, bool]:
    """The day overview, and whether it was made now. The stored report's overview is reused when that
    report came from this analyser over the very same analyses (a re-run makes no call, also when the
    model's overview failed then and the rules stood in)."""
    if not commits:
        return heuristic.overview([], language), True
    previous = store.get_report(repo, date, language)
    if (
        previous is not None
        and previous.analyzer == analyzer.name
        and previous.overview.producer in (analyzer.name, "heuristic")
        and _same_analyses(previous, commits)
    ):
        return previous.overview, False
    return analyzer.overview(commits, language), True


def _same_analyses(previous: DayReport, commits: list[ReportCommit]) -> bool:
    def key(rcs: Sequence[ReportCommit]) -> list[tuple[str, str, str]]:
        return [(rc.sha, rc.analysis.fingerprint, rc.analysis.status.value) if rc.analysis else (rc.sha, "", "")
                for rc in rcs]  # fmt: skip

    return key(previous.commits) == key(commits)


def report_commit(
    commit: Commit, score: Score, analysis: Analysis | None, watch: Sequence[str] = ()
) -> ReportCommit:
    """A commit as it stands in a report: patches dropped, the final level chosen, watch topics set."""
    level = score.level
    if analysis is not None and analysis.status is AnalysisStatus.OK and analysis.importance is not None:
        level = analysis.importance
    data = commit.model_dump(exclude={"title"})
    data["files"] = [{**f, "patch": None} for f in data["files"]]
    data.update(score=score, analysis=analysis, level=level, watch=list(watch))
    return ReportCommit.model_validate(data)


def report_stats(commits: Sequence[ReportCommit], overview: Overview | None = None) -> ReportStats:
    """The statistics line of a report, from its commits (and the overview call's tokens)."""
    usage = overview.usage if overview is not None else Usage()
    counts = {level: 0 for level in Level}
    failed = fallback = heuristic = unparsed = merges = 0
    for rc in commits:
        counts[rc.level] += 1
        merges += rc.is_merge
        if rc.analysis is None:
            continue
        usage = usage + rc.analysis.usage
        failed += rc.analysis.status is AnalysisStatus.FAILED
        fallback += rc.analysis.status is AnalysisStatus.FALLBACK
        heuristic += rc.analysis.analyzer == "heuristic"
        unparsed += rc.analysis.raw is not None
    return ReportStats(
        total=len(commits),
        high=counts[Level.HIGH],
        medium=counts[Level.MEDIUM],
        low=counts[Level.LOW],
        merges=merges,
        failed=failed,
        fallback=fallback,
        heuristic=heuristic,
        unparsed=unparsed,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost=usage.cost,
        additions=sum(rc.stats.additions for rc in commits if not rc.is_merge),
        deletions=sum(rc.stats.deletions for rc in commits if not rc.is_merge),
    )


def failure_ratio(report: DayReport) -> float:
    analysable = report.stats.total - report.stats.merges
    if analysable <= 0:
        return 0.0
    return (report.stats.failed + report.stats.fallback) / analysable


def _gate(report: DayReport, settings: Settings, store: Store) -> DayOutcome:
    ratio = failure_ratio(report)
    if ratio > settings.analysis.max_failure_ratio:
        previous = store.get_report(report.repo, report.date, report.language)
        if previous is not None and failure_ratio(previous) < ratio:
            return DayOutcome(report=previous, gated=True, kept_previous=True)
        store.save_report(report)
        return DayOutcome(report=report, gated=True)
    store.save_report(report)
    return DayOutcome(report=report)


def check_gate(outcome: RangeOutcome, settings: Settings) -> None:
    gated = [d for d in outcome.days if d.gated]
    if gated:
        worst = max(gated, key=lambda d: failure_ratio(d.report))
        kept = sum(d.kept_previous for d in gated)
        raise GateError(
            f"{len(gated)} report(s) have more than {settings.analysis.max_failure_ratio:.0%} failed analyses "
            f"(worst: {worst.report.repo} {worst.report.date}, {failure_ratio(worst.report):.0%})"
            + (f"; kept {kept} better earlier report(s)" if kept else ""),
            "check the LLM endpoint and run again; analyses that succeeded are stored and will not be redone",
        )
