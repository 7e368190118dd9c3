"""The engine: plans units (repository × day) and streams them through the stages — the one place that
wires fetch → store → score → analyse → overview → render → deliver, for every command.

A command sees only its request (``Request`` and the typed values it is made of: engine/request.py), ``plan``,
``run`` and the ``printer``: it parses its flags into one ``Request``, calls ``plan(request)`` then
``run(plan)``, and prints the outcomes with the printer.

The names below are imported on first use, so that importing one engine module does not import the
streaming engine, the analysers and the publishers with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailydiff.engine.commands import plan, run
    from dailydiff.engine.request import (
        DigestRequest,
        Flags,
        Given,
        NotesRequest,
        ReportRequest,
        Request,
        RunRequest,
        SiteRequest,
        Targets,
        WatchTestRequest,
        WeeklyRequest,
    )


def __getattr__(name: str) -> Any:
    if name == "printer":
        return importlib.import_module(f"{__name__}.printer")
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = "commands" if name in ("plan", "run") else "request"  # the Request and its typed values
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DigestRequest",
    "Flags",
    "Given",
    "NotesRequest",
    "ReportRequest",
    "Request",
    "RunRequest",
    "SiteRequest",
    "Targets",
    "WatchTestRequest",
    "WeeklyRequest",
    "plan",
    "printer",
    "run",
]
