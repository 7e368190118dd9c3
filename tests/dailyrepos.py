"""Git repositories with a few commits on each of many days, written in one `git fast-import` each (fast
enough for 20 repositories × 30 days). Used by the shared-store tests and bench/store_workers.py."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

KINDS = [
    ("feat", "python/pkg/core/engine_{n}.py", "def step_{n}(x):\n    return x * {n}\n"),
    ("fix", "python/pkg/layers/attention.py", "def attend(q, k, v):\n    return q + k + v + {n}\n"),
    ("docs", "docs/guide_{n}.md", "# Guide {n}\n\nHow to use step {n}.\n"),
    ("test", "test/test_engine_{n}.py", "def test_step_{n}():\n    assert True\n"),
    ("perf", "python/pkg/kernels/fused.py", "def fused(x):\n    return x  # variant {n}\n"),
    ("ci", ".github/workflows/ci_{n}.yml", "name: ci {n}\non: push\n"),
]


def build_daily_repo(path: Path, first: dt.date, days: int, per_day: int = 3) -> int:
    """A repository with ``per_day`` commits on each of ``days`` days from ``first`` (09:00-17:00 UTC).
    Returns the number of commits."""
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    stream: list[bytes] = []
    mark = 0
    for day in range(days):
        date = first + dt.timedelta(days=day)
        for i in range(per_day):
            n = day * per_day + i
            kind, file, content = KINDS[n % len(KINDS)]
            moment = dt.datetime.combine(date, dt.time(9 + (8 * i) // per_day, 7 * i % 60), dt.UTC)
            stamp = f"{int(moment.timestamp())} +0000"
            message = f"{kind}: change {n} of {path.name}\n\nBody of change {n}.\n".encode()
            data = content.format(n=n).encode()
            mark += 1
            stream += [
                b"commit refs/heads/main\n",
                f"mark :{mark}\n".encode(),
                f"author Ada <ada@example.com> {stamp}\n".encode(),
                f"committer Ada <ada@example.com> {stamp}\n".encode(),
                f"data {len(message)}\n".encode(),
                message,
                *([f"from :{mark - 1}\n".encode()] if mark > 1 else []),
                f"M 100644 inline {file.format(n=n)}\n".encode(),
                f"data {len(data)}\n".encode(),
                data,
                b"\n",
            ]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True, env=env)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True, env=env, capture_output=True)
    return mark
