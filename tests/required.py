"""Real components the tests need (markdownlint, Chromium): missing one fails the run in CI and skips,
with the reason, on a developer's machine. CI is `CI` (set by GitHub Actions and most CI services) or
`DAILYDIFF_CI` (set by .ci/run) holding anything but an empty/false value."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]


def in_ci() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() not in {"", "0", "false", "no"}
        for name in ("CI", "DAILYDIFF_CI")
    )


def missing(message: str) -> NoReturn:
    """A real component is not installed: a failure in CI, a skip elsewhere."""
    if in_ci():
        pytest.fail(f"{message} (a missing component fails the run in CI)")
    pytest.skip(message)


def markdownlint() -> str:
    """markdownlint-cli: $MARKDOWNLINT, the copy .ci/run installs, or one on PATH."""
    for tool in (os.environ.get("MARKDOWNLINT"), str(ROOT / ".ci/node/node_modules/.bin/markdownlint")):
        if tool and Path(tool).is_file():
            return tool
    return shutil.which("markdownlint") or missing(
        "markdownlint-cli is not installed (bash .ci/run installs it)"
    )


def libfaketime() -> Path:
    """libfaketime (Debian's faketime package: .ci/run installs it), for a process whose clock is off."""
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    return (
        found[0]
        if found
        else missing("libfaketime is not installed (apt-get install faketime; .ci/run installs it)")
    )
