"""The publishers by ``type`` (a plain registry), building them from ``[[publish]]`` entries, and
``attempt``: one publisher once, its outcome a PublishResult whatever happens. Deciding what to send
(the delivery ledger) is engine/deliver.py's job."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dailydiff.errors import DailyDiffError, OutputError, PublishError, UserTemplateError
from dailydiff.publish.base import Publisher, PublishResult, Secrets, Status
from dailydiff.settings.loading import env_names
from dailydiff.settings.publishers import entry_names

if TYPE_CHECKING:  # the editions' types; render/ loads when an edition is built
    from dailydiff.render.edition import Edition

Factory = Callable[[Any, str, Secrets], Publisher]

# type -> "module:class". A publisher's module (and its HTTP or SMTP client) is imported only when a
# configured entry uses it: a report written to files does not load the chat, GitHub or e-mail code.
PUBLISHERS: dict[str, str] = {
    "files": "dailydiff.publish.files:FilesPublisher",
    "github-contents": "dailydiff.publish.github:GitHubContentsPublisher",
    "github-issue": "dailydiff.publish.github:GitHubIssuePublisher",
    "feishu": "dailydiff.publish.webhooks:FeishuPublisher",
    "dingtalk": "dailydiff.publish.webhooks:DingTalkPublisher",
    "wecom": "dailydiff.publish.webhooks:WeComPublisher",
    "slack": "dailydiff.publish.webhooks:SlackPublisher",
    "discord": "dailydiff.publish.webhooks:DiscordPublisher",
    "teams": "dailydiff.publish.webhooks:TeamsPublisher",
    "webhook": "dailydiff.publish.webhooks:WebhookPublisher",
    "email": "dailydiff.publish.email:EmailPublisher",
}


def publisher_factory(kind: str) -> Factory:
    where = PUBLISHERS.get(kind)
    if where is None:
        raise PublishError(f"unknown publisher type {kind!r}", f"use one of: {', '.join(PUBLISHERS)}")
    module, _, name = where.partition(":")
    factory: Factory = getattr(importlib.import_module(module), name)
    return factory


def build_publishers(entries: Sequence[Any], secrets: Secrets) -> list[Publisher]:
    """One publisher per entry, named by the entry's ``name`` or its type (``slack-2`` for a second)."""
    return [
        publisher_factory(entry.type)(entry, name, secrets)
        for name, entry in zip(entry_names(entries), entries, strict=True)
    ]


def select(publishers: Sequence[Publisher], only: Sequence[str]) -> list[Publisher]:
    if not only:
        return list(publishers)
    names = {p.name for p in publishers}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise PublishError(f"no publisher named {', '.join(unknown)}",
                           f"configured: {', '.join(sorted(names)) or 'none'}")  # fmt: skip
    return [p for p in publishers if p.name in only]


def attempt(publisher: Publisher, edition: Edition, secrets: Secrets) -> PublishResult:
    """One publisher sends one edition, once: any failure becomes a ``failed`` result (one publisher
    failing never stops the others), with the secrets scrubbed from the message and the time it took."""
    started = time.monotonic()
    try:
        result = publisher.send(edition)
    except UserTemplateError:  # the user's own template: every publisher would fail alike
        raise
    except DailyDiffError as exc:
        full = isinstance(exc, OutputError)  # a full disk, or an output that cannot be written at all
        result = PublishResult(publisher.name, publisher.type, Status.FAILED, str(exc), full=full)
    except Exception as exc:  # a bug in one publisher must not stop the others
        result = PublishResult(publisher.name, publisher.type, Status.FAILED,
                               f"internal error: {type(exc).__name__}: {exc}")  # fmt: skip
    detail = f"{secrets.redact(result.detail)} [{time.monotonic() - started:.1f}s]"
    return PublishResult(result.publisher, result.type, result.status, detail, result.paths, result.full)


def missing_environment(entries: Sequence[Any], environ: Mapping[str, str]) -> list[str]:
    """Problems a `doctor` can report before any publishing: environment variables that the
    `[[publish]]` entries name but that are not set (their values are never read into the message)."""
    problems = []
    for name, entry in zip(entry_names(entries), entries, strict=True):
        for field, variable in env_names(entry).items():
            if not environ.get(variable):
                problems.append(f"publisher {name}: environment variable {variable} ({field}) is not set")
    return problems
