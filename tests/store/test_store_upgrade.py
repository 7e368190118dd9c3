"""The first command after an upgrade whose migration rebuilds the search index says so on stderr, once,
before the wait, with the store's location scrubbed: `search` (text and --json), `report` (--quiet: nothing;
--log-format json: a log line), `ask`, `weekly`, `site build` and `publish` (--quiet: nothing), `mcp` (stdout
is its protocol) and a PostgreSQL store whose URL has a password. A new store, an up-to-date one, or one with
only quick migrations pending says nothing. Two commands opening a store being upgraded: the index is rebuilt
once, and the second waits for it (PostgreSQL: past lock_timeout). Real commands in subprocesses, as a user
runs them after `pip install -U dailydiff`."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from dailydiff.store import Store, redact_url
from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import REPO_ROOT, cli_env
from publish_reports import make_report

REINDEX = "m014_search_terms_reindex"
NOTICE = "upgrading the store at"
DAY = dt.date(2026, 3, 2)


def _stored(location: str, days: int = 3, commits: int = 8) -> None:
    """A store with ``days`` reports of ``commits`` commits (titles with the word "heading" among others)."""
    with Store.connect(location) as store:
        for day in range(days):
            report = make_report(commits)
            store.save_report(report.model_copy(update={"date": report.date + dt.timedelta(days=day)}))


def _as_before(location: str, *statements: str, forget: Sequence[str] = (REINDEX,)) -> None:
    """The store as the version before the ``forget`` migrations left it (their records gone, and what
    ``statements`` undo)."""
    sql = [*statements, *(f"DELETE FROM migrations WHERE name = '{name}'" for name in forget)]
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as pg:
            for statement in sql:
                pg.execute(statement.encode())
        return
    db = sqlite3.connect(location)
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()


def _cli(*args: str, cwd: Path, merged: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m dailydiff ARGS``; ``merged``: stderr into stdout, in the order they were written."""
    done = subprocess.run([sys.executable, "-m", "dailydiff", *args], cwd=cwd, env=cli_env(**env),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + (done.stderr or "")
    return done


def _notices(text: str) -> list[str]:
    return [line for line in text.splitlines() if NOTICE in line]


def test_search_after_an_upgrade_says_once_before_its_results_that_it_rebuilds_the_index(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location)
    _as_before(location)
    first = _cli("search", "heading", "--data-dir", str(data), cwd=tmp_path, merged=True)
    lines = first.stdout.splitlines()
    assert _notices(first.stdout) == [
        f"dailydiff: upgrading the store at {location}: rebuilding the search index (once, 3 reports)…"
    ]
    results = [n for n, line in enumerate(lines) if line.startswith(" 1. [")]
    assert results and lines.index(_notices(first.stdout)[0]) < results[0]  # said before the wait, not after
    with Store.connect(location) as store:
        assert REINDEX in store.applied_migrations()
    again = _cli("search", "heading", "--data-dir", str(data), cwd=tmp_path)
    assert again.stdout.startswith(" 1. [") and _notices(again.stderr) == []  # said once, not every run
    _as_before(location)
    as_json = _cli("search", "heading", "--json", "--data-dir", str(data), cwd=tmp_path)
    assert json.loads(as_json.stdout)["commits"] and NOTICE not in as_json.stdout  # stdout stays JSON
    assert len(_notices(as_json.stderr)) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["ask", "heading", "--no-llm"],
        ["weekly", "sgl-project/sglang", "--week", "2026-W05"],
        ["site", "build"],
    ],
    ids=["ask", "weekly", "site-build"],
)
def test_the_other_commands_that_read_the_store_say_it_too(tmp_path: Path, command: list[str]) -> None:
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location)
    _as_before(location)
    said = _cli(*command, "--data-dir", str(data), cwd=tmp_path)
    assert _notices(said.stderr) == [
        f"dailydiff: upgrading the store at {location}: rebuilding the search index (once, 3 reports)…"
    ]
    assert NOTICE not in said.stdout


