"""Late commits and their addendum: a unit kind of its own, delivered through the ledger like a day.

A commit is **late** when it lands in a day whose report was already delivered without it (a local commit
made at 23:50 and pushed at 02:30, after the 02:00 run). The day is built again — targets that update in
place (files, GitHub) get the new report — and every chat and e-mail target that had the day gets one
addendum, "2 late commit(s) for 2026-04-23", listing them. The ledger keeps, per target, one row per
announced commit (target ``<target>#late:<sha>``), so an addendum is sent once and never repeats a commit;
the sending itself is claimed like any delivery (target ``<target>#addendum:<hash of its commits>``).

This module is kept apart from engine/deliver.py so that the addendum can move onto the one edition seam
(render/ editions, one deliver for every unit kind) as soon as that lands: only ``_action`` would change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from dailydiff.common.i18n import words
from dailydiff.common.text import clean, safe_url
from dailydiff.engine.deliver import DeliveryResult, deliver_one
from dailydiff.models import DayReport, LateCommit, ReportCommit
from dailydiff.publish.base import Publisher, PublishResult, Secrets
from dailydiff.publish.registry import attempt_with
from dailydiff.store import Store

MAX_LISTED = 20  # commits listed in one addendum; the rest are counted, with the report's link


def late_commits(
    store: Store, repo: str, date: dt.date, language: str, commits: Sequence[ReportCommit], now: dt.datetime
) -> list[LateCommit]:
    """The day's commits that a delivered report of the day did not have, each with when it was first
    seen (kept from the stored report across rebuilds). Nothing is late in a day never delivered."""
    previous = store.get_report(repo, date, language)
    if previous is None:
        return []
    rows = store.deliveries(repo, date, language)
    if not any(
        row.state == "delivered" and "#late:" not in t and "#addendum:" not in t for t, row in rows.items()
    ):
        return []
    known = {c.sha for c in previous.commits}
    seen = {late.sha: late for late in previous.late}
    return [
        seen.get(c.sha) or LateCommit(sha=c.sha, first_seen=now.astimezone(dt.UTC).replace(microsecond=0))
        for c in commits
        if c.sha not in known or c.sha in seen
    ]


def _announced(target: str, sha: str) -> str:
    return f"{target}#late:{sha}"


def deliver_addendum(
    report: DayReport,
    targets: Sequence[Publisher],
    delivered: Sequence[DeliveryResult],
    store: Store,
    *,
    force: bool,
    secrets: Secrets,
    claim_timeout: float,
    owner: str,
    now: Callable[[], dt.datetime],
) -> list[DeliveryResult]:
    """After the day's own deliveries (``delivered``, one per target): each chat and e-mail target that
    already had the day (its delivery was skipped as done) gets one addendum of the late commits it was not
    told about; a target that got the whole report just now has them in it (recorded as announced)."""
    if not report.late:
        return []
    unit = (report.repo, report.date, report.language)
    late = {c.sha: c for c in report.commits if c.sha in {lc.sha for lc in report.late}}
    results = []
    for publisher, outcome in zip(targets, delivered, strict=True):
        if publisher.updates_in_place or outcome.status == "failed":
            continue
        untold = [sha for sha in late if not _done(store, unit, _announced(publisher.target, sha))]
        if not untold:
            continue
        if outcome.status == "ok":  # the whole report went out now, late commits included
            _record(store, unit, publisher, untold, owner, "in the day's report")
            continue
        commits = [late[sha] for sha in untold]
        action = _action(publisher, report, commits)
        if action is None:
            continue
        key = hashlib.sha256(",".join(sorted(untold)).encode()).hexdigest()[:16]
        text = _text(report, commits)
        result = deliver_one(
            unit, {"md": text}, _Keyed(publisher, f"{publisher.target}#addendum:{key}"), store,
            lambda p, action=action: attempt_with(p, action, secrets),  # type: ignore[misc]
            force=force, secrets=secrets, claim_timeout=claim_timeout, owner=owner, now=now,
        )  # fmt: skip
        if result.status != "failed":
            _record(store, unit, publisher, untold, owner, f"addendum {key}")
        detail = f"addendum ({len(untold)} late commit(s)): {result.detail}"
        results.append(DeliveryResult(publisher.name, publisher.type, publisher.target, result.status, detail,
                                      result.content_hash, result.recovered))  # fmt: skip
    return results


def _done(store: Store, unit: tuple[str, dt.date, str], target: str) -> bool:
    row = store.delivery(*unit, target)
    return row is not None and row.state == "delivered"


def _record(
    store: Store,
    unit: tuple[str, dt.date, str],
    publisher: Publisher,
    shas: Sequence[str],
    owner: str,
    how: str,
) -> None:
    for sha in shas:
        target = _announced(publisher.target, sha)
        seen = store.delivery(*unit, target)
        if store.claim_delivery(
            *unit, target, publisher=publisher.name, content_hash=sha, owner=owner, seen=seen
        ):
            store.finish_delivery(*unit, target, owner=owner, state="delivered", content_hash=sha, detail=how)


class _Keyed:
    """A publisher under the ledger key of one addendum (the same destination, another delivery)."""

    def __init__(self, publisher: Publisher, target: str) -> None:
        self._publisher, self.target = publisher, target
        self.name, self.type = publisher.name, publisher.type
        self.formats: tuple[str, ...] = ("md",)
        self.updates_in_place = False
        self.skip_empty = False

    def publish(
        self, report: DayReport, rendered: object
    ) -> PublishResult:  # pragma: no cover - never called
        raise NotImplementedError("an addendum is sent by its action")


def title(report: DayReport, count: int) -> str:
    return str(words("addendum", report.language)["title"]).format(
        n=count, date=report.date.isoformat(), repo=report.repo
    )


def _text(report: DayReport, commits: Sequence[ReportCommit]) -> str:
    """The addendum as plain text: the title, then one line per late commit (time, author, title, short
    sha) with its link; commit text goes through the one text policy (``clean``)."""
    zone = ZoneInfo(report.timezone)
    lines = [title(report, len(commits)), ""]
    for c in commits[:MAX_LISTED]:
        when = c.committed_at.astimezone(zone).strftime("%H:%M")
        line = f"• {when} {clean(c.author.name)}: {clean(c.title)} ({c.short_sha})"
        link = safe_url(c.url)
        lines.append(line + (f"\n  {link}" if link else ""))
    if len(commits) > MAX_LISTED:
        lines.append(str(words("addendum", report.language)["more"]).format(n=len(commits) - MAX_LISTED))
    return "\n".join(lines)


def _action(
    publisher: Publisher, report: DayReport, commits: Sequence[ReportCommit]
) -> Callable[[], PublishResult] | None:
    """How this target sends plain text: a chat message, or an e-mail (others update in place)."""
    from dailydiff.publish.email import EmailPublisher
    from dailydiff.publish.webhooks import ChatPublisher

    text = _text(report, commits)
    if isinstance(publisher, ChatPublisher):
        return lambda: publisher.publish_texts(title(report, len(commits)), [text], report.language)
    if isinstance(publisher, EmailPublisher):
        return lambda: publisher.publish_message(title(report, len(commits)), text)
    return None
