"""Registers the commands for running dailydiff every day: run, weekly, init, doctor."""

from __future__ import annotations

from dailydiff.cli import doctor as _doctor  # noqa: F401
from dailydiff.cli import init as _init  # noqa: F401
from dailydiff.cli import run as _run  # noqa: F401
from dailydiff.cli import weekly as _weekly  # noqa: F401

__all__: list[str] = []
