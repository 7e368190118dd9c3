"""The command line: the only place that reads argv."""

from __future__ import annotations

from dailydiff.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
