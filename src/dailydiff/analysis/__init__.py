"""Analysers: a plain registry from name to factory. ``auto`` picks the LLM when one is configured.

The LLM analyser (and with it the `openai` SDK, a third of a second to import) is imported only when an
LLM is used: a heuristic report never loads it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dailydiff.analysis.base import AnalysisRequest, Analyzer, OnResult
from dailydiff.analysis.heuristic import HeuristicAnalyzer, heuristic_overview
from dailydiff.errors import ConfigError
from dailydiff.settings import Settings
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.analysis.llm import LLMAnalyzer

# A factory gets the settings and the store (where an analyser may remember what it learnt of an endpoint).
AnalyzerFactory = Callable[[Settings, Store | None], Analyzer]


def api_key(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """The LLM API key, read from the environment variable named in config (never from config itself)."""
    return (os.environ if environ is None else environ).get(settings.llm.api_key_env, "").strip()


def llm_configured(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """A model is named, and there is an endpoint to ask: a base URL, or a key for the default (OpenAI)."""
    return bool(settings.llm.model) and bool(settings.llm.base_url or api_key(settings, environ))


def _make_llm(settings: Settings, store: Store | None = None) -> Analyzer:
    if not settings.llm.model:
        raise ConfigError(
            "no LLM model is configured",
            "set llm.model (or DAILYDIFF_LLM_MODEL), or use --analyzer heuristic",
        )
    from dailydiff.analysis.llm import LLMAnalyzer

    return LLMAnalyzer(settings.llm, api_key(settings), store, grounding=settings.analysis.grounding)


ANALYZERS: dict[str, AnalyzerFactory] = {
    "heuristic": lambda settings, store: HeuristicAnalyzer(),
    "llm": _make_llm,
}


def analyzer_name(name: str, settings: Settings) -> str:
    """The analyser ``name`` stands for: ``auto`` is the LLM when one is configured, else the heuristic."""
    if name == "auto":
        return "llm" if "llm" in ANALYZERS and llm_configured(settings) else "heuristic"
    return name


def preload_llm(settings: Iterable[Settings]) -> threading.Thread | None:
    """When one of ``settings`` analyses with the LLM unstreamed (``[llm] stream = false``), start importing
    the model client's SDK (``openai``: over half a second of CPU) on a thread of its own: it then overlaps
    what a run starts with (the store's connections, the first claim of a plan, git) instead of holding up
    the event loop at the first analysis. A streamed answer (the default) is read with the HTTP client alone
    (analysis/client.py), so the SDK is not loaded at all: on a worker sharing its cores that half second
    is taken from the start, before the first request. Only the SDK, which imports nothing of ours, so the
    two threads never wait on each other's module locks. A failure is left to the import that needs it,
    where it is reported."""
    if not any(analyzer_name(s.analysis.analyzer, s) == "llm" and not s.llm.stream for s in settings):
        return None
    thread = threading.Thread(target=_import_quietly, args=("openai",), name="dailydiff-preload", daemon=True)
    thread.start()
    return thread


def _import_quietly(module: str) -> None:
    with contextlib.suppress(Exception):  # the analyser's own import raises it again, with its message
        importlib.import_module(module)


def make_analyzer(name: str, settings: Settings, store: Store | None = None) -> Analyzer:
    name = analyzer_name(name, settings)
    factory = ANALYZERS.get(name)
    if factory is None:
        raise ConfigError(f"unknown analyser {name!r}", f"choose one of: {', '.join([*ANALYZERS, 'auto'])}")
    return factory(settings, store)


def __getattr__(name: str) -> Any:
    if name == "LLMAnalyzer":
        from dailydiff.analysis.llm import LLMAnalyzer

        return LLMAnalyzer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ANALYZERS",
    "AnalysisRequest",
    "Analyzer",
    "HeuristicAnalyzer",
    "LLMAnalyzer",
    "OnResult",
    "analyzer_name",
    "heuristic_overview",
    "llm_configured",
    "make_analyzer",
    "preload_llm",
]
