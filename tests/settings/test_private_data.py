"""The data directory is private whatever the umask (issue 24, acceptance 2): with umask 022, after
`report`, `run`, `store copy` and a git-URL clone (and its fetch), every directory under the data
directory is 0700 and every file 0600 — git's own object and pack files, which git makes read-only, are
0400 — including the SQLite WAL and shared-memory files while the store is open. Output directories keep
the user's umask (reports are meant to be shared). An existing data directory that other users can read is
named in one warning line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.store import Store
from test_config_canaries import DATE, SRC


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real ``python -m dailydiff`` under umask 022 (a process's umask is what is under test)."""
    base = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    return subprocess.run([sys.executable, "-m", "dailydiff", *args], env={**base, "PYTHONPATH": str(SRC)},
                          cwd=cwd, capture_output=True, text=True, timeout=180, umask=0o022)  # fmt: skip


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


def read_only_by_git(name: str) -> bool:
    """git writes objects, packs and their indexes read-only (0444 & ~umask)."""
    return "/objects/" in f"/{name}"


def assert_private(root: Path) -> dict[str, int]:
    found = modes(root)
    wrong = {}
    for name, mode in found.items():
        path = root / name if name != "." else root
        if path.is_dir():
            expected = {0o700}
        elif read_only_by_git(name):
            expected = {0o400, 0o600}
        else:
            expected = {0o600}
        if mode not in expected:
            wrong[name] = oct(mode)
    assert wrong == {}, wrong
    return found


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.slow
def test_report_run_store_copy_and_a_clone_leave_a_private_data_directory(
    sample_repo: Path, tmp_path: Path
) -> None:
    data = tmp_path / "home" / ".local" / "share" / "dailydiff"  # the parents are created too (XDG: 0700)
    report = cli(["report", str(sample_repo), "--date", DATE, "--data-dir", str(data), "--output-dir", "out", "-q",
                  "--format", "md,json,html"], tmp_path)  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert_private(data)
    assert stat.S_IMODE((tmp_path / "home" / ".local").stat().st_mode) == 0o700

    config = tmp_path / "dailydiff.toml"
    config.write_text(f'[[repos]]\nsource = "{sample_repo.as_uri()}"\nname = "acme/by-url"\n\n'
                      f'[[repos]]\nsource = "{sample_repo}"\nname = "acme/local"\n')  # fmt: skip
    for attempt in ("clone", "fetch"):  # a git URL is cloned into the data directory, then fetched
        run = cli(["run", "--date", DATE, "--config", str(config), "--data-dir", str(data),
                   "--output-dir", "out", "--force"], tmp_path)  # fmt: skip
        assert run.returncode == 0, (attempt, run.stderr)
    found = assert_private(data)
    clones = [name for name in found if name.startswith("repos/") and name.endswith(".git")]
    objects = [name for name in found if read_only_by_git(name) and (data / name).is_file()]
    locks = [name for name in found if name.startswith("locks/")]
    assert len(clones) == 1 and objects and len(locks) == 1, sorted(found)

    copy = cli(["store", "copy", str(data), str(tmp_path / "copy" / "data")], tmp_path)
    assert copy.returncode == 0, copy.stderr
    assert_private(tmp_path / "copy" / "data")

    # The outputs keep the umask: 0644 files in 0755 directories, for a web server or a team to read.
    out = modes(tmp_path / "out")
    assert set(out.values()) == {0o755, 0o644}, out
    assert "warning" not in report.stderr + run.stderr + copy.stderr


def test_the_wal_and_shared_memory_files_are_private_while_the_store_is_open(
    tmp_path: Path, umask_022: None
) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        run_id = store.start_run("report x")
        store.finish_run(run_id, "ok", {"n": 1})
        found = modes(data)
        assert {"dailydiff.sqlite3-wal", "dailydiff.sqlite3-shm"} <= set(found), found
        assert_private(data)


def test_an_existing_open_data_directory_gets_one_warning_line(sample_repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    # A git URL: the mirror and the store both live there, and both check it (one line all the same).
    result = cli(["report", sample_repo.as_uri(), "--date", DATE, "--data-dir", str(data), "--name", "acme/x"],
                 tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"dailydiff: warning: the data directory {data} is open to other users (mode 0755); it "
                        "holds commit patches and API answers of private repositories — chmod 700 it"], result.stderr  # fmt: skip
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # the user's choice is left as it is
    assert stat.S_IMODE((data / "dailydiff.sqlite3").stat().st_mode) == 0o600  # what is created in it is not
