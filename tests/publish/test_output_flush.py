"""`report -o`'s day files are flushed to disk together at the end of the command (one syncfs of the output
directory), not one fsync each; a `[[publish]]` files target, whose deliveries the ledger records as sent,
still writes each file durably before it is recorded. Real `python -m dailydiff` processes on a real git
repository, their calls to the kernel counted where they are made."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dailydiff.errors import OutputError, OutputFullError
from dailydiff.publish import files as files_module
from dailydiff.publish.files import output_dir_publisher
from gitrepo import CommitSpec, FileEdit, build_repo

ROOT = Path(__file__).resolve().parents[2]

# The command in a fresh interpreter, every fsync and syncfs it makes counted (with the path each is made
# for), written as JSON at its exit.
_COUNTED = """
import atexit, json, os, runpy, sys
out, sys.argv = sys.argv[1], ["dailydiff", *sys.argv[2:]]
calls = {"fsync": [], "syncfs": []}
fsync = os.fsync
def counted_fsync(fd):
    calls["fsync"].append(os.readlink(f"/proc/self/fd/{fd}"))
    return fsync(fd)
os.fsync = counted_fsync
import dailydiff.publish.files as files
syncfs = files.sync_filesystem
def counted_syncfs(directory):
    calls["syncfs"].append(str(directory))
    return syncfs(directory)
files.sync_filesystem = counted_syncfs
atexit.register(lambda: open(out, "w").write(json.dumps(calls)))
runpy.run_module("dailydiff", run_name="__main__", alter_sys=True)
"""


def _counted(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    out = tmp_path / "calls.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", _COUNTED, str(out), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    return done, json.loads(out.read_text())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    days = [dt.datetime(2026, 1, d, 10, 0, tzinfo=dt.UTC) for d in (5, 6, 7)]
    build_repo(path, [CommitSpec(f"feat: change {n}", day, edits=[FileEdit(f"m{n}.py", f"x = {n}\n")])
                      for n, day in enumerate(days)])  # fmt: skip
    return path


def _report(repo: Path, tmp_path: Path, *more: str) -> list[str]:
    return ["report", str(repo), "--from", "2026-01-05", "--to", "2026-01-07", "--tz", "UTC", "--analyzer",
            "heuristic", "--lang", "en", "--data-dir", str(tmp_path / "data"), "--format", "md,json", "-q",
            *more]  # fmt: skip


def test_report_o_flushes_its_day_files_once_at_the_end_not_one_fsync_each(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done, calls = _counted(tmp_path, *_report(repo, tmp_path, "-o", str(out)))
    assert done.returncode == 0, done.stderr
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(written) == 6  # three days, two formats
    assert not [path for path in calls["fsync"] if path.startswith(str(out))], calls["fsync"]
    assert calls["syncfs"] == [str(out.resolve())]
    # Again, with nothing new: nothing written, nothing to flush.
    done, calls = _counted(tmp_path, *_report(repo, tmp_path, "-o", str(out)))
    assert done.returncode == 0, done.stderr
    assert calls["syncfs"] == [] and sorted(p for p in out.rglob("*") if p.is_file()) == written


def test_a_publish_files_target_writes_each_file_durably_before_it_is_recorded(
    repo: Path, tmp_path: Path
) -> None:
    target = tmp_path / "published"
    config = tmp_path / "dailydiff.toml"
    config.write_text(f'[[publish]]\ntype = "files"\nname = "archive"\ndirectory = "{target}"\nformats = ["md"]\n',
                      encoding="utf-8")  # fmt: skip
    done, calls = _counted(tmp_path, *_report(repo, tmp_path, "--config", str(config), "--publish", "-o",
                                              str(tmp_path / "out")))  # fmt: skip
    assert done.returncode == 0, done.stderr
    published = sorted(str(p) for p in target.rglob("*.md"))
    assert len(published) == 3
    synced = [path for path in calls["fsync"] if path.startswith(str(target))]
    assert len(synced) == 3, calls["fsync"]  # one each, before its rename (the temporary file's name)
    assert calls["syncfs"] == [str((tmp_path / "out").resolve())]


@pytest.mark.parametrize(("code", "error"), [(errno.ENOSPC, OutputFullError), (errno.EIO, OutputFullError),
                                               (errno.EROFS, OutputError)])  # fmt: skip
def test_a_flush_the_disk_refuses_is_one_line_naming_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, error: type[Exception]
) -> None:
    """A write the disk took into its cache may fail only when it is flushed: the flush's error is the
    command's one line (a full disk: exit 74's), not a traceback, and the next flush tries again."""
    publisher = output_dir_publisher(tmp_path / "out", "{repo_slug}/{date}.{ext}", ["md"], durable=False)
    publisher._unsynced = True  # (as after a send that wrote a file)

    def refused(directory: Path) -> None:
        raise OSError(code, os.strerror(code), str(directory))

    monkeypatch.setattr(files_module, "sync_filesystem", refused)
    with pytest.raises(OutputError) as raised:
        publisher.sync()
    assert type(raised.value) is error  # a full disk's exit 74, or the output's own failure
    assert str(raised.value).startswith(
        f"cannot write under {(tmp_path / 'out').resolve()}: {os.strerror(code)}"
    )
    assert publisher._unsynced  # not flushed: asked again, it tries again
    monkeypatch.setattr(files_module, "sync_filesystem", lambda directory: None)
    publisher.sync()
    assert not publisher._unsynced
