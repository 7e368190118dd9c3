"""`dailydiff serve`: pages from the store over real HTTP, re-rendered when reports change, and the JSON API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from dailydiff.models import Overview
from dailydiff.render.json import load_report
from dailydiff.settings import load_settings
from dailydiff.site import MANIFEST, build_site
from dailydiff.store import Store
from dailydiff.web import SiteCache, create_app
from netports import free_port
from sitefixtures import DAY1, DAY2, Fixture, real_reports
from webserver import serving

SRC = Path(__file__).resolve().parents[2] / "src"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return real_reports(tmp_path_factory.mktemp("serve"), language="zh", name="demo/engine")


@pytest.fixture
def served(fixture: Fixture) -> Iterator[tuple[str, SiteCache]]:
    store = Store.open(fixture.data_dir)
    cache = SiteCache(
        store, load_settings(environ={}, cwd=Path("/"), overrides={"site": {"title": "served"}})
    )
    try:
        with serving(create_app(cache)) as url:
            yield url, cache
    finally:
        store.close()


def test_pages_are_served_with_etags_and_security_headers(served: tuple[str, SiteCache]) -> None:
    url, _cache = served
    status, headers, body = get(url + "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "demo/engine" in body.decode() and "<title>served</title>" in body.decode()
    assert (
        "script-src 'self'" in headers["content-security-policy"]
        and headers["x-content-type-options"] == "nosniff"
    )
    status, headers, body = get(f"{url}/repos/demo--engine/{DAY2}.html")
    assert status == 200 and f"每日更新报告（{DAY2}）" in body.decode()
    status, _h, _b = get(f"{url}/repos/demo--engine/{DAY2}.html", {"If-None-Match": headers["etag"]})
    assert status == 304
    for path, kind in [("/assets/site.js", "text/javascript"), ("/feed.xml", "application/atom+xml"),
                       (f"/assets/search/{DAY2.isoformat()[:7]}.js", "text/javascript"), ("/assets/site.css", "text/css")]:  # fmt: skip
        status, headers, _body = get(url + path)
        assert status == 200 and headers["content-type"].startswith(kind), path
    status, headers, _body = get(url + "/repos/demo--engine/")
    assert status == 200
    assert get(url + "/repos/demo--engine")[0] == 200  # redirected to the directory's index
    assert get(url + "/nope.html")[0] == 404


def test_served_pages_are_the_static_build(served: tuple[str, SiteCache], tmp_path: Path) -> None:
    url, cache = served
    site, _reports = cache.snapshot()
    build_site(site, tmp_path)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != MANIFEST]
    assert len(files) > 10
    for path in files:
        status, _headers, body = get(f"{url}/{path.relative_to(tmp_path).as_posix()}")
        assert status == 200 and body == path.read_bytes(), path


def test_pages_are_rerendered_when_a_report_changes(tmp_path: Path) -> None:
    own = real_reports(tmp_path, language="zh", name="demo/engine")  # this test writes to its store
    with Store.open(own.data_dir) as store:
        cache = SiteCache(store, load_settings(environ={}, cwd=Path("/")))
        with serving(create_app(cache)) as url:
            page = f"{url}/repos/demo--engine/{DAY2}.html"
            _s, first_headers, first = get(page)
            get(page)
            assert cache.reloads == 1  # nothing changed: the cached layout and page are reused
            # Another connection (as a `dailydiff report` run would) rewrites the day and adds a new one.
            report = own.reports[-1]
            changed = report.model_copy(update={"overview": Overview(highlights=["A brand new highlight"])})
            with Store.open(own.data_dir) as writer:
                writer.save_report(changed)
                writer.save_report(report.model_copy(update={"date": DAY2.replace(day=28)}))
            status, headers, body = get(page)
            assert status == 200 and "A brand new highlight" in body.decode() and body != first
            assert headers["etag"] != first_headers["etag"]
            index = get(url + "/")[2].decode()
            assert "2026-01-28" in index and "A brand new highlight" in index  # no summary of the old text
            assert get(f"{url}/repos/demo--engine/2026-01-28.html")[0] == 200
            assert cache.reloads == 2


def test_json_api_for_reports_and_commits(served: tuple[str, SiteCache], fixture: Fixture) -> None:
    url, _cache = served
    status, _h, body = get(url + "/api/reports")
    items = json.loads(body)["reports"]
    assert status == 200 and [(i["repo"], i["date"]) for i in items] == [
        ("demo/engine", str(DAY1)),
        ("demo/engine", str(DAY2)),
    ]
    assert items[1]["page"] == f"/repos/demo--engine/{DAY2}.html" and items[1]["high"] == 1
    status, _h, body = get(f"{url}/api/reports/demo/engine/{DAY2}")
    assert status == 200 and load_report(body) == fixture.reports[-1]
    status, _h, body = get(url + "/api/commits?q=attn_0")
    commits = json.loads(body)["commits"]
    assert (
        status == 200 and len(commits) == 1 and commits[0]["title"] == "perf: vectorise the attention kernel"
    )
    sha = commits[0]["sha"]
    assert commits[0]["page"] == f"/repos/demo--engine/{DAY2}.html#c-{sha[:7]}"
    status, _h, body = get(url + "/api/commits?level=low&repo=demo/engine")
    assert {c["level"] for c in json.loads(body)["commits"]} == {"low"}
    status, _h, body = get(f"{url}/api/commits/demo/engine/{sha[:7]}")
    item = json.loads(body)
    assert status == 200 and item["commit"]["sha"] == sha and item["date"] == str(DAY2)
    assert get(f"{url}/api/commits/demo/engine/0000000")[0] == 404
    assert get(f"{url}/api/reports/demo/engine/1999-01-01")[0] == 404
    assert get(f"{url}/api/commits?limit=x")[0] == 400


def _cli_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    env.pop("DAILYDIFF_DATA_DIR", None)
    return env


@pytest.mark.slow
def test_cli_serve_starts_serves_and_stops(fixture: Fixture, tmp_path: Path) -> None:
    port = free_port()  # a real process: started, then stopped with Ctrl-C
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailydiff", "serve", "--port", str(port), "--data-dir", str(fixture.data_dir)],
        cwd=tmp_path, env=_cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        status = 0
        while time.monotonic() < deadline:
            try:
                status = get(f"http://127.0.0.1:{port}/api/reports")[0]
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        assert get(f"http://127.0.0.1:{port}/repos/demo--engine/{DAY1}.html")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert f"serving http://127.0.0.1:{port}/" in err
    assert "Traceback" not in err
    # Ctrl-C is how the line above says to stop it: a calm last line, not an error; exit 130 as documented
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "dailydiff: stopped by Ctrl-C", err


@pytest.mark.slow
@pytest.mark.parametrize(("host", "foreign"), [("127.0.0.1", 421), ("0.0.0.0", 200)])
def test_cli_serve_host_checks_the_host_header_only_on_loopback(
    fixture: Fixture, tmp_path: Path, host: str, foreign: int
) -> None:
    # On loopback a page of another site re-pointed at 127.0.0.1 (DNS rebinding) is refused; on a public
    # address the user names the hosts in front of it (a proxy), so no Host header is refused.
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailydiff", "serve", "--host", host, "--port", str(port), "--data-dir",
         str(fixture.data_dir)],
        cwd=tmp_path, env=_cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url, status = f"http://127.0.0.1:{port}/api/reports", 0
        for _ in range(200):  # until it listens (or 20 s)
            try:
                status = get(url)[0]
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        assert get(url, {"Host": "reports.example.com"})[0] == foreign
        assert get(url, {"Host": f"localhost:{port}"})[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert f"serving http://{host}:{port}/" in err and "Traceback" not in err


def test_cli_serve_errors_are_one_line(fixture: Fixture, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = dailydiff("serve", "--port", str(port), "--data-dir", str(fixture.data_dir), cwd=tmp_path,
                         env=_cli_env())  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr.startswith(f"dailydiff: error: cannot listen on 127.0.0.1:{port}")
        and "— choose another" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1
    done = dailydiff("serve", "--data-dir", str(tmp_path / "none"), cwd=tmp_path, env=_cli_env())
    assert done.returncode == 4 and done.stderr.startswith("dailydiff: error: no store at ")


def test_item07_json_api_errors_are_json(served: tuple[str, SiteCache]) -> None:
    url, _ = served
    for path, code, error in [
        ("/api/unknown", 404, "no API at /api/unknown"),
        ("/api", 404, "no API at /api"),
        ("/api/reports/demo/engine/2001-01-01", 404, "report not found"),
        ("/api/commits/demo/engine/abc", 400, "give at least 7 characters of the sha"),  # a bad request
    ]:
        status, headers, body = get(url + path)
        assert status == code, path
        assert headers["content-type"].startswith("application/json"), path
        assert json.loads(body)["error"] == error, path
    request = urllib.request.Request(url + "/api/reports", data=b"{}", method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("POST must be refused")
    except urllib.error.HTTPError as exc:
        with exc:
            assert exc.code == 405
            assert exc.headers["content-type"].startswith("application/json")
            assert json.loads(exc.read())["error"]
    # Pages keep their HTML 404.
    status, headers, _ = get(url + "/no-such-page.html")
    assert status == 404 and headers["content-type"].startswith("text/html")


def test_search_over_the_store_as_a_page_without_javascript_and_as_json(
    served: tuple[str, SiteCache],
) -> None:
    url, _cache = served
    status, _h, body = get(url + "/api/search?q=attention+kernel&limit=3")
    found = json.loads(body)
    assert status == 200 and found["indexed"] > 0
    top = found["commits"][0]
    assert top["title"] == "perf: vectorise the attention kernel" and top["rank"] == 1
    assert top["page"] == f"/repos/demo--engine/{DAY2}.html#c-{top['sha'][:7]}"
    assert get(url + top["page"].split("#")[0])[0] == 200  # the link leads to the commit's day page
    status, headers, page = get(url + "/search?q=attention+kernel")
    html = page.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    results = html.split('<ol id="search-results" class="results">', 1)[1].split("</ol>", 1)[0]
    # The server's results are in the page itself: no script has to run to show them.
    assert "perf: vectorise the attention kernel" in results and top["page"] in results
    assert get(url + "/api/search?q=x&from=yesterday")[0] == 400
    assert json.loads(get(url + "/api/search?q=attention&repo=nobody/else")[2])["commits"] == []
