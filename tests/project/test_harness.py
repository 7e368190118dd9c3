"""The test harness itself: the in-process CLI leaves the process as it found it, and a missing real
component fails in CI."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from clirun import dailydiff
from required import ROOT, missing


def test_an_in_process_command_leaves_no_state_behind(tmp_path: Path) -> None:
    logger = logging.getLogger("dailydiff")
    before = (dict(os.environ), os.getcwd(), list(sys.argv), list(logger.handlers), logger.level,
              logger.propagate, signal.getsignal(signal.SIGINT))  # fmt: skip
    (tmp_path / "dailydiff.toml").write_text('[[repos]]\nsource = "missing"\n', encoding="utf-8")
    # `run` sets up logging on stderr; the environment, directory and argv are the command's own.
    done = dailydiff("run", "--verbose", "--data-dir", "data", cwd=tmp_path,
                     env={"HOME": str(tmp_path), "DAILYDIFF_REPORT_LANGUAGE": "en"})  # fmt: skip
    assert done.returncode == 1 and "missing" in done.stderr, done.stderr
    assert (tmp_path / "data").is_dir()  # it ran in tmp_path
    after = (dict(os.environ), os.getcwd(), list(sys.argv), list(logger.handlers), logger.level,
             logger.propagate, signal.getsignal(signal.SIGINT))  # fmt: skip
    assert after == before


def test_the_environment_given_is_the_whole_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILYDIFF_REPORT_LANGUAGE", "zh")
    done = dailydiff("--version", env={"PATH": os.environ["PATH"]})
    assert done.returncode == 0 and done.stdout.startswith("dailydiff ")
    repo = tmp_path / "missing"
    bad = dailydiff("report", str(repo), env={**os.environ, "DAILYDIFF_REPORT_TIMEZONE": "Mars/Olympus"})
    assert bad.returncode == 2 and "Mars/Olympus" in bad.stderr and len(bad.stderr.splitlines()) == 1
    assert "DAILYDIFF_REPORT_TIMEZONE" not in os.environ


@pytest.mark.parametrize(
    ("env", "outcome"),
    [
        ({}, pytest.skip.Exception),
        ({"CI": "false"}, pytest.skip.Exception),
        ({"CI": "true"}, pytest.fail.Exception),
        ({"DAILYDIFF_CI": "1"}, pytest.fail.Exception),
    ],
)
def test_a_missing_component_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], outcome: type[BaseException]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("DAILYDIFF_CI", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(outcome, match="missing real component markdownlint: npm markdownlint-cli"):
        missing("markdownlint")


def test_every_skip_for_a_missing_component_goes_through_the_one_rule() -> None:
    """No test skips on its own (a skip that CI would not turn into a failure): the one place that skips is
    required.missing, which fails instead under CI."""
    own = Path(__file__).resolve()
    skips = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != "required.py" and path != own
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(word in line for word in ("pytest.skip(", "skipif(", "importorskip(", "pytest.xfail("))
    ]
    assert skips == []


def test_ci_runs_the_tests_as_ci() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export DAILYDIFF_CI=1" in script.split("make test")[0]
