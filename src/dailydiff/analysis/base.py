"""The analyser seam. An analyser names itself, fingerprints what shapes its output, and opens one
asynchronous session per run: every analysis and overview of the run goes through that session, so an
LLM analyser shares one client and one concurrency limit between all repositories and days at once.

    async with analyzer.session() as session:
        analysis = await session.analyse(request, language)
        overview = await session.overview(report_commits, language)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from dailydiff.common.aio import run_sync
from dailydiff.models import Analysis, Commit, Level, Overview, ReportCommit, Score


@dataclass(frozen=True)
class AnalysisRequest:
    commit: Commit
    score: Score
    depth: Level  # which fields to produce: high = every field, medium = summary/impact/advice, low = summary
    repo_context: str = ""


OnResult = Callable[[AnalysisRequest, Analysis], None]


class AnalysisSession(Protocol):
    @property
    def in_flight(self) -> int:
        """Requests to the model in flight right now (0 for an analyser that makes none)."""
        ...

    @property
    def capacity(self) -> int | None:
        """Requests the model takes at once now (its concurrency limit); None for an analyser that makes
        none. How many units a run builds at once follows it (engine/room.py)."""
        ...

    async def analyse(self, request: AnalysisRequest, language: str) -> Analysis:
        """One commit's analysis. A failed analysis is an ``Analysis`` with status ``failed``, never raised,
        except for errors that make every further call pointless (bad credentials): AnalysisError."""
        ...

    async def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview: ...

    def expect(self, language: str) -> None:
        """Requests are coming: get ready for them (connect, ask what the endpoint is) beside the fetch."""
        ...


class Analyzer(Protocol):
    name: str  # "heuristic" or "llm:<model>"
    escalates: bool  # a commit the analyser rates above its depth is analysed again, deeper
    is_model: bool  # a language model answers (its overview is worth caching); False: rules

    def fingerprint(self, depth: Level, language: str) -> str:
        """Identifies everything that shapes an analysis; a stored analysis is reused only on a match."""
        ...

    def session(self) -> AbstractAsyncContextManager[AnalysisSession]:
        """One run's session; open it inside the run's event loop."""
        ...


def analyse_many(
    analyzer: Analyzer, requests: Sequence[AnalysisRequest], language: str, on_result: OnResult
) -> None:
    """Analyse a batch outside any event loop (benchmarks, tests, scripts), reporting each result as it
    lands. The engine does not use this: it awaits the session itself."""
    import asyncio  # (here: the rules' worker process imports this module and runs no event loop)

    async def main() -> None:
        async with analyzer.session() as session:

            async def one(request: AnalysisRequest) -> tuple[AnalysisRequest, Analysis]:
                return request, await session.analyse(request, language)

            for next_done in asyncio.as_completed([one(r) for r in requests]):
                request, analysis = await next_done
                on_result(request, analysis)

    if not requests:
        return
    run_sync(main())
