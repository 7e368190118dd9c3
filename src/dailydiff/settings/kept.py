"""Validated settings kept between runs, for start-up time.

Building the validators of every settings section costs more CPU than the rest of loading the settings
(about 0.09 s; bench/startup.py). A command whose layers (the defaults, the user's file, the environment,
the flags) merge to the same data as the last run's, with the same settings code, reads that run's
validated settings back instead. Only settings that validated are kept, so every error is found and
worded as without this, and settings that hold a password (a store URL's) are never kept. One file per settings
model and data digest, the last ``KEPT`` of each model: a run with other data validates as before and keeps its
own, without pushing out the settings of the configurations used in turn (two data directories, `run` and
`notes`, other checkouts of one user).

The file is in a private per-user directory under the temporary directory (like Jinja's compiled
templates, common/templates.py): a directory that is not ours alone, or anything that cannot be read or
written, and the settings are validated as usual. Derived data is never a reason to stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pydantic

try:  # the C BLAKE2 alone: hashlib loads OpenSSL's library first (about 4 ms of a `search`, which needs no other hash)
    from _blake2 import blake2b
except ImportError:  # another Python: hashlib's
    from hashlib import blake2b

from dailydiff.common.packaged import private_directory

M = TypeVar("M")
# The package: a settings model holds types of other modules (models, publishers), so any changed module
# (an upgrade, an edit) is another digest, never an old object read back into new classes.
_CODE = Path(__file__).parent.parent
_UNREADABLE = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError)


def digest(model: type[Any], data: Mapping[str, Any]) -> str | None:
    """What identifies ``model`` validated from ``data``: the data, the package's code and the versions
    of Python and pydantic. None when the data is not plain (then nothing is kept)."""
    try:
        text = json.dumps([model.__module__, model.__qualname__, sys.version, pydantic.VERSION, _code(), data],
                          sort_keys=True, allow_nan=False, default=_typed)  # fmt: skip
    except (OSError, TypeError, ValueError):
        return None
    return blake2b(text.encode(), digest_size=32).hexdigest()


def _code() -> list[tuple[str, int, int]]:
    """Every module of the package: its path, modification time and size (one ``stat`` each, no pathlib:
    this runs at every command's start)."""
    root = str(_CODE)
    found = []
    for directory, subdirectories, files in os.walk(root, onerror=_raise):
        subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                info = os.stat(path)
                found.append((path[len(root) + 1 :], info.st_mtime_ns, info.st_size))
    return sorted(found)


def _raise(error: OSError) -> None:
    raise error


def _typed(value: object) -> dict[str, str]:
    """A value JSON has no type for (a flag's Path, a TOML date), with its type: validated differently
    from a string with the same text."""
    return {"\0type": type(value).__qualname__, "repr": repr(value)}


KEPT = 16  # kept settings per model; the oldest go first


def _file(model: type[Any], key: str) -> Path | None:
    directory = private_directory()
    return directory / f"settings-{model.__name__}-{key[:16]}.pickle" if directory else None


def load(model: type[M], key: str) -> M | None:
    """The ``model`` kept under ``key`` by an earlier run, or None."""
    path = _file(model, key)
    try:
        blob = path.read_bytes() if path else b""
        kept = pickle.loads(blob[len(key) + 1 :]) if blob.startswith(f"{key}\n".encode()) else None
    except _UNREADABLE:
        return None
    return kept if type(kept) is model else None


def keep(settings: Any, key: str) -> None:
    """Keep validated ``settings`` under ``key`` for the next runs (the oldest beyond ``KEPT`` dropped)."""
    path = _file(type(settings), key)
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        temporary.write_bytes(f"{key}\n".encode() + pickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)
    _drop_oldest(path.parent, type(settings))


def _drop_oldest(directory: Path, model: type[Any]) -> None:
    with contextlib.suppress(OSError):
        kept = [
            (entry.stat().st_mtime_ns, entry)
            for entry in directory.glob(f"settings-{model.__name__}-*.pickle")
        ]
        for _, entry in sorted(kept, key=lambda pair: pair[0])[: max(0, len(kept) - KEPT)]:
            entry.unlink(missing_ok=True)
