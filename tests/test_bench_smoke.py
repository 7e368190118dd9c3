"""The benchmarks are not run by the tests (they measure time), but each must still run: a tiny
configuration of every script in bench/ finishes and prints its ratio line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import build_sample_repo

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "engine_stream.py": [
        "--repo",
        "{repo}",
        "--day",
        "2026-01-19",
        "--range",
        "2026-01-18",
        "2026-01-20",
        "--latency",
        "0.05",
        "--github-latency",
        "0.01",
    ],
    "git_backfill.py": ["{repo}", "--days", "3", "--end", "2026-01-20", "--rounds", "1"],
    "range_memory.py": ["--short", "2", "--long", "4", "--per-day", "1"],
    "change_types.py": [],
    "github_source.py": ["--commits", "4", "--latency", "0.01"],
    "llm_concurrency.py": ["--commits", "4", "--latency", "0.05", "--serial-commits", "2"],
    "laptop_server.py": ["--repo", "{repo}", "--day", "2026-01-19", "--server", "fake"],
    "site_build.py": ["--repos", "1", "--days", "2", "--commits", "3"],
    "startup.py": ["--runs", "1", "--commits", "3"],
    "store_workers.py": ["--repos", "2", "--days", "2", "--per-day", "2"],
    "scale.py": ["--repos", "2", "--days", "2", "--cases", "sqlite", "--analysers", "heuristic"],
    "github_modes.py": [
        "--repo",
        "{repo}",
        "--name",
        "octo/sample",
        "--from",
        "2026-01-18",
        "--to",
        "2026-01-20",
        "--compare-from",
        "2026-01-19",
        "--compare-to",
        "2026-01-19",
    ],
}


def test_every_benchmark_has_a_smoke_configuration() -> None:
    scripts = {p.name for p in (ROOT / "bench").glob("*.py")} - {"run.py", "__init__.py"}
    assert scripts <= SMALL.keys(), f"add a tiny configuration for {sorted(scripts - SMALL.keys())}"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMALL))
def test_benchmark_runs(script: str, tmp_path: Path) -> None:
    if not (ROOT / "bench" / script).exists():
        pytest.skip(f"{script} not present")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'tests'}"}
    args = SMALL[script]
    if "{repo}" in args:  # a scripted repository, not this checkout (which may be a shallow clone)
        build_sample_repo(tmp_path / "repo")
        args = [str(tmp_path / "repo") if a == "{repo}" else a for a in args]
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=240)  # fmt: skip
    # A benchmark may exit 1 to say a tiny configuration misses its time target; it must not crash.
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (
        result.stdout[-2000:] + result.stderr[-2000:]
    )
    assert any(word in result.stdout for word in ("ratio", "×", "x", "/")), result.stdout
