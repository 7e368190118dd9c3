"""One JSON summary shape (version 2) for every command that runs units: ``summary_version``, ``command``,
``status``, ``exit_code`` and ``units`` — one row per unit with the same keys whatever its kind (day,
digest, week) — beside each command's own keys of version 1, which stay as they were."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from opsfixtures import DAYS, FIRST_DAY, build_workspace, dailydiff

UNIT_KEYS = {"kind", "key", "unit", "repo", "date", "status", "detail", "deliveries"}
EXTRA = """
[weekly]
publishers = ["archive"]

[[digest]]
name = "team"

[[publish]]
type = "files"
name = "archive"
directory = "archive"
"""


def _summary(path: Path, command: str) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["summary_version"] == 2 and data["command"] == command, data
    assert data["status"] in {"ok", "gated", "failed"} and isinstance(data["exit_code"], int)
    for row in data["units"]:
        assert set(row) == UNIT_KEYS, row
    return data


def test_every_command_writes_one_summary_shape(tmp_path: Path) -> None:
    build_workspace(tmp_path, repos=2, per_day=2, extra_toml=EXTRA)
    last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    span = ["--from", FIRST_DAY.isoformat(), "--to", last.isoformat()]
    dailydiff("run", *span, "--summary-json", "run.json", cwd=tmp_path)
    run = _summary(tmp_path / "run.json", "run")
    kinds = {row["kind"] for row in run["units"]}
    assert kinds == {"day", "digest", "week"}, kinds
    assert {"repos", "digests", "weeks", "deliveries", "totals"} <= set(run)  # version 1's keys, kept
    days = [row for row in run["units"] if row["kind"] == "day"]
    assert len(days) == 2 * DAYS and all(row["key"] == f"{row['repo']} {row['date']}" for row in days)
    dailydiff("digest", "--date", FIRST_DAY.isoformat(), "--summary-json", "digest.json", cwd=tmp_path)
    assert [row["kind"] for row in _summary(tmp_path / "digest.json", "digest")["units"]] == ["digest"]
    day = ["--date", FIRST_DAY.isoformat()]
    dailydiff("report", "repos/proj0", *day, "-q", "--summary-json", "report.json", cwd=tmp_path)
    report = _summary(tmp_path / "report.json", "report")
    assert [row["kind"] for row in report["units"]] == ["day"] and "reports" in report
    dailydiff("publish", "repos/proj0", *day, "--summary-json", "publish.json", cwd=tmp_path)
    published = _summary(tmp_path / "publish.json", "publish")
    assert published["repo"] == "proj0" and published["units"][0]["deliveries"][0]["publisher"] == "archive"
