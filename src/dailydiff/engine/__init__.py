"""The engine: plans units (repository × day) and streams them through the stages — the one place that
wires fetch → store → score → analyse → overview → render → deliver, for every command.

The names below are imported on first use, so that importing one engine module does not import the
streaming engine, the analysers and the publishers with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.engine.dates import DateSpec
    from dailydiff.engine.deliver import DeliveryResult, configured_publishers, deliver, publishers_for
    from dailydiff.engine.plan import RepoJob, Shard, adhoc_job, parse_shard, plan_jobs, redact, shard_of
    from dailydiff.engine.stream import RepoResult, RunOptions, Tally, build_reports, run_jobs

_WHERE = {
    "DateSpec": "dates",
    "DeliveryResult": "deliver",
    "configured_publishers": "deliver",
    "deliver": "deliver",
    "publishers_for": "deliver",
    "RepoJob": "plan",
    "Shard": "plan",
    "adhoc_job": "plan",
    "parse_shard": "plan",
    "plan_jobs": "plan",
    "redact": "plan",
    "shard_of": "plan",
    "RepoResult": "stream",
    "RunOptions": "stream",
    "Tally": "stream",
    "build_reports": "stream",
    "run_jobs": "stream",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DateSpec",
    "DeliveryResult",
    "RepoJob",
    "RepoResult",
    "RunOptions",
    "Shard",
    "Tally",
    "adhoc_job",
    "build_reports",
    "configured_publishers",
    "deliver",
    "parse_shard",
    "plan_jobs",
    "publishers_for",
    "redact",
    "run_jobs",
    "shard_of",
]
