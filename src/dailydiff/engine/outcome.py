"""The one outcome of a unit, whatever its kind (engine/units.py): its state in one word, what it asks the
runner to send (``Send``), every delivery the runner made of it, its report (days), the files a command's
own outputs wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an outcome names them; the renderers are imported where a unit is built
    from dailydiff.engine.deliver import DeliveryResult, Told
    from dailydiff.models import DayReport
    from dailydiff.publish.base import Publisher
    from dailydiff.render.edition import Edition
    from dailydiff.store import Store

# A unit's states, one word each. "partial" is reserved for a day whose window has not settled yet.
BUILT, UP_TO_DATE, GATED, KEPT, DEFERRED, FAILED = (
    "built",
    "up-to-date",
    "gated",
    "kept-previous",
    "deferred",
    "failed",
)
EMPTY, NOTHING = "empty", "nothing-stored"


@dataclass
class After:
    """What a unit reads from its deliveries once the runner made them: the ledger rows they settle besides
    (engine/deliver.py ``Told``), figures they add to the outcome, and editions they still owe (a digest's
    addendum), sent by the runner next."""

    told: list[Told] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)
    sends: list[Send] = field(default_factory=list)


@dataclass
class Send:
    """An edition a unit asks the runner (engine/runner.py, the one caller of ``deliver``) to send: to the
    command's own outputs (``outputs``: None for all of them) and to ``targets`` through the ledger, or, with
    ``skipped``, to none of the targets, each said skipped for that reason (a gated day). ``then`` reads the
    deliveries (and the store) and says what they settle and owe besides; ``note`` goes before each
    delivery's detail."""

    edition: Edition
    targets: Sequence[Publisher] = ()
    outputs: Sequence[Publisher] | None = None
    claim_timeout: float = 900.0
    skipped: str = ""
    note: str = ""
    said: bool = True  # its deliveries and files said in the outcome (not a day's files written again)
    then: Callable[[Store, list[DeliveryResult]], After] | None = None


@dataclass
class UnitOutcome:
    """How one unit ended, whatever its kind: its state, every delivery it made, its report (days)."""

    kind: str  # "day", "digest", "week"
    label: str  # "owner/name 2026-04-24", "digest team 2026-04-24", "week owner/name 2026-W17"
    status: str
    date: dt.date
    repo: str | None = None
    report: DayReport | None = None
    publish: list[DeliveryResult] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files `report --output-dir` wrote
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)  # kind-specific counts for the JSON summary
    key: str = ""
    edition: Edition | None = field(default=None, repr=False)  # for a command's own outputs (stdout, -o)
    sends: list[Send] = field(default_factory=list, repr=False)  # what the runner sends for it

    @property
    def delivered_ok(self) -> bool:
        return not any(p.status == "failed" for p in self.publish)

    def as_dict(self) -> dict[str, Any]:
        from dailydiff.engine.stages import day_figures, run_figures

        data: dict[str, Any] = {"kind": self.kind, "unit": self.label, "status": self.status}
        data["date"] = self.date.isoformat()
        if self.detail:
            data["detail"] = self.detail
        if self.report is not None:
            r = self.report
            watched = sum(1 for c in r.commits if c.watch)
            data.update(commits=r.stats.total, high=r.stats.high, medium=r.stats.medium, low=r.stats.low,
                        watched=watched, **run_figures(r), **day_figures(r))  # fmt: skip
            if r.run.cached_tokens is not None:
                data["cached_tokens"] = r.run.cached_tokens
            if r.partial:
                data["partial"] = True
            if r.gate is not None:  # the day's stored gate: the verdict and figures every output shows
                data["gate"] = {"gated": r.gate.gated, "ratio": round(r.gate.ratio, 4), "failed": r.gate.failed,
                                "analysable": r.gate.analysable, "limit": r.gate.limit}  # fmt: skip
        data.update(self.figures)
        data["publish"] = [p.as_dict() for p in self.publish]
        return data


def failed(unit: Any, detail: str, repo: str | None = None) -> UnitOutcome:
    """A unit that failed (``detail`` says why), named and keyed as the unit."""
    return UnitOutcome(unit.kind, unit.label, FAILED, date=unit.date, repo=repo, detail=detail, key=unit.key)


def day_outcome(
    repo: str | None,
    date: dt.date,
    status: str,
    report: DayReport | None = None,
    publish: Sequence[DeliveryResult] = (),
    written: Sequence[str] = (),
) -> UnitOutcome:
    return UnitOutcome("day", f"{repo or '?'} {date.isoformat()}", status, date=date, repo=repo, report=report,
                       publish=list(publish), written=list(written), key=day_key(repo or "?", date))  # fmt: skip


def day_key(repo: str, date: dt.date) -> str:
    """A repository-day's key in a plan (the same in every plan: two plans never build one unit twice)."""
    return f"{repo} {date.isoformat()}"
