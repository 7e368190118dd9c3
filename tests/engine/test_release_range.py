"""A release's range (engine/release.py ``resolve_range``), in process against a real repository: what
REF1..REF2, --since-tag and --unreleased resolve to, and each wrong range's one message. The release range's
mutation target (`make mutation MODULES=release_range`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.engine.release import UNRELEASED, NotesRange, resolve_range
from dailydiff.errors import UsageError
from dailydiff.sources.git import GitSource
from gitrepo import CommitSpec, FileEdit, commit, git, init_repo

AT = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("range") / "widget"
    init_repo(path)
    for n in range(4):
        commit(
            path,
            CommitSpec(f"change {n}", AT + dt.timedelta(hours=n), edits=[FileEdit(f"f{n}.txt", f"{n}\n")]),
        )
        if n == 0:
            git(path, "tag", "v1.0")
        if n == 2:
            git(path, "tag", "-a", "v1.1", "-m", "Version 1.1")
    yield path


def _source(path: Path) -> GitSource:
    return GitSource(path=path, repo="acme/widget")


def _sha(path: Path, ref: str) -> str:
    return git(path, "rev-parse", f"{ref}^{{commit}}").strip()


def test_a_range_is_git_s_with_the_commit_its_base_names(repo: Path) -> None:
    assert resolve_range(_source(repo), "v1.0..v1.1") == NotesRange(
        "v1.0", "v1.1", "v1.1", ("v1.0..v1.1",), ("v1.0",), _sha(repo, "v1.0")
    )


def test_since_tag_is_the_newest_tag_reachable_from_head(repo: Path) -> None:
    assert resolve_range(_source(repo), None, since_tag=True) == NotesRange(
        "v1.1", "HEAD", UNRELEASED, ("v1.1..HEAD",), ("v1.1",), _sha(repo, "v1.1")
    )


def test_unreleased_is_what_no_tag_holds(repo: Path) -> None:
    assert resolve_range(_source(repo), None, unreleased=True) == NotesRange(
        "tags", "HEAD", UNRELEASED, ("HEAD", "--not", "--tags"), ("--tags",)
    )


@pytest.mark.parametrize(
    ("spec", "flags", "message", "hint"),
    [
        ("v1.0..nope", {}, "'nope' names no commit of acme/widget",
         "give a tag, branch or sha of the repository (git tag --list shows its tags)"),
        ("nope..v1.1", {}, "'nope' names no commit of acme/widget",
         "give a tag, branch or sha of the repository (git tag --list shows its tags)"),
        ("-x..v1.1", {}, "'-x' names no commit of acme/widget",
         "give a tag, branch or sha of the repository (git tag --list shows its tags)"),
        ("v1.0..--all", {}, "'--all' names no commit of acme/widget",
         "give a tag, branch or sha of the repository (git tag --list shows its tags)"),
        ("v1.0", {}, "'v1.0' is not a range REF1..REF2", "e.g. v0.6.16..v0.6.17"),
        ("v1.0...v1.1", {}, "'v1.0...v1.1' is not a range REF1..REF2", "e.g. v0.6.16..v0.6.17"),
        ("..v1.1", {}, "'..v1.1' is not a range REF1..REF2", "e.g. v0.6.16..v0.6.17"),
        ("v1.0..", {}, "'v1.0..' is not a range REF1..REF2", "e.g. v0.6.16..v0.6.17"),
        (None, {}, "give one of REF1..REF2, --since-tag and --unreleased", "e.g. dailydiff notes . v1.0..v1.1"),
        ("v1.0..v1.1", {"since_tag": True}, "give one of REF1..REF2, --since-tag and --unreleased",
         "e.g. dailydiff notes . v1.0..v1.1"),
        (None, {"since_tag": True, "unreleased": True}, "give one of REF1..REF2, --since-tag and --unreleased",
         "e.g. dailydiff notes . v1.0..v1.1"),
    ],
)  # fmt: skip
def test_a_wrong_range_is_one_usage_error_naming_it(
    repo: Path, spec: str | None, flags: dict[str, bool], message: str, hint: str
) -> None:
    with pytest.raises(UsageError) as raised:
        resolve_range(_source(repo), spec, **flags)
    assert (raised.value.message, raised.value.hint) == (message, hint)


def test_a_repository_without_a_tag_has_no_since_tag(tmp_path: Path) -> None:
    path = tmp_path / "untagged"
    init_repo(path)
    commit(path, CommitSpec("only", AT, edits=[FileEdit("a.txt", "a\n")]))
    with pytest.raises(UsageError) as raised:
        resolve_range(_source(path), None, since_tag=True)
    assert (raised.value.message, raised.value.hint) == (
        "acme/widget has no release tag ([notes] tag_pattern '') reachable from HEAD",
        "use --unreleased, or REF1..REF2")  # fmt: skip


def test_since_tag_takes_a_lightweight_tag_too(tmp_path: Path) -> None:
    """The newest tag reachable from HEAD, annotated or not (describe --tags)."""
    path = tmp_path / "light"
    init_repo(path)
    for n in range(2):
        commit(path, CommitSpec(f"c{n}", AT + dt.timedelta(hours=n), edits=[FileEdit("a.txt", f"{n}\n")]))
        if n == 0:
            git(path, "tag", "-a", "v1.0", "-m", "Version 1.0")
    git(path, "tag", "v1.1")  # lightweight, on HEAD
    assert resolve_range(_source(path), None, since_tag=True).base == "v1.1"


def test_in_a_shallow_clone_the_base_s_commit_is_not_kept(repo: Path, tmp_path: Path) -> None:
    """A shallow clone's history before the range may grow: no commit is kept for its base."""
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{repo}", str(shallow))
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    git(shallow, "tag", "t0", "HEAD~1")
    found = resolve_range(_source(shallow), "t0..HEAD")
    assert (found.revs, found.known, found.known_commit) == (("t0..HEAD",), ("t0",), "")
    since = resolve_range(_source(shallow), None, since_tag=True)
    assert (since.base, since.known_commit) == (
        "v1.1",
        "",
    )  # v1.1 and t0 name one commit; describe names v1.1
