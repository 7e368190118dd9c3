"""Endpoints as users point dailydiff at them, with the two-line config a newcomer writes (`base_url` and
`model`, nothing else): the response mode is negotiated and remembered, the context discovered, a weak
model costs a bounded number of requests, and a dead, hanging or dripping endpoint costs seconds.

The servers are tests/fake_llm.py imitating DeepSeek, vLLM and llama-cpp-python; the real
llama-cpp-python server is in test_llm_real_server.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.analysis import make_analyzer
from dailydiff.analysis.client import context_limit_in
from dailydiff.analysis.endpoint import PROBE_DEADLINE, context_from
from dailydiff.analysis.llm_call import MAX_REQUESTS_PER_COMMIT
from dailydiff.analysis.schema import SUMMARY_MIN
from dailydiff.common.http import CircuitBreaker
from dailydiff.settings import Settings, load_settings
from dailydiff.sources.github import GitHubSource
from dailydiff.store import EndpointFacts, Store
from engine_run import run_days
from fake_github import FakeGitHub
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, build_repo
from llm_fixtures import DAY, make_repo, run_day

COMMITS = 5


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("endpoints") / "repo")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def newcomer(fake: FakeLLM, data_dir: Path, **llm: Any) -> Settings:
    """Only base_url and model, as a newcomer writes it (plus fast retries where a test says so)."""
    return load_settings(
        environ={"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url},
        overrides={
            "data_dir": str(data_dir),
            "report": {"timezone": "UTC", "language": "en"},
            "analysis": {"analyzer": "llm"},
            **({"llm": llm} if llm else {}),
        },
        cwd=data_dir,
    )


def remembered(settings: Settings, fake: FakeLLM) -> tuple[str | None, int | None]:
    with Store.open(settings.data_path) as store:
        facts = store.llm_endpoint(fake.base_url, fake.model)
    assert facts is not None
    return facts.response_mode, facts.context_window


def test_deepseek_like_endpoint_negotiates_json_object_and_a_rerun_sends_nothing(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.reject_formats = {"json_schema": 400}  # DeepSeek: json_object only (it ignores a `schema` member)
    settings = newcomer(fake, tmp_path)
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert (report.stats.failed, report.stats.fallback, report.run.analysed) == (0, 0, COMMITS)
    assert remembered(settings, fake)[0] == "json_object"
    # The 400 was a capability answer, asked once per endpoint: never retried as a fault.
    assert sum(r.status == 400 for r in fake.requests) == 1
    assert max(fake.per_commit().values()) <= MAX_REQUESTS_PER_COMMIT
    # Once the probe has answered, json_object; the first wave, sent beside the probe, asks json_object holding
    # the schema (a member DeepSeek ignores; the prompt spells the schema out too).
    answered_at = max(r.ended for r in fake.requests if r.is_probe)
    for r in fake.analysis_requests():
        fmt = r.body["response_format"]
        late = r.started > answered_at + 0.2  # (a mode chosen just before the probe's answer reached us)
        assert fmt == {"type": "json_object"} if late else fmt["type"] == "json_object", fmt

    fake.reset()
    again, _ = run_day(repo, settings)
    assert fake.count == 0 and fake.gets == []  # the negotiated mode does not change the cache key
    assert again.reports[0].run.cached == COMMITS


def test_vllm_like_endpoint_keeps_json_schema_and_every_prompt_fits_the_stated_context(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.max_model_len = 4096
    fake.context_limit = 4096  # any prompt + allowance over it would be answered 400
    settings = newcomer(fake, tmp_path)
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert (report.stats.failed, report.stats.fallback) == (0, 0)
    assert remembered(settings, fake) == ("json_schema", 4096)
    assert all(r.status == 200 for r in fake.requests)  # no prompt over the discovered context
    assert "/v1/models" in fake.gets and "/props" not in fake.gets
    # Once the probe has answered, json_schema (the first wave beside it: json_object holding the schema).
    answered_at = max(r.ended for r in fake.requests if r.is_probe)
    formats = [(r.started, r.body["response_format"]) for r in fake.analysis_requests()]
    # (0.2 s: a request whose mode was chosen just before the probe's answer reached us)
    assert all(fmt["type"] == "json_schema" for at, fmt in formats if at > answered_at + 0.2), formats
    schemas = [
        fmt["json_schema"]["schema"] if fmt["type"] == "json_schema" else fmt["schema"] for _, fmt in formats
    ]
    # A server on this machine holds the summary to SUMMARY_MIN characters (its grammar takes minLength).
    assert all(schema["properties"]["summary"]["minLength"] == SUMMARY_MIN for schema in schemas)

    fake.reset()
    run_day(repo, settings)
    assert fake.count == 0


def test_llama_cpp_like_endpoint_gets_the_schema_member_and_learns_its_context_from_one_error(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.reject_formats = {"json_schema": 500}  # "Input should be 'text' or 'json_object'"
    fake.honour_schema_member = True
    fake.context_limit, fake.context_style = (
        3000,
        "llama",
    )  # "Requested tokens (N) exceed context window of M"
    settings = newcomer(fake, tmp_path)
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert (report.stats.failed, report.stats.fallback) == (0, 0)
    assert remembered(settings, fake) == ("json_object_schema", 3000)
    assert sum(r.status == 500 for r in fake.requests) == 1  # the rejection is not retried
    # Learnt once: after the first context error no prompt goes over it again.
    assert sum(r.status == 400 for r in fake.requests) <= 1
    assert max(fake.per_commit().values()) <= MAX_REQUESTS_PER_COMMIT
    assert all("schema" in r.body["response_format"] for r in fake.analysis_requests())
    assert all(
        r.body["response_format"]["schema"]["properties"]["summary"]["minLength"] == SUMMARY_MIN
        for r in fake.analysis_requests()
        if r.status == 200
    )


def test_a_model_that_always_answers_invalid_json_costs_three_requests_and_no_overview(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.malformed = "always"
    settings = newcomer(fake, tmp_path, backoff=0.01)
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert report.stats.fallback == COMMITS
    per_commit = fake.per_commit()
    assert len(per_commit) == COMMITS and max(per_commit.values()) <= MAX_REQUESTS_PER_COMMIT
    assert not any(r.is_overview for r in fake.requests)  # no analysis succeeded: no overview request
    assert report.run.max_requests_per_commit <= MAX_REQUESTS_PER_COMMIT
    reasons = {f.split(": ", 1)[1] for f in report.run.failures}
    assert len(reasons) == 1 and "unparsed answer" in next(iter(reasons)), reasons


def test_the_run_summary_compares_the_token_estimate_with_the_endpoint(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    outcome, _ = run_day(repo, newcomer(fake, tmp_path))
    run = outcome.reports[0].run
    assert run.estimated_prompt_tokens > 0 and run.prompt_tokens > 0
    # The fake counts a token per 3 characters, the estimate per 2.5: about +20%.
    assert run.estimate_error is not None and 5 < run.estimate_error < 40
    # Issue 63 item 11: the stderr line says what the figure is, not "offline estimate +23%"
    from dailydiff.engine.printer import figures_line

    line = figures_line({**run.model_dump(), "estimate_error": run.estimate_error})
    words = f"(the offline token estimate was {run.estimate_error:.0f}% over the endpoint's count)"
    assert words in line and "offline estimate +" not in line, line
    assert 1 <= run.max_requests_per_commit <= MAX_REQUESTS_PER_COMMIT


# a dead, hanging, dripping or dying endpoint -----------------------------------------------------------


def one_line(report_failures: list[str]) -> str:
    reasons = {f.split(": ", 1)[1] for f in report_failures}
    assert len(reasons) == 1, reasons
    return reasons.pop()


def test_an_endpoint_that_drips_a_byte_at_a_time_is_cut_by_the_deadline(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.drip = 0.1  # every answer, a byte every 0.1 s: a per-read timeout (0.3 s at most) never fires
    deadline = 0.3
    settings = newcomer(fake, tmp_path, timeout=deadline, read_timeout=30.0, backoff=0.01,
                        response_mode="json_schema")  # fmt: skip
    started = time.monotonic()
    outcome, _ = run_day(repo, settings)
    elapsed = time.monotonic() - started
    report = outcome.reports[0]
    assert report.stats.fallback == COMMITS
    # /models drips too: two probes of min(15 s, deadline) and the breaker opens; nothing is sent after.
    assert elapsed < 25, elapsed  # two deadlines and a second (1.6 s); a per-read timeout alone: 30 s a probe
    assert "left alone for the rest of the run" in one_line(report.run.failures)
    assert fake.count == 0


def test_an_endpoint_that_drips_only_its_answers_is_left_alone_after_a_few_deadlines(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.drip, fake.faults_on_gets = 0.1, False  # a byte every 0.1 s: a per-read timeout never fires
    deadline = 0.3
    settings = newcomer(fake, tmp_path, timeout=deadline, read_timeout=30.0, backoff=0.01,
                        response_mode="json_schema")  # fmt: skip
    started = time.monotonic()
    outcome, _ = run_day(repo, settings)
    elapsed = time.monotonic() - started
    report = outcome.reports[0]
    assert report.stats.fallback == COMMITS
    assert elapsed < 25, elapsed  # a few deadlines (0.3 s each); the 30 s read timeout would never fire
    assert "left alone for the rest of the run" in one_line(report.run.failures)
    # The run's canary (one attempt), one wave; the first timeouts may retry before the third one opens the
    # breaker; then nothing.
    assert fake.count <= 1 + COMMITS + 2


def test_an_endpoint_that_dies_mid_body_fails_the_day_quickly_saying_its_streams_ended_early(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.die_mid_body, fake.faults_on_gets = True, False
    settings = newcomer(fake, tmp_path, backoff=0.01, response_mode="json_schema")
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert report.stats.fallback == COMMITS
    # Half of each stream came: the endpoint answered, and its answers ended early (issue 64 item 8): every
    # commit's reason says so, none calls the endpoint unreachable.
    said = report.run.failures
    assert len(said) == COMMITS and all(
        "its stream ended after" in f and "unreachable" not in f for f in said
    ), said


def eighteen_commits(path: Path) -> Path:
    day = dt.datetime(2026, 1, 27, 1, tzinfo=dt.UTC)
    specs = [
        CommitSpec(f"feat: step {i}", day + dt.timedelta(minutes=30 * i),
                   edits=[FileEdit(f"src/step_{i}.py", f"def step_{i}():\n    return {i}\n")])
        for i in range(18)
    ]  # fmt: skip
    build_repo(path, specs)
    return path


@pytest.mark.slow
def test_a_dead_endpoint_costs_an_18_commit_day_two_first_contact_deadlines_under_two_minutes_by_default(
    fake: FakeLLM, tmp_path: Path
) -> None:
    """Every [llm] setting at its default but ``timeout`` (0.5 s instead of 180 s, which bounds the
    first GET /models below its 15 s): the day costs two first-contact waits and a second between them, no
    analysis request — by default 2 × 15 + 1 = 31 s, under two minutes."""
    default = newcomer(fake, tmp_path / "defaults").llm.timeout
    assert 2 * min(PROBE_DEADLINE, default) + 1 < 120  # the defaults' bound
    repo = eighteen_commits(tmp_path / "repo18")
    fake.hang_all = True  # accepts connections, never answers anything
    deadline = 0.5
    settings = newcomer(fake, tmp_path / "data", timeout=deadline)
    started = time.monotonic()
    outcome, _ = run_day(repo, settings)
    elapsed = time.monotonic() - started
    report = outcome.reports[0]
    assert report.stats.total == 18 and report.stats.fallback == 18
    assert elapsed < 2 * deadline + 1 + 10, (
        elapsed
    )  # the first contact's two waits, and room for a loaded machine
    assert "left alone for the rest of the run" in one_line(report.run.failures)
    assert fake.count == 0  # not one analysis request was sent into the void


def test_a_remembered_mode_the_endpoint_no_longer_honours_is_negotiated_again(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    settings = newcomer(fake, tmp_path)
    with Store.open(settings.data_path) as store:
        store.save_llm_endpoint(fake.base_url, fake.model, EndpointFacts("json_schema", None))
    fake.reject_formats = {"json_schema": 400}  # the server behind the URL changed
    outcome, _ = run_day(repo, settings)
    assert (outcome.reports[0].stats.failed, outcome.reports[0].stats.fallback) == (0, 0)
    assert remembered(settings, fake)[0] == "json_object"
    assert max(fake.per_commit().values()) <= MAX_REQUESTS_PER_COMMIT


def test_what_servers_say_about_their_context_is_read() -> None:
    assert context_limit_in("Requested tokens (9079) exceed context window of 8192") == 8192
    message = "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens"
    assert context_limit_in(message) == 4096
    vllm = {"data": [{"id": "other", "max_model_len": 1}, {"id": "m", "max_model_len": 4096}]}
    assert context_from(vllm, None, "m") == 4096
    assert (
        context_from({"data": [{"id": "x"}]}, {"default_generation_settings": {"n_ctx": 8192}}, "m") == 8192
    )
    assert context_from(None, None, "m") is None


def test_the_breaker_opens_on_timeouts_at_once_and_on_fast_failures_only_when_they_last() -> None:
    clock = [0.0]
    blip = CircuitBreaker("x", 3, min_span=5.0, clock=lambda: clock[0])
    assert not any(blip.failure("503", 0.0) for _ in range(5))  # a burst of 503s within a second
    blip.success()
    clock[0] = 6.0
    assert not blip.failure("503", 0.0) and not blip.failure("503", 3.0)
    assert blip.failure("503", 5.9) and blip.opened  # three in a row over six seconds
    hung = CircuitBreaker("x", 3, min_span=60.0, clock=lambda: clock[0])
    opened = [hung.failure("timeout", 0.0, timed_out=True) for _ in range(3)]
    assert opened == [False, False, True] and "after 3 consecutive failures (last: timeout)" in hung.reason


def test_a_400_that_is_not_about_the_format_is_not_remembered_as_a_mode(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.fail_always, fake.fail_status = True, 400  # e.g. a parameter the model refuses, on every request
    settings = newcomer(fake, tmp_path, backoff=0.01)
    outcome, _ = run_day(repo, settings)
    assert outcome.reports[0].stats.fallback == COMMITS
    with Store.open(settings.data_path) as store:
        facts = store.llm_endpoint(fake.base_url, fake.model)
    assert facts is None or facts.response_mode is None  # the next run negotiates again
    assert sum(r.is_probe for r in fake.requests) == 1  # one probe, not one per mode


class _UntilAsked:
    """FakeGitHub's ``hold`` for the commits' details: each is answered once the model server has been
    asked what it is (GET /models), or after 5 s."""

    parties = 10**6

    def __init__(self, fake: FakeLLM) -> None:
        self.fake = fake
        self.asked_first: list[bool] = []

    def wait(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + 5
        while "/v1/models" not in self.fake.gets and time.monotonic() < deadline:
            time.sleep(0.01)
        self.asked_first.append("/v1/models" in self.fake.gets)


def test_the_endpoint_is_asked_what_it_is_while_the_commits_are_fetched(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    # The day's commits are listed, none has a stored analysis: the endpoint's discovery starts then, beside
    # the fetch of their details, instead of in front of the first analysis once a commit has landed.
    settings = newcomer(fake, tmp_path)
    with FakeGitHub({"octo/day": repo}) as github:
        gate = _UntilAsked(fake)
        github.hold = ("detail", gate)  # type: ignore[assignment]
        settings = settings.model_copy(
            update={"github": settings.github.model_copy(update={"api_url": github.url})}
        )
        with Store.open(settings.data_path) as store:
            source = GitHubSource("octo/day", settings.github, store=store)
            outcome = run_days(source, [DAY], settings, store, make_analyzer("llm", settings, store))
    assert gate.asked_first == [True] * COMMITS
    report = outcome.reports[0]
    assert (report.stats.total, report.run.analysed, report.stats.fallback) == (COMMITS, COMMITS, 0)


def test_a_server_that_ignores_stream_is_understood_remembered_and_asked_unstreamed(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.ignore_stream = True  # a proxy that buffers: `stream: true` answered with one application/json body
    settings = newcomer(fake, tmp_path)
    assert settings.llm.stream  # the default
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert (report.stats.failed, report.stats.fallback, report.run.analysed) == (0, 0, COMMITS)
    with Store.open(settings.data_path) as store:
        facts = store.llm_endpoint(fake.base_url, fake.model)
    assert facts is not None and facts.streams is False
    # Found on the first request (the format probe): every later one goes unstreamed.
    assert [bool(r.body.get("stream")) for r in fake.requests].count(True) == 1
    assert fake.requests[0].body.get("stream") is True

    # The next run remembers it: not one request is sent streamed.
    fake.reset()
    # Another language is another cache key: every commit is asked again.
    other = settings.model_copy(update={"report": settings.report.model_copy(update={"language": "zh"})})
    again, _ = run_day(repo, other)
    assert again.reports[0].run.analysed == COMMITS and again.reports[0].stats.fallback == 0
    assert fake.count >= COMMITS and not any(r.body.get("stream") for r in fake.requests)


def test_fallback_reasons_are_in_the_reports_language_whole_and_never_say_where_the_endpoint_is(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    from dailydiff.render.html import render_day_html
    from dailydiff.render.json import render_json
    from dailydiff.render.markdown import failure_reason, render_markdown

    fake.drip = 0.1  # a byte every 0.1 s, GET /models too: the breaker opens at first contact
    settings = newcomer(fake, tmp_path, timeout=0.3, read_timeout=30.0, backoff=0.01,
                        response_mode="json_schema")  # fmt: skip
    settings = settings.model_copy(update={"report": settings.report.model_copy(update={"language": "zh"})})
    outcome, _ = run_day(repo, settings)
    report = outcome.reports[0]
    assert report.stats.fallback == COMMITS
    markdown, html, data = render_markdown(report), render_day_html(report), render_json(report)
    notes = [line for line in markdown.splitlines() if "模型分析失败" in line]
    assert len(notes) == COMMITS
    for note in notes:
        reason = note.split("（", 1)[1].rsplit("）", 1)[0]
        assert not any("a" <= c.lower() <= "z" for c in reason), note  # Chinese, not the English error
        assert note.endswith("），以下为规则分析。"), note  # whole, never cut
    host = fake.base_url.split("//", 1)[1].split("/", 1)[0]  # 127.0.0.1:PORT
    assert "left alone for the rest of the run" in one_line(report.run.failures)
    for text in (markdown, html, data, one_line(report.run.failures)):
        assert host not in text and fake.base_url not in text
    # The English errors the analyser writes, each read as a whole reason in either language.
    errors = {
        "the answer was cut off at the 1024-token output limit; no depth gave a complete answer": "截断",
        "the LLM endpoint <endpoint> was left alone for the rest of the run after 3 consecutive failures "
        "(last: HTTP 502: bad gateway)": "不再请求",
        "no answer in time after every retry: the endpoint did not answer in time": "时限",
        "unparsed answer (Expecting value); re-ask failed: server error after every retry: HTTP 500": "格式",
        "the first answer repeated itself (…); stopped after 3 requests": "重复",
        "prompt too long for the model even after shrinking it: HTTP 400: maximum context length": "上下文",
    }
    for error, words in errors.items():
        assert words in failure_reason(error, "zh"), error
        english = failure_reason(error, "en")
        assert english and "<endpoint>" not in english and "HTTP" not in english


def test_an_endpoint_the_store_knows_nothing_of_is_probed_at_start_up_before_any_commit_is_read(
    fake: FakeLLM, tmp_path: Path
) -> None:
    # A first run against an endpoint and model: the mode probe goes out as the run's session opens, while
    # the commits are still being read (nothing has asked the analyser anything yet); a store that knows the
    # endpoint is not asked again until commits need it.
    import asyncio

    settings = newcomer(fake, tmp_path)

    async def open_session(store: Store, wait: float) -> list[str]:
        analyzer = make_analyzer("llm", settings, store)
        async with analyzer.session():
            deadline = time.monotonic() + wait
            while not any(r.is_probe for r in fake.requests) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            return [("probe" if r.is_probe else "analysis") for r in fake.requests]

    with Store.open(settings.data_path) as store:
        first = asyncio.run(open_session(store, 10))
        assert store.llm_endpoint(fake.base_url, fake.model) is not None  # the mode is remembered
        fake.reset()
        again = asyncio.run(open_session(store, 0.5))
    assert first == ["probe"], first
    assert again == [] and fake.gets == [], (again, fake.gets)
