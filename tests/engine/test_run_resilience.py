"""`dailydiff run` killed at random points resumes with no repeated work; two runs at once on one store."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dailydiff.store import DB_NAME, Store
from opsfixtures import build_workspace, cli_env, dailydiff, leftover_temporaries, outputs, run_args

# Every write to the analyses table (insert, or update of an existing row) is logged by triggers, so
# an analysis computed and stored twice shows up as two writes of one row.
TRIGGERS = """
CREATE TABLE analysis_writes (repo TEXT, sha TEXT, fingerprint TEXT, kind TEXT);
CREATE TRIGGER analyses_insert AFTER INSERT ON analyses
BEGIN INSERT INTO analysis_writes VALUES (NEW.repo, NEW.sha, NEW.fingerprint, 'insert'); END;
CREATE TRIGGER analyses_update AFTER UPDATE ON analyses
BEGIN INSERT INTO analysis_writes VALUES (NEW.repo, NEW.sha, NEW.fingerprint, 'update'); END;
"""


def instrumented_store(data_dir: Path) -> Path:
    Store.open(data_dir).close()  # creates the database and runs the migrations
    db_path = data_dir / DB_NAME
    with sqlite3.connect(db_path) as db:
        db.executescript(TRIGGERS)
    db.close()
    return db_path


def count_files(directory: Path) -> int:
    if not directory.exists():
        return 0
    return sum(1 for p in directory.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))


def query(db_path: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(db_path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


PER_DAY = 30


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("resilience")
    # 630 commits, 30 a day: each day's pair of files takes tens of milliseconds or more (and the first ones
    # come after start-up and a clone), while the kills follow the file count within a 2 ms poll: they land
    # mid-run. One repository by file:// URL: it is cloned into (and fetched from) the shared data directory.
    build_workspace(root, per_day=PER_DAY, extra_toml="\n[run]\nconcurrency = 2\n", last_by_url=True)
    return root


@pytest.fixture(scope="module")
def reference(workspace: Path) -> tuple[dict[str, str], Path]:
    """An uninterrupted run of the workspace: its outputs and its (instrumented) database."""
    reference_db = instrumented_store(workspace / "data-ref")
    dailydiff(*run_args("out-ref"), "--data-dir", "data-ref", cwd=workspace)
    texts = outputs(workspace / "out-ref")
    assert len(texts) == 42  # 21 days x (md + json)
    return texts, reference_db


def start_run(root: Path, data: str, out: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "dailydiff", *run_args(out), "--data-dir", data]
    return subprocess.Popen(
        args, cwd=root, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_equals_an_uninterrupted_run(
    workspace: Path, reference: tuple[dict[str, str], Path]
) -> None:
    root = workspace
    reference_texts, reference_db = reference

    db_path = instrumented_store(root / "data-kill")
    rng = random.Random(20260105)
    partial_states = []
    for attempt in range(5):
        done = count_files(root / "out-kill")
        proc = start_run(root, "data-kill", "out-kill")
        if attempt < 4:
            # Kill at a random point of the first half of the remaining work, when the files reach a random
            # count: half the work still to do, the run cannot finish between the poll and the kill.
            target = (
                (rng.randint(done + 1, done + max(1, (41 - done) // 2)) if done < 41 else 42)
                if attempt
                else 1
            )
            deadline = time.monotonic() + 30
            while (
                count_files(root / "out-kill") < target
                and time.monotonic() < deadline
                and proc.poll() is None
            ):
                time.sleep(0.002)
        else:
            time.sleep(rng.uniform(0.2, 0.6))  # and once at a random time (start-up, fetch or analysis)
        proc.kill()  # SIGKILL: no cleanup code runs
        proc.communicate()
        partial_states.append(count_files(root / "out-kill"))
    print("files after each kill:", partial_states)
    assert sum(0 < n < 42 for n in partial_states) >= 3, partial_states  # the kills landed mid-run

    final = dailydiff(
        *run_args("out-kill"), "--data-dir", "data-kill", "--summary-json", "kill.json", cwd=root
    )
    assert "Traceback" not in final.stderr
    resumed = outputs(root / "out-kill")
    assert resumed.keys() == reference_texts.keys()
    # A writer killed mid-file leaves only its hidden temporary, beside the complete file the resume wrote.
    for leftover in leftover_temporaries(root / "out-kill"):
        name = leftover.name[1:].rsplit(".", 2)[0]
        assert str(leftover.parent.joinpath(name).relative_to(root / "out-kill")) in resumed, leftover
    for name, text in reference_texts.items():
        assert resumed[name] == text, name
    # No report is half-written: every Markdown ends with its footer, every JSON parses (above).
    for path in (root / "out-kill").rglob("*.md"):
        assert path.read_text(encoding="utf-8").rstrip().splitlines()[-1].startswith("*由 dailydiff")

    # No analysis computed (and stored) twice, across five killed runs and the final one.
    writes = query(db_path, "SELECT repo, sha, fingerprint, COUNT(*) FROM analysis_writes GROUP BY 1, 2, 3")
    assert writes and all(count == 1 for *_, count in writes), [w for w in writes if w[3] > 1][:3]
    assert query(db_path, "SELECT COUNT(*) FROM analyses") == query(
        reference_db, "SELECT COUNT(*) FROM analyses"
    )
    assert query(db_path, "SELECT COUNT(*) FROM analysis_writes WHERE kind = 'update'") == [(0,)]
    assert query(db_path, "PRAGMA integrity_check") == [("ok",)]
    summary = json.loads((root / "kill.json").read_text(encoding="utf-8"))
    assert summary["exit_code"] == 0


@pytest.mark.slow
def test_two_runs_at_once_on_one_data_directory(
    workspace: Path, reference: tuple[dict[str, str], Path]
) -> None:
    root = workspace
    first = start_run(root, "data-two", "out-two")
    second = start_run(root, "data-two", "out-two")
    results = [proc.communicate(timeout=120) for proc in (first, second)]
    assert first.returncode == 0, results[0][1]
    assert second.returncode == 0, results[1][1]
    assert query(root / "data-two" / DB_NAME, "PRAGMA integrity_check") == [("ok",)]
    files = [p for p in (root / "out-two").rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".tmp")]
    assert len(files) == 42
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            report = json.loads(text)
            assert len(report["commits"]) == PER_DAY
        else:
            assert text.rstrip().splitlines()[-1].startswith("*由 dailydiff")
    # Both processes' reports agree with a single uninterrupted run (apart from the generation time).
    assert outputs(root / "out-two") == reference[0]
