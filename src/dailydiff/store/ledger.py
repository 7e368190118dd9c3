"""The delivery ledger (a delivery is claimed before it is sent) and the units of shared plans (workers
claim them with leases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dailydiff.common.secrets import scrub
from dailydiff.errors import StoreError, StoreFullError
from dailydiff.store.base import FENCE, Claim, StoreBase
from dailydiff.store.database import now_precise, now_text


@dataclass(frozen=True)
class Delivery:
    """A row of the delivery ledger: the delivery of one report (repo, date, language) to one target."""

    repo: str
    date: dt.date
    language: str
    target: str
    publisher: str
    state: str  # "sending" (claimed by claim_owner at claimed_at), "delivered" or "failed"
    content_hash: str
    claim_owner: str
    claimed_at: dt.datetime
    detail: str
    attempts: int
    version: int
    updated_at: dt.datetime
    resends: int = 0  # how many times --force sent it again after it was delivered

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Delivery:
        repo, date, language, target, publisher, state, content_hash, owner, claimed, detail, *rest = row
        attempts, version, updated, resends = rest
        return cls(str(repo), dt.date.fromisoformat(str(date)), str(language), str(target), str(publisher),
                   str(state), str(content_hash), str(owner), dt.datetime.fromisoformat(str(claimed)),
                   str(detail), int(str(attempts)), int(str(version)), dt.datetime.fromisoformat(str(updated)),
                   int(str(resends)))  # fmt: skip


@dataclass(frozen=True)
class FailingTarget:
    """A delivery target that failed on every one of its newest ``days`` days (the ledger's rows)."""

    repo: str
    target: str
    publisher: str
    days: int
    since: dt.date
    last: dt.date
    detail: str


@dataclass(frozen=True)
class UnitState:
    unit: str
    state: str  # "pending", "running", "done", "failed"
    worker: str | None
    attempts: int
    detail: str


class LedgerStore(StoreBase):
    """The delivery ledger (a delivery is claimed before it is sent) and the units of shared plans (workers"""

    # the delivery ledger: a delivery is claimed before it is sent ---------------------------------

    _LEDGER_COLUMNS = (
        "repo, date, language, target, publisher, state, content_hash, claim_owner, claimed_at, detail, "
        "attempts, version, updated_at, resends"
    )
    _LEDGER_CLAIM_COLUMNS = _LEDGER_COLUMNS + ", fence"

    def delivery(self, repo: str, date: dt.date, language: str, target: str) -> Delivery | None:
        row = self._db.execute(
            f"SELECT {self._LEDGER_COLUMNS} FROM delivery_ledger "
            "WHERE repo = ? AND date = ? AND language = ? AND target = ?",
            (repo, date.isoformat(), language, target),
        ).fetchone()
        return Delivery.from_row(row) if row else None

    def deliveries(self, repo: str, date: dt.date, language: str) -> dict[str, Delivery]:
        """target -> its ledger row, for one report."""
        rows = self._db.execute(
            f"SELECT {self._LEDGER_COLUMNS} FROM delivery_ledger WHERE repo = ? AND date = ? AND language = ?",
            (repo, date.isoformat(), language),
        )
        return {row[3]: Delivery.from_row(row) for row in rows}

    def failing_targets(self, days: int) -> list[FailingTarget]:
        """The delivery targets whose newest ``days`` (or more) days all failed, per repository (a digest
        is ``digest:<name>``): how many days in a row, since when, and the last failure's detail. A streak
        is its target's: the publisher's name at one address (the ledger's target, a fingerprint of it);
        another address has a streak of its own. A day on which nothing was tried for the target (no row:
        not configured, or built by a machine with another address; a day skipped as empty) neither
        continues nor ends it."""
        rows = self._db.execute(
            "SELECT repo, target, publisher, date, state, detail FROM delivery_ledger "
            "WHERE state IN ('delivered', 'failed') AND sent = 1 ORDER BY repo, target, date DESC"
        )
        found: list[FailingTarget] = []
        # Per target, its days newest first: whether anything was delivered that day, else a failure's detail
        # (a day reported in two languages is one day; one delivered is a day the target worked).
        days_of: dict[tuple[str, str, str], dict[str, str | None]] = {}
        for repo, target, publisher, date, state, detail in rows:
            day = days_of.setdefault((str(repo), str(target), str(publisher)), {})
            if state != "failed":
                day[str(date)] = None
            else:
                day.setdefault(str(date), str(detail))
        streak: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for key, outcomes in days_of.items():
            for date, detail in outcomes.items():  # in the order the rows came: newest first
                if detail is None:
                    break
                streak.setdefault(key, []).append((date, detail))
        for (repo, target, publisher), failed in streak.items():
            if days > 0 and len(failed) >= days:
                (newest, detail), since = failed[0], failed[-1][0]
                found.append(FailingTarget(repo, target, publisher, len(failed), dt.date.fromisoformat(since),
                                           dt.date.fromisoformat(newest), detail))  # fmt: skip
        return found

    def claim_delivery(
        self,
        repo: str,
        date: dt.date,
        language: str,
        target: str,
        *,
        publisher: str,
        content_hash: str,
        owner: str,
        seen: Delivery | None,
        resends: int = 0,
    ) -> bool:
        """Take the delivery for ``owner`` (state ``sending``); True when this call won it. ``seen`` is the
        row the caller decided on (None: there was none). The claim is one atomic statement — an insert
        that a unique key refuses, or an update conditional on the row's version — so of two processes
        deciding on the same row, one wins and the other gets False. Under a unit claim (``FENCE``) the
        delivery is claimed only while the unit's claim holds, and records its token: taking the unit over
        makes this delivery claim stale at once. ``resends``: how many times it has been sent again by
        ``--force`` after it was delivered, this sending included. Times are the store's clock."""
        claim = FENCE.get()
        fence = claim.fence if claim is not None else ""
        with self._tx(fenced=True) as db:
            now = self.clock().isoformat(timespec="microseconds")
            if seen is None:
                cursor = db.execute(
                    f"INSERT INTO delivery_ledger ({self._LEDGER_CLAIM_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, '', 1, 1, ?, ?, ?) "
                    "ON CONFLICT (repo, date, language, target) DO NOTHING",
                    (
                        repo,
                        date.isoformat(),
                        language,
                        target,
                        publisher,
                        content_hash,
                        owner,
                        now,
                        now,
                        resends,
                        fence,
                    ),
                )
            else:
                cursor = db.execute(
                    "UPDATE delivery_ledger SET state = 'sending', publisher = ?, content_hash = ?, "
                    "claim_owner = ?, claimed_at = ?, attempts = attempts + 1, version = version + 1, "
                    "updated_at = ?, resends = ?, fence = ? WHERE repo = ? AND date = ? AND language = ? "
                    "AND target = ? AND version = ?",
                    (publisher, content_hash, owner, now, now, resends, fence, repo, date.isoformat(), language,
                     target, seen.version),
                )  # fmt: skip
            return cursor.rowcount == 1

    def record_told(
        self,
        repo: str,
        date: dt.date,
        language: str,
        told: Sequence[tuple[str, str]],
        *,
        publisher: str,
        owner: str,
        detail: str,
    ) -> None:
        """Rows of the ledger that record what a message already sent told (a digest's repositories), none of
        them a message of its own: each ``(target, content_hash)`` is recorded delivered where it has no row
        yet; a row there already (whatever its state) says it was told and stays. One statement in one
        transaction (a digest of 500 repositories tells 500 rows), under the unit's claim like a claim."""
        if not told:
            return
        claim = FENCE.get()
        fence = claim.fence if claim is not None else ""
        with self._tx(fenced=True) as db:
            now = self.clock().isoformat(timespec="microseconds")
            day, why = date.isoformat(), scrub(detail)
            db.executemany(
                f"INSERT INTO delivery_ledger ({self._LEDGER_CLAIM_COLUMNS}, sent) "
                "VALUES (?, ?, ?, ?, ?, 'delivered', ?, ?, ?, ?, 1, 1, ?, 0, ?, 1) "
                "ON CONFLICT (repo, date, language, target) DO NOTHING",
                [(repo, day, language, target, publisher, content_hash, owner, now, why, now, fence)
                 for target, content_hash in told],
            )  # fmt: skip

    def finish_delivery(
        self,
        repo: str,
        date: dt.date,
        language: str,
        target: str,
        *,
        owner: str,
        state: str,
        content_hash: str,
        detail: str,
        sent: bool = True,
    ) -> bool:
        """Record the outcome of a claimed delivery (``delivered`` or ``failed``); False when the claim
        was no longer ours (another process took it over as stale). ``sent``: False when nothing was tried
        (``delivered`` under skip_empty). What was sent must be recorded: a connection lost meanwhile (a
        server restart) is made again and the record tried once more (it is conditional on the claim, so
        doing it twice is harmless)."""

        def record() -> bool:
            with self._tx() as db:
                cursor = db.execute(
                    "UPDATE delivery_ledger SET state = ?, content_hash = ?, detail = ?, sent = ?, "
                    "version = version + 1, updated_at = ? WHERE repo = ? AND date = ? AND language = ? AND target = ? "
                    "AND claim_owner = ? AND state = 'sending'",
                    (state, content_hash, scrub(detail), int(sent), self.clock().isoformat(timespec="microseconds"),
                     repo, date.isoformat(), language, target, owner),
                )  # fmt: skip
                return cursor.rowcount == 1

        try:
            return record()
        except StoreFullError:
            raise
        except StoreError:
            return record()

    # units of shared plans (workers claim them with leases) ------------------------------------------
    # A unit (a repository-day, a digest-day) is one row of unit_claims whatever plans name it; `units`
    # says which plan names which unit, in which order. Lease times are the store's clock.

    def plan_units(
        self, plan: str, units: Sequence[str], needs: Mapping[str, Sequence[str]] | None = None
    ) -> int:
        """Add the units of ``plan`` that are not there yet (every worker of a plan calls this with the same
        units; the first one creates them); ``needs``: unit → the units it waits for. When nothing of the
        plan is pending or running (its last run is over: a unit waits only for units not settled yet, so
        none waits for ever), its units that failed are pending again: running a plan again retries them,
        while a worker joining a run under way leaves its failures alone. Returns how many units the plan
        has."""
        now = now_text()
        with self._tx() as db:
            busy = db.execute(
                "SELECT COUNT(*) FROM units u JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = ? "
                "AND c.state IN ('pending', 'running')",
                (plan,),
            ).fetchone()[0]
            if units:
                db.executemany(
                    "INSERT INTO units (plan, unit, position, state, updated_at) VALUES (?, ?, ?, 'pending', ?) "
                    "ON CONFLICT (plan, unit) DO NOTHING",
                    [(plan, unit, position, now) for position, unit in enumerate(units)],
                )
                db.executemany(
                    "INSERT INTO unit_claims (unit, state, updated_at) VALUES (?, 'pending', ?) "
                    "ON CONFLICT (unit) DO NOTHING",
                    [(unit, now) for unit in units],
                )
            pairs = [(unit, need) for unit, wanted in (needs or {}).items() for need in wanted]
            if pairs:
                db.executemany(
                    "INSERT INTO unit_needs (unit, needs) VALUES (?, ?) ON CONFLICT DO NOTHING", pairs
                )
            if not busy:
                db.execute(
                    "UPDATE unit_claims SET state = 'pending', worker = NULL, lease_until = NULL, updated_at = ? "
                    "WHERE state = 'failed' AND unit IN (SELECT unit FROM units WHERE plan = ?)",
                    (now, plan),
                )
                if units and db.dialect.analyse_units:
                    db.execute(db.dialect.analyse_units)
            return int(db.execute("SELECT COUNT(*) FROM units WHERE plan = ?", (plan,)).fetchone()[0])

    def hold(self, name: str, owner: str, lease: float) -> bool:
        """``owner`` holds ``name`` — a thing one writer at a time may change, whatever process or machine
        writes it (a branch that every commit moves) — for ``lease`` seconds; True when taken: it was free,
        let go, or its holder's lease ran out (the holder died). One atomic statement decides, as for a unit:
        a row of unit_claims that no plan names (``hold:…``), so no worker ever claims it as a unit."""
        now = self._db.dialect.now
        unit = f"hold:{name}"
        with self._tx() as db:
            db.execute("INSERT INTO unit_claims (unit, state, updated_at) VALUES (?, 'free', ?) "
                       "ON CONFLICT (unit) DO NOTHING", (unit, now_text()))  # fmt: skip
            cursor = db.execute(
                f"UPDATE unit_claims SET state = 'held', worker = ?, lease_until = {now} + ?, updated_at = ? "
                f"WHERE unit = ? AND (state <> 'held' OR lease_until < {now})",
                (owner, lease, now_text(), unit),
            )
            return cursor.rowcount == 1

    def let_go(self, name: str, owner: str) -> None:
        """``owner`` no longer holds ``name`` (nothing when another holds it: its lease had run out)."""
        with self._tx() as db:
            db.execute("UPDATE unit_claims SET state = 'free', worker = NULL, lease_until = NULL, updated_at = ? "
                       "WHERE unit = ? AND worker = ? AND state = 'held'", (now_text(), f"hold:{name}", owner))  # fmt: skip

    def claim_unit(self, plan: str, worker: str, lease: float, slots: int | None = None) -> Claim | None:
        """The next unit of ``plan`` nobody holds — pending (and every unit it needs settled: done or failed;
        it is built from what they left and names what is missing), or running under
        a lease that ran out (its worker died or froze) — now held by ``worker`` for ``lease`` seconds with
        a new fencing token; None when every unit is done, failed, held or waiting. Taking a unit over
        makes the delivery claims its old worker made under it stale at once. ``slots``: the requests the
        worker's model endpoint takes from it at once now (``plan_workers`` tells the others)."""
        now = self._db.dialect.now
        with self._tx() as db:
            row = db.execute(
                "SELECT c.unit, c.worker, c.attempts, c.token, c.state FROM units u "
                "JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = ? "
                f"AND (c.state = 'pending' OR (c.state = 'running' AND c.lease_until < {now})) "
                "AND NOT EXISTS (SELECT 1 FROM unit_needs n JOIN unit_claims d ON d.unit = n.needs "
                "WHERE n.unit = c.unit AND d.state NOT IN ('done', 'failed')) "
                "ORDER BY u.position LIMIT 1" + db.dialect.lock_row,
                (plan,),
            ).fetchone()
            if row is None:
                return None
            unit, previous, attempts, token, state = row
            token = int(token)
            db.execute(
                f"UPDATE unit_claims SET state = 'running', worker = ?, token = ?, lease_until = {now} + ?, "
                "attempts = attempts + 1, slots = ?, updated_at = ? WHERE unit = ?",
                (worker, token + 1, lease, slots, now_text(), unit),
            )
            if state == "running":
                self._give_back_deliveries(f"{unit}#{token}", f"interrupted: {previous} lost the unit")
        return Claim(
            plan, unit, worker, int(attempts) + 1, previous if state == "running" else None, token + 1, lease
        )

    def _give_back_deliveries(self, fence: str, why: str) -> None:
        """The delivery claims made under a unit claim that no longer holds: failed, so the next claimant
        sends them (inside the caller's transaction)."""
        self._db.execute(
            "UPDATE delivery_ledger SET state = 'failed', detail = ?, version = version + 1, updated_at = ? "
            "WHERE fence = ? AND state = 'sending'",
            (why, now_precise(), fence),
        )

    def say_slots(self, plan: str, worker: str, slots: int) -> None:
        """The model slots ``worker`` holds now, recorded on the units of ``plan`` it holds (``plan_workers``
        tells the others)."""
        with self._tx() as db:
            db.execute(
                "UPDATE unit_claims SET slots = ? WHERE worker = ? AND state = 'running' "
                "AND unit IN (SELECT unit FROM units WHERE plan = ?)",
                (slots, worker, plan),
            )

    def renew_unit(self, claim: Claim, lease: float) -> bool:
        """Extend the lease; False when the unit is no longer this claim's (its lease ran out and another
        worker took it over)."""
        now = self._db.dialect.now
        with self._tx() as db:
            cursor = db.execute(
                f"UPDATE unit_claims SET lease_until = {now} + ? WHERE unit = ? AND worker = ? AND token = ? "
                "AND state = 'running'",
                (lease, claim.unit, claim.worker, claim.token),
            )
            return bool(cursor.rowcount)

    def complete_unit(self, claim: Claim, detail: str = "") -> bool:
        return self._finish_unit(claim, "done", detail)

    def fail_unit(self, claim: Claim, detail: str) -> bool:
        return self._finish_unit(claim, "failed", detail)

    def release_unit(self, claim: Claim) -> bool:
        """Give a held unit back (a worker stopping early): it is pending again, for any worker; a delivery
        still claimed under it is recorded as interrupted."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE unit_claims SET state = 'pending', worker = NULL, lease_until = NULL, updated_at = ? "
                "WHERE unit = ? AND worker = ? AND token = ? AND state = 'running'",
                (now_text(), claim.unit, claim.worker, claim.token),
            )
            if cursor.rowcount:
                self._give_back_deliveries(claim.fence, f"interrupted: {claim.worker} stopped")
            return bool(cursor.rowcount)

    def _finish_unit(self, claim: Claim, state: str, detail: str) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE unit_claims SET state = ?, detail = ?, lease_until = NULL, updated_at = ? "
                "WHERE unit = ? AND worker = ? AND token = ? AND state = 'running'",
                (state, scrub(detail), now_text(), claim.unit, claim.worker, claim.token),
            )
            return bool(cursor.rowcount)

    def plan_workers(self, plan: str) -> dict[str, int | None]:
        """The workers holding a unit of the plan now (a worker that holds none has no request of it in
        flight), each with the model slots it held when it claimed the last of them (None: not said)."""
        rows = self._db.execute(
            "SELECT c.worker, c.slots FROM units u JOIN unit_claims c ON c.unit = u.unit "
            "WHERE u.plan = ? AND c.state = 'running' AND c.worker IS NOT NULL ORDER BY c.updated_at",
            (plan,),
        )
        return {worker: None if slots is None else int(slots) for worker, slots in rows}

    def unit_states(self, plan: str) -> list[UnitState]:
        rows = self._db.execute(
            "SELECT c.unit, c.state, c.worker, c.attempts, c.detail FROM units u "
            "JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = ? ORDER BY u.position",
            (plan,),
        )
        return [UnitState(*row) for row in rows]
