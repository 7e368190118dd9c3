"""One small error tree. Each error carries a one-line message and the next step for the user; the
entry point prints ``error: <message> (<hint>)`` and exits with ``exit_code``, never a traceback."""

from __future__ import annotations

import errno

# errno values that mean the disk (not the path) failed a write: full, over quota, broken (exit 74).
IO_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG})
EXIT_INTERRUPTED = 130  # Ctrl-C (or SIGTERM, as 128 + its number: cli/base.py)


class DailyDiffError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UsageError(DailyDiffError):
    """Bad command-line input: a date, a timezone, a combination of flags."""

    exit_code = 2


class ConfigError(DailyDiffError):
    """The configuration file or environment is invalid."""

    exit_code = 2


class UserTemplateError(ConfigError):
    """One of the user's own templates (``templates_dir``) fails: every output using it would fail alike, so
    it stops the command instead of failing each target."""


class SourceError(DailyDiffError):
    """A commit source could not be read (not a repository, unknown branch, clone failed…)."""

    exit_code = 3


class StoreError(DailyDiffError):
    exit_code = 4


class StoreFullError(StoreError):
    """The store could not be written: the disk (or the database server's disk) is full, or failing."""

    exit_code = 74  # sysexits EX_IOERR, as for a full output directory


class LeaseLostError(StoreError):
    """A worker of a shared plan no longer holds its unit (its lease ran out and another worker took the
    unit over): it stops before writing anything for the unit."""


class StoreBusyError(StoreError):
    """The store was written by another process while it was being read as a whole (`dailydiff store
    check`): what was read is no one moment of it, so nothing is concluded; running it again later is."""

    exit_code = 75  # sysexits EX_TEMPFAIL: try again


class SearchIndexError(StoreError):
    """The store's search index (derived from the reports) cannot be read: damaged, dropped or emptied.
    Only searching stops on it; `dailydiff store reindex` rebuilds it."""


class AnalysisError(DailyDiffError):
    """An analyser could not produce an analysis (the pipeline falls back to the heuristic)."""

    exit_code = 5


class EndpointRefused(AnalysisError):
    """The LLM endpoint refused the run's key, model or response mode (its canary): every further request would
    be refused too, so the run stops (nothing more is built or published; exit 5). Other analysis errors (the
    endpoint down, an answer cut off) leave a command its offline result."""


class GateError(DailyDiffError):
    """Too many analyses failed: the report was not published over a better one."""

    exit_code = 6


class PublishError(DailyDiffError):
    exit_code = 7


class OutputError(PublishError):
    """An output (a directory, a file the user named) cannot be written: no permission, not a directory."""

    exit_code = 74  # sysexits EX_IOERR, as for a full store (the README's exit codes)


class OutputFullError(OutputError):
    """An output directory (or its disk) is full: reports cannot be written there."""


class PartialPublishError(PublishError):
    """Some publishers failed while others succeeded (each result is in the run summary)."""

    exit_code = 8
