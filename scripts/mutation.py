"""Mutation testing of the core, on demand (`make mutation`, never in .ci/run).

Each module is mutated with mutmut in a copy of the checkout (the worktree is never touched) and
tested with its own fast unit tests only, one process at the lowest priority: the machine is shared.

    python3 scripts/mutation.py                 # every module below
    python3 scripts/mutation.py secrets budget  # some of them
    python3 scripts/mutation.py --survivors secrets   # and print each survivor's diff

A mutant counts as killed when a test fails (or it times out); a survivor, or a mutant no test reaches,
counts against the score. Equivalent mutants — no behaviour can tell them from the original — are
named in scripts/mutation_equivalent.txt with the reason, and left out of both sides of the score.
Mutant names shift when a module's functions change: a listed name that no longer exists is reported,
so the list is re-checked rather than trusted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.85

# name -> (module file, its fast unit tests: files, then pytest options such as a marker expression)
MODULES: dict[str, tuple[str, list[str]]] = {
    "secrets": ("src/dailydiff/common/secrets.py", ["tests/test_secrets.py"]),
    "timewindow": ("src/dailydiff/common/timewindow.py", ["tests/test_timewindow.py"]),
    "rules": (
        "src/dailydiff/scoring/rules.py",
        ["tests/test_scoring_rules.py", "tests/test_scoring_points.py", "tests/test_change_types.py"],
    ),
    "budget": ("src/dailydiff/analysis/budget.py", ["tests/test_budget.py"]),
    "deliver": (
        "src/dailydiff/engine/deliver.py",
        ["tests/test_deliver_units.py", "tests/test_deliver.py", "-m", "not slow"],
    ),
    "gate": ("src/dailydiff/engine/stages.py", ["tests/test_gate.py"]),
}


def equivalents() -> dict[str, str]:
    """Mutant name -> why it is equivalent, from scripts/mutation_equivalent.txt."""
    listed: dict[str, str] = {}
    for line in (ROOT / "scripts" / "mutation_equivalent.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            listed[name] = reason.strip()
    return listed


def run_module(name: str, show_survivors: bool, keep: bool = False) -> tuple[int, int]:
    module, tests = MODULES[name]
    work = Path(tempfile.mkdtemp(prefix=f"dailydiff-mutation-{name}-"))
    try:
        for part in ("src", "tests"):
            shutil.copytree(
                ROOT / part, work / part, ignore=shutil.ignore_patterns("__pycache__", "artifacts")
            )
        config = (ROOT / "pyproject.toml").read_text()
        config += (
            "\n[tool.mutmut]\n"
            'source_paths = ["src/"]\n'
            f'only_mutate = ["{module}"]\n'
            f"pytest_add_cli_args_test_selection = {tests!r}\n"
            'pytest_add_cli_args = ["-p", "no:randomly", "-p", "no:xdist", "-x", "-q"]\n'
        ).replace("'", '"')
        (work / "pyproject.toml").write_text(config)
        env = {**os.environ, "PYTHONPATH": str(work / "src"), "TERM": "dumb"}
        subprocess.run(
            ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", "1"],
            cwd=work,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        listing = subprocess.run(
            [sys.executable, "-m", "mutmut", "results", "--all", "true"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        status = dict(re.findall(r"^\s*(\S+): (.+)$", listing, flags=re.M))
        prefix = (
            "dailydiff." + module.removeprefix("src/dailydiff/").removesuffix(".py").replace("/", ".") + "."
        )
        status = {mutant: verdict for mutant, verdict in status.items() if mutant.startswith(prefix)}
        equivalent = {m: why for m, why in equivalents().items() if m.startswith(prefix)}
        for stale in sorted(set(equivalent) - set(status)):
            print(f"  {name}: listed equivalent {stale} no longer exists; re-check the list")
        counted = {m: v for m, v in status.items() if m not in equivalent}
        killed = sum(v in ("killed", "timeout") for v in counted.values())
        survivors = sorted(m for m, v in counted.items() if v not in ("killed", "timeout"))
        for mutant in survivors:
            print(f"  survivor {mutant} ({counted[mutant]})")
            if show_survivors:
                diff = subprocess.run(
                    [sys.executable, "-m", "mutmut", "show", mutant],
                    cwd=work,
                    env=env,
                    capture_output=True,
                    text=True,
                ).stdout
                print("    " + "\n    ".join(diff.splitlines()[2:]))
        total = len(counted)
        print(
            f"{name}: {killed}/{total} killed ({killed / max(total, 1):.0%}), "
            f"{len(equivalent) - len(set(equivalent) - set(status))} equivalent excluded, {module}"
        )
        return killed, total
    finally:
        if keep:
            print(f"  kept {work} (`mutmut show NAME` there)")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"some of: {', '.join(MODULES)}")
    parser.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    parser.add_argument("--keep", action="store_true", help="keep the mutated copy (to `mutmut show` there)")
    args = parser.parse_args()
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown module(s) {', '.join(sorted(unknown))}; choose from {', '.join(MODULES)}")
    below = []
    for name in args.modules or list(MODULES):
        killed, total = run_module(name, args.survivors, args.keep)
        if total and killed / total < TARGET:
            below.append(name)
    if below:
        print(f"below {TARGET:.0%} killed: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
