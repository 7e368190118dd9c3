"""The publisher seam: ``publish(report, rendered) -> PublishResult``, and what every publisher shares —
secrets read from named environment variables, redaction of those secrets from every message, the
lazily rendered report formats, templates, and the content hash the delivery ledger records."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from dailydiff.common import placeholders, secrets
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
    paths: tuple[str, ...] = ()  # files written (the files publisher)


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
    """The seam: one method. The attributes say who it is (``name``: the label in summaries and for
    --only; ``type``: the [[publish]] type), where it delivers (``target``: the delivery ledger's key,
    without secrets — two entries with one target deliver once), which formats it sends (the ledger
    hashes them) and whether a changed report replaces the delivered one (``updates_in_place``: files,
    GitHub) or would be a second message (chat, e-mail)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def formats(self) -> tuple[str, ...]: ...
    @property
    def updates_in_place(self) -> bool: ...

    def publish(self, report: DayReport, rendered: Mapping[str, str]) -> PublishResult: ...


@runtime_checkable
class Previews(Protocol):
    """A publisher that can say what it would send, for --dry-run (no network, no secrets)."""

    def preview(self, report: DayReport, rendered: Mapping[str, str]) -> str: ...


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


# The stored reports of the days before a report's (the same repository and language), for a publisher
# that shows a day against its recent past (the e-mail's chart). Built by the engine over the store.
History = Callable[[DayReport], Sequence[DayReport]]


def fill(template: str, report: DayReport, what: str, ext: str = "md") -> str:
    """A message, title, subject or link template filled for ``report`` (placeholders: common/placeholders)."""
    try:
        return placeholders.fill(template, placeholders.day_values(report, ext))
    except placeholders.TemplateError as exc:
        raise PublishError(f"bad {what} template: {exc}", "see the placeholders in the README") from None


def report_link(template: str, report: DayReport, ext: str = "md") -> str | None:
    return fill(template, report, "report_url", ext) if template else None


# The generation line: the footer that names the dailydiff version and the time the report was built
# (in the report's timezone, `… (UTC+08:00)`; files written before that say `… UTC`).
_GENERATION_LINE_RE = re.compile(
    r"^.*dailydiff.*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (?:UTC|\(UTC[+-]\d{2}:\d{2}\)).*$", re.M
)


def comparable(fmt: str, text: str) -> str:
    """The text of one format without what changes on every build of the same report: the generation
    line of Markdown and HTML, and ``generated_at`` and the ``run`` block (timings, cached counts) of
    the JSON. Two builds of one day compare equal here unless the report itself changed."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            data.pop("generated_at", None)
            data.pop("run", None)
        return json.dumps(data, sort_keys=True, ensure_ascii=False)
    return _GENERATION_LINE_RE.sub("", text)


def content_hash(rendered: Mapping[str, str], formats: Sequence[str]) -> str:
    """What a publisher sends, as one hash (the delivery ledger records it): sha256 over the comparable
    text of each of its formats."""
    digest = hashlib.sha256()
    for fmt in sorted(set(formats)):
        digest.update(f"{fmt}\0{comparable(fmt, rendered[fmt])}\0".encode())
    return digest.hexdigest()
