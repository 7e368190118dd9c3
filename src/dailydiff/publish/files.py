"""The one file writer: atomic (a temporary file, then a rename), so no reader ever sees half a report;
and the files publisher built on it."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dailydiff.common import placeholders
from dailydiff.errors import IO_ERRNOS, OutputError, OutputFullError, PublishError
from dailydiff.publish.base import PublishResult, Secrets, Status
from dailydiff.settings.publishers import FilesEntry

if TYPE_CHECKING:  # the editions' types; render/ loads when an edition is built
    from dailydiff.render.edition import Edition, Part

FULL_HINT = "free some space and run the same command again; what was analysed is stored"


def _process_umask() -> int:
    # Read once, without the umask(0)/umask(old) dance that would race with other threads.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


_FILE_MODE = 0o666 & ~_process_umask()


def atomic_write(path: Path, text: str, *, durable: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so that a reader sees the old file
    or the new one, never a part. ``durable``: on disk before the rename (an fsync; a writer of many files
    passes False and syncs once at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; reports are for readers (a web server, a team)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_filesystem(directory: Path) -> None:
    """Flush to disk the files written under ``directory`` (by ``atomic_write(durable=False)``): the
    filesystem that holds it only (Linux's syncfs(2)), not every disk of the machine as ``os.sync`` does,
    which on a busy host waits for everybody else's writes. Other POSIX systems: ``os.sync`` (POSIX only,
    as is the directory descriptor syncfs takes)."""
    import ctypes

    syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), str(directory))
    finally:
        os.close(fd)


def write_file(path: Path, text: str) -> None:
    """``atomic_write`` for a file the user named (a summary, a settings file, a digest): a failure is one
    line naming the file, not a traceback."""
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # /dev/stdout, a pipe or a link the user set up: write through it, never replace it
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        else:
            atomic_write(path, text)
    except OSError as exc:
        raise output_error(str(path), exc, "check the path and its permissions") from None


def output_error(where: str, exc: OSError, hint: str) -> OutputError:
    """A file the disk refused, as one line: a full disk (or one failing) is ``OutputFullError`` (exit 74, and
    the hint to free space), anything else the output's own error with ``hint``."""
    if exc.errno in IO_ERRNOS:
        return OutputFullError(f"cannot write {where}: {exc.strerror or exc}", FULL_HINT)
    return OutputError(f"cannot write {where}: {exc.strerror or exc}", hint)


STALE_AFTER_SECONDS = 3600


def remove_stale_temporaries(path: Path, now: float | None = None) -> None:
    """Temporary files that a killed writer left beside ``path`` (``.NAME.*.tmp``). Only old ones: a
    younger one may belong to another process writing the same file right now."""
    cutoff = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            continue


