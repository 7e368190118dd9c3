"""Derived data is never a reason to stop (issue 43, items 5 and 6). A search index damaged, dropped or emptied —
on SQLite (its FTS5 shadow table overwritten) and on the real PostgreSQL of tests/pgserver.py — leaves
`report` and `run` at exit 0 with one warning; `search` says what is wrong, `serve` answers "search
unavailable" with the command that fixes it, `store check` exits non-zero before `store reindex` and 0 after,
and the rebuilt index answers exactly as a fresh one built by the same commands. A kept `ask` answer that
cannot be read is asked again, once, and replaced."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dailydiff.settings import load_settings
from dailydiff.store import Store
from dailydiff.web import SiteCache, create_app
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import dailydiff
from webserver import serving

UTC = dt.UTC
DAY1, DAY2, DAY3 = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)
QUESTIONS = ("attention decode", "FP8 GEMM", "sampling NaN", "注意力")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


SPECS = [
    CommitSpec("feat(attention): add a paged KV cache for the decode backend", _at(DAY1, 9),
               edits=[FileEdit("kernels/attention/decode.py", "def decode():\n    return 1\n" * 30)]),
    CommitSpec("fix(sampling): guard top-p search against NaN logits", _at(DAY1, 11),
               edits=[FileEdit("kernels/sampling.py", "def top_p():\n    return 2\n" * 20)]),
    CommitSpec("perf(gemm): faster FP8 GEMM on SM120", _at(DAY2, 12),
               edits=[FileEdit("kernels/gemm/fp8_gemm.py", "def gemm():\n    return 3\n" * 40)]),
    CommitSpec("修复注意力后端在长序列下的越界访问", _at(DAY3, 8),
               edits=[FileEdit("kernels/attention/prefill.py", "def prefill():\n    return 4\n" * 25)]),
]  # fmt: skip

# What a user (or a crash, or another tool) did to the index; each is derived data gone wrong.
SQLITE_DAMAGE = {
    "damaged": "UPDATE search_fts_data SET block = randomblob(length(block)) WHERE id > 1",  # FTS5 shadow table
    "dropped": "DROP TABLE search_fts",
    "emptied": "DELETE FROM search_docs",
}
POSTGRES_DAMAGE = {
    "damaged": "ALTER TABLE search_docs DROP COLUMN tsv",  # its tsvector column gone (GIN index with it)
    "dropped": "DROP TABLE search_docs",
    "emptied": "DELETE FROM search_docs",
}


class World:
    """A repository, a config, and one store (a data directory, or a PostgreSQL database)."""

    def __init__(self, root: Path, repo: Path, url: str = "") -> None:
        self.root, self.repo, self.url = root, repo, url
        self.data = root / "data"
        self.config = root / "dailydiff.toml"
        self.config.write_text(
            f'[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[[repos]]\nsource = "{repo}"\nname = "kernels"\n',
            encoding="utf-8",
        )

    def cli(self, *args: str, **extra: str) -> Any:
        env = {"DAILYDIFF_STORE_URL": self.url, **extra}
        return dailydiff(*args, "--config", str(self.config), "--data-dir", str(self.data), cwd=self.root,
                         env=env, check=False)  # fmt: skip

    def build(self, *days: dt.date) -> None:
        for day in days:
            result = self.cli("run", "--date", day.isoformat(), "--quiet")
            assert result.returncode == 0, result.stderr

    def answers(self) -> list[dict[str, Any]]:
        out = []
        for question in QUESTIONS:
            result = self.cli("search", question, "--json")
            assert result.returncode == 0, result.stderr
            out.append(json.loads(result.stdout))
        return out

    def damage(self, sql: str) -> None:
        if self.url:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as db:
                db.execute(sql.encode())
        else:
            with sqlite3.connect(self.data / "dailydiff.sqlite3") as db:
                db.executescript(sql)

    def open(self) -> Store:
        return Store.connect(self.url) if self.url else Store.open(self.data)


def _worlds(tmp_path: Path, pg: Any | None) -> tuple[World, World]:
    repo = tmp_path / "kernels"
    build_repo(repo, SPECS)
    made = []
    for name in ("damaged", "fresh"):
        (tmp_path / name).mkdir()
        made.append(World(tmp_path / name, repo, pg.create_database() if pg is not None else ""))
    return made[0], made[1]


def _index_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "search index" in line]


def _the_index_heals(world: World, fresh: World, sql: str, case: str) -> None:
    world.build(DAY1, DAY2)
    fresh.build(DAY1, DAY2, DAY3)
    world.damage(sql)

    check = world.cli("store", "check")
    assert check.returncode == 4, check.stderr
    assert "damaged:" in check.stderr and "store reindex" in check.stderr.splitlines()[-1]

    search = world.cli("search", "attention decode")
    lines = search.stderr.strip().splitlines()
    assert search.returncode == 4 and len(lines) == 1, search.stderr
    assert "search index" in lines[0] and "dailydiff store reindex" in lines[0]
    assert "Traceback" not in search.stderr

    with world.open() as store:  # `serve`: the site from the reports, search unavailable with the fix
        cache = SiteCache(store, load_settings(environ={}, cwd=Path("/")))
        with serving(create_app(cache)) as url:
            import urllib.error
            import urllib.request

            with urllib.request.urlopen(url + "/") as page:
                assert page.status == 200
            for path, kind in (("/api/search?q=attention", "json"), ("/search?q=attention", "text")):
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(url + path)
                body = refused.value.read().decode()
                assert refused.value.code == 503, (path, body)
                said = json.loads(body)["error"] if kind == "json" else body
                assert said.startswith("search unavailable:") and "dailydiff store reindex" in said, said

    # The next day, on the damaged index: `report` of it, then `run` (building it again).
    for command in (("report", str(world.repo), "--name", "kernels"), ("run", "--force")):
        built = world.cli(*command, "--date", DAY3.isoformat(), "--tz", "UTC", "--lang", "en")
        assert built.returncode == 0, built.stderr
        warned = _index_lines(built.stderr)
        assert len(warned) == 1 and "warning" in warned[0] and "store reindex" in warned[0], built.stderr
    with world.open() as store:
        assert store.get_report("kernels", DAY3, "en") is not None

    reindex = world.cli("store", "reindex")
    assert reindex.returncode == 0, reindex.stderr
    assert "rebuilt the search index" in reindex.stdout and "4 commit(s) from 3 report(s)" in reindex.stdout
    check = world.cli("store", "check")
    assert check.returncode == 0 and "is sound" in check.stdout, check.stderr
    assert world.answers() == fresh.answers(), case
    again = world.cli("run", "--date", DAY3.isoformat(), "--force")
    assert again.returncode == 0 and not _index_lines(again.stderr), again.stderr


@pytest.mark.parametrize("case", sorted(SQLITE_DAMAGE))
def test_a_damaged_sqlite_search_index_never_stops_a_run_and_store_reindex_heals_it(
    tmp_path: Path, case: str
) -> None:
    damaged, fresh = _worlds(tmp_path, None)
    _the_index_heals(damaged, fresh, SQLITE_DAMAGE[case], case)


@pytest.mark.parametrize("case", sorted(POSTGRES_DAMAGE))
def test_a_damaged_postgres_search_index_never_stops_a_run_and_store_reindex_heals_it(
    tmp_path: Path, pg_server: Any, case: str
) -> None:
    damaged, fresh = _worlds(tmp_path, pg_server)
    _the_index_heals(damaged, fresh, POSTGRES_DAMAGE[case], case)


def test_store_check_finds_index_rows_that_differ_from_their_reports(tmp_path: Path, pg_server: Any) -> None:
    """Rows that are there but wrong: PostgreSQL's terms overwritten, a SQLite row's text changed."""
    on_postgres, _ = _worlds(tmp_path, pg_server)
    (tmp_path / "local").mkdir()
    on_sqlite = World(tmp_path / "local", on_postgres.repo)
    for world, sql, said in (
        (on_postgres, "UPDATE search_docs SET tsv = to_tsvector('simple', 'nothing')", "hold other terms"),
        (on_sqlite, "UPDATE search_docs SET f_title = 'nothing'", "differ from their commit's report"),
    ):
        world.build(DAY1)
        assert world.cli("store", "check").returncode == 0
        world.damage(sql)
        check = world.cli("store", "check")
        assert check.returncode == 4 and said in check.stderr, check.stderr
        assert world.cli("store", "reindex").returncode == 0
        assert world.cli("store", "check").returncode == 0


def _two_days(tmp_path: Path) -> tuple[World, list[str]]:
    repo = tmp_path / "kernels"
    shas = build_repo(repo, SPECS)
    world = World(tmp_path, repo)
    world.build(DAY1, DAY2)
    return world, shas


def _llm_env(fake: FakeLLM) -> dict[str, str]:
    return {
        "DAILYDIFF_LLM_BASE_URL": fake.base_url,
        "DAILYDIFF_LLM_MODEL": fake.model,
        "DAILYDIFF_LLM_API_KEY": "k",
    }


KEPT_LINE = {  # the answer's row is said to be asked again; the search words are asked again quietly
    "ask": ["dailydiff: warning: the kept answer to this question cannot be read (damaged, or written by another "
            "version): asking again"],
    "rewrite": [],
}  # fmt: skip


@pytest.mark.parametrize(
    ("row", "kept"),
    [
        ("ask", "{not json"),
        ("ask", '{"text": "an answer in the shape of another version", "sources": ["abc1234"]}'),
        ("ask", '["a", "list"]'),
        (
            "ask",
            '{"answer": "- a [abc1234]", "cited": "abc1234", "dropped_lines": 0, "language_ok": true, "model": "m"}',
        ),
        ("rewrite", "{not json"),  # these two crashed `ask` (exit 70: JSONDecodeError, KeyError 'words')
        ("rewrite", '{"text": "search words in the shape of another version"}'),
    ],
    ids=["not-json", "other-version", "a-list", "wrong-member", "words-not-json", "words-other-version"],
)
def test_a_kept_answer_that_cannot_be_read_is_asked_again_once_and_replaced(
    tmp_path: Path, row: str, kept: str
) -> None:
    """The answer and the question's rewrite into search words are derived data: a row that cannot be read
    is asked again, once (one warning), and replaced; it never stops `ask`."""
    world, shas = _two_days(tmp_path)

    def canned(body: dict[str, object]) -> str:
        if "words" in json.dumps(body.get("response_format", "")):
            return json.dumps({"words": ["FP8 GEMM", "SM120"]})
        return json.dumps({"answer": f"- FP8 GEMM got faster on SM120 [{shas[2][:7]}]."})

    with FakeLLM(canned=canned) as fake:
        env = _llm_env(fake)
        first = world.cli("ask", "What changed in FP8 GEMM?", **env)
        assert first.returncode == 0 and first.stdout.startswith("- FP8 GEMM got faster"), first.stderr
        with sqlite3.connect(world.data / "dailydiff.sqlite3") as db:
            damaged = db.execute("UPDATE search_answers SET data = ? WHERE key LIKE ?", (kept, f"{row}:%"))
            assert damaged.rowcount == 1
        asked = fake.count
        again = world.cli("ask", "What changed in FP8 GEMM?", **env)
        assert again.returncode == 0, again.stderr
        assert fake.count == asked + 1 and again.stdout == first.stdout
        assert [line for line in again.stderr.splitlines() if "cannot be read" in line] == KEPT_LINE[row]
        third = world.cli("ask", "What changed in FP8 GEMM?", "--json", **env)
        assert fake.count == asked + 1 and json.loads(third.stdout)["llm"]["cached"] is True
    with world.open() as store:
        assert store.check() == []  # replaced: every kept row readable again


_WRITER = """
import datetime as dt, hashlib, sys, time
from pathlib import Path
from dailydiff.store import Store

