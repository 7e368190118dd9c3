"""The flags the commands share, defined once: same names, same metavars, same help, same checks.

A command names the ones it takes with ``@shared(...)`` and gets them as one ``Shared`` (cli/flags.py,
re-exported here), which checks them and turns them into settings overrides, the dates to build, and the
logging set-up.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

from dailydiff.cli.app import build_settings
from dailydiff.cli.flags import FORMATS as FORMATS
from dailydiff.cli.flags import LANGUAGES as LANGUAGES
from dailydiff.cli.flags import LOG_FORMATS as LOG_FORMATS
from dailydiff.cli.flags import Shared as Shared
from dailydiff.cli.flags import check_audience as check_audience
from dailydiff.cli.flags import config_dir as config_dir
from dailydiff.errors import DailyDiffError, UsageError

Date = Annotated[
    str | None,
    typer.Option("--date", "-d", metavar="DATE",
                 help="YYYY-MM-DD, 'today' or 'yesterday' (default), in the report's timezone."),
]  # fmt: skip
First = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="First day of a range (one report per day).")
]
Last = Annotated[str | None, typer.Option("--to", metavar="DATE", help="Last day of a range, inclusive.")]
Analyzer = Annotated[
    str | None, typer.Option("--analyzer", metavar="NAME", help="heuristic, llm or auto [default: auto].")
]
LANG_HELP = "Report language: zh or en [default: {language}]."
Lang = Annotated[str | None, typer.Option("--lang", metavar="LANG", help=LANG_HELP.format(language="zh"))]
TZ_HELP = "IANA timezone that defines the day [default: {zone}]."
Tz = Annotated[str | None, typer.Option("--tz", metavar="TZ", help=TZ_HELP.format(zone="Asia/Shanghai"))]
Formats = Annotated[
    str | None,
    typer.Option("--format", metavar="FORMATS", help="Comma-separated report file formats: md,json,html."),
]
Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Build a range longer than [run] max_days (366) without asking.")
]
Force = Annotated[bool, typer.Option("--force", help="Build and deliver again what was already delivered.")]
# --audience of `digest` and `weekly`: one option; what each audience gets differs by command (a table).
AUDIENCE_HELP = {
    "digest": "engineer (commits) or stakeholder (counts and highlights, no paths); default: each [[digest]]'s.",
    "weekly": "engineer (commits, paths) or stakeholder (themes, no paths); default: [weekly] audience.",
}
Audience = Annotated[
    str | None, typer.Option("--audience", metavar="AUDIENCE", help="engineer or stakeholder.")
]
# One wording for -q in every command.
QUIET_HELP = "Errors only on stderr: no progress, logs or summary."
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs.")]
LogFormat = Annotated[
    str, typer.Option("--log-format", metavar="FORMAT", help="Logs on stderr as text or json.")
]
SummaryJson = Annotated[
    Path | None, typer.Option("--summary-json", metavar="FILE", help="Write the run summary as JSON to FILE.")
]
Config = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="FILE", help="Settings file [default: ./dailydiff.toml]."),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", metavar="DIR", help="Where the store lives [env: DAILYDIFF_DATA_DIR]."),
]
# --format of `digest` and `weekly` (``edition_formats``).
EditionFormats = Annotated[
    str | None,
    typer.Option("--format", metavar="FORMATS",
                 help="md,json,html: the files written with --output-dir; without it, the one format printed."),
]  # fmt: skip
# One document (a table, release notes) written to FILE instead of stdout.
OutputFile = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write it to FILE instead of stdout.")
]


def output_dir(help_text: str) -> Any:
    """--output-dir (-o) DIR, each command saying what it writes there."""
    return typer.Option(None, "--output-dir", "-o", metavar="DIR", help=help_text)


def check_choice(flag: str, value: str, choices: Sequence[str]) -> None:
    """A flag that takes one of a few words (``--format md``): another word is a usage error naming them."""
    if value not in choices:
        raise UsageError(f"unknown {flag} {value!r}", f"choose from: {', '.join(choices)}")


def edition_formats(formats: str | None, choices: Collection[str], printed: bool) -> list[str] | None:
    """``EditionFormats`` checked before any work: each one of ``choices``, one only when ``printed`` (on
    stdout); None when not given."""
    if formats is None:
        return None
    chosen = [part.strip().lower() for part in formats.split(",") if part.strip()]
    if not chosen or any(f not in choices for f in chosen):
        raise UsageError(f"unknown format {formats!r}", f"choose from: {', '.join(choices)}")
    if printed and len(chosen) > 1:
        raise UsageError(f"--format {formats} without --output-dir: stdout takes one format",
                         "pass one format, or -o DIR to write a file per format")  # fmt: skip
    return chosen


def edition_outputs(
    output_dir: Path | None, publish: bool, path_template: str, formats: Sequence[str]
) -> list[Any]:
    """The own outputs of `digest` and `weekly`: the files in ``formats`` under -o DIR; else, without
    --publish, stdout in the first."""
    from dailydiff.publish.files import StdoutPublisher, output_dir_publisher

    if output_dir is not None:
        return [output_dir_publisher(output_dir, path_template, formats)]
    return [] if publish else [StdoutPublisher(fmt=formats[0])]


def write_output(text: str, output: Path | None) -> None:
    """An ``OutputFile`` document: to FILE (a failure one line naming it), else to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    from dailydiff.publish.files import write_file

    write_file(output, text)


