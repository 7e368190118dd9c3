"""A package's names imported at their first use (PEP 562), not when the package is: ``settings`` and
``sources`` keep their public names without loading pydantic's models at import (start-up is measured)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, tuple[str, ...]], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package`` (whose globals are ``namespace``): each name of ``homes`` (a module →
    the names it holds) imported from its module at its first use, and kept in ``namespace`` (looked up once)."""
    home_of = {name: module for module, names in homes.items() for name in names}

    def named(name: str) -> Any:
        home = home_of.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return named
