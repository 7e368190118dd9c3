"""test_llm_native_server.py's tests against llama.cpp's ``llama-server`` with ``--parallel 4`` (four slots,
8k context each): the limit starts at the four slots /props states, and the context is the slot's; and the
small day (two commits: more than one in flight), every commit analysed by the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from dailydiff.analysis.llm_call import MAX_REQUESTS_PER_COMMIT
from dailydiff.store import Store
from llama_server import CONTEXT, MODEL, answered_or_loop_named, every_commit_counted
from llm_fixtures import run_day
from test_llm_native_server import (  # noqa: F401 (the tests and their fixture, run here with four slots)
    server,
    test_doctor_shows_the_servers_slots_and_context,
    test_the_server_states_its_slots_and_context,
)
from test_llm_real_server import DAY_COMMITS, newcomer, small_day

pytestmark = pytest.mark.llm_server

PARALLEL = 4


def test_every_commit_of_a_small_day_is_analysed_with_the_servers_slots(
    server: tuple[str, int],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    base_url, parallel = server
    settings = newcomer(base_url, tmp_path / "data", overview=False)
    repo = small_day(tmp_path / "repo")
    outcome, _ = run_day(repo, settings, analyzer_name="auto")
    report = outcome.reports[0]
    statuses = [(rc.short_sha, rc.analysis and rc.analysis.status, rc.analysis and rc.analysis.error)
                for rc in report.commits]  # fmt: skip
    assert answered_or_loop_named(report.commits), statuses
    assert every_commit_counted(report, DAY_COMMITS), report.run
    assert 1 <= report.run.max_requests_per_commit <= MAX_REQUESTS_PER_COMMIT
    with Store.open(settings.data_path) as store:
        facts = store.llm_endpoint(base_url, MODEL)
    assert facts is not None and facts.response_mode == "json_schema"
    assert facts.context_window == CONTEXT
    # Issue 42: what the run found is remembered, and the next run starts there (the server's four slots),
    # not at one; no request of this one timed out.
    assert facts.concurrency_ceiling == parallel, facts
    with Store.open(settings.data_path) as store:
        from dailydiff.analysis import make_analyzer

        assert make_analyzer("llm", settings, store).remembered_limit() == (parallel, True)
    assert not any("timeout" in (f or "").lower() or "in time" in (f or "") for f in report.run.failures), (
        report.run.failures
    )
    assert report.overview.producer == "heuristic"  # `overview = false`: not asked
    print(f"native --parallel {parallel}: {report.run.max_requests_per_commit} at most per commit, "
          f"{report.run.duration_seconds:.0f}s, overview by {report.overview.producer}")  # fmt: skip
