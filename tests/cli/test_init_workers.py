"""`dailydiff init --workers N --kubernetes`: a GitHub Actions matrix of workers sharing one plan in
PostgreSQL, and a Kubernetes CronJob of an Indexed Job. Both parse, name their secrets, hold no password."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from dailydiff import __version__
from dailydiff.cli.app import app
from dailydiff.scaffold import KUBERNETES_PATH, RUN_COMMAND, WORKER_COMMAND, WORKFLOW_PATH

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
CONFIG = '[[repos]]\nsource = "a/b"\n\n[[publish]]\ntype = "slack"\nurl_env = "TEAM_SLACK_URL"\n'


def _init(tmp_path: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, ["init", "-C", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    return result


def _no_password(text: str) -> None:
    assert not re.search(r"postgres(ql)?://[^\s@/]*:[^\s@/]*@", text)  # no user:password@ in any URL
    assert "PASSWORD=" not in text.upper().replace("PGPASSWORD", "")


def test_workers_workflow_is_a_matrix_on_one_store_then_one_commit(tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text(CONFIG, encoding="utf-8")
    _init(tmp_path, "--workflow-only", "--workers", "4")
    text = (tmp_path / WORKFLOW_PATH).read_text(encoding="utf-8")
    _no_password(text)
    workflow = yaml.safe_load(text)
    env = workflow["env"]
    assert env["DAILYDIFF_STORE_URL"] == "${{ secrets.DAILYDIFF_STORE_URL }}"
    assert env["TEAM_SLACK_URL"] == "${{ secrets.TEAM_SLACK_URL }}" and "GITHUB_TOKEN" in env
    work = workflow["jobs"]["work"]
    assert work["strategy"]["matrix"]["worker"] == [1, 2, 3, 4]
    assert work["strategy"]["fail-fast"] is False  # one worker failing does not cancel the others
    steps = {s.get("name", s.get("uses")): s for s in work["steps"]}
    assert steps["Install dailydiff"]["run"] == f"python -m pip install 'dailydiff[postgres]=={__version__}'"
    run = steps["Run dailydiff (worker ${{ matrix.worker }} of 4)"]["run"]
    assert run == WORKER_COMMAND and '--plan "github-${{ github.run_id }}-${{ github.run_attempt }}"' in run
    reports = workflow["jobs"]["reports"]
    assert reports["needs"] == "work"
    last = {s.get("name", s.get("uses")): s for s in reports["steps"]}
    assert last["Write the report files from the store"]["run"] == RUN_COMMAND
    assert "git push" in last["Commit the reports"]["run"]
    for secret in re.findall(r"secrets\.(\w+)", text):
        assert secret in env  # every secret it uses is named at the top


def _container(manifest: dict[str, Any]) -> dict[str, Any]:
    job = manifest["spec"]["jobTemplate"]["spec"]
    return dict(job["template"]["spec"]["containers"][0])


def test_kubernetes_manifest_is_an_indexed_job_that_names_its_secrets(tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text(CONFIG, encoding="utf-8")
    _init(tmp_path, "--workflow-only", "--workers", "3", "--kubernetes", "--force")
    text = (tmp_path / KUBERNETES_PATH).read_text(encoding="utf-8")
    _no_password(text)
    manifest = yaml.safe_load(text)
    assert (manifest["apiVersion"], manifest["kind"]) == ("batch/v1", "CronJob")
    job = manifest["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed" and job["completions"] == job["parallelism"] == 3
    container = _container(manifest)
    secrets = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert set(secrets) == {"DAILYDIFF_STORE_URL", "GITHUB_TOKEN", "DAILYDIFF_LLM_API_KEY", "TEAM_SLACK_URL"}
    assert all(ref["name"] == "dailydiff" and ref["key"] == name for name, ref in secrets.items())
    assert "optional" not in secrets["DAILYDIFF_STORE_URL"]  # the store is required
    plan = next(e for e in container["env"] if e["name"] == "JOB_NAME")
    assert plan["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['job-name']"
    assert '--plan "$JOB_NAME"' in container["args"][0]
    for name in secrets:
        assert f"#   {name}" in text  # listed in the instructions at the top


def test_one_worker_keeps_the_single_job_workflow(tmp_path: Path) -> None:
    _init(tmp_path)
    workflow = yaml.safe_load((tmp_path / WORKFLOW_PATH).read_text(encoding="utf-8"))
    assert set(workflow["jobs"]) == {"report"} and not (tmp_path / KUBERNETES_PATH).exists()


def test_the_readme_shows_both() -> None:
    assert "dailydiff init --workers 4 --kubernetes" in README
    assert WORKER_COMMAND in README and "completionMode: Indexed" in README


@pytest.mark.parametrize(
    "flags", [(), ("--workers", "3"), ("--kubernetes",), ("--workers", "3", "--kubernetes")]
)
def test_every_file_init_writes_pins_the_running_version(tmp_path: Path, flags: tuple[str, ...]) -> None:
    result = _init(tmp_path, *flags)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"}]
    assert len(written) == 1 + ("--kubernetes" in flags)
    for path in written:
        text = path.read_text(encoding="utf-8")
        installs = [line for line in text.splitlines() if "pip install" in line]
        assert installs, path
        for line in installs:
            assert re.search(rf"'dailydiff(\[postgres\])?=={re.escape(__version__)}'", line), line
        # Nothing that would take whatever a registry serves under the name: no unpinned install.
        assert not re.search(r"pip install[^\n]*dailydiff(\[postgres\])?'?(\s|$)", text), path
    assert f"=={__version__}" in result.output and "--install" in result.output


def test_install_overrides_the_pin_everywhere(tmp_path: Path) -> None:
    wheel = "python -m pip install ./dist/dailydiff-9.9.9-py3-none-any.whl"
    result = _init(tmp_path, "--workers", "2", "--kubernetes", "--install", wheel)
    for name in (WORKFLOW_PATH, "kubernetes/dailydiff.yaml"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert wheel in text and f"=={__version__}" not in text, name
    assert "the version that ran init" not in result.output
