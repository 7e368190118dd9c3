"""`dailydiff mcp`: the stored history as a Model Context Protocol server over stdio, for an assistant in
an editor or a chat client (web/mcp.py). It needs the optional ``mcp`` package (``dailydiff[mcp]``)."""

from __future__ import annotations

from dailydiff.cli import options
from dailydiff.cli.app import app, build_settings, handle_errors, say_store_upgrade
from dailydiff.errors import UsageError
from dailydiff.web.mcp import serve_stdio


@app.command("mcp", cls=options.Command)
@handle_errors
def mcp_command(config: options.Config = None, data_dir: options.DataDir = None) -> None:
    """Serve search, ask, reports, digests and repositories to an assistant (MCP over stdio; read-only)."""
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise UsageError(
            "the MCP server needs the mcp package", "install it: pip install 'dailydiff[mcp]'"
        ) from None

    serve_stdio(build_settings(config, data_dir, {}), on_slow=say_store_upgrade)  # stderr: stdout is MCP
