"""Concurrency and retry policy for the model endpoint: an AIMD limit and jittered backoff.

The limit starts at the configured concurrency. Each success adds 1/limit (about one more slot per round
of successful requests); a 429 halves it (at most once per round: only requests started after the last
decrease can decrease it again) and pauses new requests until the ``Retry-After`` moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable


class AdaptiveLimit:
    def __init__(self, maximum: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(self.maximum)
        self.active = 0
        self.generation = 0
        self.paused_until = 0.0
        self.decreases = 0
        self.peak_active = 0
        self._clock = clock
        self._changed = asyncio.Condition()

    async def acquire(self) -> int:
        """Wait for a slot; returns the generation the request started in."""
        async with self._changed:
            while True:
                wait = self.paused_until - self._clock()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), timeout=wait)
                    continue
                if self.active < int(self.limit):
                    self.active += 1
                    self.peak_active = max(self.peak_active, self.active)
                    return self.generation
                await self._changed.wait()

    async def release(self, *, success: bool) -> None:
        async with self._changed:
            self.active -= 1
            if success:
                self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
            self._changed.notify_all()

    async def rate_limited(self, generation: int, retry_after: float | None) -> None:
        """A request started in ``generation`` was answered 429: shrink (once per round) and pause."""
        async with self._changed:
            if generation >= self.generation:
                self.limit = max(1.0, self.limit / 2)
                self.generation += 1
                self.decreases += 1
            if retry_after is not None:
                self.paused_until = max(self.paused_until, self._clock() + min(retry_after, 120.0))
            self._changed.notify_all()


def backoff_delay(attempt: int, base: float, cap: float = 30.0, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff: uniform in [base·2^attempt / 2, base·2^attempt], capped."""
    ceiling = min(cap, base * (2**attempt))
    return (rng or random).uniform(ceiling / 2, ceiling)
