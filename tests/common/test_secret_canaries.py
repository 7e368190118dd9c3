"""Secrets scrubbed at one place (issue 12, acceptance 3): canary secrets that the GitHub API, the LLM
endpoint, every publisher and the SMTP server echo back in 401/403/500 answers — as an `Authorization`
header and bare — are absent from stderr, the logs (DEBUG, text and JSON), every byte of the store
(compressed columns included), the report files, the run summary and every payload received."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clirun import dailydiff
from fake_github import FakeGitHub
from fake_github_publish import FakeGitHubPublish
from fake_llm import FakeLLM
from fixtures import build_sample_repo
from smtp_server import SmtpServer, make_certificate
from webhook_receiver import WebhookReceiver

DATE = "2026-01-19"
CANARIES = {
    "GITHUB_TOKEN": "CANARYgh7f3a9c2e1b5d",  # the source's token (and the GitHub publishers')
    "LLM_KEY": "CANARYllm4e8d2a6f0c",
    "FEISHU_SECRET": "CANARYfeishu91b3",
    "DINGTALK_SECRET": "CANARYding52c7",
    "WEBHOOK_SECRET": "CANARYhook83d1",
    "SMTP_PASSWORD": "CANARYsmtp64e2",
}
HOOK = "CANARYpath0a9f"  # the secret part of every webhook URL
STATUSES = (401, 403, 500)
CHAT = ("feishu", "dingtalk", "wecom", "slack", "discord", "webhook")


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in-process (tests/clirun.py) with only ``env`` beside the environment's harmless part:
    every line it prints is checked, and a process of its own would add nothing but Python's start-up."""
    clean = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    return dailydiff(*args, env={**clean, **env}, cwd=cwd)


def store_text(data_dir: Path) -> str:
    """Every byte of the store's files, plus its compressed columns decompressed."""
    chunks = [p.read_bytes().decode("utf-8", "replace") for p in data_dir.rglob("*") if p.is_file()]
    db = sqlite3.connect(data_dir / "dailydiff.sqlite3")
    try:
        for (blob,) in [*db.execute("SELECT data FROM commits"), *db.execute("SELECT body FROM http_cache")]:
            chunks.append(zlib.decompress(blob).decode("utf-8", "replace"))
    finally:
        db.close()
    return "\n".join(chunks)


def files_text(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file())


def leaks(text: str) -> list[str]:
    return [c for c in [*CANARIES.values(), HOOK] if c in text]


@dataclass
class Sinks:
    stderr: str
    store: str
    outputs: str


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("canaries")
    repo = tmp / "sglang"
    build_sample_repo(repo)
    cert, key = make_certificate(tmp)
    return repo, cert, key


@dataclass
class World:
    llm: FakeLLM
    hooks: WebhookReceiver
    github: FakeGitHubPublish
    smtp: SmtpServer


@pytest.fixture
def world(base: tuple[Path, Path, Path]) -> Iterator[World]:
    _, cert, key = base
    llm = FakeLLM(echo_auth=True, fail_always=True).start()
    hooks = WebhookReceiver(feishu_secret=CANARIES["FEISHU_SECRET"], dingtalk_secret=CANARIES["DINGTALK_SECRET"],
                            webhook_secret=CANARIES["WEBHOOK_SECRET"], echo=True).start()  # fmt: skip
    github = FakeGitHubPublish(token=CANARIES["GITHUB_TOKEN"], echo=True).start()
    smtp = SmtpServer(cert, key, password=CANARIES["SMTP_PASSWORD"]).start()
    yield World(llm, hooks, github, smtp)
    smtp.stop()
    github.stop()
    hooks.stop()
    llm.stop()


def config_for(world: World, repo: Path, tmp: Path, *, publishers: bool) -> Path:
    publishing = _publishing(world)
    config = tmp / "dailydiff.toml"
    config.write_text(
        f"""
[report]
timezone = "Asia/Shanghai"
formats = ["md", "json"]

[analysis]
analyzer = "llm"
max_failure_ratio = 1.0

[llm]
base_url = "{world.llm.base_url}"
model = "{world.llm.model}"
api_key_env = "LLM_KEY"
retries = 1
backoff = 0.01

[[repos]]
source = "{repo}"
name = "sgl-project/sglang"
"""
        + (publishing if publishers else "")
    )
    return config


def _publishing(world: World) -> str:
    chat = "".join(
        f'[[publish]]\ntype = "{s}"\nurl_env = "{s.upper()}_URL"\nbackoff = 0.01\nretries = 0\n'
        + (f'secret_env = "{s.upper()}_SECRET"\n' if s in ("feishu", "dingtalk", "webhook") else "")
        for s in CHAT
    )
    return f"""
[[publish]]
type = "github-contents"
repository = "acme/reports"
api_url = "{world.github.url}"
backoff = 0.01
retries = 0

[[publish]]
type = "github-issue"
repository = "acme/reports"
api_url = "{world.github.url}"
backoff = 0.01
retries = 0

{chat}
[[publish]]
type = "email"
host = "127.0.0.1"
port = {world.smtp.port}
ca_file = "{world.smtp.cert}"
username = "reports"
password_env = "SMTP_PASSWORD"
sender = "bot@example.com"
recipients = ["team@example.com"]
timeout = 5
"""


