"""Run every benchmark in bench/ one after another and print their results (`make bench`).
Pass a repository path to point the git backfill at a real clone: `python3 bench/run.py /path/to/clone`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name in {"run.py", "verdict.py", "__init__.py"}:
            continue
        args = sys.argv[1:] if script.name == "git_backfill.py" else []
        print(f"== {script.name}", flush=True)
        failures += subprocess.run([sys.executable, str(script), *args]).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
