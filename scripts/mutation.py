"""Mutation testing of the core, on demand (`make mutation`, never in .ci/run).

Each module is mutated with mutmut in a copy of the checkout (the worktree is never touched) and
tested with its own fast unit tests only, one process at the lowest priority: the machine is shared.

    python3 scripts/mutation.py                 # every module below
    python3 scripts/mutation.py secrets budget  # some of them
    python3 scripts/mutation.py --survivors secrets   # and print each survivor's diff

A mutant counts as killed when a test fails (or it times out); a survivor, or a mutant no test reaches,
counts against the score. mutmut mutates inside functions only: scripts/table_mutation.py adds the
mutants of a module's tables and properties. Equivalent mutants — no behaviour can tell them from the
original — are listed in scripts/mutation_equivalent.txt by the hash of their diff (where they are, the
changed lines and their context), with the reason, and left out of both sides of the score. mutmut's
sequence numbers shift when a function changes; a hash does not name another mutant after an edit, it
stops matching: a listed hash that matches no survivor is reported, so the list is re-checked.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from table_mutation import diff_hash, run_regions

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90  # every module, its tables included (issue 47)


@dataclass(frozen=True)
class Target:
    """What one `make mutation` module mutates and tests it with."""

    files: tuple[str, ...]  # mutated by mutmut
    tests: tuple[
        str, ...
    ]  # its fast unit tests: files or test ids, then pytest options (a marker expression)
    only: tuple[str, ...] = ()  # mutant-name globs, when not every function of ``files`` is in the set
    # (module, regions) mutated by scripts/table_mutation.py: module-level tables and properties
    tables: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def test_args(self) -> list[str]:
        return list(self.tests)


_LEDGER_TESTS = (
    "tests/publish/test_ledger.py",
    "tests/store/test_store.py::test_a_takeover_fences_the_old_claims_writes_and_makes_its_delivery_claims_stale",
)
_LEDGER_FUNCTIONS = (
    *(f"dailydiff.store.ledger.xǁLedgerStoreǁ{name}__mutmut_*"
      for name in ("claim_delivery", "finish_delivery", "_finish_delivery", "delivery", "deliveries")),
    *(f"dailydiff.store.base.xǁStoreBaseǁ{name}__mutmut_*" for name in ("_tx", "_check_fence")),
)  # fmt: skip
# RULES: its operators only (its strings are the descriptions `report --explain` prints).
_RULES_TABLES = ("CONVENTIONAL_TYPES", "_TAG_TYPES", "_KEYWORDS", "HARDWARE_TAGS", "_LABEL_TYPES", "_TYPE_WEIGHTS",
                 "RULES:ops")  # fmt: skip
MODULES: dict[str, Target] = {
    "secrets": Target(
        ("src/dailydiff/common/secrets.py",),
        ("tests/common/test_secrets.py",),
        tables=(
            (
                "src/dailydiff/common/secrets.py",
                ("MASK", "_TOKEN_SHAPES", "_PATTERNS", "_STRONG_LENGTH", "_WORDLIKE"),
            ),
        ),
    ),
    "timewindow": Target(("src/dailydiff/common/timewindow.py",), ("tests/common/test_timewindow.py",)),
    "rules": Target(
        ("src/dailydiff/scoring/rules.py",),
        (
            "tests/scoring/test_scoring_tables.py",
            "tests/scoring/test_scoring_rules.py",
            "tests/scoring/test_scoring_points.py",
            "tests/scoring/test_change_types.py",
        ),
        tables=(("src/dailydiff/scoring/rules.py", _RULES_TABLES),),
    ),
    "budget": Target(("src/dailydiff/analysis/budget.py",), ("tests/analysis/test_budget.py",)),
    # The delivery path with the store's ledger (claims, finishes, fences) it stands on.
    "deliver": Target(
        ("src/dailydiff/engine/deliver.py", "src/dailydiff/store/ledger.py", "src/dailydiff/store/base.py"),
        (
            "tests/publish/test_deliver_units.py",
            "tests/publish/test_deliver.py",
            *_LEDGER_TESTS,
            "-m",
            "not slow",
        ),
        only=("dailydiff.engine.deliver.*", *_LEDGER_FUNCTIONS),
    ),
    # The gate with the arithmetic of its verdict (models.py: Gate is computed once and stored).
    "gate": Target(
        ("src/dailydiff/engine/stages.py", "src/dailydiff/models.py"),
        ("tests/engine/test_gate.py",),
        only=("dailydiff.engine.stages.*", "dailydiff.models.xǁDayReportǁfailure_gate__mutmut_*"),
        tables=(("src/dailydiff/models.py", ("Gate.ratio", "Gate.gated")),),
    ),
    # The alerts' ledger and fold (one target's pass) with the quiet hours they are judged by.
    "alerts": Target(
        ("src/dailydiff/engine/alerts.py", "src/dailydiff/scoring/alerting.py"),
        ("tests/engine/test_alerts_ledger.py", "tests/scoring/test_alerting.py"),
        only=(
            *(
                f"dailydiff.engine.alerts.{name}*"
                for name in (
                    "x_deliver_alerts",
                    "x__deliver_to",
                    "x__quiet_ended",
                    "x__fold",
                    "x__by_target",
                    "xǁ_Targetǁ",
                )
            ),
            *(
                f"dailydiff.scoring.alerting.{name}*"
                for name in ("x_quiet_window", "x_last_quiet_window", "x_quiet_hours")
            ),
        ),
    ),
    # `serve`'s push hooks: signatures, the body's limits and shape, the replay memory, what a failed pass owes.
    "hooks": Target(
        ("src/dailydiff/web/hooks.py",),
        ("tests/web/test_hooks_unit.py",),
        only=(
            "dailydiff.web.hooks.x__github_signed*",
            "dailydiff.web.hooks.x__gitlab_token*",
            "dailydiff.web.hooks.x__read_body*",
            "dailydiff.web.hooks.xǁHooksǁ_replayed*",
            "dailydiff.web.hooks.xǁHooksǁreceive*",
            "dailydiff.web.hooks.xǁHooksǁ_settle*",
        ),
    ),
    # A release's range: what `notes` and `run`'s tags resolve REF1..REF2, --since-tag and --unreleased to.
    "release_range": Target(
        ("src/dailydiff/engine/release.py",),
        ("tests/engine/test_release_range.py",),
        only=(
            "dailydiff.engine.release.x_resolve_range*",
            "dailydiff.engine.release.x__base_commit*",
            "dailydiff.engine.release.x__verify*",
            "dailydiff.engine.release.x__commits*",
        ),
    ),
}


def equivalents() -> dict[str, str]:
    """Diff hash -> where and why the mutant is equivalent, from scripts/mutation_equivalent.txt."""
    listed: dict[str, str] = {}
    for line in (ROOT / "scripts" / "mutation_equivalent.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, _, reason = line.partition(" ")
            listed[digest] = reason.strip()
    return listed


def copy_checkout(name: str) -> Path:
    """A copy of the checkout's src, tests and configuration to mutate (the worktree is never touched)."""
    work = Path(tempfile.mkdtemp(prefix=f"dailydiff-mutation-{name}-"))
    for part in ("src", "tests"):
        shutil.copytree(ROOT / part, work / part, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    return work


def run_module(name: str, show_survivors: bool, keep: bool = False) -> tuple[int, int]:
    target = MODULES[name]
    work = copy_checkout(name)
    try:
        config = (work / "pyproject.toml").read_text()
        config += (
            "\n[tool.mutmut]\n"
            'source_paths = ["src/"]\n'
            f"only_mutate = {list(target.files)!r}\n"
            f"pytest_add_cli_args_test_selection = {target.test_args!r}\n"
            'pytest_add_cli_args = ["-p", "no:randomly", "-p", "no:xdist", "-x", "-q"]\n'
        ).replace("'", '"')
        (work / "pyproject.toml").write_text(config)
        env = {**os.environ, "PYTHONPATH": str(work / "src"), "TERM": "dumb"}
        subprocess.run(
            ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", "1", *target.only],
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
        prefixes = ["dailydiff." + f.removeprefix("src/dailydiff/").removesuffix(".py").replace("/", ".") + "."
                    for f in target.files]  # fmt: skip
        status = {
            mutant: verdict
            for mutant, verdict in status.items()
            if mutant.startswith(tuple(prefixes))
            and (not target.only or any(fnmatch.fnmatch(mutant, glob) for glob in target.only))
        }
        listed = equivalents()
        found: set[str] = set()
        killed = total = 0
        for mutant, verdict in sorted(status.items()):
            if verdict in ("killed", "timeout"):
                killed += 1
                total += 1
                continue
            diff = subprocess.run(
                [sys.executable, "-m", "mutmut", "show", mutant],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
            digest = diff_hash(re.sub(r"__mutmut_\d+$", "", mutant), diff)
            if digest in listed:
                found.add(digest)
                continue
            total += 1
            print(f"  survivor {mutant} ({verdict}) {digest}")
            if show_survivors:
                print("    " + "\n    ".join(diff.splitlines()[2:]))
        for module, regions in target.tables:
            for table_mutant, dead in run_regions(work, module, list(regions), target.test_args):
                if table_mutant.hash in listed:
                    found.add(table_mutant.hash)
                    continue
                total += 1
                killed += dead
                if not dead:
                    print(f"  survivor {table_mutant.region} (table) {table_mutant.hash}")
                    if show_survivors:
                        print("    " + "\n    ".join(table_mutant.diff.splitlines()[2:]))
        ours = {d for d, why in listed.items() if why.split(" ", 1)[0].startswith(tuple(prefixes))}
        for stale in sorted(ours - found):
            print(f"  listed equivalent {stale} ({listed[stale].split(' ', 1)[0]}) matches no survivor: "
                  "killed now, or its code changed; re-check the list")  # fmt: skip
        print(
            f"{name}: {killed}/{total} killed ({killed / max(total, 1):.1%}), {len(found)} equivalent "
            f"excluded, {', '.join(target.files)}"
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
