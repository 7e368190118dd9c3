"""A long run's rules applied on the machine's other core while this one reads git, stores and renders.

The rules cost 2-7 ms a commit (reading a body as Markdown most of it, then scanning the patches for
definitions): a quarter of a second or more of a month of a busy repository, in the process that also parses
git's output, stores the commits and the reports and renders the days. A session asked for many commits (a
backfill, a first run) starts one worker process at its ``START_AT``-th request and sends it each later
commit (pickled: a few milliseconds for a month's patches); the commit's analysis waits for the worker's
answer, while the event loop goes on reading git, storing and building days. The worker runs the same
analyser on the same commit, so the analyses are the same; beside each it answers the index terms of the
texts the store will index for the commit (served.py ``answer``), which the index then takes instead of
working them out in this process; a worker that fails, cannot start or stops
answering (``SILENCE``) leaves the analyses to this process, and while it starts (its imports) or while it
has ``BACKLOG`` commits unanswered (it fell behind) the commits are analysed here. None is started for a
short run (a nightly day: a process costs more than the few commits it would analyse) nor on a busy machine
(the load average leaves no core idle: a second process would only add its start and the commits' copies to
the work the cores share). The worker is a ``python -c`` that calls ``served.serve``, asked and answering in
pickles over its standard input and output (not ``multiprocessing``, whose children import the program's
main module). Its requests are written and its answers read by two threads of this process, not by the
event loop, which is busy with everything else of the run: the worker is never kept waiting for a request,
and an answer counts the moment it is written. A `report` of a long window starts the worker's process as the
command loads (common/rulesprocess.py ``start_early``), beside its imports and git's first questions, and the
worker applies the rules once to a sample commit while it waits (served.py ``warm``): the run's session
takes it and sends it commits from the first one on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import pickle
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from dailydiff.analysis.heuristic.frames import frame
from dailydiff.common.rulesprocess import RulesProcess, spare_core, take_early
from dailydiff.common.searchterms import seed_index_terms

if TYPE_CHECKING:
    from dailydiff.models import Analysis, Commit, Level, Score

log = logging.getLogger("dailydiff.analysis")

START_AT = 8  # the request that starts the worker (the ones before are analysed here)
# Requests the worker may have unanswered: beyond them, the next commit is analysed here. On a machine
# where the worker keeps up, it analyses every commit; where it falls behind (a busy core), this process
# takes a share instead of leaving the day's last commits queued behind the worker's. Not fewer: git hands
# the first days over in a burst, faster than the worker answers, and this process is the run's slower side
# (it also parses, stores, indexes and renders); a commit analysed here costs it the rules' time, and the
# first one its imports (markdown-it) and the rules' patterns as well. With 8, a month of flashinfer analysed
# a burst of about fifteen here and took 6% longer (bench/git_backfill.py).
BACKLOG = 64
# An answer not come after this long: the worker is taken for stuck (a stopped process) and ended; its commits
# are analysed here.
SILENCE = 30.0


class _Worker:
    """The worker process, with a thread that writes the requests in order and one that reads the answers in
    order. Neither waits for the event loop: a request goes on the pipe as soon as the worker can read it,
    and an answer is taken the moment the worker writes it, also while the loop is busy (parsing, storing,
    rendering, or applying the rules itself). So the requests unanswered (``waiting``) are the ones the
    worker has not answered yet, not the ones the loop has not handled yet."""

    def __init__(self, process: RulesProcess, silence: float = SILENCE) -> None:
        self.process = process
        self.silence = silence
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count()
        self.ended = False
        self._loop = asyncio.get_running_loop()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._requests, name="rules worker requests", daemon=True),
            threading.Thread(target=self._answers, name="rules worker answers", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @classmethod
    async def start(cls, silence: float = SILENCE) -> _Worker:
        return cls(RulesProcess.spawn(), silence)

    @classmethod
    async def start_from(cls, process: RulesProcess, silence: float = SILENCE) -> _Worker:
        return cls(process, silence)

    async def ask(self, *args: Any) -> Any:
        if self.ended:  # the worker ended: no answer would come
            raise EOFError("the worker ended")
        key = next(self.ids)
        answer = self.waiting[key] = self._loop.create_future()
        if self.ended:  # (it ended between the look above and now: its reader failed the others already)
            self.waiting.pop(key, None)
            raise EOFError("the worker ended")
        self._outbox.put(frame((key, args)))
        try:
            return await asyncio.wait_for(answer, self.silence)
        except TimeoutError:  # stuck: ended, and every request it holds is analysed here
            log.debug("the rules worker answered nothing for %.0f s: ended", self.silence)
            self.process.kill()
            raise

    def _requests(self) -> None:
        """(The writer thread.) Each request on the pipe, in order; the pipe closed at the end (``close``:
        the worker ends at the end of its input) or when the worker is gone."""
        stdin = self.process.popen.stdin
        assert stdin is not None
        with contextlib.suppress(OSError, ValueError):
            while (data := self._outbox.get()) is not None:
                stdin.write(data)
                stdin.flush()
        with contextlib.suppress(OSError, ValueError):
            stdin.close()

    def _answers(self) -> None:
        """(The reader thread.) Each answer off the pipe, its request no longer waiting, its future resolved on
        the loop; at the worker's end, every request still waiting fails."""
        stdout = self.process.popen.stdout
        assert stdout is not None
        failure: BaseException = EOFError("the worker ended")
        try:
            while len(header := stdout.read(8)) == 8:
                key, result = pickle.loads(stdout.read(int.from_bytes(header, "big")))
                future = self.waiting.pop(key)
                self._loop.call_soon_threadsafe(_settle, future, result, None)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            failure = exc
        finally:
            self.ended = True
            self._outbox.put(None)  # the writer stops too
            while self.waiting:
                _, future = self.waiting.popitem()
                with contextlib.suppress(RuntimeError):  # (the loop is closed: nobody waits)
                    self._loop.call_soon_threadsafe(_settle, future, None, failure)

    async def close(self) -> None:
        self._outbox.put(None)  # the worker ends at the end of its input
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        for thread in self._threads:  # (their pipes ended with the process)
            await asyncio.to_thread(thread.join)
        if self.process.popen.stdout is not None:
            self.process.popen.stdout.close()


