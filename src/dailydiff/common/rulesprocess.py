"""The rules worker's process (analysis/heuristic/worker.py talks to it): its program, how it is started, and
the start of one as a long `report` loads (``start_early``). A module outside ``dailydiff.analysis``, so that
the early start loads none of the analysers, the data model, the settings or the store: it runs first, and
the process it starts imports the rules while this one imports the rest.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("dailydiff.analysis")

# The worker's program. Its packages (dailydiff.analysis, .heuristic) are entered without running their
# ``__init__``: the analysers' registry imports the store and the settings, which the rules do not need
# (a fifth of the worker's start).
BOOT = """
import os, sys, types
import dailydiff
for name in ("dailydiff.analysis", "dailydiff.analysis.heuristic"):
    package = types.ModuleType(name)
    package.__path__ = [os.path.join(dailydiff.__path__[0], *name.split(".")[1:])]
    sys.modules[name] = package
from dailydiff.analysis.heuristic.served import serve
serve()
"""


def _env() -> dict[str, str]:
    # the worker imports this process's modules (a program may have put its own on sys.path)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


class RulesProcess:
    """The worker's process: its pipes are read and written by the threads of worker.py's ``_Worker``."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self._waited: asyncio.Future[int] | None = None

    @classmethod
    def spawn(cls, program: str = BOOT) -> RulesProcess:
        popen = subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=_env())  # fmt: skip
        return cls(popen)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    async def wait(self) -> int:
        import asyncio  # (not at the top: the early start runs before anything has loaded it)

        if self._waited is None:  # one thread waits for it, however many ask
            self._waited = asyncio.ensure_future(asyncio.to_thread(self.popen.wait))
        return await asyncio.shield(self._waited)

    def kill(self) -> None:
        if self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.kill()


_early: RulesProcess | None = None  # started by ``start_early``, not yet taken by a session


def start_early() -> None:
    """A long run of the rules is coming (`report` of a long window, cli/direct.py): the worker's process is
    started now, when the machine has a core to spare, so that its imports run beside the command's own and
    it is ready for the first commit. The run's first session takes it (``RulesWorker``); one no session
    took (the settings chose a model) is ended when the command ends (``end_early``), at the latest as this
    process exits."""
    global _early
    if _early is not None or not spare_core():
        return
    try:
        _early = RulesProcess.spawn()
    except OSError as exc:  # no processes left: the run starts its worker as it would have
        log.debug("the rules worker could not be started early: %s", exc)
        return
    atexit.register(end_early)


def take_early() -> RulesProcess | None:
    global _early
    early, _early = _early, None
    return early


def end_early() -> None:
    """The worker ``start_early`` started, if no session took it: ended (the command is over)."""
    early = take_early()
    if early is not None:
        early.kill()
        early.popen.wait()
        for pipe in (early.popen.stdin, early.popen.stdout):
            if pipe is not None:
                pipe.close()


def spare_core() -> bool:
    """Whether the machine has a core to spare: the last minute's load average leaves half a core idle (what
    the worker uses over a backfill's length) of those this process may use, or, where that average still
    counts work that has ended (the command before this one: the average takes a minute to forget it), the
    tasks running now leave a core besides this one's. On a busy machine a worker only adds its start (its
    imports) and the commits' copies to the work the cores share: the rules are then applied here."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # (not on every system)
        cores = os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    if load <= cores - 0.5:
        return True
    running = running_now()
    return running is not None and running - 1 <= cores - 2  # the others leave one core besides this one's


LOADAVG = "/proc/loadavg"  # Linux: "1.02 0.85 0.70 2/345 6789", the tasks running now before the slash


def running_now() -> int | None:
    """The tasks running or ready to run at this moment, this process's included (Linux), else None."""
    try:
        with open(LOADAVG, encoding="ascii") as handle:
            return int(handle.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None
