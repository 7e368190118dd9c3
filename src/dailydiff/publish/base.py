"""The publisher seam: ``publish(report, rendered) -> PublishResult``, and what every publisher shares —
secrets read from named environment variables, redaction of those secrets from every message, and
the lazily rendered report formats."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from dailydiff.common import secrets
from dailydiff.errors import PublishError
from dailydiff.models import DayReport


class Status(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class PublishResult:
    publisher: str
    type: str
    status: Status
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "publisher": self.publisher,
            "type": self.type,
            "status": self.status.value,
            "detail": self.detail,
        }


class Rendered(Mapping[str, str]):
    """The report in each format, rendered on first use (a publisher that needs only the JSON never
    pays for the Markdown)."""

    def __init__(self, report: DayReport, renderers: Mapping[str, Callable[[DayReport], str]]) -> None:
        self._report = report
        self._renderers = renderers
        self._cache: dict[str, str] = {}

    def __getitem__(self, fmt: str) -> str:
        if fmt not in self._cache:
            if fmt not in self._renderers:
                raise PublishError(
                    f"no renderer for format {fmt!r}", f"use one of: {', '.join(self._renderers)}"
                )
            self._cache[fmt] = self._renderers[fmt](self._report)
        return self._cache[fmt]

    def __iter__(self) -> Iterator[str]:
        return iter(self._renderers)

    def __len__(self) -> int:
        return len(self._renderers)


class Publisher(Protocol):
    name: str
    type: str

    def publish(self, report: DayReport, rendered: Mapping[str, str]) -> PublishResult: ...

    def preview(self, report: DayReport, rendered: Mapping[str, str]) -> str:
        """What would be sent, as text for --dry-run (no network, no secrets)."""
        ...


@dataclass
class Secrets:
    """Reads secrets from the environment by name and remembers them, so that any message leaving a
    publisher can be scrubbed of them."""

    environ: Mapping[str, str]
    seen: set[str] = field(default_factory=set)

    def get(self, env_name: str, what: str) -> str:
        value = self.environ.get(env_name, "") if env_name else ""
        if not value:
            if not env_name:
                raise PublishError(
                    f"no environment variable is named for the {what}", "set it in [[publish]]"
                )
            raise PublishError(
                f"environment variable {env_name} (the {what}) is not set",
                f"export {env_name}=… before running",
            )
        self.remember(value)
        return value

    def optional(self, env_name: str, what: str) -> str:
        return self.get(env_name, what) if env_name else ""

    def remember(self, value: str) -> None:
        self.seen.add(value)
        secrets.register(value)  # a URL's secret pieces (hook ids, tokens, keys) with it

    def redact(self, text: str) -> str:
        return secrets.scrub(text)


def describe_url(url: str) -> str:
    """A URL as it may appear in messages: scheme, host and port only (paths and queries of webhook
    URLs are secrets)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port: say nothing more than the scheme
        return f"{url.split(':', 1)[0][:10]}://?"
    host = re.sub(r"[^\w.\-\[\]:]", "?", parts.hostname or "?")  # no control characters in a message
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def template_values(report: DayReport, ext: str = "md") -> dict[str, Any]:
    owner = report.repo.split("/")[0] if "/" in report.repo else ""
    s = report.stats
    return {
        "year": f"{report.date.year:04d}",
        "month": f"{report.date.month:02d}",
        "day": f"{report.date.day:02d}",
        "date": report.date.isoformat(),
        "repo": report.repo,
        "repo_name": report.repo_name,
        "owner": owner,
        "ext": ext,
        "lang": report.language,
        "total": s.total,
        "high": s.high,
        "medium": s.medium,
        "low": s.low,
    }


def fill(template: str, report: DayReport, what: str, ext: str = "md") -> str:
    try:
        return template.format(**template_values(report, ext))
    except (KeyError, IndexError, ValueError) as exc:
        raise PublishError(
            f"bad {what} template {template!r}: {exc}",
            "use {year}, {month}, {date}, {repo}, {repo_name}, {owner}, {ext}, {total}, {high}",
        ) from None


def report_link(template: str, report: DayReport, ext: str = "md") -> str | None:
    return fill(template, report, "report_url", ext) if template else None
