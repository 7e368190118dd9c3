"""The seam between `dailydiff run` and the publishers.

A publisher has a ``name`` and one method, ``publish(report) -> PublishResult``. `run` calls every
publisher a repository uses for every day it builds; one failing does not stop the others, and every
result goes into the run summary. What a publisher delivered is recorded in the store so that a re-run
does not send a day twice (``--force`` does).

Publishers come from two places: the built-in files output (``--output-dir`` / ``[run] output_dir``) and
``PUBLISHER_PROVIDERS`` — functions from settings to the publishers configured there. The list is empty
until configurable publishers (GitHub, webhooks, email) register their provider here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..config import RepoEntry, Settings
from ..errors import ConfigError, DailyDiffError
from ..models import DayReport, Window
from ..publish.files import report_path, write_report_files


@dataclass(frozen=True)
class PublishResult:
    publisher: str
    status: str  # "ok", "skipped" or "failed"
    detail: str = ""
    paths: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"publisher": self.publisher, "status": self.status, "detail": self.detail}
        if self.paths:
            data["paths"] = self.paths
        return data


class Publisher(Protocol):
    name: str

    def publish(self, report: DayReport) -> PublishResult: ...


@runtime_checkable
class TracksItsOwnOutput(Protocol):
    """A publisher that can tell by itself whether a day is already delivered (the files output checks
    that its files exist); the others are asked through the store's delivery records."""

    def delivered(self, repo: str, date: dt.date, language: str, timezone: str) -> bool: ...


PublisherProvider = Callable[[Settings], Sequence[Publisher]]

# Providers of configured publishers register here (name -> publishers built from the settings).
PUBLISHER_PROVIDERS: list[PublisherProvider] = []


class FilesOutput:
    """The report files under an output directory, written atomically (the built-in publisher)."""

    name = "files"

    def __init__(
        self, output_dir: Path, formats: Sequence[str], renderers: dict[str, Any], path_template: str
    ):
        self.output_dir = output_dir
        self.formats = list(formats)
        self.renderers = renderers
        self.path_template = path_template

    def targets(self, repo: str, date: dt.date, language: str, timezone: str) -> list[Path]:
        stub = DayReport(
            repo=repo,
            date=date,
            timezone=timezone,
            language=language,
            window=Window(
                start=dt.datetime.min.replace(tzinfo=dt.UTC), end=dt.datetime.min.replace(tzinfo=dt.UTC)
            ),
        )
        return [self.output_dir / report_path(stub, self.path_template, fmt) for fmt in self.formats]

    def delivered(self, repo: str, date: dt.date, language: str, timezone: str) -> bool:
        # Files are written atomically (temporary file + rename): a file that exists is complete.
        return all(path.is_file() for path in self.targets(repo, date, language, timezone))

    def publish(self, report: DayReport) -> PublishResult:
        try:
            written = write_report_files(
                report, self.output_dir, self.formats, self.renderers, self.path_template
            )
        except DailyDiffError as exc:
            return PublishResult(self.name, "failed", str(exc))
        return PublishResult(self.name, "ok", f"{len(written)} file(s)", [str(p) for p in written])


def configured_publishers(settings: Settings, files: FilesOutput | None) -> list[Publisher]:
    publishers: list[Publisher] = [files] if files is not None else []
    for provider in PUBLISHER_PROVIDERS:
        publishers.extend(provider(settings))
    names = [p.name for p in publishers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"publisher name(s) used twice: {', '.join(duplicates)}", "give each publisher its own name"
        )
    return publishers


def publishers_for(entry: RepoEntry, index: int, available: Sequence[Publisher]) -> list[Publisher]:
    """The publishers one repository uses: all of them, or the ones its ``publishers`` key names."""
    if entry.publishers is None:
        return list(available)
    by_name = {p.name: p for p in available}
    unknown = [name for name in entry.publishers if name not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none (set --output-dir or [run] output_dir for the files output)"
        raise ConfigError(
            f"invalid setting 'repos[{index}].publishers': unknown publisher {unknown[0]!r}",
            f"configured publishers: {known}",
        )
    return [by_name[name] for name in entry.publishers]
