# ruff: noqa: F811 -- the tests take the fixtures imported from test_github_source
"""Clone mode: a blobless partial clone over git's smart HTTP from the fake GitHub, pull requests from
GraphQL; the same commits as API mode at a few requests a day; the token only in git's environment; the
request budget that finishes whole days."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from clirun import dailydiff
from dailydiff.common.timewindow import day_window, local_date_of, range_window
from dailydiff.sources import open_source
from dailydiff.sources.base import SourceOptions
from dailydiff.sources.budget import RequestBudget
from dailydiff.sources.git import git_auth_env
from dailydiff.sources.github import GitHubSource
from dailydiff.sources.github_clone import GitHubCloneSource, clone_url
from dailydiff.store import Store
from fake_github import FakeGitHub
from gitrepo import git
from test_github_source import DAYS, REPO, TZ, _key, fake, repo_path, settings_for  # noqa: F401

TOKEN = "ghp_" + "clone0token1canary2" * 2


ANY_TOKEN = "ghp_any_token_0123456789"  # the fake asks for none unless told, but GraphQL needs one


def _clone_source(
    fake: FakeGitHub, tmp_path: Path, store: Store | None, token: str | None = ANY_TOKEN
) -> GitHubSource:
    settings = settings_for(fake, tmp_path, mode="clone")
    environ = {"GITHUB_TOKEN": token} if token else {}
    src = open_source(REPO, settings, SourceOptions(), store)
    assert isinstance(src, GitHubCloneSource)
    src.token, src.environ = token, environ
    return src


def test_clone_url_follows_the_api_host_or_the_template() -> None:
    assert clone_url("", "https://api.github.com", "o/n") == "https://github.com/o/n.git"
    assert clone_url("", "https://ghe.example.com/api/v3", "o/n") == "https://ghe.example.com/o/n.git"
    assert (
        clone_url("file:///srv/{owner}/{name}.git", "https://api.github.com", "o/n") == "file:///srv/o/n.git"
    )
    env = git_auth_env("https://ghe.example.com/o/n.git", "tok-123456789", {"GIT_CONFIG_COUNT": "2"})
    assert env["GIT_CONFIG_COUNT"] == "3"  # after the user's own
    assert env["GIT_CONFIG_KEY_2"] == "http.https://ghe.example.com/.extraHeader"  # that origin only
    assert git_auth_env("file:///srv/o/n.git", "tok-123456789", {}) == {}


def test_clone_mode_gives_api_mode_commits_at_a_request_per_window(fake: FakeGitHub, tmp_path: Path) -> None:
    window = range_window(DAYS[0], DAYS[-1], TZ)
    with Store(tmp_path / "api.sqlite3") as store:
        api = {
            c.sha: c
            for c in GitHubSource(
                REPO, settings_for(fake, tmp_path / "a").github, store=store, token=ANY_TOKEN
            ).commits(window)
        }
    fake.reset_requests()
    with Store(tmp_path / "clone.sqlite3") as store:
        got = _clone_source(fake, tmp_path / "c", store).commits(window)
        assert sorted(_key(c) for c in got) == sorted(_key(api[c.sha]) for c in got)
        assert {c.sha: c.pr for c in got} == {sha: c.pr for sha, c in api.items()}
        assert any(c.pr is not None for c in got) and len(got) == len(api)
        api_requests = [r for r in fake.requests if r.kind != "git"]
        assert [r.kind for r in api_requests] == ["graphql"]  # 8 days, ~30 commits: one request
        clone = next((tmp_path / "c" / "data" / "repos").glob("*-blobless.git"))
        assert git(clone, "config", "--get", "remote.origin.partialclonefilter").strip() == "blob:none"
        fake.reset_requests()
        again = _clone_source(fake, tmp_path / "c", store).commits(window)  # settled: cached for good
        assert [r.kind for r in fake.requests] == ["git", "git"]  # the fetch, nothing of the API
        assert sorted(_key(c) for c in again) == sorted(_key(c) for c in got)


def test_the_token_reaches_git_only_through_its_environment(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.token = TOKEN
    with Store(tmp_path / "db.sqlite3") as store:
        got = _clone_source(fake, tmp_path, store, token=TOKEN).commits(day_window(DAYS[2], TZ))
    assert got
    gits = fake.of("git")
    assert gits and all(
        r.status == 200 and r.headers.get("authorization", "").startswith("Basic ") for r in gits
    )
    clone = next((tmp_path / "data" / "repos").glob("*-blobless.git"))
    for path in [clone / "config", *(tmp_path / "data").rglob("*")]:
        if path.is_file() and path.suffix != ".pack":
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in git(clone, "config", "--list")
    # private like everything in the data directory: nobody else reads the clone
    assert all(p.stat().st_mode & 0o077 == 0 for p in [clone, *clone.rglob("*")] if not p.is_symlink())


def test_a_token_git_rejects_is_one_clear_error(fake: FakeGitHub, tmp_path: Path) -> None:
    from dailydiff.errors import SourceError

    fake.token = TOKEN
    src = _clone_source(fake, tmp_path, None, token="ghp_wrong_token_0123456789")
    try:
        src.commits(day_window(DAYS[2], TZ))
    except SourceError as exc:
        assert "could not clone" in exc.message and "ghp_wrong" not in exc.message + (exc.hint or "")
    else:
        raise AssertionError("a rejected token must fail the clone")


def test_the_budget_keeps_whole_recent_days_and_the_next_run_finishes(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    window = range_window(DAYS[0], DAYS[-1], TZ)
    day_of = lambda moment: local_date_of(moment, TZ)  # noqa: E731
    store = Store(tmp_path / "db.sqlite3")
    settings = settings_for(fake, tmp_path)
    src = GitHubSource(REPO, settings.github, store=store, token=ANY_TOKEN)
    fake.exhaust(12, 3600)  # the window needs ~30 detail requests and a GraphQL one
    budget = RequestBudget()
    listed: list[tuple[str, dt.datetime]] = []
    import asyncio

    got = asyncio.run(src.stream(window, listed.extend, budget=budget, day_of=day_of))
    days = {day_of(c.committed_at) for c in got}
    deferred = budget.deferred[REPO]
    assert deferred and max(deferred) < min(days)  # the most recent days were kept, whole
    assert {sha for sha, _ in listed} == {c.sha for c in got}
    assert fake.remaining >= 0 and fake.count(status=403) == 0  # never ran into the limit
    fake.exhaust(5000, 3600)
    budget = RequestBudget()
    rest = asyncio.run(src.stream(window, budget=budget, day_of=day_of))
    assert not budget.deferred and {day_of(c.committed_at) for c in rest} >= set(deferred)
    store.close()


def test_git_log_of_a_day_fetches_its_file_versions_in_one_batch(fake: FakeGitHub, tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        got = _clone_source(fake, tmp_path, store).commits(range_window(DAYS[0], DAYS[3], TZ))
    assert len(got) > 8
    bodies = [gzip.decompress(r.body) if r.headers.get("content-encoding") == "gzip" else r.body
              for r in fake.of("git") if r.method == "POST"]  # fmt: skip
    fetches = [b for b in bodies if b"command=fetch" in b]
    assert len(fetches) == 2  # the clone's pack, then every file version of the four days in one fetch
    clone = next((tmp_path / "data" / "repos").glob("*-blobless.git"))
    env = {**os.environ, "GIT_NO_LAZY_FETCH": "1"}
    out = subprocess.run(["git", "rev-list", "--objects", "--missing=print", "HEAD"], cwd=clone, env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "?" in out  # still a partial clone: versions no day asked for were not fetched


def test_the_pull_requests_are_asked_while_the_days_changes_are_read(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    """The window's commits are listed first, without their changes: GitHub's GraphQL is asked for their
    pull requests while the file versions the diffs need are fetched and read, not after (each of the
    fake's answers takes 0.3 s here): the day's first analysis waits for the longer of the two."""
    fake.latency = 0.3
    with Store(tmp_path / "db.sqlite3") as store:
        got = _clone_source(fake, tmp_path, store).commits(range_window(DAYS[0], DAYS[3], TZ))
    assert len(got) > 8 and any(c.pr is not None for c in got)
    (graphql,) = fake.of("graphql")
    bodies = [(r, gzip.decompress(r.body) if r.headers.get("content-encoding") == "gzip" else r.body)
              for r in fake.of("git") if r.method == "POST"]  # fmt: skip
    clone, versions = [r for r, body in bodies if b"command=fetch" in body]  # the clone's pack, the diffs'
    assert clone.done <= graphql.at  # the commits are listed from the clone
    # The fetch of the file versions: its exchange (git's capabilities asked first, then the pack) from
    # its first request to its last answer, in flight with GraphQL's.
    exchange = [r for r in fake.of("git") if r.at >= clone.done]
    assert versions in exchange
    began, ended = min(r.at for r in exchange), max(r.done for r in exchange)
    assert graphql.at < ended and began < graphql.done, (graphql, exchange)


def test_a_commit_git_dates_to_1970_is_in_its_day_with_its_pull_request(tmp_path: Path) -> None:
    """The commits are listed for GitHub's lookup before their changes are read; a commit git dates to 1970
    (a newline in its committer's e-mail) is only found by the read: it still goes into its day, under the
    budget's verdict on that day, and its pull request is asked for after the others'."""
    import asyncio

    from fake_github import FakePull
    from fake_github_git import GitData
    from gitrepo import CommitSpec, FileEdit, build_repo
    from test_github_source import CST

    name, first = "octo/broken", dt.date(2026, 3, 3)
    origin = tmp_path / "origin"
    build_repo(origin, [CommitSpec("feat: before", dt.datetime(2026, 3, 3, 9, tzinfo=CST),
                                   edits=[FileEdit("a.py", "a = 1\n")])])  # fmt: skip
    broken = []
    for title, moment in (("fix: broken one", dt.datetime(2026, 3, 3, 15, tzinfo=CST)),
                          ("fix: broken two", dt.datetime(2026, 3, 4, 10, tzinfo=CST))):  # fmt: skip
        tree, parent = (
            git(origin, "rev-parse", "HEAD^{tree}").strip(),
            git(origin, "rev-parse", "HEAD").strip(),
        )
        ident = f"Eve <eve@exa\nmple.com> {int(moment.timestamp())} +0800"
        raw = f"tree {tree}\nparent {parent}\nauthor {ident}\ncommitter {ident}\n\n{title}\n"
        sha = git(
            origin, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=raw.encode()
        ).strip()
        git(origin, "update-ref", "refs/heads/main", sha)
        broken.append(sha)
    day_of = lambda moment: local_date_of(moment, TZ)  # noqa: E731
    with FakeGitHub() as server, Store(tmp_path / "db.sqlite3") as store:
        server.repos[name] = GitData(origin)
        server.add_pull(name, FakePull(7, "Fix the broken line", broken[0]))
        src = open_source(name, settings_for(server, tmp_path, mode="clone"), SourceOptions(), store)
        assert isinstance(src, GitHubCloneSource)
        src.token, src.environ = ANY_TOKEN, {"GITHUB_TOKEN": ANY_TOKEN}
        listed: list[tuple[str, dt.datetime]] = []
        budget = RequestBudget()
        window = range_window(first, first + dt.timedelta(days=1), TZ)
        got = asyncio.run(src.stream(window, listed.extend, budget=budget, day_of=day_of))
    by_title = {c.message.splitlines()[0]: c for c in got}
    assert set(by_title) == {"feat: before", "fix: broken one", "fix: broken two"}
    assert [day_of(by_title[t].committed_at) for t in ("fix: broken one", "fix: broken two")] == [
        first,
        first + dt.timedelta(days=1),
    ]
    assert by_title["fix: broken one"].pr is not None and by_title["fix: broken one"].pr.number == 7
    assert not any(c.pr_unknown for c in got)
    assert sorted(sha for sha, _ in listed) == sorted(c.sha for c in got) and not budget.deferred


# the command line, in a real process ----------------------------------------------------------------


def _cli(
    tmp_path: Path, fake: FakeGitHub, *args: str, mode: str, token: str | None = None
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    env.update({"DAILYDIFF_GITHUB_API_URL": fake.url, "DAILYDIFF_GITHUB_MODE": mode,
                "DAILYDIFF_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(Path(__file__).parents[2] / "src")})  # fmt: skip
    if token:
        env["GITHUB_TOKEN"] = token
    command = [sys.executable, "-m", "dailydiff", "report", REPO, "--analyzer", "heuristic", "-v", *args]
    return subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_the_token_is_never_in_ps_the_clone_the_store_or_the_logs(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.token = TOKEN
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    seen: list[str] = []
    git_seen = 0
    out = tmp_path / "out"
    process = _cli(tmp_path, fake, "--from", str(DAYS[0]), "--to", str(DAYS[-1]), "-o", str(out), mode="clone",
                   token=TOKEN)  # fmt: skip
    while process.poll() is None:  # every process's command line, every 5 ms, while the run lasts
        listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        git_seen += sum(
            1 for line in listing.splitlines() if line.startswith("git ") and "dailydiff" not in line
        )
        seen += [line for line in listing.splitlines() if TOKEN in line or basic in line]
        time.sleep(0.005)
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr[-2000:]
    assert git_seen > 0  # the poll did see git's processes (clone, fetch, log) while they ran
    assert seen == []
    assert TOKEN not in stderr + stdout and basic not in stderr + stdout and "git" in stderr
    assert fake.of("git") and all(r.status == 200 for r in fake.of("git"))  # git did authenticate
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix not in {".pack", ".idx"}:
            assert TOKEN.encode() not in path.read_bytes() and basic.encode() not in path.read_bytes(), path
    assert len(list(out.rglob("*.md"))) == len(DAYS)


def test_a_run_that_does_not_fit_the_token_builds_whole_recent_days_then_the_rest(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    summary = tmp_path / "summary.json"
    fake.exhaust(14, 7200)  # the limit resets in two hours; the eight days need ~33 requests
    process = _cli(tmp_path, fake, "--from", str(DAYS[0]), "--to", str(DAYS[-1]), "-o", str(out),
                   "--summary-json", str(summary), mode="api", token=ANY_TOKEN)  # fmt: skip
    _, stderr = process.communicate()
    assert process.returncode == 0, stderr[-2000:]
    (line,) = [x for x in stderr.splitlines() if "GitHub requests but the token has" in x]
    needed, left = (
        int(n) for n in re.findall(r"need (\d+) GitHub requests but the token has (\d+) left", line)[0]
    )
    assert needed > left and left <= 14
    assert fake.count(status=403) == 0  # the run never ran into the limit
    data = json.loads(summary.read_text())
    built, deferred = sorted(r["date"] for r in data["reports"]), data["deferred"]
    assert built and deferred and max(deferred) < min(built)  # the most recent days, whole
    assert sorted(built + deferred) == [str(d) for d in DAYS]
    assert sorted(p.stem for p in out.rglob("*.md")) == built  # nothing of a deferred day was written
    assert data["github"]["spent"] <= 14
    with Store(tmp_path / "data" / "dailydiff.sqlite3") as store:
        assert sorted(str(d) for _, d, _ in store.list_reports(REPO)) == built
    fake.exhaust(5000, 3600)
    process = _cli(tmp_path, fake, "--from", str(DAYS[0]), "--to", str(DAYS[-1]), "-o", str(out),
                   "--summary-json", str(summary), mode="api", token=ANY_TOKEN)  # fmt: skip
    _, stderr = process.communicate()
    assert process.returncode == 0 and "left to the next run" not in stderr
    assert sorted(p.stem for p in out.rglob("*.md")) == [str(d) for d in DAYS]
    # doctor names what the last run spent, per repository
    (tmp_path / "dailydiff.toml").write_text(f'[[repos]]\nsource = "{REPO}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    doctor = dailydiff("doctor", "--data-dir", str(tmp_path / "data"), cwd=tmp_path,
                       env={**env, "DAILYDIFF_GITHUB_API_URL": fake.url, "GITHUB_TOKEN": ANY_TOKEN})  # fmt: skip
    (line,) = [x for x in doctor.stdout.splitlines() if x.startswith("✓ github requests:")]
    assert re.search(rf"spent (\d+) request\(s\): {REPO} \1 \(1 GraphQL, ", line), line


def test_the_late_commit_check_reads_the_clone_not_the_api(fake: FakeGitHub, tmp_path: Path) -> None:
    import asyncio

    src = _clone_source(fake, tmp_path, None)
    windows = [day_window(d, TZ) for d in DAYS]
    listed = asyncio.run(src.list_shas(windows))
    api = GitHubSource(REPO, settings_for(fake, tmp_path / "api").github, token=ANY_TOKEN)
    fake.reset_requests()
    assert sorted(listed) == sorted(asyncio.run(api.list_shas(windows)))
    fake.reset_requests()
    asyncio.run(src.list_shas(windows))
    assert {r.kind for r in fake.requests} == {"git"}  # a fetch of the clone, nothing of the API


def test_a_runs_fetches_ask_the_tokens_count_once_and_days_without_commits_not_at_all(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    """GitHub's /rate_limit is a round trip before a repository's pull requests are asked: one per run
    while the token has plenty left, none for a day that spends nothing; asked each time near the end."""
    import asyncio

    day_of = lambda moment: local_date_of(moment, TZ)  # noqa: E731
    with Store(tmp_path / "db.sqlite3") as store:
        src = _clone_source(fake, tmp_path, store)
        budget = RequestBudget()
        quiet = day_window(DAYS[0] - dt.timedelta(days=30), TZ)
        assert asyncio.run(src.stream(quiet, budget=budget, day_of=day_of)) == []
        assert fake.count("rate_limit") == 0  # nothing to spend: nothing asked
        got = [asyncio.run(src.stream(day_window(day, TZ), budget=budget, day_of=day_of)) for day in DAYS[:4]]
        assert sum(1 for day in got if day) >= 3 and all(c.pr is not None or c.pr_unknown is False
                                                          for day in got for c in day)  # fmt: skip
        assert fake.count("rate_limit") == 1  # the first fetch's count stood for the others
        assert fake.count("graphql") >= 3
        fake.exhaust(40, 3600)  # near the end: under a tenth of the limit
        fake.reset_requests()
        budget = RequestBudget()
        for day in DAYS[4:7]:
            asyncio.run(src.stream(day_window(day, TZ), budget=budget, day_of=day_of))
        assert fake.count("rate_limit") == fake.count("graphql") >= 2  # asked before each spend


# the clone's commit-graph ---------------------------------------------------------------------------------


def test_the_clone_keeps_a_commit_graph_of_its_whole_history(tmp_path: Path) -> None:
    """A day is read with `--since-as-filter`, a walk of the whole history: the clone keeps git's
    commit-graph, written with the clone, grown by each fetch that brings commits, and written where a clone
    from an earlier version has none."""
    from dailydiff.sources.gitclone import index_history
    from fake_github_git import GitData
    from gitrepo import CommitSpec, FileEdit, build_repo, commit, commit_graph_count
    from test_github_source import CST

    name = "octo/graphed"
    day = dt.date(2026, 1, 5)
    specs = [CommitSpec(f"feat: step {n}", dt.datetime(2026, 1, 5, 9, n, tzinfo=CST),
                        edits=[FileEdit(f"f{n}.py", f"x = {n}\n")]) for n in range(12)]  # fmt: skip
    origin = tmp_path / "origin"
    build_repo(origin, specs)
    with FakeGitHub() as server, Store(tmp_path / "db.sqlite3") as store:
        server.repos[name] = GitData(origin)

        def run(when: dt.date) -> list[Any]:
            src = open_source(name, settings_for(server, tmp_path, mode="clone"), SourceOptions(), store)
            assert isinstance(src, GitHubCloneSource)
            src.token, src.environ = ANY_TOKEN, {"GITHUB_TOKEN": ANY_TOKEN}
            return src.commits(day_window(when, TZ))

        assert len(run(day)) == 12
        clone = next((tmp_path / "data" / "repos").glob("*-blobless.git"))
        assert commit_graph_count(clone) == 12  # written with the clone
        for n in range(5):  # the next day's commits, fetched by the next run
            commit(origin, CommitSpec(f"fix: step {n}", dt.datetime(2026, 1, 6, 10, n, tzinfo=CST),
                                      edits=[FileEdit(f"g{n}.py", f"y = {n}\n")]))  # fmt: skip
        assert len(run(day + dt.timedelta(days=1))) == 5
        assert commit_graph_count(clone) == 17  # the fetch added them
        subprocess.run(["git", "commit-graph", "verify"], cwd=clone, check=True, capture_output=True)

        for old in (clone / "objects" / "info").glob("commit-graph*"):  # a clone an earlier version made
            subprocess.run(["rm", "-rf", str(old)], check=True)
        assert commit_graph_count(clone) == 0
        assert len(run(day)) == 12  # nothing new to fetch
        assert commit_graph_count(clone) == 17
        index_history(clone)  # one already there: nothing written again
        assert commit_graph_count(clone) == 17
