"""cli/coercion.py: a `str`, `Path` or `bool` flag's value is what typer's own (pydantic) conversion makes
of it, for every command's parameters, and a value the shortcut does not take goes through typer's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.testing import CliRunner

from dailydiff.cli.app import COMMANDS, app
from dailydiff.cli.coercion import Plain
from dailydiff.cli.options import Command

VALUES = ["", "-", "md", " spaced out ", "~/x", "a/../b", "ünïcode", "2026-01-05", "true", "0"]
# A number option's values: plain digits, at and beyond the bounds, and the spellings only pydantic takes.
NUMBERS = ["1", "007", "10", "200", "201", "99999", "+5", " 5", "1_000", "-1", "²", "1.5", 7, 0, 500, True, 2.0]  # fmt: skip
# A repeated option's values: as the parser hands them (a tuple), a list, and what is not a list of text.
LISTS = [("a",), ("a", "b c", ""), ["x", "y"], (), ("a", 1), "ab", [b"raw"]]


def _params() -> list[Any]:
    group = typer.main.get_command(app)
    params = list(group.params)
    for name in COMMANDS:
        command = group.commands[name]  # type: ignore[attr-defined]
        found = [command, *getattr(command, "commands", {}).values()]
        for each in found:
            params += [*each.params, each.get_help_option(typer.Context(each))]
    return [p for p in params if p is not None]


def test_every_text_path_and_flag_value_converts_as_typer_converts_it() -> None:
    params = _params()
    plain = [p for p in params if isinstance(p._runtime_param, Plain)]
    assert {p.name for p in plain} >= {"source", "data_dir", "config", "quiet", "help", "version", "limit",
                                       "repo", "change_type"}  # fmt: skip
    for param in plain:
        context = typer.Context(typer.main.get_command(app))
        typers = build_runtime_param(param.type_descriptor)
        annotation = param.type_descriptor.annotation
        values: list[Any] = (
            [*VALUES, True, False, None]
            if annotation is bool
            else [*VALUES, *NUMBERS, None]
            if annotation is int
            else [*LISTS, *VALUES, None]
            if param.multiple
            else VALUES
        )
        for value in values:
            try:
                expected = typers.coerce(value, param=param, ctx=context)
            except BadParameter as exc:
                with pytest.raises(BadParameter, match=str(exc.message)):
                    param._runtime_param.coerce(value, param=param, ctx=context)
                continue
            got = param._runtime_param.coerce(value, param=param, ctx=context)
            assert (type(got), got) == (type(expected), expected), (param.name, value)


def test_a_path_that_must_exist_is_still_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a short path: the error's box wraps a long one across its lines
    checked = typer.Typer()

    @checked.command(cls=Command)
    def where(path: Path = typer.Option(..., "--where", exists=True)) -> None:
        typer.echo(str(path))

    missing = CliRunner().invoke(checked, ["--where", "nothing"])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    there = CliRunner().invoke(checked, ["--where", str(tmp_path)])
    assert there.exit_code == 0 and there.output.strip() == str(tmp_path)
