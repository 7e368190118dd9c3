"""The GitHub source against the fake GitHub API (real HTTP on 127.0.0.1), compared with the git source
on the same repository."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.analysis import HeuristicAnalyzer
from dailydiff.common.timewindow import day_window, range_window
from dailydiff.errors import SourceError
from dailydiff.models import Commit, DayReport
from dailydiff.settings import Settings, load_settings
from dailydiff.sources import SourceOptions, open_source
from dailydiff.sources.git import GitSource
from dailydiff.sources.github import GitHubSource, find_token, web_base
from dailydiff.store import Store
from engine_run import run_days
from fake_github import FakeGitHub, FakePull
from fake_github_git import GitData
from gitrepo import CommitSpec, FileEdit, build_repo, commit, git, init_repo

REPO = "octo/demo"
TZ = "Asia/Shanghai"
CST = dt.timezone(dt.timedelta(hours=8))
FIRST_DAY = dt.date(2026, 1, 5)
DAYS = [FIRST_DAY + dt.timedelta(days=i) for i in range(8)]


def _specs() -> list[CommitSpec]:
    """~4 commits a day for 7 days (the 8th is empty): renames, deletions, binary and empty files, a
    large file, other committers, a unicode message, commits on the day's edges."""
    specs: list[CommitSpec] = []
    big = "".join(f"line {n} of a generated table\n" for n in range(3000))
    for day in range(7):
        base = dt.datetime(2026, 1, 5 + day, 9, 0, tzinfo=CST)
        specs += [
            CommitSpec(
                f"feat(core): add feature {day} (#{100 + day})",
                base,
                edits=[
                    FileEdit(f"src/core/mod{day}.py", f"def f{day}():\n    return {day}\n"),
                    FileEdit("README.md", f"v{day}\n"),
                ],
            ),
            CommitSpec(
                f"fix: handle edge case {day}\n\nLonger body explaining the fix.\n\nSigned-off-by: A <a@x.org>",
                base + dt.timedelta(hours=3, minutes=day),
                author="Grace Hopper",
                email="grace@example.com",
                committer="Bot Merger",
                edits=[FileEdit(f"src/core/mod{day}.py", f"def f{day}():\n    return {day} + 1\n")],
            ),
            CommitSpec(
                f"[Doc] 更新文档 {day} | pipes",
                base + dt.timedelta(hours=5),
                authored_at=base - dt.timedelta(days=2),
                edits=[FileEdit(f"docs/page{day}.md", f"# Page {day}\n\ntext\n")],
            ),
        ]
        if day == 1:
            specs.append(CommitSpec("chore: assets and data", base + dt.timedelta(hours=6), edits=[
                FileEdit("assets/logo.png", bytes(range(256)) * 4), FileEdit("data/empty.txt", ""),
                FileEdit("data/big_table.txt", big),
            ]))  # fmt: skip
        if day == 2:
            specs.append(CommitSpec("refactor: move module", base + dt.timedelta(hours=7), edits=[
                FileEdit("src/core/moved.py", "def f1():\n    return 1 + 1\n", rename_from="src/core/mod1.py"),
                FileEdit("docs/page0.md", None),
            ]))  # fmt: skip
        # The last second of the day and the first of the next (Asia/Shanghai).
        specs.append(CommitSpec(f"test: edge late {day}", dt.datetime(2026, 1, 5 + day, 23, 59, 59, tzinfo=CST),
                                edits=[FileEdit(f"tests/test_{day}.py", "def test():\n    assert True\n")]))  # fmt: skip
    specs.append(CommitSpec("test: edge early", dt.datetime(2026, 1, 12, 0, 0, 0, tzinfo=CST),
                            edits=[FileEdit("tests/test_early.py", "x = 1\n")]))  # fmt: skip
    return specs


@pytest.fixture(scope="module")
def repo_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("gh") / "demo"
    shas = build_repo(path, _specs())
    # A side branch merged back (out of date order) with a GitHub-style merge commit on 2026-01-08.
    git(path, "checkout", "-q", "-b", "side", shas[10])
    side_at = dt.datetime(2026, 1, 8, 10, 30, tzinfo=CST)
    shas.append(commit(path, CommitSpec("feat: side work", side_at, edits=[FileEdit("side.py", "s = 1\n")])))
    git(path, "checkout", "-q", "main")
    merged_at = {
        "GIT_COMMITTER_DATE": "2026-01-08T20:00:00+08:00",
        "GIT_AUTHOR_DATE": "2026-01-08T20:00:00+08:00",
    }
    git(path, "merge", "-q", "--no-ff", "-m", "Merge pull request #200 from octo/side", "side", env=merged_at)
    shas.append(git(path, "rev-parse", "HEAD").strip())
    return path, shas


