# ruff: noqa: F811 -- the tests take the fixtures imported from test_github_source
"""Partial answers are not facts (issue 43, item 4): a GraphQL pull-request batch in which GitHub could
resolve only some aliases (null, with an error naming each) has the others looked up by REST, counted in the
run's figures; a lookup that failed — GraphQL and REST alike — is never kept as "no pull request", so a
healthy run asks again for exactly those commits and fills them. The fake GitHub's GraphQL is a real
executor (graphql-core): a failing alias is answered as GitHub answers it."""

from __future__ import annotations

import json
from pathlib import Path

from dailydiff.common.timewindow import range_window
from dailydiff.sources import open_source
from dailydiff.sources.base import SourceOptions
from dailydiff.sources.github_clone import GitHubCloneSource
from dailydiff.store import Store
from fake_github import FakeGitHub
from test_github_source import DAYS, REPO, TZ, fake, repo_path, settings_for  # noqa: F401

TOKEN = "ghp_any_token_0123456789"  # GraphQL needs one; the fake accepts any


def _source(fake: FakeGitHub, root: Path, store: Store) -> GitHubCloneSource:
    src = open_source(REPO, settings_for(fake, root, mode="clone"), SourceOptions(), store)
    assert isinstance(src, GitHubCloneSource)
    src.token, src.environ = TOKEN, {"GITHUB_TOKEN": TOKEN}
    return src


def _asked(fake: FakeGitHub) -> list[str]:
    """The commits the GraphQL requests asked about."""
    return [part[:40] for r in fake.of("graphql") for part in json.loads(r.body)["query"].split('oid: "')[1:]]


def test_a_graphql_batch_with_null_aliases_is_completed_by_rest_and_failures_are_never_cached(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    window = range_window(DAYS[0], DAYS[-1], TZ)
    with Store(tmp_path / "healthy.sqlite3") as store:
        expected = {c.sha: c.pr for c in _source(fake, tmp_path / "h", store).commits(window)}
    assert sum(pr is not None for pr in expected.values()) >= 8
    half = set(sorted(expected)[::2])
    assert sum(expected[sha] is not None for sha in half) >= 3  # some of the lost ones have a pull request

    fake.graphql_fail = half
    fake.reset_requests()
    with Store(tmp_path / "partial.sqlite3") as store:
        src = _source(fake, tmp_path / "p", store)
        got = {c.sha: c.pr for c in src.commits(window)}
        assert got == expected  # every commit has its pull request
        assert (
            src.spend()["github"]["pr_rest_fallback"] == len(half)
            and src.spend()["github"]["pr_lookup_failed"] == 0
        )
        assert src.spend()["github"]["pr_rest_fallback"] == len(half)  # in the run summary's `github`
        rest = fake.of("commit_pulls") + fake.of("pull")
        assert 0 < len(rest) <= 2 * len(half)  # REST for the lost aliases only

    # REST failing too: those commits have no pull request this time, counted, and nothing is kept of them.
    fake.pulls_status = 502
    with Store(tmp_path / "failing.sqlite3") as store:
        src = _source(fake, tmp_path / "f", store)
        got = {c.sha: c.pr for c in src.commits(window)}
        assert {sha: pr for sha, pr in got.items() if sha not in half} == {
            sha: pr for sha, pr in expected.items() if sha not in half
        }
        assert all(got[sha] is None for sha in half)
        assert src.spend()["github"]["pr_lookup_failed"] == len(half)
        unknown = {c.sha for c in src.commits(window) if c.pr_unknown}  # the commit says so, for its day
        assert unknown == half
        fake.graphql_fail, fake.pulls_status = set(), None  # healthy again
        fake.reset_requests()
        again = {c.sha: c.pr for c in _source(fake, tmp_path / "f", store).commits(window)}
        assert again == expected  # filled
        assert sorted(_asked(fake)) == sorted(half)  # asked again: exactly the failed ones


def test_a_day_whose_pull_requests_could_not_be_looked_up_is_built_again_by_a_healthy_run(
    fake: FakeGitHub, repo_path: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """`run`: GraphQL leaves every alias unresolved and REST answers 502: exit 0, the day's JSON marks the
    commits whose pull request is unknown (not "none"), and the day is not up to date — the next, healthy
    run builds it again with every pull request, and the one after finds it up to date."""
    import os

    from clirun import dailydiff

    _path, shas = repo_path
    day = DAYS[1]
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        f'[report]\ntimezone = "{TZ}"\nlanguage = "en"\n\n[github]\nmode = "clone"\nbackoff = 0.01\n\n'
        f'[[repos]]\nsource = "github:{REPO}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    env |= {"DAILYDIFF_GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN}
    args = ("run", "--config", str(config), "--date", day.isoformat(), "--data-dir", str(tmp_path / "data"),
            "--output-dir", str(tmp_path / "out"), "--summary-json", str(tmp_path / "summary.json"))  # fmt: skip

    def day_json() -> dict[str, object]:
        (found,) = (tmp_path / "out").rglob(f"{day.isoformat()}.json")
        return dict(json.loads(found.read_text(encoding="utf-8")))

    fake.graphql_fail, fake.pulls_status = set(shas), 502
    first = dailydiff(*args, "--format", "md,json", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    commits = day_json()["commits"]
    assert (
        isinstance(commits, list)
        and commits
        and all(c["pr_unknown"] is True and c["pr"] is None for c in commits)
    )
    figures = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["repos"][0]["github"]
    assert figures["pr_lookup_failed"] == figures["pr_rest_fallback"] == len(commits)

    fake.graphql_fail, fake.pulls_status = set(), None
    second = dailydiff(*args, "--format", "md,json", cwd=tmp_path, env=env)
    assert second.returncode == 0 and "1 day(s) built" in second.stderr, second.stderr
    commits = day_json()["commits"]
    assert isinstance(commits, list) and not any("pr_unknown" in c for c in commits)
    assert any(c["pr"] is not None for c in commits)
    third = dailydiff(*args, "--format", "md,json", cwd=tmp_path, env=env)
    assert third.returncode == 0 and "up to date" in third.stderr, third.stderr


def test_the_pull_requests_of_a_window_are_read_from_and_kept_in_the_store_in_a_few_statements(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # A worker's event loop waits on each store statement the source makes (on PostgreSQL, a round trip):
    # the window's pull requests are looked up in the cache, found settled and kept, a statement for all of
    # them each time, not one a commit (three a commit before: at 500 repositories some 4 s of a worker's
    # loop a night). The answers are the same.
    window = range_window(DAYS[0], DAYS[-1], TZ)
    with Store(tmp_path / "store.sqlite3") as store:
        statements: list[str] = []
        execute = store._db.execute

        def counted(sql: str, *args: object, **kwargs: object) -> object:
            if "http_cache" in sql:
                statements.append(sql)
            return execute(sql, *args, **kwargs)

        store._db.execute = counted  # type: ignore[method-assign]
        first = {c.sha: c.pr for c in _source(fake, tmp_path / "a", store).commits(window)}
        asked_first, statements[:] = list(statements), []
        again = {c.sha: c.pr for c in _source(fake, tmp_path / "a", store).commits(window)}
    with_pr = sum(pr is not None for pr in first.values())
    assert len(first) >= 12 and with_pr >= 8, (len(first), with_pr)
    assert again == first
    assert len(asked_first) <= 3, asked_first  # 2 (66 when each commit was asked alone)
    assert len(statements) <= 3, statements
