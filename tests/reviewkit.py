"""Helpers shared by the review regression tests: the CLI as a subprocess and the one-line error check."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
DAY = dt.datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # 2026-03-03 12:00 in Asia/Shanghai


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DAILYDIFF_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "dailydiff", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dailydiff: error: ") and " — " in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
