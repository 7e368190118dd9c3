"""How a benchmark exits: 0 when its results are right and within its time targets, 3 when they are right
but a time target was missed (a loaded or small machine), 1 when something is wrong (a failed analysis, an
exit code, a crash). The smoke test (tests/project/test_bench_smoke.py) accepts 0 and 3, never 1."""

from __future__ import annotations

MISSED_TIME_TARGET = 3


def verdict(ok: bool, fast: bool) -> int:
    if not ok:
        return 1
    return 0 if fast else MISSED_TIME_TARGET
