"""Benchmark: LLM analyses run concurrently, bounded, and survive an endpoint that pushes back.

1. 50 commits against the fake endpoint (tests/fake_llm.py, real HTTP) at 2 s latency with a server-side
   concurrency limit of 8 and the client at concurrency 8 → wall time vs the ideal 50·2/8 s (target ≤ 1.25×).
2. The same at concurrency 1, for the side-by-side ratio. Running 50 commits one at a time takes 100 s, so it
   runs 10 commits at the same latency and scales the time by 50/10 (said in the output).
3. A server limit of 4 answering 429 above it, client at concurrency 8 → the run completes with no failed
   analysis (AIMD lowers the client's concurrency; Retry-After is honoured).

Run: PYTHONPATH=src python3 bench/llm_concurrency.py [--latency 2] [--commits 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.llm import LLMAnalyzer
from dailydiff.models import Analysis, AnalysisStatus, Commit, FileChange, Level, Person, Score
from dailydiff.settings import load_settings
from fake_llm import FakeLLM
from verdict import verdict

NOW = dt.datetime(2026, 1, 27, 9, tzinfo=dt.UTC)


def requests(count: int) -> list[AnalysisRequest]:
    out = []
    for i in range(count):
        patch = "@@ -1,3 +1,6 @@\n" + "".join(f"+    value_{j} = compute({i}, {j})\n" for j in range(30))
        commit = Commit(
            repo="bench/repo", sha=f"{i:040x}", author=Person(name="Bench"), committer=Person(name="Bench"),
            authored_at=NOW, committed_at=NOW, message=f"feat: change number {i}\n\nDetails of change {i}.",
            files=[FileChange(path=f"src/module_{i}.py", additions=30, patch=patch)],
        )  # fmt: skip
        level = (Level.HIGH, Level.MEDIUM, Level.LOW)[i % 3]
        out.append(AnalysisRequest(commit=commit, score=Score(level=level, score=5.0), depth=level))
    return out


def run(fake: FakeLLM, count: int, concurrency: int) -> tuple[float, list[Analysis], LLMAnalyzer]:
    settings = load_settings(
        environ={"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url},
        overrides={"llm": {"concurrency": concurrency, "read_timeout": 30.0}},
        cwd=Path("/"),
    )
    analyzer = LLMAnalyzer(settings.llm)
    results: list[Analysis] = []
    started = time.monotonic()
    analyzer.analyse_many(requests(count), "en", lambda request, analysis: results.append(analysis))
    return time.monotonic() - started, results, analyzer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--serial-commits", type=int, default=10)
    args = parser.parse_args()
    n, latency = args.commits, args.latency
    ok = fast = True  # right, and within the time target

    with FakeLLM() as fake:
        fake.latency, fake.concurrency_limit = latency, 8
        wall8, results8, _ = run(fake, n, 8)
        failed8 = sum(a.status is not AnalysisStatus.OK for a in results8)
        ideal = n * latency / 8
        ratio = wall8 / ideal
        print(f"[concurrency 8] {n} commits at {latency:g} s latency, server limit 8: wall {wall8:.2f} s, "
              f"ideal {n}·{latency:g}/8 = {ideal:.2f} s → {ratio:.2f}× (target ≤ 1.25×); "
              f"peak in flight {fake.peak_active}, 429s {fake.rejected_429}, failed {failed8}")  # fmt: skip
        ok &= failed8 == 0
        fast &= ratio <= 1.25

    with FakeLLM() as fake:
        fake.latency = latency
        m = args.serial_commits
        wall1, results1, _ = run(fake, m, 1)
        scaled = wall1 * n / m
        print(f"[concurrency 1] {m} commits at {latency:g} s latency: wall {wall1:.2f} s; scaled to {n} commits "
              f"(×{n}/{m}): {scaled:.2f} s; peak in flight {fake.peak_active}")  # fmt: skip
        print(f"[ratio] concurrency 1 / concurrency 8 wall time: {scaled / wall8:.2f}× faster at 8")
        ok &= all(a.status is AnalysisStatus.OK for a in results1)

    with FakeLLM() as fake:
        fake.latency, fake.concurrency_limit, fake.retry_after = latency, 4, "1"
        wall4, results4, analyzer4 = run(fake, n, 8)
        failed4 = sum(a.status is not AnalysisStatus.OK for a in results4)
        ideal4 = n * latency / 4
        print(f"[429 above 4] {n} commits, client concurrency 8, server limit 4 (429 + Retry-After: 1): "
              f"wall {wall4:.2f} s (ideal at 4: {ideal4:.2f} s → {wall4 / ideal4:.2f}×); 429s {fake.rejected_429}, "
              f"limit decreases {analyzer4.stats.limit_decreases}, completed {len(results4)}/{n}, "
              f"failed {failed4}")  # fmt: skip
        ok &= failed4 == 0 and len(results4) == n

    print("PASS" if ok and fast else "FAIL" if not ok else "SLOW")
    return verdict(ok, fast)


if __name__ == "__main__":
    raise SystemExit(main())
