"""The per-commit analysis stage, one for every caller: a day's commits (engine/stream.py) and a release's
commits that no day holds (engine/release.py) are scored, analysed, analysed again deeper when the model
rates them above their depth, and stood in for by the rules when the analyser fails, the same way.

Every analysis is stored the moment it lands (a failed attempt too, with its raw text), so an interrupted
caller loses nothing finished; an analysis the store already has at the asked depth is reused.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from dailydiff.analysis import AnalysisRequest, Analyzer, HeuristicAnalyzer
from dailydiff.analysis.base import AnalysisSession
from dailydiff.analysis.claims import commit_evidence, ground
from dailydiff.analysis.heuristic import fallback_analysis
from dailydiff.common.aio import inline
from dailydiff.engine.printer import Tally
from dailydiff.models import Analysis, AnalysisStatus, Commit, Score, Usage
from dailydiff.scoring.rules import score_commit
from dailydiff.settings import Settings
from dailydiff.store import Store

log = logging.getLogger("dailydiff.run")

Analysed = tuple[Commit, Score, Analysis | None]


@dataclass
class Counts:
    """What the stage did for a set of commits (a day's, a release's)."""

    analysed: int = 0  # commits analysed this run (each counted once)
    cached: int = 0  # commits whose analysis came from the store
    escalated: int = 0  # commits analysed again, deeper, because the model rated them higher
    failures: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)  # what this run spent on them
    requests: dict[str, int] = field(default_factory=dict)  # LLM requests per commit (sha), this run

    @property
    def max_requests(self) -> int:
        return max(self.requests.values(), default=0)


@dataclass(frozen=True)
class Stage:
    """What analysing a commit needs: where analyses are kept, the settings that score it, the analyser
    and its session (the run's, shared), the rules that stand in, and the progress to tell; ``call`` runs
    the store's statements (the engine's: off the event loop, common/aio.py ``OffLoop``)."""

    store: Store
    settings: Settings
    analyzer: Analyzer
    session: AnalysisSession
    heuristic: HeuristicAnalyzer = field(default_factory=HeuristicAnalyzer)
    tally: Tally = field(default_factory=Tally)
    call: Callable[..., Awaitable[Any]] = inline
    # Commits the store held no good analysis of (at any depth) when the run listed them: the first analysis
    # of one is made without looking in the store again (each is taken out as it is passed by).
    unstored: set[str] = field(default_factory=set)
    # Those of them with no stored analysis at all: the first one saved replaces nothing (none is looked for).
    absent: set[str] = field(default_factory=set)
    # Batch mode ([llm] batch, analysis/batch.py): a commit's first analysis from the run's batch, None when
    # the batch has no answer for it (then asked as usual).
    batch: Callable[[AnalysisRequest, str], Awaitable[Analysis | None]] | None = None


def _nothing(_: Analysed) -> None:
    return None


async def analyse_commit(
    stage: Stage, commit: Commit, counts: Counts, rated: Callable[[Analysed], None] = _nothing
) -> Analysed:
    """Score, analyse, and analyse again deeper when the model rates the commit above its depth;
    ``rated`` gets the first analysis the moment it lands (a day's overview starts from it). A merge is
    scored, not analysed."""
    score = score_commit(commit, stage.settings.scoring)
    if commit.is_merge:
        return commit, score, None
    request = AnalysisRequest(commit=commit, score=score, depth=score.level)
    first = await _analyse(stage, request, counts)
    rated((commit, score, first))
    final = first
    importance = first.importance
    if (
        stage.analyzer.escalates
        and first.status is AnalysisStatus.OK
        and importance is not None
        and importance.rank > request.depth.rank
    ):
        deeper = await _analyse(
            stage, AnalysisRequest(commit=commit, score=score, depth=importance), counts, escalation=True
        )
        # The report's analysis costs what every request for it cost; a failed deeper attempt keeps
        # the good shallower analysis.
        chosen = deeper if deeper.status is AnalysisStatus.OK else first
        final = chosen.model_copy(update={"usage": first.usage + deeper.usage})
    stage.tally.commits_done += 1
    stage.tally.changed()
    return commit, score, final


async def _analyse(
    stage: Stage, request: AnalysisRequest, counts: Counts, *, escalation: bool = False
) -> Analysis:
    language, grounding = stage.settings.report.language, stage.settings.analysis.grounding
    sha, name = request.commit.sha, request.commit.repo
    fingerprint = stage.analyzer.fingerprint(request.depth, language)
    found = await _stored(stage, name, sha, fingerprint)
    if found is not None and found.status is AnalysisStatus.OK:
        counts.cached += 0 if escalation else 1
        stage.tally.commits_stored += 0 if escalation else 1
        return found
    analysis = await stage.batch(request, language) if stage.batch is not None and not escalation else None
    if analysis is None:
        analysis = await stage.session.analyse(request, language)
    if analysis.status is AnalysisStatus.OK and analysis.grounding is None and grounding != "off":
        # The rules say only what the commit says: traced and counted, never cut (a flag is the tracer's).
        analysis = ground(analysis, commit_evidence(request.commit), "trace", language)
    counts.usage = counts.usage + analysis.usage
    counts.requests[sha] = counts.requests.get(sha, 0) + analysis.usage.requests  # escalation included
    # Kept whatever its status (a failed attempt keeps its raw text for inspection).
    new = sha in stage.absent
    stage.absent.discard(sha)
    await stage.call(functools.partial(stage.store.save_analysis, new=new), name, sha, analysis)
    if analysis.status is AnalysisStatus.OK:
        if escalation:
            counts.escalated += 1
        else:
            counts.analysed += 1
        return analysis
    reason = analysis.error or "unknown error"
    if escalation:
        log.debug("%s: deeper analysis failed (%s); the first one stands", request.commit.short_sha, reason)
        return analysis
    counts.failures.append(f"{request.commit.short_sha}: {reason}")
    return _stand_in(stage, request, analysis, reason)


async def _stored(stage: Stage, repo: str, sha: str, fingerprint: str) -> Analysis | None:
    """The stored analysis of ``sha`` under ``fingerprint``; none when it was listed unstored, and this is
    its first analysis of the run."""
    if sha in stage.unstored:
        stage.unstored.discard(sha)
        return None
    return (await stage.call(stage.store.get_analyses, repo, [sha], {fingerprint})).get((sha, fingerprint))


def _stand_in(stage: Stage, request: AnalysisRequest, failed: Analysis, reason: str) -> Analysis:
    """The rules stand in for a failed analysis; the tokens the failed attempt cost still count, and an
    unparsed answer is shown, marked, under the fallback analysis."""
    language = stage.settings.report.language
    stand_in = fallback_analysis(
        stage.heuristic, request.commit, request.score, request.depth, language, reason
    )
    if stage.settings.analysis.grounding != "off":
        stand_in = ground(stand_in, commit_evidence(request.commit), "trace", language)
    return stand_in.model_copy(update={"usage": failed.usage, "raw": failed.raw})
