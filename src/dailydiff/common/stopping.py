"""Whether this process was asked to stop: the signal (SIGTERM) the command line took (cli/base.py
``stop_like_ctrl_c`` records it here). A delivery asks before it claims a message and again right before it
sends one (engine/deliver.py): once a stop is taken nothing new goes out, whatever the event loop's
cancellation reached — it can be lost inside a look, or not reach a unit's thread — while a message already
being sent finishes and is recorded. What was not sent is the next command's to send, once."""

from __future__ import annotations

TAKEN: list[int] = []  # the signal that asked this process to stop, once received


def taken() -> bool:
    """Whether a stop was taken (a SIGTERM)."""
    return bool(TAKEN)


__all__ = ["TAKEN", "taken"]