# What the fake serves of a repository, read once per repository (no test changes one: a commit read is
# cached by its id), and its pull requests. Not a fixture of its own: other modules import `fake`.
_SERVED: dict[Path, tuple[GitData, list[FakePull]]] = {}


def _served(path: Path, shas: list[str]) -> tuple[GitData, list[FakePull]]:
    if path not in _SERVED:
        pulls = []
        for sha in shas:
            title = git(path, "log", "-1", "--format=%s", sha).strip()
            if title.startswith("feat(core): add feature"):
                number = int(title.rsplit("#", 1)[1].rstrip(")"))
                pulls.append(FakePull(number, f"Add feature #{number}", sha, body="<!-- template -->\r\nWhy: x\r\n",
                                      labels=["enhancement", "core"]))  # fmt: skip
            if title.startswith("Merge pull request #200"):
                pulls.append(FakePull(200, "Side work", sha, labels=["merge"]))
            if title.startswith("fix: handle edge case 3"):
                pulls.append(FakePull(77, "Fix the edge case", sha, body="b" * 5000, labels=["bug"]))
        _SERVED[path] = GitData(path), pulls
    return _SERVED[path]


@pytest.fixture
def fake(repo_path: tuple[Path, list[str]]) -> Iterator[FakeGitHub]:
    data, pulls = _served(*repo_path)
    with FakeGitHub() as server:
        server.repos[REPO] = data  # its git reads cached across the tests
        for pull in pulls:
            server.add_pull(REPO, pull)
        yield server


def settings_for(fake: FakeGitHub, tmp_path: Path, **github: Any) -> Settings:
    return load_settings(
        environ={"DAILYDIFF_GITHUB_API_URL": fake.url},
        overrides={"data_dir": str(tmp_path / "data"), "github": {"backoff": 0.01, **github}},
        cwd=tmp_path,
    )


def source(
    fake: FakeGitHub, tmp_path: Path, store: Store | None = None, token: str | None = None, **github: Any
) -> GitHubSource:
    settings = settings_for(fake, tmp_path, **github)
    return GitHubSource(REPO, settings.github, token=token, store=store)


def _key(c: Commit) -> tuple[Any, ...]:
    files = [
        (f.path, f.previous_path, f.status, f.additions, f.deletions, f.binary, f.patch) for f in c.files
    ]
    return (
        c.sha, c.title, c.message, c.author.name, c.author.email, c.committer.name, c.committer.email,
        c.committed_at, c.authored_at, c.parents, c.stats, files,
    )  # fmt: skip


# parity ----------------------------------------------------------------------------------------------


