"""Hybrid retrieval (search/hybrid.py, store/vectors.py): commits embedded once by an OpenAI-compatible
/v1/embeddings endpoint, their vectors kept beside the index in SQLite and PostgreSQL, and `search`'s words
fused with the nearest vectors. The storage and fusion tests use a local embeddings server that hashes
character trigrams (so "attn" is near "attention" while no word matches); the end-to-end test uses
llama.cpp's own server with --embeddings and the SmolLM2 GGUF the suite ships."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dailydiff.common.embedder import EndpointEmbedder
from dailydiff.search.hybrid import find_hybrid, fuse, sync
from dailydiff.store import DB_NAME, Store
from dailydiff.store.search import SearchFilters
from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import dailydiff
from publish_reports import make_report
from webserver import serving

UTC = dt.UTC
REPO = "demo/kernels"
SPECS = [
    CommitSpec("feat: add a paged attention kernel for decoding", dt.datetime(2026, 4, 2, 9, tzinfo=UTC),
               edits=[FileEdit("csrc/attention/decode.cu", "__global__ void k(){}\n" * 40)]),
    CommitSpec("fix: guard top-p sampling against NaN logits", dt.datetime(2026, 4, 2, 11, tzinfo=UTC),
               edits=[FileEdit("python/sampling.py", "def top_p():\n    return 2\n" * 20)]),
    CommitSpec("docs: explain how to build the wheels", dt.datetime(2026, 4, 3, 9, tzinfo=UTC),
               edits=[FileEdit("docs/build.md", "pip wheel .\n" * 10)]),
    CommitSpec("perf: faster grouped GEMM for mixture of experts", dt.datetime(2026, 4, 3, 12, tzinfo=UTC),
               edits=[FileEdit("csrc/gemm/grouped.cu", "__global__ void g(){}\n" * 60)]),
]  # fmt: skip
DIMS = 256


def trigram_vector(text: str) -> list[float]:
    """A text's character trigrams hashed into DIMS buckets (what the local server answers)."""
    vec = [0.0] * DIMS
    for word in text.lower().split():
        padded = f"#{word}#"
        for i in range(len(padded) - 2):
            vec[int(hashlib.md5(padded[i : i + 3].encode()).hexdigest(), 16) % DIMS] += 1.0
    return vec


class Served:
    def __init__(self) -> None:
        self.requests = 0
        self.inputs = 0


@pytest.fixture(scope="module")
def embeddings() -> Iterator[tuple[str, Served]]:
    seen = Served()

    async def embed(request: Request) -> JSONResponse:
        body = await request.json()
        seen.requests += 1
        seen.inputs += len(body["input"])
        data = [
            {"object": "embedding", "index": i, "embedding": trigram_vector(t)}
            for i, t in enumerate(body["input"])
        ]
        return JSONResponse({"object": "list", "model": body["model"], "data": data})

    with serving(Starlette(routes=[Route("/v1/embeddings", embed, methods=["POST"])])) as url:
        yield url + "/v1", seen


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hybrid")
    build_repo(tmp / "repo", SPECS)
    dailydiff("report", str(tmp / "repo"), "--from", "2026-04-02", "--to", "2026-04-03", "--tz", "UTC", "--lang",
              "en", "--name", REPO, "--data-dir", str(tmp / "data"), "--quiet", cwd=tmp)  # fmt: skip
    return tmp / "data"