def run_day(world: World, repo: Path, tmp: Path, *, publishers: bool, log_format: str = "text",
            ) -> tuple[subprocess.CompletedProcess[str], Sinks]:  # fmt: skip
    config = config_for(world, repo, tmp, publishers=publishers)
    env = dict(CANARIES) | {f"{s.upper()}_URL": url for s, url in world.hooks.urls(HOOK).items()}
    out, data = tmp / "out", tmp / "data"
    result = run(["run", "--date", DATE, "--config", str(config), "--data-dir", str(data), "--output-dir",
                  str(out), "--verbose", "--log-format", log_format, "--summary-json",
                  str(tmp / "summary.json")], env, tmp)  # fmt: skip
    received = json.dumps([r.decode() for rs in world.hooks.raw.values() for r in rs])
    received += "".join(str(e.message) for e in world.smtp.received) + str(world.github.files)
    return result, Sinks(result.stderr + result.stdout, store_text(data), files_text(tmp) + received)


@pytest.mark.slow
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_llm_endpoint_echoing_the_key(
    world: World, base: tuple[Path, Path, Path], tmp_path: Path, status: int, log_format: str
) -> None:
    world.llm.fail_status = status
    result, sinks = run_day(world, base[0], tmp_path, publishers=False, log_format=log_format)
    assert world.llm.requests and {r.status for r in world.llm.requests} == {status}
    assert all(r.authorization == f"Bearer {CANARIES['LLM_KEY']}" for r in world.llm.requests)
    if status == 500:  # the day is reported with rule-based fallbacks that name the model's error
        assert result.returncode == 0, result.stderr
        assert "upstream exploded" in sinks.outputs and "***" in sinks.outputs
    else:
        # the endpoint refused the key (its canary): the run stops, exit 5 as the README says
        assert result.returncode == 5 and f"HTTP {status}" in result.stderr
    assert leaks(sinks.stderr) == [], sinks.stderr
    assert leaks(sinks.store) == []
    assert leaks(sinks.outputs) == []


@pytest.mark.slow
@pytest.mark.parametrize("status", STATUSES)
def test_publishers_and_smtp_echoing_their_secrets(
    world: World, base: tuple[Path, Path, Path], tmp_path: Path, status: int
) -> None:
    world.llm.fail_status = 500  # the model's echo lands in the report too
    for service in ("feishu", "dingtalk", "wecom", "slack", "discord", "generic"):
        world.hooks.script[service] = [status] * 3
    world.github.script = [(status, {})] * 6
    world.smtp.echo = "data" if status == 500 else "auth"
    result, sinks = run_day(world, base[0], tmp_path, publishers=True)

    # The canaries were really sent and echoed back, and the run saw every failure.
    assert all(
        world.hooks.hits.get(s) for s in ("feishu", "dingtalk", "wecom", "slack", "discord", "generic")
    )
    assert len(world.github.requests) >= 2 and world.smtp.logins
    summary = json.loads((tmp_path / "summary.json").read_text())
    rows = summary["repos"][0]["days"][0]["publish"]
    assert len(rows) == 10 and [r["publisher"] for r in rows if r["status"] != "failed"] == ["files"], rows
    assert "upstream exploded" in sinks.outputs and "***" in sinks.outputs  # the model's echo, scrubbed
    if status != 500:  # a 5xx is retried and named by its status; a 401/403 quotes the body, scrubbed
        assert "***" in result.stderr, result.stderr
    assert (tmp_path / "out" / "2026").exists()  # the report files were written
    assert leaks(sinks.stderr) == [], sinks.stderr
    assert leaks(sinks.store) == []
    assert leaks(sinks.outputs) == []


@pytest.fixture(scope="module")
def github_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("gh") / "demo"
    build_sample_repo(repo)
    return repo


@pytest.mark.slow
@pytest.mark.parametrize("status", STATUSES)
def test_github_api_echoing_the_token(github_repo: Path, tmp_path: Path, status: int) -> None:
    def echo(fake: FakeGitHub, match: object, query: dict[str, str], headers: dict[str, str],
             body: bytes) -> tuple[int, dict[str, str]]:  # fmt: skip
        auth = headers.get("authorization", "")
        return status, {"message": f"Bad credentials for Authorization: {auth} (token {auth.split()[-1]}), "
                                   f"proxy saw Cookie: sid=unregistered0123456789abcdef"}  # fmt: skip

    with FakeGitHub({"octo/demo": github_repo}, token=CANARIES["GITHUB_TOKEN"]) as fake:
        fake.route("GET", r"^/repos/", echo)
        config = tmp_path / "dailydiff.toml"
        config.write_text(f'[github]\napi_url = "{fake.url}"\nretries = 1\nbackoff = 0.01\n'
                          '[[repos]]\nsource = "octo/demo"\n')  # fmt: skip
        data = tmp_path / "data"
        result = run(["run", "--date", DATE, "--config", str(config), "--data-dir", str(data), "--verbose",
                      "--output-dir", str(tmp_path / "out"), "--summary-json", str(tmp_path / "s.json")],
                     {"GITHUB_TOKEN": CANARIES["GITHUB_TOKEN"]}, tmp_path)  # fmt: skip
        doctor = run(["doctor", "--config", str(config), "--data-dir", str(data)],
                     {"GITHUB_TOKEN": CANARIES["GITHUB_TOKEN"]}, tmp_path)  # fmt: skip
        echoed = [r for r in fake.requests if r.path.startswith("/repos/")]
        assert echoed and {r.status for r in echoed} == {status}
        assert all(
            r.headers.get("authorization") == f"Bearer {CANARIES['GITHUB_TOKEN']}" for r in fake.requests
        )
    assert f"HTTP {status}" in doctor.stdout and leaks(doctor.stdout + doctor.stderr) == [], doctor.stdout
    assert result.returncode == 1  # the repository failed
    assert f"{status}" in result.stderr and "***" in result.stderr, result.stderr
    assert "unregistered0123456789abcdef" not in result.stderr  # redacted by pattern, never registered
    assert leaks(result.stderr + result.stdout) == [], result.stderr
    assert leaks(store_text(data)) == []
    assert leaks(files_text(tmp_path)) == []
