"""The LLM analyser against the fake endpoint (real HTTP on 127.0.0.1), through the real pipeline.

Every knob of the fake gives a complete report: each commit has its block, failures are counted in the
stats line and marked in their blocks, and no truncated or unparsed text reads as a normal analysis.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.errors import AnalysisError
from dailydiff.models import AnalysisStatus, DayReport, Level
from fake_llm import FakeLLM
from llm_fixtures import make_repo, run_day, settings_for

COMMITS = 5  # analysable commits of the fixture day
CANARY = 1  # the tiny request with the run's model, key and mode before its commits (issue 83)
FAKE_TEXT = re.compile(r"\w+(\[\d\])? of “")  # what the fake writes into every field


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("llm") / "repo")


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def blocks(md: str) -> dict[str, str]:
    parts = re.split(r'<a id="c-([0-9a-f]+)"></a>', md)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def assert_complete(report: DayReport, md: str, *, failed: int) -> None:
    """Every commit has a block; failures are counted and each failed block is marked and holds no
    model text presented as an analysis."""
    found = blocks(md)
    assert len(found) == report.stats.total == COMMITS
    assert report.stats.failed + report.stats.fallback == failed
    # The statistics line (a gated day has the gate's warning above it, under the heading).
    stats_line = next(
        line for line in md.splitlines() if line.startswith("> ") and "Not a report" not in line
    )
    assert f"⚠️ fallback {report.stats.fallback} | ❌ failed analyses {report.stats.failed}" in stats_line
    for rc in report.commits:
        block = found[rc.short_sha]
        assert rc.analysis is not None
        if rc.analysis.status is AnalysisStatus.OK:
            assert "The model analysis failed" not in block
            continue
        assert rc.analysis.status is AnalysisStatus.FALLBACK and rc.analysis.analyzer == "heuristic"
        assert "⚠️ The model analysis failed" in block
        shown = block.split("The model's answer could not be parsed")[0]
        assert not FAKE_TEXT.search(shown), "model text shown as a normal analysis"


def test_latency_requests_run_concurrently(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.overlap = 4  # the first four analyses are held until all four are in flight (no wall time)
    outcome, md = run_day(repo, settings_for(fake, tmp_path, concurrency=8))
    assert_complete(outcome.reports[0], md, failed=0)
    assert fake.overlapped and fake.peak_active >= 4
    assert outcome.reports[0].overview.producer == "llm:fake-model"
    assert len(outcome.reports[0].overview.highlights) == 3


def test_429_honours_retry_after_and_lowers_concurrency(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.concurrency_limit = 1
    fake.latency = 0.1
    fake.retry_after = "0.3"
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    assert fake.rejected_429 >= 1 and fake.peak_active == 1
    for index, rejected in enumerate(fake.requests):
        if rejected.status != 429:
            continue
        retry = next(r for r in fake.requests[index + 1 :] if r.messages == rejected.messages)
        assert retry.started >= rejected.started + 0.27  # the same request again only after Retry-After


def test_transient_5xx_is_retried(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.fail_first = 3
    fake.fail_status = 503
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    # analyses, overview, the 503s retried (the canary took the first: it goes once, never retried)
    assert fake.count == CANARY + COMMITS + 1 + 2


def test_persistent_5xx_falls_back_counts_and_gates(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.fail_always = True
    outcome, md = run_day(repo, settings_for(fake, tmp_path, retries=1))
    report = outcome.reports[0]
    assert_complete(report, md, failed=COMMITS)
    assert outcome.days[0].gated
    assert (
        fake.count == CANARY + COMMITS * 2
    )  # one retry each (the canary none); no overview when nothing was analysed
    assert all("server error" in f for f in report.run.failures)
    assert report.overview.producer == "heuristic"


def test_hanging_requests_time_out_and_are_retried(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.hang_first = 2
    outcome, md = run_day(repo, settings_for(fake, tmp_path, read_timeout=0.5))
    assert_complete(outcome.reports[0], md, failed=0)
    assert sum(r.status == 599 for r in fake.requests) == 2


def test_an_endpoint_that_always_hangs_fails_every_analysis_in_bounded_time(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.hang_first = 1000
    started = time.monotonic()
    outcome, md = run_day(repo, settings_for(fake, tmp_path, read_timeout=0.4, retries=1))
    # Bounded by the read timeout: a hung request is held 60 s, so a client without one takes minutes
    # (the margin is wide for a loaded machine; the request count below is the exact bound).
    assert time.monotonic() - started < 30
    assert fake.count <= COMMITS * 2  # at most one retry each; the breaker stops the rest
    assert_complete(outcome.reports[0], md, failed=COMMITS)
    # The first timeouts open the circuit breaker: every commit fails with its one reason.
    reasons = {f.split(": ", 1)[1] for f in outcome.reports[0].run.failures}
    assert len(reasons) == 1 and "left alone for the rest of the run" in reasons.pop()
    assert "did not answer in time" in outcome.reports[0].run.failures[0]


def test_malformed_json_is_re_asked_once_with_the_error(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.malformed = "once"
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    repairs = [r for r in fake.requests if r.is_repair]
    assert len(repairs) == COMMITS
    assert all("not valid JSON" in r.messages[-1]["content"] for r in repairs)


def test_persistently_malformed_answers_are_kept_raw_and_marked_unparsed(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.malformed = "always"
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    report = outcome.reports[0]
    assert_complete(report, md, failed=COMMITS)
    assert report.stats.unparsed == COMMITS
    for block in blocks(md).values():
        assert "The model's answer could not be parsed" in block
        fence = re.search(r"```text\n(.*?)\n```", block, re.S)
        assert fence and "broken 'JSON' here" in fence.group(1)
    assert all("unparsed answer" in f for f in report.run.failures)


def test_fenced_answers_with_trailing_commas_are_repaired_without_re_asking(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.repairable = True
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    assert fake.count == CANARY + COMMITS + 1 and not any(r.is_repair for r in fake.requests)


def test_think_preambles_are_stripped(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.think = True
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    assert "<think>" not in md and "not the answer" not in md


def test_a_reply_cut_at_the_limit_is_retried_with_a_larger_allowance(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.length_below = 3000
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    analysis_requests = fake.analysis_requests()
    cut = [r for r in analysis_requests if r.body["max_tokens"] < 3000]
    assert cut and all(r.body["max_tokens"] >= 3000 for r in analysis_requests if r not in cut)
    assert max(r.body["max_tokens"] for r in fake.requests) <= 8192


def test_a_reply_always_cut_off_tries_smaller_depths_then_falls_back(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.length_always = True
    outcome, md = run_day(repo, settings_for(fake, tmp_path, max_output_tokens=1024, output_tokens=1024))
    report = outcome.reports[0]
    assert_complete(report, md, failed=COMMITS)
    assert not FAKE_TEXT.search(md) and report.stats.unparsed == 0  # cut text is never shown
    assert all("cut off" in f for f in report.run.failures)
    depths = [r.depth for r in fake.analysis_requests()]
    assert {"high", "medium", "low"} <= set(depths)  # the high commit went down to smaller depths


def test_context_length_400_is_retried_once_with_a_smaller_prompt(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.context_limit = 1500
    outcome, md = run_day(repo, settings_for(fake, tmp_path, output_tokens=400))
    report = outcome.reports[0]
    rejected = [r for r in fake.requests if r.status == 400]
    assert rejected
    for bad in rejected:
        sha = re.search(r"[0-9a-f]{40}", bad.prompt_text)
        assert sha
        again = [r for r in fake.requests if sha.group(0) in r.prompt_text and r is not bad]
        assert len(again) == 1 and len(again[0].prompt_text) < len(bad.prompt_text)
    assert_complete(report, md, failed=0)
    big = next(rc for rc in report.commits if rc.title.startswith("feat"))
    assert big.analysis is not None and big.analysis.unseen_files  # what was cut is named


def test_401_stops_the_run_with_one_error(
    repo: Path, fake: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.api_key = "the-right-key"
    monkeypatch.setenv("DAILYDIFF_LLM_API_KEY", "sk-wrong-secret-123456")
    with pytest.raises(AnalysisError) as caught:
        run_day(repo, settings_for(fake, tmp_path))
    assert "refused the API key" in caught.value.message and "DAILYDIFF_LLM_API_KEY" in caught.value.hint
    assert "sk-wrong" not in str(caught.value) and "123456" not in str(caught.value)
    assert fake.count <= 8  # the requests already in flight, no retries, no further commits


def test_a_correct_key_is_sent_as_bearer(
    repo: Path, fake: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.api_key = "the-right-key"
    monkeypatch.setenv("DAILYDIFF_LLM_API_KEY", "the-right-key")
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    assert "the-right-key" not in md and "the-right-key" not in outcome.reports[0].model_dump_json()


def test_unknown_model_404_stops_the_run(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path)
    settings = settings.model_copy(update={"llm": settings.llm.model_copy(update={"model": "no-such-model"})})
    with pytest.raises(AnalysisError, match="does not know model 'no-such-model'"):
        run_day(repo, settings)
    assert fake.count <= 8


def test_json_object_mode_answers_from_the_schema_in_the_prompt(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    outcome, md = run_day(repo, settings_for(fake, tmp_path, response_mode="json_object"))
    assert_complete(outcome.reports[0], md, failed=0)
    assert all(r.body["response_format"] == {"type": "json_object"} for r in fake.requests)
    assert all("JSON Schema" in r.messages[0]["content"] for r in fake.analysis_requests())


def test_escalation_reanalyses_commits_the_model_rates_higher(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.importance = "high"
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    report = outcome.reports[0]
    assert_complete(report, md, failed=0)
    first_pass = {rc.sha: rc.score.level for rc in report.commits}
    below_high = [sha for sha, level in first_pass.items() if level is not Level.HIGH]
    assert below_high
    assert fake.count == CANARY + COMMITS + len(below_high) + 1
    assert (report.run.analysed, report.run.escalated) == (COMMITS, len(below_high))  # each commit once
    again, _ = run_day(repo, settings_for(fake, tmp_path))
    assert (again.reports[0].run.cached, again.reports[0].run.analysed, again.reports[0].run.escalated) == (
        COMMITS,
        0,
        0,
    )
    for rc in report.commits:
        assert rc.level is Level.HIGH and rc.analysis is not None and rc.analysis.depth is Level.HIGH
        assert rc.score.level == first_pass[rc.sha]  # the rule level and its reasons are kept
    with FakeLLM() as other:
        other.importance = "high"
        run_day(repo, settings_for(other, tmp_path / "off", escalation=False))
        assert other.count == CANARY + COMMITS + 1


def test_the_overview_starts_while_the_escalations_are_still_under_way(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    """The day at its bound: the overview needs each commit's rating, change types and one-line summary,
    which the first answer has, so a deeper re-analysis (found in the day's last wave, say) runs beside it.
    Each escalation is held at the fake until the overview is asked for (4 s at most): the overview must
    come while they are all in flight."""
    overview_asked = threading.Event()
    seen: set[str] = set()
    held: list[bool] = []
    lock = threading.Lock()

    def hold_escalations(body: dict[str, Any]) -> None:
        if "highlights" in json.dumps(body.get("response_format")):
            overview_asked.set()
            return None
        title = re.search(r"<commit_message>\n(.*?)\n", body["messages"][-1]["content"])
        assert title is not None
        with lock:
            again = title.group(1) in seen
            seen.add(title.group(1))
        if again:  # the commit's second request: its deeper re-analysis
            held.append(overview_asked.wait(timeout=4))
        return None

    fake.importance = "high"
    fake.canned = hold_escalations
    outcome, md = run_day(repo, settings_for(fake, tmp_path, concurrency=8))
    report = outcome.reports[0]
    assert_complete(report, md, failed=0)
    assert held and all(held), "an escalation held the overview back"
    assert report.run.escalated == len(held) and report.overview.producer == "llm:fake-model"
    # The report itself has the deeper analyses; a re-run asks for nothing (the overview is reused).
    assert all(rc.analysis is not None and rc.analysis.depth is Level.HIGH for rc in report.commits)
    fake.reset()
    again, _ = run_day(repo, settings_for(fake, tmp_path, concurrency=8))
    assert fake.count == 0 and again.reports[0].overview == report.overview


def test_rerun_makes_no_request_and_a_new_model_or_prompt_reanalyses(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    first, md1 = run_day(repo, settings_for(fake, tmp_path))
    assert fake.count == CANARY + COMMITS + 1
    fake.reset()
    again, md2 = run_day(repo, settings_for(fake, tmp_path))
    assert fake.count == 0
    assert again.reports[0].run.cached == COMMITS and again.reports[0].run.analysed == 0
    assert again.reports[0].run.prompt_tokens == 0  # nothing spent this run ...
    assert (
        again.reports[0].stats.prompt_tokens == first.reports[0].stats.prompt_tokens
    )  # ... the report's cost kept
    assert md2.split("*Generated")[0] == md1.split("*Generated")[0]
    with FakeLLM(model="fake-model-2") as other:
        run_day(repo, settings_for(other, tmp_path))
        assert other.count == CANARY + COMMITS + 1
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    source = Path(__file__).parents[2] / "src/dailydiff/analysis/prompts/analyse.system.en.j2"
    (prompts / "analyse.system.en.j2").write_text(source.read_text() + "\nBe brief.\n")
    fake.reset()
    run_day(repo, settings_for(fake, tmp_path, prompts_dir=str(prompts)))
    assert fake.count == CANARY + COMMITS + 1
    assert all("Be brief." in r.messages[0]["content"] for r in fake.analysis_requests())


def test_tokens_and_cost_are_accounted_per_commit_report_and_run(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    settings = settings_for(fake, tmp_path, models={"fake-model": {"input_price": 1.0, "output_price": 2.0}})
    outcome, md = run_day(repo, settings)
    report = outcome.reports[0]
    answers = [json.loads(json.dumps(r.body)) for r in fake.requests]
    assert len(answers) == CANARY + COMMITS + 1
    per_commit = [rc.analysis.usage for rc in report.commits if rc.analysis]
    assert all(u.prompt_tokens > 0 and u.completion_tokens > 0 and u.cost > 0 for u in per_commit)
    total_prompt = sum(u.prompt_tokens for u in per_commit) + report.overview.usage.prompt_tokens
    total_completion = sum(u.completion_tokens for u in per_commit) + report.overview.usage.completion_tokens
    assert report.stats.prompt_tokens == total_prompt == report.run.prompt_tokens
    expected_cost = (total_prompt * 1.0 + total_completion * 2.0) / 1e6
    assert report.stats.cost == pytest.approx(expected_cost, abs=1e-5)
    stats_line = next(line for line in md.splitlines() if line.startswith("> "))
    assert f"🔢 tokens of this day {total_prompt}+{total_completion}" in stats_line
    assert f"💰 cost of this day ${report.stats.cost:.4f}" in stats_line


def test_overview_falls_back_to_rules_when_its_answer_is_unusable(
    repo: Path, fake: FakeLLM, tmp_path: Path
) -> None:
    fake.canned = lambda body: (
        "no json here" if "highlights" in json.dumps(body.get("response_format")) else None
    )
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=0)
    assert outcome.reports[0].overview.producer == "heuristic" and outcome.reports[0].overview.themes


def test_a_plain_400_is_not_retried_and_403_stops_the_run(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.fail_always, fake.fail_status = True, 400
    outcome, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(outcome.reports[0], md, failed=COMMITS)
    assert fake.count == CANARY + COMMITS  # one request each: a 400 is never retried
    assert all("request rejected" in f for f in outcome.reports[0].run.failures)
    fake.reset()
    fake.fail_status = 403
    with pytest.raises(AnalysisError, match="refused the API key"):
        run_day(repo, settings_for(fake, tmp_path / "403"))
    assert fake.count <= 8


def test_reasoning_model_request_shape(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path, max_tokens_field="max_completion_tokens", temperature=-1.0)
    outcome, md = run_day(repo, settings)
    assert_complete(outcome.reports[0], md, failed=0)
    for request in fake.requests:
        assert "max_completion_tokens" in request.body and "max_tokens" not in request.body
        assert "temperature" not in request.body


def test_a_rerun_retries_only_what_failed(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    fake.canned = lambda body: "not json" if "fix: handle" in json.dumps(body, ensure_ascii=False) else None
    first, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(first.reports[0], md, failed=1)
    fake.reset()
    fake.canned = None
    again, md = run_day(repo, settings_for(fake, tmp_path))
    assert_complete(again.reports[0], md, failed=0)
    assert len(fake.analysis_requests()) == 1  # only the commit that had failed
    assert again.reports[0].run.cached == COMMITS - 1


def test_a_failing_run_does_not_replace_a_better_report(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    run_day(repo, settings_for(fake, tmp_path))
    with FakeLLM(model="fake-model-2") as broken:
        broken.fail_always = True
        outcome, _ = run_day(repo, settings_for(broken, tmp_path, retries=0))
    day = outcome.days[0]
    assert day.gated and day.kept_previous
    assert day.report.analyzer == "llm:fake-model" and day.report.stats.fallback == 0


def test_every_request_fits_the_configured_context(repo: Path, fake: FakeLLM, tmp_path: Path) -> None:
    from dailydiff.analysis.budget import estimate_messages

    outcome, md = run_day(repo, settings_for(fake, tmp_path, context_window=1800, output_tokens=400,
                                             max_output_tokens=800))  # fmt: skip
    assert_complete(outcome.reports[0], md, failed=0)
    for request in fake.requests:
        assert estimate_messages(request.messages) + request.body["max_tokens"] <= 1800
    big = next(rc for rc in outcome.reports[0].commits if rc.title.startswith("feat"))
    assert big.analysis is not None and any("scheduler.py" in f for f in big.analysis.unseen_files)
