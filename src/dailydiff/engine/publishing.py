"""The seam between `dailydiff run` and the publishers.

A publisher here has a ``name`` and one method, ``publish(report) -> PublishResult``. `run` calls every
publisher a repository uses for every day it builds; one failing does not stop the others, and every
result goes into the run summary. What a publisher delivered is recorded in the store so that a re-run
does not send a day twice (``--force`` does).

The publishers are the built-in files output (``--output-dir`` / ``[run] output_dir``, named ``files``)
and every ``[[publish]]`` entry (publish/registry.py), adapted to this seam by ``ConfiguredPublisher``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dailydiff.engine.stages import failure_ratio
from dailydiff.errors import ConfigError, DailyDiffError, PartialPublishError, PublishError
from dailydiff.models import DayReport, Window
from dailydiff.publish import base as publish_base
from dailydiff.publish.files import report_path, write_report_files
from dailydiff.publish.registry import PUBLISHERS, entry_names, publish_report
from dailydiff.settings import RepoEntry, Settings
from dailydiff.store import Store

log = logging.getLogger("dailydiff.run")


@dataclass(frozen=True)
class PublishResult:
    publisher: str
    status: str  # "ok", "skipped" or "failed"
    detail: str = ""
    paths: list[str] = field(default_factory=list)
    type: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"publisher": self.publisher, "type": self.type, "status": self.status,
                                "detail": self.detail}  # fmt: skip
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
            return PublishResult(self.name, "failed", str(exc), type="files")
        for path in written:
            remove_stale_temporaries(path)
        return PublishResult(self.name, "ok", f"{len(written)} file(s)", [str(p) for p in written], "files")


STALE_AFTER_SECONDS = 3600


def remove_stale_temporaries(path: Path, now: float | None = None) -> None:
    """Temporary files that a killed writer left beside ``path`` (``.NAME.*.tmp``). Only old ones: a
    younger one may belong to another run writing the same file right now."""
    cutoff = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            continue


class ConfiguredPublisher:
    """A ``[[publish]]`` entry behind the run's seam. Each thread builds its own instance of the real
    publisher (HTTP clients and secrets are not shared between repositories processed at once)."""

    def __init__(self, entry: Any, name: str, renderers: Mapping[str, Any], environ: Mapping[str, str]):
        self.entry, self.name, self.type = entry, name, entry.type
        self.renderers, self.environ = renderers, environ
        self._local = threading.local()

    def publish(self, report: DayReport) -> PublishResult:
        if not hasattr(self._local, "publisher"):
            self._local.secrets = publish_base.Secrets(self.environ)
            self._local.publisher = PUBLISHERS[self.type](self.entry, self.name, self._local.secrets)
        rendered = publish_base.Rendered(report, self.renderers)
        [result] = publish_report(report, rendered, [self._local.publisher], self._local.secrets)
        return PublishResult(result.publisher, result.status.value, result.detail, type=result.type)


def configured_publishers(
    settings: Settings,
    files: FilesOutput | None,
    renderers: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Publisher]:
    """The built-in files output (when there is an output directory) and every [[publish]] entry."""
    publishers: list[Publisher] = [files] if files is not None else []
    environ = os.environ if environ is None else environ
    for name, entry in zip(entry_names(settings.publish), settings.publish, strict=True):
        publishers.append(ConfiguredPublisher(entry, name, renderers or {}, environ))
    names = [p.name for p in publishers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"publisher name(s) used twice: {', '.join(duplicates)}",
            "give the [[publish]] entry another name (`files` is the --output-dir output)",
        )
    return publishers


def publishers_for(entry: RepoEntry, index: int, available: Sequence[Publisher]) -> list[Publisher]:
    """The publishers one repository uses: all of them, or the ones its ``publishers`` key names."""
    if entry.publishers is None:
        return list(available)
    by_name = {p.name: p for p in available}
    unknown = [name for name in entry.publishers if name not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none (add [[publish]] entries, or --output-dir for the files output)"
        raise ConfigError(
            f"invalid setting 'repos[{index}].publishers': unknown publisher {unknown[0]!r}",
            f"configured publishers: {known}",
        )
    return [by_name[name] for name in entry.publishers]


# the delivery seam: the engine calls this one function for every day it builds --------------------

DELIVERED = frozenset({"ok", "skipped"})  # a publisher with nothing to do (unchanged content) has delivered


def delivered_everywhere(
    store: Store,
    publishers: Sequence[Publisher],
    repo: str,
    date: dt.date,
    language: str,
    tz: str,
    max_failure_ratio: float,
) -> bool:
    """A day is up to date when every publisher it goes to has it (with none: once a report is stored
    that passed the failure gate)."""
    if not publishers:
        stored = store.get_report(repo, date, language)
        return stored is not None and failure_ratio(stored) <= max_failure_ratio
    recorded = store.deliveries(repo, date, language)
    for publisher in publishers:
        if isinstance(publisher, TracksItsOwnOutput):
            if not publisher.delivered(repo, date, language, tz):
                return False
        elif recorded.get(publisher.name) not in DELIVERED:
            return False
    return True


async def deliver_unit(
    report: DayReport, rendered: Mapping[str, str], targets: Sequence[Publisher], store: Store, *, force: bool
) -> list[PublishResult]:
    """Send one day's report to each target it has not reached yet (all of them with ``force``); record
    what each did in the store. The sending runs on worker threads; the store is used from the caller's
    event loop only. One target failing never stops the others."""
    results = []
    recorded = store.deliveries(report.repo, report.date, report.language)
    for publisher in targets:
        kind = str(getattr(publisher, "type", publisher.name))
        if not force and _already(publisher, recorded, report):
            results.append(PublishResult(publisher.name, "skipped", "already delivered", type=kind))
            continue
        try:
            outcome = await asyncio.to_thread(publisher.publish, report)
        except DailyDiffError as exc:
            outcome = PublishResult(publisher.name, "failed", str(exc), type=kind)
        except Exception as exc:
            log.debug("publisher error", exc_info=True)
            outcome = PublishResult(publisher.name, "failed", f"{type(exc).__name__}: {exc}", type=kind)
        if not isinstance(publisher, TracksItsOwnOutput):
            store.record_delivery(
                report.repo, report.date, report.language, publisher.name, outcome.status, outcome.detail
            )
        results.append(outcome)
    return results


def _already(publisher: Publisher, recorded: dict[str, str], report: DayReport) -> bool:
    if isinstance(publisher, TracksItsOwnOutput):
        return publisher.delivered(report.repo, report.date, report.language, report.timezone)
    return recorded.get(publisher.name) in DELIVERED


def publish_error(results: Sequence[PublishResult]) -> PublishError | None:
    """The error a command exits with when publishers failed: 8 when others succeeded, else 7."""
    failed = [r for r in results if r.status == "failed"]
    if not failed:
        return None
    names = ", ".join(sorted({r.publisher for r in failed}))
    error_class = PartialPublishError if len(failed) < len(results) else PublishError
    return error_class(
        f"{len(failed)} of {len(results)} publish step(s) failed ({names})",
        "see the run summary for each reason; fix it and run the same command again",
    )
