"""Validated settings kept between runs, for start-up time.

Building the validators of every settings section costs more CPU than the rest of loading the settings
(about 0.09 s; bench/startup.py). A command whose layers (the defaults, the user's file, the environment,
the flags) merge to the same data as the last run's, with the same settings code, reads that run's
validated settings back instead. Only settings that validated are kept, so every error is found and
worded as without this, and settings that hold a password (a store URL's) are never kept. One file per settings
model and data digest, the last ``KEPT`` of each model: a run with other data validates as before and keeps its
own, without pushing out the settings of the configurations used in turn (two data directories, `run` and
`notes`, other checkouts of one user).

Settings read back by a command that needs nothing of pydantic (`search`: ``load_plain``) are kept as
``Plain`` values (the validated values, read by attribute as the model's are), so that reading them back
imports no pydantic (some 0.07 s of a search's start).

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


def digest(model: type[Any] | str, data: Mapping[str, Any]) -> str | None:
    """What identifies ``model`` (a class, or its "module:name") validated from ``data``: the data, the
    package's code and the versions of Python and pydantic. None when the data is not plain (then nothing is
    kept)."""
    name = model if isinstance(model, str) else f"{model.__module__}:{model.__qualname__}"
    try:
        text = json.dumps([*name.split(":"), sys.version, _pydantic(), _code(), data],
                          sort_keys=True, allow_nan=False, default=_typed)  # fmt: skip
    except (OSError, TypeError, ValueError):
        return None
    return blake2b(text.encode(), digest_size=32).hexdigest()


def _pydantic() -> list[int]:
    """The installed pydantic, without importing it: its version file's modification time and size (an
    upgrade writes it anew)."""
    import importlib.util

    spec = importlib.util.find_spec("pydantic")
    if spec is None or spec.origin is None:
        return []
    info = os.stat(os.path.join(os.path.dirname(spec.origin), "version.py"))
    return [info.st_mtime_ns, info.st_size]


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


def _file(name: str, key: str) -> Path | None:
    directory = private_directory()
    return directory / f"settings-{name}-{key[:16]}.pickle" if directory else None


def load(model: type[M], key: str) -> M | None:
    """The ``model`` kept under ``key`` by an earlier run, or None."""
    kept = _read(model.__name__, key)
    return kept if type(kept) is model else None


def _read(name: str, key: str) -> Any:
    path = _file(name, key)
    try:
        blob = path.read_bytes() if path else b""
        return pickle.loads(blob[len(key) + 1 :]) if blob.startswith(f"{key}\n".encode()) else None
    except _UNREADABLE:
        return None


class Plain:
    """A model's validated values, read by attribute as the model's are (``settings.store.url``); a
    section is a Plain of its own. Built by ``plain``; no pydantic is needed to read one back."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for a name it does not hold
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)!r})"


class PlainStore(Plain):
    """Settings that say where the store is (``HasStore``'s fields), read back: its ``data_path`` too."""

    @property
    def data_path(self) -> Path:
        from dailydiff.settings.paths import data_path_of

        return data_path_of(self.data_dir)


def plain(value: Any) -> Any:
    """``value`` with each pydantic model in it (its fields) made a ``Plain`` (``PlainStore`` where it has a
    ``data_dir``), lists, tuples and dicts gone through."""
    fields = getattr(type(value), "model_fields", None)
    if isinstance(fields, dict):
        kind = PlainStore if "data_dir" in fields else Plain
        return kind({name: plain(getattr(value, name)) for name in fields})
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def load_plain(name: str, key: str) -> Any:
    """The ``Plain`` values of the model ``name`` kept under ``key`` (``keep(..., as_plain=True)``), or None."""
    kept = _read(f"{name}.plain", key)
    return kept if isinstance(kept, Plain) else None


def keep(settings: Any, key: str, as_plain: bool = False) -> None:
    """Keep validated ``settings`` under ``key`` for the next runs (the oldest beyond ``KEPT`` dropped); as
    their ``Plain`` values with ``as_plain`` (read back by ``load_plain``)."""
    name = type(settings).__name__ + (".plain" if as_plain else "")
    if as_plain:
        settings = plain(settings)
    path = _file(name, key)
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        temporary.write_bytes(f"{key}\n".encode() + pickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)
    _drop_oldest(path.parent, name)


def _drop_oldest(directory: Path, name: str) -> None:
    with contextlib.suppress(OSError):
        kept = [(entry.stat().st_mtime_ns, entry) for entry in directory.glob(f"settings-{name}-*.pickle")]
        for _, entry in sorted(kept, key=lambda pair: pair[0])[: max(0, len(kept) - KEPT)]:
            entry.unlink(missing_ok=True)
