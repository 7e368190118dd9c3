"""The tests' PostgreSQL server (tests/pgserver.py) keeps what was committed across its ``stop`` and
``start_again`` (the outage tests stop it at once): it commits asynchronously for speed, so its stop
checkpoints first."""

from __future__ import annotations

from pgserver import PostgresServer, postgres_server


def test_rows_committed_just_before_an_immediate_stop_are_there_after_a_restart() -> None:
    import psycopg

    with postgres_server() as server:
        url = server.create_database()
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE TABLE t (n integer)")
            for n in range(2000):  # each one its own commit, the last ones still in the WAL buffers
                db.execute("INSERT INTO t VALUES (%s)", (n,))
        server.stop()
        server.start_again()
        assert _count(server, url) == 2000


def _count(server: PostgresServer, url: str) -> int:
    import psycopg

    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM t").fetchone()
    assert row is not None
    return int(row[0])
