"""Benchmark: one night of N GitHub repositories (default 500) on 1, 2 and 4 workers sharing a real PostgreSQL,
held to the LLM bound.

N distinct synthetic repositories (bench/scale.py's: 0 to 60 commits a day, a long tail) are served by the
fake GitHub (REST, GraphQL, and git over smart HTTP in clone mode); the commits are analysed by the fake LLM
endpoint, which answers after L seconds and refuses (429) above C requests in flight, as a hosted provider
does, from a process of its own (bench/llm_process.py: a provider's server shares no interpreter with the
fake GitHub). Each case runs the whole command with the defaults — `dailydiff run --date D --plan P` in 1, 2 or 4
worker processes, each with an API key of its own, a [[digest]] of every repository and a webhook target
(tests/webhook_receiver.py) — then `dailydiff site build`, on a new store and on a store that ran the night
before (D − 1, by as many workers), and prints both:

- the night's wall time (start of the first worker to exit of the last), the LLM bound
  (⌈requests/C⌉ + 1)·L (requests: every answered model request) and their ratio; the site build apart;
- requests per repository: GitHub's (counted against its rate limit: not git, /rate_limit or a 304; and git
  requests apart) and the endpoint's (answered, 429);
- the requests in flight at the endpoint: the most at once, and the mean from the first request to the last
  answer; the store's size (PostgreSQL database, data directory);
- each worker's peak RSS (its Python process; in brackets the largest process of its tree, git's included);
- the time per unit beyond the bound, and where the CPU went per unit (the workers' Python, their git, the
  fake servers in this process, git http-backend);
- units built twice (a unit claimed more than once, from the store's `unit_claims`), commits asked twice at one
  depth (from the endpoint's records), messages sent twice (the receiver's Idempotency-Key seen twice): each
  must be 0;
- the extrapolation to 5,000 repositories on N workers: the LLM bound at the same requests per repository,
  GitHub's primary rate limit (5,000 requests an hour per token) and our own work (CPU per repository, each
  worker on a core of its own), and which of the three binds.

    python3 bench/fleet_scale.py [--repos 500] [--workers 1,2,4] [--modes clone,api] [--stores new,before]
        [--latency 0.5 --concurrency 16 | --real-provider]

A diagnosis: DDFLEET_TRACE=PREFIX writes every model request of a night (start, end, status, the worker's
key; seconds from the night's start) to PREFIX-<plan>.tsv, the endpoint's requests in flight over time;
DDFLEET_WORKER_LOG=PREFIX each worker's debug log (bench/scale.py).

``--real-provider``: L = 3 s, C = 64, a hosted model's figures (labelled so). On a shared 2-core machine 4
workers compete for 2 cores: the CPU seconds are printed beside the wall times.
"""

from __future__ import annotations

import argparse
import collections
import compileall
import contextlib
import datetime as dt
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from llm_process import EndpointProcess  # noqa: E402
from scale import FIRST, TOKEN, Spent, build_fleet, run_workers, serve  # noqa: E402
from store_workers import postgres  # noqa: E402
from verdict import verdict  # noqa: E402
from webhook_receiver import WebhookReceiver  # noqa: E402

NIGHT = FIRST + dt.timedelta(days=1)  # the night measured; FIRST is the night before
TARGET = 1.10  # wall time / LLM bound on 2 and 4 workers (issue 62, acceptance 4)
GITHUB_PER_HOUR = 5000  # GitHub's primary rate limit per token (REST; GraphQL has its own points)
FLEET = 5000  # the repositories extrapolated to
REAL_PROVIDER = (3.0, 64)  # L, C: a hosted model's latency and concurrency


