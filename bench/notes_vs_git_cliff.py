"""Benchmark: `dailydiff notes` side by side with git-cliff (its default configuration, the Conventional
Commits one `git cliff --init` writes, offline) on the same ranges of a real repository.

    python3 bench/notes_vs_git_cliff.py [--repo /tmp/notes-flashinfer] [--source /tmp/flashinfer] [--rounds 5]
                                        [--range v0.6.16..v0.6.17 --range v0.6.15..v0.6.16]
    python3 bench/notes_vs_git_cliff.py --synthetic 134 64   # no flashinfer: a tagged repository made here

The repository is a clone of flashinfer (made from ``--source`` when ``--repo`` is missing, its origin set to
GitHub so links are GitHub's, its release branches fetched so every commit of a release is on a branch); when
neither is there, or with ``--synthetic N1 N2``, a repository made here: tags v0.6.15, v0.6.16 (N1 commits
later) and v0.6.17 (N2 later), titles of every kind (``[Tag] …``, Conventional Commits, free text). Two
stores are built first, as `run` would have built them, with every day of the ranges (`report
--all-branches`): one offline (the rules) and one with the fake LLM (tests/fake_llm.py, real HTTP on
127.0.0.1). Both programs run with compiled bytecode, as an installed one does (PYTHONDONTWRITEBYTECODE
dropped, the bytecode kept under the work directory). Then, for each range:

- the commits each shows: git-cliff's (its JSON context, every release it splits the range into) and ours
  (the commits our notes link), each against `git log --format=%H REF1..REF2`: ours must be every commit of
  the range exactly once and none from outside; our links must name the range's commits and their pull
  requests;
- the wall time of each, process start included, the median of ``--rounds`` (each a process of its own,
  one after the other so they share the machine's load), ours from the offline store twice: its first call
  on a store that has only the days (a fresh copy of the store `report` built, each round: the call that
  keeps what it learns, such as who wrote the history before the range) — the target, within 3×
  git-cliff's — and again on that store;
- the LLM requests ours makes on the store the fake LLM built the days with, counted at the fake (target 0:
  the days' analyses are there, and ``[notes] llm = "auto"`` asks the model only when a call analyses
  commits with it), and again (0).

Exit 0: right and within 3×; 3: right, slower (bench/verdict.py); 1: a wrong result.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_llm import FakeLLM  # noqa: E402
from gitrepo import CommitSpec, FileEdit, commit, init_repo  # noqa: E402
from verdict import verdict  # noqa: E402

FLASHINFER = "https://github.com/flashinfer-ai/flashinfer"
SYNTHETIC = "https://github.com/acme/kernels"
TARGET = 3.0


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def prepare(repo: Path, source: Path) -> None:
    """The clone: made once from ``source``, with GitHub as origin and the release branches."""
    if not repo.exists():
        subprocess.run(["git", "clone", "-q", str(source), str(repo)], check=True)
    git(repo, "fetch", "-q", str(source), "+refs/remotes/origin/release-*:refs/remotes/origin/release-*")
    git(repo, "remote", "set-url", "origin", f"{FLASHINFER}.git")


# Titles as a busy repository writes them: most neither Conventional Commits nor labelled.
TITLES = (
    "[Attention] fuse the softmax into the decode kernel {i} (#{pr})",
    "fix: handle an empty batch in sampling {i} (#{pr})",
    "Bump the CUTLASS submodule ({i})",
    "feat(api): add a paged KV-cache option {i} (#{pr})",
    "[CI] run the unit tests on H100 {i}",
    "perf: cache the plan of the prefill {i} (#{pr})",
    "Refactor the JIT loader into modules {i}",
    "docs: document the MLA wrapper {i} (#{pr})",
    "Support FP8 in the GEMM path {i} (#{pr})",
    "[Bugfix] correct the top-k mask {i}",
)
FILES = ("csrc/decode.cu", "flashinfer/sampling.py", "3rdparty/cutlass.txt", "flashinfer/page.py",
         ".github/workflows/ci.yml", "flashinfer/prefill.py", "flashinfer/jit/core.py", "docs/mla.rst",
         "csrc/gemm.cu", "csrc/topk.cu")  # fmt: skip


def synthetic(repo: Path, first: int, second: int) -> None:
    """A repository tagged v0.6.15, v0.6.16 (``first`` commits later) and v0.6.17 (``second`` later)."""
    init_repo(repo)
    git(repo, "remote", "add", "origin", f"{SYNTHETIC}.git")
    start = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)
    people = [
        ("Ada Lovelace", "ada@example.com"),
        ("Bo Chen", "bo@example.org"),
        ("Cy Diaz", "cy@example.net"),
    ]
    for i in range(first + second + 1):
        title = TITLES[i % len(TITLES)].format(i=i, pr=1000 + i)
        name, email = people[i % len(people)]
        path = FILES[i % len(FILES)]
        edit = FileEdit(path, f"// change {i}\n" + "x = 1\n" * (i % 7 + 1))
        commit(repo, CommitSpec(title, start + dt.timedelta(hours=i), author=name, email=email, edits=[edit]))
        if i in (0, first, first + second):
            git(repo, "tag", {0: "v0.6.15", first: "v0.6.16"}.get(i, "v0.6.17"))


def cliff_binary() -> str:
    """pip's git-cliff beside this Python when it is there (itself: a version manager's shim on PATH would
    add its own start to git-cliff's time, or pick another Python's in the repository), else PATH's."""
    import sysconfig

    beside = Path(sysconfig.get_path("scripts")) / "git-cliff"
    return str(beside) if beside.is_file() else (shutil.which("git-cliff") or "git-cliff")


