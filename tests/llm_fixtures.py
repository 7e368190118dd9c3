"""Shared pieces of the LLM tests: a small git repository of one day, settings pointing at a FakeLLM,
and a helper that runs the pipeline in-process and renders the Markdown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dailydiff.analysis import make_analyzer
from dailydiff.render import render_markdown
from dailydiff.settings import Settings, load_settings
from dailydiff.sources import SourceOptions, open_source
from dailydiff.store import Store
from engine_run import RangeOutcome, run_days
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, build_repo

DAY = dt.date(2026, 1, 27)
UTC = dt.UTC


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, 27, hour, minute, tzinfo=UTC)


def _py(n: int, name: str = "f") -> str:
    return "".join(f"def {name}_{i}(x):\n    return x + {i}\n\n" for i in range(n))


def day_specs() -> list[CommitSpec]:
    """Five commits of 2026-01-27 (UTC): a large feature, a fix, docs, a dependency bump with a lockfile,
    and a commit with a binary file."""
    return [
        CommitSpec("init: skeleton", dt.datetime(2026, 1, 20, 9, tzinfo=UTC),
                   edits=[FileEdit("src/engine/core.py", _py(3)), FileEdit("README.md", "# demo\n")]),
        CommitSpec("feat(engine): add a batch scheduler with priorities\n\nIntroduces BatchScheduler.",
                   _at(9), edits=[FileEdit("src/engine/scheduler.py", _py(40, "schedule")),
                                  FileEdit("src/engine/core.py", _py(6)),
                                  FileEdit("tests/test_scheduler.py", _py(8, "test"))]),
        CommitSpec("fix: handle an empty batch in the core loop", _at(11),
                   edits=[FileEdit("src/engine/core.py", _py(6) + "def empty():\n    return []\n")]),
        CommitSpec("[Doc] describe the scheduler", _at(13), edits=[FileEdit("docs/scheduler.md", "# Scheduler\n" * 5)]),
        CommitSpec("deps: bump numpy", _at(15), edits=[FileEdit("requirements.txt", "numpy==2.1\n"),
                                                        FileEdit("poetry.lock", "lock\n" * 400)]),
        CommitSpec("chore: add the logo", _at(17), edits=[FileEdit("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00" * 50)]),
    ]  # fmt: skip


def make_repo(path: Path) -> Path:
    build_repo(path, day_specs())
    return path


def settings_for(fake: FakeLLM, data_dir: Path, *, language: str = "en", **llm: Any) -> Settings:
    # json_schema unless a test says otherwise: request counts below leave out the negotiation probe.
    knobs = {
        "backoff": 0.01,
        "read_timeout": 5.0,
        "connect_timeout": 2.0,
        "response_mode": "json_schema",
        **llm,
    }
    return load_settings(
        environ={"DAILYDIFF_LLM_MODEL": fake.model, "DAILYDIFF_LLM_BASE_URL": fake.base_url},
        overrides={
            "data_dir": str(data_dir),
            "report": {"timezone": "UTC", "language": language},
            "analysis": {"analyzer": "llm"},
            "llm": knobs,
        },
        cwd=data_dir,
    )


def run_day(repo: Path, settings: Settings, analyzer_name: str = "llm") -> tuple[RangeOutcome, str]:
    with Store.open(settings.data_path) as store:
        source = open_source(str(repo), settings, SourceOptions(name="demo/engine"), store)
        analyzer = make_analyzer(analyzer_name, settings, store)
        outcome = run_days(source, [DAY], settings, store, analyzer)
    return outcome, render_markdown(outcome.reports[0])