class KeyedReceiver(WebhookReceiver):
    """The receiver, counting each message by its Idempotency-Key (the delivery's id): a key seen twice is a
    message sent twice."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: collections.Counter[str] = collections.Counter()

    def handle(self, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        key = {k.lower(): v for k, v in headers.items()}.get("idempotency-key", "")
        with self._lock:
            self.keys[key] += 1
        return super().handle(target, headers, raw)

    def clear(self) -> None:
        with self._lock:
            self.keys.clear()
            self.received.clear()


@dataclass
class Case:
    mode: str
    workers: int
    store: str  # "new" or "before"
    wall: float = 0.0
    site: float = 0.0
    answered: int = 0
    rejected: int = 0
    api: int = 0
    git: int = 0
    peak_in_flight: int = 0
    mean_in_flight: float = 0.0
    phase: float = 0.0  # first model request to last answer
    first_request: float = 0.0  # from the start of the night to the first model request
    db_bytes: int = 0
    data_bytes: int = 0
    peaks: list[tuple[int, int]] = field(default_factory=list)  # (own kB, tree kB) per worker
    spent: Spent = field(default_factory=Spent)
    postgres: float | None = None  # CPU seconds of the PostgreSQL server (a server started here)
    units: int = 0
    twice_units: int = 0
    twice_asked: int = 0
    messages: int = 0
    twice_sent: int = 0
    reports: int = 0


def dailydiff(args: list[str], env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dailydiff", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"dailydiff {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - began


def postgres_cpu(server: Any) -> float | None:
    """CPU seconds of a PostgreSQL server started here: its postmaster's and its ended backends' (a backend
    is counted once its connection is closed). None for a server given by --pg-url."""
    data = getattr(server, "data", None)
    if data is None:
        return None
    try:
        pid = int((Path(data) / "postmaster.pid").read_text().split()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def commits_on(repo: Path, day: dt.date) -> int:
    dates = subprocess.run(["git", "-C", str(repo), "log", "--format=%cs"], capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    return dates.count(str(day))


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def store_figures(url: str, plan: str) -> tuple[int, int, int, int]:
    """Units of the plan, those claimed more than once, reports stored and the database's size in bytes.
    Every unit must be done."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        # A repository's day and the digest-day are what the night builds; the look-back and the addenda a
        # chat target adds beside each day are units too, done as cheaply when nothing is late, not counted.
        states = db.execute(
            "SELECT c.state, c.attempts FROM units u JOIN unit_claims c ON c.unit = u.unit WHERE u.plan = %s "
            "AND u.unit NOT LIKE 'look-back:%%' AND u.unit NOT LIKE 'addendum:%%'",
            (plan,),
        ).fetchall()
        reports = db.execute("SELECT COUNT(*) FROM reports").fetchone()
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()
    undone = [s for s, _ in states if s != "done"]
    if undone:
        raise SystemExit(f"{plan}: {len(undone)} unit(s) not done: {collections.Counter(undone)}")
    assert reports is not None and size is not None
    return len(states), sum(1 for _, a in states if a > 1), int(reports[0]), int(size[0])


