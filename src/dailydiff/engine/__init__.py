"""The engine: plans units (repository × day) and streams them through the stages — the one place that
wires fetch → store → score → analyse → overview → render → deliver, for every command.

A command sees only its request (``Request`` and the typed values it is made of: engine/request.py), ``plan``,
``run`` and the ``printer``: it parses its flags into one ``Request``, calls ``plan(request)`` then
``run(plan)``, and prints the outcomes with the printer.

The names below are imported on first use, so that importing one engine module does not import the
streaming engine, the analysers and the publishers with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.common.dates import DateSpec
    from dailydiff.engine.commands import plan, run
    from dailydiff.engine.deliver import DeliveryResult, configured_publishers, deliver, publishers_for
    from dailydiff.engine.jobs import RepoJob, Shard, adhoc_job, parse_shard, plan_jobs, redact, shard_of
    from dailydiff.engine.printer import Tally
    from dailydiff.engine.request import (
        DigestRequest,
        Flags,
        Given,
        NotesRequest,
        ReportRequest,
        Request,
        RunRequest,
        SiteRequest,
        Targets,
        WatchTestRequest,
        WeeklyRequest,
    )
    from dailydiff.engine.stream import RepoResult, RunOptions

_WHERE = {
    "DateSpec": "dailydiff.common.dates",
    "Request": "request",
    "Flags": "request",
    "Targets": "request",
    "Given": "request",
    "RunRequest": "request",
    "ReportRequest": "request",
    "DigestRequest": "request",
    "WeeklyRequest": "request",
    "NotesRequest": "request",
    "WatchTestRequest": "request",
    "SiteRequest": "request",
    "plan": "commands",
    "run": "commands",
    "DeliveryResult": "deliver",
    "configured_publishers": "deliver",
    "deliver": "deliver",
    "publishers_for": "deliver",
    "RepoJob": "jobs",
    "Shard": "jobs",
    "adhoc_job": "jobs",
    "parse_shard": "jobs",
    "plan_jobs": "jobs",
    "redact": "jobs",
    "shard_of": "jobs",
    "RepoResult": "stream",
    "RunOptions": "stream",
    "Tally": "printer",
}


def __getattr__(name: str) -> Any:
    if name == "printer":
        return importlib.import_module(f"{__name__}.printer")
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    where = _WHERE[name]
    value = getattr(importlib.import_module(where if "." in where else f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DateSpec",
    "DeliveryResult",
    "DigestRequest",
    "Flags",
    "Given",
    "NotesRequest",
    "RepoJob",
    "RepoResult",
    "ReportRequest",
    "Request",
    "RunOptions",
    "RunRequest",
    "Shard",
    "SiteRequest",
    "Tally",
    "Targets",
    "WatchTestRequest",
    "WeeklyRequest",
    "adhoc_job",
    "configured_publishers",
    "deliver",
    "parse_shard",
    "plan",
    "plan_jobs",
    "printer",
    "publishers_for",
    "redact",
    "run",
    "shard_of",
]
