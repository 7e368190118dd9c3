"""Analysers: a plain registry from name to factory. ``auto`` picks the LLM when one is configured."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..errors import ConfigError
from .base import AnalysisRequest, Analyzer, OnResult
from .heuristic import HeuristicAnalyzer, heuristic_overview

AnalyzerFactory = Callable[[Settings], Analyzer]

ANALYZERS: dict[str, AnalyzerFactory] = {"heuristic": lambda settings: HeuristicAnalyzer()}


def llm_configured(settings: Settings) -> bool:
    """Whether an LLM endpoint is configured; the LLM analyser replaces this when it is available."""
    return False


def make_analyzer(name: str, settings: Settings) -> Analyzer:
    if name == "auto":
        name = "llm" if "llm" in ANALYZERS and llm_configured(settings) else "heuristic"
    factory = ANALYZERS.get(name)
    if factory is None:
        raise ConfigError(f"unknown analyser {name!r}", f"choose one of: {', '.join([*ANALYZERS, 'auto'])}")
    return factory(settings)


__all__ = [
    "ANALYZERS",
    "AnalysisRequest",
    "Analyzer",
    "HeuristicAnalyzer",
    "OnResult",
    "heuristic_overview",
    "make_analyzer",
]
