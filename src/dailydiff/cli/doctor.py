"""`dailydiff doctor`: one ✓/✗ line per check, with the fix; a non-zero exit when anything fails."""

from __future__ import annotations

from pathlib import Path

import typer

from dailydiff.cli.app import app, handle_errors
from dailydiff.common.secrets import scrub
from dailydiff.common.text import terminal_text
from dailydiff.doctor.checks import DoctorContext, run_checks


@app.command("doctor")
@handle_errors
def doctor_command(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Settings file [default: ./dailydiff.toml]."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the store lives [env: DAILYDIFF_DATA_DIR]."
    ),
) -> None:
    """Check the configuration, git, the data directory and every repository."""
    results = run_checks(DoctorContext.load(config, data_dir))
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
