"""`dailydiff init`: write a commented dailydiff.toml and a GitHub Actions workflow."""

from __future__ import annotations

from pathlib import Path

import typer

from dailydiff.cli.app import app, handle_errors, stderr
from dailydiff.errors import UsageError
from dailydiff.publish.files import write_file
from dailydiff.scaffold import (
    CONFIG_NAME,
    KUBERNETES_PATH,
    WORKFLOW_PATH,
    config_text,
    kubernetes_text,
    local_sources,
    pinned_install,
    workflow_text,
)
from dailydiff.settings import defaults_text, load_settings


@app.command("init")
@handle_errors
def init_command(
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
    directory: Path = typer.Option(
        Path("."), "--directory", "-C", metavar="DIR", help="Where to write the files."
    ),
    repos: list[str] | None = typer.Option(
        None,
        "--repo",
        metavar="SOURCE",
        help="A repository to follow (repeatable); default: an example entry.",
    ),
    install: str | None = typer.Option(
        None,
        "--install",
        metavar="COMMAND",
        help="How the workflow installs dailydiff; default: pip install of exactly this version.",
    ),
    workflow_only: bool = typer.Option(
        False, "--workflow-only", help="Write only the workflow, with the secrets your dailydiff.toml names."
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        metavar="N",
        min=1,
        max=256,
        help="N > 1: the workflow runs N workers that share one plan in a PostgreSQL store (DAILYDIFF_STORE_URL).",
    ),
    kubernetes: bool = typer.Option(
        False, "--kubernetes", help=f"Also write {KUBERNETES_PATH}: a CronJob of an Indexed Job of N pods."
    ),
    defaults: bool = typer.Option(
        False, "--defaults", help="Print every setting with its comment and default, and write nothing."
    ),
) -> None:
    """Write a short dailydiff.toml and .github/workflows/dailydiff.yml (pinned to this version)."""
    if defaults:
        typer.echo(defaults_text(), nl=False)
        return
    files = _files(directory, repos or [], install, workers, kubernetes, workflow_only=workflow_only)
    if not force:
        _refuse_to_overwrite(files)
    for path, text in files.items():
        write_file(path, text)
        stderr.print(f"wrote {path}", markup=False, highlight=False)
    _next_steps(directory, repos or [], install, workers > 1 or kubernetes)


def _refuse_to_overwrite(files: dict[Path, str]) -> None:
    existing = [path for path in files if path.exists()]
    if existing:
        names = ", ".join(str(p) for p in existing)
        raise UsageError(
            f"{names} already exist(s)", "pass --force to overwrite, or edit the file(s) by hand"
        )


def _files(directory: Path, repos: list[str], install: str | None, workers: int, kubernetes: bool, *,
           workflow_only: bool) -> dict[Path, str]:  # fmt: skip
    """The files to write, by path: the config and the workflow (only the workflow, for the config that
    exists, with --workflow-only), and the Kubernetes CronJob with --kubernetes."""
    if workflow_only:
        existing_config = directory / CONFIG_NAME
        if not existing_config.is_file():
            raise UsageError(
                f"{existing_config} does not exist", "run `dailydiff init` without --workflow-only"
            )
        config = existing_config.read_text(encoding="utf-8")
        loaded = load_settings(existing_config)  # a broken config stops here, with the key named
        settings = loaded.model_dump(mode="json")
        files = {directory / WORKFLOW_PATH: workflow_text(config, install, settings, workers)}
    else:
        config = config_text(repos)
        settings = None
        files = {
            directory / CONFIG_NAME: config,
            directory / WORKFLOW_PATH: workflow_text(config, install, None, workers),
        }
    if kubernetes:
        files[directory / KUBERNETES_PATH] = kubernetes_text(config, max(workers, 2), settings, install)
    return files


def _next_steps(directory: Path, repos: list[str], install: str | None, postgres: bool) -> None:
    say = stderr.print
    if install is None:
        pin = pinned_install("[postgres]" if postgres else "")
        say(f"the workflow installs the version that ran init: {pin} (--install to change it)", markup=False,
            highlight=False)  # fmt: skip
    for key, source in local_sources(repos, directory):
        say(f"warning: {key} = {source!r} is a local path: the workflow runs on a fresh checkout on GitHub's "
            "runners, where it does not exist; follow OWNER/NAME or a git URL there", markup=False,
            highlight=False)  # fmt: skip
    stderr.print(
        "next: edit the [[repos]] entries, check the set-up with `dailydiff doctor`, then commit the files",
        markup=False,
        highlight=False,
    )
