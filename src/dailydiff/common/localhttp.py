"""One blocking JSON ``POST`` to a plain ``http://`` endpoint (a model server on this machine or the local
network) over the standard library's ``http.client``: what one embedding request of `search` needs, without
importing httpx2 and httpcore2 (which import trio and anyio): some 0.25 s of CPU of a search with vectors on,
for a request that takes a few milliseconds (bench/search_scale.py --vectors).

Only where nothing else is asked of the transport: an ``http://`` URL (no TLS, so no certificate to verify)
and no proxy named in the environment (httpx2 would go through it). Anything else goes through
``HttpPolicy.client`` as every other request does. The request is still one attempt of the one send loop
(``HttpPolicy.send``): the policy's connect and read timeouts, and its watchdog, which is given the socket.
"""

from __future__ import annotations

import http.client
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dailydiff.common.http import HttpPolicy, Try

# The variables through which httpx2 (trust_env) would send an http:// request to a proxy.
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")


def direct(url: str) -> bool:
    """Whether ``url`` is a plain ``http://`` one that no proxy of the environment would carry."""
    return url.startswith("http://") and not any(os.environ.get(name) for name in PROXY_VARIABLES)


@dataclass(frozen=True)
class Answer:
    """What the server answered: its status and body (the part of httpx2's response the callers read)."""

    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


def post_json(url: str, body: Any, headers: dict[str, str], policy: HttpPolicy, attempt: Try) -> Answer:
    """POST ``body`` as JSON to ``url`` (a ``direct`` one). A connect or read that outlasts the policy's
    timeout, or a request the watchdog cut, raises ``TimeoutError``; a refused or lost connection, or an
    answer that is not HTTP, ``ConnectionError``."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(
        parts.hostname or "", parts.port or 80, timeout=min(policy.connect_timeout, policy.timeout)
    )
    step = "ConnectTimeout"
    try:
        connection.connect()
        step = "ReadTimeout"
        if connection.sock is not None:
            attempt.watchdog.sockets.append(connection.sock)
            connection.sock.settimeout(min(policy.read_timeout, policy.timeout))
        connection.request("POST", path, body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json", **headers})  # fmt: skip
        response = connection.getresponse()
        return Answer(response.status, response.read())
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, TimeoutError) or attempt.watchdog.fired:
            raise TimeoutError(f"{step}: no answer from {parts.hostname} in time") from None
        raise ConnectionError(f"{type(exc).__name__} from {parts.hostname}") from None
    finally:
        connection.close()
