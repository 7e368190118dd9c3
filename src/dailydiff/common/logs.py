"""Logs of long commands go to stderr, as text or as one JSON object per line (--log-format json)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

from dailydiff.common.secrets import scrub
from dailydiff.common.text import terminal_text

_HANDLER_NAME = "dailydiff-stderr"


class ScrubFilter(logging.Filter):
    """Every record that reaches our handler leaves without secrets: the message (with its arguments
    merged) and, at DEBUG, the traceback are scrubbed before any formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        repo = getattr(record, "repo", None)
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        text = f"dailydiff: {level}{f'[{repo}] ' if repo else ''}{terminal_text(record.getMessage())}"
        if record.exc_text and record.levelno <= logging.DEBUG:
            text += "\n" + record.exc_text
        return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        repo = getattr(record, "repo", None)
        if repo:
            data["repo"] = repo
        source = getattr(record, "source", None)  # where the repository is read from (redacted)
        if source:
            data["source"] = source
        if record.exc_text and record.levelno <= logging.DEBUG:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def json_logs() -> bool:
    """Whether the command logs JSON lines on stderr (``--log-format json``): then its last words, an
    error, are a JSON line too."""
    handlers = logging.getLogger("dailydiff").handlers
    return any(h.get_name() == _HANDLER_NAME and isinstance(h.formatter, JsonFormatter) for h in handlers)


def setup_logging(verbose: bool = False, fmt: str = "text", stream: TextIO | None = None) -> logging.Logger:
    logger = logging.getLogger("dailydiff")
    for handler in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ScrubFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    return logger
