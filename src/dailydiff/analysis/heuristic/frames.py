"""The rules worker's messages on its pipes (worker.py writes the requests and reads the answers, served.py
reads the requests and writes the answers): each one a pickle after its length. A module of its own, so the
worker's process imports only what it answers with, not the event loop of the side that starts it."""

from __future__ import annotations

import pickle
from typing import Any


def frame(message: Any) -> bytes:
    """One message as it goes on a pipe: its pickle's length (8 bytes, big-endian), then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "big") + data


def write_message(stream: Any, message: Any) -> None:
    stream.write(frame(message))
