"""Issue 22, the GitHub and naming side: the look-back for late commits costs one conditional list request
per repository-day (304 when nothing changed), owner-qualified names where short names clash, and git
sources that would otherwise lose commits (a broken author line, a renamed default branch)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from clirun import dailydiff
from fake_github import FakeGitHub
from gitrepo import CommitSpec, FileEdit, build_repo, commit, git

CST = dt.timezone(dt.timedelta(hours=8))
D = dt.date(2026, 4, 23)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def day_commits(days: int) -> list[CommitSpec]:
    return [
        CommitSpec(f"feat: change {n}", at(D + dt.timedelta(days=n), 11), edits=[FileEdit(f"src/m{n}.py", f"x = {n}\n")])
        for n in range(days)
    ]  # fmt: skip


def env_with(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    return env | extra


def test_a_project_and_its_fork_write_two_files_and_the_lookback_costs_one_304_per_repository_day(
    tmp_path: Path,
) -> None:
    """Acceptance 2 and 3: `upstream/flashinfer` + `fork/flashinfer` with the default path template give two
    files a day (owner-qualified), and the look-back of 3 unchanged days costs one request per
    repository-day, each answered 304."""
    repo = tmp_path / "flashinfer"
    build_repo(repo, day_commits(3))
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[analysis]\nanalyzer = "heuristic"\n[github]\npull_requests = false\n'
        '[[repos]]\nsource = "upstream/flashinfer"\n[[repos]]\nsource = "fork/flashinfer"\n',
        encoding="utf-8",
    )
    last = D + dt.timedelta(days=2)
    args = ["run", "--from", str(D), "--to", str(last), "--output-dir", "out"]
    with FakeGitHub({"upstream/flashinfer": repo, "fork/flashinfer": repo}) as fake:
        env = env_with(
            DAILYDIFF_GITHUB_API_URL=fake.url,
            DAILYDIFF_RUN_NOW=at(last + dt.timedelta(days=1), 9).isoformat(),
        )
        first = dailydiff(*args, cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        files = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.md"))
        assert files == sorted(f"2026/{owner}_flashinfer/{D + dt.timedelta(days=n)}.md"
                               for owner in ("upstream", "fork") for n in range(3))  # fmt: skip
        warm = dailydiff(*args, cwd=tmp_path, env=env)  # the look-back's day lists, first asked: 200
        assert warm.returncode == 0, warm.stderr
        fake.reset_requests()
        again = dailydiff(*args, cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        assert "3 up to date" in again.stderr or "6 up to date" in again.stderr
        assert sorted((r.kind, r.status) for r in fake.requests) == [("list", 304)] * 6, [
            (r.kind, r.status, r.query) for r in fake.requests
        ]


def two_clones_named_repo(tmp_path: Path) -> dict[str, str]:
    """Clones a/repo and b/repo, both in the config; the environment of a run the day after D."""
    for owner in ("a", "b"):
        build_repo(
            tmp_path / owner / "repo",
            [CommitSpec(f"feat: {owner} work", at(D, 10), edits=[FileEdit("f.py", owner)])],
        )
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[analysis]\nanalyzer = "heuristic"\n'
        '[[repos]]\nsource = "a/repo"\n[[repos]]\nsource = "b/repo"\n',
        encoding="utf-8",
    )
    return env_with(DAILYDIFF_RUN_NOW=at(D + dt.timedelta(days=1), 9).isoformat())


def test_two_configured_clones_named_repo_get_two_paths(tmp_path: Path) -> None:
    """Acceptance 3, git side: two clones whose directories are both `repo` are stored and written as
    `a/repo` and `b/repo` (a_repo, b_repo in the path template's {repo_name})."""
    env = two_clones_named_repo(tmp_path)
    result = dailydiff("run", "--date", str(D), "--output-dir", "out", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    a = (tmp_path / "out" / "2026" / "a_repo" / f"{D}.md").read_text(encoding="utf-8")
    b = (tmp_path / "out" / "2026" / "b_repo" / f"{D}.md").read_text(encoding="utf-8")
    assert "a work" in a and "b work" in b and "## a/repo" in a and "## b/repo" in b


def test_two_repositories_on_one_path_are_a_config_error_naming_both(tmp_path: Path) -> None:
    """A template that cannot tell them apart: one line naming both entries, exit 2, nothing written."""
    repo = tmp_path / "flashinfer"
    build_repo(repo, day_commits(1))
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[report]\npath_template = "{year}/{date}.{ext}"\n'
        '[[repos]]\nsource = "upstream/flashinfer"\n[[repos]]\nsource = "fork/flashinfer"\n',
        encoding="utf-8",
    )
    result = dailydiff("run", "--date", str(D), "--output-dir", "out", cwd=tmp_path, env=env_with())
    assert result.returncode == 2
    assert (
        "repos[1] (upstream/flashinfer) and repos[2] (fork/flashinfer) would write the same report file"
        in result.stderr
    )
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_a_commit_with_a_newline_in_its_email_is_in_its_day(tmp_path: Path) -> None:
    """Acceptance 7: git dates a commit whose author and committer e-mail hold a newline to 1970 and its
    own date filter drops it; the report has it in its day, with the date from the raw object."""
    repo = tmp_path / "proj"
    build_repo(repo, [CommitSpec("feat: before", at(D, 9), edits=[FileEdit("a.py", "a = 1\n")])])
    tree, parent = git(repo, "rev-parse", "HEAD^{tree}").strip(), git(repo, "rev-parse", "HEAD").strip()
    stamp = int(at(D, 15).timestamp())
    raw = (f"tree {tree}\nparent {parent}\nauthor Eve <eve@exa\nmple.com> {stamp} +0800\n"
           f"committer Eve <eve@exa\nmple.com> {stamp} +0800\n\nfix: broken ident line\n")  # fmt: skip
    sha = git(repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=raw.encode()).strip()
    git(repo, "update-ref", "refs/heads/main", sha)
    assert git(repo, "log", "-1", "--format=%ct", sha).strip() in ("", "0")  # what git makes of it
    result = dailydiff("report", str(repo), "--date", str(D), "--analyzer", "heuristic", "--format", "md",
                       "--data-dir", str(tmp_path / "data"), cwd=tmp_path, env=env_with(DAILYDIFF_RUN_NOW=at(D, 23).isoformat()))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "fix: broken ident line" in result.stdout and "2026-04-23 15:00:00" in result.stdout
    assert "broken author or committer line" in result.stderr and sha[:7] in result.stderr


def test_a_git_url_source_follows_a_renamed_default_branch(tmp_path: Path) -> None:
    """Acceptance 7: the origin renames master → main; the next run follows it and says so in one line."""
    origin = tmp_path / "origin"
    build_repo(
        origin, [CommitSpec("feat: first", at(D, 9), edits=[FileEdit("a.py", "a = 1\n")])], branch="master"
    )
    url = f"file://{origin}"
    common = ["--analyzer", "heuristic", "--data-dir", str(tmp_path / "data"), "--format", "md"]
    env = env_with(DAILYDIFF_RUN_NOW=at(D + dt.timedelta(days=1), 23).isoformat())
    first = dailydiff("report", url, "--date", str(D), *common, cwd=tmp_path, env=env)
    assert first.returncode == 0 and "feat: first" in first.stdout, first.stderr
    git(origin, "branch", "-m", "master", "main")
    commit(
        origin,
        CommitSpec("feat: on main", at(D + dt.timedelta(days=1), 9), edits=[FileEdit("b.py", "b = 1\n")]),
    )
    second = dailydiff("report", url, "--date", str(D + dt.timedelta(days=1)), *common, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "feat: on main" in second.stdout
    assert "the default branch is now main (was master); following it" in second.stderr


def test_an_adhoc_report_of_a_second_clone_with_the_same_name_gets_its_own_path(tmp_path: Path) -> None:
    """Acceptance 3, `report`: a second, different clone named `repo` is not written over the first one's
    file nor stored under its name; the command says which name it used."""
    for owner in ("a", "b"):
        build_repo(
            tmp_path / owner / "repo",
            [CommitSpec(f"feat: {owner} work", at(D, 10), edits=[FileEdit("f.py", owner)])],
        )
    common = ["--date", str(D), "--analyzer", "heuristic", "--data-dir", str(tmp_path / "data"), "-o", "out"]
    env = env_with(DAILYDIFF_RUN_NOW=at(D + dt.timedelta(days=1), 9).isoformat())
    first = dailydiff("report", "a/repo", *common, cwd=tmp_path, env=env)
    assert first.returncode == 0 and "note:" not in first.stderr, first.stderr
    second = dailydiff("report", "b/repo", *common, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert (
        "the store's 'repo' is another repository" in second.stderr and "stored as 'b/repo'" in second.stderr
    )
    assert "a work" in (tmp_path / "out" / "2026" / "repo" / f"{D}.md").read_text(encoding="utf-8")
    assert "b work" in (tmp_path / "out" / "2026" / "b_repo" / f"{D}.md").read_text(encoding="utf-8")
    again = dailydiff("report", "a/repo", *common, cwd=tmp_path, env=env)  # the first clone keeps its name
    assert again.returncode == 0 and "note:" not in again.stderr


def test_report_weekly_and_publish_find_a_qualified_clone_under_runs_name(tmp_path: Path) -> None:
    """`report a/repo` of a configured clone stores and writes it where `run` does (a/repo, a_repo)."""
    env = two_clones_named_repo(tmp_path)
    done = dailydiff("report", "b/repo", "--date", str(D), "-o", "out", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "b work" in (tmp_path / "out" / "2026" / "b_repo" / f"{D}.md").read_text(encoding="utf-8")
    (tmp_path / "dailydiff.toml").write_text(
        (tmp_path / "dailydiff.toml").read_text(encoding="utf-8")
        + '[[publish]]\ntype = "files"\ndirectory = "pub"\n',
        encoding="utf-8",
    )
    shown = dailydiff("publish", "b/repo", "--date", str(D), cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "b work" in (tmp_path / "pub" / "reports" / "2026" / "b_repo" / f"{D}.md").read_text(
        encoding="utf-8"
    )


def test_a_commit_without_any_date_is_named_as_skipped_in_its_parents_day(tmp_path: Path) -> None:
    """Acceptance 7, the other half: a commit whose committer line has no date at all cannot be placed by
    its own date: it is named as skipped, with the reason, in its parent's day and on stderr."""
    repo = tmp_path / "proj"
    build_repo(repo, [CommitSpec("feat: before", at(D, 9), edits=[FileEdit("a.py", "a = 1\n")])])
    tree, parent = git(repo, "rev-parse", "HEAD^{tree}").strip(), git(repo, "rev-parse", "HEAD").strip()
    raw = f"tree {tree}\nparent {parent}\nauthor Eve <eve@example.com>\ncommitter Eve <eve@example.com>\n\nno dates\n"
    sha = git(repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=raw.encode()).strip()
    git(repo, "update-ref", "refs/heads/main", sha)
    result = dailydiff("report", str(repo), "--date", str(D), "--analyzer", "heuristic", "--lang", "en",
                       "--data-dir", str(tmp_path / "data"), cwd=tmp_path, env=env_with(DAILYDIFF_RUN_NOW=at(D, 23).isoformat()))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Commits that could not be read" in result.stdout and sha in result.stdout
    assert "git cannot read its committer line" in result.stdout
    assert f"commit {sha} skipped: git cannot read its committer line" in result.stderr


def test_a_github_repository_given_a_name_keeps_its_owner_name_and_its_digest_has_its_day(
    tmp_path: Path,
) -> None:
    """A GitHub repository keeps its `owner/name` whatever `name` says (README): its day is stored, written
    and looked up under that id, so the night's digest is built with it (it was built without it, as "fi", not stored)."""
    repo = tmp_path / "flashinfer"
    build_repo(repo, day_commits(1))
    (tmp_path / "dailydiff.toml").write_text(
        'data_dir = "data"\n[analysis]\nanalyzer = "heuristic"\n[github]\npull_requests = false\n'
        '[[repos]]\nsource = "upstream/flashinfer"\nname = "fi"\n[[digest]]\nname = "all"\n'
        '[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "archive"\nformats = ["json"]\n',
        encoding="utf-8",
    )
    with FakeGitHub({"upstream/flashinfer": repo}) as fake:
        env = env_with(
            DAILYDIFF_GITHUB_API_URL=fake.url, DAILYDIFF_RUN_NOW=at(D + dt.timedelta(days=1), 9).isoformat()
        )
        result = dailydiff("run", "--date", str(D), "--output-dir", "out", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "2026" / "flashinfer" / f"{D}.md").is_file()
    digest = json.loads(
        (tmp_path / "archive" / "reports" / "digests" / "2026" / "all" / f"{D}.json").read_text()
    )
    (entry,) = digest["repos"]
    assert (entry["repo"], entry["stored"], entry["total"]) == ("upstream/flashinfer", True, 1), entry
