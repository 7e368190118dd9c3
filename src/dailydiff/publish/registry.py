"""The publishers by ``type`` (a plain registry), building them from ``[[publish]]`` entries, and
running them: each one's outcome is a PublishResult; one failing never stops the others."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dailydiff.errors import DailyDiffError, PartialPublishError, PublishError
from dailydiff.models import DayReport
from dailydiff.publish.base import Publisher, PublishResult, Secrets, Status
from dailydiff.publish.email import EmailPublisher
from dailydiff.publish.files import atomic_write, report_path
from dailydiff.publish.github import GitHubContentsPublisher, GitHubIssuePublisher
from dailydiff.publish.webhooks import (
    DingTalkPublisher,
    DiscordPublisher,
    FeishuPublisher,
    SlackPublisher,
    WebhookPublisher,
    WeComPublisher,
)
from dailydiff.settings.publishers import FilesEntry


class FilesPublisher:
    type = "files"

    def __init__(self, entry: FilesEntry, name: str, secrets: Secrets) -> None:
        self.entry, self.name = entry, name

    def _targets(self, report: DayReport) -> list[tuple[str, Path]]:
        base = Path(self.entry.directory).expanduser()
        return [
            (fmt, base / report_path(report, self.entry.path_template, fmt)) for fmt in self.entry.formats
        ]

    def preview(self, report: DayReport, rendered: Mapping[str, str]) -> str:
        return "\n".join(
            f"write {path} ({len(rendered[fmt].encode())} bytes)" for fmt, path in self._targets(report)
        )

    def publish(self, report: DayReport, rendered: Mapping[str, str]) -> PublishResult:
        written, unchanged = [], []
        for fmt, path in self._targets(report):
            text = rendered[fmt]
            try:
                if path.is_file() and path.read_text(encoding="utf-8") == text:
                    unchanged.append(str(path))
                    continue
                atomic_write(path, text)
            except OSError as exc:
                raise PublishError(f"cannot write {path}: {exc.strerror}", "check the directory") from None
            written.append(str(path))
        if not written:
            return PublishResult(self.name, self.type, Status.SKIPPED, "unchanged: " + ", ".join(unchanged))
        return PublishResult(self.name, self.type, Status.OK, "wrote " + ", ".join(written))


Factory = Callable[[Any, str, Secrets], Publisher]

PUBLISHERS: dict[str, Factory] = {
    "files": FilesPublisher,
    "github-contents": GitHubContentsPublisher,
    "github-issue": GitHubIssuePublisher,
    "feishu": FeishuPublisher,
    "dingtalk": DingTalkPublisher,
    "wecom": WeComPublisher,
    "slack": SlackPublisher,
    "discord": DiscordPublisher,
    "webhook": WebhookPublisher,
    "email": EmailPublisher,
}


def build_publishers(entries: Sequence[Any], secrets: Secrets) -> list[Publisher]:
    """One publisher per entry, named by the entry's ``name`` or its type (``slack-2`` for a second)."""
    publishers: list[Publisher] = []
    for name, entry in zip(entry_names(entries), entries, strict=True):
        factory = PUBLISHERS.get(entry.type)
        if factory is None:
            raise PublishError(
                f"unknown publisher type {entry.type!r}", f"use one of: {', '.join(PUBLISHERS)}"
            )
        publishers.append(factory(entry, name, secrets))
    return publishers


def entry_names(entries: Sequence[Any]) -> list[str]:
    names = []
    seen: dict[str, int] = {}
    for entry in entries:
        seen[entry.type] = seen.get(entry.type, 0) + 1
        names.append(
            entry.name or (entry.type if seen[entry.type] == 1 else f"{entry.type}-{seen[entry.type]}")
        )
    return names


def select(publishers: Sequence[Publisher], only: Sequence[str]) -> list[Publisher]:
    if not only:
        return list(publishers)
    names = {p.name for p in publishers}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise PublishError(f"no publisher named {', '.join(unknown)}",
                           f"configured: {', '.join(sorted(names)) or 'none'}")  # fmt: skip
    return [p for p in publishers if p.name in only]


def publish_report(
    report: DayReport,
    rendered: Mapping[str, str],
    publishers: Sequence[Publisher],
    secrets: Secrets,
    *,
    dry_run: bool = False,
    show: Callable[[str], None] = print,
) -> list[PublishResult]:
    """Run every publisher; failures become ``failed`` results with the secrets scrubbed out."""
    results = []
    for publisher in publishers:
        started = time.monotonic()
        try:
            if dry_run:
                show(
                    f"== {publisher.name} ({publisher.type}) ==\n{secrets.redact(publisher.preview(report, rendered))}"
                )
                result = PublishResult(publisher.name, publisher.type, Status.SKIPPED, "dry run")
            else:
                result = publisher.publish(report, rendered)
        except DailyDiffError as exc:
            result = PublishResult(publisher.name, publisher.type, Status.FAILED, str(exc))
        except Exception as exc:  # a bug in one publisher must not stop the others
            result = PublishResult(publisher.name, publisher.type, Status.FAILED,
                                   f"internal error: {type(exc).__name__}: {exc}")  # fmt: skip
        detail = secrets.redact(result.detail)
        if not dry_run:
            detail += f" [{time.monotonic() - started:.1f}s]"
        results.append(PublishResult(result.publisher, result.type, result.status, detail))
    return results


def failure_error(results: Sequence[PublishResult]) -> PublishError | None:
    """The error to exit with when publishers failed: exit 8 when some others succeeded, else 7."""
    failed = [r for r in results if r.status is Status.FAILED]
    if not failed:
        return None
    names = ", ".join(sorted({r.publisher for r in failed}))
    error_class = PartialPublishError if len(failed) < len(results) else PublishError
    return error_class(
        f"{len(failed)} of {len(results)} publish step(s) failed ({names})",
        "see the run summary for each reason; fix it and run `dailydiff publish SOURCE --date D`",
    )


def missing_environment(entries: Sequence[Any], environ: Mapping[str, str]) -> list[str]:
    """Problems a `doctor` can report before any publishing: environment variables that the
    `[[publish]]` entries name but that are not set (their values are never read into the message)."""
    problems = []
    for name, entry in zip(entry_names(entries), entries, strict=True):
        for field in ("url_env", "secret_env", "token_env", "password_env"):
            variable = getattr(entry, field, "")
            if variable and not environ.get(variable):
                problems.append(f"publisher {name}: environment variable {variable} ({field}) is not set")
    return problems
