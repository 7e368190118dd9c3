"""A file's added and deleted lines, and whether git took it for binary, are read from its patch (the git
source asks no ``--numstat``, which diffs every file a second time): the same figures as git's own numstat,
for every kind of change git prints, on a real repository."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from dailydiff.models import Window
from dailydiff.sources.git import GitSource
from gitrepo import git, init_repo

WHEN = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
WINDOW = Window(start=WHEN - dt.timedelta(days=1), end=WHEN + dt.timedelta(days=1))


def _commit(repo: Path, message: str, minutes: int) -> None:
    stamp = (WHEN + dt.timedelta(minutes=minutes)).isoformat()
    git(repo, "commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})


def _numstat(repo: Path, sha: str) -> list[tuple[int, int, bool]]:
    """git's own figures for a commit's files, in its order: (added, deleted, binary)."""
    rows = []
    for line in git(repo, "show", "--numstat", "-M", "--format=", sha).splitlines():
        if line:
            added, deleted, _ = line.split("\t", 2)
            binary = added == "-"
            rows.append((0 if binary else int(added), 0 if binary else int(deleted), binary))
    return rows


def test_each_files_counts_are_gits_numstat_for_every_kind_of_change(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "lines.txt").write_text("a\nb\nc\nd\n")
    (repo / "image.bin").write_bytes(b"\x89PNG\x00\x01\x02")
    (repo / "moved.txt").write_text("kept\nas\nit\nwas\n")
    (repo / "edited.txt").write_text("one\ntwo\nthree\nfour\nfive\n")
    (repo / "plain.sh").write_text("echo hi\n")
    (repo / "gone.txt").write_text("x\ny\n")
    git(repo, "add", "-A")
    _commit(repo, "feat: first", 0)

    (repo / "lines.txt").unlink()
    os.symlink("plain.sh", repo / "lines.txt")  # a type change: two sections of one file
    (repo / "image.bin").write_bytes(b"\x89PNG\x00\x03")  # binary: no hunks
    git(repo, "mv", "moved.txt", "renamed.txt")  # a rename, content unchanged
    (repo / "edited.txt").write_text("one\n2\nthree\n+ not a header\n--- nor this\n@@ nor this\nfive")
    (repo / "plain.sh").chmod(0o755)  # a mode change alone
    (repo / "empty.txt").write_text("")  # a new empty file
    (repo / "gone.txt").unlink()
    (repo / "added.txt").write_text("+++ b/added.txt\n--- a/x\n\\ backslash\n")
    git(repo, "add", "-A")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor/sub")  # a submodule
    _commit(repo, "fix: everything at once", 10)

    git(repo, "update-index", "--cacheinfo", f"160000,{'2' * 40},vendor/sub")  # the submodule moves
    (repo / "renamed.txt").write_text("kept\nas\nit\nis\n")
    git(repo, "add", "renamed.txt")
    _commit(repo, "chore: bump", 20)

    commits = GitSource.open(str(repo), tmp_path / "data").commits(WINDOW)
    assert len(commits) == 3
    for commit in commits:
        ours = [(f.additions, f.deletions, f.binary) for f in commit.files]
        assert ours == _numstat(repo, commit.sha), commit.message
        assert commit.stats.additions == sum(a for a, _, _ in ours)
        assert commit.stats.deletions == sum(d for _, d, _ in ours)
    everything = next(c for c in commits if c.message.startswith("fix:"))
    by_path = {f.path: f for f in everything.files}
    assert by_path["image.bin"].binary and by_path["image.bin"].patch is None
    assert (by_path["lines.txt"].additions, by_path["lines.txt"].deletions) == (1, 4)
    assert (by_path["edited.txt"].additions, by_path["edited.txt"].deletions) == (
        5,
        3,
    )  # "five" lost its newline
    assert (by_path["added.txt"].additions, by_path["added.txt"].deletions) == (3, 0)
