"""Watch topics: keyword, path-glob and author matching (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from dailydiff.models import Commit, FileChange, Person, PullRequest
from dailydiff.scoring.watch import glob_pattern, matching_topics, topics_for
from dailydiff.settings import WatchTopic

NOW = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)


def make_commit(
    message: str = "chore: tidy",
    paths: tuple[str, ...] = (),
    author: str = "Ada",
    email: str = "ada@x.org",
    login: str | None = None,
    pr: PullRequest | None = None,
    previous: str | None = None,
) -> Commit:
    person = Person(name=author, email=email, login=login)
    files = [FileChange(path=p, previous_path=previous) for p in paths]
    return Commit(
        repo="o/r",
        sha="a" * 40,
        author=person,
        committer=person,
        authored_at=NOW,
        committed_at=NOW,
        message=message,
        files=files,
        pr=pr,
    )


@pytest.mark.parametrize(
    ("message", "hit"),
    [
        ("[NPU] fix kernel", True),
        ("npu: add op", True),
        ("Support NPU.", True),
        ("improve input handling", False),  # "npu" inside a word
        ("snpu thing", False),
    ],
)
def test_keywords_match_whole_words_in_any_case(message: str, hit: bool) -> None:
    topic = WatchTopic(name="npu", keywords=["npu"])
    assert matching_topics(make_commit(message), [topic]) == (["npu"] if hit else [])


def test_keywords_match_the_body_pr_title_and_labels_and_cjk_anywhere() -> None:
    topic = WatchTopic(name="t", keywords=["security", "安全"])
    assert matching_topics(make_commit("fix: x\n\nCloses a security hole"), [topic]) == ["t"]
    assert matching_topics(make_commit("fix: 修复安全性问题"), [topic]) == ["t"]
    labelled = PullRequest(number=1, title="Tidy", labels=["Security"])
    assert matching_topics(make_commit(pr=labelled), [topic]) == ["t"]
    titled = PullRequest(number=2, title="security review")
    assert matching_topics(make_commit(pr=titled), [topic]) == ["t"]
    assert matching_topics(make_commit("fix: insecurity of docs"), [topic]) == []


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("src/*/kernels/**", "src/m1/kernels/op.py", True),
        ("src/*/kernels/**", "src/m1/kernels/a/b/op.py", True),
        ("src/*/kernels/**", "src/m1/x/kernels/op.py", False),
        ("src/*/kernels/**", "docs/kernels/notes.md", False),
        ("*.proto", "api/v1/service.proto", True),
        ("*.proto", "api/v1/service.proto.bak", False),
        ("docs/", "docs/a/b.md", True),
        ("docs/", "src/docs/b.md", False),
        ("**/test_*.py", "test_a.py", True),
        ("**/test_*.py", "a/b/test_a.py", True),
        ("setup.?y", "setup.py", True),
        ("a[1].txt", "a[1].txt", True),  # brackets are literal
    ],
)
def test_path_globs(glob: str, path: str, hit: bool) -> None:
    assert bool(glob_pattern(glob).match(path)) is hit


def test_paths_match_the_previous_path_of_a_rename() -> None:
    topic = WatchTopic(name="api", paths=["api/**"])
    renamed = make_commit(paths=("lib/moved.py",), previous="api/old.py")
    assert matching_topics(renamed, [topic]) == ["api"]


def test_authors_by_name_email_or_login_with_globs() -> None:
    by_email = WatchTopic(name="corp", authors=["*@nvidia.com"])
    by_login = WatchTopic(name="bot", authors=["dependabot[bot]"])
    by_name = WatchTopic(name="ada", authors=["ADA"])
    commit = make_commit(author="Ada", email="ada@nvidia.com", login="dependabot[bot]")
    assert matching_topics(commit, [by_email, by_login, by_name]) == ["corp", "bot", "ada"]
    other = make_commit(author="Adam", email="ada@nvidia.com.evil")
    assert matching_topics(other, [by_email, by_login, by_name]) == []


def test_topic_order_follows_the_config_and_subsets_by_name() -> None:
    topics = [WatchTopic(name="b", keywords=["x"]), WatchTopic(name="a", keywords=["x"])]
    assert matching_topics(make_commit("x"), topics) == ["b", "a"]
    assert [t.name for t in topics_for(topics, ["a"])] == ["a"]
    assert topics_for(topics, None) == topics