def _stored(kind: str, reported: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "sqlite":
        copy = tmp_path / "data"
        copy.mkdir()
        (copy / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
        return Store.connect(copy / DB_NAME)
    store = Store.connect(request.getfixturevalue("pg_url"))
    with Store.connect(reported / DB_NAME) as source:
        store.save_reports(list(source.iter_reports()))
    return store


def _ids(store: Store, question: str, embedder: Any, limit: int = 4) -> list[str]:
    settings = _Settings()
    result = find_hybrid(store, settings, question, SearchFilters(), limit, embedder=embedder)
    return [h.doc.title for h in result.hits]


class _Search:
    embedding_model = ""  # the embedder is the one a test passes
    fuse_languages = ("en", "zh")
    embedding_batch = 2


class _Settings:
    search = _Search()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_vectors_are_stored_once_and_fused_with_the_words(
    kind: str, reported: Path, tmp_path: Path, embeddings: tuple[str, Served], request: pytest.FixtureRequest
) -> None:
    url, served = embeddings
    embedder = EndpointEmbedder(url, "trigrams")
    with _stored(kind, reported, tmp_path, request) as store:
        before = served.inputs
        first = sync(store, embedder, batch=3)
        assert (first.rows, first.embedded, first.reused) == (4, 4, 0)
        assert served.inputs - before == 4 and embedder.requests == 2  # batches of 3: 3 + 1
        again = sync(store, embedder, batch=3)
        assert (again.embedded, again.reused) == (0, 0) and embedder.requests == 2  # a re-run embeds nothing
        # the nearest row to a commit's own text is that commit
        near = store.nearest_vectors(trigram_vector("guard top-p sampling against NaN logits"), "trigrams",
                                     SearchFilters(), 2)  # fmt: skip
        assert near[0][1] and store.search_docs([near[0][:3]])[near[0][:3]].title.startswith(
            "fix: guard top-p"
        )
        assert near[0][3] > near[1][3]
        # filters hold for the vectors too
        only_docs = store.nearest_vectors(
            trigram_vector("attention"), "trigrams", SearchFilters(path_glob="docs/*"), 4
        )
        assert [store.search_docs([r[:3]])[r[:3]].paths for r in only_docs] == [["docs/build.md"]]
        # "attn kernels": no stored word matches it; the vectors find the attention kernel first
        assert _ids(store, "attn kernls", None) == []  # no embedder: words only (nothing configured)
        fused = _ids(store, "attn kernls", embedder)
        assert fused[0] == "feat: add a paged attention kernel for decoding"
        # a word match and a vector match both count: the GEMM commit is first by words and by vectors
        assert _ids(store, "grouped GEMM experts", embedder)[0].startswith("perf: faster grouped GEMM")
        # a changed report re-embeds only the commits whose text changed
        rebuilt = store.reindex_search()
        assert rebuilt == 4
        after = sync(store, embedder, batch=3)
        assert (after.embedded, after.reused) == (0, 4)


@pytest.mark.parametrize(
    "question, filters",
    [("attention kernels", SearchFilters()), ("sampling NaN", SearchFilters()), ("wheels docs", SearchFilters()),
     ("grouped GEMM", SearchFilters(path_glob="csrc/**")), ("kernel", SearchFilters(date_from=dt.date(2026, 4, 3))),
     ("", SearchFilters())],  # a zero vector: no cosine, every row scores 0
)  # fmt: skip
def test_sqlite_vec_ranks_as_the_python_scoring(
    question: str, filters: SearchFilters, reported: Path, tmp_path: Path, embeddings: tuple[str, Served],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """With pysqlite3 and sqlite-vec installed (the hybrid extra), a SQLite store's vectors are scored by
    sqlite-vec (in memory: never a second SQLite library on the store's file); without them, scored in
    Python: the same rows in the same order."""
    import array
    import sys

    from dailydiff.store import vectorrank, vectors

    url, _ = embeddings
    copy = tmp_path / "data"
    copy.mkdir()
    (copy / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
    opened: list[str] = []
    connect = vectorrank.vec_connect
    monkeypatch.setattr(
        vectors, "vec_connect", lambda target, *a, **k: opened.append(target) or connect(target, *a, **k)
    )
    with Store.connect(copy / DB_NAME) as store:
        sync(store, EndpointEmbedder(url, "trigrams"), batch=4)
        probe = trigram_vector(question)
        blob = array.array("f", vectors.unit(probe)).tobytes()
        assert vectors._vec_scores([blob], vectors.unit(probe)) is not None  # sqlite-vec runs here
        by_vec = store.nearest_vectors(probe, "trigrams", filters, 4)
        assert opened and set(opened) == {":memory:"}, opened  # scored by sqlite-vec, not on the store's file
        monkeypatch.setitem(sys.modules, "pysqlite3", None)  # as where it is not installed
        assert vectors._vec_scores([blob], vectors.unit(probe)) is None
        by_python = store.nearest_vectors(probe, "trigrams", filters, 4)
    assert by_python and [r[:3] for r in by_vec] == [r[:3] for r in by_python]
    assert all(math.isclose(a[3], b[3], abs_tol=1e-5) for a, b in zip(by_vec, by_python, strict=True))


# A search's two sides at once, over and over, in a process of its own: the words' full-text queries on the
# store's connection, the vectors' scoring on a connection beside it (as search/hybrid.py runs them).
_BOTH_SIDES = """
import sys, threading, time
from dailydiff.store import Store
from dailydiff.store.search import SearchFilters
store = Store.connect(sys.argv[1])
probe = [float(x) for x in sys.argv[2].split(",")]
until, failed = time.monotonic() + 4, []
def words():
    while time.monotonic() < until:
        store.search_term_counts(["attention", "kernel", "fix"])
        store._db.execute("SELECT COUNT(*), SUM(length(vec)) FROM search_vectors").fetchone()  # a longer read
def vectors():
    beside = store.beside()
    try:
        n = 0
        while time.monotonic() < until:
            n += 1
            with beside._db.transaction():  # what a search's sync writes first: vectors embedded since
                beside._db.execute("INSERT INTO search_vectors (key, model, vec) VALUES (?, 'new', ?)",
                                   (f"new-{n}", bytes(2304)))
            assert beside.nearest_vectors(probe, "trigrams", SearchFilters(), 4)
    except BaseException as exc:
        failed.append(exc)
    finally:
        beside.close()
threads = [threading.Thread(target=words), threading.Thread(target=vectors)]
[t.start() for t in threads]
[t.join() for t in threads]
print("failed" if failed else "ok", failed)
"""


def test_the_words_and_the_vectors_of_a_sqlite_store_are_read_at_once_without_a_crash(
    reported: Path, tmp_path: Path, embeddings: tuple[str, Served]
) -> None:
    """For four seconds, in a process of its own, one thread runs the words' queries while another writes a
    vector (as a search's sync does) and scores the vectors. They were scored by a pysqlite3 connection to
    the store's file: a second SQLite library beside Python's own, neither seeing the other's locks. Opening
    the file, it reset the write-ahead log's shared memory that Python's connections were reading, and the
    process died of SIGBUS (exit -7 within about a second here, every time)."""
    import subprocess
    import sys

    url, _ = embeddings
    copy = tmp_path / "data"
    copy.mkdir()
    (copy / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
    with Store.connect(copy / DB_NAME) as store:
        sync(store, EndpointEmbedder(url, "trigrams"), batch=4)
        with store._db.transaction():  # another model's vectors: a store of some size, nothing they rank
            store._db.executemany("INSERT INTO search_vectors (key, model, vec) VALUES (?, 'other', ?)",
                                  [(f"other-{n}", bytes(2304)) for n in range(3000)])  # fmt: skip
    probe = ",".join(str(v) for v in trigram_vector("attention kernel"))
    done = subprocess.run([sys.executable, "-c", _BOTH_SIDES, str(copy / DB_NAME), probe], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")})  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("ok"), (
        done.returncode,
        done.stdout,
        done.stderr[-2000:],
    )


def test_a_postgresql_stores_real_arrays_are_read_then_converted_by_reindex(
    reported: Path, tmp_path: Path, embeddings: tuple[str, Served], request: pytest.FixtureRequest
) -> None:
    """A store made when PostgreSQL kept vectors as real[] (scored in the query) answers alike, and `store
    reindex` rewrites them as bytea (scored here) without embedding anything again."""
    import psycopg

    url, _ = embeddings
    embedder = EndpointEmbedder(url, "trigrams")
    pg_url = request.getfixturevalue("pg_url")
    with psycopg.connect(pg_url, autocommit=True) as db:  # the table as the earlier release made it
        db.execute(
            "CREATE TABLE search_vectors (key TEXT PRIMARY KEY, model TEXT NOT NULL, vec real[] NOT NULL)"
        )
    probes = [trigram_vector(q) for q in ("attention kernels", "sampling NaN", "grouped GEMM", "wheels")]

    def column() -> str:
        with psycopg.connect(pg_url) as db:
            row = db.execute("SELECT data_type FROM information_schema.columns WHERE table_name = "
                             "'search_vectors' AND column_name = 'vec'").fetchone()  # fmt: skip
            return str(row[0]) if row else ""

    _stored("postgresql", reported, tmp_path, request).close()
    with Store.connect(pg_url) as store:
        assert sync(store, embedder, batch=4).embedded == 4
        assert column() == "ARRAY"
        before = [store.nearest_vectors(p, "trigrams", SearchFilters(), 4) for p in probes]
        store.reindex_search()
        assert column() == "bytea"
        again = sync(store, embedder, batch=4)
        assert (again.embedded, again.reused) == (0, 4) and embedder.requests == 1
        after = [store.nearest_vectors(p, "trigrams", SearchFilters(), 4) for p in probes]
    assert [[r[:3] for r in near] for near in after] == [[r[:3] for r in near] for near in before]
    assert all(math.isclose(a[3], b[3], abs_tol=1e-5) for x, y in zip(after, before, strict=True)
               for a, b in zip(x, y, strict=True))  # fmt: skip


def test_a_postgresql_store_keeps_each_vector_in_its_row(
    reported: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A vector of 600 dimensions (2.4 kB, past the 2 kB where PostgreSQL moves a value to the TOAST table)
    stays in its row, where a search reads every vector at once; a store made before, its vectors out of
    line, has them moved in by `store reindex`, unchanged; a new store's table is made so."""
    import psycopg

    from dailydiff.store import vectors

    pg_url = request.getfixturevalue("pg_url")
    with psycopg.connect(pg_url, autocommit=True) as db:  # the table as the earlier release made it
        db.execute(
            "CREATE TABLE search_vectors (key TEXT PRIMARY KEY, model TEXT NOT NULL, vec bytea NOT NULL)"
        )
        db.execute(vectors._EMBEDDED)

    def out_of_line() -> int:
        with psycopg.connect(pg_url) as db:
            toast = db.execute("SELECT reltoastrelid::regclass::text FROM pg_class "
                               "WHERE relname = 'search_vectors'").fetchone()[0]  # fmt: skip
            return int(db.execute(f"SELECT COUNT(DISTINCT chunk_id) FROM {toast}").fetchone()[0])

    rng = random.Random(7)
    vector = [rng.gauss(0.0, 1.0) for _ in range(600)]  # random: nothing for PostgreSQL to compress
    _stored("postgresql", reported, tmp_path, request).close()
    with Store.connect(pg_url) as store:
        row = store.vector_rows()[0][:3]
        store.save_vectors("m", [("k1", vector)], [(*row, "k1")])
        before = store.nearest_vectors(vector, "m", SearchFilters(), 1)
        assert out_of_line() == 1 and not vectors._inline(store._db)
        store.reindex_search()
        assert out_of_line() == 0 and vectors._inline(store._db)
        store.save_vectors("m", [("k2", vector[::-1])], [(*row, "k1")])
        assert out_of_line() == 0 and store.nearest_vectors(vector, "m", SearchFilters(), 1) == before
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("DROP TABLE search_vectors, search_embedded")
    with Store.connect(pg_url) as store:
        store.vector_rows()  # the tables made on first use
        assert vectors._inline(store._db)


def _joins() -> tuple[str, list[str]]:
    return (
        "FROM search_docs d JOIN search_embedded e ON e.repo = d.repo AND e.sha = d.sha AND e.language = "
        "d.language JOIN search_vectors v ON v.key = e.key WHERE v.model = ?",
        ["trigrams"],
    )


def test_retrieve_chooses_the_agents_filter_or_hybrid_retrieval(
    reported: Path, tmp_path: Path, embeddings: tuple[str, Served]
) -> None:
    """The one choice `search` and the MCP search tool make (search/hybrid.py ``retrieve``): `--agent` or
    `agent:yes` keeps only commits a coding agent wrote (none here); anything else, a mere mention of
    "agent:" included, is hybrid retrieval, which finds the attention kernel by its vector alone."""
    from types import SimpleNamespace

    from dailydiff.search.hybrid import retrieve

    url, _ = embeddings
    settings = SimpleNamespace(
        search=SimpleNamespace(embedding_model="trigrams", embedding_base_url=url, embedding_batch=4,
                               embedding_timeout=10.0, fuse_languages=["en"]),
        llm=SimpleNamespace(base_url="", api_key_env=""),
    )  # fmt: skip
    copy = tmp_path / "data"
    copy.mkdir()
    (copy / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
    attention = "feat: add a paged attention kernel for decoding"
    with Store.connect(copy / DB_NAME) as store:

        def titles(question: str, agents_only: bool = False) -> list[str]:
            result = retrieve(store, settings, question, SearchFilters(), 4, agents_only=agents_only)
            return [h.doc.title for h in result.hits]

        assert titles("attn kernls")[0] == attention  # no stored word matches: the vectors found it
        assert titles("attn kernls agent:maybe")[0] == attention
        assert titles("attention kernel")[0] == attention
        assert titles("attention kernel agent:yes") == titles("attention kernel", agents_only=True) == []


def test_fusion_is_reciprocal_rank_fusion() -> None:
    a, b, c = ("r", "a", "en"), ("r", "b", "en"), ("r", "c", "en")
    fused = fuse([a, b], [c, b])
    assert [key for key, _ in fused] == [b, a, c]
    assert math.isclose(fused[0][1], 1 / 62 + 1 / 62) and math.isclose(fused[1][1], 1 / 61)


def test_search_and_reindex_use_the_configured_model(reported: Path, tmp_path: Path,
                                                     embeddings: tuple[str, Served]) -> None:  # fmt: skip
    url, served = embeddings
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
    config = tmp_path / "conf" / "hybrid.toml"  # not in the working directory, where it would be read anyway
    config.parent.mkdir()
    config.write_text(
        f'[search]\nembedding_model = "trigrams"\nembedding_base_url = "{url}"\nfuse_languages = ["en"]\n'
    )
    words_only = dailydiff(
        "search", "attn kernls", "--json", "--data-dir", str(data), cwd=tmp_path, check=False
    )
    assert words_only.returncode == 1 and json.loads(words_only.stdout)["commits"] == []  # as grep: no match
    found = dailydiff(
        "search", "attn kernls", "--json", "--data-dir", str(data), "--config", str(config), cwd=tmp_path
    )
    titles = [c["title"] for c in json.loads(found.stdout)["commits"]]
    assert titles[0] == "feat: add a paged attention kernel for decoding"
    before = served.inputs
    out = dailydiff("store", "reindex", "--data-dir", str(data), "--config", str(config), cwd=tmp_path).stdout
    assert "vectors: 4 row(s), 0 text(s) embedded, 4 reused" in out and served.inputs == before


@pytest.mark.llm_server
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_embedded_by_llama_cpp_server_end_to_end(
    kind: str, reported: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from llama_server import MODEL, embedding_server

    with embedding_server(tmp_path) as url, _stored(kind, reported, tmp_path, request) as store:
        embedder = EndpointEmbedder(url, MODEL)
        first = sync(store, embedder, batch=3)
        assert (first.rows, first.embedded) == (4, 4)
        assert sync(store, embedder, batch=3).embedded == 0  # a re-run embeds nothing
        probe = embedder.embed(["guard top-p sampling against NaN logits"])[0]
        near = store.nearest_vectors(probe, MODEL, SearchFilters(), 4)
        assert len(near) == 4 and len({round(r[3], 6) for r in near}) > 1  # real vectors, scored apart
        # the fused ranking holds the words' best hit and every row the vectors found
        words = _ids(store, "sampling NaN", None)
        fused = _ids(store, "sampling NaN", embedder)
        assert words[0] == fused[0] == "fix: guard top-p sampling against NaN logits"
        assert len(fused) == 4 > len(words)


def test_commits_are_embedded_when_their_report_is_stored(
    tmp_path: Path, embeddings: tuple[str, Served]
) -> None:
    url, served = embeddings
    build_repo(tmp_path / "repo", SPECS[:2])
    config = tmp_path / "conf" / "hybrid.toml"
    config.parent.mkdir()
    config.write_text(f'[search]\nembedding_model = "trigrams"\nembedding_base_url = "{url}"\n')
    before = served.inputs
    dailydiff("report", str(tmp_path / "repo"), "--date", "2026-04-02", "--tz", "UTC", "--lang", "en", "--name", REPO,
              "--data-dir", str(tmp_path / "data"), "--config", str(config), "--quiet", cwd=tmp_path)  # fmt: skip
    assert served.inputs - before == 2
    with Store.connect(tmp_path / "data" / DB_NAME) as store:
        assert [row[6] is not None for row in store.vector_rows()] == [True, True]


@pytest.mark.parametrize("numpy", [True, False])
def test_vectors_are_scored_alike_with_and_without_numpy(
    numpy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import array
    import sys

    from dailydiff.store.vectors import _dots

    if not numpy:
        monkeypatch.setitem(sys.modules, "numpy", None)  # an import of it fails: the Python path
    rows = [[0.5, -1.0, 2.0], [1.0, 0.0, 0.25]]
    scores = _dots([array.array("f", r).tobytes() for r in rows], [2.0, 1.0, -4.0])
    assert [round(s, 5) for s in scores] == [-8.0, 1.0]


# The embedder's timeout in the two tests below. A batch the server is "too slow" for is held until the test
# ends, never answered within it; every other batch is answered at once: what is asserted is counted (the
# batches sent), not timed, and the timeout leaves a loaded machine room for an answer given at once.
TIMEOUT = 2.0


@contextlib.contextmanager
def _holding(too_slow: Any) -> Iterator[tuple[str, list[list[str]]]]:
    """An embeddings server that records each batch, holds those ``too_slow(texts)`` picks until the block
    ends (past any timeout), and answers the others at once."""
    import asyncio
    import threading

    sent: list[list[str]] = []
    release = threading.Event()

    async def embed(request: Request) -> JSONResponse:
        texts = (await request.json())["input"]
        sent.append(texts)
        if too_slow(texts):
            await asyncio.to_thread(release.wait, 60)
        return JSONResponse(
            {"data": [{"index": i, "embedding": trigram_vector(t)} for i, t in enumerate(texts)]}
        )

    with serving(Starlette(routes=[Route("/v1/embeddings", embed, methods=["POST"])])) as url:
        try:
            yield url + "/v1", sent
        finally:
            release.set()


def test_a_batch_the_server_is_too_slow_for_is_split_not_sent_again() -> None:
    """A server too slow for more than two texts a request (it answers them after the embedder's timeout):
    a batch of eight times out and is sent again as halves until they answer in time, and later batches are
    no bigger; no batch is sent twice; one text too slow still fails."""
    from dailydiff.common.embedder import EmbeddingError

    texts = [f"commit {i}: fix the lock in module {i}" for i in range(8)]
    with _holding(lambda batch: len(batch) > 2 or batch == ["a very slow text"]) as (url, sent):
        embedder = EndpointEmbedder(url, "m", timeout=TIMEOUT, retries=1)
        assert embedder.embed(texts) == [trigram_vector(t) for t in texts]
        assert sent[:2] == [texts, texts[:4]] and all(len(batch) <= 4 for batch in sent[1:])
        assert len({tuple(batch) for batch in sent}) == len(sent)  # none sent twice
        learned, before = embedder.most, len(sent)
        assert embedder.embed(texts[::-1]) == [trigram_vector(t) for t in texts[::-1]]
        assert learned == 2 and all(
            len(batch) <= learned for batch in sent[before:]
        )  # no batch too big again
        with pytest.raises(EmbeddingError, match="ReadTimeout"):
            embedder.embed(["a very slow text"])
        assert sent[-2:] == [["a very slow text"]] * 2  # one text: asked again (retries=1), then given up


def test_batches_cut_after_one_timed_out_keep_every_text_in_order() -> None:
    """Texts asked two a batch; the first batch times out, so the batches after it are of one. Every text is
    still embedded once, in order: the batches were cut with the new size while stepped by the old one, and
    the fourth text was skipped (seven vectors for eight, each after it a text off)."""
    texts = [f"text {i}" for i in range(8)]
    with _holding(lambda batch: batch == ["text 0", "text 1"]) as (url, sent):
        embedder = EndpointEmbedder(url, "m", timeout=TIMEOUT, retries=0)
        embedder.most = 2  # learned from an earlier batch
        assert embedder.embed(texts) == [trigram_vector(t) for t in texts]
    assert sent[0] == ["text 0", "text 1"] and all(len(batch) == 1 for batch in sent[1:]), sent
    assert sorted(t for batch in sent[1:] for t in batch) == texts


def test_the_embedder_sends_through_the_one_send_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 64's one send loop: each request the embedding server receives is an attempt the one policy's
    ``send`` began (a 503 asked again by the loop, then answered), and a server that keeps failing ends
    the loop with the policy's last problem."""
    from dailydiff.common.embedder import EmbeddingError
    from dailydiff.common.http import Sending

    made: list[int] = []
    begin = Sending.begin

    def counted(self: Sending, *, watch: bool) -> Any:
        made.append(1)
        return begin(self, watch=watch)

    monkeypatch.setattr(Sending, "begin", counted)
    answers: list[int] = [503, 200, 500, 500]
    received: list[int] = []

    async def embed(request: Request) -> JSONResponse:
        texts = (await request.json())["input"]
        status = answers.pop(0)
        received.append(status)
        data = [{"index": i, "embedding": trigram_vector(t)} for i, t in enumerate(texts)]
        return JSONResponse({"data": data} if status == 200 else {"error": "busy"}, status_code=status)

    with serving(Starlette(routes=[Route("/v1/embeddings", embed, methods=["POST"])])) as url:
        embedder = EndpointEmbedder(url + "/v1", "m", timeout=5.0, retries=1)
        assert embedder.embed(["lock fix"]) == [trigram_vector("lock fix")]
        assert (received, len(made), embedder.requests) == ([503, 200], 2, 2)
        with pytest.raises(EmbeddingError, match="HTTP 500"):
            embedder.embed(["lock fix"])
    assert (received, len(made)) == ([503, 200, 500, 500], 4)


def test_the_question_is_embedded_while_the_words_are_ranked(
    reported: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The question's embedding request reaches the server while the words are being ranked here (the server
    embeds on another core; search/hybrid.py ``_Asked``): the full-text query below waits until the request
    has arrived, which it never would if the question were sent only after the words' ranking."""
    import threading

    arrived = threading.Event()

    async def embed(req: Request) -> JSONResponse:
        body = await req.json()
        arrived.set()
        data = [
            {"object": "embedding", "index": i, "embedding": trigram_vector(t)}
            for i, t in enumerate(body["input"])
        ]
        return JSONResponse({"object": "list", "model": body["model"], "data": data})

    waited: list[bool] = []

    def trace(sql: str) -> None:
        if "search_fts MATCH" in sql and not waited:
            waited.append(arrived.wait(10))

    app = Starlette(routes=[Route("/v1/embeddings", embed, methods=["POST"])])
    with serving(app) as url, _stored("sqlite", reported, tmp_path, request) as store:
        store._db._db.set_trace_callback(trace)  # type: ignore[attr-defined]  # SQLite's own connection
        titles = _ids(store, "attention kernel", EndpointEmbedder(url + "/v1", "trigrams"))
    assert waited == [True] and titles


def test_the_vectors_thread_reads_a_sqlite_store_on_a_connection_of_its_own(tmp_path: Path) -> None:
    """The vectors' side of a hybrid search reads the store on its own thread (``Store.beside``). On the words'
    side's SQLite connection, one thread reading a cursor while the other ran a statement deadlocked when the
    connection called back into Python (the test above traces its statements): the reader held the GIL
    waiting for the connection's mutex, the statement held the mutex waiting for the GIL, for good. Its own
    connection reads the same rows, a cursor of each open at once, and closing it leaves the first open."""
    location = tmp_path / DB_NAME
    with Store.connect(location) as store:
        store.save_report(make_report(4))
        traced: list[str] = []
        store._db._db.set_trace_callback(traced.append)  # type: ignore[attr-defined]  # the words' side
        other = store.beside()
        try:
            assert other is not store and other._db._db is not store._db._db  # type: ignore[attr-defined]
            rows = other._db.execute("SELECT sha FROM search_docs ORDER BY sha")  # read lazily below
            first = store._db.execute("SELECT sha FROM search_docs ORDER BY sha")
            assert [r[0] for r in rows] == [r[0] for r in first] and len(traced) == 1
        finally:
            other.close()
        assert store.search_term_counts(["heading"])[0] > 0


# The modules loaded when `search` starts the thread that asks for the question's embedding, and the requests.
_EMBED_STARTED = """
import atexit, json, runpy, sys, threading
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]
seen = {}
started = threading.Thread.start

def start(self):
    if self.name == "dailydiff-embed":
        seen.setdefault("started", sorted(sys.modules))
    return started(self)

threading.Thread.start = start
atexit.register(lambda: open(out, "w").write(json.dumps(seen)))
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


def test_search_asks_for_the_questions_embedding_before_loading_the_search(
    reported: Path, tmp_path: Path, embeddings: tuple[str, Served]
) -> None:
    """`search` asks for the question's embedding as soon as its settings are read: the server embeds it (on
    another core) while the ranking, the store and the index load here (cli/search.py)."""
    import subprocess
    import sys

    url, served = embeddings
    asked = served.requests
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
           "DAILYDIFF_SEARCH_EMBEDDING_MODEL": "trigrams", "DAILYDIFF_SEARCH_EMBEDDING_BASE_URL": url,
           "DAILYDIFF_SEARCH_FUSE_LANGUAGES": '["en"]'}  # fmt: skip
    probe = tmp_path / "seen.json"
    done = subprocess.run([sys.executable, "-c", _EMBED_STARTED, str(probe), "search", "attn kernls", "--json",
                           "--data-dir", str(data)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["commits"][0]["title"] == "feat: add a paged attention kernel for decoding"
    seen = json.loads(probe.read_text())
    assert served.requests > asked  # the question's, and the commits' (none stored yet)
    assert "dailydiff.settings.loading" in seen["started"]
    assert not {"dailydiff.search", "dailydiff.store", "dailydiff.search.rank"} & set(seen["started"])


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_vectors_side_reads_a_postgresql_store_on_a_session_of_its_own(
    kind: str, reported: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``Store.beside``: on PostgreSQL another session, whose statements run while this one's is still
    running (the words' full-text queries and the vectors' ran one after the other on one connection); on
    SQLite a connection of its own (the test above). Closing it leaves the store it came from open."""
    import threading
    import time

    import psycopg

    with _stored(kind, reported, tmp_path, request) as store:
        beside = store.beside()
        if kind == "sqlite":
            beside.close()
            assert beside._db._db is not store._db._db  # type: ignore[attr-defined]
            assert store._db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0] > 0
            return
        try:
            pid = "SELECT pg_backend_pid()"
            assert beside._db.execute(pid).fetchone()[0] != store._db.execute(pid).fetchone()[0]
            order: list[str] = []

            def busy() -> None:
                store._db.execute("SELECT pg_sleep(2)").fetchone()
                order.append("first session")

            thread = threading.Thread(target=busy)
            thread.start()
            with psycopg.connect(request.getfixturevalue("pg_url"), autocommit=True) as watcher:
                while not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND "
                                          "query = 'SELECT pg_sleep(2)'").fetchone():  # fmt: skip
                    time.sleep(0.01)
            assert beside.search_repos() == [REPO]  # while the first session sleeps
            order.append("beside")
            thread.join()
            assert order == ["beside", "first session"]
        finally:
            beside.close()
        assert store.search_repos() == [REPO]


@contextlib.contextmanager
def hanging_endpoint() -> Iterator[str]:
    """An embeddings URL whose server takes the connection (the kernel's backlog) and never answers."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: a hang ends the process, not the test run."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "dailydiff", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_a_search_whose_embedding_endpoint_hangs_answers_by_words_within_its_bound(
    reported: Path, tmp_path: Path
) -> None:
    """Issue 86 failure 2: the embedding endpoint takes the request and never answers. `search` waits
    `[search] embedding_timeout` (1 s here) for the question's vectors, then answers by its words, and says
    so on stderr."""
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes((reported / DB_NAME).read_bytes())
    with hanging_endpoint() as url:
        config = tmp_path / "hybrid.toml"
        config.write_text(f'[search]\nembedding_model = "m"\nembedding_base_url = "{url}"\n'
                          'fuse_languages = ["en"]\nembedding_timeout = 1\n')  # fmt: skip
        found = _cli(tmp_path, "search", "paged attention kernel", "--json", "--data-dir", str(data), "--config",
                     str(config))  # fmt: skip
    assert found.returncode == 0, found.stderr
    titles = [c["title"] for c in json.loads(found.stdout)["commits"]]
    assert titles[0] == "feat: add a paged attention kernel for decoding"
    assert "embedding_timeout (1s)" in found.stderr, found.stderr


def test_a_report_whose_embedding_endpoint_hangs_stores_every_day_and_says_so(tmp_path: Path) -> None:
    """Issue 86 failure 2: `report` of two days against an embedding endpoint that never answers: both days
    are stored (without vectors), exit 0; the timeout is said on stderr with its setting, and the commits
    not embedded once: the endpoint is not waited for again in this process."""
    build_repo(tmp_path / "repo", SPECS)
    with hanging_endpoint() as url:
        config = tmp_path / "hybrid.toml"
        config.write_text(
            f'[search]\nembedding_model = "m"\nembedding_base_url = "{url}"\nembedding_timeout = 1\n'
        )
        done = _cli(tmp_path, "report", str(tmp_path / "repo"), "--from", "2026-04-02", "--to", "2026-04-03", "--tz",
                    "UTC", "--lang", "en", "--name", REPO, "--data-dir", str(tmp_path / "data"), "--config",
                    str(config), "-o", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "[search] embedding_timeout (1s)" in done.stderr, done.stderr
    assert done.stderr.count("commits not embedded") == 1, done.stderr
    with Store.connect(tmp_path / "data" / DB_NAME) as store:
        stored = [store.get_report(REPO, dt.date(2026, 4, d), "en") for d in (2, 3)]
        assert all(r is not None for r in stored)
        assert [row[6] for row in store.vector_rows()] == [None] * 4
