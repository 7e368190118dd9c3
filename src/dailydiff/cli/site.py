"""`dailydiff site build` (the static site: planned by the engine, engine/site.py) and `dailydiff serve` (the
same pages, live from the store)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Literal

import typer

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, open_store, server_stopped, stderr
from dailydiff.errors import StoreError, UsageError
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
def build_command(
    output_dir: Path | None = typer.Option(
        None, "--output-dir", "-o", metavar="DIR", help="Where to write the site [default: ./site]."
    ),
    data_dir: options.DataDir = None,
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
    config: options.Config = None,
    quiet: options.Quiet = False,
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
    from dailydiff.engine import Request, plan, run
    from dailydiff.engine.printer import site_line

    settings = build_settings(config, data_dir, {"site": {"base_url": base_url, "title": title}})
    request = Request("site", settings, None, output_dir=output_dir, jobs=jobs, from_json=from_json,
                      open_store=lambda: open_existing_store(settings, quiet))  # fmt: skip
    outcomes = run(plan(request))
    if not quiet:
        stderr.print(site_line(outcomes), markup=False)


@app.command("serve")
@handle_errors
def serve_command(
    host: str | None = typer.Option(
        None, "--host", metavar="HOST", help="Address to listen on [default: 127.0.0.1]."
    ),
    port: int | None = typer.Option(
        None, "--port", metavar="PORT", help="Port to listen on [default: 8000]."
    ),
    data_dir: options.DataDir = None,
    config: options.Config = None,
    quiet: options.Quiet = False,
) -> None:
    """Serve the site from the store (pages re-rendered when reports change) and a JSON API under /api."""
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn's server, remembering the signal that stopped it (it stops gracefully, then raises that
        signal again, which asyncio's runner may take as its own: the process would end 0, saying nothing)."""

        stopped_by: int | None = None

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.stopped_by is None:
                self.stopped_by = sig
            super().handle_exit(sig, frame)

    from dailydiff.web import SiteCache, create_app
    from dailydiff.web.app import LOOPBACK_HOSTS

    settings = build_settings(config, data_dir, {"site": {"host": host, "port": port}})
    listen_host, listen_port = settings.site.host, settings.site.port
    store = open_existing_store(settings)
    try:
        family = socket.AF_INET6 if ":" in listen_host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((listen_host, listen_port))
        except (OSError, OverflowError) as exc:  # OverflowError: a port above 65535
            sock.close()
            raise UsageError(f"cannot listen on {listen_host}:{listen_port}: {getattr(exc, 'strerror', None) or exc}",
                             "choose another --port or --host") from None  # fmt: skip
        cache = SiteCache(store, settings)
        local = listen_host in LOOPBACK_HOSTS  # on a public address the user names the hosts; no check
        token = os.environ.get(settings.serve.mcp_token_env, "").strip()  # none set: /mcp is off
        endpoint = _mcp_endpoint(settings, token) if token else None
        web = create_app(cache, allowed_hosts=LOOPBACK_HOSTS if local else frozenset(), mcp=endpoint)
        shown = f"[{listen_host}]" if family == socket.AF_INET6 else listen_host
        if not quiet:
            mcp_line = f"; MCP at /mcp (bearer token from {settings.serve.mcp_token_env})" if endpoint else ""
            stderr.print(
                f"serving http://{shown}:{sock.getsockname()[1]}/{mcp_line} (Ctrl-C to stop)", markup=False
            )
        level = "error" if quiet else "warning"
        # the MCP endpoint's session manager runs for the server's life
        lifespan: Literal["on", "off"] = "on" if endpoint else "off"
        server = _Server(uvicorn.Config(web, log_level=level, access_log=False, lifespan=lifespan))
        with sock:
            try:
                server.run(sockets=[sock])
            except KeyboardInterrupt:
                raise server_stopped() from None  # the normal way to stop a server: nothing to resume
            if server.stopped_by is not None:  # uvicorn caught the signal, stopped, and its re-raise was lost
                raise server_stopped(server.stopped_by)
    finally:
        store.close()


def _mcp_endpoint(settings: Any, token: str) -> tuple[Any, Any]:
    """`serve`'s /mcp (web/mcp.py), which needs the optional ``mcp`` package."""
    from dailydiff.web.mcp import http_endpoint

    try:
        import mcp  # noqa: F401
    except ImportError:
        raise UsageError(
            f"{settings.serve.mcp_token_env} is set but the MCP endpoint needs the mcp package",
            "install it: pip install 'dailydiff[mcp]', or unset the variable",
        ) from None
    return http_endpoint(settings, token)
