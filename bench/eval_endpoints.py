"""Benchmark: `dailydiff eval` against its LLM bound — N commits × 2 endpoints that answer in L seconds and
work on C requests at once (fake OpenAI-compatible servers on 127.0.0.1, real HTTP, in this process; the
command in a process of its own, as a user runs it, with the defaults but `concurrency = C`).

The bound is what the requests alone must take: (⌈requests / C⌉ + 1) · L, the +1 for the endpoint's first
request (the response-mode probe). Both endpoints are asked at once, each its own C, so the strict bound is
the larger endpoint's; the issue's (every request of the run under one C) is printed beside it. The ratios
are the command's whole wall time (start-up, reading the commits from git, the rules' row, the table) over
them. Then a second run with a third endpoint: the requests each endpoint
got (the first two: none, their answers are cached).

    python3 bench/eval_endpoints.py [--commits 50] [--latency 1.0] [--concurrency 8] [--clone /tmp/flashinfer]

With --clone (a flashinfer clone), the commits are the shipped set's (`--set flashinfer --sample N`);
without, a generated repository of N commits of growing size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_llm import FakeLLM  # noqa: E402
from gitrepo import CommitSpec, FileEdit, commit, init_repo  # noqa: E402


def generated(path: Path, n: int) -> tuple[Path, Path]:
    """A repository of ``n`` commits (sizes 3 to ~3n lines) and a labelled set naming them."""
    repo = init_repo(path / "proj")
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    lines = []
    for i in range(n):
        body = "".join(f"def step_{i}_{j}(x):\n    return x + {j}\n" for j in range(1 + 3 * i))
        sha = commit(repo, CommitSpec(f"feat: step_{i} in pkg/m{i}.py", start + dt.timedelta(minutes=i),
                                      edits=[FileEdit(f"pkg/m{i}.py", body)]))  # fmt: skip
        lines.append(json.dumps({"repo": "proj", "sha": sha, "change_types": ["feature"], "level": "low",
                                 "facts": [f"step_{i}"]}))  # fmt: skip
    labelled = path / "set.jsonl"
    labelled.write_text("\n".join(lines) + "\n")
    return repo, labelled


def config(path: Path, repo: Path, fakes: dict[str, FakeLLM], concurrency: int) -> Path:
    entries = "".join(f'[[eval.endpoints]]\nname = "{name}"\nbase_url = "{fake.base_url}"\n'
                      f'model = "{fake.model}"\nconcurrency = {concurrency}\n\n' for name, fake in fakes.items())  # fmt: skip
    out = path / "dailydiff.toml"
    out.write_text(f'[[repos]]\nsource = "{repo}"\nname = "{repo.name}"\n\n{entries}')
    return out


def run(cfg: Path, data: Path, labelled: str, n: int, names: list[str]) -> tuple[float, dict]:
    args = [sys.executable, "-m", "dailydiff", "eval", "-c", str(cfg), "--data-dir", str(data), "--set", labelled,
            "--sample", str(n), "--format", "json", "-q", *(f"--endpoint={e}" for e in names)]  # fmt: skip
    # As an installed package runs: with its modules' bytecode (PYTHONDONTWRITEBYTECODE, where the shell sets
    # it, would compile every module of the checkout again at each start).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
        "PYTHONPATH": str(ROOT / "src")
    }
    began, spent = time.monotonic(), _children_cpu()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - began
    if done.returncode != 0:
        sys.exit(f"eval failed ({done.returncode}): {done.stderr}")
    return wall, json.loads(done.stdout) | {"cpu": _children_cpu() - spent}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: the command's own work, which a loaded
    machine stretches in wall time (the figure beside the ratio says how much of the wall was the machine)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--clone", type=Path, default=None, help="a flashinfer clone: the shipped set's commits"
    )
    args = parser.parse_args()
    n, latency, c = args.commits, args.latency, args.concurrency
    with tempfile.TemporaryDirectory(prefix="eval-bench-") as tmp:
        path = Path(tmp)
        if args.clone is not None:
            repo, labelled = args.clone, "flashinfer"
        else:
            repo, generated_set = generated(path, n)
            labelled = str(generated_set)
        fakes = {name: FakeLLM(model=f"{name}-model", latency=latency, slots=c) for name in ("a", "b", "c")}
        for fake in fakes.values():
            fake.start()
        try:
            cfg = config(path, repo, fakes, c)
            wall, out = run(cfg, path / "data", labelled, n, ["a", "b"])
            asked = {name: fakes[name].count for name in ("a", "b")}
            bound = (math.ceil(max(asked.values()) / c) + 1) * latency
            rows = {r["name"]: r for r in out["endpoints"]}
            print(f"{n} commits × 2 endpoints at L = {latency:g} s, C = {c}: requests {asked} "
                  f"(valid {rows['a']['valid']}/{n}, {rows['b']['valid']}/{n})")  # fmt: skip
            total = sum(asked.values())
            shared = (math.ceil(total / c) + 1) * latency
            print(f"  eval {wall:.2f} s (its own CPU {out['cpu']:.1f} s; load {os.getloadavg()[0]:.1f}); LLM bound, each endpoint its own C: (⌈{max(asked.values())}/{c}⌉+1)·L = "
                  f"{bound:.1f} s: ratio {wall / bound:.2f}× (≤ 1.3× wanted)")  # fmt: skip
            print(f"  as the issue writes it, every request under one C: (⌈{total}/{c}⌉+1)·L = {shared:.1f} s: "
                  f"ratio {wall / shared:.2f}×")  # fmt: skip
            before = {name: fake.count for name, fake in fakes.items()}
            wall2, _ = run(cfg, path / "data", labelled, n, ["a", "b", "c"])
            new = {name: fake.count - before[name] for name, fake in fakes.items()}
            print(f"  second run with endpoint c added: {wall2:.2f} s; requests this run {new}")
        finally:
            for fake in fakes.values():
                fake.stop()


if __name__ == "__main__":
    main()
