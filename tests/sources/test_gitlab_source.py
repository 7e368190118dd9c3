"""The GitLab source against the fake GitLab (tests/fake_gitlab.py), which serves the same real git history
that the GitHub tests use: the same commits and levels as the local clone, merge requests in the prompt
and the report, a warm re-run that only revalidates its list pages, rate limits and 5xx through the one
client, nested groups as names, and the token kept out of every output."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.analysis import HeuristicAnalyzer
from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.prompting import PromptBook
from dailydiff.common.timewindow import day_window
from dailydiff.errors import SourceError
from dailydiff.models import Level
from dailydiff.render.markdown import render_markdown
from dailydiff.scoring.rules import score_commit
from dailydiff.settings import Settings, load_settings
from dailydiff.sources import SourceOptions, open_source
from dailydiff.sources.git import GitSource
from dailydiff.sources.gitlab import GitLabSource
from dailydiff.store import Store
from engine_run import run_days
from fake_github_git import GitData
from fake_gitlab import FakeGitLab, FakeMergeRequest
from gitrepo import git
from test_github_source import DAYS, FIRST_DAY, TZ, _key, repo_path  # noqa: F401  (repo_path: a fixture)

PROJECT = "acme/platform/demo"  # a nested group
DATA = Path(__file__).parents[1] / "data" / "gitlab_api"


def _merge_requests(path: Path, shas: list[str]) -> list[FakeMergeRequest]:
    found = []
    for sha in shas:
        title = git(path, "log", "-1", "--format=%s", sha).strip()
        if title.startswith("feat(core): add feature"):
            number = int(title.rsplit("#", 1)[1].rstrip(")"))
            found.append(FakeMergeRequest(number, f"Add feature !{number}", [sha],
                                          description="<!-- template -->\r\nWhy: x\r\n", labels=["enhancement", "core"]))  # fmt: skip
        if title.startswith("fix: handle edge case 3"):
            found.append(FakeMergeRequest(77, "Fix the edge case", [sha], labels=["bug", "backend"]))
    return found


@pytest.fixture
def fake(repo_path: tuple[Path, list[str]]) -> Iterator[FakeGitLab]:  # noqa: F811
    path, shas = repo_path
    with FakeGitLab({PROJECT: GitData(path)}) as server:
        for mr in _merge_requests(path, shas):
            server.add_merge_request(PROJECT, mr)
        yield server


def settings_for(fake: FakeGitLab, tmp_path: Path, **gitlab: Any) -> Settings:
    return load_settings(
        environ={"DAILYDIFF_GITLAB_API_URL": fake.url},
        overrides={"data_dir": str(tmp_path / "data"), "gitlab": {"backoff": 0.01, **gitlab}},
        cwd=tmp_path,
    )


def source(fake: FakeGitLab, tmp_path: Path, store: Store | None = None, **gitlab: Any) -> GitLabSource:
    opened = open_source(f"gitlab:{PROJECT}", settings_for(fake, tmp_path, **gitlab), SourceOptions(), store)
    assert isinstance(opened, GitLabSource)
    return opened


def test_same_history_as_the_local_clone_for_every_day(
    fake: FakeGitLab,
    repo_path: tuple[Path, list[str]],  # noqa: F811
    tmp_path: Path,
) -> None:
    path, shas = repo_path
    fake.list_page_size = 2  # several list pages a day
    fake.diff_page_size = 1  # several diff pages per commit
    gitlab = source(fake, tmp_path)
    local = GitSource.open(str(path), tmp_path)
    seen: set[str] = set()
    for day in [*DAYS, FIRST_DAY - dt.timedelta(days=1)]:
        window = day_window(day, TZ)
        expected = sorted(local.commits(window), key=lambda c: c.sha)
        got = sorted(gitlab.commits(window), key=lambda c: c.sha)
        assert [_key(c) for c in got] == [_key(c) for c in expected], day
        # The same levels, from the same rules.
        weights = load_settings(environ={}, cwd=tmp_path).scoring
        assert [score_commit(c, weights) for c in got] == [score_commit(c, weights) for c in expected]
        seen |= {c.sha for c in got}
    assert seen == set(shas)
    # Links go to the instance's pages of the nested project.
    assert gitlab.repo == PROJECT and gitlab.repo_url == f"{fake.web_url}/{PROJECT}"
    commit = gitlab.commits(day_window(DAYS[0], TZ))[0]
    assert commit.url == f"{fake.web_url}/{PROJECT}/-/commit/{commit.sha}"
    assert fake.count("list") > len(DAYS) and fake.count("diff") > len(shas)
    # The project travels URL-encoded, nested groups included.
    assert all(r.path.startswith("/api/v4/projects/acme%2Fplatform%2Fdemo/") for r in fake.requests)


def test_the_same_report_as_the_local_clone(
    fake: FakeGitLab,
    repo_path: tuple[Path, list[str]],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Without merge requests (a clone has none), GitLab's days and the clone's are the same reports; with
    the clone's links pointed at the same project page (a remote on the instance does that), even the
    links match."""
    path, _ = repo_path
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    settings = settings_for(fake, tmp_path, merge_requests=False)
    clone = GitSource.open(str(path), tmp_path, name=PROJECT)
    clone.repo_url, clone.forge = f"{fake.web_url}/{PROJECT}", "gitlab"
    rendered = []
    for name, opened in [("gitlab", source(fake, tmp_path / "g", merge_requests=False)), ("clone", clone)]:
        store = Store(tmp_path / f"{name}.sqlite3")
        reports = run_days(opened, DAYS[:4], settings, store, HeuristicAnalyzer(), now=now).reports
        store.close()
        assert all(r.stats.total for r in reports)
        rendered.append([render_markdown(r).rsplit("Generated by", 1)[0] for r in reports])
    assert rendered[0] == rendered[1]
    assert f"{fake.web_url}/{PROJECT}/-/commit/" in rendered[0][0]


