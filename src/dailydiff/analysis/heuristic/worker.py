"""A long run's rules applied on the machine's other core while this one reads git, stores and renders.

The rules cost 2-7 ms a commit (reading a body as Markdown most of it, then scanning the patches for
definitions): a quarter of a second or more of a month of a busy repository, in the process that also parses
git's output, stores the commits and the reports and renders the days. A session asked for many commits (a
backfill, a first run) starts one worker process at its ``START_AT``-th request and sends it each later
commit (pickled: a few milliseconds for a month's patches); the commit's analysis waits for the worker's
answer, while the event loop goes on reading git, storing and building days. The worker runs the same
analyser on the same commit, so the analyses are the same; a worker that fails, cannot start or stops
answering (``SILENCE``) leaves the analyses to this process, and while it starts (its imports) or while it
has ``BACKLOG`` commits unanswered (it fell behind) the commits are analysed here. None is started for a
short run (a nightly day: a process costs more than the few commits it would analyse) nor on a busy machine
(the load average leaves no core idle: a second process would only add its start and the commits' copies to
the work the cores share). The worker is a ``python -c`` that calls ``served.serve``, asked and answering in
pickles over its standard input and output (not ``multiprocessing``, whose children import the program's
main module).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dailydiff.analysis.heuristic.frames import write_message

if TYPE_CHECKING:
    from dailydiff.models import Analysis, Commit, Level, Score

log = logging.getLogger("dailydiff.analysis")

START_AT = 8  # the request that starts the worker (the ones before are analysed here)
# Requests the worker may have unanswered: beyond them, the next commit is analysed here. On a machine
# where the worker keeps up, it analyses every commit; where it falls behind (a busy core, its start), this
# process takes a share instead of leaving the day's last commits queued behind the worker's.
BACKLOG = 8
# An answer not come after this long: the worker is taken for stuck (a stopped process) and ended; its commits
# are analysed here.
SILENCE = 30.0
# The worker's program. Its packages (dailydiff.analysis, .heuristic) are entered without running their
# ``__init__``: the analysers' registry imports the store and the settings, which the rules do not need
# (a fifth of the worker's start).
_BOOT = """
import os, sys, types
import dailydiff
for name in ("dailydiff.analysis", "dailydiff.analysis.heuristic"):
    package = types.ModuleType(name)
    package.__path__ = [os.path.join(dailydiff.__path__[0], *name.split(".")[1:])]
    sys.modules[name] = package
from dailydiff.analysis.heuristic.served import serve
serve()
"""


class _Worker:
    """The worker process: requests written in order, answers read in order by one task."""

    def __init__(self, process: asyncio.subprocess.Process, silence: float = SILENCE) -> None:
        self.process = process
        self.silence = silence
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count()
        self.answers = asyncio.create_task(self._answers())

    @classmethod
    async def start(cls, silence: float = SILENCE) -> _Worker:
        # the worker imports this process's modules (a program may have put its own on sys.path)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _BOOT, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        return cls(process, silence)

    async def ask(self, *args: Any) -> Any:
        assert self.process.stdin is not None
        if self.answers.done() or self.process.stdin.is_closing():  # the worker ended: no answer would come
            raise EOFError("the worker ended")
        key = next(self.ids)
        answer = self.waiting[key] = asyncio.get_running_loop().create_future()
        # Not ``drain()``: the pipe empties only as fast as the worker reads, so every request waiting for it
        # would wait for the last one sent, and a backfill's days would all finish at the end instead of as
        # their commits' answers land. What the pipe's buffer holds (the commits sent and not yet read) the
        # engine holds anyway, until their analyses land.
        write_message(self.process.stdin, (key, args))
        try:
            return await asyncio.wait_for(answer, self.silence)
        except TimeoutError:  # stuck: ended, and every request it holds is analysed here
            log.debug("the rules worker answered nothing for %.0f s: ended", self.silence)
            self.process.kill()
            raise

    async def _answers(self) -> None:
        assert self.process.stdout is not None
        failure: BaseException = EOFError("the worker ended")
        try:
            while True:
                size = int.from_bytes(await self.process.stdout.readexactly(8), "big")
                key, result = pickle.loads(await self.process.stdout.readexactly(size))
                future = self.waiting.pop(key)
                if not future.done():
                    future.set_result(result)
        except (asyncio.IncompleteReadError, OSError, pickle.UnpicklingError) as exc:
            failure = exc
        finally:
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(failure)

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # the worker ends at the end of its input
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.answers.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.answers


def spare_core() -> bool:
    """Whether the machine has a core to spare: the last minute's load average leaves half a core idle (what
    the worker uses over a backfill's length) of those this process may use. On a busy machine a worker only
    adds its start (its imports) and the commits' copies to the work the cores share: the rules are then
    applied here."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # (not on every system)
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return cores >= 2 and load <= cores - 0.5


class RulesWorker:
    """One session's worker process, started at its ``START_AT``-th request when the machine has a core to
    spare (``when``), sent each later commit while it has fewer than ``backlog`` unanswered; ended when it
    answers nothing for ``silence`` seconds."""

    def __init__(
        self, when: Callable[[], bool] = spare_core, backlog: int = BACKLOG, silence: float = SILENCE
    ) -> None:
        self.when = when
        self.silence = silence
        self.backlog = backlog
        self.requests = 0
        self.analysed_there = 0  # commits the worker analysed
        self._worker: asyncio.Task[_Worker] | None = None
        self._broken = False

    async def analyse(self, commit: Commit, score: Score, depth: Level, language: str) -> Analysis | None:
        """The commit's analysis by the worker; None before ``START_AT`` requests, or when the worker
        failed: the caller analyses it."""
        self.requests += 1
        if self.requests < START_AT or self._broken:
            return None
        if self._worker is None:
            if not self.when():  # no core to spare: this run's commits are analysed here
                self._broken = True
                return None
            self._worker = asyncio.create_task(_Worker.start(self.silence))
        if not self._worker.done():  # still starting (its imports): this one is analysed here
            return None
        try:
            worker = self._worker.result()
            if len(worker.waiting) >= self.backlog:  # it is behind: this one is analysed here
                return None
            analysis: Analysis = await worker.ask(commit, score, depth, language)
        except Exception as exc:  # no processes here, or a worker killed: analysed here from now on
            log.debug("the rules applied in this process: %s", exc)
            self._broken = True
            return None
        self.analysed_there += 1
        return analysis

    async def started(self) -> bool:
        """Whether the worker is started (waiting for it if it is starting)."""
        if self._worker is None:
            return False
        with contextlib.suppress(Exception):
            await asyncio.shield(self._worker)
        return self._worker.done() and self._worker.exception() is None

    async def close(self) -> None:
        if self._worker is None:
            return
        task, self._worker = self._worker, None
        try:
            worker = await task
        except Exception:  # it never started: nothing to end
            return
        await worker.close()
