"""A run's GitHub request budget: what the days it plans will spend, against what the token has left.

After a repository's listing (which is spent already) its source knows what each day will cost: a
detail request per commit not yet in the cache (API mode) and a GraphQL request per 100 commits whose
pull requests are not settled in the cache. ``admit`` keeps whole days, most recent first, while they fit
in the token's ``x-ratelimit-remaining`` less what the other repositories of the run have reserved; the
rest is left to the next run, which finds them not built.

The count is asked (GitHub's ``/rate_limit``, one round trip) only where it can change the answer: a
repository's days that spend nothing (no commit, or every detail and pull request cached) are admitted
without it, and while the count the run's last fetch saw, less what the run has reserved since, leaves
room for the days many times over (``ROOMY``), and is at most ``FRESH`` seconds old, it stands for the
next fetches: one look per run at a token with plenty left, not one per repository (500 a night on a
fleet). A count near its end is asked again each time (other processes may spend the same token).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger("dailydiff.github")

BATCH = 100  # commits per GraphQL request
FRESH = 60.0  # seconds a count seen by one fetch of the run stands for the next (see above)
ROOMY = 10  # …while what it leaves is this many times what a repository's days need, and at least…
ROOMY_SHARE = 0.1  # …this share of the token's limit


@dataclass
class RequestBudget:
    """Shared by every GitHub repository of one run (one per API host)."""

    reserved: int = 0  # admitted by repositories still fetching
    deferred: dict[str, list[dt.date]] = field(default_factory=dict)  # repo -> days left to the next run
    seen: tuple[int, int, float] | None = None  # (remaining, limit, monotonic time): a fetch's last count
    spent_since: int = 0  # released by fetches since that count

    def spends(self, costs: Mapping[dt.date, tuple[int, int]]) -> bool:
        return bool(_total(costs.values()))

    def remembered(self, costs: Mapping[dt.date, tuple[int, int]]) -> int | None:
        """What the token has left by the count a fetch of the run saw last, less what fetches ended since
        spent, when that count is fresh and leaves room for ``costs`` many times over (see the module's
        note); None otherwise: ask the API."""
        if self.seen is None:
            return None
        remaining, limit, at = self.seen
        remaining -= self.spent_since
        roomy = max(ROOMY * _total(costs.values()), ROOMY_SHARE * limit)
        if time.monotonic() - at > FRESH or remaining - self.reserved < roomy:
            return None
        return remaining

    def saw(self, remaining: int | None, limit: int) -> None:
        """The count a fetch's last answer gave (None: none did), after its ``release``."""
        if remaining is not None:
            self.seen, self.spent_since = (remaining, limit, time.monotonic()), 0

    def admit(
        self, repo: str, costs: Mapping[dt.date, tuple[int, int]], remaining: int | None
    ) -> set[dt.date]:
        """The days of ``repo`` to build now: whole days, most recent first, while they fit. ``costs``:
        per day, (REST requests, commits whose pull requests must be asked: a GraphQL request per 100 of
        them over the days admitted). The days left out are recorded in ``deferred`` and named in one
        warning. ``remaining`` None: the API did not say (no limit known), everything is admitted."""
        needed = _total(costs.values())
        if remaining is None or needed <= max(0, remaining - self.reserved):
            self.reserved += needed
            return set(costs)
        available = max(0, remaining - self.reserved)
        admitted: list[dt.date] = []
        for date in sorted(costs, reverse=True):
            if _total([costs[d] for d in [*admitted, date]]) > available:
                break
            admitted.append(date)
        self.reserved += _total([costs[d] for d in admitted])
        left = sorted(set(costs) - set(admitted))
        self.deferred[repo] = left
        log.warning(
            "%s: the days asked for need %d GitHub requests but the token has %d left; building the %d most "
            "recent day(s) that fit, %d day(s) (%s … %s) are left to the next run",
            repo, needed, available, len(admitted), len(left), left[0], left[-1],
        )  # fmt: skip
        return set(admitted)

    def cost(self, costs: Mapping[dt.date, tuple[int, int]], days: set[dt.date]) -> int:
        return _total([c for d, c in costs.items() if d in days])

    def release(self, amount: int) -> None:
        """A repository finished fetching: what it reserved is now in the API's own count."""
        self.reserved = max(0, self.reserved - amount)
        self.spent_since += amount


def _total(costs: Iterable[tuple[int, int]]) -> int:
    rest = graphql = 0
    for requests, pulls in costs:
        rest += requests
        graphql += pulls
    return rest + math.ceil(graphql / BATCH)


def day_costs(
    dated: Iterable[tuple[str, dt.datetime]],
    day_of: Callable[[dt.datetime], dt.date],
    requests: Mapping[str, int],
    pulls: Mapping[str, bool],
) -> dict[dt.date, tuple[int, int]]:
    """Per day, (REST requests, pull requests to ask) from each commit's ``requests`` and whether its
    pull request must be asked."""
    costs: dict[dt.date, tuple[int, int]] = {}
    for sha, committed_at in dated:
        date = day_of(committed_at)
        rest, asked = costs.get(date, (0, 0))
        costs[date] = (rest + requests.get(sha, 0), asked + pulls.get(sha, False))
    return costs