class _NamedArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None if self.metavar else super().display_type_rich(ctx)

    def _usage_display_name(self) -> str:
        """``SOURCE`` for a required value, ``[SOURCE]`` for an optional one (typer writes ``{SOURCE}``)."""
        name = super()._usage_display_name()
        return name.replace("{", "", 1).replace("}", "", 1) if self.required else name


class Command(TyperCommand):
    """A command whose help names each value (SOURCE, DATE, DIR …) instead of a Python type, and shows
    the defaults in effect: ``--tz`` says the settings file's timezone when it sets one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _NamedArgument

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["dailydiff.argv"] = list(args)  # --help runs while parsing: it reads -c from here
        return super().parse_args(ctx, args)

    def get_help(self, ctx: Any) -> str:
        report = _effective_report(ctx.meta.get("dailydiff.argv", []))
        for param in self.params:
            if isinstance(param, TyperOption) and param.name == "audience":
                param.help = AUDIENCE_HELP.get(ctx.info_name or "", param.help)
            if isinstance(param, TyperOption) and report is not None:
                if param.name == "tz":
                    param.help = TZ_HELP.format(zone=report.timezone)
                elif param.name == "lang":
                    param.help = LANG_HELP.format(language=report.language)
        return super().get_help(ctx)


def _effective_report(argv: list[str]) -> Any:
    """The report settings (file named by -c/--config or ./dailydiff.toml, and the environment) give,
    for help: their timezone and language; None when they cannot be read (the help then shows the
    built-in defaults)."""
    config = None
    for i, arg in enumerate(argv):
        if arg in ("-c", "--config") and i + 1 < len(argv):
            config = Path(argv[i + 1])
        elif arg.startswith("--config="):
            config = Path(arg.split("=", 1)[1])
    try:
        return build_settings(config, None, {}).report
    except DailyDiffError:  # a broken settings file is reported when the command runs, not in its help
        return None


# The shared flags by parameter name, as typer declares them (a test checks that `report` and `run` take
# exactly these); each one's default is ``Shared``'s.
FLAGS: dict[str, Any] = {"date": Date, "first": First, "last": Last, "analyzer": Analyzer, "lang": Lang, "tz": Tz,
                         "formats": Formats, "force": Force, "quiet": Quiet, "verbose": Verbose,
                         "log_format": LogFormat, "summary_json": SummaryJson, "config": Config,
                         "data_dir": DataDir, "yes": Yes}  # fmt: skip
SHARED = tuple(FLAGS)
R = TypeVar("R")


def shared(*names: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A command that takes the shared flags ``names`` (every one when none is named): typer sees them among
    its options where its ``shared`` parameter stands, declared as above, and the command gets them as one
    ``Shared``."""
    defaults = {field.name: field.default for field in dataclasses.fields(Shared)}
    flags = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name],
                               annotation=FLAGS[name]) for name in names or SHARED]  # fmt: skip

    def declare(command: Callable[..., R]) -> Callable[..., R]:
        params: list[inspect.Parameter] = []
        for param in inspect.signature(command, eval_str=True).parameters.values():
            params += (
                flags if param.name == "shared" else [param.replace(kind=inspect.Parameter.KEYWORD_ONLY)]
            )

        @functools.wraps(command)
        def with_shared(**values: Any) -> R:
            return command(shared=Shared(**{flag.name: values.pop(flag.name) for flag in flags}), **values)

        with_shared.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        with_shared.__annotations__ = {param.name: param.annotation for param in params}
        return with_shared

    return declare
