"""Logs of long commands go to stderr, as text or as one JSON object per line (--log-format json)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

from dailydiff.common.text import terminal_text

_HANDLER_NAME = "dailydiff-stderr"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        repo = getattr(record, "repo", None)
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        text = f"dailydiff: {level}{f'[{repo}] ' if repo else ''}{terminal_text(record.getMessage())}"
        if record.exc_info and record.levelno <= logging.DEBUG:
            text += "\n" + self.formatException(record.exc_info)
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
        if record.exc_info and record.levelno <= logging.DEBUG:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(verbose: bool = False, fmt: str = "text", stream: TextIO | None = None) -> logging.Logger:
    logger = logging.getLogger("dailydiff")
    for handler in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    return logger