def _settle(future: asyncio.Future[Any], result: Any, failure: BaseException | None) -> None:
    if not future.done():
        if failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(result)


class RulesWorker:
    """One session's worker process: the one started as the command loaded, if any (sent every commit from the
    first), else one started at the session's ``START_AT``-th request when the machine has a core to spare
    (``when``); sent each commit while it has fewer than ``backlog`` unanswered; ended when it answers nothing
    for ``silence`` seconds."""

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
        self._adopt()

    def _adopt(self) -> None:
        """A worker started as the command loaded (``start_early``) is taken now, before the first commit
        comes: it is sent commits from the first on."""
        with contextlib.suppress(RuntimeError):  # (made outside a running loop: taken at the first request)
            asyncio.get_running_loop()
            early = take_early()
            if early is not None:
                self._worker = asyncio.create_task(_Worker.start_from(early, self.silence))

    async def analyse(self, commit: Commit, score: Score, depth: Level, language: str) -> Analysis | None:
        """The commit's analysis by the worker; None while there is none yet (before ``START_AT`` requests,
        while it starts), when it is behind or when it failed: the caller analyses it."""
        self.requests += 1
        if self._broken:
            return None
        if self._worker is None:
            self._adopt()
        if self._worker is None:
            if self.requests < START_AT:
                return None
            if not self.when():  # no core to spare: this run's commits are analysed here
                self._broken = True
                return None
            self._worker = asyncio.create_task(_Worker.start(self.silence))
        if not self._worker.done():  # still starting: this one is analysed here
            return None
        try:
            worker = self._worker.result()
            if len(worker.waiting) >= self.backlog:  # it is behind: this one is analysed here
                return None
            analysis, seeds = await worker.ask(commit, score, depth, language)
        except Exception as exc:  # no processes here, or a worker killed: analysed here from now on
            log.debug("the rules applied in this process: %s", exc)
            self._broken = True
            return None
        self.analysed_there += 1
        seed_index_terms(seeds)  # the commit's index terms, worked out there beside its analysis
        return cast("Analysis", analysis)

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
        log.debug(
            "the rules worker analysed %d of the session's %d commits", self.analysed_there, self.requests
        )