def night(case: Case, config: Path, env: dict[str, str], root: Path, fake: Any, llm: EndpointProcess,
          hooks: KeyedReceiver, url: str, server: Any) -> None:  # fmt: skip
    """The night measured: counters reset, the workers run, the site built, the figures read."""
    plan = f"night-{case.mode}-{case.workers}-{case.store}"
    fake.reset_requests()
    fake.exhaust(1_000_000, 3600)
    llm.reset()
    hooks.clear()
    began, pg, endpoint = time.monotonic(), postgres_cpu(server), llm.cpu()
    case.wall, case.peaks, case.spent = run_workers(
        config, 1, case.workers, env, root, plan, first=NIGHT, keyed=True
    )
    case.spent.fakes += llm.cpu() - endpoint  # the fake endpoint's process: a fake, as GitHub's in this one
    after = postgres_cpu(server)
    case.postgres = after - pg if after is not None and pg is not None else None
    site = root / f"site-{plan}"
    case.site = dailydiff(["site", "build", "--config", str(config), "-o", str(site)], env, root)
    records = llm.requests
    trace = os.environ.get("DDFLEET_TRACE")
    if trace:  # every model request (start, end, status, client), relative to the night's start
        with open(f"{trace}-{plan}.tsv", "w") as out:
            for r in records:
                out.write(
                    f"{r.started - began:.3f}\t{r.ended - began:.3f}\t{r.status}\t{r.authorization[-6:]}\n"
                )
    ok = [r for r in records if r.status == 200]
    case.answered, case.rejected = len(ok), llm.rejected_429
    case.peak_in_flight = llm.peak_active
    if ok:
        start, end = min(r.started for r in ok), max(r.ended for r in ok)
        case.phase = end - start
        case.mean_in_flight = sum(r.ended - r.started for r in ok) / max(case.phase, 1e-9)
        case.first_request = start - began
    asked = collections.Counter(llm.asked())
    case.twice_asked = sum(1 for n in asked.values() if n > 1)
    case.api = sum(1 for r in fake.requests if r.kind not in ("git", "rate_limit") and r.status != 304)
    case.git = fake.count("git")
    case.units, case.twice_units, case.reports, case.db_bytes = store_figures(url, plan)
    case.data_bytes = size_of(Path(env["DAILYDIFF_DATA_DIR"]))
    case.messages = sum(hooks.keys.values())
    case.twice_sent = sum(1 for n in hooks.keys.values() if n > 1)


def bound(answered: int, latency: float, concurrency: int) -> float:
    return (math.ceil(answered / concurrency) + 1) * latency


def extrapolate(case: Case, repos: int, latency: float, concurrency: int) -> tuple[float, float, float]:
    """Seconds for 5,000 repositories on the case's workers, by what bounds them: the endpoint (the LLM
    bound at the same requests per repository), GitHub (its primary limit is a budget of 5,000 requests an
    hour per token: a night that needs more waits for the budget's reset once per 5,000 beyond the first,
    starting from a full budget) and us (our CPU per repository, the workers' Python and git, each worker
    on a core of its own)."""
    llm = bound(round(case.answered / repos * FLEET), latency, concurrency)
    github = max(0, math.ceil(case.api / repos * FLEET / GITHUB_PER_HOUR) - 1) * 3600.0
    ours = (case.spent.workers + case.spent.git) / repos * FLEET / case.workers
    return llm, github, ours


