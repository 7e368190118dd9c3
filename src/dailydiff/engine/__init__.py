"""The engine: plans units (repository × day) and streams them through the stages — the one place that
wires fetch → store → score → analyse → overview → render → deliver, for every command."""

from dailydiff.engine.dates import DateSpec
from dailydiff.engine.plan import RepoJob, Shard, adhoc_job, parse_shard, plan_jobs, redact, shard_of
from dailydiff.engine.publishing import (
    ConfiguredPublisher,
    FilesOutput,
    Publisher,
    PublishResult,
    configured_publishers,
)
from dailydiff.engine.stream import DayResult, RepoResult, RunOptions, Tally, build_reports, run_jobs

__all__ = [
    "ConfiguredPublisher",
    "DateSpec",
    "DayResult",
    "FilesOutput",
    "PublishResult",
    "Publisher",
    "RepoJob",
    "RepoResult",
    "RunOptions",
    "Shard",
    "Tally",
    "adhoc_job",
    "build_reports",
    "configured_publishers",
    "parse_shard",
    "plan_jobs",
    "redact",
    "run_jobs",
    "shard_of",
]
