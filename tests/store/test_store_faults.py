"""Store faults say what happened (issue 12, item 5): a full disk under the data directory is one line and
exit 74 with nothing lost; a store from a newer version is refused untouched (exit 4); rows a newer version
changed are a one-line store error, never a pydantic traceback."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.store import DB_NAME, Store
from fixtures import build_sample_repo
from opsfixtures import dailydiff
from required import missing

DAY = "2026-01-19"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "sglang"
    build_sample_repo(path)
    return path


def _report(repo: Path, data: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return dailydiff("report", repo, "--date", DAY, "--data-dir", data, *extra, cwd=cwd, check=False)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "ValidationError" not in result.stderr
    return lines[0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_store_from_a_newer_version_is_refused_untouched(repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _report(repo, data, tmp_path).returncode == 0
    db = sqlite3.connect(data / DB_NAME)
    with db:
        db.execute("INSERT INTO migrations VALUES ('m042_from_a_newer_dailydiff', '2027-01-01')")
    db.close()  # the last connection: its write is checkpointed into the file, which is hashed now
    assert not (data / f"{DB_NAME}-wal").exists()
    before = _sha256(data / DB_NAME)
    for args in (["report", repo, "--date", DAY], ["site", "build", "-o", tmp_path / "site"],
                 ["weekly", repo, "--week", "2026-W04"], ["publish", repo, "--date", DAY]):  # fmt: skip
        result = dailydiff(*args, "--data-dir", data, cwd=tmp_path, check=False)
        assert result.returncode == 4, (args, result.stderr)
        assert _one_line(result) == (
            f"dailydiff: error: this store ({data / DB_NAME}) was written by a newer dailydiff "
            "(migration m042_from_a_newer_dailydiff) — upgrade, or use another --data-dir"
        )
        assert _sha256(data / DB_NAME) == before


def test_rows_changed_by_a_newer_version_are_a_store_error(repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _report(repo, data, tmp_path).returncode == 0
    with sqlite3.connect(data / DB_NAME) as db:
        (text,) = db.execute("SELECT data FROM reports").fetchone()
        newer = json.loads(text)
        newer["stats"] = {"total": "seven", "by_level": [1, 2, 4]}  # a shape this version does not know
        newer["commits"][0]["score"] = "high"
        db.execute("UPDATE reports SET data = ?", (json.dumps(newer),))
        db.execute("UPDATE analyses SET data = json_set(data, '$.importance', 'critical-ish')")
    # The site builds: the unreadable day gets a page that says so, the rest of the site is as before.
    built = dailydiff("site", "build", "-o", tmp_path / "site", "--data-dir", data, cwd=tmp_path, check=False)
    assert built.returncode == 0, built.stderr
    pages = [p for p in (tmp_path / "site").rglob("*.html") if DAY in p.name]
    assert len(pages) == 1 and 'role="alert"' in pages[0].read_text(encoding="utf-8"), pages
    for args in (["weekly", repo, "--week", "2026-W04"], ["report", repo, "--date", DAY],
                 ["publish", repo, "--date", DAY]):  # fmt: skip
        result = dailydiff(*args, "--data-dir", data, cwd=tmp_path, check=False)
        assert result.returncode == 4, (args, result.stderr)
        line = _one_line(result)
        assert (
            "cannot read" in line
            and "newer dailydiff" in line
            and "upgrade, or use another --data-dir" in line
        )


@contextlib.contextmanager
def _small_disk(path: Path, size: str) -> Iterator[Path]:
    """A real full disk: a small tmpfs (the tests run as root, as CI does; mounting must work)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    if mounted.returncode:
        missing("tmpfs", mounted.stderr.strip())
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk to the last byte, then give ``leave`` bytes back."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


@pytest.mark.slow
@pytest.mark.parametrize("command", ["report", "run"])
def test_a_full_disk_under_the_data_dir_is_one_line_exit_74_and_nothing_lost(
    repo: Path, tmp_path: Path, command: str
) -> None:
    reference = tmp_path / "reference"
    assert _report(repo, reference, tmp_path).returncode == 0
    with _small_disk(tmp_path / "disk", "2m") as disk:
        data = disk / "data"
        data.mkdir()
        Store.open(data).close()  # an empty store fits; the day's commits and analyses do not
        filler = _fill(disk, leave=96 * 1024)  # the run starts, its analyses do not all fit
        if command == "run":
            config = tmp_path / "dailydiff.toml"
            config.write_text(f'[[repos]]\nsource = "{repo}"\n', encoding="utf-8")
            result = dailydiff(
                "run", "--config", config, "--date", DAY, "--data-dir", data, cwd=tmp_path, check=False
            )
        else:
            result = _report(repo, data, tmp_path)
        assert result.returncode == 74, result.stderr
        assert "Traceback" not in result.stderr and "never retrieved" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("dailydiff: error:")]
        assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], result.stderr
        line = errors[0]
        assert line.startswith(f"dailydiff: error: cannot write the store at {data / DB_NAME}")
        assert "free some space and run the same command again" in line
        filler.unlink()  # space again: the same command finishes the day
        out = tmp_path / "out"
        again = _report(repo, data, tmp_path, "--output-dir", str(out), "--format", "json")
        assert again.returncode == 0, again.stderr
        with Store.open(data) as store, Store.open(reference) as expected:
            assert store.count_analyses() == expected.count_analyses() == 7
            assert store.applied_migrations() == expected.applied_migrations()


@pytest.mark.parametrize("command", ["report", "run"])
def test_the_summary_json_is_written_when_the_output_directory_disk_is_full(
    repo: Path, tmp_path: Path, command: str
) -> None:
    """Issue 43, item 7: the output directory on a full tmpfs, the summary on a disk with room: the
    command exits 74 and `--summary-json` is written all the same, naming what failed."""
    summary = tmp_path / "summary.json"
    with _small_disk(tmp_path / "disk", "64k") as disk:
        _fill(disk, leave=0)
        out = disk / "out"
        if command == "run":
            config = tmp_path / "dailydiff.toml"
            config.write_text(f'[[repos]]\nsource = "{repo}"\n', encoding="utf-8")
            result = dailydiff("run", "--config", config, "--date", DAY, "--data-dir", tmp_path / "data",
                               "--output-dir", out, "--summary-json", summary, cwd=tmp_path, check=False)  # fmt: skip
        else:
            result = _report(
                repo, tmp_path / "data", tmp_path, "-o", str(out), "--summary-json", str(summary)
            )
    assert result.returncode == 74, result.stderr
    assert summary.is_file(), result.stderr
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["exit_code"] == 74 and data["status"] in ("failed", "partial"), data
    assert "No space left on device" in json.dumps(data) and str(out) in json.dumps(data)
