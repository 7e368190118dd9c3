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
        [--tool /tmp/perf-argus --tool-latency 2]

The tool we replace is ykk648/argus (its reports are the ones in the seeds: "每日更新报告", "🎯 变更类型").
With ``--tool`` (a clone of it, pinned at ``TOOL_COMMIT``, e.g. /tmp/perf-argus) its own
analysis code — ``analyze_commit`` in its ``src/llm.py``, unchanged: one request per commit, one after the
other, whatever it does between two calls included (its pauses: the gaps at the endpoint are printed) —
runs against a fake endpoint at ``--tool-latency`` (the issue's L = 2 s) beside dailydiff's whole command
with the defaults at the same latency, on a new store and on a store of the night before (issue 62: ≥ 14×
faster warm, ≥ 12× cold), and the two are compared: wall time (the tool's is its analysis alone: it reads GitHub through
PyGithub, which is not installed here, so the same day's commits are handed to it as PyGithub-shaped
objects read from the repository beforehand — its fetch is left out, in its favour) and prompt characters.
Its hard-coded DeepSeek URL is pointed at the fake (``requests.post`` given the fake's URL); nothing else
of it is touched.
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
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fake_llm import FakeLLM, Recorded  # noqa: E402
from verdict import verdict  # noqa: E402

C = 8
TOOL_COMMIT = "ab8c9d4c3d0c8b9c715c05efdb4a2e57fa1327ae"  # ykk648/argus, 2025-09-17
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


def tool_commits(repo: Path, date: str) -> list[Any]:
    """The day's commits (the default timezone's day) as the PyGithub objects the tool reads: ``sha``,
    ``html_url``, ``commit.message``, ``commit.author.name``, ``files`` (status, filename, additions,
    deletions, patch), newest first as GitHub lists them."""
    sys.path.insert(0, str(ROOT / "src"))
    from dailydiff.common.timewindow import day_window
    from dailydiff.settings import load_settings
    from dailydiff.sources import SourceOptions, open_source
    from dailydiff.store import Store

    with tempfile.TemporaryDirectory() as data:
        settings = load_settings(environ={}, overrides={"data_dir": data}, cwd=Path(data))
        with Store.open(Path(data)) as store:
            source = open_source(str(repo), settings, SourceOptions(), store)
            window = day_window(dt.date.fromisoformat(date), settings.report.timezone)
            commits = source.commits(window)
    shaped = []
    for c in sorted(commits, key=lambda c: c.committed_at, reverse=True):
        files = [SimpleNamespace(status=f.status.value, filename=f.path, additions=f.additions,
                                 deletions=f.deletions, patch=f.patch) for f in c.files]  # fmt: skip
        message = SimpleNamespace(message=c.message, author=SimpleNamespace(name=c.author.name))
        shaped.append(SimpleNamespace(sha=c.sha, html_url=f"https://github.com/{c.repo}/commit/{c.sha}",
                                      commit=message, files=files))  # fmt: skip
    return shaped


def run_tool(tool: Path, commits: list[Any], fake: FakeLLM) -> tuple[float, str]:
    """The tool's own ``analyze_commit`` over the commits against ``fake``: its wall time and its text."""
    import importlib.util

    import requests

    spec = importlib.util.spec_from_file_location("argus_llm", tool / "src" / "llm.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = fake.base_url + "/chat/completions"

    def post(_: str, **kwargs: Any) -> Any:  # its DeepSeek URL, pointed at the fake
        return requests.post(url, **kwargs)

    module.requests = SimpleNamespace(post=post, exceptions=requests.exceptions)  # type: ignore[attr-defined]
    began = time.monotonic()
    text = module.analyze_commit(commits, api_key="sk-bench", model=fake.model)
    return time.monotonic() - began, str(text)


def compare_with_tool(args: argparse.Namespace, tmp: Path) -> tuple[bool, bool]:
    """dailydiff's whole command (defaults; a new store and a store of the night before) and the tool's
    analysis, the same day and latency: (results right, targets met)."""
    head = subprocess.run(["git", "-C", str(args.tool), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.stdout.strip() != TOOL_COMMIT:
        print(f"  (the tool at {args.tool} is not at {TOOL_COMMIT[:12]}: check it out there)")
        return False, False
    L = args.tool_latency
    commits = tool_commits(args.repo, args.date)
    day = dt.date.fromisoformat(args.date)
    week = [(day - dt.timedelta(days=n)).isoformat() for n in (7, 1)]
    with FakeLLM(latency=L, concurrency_limit=C, escalate=escalates if args.escalate else None) as fake:
        cold = llm_run(args.src, args.repo, [args.date], tmp / "side-cold", fake, tmp)
        ours_chars = sum(len(r.prompt_text) for r in fake.requests if r.status == 200)
        before = llm_run(args.src, args.repo, week, tmp / "side-warm", fake, tmp)  # the nights before
        warm = llm_run(args.src, args.repo, [args.date], tmp / "side-warm", fake, tmp)
        fake.reset()
        wall, text = run_tool(args.tool, commits, fake)
        answered = sorted((r for r in fake.requests if r.status == 200), key=lambda r: r.started)
        tool_chars = sum(len(r.prompt_text) for r in answered)
    gaps = [b.started - a.ended for a, b in zip(answered, answered[1:], strict=False)]
    pauses = (
        f"{1000 * statistics.median(gaps):.0f} ms median, {1000 * max(gaps):.0f} ms at most"
        if gaps
        else "none"
    )
    print(f"[the tool we replace] ykk648/argus {TOOL_COMMIT[:12]} (unmodified), {len(commits)} commits, L = {L:g} s: "
          f"its analysis {wall:.2f} s for {len(answered)} requests, one after the other (its fetch left out; its "
          f"pauses between calls, as the endpoint saw them: {pauses})")  # fmt: skip
    fast = True
    for side, run, target in (("warm", warm, TOOL_WARM_TARGET), ("cold", cold, TOOL_COLD_TARGET)):
        ratio = wall / run.wall
        met = ratio >= target
        fast &= met
        store = "store of the night before" if side == "warm" else "new store"
        print(f"  {side}: dailydiff end to end (defaults, {store}) {run.wall:.2f} s for {run.answered} requests → "
              f"the tool takes {ratio:.1f}× as long (target ≥ {target:g}){'' if met else ' — NOT MET'}")  # fmt: skip
    print(f"  prompt characters: dailydiff {ours_chars:,}, the tool {tool_chars:,} → {ours_chars / max(tool_chars, 1):.3f} "
          f"(target ≤ 0.5; the tool escalates nothing: one request per commit) (load average "
          f"{os.getloadavg()[0]:.1f})")  # fmt: skip
    ok = all(r.code == 0 for r in (cold, before, warm))
    return ok and len(answered) == len(commits) and text.count("### ") >= len(commits), fast


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
