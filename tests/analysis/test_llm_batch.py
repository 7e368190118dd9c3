"""Batch mode (issue 83, `[llm] batch`): a night's first analyses through a fake OpenAI-compatible Batch API
(tests/fake_batch.py: files, batches, status, output and error files, partial expiry) — `dailydiff run` over
three repositories, as a user runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from dailyrepos import build_daily_repo
from fake_batch import BatchAPI
from fake_llm import FakeLLM

DAY = dt.date(2026, 1, 5)
REPOS = ("alpha", "beta", "gamma")
PER_DAY = 3
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def _night(tmp: Path, deadline: str = "120") -> Path:
    """Three repositories of three commits on DAY, published as files; batch mode on."""
    repos = ""
    for name in REPOS:
        build_daily_repo(tmp / name, DAY, 1, per_day=PER_DAY)
        repos += f'\n[[repos]]\nsource = "{tmp / name}"\nname = "{name}"\n'
    config = tmp / "dailydiff.toml"
    config.write_text(
        '[report]\ntimezone = "UTC"\nlanguage = "en"\nformats = ["md", "json"]\n[analysis]\nanalyzer = "llm"\n'
        f'[llm]\nresponse_mode = "json_schema"\nbatch = true\nbatch_deadline = "{deadline}"\n'
        + repos
        + '\n[[publish]]\ntype = "files"\ndirectory = "out"\nformats = ["md", "json"]\n',
        encoding="utf-8",
    )
    return config


def _env(fake: FakeLLM) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYDIFF_")}
    env.update(DAILYDIFF_LLM_BASE_URL=fake.base_url, DAILYDIFF_LLM_MODEL=fake.model,
               DAILYDIFF_LLM_BACKOFF="0.01", DAILYDIFF_LLM_RETRIES="1", NO_COLOR="1")  # fmt: skip
    return env


def _run(tmp: Path, fake: FakeLLM) -> subprocess.CompletedProcess[str]:
    return dailydiff("run", "--config", str(tmp / "dailydiff.toml"), "--date", str(DAY), "--data-dir",
                     str(tmp / "data"), env=_env(fake), cwd=tmp)  # fmt: skip


def _delivered(tmp: Path) -> dict[str, dict]:
    """Each repository's day as delivered (its JSON), all commits analysed by the model."""
    days = {}
    for path in sorted((tmp / "out").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "commits" in data:
            days[data["repo"]] = data
    assert sorted(days) == sorted(REPOS), sorted((tmp / "out").rglob("*"))
    for data in days.values():
        assert len(data["commits"]) == PER_DAY
        assert all(c["analysis"]["analyzer"].startswith("llm:") for c in data["commits"]), data["commits"]
        assert (data["stats"]["failed"], data["stats"]["fallback"]) == (0, 0)
    return days


def _own_analyses(fake: FakeLLM) -> list:
    """Commits' analysis requests sent on their own (not a batch's lines, not probes, not overviews)."""
    return [r for r in fake.analysis_requests() if not r.batch]


def test_a_three_repository_night_goes_as_one_batch_and_is_delivered_once(
    fake: FakeLLM, tmp_path: Path
) -> None:
    api = BatchAPI.on(fake)
    api.delay = 0.3
    _night(tmp_path)
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert len(api.created) == 1, api.created
    lines = api.lines_of(api.created[0])
    assert len(lines) == len(REPOS) * PER_DAY
    assert {line["body"]["model"] for line in lines} == {fake.model}
    assert _own_analyses(fake) == []  # every first analysis came from the batch
    _delivered(tmp_path)
    # Delivered once: a second run sends nothing, no batch, no request.
    before = len(fake.requests)
    again = _run(tmp_path, fake)
    assert again.returncode == 0, again.stderr
    assert len(api.created) == 1 and len(fake.requests) == before


def test_answers_from_the_batch_are_traced_and_keep_their_provenance(fake: FakeLLM, tmp_path: Path) -> None:
    api = BatchAPI.on(fake)
    fake.echo_model = "fake-model-2026-01-01"
    fake.invent = 1.0  # every answer makes up a path, a function, a figure: the tracer must catch them
    _night(tmp_path)
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert len(api.created) == 1
    # What the batch's answers made up was put back to the model (the tracer's repair), as a live answer's is.
    repairs = _own_analyses(fake)
    assert len(repairs) == len(REPOS) * PER_DAY and all(r.is_repair for r in repairs)
    invented = [claim for r in fake.requests for claim in r.invented]
    assert invented
    days = _delivered(tmp_path)
    for data in days.values():
        for commit in data["commits"]:
            said = {k: v for k, v in commit["analysis"].items() if k != "grounding"}  # (it lists what went)
            text = json.dumps(said)
            assert commit["analysis"]["grounding"]["checked"] > 0
            assert commit["analysis"]["usage"]["model_version"] == "fake-model-2026-01-01"
            assert commit["analysis"]["usage"]["prompt_hash"]
            assert not [claim for claim in invented if claim in text]


def test_expired_and_error_lines_are_asked_synchronously(fake: FakeLLM, tmp_path: Path) -> None:
    api = BatchAPI.on(fake)
    api.expire_every = 4  # lines 4 and 8: expired, the batch ends "expired"
    api.error_every = 3  # lines 3, 6, 9: refused
    _night(tmp_path)
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert len(api.created) == 1
    asked = sorted({fake.title_of(r) for r in _own_analyses(fake)})
    lines = api.lines_of(api.created[0])
    unanswered = [n for n in range(1, len(lines) + 1) if n % 4 == 0 or n % 3 == 0]
    assert len(asked) == len(unanswered) == 5, asked
    _delivered(tmp_path)


def test_a_batch_that_misses_its_deadline_is_asked_synchronously_and_the_night_delivered_on_time(
    fake: FakeLLM, tmp_path: Path
) -> None:
    api = BatchAPI.on(fake)
    api.never = True  # still running at the deadline
    _night(tmp_path, deadline="3")
    began = time.monotonic()
    done = _run(tmp_path, fake)
    took = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert len(api.created) == 1 and api.cancelled == api.created
    assert len({fake.title_of(r) for r in _own_analyses(fake)}) == len(REPOS) * PER_DAY
    assert "at batch_deadline" in done.stderr
    assert took < 30, took
    _delivered(tmp_path)


def _killed_once_sent(tmp: Path, fake: FakeLLM, api: BatchAPI, after: float = 0.0) -> None:
    """`dailydiff run` in a process of its own, killed (SIGKILL) ``after`` seconds once its batch exists at
    the provider."""
    env = {**_env(fake), "PYTHONPATH": str(SRC)}
    first = subprocess.Popen(
        [sys.executable, "-m", "dailydiff", "run", "--config", str(_night(tmp)), "--date", str(DAY),
         "--data-dir", str(tmp / "data")], cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        until = time.monotonic() + 60
        while not api.created and time.monotonic() < until and first.poll() is None:
            time.sleep(0.02)
        assert api.created, first.communicate(timeout=5)
        time.sleep(after)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    finally:
        if api.hold_create is not None:
            api.hold_create.set()
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL


def test_a_run_killed_while_its_batch_is_open_picks_it_up_and_never_sends_it_twice(
    fake: FakeLLM, tmp_path: Path
) -> None:
    api = BatchAPI.on(fake)
    api.never = True
    _killed_once_sent(tmp_path, fake, api, after=0.5)  # polling its batch
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.json"))
    asked_before = len(_own_analyses(fake))
    api.never = False  # the batch finishes while no run is there
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert api.created == ["batch-1"], api.created  # picked up, not sent again
    assert "picked up" in done.stderr
    assert len(_own_analyses(fake)) == asked_before == 0
    _delivered(tmp_path)
    again = _run(tmp_path, fake)  # delivered once: nothing more
    assert again.returncode == 0 and api.created == ["batch-1"]


def test_a_run_killed_between_the_batch_s_creation_and_its_row_finds_it_at_the_provider_and_never_sends_twice(
    fake: FakeLLM, tmp_path: Path
) -> None:
    api = BatchAPI.on(fake)
    api.never = True
    api.hold_create = threading.Event()  # the batch exists at the provider; the run has not heard of it yet
    _killed_once_sent(tmp_path, fake, api)
    api.never = False
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert api.created == ["batch-1"], api.created  # found through the provider's list, not sent again
    assert api.listed >= 1 and "picked up" in done.stderr
    assert _own_analyses(fake) == []
    _delivered(tmp_path)


def test_an_open_batch_no_run_asks_for_again_is_cancelled_and_forgotten_once_its_window_has_passed(
    fake: FakeLLM, tmp_path: Path
) -> None:
    import sqlite3

    from dailydiff.store import Store

    api = BatchAPI.on(fake)
    _night(tmp_path)
    # Two batches earlier runs left open, for commits no run asks for any more: one sent 25 hours ago, past the
    # 24-hour window; one an hour ago (another run's, maybe still wanted). And a placeholder of a batch the
    # provider never made, as old.
    for n in (1, 2):
        api.files[f"file-old-{n}"] = b""
        api.handle("POST", "/v1/batches", {}, json.dumps({"endpoint": "/v1/chat/completions", "completion_window":
                   "24h", "input_file_id": f"file-old-{n}"}).encode())  # fmt: skip
    path = tmp_path / "data" / "dailydiff.sqlite3"
    with Store.connect(str(path)) as store:
        for row, key in (("batch-1", "gone@1#f"), ("batch-2", "gone@2#f"), ("upload:file-never", "gone@3#f")):
            store.save_llm_batch(row, fake.base_url, fake.model, [key])

    def ago(hours: int) -> str:
        return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).isoformat(timespec="seconds")

    with sqlite3.connect(path) as db:
        db.execute("UPDATE llm_batches SET created_at = ? WHERE batch_id != 'batch-2'", (ago(25),))
        db.execute("UPDATE llm_batches SET created_at = ? WHERE batch_id = 'batch-2'", (ago(1),))
    db.close()
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert api.created == ["batch-1", "batch-2", "batch-3"]  # the night's: one batch
    assert api.cancelled == ["batch-1"]
    with Store.connect(str(path)) as store:
        assert list(store.open_llm_batches(fake.base_url, fake.model)) == ["batch-2"]
    _delivered(tmp_path)


def test_a_store_from_before_batches_is_upgraded_and_keeps_open_batches_until_closed(tmp_path: Path) -> None:
    import sqlite3

    from dailydiff.store import Store

    path = str(tmp_path / "store.db")
    with Store.connect(path) as store:
        store.save_commits([])
    with sqlite3.connect(path) as db:  # as the version before m022 left it
        db.execute("DROP TABLE llm_batches")
        db.execute("DELETE FROM migrations WHERE name = 'm022_llm_batches'")
    db.close()
    with Store.connect(path) as store:
        assert "m022_llm_batches" in store.applied_migrations()
        store.save_llm_batch(
            "upload:file-1", "http://x/v1", "m", ["a@1#f", "b@2#f"]
        )  # before the provider names it
        store.save_llm_batch("batch-1", "http://x/v1", "m", ["a@1#f", "b@2#f"], replaces="upload:file-1")
        store.save_llm_batch("batch-1", "http://x/v1", "m", ["other"])  # recorded once
        opened = store.open_llm_batches("http://x/v1", "m")
        assert list(opened) == ["batch-1"] and opened["batch-1"].custom_ids == ["a@1#f", "b@2#f"]
        assert store.open_llm_batches("http://x/v1", "other-model") == {}
        store.close_llm_batch("batch-1")
        assert store.open_llm_batches("http://x/v1", "m") == {}


@pytest.mark.parametrize(
    ("setting", "now", "expected"),
    [
        ("5400", "2026-01-05T01:00:00+00:00", "2026-01-05T02:30:00+00:00"),  # seconds from the batch's start
        ("06:30", "2026-01-04T23:00:00+00:00", "2026-01-05T06:30:00+00:00"),  # the night's morning
        ("06:30", "2026-01-05T07:00:00+00:00", "2026-01-05T06:30:00+00:00"),  # just passed: passed
        ("06:30", "2026-01-04T20:00:00+00:00", "2026-01-05T06:30:00+08:00"),  # in the report's timezone
    ],
)
def test_batch_deadline_is_seconds_or_the_next_time_of_day_in_the_reports_timezone(
    setting: str, now: str, expected: str
) -> None:
    from dailydiff.analysis.batch import batch_deadline

    tz = "Asia/Shanghai" if expected.endswith("+08:00") else "UTC"
    at = batch_deadline(setting, tz, dt.datetime.fromisoformat(now))
    assert at == dt.datetime.fromisoformat(expected)


def test_a_batch_deadline_that_is_neither_a_time_nor_seconds_is_one_line_with_the_form_to_use(
    fake: FakeLLM, tmp_path: Path
) -> None:
    _night(tmp_path, deadline="soon")
    done = _run(tmp_path, fake)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "batch_deadline" in done.stderr and '"06:30"' in done.stderr, done.stderr
    assert fake.count == 0


def test_escalations_and_the_overview_are_asked_live_after_the_batch(fake: FakeLLM, tmp_path: Path) -> None:
    api = BatchAPI.on(fake)
    fake.escalate = lambda title: "change 0 " in title  # the first commit of each repository: rated high
    _night(tmp_path)
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert len(api.created) == 1 and all(line["body"] for line in api.lines_of("batch-1"))
    batch_ended = max(r.ended for r in fake.requests if r.batch)
    live = [r for r in _own_analyses(fake) if not r.is_repair]
    assert sorted(fake.title_of(r).split(" of ")[1] for r in live) == sorted(REPOS)  # one escalation each
    assert all(r.depth == "high" and r.started >= batch_ended for r in live)
    overviews = [r for r in fake.requests if r.is_overview]
    assert len(overviews) == len(REPOS) and all(r.started >= batch_ended for r in overviews)
    _delivered(tmp_path)


def test_an_endpoint_without_a_batch_api_is_asked_live_with_one_warning(
    fake: FakeLLM, tmp_path: Path
) -> None:
    _night(tmp_path)  # no BatchAPI: /v1/files is a 404, as on SGLang
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("batch mode failed") == 1, done.stderr
    assert len({fake.title_of(r) for r in _own_analyses(fake)}) == len(REPOS) * PER_DAY
    _delivered(tmp_path)


@pytest.mark.parametrize(("provider", "share"), [("openai", 0.5), ("dashscope", 0.5), ("other", 1.0)])
def test_a_batched_analysis_costs_what_the_providers_batch_api_bills(
    fake: FakeLLM, tmp_path: Path, provider: str, share: float
) -> None:
    BatchAPI.on(fake)
    fake.thinking_default = provider == "dashscope"  # (it takes DashScope's thinking switch)
    config = _night(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        "[llm]\n", f'[llm]\nprovider = "{provider}"\ninput_price = 3.0\noutput_price = 7.0\n'
    )
    config.write_text(text, encoding="utf-8")
    done = _run(tmp_path, fake)
    assert done.returncode == 0, done.stderr
    assert _own_analyses(fake) == []
    billed = 0.0
    for data in _delivered(tmp_path).values():
        for commit in data["commits"]:
            usage = commit["analysis"]["usage"]
            by_hand = (usage["prompt_tokens"] * 3.0 + usage["completion_tokens"] * 7.0) / 1e6 * share
            assert usage["prompt_tokens"] > 0 and usage["cost"] == pytest.approx(by_hand, abs=2e-6)
            billed += usage["cost"]
    assert billed > 0
