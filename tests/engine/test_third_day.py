"""Issue 46 ("a third first day"), item 7: the words a newcomer reads. Each test is named after what it
checks; the other items' tests sit with their stage (test_llm_endpoints, test_scoring_rules, …)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netports import free_port
from opsfixtures import build_fixture_repo, dailydiff

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-01-06"


def _help(*command: str, cwd: Path) -> str:
    return " ".join(dailydiff(*command, "--help", cwd=cwd).stdout.split())


def test_every_quiet_flag_says_the_same_and_force_and_lang_read_well(tmp_path: Path) -> None:
    quiet = "-q, --quiet Errors only on stderr: no progress, logs or summary."
    for command in (("report",), ("run",), ("digest",), ("site", "build"), ("serve",)):
        text = _help(*command, cwd=tmp_path)
        assert quiet in text, (command, text)
    for command in (("weekly",), ("run",), ("digest",)):
        text = _help(*command, cwd=tmp_path)
        assert "--force Build and deliver again what was already delivered." in text, (command, text)
        assert "Deliver again days" not in text
    # --lang names its default, the settings file's when it sets one.
    assert "--lang LANG Report language: zh or en [default: zh]." in _help("report", cwd=tmp_path)
    (tmp_path / "dailydiff.toml").write_text('[report]\nlanguage = "en"\n', encoding="utf-8")
    assert "--lang LANG Report language: zh or en [default: en]." in _help("report", cwd=tmp_path)


@pytest.mark.parametrize("kind", ["binary", "directory"])
def test_a_config_that_is_not_a_settings_file_says_what_it_is(tmp_path: Path, kind: str) -> None:
    config = tmp_path / "settings.toml"
    if kind == "binary":
        config.write_bytes(b"\x00\x01\x02\xff\xfe binary")
    else:
        config.mkdir()
    result = dailydiff("run", "-c", config, cwd=tmp_path, check=False)
    line = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and "check its permissions" not in line, line
    said = "is not text (not UTF-8)" if kind == "binary" else "is a directory"
    assert f"config file {config} {said} — pass " in line, line


def test_a_repository_listed_twice_is_blamed_on_the_file_not_the_flags(tmp_path: Path) -> None:
    config = tmp_path / "dailydiff.toml"
    config.write_text('[[repos]]\nsource = "a/b"\n\n[[repos]]\nsource = "a/b"\n', encoding="utf-8")
    result = dailydiff("run", "--date", DAY, "--lang", "en", cwd=tmp_path, check=False)
    line = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and "command-line flags" not in line, line
    assert f"invalid setting in {config}: repos[2]: 'a/b' is listed twice (also repos[1])" in line, line


def test_the_progress_line_says_when_the_store_had_every_analysis(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "repo", 0, per_day=3)
    args = ("report", tmp_path / "repo", "--date", DAY, "--lang", "en", "--data-dir", tmp_path / "data",
            "-o", tmp_path / "out")  # fmt: skip
    first = dailydiff(*args, cwd=tmp_path).stderr
    again = dailydiff(*args, "--force", cwd=tmp_path).stderr  # built again (else: up to date, unread)
    assert "dailydiff: days 1/1 · commits 3/3 done · requests in flight 0" in first, first
    assert "dailydiff: days 1/1 · commits 3/3 done (3 from the store) · requests in flight 0" in again, again
    assert "commits analysed" not in first + again


def test_the_readme_names_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:src|tests|bench|scripts)/[\w./-]+\.\w+)`", readme))
    assert "src/dailydiff/settings/defaults.toml" in named
    assert [path for path in sorted(named) if not (ROOT / path).exists()] == []


@pytest.mark.slow
def test_serve_stopped_by_sigterm_says_so_calmly_without_a_resume_hint_and_quiet_says_nothing_more(
    tmp_path: Path,
) -> None:
    build_fixture_repo(tmp_path / "repo", 0, per_day=1)
    dailydiff("report", tmp_path / "repo", "--date", DAY, "--data-dir", tmp_path / "data", "-q", cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    errs = []
    for quiet in ((), ("--quiet",)):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "dailydiff", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
             *quiet],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            import urllib.request

            for _ in range(200):  # until it listens (or 20 s)
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/reports", timeout=2):
                        break
                except OSError:
                    time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=20)
        errs.append((proc.returncode, err))
    (code, err), (quiet_code, quiet_err) = errs
    # SIGTERM is the normal way to stop a server (systemd, docker stop): one calm line, not an error; the
    # exit code stays the documented 143 (128 + SIGTERM), as for every command SIGTERM stops.
    assert code == 143 and err.strip().splitlines()[-1] == "dailydiff: stopped by SIGTERM", err
    assert "resume" not in err and "analysed" not in err and "error" not in err
    assert quiet_code == 143 and quiet_err.strip() == "dailydiff: stopped by SIGTERM", quiet_err


@pytest.mark.parametrize(
    ("origin", "messages", "links"),
    [
        ("https://github.com/flashinfer-ai/flashinfer.git",
         ["perf: faster top-k sampling (#4305)", "Merge pull request #4310 from dev/branch\n\nbody"],
         ["[#4305](https://github.com/flashinfer-ai/flashinfer/pull/4305)",
          "[#4310](https://github.com/flashinfer-ai/flashinfer/pull/4310)"]),
        ("git@gitlab.com:group/sub/project.git",
         ["fix: handle empty batches (!123)", "Merge branch 'x' into 'main'\n\nSee merge request group/sub/project!124"],
         ["[!123](https://gitlab.com/group/sub/project/-/merge_requests/123)",
          "[!124](https://gitlab.com/group/sub/project/-/merge_requests/124)"]),
    ],
)  # fmt: skip
def test_a_local_clone_links_the_pull_requests_its_commits_name(
    tmp_path: Path, origin: str, messages: list[str], links: list[str]
) -> None:
    from fixtures import at
    from gitrepo import CommitSpec, FileEdit, build_repo, git

    repo = tmp_path / "clone"
    specs = [
        CommitSpec(m, at(6, 10 + i), edits=[FileEdit(f"src/m{i}.py", f"x = {i}\n")])
        for i, m in enumerate(messages)
    ]
    specs.append(
        CommitSpec("chore: no request named (#x)", at(6, 15), edits=[FileEdit("src/n.py", "y = 1\n")])
    )
    build_repo(repo, specs)
    git(repo, "remote", "add", "origin", origin)
    out = tmp_path / "out"
    dailydiff("report", repo, "--date", DAY, "--lang", "en", "--data-dir", tmp_path / "data", "-o", out, "-q",
              cwd=tmp_path)  # fmt: skip
    markdown = next(out.rglob("*.md")).read_text(encoding="utf-8")
    # GitLab's merge requests are written as GitLab writes them (issue 63 item 10): MR, not PR
    label = "🔀 MR" if any("merge_requests" in link for link in links) else "🔀 PR"
    for link in links:
        assert f"{label} {link}" in markdown, (link, markdown)
    assert markdown.count(label) == len(links)  # a title that names none links none
