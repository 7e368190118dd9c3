"""The publisher seam: ``send(edition) -> PublishResult``, and what every publisher shares — secrets read
from named environment variables, redaction of those secrets from every message, and templates filled
from an edition's placeholders."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from dailydiff.common import placeholders, secrets
from dailydiff.errors import PublishError

if TYPE_CHECKING:  # the renderers are imported where an edition is made, not with the secrets (start-up)
    from dailydiff.render.edition import Edition, Part


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
    full: bool = (
        False  # failed because its output cannot be written: a full disk, no permission (exit 74, not 7)
    )


class Publisher(Protocol):
    """The seam: one method, ``send(edition)``, for every unit kind (render/edition.py). The attributes
    say who it is (``name``: the label in summaries and for --only; ``type``: the [[publish]] type), where
    it delivers (``target``: the delivery ledger's key, without secrets — two entries with one target
    deliver once), which parts of an edition it sends (``parts``: files, chat, mail, data; ``formats``:
    which files) — the ledger hashes exactly those — and whether a changed edition replaces the
    delivered one (``updates_in_place``: files, GitHub) or would be a second message (chat, e-mail). A
    target that updates in place gets a day rebuilt with late commits and no addendum; every other target
    sends an addendum's parts like a day's (tests/test_edition.py checks every type of the registry).
    ``preview`` says what ``send`` would send, for --dry-run (no network, no secrets)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def parts(self) -> tuple[Part, ...]: ...
    @property
    def formats(self) -> tuple[str, ...]: ...
    @property
    def updates_in_place(self) -> bool: ...
    @property
    def one_writer(self) -> str:
        """What only one writer at a time may change, across processes and machines (a branch: each send
        moves it), '' when sends never race; deliver takes it from the store for the send."""
        ...

    @property
    def skip_empty(self) -> bool:
        """Nothing is sent for a day without commits ([[publish]] skip_empty; files never skip)."""
        ...

    def send(self, edition: Edition) -> PublishResult: ...

    def preview(self, edition: Edition) -> str: ...


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


# How many times the delivery being sent has been sent again by ``--force`` after it was delivered (the ledger's
# count, set by engine/deliver.py around the sending): part of the delivery's id.
RESENDS: ContextVar[int] = ContextVar("resends", default=0)


def delivery_id(edition: Edition, target: str, parts: Sequence[Part], formats: Sequence[str] = ()) -> str:
    """The delivery as the ledger knows it — the unit, the target, the hash of what it sends (the ledger's)
    and how many times ``--force`` sent it again — as 32 hex digits, the same each time that message is sent.
    A message the receiver accepted in the instant the store went away cannot be recorded, and the next run
    sends it again: under the same id (a webhook's ``Idempotency-Key``, a mail's ``Message-ID``), so a
    receiver that keeps the ids it has seen drops the copy; a message sent again on purpose is a new one."""
    unit = edition.key
    what = edition.content_hash(parts, formats)
    identity = f"{unit.repo}\0{unit.date.isoformat()}\0{unit.language}\0{target}\0{what}"
    resends = RESENDS.get()
    if resends:  # the first sending's id is the one of a ledger without the count
        identity += f"\0{resends}"
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


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


def fill(template: str, edition: Edition, what: str) -> str:
    """A message, title, subject or link template filled with ``edition``'s placeholders
    (common/placeholders)."""
    try:
        return edition.fill(template)
    except (placeholders.TemplateError, KeyError) as exc:
        raise PublishError(f"bad {what} template: {exc}", "see the placeholders in the README") from None


def link(template: str, edition: Edition) -> str | None:
    """The link to the full edition: the target's ``report_url`` template filled, else the edition's own
    (the site's page when ``[site] base_url`` is set)."""
    return fill(template, edition, "report_url") if template else edition.link
