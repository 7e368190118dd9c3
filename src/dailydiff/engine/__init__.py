"""Running every configured repository: planning (shards, per-repository settings), execution (bounded
concurrency, resumable) and delivery (engine/deliver.py: the one path to the publishers)."""

from dailydiff.engine.dates import DateSpec
from dailydiff.engine.deliver import DeliveryResult, configured_publishers, deliver_unit, publishers_for
from dailydiff.engine.execute import DayResult, RepoResult, RunOptions, run_jobs
from dailydiff.engine.plan import RepoJob, Shard, parse_shard, plan_jobs, redact, shard_of

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
