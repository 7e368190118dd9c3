"""The HTTP servers the tests run on 127.0.0.1 (the fakes of GitHub, GitLab, the model endpoint, the
webhook receiver, the pages a browser reads): socketserver's, with a listening socket that never blocks.

socketserver accepts a connection once its selector says one is waiting. Where none is there by the time
it asks (seen at the end of a test: the serving thread stuck in ``accept()`` and ``shutdown()`` waiting for
it until the test's timeout), a blocking ``accept()`` waits for the next connection, which never comes. Not
blocking, that ``accept()`` fails at once, socketserver goes back to its loop, and ``shutdown()`` returns.
The connections it accepts block as before."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LocalServer(ThreadingHTTPServer):
    def server_activate(self) -> None:
        super().server_activate()
        self.socket.setblocking(False)
