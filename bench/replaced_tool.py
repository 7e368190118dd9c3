"""The tool dailydiff replaces, ykk648/argus, run as its users run it: its own code, end to end, against the
benchmark's fakes (for bench/warm_start.py --tool).

What runs is its ``src/monitor.py``, its files unmodified (a clone at ``TOOL_COMMIT``, checked), with its
GitHub Action's command line (``--debug --github-token T --enable-analysis --repo R --llm-api-key K
--llm-model M``), from process start to exit: PyGithub's ``Github(token)``, ``get_rate_limit``, a
``get_repo`` per repository, ``get_commits(since, until)``, each commit completed when its ``files`` are
read, one DeepSeek request per commit, then ``create_issue`` with the report. PyGithub 2.1.1's own pauses
(0.25 s from one request's end to the next, 1 s between writes) and retry policy (GithubRetry: 403 and
5xx) are left at its defaults: they are part of what its users wait for.

Set-up, not run time: it runs in its own virtualenv with its pinned requirements.txt, made once by
``python3 -m venv`` and pip from the package registry and cached under $XDG_CACHE_HOME/dailydiff-bench/
(keyed by the requirements and the Python version). Nothing of dailydiff downloads anything.

Pointed elsewhere, all from outside its files (bench/replaced_tool_run.py, labelled in the output):
- its GitHub host → the fake GitHub (tests/fake_github.py, real HTTP): PyGithub's ``base_url``. The day is
  served under the first of its hard-coded REPOSITORIES; the other seven answer 404, as GitHub answers a
  repository it does not have (each costs it one request, not two: in its favour). Its own repository, where
  it files the report, is served from its clone; ``POST /repos/{o}/{n}/issues`` answers 201 as GitHub does.
- DeepSeek's URL → the fake LLM endpoint (tests/fake_llm.py), whatever latency the benchmark gives it.
- its clock: it reports on "yesterday" in Asia/Shanghai by the clock, so its process starts at 18:00 UTC of
  the day (02:00 the next morning in Shanghai, its workflow's cron time) by libfaketime (the clock then runs
  at its normal rate; its sleeps are real sleeps).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_github import FakeGitHub  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402

TOOL_COMMIT = "ab8c9d4c3d0c8b9c715c05efdb4a2e57fa1327ae"  # ykk648/argus, 2025-09-17
TOOL_REPO = "ykk648/argus"  # where its Action files the report (`--repo ${{ github.repository }}`)
MONITORED = (
    "kijai/ComfyUI-WanVideoWrapper"  # the first of its hard-coded REPOSITORIES: the day is served here
)
TOKEN = "ghp_bench_replaced_tool"
LLM_KEY = "sk-bench-replaced-tool"
PAUSE = 0.25  # PyGithub 2.1.1's seconds_between_requests (github/Consts.py), from one request's end
RUNNER = ROOT / "bench" / "replaced_tool_run.py"
FAKETIME = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
            "/usr/local/lib/faketime/libfaketime.so.1")  # fmt: skip
REDIRECTED = (
    "redirected from outside its src (bench/replaced_tool_run.py): PyGithub's base_url → the fake GitHub, "
    "api.deepseek.com → the fake LLM, its clock → 18:00 UTC of the day (libfaketime)"
)


class Unavailable(Exception):
    """The tool cannot be run here (its clone, its virtualenv or libfaketime): the message says why."""


def check_clone(tool: Path) -> None:
    head = subprocess.run(["git", "-C", str(tool), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.stdout.strip() != TOOL_COMMIT:
        raise Unavailable(f"the tool at {tool} is not at {TOOL_COMMIT[:12]}: check it out there")
    changed = subprocess.run(["git", "-C", str(tool), "status", "--porcelain", "--", "src", "requirements.txt"],
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
    if changed:
        raise Unavailable(
            f"the tool's files at {tool} are modified ({changed.splitlines()[0]}): restore them"
        )


def venv_python(tool: Path, log: Any = print) -> Path:
    """The tool's own virtualenv's interpreter, made once (set-up: the package registry) and cached."""
    requirements = (tool / "requirements.txt").read_bytes()
    key = hashlib.sha256(requirements + sys.version.encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dailydiff-bench"
    venv = cache / f"argus-{key}"
    python = venv / "bin" / "python"
    if (venv / "ready").exists():
        return python
    log(f"  (set-up, once: a virtualenv with the tool's pinned requirements.txt at {venv}, from the package "
        "registry — the benchmark's, not dailydiff's)")  # fmt: skip
    building = cache / f"argus-{key}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    began = time.monotonic()
    for step in ([sys.executable, "-m", "venv", str(building)],
                 [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(tool / "requirements.txt")]):  # fmt: skip
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
            raise Unavailable(f"could not make the tool's virtualenv ({' '.join(step[-3:])}): {lines[-1]}")
    (building / "ready").write_text(f"{dt.datetime.now(dt.UTC).isoformat()}\n")
    shutil.rmtree(venv, ignore_errors=True)
    # the venv's scripts name its path: make it where it stays (a rename would break them), then mark it
    building.rename(venv)
    log(f"  (set-up took {time.monotonic() - began:.0f} s)")
    return python


def faketime_library() -> Path:
    for pattern in FAKETIME:
        for found in sorted(glob.glob(pattern)):
            return Path(found)
    raise Unavailable(
        "libfaketime is not installed (apt-get install faketime): the tool reads its day from the clock"
    )


def ready(tool: Path) -> None:
    """Raise Unavailable unless the tool can run here (its clone as pinned, its virtualenv, libfaketime)."""
    check_clone(tool)
    venv_python(tool)
    faketime_library()


@dataclass(frozen=True)
class Event:
    """One request the tool made, seconds after its process started."""

    start: float
    end: float
    where: str  # "GitHub" or "LLM"
    what: str  # method and path
    status: int


@dataclass
class ToolRun:
    wall: float  # process start to exit
    code: int
    stderr: str
    events: list[Event]
    issues: list[dict[str, Any]]  # the issues it filed (their JSON bodies as sent)
    since: str | None  # the day it asked GitHub for
    until: str | None
    prompt_chars: int
    commits: list[str]  # the commits it completed (a GitHub request for each one's files), by sha
    notes: list[str] = field(default_factory=list)


def _issues_route(fake: FakeGitHub, filed: list[dict[str, Any]]) -> None:
    def create(fake: FakeGitHub, match: re.Match[str], _q: dict[str, str], _h: dict[str, str], body: bytes) -> tuple[Any, ...]:  # fmt: skip
        name = match.group(1)
        if name not in fake.repos:
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
        sent = json.loads(body or b"{}")
        if not isinstance(sent, dict) or not sent.get("title"):
            return 422, {"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title",
                                                                     "code": "missing_field"}]}  # fmt: skip
        filed.append(sent)
        number = len(filed)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        url = f"{fake.url}/repos/{name}/issues/{number}"
        issue = {
            "id": 4653757 + number, "number": number, "state": "open", "title": sent["title"],
            "body": sent.get("body"), "user": {"login": "bot", "id": 1, "url": f"{fake.url}/users/bot"},
            "labels": [], "assignee": None, "milestone": None, "comments": 0, "closed_at": None,
            "closed_by": None, "created_at": now, "updated_at": now, "url": url,
            "html_url": f"{fake.web_url}/{name}/issues/{number}",
        }  # fmt: skip
        return 201, issue, {"Location": url}

    fake.route("POST", r"^/repos/([^/]+/[^/]+)/issues$", create)


@contextlib.contextmanager
def fake_github(repo: Path, tool: Path, latency: float) -> Iterator[tuple[FakeGitHub, list[dict[str, Any]]]]:
    """The fake GitHub the tool reads: the day's repository under MONITORED, its own under TOOL_REPO (a bare
    clone of its clone: there its commit is on a branch, as on GitHub)."""
    with tempfile.TemporaryDirectory() as scratch:
        own = Path(scratch) / "argus.git"
        subprocess.run(
            ["git", "clone", "--quiet", "--bare", str(tool), str(own)], check=True, capture_output=True
        )
        with FakeGitHub({MONITORED: repo, TOOL_REPO: own}, token=TOKEN, latency=latency) as fake:
            fake.latency_covers_work = True  # `latency` is the time to an answer, as an API's is
            fake.user_agents = ("PyGithub/",)  # GitHub serves any named application
            filed: list[dict[str, Any]] = []
            _issues_route(fake, filed)
            yield fake, filed


def run(tool: Path, repo: Path, day: dt.date, llm: FakeLLM, *, github_latency: float = 0.0,
        python: Path | None = None) -> ToolRun:  # fmt: skip
    """The tool's whole command on ``day`` of ``repo`` against ``llm`` (started) and a fake GitHub, in its
    virtualenv; ``python``: another interpreter, and no check of the clone (the tests' stand-in tool)."""
    if python is None:
        check_clone(tool)
        python = venv_python(tool)
    library = faketime_library()
    with fake_github(repo, tool, github_latency) as (github, filed):
        llm.reset()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DAILYDIFF_", "PYTHON"))},
            "BENCH_GITHUB_URL": github.url,
            "BENCH_LLM_URL": llm.base_url,  # …/v1: DeepSeek's /chat/completions is the fake's /v1/chat/completions
            "LD_PRELOAD": str(library),
            "FAKETIME": f"@{day.isoformat()} 18:00:00",
            "TZ": "UTC",
        }
        command = [str(python), str(RUNNER), str(tool / "src" / "monitor.py"), "--debug", "--github-token", TOKEN,
                   "--enable-analysis", "--repo", TOOL_REPO, "--llm-api-key", LLM_KEY, "--llm-model", llm.model]  # fmt: skip
        began = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - began
        hub = [Event(r.at - began, r.done - began, "GitHub", f"{r.method} {_shown(r.path, r.query)}", r.status)
               for r in github.of()]  # fmt: skip
        listed = github.of("list")
        details = github.of("detail")
    models = [Event(r.started - began, r.ended - began, "LLM", "POST /v1/chat/completions", r.status)
              for r in llm.requests]  # fmt: skip
    return ToolRun(
        wall=wall,
        code=done.returncode,
        stderr=done.stderr,
        events=sorted(hub + models, key=lambda e: e.start),
        issues=filed,
        since=listed[0].query.get("since") if listed else None,
        until=listed[0].query.get("until") if listed else None,
        prompt_chars=sum(len(r.prompt_text) for r in llm.requests if r.status == 200),
        commits=sorted({r.path.rsplit("/", 1)[-1] for r in details}),
    )


