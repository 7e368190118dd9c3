"""A PostgreSQL store's commit vectors kept on this machine, for `search` with vectors (store/vectors.py).

Every search scored all the store's vectors, and PostgreSQL sent them all each time: 10,000 vectors of 576
dimensions, 23 MB, about 0.2 s of a search's CPU to receive and score (bench/search_scale.py). A vector's
key is a hash of its model and its text (search/hybrid.py), so the vector under a key never changes: this
file keeps each one sent once, and a search asks PostgreSQL only for the rows within its filters and their
keys, the vectors of keys not kept yet, and scores here, with sqlite-vec over the kept file (the function
the vectors sent each time were scored with, so the order is the same).

The file is SQLite, one per model, in the private per-user directory that keeps validated settings
(common/packaged.py's ``private_directory``). Derived data is never a reason to stop: without pysqlite3 and
sqlite-vec, on a big-endian machine, or with a directory or file that cannot be used, ``nearest`` answers
None and the caller reads the vectors as before.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

BATCH = 500  # keys asked of PostgreSQL a statement
# Filters that leave this many rows or fewer: their vectors are read from the store (a few milliseconds),
# not all the kept ones scored.
FEW = 1000


def nearest(db: Any, joins: str, args: Sequence[Any], probe: Sequence[float], scan: int, model: str,
            paths: bool, extension: str | None, everything: bool = False,
            standing: Standing | None = None) -> list[tuple[str, str, str, str, float]] | None:  # fmt: skip
    """The ``scan`` best rows (repo, sha, language, paths, cosine) of a PostgreSQL store's ``joins`` (the
    search's filters, ``args`` their values), best first, ties by repository, commit and language; ``paths``
    only when ``paths`` is asked for (a path glob), else "". ``extension``: sqlite-vec's loadable extension
    (None when it is not installed). ``everything``: no filter narrows the rows: when every vector of this
    model a row has is kept (the digest of the rows' keys is one the file holds), PostgreSQL is asked only
    for the rows of the best kept keys (``_best_first``), not for every row. None when the kept vectors
    cannot be used. ``standing``: where the store stood before the search looked for rows without a vector
    (``standing``): when every vector is found kept, the file says so for that standing, and a search of the
    store as it still stands then asks PostgreSQL for no digest."""
    column = "d.paths" if paths else "''"
    conn = _open(model, extension) if everything else None
    try:
        if conn is not None:
            if standing is not None and _stood(conn, standing):
                return _best_first(db, conn, joins, args, probe, scan, column)
            digest = db.execute(f"SELECT {_DIGEST} FROM ({_LINKED}) k").fetchone()[0]
            if conn.execute("SELECT 1 FROM complete WHERE digest = ?", [str(digest)]).fetchone() is not None:
                _stand(conn, standing)
                return _best_first(db, conn, joins, args, probe, scan, column)
        rows = db.execute(f"SELECT d.repo, d.sha, d.language, {column}, e.key {joins}", args).fetchall()
        if conn is None:
            conn = _open(model, extension) if len(rows) > FEW else None
        if conn is None:
            return None
        by_key: dict[str, list[tuple[str, str, str, str]]] = {}
        for row in rows:
            by_key.setdefault(str(row[4]), []).append((str(row[0]), str(row[1]), str(row[2]), str(row[3])))
        kept = {str(r[0]) for r in conn.execute("SELECT key FROM vectors")}
        missing = set(by_key) - kept
        linked = {str(r[0]) for r in db.execute(_LINKED)} if everything else set()
        if missing or linked - kept:  # and every row's key's (a row kept out of the index for now included)
            _keep(db, conn, sorted(missing | (linked - kept)), model)
        if everything:  # every key of this model a row has is kept now: the next searches ask for the best
            import hashlib

            done = hashlib.sha256(",".join(sorted(linked)).encode()).hexdigest()
            conn.execute("INSERT OR IGNORE INTO complete (digest) VALUES (?)", [done])
            conn.commit()
            _stand(conn, standing)
        return _best(conn, probe, by_key, scan)
    except Exception as exc:  # the kept file's errors (pysqlite3's own classes): read the vectors as before
        if type(exc).__module__.startswith(("pysqlite3", "sqlite3")):
            return None
        raise
    finally:
        if conn is not None:
            conn.close()


# Every key a row of the index has (whatever its model: a key is a hash of its model and text, so a key of
# another model is never kept, and never found among the best kept ones): their digest is how ``nearest``
# knows that every vector of this model a row has is kept, without joining 10,000 rows to their vectors
# (166 ms of PostgreSQL's time; this, some 15).
_LINKED = "SELECT DISTINCT key FROM search_embedded"
# The digest of a set of keys, computed by PostgreSQL as ``nearest`` computes it here: SHA-256 of the keys
# (hexadecimal: "C" order is Python's) joined by commas.
_DIGEST = "encode(sha256(convert_to(COALESCE(string_agg(k.key, ',' ORDER BY k.key COLLATE \"C\"), ''), 'UTF8')), 'hex')"


class Standing(NamedTuple):
    """Where a PostgreSQL store stands, for one model's vectors: ``at`` is its snapshot (every committed write
    moves it; a write in progress is in its list) and when its server started (another server is another
    store). A search that found, at a standing, no row without a vector and every vector kept here notes it in
    the file (``_stand``); a search of the store as it still stands asks PostgreSQL neither which rows lack a
    vector (``settled``) nor the digest of their keys (``nearest``): 30-60 ms of its server's time. A standing
    is taken before those questions are asked, so a write after it is never taken as looked at."""

    model: str
    store: str  # the store's location, without its password
    at: str


def standing(db: Any, model: str) -> Standing:
    at = db.execute(
        "SELECT pg_current_snapshot()::text || ' ' || pg_postmaster_start_time()::text"
    ).fetchone()[0]
    return Standing(model, db.location, str(at))


def settled(standing: Standing) -> bool:
    """Whether a search noted ``standing`` (the store as it stands now) as found settled: no row without a
    vector then. Read with Python's own sqlite3 (no extension needed to read a note)."""
    import sqlite3

    path = _path(standing.model)
    if path is None or not path.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as conn:
            return _stood(conn, standing)
    except sqlite3.Error:
        return False


