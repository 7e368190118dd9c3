"""The source seam is declared: a forge added to the sources' registry is named, planned, fetched with its
host's shared request slots and accounted by the engine, with no change to the engine (how GitLab was
added). The forge here serves a real local history under a nested forge id."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from clirun import dailydiff
from dailydiff.engine.identity import repo_ref
from dailydiff.models import Commit, Window
from dailydiff.settings import Settings, load_settings
from dailydiff.sources import FORGES, SOURCES, Forge, SourceOptions
from dailydiff.sources.base import SourceBase
from dailydiff.sources.git import GitSource
from test_github_source import DAYS, repo_path  # noqa: F401  (repo_path: a fixture)


class ShelfSource(SourceBase):
    """A forge of its own: a local clone's commits under a forge id, recording what the engine hands it."""

    kind = "shelf"

    def __init__(self, repo: str, clone: GitSource) -> None:
        self.repo, self.repo_url, self.default_branch = repo, None, ""
        self.clone = clone
        self.slots: list[asyncio.Semaphore | None] = []

    @property
    def host(self) -> str:
        return "shelf://one"

    @property
    def concurrency(self) -> int:
        return 3

    def commits(self, window: Window) -> list[Commit]:
        return [c.model_copy(update={"repo": self.repo}) for c in self.clone.commits(window)]

    async def stream(self, window: Window, on_listed: Any, on_commit: Any, **options: Any) -> object:
        self.slots.append(options.get("slots"))
        return await super().stream(window, on_listed, on_commit, **options)

    def spend(self) -> dict[str, dict[str, int]]:
        return {"shelf": {"requests": len(self.slots)}}


def test_a_forge_added_to_the_registry_runs_through_the_engine_unchanged(
    repo_path: tuple[Path, list[str]],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _ = repo_path
    opened: list[ShelfSource] = []

    def open_shelf(spec: str, settings: Settings, options: SourceOptions, store: object) -> ShelfSource:
        opened.append(ShelfSource(spec.removeprefix("shelf:"), GitSource.open(str(path), tmp_path)))
        return opened[-1]

    monkeypatch.setitem(SOURCES, "shelf", open_shelf)
    monkeypatch.setitem(
        FORGES, "shelf", Forge(lambda s: s.startswith("shelf:"), lambda s: s.removeprefix("shelf:"))
    )
    config = tmp_path / "dailydiff.toml"
    config.write_text('[[repos]]\nsource = "shelf:team/sub/proj"\n[[repos]]\nsource = "shelf:other/proj"\n',
                      encoding="utf-8")  # fmt: skip
    settings = load_settings(config, environ={}, cwd=tmp_path, overrides={"data_dir": str(tmp_path / "data")})
    assert repo_ref(settings, "shelf:team/sub/proj", opened=True).id == "team/sub/proj"
    # What a user runs: the command, in this process (the registry entries above are this process's).
    done = dailydiff("run", "--config", str(config), "--date", DAYS[1].isoformat(), "--data-dir",
                     str(tmp_path / "data"), "--summary-json", "summary.json", cwd=tmp_path,
                     env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    repos = summary["repos"]
    assert [r["repo"] for r in repos] == ["team/sub/proj", "other/proj"]
    assert all(r["status"] == "ok" and r["days"][0]["status"] == "built" and r["days"][0]["commits"] == 5
               for r in repos), repos  # fmt: skip
    assert [r["shelf"] for r in repos] == [{"requests": 1}, {"requests": 1}]  # the source's own accounts
    # One semaphore per API host for the run, sized by the source: both repositories share it.
    first, second = (source.slots[0] for source in opened)
    assert first is not None and first is second and first._value == 3
