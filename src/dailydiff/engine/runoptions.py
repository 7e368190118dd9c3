"""What one run of the engine is asked for (``RunOptions``): the days, the targets, how it treats what is
already delivered. Apart from the engine (engine/stream.py, which re-exports it) so a command whose units
run without the engine (`notes`) builds its options without loading it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from dailydiff.analysis.base import Analyzer
    from dailydiff.common.dates import DateSpec
    from dailydiff.engine.deliver import History
    from dailydiff.engine.printer import Tally
    from dailydiff.publish.base import Publisher, Secrets
    from dailydiff.sources import CommitSource
    from dailydiff.store import Store


@dataclass
class RunOptions:
    dates: DateSpec
    force: bool = False  # rebuild and re-deliver days already delivered
    concurrency: int = 0  # units at once ([run] concurrency; 0: found, engine/room.py)
    now: dt.datetime | None = None
    skip_delivered: bool = True  # `run`: a day delivered everywhere is up to date; `report` builds every day
    # `report`'s stdout and --output-dir: targets without the ledger, sent every built day (a gated day is
    # no report: only targets that do not keep it, such as stdout, show it, under its gate warning)
    outputs: Sequence[Publisher] = ()
    history: History | None = None  # the stored days before a day, for its mail's chart
    raise_errors: bool = False  # `report`: a repository that fails raises (`run` records it and goes on)
    tally: Tally | None = None
    secrets: Secrets | None = None  # the environment publishers read their secrets from
    # A new connection to the run's store, for deliveries sent from a worker thread (a connection is never
    # shared between threads). Without it deliveries are sent from the event loop itself.
    open_store: Callable[[], Store] | None = None
    # Keep each day's commits in the results (`report --explain`); `run` drops them once a day is
    # delivered, so a run's memory does not grow with the number of days.
    keep_commits: bool = True
    # Sources (and analysers) already opened by the caller, by job key: a script, benchmark or test that
    # brings its own (a source on a fake forge, an analyser it counts the requests of).
    opened: Mapping[str, tuple[CommitSource, Analyzer | None]] = field(default_factory=dict)


__all__ = ["RunOptions"]
