"""bench/replaced_tool.py, the harness that runs the tool dailydiff replaces against the fakes, on a stand-in
tool: the real one needs its own virtualenv (PyGithub, from the package registry), which tests do not make.
The stand-in makes the tool's requests in its order (the rate limit, its repository, yesterday's commits
in Asia/Shanghai, each commit's details, one DeepSeek request per commit, the issue), to the hosts the real
one hard-codes, 0.25 s apart as PyGithub paces them; what is checked is the harness: the hosts and the clock
redirected from outside the tool's files, every request timed, the issue filed, the time accounted for."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest

from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, build_repo
from required import libfaketime

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import replaced_tool

GITHUB_STAND_IN = '''"""A stand-in for PyGithub: a request at a time, 0.25 s from one's end to the next (its default)."""
import time

import requests


class Github:
    def __init__(self, token, base_url="https://api.github.com"):
        self.base_url, self.token, self.last = base_url, token, 0.0

    def call(self, method, path, **kwargs):
        time.sleep(max(0.0, self.last + 0.25 - time.monotonic()))
        try:
            headers = {"User-Agent": "PyGithub/Python", "Authorization": f"token {self.token}"}
            answer = requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
            answer.raise_for_status()
            return answer.json()
        finally:
            self.last = time.monotonic()
'''

MONITOR_STAND_IN = """import datetime as dt
import re
import sys
import zoneinfo

import requests
from github import Github

args = {name: value for name, value in zip(sys.argv, sys.argv[1:], strict=False) if name.startswith("--")}
shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
yesterday = dt.datetime.now(shanghai).date() - dt.timedelta(days=1)
start = dt.datetime.combine(yesterday, dt.time(), shanghai).astimezone(dt.timezone.utc)
window = {"since": f"{start:%Y-%m-%dT%H:%M:%SZ}", "until": f"{start + dt.timedelta(seconds=86399):%Y-%m-%dT%H:%M:%SZ}"}
github = Github(args["--github-token"])
github.call("GET", "/rate_limit")
github.call("GET", f"/repos/{args['--repo']}")
body = ""
for listed in github.call("GET", "/repos/kijai/ComfyUI-WanVideoWrapper/commits", params=window):
    detail = github.call("GET", f"/repos/kijai/ComfyUI-WanVideoWrapper/commits/{listed['sha']}")
    prompt = detail["commit"]["message"] + "".join(f["patch"] for f in detail["files"] if "patch" in f)
    answer = requests.post("https://api.deepseek.com/chat/completions", timeout=30,
                           headers={"Authorization": f"Bearer {args['--llm-api-key']}"},
                           json={"model": args["--llm-model"], "messages": [{"role": "user", "content": prompt}]})
    answer.raise_for_status()
    body += f"### {listed['sha']}\\n{answer.json()['choices'][0]['message']['content']}\\n"
github.call("POST", f"/repos/{args['--repo']}/issues", json={"title": f"report ({yesterday})", "body": body})
"""


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stand-in") / "argus"
    moment = dt.datetime(2025, 9, 17, 12, tzinfo=dt.UTC)
    edits = [FileEdit("src/github.py", GITHUB_STAND_IN), FileEdit("src/monitor.py", MONITOR_STAND_IN)]
    build_repo(path, [CommitSpec("Update monitor.py", moment, edits=edits)])
    return path


@pytest.mark.slow
def test_the_tool_runs_against_the_fakes_and_its_time_is_accounted_for(
    stand_in: Path, sample_repo: Path
) -> None:
    libfaketime()  # the one rule for a missing component: fails in CI, skips with its name elsewhere
    day = dt.date(2026, 1, 19)
    with FakeLLM(latency=0.3) as llm:
        run = replaced_tool.run(stand_in, sample_repo, day, llm, python=Path(sys.executable))

    # its clock was the day after (libfaketime), its hosts the fakes', its report filed with every commit
    assert replaced_tool.problems(run, day) == [], run.stderr[-2000:]
    assert run.since == "2026-01-18T16:00:00Z" and len(run.commits) >= 3
    hub = [e.what for e in run.events if e.where == "GitHub"]
    assert hub[:2] == ["GET /rate_limit", f"GET /repos/{replaced_tool.TOOL_REPO}"]
    assert hub[-1] == f"POST /repos/{replaced_tool.TOOL_REPO}/issues"
    assert [e.where for e in run.events].count("LLM") == len(run.commits)

    # every request is listed; the parts add up to the wall time, the pauses are the stand-in's 0.25 s
    # before each GitHub request that follows another (three: its repository, the list, the first commit)
    rows = (
        re.match(r"\s+[\d.]+ s\s+\+\s*[\d.]+\s+(GitHub|LLM) .* → \d+ ", line)
        for line in replaced_tool.describe(run)
    )
    listed = [row.group(1) for row in rows if row]
    assert listed.count("GitHub") == len(hub) and listed.count("LLM") == len(run.commits)
    parts = dict((what, seconds) for what, seconds, _ in replaced_tool.breakdown(run))
    assert parts.pop("retries") == 0
    assert sum(parts.values()) == pytest.approx(run.wall, abs=1e-6)
    assert parts["PyGithub's pauses"] == pytest.approx(3 * replaced_tool.PAUSE, abs=0.02)
    assert parts["the LLM's answers"] >= 0.3 * len(run.commits)


def test_a_clone_not_at_the_pinned_commit_is_refused(stand_in: Path) -> None:
    with pytest.raises(replaced_tool.Unavailable, match="is not at ab8c9d4c3d0c"):
        replaced_tool.ready(stand_in)
