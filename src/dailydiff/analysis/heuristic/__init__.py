"""The heuristic analyser: the full Analysis record from rules, offline and instant, in zh and en.

``analyser`` fills the record, ``body`` reads a commit or pull-request body as Markdown and keeps what it
says (not its template), ``phrases`` holds the sentences in both languages.
"""

from dailydiff.analysis.heuristic.analyser import (
    HeuristicAnalyzer,
    fallback_analysis,
    heuristic_overview,
)
from dailydiff.scoring.rules_version import RULES_VERSION

__all__ = ["RULES_VERSION", "HeuristicAnalyzer", "fallback_analysis", "heuristic_overview"]
