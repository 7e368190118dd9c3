"""The rules worker's messages on its pipes (worker.py writes the requests and reads the answers, served.py
reads the requests and writes the answers): each one a pickle after its length. A module of its own, so the
worker's process imports only what it answers with, not the event loop of the side that starts it."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any, BinaryIO


def write_message(stream: Any, message: Any) -> None:
    """One message on a pipe: its pickle's length (8 bytes, big-endian), then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "big") + data)


def answer_requests(analyse: Callable[..., Any], requests: BinaryIO, answers: BinaryIO) -> None:
    """The worker's side: each request (an id and ``analyse``'s arguments) answered in order, until the
    requests end."""
    while header := requests.read(8):
        key, args = pickle.loads(requests.read(int.from_bytes(header, "big")))
        write_message(answers, (key, analyse(*args)))
        answers.flush()
