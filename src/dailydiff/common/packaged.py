"""The package's own TOML data (the settings' defaults, the locales, the search glossary), parsed once a
process."""

from __future__ import annotations

import os
import tomllib
from functools import cache
from typing import Any

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@cache
def toml(name: str) -> dict[str, Any]:
    """The package's TOML file ``name`` (relative to the package, e.g. ``"settings/defaults.toml"``), parsed
    once per process. Callers never change it (they copy what they merge)."""
    with open(os.path.join(_PACKAGE, name), "rb") as file:
        return tomllib.load(file)
