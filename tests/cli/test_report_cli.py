"""`dailydiff report` read without typer (cli/direct.py): the same flags as typer's command, the same values
from the same command lines, the same output and exit codes; what it does not read goes to typer. Real
`python -m dailydiff` processes on a real repository."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer._click import Command
from typer.core import TyperArgument, TyperOption

from dailydiff.cli.direct import REPORT, read_report
from dailydiff.cli.report_run import report
from gitrepo import CommitSpec, FileEdit, build_repo
from test_search_cli import declared_flags, typers_command
from test_startup import imported_by

ROOT = Path(__file__).resolve().parents[2]


def _typers_report() -> Command:
    return typers_command("report")


def test_the_flags_read_without_typer_are_typers() -> None:
    params = _typers_report().params
    assert {flag: tuple(f) for flag, f in REPORT.items()} == declared_flags(params)
    (source,) = [p for p in params if isinstance(p, TyperArgument)]
    assert source.name == "source" and source.required
    # The command typer runs and the one run without it take the same parameters, with the same defaults.
    defaults = {
        name: p.default for name, p in inspect.signature(report).parameters.items() if name != "source"
    }
    assert defaults == {p.name: p.default for p in params if isinstance(p, TyperOption)}


READ = [
    ["repo"],
    ["./repo", "--date", "2026-01-05", "--tz", "UTC", "--analyzer", "heuristic", "-q"],
    ["-d2026-01-05", "--from=2026-01-01", "--to", "2026-01-04", "--lang=en", "--format", "md,json", "owner/name"],
    ["--force", "-v", "--log-format", "json", "--summary-json", "s.json", "-c", "x.toml", "--data-dir", "/tmp/d",
     "-y", "-o", "out", "repo"],
    ["repo", "--branch", "dev", "--name", "team/widget", "--publish", "--explain", "abc123"],
    ["--all-branches", "--reanalyze=abc", "--", "-repo-with-a-dash"],
    ["repo", "--tz", "UTC", "--tz", "Asia/Shanghai"],  # the last of a repeated value, as click takes it
    ["--name", "--quiet", "repo"],  # a value that looks like a flag is the value
]  # fmt: skip
NOT_READ = [[], ["-h"], ["--help"], ["repo", "--help"], ["a", "b"], ["repo", "--quiet=1"], ["repo", "--unknown"],
            ["repo", "--date"], ["repo", "-qy"], ["--date", "2026-01-05"]]  # fmt: skip


@pytest.mark.parametrize("args", READ)
def test_a_command_line_is_read_as_typer_reads_it(args: list[str]) -> None:
    read = read_report(args)
    assert read is not None
    context = _typers_report().make_context("report", list(args))
    defaults = {
        name: p.default for name, p in inspect.signature(report).parameters.items() if name != "source"
    }
    assert {**defaults, **read} == context.params


@pytest.mark.parametrize("args", NOT_READ)
def test_what_is_not_read_here_goes_to_typer(args: list[str]) -> None:
    assert read_report(args) is None


def _same_run(stdout: str) -> object:
    """A day without what differs from one run to the next (when it was made, how long it took)."""
    if not stdout.startswith("{"):
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", stdout)
    day = json.loads(stdout)
    day.pop("generated_at"), day.pop("run")
    return day


TYPERS = "import sys; from dailydiff.cli.app import app; sys.argv[0] = 'dailydiff'; app()"


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "2026-01-05", "--format", "json", "--quiet"],
        ["--date", "2026-01-05", "--lang", "zh"],  # the summary on stderr
        ["--date", "2026-01-06", "--format", "md"],  # a quiet day
        ["--date", "not a date"],  # a usage error, said in one line
        ["--date", "2026-01-05", "--tz", "Mars/Olympus"],
        ["--branch", "dev", "--all-branches"],
        ["--date", "2026-01-05", "--explain", "0000000"],
    ],
)
def test_report_without_typer_answers_as_typers_command(tmp_path: Path, args: list[str]) -> None:
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(
        repo, [CommitSpec("feat: fused moe kernel", day, edits=[FileEdit("csrc/moe.cu", "int x = 1;\n")])]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    env.pop("DAILYDIFF_DEBUG", None)
    runs = []
    for how, start in (("direct", ["-m", "dailydiff"]), ("typed", ["-c", TYPERS])):
        argv = [
            "report",
            str(repo),
            "--analyzer",
            "heuristic",
            "--tz",
            "UTC",
            "--data-dir",
            str(tmp_path / how),
            *args,
        ]
        done = subprocess.run([sys.executable, *start, *argv], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120, check=False)  # fmt: skip
        runs.append(
            (done.returncode, _same_run(done.stdout.replace(how, "DATA")), done.stderr.replace(how, "DATA"))
        )
    direct, typed = runs
    assert direct == typed
    assert direct[1] or direct[2]
    assert "Traceback" not in direct[2]


def test_a_report_imports_no_typer_and_help_still_does(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    build_repo(repo, [CommitSpec("feat: one", day, edits=[FileEdit("a.py", "x = 1\n")])])
    done, modules = imported_by(tmp_path, "report", str(repo), "--date", "2026-01-05", "--tz", "UTC", "--analyzer",
                                "heuristic", "--data-dir", str(tmp_path / "data"), "--quiet")  # fmt: skip
    assert done.returncode == 0 and "feat: one" in done.stdout, done.stderr
    assert not [m for m in modules if m == "typer" or m.startswith(("typer.", "click"))]
    done, modules = imported_by(tmp_path, "report", "--help")
    assert done.returncode == 0 and "SOURCE" in done.stdout and "typer" in modules
