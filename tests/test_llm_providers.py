"""Real providers as they are (issue 83): the canary before the night, each provider's quirks, its cached
tokens and its prices — `dailydiff report` run as a user runs it against fakes that answer as they do."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from fake_llm import FakeLLM
from llm_fixtures import make_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("providers") / "repo")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def report(
    repo: Path, tmp: Path, fake: FakeLLM, *extra: str, key: str = "", model: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env.update(
        DAILYDIFF_LLM_BASE_URL=fake.base_url,
        DAILYDIFF_LLM_MODEL=model or fake.model,
        DAILYDIFF_LLM_BACKOFF="0.01",
        DAILYDIFF_LLM_RETRIES="1",
    )
    if key:
        env["DAILYDIFF_LLM_API_KEY"] = key
    command = ["report", str(repo), "--date", "2026-01-27", "--tz", "UTC", "--lang", "en",
               "--data-dir", str(tmp / "data"), "--output-dir", str(tmp / "out"), "--format", "md,json",
               "--summary-json", str(tmp / "summary.json"), "--analyzer", "llm", *extra]  # fmt: skip
    return dailydiff(*command, env=env, cwd=tmp)


# the canary ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "json_schema"])
def test_a_wrong_key_costs_one_request_exits_5_publishes_nothing_and_quotes_the_endpoint(
    repo: Path, fake: FakeLLM, tmp_path: Path, mode: str
) -> None:
    fake.api_key = "the-right-key"
    (tmp_path / "dailydiff.toml").write_text(f'[llm]\nresponse_mode = "{mode}"\n')
    done = report(repo, tmp_path, fake, key="sk-secret-wrong-key-987654")
    assert done.returncode == 5, done.stderr
    assert fake.count <= 2, [r.status for r in fake.requests]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "refused the API key (HTTP 401: Incorrect API key provided" in lines[0], lines
    assert "987654" not in done.stderr and "secret" not in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.*"))


@pytest.mark.parametrize("mode", ["auto", "json_object"])
def test_an_unknown_model_costs_one_request_exits_5_and_quotes_the_endpoint(
    repo: Path, fake: FakeLLM, tmp_path: Path, mode: str
) -> None:
    (tmp_path / "dailydiff.toml").write_text(f'[llm]\nresponse_mode = "{mode}"\n')
    done = report(repo, tmp_path, fake, model="no-such-model")
    assert done.returncode == 5, done.stderr
    assert fake.count <= 2
    assert "does not know model 'no-such-model'" in done.stderr
    assert "The model `no-such-model` does not exist" in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.*"))


def test_a_configured_mode_the_endpoint_refuses_stops_after_one_request(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.reject_formats = {"json_schema": 400}
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\n')
    done = report(repo, tmp_path, fake)
    assert done.returncode == 5, done.stderr
    assert fake.count == 1
    assert "refuses response_mode 'json_schema'" in done.stderr and 'response_mode = "auto"' in done.stderr


def test_a_good_endpoint_gets_one_canary_then_the_day(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\n')
    done = report(repo, tmp_path, fake)
    assert done.returncode == 0, done.stderr
    probes = [i for i, r in enumerate(fake.requests) if r.is_probe]
    assert probes == [0] and len(fake.analysis_requests()) == 5
    # The canary went alone: the first commit's request began after its answer was sent.
    assert fake.requests[1].started >= fake.requests[0].ended
