"""Commit vectors beside the search index, for hybrid retrieval (search/hybrid.py).

``search_vectors`` holds each embedded text's vector once, keyed by a hash of the model and the text (a
commit whose text did not change is never embedded again, whichever row or language holds it);
``search_embedded`` says which vector each row of ``search_docs`` has. Vectors are unit length, so a dot
product is their cosine. SQLite keeps them as float32 BLOBs (the layout sqlite-vec reads). They are read
through the store's own connection and scored by sqlite-vec when it and pysqlite3 are installed (the
``hybrid`` extra): many Pythons' sqlite3 (pyenv's build, this project's CI) cannot load extensions,
pysqlite3's can, so an in-memory pysqlite3 database scores them (copied into a table when no filter
narrows the rows, ``_best_in_memory``; else given as parameters, ``_vec_scores``). Never
a pysqlite3 connection to the store's file: two SQLite libraries in one process on one WAL database do not
see each other's locks, and one opening the file reset the shared memory the other was reading (a search
crashed with SIGBUS). Without them, or when the extension cannot load, the vectors are scored here (numpy,
else Python), in the same order. PostgreSQL (Debian 12 has no pgvector) keeps
them as little-endian float32 ``bytea``, read (in the binary format: hex text, twice the bytes, cost 160 ms of
CPU to decode for 10,000 vectors, 55 ms as bytes) and scored here as SQLite's are: scored in the query from a
``real[]`` column (what stores made before keep until `dailydiff store reindex` converts it), 10,000 vectors
of 576 dimensions took 4.4 s, read here about 0.3 s.
The tables are made on first use: a store without an embedding model never has them.
"""

from __future__ import annotations

import array
import math
import sys
from collections.abc import Sequence
from fnmatch import fnmatchcase
from operator import mul
from pathlib import Path
from typing import Any

from dailydiff.store.search import SearchFilters, _where
from dailydiff.store.vectorrank import best_rows, vec_connect

# Each vector kept in its row, not in the TOAST table (a vector of 576 float32 is 2.3 kB, past the
# 2 kB where PostgreSQL moves a value out of line): a search reads them all, and fetching 10,000 back
# from the TOAST table cost some 80 ms of the server's time. A vector too large for a page still goes
# out of line.
_VEC_INLINE = "ALTER TABLE search_vectors ALTER COLUMN vec SET STORAGE MAIN"
_TABLES = {
    "sqlite": [
        "CREATE TABLE IF NOT EXISTS search_vectors (key TEXT PRIMARY KEY, model TEXT NOT NULL, vec BLOB NOT NULL)",
    ],
    "postgresql": [
        "CREATE TABLE IF NOT EXISTS search_vectors (key TEXT PRIMARY KEY, model TEXT NOT NULL, vec bytea NOT NULL)",
        _VEC_INLINE,
    ],
}
_EMBEDDED = (
    "CREATE TABLE IF NOT EXISTS search_embedded (repo TEXT NOT NULL, sha TEXT NOT NULL, language TEXT NOT NULL, "
    "key TEXT NOT NULL, PRIMARY KEY (repo, sha, language))"
)


def ensure(db: Any) -> None:
    """The two tables, made if missing (inside the caller's transaction)."""
    postgres = db.dialect.name == "postgresql"
    for statement in [*_TABLES["postgresql" if postgres else "sqlite"], _EMBEDDED]:
        db.execute(statement)


def unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _arrays(db: Any) -> bool:
    """Whether this PostgreSQL store keeps its vectors as ``real[]`` (made before they were ``bytea``)."""
    if db.dialect.name != "postgresql":
        return False
    # The catalog, not information_schema.columns: its view cost 8-24 ms of a search in a new session.
    row = db.execute(
        "SELECT a.atttypid = 'real[]'::regtype FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
        "to_regclass(quote_ident(current_schema()) || '.search_vectors') AND a.attname = 'vec' "
        "AND NOT a.attisdropped"
    ).fetchone()
    return row is not None and bool(row[0])


