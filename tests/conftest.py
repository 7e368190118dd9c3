from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
pytest_plugins = ["pgserver"]  # the real PostgreSQL server fixtures (pg_server, pg_url)


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


@pytest.fixture(scope="session")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample repository (tests/fixtures.py), built once; tests that write to it build their own."""
    from fixtures import build_sample_repo

    path = tmp_path_factory.mktemp("sample-repo") / "demo"
    build_sample_repo(path)
    return path
