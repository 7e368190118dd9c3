"""JSON from outside (the GitHub API, a model's reply) may escape a lone UTF-16 surrogate ("\\ud83d"):
Python decodes it to a str that no UTF-8 file, store row or JSON dump can hold. We replace them."""

from __future__ import annotations

import re
from typing import Any

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def without_surrogates(value: Any) -> Any:
    """``value`` (decoded JSON) with every lone surrogate in its strings and keys replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value) if _SURROGATE_RE.search(value) else value
    if isinstance(value, list):
        return [without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    return value
