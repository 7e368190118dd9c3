"""Benchmark: `dailydiff search` / `ask --no-llm` retrieval over 10,000 stored commits, on SQLite and on
PostgreSQL (Debian's, started here as tests/pgserver.py does), side by side in one run.

    python3 bench/search_scale.py [--commits 10000] [--queries 30]

Synthetic history: 40 repositories, days of 5 commits, titles, paths, pull requests and summaries drawn
from a vocabulary of kernel-library words (Zipf-like: a few words are common, most are rare). Every
report goes in through Store.save_report, so the index is built as `run` builds it; PostgreSQL's store is
then vacuumed and analysed, as autovacuum leaves it the day after. Prints the median and
the slowest retrieval per backend (the target: under 200 ms on 2 cores) and the ratio PostgreSQL/SQLite,
then what a user waits for: the whole `dailydiff search QUESTION` command (process start included, the
defaults) on each backend, beside `dailydiff --version` (the target: a median under 0.5 s). The commands
run compiled, as an installed package does: their bytecode is cached in a temporary PYTHONPYCACHEPREFIX
(PYTHONDONTWRITEBYTECODE is not passed on) by one untimed run of each tree first. With --before, each
question's output from the older tree must be the same as from this one (the same hits, in order).

With --vectors, the same command is timed again with hybrid retrieval on ([search] embedding_model, its
fuse_languages "en" and "zh"): the question is embedded by a real /v1/embeddings server (llama.cpp's
llama-server with the SmolLM2 GGUF the suite ships, started as tests/llama_server.py does; one HTTP call a
search), and the store's 10,000 commits hold vectors of the model's dimension. Those stored vectors are
pseudo-random unit vectors keyed by each commit's text (labelled so in the output): embedding 10,000 texts
with a 135M model on one thread of a shared 2-core machine takes hours, and what a search costs does not
depend on the vectors' values (every stored vector is scored either way).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from dailydiff.models import (  # noqa: E402
    Analysis,
    ChangeType,
    DayReport,
    FileChange,
    Level,
    Person,
    PullRequest,
    ReportCommit,
    Score,
    Window,
)
from dailydiff.search import find  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from dailydiff.store.search import SearchFilters  # noqa: E402
from store_workers import postgres  # noqa: E402
from verdict import verdict  # noqa: E402

WORDS = ["attention", "decode", "prefill", "paged", "kv", "cache", "mla", "gqa", "sparse", "moe", "routing", "expert", "allreduce", "allgather", "gemm", "fp8", "fp4", "nvfp4", "mxfp8", "bf16", "int4", "quantization", "scale", "kernel", "cute", "dsl", "cutlass", "cudnn", "trtllm", "sm90", "sm100", "sm120", "blackwell", "hopper", "autotuner", "tactic", "tile", "warp", "cta", "smem", "tma", "pdl", "graph", "sampling", "topk", "topp", "rope", "norm", "rmsnorm", "layernorm", "fusion", "mamba", "ssu", "gdn", "delta", "rule", "state", "mtp", "speculative", "lora", "jit", "aot", "wheel", "ci", "docker", "test", "benchmark", "docs", "api", "wrapper", "backend", "hang", "race", "overflow", "nan", "fix", "perf", "feat", "refactor", "revert", "bump", "version", "deepseek", "qwen", "gemma", "llama", "kimi", "glm", "nemotron", "wan", "dit"]  # fmt: skip
QUERIES = ["attention backend", "fp8 gemm on sm120", "moe routing hang", "nvfp4 kv cache", "autotuner cache",
           "sampling nan fix", "mamba state update", "allreduce fusion", "注意力后端", "cudnn bf16 gemm",
           "what changed in the mla decode kernels?", "which commits fixed races in topk?"]  # fmt: skip


def _zipf(rng: random.Random, count: int) -> list[str]:
    return [WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1) if rng.random() < 0.5
                  else rng.randrange(len(WORDS))] for _ in range(count)]  # fmt: skip


def synthetic_reports(commits: int, seed: int = 7) -> list[DayReport]:
    rng = random.Random(seed)
    reports: list[DayReport] = []
    per_day, repos = 5, 40
    days = commits // (per_day * repos)
    start = dt.date(2025, 1, 1)
    n = 0
    for r in range(repos):
        repo = f"org{r}/lib{r}"
        for d in range(days):
            day = start + dt.timedelta(days=d)
            window = Window(start=dt.datetime.combine(day, dt.time(), dt.UTC),
                            end=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC))  # fmt: skip
            rows = []
            for _ in range(per_day):
                n += 1
                at = window.start + dt.timedelta(minutes=rng.randrange(1440))
                level = rng.choice(list(Level))
                title = f"{rng.choice(['feat', 'fix', 'perf', 'docs'])}: " + " ".join(_zipf(rng, 8))
                paths = ["/".join(_zipf(rng, 3)) + ".py" for _ in range(rng.randint(1, 4))]
                analysis = Analysis(analyzer="heuristic", change_types=[rng.choice(list(ChangeType))],
                                    importance=level, summary=" ".join(_zipf(rng, 30)),
                                    impact=_zipf(rng, 2), risks=[" ".join(_zipf(rng, 10))])  # fmt: skip
                person = Person(name="Dev", email="dev@example.com")
                rows.append(ReportCommit(
                    repo=repo, sha=f"{n:040x}", author=person, committer=person, authored_at=at, committed_at=at,
                    message=title + "\n\n" + " ".join(_zipf(rng, 40)), url=f"https://example.com/{repo}/commit/{n}",
                    files=[FileChange(path=p, additions=5) for p in paths],
                    pr=PullRequest(number=n, title=title, body=" ".join(_zipf(rng, 60))),
                    score=Score(level=level, score=5.0), analysis=analysis, level=level,
                ))  # fmt: skip
            reports.append(
                DayReport(repo=repo, date=day, timezone="UTC", language="en", window=window, commits=rows)
            )
    return reports


def measure(store: Store, queries: int) -> list[float]:
    took = []
    for n in range(queries):
        question = QUERIES[n % len(QUERIES)]
        started = time.perf_counter()
        find(store, question, SearchFilters(), limit=12)
        took.append(time.perf_counter() - started)
    return took


def embedding_endpoint(kind: str, log_dir: Path) -> contextlib.AbstractContextManager[str]:
    """A real /v1/embeddings server over the suite's SmolLM2 GGUF, one thread: llama-cpp-python's (``python``;
    one vector per token, which the client averages) or llama.cpp's own llama-server (``native``: how
    tests/llama_server.py's embedding_server starts it). Both read about 50 tokens per CPU second on one
    thread of this machine: measured side by side (load average ~8 on 2 cores), a 7-token question took the
    native server 0.12-0.13 s of CPU (0.24-0.29 s wall), llama-cpp-python's 0.16-0.18 s (0.34 s), and 16
    commit texts (220 tokens) 4.0 s and 4.5 s of CPU; llama-bench: 35 prompt tokens/s (pp8, 1 thread)."""
    from llama_server import MODEL, THREADS, _serving, embedding_server, model_file
    from netports import free_port

    if kind == "native":
        return embedding_server(log_dir)
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_file()), "--model_alias", MODEL,
               "--embedding", "true", "--n_ctx", "2048", "--host", "127.0.0.1", "--port", str(port),
               "--n_threads", THREADS, "--n_threads_batch", THREADS]  # fmt: skip
    return _serving(command, port, log_dir / "embeddings.log", "the embeddings server", 180.0)


def stand_in_vectors(store: Store, model: str, dimension: int) -> int:
    """Every row of the index given a vector as `sync` stores one (keyed by the model and the row's text), its
    values pseudo-random from that key: the store as a real model leaves it, at the model's dimension."""
    import hashlib

    from dailydiff.search.hybrid import commit_text, text_key

    items: dict[str, list[float]] = {}
    links = []
    for repo, sha, language, title, summary, paths, _ in store.vector_rows():
        key = text_key(model, commit_text(title, summary, paths))
        if key not in items:
            rng = random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))
            items[key] = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
        links.append((repo, sha, language, key))
    keys = list(items)
    for start in range(0, len(keys), 500):  # one transaction a batch, as sync stores them
        chunk = keys[start : start + 500]
        store.save_vectors(model, [(k, items[k]) for k in chunk], [lk for lk in links if lk[3] in set(chunk)])
    return len(links)


