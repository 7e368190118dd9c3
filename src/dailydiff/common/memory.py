"""Memory the process has freed, given back to the system.

glibc keeps the memory a program frees for its next allocations, per thread arena: after a long range's
stretch of days (a month of patches read on worker threads) the resident size stays at that stretch's peak,
and each later stretch that lands in another arena adds its own. ``malloc_trim`` returns the free pages of
every arena. Elsewhere (musl, macOS) there is nothing to call: a no-op.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _trim() -> Callable[[int], int] | None:
    # The process's own symbols (dlopen(NULL)) hold the C library it runs on: no search for a file by name
    # (``ctypes.util.find_library`` runs ``ldconfig -p`` in a subprocess, 5 ms) and no second copy of it.
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    return trim if callable(trim) else None


def release_free_memory() -> None:
    """Give the memory freed so far back to the system (glibc); nothing elsewhere."""
    trim = _trim()
    if trim is not None:
        trim(0)
