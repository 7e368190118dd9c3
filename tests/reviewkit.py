"""Helpers shared by the review regression tests: the CLI (in-process, or as a real process where the
process is the point) and the one-line error check."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from clirun import dailydiff

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
DAY = dt.datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # 2026-03-03 12:00 in Asia/Shanghai


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return dailydiff(*args, cwd=cwd, env=env)


def run_process(
    *args: str, env: dict[str, str] | None = None, stdout: Any = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """``python -m dailydiff ARGS``: for what only a real process shows (its own stdout file, a full disk)."""
    full_env = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT / "src")}
    full_env.pop("DAILYDIFF_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "dailydiff", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env=full_env, timeout=120, check=False)  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dailydiff: error: ") and " — " in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
