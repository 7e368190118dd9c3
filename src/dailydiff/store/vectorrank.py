"""The best rows of a vector table by their cosine with a question (sqlite-vec's ``vec_distance_cosine``), and the
pysqlite3 connection with sqlite-vec loaded that scores them (store/vectors.py's, in memory)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def vec_connect(target: str, extension: str | None, **options: Any) -> Any:
    """A pysqlite3 connection to ``target`` (``options``: ``connect``'s) with sqlite-vec's ``extension``
    loaded, or None when there is no extension, pysqlite3 is not installed, or either cannot open. Its
    statements raise ``conn.Error`` (pysqlite3's, the driver's error classes are the connection's too)."""
    if extension is None:
        return None
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        return None
    try:
        conn = dbapi2.connect(target, **options)
    except dbapi2.Error:
        return None
    try:
        conn.enable_load_extension(True)
        conn.load_extension(extension)
        conn.enable_load_extension(False)
    except (dbapi2.Error, AttributeError, OSError):
        conn.close()
        return None
    return conn


_KEYS = 64  # keys looked up a statement by ``best_rows``, at least
# A kept vector's cosine with the query (parameter 1): a zero vector has none (sqlite-vec answers NULL), 0
# as its dot product is.
SCORE = "COALESCE(1.0 - vec_distance_cosine(vec, ?), 0.0) AS score"


def best_rows(
    conn: Any, table: str, args: Sequence[Any], rows_of: Any, scan: int
) -> list[tuple[str, str, str, str, float]]:
    """The ``scan`` best rows (repo, sha, language, paths, score), as one statement scoring every row would
    rank them (score, repository, commit, language): the vectors of ``table`` (its ``key`` and ``vec``;
    ``args``: the query vector and any values of ``table``'s own clause) scored and sorted by sqlite-vec
    alone, the best first (a top-N sort: sorting all 10,000 cost 7 ms more), and ``rows_of(keys)`` asked
    for only their keys' rows (``{key: score}`` in, (repo, sha, language, paths, key) rows out), more keys
    each time, until ``scan`` rows are found whose last scores above every key not read yet (a key no row
    has is passed over; a row of a key read later with the same score is not missed)."""
    sql = f"SELECT key, {SCORE} FROM {table} ORDER BY score DESC, key"
    found: list[tuple[str, str, str, str, float]] = []
    read, size = 0, max(_KEYS, scan * 2)
    while True:
        ranked = conn.execute(f"{sql} LIMIT {int(read + size)}", list(args)).fetchall()
        batch = ranked[read:]
        if not batch:
            break
        scores = {str(key): float(s) for key, s in batch}
        found += [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), scores[str(r[4])]) for r in rows_of(scores)]
        found.sort(key=lambda r: (-r[4], r[0], r[1], r[2]))
        if len(ranked) < read + size or (len(found) >= scan and found[scan - 1][4] > float(batch[-1][1])):
            break
        read, size = read + size, size * 2
    return found[:scan]
