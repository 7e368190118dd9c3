"""`dailydiff doctor`: one ✓/✗ line per check, with the fix; a non-zero exit when anything fails."""

from __future__ import annotations

from typing import Annotated

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, say_store_upgrade
from dailydiff.common.secrets import scrub
from dailydiff.common.text import terminal_text
from dailydiff.doctor.base import CHECK_DEADLINE
from dailydiff.doctor.checks import DoctorContext, run_checks


@app.command("doctor")
@handle_errors
def doctor_command(
    config: options.Config = None,
    data_dir: options.DataDir = None,
    deadline: Annotated[
        float,
        typer.Option(
            "--deadline",
            min=1,
            metavar="SECONDS",
            help="How long each check may take, whatever a run allows (a model server on a laptop, "
            "slow to answer its first request, may need more).",
        ),
    ] = CHECK_DEADLINE,
) -> None:
    """Check the configuration, git, the data directory and every repository."""
    context = DoctorContext.load(config, data_dir, deadline, on_slow=say_store_upgrade)
    results = run_checks(context, deadline=context.deadline)
    for result in results:
        typer.echo(terminal_text(scrub(result.line())))
    failed = sum(not r.ok for r in results)
    warnings = sum(r.ok and r.warning for r in results)
    typer.echo(
        f"{len(results) - failed - warnings} ok, "
        + (f"{warnings} to look at, " if warnings else "")
        + f"{failed} failed"
    )
    if failed:
        raise typer.Exit(1)
