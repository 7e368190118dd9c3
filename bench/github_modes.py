"""Benchmark and check: one repository's real history served by the fake GitHub (REST, GraphQL and git
over smart HTTP), reported by the CLI in clone mode, in API mode and from a local clone, side by side.

    python3 bench/github_modes.py --repo /tmp/flashinfer.git --name flashinfer-ai/flashinfer \\
        --from 2026-04-01 --to 2026-04-30 [--compare-from 2026-04-13 --compare-to 2026-04-18]

``--repo`` is a git repository (bare or not) holding the history; nothing of it is written. Prints, per
mode, the API requests by kind, per repository-day and per commit, and checks:

- clone mode spends at most 3 API requests per repository-day (GraphQL included), API mode at most
  1.05 per commit plus 3 per repository-day;
- the Markdown reports of the compare days are identical in the three modes apart from the generation
  time (the fake's web host is http://127.0.0.1:PORT where the local clone links to https://github.com:
  that host is the one difference allowed);
- during the clone-mode run (a token required by the fake), the token and its Basic form never appear in
  ``ps -eo args`` (polled every 10 ms), the clone's config, the store, the output or the logs.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_github import FakeGitHub  # noqa: E402

TOKEN = "ghp_" + "BenchCanary0123456789abcdefABCDEF0123"
_GENERATED = re.compile(r"(?m)^.*(生成于|Generated|generated).*$")


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    return subprocess.run([sys.executable, "-m", "dailydiff", *args], env=full, cwd=cwd, capture_output=True,
                          text=True, check=False)  # fmt: skip


def poll_ps(stop: threading.Event, seen: list[str], needles: list[str]) -> None:
    while not stop.is_set():
        out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False).stdout
        seen.extend(line for line in out.splitlines() if any(n in line for n in needles))
        stop.wait(0.01)


def reports(out: Path, port: int) -> dict[str, str]:
    """Markdown reports by file name, the generation line cut and the fake's host named as GitHub's."""
    found = {}
    for path in sorted(out.rglob("*.md")):
        text = path.read_text(encoding="utf-8").replace(f"http://127.0.0.1:{port}", "https://github.com")
        found[path.name] = _GENERATED.sub("", text)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--name", required=True, help="owner/name")
    parser.add_argument("--from", dest="first", required=True)
    parser.add_argument("--to", dest="last", required=True)
    parser.add_argument("--compare-from", default=None)
    parser.add_argument("--compare-to", default=None)
    parser.add_argument("--tz", default="Asia/Shanghai")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        served = base / "served.git"  # the fake serves a copy: nothing is written to --repo
        subprocess.run(["git", "clone", "-q", "--bare", str(args.repo), str(served)], check=True)
        local = base / "local.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(args.repo), str(local)], check=True)
        subprocess.run(["git", "-C", str(local), "remote", "set-url", "origin",
                        f"https://github.com/{args.name}.git"], check=True)  # fmt: skip
        with FakeGitHub({args.name: served}, token=TOKEN) as fake:
            common = ["--from", args.first, "--to", args.last, "--tz", args.tz, "--analyzer", "heuristic",
                      "--format", "md", "-v"]  # fmt: skip
            results = {}
            for mode in ("clone", "api"):
                fake.reset_requests()
                env = {"GITHUB_TOKEN": TOKEN, "DAILYDIFF_GITHUB_API_URL": fake.url, "DAILYDIFF_GITHUB_MODE": mode,
                       "DAILYDIFF_DATA_DIR": str(base / mode / "data")}  # fmt: skip
                stop, seen = threading.Event(), []
                basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
                poller = threading.Thread(target=poll_ps, args=(stop, seen, [TOKEN, basic]), daemon=True)
                poller.start()
                began = time.perf_counter()
                done = cli(["report", args.name, *common, "-o", str(base / mode / "out"),
                            "--summary-json", str(base / mode / "summary.json")], env, base)  # fmt: skip
                took = time.perf_counter() - began
                stop.set()
                poller.join()
                if done.returncode != 0:
                    print(f"{mode}: exit {done.returncode}\n{done.stderr[-2000:]}")
                    return 1
                api = [r for r in fake.requests if r.kind not in ("git", "rate_limit")]  # /rate_limit is free
                kinds = collections.Counter(f"{r.kind} {r.status}" for r in api)
                spent = sum(1 for r in api if r.status != 304)
                days = len(list((base / mode / "out").rglob("*.md")))
                commits = sum(
                    len(re.findall(r"(?m)^\| *\d+ *\|", p.read_text()))
                    for p in (base / mode / "out").rglob("*.md")
                )
                results[mode] = (spent, days)
                leaks = [p for p in (base / mode).rglob("*") if p.is_file() and p.suffix not in {".pack", ".idx"}
                         and (TOKEN.encode() in p.read_bytes() or basic.encode() in p.read_bytes())]  # fmt: skip
                leaks += ["stderr"] if TOKEN in done.stderr or basic in done.stderr else []
                print(
                    f"{mode}: {days} repository-days, {took:.1f} s, {spent} API requests counted "
                    f"({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))}); "
                    f"{spent / max(1, days):.2f} per repository-day; git requests {fake.count('git')}; "
                    f"token seen in ps: {len([s for s in seen if s])}, in files/logs: {leaks or 'none'}"
                )
                ok = ok and not [s for s in seen if s] and not leaks
                del commits
            listed = subprocess.run(
                ["git", "-C", str(served), "log", f"--since-as-filter={args.first} 00:00:00 +0800",
                 f"--until={args.last} 23:59:59 +0800", "--format=%H"], capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            commits = len(listed)
            clone_spent, days = results["clone"]
            api_spent, _ = results["api"]
            print(f"{commits} commits over {days} repository-days")
            print(f"clone mode: {clone_spent / days:.2f} API requests per repository-day (limit 3)")
            api_bound = 1.05 * commits + 3 * days
            print(f"API mode: {api_spent} requests, {api_spent / max(1, commits):.3f} per commit; "
                  f"bound 1.05 x {commits} + 3 x {days} = {api_bound:.0f}")  # fmt: skip
            ok = ok and clone_spent <= 3 * days and api_spent <= api_bound
            if args.compare_from:
                compare = ["--from", args.compare_from, "--to", args.compare_to or args.compare_from]
                outs = {}
                for mode in ("clone", "api"):
                    env = {"GITHUB_TOKEN": TOKEN, "DAILYDIFF_GITHUB_API_URL": fake.url, "DAILYDIFF_GITHUB_MODE": mode,
                           "DAILYDIFF_DATA_DIR": str(base / f"c-{mode}" / "data")}  # fmt: skip
                    if mode == "clone":  # one run per day, as a daily cron does: the requests of each
                        first = dt.date.fromisoformat(args.compare_from)
                        last = dt.date.fromisoformat(args.compare_to or args.compare_from)
                        spent = []
                        for n in range((last - first).days + 1):
                            fake.reset_requests()
                            day = str(first + dt.timedelta(days=n))
                            done = cli(["report", args.name, "--date", day, "--tz", args.tz, "--analyzer",
                                        "heuristic", "-o", str(base / f"c-{mode}" / "out")], env, base)  # fmt: skip
                            assert done.returncode == 0, done.stderr[-1000:]
                            spent.append(sum(1 for r in fake.requests if r.kind not in ("git", "rate_limit")))
                        print(f"clone mode, one run per day: API requests per run {spent} (max {max(spent)})")
                        ok = ok and max(spent) <= 3
                    else:
                        done = cli(["report", args.name, *compare, "--tz", args.tz, "--analyzer", "heuristic",
                                    "-o", str(base / f"c-{mode}" / "out")], env, base)  # fmt: skip
                        assert done.returncode == 0, done.stderr[-1000:]
                    outs[mode] = reports(base / f"c-{mode}" / "out", fake.port)
                done = cli(["report", str(local), "--name", args.name, *compare, "--tz", args.tz, "--analyzer",
                            "heuristic", "-o", str(base / "c-local" / "out")],
                           {"DAILYDIFF_DATA_DIR": str(base / "c-local" / "data")}, base)  # fmt: skip
                assert done.returncode == 0, done.stderr[-1000:]
                outs["local"] = reports(base / "c-local" / "out", fake.port)
                same = outs["clone"] == outs["api"] == outs["local"]
                print(f"compare {args.compare_from} … {args.compare_to}: {len(outs['local'])} reports, "
                      f"identical in clone, API and local modes: {same}")  # fmt: skip
                if not same:
                    import difflib

                    for name in outs["local"]:
                        for mode in ("clone", "api"):
                            if outs[mode].get(name) != outs["local"][name]:
                                diff = difflib.unified_diff(outs["local"][name].splitlines(),
                                                            (outs[mode].get(name) or "").splitlines(), lineterm="")  # fmt: skip
                                print(f"--- {name} local vs {mode}\n" + "\n".join(list(diff)[:30]))
                ok = ok and same
    shutil.rmtree(base, ignore_errors=True)
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