def test_site_build_and_publish_keep_it_back_with_quiet(tmp_path: Path) -> None:
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location)
    _as_before(location)
    assert _cli("site", "build", "--quiet", "--data-dir", str(data), cwd=tmp_path).stderr == ""
    _as_before(location)
    (tmp_path / "dailydiff.toml").write_text(
        '[[publish]]\ntype = "files"\ndirectory = "out"\nformats = ["md"]\n', encoding="utf-8"
    )
    publish = ["publish", "sgl-project/sglang", "--date", "2026-01-27", "--data-dir", str(data)]
    assert _cli(*publish, "--quiet", cwd=tmp_path).stderr == ""
    with Store.connect(location) as store:
        assert REINDEX in store.applied_migrations()  # it ran, without a word
    _as_before(location)
    assert len(_notices(_cli(*publish, cwd=tmp_path).stderr)) == 1  # without --quiet: said


def test_report_says_it_unless_quiet_as_a_log_line_in_json_and_not_for_a_new_store_or_a_quick_migration(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat(attention): add a paged KV cache", dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
                                 edits=[FileEdit("attention/decode.py", "def decode():\n    return 1\n")])])  # fmt: skip
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")

    def report(*extra: str) -> subprocess.CompletedProcess[str]:
        return _cli("report", str(repo), "--date", DAY.isoformat(), "--tz", "UTC", "--lang", "en",
                    "--data-dir", str(data), *extra, cwd=tmp_path)  # fmt: skip

    assert _notices(report().stderr) == []  # a new store: its index is built empty, nothing to say
    _as_before(location)
    assert report("--quiet").stderr == ""  # --quiet: errors only on stderr
    with Store.connect(location) as store:
        assert REINDEX in store.applied_migrations()  # it ran, without a word
    _as_before(location)
    logged = [json.loads(line) for line in report("--log-format", "json").stderr.splitlines()]
    [notice] = [record for record in logged if NOTICE in record["message"]]
    assert notice["message"] == (
        f"upgrading the store at {location}: rebuilding the search index (once, 1 report)…"
    )
    # Only a quick migration pending (m015 adds a column): the upgrade is not announced.
    _as_before(location, "ALTER TABLE delivery_ledger DROP COLUMN resends", forget=["m015_delivery_resends"])
    quick = report()
    assert _notices(quick.stderr) == []
    with Store.connect(location) as store:
        assert "m015_delivery_resends" in store.applied_migrations()


def _mcp_session(tmp_path: Path, data: Path, body: Callable[[Any], Awaitable[None]]) -> str:
    """Run ``body`` with an SDK client of `dailydiff mcp` over ``data`` (started as an assistant starts it);
    what the server wrote on stderr."""
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    server = StdioServerParameters(command=sys.executable, args=["-m", "dailydiff", "mcp"], cwd=str(tmp_path),
                                   env={"PYTHONPATH": str(REPO_ROOT / "src"), "HOME": str(tmp_path),
                                        "PATH": os.environ["PATH"], "DAILYDIFF_DATA_DIR": str(data)})  # fmt: skip

    async def main() -> None:
        with (tmp_path / "stderr.txt").open("w") as errlog:
            async with (
                stdio_client(server, errlog=errlog) as (read, write),
                ClientSession(read, write) as client,
            ):
                await client.initialize()
                await body(client)

    anyio.run(main)
    return (tmp_path / "stderr.txt").read_text()


def test_mcp_says_it_on_stderr_and_keeps_stdout_for_the_protocol(tmp_path: Path) -> None:
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location, days=2)
    _as_before(location)
    found: dict[str, Any] = {}

    async def search(client: Any) -> None:
        result = await client.call_tool("search", {"question": "heading"})
        found["search"] = json.loads("\n".join(getattr(p, "text", "") for p in result.content))

    stderr = _mcp_session(tmp_path, data, search)
    assert found["search"]["commits"]  # the protocol on stdout went through the upgrade untouched
    assert _notices(stderr) == [
        f"dailydiff: upgrading the store at {location}: rebuilding the search index (once, 2 reports)…"
    ]


