"""`dailydiff init` writes a config that loads unchanged and a workflow that runs the documented command;
`dailydiff doctor` reports ✓ on the fixtures and specific ✗ lines for broken repositories."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from dailydiff.scaffold import RUN_COMMAND
from dailydiff.settings import defaults_text, load_settings
from fake_github import FakeGitHub
from fake_llm import FakeLLM
from netports import free_port
from opsfixtures import FIRST_DAY, REPO_ROOT, build_fixture_repo, build_workspace, cli_env, dailydiff
from webhook_receiver import WebhookReceiver


def test_init_writes_both_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    result = dailydiff("init", cwd=tmp_path)
    config = tmp_path / "dailydiff.toml"
    workflow = tmp_path / ".github" / "workflows" / "dailydiff.yml"
    assert config.is_file() and workflow.is_file()
    assert "wrote" in result.stderr
    config.write_text(config.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    again = dailydiff("init", cwd=tmp_path, check=False)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines()[-1].startswith("dailydiff: error: ")
    assert "--force" in again.stderr and "# my edit" in config.read_text(encoding="utf-8")
    dailydiff("init", "--force", cwd=tmp_path)
    assert "# my edit" not in config.read_text(encoding="utf-8")


def test_init_config_is_short_and_loads_into_the_default_settings_unchanged(tmp_path: Path) -> None:
    result = dailydiff("init", cwd=tmp_path)
    config = tmp_path / "dailydiff.toml"
    text = config.read_text(encoding="utf-8")
    written = tomllib.loads(text)
    # No default is frozen into the file: only the sections a user fills in are there, and they are empty.
    assert written == {
        "report": {},
        "watch": [
            {"name": "security", "keywords": ["security", "CVE", "vulnerability", "安全"]},
            {"name": "dependencies", "paths": tomllib.loads(text)["watch"][1]["paths"]},
        ],
    }
    assert len(text.splitlines()) < 60, len(text.splitlines())
    # The example repository is there, commented out, so `doctor` does not go to GitHub for it.
    assert '# [[repos]]\n# source = "sgl-project/sglang"' in text
    loaded = load_settings(config, environ={})
    plain = load_settings(None, environ={}, cwd=tmp_path / "nowhere")
    assert loaded.model_dump(exclude={"repos", "watch"}) == plain.model_dump(exclude={"repos", "watch"})
    assert loaded.repos == [] and [w.name for w in loaded.watch] == ["security", "dependencies"]
    assert "dailydiff init --defaults" in text and "wrote" in result.stderr
    # The full reference, every setting with its comment, is one command away.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert dailydiff("init", "--defaults", cwd=empty).stdout == defaults_text()
    assert not list(empty.iterdir())  # --defaults writes nothing


def test_init_warns_about_a_local_path_in_a_config_meant_for_actions(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "repos" / "alpha", 0, per_day=1)
    result = dailydiff(
        "init",
        "--repo",
        "repos/alpha",
        "--repo",
        "sgl-project/sglang",
        "--repo",
        "gitlab:acme/platform/api",
        cwd=tmp_path,
    )
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert "repos[1].source = 'repos/alpha' is a local path" in warnings[0]
    assert [r.source for r in load_settings(tmp_path / "dailydiff.toml", environ={}).repos] == [
        "repos/alpha",
        "sgl-project/sglang",
        "gitlab:acme/platform/api",
    ]


@pytest.mark.slow  # the workflow's steps in bash: a real process, git push
def test_init_workflow_parses_and_its_run_step_runs_the_documented_command(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "repos" / "alpha", 0, per_day=2)
    dailydiff("init", "--repo", "repos/alpha", cwd=tmp_path)
    workflow = yaml.safe_load(
        (tmp_path / ".github" / "workflows" / "dailydiff.yml").read_text(encoding="utf-8")
    )
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"] == [{"cron": "0 18 * * *"}]
    assert "workflow_dispatch" in triggers
    job = workflow["jobs"]["report"]
    assert job["env"]["DAILYDIFF_DATA_DIR"] == ".dailydiff"
    assert job["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert steps["actions/setup-python@v5"]["with"]["python-version"] == "3.11"
    assert steps["Restore the data directory"]["uses"] == "actions/cache/restore@v4"
    assert steps["Restore the data directory"]["with"]["path"] == ".dailydiff"
    assert steps["Save the data directory"]["uses"] == "actions/cache/save@v4"
    assert "git push" in steps["Commit the reports"]["run"]
    run = steps["Run dailydiff"]["run"]
    assert run == RUN_COMMAND
    assert RUN_COMMAND in (REPO_ROOT / "README.md").read_text(encoding="utf-8")  # the documented command

    # Run the step as Actions would (bash), with `dailydiff` on PATH and the job's environment.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "dailydiff"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dailydiff "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = cli_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", DAILYDIFF_DATA_DIR=".dailydiff",
                  DATE=FIRST_DAY.isoformat())  # fmt: skip
    result = subprocess.run(
        ["bash", "-e", "-c", run], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reports" / "2026" / "alpha" / f"{FIRST_DAY}.md").is_file()
    assert (tmp_path / "summary.json").is_file() and (tmp_path / ".dailydiff").is_dir()

    # The commit step commits the reports (and not a killed writer's temporary file) and pushes them.
    leftover = tmp_path / "reports" / "2026" / "alpha" / f".{FIRST_DAY}.md.x1y2.tmp"
    leftover.write_text("half a report", encoding="utf-8")
    git_env = {**env, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str, cwd: Path = tmp_path) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=git_env, capture_output=True, text=True, check=True
        )
        return done.stdout

    git("init", "-q", "--bare", "-b", "main", str(tmp_path / "remote.git"))
    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init")
    git("remote", "add", "origin", str(tmp_path / "remote.git"))
    git("push", "-q", "-u", "origin", "main")
    commit_step = steps["Commit the reports"]["run"]
    pushed = subprocess.run(["bash", "-e", "-c", commit_step], cwd=tmp_path, env=git_env, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    files = git("ls-tree", "-r", "--name-only", "main", cwd=tmp_path / "remote.git").split()
    assert f"reports/2026/alpha/{FIRST_DAY}.md" in files and not [f for f in files if f.endswith(".tmp")]
    assert "Daily reports for 2026-01-05" in git("log", "-1", "--format=%s", cwd=tmp_path / "remote.git")


def test_doctor_is_all_green_on_the_fixtures(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=3, per_day=1, last_by_url=True)
    result = dailydiff("doctor", cwd=tmp_path)
    lines = result.stdout.strip().splitlines()
    assert all(line.startswith("✓ ") for line in lines[:-1]), result.stdout
    assert {"✓ config", "✓ git", "✓ data directory"} <= {line.split(":")[0] for line in lines}
    assert sum(line.startswith("✓ repository proj") for line in lines) == 3
    assert lines[-1] == f"{len(lines) - 1} ok, 0 failed"


def test_doctor_names_each_broken_repository(tmp_path: Path) -> None:
    (tmp_path / "not-a-repo").mkdir()
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    port = free_port()
    body = f"""
