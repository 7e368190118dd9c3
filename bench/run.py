"""Run every benchmark in bench/ one after another and print their results (`make bench`); exit as one
benchmark does (bench/verdict.py): 1 if any was wrong, else 3 if any missed a time target, else 0.
Pass a repository path to point the git backfill at a real clone: `python3 bench/run.py /path/to/clone`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from verdict import MISSED_TIME_TARGET

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures: list[str] = []
    slow: list[str] = []
    for script in sorted(HERE.glob("*.py")):
        if script.name in {"run.py", "verdict.py", "__init__.py"}:
            continue
        args = sys.argv[1:] if script.name == "git_backfill.py" else []
        print(f"== {script.name}", flush=True)
        code = subprocess.run([sys.executable, str(script), *args]).returncode
        if code == MISSED_TIME_TARGET:
            slow.append(script.name)
        elif code != 0:
            failures.append(script.name)
    if slow:
        print(f"== right but over a time target (a loaded or small machine?): {', '.join(slow)}")
    if failures:
        print(f"== wrong or crashed: {', '.join(failures)}")
    return 1 if failures else MISSED_TIME_TARGET if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
