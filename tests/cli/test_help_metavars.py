"""Issue 10: every command's help names its values (DATE, DIR, FORMATS …), never a Python type (`<str>`,
`<path>`, `<list[str]>`, `<int range>`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import typer
from typer._click.core import Command, Context
from typer.core import TyperGroup, TyperOption

from dailydiff.cli.app import app

PYTHON_TYPE = re.compile(
    r"<(?:str|int|float|bool|path|file|dir|datetime|uuid|(?:list|tuple)\[[^>]*\]|[a-z]+ range)>"
    r"|\b(?:TEXT|INTEGER|FLOAT|BOOLEAN|PATH|FILENAME|DIRECTORY)\b"
)
VALUE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*(?:(?:\.\.|[|./-])[A-Z0-9_]+)*$")  # DATE, I/N, NAME|ALL, REF1..REF2


def commands(group: TyperGroup, ctx: Context, prefix: str = "") -> Iterator[tuple[str, Command]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, TyperGroup):
            yield from commands(command, Context(command, parent=ctx, info_name=name), f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_parameter_of_every_command_has_a_named_metavar() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    root_ctx = Context(root, info_name="dailydiff")
    seen, bad = set(), []
    for name, command in commands(root, root_ctx):
        seen.add(name)
        ctx = Context(command, parent=root_ctx, info_name=name)
        for param in command.params:
            if isinstance(param, TyperOption) and (param.is_flag or param.count):
                continue
            record = param.get_help_record(ctx)
            shown = record[0] if record else ""
            if not param.metavar or not VALUE_NAME.match(param.metavar) or PYTHON_TYPE.search(shown):
                bad.append(f"{name} {param.name}: {shown!r}")
        for line in command.get_help(ctx).splitlines():
            if PYTHON_TYPE.search(line) and not line.startswith("Usage:"):
                bad.append(f"{name} --help: {line.strip()!r}")
    assert {
        "report",
        "run",
        "publish",
        "weekly",
        "serve",
        "site build",
        "init",
        "doctor",
        "store copy",
    } <= seen
    assert bad == [], "\n".join(bad)
