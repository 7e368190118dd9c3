"""Work for a unit of a shared plan holds only while the worker still holds the unit: a guard, set by the
plan around the unit (asyncio tasks and threads started from there inherit it), that a stage calls before
an expensive outside request (an LLM request). It raises when the unit's lease is gone, so a worker that was
frozen past its lease sends nothing more for a unit another worker has taken over."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

UNIT_GUARD: ContextVar[Callable[[], None] | None] = ContextVar("dailydiff_unit_guard", default=None)


def check_held() -> None:
    """Raise (LeaseLostError) when the current task works for a unit this worker no longer holds."""
    guard = UNIT_GUARD.get()
    if guard is not None:
        guard()