with Store.open(Path(sys.argv[1])) as store:
    report = store.get_report("kernels", dt.date(2026, 3, 2), "en")
    day = dt.date(2027, 1, 1)
    print("writing", flush=True)
    deadline = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < deadline:  # a new day of new commits each time, as a run writes them
        commits = [c.model_copy(update={"sha": hashlib.sha1(f"{day}{c.sha}".encode()).hexdigest()})
                   for c in report.commits]
        store.save_report(report.model_copy(update={"date": day, "commits": commits}))
        day += dt.timedelta(days=1)
        time.sleep(0.01)
"""


def test_store_check_while_another_process_writes_reports_no_damage(tmp_path: Path) -> None:
    """`store check` reads the reports and the index by many queries; another process saving reports
    meanwhile is no damage (it said "… row(s) of the search index belong to no stored report", exit 4): the
    check finds nothing, or says the store was being written and to run it again (exit 75)."""
    import os
    import subprocess
    import sys

    repo = tmp_path / "kernels"
    build_repo(repo, SPECS)
    world = World(tmp_path, repo)
    world.build(DAY1, DAY2, DAY3)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(world.data), "20"], env=env,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        checks = [world.cli("store", "check") for _ in range(4)]
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    for check in checks:
        assert "damaged" not in check.stderr, check.stderr
        assert check.returncode in (0, 75), check.stderr
        if check.returncode == 75:
            assert "written by another process while it was checked" in check.stderr
            assert "run dailydiff store check again" in check.stderr
    assert world.cli("store", "check").returncode == 0  # written no more: sound