def test_merge_requests_reach_the_prompt_and_the_report(fake: FakeGitLab, tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    settings = settings_for(fake, tmp_path)
    day = FIRST_DAY + dt.timedelta(days=3)
    outcome = run_days(source(fake, tmp_path, store), [day], settings, store, HeuristicAnalyzer())
    report = outcome.reports[0]
    with_mr = [rc for rc in report.commits if rc.pr is not None]
    assert {rc.pr.number for rc in with_mr if rc.pr} == {103, 77}
    fix = next(rc for rc in with_mr if rc.pr and rc.pr.number == 77)
    assert fix.pr is not None and fix.pr.url == f"{fake.web_url}/{PROJECT}/-/merge_requests/77"
    assert fix.pr.labels == ["bug", "backend"]
    feat = next(rc for rc in with_mr if rc.pr and rc.pr.number == 103)
    assert feat.pr is not None and feat.pr.body == "Why: x"  # the template comment left out
    markdown = render_markdown(report)
    assert "Fix the edge case" in markdown and "bug" in markdown and "backend" in markdown
    assert f"({fake.web_url}/{PROJECT}/-/merge_requests/77)" in markdown
    stored = next(c for c in source(fake, tmp_path).commits(day_window(day, TZ)) if c.sha == fix.sha)
    prompt = PromptBook().analysis_prompt(
        AnalysisRequest(commit=stored, score=score_commit(stored, settings.scoring), depth=Level.HIGH),
        Level.HIGH, "en", "json_schema", 32_000, 2_000,
    )  # fmt: skip
    text = "\n".join(m["content"] for m in prompt.messages)
    assert "Fix the edge case" in text and "Labels: bug, backend" in text
    store.close()


def test_a_warm_rerun_costs_one_conditional_request_per_list_page(fake: FakeGitLab, tmp_path: Path) -> None:
    fake.list_page_size = 2
    store = Store(tmp_path / "db.sqlite3")
    settings = settings_for(fake, tmp_path)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    first = run_days(source(fake, tmp_path, store), DAYS, settings, store, HeuristicAnalyzer(), now=now)
    pages = fake.count("list")
    assert fake.count("diff") > 0 and fake.count("merge_requests") > 0
    fake.reset_requests()
    second = run_days(source(fake, tmp_path, store), DAYS, settings, store, HeuristicAnalyzer(), now=now)
    assert {r.kind for r in fake.requests} == {"list"}
    assert fake.count("list") == pages and fake.count("list", 304) == pages
    assert all(r.headers.get("if-none-match") for r in fake.requests)
    assert [r.model_dump(exclude={"run", "generated_at"}) for r in second.reports] == [
        r.model_dump(exclude={"run", "generated_at"}) for r in first.reports
    ]
    store.close()


def test_429_with_retry_after_and_5xx_go_through_the_one_client(fake: FakeGitLab, tmp_path: Path) -> None:
    fake.limit_next(2, retry_after=0.3)
    started = dt.datetime.now(dt.UTC)
    commits = source(fake, tmp_path).commits(day_window(DAYS[1], TZ))
    waited = (dt.datetime.now(dt.UTC) - started).total_seconds()
    assert commits and fake.count(status=429) == 2
    assert waited >= 0.3  # Retry-After honoured before the next request went out
    fake.fail_next(2, 503)
    assert source(fake, tmp_path).commits(day_window(DAYS[1], TZ))
    assert fake.count(status=503) == 2
    # A 503 that says when to come back is asked again then, not after the (0.01 s) back-off.
    fake.fail_next(1, 503, retry_after=1)
    started = dt.datetime.now(dt.UTC)
    assert source(fake, tmp_path).commits(day_window(DAYS[2], TZ))
    assert (dt.datetime.now(dt.UTC) - started).total_seconds() >= 1.0
    assert fake.count(status=503) == 3


def test_a_limit_spent_by_an_answer_closes_the_gate_until_its_reset(fake: FakeGitLab, tmp_path: Path) -> None:
    """`RateLimit-Remaining: 0` on an answer holds the next requests until `RateLimit-Reset`: none of them
    is refused, and the day is complete. (One request at a time: requests already in flight when the
    answer came are refused 429 and retried after its Retry-After, the other test.)"""
    import time

    fake.remaining, fake.reset_at = 3, int(time.time()) + 2
    started = time.monotonic()
    commits = source(fake, tmp_path, concurrency=1).commits(day_window(DAYS[1], TZ))
    assert len(commits) >= 3 and fake.count() > 3
    assert fake.count(status=429) == 0  # the gate held them, GitLab never had to refuse one
    assert time.monotonic() - started >= 0.9


def test_a_garbled_diff_fails_that_commit_only_and_the_rest_is_stored(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    from dailydiff.sources.base import IncompleteFetch

    window = day_window(DAYS[1], TZ)
    every = [c.sha for c in source(fake, tmp_path).commits(window)]
    garbled = next(c.sha for c in source(fake, tmp_path).commits(window) if not c.is_merge)
    fake.garbled_diffs = {garbled}
    store = Store(tmp_path / "db.sqlite3")
    with pytest.raises(IncompleteFetch) as caught:
        source(fake, tmp_path, store, retries=1).commits(window)
    assert set(caught.value.failed) == {garbled} and "wrong shape" in caught.value.failed[garbled]
    assert sorted(c.sha for c in caught.value.commits) == sorted(set(every) - {garbled})
    store.close()


def test_a_dripping_gitlab_costs_one_request_deadline_per_attempt(fake: FakeGitLab, tmp_path: Path) -> None:
    """The forge client's total deadline per request holds for GitLab as for GitHub: an API that drips
    its answer a byte at a time (per-read timeouts never fire) ends in one line, in bounded time."""
    import time

    fake.drip = 0.05
    started = time.monotonic()
    with pytest.raises(SourceError, match="no complete answer within 1s") as caught:
        source(fake, tmp_path, timeout=1, retries=1).commits(day_window(DAYS[1], TZ))
    assert time.monotonic() - started < 5  # two attempts of 1 s, and a short back-off
    assert "\n" not in caught.value.message
    fake.drip = None


def test_client_errors_read_clearly(fake: FakeGitLab, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path)
    missing = open_source("gitlab:acme/other/nothing", settings, SourceOptions(), None)
    with pytest.raises(SourceError, match="acme/other/nothing not found"):
        missing.commits(day_window(DAYS[0], TZ))
    fake.token = "the-right-one"
    with pytest.raises(SourceError, match="GitLab rejected the token") as caught:
        source(fake, tmp_path).commits(day_window(DAYS[0], TZ))
    assert caught.value.message == "GitLab rejected the token (401 Unauthorized)"  # issue 63: not "401 401 …"


def test_nested_project_and_github_namesake_do_not_collide(tmp_path: Path) -> None:
    """`gitlab:a/b/c` beside GitHub's `b/c`, and a two-part GitLab path renamed beside its GitHub
    namesake: distinct ids, report paths and site pages."""
    from dailydiff.engine.jobs import plan_jobs
    from dailydiff.render.html import repo_slug

    config = tmp_path / "dailydiff.toml"
    config.write_text(
        '[[repos]]\nsource = "gitlab:a/b/c"\n[[repos]]\nsource = "b/c"\n'
        '[[repos]]\nsource = "gitlab:b/c"\nname = "gitlab-b/c"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={}, cwd=tmp_path)
    jobs = plan_jobs(settings, base_dir=tmp_path)
    ids = [open_source(j.source, settings, j.source_options, None).repo for j in jobs]
    assert ids == ["a/b/c", "b/c", "gitlab-b/c"]
    assert len({repo_slug(i) for i in ids}) == 3
    assert len({j.qualified_name or i.rsplit("/", 1)[-1] for j, i in zip(jobs, ids, strict=True)}) == 3
    # {owner} is the whole namespace: nested groups keep apart in a path template too.
    from dailydiff.common.placeholders import repo_values

    assert repo_values("a/b/c")["owner"] == "a/b" and repo_values("b/c")["owner"] == "b"
    assert repo_values("a/x/c")["owner"] != repo_values("a/y/c")["owner"]


def test_the_source_reads_gitlabs_documented_answers(tmp_path: Path) -> None:
    """The product, not the fake: a server that answers the three endpoints with exactly GitLab's documented
    example answers (tests/data/gitlab_api/), and the commit the source makes of them, field by field."""
    import threading
    from http.server import BaseHTTPRequestHandler
    from urllib.parse import urlsplit

    from localserver import LocalServer

    documented = {name: (DATA / f"{name}.json").read_bytes()
                  for name in ("commits", "commit_diff", "commit_merge_requests")}  # fmt: skip
    sha = json.loads(documented["commits"])[0]["id"]
    base = "/projects/group%2Fproject/repository/commits"
    routes = {base: "commits", f"{base}/{sha}/diff": "commit_diff", f"{base}/{sha}/merge_requests":
              "commit_merge_requests"}  # fmt: skip
    asked: list[str] = []

    class Documented(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            asked.append(path)
            body = documented[routes[path]] if path in routes else b'{"message":"404 Not Found"}'
            self.send_response(200 if path in routes else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = LocalServer(("127.0.0.1", 0), Documented)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = load_settings(
            environ={"DAILYDIFF_GITLAB_API_URL": f"http://127.0.0.1:{server.server_address[1]}"},
            overrides={"data_dir": str(tmp_path / "data"), "gitlab": {"backoff": 0.01}}, cwd=tmp_path,
        )  # fmt: skip
        gitlab = open_source("gitlab:group/project", settings, SourceOptions(), None)
        (commit,) = gitlab.commits(day_window(dt.date(2021, 9, 20), "Europe/Moscow"))
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(set(asked)) == sorted(routes), asked  # the three endpoints, nothing else
    assert commit.sha == sha and commit.title == "Replace sanitize with escape once"
    assert commit.author.name == "Example User" and commit.author.email == "user@example.com"
    assert commit.committed_at == dt.datetime(2021, 9, 20, 8, 50, 22, 1000, tzinfo=dt.UTC)
    assert commit.parents == ["6104942438c14ec7bd21c6cd5bd995272b3faff6"]
    (change,) = commit.files
    assert change.path == "doc/update/5.4-to-6.0.md" and (change.additions, change.deletions) == (2, 0)
    assert commit.pr is not None and commit.pr.number == 1 and commit.pr.title == "Add new file"


def test_the_token_is_in_no_output(
    fake: FakeGitLab,
    repo_path: tuple[Path, list[str]],  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    canary = "glpat-CANARY-0123456789abcdef"
    fake.token = canary
    data = tmp_path / "data"
    env = {**os.environ, "DAILYDIFF_GITLAB_TOKEN": canary, "DAILYDIFF_GITLAB_API_URL": fake.url,
           "DAILYDIFF_DATA_DIR": str(data), "DAILYDIFF_DEBUG": "1",
           "PYTHONPATH": str(Path(__file__).parents[2] / "src")}  # fmt: skip
    fake.fail_next(1, 502)
    done = subprocess.run(
        [sys.executable, "-m", "dailydiff", "report", f"gitlab:{PROJECT}", "--date", str(DAYS[3]),
         "--tz", TZ, "-v", "--analyzer", "heuristic", "--summary-json", str(tmp_path / "summary.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Fix the edge case" in done.stdout
    assert fake.count() > 0 and all(r.headers.get("private-token") == canary for r in fake.requests)
    assert canary not in done.stdout and canary not in done.stderr
    summary = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert canary not in summary and json.loads(summary)
    for file in data.rglob("*"):
        if file.is_file():
            assert canary.encode() not in file.read_bytes(), file
    # In-process, debug logging on: not in a log line either.
    with caplog.at_level(logging.DEBUG):
        GitLabSource(PROJECT, settings_for(fake, tmp_path).gitlab, token=canary).commits(
            day_window(DAYS[3], TZ)
        )
    assert canary not in caplog.text


def test_doctor_says_whether_each_gitlab_project_is_reachable(fake: FakeGitLab, tmp_path: Path) -> None:
    from dailydiff.doctor.base import DoctorContext
    from dailydiff.doctor.checks import check_repos

    config = tmp_path / "dailydiff.toml"
    config.write_text(f'[[repos]]\nsource = "gitlab:{PROJECT}"\n[[repos]]\nsource = "gitlab:acme/gone"\n',
                      encoding="utf-8")  # fmt: skip
    settings = load_settings(config, environ={"DAILYDIFF_GITLAB_API_URL": fake.url}, cwd=tmp_path)
    found, gone = check_repos(DoctorContext(config_path=config, settings=settings, base_dir=tmp_path))
    assert found.ok and f"{PROJECT} is reachable on GitLab (branch main)" in found.detail
    assert not gone.ok and "HTTP 404" in gone.detail and "group/subgroup/project" in gone.fix


def test_gitlab_and_github_followed_side_by_side_with_a_digest(
    fake: FakeGitLab,
    repo_path: tuple[Path, list[str]],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A nested GitLab project `a/b/c` and a GitHub `b/c` in one config with a [[digest]]: distinct ids,
    report files and pages, both in the digest, each linking to its own forge."""
    from fake_github import FakeGitHub
    from opsfixtures import dailydiff

    path, _ = repo_path
    fake.repos["a/b/c"] = fake.repos[PROJECT]
    fake.merge_requests["a/b/c"] = fake.merge_requests[PROJECT]
    (tmp_path / "dailydiff.toml").write_text(
        '[report]\ntimezone = "Asia/Shanghai"\nlanguage = "en"\n[analysis]\nanalyzer = "heuristic"\n'
        "[github]\npull_requests = false\n"
        '[[repos]]\nsource = "gitlab:a/b/c"\n[[repos]]\nsource = "github:b/c"\n'
        '[[digest]]\nname = "all"\n'
        '[[publish]]\ntype = "files"\ndirectory = "out"\nformats = ["md", "json", "html"]\n',
        encoding="utf-8",
    )
    day = DAYS[3]
    with FakeGitHub({"b/c": path}) as github:
        env = {"DAILYDIFF_GITHUB_API_URL": github.url, "DAILYDIFF_GITLAB_API_URL": fake.url,
               "DAILYDIFF_DATA_DIR": str(tmp_path / "data"), "DAILYDIFF_LLM_MODEL": ""}  # fmt: skip
        dailydiff("run", "--date", day.isoformat(), cwd=tmp_path, env=env)
    out = tmp_path / "out"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.*"))
    # The short name `c` is shared, so each report is owner-qualified: the whole namespace for GitLab.
    for ext in ("md", "json", "html"):
        assert f"reports/2026/a_b_c/{day}.{ext}" in files and f"reports/2026/b_c/{day}.{ext}" in files, files
    assert json.loads((out / f"reports/2026/a_b_c/{day}.json").read_text("utf-8"))["repo"] == "a/b/c"
    assert json.loads((out / f"reports/2026/b_c/{day}.json").read_text("utf-8"))["repo"] == "b/c"
    gitlab_md = (out / f"reports/2026/a_b_c/{day}.md").read_text("utf-8")
    github_md = (out / f"reports/2026/b_c/{day}.md").read_text("utf-8")
    assert f"{fake.web_url}/a/b/c/-/commit/" in gitlab_md and "/-/commit/" not in github_md
    assert "Fix the edge case" in gitlab_md and "Fix the edge case" not in github_md  # GitLab's merge request
    digest = json.loads((out / f"reports/digests/2026/all/{day}.json").read_text("utf-8"))
    assert sorted(line["repo"] for line in digest["repos"]) == ["a/b/c", "b/c"]


def test_clone_mode_reads_a_partial_clone_and_asks_the_api_only_for_merge_requests(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    from dailydiff.sources.gitlab_clone import GitLabCloneSource

    token = "glpat-clone-CANARY-0123456789"
    fake.token = token
    api = GitLabSource(PROJECT, settings_for(fake, tmp_path / "api").gitlab, token=token)
    settings = settings_for(fake, tmp_path, mode="clone")
    clone = GitLabCloneSource(PROJECT, settings.gitlab, token=token, data_dir=settings.data_path, environ={})
    for day in DAYS[:4]:
        window = day_window(day, TZ)
        fake.reset_requests()
        got = sorted(clone.commits(window), key=lambda c: c.sha)
        assert {r.kind for r in fake.requests} <= {"git", "merge_requests"} and fake.count("git")
        expected = sorted(api.commits(window), key=lambda c: c.sha)
        assert [(_key(c), c.pr, c.url) for c in got] == [(_key(c), c.pr, c.url) for c in expected], day
    listed = asyncio.run(clone.list_shas([day_window(d, TZ) for d in DAYS[:4]]))
    assert sorted(listed) == sorted(asyncio.run(api.list_shas([day_window(d, TZ) for d in DAYS[:4]])))
    for file in settings.data_path.rglob("*"):
        if file.is_file() and file.stat().st_size < 1_000_000:
            assert token.encode() not in file.read_bytes(), file  # not in the clone's config either


def test_a_repos_entry_in_clone_mode_reads_its_gitlab_project_from_a_clone(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    """`mode` in a [[repos]] entry applies to a GitLab project as to a GitHub repository: with `[gitlab] mode`
    left at "api", the entry's `mode = "clone"` reads the day from a partial clone (git, and the API for merge
    requests only)."""
    from dailydiff.engine.jobs import plan_jobs
    from dailydiff.sources.gitlab_clone import GitLabCloneSource

    settings = load_settings(
        environ={"DAILYDIFF_GITLAB_API_URL": fake.url},
        overrides={
            "data_dir": str(tmp_path / "data"),
            "repos": [{"source": f"gitlab:{PROJECT}", "mode": "clone"}],
        },
        cwd=tmp_path,
    )
    assert settings.gitlab.mode == "api"
    (job,) = plan_jobs(settings)
    opened = open_source(job.source, job.settings, job.source_options)
    assert isinstance(opened, GitLabCloneSource)
    commits = opened.commits(day_window(DAYS[0], TZ))
    assert commits and {r.kind for r in fake.requests} <= {"git", "merge_requests"} and fake.count("git")


def test_merge_requests_are_written_as_gitlab_writes_them(fake: FakeGitLab, tmp_path: Path) -> None:
    """A merge request is `!77` (GitLab's reference), never `#77` (an issue's, on GitLab) in the Markdown, the
    HTML page and the chat message; a GitHub pull request stays `#N` (the golden reports)."""
    from dailydiff.render import render_day_html
    from dailydiff.render.chat import day_message

    store = Store(tmp_path / "db.sqlite3")
    day = FIRST_DAY + dt.timedelta(days=3)
    report = run_days(source(fake, tmp_path, store), [day], settings_for(fake, tmp_path), store,
                           HeuristicAnalyzer()).reports[0]  # fmt: skip
    store.close()
    link = f"{fake.web_url}/{PROJECT}/-/merge_requests/77"
    markdown = render_markdown(report)
    assert f"[!77]({link})" in markdown and "#77" not in markdown
    # named as GitLab names it (issue 63: labelled "🔀 PR [!3889]")
    assert "🔀 MR" in markdown and "🔀 PR" not in markdown, markdown
    html = render_day_html(report)
    assert f'<a href="{link}" rel="noopener noreferrer">!77</a>' in html and "#77" not in html
    assert "🔀 MR" in html and "🔀 PR" not in html
    # A chat message lists the day's high and watched commits: the merge request's commit, watched.
    watched = [rc.model_copy(update={"watch": ["edge"]}) if rc.pr else rc for rc in report.commits]
    chat = repr(day_message(report.model_copy(update={"commits": watched})))
    assert "MR !77" in chat and "#77" not in chat


def test_a_project_address_on_the_configured_gitlab_is_that_gitlab_project(
    fake: FakeGitLab,
    repo_path: tuple[Path, list[str]],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`https://HOST/group/sub/project` (a page of it, or its .git) as SOURCE or `[[repos]] source` is the GitLab
    project when HOST is `[gitlab] api_url`'s (gitlab.com by default): read over the API with its merge
    requests, under the same id as `gitlab:group/sub/project`. An address on another host stays a git URL."""
    from dailydiff.engine.jobs import plan_jobs
    from dailydiff.settings import gitlab_project

    for spec in (
        f"{fake.web_url}/{PROJECT}",
        f"{fake.web_url}/{PROJECT}.git",
        f"{fake.web_url}/{PROJECT}/-/tree/main",
    ):
        settings = load_settings(
            environ={"DAILYDIFF_GITLAB_API_URL": fake.url},
            overrides={"data_dir": str(tmp_path / "data"), "repos": [{"source": spec}]},
            cwd=tmp_path,
        )
        (job,) = plan_jobs(settings)
        assert (settings.repos[0].source, job.repo_id) == (f"gitlab:{PROJECT}", PROJECT), spec
        assert isinstance(open_source(job.source, job.settings, job.source_options), GitLabSource)
    default = "https://gitlab.com/api/v4"
    assert gitlab_project("https://gitlab.com/group/sub/project", default) == "gitlab:group/sub/project"
    assert gitlab_project("https://gitlab.example.com/group/sub/project", default) is None  # another instance
    assert gitlab_project("https://github.com/owner/name", default) is None
    assert gitlab_project("https://gitlab.com/project", default) is None  # not group/project
    here = "https://code.example.com/gitlab/api/v4"  # an instance under a path
    assert gitlab_project("https://code.example.com/gitlab/a/b.git", here) == "gitlab:a/b"
    assert gitlab_project("https://code.example.com/a/b", here) is None

    # `report SOURCE` with the address: the GitLab source, its merge requests in the report.
    env = {**os.environ, "DAILYDIFF_GITLAB_API_URL": fake.url, "DAILYDIFF_DATA_DIR": str(tmp_path / "cli"),
           "PYTHONPATH": str(Path(__file__).parents[2] / "src")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "dailydiff", "report", f"{fake.web_url}/{PROJECT}", "--date", str(DAYS[3]),
         "--tz", TZ, "--analyzer", "heuristic"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"## {PROJECT}" in done.stdout and "Fix the edge case" in done.stdout
    assert fake.count("merge_requests") > 0