def _packer(db: Any) -> Any:
    """How a vector is stored: SQLite's BLOB of native float32 (what sqlite-vec reads), PostgreSQL's bytea of
    little-endian float32, or a ``real[]`` list where the store still has that column."""
    if db.dialect.name != "postgresql":
        return lambda vector: array.array("f", vector).tobytes()
    if _arrays(db):
        return list
    return _little_endian


def _little_endian(vector: Sequence[float]) -> bytes:
    packed = array.array("f", vector)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _to_bytea(db: Any) -> None:
    """A PostgreSQL store's ``real[]`` vectors rewritten as ``bytea`` (inside the caller's transaction)."""
    db.execute("LOCK TABLE search_vectors IN ACCESS EXCLUSIVE MODE")
    if not _arrays(db):  # another process converted it first
        return
    db.execute("ALTER TABLE search_vectors ADD COLUMN vec_bytes bytea")
    db.execute("ALTER TABLE search_vectors ALTER COLUMN vec_bytes SET STORAGE MAIN")
    rows = db.execute("SELECT key, vec FROM search_vectors").fetchall()
    db.executemany("UPDATE search_vectors SET vec_bytes = ? WHERE key = ?",
                   [(_little_endian([float(v) for v in vec]), key) for key, vec in rows])  # fmt: skip
    db.execute("ALTER TABLE search_vectors DROP COLUMN vec")
    db.execute("ALTER TABLE search_vectors RENAME COLUMN vec_bytes TO vec")
    db.execute("ALTER TABLE search_vectors ALTER COLUMN vec SET NOT NULL")


def rows(db: Any) -> list[tuple[str, str, str, str, str, str, str | None]]:
    """Every row of the index with what its text is made of and the key of the vector it has (or None)."""
    return [
        tuple(r)
        for r in db.execute(
            "SELECT d.repo, d.sha, d.language, d.title, d.summary, d.paths, e.key FROM search_docs d "
            "LEFT JOIN search_embedded e ON e.repo = d.repo AND e.sha = d.sha AND e.language = d.language"
        ).fetchall()
    ]


def put(db: Any, model: str, items: Sequence[tuple[str, Sequence[float]]]) -> None:
    """Store vectors (made unit length) under their keys."""
    pack = _packer(db) if items else list
    db.executemany(
        "INSERT INTO search_vectors (key, model, vec) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
        [(key, model, pack(unit(vec))) for key, vec in items],
    )


def link(db: Any, links: Sequence[tuple[str, str, str, str]]) -> None:
    """(repo, sha, language, key): which vector each row has."""
    db.executemany(
        "INSERT INTO search_embedded (repo, sha, language, key) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (repo, sha, language) DO UPDATE SET key = excluded.key",
        list(links),
    )


def clear(db: Any) -> None:
    """Forget which row has which vector (``store reindex``); the vectors stay, keyed by their text (a
    PostgreSQL store's ``real[]`` vectors rewritten as ``bytea``, and ones kept out of line moved into their
    rows)."""
    tables = db.tables()
    if "search_embedded" in tables:
        db.execute("DELETE FROM search_embedded")
    if "search_vectors" in tables and _arrays(db):
        _to_bytea(db)
    elif "search_vectors" in tables and db.dialect.name == "postgresql" and not _inline(db):
        db.execute(_VEC_INLINE)
        db.execute(
            "UPDATE search_vectors SET vec = vec || ''::bytea"
        )  # a new value: stored as the column says


def _inline(db: Any) -> bool:
    """Whether a PostgreSQL store keeps its vectors in their rows (``STORAGE MAIN``)."""
    row = db.execute(
        "SELECT attstorage FROM pg_attribute WHERE attrelid = 'search_vectors'::regclass AND attname = 'vec'"
    ).fetchone()
    return row is not None and str(row[0]) == "m"


