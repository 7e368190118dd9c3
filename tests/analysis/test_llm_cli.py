"""`dailydiff report --analyzer llm|auto` as a user runs it (in-process) against the fake endpoint."""

from __future__ import annotations

import json
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
    return make_repo(tmp_path_factory.mktemp("cli") / "repo")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def report(
    repo: Path, tmp: Path, fake: FakeLLM, *extra: str, key: str = "", files: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env.update(
        DAILYDIFF_LLM_BASE_URL=fake.base_url,
        DAILYDIFF_LLM_MODEL=fake.model,
        DAILYDIFF_LLM_BACKOFF="0.01",
        DAILYDIFF_LLM_RETRIES="1",
    )
    if key:
        env["DAILYDIFF_LLM_API_KEY"] = key
    command = ["report", str(repo), "--date", "2026-01-27", "--tz", "UTC",
               "--lang", "en", "--data-dir", str(tmp / "data"),
               *(["--output-dir", str(tmp / "out"), "--format", "md,json"] if files else []),
               "--summary-json", str(tmp / "summary.json"), *extra]  # fmt: skip
    return dailydiff(*command, env=env, cwd=tmp)


def test_auto_uses_the_configured_endpoint_and_reports_tokens_cost_and_a_summary(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    (tmp_path / "dailydiff.toml").write_text(
        '[llm.models."fake-model"]\ninput_price = 2.0\noutput_price = 8.0\n'
    )
    done = report(repo, tmp_path, fake, "--analyzer", "auto")
    assert done.returncode == 0, done.stderr
    md = next((tmp_path / "out").rglob("*.md")).read_text()
    stats_line = next(line for line in md.splitlines() if line.startswith("> "))
    data = json.loads(next((tmp_path / "out").rglob("*.json")).read_text())
    stats = data["stats"]
    assert stats["prompt_tokens"] > 0 and stats["cost"] > 0
    assert f"🔢 tokens of this day {stats['prompt_tokens']}+{stats['completion_tokens']}" in stats_line
    assert f"💰 cost of this day ${stats['cost']:.4f}" in stats_line
    assert "analyser: llm:fake-model" in md
    summary = json.loads((tmp_path / "summary.json").read_text())["reports"][0]
    assert (summary["analysed"], summary["cached"], summary["fallback"], summary["failed"]) == (5, 0, 0, 0)
    assert "analysed 5, cached 0, fallback 0, failed 0; tokens" in done.stderr

    fake.reset()
    again = report(repo, tmp_path, fake, "--analyzer", "auto", "--force")  # built again, from the store
    assert again.returncode == 0 and fake.count == 0
    assert "analysed 0, cached 5, fallback 0, failed 0" in again.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())["reports"][0]
    assert (summary["analysed"], summary["cached"], summary["prompt_tokens"]) == (0, 5, 0)


def test_a_failing_endpoint_gives_a_complete_report_counts_why_and_exits_non_zero(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.fail_always = True
    done = report(repo, tmp_path, fake, "--analyzer", "llm")
    assert done.returncode == 6, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("dailydiff: error:")]
    # The gate words its share as the statistics do: 100% is "fell back or failed", not "failed".
    assert (
        len(errors) == 1
        and "fallen back to the rules or failed" in errors[0]
        and "Traceback" not in done.stderr
    )
    assert "100%: fallback 5, failed 0" in errors[0]
    assert "5 × server error after every retry: HTTP 500" in done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())["reports"][0]
    assert summary["fallback"] == 5 and summary["gated"] is True
    assert all("server error" in reason for reason in summary["failures"])
    # A gated day is no report: no file (issue 14 item 4); stdout shows it under a warning.
    assert not list((tmp_path / "out").rglob("*.*"))
    shown = report(repo, tmp_path, fake, "--analyzer", "llm", files=False)
    assert shown.returncode == 6
    md = shown.stdout
    # The stored gate's warning sits under the repository's heading (render/markdown.py gate_warning).
    assert (
        "\n> ⚠️ **Not a report: 100% (5/5) of the analyses fell back to the rules or failed (fallback 5, failed 0).**"
        in md
    )
    assert md.count("⚠️ The model analysis failed") == 5 and "⚠️ fallback 5 | ❌ failed analyses 0" in md


def test_a_rejected_key_stops_with_one_line_and_never_shows_the_key(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.api_key = "right"
    done = report(repo, tmp_path, fake, "--analyzer", "llm", key="sk-secret-wrong-key")
    assert done.returncode == 5
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dailydiff: error: the LLM endpoint")
    assert (
        "DAILYDIFF_LLM_API_KEY" in lines[0] and "secret" not in done.stderr and "Traceback" not in done.stderr
    )
    assert fake.count <= 8
    data_files = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert b"sk-secret-wrong-key" not in data_files
