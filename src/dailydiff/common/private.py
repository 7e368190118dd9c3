"""The data directory is private: it holds commit patches and cached API answers of private repositories.

Whatever the umask, the directories dailydiff creates there are 0700 (as the XDG base-directory spec asks
of a directory it creates) and its files 0600: the store (SQLite gives its WAL and shared-memory files the
database file's mode), lock files, clones (git runs with the umask :data:`PRIVATE_UMASK`). Output directories
are not private: reports are meant to be read, so they keep the user's umask (publish/files.py).
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from pathlib import Path
from typing import IO, Any

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077  # for a subprocess that writes into the data directory (git)


def private_dir(path: Path) -> Path:
    """``path`` as a directory; each part of it that had to be created is 0700."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for part in reversed(missing):
        try:
            part.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it first
            continue
        os.chmod(part, PRIVATE_DIR)  # mkdir's mode went through the umask
    if not path.is_dir():
        path.mkdir()  # raises the error that says why (a file in the way)
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (a store file before SQLite opens it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open`` for a file in the data directory: created 0600 whatever the umask."""

    def opener(name: str, flags: int) -> int:
        fd = os.open(name, flags, PRIVATE_FILE)
        if flags & os.O_CREAT:
            os.fchmod(fd, PRIVATE_FILE)
        return fd

    return open(path, mode, opener=opener, **kwargs)


def exposure(path: Path) -> str | None:
    """The warning for a data directory that other local users can read or enter, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not path.is_dir() or not mode & 0o077:
        return None
    return (
        f"the data directory {path} is open to other users (mode {mode:04o}); it holds commit patches "
        "and API answers of private repositories"
    )


_warned: set[Path] = set()
_warned_lock = threading.Lock()


def warn_if_exposed(data_dir: Path) -> None:
    """One warning line per process when the data directory about to be used is open to other users (left
    as it is: the user may have meant it). Through the ``dailydiff`` log when a command set one up."""
    message = exposure(data_dir)
    with _warned_lock:
        if message is None or data_dir in _warned:
            return
        _warned.add(data_dir)
    line = f"{message} — chmod 700 it"
    logger = logging.getLogger("dailydiff")
    if logger.handlers:
        logger.warning(line)
    else:
        sys.stderr.write(f"dailydiff: warning: {line}\n")
