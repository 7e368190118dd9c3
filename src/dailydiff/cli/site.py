"""`dailydiff site build` (the static site: planned by the engine, engine/site.py) and `dailydiff serve` (the
same pages, live from the store)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, handle_errors, open_store, server_stopped, stderr
from dailydiff.engine.printer import site_line
from dailydiff.errors import StoreError
from dailydiff.settings import Settings
from dailydiff.store import DB_NAME, Store

site_app = typer.Typer(
    help="The reports as a static website (HTML pages, Atom feeds, search).", no_args_is_help=True
)
app.add_typer(site_app, name="site")


def open_existing_store(settings: Settings, quiet: bool = False) -> Store:
    path = settings.data_path / DB_NAME
    if not settings.store.url and not path.is_file():
        raise StoreError(
            f"no store at {path}", "run `dailydiff report` first, or pass --data-dir (or --from-json DIR)"
        )
    return open_store(settings, quiet)


@site_app.command("build")
@handle_errors
@options.shared("data_dir", "config", "quiet")
def build_command(
    output_dir: Path | None = options.output_dir("Where to write the site [default: ./site]."),
    from_json: Path | None = typer.Option(
        None,
        "--from-json",
        metavar="DIR",
        help="Build from a directory of report JSON files instead of the store.",
    ),
    title: str | None = typer.Option(None, "--title", metavar="TITLE", help="The site's title."),
    base_url: str | None = typer.Option(
        None, "--base-url", metavar="URL", help="Public URL of the site (absolute feed links)."
    ),
    shared: options.Shared = options.Shared(),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        metavar="N",
        help="Processes laying out and rendering the repositories' pages [default: one per core, at most 8].",
        show_default=False,
    ),
) -> None:
    """Build the static site: index, a page per repository and per day, Atom feeds, search."""
    from dailydiff.engine import Request, SiteRequest, Targets, plan, run

    settings = shared.settings({"site": {"base_url": base_url, "title": title}})
    request = Request("site", settings, None, targets=Targets(output_dir=output_dir), of=SiteRequest(jobs, from_json),
                      open_store=lambda: open_existing_store(settings, shared.quiet))  # fmt: skip
    outcomes = run(plan(request))
    if not shared.quiet:
        stderr.print(site_line(outcomes), markup=False)


@app.command("serve")
@handle_errors
@options.shared("data_dir", "config", "quiet")
def serve_command(
    host: str | None = typer.Option(
        None, "--host", metavar="HOST", help="Address to listen on [default: 127.0.0.1]."
    ),
    port: int | None = typer.Option(
        None, "--port", metavar="PORT", help="Port to listen on [default: 8000]."
    ),
    shared: options.Shared = options.Shared(),
) -> None:
    """Serve the site from the store (pages re-rendered when reports change) and a JSON API under /api."""
    from dailydiff.web.serve import serve

    settings = shared.settings({"site": {"host": host, "port": port}})
    with contextlib.closing(open_existing_store(settings)) as store:
        serve(
            settings,
            store,
            shared.quiet,
            say=lambda line: stderr.print(line, markup=False),
            stopped=server_stopped,
        )
