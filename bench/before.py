"""A git ref's tree beside this one, for the benchmarks that time ``--before REF`` side by side."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def tree_of(ref: str, where: Path) -> Iterator[Path]:
    """The ``src`` directory of ``ref`` checked out in a temporary worktree at ``where`` (removed after)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(where), ref], check=True)
    try:
        yield where / "src"
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)
