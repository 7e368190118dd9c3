"""`dailydiff store copy`: SQLite → PostgreSQL → SQLite without loss, resumable; `serve` over PostgreSQL
answers as over SQLite. Real PostgreSQL (tests/pgserver.py), real git repositories, real reports."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailydiff.cli.app import app
from dailydiff.render import render_json
from dailydiff.settings import load_settings
from dailydiff.store import Store
from dailydiff.store.sqlite import DB_NAME
from dailydiff.web import SiteCache, create_app
from dailyrepos import build_daily_repo
from fixtures import build_day_reports
from pgserver import PASSWORD
from webserver import serving

SRC = Path(__file__).resolve().parents[2] / "src"
FIRST = dt.date(2026, 1, 1)
DAYS = 30


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 repositories × 30 days of reports, built by the real pipeline (git source, heuristic analyser)."""
    root = tmp_path_factory.mktemp("copy")
    data = root / "data"
    dates = [FIRST + dt.timedelta(days=d) for d in range(DAYS)]
    for name in ("alpha", "beta", "gamma"):
        build_daily_repo(root / name, FIRST, DAYS, per_day=2)
        build_day_reports(root / name, data, dates, "en", dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    return data


def _copy(runner: CliRunner, src: str, dst: str, env: dict[str, str]) -> str:
    result = runner.invoke(app, ["store", "copy", src, dst], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _json_reports(store: Store) -> dict[tuple[str, dt.date, str], str]:
    return {(r.repo, r.date, r.language): render_json(r) for r in store.iter_reports()}


@pytest.mark.slow
def test_sqlite_to_postgres_and_back_is_lossless_and_resumable(
    sqlite_store: Path, pg_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"PG": pg_url}
    out = _copy(runner, str(sqlite_store), "env:PG", env)
    assert PASSWORD not in out and "postgresql://***@127.0.0.1" in out
    with Store.connect(sqlite_store / DB_NAME) as src, Store.connect(pg_url) as pg:
        assert len(src.list_reports()) == 3 * DAYS
        assert pg.table_counts() == src.table_counts()
        expected = _json_reports(src)
        assert _json_reports(pg) == expected  # the JSON reports, byte for byte
        # An interrupted copy: the destination holds part of the rows; running again completes it.
        with pg._tx():
            pg._db.execute("DELETE FROM reports WHERE date > ?", ("2026-01-15",))
            pg._db.execute("DELETE FROM analyses WHERE repo = ?", ("beta",))
    again = _copy(runner, str(sqlite_store), "env:PG", env)
    assert "reports 45" in again and "analyses " in again  # what was missing: days 16-30 of 3 repositories
    back = tmp_path / "back"
    _copy(runner, "env:PG", str(back), env)
    with Store.connect(sqlite_store / DB_NAME) as src, Store.connect(back / DB_NAME) as copy:
        assert copy.table_counts() == src.table_counts()
        assert _json_reports(copy) == expected
        assert sorted(_rows(copy, "analyses")) == sorted(_rows(src, "analyses"))
        assert sorted(_rows(copy, "commits")) == sorted(_rows(src, "commits"))


def _rows(store: Store, table: str) -> list[tuple[object, ...]]:
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in store._db.execute(f"SELECT * FROM {table}")]  # fmt: skip


def test_copy_counts_the_rows_it_copied_not_the_rows_it_read(tmp_path: Path) -> None:
    root = tmp_path / "small"
    build_daily_repo(root / "alpha", FIRST, 2, per_day=2)
    build_day_reports(root / "alpha", root / "data", [FIRST, FIRST + dt.timedelta(days=1)], "en",
                      dt.datetime(2026, 2, 1, tzinfo=dt.UTC))  # fmt: skip
    runner = CliRunner()
    first = _copy(runner, str(root / "data"), str(tmp_path / "copy"), {})
    assert re.search(r"^copied (\d+) new row\(s\) of \1 read \(.*reports 2\b", first, re.M), first
    again = _copy(runner, str(root / "data"), str(tmp_path / "copy"), {})
    assert re.search(r"^nothing new to copy \(\d+ row\(s\) read, every one already there\)", again, re.M), (
        again
    )
    assert "copied" not in again


def test_copy_errors_are_one_line(tmp_path: Path, pg_url: str) -> None:
    runner = CliRunner()
    same = runner.invoke(app, ["store", "copy", str(tmp_path), str(tmp_path)])
    assert same.exit_code == 2 and "same store" in same.output
    missing = runner.invoke(app, ["store", "copy", str(tmp_path / "none"), "env:PG"], env={"PG": pg_url})
    assert missing.exit_code == 4 and "no store at" in missing.output
    unset = runner.invoke(app, ["store", "copy", str(tmp_path), "env:NOT_SET_ANYWHERE"])
    assert unset.exit_code == 2 and "NOT_SET_ANYWHERE is not set" in unset.output
    wrong = pg_url.replace(PASSWORD, "wrong-password")
    Store.connect(tmp_path / DB_NAME).close()
    refused = runner.invoke(app, ["store", "copy", str(tmp_path), wrong])
    assert refused.exit_code == 4 and "password authentication failed" in refused.output
    assert "wrong-password" not in refused.output and len(refused.output.strip().splitlines()) == 1


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def _api_answers(base: str) -> dict[str, bytes]:
    listing = _get(base + "/api/reports")
    answers = {"/api/reports": listing}
    for entry in json.loads(listing)["reports"]:
        answers[entry["api"]] = _get(base + entry["api"])
    commits = _get(base + "/api/commits?limit=1000")
    answers["/api/commits"] = commits
    for item in json.loads(commits)["commits"][:20]:
        path = f"/api/commits/{item['repo']}/{item['sha']}"
        answers[path] = _get(base + path)
    return answers


@pytest.mark.slow
def test_serve_over_postgres_answers_as_over_sqlite(sqlite_store: Path, pg_url: str, tmp_path: Path) -> None:
    with Store.connect(sqlite_store / DB_NAME) as src, Store.connect(pg_url) as pg:
        src.copy_to(pg)

    answers = []
    for location in (str(sqlite_store / DB_NAME), pg_url):
        with Store.connect(location) as store:
            cache = SiteCache(
                store, load_settings(environ={}, cwd=Path("/"), overrides={"site": {"title": "t"}})
            )
            with serving(create_app(cache)) as url:
                answers.append(_api_answers(url))
    assert len(answers[0]) > 3 * DAYS
    assert answers[0] == answers[1]


@pytest.mark.slow
def test_the_serve_command_reads_a_postgres_store(sqlite_store: Path, pg_url: str, tmp_path: Path) -> None:
    with Store.connect(sqlite_store / DB_NAME) as src, Store.connect(pg_url) as pg:
        src.copy_to(pg)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(SRC), "DAILYDIFF_STORE_URL": pg_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailydiff", "serve", "--port", str(port), "--data-dir", str(tmp_path / "empty")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        listing = b""
        while time.monotonic() < deadline and not listing:
            try:
                listing = _get(f"http://127.0.0.1:{port}/api/reports")
            except OSError:
                time.sleep(0.1)
        assert len(json.loads(listing)["reports"]) == 3 * DAYS
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert "Traceback" not in err and PASSWORD not in err


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_site_build_and_weekly_read_a_postgres_store_as_sqlite(
    sqlite_store: Path, pg_url: str, tmp_path: Path
) -> None:
    with Store.connect(sqlite_store / DB_NAME) as src, Store.connect(pg_url) as pg:
        src.copy_to(pg)
    runner = CliRunner()
    outputs = []
    for name, env, data in (
        ("sqlite", {}, sqlite_store),
        ("pg", {"DAILYDIFF_STORE_URL": pg_url}, tmp_path / "x"),
    ):
        site, weekly = tmp_path / name / "site", tmp_path / name / "weekly"
        built = runner.invoke(app, ["site", "build", "-q", "-o", str(site), "--data-dir", str(data)], env=env)
        assert built.exit_code == 0, built.output
        digest = runner.invoke(app, ["weekly", "alpha", "--week", "2026-W02", "--lang", "en", "--tz", "UTC",
                                     "--format", "md,json", "-o", str(weekly), "--data-dir", str(data)], env=env)  # fmt: skip
        assert digest.exit_code == 0, digest.output
        outputs.append((_tree(site), _tree(weekly)))
    assert len(outputs[0][0]) > 3 * DAYS and len(outputs[0][1]) == 2
    assert _stable(outputs[0]) == _stable(outputs[1])


def _stable(trees: tuple[dict[str, bytes], ...]) -> list[dict[str, bytes]]:
    """Without the generation time (the minute each was written)."""
    moment = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?( UTC|Z|\+00:00)?")
    return [{k: moment.sub(b"<time>", v) for k, v in tree.items()} for tree in trees]


def test_doctor_checks_the_postgres_store(tmp_path: Path, pg_url: str) -> None:
    from opsfixtures import dailydiff

    (tmp_path / "dailydiff.toml").write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    good = dailydiff("doctor", cwd=tmp_path, check=False, env={"DAILYDIFF_STORE_URL": pg_url})
    assert "✓ store: postgresql://***@127.0.0.1:" in good.stdout + good.stderr
    wrong = pg_url.replace(PASSWORD, "not-the-password")
    bad = dailydiff("doctor", cwd=tmp_path, check=False, env={"DAILYDIFF_STORE_URL": wrong})
    text = bad.stdout + bad.stderr
    assert (
        bad.returncode == 1 and "✗ store: cannot connect to the PostgreSQL store at postgresql://***@" in text
    )
    assert "not-the-password" not in text and PASSWORD not in text
