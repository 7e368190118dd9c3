"""Running a coroutine from synchronous code: the one place that knows how."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a new event loop and return its result. From a thread that already runs a loop
    (an ASGI app, a notebook, Playwright's sync API in tests) it runs on a worker thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


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
