"""Validated settings kept between runs, for start-up time.

Building the validators of every settings section costs more CPU than the rest of loading the settings
(about 0.09 s; bench/startup.py). A command whose layers (the defaults, the user's file, the environment,
the flags) merge to the same data as the last run's, with the same settings code, reads that run's
validated settings back instead. Only settings that validated are kept, so every error is found and
worded as without this, and settings that hold a password (a store URL's) are never kept. One file per settings model, holding the last data's digest: a run with other
data validates as before and keeps its own.

The file is in a private per-user directory under the temporary directory (like Jinja's compiled
templates, common/templates.py): a directory that is not ours alone, or anything that cannot be read or
written, and the settings are validated as usual. Derived data is never a reason to stop.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pydantic

M = TypeVar("M")
# The package: a settings model holds types of other modules (models, publishers), so any changed module
# (an upgrade, an edit) is another digest, never an old object read back into new classes.
_CODE = Path(__file__).parent.parent
_UNREADABLE = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError)


def digest(model: type[Any], data: Mapping[str, Any]) -> str | None:
    """What identifies ``model`` validated from ``data``: the data, the package's code and the versions
    of Python and pydantic. None when the data is not plain (then nothing is kept)."""
    try:
        code = [(str(p.relative_to(_CODE)), p.stat().st_mtime_ns, p.stat().st_size)
                for p in sorted(_CODE.rglob("*.py"))]  # fmt: skip
        text = json.dumps([model.__module__, model.__qualname__, sys.version, pydantic.VERSION, code, data],
                          sort_keys=True, allow_nan=False, default=_typed)  # fmt: skip
    except (OSError, TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def _typed(value: object) -> dict[str, str]:
    """A value JSON has no type for (a flag's Path, a TOML date), with its type: validated differently
    from a string with the same text."""
    return {"\0type": type(value).__qualname__, "repr": repr(value)}


def _directory() -> Path | None:
    """This user's private directory for kept settings, or None."""
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


def _file(model: type[Any]) -> Path | None:
    directory = _directory()
    return directory / f"settings-{model.__name__}.pickle" if directory else None


def load(model: type[M], key: str) -> M | None:
    """The ``model`` kept under ``key`` by the last run, or None."""
    path = _file(model)
    try:
        blob = path.read_bytes() if path else b""
        kept = pickle.loads(blob[len(key) + 1 :]) if blob.startswith(f"{key}\n".encode()) else None
    except _UNREADABLE:
        return None
    return kept if type(kept) is model else None


def keep(settings: Any, key: str) -> None:
    """Keep validated ``settings`` under ``key`` for the next run (replacing what was kept)."""
    path = _file(type(settings))
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        temporary.write_bytes(f"{key}\n".encode() + pickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)
