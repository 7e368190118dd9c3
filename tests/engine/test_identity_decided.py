"""A `report SOURCE` is named in the plan even when its source cannot be opened there: its RepoRef has an id
(what its location says), its log records carry that id, and its lines name it by the SOURCE as given; the
run then says why it cannot be read, in the source's own words."""

from __future__ import annotations

from pathlib import Path

from clirun import dailydiff
from dailydiff.engine.identity import ADHOC, repo_ref
from dailydiff.engine.jobs import adhoc_job, log_extra
from dailydiff.settings import load_settings


def test_a_source_that_cannot_be_opened_is_named_in_the_plan(tmp_path: Path) -> None:
    (tmp_path / "notgit").mkdir()
    settings = load_settings(None, environ={}, cwd=tmp_path, overrides={"data_dir": str(tmp_path / "data")})
    for source, named in (
        (str(tmp_path / "notgit"), "notgit"),
        ("https://user:tok9@example.invalid/x/y.git", "x/y"),
    ):
        ref = repo_ref(settings, source)
        assert (ref.id, ref.kind) == (named, ADHOC), ref
        assert ref.label == source.replace("user:tok9", "***")  # its lines: the SOURCE as given, scrubbed
        assert log_extra(adhoc_job(ref, settings))["repo"] == named


def test_report_of_a_source_that_cannot_be_opened_says_why_and_logs_its_name(tmp_path: Path) -> None:
    (tmp_path / "notgit").mkdir()
    result = dailydiff("report", "notgit", "--date", "2026-01-01", "--log-format", "json", "--data-dir",
                       tmp_path / "data", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert '"message": "start", "repo": "notgit", "source": "notgit"' in result.stderr
    assert "notgit is not a git repository — pass a path inside a git clone or a git URL" in result.stderr
