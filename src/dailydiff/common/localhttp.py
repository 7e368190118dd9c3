"""One blocking JSON ``POST`` to a plain ``http://`` endpoint (a model server on this machine or the local
network) over a socket: what one embedding request of `search` needs, without importing httpx2 and
httpcore2 (which import trio and anyio: some 0.25 s of CPU of a search with vectors on, for a request that
takes a few milliseconds), nor the standard library's ``http.client`` (which imports ``ssl`` and the
``email`` package: some 30 ms more; bench/search_scale.py --vectors).

Only where nothing else is asked of the transport: an ``http://`` URL (no TLS, so no certificate to verify)
and no proxy named in the environment (httpx2 would go through it). Anything else goes through
``HttpPolicy.client`` as every other request does. The request is still one attempt of the one send loop
(``HttpPolicy.send``): the policy's connect and read timeouts, and its watchdog, which is given the socket.
The request is HTTP/1.1 with ``Connection: close``; the answer's body is read by its ``Content-Length``,
its chunks, or to the end of the connection.
"""

from __future__ import annotations

import json
import os
import socket
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


# A header value or a path that would end its line early (a request smuggled in a setting): refused, as
# http.client refuses it.
_LINE_BREAKS = ("\r", "\n", "\0")
_MOST_HEAD = 65536  # bytes of status line and headers read at most


class NotHttp(Exception):
    """An answer that is not HTTP/1.x (or ends before its body does)."""


def post_json(url: str, body: Any, headers: dict[str, str], policy: HttpPolicy, attempt: Try) -> Answer:
    """POST ``body`` as JSON to ``url`` (a ``direct`` one). A connect or read that outlasts the policy's
    timeout, or a request the watchdog cut, raises ``TimeoutError``; a refused or lost connection, or an
    answer that is not HTTP, ``ConnectionError``; a header or path with a line break, ``ValueError``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    payload = json.dumps(body).encode()
    fields = {"Host": parts.netloc.rpartition("@")[2], "Content-Type": "application/json", **headers,
              "Content-Length": str(len(payload)), "Connection": "close", "Accept-Encoding": "identity"}  # fmt: skip
    if any(c in text for text in (path, *fields, *fields.values()) for c in _LINE_BREAKS):
        raise ValueError("a line break in the request's path or headers")
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    step = "ConnectTimeout"
    sock: socket.socket | None = None
    try:
        # An ASCII name given as bytes (getaddrinfo takes them; typeshed's create_connection says str): the
        # socket module would load the IDNA codec to encode a str (2 ms).
        address = (host.encode() if host.isascii() else host, port)
        timeout = min(policy.connect_timeout, policy.timeout)
        sock = socket.create_connection(address, timeout=timeout)  # type: ignore[arg-type]
        step = "ReadTimeout"
        attempt.watchdog.sockets.append(sock)
        sock.settimeout(min(policy.read_timeout, policy.timeout))
        sock.sendall(head.encode("latin-1") + payload)
        with sock.makefile("rb") as stream:
            return _answer(stream)
    except (OSError, NotHttp, ValueError) as exc:
        if isinstance(exc, TimeoutError) or attempt.watchdog.fired:
            raise TimeoutError(f"{step}: no answer from {parts.hostname} in time") from None
        raise ConnectionError(f"{type(exc).__name__} from {parts.hostname}") from None
    finally:
        if sock is not None:
            sock.close()


def _answer(stream: Any) -> Answer:
    """The status and body of the answer read from ``stream`` (interim 1xx answers skipped)."""
    while True:
        status_line = stream.readline(_MOST_HEAD)
        words = status_line.split(None, 2)
        if len(words) < 2 or not words[0].startswith(b"HTTP/1.") or not words[1].isdigit():
            raise NotHttp(status_line[:40])
        status = int(words[1])
        found: dict[bytes, bytes] = {}
        read = len(status_line)
        while (line := stream.readline(_MOST_HEAD)) not in (b"\r\n", b"\n", b""):
            read += len(line)
            if read > _MOST_HEAD:
                raise NotHttp("headers too long")
            name, _, value = line.partition(b":")
            found[name.strip().lower()] = value.strip()
        if not 100 <= status < 200:
            break
    if b"chunked" in found.get(b"transfer-encoding", b"").lower():
        return Answer(status, _chunks(stream))
    if b"content-length" in found:
        length = int(found[b"content-length"])  # a ValueError: not HTTP
        content = stream.read(length)
        if len(content) != length:
            raise NotHttp("the answer ended early")
        return Answer(status, content)
    return Answer(status, stream.read())


def _chunks(stream: Any) -> bytes:
    """A chunked body, its trailer read past."""
    content = bytearray()
    while True:
        size = int(stream.readline(_MOST_HEAD).split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            break
        chunk = stream.read(size)
        if len(chunk) != size or stream.readline(_MOST_HEAD) not in (b"\r\n", b"\n"):
            raise NotHttp("a chunk ended early")
        content += chunk
    while stream.readline(_MOST_HEAD) not in (b"\r\n", b"\n", b""):
        pass
    return bytes(content)
