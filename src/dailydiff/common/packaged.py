"""The package's own TOML data (the settings' defaults, the locales, the search glossary), parsed once and
kept between runs, for start-up time.

Parsing them with tomllib costs a command about 4-8 ms a file (`search` reads four: 20 ms of its start);
reading back the parsed data kept by an earlier run (``marshal``) costs a tenth of a millisecond. A kept copy
is used only when it names the same file, modification time, size and Python version; anything that cannot be
kept (a value ``marshal`` does not take) or read is parsed as usual. The copies live in this user's private
directory under the temporary directory (0700, ours alone), never elsewhere.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import sys
import tempfile
import zlib
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def private_directory() -> Path | None:
    """This user's private directory for data derived between runs (parsed TOML, vectors), or None
    where there is none that is ours alone."""
    if not hasattr(os, "getuid"):
        return None
    path = Path(tempfile.gettempdir()) / f"_dailydiff-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    ours = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    return path if ours else None


@cache
def toml(name: str) -> dict[str, Any]:
    """The package's TOML file ``name`` (relative to the package, e.g. ``"settings/defaults.toml"``), parsed
    once per process. Callers never change it (they copy what they merge)."""
    path = os.path.join(_PACKAGE, name)
    with open(path, "rb") as file:
        info = os.fstat(file.fileno())
        key = f"{path}\0{info.st_mtime_ns}\0{info.st_size}\0{sys.version}\0{marshal.version}\n".encode(
            errors="surrogateescape"
        )
        # One kept copy per file of each checkout: a changed file's replaces the old one.
        kept_path = _kept_path(path)
        kept = _read(kept_path, key)
        if kept is not None:
            return kept
        import tomllib  # only when no kept copy is there

        data = tomllib.loads(file.read().decode("utf-8"))
    _keep(kept_path, key, data)
    return data


def _kept_path(path: str) -> Path | None:
    directory = private_directory()
    name = f"toml-{zlib.crc32(path.encode(errors='surrogateescape')):08x}-{os.path.basename(path)}.marshal"
    return directory / name if directory else None


def _read(path: Path | None, key: bytes) -> dict[str, Any] | None:
    try:
        blob = path.read_bytes() if path else b""
        data = marshal.loads(blob[len(key) :]) if blob.startswith(key) else None
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return data if type(data) is dict else None


def _keep(path: Path | None, key: bytes, data: dict[str, Any]) -> None:
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError, ValueError):
        temporary.write_bytes(key + marshal.dumps(data))
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)