def test_parity_with_git_source_for_every_day(
    fake: FakeGitHub, repo_path: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, shas = repo_path
    fake.list_page_size = 2  # several list pages a day
    fake.files_page_size = 2  # several file pages per commit
    github = source(fake, tmp_path)
    local = GitSource.open(str(path), tmp_path)
    seen: set[str] = set()
    for day in [*DAYS, FIRST_DAY - dt.timedelta(days=1)]:
        window = day_window(day, TZ)
        expected = sorted(local.commits(window), key=lambda c: c.sha)
        got = sorted(github.commits(window), key=lambda c: c.sha)
        assert [_key(c) for c in got] == [_key(c) for c in expected], day
        seen |= {c.sha for c in got}
    assert seen == set(shas)  # every commit lands on exactly one day
    merge = next(c for c in github.commits(day_window(dt.date(2026, 1, 8), TZ)) if c.is_merge)
    assert merge.files == [] and merge.pr is not None and merge.pr.number == 200
    assert fake.count("list") > len(DAYS) and fake.count("detail") > len(shas)
    # Links follow the fake's host; every request carried the API version header.
    assert all(r.headers.get("x-github-api-version") == "2022-11-28" for r in fake.requests)


def test_commit_details_are_fetched_concurrently_within_the_bound(fake: FakeGitHub, tmp_path: Path) -> None:
    # The first three detail requests are held until all three are in flight: they overlap, or the
    # barrier breaks after 10 s and max_in_flight says how far the client got. No wall time is measured.
    barrier = threading.Barrier(3)
    fake.hold = ("detail", barrier)
    fake.latency = 0.02
    window = range_window(DAYS[0], DAYS[-1], TZ)
    commits = source(fake, tmp_path, concurrency=3, pull_requests=False).commits(window)
    assert len(commits) > 20
    assert not barrier.broken and fake.max_in_flight == 3  # three at once, and never a fourth


def test_a_commits_requests_go_out_together_so_the_first_commits_land_after_one_round_trip(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # REST lookups (no token: no GraphQL): a commit's detail and its pull-request lookup. Four slots: two
    # commits at a time, each with its requests side by side — not four details first, the lookups after.
    fake.latency = 0.05  # the requests overlap: they wait for a slot
    got = source(fake, tmp_path, concurrency=4).commits(day_window(dt.date(2026, 1, 8), TZ))
    kinds = [r.kind for r in sorted(fake.requests, key=lambda r: r.at) if r.kind != "list"]
    assert len(got) > 3 and kinds.count("detail") > 3
    first_lookup = next(n for n, kind in enumerate(kinds) if kind in ("pull", "commit_pulls"))
    assert first_lookup <= 2  # behind two commits' details at most


def test_the_windows_graphql_batch_goes_out_beside_as_many_commits_details_as_the_slots_allow(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # With a token the pull requests of the window are one GraphQL request: it does not take one of the
    # four commit slots, so the first round trip after the list carries four details and the batch (the
    # first commits land after two round trips: list → details ∥ pull requests).
    fake.latency = 0.2  # every request is in flight long enough to overlap whatever went out beside it
    got = source(fake, tmp_path, token="ghp_any_token_0123456789", concurrency=4).commits(
        day_window(dt.date(2026, 1, 8), TZ)
    )
    assert len(got) > 4 and fake.count("graphql") == 1
    assert fake.max_in_flight == 5, fake.max_in_flight  # four details and the batch; never more


# files ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = init_repo(tmp_path_factory.mktemp("wide") / "wide")
    for n in range(1000):
        target = path / f"pkg{n % 10}" / f"file{n:04d}.py"
        target.parent.mkdir(exist_ok=True)
        target.write_text(f"VALUE = {n}\n" * (1 + n % 3))
    git(path, "add", "-A")
    sha = commit(path, CommitSpec("feat: a thousand files", dt.datetime(2026, 2, 2, 10, 0, tzinfo=CST)))
    return path, sha


def test_a_commit_with_1000_files_is_complete(wide_repo: tuple[Path, str], tmp_path: Path) -> None:
    path, sha = wide_repo
    with FakeGitHub({REPO: path}) as server:
        got = source(server, tmp_path).commits(day_window(dt.date(2026, 2, 2), TZ))
        assert [c.sha for c in got] == [sha]
        files = got[0].files
        assert len(files) == 1000 and got[0].stats.files == 1000
        expected = GitSource.open(str(path), tmp_path).commits(day_window(dt.date(2026, 2, 2), TZ))[0]
        assert _key(got[0]) == _key(expected)
        assert server.count("detail") == 4  # 300 + 300 + 300 + 100 files
        assert server.count("diff") == 0


def test_beyond_ten_file_pages_the_cut_is_logged(
    wide_repo: tuple[Path, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeGitHub({REPO: wide_repo[0]}) as server:
        server.files_page_size = 50  # GitHub serves 10 pages at most: 500 of the 1,000 files here
        got = source(server, tmp_path, pull_requests=False).commits(day_window(dt.date(2026, 2, 2), TZ))
        assert len(got[0].files) == 500 and server.count("detail") == 10
    assert "GitHub lists at most 3,000 files of a commit; the report has the first 500" in caplog.text


def test_a_file_without_patch_gets_its_hunks_from_the_diff(
    fake: FakeGitHub, repo_path: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, _ = repo_path
    fake.patch_limit_bytes = 20_000  # data/big_table.txt (~90 kB) comes without `patch`, as on GitHub
    window = day_window(dt.date(2026, 1, 6), TZ)
    got = {c.sha: c for c in source(fake, tmp_path).commits(window)}
    expected = {c.sha: c for c in GitSource.open(str(path), tmp_path).commits(window)}
    assert [_key(c) for c in got.values()] == [_key(expected[sha]) for sha in got]
    chore = next(c for c in got.values() if c.title.startswith("chore"))
    big = next(f for f in chore.files if f.path == "data/big_table.txt")
    assert big.patch is not None and big.patch.count("\n+line") == 3000 and not big.patch_missing
    assert next(f for f in chore.files if f.path == "assets/logo.png").binary
    assert fake.count("diff") == 1  # only the commit with patch-less files


def test_a_file_without_patch_or_diff_is_listed_as_unseen(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.patch_limit_bytes = 20_000
    fake.diff_status = 406  # GitHub: the diff is too large to generate
    store = Store(tmp_path / "db.sqlite3")
    settings = settings_for(fake, tmp_path)
    src = GitHubSource(REPO, settings.github, store=store)
    outcome = run_days(src, [dt.date(2026, 1, 6)], settings, store, HeuristicAnalyzer())
    chore = next(rc for rc in outcome.reports[0].commits if rc.title.startswith("chore"))
    assert [f.path for f in chore.files] == ["assets/logo.png", "data/big_table.txt", "data/empty.txt"]
    missing = [f.path for f in chore.files if f.patch_missing]
    assert missing == ["data/big_table.txt"]  # binary and empty files have no lines to see
    assert chore.analysis is not None and chore.analysis.unseen_files == missing
    store.close()


# pull requests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("graphql", ["yes", "unavailable", "anonymous"])
def test_pull_requests_in_one_graphql_batch_or_per_commit_where_graphql_is_unavailable(
    fake: FakeGitHub, tmp_path: Path, graphql: str
) -> None:
    fake.graphql = graphql != "unavailable"
    token = None if graphql == "anonymous" else "ghp_any_token_0123456789"
    store = Store(tmp_path / "db.sqlite3")
    got = source(fake, tmp_path, token=token).commits(day_window(dt.date(2026, 1, 8), TZ))
    commits = {c.title: c for c in got}
    squash = commits["feat(core): add feature 3 (#103)"].pr
    assert squash is not None and squash.number == 103 and squash.labels == ["enhancement", "core"]
    assert squash.body == "Why: x" and squash.url == f"{fake.web_url}/{REPO}/pull/103"
    associated = commits["fix: handle edge case 3"].pr
    assert associated is not None and associated.number == 77 and len(associated.body) == 2001
    assert commits["[Doc] 更新文档 3 | pipes"].pr is None
    merge = commits["Merge pull request #200 from octo/side"]
    assert merge.pr is not None and merge.pr.labels == ["merge"] and merge.files == []
    assert fake.count("detail") == len(commits) - 1  # not for the merge
    if graphql == "yes":  # the day's pull requests in one request, nothing per commit
        assert fake.count("graphql") == 1 and fake.count("pull") == fake.count("commit_pulls") == 0
        (asked,) = fake.of("graphql")
        assert asked.body.count(b"associatedPullRequests(first: 3)") == len(commits)
        return
    # REST lookups: GraphQL found unavailable once (404), or not asked at all without a token (GitHub's
    # GraphQL API has no anonymous access)
    assert fake.count("graphql", 404) == (graphql == "unavailable") and fake.count("graphql", 401) == 0
    assert fake.count("pull") == 2 and fake.count("commit_pulls") == len(commits) - 2
    source(fake, tmp_path, token=token).commits(day_window(dt.date(2026, 1, 9), TZ))
    assert fake.count("graphql") == (graphql == "unavailable")  # remembered: not asked again
    store.close()


# rate limits, retries, errors ----------------------------------------------------------------------------


def _report(fake: FakeGitHub, tmp_path: Path, name: str, **github: Any) -> DayReport:
    store = Store(tmp_path / name / "db.sqlite3")
    settings = settings_for(fake, tmp_path / name, **github)
    src = GitHubSource(REPO, settings.github, store=store)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    outcome = run_days(src, [dt.date(2026, 1, 7)], settings, store, HeuristicAnalyzer(), now=now)
    store.close()
    return outcome.reports[0]


def _comparable(report: DayReport) -> dict[str, Any]:
    return report.model_dump(mode="json", exclude={"run": {"duration_seconds"}})


def test_rate_limit_exhausted_mid_run_waits_for_the_reset(fake: FakeGitHub, tmp_path: Path) -> None:
    unlimited = _report(fake, tmp_path, "unlimited")
    fake.reset_requests()
    # The reset is stated in whole epoch seconds, the next one at least 0.5 s away: a client that did not
    # wait for it would be refused again and again before it (and the client adds a second of its own).
    fake.exhaust(remaining=4, reset_in=0.5)
    reset = fake.reset_at
    limited = _report(fake, tmp_path, "limited", concurrency=2)
    assert _comparable(limited) == _comparable(unlimited)
    arrivals = [r.wall for r in fake.requests]
    assert max(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 1.0  # it paused for the reset
    assert all(r.status in (200, 403) for r in fake.requests)
    # Once the four requests left are spent, nothing more before the reset but the one already in flight.
    after_spent = sorted(fake.requests, key=lambda r: r.at)[4:]
    assert len([r for r in after_spent if r.wall < reset]) <= 1, [
        (r.status, r.wall - reset) for r in after_spent
    ]


def test_a_spent_limit_answered_429_waits_for_the_reset_and_retries(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.limit_status = 429
    # The next whole epoch second at least 0.2 s away: the client's first retry (0.01 s of backoff) would
    # come before it, were the stated reset not waited for.
    fake.exhaust(remaining=0, reset_in=0.2)
    reset = fake.reset_at
    got = source(fake, tmp_path, concurrency=1).commits(day_window(FIRST_DAY, TZ))
    assert len(got) == 4
    first, *rest = fake.requests
    assert first.status == 429 and rest[0].kind == "list" and rest[0].status == 200
    assert rest[0].wall >= reset  # not before the announced reset


def test_rate_limit_far_reset_stops_clearly_and_keeps_what_was_fetched(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    window = range_window(DAYS[0], DAYS[-1], TZ)
    store = Store(tmp_path / "db.sqlite3")
    fake.exhaust(remaining=12, reset_in=3600)
    src = source(fake, tmp_path, store=store, concurrency=2, max_retry_after=5)
    with pytest.raises(SourceError) as caught:
        src.commits(window)
    text = str(caught.value)
    assert "rate limit" in text and "UTC" in text and "run the same command again after" in text
    # The time to come back is the reset the server stated (the client adds a second at most), not a guess.
    stated = [dt.datetime.fromtimestamp(fake.reset_at + extra, dt.UTC) for extra in (0, 1)]
    assert any(f"after {at:%H:%M} UTC" in text for at in stated), text
    assert "\n" not in text and "fetched and stored" in text
    kept = store.count_commits()
    assert kept >= 2
    # After the reset: the stored commits' details are not requested again.
    fake.exhaust(remaining=5000, reset_in=3600)
    fake.reset_requests()
    total = len(src.commits(window))
    assert fake.count("detail") <= total - kept
    store.close()


def test_details_cached_for_good_cost_nothing_in_the_request_budget(fake: FakeGitHub, tmp_path: Path) -> None:
    """The budget asks the store once which listed commits' details are cached for good: those cost no
    request, so a run again with few requests left keeps every day (uncached, most days would not fit)."""
    import asyncio

    from dailydiff.common.timewindow import local_date_of
    from dailydiff.sources.budget import RequestBudget

    window = range_window(DAYS[0], DAYS[-1], TZ)
    day_of = lambda moment: local_date_of(moment, TZ)  # noqa: E731
    store = Store(tmp_path / "db.sqlite3")
    src = source(fake, tmp_path, store=store, pull_requests=False)  # a commit's pull request: a request too
    first = asyncio.run(src.stream(window, budget=RequestBudget(), day_of=day_of))
    assert len(first) > 12
    fake.exhaust(remaining=12, reset_in=3600)  # fewer than the window's details
    fake.reset_requests()
    budget = RequestBudget()
    again = asyncio.run(src.stream(window, budget=budget, day_of=day_of))
    assert not budget.deferred and len(again) == len(first)
    assert fake.count("detail") == 0
    store.close()


def test_secondary_limit_retry_after_is_honoured(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.secondary_limit(retry_after=1, after=3)
    got = source(fake, tmp_path, concurrency=1).commits(day_window(dt.date(2026, 1, 9), TZ))
    assert len(got) == 4
    limited = fake.of(status=403)
    assert len(limited) == 1
    later = [r for r in fake.requests if r.wall > limited[0].wall]
    assert later and min(r.wall for r in later) - limited[0].wall >= 1.0


def test_server_errors_and_dropped_connections_are_retried(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail_next(3, 502)
    fake.drop_next(1)
    src = source(fake, tmp_path)
    got = src.commits(day_window(dt.date(2026, 1, 9), TZ))
    assert len(got) == 4
    assert src.counts[-1].retries == 4
    fake.fail_next(50, 503)
    with pytest.raises(SourceError, match=r"answered 503 .* 5 times"):
        source(fake, tmp_path, retries=4).commits(day_window(dt.date(2026, 1, 9), TZ))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("401", "GitHub rejected the token (401 Bad credentials)"),
        ("404", "repository octo/nope not found on 127.0.0.1"),
        ("409", "octo/empty is an empty repository"),
        ("422", "branch 'nope' not found in octo/demo"),
    ],
)
def test_client_errors_are_not_retried_and_read_clearly(
    case: str, expected: str, repo_path: tuple[Path, list[str]], tmp_path: Path
) -> None:
    empty = init_repo(tmp_path / "empty")
    with FakeGitHub({REPO: repo_path[0], "octo/empty": empty}, token="right-token") as server:
        settings = settings_for(server, tmp_path)
        repo, token, branch = {"401": (REPO, "wrong-token", ""), "404": ("octo/nope", "right-token", ""),
                               "409": ("octo/empty", "right-token", ""), "422": (REPO, "right-token", "nope")}[case]  # fmt: skip
        src = GitHubSource(repo, settings.github, branch=branch, token=token)
        with pytest.raises(SourceError) as caught:
            src.commits(day_window(FIRST_DAY, TZ))
        assert expected in str(caught.value) and "\n" not in str(caught.value)
        assert len(server.requests) == 1 and server.requests[0].status == int(case)


# cache ------------------------------------------------------------------------------------------------------


def test_second_run_makes_no_detail_request_and_lists_answer_304(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.list_page_size = 3
    fake.patch_limit_bytes = 20_000  # one diff request too
    store = Store(tmp_path / "db.sqlite3")
    settings = settings_for(fake, tmp_path)
    first = run_days(
        GitHubSource(REPO, settings.github, store=store, token="t0ken_any_0123"), DAYS, settings, store,
        HeuristicAnalyzer(),
    )  # fmt: skip
    assert fake.count("detail") > 0 and fake.count("diff") == 1 and fake.count("graphql") > 0
    fake.reset_requests()
    second = run_days(
        GitHubSource(REPO, settings.github, store=store, token="t0ken_any_0123"), DAYS, settings, store,
        HeuristicAnalyzer(),
    )  # fmt: skip
    assert {r.kind for r in fake.requests} == {"list"}
    assert all(r.status == 304 and r.headers.get("if-none-match") for r in fake.requests)
    assert fake.count("list") > 3  # several pages, each revalidated
    assert [r.model_dump(exclude={"run", "generated_at"}) for r in second.reports] == [
        r.model_dump(exclude={"run", "generated_at"}) for r in first.reports
    ]
    store.close()


# hosts ------------------------------------------------------------------------------------------------------


def test_web_urls_follow_the_api_host(repo_path: tuple[Path, list[str]], tmp_path: Path) -> None:
    assert web_base("https://api.github.com") == "https://github.com"
    assert web_base("https://ghe.example.com/api/v3") == "https://ghe.example.com"
    with FakeGitHub({REPO: repo_path[0]}, prefix="/api/v3") as server:
        settings = settings_for(server, tmp_path)
        src = open_source(REPO, settings, SourceOptions(), None)
        assert isinstance(src, GitHubSource)
        src.token = "t0ken_any_0123"  # GraphQL needs one
        assert src.kind == "github" and src.repo_url == f"http://127.0.0.1:{server.port}/{REPO}"
        got = src.commits(day_window(FIRST_DAY, TZ))
        assert got and all(c.url == f"{src.repo_url}/commit/{c.sha}" for c in got)
        # REST under /api/v3, GraphQL at /api/graphql, as on GitHub Enterprise Server
        assert all(r.path.startswith("/api/v3/repos/") or r.kind == "graphql" for r in server.requests)
        assert {r.path for r in server.of("graphql")} == {"/api/graphql"}


def test_logs_carry_no_token_at_debug_level(
    fake: FakeGitHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "ghp_CANARY0123456789abcdefCANARY"
    fake.token = canary
    with caplog.at_level(logging.DEBUG):
        got = source(fake, tmp_path, token=canary).commits(day_window(FIRST_DAY, TZ))
        fake.token = "another"
        with pytest.raises(SourceError) as caught:
            source(fake, tmp_path, token=canary).commits(day_window(FIRST_DAY, TZ))
    assert got and fake.requests[0].headers["authorization"] == f"Bearer {canary}"
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # debug logging really was on
    assert canary not in caplog.text and canary not in str(caught.value)
    assert canary not in repr(source(fake, tmp_path, token=canary))


def test_pagination_links_to_another_host_are_not_followed(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.list_page_size = 1
    fake.link_base = "http://203.0.113.9:8080"  # the token must never be sent there
    fake.token = "secret"
    with pytest.raises(SourceError, match=r"with a link to another host \(203\.0\.113\.9:8080\), 2 times"):
        source(fake, tmp_path, token="secret", retries=1).commits(day_window(FIRST_DAY, TZ))
    assert len(fake.requests) == 2  # asked again once, never followed


def test_a_diff_that_keeps_failing_leaves_the_file_unseen_and_the_run_goes_on(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.patch_limit_bytes = 20_000
    fake.diff_status = 504
    got = source(fake, tmp_path, retries=1).commits(day_window(dt.date(2026, 1, 6), TZ))
    chore = next(c for c in got if c.title.startswith("chore"))
    assert [f.path for f in chore.files if f.patch_missing] == ["data/big_table.txt"]
    assert fake.count("diff") == 2  # one retry


def test_an_answer_that_is_not_the_github_api_is_one_clear_line(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail_next(10, 200)  # 200 with {"message": "Server Error"} where a list of commits belongs
    with pytest.raises(
        SourceError,
        match=r"^the GitHub API at 127\.0\.0\.1:\d+ answered /repos/\S+/commits with an answer "
        r"of the wrong shape \(TypeError: not a list\), 2 times",
    ):
        source(fake, tmp_path, retries=1).commits(day_window(FIRST_DAY, TZ))


def test_commits_can_be_read_from_code_already_running_an_event_loop(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    import asyncio

    async def inside_a_loop() -> list[Commit]:
        return source(fake, tmp_path).commits(day_window(FIRST_DAY, TZ))

    assert len(asyncio.run(inside_a_loop())) == 4


def test_the_token_comes_from_the_environment_by_name(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path).github
    assert find_token(settings, {"GITHUB_TOKEN": "b", "DAILYDIFF_GITHUB_TOKEN": "a"}) == "a"
    assert find_token(settings, {"GITHUB_TOKEN": " b\n"}) == "b"
    assert find_token(settings, {}) is None
    named = load_settings(environ={"DAILYDIFF_GITHUB_TOKEN_ENV": "MY_GH"}, cwd=tmp_path).github
    assert find_token(named, {"MY_GH": "c", "GITHUB_TOKEN": "b"}) == "c"
    assert find_token(named, {"GITHUB_TOKEN": "b"}) is None


def test_options_that_do_not_apply_to_github_are_refused(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    with pytest.raises(SourceError, match="--name other does not apply to GitHub") as refused:
        open_source(REPO, settings, SourceOptions(name="other"))
    assert "owner/name" in refused.value.hint
    # What does apply is taken: a branch, and a --name that is the repository's own.
    src = open_source(REPO, settings, SourceOptions(branch="dev", name=REPO))
    assert (
        isinstance(src, GitHubSource) and src.branch == "dev" and src.repo_url == f"https://github.com/{REPO}"
    )


def test_a_wrong_token_is_refused_even_for_a_public_repository(fake: FakeGitHub, tmp_path: Path) -> None:
    # A public repository asked with a wrong token: 401, not served, and not retried.
    fake.token = "ghp_the_right_token_0000"
    with pytest.raises(SourceError, match=r"rejected the token \(401 Bad credentials\)"):
        source(fake, tmp_path, token="ghp_wrong_token_0000", retries=1).commits(day_window(FIRST_DAY, TZ))
    assert [r.status for r in fake.requests] == [401]  # not retried