def _dots(blobs: list[bytes], probe: Sequence[float], little: bool = False) -> list[float]:
    """Each float32 vector's dot product with ``probe`` (``little``: little-endian, else native): by numpy
    when it is installed (1,000 vectors in a few milliseconds), else in Python (some 100 ms on a loaded
    2-core machine)."""
    swap = little and sys.byteorder == "big"
    try:
        import numpy as np
    except ImportError:
        return [sum(map(mul, _floats(blob, swap), probe)) for blob in blobs]
    if not blobs:
        return []
    matrix = np.frombuffer(b"".join(blobs), dtype="<f4" if little else np.float32).reshape(len(blobs), -1)
    return [float(v) for v in matrix @ np.asarray(probe, dtype=np.float32)]


def _floats(blob: bytes, swap: bool) -> array.array[float]:
    floats = array.array("f", blob)
    if swap:
        floats.byteswap()
    return floats


def missing(db: Any) -> int:
    """Rows of the index with no vector yet (a cheap look before a search embeds what is new)."""
    if "search_embedded" not in db.tables():
        return int(db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0])
    return int(
        db.execute(
            "SELECT COUNT(*) FROM search_docs d LEFT JOIN search_embedded e ON e.repo = d.repo AND e.sha = d.sha "
            "AND e.language = d.language WHERE e.key IS NULL"
        ).fetchone()[0]
    )


def nearest(
    db: Any, query: Sequence[float], model: str, filters: SearchFilters, limit: int
) -> list[tuple[str, str, str, float]]:
    """The ``limit`` rows within ``filters`` whose vectors are nearest ``query`` (repo, sha, language,
    cosine), best first."""
    if "search_embedded" not in db.tables():
        return []
    clauses, args = _where(filters, "d.")
    everything = not clauses  # no filter: every row with a vector
    clauses.append("v.model = ?")
    args.append(model)
    joins = (
        "FROM search_docs d JOIN search_embedded e ON e.repo = d.repo AND e.sha = d.sha AND "
        "e.language = d.language JOIN search_vectors v ON v.key = e.key WHERE " + " AND ".join(clauses)
    )
    probe = unit(query)
    scan = limit * 20 if filters.path_glob else limit
    if db.dialect.name == "postgresql" and _arrays(db):
        sql = (
            "SELECT d.repo, d.sha, d.language, d.paths, (SELECT SUM(a * b) FROM unnest(v.vec, ?::real[]) AS t(a, b)) "
            f"AS score {joins} ORDER BY score DESC, d.repo, d.sha LIMIT {int(scan)}"
        )
        found = [
            (str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4])) for r in db.execute(sql, [probe, *args])
        ]
    elif db.dialect.name == "postgresql":
        found = _python_scan(db, joins, args, probe, scan, little=True)
    else:
        # Read through the store's own connection, scored in memory: never a second SQLite library on the
        # store's file (see above).
        best = _best_in_memory(db, probe, model, scan) if everything else None
        found = (
            best
            if best is not None
            else _python_scan(db, joins, args, probe, scan, little=sys.byteorder == "little")
        )
    if filters.path_glob:
        found = [r for r in found if any(fnmatchcase(p, filters.path_glob) for p in r[3].split("\n") if p)]
    return [(r[0], r[1], r[2], r[4]) for r in found[:limit]]


def _python_scan(
    db: Any, joins: str, args: Sequence[Any], probe: Sequence[float], scan: int, little: bool = False
) -> list[tuple[str, str, str, str, float]]:
    """The ``scan`` best rows, every vector read and scored here (``_dots``)."""
    sql = f"SELECT d.repo, d.sha, d.language, d.paths, v.vec {joins}"
    got = (
        db.execute(sql, args, binary=True) if db.dialect.name == "postgresql" else db.execute(sql, args)
    ).fetchall()
    blobs = [bytes(r[4]) for r in got]
    scores = (_vec_scores(blobs, probe) if little else None) or _dots(blobs, probe, little)
    scored = sorted(((str(r[0]), str(r[1]), str(r[2]), str(r[3]), score) for r, score in zip(got, scores, strict=True)),
                    key=lambda r: (-r[4], r[0], r[1]))  # fmt: skip
    return scored[:scan]


