"""Headless Debian Chromium through Playwright (nothing downloaded), and a static file server on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dailydiff.site import Site
from localserver import LocalServer
from required import missing

CHROMIUM = os.environ.get("DAILYDIFF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = Path(__file__).parent / "artifacts"
# Screenshots no assertion reads (one per chart, to look at) are taken only when asked for.
EVERY_PICTURE = os.environ.get("DAILYDIFF_ARTIFACTS") == "1"


@contextmanager
def chromium() -> Iterator[Any]:
    """The browser; absent Chromium fails the run in CI and skips, with the reason, elsewhere."""
    if not Path(CHROMIUM).is_file():
        missing("chromium", f"{CHROMIUM} not found")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


_DAY_FILE = re.compile(r"^repos/[^/]+/(\d{4}-\d{2}-\d{2})\.(html|json)$")


def write_chart_pages(site: Site, out: Path) -> None:
    """The pages of ``site`` as ``build_site`` writes them (same renderers, same paths), but of the day
    pages (HTML and JSON) only each repository's newest: the chart tests open no other, and the others
    take most of a build's time. Every picture (the day pictures included), week and repository page, the
    index and the assets are written."""
    pages = site.pages()
    newest: dict[str, str] = {}
    for path in pages:
        if day := _DAY_FILE.match(path):
            folder = path.rsplit("/", 1)[0]
            newest[folder] = max(newest.get(folder, ""), day.group(1))
    for path, render in pages.items():
        day = _DAY_FILE.match(path)
        if day and day.group(1) != newest[path.rsplit("/", 1)[0]]:
            continue
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(), encoding="utf-8")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = LocalServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class PageWatch:
    """Everything a page does that a test wants to know about: dialogs, errors, failed requests."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None
        )
        page.on("request", self._request)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        url = request.url
        if not url.startswith(("http://127.0.0.1", "file://", "data:")):
            self.external.append(url)