def _shown(path: str, query: dict[str, str]) -> str:
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def problems(run: ToolRun, day: dt.date) -> list[str]:
    """What is wrong with a run (empty: it did the day's work as its users see it)."""
    found = []
    if run.code != 0:
        tail = run.stderr.strip().splitlines()[-1:] or ["no output"]
        found.append(f"exit {run.code}: {tail[0][:300]}")
    start = dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
    if run.since != start.strftime("%Y-%m-%dT%H:%M:%SZ"):
        found.append(f"it asked GitHub for commits since {run.since}, not the day {day} in Asia/Shanghai")
    answered = sum(1 for e in run.events if e.where == "LLM" and e.status == 200)
    if answered != len(run.commits) or not run.commits:
        found.append(f"{answered} model answers for {len(run.commits)} commits")
    if len(run.issues) != 1:
        found.append(f"{len(run.issues)} issues filed, not 1")
    elif not all(f"### {sha}\n" in str(run.issues[0].get("body")) for sha in run.commits):
        found.append("its report does not have a section per commit")
    return found


def breakdown(run: ToolRun) -> list[tuple[str, float, str]]:
    """Where the tool's wall time goes: (what, seconds, detail), adding up to its wall time (its requests
    are one after the other). PyGithub's pause before a GitHub request is the part of the gap before it that
    falls within PAUSE of the previous GitHub request's end (PyGithub sleeps until then)."""
    events = run.events
    if not events:
        return [("start-up to exit, no request", run.wall, "")]
    hub = [e for e in events if e.where == "GitHub"]
    llm = [e for e in events if e.where == "LLM"]
    paused = gaps = 0.0
    paced = 0
    last_hub: Event | None = None
    for before, after in zip(events, events[1:], strict=False):
        last_hub = before if before.where == "GitHub" else last_hub
        gaps += after.start - before.end
        if after.where == "GitHub" and last_hub is not None:
            pause = max(0.0, min(after.start, last_hub.end + PAUSE) - before.end)
            paced += pause > 0
            paused += pause
    retried = sum(
        1
        for before, after in zip(hub, hub[1:], strict=False)
        if before.what == after.what and (before.status >= 500 or before.status in (403, 429))
    ) + sum(1 for e in llm if e.status != 200)
    return [
        ("start-up (process start to its first request)", events[0].start, "Python, PyGithub, requests"),
        ("the LLM's answers", sum(e.end - e.start for e in llm), f"{len(llm)} requests, one after the other"),
        ("GitHub's answers", sum(e.end - e.start for e in hub),
         f"{len(hub)} requests ({sum(1 for e in hub if e.status == 404)} × 404)"),
        ("PyGithub's pauses", paused,
         f"before {paced} of its GitHub requests ({PAUSE:g} s from the previous one's end; 1 s between writes)"),
        ("its own work between requests", gaps - paused, "building prompts, logging them (--debug), the report"),
        ("exit (last answer to process exit)", run.wall - max(e.end for e in events), ""),
        ("retries", float(retried), "requests repeated after a 403/429/5xx, or model answers not 200 (a count)"),
    ]  # fmt: skip


def describe(run: ToolRun) -> list[str]:
    """Every request it made, when (seconds after its process started) and the gap since the previous one
    ended; then where its time went."""
    lines = ["      (when; gap since the previous request's end; which fake; request → status (how long))"]
    last_end = 0.0
    for e in run.events:
        lines.append(f"      {e.start:7.2f} s  +{e.start - last_end:5.2f}  {e.where:<6} {e.what[:90]} → {e.status} "
                     f"({e.end - e.start:.2f} s)")  # fmt: skip
        last_end = e.end
    lines.append(f"      {run.wall:7.2f} s  exit {run.code}")
    lines.append("    where its time went:")
    for what, seconds, detail in breakdown(run):
        figure = (
            f"{seconds:.0f}" if what == "retries" else f"{seconds:6.2f} s ({100 * seconds / run.wall:4.1f}%)"
        )
        lines.append(f"      {what}: {figure}{'; ' + detail if detail else ''}")
    return lines
