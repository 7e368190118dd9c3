"""Real providers as they are (issue 83): the canary before the night, each provider's quirks, its cached
tokens and its prices — `dailydiff report` run as a user runs it against fakes that answer as they do."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from dailyrepos import build_daily_repo
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, build_repo
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


# each provider's quirks ------------------------------------------------------------------------------------


def _day(tmp: Path) -> tuple[dict, str]:
    """The day's JSON report and its Markdown, as written."""
    data = json.loads(next((tmp / "out").rglob("*.json")).read_text(encoding="utf-8"))
    return data, next((tmp / "out").rglob("*.md")).read_text(encoding="utf-8")


def _analysed_in_full(done: subprocess.CompletedProcess[str], tmp: Path) -> dict:
    assert done.returncode == 0, done.stderr
    data, _ = _day(tmp)
    assert (data["stats"]["failed"], data["stats"]["fallback"]) == (0, 0), data["run"]["failures"]
    assert data["run"]["analysed"] == COMMITS and data["overview"]["producer"].startswith("llm:")
    return data


COMMITS = 5


def test_a_blank_json_reply_with_a_normal_finish_is_asked_again(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.blank_first = COMMITS  # DeepSeek: "" with finish_reason "stop", once a commit
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_object"\n')
    _analysed_in_full(report(repo, tmp_path, fake), tmp_path)
    assert sorted(fake.per_commit().values()) == [2] * COMMITS  # the blank answer, then a real one


def test_keep_alive_lines_longer_than_the_read_timeout_are_waited_for_within_the_deadline(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.keep_alive = 1.2  # DeepSeek under load: `: keep-alive` and blank lines before the first token
    (tmp_path / "dailydiff.toml").write_text(
        '[llm]\nresponse_mode = "json_schema"\nread_timeout = 0.4\ntimeout = 20.0\nconcurrency = 8\n'
    )
    _analysed_in_full(report(repo, tmp_path, fake), tmp_path)
    assert sorted(fake.per_commit().values()) == [1] * COMMITS  # each waited for, none asked twice


def test_a_stall_after_keep_alive_lines_is_still_bounded_by_the_deadline(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.keep_alive = 30.0  # kept alive for longer than the request may take
    (tmp_path / "dailydiff.toml").write_text(
        '[llm]\nresponse_mode = "json_schema"\nread_timeout = 0.2\ntimeout = 1.0\nretries = 0\n'
    )
    started = time.monotonic()
    done = report(repo, tmp_path, fake)
    assert time.monotonic() - started < 25
    assert done.returncode == 6 and "did not answer in time" in done.stderr


@pytest.mark.parametrize("language", ["en", "zh"])
def test_json_mode_says_json_where_the_provider_requires_the_word(
    repo: Path, fake: FakeLLM, tmp_path: Path, language: str
) -> None:
    fake.json_word_required = True  # DashScope: json_object without the word "JSON" in a message is a 400
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_object"\n')
    done = report(repo, tmp_path, fake, "--lang", language)
    _analysed_in_full(done, tmp_path)
    assert all(r.status == 200 for r in fake.requests)


def test_thinking_is_switched_off_unless_configured(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.thinking_default = True  # Qwen3 on DashScope thinks (billed) unless told not to
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\nprovider = "dashscope"\n')
    data = _analysed_in_full(report(repo, tmp_path, fake), tmp_path)
    assert all(r.body.get("enable_thinking") is False for r in fake.requests)
    assert data["stats"]["completion_tokens"] == sum(b["completion"] for b in fake.billed if not b["probe"])
    assert not any("think" in json.dumps(c["analysis"]) for c in data["commits"] if c.get("analysis"))

    fake.reset()
    (tmp_path / "dailydiff.toml").write_text(
        '[llm]\nresponse_mode = "json_schema"\nprovider = "dashscope"\nthinking = true\n'
    )
    done = report(repo, tmp_path, fake, "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert fake.requests and all(r.body.get("enable_thinking") is True for r in fake.requests)


def test_other_providers_are_not_sent_the_thinking_switch(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\nservice_tier = "flex"\n')
    _analysed_in_full(report(repo, tmp_path, fake), tmp_path)
    assert all("enable_thinking" not in r.body and r.body["service_tier"] == "flex" for r in fake.requests)


@pytest.mark.parametrize("field", ["deepseek", "openai"])
def test_cached_tokens_of_each_shape_are_stored_summed_and_shown(
    repo: Path, fake: FakeLLM, tmp_path: Path, field: str
) -> None:
    fake.cache_field, fake.cache_block = field, 16
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\nconcurrency = 1\n')
    done = report(repo, tmp_path, fake)
    data = _analysed_in_full(done, tmp_path)
    served = sum(b["cached"] for b in fake.billed if not b["probe"])
    assert served > 0
    per_analysis = [c["analysis"]["usage"]["cached_tokens"] for c in data["commits"] if c.get("analysis")]
    assert all(isinstance(n, int) for n in per_analysis)
    assert (
        data["stats"]["cached_tokens"]
        == served
        == sum(per_analysis) + data["overview"]["usage"]["cached_tokens"]
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["reports"][0]["cached_tokens"] == served
    share = 100 * served / data["run"]["prompt_tokens"]
    line = next(line for line in done.stderr.splitlines() if "this run:" in line)
    assert f", cached {share:.0f}%" in line, line


def test_a_server_that_does_not_say_what_its_cache_served_is_unknown_not_zero(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.cache_field = "null"  # vLLM without --enable-prompt-tokens-details: prompt_tokens_details null
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\n')
    done = report(repo, tmp_path, fake)
    data = _analysed_in_full(done, tmp_path)
    assert (
        "cached_tokens" not in data["stats"]
        and "cached"
        not in next(line for line in done.stderr.splitlines() if "this run:" in line).split("; tokens")[1]
    )
    assert all("cached_tokens" not in c["analysis"]["usage"] for c in data["commits"] if c.get("analysis"))


def test_a_prompt_the_server_cut_short_is_said_cut_to_fit_and_asked_again(tmp_path: Path) -> None:
    build_repo(tmp_path / "big", [
        CommitSpec("init", dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC), edits=[FileEdit("README.md", "# big\n")]),
        CommitSpec("feat: a large module", dt.datetime(2026, 1, 27, 9, tzinfo=dt.UTC),
                   edits=[FileEdit(f"src/m{i}.py", "".join(f"def f_{i}_{j}(x):\n    return x * {j}\n\n"
                                                           for j in range(300))) for i in range(6)]),
    ])  # fmt: skip
    with FakeLLM(truncate_at=4096) as fake:  # Ollama: the runtime context is 4k, the rest dropped silently
        (tmp_path / "dailydiff.toml").write_text(
            '[llm]\nresponse_mode = "json_schema"\nescalation = false\nconcurrency = 1\n'
        )
        done = report(tmp_path / "big", tmp_path, fake)
        assert done.returncode == 0, done.stderr
        said = [line for line in done.stderr.splitlines() if "cut the prompt short" in line]
        assert len(said) == 1, done.stderr
        asked = fake.analysis_requests()
        assert len(asked) == 2 and len(asked[1].prompt_text) < len(asked[0].prompt_text)
        assert len(asked[1].prompt_text) // 3 + 16 <= 4096  # the second prompt fits what the server keeps
        data, _ = _day(tmp_path)
        analysis = data["commits"][0]["analysis"]
        assert analysis["status"] == "ok" and analysis["unseen_files"]  # what was left out is named


# prices ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("peak", [True, False])
def test_the_days_cost_is_the_providers_bill_recomputed_by_hand_peak_and_off_peak(
    repo: Path, fake: FakeLLM, tmp_path: Path, peak: bool
) -> None:
    fake.cache_field, fake.cache_block = "deepseek", 16
    now = dt.datetime.now(dt.UTC)
    start = (now + dt.timedelta(hours=1 if peak else -1)).strftime("%H:%M")  # off-peak now, or not yet
    end = (now + dt.timedelta(hours=3)).strftime("%H:%M")
    (tmp_path / "dailydiff.toml").write_text(
        '[llm]\nresponse_mode = "json_schema"\nconcurrency = 1\n'
        '[llm.models."fake-model"]\ninput_price = 0.27\noutput_price = 1.10\ncached_input_price = 0.07\n'
        f'[[llm.models."fake-model".windows]]\nhours = "{start}-{end}"\n'
        "input_price = 0.135\noutput_price = 0.55\ncached_input_price = 0.035\n"
    )
    data = _analysed_in_full(report(repo, tmp_path, fake), tmp_path)
    rates = (0.27, 1.10, 0.07) if peak else (0.135, 0.55, 0.035)
    bill = sum(
        ((b["prompt"] - b["cached"]) * rates[0] + b["completion"] * rates[1] + b["cached"] * rates[2]) / 1e6
        for b in fake.billed
        if not b["probe"]
    )
    assert any(b["cached"] for b in fake.billed)
    assert data["stats"]["cost"] == pytest.approx(bill, abs=1e-5)
    assert data["run"]["cost"] == pytest.approx(bill, abs=1e-5)


def test_a_window_that_is_not_hours_is_refused_with_the_form_to_use(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    (tmp_path / "dailydiff.toml").write_text('[[llm.models."fake-model".windows]]\nhours = "evening"\n')
    done = report(repo, tmp_path, fake)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert '"HH:MM-HH:MM"' in done.stderr and fake.count == 0


# provenance ------------------------------------------------------------------------------------------------


def test_each_analysis_records_the_model_version_and_prompt_hash(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.echo_model = "fake-model-2026-08-16"  # the version behind the alias the config names
    (tmp_path / "dailydiff.toml").write_text('[llm]\nresponse_mode = "json_schema"\n')
    data = _analysed_in_full(report(repo, tmp_path, fake), tmp_path)
    usages = [c["analysis"]["usage"] for c in data["commits"] if c.get("analysis")]
    assert {u["model_version"] for u in usages} == {"fake-model-2026-08-16"}
    hashes = {u["prompt_hash"] for u in usages}
    assert len(hashes) == 1 and all(f":p{h}:" in c["analysis"]["fingerprint"] for h in hashes
                                    for c in data["commits"] if c.get("analysis"))  # fmt: skip
    sha = data["commits"][0]["sha"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model)
    explained = dailydiff("report", str(repo), "--tz", "UTC", "--lang", "en", "--data-dir", str(tmp_path / "data"),
                          "--explain", sha[:10], env=env, cwd=tmp_path)  # fmt: skip
    assert explained.returncode == 0, explained.stderr
    assert (
        "model version fake-model-2026-08-16" in explained.stdout
        and f"prompt {hashes.pop()}" in explained.stdout
        and "provider other" in explained.stdout
    )
    assert {u["provider"] for u in usages} == {"other"}  # (a local server: no provider's own members)


@pytest.mark.parametrize("fault", ["key", "model"])
def test_two_workers_of_one_plan_each_stop_after_their_canary(
    tmp_path: Path, pg_url: str, fault: str
) -> None:
    first = dt.date(2026, 1, 5)
    repos = ""
    for name in ("alpha", "beta", "gamma"):
        build_daily_repo(tmp_path / name, first, 2, per_day=3)
        repos += f'\n[[repos]]\nsource = "{tmp_path / name}"\n'
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        '[report]\ntimezone = "UTC"\nlanguage = "en"\n[analysis]\nanalyzer = "llm"\n'
        "[llm]\nescalation = false\n[run]\nconcurrency = 2\n"
        + repos
        + '\n[[publish]]\ntype = "files"\ndirectory = "out"\n',
        encoding="utf-8",
    )
    with FakeLLM(api_key="the-right-key" if fault == "key" else None) as fake:
        model = "no-such-model" if fault == "model" else fake.model
        workers = []
        for worker in ("w1", "w2"):
            env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
            env.update(PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"), NO_COLOR="1",
                       DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=model,
                       DAILYDIFF_LLM_API_KEY=f"sk-wrong-{worker}-000111", DAILYDIFF_STORE_URL=pg_url)  # fmt: skip
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "dailydiff", "run", "--config", str(config), "--from", str(first),
                 "--to", str(first + dt.timedelta(days=1)), "--plan", f"canary-{fault}", "--data-dir", str(tmp_path / "data")],
                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            ))  # fmt: skip
        outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 5, err
        assert "Traceback" not in err and "000111" not in err
        quoted = (
            "Incorrect API key provided" if fault == "key" else "The model `no-such-model` does not exist"
        )
        assert quoted in err, err
    per_worker = Counter(r.authorization for r in fake.requests)
    assert per_worker and all(n <= 2 for n in per_worker.values()), per_worker
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.*"))


def test_a_weeks_cached_tokens_are_its_days_and_unknown_stays_unknown() -> None:
    from dailydiff.models import DayReport
    from dailydiff.render.week import IsoWeek
    from dailydiff.render.week import build_digest as build_week
    from dailydiff.render.week_build import with_comparison

    golden = Path(__file__).parents[1] / "golden"
    report = DayReport.model_validate_json((golden / "sample-2026-01-19.en.json").read_text(encoding="utf-8"))
    second = report.model_copy(update={"date": report.date + dt.timedelta(days=1)})
    year, week, _ = report.date.isocalendar()
    weekly = build_week(report.repo, IsoWeek(year=year, week=week), {report.date: report, second.date: second},
                        timezone="UTC", language="en")  # fmt: skip
    said = {d.date: d.model_copy(update={"stats": d.stats.model_copy(update={"cached_tokens": n})})
            for d, n in ((report, 300), (second, None))}  # fmt: skip
    usage = with_comparison(weekly, said).usage
    assert usage.cached_tokens == 300 and usage.cost == round(report.stats.cost * 2, 6)
    unknown = with_comparison(weekly, {report.date: report, second.date: second}).usage
    assert unknown.cached_tokens is None and "cached_tokens" not in unknown.model_dump()


def test_init_puts_the_nightly_run_in_the_models_cheapest_window() -> None:
    from dailydiff.scaffold import workflow_text

    config = (
        '[llm]\nmodel = "deepseek-chat"\n[llm.models."deepseek-chat"]\ninput_price = 0.27\noutput_price = 1.10\n'
        '[[llm.models."deepseek-chat".windows]]\nhours = "16:30-00:30"\ninput_price = 0.135\noutput_price = 0.55\n'
    )
    text = workflow_text(config)
    assert '- cron: "30 16 * * *"' in text and "cheapest price window (16:30-00:30 UTC)" in text
    workers = workflow_text(config, workers=2)
    assert '- cron: "30 16 * * *"' in workers
    plain = workflow_text('[llm]\nmodel = "deepseek-chat"\n')
    assert (
        '- cron: "0 18 * * *"  # 02:00 Asia/Shanghai' in plain
        and "at 02:00 Asia/Shanghai (18:00 UTC)" in plain
    )
