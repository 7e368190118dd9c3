"""Registers the commands for running dailydiff every day: run, weekly, init, doctor."""

from __future__ import annotations

from . import doctor as _doctor  # noqa: F401
from . import init as _init  # noqa: F401
from . import run as _run  # noqa: F401
from . import weekly as _weekly  # noqa: F401

__all__: list[str] = []
