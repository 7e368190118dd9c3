"""The rules analyser's version and fingerprint, without the analyser: `notes` finds the stored analyses of a
store that has the days by their fingerprints, and imports the analyser only when it has commits to analyse."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dailydiff.models import Level

RULES_VERSION = "h10"  # raised whenever the rules analyser writes an analysis differently


def heuristic_fingerprint(depth: Level, language: str) -> str:
    """What identifies a rules analysis: a stored one is reused only on a match."""
    return f"heuristic:{RULES_VERSION}:{language}:{depth.value}"