def settle(url: str) -> None:
    """What autovacuum does to a store within a minute of a night's writes: the planner's statistics. Timed
    straight after the bulk load, PostgreSQL plans with none (a bitmap scan whatever the term), so the
    figure is not the one a user sees the next day. And what the checkpointer has done by then: the load's
    dirty pages written out (timed while a checkpoint flushes them, a search waits on the disk with it,
    which no search the next day does)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
        db.execute("CHECKPOINT")


def command_times(
    args: list[str], envs: dict[str, dict[str, str]], runs: int, questions: list[str] | None = None
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds (user + system) of the whole command under each labelled environment, each run
    a new process (as a user or an assistant starts it); the environments take turns, so they share the
    machine's load. Each run's output is compared across the environments (the same question, the same
    hits, in the same order): a tree that answers otherwise is an error, not a figure."""
    times: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in envs}
    for n in range(-1, runs):  # run -1: untimed, each tree's bytecode compiled and cached
        argv = [
            sys.executable,
            "-m",
            "dailydiff",
            *args,
            *([questions[n % len(questions)]] if questions else []),
        ]
        said: dict[str, bytes] = {}
        for label, env in envs.items():
            with tempfile.TemporaryFile() as out:
                started = time.perf_counter()
                proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)
                took = time.perf_counter() - started
                out.seek(0)
                said[label] = out.read()
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"{label}: {argv} failed")
            if n >= 0:
                times[label][0].append(took)
                times[label][1].append(usage.ru_utime + usage.ru_stime)
        if len(set(said.values())) > 1:
            raise SystemExit(f"{argv[3:]}: the trees answered differently ({', '.join(said)})")
    return times


