"""`dailydiff search` read without typer (cli/direct.py): the same flags as typer's command, the same values
from the same command lines, the same output and exit codes; what it does not read goes to typer. Real
`python -m dailydiff` processes on a real repository's report."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click import Command, Context
from typer.core import TyperArgument, TyperOption

from dailydiff.cli.app import app
from dailydiff.cli.direct import LIMITS, SEARCH, read_search
from gitrepo import CommitSpec, FileEdit, build_repo
from test_startup import imported_by

ROOT = Path(__file__).resolve().parents[2]


def typers_command(name: str) -> Command:
    """The command ``name`` of typer's application, as typer builds it."""
    group = typer.main.get_command(app)
    command = group.get_command(Context(group), name)  # type: ignore[attr-defined]
    assert command is not None
    return command  # type: ignore[no-any-return]


def declared_flags(params: list[Any]) -> dict[str, tuple[str, bool, bool]]:
    """Each flag of a typer command's ``params``, as cli/direct.py's tables say it: (parameter, takes a value,
    repeatable)."""
    return {
        flag: (p.name, not getattr(p, "is_flag", False), bool(getattr(p, "multiple", False)))
        for p in params
        if isinstance(p, TyperOption)
        for flag in p.opts
        if flag not in ("-h", "--help")
    }


def _typers_search() -> Command:
    return typers_command("search")


def test_the_flags_read_without_typer_are_typers() -> None:
    params = _typers_search().params
    assert {flag: tuple(f) for flag, f in SEARCH.items()} == declared_flags(params)
    (question,) = [p for p in params if isinstance(p, TyperArgument)]
    assert question.name == "question" and question.required
    (limit,) = [p for p in params if p.name == "limit"]
    assert (limit.min, limit.max) == LIMITS  # type: ignore[attr-defined]


READ = [
    ["attention kernels"],
    ["fp8 gemm", "--repo", "a/b", "--repo=c/d", "--limit", "3", "--json"],
    ["-n5", "moe", "--from", "2026-04-01", "--to=2026-04-30", "--level", "high", "--type", "perf"],
    ["--path", "csrc/**", "-c", "x.toml", "--data-dir", "/tmp/d", "--agent", "routing"],
    ["--topic", "moe", "--topic", "fp8", "-n", "200", "--limit", "1", "q"],
    ["--", "--not-a-flag"],
    ["-", "--json"],
    ["--repo", "--json", "question"],  # a value that looks like a flag is the value, as click takes it
    ["q", "--repo="],
]
NOT_READ = [[], ["-h"], ["--help"], ["q", "--limit", "0"], ["q", "-n", "201"], ["q", "--limit", "x"],
            ["q", "--limit"], ["a", "b"], ["q", "--json=1"], ["q", "--unknown"], ["-5"], ["q", "-n"]]  # fmt: skip


@pytest.mark.parametrize("args", READ)
def test_a_command_line_is_read_as_typer_reads_it(args: list[str]) -> None:
    read = read_search(args)
    assert read is not None
    context = _typers_search().make_context("search", list(args))
    typed = {
        name: list(v) if isinstance(v, tuple) else v
        for name, v in context.params.items()
        if v not in (None, ())
    }
    assert read == typed


@pytest.mark.parametrize("args", NOT_READ)
def test_what_is_not_read_here_goes_to_typer(args: list[str]) -> None:
    assert read_search(args) is None


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("search-cli")
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(tmp / "repo", [
        CommitSpec("feat: fused moe kernel for the router", day, edits=[FileEdit("csrc/moe.cu", "int x = 1;\n")]),
        CommitSpec("fix: fp8 gemm scale on sm120", day + dt.timedelta(hours=1),
                   edits=[FileEdit("csrc/gemm.cu", "int y = 2;\n")]),
    ])  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "dailydiff", "report", str(tmp / "repo"), "--date", "2026-01-05", "--tz",
                    "UTC", "--analyzer", "heuristic", "--data-dir", str(tmp / "data"), "-o", str(tmp / "out"),
                    "--quiet"], env=env, cwd=tmp, timeout=120, check=True, capture_output=True)  # fmt: skip
    return tmp / "data"


TYPERS = "import sys; from dailydiff.cli.app import app; sys.argv[0] = 'dailydiff'; app()"


@pytest.mark.parametrize(
    "args",
    [
        ["fused moe kernel"],
        ["gemm", "--json", "-n", "1"],
        ["nothing like this at all"],  # exit 1, as grep
        ["moe", "--from", "2027-01-01"],  # nothing within the days
        ["moe", "--from", "not a date"],  # a usage error, said in one line
    ],
)
def test_search_without_typer_answers_as_typers_command(data: Path, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    argv = ["search", *args, "--data-dir", str(data)]
    direct = subprocess.run([sys.executable, "-m", "dailydiff", *argv], capture_output=True, text=True, env=env,
                            timeout=60, check=False)  # fmt: skip
    typed = subprocess.run([sys.executable, "-c", TYPERS, *argv], capture_output=True, text=True, env=env,
                           timeout=60, check=False)  # fmt: skip
    assert (direct.returncode, direct.stdout, direct.stderr) == (typed.returncode, typed.stdout, typed.stderr)
    assert direct.stdout or direct.stderr


def test_a_search_imports_no_typer_and_help_still_does(data: Path, tmp_path: Path) -> None:
    done, modules = imported_by(tmp_path, "search", "fused moe kernel", "--data-dir", str(data))
    assert done.returncode == 0 and "fused moe kernel for the router" in done.stdout, done.stderr
    assert not [m for m in modules if m == "typer" or m.startswith(("typer.", "click"))]
    done, modules = imported_by(tmp_path, "search", "--help")
    assert done.returncode == 0 and "QUESTION" in done.stdout and "typer" in modules
