"""Running every configured repository: planning (shards, per-repository settings), execution (bounded
concurrency, resumable) and the seam to the publishers."""

from dailydiff.engine.dates import DateSpec
from dailydiff.engine.execute import DayResult, RepoResult, RunOptions, run_jobs
from dailydiff.engine.plan import RepoJob, Shard, parse_shard, plan_jobs, redact, shard_of
from dailydiff.engine.publishing import (
    ConfiguredPublisher,
    FilesOutput,
    Publisher,
    PublishResult,
    configured_publishers,
)

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
    "configured_publishers",
    "parse_shard",
    "plan_jobs",
    "redact",
    "run_jobs",
    "shard_of",
]
