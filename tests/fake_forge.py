"""What the fake forges (fake_github.py, fake_gitlab.py) share: a threaded HTTP server on 127.0.0.1 and its
lifecycle, and the transport faults every answer goes through (``hang``: never answer; ``drip``: a byte every
``drip`` seconds; ``die_mid_body``: half the body, then the connection closed; an answer of None: the
connection dropped). A fake says its ``name`` and answers in ``answer(method, target, headers, body)``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, Self

from localserver import LocalServer

Answer = tuple[int, dict[str, str], bytes]


class FakeForge:
    name: ClassVar[str] = "fake-forge"

    def __init__(self) -> None:
        self.hang = False  # accept every request, never answer
        self.hung = 0  # requests accepted and left unanswered while `hang` was set
        self.drip: float | None = None  # send every answer one byte per `drip` seconds
        self.die_mid_body = False  # every answer stops half-way through its body
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        self._server = LocalServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Answer | None:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(fake: FakeForge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10
        # TCP_NODELAY: the body follows the headers at once, not after the client's delayed ACK (~40 ms a
        # request); latency is the fake's `latency` knob's alone.
        disable_nagle_algorithm = True

        def _serve(self, method: str) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if fake.hang:
                with fake._lock:
                    fake.hung += 1
                fake._stopped.wait(60)
                self.close_connection = True
                return
            result = fake.answer(method, self.path, headers, body)
            if result is None:
                self.close_connection = True
                return
            status, extra, payload = result
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if fake.die_mid_body:
                self.wfile.write(payload[: len(payload) // 2])
                self.close_connection = True
            elif fake.drip is not None:
                for i in range(len(payload)):
                    if fake._stopped.wait(fake.drip):
                        break
                    self.wfile.write(payload[i : i + 1])
                    self.wfile.flush()
            elif payload:
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # an answer past the client's timeout
                    self.close_connection = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler
