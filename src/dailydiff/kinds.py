"""The kinds the data model names (importance, change type, file status, analysis status): plain enums,
importable without the data model (pydantic), for what only needs their values: the settings' checks, the
search filters. dailydiff.models re-exports them."""

from enum import StrEnum


class Level(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]


LEVELS_HIGH_FIRST: tuple[Level, ...] = (Level.HIGH, Level.MEDIUM, Level.LOW)


class ChangeType(StrEnum):
    FEATURE = "feature"
    BUGFIX = "bugfix"
    PERFORMANCE = "performance"
    REFACTOR = "refactor"
    DOCS = "docs"
    TEST = "test"
    CI_BUILD = "ci_build"
    DEPENDENCY = "dependency"
    CONFIG = "config"
    SECURITY = "security"
    REVERT = "revert"
    RELEASE = "release"
    OTHER = "other"


class FileStatus(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"
    RENAMED = "renamed"
    COPIED = "copied"
    CHANGED = "changed"  # type or mode change only


class AnalysisStatus(StrEnum):
    OK = "ok"
    FALLBACK = "fallback"  # the preferred analyser failed; another (heuristic) produced this record
    FAILED = "failed"
