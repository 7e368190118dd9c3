"""`--all-branches` for GitHub repositories (issue 14, item 14): every branch's commits in the window,
each reported once, on the default branch when it holds it, else on the branch nearest its tip."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from dailydiff.common.timewindow import day_window
from dailydiff.settings import load_settings
from dailydiff.sources import SourceOptions, open_source
from dailydiff.store import Store
from fake_github import FakeGitHub
from gitrepo import CommitSpec, build_repo, commit, git

REPO = "octo/branches"
DAY = dt.date(2026, 1, 19)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    moment = dt.datetime(2026, 1, 19, 1, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    path = tmp_path_factory.mktemp("ghbranches") / "repo"
    base, on_main = build_repo(path, [CommitSpec("base", moment), CommitSpec("on main", moment + hour)])
    # Branches named to sort before `main`, created from it: the shared commits must stay on main.
    for name in ["aaa-release", "abc-feature"]:
        git(path, "branch", name)
    git(path, "checkout", "-q", "abc-feature")
    feature = commit(path, CommitSpec("feature work", moment + 2 * hour))
    git(path, "checkout", "-q", "-b", "aab-topic")
    topic = commit(path, CommitSpec("topic work", moment + 3 * hour))
    git(path, "checkout", "-q", "main")
    old = commit(path, CommitSpec("yesterday", moment - dt.timedelta(days=1)))  # outside the window
    return path, {"base": base, "on_main": on_main, "feature": feature, "topic": topic, "old": old}


@pytest.fixture
def fake(repo: tuple[Path, dict[str, str]]) -> Iterator[FakeGitHub]:
    with FakeGitHub({REPO: repo[0]}) as server:
        server.list_page_size = 1  # every list (branches, commits) comes in pages of one
        yield server


def test_item14_all_branches_on_github_default_branch_first_then_nearest_tip(
    fake: FakeGitHub, repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    shas = repo[1]
    settings = load_settings(
        environ={"DAILYDIFF_GITHUB_API_URL": fake.url},
        overrides={"data_dir": str(tmp_path), "github": {"pull_requests": False, "backoff": 0.01}},
        cwd=tmp_path,
    )
    with Store.open(settings.data_path) as store:
        source = open_source(REPO, settings, SourceOptions(all_branches=True), store)
        found = {c.sha: c.branches for c in source.commits(day_window(DAY, "UTC"))}
        assert found == {
            shas["base"]: ["main"],
            shas["on_main"]: ["main"],
            shas["feature"]: ["abc-feature"],  # also on aab-topic, one step further from its tip
            shas["topic"]: ["aab-topic"],
        }
        # One repository request, every page of branches, and one listing per distinct tip not on main
        # (aaa-release's tip is main's listing already): main, aab-topic, abc-feature.
        assert fake.count("repo") == 1 and fake.count("branches") == 4  # 4 branches, one a page
        listed = {r.query.get("sha") for r in fake.of("list")}
        assert listed == {"main", "aab-topic", "abc-feature"}
        assert fake.count("detail") == 4

        # Again: the lists are revalidated (304), the details come from the store.
        fake.reset_requests()
        again = {c.sha: c.branches for c in source.commits(day_window(DAY, "UTC"))}
        assert again == found
        assert fake.count("detail") == 0
        assert {r.status for r in fake.requests} == {304}


def test_item14_report_all_branches_on_github_from_the_command_line(
    fake: FakeGitHub, repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    env.update(DAILYDIFF_GITHUB_API_URL=fake.url, DAILYDIFF_GITHUB_PULL_REQUESTS="false")
    args = ["report", REPO, "--all-branches", "--date", DAY.isoformat(), "--tz", "UTC", "--analyzer",
            "heuristic", "--data-dir", str(tmp_path / "data"), "-o", str(tmp_path / "out"), "--format", "json"]  # fmt: skip
    done = dailydiff(*args, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [path] = (tmp_path / "out").rglob("*.json")
    commits = json.loads(path.read_text(encoding="utf-8"))["commits"]
    assert {c["sha"] for c in commits} == {repo[1][k] for k in ("base", "on_main", "feature", "topic")}
