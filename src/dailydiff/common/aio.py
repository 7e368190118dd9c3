"""Running a coroutine from synchronous code: the one place that knows how."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a new event loop and return its result. From a thread that already runs a loop
    (an ASGI app, a notebook, Playwright's sync API in tests) it runs on a worker thread of its own. On the
    main thread, ``stop_main_run`` stops it as Ctrl-C does: KeyboardInterrupt once its task is cancelled."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if threading.current_thread() is threading.main_thread():
            return _run_main(coroutine)
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# While run_sync runs a coroutine on the main thread: how to ask its task to stop (the innermost run last).
_MAIN_RUNS: list[Callable[[], None]] = []


def stop_main_run() -> bool:
    """Ask the coroutine ``run_sync`` runs on the main thread to stop, as Ctrl-C does; False when none runs.
    Safe in a signal handler: its task is cancelled by its own loop (``call_soon_threadsafe``), at an await.
    An exception raised from the handler instead lands wherever the main thread is — inside a lock, the
    loop's own code, or a finaliser that drops it (the stop is then lost) — and asyncio installs its own
    Ctrl-C handler, which does this, only when SIGINT is not ignored (a process started in the background)."""
    if not _MAIN_RUNS:
        return False
    _MAIN_RUNS[-1]()
    return True


def _run_main(coroutine: Coroutine[Any, Any, T]) -> T:
    asked: list[bool] = []

    async def main() -> T:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None

        def stop() -> None:
            asked.append(True)
            loop.call_soon_threadsafe(task.cancel)

        _MAIN_RUNS.append(stop)
        try:
            return await coroutine
        finally:
            _MAIN_RUNS.remove(stop)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if asked:  # stopped as asyncio's own Ctrl-C handler stops a run: KeyboardInterrupt
            raise KeyboardInterrupt from None
        raise


class OffLoop:
    """Blocking calls (a store's statements) awaited on one thread of their own, in the order they are
    asked, so the event loop goes on with other work while the database answers. The caller's context goes
    with each call (a shared plan's fencing token is a context variable). ``close`` waits for the calls
    already asked."""

    def __init__(self, name: str = "dailydiff-store") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def __call__(self, function: Callable[..., T], *args: Any) -> T:
        call = functools.partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


async def inline(function: Callable[..., T], *args: Any) -> T:
    """``OffLoop``'s shape, on the loop itself (a caller without a thread for its store)."""
    return function(*args)
