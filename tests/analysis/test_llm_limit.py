"""The concurrency limit found by measurement, loops stopped in the stream, timeouts under load.

The limiter alone (tickets and samples, no network), then the analyser against fake servers that behave
like laptop servers (real HTTP on 127.0.0.1): they queue instead of refusing, grow slower with more in
flight, repeat themselves to the output limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from dailydiff.analysis.base import AnalysisRequest
from dailydiff.analysis.client import ChatClient, LLMCallError
from dailydiff.analysis.limits import AdaptiveLimit
from dailydiff.analysis.llm import LLMAnalyzer
from dailydiff.analysis.llm_call import MAX_REQUESTS_PER_COMMIT
from dailydiff.analysis.repetition import LoopWatch, repeated_tail
from dailydiff.models import Analysis, AnalysisStatus, Commit, FileChange, Level, Person, Score
from dailydiff.settings import load_settings
from dailydiff.store import Store
from fake_llm import FakeLLM

NOW = dt.datetime(2026, 1, 27, 9, tzinfo=dt.UTC)


def requests(count: int, *, level: Level = Level.LOW) -> list[AnalysisRequest]:
    out = []
    for i in range(count):
        patch = "@@ -1,3 +1,6 @@\n" + "".join(f"+    value_{j} = compute({i}, {j})\n" for j in range(12))
        commit = Commit(
            repo="t/limit", sha=f"{i:040x}", author=Person(name="T"), committer=Person(name="T"),
            authored_at=NOW, committed_at=NOW, message=f"feat: change number {i}\n\nDetails of change {i}.",
            files=[FileChange(path=f"src/module_{i}.py", additions=12, patch=patch)],
        )  # fmt: skip
        out.append(AnalysisRequest(commit=commit, score=Score(level=level, score=float(i % 7)), depth=level))
    return out


def analyser(fake: FakeLLM, store: Store | None = None, **llm: Any) -> LLMAnalyzer:
    knobs = {"response_mode": "json_schema", "backoff": 0.01, "read_timeout": 20.0, **llm}
    settings = load_settings(
        environ={"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url},
        overrides={"llm": knobs},
        cwd=Path("/"),
    )
    return LLMAnalyzer(settings.llm, store=store)


def run_batch(analyzer: LLMAnalyzer, batch: list[AnalysisRequest], sample: list[tuple[int, int]] | None = None) -> list[Analysis]:  # fmt: skip
    """Analyse the batch at once in one session; ``sample`` gets (in flight, limit) every 20 ms."""

    async def main() -> list[Analysis]:
        async with analyzer.session() as session:

            async def watch() -> None:
                while sample is not None:
                    sample.append((session.limit.active, int(session.limit.limit)))
                    await asyncio.sleep(0.02)

            watcher = asyncio.create_task(watch())
            try:
                return list(await asyncio.gather(*(session.analyse(r, "en") for r in batch)))
            finally:
                watcher.cancel()

    return asyncio.run(main())


# the limiter alone --------------------------------------------------------------------------------


def test_answers_at_their_floor_grow_the_limit_and_a_queue_brings_it_down() -> None:
    async def scenario() -> list[float]:
        limit = AdaptiveLimit(0, start=2)
        seen = []
        for _ in range(3):  # slow start: one more per answer at the floor while the limit is in use
            tickets = [await limit.acquire() for _ in range(int(limit.limit))]
            for ticket in tickets:
                limit.release(ticket, first_token=1.0)
            seen.append(limit.limit)
        tickets = [await limit.acquire() for _ in range(int(limit.limit))]
        for ticket in tickets:  # the first token twice as late as the floor: a queue, one decrease a round
            limit.release(ticket, first_token=2.0)
        seen.append(limit.limit)
        seen.append(limit.decreases)
        return seen

    seen = asyncio.run(scenario())
    assert seen[:2] == [4.0, 8.0] and seen[2] >= 12.0
    # At once to what the queue says the server works on (answers twice as late: about half of those in
    # flight), in one decrease, not a fifth a round.
    assert seen[2] * 0.4 <= seen[3] <= seen[2] * 0.5 and seen[4] == 1, seen


def test_the_servers_own_timings_tell_work_from_queue() -> None:
    async def scenario() -> tuple[float, float]:
        limit = AdaptiveLimit(0, start=1)
        ticket = await limit.acquire()
        limit.release(ticket, first_token=30.0, work=29.0)  # a long prompt, evaluated at once: no queue
        grown = limit.limit
        ticket = await limit.acquire()
        limit.release(ticket, first_token=30.0, work=10.0)  # 20 s waiting for a slot
        return grown, limit.limit

    grown, after = asyncio.run(scenario())
    assert grown == 2.0 and after == 1.0  # a queue three times the work: down at once, to the floor here


def test_an_idle_limit_does_not_grow() -> None:
    async def scenario() -> float:
        limit = AdaptiveLimit(0, start=8)
        for _ in range(20):  # one request at a time says nothing about eight
            limit.release(await limit.acquire(), first_token=1.0)
        return limit.limit

    assert asyncio.run(scenario()) == 8.0


def test_past_a_ceiling_found_before_one_more_is_tried_only_with_a_round_of_work_waiting() -> None:
    # A night before found that the server admits eight (a 429 refused the ninth): tonight starts there.
    # Every answer comes at the unloaded latency. One more is worth a try only while the limit's worth of work
    # waits besides what is in flight: a day of eighteen never goes past eight (a refusal on its last
    # rounds would end the day a Retry-After late), a backfill of sixty still looks for more.
    async def scenario(work: int) -> tuple[float, int]:
        limit = AdaptiveLimit(0, start=8, latency=1.0, known_ceiling=8)
        granted: asyncio.Queue[Any] = asyncio.Queue()

        async def one() -> None:
            granted.put_nowait(await limit.acquire())

        tasks = [asyncio.create_task(one()) for _ in range(work)]
        highest = limit.limit
        for _ in range(work):  # answered in the order they went, each at the floor
            limit.release(await granted.get(), first_token=1.0)
            highest = max(highest, limit.limit)
        await asyncio.gather(*tasks)
        return highest, limit.peak_limit

    day, peak = asyncio.run(scenario(18))
    assert int(day) == 8 and peak == 8, (day, peak)
    backfill, peak = asyncio.run(scenario(60))
    assert backfill >= 9 and peak >= 9, (backfill, peak)


def test_a_timeout_under_load_is_overload_and_alone_at_the_lowest_limit_or_before_any_answer_a_failure() -> (
    None
):
    async def scenario() -> tuple[bool, float, bool, bool]:
        limit = AdaptiveLimit(0, start=4)
        limit.release(await limit.acquire(), first_token=0.5)  # the endpoint answers
        tickets = [await limit.acquire() for _ in range(4)]
        overload = limit.timed_out(tickets[0])
        for ticket in tickets[1:]:
            limit.release(ticket)
        halved = limit.limit
        lowest = AdaptiveLimit(1)  # configured to one at a time: it answers, and stays at one
        lowest.release(await lowest.acquire(), first_token=0.5)
        silent = AdaptiveLimit(0, start=4)  # four in flight, and not one answer yet: silence, not load
        crowd = [await silent.acquire() for _ in range(4)]
        return overload, halved, lowest.timed_out(await lowest.acquire()), silent.timed_out(crowd[0])

    overload, halved, failure_is_overload, silence_is_overload = asyncio.run(scenario())
    assert overload and halved == 2.0
    assert not failure_is_overload and not silence_is_overload


def test_how_busy_the_limit_was_kept_is_weighted_by_time_while_there_was_work() -> None:
    async def scenario() -> float:
        now = [0.0]
        limit = AdaptiveLimit(0, start=4, clock=lambda: now[0])
        first, second = await limit.acquire(), await limit.acquire()
        now[0] = 10.0  # two of four for 10 s
        limit.release(first)
        now[0] = 20.0  # one of four for 10 s
        limit.release(second)
        now[0] = 100.0  # nothing to do: not counted
        third = await limit.acquire()
        now[0] = 110.0  # one of four for 10 s
        limit.release(third)
        return limit.kept_busy

    assert asyncio.run(scenario()) == (2 * 10 + 1 * 10 + 1 * 10) / (4 * 30)


def test_slots_go_to_the_lowest_priority_value_first_in_arrival_order() -> None:
    async def scenario() -> list[str]:
        limit = AdaptiveLimit(1)
        held = await limit.acquire()
        order: list[str] = []

        async def one(name: str, priority: float) -> None:
            ticket = await limit.acquire(priority)
            order.append(name)
            limit.release(ticket)

        waiting = [asyncio.create_task(one(n, p)) for n, p in [("low", 0.0), ("likely", -5.0), ("escalation", float("-inf")), ("low2", 0.0)]]  # fmt: skip
        await asyncio.sleep(0.01)
        limit.release(held)
        await asyncio.gather(*waiting)
        return order

    assert asyncio.run(scenario()) == ["escalation", "likely", "low", "low2"]


def test_a_loop_is_seen_in_the_tail_and_ordinary_json_is_not() -> None:
    assert repeated_tail('{"summary": "' + "and again the same words, " * 8) == 26
    assert repeated_tail('{"summary": "' + " " * 200) == 1
    ordinary = '{"summary": "Adds a cache.", "impact": ["src/a.py", "src/b.py"], "risks": ["none"]}' * 1
    assert repeated_tail(ordinary) == 0
    assert repeated_tail("- item one\n- item two\n- item three\n") == 0


# The first: an answer SmolLM2-135M gave through llama.cpp's json_schema grammar (flashinfer 2026-03-03, the
# retry with penalties); the second is shaped like its answers, with what a loose watch would take for a
# loop: indentation, repeated enum values, a table rule and empty items. Seen token by token, neither is.
REAL_ANSWERS = [
    '{\n  "change_types": [\n    "feature",\n    "feature"\n  ],\n  "importance" : "medium",\n  '
    '"importance_reason" : "./codeowner_overrides.json",\n  "summary": "The code is not available for review, '
    'please check the changelog and the changelogs of the repo you are using to submit your pull request."\n}',
    '{\n  "change_types": [\n    "feature",\n    "feature",\n    "feature",\n    "feature"\n  ],\n  '
    '"importance": "high",\n  "importance_reason": "type: feature (+3)",\n  "summary": "Adds FP8 input and '
    "BF16 output to the ragged prefill benchmark.\\n\\n| dtype | in | out |\\n|---|---|---|\\n| fp8 | e4m3 "
    '| bf16 |",\n  "impact": [\n    "benchmarks/bench_ragged_prefill.py",\n    "benchmarks/README.md"\n  ],'
    '\n  "recommendations": [\n    "",\n    "",\n    ""\n  ]\n}',
]


def test_real_answers_stream_past_the_watch() -> None:
    for answer in REAL_ANSWERS:
        watch = LoopWatch()
        assert not any(watch.seen(answer[:end]) for end in range(1, len(answer) + 1)), watch.unit


def _tail_by_definition(text: str) -> int:
    """repetition.py's definition, unit by unit: the shortest unit whose last copies are equal and cover
    at least MIN_SPAN (REPEATS copies at least), looking no further than the first unit the text is too
    short for."""
    from dailydiff.analysis.repetition import MAX_UNIT, MIN_SPAN, MIN_UNIT, REPEATS

    for unit in range(MIN_UNIT, MAX_UNIT + 1):
        span = unit * max(REPEATS, -(-MIN_SPAN // unit))
        if span > len(text):
            break
        if text[len(text) - span :] == text[len(text) - unit :] * (span // unit):
            return unit
    return 0


def test_the_loop_watch_finds_the_unit_the_definition_does() -> None:
    # Random units of two letters (units within units) copied a random number of times after a random
    # prefix, some ending in a part of a copy, some in a stray letter; loops of units about the bounds, cut
    # at many lengths; the real answers; texts holding their last characters again a unit before, that do
    # not repeat.
    import random

    rng = random.Random(62)
    texts = []
    for _ in range(600):
        word = "".join(rng.choice("ab") for _ in range(rng.randrange(1, 320)))
        end = rng.choice(["", word[: rng.randrange(len(word))], "c"])
        prefix = "".join(rng.choice("abc") for _ in range(rng.randrange(0, 200)))
        texts.append(prefix + word * rng.randrange(1, 1300 // len(word) + 3) + end)
    assert len({_tail_by_definition(text) for text in texts}) > 20  # (zero and many units)
    for unit in (1, 2, 3, 7, 8, 9, 26, 39, 40, 41, 53, 160, 299, 300, 301):
        word = "".join(rng.choice("abcdefgh, ") for _ in range(unit))
        loop = '{"summary": "' + word * (1300 // unit + 2)
        texts += [loop[:end] for end in range(150, len(loop), 17)]
    texts += [answer * 3 for answer in REAL_ANSWERS]
    texts += ["x" * 200 + "abcdefgh" + "y" * n + "abcdefgh" for n in range(0, 400, 13)]
    for text in texts:
        assert repeated_tail(text) == _tail_by_definition(text), text[-80:]


# against servers that queue ------------------------------------------------------------------------


def test_a_server_that_serves_sixteen_at_once_is_found_and_kept_busy() -> None:
    with FakeLLM(latency=0.4, slots=16, state_slots=False) as fake:
        analyzer = analyser(fake)
        samples: list[tuple[int, int]] = []
        results = run_batch(analyzer, requests(160), samples)
    assert all(a.status is AnalysisStatus.OK for a in results)
    assert analyzer.stats.peak_limit >= 12, analyzer.stats
    busy = [(n, lim) for n, lim in samples if n > 0]
    steady = busy[len(busy) // 2 : -len(busy) // 8]  # after the ramp, before the last stragglers
    in_flight = sum(n for n, _ in steady) / len(steady)
    limit = sum(lim for _, lim in steady) / len(steady)
    assert in_flight >= 0.8 * limit, (in_flight, limit)


def test_a_thirty_day_backfill_keeps_the_found_limit_busy(tmp_path: Path) -> None:
    # Thirty days of six commits and an overview each: 210 requests at 0.6 s, against sixteen slots the server
    # does not state. The limit is found, and fed from every day with work, not one day after the other: the
    # requests in flight together span days. (How busy the limit is kept, time-weighted, is a figure of
    # bench/engine_stream.py's backfill, target 0.8: a loaded machine's scheduling moves it.)
    from dailydiff.analysis import make_analyzer
    from dailydiff.sources import SourceOptions, open_source
    from dailydiff.store import Store
    from engine_run import run_days
    from gitrepo import CommitSpec, FileEdit, build_repo

    first = dt.date(2026, 1, 1)
    days = [first + dt.timedelta(days=d) for d in range(30)]
    specs = [
        CommitSpec(f"feat: change {d}.{c}", dt.datetime.combine(day, dt.time(8 + 2 * c), tzinfo=dt.UTC),
                   edits=[FileEdit(f"src/m{d}_{c}.py", f"def f{c}():\n    return {d}\n" * 6)])
        for d, day in enumerate(days) for c in range(6)
    ]  # fmt: skip
    build_repo(tmp_path / "repo", specs)
    with FakeLLM(latency=0.6, slots=16, state_slots=False) as fake:
        settings = load_settings(
            environ={"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url},
            overrides={"data_dir": str(tmp_path / "data"), "report": {"timezone": "UTC", "language": "en"},
                       "analysis": {"analyzer": "llm"}, "llm": {"response_mode": "json_schema"}},
            cwd=tmp_path,
        )  # fmt: skip
        with Store.open(settings.data_path) as store:
            source = open_source(str(tmp_path / "repo"), settings, SourceOptions(name="t/backfill"), store)
            analyzer = make_analyzer("llm", settings, store)
            outcome = run_days(source, days, settings, store, analyzer)
        stats = analyzer.stats  # type: ignore[attr-defined]
        statuses = [r.status for r in fake.requests]
        # Each analysis request's span at the server and its commit's day ("feat: change DAY.N").
        spans = [(r.started, r.ended, fake.title_of(r).rsplit(" ", 1)[-1].split(".")[0])
                 for r in fake.analysis_requests()]  # fmt: skip
    assert all(r.run.analysed == 6 for r in outcome.reports), [r.run.analysed for r in outcome.reports]
    assert all(status == 200 for status in statuses) and len(statuses) >= 210
    assert stats.peak_limit >= 12 and fake.peak_active >= 12, (stats, fake.peak_active)
    # The most days whose commits were at the server together: one, if days were worked one after the other.
    days_together = max(
        len({day for began, ended, day in spans if began <= at < ended}) for at, _, _ in spans
    )
    assert days_together >= 3, days_together
    print(f"30-day backfill: {len(statuses)} requests, limit {stats.peak_limit} at its peak, "
          f"up to {days_together} days at the server together")  # fmt: skip


def test_a_server_whose_latency_doubles_past_two_in_flight_settles_at_two() -> None:
    # A first run starts at eight, where every answer is already slow: with five rounds of work waiting its
    # first request (the mode probe) goes alone and shows the latency of an unloaded server (the floor the
    # queue is measured against); the first slow answers then bring the limit down at once, not a fifth a round.
    with FakeLLM(latency=0.3, slow_above=2) as fake:
        analyzer = analyser(fake, concurrency=0, response_mode="auto")
        samples: list[tuple[int, int]] = []
        results = run_batch(analyzer, requests(40), samples)
    assert all(a.status is AnalysisStatus.OK for a in results)
    assert analyzer.stats.errors.get("timeout", 0) == 0
    limits = [lim for n, lim in samples if n > 0]
    settled = limits[len(limits) // 3 :]
    assert all(1 <= lim <= 3 for lim in settled), sorted(set(settled))
    assert 1.5 <= sum(settled) / len(settled) <= 3.0


def test_a_server_stating_its_slots_is_started_there() -> None:
    # The three are held until all three are in the server together (a barrier, broken after 10 s): the
    # overlap itself shows the limit started at three, however late a loaded machine sends the third.
    with FakeLLM(slots=3, overlap=3) as fake:
        analyzer = analyser(fake)
        run_batch(analyzer, requests(3))
    assert "/props" in fake.gets and fake.peak_active == 3


def test_a_server_stating_one_slot_never_gets_two_requests_at_once() -> None:
    # llama.cpp --parallel 1: a second request would only wait in its queue (and time out there).
    with FakeLLM(latency=0.1, slots=1) as fake:
        analyzer = analyser(fake)
        results = run_batch(analyzer, requests(8))
    assert all(a.status is AnalysisStatus.OK for a in results)
    assert fake.peak_active == 1 and analyzer.stats.peak_limit == 1, analyzer.stats


def test_a_queue_behind_our_own_answers_lowers_the_limit_and_times_nothing_out() -> None:
    # Configured for four in flight against a server that works on one: the fourth waits three answers
    # (0.9 s) and its own prompt (0.3 s) for its first token, past the 0.8 s deadline; but the server answers
    # ours meanwhile, so the wait is its queue, not a stall. The queue brings the limit down; nothing times
    # out or goes again.
    with FakeLLM(latency=0.3, slots=1, state_slots=False) as fake:
        analyzer = analyser(fake, concurrency=4, timeout=0.8, breaker_threshold=2)
        results = run_batch(analyzer, requests(6))
    assert all(a.status is AnalysisStatus.OK for a in results), [a.error for a in results]
    assert fake.peak_active == 4 and analyzer.stats.limit_decreases >= 1, analyzer.stats
    assert (
        analyzer.stats.errors == {} and analyzer.stats.overloads == 0 and len(fake.analysis_requests()) == 6
    )


def test_a_newcomer_on_a_one_slot_server_that_does_not_say_so_never_times_out_in_its_queue() -> None:
    # llama-cpp-python's server: one slot, no /props. The newcomer's limit starts at four (nothing is
    # known of it), so all three go at once; the third then waits in the server's queue behind two long
    # answers of ours (1.2 s of prompt, then 60 tokens at 20 ms: 2.4 s each) for far longer than the 2 s
    # deadline, while the prompt and the stream each take 1.2 s: 0.8 s of room under the deadline for a
    # loaded machine's scheduling (with 0.4 s and 0.6 s under 1 s, a loaded run timed one out).
    with FakeLLM(latency=1.2, slots=1, state_slots=False, token_delay=0.02) as fake:
        analyzer = analyser(fake, concurrency=0, timeout=2.0)
        results = run_batch(analyzer, requests(3))
    assert all(a.status is AnalysisStatus.OK for a in results), [a.error for a in results]
    assert fake.peak_active >= 2 and analyzer.stats.peak_limit >= 2, analyzer.stats  # it did queue
    assert analyzer.stats.errors == {} and analyzer.stats.overloads == 0, analyzer.stats
    assert max(fake.per_commit().values()) == 1


def test_a_long_prompt_on_a_slow_server_gets_the_time_its_measured_prompt_speed_needs() -> None:
    # 1,000 prompt tokens a second: the format probe shows it; the analysis prompt needs more than the
    # request deadline to its first token, and is given twice what the measured speed needs.
    with FakeLLM(prompt_rate=1000) as fake:
        analyzer = analyser(fake, response_mode="auto", timeout=0.5)
        (result,) = run_batch(analyzer, requests(1))
        [analysis] = fake.analysis_requests()
    assert result.status is AnalysisStatus.OK, result.error
    assert analysis.ended - analysis.started > 0.5  # past the request deadline, and not timed out
    assert analyzer.stats.errors == {} and analyzer.prompt_rate > 0


def test_a_commit_that_keeps_timing_out_stops_at_three_requests() -> None:
    # Every answer outlasts the deadline, with others in flight or alone: each commit's timeouts count
    # against its cap (the server worked on them), however many retries are allowed.
    with FakeLLM(latency=1.0) as fake:
        analyzer = analyser(fake, concurrency=4, timeout=0.2, breaker_threshold=100, retries=5)
        results = run_batch(analyzer, requests(4))
        per_commit = fake.per_commit()
    assert all(a.status is AnalysisStatus.FAILED for a in results)
    assert all(a.error is not None and "no answer in time" in a.error for a in results), [
        a.error for a in results
    ]
    assert len(per_commit) == 4 and max(per_commit.values()) == MAX_REQUESTS_PER_COMMIT, per_commit
    assert all(a.usage.requests == MAX_REQUESTS_PER_COMMIT for a in results)
    assert analyzer.stats.retried >= 8  # went again (five retries allowed), and the cap stopped each


# loops ----------------------------------------------------------------------------------------------


# What SmolLM2-135M looped on against llama.cpp (flashinfer 2026-03-03), a JSON string's escaped newline,
# and the longest unit the watch looks for.
SMOLLM2_LOOP = "The code is not for the public to use, and it is not for the public to use. "


@pytest.mark.parametrize(
    "unit",
    [SMOLLM2_LOOP, "\\n", "".join(f"{i:03d}" for i in range(100))],
    ids=["sentence", "escaped-newline", "300-characters"],
)
def test_an_answer_that_loops_to_the_output_limit_is_stopped_within_512_tokens(unit: str) -> None:
    with FakeLLM(loop_after=0.3, token_delay=0.001, loop_unit=unit) as fake:
        settings = analyser(fake).settings

        async def ask() -> LLMCallError:
            async with ChatClient(settings, "") as client:
                try:
                    await client.complete([{"role": "user", "content": "hi"}], None, 4096)
                except LLMCallError as exc:
                    return exc
            raise AssertionError("the loop was not stopped")

        error = asyncio.run(ask())
        loop_from = fake.requests[-1].loop_from
    assert error.kind == "loop" and loop_from is not None
    assert 0 < error.tokens - loop_from <= 512, (error.tokens, loop_from)
    print(f"a {len(unit)}-character loop stopped {error.tokens - loop_from} tokens after it began")


def test_a_looping_answer_is_asked_again_once_smaller_and_cooler() -> None:
    with FakeLLM(loop_after=0.3, loop_times=1) as fake:
        analyzer = analyser(fake, temperature=0.4)
        (result,) = run_batch(analyzer, requests(1, level=Level.MEDIUM))
        bodies = [r.body for r in fake.analysis_requests()]
    assert result.status is AnalysisStatus.OK and result.depth is Level.LOW
    assert len(bodies) == 2 and analyzer.stats.loops == 1
    assert bodies[1]["temperature"] < bodies[0]["temperature"]
    assert bodies[1]["max_tokens"] < bodies[0]["max_tokens"]
    # …and told not to repeat itself (OpenAI's penalties): cooler alone, SmolLM2 loops again.
    assert "frequency_penalty" not in bodies[0] and "presence_penalty" not in bodies[0]
    assert bodies[1]["frequency_penalty"] > 0 and bodies[1]["presence_penalty"] > 0


def test_an_answer_that_loops_twice_fails_named() -> None:
    with FakeLLM(loop_after=0.3) as fake:
        analyzer = analyser(fake)
        (result,) = run_batch(analyzer, requests(1, level=Level.MEDIUM))
    assert result.status is AnalysisStatus.FAILED
    assert result.error is not None and "repeated itself" in result.error
    assert len(fake.analysis_requests()) == 2  # (the run's canary before them)


@pytest.mark.parametrize(
    ("provider", "owner", "counted"),
    [("llama.cpp", "fake", True), ("auto", "llamacpp", True), ("auto", "fake", False)],
)
def test_an_answer_stopped_in_a_loop_counts_the_prompt_the_server_counted(
    provider: str, owner: str, counted: bool
) -> None:
    """llama-server's usage comes in a stream's last event, which a loop stopped early never gets: with its
    profile (`provider = "llama.cpp"`, or found from its GET /models) every event carries its timings, and the
    stopped answers' prompts are counted as the server counted them; elsewhere a prompt no event counted
    stays uncounted (0), never guessed."""
    with FakeLLM(loop_after=0.3, timings=True, cache_field="openai", cache_block=16, owned_by=owner) as fake:
        analyzer = analyser(fake, provider=provider)
        (result,) = run_batch(analyzer, requests(1, level=Level.MEDIUM))
        stopped = fake.analysis_requests()
    assert result.status is AnalysisStatus.FAILED and "repeated itself" in (result.error or "")
    assert len(stopped) == 2 and result.usage is not None
    if not counted:
        assert (result.usage.prompt_tokens, result.usage.cached_tokens) == (0, None)
        assert not any("timings_per_token" in r.body for r in stopped)
        return
    assert result.usage.prompt_tokens == sum(r.prompt_tokens for r in stopped) > 0
    assert result.usage.cached_tokens == sum(r.cached_tokens for r in stopped) > 0
    assert 0 < result.usage.completion_tokens < sum(r.completion_tokens for r in stopped)


def test_doctor_shows_the_slots_and_context_the_server_states(tmp_path: Path) -> None:
    from dailydiff.doctor.base import DoctorContext
    from dailydiff.doctor.llm import check_llm

    with FakeLLM(slots=2, n_ctx=4096) as fake:
        settings = load_settings(
            environ={"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url},
            overrides={"data_dir": str(tmp_path), "analysis": {"analyzer": "llm"}},
            cwd=tmp_path,
        )
        [result] = check_llm(DoctorContext(config_path=None, base_dir=tmp_path, settings=settings))
    assert result.ok, result.line()
    assert (
        "context 4096 tokens (stated by the server); 2 slots (stated by the server); concurrency found by measurement"
        in result.detail
    )


def test_commits_that_may_be_escalated_go_first_by_score_and_high_ones_last() -> None:
    from dailydiff.analysis.llm_session import escalation_order

    def req(level: Level, score: float) -> AnalysisRequest:
        (one,) = requests(1, level=level)
        return AnalysisRequest(commit=one.commit, score=Score(level=level, score=score), depth=level)

    order = sorted([req(Level.HIGH, 9.0), req(Level.LOW, 1.0), req(Level.MEDIUM, 4.5), req(Level.LOW, 2.9)], key=escalation_order)  # fmt: skip
    assert [(r.depth, r.score.score) for r in order] == [
        (Level.MEDIUM, 4.5), (Level.LOW, 2.9), (Level.LOW, 1.0), (Level.HIGH, 9.0)
    ]  # fmt: skip


def test_a_stream_dropped_for_the_next_request_caps_the_limit_below_it() -> None:
    async def scenario() -> tuple[bool, int, float, bool]:
        limit = AdaptiveLimit(0, start=2)
        first, second = await limit.acquire(), await limit.acquire()
        crowded = limit.interrupted(first)  # llama-cpp-python dropped it when the second came in
        limit.release(second, first_token=1.0)
        for _ in range(10):
            limit.release(await limit.acquire(), first_token=1.0)
        alone = AdaptiveLimit(0, start=1)
        return crowded, limit.maximum, limit.limit, alone.interrupted(await alone.acquire())

    crowded, maximum, after, alone = asyncio.run(scenario())
    assert crowded and maximum == 1 and after == 1.0
    assert not alone  # alone in flight: the endpoint's failure, for the breaker


# what the last run found, the next one knows -------------------------------------------------------


def test_a_second_run_starts_at_the_limit_the_first_one_found(tmp_path: Path) -> None:
    # The server admits six at once and refuses more (429). The first run finds that; the second, with the
    # same store, sends six at once from its first request: more than a first run's four, and no 429 (seven
    # and one 429 after a first run that read an answer late, which the second run then corrects).
    with FakeLLM(latency=0.3, concurrency_limit=6, retry_after="0.1") as fake, Store.open(tmp_path) as store:
        first = analyser(fake, store)
        # Each batch starts where the last one left the limit: on a loaded machine a batch of thirty may end
        # before the limit has grown past six, and the next goes on from there.
        for _ in range(4):
            assert all(a.status is AnalysisStatus.OK for a in run_batch(first, requests(30)))
            if fake.rejected_429:
                break
        assert fake.rejected_429 >= 1  # it found the six by going past them
        facts = store.llm_endpoint(first.endpoint, fake.model)
        assert facts is not None and facts.measured_at is not None
        # Six; seven when the client read an answer late on a loaded machine (the server had freed the slot
        # the client still counted, and admitted one more): the second run's one refusal then says six.
        ceiling = facts.concurrency_ceiling
        assert ceiling in (6, 7), ceiling
        fake.reset()
        second = analyser(fake, store)
        assert all(a.status is AnalysisStatus.OK for a in run_batch(second, requests(12)))
        asked = fake.analysis_requests()  # (after the run's canary)
        opening = min(r.ended for r in asked if r.status != 429)  # the first answer: one latency in
        together = [r for r in asked if r.started < opening]
        again = store.llm_endpoint(second.endpoint, fake.model)
    assert len(together) == ceiling and fake.rejected_429 == ceiling - 6, (len(together), fake.rejected_429)
    assert again is not None and again.concurrency_ceiling == 6, again


def test_a_day_on_a_store_of_the_night_before_stays_at_the_ceiling_it_found_and_is_refused_nothing(
    tmp_path: Path,
) -> None:
    # The night before found that the server admits eight (a 429 refused the ninth) and answers in L: the
    # store holds what such a run leaves (finding it is test_a_second_run_starts_at_the_limit_the_first_one_found).
    # Tonight's day, eighteen commits, goes eight, eight and two at once: it never asks a ninth at once (a
    # refusal there would send its request again a Retry-After later, after the day's other answers).
    from dailydiff.store import EndpointFacts

    latency = 0.5
    with (
        FakeLLM(latency=latency, concurrency_limit=8, retry_after=str(2 * latency)) as fake,
        Store.open(tmp_path) as store,
    ):
        store.save_llm_endpoint(analyser(fake).endpoint, fake.model,
                                EndpointFacts(concurrency_limit=8, concurrency_ceiling=8, latency=latency))  # fmt: skip
        tonight = analyser(fake, store)
        assert tonight.remembered_limit() == (8, True)
        samples: list[tuple[int, int]] = []
        results = run_batch(tonight, requests(18), samples)
    assert all(a.status is AnalysisStatus.OK for a in results), [a.error for a in results]
    assert fake.rejected_429 == 0 and fake.peak_active == 8, (fake.rejected_429, fake.peak_active)
    assert tonight.stats.peak_limit == 8 and max(lim for _, lim in samples) == 8, (tonight.stats, samples)


def test_a_limit_remembered_at_eight_against_a_server_that_now_admits_one_comes_down_at_once(
    tmp_path: Path,
) -> None:
    # The limit of eight is written into the store as a run that found it leaves it (finding it is the tests
    # above; on a loaded machine a short run may stop short of eight, which is not this test's case).
    from dailydiff.store import EndpointFacts

    latency = 0.5
    with (
        FakeLLM(latency=latency, concurrency_limit=1, retry_after=str(latency)) as fake,
        Store.open(tmp_path) as store,
    ):
        store.save_llm_endpoint(
            analyser(fake).endpoint, fake.model, EndpointFacts(concurrency_limit=8, concurrency_ceiling=8)
        )
        now = analyser(fake, store)  # the server now works on one at a time and refuses the rest
        assert now.remembered_limit() == (8, True)
        results = run_batch(now, requests(8))
        refused = [r for r in fake.requests if r.status == 429]
        first = min(r.started for r in fake.analysis_requests())  # (after the run's canary)
        after = store.llm_endpoint(now.endpoint, fake.model)
    assert all(a.status is AnalysisStatus.OK for a in results), [a.error for a in results]
    assert now.stats.errors.get("timeout", 0) == 0 and now.stats.overloads == 0
    # The eight it started with: seven refused at once, the limit down to the one the server answered; past
    # it, one more is tried only a round after the refusal, then two, four… (the server's one slot might have
    # been another client's): at most three tries in the eight rounds.
    at_once = [r for r in refused if r.started - first < latency]
    assert len(at_once) == 7 and len(refused) - 7 <= 3, [r.started - first for r in refused]
    assert after is not None and after.concurrency_ceiling == 1 and after.concurrency_limit == 1


def test_a_limit_remembered_at_eight_against_a_server_that_now_states_one_slot_sends_one_at_a_time(
    tmp_path: Path,
) -> None:
    # llama.cpp restarted with --parallel 1: /props says so, and the run's limit is one before its first
    # request, whatever the last run found; nothing waits in the server's queue long enough to time out.
    # The limit of eight is written into the store as a run that found it leaves it (how a run finds it is
    # the tests above: on a loaded machine 30 requests may stop short of eight, which is not this test's case).
    from dailydiff.store import EndpointFacts

    with FakeLLM(latency=0.1, slots=1) as fake, Store.open(tmp_path) as store:  # one at a time, and says so
        store.save_llm_endpoint(
            analyser(fake).endpoint, fake.model, EndpointFacts(concurrency_limit=8, concurrency_ceiling=8)
        )
        assert analyser(fake, store).remembered_limit() == (8, True)
        now = analyser(fake, store, timeout=0.5)
        results = run_batch(now, requests(8))
    assert all(a.status is AnalysisStatus.OK for a in results), [a.error for a in results]
    assert fake.peak_active == 1 and now.stats.errors == {}, (fake.peak_active, now.stats)


def test_a_ceiling_found_once_gives_way_when_a_later_run_had_more_in_flight(tmp_path: Path) -> None:
    from dailydiff.store import EndpointFacts

    with FakeLLM() as fake, Store.open(tmp_path) as store:
        endpoint = analyser(fake).endpoint
        store.save_llm_endpoint(
            endpoint, fake.model, EndpointFacts(concurrency_limit=6, concurrency_ceiling=8)
        )
        assert analyser(fake, store).remembered_limit() == (8, True)  # the ceiling: start there, grow gently
        store.save_llm_endpoint(endpoint, fake.model, EndpointFacts(concurrency_limit=12))  # the server grew
        assert analyser(fake, store).remembered_limit() == (12, False)


def test_slots_another_client_held_are_taken_again_once_it_gives_them_back() -> None:
    # Two workers of a shared plan, each with a limit of its own, share an endpoint that works on eight at once
    # and refuses (429) the rest. Another worker holds four of them for the first second (the endpoint admits
    # this one four): its crowd is refused above them, and its limit comes down to four. Then the other is
    # done and the eight are free: this worker takes them again (its limit past four again, more than four in
    # flight at once), as the worker left alone at the end of a shared night must — not four to the end of its
    # run. (The limit is read, not only the endpoint's peak. On a quiet machine it is back at eight; on a loaded
    # one, where a busy core makes some first tokens late and the limit grows more slowly, it read six by the
    # end of the batch: past four is what tells the two behaviours apart.)
    latency, slots, shared_for = 0.2, 8, 1.0
    sample: list[tuple[int, int]] = []  # (in flight, limit) every 20 ms
    freed_at: list[int] = []  # the sample taken when the other worker was done
    with FakeLLM(latency=latency, concurrency_limit=slots // 2, retry_after=str(latency)) as fake:

        def given_back() -> None:
            fake.peak_active, fake.concurrency_limit = 0, slots
            freed_at.append(len(sample))

        alone = threading.Timer(shared_for, given_back)
        alone.start()
        try:
            results = run_batch(analyser(fake), requests(120), sample)
        finally:
            alone.cancel()
        began = min(r.started for r in fake.requests)
        shared = sum(1 for r in fake.requests if r.status == 429 and r.started - began < shared_for)
        most = fake.peak_active  # in flight at once after the other worker was done
    assert all(r.status is AnalysisStatus.OK for r in results), [r.error for r in results]
    limits = [limit for _, limit in sample[freed_at[0] :]]
    assert shared >= 1 and max(limits) > slots // 2 and most > slots // 2, (shared, most, limits)


def _alone_after_a_share_of_four(freed: int | None) -> tuple[list[int], int, tuple[int, int | None]]:
    """The limiter alone. A crowd's refusal set this worker's share at four (the others held twelve of
    sixteen); then it is told the others left (``freed``: the slots that are its own now, None: not known).
    Returns how many requests each of the next three rounds had (a round: whatever is in flight answered at
    the floor, with a hundred more waiting), the limit right after it was told, and what the next run would
    start from."""

    async def scenario() -> tuple[list[int], int, tuple[int, int | None]]:
        limit = AdaptiveLimit(0, start=8, latency=1.0)
        granted: asyncio.Queue[Any] = asyncio.Queue()

        async def one() -> None:
            granted.put_nowait(await limit.acquire())

        tasks = [asyncio.create_task(one()) for _ in range(120)]
        first = [await granted.get() for _ in range(8)]
        for ticket in first[4:]:  # the endpoint admits four of ours: the crowd is refused above them
            limit.rate_limited(ticket, 1.0)
            tasks.append(asyncio.create_task(one()))
        for ticket in first[:4]:
            limit.release(ticket, first_token=1.0)
        assert limit.found == 4
        await asyncio.sleep(0)
        in_flight = [granted.get_nowait() for _ in range(granted.qsize())]  # the share's next round
        if freed is None:
            limit.peers_left()
        else:
            limit.peers_left(freed)
        told = int(limit.limit)
        rounds = []
        for _ in range(3):
            await asyncio.sleep(0)
            batch = in_flight + [granted.get_nowait() for _ in range(granted.qsize())]
            in_flight = []
            rounds.append(len(batch))
            for ticket in batch:
                limit.release(ticket, first_token=1.0)
        for task in tasks:
            task.cancel()
        return rounds, told, limit.to_remember()

    return asyncio.run(scenario())


def test_once_the_other_workers_left_the_limit_doubles_a_round_to_the_free_slots() -> None:
    # Not told how many slots the others held: alone, one more would be tried only a round after a refusal,
    # one at a time; told that the others left, it doubles a round from four — eight, sixteen — and what the
    # next run starts from stays the share.
    rounds, _, remembered = _alone_after_a_share_of_four(None)
    assert rounds[0] == 4 and rounds[1] >= 8 and rounds[2] >= 16, rounds
    assert remembered == (4, 4), remembered


def test_once_the_other_workers_left_the_limit_takes_the_slots_they_held_and_probes_past_them_gently() -> (
    None
):
    # Told that twelve slots are its own now, the limit is sixteen at once (no doubling past the endpoint's
    # room: a refused request waits its Retry-After, at a night's end last of all), and grows past that by
    # one a round at most, with work waiting. The share is remembered.
    rounds, told, remembered = _alone_after_a_share_of_four(12)
    assert told == 16 and rounds[0] == 16, (told, rounds)
    assert all(16 <= r <= 17 + i for i, r in enumerate(rounds[1:])), rounds
    assert remembered == (4, 4), remembered
