"""The pure pieces of a day's report that the engine (engine/stream.py) assembles: a commit as it stands
in a report, the statistics line, the failure gate. The wiring itself lives in the engine only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dailydiff.analysis.claims import day_grounding
from dailydiff.models import (
    Analysis,
    AnalysisStatus,
    Commit,
    DayReport,
    Level,
    Overview,
    ReportCommit,
    ReportStats,
    Score,
    Usage,
)
from dailydiff.settings import Settings
from dailydiff.store import Store


@dataclass
class DayOutcome:
    report: DayReport
    gated: bool = False  # too many failures: not saved over a better stored report
    kept_previous: bool = False


def same_analyses(previous: DayReport, commits: Sequence[ReportCommit]) -> bool:
    """The stored report was made from the very same analyses (so its overview still holds)."""

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
    if analysis is not None and analysis.grounding is not None:  # the trace stays in the store (--claims)
        analysis = analysis.model_copy(update={"grounding": analysis.grounding.published()})
    data = commit.model_dump(exclude={"title"})
    data["files"] = [{**f, "patch": None} for f in data["files"]]
    data.update(score=score, analysis=analysis, level=level, watch=list(watch))
    return ReportCommit.model_validate(data)


def report_stats(
    commits: Sequence[ReportCommit], overview: Overview | None = None, replaced: Usage | None = None
) -> ReportStats:
    """The statistics line of a report, from its commits (and the overview call's tokens, and what analyses
    of these commits since replaced had cost: counted in, and apart)."""
    replaced = replaced or Usage()
    usage = (overview.usage if overview is not None else Usage()) + replaced
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
        replaced_prompt_tokens=replaced.prompt_tokens,
        replaced_completion_tokens=replaced.completion_tokens,
        replaced_cost=replaced.cost,
        grounding=day_grounding(
            [rc.analysis.grounding for rc in commits if rc.analysis is not None]
            + [overview.grounding if overview is not None else None]
        ),
        cached_tokens=usage.cached_tokens,
    )


# What this run did and spent for a day, in the order of RunSummary's fields (the JSON summaries' order).
RUN_FIGURES = {"analysed", "cached", "escalated", "fallback", "failed", "failures", "prompt_tokens",
               "completion_tokens", "cost"}  # fmt: skip


def run_figures(report: DayReport) -> dict[str, Any]:
    """What *this run* analysed and spent for the day (``day_figures``: what the day cost in all)."""
    return report.run.model_dump(include=RUN_FIGURES)


def day_figures(report: DayReport) -> dict[str, Any]:
    """Tokens and cost *of the day*: the sum over its stored analyses and overview, and what replaced
    analyses had cost (README, "Figures"; ``day_replaced_*`` that part apart): the same on every re-run, never
    less after a re-analysis. ``prompt_tokens``, ``completion_tokens`` and ``cost`` are *this run's*."""
    s = report.stats
    return {"day_prompt_tokens": s.prompt_tokens, "day_completion_tokens": s.completion_tokens,
            "day_cost": round(s.cost, 6), "day_replaced_prompt_tokens": s.replaced_prompt_tokens,
            "day_replaced_completion_tokens": s.replaced_completion_tokens,
            **{f"claims_{k}": v for k, v in s.grounding.model_dump().items()}}  # fmt: skip


def failure_ratio(report: DayReport) -> float:
    """The share of the day's analyses that failed (commits the source could not fetch count as failed)."""
    return report.failure_gate(0.0).ratio


def gate(report: DayReport, settings: Settings, store: Store) -> DayOutcome:
    """The day's failure gate, computed here once and stored with the report (every reader shows this
    verdict); then save the report, unless it is gated and the stored one is better (then keep that)."""
    from dailydiff.engine.alerted import mark_alerted

    report = mark_alerted(report, settings, store)  # 👀 and when, for the commits alerted before this build
    limit = settings.analysis.max_failure_ratio
    verdict = report.model_copy(update={"gate": None}).failure_gate(limit)
    report = report.model_copy(update={"gate": verdict})
    if verdict.gated:
        previous = store.get_report(report.repo, report.date, report.language)
        if previous is not None and previous.failure_gate(limit).ratio < verdict.ratio:
            return DayOutcome(report=previous, gated=True, kept_previous=True)
    store.save_report(report)
    _embed(store, settings)
    return DayOutcome(report=report, gated=verdict.gated)


def _embed(store: Store, settings: Settings) -> None:
    """Hybrid retrieval: the day's commits embedded once, as they are stored (search/hybrid.py, imported only
    when a model is configured)."""
    if settings.search.embedding_model:
        from dailydiff.search.hybrid import embed_stored

        embed_stored(store, settings)
