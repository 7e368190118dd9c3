"""The git source hands each commit over as `git log -p` prints it, not once git has printed the whole
window: the engine scores, analyses and stores the first commits while git still reads the rest. Seen on
the real process, through a `git` first on PATH that runs the real one and holds back the last commit of
the log's output."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest

from dailydiff.models import Commit, Window
from dailydiff.sources.base import IncompleteFetch
from dailydiff.sources.git import GitSource
from dailyrepos import build_daily_repo

FIRST = dt.date(2026, 1, 5)
DAYS = 3
WINDOW = Window(
    start=dt.datetime.combine(FIRST, dt.time(), dt.UTC),
    end=dt.datetime.combine(FIRST + dt.timedelta(days=DAYS), dt.time(), dt.UTC),
)

# For `git log … -p`: everything up to the last commit's record at once, then (after a pause, or never with
# DROP) the last record; the moment the last record is let go is written to RELEASED. Other calls: real git.
WRAPPER = """#!{python}
import os, subprocess, sys, time
real, released, drop = {real!r}, {released!r}, {drop!r}
args = sys.argv[1:]
if "-p" not in args:
    os.execv(real, [real, *args])
out = subprocess.run([real, *args], capture_output=True, check=True).stdout
marker = out[: out.index(b"\\x1f") + 1]  # the head marker of each record: "\\x1e<token>\\x1f"
last = out.rindex(marker)
sys.stdout.buffer.write(out[:last])
sys.stdout.buffer.flush()
time.sleep(2)
with open(released, "w") as f:
    f.write(repr(time.time()))
if not drop:
    sys.stdout.buffer.write(out[last:])
"""


def held_back_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, drop: bool = False) -> Path:
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    released = tmp_path / "released"
    wrapper = bin_dir / "git"
    wrapper.write_text(WRAPPER.format(python=sys.executable, real=real, released=str(released), drop=drop))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")  # the environment, not our code
    return released


def stream(source: GitSource) -> tuple[list[str], list[tuple[float, Commit]]]:
    """What ``stream`` hands over: the events in order, and each commit with the moment it came."""
    events: list[str] = []
    commits: list[tuple[float, Commit]] = []

    def on_listed(listed: list[tuple[str, dt.datetime]]) -> None:
        events.append(f"listed {len(listed)}")

    def on_commit(commit: Commit) -> None:
        events.append("commit")
        commits.append((time.time(), commit))

    asyncio.run(source.stream(WINDOW, on_listed, on_commit))
    return events, commits


def test_commits_are_handed_over_while_git_still_prints_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    total = build_daily_repo(repo, FIRST, DAYS, per_day=2)
    whole = GitSource.open(str(repo), tmp_path / "data").commits(WINDOW)  # read at once, real git
    released = held_back_git(tmp_path, monkeypatch)

    events, handed = stream(GitSource.open(str(repo), tmp_path / "data"))

    assert events == [f"listed {total}"] + ["commit"] * total  # the listing first, then every commit
    assert [c for _, c in handed] == whole  # the same commits, field for field
    let_go = float(released.read_text())
    # Each commit but the last two came before git printed the last one (a commit's record ends where the
    # next one begins: the one before the last is known whole once the last begins).
    assert all(moment < let_go for moment, _ in handed[:-2]) and len(handed[:-2]) == total - 2 == 4
    assert handed[-1][0] >= let_go


def test_a_listed_commit_git_log_never_printed_fails_alone_instead_of_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    total = build_daily_repo(repo, FIRST, DAYS, per_day=2)
    oldest = GitSource.open(str(repo), tmp_path / "data").commits(WINDOW)[-1]  # git log prints it last
    held_back_git(tmp_path, monkeypatch, drop=True)  # as if the branch moved between listing and log

    with pytest.raises(IncompleteFetch) as failed:
        stream(GitSource.open(str(repo), tmp_path / "data"))
    assert list(failed.value.failed) == [oldest.sha]
    assert "branch moved" in failed.value.failed[oldest.sha] and total == 6


# For the walk of the history for commits git dates to 1970 (`--until=1970-01-02`): wait (at most 20 s) for
# the window's listing (`--format=%H%x00%cI%x00%ct`) to have run, write whether it did, then run the real one.
# The listing writes that it ran. Other calls: real git.
LISTING_BESIDE = """#!{python}
import os, sys, time
real, ran, seen = {real!r}, {ran!r}, {seen!r}
args = sys.argv[1:]
if "--format=%H%x00%cI%x00%ct" in args:
    open(ran, "w").close()
elif "--until=1970-01-02 00:00:00 +0000" in args:
    deadline = time.monotonic() + 20
    while not os.path.exists(ran) and time.monotonic() < deadline:
        time.sleep(0.01)
    with open(seen, "w") as f:
        f.write(str(os.path.exists(ran)))
os.execv(real, [real, *args])
"""


def test_the_windows_listing_is_asked_of_git_beside_the_walk_for_1970_not_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine takes no commit before the window's listing: the listing's `git log` runs while git walks
    the history for the commits it dates to 1970 (a second walk of the whole history), so the first commits'
    work starts one walk earlier. Both are in the listing: the walk's commits join it once both are done."""
    repo = tmp_path / "repo"
    total = build_daily_repo(repo, FIRST, DAYS, per_day=2)
    real = shutil.which("git")
    assert real is not None
    bin_dir, ran, seen = tmp_path / "bin", tmp_path / "listing-ran", tmp_path / "walk-saw-the-listing"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(LISTING_BESIDE.format(python=sys.executable, real=real, ran=str(ran), seen=str(seen)))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")  # the environment, not our code

    events, _ = stream(GitSource.open(str(repo), tmp_path / "data"))

    assert seen.read_text() == "True"  # the listing had run while the walk was still under way
    assert events == [f"listed {total}"] + ["commit"] * total
