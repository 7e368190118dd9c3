"""Mutants where mutmut makes none: module-level tables and properties (mutmut mutates inside plain
functions only). Used by scripts/mutation.py beside mutmut, and on its own:

    python3 scripts/table_mutation.py rules        # the tables of one of scripts/mutation.py's modules
    python3 scripts/table_mutation.py --list rules # the mutants, without running anything

A region is a module-level name (``CONVENTIONAL_TYPES``: the value assigned to it) or a function or
property (``Gate.ratio``: its body); ``NAME:ops`` leaves its strings alone (a table of descriptions). In a region each of these is one mutant: a string wrapped in "XX"
(a table's key or value that no longer matches), a boolean flipped, a number plus one, a comparison
swapped (``>`` and ``>=``, ``<`` and ``<=``, ``==`` and ``!=``, ``in`` and ``not in``), an arithmetic
operator swapped (``+``/``-``, ``*``/``/``), ``and``/``or`` swapped, a ``not`` dropped. Each mutant is
tested by its module's fast tests in a copy of the checkout, one process at the lowest priority; a test
failing (or a timeout) kills it. Its name is its region and the hash of its diff: an equivalent mutant is
listed by that hash in scripts/mutation_equivalent.txt, and an edit of the line makes the entry stale
instead of re-labelling another mutant.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    region: str
    start: int  # byte offsets in the module's source
    end: int
    replacement: str
    diff: str = ""

    @property
    def hash(self) -> str:
        return diff_hash(self.region, self.diff)

    @property
    def name(self) -> str:
        return f"{self.region}@{self.hash}"


def diff_hash(where: str, diff: str) -> str:
    """What names a mutant across edits elsewhere: where it is and its diff (the +/- lines and their
    context, no line numbers). scripts/mutation.py hashes mutmut's mutants the same way."""
    body = "\n".join(line for line in diff.splitlines() if not line.startswith(("@@", "---", "+++", "#")))
    return hashlib.sha256(f"{where}\n{body}".encode()).hexdigest()[:16]


def _regions(tree: ast.Module, names: list[str]) -> Iterator[tuple[str, ast.AST]]:
    wanted = set(names)
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in wanted:
                    wanted.discard(target.id)
                    yield target.id, node.value
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                qualified = f"{node.name}.{getattr(item, 'name', '')}"
                if isinstance(item, ast.FunctionDef) and qualified in wanted:
                    wanted.discard(qualified)
                    body = item.body[1:] if ast.get_docstring(item) else item.body
                    for statement in body:
                        yield qualified, statement
        elif isinstance(node, ast.FunctionDef) and node.name in wanted:
            wanted.discard(node.name)
            yield node.name, node
    if wanted:
        raise SystemExit(f"no module-level table, function or property named {', '.join(sorted(wanted))}")


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    return isinstance(parents.get(node), ast.Expr)


def dotted(module: str) -> str:
    """src/dailydiff/scoring/rules.py -> dailydiff.scoring.rules"""
    return module.removeprefix("src/").removesuffix(".py").replace("/", ".")


