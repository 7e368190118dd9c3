"""What every unit kind is and builds with (engine/units.py and each kind's own module build on it): the
``Unit`` surface the runner needs, ``BaseUnit`` with what kinds share, and the run's ``Context``."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from dailydiff.store import open_store

if TYPE_CHECKING:
    from dailydiff.engine.outcome import UnitOutcome
    from dailydiff.publish.base import Publisher, Secrets
    from dailydiff.settings import Settings
    from dailydiff.store import Store


class Unit(Protocol):
    """What every unit kind is (the runner needs nothing else): a key, the keys it needs, a batch, how lines
    name it, its date, ``build`` — which returns one outcome per unit with the editions it asks the runner
    to send — and ``undone``, why the units are not done once those are sent ('' when they are).

    A new kind touches its own module (its class, on ``BaseUnit``, and its planner) and one line of
    ``KINDS`` in engine/kinds.py, the table of kinds."""

    kind: ClassVar[str]
    needs: tuple[str, ...]

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def batch(self) -> str: ...

    @property
    def date(self) -> dt.date: ...

    @classmethod
    async def build(cls, context: Context, units: Sequence[Any]) -> tuple[list[UnitOutcome], str]: ...

    @classmethod
    def undone(cls, context: Context, units: Sequence[Any], outcomes: Sequence[UnitOutcome]) -> str: ...


class BaseUnit:
    """What unit kinds share: named by their key, built alone (label and batch are the key), each on a thread
    of its own (``build_one``), built with the run's engine, done once every delivery the runner made of them
    went through."""

    uses_engine: ClassVar[bool] = True  # False: built without the day's engine (`notes`: engine/runner.py)

    @property
    def key(self) -> str:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return self.key

    @property
    def batch(self) -> str:
        return self.key

    @classmethod
    async def build(cls, context: Context, units: Sequence[Any]) -> tuple[list[UnitOutcome], str]:
        outcomes = [await asyncio.to_thread(unit.build_one, context) for unit in units]
        return outcomes, cls.unmet(outcomes)

    def build_one(self, context: Context) -> UnitOutcome:
        raise NotImplementedError

    @staticmethod
    def unmet(outcomes: Sequence[UnitOutcome]) -> str:
        """Why units are not done whatever is sent ('' when they are)."""
        return ""

    @classmethod
    def undone(cls, context: Context, units: Sequence[Any], outcomes: Sequence[UnitOutcome]) -> str:
        """Why units that deliver an edition are not done once sent: a delivery failed."""
        return "; ".join(f"{o.label}: {p.publisher} failed" for o in outcomes for p in o.publish
                         if p.status == "failed")  # fmt: skip


@dataclass
class Context:
    """What every unit of a run builds with: the store, the run's options, the publishers, one engine."""

    store: Store
    options: Any  # the engine's RunOptions (engine/runoptions.py)
    available: Sequence[Publisher]
    settings: Settings
    engine: Any  # the one Engine of the run
    secrets: Secrets | None = None

    def own_store(self) -> Store:
        return (self.options.open_store or (lambda: open_store(self.settings)))()