def report(cases: list[Case], repos: int, commits: int, latency: float, concurrency: int, label: str) -> bool:
    """Prints the table; True when the 2- and 4-worker nights are within TARGET× the bound."""
    print(f"\n{repos} repositories, night {NIGHT}: {commits} commits; endpoint L = {latency:g} s, C = {concurrency} "
          f"({label}); load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    head = (f"{'mode':5} {'store':6} {'wk':>2} {'wall s':>7} {'bound s':>7} {'×bound':>6} {'site s':>6} "
            f"{'LLM/repo':>8} {'429':>4} {'GH/repo':>7} {'git/repo':>8} {'flight max/mean':>15} "
            f"{'DB MB':>6} {'data MB':>7} {'beyond ms/unit':>14} {'2x units':>8} {'2x asked':>8} "
            f"{'msgs':>5} {'2x sent':>7}  peak RSS MB per worker (tree)")  # fmt: skip
    print(head)
    within = True
    for c in cases:
        b = bound(c.answered, latency, concurrency)
        beyond = 1000 * (c.wall - b) / max(1, c.units)
        peaks = ", ".join(f"{own / 1024:.0f} ({tree / 1024:.0f})" for own, tree in c.peaks)
        print(f"{c.mode:5} {c.store:6} {c.workers:2d} {c.wall:7.1f} {b:7.1f} {c.wall / b:6.2f} {c.site:6.1f} "
              f"{c.answered / repos:8.2f} {c.rejected:4d} {c.api / repos:7.2f} {c.git / repos:8.2f} "
              f"{c.peak_in_flight:7d}/{c.mean_in_flight:5.1f}   {c.db_bytes / 2**20:6.1f} {c.data_bytes / 2**20:7.1f} "
              f"{beyond:14.0f} {c.twice_units:8d} {c.twice_asked:8d} {c.messages:5d} {c.twice_sent:7d}  {peaks}")  # fmt: skip
        if c.workers in (2, 4):
            within &= c.wall <= TARGET * b
    cores = os.cpu_count() or 1
    print("\nwhere the time goes, per unit (CPU ms: the workers' Python, their git, PostgreSQL, the fakes (this "
          "process and the endpoint's), git http-backend; all of it over this machine's cores: the least wall time its CPU allows; "
          "the first model request after the night's start; the model phase / the bound)")  # fmt: skip
    for c in cases:
        n = max(1, c.units)
        s = c.spent
        pg = c.postgres or 0.0
        floor = (s.workers + s.git + pg + s.fakes + s.backend) / cores
        print(f"  {c.mode:5} {c.store:6} {c.workers} worker(s): Python {1000 * s.workers / n:5.0f}, git "
              f"{1000 * s.git / n:4.0f}, PostgreSQL {'?' if c.postgres is None else f'{1000 * pg / n:4.0f}'}, "
              f"fakes {1000 * s.fakes / n:4.0f}, http-backend {1000 * s.backend / n:4.0f}; CPU over {cores} cores "
              f"{floor:6.1f} s; first model request at {c.first_request:5.2f} s; model phase {c.phase:6.1f} s = "
              f"{c.phase / bound(c.answered, latency, concurrency):.2f}× the bound")  # fmt: skip
    print(f"\nextrapolation to {FLEET:,} repositories (at this night's requests and CPU per repository; "
          "GitHub: one token, a budget of 5,000 requests an hour, waits for its resets; us: each worker on a core of "
          "its own)")  # fmt: skip
    for c in cases:
        llm, github, ours = extrapolate(c, repos, latency, concurrency)
        bounds = {"the endpoint": llm, "GitHub's rate limit": github, "us": ours}
        binding = max(bounds, key=lambda k: bounds[k])
        requests = round(c.api / repos * FLEET)
        print(f"  {c.mode:5} {c.store:6} {c.workers} worker(s): endpoint {llm / 60:6.1f} min, GitHub "
              f"{github / 60:6.1f} min ({requests:,} API requests), us {ours / 60:6.1f} min → {max(bounds.values()) / 60:.1f} min, "
              f"bound by {binding}")  # fmt: skip
    return within


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    parser.add_argument("--modes", default="clone,api", help="GitHub modes: clone, api")
    parser.add_argument(
        "--stores", default="new,before", help="new: an empty store; before: one that ran D − 1"
    )
    parser.add_argument("--latency", type=float, default=0.5, help="L: seconds to each answer")
    parser.add_argument("--concurrency", type=int, default=16, help="C: requests in flight above it get 429")
    parser.add_argument("--real-provider", action="store_true",
                        help=f"L = {REAL_PROVIDER[0]:g} s, C = {REAL_PROVIDER[1]}: a hosted model's figures")  # fmt: skip
    parser.add_argument("--run-concurrency", type=int, default=0,
                        help="[run] concurrency (units a worker builds at once) set by hand; 0: the default")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-url", help="an existing PostgreSQL server's URL (default: start one here)")
    args = parser.parse_args()
    latency, concurrency = REAL_PROVIDER if args.real_provider else (args.latency, args.concurrency)
    label = ("a real provider's figures" if args.real_provider
             else "defaults" if (latency, concurrency) == (0.5, 16) else "set by hand")  # fmt: skip
    if args.run_concurrency:
        label += f"; [run] concurrency = {args.run_concurrency}, set by hand"
    rng = random.Random(args.seed)
    # The workers start from compiled modules, as an installed package does (pip compiles them): a checkout
    # run with PYTHONDONTWRITEBYTECODE would compile every module again in each worker, seconds each.
    compileall.compile_dir(ROOT / "src", quiet=1)
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ddfleet-")))
        began = time.perf_counter()
        repos, commits, pulls = build_fleet(root / "repos", args.repos, 2, rng)
        tonight = sum(commits_on(path, NIGHT) for path in repos.values())
        print(f"{args.repos} repositories, {commits} commits over 2 nights ({tonight} on {NIGHT}); built in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        fake = stack.enter_context(serve(repos, pulls))
        server = stack.enter_context(postgres(args.pg_url))
        # In a process of its own, as a provider's server: not sharing this one's GIL with the fake GitHub.
        llm = stack.enter_context(EndpointProcess(latency=latency, concurrency_limit=concurrency))
        hooks = KeyedReceiver().start()
        stack.callback(hooks.stop)
        config = root / "dailydiff.toml"
        config.write_text(
            '[report]\ntimezone = "UTC"\n\n[analysis]\nanalyzer = "llm"\n\n'
            + (f"[run]\nconcurrency = {args.run_concurrency}\n\n" if args.run_concurrency else "")
            + '[[digest]]\nname = "all"\n\n'
            '[[publish]]\ntype = "webhook"\nurl_env = "DAILYDIFF_FLEET_HOOK"\n'
            + "".join(f'\n[[repos]]\nsource = "{name}"\n' for name in repos)
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYDIFF_", "GITHUB_"))}
        base.update(PYTHONPATH=str(ROOT / "src"), GITHUB_TOKEN=TOKEN, DAILYDIFF_GITHUB_API_URL=fake.url,
                    DAILYDIFF_LLM_BASE_URL=llm.base_url, DAILYDIFF_LLM_MODEL=llm.model,
                    DAILYDIFF_FLEET_HOOK=hooks.urls()["webhook"])  # fmt: skip
        cases: list[Case] = []
        for mode in args.modes.split(","):
            for workers in (int(n) for n in args.workers.split(",")):
                for store in args.stores.split(","):
                    case = Case(mode, workers, store)
                    url = server.create_database()
                    data = root / f"data-{mode}-{workers}-{store}"
                    env = {**base, "DAILYDIFF_GITHUB_MODE": mode, "DAILYDIFF_STORE_URL": url,
                           "DAILYDIFF_DATA_DIR": str(data)}  # fmt: skip
                    if store == "before":
                        took, _, _ = run_workers(config, 1, workers, env, root, f"before-{mode}-{workers}",
                                                 first=FIRST, keyed=True)  # fmt: skip
                        print(
                            f"  {mode}, {workers} worker(s): the night before took {took:.1f} s", flush=True
                        )
                    night(case, config, env, root, fake, llm, hooks, url, server)
                    cases.append(case)
                    print(f"  {mode}, {workers} worker(s), {store} store: {case.wall:.1f} s "
                          f"({case.answered} model requests, bound {bound(case.answered, latency, concurrency):.1f} s)",
                          flush=True)  # fmt: skip
                    shutil.rmtree(data, ignore_errors=True)
        within = report(cases, args.repos, tonight, latency, concurrency, label)
        wrong = [c for c in cases if c.twice_units or c.twice_asked or c.twice_sent]
        expected = args.repos + 1  # a report per repository-day, and the digest-day
        wrong += [c for c in cases if c.units != expected]
        if wrong:
            print("WRONG: a unit built twice, a commit asked twice, a message sent twice or a unit missing")
        print("wall / LLM bound: "
              + ", ".join(f"{c.mode} {c.store} {c.workers} worker(s) {c.wall / bound(c.answered, latency, concurrency):.2f}×"
                          for c in cases)
              + f" (target on 2 and 4 workers ≤ {TARGET:.2f})")  # fmt: skip
    return verdict(not wrong, within)


if __name__ == "__main__":
    raise SystemExit(main())