def worktree(ref: str, where: Path) -> contextlib.AbstractContextManager[Path]:
    """A detached checkout of REF at WHERE, removed afterwards (as bench/startup.py makes one)."""

    @contextlib.contextmanager
    def made() -> Iterator[Path]:
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(where), ref], cwd=ROOT, check=True)
        try:
            yield where
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)

    return made()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=36)
    parser.add_argument("--pg-url", help="an existing PostgreSQL server's URL (default: start one here)")
    parser.add_argument("--runs", type=int, default=10, help="whole-command runs per backend")
    parser.add_argument("--vectors", action="store_true",
                        help="also time `search` with hybrid retrieval on (a real /v1/embeddings server)")  # fmt: skip
    parser.add_argument(
        "--before", metavar="REF", help="also time `search` from a git worktree of REF (e.g. main)"
    )
    parser.add_argument("--embedder", choices=["python", "native"], default="python",
                        help="the /v1/embeddings server: llama-cpp-python's (default) or llama.cpp's llama-server")  # fmt: skip
    args = parser.parse_args()
    reports = synthetic_reports(args.commits)
    total = sum(len(r.commits) for r in reports)
    results: dict[str, list[float]] = {}
    commands: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, postgres(args.pg_url) as pg, contextlib.ExitStack() as stack:
        # Our code run compiled, as an installed package is (its bytecode written at install): cached in a
        # PYTHONPYCACHEPREFIX of its own whatever PYTHONDONTWRITEBYTECODE says (not passed on), by the untimed
        # first run of each tree (as bench/startup.py does).
        base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "src"), "HOME": os.environ.get("HOME", "/"),
                "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}  # fmt: skip
        pg_url = pg.create_database()
        trees = {"now": base}
        if args.before:
            older = stack.enter_context(worktree(args.before, Path(tmp) / "before"))
            trees = {f"before ({args.before})": {**base, "PYTHONPATH": str(older / "src")}, "now": base}
        hybrid: dict[str, str] = {}
        if args.vectors:
            from dailydiff.common.embedder import EndpointEmbedder
            from llama_server import MODEL

            url = stack.enter_context(embedding_endpoint(args.embedder, Path(tmp)))
            dimension = len(EndpointEmbedder(url, MODEL).embed(["attention kernels"])[0])
            hybrid = {"DAILYDIFF_SEARCH_EMBEDDING_MODEL": MODEL, "DAILYDIFF_SEARCH_EMBEDDING_BASE_URL": url,
                      "DAILYDIFF_SEARCH_FUSE_LANGUAGES": '["en", "zh"]'}  # fmt: skip
        for name, store, env in (
            ("sqlite", Store.open(Path(tmp)), {**base, "DAILYDIFF_DATA_DIR": tmp}),
            ("postgresql", Store.connect(pg_url), {**base, "DAILYDIFF_STORE_URL": pg_url}),
        ):
            with store:
                started = time.perf_counter()
                for report in reports:
                    store.save_report(report)
                print(
                    f"{name:>10}: {total} commits stored and indexed in {time.perf_counter() - started:.1f} s"
                )
                if name == "postgresql":
                    settle(pg_url)
                measure(store, 3)  # warm the caches
                results[name] = measure(store, args.queries)
            for tree, times in command_times(
                ["search"], {tree: {**env, **paths} for tree, paths in trees.items()}, args.runs, QUERIES
            ).items():
                commands[f"search ({name}) {tree}"] = times
            if hybrid:
                with Store.open(Path(tmp)) if name == "sqlite" else Store.connect(pg_url) as reopened:
                    linked = stand_in_vectors(reopened, hybrid["DAILYDIFF_SEARCH_EMBEDDING_MODEL"], dimension)
                print(f"{name:>10}: {linked} rows given stand-in vectors of {dimension} dimensions "
                      "(pseudo-random, keyed by their text); questions embedded by the real server")  # fmt: skip
                # Both backends side by side (a REF whose PostgreSQL kept vectors as real[], before they were
                # bytea, cannot read these: compare with one that reads bytea, as main does since issue 61).
                variants = {t: {**env, **paths, **hybrid} for t, paths in trees.items()}
                for tree, times in command_times(["search"], variants, args.runs, QUERIES).items():
                    commands[f"search+vectors ({name}) {tree}"] = times
        commands["--version now"] = command_times(["--version"], {"now": base}, args.runs)["now"]
    for name, took in results.items():
        print(f"{name:>10}: retrieval median {statistics.median(took) * 1000:.1f} ms, "
              f"slowest {max(took) * 1000:.1f} ms over {len(took)} questions")  # fmt: skip
    ratio = statistics.median(results["postgresql"]) / statistics.median(results["sqlite"])
    print(f"ratio postgresql/sqlite (median): {ratio:.2f}x")
    for name, (took, cpu) in commands.items():
        print(f"dailydiff {name:<36} whole command: median {statistics.median(took):.3f} s, "
              f"slowest {max(took):.3f} s over {len(took)} runs; CPU median {statistics.median(cpu):.3f} s")  # fmt: skip
    print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    searches = [
        statistics.median(t) for n, (t, _) in commands.items() if n.startswith("search") and n.endswith("now")
    ]
    return verdict(ok=True, fast=all(max(t) < 0.2 for t in results.values()) and max(searches) < 0.5)


if __name__ == "__main__":
    raise SystemExit(main())
