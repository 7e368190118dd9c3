"""Late commits and their addendum: a unit kind of its own, delivered through the one deliver.

A commit is **late** when it lands in a day whose report was already delivered without it (a local commit
made at 23:50 and pushed at 02:30, after the 02:00 run). The day is built again — targets that update in
place (files, GitHub) get the new report — and every chat and e-mail target that had the day gets one
addendum, "2 late commit(s) for 2026-04-23", listing them: an edition of kind ``addendum``
(render/edition.py) sent by ``deliver`` like every unit, keyed ``late:<repo>#<hash of its commits>``.
The ledger also keeps, per target, one row per announced commit (under the day's key, target
``<target>#late:<sha>``), so an addendum never repeats a commit and a commit is never announced twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from dailydiff.engine.deliver import DeliveryResult
from dailydiff.models import DayReport, LateCommit, ReportCommit
from dailydiff.publish.base import Publisher, Secrets
from dailydiff.render.edition import Edition, addendum_edition
from dailydiff.settings import Settings
from dailydiff.store import Store

if TYPE_CHECKING:
    from dailydiff.render.digest import DayDigest

_ANNOUNCED = "#late:"


def late_commits(
    store: Store, repo: str, date: dt.date, language: str, commits: Sequence[ReportCommit], now: dt.datetime
) -> list[LateCommit]:
    """The day's commits that a delivered report of the day did not have, each with when it was first
    seen (kept from the stored report across rebuilds). Nothing is late in a day never delivered."""
    previous = store.get_report(repo, date, language)
    if previous is None or previous.partial:
        return []  # an unsettled day's later commits are the day's own, not late
    rows = store.deliveries(repo, date, language)
    if not any(row.state == "delivered" and _ANNOUNCED not in target for target, row in rows.items()):
        return []
    known = {c.sha for c in previous.commits}
    seen = {late.sha: late for late in previous.late}
    first_seen = now.astimezone(dt.UTC).replace(microsecond=0)
    return [
        seen.get(c.sha) or LateCommit(sha=c.sha, first_seen=first_seen)
        for c in commits
        if c.sha not in known or c.sha in seen
    ]


def deliver_addendum(
    report: DayReport,
    settings: Settings,
    targets: Sequence[Publisher],
    delivered: Sequence[DeliveryResult],
    store: Store,
    *,
    force: bool,
    secrets: Secrets | None,
    claim_timeout: float,
    owner: str,
    send: Callable[..., tuple[list[DeliveryResult], list[str]]],
) -> list[DeliveryResult]:
    """After the day's own deliveries (``delivered``, one per target): each chat and e-mail target that
    already had the day (its delivery was skipped as done) gets one addendum of the late commits it was not
    told about; a target that got the whole report just now has them in it (recorded as announced)."""
    if not report.late:
        return []
    unit = (report.repo, report.date, report.language)
    late_shas = {lc.sha for lc in report.late}
    late = [c for c in report.commits if c.sha in late_shas]
    results = []
    for publisher, outcome in zip(targets, delivered, strict=True):
        if publisher.updates_in_place or outcome.status in ("failed", "waiting"):
            continue
        untold = [c for c in late if not _announced(store, unit, publisher, c.sha)]
        if not untold:
            continue
        if outcome.status == "ok":  # the whole report went out just now, late commits included
            _record(store, unit, publisher, untold, owner, "in the day's report")
            continue
        edition = addendum_edition(report, untold, settings)
        [result], _ = send(edition, [publisher], store, force=force, secrets=secrets, claim_timeout=claim_timeout,
                           owner=owner)  # fmt: skip
        if result.status != "failed":
            _record(store, unit, publisher, untold, owner, f"addendum {edition.key.repo}")
        results.append(DeliveryResult(publisher.name, publisher.type, publisher.target, result.status,
                                      f"addendum ({len(untold)} late commit(s)): {result.detail}",
                                      result.content_hash, result.recovered))  # fmt: skip
    return results


def owes_addendum(store: Store, report: DayReport, targets: Sequence[Publisher]) -> bool:
    """A chat or e-mail target that had the day has not been told of one of its late commits yet (an
    addendum that failed): the day is not up to date, and the next run sends the addendum."""
    unit = (report.repo, report.date, report.language)
    told = [p for p in targets if not p.updates_in_place]
    if not report.late or not told:
        return False
    rows = store.deliveries(*unit)
    return any(
        rows.get(p.target) is not None
        and rows[p.target].state == "delivered"
        and not _announced(store, unit, p, late.sha)
        for p in told
        for late in report.late
    )


def _announced(store: Store, unit: tuple[str, dt.date, str], publisher: Publisher, sha: str) -> bool:
    row = store.delivery(*unit, f"{publisher.target}{_ANNOUNCED}{sha}")
    return row is not None and row.state == "delivered"


def _record(
    store: Store,
    unit: tuple[str, dt.date, str],
    publisher: Publisher,
    commits: Sequence[ReportCommit],
    owner: str,
    how: str,
) -> None:
    for commit in commits:
        target = f"{publisher.target}{_ANNOUNCED}{commit.sha}"
        seen = store.delivery(*unit, target)
        if store.claim_delivery(*unit, target, publisher=publisher.name, content_hash=commit.sha, owner=owner,
                                seen=seen):  # fmt: skip
            store.finish_delivery(
                *unit, target, owner=owner, state="delivered", content_hash=commit.sha, detail=how
            )


# --- a digest-day's addendum: a repository whose day arrived after the digest was sent ------------------

_TOLD = "#day:"


def deliver_digest_addendum(
    digest: DayDigest,
    settings: Settings,
    targets: Sequence[Publisher],
    delivered: Sequence[DeliveryResult],
    store: Store,
    *,
    force: bool,
    secrets: Secrets | None,
    claim_timeout: float,
    send: Callable[..., tuple[list[DeliveryResult], list[str]]],
) -> list[DeliveryResult]:
    """A digest-day built again because a day it lacked arrived later (a repository in a later timezone):
    each chat and e-mail target that had the digest gets one addendum of the repositories it was sent
    without. The ledger keeps, per target, one row per repository told (under the digest's key, target
    ``<target>#day:<repo>``): the whole digest sent just now tells every stored one; an addendum never
    repeats one."""
    unit = (f"digest:{digest.name}", digest.date, digest.language)
    stored = [r.repo for r in digest.repos if r.stored]
    rows = store.deliveries(*unit)
    results = []
    for publisher, outcome in zip(targets, delivered, strict=True):
        if publisher.updates_in_place or outcome.status in ("failed", "waiting") or not stored:
            continue
        told = {t.split(_TOLD, 1)[1] for t in rows if t.startswith(publisher.target + _TOLD)}
        untold = [repo for repo in stored if repo not in told]
        if not untold:
            continue
        if outcome.status == "ok" or not told:  # the whole digest went out now (or before rows were kept)
            _record_told(store, unit, publisher, untold, "in the digest")
            continue
        edition = digest_addendum_edition(digest, untold, settings)
        [result], _ = send(
            edition, [publisher], store, force=force, secrets=secrets, claim_timeout=claim_timeout
        )
        if result.status != "failed":
            _record_told(store, unit, publisher, untold, f"addendum {edition.key.repo}")
        results.append(DeliveryResult(publisher.name, publisher.type, publisher.target, result.status,
                                      f"addendum ({', '.join(untold)}): {result.detail}", result.content_hash,
                                      result.recovered))  # fmt: skip
    return results


def digest_addendum_edition(digest: DayDigest, repos: Sequence[str], settings: Settings) -> Edition:
    """The digest of ``repos`` alone, for that day: its own ledger key (``digest:<name>#late:<hash>``) and
    a title that names what it adds."""
    import hashlib

    from dailydiff.render.edition import UnitKey, digest_edition

    chosen = set(repos)
    part = digest.model_copy(
        update={
            "repos": [r for r in digest.repos if r.repo in chosen],
            "high": [c for c in digest.high if c.repo in chosen],
            "watch": [c for c in digest.watch if c.repo in chosen],
            "total": sum(r.total for r in digest.repos if r.repo in chosen),
        }
    )
    edition = digest_edition(part, settings)
    tag = hashlib.sha256(",".join(sorted(chosen)).encode()).hexdigest()[:16]
    edition.key = UnitKey(f"digest:{digest.name}#late:{tag}", digest.date, digest.language)
    edition.title = f"{edition.title} + {', '.join(repos)}"
    edition.subject = f"{edition.subject} + {', '.join(repos)}"
    return edition


def _record_told(store: Store, unit: tuple[str, dt.date, str], publisher: Publisher, repos: Sequence[str],
                 how: str) -> None:  # fmt: skip
    from dailydiff.engine.deliver import claim_owner

    owner = claim_owner()
    for repo in repos:
        target = f"{publisher.target}{_TOLD}{repo}"
        seen = store.delivery(*unit, target)
        if store.claim_delivery(
            *unit, target, publisher=publisher.name, content_hash=repo, owner=owner, seen=seen
        ):
            store.finish_delivery(
                *unit, target, owner=owner, state="delivered", content_hash=repo, detail=how
            )
