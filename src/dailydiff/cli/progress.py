"""Progress of a run on stderr: one overall bar on a terminal, plain log lines otherwise (the engine logs
each day it finishes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dailydiff.cli.base import say
from dailydiff.engine.printer import Tally

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


def figures(tally: Tally) -> str:
    """Where the run stands: days, commits done (those whose analysis the store already had said apart: a
    re-run analyses nothing), requests in flight."""
    stored = f" ({tally.commits_stored} from the store)" if tally.commits_stored else ""
    return (
        f"days {tally.units_done}/{tally.units_total} · commits {tally.commits_done}/{tally.commits_total} "
        f"done{stored} · requests in flight {tally.in_flight()}"
    )


def _bar(tally: Tally, console: Console) -> Progress:
    """The terminal's bar (rich's progress display is imported only when there is a terminal to draw on)."""
    from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Figures(ProgressColumn):
        """Read from the tally at every refresh, so requests in flight stay current between updates."""

        def render(self, task: Task) -> Text:
            return Text(figures(tally))

    return Progress(
        TextColumn("dailydiff"), BarColumn(), Figures(), TimeRemainingColumn(),
        console=console, transient=True, refresh_per_second=4,
    )  # fmt: skip


def _plain_line(line: str) -> None:
    """A progress line where there is no bar: written as the console would (cli/base.py ``say``), without
    starting rich's console for it."""
    say(f"dailydiff: {line}")


class ProgressBar:
    """``with ProgressBar(console, enabled) as tally:`` — hand ``tally`` to the engine. With ``lines``
    instead of a bar (not a terminal), one plain line each time a day is done."""

    def __init__(self, console: Console, enabled: bool, *, lines: bool = False,
                 say: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.tally = Tally()
        self._say = say or _plain_line
        self.progress: Progress | None = None
        self._task: Any = None
        self._console = console
        self._days_shown = 0
        if lines and not enabled:
            self.tally.on_change = self._line
        if enabled:
            self.progress = _bar(self.tally, console)
            self._task = self.progress.add_task("run", total=None)
            self.tally.on_change = self._update

    def _update(self, tally: Tally) -> None:
        if self.progress is None:
            return
        # Days carry the bar; commits move it between days, so a one-day run still shows progress.
        total = tally.units_total + tally.commits_total
        self.progress.update(self._task, total=total or None, completed=tally.units_done + tally.commits_done)

    def _line(self, tally: Tally) -> None:
        if tally.units_done == self._days_shown:
            return
        self._days_shown = tally.units_done
        self._say(figures(tally))

    def __enter__(self) -> Tally:
        self.tally.started = time.monotonic()
        if self.progress is not None:
            self.progress.start()
        return self.tally

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
