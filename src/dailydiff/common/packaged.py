"""The package's own TOML data (the settings' defaults, the locales, the search glossary, the claim rules),
parsed once a process: by rtoml, in a tenth of tomllib's time (~8 ms a command; a user's own file is read by
tomllib, whose errors name its line)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import rtoml

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@cache
def toml(name: str) -> dict[str, Any]:
    """The package's TOML file ``name`` (relative to the package, e.g. ``"settings/defaults.toml"``), parsed
    once per process. Callers never change it (they copy what they merge)."""
    with open(os.path.join(_PACKAGE, name), encoding="utf-8") as file:
        return rtoml.loads(file.read())
