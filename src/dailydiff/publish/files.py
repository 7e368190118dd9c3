"""Writing reports to files: atomic (a temporary file, then a rename), so no reader ever sees half a report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from dailydiff.errors import PublishError
from dailydiff.models import DayReport


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


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; reports are for readers (a web server, a team)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        raise PublishError(
            f"cannot write {path}: {exc.strerror or exc}", "check the path and its permissions"
        ) from None


def report_path(report: DayReport, template: str, ext: str) -> Path:
    owner = report.repo.split("/")[0] if "/" in report.repo else ""
    values = {
        "year": f"{report.date.year:04d}",
        "month": f"{report.date.month:02d}",
        "date": report.date.isoformat(),
        "repo": report.repo.replace("/", "_"),
        "repo_name": report.repo_name,
        "owner": owner,
        "ext": ext,
        "lang": report.language,
    }
    try:
        relative = template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise PublishError(
            f"bad path template {template!r}: {exc}", "use {year}, {date}, {repo_name}, {ext} …"
        ) from None
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts:
        raise PublishError(f"path template {template!r} leaves the output directory", "use a relative path")
    return path


def write_report_files(
    report: DayReport,
    output_dir: Path,
    formats: Iterable[str],
    renderers: dict[str, Callable[[DayReport], str]],
    path_template: str,
) -> list[Path]:
    written = []
    targets = {fmt: output_dir / report_path(report, path_template, fmt) for fmt in formats}
    if len(set(targets.values())) < len(targets):
        raise PublishError(
            f"path template {path_template!r} gives the formats {', '.join(targets)} the same file",
            "put {ext} in it",
        )
    for fmt, target in targets.items():
        try:
            atomic_write(target, renderers[fmt](report))
        except OSError as exc:
            raise PublishError(
                f"cannot write {target}: {exc.strerror}", "check the output directory"
            ) from None
        written.append(target)
    return written
