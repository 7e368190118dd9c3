"""Bodies and patches read on the machine's other core while the rules work on this one.

Reading a body as Markdown (``body.py``) is the rules' largest cost, about 4 ms a commit; scanning the
patches for definitions (``symbols.py``) the second. A session asked for many commits (a backfill, a first
run) starts one worker process at its ``START_AT``-th request and sends it each later commit's bodies and
patches; the commit's analysis waits for what was read there, while the event loop goes on reading git,
storing and building days. The worker runs ``body.read_blocks`` and ``symbols.scan``, the functions the rules
run here, so the analyses are the same; a worker that fails or cannot start leaves the reading to this
process. A short run (a nightly day) never starts it: a process costs more than the few commits it would
read. The worker is ``python -m dailydiff.analysis.heuristic.reader``, asked and answering in pickles over
its standard input and output (not ``multiprocessing``, whose children import the program's main module).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from dailydiff.analysis.heuristic.body import Blocks, prime_blocks, read_blocks
from dailydiff.analysis.heuristic.symbols import Definitions, scan
from dailydiff.analysis.heuristic.symbols import primed as primed_definitions

if TYPE_CHECKING:
    from dailydiff.models import Commit

log = logging.getLogger("dailydiff.analysis")

START_AT = 8  # the request that starts the worker (the ones before are read here)


def _bodies(commit: Commit) -> list[str]:
    """The bodies the rules may read for ``commit``: its own, and its pull request's."""
    return [b for b in (commit.body, commit.pr.body if commit.pr is not None else "") if b.strip()]


def _patches(commit: Commit) -> list[str]:
    """The patches the rules scan for definitions (those of generated files are not read)."""
    return list(dict.fromkeys(f.patch for f in commit.files if f.patch and not f.generated))


def _read_all(bodies: list[str], title: str, patches: list[str]) -> tuple[list[Blocks], list[Definitions]]:
    """(In the worker.) Each body's blocks, as ``body_gist`` reads them; each patch's definitions."""
    return [read_blocks(body, title) for body in bodies], [scan(patch) for patch in patches]


class Read(NamedTuple):
    """What the worker read of one commit (nothing, when it read nothing)."""

    blocks: list[tuple[str, Blocks]]
    definitions: list[tuple[str, Definitions]]


class _Worker:
    """The worker process: requests written in order, answers read in order by one task."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count()
        self.answers = asyncio.create_task(self._answers())

    @classmethod
    async def start(cls) -> _Worker:
        # the worker imports this process's modules (a program may have put its own on sys.path)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        return cls(process)

    async def ask(self, *args: Any) -> Any:
        assert self.process.stdin is not None
        key = next(self.ids)
        answer = self.waiting[key] = asyncio.get_running_loop().create_future()
        _write(self.process.stdin, (key, args))
        await self.process.stdin.drain()
        return await answer

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


def _write(stream: Any, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "big") + data)


class BodyReader:
    """One session's worker process, started at its ``START_AT``-th request."""

    def __init__(self) -> None:
        self.requests = 0
        self.read_there = 0  # commits the worker read
        self._worker: asyncio.Task[_Worker] | None = None
        self._broken = False

    async def read(self, commit: Commit) -> Read:
        """The commit's bodies and patches, read by the worker (nothing before ``START_AT`` requests, or
        when the worker failed: the rules read them themselves)."""
        self.requests += 1
        bodies, patches = _bodies(commit), _patches(commit)
        if self.requests < START_AT or self._broken or not (bodies or patches):
            return Read([], [])
        if self._worker is None:
            self._worker = asyncio.create_task(_Worker.start())
        try:
            worker = await asyncio.shield(self._worker)
            blocks, found = await worker.ask(bodies, commit.title, patches)
        except Exception as exc:  # no processes here, or a worker killed: read in this process from now on
            log.debug("bodies and patches read in this process: %s", exc)
            self._broken = True
            return Read([], [])
        self.read_there += 1
        return Read(list(zip(bodies, blocks, strict=True)), list(zip(patches, found, strict=True)))

    @contextmanager
    def primed(self, commit: Commit, read: Read) -> Iterator[None]:
        """While in it, what the worker read of ``commit`` is what ``body_gist`` and ``definitions`` use."""
        with prime_blocks(commit.title, read.blocks), primed_definitions(read.definitions):
            yield

    async def close(self) -> None:
        if self._worker is None:
            return
        task, self._worker = self._worker, None
        try:
            worker = await task
        except Exception:  # it never started: nothing to end
            return
        await worker.close()


def _serve() -> None:
    """The worker: each request (an id and ``_read_all``'s arguments) answered in order, until its input
    ends."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.read(8):
        key, args = pickle.loads(stdin.read(int.from_bytes(header, "big")))
        _write(stdout, (key, _read_all(*args)))
        stdout.flush()


if __name__ == "__main__":
    _serve()
