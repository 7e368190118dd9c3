"""The command line as a user runs it (in-process): real repositories, real files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from clirun import dailydiff
from fixtures import build_sample_repo


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return dailydiff(*args, cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "sglang"
    build_sample_repo(path)
    return path


def _without_footer(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("*由 dailydiff"))


def test_second_run_recomputes_nothing_and_is_identical(repo: Path, tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    args = ["report", str(repo), "--date", "2026-01-19", "--data-dir", str(data), "--output-dir", str(out),
            "--format", "md,json"]  # fmt: skip
    first = run(*args, "--summary-json", str(tmp_path / "s1.json"))
    assert first.returncode == 0, first.stderr
    md = out / "2026" / "sglang" / "2026-01-19.md"
    first_md = md.read_text(encoding="utf-8")
    db = sqlite3.connect(data / "dailydiff.sqlite3")
    analyses_before = db.execute("SELECT COUNT(*), MAX(created_at) FROM analyses").fetchone()
    second = run(*args, "--summary-json", str(tmp_path / "s2.json"))
    assert second.returncode == 0, second.stderr
    # Nothing changed: the day is up to date, its files as they were (nothing read, built or written).
    assert json.loads((tmp_path / "s2.json").read_text())["reports"] == []
    assert "1 day(s) up to date" in second.stderr and md.read_text(encoding="utf-8") == first_md
    third = run(*args, "--force", "--summary-json", str(tmp_path / "s3.json"))  # built again, from the store
    assert third.returncode == 0, third.stderr
    analyses_after = db.execute("SELECT COUNT(*), MAX(created_at) FROM analyses").fetchone()
    assert analyses_before == analyses_after and analyses_before[0] == 7
    s1 = json.loads((tmp_path / "s1.json").read_text())["reports"][0]
    s3 = json.loads((tmp_path / "s3.json").read_text())["reports"][0]
    assert (s1["analysed"], s1["cached"]) == (7, 0)
    assert (s3["analysed"], s3["cached"]) == (0, 7)
    assert _without_footer(md.read_text(encoding="utf-8")) == _without_footer(first_md)
    assert json.loads((out / "2026" / "sglang" / "2026-01-19.json").read_text())["stats"]["total"] == 7
    runs = db.execute("SELECT status FROM runs").fetchall()
    assert runs == [("ok",), ("ok",), ("ok",)]


def test_markdown_to_stdout_and_range(repo: Path, tmp_path: Path) -> None:
    result = run("report", str(repo), "--from", "2026-01-18", "--to", "2026-01-20", "--data-dir", str(tmp_path),
                 "--lang", "en", "-q")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("# Daily update report (") == 3
    assert result.stderr == ""


def test_output_dir_range_writes_one_file_per_day(repo: Path, tmp_path: Path) -> None:
    result = run("report", str(repo), "--from", "2026-01-18", "--to", "2026-01-20", "--data-dir", str(tmp_path / "d"),
                 "--output-dir", str(tmp_path / "o"), "--format", "md,json", "-q")  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "o" / "2026" / "sglang").iterdir())
    assert written == [f"2026-01-{d}.{ext}" for d in (18, 19, 20) for ext in ("json", "md")]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["report", "{tmp}", "--date", "2026-01-19"], 3, "is not a git repository"),
        (["report", "{repo}", "--date", "2026-13-45"], 2, "bad date"),
        (["report", "{repo}", "--date", "soon"], 2, "bad date"),
        (["report", "{repo}", "--date", "2026-01-19", "--tz", "Mars/Olympus"], 2, "unknown timezone"),
        (["report", "{repo}", "--date", "2026-01-19", "--config", "{tmp}/missing.toml"], 2, "not found"),
        (["report", "{repo}", "--date", "2026-01-19", "--config", "{tmp}/bad.toml"], 2, "not valid TOML"),
        (["report", "{repo}", "--date", "2026-01-19", "--config", "{tmp}/typo.toml"], 2, "'report.timezon'"),
        (
            ["report", "{repo}", "--date", "2026-01-19", "--config", "{tmp}/badtype.toml"],
            2,
            "'git.all_branches'",
        ),
        (["report", "{repo}", "--date", "2026-01-19", "--branch", "nope"], 3, "branch 'nope' not found"),
        (["report", "{repo}", "--date", "2026-01-19", "--format", "pdf"], 2, "unknown format"),
        (["report", "{repo}", "--from", "2026-01-19"], 2, "--from and --to go together"),
        (["report", "{repo}", "--from", "2026-01-20", "--to", "2026-01-19"], 2, "after --to"),
        # Conflicting flags
        (
            ["report", "{repo}", "--date", "2026-01-19", "--from", "2026-01-18", "--to", "2026-01-19"],
            2,
            "--date cannot be combined with --from/--to",
        ),
        (
            ["report", "{repo}", "--date", "2026-01-19", "--branch", "main", "--all-branches"],
            2,
            "--branch and --all-branches exclude each other",
        ),
        (
            ["report", "{repo}", "--date", "2026-01-19", "--quiet", "--verbose"],
            2,
            "--quiet and --verbose exclude each other",
        ),
        (["run", "--date", "2026-01-19", "--jobs", "0"], 2, "--jobs must be at least 1"),
        (["publish", "{repo}", "--date", "2026-01-19", "--to", "2026-01-19"], 2, "--date cannot be combined"),
        (["report", "nobody/nothing/extra", "--date", "2026-01-19"], 3, "neither an existing path"),
        (["report", "{repo}", "--date", "2026-01-19", "--analyzer", "magic"], 2, "analyzer"),
    ],
)
def test_errors_are_one_line_with_a_next_step(
    repo: Path, tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    (tmp_path / "bad.toml").write_text("[report\n")
    (tmp_path / "typo.toml").write_text('[report]\ntimezon = "UTC"\n')
    (tmp_path / "badtype.toml").write_text('[git]\nall_branches = "sometimes"\n')
    filled = [a.format(repo=repo, tmp=tmp_path) for a in args]
    result = run(*filled, "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    # Every refusal, argparse's own included: one line, "dailydiff: error: <what> — <next step>".
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dailydiff: error: "), result.stderr
    assert " — " in lines[0]  # the next step


def test_env_overrides_config_and_flags_override_env(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text('[report]\nlanguage = "en"\ntimezone = "UTC"\n')
    base = ["report", str(repo), "--date", "2026-01-19", "--data-dir", str(tmp_path / "d"), "-q"]
    from_file = run(*base, cwd=tmp_path)
    assert from_file.returncode == 0 and "# Daily update report (2026-01-19)" in from_file.stdout
    from_env = run(*base, cwd=tmp_path, env={"DAILYDIFF_REPORT_LANGUAGE": "zh"})
    assert "# 每日更新报告（2026-01-19）" in from_env.stdout
    from_flag = run(*base, "--lang", "en", cwd=tmp_path, env={"DAILYDIFF_REPORT_LANGUAGE": "zh"})
    assert "# Daily update report" in from_flag.stdout
    bad_env = run(*base, cwd=tmp_path, env={"DAILYDIFF_REPORT_TOC_TITLE_CHARS": "many"})
    assert bad_env.returncode == 2 and "DAILYDIFF_REPORT_TOC_TITLE_CHARS" in bad_env.stderr


def test_git_url_is_cloned_then_fetched(repo: Path, tmp_path: Path) -> None:
    """A git URL is cloned into the data directory once; the next command fetches into that same mirror, so a
    commit pushed in between is in its report."""
    import shutil

    origin = tmp_path / "origin"
    shutil.copytree(repo, origin)
    url = f"file://{origin}"
    data = tmp_path / "data"
    args = [
        "report",
        url,
        "--date",
        "2026-01-19",
        "--data-dir",
        str(data),
        "-q",
        "--name",
        "sgl-project/sglang",
    ]
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "sgl-project/sglang" in first.stdout
    (mirror,) = list((data / "repos").iterdir())
    assert mirror.name.endswith(".git")
    (mirror / "kept-by-a-fetch").write_text("a clone would not have it")
    late = "fix: a commit pushed after the first report"
    assert late not in first.stdout
    when = "2026-01-19T12:00:00+08:00"
    env = {**os.environ, "GIT_AUTHOR_NAME": "Late", "GIT_AUTHOR_EMAIL": "late@example.com",
           "GIT_COMMITTER_NAME": "Late", "GIT_COMMITTER_EMAIL": "late@example.com", "GIT_AUTHOR_DATE": when,
           "GIT_COMMITTER_DATE": when, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    (origin / "late.py").write_text("LATE = 1\n")
    subprocess.run(["git", "-C", str(origin), "add", "late.py"], check=True, env=env)
    subprocess.run(["git", "-C", str(origin), "commit", "-q", "-m", late], check=True, env=env)
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert list((data / "repos").iterdir()) == [mirror] and (mirror / "kept-by-a-fetch").is_file()  # fetched
    assert late in again.stdout  # what was fetched is in the report
    assert again.stdout.count("####") == first.stdout.count("####") + 1


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("dailydiff ")
    help_text = run("report", "--help").stdout
    assert "--all-branches" in help_text and "--output-dir" in help_text


def test_written_reports_are_readable_by_others(repo: Path, tmp_path: Path) -> None:
    result = run("report", str(repo), "--date", "2026-01-19", "--data-dir", str(tmp_path / "d"),
                 "--output-dir", str(tmp_path / "o"), "-q")  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = next((tmp_path / "o").rglob("*.md"))
    umask = os.umask(0)
    os.umask(umask)
    assert written.stat().st_mode & 0o777 == 0o666 & ~umask  # as any file the user creates, not 0600


def test_audience_is_one_option_whose_help_says_what_each_command_gives() -> None:
    """`digest` and `weekly` take the one --audience of cli/options.py; each one's help says what an
    audience gets there (a table), and an unknown audience is refused before any work."""
    import ast

    import dailydiff.cli as cli

    defined = [
        path.name
        for path in Path(cli.__file__).parent.glob("*.py")
        if path.name not in ("options.py", "notes.py")
        and any(
            isinstance(n, ast.Constant) and n.value == "--audience"
            for n in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert defined == []
    digest = run("digest", "--help").stdout
    weekly = run("weekly", "--help").stdout
    assert "counts and highlights, no paths" in " ".join(digest.split())
    assert "themes, no paths" in " ".join(weekly.split())
    refused = run("weekly", "--audience", "boss")
    assert refused.returncode == 2 and "boss" in refused.stderr and "Traceback" not in refused.stderr
