"""The tests' HTTP servers never wait in ``accept()`` for a connection that is not there
(tests/localserver.py): their ``shutdown()`` returns."""

from __future__ import annotations

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler

from localserver import LocalServer


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


def test_an_accept_that_finds_no_connection_returns_and_the_server_still_serves_and_stops() -> None:
    server = LocalServer(("127.0.0.1", 0), _Hello)
    try:
        # What serve_forever does once its selector has woken: with no connection waiting, a blocking
        # socket would hold this thread (and shutdown after it) until the next connection.
        handled = threading.Thread(target=server._handle_request_noblock, daemon=True)
        handled.start()
        handled.join(5)
        assert not handled.is_alive()
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        serving.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.read() == b"hello"
        stopping = threading.Thread(target=server.shutdown, daemon=True)
        stopping.start()
        stopping.join(5)
        serving.join(5)
        assert not stopping.is_alive() and not serving.is_alive()
    finally:
        server.server_close()
