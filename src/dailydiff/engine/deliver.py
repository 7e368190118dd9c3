"""Delivery: the one path from an edition to its targets, for every unit kind (a repository's day, a
digest-day, a repository's week, any later kind) and every command (`report`, `run`, `publish`,
`digest`, `weekly`).

Interface (small on purpose; later kinds and fleet claims build on it):

- ``deliver(edition, targets, store, *, force, secrets, claim_timeout, owner, now) -> [DeliveryResult]``:
  one result per target, in order. The ledger key is the edition's ``UnitKey`` (repo, date, language)
  and the target's ``target``; the hash recorded is ``edition.content_hash(publisher.parts,
  publisher.formats)``: the parts that target sends.
- ``is_delivered(store, key, targets)``: every target has the unit (a command may skip building it).

``deliver`` sends one edition to each target through the delivery ledger in the store:

- Each delivery is **claimed** before it is sent: a ledger row in state ``sending`` with the claim's
  owner (host, process, a random tag) and time, taken atomically (a unique row, or an update conditional
  on the row's version). A second process deciding on the same delivery loses the claim and skips it.
- A message goes out only on a claim the store confirms right before it (``confirm_claim``): the row is
  still this claim's and, in a shared plan, the unit still this worker's, its lease renewed for the send. A
  worker that cannot confirm it (the store is away, the unit was taken over) sends nothing.
- Once the command was asked to stop (SIGTERM: common/stopping.py), no message is claimed or sent any more,
  whatever the loop's cancellation reached: one being sent finishes and is recorded, the others are left to
  the next command (unclaimed, or claimed by a process that is gone: taken over).
- After sending, the row says ``delivered`` (with the hash of what was sent, the generation line left
  out) or ``failed`` (tried again by the next command).
- A claim left in ``sending`` by a process that died (on this machine: its process is gone; elsewhere:
  older than ``[run] claim_timeout``) is taken over and sent again; the result says so in one line.
- A target is sent the edition without the alerts about itself (``Edition.for_target``), nor about a
  target that delivered this unit meanwhile; the targets alerts are about are sent first, so one that works
  again is not said to fail in the same run's other messages.
- A report already delivered to a target is not delivered again unless ``force``. A *changed* report
  (another content hash) is delivered again only to targets that update in place (files, GitHub
  contents and issues: the new version replaces the old); chat and e-mail targets sent it once, and a
  second message needs ``--force``.

Publishers are synchronous (HTTP with retries, SMTP, files); an async caller runs ``deliver`` in a
thread. One publisher failing never stops the others; each delivery ends by its target's deadline.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dailydiff.common.i18n import words
from dailydiff.common.stopping import taken as stop_taken
from dailydiff.common.text import clean
from dailydiff.errors import (
    ConfigError,
    LeaseLostError,
    StoreError,
    UserTemplateError,
)
from dailydiff.models import DayReport
from dailydiff.store import FENCE

if TYPE_CHECKING:  # the publishers and editions are imported where a delivery is made (start-up is measured)
    from dailydiff.publish.base import Publisher, PublishResult, Secrets
    from dailydiff.render.edition import Alert, Edition, UnitKey
    from dailydiff.settings import RepoEntry
    from dailydiff.store import Delivery, FailingTarget, Store

DEFAULT_CLAIM_TIMEOUT = 900.0
# Deliveries recorded before the ledger (migration m003) are keyed by publisher name, not target.
LEGACY_TARGET = "name:"
# A message not sent because the command was asked to stop (common/stopping.py): the next command sends it.
STOPPING = "stopping (SIGTERM): sent by the next run"
_HOST = socket.gethostname()


@dataclass(frozen=True)
class DeliveryResult:
    publisher: str
    type: str
    target: str
    # "ok" (sent), "skipped" (nothing to send: delivered already, unchanged, claimed elsewhere), "waiting" (held
    # until the unit is final: an unsettled day, a week with days missing), "failed"
    status: str
    detail: str = ""
    content_hash: str = ""
    # Set when this delivery took over the claim of an interrupted one: the one line the command prints.
    recovered: str = ""
    paths: tuple[str, ...] = ()
    full: bool = False  # failed because the output's disk is full

    @classmethod
    def of(cls, outcome: PublishResult, target: str, digest: str = "", recovered: str = "") -> DeliveryResult:
        return cls(outcome.publisher, outcome.type, target, outcome.status.value, outcome.detail, digest, recovered,
                   outcome.paths, outcome.full)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"publisher": self.publisher, "type": self.type, "status": self.status,
                                "detail": self.detail}  # fmt: skip
        if self.recovered:
            data["recovered"] = self.recovered
        if self.paths:
            data["paths"] = list(self.paths)
        return data


def claim_owner() -> str:
    """Who holds a claim: this host and process (so a dead one is recognised here), and a random tag
    (two calls in one process never share a claim)."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Told:
    """A ledger row a delivered message settles besides its own (the alerts folded into one message, a
    commit an addendum or the day's report told, a repository a digest told): recorded delivered with
    ``marker`` as its content where it has no row yet (or a failed one; ``at_once``: where it has none)."""

    unit: tuple[str, dt.date, str]
    target: str
    publisher: str
    marker: str
    detail: str
    sent: bool = True
    at_once: bool = False  # one statement for many (a digest of 500 repositories tells 500 rows)


def record_told(store: Store, told: Sequence[Told], owner: str) -> None:
    """Settle ``told`` (the runner, after the deliveries that told them): each claimed and recorded unless
    another process holds it or it is delivered already."""
    groups: dict[tuple[tuple[str, dt.date, str], str, str], list[tuple[str, str]]] = {}
    for row in told:
        if row.at_once:
            groups.setdefault((row.unit, row.publisher, row.detail), []).append((row.target, row.marker))
            continue
        key = (*row.unit, row.target)
        seen = store.delivery(*key)
        if seen is not None and seen.state in ("delivered", "sending"):
            continue
        if store.claim_delivery(
            *key, publisher=row.publisher, content_hash=row.marker, owner=owner, seen=seen
        ):
            store.finish_delivery(*key, owner=owner, state="delivered", content_hash=row.marker,
                                  detail=row.detail, sent=row.sent)  # fmt: skip
    for (unit, publisher, detail), rows in groups.items():
        store.record_told(*unit, rows, publisher=publisher, owner=owner, detail=detail)


def _owner_is_gone(owner: str) -> bool:
    """True when the claim's process is known to be dead: it ran on this host and its pid is gone."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # another thread of this process is sending it right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: alive, another user's
        return False
    return False


def _stale(row: Delivery, now: dt.datetime, timeout: float) -> str:
    """Why a ``sending`` claim is stale ('' when it is live)."""
    if _owner_is_gone(row.claim_owner):
        return f"its process ({row.claim_owner.rsplit(':', 1)[0]}) is gone"
    age = (now - row.claimed_at).total_seconds()
    if age > timeout:
        return f"claimed {age:.0f}s ago, over claim_timeout {timeout:.0f}s"
    return ""


def deliver(
    edition: Edition,
    targets: Sequence[Publisher],
    store: Store | None,
    *,
    force: bool = False,
    secrets: Secrets | None = None,
    claim_timeout: float = DEFAULT_CLAIM_TIMEOUT,
    owner: str | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> list[DeliveryResult]:
    """Deliver ``edition`` to every target, through the ledger; one result per target, in order.
    Without a ``store`` there is no ledger: the targets are the command's own outputs (stdout, -o), each
    sent to, and a failure is the command's (a full disk under stdout exits as such). Claims are judged by
    ``now``, the store's clock unless given (machines' clocks differ)."""
    from dailydiff.publish.base import Secrets

    secrets = secrets if secrets is not None else Secrets({})
    if store is None:
        return [DeliveryResult.of(p.send(edition.for_target(p.target)), p.target) for p in targets]
    owner = owner or claim_owner()
    now = now or store.clock
    # The targets an alert is about first: one that works again is then not said to fail to the others.
    about = {a.target for a in edition.alerts}
    order = sorted(range(len(targets)), key=lambda i: targets[i].target not in about)
    results = {i: _deliver_one(edition, targets[i], store, force=force, secrets=secrets, claim_timeout=claim_timeout,
                               owner=owner, now=now) for i in order}  # fmt: skip
    return [results[i] for i in range(len(targets))]


def _deliver_one(
    edition: Edition,
    publisher: Publisher,
    store: Store,
    *,
    force: bool,
    secrets: Secrets,
    claim_timeout: float,
    owner: str,
    now: Callable[[], dt.datetime],
) -> DeliveryResult:
    """One delivery through the ledger: claimed, sent once claimed, recorded."""
    from dailydiff.publish.base import RESENDS, PublishResult, Status
    from dailydiff.publish.registry import attempt

    unit = edition.key
    key = (unit.repo, unit.date, unit.language, publisher.target)

    def result(status: str, detail: str, digest: str = "", recovered: str = "") -> DeliveryResult:
        return DeliveryResult(
            publisher.name, publisher.type, publisher.target, status, detail, digest, recovered
        )

    try:
        edition = edition.for_target(publisher.target, _delivered_since(store, edition))
        digest = edition.content_hash(publisher.parts, publisher.formats)
    except UserTemplateError:  # every target would fail alike: the command stops and says it once
        raise
    except Exception as exc:  # a part that cannot be rendered: this target fails, the others go on
        return result("failed", secrets.redact(f"cannot render the {edition.kind}: {exc}"))
    early = _not_now(edition, publisher, store, key, force)
    if early is not None:
        return result(*early, digest if early[0] == "waiting" else "")
    if stop_taken():  # nothing claimed: the next command sends it, once
        return result("skipped", STOPPING, digest)
    done, resends, recovered = _claimed(store, key, publisher, digest, force=force, now=now,
                                        claim_timeout=claim_timeout, owner=owner)  # fmt: skip
    if done is not None:
        return result(*done)
    tried = not (publisher.skip_empty and edition.empty)
    if not tried:
        # Recorded as delivered: the unit is done for this target, and a commit that lands in a day later
        # is announced by an addendum. Nothing was tried: a failing streak neither goes on nor ends.
        outcome = PublishResult(publisher.name, publisher.type, Status.SKIPPED,
                                f"{edition.empty}, nothing sent (skip_empty)")  # fmt: skip
    else:
        not_ours = confirm_claim(store, key, owner)
        if not_ours:  # another process has it now: it sends it, and records it
            return result("skipped", not_ours, digest, recovered)
        sending = RESENDS.set(resends)
        try:
            with _one_writer(store, publisher.one_writer, owner, claim_timeout):
                outcome = attempt(publisher, edition, secrets)
        finally:
            RESENDS.reset(sending)
    state = "failed" if outcome.status is Status.FAILED else "delivered"
    store.finish_delivery(*key, owner=owner, state=state, content_hash=digest, detail=outcome.detail,
                          sent=tried)  # fmt: skip
    return DeliveryResult.of(outcome, publisher.target, digest, recovered)


def _claimed(store: Store, key: tuple[Any, ...], publisher: Publisher, digest: str, *, force: bool,
             now: Callable[[], dt.datetime], claim_timeout: float, owner: str) -> tuple[Any, int, str]:  # fmt: skip
    """The delivery ``key`` claimed for ``owner``: (None, its resends, a recovered claim's note), or what
    was decided instead (a result's status, detail, ...: delivered already, claimed by another, ...)."""
    recovered = ""
    for _round in range(3):  # a lost claim is decided again on the row that won it
        seen = store.delivery(*key)
        if seen is not None:
            done, recovered = _on_row(seen, publisher, digest, force, now, claim_timeout, recovered)
            if done is not None:
                return done, 0, recovered
        # Sent again on purpose (--force over a delivered row) is a new message with an id of its own; a
        # failed or interrupted sending tried again keeps the id it had.
        resends = 0 if seen is None else seen.resends + (seen.state == "delivered" and force)
        won = store.claim_delivery(
            *key, publisher=publisher.name, content_hash=digest, owner=owner, seen=seen, resends=resends
        )
        if won:
            return None, resends, recovered
        recovered = ""
    return ("skipped", "claimed by another process meanwhile", digest), 0, ""


@contextlib.contextmanager
def _one_writer(store: Store, name: str, owner: str, lease: float) -> Iterator[None]:
    """The send holds ``name`` (a branch every commit moves) in the store while it goes: two workers of a
    shared plan, or two processes on one store, take turns instead of racing for the branch (the one that
    lost would have its update refused and read the branch again). A holder that died is waited for at most
    its lease (``claim_timeout``)."""
    if not name:
        yield
        return
    waited = 0
    while not store.hold(name, owner, lease):
        time.sleep(random.uniform(0.02, 0.1) * min(2**waited, 8))
        waited += 1
    try:
        yield
    finally:
        store.let_go(name, owner)


def _not_now(edition: Edition, publisher: Publisher, store: Store, key: tuple[str, dt.date, str, str],
             force: bool) -> tuple[str, str] | None:  # fmt: skip
    """Why the edition is not sent to ``publisher`` before any claim: not final yet (no ledger row, so the
    next run that finds it settled sends it, once), or delivered before the ledger kept rows per target."""
    if edition.held and not publisher.updates_in_place and not force:
        return "waiting", f"{edition.held}; sent once it is final"
    if not force and not publisher.updates_in_place and store.delivery(*key) is None:
        legacy = store.delivery(*key[:3], LEGACY_TARGET + publisher.name)
        if legacy is not None and legacy.state == "delivered":
            return "skipped", (f"already delivered at {legacy.updated_at:%Y-%m-%d %H:%M} UTC "
                               "(recorded before the delivery ledger; --force sends it again)")  # fmt: skip
    return None


def _on_row(seen: Any, publisher: Publisher, digest: str, force: bool, now: Callable[[], dt.datetime],
            claim_timeout: float, recovered: str) -> tuple[tuple[str, str, str] | None, str]:  # fmt: skip
    """What the ledger's row of the delivery decides before a claim: another process is sending it, or it
    is delivered (and unchanged, for a target that updates in place): skipped; an interrupted sending is
    recovered (said so). Returns the skip (status, detail, hash) or None, and the recovery note."""
    if seen.state == "sending":
        why = _stale(seen, now(), claim_timeout)
        if not why:
            return ("skipped", f"being delivered by another process (claimed at "
                               f"{seen.claimed_at:%H:%M:%S} UTC)", seen.content_hash), recovered  # fmt: skip
        return None, (f"retrying an interrupted delivery to {publisher.name} (claimed at "
                      f"{seen.claimed_at:%Y-%m-%d %H:%M:%S} UTC; {why})")  # fmt: skip
    if seen.state == "delivered" and not force:
        if not publisher.updates_in_place:
            return ("skipped", f"already delivered at {seen.updated_at:%Y-%m-%d %H:%M} UTC "
                               "(--force sends it again)", seen.content_hash), recovered  # fmt: skip
        if seen.content_hash == digest:
            return ("skipped", f"unchanged since delivered at {seen.updated_at:%Y-%m-%d %H:%M} UTC",
                    digest), recovered  # fmt: skip
    return None, recovered


def confirm_claim(store: Store, key: tuple[str, dt.date, str, str], owner: str) -> str:
    """A message goes out only on a claim the store confirms at that moment: under a shared plan's unit
    claim (``FENCE``), the unit is still this worker's — its lease renewed, so nobody can take it over while
    the message goes — and the delivery's row is still this claim's. '' when confirmed, else why not (the row
    was taken over). A unit taken over raises LeaseLostError; a store that does not answer raises StoreError:
    nothing is sent that could not be confirmed."""
    unit = FENCE.get()
    try:
        if unit is not None and not store.renew_unit(unit, unit.lease):
            raise LeaseLostError(
                f"{unit.unit}: this worker's lease ran out and another worker took the unit over; "
                "nothing more is sent or written for it here",
                "nothing to do: the other worker builds and delivers it",
            )
        row = store.delivery(*key)
    except LeaseLostError:
        raise
    except StoreError as exc:
        raise StoreError(f"{exc.message}; nothing was sent to {key[3]} (its claim could not be confirmed)",
                         exc.hint) from None  # fmt: skip
    if row is None or row.state != "sending" or row.claim_owner != owner:
        return "claimed by another process meanwhile (not sent here)"
    if stop_taken():  # claimed, not sent: the next command takes the claim over (its process is gone)
        return STOPPING
    return ""


def _delivered_since(store: Store, edition: Edition) -> set[str]:
    """The targets an alert of the edition is about that have delivered this very unit since the alerts were
    made (earlier in this run, or in another process): they work again."""
    unit = edition.key
    rows = store.deliveries(unit.repo, unit.date, unit.language) if edition.alerts else {}
    return {a.target for a in edition.alerts
            if a.repo == unit.repo and a.target in rows and rows[a.target].state == "delivered"}  # fmt: skip


def configured_streaks(
    failing: Sequence[FailingTarget],
    targets: Mapping[str, Collection[Publisher]],
    unknown: Collection[str] = (),
) -> list[FailingTarget]:
    """The failing streaks of the targets configured now: ``targets`` maps a ledger repository (a digest's:
    ``digest:<name>``) to its publishers, and a streak is one of theirs by name and address (the ledger's
    target). A target removed from the config, or at an address it no longer has (a replaced webhook; another
    machine's), is not alerted on here. ``unknown``: names whose address cannot be read here (its variable is
    unset: `doctor` on a laptop), matched by name alone."""
    mine = {(repo, p.name, p.target) for repo, publishers in targets.items() for p in publishers}
    return [f for f in failing if (f.repo, f.publisher, f.target) in mine or f.publisher in unknown]


def delivery_alerts(
    store: Store, targets: Mapping[str, Collection[Publisher]], days: int, language: str
) -> list[Alert]:
    """One line for each configured delivery target of these repositories (``targets``: each one's publishers;
    a digest's: ``digest:<name>``) that has failed on ``days`` days in a row (``[run] alert_after``; 0: never):
    the next message the other targets send says it, where people look (``doctor`` says it too); the target
    it is about is not told (``deliver``)."""
    if days <= 0 or not targets:
        return []
    from dailydiff.render.edition import Alert

    line = words("report", language)["delivery_failing"]

    def said(f: FailingTarget) -> str:
        repo = f.repo.replace("digest:", "digest ", 1)
        return clean(line.format(publisher=f.publisher, repo=repo, days=f.days, since=f.since, last=f.last))

    failing = configured_streaks(store.failing_targets(days), targets)
    return [Alert(f.repo, f.target, f.publisher, said(f)) for f in failing]


def is_delivered(store: Store, unit: UnitKey, targets: Sequence[Publisher]) -> bool:
    """Every target has this unit (a command may skip building it)."""
    rows = store.deliveries(unit.repo, unit.date, unit.language)

    def has(publisher: Publisher) -> bool:
        row = rows.get(publisher.target)
        if row is None and not publisher.updates_in_place:
            row = rows.get(LEGACY_TARGET + publisher.name)
        return row is not None and row.state == "delivered"

    return all(has(p) for p in targets)


# The stored reports of the days before a report's (the same repository and language), for an edition
# that shows a day against its recent past (the mail's chart).
History = Callable[[DayReport], Sequence[DayReport]]


def stored_history(open_store: Callable[[], Store], days: int = 30) -> History:
    """The stored reports of the ``days`` days before a report's, read on a connection of their own
    (publishers send from worker threads; a connection is never shared between threads)."""

    def history(report: DayReport) -> list[DayReport]:
        with open_store() as store:
            found = (
                store.get_report(report.repo, report.date - dt.timedelta(days=n), report.language)
                for n in range(1, days + 1)
            )
            return [r for r in found if r is not None]

    return history


def configured_publishers(
    entries: Sequence[Any], secrets: Secrets, files: Publisher | None = None
) -> list[Publisher]:
    """The built-in files output (``--output-dir``, named ``files``) when there is one, then every
    ``[[publish]]`` entry; names must be distinct (they pick publishers in ``repos[].publishers``)."""
    from dailydiff.publish.registry import build_publishers

    publishers: list[Publisher] = [files] if files is not None else []
    publishers += build_publishers(entries, secrets)
    names = [p.name for p in publishers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"publisher name(s) used twice: {', '.join(duplicates)}",
            "give the [[publish]] entry another name (`files` is the --output-dir output)",
        )
    return publishers


def pick_publishers(
    names: Sequence[str] | None, setting: str, available: Sequence[Publisher]
) -> list[Publisher]:
    """The publishers a ``publishers`` key names (all of them when it is not set); ``setting`` names the
    key in the error, e.g. ``repos[2].publishers``."""
    if names is None:
        return list(available)
    by_name = {p.name: p for p in available}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none (add [[publish]] entries, or --output-dir for the files output)"
        raise ConfigError(
            f"invalid setting '{setting}': unknown publisher {unknown[0]!r}",
            f"configured publishers: {known}",
        )
    return [by_name[name] for name in names]


def publishers_for(entry: RepoEntry, index: int, available: Sequence[Publisher]) -> list[Publisher]:
    """The publishers one repository uses: all of them, or the ones its ``publishers`` key names."""
    return pick_publishers(entry.publishers, f"repos[{index}].publishers", available)
