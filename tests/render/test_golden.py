"""Golden files: a scripted repository with fixed dates and the expected zh/en Markdown and JSON.
Regenerate on purpose only: `make golden` (sets DAILYDIFF_REGENERATE_GOLDEN=1)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from dailydiff.render import render_json, render_markdown
from fixtures import add_merge, build_day_reports, build_sample_repo

GOLDEN = Path(__file__).parents[1] / "golden"
REGENERATE = os.environ.get("DAILYDIFF_REGENERATE_GOLDEN") == "1"
NOW = dt.datetime(2026, 1, 20, 2, 0, tzinfo=dt.UTC)


def _stable_json(text: str) -> str:
    data = json.loads(text)
    data["run"]["duration_seconds"] = 0.0  # wall time is not part of the contract
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("golden")
    repo = base / "repo"
    build_sample_repo(repo)
    add_merge(repo)
    rendered: dict[str, str] = {}
    for lang in ("zh", "en"):
        report = build_day_reports(repo, base / f"data-{lang}", [dt.date(2026, 1, 19)], lang, NOW)[0]
        rendered[f"sample-2026-01-19.{lang}.md"] = render_markdown(report)
        rendered[f"sample-2026-01-19.{lang}.json"] = _stable_json(render_json(report))
    return rendered


@pytest.mark.parametrize(
    "name",
    [
        "sample-2026-01-19.zh.md",
        "sample-2026-01-19.en.md",
        "sample-2026-01-19.zh.json",
        "sample-2026-01-19.en.json",
    ],
)
def test_matches_golden(outputs: dict[str, str], name: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.write_text(outputs[name], encoding="utf-8")
    assert path.exists(), f"{path} missing: run `make golden` to create it"
    assert outputs[name] == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, run `make golden`"
    )
