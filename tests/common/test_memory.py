"""Memory a stretch of work freed goes back to the system (common/memory.py), measured in a process of its own:
what glibc keeps after a worker thread frees a few hundred MB, and what is left after the release."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROGRAM = """
import os, threading
from dailydiff.common.memory import release_free_memory

def resident_mb():
    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') // 2**20

def work():  # a stretch of patches read on a worker thread (its own malloc arena), then let go
    held = [bytes(2000) for _ in range(100_000)]
    global survivors
    survivors = held[::50]

thread = threading.Thread(target=work)
thread.start()
thread.join()
before = resident_mb()
release_free_memory()
print(before, resident_mb())
"""


def test_freed_memory_goes_back_to_the_system() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True, env=env
    ).stdout
    before, after = map(int, out.split())
    assert before > 150  # glibc kept the freed ~200 MB
    assert after < before / 2, (before, after)