def _stood(conn: Any, standing: Standing) -> bool:
    try:
        row = conn.execute("SELECT at FROM settled WHERE store = ?", [standing.store]).fetchone()
    except conn.Error:  # a file kept before the note was: none noted
        return False
    return row is not None and str(row[0]) == standing.at


def _stand(conn: Any, standing: Standing | None) -> None:
    if standing is not None:
        conn.execute(
            "INSERT OR REPLACE INTO settled (store, at) VALUES (?, ?)", [standing.store, standing.at]
        )
        conn.commit()


def _best_first(db: Any, conn: Any, joins: str, args: Sequence[Any], probe: Sequence[float], scan: int,
                column: str) -> list[tuple[str, str, str, str, float]]:  # fmt: skip
    """The ``scan`` best rows of ``joins``, every vector they have being kept: the kept vectors scored and
    read best first, PostgreSQL asked only for the rows of those keys (store/vectorrank.py ``best_rows``)."""
    from dailydiff.store.vectorrank import best_rows

    def rows_of(keys: dict[str, float]) -> Any:
        sql = f"SELECT d.repo, d.sha, d.language, {column}, e.key {joins} AND e.key = ANY(?)"
        return db.execute(sql, [*args, list(keys)]).fetchall()

    return best_rows(conn, "vectors", [array.array("f", probe).tobytes()], rows_of, scan)


def _best(conn: Any, probe: Sequence[float], by_key: dict[str, list[tuple[str, str, str, str]]],
          scan: int) -> list[tuple[str, str, str, str, float]]:  # fmt: skip
    """The ``scan`` best rows of ``by_key``: every kept vector scored and sorted by sqlite-vec, read best first
    until ``scan`` rows and every row as good as the last of them are found."""
    from dailydiff.store.vectorrank import SCORE

    query = array.array("f", probe).tobytes()
    found: list[tuple[str, str, str, str, float]] = []
    for key, s in conn.execute(f"SELECT key, {SCORE} FROM vectors ORDER BY score DESC", [query]):
        if len(found) >= scan and s < found[-1][4]:
            break
        found += [(*row, float(s)) for row in by_key.get(str(key), ())]
    found.sort(key=lambda r: (-r[4], r[0], r[1], r[2]))
    return found[:scan]


def _path(model: str) -> Path | None:
    """The kept file of ``model``'s vectors (None without a private directory)."""
    from dailydiff.common.packaged import private_directory

    directory = private_directory()
    return (
        directory / f"vectors-{hashlib.sha256(model.encode()).hexdigest()[:16]}.sqlite3"
        if directory
        else None
    )


def _open(model: str, extension: str | None) -> Any:
    """The kept file of ``model``'s vectors, opened with sqlite-vec loaded; None when it cannot be."""
    from dailydiff.store.vectorrank import vec_connect

    path = _path(model) if extension and sys.byteorder == "little" else None
    conn = vec_connect(str(path), extension, timeout=30) if path else None
    if conn is None:
        return None
    try:
        conn.execute(
            "PRAGMA page_size = 16384"
        )  # a new file's: six vectors of 576 dimensions a page, not one
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        # The digests of sets of keys all kept (``nearest``'s): a store whose keys have one is not asked
        # for its rows' keys again.
        conn.execute("CREATE TABLE IF NOT EXISTS complete (digest TEXT PRIMARY KEY)")
        # Each store's standing found settled last (``Standing``).
        conn.execute("CREATE TABLE IF NOT EXISTS settled (store TEXT PRIMARY KEY, at TEXT NOT NULL)")
        conn.execute("PRAGMA mmap_size = 1073741824")  # read without a copy a page
    except (conn.Error, OSError):
        conn.close()
        return None
    return conn


def _keep(db: Any, conn: Any, keys: Sequence[str], model: str) -> None:
    """The vectors of ``model`` under ``keys`` read from the store (little-endian float32, as sqlite-vec reads
    them) and kept."""
    for start in range(0, len(keys), BATCH):
        chunk = list(keys[start : start + BATCH])
        marks = ", ".join("?" * len(chunk))
        got = db.execute(f"SELECT key, vec FROM search_vectors WHERE key IN ({marks}) AND model = ?",
                         [*chunk, model], binary=True)  # fmt: skip
        with contextlib.closing(conn.cursor()) as cursor:
            cursor.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)",
                               [(str(k), bytes(v)) for k, v in got.fetchall()])  # fmt: skip
        conn.commit()
