"""Regressions from the adversarial review of the git source: shallow, bare and foreign-owned clones, old
git, broken dates and odd author fields, type changes, odd paths, credentials in mirrored URLs."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

from gitrepo import CommitSpec, FileEdit, build_repo
from required import missing
from reviewkit import DAY, assert_one_line_error, run


def test_paths_with_newlines_and_backticks_stay_single_code_spans(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    edits = [FileEdit("we\nird.py", "a = 1\n"), FileEdit("tick`name.py", "b = 2\n")]
    build_repo(repo, [CommitSpec("feat: odd file names", DAY, edits=edits)])
    result = run("report", str(repo), "-d", "2026-03-03", "--lang", "en", "--analyzer", "heuristic",
                 "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = re.split(r"\*\*📋 Summary\*\*: ?", result.stdout, maxsplit=1)[1].split("\n\n", 2)[1]
    assert "`we ird.py`" in summary and "``tick`name.py``" in summary, summary
    assert "\\`" not in summary, summary  # no code span was torn apart and escaped


def test_a_shallow_clone_missing_the_day_is_refused_not_silently_incomplete(tmp_path: Path) -> None:
    full = tmp_path / "full"
    build_repo(full, [CommitSpec(f"feat: day {i}", DAY + dt.timedelta(days=i), edits=[FileEdit(f"f{i}.py", "x\n")])
                      for i in range(3)])  # fmt: skip
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", full.as_uri(), str(shallow)], check=True, capture_output=True
    )
    for day in ("2026-03-03", "2026-03-05"):  # the lost day, and the cut commit's own day
        result = run("report", str(shallow), "-d", day, "--data-dir", str(tmp_path / "data"))
        assert "shallow clone" in assert_one_line_error(result, 3)
    later = run("report", str(shallow), "-d", "2026-03-06", "--data-dir", str(tmp_path / "data"))
    assert later.returncode == 0, later.stderr  # nothing of a later day is missing
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=shallow, check=True, capture_output=True)
    fixed = run("report", str(shallow), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"))
    assert fixed.returncode == 0 and "feat: day 0" in fixed.stdout, fixed.stderr


def test_control_characters_in_author_fields_do_not_break_parsing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"  # one such commit upstream would otherwise fail every report of the day
    spec = CommitSpec("feat: odd author", DAY, author="Eve\x1fMallory\x1e", email="eve\x1f@example.com",
                      edits=[FileEdit("a.py", "x = 1\n")])  # fmt: skip
    build_repo(
        repo, [spec, CommitSpec("fix: next", DAY + dt.timedelta(minutes=1), edits=[FileEdit("b.py", "y\n")])]
    )
    result = run(
        "report", str(repo), "-d", "2026-03-03", "--lang", "en", "--data-dir", str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    assert "| EveMallory | [feat: odd author]" in result.stdout and "fix: next" in result.stdout


def test_commits_with_broken_dates_are_reported_not_fatal(tmp_path: Path) -> None:
    from gitrepo import git

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: base", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    tree, parent = git(repo, "write-tree").strip(), git(repo, "rev-parse", "HEAD").strip()
    committed = int(DAY.timestamp()) + 60
    for bad in (
        "99999999999999 +0000",
        f"{committed} +9999",
        "notanumber +0000",
    ):  # as old or crafted commits have
        raw = (f"tree {tree}\nparent {parent}\nauthor A <a@example.com> {bad}\n"
               f"committer C <c@example.com> {committed} +0800\n\nfix: date {bad}\n")  # fmt: skip
        parent = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin", "--literally"], cwd=repo,
                                input=raw.encode(), capture_output=True, check=True).stdout.decode().strip()  # fmt: skip
    git(repo, "update-ref", "refs/heads/main", parent)
    result = run(
        "report", str(repo), "-d", "2026-03-03", "--lang", "en", "--data-dir", str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("fix: date ") >= 3 and "feat: base" in result.stdout


def test_a_type_change_keeps_every_later_file_with_its_own_patch(tmp_path: Path) -> None:
    from dailydiff.common.timewindow import day_window
    from dailydiff.sources.git import GitSource
    from gitrepo import commit, git

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: base", DAY, edits=[FileEdit("a.txt", "a\n"), FileEdit("t.txt", "t\n"),
                                                               FileEdit("z.txt", "zz\n")])])  # fmt: skip
    (repo / "a.txt").unlink()
    (repo / "a.txt").symlink_to("t.txt")  # a file becomes a symlink: git prints two patch sections for it
    git(repo, "add", "-A")
    commit(
        repo,
        CommitSpec("fix: retarget", DAY + dt.timedelta(minutes=5), edits=[FileEdit("z.txt", "zz\nzz2\n")]),
    )
    source = GitSource.open(str(repo), tmp_path / "data")
    (latest, _) = source.commits(day_window(dt.date(2026, 3, 3), "Asia/Shanghai"))
    files = {f.path: f for f in latest.files}
    assert files["z.txt"].patch == "@@ -1 +1,2 @@\n zz\n+zz2"
    assert "-a" in (files["a.txt"].patch or "") and "+t.txt" in (files["a.txt"].patch or "")


def test_a_bare_repository_whose_head_names_no_branch_suggests_the_branches(tmp_path: Path) -> None:
    from gitrepo import git

    work = tmp_path / "work"
    build_repo(work, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])], branch="trunk")
    bare = tmp_path / "bare.git"
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "master", str(bare)], check=True, capture_output=True
    )
    git(work, "push", "-q", str(bare), "trunk")
    result = run("report", str(bare), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"))
    assert "--branch" in assert_one_line_error(result, 3) and "trunk" in result.stderr
    fixed = run(
        "report", str(bare), "-d", "2026-03-03", "--branch", "trunk", "--data-dir", str(tmp_path / "data")
    )
    assert fixed.returncode == 0 and "feat: one" in fixed.stdout, fixed.stderr


def test_a_mirrored_url_keeps_no_credentials_in_the_data_dir(tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler

    from gitrepo import git
    from localserver import LocalServer

    work = tmp_path / "work"
    build_repo(work, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    served = tmp_path / "served"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(served / "repo.git")], check=True, capture_output=True
    )
    git(served / "repo.git", "update-server-info")  # git's "dumb" HTTP protocol: plain files

    class Quiet(SimpleHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def log_message(self, *args: object) -> None:
            pass

    server = LocalServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://alice:s3cret-pw@127.0.0.1:{server.server_address[1]}/repo.git"
        data = tmp_path / "data"
        for _ in range(2):  # a clone, then a fetch
            result = run("report", url, "-d", "2026-03-03", "--name", "demo", "--data-dir", str(data))
            assert result.returncode == 0 and "feat: one" in result.stdout, result.stderr
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    leaks = [p for p in data.rglob("*") if p.is_file() and b"s3cret-pw" in p.read_bytes()]
    assert leaks == []
    from gitrepo import commit_graph_count

    (mirror,) = (data / "repos").glob("*.git")
    assert commit_graph_count(mirror) == 1  # its history walked from git's commit-graph (sources/gitclone.py)


def test_a_clone_owned_by_another_user_names_the_safe_directory_fix(tmp_path: Path) -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        missing("root", "to chown the clone")
    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    for path in [repo, *repo.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}  # no safe.directory from the machine
    result = run("report", str(repo), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"), env=env)
    line = assert_one_line_error(result, 3)
    assert "dubious ownership" in line and "safe.directory" in line and str(repo) in line


def test_a_git_too_old_for_since_as_filter_says_so(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    build_repo(repo, [CommitSpec("feat: one", DAY, edits=[FileEdit("a.py", "x = 1\n")])])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"  # git 2.34 answers the option it does not know like this
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do case "$a" in --since-as-filter*) '
                    f'echo "fatal: unrecognized argument: $a" >&2; exit 128;; esac; done\nexec {shutil.which("git")} "$@"\n')  # fmt: skip
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = run("report", str(repo), "-d", "2026-03-03", "--data-dir", str(tmp_path / "data"), env=env)
    assert "git 2.37 or later" in assert_one_line_error(result, 3)
