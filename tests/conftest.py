from __future__ import annotations

import atexit
import faulthandler
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailydiff.common import secrets, templates

# The shared helpers (fakes, fixtures, servers) stay in tests/, importable from every stage folder; a stage's
# test module that another imports (test_github_source's fixtures, test_deliver's edition…) is too.
TESTS = Path(__file__).parent
sys.path[:0] = [str(TESTS), *sorted({str(path.parent) for path in TESTS.glob("*/test_*.py")})]
# No test reads or writes the user's own data directory (~/.local/share/dailydiff): a command a test runs
# without --data-dir keeps its store in this test process's own directory (each xdist worker has one).
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="dailydiff-tests-data-")
atexit.register(shutil.rmtree, os.environ["XDG_DATA_HOME"], ignore_errors=True)
# The real servers' fixtures: PostgreSQL (pg_server, pg_url) and SmolLM2 (real_server), one per test process.
# A real component that is missing fails the run in CI and skips elsewhere, by one rule: tests/required.py.
pytest_plugins = ["pgserver", "llama_server"]

# The files that take longest (measured with --durations on two workers), handed out first. Under
# `--dist loadfile` a free worker takes the next file in collection order: with the long ones first, the two
# workers finish together instead of one running a long file alone at the end. Order only: a file not
# listed keeps its place after these, and every test of a file keeps its order.
LONGEST_FIRST = (
    "test_llm_real_server.py",  # a real model (the day, doctor and ask on one server): long, longer loaded
    "test_fleet.py",
    "test_bench_smoke.py",
    "test_llm_native_server_4.py",
    "test_llm_limit.py",  # mostly waiting on a fake's latency: beside the browser files that follow
    "test_chart_labels_browser.py",
    "test_shared_plan.py",
    "test_site_charts_browser.py",
    "test_config_canaries.py",
    "test_site_browser.py",
    "test_run_resilience.py",
    "test_edition.py",
    "test_github_source.py",
    "test_site_incremental.py",
    "test_second_day.py",
    "test_store_copy.py",
    "test_llm_analyzer.py",
    "test_site_charts.py",
    "test_github_clone.py",
    "test_newcomer.py",
    "test_llm_endpoints.py",
)


# The files whose tests took 30 s or more in all in `make quick` when it left out LONGEST_FIRST alone (measured
# with --durations on two workers at a load of 11, 2026-11-27: 1,789 s, 3,192 s of tests; these files 2,628 s
# of them). With LONGEST_FIRST they are slow as a whole, so `make quick` (-m "not slow") leaves them out.
SLOW_FILES = (
    "test_late.py", "test_fifth_day.py", "test_search.py", "test_derived_data.py", "test_gitlab_source.py",
    "test_scoring_security_words.py", "test_startup_lazy.py", "test_report_cli.py", "test_store_upgrade.py",
    "test_mcp.py", "test_hybrid.py", "test_units_fleet.py", "test_llm_batch.py", "test_ledger.py",
    "test_llm_providers.py", "test_notes_run.py", "test_plan_guard.py", "test_one_send_loop.py",
    "test_eval.py", "test_engine.py", "test_store_outage.py", "test_digest_run.py",
    "test_llm_budget.py", "test_store.py", "test_weekly_mail_browser.py", "test_publish_cli.py",
    "test_mcp_changes.py", "test_site_build.py", "test_publish_github.py", "test_units.py",
    "test_outbound_policy.py", "test_windows.py", "test_notes.py", "test_search_cli.py", "test_startup.py",
    "test_scrub_gates.py", "test_week_compare.py", "test_init_doctor.py", "test_run.py",
    "test_github_faults.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
    slow = {*LONGEST_FIRST, *SLOW_FILES}
    for item in items:
        if item.path.name in slow:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_state_between_tests() -> Iterator[None]:
    """Commands run in-process (tests/clirun.py): whatever a test leaves in the process — environment,
    working directory, handlers on the `dailydiff` logger — is put back before the next test."""
    environ, cwd = dict(os.environ), os.getcwd()
    logger = logging.getLogger("dailydiff")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    if dict(os.environ) != environ:
        os.environ.clear()
        os.environ.update(environ)
    os.chdir(cwd)
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """What the process keeps for its lifetime starts afresh for each test: the secret registry (an
    in-process leak check must not pass because an earlier test registered the same canary) and the
    template environments (a user's template directory is read anew)."""
    secrets.REGISTRY.__dict__.update(secrets.SecretRegistry().__dict__)
    templates._environment.cache_clear()
    yield


@pytest.fixture(scope="session")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample repository (tests/fixtures.py), built once; tests that write to it build their own."""
    from fixtures import build_sample_repo

    path = tmp_path_factory.mktemp("sample-repo") / "demo"
    build_sample_repo(path)
    return path


# A test that hangs fails after [tool.pytest.ini_options] timeout (pytest-timeout, on SIGALRM). A hang that
# holds the GIL (a thread blocked in C with it, as two threads on one SQLite connection once were) stops
# that timer's Python handler as well: faulthandler's watchdog, a C thread, ends the process a minute later
# with every thread's stack written to a file of its own, which the controlling process prints at the end
# (an xdist worker ended so is reported as crashed while running the test; the Makefile's
# --max-worker-restart 0 then ends the run at once: a replaced worker left it waiting for good).
_HANGS = Path(tempfile.gettempdir())
_HANG_MARGIN = 60.0
_hang_file: list[Any] = []
# The run's files only (its workers inherit the controlling process's environment): not another run's.
_RUN = os.environ.setdefault("DDTESTS_RUN", str(os.getpid()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    limit = float(item.config.getini("timeout") or 0)
    if limit <= 0:
        yield
        return
    if not _hang_file:
        _hang_file.append(open(_HANGS / f"dailydiff-tests-hang-{_RUN}-{os.getpid()}.txt", "w"))  # noqa: SIM115
    out = _hang_file[0]
    out.seek(0)
    out.truncate()
    out.write(f"{item.nodeid} hung past {limit + _HANG_MARGIN:g} s; the stacks of its threads:\n")
    out.flush()
    faulthandler.dump_traceback_later(limit + _HANG_MARGIN, exit=True, file=out)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        out.seek(0)
        out.truncate()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _hang_file:
        _hang_file.pop().close()
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller prints them
        return
    for path in sorted(_HANGS.glob(f"dailydiff-tests-hang-{_RUN}-*.txt")):
        text = path.read_text(errors="replace")
        if text.strip():
            sys.stderr.write(f"\n{text}\n")
        path.unlink(missing_ok=True)
