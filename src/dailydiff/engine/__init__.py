"""Running every configured repository: planning (shards, per-repository settings), execution (bounded
concurrency, resumable) and delivery (engine/deliver.py: the one path to the publishers).

The names below are imported on first use, so that importing one engine module (``engine.stages`` for
`report`) does not import the executor, the analysers and every publisher with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.engine.dates import DateSpec
    from dailydiff.engine.deliver import DeliveryResult, configured_publishers, deliver_unit, publishers_for
    from dailydiff.engine.execute import DayResult, RepoResult, RunOptions, run_jobs
    from dailydiff.engine.plan import RepoJob, Shard, parse_shard, plan_jobs, redact, shard_of

_WHERE = {
    "DateSpec": "dates",
    "DeliveryResult": "deliver",
    "configured_publishers": "deliver",
    "deliver_unit": "deliver",
    "publishers_for": "deliver",
    "DayResult": "execute",
    "RepoResult": "execute",
    "RunOptions": "execute",
    "run_jobs": "execute",
    "RepoJob": "plan",
    "Shard": "plan",
    "parse_shard": "plan",
    "plan_jobs": "plan",
    "redact": "plan",
    "shard_of": "plan",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DateSpec",
    "DayResult",
    "DeliveryResult",
    "RepoJob",
    "RepoResult",
    "RunOptions",
    "Shard",
    "configured_publishers",
    "deliver_unit",
    "parse_shard",
    "plan_jobs",
    "publishers_for",
    "redact",
    "run_jobs",
    "shard_of",
]