def mutants(source: str, names: list[str], prefix: str = "") -> list[Mutant]:
    """Every mutant of the regions ``names`` of a module's ``source`` (named ``prefix.region``)."""
    data = source.encode()
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def span(node: ast.AST) -> tuple[int, int]:
        return (starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset)  # type: ignore[attr-defined]

    found: list[Mutant] = []
    tree = ast.parse(source)
    operators_only = {name.removesuffix(":ops") for name in names if name.endswith(":ops")}
    for region, root in _regions(tree, [name.removesuffix(":ops") for name in names]):
        parents = {child: parent for parent in ast.walk(root) for child in ast.iter_child_nodes(parent)}
        for node in ast.walk(root):
            replacements: list[str] = []
            if isinstance(node, ast.Constant) and not isinstance(parents.get(node), ast.JoinedStr):
                if isinstance(node.value, bool):
                    replacements.append(repr(not node.value))
                elif isinstance(node.value, int | float):
                    replacements.append(repr(node.value + 1))
                elif (
                    isinstance(node.value, str)
                    and region not in operators_only
                    and not _is_docstring(node, parents)
                ):
                    replacements.append(repr(f"XX{node.value}XX"))
            elif isinstance(node, ast.Compare):
                for i, op in enumerate(node.ops):
                    swap = _COMPARE_SWAPS.get(type(op))
                    if swap is not None:
                        ops = [*node.ops[:i], swap(), *node.ops[i + 1 :]]
                        replacements.append(ast.unparse(ast.Compare(node.left, ops, node.comparators)))
            elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
                replacements.append(
                    ast.unparse(ast.BinOp(node.left, _BINOP_SWAPS[type(node.op)](), node.right))
                )
            elif isinstance(node, ast.BoolOp):
                other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
                replacements.append(ast.unparse(ast.BoolOp(other, node.values)))
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                replacements.append(ast.unparse(node.operand))
            for replacement in replacements:
                if isinstance(node, ast.BinOp | ast.BoolOp | ast.Compare) and replacement[:1] != "(":
                    replacement = f"({replacement})"
                start, end = span(node)
                found.append(Mutant(f"{prefix}.{region}" if prefix else region, start, end, replacement))
    original = source.splitlines(keepends=True)
    with_diffs = []
    for mutant in found:
        changed = apply(source, mutant).splitlines(keepends=True)
        diff = "".join(difflib.unified_diff(original, changed, n=1, lineterm="\n"))
        with_diffs.append(Mutant(mutant.region, mutant.start, mutant.end, mutant.replacement, diff))
    return with_diffs


def apply(source: str, mutant: Mutant) -> str:
    data = source.encode()
    return (data[: mutant.start] + mutant.replacement.encode() + data[mutant.end :]).decode()


def run_tests(work: Path, tests: list[str], timeout: float) -> bool | None:
    """True when the tests pass, False when one fails, None on a timeout (counted as killed)."""
    env = {**os.environ, "PYTHONPATH": str(work / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    command = ["nice", "-n", "19", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly",
               "-p", "no:xdist", "-p", "no:cacheprovider", *tests]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    return done.returncode == 0


def run_regions(work: Path, module: str, regions: list[str], tests: list[str]) -> list[tuple[Mutant, bool]]:
    """Each mutant of ``module``'s ``regions`` in the checkout copy ``work``: (mutant, killed)."""
    path = work / module
    source = path.read_text(encoding="utf-8")
    started = time.monotonic()
    if not run_tests(work, tests, timeout=600):
        raise SystemExit(f"the tests of {module} fail before any mutation: {' '.join(tests)}")
    timeout = max(60.0, 10 * (time.monotonic() - started))
    results = []
    try:
        for mutant in mutants(source, regions, dotted(module)):
            path.write_text(apply(source, mutant), encoding="utf-8")
            results.append((mutant, run_tests(work, tests, timeout) is not True))
    finally:
        path.write_text(source, encoding="utf-8")
    return results


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from mutation import MODULES, ROOT, copy_checkout, equivalents

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    with_tables = [name for name, target in MODULES.items() if target.tables]
    parser.add_argument("module", choices=with_tables)
    parser.add_argument("--list", action="store_true", help="print the mutants and their hashes only")
    args = parser.parse_args()
    target = MODULES[args.module]
    if args.list:
        for module, regions in target.tables:
            for mutant in mutants((ROOT / module).read_text(encoding="utf-8"), list(regions), dotted(module)):
                print(f"{mutant.name}\n{mutant.diff}")
        return 0
    work = copy_checkout(args.module)
    listed = equivalents()
    killed = total = 0
    try:
        for module, regions in target.tables:
            for mutant, dead in run_regions(work, module, list(regions), target.test_args):
                if mutant.hash in listed:
                    continue
                total += 1
                killed += dead
                if not dead:
                    print(f"  survivor {mutant.name}\n    " + "\n    ".join(mutant.diff.splitlines()[2:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.module} tables: {killed}/{total} killed ({killed / max(total, 1):.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