def cliff_config(work: Path, binary: str) -> Path:
    """git-cliff's default configuration, as `git cliff --init` writes it (offline)."""
    subprocess.run([binary, "--init"], cwd=work, capture_output=True, check=True)
    return work / "cliff.toml"


PYCACHE: list[str] = []  # where our bytecode is kept (an installed package has its own)


def env_for(fake: FakeLLM | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DAILYDIFF_") and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
    env.update(PYTHONPATH=str(ROOT / "src"), NO_COLOR="1", PYTHONPYCACHEPREFIX=PYCACHE[0])
    if fake is not None:
        env.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
    return env


CPU: list[float] = []  # the CPU seconds (user + system, its children's included) of the last `wall`


def wall(
    command: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """The wall time of ``command`` from start to exit (process start included); its CPU time in ``CPU``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[:] = [after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime]
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return took, done


def build_days(repo: Path, data: Path, first: str, last: str, analyzer: str, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "dailydiff", "report", str(repo), "--all-branches", "--from", first,
               "--to", last, "--analyzer", analyzer, "--lang", "en", "--data-dir", str(data), "--yes",
               "--quiet", "-o", str(data / "out")]  # fmt: skip
    took, _ = wall(command, repo, env)
    return took


def notes_command(repo: Path, span: str, data: Path, analyzer: str) -> list[str]:
    return [sys.executable, "-m", "dailydiff", "notes", str(repo), span, "--analyzer", analyzer, "--lang", "en",
            "--data-dir", str(data)]  # fmt: skip


def check_links(repo: Path, md: str, shas: list[str], origin: str) -> list[str]:
    """What is wrong with the notes' links (nothing: an empty list)."""
    problems = []
    linked = re.findall(rf"\]\(({re.escape(origin)}/commit/([0-9a-f]{{40}}))\)", md)
    if sorted(s for _, s in linked) != sorted(shas):
        problems.append(f"{len(linked)} commit links for {len(shas)} commits")
    titles = {s: git(repo, "show", "-s", "--format=%s", s).strip() for s in shas}
    for line in md.splitlines():
        for number, url in re.findall(r"\[#(\d+)\]\(([^)]+)\)", line):
            if url != f"{origin}/pull/{number}":
                problems.append(f"bad pull request link {url}")
            sha = re.search(r"/commit/([0-9a-f]{40})", line)
            if sha and f"#{number}" not in titles[sha.group(1)]:
                problems.append(f"#{number} is not in the title of {sha.group(1)[:7]}")
    return problems


def breaking_first(md: str) -> bool:
    headings = re.findall(r"^### (.+)$", md, re.M)
    return "Breaking changes" not in headings or headings[0] == "Breaking changes"


@contextlib.contextmanager
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=Path("/tmp/notes-flashinfer"))
    parser.add_argument("--source", type=Path, default=Path("/tmp/flashinfer"))
    parser.add_argument("--synthetic", type=int, nargs=2, metavar=("N1", "N2"),
                        help="a repository made here: N1 commits v0.6.15..v0.6.16, N2 v0.6.16..v0.6.17")  # fmt: skip
    parser.add_argument("--range", action="append", dest="ranges")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ranges = args.ranges or ["v0.6.16..v0.6.17", "v0.6.15..v0.6.16"]
    work = Path(tempfile.mkdtemp(prefix="notes-bench-"))
    PYCACHE[:] = [str(work / "pycache")]
    repo: Path = args.repo
    if args.synthetic or not (repo.exists() or args.source.exists()):
        repo = work / "kernels"
        synthetic(repo, *(args.synthetic or (134, 64)))
    else:
        prepare(repo, args.source)
    origin = git(repo, "remote", "get-url", "origin").strip().removesuffix(".git")
    binary = cliff_binary()
    config = cliff_config(work, binary)
    dates = sorted(d[:10] for span in ranges for d in git(repo, "log", "--format=%cI", span).split())
    first, last = dates[0], (dt_next(dates[-1]))
    rules, llm = work / "rules", work / "llm"
    print(f"git-cliff {subprocess.run([binary, '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"the days {first} … {last} of {repo} (every branch) into two stores; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    took = build_days(repo, rules, first, last, "heuristic", env_for())
    print(f"  rules store: {took:.1f}s")
    days = work / "rules-days"  # the store as `report` left it: only the days
    shutil.copytree(rules, days)
    results = []
    with fake_llm() as fake:
        took = build_days(repo, llm, first, last, "llm", env_for(fake))
        print(f"  fake-LLM store: {took:.1f}s, {fake.count} requests")
        for span in ranges:
            results.append(measure(repo, span, origin, binary, config, days, llm, fake, args.rounds))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nload average {os.getloadavg()[0]:.1f}")
    print(f"{'range':<20} {'commits':>7} {'git-cliff shows':>15} {'ours shows':>10} {'git-cliff s':>11} "
          f"{'ours s (1st/again)':>18} {'ratio (1st/again)':>17} {'cpu s (cliff/1st/again)':>23} "
          f"{'LLM req (1st/again)':>20}")  # fmt: skip
    for r in results:
        print(f"{r['range']:<20} {r['commits']:>7} {r['git_cliff_shows']:>15} {r['ours_shows']:>10} "
              f"{r['git_cliff_s']:>11} {str(r['ours_first_s']) + '/' + str(r['ours_again_s']):>18} "
              f"{str(r['ratio_first']) + '/' + str(r['ratio_again']):>17} "
              f"{'/'.join(str(r[k]) for k in ('git_cliff_cpu_s', 'ours_first_cpu_s', 'ours_again_cpu_s')):>23} "
              f"{str(r['llm_requests_first']) + '/' + str(r['llm_requests_again']):>20}")  # fmt: skip
    worst = max(float(r["ratio_first"]) for r in results)  # type: ignore[arg-type]
    again = max(float(r["ratio_again"]) for r in results)  # type: ignore[arg-type]
    ok = all(r["ours_exactly_once"] and not r["ours_link_problems"] and "ours_differs" not in r
             and r["llm_requests_first"] == 0
             and r["llm_requests_again"] == 0 for r in results)  # fmt: skip
    print(
        f"ours / git-cliff wall time: {worst:.2f}× at most (the first call on a store with the days; "
        f"again: {again:.2f}×; target ≤ {TARGET}×); "
        f"LLM requests on a store with the days: {sum(int(r['llm_requests_first']) for r in results)}"
    )  # type: ignore[call-overload]
    print(f"verdict: {'right' if ok else 'WRONG'} (every commit once, links right, 0 LLM requests), "
          f"{'within' if worst <= TARGET else 'NOT within'} {TARGET}x git-cliff")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(verdict(ok, worst <= TARGET))


def measure(repo: Path, span: str, origin: str, binary: str, config: Path, days: Path, llm: Path,
            fake: FakeLLM, rounds: int) -> dict[str, object]:  # fmt: skip
    """One range: what each shows, their wall and CPU times (ours: the first call on a copy of ``days``, the
    store with only the days, and again on that copy), our LLM requests."""
    shas = git(repo, "log", "--format=%H", span).split()
    row: dict[str, object] = {"range": span, "commits": len(shas)}
    context = subprocess.run([binary, "-c", str(config), span, "--context"], cwd=repo,
                             capture_output=True, text=True, check=True)  # fmt: skip
    cliff = [c["id"] for release in json.loads(context.stdout) for c in release["commits"]]
    row["git_cliff_shows"] = len(set(cliff) & set(shas))
    row["git_cliff_outside"] = len(set(cliff) - set(shas))
    store = days.with_name(days.name + "-copy")
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(days, store)
    _, first_call = wall(notes_command(repo, span, store, "heuristic"), repo, env_for())
    md = first_call.stdout
    ours = re.findall(r"/commit/([0-9a-f]{40})\)", md)
    row["ours_shows"] = len(set(ours) & set(shas))
    row["ours_exactly_once"] = sorted(ours) == sorted(shas)
    row["ours_breaking_first"] = breaking_first(md)
    row["ours_breaking"] = md.count("\n### Breaking changes")
    row["ours_link_problems"] = check_links(repo, md, shas, origin)
    row["ours_first_call"] = first_call.stderr.strip().splitlines()[-1]
    # wall time, process start included, one after the other; ours first on a fresh copy of the days
    times: dict[str, list[float]] = {"cliff": [], "first": [], "again": []}
    cpu: dict[str, list[float]] = {"cliff": [], "first": [], "again": []}
    for _ in range(rounds):
        shutil.rmtree(store)
        shutil.copytree(days, store)
        for kind, command in (("cliff", [binary, "-c", str(config), span]),
                              ("first", notes_command(repo, span, store, "heuristic")),
                              ("again", notes_command(repo, span, store, "heuristic"))):  # fmt: skip
            took, done = wall(command, repo, env_for())
            times[kind].append(took)
            cpu[kind] += CPU
            if kind != "cliff" and done.stdout != md:
                row["ours_differs"] = f"the {kind} call's notes differ from the first's"
    shutil.rmtree(store)
    median = {kind: statistics.median(taken) for kind, taken in times.items()}
    cpu_median = {kind: statistics.median(taken) for kind, taken in cpu.items()}
    row["git_cliff_s"] = round(median["cliff"], 3)
    row["ours_first_s"] = round(median["first"], 3)
    row["ours_again_s"] = round(median["again"], 3)
    row["ratio_first"] = round(median["first"] / median["cliff"], 2)
    row["ratio_again"] = round(median["again"] / median["cliff"], 2)
    row["git_cliff_cpu_s"] = round(cpu_median["cliff"], 3)
    row["ours_first_cpu_s"] = round(cpu_median["first"], 3)
    row["ours_again_cpu_s"] = round(cpu_median["again"], 3)
    row["cpu_ratio_first"] = round(cpu_median["first"] / max(cpu_median["cliff"], 1e-3), 2)
    # LLM requests on the store the fake LLM built the days with
    fake.reset()
    _, llm_first = wall(notes_command(repo, span, llm, "llm"), repo, env_for(fake))
    row["llm_requests_first"] = fake.count
    row["llm_first_call"] = llm_first.stderr.strip().splitlines()[-1]
    fake.reset()
    wall(notes_command(repo, span, llm, "llm"), repo, env_for(fake))
    row["llm_requests_again"] = fake.count
    return row


def dt_next(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


if __name__ == "__main__":
    main()