def _sqlite_vec_file() -> str | None:
    """Where sqlite-vec's loadable extension is installed (its package's ``vec0``), found without importing
    the package (its ``__init__`` imports numpy: some 130 ms of a search); None when it is not installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("sqlite_vec")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if any((Path(location) / f"vec0{suffix}").is_file() for suffix in (".so", ".dylib", ".dll")):
            return str(Path(location) / "vec0")  # SQLite adds the platform's suffix
    return None


_VALUES = 5000  # vectors scored a statement by ``_vec_scores`` (SQLite takes 32,766 parameters at most)


def _vec_scores(blobs: list[bytes], probe: Sequence[float]) -> list[float] | None:
    """Each little-endian float32 unit vector's cosine with ``probe`` (its dot product), by sqlite-vec in an
    in-memory pysqlite3 database, the vectors given as parameters: on 10,000 vectors of 576 dimensions some
    70 ms of CPU, where importing numpy alone took 110 (PostgreSQL's vectors, read here). None when
    sqlite-vec cannot run here (not installed, a big-endian machine): the caller scores with ``_dots``."""
    little = blobs and sys.byteorder == "little"
    conn = vec_connect(":memory:", _sqlite_vec_file()) if little else None
    if conn is None:
        return None
    query = array.array("f", probe).tobytes()
    scores: list[float] = []
    try:
        for start in range(0, len(blobs), _VALUES):
            chunk = blobs[start : start + _VALUES]
            sql = ("SELECT COALESCE(1.0 - vec_distance_cosine(column1, ?), 0.0) FROM (VALUES "
                   + ", ".join(["(?)"] * len(chunk)) + ")")  # fmt: skip
            scores += [float(r[0]) for r in conn.execute(sql, [query, *chunk])]
    except (conn.Error, OSError):
        return None
    finally:
        conn.close()
    return scores


def _best_in_memory(
    db: Any, probe: Sequence[float], model: str, scan: int
) -> list[tuple[str, str, str, str, float]] | None:
    """The ``scan`` best rows of every row with a vector of ``model`` in a SQLite store: its vectors (key and
    blob only, no join of the index) copied into an in-memory pysqlite3 database, scored and sorted there by
    sqlite-vec, and only the best keys' rows looked up in the store (``best_rows``): of 10,000 vectors some 40
    ms to read, 50 to copy, 20 to score. A join of every row to its vector, read and sorted here, cost some
    170 ms more. None when sqlite-vec cannot run here (the caller reads and scores in Python)."""
    conn = vec_connect(":memory:", _sqlite_vec_file()) if sys.byteorder == "little" else None
    if conn is None:
        return None

    def rows_of(keys: dict[str, float]) -> Any:
        marks = ", ".join("?" * len(keys))
        return db.execute(
            "SELECT d.repo, d.sha, d.language, d.paths, e.key FROM search_embedded e JOIN search_docs d ON "
            f"e.repo = d.repo AND e.sha = d.sha AND e.language = d.language WHERE e.key IN ({marks})",
            list(keys),
        ).fetchall()

    try:
        # No key index (each row is scored and sorted anyway): 10,000 rows went in in some 50 ms, not 60-100.
        conn.execute("CREATE TABLE vectors (key TEXT NOT NULL, vec BLOB NOT NULL)")
        conn.executemany(
            "INSERT INTO vectors (key, vec) VALUES (?, ?)",
            db.execute("SELECT key, vec FROM search_vectors WHERE model = ?", (model,)),
        )
        return best_rows(conn, "vectors", [array.array("f", probe).tobytes()], rows_of, scan)
    except (conn.Error, OSError):
        return None
    finally:
        conn.close()


def docs(db: Any, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], Any]:
    """The index's documents of the rows ``keys`` (repo, sha, language)."""
    from dailydiff.store.search import COLUMNS, _doc

    found: dict[tuple[str, str, str], Any] = {}
    for repo, sha, language in keys:
        row = db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM search_docs WHERE repo = ? AND sha = ? AND language = ?",
            (repo, sha, language),
        ).fetchone()
        if row is not None:
            found[(repo, sha, language)] = _doc(row)
    return found