[[repos]]
source = "good"
[[repos]]
source = "./missing"
[[repos]]
source = "not-a-repo"
[[repos]]
source = "file://{tmp_path}/nowhere.git"
name = "bad-url"
[[repos]]
source = "http://127.0.0.1:{port}/org/repo.git"
name = "closed-port"
[[repos]]
source = "good"
name = "bad-branch"
branch = "no-such-branch"
"""
    (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
    result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False)
    assert result.returncode == 1
    lines = {line.split(":")[0]: line for line in result.stdout.strip().splitlines()}
    assert lines["✓ repository good"]
    assert "neither an existing path" in lines["✗ repository ./missing"]
    assert "not a git repository" in lines["✗ repository not-a-repo"]
    assert "cannot reach" in lines["✗ repository bad-url"] and "— fix: " in lines["✗ repository bad-url"]
    assert "cannot reach http://127.0.0.1" in lines["✗ repository closed-port"]
    assert "no-such-branch" in lines["✗ repository bad-branch"]
    assert result.stdout.strip().splitlines()[-1] == "5 ok, 5 failed"
    assert "Traceback" not in result.stderr


def test_doctor_reports_a_broken_config_and_an_unwritable_data_dir(tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text(
        '[[repos]]\nsource = "a/b"\ntimezone = "Mars/Base"\n', encoding="utf-8"
    )
    result = dailydiff("doctor", cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("✗ config: invalid setting 'repos[1].timezone'")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    (tmp_path / "dailydiff.toml").write_text('[[repos]]\nsource = "."\n', encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = dailydiff("doctor", "--data-dir", blocker / "data", cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert any(line.startswith("✗ data directory:") and "fix:" in line for line in result.stdout.splitlines())


def test_doctor_names_unset_publisher_secrets(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    body = '[[repos]]\nsource = "good"\n[[publish]]\ntype = "slack"\nurl_env = "DAILYDIFF_TEST_UNSET_URL"\n'
    (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
    result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert (
        "✗ publishers: publisher slack: environment variable DAILYDIFF_TEST_UNSET_URL (url_env) is not set"
        in (result.stdout)
    )
    receiver = WebhookReceiver().start()  # doctor also tries the target (tests/test_doctor_targets.py)
    try:
        ok = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path,
                       env={"DAILYDIFF_TEST_UNSET_URL": receiver.urls()["slack"]})  # fmt: skip
    finally:
        receiver.stop()
    assert "✓ publishers: slack: every named environment variable is set" in ok.stdout


def test_doctor_checks_the_github_token_rate_limit_and_repositories(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "demo", 0, per_day=1)
    body = '[[repos]]\nsource = "octo/demo"\nname = "demo"\n[[repos]]\nsource = "octo/missing"\n'
    (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
    canary = "ghp_CANARY0123456789abcdef"
    with FakeGitHub({"octo/demo": tmp_path / "demo"}, token=canary) as fake:
        base = {"DAILYDIFF_GITHUB_API_URL": fake.url, "GITHUB_TOKEN": "", "DAILYDIFF_GITHUB_TOKEN": ""}
        good = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                         env={**base, "DAILYDIFF_GITHUB_TOKEN": canary})  # fmt: skip
        bad = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                        env={**base, "DAILYDIFF_GITHUB_TOKEN": "ghp_wrong_token_000"})  # fmt: skip
        fake.remaining = 7
        low = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                        env={**base, "DAILYDIFF_GITHUB_TOKEN": canary})  # fmt: skip
    lines = {line.split(":")[0]: line for line in good.stdout.splitlines()}
    assert "token from DAILYDIFF_GITHUB_TOKEN accepted; rate limit 5000/5000 left" in lines["✓ github"]
    assert "octo/demo is reachable on GitHub" in lines["✓ repository demo"]
    assert (
        "HTTP 404" in lines["✗ repository octo/missing"]
        and "owner/name spelling" in lines["✗ repository octo/missing"]
    )
    assert good.returncode == 1  # the missing repository
    assert (
        "✗ github token: DAILYDIFF_GITHUB_TOKEN was rejected" in bad.stdout
        and "Bad credentials" in bad.stdout
    )
    assert "✗ github: token from DAILYDIFF_GITHUB_TOKEN accepted; rate limit 7/5000 left" in low.stdout
    for result in (good, bad, low):
        assert canary not in result.stdout + result.stderr


def test_doctor_asks_the_llm_endpoint_a_structured_question(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    (tmp_path / "dailydiff.toml").write_text(
        '[[repos]]\nsource = "good"\nanalyzer = "llm"\n', encoding="utf-8"
    )
    canary = "sk-CANARY-0123456789abcdef"
    with FakeLLM(api_key=canary) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model}
        good = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                         env={**env, "DAILYDIFF_LLM_API_KEY": canary})  # fmt: skip
        bad_key = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                            env={**env, "DAILYDIFF_LLM_API_KEY": "sk-wrong-key-000000"})  # fmt: skip
        bad_model = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                              env={**env, "DAILYDIFF_LLM_API_KEY": canary, "DAILYDIFF_LLM_MODEL": "nope"})  # fmt: skip
        fake.canned = lambda body: "sure! ok"
        prose = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False,
                          env={**env, "DAILYDIFF_LLM_API_KEY": canary})  # fmt: skip
        asked = [r.body for r in fake.requests]
    assert good.returncode == 0, good.stdout
    assert (
        "✓ llm: fake-model at http://127.0.0.1" in good.stdout
        and "answered a structured request in response mode json_schema (negotiated: json_schema: ok)"
        in good.stdout
    )
    assert asked[0]["response_format"]["type"] in ("json_schema", "json_object")
    assert bad_key.returncode == 1 and "✗ llm: " in bad_key.stdout and "auth" in bad_key.stdout
    assert "✗ llm: nope at " in bad_model.stdout and "not_found" in bad_model.stdout
    assert "did not answer the JSON asked for" in prose.stdout
    for result in (good, bad_key, bad_model, prose):
        assert canary not in result.stdout + result.stderr


def test_doctor_says_a_server_ignores_stream_and_what_to_set(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    (tmp_path / "dailydiff.toml").write_text(
        '[[repos]]\nsource = "good"\nanalyzer = "llm"\n', encoding="utf-8"
    )
    with FakeLLM(ignore_stream=True) as fake:  # a proxy that answers `stream: true` with one JSON body
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model}
        result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False, env=env)
        streamed = [bool(r.body.get("stream")) for r in fake.requests]
    line = next(text for text in result.stdout.splitlines() if " llm: " in text)
    assert result.returncode == 0 and line.startswith("✓ llm: "), result.stdout
    assert "ignores `stream`" in line and "set llm.stream = false" in line, line
    assert streamed and all(streamed)  # what a run asks by default was asked


def test_init_workflow_only_passes_the_secrets_the_config_names(tmp_path: Path) -> None:
    body = '[[repos]]\nsource = "a/b"\n\n[[publish]]\ntype = "slack"\nurl_env = "TEAM_SLACK_URL"\n'
    (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
    dailydiff("init", "--workflow-only", cwd=tmp_path)
    assert (tmp_path / "dailydiff.toml").read_text(encoding="utf-8") == body  # untouched
    workflow = yaml.safe_load(
        (tmp_path / ".github" / "workflows" / "dailydiff.yml").read_text(encoding="utf-8")
    )
    env = workflow["jobs"]["report"]["env"]
    assert env["TEAM_SLACK_URL"] == "${{ secrets.TEAM_SLACK_URL }}" and "GITHUB_TOKEN" in env
    assert "DAILYDIFF_LLM_API_KEY" in env  # named by the defaults, which the config leaves as they are
    again = dailydiff("init", "--workflow-only", cwd=tmp_path, check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    (tmp_path / "dailydiff.toml").write_text('[[repos]]\nsource = ""\n', encoding="utf-8")
    broken = dailydiff("init", "--workflow-only", "--force", cwd=tmp_path, check=False)
    assert broken.returncode == 2 and "'repos[1].source'" in broken.stderr


@pytest.mark.parametrize(
    "install",
    [
        "python -m pip install dailydiff==0.1.0",
        "pip install 'dailydiff[postgres]==0.1.0' # pinned: see the changelog",
        '"$PYTHON" -m pip install --index-url https://pypi.example.com/simple dailydiff',
        "- pip install dailydiff",
    ],
)
@pytest.mark.parametrize("workers", ["1", "3"])
def test_init_install_is_the_workflows_install_step_exactly(
    tmp_path: Path, install: str, workers: str
) -> None:
    dailydiff("init", "--install", install, "--workers", workers, cwd=tmp_path)
    workflow = yaml.safe_load(
        (tmp_path / ".github" / "workflows" / "dailydiff.yml").read_text(encoding="utf-8")
    )
    runs = [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
            if step.get("name") == "Install dailydiff"]  # fmt: skip
    assert runs and set(runs) == {install}, runs


def test_doctor_says_which_version_runs_and_whether_the_workflow_pins_it(tmp_path: Path) -> None:
    from dailydiff import __version__

    dailydiff("init", cwd=tmp_path)
    lines = dailydiff("doctor", cwd=tmp_path, check=False).stdout.splitlines()
    assert f"✓ version: dailydiff {__version__}, the version dailydiff.yml pins" in lines
    workflow = tmp_path / ".github" / "workflows" / "dailydiff.yml"
    text = workflow.read_text(encoding="utf-8")
    workflow.write_text(text.replace(f"dailydiff=={__version__}", "dailydiff==0.0.1"), encoding="utf-8")
    # Inside the workflow (GitHub Actions names it): a mismatch is a failure, with both versions.
    inside = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path),
              "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/dailydiff.yml@refs/heads/main"}  # fmt: skip
    result = dailydiff("doctor", cwd=tmp_path, check=False, env=inside)
    line = next(x for x in result.stdout.splitlines() if "version:" in x)
    assert line.startswith(f"✗ version: dailydiff {__version__} installed, but dailydiff.yml pins 0.0.1")
    assert result.returncode == 1
    workflow.write_text(text.replace(f"'dailydiff=={__version__}'", "dailydiff"), encoding="utf-8")
    line = next(
        x for x in dailydiff("doctor", cwd=tmp_path, check=False).stdout.splitlines() if "version:" in x
    )
    assert line.startswith("! version:") and "unpinned" in line


def test_doctor_names_a_target_that_failed_alert_after_days_in_a_row(tmp_path: Path) -> None:
    import datetime as dt

    from dailydiff.publish.base import Secrets
    from dailydiff.publish.registry import build_publishers
    from dailydiff.store import Store

    data = tmp_path / "data"
    (tmp_path / "dailydiff.toml").write_text(
        '[[publish]]\nname = "team-slack"\ntype = "slack"\nurl_env = "TEAM_SLACK_URL"\n\n'
        '[[publish]]\nname = "mail"\ntype = "email"\nhost = "127.0.0.1"\nsender = "a@example.com"\n'
        'recipients = ["b@example.com"]\n'
    )
    env = {"TEAM_SLACK_URL": "http://127.0.0.1:1/services/T/B/CANARY-doctor-hook"}
    settings = load_settings(tmp_path / "dailydiff.toml", environ=env, overrides={"data_dir": str(data)})
    slack, mail = (p.target for p in build_publishers(settings.publish, Secrets(env)))
    outcomes = {  # (repo, target, publisher): the state of each day, oldest first
        ("o/r", slack, "team-slack"): ["delivered", "failed", "failed", "failed"],
        ("o/r", mail, "mail"): ["failed", "failed", "failed", "delivered"],  # recovered
        ("o/other", slack, "team-slack"): ["delivered", "delivered", "failed", "failed"],
        ("o/r", "slack:sha256:0123456789abcdef", "team-slack"): ["failed"] * 4,  # its replaced address
        ("o/r", "discord:sha256:0123456789abcdef", "old-discord"): ["failed"] * 4,  # removed from the config
    }
    with Store.connect(settings.data_path / "dailydiff.sqlite3") as store:
        for (repo, target, publisher), states in outcomes.items():
            for i, state in enumerate(states):
                date = dt.date(2026, 1, 4) + dt.timedelta(days=i)
                assert store.claim_delivery(repo, date, "zh", target, publisher=publisher, content_hash="h",
                                            owner="me", seen=None)  # fmt: skip
                store.finish_delivery(repo, date, "zh", target, owner="me", state=state, content_hash="h",
                                      detail="HTTP 404: no such webhook" if state == "failed" else "ok")  # fmt: skip
    result = dailydiff("doctor", "--data-dir", data, cwd=tmp_path, check=False, env=env)
    assert "CANARY" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("✗ deliveries: ")]
    assert lines == [
        "✗ deliveries: team-slack has failed for o/r on 3 days in a row (2026-01-05 to 2026-01-07; last: "
        "HTTP 404: no such webhook) — fix: check the team-slack target; once it works, `dailydiff publish o/r "
        "--from 2026-01-05 --to 2026-01-07 --only team-slack` sends what it missed"
    ], result.stdout
    assert result.returncode == 1
    two = dailydiff(
        "doctor", "--data-dir", data, cwd=tmp_path, check=False, env=env | {"DAILYDIFF_RUN_ALERT_AFTER": "2"}
    )
    assert sum(line.startswith("✗ deliveries: ") for line in two.stdout.splitlines()) == 2, two.stdout
    # Where TEAM_SLACK_URL is not set (its address unknown), team-slack's streaks are named by its name alone.
    unset = dailydiff("doctor", "--data-dir", data, cwd=tmp_path, check=False)
    named = [line for line in unset.stdout.splitlines() if line.startswith("✗ deliveries: ")]
    assert [line.split(" (")[0] for line in named] == [
        "✗ deliveries: team-slack has failed for o/r on 4 days in a row",
        "✗ deliveries: team-slack has failed for o/r on 3 days in a row",
    ], unset.stdout
    never = dailydiff(
        "doctor", "--data-dir", data, cwd=tmp_path, check=False, env={"DAILYDIFF_RUN_ALERT_AFTER": "0"}
    )
    assert "deliveries" not in never.stdout


def test_doctor_says_a_long_history_without_a_commit_graph_is_parsed_whole_each_day(tmp_path: Path) -> None:
    """A day is read with a walk of the whole history: a local repository of 10,000 commits or more without
    git's commit-graph is a "!" line naming the command that writes one; with it, ✓."""
    repo = tmp_path / "long"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = b"".join(
        b"commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata 8\nc %05d\n%s\n"
        % (n, 1_700_000_000 + 60 * n, n, b"from :%d\n" % (n - 1) if n > 1 else b"")
        for n in range(1, 10_001)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True)
    (tmp_path / "dailydiff.toml").write_text('[[repos]]\nsource = "long"\n', encoding="utf-8")

    def line() -> str:
        result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, check=False)
        found = [x for x in result.stdout.splitlines() if x[2:].startswith("repository long")]
        assert len(found) == 1 and "Traceback" not in result.stderr, result.stdout + result.stderr
        return found[0]

    warned = line()
    assert warned.startswith(f"! repository long: {repo} is a git repository (long);"), warned
    assert "its 10,000 commits have no commit-graph" in warned
    assert f"— fix: git -C {repo} commit-graph write --reachable" in warned
    subprocess.run(["git", "commit-graph", "write", "--reachable"], cwd=repo, check=True, capture_output=True)
    assert line() == f"✓ repository long: {repo} is a git repository (long)"
