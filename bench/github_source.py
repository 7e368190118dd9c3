"""Benchmark: the GitHub source on a 50-commit day against the fake GitHub API with simulated latency,
cold (empty store) and warm (second run, same store), side by side in one run.

    python3 bench/github_source.py [--commits 50] [--latency 0.1] [--concurrency 8]

Prints the requests each run made (by kind and status) and its wall time, and the warm/cold ratios.
A warm run should make no detail request: only the day's list, revalidated and answered 304.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from dailydiff.common.timewindow import day_window  # noqa: E402
from dailydiff.settings import GitHubSettings, load_settings  # noqa: E402
from dailydiff.sources.github import GitHubSource  # noqa: E402
from dailydiff.store import Store  # noqa: E402
from fake_github import FakeGitHub, FakePull  # noqa: E402
from gitrepo import CommitSpec, FileEdit, build_repo  # noqa: E402

DAY = dt.date(2026, 1, 7)
CST = dt.timezone(dt.timedelta(hours=8))


def build(path: Path, count: int) -> list[str]:
    start = dt.datetime(2026, 1, 7, 0, 5, tzinfo=CST)
    specs = []
    for n in range(count):
        edits = [FileEdit(f"src/mod{n % 7}/file{n}.py", f"def f{n}():\n    return {n}\n" * (1 + n % 5))]
        if n % 3 == 0:
            edits.append(FileEdit(f"tests/test_{n}.py", f"def test_{n}():\n    assert True\n"))
        title = f"feat: change {n} (#{1000 + n})" if n % 2 == 0 else f"fix: change {n}"
        specs.append(CommitSpec(title, start + dt.timedelta(minutes=25 * n), edits=edits))
    return build_repo(path, specs)


def run(
    fake: FakeGitHub, store: Store, settings_github: GitHubSettings
) -> tuple[float, collections.Counter[str], int]:
    fake.reset_requests()
    began = time.perf_counter()
    commits = GitHubSource("bench/demo", settings_github, store=store).commits(
        day_window(DAY, "Asia/Shanghai")
    )
    took = time.perf_counter() - began
    kinds = collections.Counter(f"{r.kind} {r.status}" for r in fake.requests)
    return took, kinds, len(commits)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shas = build(base / "repo", args.commits)
        with FakeGitHub({"bench/demo": base / "repo"}, latency=args.latency) as fake:
            for n, sha in enumerate(shas):
                if n % 2 == 0:
                    fake.add_pull(
                        "bench/demo", FakePull(1000 + n, f"Change {n}", sha, body="why", labels=["x"])
                    )
            settings = load_settings(
                environ={"DAILYDIFF_GITHUB_API_URL": fake.url},
                overrides={"data_dir": str(base / "data"), "github": {"concurrency": args.concurrency}},
                cwd=base,
            )
            with Store(base / "data" / "dailydiff.sqlite3") as store:
                cold = run(fake, store, settings.github)
                warm = run(fake, store, settings.github)
    print(
        f"{args.commits}-commit day, {args.latency * 1000:.0f} ms per request, concurrency {args.concurrency}"
    )
    for name, (took, kinds, count) in (("cold", cold), ("warm", warm)):
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items()))
        spent = sum(v for k, v in kinds.items() if not k.endswith(" 304"))  # 304s are free on GitHub
        print(
            f"  {name}: {count} commits, {sum(kinds.values())} requests ({detail}), {spent} counted "
            f"against the rate limit, {took:.2f} s"
        )
    print(
        f"  warm/cold: requests {sum(warm[1].values()) / max(1, sum(cold[1].values())):.3f}, "
        f"wall time {warm[0] / cold[0]:.3f}"
    )
    ok = cold[2] == warm[2] == args.commits and not any(k.startswith(("detail", "diff")) for k in warm[1])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
