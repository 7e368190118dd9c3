"""The test repositories: `build_repo` (one `git fast-import`) makes the very commits that `git commit`
makes one by one, so every test's repository is what a user's would be."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gitrepo import CommitSpec, FileEdit, build_repo, commit, git, init_repo

CST = dt.timezone(dt.timedelta(hours=8))
NEPAL = dt.timezone(dt.timedelta(hours=5, minutes=45))
WEST = dt.timezone(dt.timedelta(hours=-3, minutes=-30))
DAY = dt.datetime(2026, 3, 3, 9, 0, tzinfo=CST)

SPECS = [
    CommitSpec("feat: first\n\nA body.\n", DAY, edits=[FileEdit("src/a.py", "a = 1\n"), FileEdit("README.md", "# x\n")]),
    CommitSpec("  \n\nfix: blank lines first \t\n\n\n\nthen a run of them   \n\n", DAY + dt.timedelta(hours=1),
               author=" .Ada, Lovelace.", email="<ada@example.com>;", edits=[FileEdit("src/a.py", "a = 2\n")]),
    CommitSpec("refactor: move", DAY + dt.timedelta(hours=2), authored_at=dt.datetime(2026, 3, 1, 1, 2, 3, tzinfo=NEPAL),
               committer="Grace Hopper", edits=[FileEdit("src/b.py", "a = 2\n", rename_from="src/a.py")]),
    CommitSpec("chore: nothing changes", dt.datetime(2026, 3, 3, 0, 0, 1, 999, tzinfo=WEST)),
    CommitSpec("", DAY + dt.timedelta(hours=3), edits=[FileEdit("bin/blob.bin", bytes(range(256)) * 3)]),
    CommitSpec("fix: \x1b]0;pwned\x07 title \x9b31m, 中文 and trailing\r\n\r\nbody\x0b\n", DAY + dt.timedelta(hours=4),
               author="Eve\x9b2J <evil>", edits=[FileEdit("README.md", None), FileEdit("a dir/with space\t\"quote\".txt", "q\n")]),
    CommitSpec("revert: gone", DAY + dt.timedelta(hours=5), edits=[FileEdit("src/b.py", None), FileEdit("no/such", None)]),
    CommitSpec("docs: é\n# not a comment\n", DAY + dt.timedelta(days=1), edits=[FileEdit("docs/é.md", "é\n")]),
]  # fmt: skip


def test_fast_import_makes_the_commits_git_commit_makes(tmp_path: Path) -> None:
    fast = build_repo(tmp_path / "fast", SPECS)
    init_repo(tmp_path / "slow")
    slow = [commit(tmp_path / "slow", spec) for spec in SPECS]
    assert fast == slow
    for repo in ("fast", "slow"):  # the same work tree, index and branch after either
        assert git(tmp_path / repo, "status", "--porcelain") == ""
        assert git(tmp_path / repo, "symbolic-ref", "HEAD") == "refs/heads/main\n"
    assert sorted(p.name for p in (tmp_path / "fast").rglob("*") if ".git" not in p.parts) == sorted(
        p.name for p in (tmp_path / "slow").rglob("*") if ".git" not in p.parts
    )


def test_a_repository_built_fast_takes_more_commits(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    first = build_repo(repo, SPECS[:2], branch="trunk")
    more = commit(
        repo, CommitSpec("feat: later", DAY + dt.timedelta(days=2), edits=[FileEdit("src/a.py", "a = 3\n")])
    )
    assert git(repo, "rev-list", "trunk").split() == [more, *reversed(first)]
