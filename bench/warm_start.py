"""Benchmark: the day with the LLM as a user runs it — the whole command, defaults, cold and warm.

`python -m dailydiff report REPO --date D --analyzer llm` runs as a subprocess, from process start to exit,
with the defaults (no `[llm] concurrency`, no response mode set), against the fake endpoint
(tests/fake_llm.py) that serves C = 8 requests at once after L seconds and answers 429 above. The same
command with `--analyzer heuristic` (the rules, fresh store) is subtracted: what is left is what the model
costs the user, held to the bound (⌈requests/C⌉ + 1)·L (requests: every answered model request, the mode
probe included).

- cold: a new store (nothing known about the endpoint);
- warm: a store that built the week before (D − 7 … D − 1, one run) against the same endpoint, then D: a
  night after the others.
- backfill: a month (``--backfill FIRST LAST``, new store): the requests in flight at the endpoint,
  time-weighted from the first request to the last answer, against 0.8·C.

``--escalate``: the fake rates about one commit in six "high" whatever the depth asked (engine_stream.py's
rule), so the day has deeper re-analyses.

Each side prints the endpoint's timeline (requests in flight over time, from process start) and the targets
of issue 62: warm ≤ 1.15×, cold ≤ 1.3× the bound. A real history: flashinfer's 18-commit 2026-04-24 (the
`fetch`ed mirror cloned to /tmp/flashinfer; the default timezone, Asia/Shanghai).

    python3 bench/warm_start.py [--repo /tmp/flashinfer] [--date 2026-04-24] [--latency 1]
        [--tool /tmp/perf-argus --tool-latency 2 [--tool-github-latency 0]]

The tool we replace is ykk648/argus (its reports are the ones in the seeds: "每日更新报告", "🎯 变更类型").
With ``--tool`` (a clone of it, pinned at ``TOOL_COMMIT``, e.g. /tmp/perf-argus) its whole command runs
(bench/replaced_tool.py: its ``src/monitor.py``, unmodified, as its GitHub Action runs it, in its own
virtualenv with its pinned requirements.txt — made once from the package registry, the benchmark's set-up —
against the fake GitHub, served the same day, and a fake endpoint at ``--tool-latency``, the issue's
L = 2 s; its hard-coded hosts and its clock are redirected from outside its files, and the output says so)
beside dailydiff's whole command with the defaults at the same latency, on a new store and on a store of the
night before (issue 62: the tool ≥ 14× slower than ours warm, ≥ 12× cold). Both are timed from process
start to exit; the tool's requests to each fake are printed with the gaps between them, and where its
time went (the LLM, GitHub, PyGithub's pauses, its own work, retries). Prompt characters are compared too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import replaced_tool  # noqa: E402
from fake_llm import FakeLLM, Recorded  # noqa: E402
from replaced_tool import TOOL_COMMIT  # noqa: E402
from verdict import verdict  # noqa: E402

C = 8
WARM_TARGET = 1.15
COLD_TARGET = 1.3
TOOL_WARM_TARGET = 14.0  # the tool's wall time over ours, at least (issue 62)
TOOL_COLD_TARGET = 12.0


@dataclass
class Run:
    wall: float  # process start to exit
    code: int
    answered: int = 0  # model requests answered (not 429)
    rejected: int = 0
    timeline: str = ""
    mean_in_flight: float = 0.0
    first_request: float = math.inf  # seconds after process start
    last_answer: float = math.inf


def command(src: Path, args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dailydiff", *args], cwd=cwd, env={**env, "PYTHONPATH": str(src)},
                          capture_output=True, text=True, timeout=1800)  # fmt: skip
    return time.monotonic() - began, done.returncode, done.stderr


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DAILYDIFF_", "GITHUB_"))}


def report_args(repo: Path, dates: list[str], data: Path, analyzer: str) -> list[str]:
    when = ["--date", dates[0]] if len(dates) == 1 else ["--from", dates[0], "--to", dates[1], "--yes"]
    return ["report", str(repo), *when, "--analyzer", analyzer, "--data-dir", str(data),
            "-o", str(data / "out"), "--quiet"]  # fmt: skip


def timeline(records: list[Recorded], began: float) -> tuple[str, float, float, float]:
    """When requests in flight at the endpoint reached each new height, and the last answer (seconds after
    process start); the mean in flight from the first request to the last answer."""
    events = sorted([(r.started, 1) for r in records] + [(r.ended, -1) for r in records])
    if not events:
        return "no request", 0.0, math.inf, math.inf
    lines, active, peak = [], 0, 0
    area, last = 0.0, events[0][0]
    for moment, step in events:
        area += active * (moment - last)
        last = moment
        active += step
        if active > peak:
            peak = active
            lines.append(f"{moment - began:6.2f} s  {active} in flight")
    first, end = events[0][0], events[-1][0]
    lines.append(f"{end - began:6.2f} s  last answer")
    return (
        "\n".join("      " + line for line in lines),
        area / max(end - first, 1e-9),
        first - began,
        end - began,
    )


def escalates(title: str) -> bool:
    """About one commit in six rated "high" whatever depth it was asked at (bench/engine_stream.py's)."""
    return zlib.crc32(title.encode()) % 6 == 0


def llm_run(src: Path, repo: Path, dates: list[str], data: Path, fake: FakeLLM, cwd: Path) -> Run:
    env = base_env()
    env.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
    fake.reset()
    began = time.monotonic()
    wall, code, err = command(src, report_args(repo, dates, data, "llm"), cwd, env)
    if code != 0:
        print(f"    (exit {code}: {err.strip()[-400:]})")
    answered = [r for r in fake.requests if r.status == 200]
    text, mean, first, last = timeline([r for r in fake.requests if r.status != 429], began)
    return Run(wall, code, len(answered), fake.rejected_429, text, mean, first, last)


def rules_run(src: Path, repo: Path, date: str, tmp: Path, runs: int) -> float:
    walls = []
    for _ in range(runs):
        data = Path(tempfile.mkdtemp(dir=tmp))
        wall, code, err = command(src, report_args(repo, [date], data, "heuristic"), tmp, base_env())
        if code != 0:
            raise SystemExit(f"the rule-based run failed (exit {code}): {err.strip()[-400:]}")
        walls.append(wall)
    return statistics.median(walls)


def compare_with_tool(args: argparse.Namespace, tmp: Path) -> tuple[bool, bool]:
    """dailydiff's whole command (defaults; a new store and a store of the night before) and the tool's whole
    command (bench/replaced_tool.py), the same day and latency: (results right, targets met)."""
    L = args.tool_latency
    day = dt.date.fromisoformat(args.date)
    week = [(day - dt.timedelta(days=n)).isoformat() for n in (7, 1)]
    try:
        replaced_tool.ready(args.tool)
    except replaced_tool.Unavailable as missing:
        print(f"  (the tool we replace was not run: {missing})")
        return False, False
    with FakeLLM(latency=L, concurrency_limit=C, escalate=escalates if args.escalate else None) as fake:
        cold = llm_run(args.src, args.repo, [args.date], tmp / "side-cold", fake, tmp)
        ours_chars = sum(len(r.prompt_text) for r in fake.requests if r.status == 200)
        before = llm_run(args.src, args.repo, week, tmp / "side-warm", fake, tmp)  # the nights before
        warm = llm_run(args.src, args.repo, [args.date], tmp / "side-warm", fake, tmp)
        tool = replaced_tool.run(args.tool, args.repo, day, fake, github_latency=args.tool_github_latency)
    wrong = replaced_tool.problems(tool, day)
    print(f"[the tool we replace] ykk648/argus {TOOL_COMMIT[:12]}: its src/monitor.py, unmodified, as its Action runs "
          f"it, in its own virtualenv (its requirements.txt: PyGithub 2.1.1, its pauses and retries at their defaults); "
          f"{replaced_tool.REDIRECTED}; the fake GitHub answers in {args.tool_github_latency:g} s; L = {L:g} s")  # fmt: skip
    print(f"  the tool: {tool.wall:.2f} s end to end (process start to exit, exit {tool.code}) for "
          f"{len(tool.commits)} commits, {sum(1 for e in tool.events if e.where == 'LLM')} model requests one after "
          f"the other, {sum(1 for e in tool.events if e.where == 'GitHub')} GitHub requests, "
          f"{len(tool.issues)} issue filed{'; WRONG: ' + '; '.join(wrong) if wrong else ''}")  # fmt: skip
    print("\n".join(replaced_tool.describe(tool)))
    fast = True
    for side, run, target in (("warm", warm, TOOL_WARM_TARGET), ("cold", cold, TOOL_COLD_TARGET)):
        ratio = tool.wall / run.wall
        met = ratio >= target
        fast &= met
        store = "store of the night before" if side == "warm" else "new store"
        print(f"  {side}: dailydiff end to end (defaults, {store}) {run.wall:.2f} s for {run.answered} requests → "
              f"the tool takes {ratio:.1f}× as long (target ≥ {target:g}){'' if met else ' — NOT MET'}")  # fmt: skip
    bound = (math.ceil(cold.answered / C) + 1) * L
    print(f"  (the ratio's ceiling at C = {C}: were dailydiff at its LLM bound, (⌈{cold.answered}/{C}⌉+1)·{L:g} = "
          f"{bound:.2f} s, the tool's {tool.wall:.2f} s would be {tool.wall / bound:.1f}× as long)")  # fmt: skip
    print(f"  prompt characters: dailydiff {ours_chars:,}, the tool {tool.prompt_chars:,} → "
          f"{ours_chars / max(tool.prompt_chars, 1):.3f} (target ≤ 0.5; the tool escalates nothing: one request per "
          f"commit) (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    ok = all(r.code == 0 for r in (cold, before, warm))
    return ok and not wrong, fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repo", type=Path, default=Path("/tmp/flashinfer"), help="a git repository (real history)"
    )
    parser.add_argument("--date", default="2026-04-24", help="the day (the default timezone's)")
    parser.add_argument("--latency", type=float, default=1.0, help="L: seconds the endpoint takes per answer")
    parser.add_argument(
        "--rules-runs", type=int, default=3, help="rule-based runs (the median is subtracted)"
    )
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the code to run (another checkout's src/)"
    )
    parser.add_argument(
        "--tool",
        type=Path,
        help="a clone of ykk648/argus (the tool we replace) at TOOL_COMMIT, e.g. /tmp/perf-argus",
    )
    parser.add_argument(
        "--tool-latency", type=float, default=2.0, help="L for the side-by-side with the tool"
    )
    parser.add_argument("--tool-github-latency", type=float, default=0.0,
                        help="seconds the fake GitHub takes per answer for the tool (0: at once, in its favour)")  # fmt: skip
    parser.add_argument("--escalate", action="store_true", help="the fake rates about 1 in 6 commits high")
    parser.add_argument("--backfill", nargs=2, metavar=("FIRST", "LAST"), default=["2026-04-01", "2026-04-30"],
                        help="the backfill's days (a new store, the defaults)")  # fmt: skip
    parser.add_argument("--skip-backfill", action="store_true")
    args = parser.parse_args()
    if not (args.repo / ".git").exists() and not (args.repo / "HEAD").exists():
        print(
            f"no git repository at {args.repo}: clone one (e.g. flashinfer-ai/flashinfer) and pass --repo PATH"
        )
        return 1
    L = args.latency
    day = dt.date.fromisoformat(args.date)
    week = [(day - dt.timedelta(days=n)).isoformat() for n in (7, 1)]
    ok = fast = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rules = rules_run(args.src, args.repo, args.date, tmp, max(1, args.rules_runs))
        print(f"[warm start] {args.repo} {args.date}, defaults; endpoint: {C} at once, L = {L:g} s, 429 above "
              f"{C}; the same command with the rules (median of {args.rules_runs}): {rules:.2f} s")  # fmt: skip
        cold_data = tmp / "cold"
        warm_data = tmp / "warm"
        runs: dict[str, Run] = {}
        with FakeLLM(latency=L, concurrency_limit=C, escalate=escalates if args.escalate else None) as fake:
            runs["cold"] = llm_run(args.src, args.repo, [args.date], cold_data, fake, tmp)
            warmup = llm_run(args.src, args.repo, week, warm_data, fake, tmp)  # the nights before
            print(f"  (the week before, {week[0]} … {week[1]}, on the warm store: {warmup.answered} requests, "
                  f"{warmup.wall:.2f} s)")  # fmt: skip
            ok &= warmup.code == 0
            runs["warm"] = llm_run(args.src, args.repo, [args.date], warm_data, fake, tmp)
        for side, run in runs.items():
            bound = (math.ceil(run.answered / C) + 1) * L
            over = run.wall - rules
            target = WARM_TARGET if side == "warm" else COLD_TARGET
            print(f"  {side}: {run.wall:.2f} s end to end, {over:.2f} s over the rules for {run.answered} requests "
                  f"({run.rejected} × 429); bound (⌈{run.answered}/{C}⌉+1)·{L:g} = {bound:.2f} s → "
                  f"{over / bound:.2f}× the bound (target ≤ {target:g}){'' if over <= target * bound else ' — NOT MET'}; "
                  f"mean in flight {run.mean_in_flight:.2f}")  # fmt: skip
            phase = run.last_answer - run.first_request
            print(f"      model phase (first request to last answer) {phase:.2f} s → {phase / bound:.2f}× the bound; "
                  f"the first request {run.first_request:.2f} s after process start, exit {run.wall - run.last_answer:.2f} s "
                  f"after the last answer (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
            print(run.timeline)
            ok &= run.code == 0 and run.answered > 0
            fast &= over <= target * bound
        if not args.skip_backfill:
            with FakeLLM(latency=L, concurrency_limit=C) as fake:
                run = llm_run(args.src, args.repo, list(args.backfill), tmp / "backfill", fake, tmp)
            print(f"[backfill] {args.backfill[0]} … {args.backfill[1]}, defaults, new store: {run.wall:.1f} s, "
                  f"{run.answered} requests ({run.rejected} × 429); mean in flight {run.mean_in_flight:.2f} from the "
                  f"first request to the last answer vs 0.8·C = {0.8 * C:.1f} → {run.mean_in_flight / (0.8 * C):.2f}× "
                  f"(target ≥ 1.00)")  # fmt: skip
            ok &= run.code == 0
            fast &= run.mean_in_flight >= 0.8 * C
        if args.tool is not None:
            right, met = compare_with_tool(args, tmp)
            ok &= right
            fast &= met
    return verdict(ok, fast)


if __name__ == "__main__":
    raise SystemExit(main())
