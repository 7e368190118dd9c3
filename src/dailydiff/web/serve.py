"""`dailydiff serve`'s server: the socket, the app over the store (with /mcp when its token is set), uvicorn
until it is stopped."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from typing import Any, Literal

import uvicorn

from dailydiff.common.stopping import TAKEN
from dailydiff.errors import UsageError
from dailydiff.settings import Settings
from dailydiff.store import Store
from dailydiff.web.app import LOOPBACK_HOSTS, SiteCache, create_app
from dailydiff.web.mcp import http_endpoint


class _Server(uvicorn.Server):
    """uvicorn's server, remembering the signal that stopped it (serve ends with it, exit 130/143: uvicorn's own
    re-raise of it may be taken by asyncio's runner as its own, and the process would end 0, saying nothing).
    On SIGTERM nothing new is sent (common/stopping.py) and, once the connections are closed, the hooks' pass
    under way finishes (``drain``); a second SIGTERM stops at once."""

    stopped_by: int | None = None
    drain: Callable[[], None] = staticmethod(lambda: None)

    def handle_exit(self, sig: int, frame: Any) -> None:
        if sig == signal.SIGTERM and self.stopped_by == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        if self.stopped_by is None:
            self.stopped_by = sig
            if sig == signal.SIGTERM and not TAKEN:  # nothing new is claimed or sent (engine/deliver.py)
                TAKEN.append(sig)
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        import asyncio

        await super().shutdown(sockets)
        await asyncio.to_thread(self.drain)


def serve(
    settings: Settings,
    store: Store,
    quiet: bool,
    *,
    say: Callable[[str], None],
    stopped: Callable[[int | None], BaseException],
) -> None:
    """Serve ``store`` on ``settings.site.host``/``port`` until stopped. ``say``: the one line saying where
    (not with ``quiet``); ``stopped``: the exception to end with once the server has stopped (Ctrl-C, or the
    signal uvicorn caught)."""
    listen_host, listen_port = settings.site.host, settings.site.port
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
        say(f"serving http://{shown}:{sock.getsockname()[1]}/{mcp_line} (Ctrl-C to stop)")
    level = "error" if quiet else "warning"
    # the MCP endpoint's session manager runs for the server's life
    lifespan: Literal["on", "off"] = "on" if endpoint else "off"
    server = _Server(uvicorn.Config(web, log_level=level, access_log=False, lifespan=lifespan))
    server.drain = lambda: _drain(web, settings.serve.drain_seconds)
    with sock:
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            raise stopped(None) from None  # the normal way to stop a server: nothing to resume
        if server.stopped_by is not None:  # the server caught the signal and stopped
            raise stopped(server.stopped_by)


def _drain(web: Any, seconds: float) -> None:
    """The hooks' pass under way finishes (a message in flight is sent and recorded), within ``seconds``."""
    if not web.state.hooks.drain(seconds):
        import sys

        print(f"dailydiff: the hooks' pass did not end within [serve] drain_seconds ({seconds:g}s); "
              "what it had not sent is sent by the next start", file=sys.stderr)  # fmt: skip


def _mcp_endpoint(settings: Settings, token: str) -> tuple[Any, Any]:
    """`serve`'s /mcp (web/mcp.py), which needs the optional ``mcp`` package."""
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise UsageError(
            f"{settings.serve.mcp_token_env} is set but the MCP endpoint needs the mcp package",
            "install it: pip install 'dailydiff[mcp]', or unset the variable",
        ) from None
    return http_endpoint(settings, token)