def test_mcp_upgrades_the_store_as_it_starts_not_at_the_first_call(tmp_path: Path) -> None:
    """An assistant starts `dailydiff mcp` with the editor and asks later: the upgrade a new version needs is
    done beside the handshake, so the first call does not carry it (and may not time out)."""
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location, days=2)
    _as_before(location)
    applied: list[bool] = []

    def upgraded() -> bool:
        db = sqlite3.connect(location, timeout=30)
        try:
            return bool(db.execute("SELECT 1 FROM migrations WHERE name = ?", (REINDEX,)).fetchone())
        finally:
            db.close()

    async def wait(client: Any) -> None:
        await client.list_tools()
        for _ in range(600):  # no tool called: the server upgrades the store on its own
            if upgraded():
                break
            await anyio.sleep(0.05)
        applied.append(upgraded())

    stderr = _mcp_session(tmp_path, data, wait)
    assert applied == [True]
    assert len(_notices(stderr)) == 1


@pytest.mark.slow
def test_doctor_waits_for_an_upgrade_it_began_instead_of_cutting_it_off(tmp_path: Path) -> None:
    """`doctor --deadline 1` on a store whose index a new version rebuilds (some 3 s here): the data
    directory's check began the upgrade and said so; it is waited for, not cut off at the deadline (which
    rolled it back, and the next command began it again)."""
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location, days=1000)
    _as_before(location)
    done = subprocess.run([sys.executable, "-m", "dailydiff", "doctor", "--deadline", "1", "--data-dir", str(data)],
                          cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert len(_notices(done.stderr)) == 1, done.stderr
    assert "data directory" in done.stdout and "no answer within" not in done.stdout, done.stdout
    with sqlite3.connect(location) as db:
        assert db.execute("SELECT 1 FROM migrations WHERE name = ?", (REINDEX,)).fetchone()
    again = subprocess.run([sys.executable, "-m", "dailydiff", "search", "heading", "--data-dir", str(data)],
                           cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert _notices(again.stderr) == []


@pytest.mark.slow
def test_a_postgres_store_is_named_without_its_password(tmp_path: Path, pg_url: str) -> None:
    from pgserver import PASSWORD

    _stored(pg_url)
    _as_before(pg_url)
    first = _cli("search", "heading", cwd=tmp_path, DAILYDIFF_STORE_URL=pg_url)
    shown = redact_url(pg_url)  # postgresql://***@127.0.0.1:…/…
    assert _notices(first.stderr) == [
        f"dailydiff: upgrading the store at {shown}: rebuilding the search index (once, 3 reports)…"
    ]
    assert PASSWORD not in first.stdout + first.stderr and first.stdout.startswith(" 1. [")
    again = _cli("search", "heading", cwd=tmp_path, DAILYDIFF_STORE_URL=pg_url)
    assert _notices(again.stderr) == [] and again.stdout.startswith(" 1. [")


class _RebuildCounter:
    """Counts, in the thread that opens a store, the search index's rebuilds (``rebuild_index`` calls) and the
    reports they index (``index_report`` calls): the rebuild's work itself, whether its transaction commits
    or is rolled back after (a second rebuild is rolled back: it leaves nothing in the store to count)."""

    def __init__(self) -> None:
        from dailydiff.store import search

        self.codes = {search.rebuild_index.__code__: "rebuilds", search.index_report.__code__: "reports"}
        self.seen = {"rebuilds": 0, "reports": 0}

    def __call__(self, frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code in self.codes:
            self.seen[self.codes[frame.f_code]] += 1

    def opening(self, location: str, on_slow: Callable[[str], None] | None = None) -> dict[str, int]:
        sys.setprofile(self)
        try:
            Store.connect(location, on_slow=on_slow).close()
        finally:
            sys.setprofile(None)
        return self.seen


def test_a_command_that_waited_while_another_rebuilt_the_index_does_not_rebuild_it_again(
    tmp_path: Path,
) -> None:
    """Two commands open a SQLite store just upgraded (a cron run and a search; a plan's workers): one
    rebuilds the index, the other waits for its lock, then finds the migration done and does not rebuild
    the index again (only to roll it back), which doubled everyone's wait. Checked by counting the rebuild's
    work in the waiting opener (calls of the rebuild and of the reports it indexes): none, where an opener
    that did not wait makes one rebuild of every report. Mutant it kills: the re-check of the migrations
    table after the lock (store/sqlite.py ``_migrate``) removed: the waiter rebuilds once (1, 5) and rolls it
    back."""
    data = tmp_path / "data"
    location = str(data / "dailydiff.sqlite3")
    _stored(location, days=5, commits=4)
    _as_before(location)
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(location, copy)
    assert _RebuildCounter().opening(str(copy)) == {"rebuilds": 1, "reports": 5}  # what a rebuild does

    # The other command, in the middle of its migrations: it holds the store's write lock.
    other = sqlite3.connect(location, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    told = threading.Event()
    seen: dict[str, int] = {}
    waiter = threading.Thread(
        target=lambda: seen.update(_RebuildCounter().opening(location, lambda _: told.set()))
    )
    waiter.start()
    # Told once it has read the migrations still to apply (REINDEX among them), before it takes the lock: the
    # record below comes after that read, whether it then waits for the lock or finds it free.
    assert told.wait(60)
    other.execute(
        "INSERT INTO migrations (name, applied_at) VALUES (?, '2026-11-24T00:00:00+00:00')", (REINDEX,)
    )
    other.execute("COMMIT")
    other.close()
    waiter.join(120)
    assert not waiter.is_alive()
    assert seen == {"rebuilds": 0, "reports": 0}
    with Store.connect(location) as store:
        assert REINDEX in store.applied_migrations()


@pytest.mark.slow
def test_a_command_waits_past_lock_timeout_for_another_upgrading_a_postgres_store(
    tmp_path: Path, pg_url: str
) -> None:
    """A command that opens a PostgreSQL store while another command upgrades it waits for that upgrade (a
    rebuild of the index: 15 s on 6,582 commits) as long as a statement may, not [store] lock_timeout (10 s,
    meant for a row another session holds): it ended in "locked by another session" with exit 4."""
    import psycopg

    from dailydiff.store.postgres import _MIGRATION_LOCK

    _stored(pg_url)
    _as_before(pg_url)
    with psycopg.connect(pg_url) as other:  # the other command, in the middle of its upgrade
        other.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        env = cli_env(DAILYDIFF_STORE_URL=pg_url, DAILYDIFF_STORE_LOCK_TIMEOUT="1")
        waiting = subprocess.Popen([sys.executable, "-m", "dailydiff", "search", "heading"], cwd=tmp_path, env=env,
                                   text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        assert waiting.stderr is not None and NOTICE in waiting.stderr.readline()  # said, then it waits
        time.sleep(3)  # three times lock_timeout
        other.commit()
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0 and out.startswith(" 1. ["), err
    with Store.connect(pg_url) as store:
        assert REINDEX in store.applied_migrations()


def test_a_store_from_before_two_rebuilding_migrations_is_rebuilt_once(tmp_path: Path) -> None:
    """m014 and m016 both rebuild the index by today's rules: a store missing both is rebuilt once (each row
    written once, counted by a trigger of the test's own), both recorded, and its index complete."""
    location = str(tmp_path / "dailydiff.sqlite3")
    _stored(location)
    rows = sqlite3.connect(location).execute("SELECT COUNT(*) FROM search_docs").fetchone()[0]
    counter = ("CREATE TABLE written (n INTEGER)",
               "CREATE TRIGGER count_written AFTER INSERT ON search_docs BEGIN INSERT INTO written VALUES (1); END")  # fmt: skip
    _as_before(location, *counter, forget=(REINDEX, "m016_search_numbered_names"))
    with Store.connect(location) as store:
        assert {REINDEX, "m016_search_numbered_names"} <= set(store.applied_migrations())
        assert store.search_term_counts([])[0] == rows
    db = sqlite3.connect(location)
    assert db.execute("SELECT COUNT(*) FROM written").fetchone()[0] == rows > 0