class FilesPublisher:
    """An edition's files under a directory, one per format, written atomically: a ``[[publish]]`` entry
    of type ``files``, and the ``--output-dir`` of `report`, `run`, `digest` and `weekly` (named
    ``files``). A file whose content is already there is not rewritten. ``durable``: each file on disk before
    its rename (an fsync each); without, the files are flushed together by ``sync`` (`report`'s -o: a month
    of days is one flush, not thirty; nothing records them as sent, and a file lost with the machine is
    written again by the next run, which finds it different)."""

    type = "files"
    parts: tuple[Part, ...] = ("files",)
    updates_in_place = True
    one_writer = ""
    skip_empty = False  # the files of every day are written, empty ones too

    def __init__(self, entry: FilesEntry, name: str, secrets: Secrets | None = None, *,
                 every_repo: bool = False, durable: bool = True) -> None:  # fmt: skip
        self.entry, self.name = entry, name
        self.durable = durable
        self._unsynced = False  # written without an fsync since the last ``sync``
        # Whose day files it writes: a [[publish]] target, the repositories naming it (or not choosing);
        # the command's --output-dir, every repository's (a digest links day files only where they are).
        self.day_target: str | None = None if every_repo else name
        self.directory = Path(entry.directory).expanduser().resolve()
        self.formats = tuple(entry.formats)
        self.target = f"files:{self.directory / entry.path_template}"
        if entry.path_template and "{ext}" not in entry.path_template and len(set(self.formats)) > 1:
            # said before anything is built: every format of an edition would be written to one file
            raise PublishError(
                f"path template {entry.path_template!r} gives the formats {', '.join(self.formats)} the same file",
                "put {ext} in it",
            )

    def paths(self, edition: Edition) -> list[tuple[str, Path]]:
        try:
            targets = [(fmt, self.directory / edition.path(fmt, self.entry.path_template))
                       for fmt in self.formats if fmt in edition.files_for(self.entry.path_template, self.day_target)]  # fmt: skip
        except placeholders.TemplateError as exc:
            raise PublishError(f"bad path template: {exc}", "fix path_template") from None
        if len({path for _, path in targets}) < len(targets):
            raise PublishError(
                f"path template {self.entry.path_template!r} gives the formats {', '.join(self.formats)} "
                "the same file",
                "put {ext} in it",
            )
        return targets

    def preview(self, edition: Edition) -> str:
        return "\n".join(
            f"write {path} ({len(edition.files_for(self.entry.path_template, self.day_target)[fmt].encode())} bytes)"
            for fmt, path in self.paths(edition)
        )

    def send(self, edition: Edition) -> PublishResult:
        written, unchanged = [], []
        files = edition.files_for(
            self.entry.path_template, self.day_target
        )  # a digest links the days where this writes them
        for fmt, path in self.paths(edition):
            text = files[fmt]
            try:
                if path.is_file() and path.read_text(encoding="utf-8") == text:
                    unchanged.append(str(path))
                    continue
                atomic_write(path, text, durable=self.durable)
                self._unsynced = not self.durable
            except OSError as exc:
                raise output_error(str(path), exc, "check the directory and its permissions") from None
            remove_stale_temporaries(path)
            written.append(str(path))
        paths = tuple(written + unchanged)
        if not written:
            return PublishResult(self.name, self.type, Status.SKIPPED, "unchanged: " + ", ".join(unchanged),
                                 paths)  # fmt: skip
        return PublishResult(self.name, self.type, Status.OK, "wrote " + ", ".join(written), paths)

    def sync(self) -> None:
        """The files written without an fsync since the last call, flushed to disk at once."""
        if not self._unsynced:
            return
        try:
            sync_filesystem(self.directory)
        except OSError as exc:  # (a write the disk refused may only show here)
            raise output_error(
                f"under {self.directory}", exc, "check the disk and run the same command again"
            ) from None
        self._unsynced = False


class StdoutPublisher:
    """An edition's file of one format on a stream (`report`, `digest` and `weekly` without
    --output-dir). With a ``plan`` (`report`'s days), in the plan's date order whatever order the days
    finish in; a gated day is shown too (its Markdown says it is gated)."""

    type = "stdout"
    name = "stdout"
    target = "stdout"
    parts: tuple[Part, ...] = ("files",)
    updates_in_place = False  # shown, not kept: a gated day is shown under its warning
    one_writer = ""
    skip_empty = False

    def __init__(self, plan: Sequence[dt.date] = (), stream: TextIO | None = None, fmt: str = "md") -> None:
        self.plan, self.stream, self.formats = list(plan), stream, (fmt,)
        self._ready: dict[dt.date, str] = {}
        self._next = 0

    def preview(self, edition: Edition) -> str:
        return f"write {len(edition.files[self.formats[0]].encode())} bytes to stdout"

    def send(self, edition: Edition) -> PublishResult:
        stream = self.stream or sys.stdout
        if not self.plan:
            stream.write(edition.files[self.formats[0]])
            return PublishResult(self.name, self.type, Status.OK, "shown")
        self._ready[edition.key.date] = edition.files[self.formats[0]]
        while self._next < len(self.plan) and self.plan[self._next] in self._ready:
            stream.write(self._ready.pop(self.plan[self._next]))
            self._next += 1
            if len(self.plan) > 1:
                stream.write("\n")
        stream.flush()
        return PublishResult(self.name, self.type, Status.OK, "shown")


def output_dir_publisher(
    directory: Path, path_template: str, formats: Sequence[str], *, durable: bool = True
) -> FilesPublisher:
    """The publisher behind `--output-dir` (and `[run] output_dir`): ``[report]`` path template and
    formats, named ``files``. ``durable``: as ``FilesPublisher``'s. Made of settings already validated: not
    validated again (the entry's own validator, built for this one call, was 2% of a quiet day's report)."""
    entry = FilesEntry.model_construct(type="files", name="files", directory=str(directory),
                                       path_template=path_template, formats=list(formats))  # fmt: skip
    return FilesPublisher(entry, "files", every_repo=True, durable=durable)
