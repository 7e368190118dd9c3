"""The release process: a workflow that publishes only tagged versions, by trusted publishing, after the
tests ran against the built wheel; and the script that turns the CHANGELOG's Unreleased section into the
version's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8")))


def test_release_workflow_triggers_only_on_version_tags() -> None:
    triggers = _workflow()[True]  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"push"} and set(triggers["push"]) == {"tags"}
    import re

    patterns = triggers["push"]["tags"]

    def fires(tag: str) -> bool:  # GitHub's filter syntax for these patterns: [0-9]+ is one or more digits
        return any(re.fullmatch(p.replace(".", r"\."), tag) for p in patterns)

    assert fires("v0.2.0") and fires("v10.20.30") and fires("v1.0.0rc2")
    assert not fires("v1.0") and not fires("latest") and not fires("1.0.0") and not fires("v1.0.0-dirty")


def test_release_publishes_by_oidc_without_a_secret_after_the_tests_ran_on_the_wheel() -> None:
    workflow = _workflow()
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "secrets." not in text and "password" not in text.lower()  # no stored token anywhere
    assert workflow["permissions"] == {}  # nothing by default; each job asks for what it needs
    jobs = workflow["jobs"]
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"build", "test"}
    assert publish["permissions"]["id-token"] == "write"
    assert jobs["build"]["permissions"] == {"contents": "read"} == jobs["test"]["permissions"]
    uses = [step.get("uses", "") for step in publish["steps"]]
    pypi = next(s for s in publish["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@"))
    assert pypi["with"]["attestations"] is True and "password" not in pypi["with"]
    assert any(u.startswith("actions/attest-build-provenance@") for u in uses)
    # The test job installs the built wheel and replaces the checkout's package by the wheel's files.
    test_run = "\n".join(step.get("run", "") for step in jobs["test"]["steps"])
    assert "dist/*.whl" in test_run and "rm -rf src/dailydiff" in test_run and ".ci/run" in test_run
    assert "DAILYDIFF_CI_INSTALLED=1" in test_run
    build_run = "\n".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "scripts/check-package.sh dist" in build_run and "release.py notes" in build_run


def _release(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(tmp_path / "scripts" / "release.py"), *args],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_prepare_turns_unreleased_into_the_version_and_notes_checks_the_tag(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "release.py", tmp_path / "scripts" / "release.py")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "dailydiff"\nversion = "0.1.0"\n', encoding="utf-8"
    )
    changelog = (
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Teams.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"
    )
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    assert _release(tmp_path, "notes", "v0.2.0").returncode == 2  # pyproject still says 0.1.0
    done = _release(tmp_path, "prepare", "0.2.0")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.index("## [Unreleased]") < text.index("## [0.2.0] - ") < text.index("- Teams.")
    assert 'version = "0.2.0"' in (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    notes = _release(tmp_path, "notes", "refs/tags/v0.2.0")
    assert notes.returncode == 0 and notes.stdout.strip() == "### Added\n\n- Teams."
    again = _release(tmp_path, "prepare", "0.3.0")  # Unreleased is empty now
    assert again.returncode == 2 and "empty" in again.stderr
    assert _release(tmp_path, "prepare", "v1").returncode == 2
