"""The store on both backends: SQLite and a real PostgreSQL server (started by tests/pgserver.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.errors import LeaseLostError, StoreError
from dailydiff.models import Commit, DayReport
from dailydiff.store import FENCE, CachedResponse, EndpointFacts, Store, redact_url
from dailydiff.store.migrations import MIGRATIONS, script_for
from pgserver import PASSWORD, PostgresServer

ALL_MIGRATIONS = [name for name, _ in MIGRATIONS]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "data" / "dailydiff.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    with Store.connect(location) as opened:
        yield opened


@contextlib.contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    """Every statement the store sends while the block runs, as ``"<first word> <sql>"`` (its own counting:
    what a test that promises one query checks)."""
    sent: list[str] = []
    execute, executemany = store._db.execute, store._db.executemany

    def counted(call: Any) -> Any:
        def run(sql: str, *args: object) -> object:
            sent.append(" ".join(sql.split()))
            return call(sql, *args)

        return run

    store._db.execute = counted(execute)  # type: ignore[method-assign]
    store._db.executemany = counted(executemany)  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        store._db.execute, store._db.executemany = execute, executemany  # type: ignore[method-assign]


def _report(repo: str = "o/r", day: int = 19) -> DayReport:
    sample = Path(__file__).parents[1] / "golden"
    for path in sorted(sample.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "commits" in data and "repo" in data:
            report = DayReport.model_validate(data)
            return report.model_copy(update={"repo": repo, "date": dt.date(2026, 1, day)})
    raise AssertionError("no golden JSON report to start from")


def test_an_analysis_replaced_or_dropped_keeps_what_it_cost(store: Store) -> None:
    from dailydiff.models import AnalysisStatus, Usage

    analysis = next(rc.analysis for rc in _report().commits if rc.analysis is not None)
    sha, fp = "a" * 40, analysis.fingerprint
    failed = analysis.model_copy(update={"status": AnalysisStatus.FAILED, "usage": Usage(prompt_tokens=700,
                                                                                         completion_tokens=90, cost=0.25)})  # fmt: skip
    store.save_analysis("o/r", sha, failed)
    store.save_analysis("o/r", sha, failed)  # the same again: nothing was replaced
    assert store.spent_usage("o/r", [sha], [fp]) == Usage()
    ok = analysis.model_copy(update={"usage": Usage(prompt_tokens=650, completion_tokens=80, cost=0.2)})
    store.save_analysis("o/r", sha, ok)  # the failed answer asked again: its tokens stay spent
    assert store.spent_usage("o/r", [sha], [fp]) == Usage(prompt_tokens=700, completion_tokens=90, cost=0.25)
    assert store.forget_analyses("o/r", sha) == 1  # --reanalyze
    assert store.spent_usage("o/r", [sha, "b" * 40], [fp, "other"]) == Usage(
        prompt_tokens=1350, completion_tokens=170, cost=0.45
    )
    assert store.spent_usage("o/r", [sha], ["another language"]) == Usage()
    assert store.spent_usage("x/y", [sha], [fp]) == Usage()


def _big_commits(report: DayReport) -> list[Commit]:
    """Two commits whose patches are compressed on another thread (a backfill's busy day)."""
    from dailydiff.store.reports import COMPRESS_AWAY_BYTES

    first = Commit.model_validate(report.commits[0].model_dump(include=set(Commit.model_fields)))
    patch = "".join(f"+line {n} of a long patch\n" for n in range(COMPRESS_AWAY_BYTES // 20))
    files = [f.model_copy(update={"patch": patch}) for f in first.files]
    return [first.model_copy(update={"sha": f"{n:040x}", "files": files}) for n in range(1, 3)]


def test_a_days_patches_compressed_away_are_written_before_anything_else(store: Store, location: str) -> None:
    """Commits with many patches are compressed on another thread: read back, seen by another connection
    once the store writes anything else, and once it is closed."""
    report = _report()
    big = _big_commits(report)
    first = big[0]
    store.save_commits(big)
    assert [store.get_commit(c.repo, c.sha) for c in big] == big  # a read of commits writes them first
    later = [c.model_copy(update={"sha": f"{n:040x}"}) for n, c in zip((3, 4), big, strict=True)]
    store.save_commits(later)
    with Store.connect(location) as other:
        assert other.get_commit(first.repo, later[0].sha) is None  # still being compressed: not written yet
        store.save_report(report)  # any other write: they first
        assert [other.get_commit(c.repo, c.sha) for c in later] == later
        last = later[0].model_copy(update={"sha": "f" * 40})
        store.save_commits([last])
        store.close()
        assert other.get_commit(first.repo, last.sha) == last and other.count_commits() == 5


def test_the_thread_that_compresses_patches_is_the_stores_and_ends_with_it(store: Store) -> None:
    """A command whose store is closed has no thread left running: the process then ends without tearing its
    modules down (cli/__init__.py)."""
    before = set(threading.enumerate())
    store.save_commits(_big_commits(_report()))
    compressing = [
        t for t in threading.enumerate() if t not in before and t.name.startswith("dailydiff-compress")
    ]
    assert len(compressing) == 1
    store.close()
    assert not compressing[0].is_alive()


def test_every_table_round_trips(store: Store, location: str) -> None:
    report = _report()
    store.save_report(report)
    assert store.get_report("o/r", report.date, report.language) == report
    assert store.list_reports() == [("o/r", report.date, report.language)]
    assert [r.date for r in store.iter_reports("o/r")] == [report.date]
    commit = Commit.model_validate(report.commits[0].model_dump(include=set(Commit.model_fields)))
    store.save_commits([commit])
    store.save_commits([commit])  # an upsert, not a duplicate
    assert store.get_commit(commit.repo, commit.sha) == commit and store.count_commits() == 1
    changed = commit.model_copy(update={"message": "fix: another message"})
    store.save_commits([changed])  # the same sha read again, changed: written
    assert store.get_commit(commit.repo, commit.sha) == changed and store.count_commits() == 1
    analysis = report.commits[0].analysis
    assert analysis is not None
    store.save_analysis("o/r", commit.sha, analysis)
    assert store.get_analyses("o/r", [commit.sha], [analysis.fingerprint]) == {
        (commit.sha, analysis.fingerprint): analysis
    }
    body = bytes(range(256)) * 4  # binary survives (BLOB / BYTEA)
    store.http_put("k", CachedResponse(200, {"etag": '"x"'}, body, '"x"', None, True))
    assert store.http_get("k") == CachedResponse(200, {"etag": '"x"'}, body, '"x"', None, True)
    # The delivery ledger: a claim is won once, then finished; a second claim on the same row loses.
    assert store.claim_delivery("o/r", report.date, report.language, "files:/x", publisher="files",
                                content_hash="h", owner="w1", seen=None)  # fmt: skip
    assert not store.claim_delivery("o/r", report.date, report.language, "files:/x", publisher="files",
                                    content_hash="h", owner="w2", seen=None)  # fmt: skip
    assert store.finish_delivery("o/r", report.date, report.language, "files:/x", owner="w1",
                                 state="delivered", content_hash="h", detail="written")  # fmt: skip
    row = store.deliveries("o/r", report.date, report.language)["files:/x"]
    assert (row.state, row.claim_owner, row.detail) == ("delivered", "w1", "written")
    store.save_llm_endpoint("http://llm", "m", EndpointFacts("json_object", 4096))
    assert store.llm_endpoint("http://llm", "m") == EndpointFacts("json_object", 4096)
    # What a run measured: kept beside the mode (a field not measured keeps the one stored), with when.
    store.save_llm_endpoint("http://llm", "m", EndpointFacts(concurrency_limit=6, concurrency_ceiling=8,
                                                             latency=1.25, prompt_rate=900.5))  # fmt: skip
    facts = store.llm_endpoint("http://llm", "m")
    assert facts is not None and facts.measured_at is not None
    assert facts == EndpointFacts("json_object", 4096, None, 6, 8, 1.25, 900.5, facts.measured_at)
    assert abs(facts.measured_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    first, second = store.start_run("run https://user:tok@example.com/x.git"), store.start_run("run")
    assert second == first + 1
    store.finish_run(first, "ok", {"n": 1})
    runs = store.runs()
    assert runs[0]["command"] == "run https://***@example.com/x.git" and runs[0]["status"] == "ok"
    before = store.data_version()
    with Store.connect(location) as other:
        other.save_report(_report(day=20))
    assert store.data_version() != before  # `serve` notices another process's write
    assert [d for _, d, _ in store.list_reports()] == [dt.date(2026, 1, 20), dt.date(2026, 1, 19)]


def test_an_http_answer_cached_again_replaces_the_first_in_one_statement(store: Store) -> None:
    """http_put is one upsert (no transaction around it: one round trip to a server): a key put again holds
    the second answer, whole."""
    store.http_put("k", CachedResponse(200, {"etag": '"1"'}, b"first", '"1"', None, False))
    second = CachedResponse(200, {"etag": '"2"'}, b"\x00second", '"2"', "Tue, 06 Jan 2026 00:00:00 GMT", True)
    with _statements(store) as sent:
        store.http_put("k", second)
    assert len(sent) == 1 and "http_cache" in sent[0], sent  # one upsert, no transaction around it
    assert store.http_get("k") == second and store.table_counts()["http_cache"] == 1


def test_migrations_are_recorded_by_name(store: Store) -> None:
    assert store.applied_migrations() == ALL_MIGRATIONS


def _first_version_store(location: str) -> None:
    """A store as the first version wrote it: only m001_initial, applied as its script, with data."""
    name, script = MIGRATIONS[0]
    assert isinstance(script, str)
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as db:
            db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            db.execute(script_for(script, "postgresql").encode())
            db.execute("INSERT INTO migrations VALUES (%s, '2026-01-01T00:00:00+00:00')", (name,))
            db.execute(
                "INSERT INTO reports VALUES ('o/r', '2026-01-19', %s, 'UTC', 0, 7, %s, 'x')",
                (_report().language, _report().model_dump_json()),
            )
        return
    Path(location).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(location)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.executescript(script_for(script, "sqlite"))
    db.execute("INSERT INTO migrations VALUES (?, '2026-01-01T00:00:00+00:00')", (name,))
    db.execute(
        "INSERT INTO reports VALUES ('o/r', '2026-01-19', ?, 'UTC', 0, 7, ?, 'x')",
        (_report().language, _report().model_dump_json()),
    )
    db.commit()
    db.close()


def _ledger_day(
    store: Store, day: int, target: str, state: str, detail: str = "", sent: bool = True, language: str = "en"
) -> None:
    date = dt.date(2026, 1, day)
    assert store.claim_delivery("o/r", date, language, target, publisher="slack", content_hash="h", owner="me",
                                seen=store.delivery("o/r", date, language, target))  # fmt: skip
    assert store.finish_delivery("o/r", date, language, target, owner="me", state=state, content_hash="h",
                                 detail=detail or state, sent=sent)  # fmt: skip


def test_a_day_reported_in_two_languages_is_one_day_of_a_streak(location: str) -> None:
    """A repository reported in Chinese and English sends two messages a day: two failures on one day are
    one failing day (alert_after = 3 waits for three days, not a day and a half); a day one of them got
    through is a day the target worked."""
    with Store.connect(location) as store:
        for day in (14, 15):
            for language in ("zh", "en"):
                _ledger_day(store, day, "slack:a", "failed", language=language)
        assert store.failing_targets(3) == []
        assert [(f.days, f.since.day, f.last.day) for f in store.failing_targets(2)] == [(2, 14, 15)]
        _ledger_day(store, 16, "slack:a", "failed", language="zh")
        _ledger_day(store, 16, "slack:a", "delivered", language="en")
        assert store.failing_targets(1) == []


def test_a_failing_streak_is_its_targets_and_a_day_skipped_as_empty_leaves_it_alone(location: str) -> None:
    with Store.connect(location) as store:
        for day in (14, 15, 16):
            _ledger_day(store, day, "slack:a", "failed")
        _ledger_day(
            store, 17, "slack:a", "delivered", "no commits that day, nothing sent (skip_empty)", sent=False
        )
        _ledger_day(store, 17, "slack:b", "delivered")  # the same publisher name at another address
        _ledger_day(store, 18, "slack:a", "failed")
        streaks = [(f.target, f.publisher, f.days, f.since.day, f.last.day) for f in store.failing_targets(3)]
        assert streaks == [("slack:a", "slack", 4, 14, 18)]
        _ledger_day(store, 19, "slack:a", "delivered")  # sent, and it worked: the streak ends
        assert store.failing_targets(1) == []
    # A store from before m017: its days skipped as empty (recorded as delivered; told by their detail) are
    # days nothing was sent on once upgraded.
    undo = ["ALTER TABLE delivery_ledger DROP COLUMN sent", "DELETE FROM migrations WHERE name = 'm017_delivery_sent'",
            "UPDATE delivery_ledger SET state = 'failed' WHERE date = '2026-01-19'"]  # fmt: skip
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as pg:
            for statement in undo:
                pg.execute(statement.encode())
    else:
        with sqlite3.connect(location) as db:
            for statement in undo:
                db.execute(statement)
        db.close()
    with Store.connect(location) as store:
        assert "m017_delivery_sent" in store.applied_migrations()
        assert [(f.target, f.days, f.since.day) for f in store.failing_targets(3)] == [("slack:a", 5, 14)]


def test_a_store_made_by_the_first_migration_is_upgraded(location: str) -> None:
    _first_version_store(location)
    with Store.connect(location) as store:
        assert store.applied_migrations() == ALL_MIGRATIONS
        assert store.get_report("o/r", dt.date(2026, 1, 19), _report().language) == _report()
        assert store.plan_units("p", ["a"]) == 1  # m003's table
        assert store.deliveries("o/r", dt.date(2026, 1, 19), "zh") == {}  # m004's table
    with Store.connect(location) as again:  # opening an up-to-date store changes nothing
        assert again.applied_migrations() == ALL_MIGRATIONS


def test_a_migration_script_is_applied_whole(location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A ';' inside a string literal: a store that split scripts on ';' would break here.
    extra = (
        "m999_semicolons",
        "CREATE TABLE notes (text TEXT NOT NULL); INSERT INTO notes VALUES ('a;b; c');",
    )
    monkeypatch.setattr("dailydiff.store.migrations.MIGRATIONS", [*MIGRATIONS, extra])
    monkeypatch.setattr("dailydiff.store.database.MIGRATIONS", [*MIGRATIONS, extra])
    monkeypatch.setattr("dailydiff.store.sqlite.MIGRATIONS", [*MIGRATIONS, extra])
    monkeypatch.setattr("dailydiff.store.postgres.MIGRATIONS", [*MIGRATIONS, extra])
    with Store.connect(location) as store:
        assert store.applied_migrations() == [*ALL_MIGRATIONS, "m999_semicolons"]
        assert list(store._db.execute("SELECT text FROM notes")) == [("a;b; c",)]


def test_a_failing_migration_leaves_nothing_half_done(location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.connect(location).close()
    broken = ("m999_broken", "CREATE TABLE half (x TEXT); CREATE TABLE half (x TEXT);")
    for module in ("migrations", "database", "sqlite", "postgres"):
        monkeypatch.setattr(f"dailydiff.store.{module}.MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(Exception, match="half"):
        Store.connect(location)
    monkeypatch.undo()
    with Store.connect(location) as store:
        assert store.applied_migrations() == ALL_MIGRATIONS
        assert "half" not in store._db.tables()


def _record_newer_migration(location: str) -> None:
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as db:
            db.execute("INSERT INTO migrations VALUES ('m900_from_the_future', 'x')")
    else:
        with sqlite3.connect(location) as db:
            db.execute("INSERT INTO migrations VALUES ('m900_from_the_future', 'x')")
        sqlite3.connect(location).close()


def test_a_store_from_a_newer_version_is_refused_untouched(location: str) -> None:
    with Store.connect(location) as store:
        store.save_report(_report())
    _record_newer_migration(location)
    before = _fingerprint(location)
    with pytest.raises(StoreError) as caught:
        Store.connect(location)
    assert caught.value.exit_code == 4
    assert "was written by a newer dailydiff (migration m900_from_the_future)" in caught.value.message
    assert caught.value.hint == "upgrade, or use another --data-dir"
    assert PASSWORD not in str(caught.value)
    assert _fingerprint(location) == before


def _fingerprint(location: str) -> str:
    import hashlib

    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as db:
            rows = db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            ).fetchall()
            dump = [(t, db.execute(f"SELECT * FROM {t} ORDER BY 1".encode()).fetchall()) for (t,) in rows]
        return hashlib.sha256(repr(dump).encode()).hexdigest()
    return hashlib.sha256(Path(location).read_bytes()).hexdigest()


def test_a_row_this_version_cannot_read_is_a_store_error(store: Store) -> None:
    report = _report()
    store.save_report(report)
    changed = json.loads(report.model_dump_json())
    changed["stats"] = {"total": "many", "shape": "of a newer version"}
    with store._tx():
        store._db.execute("UPDATE reports SET data = ?", (json.dumps(changed),))
    with pytest.raises(StoreError) as caught:
        store.get_report("o/r", report.date, report.language)
    assert caught.value.exit_code == 4 and "cannot read" in caught.value.message
    assert "newer dailydiff" in caught.value.message
    with pytest.raises(StoreError):
        list(store.iter_reports())


def test_a_days_first_shas_are_read_without_building_the_day(store: Store) -> None:
    # What `report SOURCE` and `notes` ask before their work (is the stored repository of this name this
    # one?): the day's first commits, as get_report has them; a row that is no day at all is get_report's error.
    report = _report()
    store.save_report(report)
    key = ("o/r", report.date, report.language)
    assert store.report_shas(*key, limit=2) == [c.sha for c in report.commits[:2]]
    assert store.report_shas("o/other", report.date, report.language, limit=2) == []
    with store._tx():
        store._db.execute("UPDATE reports SET data = ?", (json.dumps({"repo": "o/r", "commits": "none"}),))
    with pytest.raises(StoreError) as caught:
        store.report_shas(*key, limit=2)
    assert "cannot read" in caught.value.message


# units of a shared plan --------------------------------------------------------------------------------


def test_units_are_claimed_in_plan_order_once_each(store: Store) -> None:
    units = [f"r{r}|2026-01-{d:02d}" for r in range(2) for d in range(1, 4)]
    assert store.plan_units("plan", units) == 6
    assert store.plan_units("plan", units) == 6  # a second worker joining the plan adds nothing
    claims = []
    while (claim := store.claim_unit("plan", f"w{len(claims) % 2}", lease=60)) is not None:
        claims.append(claim)
    assert [c.unit for c in claims] == units
    assert all(c.attempt == 1 and c.previous_worker is None for c in claims)
    assert store.complete_unit(claims[0], "built")
    assert store.fail_unit(claims[1], "source failed")
    assert not store.complete_unit(claims[0])  # finished once
    states = {s.unit: s.state for s in store.unit_states("plan")}
    assert Counter(states.values()) == {"running": 4, "done": 1, "failed": 1}
    assert store.claim_unit("other-plan", "w0", lease=60) is None


def test_reports_are_read_by_key_and_by_day_in_one_query_each(store: Store) -> None:
    """report_rows_of reads a batch of keys in one query (it was one a key), in the keys' order, skipping
    those not stored; reports_on, each repository's report of one day (a digest-day's), no other day's."""
    reports = [_report(f"o/r{n}", day) for n in range(3) for day in (19, 20)]
    store.save_reports(reports)
    lang = reports[0].language
    keys = [("o/r2", dt.date(2026, 1, 20), lang), ("o/gone", dt.date(2026, 1, 20), lang),
            ("o/r0", dt.date(2026, 1, 19), lang), ("o/r1", dt.date(2026, 1, 19), "xx")]  # fmt: skip
    with _statements(store) as sent:
        rows = store.report_rows_of(keys)
    assert len(sent) == 1, sent  # four keys, one query
    assert [row[:3] for row in rows] == [keys[0], keys[2]]
    assert [DayReport.model_validate_json(row[3]) for row in rows] == [reports[5], reports[0]]
    assert store.report_rows_of([]) == []
    other = [_report("o/r1", 20).model_copy(update={"language": "aa"}),
             _report("o/only", 20).model_copy(update={"language": "zz"}),
             _report("o/only", 20).model_copy(update={"language": "yy"})]  # fmt: skip
    store.save_reports(other)
    with _statements(store) as sent:
        store.reports_on(dt.date(2026, 1, 20), lang)
    assert len(sent) == 1, sent
    assert store.reports_on(dt.date(2026, 1, 20), lang) == {
        "o/only": other[2],
        **{f"o/r{n}": reports[2 * n + 1] for n in range(3)},
    }  # its own language when it has it, else its first
    assert list(store.reports_on(dt.date(2026, 1, 20), lang)) == ["o/only", "o/r0", "o/r1", "o/r2"]
    assert store.reports_on(dt.date(2026, 1, 20), "aa")["o/r1"] == other[0]
    assert store.reports_on(dt.date(2026, 1, 21), lang) == {}


def test_which_answers_are_cached_for_good_is_one_query_without_their_bodies(store: Store) -> None:
    store.http_put("for good", CachedResponse(200, {}, b"detail", None, None, True))
    store.http_put("revalidated", CachedResponse(200, {}, b"list", '"e"', None, False))
    keys = ["for good", "revalidated", "never asked", *(f"k{n}" for n in range(1200))]  # several batches
    store.http_put("k1100", CachedResponse(200, {}, b"late", None, None, True))
    with _statements(store) as sent:
        assert store.http_immutable(keys) == {"for good", "k1100"}
    # one query a batch of keys (1,203 keys: a few), none reading an answer's body
    assert 1 <= len(sent) <= 3 and all(q.startswith("SELECT") and "body" not in q for q in sent), sent
    assert store.http_immutable([]) == set()


def test_a_claim_walks_the_plans_units_in_order_on_sqlite(tmp_path: Path) -> None:
    """m019: SQLite reads a plan's units from units_by_position and stops at the first claimable one; it
    sorted every unit of the plan on each claim (bench/claims.py: 8.1 ms a claim at 2,000 units, 3.1)."""
    with Store.open(tmp_path) as store:
        store.plan_units("night", ["b", "a", "c"])
        db = store._db
        plans = [row[-1] for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT c.unit FROM units u JOIN unit_claims c ON c.unit = u.unit "
            "WHERE u.plan = ? AND c.state = 'pending' ORDER BY u.position LIMIT 1", ("night",))]  # fmt: skip
        assert any("units_by_position" in plan for plan in plans), plans
        assert not any("TEMP B-TREE" in plan for plan in plans), plans
        assert [store.claim_unit("night", "w", 60).unit for _ in range(3)] == ["b", "a", "c"]  # type: ignore[union-attr]


def test_the_worker_that_plans_a_night_gives_the_claims_query_fresh_statistics(
    pg_server: PostgresServer,
) -> None:
    """A night's units planned on the statistics of before them (none, in a new store) made each claim a
    nested loop over every unit × every claim (40-50 ms a claim at 500 units; bench/fleet_scale.py): the
    worker that plans them analyses the tables at once, a worker joining the run under way does not; a role
    that does not own the tables still plans (PostgreSQL skips them with a warning)."""
    import psycopg

    url = pg_server.create_database()
    units = [f"r{n}|2026-01-06" for n in range(300)]

    def analysed() -> dict[str, int]:
        with psycopg.connect(url, autocommit=True) as db:
            rows = db.execute("SELECT relname, analyze_count + autoanalyze_count FROM pg_stat_user_tables "
                              "WHERE relname IN ('units', 'unit_claims', 'unit_needs')").fetchall()  # fmt: skip
        return {name: int(count) for name, count in rows}

    with Store.connect(url) as store:
        before = analysed()
        assert store.plan_units("night", [*units, "digest"], {"digest": units}) == 301
        first = analysed()
        assert all(first[t] > before.get(t, 0) for t in ("units", "unit_claims", "unit_needs")), first
        assert store.plan_units("night", [*units, "digest"], {"digest": units}) == 301  # a worker joining
        assert analysed() == first
    role = "fleet_" + url.rsplit("/", 1)[1]  # roles are the server's: one per database made here
    with psycopg.connect(url, autocommit=True) as db:  # a role that may write the tables but owns none
        db.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'".encode())
        db.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}".encode())
        db.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}".encode())
    with Store.connect(_as_role(url, role)) as store:
        assert store.plan_units("another", ["r0|2026-01-07"]) == 1
        assert store.claim_unit("another", "w", lease=60) is not None


def _as_role(url: str, role: str) -> str:
    """``url`` with ``role`` (password PASSWORD) in place of its user."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}:{PASSWORD}@{parts.hostname}:{parts.port}"))


def test_a_dead_workers_unit_is_taken_over_after_its_lease(store: Store) -> None:
    store.plan_units("plan", ["a", "b"])
    # Held for long enough that a loaded machine's stall cannot end it before "both held" is checked; the
    # dead worker's last heartbeat then renews it for 0.3 s, and it never renews again.
    dead = store.claim_unit("plan", "dead", lease=60)
    alive = store.claim_unit("plan", "alive", lease=60)
    assert dead is not None and alive is not None and (dead.unit, alive.unit) == ("a", "b")
    assert store.claim_unit("plan", "idle", lease=60) is None  # both held
    assert store.renew_unit(dead, lease=0.3)
    assert store.renew_unit(alive, lease=60)
    deadline = dt.datetime.now() + dt.timedelta(seconds=10)
    taken = None
    while taken is None and dt.datetime.now() < deadline:
        taken = store.claim_unit("plan", "idle", lease=60)
    assert taken is not None and taken.unit == "a"
    assert (taken.attempt, taken.previous_worker) == (2, "dead")
    assert not store.renew_unit(dead, lease=60)  # the dead worker, back, learns it lost the unit
    assert not store.complete_unit(dead)
    assert store.complete_unit(taken) and store.complete_unit(alive)
    assert {s.unit: (s.state, s.worker) for s in store.unit_states("plan")} == {
        "a": ("done", "idle"),
        "b": ("done", "alive"),
    }


def test_a_plan_run_again_retries_its_failed_units_but_a_worker_joining_a_run_does_not(store: Store) -> None:
    store.plan_units("plan", ["a", "b"])
    first = store.claim_unit("plan", "w", lease=60)
    assert first is not None and store.fail_unit(first, "source missing")
    store.plan_units("plan", ["a", "b"])  # a worker joins while b is still pending: a failure stays
    assert {s.unit: s.state for s in store.unit_states("plan")} == {"a": "failed", "b": "pending"}
    second = store.claim_unit("plan", "w", lease=60)
    assert second is not None and second.unit == "b" and store.complete_unit(second)
    assert store.claim_unit("plan", "w", lease=60) is None
    store.plan_units("plan", ["a", "b"])  # the run is over: running the plan again retries a
    assert {s.unit: s.state for s in store.unit_states("plan")} == {"a": "pending", "b": "done"}
    store.plan_units("other", ["b"])  # a unit is a repository-day: another plan does not build b again
    assert store.claim_unit("other", "w", lease=60) is None


def test_a_takeover_fences_the_old_claims_writes_and_makes_its_delivery_claims_stale(store: Store) -> None:
    report = _report()
    store.plan_units("plan", ["u"])
    old = store.claim_unit("plan", "old", lease=60)  # long: a stall on a loaded machine cannot end it here
    assert old is not None
    held = FENCE.set(old)
    try:
        assert store.claim_delivery(report.repo, report.date, report.language, "chat", publisher="chat",
                                    content_hash="h", owner="old-owner", seen=None)  # fmt: skip
        store.save_report(report)  # while the claim holds
    finally:
        FENCE.reset(held)
    assert store.renew_unit(old, lease=0.3)  # its last heartbeat: then the worker is gone
    deadline = time.monotonic() + 10
    while (new := store.claim_unit("plan", "new", lease=60)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert new is not None and (new.token, new.previous_worker) == (old.token + 1, "old")
    stale = store.delivery(report.repo, report.date, report.language, "chat")
    assert stale is not None and stale.state == "failed" and "lost the unit" in stale.detail  # at once
    assert not store.finish_delivery(report.repo, report.date, report.language, "chat", owner="old-owner",
                                     state="delivered", content_hash="h", detail="")  # fmt: skip
    held = FENCE.set(old)
    try:
        for write in (lambda: store.save_report(report), lambda: store.save_analyses(report.repo, [
                (report.commits[0].sha, report.commits[0].analysis)])):  # fmt: skip
            with pytest.raises(LeaseLostError):
                write()
        with pytest.raises(LeaseLostError) as lost:
            store.claim_delivery(report.repo, report.date, report.language, "mail", publisher="mail",
                                 content_hash="h", owner="old-owner", seen=None)  # fmt: skip
        assert str(lost.value) == (
            "u: this worker's lease ran out and another worker took the unit over; nothing more is written for "
            "it here — nothing to do: the other worker builds and delivers it"
        )
    finally:
        FENCE.reset(held)
    assert store.delivery(report.repo, report.date, report.language, "mail") is None
    held = FENCE.set(new)
    try:
        store.save_report(report)  # the new holder writes
        assert store.claim_delivery(report.repo, report.date, report.language, "chat", publisher="chat",
                                    content_hash="h", owner="new-owner", seen=stale)  # fmt: skip
    finally:
        FENCE.reset(held)


def test_concurrent_workers_never_claim_a_unit_twice(location: str) -> None:
    units = [f"u{i:03d}" for i in range(60)]
    with Store.connect(location) as setup:
        setup.plan_units("plan", units)
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    ready = threading.Barrier(4)

    def worker(name: str) -> None:
        try:
            with Store.connect(location) as store:
                ready.wait()
                while (claim := store.claim_unit("plan", name, lease=60)) is not None:
                    with lock:
                        claimed.append((claim.unit, name))
                    time.sleep(0.005)  # working on it
                    assert store.complete_unit(claim)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(unit for unit, _ in claimed) == units
    assert len({name for _, name in claimed}) > 1  # really shared


def test_a_connection_the_server_ended_while_idle_is_made_again(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A restart ends every idle session: the next transaction (found out at BEGIN) and the next statement
    each connect again instead of failing the run (a fleet worker's last writes came after a restart)."""
    import psycopg

    def end_sessions() -> int:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'dailydiff' AND pid <> pg_backend_pid()"
            ).fetchall()
        return len(rows)

    with Store.connect(pg_url) as store:
        run = store.start_run("run")
        assert end_sessions() >= 1
        store.save_report(_report(day=3))  # a transaction
        store.finish_run(run, "ok", {})
        assert end_sessions() >= 1
        assert [r["status"] for r in store.runs()] == ["ok"]  # a statement
        assert store.get_report("o/r", dt.date(2026, 1, 3), _report().language) is not None
    assert caplog.text.count("reconnected to the store") == 2


# copying and secrets ---------------------------------------------------------------------------------------


def test_copy_round_trips_every_row_and_resumes(tmp_path: Path, pg_url: str) -> None:
    src = Store.connect(tmp_path / "a.sqlite3")
    for day in range(1, 6):
        src.save_report(_report(day=day))
    src.http_put("k", CachedResponse(200, {}, b"\x00\xff", None, None, False))
    src.finish_run(src.start_run("run"), "ok", {})
    src.plan_units("p", ["x"])
    with Store.connect(pg_url) as pg:
        first = src.copy_to(pg, batch=2)
        again = src.copy_to(pg, batch=2)  # resumed / repeated: nothing doubled
        assert first == again and pg.table_counts() == src.table_counts()
        assert pg.start_run("next") == 2  # numbering continues after the copied ids
        back = Store.connect(tmp_path / "b.sqlite3")
        pg.copy_to(back)
    assert [r for _, r in sorted(_rows(src, "reports"))] == [r for _, r in sorted(_rows(back, "reports"))]
    assert back.http_get("k") == src.http_get("k")


def _rows(store: Store, table: str) -> list[tuple[str, tuple[object, ...]]]:
    return [(repr(row[:3]), tuple(row)) for row in store._db.execute(f"SELECT * FROM {table}")]


def test_the_url_password_never_shows(pg_server: PostgresServer) -> None:
    wrong = pg_server.url(password="wrong-" + PASSWORD)
    with pytest.raises(StoreError) as caught:
        Store.connect(wrong)
    text = str(caught.value)
    assert PASSWORD not in text and "wrong-" not in text
    assert "postgresql://***@127.0.0.1" in text and "password authentication failed" in text
    assert redact_url("postgresql://u:p%40ss@h/db?password=x&sslmode=require") == (
        "postgresql://***@h/db?password=***&sslmode=require"
    )
    assert redact_url("postgresql://u:p@ss@h:5432/db") == "postgresql://***@h:5432/db"  # an unescaped @
    assert redact_url("host=h password='a b' dbname=d") == "host=h password=*** dbname=d"
    stopped = f"postgresql://u:{PASSWORD}@127.0.0.1:1/db"
    with pytest.raises(StoreError) as refused:
        Store.connect(stopped)
    assert PASSWORD not in str(refused.value) and refused.value.exit_code == 4


def test_reports_between_leaves_a_report_without_the_word_unread_and_parses_a_stored_text_once(
    store: Store,
) -> None:
    import re

    rollback = re.compile(r'"message"\s*:\s*"rollback', re.I)
    first, second, third = _report(day=19), _report(day=20), _report(day=21)
    undo = second.commits[0].model_copy(
        update={"message": 'Rollback "an earlier change"\n\nIt broke the rollback.'}
    )
    second = second.model_copy(update={"commits": [undo, *second.commits[1:]]})
    third = third.model_copy(
        update={"commits": [third.commits[0].model_copy(update={"message": "fix: no rollback"})]}
    )
    for report in (first, second, third):
        store.save_report(report)
    lang, start, end = first.language, first.date, third.date
    assert [r.date for r in store.reports_between("o/r", lang, start, end)] == [start, second.date, end]
    assert store.reports_between("o/r", lang, start, end, word="ROLLBACK") == [second, third]  # any case
    assert store.reports_between("o/r", lang, start, end, word="no-such-word") == []
    found = store.reports_between("o/r", lang, start, end, text=rollback, word="rollback")
    assert found == [second]  # a message starting with it
    again = store.reports_between("o/r", lang, start, end, text=rollback, word="rollback")
    assert again == found and again[0] is found[0]  # the same text: parsed once
    relanded = second.model_copy(
        update={"commits": [undo.model_copy(update={"message": "Rollback the rollback"})]}
    )
    store.save_report(relanded)  # a new text: read anew, not the one parsed before
    assert store.reports_between("o/r", lang, start, end, text=rollback, word="rollback") == [relanded]


def test_a_batch_of_commits_of_several_repositories_is_saved_by_one_call(store: Store) -> None:
    commit = Commit.model_validate(_report().commits[0].model_dump(include=set(Commit.model_fields)))
    batch = [
        commit.model_copy(update={"repo": repo, "sha": f"{n:040x}", "title": f"change {n}"})
        for n, repo in enumerate(["o/r", "o/r", "x/y", "x/y", "x/y"], start=1)
    ]
    store.save_commits(batch[:2])
    with _statements(store) as sent:
        store.save_commits(batch)  # two stored as they are, three new
    writes = [q for q in sent if not q.startswith("SELECT")]
    reads = [q for q in sent if q.startswith("SELECT")]
    assert len(writes) == 1 and "INSERT INTO commits" in writes[0], sent  # one write for the five
    assert len(reads) == 2, sent  # what is stored already: one read a repository
    assert store.count_commits() == 5
    assert [store.get_commit(c.repo, c.sha) for c in batch] == batch


def test_what_a_digest_told_is_recorded_in_one_statement_and_a_row_there_stays(store: Store) -> None:
    """A digest sent whole tells every repository it holds: 300 ledger rows, one statement (one a repository
    was three round trips: 0.3 s at the end of a 200-repository night on PostgreSQL). A row there already,
    whatever its state, says the repository was told, and stays."""
    day = dt.date(2026, 1, 6)
    seen = store.delivery("digest:all", day, "en", "hook#day:o/r0")
    assert store.claim_delivery(
        "digest:all", day, "en", "hook#day:o/r0", publisher="hook", content_hash="o/r0", owner="w1", seen=seen
    )  # fmt: skip  (claimed by a worker that then died)
    statements: list[str] = []
    execute, executemany = store._db.execute, store._db.executemany

    def counted(name: str, call: Any) -> Any:
        def run(sql: str, *args: object) -> object:
            statements.append(f"{name} {sql.split()[0]} {'delivery_ledger' in sql}")
            return call(sql, *args)

        return run

    store._db.execute = counted("execute", execute)  # type: ignore[method-assign]
    store._db.executemany = counted("executemany", executemany)  # type: ignore[method-assign]
    told = [(f"hook#day:o/r{n}", f"o/r{n}") for n in range(300)]
    store.record_told("digest:all", day, "en", told, publisher="hook", owner="w2", detail="in the digest")
    store.record_told("digest:all", day, "en", [], publisher="hook", owner="w2", detail="in the digest")
    assert [s for s in statements if s.endswith("True")] == ["executemany INSERT True"]
    store._db.execute, store._db.executemany = execute, executemany  # type: ignore[method-assign]
    rows = store.deliveries("digest:all", day, "en")
    assert len(rows) == 300
    assert rows["hook#day:o/r0"].state == "sending" and rows["hook#day:o/r0"].claim_owner == "w1"
    assert {r.state for t, r in rows.items() if t != "hook#day:o/r0"} == {"delivered"}
    assert rows["hook#day:o/r7"].detail == "in the digest" and rows["hook#day:o/r7"].content_hash == "o/r7"
    assert not store.failing_targets(1)
