"""The analyser seam: one method that analyses a batch of commits and reports each result as it is
ready (so the pipeline can store it at once and an interrupted run loses nothing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from dailydiff.models import Analysis, Commit, Level, Overview, ReportCommit, Score


@dataclass(frozen=True)
class AnalysisRequest:
    commit: Commit
    score: Score
    depth: Level  # which fields to produce: high = every field, medium = summary/impact/advice, low = summary
    repo_context: str = ""


OnResult = Callable[[AnalysisRequest, Analysis], None]


class Analyzer(Protocol):
    name: str  # "heuristic" or "llm:<model>"

    def fingerprint(self, depth: Level, language: str) -> str:
        """Identifies everything that shapes an analysis; a stored analysis is reused only on a match."""
        ...

    def analyse_many(self, requests: Sequence[AnalysisRequest], language: str, on_result: OnResult) -> None:
        """Analyse every request, calling ``on_result(request, analysis)`` as each one completes.
        A failed analysis is reported as an ``Analysis`` with status ``failed``, never raised, except for
        errors that make every further call pointless (bad credentials), which raise AnalysisError."""
        ...

    def overview(self, commits: Sequence[ReportCommit], language: str) -> Overview: ...
