"""Benchmark: a real busy day against a laptop's model server, as a newcomer configures it.

A real repository's day (e.g. flashinfer-ai/flashinfer 2026-03-03: commits whose diffs run over 5k tokens)
is reported against a real server with SmolLM2-135M and an 8k context: llama.cpp's own ``llama-server``
with one slot (``--server native``) or llama-cpp-python's (``--server python``), started as the tests start
them (tests/llama_server.py); ``--server fake`` is the fake endpoint with one slot that states it (a smoke
run of the script, not a measurement). Two runs side by side, each with a fresh store:

- newcomer: the config has ``base_url`` and ``model``, nothing else (the limit is found by measurement);
- by hand: the same with ``concurrency = 1``.

For each it prints the exit code, the wall time, the requests the server answered (from its log), the
requests per commit, timeouts (and those taken as overload), whether the breaker opened, loops stopped,
and how each commit ended; then the newcomer/by-hand wall-time ratio (target ≤ 1.15).

    python3 bench/laptop_server.py --repo /tmp/flashinfer --day 2026-03-03 [--server native|python] [--tz UTC]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from collections.abc import Iterator  # noqa: E402
from contextlib import AbstractContextManager, contextmanager  # noqa: E402

from fake_llm import FakeLLM  # noqa: E402
from llama_server import CONTEXT, MODEL, llama_server, native_server  # noqa: E402


@contextmanager
def fake_server() -> Iterator[str]:
    with FakeLLM(model=MODEL, slots=1, n_ctx=CONTEXT, latency=0.05) as fake:
        yield fake.base_url


def start(kind: str, tmp: Path) -> AbstractContextManager[str]:
    if kind == "native":
        return native_server(tmp, parallel=1)
    return llama_server(tmp) if kind == "python" else fake_server()


STATS = re.compile(
    r"(\d+) requests, at most (\d+) in flight, limit (\d+) at its peak and (\d+) at the end \((\d+) decreases, "
    r"(\d+) timeouts under load, (\d+) loops stopped\)"
)


def run(
    base_url: str, repo: Path, day: str, tz: str, tmp: Path, concurrency: int | None
) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(dir=tmp))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYDIFF_", "GITHUB_"))}
    env.update(DAILYDIFF_LLM_BASE_URL=base_url, DAILYDIFF_LLM_MODEL=MODEL, PYTHONPATH=str(ROOT / "src"))
    if concurrency is not None:
        env["DAILYDIFF_LLM_CONCURRENCY"] = str(concurrency)
    summary = data / "summary.json"
    command = [sys.executable, "-m", "dailydiff", "report", str(repo), "--date", day, "--tz", tz, "--lang", "en",
               "--data-dir", str(data), "--output-dir", str(data / "out"), "--summary-json", str(summary), "-v"]  # fmt: skip
    began = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=data, timeout=7200)
    wall = time.monotonic() - began
    found = STATS.search(done.stderr)
    report = next((data / "out").rglob("*.json"), None)
    commits = json.loads(report.read_text())["commits"] if report else []
    ends = [
        f"{c['sha'][:7]} {c['analysis']['status']} {c['analysis']['analyzer']}"
        + (f" ({c['analysis']['error'][:80]})" if c["analysis"].get("error") else "")
        for c in commits
        if c.get("analysis")
    ]
    return {
        "exit": done.returncode,
        "wall": wall,
        "summary": json.loads(summary.read_text()) if summary.exists() else {},
        "stats": found.groups() if found else None,
        "breaker": "left alone" in done.stderr,
        "timeouts": done.stderr.count("no first token within") + done.stderr.count("did not end within"),
        "ends": ends,
        "tail": done.stderr[-600:] if done.returncode else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="a git clone holding the day")
    parser.add_argument("--day", required=True)
    parser.add_argument("--tz", default="UTC")
    parser.add_argument("--server", choices=["native", "python", "fake"], default="native")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with start(args.server, tmp) as base_url:
            results = {}
            for name, concurrency in (("newcomer", None), ("by hand, concurrency = 1", 1)):
                r = run(base_url, args.repo, args.day, args.tz, tmp, concurrency)
                results[name] = r
                print(f"[{args.server}] {name}: exit {r['exit']}, wall {r['wall']:.0f} s, breaker "
                      f"{'OPEN' if r['breaker'] else 'closed'}, timeouts {r['timeouts']}")  # fmt: skip
                if r["stats"]:
                    req, peak, lim_peak, lim_end, dec, over, loops = r["stats"]
                    print(f"    {req} requests, at most {peak} in flight, limit peak {lim_peak} end {lim_end}, "
                          f"{dec} decreases, {over} timeouts under load, {loops} loops stopped")  # fmt: skip
                run_summary = r["summary"]
                print(f"    summary: {json.dumps(run_summary)[:400]}")
                for end in r["ends"]:
                    print(f"    {end}")
                if r["tail"]:
                    print(f"    stderr: {r['tail']}")
        ratio = results["newcomer"]["wall"] / results["by hand, concurrency = 1"]["wall"]  # type: ignore[operator]
        print(f"[{args.server}] newcomer / concurrency 1 wall time: {ratio:.2f} (target ≤ 1.15)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
