"""A run asks git about a repository once: a shared plan's worker opens a repository for each of its days,
and every day after the first costs one `git log` (the day's commits), not the ten processes of a first
open. Counted on the real processes, through a `git` on PATH that logs each call and runs the real one."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dailydiff.errors import SourceError
from dailydiff.models import Window
from dailydiff.sources.git import GitSource, fetch_once
from dailyrepos import build_daily_repo

FIRST = dt.date(2026, 1, 5)


def day(n: int) -> Window:
    start = dt.datetime.combine(FIRST + dt.timedelta(days=n), dt.time(), dt.UTC)
    return Window(start=start, end=start + dt.timedelta(days=1))


@pytest.fixture
def git_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that appends its arguments to a log, then runs the real git."""
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "git-calls.log"
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")  # the environment, not our code
    return log


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_each_day_after_the_first_costs_one_git_log_and_reads_the_same_commits(
    tmp_path: Path, git_calls: Path
) -> None:
    repo = tmp_path / "repo"
    build_daily_repo(repo, FIRST, 3, per_day=2)
    git_calls.unlink(missing_ok=True)

    def read(n: int) -> list[tuple[str, str, int]]:
        source = GitSource.open(str(repo), tmp_path / "data")
        return [(c.sha, c.message, len(c.files)) for c in source.commits(day(n))]

    alone = [read(n) for n in range(3)]  # outside a run: git is asked everything each time
    asked_alone = len(calls(git_calls))
    git_calls.unlink()
    with fetch_once():
        first = read(0)
        after_first = len(calls(git_calls))
        later = [read(1), read(2)]
    per_later_day = (len(calls(git_calls)) - after_first) / 2

    assert [first, *later] == alone and all(len(commits) == 2 for commits in alone)
    assert after_first == asked_alone / 3  # the first day asks what it always asked
    assert per_later_day == 1, calls(git_calls)[after_first:]
    assert calls(git_calls)[-1].split()[6] == "log"  # -c … -c … -c … log: the day's commits


def test_a_repository_that_is_not_one_still_fails_on_each_open(tmp_path: Path, git_calls: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with fetch_once():
        for _ in range(2):  # a failure is not remembered: each open says so
            with pytest.raises(SourceError, match="is not a git repository"):
                GitSource.open(str(plain), tmp_path / "data")
    assert len([c for c in calls(git_calls) if c.startswith("rev-parse --git-dir")]) == 2


def test_a_report_asks_git_each_question_about_its_repository_once(tmp_path: Path, git_calls: Path) -> None:
    # `report` opens its repository twice (its identity, planned; its days, run): one run, so where the
    # repository is, its origin and its HEAD are asked once, and the day is the same.
    repo = tmp_path / "repo"
    build_daily_repo(repo, FIRST, 2, per_day=2)
    git_calls.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run([sys.executable, "-m", "dailydiff", "report", str(repo), "--date", FIRST.isoformat(),
                           "--tz", "UTC", "--analyzer", "heuristic", "--lang", "en", "--data-dir",
                           str(tmp_path / "data"), "--format", "json", "--quiet"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stats"]["total"] == 2
    asked = calls(git_calls)
    assert len([a for a in asked if "--show-toplevel" in a]) == 1, asked
    assert len([a for a in asked if "config --get remote.origin.url" in a]) == 1, asked
    assert len([a for a in asked if "--verify --quiet HEAD^{commit}" in a]) == 1, asked


def test_what_is_not_a_repository_fails_each_time_it_is_opened(tmp_path: Path) -> None:
    # What is not a repository fails where it is opened, in the same words; the failure is not kept.
    plain = tmp_path / "plain"
    plain.mkdir()
    with fetch_once():
        for _ in range(2):
            with pytest.raises(SourceError, match="is not a git repository"):
                GitSource.open(str(plain), tmp_path / "data")


def test_which_of_many_shas_name_a_commit_is_one_git_process(tmp_path: Path, git_calls: Path) -> None:
    # `eval --set`: a labelled set names its commits by full or abbreviated sha; some may be missing from the
    # clone, and a name may be another kind of object. One `git cat-file` answers for all of them.
    repo = tmp_path / "repo"
    build_daily_repo(repo, FIRST, 2, per_day=3)
    source = GitSource.open(str(repo), tmp_path / "data")
    shas = subprocess.run(["git", "log", "--format=%H"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.split()  # fmt: skip
    tree = subprocess.run(["git", "rev-parse", "HEAD^{tree}"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    asked = [shas[0], "0" * 40, shas[1][:9], tree, *shas[2:]]
    git_calls.unlink(missing_ok=True)
    assert source.present(asked) == [shas[0], shas[1][:9], *shas[2:]]
    assert [a for a in calls(git_calls) if a.startswith("cat-file")] == [
        "cat-file --batch-check=%(objecttype)"
    ]
    assert source.present([]) == []


def test_a_repository_missing_an_object_names_the_git_command_that_failed(tmp_path: Path) -> None:
    """A clone that lacks a blob (a mirror's large file, a damaged disk): `report` exits 3 with one line that names
    git's subcommand, not the `-c` option the command starts with."""
    repo = tmp_path / "repo"
    build_daily_repo(repo, FIRST, 1, per_day=2)
    blob = subprocess.run(["git", "rev-parse", "HEAD:" + subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()[0]], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run([sys.executable, "-m", "dailydiff", "report", str(repo), "--date", FIRST.isoformat(),
                           "--tz", "UTC", "--analyzer", "heuristic", "--lang", "en", "--data-dir",
                           str(tmp_path / "data"), "--format", "json", "--quiet"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 3 and len(lines) == 1, done.stderr
    assert lines[0].startswith("dailydiff: error: git ") and "git -c" not in lines[0], lines
    assert f"unable to read {blob}" in lines[0] and lines[0].endswith("check the repository"), lines
